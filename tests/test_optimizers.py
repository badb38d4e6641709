"""Each optimizer against its published formula, re-derived here in plain NumPy.

The reference functions below are written from the papers (one weight at a time where the
paper is written that way), not from ``neuronless.optimizers``; they never call it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neuronless import (
    SGD,
    Adam,
    AdamW,
    ConfigError,
    IRpropMinus,
    IRpropPlus,
    Momentum,
    Nesterov,
    Quickprop,
    RMSprop,
)
from neuronless.optimizers import OPTIMIZERS, Sarprop

W0 = np.array([0.5, -1.0, 2.0, 0.0, -0.25])
# three fixed gradients: some components keep their sign, some flip, one becomes zero
GRADS = [
    np.array([0.2, -0.4, 1.0, 0.3, -0.1]),
    np.array([0.1, 0.3, 0.5, -0.2, 0.0]),
    np.array([-0.3, 0.2, 0.4, 0.1, 0.05]),
]


def run(opt, w0, grads, losses=None, learning_rate=None):
    """Apply ``opt`` for ``len(grads)`` steps; return the parameters after each step."""
    params = np.array(w0, dtype=np.float64)
    state = opt.init(params)
    out = []
    for i, g in enumerate(grads):
        loss = None if losses is None else losses[i]
        opt.step(params, np.array(g, dtype=np.float64), state,
                 learning_rate=learning_rate, loss=loss)
        out.append(params.copy())
    return out


# ----------------------------------------------------------------- reference formulas
def ref_sgd(w, grads, lr):
    out = []
    for g in grads:
        w = w - lr * g
        out.append(w)
    return out


def ref_momentum(w, grads, lr, mu):
    # Polyak (1964), heavy ball: v_{t+1} = mu v_t - lr g(w_t); w_{t+1} = w_t + v_{t+1}
    v, out = np.zeros_like(w), []
    for g in grads:
        v = mu * v - lr * g
        w = w + v
        out.append(w)
    return out


def ref_nesterov(w, grads, lr, mu):
    # Sutskever, Martens, Dahl & Hinton (2013), eq. (3)-(4): v_{t+1} = mu v_t - lr g(w_t + mu v_t),
    # w_{t+1} = w_t + v_{t+1}. In the shifted variable u = w + mu v (the point where the gradient
    # is taken; the "fixed gradients" of this test are gradients at u) this reads
    # u_{t+1} = u_t + mu v_{t+1} - lr g(u_t)  with  v_{t+1} = mu v_t - lr g(u_t).
    v, out = np.zeros_like(w), []
    for g in grads:
        v_new = mu * v - lr * g
        w = w + mu * v_new - lr * g
        v = v_new
        out.append(w)
    return out


def ref_adam(w, grads, lr, b1, b2, eps, weight_decay=0.0):
    # Kingma & Ba (2015), Algorithm 1, the plain (bias-corrected, not "efficient") form.
    # With weight_decay: Loshchilov & Hutter (2019), Algorithm 2 (AdamW), with the schedule
    # multiplier eta_t * alpha = lr and eta_t * lambda = lr * weight_decay (PyTorch's
    # parameterisation): w_t = w_{t-1} - lr * (m_hat / (sqrt(v_hat) + eps) + weight_decay * w_{t-1}).
    m, v, out = np.zeros_like(w), np.zeros_like(w), []
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        w = w - lr * (m_hat / (np.sqrt(v_hat) + eps) + weight_decay * w)
        out.append(w)
    return out


def ref_rmsprop(w, grads, lr, rho, eps):
    # Tieleman & Hinton (2012), lecture 6e: MeanSquare = rho*MeanSquare + (1-rho)*g^2;
    # w -= lr * g / sqrt(MeanSquare) (eps added to the root, as Keras/PyTorch do).
    s, out = np.zeros_like(w), []
    for g in grads:
        s = rho * s + (1 - rho) * g**2
        w = w - lr * g / (np.sqrt(s) + eps)
        out.append(w)
    return out


def sign(x):
    return (x > 0) - (x < 0)


def ref_irprop(w, grads, losses, *, plus, eta_plus=1.2, eta_minus=0.5, d0=0.1, dmin=1e-6,
               dmax=50.0):
    # Igel & Hüsken (2000), "Improving the Rprop learning algorithm", fig. 2 (iRprop-) and
    # fig. 3 (iRprop+), one weight at a time.
    w = [float(x) for x in w]
    n = len(w)
    delta, g_prev, dw_prev = [d0] * n, [0.0] * n, [0.0] * n
    e_prev = math.inf
    out = []
    for g_vec, e in zip(grads, losses, strict=True):
        for i in range(n):
            g = float(g_vec[i])
            if g_prev[i] * g > 0:
                delta[i] = min(delta[i] * eta_plus, dmax)
                dw = -sign(g) * delta[i]
                w[i] += dw
            elif g_prev[i] * g < 0:
                delta[i] = max(delta[i] * eta_minus, dmin)
                if plus:
                    dw = 0.0
                    if e > e_prev:  # weight-backtracking
                        w[i] -= dw_prev[i]
                        dw = -dw_prev[i]
                else:
                    dw = 0.0
                g = 0.0
            else:
                dw = -sign(g) * delta[i]
                w[i] += dw
            g_prev[i], dw_prev[i] = g, dw
        e_prev = e
        out.append(np.array(w))
    return out


def ref_quickprop(w, grads, eps, mu, decay):
    # Fahlman (1988), "An empirical study of learning speed in back-propagation networks",
    # transcribed per weight from his quickprop1.c: S = dE/dw + decay*w;
    # step = d*S/(S_prev - S) (the parabola), at most mu*d, plus -eps*S while S still points
    # the way d went; -eps*S after a zero step.
    w = [float(x) for x in w]
    n = len(w)
    shrink = mu / (1.0 + mu)
    d_prev, s_prev = [0.0] * n, [0.0] * n
    out = []
    for g_vec in grads:
        for i in range(n):
            s = float(g_vec[i]) + decay * w[i]
            d, p = d_prev[i], s_prev[i]
            step = 0.0
            if d < 0:
                if s > 0:
                    step -= eps * s
                step += mu * d if s >= shrink * p else d * s / (p - s)
            elif d > 0:
                if s < 0:
                    step -= eps * s
                step += mu * d if s <= shrink * p else d * s / (p - s)
            else:
                step -= eps * s
            w[i] += step
            d_prev[i], s_prev[i] = step, s
        out.append(np.array(w))
    return out


# ----------------------------------------------------------------- formula tests
def test_sgd_steps_match_formula():
    got = run(SGD(learning_rate=0.1), W0, GRADS)
    np.testing.assert_allclose(got, ref_sgd(W0, GRADS, 0.1), rtol=1e-12)
    # by hand, first component: 0.5 - 0.1*0.2 = 0.48; - 0.1*0.1 = 0.47; + 0.1*0.3 = 0.5
    assert [p[0] for p in got] == pytest.approx([0.48, 0.47, 0.50])


def test_momentum_steps_match_polyak_formula():
    got = run(Momentum(learning_rate=0.1, momentum=0.9), W0, GRADS)
    np.testing.assert_allclose(got, ref_momentum(W0, GRADS, 0.1, 0.9), rtol=1e-12)
    # by hand, first component: v1 = -0.02, w1 = 0.48; v2 = -0.018 - 0.01 = -0.028, w2 = 0.452
    assert got[1][0] == pytest.approx(0.452)


def test_nesterov_steps_match_sutskever_formula():
    got = run(Nesterov(learning_rate=0.1, momentum=0.9), W0, GRADS)
    np.testing.assert_allclose(got, ref_nesterov(W0, GRADS, 0.1, 0.9), rtol=1e-12)
    # by hand, first component: v1 = -0.02, w1 = 0.5 + 0.9*(-0.02) - 0.02 = 0.462
    assert got[0][0] == pytest.approx(0.462)


def test_nesterov_differs_from_momentum():
    a = run(Nesterov(learning_rate=0.1, momentum=0.9), W0, GRADS)
    b = run(Momentum(learning_rate=0.1, momentum=0.9), W0, GRADS)
    assert not np.allclose(a[-1], b[-1])


def test_adam_steps_match_kingma_ba_algorithm_1():
    opt = Adam(learning_rate=0.01, beta1=0.9, beta2=0.999, eps=1e-8)
    got = run(opt, W0, GRADS)
    np.testing.assert_allclose(got, ref_adam(W0, GRADS, 0.01, 0.9, 0.999, 1e-8), rtol=1e-10)
    # first step by hand: m_hat = g, v_hat = g^2, so the step is lr*sign(g) (0 where g = 0)
    np.testing.assert_allclose(got[0], W0 - 0.01 * np.sign(GRADS[0]), rtol=1e-6)


def test_adam_with_large_eps_matches_formula():
    # a large eps makes the eps placement (outside the bias-corrected root) visible
    got = run(Adam(learning_rate=0.05, beta1=0.5, beta2=0.8, eps=0.1), W0, GRADS)
    np.testing.assert_allclose(got, ref_adam(W0, GRADS, 0.05, 0.5, 0.8, 0.1), rtol=1e-12)


def test_adamw_steps_match_loshchilov_hutter():
    opt = AdamW(learning_rate=0.01, beta1=0.9, beta2=0.99, eps=1e-8, weight_decay=0.5)
    got = run(opt, W0, GRADS)
    want = ref_adam(W0, GRADS, 0.01, 0.9, 0.99, 1e-8, weight_decay=0.5)
    np.testing.assert_allclose(got, want, rtol=1e-10)
    plain = ref_adam(W0, GRADS, 0.01, 0.9, 0.99, 1e-8)
    assert not np.allclose(got[-1], plain[-1])  # the decay does something


def test_adamw_without_decay_is_adam():
    a = run(AdamW(learning_rate=0.01, weight_decay=0.0), W0, GRADS)
    b = run(Adam(learning_rate=0.01), W0, GRADS)
    np.testing.assert_array_equal(a, b)


def test_rmsprop_steps_match_tieleman_hinton():
    got = run(RMSprop(learning_rate=0.01, rho=0.9, eps=1e-8), W0, GRADS)
    np.testing.assert_allclose(got, ref_rmsprop(W0, GRADS, 0.01, 0.9, 1e-8), rtol=1e-10)
    # first step by hand, component 0: s = 0.1*0.04 = 0.004, step = 0.01*0.2/sqrt(0.004)
    assert got[0][0] == pytest.approx(0.5 - 0.01 * 0.2 / math.sqrt(0.004))


def test_irprop_minus_steps_match_igel_huesken():
    losses = [1.0, 2.0, 3.0]  # ignored by iRprop-
    got = run(IRpropMinus(), W0, GRADS, losses)
    np.testing.assert_allclose(got, ref_irprop(W0, GRADS, losses, plus=False), rtol=1e-12)
    # by hand, component 1: g = -0.4, 0.3 (flip), 0.2 ->
    # w = -1 + 0.1 = -0.9; flip: step 0.05 and no move; then g_prev = 0 so -0.05 -> -0.95
    assert [p[1] for p in got] == pytest.approx([-0.9, -0.9, -0.95])


def test_irprop_plus_backtracks_when_loss_increases():
    losses = [1.0, 2.0, 1.5]  # the loss rose at step 2: flipped weights undo step 1
    got = run(IRpropPlus(), W0, GRADS, losses)
    np.testing.assert_allclose(got, ref_irprop(W0, GRADS, losses, plus=True), rtol=1e-12)
    # component 1 (g: -0.4, 0.3, 0.2): -0.9, then backtracked to -1.0, then -1.0 - 0.05
    assert [p[1] for p in got] == pytest.approx([-0.9, -1.0, -1.05])
    # component 2 (g: 1, 0.5, 0.4, no flip): 2 - 0.1 - 0.12 - 0.144
    assert [p[2] for p in got] == pytest.approx([1.9, 1.78, 1.636])


def test_irprop_plus_without_loss_increase_equals_irprop_minus():
    losses = [3.0, 2.0, 1.0]
    plus = run(IRpropPlus(), W0, GRADS, losses)
    minus = run(IRpropMinus(), W0, GRADS, losses)
    np.testing.assert_allclose(plus, minus, rtol=1e-12)
    np.testing.assert_allclose(plus, ref_irprop(W0, GRADS, losses, plus=True), rtol=1e-12)


def test_rprop_shrinks_step_after_sign_change_and_respects_bounds():
    opt = IRpropMinus(eta_plus=2.0, eta_minus=0.5, step_init=1.0, step_min=0.3, step_max=3.0)
    grads = [np.array([1.0, 1.0])] * 4 + [np.array([-1.0, 1.0])] * 3
    losses = [0.0] * len(grads)
    got = run(opt, [0.0, 0.0], grads, losses)
    want = ref_irprop([0.0, 0.0], grads, losses, plus=False, eta_plus=2.0, eta_minus=0.5,
                      d0=1.0, dmin=0.3, dmax=3.0)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # component 1: steps 1, 2, 3 (capped), 3, 3, 3, 3
    assert got[-1][1] == pytest.approx(-(1 + 2 + 3 * 5))


@pytest.mark.parametrize("opt", [IRpropMinus(), IRpropPlus()])
def test_rprop_sees_sign_change_of_tiny_float32_gradients(opt):
    # g * g_prev = -1e-60 is below float32's range; the sign change must still count
    grads = [np.array([g], np.float32) for g in (1e-30, -1e-30, -1e-30)]
    w = np.zeros(1, np.float32)
    state = opt.init(w)
    got = []
    for g in grads:
        opt.step(w, g.copy(), state, loss=1.0)
        got.append(float(w[0]))
    # g > 0 moves down by 0.1; the flip shrinks the step to 0.05 without moving;
    # then the step of 0.05 goes up
    assert got == pytest.approx([-0.1, -0.1, -0.05])


def test_quickprop_steps_match_fahlman():
    opt = Quickprop(learning_rate=0.5, mu=1.75, decay=1e-4)
    grads = [*GRADS, np.array([0.05, -0.1, 0.45, 0.2, 0.3])]
    got = run(opt, W0, grads)
    np.testing.assert_allclose(got, ref_quickprop(W0, grads, 0.5, 1.75, 1e-4), rtol=1e-10)


def test_quickprop_jumps_to_parabola_minimum():
    # E = (w - 3)^2 / 2, no decay, lr 0.1. Step 1: -0.1 * (0 - 3) = 0.3, so w = 0.3.
    # Step 2: the secant through slopes -3 (at 0) and -2.7 (at 0.3) has its zero at w = 3,
    # a jump of 0.3 * -2.7 / (-3 + 2.7) = 2.7; the slope still points forward, so Fahlman adds
    # the gradient term -0.1 * -2.7 = 0.27 too: w = 3.27.
    opt = Quickprop(learning_rate=0.1, mu=100.0, decay=0.0)
    w = np.array([0.0])
    state = opt.init(w)
    opt.step(w, w - 3.0, state)
    assert w[0] == pytest.approx(0.3)
    opt.step(w, w - 3.0, state)
    assert w[0] == pytest.approx(3.27)


def test_quickprop_limits_growth_to_mu():
    # the slope does not shrink (a linear cost), so the step grows by mu (plus the linear term)
    opt = Quickprop(learning_rate=0.1, mu=1.75, decay=0.0)
    got = run(opt, [0.0], [[1.0], [1.0], [1.0]])
    steps = np.diff(np.concatenate([[0.0], np.ravel(got)]))
    assert steps[0] == pytest.approx(-0.1)
    assert steps[1] == pytest.approx(1.75 * -0.1 - 0.1)
    assert steps[2] == pytest.approx(1.75 * steps[1] - 0.1)


def test_learning_rate_argument_overrides_configured_rate():
    got = run(SGD(learning_rate=0.1), W0, GRADS[:1], learning_rate=0.5)
    np.testing.assert_allclose(got[0], W0 - 0.5 * GRADS[0])
    got = run(Adam(learning_rate=0.1), W0, GRADS, learning_rate=0.02)
    np.testing.assert_allclose(got, ref_adam(W0, GRADS, 0.02, 0.9, 0.999, 1e-8), rtol=1e-10)


# ----------------------------------------------------------------- all optimizers
CONVERGING = {
    "sgd": (SGD(learning_rate=0.5), 100),
    "momentum": (Momentum(learning_rate=0.1, momentum=0.5), 100),
    "nesterov": (Nesterov(learning_rate=0.1, momentum=0.5), 100),
    "adam": (Adam(learning_rate=0.05), 1000),
    "adamw": (AdamW(learning_rate=0.05, weight_decay=0.1), 1000),
    "rmsprop": (RMSprop(learning_rate=0.01), 1000),
    "irprop-": (IRpropMinus(), 200),
    "irprop+": (IRpropPlus(), 200),
    "quickprop": (Quickprop(learning_rate=0.5), 50),
    "irprop-fann": (IRpropMinus(fann_compatible=True), 200),
    "quickprop-fann": (Quickprop(learning_rate=0.5, fann_compatible=True), 50),
    "sarprop": (Sarprop(fann_compatible=False, step_error_threshold_factor=0.0), 400),
}
ALL = list(CONVERGING)


@pytest.mark.parametrize("name", ALL)
def test_optimizer_converges_on_quadratic_bowl(name, rng):
    # f(w) = 0.5 * ||w||^2, grad f = w, minimum at 0
    opt, steps = CONVERGING[name]
    w = rng.normal(scale=3.0, size=20)
    start = 0.5 * w @ w
    state = opt.init(w)
    for _ in range(steps):
        opt.step(w, w.copy(), state, loss=0.5 * float(w @ w))
    assert 0.5 * w @ w < 1e-3 * start
    assert np.max(np.abs(w)) < 0.05


@pytest.mark.parametrize("name", ALL)
def test_float32_params_and_state_stay_float32(name, rng):
    opt, _ = CONVERGING[name]
    w32 = rng.normal(size=7).astype(np.float32)
    w64 = w32.astype(np.float64)
    s32, s64 = opt.init(w32), opt.init(w64)
    buffer = w32  # step must update in place, never rebind
    for g in GRADS + GRADS[:1]:
        g_full = np.resize(g, 7)
        opt.step(w32, g_full.astype(np.float32), s32, loss=float(w32 @ w32))
        opt.step(w64, g_full.astype(np.float64), s64, loss=float(w64 @ w64))
    assert w32 is buffer
    assert w32.dtype == np.float32
    for arr in s32.arrays.values():
        assert arr.dtype in (np.float32, np.bool_)
    np.testing.assert_allclose(w32, w64, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ALL)
@settings(max_examples=20, deadline=None)
@given(sizes=st.lists(st.integers(1, 30), min_size=1, max_size=4), seed=st.integers(0, 2**32 - 1))
def test_step_is_elementwise_on_any_length(name, sizes, seed):
    # stepping one long vector equals stepping its pieces (e.g. layers) separately
    opt, _ = CONVERGING[name]
    rng = np.random.default_rng(seed)
    w = rng.normal(size=sum(sizes))
    gs = [rng.normal(size=w.size) for _ in range(3)]
    whole = w.copy()
    state = opt.init(whole)
    for g in gs:
        opt.step(whole, g.copy(), state, loss=1.0)
    assert whole.shape == w.shape
    assert np.all(np.isfinite(whole))
    start = 0
    for n in sizes:
        part = w[start : start + n].copy()
        st_part = opt.init(part)
        for g in gs:
            opt.step(part, g[start : start + n].copy(), st_part, loss=1.0)
        np.testing.assert_allclose(whole[start : start + n], part, rtol=1e-12, atol=1e-15)
        start += n


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: SGD(learning_rate=-0.1), "learning_rate"),
        (lambda: SGD(learning_rate=0.0), "learning_rate"),
        (lambda: SGD(learning_rate=float("nan")), "learning_rate"),
        (lambda: Momentum(momentum=1.0), "momentum"),
        (lambda: Momentum(momentum=-0.1), "momentum"),
        (lambda: Nesterov(momentum=1.5), "momentum"),
        (lambda: Nesterov(learning_rate=-1.0), "learning_rate"),
        (lambda: Adam(beta1=1.0), "beta1"),
        (lambda: Adam(beta2=1.2), "beta2"),
        (lambda: Adam(eps=0.0), "eps"),
        (lambda: Adam(learning_rate=-0.001), "learning_rate"),
        (lambda: AdamW(weight_decay=-0.1), "weight_decay"),
        (lambda: RMSprop(rho=1.0), "rho"),
        (lambda: RMSprop(eps=-1e-8), "eps"),
        (lambda: IRpropMinus(eta_minus=1.0), "eta_minus"),
        (lambda: IRpropMinus(eta_minus=1.5), "eta_minus"),
        (lambda: IRpropPlus(eta_plus=0.9), "eta_plus"),
        (lambda: IRpropPlus(eta_plus=1.0), "eta_plus"),
        (lambda: IRpropMinus(step_min=1.0, step_init=0.1), "step_min"),
        (lambda: IRpropMinus(step_init=100.0), "step_init"),
        (lambda: IRpropMinus(step_max=-1.0), "step_max"),
        (lambda: Quickprop(learning_rate=-0.5), "learning_rate"),
        (lambda: Quickprop(mu=0.0), "mu"),
        (lambda: Quickprop(decay=-1e-4), "decay"),
    ],
)
def test_bad_hyperparameters_raise_config_error(make, match):
    with pytest.raises(ConfigError, match=match):
        make()


def test_irprop_plus_step_without_loss_raises():
    opt = IRpropPlus()
    w = np.zeros(3)
    state = opt.init(w)
    with pytest.raises(ConfigError, match="loss"):
        opt.step(w, np.ones(3), state)
    np.testing.assert_array_equal(w, 0.0)


def test_adam_exposes_its_hyperparameters():
    opt = Adam(learning_rate=0.002, beta1=0.8, beta2=0.99, eps=1e-7)
    assert (opt.learning_rate, opt.beta1, opt.beta2, opt.eps) == (0.002, 0.8, 0.99, 1e-7)


# ----------------------------------------------------------------- FANN-compatible step rules
# The references below transcribe libfann 2.2's update loops (fann_train.c) one weight at a
# time, in the weight type T (np.float32 for the float build, np.float64 for the double
# build), with FANN's parameters held as C floats. Slopes are FANN's (ascent): slope = -grads.
def c_float(x):
    return float(np.float32(x))


def ref_fann_irpropm(w, grads, T, inc=1.2, dec=0.5, dmin=0.0, dmax=50.0, d0=0.1):
    w = [T(v) for v in w]
    prev_steps = [T(c_float(d0))] * len(w)
    prev_slopes = [T(0.0)] * len(w)
    out = []
    for g in grads:
        for i in range(len(w)):
            prev_step = max(prev_steps[i], T(0.0001))
            slope = -T(g[i])
            if prev_slopes[i] * slope >= 0:
                step = min(T(prev_step * T(c_float(inc))), T(c_float(dmax)))
            else:
                step = max(T(prev_step * T(c_float(dec))), T(c_float(dmin)))
                slope = T(0.0)
            if slope < 0:
                w[i] = max(T(w[i] - step), T(-1500))
            else:
                w[i] = min(T(w[i] + step), T(1500))
            prev_steps[i], prev_slopes[i] = step, slope
        out.append(np.array(w, dtype=T))
    return out


def ref_fann_quickprop(w, grads, T, n, lr=0.7, decay=-0.0001, mu=1.75):
    w = [T(v) for v in w]
    prev_steps = [T(0.0)] * len(w)
    prev_slopes = [T(0.0)] * len(w)
    eps = np.float32(np.float32(lr) / np.float32(n))
    decay, mu = np.float32(decay), np.float32(mu)
    shrink = np.float32(float(mu) / (1.0 + float(mu)))
    out = []
    for g in grads:
        for i in range(len(w)):
            prev_step, prev_slope = prev_steps[i], prev_slopes[i]
            slope = T(-T(g[i]) + T(T(decay) * w[i]))
            nxt = T(0.0)
            if float(prev_step) > 0.001:
                if slope > 0:
                    nxt = T(nxt + T(T(eps) * slope))
                if slope > T(T(shrink) * prev_slope):
                    nxt = T(nxt + T(T(mu) * prev_step))
                else:
                    nxt = T(nxt + T(T(prev_step * slope) / T(prev_slope - slope)))
            elif float(prev_step) < -0.001:
                if slope < 0:
                    nxt = T(nxt + T(T(eps) * slope))
                if slope < T(T(shrink) * prev_slope):
                    nxt = T(nxt + T(T(mu) * prev_step))
                else:
                    nxt = T(nxt + T(T(prev_step * slope) / T(prev_slope - slope)))
            else:
                nxt = T(nxt + T(T(eps) * slope))
            prev_steps[i] = nxt
            w[i] = min(max(T(w[i] + nxt), T(-1500)), T(1500))
            prev_slopes[i] = slope
        out.append(np.array(w, dtype=T))
    return out


def ref_fann_sarprop(w, grads, mses, T, order=None, inc=1.2, dec=0.5, dmax=50.0,
                     wds=-6.644, thr=0.1, ses=1.385, temp=0.015):
    """FANN's SARPROP loop; the random term must not be reached (asserted)."""
    n = len(w)
    order = list(range(n)) if order is None else list(order)
    w = [T(v) for v in w]
    prev_steps = [T(0.0)] * n
    prev_slopes = [T(0.0)] * n
    out = []
    for epoch, (g, mse) in enumerate(zip(grads, mses, strict=True)):
        x = np.float32(-np.float32(temp)) * np.float32(epoch) + np.float32(wds)
        c = T(math.exp(0.69314718055994530942 * float(x)))
        mse = np.float32(mse)
        nxt = T(0.0)
        for i in order:  # FANN's loop order over the weights
            prev_step = max(prev_steps[i], T(0.000001))
            slope = T(T(g[i]) - T(w[i] * c))  # FANN: -train_slope - w c, train_slope = -g
            same = T(prev_slopes[i] * slope)
            if same > 0:
                nxt = min(T(prev_step * T(c_float(inc))), T(c_float(dmax)))
                w[i] = T(w[i] + nxt) if slope < 0 else T(w[i] - nxt)
            elif same < 0:
                assert not float(prev_step) < float(np.float32(np.float32(thr) * mse)), "random"
                nxt = max(T(prev_step * T(c_float(dec))), T(c_float(1e-6)))
                slope = T(0.0)
            else:
                w[i] = T(w[i] + prev_step) if slope < 0 else T(w[i] - prev_step)
            prev_steps[i] = nxt
            prev_slopes[i] = slope
        out.append(np.array(w, dtype=T))
    return out


