"""Losses on raw network outputs, each fused with its output link.

Every loss takes the network's last linear output ``Z`` and targets ``Y`` and
returns the weighted mean loss together with its gradient with respect to
``Z``. Fusing the link (softmax, sigmoid) into the loss keeps both finite for
any logits. Weighted means divide by the sum of the weights, so integer weights
act exactly like repeated rows. When ``Z`` stacks the outputs of the members
of an ensemble (``m`` blocks of ``len(Y)`` rows, see
:class:`~skstab.nn.BatchEnsembleDense`), every block is scored against ``Y``
and the loss is the mean of the members' losses.
"""

from abc import ABC, abstractmethod

import numpy as np

from ..utils._accelerator import AcceleratedMixin, check_accelerator, fusable
from ..utils._checks import check_real
from . import _functional as F


def _row_weights(sample_weight, n, dtype):
    """Per-row factors ``w / sum(w)`` as a column, or ``1/n`` without weights."""
    if sample_weight is None:
        return None, 1.0 / n
    total = sample_weight.sum()
    if not total > 0:
        raise ValueError(f"The sample weights sum to {total}; a weighted mean loss needs a positive total weight.")
    return (sample_weight / total).astype(dtype, copy=False)[:, None], None


def _repeat_for_members(n_rows, Y, sample_weight):
    """``Y`` and the weights repeated for each ensemble member stacked in ``n_rows`` output rows."""
    n_members, remainder = divmod(n_rows, Y.shape[0])
    if remainder:
        raise ValueError(f"Z has {n_rows} rows, which is not a multiple of the {Y.shape[0]} rows of Y.")
    Y = np.tile(Y, (n_members, 1))
    return Y, None if sample_weight is None else np.tile(sample_weight, n_members)


class _SmoothedTargets:
    """Label smoothing: targets pulled towards the uniform distribution over ``_n_choices`` outcomes."""

    def __init__(self, label_smoothing: float = 0.0, *, accelerator: str = "numpy"):
        super().__init__(accelerator=accelerator)
        self.label_smoothing = check_real("label_smoothing", label_smoothing, low=0.0, high=1.0, high_open=True)

    def _smooth(self, Y, n_choices):
        eps = self.label_smoothing
        if eps == 0.0:
            return Y
        smoothed = Y * (1.0 - eps)
        smoothed += eps / n_choices
        return smoothed

    def __repr__(self):
        args = f"label_smoothing={self.label_smoothing!r}" if self.label_smoothing else ""
        return f"{type(self).__name__}({args})"


