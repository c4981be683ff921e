"""Pickled models: a stored fixture still loads and predicts the same; pickles record the skstab version.

The fixtures ``tests/data/fitted_models.pkl`` (a fitted classifier and
regressor) and ``tests/data/fitted_models_predictions.npz`` (their inputs and
predictions) were written by this module (``python -m tests.test_persistence``).
A change to the estimators' private state that breaks loading an existing
model, or changes what it predicts, fails here. Regenerate them only for a
change meant to break old pickles, and say so in the changelog (old models
then warn with InconsistentVersionWarning once the version is bumped).
"""

import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification, make_regression

import skstab
from skstab import FeatureAligner, StabilizedMLPClassifier, StabilizedMLPRegressor
from skstab.exceptions import InconsistentVersionWarning

DATA = Path(__file__).parent / "data"
MODELS = DATA / "fitted_models.pkl"
PREDICTIONS = DATA / "fitted_models_predictions.npz"


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
    assert_array_equal(classifier.predict_proba(expected["X_c"]), expected["classifier_predict_proba"])
    assert_array_equal(regressor.predict(expected["X_r"]), expected["regressor_predict"])
    # A stored model keeps training.
    classifier.partial_fit(expected["X_c"], expected["classifier_predict"])


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
