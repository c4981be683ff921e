"""TrainingCurveDisplay: the training history of a fitted network, panel by panel.

matplotlib is an optional extra: this module imports it only inside
:meth:`TrainingCurveDisplay.plot`, so ``import skstab.plotting`` works without it.
"""

import numpy as np
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils.validation import check_is_fitted

#: Panel names in drawing order.
PANELS = ("loss", "validation", "lr", "grad_norm")

_TITLES = {
    "loss": "Loss",
    "validation": "Validation score",
    "lr": "Learning rate",
    "grad_norm": "Gradient norm before clipping",
}
_XLABELS = {"loss": "epoch", "validation": "epoch", "lr": "optimizer update", "grad_norm": "optimizer update"}
_YLABELS = {"loss": "loss", "validation": "score", "lr": "learning rate", "grad_norm": "global gradient norm"}
_LOG_PANELS = ("loss", "lr", "grad_norm")

_MARKER_COLOR = "0.25"
_RECOVERY_COLOR = "tab:red"


def _check_matplotlib(caller_name):
    """sklearn's check, with a message that names skstab's extra."""
    try:
        check_matplotlib_support(caller_name)
    except ImportError as exc:
        raise ImportError(
            f'{caller_name} requires matplotlib: pip install "skstab[plot]" (or pip install matplotlib).'
        ) from exc


def _final_estimator(estimator):
    """The last step of a Pipeline, or the estimator itself."""
    return estimator.steps[-1][1] if hasattr(estimator, "steps") else estimator


def _best_epoch(validation_scores):
    """1-based epoch whose weights early stopping restored: the highest score, ties to the earlier."""
    if validation_scores is None or len(validation_scores) == 0:
        return None
    return int(np.argmax(validation_scores)) + 1


def _new_axes(plt, panels):
    """A new figure: the per-epoch panels in the top row, the per-update panels below, each row full width."""
    rows = [
        row
        for row in ([p for p in panels if p in ("loss", "validation")], [p for p in panels if p in ("lr", "grad_norm")])
        if row
    ]
    figure = plt.figure(figsize=(9, 3.2 * len(rows)), layout="constrained")
    grid = figure.add_gridspec(len(rows), 2)
    axes = {}
    for i, row in enumerate(rows):
        for j, panel in enumerate(row):
            axes[panel] = figure.add_subplot(grid[i, :] if len(row) == 1 else grid[i, j])
    return [axes[panel] for panel in panels]


