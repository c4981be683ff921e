"""Behaviour of StabilizedMLPRegressor: targets, output shapes, dtypes.

Behaviour shared with the classifier (sample weights, partial_fit, warm start,
stopping, curves, normalization...) is tested in ``test_training.py``.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_regression

from skstab import StabilizedMLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FAST = {"hidden_layer_sizes": (16,), "max_iter": 10, "learning_rate_init": 1e-2, "random_state": 0}


def _regression(n_samples=100, n_targets=1):
    X, y = make_regression(n_samples=n_samples, n_features=6, n_targets=n_targets, noise=1.0, random_state=0)
    return X, y / y.std(axis=0)


def test_fit_regression():
    X, y = _regression(n_samples=200)
    reg = StabilizedMLPRegressor(**{**FAST, "max_iter": 60})
    reg.fit(X, y)
    assert reg.out_activation_ == "identity"
    assert reg.n_outputs_ == 1
    assert reg.score(X, y) > 0.95


@pytest.mark.parametrize("y_shape", [(100,), (100, 1), (100, 3)], ids=["1d", "column", "three-outputs"])
def test_multioutput_regression(y_shape):
    n_targets = 1 if len(y_shape) == 1 else y_shape[1]
    X, y = _regression(n_targets=n_targets)
    y = y.reshape(y_shape)
    reg = StabilizedMLPRegressor(**FAST).fit(X, y)
    pred = reg.predict(X)

    assert pred.shape == y_shape
    assert reg.n_outputs_ == n_targets
    assert reg.coefs_[-1].shape == (16, n_targets)
    # Predictions are the network's outputs in the units of the (standardized) target.
    expected = reg._raw_outputs(X) * reg.target_scale_ + reg.target_mean_
    assert_allclose(pred.reshape(100, -1), expected, rtol=1e-12, atol=0)


def test_multioutput_regression_quality():
    X, y = _regression(n_samples=200, n_targets=3)
    reg = StabilizedMLPRegressor(**{**FAST, "hidden_layer_sizes": (32,), "max_iter": 80})
    reg.fit(X, y)
    assert reg.score(X, y) > 0.9


def test_multioutput_single_output_equivalence():
    # One output fitted as a (n, 1) column or as 1-D y is the same fit.
    X, y = _regression()
    flat = StabilizedMLPRegressor(**FAST).fit(X, y)
    column = StabilizedMLPRegressor(**FAST).fit(X, y[:, None])
    assert_array_equal(column.predict(X)[:, 0], flat.predict(X))


def test_partial_fit_regression_output_count_change_raises():
    X, y = _regression(n_targets=2)
    reg = StabilizedMLPRegressor(**FAST).partial_fit(X, y)
    with pytest.raises(ValueError, match="outputs"):
        reg.partial_fit(X, y[:, 0])


def test_partial_fit_regression():
    X, y = _regression(n_samples=200)
    reg = StabilizedMLPRegressor(**{**FAST, "max_iter": 40})
    for _ in range(40):
        reg.partial_fit(X, y)
    assert reg.score(X, y) > 0.9
    assert reg.loss_curve_[-1] < reg.loss_curve_[0]


def test_target_offset_is_learned_from_the_start():
    # The output bias starts at the mean target, so a far-off-centre target is
    # fitted as well as the centred one after a short run.
    X, y = _regression()
    centred = StabilizedMLPRegressor(**FAST).fit(X, y)
    shifted = StabilizedMLPRegressor(**FAST).fit(X, y + 1000.0)
    assert_allclose(shifted.predict(X) - 1000.0, centred.predict(X), atol=1e-6)


def test_non_numeric_target_raises():
    X, _ = _regression()
    with pytest.raises(ValueError):
        StabilizedMLPRegressor(**FAST).fit(X, np.array(["a", "b"] * 50, dtype=object))


def test_mlp_regressor_dtypes_casting():
    X, y = _regression()
    reg64 = StabilizedMLPRegressor(**FAST).fit(X, y)
    reg32 = StabilizedMLPRegressor(**FAST).fit(X.astype(np.float32), y)

    pred32 = reg32.predict(X.astype(np.float32))
    assert pred32.dtype == np.float32
    assert_allclose(pred32, reg64.predict(X), rtol=1e-2, atol=5e-3)
