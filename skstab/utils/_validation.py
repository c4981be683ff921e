"""The one place where skstab reaches into scikit-learn's private API.

Keeping these imports together means a scikit-learn release that moves them
breaks one module, not the whole package.
"""

from collections.abc import Set

from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, Options, RealNotInt, StrOptions
from sklearn.utils.validation import _check_sample_weight

__all__ = [
    "_fit_context",
    "Interval",
    "Options",
    "RealNotInt",
    "StrOptions",
    "_check_sample_weight",
    "registry_options",
]


class _RegistryNames(Set):
    """The names of a registry as they are now, plus a few fixed names."""

    def __init__(self, registry, extra):
        self._registry, self._extra = registry, tuple(extra)

    @classmethod
    def _from_iterable(cls, iterable):
        return set(iterable)

    def __contains__(self, name):
        return name in self._extra or name in self._registry

    def __iter__(self):
        yield from self._extra
        yield from self._registry

    def __len__(self):
        return len(self._extra) + len(self._registry)


def registry_options(registry, *extra):
    """A ``StrOptions`` constraint over a registry's keys, including entries added later."""
    return StrOptions(_RegistryNames(registry, extra))
