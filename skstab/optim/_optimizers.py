r"""SGD and RMSProp, and the registry the estimators build every optimizer from.

Each class only states its update rule; the bookkeeping (checks, lazy state,
``state_dict``, pickling) is :class:`~skstab.optim.Optimizer`'s. Adam and AdamW
live in ``_adam.py``. To add an optimizer, write a subclass here and add it to
:data:`OPTIMIZERS`.
"""

import numpy as np

from ..utils._checks import check_real
from ._adam import Adam, AdamW
from ._optimizer import Optimizer

__all__ = ["SGD", "Adam", "AdamW", "RMSProp", "OPTIMIZERS"]


class SGD(Optimizer):
    r"""Stochastic gradient descent with optional heavy-ball or Nesterov momentum.

    Parameters
    ----------
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
    lr_factors : array-like of shape (n_params,), default=None
        Per-parameter multiplier of the learning rate (see
        :class:`~skstab.optim.Optimizer`); ``None`` for all ones.
    accelerator : {"numpy", "numba", "auto"}, default="numpy"
        ``"numba"`` runs the step as one compiled pass (see
        :class:`~skstab.optim.Optimizer`); ``"auto"`` when numba is installed.

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
    >>> opt = SGD(momentum=0.5)
    >>> for _ in range(2):
    ...     opt.step(params, np.array([1.0, -1.0]), lr=0.1)
    >>> params  # velocity 1, then 1.5
    array([0.75, 2.25])
    """

    _hyperparameter_names = ("momentum", "nesterov", "weight_decay", "decay_mask", "lr_factors", "accelerator")
    _buffer_names = ("momentum_buffer",)

    def __init__(
        self,
        *,
        momentum: float = 0.9,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        decay_mask=None,
        lr_factors=None,
        accelerator: str = "numpy",
    ):
        super().__init__(
            weight_decay=weight_decay, decay_mask=decay_mask, lr_factors=lr_factors, accelerator=accelerator
        )
        self.momentum = check_real("momentum", momentum, low=0.0, high=1.0, high_open=True)
        if not isinstance(nesterov, (bool, np.bool_)):
            raise TypeError(f"Invalid nesterov: {nesterov!r} (expected a bool)")
        if nesterov and self.momentum == 0.0:
            raise ValueError(f"Invalid nesterov: {nesterov} (Nesterov requires momentum > 0)")
        self.nesterov = bool(nesterov)

    def _update(self, params, grads, lr):
        kernels = self._kernels(params, grads)
        if kernels is not None:
            velocity = self._empty if self.momentum == 0.0 else self._buffer("momentum_buffer")
            mask, factors, has_mask, has_factors = self._per_parameter_arguments()
            kernels.sgd_step(
                params, grads, velocity, mask, factors, has_mask, has_factors,
                self.weight_decay, lr, self.momentum, self.nesterov,
            )  # fmt: skip
            return
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
        params -= self._scale_update(delta)


class RMSProp(Optimizer):
    r"""RMSProp: divide the gradient by a running root mean square.

    Parameters
    ----------
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
    lr_factors : array-like of shape (n_params,), default=None
        Per-parameter multiplier of the learning rate (see
        :class:`~skstab.optim.Optimizer`); ``None`` for all ones.
    accelerator : {"numpy", "numba", "auto"}, default="numpy"
        ``"numba"`` runs the step as one compiled pass (see
        :class:`~skstab.optim.Optimizer`); ``"auto"`` when numba is installed.

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
    >>> opt = RMSProp(alpha=0.75)
    >>> opt.step(params, np.array([2.0]), lr=0.01)  # v = 0.25 * 4 = 1, step = 0.01 * 2 / 1
    >>> params
    array([0.98])
    """

    _hyperparameter_names = (
        "alpha",
        "epsilon",
        "momentum",
        "weight_decay",
        "decay_mask",
        "lr_factors",
        "accelerator",
    )
    _buffer_names = ("v", "momentum_buffer")

    def __init__(
        self,
        *,
        alpha: float = 0.99,
        epsilon: float = 1e-8,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        decay_mask=None,
        lr_factors=None,
        accelerator: str = "numpy",
    ):
        super().__init__(
            weight_decay=weight_decay, decay_mask=decay_mask, lr_factors=lr_factors, accelerator=accelerator
        )
        self.alpha = check_real("alpha", alpha, low=0.0, high=1.0, high_open=True)
        self.epsilon = check_real("epsilon", epsilon, low=0.0, low_open=True)
        self.momentum = check_real("momentum", momentum, low=0.0, high=1.0, high_open=True)

    def _update(self, params, grads, lr):
        kernels = self._kernels(params, grads)
        if kernels is not None:
            v = self._buffer("v")
            velocity = self._buffer("momentum_buffer") if self.momentum > 0.0 else self._empty
            mask, factors, has_mask, has_factors = self._per_parameter_arguments()
            kernels.rmsprop_step(
                params, grads, v, velocity, mask, factors, has_mask, has_factors,
                self.weight_decay, lr, self.alpha, self.epsilon, self.momentum,
            )  # fmt: skip
            return
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
        params -= self._scale_update(tmp)


#: Optimizer name -> class: the choices of the estimators' ``optimizer``
#: parameter. The estimators build the chosen class with the constructor
#: arguments it names among those they offer (``weight_decay``,
#: ``decay_mask``, ``lr_factors``, ``beta_1``, ``beta_2``, ``epsilon``, ``momentum``,
#: ``nesterov``, ``beta_1_warmup_steps``); the others keep the class's
#: defaults. Adding an entry makes a new optimizer available to them.
OPTIMIZERS: dict[str, type[Optimizer]] = {"adamw": AdamW, "adam": Adam, "sgd": SGD, "rmsprop": RMSProp}
