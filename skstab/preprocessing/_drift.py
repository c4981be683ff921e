"""The drift report: how far new data has moved from a FeatureAligner's training statistics."""

from numbers import Real

import numpy as np
from scipy import sparse
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils._inputs import explained_input_errors
from ._moments import chunk_statistics, csc_columns, is_constant_feature

_FLOAT_DTYPES = (np.float64, np.float32)


def drift_table(aligner, X, *, mean_shift_threshold, std_ratio_threshold, out_of_range_threshold):
    """The body of :meth:`skstab.FeatureAligner.drift_report`; the fitted statistics are never changed."""
    import pandas as pd  # only the report needs it; keeps `import skstab` light

    check_is_fitted(aligner, msg=aligner._not_fitted_message)
    for name, value, low in [
        ("mean_shift_threshold", mean_shift_threshold, 0.0),
        ("std_ratio_threshold", std_ratio_threshold, 1.0),
        ("out_of_range_threshold", out_of_range_threshold, 0.0),
    ]:
        if not isinstance(value, Real) or not low <= value < np.inf:
            raise ValueError(f"{name} must be a finite number >= {low}, got {value!r}.")
    with explained_input_errors(X):
        X = validate_data(
            aligner, X, reset=False, accept_sparse=("csr", "csc"), dtype=_FLOAT_DTYPES, ensure_all_finite=False
        )
    aligner._check_no_inf(X)
    (n, new_mean, _, m2), _, new_max = chunk_statistics(X, None)
    with np.errstate(invalid="ignore", divide="ignore"):
        new_var = m2 / n
    aligner._check_representable(n, new_mean, new_var, new_max)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        train_std, new_std = np.sqrt(aligner.var_), np.sqrt(new_var)
        n_out = _count_out_of_range(X, aligner.data_min_, aligner.data_max_)
        train_constant = is_constant_feature(aligner.var_, aligner.mean_, aligner.n_samples_seen_)
        new_constant = is_constant_feature(new_var, new_mean, n)
        mean_shift = np.abs(new_mean - aligner.mean_) / np.where(train_constant, 1.0, train_std)
        std_ratio = np.where(train_constant, np.where(new_constant, 1.0, np.inf), new_std / train_std)
        out_of_range = n_out / n
    drifted = (
        (mean_shift > mean_shift_threshold)
        | (std_ratio > std_ratio_threshold)
        | (std_ratio < 1.0 / std_ratio_threshold)
        | (out_of_range > out_of_range_threshold)
    )
    columns = {
        "train_mean": aligner.mean_,
        "train_std": train_std,
        "new_mean": new_mean,
        "new_std": new_std,
        "mean_shift": mean_shift,
        "std_ratio": std_ratio,
        "out_of_range": out_of_range,
        "drifted": drifted,
    }
    # copy=True: editing the report must not edit mean_.
    index = pd.Index(aligner.get_feature_names_out(), name="feature")
    return pd.DataFrame(columns, index=index, copy=True)


def _count_out_of_range(X, low, high):
    """Non-NaN values of each feature outside the training [min, max]."""
    if not sparse.issparse(X):
        return ((X < low) | (X > high)).sum(axis=0).astype(np.float64)
    Xc, col = csc_columns(X)
    outside = (Xc.data < low[col]) | (Xc.data > high[col])
    implicit = Xc.shape[0] - np.diff(Xc.indptr)
    zero_outside = (low > 0) | (high < 0)
    n_out = np.bincount(col, weights=outside, minlength=Xc.shape[1])
    return n_out + np.where(zero_outside, implicit, 0)
