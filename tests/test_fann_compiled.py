"""FANN's compiled epochs (neuronless.fann.compiled) against libfann and the NumPy path.

* Against libfann itself (``libfann_double``, ``libfann_float``; skipped without it): a net is
  built in libfann and copied into an identical Network (tests/test_fann_train.py's ``build``),
  both train on the same data, and after every epoch the compiled trainer's weights, MSE and
  bit fail must be libfann's *bit for bit*, in float64 and in float32, for every trainable
  activation, layered, shortcut and sparse nets, both error functions.
* Against the NumPy path (``backend="numpy"``, the reference; no libfann needed): weights to
  1e-12 (float64) / 3e-5 (float32; 1.5e-4 with relu's kinks) relative over several epochs on
  a matrix of topologies, activations, error functions and all five algorithms; the backends
  taking turns on one trainer; new parameters seen by the next compiled epoch.
* The vectorised exp and log of float32 nets against long double, in ulp.
* The backend choice and its errors, the pipeline and the command line, numba's disk cache.

Textbook mode (``fann_compatible=False``) compiled: tests/test_fann_compiled_textbook.py.
"""

from __future__ import annotations

import importlib.util
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import neuronless
from neuronless import datasets
from neuronless.activations import Activation
from neuronless.errors import ConfigError
from neuronless.fann import compiled
from neuronless.fann.activations import FANN_ACTIVATIONS
from neuronless.fann.params import FannParams, to_neuronless
from neuronless.fann.train import COMPILED_MAX_WORK, FannTrainer
from neuronless.network import Network


