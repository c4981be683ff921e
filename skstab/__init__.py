"""skstab: scikit-learn compatible neural networks that train stably by default."""

from importlib.metadata import version as _version

__version__ = _version("skstab")

__all__ = ["__version__"]
