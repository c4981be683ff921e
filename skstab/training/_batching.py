"""The batches of an epoch: their bounds, and rows gathered without copying X more than a batch at a time."""

import numpy as np

#: Fewest rows a training step may see: batch statistics from fewer rows are
#: noise, so a shorter remainder batch is
#: merged into the batch before it.
MIN_BATCH_ROWS = 8


def batch_bounds(n_samples, batch_size):
    """``(start, stop)`` of each batch of an epoch, the short remainder merged.

    Examples
    --------
    >>> batch_bounds(70, 32)
    [(0, 32), (32, 70)]
    >>> batch_bounds(80, 32)
    [(0, 32), (32, 64), (64, 80)]
    """
    batch_size = max(1, min(batch_size, n_samples))
    bounds = [(start, min(start + batch_size, n_samples)) for start in range(0, n_samples, batch_size)]
    if len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] < MIN_BATCH_ROWS:
        bounds[-2:] = [(bounds[-2][0], n_samples)]
    return bounds


def updates_per_epoch(n_samples, batch_size, accumulation_steps=1):
    """Optimizer updates in one epoch: one per ``accumulation_steps`` batches."""
    return -(-len(batch_bounds(n_samples, batch_size)) // accumulation_steps)


class BatchSource:
    """Yields the batches of one epoch without copying X more than one batch at a time."""

    def __init__(self, X, Y, sample_weight, batch_size):
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self.bounds = batch_bounds(X.shape[0], batch_size)
        self._buffers = {}

    def _take(self, key, array, rows):
        if not isinstance(array, np.ndarray):  # sparse rows are gathered by scipy
            return array[rows]
        shape = (rows.size,) + array.shape[1:]
        buf = self._buffers.get((key, shape))
        if buf is None:
            buf = self._buffers[(key, shape)] = np.empty(shape, dtype=array.dtype)
        return np.take(array, rows, axis=0, out=buf)

    def epoch(self, order):
        sw = self.sample_weight
        for start, stop in self.bounds:
            if order is None:
                rows = slice(start, stop)
                yield self.X[rows], self.Y[rows], None if sw is None else sw[rows]
            else:
                rows = order[start:stop]
                yield (
                    self._take("X", self.X, rows),
                    self._take("Y", self.Y, rows),
                    None if sw is None else self._take("w", sw, rows),
                )
