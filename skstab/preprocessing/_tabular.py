"""Raw tables in: categorical columns and missing values encoded as the network's numeric input.

:func:`categorical_mask` reads the estimators' ``categorical_features`` with
:class:`~sklearn.ensemble.HistGradientBoostingClassifier`'s rules, and
:class:`TableEncoder` turns a pandas or polars DataFrame (or an array) into
float columns with scikit-learn's own encoders:

- numeric columns: :class:`~sklearn.impute.SimpleImputer` (median) with a
  missing-indicator column for each column that had missing values in fit;
- categorical columns with at most :data:`ONEHOT_MAX_LEVELS` levels (missing
  counts as a level of its own): :class:`~sklearn.preprocessing.OneHotEncoder`,
  unseen levels encoded as all zeros;
- categorical columns with more levels: cross-fitted
  :class:`~sklearn.preprocessing.TargetEncoder` when a target type is given
  (``fit`` with a 1-D target), else one-hot of the ``ONEHOT_MAX_LEVELS - 1``
  most frequent levels plus one column for all the others (``partial_fit``,
  multi-output targets, tiny classes).

The levels are the ones seen by the fit; the encoder is never refitted.
"""

from numbers import Real

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.preprocessing import OneHotEncoder, TargetEncoder

#: Most levels (missing included) a categorical column may have to be one-hot encoded; beyond, it is
#: target-encoded. 16 keeps the first layer's input within a few times the raw column count on the
#: usual tables while covering most low-cardinality columns (weekdays, months, regions) one-hot.
ONEHOT_MAX_LEVELS = 16

#: Folds of TargetEncoder's cross-fitting (its default); a target with fewer rows, or a class with
#: fewer rows than this, gets the one-hot fallback instead.
TARGET_ENCODING_FOLDS = 5

#: What pandas' ``infer_dtype`` calls an object column of numbers: numeric, not categorical.
_NUMERIC_INFERRED = {"integer", "floating", "mixed-integer-float", "decimal", "empty", "boolean"}


def is_pandas(X):
    return isinstance(X, pd.DataFrame)


def is_polars(X):
    return type(X).__module__.split(".")[0] == "polars" and hasattr(X, "schema")


def _pandas_categorical(series):
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return True
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_string_dtype(dtype):
        return False
    if not pd.api.types.is_object_dtype(dtype):
        return True  # pandas' string dtypes
    return pd.api.types.infer_dtype(series, skipna=True) not in _NUMERIC_INFERRED


def _polars_categorical(dtype):
    return type(dtype).__name__ in ("Categorical", "Enum", "String", "Utf8")


def _column_names(X):
    if is_pandas(X) or is_polars(X):
        return [str(name) for name in X.columns]
    return None


def categorical_mask(X, categorical_features):
    """Which columns of X are categorical: a boolean array of shape (n_features,), or None for none.

    ``"from_dtype"``: pandas ``category``, string and text ``object`` columns, and polars
    ``Categorical``, ``Enum`` and ``String`` columns (booleans are numeric); arrays have none. Else
    HistGradientBoosting's forms: a boolean mask, integer indices or feature names, or None.
    """
    if categorical_features is None:
        return None
    from_dtype = isinstance(categorical_features, str) and categorical_features == "from_dtype"
    if sparse.issparse(X):
        if from_dtype:
            return None
        raise ValueError("categorical_features needs dense X (a DataFrame or an array); X is sparse.")
    if from_dtype:
        if is_pandas(X):
            mask = np.array([_pandas_categorical(X.iloc[:, j]) for j in range(X.shape[1])], dtype=bool)
        elif is_polars(X):
            mask = np.array([_polars_categorical(dtype) for dtype in X.dtypes], dtype=bool)
        else:
            return None
        return mask if mask.any() else None
    n_features = X.shape[1] if hasattr(X, "shape") and len(X.shape) == 2 else np.asarray(X, dtype=object).shape[-1]
    spec = np.asarray(categorical_features)
    if spec.size == 0:
        return None
    if spec.ndim != 1:
        raise ValueError(f"categorical_features must be 1-D, got shape {spec.shape}.")
    if spec.dtype.kind == "b":
        if spec.shape[0] != n_features:
            raise ValueError(
                f"categorical_features as a boolean mask needs one entry per feature of X ({n_features}), "
                f"got {spec.shape[0]}."
            )
        mask = spec.copy()
    elif spec.dtype.kind in "iu":
        if spec.min() < 0 or spec.max() >= n_features:
            raise ValueError(
                f"categorical_features holds index {spec.max() if spec.max() >= n_features else spec.min()}, "
                f"outside [0, {n_features - 1}] for X's {n_features} features."
            )
        mask = np.zeros(n_features, dtype=bool)
        mask[spec] = True
    elif spec.dtype.kind in "UO" and all(isinstance(name, str) for name in spec):
        names = _column_names(X)
        if names is None:
            raise ValueError(
                "categorical_features names columns, but X has no column names; pass indices or a boolean "
                "mask, or a DataFrame."
            )
        unknown = [str(name) for name in spec if name not in names]
        if unknown:
            raise ValueError(f"categorical_features names {unknown}, not columns of X ({names}).")
        mask = np.isin(names, spec)
    else:
        raise ValueError(
            f"categorical_features must be 'from_dtype', None, or an array-like of bool, int or str; "
            f"got {categorical_features!r}."
        )
    return mask if mask.any() else None


