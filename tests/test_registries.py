"""Registries own the choices: a new optimizer, schedule or normalization is one class plus one entry."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline

from skstab import FeatureAligner, StabilizedMLPClassifier, StabilizedMLPRegressor
from skstab.exceptions import ScaleDisparityWarning
from skstab.nn import NORMALIZATIONS, LayerNorm
from skstab.optim import OPTIMIZERS, SCHEDULES, Optimizer, Schedule


class SignDescent(Optimizer):
    """A toy optimizer: move every parameter by ``lr`` against the sign of its gradient."""

    _hyperparameter_names = ("scale", "weight_decay", "decay_mask")

    def __init__(self, *, scale=1.0, weight_decay=0.0, decay_mask=None):
        super().__init__(weight_decay=weight_decay, decay_mask=decay_mask)
        self.scale = scale

    def _update(self, params, grads, lr):
        params -= self.scale * lr * np.sign(self._apply_weight_decay(params, grads, lr))


class HalvingEachEpoch(Schedule):
    """A toy schedule: the rate halves at every epoch."""

    def _decay(self, progress, elapsed):
        return self.learning_rate_init * 0.5 ** (elapsed // self.steps_per_epoch)


@pytest.fixture
def data():
    X, y = load_breast_cancer(return_X_y=True)
    return FeatureAligner().fit_transform(X), y


def test_a_registered_optimizer_trains_an_estimator(monkeypatch, data):
    X, y = data
    monkeypatch.setitem(OPTIMIZERS, "sign", SignDescent)
    est = StabilizedMLPClassifier(optimizer="sign", learning_rate_init=1e-3, max_iter=5, random_state=0)
    est.fit(X, y)
    assert type(est._optimizer) is SignDescent
    # The offered arguments the class names reach it; the others do not.
    assert est._optimizer.weight_decay == est.weight_decay
    np.testing.assert_array_equal(est._optimizer.decay_mask, est.net_.decay_mask)
    assert est._optimizer.scale == 1.0
    assert est.score(X, y) > 0.9


def test_a_registered_schedule_trains_an_estimator(monkeypatch, data):
    X, y = data
    monkeypatch.setitem(SCHEDULES, "halving", HalvingEachEpoch)
    est = StabilizedMLPClassifier(lr_schedule="halving", warmup=0, max_iter=3, batch_size=64, random_state=0)
    est.fit(X, y)
    steps = est.lr_curve_.size // 3
    np.testing.assert_allclose(est.lr_curve_[::steps], est.learning_rate_init * np.array([1.0, 0.5, 0.25]))


def test_a_registered_normalization_is_built_with_its_arguments(monkeypatch, data):
    class ScaledLayerNorm(LayerNorm):
        """Layer norm under another name, to show the estimators need no change."""

    X, y = data
    monkeypatch.setitem(NORMALIZATIONS, "scaled-layer", ScaledLayerNorm)
    est = StabilizedMLPClassifier(normalization="scaled-layer", norm_epsilon=1e-3, max_iter=2, random_state=0)
    est.fit(X, y)
    norms = [layer for layer in est.net_.layers if isinstance(layer, ScaledLayerNorm)]
    assert len(norms) == 1 and norms[0].epsilon == 1e-3


@pytest.mark.parametrize(
    "param, registry", [("optimizer", OPTIMIZERS), ("lr_schedule", SCHEDULES), ("normalization", NORMALIZATIONS)]
)
def test_unknown_choices_are_refused_with_the_registered_ones(param, registry):
    with pytest.raises(ValueError, match=f"'{param}' parameter.*{next(iter(registry))}"):
        StabilizedMLPRegressor(**{param: "nonexistent"}).fit(np.ones((4, 2)), np.arange(4.0))


# -- warnings point at the user's line ----------------------------------------------------


#: Raw breast-cancer features without the estimator's own scaling raise a ScaleDisparityWarning.
UNSCALED = {"max_iter": 1, "random_state": 0, "input_scaling": None}


def _raw_features():
    X, y = load_breast_cancer(return_X_y=True)
    return X, y


@pytest.mark.parametrize(
    "call",
    [
        lambda X, y: StabilizedMLPClassifier(**UNSCALED).fit(X, y),
        lambda X, y: make_pipeline(StabilizedMLPClassifier(**UNSCALED)).fit(X, y),
        lambda X, y: cross_val_score(StabilizedMLPClassifier(**UNSCALED), X, y, cv=2),
    ],
    ids=["fit", "pipeline", "cross_val_score"],
)
def test_warnings_point_at_the_callers_line(call):
    X, y = _raw_features()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call(X, y)
    scale_warnings = [w for w in caught if w.category is ScaleDisparityWarning]
    assert scale_warnings
    assert {w.filename for w in scale_warnings} == {__file__}
