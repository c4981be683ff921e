"""Learning-rate robustness: skstab's defaults against scikit-learn's MLP over a range of rates.

Each library keeps its defaults except ``learning_rate_init``, which runs
over 1e-4 to 1 in half-decade steps (1e-4, 3.16e-4, 1e-3, ..., 1). For every
seed there is one train/test split (test_size 0.25, stratified for
classification) and the seed also seeds the model. Datasets: ``load_digits``
(accuracy) and ``load_diabetes`` (R^2 of a target standardized by
``TransformedTargetRegressor(..., transformer=StandardScaler())`` for both
libraries), each with raw features and with ``FeatureAligner`` first in a
pipeline. scikit-learn runs its default solver, Adam.

For every (dataset, scaling, library, learning rate) the table reports:

* ``finite``: share of fits that ended with finite weights; a fit that raises
  counts as not finite, and the JSON records the exception type;
* ``mean``: mean test score over the fits with finite weights;
* ``w2%``: share of all fits whose score is within 2% of the best one, where
  best is the highest ``mean`` over the learning rates of that library,
  dataset and scaling, and within means ``score >= best - 0.02 * |best|``.

Below each table, the mean and standard deviation over seeds at each
library's default learning rate (fitted separately when the grid misses it),
and the number of fits that warned, by warning class. Every warning is
silenced and counted; ConvergenceWarning is the usual one.

Fits are independent: they run in ``--n-jobs`` processes, each with BLAS
limited to one thread, so two jobs on two cores do not oversubscribe.

Usage::

    python benchmarks/stability.py                    # 5 seeds, both datasets
    python benchmarks/stability.py --seeds 2 --datasets digits
    python benchmarks/stability.py --lrs 0.001 0.01 0.1 --n-jobs 1
"""

import argparse
import json
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
from _common import Dataset, environment
from joblib import Parallel, delayed
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes, load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skstab import FeatureAligner, StabilizedMLPClassifier, StabilizedMLPRegressor

LIBRARIES = ("skstab", "sklearn")
SCALINGS = ("raw", "aligned")
#: 1e-4 to 1 in half-decade steps: 9 learning rates.
DEFAULT_LRS = tuple(float(10.0**exponent) for exponent in np.arange(-4.0, 0.25, 0.5))
#: "Within 2%" of the best mean score: score >= best - WITHIN * |best|.
WITHIN = 0.02
TEST_SIZE = 0.25
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results" / "stability.json"


DATASETS = {
    d.name: d
    for d in [
        Dataset("digits", load_digits, "classification"),
        Dataset("diabetes", load_diabetes, "regression"),
    ]
}

ESTIMATORS = {
    ("skstab", "classification"): StabilizedMLPClassifier,
    ("skstab", "regression"): StabilizedMLPRegressor,
    ("sklearn", "classification"): MLPClassifier,
    ("sklearn", "regression"): MLPRegressor,
}


def default_lr(library, task):
    """The library's own default ``learning_rate_init``, read from the estimator."""
    return float(ESTIMATORS[library, task]().learning_rate_init)


# -- one fit ---------------------------------------------------------------------------------


def load_split(name, seed):
    """The train/test split of one seed (loading takes milliseconds; fits take seconds)."""
    dataset = DATASETS[name]
    X, y = dataset.loader(return_X_y=True)
    stratify = y if dataset.task == "classification" else None
    return train_test_split(X, y, test_size=TEST_SIZE, random_state=seed, stratify=stratify)


def make_model(library, task, scaling, lr, seed):
    """The library's default estimator with ``learning_rate_init=lr``, seeded."""
    model = ESTIMATORS[library, task](learning_rate_init=lr, random_state=seed)
    if task == "regression":
        model = TransformedTargetRegressor(regressor=model, transformer=StandardScaler())
    return make_pipeline(FeatureAligner(), model) if scaling == "aligned" else model


def fitted_network(model):
    """The fitted MLP inside a pipeline and/or TransformedTargetRegressor."""
    if isinstance(model, Pipeline):
        model = model[-1]
    if isinstance(model, TransformedTargetRegressor):
        model = model.regressor_
    return model


def weights_finite(mlp):
    """Whether every learned array of the fitted MLP is finite."""
    arrays = list(mlp.coefs_) + list(mlp.intercepts_)
    net = getattr(mlp, "net_", None)  # skstab: all parameters, normalization included
    if net is not None:
        arrays.append(net.params)
    return all(np.isfinite(a).all() for a in arrays)


