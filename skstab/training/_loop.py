"""The training loop: batches, clipping, scheduled optimizer steps, stopping rules.

It composes a network from :mod:`skstab.nn` with an optimizer and a schedule
from :mod:`skstab.optim` and returns its history as data. It knows nothing of
scikit-learn: the estimators validate inputs, build the pieces and copy the
:class:`TrainingResult` into their fitted attributes.

Two safeguards live here because only the loop can apply them: the
divergence guard (:mod:`._guard`), which rolls back and cuts the learning
rate when updates diverge, and a Ctrl-C during training, which ends it after
the step in progress, leaving a usable network.
"""

import logging
import math
import time
from dataclasses import dataclass

import numpy as np

from ..optim import clip_grad_norm_
from ._batching import BatchSource, updates_per_epoch
from ._fit_check import inference_loss
from ._guard import (
    STALLED,
    exploded,
    recover,
    rollback,
    rollback_target,
    sound_stream_call,
    stalled,
    stream_failure,
)
from ._interrupt import deferred_interrupt
from ._state import EpochRecord, TrainingResult, TrainingState
from ._stopping import judge_epoch

logger = logging.getLogger("skstab")


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
    on_epoch_end=None,
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
    on_epoch_end : callable, default=None
        Called as ``on_epoch_end(record)`` with an :class:`EpochRecord` after
        every completed epoch (not after one cut short by Ctrl-C); training
        stops after the epoch when it returns True, with the network as after
        a normal end (``result.stopped`` is set).

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
    source = BatchSource(X, Y, sample_weight, settings.batch_size)
    n_updates = updates_per_epoch(X.shape[0], settings.batch_size, settings.accumulation_steps)
    curves = _Curves(settings.n_epochs * n_updates)
    result = TrainingResult(
        validation_scores=[] if validation is not None else None,
        validation_loss_curve=[] if validation is not None and validation.loss is not None else None,
    )
    epoch = 0
    if not settings.stream and state.lowest_checkpoint is None:
        state.lowest_checkpoint = (net.state(), optimizer.state_dict())
    # A fit may return to its starting weights; a stream judges each call against the chunk's loss at its start.
    start = state.lowest_checkpoint
    before = None
    # A fit's loss before its updates: an epoch far above it diverged (see stalled).
    initial_loss = None if settings.stream else inference_loss(net, loss_fn, X, Y, sample_weight)
    if settings.stream:
        # Statistics of this chunk, as after the call: the two losses then differ by the updates alone.
        before = inference_loss(net, loss_fn, X, Y, sample_weight, recompute_statistics=settings.population_statistics)
    # A fit that stalls runs n_epochs more, its schedule evaluated from the restart (see stalled).
    end, schedule_start = settings.n_epochs, 0

    def restarted_schedule(step):
        return schedule(step - schedule_start)

    with deferred_interrupt() as interrupt:
        while epoch < end:
            order = rng.permutation(X.shape[0]) if settings.shuffle else None
            checkpoint = (net.state(), optimizer.state_dict(), state.step, curves.size)
            started = time.perf_counter()
            try:
                outcome = _run_epoch(
                    net,
                    loss_fn,
                    optimizer,
                    restarted_schedule,
                    source.epoch(order),
                    len(source.bounds),
                    settings,
                    state,
                    curves,
                    interrupt,
                )
            except KeyboardInterrupt:
                rollback(net, optimizer, state, curves, checkpoint)
                result.interrupted = True
                break
            if outcome.failure is not None:
                # Something stopped being finite: retry the epoch from its start.
                rollback(net, optimizer, state, curves, checkpoint)
                if not recover(net, optimizer, result, state, settings, epoch, outcome.failure, stream=settings.stream):
                    break
                state.probation = not settings.stream
                continue
            loss = outcome.loss / outcome.weight
            if state.first_epoch_loss is None:
                state.first_epoch_loss = loss
            if settings.stream:
                after = inference_loss(
                    net, loss_fn, X, Y, sample_weight, recompute_statistics=settings.population_statistics
                )
                failure = stream_failure(before, after, state)
                if failure is not None:
                    # Rerun the call from its start at half the rate; recover raises once the cuts are spent.
                    rollback(net, optimizer, state, curves, checkpoint)
                    recover(net, optimizer, result, state, settings, epoch, failure, stream=True)
                    continue
                sound_stream_call(state)
                result.inference_loss = after
            else:
                failure = None
                if exploded(loss, state):
                    failure = "exploding loss"
                elif state.probation:
                    # Judged by the network at the epoch's end: the mean training-mode loss of an epoch run
                    # from the initial weights, or with dropout, stays above the constant prediction's on a
                    # target with little signal even when the network it ends with beats it.
                    now = inference_loss(
                        net, loss_fn, X, Y, sample_weight, recompute_statistics=settings.population_statistics
                    )
                    if not now < settings.constant_loss:
                        failure = "no progress after a rollback"
                if failure is not None:
                    # Finite but far worse than the best epoch, or still no better than a constant after a
                    # rollback: return to sound weights and go on with half the rate; the epoch still counts.
                    target = rollback_target(state, settings, start)
                    net_state, optimizer_state = target
                    net.load_state(net_state)
                    optimizer.load_state_dict(optimizer_state)
                    if not recover(net, optimizer, result, state, settings, epoch, failure):
                        break
                    if target is start:
                        # Back to the initial weights: a new run, which warms up again, over n_epochs more
                        # epochs (a rate too high for a cold start blows up again without the warmup).
                        schedule_start, end = state.step, max(end, epoch + 1 + settings.n_epochs)
                    state.probation = True
                else:
                    state.probation = False
                    if loss < state.lowest_loss:
                        state.lowest_loss = loss
                        state.lowest_checkpoint = (net.state(), optimizer.state_dict())
            result.loss_curve.append(loss)
            result.clip_fraction_curve.append(outcome.clipped / max(outcome.steps, 1))
            result.n_epochs += 1
            result.n_samples_seen += X.shape[0]
            if interrupt.requested:
                logger.info("Epoch %d, loss = %.8f, interrupted", epoch + 1 + settings.epoch_offset, loss)
                result.interrupted = True
                break
            score = validation_loss = None
            if validation is not None:
                if settings.population_statistics:
                    net.recompute_statistics(X, sample_weight)
                Z = net.infer(validation.X)
                score = float(validation.score(Z))
                result.validation_scores.append(score)
                if validation.loss is not None:
                    validation_loss = float(validation.loss(Z))
                    result.validation_loss_curve.append(validation_loss)
            verdict = judge_epoch(
                state, loss=loss, score=score, tol=settings.tol, n_iter_no_change=settings.n_iter_no_change
            )
            if score is not None and verdict.best:
                state.best_state = net.state()
            last = verdict.stop or epoch + 1 >= end
            restart = last and not settings.stream and stalled(result.loss_curve, settings, result, initial_loss)
            record = _record(epoch, loss, score, validation_loss, curves, outcome, started, last and not restart)
            logger.info(record.message(settings.epoch_offset))
            stop = bool(on_epoch_end(record)) if on_epoch_end is not None else False
            if restart and not stop:
                # Diverged and ended a constant model: a new run of n_epochs from sound weights at half the
                # rate (its schedule restarts), or DivergenceError once the budget is spent.
                net_state, optimizer_state = rollback_target(state, settings, start)
                net.load_state(net_state)
                optimizer.load_state_dict(optimizer_state)
                recover(net, optimizer, result, state, settings, epoch, STALLED)
                state.probation, state.no_improvement_count = True, 0
                schedule_start, end, epoch = state.step, epoch + 1 + settings.n_epochs, epoch + 1
                continue
            if verdict.stop:
                result.converged = True
                break
            if stop:
                logger.info("Stopped by a callback after epoch %d.", epoch + 1 + settings.epoch_offset)
                result.stopped = True
                break
            epoch += 1
    if validation is not None and state.best_state is not None:
        # Saved right after its epoch, with statistics recomputed for its weights when asked.
        net.load_state(state.best_state)
    elif settings.population_statistics and not settings.stream:  # a stream's judge recomputed them after its epoch
        net.recompute_statistics(X, sample_weight)
    result.n_steps = curves.size
    result.lr_curve = curves.lr[: curves.size].copy()
    result.grad_norm_curve = curves.grad_norm[: curves.size].copy()
    return result


def _record(epoch, loss, score, validation_loss, curves, outcome, started, last):
    """The :class:`EpochRecord` of a completed epoch whose updates are the last ``outcome.steps`` of ``curves``."""
    updates = slice(curves.size - outcome.steps, curves.size)
    steps = max(outcome.steps, 1)
    return EpochRecord(
        epoch=epoch + 1,
        loss=loss,
        validation_score=score,
        validation_loss=validation_loss,
        lr=float(curves.lr[curves.size - 1]) if curves.size else math.nan,
        grad_norm=float(np.median(curves.grad_norm[updates])) if outcome.steps else math.nan,
        clip_fraction=outcome.clipped / steps,
        seconds=time.perf_counter() - started,
        last=last,
    )