FANN_W0 = np.array([0.5, -1.0, 2.0, 0.0, -0.25, 1499.95, -1499.9, 0.03])
FANN_GRADS = [
    np.array([0.2, -0.4, 1.0, 0.3, -0.1, -2.0, 3.0, 0.0]),
    np.array([0.1, 0.3, 0.5, -0.2, 0.0, -1.0, 2.0, 0.0]),
    np.array([-0.3, 0.2, 0.4, 0.1, 0.05, -1.0, 1.0, 1e-3]),
    np.array([-0.25, -0.2, 0.3, 0.1, -0.05, 0.5, 1.0, 1e-3]),
    np.array([0.01, 0.2, 0.3, -0.1, -0.05, 0.5, 1.0, -2e-3]),
    np.array([0.01, -0.2, 0.2, -0.1, 0.0, 0.5, -1.0, 0.0]),
]


def run_typed(opt, w0, grads, dtype, **kw):
    params = np.array(w0, dtype=dtype)
    state = opt.init(params)
    out = []
    for g in grads:
        opt.step(params, np.array(g, dtype=dtype), state, **kw)
        out.append(params.copy())
    return out


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fann_irpropm_is_fanns_loop_bit_for_bit(dtype):
    got = run_typed(IRpropMinus(fann_compatible=True), FANN_W0, FANN_GRADS, dtype)
    want = ref_fann_irpropm(FANN_W0, FANN_GRADS, dtype)
    np.testing.assert_array_equal(got, want)
    # FANN's defaults: delta_min 0 (not 1e-6), the quirk and the clip by hand, component 1:
    # slopes 0.4, -0.3 (flip: step 0.12 * 0.5 = 0.06 and, the quirk, +0.06), then
    # prev_slope 0 -> grow 0.072, slope -0.2 -> down
    opt = IRpropMinus(fann_compatible=True)
    assert opt.step_min == 0.0
    assert IRpropMinus().step_min == 1e-6
    if dtype is np.float64:
        s1 = c_float(0.1) * c_float(1.2)
        s2 = s1 * c_float(0.5)
        s3 = s2 * c_float(1.2)
        assert [p[1] for p in got[:3]] == pytest.approx([-1 + s1, -1 + s1 + s2, -1 + s1 + s2 - s3],
                                                        rel=1e-15)
        assert got[0][5] == 1500.0
        assert got[0][6] == -1500.0
        # zero gradient from the start: FANN moves it up by the growing step anyway
        assert got[1][7] == pytest.approx(0.03 + s1 + s1 * c_float(1.2), rel=1e-15)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("patterns", [1, 7])
