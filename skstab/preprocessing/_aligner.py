""":class:`FeatureAligner`: its parameters, documentation, fitting and fitted statistics.

Fitting validates the input and turns the streaming moments of ``_moments``
(or, for ``method="robust"``, the quantiles of ``_scaling``) into the fitted
attributes. ``_transform`` applies them, ``_drift`` compares new data with
them, and ``_value_checks`` refuses values the computations cannot represent.
"""

from numbers import Real

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import validate_data

from ..utils._doc_links import DocLinkMixin
from ..utils._inputs import column_label, explained_input_errors
from ..utils._persistence import _VersionedPickleMixin
from ..utils._validation import Interval, StrOptions, _check_sample_weight, _fit_context
from ._drift import drift_table
from ._moments import is_constant_feature, update_moments
from ._scaling import robust_statistics
from ._transform import inverse_transform_data, transform_data
from ._value_checks import FLOAT_DTYPES, SPARSE_CENTER_MSG, check_no_inf, check_representable

_NOT_FITTED_MSG = (
    "This %(name)s instance is not fitted yet. Call 'fit' on the training split "
    "first, then transform validation and test data with it; never refit it on "
    "validation or test data."
)


class FeatureAligner(DocLinkMixin, OneToOneFeatureMixin, TransformerMixin, _VersionedPickleMixin, BaseEstimator):
    """Standardize features with statistics of the training split only.

    Each feature becomes ``(x - mean_) / scale_`` with the population standard
    deviation and ``scale_ = sqrt(var_) + epsilon``. Fitted on the training
    split and reused unchanged on validation, test and production data, it
    puts every feature on a comparable scale without letting statistics of
    held-out rows leak into training (see :ref:`user_guide_scaling`).
    Statistics are accumulated in float64 with a numerically stable chunk
    merge, so ``partial_fit`` over any chunking matches one ``fit``.
    :meth:`drift_report` compares new data with the training statistics.

    Parameters
    ----------
    method : {"standard", "robust"}, default="standard"
        ``"standard"`` centres on the mean and divides by ``std + epsilon``.
        ``"robust"`` centres on the median and divides by the inter-quartile
        range (half the range when the quartiles coincide, 1 for a constant
        feature), so a few outliers do not shrink every other value; its
        inverted-CDF quantiles need all rows at once, so it works with
        ``fit`` but not ``partial_fit``, and with dense input only.

    clip : float or None, default=None
        After scaling, squeeze values smoothly into ``(-clip, clip)`` with
        ``x / sqrt(1 + (x / clip) ** 2)``: the identity near 0, keeping the
        order of outliers while bounding them (3.0 is the usual choice).
        ``None`` leaves the scaled values as they are. Streaming-safe.

    epsilon : float, default=1e-8
        Added to the standard deviation of every non-constant feature so that
        a tiny spread is not divided by zero.

    with_mean : bool, default=True
        If True, center the data before scaling. Must be False for sparse input.

    with_std : bool, default=True
        If True, divide by ``scale_``.

    copy : bool, default=True
        If False, transform float arrays in place when possible.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
        Per-feature training mean (float64). Always computed, even with
        ``with_mean=False``, because :meth:`drift_report` and ``partial_fit``
        need it. Exactly the training value for features whose values are all
        identical.

    var_ : ndarray of shape (n_features,)
        Per-feature training population variance (``ddof=0``, float64); always
        computed, like ``mean_``.

    center_ : ndarray of shape (n_features,)
        Per-feature value subtracted by ``transform`` (with ``with_mean``):
        ``mean_`` for ``method="standard"``, the training median for
        ``"robust"``.

    scale_ : ndarray of shape (n_features,) or None
        Per-feature divisor: ``sqrt(var_) + epsilon`` (``"standard"``) or the
        inter-quartile range (``"robust"``), 1.0 for constant features. None
        when ``with_std=False``.

    n_samples_seen_ : int, float or ndarray of shape (n_features,)
        Number of non-NaN training values per feature: an int while no sample
        weights were given, else the float sum of their weights. A scalar when
        every feature has the same count, like StandardScaler.

    data_min_ : ndarray of shape (n_features,)
        Per-feature training minimum, ignoring NaN and zero-weight rows.

    data_max_ : ndarray of shape (n_features,)
        Per-feature training maximum, ignoring NaN and zero-weight rows.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    sklearn.preprocessing.StandardScaler : Same centring, but its scale is the
        bare standard deviation.

    Notes
    -----
    NaNs are ignored in ``fit`` and passed through by ``transform``; infinite
    values raise a ValueError naming the column. Sample weights act as
    repetition counts: rows of zero weight do not touch any statistic,
    ``data_min_`` and ``data_max_`` included.

    Constant features are not amplified. A feature that is constant on the
    training split (say a one-hot column whose category never occurs in this
    fold) has ``std = 0``, so ``scale_ = epsilon`` would turn a single 1 in
    the test fold into 1e8. Features whose variance is zero up to floating-point
    rounding (StandardScaler's criterion) get ``scale_ = 1`` instead: the
    training value maps to exactly 0.0 (``mean_`` holds that exact value) and
    other values map to their raw deviation, never amplified.

    Examples
    --------
    >>> import numpy as np
    >>> from skstab import FeatureAligner
    >>> X_train = np.array([[0.0, 1.0], [2.0, 1.0], [4.0, 1.0]])
    >>> aligner = FeatureAligner().fit(X_train)
    >>> aligner.mean_
    array([2., 1.])
    >>> aligner.scale_
    array([1.63299317, 1.        ])
    >>> aligner.transform([[2.0, 1.0], [6.0, 3.0]])
    array([[0.        , 0.        ],
           [2.44948973, 2.        ]])
    """

    _parameter_constraints: dict = {
        "method": [StrOptions({"standard", "robust"})],
        "clip": [Interval(Real, 0, None, closed="neither"), None],
        "epsilon": [Interval(Real, 0, None, closed="left")],
        "with_mean": ["boolean"],
        "with_std": ["boolean"],
        "copy": ["boolean"],
    }
    _not_fitted_message = _NOT_FITTED_MSG

    def __init__(self, *, method="standard", clip=None, epsilon=1e-8, with_mean=True, with_std=True, copy=True):
        self.method = method
        self.clip = clip
        self.epsilon = epsilon
        self.with_mean = with_mean
        self.with_std = with_std
        self.copy = copy

    def _reset(self):
        for attr in ("mean_", "var_", "center_", "scale_", "n_samples_seen_", "data_min_", "data_max_", "_mean_lo"):
            self.__dict__.pop(attr, None)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Compute the per-feature statistics of the training split.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. NaNs are ignored; sparse input needs ``with_mean=False``.

        y : None
            Ignored.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights acting as repetition counts; not all zero.

        Returns
        -------
        self : object
            Fitted aligner.
        """
        self._reset()
        return self._partial_fit(X, sample_weight, allow_all_zero_weights=False, whole=True)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, sample_weight=None):
        """Update the statistics with one chunk of training data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A chunk of training data. NaNs are ignored.

        y : None
            Ignored.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights acting as repetition counts. A chunk whose
            weights are all zero leaves the statistics unchanged.

        Returns
        -------
        self : object
            Updated aligner.
        """
        if self.method == "robust":
            raise ValueError(
                "method='robust' needs all training rows at once (its median and quartiles cannot be merged "
                "across chunks): call fit, or use method='standard' (optionally with clip) to stream."
            )
        return self._partial_fit(X, sample_weight, allow_all_zero_weights=True, whole=False)

    def _partial_fit(self, X, sample_weight, allow_all_zero_weights, whole):
        first_call = not hasattr(self, "n_samples_seen_")
        with explained_input_errors(X):
            X = validate_data(
                self, X, accept_sparse=("csr", "csc"), dtype=FLOAT_DTYPES, ensure_all_finite=False, reset=first_call
            )
        self._check_no_inf(X)
        if sparse.issparse(X) and self.with_mean:
            raise ValueError(SPARSE_CENTER_MSG)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight,
                X,
                dtype=np.float64,
                ensure_non_negative=True,
                allow_all_zero_weights=allow_all_zero_weights,
            )
        if first_call:
            weighted, running = sample_weight is not None, None
        else:
            # Float counts record that weights were given once; they stay float from then on.
            weighted = sample_weight is not None or np.asarray(self.n_samples_seen_).dtype.kind == "f"
            running = (self.n_samples_seen_, self.mean_, self._mean_lo, self.var_, self.data_min_, self.data_max_)
        n, mean, mean_lo, var, data_min, data_max = update_moments(X, sample_weight, running)
        self._check_representable(n, mean, var, data_max)
        # Identical values: store the exact value so it maps to exactly 0.0.
        identical = data_min == data_max
        mean, var = np.where(identical, data_min, mean), np.where(identical, 0.0, var)
        # The low-order part of the running mean: not a statistic, only what
        # lets the next partial_fit merge as precisely as one fit.
        self._mean_lo = np.where(identical, 0.0, mean_lo)

        counts = n if weighted else np.rint(n).astype(np.int64)
        self.n_samples_seen_ = counts[0] if np.all(counts == counts[0]) else counts
        self.mean_, self.var_ = mean, var
        self.data_min_, self.data_max_ = data_min, data_max
        self.center_, self.scale_ = mean, None
        if self.with_std:
            constant = is_constant_feature(var, mean, n)
            self.scale_ = np.where(constant, 1.0, np.sqrt(var) + self.epsilon)
        if self.method == "robust" and whole:
            if sparse.issparse(X):
                raise ValueError("method='robust' needs dense input; use method='standard' with sparse data.")
            self.center_, robust_scale = robust_statistics(X, sample_weight)
            if self.with_std:
                self.scale_ = robust_scale
        return self

    def _column_label(self, column):
        return column_label(getattr(self, "feature_names_in_", None), column)

    def _check_representable(self, n, mean, var, data_max):
        """:func:`~skstab.preprocessing._value_checks.check_representable`, naming this aligner's columns."""
        check_representable(n, mean, var, data_max, self._column_label)

    def _check_no_inf(self, X):
        """:func:`~skstab.preprocessing._value_checks.check_no_inf`, naming this aligner's columns."""
        check_no_inf(X, self._column_label, type(self).__name__)

    def transform(self, X, copy=None):
        """Center and scale X with the training statistics.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data to transform. NaNs are passed through.

        copy : bool, default=None
            Whether to copy X; None means ``self.copy``.

        Returns
        -------
        X_tr : {ndarray, sparse matrix} of shape (n_samples, n_features)
            Transformed data, of the same float dtype as X.
        """
        return transform_data(self, X, copy)

    def inverse_transform(self, X, copy=None):
        """Scale back transformed data to the original representation.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Transformed data. NaNs are passed through.

        copy : bool, default=None
            Whether to copy X; None means ``self.copy``.

        Returns
        -------
        X_original : {ndarray, sparse matrix} of shape (n_samples, n_features)
            Data in the original units, of the same float dtype as X.
        """
        return inverse_transform_data(self, X, copy)

    def drift_report(
        self,
        X,
        *,
        mean_shift_threshold=0.5,
        std_ratio_threshold=2.0,
        out_of_range_threshold=0.05,
    ):
        """Compare the distribution of new data with the training statistics.

        The fitted statistics are never changed.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            New data, e.g. a validation, test or production batch. NaNs are ignored.

        mean_shift_threshold : float, default=0.5
            A feature drifts if its mean moved by more than this many training
            standard deviations.

        std_ratio_threshold : float, default=2.0
            A feature drifts if ``new_std / train_std`` is above this value or
            below its inverse. Must be at least 1.

        out_of_range_threshold : float, default=0.05
            A feature drifts if more than this fraction of its non-NaN values
            lies outside the training ``[data_min_, data_max_]``.

        Returns
        -------
        report : pandas.DataFrame
            One row per feature, indexed by ``get_feature_names_out()``, with
            columns ``train_mean``, ``train_std``, ``new_mean``, ``new_std``
            (population), ``mean_shift`` (``|new_mean - train_mean| / train_std``;
            the divisor is 1 for constant training features, as in ``scale_``),
            ``std_ratio`` (for constant training features: 1.0 if the new values
            are constant too, else inf), ``out_of_range`` and ``drifted`` (bool).
            Statistics of a feature without any non-NaN value are NaN, and NaN
            never counts as drift.
        """
        return drift_table(
            self,
            X,
            mean_shift_threshold=mean_shift_threshold,
            std_ratio_threshold=std_ratio_threshold,
            out_of_range_threshold=out_of_range_threshold,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        # Sparse input is only accepted without centring (StandardScaler's rule).
        tags.input_tags.sparse = not self.with_mean
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
