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


# Pickle and skops.io record a class under its ``__module__``: name the public package that exports it, not
# the private file that defines it, so a saved model refers to public names only (see "Saving and loading"
# in the user guide). Models saved under the private names still load: those modules stay.
for _name in __all__:
    if isinstance(globals()[_name], type):
        globals()[_name].__module__ = __name__
del _name
