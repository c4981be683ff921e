"""When training stops early, and whether a run that used its whole budget had converged.

Both rules compare the recent history of the monitored quantity with ``tol``:
the held-out score when there is a validation split, the training loss
otherwise. They know nothing of networks or of scikit-learn.
"""

import logging
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger("skstab")


@dataclass(frozen=True)
class Verdict:
    """What one epoch meant: whether it is the best so far, and whether to stop."""

    best: bool
    stop: bool


def judge_epoch(state, *, loss, score, tol, n_iter_no_change):
    """Update the patience counters of ``state`` after an epoch and return the verdict.

    scikit-learn's MLP rule: an epoch improves when the score rises by at
    least ``tol`` over the best score (or the loss falls by at least ``tol``
    below the lowest loss), and training stops once more than
    ``n_iter_no_change`` epochs in a row did not improve. With a score, the
    best epoch is the one with the highest score, ties going to the earlier.

    Parameters
    ----------
    state : TrainingState
        Holds ``best_validation_score``, ``best_loss`` and
        ``no_improvement_count``; updated in place.
    loss : float
        The epoch's training loss.
    score : float or None
        The epoch's held-out score (higher is better), or None.
    tol : float
        Smallest change that counts as an improvement.
    n_iter_no_change : int, float or None
        Epochs without improvement tolerated; ``None`` never stops.

    Returns
    -------
    verdict : Verdict
    """
    if score is not None:
        improved = score >= state.best_validation_score + tol
        best = score > state.best_validation_score
        if best:
            state.best_validation_score = score
    else:
        improved = loss <= state.best_loss - tol
        best = loss < state.best_loss
        state.best_loss = min(state.best_loss, loss)
    state.no_improvement_count = 0 if improved else state.no_improvement_count + 1
    stop = n_iter_no_change is not None and state.no_improvement_count > n_iter_no_change
    if stop:
        logger.info(
            "%s did not improve more than tol=%f for %d consecutive epochs. Stopping.",
            "Validation score" if score is not None else "Training loss",
            tol,
            n_iter_no_change + 1,
        )
    return Verdict(best=best, stop=stop)


#: A drop counts only when it exceeds this many standard errors of the epoch-to-epoch noise. The noise
#: is estimated from a handful of epochs, so its ratio to the drop has heavy tails: at 2, about one
#: healthy fit in ten whose loss had levelled off was reported as unconverged.
NOISE_MARGIN = 4.0


def still_improving(loss_curve, *, n_iter_no_change, tol):
    """Whether the loss was still clearly falling at the end of a run.

    A decaying schedule is laid out to end at the last epoch, so reaching it
    is the plan, not a failure. A run is judged unconverged only while its
    loss is still clearly dropping: the mean loss of the second half of the
    last ``n_iter_no_change`` epochs against the first half (which averages
    out the epoch-to-epoch noise of minibatch training) falls by more than
    ``tol`` per epoch and by more than ``NOISE_MARGIN`` standard errors of
    the difference of two such means. The noise is measured on the
    epoch-to-epoch differences of the loss, so a steady fall does not count
    as noise while the jitter of a loss that has levelled off (batch
    statistics, shuffling) does.

    Examples
    --------
    >>> still_improving([1.0, 0.8, 0.6, 0.4], n_iter_no_change=4, tol=1e-4)
    True
    >>> still_improving([0.5, 0.5, 0.5, 0.5], n_iter_no_change=4, tol=1e-4)
    False
    """
    half = int(min(n_iter_no_change, len(loss_curve))) // 2
    if half < 1:
        return False
    recent = np.asarray(loss_curve[-2 * half :])
    drop = recent[:half].mean() - recent[half:].mean()
    # Differencing removes a steady trend; each difference carries the noise of two epochs.
    noise_per_epoch = np.sqrt(np.var(np.diff(recent), ddof=1) / 2) if recent.size > 2 else 0.0
    noise = noise_per_epoch * np.sqrt(2 / half)
    return bool(drop > tol * half and drop > NOISE_MARGIN * noise)
