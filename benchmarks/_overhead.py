"""Per-call overhead for bench_training.py: small partial_fit chunks and small predictions, skstab against scikit-learn.

Each library's model is fitted once on a 2,000 x 20 table (3 classes, or a regression target) with its
default parameters except ``max_iter=5``, which does not change what one later call costs. Then every
case calls both models in turns (skstab, scikit-learn, skstab, ...), so that a shared machine's load falls on
both alike, and reports the median milliseconds per call and the median of the per-turn ratios.
"""

import json
import statistics
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.neural_network import MLPClassifier, MLPRegressor
from threadpoolctl import threadpool_limits

from skstab import StabilizedMLPClassifier, StabilizedMLPRegressor

N_ROWS, N_COLUMNS = 2_000, 20
#: (task, what is called, rows per call, whether X is a pandas DataFrame).
CASES = [
    ("classification", "partial_fit", 64, False),
    ("classification", "partial_fit", 1, False),
    ("classification", "partial_fit", 64, True),
    ("regression", "partial_fit", 64, False),
    ("regression", "partial_fit", 1, False),
    ("classification", "predict", 1, False),
    ("classification", "predict", 10, False),
    ("classification", "predict", 100, False),
    ("classification", "predict_proba", 1, False),
    ("classification", "predict_proba", 100, False),
    ("classification", "predict", 1, True),
    ("regression", "predict", 1, False),
    ("regression", "predict", 10, False),
    ("regression", "predict", 100, False),
]


def _data(task, frame):
    X, y = make_classification(N_ROWS, N_COLUMNS, n_informative=10, n_classes=3, random_state=0)
    if task == "regression":
        y = X[:, 0] - 2 * X[:, 1] + np.random.default_rng(0).normal(scale=0.5, size=N_ROWS)
    if frame:
        X = pd.DataFrame(X, columns=[f"x{j}" for j in range(N_COLUMNS)])
    return X, y


def _fitted(task, frame):
    """The two fitted models, their data, and partial_fit's keyword arguments."""
    X, y = _data(task, frame)
    if task == "classification":
        models = {"skstab": StabilizedMLPClassifier, "sklearn": MLPClassifier}
    else:
        models = {"skstab": StabilizedMLPRegressor, "sklearn": MLPRegressor}
    models = {library: cls(max_iter=5, random_state=0).fit(X, y) for library, cls in models.items()}
    return models, X, y, {"classes": np.unique(y)} if task == "classification" else {}


def _calls(models, X, y, extra, what, n_rows):
    rows = X[:n_rows]
    if what == "partial_fit":
        targets = y[:n_rows]
        return {library: (lambda m=model: m.partial_fit(rows, targets, **extra)) for library, model in models.items()}
    return {library: (lambda m=model: getattr(m, what)(rows)) for library, model in models.items()}


def per_call_overhead(repeats=200):
    """Median milliseconds per call of each library, and the median skstab / scikit-learn ratio, per case."""
    results = []
    fitted = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence and clipping warnings of 5-epoch fits and 1-row chunks
        for task, what, n_rows, frame in CASES:
            if (task, frame) not in fitted:
                fitted[task, frame] = _fitted(task, frame)
            calls = _calls(*fitted[task, frame], what, n_rows)
            for call in calls.values():  # warm-up: first-call work (imports, caches) is not per-call overhead
                call()
            times = {library: [] for library in calls}
            for _ in range(repeats if what != "partial_fit" else max(repeats // 4, 10)):
                for library, call in calls.items():
                    start = time.perf_counter()
                    call()
                    times[library].append(time.perf_counter() - start)
            results.append(
                {
                    "task": task,
                    "call": what,
                    "rows": n_rows,
                    "dataframe": frame,
                    "skstab_ms": 1e3 * statistics.median(times["skstab"]),
                    "sklearn_ms": 1e3 * statistics.median(times["sklearn"]),
                    "ratio": statistics.median(a / b for a, b in zip(times["skstab"], times["sklearn"])),
                }
            )
    return results


def format_overhead(results):
    """The per-call table: one line per case."""
    lines = [f"{'task':14s} {'call':13s} {'rows':>4s} {'X':5s} {'skstab ms':>9s} {'sklearn ms':>10s} {'ratio':>6s}"]
    lines.append("-" * len(lines[0]))
    for r in results:
        kind = "frame" if r["dataframe"] else "array"
        lines.append(
            f"{r['task']:14s} {r['call']:13s} {r['rows']:4d} {kind:5s} {r['skstab_ms']:9.3f} "
            f"{r['sklearn_ms']:10.3f} {r['ratio']:6.2f}"
        )
    return "\n".join(lines)


def run_alone(blas_threads, repeats, output):
    """``--only overhead``: run this section alone, print its table and write its record to ``output``."""
    start = time.perf_counter()
    with threadpool_limits(blas_threads or None):
        results = per_call_overhead(repeats)
    print(format_overhead(results))
    record = {"per_call_overhead": results, "blas_threads": blas_threads, "seconds": time.perf_counter() - start}
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(record, indent=2))
    print(f"\nWrote {output} ({record['seconds']:.0f} s)")
