import copy
import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils import get_tags

from skstab import FeatureAligner

STATS = ("mean_", "var_", "scale_", "data_min_", "data_max_")


# Values on a 1/8 grid keep the variance well conditioned (no two distinct values
# closer than 1/8), so a 1e-10 relative tolerance tests the algorithm, not luck.
@st.composite
def grid_data(draw, max_rows=30, max_features=4):
    n_samples = draw(st.integers(1, max_rows))
    n_features = draw(st.integers(1, max_features))
    X = draw(hnp.arrays(np.int64, (n_samples, n_features), elements=st.integers(-8000, 8000)))
    X = X / 8.0
    X[draw(hnp.arrays(np.bool_, X.shape))] = np.nan
    weights = draw(hnp.arrays(np.int64, n_samples, elements=st.integers(0, 3)))
    weights[draw(st.integers(0, n_samples - 1))] += 1  # fit needs a non-zero weight
    return X, weights


def _assert_same_fit(a, b, scale):
    """Counts and min/max exactly, moments to 1e-10 relative to the data's scale."""
    assert_array_equal(
        np.broadcast_to(a.n_samples_seen_, a.mean_.shape),
        np.broadcast_to(b.n_samples_seen_, b.mean_.shape),
    )
    assert_array_equal(a.data_min_, b.data_min_)
    assert_array_equal(a.data_max_, b.data_max_)
    assert_allclose(a.mean_, b.mean_, rtol=1e-10, atol=1e-12 * scale)
    assert_allclose(a.var_, b.var_, rtol=1e-10, atol=1e-12 * scale**2)
    assert_allclose(a.scale_, b.scale_, rtol=1e-10, atol=1e-12 * scale)


def _fsum_reference(column):
    mean = math.fsum(column) / len(column)
    return mean, math.fsum((x - mean) ** 2 for x in column) / len(column)


def test_init_only_stores_parameters():
    aligner = FeatureAligner(epsilon=1e-3, with_mean=False, with_std=False, copy=False)
    assert aligner.get_params() == {
        "method": "standard",
        "clip": None,
        "epsilon": 1e-3,
        "with_mean": False,
        "with_std": False,
        "copy": False,
    }
    assert not [key for key in vars(aligner) if key.endswith("_")]


@pytest.mark.parametrize("params", [{"epsilon": -1e-8}, {"with_mean": "yes"}, {"copy": 1}])
def test_invalid_parameters_raise(params, rng):
    with pytest.raises(ValueError, match="parameter of FeatureAligner must be"):
        FeatureAligner(**params).fit(rng.normal(size=(5, 2)))


def test_population_std_plus_epsilon(rng):
    X = rng.normal(3.0, 2.0, size=(50, 3))
    aligner = FeatureAligner().fit(X)
    assert_allclose(aligner.mean_, X.mean(axis=0), rtol=1e-14)
    assert_allclose(aligner.var_, X.var(axis=0, ddof=0), rtol=1e-13)
    # The guide's definition, bit for bit.
    assert_array_equal(aligner.scale_, np.sqrt(aligner.var_) + 1e-8)
    expected = (X - aligner.mean_) / (np.sqrt(aligner.var_) + 1e-8)
    assert_allclose(aligner.transform(X), expected, rtol=1e-15, atol=1e-15)


def test_large_offset_matches_fsum_reference(rng):
    X = 1e9 + rng.normal(size=(10_000, 1))
    mean, var = _fsum_reference(X[:, 0].tolist())
    aligner = FeatureAligner().fit(X)
    assert_allclose(aligner.mean_, [mean], rtol=1e-9)
    assert_allclose(aligner.var_, [var], rtol=1e-9)
    # Small chunks: a plain float64 running mean drifts here by 1e-8 relative.
    chunked = FeatureAligner()
    for chunk in np.array_split(X, 1000):
        chunked.partial_fit(chunk)
    assert_allclose(chunked.mean_, [mean], rtol=1e-9)
    assert_allclose(chunked.var_, [var], rtol=1e-9)


