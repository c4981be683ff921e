"""Closed-form, reference and bookkeeping tests for the flat-buffer optimizers."""

import math
import pickle
import tracemalloc

import numpy as np
import pytest

from skstab.optim import SGD, Adam, AdamW, RMSProp

N_PARAMS = 7
N_STEPS = 6
RTOL = 1e-12


# --------------------------------------------------------------------------
# Helpers: a toy objective, and straightforward per-element references that
# share no code with the implementation.
# --------------------------------------------------------------------------


def _problem(seed=0, n=N_PARAMS, n_steps=N_STEPS):
    """Start point, noisy quadratic gradient function and a 0/1 decay mask."""
    rng = np.random.default_rng(seed)
    params = rng.standard_normal(n)
    target = rng.standard_normal(n)
    noise = rng.standard_normal((n_steps, n))
    mask = (np.arange(n) % 3 != 0).astype(float)

    def grad(p, k):
        return 0.7 * (np.asarray(p, dtype=float) - target) + noise[k]

    return params, grad, mask


def _run(opt, params, grad, n_steps=N_STEPS, lr=0.01, lrs=None):
    for k in range(n_steps):
        g = grad(params, k).astype(params.dtype)
        opt.step(params, g, lr=lr if lrs is None else lrs[k])
    return params


def _ref_sgd(p0, grad, lr, momentum, nesterov=False, wd=0.0, mask=None, n_steps=N_STEPS):
    p = [float(x) for x in p0]
    b = [0.0] * len(p)
    for k in range(n_steps):
        g = grad(p, k)
        for i in range(len(p)):
            w = 1.0 if mask is None else mask[i]
            gi = g[i] + wd * w * p[i]
            if momentum == 0.0:
                p[i] -= lr * gi
                continue
            b[i] = momentum * b[i] + gi
            p[i] -= lr * (gi + momentum * b[i]) if nesterov else lr * b[i]
    return np.array(p)


def _ref_adam(
    p0,
    grad,
    lrs,
    beta_1=0.9,
    beta_2=0.999,
    eps=1e-8,
    wd=0.0,
    mask=None,
    decoupled=False,
    warmup=0,
    beta_1_initial=0.5,
    naive_correction=False,
):
    p = [float(x) for x in p0]
    m = [0.0] * len(p)
    v = [0.0] * len(p)
    prod_1 = prod_2 = 1.0
    for k, lr in enumerate(lrs):
        t = k + 1
        b1 = beta_1
        if warmup and t <= warmup:
            b1 = beta_1_initial + (beta_1 - beta_1_initial) * (t - 1) / warmup
        prod_1 *= b1
        prod_2 *= beta_2
        c1 = 1.0 - (b1**t if naive_correction else prod_1)
        c2 = 1.0 - prod_2
        g = grad(p, k)
        for i in range(len(p)):
            w = 1.0 if mask is None else mask[i]
            gi = g[i]
            if decoupled:
                p[i] *= 1.0 - lr * wd * w
            else:
                gi += wd * w * p[i]
            m[i] = b1 * m[i] + (1.0 - b1) * gi
            v[i] = beta_2 * v[i] + (1.0 - beta_2) * gi * gi
            p[i] -= lr * (m[i] / c1) / (math.sqrt(v[i] / c2) + eps)
    return np.array(p)


def _ref_rmsprop(p0, grad, lr, alpha, eps, momentum=0.0, wd=0.0, mask=None, n_steps=N_STEPS):
    p = [float(x) for x in p0]
    v = [0.0] * len(p)
    b = [0.0] * len(p)
    for k in range(n_steps):
        g = grad(p, k)
        for i in range(len(p)):
            w = 1.0 if mask is None else mask[i]
            gi = g[i] + wd * w * p[i]
            v[i] = alpha * v[i] + (1.0 - alpha) * gi * gi
            normalized = gi / (math.sqrt(v[i]) + eps)
            if momentum > 0.0:
                b[i] = momentum * b[i] + normalized
                p[i] -= lr * b[i]
            else:
                p[i] -= lr * normalized
    return np.array(p)


def _all_optimizers(mask):
    """One configured instance of each optimizer, with every option exercised."""
    return {
        "sgd": SGD(momentum=0.8, weight_decay=0.1, decay_mask=mask),
        "sgd_nesterov": SGD(momentum=0.8, nesterov=True),
        "adam": Adam(weight_decay=0.1, decay_mask=mask, beta_1_warmup_steps=3),
        "adamw": AdamW(weight_decay=0.2, decay_mask=mask, beta_1_warmup_steps=2),
        "rmsprop": RMSProp(alpha=0.9, momentum=0.5, weight_decay=0.1, decay_mask=mask),
    }


