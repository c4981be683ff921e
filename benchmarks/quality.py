"""Out-of-the-box quality: skstab's defaults against scikit-learn's MLP defaults.

Every model sees the same features, ``make_pipeline(FeatureAligner(), model)``,
and the same folds: 5-fold cross-validation (stratified for classification),
shuffled with the seed that also seeds both models. The score of one seed is
the mean over its folds; the table reports the mean and standard deviation of
that score over seeds. Regressors predict a target standardized by
``TransformedTargetRegressor(..., transformer=StandardScaler())``, because the
diabetes target has a scale of about 100. Fits run one at a time (``n_jobs=1``)
and BLAS runs on one thread (``--blas-threads``, default 1): skstab's 32-row
batches are too small for OpenBLAS to go multithreaded while scikit-learn's
200-row batches are not, and on a busy 2-core machine the threaded path made
scikit-learn's fits several times slower, so leaving BLAS alone would time
the machine's load rather than the libraries.

ConvergenceWarning is silenced and counted: the table reports how many fits
warned for each library. Any other warning is passed on.

Usage::

    python benchmarks/quality.py                      # 5 seeds, all datasets
    python benchmarks/quality.py --seeds 2 --datasets wine diabetes
    python benchmarks/quality.py --blas-threads 0     # leave BLAS threading alone
"""

import argparse
import json
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from _common import Dataset, environment
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skstab import FeatureAligner, StabilizedMLPClassifier, StabilizedMLPRegressor

N_SPLITS = 5
LIBRARIES = ("skstab", "sklearn")
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results" / "quality.json"


DATASETS = {
    d.name: d
    for d in [
        Dataset("breast_cancer", load_breast_cancer, "classification"),
        Dataset("digits", load_digits, "classification"),
        Dataset("wine", load_wine, "classification"),
        Dataset("diabetes", load_diabetes, "regression"),
    ]
}


@dataclass
class LibraryResult:
    """Scores of one library on one dataset, over all seeds."""

    seed_scores: list = field(default_factory=list)  # mean CV score of each seed
    fold_scores: list = field(default_factory=list)  # one list of fold scores per seed
    fit_time_s: float = 0.0
    n_fits: int = 0
    warned_fits: int = 0

    @property
    def mean(self):
        return float(np.mean(self.seed_scores))

    @property
    def std(self):
        return float(np.std(self.seed_scores))

    def to_dict(self):
        return {**asdict(self), "mean": self.mean, "std": self.std}


# -- models and folds ---------------------------------------------------------------------


def make_model(library, task, seed):
    """The library's default estimator, seeded, behind a FeatureAligner."""
    if task == "classification":
        cls = StabilizedMLPClassifier if library == "skstab" else MLPClassifier
        return make_pipeline(FeatureAligner(), cls(random_state=seed))
    cls = StabilizedMLPRegressor if library == "skstab" else MLPRegressor
    regressor = TransformedTargetRegressor(cls(random_state=seed), transformer=StandardScaler())
    return make_pipeline(FeatureAligner(), regressor)


def make_cv(task, seed):
    cls = StratifiedKFold if task == "classification" else KFold
    return cls(n_splits=N_SPLITS, shuffle=True, random_state=seed)


# -- one fit, one seed, one dataset ----------------------------------------------------------


def fit_and_score(model, X_train, y_train, X_test, y_test):
    """Fit a clone of ``model``; return (score, fit seconds, whether it warned of convergence).

    ConvergenceWarning is swallowed and reported through the flag; every other
    warning is re-emitted once the fit is done.
    """
    model = clone(model)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        model.fit(X_train, y_train)
        fit_time = time.perf_counter() - start
        score = model.score(X_test, y_test)
    warned = False
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            warned = True
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return float(score), fit_time, warned


def run_seed(library, dataset, X, y, seed, result):
    """Cross-validate one library on one dataset with one seed; accumulate into ``result``."""
    model = make_model(library, dataset.task, seed)
    scores = []
    for train, test in make_cv(dataset.task, seed).split(X, y):
        score, fit_time, warned = fit_and_score(model, X[train], y[train], X[test], y[test])
        scores.append(score)
        result.fit_time_s += fit_time
        result.n_fits += 1
        result.warned_fits += warned
    result.fold_scores.append(scores)
    result.seed_scores.append(float(np.mean(scores)))


