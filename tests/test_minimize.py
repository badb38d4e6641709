"""Whole-batch minimisation with L-BFGS and conjugate gradient."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize

from neuronless import (
    ConfigError,
    ConvergenceWarning,
    MinimizeResult,
    Network,
    loss_and_grads,
    minimize,
    predict_classes,
)

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
XOR_Y = np.array([[0], [1], [1], [0]], dtype=np.float64)
METHODS = ["lbfgs", "cg"]


def regression_problem(rng, m=30):
    X = rng.normal(size=(m, 2))
    Y = np.sin(X[:, :1]) + 0.5 * X[:, 1:] ** 2
    return X, Y


def assert_mostly_non_increasing(history):
    diffs = np.diff(history)
    assert np.all(diffs <= 1e-10 * max(1.0, abs(history[0])))


@pytest.mark.parametrize("method", METHODS)
def test_minimize_solves_xor(method):
    net = Network.create([2, 4, 1], hidden="tanh", output="sigmoid", seed=0, dtype=np.float64)
    start, _ = loss_and_grads(net, XOR_X, XOR_Y, "binary_cross_entropy")
    result = minimize(net, XOR_X, XOR_Y, method, maxiter=500)
    assert isinstance(result, MinimizeResult)
    assert result.method == method
    assert result.loss < 0.05 < start
    assert predict_classes(net, XOR_X).tolist() == [0, 1, 1, 0]
    # the result is in net.params: its loss is the reported one
    final, _ = loss_and_grads(net, XOR_X, XOR_Y, "binary_cross_entropy")
    assert final == pytest.approx(result.loss, rel=1e-9)
    assert len(result.loss_history) == result.iterations
    assert result.loss_history[-1] == pytest.approx(result.loss, rel=1e-9)
    assert_mostly_non_increasing(result.loss_history)
    assert result.evaluations >= result.iterations


@pytest.mark.parametrize("method", METHODS)
def test_minimize_reduces_regression_loss_for_float32_net(method, rng):
    X, Y = regression_problem(rng)
    net = Network.create([2, 6, 1], hidden="tanh", output="identity", seed=1)
    assert net.params.dtype == np.float32
    buffer = net.params
    start, _ = loss_and_grads(net, X, Y, "mse")
    result = minimize(net, X, Y, method, maxiter=2000, tol=1e-4)
    assert net.params is buffer
    assert net.params.dtype == np.float32
    assert result.loss < 0.2 * start
    final, _ = loss_and_grads(net, X, Y, "mse")
    assert final == pytest.approx(result.loss, rel=1e-3)  # float32 rounding of the result
    assert len(result.loss_history) == result.iterations
    assert_mostly_non_increasing(result.loss_history)


@pytest.mark.parametrize("method", METHODS)
def test_maxiter_reached_warns(method, rng):
    X, Y = regression_problem(rng)
    net = Network.create([2, 6, 1], hidden="tanh", output="identity", seed=1, dtype=np.float64)
    with pytest.warns(ConvergenceWarning, match="maxiter=3"):
        result = minimize(net, X, Y, method, maxiter=3)
    assert result.iterations == 3
    assert len(result.loss_history) == 3
    assert not result.success


def test_lbfgs_finds_the_least_squares_solution(rng):
    # one identity layer + mse: loss(W) = 1/(2m) * ||[X 1] W - Y||^2, a convex quadratic whose
    # minimiser is the least-squares solution (golden answer: np.linalg.lstsq)
    m, n_in, n_out = 40, 3, 2
    X = rng.normal(size=(m, n_in))
    Y = X @ rng.normal(size=(n_in, n_out)) + 0.3 + 0.1 * rng.normal(size=(m, n_out))
    A = np.hstack([X, np.ones((m, 1))])
    W_star, *_ = np.linalg.lstsq(A, Y, rcond=None)
    loss_star = np.sum((A @ W_star - Y) ** 2) / (2 * m)

    def loss(theta):
        r = A @ theta.reshape(n_in + 1, n_out) - Y
        return np.sum(r**2) / (2 * m), (A.T @ r / m).ravel()

    direct = scipy.optimize.minimize(loss, np.zeros(A.shape[1] * n_out), jac=True,
                                     method="L-BFGS-B", tol=1e-14)
    net = Network.from_weights([np.zeros((n_in + 1, n_out))], ["identity"])
    result = minimize(net, X, Y, "lbfgs", loss="mse", tol=1e-14)
    assert result.success
    np.testing.assert_allclose(net.weights[0], W_star, rtol=1e-6, atol=1e-8)
    assert result.loss == pytest.approx(loss_star, rel=1e-10)
    assert result.loss == pytest.approx(direct.fun, rel=1e-10)
    np.testing.assert_allclose(net.params, direct.x, rtol=1e-6, atol=1e-8)


def test_cg_finds_the_least_squares_solution(rng):
    m = 25
    X = rng.normal(size=(m, 2))
    Y = X @ np.array([[1.5], [-2.0]]) + 0.7
    net = Network.from_weights([np.zeros((3, 1))], ["identity"])
    minimize(net, X, Y, "cg", tol=1e-10)
    # noiseless data: the least-squares solution is the generating one
    np.testing.assert_allclose(net.weights[0].ravel(), [1.5, -2.0, 0.7], rtol=1e-6)


def test_l2_shrinks_the_solution(rng):
    X = rng.normal(size=(30, 2))
    Y = X @ np.array([[3.0], [-1.0]])
    plain = Network.from_weights([np.zeros((3, 1))], ["identity"])
    reg = Network.from_weights([np.zeros((3, 1))], ["identity"])
    minimize(plain, X, Y, tol=1e-12)
    minimize(reg, X, Y, l2=5.0, tol=1e-12)
    # ridge solution by hand: (A'A + l2*D) w = A'Y with D = diag(1, 1, 0) (no bias penalty)
    A = np.hstack([X, np.ones((30, 1))])
    w_ridge = np.linalg.solve(A.T @ A + 5.0 * np.diag([1.0, 1.0, 0.0]), A.T @ Y)
    np.testing.assert_allclose(reg.weights[0], w_ridge, rtol=1e-5, atol=1e-7)
    assert np.linalg.norm(reg.weights[0][:-1]) < np.linalg.norm(plain.weights[0][:-1])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"method": "newton"}, "method"), ({"maxiter": 0}, "maxiter"), ({"maxiter": 2.5}, "maxiter")],
)
def test_bad_arguments_raise(kwargs, match):
    net = Network.create([2, 4, 1], seed=0)
    with pytest.raises(ConfigError, match=match):
        minimize(net, XOR_X, XOR_Y, **kwargs)
