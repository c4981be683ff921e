"""Accuracy building blocks: dropout, label smoothing, embeddings, learning-rate factors, ensembles, PReLU.

Each piece is off by default; here each is switched on and off on small data, fitted, predicted, refitted
with the same seed and pickled. The gradients are checked in ``tests/nn/test_gradcheck.py``.
"""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression

from skstab import StabilizedMLPClassifier, StabilizedMLPRegressor
from skstab.nn import (
    BatchEnsembleDense,
    Dense,
    Dropout,
    FeatureScale,
    PeriodicEmbedding,
    PReLU,
    Sequential,
    SigmoidCrossEntropy,
    SoftmaxCrossEntropy,
)
from skstab.optim import SGD, Adam, AdamW, RMSProp
from skstab.utils._accelerator import numba_available

PIECES = {
    "off": {},
    "dropout": {"dropout": 0.2},
    "dropout flat_cos": {"dropout": 0.2, "dropout_schedule": "flat_cos"},
    "periodic embedding": {"numerical_embedding": "periodic"},
    "feature scale": {"feature_scale": True},
    "ensemble": {"n_ensemble": 3},
    "prelu": {"activation": "prelu"},
    "all": {
        "dropout": 0.1,
        "dropout_schedule": "flat_cos",
        "numerical_embedding": "periodic",
        "feature_scale": True,
        "n_ensemble": 2,
        "activation": "prelu",
    },
}
COMMON = {"hidden_layer_sizes": (16, 16), "max_iter": 4, "random_state": 0}

#: The dropout paths to test: numba's only where it is installed.
ACCELERATORS = ["numpy", *(["numba"] if numba_available() else [])]


@pytest.fixture(scope="module")
def classification():
    return make_classification(n_samples=120, n_features=5, n_informative=3, n_classes=3, random_state=0)


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=120, n_features=5, noise=1.0, random_state=0)
    return X, y


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y)


@pytest.mark.parametrize("piece", PIECES)
def test_classifier_piece_fits_predicts_repeats_and_pickles(piece, classification):
    X, y = classification
    params = {**COMMON, **PIECES[piece], "label_smoothing": 0.1 if piece == "all" else 0.0}
    first = _fit(StabilizedMLPClassifier(**params), X, y)
    proba = first.predict_proba(X)
    assert proba.shape == (len(X), 3) and np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(first.predict(X)) <= set(first.classes_)
    np.testing.assert_array_equal(_fit(StabilizedMLPClassifier(**params), X, y).predict_proba(X), proba)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(first)).predict_proba(X), proba)
    # Prediction is deterministic: dropout is off at inference.
    np.testing.assert_array_equal(first.predict_proba(X), proba)


@pytest.mark.parametrize("piece", PIECES)
def test_regressor_piece_fits_predicts_repeats_and_pickles(piece, regression):
    X, y = regression
    params = {**COMMON, **PIECES[piece]}
    first = _fit(StabilizedMLPRegressor(**params), X, y)
    pred = first.predict(X)
    assert pred.shape == (len(X),) and np.all(np.isfinite(pred))
    np.testing.assert_array_equal(_fit(StabilizedMLPRegressor(**params), X, y).predict(X), pred)
    restored = pickle.loads(pickle.dumps(first))
    np.testing.assert_array_equal(restored.predict(X), pred)
    # A pickled fit keeps training: the optimizer and the dropout generator come along.
    restored.partial_fit(X, y)


def test_the_defaults_are_the_ensemble_and_the_size_rule():
    for Est in (StabilizedMLPClassifier, StabilizedMLPRegressor):
        params = Est().get_params()
        assert params["dropout"] == "auto" and params["dropout_schedule"] == "constant"
        assert params["numerical_embedding"] == "auto" and params["batch_size"] == "auto"
        assert params["feature_scale"] is False
        assert params["n_ensemble"] == 4
    assert StabilizedMLPClassifier().label_smoothing == "auto"
    assert "label_smoothing" not in StabilizedMLPRegressor().get_params()


