"""The numba kernels (``accelerator="numba"``) against the numpy reference, kernel by kernel and whole fits."""

import pickle

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression

from skstab import StabilizedMLPClassifier, StabilizedMLPRegressor, nn, optim
from skstab.neural_network import _builders
from skstab.neural_network._builders import choose_accelerator, first_layer_inputs
from skstab.utils import _accelerator

pytest.importorskip("numba")
# The fits are a few epochs long on purpose: what they learn is not the point.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

#: Agreement of the two paths: float32 rounding (a few ulps of values near 1), or float64's.
TOLERANCE = {np.float32: {"rtol": 2e-5, "atol": 2e-6}, np.float64: {"rtol": 1e-12, "atol": 1e-12}}
DTYPES = [np.float32, np.float64]
N_PARAMS = 301

OPTIMIZERS = {
    "adam": (optim.Adam, {}),
    "adam l2": (optim.Adam, {"weight_decay": 0.1}),
    "adam beta_1 warmup": (optim.Adam, {"beta_1_warmup_steps": 3}),
    "adamw": (optim.AdamW, {"weight_decay": 0.1}),
    "sgd": (optim.SGD, {"momentum": 0.0, "weight_decay": 0.1}),
    "sgd momentum": (optim.SGD, {"momentum": 0.9}),
    "sgd nesterov": (optim.SGD, {"momentum": 0.9, "nesterov": True, "weight_decay": 0.05}),
    "rmsprop": (optim.RMSProp, {"weight_decay": 0.1}),
    "rmsprop momentum": (optim.RMSProp, {"momentum": 0.5}),
}


def _per_parameter(kind, rng):
    if kind == "mask":
        return np.r_[np.ones(200), np.zeros(N_PARAMS - 200)]
    if kind == "scattered mask":
        return (rng.random(N_PARAMS) > 0.5).astype(float)
    return rng.choice([0.1, 1.0, 6.0], size=N_PARAMS)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("extras", [(), ("mask",), ("scattered mask",), ("factors",), ("mask", "factors")])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_kernels_match_numpy_over_several_steps(name, extras, dtype):
    rng = np.random.default_rng(0)
    cls, kwargs = OPTIMIZERS[name]
    kwargs = dict(kwargs)
    for extra in extras:
        kwargs["lr_factors" if extra == "factors" else "decay_mask"] = _per_parameter(extra, rng)
    start = rng.standard_normal(N_PARAMS).astype(dtype)
    grads = [rng.standard_normal(N_PARAMS).astype(dtype) for _ in range(6)]
    results = {}
    for accelerator in ("numpy", "numba"):
        opt = cls(**kwargs, accelerator=accelerator)
        params = start.copy()
        for step, grad in enumerate(grads):
            opt.step(params, grad, lr=0.01 * (step + 1))
        results[accelerator] = params, opt.state_dict()
    (p_ref, state_ref), (p_fused, state_fused) = results["numpy"], results["numba"]
    np.testing.assert_allclose(p_fused, p_ref, **TOLERANCE[dtype])
    assert state_fused["state"].keys() == state_ref["state"].keys()
    for key, value in state_ref["state"].items():
        np.testing.assert_allclose(state_fused["state"][key], value, **TOLERANCE[dtype])


def test_optimizer_accelerator_round_trips_and_pickles():
    opt = optim.AdamW(accelerator="numba")
    params = np.ones(4)
    opt.step(params, np.ones(4), lr=0.1)
    clone = pickle.loads(pickle.dumps(opt))
    clone.step(params, np.ones(4), lr=0.1)
    assert clone.accelerator == "numba" and clone.state_dict()["hyperparameters"]["accelerator"] == "numba"
    with pytest.raises(ValueError, match="Invalid accelerator: 'gpu'"):
        optim.Adam(accelerator="gpu")


def _batch_norm_pair(accelerator, relu, dtype, width):
    layers = [nn.BatchNorm(momentum=0.8, accelerator=accelerator)]
    layers += [nn.ReLU()] if relu else [nn.Tanh()]
    net = nn.Sequential(layers)
    net.build(width, np.random.default_rng(0), dtype=dtype)
    net.params[:] = np.random.default_rng(1).standard_normal(net.params.size)
    return net


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("relu", [True, False])
def test_batch_norm_kernels_match_numpy(relu, weighted, dtype):
    rng = np.random.default_rng(2)
    n, width = 33, 7
    nets = {acc: _batch_norm_pair(acc, relu, dtype, width) for acc in ("numpy", "numba")}
    for _ in range(3):
        X = (rng.standard_normal((n, width)) * 3 + 1).astype(dtype)
        dY = rng.standard_normal((n, width)).astype(dtype)
        weights = rng.random(n) if weighted else None
        out = {}
        for acc, net in nets.items():
            Y = net.forward(X, training=True, sample_weight=weights).copy()
            dX = net.backward(dY, need_input_grad=True).copy()
            out[acc] = Y, dX, net.grads.copy(), net.layers[0].buffers["running_var"].copy()
        assert nets["numba"]._fused == ((0,) if relu else ())
        for ref, fused in zip(out["numpy"], out["numba"]):
            np.testing.assert_allclose(fused, ref, **TOLERANCE[dtype])
    # Inference is numpy for both and reads the same running statistics.
    np.testing.assert_allclose(nets["numba"].infer(X), nets["numpy"].infer(X), **TOLERANCE[dtype])


