"""numba kernels of the layers and losses whose numpy forms take many passes over a batch.

Imported only by an object whose ``accelerator`` is ``"numba"`` (see
:mod:`skstab.utils._accelerator`); importing this module imports numba.

* Batch normalization in training mode, optionally followed by a ReLU: the
  forward pass is three passes over the batch (mean, variance, output) where
  numpy makes eight, and the backward pass two (the sums that are gamma's and
  beta's gradients, then the input gradient) where numpy makes six, the ReLU's
  mask being applied on the fly.
* The losses with their gradient: one pass over the outputs.
* Dropout's mask and output in one pass, each value's keep-or-drop decision
  hashed from its position and a per-batch key (:func:`dropout_forward`)
  instead of drawn from numpy's generator, which took four fifths of numpy's
  dropout pass.

The numpy kernels of :mod:`skstab.nn._functional` and the numpy losses are the
reference; these compute the same formulas with float64 accumulators and agree
with them to the rounding of the arrays' dtype. ``weights`` is an empty array
when ``has_weights`` is false; per-row weights otherwise sum to one.
"""

import math

import numpy as np
from numba import njit

_JIT = {"cache": True, "nogil": True, "error_model": "numpy"}


@njit(**_JIT)
def batch_norm_forward(X, weights, has_weights, gamma, beta, epsilon, relu, X_hat, Y, mean, var, inv_std):
    """Fill ``mean``, ``var`` (biased), ``inv_std``, ``X_hat`` and ``Y = [relu](X_hat * gamma + beta)``."""
    n, d = X.shape
    total = np.zeros(d)
    for i in range(n):
        wi = weights[i] if has_weights else 1.0
        for j in range(d):
            total[j] += wi * X[i, j]
    scale = 1.0 if has_weights else 1.0 / n
    for j in range(d):
        total[j] *= scale
    squares = np.zeros(d)
    for i in range(n):
        wi = weights[i] if has_weights else 1.0
        for j in range(d):
            c = X[i, j] - total[j]
            squares[j] += wi * (c * c)
    for j in range(d):
        v = squares[j] * scale
        mean[j] = total[j]
        var[j] = v
        inv_std[j] = 1.0 / math.sqrt(v + epsilon)
    for i in range(n):
        for j in range(d):
            x_hat = (X[i, j] - total[j]) * inv_std[j]
            X_hat[i, j] = x_hat
            y = x_hat * gamma[j] + beta[j]
            if relu and not y > 0.0:
                y = 0.0
            Y[i, j] = y


@njit(**_JIT)
def batch_norm_backward(dY, X_hat, Y, relu, weights, has_weights, gamma, inv_std, dgamma, dbeta, dX, need_input_grad):
    """Fill ``dgamma`` and ``dbeta`` and, if asked, ``dX``; with ``relu``, ``dY`` is the ReLU's output gradient."""
    n, d = dY.shape
    sum_d = np.zeros(d)
    sum_dx = np.zeros(d)
    for i in range(n):
        for j in range(d):
            g = dY[i, j]
            if relu and not Y[i, j] > 0.0:
                g = 0.0
            sum_d[j] += g
            sum_dx[j] += g * X_hat[i, j]
    for j in range(d):
        dgamma[j] = sum_dx[j]
        dbeta[j] = sum_d[j]
    if not need_input_grad:
        return
    p = 1.0 / n
    for i in range(n):
        if has_weights:
            p = weights[i]
        for j in range(d):
            g = dY[i, j]
            if relu and not Y[i, j] > 0.0:
                g = 0.0
            dX[i, j] = (inv_std[j] * gamma[j]) * (g - p * (sum_d[j] + X_hat[i, j] * sum_dx[j]))


#: fmix32's multipliers (MurmurHash3's finalizer), the 32-bit golden ratio that spreads positions apart, and
#: the shifts, all unsigned 64-bit so that numba keeps the arithmetic in integers (mixed with signed ones it
#: would compute in float64).
_MIX_1, _MIX_2, _GOLDEN = np.uint64(0x85EBCA6B), np.uint64(0xC2B2AE35), np.uint64(0x9E3779B9)
_LOW_32 = np.uint64(0xFFFFFFFF)
_SHIFT_13, _SHIFT_16 = np.uint64(13), np.uint64(16)


