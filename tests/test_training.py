"""Training behaviour shared by StabilizedMLPClassifier and StabilizedMLPRegressor.

Sample weights, reproducibility, partial_fit, warm start, early stopping, the
stopping rule, the training curves, normalization, batching, dtypes, errors,
the fitted-attribute layout, persistence, logging and ConvergenceWarning.
"""

import inspect
import logging
import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import ClassifierMixin, clone
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils.validation import check_is_fitted

import skstab._mlp as mlp_module
from skstab import StabilizedMLPClassifier, StabilizedMLPRegressor
from skstab._training import MIN_BATCH_ROWS, batch_bounds
from skstab.nn import BatchNorm, Dense, GroupNorm, LayerNorm

ESTIMATORS = [StabilizedMLPClassifier, StabilizedMLPRegressor]
NORM_LAYERS = (BatchNorm, LayerNorm, GroupNorm)

FAST = {"hidden_layer_sizes": (16,), "max_iter": 10, "learning_rate_init": 1e-2, "random_state": 0}

parametrize_estimator = pytest.mark.parametrize(
    "Estimator", ESTIMATORS, ids=["classifier", "regressor"]
)
ignore_convergence = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _is_classifier(estimator):
    """Whether an estimator class or instance is a classifier."""
    cls = estimator if isinstance(estimator, type) else type(estimator)
    return issubclass(cls, ClassifierMixin)


def _data(Estimator, n_samples=60, n_features=6, noise=1.0):
    if _is_classifier(Estimator):
        return make_classification(n_samples=n_samples, n_features=n_features, random_state=0)
    X, y = make_regression(n_samples=n_samples, n_features=n_features, noise=noise, random_state=0)
    return X, y / y.std()


def _outputs(est, X):
    """What the estimator's predictions rest on: probabilities or values."""
    return est.predict_proba(X) if _is_classifier(est) else est.predict(X)


def _assert_same_params(a, b):
    for p, q in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert_array_equal(p, q)


def _record_splits(monkeypatch):
    """Record the (X_train, X_val, Y_train, Y_val, ...) of each early-stopping split."""
    splits = []
    original = mlp_module.train_test_split

    def recording_split(*arrays, **kwargs):
        parts = original(*arrays, **kwargs)
        splits.append(parts)
        return parts

    monkeypatch.setattr(mlp_module, "train_test_split", recording_split)
    return splits


def _held_out_score(est, X_val, Y_val):
    """The early-stopping score of the current weights on an encoded validation split."""
    if _is_classifier(est):
        return accuracy_score(Y_val[:, 0].astype(int), est.predict(X_val))
    return r2_score(Y_val[:, 0], est.predict(X_val))


# -- sample_weight -----------------------------------------------------------------


@ignore_convergence
@parametrize_estimator
def test_sample_weight_integer_equals_repeated_rows(Estimator, rng):
    X, y = _data(Estimator)
    sw = rng.integers(1, 4, size=X.shape[0])
    params = {**FAST, "batch_size": 256}  # one full batch per epoch for both fits
    weighted = Estimator(**params).fit(X, y, sample_weight=sw)
    repeated = Estimator(**params).fit(np.repeat(X, sw, axis=0), np.repeat(y, sw))

    assert isinstance(weighted.net_.layers[1], BatchNorm)
    assert_allclose(_outputs(weighted, X), _outputs(repeated, X), rtol=1e-7, atol=1e-12)


@ignore_convergence
@parametrize_estimator
def test_sample_weight_zero_equals_removed_rows(Estimator, rng):
    X, y = _data(Estimator)
    sw = (rng.uniform(size=X.shape[0]) > 0.3).astype(float)
    keep = sw > 0
    params = {**FAST, "batch_size": 256}
    weighted = Estimator(**params).fit(X, y, sample_weight=sw)
    removed = Estimator(**params).fit(X[keep], y[keep])

    assert_allclose(_outputs(weighted, X), _outputs(removed, X), rtol=1e-7, atol=1e-12)


@parametrize_estimator
def test_sample_weight_negative_raises(Estimator):
    X, y = _data(Estimator)
    sw = np.ones(X.shape[0])
    sw[3] = -1.0
    with pytest.raises(ValueError, match="Negative"):
        Estimator(**FAST).fit(X, y, sample_weight=sw)


