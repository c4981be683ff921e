"""Issue 13: every bad input gets a clear answer, every failure leaves the model as it was."""

import re

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skstab import StabilizedMLPClassifier, StabilizedMLPRegressor

from ._mlp_helpers import assert_same_params, ignore_convergence

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

#: Unscaled inputs: these tests drive the network itself into divergence and overflow,
#: which the estimator's own input scaling would otherwise absorb.
SMALL = {"hidden_layer_sizes": (8,), "max_iter": 3, "random_state": 0, "input_scaling": None}


def _binary(n=40, n_features=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features))
    return X, (X[:, 0] + 0.3 * rng.normal(size=n) > 0).astype(int)


# -- 1. batches of zero total weight ------------------------------------------------


@ignore_convergence
def test_zero_weight_batches_are_skipped_not_divided_by():
    X, y = _binary()
    sw = (np.arange(40) < 8).astype(float)  # batches 2..5 have no weight at all
    # A constant rate: the schedule counts the skipped updates, so it would differ from training on 8 rows.
    params = {"batch_size": 8, "shuffle": False, "lr_schedule": "constant", "warmup": 0, **SMALL}
    clf = StabilizedMLPClassifier(**params).fit(X, y, sample_weight=sw)
    assert clf.recoveries_ == []
    assert np.isfinite(clf.loss_curve_).all()
    # One update per epoch: only the first batch carries weight.
    assert clf.lr_curve_.size == 3
    # With the weighted rows alone in one batch, the run equals training on those rows only.
    alone = StabilizedMLPClassifier(**params).fit(X[:8], y[:8])
    assert_allclose(clf.loss_curve_, alone.loss_curve_, rtol=1e-12)
    assert_same_params(clf, alone)


@ignore_convergence
@pytest.mark.parametrize("shuffle", [False, True])
def test_zero_weight_batches_with_gradient_accumulation(shuffle):
    X, y = _binary(n=64)
    sw = np.zeros(64)
    sw[:8] = 1.0
    clf = StabilizedMLPClassifier(batch_size=8, gradient_accumulation_steps=2, shuffle=shuffle, **SMALL)
    clf.fit(X, y, sample_weight=sw)
    assert clf.recoveries_ == [] and np.isfinite(clf.loss_curve_).all()
    assert clf.lr_curve_.size in range(1, 3 * 4 + 1)
    if not shuffle:
        # Only the first accumulation group has weight: one update per epoch, equal to plain training.
        assert clf.lr_curve_.size == 3
        alone = StabilizedMLPClassifier(batch_size=8, shuffle=False, **SMALL).fit(X[:8], y[:8])
        assert_allclose(clf.loss_curve_, alone.loss_curve_, rtol=1e-12)


def test_zero_total_weight_is_a_clear_error_in_the_building_blocks():
    from skstab.nn import BatchNorm, SquaredError

    with pytest.raises(ValueError, match="positive total weight"):
        SquaredError()(np.zeros((2, 1)), np.ones((2, 1)), np.zeros(2))
    bn = BatchNorm()
    bn.build(1)
    with pytest.raises(ValueError, match="positive total weight"):
        bn.forward(np.ones((2, 1)), training=True, sample_weight=np.zeros(2))


def test_early_stopping_split_of_zero_weight_raises():
    X, y = _binary(n=40)
    sw = np.r_[np.ones(1), np.zeros(39)]  # one side of the split has no weight at all
    reg = StabilizedMLPRegressor(early_stopping=True, validation_fraction=0.5, **SMALL)
    with pytest.raises(ValueError, match="weight"):
        reg.fit(X, y.astype(float), sample_weight=sw)


# -- 2. class_weight values ---------------------------------------------------------------


@pytest.mark.parametrize("bad", [-1.0, np.nan, np.inf, "heavy"])
def test_bad_class_weight_names_the_class(bad):
    X, y = _binary()
    clf = StabilizedMLPClassifier(class_weight={0: bad, 1: 1.0}, **SMALL)
    with pytest.raises(ValueError, match=r"class_weight\[0\].*non-negative"):
        clf.fit(X, y)


