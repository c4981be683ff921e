"""X as the network's input scaling takes it: validated, and encoded when it is a raw table.

Numeric input without missing values goes through scikit-learn's ``validate_data`` exactly as
before (same array, same predictions). A first ``fit``/``partial_fit`` call whose X has a
categorical column (see ``categorical_features``) or a missing numeric value fits a
:class:`~skstab.preprocessing._tabular.TableEncoder` instead, stored as ``encoder_``; later calls and
prediction encode with it, never refit it. ``n_features_in_`` and ``feature_names_in_`` always
describe the raw columns.
"""

import numpy as np
from scipy import sparse
from sklearn.utils.validation import _check_y, _num_samples, check_consistent_length, validate_data

from ..preprocessing._tabular import TableEncoder, categorical_mask, target_type
from ..utils._inputs import check_feature_types, explained_input_errors

_CHECK = {"accept_sparse": "csr", "dtype": [np.float64, np.float32]}


def _finite(X):
    """``ensure_all_finite`` for X: NaN may reach the encoder, sparse input stays finite-only."""
    return True if sparse.issparse(X) else "allow-nan"


def _has_missing(X):
    return not sparse.issparse(X) and X.size > 0 and bool(np.isnan(X).any())


def _missing_error(estimator):
    return ValueError(
        f"X has missing values (NaN), but this {type(estimator).__name__} was fitted on data without any, so "
        "it has no imputation for them. Refit on data with missing values (imputed with the median, plus a "
        "missing-indicator column), or fill them beforehand (e.g. sklearn.impute.SimpleImputer)."
    )


def _output_dtype(X):
    """float32 input stays float32 (it computes in float32); everything else becomes float64."""
    return np.float32 if getattr(X, "dtype", None) == np.float32 else np.float64


def _check_rows(X, minimum):
    n = _num_samples(X)
    if n < minimum:
        raise ValueError(f"Found array with {n} sample(s) while a minimum of {minimum} is required.")


def training_inputs(estimator, X, y, first_pass, incremental):
    """``(X, y)`` validated for training, X encoded by ``encoder_`` (fitted here on a first pass)."""
    minimum = 1 if incremental else 2  # one row can be learned from incrementally, not fitted on its own
    encoder = None if first_pass else getattr(estimator, "encoder_", None)
    mask = categorical_mask(X, estimator.categorical_features) if first_pass else None
    if encoder is None and mask is None:
        with explained_input_errors(X):
            X, y = validate_data(
                estimator,
                X,
                y,
                reset=first_pass,
                multi_output=True,
                y_numeric=estimator._numeric_targets,
                ensure_min_samples=minimum,
                ensure_all_finite=_finite(X),
                **_CHECK,
            )
        if not _has_missing(X):
            if first_pass:
                estimator.encoder_ = None
            return X, y
        if not first_pass:
            raise _missing_error(estimator)
    else:
        check_feature_types(X)
        validate_data(estimator, X, reset=first_pass, skip_check_array=True)
        y = _check_y(y, multi_output=True, y_numeric=estimator._numeric_targets, estimator=estimator)
        check_consistent_length(X, y)
        _check_rows(X, minimum)
    dtype = _output_dtype(X)
    if first_pass:
        estimator.encoder_ = TableEncoder(
            categorical=mask,
            target_type=target_type(y, estimator._numeric_targets, streaming=incremental),
            random_state=estimator.random_state,
        )
        X = estimator.encoder_.fit_transform(X, y)
    else:
        X = encoder.transform(X)
    return X.astype(dtype, copy=False), y


def prediction_inputs(estimator, X):
    """X validated against the fit's columns, and encoded by ``encoder_`` if the fit made one."""
    encoder = getattr(estimator, "encoder_", None)
    if encoder is None:
        with explained_input_errors(X):
            X = validate_data(estimator, X, reset=False, ensure_all_finite=_finite(X), **_CHECK)
        if _has_missing(X):
            raise _missing_error(estimator)
        return X
    check_feature_types(X)
    validate_data(estimator, X, reset=False, skip_check_array=True)
    _check_rows(X, 1)
    return encoder.transform(X).astype(_output_dtype(X), copy=False)


def input_names(estimator):
    """Names of the network's input columns (after encoding), for messages; None without names."""
    encoder = getattr(estimator, "encoder_", None)
    if encoder is not None:
        return encoder.get_feature_names_out()
    return getattr(estimator, "feature_names_in_", None)
