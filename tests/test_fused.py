"""The fused optimizer updates against the NumPy ones: bitwise the same, several steps."""

from __future__ import annotations

import numpy as np
import pytest

from neuronless import fused
from neuronless.optimizers import Adam, Momentum

pytest.importorskip("numba")


def _run(opt: Adam | Momentum, n: int, dtype: type, fused_on: bool,
         monkeypatch: pytest.MonkeyPatch) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    monkeypatch.setattr(fused, "MIN_PARAMS", 1 if fused_on else 10**12)
    rng = np.random.default_rng(0)
    params = rng.normal(size=n).astype(dtype)
    state = opt.init(params)
    for step in range(6):
        grads = rng.normal(size=n).astype(dtype) * (10.0 ** (step - 3))
        opt.step(params, grads, state, learning_rate=0.01 * (step + 1))
    return params, {k: a.copy() for k, a in state.arrays.items() if k != "scratch"}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("opt", [Adam(), Adam(beta2=0.95, eps=1e-6), Momentum(momentum=0.8)],
                         ids=["adam", "adam-b2", "momentum"])
def test_fused_equals_numpy_bitwise(opt: Adam | Momentum, dtype: type,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    n = 10_007  # not a multiple of any thread count
    p_ref, s_ref = _run(opt, n, dtype, False, monkeypatch)
    p_new, s_new = _run(opt, n, dtype, True, monkeypatch)
    assert p_new.dtype == dtype
    np.testing.assert_array_equal(p_new, p_ref)
    for key, ref in s_ref.items():
        np.testing.assert_array_equal(s_new[key], ref, err_msg=key)


def test_the_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    assert fused.available()
    assert fused.use_fused(np.zeros(fused.MIN_PARAMS))
    assert not fused.use_fused(np.zeros(fused.MIN_PARAMS - 1))
    assert not fused.use_fused(np.zeros((fused.MIN_PARAMS, 2))[:, 0])  # not contiguous
    monkeypatch.setattr(fused, "available", lambda: False)  # numba missing: NumPy
    assert not fused.use_fused(np.zeros(fused.MIN_PARAMS))


def test_numba_is_not_imported_by_the_package() -> None:
    import subprocess
    import sys

    code = ("import sys, numpy as np, neuronless as nl; from neuronless.optimizers import Adam;"
            "o = Adam(); p = np.zeros(10); s = o.init(p); o.step(p, np.ones(10), s);"
            "print('numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_openmp_threads_sleep_unless_the_user_says_otherwise() -> None:
    import os
    import subprocess
    import sys

    code = ("import os, numpy as np; from neuronless import fused;"
            "p = np.zeros(fused.MIN_PARAMS, np.float32);"
            "fused.momentum(p, p.copy(), p.copy(), 0.9, 0.1); print(os.environ['OMP_WAIT_POLICY'])")
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=env)
    assert out.stdout.strip() == "PASSIVE"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**env, "OMP_WAIT_POLICY": "ACTIVE"})
    assert out.stdout.strip() == "ACTIVE"


def test_fit_threads_bound_the_fused_updates(monkeypatch: pytest.MonkeyPatch) -> None:
    import numba

    import neuronless as nl

    seen: list[int] = []
    kernels = fused._kernels()
    original = kernels[0]

    def spy(*args: object) -> None:
        seen.append(numba.get_num_threads())
        original(*args)

    monkeypatch.setattr(fused, "_kernels", lambda: (spy, kernels[1]))
    monkeypatch.setattr(fused, "MIN_PARAMS", 1)
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(40, 3)), rng.normal(size=(40, 1))
    net = nl.Network.create([3, 4, 1], "tanh", "identity", seed=0, dtype=np.float64)
    nl.fit(net, X, Y, "mse", "adam", epochs=2, batch_size=40, threads=1, backend="numpy")
    assert seen
    assert set(seen) == {1}
    seen.clear()
    nl.fit(net, X, Y, "mse", "adam", epochs=1, batch_size=40, threads=None, backend="numpy")
    assert seen == [numba.config.NUMBA_NUM_THREADS]


_OMP_AFTER_NUMBA = r"""
import os
import numba  # imported (configuration read) before OMP_NUM_THREADS appears
import numpy as np
os.environ["OMP_NUM_THREADS"] = "1"  # as distributed's Nanny sets it in the parent process
from neuronless import fused
p = np.zeros(fused.MIN_PARAMS)
fused.adam(p, p.copy(), p.copy(), p.copy(), 0.9, 0.999, 0.01, 1e-8)
numba.njit(lambda x: x + 1)(1)  # a later compile reloads numba's configuration
print("ok", os.environ.get("NUMBA_NUM_THREADS"))
"""


def test_a_thread_count_set_after_numbas_import_does_not_break_numba():
    import os
    import subprocess
    import sys
    from pathlib import Path

    import neuronless

    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS")}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(neuronless.__file__).parents[1]), *filter(None, [os.environ.get("PYTHONPATH")])])
    done = subprocess.run([sys.executable, "-c", _OMP_AFTER_NUMBA], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["ok", "None"]
