"""StabilizedMLPClassifier and StabilizedMLPRegressor.

The shared base validates input, builds the network, optimizer and schedule,
runs :func:`skstab._training.train` and stores its history. The two public
classes only encode targets, pick the loss and turn raw outputs into
predictions.
"""

import logging
import warnings
from abc import ABCMeta, abstractmethod
from contextlib import contextmanager
from dataclasses import replace
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from . import nn, optim
from ._guards import warn_persistent_clipping, warn_scale_disparity, warn_small_batch_norm
from ._training import MIN_BATCH_ROWS, Settings, TrainingState, Validation, train, updates_per_epoch
from .exceptions import DivergenceRecoveryWarning, TrainingInterruptedWarning
from .utils._validation import Interval, Options, RealNotInt, StrOptions, _check_sample_weight, _fit_context

OPTIMIZERS = ("adamw", "adam", "sgd", "rmsprop")
SCHEDULES = {
    "cosine": optim.CosineDecay,
    "linear": optim.LinearDecay,
    "step": optim.StepDecay,
    "constant": optim.ConstantLR,
}
NORMALIZATIONS = ("auto", "batch", "layer", "group")
#: Rows from which compute_dtype="auto" trains float64 input in float32.
FLOAT32_MIN_ROWS = 10_000
#: RMSProp's squared-gradient decay: the value its authors and PyTorch use.
RMSPROP_ALPHA = 0.99
#: Step decay divides the learning rate by 10 this many times over the decay phase.
STEP_DECAY_DROPS = 3


@contextmanager
def _verbosity(verbose):
    """Show skstab's progress messages on stderr while ``verbose`` is set.

    Messages always go to the ``"skstab"`` logger; a user who configured
    logging keeps full control, and one who did not still sees them.
    """
    log = logging.getLogger("skstab")
    if not verbose:
        yield
        return
    handler = None
    if not log.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
    level = log.level
    log.setLevel(logging.INFO)
    try:
        yield
    finally:
        log.setLevel(level)
        if handler is not None:
            log.removeHandler(handler)