OPTIMIZER_NAMES = ["sgd", "sgd_nesterov", "adam", "adamw", "rmsprop"]
#: The learning rate each configured optimizer is stepped with.
LR = {"sgd": 0.05, "sgd_nesterov": 0.05, "adam": 0.01, "adamw": 0.01, "rmsprop": 0.01}


def _make(name, mask):
    return _all_optimizers(mask)[name]


def _reference_for(name, p0, grad, mask):
    """float64 reference trajectory matching ``_all_optimizers``."""
    lrs = [0.01] * N_STEPS
    if name == "sgd":
        return _ref_sgd(p0, grad, 0.05, 0.8, wd=0.1, mask=mask)
    if name == "sgd_nesterov":
        return _ref_sgd(p0, grad, 0.05, 0.8, nesterov=True)
    if name == "adam":
        return _ref_adam(p0, grad, lrs, wd=0.1, mask=mask, warmup=3)
    if name == "adamw":
        return _ref_adam(p0, grad, lrs, wd=0.2, mask=mask, decoupled=True, warmup=2)
    return _ref_rmsprop(p0, grad, 0.01, 0.9, 1e-8, momentum=0.5, wd=0.1, mask=mask)


# --------------------------------------------------------------------------
# SGD
# --------------------------------------------------------------------------


def test_sgd_momentum_zero_is_exactly_plain_gradient_descent():
    params, grad, _ = _problem()
    expected = params.copy()
    opt = SGD(momentum=0.0)
    for k in range(N_STEPS):
        expected = expected - 0.1 * grad(expected, k)
        opt.step(params, grad(params, k), lr=0.1)
    np.testing.assert_array_equal(params, expected)
    assert "momentum_buffer" not in opt.state_dict()["state"]


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_one_step_from_hand_set_state(nesterov, rng):
    p0, g, b0 = rng.standard_normal((3, N_PARAMS))
    lr, mu = 0.05, 0.9
    opt = SGD(momentum=mu, nesterov=nesterov)
    state = opt.state_dict()
    state.update(t=3, state={"momentum_buffer": b0})
    opt.load_state_dict(state)

    params = p0.copy()
    opt.step(params, g, lr=lr)

    velocity = mu * b0 + g
    expected = p0 - lr * (g + mu * velocity) if nesterov else p0 - lr * velocity
    np.testing.assert_allclose(params, expected, rtol=RTOL)
    np.testing.assert_allclose(opt.state_dict()["state"]["momentum_buffer"], velocity, rtol=RTOL)
    assert opt.t == 4


@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("weight_decay", [0.0, 0.3])
def test_sgd_matches_reference(nesterov, weight_decay):
    params, grad, mask = _problem()
    expected = _ref_sgd(params, grad, 0.05, 0.9, nesterov, weight_decay, mask)
    opt = SGD(momentum=0.9, nesterov=nesterov, weight_decay=weight_decay, decay_mask=mask)
    np.testing.assert_allclose(_run(opt, params, grad, lr=0.05), expected, rtol=RTOL)


def test_nesterov_and_heavy_ball_differ():
    params, grad, _ = _problem()
    heavy = _run(SGD(momentum=0.9), params.copy(), grad, lr=0.05)
    nesterov = _run(SGD(momentum=0.9, nesterov=True), params.copy(), grad, lr=0.05)
    assert np.max(np.abs(heavy - nesterov)) > 1e-3


# --------------------------------------------------------------------------
# Adam and AdamW
# --------------------------------------------------------------------------


def test_adam_one_step_from_hand_set_state(rng):
    p0, g, m0 = rng.standard_normal((3, N_PARAMS))
    v0 = rng.uniform(0.1, 2.0, N_PARAMS)
    lr, b1, b2, eps, t0 = 0.01, 0.9, 0.999, 1e-8, 4
    opt = Adam(beta_1=b1, beta_2=b2, epsilon=eps)
    state = opt.state_dict()
    state.update(
        t=t0,
        state={"m": m0, "v": v0, "beta_1_product": b1**t0, "beta_2_product": b2**t0},
    )
    opt.load_state_dict(state)

    params = p0.copy()
    opt.step(params, g, lr=lr)

    m1 = b1 * m0 + (1 - b1) * g
    v1 = b2 * v0 + (1 - b2) * g**2
    m_hat = m1 / (1 - b1 ** (t0 + 1))
    v_hat = v1 / (1 - b2 ** (t0 + 1))
    np.testing.assert_allclose(params, p0 - lr * m_hat / (np.sqrt(v_hat) + eps), rtol=RTOL)
    saved = opt.state_dict()
    np.testing.assert_allclose(saved["state"]["m"], m1, rtol=RTOL)
    np.testing.assert_allclose(saved["state"]["v"], v1, rtol=RTOL)
    assert saved["t"] == t0 + 1


