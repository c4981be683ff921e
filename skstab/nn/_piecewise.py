r"""Piecewise-linear encoding of numerical features over fixed bins (Gorishniy, Rubachev and Babenko, 2022).

The encoding has no learned parameter: it is fixed by the bin edges, which
are computed from the training rows outside :mod:`skstab.nn` (the estimators
use :func:`skstab.preprocessing._quantiles.quantile_bin_edges`) and given to
the layer, so this package stays free of scikit-learn.
"""

from typing import NamedTuple

import numpy as np

from ..utils._accelerator import AcceleratedMixin, check_accelerator, fusable
from ..utils._threads import run_units
from ._base import Layer
from ._dense import Dense
from ._embeddings import _dense
from ._ensemble import BatchEnsembleDense
from ._ensemble_functional import ensemble_average, fold_members


def _edge_table(edges):
    """Bins of every feature padded to the widest: ``(left, inverse_width)``, each (n_features, n_bins)."""
    n_bins = max(len(e) - 1 for e in edges)
    left = np.zeros((len(edges), n_bins))
    inverse_width = np.zeros((len(edges), n_bins))
    for j, e in enumerate(edges):
        left[j, : len(e) - 1] = e[:-1]
        inverse_width[j, : len(e) - 1] = 1.0 / np.diff(e)
    return left, inverse_width


def _bin_layout(edges):
    """``(columns, clip_low, clip_high)``: the real bins among the padded ones, and how each clips.

    ``columns`` indexes the real bins in the flattened (n_features, n_bins)
    table. All bins but a feature's first clip below at 0 and all but its last
    clip above at 1: the outer sides of the first and last bins stay linear,
    as in the paper, so values beyond the training range keep moving the
    encoding. A feature with one bin is not clipped at all.
    """
    counts = np.array([len(e) - 1 for e in edges])
    position = np.arange(counts.max())
    real = position < counts[:, None]
    clip_low = (position > 0) & real
    clip_high = position < counts[:, None] - 1
    return np.flatnonzero(real.ravel()), clip_low, clip_high


class _FusedCache(NamedTuple):
    """What the backward pass of the encoding fused with its dense follower needs."""

    follower: Layer
    bins: np.ndarray
    fractions: np.ndarray
    product: np.ndarray


def _fusable_follower(layer):
    return type(layer) is Dense or (type(layer) is BatchEnsembleDense and layer.first)


def _run(kernel, n_units, work, *args):
    """Run ``kernel`` (of :mod:`._piecewise_fused`) over its units, on the threads the caller allows."""
    from . import _piecewise_fused as kernels

    run_units(kernel, kernels.PARALLEL[kernel], n_units, work, *args)


