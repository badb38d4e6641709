"""Cascade2's compiled candidate epochs (neuronless.cascade_kernels) against the NumPy reference.

The reference is :func:`neuronless.cascade.candidate_scores_and_grads`, itself checked by hand
calculation and finite differences in tests/test_cascade.py: the compiled epoch must give the
same scores and gradients (float64 to 1e-12 relative, float32 to 1e-5) and grow the same net.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import neuronless as nl
from neuronless import ConfigError, cascade
from neuronless.cascade import _Pool, candidate_scores_and_grads, cascade_train
from neuronless.fann.params import FannParams

pytest.importorskip("numba")

from neuronless.cascade_kernels import BLOCK, CandidateKernel

TOL = {np.float64: 1e-12, np.float32: 1e-5}
#: the four families with every FANN function of each, two steepnesses, three groups
POOLS = {
    "default": FannParams(),
    "symmetric": FannParams(cascade_activation_functions=(
        "sigmoid_symmetric", "gaussian_symmetric", "elliot_symmetric", "cos_symmetric"),
        cascade_activation_steepnesses=(0.3, 1.7), cascade_num_candidate_groups=3),
}


def _problem(rng, m, n_cols, n_out, C, dtype):
    A = np.column_stack([rng.normal(size=(m, n_cols - 1)), np.ones(m)]).astype(dtype)
    E = rng.normal(size=(m, n_out)).astype(dtype)
    W = rng.uniform(-1.5, 1.5, size=(n_cols, C)).astype(dtype)
    V = rng.uniform(-1, 1, size=(C, n_out)).astype(dtype)
    return A, E, W, V


def _compiled(A, E, W, V, pool, fann_compatible):
    kernel = CandidateKernel(A, E, pool.families, pool.fann_steepness, pool.scale, pool.offset,
                             pool.phase, fann_compatible)
    gW, gV = np.full_like(W, np.nan), np.full_like(V, np.nan)
    scores = kernel(W, V, gW, gV)
    return scores, gW, gV


def _close(got, want, rtol):
    scale = np.max(np.abs(want))
    np.testing.assert_allclose(got, want, rtol=0, atol=rtol * scale)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fann_compatible", [True, False])
@pytest.mark.parametrize("pool_name", sorted(POOLS))
@pytest.mark.parametrize(("m", "n_cols", "n_out"),
                         [(7, 3, 1), (BLOCK, 5, 2), (2 * BLOCK + 37, 12, 3)])
def test_scores_and_gradients_equal_numpys(rng, dtype, fann_compatible, pool_name, m, n_cols,
                                           n_out):
    pool = _Pool.build(POOLS[pool_name])
    A, E, W, V = _problem(rng, m, n_cols, n_out, pool.size, dtype)
    want = candidate_scores_and_grads(A, E, W, V, pool, fann_compatible)
    got = _compiled(A, E, W, V, pool, fann_compatible)
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape
        _close(g, w, TOL[dtype])


def test_every_family_and_the_fann_quirks_are_each_checked(rng):
    """Each family alone, so one family's mistake cannot hide behind the others' sums; and
    the FANN-mode quirks (tanh clip, Elliot's unscaled derivative, halved input gradients)
    really change the result, so the comparison above does see them."""
    base = _Pool.build(FannParams())
    A, E, W, V = _problem(rng, 300, 4, 2, base.size, np.float64)
    W *= 3.0  # large net inputs: tanh saturates past the clip
    fam = np.array(base.families)
    for family in ("tanh", "gauss", "elliot", "sin"):
        sel = np.flatnonzero(fam == family)
        sub = _Pool.build(FannParams(cascade_activation_functions=tuple(
            dict.fromkeys(base.names[i] for i in sel))))
        cols = [i for i in sel if base.names[i] in sub.names]
        Ws, Vs = W[:, cols[: sub.size]], V[cols[: sub.size]]
        for fc in (True, False):
            want = candidate_scores_and_grads(A, E, Ws, Vs, sub, fc)
            got = _compiled(A, E, Ws, Vs, sub, fc)
            for g, w in zip(got, want, strict=True):
                _close(g, w, 1e-12)
        if family in ("tanh", "elliot"):
            fann = _compiled(A, E, Ws, Vs, sub, True)[1]
            text = _compiled(A, E, Ws, Vs, sub, False)[1]
            assert not np.allclose(2 * fann, text, rtol=1e-6)


def test_a_cascade_grows_the_same_net_compiled_and_on_numpy():
    X = np.array(list(itertools.product([0.0, 1.0], repeat=4)))
    Y = (X.sum(axis=1) % 2).reshape(-1, 1)
    nets = {}
    for backend in ("numpy", "compiled"):
        nets[backend] = cascade_train(X, Y, max_neurons=4, seed=3, dtype=np.float64,
                                      backend=backend)
    (n_net, n_rep), (c_net, c_rep) = nets["numpy"], nets["compiled"]
    assert n_rep.backend == "numpy"
    assert c_rep.backend == "compiled"
    assert [(u.activation, u.steepness, u.candidate_epochs) for u in c_rep.units] == [
        (u.activation, u.steepness, u.candidate_epochs) for u in n_rep.units]
    assert c_rep.output_epochs == n_rep.output_epochs
    np.testing.assert_allclose(c_net.params, n_net.params, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(c_rep.mse, n_rep.mse, rtol=1e-9, atol=1e-15)


def test_float32_cascade_compiled_reaches_the_same_quality():
    X, y = nl.datasets.xor()
    _, rep = cascade_train(X, y.reshape(-1, 1), max_neurons=6, desired_error=1e-3, seed=0,
                           backend="compiled")
    assert rep.backend == "compiled"
    assert rep.mse[-1] <= 1e-3
    assert "candidates on compiled" in str(rep)


def test_auto_decides_unit_by_unit(monkeypatch):
    """The candidates' inputs grow with every unit: "auto" compiles while they are at most
    COMPILED_MAX_INPUTS and goes to NumPy beyond."""
    X = np.array(list(itertools.product([0.0, 1.0], repeat=3)))
    Y = (X.sum(axis=1) % 2).reshape(-1, 1)
    monkeypatch.setattr(cascade, "COMPILED_MAX_INPUTS", 3 + 1 + 1)
    calls = []
    real = cascade._train_candidates

    def spy(*args):
        calls.append(args[-1])
        return real(*args)

    monkeypatch.setattr(cascade, "_train_candidates", spy)
    _, rep = cascade_train(X, Y, max_neurons=3, seed=0)
    assert calls == [True, True, False]  # 4, 5, then 6 input columns
    assert rep.backend == "compiled, numpy"
    monkeypatch.setattr(cascade, "COMPILED_MAX_INPUTS", 0)
    calls.clear()
    _, rep = cascade_train(X, Y, max_neurons=2, seed=0, backend="compiled")
    assert calls == [True, True]  # "compiled" ignores the work rule
    calls.clear()
    _, rep = cascade_train(X, Y, max_neurons=2, seed=0, backend="numpy")
    assert calls == [False, False]
    assert rep.backend == "numpy"


def test_backend_errors_are_one_clear_line():
    X, y = nl.datasets.xor()
    with pytest.raises(ConfigError, match=r"backend must be one of \['auto', 'numpy', "):
        cascade_train(X, y, max_neurons=1, backend="gpu")
    linear = FannParams(cascade_activation_functions=("sigmoid", "linear_piece"))
    with pytest.raises(ConfigError, match=r"\['linear_piece'\] are not compiled.*backend='auto'"):
        cascade_train(X, y, max_neurons=1, params=linear, backend="compiled")
    _, rep = cascade_train(X, y, max_neurons=1, params=linear)  # auto: NumPy does it
    assert rep.backend == "numpy"


def test_cli_cascade_on_the_compiled_backend(tmp_path, capsys):
    from neuronless.cli import main

    path = tmp_path / "xor.csv"
    path.write_text("x1,x2,label\n0,0,no\n0,1,yes\n1,0,yes\n1,1,no\n")
    out = tmp_path / "m.nless"
    assert main(["train", str(path), "-o", str(out), "--optimizer", "cascade", "--max-neurons",
                 "4", "--desired-error", "0.001", "--validation-fraction", "0",
                 "--backend", "compiled"]) == 0
    assert "candidates on compiled" in capsys.readouterr().out
    assert main(["info", str(out)]) == 0
    assert "compiled epochs" in capsys.readouterr().out
