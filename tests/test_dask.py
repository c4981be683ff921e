"""skstab on a real dask.distributed cluster: Incremental training over chunks, GridSearchCV on the dask joblib
backend, HyperbandSearchCV through partial_fit. One two-process LocalCluster serves the whole module."""

import time
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split

from skstab import StabilizedMLPClassifier

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("dask.distributed")
dask_ml_wrappers = pytest.importorskip("dask_ml.wrappers")
dask_ml_model_selection = pytest.importorskip("dask_ml.model_selection")
joblib = pytest.importorskip("joblib")

N_CHUNKS = 20
PARAMS = {"hidden_layer_sizes": (32,), "random_state": 0}


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)


def _chunked(X, y, n_chunks=N_CHUNKS):
    rows = -(-X.shape[0] // n_chunks)
    return da.from_array(X, chunks=(rows, X.shape[1])), da.from_array(y, chunks=rows)


def test_incremental_matches_the_in_memory_fit(client, digits, record_property):
    X_train, X_test, y_train, y_test = digits
    passes = 15
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        in_memory = StabilizedMLPClassifier(max_iter=passes, **PARAMS).fit(X_train, y_train)
    X, y = _chunked(X_train, y_train)
    assert X.numblocks[0] == N_CHUNKS
    # One partial_fit call per block, passes x blocks calls in all: the horizon lays the cosine schedule out over
    # them as fit lays it out over its epochs.
    model = dask_ml_wrappers.Incremental(
        StabilizedMLPClassifier(partial_fit_horizon=passes * N_CHUNKS, **PARAMS), shuffle_blocks=True, random_state=0
    )
    start = time.perf_counter()
    for _ in range(passes):
        model.partial_fit(X, y, classes=np.unique(y_train))
    elapsed = time.perf_counter() - start
    streamed = model.estimator_
    assert streamed.n_iter_ == passes * N_CHUNKS
    assert streamed.t_ == passes * X_train.shape[0]
    assert streamed.recoveries_ == []
    in_memory_accuracy, streamed_accuracy = in_memory.score(X_test, y_test), streamed.score(X_test, y_test)
    record_property("accuracy", {"in_memory": in_memory_accuracy, "incremental": streamed_accuracy})
    print(
        f"\nin-memory fit: {in_memory_accuracy:.4f}; Incremental ({passes} passes x {N_CHUNKS} chunks, "
        f"{elapsed:.1f} s): {streamed_accuracy:.4f}"
    )
    assert streamed_accuracy >= in_memory_accuracy - 0.02


GRID = {"hidden_layer_sizes": [(16,), (32,)], "learning_rate_init": [1e-3, 1e-2]}


def _grid_search():
    return GridSearchCV(StabilizedMLPClassifier(max_iter=8, random_state=0), GRID, cv=3, n_jobs=2)


def test_grid_search_on_the_dask_backend_finds_the_local_best(client, digits, record_property):
    X_train, X_test, y_train, y_test = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        local = _grid_search().fit(X_train, y_train)
        local_time = time.perf_counter() - start
        start = time.perf_counter()
        with joblib.parallel_backend("dask"):
            on_dask = _grid_search().fit(X_train, y_train)
        dask_time = time.perf_counter() - start
    assert on_dask.best_params_ == local.best_params_
    np.testing.assert_array_equal(on_dask.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"])
    record_property("grid", {"best_params": local.best_params_, "local_s": local_time, "dask_s": dask_time})
    print(
        f"\nGridSearchCV {local.best_params_}: test {on_dask.score(X_test, y_test):.4f}, "
        f"local {local_time:.1f} s, dask {dask_time:.1f} s"
    )


class _PersistOnTheClient:
    """dask, with ``persist`` sent to the client directly.

    dask-ml 2025.1's incremental searches call ``dask.persist`` inside their asynchronous loop, which dask
    2025.3 and later refuse ("Attempting to use an asynchronous Client in a synchronous context",
    https://github.com/dask/dask-ml/issues/1016, open). Passing the client's ``get`` as the scheduler takes
    dask's own route to ``client.persist``, which works in that loop.
    """

    def __getattr__(self, name):
        return getattr(dask, name)

    @staticmethod
    def persist(*args, **kwargs):
        return dask.persist(*args, scheduler=distributed.default_client().get, **kwargs)


@pytest.fixture
def dask_ml_issue_1016(monkeypatch):
    from dask_ml.model_selection import _incremental

    monkeypatch.setattr(_incremental, "dask", _PersistOnTheClient())


@pytest.mark.usefixtures("dask_ml_issue_1016")
@pytest.mark.filterwarnings("ignore:The total space of parameters:UserWarning")
def test_hyperband_searches_through_partial_fit(client, digits, record_property):
    X_train, X_test, y_train, y_test = digits
    # Hyperband gives each model a different number of calls, each on one block: partial_fit_horizon=None
    # (warmup, then a constant rate) is the rule for a stream of unknown length.
    X, y = _chunked(X_train, y_train, n_chunks=10)
    max_iter = 27
    search = dask_ml_model_selection.HyperbandSearchCV(
        StabilizedMLPClassifier(random_state=0),
        GRID,
        max_iter=max_iter,
        random_state=0,
    )
    start = time.perf_counter()
    search.fit(X, y, classes=np.unique(y_train))
    elapsed = time.perf_counter() - start
    assert set(search.best_params_) == set(GRID)
    best = search.best_estimator_
    assert best.n_iter_ in range(1, max_iter + 1)
    accuracy = best.score(X_test, y_test)
    record_property("hyperband", {"best_params": search.best_params_, "test_accuracy": accuracy, "s": elapsed})
    print(f"\nHyperbandSearchCV {search.best_params_}: test {accuracy:.4f} after {best.n_iter_} calls, {elapsed:.1f} s")
    assert accuracy > 0.85
