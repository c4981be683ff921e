"""Every example (the demo and the gallery's examples/plot_*.py) runs, quickly and silently, with the Agg backend."""

import runpy
import time
import warnings
from pathlib import Path

import pytest

matplotlib = pytest.importorskip("matplotlib")

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("*.py"))
#: Seconds one example may take on a shared CI machine; the gallery should stay quick to build.
TIME_LIMIT = 30


def test_examples_are_found():
    names = [path.name for path in EXAMPLES]
    assert "demo.py" in names
    assert any(name.startswith("plot_") for name in names), "no examples/plot_*.py found"


@pytest.mark.examples
@pytest.mark.parametrize("path", EXAMPLES, ids=[path.name for path in EXAMPLES])
def test_example_runs(path, monkeypatch, tmp_path):
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Files an example saves (the demo's plot) land in a temporary directory.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: None)
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            # Any warning, ConvergenceWarning included, would show up in the rendered gallery page or the
            # demo's output: defaults must train silently. An example that demonstrates a warning silences it
            # itself.
            warnings.simplefilter("error")
            # The streaming example's cluster machinery (dask, distributed, tornado, asyncio) may warn about its
            # own affairs, such as shutting down; that says nothing about skstab's defaults.
            warnings.filterwarnings("ignore", module=r"(dask|distributed|tornado|asyncio)(\.|$)")
            runpy.run_path(str(path), run_name="__main__")
    finally:
        plt.close("all")
    assert time.perf_counter() - start < TIME_LIMIT
