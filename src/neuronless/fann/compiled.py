"""FANN's training epochs compiled (numba): libfann's arithmetic, many patterns at a time.

Contract: :func:`supported` says whether a :class:`~neuronless.fann.train.FannTrainer` can
run its epochs here (``None``) or why not. :class:`FannKernel` then runs one
``fann_train_epoch`` in one call: every pattern's forward pass, FANN's output error, MSE and
bit fail, the backpropagated deltas and the summed slopes, and the step rule (INCREMENTAL,
BATCH, RPROP, QUICKPROP; SARPROP's step stays in NumPy, which draws its random term), on the
network's own parameter vector and the trainer's own optimizer state, so the two backends can
take turns on one network. Both of the trainer's modes run here: FANN-compatible (the rest of
this docstring) and textbook (``fann_compatible=False``, below).

libfann's arithmetic order is kept where it decides the result: every connection is a
``(weight, source neuron)`` pair in FANN's storage order (:func:`~neuronless.fann.passes.
fann_order`; layered, shortcut and sparse nets alike), each neuron's sum runs in ``fann_run``'s
order (the leading ``k mod 4`` terms in reverse, then groups of four), the hidden errors are
accumulated destination by destination as ``fann_backpropagate_MSE`` does, and every slope is
a sum over the patterns in data order, as ``fann_update_slopes_batch`` adds them. The formulas
are FANN's (fann.md sections 3-6): its activations (the transcendental part in double, as the
float build promotes it), derivatives, clamp, error functions, step rules and C-float
constants. What runs many patterns at a time is only the independent work: a block of
patterns goes through each neuron side by side (SIMD lanes), never through a reordered sum.

For float32 nets ``exp`` and ``log`` are :mod:`neuronless.vecmath`'s vectorised ones (within
2 ulp in double, then rounded to float as FANN's float build rounds libm's); float64 nets call
the C library's, as FANN's double build does. tests/test_fann_compiled.py checks whole
trajectories against libfann (bit for bit where the arithmetic is the same) and against the
NumPy path.

Textbook mode runs the same epoch with a flag (``exact``) that is tested per neuron and per
step rule, never inside the loops over patterns: the network's own functions
(:func:`_activate_exact`, also elu and softplus, which FANN does not have; tanh vectorised
for float32 nets, the C library's for float64) and their exact derivatives
(:func:`_derive_exact`, at the sum clamped by the network's own clamp if it has one, else not
clamped), the MSE summed in double, the published iRprop− and quickprop
(:func:`_irprop_minus`, :func:`_quickprop`) with their parameters as given; INCREMENTAL,
BATCH, the error functions and the bit fail are FANN's in both modes, as in the NumPy path.
There is no libfann to follow there: tests/test_fann_compiled_textbook.py checks whole
trajectories against the trainer's NumPy path (float64 to 1e-12, except where the dynamics
amplify rounding).

numba is imported on the first compiled epoch, never by ``import neuronless``; ``cache=True``
keeps the machine code on disk.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .. import vecmath
from ..activations import ELU_ALPHA
from ..optimizers import FANN_QUICKPROP_ZERO, FANN_RPROP_STEP_FLOOR, FANN_WEIGHT_LIMIT
from .activations import _GAUSSIAN_X_MAX, FANN_ACTIVATIONS
from .metrics import TANH_ERROR_CLIP, TANH_ERROR_LIMIT
from .params import SYMMETRIC
from .passes import FANN_SUM_LIMIT

Array = NDArray[Any]

#: patterns that go through a neuron side by side (the batch algorithms; INCREMENTAL is one)
BLOCK = 256
ALGORITHM_CODES = {"incremental": 0, "batch": 1, "rprop": 2, "quickprop": 3, "sarprop": 4}
#: FANN activations the kernels evaluate (all but THRESHOLD, which FANN cannot train), and the
#: elementwise ones FANN does not have, which only textbook mode takes
_CODES = {name: i for i, name in enumerate(FANN_ACTIVATIONS) if name != "threshold"}
_CODES.update({"elu": len(FANN_ACTIVATIONS), "softplus": len(FANN_ACTIVATIONS) + 1})

# constants of the kernels, in the network's dtype (index into ``kc``)
_K = ("zero", "half", "one", "two", "sig_lo", "sig_hi", "sym_lo", "sym_hi", "leak",
      "bit_limit", "lr", "momentum", "eps", "inc", "dec", "step_min", "step_max", "floor",
      "mu", "shrink", "decay", "weight_limit", "libm", "gaussian_max",
      "elu_alpha")
K = {name: i for i, name in enumerate(_K)}

# FANN's stepwise sigmoids (fann.md section 4): breakpoints and values, used in double
_STEP_X = np.array([-2.64665246009826660156, -1.47221946716308593750, -0.549306154251098632812,
                    0.549306154251098632812, 1.47221934795379638672, 2.64665293693542480469])
_STEP_Y = np.array([0.00499999988824129104614, 0.0500000007450580596924, 0.25, 0.75,
                    0.949999988079071044922, 0.995000004768371582031])
_SYM_STEP_X = np.array([-2.64665293693542480469, -1.47221934795379638672,
                        -0.549306154251098632812, 0.549306154251098632812,
                        1.47221934795379638672, 2.64665293693542480469])
_SYM_STEP_Y = np.array([-0.990000009536743164062, -0.899999976158142089844, -0.5, 0.5,
                        0.899999976158142089844, 0.990000009536743164062])


def supported(trainer: Any) -> str | None:
    """``None`` if the compiled epochs can run ``trainer``'s network, else why not."""
    for ly in trainer.layers:
        for name in ly.names:
            if name not in _CODES:
                return f"the activation {name!r} is not compiled"
    return None


# ------------------------------------------------------------------ the kernels (numba)
# Plain functions, compiled by _compiled(); the helpers are reached through the module
# globals ending in _jit, which _compiled() binds to their compiled versions. In numba,
# float() of a float32 stays float32: np.float64() takes a value to double.

_LONG = 32  # a neuron with this many consecutive sources takes its slopes in SIMD along them