def test_default_network_is_an_ensemble_of_the_plain_network(classification):
    X, y = classification
    est = _fit(StabilizedMLPClassifier(**COMMON), X, y)
    assert [type(layer).__name__ for layer in est.net_.layers] == [
        "BatchEnsembleDense",
        "BatchNorm",
        "ReLU",
        "BatchEnsembleDense",
        "BatchNorm",
        "ReLU",
        "BatchEnsembleDense",
    ]
    assert est.net_.lr_factors is None and est._optimizer.lr_factors is None


def test_the_pieces_build_the_layers_they_name(classification):
    X, y = classification
    est = _fit(StabilizedMLPClassifier(**COMMON, **PIECES["all"]), X, y)
    kinds = [type(layer) for layer in est.net_.layers]
    assert kinds[:3] == [PeriodicEmbedding, FeatureScale, BatchEnsembleDense]
    assert kinds.count(Dropout) == 2 and kinds.count(PReLU) == 2
    assert est.net_.layers[-1].average == "softmax" and est.net_.layers[-1].n_members == 2
    # The optimizer gets the network's learning-rate factors.
    np.testing.assert_array_equal(est._optimizer.lr_factors, est.net_.lr_factors)
    assert set(np.unique(est.net_.lr_factors)) == {0.1, 1.0, 6.0}


def test_label_smoothing_changes_the_training_loss_only_when_on(classification):
    X, y = classification
    hard = _fit(StabilizedMLPClassifier(**COMMON), X, y)
    smooth = _fit(StabilizedMLPClassifier(**COMMON, label_smoothing=0.2), X, y)
    assert smooth.loss_curve_[0] != hard.loss_curve_[0]
    assert isinstance(smooth._make_loss(), SoftmaxCrossEntropy) and smooth._make_loss().label_smoothing == 0.2
    binary = _fit(StabilizedMLPClassifier(**COMMON, label_smoothing=0.2), X, y == 0)
    assert isinstance(binary._make_loss(), SigmoidCrossEntropy) and binary._make_loss().label_smoothing == 0.2


def test_label_smoothing_targets():
    Z = np.zeros((1, 4))
    _, grad = SoftmaxCrossEntropy(label_smoothing=0.2)(Z, np.array([[0.0, 1.0, 0.0, 0.0]]))
    # softmax(0) = 1/4; smoothed target = y * 0.8 + 0.05.
    np.testing.assert_allclose(grad, [[0.2, -0.6, 0.2, 0.2]])
    _, grad = SigmoidCrossEntropy(label_smoothing=0.2)(np.zeros((1, 1)), np.array([[1.0]]))
    np.testing.assert_allclose(grad, [[0.5 - 0.9]])


@pytest.mark.parametrize("params, match", [({"dropout": 1.0}, "dropout"), ({"n_ensemble": 0}, "n_ensemble")])
def test_invalid_piece_parameters_are_refused(params, match, classification):
    X, y = classification
    with pytest.raises(ValueError, match=match):
        StabilizedMLPClassifier(**params).fit(X, y)


# -- dropout -------------------------------------------------------------------------------


@pytest.mark.parametrize("accelerator", ACCELERATORS)
def test_dropout_inference_is_the_expectation_of_training(rng, accelerator):
    layer = Dropout(0.3, accelerator=accelerator)
    layer.build(5, rng)
    X = rng.normal(size=(4, 5))
    inferred = layer.infer(X)
    np.testing.assert_array_equal(inferred, X)
    np.testing.assert_array_equal(layer.forward(X, training=False), X)
    draws = np.stack([layer.forward(X, training=True).copy() for _ in range(20_000)])
    # Each value is kept with probability 0.7 and scaled by 1 / 0.7.
    assert set(np.round(np.unique(draws / X), 12)) == {0.0, round(1 / 0.7, 12)}
    np.testing.assert_allclose(draws.mean(axis=0), inferred, atol=0.05 * np.abs(X).max())


