"""ONNX export: graphs run in onnxruntime must give what predict, predict_proba and transform give."""

import doctest
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pandas as pd
import pytest
import skl2onnx
from numpy.testing import assert_allclose, assert_array_equal
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

import skstab.onnx  # noqa: F401  (registers the converters)
from skstab import FeatureAligner, StabilizedMLPClassifier, StabilizedMLPRegressor, nn

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

NORMALIZATIONS = [None, "batch", "layer", "group", "auto"]
ACTIVATIONS = ["identity", "logistic", "tanh", "relu", "gelu"]
TOL = {"atol": 1e-5, "rtol": 1e-5}


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(0).normal(size=(100, 5)).astype(np.float32)


def _targets(X, kind):
    return {
        "binary": (X[:, 0] > 0).astype(int),
        "multiclass": np.array(["ant", "bee", "cat"])[np.argmax(X[:, :3], axis=1)],
        "multilabel": (X[:, :3] > 0).astype(int),
        "single": X[:, 0] - X[:, 1],
        "multi": X[:, :2] * 2,
    }[kind]


def _run(model, X, **kwargs):
    onx = skl2onnx.to_onnx(model, X[:1], **kwargs)
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"X": X})


def _mlp(cls, normalization, activation):
    return cls((8, 8), activation, normalization=normalization, max_iter=3, random_state=0)


@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("normalization", NORMALIZATIONS)
def test_classifier_matches_predict(X, normalization, activation, kind):
    clf = _mlp(StabilizedMLPClassifier, normalization, activation).fit(X, _targets(X, kind))
    labels, proba = _run(clf, X, options={"zipmap": False})
    assert_array_equal(labels, clf.predict(X))
    assert_allclose(proba, clf.predict_proba(X), **TOL)


