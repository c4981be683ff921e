"""ONNX export of skstab's estimators through skl2onnx's converter registry.

:func:`register_converters` tells skl2onnx how to convert
:class:`~skstab.StabilizedMLPClassifier`, :class:`~skstab.StabilizedMLPRegressor`
and :class:`~skstab.FeatureAligner`, alone or inside pipelines and column
transformers. Importing :mod:`skstab.onnx` calls it. skl2onnx and onnx are
imported inside the functions only, so ``import skstab`` never needs them.

This module holds the registration, the parser, the shape calculators and
the converters, and checks the target opset. ``_graph`` emits the nodes of an
estimator's network; the converters add the output link of the loss and the
classifier's decision rule. Classifiers follow skl2onnx's convention: a label
output and a probability output, the latter a list of dictionaries
(``ZipMap``) unless the option ``zipmap=False`` asks for a plain tensor.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._graph import Graph, check_network, network

#: Lowest ONNX opset the converters emit: Softmax over one axis, Clip bounds as inputs.
MIN_OPSET = 13

#: Options of the classifier's converter, the same as skl2onnx's own classifiers.
CLASSIFIER_OPTIONS = {"zipmap": [True, False, "columns"], "nocl": [True, False], "output_class_labels": [False, True]}


def register_converters():
    """Register skstab's converters with skl2onnx.

    Afterwards ``skl2onnx.to_onnx`` and ``skl2onnx.convert_sklearn`` convert
    :class:`~skstab.StabilizedMLPClassifier`, :class:`~skstab.StabilizedMLPRegressor`
    and :class:`~skstab.FeatureAligner`, alone or as steps of a
    :class:`~sklearn.pipeline.Pipeline` or :class:`~sklearn.compose.ColumnTransformer`.
    Importing :mod:`skstab.onnx` calls this function; calling it again is
    harmless.

    The classifier accepts skl2onnx's classifier options ``zipmap`` (default
    ``True``: probabilities as a list of ``{label: probability}``
    dictionaries; ``False``: a plain tensor of shape (n_samples, n_classes);
    ``"columns"``: one output per class), ``nocl`` and ``output_class_labels``.

    Raises
    ------
    ImportError
        If skl2onnx is not installed (``pip install skstab[onnx]``).

    Examples
    --------
    >>> import numpy as np
    >>> from skl2onnx import to_onnx
    >>> from skstab import StabilizedMLPRegressor
    >>> from skstab.onnx import register_converters
    >>> register_converters()
    >>> X = np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32)
    >>> reg = StabilizedMLPRegressor((8,), max_iter=2, random_state=0).fit(X, X[:, 0])
    >>> to_onnx(reg, X[:1]).graph.output[0].name
    'variable'
    """
    try:
        from skl2onnx import update_registered_converter
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Exporting to ONNX needs skl2onnx, onnx and onnxruntime: pip install 'skstab[onnx]'."
        ) from exc
    from ..neural_network._classifier import StabilizedMLPClassifier
    from ..neural_network._regressor import StabilizedMLPRegressor
    from ..preprocessing._aligner import FeatureAligner

    update_registered_converter(
        StabilizedMLPClassifier,
        "SkstabStabilizedMLPClassifier",
        _classifier_shapes,
        _convert_classifier,
        parser=_parse_classifier,
        options=CLASSIFIER_OPTIONS,
    )
    update_registered_converter(
        StabilizedMLPRegressor, "SkstabStabilizedMLPRegressor", _regressor_shapes, _convert_regressor
    )
    update_registered_converter(FeatureAligner, "SkstabFeatureAligner", _aligner_shapes, _convert_aligner)


# -- parser and shape calculators -----------------------------------------------------


def _parse_classifier(scope, model, inputs, custom_parsers=None):
    """skl2onnx's classifier parser (label, probabilities, ZipMap), after checking the model is fitted."""
    from skl2onnx._parse import _parse_sklearn_classifier

    check_is_fitted(model)
    return _parse_sklearn_classifier(scope, model, inputs, custom_parsers=custom_parsers)


def _float_type(operator):
    """The tensor type the graph computes in: double for double input, float for anything else."""
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    return DoubleTensorType if isinstance(operator.inputs[0].type, DoubleTensorType) else FloatTensorType


def _check_inputs(operator, n_outputs):
    from skl2onnx.common.data_types import BooleanTensorType, DoubleTensorType, FloatTensorType, Int64TensorType
    from skl2onnx.common.utils import check_input_and_output_numbers, check_input_and_output_types

    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=n_outputs)
    check_input_and_output_types(
        operator, good_input_types=[BooleanTensorType, DoubleTensorType, FloatTensorType, Int64TensorType]
    )


def _classifier_shapes(operator):
    """Label of shape (N,) (or (N, n_labels) for multilabel) and probabilities (N, n_classes)."""
    from skl2onnx.common.data_types import Int64TensorType, StringTensorType

    model = operator.raw_operator
    check_is_fitted(model)
    _check_inputs(operator, 2)
    n_rows = operator.inputs[0].get_first_dimension()
    n_classes = len(model.classes_)
    if model._multilabel:
        operator.outputs[0].type = Int64TensorType([n_rows, n_classes])
    else:
        classes = _label_tensor(_classes(operator.scope_inst, model))
        label_type = StringTensorType if classes.dtype == object else Int64TensorType
        operator.outputs[0].type = label_type([n_rows])
    operator.outputs[1].type = _float_type(operator)([n_rows, n_classes])


