"""Fitted attributes from a finished run: the curves, counters and best scores, accumulated across calls."""

import numpy as np

from ..utils._accelerator import resolve_accelerator
from ._builders import hidden_sizes
from ._fit_report import inference_gap


def store_history(estimator, run, result, first_pass, incremental=False):
    """Copy the run's history into the fitted attributes and keep what a later call resumes."""
    with_validation = result.validation_scores is not None
    if first_pass:
        estimator.net_ = run.net
        estimator._net_spec = run.spec
        estimator.loss_curve_ = []
        estimator.lr_curve_ = np.empty(0)
        estimator.grad_norm_curve_ = np.empty(0)
        estimator.clip_fraction_curve_ = []
        estimator.recoveries_ = []
        estimator.t_ = 0
        estimator.validation_scores_ = [] if with_validation else None
        estimator.validation_loss_curve_ = [] if with_validation else None
        # The horizon a stream's schedule was laid out over (None: none, or built by fit).
        estimator._stream_horizon = estimator.partial_fit_horizon if incremental else None
    elif not incremental:
        estimator._stream_horizon = None
    elif getattr(estimator, "_fit_schedule", False):
        estimator._stream_horizon = estimator.partial_fit_horizon  # the stream schedule restarted after fit
    # Whether the schedule in force was laid out by fit: the next partial_fit then restarts a stream's.
    estimator._fit_schedule = not incremental
    # Epochs and updates count across calls (warm starts, partial_fit), as the curves do; partial_fit
    # carries the update count over, a warm start restarts it.
    offset = len(estimator.loss_curve_)
    update_offset = len(estimator.lr_curve_) - (run.state.step - result.n_steps)
    estimator.n_layers_ = len(hidden_sizes(estimator.get_params(deep=False))) + 2
    # partial_fit counts its calls (passes over chunks) since the network was built or last fit.
    estimator.n_iter_ = (estimator.n_iter_ if incremental and not first_pass else 0) + result.n_epochs
    estimator.t_ += result.n_samples_seen
    estimator.loss_curve_ = estimator.loss_curve_ + result.loss_curve
    estimator.loss_ = estimator.loss_curve_[-1]
    estimator.lr_curve_ = np.concatenate([estimator.lr_curve_, result.lr_curve])
    estimator.grad_norm_curve_ = np.concatenate([estimator.grad_norm_curve_, result.grad_norm_curve])
    estimator.clip_fraction_curve_ = estimator.clip_fraction_curve_ + result.clip_fraction_curve
    estimator.recoveries_ = estimator.recoveries_ + [
        {**r, "epoch": r["epoch"] + offset, "update": r["update"] + update_offset} for r in result.recoveries
    ]
    estimator.do_early_stopping_ = bool(run.n_validation)
    if with_validation:
        estimator.validation_scores_ = (estimator.validation_scores_ or []) + result.validation_scores
        previous = getattr(estimator, "validation_loss_curve_", None) or []
        estimator.validation_loss_curve_ = previous + result.validation_loss_curve
        estimator.best_validation_score_ = max(estimator.validation_scores_)
        estimator.best_loss_ = None
    else:
        estimator.validation_scores_ = None
        estimator.validation_loss_curve_ = None
        estimator.best_validation_score_ = None
        estimator.best_loss_ = float(min(estimator.loss_curve_))
    estimator.out_activation_ = estimator._make_loss().out_activation
    estimator.inference_gap_ = inference_gap(result.check, run.state.first_epoch_loss)
    estimator._rng, estimator._schedule, estimator._optimizer, estimator._state = (
        run.rng,
        run.schedule,
        run.optimizer,
        run.state,
    )
    estimator.accelerator_ = resolve_accelerator(run.accelerator)
