"""skstab's optimizers, normalization layers and loss against PyTorch, on the same numbers.

PyTorch is not a dependency of skstab; install it to run this check
(``pip install torch``). Every comparison runs in float64 from the same
random inputs: 20 optimizer steps from the same start, one forward and
backward pass of each normalization layer in training mode, and a weighted
softmax cross-entropy. skstab's batch normalization averages the biased batch
variance into its running variance where PyTorch
averages the unbiased one, so that buffer is compared after converting.

Usage::

    python benchmarks/crosscheck_pytorch.py
"""

import numpy as np

from skstab.nn import BatchNorm, GroupNorm, LayerNorm, SoftmaxCrossEntropy
from skstab.optim import SGD, Adam, AdamW, RMSProp

try:
    import torch
except ImportError as exc:  # the check is optional; say how to run it
    raise SystemExit("This cross-check needs PyTorch: pip install torch") from exc

STEPS, N_PARAMS, ROWS, WIDTH, LR = 20, 50, 16, 8, 1e-2


def optimizer_pairs():
    return [
        ("Adam", Adam(), lambda p: torch.optim.Adam(p, lr=LR)),
        ("AdamW", AdamW(weight_decay=0.1), lambda p: torch.optim.AdamW(p, lr=LR, weight_decay=0.1)),
        (
            "SGD nesterov",
            SGD(momentum=0.9, nesterov=True),
            lambda p: torch.optim.SGD(p, lr=LR, momentum=0.9, nesterov=True),
        ),
        (
            "RMSProp",
            RMSProp(alpha=0.99, epsilon=1e-8),
            lambda p: torch.optim.RMSprop(p, lr=LR, alpha=0.99, eps=1e-8),
        ),
    ]


def check_optimizers(rng):
    start, grads = rng.standard_normal(N_PARAMS), rng.standard_normal((STEPS, N_PARAMS))
    for name, ours, make_theirs in optimizer_pairs():
        params = start.copy()
        for g in grads:
            ours.step(params, g.copy(), lr=LR)
        reference = torch.nn.Parameter(torch.tensor(start))
        theirs = make_theirs([reference])
        for g in grads:
            reference.grad = torch.tensor(g)
            theirs.step()
        yield name, np.abs(params - reference.detach().numpy()).max()


def check_normalization(rng):
    X, dY = rng.standard_normal((ROWS, WIDTH)), rng.standard_normal((ROWS, WIDTH))
    for name, ours, theirs in [
        ("BatchNorm", BatchNorm(momentum=0.9), torch.nn.BatchNorm1d(WIDTH, momentum=0.1)),
        ("LayerNorm", LayerNorm(), torch.nn.LayerNorm(WIDTH)),
        ("GroupNorm", GroupNorm(n_groups=2), torch.nn.GroupNorm(2, WIDTH)),
    ]:
        ours.build(WIDTH)
        Y = ours.forward(X, training=True)
        dX = ours.backward(dY)
        X_t = torch.tensor(X, requires_grad=True)
        Y_t = theirs.train()(X_t)
        Y_t.backward(torch.tensor(dY))
        yield f"{name} output", np.abs(Y - Y_t.detach().numpy()).max()
        yield f"{name} input gradient", np.abs(dX - X_t.grad.numpy()).max()
        yield f"{name} gamma gradient", np.abs(ours.grads["gamma"] - theirs.weight.grad.numpy()).max()
        yield f"{name} beta gradient", np.abs(ours.grads["beta"] - theirs.bias.grad.numpy()).max()
        if name == "BatchNorm":
            yield "BatchNorm running mean", np.abs(ours.buffers["running_mean"] - theirs.running_mean.numpy()).max()
            biased = (theirs.running_var.numpy() - 0.9) * (ROWS - 1) / ROWS + 0.9
            yield "BatchNorm running var (biased)", np.abs(ours.buffers["running_var"] - biased).max()


def check_loss(rng):
    Z, labels, weights = rng.standard_normal((ROWS, 5)), rng.integers(0, 5, ROWS), rng.uniform(0.5, 2, ROWS)
    loss, dZ = SoftmaxCrossEntropy()(Z, np.eye(5)[labels], weights)
    Z_t, w_t = torch.tensor(Z, requires_grad=True), torch.tensor(weights)
    per_row = torch.nn.functional.cross_entropy(Z_t, torch.tensor(labels), reduction="none")
    reference = (per_row * w_t).sum() / w_t.sum()
    reference.backward()
    yield "softmax cross-entropy", abs(loss - reference.item())
    yield "softmax cross-entropy gradient", np.abs(dZ - Z_t.grad.numpy()).max()


def main():
    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(0)
    rows = [*check_optimizers(rng), *check_normalization(rng), *check_loss(rng)]
    print(f"skstab against PyTorch {torch.__version__}, float64, max absolute difference")
    for name, difference in rows:
        print(f"  {name:32s} {difference:.1e}")
    worst = max(difference for _, difference in rows)
    print(f"worst: {worst:.1e}")
    if worst > 1e-12:
        raise SystemExit("skstab and PyTorch disagree")


if __name__ == "__main__":
    main()
