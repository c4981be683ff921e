"""Out-of-the-box quality on the development suite: skstab's defaults against the competition.

The tables are the development suite's 25 (``benchmarks/_datasets.py``,
DEV_SUITE.md), each capped at ``--cap`` rows (default 12,000, stratified for
classification; ``--tables`` takes names and the groups ``first`` and
``midsize``). Every model sees the same folds: 5-fold cross-validation
(stratified for classification), shuffled with the seed that also seeds the
model. Each model keeps its own defaults; only threads (one per fit, folds
run in parallel processes) and logging are pinned.

Models:

* ``skstab``: ``StabilizedMLPClassifier`` / ``StabilizedMLPRegressor``, raw target;
* ``sklearn``: ``MLPClassifier`` / ``MLPRegressor`` after a ``StandardScaler``,
  in regression inside ``TransformedTargetRegressor(StandardScaler())``;
* ``hgb``: ``HistGradientBoostingClassifier`` / ``HistGradientBoostingRegressor``
  with ``categorical_features="from_dtype"``;
* ``--catboost``: ``CatBoostClassifier`` / ``CatBoostRegressor`` (categorical
  columns as ``cat_features``);
* ``--lightgbm``: ``LGBMClassifier`` / ``LGBMRegressor`` (categorical columns
  as pandas ``category``);
* ``--realmlp``: pytabkit's ``RealMLP_TD_Classifier`` / ``RealMLP_TD_Regressor``
  on CPU (categorical columns as ``category``, numeric ones mean-imputed);
* ``--competition``: all three of the above that are importable (they are
  benchmark-only installs, never dependencies of skstab; a missing one is
  skipped with a note);
* ``--variant NAME=JSON`` (repeatable): skstab with those parameter overrides,
  so that each new piece can be measured on its own.

skstab gets the raw table, as a user passes a DataFrame: its default
``categorical_features="from_dtype"`` encodes the categorical columns and
missing cells inside the model. scikit-learn's MLP, and a skstab variant with
``{"categorical_features": null}``, get the shared preprocessing (mean /
most-frequent imputation and one-hot encoding, no scaler). The
gradient-boosting models and RealMLP-TD get the raw columns with categorical
columns native (levels fixed on the whole capped table) and, except
RealMLP-TD, missing cells native too.

Score: accuracy or R^2 on the held-out fold. The score of one seed is the mean
over its folds; per table and model, the mean over seeds. skstab and its
variants run ``--seeds`` seeds; the other models ``--competitor-seeds``
(default: as many), seeds 0.. of the same folds. Per table the models are
ranked by mean score (1 = best, ties share their mean rank, a failed model
ranks last); a model wins a table when its mean score is the best (ties win
for each). A second table gives each model's mean fit seconds per table and
each skstab model's as a multiple of scikit-learn's MLP's. The summary gives,
per model, the mean score, mean rank, wins, mean fit seconds of one fit
(and, below it, skstab's mean over scikit-learn's mean), the seed noise
(mean over tables of the std over seeds; "-" with one seed), and the fits
that failed or raised a ConvergenceWarning, over all tables, over the tables with at least 1,500 rows
(before the cap) and over the tables with categorical columns. Every warning
is silenced and counted. Fit seconds are wall time on whatever else the
machine runs: compare them within one run.

Usage::

    python benchmarks/quality.py --competition                 # 25 tables, 3 seeds
    python benchmarks/quality.py --tables midsize --seeds 1 --catboost --lightgbm
    python benchmarks/quality.py --tables wine diabetes --seeds 2 --cap 1000
    python benchmarks/quality.py --variant layernorm='{"normalization": "layer"}' --realmlp
"""

import argparse
import json