def _exp(x: Array, out: Array, m: int, f: Array, fi: Array, sc: Array, sci: Array,
         libm: bool) -> None:
    """``out[:m] = exp(x[:m])``: the C library's (what libfann's double build calls, so float64
    nets follow it bit for bit) or the vectorised one (float32 nets: rounded to float, the
    same as FANN's float build, which rounds the double ``exp`` as well)."""
    if libm:
        for p in range(m):
            out[p] = np.exp(x[p])
    else:
        _vexp_jit(x, out, m, f, fi, sc, sci)


def _log(x: Array, out: Array, m: int, f: Array, fi: Array, sc: Array, sci: Array,
         libm: bool) -> None:
    """``out[:m] = log(x[:m])``, the C library's or the vectorised one (as :func:`_exp`)."""
    if libm:
        for p in range(m):
            out[p] = np.log(x[p])
    else:
        _vlog_jit(x, out, m, f, fi, sc, sci)


def _stepwise(xs: Array, ys: Array, low: float, high: float, v: float) -> float:
    """FANN's stepwise function of ``v`` (in double): linear between breakpoints."""
    if v < xs[4]:
        if v < xs[2]:
            if v < xs[1]:
                if v < xs[0]:
                    return low
                i = 0
            else:
                i = 1
        elif v < xs[3]:
            i = 2
        else:
            i = 3
    elif v < xs[5]:
        i = 4
    else:
        return high
    out: float = ((ys[i + 1] - ys[i]) * (v - xs[i])) / (xs[i + 1] - xs[i]) + ys[i]
    return out


def _activate(code: int, xs: Array, ys: Array, m: int, kc: Array, a: Array, b: Array,
              f: Array, fi: Array, sc: Array, sci: Array, tables: Array) -> None:
    """``ys[:m] = f(xs[:m])`` for FANN's activation ``code`` (``xs``: the clamped sums)."""
    zero, half, one = kc[0], kc[1], kc[2]
    if code == 3:  # SIGMOID: x here is twice FANN's sum; 1 / (1 + exp(-2 sum)) in double
        for p in range(m):
            a[p] = -np.float64(xs[p])
        _exp_jit(a, b, m, f, fi, sc, sci, kc[22] != zero)
        for p in range(m):
            ys[p] = 1.0 / (1.0 + b[p])
    elif code == 5:  # SIGMOID_SYMMETRIC: 2 / (1 + exp(-2 sum)) - 1
        for p in range(m):
            a[p] = -2.0 * np.float64(xs[p])
        _exp_jit(a, b, m, f, fi, sc, sci, kc[22] != zero)
        for p in range(m):
            ys[p] = 2.0 / (1.0 + b[p]) - 1.0
    elif code == 7 or code == 8:  # GAUSSIAN(_SYMMETRIC): exp(-sum * sum), the square in fann_type
        for p in range(m):
            a[p] = np.float64(-(xs[p] * xs[p]))
        _exp_jit(a, b, m, f, fi, sc, sci, kc[22] != zero)
        if code == 7:
            for p in range(m):
                ys[p] = b[p]
        else:
            for p in range(m):
                ys[p] = b[p] * 2.0 - 1.0
    elif code == 0:
        for p in range(m):
            ys[p] = xs[p]
    elif code == 2:  # THRESHOLD_SYMMETRIC
        for p in range(m):
            ys[p] = -one if xs[p] < zero else one
    elif code == 4:
        for p in range(m):
            ys[p] = _stepwise_jit(tables[0], tables[1], 0.0, 1.0, np.float64(xs[p]))
    elif code == 6:
        for p in range(m):
            ys[p] = _stepwise_jit(tables[2], tables[3], -1.0, 1.0, np.float64(xs[p]))
    elif code == 9:  # GAUSSIAN_STEPWISE: libfann 2.2 outputs 0
        for p in range(m):
            ys[p] = zero
    elif code == 10:  # ELLIOT: ((sum / 2) / (1 + |sum|)) + 0.5
        for p in range(m):
            v = xs[p]
            ys[p] = (v * half) / (one + abs(v)) + half
    elif code == 11:
        for p in range(m):
            v = xs[p]
            ys[p] = v / (one + abs(v))
    elif code == 12:  # LINEAR_PIECE
        for p in range(m):
            v = xs[p]
            ys[p] = zero if v < zero else (one if v > one else v)
    elif code == 13:
        for p in range(m):
            v = xs[p]
            ys[p] = -one if v < -one else (one if v > one else v)
    elif code == 14:
        for p in range(m):
            ys[p] = np.sin(np.float64(xs[p]))
    elif code == 15:
        for p in range(m):
            ys[p] = np.cos(np.float64(xs[p]))
    elif code == 16:
        for p in range(m):
            ys[p] = np.sin(np.float64(xs[p])) / 2.0 + 0.5
    elif code == 17:
        for p in range(m):
            ys[p] = np.cos(np.float64(xs[p])) / 2.0 + 0.5
    elif code == 18:  # LINEAR_PIECE_RECT
        for p in range(m):
            v = xs[p]
            ys[p] = zero if v < zero else v
    else:  # 19 LINEAR_PIECE_RECT_LEAKY
        for p in range(m):
            v = xs[p]
            ys[p] = v * kc[8] if v < zero else v


