"""Degenerate shapes and data that once failed in misleading ways (issue 21, item 5).

A one-unit layer under layer normalization, a constant target, a warm start
on other classes, subnormal features, scale ratios beyond float64 and a
score on one row: each trains, or ends in a clear error or scikit-learn's
own answer, instead of a misleading warning or a crash.
"""

import re
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning, UndefinedMetricWarning

from skstab import StabilizedMLPClassifier, StabilizedMLPRegressor
from skstab.exceptions import ScaleDisparityWarning
from skstab.neural_network._guards import warn_scale_disparity
from skstab.nn import GroupNorm, LayerNorm

SMALL = {"hidden_layer_sizes": (8,), "max_iter": 20, "random_state": 0}


@pytest.fixture
def regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    return X, 2.0 * X[:, 0] + 1.0


def test_auto_normalization_skips_layer_norm_over_one_unit(regression):
    X, y = regression
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ConvergenceWarning)  # about the budget of epochs, not the network
        model = StabilizedMLPRegressor(hidden_layer_sizes=(1,), batch_size=1, max_iter=20, random_state=0).fit(X, y)
    assert not any(isinstance(layer, (LayerNorm, GroupNorm)) for layer in model.net_.layers)
    assert np.ptp(model.predict(X)) > 1.0


@pytest.mark.parametrize(
    "params",
    [
        {"normalization": "layer", "hidden_layer_sizes": (8, 1)},
        {"normalization": "group", "hidden_layer_sizes": (4,), "n_groups": 4},
    ],
)
def test_explicit_normalization_over_one_unit_raises(regression, params):
    X, y = regression
    with pytest.raises(ValueError, match=r"single unit.*normalization=None"):
        StabilizedMLPRegressor(**{**SMALL, **params}).fit(X, y)


@pytest.mark.parametrize("standardize_target", [True, False])
def test_constant_target_trains_silently_to_the_constant(regression, standardize_target):
    X, _ = regression
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = StabilizedMLPRegressor(**SMALL, standardize_target=standardize_target).fit(X, np.full(len(X), 0.1))
    assert np.all(model.predict(X) == 0.1)


def test_constant_output_of_several_stays_constant(regression):
    X, y = regression
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = StabilizedMLPRegressor(**{**SMALL, "max_iter": 60}).fit(X, np.c_[y, np.full(len(X), -3.0)])
    predictions = model.predict(X)
    assert np.all(predictions[:, 1] == -3.0)
    assert np.corrcoef(predictions[:, 0], y)[0, 1] > 0.9


def test_warm_start_on_other_classes_raises_as_scikit_learn(regression):
    X, _ = regression
    model = StabilizedMLPClassifier(**SMALL, warm_start=True).fit(X, np.arange(len(X)) % 3)
    coefs = [coef.copy() for coef in model.coefs_]
    with pytest.raises(ValueError, match=r"warm_start can only be used.*same classes.*warm_start=False"):
        model.fit(X, np.arange(len(X)) % 2)
    assert model.classes_.tolist() == [0, 1, 2]
    assert all(np.array_equal(old, new) for old, new in zip(coefs, model.coefs_))
    model.fit(X, (np.arange(len(X)) + 1) % 3)  # the same classes in another order resume


@pytest.mark.parametrize("input_scaling", ["robust", "standard"])
def test_subnormal_features_train(regression, input_scaling):
    X, y = regression
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = StabilizedMLPRegressor(**{**SMALL, "max_iter": 60}, input_scaling=input_scaling).fit(X * 1e-310, y)
    assert model.score(X * 1e-310, y) > 0.8
    assert np.isfinite(model.input_scale_).all() and (model.input_scale_ > 0).all()


@pytest.mark.parametrize("compute_dtype, scale", [("float64", 1e-310), ("float32", 1e-40)])
def test_unscaled_subnormal_feature_raises_naming_the_column(regression, compute_dtype, scale):
    X, y = regression
    X[:, 1] *= scale
    with pytest.raises(ValueError, match=r"column 1 holds only values below .*normal range.*input_scaling='robust'"):
        StabilizedMLPRegressor(**SMALL, input_scaling=None, compute_dtype=compute_dtype).fit(X, y)


@pytest.mark.parametrize(
    "scales, expected",
    [
        # Both spreads overflow a direct float64 standard deviation: nothing to compare.
        ([1e300, 1e300], None),
        # A ratio beyond float64's range: a finite, readable factor and two different features.
        ([1e300, 1e-300], r"factor of about 1e\+600 \(feature #0: .*, feature #1: .*\)"),
        ([1.0, 1e-300], r"factor of [\d.]+e\+(299|300|301) \(feature #0: .*, feature #1: .*\)"),
        # Spreads whose squares underflow are still spreads, subnormal ones included.
        ([1e-310, 1.0], r"factor of about 1e\+310 \(feature #1: .*, feature #0: .*\)"),
    ],
)
def test_scale_disparity_message_is_finite_and_names_two_features(scales, expected):
    X = np.random.default_rng(0).normal(size=(50, 2)) * np.array(scales)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_scale_disparity(X)
    messages = [str(w.message) for w in caught if issubclass(w.category, ScaleDisparityWarning)]
    assert len(caught) == len(messages)  # no RuntimeWarning from an overflow either
    if expected is None:
        assert messages == []
        return
    (message,) = messages
    assert re.search(expected, message)
    assert "nan" not in message and "inf" not in message


def test_score_on_one_row_follows_scikit_learn(regression):
    X, y = regression
    model = StabilizedMLPRegressor(**SMALL).fit(X, y)
    with pytest.warns(UndefinedMetricWarning):
        score = model.score(X[:1], y[:1])
    assert np.isnan(score)
