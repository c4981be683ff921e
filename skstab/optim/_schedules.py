r"""Learning-rate schedules: pure, immutable functions of the update index.

A schedule never touches an optimizer. The trainer asks ``schedule(t)`` for
the learning rate of update ``t + 1`` and passes it to ``optimizer.step``.
Every schedule shares one shape, implemented once in :class:`Schedule`:

* a linear warmup over ``warmup_steps`` updates, whose first update already
  has a nonzero learning rate;
* a hold at ``lr_init`` until the decay starts;
* a decay whose progress is measured against the planned number of updates
  ``n_epochs * steps_per_epoch``, so the decay is tied to the length of the
  run in epochs rather than to a hard-coded number of steps;
* a hold at the final value past the end of the planned run, since
  ``partial_fit`` may train for longer.

Subclasses only define the decay shape.
"""

import math
import numbers
from abc import ABC, abstractmethod

import numpy as np

__all__ = ["Schedule", "ConstantLR", "CosineDecay", "LinearDecay", "StepDecay"]


def _check_int(name, value, *, low):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"Invalid {name}: {value!r} (expected an integer)")
    value = int(value)
    if value < low:
        raise ValueError(f"Invalid {name}: {value} (expected {name} >= {low})")
    return value


def _check_float(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"Invalid {name}: {value!r} (expected a real number)")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"Invalid {name}: {value} (expected a finite number)")
    return value


