"""Build the network, optimizer and schedule that an estimator's parameters describe.

The estimator's parameters are the only configuration: every builder reads
them from a ``get_params()``-style mapping and looks the chosen class up in
its registry (:data:`skstab.nn.NORMALIZATIONS`, :data:`skstab.optim.OPTIMIZERS`,
:data:`skstab.optim.SCHEDULES`). A class receives the arguments it names in
its constructor among those offered, so a new registry entry needs no change
here. This module never imports the estimators.
"""

import inspect
from numbers import Integral

from . import nn, optim
from ._training import MIN_BATCH_ROWS

#: Activations whose variance-preserving initialisation is He's; the others get Glorot's.
_HE_ACTIVATIONS = frozenset({"relu", "gelu"})
#: Offered optimizer arguments that, as in scikit-learn's MLP, belong to one
#: optimizer only: RMSProp has a momentum term of its own, which the
#: estimators leave at zero.
_OPTIMIZER_ONLY = {"momentum": "sgd", "nesterov": "sgd"}


def build_from_registry(registry, name, offered):
    """``registry[name]`` built with the arguments of ``offered`` that its constructor names.

    Examples
    --------
    >>> from skstab import optim
    >>> build_from_registry(optim.OPTIMIZERS, "sgd", {"momentum": 0.5, "beta_1": 0.9})
    SGD(momentum=0.5, nesterov=False, weight_decay=0.0, decay_mask=None, lr_factors=None)
    """
    cls = registry[name]
    accepted = inspect.signature(cls).parameters
    return cls(**{key: value for key, value in offered.items() if key in accepted})


def hidden_sizes(params):
    """``hidden_layer_sizes`` as a list of positive ints, or a ValueError naming the value."""
    value = params["hidden_layer_sizes"]
    sizes = [value] if isinstance(value, Integral) else list(value)
    if not sizes or not all(isinstance(size, Integral) and not isinstance(size, bool) and size > 0 for size in sizes):
        raise ValueError(f"hidden_layer_sizes must be positive integers, got {value!r}.")
    return [int(size) for size in sizes]


def resolve_normalization(params, n_train):
    """The normalization the network gets: ``"auto"`` is batch norm for batches of 8+ rows, else layer norm."""
    kind = params["normalization"]
    if kind == "auto":
        kind = "batch" if min(params["batch_size"], n_train) >= MIN_BATCH_ROWS else "layer"
    if kind == "group":
        for width in hidden_sizes(params):
            if width % params["n_groups"]:
                raise ValueError(
                    f"normalization='group' needs every hidden layer width to be a multiple of "
                    f"n_groups={params['n_groups']}, but one layer has {width} units. Change "
                    "n_groups or hidden_layer_sizes."
                )
    return kind


def build_network(params, n_features, n_outputs, normalization, rng, dtype):
    """``Dense -> normalization -> activation`` per hidden layer, then a dense output layer, built."""
    init = "he" if params["activation"] in _HE_ACTIVATIONS else "glorot"
    offered = {"momentum": params["norm_momentum"], "epsilon": params["norm_epsilon"], "n_groups": params["n_groups"]}
    layers = []
    for width in hidden_sizes(params):
        layers.append(nn.Dense(width, init=init))
        if normalization is not None:
            layers.append(build_from_registry(nn.NORMALIZATIONS, normalization, offered))
        layers.append(nn.ACTIVATIONS[params["activation"]]())
    layers.append(nn.Dense(n_outputs, init="glorot"))
    net = nn.Sequential(layers)
    net.build(n_features, rng, dtype=dtype)
    return net


def build_schedule(params, steps_per_epoch):
    """The learning-rate schedule of a run of ``max_iter`` epochs of ``steps_per_epoch`` updates."""
    offered = {
        "learning_rate_init": params["learning_rate_init"],
        "n_epochs": params["max_iter"],
        "steps_per_epoch": steps_per_epoch,
        "warmup": params["warmup"],
        "decay_start_epoch": params["decay_start_epoch"],
        "min_learning_rate": params["min_learning_rate"],
    }
    return build_from_registry(optim.SCHEDULES, params["lr_schedule"], offered)


def build_optimizer(params, decay_mask, warmup_steps):
    """The optimizer, decaying the weights ``decay_mask`` marks; ``beta_1_warmup`` spans the schedule's warmup."""
    offered = {
        "weight_decay": params["weight_decay"],
        "decay_mask": decay_mask,
        "beta_1": params["beta_1"],
        "beta_2": params["beta_2"],
        "epsilon": params["epsilon"],
        "momentum": params["momentum"],
        "nesterov": params["nesterovs_momentum"] and params["momentum"] > 0,
        "beta_1_warmup_steps": max(warmup_steps, 1) if params["beta_1_warmup"] else 0,
    }
    name = params["optimizer"]
    offered = {key: value for key, value in offered.items() if _OPTIMIZER_ONLY.get(key, name) == name}
    return build_from_registry(optim.OPTIMIZERS, name, offered)
