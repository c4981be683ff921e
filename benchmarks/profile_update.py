"""Where the time of one training update of the default recipe goes, step by step, for each accelerator.

Fits ``StabilizedMLPClassifier`` with its defaults for one epoch on the data of
``bench_training.py`` (50,000 x 64, 10 classes), so the network is the one the
defaults build there: robust input scaling, the piecewise-linear encoding,
a 4-member ensemble of one hidden layer of 100 units with batch normalization and ReLU.
Then it times each step of one update on one batch, many times over: the
forward and backward pass of every layer (a pair the network fuses, as
``Sequential`` runs it, counts as one step), the loss with its gradient, the
gradient clipping and the AdamW step. The accelerators take turns, repeat by
repeat, so that a busy machine slows them alike; the table reports the median
of the repeats, in microseconds, with one BLAS thread.

Usage::

    python benchmarks/profile_update.py                  # the defaults' batch (128 rows here)
    python benchmarks/profile_update.py --batch-size 32 --param n_ensemble=1
"""

import argparse
import json
import statistics
import time
import warnings

import numpy as np
from sklearn.datasets import make_classification
from threadpoolctl import threadpool_limits

from skstab import StabilizedMLPClassifier, optim
from skstab.utils._accelerator import numba_available


def build(accelerator, batch_size, params):
    """The fitted default network, its loss and optimizer, and one scaled, encoded-ready batch."""
    X, y = make_classification(
        n_samples=50_000, n_features=64, n_informative=32, n_classes=10, random_state=0
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = StabilizedMLPClassifier(max_iter=1, accelerator=accelerator, random_state=0, **params).fit(X, y)
    net = est.net_
    batch = np.ascontiguousarray(est._scale_inputs(X[:batch_size], net.params.dtype))
    Y = np.eye(10, dtype=net.params.dtype)[y[:batch_size]]
    opt = optim.AdamW(decay_mask=net.decay_mask, lr_factors=net.lr_factors, accelerator=accelerator)
    return net, est._make_loss(accelerator), opt, batch, Y


def steps(net, loss, opt, X, Y):
    """``{name: callable}`` in update order; each runs its step once on what the previous steps left."""
    layers, plan, index = net.layers, [], 0
    while index < len(layers):
        follower = layers[index + 1] if index + 1 < len(layers) else None
        fused = follower is not None and layers[index].fuses_with(follower, X)
        plan.append((index, fused))
        index += 2 if fused else 1
    inputs, grads, state = {}, {}, {}

    def forward_step(index, fused):
        def run():
            layer = layers[index]
            source = inputs[index]
            if fused:
                state[index] = layer.forward_fused(source, layers[index + 1])
            else:
                state[index] = layer.forward(source, training=True)

        return run

    def backward_step(index, fused, last):
        def run():
            layer = layers[index]
            need = net.input_gradient_needed(index)
            if fused:
                grads[index] = layer.backward_fused(grads[last], need_input_grad=need)
            else:
                grads[index] = layer.backward(grads[last], need_input_grad=need)

        return run

    pieces = {}
    source = X
    for index, fused in plan:
        inputs[index] = source
        name = type(layers[index]).__name__ + (f" + {type(layers[index + 1]).__name__}" if fused else "")
        pieces[f"forward {index:2d} {name}"] = forward_step(index, fused)
        pieces[f"forward {index:2d} {name}"]()
        source = state[index]
    state["Z"] = source
    out = len(layers)

    def loss_and_grad():
        grads[out] = loss(state["Z"], np.tile(Y, (state["Z"].shape[0] // Y.shape[0], 1)))[1]

    pieces["loss"] = loss_and_grad
    loss_and_grad()
    last = out
    for index, fused in reversed(plan):
        name = type(layers[index]).__name__ + (f" + {type(layers[index + 1]).__name__}" if fused else "")
        pieces[f"backward {index:2d} {name}"] = backward_step(index, fused, last)
        pieces[f"backward {index:2d} {name}"]()
        last = index
    pieces["clip"] = lambda: optim.clip_grad_norm_(net.grads, 1.0)
    pieces["optimizer"] = lambda: opt.step(net.params, net.grads, lr=1e-3)
    return pieces


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=128, help="rows per update (default: the defaults' 128)")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--param", action="append", default=[], metavar="NAME=JSON", help="a non-default parameter")
    args = parser.parse_args(argv)
    params = {name: json.loads(value) for name, value in (item.split("=", 1) for item in args.param)}
    accelerators = ["numpy", "numba"] if numba_available() else ["numpy"]
    setups = {acc: steps(*build(acc, args.batch_size, params)) for acc in accelerators}
    names = list(dict.fromkeys(name for acc in accelerators for name in setups[acc]))
    times = {acc: {name: [] for name in setups[acc]} for acc in accelerators}
    with threadpool_limits(1, user_api="blas"):
        for _ in range(args.repeats):
            for acc in accelerators:
                for name, piece in setups[acc].items():
                    start = time.perf_counter()
                    for _ in range(args.calls):
                        piece()
                    times[acc][name].append((time.perf_counter() - start) / args.calls)
    setting = f"batch {args.batch_size}, parameters {params or 'default'}, one BLAS thread"
    print(f"microseconds per step of one update, {setting}")
    print(f"{'step':44s}" + "".join(f"{acc:>10s}" for acc in accelerators))
    totals = dict.fromkeys(accelerators, 0.0)
    for name in names:
        cells = ""
        for acc in accelerators:
            if name in times[acc]:
                us = statistics.median(times[acc][name]) * 1e6
                totals[acc] += us
                cells += f"{us:10.0f}"
            else:
                cells += f"{'-':>10s}"
        print(f"{name:44s}{cells}")
    print(f"{'total':44s}" + "".join(f"{totals[acc]:10.0f}" for acc in accelerators))


if __name__ == "__main__":
    main()