def test_class_weight_zero_for_every_class_raises():
    X, y = _binary()
    with pytest.raises(ValueError, match="weight 0"):
        StabilizedMLPClassifier(class_weight={0: 0.0, 1: 0.0}, **SMALL).fit(X, y)


@ignore_convergence
def test_class_weight_zero_for_one_class_trains():
    X, y = _binary()
    clf = StabilizedMLPClassifier(class_weight={0: 0.0, 1: 1.0}, batch_size=8, **SMALL).fit(X, y)
    assert np.isfinite(clf.loss_curve_).all()


# -- 4. a failed call leaves every fitted state as it was -------------------------------------


def _diverging(X):
    # Finite, but the first layer's sums overflow float64: every retry of the epoch fails mid-way.
    return X / np.abs(X).max() * 1.7e308


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("Estimator", [StabilizedMLPClassifier, StabilizedMLPRegressor])
def test_failed_partial_fit_leaves_training_state_and_rng_unchanged(Estimator):
    from skstab.exceptions import DivergenceError

    X, y = _binary(n=48)
    y = y if Estimator is StabilizedMLPClassifier else y.astype(float)
    extra = {"classes": [0, 1]} if Estimator is StabilizedMLPClassifier else {}
    params = {"batch_size": 16, **SMALL}
    failed = Estimator(**params).partial_fit(X, y, **extra)
    clean = Estimator(**params).partial_fit(X, y, **extra)
    state_before = repr(failed._state)
    rng_before = failed._rng.bit_generator.state
    with pytest.raises(DivergenceError):
        failed.partial_fit(_diverging(X), y)
    assert repr(failed._state) == state_before
    assert failed._state.lr_scale == 1.0
    assert failed._rng.bit_generator.state == rng_before
    failed.partial_fit(X[::-1], y[::-1])
    clean.partial_fit(X[::-1], y[::-1])
    assert_same_params(failed, clean)
    assert failed.loss_curve_ == clean.loss_curve_
    assert_array_equal(failed.lr_curve_, clean.lr_curve_)
    assert failed._rng.bit_generator.state == clean._rng.bit_generator.state


@pytest.mark.filterwarnings("ignore")
def test_failed_warm_start_fit_leaves_the_model_as_it_was():
    from skstab.exceptions import DivergenceError

    X, y = _binary(n=48)
    clf = StabilizedMLPClassifier(warm_start=True, batch_size=16, **SMALL).fit(X, y)
    proba, state = clf.predict_proba(X), repr(clf._state)
    with pytest.raises(DivergenceError):
        clf.fit(_diverging(X), y)
    assert_array_equal(clf.predict_proba(X), proba)
    assert repr(clf._state) == state


# -- 5. arguments that were silently ignored ---------------------------------------------------


def test_partial_fit_with_other_classes_raises():
    X, y = _binary()
    clf = StabilizedMLPClassifier(**SMALL).partial_fit(X, y, classes=[0, 1])
    clf.partial_fit(X, y, classes=[1, 0])  # the same classes in another order are fine
    with pytest.raises(ValueError, match=r"classes=\[0, 1, 2\] differs from classes_=\[0, 1\]"):
        clf.partial_fit(X, y, classes=[0, 1, 2])


@pytest.mark.parametrize(
    "classes, match",
    [([0, 1, None], "missing label"), (np.array([0, "a"], dtype=object), "mixes strings"), ([0, np.nan], "missing")],
)
def test_partial_fit_with_unsortable_classes_raises_value_error(classes, match):
    X, y = _binary()
    with pytest.raises(ValueError, match=match):
        StabilizedMLPClassifier(**SMALL).partial_fit(X, y, classes=classes)


@pytest.mark.parametrize(
    "labels, match", [([0, 1, None], r"missing label \(None, at position 2\)"), ([0, "b", "a"], "mixes strings")]
)
def test_labels_with_none_or_mixed_types_say_so(labels, match):
    X, _ = _binary(n=30)
    y = np.array(labels * 10, dtype=object)
    with pytest.raises(ValueError, match=match):
        StabilizedMLPClassifier(**SMALL).fit(X, y)