class _Loss(AcceleratedMixin, ABC):
    """A loss: ``loss(Z, Y, sample_weight) -> (value, dZ)`` plus its output link.

    ``accelerator="numba"`` (or ``"auto"`` with numba installed) computes the
    loss and its gradient in one compiled pass over ``Z`` (float32 or float64,
    C-contiguous, one row of ``Y`` per row of ``Z``); ``"numpy"`` is the
    reference.
    """

    out_activation = "identity"
    #: Name of the kernel of :mod:`skstab.nn._fused` computing this loss and its gradient.
    _fused_kernel = None

    def __init__(self, *, accelerator: str = "numpy"):
        self.accelerator = check_accelerator(accelerator)

    def link(self, Z: np.ndarray) -> np.ndarray:
        """Map raw outputs to predictions (identity, probabilities...)."""
        return Z

    @abstractmethod
    def _per_row(self, Z, Y):
        """Unweighted loss of each row, shape (n_samples,), and its gradient (a new array)."""

    def __call__(
        self, Z: np.ndarray, Y: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> tuple[float, np.ndarray]:
        """Weighted mean loss and its gradient with respect to ``Z``.

        Parameters
        ----------
        Z : ndarray of shape (n_samples, n_outputs)
            Raw network outputs.
        Y : ndarray of shape (n_samples, n_outputs)
            Targets (one-hot or 0/1 indicators for the classification losses).
        sample_weight : ndarray of shape (n_samples,), default=None
            Non-negative row weights with a positive sum.

        Returns
        -------
        loss : float
        dZ : ndarray of shape (n_samples, n_outputs)
        """
        if Z.shape[0] != Y.shape[0]:
            Y, sample_weight = _repeat_for_members(Z.shape[0], Y, sample_weight)
        weights, uniform = _row_weights(sample_weight, Z.shape[0], Z.dtype)
        if self._uses_numba() and fusable(Z, Y):
            from . import _fused

            dZ = np.empty_like(Z)
            row_weights = Z[:0, 0] if weights is None else np.ascontiguousarray(weights[:, 0])
            smoothing = getattr(self, "label_smoothing", 0.0)
            kernel = getattr(_fused, self._fused_kernel)
            loss = kernel(Z, Y, row_weights, weights is not None, uniform or 0.0, smoothing, dZ)
            return float(loss), dZ
        per_row, dZ = self._per_row(Z, Y)
        if weights is None:
            loss = float(per_row.sum(dtype=np.float64)) * uniform
            dZ *= uniform
        else:
            loss = float(np.dot(weights[:, 0].astype(np.float64), per_row.astype(np.float64)))
            dZ *= weights
        return loss, dZ

    def __repr__(self):
        return f"{type(self).__name__}()"


class SquaredError(_Loss):
    """Half squared error summed over outputs: ``1/2 ||z - y||^2`` per row.

    Parameters
    ----------
    accelerator : {"numpy", "numba", "auto"}, default="numpy"
        ``"numba"`` computes the loss and its gradient in one compiled pass;
        ``"auto"`` when numba is installed.

    Examples
    --------
    >>> import numpy as np
    >>> from skstab.nn import SquaredError
    >>> loss, grad = SquaredError()(np.array([[1.0], [3.0]]), np.array([[0.0], [0.0]]))
    >>> loss, grad.ravel()
    (2.5, array([0.5, 1.5]))
    """

    _fused_kernel = "squared_error"

    def _per_row(self, Z, Y):
        D = Z - Y
        return 0.5 * np.einsum("ij,ij->i", D, D), D


class SoftmaxCrossEntropy(_SmoothedTargets, _Loss):
    """Multiclass log loss of ``softmax(z)`` against one-hot targets.

    Parameters
    ----------
    label_smoothing : float, default=0.0
        Share ``eps`` of the target mass spread uniformly over the ``K``
        classes: the loss is taken against ``y * (1 - eps) + eps / K``, which
        keeps the logits from growing without bound on separable data.
    accelerator : {"numpy", "numba", "auto"}, default="numpy"
        ``"numba"`` computes the loss and its gradient in one compiled pass;
        ``"auto"`` when numba is installed.

    Examples
    --------
    >>> import numpy as np
    >>> from skstab.nn import SoftmaxCrossEntropy
    >>> loss, grad = SoftmaxCrossEntropy()(np.zeros((1, 2)), np.array([[1.0, 0.0]]))
    >>> round(loss, 6), grad
    (0.693147, array([[-0.5,  0.5]]))
    """

    out_activation = "softmax"
    _fused_kernel = "softmax_cross_entropy"

    def link(self, Z: np.ndarray) -> np.ndarray:
        return F.softmax(Z)

    def log_link(self, Z: np.ndarray) -> np.ndarray:
        """``log(softmax(Z))`` without underflow to ``-inf``."""
        return F.log_softmax(Z)

    def _per_row(self, Z, Y):
        Y = self._smooth(Y, Y.shape[1])
        # One pass of exponentials serves both: with s = sum(exp(z - max)),
        # loss = log(s) * sum(y) - y . (z - max) and the gradient is softmax - y.
        shifted = Z - Z.max(axis=1, keepdims=True)
        P = np.exp(shifted)
        total = np.add.reduce(P, axis=1, keepdims=True)
        per_row = np.log(total[:, 0]) * np.add.reduce(Y, axis=1) - np.einsum("ij,ij->i", Y, shifted)
        P /= total
        P -= Y
        return per_row, P


class SigmoidCrossEntropy(_SmoothedTargets, _Loss):
    """Binary log loss of ``sigmoid(z)`` summed over outputs (binary or multilabel).

    Parameters
    ----------
    label_smoothing : float, default=0.0
        Share ``eps`` of each output's target spread over its two outcomes:
        the loss is taken against ``y * (1 - eps) + eps / 2``.
    accelerator : {"numpy", "numba", "auto"}, default="numpy"
        ``"numba"`` computes the loss and its gradient in one compiled pass;
        ``"auto"`` when numba is installed.

    Examples
    --------
    >>> import numpy as np
    >>> from skstab.nn import SigmoidCrossEntropy
    >>> loss, grad = SigmoidCrossEntropy()(np.zeros((1, 1)), np.array([[1.0]]))
    >>> round(loss, 6), grad
    (0.693147, array([[-0.5]]))
    """

    out_activation = "logistic"
    _fused_kernel = "sigmoid_cross_entropy"

    def link(self, Z: np.ndarray) -> np.ndarray:
        return F.sigmoid(Z)

    def log_link(self, Z: np.ndarray) -> np.ndarray:
        """``log(sigmoid(Z))`` without underflow to ``-inf``."""
        return F.log_sigmoid(Z)

    def _per_row(self, Z, Y):
        Y = self._smooth(Y, 2)
        # softplus(z) - y*z is -[y log s + (1-y) log(1-s)], finite for any z.
        per_row = np.add.reduce(np.logaddexp(0, Z) - Y * Z, axis=1)
        S = F.sigmoid(Z)
        S -= Y
        return per_row, S


LOSSES = {
    "squared_error": SquaredError,
    "softmax_cross_entropy": SoftmaxCrossEntropy,
    "sigmoid_cross_entropy": SigmoidCrossEntropy,
}
