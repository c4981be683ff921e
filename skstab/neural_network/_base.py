"""The shared base of StabilizedMLPClassifier and StabilizedMLPRegressor.

``fit`` runs four named steps, all undone if one fails (``_rollback``): prepare the data
(``_table_inputs`` and the input scaling), build the network, optimizer and schedule or resume them
(``_run.build_or_resume``), train (``_run.train_run``), and store the history in fitted attributes
(``_history``). The public classes (``_classifier.py``, ``_regressor.py``) only encode targets, pick the
loss and turn raw outputs into predictions.
"""

from abc import ABCMeta, abstractmethod
from functools import cache
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .. import nn, optim
from ..nn._sequential import INFER_CHUNK_ROWS
from ..preprocessing._quantiles import fit_quantile_scaling, quantile_scale
from ..preprocessing._scaling import fit_input_scaling, scale_inputs
from ..training._state import state_as_builtins, state_from_builtins
from ..training._threading import compute_threads
from ..utils._accelerator import ACCELERATORS, resolve_accelerator
from ..utils._doc_links import DocLinkMixin
from ..utils._inputs import check_finite_outputs, check_normal_range, check_range
from ..utils._persistence import _VersionedPickleMixin
from ..utils._validation import Interval, Options, RealNotInt, StrOptions, _check_sample_weight, registry_options
from ._builders import (
    NUMERICAL_EMBEDDINGS,
    dense_layers,
    product_shape,
    resolve_normalization,
)
from ._callbacks import CALLBACK_BASES, FitTasks
from ._data import TrainingData, resolve_dtype
from ._fit_report import report_fit, warn_past_horizon
from ._guards import warn_scale_disparity
from ._history import store_history
from ._presets import _ConfigMixin
from ._rollback import unchanged_on_failure
from ._run import build_or_resume, train_run
from ._table_inputs import input_names, prediction_inputs, training_inputs

#: Rows scaled and predicted at a time.
SCALE_CHUNK_ROWS = 65_536


@cache
def _param_names(cls):
    return tuple(BaseEstimator._get_param_names.__func__(cls))