def run_fit(dataset_name, scaling, library, lr, seed):
    """Fit and score one model; return a JSON-ready record. Never raises for a failed fit."""
    dataset = DATASETS[dataset_name]
    X_train, X_test, y_train, y_test = load_split(dataset_name, seed)
    model = make_model(library, dataset.task, scaling, lr, seed)
    record = {
        "dataset": dataset_name,
        "scaling": scaling,
        "library": library,
        "lr": lr,
        "seed": seed,
        "finite": False,
        "score": None,
        "error": None,
        "n_iter": None,
    }
    start = time.perf_counter()
    with threadpool_limits(limits=1), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model.fit(X_train, y_train)
            mlp = fitted_network(model)
            record["n_iter"] = int(mlp.n_iter_)
            record["finite"] = bool(weights_finite(mlp))
            if record["finite"]:
                score = float(model.score(X_test, y_test))
                if np.isfinite(score):
                    record["score"] = score
                else:
                    record["finite"], record["error"] = False, "NonFiniteScore"
        except Exception as exc:  # a failed fit is a result here, not a crash
            record["finite"], record["error"] = False, type(exc).__name__
    record["fit_time_s"] = time.perf_counter() - start
    record["warnings"] = dict(Counter(w.category.__name__ for w in caught))
    return record


# -- summaries -------------------------------------------------------------------------------


def summarize_cell(records):
    """Statistics of the fits of one (dataset, scaling, library, lr)."""
    scores = [r["score"] for r in records if r["score"] is not None]
    warned = Counter()
    for r in records:
        warned.update(r["warnings"].keys())  # fits that warned, by class
    return {
        "n_fits": len(records),
        "finite_share": sum(r["finite"] for r in records) / len(records),
        "mean": float(np.mean(scores)) if scores else None,
        "std": float(np.std(scores)) if scores else None,
        "scores": [r["score"] for r in records],
        "errors": dict(Counter(r["error"] for r in records if r["error"])),
        "warned_fits": dict(warned),
        "fit_time_s": float(np.mean([r["fit_time_s"] for r in records])),
    }


def summarize(records, lrs):
    """Nest the records: dataset -> scaling -> library -> per-lr cells, best and default."""
    groups = {}
    for r in records:
        key = (r["dataset"], r["scaling"], r["library"])
        groups.setdefault(key, {}).setdefault(r["lr"], []).append(r)
    results = {}
    for (name, scaling, library), by_lr in groups.items():
        task = DATASETS[name].task
        cells = {lr: summarize_cell(by_lr[lr]) for lr in lrs if lr in by_lr}
        means = {lr: c["mean"] for lr, c in cells.items() if c["mean"] is not None}
        best_lr = max(means, key=means.get) if means else None
        best = means.get(best_lr)
        threshold = np.inf if best is None else best - WITHIN * abs(best)
        for cell in cells.values():
            near = [s for s in cell["scores"] if s is not None and s >= threshold]
            cell["within_2pct_share"] = len(near) / cell["n_fits"]
        lr0 = default_lr(library, task)
        warned = Counter()
        for cell in cells.values():
            warned.update(cell["warned_fits"])
        results.setdefault(name, {}).setdefault(scaling, {})[library] = {
            "lrs": [{"lr": lr, **cell} for lr, cell in cells.items()],
            "best_lr": best_lr,
            "best_mean": best,
            "default_lr": lr0,
            "default": summarize_cell(by_lr[lr0]),
            "warned_fits": dict(warned),
            "n_fits": sum(c["n_fits"] for c in cells.values()),
        }
    return results


# -- reporting -------------------------------------------------------------------------------


def fmt_score(value):
    if value is None:
        return "-"
    return f"{value:.4f}" if abs(value) < 100 else f"{value:.3g}"


