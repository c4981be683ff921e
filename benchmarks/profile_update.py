"""Where the time of one training update goes, per piece, for each accelerator.

Builds the benchmark network of ``bench_training.py`` (64 inputs, hidden
(256, 256), 10 classes, batch normalization, ReLU, float32) and times each
piece of one update separately, many times over, taking the median of
repeats: the forward and backward pass of every layer, the loss with its
gradient, the gradient clipping and the AdamW step. The accelerators take
turns, repeat by repeat, so that a busy machine slows them alike.

Usage::

    python benchmarks/profile_update.py --batch-size 32
"""

import argparse
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_limits

from skstab import nn, optim
from skstab.utils._accelerator import numba_available


def build(accelerator, batch_size, rng):
    layers = []
    for width in (256, 256):
        layers += [nn.Dense(width, init="he"), nn.BatchNorm(accelerator=accelerator), nn.ReLU()]
    layers.append(nn.Dense(10))
    net = nn.Sequential(layers)
    net.build(64, rng, dtype=np.float32)
    opt = optim.AdamW(decay_mask=net.decay_mask, accelerator=accelerator)
    loss = nn.SoftmaxCrossEntropy(accelerator=accelerator)
    X = rng.standard_normal((batch_size, 64), dtype=np.float32)
    Y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, batch_size)]
    return net, opt, loss, X, Y


def pieces(net, opt, loss, X, Y):
    """Callables, one per piece of an update, in order; each runs its piece once."""
    state = {}

    def forward():
        state["Z"] = net.forward(X, training=True)

    def loss_and_grad():
        state["dZ"] = loss(state["Z"], Y)[1]

    def backward():
        net.backward(state["dZ"])

    def clip():
        optim.clip_grad_norm_(net.grads, 1.0)

    def step():
        opt.step(net.params, net.grads, lr=1e-3)

    return {"forward": forward, "loss": loss_and_grad, "backward": backward, "clip": clip, "optimizer": step}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args(argv)
    accelerators = ["numpy", "numba"] if numba_available() else ["numpy"]
    setups = {acc: pieces(*build(acc, args.batch_size, np.random.default_rng(0))) for acc in accelerators}
    times = {acc: {name: [] for name in setups[acc]} for acc in accelerators}
    with threadpool_limits(1, user_api="blas"):
        for acc in accelerators:  # warm-up, compiles
            for piece in setups[acc].values():
                piece()
        for _ in range(args.repeats):
            for acc in accelerators:
                for name, piece in setups[acc].items():
                    start = time.perf_counter()
                    for _ in range(args.calls):
                        piece()
                    times[acc][name].append((time.perf_counter() - start) / args.calls)
    print(f"microseconds per update piece, batch {args.batch_size}, float32, one BLAS thread (median of repeats)")
    print(f"{'piece':10s}" + "".join(f"{acc:>10s}" for acc in accelerators))
    totals = dict.fromkeys(accelerators, 0.0)
    for name in setups[accelerators[0]]:
        cells = ""
        for acc in accelerators:
            us = statistics.median(times[acc][name]) * 1e6
            totals[acc] += us
            cells += f"{us:10.1f}"
        print(f"{name:10s}{cells}")
    print(f"{'total':10s}" + "".join(f"{totals[acc]:10.1f}" for acc in accelerators))


if __name__ == "__main__":
    main()