@njit(**_JIT)
def _fmix32(x):
    x ^= x >> _SHIFT_16
    x = (x * _MIX_1) & _LOW_32
    x ^= x >> _SHIFT_13
    x = (x * _MIX_2) & _LOW_32
    return x ^ (x >> _SHIFT_16)


@njit(**_JIT)
def dropout_forward(X, key_low, key_high, threshold, scale, mask, Y):
    """Fill ``mask`` (``scale`` where kept, 0 where dropped) and ``Y = X * mask``.

    The value at flat position ``p`` is dropped when
    ``fmix32(fmix32(p * golden + key_low) ^ key_high)`` is below
    ``threshold``, the rate as a fraction of 2**32. A fresh key per batch
    (two 32-bit halves, unsigned 64-bit integers like ``threshold``) gives
    independent masks, and no state is kept between calls.
    """
    n, d = X.shape
    for i in range(n):
        for j in range(d):
            position = np.uint64(i * d + j)
            x = _fmix32(_fmix32((position * _GOLDEN + key_low) & _LOW_32) ^ key_high)
            mask[i, j] = scale if x >= threshold else 0.0
            Y[i, j] = X[i, j] * mask[i, j]


@njit(**_JIT)
def squared_error(Z, Y, weights, has_weights, uniform, smoothing, dZ):
    """Weighted mean of ``1/2 ||z - y||^2`` per row; ``dZ`` receives its gradient. ``smoothing`` is unused."""
    n, k = Z.shape
    loss = 0.0
    for i in range(n):
        wi = weights[i] if has_weights else uniform
        row = 0.0
        for j in range(k):
            diff = Z[i, j] - Y[i, j]
            row += diff * diff
            dZ[i, j] = diff * wi
        loss += wi * (0.5 * row)
    return loss


@njit(**_JIT)
def softmax_cross_entropy(Z, Y, weights, has_weights, uniform, smoothing, dZ):
    """Weighted mean log loss of ``softmax(z)`` against ``y`` smoothed by ``smoothing``; ``dZ`` its gradient."""
    n, k = Z.shape
    keep = 1.0 - smoothing
    spread = smoothing / k
    loss = 0.0
    for i in range(n):
        wi = weights[i] if has_weights else uniform
        top = Z[i, 0]
        for j in range(1, k):
            if Z[i, j] > top:
                top = Z[i, j]
        total = 0.0
        for j in range(k):
            e = math.exp(Z[i, j] - top)
            dZ[i, j] = e
            total += e
        y_sum = 0.0
        y_dot = 0.0
        for j in range(k):
            y = Y[i, j] * keep + spread
            y_sum += y
            y_dot += y * (Z[i, j] - top)
            dZ[i, j] = (dZ[i, j] / total - y) * wi
        loss += wi * (math.log(total) * y_sum - y_dot)
    return loss


@njit(**_JIT)
def sigmoid_cross_entropy(Z, Y, weights, has_weights, uniform, smoothing, dZ):
    """Weighted mean of the binary log losses of ``sigmoid(z)``, summed over outputs; ``dZ`` its gradient."""
    n, k = Z.shape
    keep = 1.0 - smoothing
    spread = smoothing / 2.0
    loss = 0.0
    for i in range(n):
        wi = weights[i] if has_weights else uniform
        row = 0.0
        for j in range(k):
            z = Z[i, j]
            y = Y[i, j] * keep + spread
            # softplus(z) - y z, finite for any z; sigmoid as 0.5 (1 + tanh(z / 2)), as numpy computes it.
            row += max(z, 0.0) + math.log1p(math.exp(-abs(z))) - y * z
            dZ[i, j] = (0.5 * (1.0 + math.tanh(0.5 * z)) - y) * wi
        loss += wi * row
    return loss