def _derive(code: int, ys: Array, xs: Array, s: Any, es: Array, m: int, kc: Array) -> None:
    """``es[:m] *= f'`` with FANN's derivative of ``code`` (fann_activation_derived), from the
    outputs ``ys``, the sums ``xs`` and FANN's steepness ``s``."""
    zero, one, two = kc[0], kc[2], kc[3]
    if code == 3 or code == 4:  # 2 s v (1 - v), v = clip(y, 0.01f, 0.99f)
        lo, hi = kc[4], kc[5]
        s2 = two * s
        for p in range(m):
            v = min(max(ys[p], lo), hi)
            es[p] *= s2 * v * (one - v)
    elif code == 5 or code == 6:  # s (1 - v v), v = clip(y, -0.98f, 0.98f)
        lo, hi = kc[6], kc[7]
        for p in range(m):
            v = min(max(ys[p], lo), hi)
            es[p] *= s * (one - v * v)
    elif code == 0 or code == 12 or code == 13:
        for p in range(m):
            es[p] *= s
    elif code == 2 or code == 9:
        for p in range(m):
            es[p] *= zero
    elif code == 7:  # -2 sum y s s
        for p in range(m):
            es[p] *= -two * xs[p] * ys[p] * s * s
    elif code == 8:  # -2 sum (y + 1) s s
        for p in range(m):
            es[p] *= -two * xs[p] * (ys[p] + one) * s * s
    elif code == 10:  # s / (2 (1 + |sum|) (1 + |sum|))
        for p in range(m):
            t = one + abs(xs[p])
            es[p] *= s / (two * t * t)
    elif code == 11:
        for p in range(m):
            t = one + abs(xs[p])
            es[p] *= s / (t * t)
    elif code >= 14 and code <= 17:  # s cos(s sum), s (-sin(s sum)); halved for SIN, COS
        for p in range(m):
            e = es[p]
            v = np.float64(s * xs[p])
            d = s * np.cos(v) if code == 14 or code == 16 else s * -np.sin(v)
            es[p] = d / 2.0 if code >= 16 else d  # FANN's derivative, in fann_type
            es[p] = e * es[p]
    elif code == 18:
        for p in range(m):
            es[p] *= zero if xs[p] < zero else s
    else:  # 19: s (0.01 on the negative side)
        for p in range(m):
            es[p] *= s * kc[8] if xs[p] < zero else s


def _tanh(x: Array, out: Array, m: int, f: Array, fi: Array, sc: Array, sci: Array,
          libm: bool) -> None:
    """``out[:m] = tanh(x[:m])``, the C library's or the vectorised one (as :func:`_exp`);
    ``out`` may not be ``x``."""
    if libm:
        for p in range(m):
            out[p] = np.tanh(x[p])
    else:
        _vtanh_jit(x, out, m, f, fi, sc, sci)


def _activate_exact(code: int, xs: Array, ys: Array, m: int, kc: Array, a: Array, b: Array,
                    f: Array, fi: Array, sc: Array, sci: Array, tables: Array) -> None:
    """``ys[:m] = f(xs[:m])`` for the network's own function ``code`` (textbook mode), in the
    order of operations of :mod:`neuronless.activations` and :mod:`neuronless.fann.activations`:
    tanh, the gaussians (``|x|`` at most 64), the elliots, elu and softplus (the C library's
    ``expm1``, ``exp`` and ``log1p`` in double) here, FANN's formulas for the others, which are
    the same functions (SIGMOID's ``x`` is neuronless's, twice FANN's sum)."""
    zero, half, one, two = kc[0], kc[1], kc[2], kc[3]
    libm = kc[22] != zero
    if code == 5:  # tanh
        for p in range(m):
            a[p] = np.float64(xs[p])
        _tanh_jit(a, b, m, f, fi, sc, sci, libm)
        for p in range(m):
            ys[p] = b[p]
    elif code == 7 or code == 8:  # exp(-c c), c = min(|x|, 64); 2 exp(-c c) - 1
        for p in range(m):
            c = min(abs(xs[p]), kc[23])
            a[p] = np.float64(-(c * c))
        _exp_jit(a, b, m, f, fi, sc, sci, libm)
        for p in range(m):
            ys[p] = b[p]
        if code == 8:
            for p in range(m):
                ys[p] = two * ys[p] - one
    elif code == 10:  # (x / 2) t + 1/2, t = 1 / (1 + |x|)
        for p in range(m):
            v = xs[p]
            ys[p] = (half * v) * (one / (one + abs(v))) + half
    elif code == 11:
        for p in range(m):
            v = xs[p]
            ys[p] = v * (one / (one + abs(v)))
    elif code == 20:  # elu: x where x > 0, else alpha expm1(x)
        for p in range(m):
            v = xs[p]
            ys[p] = v if v > zero else kc[24] * np.expm1(np.float64(min(v, zero)))
    elif code == 21:  # softplus: log(1 + exp(x)) as NumPy's logaddexp(0, x) takes it
        for p in range(m):
            v = np.float64(xs[p])
            if v == 0.0:
                ys[p] = 0.6931471805599453  # ln 2
            elif v > 0.0:
                ys[p] = v + np.log1p(np.exp(-v))
            else:
                ys[p] = np.log1p(np.exp(v))
    else:
        _activate_jit(code, xs, ys, m, kc, a, b, f, fi, sc, sci, tables)