@pytest.mark.parametrize("weight_decay", [0.0, 0.3])
def test_adam_matches_reference_with_scheduled_lr(weight_decay):
    params, grad, mask = _problem()
    lrs = [0.02, 0.01, 0.03, 0.005, 0.01, 0.02]
    expected = _ref_adam(params, grad, lrs, wd=weight_decay, mask=mask)
    opt = Adam(weight_decay=weight_decay, decay_mask=mask)
    np.testing.assert_allclose(_run(opt, params, grad, lrs=lrs), expected, rtol=RTOL)


def test_adam_first_step_moves_each_parameter_by_lr():
    grads = np.array([3.0, -1e-3, 1e-9, 0.0, -250.0, 1e-7])
    params = np.zeros_like(grads)
    lr, eps = 0.01, 1e-8
    Adam(epsilon=eps).step(params, grads, lr=lr)
    np.testing.assert_allclose(np.abs(params), lr * np.abs(grads) / (np.abs(grads) + eps), rtol=RTOL, atol=0)
    assert np.all(np.sign(params) == -np.sign(grads))
    assert params[3] == 0.0


def test_adam_beta_1_warmup_ramp():
    opt = Adam(beta_1=0.9, beta_1_warmup_steps=4, beta_1_initial=0.5)
    ramp = [opt.beta_1_at(t) for t in range(1, 8)]
    np.testing.assert_allclose(ramp, [0.5, 0.6, 0.7, 0.8, 0.9, 0.9, 0.9], rtol=RTOL)
    assert Adam(beta_1=0.8).beta_1_at(1) == 0.8


def test_adam_beta_1_warmup_corrects_with_the_product():
    params, grad, _ = _problem()
    lrs = [0.01] * N_STEPS
    kwargs = dict(beta_1=0.9, beta_1_initial=0.5, warmup=4)
    expected = _ref_adam(params, grad, lrs, **kwargs)
    naive = _ref_adam(params, grad, lrs, naive_correction=True, **kwargs)

    opt = Adam(beta_1=0.9, beta_1_warmup_steps=4, beta_1_initial=0.5)
    result = _run(opt, params.copy(), grad)

    np.testing.assert_allclose(result, expected, rtol=RTOL)
    assert np.max(np.abs(result - naive)) > 1e-4
    product = 0.5 * 0.6 * 0.7 * 0.8 * 0.9 * 0.9
    assert opt.state_dict()["state"]["beta_1_product"] == pytest.approx(product, rel=RTOL)


def test_adam_constant_beta_1_product_is_the_power():
    params, grad, _ = _problem(n_steps=40)
    lrs = [0.01] * 40
    expected = _ref_adam(params, grad, lrs, naive_correction=True)
    opt = Adam()
    np.testing.assert_allclose(_run(opt, params, grad, n_steps=40), expected, rtol=1e-11)
    assert opt.state_dict()["state"]["beta_1_product"] == pytest.approx(0.9**40, rel=1e-13)
    assert opt.state_dict()["state"]["beta_2_product"] == pytest.approx(0.999**40, rel=1e-13)


def test_adamw_matches_reference():
    params, grad, mask = _problem()
    lrs = [0.02, 0.01, 0.03, 0.005, 0.01, 0.02]
    expected = _ref_adam(params, grad, lrs, wd=0.5, mask=mask, decoupled=True)
    opt = AdamW(weight_decay=0.5, decay_mask=mask)
    np.testing.assert_allclose(_run(opt, params, grad, lrs=lrs), expected, rtol=RTOL)


