"""The guide's seven pitfalls as guards, divergence recovery and interruption."""

import os
import signal
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    make_classification,
    make_regression,
)
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from skstab import FeatureAligner, StabilizedMLPClassifier, StabilizedMLPRegressor
from skstab.exceptions import (
    DivergenceError,
    DivergenceRecoveryWarning,
    GradientClippingWarning,
    ScaleDisparityWarning,
    SmallBatchNormWarning,
    TrainingInterruptedWarning,
)
from skstab.nn import BatchEnsembleDense, Dense
from skstab.optim import OPTIMIZERS, AdamW
from skstab.training._state import MAX_RECOVERIES

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SMALL = {"hidden_layer_sizes": (16,), "random_state": 0, "max_iter": 5}
ESTIMATORS = [StabilizedMLPClassifier, StabilizedMLPRegressor]


@pytest.fixture
def data():
    X, y = make_classification(n_samples=120, n_features=6, random_state=0)
    return X, y


def _categories(caught):
    return [w.category for w in caught]


# -- pitfall 1: zero-scaling ---------------------------------------------------------


def test_scale_disparity_warns_on_raw_features_and_names_them():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    with pytest.warns(ScaleDisparityWarning, match="FeatureAligner") as caught:
        StabilizedMLPClassifier(input_scaling=None, **SMALL).fit(X, y)
    assert "'worst area'" in str(caught[0].message)


@pytest.mark.parametrize("input_scaling", ["robust", "standard"])
def test_no_scale_warning_when_the_estimator_scales_its_inputs(input_scaling):
    X, y = load_breast_cancer(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ScaleDisparityWarning)
        StabilizedMLPClassifier(input_scaling=input_scaling, **SMALL).fit(X, y)


