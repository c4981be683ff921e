"""skstab: scikit-learn compatible neural networks that train stably by default."""

from importlib.metadata import version as _version

from . import exceptions
from ._aligner import FeatureAligner
from ._classifier import StabilizedMLPClassifier
from ._config import TrainingConfig
from ._plotting import plot_training_curves
from ._presets import PRESETS
from ._regressor import StabilizedMLPRegressor

__version__ = _version("skstab")

__all__ = [
    "FeatureAligner",
    "PRESETS",
    "StabilizedMLPClassifier",
    "StabilizedMLPRegressor",
    "TrainingConfig",
    "exceptions",
    "plot_training_curves",
    "__version__",
]
