"""Saved models name public types only: skops.io loads them with a short documented trust list; pickle and
joblib round trips stay bit-identical. The user guide's "Saving and loading" section shows the exact list."""

import io
import pickle
import re
import warnings
from pathlib import Path

import joblib
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification
from sklearn.pipeline import make_pipeline

from skstab import FeatureAligner, StabilizedMLPClassifier, StabilizedMLPRegressor

sio = pytest.importorskip("skops.io")

USER_GUIDE = Path(__file__).parents[1] / "docs" / "user_guide.rst"

#: What ``skops.io.get_untrusted_types`` lists for a default StabilizedMLPClassifier after fit: the documented list.
DEFAULT_CLASSIFIER_TYPES = {
    "skstab.StabilizedMLPClassifier",
    "skstab.nn.Sequential",
    "skstab.nn.BatchEnsembleDense",
    "skstab.nn.BatchNorm",
    "skstab.nn.ReLU",
    "skstab.optim.AdamW",
    "skstab.optim.CosineDecay",
}

SMALL = {"hidden_layer_sizes": (8,), "max_iter": 3, "random_state": 0}


def _data(n_samples=96):
    return make_classification(n_samples=n_samples, n_features=5, random_state=0)


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y)


def _documented_rule(est, streamed_without_horizon=False):
    """The user guide's rule: the estimator, Sequential, the dense layer, and the classes its parameters chose."""
    from skstab import nn, optim

    dense = nn.Dense if est.n_ensemble == 1 else nn.BatchEnsembleDense
    normalization = {"auto": "batch"}.get(est.normalization, est.normalization)
    schedule = optim.ConstantLR if streamed_without_horizon else optim.SCHEDULES[est.lr_schedule]
    classes = [type(est), nn.Sequential, dense, nn.ACTIVATIONS[est.activation], optim.OPTIMIZERS[est.optimizer]]
    classes += [schedule] + ([nn.NORMALIZATIONS[normalization]] if normalization else [])
    return {f"{cls.__module__}.{cls.__qualname__}" for cls in classes}


def test_default_classifier_needs_exactly_the_documented_types():
    X, y = _data()
    est = _fit(StabilizedMLPClassifier(random_state=0, max_iter=3), X, y)
    assert set(sio.get_untrusted_types(data=sio.dumps(est))) == DEFAULT_CLASSIFIER_TYPES
    assert _documented_rule(est) == DEFAULT_CLASSIFIER_TYPES


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"activation": "gelu", "normalization": "layer", "optimizer": "sgd", "lr_schedule": "step"},
        {"activation": "tanh", "normalization": None, "optimizer": "rmsprop", "lr_schedule": "linear"},
        {"normalization": "group", "hidden_layer_sizes": (8,), "early_stopping": True},
        {"n_ensemble": 1},
    ],
)
@pytest.mark.parametrize("Estimator", [StabilizedMLPClassifier, StabilizedMLPRegressor])
def test_untrusted_types_follow_the_documented_rule(Estimator, params):
    X, y = _data()
    est = _fit(Estimator(**{**SMALL, **params}), X, y)
    names = set(sio.get_untrusted_types(data=sio.dumps(est)))
    assert names == _documented_rule(est)
    assert all(name.startswith("skstab.") and "._" not in name for name in names)


def test_streamed_model_and_pipeline_types():
    X, y = _data()
    est = StabilizedMLPClassifier(**SMALL).partial_fit(X, y, classes=[0, 1])
    assert set(sio.get_untrusted_types(data=sio.dumps(est))) == _documented_rule(est, streamed_without_horizon=True)
    pipe = _fit(make_pipeline(FeatureAligner(clip=3), StabilizedMLPClassifier(**SMALL)), X, y)
    names = set(sio.get_untrusted_types(data=sio.dumps(pipe)))
    assert names == _documented_rule(pipe[-1]) | {"skstab.FeatureAligner"}


def _assert_same_model(a, b, X, y):
    """Same predictions, then bit-identical continued training (weights, rates, shuffling)."""
    if isinstance(a, StabilizedMLPClassifier):
        assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert_array_equal(a.predict(X), b.predict(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(3):
            a.partial_fit(X, y)
            b.partial_fit(X, y)
    assert_array_equal(a.net_.params, b.net_.params)
    assert_array_equal(a.lr_curve_, b.lr_curve_)
    assert a.loss_curve_ == b.loss_curve_
    assert a.n_iter_ == b.n_iter_ and a.t_ == b.t_
    assert_array_equal(a.predict(X), b.predict(X))


def _joblib_round_trip(est):
    buffer = io.BytesIO()
    joblib.dump(est, buffer)
    buffer.seek(0)
    return joblib.load(buffer)


def _skops_round_trip(est):
    data = sio.dumps(est)
    return sio.loads(data, trusted=sio.get_untrusted_types(data=data))


@pytest.mark.parametrize(
    "round_trip",
    [lambda est: pickle.loads(pickle.dumps(est)), _joblib_round_trip, _skops_round_trip],
    ids=["pickle", "joblib", "skops"],
)
@pytest.mark.parametrize("how", ["fit", "partial_fit", "early_stopping"])
@pytest.mark.parametrize("Estimator", [StabilizedMLPClassifier, StabilizedMLPRegressor])
def test_round_trips_are_bit_identical(Estimator, how, round_trip):
    X, y = _data()
    y = y if Estimator is StabilizedMLPClassifier else y + X[:, 0]
    if how == "partial_fit":
        est = Estimator(**SMALL, partial_fit_horizon=10)
        classes = {"classes": [0, 1]} if Estimator is StabilizedMLPClassifier else {}
        est.partial_fit(X[:48], y[:48], **classes).partial_fit(X[48:], y[48:])
    else:
        est = _fit(Estimator(**SMALL, early_stopping=how == "early_stopping"), X, y)
        if how == "early_stopping":
            est.set_params(early_stopping=False)  # partial_fit refuses early stopping; the state still travels
    loaded = round_trip(est)
    assert type(loaded._state) is type(est._state)  # stored as builtins, rebuilt on load
    assert loaded._rng.bit_generator.state == est._rng.bit_generator.state
    _assert_same_model(est, loaded, X, y)


def test_user_guide_loads_with_exactly_the_documented_list():
    text = USER_GUIDE.read_text()
    section = text.split("Saving and loading\n------------------", 1)[1].split("\n.. _", 1)[0]
    listed = re.search(r"trusted = \[(.*?)\]", section, flags=re.S).group(1)
    documented = set(re.findall(r'"([\w.]+)"', listed))
    assert documented == DEFAULT_CLASSIFIER_TYPES
    X, y = _data()
    est = _fit(StabilizedMLPClassifier(random_state=0, max_iter=3), X, y)
    loaded = sio.loads(sio.dumps(est), trusted=sorted(documented))
    assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
