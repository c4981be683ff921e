"""What a fit showed, said to the user: the end-of-fit warnings, and the switch for progress messages."""

import logging
from contextlib import contextmanager

from sklearn.exceptions import ConvergenceWarning

from ..exceptions import (
    DivergenceRecoveryWarning,
    HorizonExceededWarning,
    InferenceMismatchWarning,
    NoProgressWarning,
    TrainingInterruptedWarning,
)
from ..training._stopping import still_improving
from ..utils._warnings import warn_at_caller
from ._guards import warn_persistent_clipping

#: InferenceMismatchWarning fires when the inference-mode loss on training rows exceeds the
#: training-mode loss by more than this share of the first epoch's loss.
INFERENCE_GAP_MARGIN = 0.1
#: Epochs the end-of-fit convergence test looks back over when plateau stopping is off.
CONVERGENCE_WINDOW = 10


@contextmanager
def verbosity(verbose):
    """Show skstab's progress messages on stderr while ``verbose`` is set.

    Messages always go to the ``"skstab"`` logger; a user who configured
    logging keeps full control, and one who did not still sees them.
    """
    log = logging.getLogger("skstab")
    if not verbose:
        yield
        return
    handler = None
    if not log.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
    level = log.level
    log.setLevel(logging.INFO)
    try:
        yield
    finally:
        log.setLevel(level)
        if handler is not None:
            log.removeHandler(handler)


def report_fit(estimator, result, incremental):
    """Warn about what a training run showed: recoveries, interruption, clipping, mismatch, progress."""
    if result.recoveries:
        last = estimator.recoveries_[-1]
        warn_at_caller(
            f"Training diverged {len(result.recoveries)} time(s) (last: {last['reason']} in "
            f"epoch {last['epoch']}); each time it went back to the last sound weights (the "
            "epoch's start, or the best epoch for an exploding loss) and halved the learning "
            f"rate, which ended at {last['lr_scale']:g} times the schedule. Details are in "
            "recoveries_. Consider a lower learning_rate_init."
            + (
                " The recovery budget ran out, so training stopped early and the model holds the weights of "
                "its lowest-loss epoch."
                if result.gave_up
                else ""
            ),
            DivergenceRecoveryWarning,
        )
    if result.interrupted:
        warn_at_caller(
            f"Training was interrupted by the user after {result.n_epochs} epoch(s) of this "
            "fit; the model holds "
            + (
                "its best validation weights."
                if estimator.validation_scores_ is not None
                else "the weights of its last completed update (or of the epoch's start if the "
                "interrupt arrived inside an update)."
            ),
            TrainingInterruptedWarning,
        )
        return
    warn_persistent_clipping(estimator.clip_fraction_curve_, estimator.clip_norm, estimator.learning_rate_init)
    if estimator.inference_gap_ > INFERENCE_GAP_MARGIN:
        warn_at_caller(
            f"On training rows the network's inference-mode loss exceeds its training-mode loss by "
            f"{estimator.inference_gap_:.0%} of the first epoch's loss: predictions disagree with what training "
            "measured. Keep batchnorm_statistics='population' or use normalization='layer'.",
            InferenceMismatchWarning,
        )
    if incremental:
        return
    window = CONVERGENCE_WINDOW if estimator.n_iter_no_change is None else estimator.n_iter_no_change
    improving = not (result.converged or result.stopped) and still_improving(
        estimator.loss_curve_[-estimator.n_iter_ :], n_iter_no_change=window, tol=estimator.tol
    )
    check = result.check
    # A constant prediction with zero loss (a constant target) leaves nothing to learn.
    if check is not None and check.inference_loss >= check.constant_loss > 0:
        warn_at_caller(
            f"The trained network's loss on training rows ({check.inference_loss:.4g}) is no lower than that "
            f"of a constant prediction ({check.constant_loss:.4g}): the model did not learn. Lower "
            f"learning_rate_init (now {estimator.learning_rate_init:g}) by a factor of 10 (or, if loss_curve_ was "
            "still falling steadily, raise max_iter) and keep input_scaling on.",
            NoProgressWarning,
        )
    elif improving:
        warn_at_caller(
            f"Stochastic Optimizer: Maximum iterations ({estimator.max_iter}) reached and the "
            "optimization hasn't converged yet: the training loss was still falling clearly in the last "
            "epochs. Raise max_iter (the learning-rate schedule stretches with it).",
            ConvergenceWarning,
        )


def inference_gap(check, first_epoch_loss):
    """Inference-mode minus training-mode loss on training rows, as a share of the first epoch's loss."""
    if check is None:
        return 0.0
    return (check.inference_loss - check.training_loss) / (first_epoch_loss or 1.0)


def warn_past_horizon(estimator, run, result):
    """Warn once, in the ``partial_fit`` call whose updates first go past the stream's planned schedule."""
    horizon = getattr(estimator, "_stream_horizon", None)
    end, after = run.schedule.total_steps, run.state.step
    if horizon is None or not after - result.n_steps <= end < after:
        return
    warn_at_caller(
        f"partial_fit went past partial_fit_horizon={horizon} calls ({end} updates planned from the first "
        f"call's size): the learning rate now holds at the end of the {estimator.lr_schedule!r} schedule, "
        f"{run.schedule(end):g}. Raise partial_fit_horizon (with a new estimator), or leave it at None for "
        "a constant rate.",
        HorizonExceededWarning,
    )
