"""Stable by default, measured: skstab's defaults against scikit-learn's MLP over learning rates.

The tables are the development suite (``benchmarks/_datasets.py``, DEV_SUITE.md),
all but the large ``flights`` by default, each capped at ``--cap`` rows
(default 3,000, not the suite's 12,000, so that the sweep finishes in a
reasonable time on a 2-core machine). skstab takes the raw table, as a user
passes a DataFrame (categorical columns and missing cells encoded inside the
model); scikit-learn's MLP, and skstab with ``--skstab-params
'{"categorical_features": null}'``, get the shared preprocessing (mean /
most-frequent imputation and one-hot encoding, no scaler). Following DEV_SUITE.md's convention,
scikit-learn's MLP also gets a ``StandardScaler`` (``--sklearn-raw`` drops it)
and, in regression, a ``TransformedTargetRegressor(StandardScaler())``;
skstab gets the raw target (``--skstab-target-scaling`` wraps it too).

Both libraries keep their defaults except ``learning_rate_init``, which runs
over 1e-4 to 1 in half-decade steps (9 rates), and ``max_iter`` if
``--max-iter`` is given. Each seed makes one 70/30 split (stratified for
classification) and seeds the model. Score: accuracy or R^2 on the 30%.

Per table and library:

* ``finite``: share of fits that ended with finite weights and a finite score
  and did not raise (the JSON records the exception type);
* ``within``: share of the grid's fits with lr in [1e-3, 1] whose score is
  within 0.02 (absolute) of the best fit's score of that library on that
  table, default-rate fits included (the ``same split`` variant compares each
  fit with the best fit of its own seed, so split noise does not count);
* ``spread``: std over seeds at the library's default learning rate (skstab:
  ``StabilizedMLPClassifier().learning_rate_init``, or the regressor's;
  scikit-learn: 1e-3), fitted separately when the grid misses it;
* ``gap``: skstab only, the worst absolute difference between the training
  score of predictions made in training mode (the estimator's own input
  scaling, then ``net_.forward(X, training=True)`` on a copy, batch
  statistics, dropout left out) and in inference mode (``predict``, stored
  statistics).

Targets (the summary at the end): 100% finite, within >= 90%, and skstab's
spread at its default no larger than scikit-learn's at its own.

Usage::

    python benchmarks/stability.py                              # 12 tables, 5 seeds, 9 rates
    python benchmarks/stability.py --tables iris diabetes --seeds 2 --lrs 0.001 0.1
    python benchmarks/stability.py --skstab-params '{"normalization": "layer"}'
"""

import argparse
import copy

import numpy as np
from _common import (
    MLP_LIBRARIES,
    Stopwatch,
    add_common_arguments,
    check_common_arguments,
    default_lr,
    final_estimator,
    fit_and_score,
    fmt,
    format_table,
    json_object,
    make_model,
    mean_or_none,
    metric,
    run_parallel,
    std_or_none,
    write_json,
)
from _datasets import load_table
from sklearn.compose import TransformedTargetRegressor
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split

from skstab.neural_network._table_inputs import prediction_inputs
from skstab.nn._ensemble_functional import ensemble_average

#: 1e-4 to 1 in half-decade steps: 9 learning rates.
DEFAULT_LRS = tuple(float(10.0**exponent) for exponent in np.arange(-4.0, 0.25, 0.5))
#: Learning rates over which ``within`` is measured, and its absolute tolerance.
WINDOW = (1e-3, 1.0)
WITHIN = 0.02
TEST_SIZE = 0.3
#: Targets of the issue "Stable by default, measured".
TARGET_FINITE, TARGET_WITHIN = 1.0, 0.9
#: Command-line settings every fit needs.
OPTIONS = ("cap", "max_iter", "skstab_params", "sklearn_raw", "skstab_target_scaling")


# -- one fit ---------------------------------------------------------------------------------


def library_params(library, lr, options):
    params = dict(options["skstab_params"]) if library == "skstab" else {}
    params["learning_rate_init"] = lr
    if options["max_iter"] is not None:
        params["max_iter"] = options["max_iter"]
    return params


def weights_finite(mlp):
    """Whether every learned array of the fitted MLP is finite (skstab: normalization included)."""
    net = getattr(mlp, "net_", None)
    arrays = [net.params] if net is not None else list(mlp.coefs_) + list(mlp.intercepts_)
    return all(np.isfinite(a).all() for a in arrays)


