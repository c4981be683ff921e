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

import numpy as np

from .. import nn, optim
from ..preprocessing._quantiles import PIECEWISE_LINEAR_BINS, quantile_bin_edges
from ..training._batching import MIN_BATCH_ROWS, batch_bounds
from ..utils._accelerator import numba_available

#: Activations whose variance-preserving initialisation is He's; the others get Glorot's.
_HE_ACTIVATIONS = frozenset({"relu", "gelu", "prelu"})
#: ``numerical_embedding`` choices -> the layer in front of the network.
NUMERICAL_EMBEDDINGS = {"periodic": nn.PeriodicEmbedding, "piecewise_linear": nn.PiecewiseLinearEncoding}
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
    SGD(momentum=0.5, nesterov=False, weight_decay=0.0, decay_mask=None, lr_factors=None, accelerator='numpy')
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
    """The normalization the network gets, or a ValueError for one that would make a layer's output constant.

    ``"auto"`` is batch norm for batches of 8+ rows, else layer norm, or none
    when a hidden layer has a single unit: layer normalization over one unit
    outputs its bias whatever the input.
    """
    kind = params["normalization"]
    widths = hidden_sizes(params)
    if kind == "auto":
        kind = "batch" if min(params["batch_size"], n_train) >= MIN_BATCH_ROWS else "layer"
        return None if kind == "layer" and 1 in widths else kind
    if kind == "group":
        for width in widths:
            if width % params["n_groups"]:
                raise ValueError(
                    f"normalization='group' needs every hidden layer width to be a multiple of "
                    f"n_groups={params['n_groups']}, but one layer has {width} units. Change "
                    "n_groups or hidden_layer_sizes."
                )
    # Normalizing a row over a group of one unit leaves only the shift: the layer's output is a constant.
    if kind == "layer" and 1 in widths:
        where, fix = "a hidden layer's units, and one layer has a single unit", "widen that layer"
    elif kind == "group" and params["n_groups"] in widths:
        where = f"groups of width / n_groups units: a single unit in the layer of {params['n_groups']} units"
        fix = "lower n_groups or widen that layer"
    else:
        return kind
    raise ValueError(
        f"normalization={kind!r} normalizes each row over {where}, so that layer's output is constant and "
        "the network can only predict one value. Use normalization=None or 'batch' (or 'auto', which never "
        f"picks such a normalization), or {fix}."
    )


#: Planned work (the weights one row meets, every member's and the encoded inputs' counted, times
#: optimizer updates) from which ``accelerator="auto"`` uses numba: below, the compiled kernels save
#: less time than importing numba (about half a second) and, on a fresh install, compiling them (one
#: to three seconds) cost.
NUMBA_MIN_WORK = 1e8


def choose_accelerator(params, n_inputs, n_outputs, n_train):
    """The ``accelerator`` the optimizer, layers and loss of a fit get.

    An explicit ``"numpy"`` or ``"numba"`` is kept. ``"auto"`` stays ``"auto"``
    (numba where it is installed, resolved by each object, so a model moved to
    a machine without numba trains on with numpy) when numba is installed and
    the fit plans at least :data:`NUMBA_MIN_WORK` of work; smaller fits get
    ``"numpy"``. ``n_inputs`` is the first dense layer's input width: behind
    the piecewise-linear encoding, the encoded width.
    """
    accelerator = params["accelerator"]
    if accelerator != "auto":
        return accelerator
    if not numba_available():
        return "numpy"
    return "auto" if planned_work(params, n_inputs, n_outputs, n_train) >= NUMBA_MIN_WORK else "numpy"


def planned_work(params, n_inputs, n_outputs, n_train):
    """What :func:`choose_accelerator` weighs: the weights one row meets, every member's, times the planned updates."""
    widths = [n_inputs, *hidden_sizes(params), n_outputs]
    n_weights = sum((n_in + 1) * n_out for n_in, n_out in zip(widths[:-1], widths[1:])) * params["n_ensemble"]
    return n_weights * len(batch_bounds(n_train, params["batch_size"])) * params["max_iter"]