import numpy as np
from _common import (
    OPTIONAL_LIBRARIES,
    Stopwatch,
    add_common_arguments,
    check_common_arguments,
    fit_and_score,
    fmt,
    format_table,
    library_available,
    make_model,
    mean_or_none,
    metric,
    model_input,
    run_parallel,
    std_or_none,
    write_json,
)
from _datasets import MIDSIZE_ROWS, TABLES, load_table, table_facts
from scipy.stats import rankdata
from sklearn.model_selection import KFold, StratifiedKFold

N_SPLITS = 5
#: The models every run compares: name -> (library, skstab parameter overrides).
BASE_MODELS = {"skstab": ("skstab", {}), "sklearn": ("sklearn", {}), "hgb": ("hgb", {})}
#: The optional competitors, in the order they are reported (names are their libraries').
COMPETITORS = tuple(OPTIONAL_LIBRARIES)


# -- one fit -------------------------------------------------------------------------------


def make_cv(task, seed):
    cls = StratifiedKFold if task == "classification" else KFold
    return cls(n_splits=N_SPLITS, shuffle=True, random_state=seed)


def run_fold(table, name, library, params, seed, fold, cap):
    """Fit one model on one fold of one seed; a JSON-ready record. Never raises for a failed fit."""
    X, y, task = load_table(table, cap)
    train, test = list(make_cv(task, seed).split(X, y))[fold]
    X = model_input(library, X)
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
        # One seed has no spread to report: None, not 0.
        "std": std_or_none(seed_scores) if len(seeds) > 1 else None,
        "fit_time_s": mean_or_none(r["fit_time_s"] for r in runs),
        "n_fits": len(runs),
        "failed": sum(r["error"] is not None for r in runs),
        "errors": sorted({r["error"] for r in runs if r["error"]}),
        "warned": sum("ConvergenceWarning" in r["warnings"] for r in runs),
    }


def summarize(records, tables, model_seeds):
    """table -> model -> cell with its rank among the models and whether it wins the table."""
    cells = {
        table: {
            name: summarize_cell([r for r in records if r["table"] == table and r["model"] == name], seeds)
            for name, seeds in model_seeds.items()
        }
        for table in tables
    }
    for by_model in cells.values():
        means = [cell["mean"] for cell in by_model.values()]
        # rankdata ranks ascending; negate so the best score gets rank 1, failures rank last.
        ranks = rankdata([np.inf if m is None else -m for m in means])
        best = max((m for m in means if m is not None), default=None)
        for cell, rank in zip(by_model.values(), ranks):
            cell["rank"] = float(rank)
            cell["win"] = best is not None and cell["mean"] == best
    return cells


def overall(cells, tables):
    """Per model, over ``tables``: mean score, mean rank, wins, mean fit seconds, mean seed std, counts."""
    models = next(iter(cells.values()))
    return {
        name: {
            "tables": len(tables),
            "mean_score": None
            if any(cells[t][name]["mean"] is None for t in tables)
            else mean_or_none(cells[t][name]["mean"] for t in tables),
            "mean_rank": float(np.mean([cells[t][name]["rank"] for t in tables])),
            "wins": sum(cells[t][name]["win"] for t in tables),
            "fit_time_s": mean_or_none(cells[t][name]["fit_time_s"] for t in tables),
            "seed_std": mean_or_none(cells[t][name]["std"] for t in tables),
            "failed": sum(cells[t][name]["failed"] for t in tables),
            "warned": sum(cells[t][name]["warned"] for t in tables),
            "n_fits": sum(cells[t][name]["n_fits"] for t in tables),
        }
        for name in models
    }


def table_subsets(tables):
    """The groups of tables the summary reports, by key: (what they are, their names)."""
    return {
        "all": ("tables", list(tables)),
        "midsize": (
            f"tables with >= {MIDSIZE_ROWS:,} rows",
            [t for t in tables if table_facts(t)["rows"] >= MIDSIZE_ROWS],
        ),
        "categorical": (
            "tables with categorical columns",
            [t for t in tables if table_facts(t)["categorical"] > 0],
        ),
    }


