"""The training loop on its own, with small stand-in network and optimizer objects.

The stand-ins follow the protocols :func:`skstab.training._loop.train` relies on
(a network with flat ``params``/``grads``, ``forward``/``backward``/``infer``
and ``state``/``load_state``; an optimizer with ``step`` and
``state_dict``/``load_state_dict``), so the loop's rules can be driven
exactly: a gradient that turns infinite on a chosen update, a loss curve
of a chosen shape.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skstab.exceptions import DivergenceError
from skstab.nn import SquaredError
from skstab.optim import ConstantLR
from skstab.training._loop import train
from skstab.training._state import MAX_RECOVERIES, Settings, TrainingState, Validation


class LinearNet:
    """A one-layer linear model ``Z = X @ w``; ``poisoned`` backward calls leave an infinite gradient."""

    def __init__(self, n_features, poisoned=()):
        self.params = np.zeros(n_features)
        self.grads = np.zeros(n_features)
        self.poisoned = set(poisoned)
        self.backward_calls = 0

    def forward(self, X, *, training, sample_weight=None):
        self._X = X
        return X @ self.params[:, None]

    def backward(self, dZ):
        self.backward_calls += 1
        self.grads[:] = self._X.T @ dZ[:, 0]
        if self.backward_calls in self.poisoned:
            self.grads[0] = np.inf

    def infer(self, X):
        return X @ self.params[:, None]

    def state(self):
        return self.params.copy()

    def load_state(self, state):
        self.params[...] = state


class PlainDescent:
    """``params -= lr * grads``, counting its steps."""

    def __init__(self):
        self.t = 0

    def step(self, params, grads, lr):
        self.t += 1
        params -= lr * grads

    def state_dict(self):
        return {"t": self.t}

    def load_state_dict(self, state):
        self.t = state["t"]


@pytest.fixture
def problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3))
    Y = X @ np.array([[1.0], [-2.0], [0.5]])
    return X, Y


def _train(net, X, Y, n_epochs=4, lr=0.05, **kwargs):
    schedule = ConstantLR(lr, n_epochs=n_epochs, steps_per_epoch=4)
    settings = Settings(n_epochs=n_epochs, batch_size=16, **kwargs)
    return train(net, SquaredError(), PlainDescent(), schedule, X, Y, settings=settings, rng=np.random.default_rng(0))


def test_a_stand_in_network_learns(problem):
    X, Y = problem
    net = LinearNet(3)
    result = _train(net, X, Y, n_epochs=30, lr=0.1, n_iter_no_change=np.inf)
    assert result.loss_curve[-1] < 1e-3 * result.loss_curve[0]
    assert result.n_steps == 30 * 4 and result.n_epochs == 30 and not result.recoveries


def test_an_infinite_gradient_rolls_the_epoch_back_and_halves_the_rate(problem):
    X, Y = problem
    net = LinearNet(3, poisoned={6})  # the second update of the second epoch
    result = _train(net, X, Y)
    assert [(r["epoch"], r["update"], r["reason"], r["lr_scale"]) for r in result.recoveries] == [
        (2, 4, "non-finite gradient", 0.5)
    ]
    # The first epoch kept the full rate; the rerun epoch and all later ones run at half.
    assert_array_equal(result.lr_curve[:4], 0.05)
    assert_array_equal(result.lr_curve[4:], 0.025)
    assert result.n_epochs == 4 and result.n_steps == 16
    assert np.isfinite(net.params).all()


def test_endless_divergence_raises_after_the_recovery_budget(problem):
    X, Y = problem
    net = LinearNet(3, poisoned=range(1, 1000))
    with pytest.raises(DivergenceError, match=f"after {MAX_RECOVERIES} rollbacks") as error:
        _train(net, X, Y)
    assert isinstance(error.value, ValueError)


def test_plateau_stopping_follows_tol_and_patience(problem):
    X, Y = problem
    # A learning rate of zero never improves the loss: the stopping rule ends the
    # run once n_iter_no_change + 1 epochs in a row failed to improve by tol.
    net = LinearNet(3)
    schedule = ConstantLR(1e-12, n_epochs=50)
    settings = Settings(n_epochs=50, batch_size=16, tol=1e-4, n_iter_no_change=3)
    result = train(net, SquaredError(), PlainDescent(), schedule, X, Y, settings=settings, rng=np.random.default_rng(0))
    assert result.converged and result.n_epochs == 5


def test_validation_keeps_the_best_epoch_and_restores_it(problem):
    X, Y = problem
    net = LinearNet(3)
    scores = iter([0.1, 0.5, 0.3, 0.2, 0.4])
    best = {}

    def score(Z):
        value = next(scores)
        if value == 0.5:
            best["params"] = net.params.copy()
        return value

    schedule = ConstantLR(0.05, n_epochs=5)
    settings = Settings(n_epochs=5, batch_size=16, n_iter_no_change=10)
    state = TrainingState()
    result = train(
        net,
        SquaredError(),
        PlainDescent(),
        schedule,
        X,
        Y,
        settings=settings,
        rng=np.random.default_rng(0),
        state=state,
        validation=Validation(X[:8], score),
    )
    assert result.validation_scores == [0.1, 0.5, 0.3, 0.2, 0.4]
    assert state.best_validation_score == 0.5
    assert_allclose(net.params, best["params"], rtol=0, atol=0)
