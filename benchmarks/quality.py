"""Out-of-the-box quality on the development suite: skstab's defaults against other tabular models.

The tables are the development suite (``benchmarks/_datasets.py``, DEV_SUITE.md),
all but the large ``flights`` by default, each capped at ``--cap`` rows
(default 12,000, stratified for classification). Every model gets the same
preprocessed features (mean / most-frequent imputation and one-hot encoding,
no scaler) and the same folds: 5-fold cross-validation (stratified for
classification), shuffled with the seed that also seeds the models.

Models, each with its own defaults:

* ``skstab``: ``StabilizedMLPClassifier`` / ``StabilizedMLPRegressor``, raw target;
* ``sklearn``: ``MLPClassifier`` / ``MLPRegressor`` after a ``StandardScaler``,
  in regression inside ``TransformedTargetRegressor(StandardScaler())``;
* ``hgb``: ``HistGradientBoostingClassifier`` / ``HistGradientBoostingRegressor``;
* ``--variant NAME=JSON`` (repeatable): skstab with those parameter overrides,
  so that each new piece can be measured on its own;
* ``--realmlp``: pytabkit's ``RealMLP_TD_Classifier`` / ``RealMLP_TD_Regressor``
  if pytabkit is importable (it is never a dependency; skipped with a note).

Score: accuracy or R^2 on the held-out fold. The score of one seed is the mean
over its folds; per table and model the report gives the mean and standard
deviation over seeds and the mean fit seconds of one fit. Then, per model,
the mean score over tables, the mean rank (per table by mean score, 1 = best,
ties share their mean rank, a failed model ranks last) and the mean fit
seconds. Every warning is silenced and counted; ``warned`` is the number of
fits that raised a ConvergenceWarning. Folds run in ``--n-jobs`` processes,
each with BLAS limited to one thread.

Usage::

    python benchmarks/quality.py                               # 12 tables, 3 seeds
    python benchmarks/quality.py --tables wine diabetes --seeds 2 --cap 1000
    python benchmarks/quality.py --variant layernorm='{"normalization": "layer"}' --realmlp
"""

import argparse
import json

import numpy as np
from _common import (
    Stopwatch,
    add_common_arguments,
    check_common_arguments,
    fit_and_score,
    fmt,
    format_table,
    make_model,
    mean_or_none,
    metric,
    realmlp_available,
    run_parallel,
    std_or_none,
    write_json,
)
from _datasets import load_table
from scipy.stats import rankdata
from sklearn.model_selection import KFold, StratifiedKFold

N_SPLITS = 5
#: The models every run compares: name -> (library, skstab parameter overrides).
BASE_MODELS = {"skstab": ("skstab", {}), "sklearn": ("sklearn", {}), "hgb": ("hgb", {})}


# -- one fit -------------------------------------------------------------------------------


def make_cv(task, seed):
    cls = StratifiedKFold if task == "classification" else KFold
    return cls(n_splits=N_SPLITS, shuffle=True, random_state=seed)


def run_fold(table, name, library, params, seed, fold, cap):
    """Fit one model on one fold of one seed; a JSON-ready record. Never raises for a failed fit."""
    X, y, task = load_table(table, cap)
    train, test = list(make_cv(task, seed).split(X, y))[fold]
    model = make_model(library, task, X, seed, params)
    record = {"table": table, "model": name, "seed": seed, "fold": fold}
    record.update(fit_and_score(model, X.iloc[train], y[train], X.iloc[test], y[test]))
    return record


# -- summaries -------------------------------------------------------------------------------


def summarize_cell(runs, seeds):
    """Mean and std over seeds of the seed's mean fold score, mean fit seconds, counts."""
    seed_scores = []
    for seed in seeds:
        folds = [r["score"] for r in runs if r["seed"] == seed]
        seed_scores.append(None if None in folds else float(np.mean(folds)))
    return {
        "seed_scores": seed_scores,
        "mean": None if None in seed_scores else mean_or_none(seed_scores),
        "std": std_or_none(seed_scores),
        "fit_time_s": mean_or_none(r["fit_time_s"] for r in runs),
        "n_fits": len(runs),
        "failed": sum(r["error"] is not None for r in runs),
        "errors": sorted({r["error"] for r in runs if r["error"]}),
        "warned": sum("ConvergenceWarning" in r["warnings"] for r in runs),
    }


