"""The estimators: :class:`StabilizedMLPClassifier`, :class:`StabilizedMLPRegressor` and what only they use.

The top layer of skstab. ``_base`` holds the shared fit logic, ``_classifier`` and ``_regressor`` the
two public classes; ``_table_inputs`` turns X (arrays or raw tables) into the network's inputs;
``_builders`` turns the estimator's parameters into a network, an optimizer and a schedule through the
registries of :mod:`skstab.nn` and :mod:`skstab.optim`; ``_run`` builds or resumes them for one call and
trains; ``_rollback`` undoes a call that fails; ``_data`` prepares the training rows and the validation
split; ``_history`` keeps the fitted curves; ``_guards`` and ``_fit_report`` warn about unstable settings
and summarise a fit; ``_callbacks`` adapts :mod:`sklearn.callback`; ``_labels`` sorts and weighs class
labels; ``_config`` and ``_presets`` hold :class:`TrainingConfig` and the presets, views of the
estimator's parameters; ``_docstrings`` the parameter text both estimators share.

Imports :mod:`skstab.training`, :mod:`skstab.preprocessing`, :mod:`skstab.nn`, :mod:`skstab.optim` and
:mod:`skstab.utils`; nothing below imports it.
"""

from ._classifier import StabilizedMLPClassifier
from ._config import TrainingConfig
from ._presets import PRESETS
from ._regressor import StabilizedMLPRegressor

__all__ = ["PRESETS", "StabilizedMLPClassifier", "StabilizedMLPRegressor", "TrainingConfig"]
