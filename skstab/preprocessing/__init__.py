"""Input preprocessing fitted on training rows only: :class:`FeatureAligner` and the scalings it shares.

``_aligner`` is :class:`FeatureAligner` (its parameters and fitting), ``_transform`` the arithmetic of its
``transform`` and ``inverse_transform``; ``_value_checks`` the errors that name the column whose values
cannot be handled; ``_scaling`` the robust, standard and smooth-clip input scalings the estimators apply to
their inputs; ``_quantiles`` the quantile-normal scaling and the piecewise-linear bin edges; ``_moments`` the
streaming per-feature moments both keep; ``_drift`` the drift report between splits.

Beside :mod:`skstab.training`: it imports only :mod:`skstab.utils` and :mod:`skstab.exceptions`,
never :mod:`skstab.nn`, :mod:`skstab.optim` or :mod:`skstab.training`.
"""

from ._aligner import FeatureAligner

__all__ = ["FeatureAligner"]