class TrainingCurveDisplay:
    """Training history of a fitted network: loss, validation score, learning rate, gradient norm.

    Use :meth:`from_estimator` to build the display from a fitted
    :class:`~skstab.StabilizedMLPClassifier` or
    :class:`~skstab.StabilizedMLPRegressor` (or a
    :class:`~sklearn.pipeline.Pipeline` ending in one); the constructor takes
    the recorded curves directly. All parameters are stored as attributes.

    The panels, in drawing order (in a new figure, the per-epoch panels form
    the top row and the per-update panels the bottom row):

    * ``"loss"``: the training loss of every epoch (log scale), the
      validation loss when there is one, and the epoch whose weights early
      stopping restored;
    * ``"validation"``: the validation score of every epoch, with the same
      best-epoch marker (only when early stopping held rows out);
    * ``"lr"``: the learning rate of every optimizer update (log scale), which
      shows the warmup, the decay and every halving by a divergence recovery;
    * ``"grad_norm"``: the global gradient norm of every update before
      clipping (log scale), with the clipping threshold ``clip_norm``.

    Each divergence recovery is a dotted red vertical line: at its epoch in
    the per-epoch panels and at its update in the per-update panels. See the
    user guide's :ref:`user_guide_pitfalls` for what to look for.

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        Training loss of each epoch (``loss_curve_``).
    lr_curve : array-like of shape (n_updates,), default=None
        Learning rate of each optimizer update (``lr_curve_``).
    grad_norm_curve : array-like of shape (n_updates,), default=None
        Gradient norm of each update before clipping (``grad_norm_curve_``).
    validation_scores : array-like of shape (n_epochs,), default=None
        Validation score of each epoch (``validation_scores_``); None without
        a validation split.
    validation_loss_curve : array-like of shape (n_epochs,), default=None
        Validation loss of each epoch, drawn in the loss panel.
    clip_norm : float, default=None
        Gradient-clipping threshold, drawn as a horizontal line; None when
        gradients were not clipped.
    best_epoch : int, default=None
        1-based epoch whose weights were restored at the end of training.
    recoveries : list of dict, default=None
        Divergence recoveries (``recoveries_``), each with the keys
        ``"epoch"`` (1-based), ``"update"``, ``"reason"`` and ``"lr_scale"``.
    name : str, default=None
        Name of the run. When given, it labels the curves in the legends, so
        that several runs can be drawn on the same axes.

    Attributes
    ----------
    axes_ : dict of str to matplotlib Axes
        The panels drawn, keyed by ``"loss"``, ``"validation"``, ``"lr"`` and
        ``"grad_norm"`` in drawing order.
    lines_ : dict of str to matplotlib Line2D
        The curves drawn, keyed by ``"loss"``, ``"validation_loss"``,
        ``"validation_score"``, ``"lr"`` and ``"grad_norm"``.
    clip_line_ : matplotlib Line2D or None
        The horizontal line at ``clip_norm`` in the gradient-norm panel.
    best_epoch_lines_ : list of matplotlib Line2D
        The vertical lines at ``best_epoch`` in the per-epoch panels.
    recovery_lines_ : list of matplotlib Line2D
        The vertical lines at the divergence recoveries, in all panels.
    figure_ : matplotlib Figure
        The figure holding the panels.

    See Also
    --------
    skstab.plot_training_curves : Several runs side by side.
    sklearn.model_selection.LearningCurveDisplay : Score against training-set size.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skstab import StabilizedMLPClassifier
    >>> from skstab.plotting import TrainingCurveDisplay
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = StabilizedMLPClassifier(early_stopping=True, n_iter_no_change=3, random_state=0).fit(X, y)
    >>> display = TrainingCurveDisplay.from_estimator(clf)
    >>> list(display.axes_)
    ['loss', 'validation', 'lr', 'grad_norm']
    >>> display.clip_line_.get_ydata()[0] == clf.clip_norm
    True
    """

    def __init__(
        self,
        *,
        loss_curve,
        lr_curve=None,
        grad_norm_curve=None,
        validation_scores=None,
        validation_loss_curve=None,
        clip_norm=None,
        best_epoch=None,
        recoveries=None,
        name=None,
    ):
        self.loss_curve = loss_curve
        self.lr_curve = lr_curve
        self.grad_norm_curve = grad_norm_curve
        self.validation_scores = validation_scores
        self.validation_loss_curve = validation_loss_curve
        self.clip_norm = clip_norm
        self.best_epoch = best_epoch
        self.recoveries = recoveries
        self.name = name

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, panels=None, name=None):
        """Plot the training history of a fitted estimator.

        Parameters
        ----------
        estimator : estimator instance
            A fitted :class:`~skstab.StabilizedMLPClassifier` or
            :class:`~skstab.StabilizedMLPRegressor`, or a fitted
            :class:`~sklearn.pipeline.Pipeline` ending in one. scikit-learn's
            ``MLPClassifier`` and ``MLPRegressor`` (``solver="sgd"`` or
            ``"adam"``) work too; they record no learning-rate or
            gradient-norm history, so only their per-epoch panels are drawn.
        ax : sequence of matplotlib Axes, default=None
            One Axes per panel, in the order of ``panels``. When None, a new
            figure shows the per-epoch panels in its top row and the
            per-update panels in the bottom row.
        panels : sequence of str, default=None
            Which of ``"loss"``, ``"validation"``, ``"lr"`` and
            ``"grad_norm"`` to draw; by default every panel the estimator
            recorded data for. A panel without data is drawn empty.
        name : str, default=None
            Name of the run, used in the legends; see :class:`TrainingCurveDisplay`.

        Returns
        -------
        display : TrainingCurveDisplay
            The display, with the drawn artists stored as attributes.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the estimator is not fitted.
        TypeError
            If the estimator records no training history (``loss_curve_``).
        """
        _check_matplotlib(f"{cls.__name__}.from_estimator")
        model = _final_estimator(estimator)
        check_is_fitted(model)
        if not hasattr(model, "loss_curve_"):
            raise TypeError(
                f"{cls.__name__} needs an estimator that records its training history (loss_curve_), "
                "such as a fitted StabilizedMLPClassifier or StabilizedMLPRegressor or a Pipeline "
                f"ending in one; got {type(model).__name__}."
            )
        validation_scores = getattr(model, "validation_scores_", None)
        display = cls(
            loss_curve=model.loss_curve_,
            lr_curve=getattr(model, "lr_curve_", None),
            grad_norm_curve=getattr(model, "grad_norm_curve_", None),
            validation_scores=validation_scores,
            validation_loss_curve=getattr(model, "validation_loss_curve_", None),
            clip_norm=getattr(model, "clip_norm", None),
            best_epoch=_best_epoch(validation_scores),
            recoveries=getattr(model, "recoveries_", None),
            name=name,
        )
        return display.plot(ax=ax, panels=panels)

    def _available_panels(self):
        data = {
            "loss": self.loss_curve,
            "validation": self.validation_scores,
            "lr": self.lr_curve,
            "grad_norm": self.grad_norm_curve,
        }
        return tuple(panel for panel in PANELS if data[panel] is not None and len(data[panel]) > 0)

    def _label(self, what, *, main=False):
        """Legend label: what the artist shows; with a run name, the name alone for a panel's main curve."""
        if self.name is None:
            return what
        return self.name if main else f"{self.name}: {what}"

    def plot(self, ax=None, *, panels=None, name=None):
        """Plot the curves.

        Parameters
        ----------
        ax : sequence of matplotlib Axes, default=None
            One Axes per panel, in the order of ``panels``. When None, a new
            figure shows the per-epoch panels in its top row and the
            per-update panels in the bottom row.
        panels : sequence of str, default=None
            Which of ``"loss"``, ``"validation"``, ``"lr"`` and
            ``"grad_norm"`` to draw; by default every panel with data. A
            panel without data is drawn empty.
        name : str, default=None
            Overrides the ``name`` given to the constructor.

        Returns
        -------
        display : TrainingCurveDisplay
            The display, with the drawn artists stored as attributes.
        """
        _check_matplotlib(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator

        if name is not None:
            self.name = name
        panels = self._available_panels() if panels is None else tuple(panels)
        unknown = [panel for panel in panels if panel not in PANELS]
        if unknown or len(set(panels)) != len(panels) or not panels:
            raise ValueError(f"panels must be distinct names among {PANELS}; got {panels}.")
        if ax is None:
            ax = _new_axes(plt, panels)
        axes = np.atleast_1d(np.asarray(ax, dtype=object)).ravel()
        if len(axes) != len(panels):
            raise ValueError(f"ax must hold one Axes per panel ({len(panels)}: {', '.join(panels)}); got {len(axes)}.")
        self.axes_ = dict(zip(panels, axes))
        self.figure_ = axes[0].figure
        self.lines_ = {}
        self.clip_line_ = None
        self.best_epoch_lines_ = []
        self.recovery_lines_ = []

        color = None
        if "loss" in self.axes_:
            color = self._plot_loss(self.axes_["loss"])
        if "validation" in self.axes_ and self.validation_scores is not None:
            axis, values = self.axes_["validation"], self.validation_scores
            color = self._plot_curve("validation_score", axis, values, "validation score", color, epochs=True)
        per_update = {"lr": (self.lr_curve, "learning rate"), "grad_norm": (self.grad_norm_curve, "gradient norm")}
        for panel, (values, label) in per_update.items():
            if panel in self.axes_ and values is not None and len(values) > 0:
                color = self._plot_curve(panel, self.axes_[panel], values, label, color)
        if "grad_norm" in self.axes_ and self.clip_norm is not None:
            self.clip_line_ = self.axes_["grad_norm"].axhline(
                self.clip_norm,
                color=_MARKER_COLOR,
                linestyle="--",
                linewidth=1,
                label=self._label(f"clip_norm = {self.clip_norm:g}"),
            )
        self._mark_best_epoch()
        self._mark_recoveries()

        for panel, axis in self.axes_.items():
            axis.set(title=_TITLES[panel], xlabel=_XLABELS[panel], ylabel=_YLABELS[panel])
            if panel in _LOG_PANELS:
                axis.set_yscale("log")
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs and updates are counts
            handles, _ = axis.get_legend_handles_labels()
            if len(handles) > 1:
                axis.legend(fontsize="small")
        return self

    def _plot_curve(self, key, axis, values, label, color, *, epochs=False, main=True, **kwargs):
        values = np.asarray(values, dtype=float)
        x = np.arange(1, len(values) + 1) if epochs else np.arange(len(values))
        (line,) = axis.plot(x, values, color=color, label=self._label(label, main=main), **kwargs)
        self.lines_[key] = line
        return line.get_color()

    def _plot_loss(self, axis):
        color = self._plot_curve("loss", axis, self.loss_curve, "training loss", None, epochs=True)
        if self.validation_loss_curve is not None and len(self.validation_loss_curve) > 0:
            curve = self.validation_loss_curve
            self._plot_curve("validation_loss", axis, curve, "validation loss", color, epochs=True, main=False, ls="--")
        return color

    def _mark_best_epoch(self):
        if self.best_epoch is None:
            return
        for panel in ("loss", "validation"):
            if panel in self.axes_:
                line = self.axes_[panel].axvline(
                    self.best_epoch,
                    color=_MARKER_COLOR,
                    linestyle="-.",
                    linewidth=1,
                    label=self._label(f"best epoch ({self.best_epoch})"),
                )
                self.best_epoch_lines_.append(line)

    def _mark_recoveries(self):
        for panel, axis in self.axes_.items():
            key = "update" if panel in ("lr", "grad_norm") else "epoch"
            for i, recovery in enumerate(self.recoveries or []):
                line = axis.axvline(
                    recovery[key],
                    color=_RECOVERY_COLOR,
                    linestyle=":",
                    linewidth=1.2,
                    label=self._label("divergence recovery") if i == 0 else "_nolegend_",
                )
                self.recovery_lines_.append(line)
