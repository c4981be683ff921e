"""The concrete learning-rate schedules and :data:`SCHEDULES`, the registry the estimators build them from.

Each class only defines a decay shape on the warmup, hold and decay layout of
:class:`~skstab.optim.Schedule` (in ``_schedule.py``). Pickles of skstab 0.1.0
name these classes by this module's path, so they stay here.
"""

import math

from ..utils._checks import check_int, check_real
from ._schedule import Schedule

__all__ = ["ConstantLR", "CosineDecay", "LinearDecay", "StepDecay", "SCHEDULES"]


#: Parameters and attributes shared by the docstrings of the decaying schedules.
_DECAY_SECTIONS = """
    Parameters
    ----------
    learning_rate_init : float
        Peak learning rate. Positive.
    n_epochs : int
        Planned number of epochs; the decay ends with the run.
    steps_per_epoch : int, default=1
        Optimizer updates per epoch.
    warmup : int or float, default=0
        Warmup updates, or a fraction in ``[0, 1)`` of the planned updates.
    decay_start_epoch : float, default=0.0
        Epoch at which the decay starts (never before the warmup ends).
    min_learning_rate : float, default=0.0
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
    learning_rate_init : float
        Learning rate after the warmup. Positive.
    n_epochs : int
        Planned number of epochs; only used to resolve a fractional warmup.
    steps_per_epoch : int, default=1
        Optimizer updates per epoch.
    warmup : int or float, default=0
        Warmup updates, or a fraction in ``[0, 1)`` of the planned updates.

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

    def __init__(self, learning_rate_init: float, *, n_epochs: int, steps_per_epoch: int = 1, warmup: float = 0):
        super().__init__(learning_rate_init, n_epochs=n_epochs, steps_per_epoch=steps_per_epoch, warmup=warmup)

    def _decay(self, progress, elapsed):
        return self._learning_rate_init

    def _repr_args(self):
        return super()._repr_args()[:3]


class CosineDecay(Schedule):
    __doc__ = (
        r"""Linear warmup, then cosine decay from ``learning_rate_init`` to ``min_learning_rate``.
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
        half_range = 0.5 * (self._learning_rate_init - self._min_learning_rate)
        return self._min_learning_rate + half_range * (1.0 + math.cos(math.pi * progress))


class LinearDecay(Schedule):
    __doc__ = (
        r"""Linear warmup, then linear decay from ``learning_rate_init`` to ``min_learning_rate``.
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
    >>> schedule = LinearDecay(1.0, n_epochs=4, min_learning_rate=0.2)
    >>> schedule.simulate(6)
    array([1. , 0.8, 0.6, 0.4, 0.2, 0.2])
    """
    )

    def _decay(self, progress, elapsed):
        # Weighted form: exact at both ends (p = 0 and p = 1).
        return self._learning_rate_init * (1.0 - progress) + self._min_learning_rate * progress


class StepDecay(Schedule):
    r"""Linear warmup, then ``n_drops`` drops by ``gamma``, evenly spaced over the decay.

    The decay phase, from ``decay_start_epoch`` to the end of the run, is cut
    into ``n_drops + 1`` equal stretches; the rate is multiplied by ``gamma``
    at the start of every stretch but the first, so the last stretch runs at
    ``learning_rate_init * gamma ** n_drops``.

    Parameters
    ----------
    learning_rate_init : float
        Peak learning rate. Positive.
    n_epochs : int
        Planned number of epochs.
    steps_per_epoch : int, default=1
        Optimizer updates per epoch.
    warmup : int or float, default=0
        Warmup updates, or a fraction in ``[0, 1)`` of the planned updates.
    decay_start_epoch : float, default=0.0
        Epoch from which the drops are laid out (never before the warmup ends).
    min_learning_rate : float, default=0.0
        Floor of the learning rate.
    n_drops : int, default=3
        Number of drops within the run, at least 1.
    gamma : float, default=0.1
        Factor applied at each drop, in ``(0, 1]``.

    Attributes
    ----------
    total_steps : int
        Planned number of updates, ``n_epochs * steps_per_epoch``.
    warmup_steps : int
        Number of warmup updates.
    step_size_steps : int
        Updates between two drops:
        ``max(round(max(n_epochs - decay_start_epoch, 1) / (n_drops + 1) * steps_per_epoch), 1)``.

    Notes
    -----
    With :math:`e` the elapsed decay updates of :class:`Schedule` and
    :math:`S` = ``step_size_steps``:

    .. math::

        \eta(e) = \max\left(\eta_0\, \gamma^{\lfloor e / S \rfloor}, \eta_{\min}\right)

    Examples
    --------
    >>> from skstab.optim import StepDecay
    >>> schedule = StepDecay(1.0, n_epochs=3, steps_per_epoch=2, n_drops=2, gamma=0.5)
    >>> schedule.simulate(7)
    array([1.   , 1.   , 0.5  , 0.5  , 0.25 , 0.25 , 0.125])
    """

    def __init__(
        self,
        learning_rate_init: float,
        *,
        n_epochs: int,
        steps_per_epoch: int = 1,
        warmup: float = 0,
        decay_start_epoch: float = 0.0,
        min_learning_rate: float = 0.0,
        n_drops: int = 3,
        gamma: float = 0.1,
    ):
        super().__init__(
            learning_rate_init,
            n_epochs=n_epochs,
            steps_per_epoch=steps_per_epoch,
            warmup=warmup,
            decay_start_epoch=decay_start_epoch,
            min_learning_rate=min_learning_rate,
        )
        self._n_drops = check_int("n_drops", n_drops, low=1)
        self._gamma = check_real("gamma", gamma, low=0.0, high=1.0, low_open=True)
        decay_epochs = max(self._n_epochs - self._decay_start_epoch, 1)
        # Whole updates, so that drops land on exact steps without float floor.
        self._step_size_steps = max(round(decay_epochs / (self._n_drops + 1) * self._steps_per_epoch), 1)

    @property
    def n_drops(self) -> int:
        """Number of drops within the run."""
        return self._n_drops

    @property
    def gamma(self) -> float:
        """Factor applied at each drop."""
        return self._gamma

    @property
    def step_size_steps(self) -> int:
        """Updates between drops."""
        return self._step_size_steps

    def _decay(self, progress, elapsed):
        return max(
            self._learning_rate_init * self._gamma ** (elapsed // self._step_size_steps), self._min_learning_rate
        )

    def _repr_args(self):
        return [*super()._repr_args(), f"n_drops={self._n_drops!r}", f"gamma={self._gamma!r}"]


#: Schedule name -> class: the choices of the estimators' ``lr_schedule``
#: parameter. The estimators build the chosen class with the constructor
#: arguments it names among ``learning_rate_init``, ``n_epochs``,
#: ``steps_per_epoch``, ``warmup``, ``decay_start_epoch`` and
#: ``min_learning_rate``; adding an entry makes a new schedule available.
SCHEDULES: dict[str, type[Schedule]] = {
    "cosine": CosineDecay,
    "linear": LinearDecay,
    "step": StepDecay,
    "constant": ConstantLR,
}
