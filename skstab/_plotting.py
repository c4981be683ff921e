"""Training-curve plots. matplotlib is an optional extra, imported only when a plot is asked for."""

import numpy as np


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # the message names the fix, not just the missing module
        raise ImportError("Plotting needs matplotlib: pip install 'skstab[plot]' (or pip install matplotlib).") from exc
    return plt


def _final_step(estimator):
    if hasattr(estimator, "steps"):  # a Pipeline: plot its final estimator
        return estimator.steps[-1][1]
    return estimator


def plot_training_curves(estimators, *, labels=None, axes=None):
    """Plot loss, learning rate and gradient norm of fitted networks side by side.

    The three panels show ``loss_curve_`` (per epoch), ``lr_curve_`` and
    ``grad_norm_curve_`` (per optimizer update): enough to see the warmup
    and the decay, a loss that stalls or jumps, and gradients that sit above
    ``clip_norm``. See :ref:`user_guide_pitfalls` for what to look for.

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
    plt = _pyplot()
    if not isinstance(estimators, (list, tuple)):
        estimators = [estimators]
    models = [_final_step(est) for est in estimators]
    labels = labels or [type(model).__name__ for model in models]
    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(13, 3.6), layout="constrained")
    axes = np.asarray(axes).ravel()
    for model, label in zip(models, labels):
        axes[0].plot(np.arange(1, len(model.loss_curve_) + 1), model.loss_curve_, label=label)
        if hasattr(model, "lr_curve_"):
            axes[1].plot(model.lr_curve_, label=label)
            axes[2].plot(model.grad_norm_curve_, label=label, linewidth=0.6)
    axes[0].set(title="Training loss", xlabel="epoch", yscale="log")
    axes[1].set(title="Learning rate", xlabel="optimizer update")
    axes[2].set(title="Gradient norm before clipping", xlabel="optimizer update", yscale="log")
    for ax in axes:
        if ax.lines:
            ax.legend()
    return axes