@parametrize_estimator
def test_sample_weight_all_zero_raises(Estimator):
    X, y = _data(Estimator)
    with pytest.raises(ValueError, match="non-zero"):
        Estimator(**FAST).fit(X, y, sample_weight=np.zeros(X.shape[0]))


@ignore_convergence
@parametrize_estimator
def test_sample_weight_changes_fit(Estimator, rng):
    X, y = _data(Estimator)
    plain = Estimator(**FAST).fit(X, y)
    weighted = Estimator(**FAST).fit(X, y, sample_weight=rng.uniform(0.1, 3.0, size=X.shape[0]))
    assert not np.allclose(_outputs(plain, X), _outputs(weighted, X))


# -- reproducibility ---------------------------------------------------------------


@ignore_convergence
@parametrize_estimator
def test_random_state_reproducible(Estimator):
    X, y = _data(Estimator)
    a = Estimator(**FAST).fit(X, y)
    b = Estimator(**FAST).fit(X, y)
    _assert_same_params(a, b)
    assert a.loss_curve_ == b.loss_curve_
    assert_array_equal(_outputs(a, X), _outputs(b, X))
    assert_array_equal(a.predict(X), b.predict(X))

    c = Estimator(**{**FAST, "random_state": 1}).fit(X, y)
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])
    assert a.loss_curve_ != c.loss_curve_


@ignore_convergence
@parametrize_estimator
def test_fit_idempotent(Estimator):
    X, y = _data(Estimator)
    est = Estimator(**FAST).fit(X, y)
    first = [p.copy() for p in est.coefs_ + est.intercepts_]
    first_curve = list(est.loss_curve_)
    first_out = _outputs(est, X)

    est.fit(X, y)
    for p, q in zip(first, est.coefs_ + est.intercepts_):
        assert_array_equal(p, q)
    assert est.loss_curve_ == first_curve
    assert est.n_iter_ == len(first_curve)
    assert_array_equal(_outputs(est, X), first_out)


@ignore_convergence
@parametrize_estimator
def test_shuffle(Estimator):
    X, y = _data(Estimator)
    # One full batch: the row order only changes the summation order.
    full = {**FAST, "batch_size": 256}
    shuffled = Estimator(shuffle=True, **full).fit(X, y)
    ordered = Estimator(shuffle=False, **full).fit(X, y)
    assert_allclose(_outputs(shuffled, X), _outputs(ordered, X), rtol=1e-7, atol=1e-12)

    # Minibatches: shuffling changes which rows share an update.
    mini = {**FAST, "batch_size": 16}
    shuffled = Estimator(shuffle=True, **mini).fit(X, y)
    ordered = Estimator(shuffle=False, **mini).fit(X, y)
    assert not np.allclose(_outputs(shuffled, X), _outputs(ordered, X))


# -- partial_fit -------------------------------------------------------------------


def _partial_fit(est, X, y):
    if _is_classifier(est):
        return est.partial_fit(X, y, classes=np.unique(y))
    return est.partial_fit(X, y)


@ignore_convergence
@parametrize_estimator
def test_partial_fit_equals_fit(Estimator):
    # The shuffling RNG, the schedule, the optimizer and BatchNorm statistics
    # all continue across calls, so k calls are one k-epoch fit.
    X, y = _data(Estimator)
    k = 5
    params = {**FAST, "max_iter": k, "batch_size": 16, "n_iter_no_change": np.inf}
    fitted = Estimator(**params).fit(X, y)
    partial = Estimator(**params)
    for _ in range(k):
        _partial_fit(partial, X, y)

    _assert_same_params(fitted, partial)
    assert partial.loss_curve_ == fitted.loss_curve_
    assert_array_equal(partial.lr_curve_, fitted.lr_curve_)
    assert_array_equal(partial.grad_norm_curve_, fitted.grad_norm_curve_)
    assert partial.t_ == fitted.t_ == k * X.shape[0]
    assert_array_equal(_outputs(partial, X), _outputs(fitted, X))


@parametrize_estimator
def test_partial_fit_keeps_optimizer_state(Estimator):
    X, y = _data(Estimator)
    est = Estimator(**{**FAST, "batch_size": 16})
    steps = len(batch_bounds(X.shape[0], 16))
    _partial_fit(est, X, y)
    optimizer = est._optimizer
    for call in range(1, 4):
        if call > 1:
            _partial_fit(est, X, y)
        assert est._optimizer is optimizer
        assert optimizer.t == call * steps
        assert est.n_iter_ == 1
        assert est.t_ == call * X.shape[0]
        assert len(est.loss_curve_) == call
        assert len(est.lr_curve_) == call * steps