@pytest.mark.parametrize("accelerator", ACCELERATORS)
def test_dropout_reuses_its_workspace(rng, accelerator):
    layer = Dropout(0.5, accelerator=accelerator)
    layer.build(3, rng)
    X = rng.normal(size=(8, 3))
    first = layer.forward(X, training=True)
    second = layer.forward(X, training=True)
    assert first is second  # same workspace, a new mask
    assert layer.backward(np.ones_like(X)) is layer.backward(np.ones_like(X))


def _hashed_mask_reference(shape, key, rate, dtype):
    """The numba kernel's mask, from its formula in numpy's wrapping unsigned arithmetic."""
    low32 = np.uint64(0xFFFFFFFF)

    def fmix32(x):
        x = (x ^ (x >> np.uint64(16))) * np.uint64(0x85EBCA6B) & low32
        x = (x ^ (x >> np.uint64(13))) * np.uint64(0xC2B2AE35) & low32
        return x ^ (x >> np.uint64(16))

    positions = np.arange(np.prod(shape), dtype=np.uint64).reshape(shape)
    spread = (positions * np.uint64(0x9E3779B9) + np.uint64(key & 0xFFFFFFFF)) & low32
    hashed = fmix32(fmix32(spread) ^ np.uint64(key >> 32))
    kept = hashed >= np.uint64(round(rate * 2**32))
    return np.where(kept, dtype(1.0 / (1.0 - rate)), dtype(0.0)).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_numba_mask_is_its_hash_and_has_the_rate(rng, dtype):
    pytest.importorskip("numba")
    layer = Dropout(0.1, accelerator="numba")
    layer.build(100, np.random.default_rng(7))
    keys = np.random.default_rng(int(np.random.default_rng(7).integers(2**63 - 1))).bit_generator
    X = rng.normal(size=(512, 100)).astype(dtype)
    masks = []
    for _ in range(3):
        Y = layer.forward(X, training=True)
        expected = _hashed_mask_reference(X.shape, keys.random_raw(), 0.1, dtype)
        np.testing.assert_array_equal(layer._cache, expected)
        np.testing.assert_array_equal(Y, X * expected)
        masks.append(expected > 0)
    kept = np.stack(masks)
    # 153,600 draws: the kept share is within five standard deviations of 0.9, and neither the masks of
    # two batches nor neighbouring values in a row are correlated beyond what chance gives.
    assert abs(kept.mean() - 0.9) < 5 * np.sqrt(0.09 / kept.size)
    limit = 5 / np.sqrt(X.size)
    assert abs(np.corrcoef(kept[0].ravel(), kept[1].ravel())[0, 1]) < limit
    assert abs(np.corrcoef(kept[0][:, :-1].ravel(), kept[0][:, 1:].ravel())[0, 1]) < limit
    np.testing.assert_array_equal(layer.backward(np.ones_like(X)), layer._cache)


def test_dropout_flat_cos_schedule(rng):
    layer = Dropout(0.4, schedule="flat_cos", n_steps=8)
    layer.build(2, rng)
    rates = []
    for _ in range(10):
        rates.append(layer.current_rate())
        layer.forward(np.ones((3, 2)), training=True)
    np.testing.assert_allclose(rates[:5], 0.4)
    np.testing.assert_allclose(rates[6], 0.4 * 0.5 * (1 + np.cos(np.pi * 0.5)))
    assert rates[8] == rates[9] == 0.0
    with pytest.raises(ValueError, match="n_steps"):
        Dropout(0.4, schedule="flat_cos")


@pytest.mark.parametrize("accelerator", ACCELERATORS)
def test_dropout_masks_are_seeded_and_survive_pickling(accelerator):
    a, b = Dropout(0.5, accelerator=accelerator), Dropout(0.5, accelerator=accelerator)
    a.build(4, np.random.default_rng(3))
    b.build(4, np.random.default_rng(3))
    X = np.ones((6, 4))
    np.testing.assert_array_equal(a.forward(X, training=True), b.forward(X, training=True))
    c = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(a.forward(X, training=True), c.forward(X, training=True))


