"""Activations: values, derivatives against central differences, stability, in-place forms."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special

from neuronless import ACTIVATIONS, Activation, ConfigError, get_activation
from neuronless.activations import (
    CORE_ACTIVATIONS,
    ELU_ALPHA,
    IDENTITY,
    LEAKY_RELU_SLOPE,
    SIGMOID,
    SOFTMAX,
)

# the functions of activations.py; FANN's (thresholds, kinks) are tested in test_fann_activations
NAMES = sorted(CORE_ACTIVATIONS)
ELEMENTWISE = [n for n in NAMES if ACTIVATIONS[n].elementwise]
RELU_FAMILY = {"relu", "leaky_relu", "elu"}  # a kink (or a second-derivative jump) at 0
DTYPES = [np.float32, np.float64]
H = 1e-6  # central-difference step (float64)


def random_points(
    name: str, rng: np.random.Generator, shape: tuple[int, ...] = (6, 5)
) -> np.ndarray:
    x = rng.normal(scale=2.0, size=shape)
    if name in RELU_FAMILY:
        # keep relu-family points away from the kink at 0, where f' does not exist
        x = np.where(x >= 0, x + 0.1, x - 0.1)
    return x


def derivative_from(act: Activation, x: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``df`` as the training loop calls it: without ``x`` unless the activation needs it."""
    return act.df(x if act.needs_x else None, a)


# ----------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("name", "reference"),
    [
        ("identity", lambda x: x),
        ("sigmoid", lambda x: 1.0 / (1.0 + np.exp(-x))),
        ("tanh", lambda x: (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))),
        ("relu", lambda x: np.where(x > 0, x, 0.0)),
        ("leaky_relu", lambda x: np.where(x > 0, x, 0.01 * x)),
        ("elu", lambda x: np.where(x > 0, x, np.exp(x) - 1.0)),
        ("softplus", lambda x: np.log(1.0 + np.exp(x))),
        ("softmax", lambda x: np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)),
    ],
)
def test_activation_values_match_textbook_formula(name, reference, rng):
    x = rng.normal(scale=3.0, size=(4, 5))
    np.testing.assert_allclose(ACTIVATIONS[name].f(x), reference(x), rtol=1e-12, atol=1e-15)


def test_the_formula_table_covers_every_registered_activation():
    assert set(NAMES) == {
        "identity",
        "sigmoid",
        "tanh",
        "relu",
        "leaky_relu",
        "elu",
        "softplus",
        "softmax",
    }


def test_constants_are_the_documented_defaults():
    assert LEAKY_RELU_SLOPE == 0.01
    assert ELU_ALPHA == 1.0


def test_softmax_rows_are_distributions(rng):
    a = SOFTMAX.f(rng.normal(scale=5.0, size=(7, 4)))
    assert np.all(a > 0)
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=1e-14)


def test_softmax_is_shift_invariant(rng):
    x = rng.normal(size=(3, 4))
    np.testing.assert_allclose(SOFTMAX.f(x + 100.0), SOFTMAX.f(x), rtol=1e-12)


