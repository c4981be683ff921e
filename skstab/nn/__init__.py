"""Numpy building blocks of skstab's networks: layers, normalization, losses.

Every layer runs ``forward(X, training=...)`` and ``backward(dY)`` and keeps its
gradients beside its parameters under the same keys. :data:`ACTIVATIONS`,
:data:`NORMALIZATIONS` and :data:`LOSSES` map names to classes. :class:`Sequential` puts
all parameters of a network in one flat vector so that optimizers and gradient
clipping work on a single array.
"""

from ._activations import ACTIVATIONS, GELU, Identity, Logistic, PReLU, ReLU, Tanh
from ._base import Layer, Sequential
from ._dense import Dense
from ._dropout import DROPOUT_SCHEDULES, Dropout
from ._embeddings import FeatureScale, PeriodicEmbedding
from ._ensemble import BatchEnsembleDense
from ._losses import LOSSES, SigmoidCrossEntropy, SoftmaxCrossEntropy, SquaredError
from ._normalization import NORMALIZATIONS, BatchNorm, GroupNorm, LayerNorm

__all__ = [
    "ACTIVATIONS",
    "DROPOUT_SCHEDULES",
    "LOSSES",
    "NORMALIZATIONS",
    "BatchEnsembleDense",
    "BatchNorm",
    "Dense",
    "Dropout",
    "FeatureScale",
    "GELU",
    "GroupNorm",
    "Identity",
    "Layer",
    "LayerNorm",
    "Logistic",
    "PReLU",
    "PeriodicEmbedding",
    "ReLU",
    "Sequential",
    "SigmoidCrossEntropy",
    "SoftmaxCrossEntropy",
    "SquaredError",
    "Tanh",
]
