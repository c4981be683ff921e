"""Tests for the closed-form learning-rate schedules."""

import math
import pickle

import numpy as np
import pytest

from skstab.optim import ConstantLR, CosineDecay, LinearDecay, StepDecay

LR = 0.02
MIN_LR = 1e-4


def _all_schedules(decay_start_epoch, **common):
    decay = {"decay_start_epoch": decay_start_epoch, "min_learning_rate": MIN_LR, **common}
    return [
        ConstantLR(LR, **common),
        CosineDecay(LR, **decay),
        LinearDecay(LR, **decay),
        StepDecay(LR, n_drops=3, gamma=0.5, **decay),  # a drop every 2 of the 8 decay epochs
    ]


SCHEDULES = _all_schedules(n_epochs=10, steps_per_epoch=7, warmup=5, decay_start_epoch=2)
IDS = [type(s).__name__ for s in SCHEDULES]
DECAYING = SCHEDULES[1:]


@pytest.mark.parametrize("schedule", SCHEDULES, ids=IDS)
def test_warmup_ramp_is_linear_and_starts_above_zero(schedule):
    ramp = schedule.simulate(schedule.warmup_steps)
    assert schedule.warmup_steps == 5
    assert ramp[0] == pytest.approx(LR / 5, rel=1e-15)
    np.testing.assert_allclose(np.diff(ramp), LR / 5, rtol=1e-12)
    assert ramp[-1] == LR


@pytest.mark.parametrize("schedule", SCHEDULES, ids=IDS)
def test_simulate_matches_call_and_length(schedule):
    for n in (0, 1, 17, 100):
        curve = schedule.simulate(n)
        assert curve.shape == (n,) and curve.dtype == np.float64
    np.testing.assert_array_equal(curve, [schedule(s) for s in range(100)])
    assert all(isinstance(schedule(s), float) for s in (0, 10, 80))


@pytest.mark.parametrize("schedule", DECAYING, ids=IDS[1:])
def test_holds_the_peak_until_decay_start_epoch(schedule):
    assert schedule.decay_start == 2 * 7
    curve = schedule.simulate(schedule.decay_start + 1)
    np.testing.assert_array_equal(curve[5 : schedule.decay_start], LR)


@pytest.mark.parametrize("schedule", SCHEDULES, ids=IDS)
def test_monotone_after_warmup_and_within_bounds(schedule):
    curve = schedule.simulate(schedule.total_steps + 20)
    after = curve[schedule.warmup_steps - 1 :]
    assert np.all(np.diff(after) <= 0.0)
    assert np.all(curve <= LR) and np.all(curve > 0.0)


@pytest.mark.parametrize("schedule", SCHEDULES, ids=IDS)
def test_holds_the_final_value_past_the_end(schedule):
    total = schedule.total_steps
    final = schedule(total)
    assert [schedule(total + k) for k in (1, 10, 10_000)] == [final] * 3


def test_cosine_and_linear_end_at_min_learning_rate():
    for schedule in SCHEDULES[1:3]:
        assert schedule(schedule.total_steps) == MIN_LR
        assert schedule(schedule.total_steps - 1) > MIN_LR


def test_cosine_closed_form():
    schedule = CosineDecay(LR, n_epochs=10, steps_per_epoch=7, warmup=5, decay_start_epoch=2, min_learning_rate=MIN_LR)
    start, span = 14, 70 - 14
    for step in (14, 15, 30, 42, 69, 70):
        p = (step - start) / span
        expected = MIN_LR + 0.5 * (LR - MIN_LR) * (1 + math.cos(math.pi * p))
        assert schedule(step) == pytest.approx(expected, rel=1e-14)
    assert schedule(42) == pytest.approx((LR + MIN_LR) / 2, rel=1e-14)  # half way


def test_linear_closed_form():
    schedule = LinearDecay(LR, n_epochs=10, steps_per_epoch=7, warmup=5, decay_start_epoch=2, min_learning_rate=MIN_LR)
    for step in (14, 15, 30, 42, 69, 70):
        p = (step - 14) / 56
        assert schedule(step) == pytest.approx(LR + (MIN_LR - LR) * p, rel=1e-14)


def test_constant_after_warmup():
    schedule = ConstantLR(LR, n_epochs=3, steps_per_epoch=4, warmup=3)
    np.testing.assert_array_equal(schedule.simulate(20)[2:], LR)
    assert repr(schedule) == "ConstantLR(0.02, n_epochs=3, steps_per_epoch=4, warmup=3)"


def test_step_decay_drops_by_gamma_at_epoch_boundaries():
    # 8 decay epochs in n_drops + 1 = 4 stretches: a drop every 2 epochs.
    schedule = StepDecay(1.0, n_epochs=9, steps_per_epoch=10, n_drops=3, gamma=0.5, decay_start_epoch=1)
    curve = schedule.simulate(90)
    expected = np.repeat([1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125], 10)
    np.testing.assert_array_equal(curve, expected)
    assert schedule.step_size_steps == 20


def test_step_decay_floor_and_fractional_step_size():
    # 4 epochs in 8 stretches: a drop every half epoch.
    schedule = StepDecay(1.0, n_epochs=4, steps_per_epoch=4, n_drops=7, gamma=0.1, min_learning_rate=0.005)
    assert schedule.step_size_steps == 2
    expected = [1, 1, 0.1, 0.1, 0.01, 0.01, 0.005, 0.005]
    np.testing.assert_allclose(schedule.simulate(8), expected, rtol=1e-14)