def test_huge_offset_matches_exact_rational_reference(rng):
    # At 1e14 the float64 spacing is 1/64 of the std: the rounded mean of a
    # plain two-pass (even with fsum) is off, so compare with exact fractions.
    X = 1e14 + rng.normal(size=(2_000, 2))
    column = [Fraction(x) for x in X[:, 0].tolist()]
    mean = sum(column) / len(column)
    var = sum((x - mean) ** 2 for x in column) / len(column)
    chunked = FeatureAligner()
    for chunk in np.array_split(X, 100):
        chunked.partial_fit(chunk)
    for aligner in (FeatureAligner().fit(X), chunked):
        assert_allclose(aligner.mean_[0], float(mean), rtol=1e-15)
        assert_allclose(aligner.var_[0], float(var), rtol=1e-12)


@settings(max_examples=50, deadline=None)
@given(
    data=grid_data(),
    use_weights=st.booleans(),
    cuts=st.lists(st.integers(1, 29)),
    fmt=st.sampled_from(["dense", "csr", "csc"]),
)
def test_partial_fit_any_chunking_equals_fit(data, use_weights, cuts, fmt):
    X, weights = data
    weights = weights / 4.0 if use_weights else None  # fractional, still exact sums
    bounds = [0, *sorted({c for c in cuts if c < len(X)}), len(X)]
    as_format = (lambda A: A) if fmt == "dense" else (lambda A: sparse.csr_array(A).asformat(fmt))
    with_mean = fmt == "dense"
    chunked = FeatureAligner(with_mean=with_mean)
    for start, stop in zip(bounds[:-1], bounds[1:]):
        chunk_weights = None if weights is None else weights[start:stop]
        chunked.partial_fit(as_format(X[start:stop]), sample_weight=chunk_weights)
    full = FeatureAligner().fit(X, sample_weight=weights)
    _assert_same_fit(chunked, full, scale=1000.0)
    expected_kind = "i" if weights is None else "f"
    assert np.asarray(chunked.n_samples_seen_).dtype.kind == expected_kind


@settings(max_examples=50, deadline=None)
@given(data=grid_data())
def test_integer_weights_equal_repetition(data):
    X, weights = data
    weighted = FeatureAligner().fit(X, sample_weight=weights)
    repeated = FeatureAligner().fit(np.repeat(X, weights, axis=0))
    _assert_same_fit(weighted, repeated, scale=1000.0)


def test_zero_weight_rows_change_nothing(rng):
    X = rng.normal(size=(20, 2))
    X_extra = np.vstack([X, [[1e6, -1e6]], [[np.nan, 7.0]]])
    weights = np.r_[np.ones(20), 0.0, 0.0]
    weighted = FeatureAligner().fit(X_extra, sample_weight=weights)
    plain = FeatureAligner().fit(X)
    for attr in STATS:
        assert_allclose(getattr(weighted, attr), getattr(plain, attr), rtol=1e-14)
    assert weighted.n_samples_seen_ == 20.0


def test_all_zero_weights_rejected_by_fit_but_not_by_partial_fit(rng):
    X = rng.normal(size=(6, 2))
    with pytest.raises(ValueError, match="non-zero"):
        FeatureAligner().fit(X, sample_weight=np.zeros(6))
    aligner = FeatureAligner().fit(X)
    before = copy.deepcopy(vars(aligner))
    aligner.partial_fit(rng.normal(size=(4, 2)), sample_weight=np.zeros(4))
    for attr in STATS:
        assert_allclose(getattr(aligner, attr), before[attr], rtol=1e-15)


def test_fit_resets_and_partial_fit_accumulates(rng):
    X1, X2 = rng.normal(size=(10, 2)), rng.normal(5.0, size=(10, 2))
    refit = FeatureAligner().fit(X1).fit(X2)
    assert_allclose(refit.mean_, X2.mean(axis=0), rtol=1e-14)
    assert refit.n_samples_seen_ == 10
    accumulated = FeatureAligner().fit(X1).partial_fit(X2)
    assert_allclose(accumulated.mean_, np.vstack([X1, X2]).mean(axis=0), rtol=1e-14)
    assert accumulated.n_samples_seen_ == 20


