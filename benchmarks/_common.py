"""Pieces the benchmark scripts share: models, fits, parallel runs, tables, command line, records."""

import argparse
import importlib
import importlib.metadata
import json
import platform
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from _datasets import (
    DEFAULT_TABLES,
    TABLE_GROUPS,
    TABLES,
    categorical_columns,
    make_numeric_imputer,
    make_preprocessor,
    native_categoricals,
)
from joblib import Parallel, delayed
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from threadpoolctl import threadpool_limits

import skstab
from skstab import StabilizedMLPClassifier, StabilizedMLPRegressor

RESULTS = Path(__file__).resolve().parent / "results"

# -- models ----------------------------------------------------------------------------------

ESTIMATORS = {
    ("skstab", "classification"): StabilizedMLPClassifier,
    ("skstab", "regression"): StabilizedMLPRegressor,
    ("sklearn", "classification"): MLPClassifier,
    ("sklearn", "regression"): MLPRegressor,
    ("hgb", "classification"): HistGradientBoostingClassifier,
    ("hgb", "regression"): HistGradientBoostingRegressor,
}
MLP_LIBRARIES = ("skstab", "sklearn")
#: Libraries given categorical columns natively (DEV_SUITE.md: the competition's defaults, categoricals
#: native); the MLPs get the shared one-hot preprocessing instead.
NATIVE_LIBRARIES = ("hgb", "catboost", "lightgbm", "realmlp")
#: Competitors that are benchmark-only installs, never dependencies of skstab: library -> module.
OPTIONAL_LIBRARIES = {"catboost": "catboost", "lightgbm": "lightgbm", "realmlp": "pytabkit"}
#: What CatBoost sees in a missing categorical cell: it refuses NaN among categories.
CATBOOST_MISSING = "<missing>"


def metric(task):
    return "accuracy" if task == "classification" else "r2"


def library_available(library):
    """Whether ``library``'s package can be imported (always true for the non-optional ones)."""
    if library not in OPTIONAL_LIBRARIES:
        return True
    try:
        importlib.import_module(OPTIONAL_LIBRARIES[library])
    except ImportError:
        return False
    return True


def estimator(library, task, seed, params=None, categorical=()):
    """The library's default estimator, seeded, with ``params`` overriding its defaults.

    A skstab override the estimator does not have (``label_smoothing`` for a
    regressor) is left out, so that one variant can cover both tasks. The
    other settings below are no modelling choices: they pin each competitor
    to one thread (folds run in parallel processes), silence its logging,
    and name the categorical columns where the library wants them named
    (``categorical``, CatBoost's ``cat_features``).
    """
    params = dict(params or {})
    classification = task == "classification"
    if library == "realmlp":
        from pytabkit import RealMLP_TD_Classifier, RealMLP_TD_Regressor

        cls = RealMLP_TD_Classifier if classification else RealMLP_TD_Regressor
        return cls(random_state=seed, n_threads=1, device="cpu", **params)
    if library == "catboost":
        from catboost import CatBoostClassifier, CatBoostRegressor

        cls = CatBoostClassifier if classification else CatBoostRegressor
        # allow_writing_files=False: no catboost_info/ directory in the working directory.
        return cls(
            random_seed=seed,
            verbose=0,
            thread_count=1,
            allow_writing_files=False,
            cat_features=list(categorical) or None,
            **params,
        )
    if library == "lightgbm":
        from lightgbm import LGBMClassifier, LGBMRegressor

        cls = LGBMClassifier if classification else LGBMRegressor
        # pandas category columns are LightGBM's native categoricals (categorical_feature="auto").
        return cls(random_state=seed, verbose=-1, n_jobs=1, **params)
    cls = ESTIMATORS[library, task]
    if library == "skstab":
        params = {key: value for key, value in params.items() if key in cls().get_params()}
    if library == "hgb":
        params.setdefault("categorical_features", "from_dtype")
    return cls(random_state=seed, **params)


