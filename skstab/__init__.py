"""skstab: scikit-learn compatible neural networks that train stably by default."""

from importlib.metadata import version as _version

from ._aligner import FeatureAligner
from ._mlp import StabilizedMLPClassifier, StabilizedMLPRegressor
from ._plotting import plot_training_curves

__version__ = _version("skstab")

__all__ = [
    "FeatureAligner",
    "StabilizedMLPClassifier",
    "StabilizedMLPRegressor",
    "plot_training_curves",
    "__version__",
]
