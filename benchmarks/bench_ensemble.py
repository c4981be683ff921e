"""Interleaved A/B timings of the BatchEnsemble layer's folded inference (issue 23).

Inference with the members' multipliers folded into per-member weights
("new", cached as the layer caches them; also folded again at every call)
runs alternately with the unfolded computation ("old", folding switched off)
in one process on the same arrays; the report gives the median time of each
and their ratio (new / old; below 1 is faster), so that a machine busy with
something else slows both alike: per layer at predict-chunk and small batch
sizes, then whole networks predicting 10,000 rows and small batches.

(The backward kernel's workspaces were measured the same way against the
kernel before them: ``git show 69e8c06:benchmarks/bench_ensemble.py``.)

Usage::

    python benchmarks/bench_ensemble.py
"""

import statistics
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

import skstab.nn._ensemble as ensemble_module
from skstab.nn import BatchEnsembleDense, BatchNorm, ReLU, Sequential
from skstab.nn._ensemble import FOLD_MIN_ROWS

K = 4


def interleaved(variants, repeats, inner):
    """Median seconds per call of each variant, run alternately ``repeats`` times, ``inner`` calls each."""
    times = {name: [] for name in variants}
    for function in variants.values():
        function()  # warm-up: workspaces, BLAS threads, caches
    for _ in range(repeats):
        for name, function in variants.items():
            start = time.perf_counter()
            for _ in range(inner):
                function()
            times[name].append((time.perf_counter() - start) / inner)
    return {name: statistics.median(values) for name, values in times.items()}


def report(label, medians):
    old, new = medians["old"], medians["new"]
    print(f"{label:<46} old {old * 1e6:9.1f} us  new {new * 1e6:9.1f} us  new/old {new / old:.3f}", flush=True)


def _unfolded(function):
    def run():
        ensemble_module.FOLD_MIN_ROWS = sys.maxsize
        try:
            return function()
        finally:
            ensemble_module.FOLD_MIN_ROWS = FOLD_MIN_ROWS

    return run


def bench_fold(repeats=31):
    rng = np.random.default_rng(0)
    print(f"-- inference of one layer, float32, 4 members; folding from {FOLD_MIN_ROWS} rows per member")
    for first, n, d, h in [
        (True, 4096, 20, 100),
        (True, 4096, 100, 100),
        (False, 4096, 100, 1),
        (True, 4096, 64, 256),
        (False, 4096, 256, 256),
        (False, 4096, 256, 10),
        (True, 1024, 64, 256),
        (False, 1024, 256, 256),
        (True, 128, 20, 100),
        (True, 128, 100, 100),
        (True, 128, 64, 256),
        (False, 128, 256, 256),
        (False, 128, 100, 1),
    ]:
        layer = BatchEnsembleDense(h, K, first=first)
        layer.build(d, rng, dtype=np.float32)
        p = layer.params
        p["r"][...] = rng.standard_normal(p["r"].shape)
        p["s"][...] = rng.standard_normal(p["s"].shape)
        X = rng.standard_normal((n if first else K * n, d), dtype=np.float32)

        def new(layer=layer, X=X):
            return layer.infer(X)

        def every_call(layer=layer, X=X):
            layer._folded = None
            return layer.infer(X)

        inner = max(1, 3_000_000 // (n * d * h * K + 20_000))
        medians = interleaved({"old": _unfolded(new), "new": new, "every call": every_call}, repeats, inner)
        report(f"{'first' if first else 'hidden'} n={n} d={d} h={h}", medians)
        print(f"{'':<46} folding again at every call: new/old {medians['every call'] / medians['old']:.3f}")

    print("-- whole network predicting (Sequential.infer), float32, 4 members, batch normalization folded in")
    for hidden, d in [((100,), 20), ((100,), 100), ((256, 256), 64)]:
        layers = []
        for index, width in enumerate(hidden):
            layers += [BatchEnsembleDense(width, K, first=index == 0), BatchNorm(), ReLU()]
        net = Sequential(layers + [BatchEnsembleDense(1, K, average="identity")])
        net.build(d, rng, dtype=np.float32)
        net.params[...] += rng.normal(scale=0.1, size=net.params.shape)
        for n in (10_000, 1000, 128, 100, 1):
            X = rng.standard_normal((n, d), dtype=np.float32)

            def predict(net=net, X=X):
                return net.infer(X)

            inner = max(1, 200_000 // (n * d * max(hidden)) + 1)
            report(
                f"net {hidden} d={d} rows={n}", interleaved({"old": _unfolded(predict), "new": predict}, repeats, inner)
            )


if __name__ == "__main__":
    with threadpool_limits(limits=1):
        bench_fold()
