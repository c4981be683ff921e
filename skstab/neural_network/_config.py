"""Training configurations: estimator parameters <-> the nested template. Never imports the estimators."""

import json
from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np

#: Estimator parameter -> (section or None for the top level, snake_case key, camelCase key); every other parameter
#: goes under ``"model"``. ``warmup`` is also read from ``warmup_steps`` (a whole number) and ``warmup_fraction``.
TEMPLATE_KEYS = {
    "batch_size": (None, "batch_size", "batchSize"),
    "max_iter": (None, "epochs", "epochs"),
    "warmup": (None, "warmup", "warmup"),
    "optimizer": ("optimizer", "type", "type"),
    "learning_rate_init": ("optimizer", "lr", "lr"),
    "beta_1": ("optimizer", "beta1", "beta1"),
    "beta_2": ("optimizer", "beta2", "beta2"),
    "epsilon": ("optimizer", "epsilon", "epsilon"),
    "weight_decay": ("optimizer", "weight_decay", "weightDecay"),
    "clip_norm": ("optimizer", "clip_norm", "clipNorm"),
    "lr_schedule": ("scheduler", "type", "type"),
    "min_learning_rate": ("scheduler", "min_lr", "minLR"),
    "decay_start_epoch": ("scheduler", "decay_start_epoch", "decayStartEpoch"),
    "normalization": ("normalization", "type", "type"),
    "norm_momentum": ("normalization", "momentum", "momentum"),
    "norm_epsilon": ("normalization", "epsilon", "epsilon"),
}
_WARMUP_STEPS, _WARMUP_FRACTION = ("warmup_steps", "warmupSteps"), ("warmup_fraction", "warmupFraction")
#: (section, key) -> estimator parameter, for reading either spelling.
_READ = {(sec, key): name for name, (sec, *keys) in TEMPLATE_KEYS.items() for key in keys}
_READ.update({(None, key): "warmup" for key in _WARMUP_STEPS + _WARMUP_FRACTION})
_SECTIONS = tuple(dict.fromkeys(sec for sec, *_ in TEMPLATE_KEYS.values() if sec))
#: Template keys mistaken for estimator parameters (``lr``, ``epochs``, ``scheduler``, ...) -> the parameter.
PARAMETER_HINTS = {(s if key == "type" else key): name for (s, key), name in _READ.items() if key not in TEMPLATE_KEYS}
#: JSON key of a dict whose keys are not all strings (``class_weight={0: 1.0, 1: 5.0}``).
_JSON_ITEMS = "__items__"


def _check_keys(where, data, valid):
    if not isinstance(data, Mapping):
        raise TypeError(f"{where} must be a mapping, got {data!r}.")
    if unknown := [key for key in data if key not in valid]:
        raise ValueError(f"Unknown key(s) {unknown} in {where}; valid keys are {sorted(valid)}.")


