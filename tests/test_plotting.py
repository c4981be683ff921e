"""TrainingCurveDisplay and plot_training_curves draw what the fitted attributes hold."""

import subprocess
import sys
import warnings

import matplotlib
import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline

from skstab import FeatureAligner, StabilizedMLPClassifier, StabilizedMLPRegressor, plot_training_curves
from skstab.plotting import TrainingCurveDisplay

matplotlib.use("Agg")
import matplotlib.pyplot as plt

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


@pytest.fixture(scope="module")
def fitted(iris):
    X, y = iris
    ours = make_pipeline(FeatureAligner(), StabilizedMLPClassifier(hidden_layer_sizes=(8,), max_iter=4, random_state=0))
    theirs = MLPClassifier(hidden_layer_sizes=(8,), max_iter=4, random_state=0)
    return ours.fit(X, y), theirs.fit(X, y)


@pytest.fixture(scope="module")
def early_stopped(iris):
    """Validation scores [1/3, 1/3, 2/3, 2/3, 2/3]: the best epoch is 3, the first of the tied maxima."""
    X, y = iris
    clf = StabilizedMLPClassifier(
        hidden_layer_sizes=(8,), max_iter=5, early_stopping=True, n_ensemble=1, random_state=0
    )
    return clf.fit(X, y)


@pytest.fixture(scope="module")
def recovered(iris):
    """A run whose loss exploded (rate 5 on unscaled features): recoveries, then training (rate 50 now raises)."""
    X, y = iris
    clf = StabilizedMLPClassifier(
        hidden_layer_sizes=(8,),
        max_iter=30,
        learning_rate_init=5.0,
        input_scaling=None,
        n_ensemble=1,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X * 1000, y)
    assert len(clf.recoveries_) >= 1
    return clf


def test_panels_hold_the_recorded_curves(fitted):
    ours, theirs = fitted
    axes = plot_training_curves([ours, theirs], labels=["skstab", "sklearn"])
    loss, lr, grad = axes
    assert [line.get_label() for line in loss.lines] == ["skstab", "sklearn"]
    np.testing.assert_array_equal(loss.lines[0].get_ydata(), ours[-1].loss_curve_)
    # scikit-learn's MLP records no per-update history: it appears in the loss panel only.
    assert [line.get_label() for line in lr.lines] == ["skstab"]
    assert [line.get_label() for line in grad.lines] == ["skstab", "skstab: clip_norm = 1"]
    np.testing.assert_array_equal(lr.lines[0].get_ydata(), ours[-1].lr_curve_)
    np.testing.assert_array_equal(grad.lines[0].get_ydata(), ours[-1].grad_norm_curve_)
    # One run keeps one colour in every panel.
    assert lr.lines[0].get_color() == grad.lines[0].get_color() == loss.lines[0].get_color()


def test_missing_matplotlib_names_the_extra(fitted, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"skstab\[plot\]"):
        plot_training_curves(fitted[0])
    with pytest.raises(
        ImportError, match=r'TrainingCurveDisplay.from_estimator requires matplotlib: pip install "skstab\[plot\]"'
    ):
        TrainingCurveDisplay.from_estimator(fitted[0])
    display = TrainingCurveDisplay(loss_curve=[1.0, 0.5])
    with pytest.raises(ImportError, match=r"TrainingCurveDisplay.plot requires matplotlib.*skstab\[plot\]"):
        display.plot()


def test_importing_the_subpackage_does_not_import_matplotlib():
    code = "import sys, skstab.plotting, skstab; assert 'matplotlib' not in sys.modules, 'matplotlib imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_display_artists_labels_and_scales(early_stopped):
    clf = early_stopped
    display = TrainingCurveDisplay.from_estimator(clf)
    assert isinstance(display, TrainingCurveDisplay)
    assert list(display.axes_) == ["loss", "validation", "lr", "grad_norm"]
    assert display.figure_ is display.axes_["loss"].figure
    for axis in display.axes_.values():
        assert axis.get_title() and axis.get_xlabel() and axis.get_ylabel()
    assert display.axes_["loss"].get_xlabel() == display.axes_["validation"].get_xlabel() == "epoch"
    assert display.axes_["lr"].get_xlabel() == display.axes_["grad_norm"].get_xlabel() == "optimizer update"
    assert display.axes_["lr"].get_yscale() == display.axes_["grad_norm"].get_yscale() == "log"
    assert display.axes_["validation"].get_yscale() == "linear"

    assert set(display.lines_) == {"loss", "validation_score", "validation_loss", "lr", "grad_norm"}
    np.testing.assert_array_equal(display.lines_["loss"].get_xdata(), np.arange(1, clf.n_iter_ + 1))
    np.testing.assert_array_equal(display.lines_["loss"].get_ydata(), clf.loss_curve_)
    np.testing.assert_array_equal(display.lines_["validation_score"].get_ydata(), clf.validation_scores_)
    np.testing.assert_array_equal(display.lines_["lr"].get_ydata(), clf.lr_curve_)
    np.testing.assert_array_equal(display.lines_["grad_norm"].get_ydata(), clf.grad_norm_curve_)
    assert display.lines_["lr"].get_label() == "learning rate"
    assert display.recovery_lines_ == []


