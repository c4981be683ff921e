"""BatchEnsembleDense beyond its gradients (tests/nn/test_gradcheck.py): buffers and inference."""

import pickle
import tracemalloc

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skstab.nn import BatchEnsembleDense
from skstab.nn._ensemble import FOLD_MIN_ROWS
from skstab.nn._ensemble_functional import (
    ONE_PRODUCT_MIN_ROWS,
    batch_ensemble_backward,
    batch_ensemble_forward,
    ensemble_average,
)


def _layer(first, rng, *, k=4, d=24, h=32, average=None, dtype=np.float64):
    layer = BatchEnsembleDense(h, k, first=first, average=average)
    layer.build(d, rng, dtype=dtype)
    for value in layer.params.values():
        value += rng.normal(scale=0.3, size=value.shape).astype(dtype)
    return layer


@pytest.mark.parametrize("first", [True, False], ids=["first", "hidden"])
@pytest.mark.parametrize("need_input_grad", [True, False])
def test_backward_into_workspaces_matches_the_allocating_kernel(first, need_input_grad, rng):
    """Two steps on different batches: the second must not see anything the first left in the buffers."""
    k, n, d, h = 4, 16, 24, 32
    layer = _layer(first, rng, k=k, d=d, h=h)
    p = layer.params
    for _ in range(2):
        X = rng.normal(size=(n if first else k * n, d))
        dY = rng.normal(size=(k * n, h))
        layer.forward(X, training=True)
        dX = layer.backward(dY, need_input_grad=need_input_grad)
        got = {key: g.copy() for key, g in layer.grads.items()}

        _, scaled, product = batch_ensemble_forward(X, p["W"], p["r"], p["s"], p["b"], first)
        expected = {key: np.empty_like(value) for key, value in p.items()}
        g = expected
        dX_ref = batch_ensemble_backward(
            dY, X, p["W"], p["r"], p["s"], scaled, product, g["W"], g["r"], g["s"], g["b"], first, need_input_grad
        )
        for key in p:
            assert_allclose(got[key], expected[key], rtol=1e-12, atol=1e-12, err_msg=key)
        if need_input_grad:
            assert dX.shape == X.shape
            assert_allclose(dX, dX_ref, rtol=1e-12, atol=1e-12)
        else:
            assert dX is None and dX_ref is None


