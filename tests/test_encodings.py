"""Numeric encodings for skewed and irregular features: quantile input scaling and piecewise-linear encoding."""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse
from sklearn.preprocessing import QuantileTransformer
from sklearn.utils.estimator_checks import parametrize_with_checks

from skstab import StabilizedMLPClassifier, StabilizedMLPRegressor, nn
from skstab.neural_network._sizes import LARGE_TABLE_ROWS
from skstab.preprocessing._quantiles import quantile_bin_edges

SMALL = {"hidden_layer_sizes": (16,), "max_iter": 4, "n_ensemble": 1, "random_state": 0}
ENCODINGS = [{"input_scaling": "quantile"}, {"numerical_embedding": "piecewise_linear"}]
ENCODING_IDS = ["quantile", "piecewise_linear"]


def _skewed(n=240, seed=0):
    """Heavy-tailed counts, a money-like lognormal column, a binary flag and a constant: a target depending on all."""
    rng = np.random.default_rng(seed)
    X = np.column_stack(
        [rng.poisson(rng.gamma(0.5, 4.0, n)), rng.lognormal(3.0, 1.5, n), rng.integers(0, 2, n), np.full(n, 7.0)]
    ).astype(float)
    signal = np.log1p(X[:, 0]) + 0.5 * np.log(X[:, 1]) - X[:, 2]
    return X, signal