@parametrize_estimator
def test_partial_fit_errors(Estimator):
    X, y = _data(Estimator)
    est = Estimator(early_stopping=True, **FAST)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
        _partial_fit(est, X, y)


@ignore_convergence
@parametrize_estimator
def test_mlp_partial_fit_after_fit(Estimator):
    X, y = _data(Estimator)
    est = Estimator(**FAST).fit(X, y)
    before = [p.copy() for p in est.coefs_]
    n_epochs, t = len(est.loss_curve_), est.t_
    est.partial_fit(X, y)

    assert est.n_iter_ == 1
    assert len(est.loss_curve_) == n_epochs + 1
    assert est.t_ == t + X.shape[0]
    # Continued from the fitted weights rather than from a new initialization.
    assert max(np.abs(a - b).max() for a, b in zip(before, est.coefs_)) < 0.1


# -- warm_start --------------------------------------------------------------------


@parametrize_estimator
def test_warm_start_full_iteration(Estimator):
    X, y = _data(Estimator)
    max_iter = 5
    params = {**FAST, "max_iter": max_iter, "tol": 0.0, "n_iter_no_change": 1000}
    params["warm_start"] = True
    est = Estimator(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
        assert est.n_iter_ == max_iter
        first = [p.copy() for p in est.coefs_]
        est.fit(X, y)
    assert est.n_iter_ == max_iter
    assert len(est.loss_curve_) == 2 * max_iter
    assert est.t_ == 2 * max_iter * X.shape[0]
    assert len(est.lr_curve_) == 2 * max_iter * len(batch_bounds(X.shape[0], est.batch_size))
    # The second fit starts where the first ended, not from scratch.
    assert est.loss_curve_[max_iter] < est.loss_curve_[0]
    assert est.loss_curve_[max_iter] < est.loss_curve_[max_iter - 1] * 1.5
    assert not np.array_equal(first[0], est.coefs_[0])


@ignore_convergence
@parametrize_estimator
def test_warm_start_off_restarts(Estimator):
    X, y = _data(Estimator)
    est = Estimator(**FAST).fit(X, y)
    curve = list(est.loss_curve_)
    est.fit(X, y)
    assert est.loss_curve_ == curve


@ignore_convergence
@parametrize_estimator
def test_warm_start_n_features_change_raises(Estimator):
    X, y = _data(Estimator)
    est = Estimator(warm_start=True, **FAST).fit(X, y)
    message = f"X has 5 features, but {Estimator.__name__} is expecting 6 features as input"
    with pytest.raises(ValueError, match=message):
        est.fit(X[:, :5], y)


# -- early stopping ----------------------------------------------------------------


def _early_stopping_data(Estimator):
    if _is_classifier(Estimator):
        return make_classification(n_samples=120, n_features=6, flip_y=0.2, random_state=0)
    return _data(Estimator, n_samples=120, noise=20.0)


@parametrize_estimator
def test_early_stopping(Estimator, monkeypatch):
    splits = _record_splits(monkeypatch)
    X, y = _early_stopping_data(Estimator)
    max_iter = 40
    est = Estimator(
        hidden_layer_sizes=(16,),
        early_stopping=True,
        learning_rate_init=5e-2,
        max_iter=max_iter,
        tol=0.0,
        n_iter_no_change=3,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, y)

    assert est.n_iter_ < max_iter
    assert len(est.validation_scores_) == est.n_iter_
    assert len(est.loss_curve_) == est.n_iter_
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert est.best_loss_ is None
    # The best weights, not the last ones, are restored.
    (parts,) = splits
    X_val, Y_val = parts[1], parts[3]
    assert X_val.shape[0] == int(np.ceil(0.1 * X.shape[0]))
    assert _held_out_score(est, X_val, Y_val) == est.best_validation_score_
    if not _is_classifier(Estimator):
        assert est.validation_scores_[-1] < est.best_validation_score_


@ignore_convergence
@parametrize_estimator
def test_no_early_stopping_attributes(Estimator):
    X, y = _data(Estimator)
    est = Estimator(**FAST).fit(X, y)
    assert est.validation_scores_ is None
    assert est.best_validation_score_ is None
    assert est.best_loss_ == min(est.loss_curve_)
    assert est.loss_ == est.loss_curve_[-1]


@parametrize_estimator
def test_minimum_input_sample_size(Estimator):
    X, y = _data(Estimator, n_samples=10)
    est = Estimator(early_stopping=True, validation_fraction=0.1, **FAST)
    with pytest.raises(ValueError, match="validation set is too small"):
        est.fit(X, y)


@parametrize_estimator
def test_mlp_warm_start_with_early_stopping(Estimator):
    # As in scikit-learn, best_validation_score_ and the best weights carry
    # over a warm start: a warm fit that never beats the earlier best keeps
    # the earlier best weights, so the two attributes stay consistent.
    X, y = _early_stopping_data(Estimator)
    params = {**FAST, "learning_rate_init": 5e-2, "max_iter": 40, "tol": 0.0, "n_iter_no_change": 3}
    est = Estimator(early_stopping=True, warm_start=True, **params).fit(X, y)
    first_best = est.best_validation_score_
    first_coefs = [p.copy() for p in est.coefs_ + est.intercepts_]
    n_scores = len(est.validation_scores_)

    # A learning rate so high that every epoch of the warm fit is worse.
    est.set_params(learning_rate_init=1.0, min_learning_rate=0.5, max_iter=3, clip_norm=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    new_scores = est.validation_scores_[n_scores:]
    assert len(new_scores) == est.n_iter_
    # The divergence safeguard may return to the starting weights, which score
    # first_best exactly; no epoch does better.
    assert max(new_scores) <= first_best

    assert est.best_validation_score_ == first_best
    for p, q in zip(first_coefs, est.coefs_ + est.intercepts_):
        assert_array_equal(p, q)


@parametrize_estimator
def test_warm_fits_hold_out_the_same_rows(Estimator, monkeypatch):
    # Best validation scores are compared across warm fits, so every fit must
    # score on the same held-out rows.
    splits = _record_splits(monkeypatch)
    X, y = _early_stopping_data(Estimator)
    est = Estimator(early_stopping=True, warm_start=True, **{**FAST, "max_iter": 2}).fit(X, y)
    est.fit(X, y)
    assert len(splits) == 2
    assert_array_equal(splits[0][1], splits[1][1])


# -- stopping rule -----------------------------------------------------------------


@pytest.mark.parametrize("n_iter_no_change", [1, 2, 5])
@parametrize_estimator
def test_n_iter_no_change(Estimator, n_iter_no_change):
    # The first epoch improves on +inf; every later one fails to improve by
    # tol, and training stops once more than n_iter_no_change epochs in a row
    # did, as in scikit-learn: n_iter_no_change + 2 epochs.
    X, y = _data(Estimator)
    est = Estimator(**{**FAST, "max_iter": 50, "tol": 1e9, "n_iter_no_change": n_iter_no_change})
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, y)
    assert est.n_iter_ == n_iter_no_change + 2
    assert len(est.loss_curve_) == n_iter_no_change + 2
    assert len(est.lr_curve_) == est.n_iter_ * len(batch_bounds(X.shape[0], est.batch_size))


@ignore_convergence
@parametrize_estimator
def test_n_iter_no_change_inf(Estimator):
    X, y = _data(Estimator)
    est = Estimator(**{**FAST, "max_iter": 8, "tol": 1e9, "n_iter_no_change": np.inf}).fit(X, y)
    assert est.n_iter_ == 8


@parametrize_estimator
def test_tolerance(Estimator):
    X, y = _data(Estimator)
    est = Estimator(**{**FAST, "max_iter": 50, "tol": 0.5, "n_iter_no_change": 2})
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, y)
    assert est.n_iter_ < est.max_iter