class Schedule(ABC):
    r"""Base class: warmup, hold, then a decay defined by the subclass.

    Parameters
    ----------
    lr_init : float
        Peak learning rate, reached at the end of the warmup. Positive.
    n_epochs : int
        Planned number of epochs of the run, at least 1.
    steps_per_epoch : int, default=1
        Optimizer updates per epoch, at least 1.
    warmup : int or float, default=0
        Length of the linear warmup: an int is a number of updates (at most
        the run's total), a float in ``(0, 1)`` a fraction of the run's
        total updates, rounded to the nearest integer and at least 1.
    decay_start_epoch : float, default=0.0
        Epoch (possibly fractional) at which the decay starts, in
        ``[0, n_epochs]``. The decay never starts before the warmup ends.
    min_lr : float, default=0.0
        Final learning rate, in ``[0, lr_init]``.

    Attributes
    ----------
    total_steps : int
        Planned number of updates, ``n_epochs * steps_per_epoch``.
    warmup_steps : int
        Number of warmup updates.
    decay_start : int
        Index of the first update of the decay phase.

    Notes
    -----
    With :math:`s` the 0-based update index, :math:`W` = ``warmup_steps``,
    :math:`D = \max(W, \operatorname{round}(\text{decay\_start\_epoch} \cdot
    \text{steps\_per\_epoch}))` and :math:`T` = ``total_steps``:

    .. math::

        \eta(s) = \begin{cases}
            \eta_0 \, \dfrac{s + 1}{W} & s < W \\
            \eta_0 & W \le s < D \\
            \operatorname{clip}\bigl(f(p, e), \eta_{\min}, \eta_0\bigr) & s \ge D
        \end{cases}
        \qquad
        e = \min\bigl(s - D,\ \max(T - D, 1)\bigr), \quad
        p = \frac{e}{\max(T - D, 1)}

    where :math:`f` is the subclass's decay shape, of the progress
    :math:`p \in [0, 1]` and of the elapsed decay updates :math:`e`. The
    final value :math:`f(1, \cdot)` is reached at :math:`s = T`, the first
    update past the planned run, and held from there on. Rounding uses
    Python's :func:`round` (half to even).
    """

    def __init__(self, lr_init, *, n_epochs, steps_per_epoch=1, warmup=0, decay_start_epoch=0.0, min_lr=0.0):
        lr_init = _check_float("lr_init", lr_init)
        if lr_init <= 0.0:
            raise ValueError(f"Invalid lr_init: {lr_init} (expected lr_init > 0)")
        min_lr = _check_float("min_lr", min_lr)
        if not 0.0 <= min_lr <= lr_init:
            raise ValueError(f"Invalid min_lr: {min_lr} (expected 0 <= min_lr <= lr_init={lr_init})")
        n_epochs = _check_int("n_epochs", n_epochs, low=1)
        steps_per_epoch = _check_int("steps_per_epoch", steps_per_epoch, low=1)
        total_steps = n_epochs * steps_per_epoch

        if isinstance(warmup, numbers.Integral) and not isinstance(warmup, bool):
            warmup = int(warmup)
            if not 0 <= warmup <= total_steps:
                raise ValueError(f"Invalid warmup: {warmup} (expected 0 <= warmup <= total_steps={total_steps})")
            warmup_steps = warmup
        else:
            warmup = _check_float("warmup", warmup)
            if not 0.0 <= warmup < 1.0:
                raise ValueError(
                    f"Invalid warmup: {warmup} (a float warmup is a fraction of the run in "
                    "[0, 1); pass an int for a number of steps)"
                )
            warmup_steps = max(round(warmup * total_steps), 1) if warmup > 0.0 else 0

        decay_start_epoch = _check_float("decay_start_epoch", decay_start_epoch)
        if not 0.0 <= decay_start_epoch <= n_epochs:
            raise ValueError(
                f"Invalid decay_start_epoch: {decay_start_epoch} "
                f"(expected 0 <= decay_start_epoch <= n_epochs={n_epochs})"
            )

        self._lr_init = lr_init
        self._n_epochs = n_epochs
        self._steps_per_epoch = steps_per_epoch
        self._warmup = warmup
        self._decay_start_epoch = decay_start_epoch
        self._min_lr = min_lr
        self._total_steps = total_steps
        self._warmup_steps = warmup_steps
        self._decay_start = max(warmup_steps, round(decay_start_epoch * steps_per_epoch))
        self._decay_span = max(total_steps - self._decay_start, 1)

    # Read-only properties: a schedule is immutable once built.
    @property
    def lr_init(self):
        """Peak learning rate."""
        return self._lr_init

    @property
    def n_epochs(self):
        """Planned number of epochs."""
        return self._n_epochs

    @property
    def steps_per_epoch(self):
        """Updates per epoch."""
        return self._steps_per_epoch

    @property
    def warmup(self):
        """Warmup as given (steps or fraction)."""
        return self._warmup

    @property
    def decay_start_epoch(self):
        """Decay start epoch."""
        return self._decay_start_epoch

    @property
    def min_lr(self):
        """Final learning rate."""
        return self._min_lr

    @property
    def total_steps(self):
        """Planned number of updates."""
        return self._total_steps

    @property
    def warmup_steps(self):
        """Number of warmup updates."""
        return self._warmup_steps

    @property
    def decay_start(self):
        """First update of the decay."""
        return self._decay_start

    def __call__(self, step):
        """Return the learning rate of the update with 0-based index ``step``.

        Parameters
        ----------
        step : int
            Number of updates already taken, ``step >= 0``.

        Returns
        -------
        lr : float
        """
        step = _check_int("step", step, low=0)
        if step < self._warmup_steps:
            # Parenthesised so that the last warmup update is exactly lr_init.
            return self._lr_init * ((step + 1) / self._warmup_steps)
        if step < self._decay_start:
            return self._lr_init
        elapsed = min(step - self._decay_start, self._decay_span)
        lr = self._decay(elapsed / self._decay_span, elapsed)
        # Guards the bounds against rounding, so the curve never leaves
        # [min_lr, lr_init] and the hold-to-decay junction is monotone.
        return min(max(float(lr), self._min_lr), self._lr_init)

    @abstractmethod
    def _decay(self, progress, elapsed):
        """Decay shape: learning rate at ``progress`` in [0, 1], ``elapsed`` decay updates."""

    def simulate(self, n_steps):
        """Return the learning rates of the first ``n_steps`` updates.

        Parameters
        ----------
        n_steps : int
            Number of updates, ``n_steps >= 0``; may exceed ``total_steps``.

        Returns
        -------
        lrs : ndarray of shape (n_steps,), dtype float64
            ``lrs[s] == self(s)``.
        """
        n_steps = _check_int("n_steps", n_steps, low=0)
        # One code path with __call__, so the curve is exactly what training
        # sees; at about a microsecond per step this is cheap enough.
        return np.fromiter(map(self, range(n_steps)), dtype=np.float64, count=n_steps)

    def _repr_args(self):
        return [
            f"n_epochs={self._n_epochs!r}",
            f"steps_per_epoch={self._steps_per_epoch!r}",
            f"warmup={self._warmup!r}",
            f"decay_start_epoch={self._decay_start_epoch!r}",
            f"min_lr={self._min_lr!r}",
        ]

    def __repr__(self):
        return f"{type(self).__name__}({self._lr_init!r}, {', '.join(self._repr_args())})"


