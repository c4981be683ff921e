"""Cheap calls (issue 23): what partial_fit and predict keep or skip between calls changes no answer."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import NotFittedError

from skstab import StabilizedMLPClassifier
from skstab.neural_network._fit_report import inference_gap
from skstab.neural_network._labels import known_label_codes
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


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=["classifier", "regressor"])
def test_one_row_predicts_as_inside_a_large_batch(Estimator):
    # One row sets no BLAS limit, 100 rows one thread, 5,000 rows keep BLAS's threads: the same numbers.
    X, y = make_data(Estimator, n_samples=5000)
    est = Estimator(max_iter=1, random_state=0).fit(X[:300], y[:300])
    outputs = est.predict_proba if hasattr(est, "predict_proba") else est.predict
    batch = outputs(X)
    for row in (0, 99, 4999):
        np.testing.assert_allclose(outputs(X[row : row + 1])[0], batch[row], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(outputs(X[:100]), batch[:100], rtol=1e-10, atol=1e-12)
    if hasattr(est, "classes_"):  # labels agree exactly; a regressor's values were compared above
        assert_array_equal(est.predict(X[7:8]), est.predict(X)[7:8])


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=["classifier", "regressor"])
def test_partial_fit_still_refuses_other_columns_and_leaves_the_model(Estimator):
    X, y = make_data(Estimator, n_samples=200)
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    for data in (X, frame):
        est = Estimator(max_iter=1, random_state=0).fit(data, y)
        est.partial_fit(data[:64], y[:64])
        params = est.net_.params.copy()
        with pytest.raises(ValueError, match="features"):
            est.partial_fit(X[:64, :-1], y[:64])
        if data is frame:
            with pytest.raises(ValueError, match="feature names"):
                est.partial_fit(frame[:64].rename(columns={"x0": "other"}), y[:64])
        assert_array_equal(est.net_.params, params)
        est.partial_fit(data[64:128], y[64:128])  # and the stream goes on


def test_partial_fit_maps_new_levels_to_unknown_call_after_call():
    X = _table(120)
    y = np.arange(120) % 2
    est = StabilizedMLPClassifier(hidden_layer_sizes=(8,), random_state=0).partial_fit(X[:40], y[:40], classes=[0, 1])
    names = list(est.encoder_.get_feature_names_out())
    colour = [names.index("colour_green"), names.index("colour_red")]
    for start in (40, 80):
        chunk = X[start : start + 40].assign(colour=pd.Categorical(["blue"] * 40))
        est.partial_fit(chunk, y[start : start + 40])
        assert_array_equal(est.encoder_.transform(chunk)[:, colour], 0)
    assert est.n_iter_ == 3 and np.isfinite(est.predict_proba(X)).all()


def test_later_partial_fit_calls_keep_scikit_learn_label_errors():
    X, y = make_data(StabilizedMLPClassifier, n_samples=80)
    est = StabilizedMLPClassifier(hidden_layer_sizes=(8,), random_state=0).partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        est.partial_fit(X[:5], np.linspace(0.1, 0.9, 5))
    with pytest.raises(ValueError, match="missing label"):
        est.partial_fit(X[:3], np.array([0, None, 1], dtype=object))
    with pytest.raises(ValueError, match=r"labels \[2\] that are not in classes_"):
        est.partial_fit(X[:3], np.array([0, 2, 1]))


def test_known_labels_are_coded_without_scikit_learn_checks_and_anything_else_goes_through_them():
    classes = np.array([1, 4, 9])
    assert_array_equal(known_label_codes(classes, np.array([9, 1, 1, 4])), [2, 0, 0, 1])
    assert_array_equal(known_label_codes(classes, np.array([4.0, 9.0])), [1, 2])
    for y in (np.array([1, 5]), np.array([1, 10]), np.array([1.0, np.nan]), np.array([[1], [4]]), np.array(["1"])):
        assert known_label_codes(classes, y) is None
    words = np.array(["ham", "spam"], dtype=object)
    assert_array_equal(known_label_codes(words, np.array(["spam", "ham"], dtype=object)), [1, 0])
    assert known_label_codes(words, np.array(["spam", None], dtype=object)) is None
    assert known_label_codes(words, np.array([0, 1])) is None


def test_fitted_means_a_network_even_after_a_failed_first_fit():
    X, y = make_data(StabilizedMLPClassifier, n_samples=40)
    est = StabilizedMLPClassifier(hidden_layer_sizes=(4,), max_iter=1, random_state=0)
    with pytest.raises(NotFittedError):
        est.predict(X)
    with pytest.raises(ValueError, match="multiclass-multioutput"):  # refused once X is validated and stored
        est.fit(X, np.column_stack([y, 2 * y]))
    assert not hasattr(est, "encoder_")
    with pytest.raises(NotFittedError):
        est.predict(X)
    assert_array_equal(est.fit(X, y).predict(X).shape, (40,))
