"""Training and prediction speed: skstab against scikit-learn's MLP, in one process.

Both libraries train the same network shape, hidden (256, 256), on the same
``make_classification`` data (50,000 x 64, 10 classes) or ``make_regression``
data, at the same batch size. scikit-learn's ``MLPClassifier`` runs Adam, fed
float64 (as users call it) and float32; ``StabilizedMLPClassifier`` runs its
defaults: batch normalization, AdamW, gradient clipping, warmup and cosine
decay. Each model trains one epoch per ``partial_fit`` call, the models taking
turns epoch by epoch so that the load of a shared machine falls on all of them
alike; the first epoch is a warm-up and the table reports the median of the
following ones. Prediction throughput is measured the same way.

The FLOP floor is the time numpy takes, in this run and on these shapes, for
the three matrix products of every layer of one epoch (forward, weight
gradient, input gradient) in float32, with preallocated outputs: no
implementation of this network can train faster with this BLAS.

Usage::

    python benchmarks/bench_training.py              # prints the table, writes JSON
    python benchmarks/bench_training.py --epochs 5 --blas-threads 0
"""

import argparse
import json
import platform
import statistics
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import sklearn
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from threadpoolctl import threadpool_info, threadpool_limits

import skstab
from skstab import StabilizedMLPClassifier, StabilizedMLPRegressor

HIDDEN = (256, 256)
N_SAMPLES, N_FEATURES, N_CLASSES = 50_000, 64, 10
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results" / "bench_training.json"


def make_data(task):
    if task == "classification":
        return make_classification(
            n_samples=N_SAMPLES, n_features=N_FEATURES, n_informative=32, n_classes=N_CLASSES, random_state=0
        )
    X, y = make_regression(n_samples=N_SAMPLES, n_features=N_FEATURES, n_informative=32, random_state=0)
    return X, y / y.std()


def make_model(library, task, batch_size, epochs):
    common = dict(hidden_layer_sizes=HIDDEN, batch_size=batch_size, random_state=0)
    if library == "sklearn":
        cls = MLPClassifier if task == "classification" else MLPRegressor
        return cls(solver="adam", max_iter=epochs, **common)
    cls = StabilizedMLPClassifier if task == "classification" else StabilizedMLPRegressor
    return cls(max_iter=epochs, **common)


def _timed(function, *args, **kwargs):
    start = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - start


def interleaved_epoch_seconds(contenders, y, epochs, task):
    """Median seconds of one ``partial_fit`` epoch for each contender, after a warm-up epoch.

    The contenders train in turns, one epoch each, so that any slowdown of a
    shared machine hits every one of them alike instead of whichever happened
    to run at that moment.
    """
    extra = {"classes": np.unique(y)} if task == "classification" else {}
    times = {label: [] for label in contenders}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for epoch in range(epochs + 1):
            for label, (model, X) in contenders.items():
                seconds = _timed(model.partial_fit, X, y, **extra)
                if epoch:
                    times[label].append(seconds)
    return {label: statistics.median(values) for label, values in times.items()}


def interleaved_rows_per_second(contenders, repeats=5):
    """Median prediction throughput of each fitted contender on its whole X, in turns."""
    times = {label: [] for label in contenders}
    for repeat in range(repeats + 1):
        for label, (model, X) in contenders.items():
            predict = model.predict_proba if hasattr(model, "predict_proba") else model.predict
            seconds = _timed(predict, X)
            if repeat:
                times[label].append(seconds)
    return {label: contenders[label][1].shape[0] / statistics.median(values) for label, values in times.items()}


def gemm_floor_seconds(batch_size, n_outputs, repeats=3):
    """Seconds for one epoch of the network's matrix products alone, float32."""
    rng = np.random.default_rng(0)
    widths = [N_FEATURES, *HIDDEN, n_outputs]
    shapes = list(zip(widths[:-1], widths[1:]))
    X = [rng.standard_normal((batch_size, n_in), dtype=np.float32) for n_in, _ in shapes]
    W = [rng.standard_normal((n_in, n_out), dtype=np.float32) for n_in, n_out in shapes]
    dY = [rng.standard_normal((batch_size, n_out), dtype=np.float32) for _, n_out in shapes]
    Y, dW, dX = [np.empty_like(d) for d in dY], [np.empty_like(w) for w in W], [np.empty_like(x) for x in X]
    steps = N_SAMPLES // batch_size
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            for i in range(len(shapes)):
                np.matmul(X[i], W[i], out=Y[i])
                np.matmul(X[i].T, dY[i], out=dW[i])
                np.matmul(dY[i], W[i].T, out=dX[i])
        best = min(best, time.perf_counter() - start)
    return best


