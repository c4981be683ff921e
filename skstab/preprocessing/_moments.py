"""Per-feature weighted moments of data seen in chunks, merged exactly and stably.

Means are kept as compensated (high, low) pairs so that a column of
``1e9 + N(0, 1)`` keeps its small spread, and chunks merge with Chan et al.'s
pairwise update, so ``partial_fit`` over chunks equals one ``fit``.
"""

import numpy as np
from scipy import sparse

__all__ = ["chunk_statistics", "csc_columns", "is_constant_feature", "merge_moments", "update_moments"]


def is_constant_feature(var, mean, n_samples):
    """Whether each variance is zero up to the rounding error of its computation.

    The bound is the error of the two-pass variance algorithm in float64
    (Chan, Golub and LeVeque, 1983), the rule StandardScaler applies.
    """
    eps = np.finfo(np.float64).eps
    with np.errstate(invalid="ignore", over="ignore"):
        return var <= n_samples * eps * var + (n_samples * mean * eps) ** 2


def csc_columns(X):
    """A CSC copy of sparse ``X`` and the column index of each stored entry."""
    Xc = sparse.csc_array(X)
    return Xc, np.repeat(np.arange(Xc.shape[1]), np.diff(Xc.indptr))


def _two_sum(a, b):
    """``a + b`` rounded, and the exact rounding error (Knuth's TwoSum)."""
    total = a + b
    b_part = total - a
    return total, (a - (total - b_part)) + (b - b_part)


def _weighted_moments(x, w, total, expand):
    """Count, mean (as hi + lo) and centred sum of squares of ``x`` weighted by ``w``.

    ``total`` sums entries per feature and ``expand`` broadcasts a per-feature
    array back to the entries. The corrected two-pass algorithm sums deviations
    from a rough first mean; the correction term cancels that mean's rounding
    error, so a large common offset costs no precision.
    """
    n = total(w)
    with np.errstate(invalid="ignore", divide="ignore"):
        rough_mean = total(w * x) / n
        dev = np.where(w > 0, x - expand(rough_mean), 0.0)
        s1, s2 = total(w * dev), total(w * dev * dev)
        return n, *_two_sum(rough_mean, s1 / n), np.maximum(s2 - s1 * s1 / n, 0.0)


def _power_of_two_scale(max_abs):
    """Per-feature powers of two that bring ``max_abs`` into [1, 2), exactly invertible."""
    _, exponent = np.frexp(max_abs)
    return np.ldexp(1.0, exponent - 1)


def _scaled_moments(x, w, total, expand, scale):
    """:func:`_weighted_moments` of ``x / scale``, scaled back.

    Dividing by a power of two is exact, so the result is bit-identical to
    the unscaled computation wherever that one neither overflows nor
    underflows; squares of values beyond ~1e154 (or below ~1e-154) no longer
    do. Only a centred sum of squares that itself exceeds float64 is inf.
    """
    n, hi, lo, m2 = _weighted_moments(x / expand(scale), w, total, expand)
    with np.errstate(over="ignore"):
        return n, hi * scale, lo * scale, m2 * scale * scale


def chunk_statistics(X, sample_weight):
    """Float64 moments, min and max per feature, ignoring NaN and zero weights."""
    n_rows, n_features = X.shape
    w = np.ones(n_rows) if sample_weight is None else np.asarray(sample_weight, float)
    if not sparse.issparse(X):
        X64 = np.asarray(X, dtype=np.float64)
        observed = ~np.isnan(X64) & (w > 0)[:, None]
        x = np.where(observed, X64, 0.0)
        wx = np.where(observed, w[:, None], 0.0)
        scale = _power_of_two_scale(np.abs(x).max(axis=0, initial=0.0))
        moments = _scaled_moments(x, wx, lambda a: a.sum(axis=0), lambda m: m, scale)
        seen = np.where(observed, X64, np.nan)
        return moments, np.fmin.reduce(seen, axis=0), np.fmax.reduce(seen, axis=0)

    Xc, col = csc_columns(X)
    values, w_entry = Xc.data.astype(np.float64), w[Xc.indices]
    keep = ~np.isnan(values) & (w_entry > 0)
    # Implicit zeros of positive weight become one pseudo-entry per column.
    positive = w > 0
    stored_positive = np.bincount(col, weights=positive[Xc.indices], minlength=n_features)
    has_zero = positive.sum() - stored_positive > 0
    zero_weight = w.sum() - np.bincount(col, weights=w_entry, minlength=n_features)
    x = np.concatenate([values[keep], np.zeros(has_zero.sum())])
    wx = np.concatenate([w_entry[keep], zero_weight[has_zero]])
    cx = np.concatenate([col[keep], np.flatnonzero(has_zero)])

    def total(a):  # bincount returns ints for empty input
        return np.bincount(cx, weights=a, minlength=n_features).astype(np.float64)

    max_abs = np.zeros(n_features)
    np.maximum.at(max_abs, cx, np.abs(x))
    moments = _scaled_moments(x, wx, total, lambda m: m[cx], _power_of_two_scale(max_abs))
    data_min, data_max = np.full(n_features, np.inf), np.full(n_features, -np.inf)
    np.minimum.at(data_min, cx, x)
    np.maximum.at(data_max, cx, x)
    unseen = np.bincount(cx, minlength=n_features) == 0
    data_min[unseen] = data_max[unseen] = np.nan
    return moments, data_min, data_max


def merge_moments(a, b):
    """Chan et al.'s pairwise update of two (count, mean_hi, mean_lo, m2) summaries.

    The mean is carried as an unevaluated sum hi + lo, so that the difference
    of two means keeps its digits even when both sit on a large offset, and
    rounding does not pile up over many ``partial_fit`` calls.
    """
    (n_a, hi_a, lo_a, m2_a), (n_b, hi_b, lo_b, m2_b) = a, b
    n = n_a + n_b
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = n_b / n
        delta = (hi_b - hi_a) + (lo_b - lo_a)
        hi, err = _two_sum(hi_a, delta * frac)
        hi, lo = _two_sum(hi, lo_a + err)
        m2 = m2_a + m2_b + delta * delta * n_a * frac
    # An empty side contributes nothing (and its NaN mean must not leak).
    return [
        np.where(n_a == 0, only_b, np.where(n_b == 0, only_a, both))
        for both, only_a, only_b in zip((n, hi, lo, m2), a, b)
    ]


def update_moments(X, sample_weight, running=None):
    """Count, mean (hi, lo), population variance, min and max per feature, with chunk ``X`` added.

    ``running`` summarizes the chunks before as ``(count, mean_hi, mean_lo,
    var, data_min, data_max)``, its count a scalar when all features share
    it, or is None for the first chunk. The mean and variance of a feature
    without any counted value are NaN; statistics that overflow float64 come
    out inf or NaN, for the caller to refuse.
    """
    chunk, min_b, max_b = chunk_statistics(X, sample_weight)
    if running is None:
        (n, mean, mean_lo, m2), data_min, data_max = chunk, min_b, max_b
    else:
        n_a, mean_a, lo_a, var_a, min_a, max_a = running
        n_a = np.broadcast_to(n_a, min_b.shape).astype(np.float64)
        n, mean, mean_lo, m2 = merge_moments((n_a, mean_a, lo_a, var_a * n_a), chunk)
        data_min, data_max = np.fmin(min_a, min_b), np.fmax(max_a, max_b)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = m2 / n
    return n, mean, mean_lo, var, data_min, data_max
