"""Raw DataFrames in: categorical and string columns and missing values, encoded inside the model."""

import pickle
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, TargetEncoder

from skstab import FeatureAligner, StabilizedMLPClassifier, StabilizedMLPRegressor
from skstab.preprocessing._tabular import ONEHOT_MAX_LEVELS

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FAST = {"hidden_layer_sizes": (16,), "max_iter": 30, "random_state": 0, "n_ensemble": 1}
N = 240


def _frame(n=N, seed=0):
    """A table as it comes: a category column, an object text column with None, numbers with NaN."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "size": rng.normal(size=n),
            "colour": pd.Categorical(rng.choice(["red", "green", "blue"], size=n)),
            "city": pd.Series(rng.choice(["Paris", "Rome", "Oslo", None], size=n), dtype=object),
            "income": np.where(rng.random(n) < 0.2, np.nan, rng.lognormal(size=n)),
        }
    )
    signal = frame["size"] + 2 * (frame["colour"] == "red") - (frame["city"] == "Rome") + frame["income"].isna()
    return frame, signal.to_numpy(dtype=float) + rng.normal(scale=0.3, size=n)


def _target(kind, signal):
    return (signal > np.median(signal)).astype(int) if kind == "classifier" else signal


ESTIMATORS = {"classifier": StabilizedMLPClassifier, "regressor": StabilizedMLPRegressor}
parametrize_kind = pytest.mark.parametrize("kind", list(ESTIMATORS))


def _fit(kind, X, signal, **params):
    return ESTIMATORS[kind](**{**FAST, **params}).fit(X, _target(kind, signal))


def _outputs(est, X):
    return est.predict_proba(X) if hasattr(est, "predict_proba") else est.predict(X)


@parametrize_kind
def test_pandas_frame_with_categories_text_and_missing_values(kind):
    X, signal = _frame()
    est = _fit(kind, X, signal)
    assert est.n_features_in_ == 4
    assert_array_equal(est.feature_names_in_, ["size", "colour", "city", "income"])
    assert_array_equal(est.encoder_.is_categorical_, [False, True, True, False])
    names = list(est.encoder_.get_feature_names_out())
    assert names[:3] == ["size", "income", "missingindicator_income"]
    assert {"colour_red", "city_Paris", "city_nan"} <= set(names)
    assert est.coefs_[0].shape[0] == len(names)
    assert np.isfinite(_outputs(est, X)).all()
    assert est.score(X, _target(kind, signal)) > (0.8 if kind == "classifier" else 0.6)


@parametrize_kind
def test_polars_frame_gives_what_the_pandas_frame_gives(kind):
    X, signal = _frame()
    X_polars = pl.from_pandas(X)
    assert str(X_polars.schema["city"]) == "String"
    est = _fit(kind, X_polars, signal)
    assert_array_equal(est.feature_names_in_, X.columns)
    assert_array_equal(est.encoder_.is_categorical_, [False, True, True, False])
    assert_allclose(_outputs(est, X_polars), _outputs(_fit(kind, X, signal), X), rtol=1e-6)
    enum = X_polars.with_columns(pl.col("city").cast(pl.Enum(["Oslo", "Paris", "Rome"])))
    assert_array_equal(_fit(kind, enum, signal).encoder_.is_categorical_, [False, True, True, False])


@pytest.mark.parametrize(
    "spec", [["colour", "city"], [1, 2], np.array([1, 2]), [False, True, True, False], "from_dtype"]
)
def test_categorical_features_forms_agree(spec):
    X, signal = _frame()
    est = _fit("classifier", X, signal, categorical_features=spec)
    assert_array_equal(est.encoder_.is_categorical_, [False, True, True, False])
    reference = _fit("classifier", X, signal)
    assert_array_equal(est.predict_proba(X), reference.predict_proba(X))


def test_categorical_features_on_arrays_and_numeric_columns():
    X, signal = _frame()
    y = _target("classifier", signal)
    as_array = X.to_numpy(dtype=object)
    # Arrays have no dtypes to read: "from_dtype" finds no categorical column, and text cannot be a number.
    with pytest.raises(ValueError, match="column 1 holds text"):
        StabilizedMLPClassifier(**FAST).fit(as_array, y)
    est = StabilizedMLPClassifier(**FAST, categorical_features=[1, 2]).fit(as_array, y)
    assert_allclose(est.predict_proba(as_array), _fit("classifier", X, signal).predict_proba(X))
    # A numeric column named categorical: equal numbers are one level whatever their type.
    codes = pd.DataFrame({"code": np.arange(N) % 3, "x": signal})
    est = StabilizedMLPClassifier(**FAST, categorical_features=["code"]).fit(codes, y)
    assert list(est.encoder_.onehot_.categories_[0]) == ["0", "1", "2"]
    as_floats = codes.astype({"code": float})
    assert_array_equal(est.predict_proba(as_floats), est.predict_proba(codes))


def test_categorical_features_none_and_booleans():
    X, signal = _frame()
    y = _target("classifier", signal)
    with pytest.raises(ValueError, match="column 'colour' is categorical"):
        StabilizedMLPClassifier(**FAST, categorical_features=None).fit(X, y)
    # Booleans are numbers (0/1), also under "from_dtype"; None turns no column categorical.
    flags = pd.DataFrame({"flag": signal > 0, "x": signal})
    est = StabilizedMLPClassifier(**FAST).fit(flags, y)
    assert est.encoder_ is None
    est = StabilizedMLPClassifier(**FAST, categorical_features=None).fit(X.drop(columns=["colour", "city"]), y)
    assert_array_equal(est.encoder_.is_categorical_, [False, False])


@pytest.mark.parametrize(
    "spec, message",
    [
        (["colour", "shape"], r"names \['shape'\], not columns of X"),
        ([1, 4], "index 4, outside \\[0, 3\\]"),
        ([-1], "index -1, outside"),
        ([True, False], "one entry per feature of X \\(4\\), got 2"),
        ([1.5], "array-like of bool, int or str"),
        ([[1, 2]], "1-D"),
    ],
)
def test_bad_categorical_features_are_named(spec, message):
    X, signal = _frame()
    est = StabilizedMLPClassifier(**FAST, categorical_features=spec)
    with pytest.raises(ValueError, match=message):
        est.fit(X, _target("classifier", signal))
    assert not hasattr(est, "encoder_")


def test_bad_categorical_features_on_arrays():
    X, signal = _frame()
    y = _target("classifier", signal)
    with pytest.raises(ValueError, match="X has no column names"):
        StabilizedMLPClassifier(**FAST, categorical_features=["colour"]).fit(X.to_numpy(dtype=object), y)
    with pytest.raises(ValueError, match="dense X"):
        StabilizedMLPClassifier(**FAST, categorical_features=[0]).fit(sparse.csr_matrix(signal[:, None]), y)
    with pytest.raises(ValueError, match="categorical_features"):  # scikit-learn's parameter validation
        StabilizedMLPClassifier(**FAST, categorical_features="colour").fit(X, y)


@parametrize_kind
def test_unseen_and_missing_levels_at_predict(kind):
    X, signal = _frame()
    est = _fit(kind, X.assign(city=X["city"].fillna("Oslo")), signal)
    new = X.head(4).copy()
    new["colour"] = pd.Categorical(["purple", None, "red", "red"])
    new["city"] = ["Lima", None, "Paris", "Paris"]
    new.loc[2, "income"] = np.nan
    encoded = est.encoder_.transform(new)
    names = list(est.encoder_.get_feature_names_out())
    colour = [names.index(f"colour_{c}") for c in ("blue", "green", "red")]
    city = [names.index(f"city_{c}") for c in ("Oslo", "Paris", "Rome")]
    # An unseen level, and a missing one where fit saw none, are "unknown": all zeros.
    assert_array_equal(encoded[:2][:, colour + city], 0)
    assert_array_equal(encoded[2:, colour], [[0, 0, 1]] * 2)
    assert encoded[2, names.index("missingindicator_income")] == 1
    assert encoded[2, names.index("income")] == est.encoder_.imputer_.statistics_[1]
    assert np.isfinite(_outputs(est, new)).all()


def test_many_levels_are_target_encoded_with_cross_fitting():
    rng = np.random.default_rng(1)
    levels = np.array([f"shop{i}" for i in range(40)])
    effect = dict(zip(levels, rng.normal(size=40)))
    shop = rng.choice(levels, size=600)
    X = pd.DataFrame({"shop": shop, "x": rng.normal(size=600)})
    y = np.array([effect[s] for s in shop]) + X["x"] + rng.normal(scale=0.2, size=600)
    est = StabilizedMLPRegressor(**FAST).fit(X, y)
    assert isinstance(est.encoder_.many_levels_, TargetEncoder)
    assert list(est.encoder_.get_feature_names_out()) == ["x", "shop"]
    # Training rows were encoded out of fold; prediction uses the statistics of all rows.
    refit = est.encoder_.transform(X)[:, 1]
    assert not np.allclose(refit, est.encoder_.many_levels_.fit_transform(X[["shop"]].to_numpy(object), y)[:, 0])
    assert est.score(X, y) > 0.7
    assert np.isfinite(est.predict(X.assign(shop="nowhere"))).all()
    # Multi-output targets have no target statistics: the 15 most frequent levels and "infrequent".
    multi = StabilizedMLPRegressor(**FAST).fit(X, np.column_stack([y, -y]))
    assert isinstance(multi.encoder_.many_levels_, OneHotEncoder)
    assert multi.coefs_[0].shape[0] == 1 + ONEHOT_MAX_LEVELS


def test_partial_fit_fixes_levels_at_the_first_call():
    X, signal = _frame()
    y = _target("classifier", signal)
    first = X.iloc[:100].assign(colour=pd.Categorical(["red", "green"] * 50))
    est = StabilizedMLPClassifier(**FAST).partial_fit(first, y[:100], classes=[0, 1])
    encoder = est.encoder_
    width = est.coefs_[0].shape[0]
    assert list(encoder.onehot_.categories_[0]) == ["green", "red"]
    est.partial_fit(X.iloc[100:], y[100:])  # "blue" appears: unknown, no error, no new column
    assert est.encoder_ is encoder and est.coefs_[0].shape[0] == width
    assert list(encoder.onehot_.categories_[0]) == ["green", "red"]
    # A stream never target-encodes: many-level columns are one-hot with infrequent grouping.
    many = pd.DataFrame({"id": [f"u{i % 30}" for i in range(N)], "x": signal})
    stream = StabilizedMLPClassifier(**FAST).partial_fit(many, y, classes=[0, 1])
    assert isinstance(stream.encoder_.many_levels_, OneHotEncoder)
    stream.partial_fit(many.assign(id="new"), y)


def test_warm_start_keeps_the_encoder():
    X, signal = _frame()
    y = _target("classifier", signal)
    est = StabilizedMLPClassifier(**FAST, warm_start=True).fit(X, y)
    encoder = est.encoder_
    est.fit(X.iloc[:50], y[:50])
    assert est.encoder_ is encoder


@parametrize_kind
def test_pickle_round_trip(kind):
    X, signal = _frame()
    est = _fit(kind, X, signal)
    loaded = pickle.loads(pickle.dumps(est))
    assert_array_equal(_outputs(loaded, X), _outputs(est, X))


def test_grid_search_pipeline_and_column_transformer_in_front():
    X, signal = _frame()
    y = _target("classifier", signal)
    search = GridSearchCV(StabilizedMLPClassifier(**FAST), {"hidden_layer_sizes": [(8,), (16,)]}, cv=3).fit(X, y)
    assert search.best_score_ > 0.7
    assert cross_val_score(make_pipeline(StabilizedMLPClassifier(**FAST)), X, y, cv=3).mean() > 0.7
    # Encoding in front still works: the model then sees numbers only.
    front = ColumnTransformer(
        [("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False), ["colour", "city"])],
        remainder=FeatureAligner(),
    )
    pipe = make_pipeline(front, StabilizedMLPClassifier(**FAST)).fit(X, y)
    assert pipe[-1].encoder_ is not None  # income's NaN passed through the aligner
    assert pipe.score(X, y) > 0.7


@parametrize_kind
def test_numpy_input_is_unchanged(kind):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, 4))
    signal = X @ [1.0, -1.0, 0.5, 0.0]
    est = _fit(kind, X, signal)
    assert est.encoder_ is None
    for spec in (None, [], [False] * 4):  # no categorical column: the plain path
        other = _fit(kind, X, signal, categorical_features=spec)
        assert other.encoder_ is None
        assert_array_equal(_outputs(other, X), _outputs(est, X))
    frame = _fit(kind, pd.DataFrame(X, columns=list("abcd")), signal)
    assert frame.encoder_ is None
    assert_array_equal(_outputs(frame, pd.DataFrame(X, columns=list("abcd"))), _outputs(est, X))


@parametrize_kind
def test_missing_numbers_in_arrays(kind):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, 3)).astype(np.float32)
    signal = X.sum(axis=1).astype(float)
    X_missing = X.copy()
    X_missing[::7, 1] = np.nan
    est = _fit(kind, X_missing, signal)
    assert list(est.encoder_.get_feature_names_out()) == ["x0", "x1", "x2", "missingindicator_x1"]
    assert est.coefs_[0].dtype == np.float32  # float32 input still computes in float32
    assert np.isfinite(_outputs(est, X_missing)).all()
    # NaN at predict in a column without NaN in fit is imputed (no indicator was learned for it).
    X_other = X.copy()
    X_other[0, 0] = np.nan
    assert np.isfinite(_outputs(est, X_other)).all()
    # A model fitted without missing values has no imputation: a clear error.
    plain = _fit(kind, X, signal)
    with pytest.raises(ValueError, match="fitted on data without any"):
        plain.predict(X_missing)
    with pytest.raises(ValueError, match="fitted on data without any"):
        plain.partial_fit(X_missing, _target(kind, signal))


@parametrize_kind
def test_infinity_is_refused_clearly(kind):
    X, signal = _frame()
    bad = X.copy()
    bad.loc[3, "income"] = np.inf
    with pytest.raises(ValueError, match="column 'income' holds infinity"):
        _fit(kind, bad, signal)
    est = _fit(kind, X, signal)
    with pytest.raises(ValueError, match="column 'income' holds infinity"):
        est.predict(bad)
    array = X[["size", "income"]].to_numpy(copy=True)
    array[3, 1] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        _fit(kind, array, signal)


def test_feature_names_are_checked_on_raw_columns():
    X, signal = _frame()
    est = _fit("classifier", X, signal)
    with pytest.raises(ValueError, match="feature names"):
        est.predict(X.rename(columns={"city": "town"}))
    with pytest.raises(ValueError, match="4 features"), pytest.warns(UserWarning, match="valid feature names"):
        est.predict(X.iloc[:, :3].to_numpy(dtype=object))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        est.predict(X[list(X.columns)])


def test_onnx_export_is_refused_with_a_clear_error():
    skl2onnx = pytest.importorskip("skl2onnx")
    import skstab.onnx  # noqa: F401

    X, signal = _frame()
    est = _fit("classifier", X, signal)
    width = est.coefs_[0].shape[0]
    with pytest.raises(ValueError, match="encodes its raw input itself"):
        skl2onnx.to_onnx(est, np.zeros((1, width), dtype=np.float32))
