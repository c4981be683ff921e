r"""First-order optimizers that update one flat parameter buffer in place.

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

import math
import numbers
from abc import ABC, abstractmethod

import numpy as np

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSProp"]

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _check_float(name, value, *, low=None, high=None, high_open=False):
    """Return ``value`` as a finite float within ``[low, high]`` (or ``[low, high)``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"Invalid {name}: {value!r} (expected a real number)")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"Invalid {name}: {value} (expected a finite number)")
    if low is not None and value < low:
        raise ValueError(f"Invalid {name}: {value} (expected {name} >= {low})")
    if high is not None and (value >= high if high_open else value > high):
        relation = "<" if high_open else "<="
        raise ValueError(f"Invalid {name}: {value} (expected {name} {relation} {high})")
    return value


def _check_int(name, value, *, low=0):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"Invalid {name}: {value!r} (expected an integer)")
    value = int(value)
    if value < low:
        raise ValueError(f"Invalid {name}: {value} (expected {name} >= {low})")
    return value


def _check_decay_mask(decay_mask):
    """Return a read-only copy of the mask, or None; its length is checked at the first step."""
    if decay_mask is None:
        return None
    mask = np.array(decay_mask, copy=True)
    if mask.ndim != 1:
        raise ValueError(f"Invalid decay_mask: expected a 1-D array, got shape {mask.shape}")
    if mask.dtype != np.bool_ and mask.dtype.kind not in "iuf":
        raise TypeError(f"Invalid decay_mask: expected a bool or real dtype, got {mask.dtype}")
    if mask.size and not (np.all(np.isfinite(mask)) and mask.min() >= 0):
        raise ValueError("Invalid decay_mask: entries must be finite and non-negative")
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

    Parameters
    ----------
    lr : float
        Learning rate used when :meth:`step` is called without ``lr``.
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

    Attributes
    ----------
    lr : float
        Default learning rate.
    weight_decay : float
        Weight-decay coefficient.
    decay_mask : ndarray of shape (n_params,) or None
        Read-only copy of the mask given to the constructor.
    t : int
        Number of steps taken.
    """

    # In constructor order; ``state_dict`` saves them and ``load_state_dict``
    # passes them back to the constructor, which validates them.
    _hyperparameter_names = ("lr", "weight_decay", "decay_mask")
    # Per-parameter state arrays, allocated at their first use.
    _buffer_names = ()
    # Scalar state, kept as Python floats in attributes ``"_" + name``.
    _scalar_state_names = ()

    def __init__(self, lr, *, weight_decay=0.0, decay_mask=None):
        self.lr = _check_float("lr", lr, low=0.0)
        self.weight_decay = _check_float("weight_decay", weight_decay, low=0.0)
        self.decay_mask = _check_decay_mask(decay_mask)
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
        self._work = {}

    @property
    def t(self):
        """Number of steps taken."""
        return self._t

    def step(self, params, grads, lr=None):
        """Update ``params`` in place from ``grads``.

        Parameters
        ----------
        params : ndarray of shape (n_params,), dtype float32 or float64
            Flat parameter buffer, updated in place.
        grads : ndarray of shape (n_params,)
            Flat gradient buffer with the dtype of ``params``. It is read, never
            written.
        lr : float, default=None
            Learning rate for this step only, typically ``schedule(t)``.
            ``None`` uses ``self.lr``.
        """
        lr = self.lr if lr is None else _check_float("lr", lr, low=0.0)
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
        self._shape, self._dtype = params.shape, params.dtype

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

    @abstractmethod
    def _update(self, params, grads, lr):
        """Apply the update rule in place; ``self._t`` already counts this step."""

    def _hyperparameters(self):
        return {name: getattr(self, name) for name in self._hyperparameter_names}

    def state_dict(self):
        """Return a copy of the hyperparameters and of the whole state.

        Returns
        -------
        state : dict
            ``{"optimizer": class name, "hyperparameters": {...}, "t": int,
            "state": {...}}``. ``"state"`` holds copies of the per-parameter
            arrays allocated so far and the scalar state. Mutating the result
            does not affect the optimizer.
        """
        hyperparameters = self._hyperparameters()
        if hyperparameters.get("decay_mask") is not None:
            hyperparameters["decay_mask"] = hyperparameters["decay_mask"].copy()
        state = {name: buffer.copy() for name, buffer in self._buffers.items()}
        for name in self._scalar_state_names:
            state[name] = getattr(self, "_" + name)
        return {
            "optimizer": type(self).__name__,
            "hyperparameters": hyperparameters,
            "t": self._t,
            "state": state,
        }

    def load_state_dict(self, state):
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
        self._t = _check_int("t", state["t"])
        saved = dict(state["state"])
        for name in self._scalar_state_names:
            setattr(self, "_" + name, _check_float(name, saved.pop(name), low=0.0))
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
        return state

    def __repr__(self):
        args = []
        for name, value in self._hyperparameters().items():
            if isinstance(value, np.ndarray):
                args.append(f"{name}=<array of {value.shape[0]} {value.dtype}>")
            else:
                args.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(args)})"


class SGD(Optimizer):
    r"""Stochastic gradient descent with optional heavy-ball or Nesterov momentum.

    Parameters
    ----------
    lr : float, default=0.01
        Learning rate used when :meth:`step` is called without ``lr``.
    momentum : float, default=0.9
        Momentum factor :math:`\mu`, in ``[0, 1)``. ``0`` is plain gradient
        descent and allocates no momentum buffer.
    nesterov : bool, default=False
        Use Nesterov momentum (requires ``momentum > 0``).
    weight_decay : float, default=0.0
        Classic L2 coefficient :math:`\lambda`: ``weight_decay * decay_mask *
        params`` is added to the gradient.
    decay_mask : array-like of shape (n_params,), default=None
        Per-parameter multiplier of ``weight_decay`` (1 to decay, 0 not to);
        ``None`` decays every parameter.

    Attributes
    ----------
    t : int
        Number of steps taken.

    Notes
    -----
    With :math:`g_t = \nabla_\theta L + \lambda\, \text{mask} \odot
    \theta_{t-1}`, learning rate :math:`\eta` and velocity :math:`b_0 = 0`:

    .. math::

        b_t &= \mu\, b_{t-1} + g_t \\
        \theta_t &= \theta_{t-1} - \eta\, b_t
            \quad\text{(heavy ball)} \\
        \theta_t &= \theta_{t-1} - \eta\, (g_t + \mu\, b_t)
            \quad\text{(Nesterov)}

    This is PyTorch's convention (no dampening, the learning rate applied
    outside the velocity), so a change of learning rate takes effect at once
    rather than being blended into the velocity. With :math:`\mu = 0` the
    update is exactly :math:`\theta_t = \theta_{t-1} - \eta\, g_t`.

    Examples
    --------
    >>> import numpy as np
    >>> from skstab.optim import SGD
    >>> params = np.array([1.0, 2.0])
    >>> opt = SGD(lr=0.1, momentum=0.5)
    >>> for _ in range(2):
    ...     opt.step(params, np.array([1.0, -1.0]))
    >>> params  # velocity 1, then 1.5
    array([0.75, 2.25])
    """

    _hyperparameter_names = ("lr", "momentum", "nesterov", "weight_decay", "decay_mask")
    _buffer_names = ("momentum_buffer",)

    def __init__(self, lr=0.01, *, momentum=0.9, nesterov=False, weight_decay=0.0, decay_mask=None):
        super().__init__(lr, weight_decay=weight_decay, decay_mask=decay_mask)
        self.momentum = _check_float("momentum", momentum, low=0.0, high=1.0, high_open=True)
        if not isinstance(nesterov, (bool, np.bool_)):
            raise TypeError(f"Invalid nesterov: {nesterov!r} (expected a bool)")
        if nesterov and self.momentum == 0.0:
            raise ValueError(f"Invalid nesterov: {nesterov} (Nesterov requires momentum > 0)")
        self.nesterov = bool(nesterov)

    def _update(self, params, grads, lr):
        grads = self._apply_weight_decay(params, grads, lr)
        delta = self._scratch("delta")
        mu = self.momentum
        if mu == 0.0:
            np.multiply(grads, lr, out=delta)
        else:
            velocity = self._buffer("momentum_buffer")
            velocity *= mu
            velocity += grads
            if self.nesterov:
                np.multiply(velocity, mu, out=delta)
                delta += grads
                delta *= lr
            else:
                np.multiply(velocity, lr, out=delta)
        params -= delta


class Adam(Optimizer):
    r"""Adam with explicit bias correction and an optional :math:`\beta_1` warmup.

    Parameters
    ----------
    lr : float, default=1e-3
        Learning rate used when :meth:`step` is called without ``lr``.
    beta_1 : float, default=0.9
        Decay rate of the first-moment estimate, in ``[0, 1)``.
    beta_2 : float, default=0.999
        Decay rate of the second-moment estimate, in ``[0, 1)``.
    epsilon : float, default=1e-8
        Added to :math:`\sqrt{\hat v}`; must be positive, so that a zero
        gradient gives a zero step rather than ``0 / 0``.
    weight_decay : float, default=0.0
        Classic L2 coefficient :math:`\lambda`: ``weight_decay * decay_mask *
        params`` is added to the gradient and thus rescaled by the adaptive
        denominator. Use :class:`AdamW` for decoupled decay.
    decay_mask : array-like of shape (n_params,), default=None
        Per-parameter multiplier of ``weight_decay`` (1 to decay, 0 not to);
        ``None`` decays every parameter.
    beta_1_warmup_steps : int, default=0
        Number of steps over which :math:`\beta_1` ramps linearly from
        ``beta_1_initial`` to ``beta_1``. ``0`` disables the warmup.
    beta_1_initial : float, default=0.5
        :math:`\beta_1` of the first step when the warmup is enabled, in
        ``[0, 1)``.

    Attributes
    ----------
    t : int
        Number of steps taken.

    Notes
    -----
    With gradient :math:`g_t` (plus :math:`\lambda\, \text{mask} \odot
    \theta_{t-1}` when ``weight_decay > 0``), learning rate :math:`\eta`,
    :math:`m_0 = v_0 = 0` and step :math:`t \ge 1`:

    .. math::

        m_t &= \beta_{1,t}\, m_{t-1} + (1 - \beta_{1,t})\, g_t \\
        v_t &= \beta_2\, v_{t-1} + (1 - \beta_2)\, g_t^2 \\
        \hat m_t &= \frac{m_t}{1 - \prod_{s=1}^{t} \beta_{1,s}}, \qquad
        \hat v_t = \frac{v_t}{1 - \beta_2^t} \\
        \theta_t &= \theta_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}

    where, with :math:`W` = ``beta_1_warmup_steps`` and
    :math:`\beta_{1,\text{init}}` = ``beta_1_initial``,

    .. math::

        \beta_{1,t} = \beta_{1,\text{init}} + (\beta_1 - \beta_{1,\text{init}})
            \min\left(\frac{t - 1}{W}, 1\right)

    (and :math:`\beta_{1,t} = \beta_1` when :math:`W = 0`). Steps
    :math:`1, \dots, W` use the ramp, the first at ``beta_1_initial``, and
    every later step uses ``beta_1``. Because :math:`\beta_{1,t}` varies, the
    bias correction divides by one minus the running product of the
    :math:`\beta_{1,s}` actually used, which keeps :math:`\hat m_t` an
    unbiased weighted mean of past gradients; for a constant
    :math:`\beta_1` it is the usual :math:`1 - \beta_1^t`. Both products
    are kept in the state.

    :math:`\epsilon` is added outside the bias-corrected square root, as in
    the original paper. scikit-learn's ``MLPRegressor`` instead folds the
    correction into the step size, :math:`\eta_t = \eta \sqrt{1 -
    \beta_2^t} / (1 - \beta_1^t)`, and adds :math:`\epsilon` to the
    uncorrected :math:`\sqrt{v_t}`; the two agree only up to the size of
    :math:`\epsilon`.

    On the first step :math:`\hat m_1 = g_1` and :math:`\sqrt{\hat v_1} =
    |g_1|`, so every parameter with a nonzero gradient moves by
    :math:`\eta\, |g| / (|g| + \epsilon) \approx \eta`.

    Examples
    --------
    >>> import numpy as np
    >>> from skstab.optim import Adam
    >>> params = np.array([1.0, -2.0])
    >>> opt = Adam(lr=0.1)
    >>> opt.step(params, np.array([0.5, -0.25]))
    >>> params  # the first step moves each parameter by lr
    array([ 0.9, -1.9])
    >>> opt.t
    1
    """

    _hyperparameter_names = (
        "lr",
        "beta_1",
        "beta_2",
        "epsilon",
        "weight_decay",
        "decay_mask",
        "beta_1_warmup_steps",
        "beta_1_initial",
    )
    _buffer_names = ("m", "v")
    _scalar_state_names = ("beta_1_product", "beta_2_product")

    def __init__(
        self,
        lr=1e-3,
        *,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        weight_decay=0.0,
        decay_mask=None,
        beta_1_warmup_steps=0,
        beta_1_initial=0.5,
    ):
        super().__init__(lr, weight_decay=weight_decay, decay_mask=decay_mask)
        self.beta_1 = _check_float("beta_1", beta_1, low=0.0, high=1.0, high_open=True)
        self.beta_2 = _check_float("beta_2", beta_2, low=0.0, high=1.0, high_open=True)
        self.epsilon = _check_float("epsilon", epsilon, low=0.0)
        if self.epsilon == 0.0:
            raise ValueError(f"Invalid epsilon: {epsilon} (expected epsilon > 0)")
        self.beta_1_warmup_steps = _check_int("beta_1_warmup_steps", beta_1_warmup_steps)
        self.beta_1_initial = _check_float("beta_1_initial", beta_1_initial, low=0.0, high=1.0, high_open=True)
        self._beta_1_product = 1.0
        self._beta_2_product = 1.0

    def beta_1_at(self, t):
        """Return :math:`\\beta_1` used at step ``t`` (1-based).

        Parameters
        ----------
        t : int
            Step number, ``t >= 1``.

        Returns
        -------
        beta_1 : float
        """
        warmup = self.beta_1_warmup_steps
        if warmup == 0 or t > warmup:
            return self.beta_1
        return self.beta_1_initial + (self.beta_1 - self.beta_1_initial) * ((t - 1) / warmup)

    def _update(self, params, grads, lr):
        grads = self._apply_weight_decay(params, grads, lr)
        m, v = self._buffer("m"), self._buffer("v")
        tmp = self._scratch("tmp")
        beta_1, beta_2 = self.beta_1_at(self._t), self.beta_2
        self._beta_1_product *= beta_1
        self._beta_2_product *= beta_2

        m *= beta_1
        np.multiply(grads, 1.0 - beta_1, out=tmp)
        m += tmp

        v *= beta_2
        np.square(grads, out=tmp)
        tmp *= 1.0 - beta_2
        v += tmp

        # m_hat / (sqrt(v_hat) + eps) = (sqrt(c2) / c1) * m / (sqrt(v) + eps * sqrt(c2))
        # with c_i = 1 - prod(beta_i): both bias corrections become scalars, so
        # the update costs no pass over the parameters for them.
        root_c2 = math.sqrt(1.0 - self._beta_2_product)
        np.sqrt(v, out=tmp)
        tmp += self.epsilon * root_c2
        np.divide(m, tmp, out=tmp)
        tmp *= lr * root_c2 / (1.0 - self._beta_1_product)
        params -= tmp


class AdamW(Adam):
    r"""Adam with decoupled weight decay.

    Parameters
    ----------
    lr : float, default=1e-3
        Learning rate used when :meth:`step` is called without ``lr``.
    beta_1 : float, default=0.9
        Decay rate of the first-moment estimate, in ``[0, 1)``.
    beta_2 : float, default=0.999
        Decay rate of the second-moment estimate, in ``[0, 1)``.
    epsilon : float, default=1e-8
        Added to :math:`\sqrt{\hat v}`; must be positive.
    weight_decay : float, default=0.01
        Decoupled decay coefficient :math:`\lambda`.
    decay_mask : array-like of shape (n_params,), default=None
        Per-parameter multiplier of ``weight_decay``: 1 for weights, 0 for
        biases and normalization parameters. ``None`` decays every parameter.
    beta_1_warmup_steps : int, default=0
        Number of steps over which :math:`\beta_1` ramps linearly from
        ``beta_1_initial`` to ``beta_1`` (see :class:`Adam`).
    beta_1_initial : float, default=0.5
        :math:`\beta_1` of the first step when the warmup is enabled.

    Attributes
    ----------
    t : int
        Number of steps taken.

    Notes
    -----
    Before the moments are updated, the parameters shrink towards zero
    independently of the gradient:

    .. math::

        \theta_{t-1} &\leftarrow \theta_{t-1} \odot
            (1 - \eta\, \lambda\, \text{mask}) \\
        \theta_t &= \theta_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}

    with :math:`m_t, v_t, \hat m_t, \hat v_t` computed from the raw gradient
    exactly as in :class:`Adam`. Unlike an L2 penalty added to the gradient,
    the decay is not divided by :math:`\sqrt{\hat v_t}`, so every masked-in
    weight decays at the same relative rate :math:`\eta\lambda` per step
    (Loshchilov and Hutter, 2019). The decay uses the step's learning rate,
    so it follows the schedule.

    Examples
    --------
    >>> import numpy as np
    >>> from skstab.optim import AdamW
    >>> params = np.array([1.0, 1.0])
    >>> opt = AdamW(lr=0.1, weight_decay=0.5, decay_mask=[1, 0])
    >>> opt.step(params, np.zeros(2))  # a zero gradient still decays the weight
    >>> params
    array([0.95, 1.  ])
    """

    def __init__(
        self,
        lr=1e-3,
        *,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        weight_decay=0.01,
        decay_mask=None,
        beta_1_warmup_steps=0,
        beta_1_initial=0.5,
    ):
        super().__init__(
            lr,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            weight_decay=weight_decay,
            decay_mask=decay_mask,
            beta_1_warmup_steps=beta_1_warmup_steps,
            beta_1_initial=beta_1_initial,
        )

    def _apply_weight_decay(self, params, grads, lr):
        rate = lr * self.weight_decay
        if rate == 0.0:
            return grads
        if self._mask is None:
            params *= 1.0 - rate
        elif self._decay_blocks is not None:
            for block in self._decay_blocks:
                params[block] *= 1.0 - rate
        else:
            factor = self._scratch("tmp")
            np.multiply(self._mask, -rate, out=factor)
            factor += 1.0
            params *= factor
        return grads


class RMSProp(Optimizer):
    r"""RMSProp: divide the gradient by a running root mean square.

    Parameters
    ----------
    lr : float, default=1e-3
        Learning rate used when :meth:`step` is called without ``lr``.
    alpha : float, default=0.99
        Decay rate of the mean square, in ``[0, 1)``.
    epsilon : float, default=1e-8
        Added to :math:`\sqrt{v}`; must be positive.
    momentum : float, default=0.0
        Momentum factor :math:`\mu` applied to the normalised gradient, in
        ``[0, 1)``.
    weight_decay : float, default=0.0
        Classic L2 coefficient :math:`\lambda`: ``weight_decay * decay_mask *
        params`` is added to the gradient.
    decay_mask : array-like of shape (n_params,), default=None
        Per-parameter multiplier of ``weight_decay`` (1 to decay, 0 not to);
        ``None`` decays every parameter.

    Attributes
    ----------
    t : int
        Number of steps taken.

    Notes
    -----
    With gradient :math:`g_t` (plus :math:`\lambda\, \text{mask} \odot
    \theta_{t-1}` when ``weight_decay > 0``), :math:`v_0 = b_0 = 0`:

    .. math::

        v_t &= \alpha\, v_{t-1} + (1 - \alpha)\, g_t^2 \\
        \theta_t &= \theta_{t-1} - \eta\, \frac{g_t}{\sqrt{v_t} + \epsilon}
            \quad (\mu = 0) \\
        b_t &= \mu\, b_{t-1} + \frac{g_t}{\sqrt{v_t} + \epsilon}, \quad
        \theta_t = \theta_{t-1} - \eta\, b_t \quad (\mu > 0)

    This is PyTorch's (non-centred) convention: the momentum buffer
    accumulates the normalised gradient and :math:`v` has no bias correction,
    so the first steps are larger than later ones by up to
    :math:`1 / \sqrt{1 - \alpha}`.

    Examples
    --------
    >>> import numpy as np
    >>> from skstab.optim import RMSProp
    >>> params = np.array([1.0])
    >>> opt = RMSProp(lr=0.01, alpha=0.75)
    >>> opt.step(params, np.array([2.0]))  # v = 0.25 * 4 = 1, step = 0.01 * 2 / 1
    >>> params
    array([0.98])
    """

    _hyperparameter_names = ("lr", "alpha", "epsilon", "momentum", "weight_decay", "decay_mask")
    _buffer_names = ("v", "momentum_buffer")

    def __init__(self, lr=1e-3, *, alpha=0.99, epsilon=1e-8, momentum=0.0, weight_decay=0.0, decay_mask=None):
        super().__init__(lr, weight_decay=weight_decay, decay_mask=decay_mask)
        self.alpha = _check_float("alpha", alpha, low=0.0, high=1.0, high_open=True)
        self.epsilon = _check_float("epsilon", epsilon, low=0.0)
        if self.epsilon == 0.0:
            raise ValueError(f"Invalid epsilon: {epsilon} (expected epsilon > 0)")
        self.momentum = _check_float("momentum", momentum, low=0.0, high=1.0, high_open=True)

    def _update(self, params, grads, lr):
        grads = self._apply_weight_decay(params, grads, lr)
        v = self._buffer("v")
        tmp = self._scratch("tmp")
        alpha = self.alpha

        v *= alpha
        np.square(grads, out=tmp)
        tmp *= 1.0 - alpha
        v += tmp

        np.sqrt(v, out=tmp)
        tmp += self.epsilon
        np.divide(grads, tmp, out=tmp)
        if self.momentum > 0.0:
            velocity = self._buffer("momentum_buffer")
            velocity *= self.momentum
            velocity += tmp
            np.multiply(velocity, lr, out=tmp)
        else:
            tmp *= lr
        params -= tmp
