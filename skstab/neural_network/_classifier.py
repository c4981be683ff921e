"""StabilizedMLPClassifier: binary, multiclass and multilabel classification."""

from numbers import Real

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.utils import column_or_1d
from sklearn.utils.multiclass import check_classification_targets, type_of_target

from .. import nn
from ..utils._validation import Interval, StrOptions, _check_sample_weight, _fit_context
from ._base import _BaseStabilizedMLP
from ._docstrings import SHARED_ATTRIBUTES, SHARED_PARAMETERS
from ._labels import check_same_classes, class_sample_weight, known_label_codes, sorted_labels


class StabilizedMLPClassifier(ClassifierMixin, _BaseStabilizedMLP):
    __doc__ = f"""Multi-layer perceptron classifier that trains stably by default.

    Each hidden layer is a dense layer, a normalization layer and an
    activation. Training uses AdamW with global gradient clipping, linear
    warmup and cosine decay; inference always uses frozen statistics, so a
    row's prediction does not depend on the other rows passed with it.

    Parameters
    ----------{SHARED_PARAMETERS}
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into ``sample_weight``.
    label_smoothing : float or "auto", default="auto"
        Train against smoothed targets: with ``eps = label_smoothing`` and
        ``K`` classes, ``y * (1 - eps) + eps / K`` for a softmax output, and
        ``y * (1 - eps) + eps / 2`` per logistic output (binary, multilabel).
        It keeps the logits from growing without bound once the training rows
        are separated, a regularizer RealMLP uses with 0.1; it changes
        ``loss_curve_`` and makes the predicted probabilities less extreme.
        ``"auto"`` is 0.1 for a call that trains on 1,000 rows or more (after
        any validation hold-out) and 0 below, where it lost on the
        development suite (docs/performance.rst, "Choosing the defaults");
        like ``batch_size="auto"``, it follows each call's rows.

    Attributes
    ----------
    classes_ : ndarray or list of ndarray
        Class labels (for multilabel targets, the label indices).{SHARED_ATTRIBUTES}

    See Also
    --------
    StabilizedMLPRegressor : The regressor.
    sklearn.neural_network.MLPClassifier : scikit-learn's MLP.
    skstab.FeatureAligner : Scale features on training data only.

    Notes
    -----
    Binary targets use one logistic output, multiclass targets a softmax over
    one output per class, multilabel indicator targets one logistic output per
    label. The output bias starts at the log class frequencies.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from skstab import FeatureAligner, StabilizedMLPClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = make_pipeline(FeatureAligner(), StabilizedMLPClassifier(random_state=0))
    >>> clf.fit(X, y).score(X, y) > 0.95
    True
    """

    _parameter_constraints = {
        **_BaseStabilizedMLP._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "label_smoothing": [Interval(Real, 0, 1, closed="left"), StrOptions({"auto"})],
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
        class_weight=None,
        label_smoothing="auto",
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
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to X and y.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Training data; a pandas or polars DataFrame may hold categorical
            columns and missing values (see ``categorical_features``).
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a 0/1 indicator matrix for multilabel targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights; integer weights act as repeated rows.

        Returns
        -------
        self : object
            The fitted classifier.
        """
        return self._fit(X, y, sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Run one epoch over X and y, keeping the optimizer state between calls.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Training data; a pandas or polars DataFrame may hold categorical
            columns and missing values (see ``categorical_features``).
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights.
        classes : array-like of shape (n_classes,), default=None
            Every class that any call will see. Required on the first call
            for single-label targets; later calls may omit it, and otherwise
            must pass the same classes.

        Returns
        -------
        self : object
            The updated classifier.
        """
        if classes is None and not hasattr(self, "classes_") and type_of_target(y) != "multilabel-indicator":
            raise ValueError("classes must be passed on the first call to partial_fit.")
        if classes is not None:
            classes = sorted_labels(classes, "classes")
            previous = getattr(self, "classes_", None)
            if previous is not None and not getattr(self, "_multilabel", False):
                if classes.shape != previous.shape or not np.all(classes == previous):
                    raise ValueError(
                        f"classes={classes.tolist()} differs from classes_={previous.tolist()} of the first "
                        "call to partial_fit; the classes cannot change between calls. Refit with fit, or "
                        "pass every class on the first call."
                    )
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _encode_targets(self, y, sample_weight, first_pass, classes=None, incremental=False):
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if incremental and not first_pass and not self._multilabel:
            codes = known_label_codes(self.classes_, y)
            if codes is not None:
                # Every label is one of classes_: nothing type_of_target checks can be wrong.
                return self._one_hot(codes), y
        try:
            target_type = type_of_target(y, input_name="y")
            # scikit-learn's errors for what is not a label, and its warning for about as many classes as rows,
            # which a later call's labels (checked against classes_) would only repeat.
            if first_pass or target_type not in ("binary", "multiclass", "multilabel-indicator"):
                check_classification_targets(y)
        except ValueError:
            if y.dtype == object:
                sorted_labels(y, "y")  # names a missing label or a mix of strings and numbers
            raise
        if target_type == "multilabel-indicator":
            if first_pass:
                self.classes_ = np.arange(y.shape[1])
                self._label_dtype = y.dtype
                self._multilabel = True
                self.n_outputs_ = y.shape[1]
            elif not self._multilabel or y.shape[1] != len(self.classes_):
                raise ValueError("The label layout differs from the one the model was fitted on.")
            return y.astype(np.float64), None
        if target_type not in ("binary", "multiclass"):
            raise ValueError(
                f"{type(self).__name__} supports binary, multiclass and multilabel-indicator "
                f"targets, not {target_type!r}."
            )
        if first_pass:
            self._multilabel = False
            self.classes_ = np.unique(y) if classes is None else sorted_labels(classes, "classes")
            self.n_outputs_ = 1 if len(self.classes_) == 2 else len(self.classes_)
        elif getattr(self, "_multilabel", False):
            raise ValueError("The model was fitted on multilabel targets; y is single-label.")
        elif not incremental:
            check_same_classes(self.classes_, y)
        unseen = np.setdiff1d(np.unique(y), self.classes_)
        if unseen.size:
            raise ValueError(
                f"y contains labels {unseen.tolist()} that are not in classes_ "
                f"{self.classes_.tolist()}; pass every class on the first call (classes=...) "
                "or refit."
            )
        return self._one_hot(np.searchsorted(self.classes_, y)), y

    def _one_hot(self, codes):
        """The network's targets for class indices ``codes``: one column for two classes, one per class else."""
        if len(self.classes_) == 2:
            return (codes == 1).astype(np.float64)[:, None]
        return np.eye(len(self.classes_))[codes]

    def _apply_class_weight(self, y, sample_weight):
        if self.class_weight is None:
            return sample_weight
        if self._multilabel:
            raise ValueError("class_weight is not supported for multilabel targets; use sample_weight.")
        return class_sample_weight(self.class_weight, y, sample_weight)

    def _make_loss(self, accelerator="numpy"):
        # "auto" is resolved by each fit or partial_fit call, for its training rows (build_or_resume).
        smoothing = getattr(self, "_label_smoothing", None)
        if smoothing is None:
            smoothing = 0.0 if self.label_smoothing == "auto" else self.label_smoothing
        if self._multilabel or len(self.classes_) == 2:
            return nn.SigmoidCrossEntropy(label_smoothing=smoothing, accelerator=accelerator)
        return nn.SoftmaxCrossEntropy(label_smoothing=smoothing, accelerator=accelerator)

    def _init_output_bias(self, Y, sample_weight):
        # A class absent from these rows (declared by partial_fit's classes=) gets the prior of one pseudo-row
        # per class, not a logit of -13.8 that later chunks must unlearn; a class seen once is above the floor.
        floor = 1.0 / (Y.shape[0] + Y.shape[1])
        prior = np.clip(np.average(Y, axis=0, weights=sample_weight), floor, 1 - floor)
        if self._make_loss().out_activation == "logistic":
            return np.log(prior) - np.log1p(-prior)
        return np.log(prior)

    def _score_outputs(self, Z, Y, sample_weight):
        # Encoded targets are outputs that decide for the right label.
        return accuracy_score(self._decide(2 * Y - 1), self._decide(Z), sample_weight=sample_weight)

    def _decide(self, Z):
        """Label indices (single-label) or 0/1 matrix (multilabel) from raw outputs."""
        if self._multilabel:
            return (Z > 0).astype(int)
        if len(self.classes_) == 2:
            return (Z[:, 0] > 0).astype(int)
        return Z.argmax(axis=1)

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Input data, with the columns of the training data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Predicted labels, of the same kind as the training labels.
        """
        decided = self._decide(self._raw_outputs(X))
        if self._multilabel:
            return decided.astype(self._label_dtype)
        return self.classes_[decided]

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Input data, with the columns of the training data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes) or (n_samples, n_labels)
            Class probabilities (rows sum to one), or per-label probabilities
            for multilabel targets. Binary targets give two columns.
        """
        Z = self._raw_outputs(X)
        loss = self._make_loss()
        if loss.out_activation == "softmax":
            return loss.link(Z)
        # Saturated sigmoids would report certainty (exactly 0 or 1); keep them inside (0, 1).
        tiny = np.finfo(Z.dtype).eps
        P = np.clip(loss.link(Z), tiny, 1 - tiny)
        if self._multilabel:
            return P
        return np.hstack([1 - P, P])

    def predict_log_proba(self, X):
        """Log of probability estimates, computed without underflow to ``-inf``.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Input data, with the columns of the training data.

        Returns
        -------
        log_proba : ndarray of the shape of :meth:`predict_proba`
        """
        Z = self._raw_outputs(X)
        loss = self._make_loss()
        if loss.out_activation == "softmax" or self._multilabel:
            return loss.log_link(Z)
        return np.hstack([loss.log_link(-Z), loss.log_link(Z)])

    def score(self, X, y, sample_weight=None):
        """Accuracy; see :meth:`sklearn.base.ClassifierMixin.score`."""
        labels = np.asarray(y)
        if labels.dtype == object:
            sorted_labels(labels, "y")  # names a missing label or a mix of strings and numbers
        if sample_weight is not None:  # the metric alone would take negative weights
            sample_weight = _check_sample_weight(sample_weight, labels, ensure_non_negative=True)
        return super().score(X, y, sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