# -- curves ------------------------------------------------------------------------


@ignore_convergence
@parametrize_estimator
def test_training_curves(Estimator):
    # 70 rows in batches of 16: the 6-row remainder is merged, 4 updates per epoch.
    X, y = _data(Estimator, n_samples=70)
    lr0, min_lr, n_epochs = 1e-2, 1e-4, 10
    est = Estimator(
        hidden_layer_sizes=(16,),
        batch_size=16,
        max_iter=n_epochs,
        learning_rate_init=lr0,
        min_learning_rate=min_lr,
        warmup=0.1,
        lr_schedule="cosine",
        n_iter_no_change=np.inf,
        random_state=0,
    ).fit(X, y)

    steps_per_epoch = len(batch_bounds(70, 16))
    assert steps_per_epoch == 4
    n_steps = n_epochs * steps_per_epoch
    assert est.n_iter_ == n_epochs
    assert len(est.loss_curve_) == est.n_iter_
    assert est.lr_curve_.shape == (n_steps,)
    assert est._optimizer.t == n_steps

    lr = est.lr_curve_
    warmup = round(0.1 * n_steps)
    assert_allclose(lr[:warmup], lr0 * np.arange(1, warmup + 1) / warmup, rtol=1e-15)
    progress = (np.arange(warmup, n_steps) - warmup) / (n_steps - warmup)
    cosine = min_lr + 0.5 * (lr0 - min_lr) * (1 + np.cos(np.pi * progress))
    assert_allclose(lr[warmup:], cosine, rtol=1e-12)
    assert np.all(np.diff(lr[warmup - 1 :]) <= 0)
    assert min_lr <= lr[-1] < min_lr + 0.01 * (lr0 - min_lr)

    assert est.grad_norm_curve_.shape == (n_steps,)
    assert np.isfinite(est.grad_norm_curve_).all()
    assert np.all(est.grad_norm_curve_ >= 0)
    assert len(est.clip_fraction_curve_) == est.n_iter_
    assert all(0.0 <= f <= 1.0 for f in est.clip_fraction_curve_)