# -- reporting -------------------------------------------------------------------------------


def format_per_table(cells, noisy):
    """One row per table: its facts, each model's mean score (* = best), the seed std of ``noisy`` models."""
    models = list(next(iter(cells.values())))
    header = ["table", "metric", "rows", "cat", *models, *(f"{name} ±" for name in noisy)]
    rows = []
    for table, by_model in cells.items():
        facts = table_facts(table)
        scores = [fmt(c["mean"]) + ("*" if c["win"] else " ") for c in by_model.values()]
        noise = [fmt(by_model[name]["std"]) for name in noisy]
        rows.append([table, metric(facts["task"]), f"{facts['rows']:,}", facts["categorical"], *scores, *noise])
    return format_table(header, rows, left=2)


def fit_time_ratios(cells, models, tables):
    """Per skstab model: its mean fit seconds over ``tables`` divided by scikit-learn's MLP's (a ratio of means)."""
    sklearn = mean_or_none(cells[t]["sklearn"]["fit_time_s"] for t in tables)
    ratios = {}
    for name, (library, _) in models.items():
        seconds = mean_or_none(cells[t][name]["fit_time_s"] for t in tables)
        if library == "skstab" and seconds is not None and sklearn:
            ratios[name] = seconds / sklearn
    return ratios


def format_fit_times(cells, models):
    """Per table: each model's mean fit seconds, and each skstab model's as a multiple of scikit-learn's MLP's."""
    names = list(next(iter(cells.values())))
    relative = [name for name in names if models[name][0] == "skstab"]
    header = ["table", "rows", *names, *(f"{name} x" for name in relative)]
    rows = []
    for table, by_model in cells.items():
        seconds = {name: by_model[name]["fit_time_s"] for name in names}
        sklearn = seconds["sklearn"]
        ratios = [seconds[name] / sklearn if seconds[name] and sklearn else None for name in relative]
        times = [fmt(value, 2) for value in [*seconds.values(), *ratios]]
        rows.append([table, f"{table_facts(table)['rows']:,}", *times])
    return format_table(header, rows)


def format_overall(summary):
    header = ["model", "mean score", "mean rank", "wins", "mean fit s", "seed std", "failed", "warned"]
    rows = [
        [
            name,
            fmt(o["mean_score"]),
            f"{o['mean_rank']:.2f}",
            f"{o['wins']}/{o['tables']}",
            fmt(o["fit_time_s"], 2),
            fmt(o["seed_std"]),
            f"{o['failed']}/{o['n_fits']}",
            f"{o['warned']}/{o['n_fits']}",
        ]
        for name, o in summary.items()
    ]
    return format_table(header, rows)


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
    add_common_arguments(parser, seeds=3, cap=12_000, output="quality.json", tables=TABLES)
    parser.add_argument(
        "--competitor-seeds",
        type=int,
        default=None,
        metavar="N",
        help="seeds for the models other than skstab and its variants (default: --seeds); fewer keeps runs short",
    )
    parser.add_argument(
        "--variant",
        type=variant,
        action="append",
        default=[],
        metavar="NAME=JSON",
        help='skstab with these parameter overrides, e.g. ln=\'{"normalization": "layer"}\' (repeatable)',
    )
    parser.add_argument("--catboost", action="store_true", help="add CatBoost if importable")
    parser.add_argument("--lightgbm", action="store_true", help="add LightGBM if importable")
    parser.add_argument("--realmlp", action="store_true", help="add pytabkit's RealMLP-TD if importable")
    parser.add_argument(
        "--competition", action="store_true", help="add every importable one of CatBoost, LightGBM and RealMLP-TD"
    )
    args = parser.parse_args(argv)
    check_common_arguments(parser, args)
    if args.competitor_seeds is None:
        args.competitor_seeds = args.seeds
    if args.competitor_seeds < 1:
        parser.error("--competitor-seeds must be at least 1")
    names = [name for name, _ in args.variant]
    if len(set(names)) < len(names) or set(names) & {*BASE_MODELS, *COMPETITORS}:
        parser.error(f"--variant names must be unique and differ from {', '.join([*BASE_MODELS, *COMPETITORS])}")
    return args