class _BaseStabilizedMLP(
    DocLinkMixin, _ConfigMixin, _VersionedPickleMixin, *CALLBACK_BASES, BaseEstimator, metaclass=ABCMeta
):
    """Shared fitting logic; use StabilizedMLPClassifier or StabilizedMLPRegressor."""

    #: Whether ``validate_data`` should convert ``y`` to numbers (regression).
    _numeric_targets = False

    _values_before_parameters_existed = {"n_ensemble": 1}

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [registry_options(nn.ACTIVATIONS)],
        "input_scaling": [StrOptions({"robust", "standard", "quantile"}), None],
        "optimizer": [registry_options(optim.OPTIMIZERS)],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "clip_norm": [Interval(Real, 0, None, closed="neither"), None],
        "lr_schedule": [registry_options(optim.SCHEDULES)],
        "min_learning_rate": [Interval(Real, 0, None, closed="left")],
        "warmup": [Interval(Integral, 0, None, closed="left"), Interval(RealNotInt, 0, 1, closed="left")],
        "decay_start_epoch": [Interval(Real, 0, None, closed="left")],
        "beta_1_warmup": ["boolean"],
        "normalization": [registry_options(nn.NORMALIZATIONS, "auto"), None],
        "norm_momentum": [Interval(Real, 0, 1, closed="left")],
        "norm_epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_groups": [Interval(Integral, 1, None, closed="left")],
        "batchnorm_statistics": [StrOptions({"population", "running"})],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "early_stopping": ["boolean", StrOptions({"auto"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf}), None],
        "compute_dtype": [StrOptions({"auto", "float32", "float64"})],
        "gradient_accumulation_steps": [Interval(Integral, 1, None, closed="left")],
        "partial_fit_horizon": [Interval(Integral, 1, None, closed="left"), None],
        "dropout": [StrOptions({"auto"}), Interval(Real, 0, 1, closed="left")],
        "dropout_schedule": [registry_options(nn.DROPOUT_SCHEDULES)],
        "numerical_embedding": [registry_options(NUMERICAL_EMBEDDINGS), StrOptions({"auto"}), None],
        "feature_scale": ["boolean"],
        "n_ensemble": [Interval(Integral, 1, None, closed="left")],
        "accelerator": [StrOptions(set(ACCELERATORS))],
        "categorical_features": ["array-like", StrOptions({"from_dtype"}), None],
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
        partial_fit_horizon=None,
        dropout="auto",
        dropout_schedule="constant",
        numerical_embedding="auto",
        feature_scale=False,
        n_ensemble=4,
        accelerator="auto",
        categorical_features="from_dtype",
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.input_scaling = input_scaling
        self.optimizer = optimizer
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.weight_decay = weight_decay
        self.clip_norm = clip_norm
        self.lr_schedule = lr_schedule
        self.min_learning_rate = min_learning_rate
        self.warmup = warmup
        self.decay_start_epoch = decay_start_epoch
        self.beta_1_warmup = beta_1_warmup
        self.normalization = normalization
        self.norm_momentum = norm_momentum
        self.norm_epsilon = norm_epsilon
        self.n_groups = n_groups
        self.batchnorm_statistics = batchnorm_statistics
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.compute_dtype = compute_dtype
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.partial_fit_horizon = partial_fit_horizon
        self.dropout = dropout
        self.dropout_schedule = dropout_schedule
        self.numerical_embedding = numerical_embedding
        self.feature_scale = feature_scale
        self.n_ensemble = n_ensemble
        self.accelerator = accelerator
        self.categorical_features = categorical_features

    @classmethod
    def _get_param_names(cls):
        # scikit-learn reads __init__'s signature on every get_params (three times per partial_fit); a class's
        # signature does not change.
        return list(_param_names(cls))

    # -- persistence -------------------------------------------------------------

    def __getstate__(self):
        return state_as_builtins(super().__getstate__())

    def __setstate__(self, state):
        super().__setstate__(state_from_builtins(state))

    # -- hooks for the subclasses ------------------------------------------------

    @abstractmethod
    def _encode_targets(self, y, sample_weight, first_pass, classes=None, incremental=False):
        """Return ``(Y, stratify)``: 2-D float targets, and labels to stratify on or None.

        ``classes`` are those declared to ``partial_fit``; ``incremental`` says the call is ``partial_fit``.
        """

    @abstractmethod
    def _make_loss(self, accelerator="numpy"):
        """The fused output link and loss for the encoded targets, computing with ``accelerator``."""

    @abstractmethod
    def _score_outputs(self, Z, Y, sample_weight):
        """Validation score (higher is better) of raw outputs ``Z`` against encoded ``Y``."""

    def _init_output_bias(self, Y, sample_weight):
        """Starting output bias: the weighted mean target, so training starts centred."""
        return np.average(Y, axis=0, weights=sample_weight)

    def _init_output_layer(self, layer, Y, sample_weight, incremental):
        """Set up the freshly built output ``layer``: its bias starts at :meth:`_init_output_bias` of ``Y``.

        ``incremental`` says that ``Y`` is a stream's first chunk rather than the whole training set.
        """
        layer.params["b"][...] = self._init_output_bias(Y, sample_weight)

    # -- fitting -------------------------------------------------------------------

    def _fit(self, X, y, sample_weight=None, *, incremental=False, classes=None):
        """Fit, or leave the estimator exactly as it was if anything fails."""
        # Set up before the snapshot, so that a failed fit keeps what the callbacks' teardown needs.
        tasks = FitTasks(self, X, y, sample_weight, incremental=incremental)
        with unchanged_on_failure(self):
            first_pass = not hasattr(self, "net_") or not (self.warm_start or incremental)
            data = self._prepare_data(X, y, sample_weight, first_pass, incremental, classes)
            run = build_or_resume(self, data, first_pass, incremental)
            epoch_offset = 0 if first_pass else len(self.loss_curve_)
            result = train_run(self, run, data, incremental, tasks, epoch_offset)
            store_history(self, run, result, first_pass, incremental)
            report_fit(self, result, incremental)
            if incremental:
                warn_past_horizon(self, run, result)
            self.net_.release_workspace()
            tasks.end()
        return self

    def _prepare_data(self, X, y, sample_weight, first_pass, incremental, classes):
        """Validate and encode the training data, in the dtype the network computes in."""
        X, y = training_inputs(self, X, y, first_pass, incremental)
        dtype = resolve_dtype(self.compute_dtype, X) if first_pass else self.net_.params.dtype
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=dtype, ensure_non_negative=True)
        Y, stratify = self._encode_targets(y, sample_weight, first_pass, classes, incremental)
        sample_weight = self._apply_class_weight(y, sample_weight)
        if first_pass:
            self.input_center_, self.input_scale_ = fit_input_scaling(self.input_scaling, X, sample_weight)
            self.input_transformer_ = fit_quantile_scaling(self.input_scaling, X, self.random_state)
            if self.input_center_ is None and self.input_transformer_ is None:
                check_normal_range(X, dtype, input_names(self))
                warn_scale_disparity(X, input_names(self))
        X = self._scale_inputs(X, dtype)
        return TrainingData(X, Y.astype(X.dtype, copy=False), sample_weight, stratify)

    def _scale_inputs(self, X, dtype):
        """``X`` as the network takes it: scaled as fitted, row-major, in the compute ``dtype``."""
        # Models fitted before quantile scaling existed have no transformer.
        transformer = getattr(self, "input_transformer_", None)
        if transformer is not None:
            return quantile_scale(X, transformer, dtype=dtype)
        if self.input_center_ is None:
            check_range(X, dtype, input_names(self), self.compute_dtype)
        clip = self.input_scaling == "robust"
        return scale_inputs(X, self.input_center_, self.input_scale_, clip=clip, dtype=dtype)

    def _check_params(self, params, n_train):
        """Cross-parameter rules; returns the normalization the network gets."""
        if self.min_learning_rate > self.learning_rate_init:
            raise ValueError(
                f"min_learning_rate={self.min_learning_rate} exceeds "
                f"learning_rate_init={self.learning_rate_init}; lower min_learning_rate."
            )
        if self.accelerator == "numba":  # without numba it fails here, before any work
            resolve_accelerator(self.accelerator)
        return resolve_normalization(params, n_train)

    def _apply_class_weight(self, y, sample_weight):
        return sample_weight

    # -- storing and reporting ---------------------------------------------------------

    # -- inference -----------------------------------------------------------------

    def __sklearn_is_fitted__(self):
        # scikit-learn's default scans every attribute's name (7 us of a 160 us one-row prediction); a fit
        # that fails leaves no network behind (see _rollback).
        return hasattr(self, "net_")

    def _raw_outputs(self, X):
        check_is_fitted(self)
        X = prediction_inputs(self, X)
        dtype = self.net_.params.dtype
        rows = min(X.shape[0], INFER_CHUNK_ROWS)  # the network's products take this many rows at a time
        with np.errstate(over="ignore", invalid="ignore"), compute_threads(*product_shape(self.net_, rows)):
            # Scaled in chunks, so prediction never holds a scaled copy of all of X.
            Z = np.concatenate(
                [
                    self.net_.infer(self._scale_inputs(X[start : start + SCALE_CHUNK_ROWS], dtype))
                    for start in range(0, X.shape[0], SCALE_CHUNK_ROWS)
                ]
            )
        # Finite input, non-finite output: some activation overflowed the network's dtype.
        check_finite_outputs(Z, X, dtype, input_names(self))
        # The network computes in its own dtype; answer in the input's, as scikit-learn does.
        return Z.astype(X.dtype, copy=False)

    @property
    def coefs_(self):
        """Weight matrix of each dense layer, input to output (views)."""
        check_is_fitted(self)
        return [layer.params["W"] for layer in dense_layers(self.net_)]

    @property
    def intercepts_(self):
        """Bias vector of each dense layer, input to output (views)."""
        check_is_fitted(self)
        return [layer.params["b"] for layer in dense_layers(self.net_)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.allow_nan = True  # imputed, with a missing indicator (see categorical_features)
        return tags