def test_without_dropout_leaves_dropout_out_of_training_passes_and_draws_no_mask(rng):
    net = Sequential([Dense(8), Dropout(0.5), Dense(2)])
    twin = Sequential([Dense(8), Dropout(0.5), Dense(2)])
    net.build(3, np.random.default_rng(0))
    twin.build(3, np.random.default_rng(0))
    X = rng.normal(size=(16, 3))
    with net.without_dropout():
        np.testing.assert_array_equal(net.forward(X, training=True), net.infer(X))
    # Back on, with the masks a network that never left dropout out draws next.
    np.testing.assert_array_equal(net.forward(X, training=True), twin.forward(X, training=True))
    assert "suspended" not in vars(net.layers[1])  # nothing left on the layer (or in its pickle)


def test_the_end_of_fit_check_compares_inference_with_training_mode_without_dropout(classification):
    X, y = classification
    est = StabilizedMLPClassifier((16,), dropout=0.5, n_ensemble=1, max_iter=3, random_state=0).fit(X, y)
    # One network, normalized with the statistics of all training rows: training mode on them equals
    # inference, so only dropout could make a gap.
    assert abs(est.inference_gap_) < 1e-9


# -- learning-rate factors -----------------------------------------------------------------


def test_sequential_gathers_lr_factors(rng):
    plain = Sequential([Dense(3), Dense(1)])
    plain.build(2, rng)
    assert plain.lr_factors is None
    net = Sequential([FeatureScale(lr_factor=6.0), Dense(3), PReLU(), Dense(1)])
    net.build(2, rng)
    for layer in net.layers:
        for name, value in layer.params.items():
            start = value.__array_interface__["data"][0] - net.params.__array_interface__["data"][0]
            block = net.lr_factors[start // 8 : start // 8 + value.size]
            np.testing.assert_array_equal(block, layer.lr_factors.get(name, 1.0))


def _one_step(opt, params, grads):
    params = params.copy()
    opt.step(params, grads, lr=0.1)
    return params


@pytest.mark.parametrize("cls", [SGD, Adam, AdamW, RMSProp])
def test_lr_factors_scale_each_parameters_update(cls):
    params, grads = np.array([1.0, 2.0, -1.0, 0.5]), np.array([0.5, -1.0, 2.0, 0.0])
    factors = np.array([1.0, 0.1, 6.0, 2.0])
    plain = _one_step(cls(weight_decay=0.0), params, grads)
    scaled = _one_step(cls(weight_decay=0.0, lr_factors=factors), params, grads)
    np.testing.assert_allclose(scaled - params, factors * (plain - params), rtol=1e-12)
    # All ones is exactly no factors.
    np.testing.assert_array_equal(_one_step(cls(weight_decay=0.0, lr_factors=np.ones(4)), params, grads), plain)


def test_adamw_decay_follows_the_lr_factors():
    params, grads = np.array([1.0, 1.0, 1.0]), np.zeros(3)
    opt = AdamW(weight_decay=0.5, decay_mask=[1, 1, 0], lr_factors=[1.0, 0.1, 6.0])
    # A zero gradient leaves only the decoupled decay: p * (1 - lr * wd * mask * factor).
    np.testing.assert_allclose(_one_step(opt, params, grads), [1 - 0.05, 1 - 0.005, 1.0])


def test_adam_one_step_with_factors_closed_form():
    params, grads = np.array([1.0, -2.0]), np.array([0.5, -0.25])
    opt = Adam(lr_factors=[0.5, 2.0])
    # The first Adam step moves each parameter by lr * sign(g); the factors scale it.
    np.testing.assert_allclose(_one_step(opt, params, grads), [1.0 - 0.05, -2.0 + 0.2], rtol=1e-7)


def test_lr_factors_are_checked_and_kept_in_the_state():
    with pytest.raises(ValueError, match="lr_factors"):
        SGD(lr_factors=[[1.0]])
    with pytest.raises(ValueError, match="lr_factors"):
        SGD(lr_factors=[-1.0])
    opt = Adam(lr_factors=[1.0, 2.0])
    with pytest.raises(ValueError, match="lr_factors has 2 entries"):
        opt.step(np.zeros(3), np.zeros(3), lr=0.1)
    opt = Adam(lr_factors=[1.0, 2.0, 3.0])
    opt.step(np.zeros(3), np.ones(3), lr=0.1)
    state = opt.state_dict()
    state["hyperparameters"]["lr_factors"][0] = 9.0  # a copy
    np.testing.assert_array_equal(opt.lr_factors, [1.0, 2.0, 3.0])
    restored = Adam()
    restored.load_state_dict(opt.state_dict())
    np.testing.assert_array_equal(restored.lr_factors, [1.0, 2.0, 3.0])
    # A pickled or reloaded optimizer continues with the same factors.
    a, b, c = np.zeros(3), np.zeros(3), np.zeros(3)
    pickled = pickle.loads(pickle.dumps(opt))
    opt.step(a, np.ones(3), lr=0.1)
    pickled.step(b, np.ones(3), lr=0.1)
    restored.step(c, np.ones(3), lr=0.1)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)


