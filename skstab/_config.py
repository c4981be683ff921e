"""Training configurations: the guide's configuration template as data.

:class:`TrainingConfig` mirrors the "Configuration Template" of the
training-stability guide, section by section, plus a ``model`` section for
every estimator parameter the template has no field for, so that an
estimator's parameters survive a trip through a configuration (and through
JSON) unchanged. The presets and the estimators' ``from_preset``,
``from_config`` and ``get_config`` live in ``_presets.py``.

This module never imports the estimators.
"""

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from numbers import Integral, Real
from types import MappingProxyType
from typing import ClassVar

import numpy as np

__all__ = [
    "NormalizationConfig",
    "OptimizerConfig",
    "SchedulerConfig",
    "TrainingConfig",
]

OPTIMIZER_TYPES = ("adamw", "adam", "sgd", "rmsprop")
SCHEDULER_TYPES = ("cosine", "step", "linear", "constant")
NORMALIZATION_TYPES = ("batch", "layer", "group", "auto", None)
#: Spellings of the guide's template read as one of ``OPTIMIZER_TYPES``.
OPTIMIZER_ALIASES = MappingProxyType({"sgd_momentum": "sgd"})
#: Key of the JSON object that stands for a dict whose keys are not all strings
#: (``class_weight={0: 1.0, 1: 5.0}``): JSON object keys can only be strings.
JSON_ITEMS_KEY = "__items__"


# -- validation helpers -----------------------------------------------------------------


def _check_choice(where, value, choices, aliases=MappingProxyType({})):
    if value is not None and not isinstance(value, str):
        raise TypeError(f"Invalid {where}: {value!r} (expected one of {list(choices)})")
    value = aliases.get(value, value)
    if value not in choices:
        valid = list(choices) + list(aliases)
        raise ValueError(f"Invalid {where}: {value!r} (expected one of {valid})")
    return value


def _check_real(where, value, *, allow_none=False):
    if value is None and allow_none:
        return
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
        expected = "a real number or None" if allow_none else "a real number"
        raise TypeError(f"Invalid {where}: {value!r} (expected {expected})")


def _check_int(where, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral):
        raise TypeError(f"Invalid {where}: {value!r} (expected an integer)")


def _check_keys(where, data, known):
    """Raise ValueError naming every key of ``data`` not in ``known`` (a name -> spelling dict)."""
    if not isinstance(data, Mapping):
        raise TypeError(f"Invalid {where}: {data!r} (expected a mapping)")
    unknown = [key for key in data if key not in known]
    if unknown:
        raise ValueError(f"Unknown key(s) {unknown} in {where}; valid keys are {sorted(set(known))}.")


# -- sections -----------------------------------------------------------------------------


class _Section(ABC):
    """Shared plumbing of the template's sections: validation, dicts, both spellings."""

    #: Python field name -> the template's camelCase key, where they differ.
    _CAMEL: ClassVar[dict] = {}
    _NAME: ClassVar[str] = ""

    def __post_init__(self):
        self._validate()

    @abstractmethod
    def _validate(self):
        """Raise TypeError or ValueError for a field of the wrong type or vocabulary."""

    def to_dict(self, camel_case=False):
        """The section as a plain dict, with snake_case or the template's camelCase keys."""
        self._validate()
        return {
            (self._CAMEL.get(f.name, f.name) if camel_case else f.name): getattr(self, f.name) for f in fields(self)
        }

    @classmethod
    def from_dict(cls, data):
        """Build the section from a dict in either spelling; missing keys keep defaults."""
        spellings = {f.name: f.name for f in fields(cls)}
        spellings.update({camel: name for name, camel in cls._CAMEL.items()})
        _check_keys(cls._NAME, data, spellings)
        kwargs = {}
        for key, value in data.items():
            name = spellings[key]
            if name in kwargs:
                raise ValueError(f"{cls._NAME}.{name} is given twice (as {name!r} and {cls._CAMEL[name]!r}).")
            kwargs[name] = value
        return cls(**kwargs)


