"""Losses: values against hand calculations and scikit-learn, gradients, saturated logits."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
from sklearn.metrics import log_loss

from neuronless import LOSSES, ConfigError, get_loss
from neuronless.activations import ACTIVATIONS, SIGMOID, SOFTMAX, TANH
from neuronless.losses import (
    BINARY_CROSS_ENTROPY,
    CROSS_ENTROPY,
    MSE,
    default_loss,
    label_smoothing,
)

DTYPES = [np.float32, np.float64]


# ----------------------------------------------------------------------------- values


def test_mse_by_hand():
    # differences 1, 0, 2, 3 -> squares sum to 14; 1/(2m) with m = 2 samples -> 14/4
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    y = np.array([[0.0, 2.0], [1.0, 1.0]])
    assert MSE.total(a, y) == pytest.approx(7.0)
    assert MSE.value(a, y) == pytest.approx(3.5)


def test_binary_cross_entropy_by_hand():
    # one sample, one output a = 0.8: y = 1 costs -log 0.8, y = 0 costs -log 0.2
    a = np.array([[0.8], [0.8]])
    y = np.array([[1.0], [0.0]])
    assert BINARY_CROSS_ENTROPY.value(a, y) == pytest.approx((-np.log(0.8) - np.log(0.2)) / 2)


def test_cross_entropy_by_hand():
    # one-hot targets pick -log of the true class's probability
    a = np.array([[0.7, 0.2, 0.1], [0.25, 0.25, 0.5]])
    y = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    assert CROSS_ENTROPY.value(a, y) == pytest.approx((-np.log(0.7) - np.log(0.5)) / 2)


@pytest.mark.parametrize("from_logits", [False, True])
def test_binary_cross_entropy_matches_sklearn_log_loss(from_logits, rng):
    # several independent labels per sample: our cost sums over outputs, and sklearn's
    # log_loss of one column averages over samples exactly as ours does
    x = rng.normal(scale=2.0, size=(20, 3))
    a = scipy.special.expit(x)
    y = (rng.random((20, 3)) < 0.5).astype(float)
    expected = sum(log_loss(y[:, j], a[:, j], labels=[0, 1]) for j in range(3))
    value = BINARY_CROSS_ENTROPY.value(a, y, x if from_logits else None)
    assert value == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("from_logits", [False, True])
def test_cross_entropy_matches_sklearn_log_loss(from_logits, rng):
    x = rng.normal(scale=2.0, size=(30, 4))
    a = scipy.special.softmax(x, axis=1)
    labels = rng.integers(0, 4, size=30)
    y = np.eye(4)[labels]
    expected = log_loss(labels, a, labels=[0, 1, 2, 3])
    value = CROSS_ENTROPY.value(a, y, x if from_logits else None)
    assert value == pytest.approx(expected, rel=1e-10)


def test_cross_entropy_with_soft_targets_matches_log_softmax(rng):
    x = rng.normal(size=(5, 3))
    y = rng.dirichlet(np.ones(3), size=5)  # rows are probability distributions
    expected = -np.sum(y * scipy.special.log_softmax(x, axis=1)) / 5
    assert CROSS_ENTROPY.value(SOFTMAX.f(x), y, x) == pytest.approx(expected, rel=1e-12)
    assert CROSS_ENTROPY.value(SOFTMAX.f(x), y) == pytest.approx(expected, rel=1e-12)


# ----------------------------------------------------------------------------- gradients


@pytest.mark.parametrize(
    ("loss", "make_a"),
    [
        (MSE, lambda rng: rng.normal(size=(4, 3))),
        (BINARY_CROSS_ENTROPY, lambda rng: rng.uniform(0.05, 0.95, size=(4, 3))),
        (CROSS_ENTROPY, lambda rng: rng.uniform(0.05, 0.95, size=(4, 3))),
    ],
)
def test_grad_is_the_derivative_of_total(loss, make_a, rng):
    a, y = make_a(rng), rng.random((4, 3))
    h = 1e-6
    numeric = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        up, down = a.copy(), a.copy()
        up[idx] += h
        down[idx] -= h
        numeric[idx] = (loss.total(up, y) - loss.total(down, y)) / (2 * h)
    np.testing.assert_allclose(loss.grad(a, y), numeric, rtol=1e-7, atol=1e-9)
    out = np.empty_like(a)
    loss.grad_into(a, y, out)
    np.testing.assert_array_equal(out, loss.grad(a, y))


@pytest.mark.parametrize("loss", [BINARY_CROSS_ENTROPY, CROSS_ENTROPY])
def test_fused_forward_delta_gives_a_minus_y_and_the_logit_total(loss, rng):
    x = rng.normal(scale=3.0, size=(4, 3))
    y = np.eye(3)[rng.integers(0, 3, size=4)]
    act = ACTIVATIONS[loss.partner]
    expected_a, expected_total = act.f(x), loss.total(act.f(x), y, x)
    buf, delta = x.copy(), np.empty_like(x)
    total = loss.forward_delta_(buf, y, act, 0.25, delta, np.empty_like(x), np.empty((4, 1)))
    assert total == pytest.approx(expected_total, rel=1e-12)
    np.testing.assert_allclose(buf, expected_a, rtol=1e-12)  # x now holds a = f(x)
    np.testing.assert_allclose(delta, 0.25 * (expected_a - y), rtol=1e-12, atol=1e-15)


# ----------------------------------------------------------------------------- saturation


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("big", [50.0, 1e4, 1e30])
def test_binary_cross_entropy_from_saturated_logits_is_exact(big, dtype):
    # right side of a huge logit costs log(1 + exp(-big)) ~ 0; wrong side costs ~ big
    x = np.array([[big], [-big], [big], [-big]], dtype=dtype)
    a = SIGMOID.f(x)
    right = np.array([[1.0], [0.0], [1.0], [0.0]], dtype=dtype)
    wrong = 1 - right
    assert BINARY_CROSS_ENTROPY.total(a, right, x) == pytest.approx(
        4 * np.log1p(np.exp(-50.0)) if big == 50 else 0.0, abs=1e-12
    )
    assert BINARY_CROSS_ENTROPY.total(a, wrong, x) == pytest.approx(4 * big, rel=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("big", [1e4, 1e30])
def test_cross_entropy_from_saturated_logits_is_exact(big, dtype):
    x = np.array([[big, -big, 0.0], [0.0, 0.0, big]], dtype=dtype)
    a = SOFTMAX.f(x)
    right = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], dtype=dtype)
    wrong = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], dtype=dtype)
    assert CROSS_ENTROPY.total(a, right, x) == pytest.approx(0.0, abs=1e-12)
    assert CROSS_ENTROPY.total(a, wrong, x) == pytest.approx(3 * big, rel=1e-6)  # 2*big + big


def test_cross_entropy_from_logits_survives_a_spread_beyond_the_dtype_range():
    x = np.array([[1.5e308, -1.5e308]])  # max - min overflows float64
    assert CROSS_ENTROPY.total(SOFTMAX.f(x), np.array([[1.0, 0.0]]), x) == 0.0


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropies_from_probabilities_clip_instead_of_log_zero(dtype):
    # without logits a saturated probability of exactly 0 or 1 must still give a finite cost
    a = np.array([[0.0, 1.0]], dtype=dtype)
    y = np.array([[1.0, 0.0]], dtype=dtype)
    assert np.isfinite(BINARY_CROSS_ENTROPY.total(a, y))
    assert np.isfinite(CROSS_ENTROPY.total(a, y))
    assert BINARY_CROSS_ENTROPY.total(a, y) > 20  # -log(tiny) is large, not zero
    assert np.all(np.isfinite(BINARY_CROSS_ENTROPY.grad(a, y)))
    assert np.all(np.isfinite(CROSS_ENTROPY.grad(a, y)))


# ----------------------------------------------------------------------------- registry


def test_get_loss_names_and_aliases():
    assert get_loss("mse") is MSE
    assert get_loss("squared_error") is MSE
    assert get_loss("BCE") is BINARY_CROSS_ENTROPY
    assert get_loss("ce") is CROSS_ENTROPY
    assert get_loss(CROSS_ENTROPY) is CROSS_ENTROPY
    assert set(LOSSES) == {"mse", "binary_cross_entropy", "cross_entropy"}


@pytest.mark.parametrize("bad", ["hinge", "", None, 1])
def test_get_loss_bad_name_lists_the_names(bad):
    with pytest.raises(ConfigError, match="loss must be one of") as info:
        get_loss(bad)
    for name in LOSSES:
        assert repr(name) in str(info.value)


def test_check_output_names_the_needed_activation():
    with pytest.raises(ConfigError, match="needs a softmax output layer; got 'sigmoid'"):
        CROSS_ENTROPY.check_output(SIGMOID)
    with pytest.raises(ConfigError, match="needs a sigmoid output layer; got 'softmax'"):
        BINARY_CROSS_ENTROPY.check_output(SOFTMAX)
    MSE.check_output(SOFTMAX)  # mse goes with any output
    CROSS_ENTROPY.check_output(SOFTMAX)


def test_default_loss_is_the_fused_partner_else_mse():
    assert default_loss(SOFTMAX) is CROSS_ENTROPY
    assert default_loss(SIGMOID) is BINARY_CROSS_ENTROPY
    assert default_loss(TANH) is MSE


# ----------------------------------------------------------------------------- label smoothing


def test_label_smoothing_binary_by_hand():
    # epsilon 0.1 over 2 classes: targets 1 -> 0.95, 0 -> 0.05; a = 0.8
    ls = label_smoothing(BINARY_CROSS_ENTROPY, 0.1)
    a = np.array([[0.8], [0.8]])
    y = np.array([[1.0], [0.0]])
    expected = (-(0.95 * np.log(0.8) + 0.05 * np.log(0.2)) - (0.05 * np.log(0.8) + 0.95 * np.log(0.2))) / 2
    assert ls.value(a, y) == pytest.approx(expected, rel=1e-12)


def test_label_smoothing_softmax_matches_scipy_log_softmax(rng):
    # k = 4 classes, epsilon 0.2: t = 0.8 y + 0.05; cost = -mean sum t log_softmax(x)
    x = rng.normal(scale=2.0, size=(6, 4))
    y = np.eye(4)[rng.integers(0, 4, size=6)]
    ls = label_smoothing("ce", 0.2)
    t = 0.8 * y + 0.05
    expected = -np.mean(np.sum(t * scipy.special.log_softmax(x, axis=1), axis=1))
    assert ls.value(scipy.special.softmax(x, axis=1), y, x) == pytest.approx(expected, rel=1e-12)
    assert ls.value(scipy.special.softmax(x, axis=1), y) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("base", [BINARY_CROSS_ENTROPY, CROSS_ENTROPY])
def test_label_smoothing_fused_step_is_the_logit_gradient(base, rng):
    # d total / d x by central differences of the cost from the logits, against the fused delta
    ls = label_smoothing(base, 0.1)
    act = ACTIVATIONS[base.partner]
    x = rng.normal(scale=2.0, size=(5, 3))
    y = np.eye(3)[rng.integers(0, 3, size=5)]
    h = 1e-6
    numeric = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += h
        down[idx] -= h
        numeric[idx] = (ls.total(act.f(up), y, up) - ls.total(act.f(down), y, down)) / (2 * h)
    buf, delta = x.copy(), np.empty_like(x)
    total = ls.forward_delta_(buf, y, act, 0.5, delta, np.empty_like(x), np.empty((5, 1)))
    assert total == pytest.approx(ls.total(act.f(x), y, x), rel=1e-12)
    np.testing.assert_allclose(buf, act.f(x), rtol=1e-12)
    np.testing.assert_allclose(delta, 0.5 * numeric, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(delta, 0.5 * (act.f(x) - ls.smooth(y)), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("base", "make_a"), [
    (BINARY_CROSS_ENTROPY, lambda rng: rng.uniform(0.05, 0.95, size=(4, 3))),
    (CROSS_ENTROPY, lambda rng: rng.uniform(0.05, 0.95, size=(4, 3))),
])
def test_label_smoothing_grad_is_the_derivative_of_total(base, make_a, rng):
    ls = label_smoothing(base, 0.1)
    a, y = make_a(rng), np.eye(3)[rng.integers(0, 3, size=4)]
    h = 1e-6
    numeric = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        up, down = a.copy(), a.copy()
        up[idx] += h
        down[idx] -= h
        numeric[idx] = (ls.total(up, y) - ls.total(down, y)) / (2 * h)
    np.testing.assert_allclose(ls.grad(a, y), numeric, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
def test_label_smoothing_trains_through_backprop_with_exact_gradients(output, rng):
    from neuronless.backprop import loss_and_grads
    from neuronless.gradcheck import numerical_grad
    from neuronless.network import Network

    base = CROSS_ENTROPY if output == "softmax" else BINARY_CROSS_ENTROPY
    ls = label_smoothing(base, 0.1)
    net = Network.create([3, 4, 2], hidden="tanh", output=output, seed=1, dtype=np.float64)
    X = rng.normal(size=(5, 3))
    Y = np.eye(2)[rng.integers(0, 2, size=5)]
    _, analytic = loss_and_grads(net, X, Y, ls)

    def loss_at(p):
        net.params[:] = p
        return loss_and_grads(net, X, Y, ls)[0]

    numeric = numerical_grad(loss_at, net.params.copy())
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)
    # smoothing moves the gradient: it is not the unsmoothed loss's
    assert not np.allclose(analytic, loss_and_grads(net, X, Y, base)[1])


def test_label_smoothing_zero_is_the_base_loss_and_bad_settings_raise():
    assert label_smoothing("cross_entropy", 0.0) is CROSS_ENTROPY
    with pytest.raises(ConfigError, match="needs cross_entropy or binary_cross_entropy"):
        label_smoothing(MSE, 0.1)
    with pytest.raises(ConfigError, match=r"must be in \[0, 1\)"):
        label_smoothing(CROSS_ENTROPY, 1.0)
    with pytest.raises(ConfigError, match="already smoothed"):
        label_smoothing(label_smoothing(CROSS_ENTROPY, 0.1), 0.1)
