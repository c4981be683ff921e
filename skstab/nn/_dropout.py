"""Inverted dropout, with an optional schedule of its rate over training."""

import math

import numpy as np

from ..utils._accelerator import AcceleratedMixin, check_accelerator, fusable
from ..utils._checks import check_int, check_real
from ._base import Layer

#: Dropout-rate schedules: the rate's multiplier at training progress ``p`` in [0, 1].
DROPOUT_SCHEDULES = {
    "constant": lambda progress: 1.0,
    # RealMLP's "flat_cos": the full rate for the first half of training, then a
    # half cosine down to zero at the end.
    "flat_cos": lambda progress: 1.0 if progress < 0.5 else 0.5 * (1.0 + math.cos(math.pi * (2.0 * progress - 1.0))),
}


class Dropout(AcceleratedMixin, Layer):
    """Inverted dropout: in training, zero each value with probability ``rate`` and scale the rest by ``1/(1-rate)``.

    At inference the layer is the identity: the scaling in training makes
    the expected training output equal the inference output, so nothing is
    rescaled at prediction and predictions are deterministic.

    Parameters
    ----------
    rate : float
        Probability of dropping a value, in ``[0, 1)``.
    schedule : {"constant", "flat_cos"}, default="constant"
        How the rate changes over training. ``"flat_cos"`` (RealMLP's) keeps
        ``rate`` for the first half of the ``n_steps`` training batches, then
        lowers it along a half cosine to zero at the end, so the last updates
        fine-tune the network that inference uses.
    n_steps : int, default=None
        Planned number of training batches (forward passes with
        ``training=True``); required by ``"flat_cos"``. Past it the rate
        stays at the schedule's final value.
    accelerator : {"numpy", "numba", "auto"}, default="numpy"
        ``"numba"`` (``"auto"`` where numba is installed) computes the mask
        and the output in one pass, each value's decision hashed from its
        position and a key drawn per batch, about three times faster than
        numpy's generator; the masks then differ from numpy's, with the
        same distribution.

    Attributes
    ----------
    buffers : dict
        ``"step"``: training batches seen, so that a network's
        :meth:`~skstab.nn.Sequential.state` (checkpoints, rollbacks) includes
        the schedule's position.

    Notes
    -----
    The masks (with numba, their keys) are drawn from a generator derived, at
    :meth:`build`, from the one given there, so a seeded network drops the
    same values every run; the generator is pickled with the layer. Masks are
    written into a reused workspace, so training allocates nothing per batch.

    Examples
    --------
    >>> import numpy as np
    >>> from skstab.nn import Dropout
    >>> layer = Dropout(0.5)
    >>> layer.build(4, np.random.default_rng(0))
    4
    >>> layer.forward(np.ones((1, 4)), training=True)  # kept values are doubled
    array([[0., 0., 2., 0.]])
    >>> layer.infer(np.ones((1, 4)))
    array([[1., 1., 1., 1.]])
    """

    #: Set by :meth:`Sequential.without_dropout`: training-mode passes then leave the input as it is.
    suspended = False

    def __init__(
        self, rate: float, *, schedule: str = "constant", n_steps: int | None = None, accelerator: str = "numpy"
    ):
        super().__init__()
        self.rate = check_real("rate", rate, low=0.0, high=1.0, high_open=True)
        if schedule not in DROPOUT_SCHEDULES:
            raise ValueError(f"Invalid schedule: {schedule!r} (expected one of {sorted(DROPOUT_SCHEDULES)})")
        if schedule != "constant" and n_steps is None:
            raise ValueError(f"Invalid n_steps: None (schedule={schedule!r} needs the planned number of batches)")
        self.schedule = schedule
        self.n_steps = None if n_steps is None else check_int("n_steps", n_steps, low=1)
        self.accelerator = check_accelerator(accelerator)
        self._rng = None

    def _init_params(self, n_in, rng):
        if rng is None:
            raise ValueError("Dropout.build needs a numpy.random.Generator to draw its masks from.")
        self._rng = np.random.default_rng(int(rng.integers(2**63 - 1)))
        return {}

    def _init_buffers(self, n_in):
        return {"step": np.zeros(())}

    def current_rate(self) -> float:
        """The rate the next training batch uses."""
        if self.schedule == "constant":
            return self.rate
        progress = min(float(self.buffers["step"]) / self.n_steps, 1.0)
        return self.rate * DROPOUT_SCHEDULES[self.schedule](progress)

    def forward(self, X: np.ndarray, *, training: bool) -> np.ndarray:
        if not training or self.suspended:
            self._cache = None
            return X
        rate = self.current_rate()
        self.buffers["step"] += 1
        if rate == 0.0:
            self._cache = None
            return X
        mask = self._workspace("mask", X.shape, X.dtype)
        Y = self._workspace("Y", X.shape, X.dtype)
        self._cache = mask
        if self._uses_numba() and fusable(X):
            from . import _fused

            key = self._rng.bit_generator.random_raw()
            threshold = np.uint64(min(round(rate * 2.0**32), 2**32 - 1))
            halves = np.uint64(key & 0xFFFFFFFF), np.uint64(key >> 32)
            _fused.dropout_forward(X, *halves, threshold, 1.0 / (1.0 - rate), mask, Y)
            return Y
        self._rng.random(out=mask, dtype=X.dtype)
        # The kept values (probability 1 - rate) become 1 / (1 - rate), the others 0.
        np.greater_equal(mask, rate, out=mask)
        mask *= 1.0 / (1.0 - rate)
        return np.multiply(X, mask, out=Y)

    def backward(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray | None:
        if not need_input_grad:
            return None
        if self._cache is None:
            return dY
        return np.multiply(dY, self._cache, out=self._workspace("dX", dY.shape, dY.dtype))

    def infer(self, X: np.ndarray) -> np.ndarray:
        return X.copy()

    def infer_owned(self, X: np.ndarray) -> np.ndarray:
        return X

    def __repr__(self):
        extra = "" if self.schedule == "constant" else f", schedule={self.schedule!r}, n_steps={self.n_steps}"
        extra += "" if self.accelerator == "numpy" else f", accelerator={self.accelerator!r}"
        return f"Dropout({self.rate!r}{extra})"
