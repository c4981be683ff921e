"""How many BLAS threads training and prediction use.

The matrix products of a minibatch are small: at 32 rows by 256 units a
product takes tens of microseconds, and waking a second BLAS thread for each
of them costs about as much as it saves when the machine is idle and several
times more when the cores are busy (measured on a 2-core machine: two
threads ran the three products of a (32, 256) layer 5 times slower than one
while another process kept both cores busy, and 1.5 times faster on an idle
machine, for an epoch only 8% faster). Several fits running side by side
(``n_jobs`` in a search, or separate processes) each asking for every core
is oversubscription. So:

* training runs BLAS on one thread when ``batch rows x widest layer`` is below
  :data:`SMALL_PRODUCT`, or when it runs inside joblib parallelism;
* prediction runs BLAS on one thread inside joblib parallelism only (its
  chunks of thousands of rows gain from threads, and OpenBLAS already keeps
  tiny products on one thread);
* a limit is only ever lowered, to one thread, for the duration of the call,
  and the previous limits are restored after it: a user's own
  ``threadpoolctl.threadpool_limits`` is respected, never raised.

Limits are process-wide (a BLAS property): fits running in threads of one
process share them.
"""

import contextlib

#: Batch rows x widest layer below which training products get one BLAS thread.
SMALL_PRODUCT = 16_384


def in_joblib_parallelism() -> bool:
    """Whether this runs inside a joblib worker, or under ``parallel_config(n_jobs=...)`` asking for several jobs."""
    from joblib.parallel import get_active_backend

    backend, n_jobs = get_active_backend()
    if (getattr(backend, "nesting_level", None) or 0) > 0:
        return True
    return n_jobs is not None and n_jobs != 1


def blas_threads(n_rows: int, width: int, *, training: bool):
    """A context manager under which BLAS uses one thread if the policy above says so; else no change.

    Parameters
    ----------
    n_rows : int
        Rows of one matrix product: the batch (times the ensemble members).
    width : int
        Widest layer of the network.
    training : bool
        Whether the products are a training step's (else prediction's).
    """
    single = in_joblib_parallelism() or (training and n_rows * width < SMALL_PRODUCT)
    if not single:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")
