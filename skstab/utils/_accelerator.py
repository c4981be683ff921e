"""The ``accelerator`` choice shared by the optimizers, layers and losses.

numba is an optional dependency (``pip install skstab[fast]``). Whether it is
installed is looked up without importing it; the kernels that need it live in
``skstab/optim/_fused.py`` and ``skstab/nn/_fused.py`` and are imported the
first time an object whose ``accelerator`` is ``"numba"`` computes. numpy code
stays the reference: every fused kernel is tested against it.
"""

import importlib.util

import numpy as np

__all__ = ["ACCELERATORS", "check_accelerator", "numba_available", "resolve_accelerator", "fusable"]

#: The choices of every ``accelerator`` argument.
ACCELERATORS = ("auto", "numpy", "numba")

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def numba_available() -> bool:
    """Whether numba can be imported (looked up without importing it)."""
    return importlib.util.find_spec("numba") is not None


def check_accelerator(accelerator) -> str:
    """Return ``accelerator`` if it is one of :data:`ACCELERATORS`, else raise a ValueError naming it.

    Examples
    --------
    >>> check_accelerator("numpy")
    'numpy'
    """
    if not isinstance(accelerator, str) or accelerator not in ACCELERATORS:
        raise ValueError(f"Invalid accelerator: {accelerator!r} (expected one of {ACCELERATORS})")
    return accelerator


def resolve_accelerator(accelerator) -> str:
    """``"numpy"`` or ``"numba"``: ``"auto"`` is numba when it is installed.

    ``"numba"`` without numba installed is an ImportError that says how to
    install it, rather than a silent fallback.

    Examples
    --------
    >>> resolve_accelerator("numpy")
    'numpy'
    """
    accelerator = check_accelerator(accelerator)
    if accelerator == "auto":
        return "numba" if numba_available() else "numpy"
    if accelerator == "numba" and not numba_available():
        raise ImportError(
            "accelerator='numba' needs numba, which is not installed; install it with "
            "`pip install skstab[fast]` (or `pip install numba`), or use accelerator='auto' or 'numpy'."
        )
    return accelerator


def fusable(*arrays) -> bool:
    """Whether the fused kernels accept these arrays: one float32 or float64 dtype, C-contiguous."""
    dtype = arrays[0].dtype
    return dtype in _FLOAT_DTYPES and all(
        isinstance(a, np.ndarray) and a.dtype == dtype and a.flags.c_contiguous for a in arrays
    )


class AcceleratedMixin:
    """An ``accelerator`` attribute, resolved at the first computation and forgotten when pickled.

    A fitted model pickled where numba is installed thus resolves ``"auto"``
    again where it is loaded. Objects pickled before the choice existed read
    the class default ``"numpy"``.
    """

    accelerator = "numpy"

    def _uses_numba(self) -> bool:
        resolved = self.__dict__.get("_resolved_accelerator")
        if resolved is None:
            resolved = self._resolved_accelerator = resolve_accelerator(self.accelerator)
        return resolved == "numba"

    def __getstate__(self):
        state = dict(super().__getstate__() or {})
        state.pop("_resolved_accelerator", None)
        return state
