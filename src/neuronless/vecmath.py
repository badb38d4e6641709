"""exp, expm1, log, tanh, sin and cos over a block of float64 numbers, in loops that vectorise.

Contract: plain Python functions for numba to compile (:func:`jitted` compiles them once, or
loads them from numba's cache, and returns them); each fills ``out[:m]`` from ``x[:m]`` and
takes four scratch arrays ``f, fi, sc, sci`` (two float64 arrays of at least ``m`` numbers
and their int64 views). The C library's ``exp`` and ``log`` are scalar calls that stop a loop
from running in SIMD lanes; these are not, and they stay within 1 ulp (exp), 2 ulp (expm1,
log, log1p, sin, cos) or 4 ulp (tanh) of the exact value (tests/test_vecmath.py measures it against
long double), which is all a gradient needs; where a result must equal libm's bit for bit
(FANN's double build), call libm.

Core module: numba is imported by :func:`jitted` only.
"""

from __future__ import annotations

import functools
import math
from types import SimpleNamespace
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[Any]

_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 in two parts: k * _LN2_HI is exact for |k| < 2**11
_LN2_LO = 1.90821492927058770002e-10
_MAGIC = 6755399441055744.0  # 1.5 * 2**52: adding it rounds a double to an integer
_MAGIC_BITS = 4843621399236968448  # its bits
EXP_HI = 709.0  # exp beyond: inf (the exact value is at most 1.8e308)
EXP_LO = -708.0  # exp below: 0 (the exact value is a subnormal, < 3.3e-308)
_SQRT2 = 1.4142135623730951
_TWO52 = 4503599627370496.0  # 2**52
_TANH_MAX = 20.0  # tanh(+-20) is +-1 in float64
#: pi/2 in three parts of 33 bits: k * part is exact for |k| < 2**20 (Cody and Waite)
_PIO2_1 = 1.57079632673412561417e+00
_PIO2_2 = 6.07710050630396597660e-11
_PIO2_3 = 2.02226624871116645580e-21
_2_OVER_PI = 0.6366197723675814
#: sin and cos reduce |x| up to 2**19 pi/2 in SIMD lanes; beyond (and inf, NaN): libm's
SINCOS_MAX = 2.0**19 * 1.5707963267948966
#: Taylor coefficients (-1)**n / (2n+1)! and (-1)**n / (2n)!: on |r| <= pi/4 the first
#: term left out is below 1e-19 relative
_S = [(-1.0) ** n / math.factorial(2 * n + 1) for n in range(1, 9)]
_C = [(-1.0) ** n / math.factorial(2 * n) for n in range(2, 10)]
_S1, _S2, _S3, _S4, _S5, _S6, _S7, _S8 = _S
_C2, _C3, _C4, _C5, _C6, _C7, _C8, _C9 = _C


def _reduce(x: Array, m: int, f: Array, fi: Array, sc: Array, sci: Array) -> int:
    """Split each ``x = k ln2 + r`` (``|r| <= ln2 / 2``): ``f`` holds ``k + 1.5 * 2**52``,
    ``sc`` the double ``2**k``; return how many ``x`` lie outside [EXP_LO, EXP_HI] (or NaN)."""
    outside = 0
    for p in range(m):
        v = x[p]
        outside += 0 if (v >= EXP_LO and v <= EXP_HI) else 1
        v = max(min(v, EXP_HI), EXP_LO)
        f[p] = v * _LOG2E + _MAGIC
    for p in range(m):  # the bits of 2**k: (k + 1023) << 52
        sci[p] = (fi[p] - _MAGIC_BITS + 1023) << 52
    return outside


def _exp_tail(r: float) -> float:
    """``exp(r) - 1 - r``, ``|r| <= ln2 / 2``: ``r**2 T(r)``, ``T`` the rest of the Taylor
    series to degree 13 (truncation below 2e-18 relative), in Estrin's order (a short chain
    of dependent operations)."""
    r2 = r * r
    r4 = r2 * r2
    t01 = 0.5 + 1.6666666666666666e-01 * r
    t23 = 4.1666666666666664e-02 + 8.333333333333333e-03 * r
    t45 = 1.388888888888889e-03 + 1.984126984126984e-04 * r
    t67 = 2.48015873015873e-05 + 2.7557319223985893e-06 * r
    t89 = 2.755731922398589e-07 + 2.505210838544172e-08 * r
    tab = 2.08767569878681e-09 + 1.6059043836821613e-10 * r
    t = ((t01 + t23 * r2) + (t45 + t67 * r2) * r4) + (t89 + tab * r2) * (r4 * r4)
    out: float = r2 * t
    return out


