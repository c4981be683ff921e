"""Fully connected layer."""

import numpy as np

from ..utils._checks import check_int
from ._base import Layer
from ._functional import dense_backward, dense_forward
from ._init import INITIALIZERS


class Dense(Layer):
    """Fully connected layer ``Y = X @ W + b``.

    Parameters
    ----------
    n_out : int
        Number of output units.
    init : {"he", "glorot"}, default="he"
        Weight initialization: He uniform suits ReLU-like activations, Glorot
        uniform suits tanh, logistic and linear ones. Biases start at zero.

    Attributes
    ----------
    params : dict
        ``"W"`` of shape (n_in, n_out) and ``"b"`` of shape (n_out,). Only
        ``"W"`` is subject to weight decay.

    Examples
    --------
    >>> import numpy as np
    >>> from skstab.nn import Dense
    >>> layer = Dense(2)
    >>> layer.build(3, np.random.default_rng(0))
    2
    >>> layer.forward(np.zeros((4, 3)), training=True)
    array([[0., 0.],
           [0., 0.],
           [0., 0.],
           [0., 0.]])
    """

    decayed = frozenset({"W"})
    absorbs_affine = True

    def __init__(self, n_out: int, *, init: str = "he"):
        super().__init__()
        if init not in INITIALIZERS:
            raise ValueError(f"Invalid init: {init!r} (expected one of {sorted(INITIALIZERS)})")
        self.n_out = check_int("n_out", n_out, low=1)
        self.init = init

    def _init_params(self, n_in, rng):
        if rng is None:
            raise ValueError("Dense.build needs a numpy.random.Generator to draw its weights.")
        return {"W": INITIALIZERS[self.init](n_in, self.n_out, rng), "b": np.zeros(self.n_out)}

    def _n_out(self, n_in):
        return self.n_out

    def forward(self, X: np.ndarray, *, training: bool) -> np.ndarray:
        W = self.params["W"]
        out = self._workspace("Y", (X.shape[0], self.n_out), W.dtype)
        self._cache = X
        return dense_forward(X, W, self.params["b"], out=out)

    def backward(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray | None:
        X = self._cache
        dX = self._workspace("dX", X.shape, dY.dtype) if need_input_grad else None
        return dense_backward(dY, X, self.params["W"], self.grads["W"], self.grads["b"], dX=dX)

    def infer(self, X: np.ndarray) -> np.ndarray:
        return dense_forward(X, self.params["W"], self.params["b"])

    def infer_folded(self, X: np.ndarray, scale: np.ndarray, shift: np.ndarray) -> np.ndarray:
        """Inference of this layer followed by ``Y * scale + shift``, as one affine map."""
        return dense_forward(X, self.params["W"] * scale, self.params["b"] * scale + shift)

    def __repr__(self):
        return f"Dense({self.n_out}, init={self.init!r})"
