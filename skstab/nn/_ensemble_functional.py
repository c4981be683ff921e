"""Pure numpy kernels of the BatchEnsemble dense layer (:class:`~skstab.nn.BatchEnsembleDense`).

Members share ``W`` and differ by rank-1 multipliers,
``Y_i = ((X_i * r_i) @ W) * s_i + b_i``, their rows stacked member after
member. As in :mod:`skstab.nn._functional`, a caller passing ``out`` arrays
gets its results written into them, so a training step allocates nothing.
"""

import math

import numpy as np

from ._functional import input_gradient, log_sigmoid, log_softmax

#: Rows per member from which the backward pass of a first ensemble layer that needs no input gradient
#: computes each member's ``X.T @ dproduct_i`` once for ``dW`` and ``dr`` (one product instead of two):
#: at 4 members x 128 rows, 1,024 inputs and 100 units, float32, one thread, 1,855 against about 1,340
#: microseconds; at 64 rows even; at 32 rows on 1,024 inputs and 256 units 1.7 times slower, since its
#: three passes over the members' (inputs, units) gradients then outweigh the product saved.
ONE_PRODUCT_MIN_ROWS = 128


def one_product_backward(shared_input, need_input_grad, n_rows):
    """Whether :func:`batch_ensemble_backward` takes ``dW`` and ``dr`` from one product per member."""
    return shared_input and not need_input_grad and n_rows >= ONE_PRODUCT_MIN_ROWS


def batch_ensemble_forward(X, W, r, s, b, shared_input, out=None, scaled=None, product=None):
    """Return ``(Y, X * r, (X * r) @ W)``, each member's rows stacked in ``Y`` (shape (k * n, h)).

    ``X`` is (n, d) when every member sees the same rows (``shared_input``),
    else (k * n, d) with member ``i`` in rows ``i * n`` to ``(i + 1) * n``.
    """
    k = r.shape[0]
    X3 = X[None] if shared_input else X.reshape(k, -1, X.shape[1])
    scaled = np.multiply(X3, r[:, None, :], out=scaled)
    flat = scaled.reshape(-1, W.shape[0])
    product = np.matmul(flat, W, out=product)
    out = None if out is None else out.reshape(k, -1, W.shape[1])
    Y = np.multiply(product.reshape(k, -1, W.shape[1]), s[:, None, :], out=out)
    Y += b[:, None, :]
    return Y.reshape(-1, W.shape[1]), scaled, product


def batch_ensemble_backward(
    dY,
    X,
    W,
    r,
    s,
    scaled,
    product,
    dW,
    dr,
    ds,
    db,
    shared_input,
    need_input_grad=True,
    *,
    dproduct=None,
    dscaled=None,
    dX=None,
    member_grads=None,
):
    """Fill ``dW``, ``dr``, ``ds`` and ``db`` in place and return ``dX`` (or ``None``).

    ``dproduct`` (k * n, h), ``dscaled`` (k * n, d), ``dX`` (n, d) and
    ``member_grads`` (k, d, h) are optional arrays to write the intermediate
    gradients into; a training layer passes its workspaces, so that a step
    allocates nothing. ``dX`` is used only with a shared input: otherwise the
    input gradient is ``dscaled`` scaled in place, which is what is returned.

    With a shared input, no input gradient and at least
    :data:`ONE_PRODUCT_MIN_ROWS` rows, each member's ``X.T @ dproduct_i``
    (``member_grads``) gives both ``dW``, scaled by ``r_i`` and summed, and
    ``dr_i``, its rows' dot products with ``W``: one product of the
    layer's size instead of two.
    """
    k, h = s.shape
    d = W.shape[0]
    dY3 = dY.reshape(k, -1, h)
    np.add.reduce(dY3, axis=1, out=db)
    np.einsum("knh,knh->kh", dY3, product.reshape(k, -1, h), out=ds)
    dproduct = np.multiply(dY3, s[:, None, :], out=None if dproduct is None else dproduct.reshape(dY3.shape))
    if one_product_backward(shared_input, need_input_grad, X.shape[0]):
        member_grads = np.matmul(X.T, dproduct, out=member_grads)
        np.einsum("kdh,dh->kd", member_grads, W, out=dr)
        member_grads *= r[:, :, None]
        np.add.reduce(member_grads, axis=0, out=dW)
        return None
    flat = dproduct.reshape(-1, h)
    np.matmul(scaled.reshape(-1, d).T, flat, out=dW)
    dscaled = input_gradient(flat, W, out=dscaled).reshape(k, -1, d)
    if shared_input:
        np.einsum("knd,nd->kd", dscaled, X, out=dr)
    else:
        np.einsum("knd,knd->kd", dscaled, X.reshape(k, -1, X.shape[1]), out=dr)
    if not need_input_grad:
        return None
    dscaled *= r[:, None, :]
    if shared_input:
        return np.add.reduce(dscaled, axis=0, out=dX)
    return dscaled.reshape(-1, d)


def fold_members(W, r, s):
    """Each member's weights with its multipliers folded in, ``diag(r_i) @ W @ diag(s_i)``: shape (k, d, h).

    See :func:`batch_ensemble_infer_folded`.
    """
    folded = r[:, :, None] * W[None]
    folded *= s[:, None, :]
    return folded


def batch_ensemble_infer_folded(X, W_folded, b, shared_input):
    """:func:`batch_ensemble_forward`'s ``Y`` from weights :func:`fold_members` folded; a new array.

    Equal to the unfolded computation up to rounding, without its scaled copy
    of the input and its pass that multiplies by ``s``: one batched product
    over the members, each row block ``X_i @ W_folded[i]`` landing where the
    stacked layout puts member ``i``. A shared input is broadcast, not copied.
    """
    k, h = b.shape
    X3 = X[None] if shared_input else X.reshape(k, -1, X.shape[1])
    Y = np.matmul(X3, W_folded)
    Y += b[:, None, :]
    return Y.reshape(-1, h)


def ensemble_average(Z, n_members, link):
    """Combine the members' raw outputs (stacked rows) into raw outputs whose ``link`` is the mean prediction.

    ``"identity"`` averages the values; ``"softmax"`` and ``"logistic"``
    average the probabilities and return their logarithm (softmax) or log-odds
    (logistic), computed in log space so that they stay finite.
    """
    Z3 = Z.reshape(n_members, -1, Z.shape[1])
    if link == "identity":
        return Z3.mean(axis=0)
    if link == "softmax":
        log_p = log_softmax(Z).reshape(Z3.shape)
        return np.logaddexp.reduce(log_p, axis=0) - math.log(n_members)
    return np.logaddexp.reduce(log_sigmoid(Z3), axis=0) - np.logaddexp.reduce(log_sigmoid(-Z3), axis=0)
