"""The training loop: batches, clipping, scheduled optimizer steps, stopping rules.

It composes a network from :mod:`skstab.nn` with an optimizer and a schedule
from :mod:`skstab.optim` and returns its history as data. It knows nothing of
scikit-learn: the estimators validate inputs, build the pieces and copy the
:class:`TrainingResult` into their fitted attributes.
"""

import logging
from dataclasses import dataclass, field

import numpy as np

from .optim import clip_grad_norm_

logger = logging.getLogger("skstab")

#: Fewest rows a training step may see: batch statistics from fewer rows are
#: noise (the guide's "batch norm underflow"), so a shorter remainder batch is
#: merged into the batch before it.
MIN_BATCH_ROWS = 8


def batch_bounds(n_samples, batch_size):
    """``(start, stop)`` of each batch of an epoch, the short remainder merged.

    Examples
    --------
    >>> batch_bounds(70, 32)
    [(0, 32), (32, 70)]
    >>> batch_bounds(80, 32)
    [(0, 32), (32, 64), (64, 80)]
    """
    batch_size = max(1, min(batch_size, n_samples))
    bounds = [(start, min(start + batch_size, n_samples)) for start in range(0, n_samples, batch_size)]
    if len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] < MIN_BATCH_ROWS:
        bounds[-2:] = [(bounds[-2][0], n_samples)]
    return bounds


@dataclass
class Validation:
    """Held-out data for early stopping.

    ``score`` maps the network's raw outputs on ``X`` to a number where higher
    is better (accuracy, R^2).
    """

    X: np.ndarray
    score: object


@dataclass
class StoppingState:
    """What the stopping rule remembers between epochs (and partial_fit calls)."""

    best_loss: float = np.inf
    best_validation_score: float = -np.inf
    no_improvement_count: int = 0
    best_state: object = None


@dataclass
class TrainingResult:
    """History of one call to :func:`train`.

    Attributes
    ----------
    loss_curve : list of float
        Weighted mean training loss of each epoch.
    validation_scores : list of float or None
        Score on the validation set after each epoch, with early stopping.
    lr_curve : ndarray of shape (n_steps,)
        Learning rate of every optimizer update.
    grad_norm_curve : ndarray of shape (n_steps,)
        Global gradient norm of every update, before clipping.
    clip_fraction_curve : list of float
        Share of each epoch's updates whose gradient was clipped.
    n_epochs : int
        Epochs run.
    n_steps : int
        Optimizer updates taken.
    n_samples_seen : int
        Training rows processed, counted once per epoch.
    converged : bool
        Whether the stopping rule ended training before the epoch budget.
    """

    loss_curve: list = field(default_factory=list)
    validation_scores: list = None
    lr_curve: np.ndarray = None
    grad_norm_curve: np.ndarray = None
    clip_fraction_curve: list = field(default_factory=list)
    n_epochs: int = 0
    n_steps: int = 0
    n_samples_seen: int = 0
    converged: bool = False


class _BatchSource:
    """Yields the batches of one epoch without copying X more than one batch at a time."""

    def __init__(self, X, Y, sample_weight, batch_size):
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self.bounds = batch_bounds(X.shape[0], batch_size)
        self._buffers = {}

    def _take(self, key, array, rows):
        if not isinstance(array, np.ndarray):  # sparse rows are gathered by scipy
            return array[rows]
        shape = (rows.size,) + array.shape[1:]
        buf = self._buffers.get((key, shape))
        if buf is None:
            buf = self._buffers[(key, shape)] = np.empty(shape, dtype=array.dtype)
        return np.take(array, rows, axis=0, out=buf)

    def epoch(self, order):
        sw = self.sample_weight
        for start, stop in self.bounds:
            if order is None:
                rows = slice(start, stop)
                yield self.X[rows], self.Y[rows], None if sw is None else sw[rows]
            else:
                rows = order[start:stop]
                yield (
                    self._take("X", self.X, rows),
                    self._take("Y", self.Y, rows),
                    None if sw is None else self._take("w", sw, rows),
                )


