"""Ctrl-C during training: stop after the current update instead of losing the model."""

import signal
import threading
from contextlib import contextmanager


class _Interrupt:
    """Turns the first Ctrl-C into a request to stop after the current step.

    Only the main thread receives signals, so elsewhere (and when a handler
    cannot be installed) a KeyboardInterrupt arrives as usual and the loop
    rolls back to the start of the epoch instead. A second Ctrl-C stops at once.
    """

    requested = False

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True


@contextmanager
def deferred_interrupt():
    interrupt = _Interrupt()
    # A handler installed outside Python (getsignal gives None) could not be
    # put back afterwards, so it is left alone, as are other threads'. A
    # process that ignores Ctrl-C (started with nohup or in the background)
    # keeps ignoring it: the fit must not become the one thing it stops.
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) in (
        None,
        signal.SIG_IGN,
    ):
        yield interrupt
        return
    previous = signal.signal(signal.SIGINT, interrupt._handle)
    try:
        yield interrupt
    finally:
        signal.signal(signal.SIGINT, previous)
