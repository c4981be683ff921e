"""The development suite as benchmarks use it: 25 tables (DEV_SUITE.md), capped and preprocessed.

The loaders live in :mod:`_tables`; each returns ``(X, y, task)`` with the raw
features of one table. This module names the tables and their groups, caps a
table with :func:`cap_rows` (stratified ``train_test_split(train_size=cap,
random_state=0)`` for classification, plain for regression) and prepares
features in one of two ways:

* :func:`make_preprocessor`, the preprocessing shared by the MLPs
  (imputation and one-hot encoding; no scaler, which is each model's own
  business);
* :func:`native_categoricals`, for models that take categorical columns
  natively (gradient boosting, RealMLP-TD): every categorical column becomes
  a pandas ``category`` with its levels fixed on the whole capped table, so
  that every fold's train and test parts share one coding.

A column is categorical when it is not numeric or is bool (object, string and
``category`` columns); integer-coded categoricals are typed ``category`` by
their loaders.
"""

from functools import cache, lru_cache

import numpy as np
import pandas as pd
from _tables import CLASSIFICATION, FIRST_ROUND, MIDSIZE
from pandas.api.types import is_bool_dtype, is_numeric_dtype
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder

#: Rows kept for accuracy sweeps (DEV_SUITE.md).
DEFAULT_CAP = 12_000
#: Tables at least this large (before the cap) are where defaults are decided (issue 22).
MIDSIZE_ROWS = 1_500

#: Every table of the development suite, by name.
TABLES = {**FIRST_ROUND, **MIDSIZE}
#: The large streaming table: in TABLES, but not in the default selection of the older sweeps.
LARGE_TABLES = ("flights",)
#: The first round without the large table: the stability sweep's default selection.
DEFAULT_TABLES = tuple(name for name in FIRST_ROUND if name not in LARGE_TABLES)
#: Names ``--tables`` accepts for a group of tables.
TABLE_GROUPS = {
    "all": tuple(TABLES),
    "first": tuple(FIRST_ROUND),
    "midsize": tuple(MIDSIZE),
}


def cap_rows(X, y, task, cap=DEFAULT_CAP):
    """At most ``cap`` rows: ``train_test_split(train_size=cap, random_state=0)``, stratified for classification."""
    if cap is None or len(X) <= cap:
        return X, y
    stratify = y if task == CLASSIFICATION else None
    X, _, y, _ = train_test_split(X, y, train_size=cap, random_state=0, stratify=stratify)
    return X, y


@cache
def _load_full(name):
    # Cached apart from the capped tables so that table_facts and load_table read a file once per process.
    return TABLES[name]()


@lru_cache(maxsize=4)
def load_table(name, cap=DEFAULT_CAP):
    """``(X, y, task)`` of one table capped at ``cap`` rows; cached, so do not modify the result."""
    X, y, task = _load_full(name)
    X, y = cap_rows(X, y, task, cap)
    return X.reset_index(drop=True), np.asarray(y), task


def categorical_columns(X):
    """Names of ``X``'s categorical columns: every column that is not numeric, and bool columns."""
    return [c for c in X.columns if not is_numeric_dtype(X[c]) or is_bool_dtype(X[c])]


@cache
def table_facts(name):
    """Rows (before any cap), features, categorical columns and task of one table."""
    X, _, task = _load_full(name)
    return {
        "rows": len(X),
        "features": X.shape[1],
        "categorical": len(categorical_columns(X)),
        "task": task,
    }


def native_categoricals(X):
    """A copy of ``X`` whose categorical columns are pandas ``category``, levels fixed on all of ``X``.

    Missing cells stay missing. The levels come from every row of the capped
    table, the test folds' too: they carry no target information, and one
    coding for every fold keeps gradient boosting's category codes aligned.
    """
    X = X.copy()
    for column in categorical_columns(X):
        values = X[column]
        if not isinstance(values.dtype, pd.CategoricalDtype):
            # bool and string levels alike, as strings: CatBoost rejects bool categories.
            values = values.astype(object).where(values.notna()).map(str, na_action="ignore")
            X[column] = values.astype("category")
    return X


def _float64_c(X):
    return np.ascontiguousarray(X, dtype=np.float64)


def make_preprocessor(X) -> Pipeline:
    """The preprocessing shared by the MLPs: imputation and one-hot encoding, no scaling.

    Numeric columns are imputed with their mean; categorical, object and bool
    columns with their most frequent value and then one-hot encoded (unknown
    categories ignored). The output is a float64 C-contiguous array.
    """
    categorical = categorical_columns(X)
    numeric = [c for c in X.columns if c not in categorical]
    columns = ColumnTransformer(
        [
            ("numeric", SimpleImputer(strategy="mean"), numeric),
            (
                "categorical",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ),
                categorical,
            ),
        ],
        sparse_threshold=0.0,
    )
    return make_pipeline(columns, FunctionTransformer(_float64_c))


def make_numeric_imputer(X) -> ColumnTransformer:
    """Mean imputation of ``X``'s numeric columns, categorical columns passed through as they are.

    For RealMLP-TD, which takes categorical columns natively but refuses
    missing numbers. The output is a DataFrame with ``X``'s column names.
    """
    categorical = categorical_columns(X)
    numeric = [c for c in X.columns if c not in categorical]
    imputer = ColumnTransformer(
        [("numeric", SimpleImputer(strategy="mean"), numeric)],
        remainder="passthrough",
        verbose_feature_names_out=False,
    )
    return imputer.set_output(transform="pandas")
