"""Cheap calls (issue 23): what partial_fit and predict keep or skip between calls changes no answer."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal

from skstab import StabilizedMLPClassifier
from skstab.neural_network._fit_report import inference_gap
from skstab.training._fit_check import check_fit

from ._mlp_helpers import ESTIMATORS, make_data

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # one-epoch fits on tiny data


class _WithExtraParameter(StabilizedMLPClassifier):
    def __init__(self, hidden_layer_sizes=(100,), extra=1):
        super().__init__(hidden_layer_sizes)
        self.extra = extra


def test_parameter_names_are_each_class_own():
    # The names are read once per class: a subclass's signature is its own, not its parent's.
    assert "extra" in _WithExtraParameter().get_params()
    assert set(_WithExtraParameter().get_params()) == {"hidden_layer_sizes", "extra"}
    for Estimator in ESTIMATORS:
        names = Estimator().get_params()
        assert "extra" not in names and "input_scaling" in names


def _table(n=60, seed=0):
    """Numbers of several dtypes (nullable, object with None), missing values, and a category column."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n)),
            "count": pd.array(rng.integers(0, 5, n), dtype="Int64"),
            "flag": rng.random(n) < 0.5,
            "loose": pd.Series(np.where(rng.random(n) < 0.2, None, rng.normal(size=n)), dtype=object),
            "colour": pd.Categorical(rng.choice(["red", "green"], n)),
        }
    )


def test_numeric_columns_read_at_once_match_column_by_column():
    X = _table()
    y = np.arange(X.shape[0]) % 2
    encoder = StabilizedMLPClassifier(hidden_layer_sizes=(4,), max_iter=1, random_state=0).fit(X, y).encoder_
    numeric, _ = encoder._split(X)
    one_by_one = np.column_stack([X[name].astype(float).to_numpy() for name in ["x", "count", "flag", "loose"]])
    assert_array_equal(numeric, one_by_one)
    # pd.NA in an object column defeats the whole-block conversion; the column-by-column reading takes over.
    with_na = X.assign(loose=X["loose"].where(X["loose"].notna(), pd.NA))
    assert_array_equal(encoder._split(with_na)[0], one_by_one)
    with pytest.raises(ValueError, match="column 'loose' holds values that are not numbers"):
        encoder.transform(X.assign(loose="many"))


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=["classifier", "regressor"])
def test_a_stream_call_check_reuses_the_guard_loss_it_equals(Estimator):
    X, y = make_data(Estimator, n_samples=200)
    est = Estimator(max_iter=2, random_state=0).fit(X, y)
    est.partial_fit(X[:64], y[:64])
    Xs = est._scale_inputs(X[:64], est.net_.params.dtype)
    Y = est._encode_targets(y[:64], None, False, incremental=True)[0].astype(Xs.dtype)
    fresh = check_fit(est.net_, est._make_loss(), Xs, Y, None, est._init_output_bias(Y, None))
    assert est.inference_gap_ == pytest.approx(inference_gap(fresh, est._state.first_epoch_loss), rel=1e-9, abs=1e-12)