def run_dataset(dataset, seeds):
    """Both libraries on one dataset over all seeds: a JSON-ready summary."""
    X, y = dataset.loader(return_X_y=True)
    results = {library: LibraryResult() for library in LIBRARIES}
    for seed in seeds:
        for library in LIBRARIES:
            run_seed(library, dataset, X, y, seed, results[library])
    return {
        "dataset": dataset.name,
        "task": dataset.task,
        "metric": dataset.metric,
        "n_samples": int(X.shape[0]),
        "n_features": int(X.shape[1]),
        "libraries": {library: r.to_dict() for library, r in results.items()},
        "difference": results["skstab"].mean - results["sklearn"].mean,
    }


# -- reporting -------------------------------------------------------------------------------

COLUMNS = [
    ("dataset", "<"),
    ("metric", "<"),
    ("skstab", ">"),
    ("sklearn", ">"),
    ("diff", ">"),
    ("skstab fit s", ">"),
    ("sklearn fit s", ">"),
    ("skstab warned", ">"),
    ("sklearn warned", ">"),
]


def table_rows(rows):
    """The table's cells, as strings, one list per dataset."""
    cells = []
    for row in rows:
        lib = row["libraries"]
        cells.append(
            [
                row["dataset"],
                row["metric"],
                *(f"{lib[name]['mean']:.4f} ± {lib[name]['std']:.4f}" for name in LIBRARIES),
                f"{row['difference']:+.4f}",
                *(f"{lib[name]['fit_time_s']:.1f}" for name in LIBRARIES),
                *(f"{lib[name]['warned_fits']}/{lib[name]['n_fits']}" for name in LIBRARIES),
            ]
        )
    return cells


def format_table(rows):
    """One aligned text table of the results."""
    header = [name for name, _ in COLUMNS]
    body = table_rows(rows)
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def line(cells):
        return "  ".join(f"{cell:{align}{width}}" for cell, (_, align), width in zip(cells, COLUMNS, widths)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in body)])


def write_json(path, seeds, blas_threads, rows, table):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "description": (
            "Mean 5-fold CV score (accuracy or R^2) of the library defaults, "
            "mean and std over seeds; fit times in seconds summed over all fits."
        ),
        "seeds": list(seeds),
        "n_splits": N_SPLITS,
        "blas_threads": blas_threads or "library default",
        "environment": environment(),
        "results": rows,
        "table": table.splitlines(),
    }
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


# -- command line ----------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seeds",
        type=int,
        default=5,
        help="number of seeds (0, 1, ..., SEEDS-1); each seeds the CV shuffle and the models",
    )
    parser.add_argument(
        "--datasets",
        nargs="+",
        choices=list(DATASETS),
        default=list(DATASETS),
        metavar="NAME",
        help=f"datasets to run (default: all of {', '.join(DATASETS)})",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="JSON file for the results (default: benchmarks/results/quality.json)",
    )
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=1,
        help="BLAS/OpenMP threads for every fit; 0 leaves the library default (default: 1)",
    )
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    if args.blas_threads < 0:
        parser.error("--blas-threads must be at least 0")
    return args


def main(argv=None):
    args = parse_args(argv)
    seeds = range(args.seeds)
    start = time.perf_counter()
    with threadpool_limits(limits=args.blas_threads or None):
        rows = [run_dataset(DATASETS[name], seeds) for name in args.datasets]
    table = format_table(rows)
    write_json(args.output, seeds, args.blas_threads, rows, table)
    threads = args.blas_threads or "default"
    print(
        f"Library defaults, {N_SPLITS}-fold CV, mean ± std over {args.seeds} seed(s), "
        f"n_jobs=1, BLAS threads: {threads}; diff = skstab - sklearn; fit s = total fit "
        "time; warned = fits with a ConvergenceWarning / all fits."
    )
    print(table)
    print(f"\nWrote {args.output} ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
