"""Elementwise activation layers and their registry."""

import numpy as np

from ..utils._checks import check_real
from . import _functional as F
from ._base import Layer


class _Elementwise(Layer):
    """An activation whose derivative is a function of its own output."""

    _fwd = staticmethod(F.identity_forward)
    _bwd = staticmethod(F.identity_backward)

    def forward(self, X: np.ndarray, *, training: bool) -> np.ndarray:
        A = self._fwd(X, out=self._workspace("A", X.shape, X.dtype))
        self._cache = A
        return A

    def backward(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray | None:
        if not need_input_grad:
            return None
        return self._bwd(dY, self._cache, out=self._workspace("dX", dY.shape, dY.dtype))

    def infer(self, X: np.ndarray) -> np.ndarray:
        return self._fwd(X)

    def infer_owned(self, X: np.ndarray) -> np.ndarray:
        return self._fwd(X, out=X)


class Identity(_Elementwise):
    """``f(z) = z``."""


class ReLU(_Elementwise):
    """``f(z) = max(z, 0)``."""

    _fwd = staticmethod(F.relu_forward)
    _bwd = staticmethod(F.relu_backward)


class Tanh(_Elementwise):
    """``f(z) = tanh(z)``."""

    _fwd = staticmethod(F.tanh_forward)
    _bwd = staticmethod(F.tanh_backward)


class Logistic(_Elementwise):
    """``f(z) = 1 / (1 + exp(-z))``, computed without overflow."""

    _fwd = staticmethod(F.logistic_forward)
    _bwd = staticmethod(F.logistic_backward)


class GELU(Layer):
    """Gaussian error linear unit, tanh approximation.

    ``f(z) = z/2 * (1 + tanh(sqrt(2/pi) * (z + 0.044715 z^3)))``; it is within
    about 1e-3 of the exact ``z * Phi(z)`` and needs no special functions.
    """

    def forward(self, X: np.ndarray, *, training: bool) -> np.ndarray:
        A, t = F.gelu_forward(X)
        self._cache = (X, t)
        return A

    def backward(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray | None:
        if not need_input_grad:
            return None
        X, t = self._cache
        return F.gelu_backward(dY, X, t)

    def infer(self, X: np.ndarray) -> np.ndarray:
        return F.gelu_forward(X)[0]


class PReLU(Layer):
    """Parametric ReLU: ``f(z) = z`` for ``z > 0``, else ``a * z``, with a learned slope ``a`` per unit.

    The slopes start at ``init_slope``; the default 0 starts as a ReLU and
    lets training open the negative side where it helps. This is RealMLP's
    parametric activation ``z + (relu(z) - z) * alpha`` (with ``a = 1 -
    alpha``) and, like there, the slopes learn at a tenth of the learning
    rate and are not weight-decayed.

    Parameters
    ----------
    init_slope : float, default=0.0
        Initial slope of the negative side.
    lr_factor : float, default=0.1
        Learning-rate factor of the slopes (see :attr:`Layer.lr_factors`).

    Examples
    --------
    >>> import numpy as np
    >>> from skstab.nn import PReLU
    >>> layer = PReLU(init_slope=0.25)
    >>> layer.build(2)
    2
    >>> layer.forward(np.array([[-2.0, 3.0]]), training=True)
    array([[-0.5,  3. ]])
    """

    def __init__(self, *, init_slope: float = 0.0, lr_factor: float = 0.1):
        super().__init__()
        self.init_slope = check_real("init_slope", init_slope)
        self.lr_factor = check_real("lr_factor", lr_factor, low=0.0)
        self.lr_factors = {"a": self.lr_factor}

    def _init_params(self, n_in, rng):
        return {"a": np.full(n_in, self.init_slope)}

    def forward(self, X: np.ndarray, *, training: bool) -> np.ndarray:
        A, positive = F.prelu_forward(
            X,
            self.params["a"],
            out=self._workspace("A", X.shape, X.dtype),
            positive=self._workspace("positive", X.shape, np.bool_),
        )
        self._cache = (X, positive)
        return A

    def backward(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray | None:
        X, positive = self._cache
        dX = F.prelu_backward(
            dY, X, self.params["a"], positive, self.grads["a"], out=self._workspace("dX", dY.shape, dY.dtype)
        )
        return dX if need_input_grad else None

    def infer(self, X: np.ndarray) -> np.ndarray:
        return F.prelu_forward(X, self.params["a"])[0]

    def __repr__(self):
        return f"PReLU(init_slope={self.init_slope!r}, lr_factor={self.lr_factor!r})"


ACTIVATIONS = {
    "identity": Identity,
    "logistic": Logistic,
    "tanh": Tanh,
    "relu": ReLU,
    "gelu": GELU,
    "prelu": PReLU,
}
