"""Fused, multi-threaded optimizer updates for large parameter vectors (numba, lazily).

Contract: :func:`adam` and :func:`momentum` do in one pass over the parameters, split over
numba's threads, exactly what :class:`~neuronless.optimizers.Adam` and
:class:`~neuronless.optimizers.Momentum` do with whole-vector NumPy operations: the same
floating-point operations in the same order on each element, in the arrays' own dtype, so the
results are bitwise the same (tests/test_fused.py). The NumPy form walks the vector ten times
on one core; this one reads each array once. They only pay off on large nets
(:data:`MIN_PARAMS`); :func:`available` says whether numba imports here, and the optimizers
fall back to NumPy when it does not. numba is imported on the first call, never by
``import neuronless``; ``cache=True`` compiles each kernel once per machine.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[Any]

#: below this many parameters the NumPy update is about as fast (dispatch dominates); from
#: benchmarks/fused_update.py, where both updates pass a ratio of 1 (docs/performance.md)
MIN_PARAMS = 20_000
# numba's workqueue threading layer (its fallback when no OpenMP or TBB is found) aborts the
# process when two threads launch parallel kernels at once; one launch at a time is safe on
# every layer and costs nothing next to a pass over 20,000 numbers
_LAUNCH = threading.Lock()


@functools.cache
def available() -> bool:
    """True if numba imports (the fused kernels can run)."""
    try:
        import numba  # noqa: F401
    except Exception:  # any import failure means: use NumPy
        return False
    return True


@functools.cache
def _kernels() -> tuple[Any, Any]:
    # OpenMP threads that spin after a parallel loop steal the core BLAS's threads need for
    # the next GEMM (measured: several times slower epochs on 2 cores); sleeping at once
    # costs nothing here. Set before numba starts its OpenMP runtime; a user's setting wins.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("KMP_BLOCKTIME", "0")
    # a thread count the user gave BLAS bounds numba's pool too, but only if numba has not
    # read its configuration yet: numba compares NUMBA_NUM_THREADS with its running pool at
    # every later configuration reload and raises if they differ (OMP_NUM_THREADS can appear
    # after numba's import: distributed's Nanny sets it to 1 in the parent process)
    if "numba" not in sys.modules and os.environ.get("OMP_NUM_THREADS", "").isdigit():
        os.environ.setdefault("NUMBA_NUM_THREADS", os.environ["OMP_NUM_THREADS"])
    import numba

    @numba.njit(parallel=True, cache=True, nogil=True)
    def adam_kernel(p, g, m, v, b1, b2, step_size, eps):  # type: ignore[no-untyped-def]
        for i in numba.prange(p.size):
            mi = m[i] * b1 + g[i]
            vi = v[i] * b2 + g[i] * g[i]
            m[i] = mi
            v[i] = vi
            p[i] = p[i] - (mi / (np.sqrt(vi) + eps)) * step_size

    @numba.njit(parallel=True, cache=True, nogil=True)
    def momentum_kernel(p, g, vel, mom, lr):  # type: ignore[no-untyped-def]
        for i in numba.prange(p.size):
            vi = vel[i] * mom - g[i] * lr
            vel[i] = vi
            p[i] = p[i] + vi

    return adam_kernel, momentum_kernel


_budget = threading.local()


@contextlib.contextmanager
def limit(threads: int | None) -> Iterator[None]:
    """Within the block, the fused updates of this thread use at most ``threads`` threads
    (``None``: numba's own count); ``fit(threads=...)`` enters it beside its BLAS limit."""
    before = getattr(_budget, "threads", None)
    _budget.threads = threads
    try:
        yield
    finally:
        _budget.threads = before


def _launch_threads() -> None:
    n = getattr(_budget, "threads", None)
    import numba

    most = int(getattr(numba.config, "NUMBA_NUM_THREADS"))  # noqa: B009  (set at import)
    numba.set_num_threads(most if n is None else max(1, min(n, most)))


def use_fused(params: Array) -> bool:
    """Whether an optimizer step on ``params`` takes the fused path."""
    return params.size >= MIN_PARAMS and params.flags.c_contiguous and available()


def adam(params: Array, grads: Array, m: Array, v: Array, beta1: float, beta2: float,
         step_size: float, eps: float) -> None:
    """``m = b1 m + g; v = b2 v + g²; params -= (m / (sqrt(v) + eps)) * step_size`` in place
    (the undamped sums of :class:`~neuronless.optimizers.Adam`); ``grads`` is left as it is."""
    kernel = _kernels()[0]
    t = params.dtype.type  # scalars in the arrays' dtype: float32 stays float32
    with _LAUNCH:
        _launch_threads()
        kernel(params.reshape(-1), grads.reshape(-1), m.reshape(-1), v.reshape(-1), t(beta1),
               t(beta2), t(step_size), t(eps))


def momentum(params: Array, grads: Array, velocity: Array, mom: float, lr: float) -> None:
    """``velocity = mom * velocity - grads * lr; params += velocity`` in place."""
    kernel = _kernels()[1]
    t = params.dtype.type
    with _LAUNCH:
        _launch_threads()
        kernel(params.reshape(-1), grads.reshape(-1), velocity.reshape(-1), t(mom), t(lr))
