"""The one place where skstab reaches into scikit-learn's private API.

Keeping these imports together means a scikit-learn release that moves them
breaks one module, not the whole package.
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, Options, RealNotInt, StrOptions
from sklearn.utils.validation import _check_sample_weight

__all__ = ["_fit_context", "Interval", "Options", "RealNotInt", "StrOptions", "_check_sample_weight"]
