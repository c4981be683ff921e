"""The checks on values a FeatureAligner fits on, transforms and produces, and their messages.

NaN is a missing value and passes, but an infinity in the input, statistics
float64 cannot hold, statistics beyond the data's own dtype and results that
overflow it raise a ValueError naming the offending column and saying what to
do. Each check takes a ``column_label`` function (the column's feature name
when X had names, else its index), so the messages read the same from
``fit``, ``transform`` and ``drift_report``.
"""

import numpy as np
from scipy import sparse

from ._moments import csc_columns

__all__ = [
    "FLOAT_DTYPES",
    "SPARSE_CENTER_MSG",
    "check_no_inf",
    "check_no_overflow",
    "check_representable",
    "check_statistics_in_range",
    "first_inf_column",
]

#: The dtypes FeatureAligner computes in; validation converts other input to the first.
FLOAT_DTYPES = (np.float64, np.float32)

SPARSE_CENTER_MSG = (
    "Cannot center sparse matrices: pass `with_mean=False` instead, which scales "
    "sparse columns without densifying them."
)


def _has_inf(X):
    return np.isinf(X.data if sparse.issparse(X) else X).any()


def first_inf_column(X):
    """The index of the first column of ``X`` (dense or sparse) that holds +/-inf."""
    if sparse.issparse(X):
        Xc, col = csc_columns(X)
        return int(col[np.isinf(Xc.data)][0])
    return int(np.flatnonzero(np.isinf(X).any(axis=0))[0])


def check_no_inf(X, column_label, estimator_name):
    """A ValueError naming the first column of ``X`` that holds +/-inf."""
    # Validation runs with ensure_all_finite=False so that this check, not
    # sklearn's generic message, reports which column holds the infinity.
    if not _has_inf(X):
        return
    label = column_label(first_inf_column(X))
    raise ValueError(
        f"Input X contains infinity in {label}. {estimator_name} accepts "
        "NaN as a missing value but not +/-inf; replace it before fitting or "
        "transforming."
    )


def check_representable(n, mean, var, data_max, column_label):
    """A ValueError naming the first column whose statistics overflow float64."""
    bad = np.flatnonzero((n > 0) & ~(np.isfinite(mean) & np.isfinite(var)))
    if bad.size:
        raise ValueError(
            f"The values of {column_label(bad[0])} (up to {data_max[bad[0]]:.3g}) are too spread out "
            "for float64: their variance overflows (largest float64 1.8e+308) once the standard deviation "
            "passes about 1.3e+154. Divide the column by a large constant (say 1e150) first."
        )


def check_statistics_in_range(center, scale, dtype, column_label):
    """A ValueError naming the first column whose float64 ``center`` or ``scale`` (or None) ``dtype`` cannot hold."""
    with np.errstate(over="ignore"):
        stats = [center.astype(dtype)] + ([] if scale is None else [scale.astype(dtype)])
    unrepresentable = ~np.logical_and.reduce([np.isfinite(stat) for stat in stats])
    if unrepresentable.any():
        column = int(np.flatnonzero(unrepresentable)[0])
        raise ValueError(
            f"The training statistics of {column_label(column)} (centre {center[column]:.3g}) are "
            f"beyond {dtype}'s range (largest value {np.finfo(dtype).max:.3g}); pass float64 input "
            "(X.astype(np.float64))."
        )


def check_no_overflow(X, inverse, column_label):
    """A ValueError naming the first column that transforming (or, with ``inverse``, inverting) took to +/-inf.

    ``X`` is the result; its input held no infinity, so any infinity is an overflow of ``X.dtype``.
    """
    if _has_inf(X):
        column = first_inf_column(X)
        raise ValueError(
            f"{'Inverse-transforming' if inverse else 'Transforming'} {column_label(column)} overflows "
            f"{X.dtype} (largest value {np.finfo(X.dtype).max:.3g}): some finite input values lie too far from "
            "the training statistics. Check that column for wrong units, or pass float64 input."
        )
