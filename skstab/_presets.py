"""The guide's decision matrix as presets, and the estimators' configuration methods.

:data:`PRESETS` holds one set of estimator parameters per row of the guide's
"Decision Matrix". :class:`_ConfigMixin` gives the estimators
``from_preset``, ``from_config`` and ``get_config``, written against
``cls(**params)`` and ``get_params()`` only: this module never imports the
estimators.
"""

from collections.abc import Mapping
from types import MappingProxyType

from ._config import TrainingConfig

# -- presets ------------------------------------------------------------------------------

_LIMITED_MEMORY = {
    "optimizer": "sgd",
    "learning_rate_init": 0.1,
    "momentum": 0.9,
    "nesterovs_momentum": True,
    "weight_decay": 5e-4,
    "clip_norm": 1.0,
    "lr_schedule": "cosine",
    "warmup": 0.05,
    "normalization": "auto",
    "batch_size": 32,
}
_RAPID_PROTOTYPING = {
    "optimizer": "adam",
    "learning_rate_init": 1e-3,
    "weight_decay": 0.0,
    "clip_norm": 1.0,
    "lr_schedule": "constant",
    "warmup": 0.05,
    "normalization": "auto",
    "batch_size": 32,
}
_FINE_TUNING = {
    "optimizer": "adamw",
    "learning_rate_init": 1e-3,
    "weight_decay": 0.01,
    "clip_norm": 1.0,
    "lr_schedule": "cosine",
    "warmup": 0.05,
    "normalization": "auto",
    "batch_size": 32,
}
_SMALL_BATCH = {
    "optimizer": "rmsprop",
    "learning_rate_init": 3e-4,
    "weight_decay": 0.0,
    "clip_norm": 1.0,
    "lr_schedule": "cosine",
    "warmup": 0.05,
    "normalization": "layer",
    "batch_size": 4,
}
_DISTRIBUTED = {
    "optimizer": "adam",
    "learning_rate_init": 3e-3,
    "weight_decay": 0.0,
    "clip_norm": 1.0,
    "lr_schedule": "step",
    "warmup": 0.05,
    "normalization": "batch",
    "batch_size": 128,
}

#: Estimator parameters for each row of the guide's "Decision Matrix", read-only.
#:
#: Every preset sets the same training recipe parameters (``optimizer``,
#: ``learning_rate_init``, ``weight_decay``, ``clip_norm``, ``lr_schedule``,
#: ``warmup``, ``normalization``, ``batch_size``) and leaves the network, the
#: number of epochs and the seed at the estimator's defaults. Use them through
#: ``Estimator.from_preset(name, **overrides)``, or as
#: ``Estimator(**PRESETS[name])``. All of them keep global gradient clipping
#: at norm 1 (pitfall 7) and a linear warmup over the first 5% of the updates
#: (pitfall 3). Each learning rate was picked from a sweep over half-decades on
#: ``load_digits`` behind :class:`~skstab.FeatureAligner` (checked against
#: ``load_diabetes``); with it every preset reaches about 0.98 test accuracy
#: on digits.
#:
#: ``"limited-memory"``
#:     Row "Limited VRAM, large models": SGD with Nesterov momentum 0.9 and
#:     cosine decay. One state buffer per weight instead of Adam's two. SGD
#:     needs a larger learning rate than the adaptive optimizers: 0.1, with
#:     the light L2 penalty of 5e-4 usual for SGD.
#: ``"rapid-prototyping"``
#:     Row "Rapid prototyping, tabular data": Adam with a linear warmup over
#:     the first 5% of the updates, then a constant learning rate of 1e-3; no
#:     weight decay, so there is nothing to tune but the learning rate.
#: ``"fine-tuning"``
#:     Row "Vision fine-tuning, high accuracy target": AdamW (decoupled weight
#:     decay 0.01, pitfall 4) with gradient clipping at norm 1 (pitfall 7) and
#:     cosine decay after a 5% warmup. These are the estimators' defaults,
#:     except for the learning rate: the guide's 1e-3, a third of the default,
#:     as befits fine-tuning.
#: ``"small-batch"``
#:     Row "Real-time inference, batch size < 4": layer normalization, which
#:     computes statistics per row and so does not depend on the batch
#:     (pitfall 2), with RMSProp at 3e-4 and batches of 4 rows, the edge of
#:     the row's regime; layer normalization works down to single rows, so
#:     override ``batch_size`` for smaller batches. The learning rate is
#:     small because every update sees only a few rows.
#: ``"distributed"``
#:     Row "Multi-GPU distributed training": batch normalization, Adam and
#:     step decay (the rate divided by 10 three times). Synchronized batch
#:     normalization, which pools batch statistics across devices, is out of
#:     scope for a single-process numpy library; the preset instead trains on
#:     global batches of 128 rows in one process, so every normalization
#:     layer already sees the statistics of the whole batch, which is what
#:     synchronization achieves across devices. The larger batch takes a
#:     larger rate than Adam's usual 1e-3: 3e-3.
PRESETS = MappingProxyType(
    {
        "limited-memory": MappingProxyType(_LIMITED_MEMORY),
        "rapid-prototyping": MappingProxyType(_RAPID_PROTOTYPING),
        "fine-tuning": MappingProxyType(_FINE_TUNING),
        "small-batch": MappingProxyType(_SMALL_BATCH),
        "distributed": MappingProxyType(_DISTRIBUTED),
    }
)

