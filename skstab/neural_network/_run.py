"""The network, optimizer, schedule and training state one call to fit or partial_fit trains with.

A first fit builds them from the estimator's parameters (through :mod:`._builders`); a warm start keeps the
network and restarts the schedule; ``partial_fit`` resumes all of them where the previous call stopped, except
that its first call after ``fit`` restarts a stream's schedule (see ``stream_plan``).
"""

from dataclasses import replace

import numpy as np
from sklearn.utils import check_random_state

from ..training._batching import updates_per_epoch
from ..training._state import Run, TrainingState
from ._builders import (
    build_network,
    build_optimizer,
    build_schedule,
    check_same_network,
    choose_accelerator,
    embedding_bin_edges,
    network_spec,
    stream_plan,
)
from ._data import holds_out_validation, validation_size
from ._guards import warn_small_batch_norm


def build_or_resume(estimator, data, first_pass, incremental):
    """The network, optimizer, schedule and training state this call trains with."""
    params = estimator.get_params(deep=False)
    if first_pass or not incremental:
        rng = np.random.default_rng(check_random_state(estimator.random_state).randint(2**31 - 1))
    else:
        rng = estimator._rng
    holds_out = holds_out_validation(estimator.early_stopping, data.X.shape[0], incremental)
    n_validation = validation_size(data.X.shape[0], estimator.validation_fraction) if holds_out else 0
    # Drawn first, so that warm fits hold out the same rows as the first fit.
    split_seed = int(rng.integers(2**31 - 1)) if holds_out else None
    n_train = data.X.shape[0] - n_validation
    normalization = estimator._check_params(params, n_train)
    if first_pass or not incremental:
        params["accelerator"] = choose_accelerator(params, data.X.shape[1], data.Y.shape[1], n_train)
    else:
        params["accelerator"] = estimator._optimizer.accelerator
    warn_small_batch_norm(normalization, min(estimator.batch_size, n_train), estimator.gradient_accumulation_steps)
    if first_pass:
        # Weights are drawn before any row-count-dependent randomness (split,
        # shuffling), so weighted and repeated rows start from the same network.
        out_activation = estimator._make_loss().out_activation
        net = build_network(
            params,
            data.X.shape[1],
            data.Y.shape[1],
            normalization,
            rng,
            data.X.dtype,
            n_train=n_train,
            out_activation=out_activation,
            bin_edges=embedding_bin_edges(params, data.X, data.sample_weight),
        )
        estimator._init_output_layer(net.layers[-1], data.Y, data.sample_weight, incremental)
    else:
        net = estimator.net_
        check_same_network(getattr(estimator, "_net_spec", None), params, normalization, incremental)
    spec = network_spec(params, normalization, net.params.dtype)
    steps = updates_per_epoch(n_train, estimator.batch_size, estimator.gradient_accumulation_steps)
    if incremental and not first_pass:
        if not getattr(estimator, "_fit_schedule", False):
            resumed = (estimator._optimizer, estimator._schedule, estimator._state)
            return Run(net, *resumed, rng, split_seed, n_validation, spec, params["accelerator"])
        # The first partial_fit after fit: the fit's schedule ended near min_learning_rate, where new data
        # teaches almost nothing, so a stream's schedule restarts (optimizer moments and guard state kept).
        schedule = build_schedule(stream_plan(params, after_fit=True), steps)
        state = replace(estimator._state, step=0)
        return Run(
            net, estimator._optimizer, schedule, state, rng, split_seed, n_validation, spec, params["accelerator"]
        )
    schedule = build_schedule(stream_plan(params) if incremental else params, steps)
    optimizer = build_optimizer(params, net.decay_mask, schedule.warmup_steps, net.lr_factors)
    # A warm start keeps the best epoch so far, as scikit-learn's MLP does,
    # so early stopping never trades it for a worse one; the schedule restarts.
    state = (
        TrainingState()
        if first_pass
        else replace(
            estimator._state,
            step=0,
            lr_scale=1.0,
            rate_cuts=0,
            sound_calls=0,
            probation=False,
            no_improvement_count=0,
            lowest_loss=np.inf,
            lowest_checkpoint=None,
        )
    )
    return Run(net, optimizer, schedule, state, rng, split_seed, n_validation, spec, params["accelerator"])