#: Parameters and attributes shared by the docstrings of the decaying schedules.
_DECAY_SECTIONS = """
    Parameters
    ----------
    lr_init : float
        Peak learning rate. Positive.
    n_epochs : int
        Planned number of epochs; the decay ends with the run.
    steps_per_epoch : int, default=1
        Optimizer updates per epoch.
    warmup : int or float, default=0
        Warmup updates, or a fraction in ``(0, 1)`` of the planned updates.
    decay_start_epoch : float, default=0.0
        Epoch at which the decay starts (never before the warmup ends).
    min_lr : float, default=0.0
        Learning rate at the end of the run and after it.

    Attributes
    ----------
    total_steps : int
        Planned number of updates, ``n_epochs * steps_per_epoch``.
    warmup_steps : int
        Number of warmup updates.
"""


class ConstantLR(Schedule):
    r"""Constant learning rate after an optional linear warmup.

    Parameters
    ----------
    lr_init : float
        Learning rate after the warmup. Positive.
    n_epochs : int
        Planned number of epochs; only used to resolve a fractional warmup.
    steps_per_epoch : int, default=1
        Optimizer updates per epoch.
    warmup : int or float, default=0
        Warmup updates, or a fraction in ``(0, 1)`` of the planned updates.
    decay_start_epoch : float, default=0.0
        Accepted for a uniform signature; it has no effect.
    min_lr : float, default=0.0
        Accepted for a uniform signature; it has no effect.

    Attributes
    ----------
    total_steps : int
        Planned number of updates, ``n_epochs * steps_per_epoch``.
    warmup_steps : int
        Number of warmup updates.

    Notes
    -----
    .. math::

        \eta(s) = \eta_0 \min\left(\frac{s + 1}{W}, 1\right)

    Examples
    --------
    >>> from skstab.optim import ConstantLR
    >>> schedule = ConstantLR(0.1, n_epochs=2, steps_per_epoch=2, warmup=2)
    >>> schedule.simulate(5)
    array([0.05, 0.1 , 0.1 , 0.1 , 0.1 ])
    """

    def _decay(self, progress, elapsed):
        return self._lr_init


class CosineDecay(Schedule):
    __doc__ = (
        r"""Linear warmup, then cosine decay from ``lr_init`` to ``min_lr``.
"""
        + _DECAY_SECTIONS
        + r"""
    Notes
    -----
    With the progress :math:`p` of :class:`Schedule`:

    .. math::

        \eta(p) = \eta_{\min} + \tfrac12 (\eta_0 - \eta_{\min})(1 + \cos \pi p)

    Examples
    --------
    >>> from skstab.optim import CosineDecay
    >>> schedule = CosineDecay(0.1, n_epochs=2, steps_per_epoch=2, warmup=1)
    >>> schedule.simulate(5)  # warmup, then p = 0, 1/3, 2/3, 1
    array([0.1  , 0.1  , 0.075, 0.025, 0.   ])
    """
    )

    def _decay(self, progress, elapsed):
        half_range = 0.5 * (self._lr_init - self._min_lr)
        return self._min_lr + half_range * (1.0 + math.cos(math.pi * progress))


