"""What the training loop takes and gives back: its settings, the state carried between calls, its history."""

import math
from dataclasses import dataclass, field, fields

import numpy as np

from .. import nn, optim

#: Learning-rate halvings in force before training gives up (a fit) or raises (a
#: stream, whose cuts are undone after sound calls): the last try runs at 1/32 of the rate.
MAX_RECOVERIES = 5


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
    (:meth:`skstab.nn.Sequential.recompute_statistics`). ``stream``: the
    epochs are ``partial_fit`` calls on chunks of a stream, which the
    divergence guard judges by their own chunk (see :mod:`._guard`). ``epoch_offset``:
    epochs run by earlier calls, added to the epoch numbers of the log lines.
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
    stream: bool = False
    constant_loss: float = math.inf
    epoch_offset: int = 0


@dataclass
class Validation:
    """Held-out data for early stopping.

    ``score`` maps the network's raw outputs on ``X`` to a number where higher
    is better (accuracy, R^2); ``loss``, when given, maps them to the training
    loss on the held-out rows.
    """

    X: np.ndarray
    score: object
    loss: object = None


@dataclass
class TrainingState:
    """What training remembers between epochs and between calls (partial_fit, warm starts).

    ``step`` is the global index of the next optimizer update, which the
    schedule is evaluated at; ``lr_scale`` multiplies the schedule and is
    halved by every divergence recovery; ``rate_cuts`` counts the halvings in
    force, ``sound_calls`` a stream's calls since its last cut or restored
    halving, and ``probation`` tells that a fit rolled back and has not yet
    had an epoch beat the constant prediction. ``lowest_loss`` and
    ``lowest_checkpoint`` are a fit's lowest epoch loss and the weights it was
    reached with. ``peak_loss`` is the largest loss a stream's call started
    at: the scale its divergence guard judges a rise in loss by.
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
    rate_cuts: int = 0
    sound_calls: int = 0
    probation: bool = False
    peak_loss: float = 0.0


@dataclass
class TrainingResult:
    """History of one call to :func:`train`.

    Attributes
    ----------
    loss_curve : list of float
        Weighted mean training loss of each epoch.
    validation_scores : list of float or None
        Score on the validation set after each epoch, with early stopping.
    validation_loss_curve : list of float or None
        Loss on the validation set (inference mode) after each epoch, when
        the validation data has a ``loss``.
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
    gave_up : bool
        Whether training ended at its lowest-loss epoch after spending the
        recovery budget.
    stopped : bool
        Whether the ``on_epoch_end`` hook asked training to stop.
    interrupted : bool
        Whether a KeyboardInterrupt ended training.
    inference_loss : float or None
        A stream call's inference-mode loss on (a sample of) its rows after its
        update, as its divergence guard measured it; None for a fit.
    check : FitCheck or None
        Set by the caller: see :func:`check_fit`.
    """

    loss_curve: list = field(default_factory=list)
    validation_scores: list = None
    validation_loss_curve: list = None
    lr_curve: np.ndarray = None
    grad_norm_curve: np.ndarray = None
    clip_fraction_curve: list = field(default_factory=list)
    recoveries: list = field(default_factory=list)
    n_epochs: int = 0
    n_steps: int = 0
    n_samples_seen: int = 0
    converged: bool = False
    gave_up: bool = False
    stopped: bool = False
    interrupted: bool = False
    inference_loss: float = None
    check: object = None


@dataclass(frozen=True)
class EpochRecord:
    """What one completed epoch did; passed to the ``on_epoch_end`` hook of :func:`train`.

    ``epoch`` counts from 1 in each call (see ``Settings.epoch_offset`` for the
    number in the log). ``lr`` is the rate of the epoch's last update,
    ``grad_norm`` the median gradient norm of its updates (before clipping;
    NaN without updates), ``clip_fraction`` the share of them that was
    clipped. ``validation_score`` and ``validation_loss`` are None without
    validation data. ``last`` tells whether the loop ends after this epoch
    on its own (epoch budget or stopping rule).
    """

    epoch: int
    loss: float
    validation_score: float | None
    validation_loss: float | None
    lr: float
    grad_norm: float
    clip_fraction: float
    seconds: float
    last: bool

    def message(self, epoch_offset=0):
        """The line the ``verbose`` log shows for this epoch."""
        parts = [f"Epoch {self.epoch + epoch_offset}, loss = {self.loss:.8f}"]
        if self.validation_score is not None:
            parts.append(f"validation score = {self.validation_score:.6f}")
        if self.validation_loss is not None:
            parts.append(f"validation loss = {self.validation_loss:.6f}")
        parts += [
            f"lr = {self.lr:.3g}",
            f"grad norm = {self.grad_norm:.3g}",
            f"clipped = {self.clip_fraction:.0%}",
            f"{self.seconds:.2f} s",
        ]
        return ", ".join(parts)


@dataclass(frozen=True)
class Run:
    """What one call trains with: the network, optimizer, schedule, state and randomness."""

    net: nn.Sequential
    optimizer: optim.Optimizer
    schedule: optim.Schedule
    state: TrainingState
    rng: np.random.Generator
    split_seed: int
    n_validation: int
    spec: dict
    #: Rows per batch (``batch_size``, an ``"auto"`` resolved for this call's rows).
    batch_size: int
    #: The ``accelerator`` the optimizer, layers and loss were given (see ``choose_accelerator``).
    accelerator: str = "numpy"


def state_as_builtins(estimator_state):
    """An estimator's pickled state with its :class:`TrainingState` as a dict of builtins and arrays.

    So that skops trusts a saved model without a private type.
    """
    training = estimator_state.get("_state")
    if isinstance(training, TrainingState):
        estimator_state = {
            **estimator_state,
            "_state": {item.name: getattr(training, item.name) for item in fields(training)},
        }
    return estimator_state


def state_from_builtins(estimator_state):
    """Undo :func:`state_as_builtins`."""
    estimator_state = dict(estimator_state)
    if isinstance(estimator_state.get("_state"), dict):
        # Older versions kept entries the guard no longer uses (a stream's moving average of losses).
        known = {item.name for item in fields(TrainingState)}
        saved = estimator_state["_state"]
        estimator_state["_state"] = TrainingState(**{key: value for key, value in saved.items() if key in known})
    return estimator_state