def _summed(dtype, reference):
    """Agreement of sums over rows and bins, relative to their scale; float64 is the strict check of the formulas."""
    scale = np.abs(reference).max()
    return {"rtol": 1e-12, "atol": 1e-12 * scale} if dtype is np.float64 else {"rtol": 1e-3, "atol": 3e-5 * scale}


def _encoded_pair(accelerator, members, dtype, edges):
    first = nn.BatchEnsembleDense(6, 3, first=True) if members else nn.Dense(6)
    net = nn.Sequential([nn.PiecewiseLinearEncoding(edges, accelerator=accelerator), first, nn.Tanh(), nn.Dense(2)])
    net.build(len(edges), np.random.default_rng(0), dtype=dtype)
    net.params[:] = np.random.default_rng(1).standard_normal(net.params.size)
    return net


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("members", [False, True], ids=["dense", "batch ensemble"])
def test_piecewise_linear_dense_kernels_match_numpy(members, dtype):
    rng = np.random.default_rng(4)
    # Ragged bins, a one-bin feature (never clipped) and values beyond both ends of every feature.
    edges = [np.sort(rng.standard_normal(m + 1)) for m in (5, 1, 16, 2)]
    nets = {acc: _encoded_pair(acc, members, dtype, edges) for acc in ("numpy", "numba")}
    for _ in range(3):
        X = (rng.standard_normal((37, 4)) * 2).astype(dtype)
        X[0] = [e[2] for e in edges[:1]] + [e[1] for e in edges[1:]]  # exactly on edges: bin below is full
        dY = rng.standard_normal((37 * (3 if members else 1), 2)).astype(dtype)
        out = {}
        for acc, net in nets.items():
            Y = net.forward(X, training=True).copy()
            net.backward(dY, need_input_grad=False)
            grads = net.grads.copy()
            net.forward(X, training=True)
            out[acc] = Y, grads, net.backward(dY, need_input_grad=True).copy()
        assert nets["numba"]._fused == (0,) and nets["numpy"]._fused == ()
        (Y_ref, grads_ref, dX_ref), (Y_fused, grads_fused, dX_fused) = out["numpy"], out["numba"]
        # float32 rounds the sums over bins and rows in another order than BLAS does.
        for fused, ref in ((Y_fused, Y_ref), (grads_fused, grads_ref)):
            np.testing.assert_allclose(fused, ref, **_summed(dtype, ref))
        # On an edge the encoding has a kink; off the edges both give its derivative.
        np.testing.assert_allclose(dX_fused[1:], dX_ref[1:], **_summed(dtype, dX_ref))
        for net in nets.values():
            net.params -= 0.1 * net.grads
    # Steps of 0.1 times gradients near 30 amplify float32's rounding: infer on the same parameters.
    nets["numba"].params[:] = nets["numpy"].params
    reference = nets["numpy"].infer(X)
    np.testing.assert_allclose(nets["numba"].infer(X), reference, **_summed(dtype, reference))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("members", [False, True], ids=["dense", "batch ensemble"])
def test_piecewise_linear_dense_inference_matches_numpy(members, dtype):
    rng = np.random.default_rng(5)
    edges = [np.sort(rng.standard_normal(m + 1)) for m in (5, 1, 16, 2)]
    nets = {}
    for acc in ("numpy", "numba"):
        first = nn.BatchEnsembleDense(6, 3, first=True) if members else nn.Dense(6)
        last = nn.BatchEnsembleDense(2, 3, average="softmax") if members else nn.Dense(2)
        layers = [nn.PiecewiseLinearEncoding(edges, accelerator=acc), first, nn.BatchNorm(), nn.ReLU(), last]
        nets[acc] = nn.Sequential(layers)
        nets[acc].build(4, np.random.default_rng(0), dtype=dtype)
        nets[acc].params[:] = np.random.default_rng(1).standard_normal(nets[acc].params.size)
        nets[acc].layers[2].set_running_statistics(np.full(6, 0.3), np.full(6, 2.0))
    for rows in (1, 37, 300):
        X = (rng.standard_normal((rows, 4)) * 2).astype(dtype)
        reference = nets["numpy"].infer(X)
        np.testing.assert_allclose(nets["numba"].infer(X), reference, **_summed(dtype, reference))
    encoding = nets["numba"].layers[0]
    tables = encoding._derivations["tables"][1]
    nets["numba"].infer(X)
    assert encoding._derivations["tables"][1] is tables  # summed once per parameter state
    for net in nets.values():
        net.params *= 0.5  # in place, as an optimizer step does: the sums follow
    reference = nets["numpy"].infer(X)
    np.testing.assert_allclose(nets["numba"].infer(X), reference, **_summed(dtype, reference))
    assert encoding._derivations["tables"][1] is not tables


