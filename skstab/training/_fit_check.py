"""After a fit: the trained network's losses on training rows, against training mode and a constant prediction."""

from dataclasses import dataclass

import numpy as np

#: Most training rows the end-of-fit check looks at.
CHECK_SAMPLE_ROWS = 2048


@dataclass(frozen=True)
class FitCheck:
    """Losses of the trained network on a sample of its training rows.

    ``training_loss`` and ``inference_loss`` are the network's loss in
    training mode (batch statistics of the sample, no dropout) and in inference mode;
    ``constant_loss`` is the loss of the best constant prediction (the
    weighted mean target, or the class frequencies), which a network that
    learned anything beats.
    """

    training_loss: float
    inference_loss: float
    constant_loss: float


def _sample(X, Y, sample_weight):
    """An evenly strided sample of at most ``CHECK_SAMPLE_ROWS`` rows, or None when it carries no weight."""
    rows = slice(None, None, max(1, X.shape[0] // CHECK_SAMPLE_ROWS))
    weights = None if sample_weight is None else sample_weight[rows]
    if weights is not None and not weights.sum() > 0:
        return None
    return X[rows], Y[rows], weights


def inference_loss(net, loss_fn, X, Y, sample_weight, *, recompute_statistics=False):
    """The network's inference-mode loss on a sample of the rows (see :func:`check_fit`), or None without weight.

    With ``recompute_statistics``, the running statistics are first set to
    their values over all rows of ``X``; when the sample is all of them, that
    same pass gives the outputs the loss is computed on.
    """
    sample = _sample(X, Y, sample_weight)
    output = None
    if recompute_statistics:
        whole = sample is not None and sample[0].shape[0] == X.shape[0]
        output = net.recompute_statistics(X, sample_weight, return_output=whole)
    if sample is None:
        return None
    X, Y, weights = sample
    with np.errstate(over="ignore", invalid="ignore"):
        return float(loss_fn(net.infer(X) if output is None else output, Y, weights)[0])


def check_fit(net, loss_fn, X, Y, sample_weight, constant_output, inference_loss=None):
    """Evaluate the trained network on an evenly strided sample of at most ``CHECK_SAMPLE_ROWS`` training rows.

    The network's state is left as it was; networks without running
    statistics compute the same thing in both modes and are run once.
    ``inference_loss``, when given, is the network's inference-mode loss on
    that sample (:func:`inference_loss`, which a stream call's guard has just
    measured), so it is not computed again. Returns a :class:`FitCheck`, or
    None when the sample carries no weight.
    """
    sample = _sample(X, Y, sample_weight)
    if sample is None:
        return None
    X, Y, weights = sample
    if inference_loss is None:
        inference_loss, _ = loss_fn(net.infer(X), Y, weights)
    training_loss = inference_loss
    if any(layer.has_running_statistics for layer in net.layers):
        saved = net.state()
        try:
            with net.without_dropout():  # the gap to inference is then the normalization statistics' alone
                training_loss, _ = loss_fn(net.forward(X, training=True, sample_weight=weights), Y, weights)
        finally:
            net.load_state(saved)
    constant_loss, _ = loss_fn(np.broadcast_to(constant_output, Y.shape).astype(Y.dtype), Y, weights)
    return FitCheck(float(training_loss), float(inference_loss), float(constant_loss))


def constant_loss(loss_fn, constant_output, Y, sample_weight):
    """The loss of predicting ``constant_output`` for every row, which a network that learned anything beats."""
    if sample_weight is not None and not sample_weight.sum() > 0:
        return np.inf
    constant = np.broadcast_to(constant_output, Y.shape).astype(Y.dtype)
    return float(loss_fn(constant, Y, sample_weight)[0])