def default_lr(library, task, params=None):
    """The ``learning_rate_init`` a default estimator of ``library`` uses (``params`` may override it)."""
    return float(estimator(library, task, 0, params).learning_rate_init)


def model_input(library, X):
    """``X`` as ``library``'s model takes it: native categoricals for NATIVE_LIBRARIES, else as it is.

    Apply to the whole (capped) table before splitting, so that every fold shares one category coding.
    """
    return native_categoricals(X) if library in NATIVE_LIBRARIES else X


def _catboost_strings(X):
    X = X.copy()
    for column in categorical_columns(X):
        X[column] = X[column].astype(object).where(X[column].notna(), CATBOOST_MISSING).astype(str)
    return X


def make_model(library, task, X, seed, params=None, *, scale_features=None, scale_target=None):
    """``library``'s seeded estimator behind the preprocessing its kind of model gets.

    skstab takes ``X`` raw, as a user passes a DataFrame (its
    ``categorical_features="from_dtype"`` encodes categorical columns and
    missing cells inside the model); a skstab variant with
    ``categorical_features=None``, scikit-learn's MLP (and any library not in
    NATIVE_LIBRARIES) get the shared preprocessing of ``X``'s columns. By default (DEV_SUITE.md) only
    scikit-learn's MLP gets a ``StandardScaler`` for its features and, in
    regression, a ``TransformedTargetRegressor`` that standardizes its target;
    the other models get the preprocessed features and the raw target.
    ``scale_features`` / ``scale_target`` override that.

    The native models take ``model_input(library, X)``: HistGradientBoosting
    and LightGBM as it is (categories and missing cells native), CatBoost with
    its categorical cells as strings (a missing one as ``CATBOOST_MISSING``),
    RealMLP-TD with numeric columns mean-imputed (it refuses missing numbers).
    """
    if library == "skstab" and (params or {}).get("categorical_features", "from_dtype") is not None:
        # A user's raw DataFrame: skstab encodes its categorical columns and missing cells itself.
        return Pipeline([("model", estimator(library, task, seed, params))])
    if library in NATIVE_LIBRARIES:
        steps = []
        if library == "catboost":
            steps.append(("strings", FunctionTransformer(_catboost_strings)))
        if library == "realmlp":
            steps.append(("impute", make_numeric_imputer(X)))
        steps.append(("model", estimator(library, task, seed, params, categorical_columns(X))))
        return Pipeline(steps)
    if scale_features is None:
        scale_features = library == "sklearn"
    if scale_target is None:
        scale_target = library == "sklearn"
    steps = [("preprocess", make_preprocessor(X))]
    if scale_features:
        steps.append(("scale", StandardScaler()))
    model = estimator(library, task, seed, params)
    if scale_target and task == "regression":
        model = TransformedTargetRegressor(regressor=model, transformer=StandardScaler())
    steps.append(("model", model))
    return Pipeline(steps)


def final_estimator(model):
    """The fitted estimator at the end of ``make_model``'s pipeline (inside the target transformer)."""
    model = model[-1]
    return model.regressor_ if isinstance(model, TransformedTargetRegressor) else model


# -- fits --------------------------------------------------------------------------------------


def fit_and_score(model, X_train, y_train, X_test, y_test):
    """Fit and score ``model``; a JSON-ready record. Never raises for a failed fit.

    Every warning is silenced and counted by class. A fit that raises, or whose
    score is not finite, leaves ``score`` None and names the reason in ``error``.
    """
    record = {"score": None, "error": None, "fit_time_s": None}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        try:
            model.fit(X_train, y_train)
            record["fit_time_s"] = time.perf_counter() - start
            score = float(model.score(X_test, y_test))
            if np.isfinite(score):
                record["score"] = score
            else:
                record["error"] = "NonFiniteScore"
        except Exception as exc:  # a failed fit is a result here, not a crash
            record["error"] = type(exc).__name__
    record["warnings"] = dict(Counter(w.category.__name__ for w in caught))
    return record


