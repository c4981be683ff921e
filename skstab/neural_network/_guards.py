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


def _column_spreads(X):
    """Each column's standard deviation as ``spread * 2 ** exponent``, and whether the column varies.

    Every column is first divided by the power of two just above its largest
    magnitude (exact), so neither huge values (whose squares overflow) nor tiny
    or subnormal ones (whose squares underflow to 0) distort its spread.
    """
    low, high = X.min(axis=0), X.max(axis=0)
    if not isinstance(X, np.ndarray):
        low, high = low.toarray().ravel(), high.toarray().ravel()
    exponent = np.frexp(np.maximum(np.abs(low), np.abs(high)).astype(np.float64))[1]
    if isinstance(X, np.ndarray):
        spread = np.ldexp(X, -exponent).std(axis=0, dtype=np.float64)
    else:
        X = X.tocsr(copy=True)
        X.data = np.ldexp(X.data, -exponent[X.indices])
        mean = np.asarray(X.mean(axis=0), dtype=np.float64).ravel()
        mean_sq = np.asarray(X.multiply(X).mean(axis=0), dtype=np.float64).ravel()
        spread = np.sqrt(np.maximum(mean_sq - mean**2, 0.0))
    return spread, exponent, high > low


def warn_scale_disparity(X, feature_names=None):
    """Warn when feature standard deviations differ by more than ``SCALE_RATIO_LIMIT``.

    The scales are estimated on an evenly strided sample of at most
    ``SCALE_SAMPLE_ROWS`` rows, so the check copies at most that sample. Their
    ratio is compared in the log domain: it may exceed float64's range.
    """
    step = max(1, X.shape[0] // SCALE_SAMPLE_ROWS)
    spread, exponent, varying = _column_spreads(X[::step])
    candidates = np.flatnonzero(varying & (spread > 0))
    if candidates.size < 2:
        return
    log2_std = np.log2(spread[candidates]) + exponent[candidates]
    largest, smallest = candidates[np.argmax(log2_std)], candidates[np.argmin(log2_std)]
    log10_ratio = float(log2_std.max() - log2_std.min()) * np.log10(2.0)
    if log10_ratio <= np.log10(SCALE_RATIO_LIMIT):
        return
    # A factor beyond float64's range (about 1e308) is given as a power of ten.
    factor = f"{10.0**log10_ratio:.3g}" if log10_ratio < 308 else f"about 1e+{log10_ratio:.0f}"

    def name(index):
        return repr(str(feature_names[index])) if feature_names is not None else f"#{index}"

    def std(index):
        return f"{np.ldexp(spread[index], exponent[index]):.3g}"

    warn_at_caller(
        f"Feature standard deviations differ by a factor of {factor} (feature {name(largest)}: "
        f"{std(largest)}, feature {name(smallest)}: {std(smallest)}). Unscaled features "
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