def train(
    net,
    loss_fn,
    optimizer,
    schedule,
    X,
    Y,
    sample_weight=None,
    *,
    n_epochs,
    batch_size,
    rng,
    shuffle=True,
    clip_norm=None,
    first_step=0,
    tol=1e-4,
    n_iter_no_change=10,
    stopping=None,
    validation=None,
):
    """Train ``net`` in place for up to ``n_epochs`` epochs.

    Parameters
    ----------
    net : skstab.nn.Sequential
        A built network.
    loss_fn : callable
        ``loss_fn(Z, Y, sample_weight) -> (loss, dZ)``.
    optimizer : skstab.optim optimizer
        Updates ``net.params`` from ``net.grads``.
    schedule : callable
        Learning rate as a function of the global step index.
    X, Y : ndarray
        Training inputs and encoded targets, already in the compute dtype.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative row weights.
    n_epochs : int
        Epoch budget.
    batch_size : int
        Rows per optimizer update (see :func:`batch_bounds`).
    rng : numpy.random.Generator
        Shuffles the rows at the start of every epoch.
    shuffle : bool, default=True
        Whether to shuffle.
    clip_norm : float, default=None
        Maximum global gradient norm; ``None`` measures without clipping.
    first_step : int, default=0
        Global index of the first update, so that the schedule continues
        across ``partial_fit`` calls.
    tol, n_iter_no_change : float, int
        Stop once the monitored quantity has failed to improve by ``tol`` for
        more than ``n_iter_no_change`` consecutive epochs.
    stopping : StoppingState, default=None
        Stopping memory carried over from a previous call.
    validation : Validation, default=None
        Early stopping on held-out data; the best weights are restored at the end.

    Returns
    -------
    result : TrainingResult
    """
    stopping = StoppingState() if stopping is None else stopping
    source = _BatchSource(X, Y, sample_weight, batch_size)
    n_rows = X.shape[0]
    max_steps = n_epochs * len(source.bounds)
    lr_curve = np.empty(max_steps)
    grad_norm_curve = np.empty(max_steps)
    result = TrainingResult(validation_scores=[] if validation is not None else None)
    max_norm = np.inf if clip_norm is None else clip_norm
    step = 0

    for epoch in range(n_epochs):
        order = rng.permutation(n_rows) if shuffle else None
        epoch_loss = 0.0
        epoch_weight = 0.0
        clipped = 0
        for Xb, Yb, wb in source.epoch(order):
            Z = net.forward(Xb, training=True, sample_weight=wb)
            loss, dZ = loss_fn(Z, Yb, wb)
            net.backward(dZ)
            norm = clip_grad_norm_(net.grads, max_norm)
            lr = schedule(first_step + step)
            optimizer.step(net.params, net.grads, lr=lr)
            lr_curve[step] = lr
            grad_norm_curve[step] = norm
            clipped += norm > max_norm
            weight = Xb.shape[0] if wb is None else float(wb.sum())
            epoch_loss += loss * weight
            epoch_weight += weight
            step += 1
        n_batches = len(source.bounds)
        result.loss_curve.append(epoch_loss / epoch_weight)
        result.clip_fraction_curve.append(clipped / n_batches)
        result.n_epochs += 1
        result.n_samples_seen += n_rows
        logger.info("Epoch %d, loss = %.8f, lr = %.3g", epoch + 1, result.loss_curve[-1], lr)
        if _should_stop(net, result, stopping, validation, tol, n_iter_no_change):
            result.converged = True
            break

    if validation is not None and stopping.best_state is not None:
        net.load_state(stopping.best_state)
    result.n_steps = step
    result.lr_curve = lr_curve[:step].copy()
    result.grad_norm_curve = grad_norm_curve[:step].copy()
    return result


def _should_stop(net, result, stopping, validation, tol, n_iter_no_change):
    """Apply the stopping rule after an epoch (scikit-learn's MLP semantics)."""
    if validation is not None:
        score = float(validation.score(net.infer(validation.X)))
        result.validation_scores.append(score)
        logger.info("Validation score: %f", score)
        improved = score >= stopping.best_validation_score + tol
        if score > stopping.best_validation_score:
            stopping.best_validation_score = score
            stopping.best_state = net.state()
    else:
        loss = result.loss_curve[-1]
        improved = loss <= stopping.best_loss - tol
        stopping.best_loss = min(stopping.best_loss, loss)
    stopping.no_improvement_count = 0 if improved else stopping.no_improvement_count + 1
    if stopping.no_improvement_count > n_iter_no_change:
        logger.info(
            "%s did not improve more than tol=%f for %d consecutive epochs. Stopping.",
            "Validation score" if validation is not None else "Training loss",
            tol,
            n_iter_no_change + 1,
        )
        return True
    return False