def _derive_exact(code: int, ys: Array, xs: Array, s: Any, es: Array, m: int, kc: Array,
                  a: Array, b: Array, f: Array, fi: Array, sc: Array, sci: Array,
                  tables: Array) -> None:
    """``es[:m] *= f'(x) s``: the exact derivative of the network's function ``code`` at the
    (clamped) ``x = xs``, from the outputs ``ys`` where :mod:`neuronless.activations` takes
    it from them, times the steepness ``s`` (textbook mode). A derivative that is not a
    product of the weight type is first stored in ``es`` (rounded to it, as NumPy's is)."""
    zero, half, one, two = kc[0], kc[1], kc[2], kc[3]
    if code == 3:  # a (1 - a)
        for p in range(m):
            y = ys[p]
            es[p] *= (one - y) * y
    elif code == 5:  # 1 - a a
        for p in range(m):
            y = ys[p]
            es[p] *= one - y * y
    elif code == 4 or code == 6:  # the segment's slope (a breakpoint's: to its right), 0 outside
        tx = tables[0] if code == 4 else tables[2]
        ty = tables[1] if code == 4 else tables[3]
        for p in range(m):
            v = np.float64(xs[p])
            k = 0
            while k < 6 and tx[k] <= v:
                k += 1
            e = es[p]
            es[p] = 0.0 if k == 0 or k == 6 else (ty[k] - ty[k - 1]) / (tx[k] - tx[k - 1])
            es[p] = e * es[p]
    elif code == 7:  # -2 (x a)
        for p in range(m):
            es[p] *= -two * (xs[p] * ys[p])
    elif code == 8:  # -4 (x exp(-c c)), from x: a + 1 cancels as a approaches -1
        for p in range(m):
            c = min(abs(xs[p]), kc[23])
            a[p] = np.float64(-(c * c))
        _exp_jit(a, b, m, f, fi, sc, sci, kc[22] != zero)
        for p in range(m):
            e = es[p]
            es[p] = b[p]
            es[p] = e * (-(two + two) * (xs[p] * es[p]))
    elif code == 10:  # t t / 2, t = 1 / (1 + |x|)
        for p in range(m):
            t = one / (one + abs(xs[p]))
            es[p] *= half * t * t
    elif code == 11:
        for p in range(m):
            t = one / (one + abs(xs[p]))
            es[p] *= t * t
    elif code == 12 or code == 13:  # 1 on the open linear part, 0 on the flat ones
        lo = zero if code == 12 else -one
        for p in range(m):
            y = ys[p]
            es[p] *= one if lo < y < one else zero
    elif code >= 14 and code <= 17:  # cos x, -sin x; halved for SIN, COS
        for p in range(m):
            e = es[p]
            v = np.float64(xs[p])
            es[p] = np.cos(v) if code == 14 or code == 16 else -np.sin(v)
            if code >= 16:
                es[p] = half * es[p]
            es[p] = e * es[p]
    elif code == 18:
        for p in range(m):
            es[p] *= one if ys[p] > zero else zero
    elif code == 19:
        for p in range(m):
            es[p] *= one if ys[p] > zero else kc[8]
    elif code == 20:  # elu: 1, else alpha exp(x) = a + alpha
        for p in range(m):
            y = ys[p]
            es[p] *= one if y > zero else y + kc[24]
    elif code == 21:  # softplus: sigmoid(x) = 1 - exp(-a)
        for p in range(m):
            e = es[p]
            es[p] = -np.expm1(-np.float64(ys[p]))
            es[p] = e * es[p]
    elif code != 0:  # THRESHOLD_SYMMETRIC, GAUSSIAN_STEPWISE: 0 (LINEAR: 1)
        for p in range(m):
            es[p] *= zero
    for p in range(m):
        es[p] *= s


def _forward_block(params: Array, V: Array, S: Array, acc: Array, m: int, neurons: Array,
                   conn: Array, fp: Array, kc: Array, a: Array, b: Array, f: Array, fi: Array,
                   sc: Array, sci: Array, tables: Array, exact: bool) -> None:
    """``fann_run`` for the ``m`` patterns whose inputs are in ``V``'s input rows: every
    neuron's sum in FANN's order (the leading ``k mod 4`` terms in reverse, then groups of
    four), scaled, clamped (into ``S``) and activated (into ``V``): FANN's formulas, or with
    ``exact`` the network's own (:func:`_activate_exact`)."""
    zero = kc[0]
    for u in range(neurons.shape[0]):
        row, code, cf, cc = neurons[u, 0], neurons[u, 1], neurons[u, 2], neurons[u, 3]
        for p in range(m):
            acc[p] = zero
        r = cc & 3
        for t in range(r - 1, -1, -1):
            w = params[conn[0, cf + t]]
            src = conn[1, cf + t]
            for p in range(m):
                acc[p] += w * V[src, p]
        for t in range(cf + r, cf + cc, 4):
            w0, w1 = params[conn[0, t]], params[conn[0, t + 1]]
            w2, w3 = params[conn[0, t + 2]], params[conn[0, t + 3]]
            v0, v1, v2, v3 = V[conn[1, t]], V[conn[1, t + 1]], V[conn[1, t + 2]], V[conn[1, t + 3]]
            for p in range(m):
                acc[p] += ((w0 * v0[p] + w1 * v1[p]) + w2 * v2[p]) + w3 * v3[p]
        steep, lo, hi = fp[u, 0], fp[u, 2], fp[u, 3]
        srow = S[row]
        for p in range(m):
            x = steep * acc[p]
            if x > hi:
                x = hi
            elif x < lo:
                x = lo
            srow[p] = x
        if exact:
            _activate_exact_jit(code, srow, V[row], m, kc, a, b, f, fi, sc, sci, tables)
        else:
            _activate_jit(code, srow, V[row], m, kc, a, b, f, fi, sc, sci, tables)


def _slopes_block(sl: Array, V: Array, VT: Array, E: Array, m: int, n_rows: int,
                  neurons: Array, conn: Array) -> None:
    """Add the ``m`` patterns' ``delta * value(source)`` to every connection's slope, one
    pattern after the other (FANN's order of the sum). Eight connections of a neuron run
    side by side, each its own chain of additions over the patterns."""
    for rr in range(n_rows):
        for p in range(m):
            VT[p, rr] = V[rr, p]
    for u in range(neurons.shape[0]):
        d = E[neurons[u, 0]]
        cf, cc, s0 = neurons[u, 2], neurons[u, 3], neurons[u, 4]
        c = 0
        if s0 >= 0 and cc >= _LONG:  # a long run of neighbours: vectorised along it
            part = sl[cf: cf + cc]
            for p in range(m):
                dp = d[p]
                src = VT[p, s0: s0 + cc]
                for t in range(cc):
                    part[t] += dp * src[t]
            continue
        if s0 >= 0:  # consecutive sources: VT[p, s0 + c ...] are neighbours
            while c + 8 <= cc:
                q, r = cf + c, s0 + c
                a0, a1, a2, a3 = sl[q], sl[q + 1], sl[q + 2], sl[q + 3]
                a4, a5, a6, a7 = sl[q + 4], sl[q + 5], sl[q + 6], sl[q + 7]
                for p in range(m):
                    dp = d[p]
                    vt = VT[p]
                    a0 += dp * vt[r]
                    a1 += dp * vt[r + 1]
                    a2 += dp * vt[r + 2]
                    a3 += dp * vt[r + 3]
                    a4 += dp * vt[r + 4]
                    a5 += dp * vt[r + 5]
                    a6 += dp * vt[r + 6]
                    a7 += dp * vt[r + 7]
                sl[q], sl[q + 1], sl[q + 2], sl[q + 3] = a0, a1, a2, a3
                sl[q + 4], sl[q + 5], sl[q + 6], sl[q + 7] = a4, a5, a6, a7
                c += 8
            while c + 4 <= cc:
                q, r = cf + c, s0 + c
                a0, a1, a2, a3 = sl[q], sl[q + 1], sl[q + 2], sl[q + 3]
                for p in range(m):
                    dp = d[p]
                    vt = VT[p]
                    a0 += dp * vt[r]
                    a1 += dp * vt[r + 1]
                    a2 += dp * vt[r + 2]
                    a3 += dp * vt[r + 3]
                sl[q], sl[q + 1], sl[q + 2], sl[q + 3] = a0, a1, a2, a3
                c += 4
        while c + 4 <= cc:  # any sources, four chains at a time
            q = cf + c
            v0, v1 = V[conn[1, q]], V[conn[1, q + 1]]
            v2, v3 = V[conn[1, q + 2]], V[conn[1, q + 3]]
            a0, a1, a2, a3 = sl[q], sl[q + 1], sl[q + 2], sl[q + 3]
            for p in range(m):
                dp = d[p]
                a0 += dp * v0[p]
                a1 += dp * v1[p]
                a2 += dp * v2[p]
                a3 += dp * v3[p]
            sl[q], sl[q + 1], sl[q + 2], sl[q + 3] = a0, a1, a2, a3
            c += 4
        while c < cc:
            q = cf + c
            v0 = V[conn[1, q]]
            a0 = sl[q]
            for p in range(m):
                a0 += d[p] * v0[p]
            sl[q] = a0
            c += 1


