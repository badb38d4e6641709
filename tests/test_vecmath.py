"""neuronless.vecmath's vectorised exp, expm1, tanh, log, log1p, sin and cos against long double.

The reference is NumPy's long-double function of the same float64 inputs (80-bit extended
precision here: 11 more bits than float64, so its rounding is far below the ulps measured);
errors are in units of the last place of the exact result.
"""

from __future__ import annotations

import numpy as np
import pytest

from neuronless import vecmath

pytestmark = pytest.mark.skipif(np.finfo(np.longdouble).nmant < 63,
                                reason="needs an 80-bit long double for the reference")

RNG = np.random.default_rng(12)
N = 200_000
#: name -> (inputs, the long-double reference, the bound in ulp the docstring states)
CASES = {
    "exp": (np.concatenate([RNG.uniform(vecmath.EXP_LO, vecmath.EXP_HI, N),
                            RNG.uniform(-1, 1, N), RNG.uniform(-1e-9, 1e-9, N)]), np.exp, 1.0),
    "expm1": (np.concatenate([RNG.uniform(-50, 700, N), RNG.uniform(-1, 1, N),
                              RNG.uniform(-1e-9, 1e-9, N)]), np.expm1, 3.0),
    "tanh": (np.concatenate([RNG.uniform(-25, 25, N), RNG.uniform(-1, 1, N),
                             RNG.uniform(-1e-9, 1e-9, N)]), np.tanh, 4.0),
    "log": (np.concatenate([np.exp(RNG.uniform(-700, 700, N)), RNG.uniform(0.5, 2.0, N),
                            1.0 + RNG.uniform(-1e-9, 1e-9, N)]), np.log, 2.0),
    "log1p": (np.concatenate([RNG.uniform(-0.999, 10.0, N), RNG.uniform(-1e-9, 1e-9, N)]),
              np.log1p, 4.0),
}


def _run(name: str, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    fn = getattr(vecmath.jitted(), name)
    out = np.empty_like(x) if out is None else out
    fn(x, out, x.size, *vecmath.scratch(x.size))
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_within_the_stated_ulps_of_the_exact_value(name):
    x, ref, bound = CASES[name]
    got = _run(name, x)
    exact = ref(x.astype(np.longdouble))
    nonzero = exact != 0
    ulp = np.spacing(np.abs(exact[nonzero]).astype(np.float64)).astype(np.longdouble)
    err = np.abs((got[nonzero].astype(np.longdouble) - exact[nonzero]) / ulp)
    assert float(err.max()) <= bound, f"{name}: {float(err.max()):.3f} ulp"
    assert float(err.mean()) < 0.6  # most results are the correctly rounded value or next to it
    assert np.all(got[~nonzero] == 0.0)


def test_special_values():
    inf, nan = np.inf, np.nan
    x = np.array([nan, inf, -inf, 0.0, 710.0, -746.0])
    np.testing.assert_array_equal(_run("exp", x), [nan, inf, 0.0, 1.0, inf, 0.0])
    np.testing.assert_array_equal(_run("expm1", x), [nan, inf, -1.0, 0.0, inf, -1.0])
    np.testing.assert_array_equal(_run("tanh", np.array([nan, inf, -inf, 0.0, 40.0])),
                                  [nan, 1.0, -1.0, 0.0, 1.0])
    np.testing.assert_array_equal(_run("log", np.array([0.0, -0.0, inf, -inf, nan, -1.0, 1.0])),
                                  [-inf, -inf, inf, nan, nan, nan, 0.0])
    np.testing.assert_array_equal(_run("log1p", np.array([0.0, -1.0, inf, nan])),
                                  [0.0, -inf, inf, nan])


def test_log_may_write_over_its_input():
    x = np.exp(RNG.uniform(-30, 30, 1000))
    want = _run("log", x)
    _run("log", x, out=x)
    np.testing.assert_array_equal(x, want)


@pytest.mark.parametrize("m", [1, 3, 7, 64])
def test_only_the_first_m_numbers_are_written(m):
    x = RNG.uniform(-2, 2, 64)
    out = np.full(64, -7.0)
    vecmath.jitted().tanh(x, out, m, *vecmath.scratch(64))
    np.testing.assert_allclose(out[:m], np.tanh(x[:m]), rtol=1e-15)
    assert np.all(out[m:] == -7.0)


def _sincos(x: np.ndarray, m: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    s, c = np.full_like(x, -7.0), np.full_like(x, -7.0)
    vecmath.jitted().sincos(x, s, c, x.size if m is None else m, *vecmath.scratch(x.size))
    return s, c


@pytest.mark.parametrize("x", [RNG.uniform(-10, 10, N),
                               RNG.uniform(-vecmath.SINCOS_MAX, vecmath.SINCOS_MAX, N),
                               RNG.uniform(-1e-9, 1e-9, N)], ids=["small", "reduced", "tiny"])
def test_sin_and_cos_within_3_ulp(x):
    s, c = _sincos(x)
    xl = x.astype(np.longdouble)
    for got, exact in ((s, np.sin(xl)), (c, np.cos(xl))):
        ulp = np.spacing(np.abs(exact).astype(np.float64)).astype(np.longdouble)
        err = np.abs((got.astype(np.longdouble) - exact) / ulp)
        assert float(err.max()) <= 3.0
        assert float(err.mean()) < 0.6


def test_sin_and_cos_beyond_the_reduced_range_and_special_values():
    big = vecmath.SINCOS_MAX
    x = np.array([np.nan, np.inf, -np.inf, 0.0, 2 * big, -3 * big, 1e300])
    s, c = _sincos(x)
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(s, np.sin(x))
        np.testing.assert_array_equal(c, np.cos(x))
    s, c = _sincos(x[3:], m=2)  # only the first m numbers are written
    np.testing.assert_array_equal([s[0], c[0], s[2], c[2]], [0.0, 1.0, -7.0, -7.0])


_FASTMATH_CALLER_FIRST = r"""
import numpy as np
import neuronless as nl
from neuronless import vecmath
X, y = nl.datasets.xor()
nl.cascade_train(X, y.reshape(-1, 1), max_neurons=1, seed=0, dtype=np.float64,
                 backend="compiled")  # compiles a fastmath kernel that calls vecmath
x = np.linspace(-20.0, 20.0, 4001)
f = vecmath.jitted()
worst = 0.0
for name, ref in (("exp", np.exp), ("tanh", np.tanh), ("log", np.log)):
    arg = np.abs(x) + 1e-3 if name == "log" else x
    out = np.empty_like(arg)
    getattr(f, name)(arg, out, arg.size, *vecmath.scratch(arg.size))
    worst = max(worst, float(np.max(np.abs(out - ref(arg)) / np.abs(ref(arg)).clip(1e-300))))
s, c = np.empty_like(x), np.empty_like(x)
f.sincos(x, s, c, x.size, *vecmath.scratch(x.size))
worst = max(worst, float(np.max(np.abs(s - np.sin(x)))), float(np.max(np.abs(c - np.cos(x)))))
print(worst)
"""


def test_exact_whichever_kernel_compiles_them_first(tmp_path):
    """numba compiles a callee with its caller's fastmath flags unless the callee sets its own:
    in a fresh cache, a reassociating kernel compiled first must not change these functions
    (their rounding tricks would turn exp into garbage)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", _FASTMATH_CALLER_FIRST], env=env, check=True,
                          capture_output=True, text=True, timeout=600)
    assert float(done.stdout.strip().splitlines()[-1]) < 1e-14