def exp_block(x: Array, out: Array, m: int, f: Array, fi: Array, sc: Array,
              sci: Array) -> None:
    """``out[:m] = exp(x[:m])``: ``2**k (1 + (r + r**2 T(r)))`` (Cody and Waite's reduction,
    ``2**k`` built from its bits); ``out`` may be ``x``."""
    outside = _reduce_jit(x, m, f, fi, sc, sci)
    if not outside:
        for p in range(m):
            v = x[p]
            k = f[p] - _MAGIC
            r = (v - k * _LN2_HI) - k * _LN2_LO
            out[p] = (1.0 + (r + _exp_tail_jit(r))) * sc[p]
        return
    for p in range(m):  # (each x is read before its out is written: out may be x)
        x0 = x[p]
        v = max(min(x0, EXP_HI), EXP_LO)
        k = f[p] - _MAGIC
        r = (v - k * _LN2_HI) - k * _LN2_LO
        res = (1.0 + (r + _exp_tail_jit(r))) * sc[p]
        if x0 > EXP_HI:
            res = np.inf
        elif x0 < EXP_LO:
            res = 0.0
        elif x0 != x0:
            res = x0
        out[p] = res


def expm1_block(x: Array, out: Array, m: int, f: Array, fi: Array, sc: Array,
                sci: Array) -> None:
    """``out[:m] = exp(x[:m]) - 1`` without the cancellation near 0: ``2**k (r + r**2 T(r))
    + (2**k - 1)``; ``out`` may be ``x``."""
    outside = _reduce_jit(x, m, f, fi, sc, sci)
    if not outside:
        for p in range(m):
            v = x[p]
            k = f[p] - _MAGIC
            r = (v - k * _LN2_HI) - k * _LN2_LO
            s = sc[p]
            out[p] = s * (r + _exp_tail_jit(r)) + (s - 1.0)
        return
    for p in range(m):  # (each x is read before its out is written: out may be x)
        x0 = x[p]
        v = max(min(x0, EXP_HI), EXP_LO)
        k = f[p] - _MAGIC
        r = (v - k * _LN2_HI) - k * _LN2_LO
        s = sc[p]
        res = s * (r + _exp_tail_jit(r)) + (s - 1.0)
        if x0 > EXP_HI:
            res = np.inf
        elif x0 < EXP_LO:
            res = -1.0
        elif x0 != x0:
            res = x0
        out[p] = res


def tanh_block(x: Array, out: Array, m: int, f: Array, fi: Array, sc: Array,
               sci: Array) -> None:
    """``out[:m] = tanh(x[:m]) = e / (e + 2)``, ``e = expm1(2 x)``, with ``|x|`` clamped to
    20 (where tanh is +-1 in float64). ``out`` may not be ``x``."""
    for p in range(m):
        v = x[p]
        out[p] = 2.0 * max(min(v, _TANH_MAX), -_TANH_MAX)
    expm1_block_jit(out, out, m, f, fi, sc, sci)
    for p in range(m):
        e = out[p]
        out[p] = e / (e + 2.0)
    for p in range(m):
        if x[p] != x[p]:
            out[p] = x[p]


def log_block(x: Array, out: Array, m: int, f: Array, fi: Array, sc: Array,
              sci: Array) -> None:
    """``out[:m] = log(x[:m])`` for positive normal ``x`` (+-0 and subnormals give -inf,
    inf gives inf, negative numbers and NaN give NaN); ``out`` may be ``x``.

    ``x = 2**e v`` with ``v`` in ``[sqrt(1/2), sqrt(2))`` read off the bits, ``log v = 2
    atanh(s) = 2 s + 2 s z P(z)``, ``s = (v - 1) / (v + 1)``, ``z = s**2``, ``P`` the atanh
    series to ``s**21`` (``|s| <= 0.1716``: truncation below 1e-19).
    """
    for p in range(m):
        f[p] = x[p]
    outside = 0
    for p in range(m):  # the double 2**52 + biased exponent, and +-v's bits in [1, 2)
        bits = fi[p]
        biased = (bits >> 52) & 2047
        outside += 1 if (bits < 0 or biased == 0 or biased == 2047) else 0
        sci[p] = 4841369599423283200 | biased
        fi[p] = (bits & -9218868437227405313) | 4607182418800017408  # keeps the sign bit
    for p in range(m):
        v = f[p]
        e = sc[p] - (_TWO52 + 1023.0)
        if v >= _SQRT2:
            v = v * 0.5
            e = e + 1.0
        s = (v - 1.0) / (v + 1.0)
        z = s * s
        z2 = z * z
        q = ((1.0 / 3.0 + z * 0.2) + (1.0 / 7.0 + z / 9.0) * z2) + (
            (1.0 / 11.0 + z / 13.0) + (1.0 / 15.0 + z / 17.0) * z2 + (1.0 / 19.0 + z / 21.0)
            * (z2 * z2)) * (z2 * z2)
        t = 2.0 * s
        out[p] = e * _LN2_HI + (t + (t * z * q + e * _LN2_LO))
    if outside:
        for p in range(m):
            biased = sc[p] - _TWO52
            v = f[p]
            if biased == 0.0:
                out[p] = -np.inf
            elif biased == 2047.0:
                out[p] = np.inf if v == 1.0 else np.nan
            elif v < 0.0:
                out[p] = np.nan


