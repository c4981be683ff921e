"""skstab: scikit-learn compatible neural networks that train stably by default.

The packages, from the top layer down (``.importlinter`` checks the import directions in CI):

- :mod:`skstab.onnx`, :mod:`skstab.plotting`: exporters and Displays over fitted estimators;
- :mod:`skstab.neural_network`: the estimators and what only they use;
- :mod:`skstab.training` (the loop) beside :mod:`skstab.preprocessing` (``FeatureAligner``, input scaling);
- :mod:`skstab.nn` (layers, normalization, losses) beside :mod:`skstab.optim` (optimizers, schedules,
  clipping), numpy only;
- :mod:`skstab.utils` and :mod:`skstab.exceptions` at the bottom.
"""

import sys
from importlib import import_module
from importlib.metadata import version as _version

from . import exceptions
from .neural_network import PRESETS, StabilizedMLPClassifier, StabilizedMLPRegressor, TrainingConfig
from .plotting import plot_training_curves
from .preprocessing import FeatureAligner

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
# in the user guide).
for _name in __all__:
    if isinstance(globals()[_name], type):
        globals()[_name].__module__ = __name__

# Models saved by skstab 0.1.0 name the private modules of the flat layout (``skstab._classifier``,
# ``skstab._training``, ...): pickle imports them by those names, so each old path stays an alias of the
# module that now holds its code.
_MOVED_MODULES = {
    "_aligner": "preprocessing._aligner",
    "_batching": "training._batching",
    "_classifier": "neural_network._classifier",
    "_config": "neural_network._config",
    "_data": "neural_network._data",
    "_drift": "preprocessing._drift",
    "_mlp": "neural_network._base",
    "_moments": "preprocessing._moments",
    "_presets": "neural_network._presets",
    "_regressor": "neural_network._regressor",
    "_scaling": "preprocessing._scaling",
    "_stopping": "training._stopping",
    "_training": "training._loop",
    "_training_state": "training._state",
}
for _old, _new in _MOVED_MODULES.items():
    sys.modules.setdefault(f"{__name__}.{_old}", import_module(f".{_new}", __name__))
del _name, _old, _new