@pytest.mark.parametrize("first", [True, False], ids=["first", "hidden"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("need_input_grad", [True, False])
def test_a_training_step_allocates_no_batch_sized_array(first, dtype, need_input_grad, rng):
    k, n, d, h = 4, 512, 64, 256
    layer = _layer(first, rng, k=k, d=d, h=h, dtype=dtype)
    X = rng.normal(size=(n if first else k * n, d)).astype(dtype)
    dY = rng.normal(size=(k * n, h)).astype(dtype)
    layer.forward(X, training=True)
    layer.backward(dY, need_input_grad=need_input_grad)  # the first step allocates the workspaces
    work = {key: id(value) for key, value in layer._work.items()}

    tracemalloc.start()
    try:
        for _ in range(3):
            layer.forward(X, training=True)
            layer.backward(dY, need_input_grad=need_input_grad)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # The smallest batch-sized array of this layer is the input gradient, n x d; what numpy does
    # allocate is its ufunc buffer for broadcast operands, np.getbufsize() = 8192 elements whatever the batch.
    assert peak < n * d * np.dtype(dtype).itemsize / 2
    assert {key: id(value) for key, value in layer._work.items()} == work


def test_backward_leaves_the_forward_cache_intact(rng):
    """Calling backward twice on one forward pass gives the same gradients: it overwrites no cached array."""
    layer = _layer(True, rng)
    X, dY = rng.normal(size=(8, 24)), rng.normal(size=(32, 32))
    layer.forward(X, training=True)
    first = layer.backward(dY).copy(), {key: g.copy() for key, g in layer.grads.items()}
    second = layer.backward(dY), layer.grads
    assert_array_equal(first[0], second[0])
    for key in layer.grads:
        assert_array_equal(first[1][key], second[1][key])


# -- inference with the members' multipliers folded into their weights


def _reference(layer, X, scale=None, shift=None):
    """The unfolded computation: scale the input by r, multiply by W, scale by s, add b."""
    p = layer.params
    s, b = (p["s"], p["b"]) if scale is None else (p["s"] * scale, p["b"] * scale + shift)
    Y = batch_ensemble_forward(X, p["W"], p["r"], s, b, layer.first)[0]
    return Y if layer.average is None else ensemble_average(Y, layer.n_members, layer.average)


def _assert_close(got, expected, dtype):
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    assert got.dtype == expected.dtype == dtype
    assert_allclose(got, expected, rtol=rtol, atol=rtol * np.abs(expected).max())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows", [3, FOLD_MIN_ROWS, 1000], ids=["few-rows", "threshold", "many-rows"])
@pytest.mark.parametrize("affine", [False, True], ids=["infer", "infer_folded"])
@pytest.mark.parametrize(
    "first, average",
    [(True, None), (False, None), (False, "identity"), (False, "softmax"), (False, "logistic")],
    ids=["first", "hidden", "output-identity", "output-softmax", "output-logistic"],
)
def test_folded_inference_equals_the_unfolded_computation(first, average, affine, rows, dtype, rng):
    k, d = 4, 12
    layer = _layer(first, rng, k=k, d=d, h=3 if average else 16, average=average, dtype=dtype)
    p = layer.params
    p["r"][...] = rng.normal(size=p["r"].shape)  # signs and sizes, as a trained layer has
    p["s"][...] = rng.normal(size=p["s"].shape)
    X = rng.normal(size=(rows if first else k * rows, d)).astype(dtype)
    if affine:
        scale, shift = rng.uniform(0.5, 2.0, size=layer.n_out).astype(dtype), rng.normal(size=layer.n_out).astype(dtype)
        got, expected = layer.infer_folded(X, scale, shift), _reference(layer, X, scale, shift)
    else:
        got, expected = layer.infer(X), _reference(layer, X)
    _assert_close(got, expected, dtype)
    assert ("folded" in layer._derivations) == (rows >= FOLD_MIN_ROWS)


def test_folded_weights_are_computed_once_per_parameter_state(rng):
    layer = _layer(False, rng)
    X = rng.normal(size=(4 * FOLD_MIN_ROWS, 24))
    layer.infer(X)
    folded = layer._derivations["folded"][1]
    layer.infer(X)
    assert layer._derivations["folded"][1] is folded
    layer.infer_folded(X, np.full(32, 2.0), np.zeros(32))  # another scale: other folded weights
    assert layer._derivations["folded"][1] is not folded


@pytest.mark.parametrize("name", ["W", "r", "s", "b"])
@pytest.mark.parametrize("affine", [False, True], ids=["infer", "infer_folded"])
def test_a_parameter_changed_in_place_is_seen_by_the_next_prediction(name, affine, rng):
    """The optimizer, a rollback or a user writing into coefs_ change parameters in place: no stale weights."""
    layer = _layer(True, rng)
    X = rng.normal(size=(FOLD_MIN_ROWS, 24))
    scale, shift = rng.uniform(0.5, 2.0, size=32), rng.normal(size=32)

    def predict():
        return layer.infer_folded(X, scale, shift) if affine else layer.infer(X)

    predict()
    layer.params[name].flat[5] += 0.5
    _assert_close(predict(), _reference(layer, X, *((scale, shift) if affine else ())), np.float64)
    if affine:
        scale[3] *= 3.0  # the next layer's statistics changed (batch normalization's, say)
        shift[4] += 1.0
        _assert_close(predict(), _reference(layer, X, scale, shift), np.float64)


def test_layer_cast_to_another_dtype_refolds(rng):
    layer = _layer(False, rng)
    for value in layer.params.values():
        value[...] = np.round(value * 4) / 4  # values float32 holds exactly: equal after the cast
    X = rng.normal(size=(4 * FOLD_MIN_ROWS, 24))
    layer.infer(X)
    layer.params = {key: value.astype(np.float32) for key, value in layer.params.items()}
    _assert_close(layer.infer(X.astype(np.float32)), _reference(layer, X.astype(np.float32)), np.float32)


def test_folded_weights_are_never_saved(rng):
    layer = _layer(True, rng)
    X = rng.normal(size=(FOLD_MIN_ROWS, 24))
    unfolded = pickle.dumps(layer)
    layer.infer(X)
    assert "folded" in layer._derivations
    assert pickle.dumps(layer) == unfolded
    loaded = pickle.loads(pickle.dumps(layer))
    assert not loaded._derivations
    assert_array_equal(loaded.infer(X), layer.infer(X))
    layer.release_workspace()
    assert not layer._derivations


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_out", [1, 3])
def test_input_gradient_is_the_product_with_the_transposed_weights(n_out, dtype, rng):
    # One output unit takes a broadcast multiply instead of matmul: the same values, bit for bit.
    from skstab.nn._functional import dense_backward, input_gradient

    dY = rng.normal(size=(64, n_out)).astype(dtype)
    W = rng.normal(size=(20, n_out)).astype(dtype)
    expected = np.matmul(dY, W.T)
    out = np.empty((64, 20), dtype)
    assert input_gradient(dY, W, out=out) is out
    assert_array_equal(out, expected)
    X = rng.normal(size=(64, 20)).astype(dtype)
    dW, db = np.empty_like(W), np.empty(n_out, dtype)
    assert_array_equal(dense_backward(dY, X, W, dW, db, dX=True), expected)
    layer = BatchEnsembleDense(n_out, 4)
    layer.build(20, np.random.default_rng(0), dtype=dtype)
    Xk = rng.normal(size=(4 * 16, 20)).astype(dtype)
    layer.forward(Xk, training=True)
    dYk = rng.normal(size=(4 * 16, n_out)).astype(dtype)
    p = layer.params
    scaled_gradient = dYk.reshape(4, 16, n_out) * p["s"][:, None, :]
    expected = np.matmul(scaled_gradient, p["W"].T) * p["r"][:, None, :]
    assert_array_equal(layer.backward(dYk), expected.reshape(-1, 20))


def test_only_layers_behind_a_learning_layer_compute_their_input_gradient(rng):
    from skstab.nn import BatchNorm, Dense, FeatureScale, PiecewiseLinearEncoding, ReLU, Sequential

    edges = [np.linspace(-2, 2, 5)] * 3
    layers = [PiecewiseLinearEncoding(edges), BatchEnsembleDense(8, 2, first=True), BatchNorm(), ReLU()]
    net = Sequential([*layers, BatchEnsembleDense(1, 2, average="identity")])
    net.build(3, np.random.default_rng(0))
    # The encoding has no parameters: the first ensemble layer's input gradient would be thrown away.
    assert [net.input_gradient_needed(i) for i in range(5)] == [False, False, True, True, True]
    X = rng.normal(size=(6, 3))
    net.forward(X, training=True)
    assert net.backward(np.ones((12, 1))) is None
    assert np.abs(net.layers[1].grads["W"]).sum() > 0
    # Asked for, the network's input gradient still flows back through every layer.
    net.forward(X, training=True)
    assert net.backward(np.ones((12, 1)), need_input_grad=True).shape == X.shape
    scaled = Sequential([FeatureScale(), Dense(4)])
    scaled.build(3, np.random.default_rng(0))
    assert [scaled.input_gradient_needed(i) for i in range(2)] == [False, True]


@pytest.mark.parametrize("n", [ONE_PRODUCT_MIN_ROWS - 1, ONE_PRODUCT_MIN_ROWS])
def test_first_layer_gradients_from_one_product_per_member(n, rng):
    # Without an input gradient, from ONE_PRODUCT_MIN_ROWS rows, dW and dr come from each member's X.T @ dproduct:
    # they equal the two-product computation to rounding and central differences of the loss sum(Y * G).
    k, d, h = 3, 7, 5
    layer = _layer(True, rng, k=k, d=d, h=h)
    X = rng.normal(size=(n, d))
    G = rng.normal(size=(k * n, h))
    layer.forward(X, training=True)
    assert layer.backward(G, need_input_grad=False) is None
    one_product = {key: value.copy() for key, value in layer.grads.items()}
    layer.forward(X, training=True)
    layer.backward(G, need_input_grad=True)
    for key, value in layer.grads.items():
        assert_allclose(one_product[key], value, rtol=1e-12, atol=1e-12, err_msg=key)
    p, eps = layer.params, 1e-6
    for key, index in [("W", (2, 3)), ("W", (6, 0)), ("r", (1, 4)), ("r", (2, 0))]:
        saved = p[key][index]
        losses = []
        for step in (eps, -eps):
            p[key][index] = saved + step
            losses.append(float((layer.forward(X, training=True) * G).sum()))
        p[key][index] = saved
        assert_allclose(one_product[key][index], (losses[0] - losses[1]) / (2 * eps), rtol=1e-6, atol=1e-8)
