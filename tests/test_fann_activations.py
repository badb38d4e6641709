"""FANN's activation functions: values from fann.md section 4, enum order, exact derivatives."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special

import neuronless as nl
from neuronless import ACTIVATIONS, Network, check_gradients, get_activation
from neuronless.activations import CORE_ACTIVATIONS
from neuronless.fann.activations import (
    FANN_ACTIVATIONS,
    FANN_REGISTERED,
    FANN_STEEPNESS_SCALE,
    SIGMOID_STEPWISE_X,
    SIGMOID_SYMMETRIC_STEPWISE_X,
)

NAMES = [a.name for a in FANN_REGISTERED]
DTYPES = [np.float32, np.float64]
H = 1e-6  # central-difference step (float64)

# breakpoints and values as fann.md lists them (the float32 constants libfann stores)
STEP_X = [-2.6466524601, -1.4722194672, -0.5493061543, 0.5493061543, 1.4722193480, 2.6466529369]
STEP_Y = [0.0049999999, 0.0500000007, 0.25, 0.75, 0.9499999881, 0.9950000048]
SYM_X = [-2.6466529369, -1.4722193480, -0.5493061543, 0.5493061543, 1.4722193480, 2.6466529369]
SYM_Y = [-0.9900000095, -0.8999999762, -0.5, 0.5, 0.8999999762, 0.9900000095]


def stepwise(xs, ys, low, high):
    """fann.md: ``low`` below x1, ``high`` at or above x6, else
    ``((y_{i+1} - y_i)(x - x_i)) / (x_{i+1} - x_i) + y_i`` on [x_i, x_{i+1})."""

    def f(x):
        out = np.empty_like(x)
        for k, v in np.ndenumerate(x):
            if v < xs[0]:
                out[k] = low
            elif v >= xs[-1]:
                out[k] = high
            else:
                i = max(j for j in range(5) if xs[j] <= v)
                out[k] = ((ys[i + 1] - ys[i]) * (v - xs[i])) / (xs[i + 1] - xs[i]) + ys[i]
        return out

    return f


# y = f(x) transcribed from the table in fann.md section 4
FORMULAS = {
    "threshold": lambda x: np.where(x < 0, 0.0, 1.0),
    "threshold_symmetric": lambda x: np.where(x < 0, -1.0, 1.0),
    "sigmoid_stepwise": stepwise(STEP_X, STEP_Y, 0.0, 1.0),
    "sigmoid_symmetric_stepwise": stepwise(SYM_X, SYM_Y, -1.0, 1.0),
    "gaussian": lambda x: np.exp(-x * x),
    "gaussian_stepwise": lambda x: 0.0 * x,  # never implemented by FANN: fann_run gives 0
    "gaussian_symmetric": lambda x: 2 * np.exp(-x * x) - 1,
    "elliot": lambda x: (x / 2) / (1 + abs(x)) + 0.5,
    "elliot_symmetric": lambda x: x / (1 + abs(x)),
    "linear_piece": lambda x: np.clip(x, 0, 1),
    "linear_piece_symmetric": lambda x: np.clip(x, -1, 1),
    "sin_symmetric": np.sin,
    "cos_symmetric": np.cos,
    "sin": lambda x: np.sin(x) / 2 + 0.5,
    "cos": lambda x: np.cos(x) / 2 + 0.5,
}
KINKS = {
    "threshold": [0.0],
    "threshold_symmetric": [0.0],
    "sigmoid_stepwise": STEP_X,
    "sigmoid_symmetric_stepwise": SYM_X,
    "linear_piece": [0.0, 1.0],
    "linear_piece_symmetric": [-1.0, 1.0],
}
POINTS = np.array([-3.0, -2.0, -1.0, -0.7, -0.5, 0.0, 0.25, 0.5, 0.9, 1.0, 2.0, 3.0, 5.0])


def away_from_kinks(name: str, x: np.ndarray, gap: float = 1e-3) -> np.ndarray:
    """Nudge points within ``gap`` of a kink (jump or slope change) of ``name`` off it."""
    for k in KINKS.get(name, []):
        x = np.where(np.abs(x - k) < gap, k + 2 * gap, x)
    return x


def test_every_fann_function_is_registered_and_has_a_formula_here():
    assert sorted(FORMULAS) == sorted(NAMES)
    for name in NAMES:
        assert ACTIVATIONS[name].name == name
        assert get_activation(name.upper()) is ACTIVATIONS[name]
    assert set(CORE_ACTIVATIONS) | set(NAMES) == set(ACTIVATIONS)
    assert len(CORE_ACTIVATIONS) == 8


# ----------------------------------------------------------------------------- values


@pytest.mark.parametrize("name", NAMES)
def test_values_match_fann_formula(name):
    x = POINTS
    np.testing.assert_allclose(ACTIVATIONS[name].f(x), FORMULAS[name](x), rtol=1e-9, atol=1e-9)


def test_hand_values():
    f = {n: ACTIVATIONS[n].f for n in NAMES}
    x = np.array([-1.0, 0.0, 1.0])
    assert f["threshold"](x).tolist() == [0.0, 1.0, 1.0]  # x < 0 ? 0 : 1, so 1 at 0
    assert f["threshold_symmetric"](x).tolist() == [-1.0, 1.0, 1.0]
    np.testing.assert_allclose(f["gaussian"](x), [np.exp(-1), 1.0, np.exp(-1)])
    np.testing.assert_allclose(f["gaussian_symmetric"](x), [2 / np.e - 1, 1.0, 2 / np.e - 1])
    np.testing.assert_allclose(f["elliot"](x), [0.25, 0.5, 0.75])  # (1/2)/2 + 0.5
    np.testing.assert_allclose(f["elliot_symmetric"](x), [-0.5, 0.0, 0.5])
    assert f["linear_piece"](np.array([-2.0, 0.3, 2.0])).tolist() == [0.0, 0.3, 1.0]
    assert f["linear_piece_symmetric"](np.array([-2.0, 0.3, 2.0])).tolist() == [-1.0, 0.3, 1.0]
    np.testing.assert_allclose(f["sin"](np.array([0.0, np.pi / 2])), [0.5, 1.0])
    np.testing.assert_allclose(f["cos"](np.array([0.0, np.pi])), [1.0, 0.0], atol=1e-15)
    np.testing.assert_allclose(f["sin_symmetric"](np.array([np.pi / 2])), [1.0])
    np.testing.assert_allclose(f["cos_symmetric"](np.array([np.pi])), [-1.0])


def test_stepwise_sigmoids_at_their_breakpoints_and_jumps():
    sig = ACTIVATIONS["sigmoid_stepwise"].f
    sym = ACTIVATIONS["sigmoid_symmetric_stepwise"].f
    xs = np.array(SIGMOID_STEPWISE_X)
    np.testing.assert_allclose(sig(xs[:-1]), STEP_Y[:-1], atol=1e-9)  # STEP_Y has 10 digits
    assert sig(np.array([0.0]))[0] == pytest.approx(0.5)
    # constant outside, with FANN's jumps: 0 just below x1, 1 from x6 on
    assert sig(np.array([xs[0] - 1e-9, xs[-1], xs[-1] - 1e-9, 1e4])).tolist() == pytest.approx(
        [0.0, 1.0, 0.995, 1.0], abs=1e-8
    )
    sx = np.array(SIGMOID_SYMMETRIC_STEPWISE_X)
    np.testing.assert_allclose(sym(sx[:-1]), SYM_Y[:-1], atol=1e-9)
    assert sym(np.array([sx[0] - 1e-9, 0.0, sx[-1]])).tolist() == pytest.approx([-1.0, 0.0, 1.0])
    # they interpolate FANN's sigmoid 1/(1 + exp(-2x)) and tanh(x): exact at the breakpoints
    np.testing.assert_allclose(sig(xs[:-1]), scipy.special.expit(2 * xs[:-1]), atol=1e-6)
    np.testing.assert_allclose(sym(sx[:-1]), np.tanh(sx[:-1]), atol=1e-6)


# ----------------------------------------------------------------------------- FANN's enum


def test_fann_enum_order_matches_the_net_file_numbers():
    # fann.md section 4: the number in the first column is what a .net file stores
    expected = {
        0: "linear",
        1: "threshold",
        2: "threshold_symmetric",
        3: "sigmoid",
        4: "sigmoid_stepwise",
        5: "sigmoid_symmetric",
        6: "sigmoid_symmetric_stepwise",
        7: "gaussian",
        8: "gaussian_symmetric",
        9: "gaussian_stepwise",
        10: "elliot",
        11: "elliot_symmetric",
        12: "linear_piece",
        13: "linear_piece_symmetric",
        14: "sin_symmetric",
        15: "cos_symmetric",
        16: "sin",
        17: "cos",
        18: "linear_piece_rect",
        19: "linear_piece_rect_leaky",
    }
    assert FANN_ACTIVATIONS == [expected[k] for k in range(20)]


def test_every_fann_name_resolves():
    for name in FANN_ACTIVATIONS:
        assert isinstance(get_activation(name), nl.Activation)
    gs = get_activation("gaussian_stepwise")  # FANN never implemented it: 0, derivative 0
    x = np.linspace(-3, 3, 7)
    np.testing.assert_array_equal(gs.f(x), 0.0)
    np.testing.assert_array_equal(gs.df(x, gs.f(x)), 0.0)
    assert get_activation("linear").name == "identity"
    assert get_activation("sigmoid").name == "sigmoid"
    assert get_activation("sigmoid_symmetric").name == "tanh"
    assert get_activation("linear_piece_rect").name == "relu"
    assert get_activation("linear_piece_rect_leaky").name == "leaky_relu"


def test_fann_aliases_compute_fann_formulas():
    x = POINTS
    # SIGMOID_SYMMETRIC: 2/(1+e^(-2x)) - 1; RECT: max(0, x); RECT_LEAKY: x<0 ? 0.01x : x
    np.testing.assert_allclose(
        get_activation("sigmoid_symmetric").f(x), 2 / (1 + np.exp(-2 * x)) - 1, rtol=1e-12
    )
    np.testing.assert_allclose(get_activation("linear_piece_rect").f(x), np.maximum(0, x))
    np.testing.assert_allclose(
        get_activation("linear_piece_rect_leaky").f(x), np.where(x < 0, 0.01 * x, x)
    )


def test_fann_sigmoid_steepness_scale():
    # FANN SIGMOID at steepness s: 1/(1 + exp(-2 s z)) = neuronless sigmoid at steepness 2 s
    z, s = POINTS, 0.5
    fann = 1 / (1 + np.exp(-2 * s * z))
    ours = get_activation("sigmoid").f(FANN_STEEPNESS_SCALE["sigmoid"] * s * z)
    np.testing.assert_allclose(ours, fann, rtol=1e-12)
    assert set(FANN_STEEPNESS_SCALE) == {"sigmoid"}


# ----------------------------------------------------------------------------- derivatives


@pytest.mark.parametrize("name", NAMES)
def test_df_matches_central_differences_away_from_kinks(name, rng):
    # piecewise functions have jumps or slope changes at KINKS; points within 1e-3 of one move
    # off it, so the central difference (step 1e-6) stays on one segment
    act = ACTIVATIONS[name]
    x = away_from_kinks(name, rng.normal(scale=2.0, size=(8, 6)))
    numeric = (act.f(x + H) - act.f(x - H)) / (2 * H)
    analytic = act.df(x if act.needs_x else None, act.f(x))
    np.testing.assert_allclose(analytic, numeric, rtol=1e-7, atol=1e-9)


def test_textbook_derivatives_by_hand():
    def d(name, x):
        act = ACTIVATIONS[name]
        x = np.asarray(x, dtype=float)
        return act.df(x, act.f(x))

    assert d("threshold", [-1.0, 0.5]).tolist() == [0.0, 0.0]
    assert d("threshold_symmetric", [-1.0, 0.5]).tolist() == [0.0, 0.0]
    assert d("linear_piece", [-0.5, 0.5, 1.5]).tolist() == [0.0, 1.0, 0.0]
    assert d("linear_piece_symmetric", [-1.5, 0.5, 1.5]).tolist() == [0.0, 1.0, 0.0]
    # the stepwise sigmoid's slope on each segment, 0 on the flat parts
    mids = [(STEP_X[i] + STEP_X[i + 1]) / 2 for i in range(5)]
    slopes = [(STEP_Y[i + 1] - STEP_Y[i]) / (STEP_X[i + 1] - STEP_X[i]) for i in range(5)]
    np.testing.assert_allclose(d("sigmoid_stepwise", [-5.0, *mids, 5.0]), [0, *slopes, 0], 1e-8)
    assert d("sigmoid_stepwise", [0.0])[0] == pytest.approx(0.5 / (2 * 0.5493061543))
    assert d("sigmoid_symmetric_stepwise", [0.0])[0] == pytest.approx(1.0 / (2 * 0.5493061543))
    np.testing.assert_allclose(d("gaussian", [1.0]), [-2 * np.exp(-1)])
    np.testing.assert_allclose(d("gaussian_symmetric", [1.0]), [-4 * np.exp(-1)])
    np.testing.assert_allclose(d("elliot", [0.0, 1.0]), [0.5, 0.125])  # 1/(2(1+|x|)^2)
    np.testing.assert_allclose(d("elliot_symmetric", [0.0, -1.0]), [1.0, 0.25])
    np.testing.assert_allclose(d("sin", [0.0]), [0.5])
    np.testing.assert_allclose(d("cos", [np.pi / 2]), [-0.5])


# ----------------------------------------------------------------------------- stability

HUGE = [-3e38, -1e20, -1e4, -30.0, -1.0, 0.0, 1.0, 30.0, 1e4, 1e20, 3e38]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", NAMES)
def test_huge_finite_inputs_give_finite_outputs_without_fp_errors(name, dtype, rng):
    # conftest raises on overflow and 0/0
    act = ACTIVATIONS[name]
    x = np.array([HUGE, HUGE[::-1]], dtype=dtype)
    a = act.f(x)
    assert a.dtype == dtype
    assert np.all(np.isfinite(a))
    lo, hi = act.output_range
    assert np.all((a >= lo) & (a <= hi))
    df = act.df(x if act.needs_x else None, a)
    assert df.dtype == dtype
    assert np.all(np.isfinite(df))
    y = x.copy()
    act.apply_(y)
    np.testing.assert_array_equal(y, a)
    delta = rng.normal(size=x.shape).astype(dtype)
    expected = act.vjp(delta, x, a)
    act.backward_(delta, a, x if act.needs_x else None, np.empty_like(x), np.ones(x.shape, bool))
    np.testing.assert_array_equal(delta, expected)


@pytest.mark.parametrize("name", ["gaussian", "gaussian_symmetric", "elliot", "elliot_symmetric"])
def test_far_tails_keep_their_precision(name):
    x = np.array([-1e4, 1e4])
    a = ACTIVATIONS[name].f(x)
    expected = {
        "gaussian": [0.0, 0.0],
        "gaussian_symmetric": [-1.0, -1.0],
        "elliot": [0.5 - 0.5 * 1e4 / 10001, 0.5 + 0.5 * 1e4 / 10001],
        "elliot_symmetric": [-1e4 / 10001, 1e4 / 10001],
    }[name]
    # elliot's 0.5 + (x/2)/(1 + |x|) cancels near 0: a few ulps of 0.5, relative 1e-12
    np.testing.assert_allclose(a, expected, rtol=1e-11, atol=0)


# ----------------------------------------------------------------------------- in networks


def tiny_net(hidden, seed: int = 0) -> Network:
    """A float64 [2, n, 2] net with U(-1, 1) weights, steepness 0.5, a sigmoid output."""
    n_hidden = 3 if isinstance(hidden, str) else len(hidden)
    kw = {"seed": seed, "dtype": np.float64, "init": "uniform", "init_range": 1.0}
    base = Network.create([2, n_hidden, 2], **kw)
    return Network.from_weights(base.weights, [hidden, "sigmoid"], steepness=0.5)


def assert_hidden_inputs_away_from_kinks(net: Network, X: np.ndarray, names: list[str]) -> None:
    z = X @ net.weights[0][:-1] + net.weights[0][-1]
    x = 0.5 * z  # the steepness
    for j, name in enumerate(names):
        for k in KINKS.get(name, []):
            assert np.min(np.abs(x[:, j] - k)) > 1e-4, (name, k)


@pytest.mark.parametrize("hidden", NAMES)
def test_gradient_check_with_each_as_hidden_activation(hidden):
    # piecewise ones are differentiable away from their kinks; the test asserts that every
    # hidden net input is more than 1e-4 from one (central differences use eps = 1e-6)
    net = tiny_net(hidden)
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(4, 2)), rng.random((4, 2))
    assert_hidden_inputs_away_from_kinks(net, X, [hidden] * 3)
    for l2 in (0.0, 0.3):
        report = check_gradients(net, X, Y, "mse", l2=l2)
        assert report.passed, str(report)
        assert report.relative_diff < 1e-7, str(report)


def test_gradient_check_with_a_mixed_layer_of_every_fann_function():
    net = tiny_net(NAMES, seed=2)
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(5, 2)), rng.random((5, 2))
    assert_hidden_inputs_away_from_kinks(net, X, NAMES)
    report = check_gradients(net, X, Y, "mse", l2=0.1)
    assert report.passed, str(report)
    assert report.relative_diff < 1e-7, str(report)


def test_elliot_hidden_network_trains(rng):
    X = rng.normal(size=(64, 2))
    Y = (X[:, :1] * X[:, 1:] > 0).astype(float)  # XOR of the signs
    net = Network.create([2, 8, 1], hidden="elliot", output="sigmoid", seed=0)
    history = nl.fit(net, X, Y, "mse", nl.Adam(learning_rate=0.05), epochs=300, seed=0)
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]
    assert nl.accuracy(net.forward(X) > 0.5, Y > 0.5) > 0.85


def test_network_with_fann_activations_saves_and_loads(tmp_path, rng):
    net = Network.from_weights(
        Network.create([2, 3, 1], seed=0).weights, [["gaussian", "elliot", "sin"], "elliot"]
    )
    nl.save(net, tmp_path / "net.nless")
    back = nl.load(tmp_path / "net.nless")
    X = rng.normal(size=(4, 2)).astype(np.float32)
    np.testing.assert_array_equal(back.forward(X), net.forward(X))
