"""Data, parametrizations and helpers shared by the estimator behaviour tests."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import ClassifierMixin
from sklearn.datasets import make_classification, make_regression

import skstab.neural_network._data as data_module
from skstab import StabilizedMLPClassifier, StabilizedMLPRegressor
from skstab.nn import BatchNorm, GroupNorm, LayerNorm

ESTIMATORS = [StabilizedMLPClassifier, StabilizedMLPRegressor]
NORM_LAYERS = (BatchNorm, LayerNorm, GroupNorm)

FAST = {"hidden_layer_sizes": (16,), "max_iter": 10, "learning_rate_init": 1e-2, "random_state": 0}

parametrize_estimator = pytest.mark.parametrize("Estimator", ESTIMATORS, ids=["classifier", "regressor"])
ignore_convergence = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def is_classifier(estimator):
    """Whether an estimator class or instance is a classifier."""
    cls = estimator if isinstance(estimator, type) else type(estimator)
    return issubclass(cls, ClassifierMixin)


def make_data(Estimator, n_samples=60, n_features=6, noise=1.0):
    if is_classifier(Estimator):
        return make_classification(n_samples=n_samples, n_features=n_features, random_state=0)
    X, y = make_regression(n_samples=n_samples, n_features=n_features, noise=noise, random_state=0)
    return X, y / y.std()


def outputs(est, X):
    """What the estimator's predictions rest on: probabilities or values."""
    return est.predict_proba(X) if is_classifier(est) else est.predict(X)


def assert_same_params(a, b):
    for p, q in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert_array_equal(p, q)


def record_splits(monkeypatch):
    """Record the (X_train, X_val, Y_train, Y_val, ...) of each early-stopping split."""
    splits = []
    original = data_module.train_test_split

    def recording_split(*arrays, **kwargs):
        parts = original(*arrays, **kwargs)
        splits.append(parts)
        return parts

    monkeypatch.setattr(data_module, "train_test_split", recording_split)
    return splits


def held_out_score(est, X_val, Y_val):
    """The early-stopping score of the current weights on a validation split of network inputs and encoded targets."""
    return est._score_outputs(est.net_.infer(X_val), Y_val, None)


def partial_fit(est, X, y):
    """One partial_fit call, passing ``classes`` to classifiers."""
    if is_classifier(est):
        return est.partial_fit(X, y, classes=np.unique(y))
    return est.partial_fit(X, y)