def first_layer_inputs(n_features, bin_edges=None, net=None):
    """The first dense layer's input width: ``net``'s, else the encoded width of ``bin_edges``, else ``n_features``."""
    if net is not None:
        return dense_layers(net)[0].params["W"].shape[0]
    if bin_edges is not None:
        return sum(len(edges) - 1 for edges in bin_edges)
    return n_features


def build_network(
    params, n_features, n_outputs, normalization, rng, dtype, *, n_train=None, out_activation=None, bin_edges=None
):
    """``Dense -> normalization -> activation [-> dropout]`` per hidden layer, then a dense output layer, built.

    Optional front layers (``numerical_embedding``, ``feature_scale``) come
    first; with ``n_ensemble > 1`` the dense layers are
    :class:`~skstab.nn.BatchEnsembleDense` and the output layer averages the
    members under ``out_activation``. ``n_train`` (training rows) lays the
    dropout schedule out over the planned batches. ``bin_edges`` (see
    :func:`embedding_bin_edges`) go to an embedding that takes ``edges``.
    """
    init = "he" if params["activation"] in _HE_ACTIVATIONS else "glorot"
    offered = {
        "momentum": params["norm_momentum"],
        "epsilon": params["norm_epsilon"],
        "n_groups": params["n_groups"],
        "accelerator": params["accelerator"],
    }
    n_members = params["n_ensemble"]
    layers = []
    if params["numerical_embedding"] is not None:
        embedding_args = {"edges": bin_edges, "accelerator": params["accelerator"]}
        layers.append(build_from_registry(NUMERICAL_EMBEDDINGS, params["numerical_embedding"], embedding_args))
    if params["feature_scale"]:
        layers.append(nn.FeatureScale())
    for index, width in enumerate(hidden_sizes(params)):
        if n_members == 1:
            layers.append(nn.Dense(width, init=init))
        else:
            layers.append(nn.BatchEnsembleDense(width, n_members, init=init, first=index == 0))
        if normalization is not None:
            layers.append(build_from_registry(nn.NORMALIZATIONS, normalization, offered))
        layers.append(nn.ACTIVATIONS[params["activation"]]())
        if params["dropout"] > 0:
            layers.append(_build_dropout(params, n_train))
    if n_members == 1:
        layers.append(nn.Dense(n_outputs, init="glorot"))
    else:
        average = out_activation or "identity"
        layers.append(nn.BatchEnsembleDense(n_outputs, n_members, init="glorot", average=average))
    net = nn.Sequential(layers)
    net.build(n_features, rng, dtype=dtype)
    return net


def embedding_bin_edges(params, X, sample_weight=None):
    """The bin edges of a piecewise-linear ``numerical_embedding``, from the scaled rows ``X``; else None.

    Computed once, when the network is built: later ``partial_fit`` calls and
    warm starts keep the network, so its bins stay those of the first rows.
    """
    if params["numerical_embedding"] != "piecewise_linear":
        return None
    return quantile_bin_edges(X, PIECEWISE_LINEAR_BINS, sample_weight)


def dense_layers(net):
    """The network's dense layers, plain or ensemble, input to output."""
    return [layer for layer in net.layers if isinstance(layer, (nn.Dense, nn.BatchEnsembleDense))]


def product_shape(net, n_rows):
    """``(rows, width, multiply_adds)`` of the network's matrix products on ``n_rows`` input rows, for the BLAS policy.

    The rows count every ensemble member's; the width is the widest dense
    layer's, inputs included; ``multiply_adds`` are the largest product's.
    """
    layers = dense_layers(net)
    width = max(max(layer.params["W"].shape) for layer in layers)
    rows = n_rows * getattr(layers[0], "n_members", 1)
    return rows, width, rows * max(layer.params["W"].size for layer in layers)


def _build_dropout(params, n_train):
    """The dropout layer of a hidden block; a scheduled rate runs over the planned training batches."""
    accelerator = params["accelerator"]
    if params["dropout_schedule"] == "constant":
        return nn.Dropout(params["dropout"], accelerator=accelerator)
    if n_train is None:
        raise ValueError("A scheduled dropout rate needs the number of training rows (n_train).")
    n_steps = len(batch_bounds(n_train, params["batch_size"])) * params["max_iter"]
    return nn.Dropout(params["dropout"], schedule=params["dropout_schedule"], n_steps=n_steps, accelerator=accelerator)


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