@ignore_convergence
@parametrize_estimator
def test_clip_fraction(Estimator):
    X, y = _data(Estimator)
    tiny = Estimator(clip_norm=1e-6, **FAST).fit(X, y)
    assert tiny.clip_fraction_curve_ == [1.0] * tiny.n_iter_
    assert np.all(tiny.grad_norm_curve_ > 1e-6)

    off = Estimator(clip_norm=None, **FAST).fit(X, y)
    assert off.clip_fraction_curve_ == [0.0] * off.n_iter_

    # The fraction counts exactly the updates whose norm exceeded clip_norm.
    threshold = float(np.median(off.grad_norm_curve_))
    some = Estimator(clip_norm=threshold, **FAST).fit(X, y)
    per_epoch = (some.grad_norm_curve_ > threshold).reshape(some.n_iter_, -1).mean(axis=1)
    assert_allclose(some.clip_fraction_curve_, per_epoch, rtol=0, atol=0)


# -- normalization -----------------------------------------------------------------


def _norm_layers(est):
    return [layer for layer in est.net_.layers if isinstance(layer, NORM_LAYERS)]


@ignore_convergence
@pytest.mark.parametrize(
    "batch_size, n_samples, expected",
    [
        (32, 60, BatchNorm),
        (8, 60, BatchNorm),
        (7, 60, LayerNorm),
        (32, 8, BatchNorm),
        (32, 7, LayerNorm),
    ],
)
@parametrize_estimator
def test_normalization_auto(Estimator, batch_size, n_samples, expected):
    X, y = _data(Estimator)
    X, y = X[:n_samples], y[:n_samples]
    est = Estimator(**{**FAST, "hidden_layer_sizes": (16, 8), "max_iter": 2})
    est.set_params(batch_size=batch_size)
    est.fit(X, y)
    norms = _norm_layers(est)
    assert len(norms) == 2
    assert all(type(layer) is expected for layer in norms)
    assert type(est.net_.layers[0]) is Dense
    assert type(est.net_.layers[1]) is expected


@ignore_convergence
@pytest.mark.parametrize("n_samples, expected", [(10, BatchNorm), (9, LayerNorm)])
@parametrize_estimator
def test_normalization_auto_counts_training_rows(Estimator, n_samples, expected):
    # With early stopping the batches hold only the training rows: 10 rows with
    # 2 held out leave batches of 8 (BatchNorm), 9 rows leave batches of 7.
    X, y = _data(Estimator)
    X, y = X[:n_samples], y[:n_samples]
    est = Estimator(early_stopping=True, validation_fraction=0.2, **{**FAST, "max_iter": 2})
    est.fit(X, y)
    assert est.t_ == est.n_iter_ * (n_samples - 2)  # training rows per epoch
    assert all(type(layer) is expected for layer in _norm_layers(est))