def _irprop_minus(params: Array, sl: Array, st1: Array, st2: Array, conn: Array,
                  kc: Array) -> None:
    """The published iRprop− (:class:`~neuronless.optimizers.IRpropMinus`), ``g = -slope``:
    the step grows where ``g`` keeps its sign, shrinks where it flips (and ``g`` becomes 0),
    stays where either is 0, always within [step_min, step_max]; ``w -= sign(g) step``.
    ``st1``: the steps, ``st2``: the previous ``g``."""
    inc, dec, dmin, dmax, zero = kc[13], kc[14], kc[15], kc[16], kc[0]
    for c in range(conn.shape[1]):
        q, i = conn[0, c], conn[2, c]
        g = -sl[c]
        prev = st2[i]
        step = st1[i]
        if (g > zero and prev > zero) or (g < zero and prev < zero):
            step = step * inc
        elif (g > zero and prev < zero) or (g < zero and prev > zero):
            step = step * dec
            g = zero
        step = min(max(step, dmin), dmax)
        if g > zero:
            params[q] -= step
        elif g < zero:
            params[q] += step
        st1[i] = step
        st2[i] = g


def _quickprop(params: Array, sl: Array, st1: Array, st2: Array, conn: Array,
               kc: Array) -> None:
    """The published quickprop (:class:`~neuronless.optimizers.Quickprop`), with the slope
    ``s = slope - decay w``: ``eps s`` while ``s`` points the way the previous step ``d``
    went (or ``d = 0``), plus, where ``d != 0``, the parabola's ``d s / (s_prev - s)``, or
    ``mu d`` where ``s`` is beyond ``mu / (1 + mu) s_prev`` in the direction of ``d`` (or
    the parabola is flat). ``st1``: the previous steps, ``st2``: the previous ``s``."""
    eps, mu, shrink, decay, zero = kc[12], kc[18], kc[19], kc[20], kc[0]
    for c in range(conn.shape[1]):
        q, i = conn[0, c], conn[2, c]
        w = params[q]
        d = st1[i]
        sp = st2[i]
        s = sl[c] - decay * w
        downhill = d == zero or (d > zero and s > zero) or (d < zero and s < zero)
        nxt = s * eps if downhill else zero
        if d != zero:
            den = sp - s
            if (d > zero and s > shrink * sp) or (d < zero and s < shrink * sp) or den == zero:
                nxt += mu * d
            else:
                nxt += (d * s) / den
        st1[i] = nxt
        params[q] = w + nxt
        st2[i] = s


