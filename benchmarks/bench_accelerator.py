"""What ``accelerator="auto"`` chooses, and what numba saves, on the defaults' fits.

For each case it fits the defaults with ``accelerator="numpy"`` and with
``"numba"`` (numba loaded and its kernels compiled beforehand, so both are
warm), taking turns, and keeps the faster of ``--repeats`` fits of each; one
BLAS thread. It prints the planned work the ``"auto"`` rule computes (see
``skstab.neural_network._builders.choose_accelerator``), what ``"auto"``
picks, both times and the seconds numba saves, which the rule weighs against
the second or so that loading numba costs a new process. Cases: synthetic
``make_classification(n, 20)`` tables (``--rows``) and development-suite
tables (``--tables``, 80% of the rows, capped at 12,000), raw as a user
passes them.

Usage::

    python benchmarks/bench_accelerator.py
    python benchmarks/bench_accelerator.py --rows 1000 --tables fair
"""

import argparse
import time
import warnings

from _common import RESULTS, format_table, write_json
from _datasets import CLASSIFICATION, load_table
from sklearn.datasets import make_classification
from threadpoolctl import threadpool_limits

from skstab import StabilizedMLPClassifier, StabilizedMLPRegressor
from skstab.neural_network._builders import NUMBA_MIN_WORK, choose_accelerator, first_layer_inputs, planned_work
from skstab.neural_network._sizes import resolve_sizes
from skstab.utils._accelerator import numba_available


def cases(rows, tables):
    """``(name, estimator class, X, y)`` per case."""
    for n in rows:
        X, y = make_classification(n_samples=n, n_features=20, n_informative=10, random_state=0)
        yield f"make_classification {n:,} x 20", StabilizedMLPClassifier, X, y
    for table in tables:
        X, y, task = load_table(table, 12_000)
        n = int(0.8 * len(X))
        Estimator = StabilizedMLPClassifier if task == CLASSIFICATION else StabilizedMLPRegressor
        yield f"{table} {n:,} rows", Estimator, X.iloc[:n], y[:n]


def work_and_choice(est, n_rows):
    """The planned work of the fitted ``est``'s network and what ``accelerator="auto"`` makes of it."""
    params = resolve_sizes(est.get_params(), n_rows)
    shape = (first_layer_inputs(None, net=est.net_), est.net_.layers[-1].params["W"].shape[1], n_rows)
    auto = choose_accelerator({**params, "accelerator": "auto"}, *shape)
    return planned_work(params, *shape), "numba" if auto == "auto" else auto


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[1_000, 2_000, 4_000])
    parser.add_argument("--tables", nargs="*", default=["fair", "computer_prices", "loans_interest", "yeast_class1"])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--output", default=RESULTS / "bench_accelerator.json")
    args = parser.parse_args(argv)
    if not numba_available():
        parser.error("numba is not installed: pip install skstab[fast]")
    rows, records = [], []
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, Estimator, X, y in cases(args.rows, args.tables):
            Estimator(max_iter=1, accelerator="numba").fit(X, y)  # compile or load the kernels
            seconds = {"numpy": float("inf"), "numba": float("inf")}
            for _ in range(args.repeats):
                for accelerator in seconds:
                    start = time.perf_counter()
                    est = Estimator(accelerator=accelerator, random_state=0).fit(X, y)
                    seconds[accelerator] = min(seconds[accelerator], time.perf_counter() - start)
            work, picked = work_and_choice(est, len(X))
            saved = seconds["numpy"] - seconds["numba"]
            times = [f"{seconds[accelerator]:.2f}" for accelerator in ("numpy", "numba")]
            rows.append([name, f"{work:.1e}", picked, *times, f"{saved:.2f}"])
            records.append({"case": name, "work": work, "auto": picked, "seconds": seconds})
            print(rows[-1], flush=True)
    print(f"\nDefaults, one BLAS thread, best of {args.repeats} warm fits; auto: numba from {NUMBA_MIN_WORK:.0e}\n")
    print(format_table(["case", "work", "auto", "numpy s", "numba s", "saved s"], rows))
    write_json(args.output, {"records": records, "numba_min_work": NUMBA_MIN_WORK})


if __name__ == "__main__":
    main()
