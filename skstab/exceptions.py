"""Warnings and errors that skstab raises about training stability.

Every warning here is a :class:`UserWarning`, so the standard :mod:`warnings`
machinery can silence or escalate each one on its own. Each one reports a way
training goes wrong (the user guide's :ref:`user_guide_pitfalls` describes
them all):

===================================  ===========================================================
Class                                Reports
===================================  ===========================================================
:class:`ScaleDisparityWarning`       unscaled features whose standard deviations differ hugely
:class:`SmallBatchNormWarning`       batch normalization on batches of fewer than 8 rows
:class:`GradientClippingWarning`     gradients clipped on most updates late in a run
:class:`DivergenceRecoveryWarning`   a run that diverged and was rolled back at a lower rate
:class:`TrainingInterruptedWarning`  a ``fit`` cut short by Ctrl-C
:class:`InferenceMismatchWarning`    a model that predicts worse than it trained on the same rows
:class:`NoProgressWarning`           a model that does no better than a constant prediction
:class:`HorizonExceededWarning`      ``partial_fit`` calls past ``partial_fit_horizon``
:class:`DivergenceError`             a run that kept diverging after every rollback
:class:`InconsistentVersionWarning`  a pickled estimator loaded by another skstab version
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
    "HorizonExceededWarning",
    "InferenceMismatchWarning",
    "NoProgressWarning",
    "InconsistentVersionWarning",
    "ScaleDisparityWarning",
    "SmallBatchNormWarning",
    "TrainingInterruptedWarning",
]


class ScaleDisparityWarning(UserWarning):
    """Feature scales differ so much that training will be slow or unstable.

    When feature standard deviations differ by a factor of more than 1000,
    the loss surface becomes a long narrow valley: gradient steps are
    dominated by the large-scale features, and a learning rate small enough
    for them is too small for the rest. Such a
    network usually still trains, which hides the problem, but it learns
    more slowly and ends at a worse model.

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

    Batch statistics from fewer than 8 rows are noise: the mean and
    variance change so much from batch to batch that the normalization layer
    makes the activations less steady, not more, and the running statistics
    it keeps for inference are unreliable.

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

    Gradient clipping is a safety net for rare large gradients. When most
    steps are clipped, every gradient the optimizer sees has the same norm
    ``clip_norm``, so the run is no longer the optimizer you chose and the
    learning-rate schedule loses its grip on the step size.

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

    Too large a step at the start of training, when momentum piles up noisy
    early gradients, or a single huge gradient can throw the weights far off.
    When the loss, a gradient or the weights become non-finite, the estimator
    rolls back to the start of the epoch and retries it with half the
    learning rate; when an epoch's loss climbs far above the best epoch's, it
    returns to the best epoch's weights and goes on at half the rate. Either
    way the fit succeeds instead of returning a broken model, but it ran at a
    lower learning rate than the one you asked for.

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
    that were run, so ``predict`` works. Nothing went wrong with training
    itself; the warning only makes sure that a shortened run is not mistaken
    for a complete one.

    What to do: nothing, if the model is good enough. Otherwise call ``fit``
    again, or continue from the current weights with ``warm_start=True`` or
    ``partial_fit``.

    Examples
    --------
    >>> from skstab.exceptions import TrainingInterruptedWarning
    >>> issubclass(TrainingInterruptedWarning, UserWarning)
    True
    """


class InferenceMismatchWarning(UserWarning):
    """The network does clearly worse in inference mode than in training mode on its training rows.

    Batch normalization normalizes with the statistics of each batch while
    training and with stored statistics at prediction. When the stored ones
    do not describe what the final weights produce (running averages that
    trail a fast-moving first layer, say), predictions disagree with what
    training measured, silently. By default skstab recomputes the stored
    statistics from the training rows with the final weights
    (``batchnorm_statistics="population"``), so this warning means something
    else differs between the two modes.

    It fires when the inference-mode loss on up to 2,048 training rows
    exceeds the training-mode loss on the same rows by more than 10% of the
    first epoch's loss; the measured share is the fitted attribute
    ``inference_gap_``.

    What to do: keep ``batchnorm_statistics="population"``, or use
    ``normalization="layer"``, which computes the same thing in both modes.
    """


class NoProgressWarning(UserWarning):
    """A trained network does no better on its training rows than a constant prediction: it did not learn.

    The constant prediction is the weighted mean target (regression) or the
    class frequencies (classification), where the output layer starts; the
    comparison uses up to 2,048 training rows.

    Usually the learning rate is far too large (the loss jumps around or
    saturates the network), sometimes far too small, or the features carry a
    scale the network cannot absorb.

    What to do: change ``learning_rate_init`` by a factor of 10 (down first),
    keep ``input_scaling`` on, and look at ``loss_curve_``.
    """


class HorizonExceededWarning(UserWarning):
    """``partial_fit`` went past the calls its learning-rate schedule was laid out over.

    With ``partial_fit_horizon`` set, the first ``partial_fit`` call lays
    ``lr_schedule`` out over that many calls of its own size. Once a call goes
    past the plan, the learning rate holds at the schedule's end (usually
    ``min_learning_rate``), so further calls barely move the weights. Warned
    once per stream.

    What to do: set ``partial_fit_horizon`` to the number of calls you will
    make (chunks times passes), or leave it at ``None`` for a warmup followed by
    a constant rate, which suits a stream of unknown length.
    """


class DivergenceError(ValueError):
    """Training kept diverging after every learning-rate halving; ``fit`` failed.

    Raised when divergence recovery (see :class:`DivergenceRecoveryWarning`)
    gives up after five rollbacks, each halving the learning rate; the
    estimator is left as it was before the call. It subclasses
    :class:`ValueError`, which skstab raised for non-finite weights before
    recovery existed, so existing ``except ValueError`` handlers still catch
    it.

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


class InconsistentVersionWarning(UserWarning):
    """A pickled estimator was saved by another version of skstab than the one loading it.

    Pickles store private attributes, which may change between versions, so a
    model saved by one version can fail or predict differently in another.
    Every skstab estimator records the version that saved it (``_skstab_version``
    in the pickled state, next to scikit-learn's ``_sklearn_version``).

    What to do: load the model with the version that saved it (named in the
    message), or refit it with the current version and save it again.

    Attributes
    ----------
    estimator_name : str
    original_version : str
    current_version : str

    Examples
    --------
    >>> from skstab.exceptions import InconsistentVersionWarning
    >>> warning = InconsistentVersionWarning("StabilizedMLPClassifier", "0.0.9", "0.1.0")
    >>> warning.original_version, isinstance(warning, UserWarning)
    ('0.0.9', True)
    """

    def __init__(self, estimator_name, original_version, current_version):
        super().__init__(estimator_name, original_version, current_version)
        self.estimator_name = estimator_name
        self.original_version = original_version
        self.current_version = current_version

    def __str__(self):
        return (
            f"Unpickling {self.estimator_name} saved by skstab {self.original_version} with skstab "
            f"{self.current_version}; it may fail or predict differently. Refit and save it again with "
            f"this version, or load it with skstab {self.original_version}."
        )
