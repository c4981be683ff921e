"""The training loop: batches, clipping, scheduled optimizer steps, stopping rules.

It composes a network from :mod:`skstab.nn` with an optimizer and a schedule
from :mod:`skstab.optim` and returns its history as data. It knows nothing of
scikit-learn: the estimators validate inputs, build the pieces and copy the
:class:`TrainingResult` into their fitted attributes.

Two safeguards live here because only the loop can apply them. A step whose
loss or gradient is not finite rolls the epoch back to its start, halves the
learning rate and runs the epoch again; an epoch whose loss climbs far above
the best epoch's returns to the best epoch's weights and goes on at half the
rate (both a bounded number of times in all); a stream of short epochs
(``partial_fit``) is judged by a moving average of their losses instead. A Ctrl-C during training ends it
after the step in progress, leaving a usable network.
"""

import logging
import math
import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from ._stopping import judge_epoch
from .exceptions import DivergenceError
from .optim import clip_grad_norm_

logger = logging.getLogger("skstab")

#: Fewest rows a training step may see: batch statistics from fewer rows are
#: noise, so a shorter remainder batch is
#: merged into the batch before it.
MIN_BATCH_ROWS = 8
#: An epoch whose mean loss rises above the lowest epoch loss so far by more
#: than this share of the first epoch's loss is diverging even while every
#: number is still finite; healthy minibatch noise is far smaller.
EXPLOSION_MARGIN = 0.5
#: Weight of the past in the moving average of chunk losses that judges a stream
#: (``partial_fit``): about the last 20 chunks count, so one noisy chunk cannot
#: look like an explosion while a loss that keeps climbing still does.
STREAM_LOSS_SMOOTHING = 0.9
#: Divergence recoveries allowed in one call before training gives up; each
#: halves the learning rate, so the last try runs at 1/32 of the first.
MAX_RECOVERIES = 5


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


