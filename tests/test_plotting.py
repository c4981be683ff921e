"""plot_training_curves draws what the fitted attributes hold."""

import sys

import matplotlib
import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline

from skstab import FeatureAligner, StabilizedMLPClassifier, plot_training_curves

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def fitted():
    X, y = load_iris(return_X_y=True)
    ours = make_pipeline(FeatureAligner(), StabilizedMLPClassifier(hidden_layer_sizes=(8,), max_iter=4, random_state=0))
    theirs = MLPClassifier(hidden_layer_sizes=(8,), max_iter=4, random_state=0)
    return ours.fit(X, y), theirs.fit(X, y)


def test_panels_hold_the_recorded_curves(fitted):
    matplotlib.use("Agg")
    ours, theirs = fitted
    axes = plot_training_curves([ours, theirs], labels=["skstab", "sklearn"])
    loss, lr, grad = axes
    assert [line.get_label() for line in loss.lines] == ["skstab", "sklearn"]
    np.testing.assert_array_equal(loss.lines[0].get_ydata(), ours[-1].loss_curve_)
    # scikit-learn's MLP records no per-update history: it appears in the loss panel only.
    assert len(lr.lines) == len(grad.lines) == 1
    np.testing.assert_array_equal(lr.lines[0].get_ydata(), ours[-1].lr_curve_)
    np.testing.assert_array_equal(grad.lines[0].get_ydata(), ours[-1].grad_norm_curve_)


def test_missing_matplotlib_names_the_extra(fitted, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"skstab\[plot\]"):
        plot_training_curves(fitted[0])
