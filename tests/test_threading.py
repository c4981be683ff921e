"""The BLAS threading policy of fit and predict (``skstab/training/_threading.py``)."""

import numpy as np
import pytest
from joblib import Parallel, delayed, parallel_config
from sklearn.datasets import make_classification
from threadpoolctl import threadpool_info, threadpool_limits

from skstab import StabilizedMLPClassifier
from skstab.optim import OPTIMIZERS, AdamW
from skstab.training._threading import ONE_THREAD_BY_ITSELF, SMALL_PRODUCT

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _blas_threads():
    """The largest thread count of the loaded BLAS libraries."""
    return max(info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas")


class ThreadRecordingAdamW(AdamW):
    """AdamW that records the BLAS thread count of its first step in a list shared through the class."""

    seen = []

    def _update(self, params, grads, lr):
        if self._t == 1:
            type(self).seen.append(_blas_threads())
        super()._update(params, grads, lr)


@pytest.fixture
def recording(monkeypatch):
    monkeypatch.setitem(OPTIMIZERS, "recording", ThreadRecordingAdamW)
    monkeypatch.setattr(ThreadRecordingAdamW, "seen", [])
    return ThreadRecordingAdamW.seen


def _fit(hidden=(128, 128), batch_size=16):
    X, y = make_classification(n_samples=64, n_features=5, random_state=0)
    model = StabilizedMLPClassifier(hidden, batch_size=batch_size, max_iter=1, optimizer="recording", random_state=0)
    return model.fit(X, y)


def test_user_limit_holds_inside_training_and_after(recording):
    with threadpool_limits(1, user_api="blas"):
        _fit(hidden=(4096,), batch_size=64)  # a large product, which alone would keep the threads
        assert _blas_threads() == 1
    assert recording == [1]


def test_small_problem_trains_on_one_thread_and_restores_the_limit(recording):
    before = _blas_threads()
    assert 16 * 4 * 128 < SMALL_PRODUCT and 16 * 4 * 128**2 > ONE_THREAD_BY_ITSELF  # the (128, 128) product
    _fit()
    assert recording == [1]
    assert _blas_threads() == before


def test_large_problem_keeps_the_threads(recording):
    before = _blas_threads()
    assert 64 * 4 * 4096 >= SMALL_PRODUCT  # batch rows x ensemble members x width
    _fit(hidden=(4096,), batch_size=64)
    assert recording == [before]


def _threads_under_policy():
    """In a worker: whether joblib parallelism is seen, and the BLAS threads a large training product gets."""
    from skstab.training._threading import compute_threads, in_joblib_parallelism

    with compute_threads(1024, 1024, 1024**3):
        return in_joblib_parallelism(), _blas_threads()


def test_process_workers_get_one_thread():
    results = Parallel(n_jobs=2)(delayed(_threads_under_policy)() for _ in range(2))
    assert results == [(True, 1), (True, 1)]


def test_parallel_config_gives_one_thread_and_restores_it(recording):
    before = _blas_threads()
    with parallel_config(n_jobs=2):
        _fit(hidden=(512,), batch_size=64)
    assert recording == [1]
    assert _blas_threads() == before


def test_limit_is_restored_after_overlapping_fits_in_threads(recording):
    # BLAS limits are process-wide: the last fit to finish restores the limit the first one found.
    before = _blas_threads()
    Parallel(n_jobs=4, prefer="threads")(delayed(_fit)() for _ in range(8))
    assert _blas_threads() == before
    assert len(recording) == 8


def _threads_seen_by_prediction(model, X, monkeypatch):
    """The BLAS thread count inside the network's inference during ``model.predict(X)``, and the predictions."""
    seen = []
    infer = type(model.net_).infer

    def recording_infer(self, X, **kwargs):
        seen.append(_blas_threads())
        return infer(self, X, **kwargs)

    monkeypatch.setattr(type(model.net_), "infer", recording_infer)
    predictions = model.predict(X)
    monkeypatch.undo()
    return seen[0], predictions


def test_small_prediction_runs_on_one_thread_and_restores_the_limit(monkeypatch):
    X, y = make_classification(n_samples=64, n_features=5, random_state=0)
    model = StabilizedMLPClassifier((128, 128), max_iter=1, random_state=0).fit(X, y)
    before = _blas_threads()
    assert 10 * 4 * 128**2 > ONE_THREAD_BY_ITSELF  # the (128, 128) product
    threads, predictions = _threads_seen_by_prediction(model, X[:10], monkeypatch)
    assert threads == 1
    assert _blas_threads() == before
    np.testing.assert_array_equal(predictions, model.predict(X)[:10])


def test_tiny_products_set_no_limit(monkeypatch):
    # BLAS keeps them on one thread by itself: no controller is even asked.
    from skstab.training import _threading

    monkeypatch.setattr(_threading, "_ONE_THREAD", None)
    assert 4 * 100**2 <= ONE_THREAD_BY_ITSELF
    with _threading.compute_threads(4, 100, 4 * 100**2):  # one row through the default 4-member network of 100 units
        pass
    with parallel_config(n_jobs=2), _threading.compute_threads(4, 100, 4 * 100**2):
        pass


def test_a_wide_input_alone_sets_no_limit(monkeypatch):
    # One row through the defaults' encoded first layer (320 inputs, 4 members of 100 units): its widest layer
    # squared would exceed the threshold, its largest product does not.
    from skstab.neural_network._builders import product_shape
    from skstab.training import _threading

    X, y = make_classification(n_samples=2000, n_features=20, random_state=0)
    model = StabilizedMLPClassifier(max_iter=1, random_state=0).fit(X, y)
    rows, width, multiply_adds = product_shape(model.net_, 1)
    assert (rows, width, multiply_adds) == (4, 320, 4 * 320 * 100)
    assert rows * width**2 > ONE_THREAD_BY_ITSELF >= multiply_adds
    monkeypatch.setattr(_threading, "_ONE_THREAD", None)  # asking for a limit would fail
    model.predict(X[:1])
    with pytest.raises(AttributeError):
        model.predict(X[:3])


def test_large_prediction_keeps_the_threads_except_under_parallel_config(monkeypatch):
    X, y = make_classification(n_samples=64, n_features=5, random_state=0)
    model = StabilizedMLPClassifier((4096,), max_iter=1, random_state=0).fit(X, y)
    assert 64 * 4 * 4096 >= SMALL_PRODUCT  # rows x ensemble members x width
    before = _blas_threads()
    threads, alone = _threads_seen_by_prediction(model, X, monkeypatch)
    assert threads == before
    with parallel_config(n_jobs=2):
        threads, in_parallel = _threads_seen_by_prediction(model, X, monkeypatch)
    assert threads == 1
    np.testing.assert_array_equal(alone, in_parallel)


def test_libraries_are_looked_up_once_and_every_hold_limits(monkeypatch):
    import threadpoolctl

    from skstab.training._threading import _SharedSingleThread

    lookups = []

    class CountingController(threadpoolctl.ThreadpoolController):
        def __init__(self):
            lookups.append(1)
            super().__init__()

    monkeypatch.setattr(threadpoolctl, "ThreadpoolController", CountingController)
    shared = _SharedSingleThread()
    before = _blas_threads()
    looked_up, inside = [], []
    for _ in range(3):
        start = len(lookups)
        with shared.hold():
            looked_up.append(len(lookups) - start)
            inside.append(_blas_threads())  # threadpool_info makes a controller of its own
        assert _blas_threads() == before
    assert looked_up == [1, 0, 0]
    assert inside == [1, 1, 1]
