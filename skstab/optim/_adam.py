r"""Adam and AdamW: bias-corrected moment estimates, with classic or decoupled weight decay."""

import math

import numpy as np

from ..utils._checks import check_int, check_real
from ._optimizer import Optimizer

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam with explicit bias correction and an optional :math:`\beta_1` warmup.

    Parameters
    ----------
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
    lr_factors : array-like of shape (n_params,), default=None
        Per-parameter multiplier of the learning rate (see
        :class:`~skstab.optim.Optimizer`); ``None`` for all ones.
    accelerator : {"numpy", "numba", "auto"}, default="numpy"
        ``"numba"`` runs the step as one compiled pass (see
        :class:`~skstab.optim.Optimizer`); ``"auto"`` when numba is installed.
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
    >>> opt = Adam()
    >>> opt.step(params, np.array([0.5, -0.25]), lr=0.1)
    >>> params  # the first step moves each parameter by lr
    array([ 0.9, -1.9])
    >>> opt.t
    1
    """

    _hyperparameter_names = (
        "beta_1",
        "beta_2",
        "epsilon",
        "weight_decay",
        "decay_mask",
        "beta_1_warmup_steps",
        "beta_1_initial",
        "lr_factors",
        "accelerator",
    )
    _buffer_names = ("m", "v")
    _scalar_state_names = ("beta_1_product", "beta_2_product")

    def __init__(
        self,
        *,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        weight_decay: float = 0.0,
        decay_mask=None,
        beta_1_warmup_steps: int = 0,
        beta_1_initial: float = 0.5,
        lr_factors=None,
        accelerator: str = "numpy",
    ):
        super().__init__(
            weight_decay=weight_decay, decay_mask=decay_mask, lr_factors=lr_factors, accelerator=accelerator
        )
        self.beta_1 = check_real("beta_1", beta_1, low=0.0, high=1.0, high_open=True)
        self.beta_2 = check_real("beta_2", beta_2, low=0.0, high=1.0, high_open=True)
        self.epsilon = check_real("epsilon", epsilon, low=0.0, low_open=True)
        self.beta_1_warmup_steps = check_int("beta_1_warmup_steps", beta_1_warmup_steps)
        self.beta_1_initial = check_real("beta_1_initial", beta_1_initial, low=0.0, high=1.0, high_open=True)
        self._beta_1_product = 1.0
        self._beta_2_product = 1.0

    def beta_1_at(self, t: int) -> float:
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

    #: Whether ``weight_decay`` shrinks the parameters directly (AdamW) instead of adding to the gradient.
    _decoupled_decay = False

    def _update(self, params, grads, lr):
        kernels = self._kernels(params, grads)
        if kernels is None:
            grads = self._apply_weight_decay(params, grads, lr)
        m, v = self._buffer("m"), self._buffer("v")
        beta_1, beta_2 = self.beta_1_at(self._t), self.beta_2
        self._beta_1_product *= beta_1
        self._beta_2_product *= beta_2
        if kernels is not None:
            root_c2 = math.sqrt(1.0 - self._beta_2_product)
            step_scale = lr * root_c2 / (1.0 - self._beta_1_product)
            decoupled = lr * self.weight_decay if self._decoupled_decay else 0.0
            l2 = 0.0 if self._decoupled_decay else self.weight_decay
            mask, factors = self._dense_per_parameter_arguments()
            kernels.adam_step(
                params, grads, m, v, mask, factors, beta_1, beta_2, self.epsilon * root_c2, step_scale, l2, decoupled
            )
            return
        tmp = self._scratch("tmp")

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
        params -= self._scale_update(tmp)


class AdamW(Adam):
    r"""Adam with decoupled weight decay.

    Parameters
    ----------
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
    lr_factors : array-like of shape (n_params,), default=None
        Per-parameter multiplier of the learning rate, applied to both the
        Adam step and the decoupled decay; ``None`` for all ones.
    accelerator : {"numpy", "numba", "auto"}, default="numpy"
        ``"numba"`` runs the step as one compiled pass (see
        :class:`~skstab.optim.Optimizer`); ``"auto"`` when numba is installed.
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
    >>> opt = AdamW(weight_decay=0.5, decay_mask=[1, 0])
    >>> opt.step(params, np.zeros(2), lr=0.1)  # a zero gradient still decays the weight
    >>> params
    array([0.95, 1.  ])
    """

    def __init__(
        self,
        *,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        weight_decay: float = 0.01,
        decay_mask=None,
        beta_1_warmup_steps: int = 0,
        beta_1_initial: float = 0.5,
        lr_factors=None,
        accelerator: str = "numpy",
    ):
        super().__init__(
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            weight_decay=weight_decay,
            decay_mask=decay_mask,
            beta_1_warmup_steps=beta_1_warmup_steps,
            beta_1_initial=beta_1_initial,
            lr_factors=lr_factors,
            accelerator=accelerator,
        )

    _decoupled_decay = True

    def _apply_weight_decay(self, params, grads, lr):
        rate = lr * self.weight_decay
        if rate == 0.0:
            return grads
        if self._decay_rates is not None:
            factor = self._scratch("tmp")
            np.multiply(self._decay_rates, -rate, out=factor)
            factor += 1.0
            params *= factor
        elif self._mask is None:
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
