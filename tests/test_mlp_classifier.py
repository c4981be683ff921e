"""Behaviour of StabilizedMLPClassifier: targets, probabilities, labels, class weights.

Behaviour shared with the regressor (sample weights, partial_fit, warm start,
stopping, curves, normalization...) is tested in ``test_training.py``.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit, log_expit, log_softmax, softmax
from sklearn.datasets import (
    load_iris,
    make_classification,
    make_multilabel_classification,
)
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.class_weight import compute_sample_weight

from skstab import StabilizedMLPClassifier

from ._mlp_helpers import record_splits

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FAST = {"hidden_layer_sizes": (16,), "max_iter": 10, "learning_rate_init": 1e-2, "random_state": 0}


def _binary(n_samples=60):
    return make_classification(n_samples=n_samples, n_features=6, random_state=0)


def _iris():
    X, y = load_iris(return_X_y=True)
    return (X - X.mean(axis=0)) / X.std(axis=0), y


def _multilabel():
    return make_multilabel_classification(n_samples=60, n_features=6, n_classes=3, random_state=0)


# -- targets and probabilities -----------------------------------------------------


def test_predict_proba_binary():
    X, y = _binary()
    clf = StabilizedMLPClassifier(**FAST).fit(X, y)
    proba = clf.predict_proba(X)

    assert clf.n_outputs_ == 1
    assert clf.out_activation_ == "logistic"
    assert proba.shape == (X.shape[0], 2)
    p = expit(clf._raw_outputs(X)[:, 0])
    assert_allclose(proba[:, 1], p, rtol=1e-12, atol=0)
    assert_array_equal(proba[:, 0], 1 - proba[:, 1])
    assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])


def test_predict_proba_multiclass():
    X, y = _iris()
    clf = StabilizedMLPClassifier(**FAST).fit(X, y)
    proba = clf.predict_proba(X)

    assert clf.n_outputs_ == 3
    assert clf.out_activation_ == "softmax"
    assert clf.coefs_[-1].shape == (16, 3)
    assert proba.shape == (X.shape[0], 3)
    assert_allclose(proba, softmax(clf._raw_outputs(X), axis=1), rtol=1e-12, atol=1e-15)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-14)
    assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
def test_multilabel_classification(dtype):
    X, Y = _multilabel()
    Y = Y.astype(dtype)
    clf = StabilizedMLPClassifier(**FAST).fit(X, Y)
    pred = clf.predict(X)

    assert clf.n_outputs_ == 3
    assert clf.out_activation_ == "logistic"
    assert pred.shape == Y.shape
    assert pred.dtype == Y.dtype
    assert set(np.unique(pred.astype(int))) <= {0, 1}
    assert_array_equal(pred, (clf._raw_outputs(X) > 0).astype(dtype))


def test_predict_proba_multilabel():
    X, Y = _multilabel()
    clf = StabilizedMLPClassifier(**FAST).fit(X, Y)
    proba = clf.predict_proba(X)

    assert proba.shape == Y.shape
    assert_allclose(proba, expit(clf._raw_outputs(X)), rtol=1e-12, atol=0)
    assert_array_equal(clf.predict(X), (proba > 0.5).astype(Y.dtype))
    # Saturated outputs stay strictly inside (0, 1); unscaled inputs reach them.
    clf = StabilizedMLPClassifier(**FAST, input_scaling=None).fit(X, Y)
    saturated = clf.predict_proba(X * 1e6)
    assert np.all((saturated > 0) & (saturated < 1))
    assert np.any(saturated > 0.999) and np.any(saturated < 0.001)


@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
def test_predict_log_proba(target):
    X, y = {"binary": _binary, "multiclass": _iris, "multilabel": _multilabel}[target]()
    clf = StabilizedMLPClassifier(**FAST).fit(X, y)

    log_proba = clf.predict_log_proba(X)
    assert log_proba.shape == clf.predict_proba(X).shape
    assert_allclose(log_proba, np.log(clf.predict_proba(X)), rtol=1e-10, atol=1e-14)

    # Outputs so large that exp underflows (reached on unscaled inputs): still finite, and the exact log link.
    clf = StabilizedMLPClassifier(**FAST, input_scaling=None).fit(X, y)
    X_big = X * 1e6
    Z = clf._raw_outputs(X_big)
    log_big = clf.predict_log_proba(X_big)
    assert np.isfinite(log_big).all()
    assert np.all(log_big <= 0)
    assert log_big.min() < np.log(np.finfo(np.float64).tiny)
    if target == "binary":
        expected = np.hstack([log_expit(-Z), log_expit(Z)])
    elif target == "multiclass":
        expected = log_softmax(Z, axis=1)
    else:
        expected = log_expit(Z)
    assert_allclose(log_big, expected, rtol=1e-12)


@pytest.mark.parametrize(
    "labels",
    [
        np.array(["cat", "dog"]),
        np.array(["ant", "bee", "cat"]),
        np.array([False, True]),
        np.array([-1, 1]),
        np.array(["no", "yes"], dtype=object),
    ],
    ids=["str-binary", "str-multiclass", "bool", "minus-one-one", "object"],
)
def test_label_types_are_preserved(labels):
    # Labels are a pure relabelling of the codes: same fit, same decisions.
    X, codes = _iris() if len(labels) == 3 else _binary()
    y = labels[codes]
    clf = StabilizedMLPClassifier(**FAST).fit(X, y)
    ref = StabilizedMLPClassifier(**FAST).fit(X, codes)

    assert_array_equal(clf.classes_, np.sort(labels))
    pred = clf.predict(X)
    assert pred.dtype == y.dtype
    assert_array_equal(pred, labels[ref.predict(X)])
    assert_array_equal(clf.predict_proba(X), ref.predict_proba(X))


def test_column_vector_y_warns():
    X, y = _binary()
    with pytest.warns(DataConversionWarning):
        clf = StabilizedMLPClassifier(**FAST).fit(X, y.reshape(-1, 1))
    ref = StabilizedMLPClassifier(**FAST).fit(X, y)

    assert clf.predict(X).shape == (X.shape[0],)
    assert_array_equal(clf.predict_proba(X), ref.predict_proba(X))


def test_continuous_target_raises():
    X, _ = _binary()
    with pytest.raises(ValueError, match="Unknown label type"):
        StabilizedMLPClassifier(**FAST).fit(X, np.linspace(0, 1, X.shape[0]))


# -- class_weight ------------------------------------------------------------------


def _imbalanced():
    return make_classification(n_samples=80, n_features=6, weights=[0.8, 0.2], random_state=0)


def test_class_weight_balanced_equals_sample_weight():
    X, y = _imbalanced()
    balanced = StabilizedMLPClassifier(class_weight="balanced", **FAST).fit(X, y)
    sw = compute_sample_weight("balanced", y)
    weighted = StabilizedMLPClassifier(**FAST).fit(X, y, sample_weight=sw)

    for a, b in zip(balanced.coefs_ + balanced.intercepts_, weighted.coefs_ + weighted.intercepts_):
        assert_array_equal(a, b)
    assert balanced.loss_curve_ == weighted.loss_curve_


@pytest.mark.parametrize("class_weight", ["balanced", {0: 1.0, 1: 5.0}])
def test_class_weight_changes_fit(class_weight):
    X, y = _imbalanced()
    plain = StabilizedMLPClassifier(**FAST).fit(X, y)
    weighted = StabilizedMLPClassifier(class_weight=class_weight, **FAST).fit(X, y)

    assert not np.allclose(weighted.coefs_[0], plain.coefs_[0])
    # Up-weighting the minority class raises its predicted probability on average.
    assert weighted.predict_proba(X)[:, 1].mean() > plain.predict_proba(X)[:, 1].mean()


def test_class_weight_multiplies_sample_weight(rng):
    X, y = _imbalanced()
    sw = rng.uniform(0.5, 2.0, size=y.shape[0])
    class_weight = {0: 1.0, 1: 3.0}
    combined = StabilizedMLPClassifier(class_weight=class_weight, **FAST)
    combined.fit(X, y, sample_weight=sw)
    explicit = StabilizedMLPClassifier(**FAST)
    explicit.fit(X, y, sample_weight=sw * np.where(y == 1, 3.0, 1.0))

    for a, b in zip(combined.coefs_, explicit.coefs_):
        assert_array_equal(a, b)


def test_class_weight_multilabel_raises():
    X, Y = _multilabel()
    with pytest.raises(ValueError, match="class_weight"):
        StabilizedMLPClassifier(class_weight="balanced", **FAST).fit(X, Y)


# -- partial_fit -------------------------------------------------------------------


def test_partial_fit_classes_error():
    X, y = _binary()
    clf = StabilizedMLPClassifier(**FAST)
    message = r"^classes must be passed on the first call to partial_fit\.$"
    with pytest.raises(ValueError, match=message):
        clf.partial_fit(X, y)
    assert not hasattr(clf, "net_")


def test_partial_fit_unseen_classes():
    X, y = _iris()
    labels = np.array(["a", "b", "c", "d"])
    clf = StabilizedMLPClassifier(**FAST)
    clf.partial_fit(X, labels[y], classes=labels)
    assert_array_equal(clf.classes_, labels)
    assert clf.predict_proba(X).shape == (X.shape[0], 4)
    # Later calls may omit classes and see a subset of them.
    clf.partial_fit(X[y == 0], labels[y[y == 0]])

    with pytest.raises(ValueError, match="not in classes_"):
        clf.partial_fit(X[:5], np.array(["a", "b", "e", "a", "b"]))


def test_partial_fit_classification():
    X, y = _binary(n_samples=200)
    clf = StabilizedMLPClassifier(**{**FAST, "max_iter": 20})
    for _ in range(20):
        clf.partial_fit(X, y, classes=[0, 1])
    assert clf.score(X, y) > 0.9
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]


def test_partial_fit_multilabel_without_classes():
    X, Y = _multilabel()
    clf = StabilizedMLPClassifier(**FAST).partial_fit(X, Y)
    assert_array_equal(clf.classes_, np.arange(3))
    assert clf.predict(X).shape == Y.shape


def test_warm_start_new_class_raises():
    X, y = _iris()
    clf = StabilizedMLPClassifier(warm_start=True, **FAST).fit(X[y < 2], y[y < 2])
    with pytest.raises(ValueError, match="warm_start can only be used where `y` has the same classes"):
        clf.fit(X, y)


# -- early stopping ----------------------------------------------------------------


def test_mlp_early_stopping_string_labels():
    X, y = _iris()
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = StabilizedMLPClassifier(early_stopping=True, **FAST).fit(X, labels)

    assert len(clf.validation_scores_) == clf.n_iter_
    assert 0 <= clf.best_validation_score_ <= 1
    assert set(clf.predict(X)) <= set(labels)


def test_early_stopping_stratified(monkeypatch):
    # 100 rows in classes of 50/30/20 and a 20-row validation set: a stratified
    # split holds exactly 10/6/4 of them.
    X, _ = make_classification(n_samples=100, n_features=6, random_state=0)
    y = np.repeat(np.array(["a", "b", "c"]), [50, 30, 20])
    splits = record_splits(monkeypatch)
    clf = StabilizedMLPClassifier(early_stopping=True, validation_fraction=0.2, **FAST).fit(X, y)

    (parts,) = splits
    Y_val = parts[3]
    assert_array_equal(Y_val.sum(axis=0), [10, 6, 4])
    assert len(clf.validation_scores_) == clf.n_iter_


def test_early_stopping_class_too_small_to_stratify():
    X, y = _binary()
    y = np.zeros_like(y)
    y[0] = 1  # one member: stratification is impossible, the split still works
    clf = StabilizedMLPClassifier(early_stopping=True, **FAST).fit(X, y)
    assert len(clf.validation_scores_) == clf.n_iter_


# -- dtypes ------------------------------------------------------------------------


def test_mlp_classifier_dtypes_casting():
    X, y = _iris()
    clf64 = StabilizedMLPClassifier(**FAST).fit(X, y)
    clf32 = StabilizedMLPClassifier(**FAST).fit(X.astype(np.float32), y)

    proba32 = clf32.predict_proba(X.astype(np.float32))
    assert proba32.dtype == np.float32
    assert_allclose(proba32, clf64.predict_proba(X), rtol=1e-2, atol=1e-3)
    assert_array_equal(clf32.predict(X.astype(np.float32)), clf64.predict(X))
