"""Class labels: sorting them with errors that name what is wrong, and weighting rows by class."""

from numbers import Real

import numpy as np
from sklearn.utils.class_weight import compute_sample_weight


def class_sample_weight(class_weight, y, sample_weight):
    """Row weights from ``class_weight`` (a dict or ``"balanced"``), times ``sample_weight`` if given."""
    if isinstance(class_weight, dict):
        for label, weight in class_weight.items():
            if not isinstance(weight, Real) or not 0 <= weight < np.inf:
                raise ValueError(
                    f"class_weight[{label!r}] is {weight!r}, but class weights must be non-negative "
                    "finite numbers (0 ignores the class)."
                )
    if y.ndim == 2:
        y = y.ravel()
    weights = compute_sample_weight(class_weight, y).astype(np.float64)
    weights = weights if sample_weight is None else sample_weight * weights.astype(sample_weight.dtype)
    if not weights.sum() > 0:
        raise ValueError(
            f"class_weight={class_weight!r} (times sample_weight) gives every row weight 0; "
            "give at least one class present in y a positive weight."
        )
    return weights


def sorted_labels(labels, name):
    """The sorted unique labels, or a ValueError that says what is wrong with them."""
    labels = np.asarray(labels)
    if labels.dtype.kind == "f" and np.isnan(labels).any():
        index = int(np.flatnonzero(np.isnan(labels.ravel()))[0])
        raise ValueError(f"{name} contains a missing label (nan, at position {index}); drop it or give it a label.")
    if labels.dtype == object:
        flat = labels.ravel()
        for index, label in enumerate(flat):
            if label is None or (isinstance(label, float) and np.isnan(label)):
                raise ValueError(
                    f"{name} contains a missing label ({label!r}, at position {index}); drop those rows "
                    "or give them a label."
                )
        texts = [label for label in flat if isinstance(label, str)]
        others = [label for label in flat if not isinstance(label, str)]
        if texts and others:
            raise ValueError(
                f"{name} mixes strings and other labels ({texts[0]!r} and {others[0]!r}); labels must be "
                "all strings or all numbers."
            )
    try:
        return np.unique(labels)
    except TypeError as exc:
        raise ValueError(f"{name} holds labels that cannot be sorted: {exc}") from exc


def check_same_classes(fitted_classes, y):
    """Refuse a warm start on labels other than the fitted ``classes_``, as scikit-learn's MLP does.

    A stream's chunks may hold some of the classes (``partial_fit`` does not
    come here), but a warm-started ``fit`` sees the whole training set: other
    classes mean another task, whose output layer the network does not have.
    """
    labels = np.unique(y)
    if set(labels.tolist()) != set(fitted_classes.tolist()):
        raise ValueError(
            "warm_start can only be used where `y` has the same classes as in the previous call to fit: "
            f"the model was fitted on class labels {fitted_classes.tolist()}, y has {labels.tolist()}. Set "
            "warm_start=False to fit a new model on these classes, or continue with y holding the same classes "
            "(partial_fit accepts chunks holding only some of them)."
        )


def known_label_codes(classes, y):
    """Indices into the sorted ``classes`` of a 1-D ``y`` whose labels are all among them, or None otherwise.

    A later ``partial_fit`` call's cheap test: labels that are all known
    classes are valid labels, so scikit-learn's checks of what ``y`` is can
    be skipped; anything else (an unseen or missing label, a layout other
    than 1-D, labels that do not compare with the classes) returns None and
    goes through them, which name the problem.
    """
    if y.ndim != 1 or y.dtype.kind not in "biufUSO" or (y.dtype.kind == "O") != (classes.dtype.kind == "O"):
        return None
    try:
        codes = np.searchsorted(classes, y)
    except TypeError:
        return None
    if not np.array_equal(classes[np.minimum(codes, len(classes) - 1)], y):
        return None
    return codes
