"""The numba kernels on several threads (``skstab/utils/_threads.py``) and the policy that allows them."""

import threading

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.datasets import load_digits
from threadpoolctl import threadpool_limits

from skstab import StabilizedMLPClassifier
from skstab.training import _threading
from skstab.utils import _threads

pytest.importorskip("numba")
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _fit():
    """A default classifier on digits (1,797 rows x 64 pixels: the encoded, 4-member recipe) for 3 epochs."""
    X, y = load_digits(return_X_y=True)
    model = StabilizedMLPClassifier(max_iter=3, accelerator="numba", random_state=0).fit(X, y)
    return model, model.predict_proba(X)


def _fit_digits(threads):
    """:func:`_fit` as the policy runs it with ``threads`` idle cores."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_threading, "idle_cores", lambda: threads)
        return _fit()


@pytest.fixture
def parallel_calls(monkeypatch):
    """Count the calls that ran on numba's threads."""
    calls = []
    run = _threads.run_units

    def counting(kernel, parallel_kernel, n_units, work, *args):
        def parallel(*call_args):
            calls.append(kernel.__name__)
            parallel_kernel(*call_args)

        run(kernel, parallel, n_units, work, *args)

    monkeypatch.setattr("skstab.nn._piecewise.run_units", counting)
    return calls


def test_results_are_identical_on_one_and_two_threads(parallel_calls):
    one, proba_one = _fit_digits(1)
    assert parallel_calls == []
    two, proba_two = _fit_digits(2)
    # The large kernels of the training pass and of inference ran on the threads.
    assert {"piecewise_dense_forward", "piecewise_dense_spread", "piecewise_dense_infer"} <= set(parallel_calls)
    np.testing.assert_array_equal(two.loss_curve_, one.loss_curve_)
    np.testing.assert_array_equal(two.net_.params, one.net_.params)
    np.testing.assert_array_equal(proba_two, proba_one)


def test_small_calls_stay_on_the_callers_thread(parallel_calls):
    X, y = load_digits(return_X_y=True)
    model = StabilizedMLPClassifier(max_iter=1, accelerator="numba", random_state=0).fit(X, y)
    parallel_calls.clear()
    with _threads.kernel_threads(2):
        model.predict_proba(X[:1])  # 1 row x 64 features x 4 members x 100 units: far below PARALLEL_MIN_WORK
    assert parallel_calls == []


def test_a_busy_pool_runs_the_call_on_its_own_thread():
    calls = []
    with _threads._PARALLEL:  # another fit of the process holds numba's threads
        with _threads.kernel_threads(2):
            _threads.run_units(
                lambda *a: calls.append(("serial", a)), lambda *a: calls.append(("parallel", a)), 4, 10**9
            )
    assert calls == [("serial", (0, 4))]


def test_concurrent_fits_in_threads_match_a_fit_alone():
    alone, proba = _fit_digits(2)
    results = [None, None]

    def fit(slot):
        results[slot] = _fit()[1]

    workers = [threading.Thread(target=fit, args=(slot,)) for slot in range(2)]
    # Patched once around both threads: a patch undone from two threads at once could leak.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_threading, "idle_cores", lambda: 2)
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    # The kernels give the same bits on any number of threads; BLAS may not (while one fit holds it to one
    # thread the other's large products run on one too), so the fits agree to rounding, not bit for bit.
    for result in results:
        np.testing.assert_allclose(result, proba, rtol=1e-12, atol=1e-14)


def _allowed_kernel_threads(rows=128 * 4, width=1024):
    with _threading.compute_threads(rows, width, rows * width * 100):
        return _threads._THREADS.get()


def test_the_policy_allows_idle_cores_only(monkeypatch):
    monkeypatch.setattr(_threading, "idle_cores", lambda: 2)
    assert _allowed_kernel_threads() == min(2, _threading._ONE_THREAD.allowed())
    monkeypatch.setattr(_threading, "idle_cores", lambda: 1)  # another process keeps a core busy
    assert _allowed_kernel_threads() == 1


def test_the_kernels_threads_never_run_beside_blass(monkeypatch):
    monkeypatch.setattr(_threading, "idle_cores", lambda: 2)
    assert 1024 * 1024 >= _threading.SMALL_PRODUCT  # BLAS keeps its threads for products this large
    assert _allowed_kernel_threads(rows=1024, width=1024) == 1


def test_the_policy_follows_the_users_limit_and_joblib(monkeypatch):
    monkeypatch.setattr(_threading, "idle_cores", lambda: 2)
    with threadpool_limits(1, user_api="blas"):
        assert _allowed_kernel_threads() == 1
    with parallel_config(n_jobs=2):
        assert _allowed_kernel_threads() == 1
    assert _threads._THREADS.get() == 1  # restored after the call


@pytest.mark.parametrize(("runnable", "idle"), [(1, 2), (2, 1), (5, 1)])
def test_idle_cores_counts_the_other_runnable_threads(tmp_path, monkeypatch, runnable, idle):
    monkeypatch.setattr(_threading, "available_cores", lambda: 2)
    loadavg = tmp_path / "loadavg"
    loadavg.write_text(f"0.52 0.61 0.70 {runnable}/111 14021\n")  # the caller is one of the runnable threads
    assert _threading.idle_cores(loadavg) == idle


def test_idle_cores_without_a_load_file_counts_every_core(tmp_path, monkeypatch):
    monkeypatch.setattr(_threading, "available_cores", lambda: 2)
    assert _threading.idle_cores(tmp_path / "missing") == 2