def _sibling(name: str):
    """A helper module next to this file (pytest's importlib mode puts no test dir on sys.path)."""
    spec = importlib.util.spec_from_file_location(f"_fann_compiled_{name}",
                                                  Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_ft = _sibling("test_fann_train")
build, data, fann_configure = _ft.build, _ft.data, _ft.fann_configure
MIX_A, MIX_B, MIX_LINEAR = _ft.MIX_A, _ft.MIX_B, _ft.MIX_LINEAR

ALGORITHMS = ["incremental", "batch", "rprop", "quickprop"]
#: every activation FANN trains (hidden layer, steepness 0.7; output ("sigmoid", 0.5)), and the
#: per-neuron mixes of tests/test_fann_train.py
SINGLE = [a for a in FANN_ACTIVATIONS
          if a not in ("threshold", "linear_piece_rect", "linear_piece_rect_leaky")]
CASES = {**{a: ([[(a, 0.7)]], [("sigmoid", 0.5)]) for a in SINGLE},
         "mixA": MIX_A, "mixB": MIX_B, "mixLinear": MIX_LINEAR}
#: (shortcut, sparse connection rate, error function); FANN's INCREMENTAL on sparse nets has a
#: bug neuronless does not copy (neuronless.fann.train), so sparse nets skip it
VARIANTS = [(False, None, "tanh"), (False, None, "linear"), (True, None, "tanh"),
            (True, None, "linear"), (False, 0.5, "tanh"), (False, 0.5, "linear")]


def libfann_trajectory(lib, mix, alg, shortcut, sparse, error_function, epochs=10):
    """Per epoch (libfann's weights, ours, libfann's MSE, ours, libfann's bit fail, ours)."""
    ann, net, flat = build(lib, mix, shortcut=shortcut, sparse=sparse)
    p = FannParams(training_algorithm=alg, train_error_function=error_function,
                   learning_momentum=0.2, learning_rate=0.3 if alg == "incremental" else 0.7)
    fann_configure(ann, p)
    X, Y = data(np.random.default_rng(7), mix)
    fdata = lib.train_data(X, Y)
    trainer = FannTrainer(net, p, backend="compiled")
    X, Y = X.astype(lib.dtype), Y.astype(lib.dtype)
    start = net.params.copy()
    out = []
    for _ in range(epochs):
        want_mse = ann.train_epoch(fdata)
        got_mse = trainer.train_epoch(X, Y)
        assert trainer.last_backend == "compiled"
        out.append((ann.weights(), net.params[flat].copy(), want_mse, got_mse,
                    int(ann.get_bit_fail()), trainer.last_bit_fail))
    assert np.max(np.abs(net.params - start)) > 1e-3  # training really moved the weights
    return out


def _each_trajectory(lib, mix):
    for shortcut, sparse, ef in VARIANTS:
        for alg in ALGORITHMS:
            if sparse is None or alg != "incremental":
                where = f"{alg}, shortcut={shortcut}, sparse={sparse}, {ef} error"
                yield where, libfann_trajectory(lib, mix, alg, shortcut, sparse, ef)


@pytest.mark.parametrize("case", list(CASES))
def test_float64_epochs_are_libfanns_bit_for_bit(libfann_double, case):
    # libdoublefann calls libm's exp/log/sin/cos; the float64 kernel does too, in FANN's order
    for where, epochs in _each_trajectory(libfann_double, CASES[case]):
        for epoch, (want, got, want_mse, got_mse, want_bits, got_bits) in enumerate(epochs, 1):
            assert np.array_equal(got, want), f"{where}, epoch {epoch}: weights"
            assert got_mse == want_mse, f"{where}, epoch {epoch}: MSE"
            assert got_bits == want_bits, f"{where}, epoch {epoch}: bit fail"


@pytest.mark.parametrize("case", list(CASES))
def test_float32_epochs_are_libfanns_bit_for_bit(libfann_float, case):
    # exp and log vectorised in double, then rounded to float: libm's floats; sin and cos in
    # double, as FANN's float build calls them
    mix = CASES[case]
    for where, epochs in _each_trajectory(libfann_float, mix):
        for epoch, (want, got, want_mse, got_mse, want_bits, got_bits) in enumerate(epochs, 1):
            assert got.dtype == np.float32
            assert np.array_equal(got, want), f"{where}, epoch {epoch}: weights"
            assert got_mse == want_mse, f"{where}, epoch {epoch}: MSE"
            assert got_bits == want_bits, f"{where}, epoch {epoch}: bit fail"


# ----------------------------------------------------------------- compiled vs NumPy
#: activations the mixes above leave out (relu-like, gaussian_stepwise; not the threshold,
#: whose jump turns a float32 rounding difference into another trajectory)
MIX_RECT = ([[("linear_piece_rect", 0.5), ("linear_piece_rect_leaky", 0.7),
              ("sigmoid_stepwise", 0.6), ("gaussian_stepwise", 0.5)]], [("linear", 1.0)])
UNIFORM = ([[("sigmoid_symmetric", 0.5)]], [("sigmoid", 0.5)])
TOPOLOGIES = {"layered2": ([3, 4, 3, 2], False, False), "layered3": ([3, 5, 4, 3, 2], False, False),
              "shortcut": ([3, 4, 3, 2], True, False), "sparse": ([3, 6, 5, 2], False, True),
              "sparse_shortcut": ([3, 6, 5, 2], True, True)}
#: (mix, error function, float32 tolerance). float64: 1e-12, only the order of the sums
#: differs (measured <= 5e-13, the kinked MIX_RECT; 1e-13 the others). float32: the NumPy
#: path also takes exp in float32 and sums in another order (the compiled one: exp in
#: double, FANN's order, as FANN's float build, which it equals bit for bit above), so the
#: two drift apart by float rounding, which quickprop's (d s) / (s_prev - s) and 40 x 5
#: incremental steps amplify: measured <= 1.2e-5 after 5 epochs; MIX_RECT's kinks (relu's
#: derivative jumps at 0, the stepwise sigmoid's at its breakpoints) give more, <= 6.1e-5
NUMPY_CASES = [(MIX_A, "tanh", 3e-5), (MIX_B, "linear", 3e-5), (MIX_RECT, "tanh", 1.5e-4),
               (UNIFORM, "linear", 3e-5)]


def mixed_net(sizes, mix, shortcut=False, sparse=False, dtype=np.float64, seed=1):
    """A Network with ``mix``'s per-neuron activations (as ``build`` makes them), weights
    U(-0.5, 0.5); ``sparse``: the mask of ``Network.create(..., connection_rate=0.5)``."""
    hidden, output = mix
    acts, steeps = [], []
    for k in range(1, len(sizes)):
        spec = hidden[(k - 1) % len(hidden)] if k < len(sizes) - 1 else output
        pairs = [to_neuronless(*spec[j % len(spec)]) for j in range(sizes[k])]
        acts.append([name for name, _ in pairs])
        steeps.append(np.array([s for _, s in pairs]))
    net = Network(sizes, acts, steepness=steeps, shortcut=shortcut, dtype=dtype)
    net.params[:] = np.random.default_rng(seed).uniform(-0.5, 0.5, net.params.size)
    if sparse:
        twin = Network.create(sizes, connection_rate=0.5, shortcut=shortcut, seed=seed)
        net.set_masks(twin.masks)
        assert not net.mask.all()
    return net


def params_for(alg, **kw):
    # SARPROP's random term scales with FANN's C-float MSE, which the backends sum differently
    # (compiled: float32 pattern after pattern, as FANN; NumPy: in double) - the step rule is
    # the same NumPy code either way; threshold 0 keeps the MSE out of the steps
    settings = {"learning_momentum": 0.3, "learning_rate": 0.2 if alg == "incremental" else 0.7,
                "sarprop_step_error_threshold_factor": 0.0, **kw}
    return FannParams(training_algorithm=alg, **settings)


def _rel(got, want):
    return float(np.max(np.abs(got - want) / np.maximum(np.abs(want), 1e-2)))


@pytest.mark.parametrize("alg", [*ALGORITHMS, "sarprop"])
@pytest.mark.parametrize("topology", list(TOPOLOGIES))
def test_compiled_epochs_equal_numpy(topology, alg):
    sizes, shortcut, sparse = TOPOLOGIES[topology]
    epochs = 15 if alg == "sarprop" else 5  # SARPROP's steps start at 1e-6
    for dtype in (np.float64, np.float32):
        for mix, ef, f32_rtol in NUMPY_CASES:
            rtol = 1e-12 if dtype == np.float64 else f32_rtol
            # more than compiled.BLOCK patterns: more than one block of patterns
            X, Y = data(np.random.default_rng(3), mix, n=40 if alg == "incremental" else 300)
            X, Y = X.astype(dtype), Y.astype(dtype)
            p = params_for(alg, train_error_function=ef)
            ref = mixed_net(sizes, mix, shortcut, sparse, dtype)
            net = ref.copy()
            want_t = FannTrainer(ref, p, backend="numpy")
            got_t = FannTrainer(net, p, backend="compiled")
            for epoch in range(1, epochs + 1):
                want_mse = want_t.train_epoch(X, Y)
                got_mse = got_t.train_epoch(X, Y)
                where = f"{np.dtype(dtype)}, {mix[1]}, {ef}, epoch {epoch}"
                assert (want_t.last_backend, got_t.last_backend) == ("numpy", "compiled")
                assert _rel(net.params, ref.params) <= rtol, where
                # FANN's MSE is a C float (compiled) or a double (NumPy): float rounding
                assert got_mse == pytest.approx(want_mse, rel=1e-5), where
                assert got_t.last_bit_fail == want_t.last_bit_fail, where
                if alg == "sarprop":  # the kernel's slopes (live connections), for its step
                    live = slice(None) if net.mask is None else net.mask
                    assert _rel(got_t.grads[live], want_t.grads[live]) <= rtol, where
            if sparse:
                assert np.all(net.params[~net.mask] == 0)
            start = mixed_net(sizes, mix, shortcut, sparse, dtype).params
            assert np.max(np.abs(ref.params - start)) > (1e-5 if alg == "sarprop" else 1e-3)


@pytest.mark.parametrize("alg", ["incremental", "rprop", "quickprop", "sarprop"])
def test_the_backends_take_turns_on_one_trainer(alg):
    # the optimizer state (momentum, steps, previous slopes, epoch counter) is shared
    mix = MIX_B
    X, Y = data(np.random.default_rng(3), mix, n=40 if alg == "incremental" else 300)
    p = params_for(alg, learning_momentum=0.5)
    ref = mixed_net([3, 5, 4, 2], mix, shortcut=True)
    net = ref.copy()
    numpy_only = FannTrainer(ref, p, backend="numpy")
    turns = FannTrainer(net, p, backend="numpy")
    for epoch in range(10):
        turns.backend = "compiled" if epoch % 2 else "numpy"
        numpy_only.train_epoch(X, Y)
        turns.train_epoch(X, Y)
        assert turns.last_backend == turns.backend
        assert _rel(net.params, ref.params) <= 1e-12, f"epoch {epoch + 1}"
    assert np.max(np.abs(ref.params - mixed_net([3, 5, 4, 2], mix, shortcut=True).params)) > 1e-5


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_new_params_are_seen_by_the_next_compiled_epoch(alg):
    X, Y = data(np.random.default_rng(3), MIX_A, n=40 if alg == "incremental" else 300)
    p = params_for(alg)
    q = p.replace(learning_rate=0.05 if alg == "incremental" else 0.3, learning_momentum=0.1,
                  quickprop_mu=1.2, rprop_increase_factor=1.5, rprop_delta_max=0.5)
    nets = [mixed_net([3, 4, 3, 2], MIX_A) for _ in range(3)]
    ref, changed, kept = (FannTrainer(n, p, backend=b)
                          for n, b in zip(nets, ["numpy", "compiled", "compiled"], strict=True))
    for epoch in range(6):
        if epoch == 2:
            ref.params = q
            changed.params = q
        for t in (ref, changed, kept):
            t.train_epoch(X, Y)
        assert _rel(nets[1].params, nets[0].params) <= 1e-12, f"epoch {epoch + 1}"
    assert np.max(np.abs(nets[2].params - nets[0].params)) > 1e-3  # the change mattered


# ----------------------------------------------------------------- exp and log (float32 nets)
def _run_block(fn, x):
    """``fn`` as the kernel calls it, with the vectorised (not libm's) path."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    out, f, sc = np.empty_like(x), np.empty_like(x), np.empty_like(x)
    fn(x, out, x.size, f, f.view(np.int64), sc, sc.view(np.int64), False)
    return out


def _ulps(got, x, exact):
    ref = exact(x.astype(np.longdouble))
    return (np.abs(got.astype(np.longdouble) - ref)
            / np.spacing(np.abs(ref.astype(np.float64))).astype(np.longdouble))


def test_vectorised_exp_within_1_ulp_and_log_within_2(rng):
    if np.finfo(np.longdouble).nmant < 60:
        pytest.skip("long double is no wider than double here: no exact reference")
    compiled._compiled()  # binds the kernels' _exp_jit / _log_jit
    x = np.concatenate([rng.uniform(-708, 709, 300_000), rng.uniform(-1, 1, 50_000),
                        rng.uniform(-1e-3, 1e-3, 20_000), np.linspace(-708, 709, 50_001),
                        [0.0, 0.5 * np.log(2), -0.5 * np.log(2)]])
    u = _ulps(_run_block(compiled._exp_jit, x), x, np.exp)
    assert u.max() <= 1.0, f"exp: {float(u.max()):.3f} ulp at {x[np.argmax(u)]!r}"
    tiny, big = np.finfo(np.float64).tiny, np.finfo(np.float64).max
    y = np.concatenate([2.0 ** rng.uniform(-1022, 1023.9, 300_000), rng.uniform(0.5, 2, 100_000),
                        1 + rng.uniform(-1e-6, 1e-6, 20_000), 1 + rng.uniform(-1e-12, 1e-12, 5000),
                        [tiny, big, 0.5, 2.0, np.sqrt(2), np.nextafter(np.sqrt(2), 0),
                         np.nextafter(1.0, 2), np.nextafter(1.0, 0)]])
    got = _run_block(compiled._log_jit, y)
    u = _ulps(got, y, np.log)
    assert u.max() <= 2.0, f"log: {float(u.max()):.3f} ulp at {y[np.argmax(u)]!r}"
    assert _run_block(compiled._log_jit, [1.0])[0] == 0.0
    # the float64 path calls the C library's exp/log (as Python's math module does) bit for
    # bit; NumPy's own SIMD exp may differ from it in the last bit on some CPUs
    x, y = x[:1000], y[:1000]
    out, f = np.empty_like(x), np.empty_like(x)
    compiled._exp_jit(x, out, x.size, f, f.view(np.int64), f, f.view(np.int64), True)
    assert np.array_equal(out, [math.exp(v) for v in x])
    compiled._log_jit(y, out, y.size, f, f.view(np.int64), f, f.view(np.int64), True)
    assert np.array_equal(out, [math.log(v) for v in y])


def test_vectorised_exp_and_log_special_values():
    compiled._compiled()
    inf, nan = np.inf, np.nan
    # exp: NaN stays NaN; beyond 709 inf, below -708 (a subnormal result) 0
    got = _run_block(compiled._exp_jit, [nan, inf, -inf, 709.5, 710.0, 1e308, -708.5, -800.0,
                                         -1e308, 709.0, -708.0])
    np.testing.assert_array_equal(got[:9], [nan, inf, 0.0, inf, inf, inf, 0.0, 0.0, 0.0])
    assert np.isfinite(got[9:]).all()
    assert (got[9:] > 0).all()
    # log (positive normals; else as C's): NaN, +inf, -inf at +-0, NaN for negatives
    got = _run_block(compiled._log_jit, [nan, inf, 0.0, -0.0, -1.0, -inf, -1e-300])
    np.testing.assert_array_equal(got, [nan, inf, -inf, -inf, nan, nan, nan])


# ----------------------------------------------------------------- choosing the backend
def test_backend_choice_and_its_errors(rng):
    net = Network.create([3, 4, 2], seed=0, dtype=np.float64)
    with pytest.raises(ConfigError, match="backend must be one of") as err:
        FannTrainer(net, backend="bogus")
    assert all(name in str(err.value) for name in ("'auto'", "'numpy'", "'compiled'", "bogus"))
    # textbook mode takes any elementwise activation; the kernels evaluate only known ones
    cube = Activation("cube", f=lambda x: x**3, df=lambda x, a: 3.0 * x * x, needs_x=True)
    own = Network([3, 4, 2], [cube, "sigmoid"], dtype=np.float64)
    with pytest.raises(ConfigError, match="backend='compiled'") as err:
        FannTrainer(own, backend="compiled", fann_compatible=False)
    assert "'cube' is not compiled" in str(err.value)
    assert "backend='auto' or 'numpy'" in str(err.value)  # how to fix it
    X, Y = rng.uniform(-1, 1, (20, 3)), rng.uniform(0, 1, (20, 2))
    textbook = FannTrainer(own, fann_compatible=False)  # auto: falls back to NumPy
    textbook.train_epoch(X, Y)
    assert textbook.last_backend == "numpy"
    textbook = FannTrainer(net.copy(), fann_compatible=False)  # test_fann_compiled_textbook.py
    textbook.train_epoch(X, Y)
    assert textbook.last_backend == "compiled"
    # auto: compiled up to COMPILED_MAX_WORK connections x patterns, NumPy beyond
    n = COMPILED_MAX_WORK // net.params.size
    X, Y = rng.uniform(-1, 1, (n + 1, 3)), rng.uniform(0, 1, (n + 1, 2))
    auto = FannTrainer(net.copy())
    auto.train_epoch(X[:20], Y[:20])
    assert auto.last_backend == "compiled"
    auto.train_epoch(X[:n], Y[:n])
    assert auto.last_backend == "compiled"
    auto.train_epoch(X, Y)
    assert auto.last_backend == "numpy"
    forced = FannTrainer(net.copy(), backend="compiled")
    forced.train_epoch(X, Y)
    assert forced.last_backend == "compiled"
    numpy = FannTrainer(net.copy(), backend="numpy")
    numpy.train_epoch(X[:20], Y[:20])
    assert numpy.last_backend == "numpy"


# ----------------------------------------------------------------- pipeline, CLI, cache
def test_pipeline_records_the_backend():
    ds = datasets.iris()
    table = {f"x{i}": ds.X[:, i] for i in range(4)}
    table["species"] = np.array(["a", "b", "c"])[ds.y]
    models = {b: neuronless.train(table, "species", fann_compatible=True, optimizer="rprop",
                                  epochs=10, layers=[6], backend=b) for b in ("compiled", "numpy")}
    assert models["compiled"].info["backend"] == "compiled"
    assert models["numpy"].info["backend"] == "numpy"
    np.testing.assert_allclose(models["compiled"].net.params, models["numpy"].net.params,
                               rtol=1e-5, atol=1e-6)


def test_cli_fann_compatible_compiled_backend(tmp_path, capsys):
    from neuronless.cli import main

    ds = datasets.iris()
    names = np.array(["setosa", "versicolor", "virginica"])
    lines = ["sl,sw,pl,pw,species"] + [",".join([*map(str, x), names[y]])
                                        for x, y in zip(ds.X, ds.y, strict=True)]
    csv = tmp_path / "iris.csv"
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "model.nless"
    assert main(["train", str(csv), "--optimizer", "rprop", "--fann-compatible", "--backend",
                 "compiled", "--epochs", "20", "-o", str(out)]) == 0
    assert "FANN-compatible training: rprop" in capsys.readouterr().err
    assert main(["info", str(out)]) == 0
    assert "compiled epochs" in capsys.readouterr().out


_TRAIN_ONCE = """
import numpy as np
from neuronless import Network
from neuronless.fann import compiled
from neuronless.fann.params import FannParams
from neuronless.fann.train import FannTrainer
net = Network.create([2, 3, 1], seed=0, dtype=np.float32)
X = np.ones((4, 2), dtype=np.float32)
trainer = FannTrainer(net, FannParams(train_error_function="tanh"), backend="compiled")
trainer.train_epoch(X, X[:, :1])
assert trainer.last_backend == "compiled"
stats = compiled._compiled().stats
print(len(stats.cache_hits), len(stats.cache_misses))
"""


def test_a_second_process_loads_the_fann_kernel_from_numbas_cache(tmp_path):
    # float32 only: it reaches the vectorised exp and log as well (one compile, ~20 s)
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path),
           "PYTHONPATH": os.pathsep.join([str(Path(neuronless.__file__).parents[1]),
                                          *filter(None, [os.environ.get("PYTHONPATH")])])}

    def run():
        done = subprocess.run([sys.executable, "-c", _TRAIN_ONCE], env=env, check=True,
                              capture_output=True, text=True, timeout=600)
        files = {p.relative_to(tmp_path): p.stat().st_mtime_ns for p in tmp_path.rglob("*")
                 if p.is_file()}
        return done.stdout.split(), files

    (hits, misses), first = run()
    assert (hits, misses) == ("0", "1")  # compiled here
    assert any(p.suffix == ".nbi" and "_epoch" in p.name for p in first)
    assert any(p.suffix == ".nbc" and "_epoch" in p.name for p in first)
    (hits, misses), second = run()
    assert (hits, misses) == ("1", "0")  # loaded from the disk
    assert second == first  # nothing compiled again, nothing rewritten
