"""scikit-learn's callback API (``sklearn.callback``, experimental since scikit-learn 1.9) for the estimators.

``fit`` is a task tree: the fit task, with one subtask per epoch (``max_iter``
of them at most, known in advance); a callback whose ``on_fit_task_end``
returns True for an epoch stops training after it. ``partial_fit`` is one leaf
task per call, as in scikit-learn's ``StandardScaler.partial_fit``. Where
``sklearn.callback`` does not exist, the estimators have no ``set_callbacks``
and fit exactly as before.

The training loop stays free of scikit-learn: it takes one plain per-epoch
hook, which :class:`FitTasks` builds from the callback context.
"""

import copy

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9
    CallbackSupportMixin = None

#: Base classes that give the estimators ``set_callbacks``: none without ``sklearn.callback``.
CALLBACK_BASES = () if CallbackSupportMixin is None else (CallbackSupportMixin,)


class FitTasks:
    """The callback tasks of one ``fit`` or ``partial_fit`` call (inert without callback support).

    Parameters
    ----------
    estimator : estimator
        The estimator being fitted.
    X, y : array-like
        The data as passed to ``fit``, handed to the hooks (``ScoringMonitor``
        scores ``fitted_estimator`` on them).
    sample_weight : array-like or None
        Passed to the hooks as ``metadata``.
    incremental : bool
        True for ``partial_fit``: one leaf task instead of one task per epoch.
    """

    def __init__(self, estimator, X, y, sample_weight, *, incremental):
        self.estimator, self.X, self.y = estimator, X, y
        self.metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        self._root = self._epoch = None
        if CallbackSupportMixin is None or not isinstance(estimator, CallbackSupportMixin):
            return
        if incremental:
            self._root = estimator._init_callback_context(task_name="partial_fit", max_subtasks=0)
        else:
            self._root = estimator._init_callback_context(task_name="fit", max_subtasks=estimator.max_iter)
        self._root.call_on_fit_task_begin(estimator=estimator, X=X, y=y, metadata=self.metadata)

    def epoch_hook(self, fitted_attributes):
        """The ``on_epoch_end`` hook for :func:`skstab.training._loop.train`, or None (``partial_fit``, no support).

        It ends the epoch's task, passing ``fitted_attributes(record)`` (called
        only when a callback asks for ``fitted_estimator``), begins the next
        epoch's task unless training ends, and returns whether a callback
        asked to stop. The first epoch's task begins here.
        """
        if self._root is None or self._root.max_subtasks == 0:
            return None
        self._begin_epoch()

        def on_epoch_end(record):
            if self._epoch is None:  # past max_iter epochs: a fit rerun after it stalled (see training._guard)
                return False
            stop = self._epoch.call_on_fit_task_end(
                estimator=self.estimator,
                X=self.X,
                y=self.y,
                metadata=self.metadata,
                reconstruction_attributes=lambda: fitted_attributes(record),
            )
            self._epoch = None
            if not (stop or record.last):
                self._begin_epoch()
            return stop

        return on_epoch_end

    def _begin_epoch(self):
        # The fit task was declared with max_iter epochs; a rerun after a stall has more, which go unreported.
        self._n_epochs = getattr(self, "_n_epochs", 0) + 1
        if self._n_epochs > self._root.max_subtasks:
            return
        self._epoch = self._root.subcontext(task_name="epoch")
        self._epoch.call_on_fit_task_begin(estimator=self.estimator, X=self.X, y=self.y, metadata=self.metadata)

    def end(self):
        """End the fit task, on the fitted estimator; an epoch cut short by Ctrl-C ends as an empty task."""
        if self._root is None:
            return
        if self._epoch is not None:
            self._epoch.call_on_fit_task_end(estimator=self.estimator)
            self._epoch = None
        self._root.call_on_fit_task_end(
            estimator=self.estimator, X=self.X, y=self.y, metadata=self.metadata, reconstruction_attributes={}
        )


def fitted_attributes(estimator, run, record, X, sample_weight):
    """What a copy of the estimator needs to predict as if fit had stopped after ``record``'s epoch.

    A copy of the network, with the batch-normalization statistics recomputed on
    the training rows ``X`` as the end of ``fit`` would; the training network is
    left alone.
    """
    net = copy.deepcopy(run.net)
    if estimator.batchnorm_statistics == "population":
        net.recompute_statistics(X, sample_weight)
    return {"net_": net, "n_iter_": record.epoch, "out_activation_": estimator._make_loss().out_activation}
