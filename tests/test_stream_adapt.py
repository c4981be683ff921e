"""Streams that adapt (issue 21): new data is not divergence, rate cuts are bounded and undone, unseen classes."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_blobs, make_friedman1, make_regression
from sklearn.metrics import r2_score

from skstab import StabilizedMLPClassifier, StabilizedMLPRegressor
from skstab.exceptions import DivergenceError
from skstab.training._guard import STREAM_RESTORE_CALLS, sound_stream_call
from skstab.training._state import TrainingState


def test_a_shifted_target_is_learned_not_rolled_back():
    # scikit-learn's fine-tuning case: one row, target 4 then 1. Every call on the new target used to be rolled
    # back and halved (200 recoveries, rate 1e-62, prediction stuck at 4.0).
    est = StabilizedMLPRegressor(hidden_layer_sizes=(42,), learning_rate_init=0.01, random_state=42)
    for _ in range(200):
        est.partial_fit([[2.0]], [4.0])
    assert est.predict([[2.0]])[0] == pytest.approx(4.0, rel=0.02)
    # One row scales to an input of 0, so only output biases move the prediction, by about the learning rate
    # per call in target-scale units: with the old scale of 1 for a constant target 200 calls reached only 1.32.
    assert est.target_scale_[0] == 4.0
    for _ in range(200):
        est.partial_fit([[2.0]], [1.0])
    assert est.predict([[2.0]])[0] == pytest.approx(1.0, rel=0.1)  # 1.0001
    assert est.recoveries_ == []
    assert est.lr_curve_[-1] == est.learning_rate_init


def test_a_drifting_target_is_followed():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64 * 150, 3))
    y = X @ [1.0, 2.0, -1.0]
    est = StabilizedMLPRegressor(hidden_layer_sizes=(32,), batch_size=16, random_state=0)
    for call in range(150):
        rows = slice(call * 64, (call + 1) * 64)
        est.partial_fit(X[rows], y[rows] + (6.0 if call >= 50 else 0.0))
    X_new = rng.normal(size=(500, 3))
    new_mean = np.mean(X_new @ [1.0, 2.0, -1.0] + 6.0)  # 6.02
    assert np.mean(est.predict(X_new)) == pytest.approx(new_mean, rel=0.1)  # 5.67
    assert est.recoveries_ == []


def _blob_stream(order, X, y):
    est = StabilizedMLPClassifier(random_state=0)
    for start in range(0, order.size, 100):
        rows = order[start : start + 100]
        est.partial_fit(X[rows], y[rows], classes=[0, 1, 2, 3])
    return est


def test_a_class_absent_from_the_first_chunk_is_learned():
    X, y = make_blobs(n_samples=2000, centers=4, random_state=0)
    X_test, y_test, X, y = X[1600:], y[1600:], X[:1600], y[:1600]
    rng = np.random.default_rng(0)
    first = np.flatnonzero(y != 3)[:100]
    absent = np.concatenate([first, rng.permutation(np.setdiff1d(np.arange(1600), first))])
    every = rng.permutation(1600)
    assert 3 not in y[absent[:100]] and set(y[every[:100]]) == {0, 1, 2, 3}
    late = _blob_stream(absent, X, y)
    # Its starting logit: one pseudo-row among 100 + 4, not log(1e-6).
    assert late.recoveries_ == []
    score, reference = late.score(X_test, y_test), _blob_stream(every, X, y).score(X_test, y_test)
    assert score >= reference - 0.05  # 0.93 against 0.885 (0.26 before)


def test_a_stream_that_cannot_be_trained_raises():
    X, y = make_regression(n_samples=64 * 20, n_features=5, random_state=0)
    est = StabilizedMLPRegressor(
        hidden_layer_sizes=(16,), optimizer="sgd", learning_rate_init=1e4, clip_norm=None, normalization=None
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DivergenceError, match="partial_fit diverged .* halved 5 times"):
            for call in range(20):
                est.partial_fit(X[call * 64 : (call + 1) * 64], y[call * 64 : (call + 1) * 64])


def test_rate_cuts_are_undone_after_sound_calls():
    state = TrainingState(lr_scale=0.25, rate_cuts=2)
    for _ in range(STREAM_RESTORE_CALLS - 1):
        sound_stream_call(state)
    assert (state.lr_scale, state.rate_cuts) == (0.25, 2)
    sound_stream_call(state)
    assert (state.lr_scale, state.rate_cuts) == (0.5, 1)
    for _ in range(STREAM_RESTORE_CALLS):
        sound_stream_call(state)
    assert (state.lr_scale, state.rate_cuts) == (1.0, 0)
    for _ in range(STREAM_RESTORE_CALLS):
        sound_stream_call(state)
    assert state.lr_scale == 1.0  # never above the schedule


def test_partial_fit_after_fit_learns_a_shifted_target():
    # fit ends near min_learning_rate; the first partial_fit restarts a stream schedule at 0.3 * learning_rate_init.
    X, y = make_friedman1(n_samples=1000, noise=0.5, random_state=0)
    X_test, y_test, X, y = X[800:], y[800:], X[:800], y[:800]
    shift = np.std(y)
    est = StabilizedMLPRegressor(random_state=0).fit(X, y)
    before = est.predict(X_test)
    for _ in range(3):
        est.partial_fit(X, y + shift)
    after = est.predict(X_test)
    assert np.mean(after - before) / shift > 0.8  # 0.92 (0.0 when it continued at the fit's final rate)
    assert r2_score(y_test, after - shift) > 0.85  # the fitted relation is kept: 0.919 (0.944 after fit)
    assert est.lr_curve_[-1] == pytest.approx(0.3 * est.learning_rate_init)
    assert est.recoveries_ == []
