"""Warnings that point at the user's line, however deep inside skstab they are raised."""

import os
import sys
import warnings
from pathlib import Path

import joblib
import sklearn

#: Frames in these directories are skipped when a warning looks for the user's call:
#: skstab's own code, scikit-learn's wrappers (``_fit_context``, Pipeline,
#: cross-validation) and the joblib loop scikit-learn runs them in.
_INTERNAL_DIRECTORIES = tuple(
    str(Path(module.__file__).parent) + os.sep for module in (sys.modules["skstab"], sklearn, joblib)
)


def warn_at_caller(message: str, category: type[Warning]) -> None:
    """Issue a warning attributed to the first frame outside skstab, scikit-learn and joblib.

    A fixed ``stacklevel`` would depend on how deep inside the library the
    warning is raised; walking the stack finds the user's ``fit`` call (or
    their ``cross_val_score`` call) wherever the warning comes from.
    """
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_code.co_filename.startswith(_INTERNAL_DIRECTORIES):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
