"""The training data as a fit hands it to the loop, and the rows held out for early stopping."""

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split

from ..training._state import Validation

#: Rows from which compute_dtype="auto" trains float64 input in float32.
FLOAT32_MIN_ROWS = 10_000


@dataclass(frozen=True)
class TrainingData:
    """Validated training data: inputs and encoded targets in the compute dtype."""

    X: object
    Y: np.ndarray
    sample_weight: np.ndarray
    stratify: object


#: Rows from which early_stopping="auto" holds out validation rows in ``fit``.
AUTO_EARLY_STOPPING_MIN_SAMPLES = 2_000


def holds_out_validation(early_stopping, n_samples, incremental):
    """Whether a fit on ``n_samples`` rows holds rows out to choose its best epoch.

    ``"auto"`` does from :data:`AUTO_EARLY_STOPPING_MIN_SAMPLES` rows, where the
    held-out score is steady enough to pick an epoch and the network has enough
    rows to overfit them; never in ``partial_fit``, where each call is one epoch.
    """
    if early_stopping == "auto":
        return not incremental and n_samples >= AUTO_EARLY_STOPPING_MIN_SAMPLES
    if early_stopping and incremental:
        raise ValueError("partial_fit does not support early_stopping=True; use fit instead.")
    return bool(early_stopping)


def validation_size(n_samples, validation_fraction):
    """Rows held out for early stopping; a ValueError when either side would be too small."""
    n_validation = int(np.ceil(n_samples * validation_fraction))
    if n_validation < 2 or n_samples - n_validation < 1:
        raise ValueError(
            f"The validation set is too small: validation_fraction={validation_fraction} "
            f"of {n_samples} samples gives {n_validation}. Increase validation_fraction or "
            "the number of samples, or set early_stopping=False."
        )
    return n_validation


def split_validation(data, seed, n_validation, score_outputs, loss_fn):
    """Hold out ``n_validation`` rows (stratified when possible); the training part and a :class:`Validation`."""
    arrays = [data.X, data.Y] + ([] if data.sample_weight is None else [data.sample_weight])
    try:
        parts = train_test_split(*arrays, test_size=n_validation, random_state=seed, stratify=data.stratify)
    except ValueError:
        # Too few members in some class to stratify: an unstratified split still works.
        parts = train_test_split(*arrays, test_size=n_validation, random_state=seed)
    X_train, X_val, Y_train, Y_val = parts[:4]
    sw_train, sw_val = (parts[4], parts[5]) if data.sample_weight is not None else (None, None)
    if sw_val is not None and not sw_val.sum() > 0:
        raise ValueError(
            f"The {n_validation} validation rows held out for early stopping all have sample weight 0, "
            "so they cannot score the model; raise validation_fraction, give more rows a positive "
            "weight, or set early_stopping=False."
        )
    validation = Validation(
        X_val, lambda Z: score_outputs(Z, Y_val, sw_val), loss=lambda Z: loss_fn(Z, Y_val, sw_val)[0]
    )
    return X_train, Y_train, sw_train, validation


def resolve_dtype(compute_dtype, X):
    """The dtype the network computes in.

    ``"auto"`` keeps float32 input in float32 and computes float64 input
    in float32 too once there are at least ``FLOAT32_MIN_ROWS`` rows: there
    float32 halves memory traffic and roughly doubles speed, while the
    noise of minibatch training dwarfs its rounding. Smaller problems stay
    in float64, where speed does not matter and exact reproducibility
    checks (sample-weight equivalence, say) do.
    """
    if compute_dtype != "auto":
        return np.dtype(compute_dtype)
    if X.dtype == np.float32 or X.shape[0] >= FLOAT32_MIN_ROWS:
        return np.dtype(np.float32)
    return np.dtype(np.float64)
