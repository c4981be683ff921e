"""numba kernels of the optimizer steps: one pass over the flat buffers per step.

Imported only by an optimizer whose ``accelerator`` is ``"numba"`` (see
:mod:`skstab.utils._accelerator`); importing this module imports numba. Each
kernel reads every parameter, gradient and state entry once and writes the
parameter and state entries once, where the numpy update rules of
:mod:`skstab.optim._optimizers` make a dozen passes. The numpy rules are the
reference: the kernels compute the same formulas, with scalars in float64, so
they agree with them to the rounding of the buffers' dtype.

``mask`` and ``factors`` are per-parameter arrays, all ones when the
optimizer has none: the loops then have no branch and compile to SIMD code,
which more than pays for reading two more arrays. Likewise a zero ``l2`` or
``decoupled`` is applied rather than tested (adding ``0 * p`` and multiplying
by ``1`` change no finite value). ``cache=True``
compiles each kernel once per dtype and keeps the machine code next to this
module, so only the first use after an install pays the compilation.
"""

import math

from numba import njit

_JIT = {"cache": True, "nogil": True, "error_model": "numpy"}


@njit(**_JIT)
def adam_step(p, g, m, v, mask, factors, beta_1, beta_2, eps_hat, step_scale, l2, decoupled):
    """Adam (``l2``: classic decay added to the gradient) or AdamW (``decoupled``: ``lr * weight_decay``).

    ``eps_hat = epsilon * sqrt(1 - beta_2^t)`` and ``step_scale = lr * sqrt(1 -
    beta_2^t) / (1 - prod beta_1)`` fold both bias corrections into scalars, as
    the numpy rule does.
    """
    one_minus_b1 = 1.0 - beta_1
    one_minus_b2 = 1.0 - beta_2
    for i in range(p.shape[0]):
        mi = mask[i]
        fi = factors[i]
        pi = p[i]
        gi = g[i] + l2 * mi * pi
        pi = pi * (1.0 - decoupled * mi * fi)
        mm = beta_1 * m[i] + one_minus_b1 * gi
        vv = beta_2 * v[i] + one_minus_b2 * (gi * gi)
        m[i] = mm
        v[i] = vv
        p[i] = pi - fi * (step_scale * (mm / (math.sqrt(vv) + eps_hat)))


@njit(**_JIT)
def sgd_step(p, g, velocity, mask, factors, has_mask, has_factors, l2, lr, mu, nesterov):
    """SGD with heavy-ball (``mu > 0``) or Nesterov momentum; ``velocity`` is empty when ``mu == 0``."""
    for i in range(p.shape[0]):
        mi = mask[i] if has_mask else 1.0
        fi = factors[i] if has_factors else 1.0
        gi = g[i]
        if l2 != 0.0:
            gi = gi + l2 * mi * p[i]
        if mu == 0.0:
            delta = gi * lr
        else:
            b = mu * velocity[i] + gi
            velocity[i] = b
            delta = (mu * b + gi) * lr if nesterov else b * lr
        p[i] = p[i] - fi * delta


@njit(**_JIT)
def rmsprop_step(p, g, v, velocity, mask, factors, has_mask, has_factors, l2, lr, alpha, epsilon, mu):
    """RMSProp, PyTorch's non-centred convention; ``velocity`` is empty when ``mu == 0``."""
    one_minus_alpha = 1.0 - alpha
    for i in range(p.shape[0]):
        mi = mask[i] if has_mask else 1.0
        fi = factors[i] if has_factors else 1.0
        gi = g[i]
        if l2 != 0.0:
            gi = gi + l2 * mi * p[i]
        vv = alpha * v[i] + one_minus_alpha * (gi * gi)
        v[i] = vv
        u = gi / (math.sqrt(vv) + epsilon)
        if mu > 0.0:
            u = mu * velocity[i] + u
            velocity[i] = u
        p[i] = p[i] - fi * (u * lr)
