"""Input and target scaling fitted on the training rows: robust or standard centring, smooth clipping.

The estimators scale their inputs themselves (``input_scaling``) so that
raw features train as well as carefully preprocessed ones, and regressors
standardize their targets (``standardize_target``). Every statistic is
weighted, with weights acting as repeated rows, and ignores NaN; zero-weight
rows count nowhere.
"""

import functools

import numpy as np
from scipy import sparse

__all__ = [
    "SMOOTH_CLIP_BOUND",
    "fit_input_scaling",
    "scale_inputs",
    "robust_statistics",
    "scale_features",
    "smooth_clip",
    "smooth_unclip",
    "standard_statistics",
]

#: Where smooth clipping levels off: ``x / sqrt(1 + (x / 3) ** 2)`` stays within (-3, 3).
SMOOTH_CLIP_BOUND = 3.0
#: An exact power of two that lifts the smallest subnormal float64 (2 ** -1074) above the smallest normal one.
SUBNORMAL_BOOST = 2.0**64


def weighted_quantiles(X, levels, sample_weight=None):
    """Per-column inverted-CDF quantiles: the smallest value whose cumulative weight reaches ``level * total``.

    With integer weights this equals the quantile of the rows repeated that
    many times, which keeps weighted and repeated data interchangeable. NaN
    and zero-weight entries are ignored; a column with no counted value gives
    NaN.

    Examples
    --------
    >>> weighted_quantiles(np.array([[1.0], [2.0], [3.0], [4.0]]), [0.25, 0.5, 0.75])
    array([[1.],
           [2.],
           [3.]])
    """
    X = np.asarray(X, dtype=np.float64)
    weights = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    counted = np.where(np.isnan(X), 0.0, weights[:, None])
    order = np.argsort(np.where(counted > 0, X, np.inf), axis=0, kind="stable")
    sorted_values = np.take_along_axis(X, order, axis=0)
    cumulative = np.cumsum(np.take_along_axis(counted, order, axis=0), axis=0)
    total = cumulative[-1] if X.shape[0] else np.zeros(X.shape[1])
    out = np.full((len(levels), X.shape[1]), np.nan)
    for row, level in enumerate(levels):
        # A relative tolerance keeps level * total from missing an exact hit by rounding.
        reached = cumulative >= level * total * (1 - 1e-12)
        index = reached.argmax(axis=0)
        found = reached.any(axis=0) & (total > 0)
        out[row, found] = sorted_values[index[found], np.flatnonzero(found)]
    return out


def _observed_range(X, sample_weight):
    counted = ~np.isnan(X) if sample_weight is None else ~np.isnan(X) & (sample_weight > 0)[:, None]
    with np.errstate(invalid="ignore"):
        return np.fmin.reduce(np.where(counted, X, np.nan), axis=0), np.fmax.reduce(
            np.where(counted, X, np.nan), axis=0
        )


#: Values per block of columns the statistics work on: it bounds their float64
#: temporaries (32 MB each) whatever the size of X.
STATISTICS_BLOCK_VALUES = 2**22