def test_n_samples_seen_convention(rng):
    X = rng.normal(size=(8, 3))
    plain = FeatureAligner().fit(X)
    assert isinstance(plain.n_samples_seen_, np.integer) and plain.n_samples_seen_ == 8
    X[:3, 1] = np.nan
    with_nan = FeatureAligner().fit(X)
    assert with_nan.n_samples_seen_.dtype == np.int64
    assert_array_equal(with_nan.n_samples_seen_, [8, 5, 8])
    weighted = FeatureAligner().fit(X, sample_weight=np.full(8, 0.5))
    assert weighted.n_samples_seen_.dtype == np.float64
    assert_array_equal(weighted.n_samples_seen_, [4.0, 2.5, 4.0])


def test_one_hot_column_absent_from_training_fold():
    # The category of column 1 never occurs in the training fold.
    X_train = np.array([[1.0, 0.0], [0.0, 0.0], [1.0, 0.0], [0.0, 0.0]])
    X_test = np.array([[0.0, 1.0], [1.0, 0.0]])
    aligner = FeatureAligner().fit(X_train)
    assert aligner.scale_[1] == 1.0
    X_out = aligner.transform(X_test)
    assert X_out[0, 1] == 1.0  # the naive std + 1e-8 scale would give 1e8
    assert X_out[1, 1] == 0.0
    assert aligner.scale_[0] == 0.5 + 1e-8


def test_repeated_value_with_inexact_mean_maps_to_zero():
    column = np.full((3, 1), 0.1)
    assert column.mean() != 0.1  # the naive mean leaves a rounding residue
    aligner = FeatureAligner().fit(column)
    assert aligner.mean_[0] == 0.1 and aligner.var_[0] == 0.0 and aligner.scale_[0] == 1.0
    assert_array_equal(aligner.transform(column), np.zeros((3, 1)))
    assert_allclose(aligner.transform([[0.6]]), [[0.5]], rtol=1e-15)


def test_weighted_constant_column_has_exactly_zero_variance():
    # Weighted sums of a repeated value leave a tiny non-zero variance.
    weights = np.random.default_rng(24).uniform(0.0, 5.0, size=28)
    aligner = FeatureAligner().fit(np.full((28, 1), 0.1), sample_weight=weights)
    assert aligner.mean_[0] == 0.1 and aligner.var_[0] == 0.0 and aligner.scale_[0] == 1.0


def test_near_constant_column_is_not_amplified():
    base = 1e9
    column = np.array([[base], [np.nextafter(base, np.inf)]] * 3)
    aligner = FeatureAligner().fit(column)
    assert aligner.data_min_[0] != aligner.data_max_[0]
    assert aligner.scale_[0] == 1.0
    deviation = aligner.transform(column) - (column - aligner.mean_)
    assert_array_equal(deviation, np.zeros_like(column))


def test_float32_preserved_statistics_float64(rng):
    X = rng.normal(2.0, 3.0, size=(40, 3)).astype(np.float32)
    aligner = FeatureAligner().fit(X)
    assert aligner.mean_.dtype == aligner.var_.dtype == aligner.scale_.dtype == np.float64
    X_out = aligner.transform(X)
    assert X_out.dtype == np.float32
    assert aligner.inverse_transform(X_out).dtype == np.float32
    expected = (X.astype(np.float64) - aligner.mean_) / aligner.scale_
    assert_allclose(X_out, expected, rtol=1e-5, atol=1e-6)
    assert_allclose(aligner.mean_, X.astype(np.float64).mean(axis=0), rtol=1e-13)


@settings(max_examples=50, deadline=None)
@given(
    X=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, max_side=20),
        elements=st.floats(-1e6, 1e6, allow_nan=False),
    ),
    with_mean=st.booleans(),
    with_std=st.booleans(),
)
def test_inverse_transform_round_trip(X, with_mean, with_std):
    aligner = FeatureAligner(with_mean=with_mean, with_std=with_std).fit(X)
    X_back = aligner.inverse_transform(aligner.transform(X))
    scale = max(1.0, float(np.abs(X).max()))
    assert_allclose(X_back, X, rtol=1e-12, atol=1e-12 * scale)


