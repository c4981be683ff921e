r"""The base class of the optimizers that update one flat parameter buffer in place.

The trainer stores every parameter of a network in one contiguous 1-D array
and every gradient in a second array of the same shape and dtype. An
optimizer step is therefore a short, fixed sequence of vectorised numpy
calls over those two arrays, whatever the depth of the network. The state
(moments, momentum buffers) and the scratch space are allocated once, at
the first step, and every later step works in place with ``out=``
arguments, so a step allocates no array.

All scalar arithmetic is done on Python floats: under numpy's promotion
rules (NEP 50) a Python float does not promote a float32 array, so the
float32 fast path stays float32 from end to end.
"""

from abc import ABC, abstractmethod

import numpy as np

from ..utils._accelerator import check_accelerator, resolve_accelerator
from ..utils._checks import check_int, check_real

__all__ = ["Optimizer"]

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _check_per_parameter(name, values):
    """Return a read-only copy of a per-parameter array, or None; its length is checked at the first step."""
    if values is None:
        return None
    mask = np.array(values, copy=True)
    if mask.ndim != 1:
        raise ValueError(f"Invalid {name}: expected a 1-D array, got shape {mask.shape}")
    if mask.dtype != np.bool_ and mask.dtype.kind not in "iuf":
        raise TypeError(f"Invalid {name}: expected a bool or real dtype, got {mask.dtype}")
    if mask.size and not (np.all(np.isfinite(mask)) and mask.min() >= 0):
        raise ValueError(f"Invalid {name}: entries must be finite and non-negative")
    mask.flags.writeable = False
    return mask


#: Most blocks of ones a 0/1 decay mask may have for decay to run on slices.
_MAX_DECAY_BLOCKS = 8


def _blocks_of_ones(mask):
    """Slices covering a 0/1 mask's ones when they form a few blocks, else ``None``.

    A network lays its decayed weights out contiguously, so decoupled decay is
    one in-place multiply of a slice instead of three passes with the mask.
    """
    if not np.isin(mask, (0, 1)).all():
        return None
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
    if edges.size > 2 * _MAX_DECAY_BLOCKS:
        return None
    return [slice(int(start), int(stop)) for start, stop in zip(edges[::2], edges[1::2])]