@pytest.mark.parametrize("kind", ["single", "multi"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("normalization", NORMALIZATIONS)
def test_regressor_matches_predict(X, normalization, activation, kind):
    reg = _mlp(StabilizedMLPRegressor, normalization, activation).fit(X, _targets(X, kind))
    (values,) = _run(reg, X)
    # Like skl2onnx's regressors, the graph always outputs (n_samples, n_outputs).
    assert values.shape == (len(X), reg.n_outputs_)
    assert_allclose(values.reshape(reg.predict(X).shape), reg.predict(X), **TOL)


@pytest.mark.parametrize("y_kind", ["bool", "negative_int", "str"])
def test_binary_label_types(X, y_kind):
    positive = X[:, 0] > 0
    y = {"bool": positive, "negative_int": np.where(positive, -3, 7), "str": np.where(positive, "yes", "no")}[y_kind]
    clf = StabilizedMLPClassifier((8,), max_iter=2, random_state=0).fit(X, y)
    labels, _ = _run(clf, X, options={"zipmap": False})
    assert_array_equal(labels, clf.predict(X))


@pytest.mark.parametrize("kind", ["binary", "multilabel"])
@pytest.mark.parametrize("sign", [1, -1])
def test_saturated_sigmoids_stay_inside_the_unit_interval(X, kind, sign):
    clf = StabilizedMLPClassifier((8,), max_iter=2, random_state=0).fit(X, _targets(X, kind))
    clf.net_.layers[-1].params["b"][...] = sign * 200.0
    labels, proba = _run(clf, X, options={"zipmap": False})
    assert_array_equal(labels, clf.predict(X))
    assert_allclose(proba, clf.predict_proba(X), **TOL)
    assert ((proba > 0) & (proba < 1)).all()


@pytest.mark.parametrize("normalization", ["layer", "group"])
@pytest.mark.parametrize("target_opset", [13, 17])
def test_older_opsets(X, normalization, target_opset):
    # Before opset 18 ReduceMean takes its axes as an attribute.
    reg = _mlp(StabilizedMLPRegressor, normalization, "relu").fit(X, _targets(X, "multi"))
    (values,) = _run(reg, X, target_opset=target_opset)
    assert_allclose(values, reg.predict(X), **TOL)


def _ensemble(cls, X, y, normalization, n_ensemble, dtype, **params):
    """A fitted ensemble whose output members are spread apart, so that an export averaging the wrong
    quantity (logits instead of probabilities) or dropping members would not match predict."""
    model = cls(
        (8, 8), "relu", normalization=normalization, n_ensemble=n_ensemble, max_iter=3, random_state=0, **params
    )
    model.fit(X.astype(dtype), y)
    out = model.net_.layers[-1].params
    out["b"] += np.random.default_rng(1).normal(scale=2.0, size=out["b"].shape)
    return model


# float64 input gives a double graph, which must agree to double rounding.
ENSEMBLE_TOL = {np.float32: TOL, np.float64: {"atol": 1e-12, "rtol": 1e-12}}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("normalization", [None, "batch", "layer", "group"])
@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("n_ensemble", [1, 3])
def test_ensemble_classifier_matches_predict(X, n_ensemble, kind, normalization, dtype):
    # Binary and multilabel members are averaged under the sigmoid, multiclass ones under the softmax.
    clf = _ensemble(StabilizedMLPClassifier, X, _targets(X, kind), normalization, n_ensemble, dtype)
    X = X.astype(dtype)
    labels, proba = _run(clf, X, options={"zipmap": False})
    assert proba.dtype == dtype
    assert_array_equal(labels, clf.predict(X))
    assert_allclose(proba, clf.predict_proba(X), **ENSEMBLE_TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("normalization", [None, "batch", "layer", "group"])
@pytest.mark.parametrize("kind", ["single", "multi"])
@pytest.mark.parametrize("n_ensemble", [1, 3])
def test_ensemble_regressor_matches_predict(X, n_ensemble, kind, normalization, dtype):
    reg = _ensemble(StabilizedMLPRegressor, X, _targets(X, kind), normalization, n_ensemble, dtype)
    X = X.astype(dtype)
    (values,) = _run(reg, X)
    assert values.dtype == dtype
    assert_allclose(values.reshape(reg.predict(X).shape), reg.predict(X), **ENSEMBLE_TOL[dtype])


@pytest.mark.parametrize("kind", ["binary", "multiclass", "multi"])
@pytest.mark.parametrize("target_opset", [13, 17])
def test_ensemble_older_opsets(X, kind, target_opset):
    # Before opset 18 ReduceMean and ReduceLogSumExp take their axes as an attribute.
    cls = StabilizedMLPRegressor if kind == "multi" else StabilizedMLPClassifier
    model = _ensemble(cls, X, _targets(X, kind), "layer", 3, np.float32)
    outputs = _run(model, X, target_opset=target_opset, **({} if kind == "multi" else {"options": {"zipmap": False}}))
    if kind == "multi":
        assert_allclose(outputs[0], model.predict(X), **TOL)
    else:
        assert_array_equal(outputs[0], model.predict(X))
        assert_allclose(outputs[1], model.predict_proba(X), **TOL)


def test_float64_input_gives_a_double_graph(X):
    X64 = X.astype(np.float64)
    clf = _mlp(StabilizedMLPClassifier, "batch", "gelu").fit(X64, _targets(X, "multiclass"))
    labels, proba = _run(clf, X64, options={"zipmap": False})
    assert proba.dtype == np.float64
    assert_array_equal(labels, clf.predict(X64))
    assert_allclose(proba, clf.predict_proba(X64), atol=1e-12, rtol=1e-12)


def test_zipmap_outputs(X):
    clf = StabilizedMLPClassifier((8,), max_iter=2, random_state=0).fit(X, _targets(X, "multiclass"))
    expected = clf.predict_proba(X)
    labels, dicts = _run(clf, X)  # zipmap=True by default, as for skl2onnx's classifiers
    assert_array_equal(labels, clf.predict(X))
    assert_allclose([[row[c] for c in clf.classes_] for row in dicts], expected, **TOL)
    labels, *columns = _run(clf, X, options={"zipmap": "columns"})
    assert_allclose(np.column_stack(columns), expected, **TOL)


def test_nocl_and_output_class_labels(X):
    clf = StabilizedMLPClassifier((8,), max_iter=2, random_state=0).fit(X, _targets(X, "multiclass"))
    indices, _ = _run(clf, X, options={"zipmap": False, "nocl": True})
    assert_array_equal(indices, np.searchsorted(clf.classes_, clf.predict(X)))
    labels, _, class_labels = _run(clf, X, options={"zipmap": False, "output_class_labels": True})
    assert_array_equal(labels, clf.predict(X))
    assert_array_equal(class_labels, clf.classes_)


@pytest.mark.parametrize("method, clip", [("standard", None), ("robust", None), ("robust", 3.0), ("standard", 2.0)])
@pytest.mark.parametrize("with_mean", [True, False])
@pytest.mark.parametrize("with_std", [True, False])
def test_feature_aligner(X, with_mean, with_std, method, clip):
    X = X * np.array([1, 10, 100, 0.1, 1], dtype=np.float32) + 5
    X[3, 1] = np.nan
    aligner = FeatureAligner(method=method, clip=clip, with_mean=with_mean, with_std=with_std).fit(X)
    (out,) = _run(aligner, X)
    expected = aligner.transform(X)
    assert np.isnan(out[3, 1])
    assert_allclose(out, expected, **TOL)


def _frame(n=100):
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {"a": rng.normal(size=n), "b": rng.normal(size=n) * 10, "city": rng.choice(["x", "y", "z"], n)}
    )
    frame.loc[[3, 17], "a"] = np.nan
    return frame


@pytest.mark.parametrize("cls", [StabilizedMLPClassifier, StabilizedMLPRegressor])
def test_pipeline_with_column_transformer(cls):
    frame = _frame()
    y = frame["b"].to_numpy()
    if cls is StabilizedMLPClassifier:
        y = np.where(frame["a"].fillna(0) + (frame["city"] == "x") > 0.5, "yes", "no")
    preprocess = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(), FeatureAligner()), ["a", "b"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["city"]),
        ]
    )
    model = make_pipeline(preprocess, cls((8,), max_iter=5, random_state=0)).fit(frame, y)
    initial_types = [
        ("a", FloatTensorType([None, 1])),
        ("b", FloatTensorType([None, 1])),
        ("city", StringTensorType([None, 1])),
    ]
    onx = skl2onnx.to_onnx(model, initial_types=initial_types, options={StabilizedMLPClassifier: {"zipmap": False}})
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    feeds = {name: frame[[name]].to_numpy(np.float32) for name in ("a", "b")}
    feeds["city"] = frame[["city"]].to_numpy().astype(str)
    outputs = session.run(None, feeds)
    if cls is StabilizedMLPClassifier:
        assert_array_equal(outputs[0], model.predict(frame))
        assert_allclose(outputs[1], model.predict_proba(frame), **TOL)
    else:
        assert_allclose(outputs[0].ravel(), model.predict(frame), **TOL)


