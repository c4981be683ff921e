"""Numpy building blocks of skstab's networks: layers, normalization, losses.

Every layer runs ``forward(X, training=...)`` and ``backward(dY)`` and keeps its
gradients beside its parameters under the same keys. :class:`Sequential` puts
all parameters of a network in one flat vector so that optimizers and gradient
clipping work on a single array.
"""

from ._activations import ACTIVATIONS, GELU, Identity, Logistic, ReLU, Tanh
from ._base import Layer, Sequential
from ._dense import Dense
from ._losses import LOSSES, SigmoidCrossEntropy, SoftmaxCrossEntropy, SquaredError
from ._normalization import BatchNorm, GroupNorm, LayerNorm

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "BatchNorm",
    "Dense",
    "GELU",
    "GroupNorm",
    "Identity",
    "Layer",
    "LayerNorm",
    "Logistic",
    "ReLU",
    "Sequential",
    "SigmoidCrossEntropy",
    "SoftmaxCrossEntropy",
    "SquaredError",
    "Tanh",
]
