"""Quantile encodings fitted on the training rows: quantile-normal input scaling and piecewise-linear bin edges.

Both answer skewed, heavy-tailed or irregular features, where a centre and a
scale (``_scaling``) leave most rows bunched together and a few far out.
``input_scaling="quantile"`` maps each feature through its training
quantiles to a standard normal, with scikit-learn's ``QuantileTransformer``;
``numerical_embedding="piecewise_linear"`` needs the quantile bin edges
computed here (Gorishniy, Rubachev and Babenko, NeurIPS 2022), which the
network's :class:`skstab.nn.PiecewiseLinearEncoding` then holds.
"""

from numbers import Integral

import numpy as np
from scipy import sparse
from sklearn.preprocessing import QuantileTransformer
from sklearn.utils import check_random_state

from ._scaling import weighted_quantiles

__all__ = ["MAX_QUANTILES", "PIECEWISE_LINEAR_BINS", "fit_quantile_scaling", "quantile_bin_edges", "quantile_scale"]

#: Quantiles ``input_scaling="quantile"`` keeps per feature: scikit-learn's default, fewer for fewer rows.
MAX_QUANTILES = 1000
#: Bins per feature of the piecewise-linear encoding: the paper's and rtdl's usual choice.
PIECEWISE_LINEAR_BINS = 16
#: Columns per block when computing bin edges, which bounds the sorting temporaries.
_EDGE_BLOCK_VALUES = 2**22


def _dense(X):
    """A block of sparse rows or columns as an array; arrays unchanged."""
    return X.toarray() if sparse.issparse(X) else X


def n_quantiles(n_samples):
    """Quantiles kept per feature: up to ``MAX_QUANTILES``, and at most half the rows.

    With as many quantiles as rows the transformer would keep every training value of every column;
    with half, its quantiles are interpolated between order statistics, so a saved model holds a
    description of each column's distribution, not the rows.
    """
    return min(MAX_QUANTILES, max(n_samples // 2, 2))


def fit_quantile_scaling(input_scaling, X, random_state=None):
    """The fitted ``QuantileTransformer`` of ``input_scaling="quantile"``, or None for other choices.

    Quantiles are unweighted: every row counts once, whatever its sample
    weight (``QuantileTransformer`` takes none). ``random_state`` (the
    estimator's) seeds the subsample of more than 10,000 rows: an int gives
    the same quantiles at every fit; a ``RandomState`` gives a draw from it.
    Sparse input is not scaled, as with the other scalings (centring would
    densify it).
    """
    if input_scaling != "quantile" or sparse.issparse(X):
        return None
    if random_state is not None and not isinstance(random_state, Integral):
        random_state = int(check_random_state(random_state).randint(2**31 - 1))
    transformer = QuantileTransformer(
        n_quantiles=n_quantiles(X.shape[0]), output_distribution="normal", random_state=random_state
    )
    return transformer.fit(X)


def quantile_scale(X, transformer, *, dtype, chunk_rows=65_536):
    """``transformer.transform(X)`` as a new C-ordered array of ``dtype``, computed a chunk of rows at a time.

    Chunks bound the float64 temporaries; a sparse ``X`` (given to a model
    fitted on dense rows) is densified a chunk at a time.
    """
    out = np.empty(X.shape, dtype=dtype)
    for start in range(0, X.shape[0], chunk_rows):
        rows = X[start : start + chunk_rows]
        # In float64: the transformer interpolates in its own dtype, and raw values may exceed float32's range.
        out[start : start + chunk_rows] = transformer.transform(np.asarray(_dense(rows), dtype=np.float64))
    return out


def quantile_bin_edges(X, n_bins=PIECEWISE_LINEAR_BINS, sample_weight=None):
    """Per feature, the distinct quantiles at ``0, 1/n_bins, ..., 1``: the edges of at most ``n_bins`` bins.

    A feature with few distinct values gets fewer bins; a constant feature
    (or one with no counted value) gets the one bin ``[c, c + 1]``, so its
    encoding is ``x - c``, never amplified. Quantiles are inverted-CDF ones
    (:func:`~skstab.preprocessing._scaling.weighted_quantiles`), so edges are
    training values, sample weights act as repeated rows, and NaN and
    zero-weight rows are ignored. Sparse ``X`` is densified a block of
    columns at a time (its implicit zeros count as values).

    Returns
    -------
    edges : list of ndarray
        One strictly increasing float64 array of at least two values per feature.

    Examples
    --------
    >>> X = np.array([[0.0, 1.0, 5.0], [1.0, 0.0, 5.0], [2.0, 1.0, 5.0], [3.0, 1.0, 5.0], [9.0, 0.0, 5.0]])
    >>> [edges.tolist() for edges in quantile_bin_edges(X, n_bins=4)]
    [[0.0, 1.0, 2.0, 3.0, 9.0], [0.0, 1.0], [5.0, 6.0]]
    """
    levels = np.linspace(0.0, 1.0, n_bins + 1)
    width = max(1, _EDGE_BLOCK_VALUES // max(X.shape[0], 1))
    quantiles = np.concatenate(
        [
            weighted_quantiles(_dense(X[:, start : start + width]), levels, sample_weight)
            for start in range(0, X.shape[1], width)
        ],
        axis=1,
    )
    edges = []
    for column in quantiles.T:
        distinct = np.unique(column[~np.isnan(column)])
        if distinct.size < 2:
            start = distinct[0] if distinct.size else 0.0
            distinct = np.array([start, start + 1.0])
        edges.append(distinct)
    return edges
