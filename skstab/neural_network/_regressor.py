"""StabilizedMLPRegressor: single- and multi-output regression."""

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score

from .. import nn
from ..preprocessing._scaling import _observed_range, standard_statistics
from ..utils._validation import _check_sample_weight, _fit_context
from ._base import _BaseStabilizedMLP
from ._docstrings import SHARED_ATTRIBUTES, SHARED_PARAMETERS


def _target_statistics(Y, sample_weight):
    """Mean and scale of each target; a constant target is scaled by its magnitude, not by 1.

    Updates move the standardized output by amounts of the order of the
    learning rate, so the scale sets how far a stream that started on a
    constant target (a one-row first chunk) can move per call: with a scale
    of 1 a target of 4 shifted to 1 needed over 300 calls, and one of 4000
    would need 1000 times as many.
    """
    mean, scale = standard_statistics(Y, sample_weight)
    low, high = _observed_range(Y, sample_weight)
    return mean, np.where((low == high) & (mean != 0), np.abs(mean), scale)


class StabilizedMLPRegressor(RegressorMixin, _BaseStabilizedMLP):
    __doc__ = f"""Multi-layer perceptron regressor that trains stably by default.

    Each hidden layer is a dense layer, a normalization layer and an
    activation; the output is linear and the loss is half the squared error.
    Training uses AdamW with global gradient clipping, linear warmup and
    cosine decay; inference always uses frozen statistics.

    Parameters
    ----------{SHARED_PARAMETERS}
    standardize_target : bool, default=True
        Train on targets standardized with the weighted mean and standard
        deviation of the training rows (of the first ``partial_fit`` call),
        and undo it at prediction, so a target in dollars trains like one in
        z-units; ``loss_curve_`` is then in standardized units.

    Attributes
    ----------{SHARED_ATTRIBUTES}
    target_mean_ : ndarray of shape (`n_outputs_`,) or None
        Training mean of each target; None when ``standardize_target=False``.
    target_scale_ : ndarray of shape (`n_outputs_`,) or None
        Training standard deviation of each target; for a target constant in
        the training data (or the first ``partial_fit`` chunk) its magnitude
        (1 if it is 0), so that a stream can later move away from it in steps
        proportional to its size; None when ``standardize_target=False``.

    See Also
    --------
    StabilizedMLPClassifier : The classifier.
    sklearn.neural_network.MLPRegressor : scikit-learn's MLP.
    sklearn.compose.TransformedTargetRegressor : Standardize a target with a large scale.

    Notes
    -----
    The loss is ``sum_k (y_k - f_k(x))^2 / 2`` per row of the standardized
    targets, averaged over rows with the sample weights. The output bias
    starts at the weighted mean target, so training starts centred.

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

    _parameter_constraints = {
        **_BaseStabilizedMLP._parameter_constraints,
        "standardize_target": ["boolean"],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        input_scaling="robust",
        optimizer="adamw",
        learning_rate_init=3e-3,
        batch_size="auto",
        max_iter=50,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        momentum=0.9,
        nesterovs_momentum=True,
        weight_decay=0.01,
        clip_norm=1.0,
        lr_schedule="cosine",
        min_learning_rate=1e-5,
        warmup=0.05,
        decay_start_epoch=0,
        beta_1_warmup=False,
        normalization="auto",
        norm_momentum=0.9,
        norm_epsilon=1e-5,
        n_groups=4,
        batchnorm_statistics="population",
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=None,
        compute_dtype="auto",
        gradient_accumulation_steps=1,
        dropout="auto",
        dropout_schedule="constant",
        numerical_embedding="auto",
        feature_scale=False,
        n_ensemble=4,
        accelerator="auto",
        partial_fit_horizon=None,
        categorical_features="from_dtype",
        standardize_target=True,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            input_scaling=input_scaling,
            optimizer=optimizer,
            learning_rate_init=learning_rate_init,
            batch_size=batch_size,
            max_iter=max_iter,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            weight_decay=weight_decay,
            clip_norm=clip_norm,
            lr_schedule=lr_schedule,
            min_learning_rate=min_learning_rate,
            warmup=warmup,
            decay_start_epoch=decay_start_epoch,
            beta_1_warmup=beta_1_warmup,
            normalization=normalization,
            norm_momentum=norm_momentum,
            norm_epsilon=norm_epsilon,
            n_groups=n_groups,
            batchnorm_statistics=batchnorm_statistics,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            compute_dtype=compute_dtype,
            gradient_accumulation_steps=gradient_accumulation_steps,
            dropout=dropout,
            dropout_schedule=dropout_schedule,
            numerical_embedding=numerical_embedding,
            feature_scale=feature_scale,
            n_ensemble=n_ensemble,
            accelerator=accelerator,
            partial_fit_horizon=partial_fit_horizon,
            categorical_features=categorical_features,
        )
        self.standardize_target = standardize_target

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to X and y.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Training data; a pandas or polars DataFrame may hold categorical
            columns and missing values (see ``categorical_features``).
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
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Training data; a pandas or polars DataFrame may hold categorical
            columns and missing values (see ``categorical_features``).
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

    def _encode_targets(self, y, sample_weight, first_pass, classes=None, incremental=False):
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        if Y.dtype.kind not in "biuf":
            raise ValueError(
                f"y holds {Y.dtype} values such as {Y.flat[0]!r}; a regressor needs numeric targets "
                "(for class labels use StabilizedMLPClassifier)."
            )
        if not np.isfinite(Y).all():  # object targets holding None become NaN on the way here
            row = int(np.flatnonzero(~np.isfinite(Y).all(axis=1))[0])
            raise ValueError(f"y has a missing (None or NaN) or infinite target in row {row}; drop or fill those rows.")
        Y = Y.astype(np.float64, copy=False)
        if first_pass:
            self.n_outputs_ = Y.shape[1]
            self._y_ndim = y.ndim
            self.target_mean_, self.target_scale_ = (
                _target_statistics(Y, sample_weight) if self.standardize_target else (None, None)
            )
        elif Y.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {Y.shape[1]} outputs, but the model was fitted on {self.n_outputs_}.")
        if self.target_mean_ is None:
            return Y, None
        return (Y - self.target_mean_) / self.target_scale_, None

    def _init_output_bias(self, Y, sample_weight):
        # A mean of equal values can miss them by rounding; a constant target is met exactly.
        constant, value = _constant_columns(Y, sample_weight)
        return np.where(constant, value, super()._init_output_bias(Y, sample_weight))

    def _init_output_layer(self, layer, Y, sample_weight, incremental):
        super()._init_output_layer(layer, Y, sample_weight, incremental)
        # With no weights into it, a constant target's output is its bias, which already predicts it exactly:
        # every gradient reaching it is zero, so the fit stays at the constant. A stream's first chunk having
        # one value says nothing about the chunks to come, so streams keep their drawn weights.
        if not incremental:
            layer.params["W"][:, _constant_columns(Y, sample_weight)[0]] = 0.0

    def _make_loss(self, accelerator="numpy"):
        return nn.SquaredError(accelerator=accelerator)

    def _score_outputs(self, Z, Y, sample_weight):
        return r2_score(Y, Z, sample_weight=sample_weight)

    def predict(self, X):
        """Predict targets.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Input data, with the columns of the training data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions, shaped like the training targets.
        """
        Z = self._raw_outputs(X)
        if self.target_mean_ is not None:
            Z = (Z * self.target_scale_ + self.target_mean_).astype(Z.dtype, copy=False)
        return Z.ravel() if self._y_ndim == 1 else Z

    def score(self, X, y, sample_weight=None):
        """R^2 of the predictions; see :meth:`sklearn.base.RegressorMixin.score`.

        As for scikit-learn's regressors, R^2 of fewer than two samples is NaN
        with an :class:`~sklearn.exceptions.UndefinedMetricWarning`. Negative
        sample weights raise a ValueError.
        """
        if sample_weight is not None:  # the metric alone would take negative weights
            sample_weight = _check_sample_weight(sample_weight, np.asarray(y), ensure_non_negative=True)
        return super().score(X, y, sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


def _constant_columns(Y, sample_weight):
    """Which columns of ``Y`` hold one value over the rows of positive weight, and each column's first such value."""
    counted = Y if sample_weight is None else Y[sample_weight > 0]
    return (counted == counted[0]).all(axis=0), counted[0]
