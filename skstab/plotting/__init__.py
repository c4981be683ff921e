"""Plots of fitted skstab estimators, following scikit-learn's Display API.

matplotlib is an optional extra (``pip install "skstab[plot]"``): importing
this subpackage does not import it; drawing does, and raises an
:class:`ImportError` naming the extra when it is missing.
"""

from ._compare import plot_training_curves
from ._training_curves import TrainingCurveDisplay

__all__ = ["TrainingCurveDisplay", "plot_training_curves"]