@pytest.mark.parametrize("model", [StabilizedMLPClassifier(), StabilizedMLPRegressor(), FeatureAligner()])
def test_unfitted_models_raise_not_fitted(X, model):
    with pytest.raises(NotFittedError):
        skl2onnx.to_onnx(model, X[:1])


class _Shift(nn.Layer):
    """A layer the export does not know."""

    def forward(self, X, *, training):
        return X + 1

    def backward(self, dY, *, need_input_grad=True):
        return dY

    def infer(self, X):
        return X + 1


def test_unsupported_layer_is_named(X):
    clf = StabilizedMLPClassifier((8,), max_iter=2, random_state=0).fit(X, _targets(X, "binary"))
    clf.net_.layers.insert(1, _Shift())
    with pytest.raises(TypeError, match="_Shift layers are not supported by skstab's ONNX export yet"):
        skl2onnx.to_onnx(clf, X[:1])


def test_too_old_opset_is_refused(X):
    reg = StabilizedMLPRegressor((8,), max_iter=2, random_state=0).fit(X, _targets(X, "single"))
    with pytest.raises(ValueError, match="target_opset >= 13"):
        skl2onnx.to_onnx(reg, X[:1], target_opset=12)


def test_import_skstab_does_not_import_onnx():
    code = "import sys, skstab; sys.exit(any(m in sys.modules for m in ('skl2onnx', 'onnx', 'onnxruntime')))"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_user_guide_example():
    guide = Path(__file__).parents[1] / "docs" / "user_guide.rst"
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testfile(str(guide), module_relative=False, optionflags=flags, verbose=False)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize("Estimator", [StabilizedMLPClassifier, StabilizedMLPRegressor])
def test_quantile_scaling_is_refused_by_name(Estimator, X):
    kind = "binary" if Estimator is StabilizedMLPClassifier else "single"
    est = Estimator((8,), max_iter=2, random_state=0, input_scaling="quantile").fit(X, _targets(X, kind))
    with pytest.raises(ValueError, match="does not cover input_scaling='quantile' yet: fit without it"):
        skl2onnx.to_onnx(est, X[:1])


