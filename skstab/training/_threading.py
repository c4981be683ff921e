"""How many threads training and prediction use: BLAS's, and the numba kernels'.

The matrix products of a minibatch are small: at 32 rows by 256 units a
product takes tens of microseconds, and waking a second BLAS thread for each
of them costs about as much as it saves when the machine is idle and several
times more when the cores are busy (measured on a 2-core machine: two
threads ran the three products of a (32, 256) layer 5 times slower than one
while another process kept both cores busy, and 1.5 times faster on an idle
machine, for an epoch only 8% faster). With the default four ensemble
members, a batch of 32 makes products of 128 rows by 256 units: a 3-epoch fit
of 20,000 rows took 5.2 s on two threads and 5.1 s on one when alone, and
22.7 s against 5.2 to 5.6 s when two such fits ran at once; two threads win
clearly only from about a million (products of 1,024 rows by 1,024 units:
18.5 s against 28.6 s alone). Several fits running side by side
(``n_jobs`` in a search, or separate processes) each asking for every core
is oversubscription. So:

* training and prediction run BLAS on one thread when ``rows x widest layer``
  of their products (a batch's rows, or the rows predicted at once, times the
  ensemble members) is below :data:`SMALL_PRODUCT`, or when they run inside
  joblib parallelism. OpenBLAS threads products from a few hundred rows by
  itself: while another process kept both cores busy, predicting 128 rows
  (products of 512 rows by 100 units) took 8 ms on two threads and 0.4 ms
  on one, 1,000 rows 16 ms and 2.3 ms;
* no limit is set where every product is at most :data:`ONE_THREAD_BY_ITSELF`
  multiply-adds (``rows x inputs x outputs`` of the largest), which OpenBLAS
  computes on one thread by itself: setting and restoring a limit through
  threadpoolctl took 22 us of a 190 us one-row prediction;
* a limit is only ever lowered, to one thread, for the duration of the call,
  and the previous limits are restored after it: a user's own
  ``threadpoolctl.threadpool_limits`` is respected, never raised.

Limits are process-wide (a BLAS property), so fits running in threads of one
process share one limit: the first to enter sets it, the last to leave
restores what was there before (:class:`_SharedSingleThread`). Without that
count, a thread finishing first would restore two threads under a fit still
running, and the last one would then "restore" one thread for good. This is
the one piece of module-level state here, and it mirrors state that BLAS
itself keeps per process. With OpenBLAS built on pthreads (numpy's wheels) a
limit set from a worker thread is not always honoured once BLAS's own thread
pool is running (observed with OpenBLAS 0.3.31; see joblib/threadpoolctl#205):
thread-based parallelism (``prefer="threads"``) is therefore best combined
with ``threadpool_limits(1)`` around it, while process workers (joblib's
default, loky) get one thread reliably.

The numba kernels of the piecewise-linear encoding split their work by
ensemble member, feature and block of rows (:mod:`skstab.utils._threads`),
with results identical bit for bit however many threads run them. Unlike a
BLAS product, one such kernel call is large enough for threads to pay even
at a batch of 128 rows. They use more than one thread only where that cannot
oversubscribe the machine: outside joblib parallelism, never more threads
than BLAS is allowed before this policy lowers it (so a user's
``threadpool_limits(1)`` holds them to one too), and only on cores found
idle when the call starts (:func:`idle_cores`), and only where BLAS runs on
one thread (OpenMP's threads wait spinning after a kernel: beside BLAS on
two threads an update of a (256, 256) network took three times as long).
Two fits started side by side in two processes thus see each other and keep
to one thread each.
"""

import contextlib
import threading

from ..utils._threads import available_cores, kernel_threads

#: Product rows x widest layer below which training and prediction get one BLAS thread.
SMALL_PRODUCT = 1_048_576
#: Multiply-adds of a matrix product up to which OpenBLAS keeps it on one thread without being asked
#: (65,536 x GEMM_MULTITHREAD_THRESHOLD, 4 in its builds: ``interface/gemm.c``).
ONE_THREAD_BY_ITSELF = 262_144


