"""Central-difference gradient checks for every layer, activation and loss."""

import numpy as np
import pytest

from skstab.nn import (
    ACTIVATIONS,
    LOSSES,
    BatchEnsembleDense,
    BatchNorm,
    Dense,
    Dropout,
    FeatureScale,
    GroupNorm,
    LayerNorm,
    PeriodicEmbedding,
    PiecewiseLinearEncoding,
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


class FixedMaskDropout(Dropout):
    """Dropout with the same mask and scheduled rate at every call, so finite differences see one function."""

    def forward(self, X, *, training):
        self._rng = np.random.default_rng(7)
        self.buffers["step"][...] = 3
        return super().forward(X, training=training)


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
    yield "dropout-train", lambda: FixedMaskDropout(0.4), True
    yield "dropout-eval", lambda: FixedMaskDropout(0.4), False
    yield "dropout-flat-cos", lambda: FixedMaskDropout(0.4, schedule="flat_cos", n_steps=4), True
    yield "periodic-embedding", lambda: PeriodicEmbedding(n_frequencies=5, sigma=0.5, embedding_dim=2), True
    yield "feature-scale", FeatureScale, True
    # Six features of 1 to 4 bins: one unclipped bin, and first, middle and last bins that clip on one or both sides.
    edges = [[-1.0, 1.0], [-2.0, 0.0, 2.0], [-1.5, -0.5, 0.5, 1.5], [-3.0, -1.0, 0.2, 0.4, 3.0], [0.0, 0.5], [-1, 0, 1]]
    yield "piecewise-linear", lambda: PiecewiseLinearEncoding(edges), True


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


@pytest.mark.parametrize(
    "first, average",
    [(True, None), (False, None), (False, "identity"), (False, "softmax"), (False, "logistic")],
    ids=["first", "hidden", "output-identity", "output-softmax", "output-logistic"],
)
def test_batch_ensemble_gradients(first, average, rng):
    """3 members: the first layer maps 4 shared rows to 3 x 4 member rows; later layers take member rows."""
    k, n, d = 3, 4, 5
    layer = BatchEnsembleDense(2, k, first=first, average=average)
    layer.build(d, rng)
    for value in layer.params.values():
        value += rng.normal(scale=0.3, size=value.shape)
    X = rng.normal(size=(n if first else k * n, d))
    R = rng.normal(size=(k * n, 2))

    def objective():
        return float(np.sum(layer.forward(X, training=True) * R))

    objective()
    dX = layer.backward(R).copy()
    analytic = {key: g.copy() for key, g in layer.grads.items()}
    assert _relative_error(_numeric_gradient(objective, X), dX) < RTOL
    for key, param in layer.params.items():
        assert _relative_error(_numeric_gradient(objective, param), analytic[key]) < RTOL, key


#: Every loss, and the classification losses again with label smoothing (squared error has none).
LOSS_CASES = [(name, 0.0) for name in sorted(LOSSES)] + [
    (name, 0.1) for name in sorted(LOSSES) if name != "squared_error"
]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("members", [1, 3], ids=["single", "ensemble"])
@pytest.mark.parametrize("name, smoothing", LOSS_CASES, ids=[f"{n}-{s}" for n, s in LOSS_CASES])
def test_loss_gradients(name, smoothing, members, weighted, rng):
    n, k = 6, 3
    Z = rng.normal(scale=2.0, size=(members * n, k))
    if name == "squared_error":
        Y = rng.normal(size=(n, k))
    elif name == "softmax_cross_entropy":
        Y = np.eye(k)[rng.integers(0, k, size=n)]
    else:
        Y = rng.integers(0, 2, size=(n, k)).astype(float)
    sample_weight = rng.uniform(0, 3, size=n) if weighted else None
    loss = LOSSES[name](label_smoothing=smoothing) if smoothing else LOSSES[name]()
    _, dZ = loss(Z, Y, sample_weight)
    numeric = _numeric_gradient(lambda: loss(Z, Y, sample_weight)[0], Z)
    assert _relative_error(numeric, dZ) < RTOL


def _check_network_gradients(net, n_features, loss, training, weighted, rng):
    """Central differences against backpropagation through a whole network and a loss, on 9 rows of 3 classes."""
    net.build(n_features, rng)
    net.params += rng.normal(scale=0.1, size=net.params.shape)
    X = rng.normal(size=(9, n_features))
    Y = np.eye(3)[rng.integers(0, 3, size=9)]
    sample_weight = rng.uniform(0.5, 2, size=9) if weighted else None

    def objective():
        return loss(net.forward(X, training=training, sample_weight=sample_weight), Y, sample_weight)[0]

    _, dZ = loss(net.forward(X, training=training, sample_weight=sample_weight), Y, sample_weight)
    dX = net.backward(dZ, need_input_grad=True).copy()
    analytic = net.grads.copy()
    assert _relative_error(_numeric_gradient(objective, net.params), analytic) < RTOL
    assert _relative_error(_numeric_gradient(objective, X), dX) < RTOL


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
    _check_network_gradients(net, 5, LOSSES["softmax_cross_entropy"](), training, weighted, rng)


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_accuracy_pieces_network_gradient_end_to_end(training, weighted, rng):
    """Embedding, front scale, an ensemble with batch norm, PReLU and dropout, and a smoothed loss together."""
    net = Sequential(
        [
            PeriodicEmbedding(n_frequencies=3, sigma=0.5, embedding_dim=2),
            FeatureScale(),
            BatchEnsembleDense(6, 2, first=True),
            BatchNorm(),
            ACTIVATIONS["prelu"](),
            FixedMaskDropout(0.3),
            BatchEnsembleDense(3, 2, init="glorot", average="softmax"),
        ]
    )
    _check_network_gradients(net, 4, LOSSES["softmax_cross_entropy"](label_smoothing=0.1), training, weighted, rng)
