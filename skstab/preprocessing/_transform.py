"""Applying a fitted FeatureAligner: the bodies of its ``transform`` and ``inverse_transform``.

The data is validated against the training features, then centred, scaled
and smoothly clipped (or the reverse) in place. The statistics stay float64
and are cast to X's dtype, so float32 data stays float32; sparse data is
scaled column by column without being densified. Statistics or results beyond
that dtype's range raise a ValueError naming the column.
"""

import numpy as np
from scipy import sparse
from sklearn.utils import check_array
from sklearn.utils.sparsefuncs import inplace_column_scale
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils._inputs import explained_input_errors
from ._scaling import smooth_clip, smooth_unclip
from ._value_checks import FLOAT_DTYPES, SPARSE_CENTER_MSG, check_no_overflow, check_statistics_in_range

__all__ = ["inverse_transform_data", "transform_data"]


def transform_data(aligner, X, copy):
    """The body of :meth:`skstab.FeatureAligner.transform`."""
    check_is_fitted(aligner, msg=aligner._not_fitted_message)
    copy = aligner.copy if copy is None else copy
    with explained_input_errors(X):
        X = validate_data(
            aligner,
            X,
            reset=False,
            accept_sparse=("csr", "csc"),
            copy=copy,
            dtype=FLOAT_DTYPES,
            force_writeable=True,
            ensure_all_finite=False,
        )
    aligner._check_no_inf(X)
    return _apply(aligner, X, inverse=False)


def inverse_transform_data(aligner, X, copy):
    """The body of :meth:`skstab.FeatureAligner.inverse_transform`."""
    check_is_fitted(aligner, msg=aligner._not_fitted_message)
    copy = aligner.copy if copy is None else copy
    # check_array: the output of transform need not carry the input names.
    with explained_input_errors(X):
        X = check_array(
            X,
            accept_sparse=("csr", "csc"),
            copy=copy,
            dtype=FLOAT_DTYPES,
            force_writeable=True,
            ensure_all_finite=False,
        )
    if X.shape[1] != aligner.n_features_in_:
        raise ValueError(
            f"X has {X.shape[1]} features, but {type(aligner).__name__} is "
            f"expecting {aligner.n_features_in_} features as input."
        )
    aligner._check_no_inf(X)
    return _apply(aligner, X, inverse=True)


def _apply(aligner, X, inverse):
    """Transform (or invert), refusing statistics or results that overflow X's dtype."""
    check_statistics_in_range(aligner.center_, aligner.scale_, X.dtype, aligner._column_label)
    with np.errstate(over="ignore"):
        X = _apply_statistics(aligner, X, inverse)
    check_no_overflow(X, inverse, aligner._column_label)
    return X


def _apply_statistics(aligner, X, inverse):
    values = X.data if sparse.issparse(X) else X
    if inverse and aligner.clip is not None:
        smooth_unclip(values, aligner.clip)
    if sparse.issparse(X):
        if aligner.with_mean:
            raise ValueError(SPARSE_CENTER_MSG)
        if aligner.with_std:
            factor = aligner.scale_ if inverse else 1.0 / aligner.scale_
            inplace_column_scale(X, factor.astype(X.dtype))
    # Statistics stay float64; casting them keeps float32 input float32.
    elif inverse:
        if aligner.with_std:
            X *= aligner.scale_.astype(X.dtype)
        if aligner.with_mean:
            X += aligner.center_.astype(X.dtype)
    else:
        if aligner.with_mean:
            X -= aligner.center_.astype(X.dtype)
        if aligner.with_std:
            X /= aligner.scale_.astype(X.dtype)
    if not inverse and aligner.clip is not None:
        smooth_clip(X.data if sparse.issparse(X) else X, aligner.clip)
    return X