def _one_blas_thread(function, args):
    with threadpool_limits(limits=1):
        return function(*args)


def run_parallel(function, tasks, n_jobs):
    """``[function(*task) for task in tasks]`` in ``n_jobs`` processes, BLAS limited to one thread each."""
    return Parallel(n_jobs=n_jobs)(delayed(_one_blas_thread)(function, task) for task in tasks)


def mean_or_none(values):
    """Mean of the values that are not None; None if there are none."""
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


def std_or_none(values):
    values = [v for v in values if v is not None]
    return float(np.std(values)) if values else None


# -- reporting ---------------------------------------------------------------------------------


def fmt(value, digits=4):
    """A score or a share, '-' for missing."""
    return "-" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def format_table(header, rows, left=1):
    """An aligned text table: the first ``left`` columns left-aligned, the rest right-aligned."""
    rows = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells):
        return "  ".join(c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)])


def environment():
    """Versions and machine, stored beside every benchmark result."""
    return {
        "skstab": skstab.__version__,
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        # numba (skstab's "fast" extra: accelerator="auto" depends on it) and the benchmark-only
        # competitors, where installed (read from metadata: nothing is imported).
        **{package: _installed_version(package) for package in ("numba", "catboost", "lightgbm", "pytabkit", "torch")},
    }


def _installed_version(package):
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def write_json(path, payload):
    """Write ``payload`` plus the environment record to ``path`` (parents created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**payload, "environment": environment()}, indent=2) + "\n", encoding="utf-8")


class Stopwatch:
    """Wall time of a ``with`` block, in ``seconds``."""

    def __enter__(self):
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self._start


# -- command line ------------------------------------------------------------------------------


def json_object(text):
    """argparse type: a JSON object (dict of parameter overrides)."""
    value = json.loads(text)
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"expected a JSON object, got {text!r}")
    return value


def add_common_arguments(parser, *, seeds, cap, output, n_jobs=2, tables=DEFAULT_TABLES):
    """``--tables``, ``--seeds``, ``--cap``, ``--n-jobs`` and ``--output`` with this script's defaults.

    ``--tables`` takes table names and group names (``TABLE_GROUPS``: all,
    first, midsize); :func:`check_common_arguments` expands the groups.
    """
    groups = ", ".join(f"{group} ({len(names)})" for group, names in TABLE_GROUPS.items())
    parser.add_argument(
        "--tables",
        nargs="+",
        choices=[*TABLES, *TABLE_GROUPS],
        default=list(tables),
        metavar="NAME",
        help=f"dev-suite tables or groups (default: {len(tables)} tables; groups: {groups}; "
        f"tables: {', '.join(TABLES)})",
    )
    parser.add_argument("--seeds", type=int, default=seeds, help=f"number of seeds 0..SEEDS-1 (default: {seeds})")
    parser.add_argument(
        "--cap",
        type=int,
        default=cap,
        help=f"rows kept per table (subsample, stratified for classification; default: {cap:,})",
    )
    parser.add_argument("--n-jobs", type=int, default=n_jobs, help=f"processes, BLAS 1 thread each (default: {n_jobs})")
    parser.add_argument(
        "--output",
        type=Path,
        default=RESULTS / output,
        help=f"JSON file with every fit's record (default: benchmarks/results/{output})",
    )


def check_common_arguments(parser, args):
    """Check the common arguments and expand the table groups of ``--tables`` (first mention wins)."""
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    if args.cap < 10:
        parser.error("--cap must be at least 10")
    if args.n_jobs == 0:
        parser.error("--n-jobs must not be 0")
    names = [table for name in args.tables for table in TABLE_GROUPS.get(name, (name,))]
    args.tables = list(dict.fromkeys(names))