def test_copy_semantics(rng):
    X = rng.normal(size=(10, 2))
    X_orig = X.copy()
    out = FeatureAligner().fit(X).transform(X)
    assert out is not X
    assert_array_equal(X, X_orig)
    FeatureAligner().fit(X).inverse_transform(X)
    assert_array_equal(X, X_orig)
    in_place = FeatureAligner(copy=False).fit(X)
    assert_array_equal(X, X_orig)  # fit never writes to X, whatever copy says
    out = in_place.transform(X)
    assert out is X
    assert_allclose(X, (X_orig - in_place.mean_) / in_place.scale_, rtol=1e-15)
    assert in_place.transform(X_orig, copy=True) is not X_orig


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_scales_columns_without_centering(fmt, rng):
    dense = rng.normal(size=(30, 4)) * (rng.uniform(size=(30, 4)) < 0.3)
    dense[0, 0] = np.nan
    X = sparse.csr_array(dense).asformat(fmt)
    weights = rng.integers(0, 3, size=30).astype(float)
    aligner = FeatureAligner(with_mean=False).fit(X, sample_weight=weights)
    reference = FeatureAligner(with_mean=False).fit(dense, sample_weight=weights)
    for attr in STATS:  # implicit zeros count as observations
        assert_allclose(getattr(aligner, attr), getattr(reference, attr), rtol=1e-13)
    X_out = aligner.transform(X)
    assert sparse.issparse(X_out) and X_out.format == fmt
    assert_allclose(X_out.toarray(), dense / reference.scale_, rtol=1e-14)
    assert_allclose(aligner.inverse_transform(X_out).toarray(), dense, rtol=1e-14)


def test_sparse_with_mean_raises(rng):
    X = sparse.csr_array(rng.normal(size=(5, 2)))
    with pytest.raises(ValueError, match="with_mean=False"):
        FeatureAligner().fit(X)
    aligner = FeatureAligner().fit(X.toarray())
    with pytest.raises(ValueError, match="with_mean=False"):
        aligner.transform(X)


def test_tags():
    tags = get_tags(FeatureAligner())
    assert tags.input_tags.allow_nan
    assert tags.transformer_tags.preserves_dtype == ["float64", "float32"]
    assert get_tags(FeatureAligner(with_mean=False)).input_tags.sparse


@pytest.mark.parametrize("value", [np.inf, -np.inf])
def test_infinity_error_names_the_column(value, rng):
    X = rng.normal(size=(6, 3))
    X[4, 2] = value
    with pytest.raises(ValueError, match=r"infinity in column 2\b"):
        FeatureAligner().fit(X)
    df = pd.DataFrame(X, columns=["age", "height", "income"])
    with pytest.raises(ValueError, match=r"column 2 \('income'\)"):
        FeatureAligner().fit(df)
    aligner = FeatureAligner().fit(df.iloc[:4])
    with pytest.raises(ValueError, match=r"column 2 \('income'\)"):
        aligner.transform(df)
    with pytest.raises(ValueError, match=r"infinity in column 2\b"):
        FeatureAligner(with_mean=False).fit(sparse.csc_array(X))


def test_nan_ignored_in_fit_and_passed_through(rng):
    X = rng.normal(size=(20, 3))
    X[[1, 5, 9], 0] = np.nan
    X[3, 2] = np.nan
    aligner = FeatureAligner().fit(X)
    assert_allclose(aligner.mean_, np.nanmean(X, axis=0), rtol=1e-14)
    assert_allclose(aligner.var_, np.nanvar(X, axis=0), rtol=1e-13)
    X_out = aligner.transform(X)
    assert_array_equal(np.isnan(X_out), np.isnan(X))
    assert_array_equal(np.isnan(aligner.inverse_transform(X_out)), np.isnan(X))


@pytest.mark.parametrize("method", ["transform", "inverse_transform", "drift_report"])
def test_not_fitted_error_tells_to_fit_on_training_split(method):
    with pytest.raises(NotFittedError, match="training split.*never refit"):
        getattr(FeatureAligner(), method)(np.ones((2, 2)))