def train_inference_gap(model, X_train, y_train, task):
    """|training score in training mode - training score in inference mode| of a fitted skstab pipeline."""
    est = final_estimator(model)
    X = model[:-1].transform(X_train) if len(model) > 1 else X_train
    # The network's own input, as predict computes it: encoded (a raw table), checked, scaled.
    X = est._scale_inputs(prediction_inputs(est, X), est.net_.params.dtype)
    net = copy.deepcopy(est).net_  # a training pass moves batch-norm running statistics
    with net.without_dropout():  # the gap is the normalization statistics'; dropout's noise is training's own
        Z = net.forward(X, training=True)
    output = est.net_.layers[-1]
    if getattr(output, "average", None) is not None:  # an ensemble: its members combined as predict combines them
        Z = ensemble_average(Z, output.n_members, output.average)
    if task == "classification":
        train_mode = est.classes_[est._decide(Z)]
        return abs(accuracy_score(y_train, train_mode) - accuracy_score(y_train, model.predict(X_train)))
    if getattr(est, "target_mean_", None) is not None:
        Z = Z * est.target_scale_ + est.target_mean_
    if isinstance(model[-1], TransformedTargetRegressor):
        Z = model[-1].transformer_.inverse_transform(Z)
    train_mode = Z.ravel() if np.ndim(y_train) == 1 else Z
    return abs(r2_score(y_train, train_mode) - r2_score(y_train, model.predict(X_train)))


def run_fit(table, library, lr, seed, options):
    """Fit and score one model on one seed's split; a JSON-ready record. Never raises for a failed fit."""
    X, y, task = load_table(table, options["cap"])
    stratify = y if task == "classification" else None
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=TEST_SIZE, random_state=seed, stratify=stratify)
    model = make_model(
        library,
        task,
        X,
        seed,
        library_params(library, lr, options),
        scale_features=library == "sklearn" and not options["sklearn_raw"],
        scale_target=library == "sklearn" or options["skstab_target_scaling"],
    )
    record = {"table": table, "library": library, "lr": lr, "seed": seed}
    record.update(fit_and_score(model, X_train, y_train, X_test, y_test), n_iter=None, gap=None)
    record["finite"] = record["score"] is not None
    if record["error"] in (None, "NonFiniteScore"):
        mlp = final_estimator(model)
        record["n_iter"] = int(mlp.n_iter_)
        if not weights_finite(mlp):
            record.update(finite=False, score=None, error="NonFiniteWeights")
        elif library == "skstab":
            try:
                record["gap"] = float(train_inference_gap(model, X_train, y_train, task))
            except Exception as exc:  # the gap is a diagnostic; it must not sink the sweep
                record["gap_error"] = type(exc).__name__
    return record


# -- summaries -------------------------------------------------------------------------------


def share(flags):
    flags = list(flags)
    return sum(flags) / len(flags) if flags else None


def summarize_library(runs, lrs, lr0):
    """The statistics of one library on one table (``runs``: all its records)."""
    grid = [r for r in runs if r["lr"] in lrs]
    scores = [r["score"] for r in runs if r["score"] is not None]
    best = max(scores) if scores else None
    best_of_seed = {}
    for r in runs:
        if r["score"] is not None:
            best_of_seed[r["seed"]] = max(r["score"], best_of_seed.get(r["seed"], -np.inf))
    window = [r for r in grid if WINDOW[0] <= r["lr"] <= WINDOW[1]]

    def near(r, reference):
        return r["score"] is not None and r["score"] >= reference - WITHIN

    per_lr = []
    for lr in lrs:
        cell = [r for r in grid if r["lr"] == lr]
        per_lr.append(
            {
                "lr": lr,
                "finite": share(r["finite"] for r in cell),
                "mean": mean_or_none(r["score"] for r in cell),
                "within": share(near(r, best) for r in cell) if best is not None else 0.0,
            }
        )
    at_default = [r["score"] for r in runs if r["lr"] == lr0]
    gaps = [r["gap"] for r in runs if r["gap"] is not None]
    return {
        "n_fits": len(runs),
        "finite": share(r["finite"] for r in runs),
        "best": best,
        "within": share(near(r, best) for r in window) if best is not None else 0.0,
        "within_same_split": share(near(r, best_of_seed.get(r["seed"], np.inf)) for r in window),
        "default_lr": lr0,
        "default_mean": mean_or_none(at_default),
        "spread": std_or_none(at_default),
        "gap": max(gaps) if gaps else None,
        "errors": sorted({r["error"] for r in runs if r["error"]}),
        "per_lr": per_lr,
    }


def summarize(records, tables, lrs, lr0s):
    summary = {}
    for table in tables:
        summary[table] = {}
        for library in MLP_LIBRARIES:
            runs = [r for r in records if r["table"] == table and r["library"] == library]
            summary[table][library] = summarize_library(runs, lrs, lr0s[table, library])
        ours, theirs = summary[table]["skstab"], summary[table]["sklearn"]
        summary[table]["targets"] = {
            "finite": ours["finite"] >= TARGET_FINITE,
            "within": ours["within"] is not None and ours["within"] >= TARGET_WITHIN,
            "spread": None in (ours["spread"], theirs["spread"]) or ours["spread"] <= theirs["spread"] + 1e-12,
        }
    return summary


# -- reporting -------------------------------------------------------------------------------


