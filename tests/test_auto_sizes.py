"""``batch_size``, ``numerical_embedding``, ``dropout`` and ``label_smoothing`` set to ``"auto"``: the size rule,
continued networks, explicit values."""

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression

from skstab import StabilizedMLPClassifier, StabilizedMLPRegressor
from skstab.neural_network._sizes import LARGE_TABLE_ROWS, resolve_sizes
from skstab.nn import Dropout, PiecewiseLinearEncoding

ESTIMATORS = [StabilizedMLPClassifier, StabilizedMLPRegressor]


def _data(Estimator, n_samples):
    if Estimator is StabilizedMLPClassifier:
        return make_classification(n_samples=n_samples, n_features=6, random_state=0)
    X, y = make_regression(n_samples=n_samples, n_features=6, noise=1.0, random_state=0)
    return X, y


def _has_encoding(est):
    return any(isinstance(layer, PiecewiseLinearEncoding) for layer in est.net_.layers)


def _dropout_rates(est):
    return [layer.rate for layer in est.net_.layers if isinstance(layer, Dropout)]


def test_resolve_sizes_switches_at_the_threshold():
    auto = {"batch_size": "auto", "numerical_embedding": "auto", "dropout": "auto"}
    small = resolve_sizes(auto, LARGE_TABLE_ROWS - 1)
    large = resolve_sizes(auto, LARGE_TABLE_ROWS)
    assert (small["batch_size"], small["numerical_embedding"], small["dropout"]) == (32, None, 0.0)
    assert (large["batch_size"], large["numerical_embedding"], large["dropout"]) == (128, "piecewise_linear", 0.1)
    assert auto == {
        "batch_size": "auto",
        "numerical_embedding": "auto",
        "dropout": "auto",
    }  # the caller's is left alone
    explicit = resolve_sizes(
        {"batch_size": 64, "numerical_embedding": "periodic", "dropout": 0.0}, 10 * LARGE_TABLE_ROWS
    )
    assert (explicit["batch_size"], explicit["numerical_embedding"], explicit["dropout"]) == (64, "periodic", 0.0)
    # A continued network keeps its encoding and dropout, whatever the new rows' count.
    continued = resolve_sizes(auto, 10, {"numerical_embedding": "piecewise_linear", "dropout": True})
    assert (continued["batch_size"], continued["numerical_embedding"], continued["dropout"]) == (
        32,
        "piecewise_linear",
        0.1,
    )
    assert resolve_sizes(auto, 10 * LARGE_TABLE_ROWS, {"numerical_embedding": None, "dropout": False})["dropout"] == 0


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_the_encoding_and_batches_follow_the_training_rows(Estimator):
    X, y = _data(Estimator, LARGE_TABLE_ROWS)
    large = Estimator(max_iter=1, random_state=0).fit(X, y)
    small = Estimator(max_iter=1, random_state=0).fit(X[:-1], y[:-1])
    assert _has_encoding(large) and not _has_encoding(small)
    assert _dropout_rates(large) == [0.1] and _dropout_rates(small) == []
    # One epoch: 8 batches of 128 rows (the last of 104), against 31 of 32 (999 = 31 x 32 + 7, and a
    # last batch of under 8 rows is merged into the one before).
    assert large._state.step == 8 and small._state.step == 31
    # A validation hold-out leaves fewer training rows than the table has.
    held_out = Estimator(max_iter=1, early_stopping=True, random_state=0).fit(X, y)
    assert not _has_encoding(held_out)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_a_continued_network_keeps_its_encoding(Estimator):
    X, y = _data(Estimator, 2 * LARGE_TABLE_ROWS)
    classes = {"classes": np.unique(y)} if Estimator is StabilizedMLPClassifier else {}
    stream = Estimator(random_state=0).partial_fit(X, y, **classes)
    assert _has_encoding(stream)
    stream.partial_fit(X[:50], y[:50])
    assert _has_encoding(stream) and _dropout_rates(stream) == [0.1]
    small_first = Estimator(random_state=0).partial_fit(X[:50], y[:50], **classes)
    small_first.partial_fit(X, y)
    assert not _has_encoding(small_first) and _dropout_rates(small_first) == []
    warm = Estimator(max_iter=2, warm_start=True, random_state=0).fit(X[:200], y[:200])
    warm.fit(X, y)
    assert not _has_encoding(warm) and _dropout_rates(warm) == []
    assert np.isfinite(warm.predict(X)).all()


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_explicit_sizes_are_kept_on_any_table(Estimator):
    X, y = _data(Estimator, LARGE_TABLE_ROWS)
    est = Estimator(max_iter=1, batch_size=500, numerical_embedding=None, dropout=0.0, random_state=0).fit(X, y)
    assert not _has_encoding(est) and est._state.step == 2 and _dropout_rates(est) == []


def test_auto_label_smoothing_follows_each_calls_rows():
    auto = {"batch_size": "auto", "numerical_embedding": "auto", "dropout": "auto", "label_smoothing": "auto"}
    assert resolve_sizes(auto, LARGE_TABLE_ROWS - 1)["label_smoothing"] == 0.0
    assert resolve_sizes(auto, LARGE_TABLE_ROWS)["label_smoothing"] == 0.1
    # Part of the loss, not of the network: a continued network's new rows decide.
    assert resolve_sizes(auto, 10, {"numerical_embedding": "piecewise_linear", "dropout": True})["label_smoothing"] == 0
    assert resolve_sizes({**auto, "label_smoothing": 0.3}, 10)["label_smoothing"] == 0.3
    assert "label_smoothing" not in resolve_sizes({k: v for k, v in auto.items() if k != "label_smoothing"}, 10)

    X, y = _data(StabilizedMLPClassifier, LARGE_TABLE_ROWS)
    large = StabilizedMLPClassifier(max_iter=1, random_state=0).fit(X, y)
    small = StabilizedMLPClassifier(max_iter=1, random_state=0).fit(X[:-1], y[:-1])
    assert large._make_loss().label_smoothing == 0.1 and small._make_loss().label_smoothing == 0.0
    assert StabilizedMLPClassifier(max_iter=1, random_state=0).fit(X, y).loss_curve_ == large.loss_curve_
    explicit = StabilizedMLPClassifier(max_iter=1, label_smoothing=0.1, random_state=0).fit(X, y)
    assert explicit.loss_curve_ == large.loss_curve_
    # A partial_fit call on a chunk below the threshold trains without smoothing.
    large.partial_fit(X[:100], y[:100])
    assert large._make_loss().label_smoothing == 0.0
