"""Layers in front of the network: periodic embeddings of numerical features and a learned per-feature scale."""

import numpy as np

from ..utils._checks import check_int, check_real
from ._base import Layer
from ._functional import periodic_backward, periodic_forward


def _dense(X):
    """A sparse batch as a dense array (these layers mix every value of a row); arrays unchanged."""
    return X if isinstance(X, np.ndarray) else X.toarray()


class PeriodicEmbedding(Layer):
    r"""Periodic embedding of each numerical feature, with the raw value kept beside it.

    Each feature :math:`x_j` becomes :math:`1 + m` values: :math:`x_j` itself
    and :math:`\cos(2\pi\, w_j x_j + b_j)\, L_j + c_j`, where :math:`w_j, b_j`
    hold ``n_frequencies`` learned frequencies and phases and :math:`L_j`
    (``n_frequencies`` by ``embedding_dim``), :math:`c_j` are a learned linear
    map of that feature alone. This is RealMLP's "PBLD" embedding (periodic,
    bias, linear, densenet; Holzmüller et al., 2024), after the periodic
    embeddings of Gorishniy et al. (2022): the following dense layer can then
    pick up sharp or oscillating effects of one feature that a ReLU network
    of raw values needs many units for.

    Parameters
    ----------
    n_frequencies : int, default=16
        Frequencies per feature (``k``).
    sigma : float, default=0.1
        Standard deviation of the initial frequencies, drawn from
        :math:`N(0, \sigma^2)`; small values start with smooth functions of
        features scaled to a few units. Phases start uniform on
        :math:`[-\pi, \pi]`, the linear maps uniform on
        :math:`\pm 1/\sqrt{k}` (PyTorch's default for a linear layer).
    embedding_dim : int, default=3
        Learned values per feature (``m``); with the raw value each feature
        gives ``embedding_dim + 1`` outputs.
    lr_factor : float, default=0.1
        Learning-rate factor of every parameter of the embedding (see
        :attr:`Layer.lr_factors`); RealMLP's value. Its parameters are not
        weight-decayed.

    Attributes
    ----------
    params : dict
        ``"w"`` and ``"b"`` of shape (n_features, n_frequencies), ``"L"`` of
        shape (n_features, n_frequencies, embedding_dim) and ``"c"`` of shape
        (n_features, embedding_dim).

    Notes
    -----
    The output of a row is laid out feature by feature: ``[x_1, e_11, ...,
    e_1m, x_2, e_21, ...]``, of width ``n_features * (embedding_dim + 1)``.
    Sparse input is densified batch by batch.

    Examples
    --------
    >>> import numpy as np
    >>> from skstab.nn import PeriodicEmbedding
    >>> layer = PeriodicEmbedding(n_frequencies=4, embedding_dim=2)
    >>> layer.build(3, np.random.default_rng(0))
    9
    >>> Y = layer.forward(np.ones((5, 3)), training=True)
    >>> Y.shape, Y[0, ::3]
    ((5, 9), array([1., 1., 1.]))
    """

    def __init__(self, n_frequencies: int = 16, *, sigma: float = 0.1, embedding_dim: int = 3, lr_factor: float = 0.1):
        super().__init__()
        self.n_frequencies = check_int("n_frequencies", n_frequencies, low=1)
        self.sigma = check_real("sigma", sigma, low=0.0, low_open=True)
        self.embedding_dim = check_int("embedding_dim", embedding_dim, low=1)
        self.lr_factor = check_real("lr_factor", lr_factor, low=0.0)
        self.lr_factors = {"w": self.lr_factor, "b": self.lr_factor, "L": self.lr_factor, "c": self.lr_factor}

    def _init_params(self, n_in, rng):
        if rng is None:
            raise ValueError("PeriodicEmbedding.build needs a numpy.random.Generator to draw its parameters.")
        k, m = self.n_frequencies, self.embedding_dim
        bound = 1.0 / np.sqrt(k)
        return {
            "w": rng.normal(0.0, self.sigma, size=(n_in, k)),
            "b": rng.uniform(-np.pi, np.pi, size=(n_in, k)),
            "L": rng.uniform(-bound, bound, size=(n_in, k, m)),
            "c": rng.uniform(-bound, bound, size=(n_in, m)),
        }

    def _n_out(self, n_in):
        return n_in * (1 + self.embedding_dim)

    def forward(self, X: np.ndarray, *, training: bool) -> np.ndarray:
        X = _dense(X)
        p = self.params
        n, d = X.shape
        dtype = p["w"].dtype
        inner = (d, n, self.n_frequencies)
        Y, phase, cosine = periodic_forward(
            X,
            p["w"],
            p["b"],
            p["L"],
            p["c"],
            out=self._workspace("Y", (n, self._n_out(d)), dtype),
            phase=self._workspace("phase", inner, dtype),
            cosine=self._workspace("cosine", inner, dtype),
        )
        self._cache = (X, phase, cosine)
        return Y

    def backward(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray | None:
        X, phase, cosine = self._cache
        p, g = self.params, self.grads
        return periodic_backward(
            dY, X, p["w"], p["L"], phase, cosine, g["w"], g["b"], g["L"], g["c"], need_input_grad=need_input_grad
        )

    def infer(self, X: np.ndarray) -> np.ndarray:
        p = self.params
        return periodic_forward(_dense(X), p["w"], p["b"], p["L"], p["c"])[0]

    def __repr__(self):
        return (
            f"PeriodicEmbedding({self.n_frequencies}, sigma={self.sigma!r}, embedding_dim={self.embedding_dim}, "
            f"lr_factor={self.lr_factor!r})"
        )


class FeatureScale(Layer):
    """A learned scale per feature, ``Y = X * s``, starting at ``s = 1``.

    In front of the first dense layer it lets training reweigh whole features
    quickly, a soft feature selection (RealMLP's "front scale"). Its
    inference is a per-feature affine map, so the ONNX export handles it.

    Parameters
    ----------
    lr_factor : float, default=6.0
        Learning-rate factor of ``s`` (RealMLP's value): a scale starting at 1
        needs larger steps than the weights behind it. ``s`` is not
        weight-decayed.

    Examples
    --------
    >>> import numpy as np
    >>> from skstab.nn import FeatureScale
    >>> layer = FeatureScale()
    >>> layer.build(2)
    2
    >>> layer.forward(np.array([[1.0, -2.0]]), training=True)
    array([[ 1., -2.]])
    """

    def __init__(self, *, lr_factor: float = 6.0):
        super().__init__()
        self.lr_factor = check_real("lr_factor", lr_factor, low=0.0)
        self.lr_factors = {"s": self.lr_factor}

    def _init_params(self, n_in, rng):
        return {"s": np.ones(n_in)}

    def forward(self, X: np.ndarray, *, training: bool) -> np.ndarray:
        X = _dense(X)
        self._cache = X
        return np.multiply(X, self.params["s"], out=self._workspace("Y", X.shape, self.params["s"].dtype))

    def backward(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray | None:
        X = self._cache
        np.einsum("ij,ij->j", dY, X, out=self.grads["s"])
        if not need_input_grad:
            return None
        return np.multiply(dY, self.params["s"], out=self._workspace("dX", dY.shape, dY.dtype))

    def infer(self, X: np.ndarray) -> np.ndarray:
        return _dense(X) * self.params["s"]

    def inference_affine(self) -> tuple[np.ndarray, np.ndarray]:
        s = self.params["s"]
        return s, np.zeros_like(s)

    def __repr__(self):
        return f"FeatureScale(lr_factor={self.lr_factor!r})"