def peak_fit_memory_mb(n_rows=1_000_000):
    """Peak traced allocation of a one-epoch fit on an ``n_rows`` x 64 float32 array, and X's size."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n_rows, N_FEATURES), dtype=np.float32)
    y = (X[:, 0] > 0).astype(int)
    model = StabilizedMLPClassifier(hidden_layer_sizes=HIDDEN, batch_size=256, max_iter=1, random_state=0)
    tracemalloc.start()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20, X.nbytes / 2**20


def run_case(task, batch_size, epochs):
    X64, y = make_data(task)
    X32 = X64.astype(np.float32)
    n_outputs = N_CLASSES if task == "classification" else 1
    contenders = {
        "sklearn_f64": (make_model("sklearn", task, batch_size, epochs), X64),
        "sklearn_f32": (make_model("sklearn", task, batch_size, epochs), X32),
        "skstab": (make_model("skstab", task, batch_size, epochs), X64),
    }
    seconds = interleaved_epoch_seconds(contenders, y, epochs, task)
    rows_per_second = interleaved_rows_per_second(contenders)
    row = {"task": task, "batch_size": batch_size}
    for label in contenders:
        row[f"{label}_s_per_epoch"] = seconds[label]
        row[f"{label}_predict_rows_per_s"] = rows_per_second[label]
    row["floor_s_per_epoch"] = gemm_floor_seconds(batch_size, n_outputs)
    row["skstab_over_sklearn_f64"] = row["skstab_s_per_epoch"] / row["sklearn_f64_s_per_epoch"]
    row["skstab_over_floor"] = row["skstab_s_per_epoch"] / row["floor_s_per_epoch"]
    row["predict_speedup_vs_sklearn_f64"] = row["skstab_predict_rows_per_s"] / row["sklearn_f64_predict_rows_per_s"]
    return row


def format_table(rows):
    header = (
        f"{'task':14s} {'batch':>5s} {'sklearn f64':>11s} {'sklearn f32':>11s} {'skstab':>8s} "
        f"{'ratio':>6s} {'floor':>7s} {'x floor':>7s} {'pred skstab':>12s} {'pred sklearn':>12s} {'x':>5s}"
    )
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(
            f"{r['task']:14s} {r['batch_size']:5d} {r['sklearn_f64_s_per_epoch']:11.3f} "
            f"{r['sklearn_f32_s_per_epoch']:11.3f} {r['skstab_s_per_epoch']:8.3f} "
            f"{r['skstab_over_sklearn_f64']:6.2f} {r['floor_s_per_epoch']:7.3f} {r['skstab_over_floor']:7.2f} "
            f"{r['skstab_predict_rows_per_s']:12,.0f} {r['sklearn_f64_predict_rows_per_s']:12,.0f} "
            f"{r['predict_speedup_vs_sklearn_f64']:5.1f}"
        )
    return "\n".join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs after the warm-up (default 3)")
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=1,
        help="BLAS threads for both libraries; 0 leaves BLAS alone (default 1: stable on a shared 2-core box)",
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the 1,000,000-row peak-memory fit")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cases = [("classification", 32), ("classification", 256), ("regression", 256)]
    start = time.perf_counter()
    with threadpool_limits(args.blas_threads or None):
        rows = [run_case(task, batch, args.epochs) for task, batch in cases]
        memory = None if args.no_memory else peak_fit_memory_mb()
    table = format_table(rows)
    print(
        f"seconds per epoch (median of {args.epochs} after a warm-up), hidden {HIDDEN}, "
        f"{N_SAMPLES}x{N_FEATURES}; ratio = skstab / sklearn float64; floor = float32 GEMMs only; "
        "pred = predict(_proba) rows/s"
    )
    print(table)
    if memory is not None:
        print(f"\npeak traced memory, 1-epoch fit on 1,000,000x64 float32 (X = {memory[1]:.0f} MB): {memory[0]:.0f} MB")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "rows": rows,
        "peak_fit_memory_mb": None if memory is None else {"peak": memory[0], "X": memory[1]},
        "table": table,
        "blas_threads": args.blas_threads,
        "seconds": time.perf_counter() - start,
        "versions": {"skstab": skstab.__version__, "sklearn": sklearn.__version__, "numpy": np.__version__},
        "machine": platform.platform(),
        "blas": [{k: info.get(k) for k in ("internal_api", "version", "num_threads")} for info in threadpool_info()],
    }
    args.output.write_text(json.dumps(record, indent=2))
    print(f"\nWrote {args.output} ({record['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
