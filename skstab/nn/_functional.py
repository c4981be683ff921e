"""Pure numpy kernels behind the layers and losses.

Every function here is stateless. Where a caller passes ``out``, the result is
written into that preallocated array so the training loop allocates nothing per
step; without ``out`` a new array is returned, which is what inference wants.
"""

import numpy as np

_GELU_C = np.sqrt(2.0 / np.pi)
_GELU_A = 0.044715


def dense_forward(X, W, b, out=None):
    """Affine map ``X @ W + b``.

    ``X`` may also be a scipy sparse matrix: it is only ever used through the
    ``@`` operator, so this module needs no scipy import.
    """
    if isinstance(X, np.ndarray):
        out = np.matmul(X, W, out=out)
    elif out is None:
        out = X @ W
    else:
        out[...] = X @ W
    out += b
    return out


def dense_backward(dY, X, W, dW, db, dX=None):
    """Fill ``dW`` and ``db`` in place and return ``dX`` (``None`` if not wanted).

    ``dX`` may be an array to write into, ``True`` to allocate one, or ``None``
    to skip the input gradient (the first layer never needs it). ``X`` may be
    sparse, as in :func:`dense_forward`.
    """
    if isinstance(X, np.ndarray):
        np.matmul(X.T, dY, out=dW)
    else:
        dW[...] = X.T @ dY
    np.sum(dY, axis=0, out=db)
    if dX is None:
        return None
    return input_gradient(dY, W, out=None if dX is True else dX)


def input_gradient(dY, W, out=None):
    """``dY @ W.T``, the input gradient of a product with ``W``.

    With one output unit it is an outer product, computed as a broadcast
    multiply: the same values (each is one product), where numpy's matmul
    takes a path without BLAS for an inner dimension of 1 (115 against 20
    microseconds for 512 x 100 float32 values).
    """
    if W.shape[1] == 1:
        return np.multiply(dY, W.T, out=out)
    return np.matmul(dY, W.T, out=out)


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
# per-row weights that sum to one along that axis; ``out`` arrays are
# preallocated workspaces of the input's shape.


def moments(X, axis, weights=None, out=None):
    """Mean, biased variance and centred data of ``X`` along ``axis``.

    Returns ``(mean, var, centred)`` with ``mean`` and ``var`` keeping the
    reduced axis (so they broadcast), and ``centred`` written into ``out``.
    """
    if weights is None:
        scale = 1.0 / X.shape[axis]
        mean = np.add.reduce(X, axis=axis, keepdims=True)
        mean *= scale
    else:
        mean = np.add.reduce(X * weights, axis=axis, keepdims=True)
    centred = np.subtract(X, mean, out=out)
    squared = centred * centred
    if weights is None:
        var = np.add.reduce(squared, axis=axis, keepdims=True)
        var *= scale
    else:
        squared *= weights
        var = np.add.reduce(squared, axis=axis, keepdims=True)
    return mean, var, centred


def normalize_forward(centred, var, epsilon, out=None):
    """Return ``(X_hat, inv_std)`` from centred data and its variance."""
    inv_std = var + epsilon
    np.sqrt(inv_std, out=inv_std)
    np.reciprocal(inv_std, out=inv_std)
    return np.multiply(centred, inv_std, out=out), inv_std


def normalize_backward(dX_hat, X_hat, scale, axis, weights=None, sum_d=None, sum_dx=None, out=None):
    """Input gradient of ``X_hat = (X - mean) * inv_std`` with batch statistics.

    With weights ``p`` (summing to one along ``axis``; ``1/n`` without
    weights) for the mean and the biased variance,

    ``dX = scale * (dX_hat - p * (sum(dX_hat) + X_hat * sum(dX_hat * X_hat)))``

    where ``scale`` is ``inv_std``. A caller whose upstream gradient is
    ``dX_hat = dY * gamma`` with ``gamma`` constant along ``axis`` (batch
    normalization) may pass ``dY`` as ``dX_hat``, ``inv_std * gamma`` as
    ``scale`` and the two sums it already has for gamma's and beta's
    gradients, saving three passes over the batch. With frozen statistics
    (inference mode) the gradient is simply ``inv_std * dX_hat``; callers
    handle that case themselves.
    """
    if sum_d is None:
        sum_d = np.add.reduce(dX_hat, axis=axis, keepdims=True)
    if sum_dx is None:
        sum_dx = np.add.reduce(dX_hat * X_hat, axis=axis, keepdims=True)
    if weights is None:
        p = 1.0 / X_hat.shape[axis]
        out = np.multiply(X_hat, sum_dx * p, out=out)
        out += sum_d * p
    else:
        out = np.multiply(X_hat, sum_dx, out=out)
        out += sum_d
        out *= weights
    np.subtract(dX_hat, out, out=out)
    out *= scale
    return out


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