def _to_json_value(value, where):
    """``value`` in JSON types: sequences become lists, a dict with non-string keys an ``__items__`` list."""
    value = value.item() if isinstance(value, np.generic) else value
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (tuple, list, np.ndarray)):
        return [_to_json_value(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if not isinstance(value, Mapping):
        raise TypeError(f"{where}={value!r} has no JSON form; use numbers, strings, lists, dicts or None.")
    items = [(key, _to_json_value(item, f"{where}[{key!r}]")) for key, item in value.items()]
    if all(isinstance(key, str) for key, _ in items):
        return dict(items)
    return {_JSON_ITEMS: [[_to_json_value(key, f"{where} key"), item] for key, item in items]}


def _from_json_value(value):
    """Undo :func:`_to_json_value`: lists become tuples, an ``__items__`` list a dict again."""
    if isinstance(value, list):
        return tuple(map(_from_json_value, value))
    if not isinstance(value, dict):
        return value
    pairs = value[_JSON_ITEMS] if set(value) == {_JSON_ITEMS} else value.items()
    return {_from_json_value(key): _from_json_value(item) for key, item in pairs}


class TrainingConfig:
    """Estimator parameters, read from and written to the nested training-configuration template.

    It holds the parameters it is given, nothing else: those left out keep the estimator's defaults, and the estimator
    checks the values. ``get_config()``, :meth:`to_json`, :meth:`from_json` and ``from_config`` lose nothing.

    Parameters
    ----------
    **params
        Estimator parameters under their estimator names, as ``get_params()`` returns them.

    Notes
    -----
    Template keys in camelCase (snake_case: ``batch_size``, ``weight_decay``, ``min_lr``, ...) and their parameters:
    ``batchSize``, ``epochs`` (``max_iter``), ``warmupSteps`` (an int ``warmup``: optimizer steps) or ``warmupFraction``
    (a float ``warmup``: fraction of the run); ``optimizer``: ``type`` (``optimizer``; ``"sgd_momentum"`` is ``"sgd"``),
    ``lr`` (``learning_rate_init``), ``beta1``, ``beta2``, ``epsilon``, ``weightDecay``, ``clipNorm``; ``scheduler``:
    ``type`` (``lr_schedule``), ``minLR`` (``min_learning_rate``), ``decayStartEpoch``; ``normalization``: ``type``,
    ``momentum``, ``epsilon`` (``norm_*``); ``model``: any other parameter. JSON returns lists in ``model`` as tuples.

    Examples
    --------
    >>> from skstab import TrainingConfig
    >>> config = TrainingConfig.from_dict({"batchSize": 64, "warmupSteps": 100, "optimizer": {"type": "sgd_momentum"}})
    >>> config
    TrainingConfig(batch_size=64, warmup=100, optimizer='sgd')
    >>> print(TrainingConfig(hidden_layer_sizes=(64, 32), max_iter=20).to_json(camel_case=True, indent=None))
    {"epochs": 20, "model": {"hidden_layer_sizes": [64, 32]}}
    >>> TrainingConfig.from_json(config.to_json(camel_case=True)) == config
    True
    """

    def __init__(self, **params):
        self._params = params

    @classmethod
    def from_params(cls, params):
        """Build a configuration from estimator parameters, such as ``get_params(deep=False)``."""
        return cls(**params)

    def to_params(self):
        """The estimator parameters, as a new dict for ``Estimator(**params)``."""
        return dict(self._params)

    def __eq__(self, other):
        return self._params == other._params if isinstance(other, TrainingConfig) else NotImplemented

    def __repr__(self):
        return f"TrainingConfig({', '.join(f'{key}={value!r}' for key, value in self._params.items())})"

    def to_dict(self, camel_case=False):
        """The parameters held, in the template's nested layout (only their keys and sections).

        Parameters
        ----------
        camel_case : bool, default=False
            Write camelCase keys (``batchSize``, ``warmupSteps`` or ``warmupFraction``, ...) and ``"sgd_momentum"``.

        Returns
        -------
        data : dict
        """
        data = {}
        for name, (section, snake, camel) in TEMPLATE_KEYS.items():
            if name in self._params:
                key, value = (camel if camel_case else snake), self._params[name]
                if camel_case and name == "warmup":
                    key = "warmupSteps" if isinstance(value, Integral) else "warmupFraction"
                value = "sgd_momentum" if camel_case and name == "optimizer" and value == "sgd" else value
                (data.setdefault(section, {}) if section else data)[key] = value
        model = {key: value for key, value in self._params.items() if key not in TEMPLATE_KEYS}
        return {**data, "model": model} if model else data

    @classmethod
    def from_dict(cls, data):
        """Read the template's nested layout, with camelCase or snake_case keys, all optional.

        Raises ValueError for an unknown key (naming the valid ones) or a parameter given twice (in two spellings), and
        TypeError for a section that is not a mapping or a ``warmupSteps`` that is not a whole number.

        Parameters
        ----------
        data : mapping
            As :meth:`to_dict` writes it.

        Returns
        -------
        config : TrainingConfig
        """
        _check_keys("TrainingConfig", data, {key for sec, key in _READ if sec is None} | {*_SECTIONS, "model"})
        entries = [(None, key, value) for key, value in data.items() if key not in (*_SECTIONS, "model")]
        for section in [key for key in data if key in _SECTIONS]:
            _check_keys(section, data[section], {key for sec, key in _READ if sec == section})
            entries += [(section, key, value) for key, value in data[section].items()]
        model = data.get("model", {})
        if not isinstance(model, Mapping):
            raise TypeError(f"model must be a mapping of estimator parameters, got {model!r}.")
        params, given_as = {}, {}
        for section, key, value in entries + [("model", key, value) for key, value in model.items()]:
            name = key if section == "model" else _READ[section, key]
            if name in params:
                raise ValueError(f"{name} is given twice (as {given_as[name]!r} and {key!r}).")
            if key in _WARMUP_STEPS:
                if isinstance(value, bool) or not isinstance(value, Real) or not float(value).is_integer():
                    raise TypeError(f"{key} must be a whole number of optimizer steps, got {value!r}.")
                value = int(value)
            elif key in _WARMUP_FRACTION and isinstance(value, Real) and not isinstance(value, bool):
                value = float(value)
            elif name == "optimizer" and isinstance(value, str) and value == "sgd_momentum":
                value = "sgd"
            params[name], given_as[name] = value, key
        return cls(**params)

    def to_json(self, camel_case=False, **json_kwargs):
        """The parameters as JSON text in the layout of :meth:`to_dict`; ``json_kwargs`` go to :func:`json.dumps`.

        ``indent`` defaults to 2. A dict with non-string keys is written as ``{"__items__": [[key, value], ...]}``,
        infinity as ``Infinity``; a value with no JSON form (a ``RandomState``, say) raises TypeError naming it.
        """
        json_kwargs.setdefault("indent", 2)
        return json.dumps(_to_json_value(self.to_dict(camel_case), "config"), **json_kwargs)

    @classmethod
    def from_json(cls, text):
        """Read JSON text with camelCase or snake_case keys; see :meth:`from_dict`."""
        return cls.from_dict(_from_json_value(json.loads(text)))
