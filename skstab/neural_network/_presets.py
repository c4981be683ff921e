"""Presets, and the estimators' ``from_preset``, ``from_config`` and ``get_config`` (not importing the estimators)."""

from collections.abc import Mapping
from types import MappingProxyType

from ._config import PARAMETER_HINTS, TrainingConfig

_PRESETS = {
    "limited-memory": dict(optimizer="sgd", learning_rate_init=0.1, weight_decay=5e-4, batch_size=32),
    "rapid-prototyping": dict(
        optimizer="adam", learning_rate_init=1e-3, weight_decay=0.0, lr_schedule="constant", batch_size=32
    ),
    "fine-tuning": dict(learning_rate_init=1e-3, batch_size=32),
    "small-batch": dict(
        optimizer="rmsprop", learning_rate_init=3e-4, weight_decay=0.0, normalization="layer", batch_size=4
    ),
    "distributed": dict(optimizer="adam", weight_decay=0.0, lr_schedule="step", normalization="batch", batch_size=128),
}
#: Five training recipes (read-only), each as its differences from the estimators' defaults (AdamW with weight decay,
#: gradient clipping, a linear warmup then cosine decay, batches sized by the table). The guide's matrix gives the
#: first three batches of 32 rows, whatever the table's size.
#:
#: - ``"limited-memory"``: SGD with Nesterov momentum, for large networks when memory is short (one state buffer per
#:   weight instead of Adam's two), at the larger rate SGD needs, 0.1, with a light weight decay, 5e-4.
#: - ``"rapid-prototyping"``: Adam at a constant 1e-3 after the warmup, without weight decay; little to tune.
#: - ``"fine-tuning"``: the defaults at a third of their learning rate, 1e-3, for careful high-accuracy runs.
#: - ``"small-batch"``: layer normalization, independent of the batch, and RMSProp at 3e-4 on batches of 4 rows.
#: - ``"distributed"``: batch normalization on large batches of 128 rows, Adam, and step decay (the rate divided by 10
#:   three times).
PRESETS = MappingProxyType({name: MappingProxyType(params) for name, params in _PRESETS.items()})


class _ConfigMixin:
    """``from_preset``, ``from_config`` and ``get_config`` for an estimator; it goes first in the bases."""

    @classmethod
    def _from_params(cls, params):
        valid = cls().get_params(deep=False)
        unknown = [name for name in params if name not in valid]
        if unknown:
            hints = [f"{name} -> {PARAMETER_HINTS[name]}" for name in unknown if name in PARAMETER_HINTS]
            hint = f" (did you mean: {', '.join(hints)}?)" if hints else ""
            raise TypeError(f"{cls.__name__} has no parameter(s) {unknown}{hint}; valid ones are {sorted(valid)}.")
        estimator = cls(**params)
        estimator._validate_params()  # a bad value fails here, naming its parameter
        return estimator

    @classmethod
    def from_preset(cls, name, **overrides):
        """Build an estimator from a preset of :data:`skstab.PRESETS`.

        Parameters
        ----------
        name : {"limited-memory", "rapid-prototyping", "fine-tuning", "small-batch", "distributed"}
        **overrides
            Estimator parameters that replace the preset's.

        Returns
        -------
        estimator : object
            An ordinary unfitted estimator whose ``get_params()`` shows every value.

        Examples
        --------
        >>> from skstab import StabilizedMLPClassifier
        >>> clf = StabilizedMLPClassifier.from_preset("limited-memory", random_state=0)
        >>> clf.optimizer, clf.learning_rate_init, clf.lr_schedule, clf.random_state
        ('sgd', 0.1, 'cosine', 0)
        """
        if not isinstance(name, str) or name not in PRESETS:
            raise ValueError(f"Unknown preset {name!r}; valid presets are {list(PRESETS)}.")
        return cls._from_params({**PRESETS[name], **overrides})

    @classmethod
    def from_config(cls, config, **overrides):
        """Build an estimator from a :class:`~skstab.TrainingConfig`, or a dict read by its ``from_dict``.

        Parameters
        ----------
        config : TrainingConfig or dict
            The configuration; parameters it leaves out keep the estimator's defaults.
        **overrides
            Estimator parameters that replace the configuration's.

        Returns
        -------
        estimator : object
            Unfitted, its parameters checked: an invalid value raises ``InvalidParameterError`` naming it.

        Examples
        --------
        >>> from skstab import StabilizedMLPRegressor
        >>> reg = StabilizedMLPRegressor.from_config({"epochs": 20, "optimizer": {"type": "adam", "lr": 0.01}})
        >>> reg.max_iter, reg.optimizer, reg.learning_rate_init, reg.batch_size
        (20, 'adam', 0.01, 'auto')
        """
        if isinstance(config, Mapping):
            config = TrainingConfig.from_dict(config)
        elif not isinstance(config, TrainingConfig):
            raise TypeError(f"config must be a TrainingConfig or a dict, got {type(config).__name__}.")
        return cls._from_params({**config.to_params(), **overrides})

    def get_config(self):
        """This estimator's parameters, ``get_params(deep=False)``, as a :class:`~skstab.TrainingConfig`."""
        return TrainingConfig.from_params(self.get_params(deep=False))
