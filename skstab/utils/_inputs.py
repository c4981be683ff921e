"""Say what is wrong with X in the user's terms where numpy's own message would not.

scikit-learn's validation turns X into a float array; when that fails on a text
column, a date column or ragged rows, the message comes from numpy's internals
("could not convert string to float", "inhomogeneous shape", "DType could not be
promoted"). These helpers name the column and what to do instead. They cost
nothing on valid input: dtypes are checked up front (one look per column), the
values only after the conversion has already failed.
"""

from contextlib import contextmanager

import numpy as np

_ENCODE_HINT = (
    "encode it as numbers (e.g. OneHotEncoder or OrdinalEncoder on that column, in a "
    "sklearn.compose.ColumnTransformer) or drop it"
)


def _label(name):
    return f"column {name!r}" if isinstance(name, str) else f"column {name}"


def _date_message(subject, dtype):
    return (
        f"{subject} has dtype {dtype}; convert dates and times to numbers (e.g. a year or a day count) or "
        "drop them, for instance with a FunctionTransformer on those columns in a sklearn.compose.ColumnTransformer."
    )


def _is_date(dtype):
    if isinstance(dtype, np.dtype):  # its kind says it all, without the cost of str() on every column
        return dtype.kind in "mM"
    return getattr(dtype, "kind", None) in ("m", "M") or str(dtype).startswith(("datetime", "period"))


def check_feature_types(X):
    """Refuse date and time columns, which would otherwise become nanosecond counts or a dtype error."""
    if hasattr(X, "columns") and hasattr(X, "dtypes"):
        for name, dtype in zip(X.columns, X.dtypes):
            if _is_date(dtype):
                raise ValueError(_date_message(f"X's {_label(name)}", dtype))
    elif isinstance(X, np.ndarray) and X.dtype.kind in "mM":
        raise ValueError(_date_message("X", X.dtype))


def _first_text(values):
    """The first string that cannot be read as a number, or None (other objects keep numpy's error)."""
    for value in values:
        if isinstance(value, (str, bytes)):
            try:
                float(value)
            except ValueError:
                return value
    return None


def _explain(X):
    """A clearer error for X that scikit-learn failed to convert, or None."""
    if hasattr(X, "columns") and hasattr(X, "dtypes"):
        for name, dtype in zip(X.columns, X.dtypes):
            if str(dtype) == "category":
                categories = dtype.categories
                if categories.dtype.kind not in "biuf":
                    return ValueError(f"X's {_label(name)} is categorical ({list(categories[:3])}...); {_ENCODE_HINT}.")
            elif getattr(dtype, "kind", "O") in ("O", "U", "S", "T"):
                text = _first_text(X[name].to_numpy())
                if text is not None:
                    return ValueError(f"X's {_label(name)} holds text such as {text!r}; {_ENCODE_HINT}.")
        return None
    if isinstance(X, (list, tuple)):
        lengths = {}
        for index, row in enumerate(X):
            length = len(row) if hasattr(row, "__len__") and not isinstance(row, (str, bytes)) else None
            lengths.setdefault(length, index)
        if len(lengths) > 1:
            (len_a, row_a), (len_b, row_b) = list(lengths.items())[:2]
            return ValueError(
                f"X's rows differ in length (row {row_a} has {len_a} values, row {row_b} has {len_b}); every "
                "row needs one value per feature, with NaN for a missing one."
            )
        try:
            X = np.asarray(X, dtype=object)
        except ValueError:
            return None
    if isinstance(X, np.ndarray) and X.dtype.kind in "OUS" and X.ndim == 2:
        for column in range(X.shape[1]):
            text = _first_text(X[:, column])
            if text is not None:
                return ValueError(f"X's {_label(column)} holds text such as {text!r}; {_ENCODE_HINT}.")
    return None


@contextmanager
def explained_input_errors(X):
    """Run scikit-learn's validation of X, replacing numpy-internal messages by clear ones."""
    check_feature_types(X)
    try:
        yield
    except (ValueError, TypeError) as exc:
        clearer = _explain(X)
        if clearer is not None:
            raise clearer from exc
        raise


def column_label(names, column):
    """``column 3`` or ``column 3 ('age')``, as error messages name a column."""
    return f"column {column}" + (f" ({names[column]!r})" if names is not None else "")


def check_range(X, dtype, names, compute_dtype):
    """A ValueError naming a column of finite X that the compute dtype cannot represent."""
    limit = np.finfo(dtype).max
    if np.finfo(X.dtype).max <= limit:
        return
    values = X.data if not isinstance(X, np.ndarray) else X
    if values.size == 0 or (values.max() <= limit and values.min() >= -limit):
        return
    beyond = abs(X) > limit
    column = int(np.flatnonzero(np.asarray(beyond.sum(axis=0)).ravel())[0])
    raise ValueError(
        f"X's {column_label(names, column)} holds values beyond {np.dtype(dtype)}'s range "
        f"(+/-{limit:.3g}), and this network computes in {np.dtype(dtype)} "
        f"(compute_dtype={compute_dtype!r}). Set compute_dtype='float64' or scale the input "
        "(e.g. skstab.FeatureAligner)."
    )


def check_normal_range(X, dtype, names):
    """A ValueError naming a column whose nonzero values all lie below the compute dtype's normal range.

    Such (subnormal) values keep only a few significant bits and vanish in
    products with the network's weights, so an unscaled network sees the
    column as zeros and cannot learn from it; input scaling rescales it.
    """
    magnitude = abs(X).max(axis=0)
    magnitude = np.asarray(magnitude.toarray() if hasattr(magnitude, "toarray") else magnitude).ravel()
    tiny = (magnitude > 0) & (magnitude < np.finfo(dtype).tiny)
    if not tiny.any():
        return
    column = int(np.flatnonzero(tiny)[0])
    raise ValueError(
        f"X's {column_label(names, column)} holds only values below {np.dtype(dtype)}'s normal range (up to "
        f"{magnitude[column]:.3g}, under {np.finfo(dtype).tiny:.3g}), which the network would compute with as "
        "zeros. Keep input_scaling='robust' or 'standard', which rescales such a column, or scale the input "
        "(e.g. skstab.FeatureAligner)."
    )


def check_finite_outputs(Z, X, dtype, names):
    """A ValueError naming the column behind outputs of finite X that overflowed the network's dtype."""
    if np.isfinite(Z).all():
        return
    rows = ~np.isfinite(Z).all(axis=1)
    magnitude = abs(X[rows]).max(axis=0)
    magnitude = magnitude.toarray().ravel() if hasattr(magnitude, "toarray") else magnitude
    column = int(np.argmax(magnitude))
    raise ValueError(
        f"The network's outputs overflow {dtype} (largest value {np.finfo(dtype).max:.3g}) for "
        f"{int(rows.sum())} row(s) of X, whose largest values are in {column_label(names, column)} "
        f"(up to {magnitude[column]:.3g}). Scale the input like the training data (e.g. "
        "skstab.FeatureAligner in a pipeline)."
    )
