r"""Learning-rate schedules: pure, immutable functions of the update index.

A schedule never touches an optimizer. The trainer asks ``schedule(t)`` for
the learning rate of update ``t + 1`` and passes it to ``optimizer.step``.
Every schedule shares one shape, implemented once in :class:`Schedule`:

* a linear warmup over ``warmup_steps`` updates, whose first update already
  has a nonzero learning rate;
* a hold at ``learning_rate_init`` until the decay starts;
* a decay whose progress is measured against the planned number of updates
  ``n_epochs * steps_per_epoch``, so the decay is tied to the length of the
  run in epochs rather than to a hard-coded number of steps;
* a hold at the final value past the end of the planned run, since
  ``partial_fit`` may train for longer.

Subclasses only define the decay shape.
"""

from abc import ABC, abstractmethod
from numbers import Integral

import numpy as np

from ..utils._checks import check_int, check_real

__all__ = ["Schedule"]


class Schedule(ABC):
    r"""Base class: warmup, hold, then a decay defined by the subclass.

    Parameters
    ----------
    learning_rate_init : float
        Peak learning rate, reached at the end of the warmup. Positive.
    n_epochs : int
        Planned number of epochs of the run, at least 1.
    steps_per_epoch : int, default=1
        Optimizer updates per epoch, at least 1.
    warmup : int or float, default=0
        Length of the linear warmup: an int is a number of updates, a float
        in ``[0, 1)`` a fraction of the run's total updates, rounded to the
        nearest integer and at least 1. A warmup longer than the run is cut
        to the run, so that the peak rate is still reached.
    decay_start_epoch : float, default=0.0
        Epoch (possibly fractional) at which the decay starts; non-negative.
        The decay never starts before the warmup ends, and one set past the
        run starts at its end.
    min_learning_rate : float, default=0.0
        Final learning rate, in ``[0, learning_rate_init]``.

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

    def __init__(
        self,
        learning_rate_init: float,
        *,
        n_epochs: int,
        steps_per_epoch: int = 1,
        warmup: float = 0,
        decay_start_epoch: float = 0.0,
        min_learning_rate: float = 0.0,
    ):
        learning_rate_init = check_real("learning_rate_init", learning_rate_init, low=0.0, low_open=True)
        min_learning_rate = check_real("min_learning_rate", min_learning_rate, low=0.0, high=learning_rate_init)
        n_epochs = check_int("n_epochs", n_epochs, low=1)
        steps_per_epoch = check_int("steps_per_epoch", steps_per_epoch, low=1)
        total_steps = n_epochs * steps_per_epoch

        if isinstance(warmup, Integral) and not isinstance(warmup, bool):
            warmup = check_int("warmup", warmup, low=0)
            warmup_steps = min(warmup, total_steps)
        else:
            warmup = check_real("warmup", warmup, low=0.0, high=1.0, high_open=True)
            warmup_steps = max(round(warmup * total_steps), 1) if warmup > 0.0 else 0

        decay_start_epoch = min(check_real("decay_start_epoch", decay_start_epoch, low=0.0), float(n_epochs))

        self._learning_rate_init = learning_rate_init
        self._n_epochs = n_epochs
        self._steps_per_epoch = steps_per_epoch
        self._warmup = warmup
        self._decay_start_epoch = decay_start_epoch
        self._min_learning_rate = min_learning_rate
        self._total_steps = total_steps
        self._warmup_steps = warmup_steps
        self._decay_start = max(warmup_steps, round(decay_start_epoch * steps_per_epoch))
        self._decay_span = max(total_steps - self._decay_start, 1)

    # Read-only properties: a schedule is immutable once built.
    @property
    def learning_rate_init(self) -> float:
        """Peak learning rate."""
        return self._learning_rate_init

    @property
    def n_epochs(self) -> int:
        """Planned number of epochs."""
        return self._n_epochs

    @property
    def steps_per_epoch(self) -> int:
        """Updates per epoch."""
        return self._steps_per_epoch

    @property
    def warmup(self) -> float:
        """Warmup as given (steps or fraction)."""
        return self._warmup

    @property
    def decay_start_epoch(self) -> float:
        """Decay start epoch, cut to the run."""
        return self._decay_start_epoch

    @property
    def min_learning_rate(self) -> float:
        """Final learning rate."""
        return self._min_learning_rate

    @property
    def total_steps(self) -> int:
        """Planned number of updates."""
        return self._total_steps

    @property
    def warmup_steps(self) -> int:
        """Number of warmup updates."""
        return self._warmup_steps

    @property
    def decay_start(self) -> int:
        """First update of the decay."""
        return self._decay_start

    def __call__(self, step: int) -> float:
        """Return the learning rate of the update with 0-based index ``step``.

        Parameters
        ----------
        step : int
            Number of updates already taken, ``step >= 0``.

        Returns
        -------
        lr : float
        """
        step = check_int("step", step, low=0)
        if step < self._warmup_steps:
            # Parenthesised so that the last warmup update is exactly the peak.
            return self._learning_rate_init * ((step + 1) / self._warmup_steps)
        if step < self._decay_start:
            return self._learning_rate_init
        elapsed = min(step - self._decay_start, self._decay_span)
        lr = self._decay(elapsed / self._decay_span, elapsed)
        # Guards the bounds against rounding, so the curve never leaves
        # [min_learning_rate, learning_rate_init] and the hold-to-decay
        # junction is monotone.
        return min(max(float(lr), self._min_learning_rate), self._learning_rate_init)

    @abstractmethod
    def _decay(self, progress, elapsed):
        """Decay shape: learning rate at ``progress`` in [0, 1], ``elapsed`` decay updates."""

    def simulate(self, n_steps: int) -> np.ndarray:
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
        n_steps = check_int("n_steps", n_steps, low=0)
        # One code path with __call__, so the curve is exactly what training
        # sees; at about a microsecond per step this is cheap enough.
        return np.fromiter(map(self, range(n_steps)), dtype=np.float64, count=n_steps)

    def _repr_args(self):
        return [
            f"n_epochs={self._n_epochs!r}",
            f"steps_per_epoch={self._steps_per_epoch!r}",
            f"warmup={self._warmup!r}",
            f"decay_start_epoch={self._decay_start_epoch!r}",
            f"min_learning_rate={self._min_learning_rate!r}",
        ]

    def __repr__(self):
        return f"{type(self).__name__}({self._learning_rate_init!r}, {', '.join(self._repr_args())})"