def _piecewise_rows():
    """Training rows with a skewed, a three-valued and a constant feature, and test rows beyond their range.

    The three-valued feature gets two bins and the constant one a single bin, clipped on neither side; the
    test rows fall below the first edge and above the last of every feature, where the outer bins stay linear.
    """
    rng = np.random.default_rng(2)
    X = np.column_stack(
        [rng.normal(size=150), rng.exponential(size=150), rng.integers(0, 3, size=150), np.full(150, 2.0)]
    )
    beyond = np.concatenate([X[:20] * 6 + 3, X[:20] * 6 - 25])
    return X, np.concatenate([X, beyond])


# Three epochs on 150 rows only give the network weights to export; whether it learned does not matter here.
@pytest.mark.filterwarnings("ignore::skstab.exceptions.NoProgressWarning")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["binary", "multiclass", "single", "multi"])
@pytest.mark.parametrize("n_ensemble", [1, 4])
def test_piecewise_linear_encoding_matches_predict(n_ensemble, kind, dtype):
    X, X_test = (rows.astype(dtype) for rows in _piecewise_rows())
    cls = StabilizedMLPRegressor if kind in ("single", "multi") else StabilizedMLPClassifier
    model = _ensemble(cls, X, _targets(X, kind), "layer", n_ensemble, dtype, numerical_embedding="piecewise_linear")
    encoding = model.net_.layers[0]
    assert isinstance(encoding, nn.PiecewiseLinearEncoding)
    assert [len(e) - 1 for e in encoding.edges[2:]] == [2, 1]
    # The test rows reach past both outer edges of every feature, so the unclipped sides are exercised.
    scaled = model._scale_inputs(X_test, dtype)
    assert (scaled.min(axis=0) < [e[0] for e in encoding.edges]).all()
    assert (scaled.max(axis=0) > [e[-1] for e in encoding.edges]).all()
    outputs = _run(model, X_test, **({} if cls is StabilizedMLPRegressor else {"options": {"zipmap": False}}))
    assert outputs[-1].dtype == dtype
    if cls is StabilizedMLPRegressor:
        assert_allclose(outputs[0].reshape(model.predict(X_test).shape), model.predict(X_test), **ENSEMBLE_TOL[dtype])
    else:
        assert_array_equal(outputs[0], model.predict(X_test))
        assert_allclose(outputs[1], model.predict_proba(X_test), **ENSEMBLE_TOL[dtype])