def test_no_scale_warning_behind_feature_aligner():
    X, y = load_breast_cancer(return_X_y=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        make_pipeline(FeatureAligner(), StabilizedMLPClassifier(**SMALL)).fit(X, y)
    assert ScaleDisparityWarning not in _categories(caught)


def test_scale_check_ignores_constant_columns(data):
    X, y = data
    X = np.c_[X, np.zeros(len(X))]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        StabilizedMLPClassifier(**SMALL).fit(X, y)
    assert ScaleDisparityWarning not in _categories(caught)


# -- pitfall 2: batch-norm underflow ----------------------------------------------------


def test_batch_norm_with_small_batches_warns(data):
    X, y = data
    with pytest.warns(SmallBatchNormWarning, match="gradient_accumulation_steps"):
        StabilizedMLPClassifier(normalization="batch", batch_size=4, **SMALL).fit(X, y)


@pytest.mark.parametrize(
    "params", [{"normalization": "auto"}, {"normalization": "batch", "gradient_accumulation_steps": 2}]
)
def test_no_small_batch_warning_when_guarded(params, data):
    X, y = data
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = StabilizedMLPClassifier(batch_size=4, **params, **SMALL).fit(X, y)
    assert SmallBatchNormWarning not in _categories(caught)
    if params["normalization"] == "auto":
        assert type(est.net_.layers[1]).__name__ == "LayerNorm"


def test_gradient_accumulation_equals_a_larger_batch(data):
    # Without batch statistics, averaging the gradients of two batches of 8 is
    # one update on their 16 rows.
    X, y = data
    common = dict(normalization="layer", shuffle=False, **SMALL)
    accumulated = StabilizedMLPClassifier(batch_size=8, gradient_accumulation_steps=2, **common).fit(X, y)
    large = StabilizedMLPClassifier(batch_size=16, **common).fit(X, y)
    # 15 batches of 8 make 8 updates an epoch, like 7 batches of 16 and one of 8.
    assert len(accumulated.lr_curve_) == len(large.lr_curve_) == 5 * 8
    assert_allclose(accumulated.net_.params, large.net_.params, rtol=1e-9, atol=1e-12)


# -- pitfall 3: momentum overshoot ------------------------------------------------------


def test_warmup_is_on_by_default_and_beta_1_warmup_is_available(data):
    X, y = data
    est = StabilizedMLPClassifier(batch_size=16, **SMALL).fit(X, y)  # 40 updates, 2 of warmup
    assert_allclose(est.lr_curve_[:3], [est.learning_rate_init / 2, est.learning_rate_init, est.learning_rate_init])
    est = StabilizedMLPClassifier(beta_1_warmup=True, **SMALL).fit(X, y)
    assert est._optimizer.beta_1_at(1) == 0.5 and est._optimizer.beta_1_warmup_steps >= 1


# -- pitfall 4: Adam's generalization gap -----------------------------------------------


def test_adamw_by_default_never_decays_biases_or_normalization(data):
    X, y = data
    est = StabilizedMLPClassifier(**SMALL).fit(X, y)
    assert type(est._optimizer) is AdamW
    net = est.net_
    assert_array_equal(est._optimizer.decay_mask, net.decay_mask)
    before = net.params.copy()
    # From a fresh state, a step with no gradient only decays: dense weights
    # shrink, nothing else moves.
    fresh = AdamW(weight_decay=est.weight_decay, decay_mask=est._optimizer.decay_mask)
    fresh.step(net.params, np.zeros_like(net.grads), lr=0.5)
    for layer in net.layers:
        for key, value in layer.params.items():
            start = value.__array_interface__["data"][0] - net.params.__array_interface__["data"][0]
            block = slice(start // net.params.itemsize, start // net.params.itemsize + value.size)
            if key == "W" and isinstance(layer, (Dense, BatchEnsembleDense)):
                assert_allclose(net.params[block], before[block] * (1 - 0.5 * est.weight_decay))
            else:
                assert_array_equal(net.params[block], before[block])


# -- pitfall 5: LR decay miscalibration --------------------------------------------------


def test_decay_is_tied_to_epochs_not_steps(data):
    X, y = data
    curves = []
    for batch_size in (8, 24):
        est = StabilizedMLPClassifier(batch_size=batch_size, warmup=0, **SMALL).fit(X, y)
        steps = len(est.lr_curve_) // 5
        curves.append(est.lr_curve_[::steps])  # the first update of every epoch
    # Whatever the batch size, each epoch starts at the same point of the cosine.
    assert_allclose(curves[0], curves[1], rtol=1e-12)


def test_decay_start_epoch_holds_the_peak(data):
    X, y = data
    est = StabilizedMLPClassifier(batch_size=24, warmup=0, decay_start_epoch=3, **SMALL).fit(X, y)
    steps = len(est.lr_curve_) // 5
    assert_array_equal(est.lr_curve_[: 3 * steps], est.learning_rate_init)
    assert est.lr_curve_[3 * steps + 1] < est.learning_rate_init  # decay progress 0 at its first update


# -- pitfall 6 (inference statistics) is covered in test_training.py --------------------

# -- pitfall 7: gradient explosion ------------------------------------------------------


def test_persistent_clipping_warns_with_figures(data):
    X, y = data
    with pytest.warns(GradientClippingWarning, match="clip_fraction_curve_"):
        est = StabilizedMLPClassifier(clip_norm=1e-4, **{**SMALL, "max_iter": 12}).fit(X, y)
    assert est.clip_fraction_curve_[-1] == 1.0


def test_no_clipping_warning_on_a_healthy_run(data):
    X, y = data
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        make_pipeline(FeatureAligner(), StabilizedMLPClassifier(**{**SMALL, "max_iter": 20})).fit(X, y)
    assert GradientClippingWarning not in _categories(caught)


# -- divergence recovery -------------------------------------------------------------------


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_learning_rate_10_ends_finite(Estimator):
    X, y = make_regression(n_samples=200, n_features=5, random_state=0)
    y = y > 0 if Estimator is StabilizedMLPClassifier else y / np.std(y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = Estimator(learning_rate_init=10.0, min_learning_rate=0.0, **SMALL).fit(X, y)
    assert np.isfinite(est.net_.params).all()
    predictions = est.predict(X)
    if Estimator is StabilizedMLPRegressor:
        assert np.isfinite(predictions).all()
    else:
        assert set(predictions) <= {False, True}


class _CorruptingAdamW(AdamW):
    """AdamW that writes NaN into the parameters at every update: training can never recover."""

    def step(self, params, grads, lr):
        super().step(params, grads, lr)
        params[0] = np.nan


def test_endless_divergence_raises_and_keeps_the_fitted_model(monkeypatch, data):
    X, y = data
    est = StabilizedMLPClassifier(warm_start=True, **SMALL).fit(X, y)
    params, predictions = est.net_.params.copy(), est.predict_proba(X)
    monkeypatch.setitem(OPTIMIZERS, "corrupting", _CorruptingAdamW)
    with pytest.raises(DivergenceError, match="non-finite") as error:
        est.set_params(optimizer="corrupting").fit(X, y)
    assert isinstance(error.value, ValueError)
    assert str(MAX_RECOVERIES) in str(error.value)
    assert_array_equal(est.net_.params, params)
    assert_array_equal(est.predict_proba(X), predictions)
    assert len(est.loss_curve_) == 5


# -- interruption --------------------------------------------------------------------------


def _interrupting_adamw(update, how):
    """An AdamW subclass that interrupts training right after update number ``update``."""

    class InterruptingAdamW(AdamW):
        def step(self, params, grads, lr):
            super().step(params, grads, lr)
            if self.t == update:
                if how == "signal":
                    os.kill(os.getpid(), signal.SIGINT)
                else:
                    raise KeyboardInterrupt

    return InterruptingAdamW


@pytest.fixture
def python_sigint_handler():
    """Python's own Ctrl-C handler for the test, whatever the test process was started with.

    A process started in the background or under nohup ignores SIGINT from
    its start, and a fit leaves that alone.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_ctrl_c_stops_after_the_current_step(monkeypatch, data, python_sigint_handler):
    X, y = data
    monkeypatch.setitem(OPTIMIZERS, "interrupting", _interrupting_adamw(7, "signal"))
    with pytest.warns(TrainingInterruptedWarning):
        est = StabilizedMLPClassifier(batch_size=16, optimizer="interrupting", **SMALL).fit(X, y)
    assert len(est.lr_curve_) == 7 and est.n_iter_ == 1
    assert np.isfinite(est.predict_proba(X)).all()
    # The handler is removed again after fit.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_fit_leaves_an_ignored_ctrl_c_ignored(monkeypatch, data):
    X, y = data
    monkeypatch.setitem(OPTIMIZERS, "interrupting", _interrupting_adamw(7, "signal"))
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", TrainingInterruptedWarning)
            est = StabilizedMLPClassifier(batch_size=16, optimizer="interrupting", **SMALL).fit(X, y)
        assert est.n_iter_ == SMALL["max_iter"]
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)


def test_keyboard_interrupt_mid_epoch_rolls_back_to_the_epoch_start(monkeypatch, data):
    X, y = data
    # Inside the second epoch (8 updates each).
    monkeypatch.setitem(OPTIMIZERS, "interrupting", _interrupting_adamw(11, "raise"))
    with pytest.warns(TrainingInterruptedWarning):
        est = StabilizedMLPClassifier(batch_size=16, optimizer="interrupting", **SMALL).fit(X, y)
    assert est.n_iter_ == 1 and len(est.lr_curve_) == 8
    assert np.isfinite(est.predict_proba(X)).all()


def test_exceptions_are_user_warnings():
    for cls in (
        ScaleDisparityWarning,
        SmallBatchNormWarning,
        GradientClippingWarning,
        DivergenceRecoveryWarning,
        TrainingInterruptedWarning,
    ):
        assert issubclass(cls, UserWarning)
    assert issubclass(DivergenceError, ValueError)


def test_dataframe_feature_names_reach_the_scale_warning():
    frame = pd.DataFrame({"small": np.linspace(0, 1e-3, 50), "large": np.linspace(0, 1e3, 50)})
    with pytest.warns(ScaleDisparityWarning, match="'large'.*'small'"):
        StabilizedMLPRegressor(input_scaling=None, **SMALL).fit(frame, np.arange(50.0))


def test_exploding_loss_returns_to_the_best_epoch_at_half_the_rate():
    # At a learning rate of 1.5 the loss climbs while every number stays finite;
    # each time, training returns to its best epoch and halves the rate. With
    # this seed the climb of epoch 5 overshoots the explosion margin by 13% with
    # either accelerator, whose losses agree to 1e-6 up to there, so the last
    # bits another CPU's kernels change cannot hide it. Dropout is off: numpy and
    # numba draw different masks, and at this rate most seeds of either end in a
    # network that predicts a constant instead (seeds 1 to 16 were tried).
    X, y = load_digits(return_X_y=True)
    X, X_test, y, y_test = train_test_split(X, y, random_state=0)
    estimator = StabilizedMLPClassifier(learning_rate_init=1.5, dropout=0.0, random_state=3)
    model = make_pipeline(FeatureAligner(), estimator)
    with pytest.warns(DivergenceRecoveryWarning, match="exploding loss"):
        model.fit(X, y)
    est = model[-1]
    assert est.recoveries_ and all(r["reason"] == "exploding loss" for r in est.recoveries_)
    assert [r["lr_scale"] for r in est.recoveries_] == [0.5**k for k in range(1, len(est.recoveries_) + 1)]
    assert len(est.loss_curve_) == est.n_iter_ == est.max_iter  # rollbacks of this kind keep the budget
    assert model.score(X_test, y_test) > 0.9


def test_fit_in_another_thread_leaves_signal_handling_alone(data, python_sigint_handler):
    import threading

    X, y = data
    result = {}

    def work():
        result["model"] = StabilizedMLPClassifier(**SMALL).fit(X, y)

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    assert result["model"].n_iter_ == SMALL["max_iter"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
