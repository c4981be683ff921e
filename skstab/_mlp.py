"""The shared base of StabilizedMLPClassifier and StabilizedMLPRegressor.

``fit`` runs four named steps: prepare the data, build the network,
optimizer and schedule (or resume them), train, and store the history in
fitted attributes. The public classes (``_classifier.py``,
``_regressor.py``) only encode targets, pick the loss and turn raw outputs
into predictions.
"""

import copy
import logging
from abc import ABCMeta, abstractmethod
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from . import nn, optim
from ._builders import build_network, build_optimizer, build_schedule, hidden_sizes, resolve_normalization
from ._guards import warn_persistent_clipping, warn_scale_disparity, warn_small_batch_norm
from ._presets import _ConfigMixin
from ._scaling import robust_statistics, scale_features, standard_statistics
from ._stopping import still_improving
from ._training import (
    STREAM_LOSS_SMOOTHING,
    Settings,
    TrainingState,
    Validation,
    check_fit,
    train,
    updates_per_epoch,
)
from .exceptions import (
    DivergenceRecoveryWarning,
    HorizonExceededWarning,
    InferenceMismatchWarning,
    NoProgressWarning,
    TrainingInterruptedWarning,
)
from .utils._doc_links import DocLinkMixin
from .utils._inputs import explained_input_errors
from .utils._persistence import _VersionedPickleMixin
from .utils._validation import Interval, Options, RealNotInt, StrOptions, _check_sample_weight, registry_options
from .utils._warnings import warn_at_caller

#: Rows from which compute_dtype="auto" trains float64 input in float32.
FLOAT32_MIN_ROWS = 10_000
#: InferenceMismatchWarning fires when the inference-mode loss on training rows exceeds the
#: training-mode loss by more than this share of the first epoch's loss.
INFERENCE_GAP_MARGIN = 0.1
#: Epochs the end-of-fit convergence test looks back over when plateau stopping is off.
CONVERGENCE_WINDOW = 10
#: Rows scaled and predicted at a time.
SCALE_CHUNK_ROWS = 65_536


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


