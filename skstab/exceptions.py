"""Warnings and errors that skstab raises about training stability.

Every warning here is a :class:`UserWarning`, so the standard :mod:`warnings`
machinery can silence or escalate each one on its own, and each one guards a
pitfall of the training-stability guide (numbered as in its "Pitfall Guide"):

===================================  ===========================================================
Class                                Guards against
===================================  ===========================================================
:class:`ScaleDisparityWarning`       pitfall 1, the zero-scaling trap
:class:`SmallBatchNormWarning`       pitfall 2, batch norm underflow
:class:`GradientClippingWarning`     pitfall 7, gradient explosion ignoration
:class:`DivergenceRecoveryWarning`   pitfalls 3 and 7, momentum overshoot and gradient explosion
:class:`TrainingInterruptedWarning`  no pitfall: it reports an interrupted ``fit``
:class:`DivergenceError`             pitfalls 3 and 7, when recovery gives up
===================================  ===========================================================

Examples
--------
Silence one kind of warning for a block of code:

>>> import warnings
>>> from skstab.exceptions import ScaleDisparityWarning
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore", category=ScaleDisparityWarning)
...     warnings.warn("features differ in scale", ScaleDisparityWarning)

Or turn it into an error, so a test suite fails on unscaled features:

>>> with warnings.catch_warnings():
...     warnings.simplefilter("error", category=ScaleDisparityWarning)
...     try:
...         warnings.warn("features differ in scale", ScaleDisparityWarning)
...     except ScaleDisparityWarning as exc:
...         print(type(exc).__name__)
ScaleDisparityWarning
"""

__all__ = [
    "DivergenceError",
    "DivergenceRecoveryWarning",
    "GradientClippingWarning",
    "ScaleDisparityWarning",
    "SmallBatchNormWarning",
    "TrainingInterruptedWarning",
]


class ScaleDisparityWarning(UserWarning):
    """Feature scales differ so much that training will be slow or unstable.

    Guards pitfall 1 of the guide, *the zero-scaling trap*: when feature
    standard deviations differ by more than a large ratio, the loss contours
    are stretched along the high-variance features, gradient steps are biased
    towards them and the optimizer must take small steps everywhere. Networks
    often "converge anyway", but to a worse model and more slowly.

    What to do: scale the features on the training data only, for example by
    putting :class:`skstab.FeatureAligner` first in a
    :class:`~sklearn.pipeline.Pipeline`, so that cross-validation and
    inference reuse the training statistics. Constant columns do not count
    towards the ratio.

    See Also
    --------
    skstab.FeatureAligner : Train-only z-scoring of features.

    Examples
    --------
    >>> from skstab.exceptions import ScaleDisparityWarning
    >>> issubclass(ScaleDisparityWarning, UserWarning)
    True
    """


class SmallBatchNormWarning(UserWarning):
    """Batch normalization is computing statistics from fewer than 8 rows.

    Guards pitfall 2 of the guide, *batch norm underflow*: the mean and
    variance of a batch of fewer than 8 rows are so noisy that the
    normalization layer injects variance instead of removing it, and the
    running statistics used at inference are unreliable.

    What to do: use ``normalization="layer"`` or ``normalization="group"``
    (or ``"auto"``, which picks layer normalization for small batches), or
    raise ``batch_size`` to at least 8. If the training set itself has fewer
    than 8 rows, batch normalization cannot work and layer normalization is
    the only sound choice.

    Examples
    --------
    >>> from skstab.exceptions import SmallBatchNormWarning
    >>> issubclass(SmallBatchNormWarning, UserWarning)
    True
    """


