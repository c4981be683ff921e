"""skstab estimators inside scikit-learn's composition and model-selection tools.

Every network here is small (one hidden layer of 16 units) and trains for few
epochs: these tests check that the pieces fit together, not model quality.
Where a score is asserted, the bound is loose and the learning rate is raised
so that 20-50 epochs are enough.
"""

import pickle
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.datasets import load_diabetes, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    StratifiedKFold,
    cross_val_score,
    train_test_split,
)
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skstab import FeatureAligner, StabilizedMLPClassifier, StabilizedMLPRegressor
from skstab.exceptions import NoProgressWarning

# Short runs rarely converge; the warning is expected and not under test here.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SMALL = {"hidden_layer_sizes": (16,), "random_state": 0}
# Enough to learn iris / diabetes in a fraction of a second.
TRAINED = {**SMALL, "learning_rate_init": 1e-2, "max_iter": 50}


def _classifier(**params):
    return StabilizedMLPClassifier(**{**SMALL, "max_iter": 10, **params})


def _regressor(**params):
    return StabilizedMLPRegressor(**{**SMALL, "max_iter": 10, **params})


@pytest.fixture(scope="module")
def iris_split():
    X, y = load_iris(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)


@pytest.fixture(scope="module")
def diabetes_split():
    X, y = load_diabetes(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, random_state=0)


@pytest.fixture(scope="module")
def mixed_frame():
    """A DataFrame with numeric columns holding NaNs and a string category."""
    rng = np.random.default_rng(0)
    n = 120
    X = pd.DataFrame(
        {
            "age": rng.normal(40, 10, n),
            "income": rng.lognormal(10, 0.5, n),
            "score": rng.uniform(0, 1, n),
            "color": rng.choice(["red", "green", "blue"], n),
        }
    )
    y = np.where((X["age"] > 40) ^ (X["color"] == "red"), "yes", "no")
    X.loc[rng.choice(n, 10, replace=False), "age"] = np.nan
    X.loc[rng.choice(n, 10, replace=False), "income"] = np.nan
    return X, pd.Series(y, name="target")


def _column_transformer(**onehot_params):
    return ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(), FeatureAligner()), ["age", "income", "score"]),
            ("cat", OneHotEncoder(handle_unknown="ignore", **onehot_params), ["color"]),
        ]
    )


def _unseen_category_frame():
    return pd.DataFrame(
        {
            "age": [35.0, np.nan, 60.0],
            "income": [2e4, 3e4, np.nan],
            "score": [0.1, 0.5, 0.9],
            "color": ["purple", "red", "orange"],  # purple and orange never seen
        }
    )


# -- pipelines on bundled datasets -----------------------------------------------------


