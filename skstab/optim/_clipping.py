"""Global gradient-norm clipping, applied once per step before the optimizer."""

import math
import numbers

import numpy as np

__all__ = ["clip_grad_norm_"]

# Keeps the scale finite when the norm is tiny and makes the clipped norm
# land a hair under ``max_norm`` rather than above it.
_EPS = 1e-6


def _l2_norm(array):
    """L2 norm of ``array`` as a Python float, robust to overflow of the fast path."""
    flat = array.reshape(-1)
    # BLAS dot: one pass, no temporary. In float32 it accumulates in float32,
    # whose range ends at 3.4e38, so a gradient with entries around 1e19
    # already overflows here although every entry is finite. That case is
    # handled below, so numpy's overflow warning would only be noise.
    with np.errstate(over="ignore", invalid="ignore"):
        squared = float(np.dot(flat, flat))
    if math.isfinite(squared):
        return math.sqrt(squared)
    # Rare path: recompute in float64, scaled by the largest magnitude so that
    # no finite input can overflow. Allocation is acceptable here.
    wide = np.abs(flat, dtype=np.float64)
    largest = float(wide.max())
    if not math.isfinite(largest):  # the gradient itself holds inf or nan
        return largest
    wide /= largest
    return largest * math.sqrt(float(np.dot(wide, wide)))


def clip_grad_norm_(grads: np.ndarray, max_norm: float | None = None) -> float:
    r"""Scale gradients in place so that their global L2 norm is at most ``max_norm``.

    Parameters
    ----------
    grads : ndarray or list of ndarray
        The flat gradient buffer, or several floating-point arrays whose
        entries together form one gradient vector. Modified in place.
    max_norm : float, default=None
        Largest allowed global norm, positive. ``None`` or ``inf`` only
        measures the norm.

    Returns
    -------
    total_norm : float
        Global L2 norm of the gradient before clipping. It may be ``inf`` or
        ``nan``, in which case ``grads`` is left unscaled: detecting the
        divergence is the caller's job.

    Notes
    -----
    With :math:`\lVert g \rVert` the L2 norm of all entries together and
    :math:`c` = ``max_norm``:

    .. math::

        g \leftarrow g \cdot \frac{c}{\lVert g \rVert + 10^{-6}}
        \quad\text{if } \lVert g \rVert > c,

    which keeps the direction of :math:`g`. The norm is computed with one dot
    product per array; if that overflows (float32 entries beyond about
    :math:`10^{19}`), it is recomputed in float64 with rescaling, so a finite
    gradient always gets its finite norm.

    Examples
    --------
    >>> import numpy as np
    >>> from skstab.optim import clip_grad_norm_
    >>> grads = np.array([3.0, 4.0])
    >>> clip_grad_norm_(grads, max_norm=1.0)
    5.0
    >>> grads
    array([0.6, 0.8])
    """
    arrays = [grads] if isinstance(grads, np.ndarray) else list(grads)
    for array in arrays:
        if not isinstance(array, np.ndarray) or array.dtype.kind != "f":
            raise TypeError(
                "grads must be a floating-point ndarray or a list of them, got "
                f"{type(array).__name__} {getattr(array, 'dtype', '')}"
            )
    if max_norm is not None:
        if isinstance(max_norm, bool) or not isinstance(max_norm, numbers.Real):
            raise TypeError(f"Invalid max_norm: {max_norm!r} (expected a real number or None)")
        max_norm = float(max_norm)
        if not max_norm > 0.0:
            raise ValueError(f"Invalid max_norm: {max_norm} (expected max_norm > 0)")

    # hypot combines the per-array norms without overflow or underflow.
    total_norm = math.hypot(*(_l2_norm(array) for array in arrays))

    if max_norm is not None and math.isfinite(total_norm) and total_norm > max_norm:
        scale = max_norm / (total_norm + _EPS)
        for array in arrays:
            array *= scale
    return total_norm
