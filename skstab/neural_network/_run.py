"""One call to fit or partial_fit: the network, optimizer, schedule and state it trains with, and its training.

A first fit builds them from the estimator's parameters (through :mod:`._builders`); a warm start keeps the
network and restarts the schedule; ``partial_fit`` resumes all of them where the previous call stopped, except
that its first call after ``fit`` restarts a stream's schedule (see ``stream_plan``).
"""

from dataclasses import replace

import numpy as np
from sklearn.utils import check_random_state

from ..training._batching import updates_per_epoch
from ..training._fit_check import check_fit, constant_loss
from ..training._loop import train
from ..training._state import Run, Settings, TrainingState
from ..training._threading import compute_threads
from ._builders import (
    build_network,
    build_optimizer,
    build_schedule,
    check_same_network,
    choose_accelerator,
    embedding_bin_edges,
    first_layer_inputs,
    network_spec,
    product_shape,
    stream_plan,
)
from ._callbacks import fitted_attributes
from ._data import holds_out_validation, split_validation, validation_size
from ._fit_report import verbosity
from ._guards import warn_small_batch_norm
from ._sizes import resolve_sizes


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
    continued = None if first_pass else getattr(estimator, "_net_spec", None)
    params = resolve_sizes(params, n_train, continued)
    # The loss of this call (a classifier's _make_loss) reads its resolved label smoothing.
    estimator._label_smoothing = params.get("label_smoothing")
    normalization = estimator._check_params(params, n_train)
    bin_edges = embedding_bin_edges(params, data.X, data.sample_weight) if first_pass else None
    if first_pass or not incremental:
        n_inputs = first_layer_inputs(data.X.shape[1], bin_edges, None if first_pass else estimator.net_)
        params["accelerator"] = choose_accelerator(params, n_inputs, data.Y.shape[1], n_train)
    else:
        params["accelerator"] = estimator._optimizer.accelerator
    warn_small_batch_norm(normalization, min(params["batch_size"], n_train), estimator.gradient_accumulation_steps)
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
            bin_edges=bin_edges,
        )
        estimator._init_output_layer(net.layers[-1], data.Y, data.sample_weight, incremental)
    else:
        net = estimator.net_
        check_same_network(getattr(estimator, "_net_spec", None), params, normalization, incremental)
    spec = network_spec(params, normalization, net.params.dtype)
    steps = updates_per_epoch(n_train, params["batch_size"], estimator.gradient_accumulation_steps)
    if incremental and not first_pass:
        if not getattr(estimator, "_fit_schedule", False):
            resumed = (estimator._optimizer, estimator._schedule, estimator._state)
            return Run(net, *resumed, rng, split_seed, n_validation, spec, params["batch_size"], params["accelerator"])
        # The first partial_fit after fit: the fit's schedule ended near min_learning_rate, where new data
        # teaches almost nothing, so a stream's schedule restarts (optimizer moments and guard state kept).
        schedule = build_schedule(stream_plan(params, after_fit=True), steps)
        state = replace(estimator._state, step=0)
        return Run(
            net,
            estimator._optimizer,
            schedule,
            state,
            rng,
            split_seed,
            n_validation,
            spec,
            params["batch_size"],
            params["accelerator"],
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
    batch_size, accelerator = params["batch_size"], params["accelerator"]
    return Run(net, optimizer, schedule, state, rng, split_seed, n_validation, spec, batch_size, accelerator)


def train_run(estimator, run, data, incremental, tasks=None, epoch_offset=0):
    """Run the training loop on the training rows, holding out validation rows if asked.

    ``tasks`` (:class:`~skstab.neural_network._callbacks.FitTasks`) turns every epoch into a callback task;
    ``epoch_offset`` is the number of epochs earlier calls ran, for the log.
    """
    X, Y, sample_weight, validation = data.X, data.Y, data.sample_weight, None
    if run.n_validation:
        X, Y, sample_weight, validation = split_validation(
            data, run.split_seed, run.n_validation, estimator._score_outputs, estimator._make_loss()
        )
    start_bias = estimator._init_output_bias(Y, sample_weight)
    settings = Settings(
        n_epochs=1 if incremental else estimator.max_iter,
        batch_size=run.batch_size,
        shuffle=estimator.shuffle,
        clip_norm=estimator.clip_norm,
        tol=estimator.tol,
        n_iter_no_change=estimator.n_iter_no_change,
        accumulation_steps=estimator.gradient_accumulation_steps,
        population_statistics=estimator.batchnorm_statistics == "population",
        constant_loss=constant_loss(estimator._make_loss(), start_bias, Y, sample_weight),
        stream=incremental,
        epoch_offset=epoch_offset,
    )
    on_epoch_end = None
    if tasks is not None:
        on_epoch_end = tasks.epoch_hook(lambda record: fitted_attributes(estimator, run, record, X, sample_weight))
    # The end-of-fit check runs under the same limit as the loop, whose own inference passes take as many rows.
    with verbosity(estimator.verbose), compute_threads(*product_shape(run.net, min(run.batch_size, X.shape[0]))):
        result = train(
            run.net,
            estimator._make_loss(run.accelerator),
            run.optimizer,
            run.schedule,
            X,
            Y,
            sample_weight,
            settings=settings,
            rng=run.rng,
            state=run.state,
            validation=validation,
            on_epoch_end=on_epoch_end,
        )
        result.check = check_fit(
            run.net, estimator._make_loss(), X, Y, sample_weight, start_bias, inference_loss=result.inference_loss
        )
    return result