class Optimizer(ABC):
    """Base class of the optimizers that update a flat parameter buffer in place.

    A subclass declares its hyperparameters, the names of its per-parameter
    state arrays and of its scalar state, and implements ``_update``. The base
    class owns the bookkeeping: argument checks, lazy allocation, the step
    counter, classic (L2) weight decay, ``state_dict`` and pickling.

    The learning rate is not part of an optimizer: the caller passes the
    rate of each update to :meth:`step` (usually ``schedule(t)``), so the
    one place that knows it is the schedule.

    Parameters
    ----------
    weight_decay : float, default=0.0
        Coefficient of the L2 penalty :math:`\\tfrac{\\lambda}{2}\\lVert
        \\text{mask} \\odot \\theta \\rVert^2`, whose gradient
        ``weight_decay * decay_mask * params`` is added to ``grads`` before
        the update rule sees them. :class:`AdamW` overrides this with
        decoupled decay.
    decay_mask : array-like of shape (n_params,), default=None
        Per-parameter multiplier of ``weight_decay``: 1 for weights to decay,
        0 for biases and normalization parameters. Bool or real, finite and
        non-negative. ``None`` decays every parameter. It is cast to the
        dtype of ``params`` and its length is checked at the first step.
    lr_factors : array-like of shape (n_params,), default=None
        Per-parameter multiplier of the learning rate: each parameter's
        update (and, in :class:`AdamW`, its decoupled decay) is scaled by its
        factor, so a layer can learn more slowly or faster than the rest
        (:attr:`skstab.nn.Sequential.lr_factors`). Real, finite and
        non-negative; checked like ``decay_mask``. ``None`` (all ones) costs
        nothing.
    accelerator : {"numpy", "numba", "auto"}, default="numpy"
        How a step computes. ``"numpy"``: a short fixed sequence of in-place
        numpy calls, the reference. ``"numba"``: one compiled pass over the
        buffers (numba must be installed: ``pip install skstab[fast]``);
        float32 and float64 contiguous buffers only, others fall back to
        numpy. ``"auto"``: numba when it is installed. The two agree to the
        rounding of the buffers' dtype. The estimators pass their own
        ``accelerator`` parameter here.

    Attributes
    ----------
    weight_decay : float
        Weight-decay coefficient.
    decay_mask : ndarray of shape (n_params,) or None
        Read-only copy of the mask given to the constructor.
    lr_factors : ndarray of shape (n_params,) or None
        Read-only copy of the learning-rate factors given to the constructor.
    t : int
        Number of steps taken.
    """

    # In constructor order; ``state_dict`` saves them and ``load_state_dict``
    # passes them back to the constructor, which validates them.
    _hyperparameter_names = ("weight_decay", "decay_mask", "lr_factors", "accelerator")
    # Per-parameter state arrays, allocated at their first use.
    _buffer_names = ()
    # Scalar state, kept as Python floats in attributes ``"_" + name``.
    _scalar_state_names = ()

    def __init__(self, *, weight_decay: float = 0.0, decay_mask=None, lr_factors=None, accelerator: str = "numpy"):
        self.weight_decay = check_real("weight_decay", weight_decay, low=0.0)
        self.accelerator = check_accelerator(accelerator)
        self.decay_mask = _check_per_parameter("decay_mask", decay_mask)
        self.lr_factors = _check_per_parameter("lr_factors", lr_factors)
        self._t = 0
        self._buffers = {}
        self._forget_layout()

    def _forget_layout(self):
        # Everything here is derived from the first ``params`` seen and is
        # rebuilt by ``_start`` at the next step; none of it is state.
        self._shape = None
        self._dtype = None
        self._mask = None
        self._decay_blocks = None
        self._factors = None
        self._decay_rates = None
        self._work = {}
        self._fused = None
        self._empty = None

    @property
    def t(self) -> int:
        """Number of steps taken."""
        return self._t

    def step(self, params: np.ndarray, grads: np.ndarray, lr: float) -> None:
        """Update ``params`` in place from ``grads``.

        Parameters
        ----------
        params : ndarray of shape (n_params,), dtype float32 or float64
            Flat parameter buffer, updated in place.
        grads : ndarray of shape (n_params,)
            Flat gradient buffer with the dtype of ``params``. It is read, never
            written.
        lr : float
            Learning rate of this step, typically ``schedule(t)``; non-negative.
        """
        lr = check_real("lr", lr, low=0.0)
        if not (isinstance(params, np.ndarray) and params.ndim == 1 and params.dtype in _FLOAT_DTYPES):
            raise ValueError(
                "params must be a 1-D float32 or float64 ndarray, got "
                f"{type(params).__name__} {getattr(params, 'shape', '')} "
                f"{getattr(params, 'dtype', '')}"
            )
        if not (isinstance(grads, np.ndarray) and grads.shape == params.shape and grads.dtype == params.dtype):
            raise ValueError(
                f"grads must be an ndarray with the shape {params.shape} and dtype "
                f"{params.dtype} of params, got {type(grads).__name__} "
                f"{getattr(grads, 'shape', '')} {getattr(grads, 'dtype', '')}"
            )
        if self._shape is None:
            self._start(params)
        elif params.shape != self._shape or params.dtype != self._dtype:
            raise ValueError(
                f"The optimizer state was allocated for {self._shape[0]} {self._dtype} "
                f"parameters, got {params.shape[0]} {params.dtype} parameters"
            )
        self._t += 1
        self._update(params, grads, lr)

    def _start(self, params):
        """Fix the layout at the first step (after construction, loading or unpickling)."""
        if self.decay_mask is not None and self.decay_mask.shape != params.shape:
            raise ValueError(f"decay_mask has {self.decay_mask.shape[0]} entries but params has {params.shape[0]}")
        if self.lr_factors is not None and self.lr_factors.shape != params.shape:
            raise ValueError(f"lr_factors has {self.lr_factors.shape[0]} entries but params has {params.shape[0]}")
        for name, buffer in self._buffers.items():
            if buffer.shape != params.shape:
                raise ValueError(
                    f"Optimizer state {name!r} has shape {buffer.shape} but params has shape {params.shape}"
                )
            # A state saved from a float64 run may continue in float32.
            self._buffers[name] = np.ascontiguousarray(buffer, dtype=params.dtype)
        if self.decay_mask is not None:
            self._mask = self.decay_mask.astype(params.dtype)
            self._decay_blocks = _blocks_of_ones(self.decay_mask)
        if self.lr_factors is not None:
            self._factors = self.lr_factors.astype(params.dtype)
            # Decoupled decay follows each parameter's learning rate: mask * factor.
            self._decay_rates = self._factors if self._mask is None else self._mask * self._factors
        self._shape, self._dtype = params.shape, params.dtype
        if resolve_accelerator(self.accelerator) == "numba":
            from . import _fused

            self._fused = _fused
            self._empty = np.empty(0, dtype=params.dtype)

    def _kernels(self, params, grads):
        """The fused kernels (:mod:`skstab.optim._fused`) when this step can use them, else ``None``."""
        if self._fused is None or not (params.flags.c_contiguous and grads.flags.c_contiguous):
            return None
        return self._fused

    def _per_parameter_arguments(self):
        """``(mask, factors, has_mask, has_factors)`` as the fused kernels take them."""
        mask = self._empty if self._mask is None else self._mask
        factors = self._empty if self._factors is None else self._factors
        return mask, factors, self._mask is not None, self._factors is not None

    def _dense_per_parameter_arguments(self):
        """``(mask, factors)`` with an all-ones array for each the optimizer does not have."""
        ones = self._work.get("ones")
        if ones is None and (self._mask is None or self._factors is None):
            ones = self._work["ones"] = np.ones(self._shape, dtype=self._dtype)
        return (ones if self._mask is None else self._mask), (ones if self._factors is None else self._factors)

    def _buffer(self, name):
        """Per-parameter state array ``name``, zero-initialised at its first use."""
        buffer = self._buffers.get(name)
        if buffer is None:
            buffer = self._buffers[name] = np.zeros(self._shape, dtype=self._dtype)
        return buffer

    def _scratch(self, name):
        """Work array ``name``; its content is garbage between calls and is never saved."""
        buffer = self._work.get(name)
        if buffer is None:
            buffer = self._work[name] = np.empty(self._shape, dtype=self._dtype)
        return buffer

    def _apply_weight_decay(self, params, grads, lr):
        """Return the gradient the update rule should use.

        Classic L2 decay: ``grads + weight_decay * mask * params``, written to a
        scratch array so that ``grads`` is left intact.
        """
        if self.weight_decay == 0.0:
            return grads
        out = self._scratch("decayed_grads")
        if self._mask is None:
            np.multiply(params, self.weight_decay, out=out)
        else:
            np.multiply(params, self._mask, out=out)
            out *= self.weight_decay
        out += grads
        return out

    def _scale_update(self, update):
        """Multiply the step ``update`` (a scratch array) by ``lr_factors`` in place, if any; return it."""
        if self._factors is not None:
            update *= self._factors
        return update

    @abstractmethod
    def _update(self, params, grads, lr):
        """Apply the update rule in place; ``self._t`` already counts this step."""

    def _hyperparameters(self):
        return {name: getattr(self, name) for name in self._hyperparameter_names}

    def state_dict(self) -> dict:
        """Return a copy of the hyperparameters and of the whole state.

        Returns
        -------
        state : dict
            ``{"optimizer": class name, "hyperparameters": {...}, "t": int,
            "state": {...}}``. ``"state"`` holds copies of the per-parameter
            arrays allocated so far and the scalar state. Mutating the result
            does not affect the optimizer.
        """
        hyperparameters = {
            name: value.copy() if isinstance(value, np.ndarray) else value
            for name, value in self._hyperparameters().items()
        }
        state = {name: buffer.copy() for name, buffer in self._buffers.items()}
        for name in self._scalar_state_names:
            state[name] = getattr(self, "_" + name)
        return {
            "optimizer": type(self).__name__,
            "hyperparameters": hyperparameters,
            "t": self._t,
            "state": state,
        }

    def load_state_dict(self, state: dict) -> None:
        """Replace the hyperparameters and the state by those of ``state``.

        Parameters
        ----------
        state : dict
            A dict returned by :meth:`state_dict` of the same optimizer class.
            The arrays are copied; their length is checked against ``params``
            at the next step.
        """
        if state.get("optimizer") != type(self).__name__:
            raise ValueError(f"Cannot load a {state.get('optimizer')!r} state into {type(self).__name__}")
        # Re-running the constructor validates the loaded hyperparameters and
        # resets the state, which is then filled in below.
        self.__init__(**state["hyperparameters"])
        self._t = check_int("t", state["t"])
        saved = dict(state["state"])
        for name in self._scalar_state_names:
            setattr(self, "_" + name, check_real(name, saved.pop(name), low=0.0))
        unknown = set(saved) - set(self._buffer_names)
        if unknown:
            raise ValueError(f"Unknown optimizer state {sorted(unknown)} for {type(self).__name__}")
        for name, buffer in saved.items():
            buffer = np.array(buffer, copy=True)
            if buffer.ndim != 1 or buffer.dtype not in _FLOAT_DTYPES:
                raise ValueError(
                    f"Optimizer state {name!r} must be a 1-D float32 or float64 array, got "
                    f"shape {buffer.shape} and dtype {buffer.dtype}"
                )
            self._buffers[name] = buffer

    def __getstate__(self):
        # Scratch arrays and the cast mask carry no information: leave them out
        # of the pickle; the next step rebuilds them, as after load_state_dict.
        state = self.__dict__.copy()
        state.update(_shape=None, _dtype=None, _mask=None, _decay_blocks=None, _work={})
        state.update(_factors=None, _decay_rates=None, _fused=None, _empty=None)
        return state

    def __setstate__(self, state):
        # Optimizers pickled before per-parameter learning-rate factors existed had none.
        # Those pickled before the accelerator choice computed with numpy.
        defaults = {"lr_factors": None, "_factors": None, "_decay_rates": None, "accelerator": "numpy"}
        self.__dict__.update({**defaults, "_fused": None, "_empty": None, **state})

    def __repr__(self):
        args = []
        for name, value in self._hyperparameters().items():
            if isinstance(value, np.ndarray):
                args.append(f"{name}=<array of {value.shape[0]} {value.dtype}>")
            else:
                args.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(args)})"
