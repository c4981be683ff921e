"""Run a numba kernel's independent units of work on several threads.

A kernel here takes a range ``[first, stop)`` of units; a unit writes its own
part of the outputs and reads nothing another unit of the same call writes.
Its parallel twin (``parallel=True``) runs ``kernel(unit, unit + 1)`` for
every unit in a ``prange`` loop: the same compiled code on the same units,
so the result is the same, bit for bit, however many threads run it (tested).

How many threads a computation may use is set by the caller
(:func:`kernel_threads`, which the training and prediction thread policy
sets) and is 1 by default: a layer used on its own stays on its thread. A
call runs in parallel only with at least :data:`PARALLEL_MIN_WORK` of work.

Only one call of the process runs on numba's threads at a time; another
one, from a fit in another thread, runs on its own thread meanwhile. That
keeps concurrent fits from oversubscribing the cores, and is what numba's
``workqueue`` threading layer (used where neither OpenMP nor TBB is
installed) requires: it aborts the process when two threads launch parallel
kernels at once. A process forked from one that had started the threads (GNU
OpenMP's do not survive a fork) runs every call on its own thread.
"""

import contextlib
import contextvars
import os
import threading

__all__ = ["PARALLEL_MIN_WORK", "available_cores", "kernel_threads", "run_units"]

#: Work (multiply-adds or comparable element updates) from which a kernel call is split among threads:
#: below, starting the threads costs more than they save.
PARALLEL_MIN_WORK = 500_000

_THREADS = contextvars.ContextVar("skstab_kernel_threads", default=1)
_CORES = None
_PARALLEL = threading.Lock()
_LAUNCHED = _FORKED = False


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system reports one), read once."""
    global _CORES
    if _CORES is None:
        _CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return _CORES


@contextlib.contextmanager
def kernel_threads(n_threads: int):
    """Let the parallel kernels called in this context (this thread, this task) use up to ``n_threads`` threads."""
    token = _THREADS.set(max(1, int(n_threads)))
    try:
        yield
    finally:
        _THREADS.reset(token)


def run_units(kernel, parallel_kernel, n_units, work, *args):
    """``kernel(0, n_units, *args)``, or ``parallel_kernel(n_units, *args)`` on the allowed threads.

    ``work`` is the call's total work, in multiply-adds or comparable element updates.
    """
    threads = min(_THREADS.get(), n_units) if work >= PARALLEL_MIN_WORK and not _FORKED else 1
    if threads > 1 and _PARALLEL.acquire(blocking=False):
        global _LAUNCHED
        try:
            import numba

            _LAUNCHED = True
            numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
            parallel_kernel(n_units, *args)
        finally:
            _PARALLEL.release()
    else:
        kernel(0, n_units, *args)


def _after_fork_in_child():
    global _FORKED, _PARALLEL
    _FORKED, _PARALLEL = _LAUNCHED, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