def in_joblib_parallelism() -> bool:
    """Whether this runs inside a joblib worker, or under ``parallel_config(n_jobs=...)`` asking for several jobs."""
    from joblib.parallel import get_active_backend

    backend, n_jobs = get_active_backend()
    if (getattr(backend, "nesting_level", None) or 0) > 0:
        return True
    return n_jobs is not None and n_jobs != 1


def idle_cores(loadavg="/proc/loadavg") -> int:
    """The cores of this process's affinity that no other runnable thread of the machine occupies right now.

    Read from the count of runnable threads in ``loadavg`` (Linux's), which
    includes the calling one; where the system has no such file, every
    available core counts as idle.
    """
    cores = available_cores()
    try:
        with open(loadavg) as file:
            runnable = int(file.read().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        return cores
    return max(1, min(cores, cores - runnable + 1))


def compute_threads(n_rows: int, width: int, multiply_adds: int):
    """A context manager under which BLAS and the numba kernels use as many threads as the policy above says.

    Parameters
    ----------
    n_rows : int
        Rows of one matrix product: the batch or the rows predicted at once (times the ensemble members).
    width : int
        Widest layer of the network.
    multiply_adds : int
        Multiply-adds of the largest product (``n_rows`` times a layer's inputs times its outputs).
    """
    if multiply_adds <= ONE_THREAD_BY_ITSELF:
        return contextlib.nullcontext()
    stack = contextlib.ExitStack()
    parallel = in_joblib_parallelism()
    blas_alone = n_rows * width < SMALL_PRODUCT or parallel
    # The kernels' threads never run beside BLAS's: OpenMP's spin after a kernel and slow BLAS's down.
    threads = min(idle_cores(), _ONE_THREAD.allowed()) if blas_alone and not parallel else 1
    if blas_alone:
        stack.enter_context(_ONE_THREAD.hold())
    stack.enter_context(kernel_threads(threads))
    return stack


class _SharedSingleThread:
    """One BLAS thread while any holder is inside :meth:`hold`; the limits before the first restored after the last.

    The BLAS libraries are looked up once, by the first hold: ``threadpool_limits`` looks them up on
    every call by reading the process's memory map, which took 3 ms of a 10 ms ``partial_fit`` on a
    small chunk. A hold then only reads and sets each library's thread count (3.5 us, where
    ``ThreadpoolController.limit`` took 13 us, most of it describing the libraries for its restore). A
    BLAS loaded after the first hold is not limited (scikit-learn too keeps one controller per process).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._holders = 0
        self._libraries = None
        self._before = ()

    def _blas_libraries(self):
        if self._libraries is None:
            from threadpoolctl import ThreadpoolController

            self._libraries = ThreadpoolController().select(user_api="blas").lib_controllers
        return self._libraries

    def allowed(self):
        """The fewest threads any BLAS library is allowed, not counting a hold of this policy's own."""
        with self._lock:
            counts = (
                [threads for _, threads in self._before]
                if self._holders
                else [library.get_num_threads() for library in self._blas_libraries()]
            )
        counts = [threads for threads in counts if threads is not None]
        return min(counts) if counts else available_cores()

    @contextlib.contextmanager
    def hold(self):
        with self._lock:
            if self._holders == 0:
                self._blas_libraries()
                self._before = [(library, library.get_num_threads()) for library in self._libraries]
                for library, _ in self._before:
                    library.set_num_threads(1)
            self._holders += 1
        try:
            yield
        finally:
            with self._lock:
                self._holders -= 1
                if self._holders == 0:
                    for library, threads in self._before:
                        if threads is not None:
                            library.set_num_threads(threads)
                    self._before = ()


_ONE_THREAD = _SharedSingleThread()
