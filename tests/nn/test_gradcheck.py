"""Central-difference gradient checks for every layer, activation and loss."""

import numpy as np
import pytest

from skstab.nn import (
    ACTIVATIONS,
    LOSSES,
    BatchNorm,
    Dense,
    GroupNorm,
    LayerNorm,
    Sequential,
)

STEP = 1e-6
RTOL = 1e-6


def _relative_error(numeric, analytic):
    scale = max(np.linalg.norm(numeric) + np.linalg.norm(analytic), 1e-12)
    return np.linalg.norm(numeric - analytic) / scale


def _numeric_gradient(f, x):
    """Central differences of the scalar ``f()`` with respect to array ``x``, in place."""
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        saved = flat[i]
        flat[i] = saved + STEP
        up = f()
        flat[i] = saved - STEP
        down = f()
        flat[i] = saved
        gflat[i] = (up - down) / (2 * STEP)
    return grad


def _layers():
    yield "dense", lambda: Dense(4), True
    for name, cls in ACTIVATIONS.items():
        yield name, cls, True
    yield "batchnorm-train", lambda: BatchNorm(momentum=0.8), True
    yield "batchnorm-eval", lambda: BatchNorm(momentum=0.8), False
    yield "layernorm", LayerNorm, True
    yield "layernorm-eval", LayerNorm, False
    yield "groupnorm", lambda: GroupNorm(n_groups=3), True
    yield "groupnorm-eval", lambda: GroupNorm(n_groups=3), False


LAYER_CASES = list(_layers())


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("make_layer, training", [c[1:] for c in LAYER_CASES], ids=[c[0] for c in LAYER_CASES])
def test_layer_gradients(make_layer, training, weighted, rng):
    n, d = 7, 6
    layer = make_layer()
    n_out = layer.build(d, rng)
    # Move learned parameters and running statistics off their neutral starts
    # so that every term of the gradient is exercised.
    for value in layer.params.values():
        value += rng.normal(scale=0.3, size=value.shape)
    for value in layer.buffers.values():
        value[...] = rng.uniform(0.5, 1.5, size=value.shape)
    X = rng.normal(size=(n, d))
    R = rng.normal(size=(n, n_out))
    sample_weight = rng.integers(0, 4, size=n).astype(float) if weighted else None
    if weighted:
        sample_weight[0] = 2.0

    weights = {"sample_weight": sample_weight} if layer.uses_sample_weight else {}

    def objective():
        return float(np.sum(layer.forward(X, training=training, **weights) * R))

    objective()
    dX = layer.backward(R).copy()
    analytic = {k: g.copy() for k, g in layer.grads.items()}
    assert _relative_error(_numeric_gradient(objective, X), dX) < RTOL
    for key, param in layer.params.items():
        assert _relative_error(_numeric_gradient(objective, param), analytic[key]) < RTOL, key


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_gradients(name, weighted, rng):
    n, k = 6, 3
    Z = rng.normal(scale=2.0, size=(n, k))
    if name == "squared_error":
        Y = rng.normal(size=(n, k))
    elif name == "softmax_cross_entropy":
        Y = np.eye(k)[rng.integers(0, k, size=n)]
    else:
        Y = rng.integers(0, 2, size=(n, k)).astype(float)
    sample_weight = rng.uniform(0, 3, size=n) if weighted else None
    loss = LOSSES[name]()
    _, dZ = loss(Z, Y, sample_weight)
    numeric = _numeric_gradient(lambda: loss(Z, Y, sample_weight)[0], Z)
    assert _relative_error(numeric, dZ) < RTOL


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_network_gradient_end_to_end(training, weighted, rng):
    net = Sequential(
        [
            Dense(6),
            BatchNorm(),
            ACTIVATIONS["relu"](),
            Dense(6),
            GroupNorm(n_groups=2),
            ACTIVATIONS["tanh"](),
            Dense(4),
            LayerNorm(),
            ACTIVATIONS["gelu"](),
            Dense(3),
        ]
    )
    net.build(5, rng)
    net.params += rng.normal(scale=0.1, size=net.params.shape)
    X = rng.normal(size=(9, 5))
    Y = np.eye(3)[rng.integers(0, 3, size=9)]
    sample_weight = rng.uniform(0.5, 2, size=9) if weighted else None
    loss = LOSSES["softmax_cross_entropy"]()

    def objective():
        return loss(net.forward(X, training=training, sample_weight=sample_weight), Y, sample_weight)[0]

    _, dZ = loss(net.forward(X, training=training, sample_weight=sample_weight), Y, sample_weight)
    dX = net.backward(dZ, need_input_grad=True).copy()
    analytic = net.grads.copy()
    assert _relative_error(_numeric_gradient(objective, net.params), analytic) < RTOL
    assert _relative_error(_numeric_gradient(objective, X), dX) < RTOL
