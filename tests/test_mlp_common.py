"""Estimator behaviour shared by the two estimators: normalization, batching, dtypes,
errors, the fitted-attribute layout, persistence, logging and ConvergenceWarning.
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
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils.validation import check_is_fitted

from skstab.nn import BatchEnsembleDense, BatchNorm, GroupNorm, LayerNorm
from skstab.training._batching import MIN_BATCH_ROWS, batch_bounds

from ._mlp_helpers import (
    FAST,
    NORM_LAYERS,
    assert_same_params,
    ignore_convergence,
    is_classifier,
    make_data,
    outputs,
    parametrize_estimator,
    partial_fit,
)

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
    X, y = make_data(Estimator)
    X, y = X[:n_samples], y[:n_samples]
    est = Estimator(**{**FAST, "hidden_layer_sizes": (16, 8), "max_iter": 2})
    est.set_params(batch_size=batch_size)
    est.fit(X, y)
    norms = _norm_layers(est)
    assert len(norms) == 2
    assert all(type(layer) is expected for layer in norms)
    assert type(est.net_.layers[0]) is BatchEnsembleDense
    assert type(est.net_.layers[1]) is expected


@ignore_convergence
@pytest.mark.parametrize("n_samples, expected", [(10, BatchNorm), (9, LayerNorm)])
@parametrize_estimator
def test_normalization_auto_counts_training_rows(Estimator, n_samples, expected):
    # With early stopping the batches hold only the training rows: 10 rows with
    # 2 held out leave batches of 8 (BatchNorm), 9 rows leave batches of 7.
    X, y = make_data(Estimator)
    X, y = X[:n_samples], y[:n_samples]
    est = Estimator(early_stopping=True, validation_fraction=0.2, **{**FAST, "max_iter": 2})
    est.fit(X, y)
    assert est.t_ == est.n_iter_ * (n_samples - 2)  # training rows per epoch
    assert all(type(layer) is expected for layer in _norm_layers(est))


@parametrize_estimator
def test_normalization_group_n_groups_must_divide(Estimator):
    X, y = make_data(Estimator)
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
    X, y = make_data(Estimator)
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
    X, y = make_data(Estimator)
    est = Estimator(normalization=normalization, **{**FAST, "max_iter": 3}).fit(X, y)
    full = outputs(est, X)

    one_by_one = np.concatenate([outputs(est, X[i : i + 1]) for i in range(X.shape[0])])
    assert_allclose(one_by_one, full, rtol=0, atol=1e-12)
    perm = rng.permutation(X.shape[0])
    assert_allclose(outputs(est, X[perm]), full[perm], rtol=0, atol=1e-12)
    subset = rng.choice(X.shape[0], size=7, replace=False)
    assert_allclose(outputs(est, X[subset]), full[subset], rtol=0, atol=1e-12)
    # Inference leaves the model untouched.
    assert_array_equal(outputs(est, X), full)


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
    X, y = make_data(Estimator)
    est = Estimator(**FAST).fit(X.astype(dtype), y)
    assert est.net_.params.dtype == dtype
    assert all(c.dtype == dtype for c in est.coefs_)
    assert all(b.dtype == dtype for b in est.intercepts_)
    assert outputs(est, X.astype(dtype)).dtype == dtype
    if is_classifier(Estimator):
        assert est.predict_log_proba(X.astype(dtype)).dtype == dtype
    assert isinstance(est.loss_, float)


@ignore_convergence
@parametrize_estimator
def test_integer_X(Estimator):
    X, y = make_data(Estimator)
    X_int = np.round(X * 10).astype(np.int64)
    est = Estimator(**FAST).fit(X_int, y)
    assert est.coefs_[0].dtype == np.float64
    ref = Estimator(**FAST).fit(X_int.astype(np.float64), y)
    assert_array_equal(outputs(est, X_int), outputs(ref, X_int.astype(np.float64)))


# -- errors ------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@parametrize_estimator
def test_non_finite_X_raises(Estimator, bad):
    X, y = make_data(Estimator)
    X_bad = X.copy()
    X_bad[3, 2] = bad
    if np.isinf(bad):  # NaN is a missing value, imputed in fit (tests/test_dataframes.py)
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
    X, y = make_data(Estimator)
    with pytest.raises(ValueError, match="1 sample|n_samples ?= ?1|one sample"):
        Estimator(**FAST).fit(X[:1], y[:1])


@parametrize_estimator
def test_not_fitted(Estimator):
    X, _ = make_data(Estimator)
    est = Estimator(**FAST)
    with pytest.raises(NotFittedError):
        est.predict(X)
    with pytest.raises(NotFittedError):
        _ = est.coefs_
    if is_classifier(est):
        with pytest.raises(NotFittedError):
            est.predict_proba(X)


@ignore_convergence
@parametrize_estimator
def test_predict_wrong_n_features(Estimator):
    X, y = make_data(Estimator)
    est = Estimator(**FAST).fit(X, y)
    message = f"X has 5 features, but {Estimator.__name__} is expecting 6 features as input"
    with pytest.raises(ValueError, match=message):
        est.predict(X[:, :5])


#: Plain momentum SGD with a huge step on unscaled data: the weights overflow.
DIVERGE = {
    "input_scaling": None,  # raw X * 1e6 reaches the network: no epoch can finish
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
    X, y = make_data(Estimator)
    est = Estimator(hidden_layer_sizes=(16,), batch_size=16, random_state=0, **DIVERGE)
    with pytest.raises(ValueError, match="diverged"):
        est.fit(X * 1e6, y)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@ignore_convergence
@parametrize_estimator
def test_nonfinite_params_warm_start_keeps_weights(Estimator):
    X, y = make_data(Estimator)
    est = Estimator(**{**FAST, "batch_size": 16, "max_iter": 5, "warm_start": True, "input_scaling": None})
    est.fit(X, y)
    params = est.net_.params.copy()
    buffers = [{k: v.copy() for k, v in layer.buffers.items()} for layer in est.net_.layers]
    before = outputs(est, X)
    curve, n_iter, t = list(est.loss_curve_), est.n_iter_, est.t_

    est.set_params(**DIVERGE)
    with pytest.raises(ValueError, match="diverged"):
        est.fit(X * 1e6, y)

    assert_array_equal(est.net_.params, params)
    for layer, saved in zip(est.net_.layers, buffers):
        for key, value in saved.items():
            assert_array_equal(layer.buffers[key], value)
    assert_array_equal(outputs(est, X), before)
    assert est.loss_curve_ == curve
    assert (est.n_iter_, est.t_) == (n_iter, t)


# -- fitted attributes -------------------------------------------------------------


@ignore_convergence
@pytest.mark.parametrize("n_ensemble, members", [(1, ()), (4, (4,))])
@parametrize_estimator
def test_coefs_intercepts_layout(Estimator, n_ensemble, members):
    X, y = make_data(Estimator)
    est = Estimator(**{**FAST, "hidden_layer_sizes": (16, 8), "n_ensemble": n_ensemble}).fit(X, y)
    assert [c.shape for c in est.coefs_] == [(6, 16), (16, 8), (8, 1)]
    assert [b.shape for b in est.intercepts_] == [(*members, 16), (*members, 8), (*members, 1)]
    assert est.n_layers_ == 4
    assert est.n_outputs_ == 1
    for array in est.coefs_ + est.intercepts_:
        assert np.shares_memory(array, est.net_.params)

    # Views: writing through them changes the model.
    est.coefs_[-1][...] = 0.0
    est.intercepts_[-1][...] = 0.25
    if is_classifier(est):
        assert_allclose(est.predict_proba(X)[:, 1], 1 / (1 + np.exp(-0.25)), rtol=1e-12)
    else:
        expected = 0.25 * est.target_scale_[0] + est.target_mean_[0]  # the target is standardized
        assert_allclose(est.predict(X), np.full(X.shape[0], expected), rtol=1e-12)


# -- persistence and parameters ----------------------------------------------------


@ignore_convergence
@parametrize_estimator
def test_pickle_round_trip(Estimator):
    X, y = make_data(Estimator)
    est = Estimator(**{**FAST, "batch_size": 16})
    for _ in range(2):
        partial_fit(est, X, y)
    restored = pickle.loads(pickle.dumps(est))

    assert_array_equal(outputs(restored, X), outputs(est, X))
    assert_array_equal(restored.predict(X), est.predict(X))
    for array in restored.coefs_ + restored.intercepts_:
        assert np.shares_memory(array, restored.net_.params)

    # Training resumes from the pickle exactly as from the original.
    est.partial_fit(X, y)
    restored.partial_fit(X, y)
    assert_same_params(restored, est)
    assert restored.loss_curve_ == est.loss_curve_


@ignore_convergence
@parametrize_estimator
def test_clone(Estimator):
    X, y = make_data(Estimator)
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
    X, y = make_data(Estimator)
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
    X, y = make_data(Estimator)
    Estimator(verbose=False, **{**FAST, "max_iter": 2}).fit(X, y)
    assert [r for r in caplog.records if r.name.split(".")[0] == "skstab"] == []
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Epoch" not in captured.err


# -- ConvergenceWarning ------------------------------------------------------------


@parametrize_estimator
def test_convergence_warning_when_still_improving(Estimator):
    X, y = make_data(Estimator)
    # A constant rate and only 12 epochs: the loss is still falling steadily at the end.
    params = {"max_iter": 12, "learning_rate_init": 1e-2, "lr_schedule": "constant", "n_iter_no_change": 10}
    est = Estimator(**{**FAST, **params})
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(12\) reached"):
        est.fit(X, y)
    assert est.n_iter_ == 12
    # The last five epochs average more than 5 * tol below the five before.
    curve = np.asarray(est.loss_curve_[-10:])
    assert curve[:5].mean() - curve[5:].mean() > 5 * est.tol


@parametrize_estimator
def test_no_convergence_warning_when_stopped(Estimator):
    X, y = make_data(Estimator)
    est = Estimator(**{**FAST, "max_iter": 50, "tol": 1e9, "n_iter_no_change": 1})
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, y)
    assert est.n_iter_ == 3


@parametrize_estimator
def test_no_convergence_warning_when_plateaued(Estimator):
    # Reaching max_iter while the loss falls by less than tol is the planned end
    # of a decaying schedule, not a failure to converge.
    X, y = make_data(Estimator)
    est = Estimator(**{**FAST, "max_iter": 6, "tol": 10.0, "n_iter_no_change": np.inf})
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, y)
    assert est.n_iter_ == 6


@parametrize_estimator
def test_no_convergence_warning_after_full_schedule(Estimator):
    # A cosine run whose loss has levelled off by max_iter converged as planned.
    X, y = make_data(Estimator)
    est = Estimator(**{**FAST, "max_iter": 40})
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, y)
    assert est.n_iter_ == 40
