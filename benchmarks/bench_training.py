"""Training and prediction speed: skstab against scikit-learn's MLP, in one process.

Both libraries train the same network shape, hidden (256, 256), on the same
``make_classification`` data (50,000 x 64, 10 classes) or ``make_regression``
data, at the same batch size. scikit-learn's ``MLPClassifier`` runs Adam, fed
float64 (as users call it) and float32; ``StabilizedMLPClassifier`` runs the
old defaults (one network of batch normalization, AdamW, gradient clipping;
no input scaling, running batch-norm statistics, no encoding) with each
``accelerator`` ("numpy" and, when numba is installed, "numba"), and today's
defaults at the same batch size (a 4-member ensemble, robust input scaling,
recomputed batch-norm statistics and, on these 50,000 rows, the
piecewise-linear encoding, which widens the first layer's input sixteenfold;
scaling and statistics are redone by every ``partial_fit`` call here, once
per fit in ``fit``). Each model trains one
epoch per ``partial_fit`` call, the models taking turns epoch by epoch so that
the load of a shared machine falls on all of them alike; the first epoch is a
warm-up and the table reports the median of the following ones. Prediction
throughput is measured the same way.

Then, in the same run: the cost per epoch of each optional layer (dropout,
periodic embedding, feature scale, the piecewise-linear encoding, a
4-member ensemble, PReLU) against the
plain network at batch 256; the peak memory of a large fit; two default fits
of each library run at once in separate processes with default threading,
against one alone; and the first fit's compile time of the numba kernels in a
fresh process with an empty kernel cache (a fresh install), against a warm
cache and against numpy.

Last, the per-call overhead (``_overhead.py``): ``partial_fit`` on chunks of 64 and 1 rows and
``predict``/``predict_proba`` on 1, 10 and 100 rows, skstab's defaults against scikit-learn's MLP, in
turns, as milliseconds per call and their ratio; ``--only overhead`` runs that section alone (a minute).

The FLOP floor is the time numpy takes, in this run and on these shapes, for
the three matrix products of every layer of one epoch (forward, weight
gradient, input gradient) in float32, with preallocated outputs: no
implementation of this network can train faster with this BLAS.

Usage::

    python benchmarks/bench_training.py              # prints the tables, writes JSON
    python benchmarks/bench_training.py --epochs 5 --blas-threads 0
    python benchmarks/bench_training.py --only overhead  # writes bench_training_overhead.json
"""

import argparse
import json
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
from _common import environment
from _overhead import format_overhead, per_call_overhead, run_alone
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from threadpoolctl import threadpool_info, threadpool_limits

from skstab import StabilizedMLPClassifier, StabilizedMLPRegressor
from skstab.utils._accelerator import numba_available

#: The defaults before the ensemble, input scaling, recomputed batch-norm statistics and the size rule's encoding:
#: what the epoch targets are set on.
OLD_DEFAULTS = {"input_scaling": None, "batchnorm_statistics": "running", "n_ensemble": 1, "numerical_embedding": None}
#: Each optional layer, as estimator parameters, timed against the plain network.
LAYERS = {
    "dropout 0.1": {"dropout": 0.1},
    "periodic embedding": {"numerical_embedding": "periodic"},
    "feature scale": {"feature_scale": True},
    "piecewise-linear encoding": {"numerical_embedding": "piecewise_linear"},
    "n_ensemble=4": {"n_ensemble": 4},
    "prelu": {"activation": "prelu"},
}

HIDDEN = (256, 256)
N_SAMPLES, N_FEATURES, N_CLASSES = 50_000, 64, 10
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results" / "bench_training.json"
OVERHEAD_OUTPUT = DEFAULT_OUTPUT.with_name("bench_training_overhead.json")


def make_data(task):
    if task == "classification":
        return make_classification(
            n_samples=N_SAMPLES, n_features=N_FEATURES, n_informative=32, n_classes=N_CLASSES, random_state=0
        )
    X, y = make_regression(n_samples=N_SAMPLES, n_features=N_FEATURES, n_informative=32, random_state=0)
    return X, y / y.std()


def make_model(library, task, batch_size, epochs, **params):
    common = dict(hidden_layer_sizes=HIDDEN, batch_size=batch_size, random_state=0)
    if library == "sklearn":
        cls = MLPClassifier if task == "classification" else MLPRegressor
        return cls(solver="adam", max_iter=epochs, **common)
    cls = StabilizedMLPClassifier if task == "classification" else StabilizedMLPRegressor
    return cls(max_iter=epochs, **common, **params)