@pytest.mark.parametrize(
    "change",
    [
        {"hidden_layer_sizes": (4,)},
        {"hidden_layer_sizes": (8, 8)},
        {"activation": "tanh"},
        {"normalization": "layer"},
        {"normalization": None},
        {"compute_dtype": "float32"},
    ],
)
@pytest.mark.parametrize("Estimator", [StabilizedMLPClassifier, StabilizedMLPRegressor])
def test_warm_start_refuses_a_changed_network(Estimator, change):
    X, y = _binary()
    est = Estimator(warm_start=True, batch_size=8, **SMALL).fit(X, y)
    proba = est.predict(X)
    name = next(iter(change))
    est.set_params(**change)
    with pytest.raises(ValueError, match=f"warm_start=True continues.*{name}"):
        est.fit(X, y)
    assert_array_equal(est.predict(X), proba)
    est.set_params(warm_start=False).fit(X, y)  # the way out the message names


@ignore_convergence
def test_warm_start_n_groups_and_auto_normalization():
    X, y = _binary(n=48)
    est = StabilizedMLPClassifier(warm_start=True, normalization="group", n_groups=2, **SMALL).fit(X, y)
    with pytest.raises(ValueError, match="n_groups: 2 -> 4"):
        est.set_params(n_groups=4).fit(X, y)
    # n_groups means nothing to batch norm; "auto" keeps the network it built.
    est = StabilizedMLPClassifier(warm_start=True, batch_size=8, **SMALL).fit(X, y)
    est.set_params(n_groups=1).fit(X, y)
    est.set_params(normalization="batch").fit(X, y)
    est.fit(X[:6], y[:6])  # "auto" would pick layer norm for 6 rows, but keeps the network's batch norm


@pytest.mark.parametrize("Estimator", [StabilizedMLPClassifier, StabilizedMLPRegressor])
def test_warm_start_other_feature_or_output_counts_raise(Estimator):
    X, y = _binary()
    est = Estimator(warm_start=True, **SMALL).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        est.fit(X[:, :2], y)
    with pytest.raises(ValueError, match="label|outputs"):
        est.fit(X, np.c_[y, y] if Estimator is StabilizedMLPRegressor else y + 5)


def test_partial_fit_refuses_a_changed_network():
    X, y = _binary()
    clf = StabilizedMLPClassifier(**SMALL).partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="partial_fit continues.*hidden_layer_sizes"):
        clf.set_params(hidden_layer_sizes=(3,)).partial_fit(X, y)


# -- 6. column-major input ---------------------------------------------------------------------------


def _record_training_inputs(monkeypatch):
    import skstab.neural_network._run as run_module

    seen = []
    original = run_module.train

    def recording_train(net, loss_fn, optimizer, schedule, X, *args, **kwargs):
        seen.append(X)
        return original(net, loss_fn, optimizer, schedule, X, *args, **kwargs)

    monkeypatch.setattr(run_module, "train", recording_train)
    return seen


@pytest.mark.parametrize("compute_dtype", ["float64", "float32"])
@pytest.mark.parametrize("Estimator", [StabilizedMLPClassifier, StabilizedMLPRegressor])
def test_fortran_ordered_input_trains_from_a_row_major_copy(Estimator, compute_dtype, monkeypatch):
    X, y = _binary(n=64, n_features=5)
    X_f = np.asfortranarray(X)
    assert not X_f.flags.c_contiguous
    params = {"batch_size": 16, "compute_dtype": compute_dtype, **SMALL}
    seen = _record_training_inputs(monkeypatch)
    from_f = Estimator(**params).fit(X_f, y)
    from_c = Estimator(**params).fit(X, y)
    Estimator(**params).partial_fit(X_f, y, **({"classes": [0, 1]} if Estimator is StabilizedMLPClassifier else {}))
    assert len(seen) == 3
    assert all(X_seen.flags.c_contiguous and X_seen.dtype == compute_dtype for X_seen in seen)
    assert_same_params(from_f, from_c)
    assert not X_f.flags.c_contiguous  # the caller's array is untouched


