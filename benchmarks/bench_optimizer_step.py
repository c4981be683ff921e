"""Cost of one optimizer step as the network gets deeper.

Builds networks of 2 and 6 hidden layers (width 256, batch normalization,
64 inputs, 10 outputs), then times one AdamW step with its decay mask plus
the global-norm clipping that precedes it, and counts the C-level calls
(numpy ufuncs, BLAS) that one step makes. Because parameters, gradients and
optimizer state are single flat arrays, the count is the same at any depth;
only the time per call grows, with the number of parameters.

Usage::

    python benchmarks/bench_optimizer_step.py
"""

import statistics
import sys
import timeit

import numpy as np
from threadpoolctl import threadpool_limits

from skstab.nn import BatchNorm, Dense, ReLU, Sequential
from skstab.optim import AdamW, clip_grad_norm_


def build(n_hidden, dtype=np.float32):
    layers = []
    for _ in range(n_hidden):
        layers += [Dense(256), BatchNorm(), ReLU()]
    net = Sequential(layers + [Dense(10)])
    net.build(64, np.random.default_rng(0), dtype=dtype)
    net.grads[...] = np.random.default_rng(1).standard_normal(net.grads.size)
    return net


def count_c_calls(function):
    """Number of calls into C (numpy, BLAS, builtins) made by ``function()``."""
    calls = []

    def profile(frame, event, arg):
        if event == "c_call":
            calls.append(arg)

    sys.setprofile(profile)
    try:
        function()
    finally:
        sys.setprofile(None)
    return len(calls)


def measure(n_hidden):
    net = build(n_hidden)
    optimizer = AdamW(weight_decay=0.01, decay_mask=net.decay_mask)
    grads = net.grads.copy()

    def step():
        net.grads[...] = grads  # not timed separately; identical for both depths
        clip_grad_norm_(net.grads, 1.0)
        optimizer.step(net.params, net.grads, lr=1e-3)

    def reset_only():
        net.grads[...] = grads

    step()
    times = timeit.repeat(step, number=200, repeat=7)
    baseline = timeit.repeat(reset_only, number=200, repeat=7)
    micros = (statistics.median(times) - statistics.median(baseline)) / 200 * 1e6
    calls = count_c_calls(lambda: (clip_grad_norm_(net.grads, 1.0), optimizer.step(net.params, net.grads, lr=1e-3)))
    return net.params.size, micros, calls


def main():
    print(f"{'hidden layers':>13s} {'parameters':>11s} {'C calls/step':>12s} {'us/step':>8s} {'ns/param':>9s}")
    with threadpool_limits(1):
        for n_hidden in (2, 6):
            size, micros, calls = measure(n_hidden)
            print(f"{n_hidden:13d} {size:11,d} {calls:12d} {micros:8.1f} {micros * 1e3 / size:9.2f}")


if __name__ == "__main__":
    main()