def accelerators():
    return ["numpy", "numba"] if numba_available() else ["numpy"]


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
    best = accelerators()[-1]
    contenders = {
        "sklearn_f64": (make_model("sklearn", task, batch_size, epochs), X64),
        "sklearn_f32": (make_model("sklearn", task, batch_size, epochs), X32),
        **{
            f"skstab_{name}": (make_model("skstab", task, batch_size, epochs, accelerator=name, **OLD_DEFAULTS), X64)
            for name in accelerators()
        },
        "skstab_defaults": (make_model("skstab", task, batch_size, epochs, accelerator=best), X64),
    }
    seconds = interleaved_epoch_seconds(contenders, y, epochs, task)
    predictors = {label: contenders[label] for label in ("sklearn_f64", f"skstab_{best}", "skstab_defaults")}
    rows_per_second = interleaved_rows_per_second(predictors)
    row = {"task": task, "batch_size": batch_size, "accelerator": best}
    for label in contenders:
        row[f"{label}_s_per_epoch"] = seconds[label]
    row["skstab_s_per_epoch"] = seconds[f"skstab_{best}"]
    row["skstab_predict_rows_per_s"] = rows_per_second[f"skstab_{best}"]
    row["sklearn_f64_predict_rows_per_s"] = rows_per_second["sklearn_f64"]
    row["skstab_defaults_predict_rows_per_s"] = rows_per_second["skstab_defaults"]
    row["floor_s_per_epoch"] = gemm_floor_seconds(batch_size, n_outputs)
    row["skstab_over_sklearn_f64"] = row["skstab_s_per_epoch"] / row["sklearn_f64_s_per_epoch"]
    row["skstab_numpy_over_sklearn_f64"] = row["skstab_numpy_s_per_epoch"] / row["sklearn_f64_s_per_epoch"]
    row["skstab_over_floor"] = row["skstab_s_per_epoch"] / row["floor_s_per_epoch"]
    row["predict_speedup_vs_sklearn_f64"] = row["skstab_predict_rows_per_s"] / row["sklearn_f64_predict_rows_per_s"]
    return row


def layer_costs(epochs, batch_size=256):
    """Seconds per epoch of the plain network and of each optional layer, classification, in turns."""
    X64, y = make_data("classification")
    best = accelerators()[-1]
    contenders = {
        label: (
            make_model("skstab", "classification", batch_size, epochs, accelerator=best, **{**OLD_DEFAULTS, **p}),
            X64,
        )
        for label, p in {"plain": {}, **LAYERS}.items()
    }
    return interleaved_epoch_seconds(contenders, y, epochs, "classification")