def test_adamw_zero_gradient_decays_only_masked_in_weights(rng):
    p0 = rng.standard_normal(N_PARAMS)
    mask = np.arange(N_PARAMS) % 2 == 0  # a bool mask is accepted
    lr, wd = 0.1, 0.3
    params = p0.copy()
    opt = AdamW(weight_decay=wd, decay_mask=mask)
    for k in range(3):
        opt.step(params, np.zeros(N_PARAMS), lr=lr)
        expected = np.where(mask, p0 * (1 - lr * wd) ** (k + 1), p0)
        np.testing.assert_allclose(params, expected, rtol=RTOL)
    np.testing.assert_array_equal(params[~mask], p0[~mask])


def test_adamw_without_mask_decays_everything(rng):
    p0 = rng.standard_normal(N_PARAMS)
    params = p0.copy()
    AdamW(weight_decay=0.3).step(params, np.zeros(N_PARAMS), lr=0.1)
    np.testing.assert_allclose(params, p0 * (1 - 0.03), rtol=RTOL)


def test_adamw_decay_is_decoupled_from_the_gradient(rng):
    """AdamW = shrink the weights, then a plain Adam step on the raw gradient."""
    p0, g = rng.standard_normal((2, N_PARAMS))
    g[2] = 1e3  # a large gradient does not change how much the weight decays
    mask = np.arange(N_PARAMS) % 3 != 0
    lr, wd = 0.01, 0.5

    decoupled = p0.copy()
    AdamW(weight_decay=wd, decay_mask=mask).step(decoupled, g, lr=lr)

    shrunk = p0 * np.where(mask, 1 - lr * wd, 1.0)
    Adam().step(shrunk, g, lr=lr)
    np.testing.assert_allclose(decoupled, shrunk, rtol=1e-15)

    coupled = p0.copy()
    Adam(weight_decay=wd, decay_mask=mask).step(coupled, g, lr=lr)
    assert np.max(np.abs(coupled - decoupled)) > 1e-4


# --------------------------------------------------------------------------
# RMSProp
# --------------------------------------------------------------------------


@pytest.mark.parametrize("momentum", [0.0, 0.6])
def test_rmsprop_one_step_from_hand_set_state(momentum, rng):
    p0, g, b0 = rng.standard_normal((3, N_PARAMS))
    v0 = rng.uniform(0.1, 2.0, N_PARAMS)
    lr, alpha, eps = 0.01, 0.95, 1e-8
    opt = RMSProp(alpha=alpha, epsilon=eps, momentum=momentum)
    state = opt.state_dict()
    state.update(t=5, state={"v": v0, "momentum_buffer": b0})
    opt.load_state_dict(state)

    params = p0.copy()
    opt.step(params, g, lr=lr)

    v1 = alpha * v0 + (1 - alpha) * g**2
    normalized = g / (np.sqrt(v1) + eps)
    step = momentum * b0 + normalized if momentum else normalized
    np.testing.assert_allclose(params, p0 - lr * step, rtol=RTOL)


@pytest.mark.parametrize("momentum", [0.0, 0.6])
@pytest.mark.parametrize("weight_decay", [0.0, 0.2])
def test_rmsprop_matches_reference(momentum, weight_decay):
    params, grad, mask = _problem()
    expected = _ref_rmsprop(params, grad, 0.01, 0.9, 1e-8, momentum, weight_decay, mask)
    opt = RMSProp(alpha=0.9, momentum=momentum, weight_decay=weight_decay, decay_mask=mask)
    np.testing.assert_allclose(_run(opt, params, grad), expected, rtol=RTOL)


# --------------------------------------------------------------------------
# Shared behaviour
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
def test_every_optimizer_matches_its_reference(name):
    params, grad, mask = _problem(seed=3)
    expected = _reference_for(name, params, grad, mask)
    np.testing.assert_allclose(_run(_make(name, mask), params, grad, lr=LR[name]), expected, rtol=RTOL)


@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
def test_grads_are_left_untouched(name):
    params, _, mask = _problem()
    grads = np.linspace(-1.0, 1.0, N_PARAMS)
    before = grads.copy()
    opt = _make(name, mask)
    for _ in range(3):
        opt.step(params, grads, lr=LR[name])
    np.testing.assert_array_equal(grads, before)


@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
def test_state_dict_round_trip_continues_identically(name):
    params, grad, mask = _problem(n_steps=2 * N_STEPS)
    original = _make(name, mask)
    _run(original, params, grad, n_steps=3, lr=LR[name])

    restored = type(original)()
    restored.load_state_dict(original.state_dict())
    assert repr(restored) == repr(original)
    assert restored.t == original.t == 3

    p_original, p_restored = params.copy(), params.copy()
    for k in range(3, 9):
        original.step(p_original, grad(p_original, k), lr=LR[name])
        restored.step(p_restored, grad(p_restored, k), lr=LR[name])
    np.testing.assert_array_equal(p_restored, p_original)


