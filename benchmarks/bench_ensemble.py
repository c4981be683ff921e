"""Interleaved A/B timings of the BatchEnsemble layer's kernels (issue 23).

Each comparison runs its two variants alternately in one process on the same
arrays and reports the median time of each and their ratio (new / old; below
1 is faster), so that a machine busy with something else slows both alike.

* ``backward``: the layer's backward kernel writing into workspaces, against
  the kernel before it (kept below), which allocated three batch-sized
  arrays per call; then a training step (forward and backward) of a whole
  default-shaped network, with the old kernel patched in for "old".
* ``fold``: inference with the members' multipliers folded into per-member
  weights ("new", cached as the layer caches them; also folded again at
  every call), against the unfolded computation ("old", folding switched
  off), per layer at predict-chunk and small batch sizes, then whole
  networks predicting 10,000 rows and small batches.

Usage::

    python benchmarks/bench_ensemble.py backward
    python benchmarks/bench_ensemble.py fold
"""

import statistics
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

import skstab.nn._ensemble as ensemble_module
from skstab.nn import BatchEnsembleDense, BatchNorm, ReLU, Sequential
from skstab.nn._ensemble import FOLD_MIN_ROWS
from skstab.nn._ensemble_functional import batch_ensemble_backward

K = 4


def old_batch_ensemble_backward(dY, X, W, r, s, scaled, product, dW, dr, ds, db, shared_input, need_input_grad=True):
    """The kernel as it was before it took workspaces (commit 4982121), for the A/B."""
    k, h = s.shape
    dY3 = dY.reshape(k, -1, h)
    np.add.reduce(dY3, axis=1, out=db)
    np.einsum("knh,knh->kh", dY3, product.reshape(k, -1, h), out=ds)
    dproduct = dY3 * s[:, None, :]
    flat = dproduct.reshape(-1, h)
    np.matmul(scaled.reshape(-1, W.shape[0]).T, flat, out=dW)
    dscaled = np.matmul(flat, W.T).reshape(k, -1, W.shape[0])
    if shared_input:
        np.einsum("knd,nd->kd", dscaled, X, out=dr)
    else:
        np.einsum("knd,knd->kd", dscaled, X.reshape(k, -1, X.shape[1]), out=dr)
    if not need_input_grad:
        return None
    dscaled *= r[:, None, :]
    if shared_input:
        return np.add.reduce(dscaled, axis=0)
    return dscaled.reshape(-1, W.shape[0])


def _old_kernel_ignoring_workspaces(*args, dproduct=None, dscaled=None, dX=None):
    return old_batch_ensemble_backward(*args)


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


def bench_backward(repeats=101):
    rng = np.random.default_rng(0)
    print("-- backward kernel, float32, 4 members")
    for first, n, d, h in [
        (True, 32, 20, 100),
        (True, 32, 100, 100),
        (False, 32, 100, 1),
        (True, 256, 64, 256),
        (False, 256, 256, 256),
        (True, 32, 64, 256),
        (False, 32, 256, 256),
    ]:
        layer = BatchEnsembleDense(h, K, first=first)
        layer.build(d, rng, dtype=np.float32)
        X = rng.standard_normal((n if first else K * n, d), dtype=np.float32)
        dY = rng.standard_normal((K * n, h), dtype=np.float32)
        layer.forward(X, training=True)
        X, scaled, product = layer._cache
        p, g = layer.params, layer.grads
        args = (dY, X, p["W"], p["r"], p["s"], scaled, product, g["W"], g["r"], g["s"], g["b"], first, not first)
        work = {"dproduct": np.empty_like(product), "dscaled": np.empty((K * n, d), np.float32), "dX": None}

        def old(args=args):
            return old_batch_ensemble_backward(*args)

        def new(args=args, work=work):
            return batch_ensemble_backward(*args, **work)

        medians = interleaved({"old": old, "new": new}, repeats, inner=20)
        report(f"{'first' if first else 'hidden'} n={n} d={d} h={h}", medians)

    print("-- training step (forward + backward) of a whole network, float32, 4 members")
    for hidden, d, n in [((100,), 20, 32), ((100,), 100, 32), ((256, 256), 64, 32), ((256, 256), 64, 256)]:
        layers = []
        for index, width in enumerate(hidden):
            layers += [BatchEnsembleDense(width, K, first=index == 0), BatchNorm(), ReLU()]
        net = Sequential(layers + [BatchEnsembleDense(1, K, average="identity")])
        net.build(d, rng, dtype=np.float32)
        X = rng.standard_normal((n, d), dtype=np.float32)
        dY = rng.standard_normal((K * n, 1), dtype=np.float32)

        def step(net=net, X=X, dY=dY):
            net.forward(X, training=True)
            net.backward(dY)

        def old_step(step=step):
            ensemble_module.batch_ensemble_backward = _old_kernel_ignoring_workspaces
            try:
                step()
            finally:
                ensemble_module.batch_ensemble_backward = batch_ensemble_backward

        report(f"net {hidden} d={d} batch={n}", interleaved({"old": old_step, "new": step}, repeats, inner=20))


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
    which = sys.argv[1:] or ["backward", "fold"]
    with threadpool_limits(limits=1):
        if "backward" in which:
            bench_backward()
        if "fold" in which:
            bench_fold()