def target_type(y, continuous, streaming):
    """TargetEncoder's ``target_type`` for this fit, or None where target encoding is not used."""
    y = np.asarray(y)
    if streaming or (y.ndim == 2 and y.shape[1] > 1) or y.shape[0] < TARGET_ENCODING_FOLDS:
        return None
    if continuous:
        return "continuous"
    _, counts = np.unique(y.ravel(), return_counts=True)
    return "auto" if counts.min() >= TARGET_ENCODING_FOLDS else None


def _target_encoder(target_type, random_state):
    """A TargetEncoder cross-fitting over shuffled, seeded folds (stratified for classes)."""
    if "cv_object" in TargetEncoder._parameter_constraints["cv"]:  # scikit-learn >= 1.9
        folds = KFold if target_type == "continuous" else StratifiedKFold
        return TargetEncoder(
            target_type=target_type, cv=folds(TARGET_ENCODING_FOLDS, shuffle=True, random_state=random_state)
        )
    return TargetEncoder(target_type=target_type, cv=TARGET_ENCODING_FOLDS, shuffle=True, random_state=random_state)


def _column(X, j):
    if is_pandas(X):
        return X.iloc[:, j].to_numpy(dtype=object)
    if is_polars(X):
        return X.to_series(j).to_numpy()
    return X[:, j]


def _level(value):
    """A level's name: numbers that are equal name the same level (1, 1.0, np.int64(1) are "1")."""
    if isinstance(value, Real) and not isinstance(value, (bool, np.bool_)):
        value = float(value)
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _levels(values):
    """Object array of level names, with NaN for a missing value."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    names = np.array([_level(value) for value in uniques] + [np.nan], dtype=object)
    return names[codes]


def _floats(values, name):
    try:
        return pd.Series(values, copy=False).to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"X's column {name!r} holds values that are not numbers; name it in categorical_features to "
            "encode it as a categorical column."
        ) from exc


def _float_columns(X, columns, names):
    """X's ``columns`` as one (n_samples, len(columns)) float array, NaN where missing."""
    if is_pandas(X) and len(columns):
        try:
            # One conversion of the whole block: reading the columns one by one took 1.6 ms of a 64-row
            # partial_fit on 20 columns. Where it fails, reading column by column names the column.
            return X.iloc[:, columns].to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):
            pass
    numeric = [_floats(_column(X, j), names[j]) for j in columns]
    return np.column_stack(numeric) if numeric else np.empty((X.shape[0], 0))


def _frame(numeric, levels):
    """One table of the float and the level columns, by position, for the ColumnTransformer."""
    first_level = numeric.shape[1]
    columns = range(first_level, first_level + levels.shape[1])
    return pd.concat([pd.DataFrame(numeric), pd.DataFrame(levels, columns=columns)], axis=1)


def _as_floats(encoded):
    return np.ascontiguousarray(encoded, dtype=np.float64)


