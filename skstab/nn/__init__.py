"""Numpy building blocks of skstab's networks: layers, normalization, losses.

Every layer runs ``forward(X, training=...)`` and ``backward(dY)`` and keeps its
gradients beside its parameters under the same keys. :data:`ACTIVATIONS`,
:data:`NORMALIZATIONS` and :data:`LOSSES` map names to classes. :class:`Sequential` puts
all parameters of a network in one flat vector so that optimizers and gradient
clipping work on a single array.
"""

from ._activations import ACTIVATIONS, GELU, Identity, Logistic, PReLU, ReLU, Tanh
from ._base import Layer
from ._dense import Dense
from ._dropout import DROPOUT_SCHEDULES, Dropout
from ._embeddings import FeatureScale, PeriodicEmbedding
from ._ensemble import BatchEnsembleDense
from ._losses import LOSSES, SigmoidCrossEntropy, SoftmaxCrossEntropy, SquaredError
from ._normalization import NORMALIZATIONS, BatchNorm, GroupNorm, LayerNorm
from ._piecewise import PiecewiseLinearEncoding
from ._sequential import Sequential

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
    "PiecewiseLinearEncoding",
    "ReLU",
    "Sequential",
    "SigmoidCrossEntropy",
    "SoftmaxCrossEntropy",
    "SquaredError",
    "Tanh",
]


# Pickle and skops.io record a class under its ``__module__``: name the public package that exports it, not
# the private file that defines it, so a saved model refers to public names only (see "Saving and loading"
# in the user guide). Models saved under the private names still load: those modules stay.
for _name in __all__:
    if isinstance(globals()[_name], type):
        globals()[_name].__module__ = __name__
del _name