@dataclass
class OptimizerConfig(_Section):
    """The ``optimizer`` section of :class:`TrainingConfig`.

    Parameters
    ----------
    type : {"adamw", "adam", "sgd", "rmsprop"}, default="adamw"
        Estimator parameter ``optimizer``. The template's ``"sgd_momentum"``
        is read as ``"sgd"``; SGD's momentum itself is the ``momentum``
        parameter of the ``model`` section (``momentum=0`` is plain SGD).
    lr : float, default=3e-3
        Estimator parameter ``learning_rate_init``, the peak learning rate.
    beta1 : float, default=0.9
        Estimator parameter ``beta_1``.
    beta2 : float, default=0.999
        Estimator parameter ``beta_2``.
    epsilon : float, default=1e-8
        Estimator parameter ``epsilon``.
    weight_decay : float, default=0.01
        Estimator parameter ``weight_decay``; template key ``weightDecay``.
    clip_norm : float or None, default=1.0
        Estimator parameter ``clip_norm``; template key ``clipNorm``.
        ``None`` turns clipping off.

    Examples
    --------
    >>> from skstab import OptimizerConfig
    >>> section = OptimizerConfig.from_dict({"type": "sgd_momentum", "lr": 0.1, "weightDecay": 0.0})
    >>> section.type, section.lr, section.weight_decay
    ('sgd', 0.1, 0.0)
    >>> section.to_dict(camel_case=True)["type"]
    'sgd_momentum'
    """

    _CAMEL: ClassVar[dict] = {"weight_decay": "weightDecay", "clip_norm": "clipNorm"}
    _NAME: ClassVar[str] = "optimizer"

    type: str = "adamw"
    lr: float = 3e-3
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8
    weight_decay: float = 0.01
    clip_norm: float | None = 1.0

    def _validate(self):
        self.type = _check_choice("optimizer.type", self.type, OPTIMIZER_TYPES, OPTIMIZER_ALIASES)
        for name in ("lr", "beta1", "beta2", "epsilon", "weight_decay"):
            _check_real(f"optimizer.{name}", getattr(self, name))
        _check_real("optimizer.clip_norm", self.clip_norm, allow_none=True)

    def to_dict(self, camel_case=False):
        """The section as a plain dict, with snake_case or the template's camelCase keys.

        In camelCase, ``type="sgd"`` is written as the template's ``"sgd_momentum"``.
        """
        data = super().to_dict(camel_case)
        if camel_case and data["type"] == "sgd":
            data["type"] = "sgd_momentum"
        return data


@dataclass
class SchedulerConfig(_Section):
    """The ``scheduler`` section of :class:`TrainingConfig`.

    Parameters
    ----------
    type : {"cosine", "step", "linear", "constant"}, default="cosine"
        Estimator parameter ``lr_schedule``. ``"constant"`` is not in the
        template: it holds the peak rate after the warmup.
    min_lr : float, default=1e-5
        Estimator parameter ``min_learning_rate``; template key ``minLR``.
    decay_start_epoch : float, default=0
        Estimator parameter ``decay_start_epoch``; template key
        ``decayStartEpoch``.
    """

    _CAMEL: ClassVar[dict] = {"min_lr": "minLR", "decay_start_epoch": "decayStartEpoch"}
    _NAME: ClassVar[str] = "scheduler"

    type: str = "cosine"
    min_lr: float = 1e-5
    decay_start_epoch: float = 0

    def _validate(self):
        self.type = _check_choice("scheduler.type", self.type, SCHEDULER_TYPES)
        _check_real("scheduler.min_lr", self.min_lr)
        _check_real("scheduler.decay_start_epoch", self.decay_start_epoch)


@dataclass
class NormalizationConfig(_Section):
    """The ``normalization`` section of :class:`TrainingConfig`.

    Parameters
    ----------
    type : {"batch", "layer", "group", "auto"} or None, default="auto"
        Estimator parameter ``normalization``. ``"auto"`` (batch
        normalization for batches of at least 8 rows, layer normalization
        below) and ``None`` (no normalization) are not in the template.
    momentum : float, default=0.9
        Estimator parameter ``norm_momentum``: weight of the old running
        statistics of batch normalization.
    epsilon : float, default=1e-5
        Estimator parameter ``norm_epsilon``.
    """

    _NAME: ClassVar[str] = "normalization"

    type: str | None = "auto"
    momentum: float = 0.9
    epsilon: float = 1e-5

    def _validate(self):
        self.type = _check_choice("normalization.type", self.type, NORMALIZATION_TYPES)
        _check_real("normalization.momentum", self.momentum)
        _check_real("normalization.epsilon", self.epsilon)


