"""Checks that turn known training failures into warnings a user can act on.

Each function looks at one thing the estimators know before or after training
and warns with a named class from :mod:`skstab.exceptions` when a pitfall is
present. None of them changes what training does. Every warning points at
the user's call, however deep inside skstab it is raised.
"""

import numpy as np

from ..exceptions import GradientClippingWarning, ScaleDisparityWarning, SmallBatchNormWarning
from ..training._batching import MIN_BATCH_ROWS
from ..utils._warnings import warn_at_caller

#: Largest tolerated ratio between the largest and smallest feature standard
#: deviation (constant features aside) before unscaled features are reported.
SCALE_RATIO_LIMIT = 1e3
#: Rows used to estimate feature scales: enough for a ratio of 1e3, cheap on any X.
SCALE_SAMPLE_ROWS = 10_000
#: Persistent clipping is reported when more than this share of the updates of the
#: last ``CLIP_WINDOW_EPOCHS`` epochs had their gradient clipped.
CLIP_WARNING_FRACTION = 0.5
CLIP_WINDOW_EPOCHS = 5


def _column_std(X):
    if isinstance(X, np.ndarray):
        return X.std(axis=0, dtype=np.float64)
    mean = np.asarray(X.mean(axis=0), dtype=np.float64).ravel()
    mean_sq = np.asarray(X.multiply(X).mean(axis=0), dtype=np.float64).ravel()
    return np.sqrt(np.maximum(mean_sq - mean**2, 0.0))


def warn_scale_disparity(X, feature_names=None):
    """Warn when feature standard deviations differ by more than ``SCALE_RATIO_LIMIT``.

    The scales are estimated on an evenly strided sample of at most
    ``SCALE_SAMPLE_ROWS`` rows, a view of ``X``, so the check never copies a
    large input.
    """
    step = max(1, X.shape[0] // SCALE_SAMPLE_ROWS)
    std = _column_std(X[::step])
    varying = np.flatnonzero(std > 0)
    if varying.size < 2:
        return
    largest, smallest = varying[np.argmax(std[varying])], varying[np.argmin(std[varying])]
    ratio = std[largest] / std[smallest]
    if ratio <= SCALE_RATIO_LIMIT:
        return

    def name(index):
        return repr(str(feature_names[index])) if feature_names is not None else f"#{index}"

    warn_at_caller(
        f"Feature standard deviations differ by a factor of {ratio:.3g} (feature {name(largest)}: "
        f"{std[largest]:.3g}, feature {name(smallest)}: {std[smallest]:.3g}). Unscaled features "
        "stretch the loss surface and slow or destabilize training: put skstab.FeatureAligner "
        "(fitted on training data only) before the network in a Pipeline.",
        ScaleDisparityWarning,
    )


def warn_small_batch_norm(kind, batch_rows, accumulation_steps):
    """Warn when batch normalization sees batches of fewer than ``MIN_BATCH_ROWS`` rows.

    Accumulating gradients over enough batches to cover ``MIN_BATCH_ROWS``
    rows is the remedy when batch normalization is required, so it
    silences the warning (each batch is still normalized with its own
    statistics).
    """
    if kind != "batch" or batch_rows >= MIN_BATCH_ROWS or batch_rows * accumulation_steps >= MIN_BATCH_ROWS:
        return
    warn_at_caller(
        f"normalization='batch' with batches of {batch_rows} rows: batch statistics from fewer "
        f"than {MIN_BATCH_ROWS} rows add noise instead of removing it. Use normalization='layer' "
        "(or 'group', or 'auto'), a larger batch_size, or gradient_accumulation_steps so that "
        f"batch_size * gradient_accumulation_steps >= {MIN_BATCH_ROWS}.",
        SmallBatchNormWarning,
    )


def warn_persistent_clipping(clip_fraction_curve, clip_norm, learning_rate):
    """Warn when most recent updates needed their gradient clipped.

    Occasional clipping is the safeguard working, and the first epochs of any
    run clip a lot; clipping most of the time late in a run means the learning
    rate is too large for the loss surface, and the optimizer's variance
    estimates are being fed a truncated signal. Runs shorter than twice the
    window are not judged, so the window never covers the start.
    """
    if clip_norm is None or len(clip_fraction_curve) < 2 * CLIP_WINDOW_EPOCHS:
        return
    recent = clip_fraction_curve[-CLIP_WINDOW_EPOCHS:]
    share = float(np.mean(recent))
    if share <= CLIP_WARNING_FRACTION:
        return
    warn_at_caller(
        f"{share:.0%} of the updates of the last {len(recent)} epochs had their gradient norm "
        f"clipped to clip_norm={clip_norm}. Training is being held back by clipping: lower "
        f"learning_rate_init (now {learning_rate:g}) or scale the inputs and targets. The "
        "per-epoch figures are in clip_fraction_curve_ and the norms in grad_norm_curve_.",
        GradientClippingWarning,
    )