def test_c_ordered_input_is_not_copied(monkeypatch):
    X, y = _binary(n=64)
    seen = _record_training_inputs(monkeypatch)
    StabilizedMLPClassifier(compute_dtype="float64", **SMALL).fit(X, y)
    assert np.shares_memory(seen[0], X)


# -- 3. finite input never gives non-finite output ----------------------------------------------


@pytest.mark.parametrize("input_scaling", ["robust", "standard"])
def test_scaled_inputs_beyond_float32_are_computed_correctly(input_scaling):
    """The estimator's own scaling brings huge raw values into range before the float32 network sees them."""
    X, y = _binary()
    params = {**SMALL, "input_scaling": input_scaling, "compute_dtype": "float32"}
    big = StabilizedMLPClassifier(**params).fit(X * 1e300, y)
    plain = StabilizedMLPClassifier(**params).fit(X, y)
    assert np.isfinite(big.predict_proba(X * 1e300)).all()
    np.testing.assert_allclose(big.predict_proba(X * 1e300), plain.predict_proba(X), rtol=1e-4, atol=1e-5)


def test_float32_network_refuses_values_beyond_float32():
    X, y = _binary()
    clf = StabilizedMLPClassifier(compute_dtype="float32", **SMALL).fit(X, y)
    with pytest.raises(ValueError, match=r"column 0 holds values beyond float32's range.*compute_dtype='float64'"):
        clf.predict_proba(X * 1e300)
    with pytest.raises(ValueError, match="beyond float32's range"):
        StabilizedMLPClassifier(compute_dtype="float32", **SMALL).fit(X * 1e300, y)
    assert np.isfinite(clf.predict_proba(X * 1e30)).all()  # within float32: computed


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # scikit-learn's finiteness check sums X
@pytest.mark.parametrize("Estimator", [StabilizedMLPClassifier, StabilizedMLPRegressor])
def test_float64_overflow_in_the_network_names_the_column(Estimator):
    import pandas as pd

    X, y = _binary()
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    est = Estimator(**SMALL).fit(frame, y)
    huge = frame.copy()
    huge["b"] = huge["b"] / huge["b"].abs().max() * 1.7e308
    method = est.predict_proba if Estimator is StabilizedMLPClassifier else est.predict
    # Either the network's arithmetic stays finite and so does the answer, or the error names the column.
    try:
        result = method(huge)
    except ValueError as error:
        assert re.search(r"overflow float64.*column 1 \('b'\)", str(error))
    else:
        assert np.isfinite(result).all()


def test_aligner_computes_moments_of_huge_and_tiny_columns():
    from skstab import FeatureAligner

    X, _ = _binary(n=50)
    reference = FeatureAligner(epsilon=0.0).fit(X)  # epsilon=1e-8 would dominate a spread of 1e-150
    for factor in (1e150, 1e-150):
        aligner = FeatureAligner(epsilon=0.0).fit(X * factor)
        assert_allclose(aligner.mean_, reference.mean_ * factor, rtol=1e-12)
        assert_allclose(aligner.var_, reference.var_ * factor**2, rtol=1e-12)
        assert_allclose(aligner.transform(X * factor), reference.transform(X), rtol=1e-7, atol=1e-12)
        assert np.isfinite(aligner.drift_report(X * factor).drop(columns="drifted").to_numpy()).all()
    # Columns of power-of-two-scaled values merge across partial_fit as one fit does.
    chunks = FeatureAligner(epsilon=0.0).partial_fit(X[:20] * 1e150).partial_fit(X[20:] * 1e150)
    assert_allclose(chunks.var_, reference.var_ * 1e300, rtol=1e-12)


