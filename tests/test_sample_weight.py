"""Per-sample weights in the mean over samples: losses, backprop, fit and the minimizers.

The weighted cost is ``sum(w_i cost_i) / sum(w) + l2/(2 sum(w)) * sum(W**2)`` (scikit-learn's
MLP since 1.7 divides by the same ``sum(w)``), so weights are checked two independent ways:
against finite differences of the weighted cost written out in the test, and against the
unweighted cost of the data with rows dropped (weight 0) or repeated (weight 2).
"""

from __future__ import annotations

import numpy as np
import pytest

from neuronless import (
    ConfigError,
    ConvergenceWarning,
    Network,
    ShapeError,
    fit,
    loss_and_grads,
    numerical_grad,
    one_hot,
)
from neuronless.losses import label_smoothing
from neuronless.minimize import minimize

CASES = [  # (output activation, loss)
    ("identity", "mse"),
    ("tanh", "mse"),
    ("sigmoid", "binary_cross_entropy"),
    ("softmax", "cross_entropy"),
    ("softmax", label_smoothing("cross_entropy", 0.1)),
]


def _data(rng: np.random.Generator, output: str, n: int = 7) -> tuple[np.ndarray, np.ndarray]:
    X = rng.normal(size=(n, 3))
    if output == "softmax":
        return X, one_hot(rng.integers(0, 3, n), 3, dtype=np.float64)
    if output == "sigmoid":
        return X, rng.integers(0, 2, (n, 3)).astype(np.float64)
    return X, rng.normal(size=(n, 3))


def _net(output: str) -> Network:
    return Network.create([3, 4, 3], hidden="tanh", output=output, seed=1, dtype=np.float64)


@pytest.mark.parametrize(("output", "loss"), CASES)
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_weighted_gradient_matches_finite_differences(output, loss, l2, rng):
    net = _net(output)
    X, Y = _data(rng, output)
    w = rng.uniform(0.0, 3.0, size=len(X))
    _, analytic = loss_and_grads(net, X, Y, loss, l2, sample_weight=w)

    def cost(p: np.ndarray) -> float:
        net.params[:] = p
        return loss_and_grads(net, X, Y, loss, l2, sample_weight=w)[0]

    numeric = numerical_grad(cost, net.params.copy())
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize(("output", "loss"), CASES[:4])
def test_weighted_cost_is_the_weighted_mean_written_out(output, loss, rng):
    net = _net(output)
    X, Y = _data(rng, output)
    w = rng.uniform(0.0, 3.0, size=len(X))
    a = net.forward(X)
    if loss == "mse":
        per_row = 0.5 * ((a - Y) ** 2).sum(axis=1)
    elif loss == "binary_cross_entropy":
        per_row = -(Y * np.log(a) + (1 - Y) * np.log(1 - a)).sum(axis=1)
    else:
        per_row = -(Y * np.log(a)).sum(axis=1)
    l2 = 0.5
    penalty = sum(float((W[:-1] ** 2).sum()) for W in net.weights)
    expected = (w @ per_row) / w.sum() + l2 / (2 * w.sum()) * penalty
    assert loss_and_grads(net, X, Y, loss, l2, sample_weight=w)[0] == pytest.approx(expected)


