"""Elementwise activation layers and their registry."""

import numpy as np

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


ACTIVATIONS = {
    "identity": Identity,
    "logistic": Logistic,
    "tanh": Tanh,
    "relu": ReLU,
    "gelu": GELU,
}