# ----------------------------------------------------------------------------- derivatives


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_df_matches_central_differences(name, rng):
    act = ACTIVATIONS[name]
    x = random_points(name, rng)
    numeric = (act.f(x + H) - act.f(x - H)) / (2 * H)
    analytic = derivative_from(act, x, act.f(x))
    np.testing.assert_allclose(analytic, numeric, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_vjp_matches_central_differences(name, rng):
    # g . J, with the Jacobian J[i, j] = d a_i / d x_j built column by column (rows independent)
    act = ACTIVATIONS[name]
    x = random_points(name, rng, shape=(3, 4))
    g = rng.normal(size=x.shape)
    numeric = np.zeros_like(x)
    for j in range(x.shape[1]):
        step = np.zeros_like(x)
        step[:, j] = H
        column = (act.f(x + step) - act.f(x - step)) / (2 * H)  # d a / d x_j, per row
        numeric[:, j] = np.sum(g * column, axis=1)
    np.testing.assert_allclose(act.vjp(g, x, act.f(x)), numeric, rtol=1e-7, atol=1e-9)


def test_relu_family_derivatives_on_each_side_of_the_kink():
    x = np.array([-2.0, -0.5, 0.5, 2.0])
    assert ACTIVATIONS["relu"].df(x, ACTIVATIONS["relu"].f(x)).tolist() == [0, 0, 1, 1]
    leaky = ACTIVATIONS["leaky_relu"]
    assert leaky.df(x, leaky.f(x)).tolist() == [0.01, 0.01, 1, 1]
    elu = ACTIVATIONS["elu"]
    np.testing.assert_allclose(elu.df(x, elu.f(x)), [np.exp(-2.0), np.exp(-0.5), 1, 1])


def test_softmax_has_no_elementwise_derivative():
    a = SOFTMAX.f(np.zeros((1, 3)))
    with pytest.raises(TypeError, match="vjp"):
        SOFTMAX.df(None, a)


# ----------------------------------------------------------------------------- stability

HUGE = [-3e38, -1e4, -1.0, 0.0, 1.0, 1e4, 3e38]  # 3e38 is finite in float32 (max 3.4e38)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", NAMES)
def test_huge_finite_inputs_give_finite_outputs_without_fp_errors(name, dtype):
    # conftest turns overflow, division by zero and 0/0 into errors (underflow rounds to 0)
    act = ACTIVATIONS[name]
    x = np.array([HUGE, HUGE[::-1]], dtype=dtype)
    a = act.f(x)
    assert a.dtype == dtype
    assert np.all(np.isfinite(a))
    lo, hi = act.output_range
    assert np.all((a >= lo) & (a <= hi))
    g = act.vjp(np.ones_like(a), x, a)
    assert np.all(np.isfinite(g))
    if act.elementwise:
        assert np.all(np.isfinite(derivative_from(act, x, a)))
    y = x.copy()
    act.apply_(y)
    np.testing.assert_array_equal(y, a)


@pytest.mark.parametrize("dtype", DTYPES)
def test_saturated_values_are_exact(dtype):
    x = np.array([-1e4, 1e4], dtype=dtype)
    assert SIGMOID.f(x).tolist() == [0.0, 1.0]
    assert ACTIVATIONS["tanh"].f(x).tolist() == [-1.0, 1.0]
    assert ACTIVATIONS["softplus"].f(x).tolist() == [0.0, 1e4]
    assert ACTIVATIONS["elu"].f(x).tolist() == [-1.0, 1e4]
    np.testing.assert_array_equal(
        SOFTMAX.f(np.array([[3e38, -3e38, 0.0]], dtype=dtype)), [[1.0, 0.0, 0.0]]
    )


def test_softplus_derivative_keeps_precision_for_very_negative_inputs():
    # f'(x) = sigmoid(x) ~ exp(x): 1 - exp(-a) would round to 0 for tiny a without expm1
    x = np.array([-30.0, -50.0])
    act = ACTIVATIONS["softplus"]
    np.testing.assert_allclose(act.df(None, act.f(x)), scipy.special.expit(x), rtol=1e-12)


# ----------------------------------------------------------------------------- in-place forms


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", NAMES)
def test_apply_in_place_equals_f(name, dtype, rng):
    act = ACTIVATIONS[name]
    x = random_points(name, rng).astype(dtype)
    expected = act.f(x)
    y = x.copy()
    assert act.apply_(y) is None
    np.testing.assert_allclose(y, expected, rtol=1e-6 if dtype == np.float32 else 1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", NAMES)
def test_backward_in_place_equals_vjp(name, dtype, rng):
    act = ACTIVATIONS[name]
    x = random_points(name, rng).astype(dtype)
    a = act.f(x)
    g = rng.normal(size=x.shape).astype(dtype)
    expected = act.vjp(g, x, a)
    delta = g.copy()
    scratch = np.full_like(x, np.nan)  # garbage in the scratch buffers must not leak out
    mask = np.ones(x.shape, dtype=bool)
    act.backward_(delta, a, x if act.needs_x else None, scratch, mask)
    assert delta.dtype == dtype
    np.testing.assert_allclose(delta, expected, rtol=1e-6 if dtype == np.float32 else 1e-14)


def test_custom_activation_without_fast_forms_falls_back_to_f_and_vjp():
    double = Activation("double", f=lambda x: 2 * x, df=lambda x, a: np.full_like(a, 2.0))
    x = np.array([[1.0, -3.0]])
    double.apply_(x)
    assert x.tolist() == [[2.0, -6.0]]
    delta = np.array([[0.5, 1.0]])
    double.backward_(delta, x, None, np.empty_like(x), np.empty(x.shape, bool))
    assert delta.tolist() == [[1.0, 2.0]]


# ----------------------------------------------------------------------------- registry


@pytest.mark.parametrize("name", NAMES)
def test_get_activation_by_name(name):
    assert get_activation(name) is ACTIVATIONS[name]
    assert get_activation(name.upper()) is ACTIVATIONS[name]


def test_get_activation_aliases_and_values():
    assert get_activation("linear") is IDENTITY
    assert get_activation("Logistic") is SIGMOID
    assert get_activation(SOFTMAX) is SOFTMAX


@pytest.mark.parametrize("bad", ["sigmod", "", 3, None])
def test_get_activation_bad_name_lists_the_names(bad):
    with pytest.raises(ConfigError, match="activation must be one of") as info:
        get_activation(bad)
    message = str(info.value)
    assert repr(bad) in message
    for name in NAMES:
        assert repr(name) in message
