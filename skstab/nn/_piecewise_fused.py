r"""numba kernels of a piecewise-linear encoding and the dense layer after it, without the encoded matrix.

Feature :math:`j` in bin :math:`t` with fraction :math:`f` encodes as
``[1, ..., 1, f, 0, ..., 0]``, so its share of the dense product is
:math:`p_t + f\, w_t`: the sum :math:`p_t` of the weight rows of the bins
below :math:`t`, plus the fraction of bin :math:`t`'s row. Per row that is
two weight rows per feature instead of one per bin (sixteen by default),
and the encoded matrix, bins times wider than the input, is never written.

Backward, the weight gradient of bin :math:`b` sums, over the rows, the output
gradient where the row's bin is above :math:`b` plus ``f`` times it where the
row's bin is :math:`b`. Scattering ``(1 - f) g`` to bin :math:`t - 1` and
``f g`` to bin :math:`t`, then summing each feature's bins from the top,
gives exactly that (the ``-f g`` and ``+f g`` telescope), in one array.

The layer after the encoding is a plain dense layer (``has_members`` false:
``r`` and ``s`` are unused and ``b`` is one row) or the first
:class:`~skstab.nn.BatchEnsembleDense` layer, whose member :math:`i` scales
the encoding by :math:`r_i` and the product by :math:`s_i`. The unfused
layers (numpy, BLAS) are the reference these are tested against.
"""

import numpy as np
from numba import njit

_JIT = {"cache": True, "nogil": True, "error_model": "numpy", "fastmath": {"reassoc", "contract"}}

#: Rows per block of the product: a block of a member's product rows stays in cache while every
#: feature's weight rows stream past it once.
_ROW_BLOCK = 64


@njit(**_JIT)
def locate_bins(X, left, inverse_width, counts, bins, fractions):
    """Fill ``bins`` (each value's bin, the first or last bin beyond the edges) and ``fractions`` (unclipped)."""
    n, d = X.shape
    for row in range(n):
        for j in range(d):
            x = X[row, j]
            t = 0
            last = counts[j] - 1
            while t < last and x >= left[j, t + 1]:
                t += 1
            bins[row, j] = t
            fractions[row, j] = (x - left[j, t]) * inverse_width[j, t]


@njit(**_JIT)
def piecewise_dense_forward(bins, fractions, offsets, counts, W, r, s, b, has_members, prefix, product, Y):
    """Fill ``prefix`` (k, columns, h), ``product`` (the members' products, k * n rows) and ``Y``.

    ``prefix[i, c]`` sums ``r[i] * W`` over the bins of column ``c``'s
    feature below it. Without members, ``product`` may be ``Y`` itself.
    """
    k, h = b.shape
    n, d = bins.shape
    for i in range(k):
        for j in range(d):
            first = offsets[j]
            prefix[i, first, :] = 0.0
            for c in range(first + 1, first + counts[j]):
                for u in range(h):
                    step = r[i, c - 1] * W[c - 1, u] if has_members else W[c - 1, u]
                    prefix[i, c, u] = prefix[i, c - 1, u] + step
    for i in range(k):
        for start in range(0, n, _ROW_BLOCK):
            stop = min(start + _ROW_BLOCK, n)
            product[i * n + start : i * n + stop, :] = 0.0
            for j in range(d):
                for row in range(start, stop):
                    c = offsets[j] + bins[row, j]
                    f = fractions[row, j]
                    if has_members:
                        f *= r[i, c]  # in the arrays' dtype: a float64 1.0 would widen the loop below to float64
                    out = product[i * n + row]
                    below = prefix[i, c]
                    weights = W[c]
                    for u in range(h):
                        out[u] += below[u] + f * weights[u]
    for i in range(k):
        for row in range(i * n, (i + 1) * n):
            for u in range(h):
                if has_members:
                    Y[row, u] = product[row, u] * s[i, u] + b[i, u]
                else:
                    Y[row, u] = product[row, u] + b[i, u]


