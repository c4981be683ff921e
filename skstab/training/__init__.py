"""The training loop and its parts, below the estimators.

``_loop`` runs the epochs and updates (:func:`train`); ``_state`` is what a run carries between
updates and calls (parameters, optimizer, schedule, recoveries, history); ``_batching`` the batch
order and sizes; ``_stopping`` the stopping rule and the convergence test; ``_interrupt`` defers
Ctrl-C to the end of an update; ``_fit_check`` judges a finished fit; ``_threading`` the BLAS thread
policy.

Knows :mod:`skstab.nn` and :mod:`skstab.optim` through their public names, never the estimators
(:mod:`skstab.neural_network`) or :mod:`skstab.preprocessing`. Nothing here is public API.
"""
