"""Argument checks for the numpy building blocks (:mod:`skstab.nn`, :mod:`skstab.optim`).

The estimators validate their parameters with scikit-learn's
``_parameter_constraints``; the layers, optimizers and schedules can be used
on their own, so they check their constructor arguments here, eagerly, with
one message format: ``Invalid <name>: <value> (expected ...)``. This module
depends on numpy only.
"""

import math
from numbers import Integral, Real

import numpy as np

__all__ = ["check_int", "check_real"]


def check_real(
    name: str,
    value,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a finite float within the given bounds.

    Examples
    --------
    >>> check_real("momentum", 0.5, low=0.0, high=1.0, high_open=True)
    0.5
    >>> check_real("epsilon", 0.0, low=0.0, low_open=True)
    Traceback (most recent call last):
    ...
    ValueError: Invalid epsilon: 0.0 (expected epsilon > 0.0)
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
        raise TypeError(f"Invalid {name}: {value!r} (expected a real number)")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"Invalid {name}: {value} (expected a finite number)")
    if low is not None and (value <= low if low_open else value < low):
        raise ValueError(f"Invalid {name}: {value} (expected {name} {'>' if low_open else '>='} {low})")
    if high is not None and (value >= high if high_open else value > high):
        raise ValueError(f"Invalid {name}: {value} (expected {name} {'<' if high_open else '<='} {high})")
    return value


def check_int(name: str, value, *, low: int = 0) -> int:
    """Return ``value`` as an int of at least ``low``; bools are rejected.

    Examples
    --------
    >>> check_int("n_epochs", 3, low=1)
    3
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral):
        raise TypeError(f"Invalid {name}: {value!r} (expected an integer)")
    value = int(value)
    if value < low:
        raise ValueError(f"Invalid {name}: {value} (expected {name} >= {low})")
    return value
