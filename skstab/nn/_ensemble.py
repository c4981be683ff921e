"""BatchEnsemble dense layer: k ensemble members trained as one network (TabM)."""

import numpy as np

from ..utils._checks import check_int
from ._base import Layer
from ._embeddings import _dense
from ._ensemble_functional import (
    batch_ensemble_backward,
    batch_ensemble_forward,
    batch_ensemble_infer_folded,
    ensemble_average,
    fold_members,
    one_product_backward,
)
from ._init import INITIALIZERS

#: Ways to combine the members' outputs at inference: the output link they are averaged under.
ENSEMBLE_LINKS = ("identity", "softmax", "logistic")

#: Rows per member from which inference uses the members' folded weights. Folded weights are k times
#: W's size and checked against the parameters at every call: on fewer rows that costs more than the
#: scaling passes folding saves (benchmarks/bench_ensemble.py fold: at 64 rows a 256 -> 256 hidden
#: layer was 1.05 times slower, at 8 rows most layers 1.2 to 1.4 times; at 128 none was slower).
FOLD_MIN_ROWS = 128


class BatchEnsembleDense(Layer):
    r"""Dense layer of ``n_members`` ensemble members sharing one weight matrix (BatchEnsemble, TabM).

    Member :math:`i` computes :math:`Y_i = ((X_i \odot r_i)\, W) \odot s_i + b_i`:
    the weights :math:`W` are shared, the rank-1 multipliers :math:`r_i`,
    :math:`s_i` and the bias :math:`b_i` are the member's own. The members'
    rows are stacked, member after member, so every member is computed by
    one matrix product over ``n_members * n`` rows, and a whole network of
    such layers (with normalization, activations and dropout between them,
    which work row by row) trains all members at once.

    Parameters
    ----------
    n_out : int
        Output units of each member.
    n_members : int
        Ensemble size ``k``.
    init : {"he", "glorot"}, default="he"
        Initialization of the shared ``W``, as in :class:`Dense`; biases start
        at zero and the multipliers at one.
    first : bool, default=False
        The input holds ``n`` rows common to all members (the network's
        input), and the output ``k * n`` rows. The first layer's input
        multipliers :math:`r_i` start at random signs :math:`\pm 1`, as in
        TabM, so that members differ from the first update on.
    average : {"identity", "softmax", "logistic"} or None, default=None
        Set on the output layer: :meth:`infer` returns the members' combined
        prediction, ``n`` rows: the mean of their values (``"identity"``), or
        raw outputs whose softmax or sigmoid is the mean of the members'
        probabilities. :meth:`forward` always returns every member's rows, so
        that the loss scores each member (the members' losses are averaged).

    Attributes
    ----------
    params : dict
        ``"W"`` of shape (n_in, n_out) (weight-decayed), ``"r"`` of shape
        (n_members, n_in), ``"s"`` and ``"b"`` of shape (n_members, n_out).

    Notes
    -----
    From :data:`FOLD_MIN_ROWS` rows per member, :meth:`infer` and
    :meth:`infer_folded` compute member :math:`i` as
    :math:`X_i\, (\mathrm{diag}(r_i)\, W\, \mathrm{diag}(s_i)) + b_i`, one
    batched product with weights folded once and kept until a parameter
    changes (or the next layer's affine map does); the result equals the
    unfolded one up to rounding. The folded weights are the only state
    inference keeps, they are replaced whole, and they are never saved.

    Examples
    --------
    >>> import numpy as np
    >>> from skstab.nn import BatchEnsembleDense
    >>> layer = BatchEnsembleDense(2, 4, first=True)
    >>> layer.build(3, np.random.default_rng(0))
    2
    >>> layer.forward(np.ones((5, 3)), training=True).shape  # 4 members x 5 rows
    (20, 2)
    """

    decayed = frozenset({"W"})
    absorbs_affine = True

    def __init__(self, n_out: int, n_members: int, *, init: str = "he", first: bool = False, average=None):
        super().__init__()
        if init not in INITIALIZERS:
            raise ValueError(f"Invalid init: {init!r} (expected one of {sorted(INITIALIZERS)})")
        if average is not None and average not in ENSEMBLE_LINKS:
            raise ValueError(f"Invalid average: {average!r} (expected None or one of {ENSEMBLE_LINKS})")
        self.n_out = check_int("n_out", n_out, low=1)
        self.n_members = check_int("n_members", n_members, low=1)
        self.init = init
        self.first = bool(first)
        self.average = average

    def _init_params(self, n_in, rng):
        if rng is None:
            raise ValueError("BatchEnsembleDense.build needs a numpy.random.Generator to draw its weights.")
        k = self.n_members
        W = INITIALIZERS[self.init](n_in, self.n_out, rng)
        r = rng.choice([-1.0, 1.0], size=(k, n_in)) if self.first else np.ones((k, n_in))
        return {"W": W, "r": r, "s": np.ones((k, self.n_out)), "b": np.zeros((k, self.n_out))}

    def _n_out(self, n_in):
        return self.n_out

    def forward(self, X: np.ndarray, *, training: bool) -> np.ndarray:
        X = _dense(X)
        p = self.params
        k, dtype = self.n_members, p["W"].dtype
        rows = X.shape[0] * k if self.first else X.shape[0]
        Y, scaled, product = batch_ensemble_forward(
            X,
            p["W"],
            p["r"],
            p["s"],
            p["b"],
            self.first,
            out=self._workspace("Y", (rows, self.n_out), dtype),
            scaled=self._workspace("scaled", (k, rows // k, X.shape[1]), dtype),
            product=self._workspace("product", (rows, self.n_out), dtype),
        )
        self._cache = (X, scaled, product)
        return Y

    def backward(self, dY: np.ndarray, *, need_input_grad: bool = True) -> np.ndarray | None:
        X, scaled, product = self._cache
        p, g = self.params, self.grads
        dtype = p["W"].dtype
        rows, d = product.shape[0], X.shape[1]
        shared_dX = need_input_grad and self.first
        one_product = one_product_backward(self.first, need_input_grad, X.shape[0])
        return batch_ensemble_backward(
            dY,
            X,
            p["W"],
            p["r"],
            p["s"],
            scaled,
            product,
            g["W"],
            g["r"],
            g["s"],
            g["b"],
            self.first,
            need_input_grad,
            dproduct=self._workspace("dproduct", product.shape, dtype),
            dscaled=None if one_product else self._workspace("dscaled", (rows, d), dtype),
            dX=self._workspace("dX", X.shape, dtype) if shared_dX else None,
            member_grads=self._workspace("member_grads", (self.n_members, d, self.n_out), dtype)
            if one_product
            else None,
        )

    def infer(self, X: np.ndarray) -> np.ndarray:
        p = self.params
        Y = self._infer(_dense(X), p["s"], p["b"], ())
        return Y if self.average is None else ensemble_average(Y, self.n_members, self.average)

    def infer_folded(self, X: np.ndarray, scale: np.ndarray, shift: np.ndarray) -> np.ndarray:
        """Inference followed by ``Y * scale + shift`` (the next layer's frozen affine map), in one pass."""
        p = self.params
        Y = self._infer(_dense(X), p["s"] * scale, p["b"] * scale + shift, (scale,))
        return Y if self.average is None else ensemble_average(Y, self.n_members, self.average)

    def _infer(self, X, s, b, extra):
        """Members' stacked outputs with output multipliers ``s`` and biases ``b``, which ``extra`` determine."""
        p = self.params
        n = X.shape[0] if self.first else X.shape[0] // self.n_members
        if n < FOLD_MIN_ROWS:
            return batch_ensemble_forward(X, p["W"], p["r"], s, b, self.first)[0]
        return batch_ensemble_infer_folded(X, self._folded_weights(s, extra), b, self.first)

    def _folded_weights(self, s, extra):
        """:func:`fold_members` of the current parameters, computed again only when they changed (see ``_derived``).

        Comparing costs a fraction of folding again (W's size instead of k times it).
        """
        p = self.params
        return self._derived("folded", (p["W"], p["r"], p["s"], *extra), lambda W, r, _, *__: fold_members(W, r, s))

    def __repr__(self):
        extra = (", first=True" if self.first else "") + ("" if self.average is None else f", average={self.average!r}")
        return f"BatchEnsembleDense({self.n_out}, {self.n_members}, init={self.init!r}{extra})"