class TableEncoder(TransformerMixin, BaseEstimator):
    """Numeric float columns from a raw table: imputed numbers with missing indicators, encoded categories.

    The columns are first read as floats and as level names (with errors naming a bad column), then
    encoded by a scikit-learn ``ColumnTransformer`` (``columns_``) of ``SimpleImputer``,
    ``OneHotEncoder`` and ``TargetEncoder``.

    Parameters
    ----------
    categorical : ndarray of bool of shape (n_features,) or None
        Which columns are categorical.
    target_type : {"continuous", "auto"} or None
        TargetEncoder's target type for columns of more than ``ONEHOT_MAX_LEVELS`` levels; None
        one-hot encodes their most frequent levels instead.
    random_state : int, RandomState instance or None
        Seeds the TargetEncoder's cross-fitting folds.
    """

    def __init__(self, categorical=None, target_type=None, random_state=None):
        self.categorical = categorical
        self.target_type = target_type
        self.random_state = random_state

    def _split(self, X):
        """``(numeric, categorical)``: float and object 2-D arrays of X's columns."""
        if not (is_pandas(X) or is_polars(X)):
            X = np.asarray(X, dtype=None if isinstance(X, np.ndarray) else object)
        numeric = _float_columns(X, self.numeric_columns_, self.names_)
        levels = [_levels(_column(X, j)) for j in self.categorical_columns_]
        n = X.shape[0]
        if np.isinf(numeric).any():
            column = self.numeric_columns_[int(np.flatnonzero(np.isinf(numeric).any(axis=0))[0])]
            raise ValueError(
                f"X's column {self.names_[column]!r} holds infinity; replace it by a finite value, or by NaN "
                "for a missing value (imputed, with a missing indicator)."
            )
        return numeric, np.column_stack(levels) if levels else np.empty((n, 0), dtype=object)

    def fit_transform(self, X, y=None):
        n_features = X.shape[1] if hasattr(X, "shape") else np.asarray(X, dtype=object).shape[1]
        mask = np.zeros(n_features, dtype=bool) if self.categorical is None else np.asarray(self.categorical)
        self.names_ = _column_names(X) or [f"x{j}" for j in range(n_features)]
        self.numeric_columns_ = np.flatnonzero(~mask)
        self.categorical_columns_ = np.flatnonzero(mask)
        numeric, levels = self._split(X)
        n_levels = np.array([len(pd.unique(column)) for column in levels.T], dtype=int)
        self.onehot_columns_ = np.flatnonzero(n_levels <= ONEHOT_MAX_LEVELS)
        self.many_level_columns_ = np.flatnonzero(n_levels > ONEHOT_MAX_LEVELS)
        first_level = numeric.shape[1]
        parts, target = [], None
        if first_level:
            imputer = SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)
            parts.append(("numbers", imputer, list(range(first_level))))
        if self.onehot_columns_.size:
            onehot = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
            parts.append(("levels", onehot, list(first_level + self.onehot_columns_)))
        if self.many_level_columns_.size:
            if self.target_type is None:
                many = OneHotEncoder(
                    handle_unknown="infrequent_if_exist", max_categories=ONEHOT_MAX_LEVELS, sparse_output=False
                )
            else:
                many, target = _target_encoder(self.target_type, self.random_state), np.asarray(y).ravel()
            parts.append(("many_levels", many, list(first_level + self.many_level_columns_)))
        self.columns_ = ColumnTransformer(parts, sparse_threshold=0, verbose_feature_names_out=False)
        self.n_features_in_ = n_features
        # A TargetEncoder cross-fits inside fit_transform: each training row is encoded with other folds' statistics.
        return _as_floats(self.columns_.fit_transform(_frame(numeric, levels), target))

    def fit(self, X, y=None):
        self.fit_transform(X, y)
        return self

    def transform(self, X):
        return _as_floats(self.columns_.transform(_frame(*self._split(X))))

    def _fitted(self, name):
        return self.columns_.named_transformers_.get(name)

    @property
    def imputer_(self):
        """The fitted ``SimpleImputer`` (median, with missing indicators) of the numeric columns, or None."""
        return self._fitted("numbers")

    @property
    def onehot_(self):
        """The fitted ``OneHotEncoder`` of the categorical columns of few levels, or None."""
        return self._fitted("levels")

    @property
    def many_levels_(self):
        """The fitted ``TargetEncoder`` (or capped ``OneHotEncoder``) of the many-level columns, or None."""
        return self._fitted("many_levels")

    def get_feature_names_out(self, input_features=None):
        """Names of the encoded columns: numeric, missing indicators, one-hot levels, target encodings."""
        names = np.asarray(self.names_, dtype=object)
        ordered = np.concatenate([names[self.numeric_columns_], names[self.categorical_columns_]])
        return np.asarray(self.columns_.get_feature_names_out(ordered), dtype=object)

    @property
    def is_categorical_(self):
        """Boolean mask of the raw columns encoded as categorical."""
        mask = np.zeros(self.n_features_in_, dtype=bool)
        mask[self.categorical_columns_] = True
        return mask
