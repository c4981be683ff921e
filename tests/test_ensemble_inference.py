"""The default ensemble predicts with folded member weights: always the current parameters' prediction (issue 23)."""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import make_classification, make_regression

import skstab.nn._ensemble as ensemble_module
from skstab import StabilizedMLPClassifier, StabilizedMLPRegressor

#: Enough rows that every chunk of a prediction uses folded weights.
N_ROWS = 2000


def _unfolded(monkeypatch, predict, X):
    with monkeypatch.context() as patch:
        patch.setattr(ensemble_module, "FOLD_MIN_ROWS", 10**9)
        return predict(X)


def _check(monkeypatch, est, X):
    predict = est.predict_proba if hasattr(est, "predict_proba") else est.predict
    folded = predict(X)
    assert any("folded" in layer._derivations for layer in est.net_.layers)
    assert_allclose(folded, _unfolded(monkeypatch, predict, X), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_predictions_follow_every_change_of_the_parameters(task, monkeypatch):
    if task == "classification":
        X, y = make_classification(n_samples=N_ROWS, n_features=20, n_classes=3, n_informative=5, random_state=0)
        est = StabilizedMLPClassifier(max_iter=2, random_state=0)
    else:
        X, y = make_regression(n_samples=N_ROWS, n_features=20, noise=1.0, random_state=0)
        est = StabilizedMLPRegressor(max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
        _check(monkeypatch, est, X)
        before = est.predict(X)

        est.partial_fit(X[:500], y[:500])
        _check(monkeypatch, est, X)
        assert not np.array_equal(est.predict(X), before)

        est.set_params(warm_start=True, max_iter=1)
        est.fit(X, y)
        _check(monkeypatch, est, X)

        est.coefs_[0][0, :] += 1.0  # a view into the network's parameters
        est.intercepts_[-1][...] += 0.5
        _check(monkeypatch, est, X)

        est.set_params(warm_start=False, max_iter=1)
        est.fit(X[:, :10], y)  # refitted on other features: every layer rebuilt
        _check(monkeypatch, est, X[:, :10])


def test_a_saved_model_holds_parameters_only():
    X, y = make_classification(n_samples=N_ROWS, n_features=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = StabilizedMLPClassifier(max_iter=1, random_state=0).fit(X, y)
    saved = pickle.dumps(est)
    est.predict_proba(X)
    assert any("folded" in layer._derivations for layer in est.net_.layers)
    assert pickle.dumps(est) == saved

    sio = pytest.importorskip("skops.io")
    loaded = sio.loads(sio.dumps(est), trusted=sio.get_untrusted_types(data=sio.dumps(est)))
    assert not any(layer._derivations for layer in loaded.net_.layers)
    assert_allclose(loaded.predict_proba(X), est.predict_proba(X), rtol=1e-12)


def test_fused_encoding_predictions_follow_every_change_of_the_parameters(monkeypatch):
    pytest.importorskip("numba")
    from skstab.nn import PiecewiseLinearEncoding

    X, y = make_classification(n_samples=N_ROWS, n_features=20, n_classes=3, n_informative=5, random_state=0)

    def check(est):
        fused = est.predict_proba(X)
        assert "tables" in est.net_.layers[0]._derivations
        with monkeypatch.context() as patch:
            patch.setattr(PiecewiseLinearEncoding, "fuses_inference_with", lambda self, follower: False)
            assert_allclose(fused, est.predict_proba(X), rtol=1e-9, atol=1e-12)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = StabilizedMLPClassifier(max_iter=2, accelerator="numba", random_state=0).fit(X, y)
        assert isinstance(est.net_.layers[0], PiecewiseLinearEncoding)
        check(est)
        est.partial_fit(X[:500], y[:500])
        check(est)
        est.coefs_[0][0, :] += 1.0
        check(est)