def _by_column_blocks(statistics):
    """Run ``statistics(X, sample_weight)`` on blocks of columns, so its temporaries never hold all of X."""

    @functools.wraps(statistics)
    def blocked(X, sample_weight=None):
        width = max(1, STATISTICS_BLOCK_VALUES // max(X.shape[0], 1))
        blocks = [statistics(X[:, start : start + width], sample_weight) for start in range(0, X.shape[1], width)]
        return tuple(np.concatenate(parts) for parts in zip(*blocks))

    return blocked


@_by_column_blocks
def robust_statistics(X, sample_weight=None):
    """Median centre and inter-quartile scale of each column.

    A column whose quartiles coincide (mostly one value, a few outliers) is
    scaled by half its range instead; a column with a single value gets
    scale 1, so its training value maps to exactly 0 and others to their raw
    deviation, never amplified.

    Returns
    -------
    center, scale : ndarray of shape (n_features,)

    Examples
    --------
    >>> X = np.array([[0.0, 5.0], [1.0, 5.0], [2.0, 5.0], [3.0, 5.0], [100.0, 5.0]])
    >>> robust_statistics(X)
    (array([2., 5.]), array([2., 1.]))
    """
    X = np.asarray(X, dtype=np.float64)
    q25, median, q75 = weighted_quantiles(X, (0.25, 0.5, 0.75), sample_weight)
    low, high = _observed_range(X, sample_weight)
    scale = np.where(q75 > q25, q75 - q25, 0.5 * (high - low))
    return median, np.where(scale > 0, scale, 1.0)


@_by_column_blocks
def standard_statistics(X, sample_weight=None):
    """Mean and population standard deviation of each column (1 for a constant column)."""
    X = np.asarray(X, dtype=np.float64)
    weights = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    counted = np.where(np.isnan(X), 0.0, weights[:, None])
    total = counted.sum(axis=0)
    values = np.where(counted > 0, X, 0.0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        # Divided by a power of two near each column's largest magnitude (exact), so neither the
        # sum nor the squares overflow for columns of huge values.
        unit = np.exp2(np.ceil(np.log2(np.where(np.isfinite(values), np.abs(values), 0.0).max(axis=0, initial=0.0))))
        unit = np.where(unit > 0, unit, 1.0)
        mean = (counted * (values / unit)).sum(axis=0) / total * unit
        deviation = np.where(counted > 0, (values - mean) / unit, 0.0)
        std = np.sqrt((counted * deviation * deviation).sum(axis=0) / total) * unit
    low, high = _observed_range(X, sample_weight)
    mean = np.where(low == high, low, mean)  # one value: centre on it exactly
    return mean, np.where((std > 0) & (low < high), std, 1.0)


def smooth_clip(X, bound=SMOOTH_CLIP_BOUND):
    """``x / sqrt(1 + (x / bound) ** 2)`` in place: the identity near 0, levelling off at ``±bound``.

    Outliers keep their order and sign but no longer dominate a layer's
    input, and the map is smooth, so gradients flow everywhere.
    """
    scratch = np.multiply(X, 1.0 / bound)
    np.square(scratch, out=scratch)
    scratch += 1.0
    np.sqrt(scratch, out=scratch)
    X /= scratch
    return X


def smooth_unclip(Y, bound=SMOOTH_CLIP_BOUND):
    """Undo :func:`smooth_clip` in place: ``y / sqrt(1 - (y / bound) ** 2)``; ``|y| >= bound`` has no preimage."""
    with np.errstate(invalid="ignore"):
        beyond = np.abs(Y) >= bound
    if beyond.any():
        raise ValueError(
            f"Values at or beyond the clip bound ±{bound:g} cannot be inverted: only inputs so far out that the "
            "smooth clip saturated in floating point give them, and their original value is lost."
        )
    scratch = np.multiply(Y, 1.0 / bound)
    np.square(scratch, out=scratch)
    np.subtract(1.0, scratch, out=scratch)
    np.sqrt(scratch, out=scratch)
    Y /= scratch
    return Y


def scale_features(X, center, scale, *, clip, dtype, chunk_rows=65_536):
    """``(X - center) / scale`` (then smooth clipping if ``clip``) as a new C-ordered array of ``dtype``.

    Works through ``X`` in chunks, so a float64 ``X`` is never copied whole
    in float64 before the cast; a sparse ``X`` (given to a model fitted on
    dense rows) is densified a chunk at a time.
    """
    out = np.empty(X.shape, dtype=dtype)
    # The inverse of a subnormal scale overflows: such a column is first multiplied by an exact power of two
    # that makes its scale normal, and other columns are left bit for bit as they were.
    boost = np.where(scale < np.finfo(np.float64).tiny, SUBNORMAL_BOOST, 1.0)
    boosted = bool((boost != 1.0).any())
    inverse = 1.0 / (scale * boost)
    for start in range(0, X.shape[0], chunk_rows):
        rows = X[start : start + chunk_rows]
        # In float64 first: raw values, or the centre, may lie beyond a float32 network's range.
        block = np.subtract(rows.toarray() if sparse.issparse(rows) else rows, center, dtype=np.float64)
        if boosted:
            block *= boost
        block *= inverse
        if clip:
            smooth_clip(block)
        out[start : start + chunk_rows] = block
    return out


def fit_input_scaling(input_scaling, X, sample_weight=None):
    """The per-feature ``(centre, scale)`` of an estimator's ``input_scaling``, or ``(None, None)``.

    Sparse input is not scaled: centring would densify it. ``"quantile"`` has
    no centre and scale (see :func:`skstab.preprocessing._quantiles.fit_quantile_scaling`).
    """
    if input_scaling not in ("robust", "standard") or sparse.issparse(X):
        return None, None
    return (robust_statistics if input_scaling == "robust" else standard_statistics)(X, sample_weight)


def scale_inputs(X, center, scale, *, clip, dtype):
    """``X`` as a network takes it: scaled (and clipped) when ``center`` is set, row-major, in ``dtype``."""
    if center is not None:
        return scale_features(X, center, scale, clip=clip, dtype=dtype)
    # Batches gather rows: from a column-major X each row is a strided read, about 170x slower.
    # One row-major copy per fit (none if X already is C-ordered in this dtype); CSR stays CSR.
    return np.ascontiguousarray(X, dtype=dtype) if isinstance(X, np.ndarray) else X.astype(dtype, copy=False)
