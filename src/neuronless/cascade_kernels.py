"""The candidates' epoch of Cascade2, compiled: every candidate's score and gradients in one call.

Contract: :func:`candidate_epoch` computes what
:func:`neuronless.cascade.candidate_scores_and_grads` computes (the same formulas, arguments
and results, to rounding) for pools whose functions all belong to the four families of
:mod:`neuronless.cascade` (tanh, Gaussian, Elliot, sine with a phase: FANN's ten default
functions); :func:`supported` says whether a pool qualifies. The NumPy function stays the
reference and the fallback.

How: patterns go in blocks of 256 through each candidate in turn, side by side in SIMD lanes
(the inputs are read column by column, ``A.T``): the net input, the family's output and
derivative (tanh, exp, sin and cos from :mod:`neuronless.vecmath`), the correlations with the
residual and the input-weight gradient. The sums over the inputs run in the data's type
(float32 nets: eight SIMD lanes, as NumPy's float32 matrix products), the functions,
derivatives and correlations in float64. No ``(C, m)`` temporary is ever written and each
block stays in the CPU cache. NumPy's version makes about 40 calls per
block of patterns; this is one call per epoch.

numba is imported by :func:`jitted` only (``cache=True``: compiled once per machine).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import vecmath

Array = NDArray[Any]

#: the four families of :mod:`neuronless.cascade`'s pool, as the kernel reads them
FAMILY_CODES = {"tanh": 0, "gauss": 1, "elliot": 2, "sin": 3}
#: patterns per block (64, 128 and 256 timed the same)
BLOCK = 256
_GAUSSIAN_U_MAX = 64.0  # as neuronless.cascade.GAUSSIAN_U_MAX
_CLIP = float(np.float32(0.98))  # as neuronless.cascade.SIGMOID_SYMMETRIC_CLIP


def supported(families: list[str]) -> str | None:
    """``None`` if a pool of these families is compiled, else why not."""
    other = sorted({f for f in families if f not in FAMILY_CODES})
    if other:
        return (f"the candidate functions {other} are not compiled (the four families tanh, "
                "gaussian, elliot and sine/cosine are: FANN's ten default functions)")
    return None


def _candidate_epoch(At: Array, Et: Array, W: Array, V: Array, fam: Array, fs: Array,
                     scale: Array, offset: Array, phase: Array, fann_compatible: bool,
                     scores: Array, gW: Array, gV: Array) -> None:
    """Scores ``(C,)``, ``gW`` ``(n_cols, C)`` and ``gV`` ``(C, n_out)`` of the pool, from
    ``At = A.T`` ``(n_cols, m)``, ``Et = E.T`` ``(n_out, m)``, ``W`` ``(n_cols, C)`` and ``V``
    ``(C, n_out)``; ``fam``, ``fs``, ``scale``, ``offset``, ``phase`` per candidate."""
    n_cols, m = At.shape
    n_out = Et.shape[0]
    C = W.shape[1]
    B = min(BLOCK, m)
    dt = At.dtype
    zero = np.zeros(1, dtype=dt)  # zero[0]: a sum in the data's type
    S = np.empty(B, dtype=dt)  # net inputs and the products with the inputs in the data's
    gd = np.empty(B, dtype=dt)  # type (float32: twice the SIMD lanes, as NumPy's sgemm)
    a = np.empty(B)
    d = np.empty(B)
    g = np.empty(B)
    f, sc = np.empty(B), np.empty(B)
    fi, sci = f.view(np.int64), sc.view(np.int64)
    G = np.zeros((C, n_out))  # sum_p a_pc E_po
    aa = np.zeros(C)  # sum_p a_pc^2
    acc = np.zeros((C, n_cols))  # sum_p err_pc A_pj
    Ab = np.empty((n_cols, B), dtype=dt)  # the block's inputs and residual, indexed from 0
    Eb = np.empty((n_out, B))  # (so every inner loop runs in SIMD lanes)
    for start in range(0, m, B):
        b = min(B, m - start)
        for j in range(n_cols):
            for p in range(b):
                Ab[j, p] = At[j, start + p]
        for o in range(n_out):
            for p in range(b):
                Eb[o, p] = Et[o, start + p]
        for c in range(C):
            for p in range(b):
                S[p] = zero[0]
            for j in range(n_cols):
                w = W[j, c]
                for p in range(b):
                    S[p] += w * Ab[j, p]
            code, s, sa, off = fam[c], fs[c], scale[c], offset[c]
            for p in range(b):
                g[p] = float(S[p]) * s  # u
            if code == 0:  # tanh: a = off + sa tanh(u), d = sa s (1 - tanh^2)
                tanh_jit(g, a, b, f, fi, sc, sci)
                for p in range(b):
                    t = a[p]
                    if fann_compatible:  # FANN clips y: tanh to +-0.98
                        t = min(max(t, -_CLIP), _CLIP)
                    d[p] = (1.0 - t * t) * (sa * s)
                    a[p] = a[p] * sa + off
            elif code == 1:  # Gaussian: a = off + sa exp(-u^2), d = -2 sa s u exp(-u^2)
                for p in range(b):
                    t = min(abs(g[p]), _GAUSSIAN_U_MAX)
                    a[p] = -(t * t)
                exp_jit(a, a, b, f, fi, sc, sci)
                for p in range(b):
                    e = a[p]
                    d[p] = g[p] * e * (-2.0 * sa * s)
                    a[p] = e * sa + off
            elif code == 2:  # Elliot: a = off + sa u / (1 + |u|), d = sa s / (1 + |u|)^2
                for p in range(b):
                    u = g[p]
                    t = 1.0 + abs(u)
                    a[p] = (u / t) * sa + off
                    if fann_compatible:  # FANN's derivative takes the unscaled sum here
                        t = 1.0 + abs(S[p])
                    d[p] = (sa * s) / (t * t)
            else:  # sine: a = off + sa sin(u + phase), d = sa s cos(u + phase)
                ph = phase[c]
                for p in range(b):
                    g[p] += ph
                sincos_jit(g, a, d, b, f, fi, sc, sci)
                for p in range(b):
                    d[p] = d[p] * (sa * s)
                    a[p] = a[p] * sa + off
            t2 = 0.0
            for p in range(b):
                t2 += a[p] * a[p]
            aa[c] += t2
            vv = 0.0
            for o in range(n_out):
                vv += float(V[c, o]) * float(V[c, o])
            for p in range(b):
                g[p] = a[p] * vv  # becomes sum_o (a V_co - E_po) V_co, then times d
            for o in range(n_out):
                v = float(V[c, o])
                t2 = 0.0
                for p in range(b):
                    e = Eb[o, p]
                    t2 += a[p] * e
                    g[p] -= v * e
                G[c, o] += t2
            for p in range(b):
                gd[p] = g[p] * d[p]
            for j in range(n_cols):
                tj = zero[0]
                for p in range(b):
                    tj += gd[p] * Ab[j, p]
                acc[c, j] += tj
    factor = 1.0 if fann_compatible else 2.0
    for c in range(C):
        vv = 0.0
        vg = 0.0
        for o in range(n_out):
            v = float(V[c, o])
            vv += v * v
            vg += v * G[c, o]
            gV[c, o] = 2.0 * (v * aa[c] - G[c, o])
        scores[c] = 2.0 * vg - aa[c] * vv
        for j in range(n_cols):
            gW[j, c] = acc[c, j] * factor


tanh_jit: Any = None
exp_jit: Any = None
sincos_jit: Any = None


@functools.cache
def jitted() -> Any:
    """The compiled candidate epoch (numba imported, compiled or loaded from its cache)."""
    import numba

    global tanh_jit, exp_jit, sincos_jit
    blocks = vecmath.jitted()
    tanh_jit, exp_jit, sincos_jit = blocks.tanh, blocks.exp, blocks.sincos
    # reassociation lets the sums over a block run in SIMD lanes (the vecmath functions are
    # compiled without it, so their rounding tricks stay exact)
    return numba.njit(cache=True, nogil=True, error_model="numpy",
                      fastmath={"reassoc", "nsz", "contract"})(_candidate_epoch)


class CandidateKernel:
    """The compiled candidate epoch for one pool and one stage's ``A`` and residual ``E``.

    ``A.T`` and ``E.T`` are copied once per stage (the candidates' inputs do not change
    while they train); :meth:`__call__` then has the signature of
    :func:`neuronless.cascade.candidate_scores_and_grads` without ``A`` and ``E``.
    """

    def __init__(self, A: Array, E: Array, families: list[str], fs: Array, scale: Array,
                 offset: Array, phase: Array, fann_compatible: bool):
        self.At = np.ascontiguousarray(A.T)
        self.Et = np.ascontiguousarray(E.T, dtype=A.dtype)
        self.fam = np.array([FAMILY_CODES[f] for f in families], dtype=np.int64)
        self.fs, self.scale = np.asarray(fs, float), np.asarray(scale, float)
        self.offset, self.phase = np.asarray(offset, float), np.asarray(phase, float)
        self.fann_compatible = bool(fann_compatible)
        self.kernel = jitted()

    def __call__(self, W: Array, V: Array, gW: Array, gV: Array) -> Array:
        """Scores (float64, ``(C,)``); writes ``gW`` ``(n_cols, C)`` and ``gV`` ``(C,
        n_out)`` in place."""
        scores = np.empty(W.shape[1])
        self.kernel(self.At, self.Et, W, V, self.fam, self.fs, self.scale, self.offset,
                    self.phase, self.fann_compatible, scores, gW, gV)
        return scores


__all__ = ["BLOCK", "FAMILY_CODES", "CandidateKernel", "jitted", "supported"]