class _BaseStabilizedMLP(BaseEstimator, metaclass=ABCMeta):
    """Shared fitting logic; use StabilizedMLPClassifier or StabilizedMLPRegressor."""

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(nn.ACTIVATIONS))],
        "optimizer": [StrOptions(set(OPTIMIZERS))],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "clip_norm": [Interval(Real, 0, None, closed="neither"), None],
        "lr_schedule": [StrOptions(set(SCHEDULES))],
        "min_learning_rate": [Interval(Real, 0, None, closed="left")],
        "warmup": [Interval(Integral, 0, None, closed="left"), Interval(RealNotInt, 0, 1, closed="left")],
        "decay_start_epoch": [Interval(Real, 0, None, closed="left")],
        "beta_1_warmup": ["boolean"],
        "normalization": [StrOptions(set(NORMALIZATIONS)), None],
        "norm_momentum": [Interval(Real, 0, 1, closed="left")],
        "norm_epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_groups": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
        "compute_dtype": [StrOptions({"auto", "float32", "float64"})],
        "gradient_accumulation_steps": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        optimizer="adamw",
        learning_rate_init=3e-3,
        batch_size=32,
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
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        compute_dtype="auto",
        gradient_accumulation_steps=1,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
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

    # -- hooks for the subclasses ------------------------------------------------

    @abstractmethod
    def _encode_targets(self, y, first_pass, classes=None):
        """Return ``(Y, stratify)``: 2-D float targets, and labels to stratify on or None."""

    @abstractmethod
    def _make_loss(self):
        """The fused output link and loss for the encoded targets."""

    @abstractmethod
    def _score_outputs(self, Z, Y, sample_weight):
        """Validation score (higher is better) of raw outputs ``Z`` against encoded ``Y``."""

    def _init_output_bias(self, Y, sample_weight):
        """Starting output bias: the weighted mean target, so training starts centred."""
        return np.average(Y, axis=0, weights=sample_weight)

    # -- fitting -------------------------------------------------------------------

    def _hidden_sizes(self):
        sizes = np.atleast_1d(np.asarray(self.hidden_layer_sizes))
        if sizes.ndim != 1 or not all(isinstance(s, Integral) and s > 0 for s in sizes.tolist()):
            raise ValueError(
                f"hidden_layer_sizes must be positive integers, got {self.hidden_layer_sizes!r}."
            )
        return [int(s) for s in sizes]

    def _check_params(self, n_train):
        """Cross-parameter rules; returns the resolved normalization kind."""
        sizes = self._hidden_sizes()
        if self.min_learning_rate > self.learning_rate_init:
            raise ValueError(
                f"min_learning_rate={self.min_learning_rate} exceeds "
                f"learning_rate_init={self.learning_rate_init}; lower min_learning_rate."
            )
        kind = self.normalization
        if kind == "auto":
            kind = "batch" if min(self.batch_size, n_train) >= MIN_BATCH_ROWS else "layer"
        if kind == "group":
            for width in sizes:
                if width % self.n_groups:
                    raise ValueError(
                        f"normalization='group' needs every hidden layer width to be a multiple of "
                        f"n_groups={self.n_groups}, but one layer has {width} units. Change "
                        "n_groups or hidden_layer_sizes."
                    )
        return sizes, kind

    def _build_network(self, n_features, n_outputs, sizes, kind, rng, dtype):
        init = "he" if self.activation in ("relu", "gelu") else "glorot"
        layers = []
        for width in sizes:
            layers.append(nn.Dense(width, init=init))
            if kind == "batch":
                layers.append(nn.BatchNorm(momentum=self.norm_momentum, epsilon=self.norm_epsilon))
            elif kind == "layer":
                layers.append(nn.LayerNorm(epsilon=self.norm_epsilon))
            elif kind == "group":
                layers.append(nn.GroupNorm(n_groups=self.n_groups, epsilon=self.norm_epsilon))
            layers.append(nn.ACTIVATIONS[self.activation]())
        layers.append(nn.Dense(n_outputs, init="glorot"))
        net = nn.Sequential(layers)
        net.build(n_features, rng, dtype=dtype)
        return net

    def _make_optimizer(self, decay_mask, warmup_steps):
        if self.optimizer == "sgd":
            return optim.SGD(
                self.learning_rate_init,
                momentum=self.momentum,
                nesterov=self.nesterovs_momentum and self.momentum > 0,
                weight_decay=self.weight_decay,
                decay_mask=decay_mask,
            )
        if self.optimizer == "rmsprop":
            return optim.RMSProp(
                self.learning_rate_init,
                alpha=RMSPROP_ALPHA,
                epsilon=self.epsilon,
                weight_decay=self.weight_decay,
                decay_mask=decay_mask,
            )
        cls = optim.AdamW if self.optimizer == "adamw" else optim.Adam
        return cls(
            self.learning_rate_init,
            beta_1=self.beta_1,
            beta_2=self.beta_2,
            epsilon=self.epsilon,
            weight_decay=self.weight_decay,
            decay_mask=decay_mask,
            beta_1_warmup_steps=max(warmup_steps, 1) if self.beta_1_warmup else 0,
        )

    def _make_schedule(self, steps_per_epoch):
        kwargs = {}
        if self.lr_schedule == "step":
            decay_epochs = max(self.max_iter - self.decay_start_epoch, 1)
            kwargs = {"step_size_epochs": max(decay_epochs / (STEP_DECAY_DROPS + 1), 1e-9), "gamma": 0.1}
        return SCHEDULES[self.lr_schedule](
            self.learning_rate_init,
            n_epochs=self.max_iter,
            steps_per_epoch=steps_per_epoch,
            # An int warmup longer than a short run would never reach the peak rate.
            warmup=min(self.warmup, self.max_iter * steps_per_epoch)
            if isinstance(self.warmup, Integral)
            else self.warmup,
            decay_start_epoch=min(self.decay_start_epoch, self.max_iter),
            min_lr=self.min_learning_rate,
            **kwargs,
        )

    def _resolve_dtype(self, X):
        """The dtype the network computes in.

        ``"auto"`` keeps float32 input in float32 and computes float64 input
        in float32 too once there are at least ``FLOAT32_MIN_ROWS`` rows: there
        float32 halves memory traffic and roughly doubles speed, while the
        noise of minibatch training dwarfs its rounding. Smaller problems stay
        in float64, where speed does not matter and exact reproducibility
        checks (sample-weight equivalence, say) do.
        """
        if self.compute_dtype != "auto":
            return np.dtype(self.compute_dtype)
        if X.dtype == np.float32 or X.shape[0] >= FLOAT32_MIN_ROWS:
            return np.dtype(np.float32)
        return np.dtype(np.float64)

    def _validate_sample_weight(self, sample_weight, X):
        if sample_weight is None:
            return None
        sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype, ensure_non_negative=True)
        return sample_weight

    def _fit(self, X, y, sample_weight=None, *, incremental=False, classes=None):
        """Fit, or leave the estimator exactly as it was if anything fails."""
        before = dict(self.__dict__)
        net = getattr(self, "net_", None)
        optimizer = getattr(self, "_optimizer", None)
        saved = (
            None if net is None else net.state(),
            None if optimizer is None else optimizer.state_dict(),
        )
        try:
            return self._fit_unguarded(X, y, sample_weight, incremental=incremental, classes=classes)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            if net is not None:
                net.load_state(saved[0])
            if optimizer is not None:
                optimizer.load_state_dict(saved[1])
            raise

    def _fit_unguarded(self, X, y, sample_weight, *, incremental, classes):
        first_pass = not hasattr(self, "net_") or not (self.warm_start or incremental)
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True; use fit instead.")
        X, y = validate_data(
            self,
            X,
            y,
            reset=first_pass,
            dtype=[np.float64, np.float32],
            accept_sparse="csr",
            multi_output=True,
            y_numeric=isinstance(self, RegressorMixin),
            # One row can be learned from incrementally, but not fitted on its own.
            ensure_min_samples=1 if incremental else 2,
        )
        dtype = self._resolve_dtype(X) if first_pass else self.net_.params.dtype
        X = X.astype(dtype, copy=False)
        sample_weight = self._validate_sample_weight(sample_weight, X)
        Y, stratify = self._encode_targets(y, first_pass, classes)
        sample_weight = self._apply_class_weight(y, sample_weight)
        Y = Y.astype(X.dtype, copy=False)
        if first_pass:
            warn_scale_disparity(X, getattr(self, "feature_names_in_", None))

        validation = None
        if first_pass or not incremental:
            rng = np.random.default_rng(check_random_state(self.random_state).randint(2**31 - 1))
        else:
            rng = self._rng
        n_validation = self._n_validation(X.shape[0]) if self.early_stopping else 0
        n_train = X.shape[0] - n_validation
        sizes, kind = self._check_params(n_train)
        warn_small_batch_norm(kind, min(self.batch_size, n_train), self.gradient_accumulation_steps)
        if first_pass:
            # Weights are drawn before any row-count-dependent randomness (split,
            # shuffling), so weighted and repeated rows start from the same network.
            net = self._build_network(X.shape[1], Y.shape[1], sizes, kind, rng, X.dtype)
            net.layers[-1].params["b"][...] = self._init_output_bias(Y, sample_weight)
        else:
            net = self.net_
        if self.early_stopping:
            X, Y, sample_weight, validation = self._split_validation(
                X, Y, sample_weight, stratify, rng, n_validation
            )

        if incremental and not first_pass:
            schedule, optimizer, state = self._schedule, self._optimizer, self._state
        else:
            steps = updates_per_epoch(n_train, self.batch_size, self.gradient_accumulation_steps)
            schedule = self._make_schedule(steps)
            optimizer = self._make_optimizer(net.decay_mask, schedule.warmup_steps)
            # A warm start keeps the best epoch so far, as scikit-learn's MLP does,
            # so early stopping never trades it for a worse one; the schedule restarts.
            state = TrainingState() if first_pass else replace(self._state, step=0, lr_scale=1.0, no_improvement_count=0)
        settings = Settings(
            n_epochs=1 if incremental else self.max_iter,
            batch_size=self.batch_size,
            shuffle=self.shuffle,
            clip_norm=self.clip_norm,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            accumulation_steps=self.gradient_accumulation_steps,
        )
        with _verbosity(self.verbose):
            result = train(
                net,
                self._make_loss(),
                optimizer,
                schedule,
                X,
                Y,
                sample_weight,
                settings=settings,
                rng=rng,
                state=state,
                validation=validation,
            )
        self._store_result(net, result, first_pass, validation is not None)
        self._rng, self._schedule, self._optimizer, self._state = rng, schedule, optimizer, state
        self._report(result, incremental)
        return self

    def _report(self, result, incremental):
        """Warn about what the training run showed: recoveries, interruption, clipping, convergence."""
        if result.recoveries:
            last = result.recoveries[-1]
            warnings.warn(
                f"Training diverged {len(result.recoveries)} time(s) (last: non-finite "
                f"{last['non_finite']} in epoch {last['epoch']}); each time it rolled back to the "
                f"start of the epoch and halved the learning rate, which ended at "
                f"{last['lr_scale']:g} times the schedule. Details are in recoveries_. Consider a "
                "lower learning_rate_init.",
                DivergenceRecoveryWarning,
                stacklevel=3,
            )
        if result.interrupted:
            warnings.warn(
                f"Training was interrupted by the user after {result.n_epochs} epoch(s) of this "
                "fit; the model holds the "
                + ("best validation weights." if self.early_stopping else "weights of the last completed update."),
                TrainingInterruptedWarning,
                stacklevel=3,
            )
            return
        warn_persistent_clipping(self.clip_fraction_curve_, self.clip_norm, self.learning_rate_init)
        if not incremental and not result.converged and self._still_improving():
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                "optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=3,
            )

    def _apply_class_weight(self, y, sample_weight):
        return sample_weight

    def _n_validation(self, n_samples):
        n_validation = int(np.ceil(n_samples * self.validation_fraction))
        if n_validation < 2 or n_samples - n_validation < 1:
            raise ValueError(
                f"The validation set is too small: validation_fraction={self.validation_fraction} "
                f"of {n_samples} samples gives {n_validation}. Increase validation_fraction or "
                "the number of samples, or set early_stopping=False."
            )
        return n_validation

    def _split_validation(self, X, Y, sample_weight, stratify, rng, n_validation):
        arrays = [X, Y] + ([] if sample_weight is None else [sample_weight])
        seed = int(rng.integers(2**31 - 1))
        try:
            parts = train_test_split(*arrays, test_size=n_validation, random_state=seed, stratify=stratify)
        except ValueError:
            # Too few members in some class to stratify: an unstratified split still works.
            parts = train_test_split(*arrays, test_size=n_validation, random_state=seed)
        X_train, X_val, Y_train, Y_val = parts[:4]
        sw_train, sw_val = (parts[4], parts[5]) if sample_weight is not None else (None, None)
        validation = Validation(X_val, lambda Z: self._score_outputs(Z, Y_val, sw_val))
        return X_train, Y_train, sw_train, validation

    def _store_result(self, net, result, first_pass, with_validation):
        if first_pass:
            self.net_ = net
            self.loss_curve_ = []
            self.lr_curve_ = np.empty(0)
            self.grad_norm_curve_ = np.empty(0)
            self.clip_fraction_curve_ = []
            self.recoveries_ = []
            self.t_ = 0
            self.validation_scores_ = [] if with_validation else None
        self.n_layers_ = len(self._hidden_sizes()) + 2
        self.n_iter_ = result.n_epochs
        self.t_ += result.n_samples_seen
        self.loss_curve_ = self.loss_curve_ + result.loss_curve
        self.loss_ = self.loss_curve_[-1]
        self.lr_curve_ = np.concatenate([self.lr_curve_, result.lr_curve])
        self.grad_norm_curve_ = np.concatenate([self.grad_norm_curve_, result.grad_norm_curve])
        self.clip_fraction_curve_ = self.clip_fraction_curve_ + result.clip_fraction_curve
        self.recoveries_ = self.recoveries_ + result.recoveries
        if with_validation:
            self.validation_scores_ = (self.validation_scores_ or []) + result.validation_scores
            self.best_validation_score_ = max(self.validation_scores_)
            self.best_loss_ = None
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = float(min(self.loss_curve_))
        self.out_activation_ = self._make_loss().out_activation

    def _still_improving(self):
        """Whether the loss was still falling by more than ``tol`` per epoch at the end.

        A decaying schedule is laid out to end at ``max_iter``, so reaching it
        is the plan, not a failure. The warning is kept for runs whose loss
        was still clearly dropping: the mean loss of the second half of the
        last ``n_iter_no_change`` epochs against the first half, which
        averages out the epoch-to-epoch noise of minibatch training.
        """
        curve = self.loss_curve_[-self.n_iter_ :]
        half = int(min(self.n_iter_no_change, len(curve))) // 2
        if half < 1:
            return False
        recent = np.asarray(curve[-2 * half :])
        return recent[:half].mean() - recent[half:].mean() > self.tol * half

    # -- inference -----------------------------------------------------------------

    def _raw_outputs(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32], accept_sparse="csr")
        # Compute in the network's dtype; answer in the input's, as scikit-learn does.
        return self.net_.infer(X.astype(self.net_.params.dtype, copy=False)).astype(X.dtype, copy=False)

    @property
    def coefs_(self):
        """list of ndarray: weight matrix of each dense layer, input to output (views)."""
        check_is_fitted(self)
        return [layer.params["W"] for layer in self.net_.layers if isinstance(layer, nn.Dense)]

    @property
    def intercepts_(self):
        """list of ndarray: bias vector of each dense layer, input to output (views)."""
        check_is_fitted(self)
        return [layer.params["b"] for layer in self.net_.layers if isinstance(layer, nn.Dense)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


_SHARED_PARAMETERS = """
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        Width of each hidden layer.
    activation : {"relu", "gelu", "tanh", "logistic", "identity"}, default="relu"
        Hidden-layer nonlinearity. ReLU and GELU layers start from He-uniform
        weights, the others from Glorot-uniform weights.
    optimizer : {"adamw", "adam", "sgd", "rmsprop"}, default="adamw"
        Update rule. ``"adamw"`` decays weights decoupled from the gradient
        (the guide's fix for Adam's generalization gap); ``"adam"``, ``"sgd"``
        and ``"rmsprop"`` add ``weight_decay`` to the gradient as an L2
        penalty. Biases and normalization parameters are never decayed.
        ``"sgd"`` uses ``momentum`` and ``nesterovs_momentum``; ``"rmsprop"``
        averages squared gradients with decay 0.99 and uses ``epsilon``.
    learning_rate_init : float, default=3e-3
        Peak learning rate, reached at the end of warmup. The guide's
        template uses 1e-3, but on tabular data of a few hundred rows 50
        epochs are only a few hundred updates, and a decay from 1e-3 freezes
        the model short of the loss basin (the guide's pitfall 5); 3e-3 scored
        higher on every bundled dataset of ``benchmarks/quality.py``.
    batch_size : int, default=32
        Rows per update (all rows when larger than the training set). A last
        batch of fewer than 8 rows is merged into the one before it.
    max_iter : int, default=50
        Epochs, as in scikit-learn's MLP. The learning-rate decay spans them.
    beta_1, beta_2 : float, default=0.9, 0.999
        Adam's moment decay rates.
    epsilon : float, default=1e-8
        Adam's and RMSProp's denominator guard.
    momentum : float, default=0.9
        Momentum of ``optimizer="sgd"``.
    nesterovs_momentum : bool, default=True
        Nesterov momentum for ``optimizer="sgd"``.
    weight_decay : float, default=0.01
        Weight-decay strength (see ``optimizer``).
    clip_norm : float or None, default=1.0
        Largest global gradient norm; larger gradients are scaled down before
        the optimizer step (the guide's cure for gradient explosion). ``None``
        turns clipping off; the norm is still recorded.
    lr_schedule : {"cosine", "linear", "step", "constant"}, default="cosine"
        Learning-rate decay after warmup, laid out over ``max_iter`` epochs
        so it is tied to epochs, not to a step count. ``"step"`` divides the
        rate by 10 three times, at evenly spaced epochs of the decay phase.
    min_learning_rate : float, default=1e-5
        Learning rate at the end of the decay.
    warmup : int or float, default=0.05
        Linear warmup: a number of optimizer steps, or a fraction of all steps
        of the run. The guide's template warms up for 500 steps; a fraction
        keeps warmup from outlasting a short run on small data.
    decay_start_epoch : float, default=0
        Hold the peak learning rate until this epoch, then decay.
    beta_1_warmup : bool, default=False
        Ramp Adam's ``beta_1`` linearly from 0.5 to its value over the warmup
        steps, with exact bias correction (the guide's momentum-overshoot fix).
    normalization : {"auto", "batch", "layer", "group"} or None, default="auto"
        Normalization after each hidden dense layer. ``"auto"`` is the guide's
        rule: batch normalization when batches hold at least 8 rows, layer
        normalization otherwise. Inference always uses frozen statistics.
    norm_momentum : float, default=0.9
        Weight of the old running statistics in batch normalization.
    norm_epsilon : float, default=1e-5
        Variance guard of the normalization layers.
    n_groups : int, default=4
        Groups of ``normalization="group"``; each hidden width must be a
        multiple of it.
    shuffle : bool, default=True
        Shuffle the rows every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialization, shuffling and the validation split. An
        int gives bit-identical fits.
    tol : float, default=1e-4
        Improvement below which an epoch counts as no improvement.
    verbose : bool, default=False
        Log each epoch's loss (logger ``"skstab"``, shown on stderr when
        logging is not configured).
    warm_start : bool, default=False
        Continue from the previous fit's weights, with a fresh optimizer and
        schedule, as scikit-learn's MLP does.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows, stop when the validation
        score stalls, and restore the best weights.
    validation_fraction : float, default=0.1
        Share of rows held out for early stopping.
    n_iter_no_change : int, default=10
        Epochs without improvement tolerated before stopping.
    compute_dtype : {"auto", "float32", "float64"}, default="auto"
        Dtype of the network's arithmetic. ``"auto"`` computes float32 input
        in float32, and float64 input in float32 from 10,000 rows on (about
        twice as fast; minibatch noise dwarfs the rounding) and in float64
        below. Predictions come back in the input's dtype.
    gradient_accumulation_steps : int, default=1
        Batches whose gradients are averaged (weighted by rows) into each
        optimizer update: the guide's way to keep batch normalization with
        batches too small for it, since updates then follow
        ``batch_size * gradient_accumulation_steps`` rows. Each batch is
        still normalized with its own statistics."""

_SHARED_ATTRIBUTES = """
    loss_ : float
        Weighted mean training loss of the last epoch.
    best_loss_ : float or None
        Lowest epoch loss; ``None`` with early stopping.
    loss_curve_ : list of float
        Loss of every epoch, accumulated over warm starts and partial fits.
    validation_scores_ : list of float or None
        Validation score of every epoch with early stopping, else ``None``.
    best_validation_score_ : float or None
        Best validation score, whose weights were restored; else ``None``.
    lr_curve_ : ndarray of shape (n_updates,)
        Learning rate of every optimizer update.
    grad_norm_curve_ : ndarray of shape (n_updates,)
        Global gradient norm of every update, before clipping.
    clip_fraction_curve_ : list of float
        Share of each epoch's updates whose gradient was clipped.
    recoveries_ : list of dict
        One entry per divergence recovery: ``epoch``, ``update``,
        ``non_finite`` (``"loss"``, ``"gradient"`` or ``"parameters"``) and
        ``lr_scale``, the factor on the schedule from then on.
    n_iter_ : int
        Epochs run by the last call to ``fit`` (1 after ``partial_fit``).
    t_ : int
        Training rows processed, accumulated like ``loss_curve_``.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of network outputs.
    out_activation_ : str
        Output link.
    net_ : skstab.nn.Sequential
        The trained network (dense, normalization and activation layers).
    coefs_ : list of ndarray
        Dense weight matrices, input to output; views into ``net_``.
    intercepts_ : list of ndarray
        Dense bias vectors, input to output; views into ``net_``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names seen during fit, when X had string column names."""


class StabilizedMLPClassifier(ClassifierMixin, _BaseStabilizedMLP):
    __doc__ = f"""Multi-layer perceptron classifier that trains stably by default.

    Each hidden layer is a dense layer, a normalization layer and an
    activation. Training uses AdamW with global gradient clipping, linear
    warmup and cosine decay; inference always uses frozen statistics, so a
    row's prediction does not depend on the other rows passed with it.

    Parameters
    ----------{_SHARED_PARAMETERS}
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into ``sample_weight``.

    Attributes
    ----------
    classes_ : ndarray or list of ndarray
        Class labels (for multilabel targets, the label indices).{_SHARED_ATTRIBUTES}

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
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        optimizer="adamw",
        learning_rate_init=3e-3,
        batch_size=32,
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
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        compute_dtype="auto",
        gradient_accumulation_steps=1,
        class_weight=None,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
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
        )
        self.class_weight = class_weight

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to X and y.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
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
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights.
        classes : array-like of shape (n_classes,), default=None
            Every class that any call will see. Required on the first call
            for single-label targets; ignored afterwards.

        Returns
        -------
        self : object
            The updated classifier.
        """
        if classes is None and not hasattr(self, "classes_") and type_of_target(y) != "multilabel-indicator":
            raise ValueError("classes must be passed on the first call to partial_fit.")
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _encode_targets(self, y, first_pass, classes=None):
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        target_type = type_of_target(y)
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
            self.classes_ = np.unique(y) if classes is None else np.unique(np.asarray(classes))
            self.n_outputs_ = 1 if len(self.classes_) == 2 else len(self.classes_)
        elif getattr(self, "_multilabel", False):
            raise ValueError("The model was fitted on multilabel targets; y is single-label.")
        unseen = np.setdiff1d(np.unique(y), self.classes_)
        if unseen.size:
            raise ValueError(
                f"y contains labels {unseen.tolist()} that are not in classes_ "
                f"{self.classes_.tolist()}; pass every class on the first call (classes=...) "
                "or refit."
            )
        codes = np.searchsorted(self.classes_, y)
        if len(self.classes_) == 2:
            return (codes == 1).astype(np.float64)[:, None], y
        return np.eye(len(self.classes_))[codes], y

    def _apply_class_weight(self, y, sample_weight):
        if self.class_weight is None:
            return sample_weight
        if self._multilabel:
            raise ValueError("class_weight is not supported for multilabel targets; use sample_weight.")
        if y.ndim == 2:
            y = y.ravel()
        weights = compute_sample_weight(self.class_weight, y).astype(np.float64)
        return weights if sample_weight is None else sample_weight * weights.astype(sample_weight.dtype)

    def _make_loss(self):
        if self._multilabel or len(self.classes_) == 2:
            return nn.SigmoidCrossEntropy()
        return nn.SoftmaxCrossEntropy()

    def _init_output_bias(self, Y, sample_weight):
        prior = np.clip(np.average(Y, axis=0, weights=sample_weight), 1e-6, 1 - 1e-6)
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
        X : array-like of shape (n_samples, n_features)
            Input data.

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
        X : array-like of shape (n_samples, n_features)
            Input data.

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
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of the shape of :meth:`predict_proba`
        """
        Z = self._raw_outputs(X)
        loss = self._make_loss()
        if loss.out_activation == "softmax" or self._multilabel:
            return loss.log_link(Z)
        return np.hstack([loss.log_link(-Z), loss.log_link(Z)])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class StabilizedMLPRegressor(RegressorMixin, _BaseStabilizedMLP):
    __doc__ = f"""Multi-layer perceptron regressor that trains stably by default.

    Each hidden layer is a dense layer, a normalization layer and an
    activation; the output is linear and the loss is half the squared error.
    Training uses AdamW with global gradient clipping, linear warmup and
    cosine decay; inference always uses frozen statistics.

    Parameters
    ----------{_SHARED_PARAMETERS}

    Attributes
    ----------{_SHARED_ATTRIBUTES}

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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