def column_moments(X, weights=None):
    """``(total weight, mean, summed squared deviations)`` of the columns of ``X``, in float64.

    With ``weights`` (shape (n_rows,)), rows count by their weight; chunks
    combine exactly with :func:`merge_column_moments`.
    """
    X = np.asarray(X, dtype=np.float64)
    if weights is None:
        total = float(X.shape[0])
        mean = X.mean(axis=0) if total else np.zeros(X.shape[1])
        deviation = X - mean
        return total, mean, np.einsum("ij,ij->j", deviation, deviation)
    weights = np.asarray(weights, dtype=np.float64)
    total = float(weights.sum())
    if total == 0.0:
        return 0.0, np.zeros(X.shape[1]), np.zeros(X.shape[1])
    mean = weights @ X / total
    deviation = X - mean
    return total, mean, weights @ (deviation * deviation)


def merge_column_moments(a, b):
    """Combine two :func:`column_moments` results as if computed on the stacked rows (Chan et al.)."""
    (n_a, mean_a, m2_a), (n_b, mean_b, m2_b) = a, b
    if n_b == 0.0:
        return a
    if n_a == 0.0:
        return b
    n = n_a + n_b
    delta = mean_b - mean_a
    return n, mean_a + delta * (n_b / n), m2_a + m2_b + delta * delta * (n_a * n_b / n)


# -- parametric ReLU: slope ``a`` per feature for negative inputs.


def prelu_forward(Z, a, out=None, positive=None):
    """``where(Z > 0, Z, a * Z)``; ``positive`` (bool, Z's shape) receives ``Z > 0`` for the backward pass."""
    positive = np.greater(Z, 0, out=positive)
    out = np.multiply(Z, a, out=out)
    np.copyto(out, Z, where=positive)
    return out, positive


def prelu_backward(dA, Z, a, positive, da, out=None):
    """Fill ``da`` (the slopes' gradient) in place and return ``dZ``."""
    out = np.multiply(dA, Z, out=out)
    np.copyto(out, 0, where=positive)
    np.add.reduce(out, axis=0, out=da)
    np.multiply(dA, a, out=out)
    np.copyto(out, dA, where=positive)
    return out


# -- periodic embedding of each feature, computed feature-major: (n_features, n_rows, ...)
# so that the per-feature maps are one batched matmul.

_TWO_PI = 2.0 * np.pi


def periodic_forward(X, w, b, L, c, out=None, phase=None, cosine=None):
    """Per feature ``j``: ``[x_j, cos(2 pi w_j x_j + b_j) @ L_j + c_j]``, rows of shape (n, d * (1 + m)).

    ``X`` is (n, d), ``w`` and ``b`` are (d, k), ``L`` is (d, k, m) and ``c`` is
    (d, m). Returns ``(Y, phase, cosine)``: the phases ``2 pi w x + b`` and their
    cosines, both (d, n, k), are what :func:`periodic_backward` needs.
    """
    n, d = X.shape
    m = L.shape[2]
    phase = np.multiply(X.T[:, :, None], w[:, None, :], out=phase)
    phase *= _TWO_PI
    phase += b[:, None, :]
    cosine = np.cos(phase, out=cosine)
    Y = np.empty((n, d, 1 + m), dtype=cosine.dtype) if out is None else out.reshape(n, d, 1 + m)
    Y[:, :, 0] = X
    embedded = np.matmul(cosine, L)
    embedded += c[:, None, :]
    Y[:, :, 1:] = embedded.transpose(1, 0, 2)
    return Y.reshape(n, d * (1 + m)), phase, cosine


def periodic_backward(dY, X, w, L, phase, cosine, dw, db, dL, dc, need_input_grad=True):
    """Fill ``dw``, ``db``, ``dL`` and ``dc`` in place; return ``dX`` (or ``None``).

    ``phase`` is overwritten (with the phases' gradient).
    """
    n, d = X.shape
    m = L.shape[2]
    dY = dY.reshape(n, d, 1 + m)
    dE = dY[:, :, 1:].transpose(1, 0, 2)  # (d, n, m)
    np.add.reduce(dE, axis=1, out=dc)
    np.matmul(cosine.transpose(0, 2, 1), dE, out=dL)
    dphase = np.sin(phase, out=phase)
    dphase *= np.matmul(dE, L.transpose(0, 2, 1))
    np.negative(dphase, out=dphase)
    np.add.reduce(dphase, axis=1, out=db)
    np.matmul(X.T[:, None, :], dphase, out=dw[:, None, :])
    dw *= _TWO_PI
    if not need_input_grad:
        return None
    dX = np.matmul(dphase, w[:, :, None])[:, :, 0].T
    dX *= _TWO_PI
    dX += dY[:, :, 0]
    return dX
