"""plot_training_curves: several runs side by side, drawn by TrainingCurveDisplay."""

import numpy as np

from ._training_curves import TrainingCurveDisplay, _check_matplotlib, _final_estimator

_PANELS = ("loss", "lr", "grad_norm")


def plot_training_curves(estimators, *, labels=None, axes=None):
    """Plot loss, learning rate and gradient norm of fitted networks side by side.

    The three panels show ``loss_curve_`` (per epoch), ``lr_curve_`` and
    ``grad_norm_curve_`` (per optimizer update) of every estimator, drawn by
    :meth:`skstab.plotting.TrainingCurveDisplay.from_estimator` on shared
    axes, with each run's ``clip_norm``, restored best epoch and divergence
    recoveries marked: enough to see the warmup and the decay, a loss that
    stalls or jumps, and gradients that sit above ``clip_norm``. See
    :ref:`user_guide_pitfalls` for what to look for. For one run with its
    validation scores, use :class:`~skstab.plotting.TrainingCurveDisplay`
    directly.

    Parameters
    ----------
    estimators : estimator or list of estimators
        Fitted skstab estimators, or pipelines ending in one. scikit-learn's
        ``MLPClassifier``/``MLPRegressor`` are accepted too; they contribute
        their loss curve only, since they record no learning-rate or
        gradient-norm history.
    labels : list of str, default=None
        Legend entries; the class names by default.
    axes : array of 3 matplotlib Axes, default=None
        Where to draw; a new 1x3 figure when ``None``.

    Returns
    -------
    axes : ndarray of matplotlib Axes
        The loss, learning-rate and gradient-norm panels.
    """
    _check_matplotlib("plot_training_curves")
    import matplotlib.pyplot as plt

    if not isinstance(estimators, (list, tuple)):
        estimators = [estimators]
    labels = labels or [type(_final_estimator(est)).__name__ for est in estimators]
    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(13, 3.6), layout="constrained")
    axes = np.asarray(axes).ravel()
    for estimator, label in zip(estimators, labels):
        TrainingCurveDisplay.from_estimator(estimator, ax=axes, panels=_PANELS, name=label)
    return axes
