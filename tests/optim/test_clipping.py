"""Tests for global gradient-norm clipping."""

import math

import numpy as np
import pytest

from skstab.optim import clip_grad_norm_


def _cosine(a, b):
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.mark.parametrize("max_norm", [0.5, 1.0, 3.0])
def test_clipping_keeps_direction_and_hits_max_norm(max_norm, rng):
    grads = rng.standard_normal(1000) * 2.0
    before = grads.copy()
    norm = clip_grad_norm_(grads, max_norm)

    assert isinstance(norm, float)
    assert norm == pytest.approx(np.linalg.norm(before), rel=1e-12)
    assert np.linalg.norm(grads) == pytest.approx(max_norm, rel=1e-6)
    assert np.linalg.norm(grads) <= max_norm
    assert _cosine(grads, before) == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(grads, before * (max_norm / (norm + 1e-6)), rtol=1e-15)


def test_no_op_under_the_threshold(rng):
    grads = rng.standard_normal(50)
    before = grads.copy()
    norm = clip_grad_norm_(grads, max_norm=np.linalg.norm(before) * 1.01)
    np.testing.assert_array_equal(grads, before)
    assert norm == pytest.approx(np.linalg.norm(before), rel=1e-12)


@pytest.mark.parametrize("max_norm", [None, math.inf])
def test_measure_only(max_norm, rng):
    grads = rng.standard_normal(50) * 1e3
    before = grads.copy()
    assert clip_grad_norm_(grads, max_norm) == pytest.approx(np.linalg.norm(before), rel=1e-12)
    np.testing.assert_array_equal(grads, before)


def test_list_of_arrays_uses_the_global_norm(rng):
    weight = rng.standard_normal((4, 3))
    bias = rng.standard_normal(3) * 10
    flat = np.concatenate([weight.ravel(), bias])
    expected_norm = np.linalg.norm(flat)

    norm = clip_grad_norm_([weight, bias], max_norm=1.0)

    assert norm == pytest.approx(expected_norm, rel=1e-12)
    clipped = np.concatenate([weight.ravel(), bias])
    # One scale for all arrays: the global direction is kept, not each array's norm.
    np.testing.assert_allclose(clipped, flat * (1.0 / (expected_norm + 1e-6)), rtol=1e-13)
    assert np.linalg.norm(clipped) == pytest.approx(1.0, rel=1e-6)


def test_float32_is_scaled_in_place_and_stays_float32(rng):
    grads = (rng.standard_normal(10_000) * 5).astype(np.float32)
    before = grads.copy()
    view = grads
    norm = clip_grad_norm_(grads, max_norm=1.0)
    assert view is grads and grads.dtype == np.float32
    assert norm == pytest.approx(np.linalg.norm(before.astype(np.float64)), rel=1e-5)
    assert np.linalg.norm(grads.astype(np.float64)) == pytest.approx(1.0, rel=1e-5)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_norm_is_returned_unscaled(bad, rng):
    grads = rng.standard_normal(20)
    grads[7] = bad
    before = grads.copy()
    norm = clip_grad_norm_(grads, max_norm=1.0)
    assert not math.isfinite(norm)
    assert math.isnan(norm) == math.isnan(bad)
    np.testing.assert_array_equal(grads, before)


def test_float32_overflow_is_recomputed_in_float64():
    grads = np.full(1000, 1e20, dtype=np.float32)
    with np.errstate(over="ignore"):
        assert not np.isfinite(np.dot(grads, grads))  # the fast path overflows
    expected = float(np.linalg.norm(grads.astype(np.float64)))

    norm = clip_grad_norm_(grads, max_norm=2.0)

    assert math.isfinite(norm)
    assert norm == pytest.approx(expected, rel=1e-6)
    assert np.all(np.isfinite(grads))
    assert np.linalg.norm(grads.astype(np.float64)) == pytest.approx(2.0, rel=1e-5)


def test_float64_overflow_is_recomputed_with_rescaling():
    grads = np.array([3e200, 4e200])
    assert clip_grad_norm_(grads, max_norm=None) == pytest.approx(5e200, rel=1e-14)


def test_zero_gradient():
    grads = np.zeros(5)
    assert clip_grad_norm_(grads, max_norm=1.0) == 0.0
    np.testing.assert_array_equal(grads, 0.0)


@pytest.mark.parametrize("max_norm", [0.0, -1.0, np.nan])
def test_invalid_max_norm(max_norm):
    with pytest.raises(ValueError, match="Invalid max_norm"):
        clip_grad_norm_(np.ones(3), max_norm)


@pytest.mark.parametrize("grads", [np.ones(3, dtype=int), [np.ones(2), [1.0, 2.0]]])
def test_non_float_grads_raise(grads):
    with pytest.raises(TypeError, match="grads must be a floating-point ndarray"):
        clip_grad_norm_(grads, 1.0)