class LinearDecay(Schedule):
    __doc__ = (
        r"""Linear warmup, then linear decay from ``lr_init`` to ``min_lr``.
"""
        + _DECAY_SECTIONS
        + r"""
    Notes
    -----
    With the progress :math:`p` of :class:`Schedule`:

    .. math::

        \eta(p) = \eta_0 + (\eta_{\min} - \eta_0)\, p

    Examples
    --------
    >>> from skstab.optim import LinearDecay
    >>> schedule = LinearDecay(1.0, n_epochs=4, min_lr=0.2)
    >>> schedule.simulate(6)
    array([1. , 0.8, 0.6, 0.4, 0.2, 0.2])
    """
    )

    def _decay(self, progress, elapsed):
        # Weighted form: exact at both ends (p = 0 and p = 1).
        return self._lr_init * (1.0 - progress) + self._min_lr * progress


class StepDecay(Schedule):
    r"""Linear warmup, then multiply by ``gamma`` every ``step_size_epochs`` epochs.

    Parameters
    ----------
    lr_init : float
        Peak learning rate. Positive.
    n_epochs : int
        Planned number of epochs.
    step_size_epochs : float
        Epochs between two drops, positive; converted to
        ``max(round(step_size_epochs * steps_per_epoch), 1)`` updates.
    gamma : float, default=0.1
        Factor applied at each drop, in ``(0, 1]``.
    steps_per_epoch : int, default=1
        Optimizer updates per epoch.
    warmup : int or float, default=0
        Warmup updates, or a fraction in ``(0, 1)`` of the planned updates.
    decay_start_epoch : float, default=0.0
        Epoch from which the drops are counted (never before the warmup ends).
    min_lr : float, default=0.0
        Floor of the learning rate.

    Attributes
    ----------
    total_steps : int
        Planned number of updates, ``n_epochs * steps_per_epoch``.
    warmup_steps : int
        Number of warmup updates.
    step_size_steps : int
        Updates between two drops.

    Notes
    -----
    With :math:`e` the elapsed decay updates of :class:`Schedule` and
    :math:`S` = ``step_size_steps``:

    .. math::

        \eta(e) = \max\left(\eta_0\, \gamma^{\lfloor e / S \rfloor}, \eta_{\min}\right)

    Examples
    --------
    >>> from skstab.optim import StepDecay
    >>> schedule = StepDecay(1.0, n_epochs=3, steps_per_epoch=2, step_size_epochs=1, gamma=0.5)
    >>> schedule.simulate(7)
    array([1.   , 1.   , 0.5  , 0.5  , 0.25 , 0.25 , 0.125])
    """

    def __init__(
        self,
        lr_init,
        *,
        n_epochs,
        step_size_epochs,
        gamma=0.1,
        steps_per_epoch=1,
        warmup=0,
        decay_start_epoch=0.0,
        min_lr=0.0,
    ):
        super().__init__(
            lr_init,
            n_epochs=n_epochs,
            steps_per_epoch=steps_per_epoch,
            warmup=warmup,
            decay_start_epoch=decay_start_epoch,
            min_lr=min_lr,
        )
        step_size_epochs = _check_float("step_size_epochs", step_size_epochs)
        if step_size_epochs <= 0.0:
            raise ValueError(f"Invalid step_size_epochs: {step_size_epochs} (expected step_size_epochs > 0)")
        gamma = _check_float("gamma", gamma)
        if not 0.0 < gamma <= 1.0:
            raise ValueError(f"Invalid gamma: {gamma} (expected 0 < gamma <= 1)")
        self._step_size_epochs = step_size_epochs
        self._gamma = gamma
        # Whole updates, so that drops land on exact steps without float floor.
        self._step_size_steps = max(round(step_size_epochs * self._steps_per_epoch), 1)

    @property
    def step_size_epochs(self):
        """Epochs between drops."""
        return self._step_size_epochs

    @property
    def gamma(self):
        """Factor applied at each drop."""
        return self._gamma

    @property
    def step_size_steps(self):
        """Updates between drops."""
        return self._step_size_steps

    def _decay(self, progress, elapsed):
        return max(self._lr_init * self._gamma ** (elapsed // self._step_size_steps), self._min_lr)

    def _repr_args(self):
        return [
            f"step_size_epochs={self._step_size_epochs!r}",
            f"gamma={self._gamma!r}",
            *super()._repr_args(),
        ]
