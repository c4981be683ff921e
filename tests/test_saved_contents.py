"""A fitted or saved model holds parameters, never training rows (issue 21, item 6).

After ``fit``/``partial_fit`` no layer, optimizer or training state keeps an array whose size grows
with the number of training rows, and a pickle carries parameters, optimizer state and history only.
"""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification, make_regression

from skstab import StabilizedMLPClassifier, StabilizedMLPRegressor

#: Row counts no other dimension of these models takes (units 100, features 7, members 4, batch 32).
SMALL, LARGE = 2003, 20011


def _arrays(obj, path="model", seen=None):
    """Every ndarray reachable from ``obj``, with the attribute path that reaches it."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        yield path, obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from _arrays(value, f"{path}[{key!r}]", seen)
    elif isinstance(obj, list | tuple):
        for index, value in enumerate(obj):
            yield from _arrays(value, f"{path}[{index}]", seen)
    elif hasattr(obj, "__dict__"):
        yield from _arrays(vars(obj), f"{path}.{type(obj).__name__}", seen)


def _fit(params, n_samples, *, streamed=False, regression=False):
    if regression:
        X, y = make_regression(n_samples=n_samples, n_features=7, noise=1.0, random_state=0)
        est = StabilizedMLPRegressor(max_iter=2, random_state=0, **params)
    else:
        X, y = make_classification(n_samples=n_samples, n_features=7, random_state=0)
        est = StabilizedMLPClassifier(max_iter=2, random_state=0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if streamed:
            for chunk in np.array_split(np.arange(n_samples), 3):
                est.partial_fit(X[chunk], y[chunk], **({} if regression else {"classes": [0, 1]}))
        else:
            est.fit(X, y)
    return est, X


CASES = {
    "default": ({}, {}),
    "one network": ({"n_ensemble": 1}, {}),
    "early stopping": ({"early_stopping": True}, {}),
    "streamed": ({}, {"streamed": True}),
    "regressor": ({}, {"regression": True}),
    "quantile scaling": ({"input_scaling": "quantile"}, {}),
    "quantile scaling, few rows": ({"input_scaling": "quantile"}, {"n_samples": 503}),
    "piecewise-linear encoding": ({"numerical_embedding": "piecewise_linear"}, {}),
    "layer norm, dropout, embedding": (
        {"normalization": "layer", "dropout": 0.1, "numerical_embedding": "periodic"},
        {},
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_no_fitted_or_unpickled_array_grows_with_the_training_rows(name):
    params, how = CASES[name][0], dict(CASES[name][1])
    n_samples = how.pop("n_samples", SMALL)
    est, _ = _fit(params, n_samples, **how)
    for model in (est, pickle.loads(pickle.dumps(est))):
        holding_rows = [(path, a.shape) for path, a in _arrays(model) if n_samples in a.shape]
        assert holding_rows == []


def _history_bytes(est):
    """The per-update curves: history a user asked for, one number per optimizer update."""
    return len(pickle.dumps((est.lr_curve_, est.grad_norm_curve_)))


@pytest.mark.parametrize("n_ensemble", [4, 1])
def test_pickle_size_is_parameters_and_state_whatever_the_number_of_rows(n_ensemble):
    params = {"n_ensemble": n_ensemble, "compute_dtype": "float64"}
    sizes = []
    for n_samples in (SMALL, LARGE):
        est, _ = _fit(params, n_samples)
        size = len(pickle.dumps(est)) - _history_bytes(est)
        state_bytes = est.net_.params.nbytes * (1 + len(est._optimizer.state_dict()))
        assert size < 8 * state_bytes
        sizes.append(size)
    # The same network and optimizer: the same bytes, give or take pickle's framing of counters.
    assert abs(sizes[0] - sizes[1]) < 0.01 * sizes[0]


def test_a_saved_model_predicts_as_the_fitted_one_and_trains_on():
    est, X = _fit({}, SMALL)
    loaded = pickle.loads(pickle.dumps(est))
    assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
    loaded.partial_fit(X[:64], est.predict(X[:64]))  # workspaces are rebuilt on demand
    assert not [path for path, a in _arrays(loaded) if 64 in a.shape[:1]]


def test_a_model_encoding_a_raw_table_keeps_no_rows():
    pd = pytest.importorskip("pandas")
    X, y = make_classification(n_samples=SMALL, n_features=7, random_state=0)
    rng = np.random.default_rng(0)
    table = pd.DataFrame(X, columns=[f"x{i}" for i in range(7)])
    table.loc[::9, "x0"] = np.nan
    table["city"] = pd.Categorical(rng.choice([f"c{i}" for i in range(40)], size=SMALL))  # target-encoded
    table["plan"] = rng.choice(["basic", "pro"], size=SMALL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = StabilizedMLPClassifier(max_iter=2, random_state=0).fit(table, y)
    assert est.encoder_ is not None
    loaded = pickle.loads(pickle.dumps(est))
    assert [(path, a.shape) for path, a in _arrays(loaded) if SMALL in a.shape] == []
