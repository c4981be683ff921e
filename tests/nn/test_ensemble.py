"""BatchEnsembleDense beyond its gradients (tests/nn/test_gradcheck.py): buffers and inference."""

import tracemalloc

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skstab.nn import BatchEnsembleDense
from skstab.nn._ensemble_functional import batch_ensemble_backward, batch_ensemble_forward


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
def test_a_training_step_allocates_no_batch_sized_array(first, dtype, rng):
    k, n, d, h = 4, 512, 64, 256
    layer = _layer(first, rng, k=k, d=d, h=h, dtype=dtype)
    X = rng.normal(size=(n if first else k * n, d)).astype(dtype)
    dY = rng.normal(size=(k * n, h)).astype(dtype)
    layer.forward(X, training=True)
    layer.backward(dY)  # the first step allocates the workspaces
    work = {key: id(value) for key, value in layer._work.items()}

    tracemalloc.start()
    try:
        for _ in range(3):
            layer.forward(X, training=True)
            layer.backward(dY)
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