def updates_per_epoch(n_samples, batch_size, accumulation_steps=1):
    """Optimizer updates in one epoch: one per ``accumulation_steps`` batches."""
    return -(-len(batch_bounds(n_samples, batch_size)) // accumulation_steps)


@dataclass(frozen=True)
class Settings:
    """How to train: epoch budget, batching, clipping and the stopping rule.

    ``tol`` and ``n_iter_no_change``: stop once the monitored quantity has
    failed to improve by ``tol`` for more than ``n_iter_no_change``
    consecutive epochs (``None``: never stop early). ``accumulation_steps``
    batches are backpropagated before each optimizer update, whose gradient
    is their weighted mean. ``population_statistics``: after training, and
    before every validation score, set the running statistics of batch
    normalization to their exact values over the training rows
    (:meth:`skstab.nn.Sequential.recompute_statistics`). ``loss_smoothing``
    (a stream of ``partial_fit`` calls, each one short epoch): the guard
    against an exploding loss watches an exponential moving average of the
    epoch losses with this weight on the past, instead of each epoch's loss.
    """

    n_epochs: int
    batch_size: int
    shuffle: bool = True
    clip_norm: float = None
    tol: float = 1e-4
    n_iter_no_change: int | None = 10
    accumulation_steps: int = 1
    max_recoveries: int = MAX_RECOVERIES
    population_statistics: bool = False
    loss_smoothing: float = None


@dataclass
class Validation:
    """Held-out data for early stopping.

    ``score`` maps the network's raw outputs on ``X`` to a number where higher
    is better (accuracy, R^2).
    """

    X: np.ndarray
    score: object


@dataclass
class TrainingState:
    """What training remembers between epochs and between calls (partial_fit, warm starts).

    ``step`` is the global index of the next optimizer update, which the
    schedule is evaluated at; ``lr_scale`` multiplies the schedule and is
    halved by every divergence recovery. ``lowest_loss`` and
    ``lowest_checkpoint`` are the lowest watched loss (the epoch loss, or
    ``loss_average``, the moving average of a stream's chunk losses) and the
    weights it was reached with.
    """

    step: int = 0
    lr_scale: float = 1.0
    first_epoch_loss: float = None
    lowest_loss: float = np.inf
    lowest_checkpoint: object = None
    best_loss: float = np.inf
    best_validation_score: float = -np.inf
    no_improvement_count: int = 0
    best_state: object = None
    loss_average: float = None


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
    recoveries : list of dict
        One entry per divergence recovery: the epoch, the update, what was not
        finite, and the learning-rate scale from then on.
    n_epochs : int
        Epochs run (an interrupted epoch counts).
    n_steps : int
        Optimizer updates kept.
    n_samples_seen : int
        Training rows processed in kept epochs.
    converged : bool
        Whether the stopping rule ended training before the epoch budget.
    interrupted : bool
        Whether a KeyboardInterrupt ended training.
    check : FitCheck or None
        Set by the caller: see :func:`check_fit`.
    """

    loss_curve: list = field(default_factory=list)
    validation_scores: list = None
    lr_curve: np.ndarray = None
    grad_norm_curve: np.ndarray = None
    clip_fraction_curve: list = field(default_factory=list)
    recoveries: list = field(default_factory=list)
    n_epochs: int = 0
    n_steps: int = 0
    n_samples_seen: int = 0
    converged: bool = False
    interrupted: bool = False
    check: object = None


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


class _Interrupt:
    """Turns the first Ctrl-C into a request to stop after the current step.

    Only the main thread receives signals, so elsewhere (and when a handler
    cannot be installed) a KeyboardInterrupt arrives as usual and the loop
    rolls back to the start of the epoch instead. A second Ctrl-C stops at once.
    """

    requested = False

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True


@contextmanager
def _deferred_interrupt():
    interrupt = _Interrupt()
    # A handler installed outside Python (getsignal gives None) could not be
    # put back afterwards, so it is left alone, as are other threads'.
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is None:
        yield interrupt
        return
    previous = signal.signal(signal.SIGINT, interrupt._handle)
    try:
        yield interrupt
    finally:
        signal.signal(signal.SIGINT, previous)


@dataclass
class _Epoch:
    """What one pass over the batches produced."""

    loss: float = 0.0
    weight: float = 0.0
    steps: int = 0
    clipped: int = 0
    failure: str = None


def _run_epoch(net, loss_fn, optimizer, schedule, batches, n_batches, settings, state, curves, interrupt):
    """One epoch of updates; stops early on a non-finite step or a Ctrl-C."""
    epoch = _Epoch()
    max_norm = np.inf if settings.clip_norm is None else settings.clip_norm
    accumulate = settings.accumulation_steps > 1
    if accumulate:
        summed = np.zeros_like(net.grads)
        summed_weight = 0.0
    for index, (Xb, Yb, wb) in enumerate(batches):
        weight = Xb.shape[0] if wb is None else float(wb.sum())
        # A batch of zero total weight (all its rows have weight 0) is no data:
        # no forward pass (batch norm's weighted statistics), no loss term, no update.
        if weight > 0:
            Z = net.forward(Xb, training=True, sample_weight=wb)
            loss, dZ = loss_fn(Z, Yb, wb)
            net.backward(dZ)
            epoch.loss += loss * weight
            epoch.weight += weight
            if not math.isfinite(loss):
                epoch.failure = "non-finite loss"
                return epoch
        if accumulate:
            # Each batch's gradient is a weighted mean over its rows; weighting
            # by the batch's total weight makes the sum the mean over all rows.
            if weight > 0:
                summed += weight * net.grads
                summed_weight += weight
            group_open = (index + 1) % settings.accumulation_steps and index + 1 < n_batches
            if group_open or summed_weight == 0:  # a group of zero-weight batches makes no update
                continue
            np.multiply(summed, 1.0 / summed_weight, out=net.grads)
            summed[...] = 0.0
            summed_weight = 0.0
        elif weight == 0:
            continue
        norm = clip_grad_norm_(net.grads, max_norm)
        if not math.isfinite(norm):
            epoch.failure = "non-finite gradient"
            return epoch
        lr = schedule(state.step) * state.lr_scale
        optimizer.step(net.params, net.grads, lr=lr)
        curves.record(lr, norm)
        state.step += 1
        epoch.steps += 1
        epoch.clipped += norm > max_norm
        if interrupt.requested:
            break
    if not np.isfinite(net.params).all():
        epoch.failure = "non-finite parameters"
    return epoch


class _Curves:
    """Per-update learning rates and gradient norms in growable preallocated arrays."""

    def __init__(self, capacity):
        self.lr = np.empty(capacity)
        self.grad_norm = np.empty(capacity)
        self.size = 0

    def record(self, lr, norm):
        if self.size == self.lr.size:
            self.lr = np.resize(self.lr, 2 * self.size + 1)
            self.grad_norm = np.resize(self.grad_norm, 2 * self.size + 1)
        self.lr[self.size] = lr
        self.grad_norm[self.size] = norm
        self.size += 1


def train(
    net,
    loss_fn,
    optimizer,
    schedule,
    X,
    Y,
    sample_weight=None,
    *,
    settings,
    rng,
    state=None,
    validation=None,
):
    """Train ``net`` in place for up to ``settings.n_epochs`` epochs.

    Parameters
    ----------
    net : skstab.nn.Sequential
        A built network.
    loss_fn : callable
        ``loss_fn(Z, Y, sample_weight) -> (loss, dZ)``.
    optimizer : skstab.optim optimizer
        Updates ``net.params`` from ``net.grads``.
    schedule : callable
        Learning rate as a function of the global update index.
    X, Y : ndarray
        Training inputs and encoded targets, already in the compute dtype.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative row weights.
    settings : Settings
        Epoch budget, batching, clipping, stopping rule.
    rng : numpy.random.Generator
        Shuffles the rows at the start of every epoch.
    state : TrainingState, default=None
        State carried over from a previous call; updated in place.
    validation : Validation, default=None
        Early stopping on held-out data; the best weights are restored at the end.

    Returns
    -------
    result : TrainingResult

    Raises
    ------
    DivergenceError
        When an epoch still diverges after ``settings.max_recoveries``
        rollbacks, each with half the learning rate of the one before.
    """
    state = TrainingState() if state is None else state
    if sample_weight is not None and not sample_weight.sum() > 0:
        raise ValueError(
            "The training rows have zero total sample weight, so there is nothing to learn from; "
            "give some rows a positive weight (with early_stopping=True, the rows left after the "
            "validation split)."
        )
    source = _BatchSource(X, Y, sample_weight, settings.batch_size)
    n_updates = updates_per_epoch(X.shape[0], settings.batch_size, settings.accumulation_steps)
    curves = _Curves(settings.n_epochs * n_updates)
    result = TrainingResult(validation_scores=[] if validation is not None else None)
    epoch = 0
    if state.lowest_checkpoint is None:
        state.lowest_checkpoint = (net.state(), optimizer.state_dict())
    with _deferred_interrupt() as interrupt:
        while epoch < settings.n_epochs:
            order = rng.permutation(X.shape[0]) if settings.shuffle else None
            checkpoint = (net.state(), optimizer.state_dict(), state.step, curves.size)
            try:
                outcome = _run_epoch(
                    net,
                    loss_fn,
                    optimizer,
                    schedule,
                    source.epoch(order),
                    len(source.bounds),
                    settings,
                    state,
                    curves,
                    interrupt,
                )
            except KeyboardInterrupt:
                _rollback(net, optimizer, state, curves, checkpoint)
                result.interrupted = True
                break
            if outcome.failure is not None:
                # Something stopped being finite: retry the epoch from its start.
                _rollback(net, optimizer, state, curves, checkpoint)
                _recover(result, state, settings, epoch, outcome.failure)
                continue
            loss = outcome.loss / outcome.weight
            if state.first_epoch_loss is None:
                state.first_epoch_loss = loss
            watched = _watched_loss(loss, state, settings.loss_smoothing)
            if _exploded(watched, state):
                # Finite but far worse than the best epoch: return to that epoch's
                # weights and go on with half the rate; the epoch still counts.
                net.load_state(state.lowest_checkpoint[0])
                optimizer.load_state_dict(state.lowest_checkpoint[1])
                _recover(result, state, settings, epoch, "exploding loss")
                if settings.loss_smoothing is not None:
                    state.loss_average = state.lowest_loss  # the average the restored weights had
            elif watched < state.lowest_loss:
                state.lowest_loss = watched
                state.lowest_checkpoint = (net.state(), optimizer.state_dict())
            result.loss_curve.append(loss)
            result.clip_fraction_curve.append(outcome.clipped / max(outcome.steps, 1))
            result.n_epochs += 1
            result.n_samples_seen += X.shape[0]
            logger.info("Epoch %d, loss = %.8f", epoch + 1, result.loss_curve[-1])
            if interrupt.requested:
                result.interrupted = True
                break
            score = None
            if validation is not None:
                if settings.population_statistics:
                    net.recompute_statistics(X, sample_weight)
                score = float(validation.score(net.infer(validation.X)))
                result.validation_scores.append(score)
                logger.info("Validation score: %f", score)
            verdict = judge_epoch(
                state, loss=loss, score=score, tol=settings.tol, n_iter_no_change=settings.n_iter_no_change
            )
            if score is not None and verdict.best:
                state.best_state = net.state()
            if verdict.stop:
                result.converged = True
                break
            epoch += 1
    if validation is not None and state.best_state is not None:
        # Saved right after its epoch, with statistics recomputed for its weights when asked.
        net.load_state(state.best_state)
    elif settings.population_statistics:
        net.recompute_statistics(X, sample_weight)
    result.n_steps = curves.size
    result.lr_curve = curves.lr[: curves.size].copy()
    result.grad_norm_curve = curves.grad_norm[: curves.size].copy()
    return result


def _rollback(net, optimizer, state, curves, checkpoint):
    """Return network, optimizer, schedule position and curves to an epoch's start."""
    net_state, optimizer_state, step, size = checkpoint
    net.load_state(net_state)
    optimizer.load_state_dict(optimizer_state)
    state.step = step
    curves.size = size


def _watched_loss(epoch_loss, state, smoothing):
    """The loss the explosion guard judges: the epoch's, or a stream's moving average of them."""
    if smoothing is None:
        return epoch_loss
    previous = state.loss_average
    state.loss_average = epoch_loss if previous is None else smoothing * previous + (1.0 - smoothing) * epoch_loss
    return state.loss_average


def _exploded(epoch_loss, state):
    return epoch_loss > state.lowest_loss + EXPLOSION_MARGIN * state.first_epoch_loss


def _recover(result, state, settings, epoch, failure):
    """Record a divergence and halve the learning rate, or give up."""
    if len(result.recoveries) >= settings.max_recoveries:
        raise DivergenceError(
            f"Training diverged ({failure}) in epoch {epoch + 1} even after "
            f"{settings.max_recoveries} rollbacks, each halving the learning rate (now "
            f"{state.lr_scale:g} times the schedule). Lower learning_rate_init, keep clip_norm "
            "set, and scale the features (skstab.FeatureAligner)."
        )
    state.lr_scale *= 0.5
    result.recoveries.append({"epoch": epoch + 1, "update": state.step, "reason": failure, "lr_scale": state.lr_scale})
    logger.info("%s in epoch %d: rolled back, learning rate scale now %g", failure, epoch + 1, state.lr_scale)


#: Most training rows the end-of-fit check looks at.
CHECK_SAMPLE_ROWS = 2048


@dataclass(frozen=True)
class FitCheck:
    """Losses of the trained network on a sample of its training rows.

    ``training_loss`` and ``inference_loss`` are the network's loss in
    training mode (batch statistics of the sample) and in inference mode;
    ``constant_loss`` is the loss of the best constant prediction (the
    weighted mean target, or the class frequencies), which a network that
    learned anything beats.
    """

    training_loss: float
    inference_loss: float
    constant_loss: float


def check_fit(net, loss_fn, X, Y, sample_weight, constant_output):
    """Evaluate the trained network on an evenly strided sample of at most ``CHECK_SAMPLE_ROWS`` training rows.

    The network's state is left as it was; networks without running
    statistics compute the same thing in both modes and are run once.
    Returns a :class:`FitCheck`, or None when the sample carries no weight.
    """
    rows = slice(None, None, max(1, X.shape[0] // CHECK_SAMPLE_ROWS))
    X, Y = X[rows], Y[rows]
    weights = None if sample_weight is None else sample_weight[rows]
    if weights is not None and not weights.sum() > 0:
        return None
    inference_loss, _ = loss_fn(net.infer(X), Y, weights)
    training_loss = inference_loss
    if any(layer.has_running_statistics for layer in net.layers):
        saved = net.state()
        try:
            training_loss, _ = loss_fn(net.forward(X, training=True, sample_weight=weights), Y, weights)
        finally:
            net.load_state(saved)
    constant_loss, _ = loss_fn(np.broadcast_to(constant_output, Y.shape).astype(Y.dtype), Y, weights)
    return FitCheck(float(training_loss), float(inference_loss), float(constant_loss))