def _epoch(X: Array, Y: Array, params: Array, grads: Array, st1: Array, st2: Array,
           neurons: Array, layers: Array, conn: Array, fp: Array, kc: Array, tables: Array,
           alg: int, tanh_error: bool, block: int, exact: bool) -> tuple[float, int]:
    """One ``fann_train_epoch``; returns (FANN's MSE of the epoch, its bit fail).

    ``neurons[u]`` = (row, code, first connection, connections, first source row or -1 when
    the sources are not consecutive rows, symmetric output) for every neuron after the
    inputs, in FANN's order; ``layers[k]`` = (first row, neurons, first neuron index, bias
    row or -1) for the input layer and every layer after it; ``conn`` = (flat parameter,
    source row, state index) of every connection in FANN's order; ``fp[u]`` = (steepness as
    the sum is scaled, FANN's steepness, lowest sum, highest sum). ``alg``: 0 INCREMENTAL
    (``st1`` the previous weight changes), 1 BATCH, 2 RPROP (``st1`` steps, ``st2`` previous
    ``-slope``), 3 QUICKPROP (``st1`` previous steps, ``st2`` previous slopes), 4 slopes only
    (``grads = -slope``, for a step taken by the caller). ``exact`` (textbook mode): the
    network's own functions and their exact derivatives (``fp[u, 1]`` = ``fp[u, 0]``), the
    MSE summed in double, the published iRprop− and quickprop (``kc`` then holds their
    parameters as given, not in C floats).
    """
    n, n_in = X.shape[0], X.shape[1]
    n_out = Y.shape[1]
    N, C = neurons.shape[0], conn.shape[1]
    L = layers.shape[0] - 1
    R = layers[L, 0] + layers[L, 1]
    out_row, out_u = layers[L, 0], layers[L, 2]
    hidden0 = layers[1, 0]
    B = 1
    if alg != 0:  # blocks of at most `block` patterns, as even as multiples of 8 make them
        n_blocks = -(-n // block)
        B = -(-n // n_blocks)
        B = min(block, -(-B // 8) * 8)
    dt = params.dtype
    V = np.empty((R, B), dtype=dt)  # every row is written before it is read
    S = np.empty((R, B), dtype=dt)
    E = np.empty((R, B), dtype=dt)
    VT = np.empty((B, R), dtype=dt)
    acc = np.empty(B, dtype=dt)
    a = np.empty(B, dtype=np.float64)
    b = np.empty(B, dtype=np.float64)
    f = np.empty(B, dtype=np.float64)
    sc = np.empty(B, dtype=np.float64)
    fi = f.view(np.int64)
    sci = sc.view(np.int64)
    sl = np.zeros(C, dtype=dt)
    mse = np.zeros(1, dtype=np.float32)  # FANN's MSE_value is a C float
    mse64 = np.zeros(1, dtype=np.float64)  # textbook mode: in double
    bits = 0
    for k in range(L):
        if layers[k, 3] >= 0:
            V[layers[k, 3], :] = kc[2]
    bit_limit, lr, mom = kc[9], kc[10], kc[11]
    for p0 in range(0, n, B):
        m = min(B, n - p0)
        for i in range(n_in):
            for p in range(m):
                V[i, p] = X[p0 + p, i]
        # forward (fann_run), neuron by neuron, the block's patterns side by side
        _forward_block_jit(params, V, S, acc, m, neurons, conn, fp, kc, a, b, f, fi, sc, sci,
                           tables, exact)
        # FANN's output error, MSE and bit fail (fann_compute_MSE)
        for j in range(n_out):
            row = out_row + j
            e, y = E[row], V[row]
            for p in range(m):
                e[p] = Y[p0 + p, j] - y[p]
            if neurons[out_u + j, 5]:  # symmetric output: diff / 2
                half = kc[1]
                for p in range(m):
                    e[p] *= half
            for p in range(m):
                bits += 1 if abs(e[p]) >= bit_limit else 0
        if exact:
            for p in range(m):
                for j in range(n_out):
                    diff = np.float64(E[out_row + j, p])
                    mse64[0] += diff * diff
        else:
            for p in range(m):  # the C float MSE_value, pattern after pattern
                for j in range(n_out):
                    diff = E[out_row + j, p]
                    mse[0] += np.float32(diff * diff)
        if tanh_error:  # FANN's TANH error function ln((1 + diff) / (1 - diff)), in double
            for j in range(n_out):
                e = E[out_row + j]
                for p in range(m):
                    d = np.float64(e[p])
                    a[p] = (1.0 + d) / (1.0 - d)
                _log_jit(a, b, m, f, fi, sc, sci, kc[22] != kc[0])
                for p in range(m):
                    d = np.float64(e[p])
                    e[p] = b[p]
                    if d < -TANH_ERROR_LIMIT:
                        e[p] = -TANH_ERROR_CLIP
                    elif d > TANH_ERROR_LIMIT:
                        e[p] = TANH_ERROR_CLIP
        for j in range(n_out):
            u, row = out_u + j, out_row + j
            if exact:
                _derive_exact_jit(neurons[u, 1], V[row], S[row], fp[u, 1], E[row], m, kc, a, b,
                                  f, fi, sc, sci, tables)
            else:
                _derive_jit(neurons[u, 1], V[row], S[row], fp[u, 1], E[row], m, kc)
        # backpropagate (fann_backpropagate_MSE): layer by layer down to the first hidden
        if L > 1:
            zero = kc[0]
            for rr in range(hidden0, out_row):
                for p in range(m):
                    E[rr, p] = zero
        for k in range(L, 1, -1):
            first_u = layers[k, 2]
            for u in range(first_u, first_u + layers[k, 1]):
                row, cf, cc = neurons[u, 0], neurons[u, 2], neurons[u, 3]
                for t in range(cf, cf + cc):
                    src = conn[1, t]
                    if src < hidden0:
                        continue
                    w = params[conn[0, t]]
                    for p in range(m):
                        E[src, p] += E[row, p] * w
            below = layers[k - 1, 2]
            for u in range(below, below + layers[k - 1, 1]):
                row = neurons[u, 0]
                if exact:
                    _derive_exact_jit(neurons[u, 1], V[row], S[row], fp[u, 1], E[row], m, kc,
                                      a, b, f, fi, sc, sci, tables)
                else:
                    _derive_jit(neurons[u, 1], V[row], S[row], fp[u, 1], E[row], m, kc)
        if alg == 0:  # INCREMENTAL (fann_update_weights): dw = (lr delta) x + momentum dw
            for u in range(N):
                row, cf, cc = neurons[u, 0], neurons[u, 2], neurons[u, 3]
                te = E[row, 0] * lr
                for t in range(cf, cf + cc):
                    q = conn[0, t]
                    dw = te * V[conn[1, t], 0] + mom * st1[q]
                    params[q] += dw
                    st1[q] = dw
            continue
        # slopes (fann_update_slopes_batch): pattern after pattern, in data order
        _slopes_block_jit(sl, V, VT, E, m, out_row, neurons, conn)
    if exact:
        mse_value = mse64[0] / (np.float64(n) * np.float64(n_out))
    else:
        mse_value = np.float64(mse[0] / (np.float32(n) * np.float32(n_out)))
    if alg == 0:
        return mse_value, bits
    if alg == 1:  # BATCH: w += slope * (lr / N)
        eps = kc[12]
        for c in range(C):
            params[conn[0, c]] += sl[c] * eps
        return mse_value, bits
    if alg == 2 and exact:
        _irprop_minus_jit(params, sl, st1, st2, conn, kc)
        return mse_value, bits
    if alg == 3 and exact:
        _quickprop_jit(params, sl, st1, st2, conn, kc)
        return mse_value, bits
    if alg == 2:  # RPROP: FANN's iRPROP- (fann_update_weights_irpropm), slope = -g
        inc, dec, dmin, dmax, floor = kc[13], kc[14], kc[15], kc[16], kc[17]
        zero, limit = kc[0], kc[21]
        for c in range(C):
            q, i = conn[0, c], conn[2, c]
            g = -sl[c]
            step = max(st1[i], floor)
            if st2[i] * g >= zero:
                step = min(step * inc, dmax)
            else:
                step = max(step * dec, dmin)
                g = zero
            if g > zero:
                w = params[q] - step
                params[q] = w if w >= -limit else -limit
            else:
                w = params[q] + step
                params[q] = w if w <= limit else limit
            st1[i] = step
            st2[i] = g
        return mse_value, bits
    if alg == 3:  # QUICKPROP (fann_update_weights_quickprop)
        eps, mu, shrink, decay, limit = kc[12], kc[18], kc[19], kc[20], kc[21]
        zero = kc[0]
        for c in range(C):
            q, i = conn[0, c], conn[2, c]
            w = params[q]
            d = st1[i]
            sp = st2[i]
            s = w * decay + sl[c]
            if d > FANN_QUICKPROP_ZERO:
                nxt = s * eps if s > zero else zero
                if s > sp * shrink:
                    nxt += d * mu
                else:
                    nxt += (d * s) / (sp - s)
            elif d < -FANN_QUICKPROP_ZERO:
                nxt = s * eps if s < zero else zero
                if s < sp * shrink:
                    nxt += d * mu
                else:
                    nxt += (d * s) / (sp - s)
            else:
                nxt = s * eps
            st1[i] = nxt
            w = w + nxt
            if w > limit:
                w = limit
            elif w < -limit:
                w = -limit
            params[q] = w
            st2[i] = s
        return mse_value, bits
    for c in range(C):  # slopes only
        grads[conn[0, c]] = -sl[c]
    return mse_value, bits


_vexp_jit: Any = None
_vlog_jit: Any = None
_vtanh_jit: Any = None
_tanh_jit: Any = None
_activate_exact_jit: Any = None
_derive_exact_jit: Any = None
_irprop_minus_jit: Any = None
_quickprop_jit: Any = None
_exp_jit: Any = None
_log_jit: Any = None
_stepwise_jit: Any = None
_activate_jit: Any = None
_derive_jit: Any = None
_forward_block_jit: Any = None
_slopes_block_jit: Any = None


@functools.cache
def _compiled() -> Any:
    """Compile (or load from numba's cache) the epoch kernel."""
    import numba

    global _vexp_jit, _vlog_jit, _exp_jit, _log_jit, _stepwise_jit, _activate_jit, _derive_jit
    global _forward_block_jit, _slopes_block_jit, _vtanh_jit, _tanh_jit, _activate_exact_jit
    global _derive_exact_jit, _irprop_minus_jit, _quickprop_jit
    jit = numba.njit(cache=True, nogil=True, error_model="numpy")
    blocks = vecmath.jitted()
    _vexp_jit, _vlog_jit, _vtanh_jit = blocks.exp, blocks.log, blocks.tanh
    _exp_jit = jit(_exp)
    _log_jit = jit(_log)
    _stepwise_jit = jit(_stepwise)
    _activate_jit = jit(_activate)
    _derive_jit = jit(_derive)
    _tanh_jit = jit(_tanh)
    _activate_exact_jit = jit(_activate_exact)
    _derive_exact_jit = jit(_derive_exact)
    _irprop_minus_jit = jit(_irprop_minus)
    _quickprop_jit = jit(_quickprop)
    _forward_block_jit = jit(_forward_block)
    _slopes_block_jit = jit(_slopes_block)
    return jit(_epoch)


# ------------------------------------------------------------------ the Python side


def _rows(net: Any) -> tuple[list[int], list[int]]:
    """First row of each layer and its bias row (-1: none) in the kernels' neuron numbering:
    FANN's (LAYER nets: every layer but the last ends with its bias neuron; SHORTCUT nets:
    only the inputs have one)."""
    sizes = net.sizes
    starts, bias = [], []
    row = 0
    for k, n in enumerate(sizes):
        starts.append(row)
        row += n
        if k < len(sizes) - 1 and (not net.shortcut or k == 0):
            bias.append(row)
            row += 1
        else:
            bias.append(-1)
    return starts, bias


class FannKernel:
    """The compiled epochs of one :class:`~neuronless.fann.train.FannTrainer` (check
    :func:`supported` first). The plan (connections, activations, steepness, clamps) is read
    once, here; the trainer builds a new one when its parameters change."""

    def __init__(self, trainer: Any) -> None:
        reason = supported(trainer)
        assert reason is None, reason
        net = trainer.net
        self.trainer = trainer
        self.exact = not trainer.fann_compatible
        dt = net.dtype
        sizes = net.sizes
        starts, bias = _rows(net)
        L = len(sizes) - 1
        mask = net.masks
        widx: list[int] = []
        src: list[int] = []
        neurons: list[list[int]] = []
        fp: list[list[float]] = []
        offset = 0
        for k, ((rows, n_out), fan_in) in enumerate(zip(net.shapes, net.fan_ins, strict=True)):
            ly = trainer.layers[k]
            n0 = sizes[0]
            if net.shortcut:  # FANN: inputs, the bias, then every earlier layer's neurons
                order = [*range(n0), fan_in, *range(n0, fan_in)]
                to_row = {r: (r if r < n0 else (n0 if r == fan_in else r + 1)) for r in order}
            else:  # FANN: the previous layer, then its bias (the row after it)
                order = [*range(fan_in + 1)]
                to_row = {r: starts[k] + r for r in order}
            if mask is not None:  # FANN's sparse layout: the bias first
                order = [fan_in] + [r for r in order if r != fan_in]
            steep = np.broadcast_to(np.asarray(ly.steep, dtype=np.float64), (n_out,))
            if net.layers[k].clamp is not None:  # the network's own clamp (a .net file)
                lo, hi = ly.lo, ly.hi
            elif self.exact:  # the network as defined: no clamp
                lo = hi = None
            else:  # fann_run: sum clamped to +-150/s in fann_type (x = 2 sum for SIGMOID)
                fs = _fann_steepness(trainer, k).astype(dt)
                scale = np.array([2.0 if name == "sigmoid" else 1.0 for name in ly.names])
                hi = (dt.type(FANN_SUM_LIMIT) / fs).astype(np.float64) * scale
                lo = -hi
            # the derivative's factor: FANN's steepness, or the exact d x / d acc
            fsteep = steep if self.exact else np.asarray(_fann_steepness(trainer, k),
                                                         dtype=np.float64)
            for j in range(n_out):
                rows_j = [r for r in order if mask is None or mask[k][r, j]]
                first = len(widx)
                widx.extend(offset + r * n_out + j for r in rows_j)
                src_rows = [to_row[r] for r in rows_j]
                src.extend(src_rows)
                dense = bool(src_rows) and src_rows == list(range(src_rows[0],
                                                                   src_rows[0] + len(src_rows)))
                name = ly.names[j]
                neurons.append([starts[k + 1] + j, _CODES[name], first, len(rows_j),
                                src_rows[0] if dense else -1,
                                int(k == L - 1 and name in SYMMETRIC)])
                fp.append([float(steep[j]), float(fsteep[j]),
                           _bound(lo, j, -np.inf), _bound(hi, j, np.inf)])
            offset += rows * n_out
        layer_rows = [[starts[k], sizes[k], 0, bias[k]] for k in range(L + 1)]
        first_u = 0
        for k in range(1, L + 1):
            layer_rows[k][2] = first_u
            first_u += sizes[k]
        self.neurons = np.array(neurons, dtype=np.int64)
        self.layers = np.array(layer_rows, dtype=np.int64)
        idx = trainer._idx
        state = (np.array(widx, dtype=np.intp) if idx is None else
                 np.searchsorted(idx, np.array(widx, dtype=np.intp)))
        self.conn = np.ascontiguousarray(
            np.array([widx, src, state], dtype=np.int64).reshape(3, len(widx)))
        self.fp = np.array(fp, dtype=np.float64).astype(dt)
        self.tables = np.array([_STEP_X, _STEP_Y, _SYM_STEP_X, _SYM_STEP_Y])
        self.widx = self.conn[0]
        self.block = BLOCK
        self._kernel = _compiled()
        self.kc = self._constants(trainer.params, dt, self.exact)
        self._params = net.params
        self._tanh = trainer.params.train_error_function == "tanh"
        self._eps_for = (-1, "")  # the pattern count and algorithm lr / N was computed for

    @staticmethod
    def _constants(p: Any, dt: np.dtype[Any], exact: bool = False) -> Array:
        """The kernels' constants ``kc`` in the weight type: FANN's, in C floats; with
        ``exact``, the textbook step rules' parameters as given (as
        :meth:`~neuronless.fann.train.FannTrainer._optimizer` passes them to
        :mod:`neuronless.optimizers`; INCREMENTAL and BATCH keep FANN's C floats there)."""
        c = np.zeros(len(_K), dtype=np.float64)
        f32 = np.float32

        def cf(v: float) -> float:
            return float(f32(v))

        values = {
            "half": 0.5, "one": 1.0, "two": 2.0, "sig_lo": cf(0.01), "sig_hi": cf(0.99),
            "sym_lo": -cf(0.98), "sym_hi": cf(0.98), "leak": 0.01,
            "bit_limit": p.bit_fail_limit, "lr": cf(p.learning_rate),
            "momentum": cf(p.learning_momentum), "inc": cf(p.rprop_increase_factor),
            "dec": cf(p.rprop_decrease_factor), "step_min": cf(p.rprop_delta_min),
            "step_max": cf(p.rprop_delta_max), "floor": FANN_RPROP_STEP_FLOOR,
            "mu": cf(p.quickprop_mu), "shrink": cf(cf(p.quickprop_mu) / (1.0 + cf(p.quickprop_mu))),
            "decay": cf(p.quickprop_decay), "weight_limit": FANN_WEIGHT_LIMIT,
            "libm": 1.0 if dt == np.float64 else 0.0, "gaussian_max": _GAUSSIAN_X_MAX,
            "elu_alpha": ELU_ALPHA,
        }
        if exact:
            values.update({
                "inc": p.rprop_increase_factor, "dec": p.rprop_decrease_factor,
                "step_min": p.rprop_delta_min, "step_max": p.rprop_delta_max,
                "mu": p.quickprop_mu, "shrink": p.quickprop_mu / (1.0 + p.quickprop_mu),
                "decay": -p.quickprop_decay,
            })
        for name, v in values.items():
            c[K[name]] = v
        return c.astype(dt)

    def epoch(self, X: Array, Y: Array, alg: str, st1: Array, st2: Array,
              grads: Array) -> tuple[float, int]:
        """One epoch of ``alg`` on ``(X, Y)`` (arrays of the network's dtype, C order);
        returns FANN's MSE and bit fail. For "batch" and "quickprop" the rate ``lr / N`` is
        set here (FANN's in C floats; the textbook quickprop's in double); "sarprop" leaves
        ``-slope`` in ``grads`` for its NumPy step."""
        kc = self.kc
        if alg in ("batch", "quickprop") and (X.shape[0], alg) != self._eps_for:
            lr = self.trainer.params.learning_rate
            if self.exact and alg == "quickprop":
                kc[K["eps"]] = lr / X.shape[0]
            else:
                kc[K["eps"]] = float(np.float32(np.float32(lr) / np.float32(X.shape[0])))
            self._eps_for = (X.shape[0], alg)
        mse, bits = self._kernel(
            X, Y, self._params, grads, st1, st2, self.neurons, self.layers, self.conn, self.fp,
            kc, self.tables, ALGORITHM_CODES[alg], self._tanh, self.block, self.exact)
        return float(mse), int(bits)


def _bound(value: Any, j: int, default: float) -> float:
    if value is None:
        return default
    arr = np.asarray(value, dtype=np.float64)
    return float(arr) if arr.ndim == 0 else float(arr[j])


def _fann_steepness(trainer: Any, k: int) -> Array:
    deriv = trainer.layers[k].deriv
    assert deriv is not None  # fann_compatible
    return np.asarray(deriv.steepness, dtype=np.float64)


__all__ = ("ALGORITHM_CODES", "BLOCK", "FannKernel", "supported")