def format_table(summary, lrs):
    """One aligned text table for one dataset."""
    groups = [(s, lib) for s in SCALINGS for lib in LIBRARIES if lib in summary.get(s, {})]
    header = ["lr"] + [f"{s}: {lib}" for s, lib in groups]
    sub = [""] + ["finite    mean   w2%" for _ in groups]
    body = []
    for i, lr in enumerate(lrs):
        row = [f"{lr:.3g}"]
        for scaling, library in groups:
            cell = summary[scaling][library]["lrs"][i]
            finite, near = cell["finite_share"], cell["within_2pct_share"]
            row.append(f"{finite:6.2f} {fmt_score(cell['mean']):>7} {near:5.2f}")
        body.append(row)
    best, default = ["best"], ["default"]
    for scaling, library in groups:
        group = summary[scaling][library]
        best_lr = group["best_lr"]
        best.append("-" if best_lr is None else f"{fmt_score(group['best_mean'])} @ {best_lr:.3g}")
        mean, std = fmt_score(group["default"]["mean"]), group["default"]["std"] or 0.0
        default.append(f"{mean} ± {std:.4f} @ {group['default_lr']:.3g}")
    rows = [header, sub, *body, best, default]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]

    def line(cells):
        return "  ".join(f"{c:>{w}}" for c, w in zip(cells, widths)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    out = [line(header), line(sub), rule, *(line(r) for r in body), rule, line(best), line(default)]
    for scaling, library in groups:
        group = summary[scaling][library]
        errors = Counter()
        for cell in group["lrs"]:
            errors.update(cell["errors"])
        warned = ", ".join(f"{k} {v}" for k, v in sorted(group["warned_fits"].items())) or "none"
        failed = ", ".join(f"{k} {v}" for k, v in sorted(errors.items())) or "none"
        out.append(f"  {scaling}: {library}: fits that warned (of {group['n_fits']}): {warned}; failed fits: {failed}")
    return "\n".join(out)


def write_json(path, args, lrs, summary, records, tables, seconds):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "description": __doc__.split("\n\n")[0],
        "definitions": {
            "finite_share": ("share of fits ending with finite weights; a fit that raises is not finite"),
            "mean": "mean test score over fits with finite weights (accuracy or R^2)",
            "within_2pct_share": (
                "share of all fits with score >= best - 0.02*|best|, best = highest mean over "
                "the learning rates of the same library, dataset and scaling"
            ),
            "default": ("fits at the library's default learning_rate_init (skstab's own, sklearn 1e-3)"),
            "warned_fits": "number of fits that emitted each warning class (all silenced)",
        },
        "seeds": list(range(args.seeds)),
        "lrs": list(lrs),
        "test_size": TEST_SIZE,
        "n_jobs": args.n_jobs,
        "blas_threads": 1,
        "wall_time_s": seconds,
        "environment": environment(),
        "results": summary,
        "tables": {name: table.splitlines() for name, table in tables.items()},
        "runs": records,
    }
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


# -- command line ----------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seeds",
        type=int,
        default=5,
        help="number of seeds (0, 1, ..., SEEDS-1); each seeds the split and the models",
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
        "--lrs",
        nargs="+",
        type=float,
        default=list(DEFAULT_LRS),
        metavar="LR",
        help="learning rates (default: 1e-4 to 1 in half-decade steps)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="JSON file for the results (default: benchmarks/results/stability.json)",
    )
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=2,
        help="parallel fits (joblib processes; default: 2)",
    )
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    if any(not np.isfinite(lr) or lr <= 0 for lr in args.lrs):
        parser.error("--lrs must be positive numbers")
    if args.n_jobs == 0:
        parser.error("--n-jobs must not be 0")
    return args


def plan(args, lrs):
    """Every fit to run: the grid, plus each library's default rate if the grid misses it."""
    tasks = []
    for name in args.datasets:
        for scaling in SCALINGS:
            for library in LIBRARIES:
                extra = default_lr(library, DATASETS[name].task)
                for lr in lrs + ([extra] if extra not in lrs else []):
                    tasks.extend((name, scaling, library, lr, seed) for seed in range(args.seeds))
    return tasks


def main(argv=None):
    args = parse_args(argv)
    lrs = sorted(set(args.lrs))
    tasks = plan(args, lrs)
    start = time.perf_counter()
    records = Parallel(n_jobs=args.n_jobs)(delayed(run_fit)(*task) for task in tasks)
    seconds = time.perf_counter() - start
    summary = summarize(records, lrs)
    tables = {name: format_table(summary[name], lrs) for name in args.datasets}
    write_json(args.output, args, lrs, summary, records, tables, seconds)
    print(
        f"Learning-rate sweep over {args.seeds} seed(s), one split per seed (test_size "
        f"{TEST_SIZE}); each library's defaults otherwise. Cell: finite = share of fits with "
        "finite weights, mean = mean test score of those, w2% = share of fits within 2% of "
        "the best mean over learning rates. default = mean ± std over seeds at the library's "
        f"default learning rate. {len(tasks)} fits, n_jobs={args.n_jobs}, BLAS threads 1."
    )
    for name in args.datasets:
        print(f"\n{name} ({DATASETS[name].metric})")
        print(tables[name])
    print(f"\nWrote {args.output} ({seconds:.0f} s)")


if __name__ == "__main__":
    main()