class GradientClippingWarning(UserWarning):
    """Most optimizer steps of the last epochs had their gradient clipped.

    Guards pitfall 7 of the guide, *gradient explosion ignoration*, from the
    other side: clipping is a safety net for rare large gradients. When most
    steps are clipped, every update has the same length ``clip_norm`` times
    the learning rate, so the run is no longer the optimizer you chose and
    the learning-rate schedule loses its grip on the step size.

    What to do: look at ``grad_norm_curve_`` and ``clip_fraction_curve_`` of
    the fitted estimator. Persistently large gradients usually mean unscaled
    features (use :class:`skstab.FeatureAligner`), an unscaled regression
    target (use :class:`~sklearn.compose.TransformedTargetRegressor` with a
    :class:`~sklearn.preprocessing.StandardScaler`) or a learning rate that is
    too high. If the gradients are simply large but training is healthy,
    raise ``clip_norm`` to about the median of ``grad_norm_curve_``.

    Examples
    --------
    >>> from skstab.exceptions import GradientClippingWarning
    >>> issubclass(GradientClippingWarning, UserWarning)
    True
    """


class DivergenceRecoveryWarning(UserWarning):
    """Training diverged, was rolled back and continued with half the learning rate.

    Guards the symptoms of pitfalls 3 and 7 of the guide, *momentum overshoot*
    and *gradient explosion*: when the loss or the weights become non-finite,
    the estimator rolls back to the start of the epoch and retries it with
    half the learning rate instead of returning a broken model. The fit then
    succeeds, but it ran at a lower learning rate than the one you asked for
    and spent time on the failed attempts.

    What to do: lower ``learning_rate_init`` (the message says by how much
    the rate was scaled down; the fitted ``recoveries_`` attribute lists each
    rollback), lengthen ``warmup``, set ``beta_1_warmup=True`` for
    Adam-type optimizers, keep gradient clipping on (``clip_norm``) and scale
    the features with :class:`skstab.FeatureAligner`.

    See Also
    --------
    DivergenceError : Raised when recovery gives up.

    Examples
    --------
    >>> from skstab.exceptions import DivergenceRecoveryWarning
    >>> issubclass(DivergenceRecoveryWarning, UserWarning)
    True
    """


class TrainingInterruptedWarning(UserWarning):
    """``fit`` was stopped by a ``KeyboardInterrupt``; the model is still usable.

    Pressing Ctrl-C during a long fit ends training early instead of throwing
    the work away: the estimator keeps the weights of the last completed
    update (the best validation weights with ``early_stopping=True``) and its
    fitted attributes (``n_iter_``, ``loss_curve_``, ...) describe the epochs
    that were run, so ``predict`` works. No pitfall of the guide is involved;
    the warning only makes sure that a shortened run is not mistaken for a
    complete one.

    What to do: nothing, if the model is good enough. Otherwise call ``fit``
    again, or continue from the current weights with ``warm_start=True`` or
    ``partial_fit``.

    Examples
    --------
    >>> from skstab.exceptions import TrainingInterruptedWarning
    >>> issubclass(TrainingInterruptedWarning, UserWarning)
    True
    """


class DivergenceError(ValueError):
    """Training kept diverging after every learning-rate halving; ``fit`` failed.

    Raised when divergence recovery (see :class:`DivergenceRecoveryWarning`)
    gives up; the estimator is left as it was before the call. Like the
    warning it guards pitfalls 3 and 7 of the guide, *momentum overshoot* and
    *gradient explosion*. It subclasses :class:`ValueError`, which skstab
    raised for non-finite weights before recovery existed, so existing
    ``except ValueError`` handlers still catch it.

    What to do: the data is the usual culprit when even a much smaller
    learning rate diverges. Check for infinite or huge values, scale the
    features with :class:`skstab.FeatureAligner` and a regression target with
    :class:`~sklearn.compose.TransformedTargetRegressor`, then lower
    ``learning_rate_init`` and keep ``clip_norm`` set.

    Examples
    --------
    >>> from skstab.exceptions import DivergenceError
    >>> try:
    ...     raise DivergenceError("weights became non-finite")
    ... except ValueError as exc:
    ...     print(exc)
    weights became non-finite
    """