def _regressor_shapes(operator):
    """Predictions of shape (N, n_outputs), also for one output, as skl2onnx's regressors."""
    model = operator.raw_operator
    check_is_fitted(model)
    _check_inputs(operator, 1)
    operator.outputs[0].type = _float_type(operator)([operator.inputs[0].get_first_dimension(), model.n_outputs_])


def _aligner_shapes(operator):
    """Same shape as the input, in float (or double for double input)."""
    check_is_fitted(operator.raw_operator)
    _check_inputs(operator, 1)
    operator.outputs[0].type = _float_type(operator)(list(operator.inputs[0].type.shape))


# -- converters ---------------------------------------------------------------------------


def _new_graph(scope, operator, container):
    """A :class:`~skstab.onnx._graph.Graph` for the operator, once the target opset is known to suffice."""
    opset = container.target_opset
    if opset is not None and opset < MIN_OPSET:
        raise ValueError(
            f"skstab's ONNX export needs target_opset >= {MIN_OPSET}, got {opset}; "
            "pass a higher target_opset to skl2onnx."
        )
    return Graph(scope, operator, container)


def _classes(scope, model):
    """The labels the graph outputs, honouring skl2onnx's ``nocl`` option."""
    from skl2onnx.common.utils_classifier import get_label_classes

    return np.asarray(get_label_classes(scope, model))


def _label_tensor(classes):
    """Class labels as ONNX holds them: int64 for numbers and booleans (fitting accepts only
    integer-valued float labels), strings for anything else."""
    if classes.dtype.kind in "biuf":
        return classes.astype(np.int64)
    return np.array([str(label) for label in classes], dtype=object)


def _convert_classifier(scope, operator, container):
    """Labels and probabilities of a StabilizedMLPClassifier, as its ``predict`` and ``predict_proba``."""
    from onnx import TensorProto

    model = operator.raw_operator
    check_network(model)
    g = _new_graph(scope, operator, container)
    z = network(g, model, g.input(operator))
    label, proba = operator.outputs[0].full_name, operator.outputs[1].full_name
    if model.out_activation_ == "softmax":
        g.node("Softmax", [z], proba, axis=1)
        index = g.node("ArgMax", [z], axis=1, keepdims=0)
    elif model.out_activation_ == "logistic":
        # predict_proba keeps saturated sigmoids inside (0, 1), by the machine epsilon of its output.
        tiny = np.finfo(g.dtype).eps
        p = g.node("Clip", [g.node("Sigmoid", [z]), g.const(tiny), g.const(1 - tiny)])
        positive = g.node("Greater", [z, g.const(0.0)])
        if model._multilabel:
            g.node("Identity", [p], proba)
            g.node("Cast", [positive], label, to=TensorProto.INT64)
            return
        g.node("Concat", [g.node("Sub", [g.const(1.0), p]), p], proba, axis=1)
        index = g.node("Cast", [g.node("Reshape", [positive, g.const([-1], np.int64, "shape")])], to=TensorProto.INT64)
    else:
        raise ValueError(
            f"The output activation {model.out_activation_!r} is not supported by skstab's ONNX export yet."
        )
    labels = _label_tensor(_classes(scope, model))
    g.node("Gather", [g.const(labels, dtype=labels.dtype, name="classes"), index], label, axis=0)


def _convert_regressor(scope, operator, container):
    """Predictions of a StabilizedMLPRegressor, shape (N, n_outputs)."""
    model = operator.raw_operator
    check_network(model)
    if model.out_activation_ != "identity":
        raise ValueError(
            f"The output activation {model.out_activation_!r} is not supported by skstab's ONNX export yet."
        )
    g = _new_graph(scope, operator, container)
    z = network(g, model, g.input(operator))
    if getattr(model, "target_mean_", None) is not None:
        # Undo the target standardization, as predict does.
        z = g.node("Add", [g.node("Mul", [z, g.const(model.target_scale_)]), g.const(model.target_mean_)])
    g.node("Identity", [z], operator.outputs[0].full_name)


def _convert_aligner(scope, operator, container):
    """``(X - center_) / scale_`` (then smooth clipping) as FeatureAligner.transform; NaN passes."""
    aligner = operator.raw_operator
    check_is_fitted(aligner)
    g = _new_graph(scope, operator, container)
    x = g.input(operator)
    # The statistics are cast to the input's dtype first, as transform does.
    if aligner.with_mean:
        x = g.node("Sub", [x, g.const(aligner.center_.astype(g.dtype))])
    if aligner.with_std:
        x = g.node("Div", [x, g.const(aligner.scale_.astype(g.dtype))])
    if aligner.clip is not None:
        ratio = g.node("Mul", [x, g.const(1.0 / aligner.clip)])
        x = g.node("Div", [x, g.node("Sqrt", [g.node("Add", [g.node("Mul", [ratio, ratio]), g.const(1.0)])])])
    g.node("Identity", [x], operator.outputs[0].full_name)
