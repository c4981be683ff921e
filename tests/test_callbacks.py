"""Watching training: scikit-learn's callback API, the verbose per-epoch log and the per-epoch curves.

The callbacks run for real (scikit-learn's ProgressBar with rich, ScoringMonitor,
and small callbacks written against the documented protocol); nothing of
scikit-learn is mocked.
"""

import logging
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_classification, make_regression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skstab import StabilizedMLPClassifier, StabilizedMLPRegressor

callback = pytest.importorskip("sklearn.callback", reason="scikit-learn < 1.9 has no callback API")
pytest.importorskip("rich")

# Six epochs are too few to converge, and the estimators say so; that is not what these tests are about.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SMALL = {"hidden_layer_sizes": (16,), "max_iter": 6, "learning_rate_init": 1e-2, "random_state": 0}


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=200, n_features=6, random_state=0)


class Recorder:
    """Records every hook call: (hook, task name, task id), and what a hook was given."""

    def __init__(self, stop_after_epoch=None):
        self.stop_after_epoch = stop_after_epoch
        self.calls = []
        self.predictions = {}

    def setup(self, estimator, context):
        self.calls.append(("setup", context.task_name, context.task_id))

    def on_fit_task_begin(self, estimator, context):
        self.calls.append(("begin", context.task_name, context.task_id))

    def on_fit_task_end(self, estimator, context, *, X=None, fitted_estimator=None):
        self.calls.append(("end", context.task_name, context.task_id))
        if context.task_name == "epoch" and fitted_estimator is not None:
            self.predictions[context.task_id + 1] = fitted_estimator.predict_proba(X)
            return context.task_id + 1 == self.stop_after_epoch
        return False

    def teardown(self, estimator, context):
        self.calls.append(("teardown", context.task_name, context.task_id))

    def count(self, hook, task_name):
        return sum(1 for call in self.calls if call[:2] == (hook, task_name))


@pytest.mark.parametrize("Estimator", [StabilizedMLPClassifier, StabilizedMLPRegressor])
def test_set_callbacks_is_offered(Estimator):
    est = Estimator()
    assert est.set_callbacks(Recorder()) is est


def test_fit_is_a_task_per_epoch(data):
    X, y = data
    recorder = Recorder()
    est = StabilizedMLPClassifier(**SMALL).set_callbacks(recorder).fit(X, y)
    assert recorder.calls[0] == ("setup", "fit", 0)
    assert recorder.calls[-1] == ("teardown", "fit", 0)
    assert recorder.count("begin", "epoch") == recorder.count("end", "epoch") == est.n_iter_ == 6
    epoch_ends = [call[2] for call in recorder.calls if call[:2] == ("end", "epoch")]
    assert epoch_ends == list(range(6))
    assert recorder.count("end", "fit") == 1


def test_partial_fit_is_one_task_per_call(data):
    X, y = data
    recorder = Recorder()
    est = StabilizedMLPClassifier(**SMALL).set_callbacks(recorder)
    for _ in range(3):
        est.partial_fit(X, y, classes=[0, 1])
    assert recorder.count("begin", "partial_fit") == recorder.count("end", "partial_fit") == 3
    assert recorder.count("begin", "epoch") == 0


def test_callback_stops_training_with_a_usable_model(data):
    X, y = data
    recorder = Recorder(stop_after_epoch=3)
    est = StabilizedMLPClassifier(**{**SMALL, "max_iter": 20}).set_callbacks(recorder)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a requested stop is no ConvergenceWarning
        est.fit(X, y)
    assert est.n_iter_ == 3
    assert len(est.loss_curve_) == 3 and len(est.clip_fraction_curve_) == 3
    assert est.predict(X).shape == y.shape
    assert recorder.count("end", "epoch") == 3 and recorder.count("begin", "epoch") == 3


@pytest.mark.parametrize("normalization", ["batch", "layer"])
def test_fitted_estimator_predicts_as_the_model_stopped_there(data, normalization):
    # Batch normalization needs its statistics recomputed for the epoch's weights, as fit does at its end.
    X, y = data
    recorder = Recorder(stop_after_epoch=3)
    est = StabilizedMLPClassifier(**{**SMALL, "max_iter": 20, "normalization": normalization})
    est.set_callbacks(recorder).fit(X, y)
    assert sorted(recorder.predictions) == [1, 2, 3]
    for proba in recorder.predictions.values():
        assert proba.shape == (X.shape[0], 2) and np.isfinite(proba).all()
    np.testing.assert_array_equal(recorder.predictions[3], est.predict_proba(X))
    # The view is a copy: training kept its own network.
    assert not np.array_equal(recorder.predictions[1], recorder.predictions[3])


def test_progress_bar_on_a_fit(data, capsys):
    X, y = data
    est = StabilizedMLPClassifier(**SMALL).set_callbacks(callback.ProgressBar())
    est.fit(X, y)
    out = capsys.readouterr().out
    assert "StabilizedMLPClassifier - fit" in out and "100%" in out