@parametrize_estimator
def test_normalization_group_n_groups_must_divide(Estimator):
    X, y = _data(Estimator)
    est = Estimator(normalization="group", n_groups=4, **{**FAST, "hidden_layer_sizes": (16, 10)})
    with pytest.raises(ValueError, match="n_groups=4"):
        est.fit(X, y)


@ignore_convergence
@pytest.mark.parametrize(
    "normalization, expected",
    [("batch", BatchNorm), ("layer", LayerNorm), ("group", GroupNorm), (None, None)],
)
@parametrize_estimator
def test_normalization_layers(Estimator, normalization, expected):
    X, y = _data(Estimator)
    est = Estimator(normalization=normalization, **{**FAST, "hidden_layer_sizes": (16, 8)})
    est.fit(X, y)
    norms = _norm_layers(est)
    if expected is None:
        assert norms == []
        assert len(est.net_.layers) == 5  # dense, act, dense, act, dense
    else:
        assert len(norms) == 2
        assert all(type(layer) is expected for layer in norms)


@ignore_convergence
@pytest.mark.parametrize("normalization", ["batch", "layer", "group", None])
@parametrize_estimator
def test_inference_row_independent(Estimator, normalization, rng):
    X, y = _data(Estimator)
    est = Estimator(normalization=normalization, **{**FAST, "max_iter": 3}).fit(X, y)
    full = _outputs(est, X)

    one_by_one = np.concatenate([_outputs(est, X[i : i + 1]) for i in range(X.shape[0])])
    assert_allclose(one_by_one, full, rtol=0, atol=1e-12)
    perm = rng.permutation(X.shape[0])
    assert_allclose(_outputs(est, X[perm]), full[perm], rtol=0, atol=1e-12)
    subset = rng.choice(X.shape[0], size=7, replace=False)
    assert_allclose(_outputs(est, X[subset]), full[subset], rtol=0, atol=1e-12)
    # Inference leaves the model untouched.
    assert_array_equal(_outputs(est, X), full)


# -- batching ----------------------------------------------------------------------


def _check_cover(bounds, n_samples):
    assert bounds[0][0] == 0
    assert bounds[-1][1] == n_samples
    assert all(stop > start for start, stop in bounds)
    assert all(bounds[i][1] == bounds[i + 1][0] for i in range(len(bounds) - 1))
    rows = np.concatenate([np.arange(start, stop) for start, stop in bounds])
    assert_array_equal(rows, np.arange(n_samples))


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(n_samples=st.integers(8, 500), batch_size=st.integers(MIN_BATCH_ROWS, 64))
def test_batch_bounds_min_rows(n_samples, batch_size):
    bounds = batch_bounds(n_samples, batch_size)
    _check_cover(bounds, n_samples)
    assert min(stop - start for start, stop in bounds) >= MIN_BATCH_ROWS


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(n_samples=st.integers(1, 500), batch_size=st.integers(1, 64))
def test_batch_bounds_cover_every_row_once(n_samples, batch_size):
    bounds = batch_bounds(n_samples, batch_size)
    _check_cover(bounds, n_samples)
    size = min(batch_size, n_samples)
    sizes = [stop - start for start, stop in bounds]
    # Every batch but the last has batch_size rows; the last merges a short remainder.
    assert all(s == size for s in sizes[:-1])
    assert sizes[-1] < size + MIN_BATCH_ROWS
    assert len(bounds) == 1 or sizes[-1] >= MIN_BATCH_ROWS or sizes[-1] > size


# -- dtypes ------------------------------------------------------------------------


@ignore_convergence
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@parametrize_estimator
def test_mlp_param_dtypes(Estimator, dtype):
    X, y = _data(Estimator)
    est = Estimator(**FAST).fit(X.astype(dtype), y)
    assert est.net_.params.dtype == dtype
    assert all(c.dtype == dtype for c in est.coefs_)
    assert all(b.dtype == dtype for b in est.intercepts_)
    assert _outputs(est, X.astype(dtype)).dtype == dtype
    if _is_classifier(Estimator):
        assert est.predict_log_proba(X.astype(dtype)).dtype == dtype
    assert isinstance(est.loss_, float)


@ignore_convergence
@parametrize_estimator
def test_integer_X(Estimator):
    X, y = _data(Estimator)
    X_int = np.round(X * 10).astype(np.int64)
    est = Estimator(**FAST).fit(X_int, y)
    assert est.coefs_[0].dtype == np.float64
    ref = Estimator(**FAST).fit(X_int.astype(np.float64), y)
    assert_array_equal(_outputs(est, X_int), _outputs(ref, X_int.astype(np.float64)))