LOSSES = {
    "squared_error": lambda acc: nn.SquaredError(accelerator=acc),
    "softmax": lambda acc: nn.SoftmaxCrossEntropy(accelerator=acc),
    "softmax smoothed": lambda acc: nn.SoftmaxCrossEntropy(label_smoothing=0.1, accelerator=acc),
    "sigmoid": lambda acc: nn.SigmoidCrossEntropy(accelerator=acc),
    "sigmoid smoothed": lambda acc: nn.SigmoidCrossEntropy(label_smoothing=0.2, accelerator=acc),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("name", LOSSES)
def test_loss_kernels_match_numpy(name, weighted, dtype):
    rng = np.random.default_rng(3)
    Z = (rng.standard_normal((40, 4)) * 5).astype(dtype)
    Y = np.eye(4, dtype=dtype)[rng.integers(0, 4, 40)]
    if name.startswith("squared"):
        Y = rng.standard_normal((40, 4)).astype(dtype)
    weights = rng.random(40) if weighted else None
    loss_ref, dZ_ref = LOSSES[name]("numpy")(Z, Y, weights)
    loss_fused, dZ_fused = LOSSES[name]("numba")(Z, Y, weights)
    np.testing.assert_allclose(loss_fused, loss_ref, **TOLERANCE[dtype])
    np.testing.assert_allclose(dZ_fused, dZ_ref, **TOLERANCE[dtype])
    assert dZ_fused.dtype == dtype


@pytest.mark.parametrize("embedding", [None, "piecewise_linear"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("Estimator", [StabilizedMLPClassifier, StabilizedMLPRegressor])
def test_fits_with_each_accelerator_agree(Estimator, dtype, embedding):
    if Estimator is StabilizedMLPClassifier:
        X, y = make_classification(n_samples=120, n_features=6, n_informative=4, n_classes=3, random_state=0)
    else:
        X, y = make_regression(n_samples=120, n_features=6, noise=1.0, random_state=0)
    params = {"hidden_layer_sizes": (16, 16), "max_iter": 3, "random_state": 0, "compute_dtype": dtype}
    params["numerical_embedding"] = embedding
    fits = {acc: Estimator(**params, accelerator=acc).fit(X, y) for acc in ("numpy", "numba")}
    assert fits["numba"].accelerator_ == "numba" and fits["numpy"].accelerator_ == "numpy"
    predict = "predict_proba" if Estimator is StabilizedMLPClassifier else "predict"
    ref, fused = (getattr(fits[acc], predict)(X) for acc in ("numpy", "numba"))
    tolerance = {"rtol": 1e-4, "atol": 1e-5} if dtype == "float32" else {"rtol": 1e-9, "atol": 1e-10}
    np.testing.assert_allclose(fused, ref, **tolerance)


def test_auto_uses_numba_only_for_large_fits(monkeypatch):
    X, y = make_classification(n_samples=60, n_features=5, random_state=0)
    small = StabilizedMLPClassifier((8,), max_iter=2, random_state=0).fit(X, y)
    assert small.accelerator_ == "numpy"
    monkeypatch.setattr("skstab.neural_network._builders.NUMBA_MIN_WORK", 0)
    assert StabilizedMLPClassifier((8,), max_iter=2, random_state=0).fit(X, y).accelerator_ == "numba"


def test_numba_requested_without_numba_says_how_to_install(monkeypatch):
    monkeypatch.setattr(_accelerator, "numba_available", lambda: False)
    X, y = make_classification(n_samples=40, n_features=4, random_state=0)
    with pytest.raises(ImportError, match=r"skstab\[fast\]"):
        StabilizedMLPClassifier((4,), max_iter=1, accelerator="numba").fit(X, y)
    # "auto" falls back to numpy.
    assert StabilizedMLPClassifier((4,), max_iter=1, accelerator="auto").fit(X, y).accelerator_ == "numpy"


def test_auto_counts_the_encoded_inputs_and_every_member(monkeypatch):
    monkeypatch.setattr(_builders, "numba_available", lambda: True)
    params = {"accelerator": "auto", "hidden_layer_sizes": (100,), "n_ensemble": 1, "batch_size": 128, "max_iter": 50}
    n_train = 10_000  # 79 batches of 128 rows (the last of 16), 50 epochs: 3,950 updates
    # 20 raw inputs, one network: (21 * 100 + 101) * 3,950 = 8.7e6
    assert choose_accelerator(params, 20, 1, n_train) == "numpy"
    # The same 20 features encoded into 16 bins each, four members: (321 * 100 + 101) * 4 * 3,950 = 5.09e8
    edges = [np.linspace(0.0, 1.0, 17)] * 20
    assert first_layer_inputs(20, edges) == 320
    assert choose_accelerator({**params, "n_ensemble": 4}, first_layer_inputs(20, edges), 1, n_train) == "auto"
    assert choose_accelerator({**params, "n_ensemble": 4, "accelerator": "numpy"}, 320, 1, n_train) == "numpy"
