"""StabilizedMLPRegressor: single- and multi-output regression."""

import warnings

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import r2_score

from . import nn
from ._docstrings import SHARED_ATTRIBUTES, SHARED_PARAMETERS
from ._mlp import _BaseStabilizedMLP
from .utils._validation import _check_sample_weight, _fit_context


class StabilizedMLPRegressor(RegressorMixin, _BaseStabilizedMLP):
    __doc__ = f"""Multi-layer perceptron regressor that trains stably by default.

    Each hidden layer is a dense layer, a normalization layer and an
    activation; the output is linear and the loss is half the squared error.
    Training uses AdamW with global gradient clipping, linear warmup and
    cosine decay; inference always uses frozen statistics.

    Parameters
    ----------{SHARED_PARAMETERS}

    Attributes
    ----------{SHARED_ATTRIBUTES}

    See Also
    --------
    StabilizedMLPClassifier : The classifier.
    sklearn.neural_network.MLPRegressor : scikit-learn's MLP.
    sklearn.compose.TransformedTargetRegressor : Standardize a target with a large scale.

    Notes
    -----
    The loss is ``sum_k (y_k - f_k(x))^2 / 2`` per row, averaged over rows
    with the sample weights; for one output it equals scikit-learn's. The
    output bias starts at the weighted mean target, so training starts
    centred even when the target is far from zero; a target with a large
    spread still learns faster when standardized.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from skstab import StabilizedMLPRegressor
    >>> X, y = make_regression(n_samples=200, n_features=5, noise=1.0, random_state=0)
    >>> reg = StabilizedMLPRegressor(max_iter=100, learning_rate_init=1e-2, random_state=0)
    >>> reg.fit(X, y / y.std()).score(X, y / y.std()) > 0.9
    True
    """

    _numeric_targets = True

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to X and y.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights; integer weights act as repeated rows.

        Returns
        -------
        self : object
            The fitted regressor.
        """
        return self._fit(X, y, sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Run one epoch over X and y, keeping the optimizer state between calls.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights.

        Returns
        -------
        self : object
            The updated regressor.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def _encode_targets(self, y, first_pass, classes=None):
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        if Y.dtype.kind not in "biuf":
            raise ValueError(
                f"y holds {Y.dtype} values such as {Y.flat[0]!r}; a regressor needs numeric targets "
                "(for class labels use StabilizedMLPClassifier)."
            )
        if not np.isfinite(Y).all():  # object targets holding None become NaN on the way here
            row = int(np.flatnonzero(~np.isfinite(Y).all(axis=1))[0])
            raise ValueError(f"y has a missing (None or NaN) or infinite target in row {row}; drop or fill those rows.")
        if first_pass:
            self.n_outputs_ = Y.shape[1]
            self._y_ndim = y.ndim
        elif Y.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {Y.shape[1]} outputs, but the model was fitted on {self.n_outputs_}.")
        return Y.astype(np.float64, copy=False), None

    def _make_loss(self):
        return nn.SquaredError()

    def _score_outputs(self, Z, Y, sample_weight):
        return r2_score(Y, Z, sample_weight=sample_weight)

    def predict(self, X):
        """Predict targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions, shaped like the training targets.
        """
        Z = self._raw_outputs(X)
        return Z.ravel() if self._y_ndim == 1 else Z

    def score(self, X, y, sample_weight=None):
        """R^2 of the predictions; see :meth:`sklearn.base.RegressorMixin.score`.

        Raises a ValueError where R^2 is not a finite number (fewer than two
        samples, or squared residuals beyond float64) instead of returning
        NaN or -inf.
        """
        if sample_weight is not None:  # the metric alone would take negative weights
            sample_weight = _check_sample_weight(sample_weight, np.asarray(y), ensure_non_negative=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UndefinedMetricWarning)
            score = super().score(X, y, sample_weight)
        if not np.isfinite(score):
            raise ValueError(
                f"R^2 is not defined here (got {score}): it needs at least two samples of y that differ, "
                "and squared residuals within float64's range."
            )
        return score

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