def _fit(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(*args, **kwargs)


def _closed_form_ple(x, edges):
    """The paper's definition, bin by bin, for one value ``x`` of a feature with bin ``edges``."""
    T = len(edges) - 1
    out = []
    for t in range(1, T + 1):
        low, high = edges[t - 1], edges[t]
        if x < low and t > 1:
            out.append(0.0)
        elif x >= high and t < T:
            out.append(1.0)
        else:
            out.append((x - low) / (high - low))
    return out


@pytest.mark.parametrize(
    "edges, first_row",
    [
        # Features with fewer bins than the widest: the padded bins are dropped.
        ([[0.0, 1.0, 3.0, 4.0], [-1.0, 1.0], [2.0, 2.5, 5.0]], [-2.0, 0.0, 0.0, -1.0, -2.0, 0.0]),
        # As many bins everywhere: the encoding is computed in place.
        ([[0.0, 1.0, 3.0], [-1.0, 1.0, 2.0], [2.0, 2.5, 5.0]], [-2.0, 0.0, -1.0, 0.0, -2.0, 0.0]),
    ],
)
def test_piecewise_linear_matches_the_closed_form(edges, first_row):
    layer = nn.PiecewiseLinearEncoding(edges)
    assert layer.build(3) == 6
    X = np.array([[-2.0, -3.0, 1.0], [0.5, 0.0, 2.2], [2.0, 1.0, 2.5], [3.5, 5.0, 4.0], [9.0, -1.0, 7.0]])
    expected = np.array([sum((_closed_form_ple(x, e) for x, e in zip(row, edges)), []) for row in X])
    # By hand for the first row: below every bin, the first bin of each feature extrapolates linearly.
    assert_allclose(expected[0], first_row)
    assert_allclose(layer.infer(X), expected)
    assert_allclose(layer.forward(X, training=True), expected)
    assert_allclose(layer.forward(sparse.csr_matrix(X), training=True), expected)


def test_piecewise_linear_refuses_bad_edges():
    with pytest.raises(ValueError, match=r"edges\[1\] must be a strictly increasing"):
        nn.PiecewiseLinearEncoding([[0.0, 1.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match="edges for 1 features, not 2"):
        nn.PiecewiseLinearEncoding([[0.0, 1.0]]).build(2)


def test_bin_edges_are_training_quantiles():
    X, _ = _skewed()
    edges = quantile_bin_edges(X, n_bins=16)
    levels = np.linspace(0, 1, 17)
    # Inverted-CDF quantiles, as numpy's method of that name: edges are training values.
    assert_array_equal(edges[1], np.unique(np.quantile(X[:, 1], levels, method="inverted_cdf")))
    assert len(edges[1]) == 17
    assert len(edges[0]) < 17  # counts with ties: fewer distinct quantiles, fewer bins
    assert_array_equal(edges[2], [0.0, 1.0])  # a binary flag: one unclipped bin
    assert_array_equal(edges[3], [7.0, 8.0])  # a constant: one bin of width 1
    # Weights act as repeated rows.
    weights = np.random.default_rng(1).integers(0, 3, X.shape[0])
    repeated = quantile_bin_edges(np.repeat(X, weights, axis=0))
    for weighted, plain in zip(quantile_bin_edges(X, sample_weight=weights.astype(float)), repeated):
        assert_array_equal(weighted, plain)


def test_estimator_bins_come_from_the_scaled_training_rows():
    X, signal = _skewed()
    reg = _fit(StabilizedMLPRegressor(numerical_embedding="piecewise_linear", **SMALL), X, signal)
    layer = reg.net_.layers[0]
    assert isinstance(layer, nn.PiecewiseLinearEncoding)
    for got, expected in zip(layer.edges, quantile_bin_edges(reg._scale_inputs(X, np.float64))):
        assert_array_equal(got, expected)
    assert layer.buffers["left"].shape == (4, 16)


def test_quantile_scaling_is_scikit_learns_transformer():
    X, signal = _skewed()
    reg = _fit(StabilizedMLPRegressor(input_scaling="quantile", **SMALL), X, signal)
    reference = QuantileTransformer(n_quantiles=X.shape[0] // 2, output_distribution="normal", random_state=0).fit(X)
    assert isinstance(reg.input_transformer_, QuantileTransformer)
    assert reg.input_center_ is None and reg.input_scale_ is None
    assert_allclose(reg.input_transformer_.quantiles_, reference.quantiles_)
    X_new, _ = _skewed(seed=1)
    assert_allclose(reg._scale_inputs(X_new, np.float64), reference.transform(X_new))
    # float32 networks take the same values, rounded.
    assert_allclose(reg._scale_inputs(X_new, np.float32), reference.transform(X_new), rtol=1e-6, atol=1e-6)


def test_quantile_scaling_subsample_follows_the_seed():
    X = np.random.default_rng(0).lognormal(size=(10_050, 2))
    y = X[:, 0]
    params = {**SMALL, "max_iter": 1, "batch_size": 2048}
    a, b, c = (
        _fit(StabilizedMLPRegressor(input_scaling="quantile", **{**params, "random_state": seed}), X, y)
        for seed in (0, 0, 1)
    )
    assert a.input_transformer_.n_quantiles == 1000
    assert_array_equal(a.input_transformer_.quantiles_, b.input_transformer_.quantiles_)
    assert not np.array_equal(a.input_transformer_.quantiles_, c.input_transformer_.quantiles_)


@pytest.mark.parametrize("params", ENCODINGS, ids=ENCODING_IDS)
def test_classifier_and_regressor_fit_and_predict(params):
    X, signal = _skewed()
    clf = _fit(StabilizedMLPClassifier(**{**SMALL, "max_iter": 20}, **params), X, signal > np.median(signal))
    assert clf.predict_proba(X).shape == (X.shape[0], 2)
    assert clf.score(X, signal > np.median(signal)) > 0.8
    reg = _fit(StabilizedMLPRegressor(**{**SMALL, "max_iter": 20}, **params), X, signal)
    assert reg.predict(X).shape == (X.shape[0],)
    assert reg.score(X, signal) > 0.5
    # Values beyond the training range stay finite.
    assert np.all(np.isfinite(reg.predict(X * 100)))


@pytest.mark.parametrize("params", ENCODINGS, ids=ENCODING_IDS)
def test_partial_fit_keeps_the_first_chunks_encoding(params):
    X, signal = _skewed(seed=2)
    y = signal > np.median(signal)
    clf = StabilizedMLPClassifier(**SMALL, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.partial_fit(X[:80], y[:80], classes=[False, True])
        first = pickle.loads(pickle.dumps(clf))
        clf.partial_fit(X[80:] * 3.0, y[80:])  # a shifted chunk: the encoding must not follow it
    if params.get("input_scaling") == "quantile":
        assert_array_equal(clf.input_transformer_.quantiles_, first.input_transformer_.quantiles_)
        assert clf.input_transformer_.n_quantiles == 40
    else:
        for got, kept in zip(clf.net_.layers[0].edges, first.net_.layers[0].edges):
            assert_array_equal(got, kept)
        for key, value in first.net_.layers[0].buffers.items():
            assert_array_equal(clf.net_.layers[0].buffers[key], value)
    assert not np.array_equal(clf.coefs_[0], first.coefs_[0])  # the network itself did learn


@pytest.mark.parametrize("params", ENCODINGS, ids=ENCODING_IDS)
def test_pickle_round_trip(params):
    X, signal = _skewed()
    reg = _fit(StabilizedMLPRegressor(**SMALL, **params), X, signal)
    loaded = pickle.loads(pickle.dumps(reg))
    assert_array_equal(loaded.predict(X), reg.predict(X))
    # Training continues identically from the copy.
    _fit(loaded.set_params(warm_start=True, max_iter=2), X, signal)
    _fit(reg.set_params(warm_start=True, max_iter=2), X, signal)
    assert_array_equal(loaded.predict(X), reg.predict(X))


def test_sparse_input():
    X, signal = _skewed()
    X_sparse = sparse.csr_matrix(X)
    # Quantile scaling, like the other scalings, leaves sparse input as given.
    reg = _fit(StabilizedMLPRegressor(input_scaling="quantile", **SMALL), X_sparse, signal)
    assert reg.input_transformer_ is None
    # A model fitted on dense rows scales sparse rows at prediction.
    dense = _fit(StabilizedMLPRegressor(input_scaling="quantile", **SMALL), X, signal)
    assert_allclose(dense.predict(X_sparse), dense.predict(X))
    # The piecewise-linear encoding bins sparse columns like dense ones (zeros included), and densifies batches.
    ple = _fit(StabilizedMLPRegressor(numerical_embedding="piecewise_linear", input_scaling=None, **SMALL), X, signal)
    ple_sparse = _fit(ple.__sklearn_clone__(), X_sparse, signal)
    for got, expected in zip(ple_sparse.net_.layers[0].edges, ple.net_.layers[0].edges):
        assert_array_equal(got, expected)
    assert_allclose(ple_sparse.predict(X_sparse), ple.predict(X))


def test_small_tables_get_no_encoding_by_default():
    reg = StabilizedMLPRegressor()
    assert reg.input_scaling == "robust" and reg.numerical_embedding == "auto"
    X, signal = _skewed()
    assert X.shape[0] < LARGE_TABLE_ROWS
    fitted = _fit(StabilizedMLPRegressor(**SMALL), X, signal)
    assert fitted.input_transformer_ is None
    assert not any(isinstance(layer, nn.PiecewiseLinearEncoding) for layer in fitted.net_.layers)


@parametrize_with_checks(
    [StabilizedMLPClassifier(numerical_embedding="piecewise_linear"), StabilizedMLPRegressor(input_scaling="quantile")],
    # QuantileTransformer takes no sample weights: weighted rows are not repeated rows for the quantile scaling.
    expected_failed_checks=lambda est: (
        {"check_sample_weight_equivalence_on_dense_data": "quantile scaling ignores sample weights"}
        if est.input_scaling == "quantile"
        else {}
    ),
)
def test_sklearn_compatible_with_encodings(estimator, check):
    check(estimator)