def test_fann_quickprop_is_fanns_loop_bit_for_bit(dtype, patterns):
    opt = Quickprop(fann_compatible=True, learning_rate=0.7, mu=1.75, decay=1e-4)
    got = run_typed(opt, FANN_W0, FANN_GRADS, dtype, patterns=patterns)
    want = ref_fann_quickprop(FANN_W0, FANN_GRADS, dtype, patterns)
    np.testing.assert_array_equal(got, want)
    # first step by hand (prev step 0): w += lr/N * (slope - 1e-4 w)
    if dtype is np.float64:
        eps = float(np.float32(np.float32(0.7) / np.float32(patterns)))
        assert got[0][0] == pytest.approx(0.5 + eps * (-0.2 + c_float(-1e-4) * 0.5), rel=1e-15)


def test_fann_quickprop_accepts_fanns_positive_decay_and_needs_patterns():
    Quickprop(fann_compatible=True, decay=-0.01)  # FANN's quickprop_decay = +0.01
    with pytest.raises(ConfigError, match="decay"):
        Quickprop(decay=-0.01)
    opt = Quickprop(fann_compatible=True)
    w = np.zeros(2)
    with pytest.raises(ConfigError, match="patterns"):
        opt.step(w, np.ones(2), opt.init(w), patterns=0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fann_sarprop_is_fanns_loop_without_the_random_term(dtype):
    # threshold factor 0: FANN never draws rand(), so every epoch is deterministic
    mses = [0.3, 0.25, 0.2, 0.22, 0.1, 0.05]
    order = [3, 0, 7, 1, 5, 2, 6, 4]  # FANN's storage order differs from ours
    opt = Sarprop(step_error_threshold_factor=0.0, fann_compatible=True)
    params = np.array(FANN_W0, dtype=dtype)
    state = opt.init(params, order=np.array(order))
    got = []
    for g, mse in zip(FANN_GRADS, mses, strict=True):
        opt.step(params, np.array(g, dtype=dtype), state, loss=mse)
        got.append(params.copy())
    want = ref_fann_sarprop(FANN_W0, FANN_GRADS, mses, dtype, order=order, thr=0.0)
    np.testing.assert_array_equal(got, want)
    # the order matters (FANN's carried-over step), so the check above can fail
    other = run_typed(opt, FANN_W0, FANN_GRADS, dtype, loss=0.2)
    assert not all(np.array_equal(a, b) for a, b in zip(other, want, strict=True))
    # epoch 1 by hand: every weight moves by 1e-6 against s = g - w 2^-6.644
    c = math.exp(0.69314718055994530942 * float(np.float32(-6.644)))
    if dtype is np.float64:
        assert got[0][0] == 0.5 - 1e-6
        assert got[0][1] == -1.0 + 1e-6
        assert got[0][3] == 0.0 - 1e-6  # s = 0.3 - 0 c > 0
        assert c == pytest.approx(0.01, rel=1e-3)


def test_sarprop_random_term_is_bounded_and_reproducible():
    w0 = np.zeros(200)
    g1 = np.ones(200)
    g2 = -np.ones(200)  # every weight flips sign in step 2 with a step far below 0.1 MSE
    runs = []
    for seed in (1, 1, 2):
        opt = Sarprop(seed=seed, fann_compatible=True)
        w = w0.copy()
        st_ = opt.init(w)
        opt.step(w, g1.copy(), st_, loss=0.5)
        opt.step(w, g1.copy(), st_, loss=0.5)
        opt.step(w, g2.copy(), st_, loss=0.5)
        runs.append(st_.arrays["steps"].copy())
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])
    # step = 1.2e-6 * 0.5 + r * sqrt(0.5) * 2^(-0.015*2 + 1.385), r in [0, 1)
    amp = math.sqrt(0.5) * 2 ** (-0.015 * 2 + 1.385)
    base = 1e-6 * c_float(1.2) * c_float(0.5)
    assert np.all(runs[0] >= base)
    assert np.all(runs[0] < base + amp * (1 + 1e-6))
    assert runs[0].std() > 0.1 * amp  # really random, not a constant


def test_sarprop_needs_the_mse():
    opt = Sarprop()
    w = np.zeros(2)
    with pytest.raises(ConfigError, match="MSE"):
        opt.step(w, np.ones(2), opt.init(w))
    with pytest.raises(ConfigError, match="permutation"):
        opt.init(w, order=np.array([0, 0]))
    with pytest.raises(ConfigError, match="eta_minus"):
        Sarprop(eta_minus=1.5)


def test_sarprop_is_registered():
    assert OPTIMIZERS["sarprop"] is Sarprop
    assert not Sarprop().fann_compatible  # the published rule, like the others
    assert not IRpropMinus().fann_compatible