def format_sweep(table_summary, lrs):
    header = ["lr"] + [f"{lib} {col}" for lib in MLP_LIBRARIES for col in ("finite", "score", "within")]
    rows = []
    for i, lr in enumerate(lrs):
        row = [f"{lr:.3g}"]
        for lib in MLP_LIBRARIES:
            cell = table_summary[lib]["per_lr"][i]
            row += [fmt(cell["finite"], 2), fmt(cell["mean"]), fmt(cell["within"], 2)]
        rows.append(row)
    lines = [format_table(header, rows)]
    for lib in MLP_LIBRARIES:
        s = table_summary[lib]
        errors = ", ".join(s["errors"]) or "none"
        lines.append(
            f"  {lib}: finite {fmt(s['finite'], 2)} of {s['n_fits']}; within {WITHIN} of best "
            f"({fmt(s['best'])}) for lr in [{WINDOW[0]:g}, {WINDOW[1]:g}]: {fmt(s['within'], 2)} "
            f"(same split: {fmt(s['within_same_split'], 2)});\n    at default lr {s['default_lr']:.3g}: "
            f"{fmt(s['default_mean'])} ± {fmt(s['spread'])}; worst train/inference gap: {fmt(s['gap'])}; "
            f"failures: {errors}"
        )
    return "\n".join(lines)


def format_targets(summary):
    header = ["table", "finite", "within", "spread", "sklearn spread", "worst gap", "targets met"]
    rows = []
    for table, s in summary.items():
        ours, theirs, met = s["skstab"], s["sklearn"], s["targets"]
        rows.append(
            [
                table,
                fmt(ours["finite"], 2),
                fmt(ours["within"], 2),
                fmt(ours["spread"]),
                fmt(theirs["spread"]),
                fmt(ours["gap"]),
                " ".join(name if ok else f"NOT-{name}" for name, ok in met.items()),
            ]
        )
    return format_table(header, rows)


# -- command line ----------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_arguments(parser, seeds=5, cap=3_000, output="stability.json")
    parser.add_argument(
        "--lrs",
        nargs="+",
        type=float,
        default=list(DEFAULT_LRS),
        metavar="LR",
        help="learning rates (default: 1e-4 to 1 in half-decades)",
    )
    parser.add_argument("--max-iter", type=int, default=None, help="epochs for both (default: each library's)")
    parser.add_argument(
        "--skstab-params", type=json_object, default={}, metavar="JSON", help="skstab parameter overrides"
    )
    parser.add_argument("--sklearn-raw", action="store_true", help="no StandardScaler for scikit-learn's MLP")
    parser.add_argument(
        "--skstab-target-scaling", action="store_true", help="regression: standardize skstab's target too"
    )
    args = parser.parse_args(argv)
    check_common_arguments(parser, args)
    if any(not np.isfinite(lr) or lr <= 0 for lr in args.lrs):
        parser.error("--lrs must be positive numbers")
    return args


def main(argv=None):
    args = parse_args(argv)
    lrs = sorted(set(args.lrs))
    options = {k: getattr(args, k) for k in OPTIONS}
    lr0s, tasks = {}, []
    for table in args.tables:
        task = load_table(table, args.cap)[2]
        for library in MLP_LIBRARIES:
            lr0s[table, library] = lr0 = default_lr(library, task, args.skstab_params if library == "skstab" else None)
            for lr in lrs + ([lr0] if lr0 not in lrs else []):
                tasks.extend((table, library, lr, seed, options) for seed in range(args.seeds))
    with Stopwatch() as wall:
        records = run_parallel(run_fit, tasks, args.n_jobs)
    summary = summarize(records, args.tables, lrs, lr0s)
    print(
        f"Learning-rate sweep: {args.seeds} seed(s), one {1 - TEST_SIZE:.0%}/{TEST_SIZE:.0%} split per seed, "
        f"rows capped at {args.cap:,}; skstab {args.skstab_params or 'defaults'}"
        f"{' + target scaling' if args.skstab_target_scaling else ''}; sklearn "
        f"{'raw features' if args.sklearn_raw else 'StandardScaler'}; max_iter "
        f"{args.max_iter or 'defaults'}. {len(tasks)} fits, n_jobs={args.n_jobs}, BLAS 1 thread."
    )
    for table in args.tables:
        task = load_table(table, args.cap)[2]
        print(f"\n{table} ({metric(task)})")
        print(format_sweep(summary[table], lrs))
    print(
        f"\nTargets (skstab): finite = {TARGET_FINITE:.0%}, within >= {TARGET_WITHIN:.0%}, "
        "spread at its default <= scikit-learn's at its own"
    )
    print(format_targets(summary))
    write_json(
        args.output,
        {
            "description": __doc__.split("\n\n")[0],
            "arguments": {**vars(args), "output": str(args.output), "lrs": lrs},
            "test_size": TEST_SIZE,
            "window": WINDOW,
            "within": WITHIN,
            "wall_time_s": wall.seconds,
            "summary": summary,
            "runs": records,
        },
    )
    print(f"\nWrote {args.output}; wall time {wall.seconds:.1f} s")


if __name__ == "__main__":
    main()