def build_optimizer(params, decay_mask, warmup_steps, lr_factors=None):
    """The optimizer, decaying the weights ``decay_mask`` marks; ``beta_1_warmup`` spans the schedule's warmup.

    ``lr_factors`` (the network's per-parameter learning-rate factors, or
    ``None``) go to an optimizer that names them; one that does not cannot
    honour them, which is an error.
    """
    offered = {
        "weight_decay": params["weight_decay"],
        "decay_mask": decay_mask,
        "lr_factors": lr_factors,
        "beta_1": params["beta_1"],
        "beta_2": params["beta_2"],
        "epsilon": params["epsilon"],
        "momentum": params["momentum"],
        "nesterov": params["nesterovs_momentum"] and params["momentum"] > 0,
        "beta_1_warmup_steps": max(warmup_steps, 1) if params["beta_1_warmup"] else 0,
        "accelerator": params["accelerator"],
    }
    name = params["optimizer"]
    offered = {key: value for key, value in offered.items() if _OPTIMIZER_ONLY.get(key, name) == name}
    if lr_factors is not None and "lr_factors" not in inspect.signature(optim.OPTIMIZERS[name]).parameters:
        raise ValueError(
            f"optimizer={name!r} takes no lr_factors, which numerical_embedding, feature_scale and "
            "activation='prelu' need; choose an optimizer that does (adamw, adam, sgd, rmsprop)."
        )
    return build_from_registry(optim.OPTIMIZERS, name, offered)


def network_spec(params, normalization, dtype):
    """What the network's structure rests on; a resumed call must not change it."""
    return {
        "hidden_layer_sizes": tuple(hidden_sizes(params)),
        "activation": params["activation"],
        "input_scaling": params["input_scaling"],
        "normalization": normalization,
        "n_groups": params["n_groups"] if normalization == "group" else None,
        "dropout": params["dropout"] > 0,
        "numerical_embedding": params["numerical_embedding"],
        "feature_scale": params["feature_scale"],
        "n_ensemble": params["n_ensemble"],
        "compute_dtype": np.dtype(dtype).name,
    }


def check_same_network(old, params, normalization, incremental):
    """Refuse to resume a network (described by ``old``) that the current parameters would build differently."""
    if old is None:
        return
    # "auto" choices follow the existing network: only an explicit request counts as a change.
    if params["normalization"] == "auto":
        normalization = old["normalization"]
    dtype = old["compute_dtype"] if params["compute_dtype"] == "auto" else params["compute_dtype"]
    new = network_spec(params, normalization, dtype)
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


#: The share of ``learning_rate_init`` a stream restarted after ``fit`` peaks at. A fit ends near
#: ``min_learning_rate``, where fine-tuning learns almost nothing; the full rate shakes the fitted
#: network. Measured on Friedman #1 (800 rows, default regressor, R^2 0.944) with the target shifted by
#: one standard deviation, three calls on the whole set moved the predictions 0.92 of the shift at 0.3
#: (R^2 of the fitted relation 0.919; one call: 0.36), 1.00 at 0.1 (0.918; one call: 0.12) and 1.16 at
#: 1.0 (0.891: it overshoots); see tests/test_stream_adapt.py.
AFTER_FIT_RATE = 0.3


def stream_plan(params, after_fit=False):
    """The parameters a stream's schedule is built from: see ``partial_fit_horizon``.

    With no horizon the number of calls to come is unknown, so no decay can
    be laid out: a linear warmup (as a ``max_iter``-epoch fit of
    first-call-sized epochs would have) then the constant peak rate. A horizon
    lays ``lr_schedule`` out over that many calls of the first call's size.
    ``after_fit``: the first call after ``fit`` restarts the schedule, peaking
    at :data:`AFTER_FIT_RATE` times ``learning_rate_init``.
    """
    if after_fit:
        params = {**params, "learning_rate_init": AFTER_FIT_RATE * params["learning_rate_init"]}
    if params["partial_fit_horizon"] is None:
        return {**params, "lr_schedule": "constant"}
    return {**params, "max_iter": params["partial_fit_horizon"]}
