"""partial_fit as a stream (issue 15): learning-rate rule, counters, the explosion guard, scaling, the chunk recipe."""

import math
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from skstab import FeatureAligner, StabilizedMLPClassifier
from skstab.exceptions import DivergenceError, DivergenceRecoveryWarning, HorizonExceededWarning
from skstab.training._guard import EXPLOSION_MARGIN

from ._mlp_helpers import ESTIMATORS, make_data, parametrize_estimator

#: 64-row chunks of 16-row batches: U = 4 optimizer updates per call.
CHUNK, BATCH, U = 64, 16, 4


def _stream(est, X, y, n_calls, chunk=CHUNK):
    classes = {"classes": np.unique(y)} if isinstance(est, StabilizedMLPClassifier) else {}
    for call in range(n_calls):
        rows = np.arange(call * chunk, (call + 1) * chunk) % X.shape[0]
        est.partial_fit(X[rows], y[rows], **classes)
    return est


def _data(Estimator, n_samples=256):
    return make_data(Estimator, n_samples=n_samples)


# -- the learning rate -------------------------------------------------------------------------------------------


@parametrize_estimator
@pytest.mark.parametrize("warmup", [0.05, 3])
def test_no_horizon_is_warmup_then_constant(Estimator, warmup):
    # lr(s) = learning_rate_init * min((s + 1) / W, 1), W from max_iter epochs of the first call's U updates.
    X, y = _data(Estimator)
    lr0, max_iter, n_calls = 1e-2, 50, 30
    est = Estimator(hidden_layer_sizes=(8,), learning_rate_init=lr0, batch_size=BATCH, warmup=warmup, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", HorizonExceededWarning)
        _stream(est, X, y, n_calls)
    W = warmup if isinstance(warmup, int) else max(round(warmup * max_iter * U), 1)
    expected = [lr0 * min((s + 1) / W, 1.0) for s in range(n_calls * U)]
    assert_allclose(est.lr_curve_, expected, rtol=1e-15, atol=0)
    # Well past max_iter calls of the old rule (one call = one epoch of max_iter), still at the peak.
    assert est.lr_curve_[-1] == lr0


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=["classifier", "regressor"])
def test_horizon_lays_the_schedule_over_that_many_calls(Estimator):
    X, y = _data(Estimator)
    lr0, lr_min, H = 1e-2, 1e-4, 6
    est = Estimator(
        hidden_layer_sizes=(8,),
        learning_rate_init=lr0,
        min_learning_rate=lr_min,
        batch_size=BATCH,
        warmup=2,
        partial_fit_horizon=H,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", HorizonExceededWarning)
        _stream(est, X, y, H)  # exactly the plan: no warning
    with pytest.warns(HorizonExceededWarning, match="partial_fit_horizon=6 calls") as record:
        _stream(est, X, y, 3)
    assert len(record) == 1  # once per stream
    # Cosine over T = H * U updates after W = 2 warmup updates, then held at its end.
    T, W = H * U, 2

    def cosine(s):
        if s < W:
            return lr0 * (s + 1) / W
        p = min(s - W, T - W) / (T - W)
        return lr_min + 0.5 * (lr0 - lr_min) * (1 + math.cos(math.pi * p))

    assert_allclose(est.lr_curve_, [cosine(s) for s in range(est.lr_curve_.size)], rtol=1e-12, atol=0)
    assert_array_equal(est.lr_curve_[T:], lr_min)


def test_horizon_is_read_on_the_first_call_and_ignored_by_fit():
    X, y = _data(StabilizedMLPClassifier)
    params = {"hidden_layer_sizes": (8,), "batch_size": BATCH, "max_iter": 3, "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = StabilizedMLPClassifier(**params).fit(X, y)
        horizon = StabilizedMLPClassifier(**params, partial_fit_horizon=2).fit(X, y)
    assert_array_equal(plain.lr_curve_, horizon.lr_curve_)
    # partial_fit after fit restarts a stream schedule from 0.3 * learning_rate_init, here laid out over the
    # horizon of 2 calls: the rate decays to min_learning_rate and then warns that it holds there.
    with pytest.warns(HorizonExceededWarning):
        _stream(horizon, X, y, 4)
    fit_updates = plain.lr_curve_.size
    assert horizon.lr_curve_[fit_updates:].max() <= 0.3 * horizon.learning_rate_init
    assert horizon.lr_curve_[fit_updates:].max() > 10 * horizon.min_learning_rate
    assert horizon.lr_curve_[-1] == pytest.approx(horizon.min_learning_rate)


# -- counters -----------------------------------------------------------------------------------------------------


@parametrize_estimator
def test_n_iter_counts_calls_and_t_counts_rows(Estimator):
    X, y = _data(Estimator)
    est = Estimator(hidden_layer_sizes=(8,), batch_size=BATCH, random_state=0)
    classes = {"classes": np.unique(y)} if Estimator is StabilizedMLPClassifier else {}
    sizes = [40, 17, 64, 9, 100]
    start = 0
    for call, size in enumerate(sizes, start=1):
        est.partial_fit(X[start : start + size], y[start : start + size], **classes)
        start += size
        assert est.n_iter_ == call == len(est.loss_curve_)
        assert est.t_ == sum(sizes[:call])
    # fit starts the count again.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.set_params(max_iter=2).fit(X, y)
    assert est.n_iter_ == 2
    assert est.t_ == 2 * X.shape[0]


# -- the explosion guard ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 4])
def test_noisy_stream_with_a_healthy_rate_never_recovers(seed):
    # 120 noisy 32-row chunks (30% flipped labels) at the default rate, constant schedule. Judged chunk by chunk
    # against the best chunk, a noisy chunk looks like an explosion, and every rollback to the best chunk's
    # weights invites the next (the rule partial_fit used to apply halved the rate 40+ times on these seeds);
    # the moving average does not. One member: the mean loss of an ensemble's members is too smooth to trip the rule.
    X, y = make_classification(n_samples=120 * 32, n_features=20, n_informative=5, flip_y=0.3, random_state=1)
    est = StabilizedMLPClassifier(hidden_layer_sizes=(32,), lr_schedule="constant", n_ensemble=1, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceRecoveryWarning)
        for call in range(120):
            est.partial_fit(X[call * 32 : (call + 1) * 32], y[call * 32 : (call + 1) * 32], classes=[0, 1])
    assert est.recoveries_ == []
    assert est.n_iter_ == 120
    assert_array_equal(est.lr_curve_[-50:], est.learning_rate_init)
    losses = np.array(est.loss_curve_)
    chunk_rule = losses[1:] > np.minimum.accumulate(losses)[:-1] + EXPLOSION_MARGIN * losses[0]
    assert chunk_rule.any(), "no chunk would have tripped the per-chunk rule: not noisy enough to test the guard"


def test_exploding_stream_is_cut_back_then_raises():
    # SGD at a rate of 3 without clipping, normalization or scaling: the calls' updates raise the loss on their own
    # chunks, each such call is rerun at half the rate, and once five cuts are in force the stream raises instead
    # of going on with a model it cannot train (it used to halve the rate forever and never raise).
    X, y = make_classification(n_samples=120 * 32, n_features=20, n_informative=5, flip_y=0.3, random_state=1)
    est = StabilizedMLPClassifier(
        hidden_layer_sizes=(32,),
        optimizer="sgd",
        learning_rate_init=3.0,
        clip_norm=None,
        normalization=None,
        input_scaling=None,
        lr_schedule="constant",
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceRecoveryWarning)
        with pytest.raises(DivergenceError, match=r"partial_fit diverged \(exploding loss\) in call \d+ .* halved 5"):
            for call in range(60):
                est.partial_fit(X[call * 32 : (call + 1) * 32], y[call * 32 : (call + 1) * 32], classes=[0, 1])
    # The failed call left the model as it was: finite, with the calls before it.
    # Calls 0 .. call - 1 trained; the failed call added nothing.
    assert call > 1
    assert est.n_iter_ == call
    assert np.isfinite(est.net_.params).all()
    assert {r["reason"] for r in est.recoveries_} == {"exploding loss"}


def test_non_finite_chunk_still_rolls_back():
    X, y = make_classification(n_samples=256, n_features=6, random_state=0)
    est = StabilizedMLPClassifier(hidden_layer_sizes=(8,), random_state=0)
    est.partial_fit(X[:64], y[:64], classes=[0, 1])
    before = est.net_.params.copy()
    with pytest.raises(ValueError):
        est.partial_fit(np.full((64, 6), np.inf), y[:64])
    assert_array_equal(est.net_.params, before)
    assert est.n_iter_ == 1


# -- classes and input scaling ----------------------------------------------------------------------------------


def test_classes_cannot_change_between_calls():
    X, y = make_classification(n_samples=64, n_features=4, random_state=0)
    est = StabilizedMLPClassifier(hidden_layer_sizes=(8,), random_state=0).partial_fit(X, y, classes=[0, 1])
    est.partial_fit(X, y)  # omitted: kept
    est.partial_fit(X, y, classes=[1, 0])  # the same set
    state = est.net_.params.copy()
    with pytest.raises(ValueError, match="the classes cannot change between calls"):
        est.partial_fit(X, y, classes=[0, 1, 2])
    assert_array_equal(est.net_.params, state)
    assert est.n_iter_ == 3


def test_input_scaling_statistics_come_from_the_first_call():
    X, y = make_classification(n_samples=256, n_features=4, random_state=0)
    X = X * [1.0, 10.0, 100.0, 1000.0]
    est = StabilizedMLPClassifier(hidden_layer_sizes=(8,), input_scaling="standard", random_state=0)
    est.partial_fit(X[:128], y[:128], classes=[0, 1])
    center, scale = est.input_center_.copy(), est.input_scale_.copy()
    assert_allclose(center, X[:128].mean(axis=0))
    est.partial_fit(X[128:] + 5.0, y[128:])
    assert_array_equal(est.input_center_, center)
    assert_array_equal(est.input_scale_, scale)


# -- the recipe of the user guide --------------------------------------------------------------------------------


def test_chunk_recipe_scaling_then_network_over_several_passes():
    # 1. one pass of FeatureAligner(clip=3).partial_fit over the chunks; 2. partial_fit of the network with
    # input_scaling=None over several shuffled passes, partial_fit_horizon = passes * chunks.
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
    chunks = np.array_split(np.arange(X_train.shape[0]), 10)
    passes = 20
    aligner = FeatureAligner(clip=3)
    for rows in chunks:
        aligner.partial_fit(X_train[rows])
    assert_allclose(aligner.mean_, X_train.mean(axis=0))  # the chunked statistics are the whole table's
    net = StabilizedMLPClassifier(
        hidden_layer_sizes=(32,), input_scaling=None, partial_fit_horizon=passes * len(chunks), random_state=0
    )
    rng = np.random.default_rng(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(passes):
            for index in rng.permutation(len(chunks)):
                rows = chunks[index]
                net.partial_fit(aligner.transform(X_train[rows]), y_train[rows], classes=[0, 1])
    streamed = make_pipeline(aligner, net)
    assert net.n_iter_ == passes * len(chunks)
    assert net.t_ == passes * X_train.shape[0]
    in_memory = make_pipeline(
        FeatureAligner(clip=3),
        StabilizedMLPClassifier(hidden_layer_sizes=(32,), input_scaling=None, max_iter=passes, random_state=0),
    ).fit(X_train, y_train)
    assert streamed.score(X_test, y_test) >= in_memory.score(X_test, y_test) - 0.02
    assert streamed.score(X_test, y_test) > 0.93