def test_fractional_warmup():
    schedule = CosineDecay(LR, n_epochs=10, steps_per_epoch=10, warmup=0.05)
    assert schedule.warmup_steps == 5
    assert schedule.decay_start == 5
    assert schedule(0) == pytest.approx(LR / 5, rel=1e-15)
    # A tiny fraction still warms up for one step rather than none.
    assert CosineDecay(LR, n_epochs=2, warmup=0.01).warmup_steps == 1


def test_decay_is_tied_to_the_number_of_epochs():
    short = LinearDecay(LR, n_epochs=5, steps_per_epoch=10)
    long = LinearDecay(LR, n_epochs=10, steps_per_epoch=10)
    # Half way through each run, whatever its length.
    assert short(25) == pytest.approx(LR / 2, rel=1e-14)
    assert long(50) == pytest.approx(LR / 2, rel=1e-14)


def test_fractional_decay_start_epoch_is_rounded_to_a_step():
    schedule = LinearDecay(LR, n_epochs=4, steps_per_epoch=10, decay_start_epoch=1.26)
    assert schedule.decay_start == 13
    assert schedule(12) == LR and schedule(14) < LR


def test_warmup_pushes_the_decay_start():
    schedule = CosineDecay(LR, n_epochs=4, steps_per_epoch=10, warmup=15, decay_start_epoch=1)
    assert schedule.decay_start == 15
    assert schedule(14) == LR and schedule(15) == LR and schedule(16) < LR


@pytest.mark.parametrize("schedule", SCHEDULES, ids=IDS)
def test_pickle_round_trip(schedule):
    clone = pickle.loads(pickle.dumps(schedule))
    assert repr(clone) == repr(schedule)
    np.testing.assert_array_equal(clone.simulate(90), schedule.simulate(90))


def test_immutable_and_repr():
    schedule = StepDecay(0.1, n_epochs=3, n_drops=2)
    assert schedule.step_size_steps == 1
    with pytest.raises(AttributeError):
        schedule.learning_rate_init = 1.0
    with pytest.raises(AttributeError):
        schedule.total_steps = 1
    assert repr(schedule) == (
        "StepDecay(0.1, n_epochs=3, steps_per_epoch=1, warmup=0, decay_start_epoch=0.0, "
        "min_learning_rate=0.0, n_drops=2, gamma=0.1)"
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(learning_rate_init=0.0), "Invalid learning_rate_init: 0.0"),
        (dict(learning_rate_init=-1.0), "Invalid learning_rate_init: -1.0"),
        (dict(learning_rate_init=np.inf), "Invalid learning_rate_init: inf"),
        (dict(n_epochs=0), "Invalid n_epochs: 0"),
        (dict(steps_per_epoch=0), "Invalid steps_per_epoch: 0"),
        (dict(min_learning_rate=0.5), "Invalid min_learning_rate: 0.5"),
        (dict(min_learning_rate=-1e-3), "Invalid min_learning_rate: -0.001"),
        (dict(warmup=-1), "Invalid warmup: -1"),
        (dict(warmup=1.0), "Invalid warmup: 1.0"),
        (dict(warmup=2.5), "Invalid warmup: 2.5"),
        (dict(decay_start_epoch=-0.5), "Invalid decay_start_epoch: -0.5"),
    ],
)
def test_invalid_arguments_raise_value_error(kwargs, match):
    args = dict(learning_rate_init=0.1, n_epochs=10, steps_per_epoch=10) | kwargs
    with pytest.raises(ValueError, match=match):
        CosineDecay(args.pop("learning_rate_init"), **args)


def test_a_warmup_or_decay_start_past_the_run_is_cut_to_the_run():
    """A short run still reaches its peak rate and keeps its planned decay layout."""
    schedule = CosineDecay(0.1, n_epochs=2, steps_per_epoch=5, warmup=500, decay_start_epoch=7)
    assert (schedule.warmup_steps, schedule.decay_start_epoch, schedule.decay_start) == (10, 2.0, 10)
    curve = schedule.simulate(12)
    assert curve[9] == 0.1 and curve[8] < 0.1
    assert curve[10] == 0.1 and curve[11] == 0.0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n_drops=0), "Invalid n_drops: 0"),
        (dict(gamma=0.0), "Invalid gamma: 0.0"),
        (dict(gamma=1.5), "Invalid gamma: 1.5"),
    ],
)
def test_invalid_step_decay_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        StepDecay(0.1, n_epochs=3, **kwargs)


@pytest.mark.parametrize(
    "call, exception, match",
    [
        (lambda s: s(-1), ValueError, "Invalid step: -1"),
        (lambda s: s(1.5), TypeError, "Invalid step: 1.5"),
        (lambda s: s.simulate(-2), ValueError, "Invalid n_steps: -2"),
        (lambda s: CosineDecay(0.1, n_epochs=2.0), TypeError, "Invalid n_epochs: 2.0"),
        (lambda s: CosineDecay(0.1, n_epochs=2, warmup=True), TypeError, "Invalid warmup: True"),
    ],
)
def test_invalid_types_and_steps(call, exception, match):
    with pytest.raises(exception, match=match):
        call(CosineDecay(0.1, n_epochs=3))


def test_numpy_integer_steps_are_accepted():
    schedule = CosineDecay(0.1, n_epochs=3)
    assert schedule(np.int64(1)) == schedule(1)