def test_pipeline_classifier_iris(iris_split):
    X_train, X_test, y_train, y_test = iris_split
    pipe = make_pipeline(FeatureAligner(), StabilizedMLPClassifier(**TRAINED))
    assert pipe.fit(X_train, y_train) is pipe

    pred = pipe.predict(X_test)
    assert pred.shape == y_test.shape
    assert set(np.unique(pred)) <= set(np.unique(y_train))
    proba = pipe.predict_proba(X_test)
    assert proba.shape == (len(X_test), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(pipe.classes_, [0, 1, 2])
    score = pipe.score(X_test, y_test)
    assert score == pytest.approx(np.mean(pred == y_test))
    assert score > 0.85


def test_pipeline_regressor_diabetes(diabetes_split):
    X_train, X_test, y_train, y_test = diabetes_split
    pipe = make_pipeline(FeatureAligner(), StabilizedMLPRegressor(**TRAINED))
    pipe.fit(X_train, y_train)

    pred = pipe.predict(X_test)
    assert pred.shape == y_test.shape
    assert np.isfinite(pred).all()
    # The output bias starts at the mean target, so predictions sit on its scale.
    assert abs(pred.mean() - y_train.mean()) < y_train.std()
    assert pipe.score(X_test, y_test) > 0.2


# -- heterogeneous DataFrame through a ColumnTransformer -------------------------------


def test_column_transformer_with_missing_values_and_categories(mixed_frame):
    X, y = mixed_frame
    pipe = Pipeline([("prep", _column_transformer()), ("mlp", StabilizedMLPClassifier(**TRAINED))])
    pipe.fit(X, y)

    assert pipe.named_steps["mlp"].n_features_in_ == 3 + 3  # numeric + one-hot
    np.testing.assert_array_equal(pipe.classes_, ["no", "yes"])
    assert pipe.score(X, y) > 0.7

    X_new = _unseen_category_frame()
    pred = pipe.predict(X_new)
    assert pred.shape == (3,)
    assert set(pred) <= {"no", "yes"}
    proba = pipe.predict_proba(X_new)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_column_transformer_pandas_output_feature_names(mixed_frame):
    X, y = mixed_frame
    prep = _column_transformer(sparse_output=False).set_output(transform="pandas")
    pipe = Pipeline([("prep", prep), ("mlp", _classifier())]).fit(X, y)

    mlp = pipe.named_steps["mlp"]
    expected = pipe.named_steps["prep"].get_feature_names_out()
    assert list(expected) == [
        "num__age",
        "num__income",
        "num__score",
        "cat__color_blue",
        "cat__color_green",
        "cat__color_red",
    ]
    np.testing.assert_array_equal(mlp.feature_names_in_, expected)

    # The aligner inside the ColumnTransformer saw names too, and kept them.
    aligner = pipe.named_steps["prep"].named_transformers_["num"][-1]
    np.testing.assert_array_equal(aligner.feature_names_in_, ["age", "income", "score"])
    np.testing.assert_array_equal(aligner.get_feature_names_out(), ["age", "income", "score"])

    # The MLP receives a DataFrame with the fitted names: no feature-name warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        pred = pipe.predict(_unseen_category_frame())
    assert set(pred) <= {"no", "yes"}


# -- model selection -----------------------------------------------------------------


def test_grid_search_parallel(iris_split):
    X_train, X_test, y_train, y_test = iris_split
    grid = {
        "mlp__normalization": ["batch", "layer", None],
        "mlp__learning_rate_init": [1e-3, 1e-2],
        "mlp__weight_decay": [0, 0.01],
    }
    pipe = Pipeline([("align", FeatureAligner()), ("mlp", _classifier())])
    search = GridSearchCV(pipe, grid, cv=StratifiedKFold(3, shuffle=True, random_state=0), n_jobs=2).fit(
        X_train, y_train
    )

    assert len(search.cv_results_["params"]) == 12
    assert len(search.cv_results_["mean_test_score"]) == 12
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_params_ in search.cv_results_["params"]
    for name, values in grid.items():
        assert search.best_params_[name] in values
    best = search.best_estimator_.named_steps["mlp"]
    for name, value in search.best_params_.items():
        assert best.get_params()[name.removeprefix("mlp__")] == value
    pred = search.predict(X_test)
    assert pred.shape == y_test.shape
    assert set(np.unique(pred)) <= {0, 1, 2}


@pytest.mark.parametrize(
    "make_model, load, cv",
    [
        (_classifier, load_iris, StratifiedKFold(5, shuffle=True, random_state=0)),
        (_regressor, load_diabetes, KFold(5, shuffle=True, random_state=0)),
    ],
    ids=["classifier", "regressor"],
)
def test_cross_val_score(make_model, load, cv):
    X, y = load(return_X_y=True)
    if load is load_diabetes:
        y = (y - y.mean()) / y.std()
    scores = cross_val_score(make_pipeline(FeatureAligner(), make_model()), X, y, cv=cv)
    assert scores.shape == (5,)
    assert np.isfinite(scores).all()


# -- clone, set_params, persistence -----------------------------------------------------


@pytest.mark.parametrize("make_model", [_classifier, _regressor], ids=["classifier", "regressor"])
def test_clone_gives_unfitted_copy_with_same_params(make_model, iris_split):
    X_train, _, y_train, _ = iris_split
    model = make_model(weight_decay=0.0, normalization="layer").fit(X_train, y_train)
    copy = clone(model)
    assert copy is not model
    assert copy.get_params() == model.get_params()
    assert not hasattr(copy, "net_")
    assert not hasattr(copy, "n_features_in_")
    # Same params and seed: refitting the clone reproduces the fit exactly.
    copy.fit(X_train, y_train)
    np.testing.assert_array_equal(copy.predict(X_train), model.predict(X_train))


def test_set_params_changes_behaviour(iris_split):
    X_train, X_test, y_train, _ = iris_split
    pipe = make_pipeline(FeatureAligner(), _classifier())
    before = pipe.fit(X_train, y_train).predict_proba(X_test)
    assert pipe[-1].coefs_[0].shape == (4, 16)
    assert pipe[-1].n_iter_ == 10

    pipe.set_params(stabilizedmlpclassifier__hidden_layer_sizes=(7, 5), stabilizedmlpclassifier__max_iter=3)
    assert pipe[-1].get_params()["hidden_layer_sizes"] == (7, 5)
    pipe.fit(X_train, y_train)
    assert [W.shape for W in pipe[-1].coefs_] == [(4, 7), (7, 5), (5, 3)]
    assert pipe[-1].n_iter_ == 3
    assert len(pipe[-1].loss_curve_) == 3
    assert not np.allclose(pipe.predict_proba(X_test), before)

    # A different seed gives a different fit.
    model = _classifier().fit(X_train, y_train)
    other = clone(model).set_params(random_state=1).fit(X_train, y_train)
    assert not np.allclose(model.coefs_[0], other.coefs_[0])


def _persistence_cases():
    return [
        pytest.param(lambda: make_pipeline(FeatureAligner(), _classifier()), id="classifier"),
        pytest.param(
            lambda: make_pipeline(FeatureAligner(), _classifier(early_stopping=True)),
            id="classifier-early-stopping",
        ),
        pytest.param(
            lambda: make_pipeline(FeatureAligner(), _regressor(normalization="layer")),
            id="regressor",
        ),
    ]


@pytest.mark.parametrize("make_pipe", _persistence_cases())
def test_pickle_round_trip(make_pipe, iris_split):
    X_train, X_test, y_train, _ = iris_split
    pipe = make_pipe().fit(X_train, y_train)
    restored = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(restored.predict(X_test), pipe.predict(X_test))
    if hasattr(pipe, "predict_proba"):
        np.testing.assert_array_equal(restored.predict_proba(X_test), pipe.predict_proba(X_test))
    np.testing.assert_array_equal(restored[-1].coefs_[0], pipe[-1].coefs_[0])
    assert restored[-1].loss_curve_ == pipe[-1].loss_curve_


@pytest.mark.parametrize("make_pipe", _persistence_cases())
def test_joblib_dump_load(make_pipe, iris_split, tmp_path):
    X_train, X_test, y_train, _ = iris_split
    pipe = make_pipe().fit(X_train, y_train)
    path = tmp_path / "model.joblib"
    joblib.dump(pipe, path)
    restored = joblib.load(path)
    np.testing.assert_array_equal(restored.predict(X_test), pipe.predict(X_test))
    # The restored model keeps training (warm start) exactly like the original.
    for model in (pipe, restored):
        model.set_params(**{f"{model.steps[-1][0]}__warm_start": True, f"{model.steps[-1][0]}__max_iter": 2})
        model.fit(X_train, y_train)
    np.testing.assert_array_equal(restored.predict(X_test), pipe.predict(X_test))


# -- pandas inputs and feature names -------------------------------------------------


@pytest.fixture(scope="module")
def iris_frame():
    data = load_iris(as_frame=True)
    y = pd.Series(data.target_names[data.target], name="species")
    return data.data, y


def test_string_labels_in_pandas_series(iris_frame):
    X, y = iris_frame
    model = StabilizedMLPClassifier(**TRAINED).fit(X, y)
    np.testing.assert_array_equal(model.classes_, ["setosa", "versicolor", "virginica"])
    pred = model.predict(X)
    assert pred.shape == (len(y),)
    assert set(pred) <= set(y)
    assert model.score(X, y) > 0.8
    assert model.predict_proba(X).shape == (len(y), 3)


def test_binary_string_labels_in_pandas_series(iris_frame):
    X, y = iris_frame
    y = y.where(y == "setosa", "other")
    model = _classifier(learning_rate_init=1e-2).fit(X, y)
    np.testing.assert_array_equal(model.classes_, ["other", "setosa"])
    assert set(model.predict(X)) <= {"other", "setosa"}
    assert model.predict_proba(X).shape == (len(y), 2)


@pytest.mark.parametrize("make_model", [_classifier, _regressor], ids=["classifier", "regressor"])
def test_feature_names_from_dataframe(make_model, iris_frame):
    X, y = iris_frame
    if make_model is _regressor:
        y = X.pop("petal width (cm)")
    model = make_model().fit(X, y)
    np.testing.assert_array_equal(model.feature_names_in_, X.columns)
    assert model.n_features_in_ == X.shape[1]

    # A DataFrame with the same columns predicts silently.
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        from_frame = model.predict(X)

    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        from_array = model.predict(X.to_numpy())
    np.testing.assert_array_equal(from_array, from_frame)

    # Reordered columns are an error, as in scikit-learn.
    with pytest.raises(ValueError, match="feature names"):
        model.predict(X[X.columns[::-1]])


def test_feature_names_through_pipeline(iris_frame):
    X, y = iris_frame
    pipe = make_pipeline(FeatureAligner(), _classifier()).fit(X, y)
    np.testing.assert_array_equal(pipe.feature_names_in_, X.columns)
    # Without pandas output the aligner hands an ndarray to the MLP.
    assert not hasattr(pipe[-1], "feature_names_in_")
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        pipe.predict(X.to_numpy())

    pipe.set_output(transform="pandas").fit(X, y)
    np.testing.assert_array_equal(pipe[-1].feature_names_in_, X.columns)


# -- target transformation -------------------------------------------------------------


def test_transformed_target_regressor(diabetes_split):
    X_train, X_test, y_train, y_test = diabetes_split
    model = TransformedTargetRegressor(
        make_pipeline(FeatureAligner(), StabilizedMLPRegressor(**TRAINED)),
        transformer=StandardScaler(),
    ).fit(X_train, y_train)

    inner = model.regressor_[-1]
    assert isinstance(inner, StabilizedMLPRegressor)
    # The network was trained on the standardized target ...
    assert abs(inner.intercepts_[-1][0]) < 1.0
    # ... and predictions come back on the original scale.
    pred = model.predict(X_test)
    assert pred.shape == y_test.shape
    assert abs(pred.mean() - y_train.mean()) < y_train.std()
    assert model.score(X_test, y_test) > 0.2


def test_transformed_target_regressor_bare_model(diabetes_split):
    X_train, X_test, y_train, y_test = diabetes_split
    model = TransformedTargetRegressor(_regressor(), transformer=StandardScaler())
    model.fit(X_train, y_train)
    np.testing.assert_allclose(
        model.transformer_.inverse_transform(model.regressor_.predict(X_test).reshape(-1, 1)).ravel(),
        model.predict(X_test),
    )


@pytest.mark.parametrize("normalization", ["batch", "layer", None])
@pytest.mark.parametrize("make_model", [_classifier, _regressor], ids=["classifier", "regressor"])
def test_short_fits_warn_only_about_being_short(make_model, normalization, iris_split):
    # A two-epoch fit may say it has not converged, or has not beaten a constant
    # prediction yet; nothing else (numpy RuntimeWarning, DataConversionWarning, ...) may leak.
    X_train, X_test, y_train, _ = iris_split
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = make_pipeline(
            FeatureAligner(),
            make_model(max_iter=2, learning_rate_init=1e-2, normalization=normalization),
        )
        model.fit(X_train, y_train).predict(X_test)
    assert [w.category for w in caught if w.category not in (ConvergenceWarning, NoProgressWarning)] == []


def test_sample_weight_routed_through_pipeline(iris_split):
    X_train, X_test, y_train, _ = iris_split
    pipe = make_pipeline(FeatureAligner(), _classifier())
    unweighted = pipe.fit(X_train, y_train).predict_proba(X_test)
    weight = np.where(y_train == 0, 5.0, 1.0)
    weighted = pipe.fit(X_train, y_train, stabilizedmlpclassifier__sample_weight=weight)
    assert not np.allclose(weighted.predict_proba(X_test), unweighted)
    # Integer weights act as repeated rows: class 0 gets a larger mean probability.
    assert weighted.predict_proba(X_test)[:, 0].mean() > unweighted[:, 0].mean()


@pytest.mark.parametrize("make", [_classifier, _regressor], ids=["classifier", "regressor"])
def test_sparse_input_matches_dense(make, rng):
    # A one-hot block of 20 categories makes ColumnTransformer's output sparse;
    # training on it must be training on the same numbers.
    frame = pd.DataFrame({"num": rng.normal(size=120), "cat": rng.choice(list("abcdefghijklmnopqrst"), 120)})
    y = (frame["num"] > 0).astype(int) + (frame["cat"] < "j")
    encode = ColumnTransformer([("num", FeatureAligner(), ["num"]), ("cat", OneHotEncoder(), ["cat"])])
    X_sparse = encode.fit_transform(frame)
    assert hasattr(X_sparse, "tocsr")
    # Sparse input is not scaled by the estimator (centring would densify it).
    sparse_model = make().set_params(input_scaling=None).fit(X_sparse, y)
    dense_model = make().set_params(input_scaling=None).fit(X_sparse.toarray(), y)
    # Sparse and dense products sum in different orders: equal up to rounding.
    np.testing.assert_allclose(sparse_model.net_.params, dense_model.net_.params, rtol=1e-7, atol=1e-9)
    if hasattr(sparse_model, "predict_proba"):
        np.testing.assert_allclose(
            sparse_model.predict_proba(X_sparse), dense_model.predict_proba(X_sparse.toarray()), atol=1e-9
        )
    else:
        np.testing.assert_allclose(sparse_model.predict(X_sparse), dense_model.predict(X_sparse.toarray()), atol=1e-9)