class _BaseStabilizedMLP(DocLinkMixin, _ConfigMixin, _VersionedPickleMixin, BaseEstimator, metaclass=ABCMeta):
    """Shared fitting logic; use StabilizedMLPClassifier or StabilizedMLPRegressor."""

    #: Whether ``validate_data`` should convert ``y`` to numbers (regression).
    _numeric_targets = False

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [registry_options(nn.ACTIVATIONS)],
        "input_scaling": [StrOptions({"robust", "standard"}), None],
        "optimizer": [registry_options(optim.OPTIMIZERS)],
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
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf}), None],
        "compute_dtype": [StrOptions({"auto", "float32", "float64"})],
        "gradient_accumulation_steps": [Interval(Integral, 1, None, closed="left")],
        "partial_fit_horizon": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        input_scaling="robust",
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

    # -- persistence -------------------------------------------------------------

    #: Parameters added after skstab 0.1.0, with the value that models saved before them trained with.
    _ADDED_PARAMETERS = {"partial_fit_horizon": None}

    def __getstate__(self):
        state = super().__getstate__()
        training = state.get("_state")
        if isinstance(training, TrainingState):
            # Builtins and numpy arrays only, so skops.io trusts it without a private type.
            state["_state"] = {item.name: getattr(training, item.name) for item in fields(training)}
        return state

    def __setstate__(self, state):
        state = dict(state)
        if isinstance(state.get("_state"), dict):
            state["_state"] = TrainingState(**state["_state"])
        for name, value in self._ADDED_PARAMETERS.items():
            state.setdefault(name, value)
        super().__setstate__(state)

    # -- hooks for the subclasses ------------------------------------------------

    @abstractmethod
    def _encode_targets(self, y, sample_weight, first_pass, classes=None):
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

    def _fit(self, X, y, sample_weight=None, *, incremental=False, classes=None):
        """Fit, or leave the estimator exactly as it was if anything fails."""
        before = dict(self.__dict__)
        net, optimizer = getattr(self, "net_", None), getattr(self, "_optimizer", None)
        saved_net = None if net is None else net.state()
        saved_optimizer = None if optimizer is None else optimizer.state_dict()
        # The training state and the generator are mutated in place by a call that resumes them.
        state, rng = getattr(self, "_state", None), getattr(self, "_rng", None)
        saved_state = copy.deepcopy(state)
        saved_rng = None if rng is None else copy.deepcopy(rng.bit_generator.state)
        try:
            first_pass = not hasattr(self, "net_") or not (self.warm_start or incremental)
            if incremental and self.early_stopping:
                raise ValueError("partial_fit does not support early_stopping=True; use fit instead.")
            data = self._prepare_data(X, y, sample_weight, first_pass, incremental, classes)
            run = self._build_or_resume(data, first_pass, incremental)
            result = self._train(run, data, incremental)
            self._store(run, result, first_pass, incremental)
            self._report(result, incremental)
            if incremental:
                self._warn_past_horizon(run, result)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            if net is not None:
                net.load_state(saved_net)
            if optimizer is not None:
                optimizer.load_state_dict(saved_optimizer)
            if state is not None:
                state.__dict__.update(saved_state.__dict__)
            if rng is not None:
                rng.bit_generator.state = saved_rng
            raise
        return self

    def _prepare_data(self, X, y, sample_weight, first_pass, incremental, classes):
        """Validate and encode the training data, in the dtype the network computes in."""
        with explained_input_errors(X):
            X, y = validate_data(
                self,
                X,
                y,
                reset=first_pass,
                dtype=[np.float64, np.float32],
                accept_sparse="csr",
                multi_output=True,
                y_numeric=self._numeric_targets,
                # One row can be learned from incrementally, but not fitted on its own.
                ensure_min_samples=1 if incremental else 2,
            )
        dtype = self._resolve_dtype(X) if first_pass else self.net_.params.dtype
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=dtype, ensure_non_negative=True)
        Y, stratify = self._encode_targets(y, sample_weight, first_pass, classes)
        sample_weight = self._apply_class_weight(y, sample_weight)
        if first_pass:
            self._fit_input_scaling(X, sample_weight)
        X = self._scale_inputs(X, dtype)
        return _Data(X, Y.astype(X.dtype, copy=False), sample_weight, stratify)

    def _fit_input_scaling(self, X, sample_weight):
        """Fit the per-feature centre and scale of ``input_scaling`` on the training rows."""
        self.input_center_ = self.input_scale_ = None
        if self.input_scaling is None or sparse.issparse(X):
            warn_scale_disparity(X, getattr(self, "feature_names_in_", None))
            return
        statistics = robust_statistics if self.input_scaling == "robust" else standard_statistics
        self.input_center_, self.input_scale_ = statistics(X, sample_weight)

    def _scale_inputs(self, X, dtype):
        """``X`` scaled as fitted (smoothly clipped after robust scaling), row-major in the compute ``dtype``."""
        if self.input_center_ is None:
            self._check_range(X, dtype)
            # Batches gather rows: from a column-major X each row is a strided read, about 170x slower.
            # One row-major copy per fit (none if X already is C-ordered in this dtype); CSR stays CSR.
            return np.ascontiguousarray(X, dtype=dtype) if isinstance(X, np.ndarray) else X.astype(dtype, copy=False)
        clip = self.input_scaling == "robust"
        return scale_features(X, self.input_center_, self.input_scale_, clip=clip, dtype=dtype)

    def _build_or_resume(self, data, first_pass, incremental):
        """The network, optimizer, schedule and training state this call trains with."""
        params = self.get_params(deep=False)
        if first_pass or not incremental:
            rng = np.random.default_rng(check_random_state(self.random_state).randint(2**31 - 1))
        else:
            rng = self._rng
        n_validation = self._n_validation(data.X.shape[0]) if self.early_stopping else 0
        # Drawn first, so that warm fits hold out the same rows as the first fit.
        split_seed = int(rng.integers(2**31 - 1)) if self.early_stopping else None
        n_train = data.X.shape[0] - n_validation
        normalization = self._check_params(params, n_train)
        warn_small_batch_norm(normalization, min(self.batch_size, n_train), self.gradient_accumulation_steps)
        if first_pass:
            # Weights are drawn before any row-count-dependent randomness (split,
            # shuffling), so weighted and repeated rows start from the same network.
            net = build_network(params, data.X.shape[1], data.Y.shape[1], normalization, rng, data.X.dtype)
            net.layers[-1].params["b"][...] = self._init_output_bias(data.Y, data.sample_weight)
        else:
            net = self.net_
            self._check_same_network(params, normalization, incremental)
        spec = self._network_spec(params, normalization, net.params.dtype)
        if incremental and not first_pass:
            return _Run(net, self._optimizer, self._schedule, self._state, rng, split_seed, n_validation, spec)
        steps = updates_per_epoch(n_train, self.batch_size, self.gradient_accumulation_steps)
        schedule = build_schedule(self._stream_plan(params) if incremental else params, steps)
        optimizer = build_optimizer(params, net.decay_mask, schedule.warmup_steps)
        # A warm start keeps the best epoch so far, as scikit-learn's MLP does,
        # so early stopping never trades it for a worse one; the schedule restarts.
        state = (
            TrainingState()
            if first_pass
            else replace(
                self._state, step=0, lr_scale=1.0, no_improvement_count=0, lowest_loss=np.inf, lowest_checkpoint=None
            )
        )
        return _Run(net, optimizer, schedule, state, rng, split_seed, n_validation, spec)

    @staticmethod
    def _stream_plan(params):
        """The parameters a stream's schedule is built from: see ``partial_fit_horizon``.

        With no horizon the number of calls to come is unknown, so no decay can
        be laid out: a linear warmup (as a ``max_iter``-epoch fit of
        first-call-sized epochs would have) then the constant peak rate. A horizon
        lays ``lr_schedule`` out over that many calls of the first call's size.
        """
        if params["partial_fit_horizon"] is None:
            return {**params, "lr_schedule": "constant"}
        return {**params, "max_iter": params["partial_fit_horizon"]}

    def _train(self, run, data, incremental):
        """Run the training loop on the training rows, holding out validation rows if asked."""
        X, Y, sample_weight, validation = data.X, data.Y, data.sample_weight, None
        if self.early_stopping:
            X, Y, sample_weight, validation = self._split_validation(data, run.split_seed, run.n_validation)
        settings = Settings(
            n_epochs=1 if incremental else self.max_iter,
            batch_size=self.batch_size,
            shuffle=self.shuffle,
            clip_norm=self.clip_norm,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            accumulation_steps=self.gradient_accumulation_steps,
            population_statistics=self.batchnorm_statistics == "population",
            loss_smoothing=STREAM_LOSS_SMOOTHING if incremental else None,
        )
        with _verbosity(self.verbose):
            result = train(
                run.net,
                self._make_loss(),
                run.optimizer,
                run.schedule,
                X,
                Y,
                sample_weight,
                settings=settings,
                rng=run.rng,
                state=run.state,
                validation=validation,
            )
        result.check = check_fit(
            run.net, self._make_loss(), X, Y, sample_weight, self._init_output_bias(Y, sample_weight)
        )
        return result

    def _network_spec(self, params, normalization, dtype):
        """What the network's structure rests on; a resumed call must not change it."""
        return {
            "hidden_layer_sizes": tuple(hidden_sizes(params)),
            "activation": params["activation"],
            "normalization": normalization,
            "n_groups": params["n_groups"] if normalization == "group" else None,
            "compute_dtype": np.dtype(dtype).name,
        }

    def _check_same_network(self, params, normalization, incremental):
        """Refuse to resume a network that the current parameters would build differently."""
        old = getattr(self, "_net_spec", None)
        if old is None:
            return
        # "auto" choices follow the existing network: only an explicit request counts as a change.
        if params["normalization"] == "auto":
            normalization = old["normalization"]
        dtype = old["compute_dtype"] if self.compute_dtype == "auto" else self.compute_dtype
        new = self._network_spec(params, normalization, dtype)
        changes = [f"{key}: {old[key]!r} -> {new[key]!r}" for key in old if old[key] != new[key]]
        if changes:
            call = (
                "partial_fit continues the network of the previous calls"
                if incremental
                else ("warm_start=True continues training the network of the previous fit")
            )
            raise ValueError(
                f"{call}, but the parameters now describe a different network ({'; '.join(changes)}). "
                "Set warm_start=False (or use a new estimator) to train a new network, or restore "
                "the previous value(s)."
            )

    def _check_params(self, params, n_train):
        """Cross-parameter rules; returns the normalization the network gets."""
        if self.min_learning_rate > self.learning_rate_init:
            raise ValueError(
                f"min_learning_rate={self.min_learning_rate} exceeds "
                f"learning_rate_init={self.learning_rate_init}; lower min_learning_rate."
            )
        return resolve_normalization(params, n_train)

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

    def _split_validation(self, data, seed, n_validation):
        arrays = [data.X, data.Y] + ([] if data.sample_weight is None else [data.sample_weight])
        try:
            parts = train_test_split(*arrays, test_size=n_validation, random_state=seed, stratify=data.stratify)
        except ValueError:
            # Too few members in some class to stratify: an unstratified split still works.
            parts = train_test_split(*arrays, test_size=n_validation, random_state=seed)
        X_train, X_val, Y_train, Y_val = parts[:4]
        sw_train, sw_val = (parts[4], parts[5]) if data.sample_weight is not None else (None, None)
        if sw_val is not None and not sw_val.sum() > 0:
            raise ValueError(
                f"The {n_validation} validation rows held out for early stopping all have sample weight 0, "
                "so they cannot score the model; raise validation_fraction, give more rows a positive "
                "weight, or set early_stopping=False."
            )
        validation = Validation(X_val, lambda Z: self._score_outputs(Z, Y_val, sw_val))
        return X_train, Y_train, sw_train, validation

    # -- storing and reporting ---------------------------------------------------------

    def _store(self, run, result, first_pass, incremental=False):
        """Copy the run's history into the fitted attributes and keep what a later call resumes."""
        with_validation = result.validation_scores is not None
        if first_pass:
            self.net_ = run.net
            self._net_spec = run.spec
            self.loss_curve_ = []
            self.lr_curve_ = np.empty(0)
            self.grad_norm_curve_ = np.empty(0)
            self.clip_fraction_curve_ = []
            self.recoveries_ = []
            self.t_ = 0
            self.validation_scores_ = [] if with_validation else None
            # The horizon a stream's schedule was laid out over (None: none, or built by fit).
            self._stream_horizon = self.partial_fit_horizon if incremental else None
        elif not incremental:
            self._stream_horizon = None
        self.n_layers_ = len(hidden_sizes(self.get_params(deep=False))) + 2
        # partial_fit counts its calls (passes over chunks) since the network was built or last fit.
        calls_before = self.n_iter_ if incremental and not first_pass else 0
        for recovery in result.recoveries:
            recovery["epoch"] += calls_before
        self.n_iter_ = calls_before + result.n_epochs
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
        check, first_loss = result.check, self._state_first_loss(run)
        self.inference_gap_ = 0.0 if check is None else (check.inference_loss - check.training_loss) / first_loss
        self._rng, self._schedule, self._optimizer, self._state = run.rng, run.schedule, run.optimizer, run.state

    def _report(self, result, incremental):
        """Warn about what the training run showed: recoveries, interruption, clipping, convergence."""
        if result.recoveries:
            last = result.recoveries[-1]
            warn_at_caller(
                f"Training diverged {len(result.recoveries)} time(s) (last: {last['reason']} in "
                f"epoch {last['epoch']}); each time it went back to the last sound weights (the "
                "epoch's start, or the best epoch for an exploding loss) and halved the learning "
                f"rate, which ended at {last['lr_scale']:g} times the schedule. Details are in "
                "recoveries_. Consider a lower learning_rate_init.",
                DivergenceRecoveryWarning,
            )
        if result.interrupted:
            warn_at_caller(
                f"Training was interrupted by the user after {result.n_epochs} epoch(s) of this "
                "fit; the model holds "
                + (
                    "its best validation weights."
                    if self.early_stopping
                    else "the weights of its last completed update (or of the epoch's start if the "
                    "interrupt arrived inside an update)."
                ),
                TrainingInterruptedWarning,
            )
            return
        warn_persistent_clipping(self.clip_fraction_curve_, self.clip_norm, self.learning_rate_init)
        if self.inference_gap_ > INFERENCE_GAP_MARGIN:
            warn_at_caller(
                f"On training rows the network's inference-mode loss exceeds its training-mode loss by "
                f"{self.inference_gap_:.0%} of the first epoch's loss: predictions disagree with what training "
                "measured. Keep batchnorm_statistics='population' or use normalization='layer'.",
                InferenceMismatchWarning,
            )
        if incremental:
            return
        window = CONVERGENCE_WINDOW if self.n_iter_no_change is None else self.n_iter_no_change
        improving = not result.converged and still_improving(
            self.loss_curve_[-self.n_iter_ :], n_iter_no_change=window, tol=self.tol
        )
        check = result.check
        if check is not None and check.inference_loss >= check.constant_loss:
            warn_at_caller(
                f"The trained network's loss on training rows ({check.inference_loss:.4g}) is no lower than that "
                f"of a constant prediction ({check.constant_loss:.4g}): the model did not learn. Lower "
                f"learning_rate_init (now {self.learning_rate_init:g}) by a factor of 10 (or, if loss_curve_ was "
                "still falling steadily, raise max_iter) and keep input_scaling on.",
                NoProgressWarning,
            )
        elif improving:
            warn_at_caller(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                "optimization hasn't converged yet.",
                ConvergenceWarning,
            )

    def _warn_past_horizon(self, run, result):
        """Warn once, in the call whose updates first go past the stream's planned schedule."""
        horizon = getattr(self, "_stream_horizon", None)
        end, after = run.schedule.total_steps, run.state.step
        if horizon is None or not after - result.n_steps <= end < after:
            return
        warn_at_caller(
            f"partial_fit went past partial_fit_horizon={horizon} calls ({end} updates planned from the first "
            f"call's size): the learning rate now holds at the end of the {self.lr_schedule!r} schedule, "
            f"{run.schedule(end):g}. Raise partial_fit_horizon (with a new estimator), or leave it at None for "
            "a constant rate.",
            HorizonExceededWarning,
        )

    @staticmethod
    def _state_first_loss(run):
        """The first epoch's loss: the scale the inference gap is measured against (1 if unknown)."""
        first = run.state.first_epoch_loss
        return first if first else 1.0

    # -- inference -----------------------------------------------------------------

    def _raw_outputs(self, X):
        check_is_fitted(self)
        with explained_input_errors(X):
            X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32], accept_sparse="csr")
        dtype = self.net_.params.dtype
        with np.errstate(over="ignore", invalid="ignore"):
            # Scaled in chunks, so prediction never holds a scaled copy of all of X.
            Z = np.concatenate(
                [
                    self.net_.infer(self._scale_inputs(X[start : start + SCALE_CHUNK_ROWS], dtype))
                    for start in range(0, X.shape[0], SCALE_CHUNK_ROWS)
                ]
            )
        if not np.isfinite(Z).all():
            # Finite input, non-finite output: some activation overflowed the network's dtype.
            rows = ~np.isfinite(Z).all(axis=1)
            magnitude = abs(X[rows]).max(axis=0)
            magnitude = magnitude.toarray().ravel() if hasattr(magnitude, "toarray") else magnitude
            column = int(np.argmax(magnitude))
            raise ValueError(
                f"The network's outputs overflow {dtype} (largest value {np.finfo(dtype).max:.3g}) for "
                f"{int(rows.sum())} row(s) of X, whose largest values are in {self._column_label(column)} "
                f"(up to {magnitude[column]:.3g}). Scale the input like the training data (e.g. "
                "skstab.FeatureAligner in a pipeline)."
            )
        # The network computes in its own dtype; answer in the input's, as scikit-learn does.
        return Z.astype(X.dtype, copy=False)

    def _column_label(self, column):
        names = getattr(self, "feature_names_in_", None)
        return f"column {column}" + (f" ({names[column]!r})" if names is not None else "")

    def _check_range(self, X, dtype):
        """A ValueError naming a column of finite X that the compute dtype cannot represent."""
        limit = np.finfo(dtype).max
        if np.finfo(X.dtype).max <= limit:
            return
        values = X.data if not isinstance(X, np.ndarray) else X
        if values.size == 0 or (values.max() <= limit and values.min() >= -limit):
            return
        beyond = abs(X) > limit
        column = int(np.flatnonzero(np.asarray(beyond.sum(axis=0)).ravel())[0])
        raise ValueError(
            f"X's {self._column_label(column)} holds values beyond {np.dtype(dtype)}'s range "
            f"(+/-{limit:.3g}), and this network computes in {np.dtype(dtype)} "
            f"(compute_dtype={self.compute_dtype!r}). Set compute_dtype='float64' or scale the input "
            "(e.g. skstab.FeatureAligner)."
        )

    @property
    def coefs_(self):
        """Weight matrix of each dense layer, input to output (views)."""
        check_is_fitted(self)
        return [layer.params["W"] for layer in self.net_.layers if isinstance(layer, nn.Dense)]

    @property
    def intercepts_(self):
        """Bias vector of each dense layer, input to output (views)."""
        check_is_fitted(self)
        return [layer.params["b"] for layer in self.net_.layers if isinstance(layer, nn.Dense)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


@dataclass(frozen=True)
class _Data:
    """Validated training data: inputs and encoded targets in the compute dtype."""

    X: object
    Y: np.ndarray
    sample_weight: np.ndarray
    stratify: object


@dataclass(frozen=True)
class _Run:
    """What one call trains with: the network, optimizer, schedule, state and randomness."""

    net: nn.Sequential
    optimizer: optim.Optimizer
    schedule: optim.Schedule
    state: TrainingState
    rng: np.random.Generator
    split_seed: int
    n_validation: int
    spec: dict
