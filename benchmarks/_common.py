"""Pieces the benchmark scripts share: dataset descriptions and the environment record."""

import platform
from dataclasses import dataclass

import numpy as np
import sklearn

import skstab


@dataclass(frozen=True)
class Dataset:
    """A scikit-learn bundled dataset and the task it poses."""

    name: str
    loader: object
    task: str  # "classification" or "regression"

    @property
    def metric(self):
        return "accuracy" if self.task == "classification" else "r2"


def environment():
    """Versions and machine, stored beside every benchmark result."""
    return {
        "skstab": skstab.__version__,
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