_SECTIONS = {
    "optimizer": OptimizerConfig,
    "scheduler": SchedulerConfig,
    "normalization": NormalizationConfig,
}

#: Estimator parameter -> (section, field) of TrainingConfig; section None is the top level.
#: Every other estimator parameter lives in ``TrainingConfig.model``.
PARAMETER_FIELDS = {
    "optimizer": ("optimizer", "type"),
    "learning_rate_init": ("optimizer", "lr"),
    "beta_1": ("optimizer", "beta1"),
    "beta_2": ("optimizer", "beta2"),
    "epsilon": ("optimizer", "epsilon"),
    "weight_decay": ("optimizer", "weight_decay"),
    "clip_norm": ("optimizer", "clip_norm"),
    "lr_schedule": ("scheduler", "type"),
    "min_learning_rate": ("scheduler", "min_lr"),
    "decay_start_epoch": ("scheduler", "decay_start_epoch"),
    "normalization": ("normalization", "type"),
    "norm_momentum": ("normalization", "momentum"),
    "norm_epsilon": ("normalization", "epsilon"),
    "batch_size": (None, "batch_size"),
    "max_iter": (None, "epochs"),
    "warmup": (None, "warmup"),
}


# -- JSON values --------------------------------------------------------------------------


def _to_json_value(value, where):
    """``value`` made of JSON types: tuples and arrays become lists, numpy scalars Python ones."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        return float(value)
    if isinstance(value, (tuple, list, np.ndarray)):
        return [_to_json_value(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, Mapping):
        if all(isinstance(key, str) for key in value):
            return {key: _to_json_value(item, f"{where}[{key!r}]") for key, item in value.items()}
        return {
            JSON_ITEMS_KEY: [
                [_to_json_value(key, f"{where} key"), _to_json_value(item, f"{where}[{key!r}]")]
                for key, item in value.items()
            ]
        }
    raise TypeError(
        f"{where}={value!r} cannot be written to JSON; use None, a number, a string, or a "
        "list or dict of them (an int instead of a RandomState, for example)."
    )


def _from_json_value(value):
    """Undo :func:`_to_json_value` for a ``model`` value: lists become tuples again."""
    if isinstance(value, list):
        return tuple(_from_json_value(item) for item in value)
    if isinstance(value, dict):
        if set(value) == {JSON_ITEMS_KEY}:
            pairs = value[JSON_ITEMS_KEY]
            return {_from_json_value(key): _from_json_value(item) for key, item in pairs}
        return {key: _from_json_value(item) for key, item in value.items()}
    return value


# -- the configuration --------------------------------------------------------------------

_WARMUP_KEYS = ("warmup", "warmup_steps", "warmupSteps", "warmup_fraction", "warmupFraction")
_TOP_SPELLINGS = {
    "batch_size": "batch_size",
    "batchSize": "batch_size",
    "epochs": "epochs",
    **{key: "warmup" for key in _WARMUP_KEYS},
    **{name: name for name in _SECTIONS},
    "model": "model",
}


@dataclass
class TrainingConfig:
    """A training configuration: the guide's template plus every other estimator parameter.

    ``estimator.get_config()`` and ``Estimator.from_config(config)`` convert
    between estimators and configurations without loss, and
    ``TrainingConfig.from_json(config.to_json()) == config``. Field names are
    snake_case; :meth:`from_dict` and :meth:`from_json` also read the
    template's camelCase keys, and ``to_dict(camel_case=True)`` writes them.

    Parameters
    ----------
    batch_size : int, default=32
        Estimator parameter ``batch_size``; template key ``batchSize``.
    epochs : int, default=50
        Estimator parameter ``max_iter``.
    warmup : int or float, default=0.05
        Estimator parameter ``warmup``: an int is a number of optimizer
        steps (the template's ``warmupSteps``), a float in ``[0, 1)`` a
        fraction of all steps of the run. Read from ``warmup``,
        ``warmupSteps``/``warmup_steps`` (must be a whole number) or
        ``warmupFraction``/``warmup_fraction``; written in camelCase as
        ``warmupSteps`` for an int and ``warmupFraction`` for a float.
    optimizer : OptimizerConfig or dict, default=OptimizerConfig()
        Optimizer type, learning rate, Adam's moments, weight decay and
        gradient clipping.
    scheduler : SchedulerConfig or dict, default=SchedulerConfig()
        Learning-rate decay after the warmup.
    normalization : NormalizationConfig or dict, default=NormalizationConfig()
        Normalization after each hidden dense layer.
    model : dict, default={}
        Every other estimator parameter, under its estimator name
        (``hidden_layer_sizes``, ``activation``, ``momentum``, ``random_state``,
        ``early_stopping``, ``class_weight``, ...). Parameters left out keep
        the estimator's defaults. Keys stay snake_case in both spellings.

    Notes
    -----
    The defaults are the estimators' defaults. They differ from the guide's
    ``defaultConfig`` in three places: the learning rate is 3e-3 rather than
    1e-3 (measured on small tabular data sets), ``warmup`` is 5% of the run
    rather than 500 steps (500 steps outlast a whole run on small tabular
    data), and normalization is ``"auto"`` rather than ``"batch"`` (batch
    normalization only when batches hold at least 8 rows: pitfall 2).

    JSON has no tuples: lists in the ``model`` section are read back as
    tuples, the estimators' convention for sequence parameters, so a
    parameter given as a list comes back from JSON as an equal tuple. A dict
    whose keys are not all strings, such as ``class_weight={0: 1, 1: 5}``,
    is written as ``{"__items__": [[0, 1], [1, 5]]}`` so its keys keep their
    type. An infinite ``n_iter_no_change`` is written as ``Infinity``, as
    Python's :mod:`json` does.

    Examples
    --------
    >>> from skstab import TrainingConfig
    >>> config = TrainingConfig.from_json(
    ...     '{"batchSize": 64, "optimizer": {"type": "sgd_momentum", "lr": 0.05},'
    ...     ' "model": {"hidden_layer_sizes": [64, 32]}}'
    ... )
    >>> config.optimizer.type, config.batch_size, config.model
    ('sgd', 64, {'hidden_layer_sizes': (64, 32)})
    >>> params = config.to_params()
    >>> params["optimizer"], params["learning_rate_init"], params["max_iter"]
    ('sgd', 0.05, 50)
    >>> TrainingConfig.from_json(config.to_json()) == config
    True
    """

    batch_size: int = 32
    epochs: int = 50
    warmup: int | float = 0.05
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    scheduler: SchedulerConfig = field(default_factory=SchedulerConfig)
    normalization: NormalizationConfig = field(default_factory=NormalizationConfig)
    model: dict = field(default_factory=dict)

    def __post_init__(self):
        for name, section in _SECTIONS.items():
            value = getattr(self, name)
            if isinstance(value, Mapping):
                setattr(self, name, section.from_dict(value))
        self._validate()

    def _validate(self):
        _check_int("batch_size", self.batch_size)
        _check_int("epochs", self.epochs)
        _check_real("warmup", self.warmup)
        for name, section in _SECTIONS.items():
            value = getattr(self, name)
            if not isinstance(value, section):
                raise TypeError(f"Invalid {name}: {value!r} (expected a {section.__name__} or a dict)")
            value._validate()
        if not isinstance(self.model, dict):
            raise TypeError(f"Invalid model: {self.model!r} (expected a dict of estimator parameters)")
        bad_keys = [key for key in self.model if not isinstance(key, str)]
        if bad_keys:
            raise TypeError(f"Invalid model keys {bad_keys} (expected parameter names)")
        misplaced = [key for key in self.model if key in PARAMETER_FIELDS]
        if misplaced:
            where = ", ".join(
                f"{key} -> {'.'.join(part for part in PARAMETER_FIELDS[key] if part)}" for key in misplaced
            )
            raise ValueError(f"model holds parameters that have their own field ({where}); set those instead.")

    # -- estimator parameters ------------------------------------------------------------

    @classmethod
    def from_params(cls, params):
        """Build a configuration from estimator parameters, as ``get_params()`` returns them.

        Parameters
        ----------
        params : dict
            Estimator parameters. Those with a template field fill it; the
            others go to ``model``. Template fields left out keep their
            defaults.

        Returns
        -------
        config : TrainingConfig
        """
        top, sections, model = {}, {name: {} for name in _SECTIONS}, {}
        for name, value in params.items():
            section, key = PARAMETER_FIELDS.get(name, ("model", name))
            if section is None:
                top[key] = value
            elif section == "model":
                model[key] = value
            else:
                sections[section][key] = value
        return cls(
            **top,
            **{name: _SECTIONS[name](**values) for name, values in sections.items()},
            model=model,
        )

    def to_params(self):
        """The estimator parameters of this configuration.

        Returns
        -------
        params : dict
            Every template field under its estimator name, plus the ``model``
            section; pass it to an estimator as ``Estimator(**params)``.
        """
        self._validate()
        params = dict(self.model)
        for name, (section, key) in PARAMETER_FIELDS.items():
            params[name] = getattr(self if section is None else getattr(self, section), key)
        return params

    # -- dicts and JSON ------------------------------------------------------------------

    def to_dict(self, camel_case=False):
        """The configuration as nested plain dicts.

        Parameters
        ----------
        camel_case : bool, default=False
            Write the template's keys (``batchSize``, ``weightDecay``,
            ``minLR``, ...) instead of the Python field names. ``model`` keys
            are estimator parameter names either way.

        Returns
        -------
        data : dict
            Top-level fields, then ``optimizer``, ``scheduler``,
            ``normalization`` and ``model`` dicts.
        """
        self._validate()
        if camel_case:
            is_steps = isinstance(self.warmup, Integral)
            top = {
                "batchSize": self.batch_size,
                "epochs": self.epochs,
                ("warmupSteps" if is_steps else "warmupFraction"): self.warmup,
            }
        else:
            top = {"batch_size": self.batch_size, "epochs": self.epochs, "warmup": self.warmup}
        sections = {name: getattr(self, name).to_dict(camel_case) for name in _SECTIONS}
        return {**top, **sections, "model": dict(self.model)}

    @classmethod
    def from_dict(cls, data):
        """Build a configuration from nested dicts with snake_case or camelCase keys.

        Parameters
        ----------
        data : dict
            As :meth:`to_dict` returns it, in either spelling, or the guide's
            template. Missing keys keep their defaults.

        Returns
        -------
        config : TrainingConfig

        Raises
        ------
        ValueError
            For unknown keys, naming them, and for a field given twice.
        TypeError
            For values of the wrong type, naming the field.
        """
        _check_keys("TrainingConfig", data, _TOP_SPELLINGS)
        kwargs = {}
        for key, value in data.items():
            name = _TOP_SPELLINGS[key]
            if name in kwargs:
                raise ValueError(f"TrainingConfig.{name} is given twice (the second time as {key!r}).")
            if key in ("warmup_steps", "warmupSteps"):
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                _check_int(key, value)
            elif key in ("warmup_fraction", "warmupFraction"):
                _check_real(key, value)
                value = float(value)
            elif name in _SECTIONS:
                value = _SECTIONS[name].from_dict(value)
            elif name == "model":
                if not isinstance(value, Mapping):
                    raise TypeError(f"Invalid model: {value!r} (expected a dict of estimator parameters)")
                value = dict(value)
            kwargs[name] = value
        return cls(**kwargs)

    def to_json(self, camel_case=False, **kwargs):
        """The configuration as JSON text.

        Parameters
        ----------
        camel_case : bool, default=False
            Write the template's camelCase keys; see :meth:`to_dict`.
        **kwargs
            Passed to :func:`json.dumps`; ``indent`` defaults to 2.

        Returns
        -------
        text : str

        Raises
        ------
        TypeError
            If a ``model`` value has no JSON form (a ``RandomState`` passed
            as ``random_state``, say), naming the parameter.
        """
        kwargs.setdefault("indent", 2)
        return json.dumps(_to_json_value(self.to_dict(camel_case), "config"), **kwargs)

    @classmethod
    def from_json(cls, text):
        """Read a configuration written by :meth:`to_json`, or the guide's template as JSON.

        Parameters
        ----------
        text : str
            A JSON object with snake_case or camelCase keys.

        Returns
        -------
        config : TrainingConfig
        """
        data = json.loads(text)
        if not isinstance(data, dict):
            raise TypeError(f"Expected a JSON object, got {type(data).__name__}.")
        if isinstance(data.get("model"), dict):
            data["model"] = {key: _from_json_value(value) for key, value in data["model"].items()}
        return cls.from_dict(data)
