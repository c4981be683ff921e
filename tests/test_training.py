"""Training behaviour shared by the two estimators: sample weights, reproducibility,
partial_fit, warm start, early stopping, the stopping rule and the training curves.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from skstab.exceptions import DivergenceError
from skstab.neural_network._data import AUTO_EARLY_STOPPING_MIN_SAMPLES
from skstab.neural_network._sizes import SMALL_TABLE_BATCH
from skstab.nn import BatchNorm
from skstab.training._batching import batch_bounds

from ._mlp_helpers import (
    FAST,
    assert_same_params,
    held_out_score,
    ignore_convergence,
    is_classifier,
    make_data,
    outputs,
    parametrize_estimator,
    partial_fit,
    record_splits,
)

# -- sample_weight -----------------------------------------------------------------


@ignore_convergence
@parametrize_estimator
def test_sample_weight_integer_equals_repeated_rows(Estimator, rng):
    X, y = make_data(Estimator)
    sw = rng.integers(1, 4, size=X.shape[0])
    params = {**FAST, "batch_size": 256}  # one full batch per epoch for both fits
    weighted = Estimator(**params).fit(X, y, sample_weight=sw)
    repeated = Estimator(**params).fit(np.repeat(X, sw, axis=0), np.repeat(y, sw))

    assert isinstance(weighted.net_.layers[1], BatchNorm)
    assert_allclose(outputs(weighted, X), outputs(repeated, X), rtol=1e-7, atol=1e-12)


@ignore_convergence
@parametrize_estimator
def test_sample_weight_zero_equals_removed_rows(Estimator, rng):
    X, y = make_data(Estimator)
    sw = (rng.uniform(size=X.shape[0]) > 0.3).astype(float)
    keep = sw > 0
    params = {**FAST, "batch_size": 256}
    weighted = Estimator(**params).fit(X, y, sample_weight=sw)
    removed = Estimator(**params).fit(X[keep], y[keep])

    assert_allclose(outputs(weighted, X), outputs(removed, X), rtol=1e-7, atol=1e-12)


@parametrize_estimator
def test_sample_weight_negative_raises(Estimator):
    X, y = make_data(Estimator)
    sw = np.ones(X.shape[0])
    sw[3] = -1.0
    with pytest.raises(ValueError, match="Negative"):
        Estimator(**FAST).fit(X, y, sample_weight=sw)


@parametrize_estimator
def test_sample_weight_all_zero_raises(Estimator):
    X, y = make_data(Estimator)
    with pytest.raises(ValueError, match="non-zero"):
        Estimator(**FAST).fit(X, y, sample_weight=np.zeros(X.shape[0]))


@ignore_convergence
@parametrize_estimator
def test_sample_weight_changes_fit(Estimator, rng):
    X, y = make_data(Estimator)
    plain = Estimator(**FAST).fit(X, y)
    weighted = Estimator(**FAST).fit(X, y, sample_weight=rng.uniform(0.1, 3.0, size=X.shape[0]))
    assert not np.allclose(outputs(plain, X), outputs(weighted, X))


# -- reproducibility ---------------------------------------------------------------


@ignore_convergence
@parametrize_estimator
def test_random_state_reproducible(Estimator):
    X, y = make_data(Estimator)
    a = Estimator(**FAST).fit(X, y)
    b = Estimator(**FAST).fit(X, y)
    assert_same_params(a, b)
    assert a.loss_curve_ == b.loss_curve_
    assert_array_equal(outputs(a, X), outputs(b, X))
    assert_array_equal(a.predict(X), b.predict(X))

    c = Estimator(**{**FAST, "random_state": 1}).fit(X, y)
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])
    assert a.loss_curve_ != c.loss_curve_


@ignore_convergence
@parametrize_estimator
def test_fit_idempotent(Estimator):
    X, y = make_data(Estimator)
    est = Estimator(**FAST).fit(X, y)
    first = [p.copy() for p in est.coefs_ + est.intercepts_]
    first_curve = list(est.loss_curve_)
    first_out = outputs(est, X)

    est.fit(X, y)
    for p, q in zip(first, est.coefs_ + est.intercepts_):
        assert_array_equal(p, q)
    assert est.loss_curve_ == first_curve
    assert est.n_iter_ == len(first_curve)
    assert_array_equal(outputs(est, X), first_out)


@ignore_convergence
@parametrize_estimator
def test_shuffle(Estimator):
    X, y = make_data(Estimator)
    # One full batch: the row order only changes the summation order.
    full = {**FAST, "batch_size": 256}
    shuffled = Estimator(shuffle=True, **full).fit(X, y)
    ordered = Estimator(shuffle=False, **full).fit(X, y)
    assert_allclose(outputs(shuffled, X), outputs(ordered, X), rtol=1e-7, atol=1e-12)

    # Minibatches: shuffling changes which rows share an update.
    mini = {**FAST, "batch_size": 16}
    shuffled = Estimator(shuffle=True, **mini).fit(X, y)
    ordered = Estimator(shuffle=False, **mini).fit(X, y)
    assert not np.allclose(outputs(shuffled, X), outputs(ordered, X))


# -- partial_fit -------------------------------------------------------------------


@ignore_convergence
@parametrize_estimator
def test_partial_fit_equals_fit(Estimator):
    # The shuffling RNG, the schedule, the optimizer and BatchNorm statistics
    # all continue across calls, so k calls with partial_fit_horizon=k are one k-epoch fit.
    X, y = make_data(Estimator)
    k = 5
    params = {**FAST, "max_iter": k, "batch_size": 16, "n_iter_no_change": np.inf}
    fitted = Estimator(**params).fit(X, y)
    partial = Estimator(**params, partial_fit_horizon=k)
    for _ in range(k):
        partial_fit(partial, X, y)
    assert partial.n_iter_ == fitted.n_iter_ == k

    assert_same_params(fitted, partial)
    assert partial.loss_curve_ == fitted.loss_curve_
    assert_array_equal(partial.lr_curve_, fitted.lr_curve_)
    assert_array_equal(partial.grad_norm_curve_, fitted.grad_norm_curve_)
    assert partial.t_ == fitted.t_ == k * X.shape[0]
    assert_array_equal(outputs(partial, X), outputs(fitted, X))


@parametrize_estimator
def test_partial_fit_keeps_optimizer_state(Estimator):
    X, y = make_data(Estimator)
    est = Estimator(**{**FAST, "batch_size": 16})
    steps = len(batch_bounds(X.shape[0], 16))
    partial_fit(est, X, y)
    optimizer = est._optimizer
    for call in range(1, 4):
        if call > 1:
            partial_fit(est, X, y)
        assert est._optimizer is optimizer
        assert optimizer.t == call * steps
        assert est.n_iter_ == call
        assert est.t_ == call * X.shape[0]
        assert len(est.loss_curve_) == call
        assert len(est.lr_curve_) == call * steps


@parametrize_estimator
def test_partial_fit_errors(Estimator):
    X, y = make_data(Estimator)
    est = Estimator(early_stopping=True, **FAST)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
        partial_fit(est, X, y)


@ignore_convergence
@parametrize_estimator
def test_mlp_partial_fit_after_fit(Estimator):
    X, y = make_data(Estimator)
    est = Estimator(**FAST).fit(X, y)
    before = [p.copy() for p in est.coefs_]
    n_epochs, t = len(est.loss_curve_), est.t_
    est.partial_fit(X, y)

    assert est.n_iter_ == n_epochs + 1
    assert len(est.loss_curve_) == n_epochs + 1
    assert est.t_ == t + X.shape[0]
    # Continued from the fitted weights rather than from a new initialization.
    assert max(np.abs(a - b).max() for a, b in zip(before, est.coefs_)) < 0.1


# -- warm_start --------------------------------------------------------------------


@parametrize_estimator
def test_warm_start_full_iteration(Estimator):
    X, y = make_data(Estimator)
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
    assert len(est.lr_curve_) == 2 * max_iter * len(batch_bounds(X.shape[0], SMALL_TABLE_BATCH))
    # The second fit starts where the first ended, not from scratch.
    assert est.loss_curve_[max_iter] < est.loss_curve_[0]
    assert est.loss_curve_[max_iter] < est.loss_curve_[max_iter - 1] * 1.5
    assert not np.array_equal(first[0], est.coefs_[0])


@ignore_convergence
@parametrize_estimator
def test_warm_start_off_restarts(Estimator):
    X, y = make_data(Estimator)
    est = Estimator(**FAST).fit(X, y)
    curve = list(est.loss_curve_)
    est.fit(X, y)
    assert est.loss_curve_ == curve


@ignore_convergence
@parametrize_estimator
def test_warm_start_n_features_change_raises(Estimator):
    X, y = make_data(Estimator)
    est = Estimator(warm_start=True, **FAST).fit(X, y)
    message = f"X has 5 features, but {Estimator.__name__} is expecting 6 features as input"
    with pytest.raises(ValueError, match=message):
        est.fit(X[:, :5], y)


# -- early stopping ----------------------------------------------------------------


def _early_stopping_data(Estimator):
    if is_classifier(Estimator):
        return make_classification(n_samples=120, n_features=6, flip_y=0.2, random_state=0)
    return make_data(Estimator, n_samples=120, noise=20.0)


@parametrize_estimator
def test_early_stopping(Estimator, monkeypatch):
    splits = record_splits(monkeypatch)
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
    assert held_out_score(est, X_val, Y_val) == est.best_validation_score_
    if not is_classifier(Estimator):
        assert est.validation_scores_[-1] < est.best_validation_score_


@ignore_convergence
@parametrize_estimator
def test_no_early_stopping_attributes(Estimator):
    X, y = make_data(Estimator)
    est = Estimator(**FAST).fit(X, y)
    assert est.validation_scores_ is None
    assert est.best_validation_score_ is None
    assert est.best_loss_ == min(est.loss_curve_)
    assert est.loss_ == est.loss_curve_[-1]


@parametrize_estimator
def test_minimum_input_sample_size(Estimator):
    X, y = make_data(Estimator, n_samples=10)
    est = Estimator(early_stopping=True, validation_fraction=0.1, **FAST)
    with pytest.raises(ValueError, match="validation set is too small"):
        est.fit(X, y)


@ignore_convergence
@parametrize_estimator
def test_auto_early_stopping_holds_out_from_the_threshold(Estimator, monkeypatch):
    splits = record_splits(monkeypatch)
    X, y = make_data(Estimator, n_samples=AUTO_EARLY_STOPPING_MIN_SAMPLES)
    est = Estimator(early_stopping="auto", **FAST).fit(X, y)
    assert est.do_early_stopping_
    assert len(est.validation_scores_) == est.n_iter_
    assert splits[0][1].shape[0] == int(np.ceil(0.1 * X.shape[0]))

    est.fit(X[:-1], y[:-1])
    assert not est.do_early_stopping_
    assert est.validation_scores_ is None
    assert len(splits) == 1

    # partial_fit never holds rows out, so "auto" is allowed there, unlike True.
    est.partial_fit(X, y, **({"classes": np.unique(y)} if is_classifier(Estimator) else {}))
    assert not est.do_early_stopping_
    assert len(splits) == 1


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

    # A learning rate so high that every epoch of the warm fit is worse (here; the guard, which sends a run back
    # to its starting weights and warms it up again, may also find a better epoch or give up and raise).
    est.set_params(learning_rate_init=5.0, min_learning_rate=2.5, max_iter=3, clip_norm=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            est.fit(X, y)
        except DivergenceError:
            pass  # the estimator is left as it was: the checks below hold too
    new_scores = est.validation_scores_[n_scores:]
    assert len(new_scores) == (est.n_iter_ if new_scores else 0)
    if new_scores and max(new_scores) > first_best:
        assert est.best_validation_score_ == max(new_scores)
        return
    # The divergence safeguard may return to the starting weights, which score first_best exactly.
    assert est.best_validation_score_ == first_best
    for p, q in zip(first_coefs, est.coefs_ + est.intercepts_):
        assert_array_equal(p, q)


@parametrize_estimator
def test_warm_fits_hold_out_the_same_rows(Estimator, monkeypatch):
    # Best validation scores are compared across warm fits, so every fit must
    # score on the same held-out rows.
    splits = record_splits(monkeypatch)
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
    X, y = make_data(Estimator)
    est = Estimator(**{**FAST, "max_iter": 50, "tol": 1e9, "n_iter_no_change": n_iter_no_change})
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, y)
    assert est.n_iter_ == n_iter_no_change + 2
    assert len(est.loss_curve_) == n_iter_no_change + 2
    assert len(est.lr_curve_) == est.n_iter_ * len(batch_bounds(X.shape[0], SMALL_TABLE_BATCH))


@ignore_convergence
@parametrize_estimator
def test_n_iter_no_change_inf(Estimator):
    X, y = make_data(Estimator)
    est = Estimator(**{**FAST, "max_iter": 8, "tol": 1e9, "n_iter_no_change": np.inf}).fit(X, y)
    assert est.n_iter_ == 8


@parametrize_estimator
def test_tolerance(Estimator):
    X, y = make_data(Estimator)
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
    X, y = make_data(Estimator, n_samples=70)
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
    X, y = make_data(Estimator)
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
