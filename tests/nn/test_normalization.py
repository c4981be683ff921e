"""Behaviour of the normalization layers and of the flat parameter buffer."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skstab.nn import BatchNorm, Dense, GroupNorm, LayerNorm, ReLU, Sequential


def test_batchnorm_running_statistics_follow_the_guide_convention(rng):
    bn = BatchNorm(momentum=0.9)
    bn.build(3)
    batches = [rng.normal(loc=5, scale=2, size=(16, 3)) for _ in range(4)]
    expected_mean, expected_var = np.zeros(3), np.ones(3)
    for batch in batches:
        bn.forward(batch, training=True)
        expected_mean = 0.9 * expected_mean + 0.1 * batch.mean(axis=0)
        expected_var = 0.9 * expected_var + 0.1 * batch.var(axis=0)
    assert_allclose(bn.buffers["running_mean"], expected_mean, rtol=1e-12)
    assert_allclose(bn.buffers["running_var"], expected_var, rtol=1e-12)


def test_batchnorm_statistics_frozen_outside_training(rng):
    bn = BatchNorm()
    bn.build(3)
    bn.forward(rng.normal(size=(10, 3)), training=True)
    frozen = {k: v.copy() for k, v in bn.buffers.items()}
    X = rng.normal(loc=3, size=(10, 3))
    out_eval = bn.forward(X, training=False)
    out_infer = bn.infer(X)
    for key, value in frozen.items():
        assert_array_equal(bn.buffers[key], value)
    assert_allclose(out_eval, out_infer, rtol=0, atol=0)
    expected = (X - frozen["running_mean"]) / np.sqrt(frozen["running_var"] + bn.epsilon)
    assert_allclose(out_infer, expected, rtol=1e-12)


def test_batchnorm_inference_is_row_independent(rng):
    bn = BatchNorm()
    bn.build(4)
    bn.forward(rng.normal(size=(32, 4)), training=True)
    X = rng.normal(size=(9, 4))
    whole = bn.infer(X)
    one_by_one = np.vstack([bn.infer(X[i : i + 1]) for i in range(9)])
    assert_allclose(whole, one_by_one, rtol=0, atol=1e-15)
    perm = rng.permutation(9)
    assert_allclose(bn.infer(X[perm]), whole[perm], rtol=0, atol=1e-15)


def test_batchnorm_weights_act_as_repetition(rng):
    X = rng.normal(size=(6, 3))
    counts = np.array([0, 1, 2, 3, 1, 0])
    weighted, repeated = BatchNorm(), BatchNorm()
    weighted.build(3)
    repeated.build(3)
    out_w = weighted.forward(X, training=True, sample_weight=counts.astype(float))
    out_r = repeated.forward(np.repeat(X, counts, axis=0), training=True)
    assert_allclose(np.repeat(out_w, counts, axis=0), out_r, rtol=1e-12)
    for key in weighted.buffers:
        assert_allclose(weighted.buffers[key], repeated.buffers[key], rtol=1e-12)


def test_one_row_batch_gives_finite_output():
    bn = BatchNorm()
    bn.build(2)
    out = bn.forward(np.array([[3.0, -1.0]]), training=True)
    assert np.isfinite(out).all()
    assert_array_equal(out, [[0.0, 0.0]])


def test_groupnorm_with_one_group_is_layernorm(rng):
    X = rng.normal(size=(5, 6))
    gn, ln = GroupNorm(n_groups=1), LayerNorm()
    gn.build(6)
    ln.build(6)
    assert_allclose(gn.forward(X, training=True), ln.forward(X, training=True), rtol=1e-14)


def test_groupnorm_normalizes_each_group(rng):
    gn = GroupNorm(n_groups=3, epsilon=1e-12)
    gn.build(12)
    out = gn.forward(rng.normal(loc=4, size=(5, 12)), training=True).reshape(5, 3, 4)
    assert_allclose(out.mean(axis=2), 0, atol=1e-12)
    assert_allclose(out.var(axis=2), 1, rtol=1e-9)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: GroupNorm(6, n_groups=4), "multiple"),
        (lambda: BatchNorm(momentum=1.0), "momentum"),
        (lambda: LayerNorm(epsilon=0), "epsilon"),
        (lambda: Dense(0), "n_out"),
        (lambda: Dense(3, init="zeros"), "init"),
    ],
)
def test_invalid_constructor_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved(dtype, rng):
    net = Sequential([Dense(4), BatchNorm(), ReLU(), Dense(2), LayerNorm()])
    net.build(3, rng, dtype=dtype)
    X = rng.normal(size=(8, 3)).astype(dtype)
    out = net.forward(X, training=True)
    net.backward(np.ones_like(out))
    assert out.dtype == dtype and net.params.dtype == dtype and net.grads.dtype == dtype
    assert net.infer(X).dtype == dtype


def test_parameters_are_views_of_one_flat_buffer(rng):
    net = Sequential([Dense(4), BatchNorm(), ReLU(), Dense(2)])
    net.build(3, rng)
    dense, bn = net.layers[0], net.layers[1]
    assert net.params.size == 3 * 4 + 4 + 4 + 4 + 4 * 2 + 2
    for layer in (dense, bn):
        for key in layer.params:
            assert np.shares_memory(layer.params[key], net.params)
            assert np.shares_memory(layer.grads[key], net.grads)
    net.params[:] = 0
    assert not dense.params["W"].any()
    # Only dense weights decay, never biases, gamma or beta; the decayed
    # weights sit together at the front of the buffer.
    assert_array_equal(net.decay_mask, np.r_[np.ones(12 + 8), np.zeros(4 + 8 + 2)])
    for layer in net.layers:
        for key, view in layer.params.items():
            start = (view.__array_interface__["data"][0] - net.params.__array_interface__["data"][0]) // 8
            assert net.decay_mask[start : start + view.size].all() == (key == "W")


def test_state_round_trip_and_pickle(rng):
    net = Sequential([Dense(4), BatchNorm(), ReLU(), Dense(2)])
    net.build(3, rng)
    X = rng.normal(size=(8, 3))
    net.forward(X, training=True)
    saved = net.state()
    before = net.infer(X)
    net.params += 1
    net.forward(X + 5, training=True)
    net.load_state(saved)
    assert_array_equal(net.infer(X), before)
    clone = pickle.loads(pickle.dumps(net))
    assert_array_equal(clone.infer(X), before)
    assert np.shares_memory(clone.layers[0].params["W"], clone.params)
    assert np.shares_memory(clone.layers[1].grads["gamma"], clone.grads)


def test_inference_folds_batch_norm_into_the_dense_layer(rng):
    net = Sequential([Dense(6), BatchNorm(), ReLU(), Dense(5), LayerNorm(), ReLU(), Dense(2)])
    net.build(4, rng)
    for _ in range(3):
        net.forward(rng.normal(loc=2, size=(16, 4)), training=True)
    net.params += rng.normal(scale=0.1, size=net.params.shape)
    X = rng.normal(size=(9, 4))
    X_before = X.copy()
    assert_allclose(net.infer(X), net.forward(X, training=False), rtol=1e-12, atol=1e-12)
    assert_array_equal(X, X_before)  # in-place work never touches the caller's array
    assert net.layers[1].inference_affine() is not None and net.layers[4].inference_affine() is None


def test_chunked_inference_matches_one_pass(rng):
    net = Sequential([Dense(8), BatchNorm(), ReLU(), Dense(3)])
    net.build(5, rng)
    net.forward(rng.normal(size=(32, 5)), training=True)
    X = rng.normal(size=(103, 5))
    whole = net.infer(X, chunk_rows=1000)
    assert_allclose(net.infer(X, chunk_rows=10), whole, rtol=1e-13, atol=1e-13)
    # Each chunk is cast to the network's dtype; the caller's array is untouched.
    net32 = Sequential([Dense(8), BatchNorm(), ReLU(), Dense(3)])
    net32.build(5, np.random.default_rng(0), dtype=np.float32)
    assert net32.infer(X, chunk_rows=10).dtype == np.float32