def test_set_output_pandas(rng):
    df = pd.DataFrame(rng.normal(size=(8, 2)), columns=["a", "b"], index=range(10, 18))
    out = FeatureAligner().set_output(transform="pandas").fit_transform(df)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["a", "b"]
    assert_array_equal(out.index, df.index)


def test_set_output_polars(rng):
    import polars as pl  # a test extra; the polars output is what is under test

    df = pl.DataFrame({"a": rng.normal(size=8), "b": rng.normal(size=8)})
    out = FeatureAligner().set_output(transform="polars").fit(df).transform(df)
    assert isinstance(out, pl.DataFrame)
    assert out.columns == ["a", "b"]
    assert_allclose(out.to_numpy(), FeatureAligner().fit_transform(df.to_numpy()), rtol=1e-15)


def test_column_names_survive_pipeline(rng):
    df = pd.DataFrame(rng.normal(size=(40, 3)), columns=["x0", "income", "age"])
    y = (df["income"] > 0).astype(int)
    pipe = make_pipeline(FeatureAligner(), LogisticRegression()).set_output(transform="pandas")
    pipe.fit(df, y)
    assert_array_equal(pipe[-1].feature_names_in_, ["x0", "income", "age"])
    pipe = make_pipeline(FeatureAligner(), FunctionTransformer(feature_names_out="one-to-one"))
    out = pipe.set_output(transform="pandas").fit_transform(df)
    assert list(out.columns) == ["x0", "income", "age"]
    assert_array_equal(pipe.get_feature_names_out(), ["x0", "income", "age"])


def _fitted_state(aligner):
    return {key: copy.deepcopy(value) for key, value in vars(aligner).items()}


def test_drift_report_flags_exactly_the_shifted_columns(rng):
    columns = ["stable", "shifted", "widened", "stretched_range", "onehot"]
    train = pd.DataFrame(rng.normal(size=(500, 5)), columns=columns)
    train["onehot"] = 0.0
    aligner = FeatureAligner().fit(train)
    before = _fitted_state(aligner)

    report = aligner.drift_report(train)
    assert list(report.columns) == [
        "train_mean",
        "train_std",
        "new_mean",
        "new_std",
        "mean_shift",
        "std_ratio",
        "out_of_range",
        "drifted",
    ]
    assert list(report.index) == columns and report.index.name == "feature"
    assert not report["drifted"].any()
    assert_allclose(report["mean_shift"], 0.0, atol=1e-15)
    assert_allclose(report["std_ratio"], 1.0, rtol=1e-12)

    shifted = train.copy()
    shifted["shifted"] += 1.0
    shifted["widened"] *= 3.0
    shifted.loc[:29, "stretched_range"] = 10.0  # 6% beyond the training max
    shifted.loc[:4, "onehot"] = 1.0
    report = aligner.drift_report(shifted)
    assert list(report.index[report["drifted"]]) == columns[1:]
    std = np.sqrt(aligner.var_[1])
    assert_allclose(report.loc["shifted", "mean_shift"], 1.0 / std, rtol=1e-12)
    assert_allclose(report.loc["widened", "std_ratio"], 3.0, rtol=1e-12)
    assert report.loc["stretched_range", "out_of_range"] == 30 / 500
    assert report.loc["onehot", "std_ratio"] == np.inf
    # Divided by 1, as in scale_, not by the zero training std.
    assert_allclose(report.loc["onehot", "mean_shift"], 5 / 500, rtol=1e-14)
    assert report.loc["onehot", "out_of_range"] == 5 / 500

    after = _fitted_state(aligner)
    assert before.keys() == after.keys()
    for key in before:
        assert_array_equal(after[key], before[key])


def test_drift_report_sparse_matches_dense(rng):
    X_train = np.column_stack([rng.normal(size=200), rng.normal(size=200), rng.uniform(1, 2, 200)])
    aligner = FeatureAligner(with_mean=False).fit(X_train)
    X_new = X_train * np.array([1.0, 0.25, 1.0]) * (rng.uniform(size=(200, 3)) < 0.7)
    X_new[3, 1] = np.nan
    report = aligner.drift_report(sparse.csr_array(X_new))
    pd.testing.assert_frame_equal(report, aligner.drift_report(X_new), rtol=1e-12)
    # Implicit zeros lie outside the training range [1, 2] of the last column.
    assert report["out_of_range"].iloc[2] == np.mean(X_new[:, 2] == 0)
    assert_array_equal(report["drifted"], [False, True, True])
    assert_allclose(report["new_mean"], np.nanmean(X_new, axis=0), rtol=1e-12)