# -- errors ------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@parametrize_estimator
def test_non_finite_X_raises(Estimator, bad):
    X, y = _data(Estimator)
    X_bad = X.copy()
    X_bad[3, 2] = bad
    with pytest.raises(ValueError, match="NaN|infinity"):
        Estimator(**FAST).fit(X_bad, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = Estimator(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="NaN|infinity"):
        est.predict(X_bad)


@ignore_convergence
@parametrize_estimator
def test_one_sample_fit_raises(Estimator):
    # STYLE.md section 5: a one-sample fit gives a clear error (wording as
    # accepted by scikit-learn's check_fit2d_1sample).
    X, y = _data(Estimator)
    with pytest.raises(ValueError, match="1 sample|n_samples ?= ?1|one sample"):
        Estimator(**FAST).fit(X[:1], y[:1])


@parametrize_estimator
def test_not_fitted(Estimator):
    X, _ = _data(Estimator)
    est = Estimator(**FAST)
    with pytest.raises(NotFittedError):
        est.predict(X)
    with pytest.raises(NotFittedError):
        est.coefs_
    if _is_classifier(est):
        with pytest.raises(NotFittedError):
            est.predict_proba(X)


@ignore_convergence
@parametrize_estimator
def test_predict_wrong_n_features(Estimator):
    X, y = _data(Estimator)
    est = Estimator(**FAST).fit(X, y)
    message = f"X has 5 features, but {Estimator.__name__} is expecting 6 features as input"
    with pytest.raises(ValueError, match=message):
        est.predict(X[:, :5])


#: Plain momentum SGD with a huge step on unscaled data: the weights overflow.
DIVERGE = {
    "learning_rate_init": 1e6,
    "clip_norm": None,
    "optimizer": "sgd",
    "momentum": 0.9,
    "max_iter": 20,
    "n_iter_no_change": 1000,
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@parametrize_estimator
def test_nonfinite_params(Estimator):
    X, y = _data(Estimator)
    est = Estimator(hidden_layer_sizes=(16,), batch_size=16, random_state=0, **DIVERGE)
    with pytest.raises(ValueError, match="diverged"):
        est.fit(X * 1e6, y)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@ignore_convergence
@parametrize_estimator
def test_nonfinite_params_warm_start_keeps_weights(Estimator):
    X, y = _data(Estimator)
    est = Estimator(**{**FAST, "batch_size": 16, "max_iter": 5, "warm_start": True})
    est.fit(X, y)
    params = est.net_.params.copy()
    buffers = [{k: v.copy() for k, v in layer.buffers.items()} for layer in est.net_.layers]
    outputs = _outputs(est, X)
    curve, n_iter, t = list(est.loss_curve_), est.n_iter_, est.t_

    est.set_params(**DIVERGE)
    with pytest.raises(ValueError, match="diverged"):
        est.fit(X * 1e6, y)

    assert_array_equal(est.net_.params, params)
    for layer, saved in zip(est.net_.layers, buffers):
        for key, value in saved.items():
            assert_array_equal(layer.buffers[key], value)
    assert_array_equal(_outputs(est, X), outputs)
    assert est.loss_curve_ == curve
    assert (est.n_iter_, est.t_) == (n_iter, t)


# -- fitted attributes -------------------------------------------------------------


@ignore_convergence
@parametrize_estimator
def test_coefs_intercepts_layout(Estimator):
    X, y = _data(Estimator)
    est = Estimator(**{**FAST, "hidden_layer_sizes": (16, 8)}).fit(X, y)
    assert [c.shape for c in est.coefs_] == [(6, 16), (16, 8), (8, 1)]
    assert [b.shape for b in est.intercepts_] == [(16,), (8,), (1,)]
    assert est.n_layers_ == 4
    assert est.n_outputs_ == 1
    for array in est.coefs_ + est.intercepts_:
        assert np.shares_memory(array, est.net_.params)

    # Views: writing through them changes the model.
    est.coefs_[-1][...] = 0.0
    est.intercepts_[-1][...] = 0.25
    if _is_classifier(est):
        assert_allclose(est.predict_proba(X)[:, 1], 1 / (1 + np.exp(-0.25)), rtol=1e-12)
    else:
        assert_array_equal(est.predict(X), np.full(X.shape[0], 0.25))


# -- persistence and parameters ----------------------------------------------------


@ignore_convergence
@parametrize_estimator
def test_pickle_round_trip(Estimator):
    X, y = _data(Estimator)
    est = Estimator(**{**FAST, "batch_size": 16})
    for _ in range(2):
        _partial_fit(est, X, y)
    restored = pickle.loads(pickle.dumps(est))

    assert_array_equal(_outputs(restored, X), _outputs(est, X))
    assert_array_equal(restored.predict(X), est.predict(X))
    for array in restored.coefs_ + restored.intercepts_:
        assert np.shares_memory(array, restored.net_.params)

    # Training resumes from the pickle exactly as from the original.
    est.partial_fit(X, y)
    restored.partial_fit(X, y)
    _assert_same_params(restored, est)
    assert restored.loss_curve_ == est.loss_curve_


@ignore_convergence
@parametrize_estimator
def test_clone(Estimator):
    X, y = _data(Estimator)
    est = Estimator(**FAST).fit(X, y)
    cloned = clone(est)
    assert cloned.get_params() == est.get_params()
    with pytest.raises(NotFittedError):
        check_is_fitted(cloned)
    assert not hasattr(cloned, "net_")


@parametrize_estimator
def test_get_params_has_every_init_param(Estimator):
    names = set(inspect.signature(Estimator.__init__).parameters) - {"self"}
    est = Estimator()
    assert set(est.get_params()) == names
    defaults = inspect.signature(Estimator).parameters
    assert all(est.get_params()[name] == defaults[name].default for name in names)


# -- logging -----------------------------------------------------------------------


@ignore_convergence
@parametrize_estimator
def test_verbose(Estimator, caplog, capsys):
    X, y = _data(Estimator)
    logger = logging.getLogger("skstab")
    level = logger.level
    caplog.set_level(logging.INFO)
    Estimator(verbose=True, **{**FAST, "max_iter": 2}).fit(X, y)

    records = [r for r in caplog.records if r.name.split(".")[0] == "skstab"]
    messages = [r.getMessage() for r in records]
    assert any(m.startswith("Epoch 1, loss =") for m in messages)
    assert any(m.startswith("Epoch 2, loss =") for m in messages)
    assert all(r.levelno == logging.INFO for r in records)
    assert capsys.readouterr().out == ""
    # The logger is left as it was found.
    assert logger.level == level
    assert logger.handlers == []


@ignore_convergence
@parametrize_estimator
def test_not_verbose_logs_nothing(Estimator, caplog, capsys):
    X, y = _data(Estimator)
    Estimator(verbose=False, **{**FAST, "max_iter": 2}).fit(X, y)
    assert [r for r in caplog.records if r.name.split(".")[0] == "skstab"] == []
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Epoch" not in captured.err


# -- ConvergenceWarning ------------------------------------------------------------


@parametrize_estimator
def test_convergence_warning_when_still_improving(Estimator):
    X, y = _data(Estimator)
    est = Estimator(**{**FAST, "max_iter": 4, "n_iter_no_change": 10})
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(4\) reached"):
        est.fit(X, y)
    assert est.n_iter_ == 4
    # The loss is still clearly falling: the last two epochs average more than
    # 2 * tol below the two before.
    curve = np.asarray(est.loss_curve_)
    assert curve[:2].mean() - curve[2:].mean() > 2 * est.tol


@parametrize_estimator
def test_no_convergence_warning_when_stopped(Estimator):
    X, y = _data(Estimator)
    est = Estimator(**{**FAST, "max_iter": 50, "tol": 1e9, "n_iter_no_change": 1})
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, y)
    assert est.n_iter_ == 3


@parametrize_estimator
def test_no_convergence_warning_when_plateaued(Estimator):
    # Reaching max_iter while the loss falls by less than tol is the planned end
    # of a decaying schedule, not a failure to converge.
    X, y = _data(Estimator)
    est = Estimator(**{**FAST, "max_iter": 6, "tol": 10.0, "n_iter_no_change": np.inf})
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, y)
    assert est.n_iter_ == 6


@parametrize_estimator
def test_no_convergence_warning_after_full_schedule(Estimator):
    # A cosine run whose loss has levelled off by max_iter converged as planned.
    X, y = _data(Estimator)
    est = Estimator(**{**FAST, "max_iter": 40})
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, y)
    assert est.n_iter_ == 40
