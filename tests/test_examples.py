"""Every gallery example (examples/plot_*.py) runs, quickly, with the non-interactive Agg backend."""

import runpy
import time
import warnings
from pathlib import Path

import pytest
from sklearn.exceptions import ConvergenceWarning

matplotlib = pytest.importorskip("matplotlib")

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("plot_*.py"))
#: Seconds one example may take on a shared CI machine; the gallery should stay quick to build.
TIME_LIMIT = 30


def test_examples_are_found():
    assert EXAMPLES, "no examples/plot_*.py found"


@pytest.mark.examples
@pytest.mark.parametrize("path", EXAMPLES, ids=[path.name for path in EXAMPLES])
def test_example_runs(path, monkeypatch):
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.chdir(path.parent)
    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: None)
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            # A warning the example does not handle would show up in the rendered gallery page.
            warnings.simplefilter("error")
            # Examples shorten their runs on purpose; the estimators say so.
            warnings.simplefilter("ignore", ConvergenceWarning)
            runpy.run_path(str(path), run_name="__main__")
    finally:
        plt.close("all")
    assert time.perf_counter() - start < TIME_LIMIT