def test_aligner_refuses_what_float64_cannot_hold():
    from skstab import FeatureAligner

    X, _ = _binary(n=50)
    with pytest.raises(ValueError, match=r"column 0.*too spread out for float64.*1\.3e\+154"):
        FeatureAligner().fit(X * 1e300)
    aligner = FeatureAligner().fit(X)
    with pytest.raises(ValueError, match="too spread out"):
        aligner.drift_report(X * 1e300)
    low = FeatureAligner().fit(np.full((5, 2), -1.5e308))
    with pytest.raises(ValueError, match=r"Transforming column 0 overflows float64"):
        low.transform(np.full((1, 2), 1.5e308))
    with pytest.raises(ValueError, match=r"column 0.*beyond float32's range"):
        FeatureAligner().fit(X + 1e300).transform(X.astype(np.float32))
    assert np.isfinite(aligner.transform(X * 1e300)).all()  # large, but representable


# -- 7. messages in the user's terms ---------------------------------------------------------------------


def _frames():
    import pandas as pd

    X, _ = _binary(n=20, n_features=2)
    base = pd.DataFrame(X, columns=["a", "b"])
    return {
        "text": (base.assign(city=["Paris", "Rome"] * 10), r"column 'city' holds text such as 'Paris'.*OneHotEncoder"),
        "date": (base.assign(date=pd.date_range("2020", periods=20)), r"column 'date' has dtype datetime64.*day count"),
        "timedelta": (base.assign(wait=pd.to_timedelta(range(20), unit="s")), r"column 'wait' has dtype timedelta64"),
        "category": (base.assign(c=pd.Categorical(["x", "y"] * 10)), r"column 'c' is categorical.*ColumnTransformer"),
        "datetime ndarray": (np.array(pd.date_range("2020", periods=40)).reshape(20, 2), r"X has dtype datetime64"),
        "ragged list": ([[1.0, 2.0], [3.0]] * 10, r"rows differ in length \(row 0 has 2 values, row 1 has 1\)"),
        "object ndarray": (np.array([["1.5", "x"]] * 20, dtype=object), r"column 1 holds text such as 'x'"),
    }


@pytest.mark.parametrize("case", list(_frames()))
@pytest.mark.parametrize("Estimator", [StabilizedMLPClassifier, StabilizedMLPRegressor])
def test_unusable_columns_are_named_with_what_to_do(Estimator, case):
    from skstab import FeatureAligner

    X, match = _frames()[case]
    _, y = _binary(n=20)
    # The estimators encode text and categorical DataFrame columns themselves (categorical_features="from_dtype",
    # tests/test_dataframes.py); with categorical_features=None they are unusable columns like the others.
    with pytest.raises(ValueError, match=match):
        Estimator(**SMALL, categorical_features=None).fit(X, y)
    if case in ("text", "category"):
        assert Estimator(**SMALL).fit(X, y).encoder_.is_categorical_[-1]
    with pytest.raises(ValueError, match=match):
        FeatureAligner().fit(X)


def test_unusable_columns_at_prediction_and_transform_time():
    import pandas as pd

    from skstab import FeatureAligner

    X, y = _binary(n=20, n_features=2)
    frame = pd.DataFrame(X, columns=["a", "b"])
    clf = StabilizedMLPClassifier(**SMALL).fit(frame, y)
    aligner = FeatureAligner().fit(frame)
    bad = frame.assign(b=["n/a"] * 20)
    for method in (clf.predict, clf.predict_proba, aligner.transform, aligner.inverse_transform, aligner.drift_report):
        with pytest.raises(ValueError, match="column 'b' holds text such as 'n/a'"):
            method(bad)


def test_numeric_categories_and_numbers_as_text_still_work():
    import pandas as pd

    X, y = _binary(n=20, n_features=2)
    frame = pd.DataFrame({"a": X[:, 0], "level": pd.Categorical([1, 2] * 10)})
    StabilizedMLPClassifier(**SMALL).fit(frame, y)
    StabilizedMLPClassifier(**SMALL).fit(np.array([["1.5", "2"]] * 20, dtype=object), y)


def test_regressor_target_with_none_names_the_row():
    X, y = _binary(n=20)
    y = y.astype(object)
    y[4] = None
    with pytest.raises(ValueError, match="missing .None or NaN. or infinite target in row 4"):
        StabilizedMLPRegressor(**SMALL).fit(X, y)