def summarize(records, tables, models, seeds):
    """table -> model -> cell, plus the per-model mean score, mean rank and mean fit seconds."""
    cells = {
        table: {
            name: summarize_cell([r for r in records if r["table"] == table and r["model"] == name], seeds)
            for name in models
        }
        for table in tables
    }
    ranks = {name: [] for name in models}
    for table in tables:
        means = [cells[table][name]["mean"] for name in models]
        # rankdata ranks ascending; negate so the best score gets rank 1, failures rank last.
        table_ranks = rankdata([np.inf if m is None else -m for m in means])
        for name, rank in zip(models, table_ranks):
            cells[table][name]["rank"] = float(rank)
            ranks[name].append(float(rank))
    overall = {
        name: {
            "mean_score": mean_or_none(cells[t][name]["mean"] for t in tables),
            "mean_rank": float(np.mean(ranks[name])),
            "fit_time_s": mean_or_none(cells[t][name]["fit_time_s"] for t in tables),
        }
        for name in models
    }
    return cells, overall


# -- reporting -------------------------------------------------------------------------------


def format_results(cells, overall, tasks):
    header = ["table", "metric", "model", "score", "± seeds", "rank", "fit s", "warned", "failed"]
    rows = []
    for table, by_model in cells.items():
        for name, c in by_model.items():
            rows.append(
                [
                    table,
                    metric(tasks[table]),
                    name,
                    fmt(c["mean"]),
                    fmt(c["std"]),
                    f"{c['rank']:g}",
                    fmt(c["fit_time_s"], 2),
                    f"{c['warned']}/{c['n_fits']}",
                    ", ".join(c["errors"]) or "0",
                ]
            )
    per_table = format_table(header, rows, left=3)
    header = ["model", "mean score", "mean rank", "mean fit s"]
    rows = [
        [name, fmt(o["mean_score"]), f"{o['mean_rank']:.2f}", fmt(o["fit_time_s"], 2)] for name, o in overall.items()
    ]
    return per_table, format_table(header, rows)


# -- command line ----------------------------------------------------------------------------


def variant(text):
    """argparse type: ``NAME=JSON`` -> (name, dict of skstab parameter overrides)."""
    name, sep, params = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=JSON, got {text!r}")
    try:
        params = json.loads(params)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"{name}: {exc}") from exc
    if not isinstance(params, dict):
        raise argparse.ArgumentTypeError(f"{name}: expected a JSON object")
    return name, params


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_arguments(parser, seeds=3, cap=12_000, output="quality.json")
    parser.add_argument(
        "--variant",
        type=variant,
        action="append",
        default=[],
        metavar="NAME=JSON",
        help='skstab with these parameter overrides, e.g. ln=\'{"normalization": "layer"}\' (repeatable)',
    )
    parser.add_argument("--realmlp", action="store_true", help="add pytabkit's RealMLP-TD if importable")
    args = parser.parse_args(argv)
    check_common_arguments(parser, args)
    names = [name for name, _ in args.variant]
    if len(set(names)) < len(names) or set(names) & {*BASE_MODELS, "realmlp"}:
        parser.error("--variant names must be unique and differ from skstab, sklearn, hgb and realmlp")
    return args


def main(argv=None):
    args = parse_args(argv)
    models = dict(BASE_MODELS)
    models.update((name, ("skstab", params)) for name, params in args.variant)
    if args.realmlp:
        if realmlp_available():
            models["realmlp"] = ("realmlp", {})
        else:
            print("Note: --realmlp given but pytabkit is not importable; RealMLP skipped.\n")
    seeds = list(range(args.seeds))
    tasks = {table: load_table(table, args.cap)[2] for table in args.tables}
    jobs = [
        (table, name, library, params, seed, fold, args.cap)
        for table in args.tables
        for name, (library, params) in models.items()
        for seed in seeds
        for fold in range(N_SPLITS)
    ]
    with Stopwatch() as wall:
        records = run_parallel(run_fold, jobs, args.n_jobs)
    cells, overall = summarize(records, args.tables, models, seeds)
    per_table, per_model = format_results(cells, overall, tasks)
    described = "; ".join(f"{name}={params}" for name, (_, params) in models.items() if params) or "none"
    print(
        f"Library defaults, {N_SPLITS}-fold CV, {args.seeds} seed(s), rows capped at {args.cap:,}; "
        f"score = mean over seeds of the mean fold score, ± = std over seeds, fit s = mean seconds of "
        f"one fit, warned = fits with a ConvergenceWarning. Variants: {described}. {len(jobs)} fits, "
        f"n_jobs={args.n_jobs}, BLAS 1 thread.\n"
    )
    print(per_table)
    print("\nOver all tables (rank per table by mean score, 1 = best):")
    print(per_model)
    write_json(
        args.output,
        {
            "description": __doc__.split("\n\n")[0],
            "arguments": {**vars(args), "output": str(args.output)},
            "models": {name: {"library": lib, "params": params} for name, (lib, params) in models.items()},
            "n_splits": N_SPLITS,
            "wall_time_s": wall.seconds,
            "results": cells,
            "overall": overall,
            "runs": records,
        },
    )
    print(f"\nWrote {args.output}; wall time {wall.seconds:.1f} s")


if __name__ == "__main__":
    main()