@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
def test_state_dict_holds_copies(name):
    params, grad, mask = _problem()
    opt = _make(name, mask)
    _run(opt, params, grad, n_steps=2, lr=LR[name])
    state = opt.state_dict()
    for value in state["state"].values():
        if isinstance(value, np.ndarray):
            value += 1.0
    if state["hyperparameters"]["decay_mask"] is not None:
        state["hyperparameters"]["decay_mask"][:] = 0.0
    fresh = opt.state_dict()
    for key, value in fresh["state"].items():
        if isinstance(value, np.ndarray):
            assert not np.array_equal(value, state["state"][key])
    if opt.decay_mask is not None:
        np.testing.assert_array_equal(fresh["hyperparameters"]["decay_mask"], mask)


@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
def test_pickle_mid_training_continues_identically(name):
    params, grad, mask = _problem(n_steps=2 * N_STEPS)
    original = _make(name, mask)
    _run(original, params, grad, n_steps=3, lr=LR[name])
    clone = pickle.loads(pickle.dumps(original))
    assert clone.t == 3

    p_original, p_clone = params.copy(), params.copy()
    for k in range(3, 9):
        original.step(p_original, grad(p_original, k), lr=LR[name])
        clone.step(p_clone, grad(p_clone, k), lr=LR[name])
    np.testing.assert_array_equal(p_clone, p_original)