def log1p_block(x: Array, out: Array, m: int, f: Array, fi: Array, sc: Array,
                sci: Array) -> None:
    """``out[:m] = log(1 + x[:m])`` for ``x > -1``, accurate near 0: ``log(w) x / (w - 1)``
    with ``w = 1 + x`` rounded (Goldberg's correction), ``x`` itself where ``w == 1``.
    ``out`` may not be ``x``."""
    for p in range(m):
        out[p] = 1.0 + x[p]
    log_block_jit(out, out, m, f, fi, sc, sci)
    for p in range(m):
        w = 1.0 + x[p]
        if w == 1.0:
            out[p] = x[p]
        elif w < np.inf:
            out[p] = out[p] * (x[p] / (w - 1.0))


def sincos_block(x: Array, s_out: Array, c_out: Array, m: int, f: Array, fi: Array, sc: Array,
                 sci: Array) -> None:
    """``s_out[:m] = sin(x[:m])`` and ``c_out[:m] = cos(x[:m])``: ``x = k pi/2 + r`` (``|r|
    <= pi/4``, pi/2 in three parts), Taylor polynomials of ``sin r`` and ``cos r`` in Estrin's
    order, then the quadrant ``k mod 4`` swaps and negates them. ``|x|`` beyond
    ``SINCOS_MAX``, inf and NaN go to libm. ``sc``/``sci`` are not used (the same four
    scratch arrays as the other block functions)."""
    outside = 0
    for p in range(m):
        v = x[p]
        inside = abs(v) <= SINCOS_MAX
        outside += 0 if inside else 1
        f[p] = (v if inside else 0.0) * _2_OVER_PI + _MAGIC  # k + 1.5 * 2**52
    for p in range(m):
        v = x[p]
        v = v if abs(v) <= SINCOS_MAX else 0.0
        k = f[p] - _MAGIC
        r = ((v - k * _PIO2_1) - k * _PIO2_2) - k * _PIO2_3
        z = r * r
        z2 = z * z
        z4 = z2 * z2
        ps = ((_S1 + _S2 * z) + (_S3 + _S4 * z) * z2) + ((_S5 + _S6 * z) + (_S7 + _S8 * z) * z2) * z4
        pc = ((_C2 + _C3 * z) + (_C4 + _C5 * z) * z2) + ((_C6 + _C7 * z) + (_C8 + _C9 * z) * z2) * z4
        sn = r + r * z * ps
        cs = (1.0 - 0.5 * z) + z2 * pc
        q = fi[p] & 3  # k mod 4: the low bits of k + 1.5 * 2**52
        s1 = cs if q & 1 else sn
        c1 = -sn if q & 1 else cs
        s_out[p] = -s1 if q & 2 else s1
        c_out[p] = -c1 if q & 2 else c1
    if outside:
        for p in range(m):
            v = x[p]
            if not abs(v) <= SINCOS_MAX:
                s_out[p] = np.sin(v)
                c_out[p] = np.cos(v)


_reduce_jit: Any = None
_exp_tail_jit: Any = None
expm1_block_jit: Any = None
log_block_jit: Any = None


@functools.cache
def jitted() -> SimpleNamespace:
    """The block functions compiled by numba (or loaded from its cache): ``exp``, ``expm1``,
    ``tanh``, ``log``, ``log1p``, ``sincos``."""
    import numba

    global _reduce_jit, _exp_tail_jit, expm1_block_jit, log_block_jit
    # fastmath=False said explicitly: numba compiles a callee with its caller's fastmath
    # flags unless the callee sets its own, and reassociation would undo the rounding tricks
    # (k + 1.5 * 2**52) these functions rely on
    jit = numba.njit(cache=True, nogil=True, error_model="numpy", fastmath=False)
    _reduce_jit = jit(_reduce)
    _exp_tail_jit = jit(_exp_tail)
    expm1_block_jit = jit(expm1_block)
    log_block_jit = jit(log_block)
    return SimpleNamespace(exp=jit(exp_block), expm1=expm1_block_jit, tanh=jit(tanh_block),
                           log=log_block_jit, log1p=jit(log1p_block), sincos=jit(sincos_block))


def scratch(m: int) -> tuple[Array, Array, Array, Array]:
    """The four scratch arrays the block functions take, for blocks of ``m``."""
    f = np.empty(m)
    sc = np.empty(m)
    return f, f.view(np.int64), sc, sc.view(np.int64)


__all__ = ("EXP_HI", "EXP_LO", "SINCOS_MAX", "jitted", "scratch")