class PiecewiseLinearEncoding(AcceleratedMixin, Layer):
    r"""Piecewise-linear encoding of each numerical feature over its own bins.

    Feature :math:`x_j`, with bin edges :math:`b_0 < b_1 < \dots < b_T`, becomes
    :math:`T` values: bin :math:`t` gives 1 when :math:`x \ge b_t`, 0 when
    :math:`x < b_{t-1}` and :math:`(x - b_{t-1}) / (b_t - b_{t-1})` in
    between, except that the first bin is not clipped below and the last is
    not clipped above. So the encoding of :math:`x` in bin :math:`t` is
    ``[1, ..., 1, fraction, 0, ..., 0]``: the next dense layer learns a
    piecewise-linear function of each feature, with a kink at every edge,
    which a network of raw values needs many units for.

    Parameters
    ----------
    edges : sequence of array-like
        One strictly increasing array of at least two values per input
        feature: that feature's bin edges (quantiles of the training rows,
        typically). Features may have different numbers of bins.
    accelerator : {"numpy", "numba", "auto"}, default="numpy"
        With numba (``"numba"``, or ``"auto"`` where it is installed), a
        training pass of the encoding and the dense layer after it (plain,
        or the first :class:`BatchEnsembleDense`) runs as one kernel that
        never writes the encoded matrix: two weight rows per feature and row
        instead of one per bin. Inference and the numpy path compute the
        encoding, then the layer's product.

    Attributes
    ----------
    buffers : dict
        ``"left"``, the left edge of each bin, and ``"inverse_width"``, one
        over its width, both of shape (n_features, max bins), padded with
        zeros. The layer has no ``params``; which bins are real, and how
        each clips, is fixed by ``edges`` when the layer is built.

    Notes
    -----
    The output of a row is laid out feature by feature, each feature's bins
    in order; its width is the total number of bins. Sparse input is
    densified batch by batch. The layer computes an input gradient, though a
    first layer is never asked for one.

    Examples
    --------
    >>> import numpy as np
    >>> from skstab.nn import PiecewiseLinearEncoding
    >>> layer = PiecewiseLinearEncoding([[0.0, 1.0, 3.0], [0.0, 1.0]])
    >>> layer.build(2)
    3
    >>> layer.infer(np.array([[2.0, 0.5], [-1.0, 4.0]]))
    array([[ 1. ,  0.5,  0.5],
           [-1. ,  0. ,  4. ]])
    """

    def __init__(self, edges, *, accelerator: str = "numpy"):
        super().__init__()
        self.accelerator = check_accelerator(accelerator)
        self.edges = [np.asarray(e, dtype=np.float64) for e in edges]
        for j, e in enumerate(self.edges):
            if e.ndim != 1 or e.size < 2 or not np.all(np.isfinite(e)) or np.any(np.diff(e) <= 0):
                raise ValueError(
                    f"edges[{j}] must be a strictly increasing 1-D array of at least two finite values, got {e!r}."
                )

    def _init_buffers(self, n_in):
        if n_in != len(self.edges):
            raise ValueError(f"PiecewiseLinearEncoding has edges for {len(self.edges)} features, not {n_in}.")
        self._columns, self._clip_low, self._clip_high = _bin_layout(self.edges)
        left, inverse_width = _edge_table(self.edges)
        return {"left": left, "inverse_width": inverse_width}

    def _n_out(self, n_in):
        return sum(len(e) - 1 for e in self.edges)

    def _fractions(self, X, out=None):
        """Where each value lies in each bin, ``(X - left) / width``, unclipped: shape (n, n_features, max bins)."""
        left, inverse_width = self.buffers["left"], self.buffers["inverse_width"]
        raw = np.subtract(X[:, :, None], left, out=out, dtype=left.dtype)
        raw *= inverse_width
        return raw

    def _clip_bounds(self, dtype):
        """Per-bin lower and upper bounds of the encoding, -inf and inf where a bin is not clipped.

        Two plain broadcast ufuncs clip with them several times faster than
        masked (``where=``) ones.
        """

        def compute():
            low = np.where(self._clip_low, 0.0, -np.inf).astype(dtype)
            return low, np.where(self._clip_high, 1.0, np.inf).astype(dtype)

        return self._derived(("clip_bounds", np.dtype(dtype).str), (), compute)

    def _padded(self):
        """Whether some feature has fewer bins than the widest, so that padded bins must be dropped."""
        return self._columns.size != self.buffers["left"].size

    def _encode(self, X, raw=None, out=None):
        raw = self._fractions(X, raw)
        low, high = self._clip_bounds(raw.dtype)
        np.maximum(raw, low, out=raw)
        np.minimum(raw, high, out=raw)
        flat = raw.reshape(X.shape[0], -1)
        return np.take(flat, self._columns, axis=1, out=out) if self._padded() else flat

    def forward(self, X: np.ndarray, *, training: bool) -> np.ndarray:
        X = _dense(X)
        dtype = self.buffers["left"].dtype
        n, d = X.shape
        Y = self._workspace("Y", (n, self._n_out(d)), dtype)
        # Without padding the fractions are computed in the output itself.
        padded = self._padded()
        raw = self._workspace("raw", (n,) + self.buffers["left"].shape, dtype) if padded else Y.reshape(n, d, -1)
        # The slopes are worked out again in backward, which a first layer never needs.
        self._cache = X
        return self._encode(X, raw=raw, out=Y if padded else None)

    def backward(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray | None:
        if not need_input_grad:
            return None
        raw = self._fractions(self._cache)
        n, d, n_bins = raw.shape
        # dY back on the padded bins, zero where the encoding is clipped (flat) or padding.
        padded = np.zeros((n, d * n_bins), dtype=dY.dtype)
        padded[:, self._columns] = dY
        padded = padded.reshape(n, d, n_bins)
        padded[(self._clip_low & (raw < 0)) | (self._clip_high & (raw > 1))] = 0.0
        padded *= self.buffers["inverse_width"]
        return padded.sum(axis=2)

    def infer(self, X: np.ndarray) -> np.ndarray:
        return self._encode(_dense(X))

    def fuses_with(self, follower: Layer, X: np.ndarray) -> bool:
        """Whether a training pass on ``X`` can run the encoding and ``follower`` (a dense layer) as one kernel."""
        return _fusable_follower(follower) and self._uses_numba() and fusable(X, follower.params["W"])

    def fuses_inference_with(self, follower: Layer) -> bool:
        """Whether inference can run the encoding and ``follower`` (a dense layer) as one kernel."""
        return _fusable_follower(follower) and self._uses_numba()

    def infer_fused(self, X: np.ndarray, follower: Layer, affine=None) -> np.ndarray:
        """Inference of the encoding, ``follower`` and the frozen affine map ``affine`` after it, if any, in one pass.

        Each member's weights, with its multipliers and ``affine`` folded in,
        are summed over each feature's bins once and kept until a parameter
        changes; a row then reads two rows of those sums per feature.
        """
        from . import _piecewise_fused as kernels

        p = follower.params
        W = p["W"]
        X = np.ascontiguousarray(_dense(X), dtype=W.dtype)
        members = type(follower) is BatchEnsembleDense
        s, b = (p["s"], p["b"]) if members else (np.ones((1, W.shape[1]), W.dtype), p["b"][None])
        scale, shift = affine if affine is not None else (np.ones_like(b[0]), np.zeros_like(b[0]))
        r = p["r"] if members else np.ones((1, W.shape[0]), W.dtype)
        counts, offsets = self._bin_tables()

        k = b.shape[0]

        def tables(W, r, s, scale):
            folded = fold_members(W, r, s * scale)
            _run(kernels.feature_prefix_sums, k * len(counts), folded.size, folded, offsets, counts)
            return folded

        summed = self._derived("tables", (W, r, s, scale), tables)
        bins = np.empty(X.shape, dtype=np.intp)
        fractions = np.empty(X.shape, dtype=W.dtype)
        self._locate_bins(X, counts, bins, fractions)
        Y = np.empty((k * X.shape[0], W.shape[1]), dtype=W.dtype)
        units, work = k * kernels.n_row_blocks(X.shape[0]), Y.size * X.shape[1]
        _run(kernels.piecewise_dense_infer, units, work, bins, fractions, offsets, summed, b * scale + shift, Y)
        average = getattr(follower, "average", None)
        return Y if average is None else ensemble_average(Y, follower.n_members, average)

    def _locate_bins(self, X, counts, bins, fractions):
        from . import _piecewise_fused as kernels

        left, inverse_width = self.buffers["left"], self.buffers["inverse_width"]
        work = X.size * left.shape[1]
        _run(kernels.locate_bins, X.shape[0], work, X, left, inverse_width, counts, bins, fractions)

    def _bin_tables(self):
        """``(counts, offsets)``: each feature's number of bins and its first column in the output.

        Made once from the edges, which never change (every training pass asked for them twice,
        23 microseconds each).
        """
        tables = self.__dict__.get("_bin_counts_offsets")
        if tables is None:
            counts = np.array([len(e) - 1 for e in self.edges], dtype=np.intp)
            offsets = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.intp)
            tables = self._bin_counts_offsets = (counts, offsets)
        return tables

    def _follower_arrays(self, follower, k, h):
        """``(r, s, b)`` of the follower for the kernels: a plain dense layer has no member multipliers."""
        p = follower.params
        if type(follower) is BatchEnsembleDense:
            return p["r"], p["s"], p["b"]
        empty = p["W"][:0, :0]
        return empty, empty, p["b"].reshape(k, h)

    def forward_fused(self, X: np.ndarray, follower: Layer, *, sample_weight=None) -> np.ndarray:
        """Training forward pass of the encoding then ``follower``; see :meth:`fuses_with`."""
        from . import _piecewise_fused as kernels

        W = follower.params["W"]
        dtype, (n, d), h = W.dtype, X.shape, W.shape[1]
        members = type(follower) is BatchEnsembleDense
        k = follower.n_members if members else 1
        counts, offsets = self._bin_tables()
        bins = self._workspace("bins", (n, d), np.intp)
        fractions = self._workspace("fractions", (n, d), dtype)
        self._locate_bins(X, counts, bins, fractions)
        r, s, b = self._follower_arrays(follower, k, h)
        Y = follower._workspace("Y", (k * n, h), dtype)
        product = follower._workspace("product", (k * n, h), dtype) if members else Y
        prefix = self._workspace("prefix", (k,) + W.shape, dtype)
        _run(kernels.member_prefix, k * d, prefix.size, W, r, members, offsets, counts, prefix)
        units, work = k * kernels.n_row_blocks(n), Y.size * d
        _run(
            kernels.piecewise_dense_forward,
            units,
            work,
            bins,
            fractions,
            offsets,
            W,
            r,
            s,
            b,
            members,
            prefix,
            product,
            Y,
        )
        self._cache = _FusedCache(follower, bins, fractions, product)
        return Y

    def backward_fused(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray | None:
        """Backward pass of :meth:`forward_fused`: fills the follower's gradients."""
        from . import _piecewise_fused as kernels

        follower, bins, fractions, product = self._cache
        W, grads = follower.params["W"], follower.grads
        members = type(follower) is BatchEnsembleDense
        k = follower.n_members if members else 1
        h = W.shape[1]
        counts, offsets = self._bin_tables()
        r, s, _ = self._follower_arrays(follower, k, h)
        empty = W[:0, :0]
        dr, ds = (grads["r"], grads["s"]) if members else (empty, empty)
        spread = self._workspace("prefix", (k,) + W.shape, W.dtype)
        _run(
            kernels.piecewise_dense_spread,
            k * len(counts),
            dY.size * len(counts),
            dY,
            bins,
            fractions,
            offsets,
            counts,
            spread,
        )
        db = grads["b"].reshape(k, h)
        _run(
            kernels.piecewise_dense_finish,
            W.shape[0] + k,
            spread.size + dY.size,
            dY,
            W,
            r,
            s,
            product,
            members,
            spread,
            grads["W"],
            dr,
            ds,
            db,
        )
        if not need_input_grad:
            return None
        dproduct = (dY.reshape(k, -1, h) * s[:, None, :]).reshape(dY.shape) if members else dY
        inverse_width = self.buffers["inverse_width"]
        return kernels.piecewise_dense_input_grad(dproduct, bins, offsets, inverse_width, W, r, members)

    def __repr__(self):
        return f"PiecewiseLinearEncoding(<edges of {len(self.edges)} features, {self._n_out(None)} bins>)"