def test_progress_bar_nested_in_grid_search_and_pipeline(data, capsys):
    X, y = data
    recorder = Recorder()
    pipe = make_pipeline(StandardScaler(), StabilizedMLPClassifier(**{**SMALL, "max_iter": 4}).set_callbacks(recorder))
    search = GridSearchCV(pipe, {"stabilizedmlpclassifier__learning_rate_init": [1e-3, 1e-2]}, cv=2)
    search.set_callbacks(callback.ProgressBar(max_propagation_depth=None))
    search.fit(X, y)
    out = capsys.readouterr().out
    assert "GridSearchCV - fit" in out
    assert "StabilizedMLPClassifier - fit" in out
    # The refit on the whole data runs in this process; its epochs are tasks of the tree (cv fits may run
    # elsewhere, where the recorder is a copy).
    assert recorder.count("end", "epoch") >= 4


def test_progress_bar_on_a_pipeline(data, capsys):
    X, y = data
    pipe = make_pipeline(StandardScaler(), StabilizedMLPClassifier(**SMALL))
    pipe.set_callbacks(callback.ProgressBar()).fit(X, y)
    out = capsys.readouterr().out
    assert "Pipeline - fit" in out and "StabilizedMLPClassifier - fit" in out


@pytest.mark.parametrize(
    "Estimator, scoring, make",
    [(StabilizedMLPClassifier, "accuracy", make_classification), (StabilizedMLPRegressor, "r2", make_regression)],
)
def test_scoring_monitor_logs_a_score_per_epoch(Estimator, scoring, make):
    X, y = make(n_samples=100, n_features=5, random_state=0)
    monitor = callback.ScoringMonitor(scoring=scoring)
    est = Estimator(**SMALL).set_callbacks(monitor).fit(X, y)
    rows = [row for row in monitor.get_logs().data if row["task_name"] == "epoch"]
    assert len(rows) == est.n_iter_ == 6
    scores = [row[scoring] for row in rows]
    assert all(np.isfinite(scores))
    assert scores[-1] == pytest.approx(est.score(X, y))


# -- the verbose log and the curves ------------------------------------------------------------


def test_verbose_logs_one_line_per_epoch(data, caplog):
    X, y = data
    caplog.set_level(logging.INFO, logger="skstab")
    est = StabilizedMLPClassifier(**SMALL, early_stopping=True, validation_fraction=0.2, verbose=1).fit(X, y)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Epoch ")]
    assert len(lines) == est.n_iter_
    for number, line in enumerate(lines, start=1):
        assert line.startswith(f"Epoch {number}, loss = ")
        for field in ("validation score = ", "validation loss = ", "lr = ", "grad norm = ", "clipped = ", " s"):
            assert field in line


def test_verbose_numbers_epochs_across_partial_fit_calls(data, caplog):
    X, y = data
    caplog.set_level(logging.INFO, logger="skstab")
    est = StabilizedMLPClassifier(**SMALL, verbose=1)
    for _ in range(3):
        est.partial_fit(X, y, classes=[0, 1])
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Epoch ")]
    assert [line.split(",")[0] for line in lines] == ["Epoch 1", "Epoch 2", "Epoch 3"]
    assert "validation" not in lines[0]


def test_validation_loss_curve(data):
    X, y = data
    est = StabilizedMLPClassifier(**SMALL, early_stopping=True, validation_fraction=0.2).fit(X, y)
    curve = est.validation_loss_curve_
    assert len(curve) == len(est.validation_scores_) == est.n_iter_
    assert all(isinstance(v, float) and v > 0 for v in curve)
    assert StabilizedMLPClassifier(**SMALL).fit(X, y).validation_loss_curve_ is None
    # A warm start extends it, as it extends the scores.
    est.set_params(warm_start=True).fit(X, y)
    assert len(est.validation_loss_curve_) == len(est.validation_scores_) == len(est.loss_curve_)


def _unstable(**params):
    # A learning rate of 50 on unscaled features: the loss explodes now and then, and training recovers.
    return StabilizedMLPClassifier(
        hidden_layer_sizes=(8,), learning_rate_init=50.0, input_scaling=None, n_ensemble=1, random_state=0, **params
    )


def _check_recoveries_index_the_curves(est, steps_per_epoch):
    assert est.recoveries_
    for recovery in est.recoveries_:
        # Both count from the first call: the epoch's updates end at (or, for a rollback, start at) "update".
        assert recovery["epoch"] in range(1, len(est.loss_curve_) + 1)
        assert (recovery["epoch"] - 1) * steps_per_epoch <= recovery["update"] <= recovery["epoch"] * steps_per_epoch


def test_recovery_epochs_count_across_warm_starts():
    X, y = load_iris(return_X_y=True)
    est = _unstable(max_iter=10, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(3):
            est.fit(X * 1000, y)
    assert any(recovery["epoch"] > 10 for recovery in est.recoveries_)
    _check_recoveries_index_the_curves(est, steps_per_epoch=5)  # 150 rows in batches of 32


def test_recovery_epochs_count_across_partial_fit_calls():
    X, y = load_iris(return_X_y=True)
    est = _unstable()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(15):
            est.partial_fit(X * 1000, y, classes=[0, 1, 2])
    assert any(recovery["epoch"] > 1 for recovery in est.recoveries_)
    _check_recoveries_index_the_curves(est, steps_per_epoch=5)
