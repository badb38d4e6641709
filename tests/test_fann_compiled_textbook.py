"""The compiled epochs in textbook mode (``fann_compatible=False``) against the NumPy path.

Textbook mode has no libfann to follow bit for bit: the reference is FannTrainer's own NumPy
path (``backend="numpy"``), which takes the network's functions and exact derivatives from
neuronless.activations and the published step rules from neuronless.optimizers. The compiled
trainer must follow it epoch after epoch (weights, MSE, bit fail; 10 epochs from the same
start) for every trainable FANN activation, per-neuron mixes (with elu and softplus, which
textbook mode takes too), layered, shortcut and sparse nets, both error functions, all five
algorithms, float64 and float32, saturated units and a network with its own clamp. Only the
order of the sums differs (and, in float32, NumPy's float32 exp, tanh, sin and cos against
the kernel's, taken in double and rounded): float64 weights agree to 1e-12 relative (to
``max(|w|, 0.01)``), float32 ones to 1e-5, except where the dynamics amplify float rounding
(:func:`rtol`, each bound measured and stated). Then the backend choice in textbook mode, and
the backends taking turns on one trainer.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from neuronless.activations import Activation
from neuronless.errors import ConfigError
from neuronless.fann.params import FannParams
from neuronless.fann.train import COMPILED_MAX_WORK, FannTrainer
from neuronless.network import Network


def _sibling(name: str):
    """A helper module next to this file (pytest's importlib mode puts no test dir on sys.path)."""
    spec = importlib.util.spec_from_file_location(f"_fann_textbook_{name}",
                                                  Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_fc = _sibling("test_fann_compiled")
data, mixed_net, _rel = _fc.data, _fc.mixed_net, _fc._rel
MIX_A, MIX_B, MIX_RECT, UNIFORM = _fc.MIX_A, _fc.MIX_B, _fc.MIX_RECT, _fc.UNIFORM
TOPOLOGIES = _fc.TOPOLOGIES
SINGLE = [*_fc.SINGLE, "linear_piece_rect", "linear_piece_rect_leaky"]

ALGORITHMS = ["incremental", "batch", "rprop", "quickprop", "sarprop"]
ERROR_FUNCTIONS = ["tanh", "linear"]
MIXES = {"mixA": MIX_A, "mixB": MIX_B, "mixRect": MIX_RECT, "uniform": UNIFORM}
EPOCHS = 10


def rtol(alg, dtype, mix="") -> float:
    """How close the compiled weights must stay to NumPy's over :data:`EPOCHS` epochs.

    Only the order of the sums differs (float64: <= 6e-13), and in float32 the rounding of
    exp, tanh, sin and cos; the dynamics amplify that where (measured over this file's
    cases): quickprop's secant ``d s / (s_prev - s)`` divides by the difference of two slopes
    summed in another order, from the second epoch on (float64 <= 3e-12 at epoch 10; float32
    <= 3e-5 at epoch 2, <= 1e-3 at epoch 10: the published rule, unlike FANN's, takes every
    previous step however small as a secant); INCREMENTAL's 400 steps (float32 <= 3.5e-5), with
    MIX_RECT's kinks (relu's derivative jumps at 0, the stepwise sigmoids' at their
    breakpoints: a rounding difference on either side is a different slope) <= 1.3e-3. On
    AVX-512 machines NumPy's float64 exp and tanh are its own SIMD ones, which differ from the
    C library's (the kernel's) in the last bit; INCREMENTAL with MIX_RECT's kinks took that to
    2.2e-12 by epoch 4 there.
    """
    if np.dtype(dtype) == np.float64:
        if alg == "incremental" and mix == "mixRect":
            return 1e-11
        return 5e-12 if alg == "quickprop" else 1e-12
    if alg == "quickprop":
        return 2e-3
    if alg == "incremental":
        return 3e-3 if mix == "mixRect" else 6e-5
    return 1e-5


def textbook_params(alg, **kw):
    # SARPROP's random term (its NumPy step on either backend) scales with the MSE, which the
    # backends sum in another order: threshold 0 keeps it out of the comparison
    settings = {"learning_momentum": 0.3, "learning_rate": 0.05 if alg == "incremental" else 0.7,
                "sarprop_step_error_threshold_factor": 0.0, **kw}
    return FannParams(training_algorithm=alg, **settings)


def trajectory(net, p, X, Y, epochs=EPOCHS):
    """Per epoch: the NumPy and the compiled trainer's (weights, MSE, bit fail), both in
    textbook mode, from the same start."""
    ref = net.copy()
    want_t = FannTrainer(ref, p, fann_compatible=False, backend="numpy")
    got_t = FannTrainer(net, p, fann_compatible=False, backend="compiled")
    out = []
    for _ in range(epochs):
        want_mse = want_t.train_epoch(X, Y)
        got_mse = got_t.train_epoch(X, Y)
        assert (want_t.last_backend, got_t.last_backend) == ("numpy", "compiled")
        out.append((ref.params.copy(), net.params.copy(), want_mse, got_mse,
                    want_t.last_bit_fail, got_t.last_bit_fail))
    return out


def check(net, p, X, Y, tol, where):
    """The two trajectories agree each epoch: weights to ``tol`` relative, MSE to 1e-12
    (float64) or 1e-5 (float32, the MSE summed in another order) relative, or to ``tol`` where
    that is looser (the weights' difference shows in the MSE), bit fail exactly."""
    start = net.params.copy()
    mse_tol = max(tol, 1e-12 if net.dtype == np.float64 else 1e-5)
    for epoch, (want, got, want_mse, got_mse, want_bits, got_bits) in enumerate(
            trajectory(net, p, X, Y), 1):
        at = f"{where}, epoch {epoch}"
        assert np.isfinite(want).all(), f"{at}: the reference diverged"  # NaN passes <=
        assert _rel(got, want) <= tol, f"{at}: weights"
        assert got_mse == pytest.approx(want_mse, rel=mse_tol), f"{at}: MSE"
        assert got_bits == want_bits, f"{at}: bit fail"
    moved = np.max(np.abs(got - start))
    assert moved > (1e-5 if p.training_algorithm == "sarprop" else 1e-3), f"{where}: trained"


def _data(mix, alg, dtype, seed=3):
    X, Y = data(np.random.default_rng(seed), mix, n=40 if alg == "incremental" else 300)
    return X.astype(dtype), Y.astype(dtype)


@pytest.mark.parametrize("alg", ALGORITHMS)
@pytest.mark.parametrize("topology", list(TOPOLOGIES))
def test_textbook_epochs_equal_numpy(topology, alg):
    sizes, shortcut, sparse = TOPOLOGIES[topology]
    for dtype in (np.float64, np.float32):
        for name, mix in MIXES.items():
            for ef in ERROR_FUNCTIONS:
                X, Y = _data(mix, alg, dtype)
                p = textbook_params(alg, train_error_function=ef)
                net = mixed_net(sizes, mix, shortcut, sparse, dtype)
                where = f"{np.dtype(dtype)}, {name}, {ef} error"
                check(net, p, X, Y, rtol(alg, dtype, name), where)


@pytest.mark.parametrize("activation", SINGLE)
def test_textbook_epochs_equal_numpy_for_each_activation(activation):
    mix = ([[(activation, 0.7)]], [("sigmoid", 0.5)])
    for alg in ALGORITHMS:
        for dtype in (np.float64, np.float32):
            for ef in ERROR_FUNCTIONS:
                X, Y = _data(mix, alg, dtype)
                p = textbook_params(alg, train_error_function=ef)
                net = mixed_net([3, 4, 3, 2], mix, dtype=dtype)
                check(net, p, X, Y, rtol(alg, dtype), f"{alg}, {np.dtype(dtype)}, {ef} error")


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_textbook_epochs_with_activations_fann_does_not_have(alg):
    # elu and softplus (neuronless's own, textbook mode only) beside FANN's, hidden and output
    hidden = ["elu", "softplus", "relu", "tanh", "elu", "leaky_relu"]
    for dtype in (np.float64, np.float32):
        for output in (["softplus", "elu"], ["sigmoid", "softplus"]):
            net = Network([3, 6, 4, 2], [hidden, ["softplus", "elu", "sigmoid", "elu"], output],
                          steepness=[np.array([1.0, 0.7, 0.5, 0.8, 1.5, 0.9]), 0.8, 1.0],
                          shortcut=output[0] == "sigmoid", dtype=dtype)
            net.params[:] = np.random.default_rng(1).uniform(-0.5, 0.5, net.params.size)
            X, Y = _data(MIX_A, alg, dtype)
            # relu's kinks (MIX_RECT's bounds); in float32 also FANN's tanh error of the
            # unbounded outputs: ln((1 + d) / (1 - d)) near |d| = 1 amplifies the rounding of
            # d (BATCH: measured 1e-5)
            tol = rtol(alg, dtype, "mixRect")
            tol = max(tol, 3e-5) if dtype == np.float32 else tol
            for ef in ERROR_FUNCTIONS:
                check(net.copy(), textbook_params(alg, train_error_function=ef), X, Y, tol,
                      f"{np.dtype(dtype)}, {output}, {ef} error")

@pytest.mark.parametrize("alg", ALGORITHMS)
def test_textbook_epochs_with_saturated_units(alg):
    # weights 4 times larger: sigmoid and tanh outputs beyond FANN's clips of y in its
    # derivatives (0.01-0.99, +-0.98), where the exact derivative is not FANN's
    for dtype in (np.float64, np.float32):
        for name in ("uniform", "mixA"):
            for ef in ERROR_FUNCTIONS:
                net = mixed_net([3, 6, 4, 2], MIXES[name], dtype=dtype)
                net.params *= 4.0
                X, Y = _data(MIXES[name], alg, dtype)
                a = np.concatenate([layer.a.ravel() for layer in net.trace(X).layers])
                assert np.mean(np.abs(a) > 0.99) > 0.01
                check(net, textbook_params(alg, train_error_function=ef), X, Y,
                      rtol(alg, dtype), f"{np.dtype(dtype)}, {name}, {ef} error")

@pytest.mark.parametrize("alg", ALGORITHMS)
def test_textbook_epochs_with_the_networks_own_clamp(alg):
    # the clamp bounds x = steepness * z before f; f' is taken at the clamped x (clamp 0.4
    # is reached: sums of 3 inputs in [-1, 1] with weights in [-0.5, 0.5])
    for dtype in (np.float64, np.float32):
        net = Network([3, 4, 3, 2], [["tanh", "gaussian", "elliot", "sin"], "sigmoid",
                                     ["sigmoid", "tanh"]],
                      steepness=[np.array([0.5, 0.7, 1.0, 0.6]), 1.3, np.array([1.0, 0.8])],
                      clamp=[0.4, np.array([0.5, 1.0, 2.0]), None], dtype=dtype)
        net.params[:] = np.random.default_rng(1).uniform(-0.5, 0.5, net.params.size)
        X, Y = _data(MIX_A, alg, dtype)
        check(net, textbook_params(alg), X, Y, rtol(alg, dtype), f"{np.dtype(dtype)}")


def test_textbook_mode_runs_compiled(rng):
    net = Network.create([3, 4, 2], seed=0, dtype=np.float64)
    X, Y = rng.uniform(-1, 1, (20, 3)), rng.uniform(0, 1, (20, 2))
    forced = FannTrainer(net.copy(), fann_compatible=False, backend="compiled")
    forced.train_epoch(X, Y)
    assert forced.last_backend == "compiled"
    # auto: the same work rule as FANN-compatible mode
    n = COMPILED_MAX_WORK // net.params.size
    Xn, Yn = rng.uniform(-1, 1, (n + 1, 3)), rng.uniform(0, 1, (n + 1, 2))
    auto = FannTrainer(net.copy(), fann_compatible=False)
    auto.train_epoch(Xn[:n], Yn[:n])
    assert auto.last_backend == "compiled"
    auto.train_epoch(Xn, Yn)
    assert auto.last_backend == "numpy"
    # an activation the kernels do not know is trained by NumPy only (textbook mode takes it)
    cube = Activation("cube", f=lambda x: x**3, df=lambda x, a: 3.0 * x * x, needs_x=True)
    own = Network([3, 4, 2], [cube, "sigmoid"], dtype=np.float64)
    with pytest.raises(ConfigError, match="'cube' is not compiled") as err:
        FannTrainer(own, fann_compatible=False, backend="compiled")
    assert "backend='auto' or 'numpy'" in str(err.value)
    fallback = FannTrainer(own, fann_compatible=False)
    fallback.train_epoch(X, Y)
    assert fallback.last_backend == "numpy"
    # the textbook quickprop is a weight decay: FANN's positive quickprop_decay is refused
    grow = FannParams(training_algorithm="quickprop", quickprop_decay=1e-3)
    with pytest.raises(ConfigError, match="quickprop_decay must be <= 0"):
        FannTrainer(net.copy(), grow, fann_compatible=False, backend="compiled").train_epoch(X, Y)


@pytest.mark.parametrize("alg", ["incremental", "rprop", "quickprop", "sarprop"])
def test_textbook_backends_take_turns_on_one_trainer(alg):
    # the optimizer state (momentum, steps, previous slopes, epoch counter) is shared
    X, Y = _data(MIX_B, alg, np.float64)
    p = textbook_params(alg, learning_momentum=0.5)
    ref = mixed_net([3, 5, 4, 2], MIX_B, shortcut=True)
    net = ref.copy()
    numpy_only = FannTrainer(ref, p, fann_compatible=False, backend="numpy")
    turns = FannTrainer(net, p, fann_compatible=False, backend="numpy")
    for epoch in range(EPOCHS):
        turns.backend = "compiled" if epoch % 2 else "numpy"
        numpy_only.train_epoch(X, Y)
        turns.train_epoch(X, Y)
        assert turns.last_backend == turns.backend
        assert _rel(net.params, ref.params) <= rtol(alg, np.float64), f"epoch {epoch + 1}"
    start = mixed_net([3, 5, 4, 2], MIX_B, shortcut=True).params
    assert np.max(np.abs(ref.params - start)) > 1e-5
