"""The ONNX graph of a fitted network: skl2onnx's container wrapped in :class:`Graph`, and the layers' nodes.

The graph mirrors ``predict``: the estimator's input scaling, then the layers
of ``net_`` in order: a piecewise-linear encoding as a broadcast ``Sub`` and
``Mul`` against its bin table, clipped by ``Max`` and ``Min`` and gathered down
to the real bins, a dense layer followed by frozen batch normalization
folded into one ``MatMul`` and ``Add`` exactly as
:meth:`skstab.nn.Sequential.infer` folds them, layer and group normalization
built from ``ReduceMean``, ``Sqrt`` and elementwise operators (no opset 17
``LayerNormalization``). An ensemble (``n_ensemble > 1``) of
:class:`~skstab.nn.BatchEnsembleDense` layers keeps the members' rows
stacked, shape (k * n, width), between layers, so the row-wise layers are
emitted as for one network, and its output layer averages the members as
:meth:`skstab.nn.BatchEnsembleDense.infer` does. onnx and skl2onnx are
imported inside the functions only, so that ``import skstab`` never needs them.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .. import nn
from ..nn._piecewise import _bin_layout
from ..preprocessing._scaling import SMOOTH_CLIP_BOUND

__all__ = ["Graph", "check_network", "network"]

_GELU_C = np.sqrt(2.0 / np.pi)
_GELU_A = 0.044715
_ACTIVATION_OPS = {nn.Identity: "Identity", nn.ReLU: "Relu", nn.Tanh: "Tanh", nn.Logistic: "Sigmoid"}


class Graph:
    """Adds nodes and constants to skl2onnx's container, in the operator's float type."""

    def __init__(self, scope, operator, container):
        from onnx import TensorProto
        from skl2onnx.common.data_types import DoubleTensorType

        self.scope, self.container = scope, container
        double = isinstance(operator.inputs[0].type, DoubleTensorType)
        self.dtype = np.dtype(np.float64 if double else np.float32)
        self.proto = TensorProto.DOUBLE if double else TensorProto.FLOAT

    def const(self, value, dtype=None, name="const"):
        """An initializer holding ``value`` (in the graph's float type unless ``dtype`` says otherwise)."""
        from onnx import TensorProto, numpy_helper

        array = np.asarray(value, dtype=self.dtype if dtype is None else dtype)
        var = self.scope.get_unique_variable_name(name)
        if array.dtype == object:
            # skl2onnx copies only the raw bytes of a TensorProto, which strings do not have.
            content = [str(item).encode("utf-8") for item in array.ravel()]
            self.container.add_initializer(var, TensorProto.STRING, list(array.shape), content)
        else:
            tensor = numpy_helper.from_array(array, var)
            self.container.add_initializer(var, tensor.data_type, list(array.shape), tensor)
        return var

    def node(self, op_type, inputs, output=None, **attrs):
        """Add one node; returns the name of its output (a new one unless ``output`` is given)."""
        output = output or self.scope.get_unique_variable_name(op_type.lower())
        self.container.add_node(op_type, inputs, output, name=self.scope.get_unique_operator_name(op_type), **attrs)
        return output

    def input(self, operator):
        """The operator's input cast to the graph's float type."""
        return self.node("Cast", [operator.inputs[0].full_name], to=self.proto)

    def reduce(self, op_type, x, axis, keepdims=1):
        """A reduction (``ReduceMean``, ``ReduceLogSumExp``) over ``axis``; axes became an input in opset 18."""
        if self.container.target_opset is None or self.container.target_opset >= 18:
            return self.node(op_type, [x, self.const([axis], np.int64, "axes")], keepdims=keepdims)
        return self.node(op_type, [x], axes=[axis], keepdims=keepdims)

    def affine(self, x, scale, shift):
        """``x * scale + shift`` per feature."""
        return self.node("Add", [self.node("Mul", [x, self.const(scale)]), self.const(shift)])

    def dense(self, x, W, b):
        """``x @ W + b``."""
        return self.node("Add", [self.node("MatMul", [x, self.const(W, name="W")]), self.const(b, name="b")])


def _scaled_input(g, model, x):
    """The estimator's own input scaling, smooth clipping after robust scaling, in double as ``predict`` does."""
    if getattr(model, "input_center_", None) is None:
        return x
    from onnx import TensorProto

    double = np.float64
    x = g.node("Cast", [x], to=TensorProto.DOUBLE)
    x = g.node(
        "Mul", [g.node("Sub", [x, g.const(model.input_center_, double)]), g.const(1.0 / model.input_scale_, double)]
    )
    if model.input_scaling == "robust":
        # x / sqrt(1 + (x / bound)^2), as skstab.preprocessing._scaling.smooth_clip.
        ratio = g.node("Mul", [x, g.const(1.0 / SMOOTH_CLIP_BOUND, double)])
        root = g.node("Sqrt", [g.node("Add", [g.node("Mul", [ratio, ratio]), g.const(1.0, double)])])
        x = g.node("Div", [x, root])
    return g.node("Cast", [x], to=g.proto)


def network(g, model, x):
    """Emit the estimator's input scaling and ``model.net_``'s inference on ``x``; returns the raw outputs."""
    x = _scaled_input(g, model, x)
    layers = model.net_.layers
    index = 0
    while index < len(layers):
        layer = layers[index]
        follower = layers[index + 1] if index + 1 < len(layers) else None
        # Folded where Sequential._infer_chunk folds: a layer that declares it absorbs the follower's affine map.
        affine = follower.inference_affine() if follower is not None and layer.absorbs_affine else None
        x = _layer(g, layer, x, folded=affine)
        index += 1 if affine is None else 2
    return x


def _layer(g, layer, x, folded=None):
    """Emit one layer's inference, a dense layer's followed by the ``folded`` (scale, shift) if given.

    A TypeError names a layer type the export does not know.
    """
    kind = type(layer)
    # The folds of Dense.infer_folded and BatchEnsembleDense.infer_folded, with the same arithmetic in the
    # network's dtype, so that the graph rounds as predict does.
    if kind is nn.Dense:
        W, b = layer.params["W"], layer.params["b"]
        if folded is not None:
            W, b = W * folded[0], b * folded[0] + folded[1]
        return g.dense(x, W, b)
    if kind is nn.BatchEnsembleDense:
        s, b = layer.params["s"], layer.params["b"]
        if folded is not None:
            s, b = s * folded[0], b * folded[0] + folded[1]
        return _batch_ensemble(g, layer, x, s, b)
    if kind in (nn.LayerNorm, nn.GroupNorm):
        return _group_norm(g, layer, x)
    if kind is nn.PiecewiseLinearEncoding:
        return _piecewise_linear(g, layer, x)
    if kind in _ACTIVATION_OPS:
        return g.node(_ACTIVATION_OPS[kind], [x])
    if kind is nn.Dropout:
        return x  # the identity at inference
    if kind is nn.PReLU:
        # relu(x) - a * relu(-x), in plain ops (onnxruntime has no double PRelu).
        negative = g.node("Mul", [g.node("Relu", [g.node("Neg", [x])]), g.const(-layer.params["a"])])
        return g.node("Add", [g.node("Relu", [x]), negative])
    if kind is nn.GELU:
        # z/2 * (1 + tanh(c * z * (1 + a z^2))), in the order of skstab.nn's kernel.
        inner = g.node("Mul", [g.node("Mul", [x, x]), g.const(_GELU_A)])
        inner = g.node("Mul", [g.node("Mul", [g.node("Add", [inner, g.const(1.0)]), x]), g.const(_GELU_C)])
        one_plus_t = g.node("Add", [g.node("Tanh", [inner]), g.const(1.0)])
        return g.node("Mul", [g.node("Mul", [one_plus_t, x]), g.const(0.5)])
    affine = layer.inference_affine()
    if affine is not None:
        return g.affine(x, *affine)
    raise TypeError(
        f"{kind.__name__} layers are not supported by skstab's ONNX export yet; supported layers are "
        "Dense, BatchEnsembleDense, BatchNorm, LayerNorm, GroupNorm, FeatureScale, Dropout, "
        "PiecewiseLinearEncoding and the activations "
        "identity, logistic, tanh, relu, gelu and prelu."
    )


def _group_norm(g, layer, x):
    """Layer normalization (one group) or group normalization, with epsilon inside the square root."""
    gamma, beta = layer.params["gamma"], layer.params["beta"]
    n_groups = getattr(layer, "n_groups", 1)
    grouped = x
    if n_groups > 1:
        shape = g.const([-1, n_groups, gamma.size // n_groups], np.int64, "shape")
        grouped = g.node("Reshape", [x, shape])
    axis = 2 if n_groups > 1 else 1
    centred = g.node("Sub", [grouped, g.reduce("ReduceMean", grouped, axis)])
    var = g.reduce("ReduceMean", g.node("Mul", [centred, centred]), axis)
    inv_std = g.node("Reciprocal", [g.node("Sqrt", [g.node("Add", [var, g.const(layer.epsilon)])])])
    x_hat = g.node("Mul", [centred, inv_std])
    if n_groups > 1:
        x_hat = g.node("Reshape", [x_hat, g.const([-1, gamma.size], np.int64, "shape")])
    return g.affine(x_hat, gamma, beta)


def _piecewise_linear(g, layer, x):
    """The encoding of :class:`~skstab.nn.PiecewiseLinearEncoding`: (n, d) rows to (n, total bins).

    As the layer's ``_encode``: every value against every padded bin of its
    feature, ``(x - left) * inverse_width``, clipped to [0, 1] on the sides the
    layer clips, then the real bins taken from the flattened (n, d * max bins)
    table in the layer's order.
    """
    left, inverse_width = layer.buffers["left"], layer.buffers["inverse_width"]
    n_features, n_bins = left.shape
    # The layout is the layer's own function of its edges, so the graph cannot drift from predict's bins.
    columns, clip_low, clip_high = _bin_layout(layer.edges)
    # (n, d, 1) against (d, bins) broadcasts to (n, d, bins), as in numpy; Sub then Mul rounds as predict does.
    raw = g.node("Unsqueeze", [x, g.const([2], np.int64, "axes")])
    raw = g.node("Mul", [g.node("Sub", [raw, g.const(left, name="left")]), g.const(inverse_width, name="inv_width")])
    # ONNX has no masked Max or Min: an infinite bound leaves an unclipped side (and the padding) as it is.
    raw = g.node("Max", [raw, g.const(np.where(clip_low, 0.0, -np.inf), name="low")])
    raw = g.node("Min", [raw, g.const(np.where(clip_high, 1.0, np.inf), name="high")])
    flat = g.node("Reshape", [raw, g.const([-1, n_features * n_bins], np.int64, "shape")])
    return g.node("Gather", [flat, g.const(columns, np.int64, "columns")], axis=1)


def _batch_ensemble(g, layer, x, s, b):
    """Member i's rows ``((x_i * r_i) @ W) * s_i + b_i`` as batch_ensemble_forward, through (k, n, width) tensors.

    The input is (n, d) rows shared by the members (``first``) or (k * n, d)
    stacked rows; the output is stacked (k * n, width) rows, or the n rows of
    the members' average on an output layer.
    """
    k = layer.n_members
    n_in, n_out = layer.params["W"].shape
    if not layer.first:
        x = g.node("Reshape", [x, g.const([k, -1, n_in], np.int64, "shape")])
    # (n, d) or (k, n, d) times (k, 1, d) broadcasts to (k, n, d), as in numpy.
    x = g.node("Mul", [x, g.const(layer.params["r"][:, None, :], name="r")])
    x = g.node("MatMul", [x, g.const(layer.params["W"], name="W")])
    x = g.node("Add", [g.node("Mul", [x, g.const(s[:, None, :], name="s")]), g.const(b[:, None, :], name="b")])
    if layer.average is None:
        return g.node("Reshape", [x, g.const([-1, n_out], np.int64, "shape")])
    if layer.average == "identity":
        return g.reduce("ReduceMean", x, 0, keepdims=0)
    if layer.average == "softmax":
        # Log of the mean of the members' softmax probabilities.
        log_p = g.reduce("ReduceLogSumExp", g.node("LogSoftmax", [x], axis=-1), 0, keepdims=0)
        return g.node("Sub", [log_p, g.const(np.log(k))])
    # Log-odds of the mean sigmoid probability, in log space: log sigmoid(+-z) = min(+-z, 0) - log(1 + exp(-|z|))
    # (skstab's log_sigmoid; onnxruntime has no double Softplus, and ONNX no Log1p).
    softplus = g.node("Log", [g.node("Add", [g.node("Exp", [g.node("Neg", [g.node("Abs", [x])])]), g.const(1.0)])])
    zero = g.const(0.0)
    log_p = g.node("Sub", [g.node("Min", [x, zero]), softplus])
    log_q = g.node("Sub", [g.node("Min", [g.node("Neg", [x]), zero]), softplus])
    return g.node(
        "Sub", [g.reduce("ReduceLogSumExp", log_p, 0, keepdims=0), g.reduce("ReduceLogSumExp", log_q, 0, keepdims=0)]
    )


def check_network(model):
    """The checks ``predict`` would make before it runs the network."""
    check_is_fitted(model)
    if not isinstance(getattr(model, "net_", None), nn.Sequential):
        raise TypeError(f"{type(model).__name__}.net_ is not a skstab.nn.Sequential; it cannot be exported.")
    if getattr(model, "encoder_", None) is not None:
        raise ValueError(
            f"This {type(model).__name__} encodes its raw input itself (encoder_: categorical columns or missing "
            "values in fit), which skstab's ONNX export does not cover. To export, encode outside the model: a "
            "ColumnTransformer with OneHotEncoder and SimpleImputer (which skl2onnx converts) in front of it."
        )
    if getattr(model, "input_transformer_", None) is not None:
        raise ValueError(
            "skstab's ONNX export does not cover input_scaling='quantile' yet: fit without it to export (a "
            "QuantileTransformer in a Pipeline in front of input_scaling=None converts), or predict in Python."
        )
