"""Pickled models: stored fixtures still load and predict the same; pickles record the skstab version.

The fixtures ``tests/data/fitted_models.pkl`` (a fitted classifier and
regressor) and ``tests/data/fitted_models_predictions.npz`` (their inputs and
predictions) were written by this module (``python -m tests.test_persistence``).
A change to the estimators' private state that breaks loading an existing
model, or changes what it predicts, fails here. Regenerate them only for a
change meant to break old pickles, and say so in the changelog (old models
then warn with InconsistentVersionWarning once the version is bumped).

The fixtures ``tests/data/before_layout.{pkl,joblib,skops}`` and ``before_layout_predictions.npz`` were written
by skstab 0.1.0 as it was just before the subpackage layout (commit 96a53c8, the flat ``skstab/_*.py``
modules): a default classifier and regressor (four-member ensembles), a one-network classifier with layer
normalization, a classifier streamed with ``partial_fit``, a ``FeatureAligner`` and a pipeline of both. They
are never regenerated: they are what users of that release have on disk.
"""

import importlib
import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification, make_regression

import skstab
from skstab import FeatureAligner, StabilizedMLPClassifier, StabilizedMLPRegressor
from skstab.exceptions import InconsistentVersionWarning

DATA = Path(__file__).parent / "data"
MODELS = DATA / "fitted_models.pkl"
PREDICTIONS = DATA / "fitted_models_predictions.npz"
BEFORE_LAYOUT = DATA / "before_layout"
#: Predictions of a loaded model against those stored on the development machine: inference only, so the
#: BLAS kernels of other CPUs differ in the last bits (under OPENBLAS_CORETYPE=Sandybridge: about 1e-16 relative).
ACROSS_CPUS = {"rtol": 1e-9, "atol": 1e-12}


def _fit_models():
    X_c, y_c = make_classification(n_samples=60, n_features=4, n_informative=3, n_redundant=0, random_state=0)
    X_r, y_r = make_regression(n_samples=60, n_features=4, noise=1.0, random_state=0)
    params = {"hidden_layer_sizes": (8,), "max_iter": 5, "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        classifier = StabilizedMLPClassifier(**params).fit(X_c, y_c)
        regressor = StabilizedMLPRegressor(**params).fit(X_r, y_r / y_r.std())
    arrays = {
        "X_c": X_c,
        "X_r": X_r,
        "classifier_predict": classifier.predict(X_c),
        "classifier_predict_proba": classifier.predict_proba(X_c),
        "regressor_predict": regressor.predict(X_r),
    }
    return {"classifier": classifier, "regressor": regressor}, arrays


def write_fixtures():
    models, arrays = _fit_models()
    MODELS.write_bytes(pickle.dumps(models, protocol=4))
    np.savez_compressed(PREDICTIONS, **arrays)
    return MODELS, PREDICTIONS


def test_stored_models_load_and_predict_the_stored_arrays():
    with warnings.catch_warnings():
        # Only a version bump without regenerating the fixture warns; that is not what this test is about.
        warnings.simplefilter("ignore", InconsistentVersionWarning)
        models = pickle.loads(MODELS.read_bytes())
    with np.load(PREDICTIONS) as stored:
        expected = dict(stored)
    classifier, regressor = models["classifier"], models["regressor"]
    assert_array_equal(classifier.predict(expected["X_c"]), expected["classifier_predict"])
    # Stored on the development machine: another BLAS kernel may round the products differently.
    assert_allclose(classifier.predict_proba(expected["X_c"]), expected["classifier_predict_proba"], **ACROSS_CPUS)
    assert_allclose(regressor.predict(expected["X_r"]), expected["regressor_predict"], **ACROSS_CPUS)
    # A stored model keeps training.
    classifier.partial_fit(expected["X_c"], expected["classifier_predict"])


@pytest.mark.parametrize("old", sorted(skstab._MOVED_MODULES))
def test_private_paths_of_the_flat_layout_still_import(old):
    """Pickles of skstab 0.1.0 name these modules; each is the module that now holds its code."""
    new = importlib.import_module(f"skstab.{skstab._MOVED_MODULES[old]}")
    assert importlib.import_module(f"skstab.{old}") is new


def _load_before_layout(fmt):
    path = BEFORE_LAYOUT.with_suffix(f".{fmt}")
    if fmt == "pkl":
        return pickle.loads(path.read_bytes())
    if fmt == "joblib":
        return pytest.importorskip("joblib").load(path)
    sio = pytest.importorskip("skops.io")
    data = path.read_bytes()
    untrusted = sio.get_untrusted_types(data=data)
    # The trust list a user reads in the user guide: public names only.
    assert all(not any(part.startswith("_") for part in name.split(".")) for name in untrusted), untrusted
    return sio.loads(data, trusted=untrusted)


@pytest.mark.parametrize("fmt", ["pkl", "joblib", "skops"])
def test_models_saved_before_the_layout_load_and_predict_as_they_did(fmt):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InconsistentVersionWarning)
        models = _load_before_layout(fmt)
    with np.load(BEFORE_LAYOUT.with_name("before_layout_predictions.npz")) as stored:
        expected = dict(stored)
    for name, model in models.items():
        X = expected["X_r"] if name in ("regressor", "pipeline", "aligner") else expected["X_c"]
        got = model.transform(X) if name == "aligner" else model.predict(X)
        assert_allclose(got, expected[name], **ACROSS_CPUS, err_msg=name)
        if hasattr(model, "predict_proba"):
            assert_allclose(model.predict_proba(X), expected[f"{name}_proba"], **ACROSS_CPUS, err_msg=name)
    # A loaded model keeps learning.
    models["streamed"].partial_fit(expected["X_c"], expected["streamed"])


@pytest.mark.parametrize(
    "estimator",
    [StabilizedMLPClassifier(max_iter=2), StabilizedMLPRegressor(max_iter=2), FeatureAligner()],
    ids=lambda est: type(est).__name__,
)
def test_pickles_record_the_skstab_version_and_warn_across_versions(estimator):
    X, y = make_classification(n_samples=30, n_features=3, n_informative=2, n_redundant=0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator.fit(X, y)
    state = estimator.__getstate__()
    assert state["_skstab_version"] == skstab.__version__
    assert "_skstab_version" not in estimator.__dict__
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentVersionWarning)
        same = pickle.loads(pickle.dumps(estimator))
    assert "_skstab_version" not in same.__dict__
    for saved, shown in [("0.0.1", "0.0.1"), (None, "unknown")]:
        old = dict(state)
        if saved is None:
            del old["_skstab_version"]
        else:
            old["_skstab_version"] = saved
        loaded = type(estimator).__new__(type(estimator))
        with pytest.warns(
            InconsistentVersionWarning, match=f"saved by skstab {shown}.*with skstab {skstab.__version__}"
        ):
            loaded.__setstate__(old)
        assert "_skstab_version" not in loaded.__dict__


if __name__ == "__main__":
    for path in write_fixtures():
        print(f"wrote {path}")
