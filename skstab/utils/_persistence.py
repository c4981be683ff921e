"""Record the skstab version in pickles and warn when one is loaded by another version."""

import inspect
import warnings
from functools import lru_cache
from importlib.metadata import version

from ..exceptions import InconsistentVersionWarning


@lru_cache(maxsize=1)
def skstab_version():
    return version("skstab")


class _VersionedPickleMixin:
    """Adds ``_skstab_version`` to the pickled state, as BaseEstimator adds ``_sklearn_version``.

    Goes before :class:`sklearn.base.BaseEstimator` in the bases.
    """

    #: Parameters whose default differs from how models behaved before the parameter existed.
    _values_before_parameters_existed = {}

    def __getstate__(self):
        return dict(super().__getstate__(), _skstab_version=skstab_version())

    def __setstate__(self, state):
        state = dict(state)
        saved = state.pop("_skstab_version", "unknown (before 0.1.0)")
        if saved != skstab_version():
            warnings.warn(
                InconsistentVersionWarning(type(self).__name__, saved, skstab_version()),
                stacklevel=2,
            )
        # A parameter added since the model was saved takes the value that reproduces how the model
        # behaved: its default, unless the default has changed since the parameter was added.
        for name, default in self._default_params().items():
            state.setdefault(name, self._values_before_parameters_existed.get(name, default))
        super().__setstate__(state)

    @classmethod
    def _default_params(cls):
        signature = inspect.signature(cls.__init__)
        return {name: p.default for name, p in signature.parameters.items() if p.default is not p.empty}