def test_clip_line_at_clip_norm(iris):
    X, y = iris
    clf = StabilizedMLPClassifier(hidden_layer_sizes=(8,), max_iter=2, clip_norm=0.25, random_state=0).fit(X, y)
    display = TrainingCurveDisplay.from_estimator(clf)
    np.testing.assert_array_equal(display.clip_line_.get_ydata(), [0.25, 0.25])
    assert display.clip_line_.get_label() == "clip_norm = 0.25"
    grad = display.axes_["grad_norm"]
    assert grad.get_legend() is not None  # two lines: the norm and the threshold
    assert display.axes_["lr"].get_legend() is None  # one line, no legend

    unclipped = StabilizedMLPClassifier(hidden_layer_sizes=(8,), max_iter=2, clip_norm=None, random_state=0).fit(X, y)
    display = TrainingCurveDisplay.from_estimator(unclipped)
    assert display.clip_line_ is None
    assert len(display.axes_["grad_norm"].lines) == 1


def test_best_epoch_marker_is_the_first_highest_score(early_stopped):
    clf = early_stopped
    scores = clf.validation_scores_
    best = int(np.argmax(scores)) + 1
    assert scores.count(max(scores)) > 1 and best == scores.index(max(scores)) + 1  # a tie, resolved to the earlier
    display = TrainingCurveDisplay.from_estimator(clf)
    assert display.best_epoch == best
    assert len(display.best_epoch_lines_) == 2
    for line, panel in zip(display.best_epoch_lines_, ("loss", "validation")):
        assert line.axes is display.axes_[panel]
        np.testing.assert_array_equal(line.get_xdata(), [best, best])
        assert line.get_label() == f"best epoch ({best})"
    assert display.axes_["validation"].get_legend() is not None


def test_no_best_epoch_without_early_stopping(fitted):
    display = TrainingCurveDisplay.from_estimator(fitted[0])
    assert list(display.axes_) == ["loss", "lr", "grad_norm"]
    assert display.best_epoch is None and display.best_epoch_lines_ == []


def test_recovery_markers(recovered):
    clf = recovered
    display = TrainingCurveDisplay.from_estimator(clf)
    n = len(clf.recoveries_)
    assert len(display.recovery_lines_) == n * len(display.axes_)
    by_axes = {
        panel: [line for line in display.recovery_lines_ if line.axes is axis] for panel, axis in display.axes_.items()
    }
    for panel, key in (("loss", "epoch"), ("lr", "update"), ("grad_norm", "update")):
        assert [line.get_xdata()[0] for line in by_axes[panel]] == [r[key] for r in clf.recoveries_]
    labels = [line.get_label() for line in by_axes["lr"]]
    assert labels[0] == "divergence recovery" and all(label.startswith("_") for label in labels[1:])
    assert display.axes_["lr"].get_legend() is not None


def test_validation_loss_curve_drawn_when_recorded(early_stopped):
    clf = early_stopped
    display = TrainingCurveDisplay(
        loss_curve=clf.loss_curve_,
        validation_scores=clf.validation_scores_,
        validation_loss_curve=np.asarray(clf.loss_curve_) * 1.1,
        best_epoch=3,
    ).plot()
    assert display.lines_["validation_loss"].axes is display.axes_["loss"]
    assert display.lines_["validation_loss"].get_label() == "validation loss"
    assert display.axes_["loss"].get_legend() is not None


def test_pipeline_and_regressor_input(fitted):
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(FeatureAligner(), StabilizedMLPRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0))
    pipe.fit(X, y.astype(float))
    display = TrainingCurveDisplay.from_estimator(pipe, name="mlp")
    np.testing.assert_array_equal(display.lines_["loss"].get_ydata(), pipe[-1].loss_curve_)
    assert display.lines_["loss"].get_label() == "mlp"
    assert display.clip_line_.get_label() == "mlp: clip_norm = 1"


def test_draws_on_given_axes_and_panels(fitted):
    _, axes = plt.subplots(1, 2)
    display = TrainingCurveDisplay.from_estimator(fitted[0], ax=axes, panels=["grad_norm", "loss"])
    assert display.axes_ == {"grad_norm": axes[0], "loss": axes[1]}
    with pytest.raises(ValueError, match="one Axes per panel"):
        TrainingCurveDisplay.from_estimator(fitted[0], ax=axes)
    with pytest.raises(ValueError, match="panels must be"):
        TrainingCurveDisplay.from_estimator(fitted[0], panels=["loss", "accuracy"])


def test_unfitted_and_unsupported_estimators(iris):
    with pytest.raises(NotFittedError):
        TrainingCurveDisplay.from_estimator(StabilizedMLPClassifier())
    with pytest.raises(NotFittedError):
        TrainingCurveDisplay.from_estimator(make_pipeline(FeatureAligner(), StabilizedMLPClassifier()))
    with pytest.raises(TypeError, match="loss_curve_"):
        TrainingCurveDisplay.from_estimator(LogisticRegression().fit(*iris))
