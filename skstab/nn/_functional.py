"""Pure numpy kernels behind the layers and losses.

Every function here is stateless. Where a caller passes ``out``, the result is
written into that preallocated array so the training loop allocates nothing per
step; without ``out`` a new array is returned, which is what inference wants.
"""

import numpy as np

_GELU_C = np.sqrt(2.0 / np.pi)
_GELU_A = 0.044715


def dense_forward(X, W, b, out=None):
    """Affine map ``X @ W + b``."""
    out = np.matmul(X, W, out=out)
    out += b
    return out


def dense_backward(dY, X, W, dW, db, dX=None):
    """Fill ``dW`` and ``db`` in place and return ``dX`` (``None`` if not wanted).

    ``dX`` may be an array to write into, ``True`` to allocate one, or ``None``
    to skip the input gradient (the first layer never needs it).
    """
    np.matmul(X.T, dY, out=dW)
    np.sum(dY, axis=0, out=db)
    if dX is None:
        return None
    return np.matmul(dY, W.T, out=None if dX is True else dX)


# -- activations: each backward takes the forward *output* A (never the input),
# so a layer keeps one array per batch and the nonlinearity can run in place.


def relu_forward(Z, out=None):
    return np.maximum(Z, 0, out=out)


def relu_backward(dA, A, out=None):
    return np.multiply(dA, A > 0, out=out)


def tanh_forward(Z, out=None):
    return np.tanh(Z, out=out)


def tanh_backward(dA, A, out=None):
    out = np.multiply(A, A, out=out)
    np.subtract(1, out, out=out)
    out *= dA
    return out


def logistic_forward(Z, out=None):
    # 0.5 * (1 + tanh(z / 2)) is the logistic function without exp overflow.
    out = np.multiply(Z, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1
    out *= 0.5
    return out


def logistic_backward(dA, A, out=None):
    out = np.subtract(1, A, out=out)
    out *= A
    out *= dA
    return out


def identity_forward(Z, out=None):
    if out is None:
        return Z.copy()
    np.copyto(out, Z)
    return out


def identity_backward(dA, A, out=None):
    return identity_forward(dA, out=out)


def gelu_forward(Z):
    """GELU, tanh approximation; returns ``(A, tanh_term)`` for the backward pass."""
    inner = Z * Z
    inner *= _GELU_A
    inner += 1
    inner *= Z
    inner *= _GELU_C
    t = np.tanh(inner, out=inner)
    A = t + 1
    A *= Z
    A *= 0.5
    return A, t


def gelu_backward(dA, Z, t):
    # d/dz [0.5 z (1 + t)] = 0.5 (1 + t) + 0.5 z (1 - t^2) c (1 + 3 a z^2)
    dz_inner = Z * Z
    dz_inner *= 3 * _GELU_A
    dz_inner += 1
    dz_inner *= _GELU_C
    sech2 = 1 - t * t
    dz_inner *= sech2
    dz_inner *= Z
    dz_inner += 1 + t
    dz_inner *= 0.5
    dz_inner *= dA
    return dz_inner


# -- normalization: one kernel for batch, layer and group normalization. ``axis``
# is the axis the statistics run over; ``weights`` (only for batch norm) are
# per-row weights that sum to one along that axis.


def moments(X, axis, weights=None):
    """Mean and biased variance of ``X`` along ``axis``, kept as broadcastable dims."""
    if weights is None:
        mean = X.mean(axis=axis, keepdims=True)
        centred = X - mean
        var = np.mean(np.square(centred), axis=axis, keepdims=True)
    else:
        mean = np.sum(X * weights, axis=axis, keepdims=True)
        centred = X - mean
        var = np.sum(np.square(centred) * weights, axis=axis, keepdims=True)
    return mean, var, centred


def normalize_forward(centred, var, epsilon):
    """Return ``(X_hat, inv_std)`` from already-centred data and its variance."""
    inv_std = 1.0 / np.sqrt(var + epsilon)
    return centred * inv_std, inv_std


def normalize_backward(dX_hat, X_hat, inv_std, axis, weights=None):
    """Input gradient of ``X_hat = (X - mean) * inv_std`` with batch statistics.

    With weights ``p`` (summing to one along ``axis``) the statistics are the
    weighted mean and biased variance, and

    ``dX = inv_std * (dX_hat - p * sum(dX_hat) - p * X_hat * sum(dX_hat * X_hat))``.

    Unweighted, ``p = 1/n`` and the sums become means. With frozen statistics
    (inference mode) the gradient is simply ``inv_std * dX_hat``; callers handle
    that case themselves.
    """
    if weights is None:
        mean_d = dX_hat.mean(axis=axis, keepdims=True)
        mean_dx = np.mean(dX_hat * X_hat, axis=axis, keepdims=True)
        dX = dX_hat - mean_d
        dX -= X_hat * mean_dx
    else:
        sum_d = dX_hat.sum(axis=axis, keepdims=True)
        sum_dx = np.sum(dX_hat * X_hat, axis=axis, keepdims=True)
        dX = dX_hat - weights * (sum_d + X_hat * sum_dx)
    dX *= inv_std
    return dX


# -- output links and losses on raw network outputs ("logits").


def softmax(Z):
    P = Z - Z.max(axis=1, keepdims=True)
    np.exp(P, out=P)
    P /= P.sum(axis=1, keepdims=True)
    return P


def log_softmax(Z):
    shifted = Z - Z.max(axis=1, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return shifted


def sigmoid(Z):
    return logistic_forward(Z)


def log_sigmoid(Z):
    """``log(sigmoid(z)) = -softplus(-z)``, stable for large ``|z|``."""
    return -np.logaddexp(0, -Z)