@pytest.mark.parametrize(("output", "loss"), CASES)
def test_weights_zero_and_two_equal_dropping_and_repeating_rows(output, loss, rng):
    net = _net(output)
    X, Y = _data(rng, output, n=8)
    w = np.array([1, 0, 2, 1, 0, 2, 1, 1], dtype=np.float64)
    rows = np.repeat(np.arange(8), w.astype(int))  # row 2 twice, row 1 left out, ...
    weighted = loss_and_grads(net, X, Y, loss, 0.2, sample_weight=w)
    repeated = loss_and_grads(net, X[rows], Y[rows], loss, 0.2)
    assert weighted[0] == pytest.approx(repeated[0], rel=1e-12)
    np.testing.assert_allclose(weighted[1], repeated[1], rtol=1e-10, atol=1e-14)
    unit = loss_and_grads(net, X, Y, loss, 0.2, sample_weight=np.ones(8))
    plain = loss_and_grads(net, X, Y, loss, 0.2)
    assert unit[0] == pytest.approx(plain[0], rel=1e-12)
    np.testing.assert_allclose(unit[1], plain[1], rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("optimizer", ["adam", "irprop+", "quickprop"])
def test_fit_on_the_whole_batch_with_weights_equals_fit_on_repeated_rows(optimizer, rng):
    X, Y = _data(rng, "softmax", n=8)
    w = np.array([1, 0, 2, 1, 0, 2, 1, 3], dtype=np.float64)
    rows = np.repeat(np.arange(8), w.astype(int))
    weighted, repeated = _net("softmax"), _net("softmax")
    h1 = fit(weighted, X, Y, optimizer=optimizer, epochs=20, l2=0.1, sample_weight=w)
    h2 = fit(repeated, X[rows], Y[rows], optimizer=optimizer, epochs=20, l2=0.1)
    np.testing.assert_allclose(weighted.params, repeated.params, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(h1.train_loss, h2.train_loss, rtol=1e-9)
    assert not np.allclose(weighted.params, _fit_plain(X, Y, optimizer))  # the weights mattered


def _fit_plain(X: np.ndarray, Y: np.ndarray, optimizer: str) -> np.ndarray:
    net = _net("softmax")
    fit(net, X, Y, optimizer=optimizer, epochs=20, l2=0.1)
    return net.params


def test_minibatch_epoch_loss_is_the_weighted_mean(rng):
    X, Y = _data(rng, "identity", n=9)
    w = rng.uniform(0.5, 2.0, size=9)
    net = _net("identity")
    before = net.params.copy()
    history = fit(net, X, Y, optimizer="sgd", epochs=1, batch_size=4, shuffle=False,
                  sample_weight=w)
    expected = 0.0
    net2 = _net("identity")
    np.testing.assert_array_equal(net2.params, before)
    from neuronless.optimizers import SGD

    for start in range(0, 9, 4):  # the same three steps, written out
        sl = slice(start, start + 4)
        value, grads = loss_and_grads(net2, X[sl], Y[sl], "mse", sample_weight=w[sl])
        expected += value * w[sl].sum()
        net2.params -= SGD().learning_rate * grads
    assert history.train_loss[0] == pytest.approx(expected / w.sum())
    np.testing.assert_allclose(net.params, net2.params, rtol=1e-12)


@pytest.mark.parametrize("method", ["lbfgs", "cg"])
def test_minimize_with_weights_equals_repeated_rows(method, rng):
    X, Y = _data(rng, "identity", n=8)
    w = np.array([1, 0, 2, 1, 0, 2, 1, 3], dtype=np.float64)
    rows = np.repeat(np.arange(8), w.astype(int))
    a, b = _net("identity"), _net("identity")
    with pytest.warns(ConvergenceWarning, match="maxiter"):
        minimize(a, X, Y, method, l2=0.1, maxiter=5, sample_weight=w)
    with pytest.warns(ConvergenceWarning, match="maxiter"):
        minimize(b, X[rows], Y[rows], method, l2=0.1, maxiter=5)
    np.testing.assert_allclose(a.params, b.params, rtol=1e-7, atol=1e-9)


def test_a_batch_of_zero_weights_costs_nothing_and_moves_nothing(rng):
    X, Y = _data(rng, "identity", n=4)
    net = _net("identity")
    value, _ = loss_and_grads(net, X, Y, "mse", 0.5, sample_weight=[1.0, 0, 0, 0])
    assert value > 0
    before = net.params.copy()
    fit(net, X, Y, optimizer="sgd", epochs=1, batch_size=2, shuffle=False,
        sample_weight=[0.0, 0.0, 1.0, 1.0])  # the first batch weighs nothing
    ref = _net("identity")
    fit(ref, X[2:], Y[2:], optimizer="sgd", epochs=1)
    np.testing.assert_allclose(net.params, ref.params, rtol=1e-12)
    assert not np.array_equal(net.params, before)


@pytest.mark.parametrize(
    ("weights", "error", "match"),
    [
        ([1.0, 2.0], ShapeError, r"one number per sample, shape \(4,\)"),
        ([1.0, -1.0, 1.0, 1.0], ConfigError, "finite and >= 0"),
        ([0.0, 0.0, 0.0, 0.0], ConfigError, "at least one weight above 0"),
        ([1.0, np.nan, 1.0, 1.0], ConfigError, "finite"),
        (["a", "b", "c", "d"], ShapeError, "one number per sample"),
    ],
)
def test_bad_sample_weights_are_refused(weights, error, match, rng):
    X, Y = _data(rng, "identity", n=4)
    with pytest.raises(error, match=match):
        fit(_net("identity"), X, Y, epochs=1, sample_weight=weights)