def choose_models(args):
    """name -> (library, params), and the notes on requested competitors that are not importable."""
    models = dict(BASE_MODELS)
    models.update((name, ("skstab", params)) for name, params in args.variant)
    notes = []
    for library in COMPETITORS:
        if not (args.competition or getattr(args, library)):
            continue
        if library_available(library):
            models[library] = (library, {})
        else:
            notes.append(f"{library} requested but {OPTIONAL_LIBRARIES[library]} is not importable: skipped.")
    return models, notes


def main(argv=None):
    args = parse_args(argv)
    models, notes = choose_models(args)
    for note in notes:
        print(f"Note: {note}")
    model_seeds = {
        name: list(range(args.seeds if library == "skstab" else args.competitor_seeds))
        for name, (library, _) in models.items()
    }
    jobs = [
        (table, name, library, params, seed, fold, args.cap)
        for table in args.tables
        for name, (library, params) in models.items()
        for seed in model_seeds[name]
        for fold in range(N_SPLITS)
    ]
    with Stopwatch() as wall:
        records = run_parallel(run_fold, jobs, args.n_jobs)
    cells = summarize(records, args.tables, model_seeds)
    subsets = {key: subset for key, subset in table_subsets(args.tables).items() if subset[1]}
    summaries = {key: overall(cells, tables) for key, (_, tables) in subsets.items()}
    noisy = [name for name, seeds in model_seeds.items() if len(seeds) > 1]
    described = "; ".join(f"{name}={params}" for name, (_, params) in models.items() if params) or "none"
    print(
        f"Library defaults, {N_SPLITS}-fold CV, rows capped at {args.cap:,}; {args.seeds} seed(s) for skstab "
        f"and its variants, {args.competitor_seeds} for the others. Score = mean over seeds of the mean fold "
        f"score (* = best of the table), ± = std over seeds, cat = categorical columns, rows before the cap. "
        f"Variants: {described}. {len(jobs)} fits, n_jobs={args.n_jobs}, one thread per fit; fit seconds are "
        f"wall time on a machine that may be busy.\n"
    )
    print(format_per_table(cells, noisy))
    print("\nMean fit seconds of one fit per table (x = multiple of scikit-learn's MLP's, in the same run):")
    print(format_fit_times(cells, models))
    for key, (label, tables) in subsets.items():
        print(
            f"\nOver the {len(tables)} {label} (rank per table by mean score, 1 = best; wins = tables "
            "where the model scores best; seed std = mean over tables of the std over seeds):"
        )
        print(format_overall(summaries[key]))
        ratios = fit_time_ratios(cells, models, tables)
        print("mean fit time / scikit-learn's MLP's: " + ", ".join(f"{n} {r:.2f}" for n, r in ratios.items()))
    write_json(
        args.output,
        {
            "description": __doc__.split("\n\n")[0],
            "arguments": {**vars(args), "output": str(args.output)},
            "models": {
                name: {"library": lib, "params": params, "seeds": model_seeds[name]}
                for name, (lib, params) in models.items()
            },
            "notes": notes,
            "n_splits": N_SPLITS,
            "tables": {table: table_facts(table) for table in args.tables},
            "wall_time_s": wall.seconds,
            "results": cells,
            "overall": summaries["all"],
            "subsets": {key: tables for key, (_, tables) in subsets.items()},
            "summaries": summaries,
            "fit_time_ratios": {key: fit_time_ratios(cells, models, tables) for key, (_, tables) in subsets.items()},
            "runs": records,
        },
    )
    print(f"\nWrote {args.output}; wall time {wall.seconds:.1f} s")


if __name__ == "__main__":
    main()
