"""FANN's MSE, bit fail, error functions and backprop derivatives (neuronless.fann.metrics).

Against the real libfann (double build, generated in the test): ``fann_test_data``'s MSE and
bit fail, and the derivative FANN's backprop uses, read back from one ``fann_train`` step of a
1-1 net (with zero bias weight, lr 1 and the LINEAR error function the new bias weight *is*
``delta = f'(y, sum) * diff``). Also by hand from fann.md sections 4 and 5.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from neuronless.errors import ConfigError, ShapeError
from neuronless.fann.activations import FANN_ACTIVATIONS
from neuronless.fann.metrics import (
    FannDerivative,
    bit_fail,
    error_function,
    fann_derivative,
    fann_errors,
    fann_mse,
    output_diff,
)

ENUM = {name: i for i, name in enumerate(FANN_ACTIVATIONS)}
TRAINABLE = [a for a in FANN_ACTIVATIONS[:18] if a not in ("threshold", "gaussian_stepwise")]


# ----------------------------------------------------------------- against libfann
@pytest.mark.parametrize(
    "outputs",
    [
        ["sigmoid"] * 3,
        ["sigmoid_symmetric"] * 3,
        ["linear"] * 3,
        ["elliot_symmetric", "sigmoid", "cos_symmetric"],
        ["linear_piece_symmetric", "gaussian", "sigmoid_symmetric_stepwise"],
    ],
)
@pytest.mark.parametrize("limit", [0.35, 0.1])
def test_mse_and_bit_fail_equal_fann_test_data(libfann_double, outputs, limit, rng):
    ann = libfann_double.create_standard([4, 5, 3], seed=3)
    ann.randomize_weights(-1.5, 1.5)
    for j, name in enumerate(outputs):
        ann.set_activation(2, j, ENUM[name], 0.7)
    ann.configure(bit_fail_limit=limit)
    X = rng.uniform(-1, 1, size=(40, 4))
    Y = rng.uniform(-1, 1, size=(40, 3))
    data = libfann_double.train_data(X, Y)
    want_mse, want_bits = ann.test_data(data)
    got_mse, got_bits = fann_errors(ann.run_many(X), Y, outputs, bit_fail_limit=limit)
    # FANN accumulates the squares in a C float
    assert got_mse == pytest.approx(want_mse, rel=1e-6)
    assert got_bits == want_bits
    assert 0 < want_bits < Y.size  # the limit really splits the values


def _fann_delta(lib, name, steepness, w, x, target):
    """One fann_train step of a 1-1 net: returns (y, sum, delta) as libfann computes them."""
    ann = lib.create_standard([1, 1], seed=None)
    ann.set_activation(1, 0, ENUM[name], steepness)
    ann.configure(algorithm="incremental", error_function="linear", learning_rate=1.0,
                  momentum=0.0)
    ann.set_weights([w, 0.0])  # storage order: input, then bias
    y = float(ann.run([x])[0])
    ann.train([x], [target])
    delta = float(ann.weights()[1])  # bias 0 + lr (1) * delta * 1
    s = float(np.float64(steepness))
    acc = w * x
    total = min(max(s * acc, -150 / s), 150 / s)
    return y, total, delta


@pytest.mark.parametrize("name", TRAINABLE)
@pytest.mark.parametrize("steepness", [0.5, 1.0, 0.25, 2.0])
def test_derivative_equals_libfanns_backprop(libfann_double, name, steepness):
    ws = [0.3, -1.1, 2.5, -4.0, 9.0, 400.0]  # from the linear part to saturation and the clamp
    for w in ws:
        x, target = 0.8, 0.3
        y, total, delta = _fann_delta(libfann_double, name, steepness, w, x, target)
        diff = output_diff([[y]], [[target]], name)
        d = fann_derivative(name, np.array([y]), np.array([total]), steepness)
        got = d[0] * diff[0, 0]
        assert got == pytest.approx(delta, rel=1e-12, abs=1e-300), (name, steepness, w)


def test_per_neuron_derivatives_equal_the_single_ones(rng):
    names = ["sigmoid", "gaussian", "sin", "sigmoid", "elliot_symmetric", "linear"]
    s = np.array([0.5, 1.0, 0.25, 2.0, 0.75, 1.5])
    sums = rng.normal(scale=2.0, size=(7, 6))
    y = rng.uniform(-1, 1, size=(7, 6))
    got = FannDerivative(names, s)(y, sums, np.empty_like(y))
    for j in range(6):
        np.testing.assert_array_equal(got[:, j], fann_derivative(names[j], y[:, j], sums[:, j], s[j]))


# ----------------------------------------------------------------- by hand (fann.md 4, 5)
def test_derivative_quirks_by_hand():
    f32 = lambda v: float(np.float32(v))  # noqa: E731
    one = lambda name, y, total, s: float(fann_derivative(name, [y], [total], s)[0])  # noqa: E731
    # sigmoid: 2 s y (1 - y) with y clipped to [0.01f, 0.99f]
    assert one("sigmoid", 0.3, 0.0, 0.5) == pytest.approx(0.21, rel=1e-15)
    assert one("sigmoid_stepwise", 1.0, 9.0, 0.5) == pytest.approx(f32(0.99) * (1 - f32(0.99)))
    # tanh-like: s (1 - y^2), y clipped to +-0.98f
    assert one("sigmoid_symmetric", -1.0, -9.0, 2.0) == pytest.approx(2 * (1 - f32(0.98) ** 2))
    # linear pieces: s everywhere, also on the flat parts
    assert one("linear_piece", 1.0, 5.0, 0.7) == 0.7
    assert one("linear_piece_symmetric", -1.0, -5.0, 0.7) == 0.7
    # gaussian: -2 sum y s s, one s more than the exact -2 s (s z) y
    assert one("gaussian", math.exp(-1.0), 1.0, 0.5) == pytest.approx(-2 * math.exp(-1) * 0.25)
    # sin: s cos(s sum): the steepness applied twice
    assert one("sin_symmetric", 0.0, 1.2, 0.5) == pytest.approx(0.5 * math.cos(0.6))
    assert one("cos", 0.0, 1.2, 0.5) == pytest.approx(-0.5 * math.sin(0.6) / 2)
    # elliot: exact, s / (2 (1 + |sum|)^2)
    assert one("elliot", 0.0, -1.0, 0.5) == pytest.approx(0.5 / 8)
    assert one("threshold_symmetric", 1.0, 3.0, 0.5) == 0.0


def test_threshold_cannot_be_trained():
    with pytest.raises(ConfigError, match="THRESHOLD"):
        FannDerivative(["sigmoid", "threshold"], 0.5)


def test_output_diff_halves_symmetric_columns_only():
    diff = output_diff([[0.0, 0.0, 0.0]], [[1.0, 1.0, -1.0]],
                       ["sigmoid", "sigmoid_symmetric", "cos_symmetric"])
    np.testing.assert_array_equal(diff, [[1.0, 0.5, -0.5]])


def test_mse_and_bit_fail_by_hand():
    # tanh outputs: diffs (0.8 - 0)/2 = 0.4 and (-1 - -0.5)/2 = -0.25
    y, t = [[0.0], [-0.5]], [[0.8], [-1.0]]
    assert fann_mse(y, t, "sigmoid_symmetric") == pytest.approx((0.16 + 0.0625) / 2)
    assert bit_fail(y, t, "sigmoid_symmetric") == 1  # |0.4| >= 0.35
    assert bit_fail(y, t, "sigmoid_symmetric", bit_fail_limit=0.25) == 2  # >=, not >
    assert fann_errors(np.zeros((0, 2)), np.zeros((0, 2)), "linear") == (0.0, 0)
    with pytest.raises(ShapeError):
        fann_mse([[0.0, 1.0]], [[0.0]], "linear")
    with pytest.raises(ShapeError, match="one FANN activation name per output"):
        fann_mse([[0.0, 1.0]], [[0.0, 1.0]], ["linear"])
    with pytest.raises(ConfigError, match="not a FANN activation"):
        fann_mse([[0.0]], [[0.0]], "softmax")


def test_tanh_error_function():
    d = np.array([0.0, 0.5, -0.5, 0.9999999, 0.99999995, -1.0, 3.0])
    got = error_function(d, "tanh")
    assert got[0] == 0.0
    assert got[1] == pytest.approx(math.log(3.0), rel=1e-15)
    assert got[2] == -got[1]
    assert got[3] == pytest.approx(math.log(1.9999999 / 1e-7), rel=1e-8)  # not yet clipped
    assert list(got[4:]) == [17.0, -17.0, 17.0]
    np.testing.assert_array_equal(error_function(d, "linear"), d)
    inplace = d.copy()
    assert error_function(inplace, "tanh", out=inplace) is inplace
    np.testing.assert_array_equal(inplace, got)
    with pytest.raises(ConfigError, match="linear' or 'tanh"):
        error_function(d, "huber")


def test_float32_stays_float32(rng):
    y = rng.uniform(0, 1, size=(5, 3)).astype(np.float32)
    for name in TRAINABLE:
        assert fann_derivative(name, y, y, 0.5).dtype == np.float32
    assert error_function(y, "tanh").dtype == np.float32