def test_drift_report_validates_input(rng):
    aligner = FeatureAligner().fit(rng.normal(size=(10, 3)))
    with pytest.raises(ValueError, match="expecting 3 features"):
        aligner.drift_report(rng.normal(size=(10, 2)))
    renamed = pd.DataFrame(rng.normal(size=(10, 3)), columns=["a", "b", "c"])
    with pytest.raises(ValueError, match="feature names should match"):
        FeatureAligner().fit(renamed.rename(columns={"c": "z"})).drift_report(renamed)
    with pytest.raises(ValueError, match="std_ratio_threshold must be"):
        aligner.drift_report(rng.normal(size=(10, 3)), std_ratio_threshold=0.5)


# -- robust scaling and smooth clipping ---------------------------------------------------------


def test_robust_method_centres_on_the_median_and_scales_by_the_iqr(rng):
    X = rng.lognormal(size=(201, 3))
    X[0, 0] = 1e6  # one wild outlier moves neither the median nor the quartiles much
    aligner = FeatureAligner(method="robust").fit(X)
    q25, median, q75 = np.quantile(X, [0.25, 0.5, 0.75], axis=0, method="inverted_cdf")
    np.testing.assert_allclose(aligner.center_, median)
    np.testing.assert_allclose(aligner.scale_, q75 - q25)
    np.testing.assert_allclose(aligner.mean_, X.mean(axis=0))  # kept for the drift report
    Z = aligner.transform(X)
    np.testing.assert_allclose(np.median(Z, axis=0), 0.0, atol=1e-12)


def test_clip_bounds_the_output_smoothly_and_inverts(rng):
    X = rng.standard_t(df=2, size=(300, 4))
    for method in ("standard", "robust"):
        aligner = FeatureAligner(method=method, clip=3.0).fit(X)
        Z = aligner.transform(X)
        assert np.abs(Z).max() < 3.0
        unclipped = FeatureAligner(method=method).fit(X).transform(X)
        np.testing.assert_allclose(Z, unclipped / np.sqrt(1 + (unclipped / 3.0) ** 2))
        np.testing.assert_allclose(aligner.inverse_transform(Z), X, rtol=1e-6, atol=1e-9)
    with pytest.raises(ValueError, match="clip bound"):
        aligner.inverse_transform(np.full((1, 4), 3.0))


def test_defaults_are_unchanged_for_existing_users(rng):
    X = rng.normal(loc=5.0, scale=2.0, size=(50, 2))
    aligner = FeatureAligner().fit(X)
    assert aligner.method == "standard" and aligner.clip is None
    np.testing.assert_array_equal(aligner.center_, aligner.mean_)
    np.testing.assert_allclose(aligner.transform(X), (X - X.mean(axis=0)) / (X.std(axis=0) + 1e-8))


def test_robust_method_does_not_stream():
    aligner = FeatureAligner(method="robust")
    with pytest.raises(ValueError, match="method='standard'.*to stream"):
        aligner.partial_fit(np.ones((4, 2)))
    streamed = FeatureAligner(clip=3.0).partial_fit(np.arange(8.0).reshape(4, 2))
    assert np.abs(streamed.transform(np.array([[1e9, -1e9]]))).max() <= 3.0


def test_robust_weights_act_as_repeated_rows(rng):
    X = rng.normal(size=(40, 3))
    weights = rng.integers(0, 4, size=40)
    weighted = FeatureAligner(method="robust").fit(X, sample_weight=weights.astype(float))
    repeated = FeatureAligner(method="robust").fit(np.repeat(X, weights, axis=0))
    np.testing.assert_allclose(weighted.center_, repeated.center_)
    np.testing.assert_allclose(weighted.scale_, repeated.scale_)