# -- ensembles -----------------------------------------------------------------------------


def test_ensemble_prediction_averages_member_probabilities(classification):
    X, y = classification
    est = _fit(StabilizedMLPClassifier(**COMMON, n_ensemble=3, normalization="layer"), X, y)
    scaled = est._scale_inputs(X, est.net_.params.dtype)
    H = scaled
    for layer in est.net_.layers[:-1]:
        H = layer.infer(H)
    last = est.net_.layers[-1]
    members = last.forward(H, training=False).reshape(3, len(X), -1)
    member_proba = np.exp(members - members.max(axis=2, keepdims=True))
    member_proba /= member_proba.sum(axis=2, keepdims=True)
    np.testing.assert_allclose(est.predict_proba(X), member_proba.mean(axis=0), rtol=1e-10)


def test_ensemble_regressor_averages_member_values(regression):
    X, y = regression
    est = _fit(StabilizedMLPRegressor(**COMMON, n_ensemble=4, normalization="layer"), X, y)
    H = est._scale_inputs(X, est.net_.params.dtype)
    for layer in est.net_.layers[:-1]:
        H = layer.infer(H)
    members = est.net_.layers[-1].forward(H, training=False).reshape(4, len(X))
    expected = members.mean(axis=0) * est.target_scale_[0] + est.target_mean_[0]
    np.testing.assert_allclose(est.predict(X), expected, rtol=1e-10)


def test_ensemble_of_identical_members_is_one_network(rng):
    """With every multiplier at one and shared biases, k members compute exactly one Dense network."""
    dense = Sequential([Dense(4), Dense(2)])
    dense.build(3, np.random.default_rng(1))
    ensemble = Sequential([BatchEnsembleDense(4, 3, first=True), BatchEnsembleDense(2, 3, average="identity")])
    ensemble.build(3, np.random.default_rng(1))
    ensemble.layers[0].params["r"][...] = 1.0
    for source, target in zip(dense.layers, ensemble.layers):
        target.params["W"][...] = source.params["W"]
        target.params["b"][...] = source.params["b"] + 0.1
        source.params["b"][...] += 0.1
    X = rng.normal(size=(5, 3))
    np.testing.assert_allclose(ensemble.infer(X), dense.infer(X))
    np.testing.assert_allclose(ensemble.forward(X, training=True), np.tile(dense.infer(X), (3, 1)))


def test_logistic_average_is_finite_for_saturated_members():
    layer = BatchEnsembleDense(1, 2, average="logistic")
    layer.build(1, np.random.default_rng(0))
    layer.params["W"][...] = 1.0
    layer.params["s"][...] = [[1e4], [1e4]]
    Z = layer.infer(np.ones((2, 2)))
    assert np.all(np.isfinite(Z)) and np.all(Z > 30)