@njit(**_JIT)
def piecewise_dense_backward(
    dY, bins, fractions, offsets, counts, W, r, s, product, has_members, dW, dr, ds, db, dproduct, spread
):
    """Fill ``dW``, ``db`` and, with members, ``dr`` and ``ds``; ``dproduct`` and ``spread`` are scratch.

    ``spread`` (k, columns, h) ends as each member's gradient with respect
    to its scaled weights ``r[i] * W`` (the encoding's transpose times the
    member's product gradient). Without members ``dproduct`` may be ``dY``.
    """
    k, h = db.shape
    n, d = bins.shape
    db[:] = 0.0
    if has_members:
        ds[:] = 0.0
    for i in range(k):
        for row in range(i * n, (i + 1) * n):
            for u in range(h):
                g = dY[row, u]
                db[i, u] += g
                if has_members:
                    ds[i, u] += g * product[row, u]
                    dproduct[row, u] = g * s[i, u]
    spread[:] = 0.0
    for i in range(k):
        for start in range(0, n, _ROW_BLOCK):
            stop = min(start + _ROW_BLOCK, n)
            for j in range(d):
                for row in range(start, stop):
                    c = offsets[j] + bins[row, j]
                    f = fractions[row, j]
                    g = i * n + row
                    source = dproduct[g]
                    # One row written per loop: LLVM vectorizes each, not a loop writing two rows of one
                    # array (1.9 times faster for 4 members x 128 rows x 64 features x 16 bins x 100 units).
                    at = spread[i, c]
                    for u in range(h):
                        at[u] += f * source[u]
                    if bins[row, j] > 0:
                        below = spread[i, c - 1]
                        for u in range(h):
                            below[u] += source[u] - f * source[u]
    for i in range(k):
        for j in range(d):
            first = offsets[j]
            for c in range(first + counts[j] - 2, first - 1, -1):
                for u in range(h):
                    spread[i, c, u] += spread[i, c + 1, u]
    n_columns = W.shape[0]
    for c in range(n_columns):
        for u in range(h):
            dW[c, u] = 0.0
        for i in range(k):
            total = 0.0
            for u in range(h):
                dW[c, u] += r[i, c] * spread[i, c, u] if has_members else spread[i, c, u]
                total += W[c, u] * spread[i, c, u]
            if has_members:
                dr[i, c] = total


def piecewise_dense_input_grad(dproduct, bins, offsets, inverse_width, W, r, has_members):
    """The gradient with respect to the encoding's input: numpy, for the rare caller that asks for it.

    Only a value's own bin moves with it (the others are flat there), with
    slope one over the bin's width.
    """
    n, d = bins.shape
    k = dproduct.shape[0] // n
    columns = offsets[None, :] + bins
    through_weights = (dproduct.reshape(k, n, -1) @ W.T)[:, np.arange(n)[:, None], columns]
    if has_members:
        through_weights *= r[:, columns]
    return through_weights.sum(axis=0) * np.take_along_axis(inverse_width, bins.T, axis=1).T


@njit(**_JIT)
def feature_prefix_sums(folded, offsets, counts):
    """Sum ``folded`` (k, columns, h) in place over each feature's bins, bottom up: the inference tables."""
    k, _, h = folded.shape
    for i in range(k):
        for j in range(offsets.shape[0]):
            for c in range(offsets[j] + 1, offsets[j] + counts[j]):
                for u in range(h):
                    folded[i, c, u] += folded[i, c - 1, u]


@njit(**_JIT)
def piecewise_dense_infer(bins, fractions, offsets, tables, b, Y):
    """Fill ``Y`` (k * n rows) from the tables :func:`feature_prefix_sums` made of each member's folded weights.

    A value in bin ``t`` with fraction ``f`` adds ``(1 - f)`` times the sum
    of the bins up to ``t - 1`` and ``f`` times the sum up to ``t``.
    """
    k, h = b.shape
    n, d = bins.shape
    for i in range(k):
        for start in range(0, n, _ROW_BLOCK):
            stop = min(start + _ROW_BLOCK, n)
            for row in range(start, stop):
                Y[i * n + row, :] = b[i]
            for j in range(d):
                for row in range(start, stop):
                    t = bins[row, j]
                    f = fractions[row, j]
                    out = Y[i * n + row]
                    at = tables[i, offsets[j] + t]
                    if t > 0:
                        below = tables[i, offsets[j] + t - 1]
                        for u in range(h):
                            out[u] += below[u] + f * (at[u] - below[u])
                    else:
                        for u in range(h):
                            out[u] += f * at[u]