#: Names that users reach for from the template, and the estimator parameter they mean.
_PARAMETER_HINTS = {
    "lr": "learning_rate_init",
    "beta1": "beta_1",
    "beta2": "beta_2",
    "min_lr": "min_learning_rate",
    "epochs": "max_iter",
    "warmup_steps": "warmup",
    "scheduler": "lr_schedule",
}


class _ConfigMixin:
    """Build estimators from presets and configurations, and export their configuration.

    Written against ``cls(**params)`` and ``self.get_params()`` only, so any
    scikit-learn estimator whose parameters follow ``skstab._config.PARAMETER_FIELDS``
    can inherit it. It goes first in the bases.
    """

    @classmethod
    def _from_params(cls, params):
        valid = cls().get_params(deep=False)
        unknown = [name for name in params if name not in valid]
        if unknown:
            hints = [f"{n} -> {_PARAMETER_HINTS[n]}" for n in unknown if n in _PARAMETER_HINTS]
            hint = f" (did you mean: {', '.join(hints)}?)" if hints else ""
            raise TypeError(
                f"{cls.__name__} has no parameter(s) {unknown}{hint}; valid parameters are {sorted(valid)}."
            )
        return cls(**params)

    @classmethod
    def from_preset(cls, name, **overrides):
        """Build an estimator from a row of the guide's decision matrix.

        Parameters
        ----------
        name : {"limited-memory", "rapid-prototyping", "fine-tuning", \
"small-batch", "distributed"}
            Preset; see :data:`skstab.PRESETS` for what each one sets.
        **overrides
            Estimator parameters that replace the preset's or the defaults.

        Returns
        -------
        estimator : object
            An ordinary, unfitted estimator: ``get_params()`` shows every
            value, so ``clone`` and ``GridSearchCV`` treat it as any other.

        Raises
        ------
        ValueError
            For an unknown preset name, listing the valid ones.
        TypeError
            For overrides that are not parameters of the estimator.

        Examples
        --------
        >>> from skstab import PRESETS, StabilizedMLPClassifier
        >>> clf = StabilizedMLPClassifier.from_preset("limited-memory", random_state=0)
        >>> clf.get_params()["optimizer"], clf.get_params()["learning_rate_init"]
        ('sgd', 0.1)
        >>> clf.get_params() == StabilizedMLPClassifier(**PRESETS["limited-memory"], random_state=0).get_params()
        True
        """
        if not isinstance(name, str) or name not in PRESETS:
            raise ValueError(f"Unknown preset {name!r}; valid presets are {list(PRESETS)}.")
        return cls._from_params({**PRESETS[name], **overrides})

    @classmethod
    def from_config(cls, config, **overrides):
        """Build an estimator from a :class:`~skstab.TrainingConfig`.

        Parameters
        ----------
        config : TrainingConfig or dict
            The configuration; a dict is read with
            :meth:`TrainingConfig.from_dict` (either spelling). Use
            :meth:`TrainingConfig.from_json` for JSON text.
        **overrides
            Estimator parameters that replace the configuration's.

        Returns
        -------
        estimator : object
            An unfitted estimator with the configuration's parameters;
            parameters absent from ``config.model`` keep their defaults.

        Raises
        ------
        TypeError
            If ``config`` is neither a TrainingConfig nor a dict, or if
            ``config.model`` or the overrides hold names that are not
            parameters of the estimator (``class_weight`` for a regressor).

        Examples
        --------
        ``Estimator.from_config(config)`` builds ``Estimator(**config.to_params())``:

        >>> from skstab import StabilizedMLPRegressor, TrainingConfig
        >>> config = TrainingConfig(epochs=20, optimizer={"type": "adam", "lr": 0.01})
        >>> reg = StabilizedMLPRegressor(**config.to_params())
        >>> reg.get_params()["max_iter"], reg.get_params()["optimizer"]
        (20, 'adam')
        """
        if isinstance(config, Mapping):
            config = TrainingConfig.from_dict(config)
        elif not isinstance(config, TrainingConfig):
            raise TypeError(
                f"config must be a TrainingConfig or a dict, got {type(config).__name__}; read "
                "JSON with TrainingConfig.from_json and build presets with from_preset."
            )
        return cls._from_params({**config.to_params(), **overrides})

    def get_config(self):
        """This estimator's parameters as a :class:`~skstab.TrainingConfig`.

        Returns
        -------
        config : TrainingConfig
            Template fields from the matching parameters, every other
            parameter in ``model``; ``Estimator.from_config(config)`` gives
            back an estimator with equal ``get_params()``.

        Examples
        --------
        ``estimator.get_config()`` is
        ``TrainingConfig.from_params(estimator.get_params(deep=False))``:

        >>> from skstab import StabilizedMLPClassifier, TrainingConfig
        >>> clf = StabilizedMLPClassifier(hidden_layer_sizes=(32,), class_weight="balanced")
        >>> config = TrainingConfig.from_params(clf.get_params(deep=False))
        >>> config.optimizer.type, config.model["class_weight"]
        ('adamw', 'balanced')
        """
        return TrainingConfig.from_params(self.get_params(deep=False))