@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
def test_float32_stays_float32_and_tracks_float64(name):
    params, grad, mask = _problem(seed=5)
    expected = _reference_for(name, params, grad, mask)
    params32 = params.astype(np.float32)
    opt = _make(name, mask.astype(np.float32))
    _run(opt, params32, grad, lr=LR[name])
    assert params32.dtype == np.float32
    for value in opt.state_dict()["state"].values():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32
    # float32 rounding (eps 6e-8) accumulated over a few steps.
    np.testing.assert_allclose(params32, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_steps_allocate_no_arrays(name, dtype):
    n = 100_000
    rng = np.random.default_rng(1)
    params = rng.standard_normal(n).astype(dtype)
    grads = rng.standard_normal(n).astype(dtype)
    mask = np.arange(n) % 4 != 0
    opt = _make(name, mask)
    opt.step(params, grads, lr=0.01)  # the first step allocates the state
    buffers = {key: id(value) for key, value in opt._buffers.items()}
    work = {key: id(value) for key, value in opt._work.items()}

    tracemalloc.start()
    try:
        for _ in range(3):
            opt.step(params, grads, lr=0.01)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < params.nbytes / 100
    assert {key: id(value) for key, value in opt._buffers.items()} == buffers
    assert {key: id(value) for key, value in opt._work.items()} == work


@pytest.mark.parametrize(
    "factory, match",
    [
        (lambda: SGD().step(np.zeros(2), np.zeros(2), lr=-0.1), "Invalid lr: -0.1"),
        (lambda: SGD().step(np.zeros(2), np.zeros(2), lr=float("nan")), "Invalid lr: nan"),
        (lambda: SGD(momentum=1.0), "Invalid momentum: 1.0"),
        (lambda: SGD(momentum=-0.5), "Invalid momentum: -0.5"),
        (lambda: SGD(momentum=0.0, nesterov=True), "Invalid nesterov: True"),
        (lambda: SGD(weight_decay=-1e-4), "Invalid weight_decay: -0.0001"),
        (lambda: Adam(beta_1=1.0), "Invalid beta_1: 1.0"),
        (lambda: Adam(beta_1=-0.1), "Invalid beta_1: -0.1"),
        (lambda: Adam(beta_2=1.5), "Invalid beta_2: 1.5"),
        (lambda: Adam(epsilon=0.0), "Invalid epsilon: 0.0"),
        (lambda: Adam(epsilon=-1e-8), "Invalid epsilon: -1e-08"),
        (lambda: Adam(beta_1_warmup_steps=-1), "Invalid beta_1_warmup_steps: -1"),
        (lambda: Adam(beta_1_initial=1.0), "Invalid beta_1_initial: 1.0"),
        (lambda: AdamW(weight_decay=-0.01), "Invalid weight_decay: -0.01"),
        (lambda: AdamW().step(np.zeros(2), np.zeros(2), lr=float("inf")), "Invalid lr: inf"),
        (lambda: RMSProp(alpha=1.0), "Invalid alpha: 1.0"),
        (lambda: RMSProp(epsilon=0.0), "Invalid epsilon: 0.0"),
        (lambda: RMSProp(momentum=1.2), "Invalid momentum: 1.2"),
        (lambda: AdamW(decay_mask=[[1.0, 0.0]]), "Invalid decay_mask"),
        (lambda: AdamW(decay_mask=[1.0, -1.0]), "Invalid decay_mask"),
        (lambda: AdamW(decay_mask=[1.0, np.nan]), "Invalid decay_mask"),
    ],
)
def test_invalid_hyperparameters_raise_value_error(factory, match):
    with pytest.raises(ValueError, match=match):
        factory()


@pytest.mark.parametrize(
    "factory, match",
    [
        (lambda: SGD().step(np.zeros(2), np.zeros(2), lr="0.1"), "Invalid lr: '0.1'"),
        (lambda: SGD(nesterov=1), "Invalid nesterov: 1"),
        (lambda: Adam(beta_1_warmup_steps=2.5), "Invalid beta_1_warmup_steps: 2.5"),
        (lambda: AdamW(decay_mask=["a", "b"]), "Invalid decay_mask"),
    ],
)
def test_wrongly_typed_hyperparameters_raise_type_error(factory, match):
    with pytest.raises(TypeError, match=match):
        factory()


def test_invalid_step_lr_raises():
    with pytest.raises(ValueError, match="Invalid lr: -1.0"):
        Adam().step(np.zeros(3), np.zeros(3), lr=-1.0)


def test_decay_mask_length_is_checked_at_the_first_step():
    opt = AdamW(decay_mask=np.ones(4))
    with pytest.raises(ValueError, match="decay_mask has 4 entries but params has 3"):
        opt.step(np.zeros(3), np.zeros(3), lr=0.01)
    assert opt.t == 0


@pytest.mark.parametrize(
    "params, grads, match",
    [
        (np.zeros((2, 2)), np.zeros((2, 2)), "params must be a 1-D"),
        (np.zeros(3, dtype=np.int64), np.zeros(3, dtype=np.int64), "params must be a 1-D"),
        ([0.0, 0.0], np.zeros(2), "params must be a 1-D"),
        (np.zeros(3), np.zeros(4), "grads must be an ndarray with the shape"),
        (np.zeros(3), np.zeros(3, dtype=np.float32), "grads must be an ndarray with the shape"),
    ],
)
def test_bad_buffers_raise(params, grads, match):
    with pytest.raises(ValueError, match=match):
        SGD().step(params, grads, lr=0.01)


def test_layout_is_fixed_after_the_first_step():
    opt = Adam()
    opt.step(np.zeros(3), np.ones(3), lr=0.01)
    with pytest.raises(ValueError, match="allocated for 3 float64 parameters, got 4"):
        opt.step(np.zeros(4), np.ones(4), lr=0.01)
    with pytest.raises(ValueError, match="got 3 float32"):
        opt.step(np.zeros(3, np.float32), np.ones(3, np.float32), lr=0.01)


def test_load_state_dict_rejects_other_optimizers_and_bad_state():
    with pytest.raises(ValueError, match="Cannot load a 'Adam' state into AdamW"):
        AdamW().load_state_dict(Adam().state_dict())
    state = SGD().state_dict()
    state["state"] = {"m": np.zeros(3)}
    with pytest.raises(ValueError, match=r"Unknown optimizer state \['m'\]"):
        SGD().load_state_dict(state)
    state = Adam().state_dict()
    state["hyperparameters"]["beta_2"] = 1.0
    with pytest.raises(ValueError, match="Invalid beta_2: 1.0"):
        Adam().load_state_dict(state)


def test_loaded_state_of_the_wrong_length_fails_at_the_next_step():
    opt = SGD()
    opt.step(np.zeros(3), np.ones(3), lr=0.01)
    other = SGD()
    other.load_state_dict(opt.state_dict())
    with pytest.raises(ValueError, match="'momentum_buffer' has shape"):
        other.step(np.zeros(5), np.ones(5), lr=0.01)


def test_repr_lists_hyperparameters():
    text = repr(AdamW(decay_mask=np.ones(5)))
    assert text.startswith("AdamW(beta_1=0.9, beta_2=0.999, epsilon=1e-08")
    assert "weight_decay=0.01" in text
    assert "decay_mask=<array of 5 float64>" in text
