"""Batch, layer and group normalization over one shared kernel.

The three layers differ only in which values share statistics: batch
normalization pools each feature over the rows of a batch (and keeps running
statistics for inference), layer normalization pools each row over its
features, group normalization pools each row over groups of features.
"""

from typing import NamedTuple

import numpy as np

from ..utils._accelerator import AcceleratedMixin, check_accelerator, fusable
from ..utils._checks import check_int, check_real
from ._activations import ReLU
from ._base import Layer
from ._functional import moments, normalize_backward, normalize_forward


class _FusedCache(NamedTuple):
    """What the fused backward pass of batch normalization needs."""

    X_hat: np.ndarray
    Y: np.ndarray
    relu: bool
    weights: np.ndarray | None
    inv_std: np.ndarray


class _Norm(Layer):
    """Normalize, then scale by ``gamma`` and shift by ``beta`` (both learned)."""

    #: axis of the grouped array that the statistics run over
    _axis = 1

    def __init__(self, n_features: int | None = None, *, epsilon: float = 1e-5):
        super().__init__()
        self.n_features = None if n_features is None else check_int("n_features", n_features, low=1)
        self.epsilon = check_real("epsilon", epsilon, low=0.0, low_open=True)

    def _init_params(self, n_in, rng):
        if self.n_features is not None and n_in != self.n_features:
            raise ValueError(f"{type(self).__name__} expects {self.n_features} features, got {n_in}.")
        return {"gamma": np.ones(n_in), "beta": np.zeros(n_in)}

    def _group(self, X):
        return X

    def _statistics(self, Xg, training, sample_weight, out):
        """Return ``(X_hat, inv_std, weights, frozen)`` for the grouped input.

        ``X_hat`` is written into ``out`` (a workspace, or ``None`` to allocate).
        """
        _, var, centred = moments(Xg, self._axis, out=out)
        X_hat, inv_std = normalize_forward(centred, var, self.epsilon, out=centred)
        return X_hat, inv_std, None, False

    def forward(self, X: np.ndarray, *, training: bool) -> np.ndarray:
        return self._forward(X, training, None)

    def _forward(self, X, training, sample_weight):
        X_hat = self._workspace("X_hat", X.shape, X.dtype)
        _, inv_std, weights, frozen = self._statistics(self._group(X), training, sample_weight, self._group(X_hat))
        self._cache = (X_hat, inv_std, weights, frozen)
        Y = np.multiply(X_hat, self.params["gamma"], out=self._workspace("Y", X.shape, X.dtype))
        Y += self.params["beta"]
        return Y

    def backward(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray | None:
        X_hat, inv_std, weights, frozen = self._cache
        gamma, dgamma, dbeta = self.params["gamma"], self.grads["gamma"], self.grads["beta"]
        scratch = self._workspace("scratch", dY.shape, dY.dtype)
        np.add.reduce(np.multiply(dY, X_hat, out=scratch), axis=0, out=dgamma)
        np.add.reduce(dY, axis=0, out=dbeta)
        if not need_input_grad:
            return None
        dX = self._workspace("dX", dY.shape, dY.dtype)
        if frozen:
            return np.multiply(dY, gamma * inv_std, out=dX)
        if self._axis == 0:
            # Statistics run over rows and gamma is constant along them, so the
            # kernel's two sums are gamma's and beta's gradients already.
            return normalize_backward(dY, X_hat, inv_std * gamma, 0, weights, sum_d=dbeta, sum_dx=dgamma, out=dX)
        dX_hat = np.multiply(dY, gamma, out=scratch)
        normalize_backward(self._group(dX_hat), self._group(X_hat), inv_std, self._axis, out=self._group(dX))
        return dX

    def infer(self, X: np.ndarray) -> np.ndarray:
        X_hat, _, _, _ = self._statistics(self._group(X), False, None, None)
        return X_hat.reshape(X.shape) * self.params["gamma"] + self.params["beta"]


class BatchNorm(AcceleratedMixin, _Norm):
    """Batch normalization with running statistics frozen at inference.

    In training, each feature is normalized with the (optionally weighted) mean
    and biased variance of the batch, and the running statistics move towards
    them: ``running = momentum * running + (1 - momentum) * batch``. In
    inference the running statistics are used and never change.

    Parameters
    ----------
    n_features : int, default=None
        Width of the input; inferred at build time when ``None``.
    momentum : float, default=0.9
        Weight of the old running value (``running = momentum * running + (1 - momentum) * batch``);
        PyTorch's ``momentum=0.1`` means the same update seen from the other
        side (PyTorch weighs the *new* batch by its momentum). Unlike PyTorch,
        which feeds the unbiased batch variance into ``running_var``, the
        running variance here averages the biased one.
    epsilon : float, default=1e-5
        Added to the variance before the square root.

    Attributes
    ----------
    params : dict
        ``"gamma"`` (ones) and ``"beta"`` (zeros), shape (n_features,).
    buffers : dict
        ``"running_mean"`` (zeros) and ``"running_var"`` (ones), shape (n_features,).

    Notes
    -----
    With sample weights ``w`` the batch statistics are weighted by
    ``p = w / sum(w)``, so a row of weight 2 counts as two copies of the row and
    a row of weight 0 does not count at all.

    Examples
    --------
    >>> import numpy as np
    >>> from skstab.nn import BatchNorm
    >>> bn = BatchNorm(momentum=0.9)
    >>> bn.build(1)
    1
    >>> bn.forward(np.array([[1.0], [3.0]]), training=True).ravel().round(3)
    array([-1.,  1.])
    >>> bn.buffers["running_mean"], bn.buffers["running_var"]
    (array([0.2]), array([1.]))
    """

    _axis = 0
    uses_sample_weight = True
    has_running_statistics = True

    def __init__(
        self,
        n_features: int | None = None,
        *,
        momentum: float = 0.9,
        epsilon: float = 1e-5,
        accelerator: str = "numpy",
    ):
        super().__init__(n_features, epsilon=epsilon)
        self.momentum = check_real("momentum", momentum, low=0.0, high=1.0, high_open=True)
        self.accelerator = check_accelerator(accelerator)

    def forward(self, X: np.ndarray, *, training: bool, sample_weight: np.ndarray | None = None) -> np.ndarray:
        """Normalize ``X``; in training, with the batch's statistics weighted by ``sample_weight``."""
        if training and self._uses_numba() and fusable(X):
            return self._forward_fused(X, sample_weight, relu=False)
        return self._forward(X, training, sample_weight)

    def fuses_with(self, follower: Layer, X: np.ndarray) -> bool:
        """Whether a training forward pass on ``X`` can run this layer and ``follower`` as one kernel."""
        return type(follower) is ReLU and self._uses_numba() and fusable(X)

    def forward_fused(self, X: np.ndarray, follower: Layer, *, sample_weight: np.ndarray | None = None) -> np.ndarray:
        """Training forward pass of this layer then ``follower`` (a ReLU, see :meth:`fuses_with`)."""
        A = self._forward_fused(X, sample_weight, relu=True)
        follower._cache = A
        return A

    def backward_fused(self, dA: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray | None:
        """Backward pass through the ReLU fused by :meth:`forward_fused`, then this layer."""
        return self.backward(dA, need_input_grad=need_input_grad)

    def _forward_fused(self, X, sample_weight, relu):
        from . import _fused

        weights = None
        if sample_weight is not None:
            weights = self._batch_weights(sample_weight, X.dtype)[:, 0]
        d = X.shape[1]
        X_hat = self._workspace("X_hat", X.shape, X.dtype)
        Y = self._workspace("Y", X.shape, X.dtype)
        mean, var, inv_std = (self._workspace(name, (d,), X.dtype) for name in ("mean", "var", "inv_std"))
        empty = X[:0, 0]
        _fused.batch_norm_forward(
            X, empty if weights is None else weights, weights is not None,
            self.params["gamma"], self.params["beta"], self.epsilon, relu, X_hat, Y, mean, var, inv_std,
        )  # fmt: skip
        self._update_running(mean, var)
        self._cache = _FusedCache(X_hat, Y, relu, weights, inv_std)
        return Y

    def backward(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray | None:
        cache = self._cache
        if not isinstance(cache, _FusedCache):
            return super().backward(dY, need_input_grad=need_input_grad)
        from . import _fused

        dY = np.ascontiguousarray(dY, dtype=cache.X_hat.dtype)
        dX = self._workspace("dX", dY.shape, dY.dtype)
        weights = cache.weights
        _fused.batch_norm_backward(
            dY, cache.X_hat, cache.Y, cache.relu, dY[:0, 0] if weights is None else weights, weights is not None,
            self.params["gamma"], cache.inv_std, self.grads["gamma"], self.grads["beta"], dX, need_input_grad,
        )  # fmt: skip
        return dX if need_input_grad else None

    def _batch_weights(self, sample_weight, dtype):
        """Row weights ``w / sum(w)`` as a column of ``dtype``; a ValueError if they sum to zero."""
        total = sample_weight.sum()
        if not total > 0:
            raise ValueError(
                f"The batch's sample weights sum to {total}; batch statistics need a positive total weight."
            )
        return (sample_weight / total).astype(dtype, copy=False)[:, None]

    def _update_running(self, mean, var):
        running_mean, running_var = self.buffers["running_mean"], self.buffers["running_var"]
        running_mean *= self.momentum
        running_mean += (1 - self.momentum) * mean
        running_var *= self.momentum
        running_var += (1 - self.momentum) * var

    def _init_buffers(self, n_in):
        return {"running_mean": np.zeros(n_in), "running_var": np.ones(n_in)}

    def _statistics(self, X, training, sample_weight, out):
        running_mean, running_var = self.buffers["running_mean"], self.buffers["running_var"]
        if not training:
            centred = np.subtract(X, running_mean, out=out)
            X_hat, inv_std = normalize_forward(centred, running_var, self.epsilon, out=centred)
            return X_hat, inv_std, None, True
        weights = None if sample_weight is None else self._batch_weights(sample_weight, X.dtype)
        mean, var, centred = moments(X, 0, weights, out=out)
        self._update_running(mean[0], var[0])
        X_hat, inv_std = normalize_forward(centred, var, self.epsilon, out=centred)
        return X_hat, inv_std, weights, False

    def set_running_statistics(self, mean: np.ndarray, var: np.ndarray) -> None:
        """Replace the running statistics, e.g. by the exact statistics of the training rows."""
        self.buffers["running_mean"][...] = mean
        self.buffers["running_var"][...] = var

    def inference_affine(self) -> tuple[np.ndarray, np.ndarray]:
        scale = self.params["gamma"] / np.sqrt(self.buffers["running_var"] + self.epsilon)
        return scale, self.params["beta"] - self.buffers["running_mean"] * scale

    def __repr__(self):
        return f"BatchNorm(momentum={self.momentum}, epsilon={self.epsilon})"


class LayerNorm(_Norm):
    """Layer normalization: each row is normalized over its own features.

    Statistics are per row, so training and inference compute the same thing
    and batch size does not matter, which makes it the choice for batches of
    fewer than 8 rows.

    Parameters
    ----------
    n_features : int, default=None
        Width of the input; inferred at build time when ``None``.
    epsilon : float, default=1e-5
        Added to the variance before the square root.

    Examples
    --------
    >>> import numpy as np
    >>> from skstab.nn import LayerNorm
    >>> ln = LayerNorm()
    >>> ln.build(2)
    2
    >>> ln.forward(np.array([[1.0, 3.0]]), training=False).round(3)
    array([[-1.,  1.]])
    """

    def __repr__(self):
        return f"LayerNorm(epsilon={self.epsilon})"


class GroupNorm(_Norm):
    """Group normalization: each row is normalized within groups of features.

    Parameters
    ----------
    n_features : int, default=None
        Width of the input; inferred at build time when ``None``. It must be a
        multiple of ``n_groups``.
    n_groups : int, default=1
        Number of groups. One group is layer normalization; ``n_features``
        groups normalize every unit of a row on its own.
    epsilon : float, default=1e-5
        Added to the variance before the square root.

    Examples
    --------
    >>> import numpy as np
    >>> from skstab.nn import GroupNorm
    >>> gn = GroupNorm(n_groups=2)
    >>> gn.build(4)
    4
    >>> gn.forward(np.array([[1.0, 3.0, 10.0, 30.0]]), training=False).round(3)
    array([[-1.,  1., -1.,  1.]])
    """

    _axis = 2

    def __init__(self, n_features: int | None = None, n_groups: int = 1, *, epsilon: float = 1e-5):
        super().__init__(n_features, epsilon=epsilon)
        self.n_groups = check_int("n_groups", n_groups, low=1)
        if self.n_features is not None and self.n_features % self.n_groups:
            raise ValueError(f"n_features={n_features} is not a multiple of n_groups={n_groups}.")

    def _init_params(self, n_in, rng):
        if n_in % self.n_groups:
            raise ValueError(f"GroupNorm input width {n_in} is not a multiple of n_groups={self.n_groups}.")
        return super()._init_params(n_in, rng)

    def _group(self, X):
        return X.reshape(X.shape[0], self.n_groups, -1)

    def __repr__(self):
        return f"GroupNorm(n_groups={self.n_groups}, epsilon={self.epsilon})"


#: Normalization name -> layer class: the choices of the estimators'
#: ``normalization`` parameter (besides ``"auto"`` and ``None``). The
#: estimators build the chosen class with the constructor arguments it names
#: among ``momentum``, ``epsilon`` and ``n_groups`` (their ``norm_momentum``,
#: ``norm_epsilon`` and ``n_groups``); adding an entry makes a new
#: normalization available to them.
NORMALIZATIONS: dict[str, type[Layer]] = {"batch": BatchNorm, "layer": LayerNorm, "group": GroupNorm}