def _default_fit(library, seed):
    """One default fit (hidden layers aside) of ``library`` on 20,000 rows; its wall seconds."""
    X, y = make_classification(n_samples=20_000, n_features=N_FEATURES, n_informative=32, n_classes=N_CLASSES,
                               random_state=seed)  # fmt: skip
    cls = StabilizedMLPClassifier if library == "skstab" else MLPClassifier
    model = cls(hidden_layer_sizes=HIDDEN, max_iter=3, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        model.fit(X, y)
    return time.perf_counter() - start


def concurrent_fits(n_processes=2):
    """Wall seconds of one default fit alone and of ``n_processes`` at once, per library, default threading.

    Every fit runs in a fresh (spawned) process, so no thread limit of this
    process carries over; the libraries alternate to share the machine's load.
    """
    context = multiprocessing.get_context("spawn")
    result = {}
    with context.Pool(n_processes) as pool:
        pool.starmap(_default_fit, [("skstab", 0), ("sklearn", 0)][:n_processes])  # imports, warm caches
        for library in ("skstab", "sklearn"):
            start = time.perf_counter()
            pool.apply(_default_fit, (library, 0))
            alone = time.perf_counter() - start
            start = time.perf_counter()
            pool.starmap(_default_fit, [(library, seed) for seed in range(n_processes)])
            result[library] = {"alone_s": alone, "concurrent_s": time.perf_counter() - start}
    result["skstab_over_sklearn_alone"] = result["skstab"]["alone_s"] / result["sklearn"]["alone_s"]
    result["skstab_over_sklearn_concurrent"] = result["skstab"]["concurrent_s"] / result["sklearn"]["concurrent_s"]
    return result


_FIRST_FIT = """
import time, warnings
start = time.perf_counter()
import numpy as np
from sklearn.datasets import make_classification
from skstab import StabilizedMLPClassifier
X, y = make_classification(n_samples=1000, n_features=20, random_state=0)
imported = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    StabilizedMLPClassifier(max_iter=10, random_state=0, accelerator="{accelerator}").fit(X, y)
print(time.perf_counter() - imported)
"""


def first_fit_seconds():
    """Seconds of the first fit of a 1,000-row table in a fresh process: numpy, numba with an empty kernel
    cache (a fresh install: numba's import plus the compilation), numba with the cache filled, and the default.
    """
    result = {}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        runs = [("numpy", "numpy"), ("auto", "default (auto)")]
        if numba_available():
            runs += [("numba", "numba, empty cache"), ("numba", "numba, cached")]
        for accelerator, label in runs:
            code = _FIRST_FIT.replace("{accelerator}", accelerator)
            output = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
            result[label] = float(output.stdout.split()[-1])
    return result


def format_table(rows):
    header = (
        f"{'task':14s} {'batch':>5s} {'sklearn f64':>11s} {'sklearn f32':>11s} {'numpy':>7s} {'numba':>7s} "
        f"{'ratio':>6s} {'defaults':>8s} {'floor':>7s} {'x floor':>7s} {'pred skstab':>12s} {'pred sklearn':>12s} "
        f"{'x':>5s} {'pred defaults':>13s}"
    )
    lines = [header, "-" * len(header)]
    for r in rows:
        numba = r.get("skstab_numba_s_per_epoch", float("nan"))
        lines.append(
            f"{r['task']:14s} {r['batch_size']:5d} {r['sklearn_f64_s_per_epoch']:11.3f} "
            f"{r['sklearn_f32_s_per_epoch']:11.3f} {r['skstab_numpy_s_per_epoch']:7.3f} {numba:7.3f} "
            f"{r['skstab_over_sklearn_f64']:6.2f} {r['skstab_defaults_s_per_epoch']:8.3f} "
            f"{r['floor_s_per_epoch']:7.3f} {r['skstab_over_floor']:7.2f} "
            f"{r['skstab_predict_rows_per_s']:12,.0f} {r['sklearn_f64_predict_rows_per_s']:12,.0f} "
            f"{r['predict_speedup_vs_sklearn_f64']:5.1f} {r['skstab_defaults_predict_rows_per_s']:13,.0f}"
        )
    return "\n".join(lines)


def format_extras(layers, concurrent, first_fit):
    lines = ["layer cost, classification, batch 256 (s/epoch, x plain):"]
    for label, seconds in layers.items():
        lines.append(f"  {label:20s} {seconds:7.3f}  x{seconds / layers['plain']:.2f}")
    if concurrent is not None:
        lines.append("default fits (3 epochs, 20,000 x 64, hidden (256, 256)), default threading, wall s:")
        for library in ("skstab", "sklearn"):
            c = concurrent[library]
            lines.append(f"  {library:8s} alone {c['alone_s']:7.2f}   two at once {c['concurrent_s']:7.2f}")
        lines.append(
            f"  skstab / sklearn: alone {concurrent['skstab_over_sklearn_alone']:.2f}, "
            f"two at once {concurrent['skstab_over_sklearn_concurrent']:.2f}"
        )
    if first_fit is not None:
        lines.append("first fit of a 1,000 x 20 table in a fresh process (s, after imports):")
        for label, seconds in first_fit.items():
            lines.append(f"  {label:20s} {seconds:6.2f}")
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
    parser.add_argument("--no-concurrent", action="store_true", help="skip the two-process default fits")
    parser.add_argument("--no-compile", action="store_true", help="skip the fresh-process first fits")
    parser.add_argument("--only", choices=["overhead"], help="run only the per-call overhead section")
    parser.add_argument("--overhead-repeats", type=int, default=200, help="calls per prediction case (default 200)")
    parser.add_argument("--output", type=Path, help=f"default {DEFAULT_OUTPUT.name}, or *_overhead.json with --only")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cases = [("classification", 32), ("classification", 256), ("regression", 256)]
    start = time.perf_counter()
    if args.only == "overhead":
        return run_alone(args.blas_threads, args.overhead_repeats, args.output or OVERHEAD_OUTPUT)
    with threadpool_limits(args.blas_threads or None):
        rows = [run_case(task, batch, args.epochs) for task, batch in cases]
        layers = layer_costs(args.epochs)
        memory = None if args.no_memory else peak_fit_memory_mb()
        overhead = per_call_overhead(args.overhead_repeats)
    concurrent = None if args.no_concurrent else concurrent_fits()
    first_fit = None if args.no_compile else first_fit_seconds()
    table = format_table(rows) + "\n\n" + format_extras(layers, concurrent, first_fit)
    table += "\n\nper-call overhead (ms per call, median; ratio = skstab / sklearn):\n" + format_overhead(overhead)
    print(
        f"seconds per epoch (median of {args.epochs} after a warm-up), hidden {HIDDEN}, "
        f"{N_SAMPLES}x{N_FEATURES}; numpy, numba = skstab's old defaults with that accelerator; ratio = the "
        "fastest of them / sklearn float64; defaults = today's defaults; floor = float32 GEMMs only; "
        "pred = predict(_proba) rows/s (skstab: old defaults, then today's defaults)"
    )
    print(table)
    if memory is not None:
        print(f"\npeak traced memory, 1-epoch fit on 1,000,000x64 float32 (X = {memory[1]:.0f} MB): {memory[0]:.0f} MB")
    args.output = args.output or DEFAULT_OUTPUT
    args.output.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "rows": rows,
        "per_call_overhead": overhead,
        "layer_s_per_epoch": layers,
        "concurrent_fits": concurrent,
        "first_fit_s": first_fit,
        "peak_fit_memory_mb": None if memory is None else {"peak": memory[0], "X": memory[1]},
        "table": table,
        "blas_threads": args.blas_threads,
        "seconds": time.perf_counter() - start,
        "versions": environment(),
        "machine": platform.platform(),
        "blas": [{k: info.get(k) for k in ("internal_api", "version", "num_threads")} for info in threadpool_info()],
    }
    args.output.write_text(json.dumps(record, indent=2))
    print(f"\nWrote {args.output} ({record['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
