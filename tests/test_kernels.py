"""The compiled epoch (neuronless.kernels) against the NumPy reference it must reproduce.

Every golden value here comes from the NumPy path (``Trainer(..., backend="numpy")``), which
tests/test_backprop.py and tests/test_optimizers.py check against finite differences and the
published formulas. The two differ only in the order of their sums, hence the tolerances:
1e-12 relative in float64, 1e-5 in float32.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import neuronless
import neuronless as nl
from neuronless import Network, kernels
from neuronless.errors import ConfigError
from neuronless.kernels import compiled_supported, forward
from neuronless.losses import get_loss, label_smoothing
from neuronless.optimizers import (
    SGD,
    Adam,
    AdamW,
    IRpropMinus,
    IRpropPlus,
    Momentum,
    Nesterov,
    RMSprop,
    get_optimizer,
)
from neuronless.training import Trainer, fit

TOPOLOGIES = [[2, 4, 1], [8, 16, 8, 3], [5, 3]]
# (hidden, output, loss): every loss with the output activations it pairs with
HEADS = [
    ("tanh", "sigmoid", "binary_cross_entropy"),
    ("relu", "softmax", "cross_entropy"),
    ("sigmoid", "identity", "mse"),
    ("identity", "tanh", "mse"),
    ("tanh", "relu", "mse"),
    ("relu", "sigmoid", "mse"),
]
OPTIMIZERS = {"sgd": SGD(0.1), "momentum": Momentum(0.05, 0.9), "adam": Adam(0.01),
              "nesterov": Nesterov(0.05, 0.8), "rmsprop": RMSprop(0.01, rho=0.85),
              "adamw": AdamW(0.01, weight_decay=0.05), "irprop+": IRpropPlus(),
              "irprop-": IRpropMinus()}
TOLERANCE = {np.float64: {"rtol": 1e-12, "atol": 1e-14}, np.float32: {"rtol": 1e-5, "atol": 1e-6}}


#: the NumPy step rules' own workspace (Adam's scratch, Rprop's sign masks), not state
WORKSPACE = ("scratch", "factor", "increase", "decrease")


def _data(sizes, loss, n, dtype, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, sizes[0])).astype(dtype)
    if loss == "cross_entropy":
        Y = np.eye(sizes[-1], dtype=dtype)[rng.integers(0, sizes[-1], n)]
    else:
        Y = rng.random((n, sizes[-1])).astype(dtype)
    return X, Y


def _pair(net, loss, optimizer, **kw):
    """Two trainers on copies of ``net``: the NumPy reference and the compiled path."""
    reference = Trainer(net.copy(), loss, optimizer, backend="numpy", **kw)
    compiled = Trainer(net.copy(), loss, optimizer, backend="compiled", **kw)
    return reference, compiled


def _assert_same(reference, compiled, losses_ref, losses_cmp, dtype):
    tol = TOLERANCE[dtype]
    np.testing.assert_allclose(losses_cmp, losses_ref, **tol)
    np.testing.assert_allclose(compiled.net.params, reference.net.params, **tol)
    assert compiled.state.t == reference.state.t
    for name, arr in reference.state.arrays.items():
        if name not in WORKSPACE:
            np.testing.assert_allclose(compiled.state.arrays[name], arr, **tol)


# a softmax over one output is the constant 1: nothing to train, so that pair is left out
MATRIX = [pytest.param(sizes, *head, id="-".join(map(str, sizes)) + "-" + "-".join(head))
          for sizes in TOPOLOGIES for head in HEADS if not (head[1] == "softmax" and sizes[-1] == 1)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("opt", sorted(OPTIMIZERS))
@pytest.mark.parametrize(("sizes", "hidden", "output", "loss"), MATRIX)
@pytest.mark.parametrize(("rows", "batch"), [(29, 8), (300, 40)], ids=["rowwise", "blocked"])
def test_compiled_epochs_match_numpy(sizes, hidden, output, loss, opt, dtype, rows, batch):
    # batches of 8 run row by row (kernels._epoch); of 40 (>= BLOCKED_FROM) in blocks of rows
    # side by side (kernels._epoch_blocked); both end in a short last batch (5 and 20 rows)
    assert (batch >= kernels.BLOCKED_FROM) == (rows == 300)
    net = Network.create(sizes, hidden=hidden, output=output, seed=3, dtype=dtype)
    X, Y = _data(sizes, loss, rows, dtype)
    reference, compiled = _pair(net, loss, OPTIMIZERS[opt], batch_size=batch)
    losses_ref = [reference.epoch(X, Y) for _ in range(6)]
    losses_cmp = [compiled.epoch(X, Y) for _ in range(6)]
    assert compiled.last_backend == "compiled"
    assert reference.last_backend == "numpy"
    assert not np.allclose(compiled.net.params, net.params)  # it did train
    _assert_same(reference, compiled, losses_ref, losses_cmp, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("opt", ["irprop+", "irprop-"])
@pytest.mark.parametrize("rows", [21, 700])
def test_full_batch_rprop_matches_numpy(opt, dtype, rows):
    # the recommended recipe's step rule: full batch, L2, iRprop+ (its loss-driven backtrack)
    net = Network.create([6, 9, 5, 1], hidden="tanh", output="sigmoid", seed=5, dtype=dtype)
    X, Y = _data([6, 9, 5, 1], "binary_cross_entropy", rows, dtype, seed=2)
    Y = (Y > 0.5).astype(dtype)
    reference, compiled = _pair(net, "binary_cross_entropy", OPTIMIZERS[opt], l2=0.5)
    losses_ref = [reference.epoch(X, Y) for _ in range(30)]
    losses_cmp = [compiled.epoch(X, Y) for _ in range(30)]
    assert compiled.last_backend == "compiled"
    assert losses_cmp[-1] < 0.9 * losses_cmp[0]  # it learned
    _assert_same(reference, compiled, losses_ref, losses_cmp, dtype)
    if opt == "irprop+":
        assert compiled.state.scalars["prev_loss"] == pytest.approx(
            reference.state.scalars["prev_loss"], rel=TOLERANCE[dtype]["rtol"])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_steepness_l2_schedule_and_full_batch_match_numpy(dtype):
    net = Network([4, 6, 5, 2], ["sigmoid", "tanh", "sigmoid"],
                  steepness=[0.5, np.linspace(0.5, 2.0, 5), 1.5], dtype=dtype)
    net.params[:] = np.random.default_rng(1).uniform(-0.5, 0.5, net.params.size)
    X, Y = _data([4, 6, 5, 2], "binary_cross_entropy", 21, dtype)
    for batch in (None, 4):
        reference, compiled = _pair(net, "binary_cross_entropy", Adam(0.02), batch_size=batch,
                                    l2=0.3)
        losses_ref = [reference.epoch(X, Y, learning_rate=0.02 / (e + 1)) for e in range(5)]
        losses_cmp = [compiled.epoch(X, Y, learning_rate=0.02 / (e + 1)) for e in range(5)]
        _assert_same(reference, compiled, losses_ref, losses_cmp, dtype)


def test_masked_net_keeps_its_missing_connections_at_zero():
    net = Network.create([6, 8, 3], hidden="tanh", output="softmax", seed=2,
                         connection_rate=0.5, dtype=np.float64)
    X, Y = _data([6, 8, 3], "cross_entropy", 20, np.float64)
    reference, compiled = _pair(net, "cross_entropy", Momentum(0.1), batch_size=6, l2=0.1)
    losses_ref = [reference.epoch(X, Y) for _ in range(4)]
    losses_cmp = [compiled.epoch(X, Y) for _ in range(4)]
    _assert_same(reference, compiled, losses_ref, losses_cmp, np.float64)
    assert net.mask is not None
    assert np.all(compiled.net.params[~net.mask] == 0.0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fit_with_shuffling_ends_where_numpy_does(dtype):
    net = Network.create([3, 5, 2], hidden="relu", output="sigmoid", seed=4, dtype=dtype)
    X, Y = _data([3, 5, 2], "binary_cross_entropy", 40, dtype)
    runs = {}
    for backend in ("numpy", "compiled"):
        copy = net.copy()
        history = fit(copy, X, Y, optimizer="adam", epochs=8, batch_size=7, seed=11,
                      backend=backend)
        assert history.backend == backend
        runs[backend] = (copy.params, history.train_loss)
    tol = TOLERANCE[dtype]
    np.testing.assert_allclose(runs["compiled"][0], runs["numpy"][0], **tol)
    np.testing.assert_allclose(runs["compiled"][1], runs["numpy"][1], **tol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("sizes", "output", "base"), [([4, 6, 3], "softmax", "cross_entropy"),
                                                       ([4, 5, 2], "sigmoid",
                                                        "binary_cross_entropy")])
def test_label_smoothed_losses_compile_as_the_base_at_smoothed_targets(dtype, sizes, output,
                                                                       base):
    # the pipeline's default classification loss (label smoothing 0.1) takes the kernels too
    net = Network.create(sizes, hidden="tanh", output=output, seed=6, dtype=dtype)
    loss = label_smoothing(base, 0.1)
    X, Y = _data(sizes, base, 30, dtype)
    reference, compiled = _pair(net, loss, Adam(0.01), batch_size=8)
    assert compiled.last_backend == "numpy"  # nothing ran yet
    losses_ref = [reference.epoch(X, Y) for _ in range(5)]
    losses_cmp = [compiled.epoch(X, Y) for _ in range(5)]
    assert compiled.last_backend == "compiled"
    _assert_same(reference, compiled, losses_ref, losses_cmp, dtype)


def test_compiled_forward_matches_network_forward():
    net = Network([5, 7, 4, 3], ["relu", "sigmoid", "softmax"], steepness=[1.0, 0.7, 2.0],
                  dtype=np.float64)
    net.params[:] = np.random.default_rng(5).normal(size=net.params.size)
    X = np.random.default_rng(6).normal(size=(9, 5))
    np.testing.assert_allclose(forward(net, X), net.forward(X), rtol=1e-12, atol=1e-15)


def test_non_finite_batch_ends_the_epoch_without_a_step_as_numpy_does():
    net = Network.create([2, 3, 1], hidden="identity", output="identity", seed=0,
                         dtype=np.float64)
    X = np.array([[1.0, 2.0], [1e308, 1e308], [3.0, 4.0]])
    Y = np.zeros((3, 1))
    reference, compiled = _pair(net, "mse", SGD(0.01), batch_size=1)
    with np.errstate(all="ignore"):
        loss_ref, loss_cmp = reference.epoch(X, Y), compiled.epoch(X, Y)
    assert not np.isfinite(loss_ref)
    assert not np.isfinite(loss_cmp)
    assert compiled.state.t == reference.state.t == 1  # only the first batch stepped
    np.testing.assert_allclose(compiled.net.params, reference.net.params, rtol=1e-12)


UNSUPPORTED = [
    ("shortcut", lambda: Network.create([2, 3, 1], shortcut=True, seed=0), "mse", "adam",
     "shortcut"),
    ("leaky relu", lambda: Network.create([2, 3, 1], hidden="leaky_relu", seed=0), "mse", "adam",
     "leaky_relu"),
    ("mixed layer", lambda: Network([2, 2, 1], [["tanh", "relu"], "sigmoid"]), "mse", "sgd",
     "mixes"),
    ("clamp", lambda: Network([2, 2, 1], ["tanh", "sigmoid"], clamp=[5.0, None]), "mse", "sgd",
     "clamp"),
    ("softmax with mse", lambda: Network.create([2, 3, 2], output="softmax", seed=0), "mse",
     "sgd", "softmax"),
    ("fann rprop", lambda: Network.create([2, 3, 1], seed=0), "mse",
     IRpropMinus(fann_compatible=True), "FANN's iRPROP-"),
    ("quickprop", lambda: Network.create([2, 3, 1], seed=0), "mse", "quickprop", "Quickprop"),
]


@pytest.mark.parametrize(("make", "loss", "opt", "reason"), [u[1:] for u in UNSUPPORTED],
                         ids=[u[0] for u in UNSUPPORTED])
def test_unsupported_falls_back_under_auto_and_raises_under_compiled(make, loss, opt, reason):
    net = make()
    optimizer = get_optimizer(opt) if isinstance(opt, str) else opt
    assert reason in (compiled_supported(net, get_loss(loss), optimizer) or "")
    with pytest.raises(ConfigError, match=f"backend='compiled' cannot train.*{reason}"):
        Trainer(net, loss, opt, backend="compiled")
    trainer = Trainer(net, loss, opt, backend="auto")
    X, Y = _data(list(net.sizes), "mse", 4, net.dtype)
    with np.errstate(all="ignore"):
        trainer.epoch(X, Y)
    assert trainer.last_backend == "numpy"


def test_auto_compiles_small_nets_and_leaves_large_batches_to_numpy():
    from neuronless.training import COMPILED_MAX_WORK, COMPILED_MAX_WORK_BLOCKED

    net = Network.create([2, 4, 1], seed=0)
    X, Y = _data([2, 4, 1], "binary_cross_entropy", 200, np.float32)
    small = Trainer(net.copy(), None, "adam", batch_size=16)
    small.epoch(X, Y)
    assert small.last_backend == "compiled"
    full = Trainer(net.copy(), None, "adam", batch_size=200)  # rows side by side
    full.epoch(X, Y)
    assert full.last_backend == "compiled"
    wide = Network.create([64, 64, 10], seed=0)  # 4810 parameters
    Xw, Yw = _data([64, 64, 10], "mse", 256, np.float32)
    for batch, backend in [(8, "compiled"), (16, "numpy"), (40, "compiled"), (64, "numpy")]:
        work = wide.params.size * batch
        limit = COMPILED_MAX_WORK_BLOCKED if batch >= kernels.BLOCKED_FROM else COMPILED_MAX_WORK
        assert (work <= limit) == (backend == "compiled")
        trainer = Trainer(wide.copy(), "mse", "adam", batch_size=batch)
        trainer.epoch(Xw, Yw)
        assert trainer.last_backend == backend, batch
    weighted = Trainer(net.copy(), None, "adam", batch_size=16)
    weighted.epoch(X, Y, weights=np.ones(200, dtype=np.float32))
    assert weighted.last_backend == "numpy"
    forced = Trainer(net.copy(), None, "adam", batch_size=16, backend="compiled")
    with pytest.raises(ConfigError, match="sample weights"):
        forced.epoch(X, Y, weights=np.ones(200, dtype=np.float32))


def test_backend_must_be_a_known_name():
    with pytest.raises(ConfigError, match="backend must be one of"):
        Trainer(Network.create([2, 2, 1], seed=0), backend="gpu")


_TRAIN_ONCE = """
import numpy as np
from neuronless import Network
from neuronless.training import Trainer
for dtype in (np.float32, np.float64):
    net = Network.create([2, 3, 1], seed=0, dtype=dtype)
    X = np.ones((4, 2), dtype=dtype)
    Trainer(net, "mse", "adam", backend="compiled").epoch(X, X[:, :1])
"""


def test_a_second_process_loads_the_kernels_from_numbas_cache(tmp_path):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path),
           "PYTHONPATH": os.pathsep.join([str(Path(neuronless.__file__).parents[1]),
                                          *filter(None, [os.environ.get("PYTHONPATH")])])}

    def run():
        subprocess.run([sys.executable, "-c", _TRAIN_ONCE], env=env, check=True, timeout=600)
        return {p.relative_to(tmp_path): p.stat().st_mtime_ns for p in tmp_path.rglob("*")
                if p.is_file()}

    first = run()
    assert any(p.suffix == ".nbi" for p in first)  # an index per kernel
    assert any(p.suffix == ".nbc" for p in first)  # and its machine code
    second = run()
    assert second == first  # nothing compiled again, nothing rewritten


_NUMPY_ONLY = """
import sys
import numpy as np
from neuronless import Network, fit
net = Network.create([2, 4, 1], seed=0)
X = np.ones((300, 2), dtype=np.float32)
assert fit(net, X, X[:, :1], epochs=1, batch_size=16, backend="numpy").backend == "numpy"
wide = Network.create([2, 100, 100, 1], seed=0)  # auto: 10,501 parameters x 300 rows
assert fit(wide, X, X[:, :1], epochs=1, batch_size=300).backend == "numpy"
leaky = Network.create([2, 4, 1], hidden="leaky_relu", seed=0)  # auto: not compiled
assert fit(leaky, X, X[:, :1], epochs=1, batch_size=16).backend == "numpy"
print("numba" in sys.modules)
"""


def test_numba_is_imported_only_when_an_epoch_may_run_compiled():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(neuronless.__file__).parents[1]), *filter(None, [os.environ.get("PYTHONPATH")])])}
    done = subprocess.run([sys.executable, "-c", _NUMPY_ONLY], env=env, check=True,
                          capture_output=True, text=True, timeout=300)
    assert done.stdout.strip() == "False"


# ------------------------------------------------------------------ one-sample forward
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("sizes", "hidden", "output"), [
    ([2, 4, 1], "tanh", "sigmoid"), ([6, 5, 4, 3], "relu", "softmax"), ([3, 2], "tanh", "identity")])
def test_one_sample_compiled_forward_equals_numpy(dtype: type, sizes: list[int], hidden: str,
                                                  output: str) -> None:
    import neuronless.network as network_module

    net = nl.Network.create(sizes, hidden, output, seed=3, dtype=dtype)
    rows = np.random.default_rng(1).normal(size=(20, sizes[0])).astype(dtype)
    ref = [net.forward(x) for x in rows]  # the NumPy path (fewer calls than the switch)
    assert net._one_sample is None
    net.predict_backend = "compiled"
    got = [net.forward(x) for x in rows]
    assert net._one_sample is not None
    tol = {"rtol": 1e-12, "atol": 1e-14} if dtype is np.float64 else {"rtol": 1e-5, "atol": 1e-6}
    for g, r in zip(got, ref, strict=True):
        assert g.shape == r.shape == (sizes[-1],)
        assert g.dtype == dtype
        np.testing.assert_allclose(g, r, **tol)
    net.params[...] *= 0.5  # training in between is seen
    np.testing.assert_allclose(net.forward(rows[0]), net.forward(rows[:1])[0], **tol)
    out = net.forward(rows[0])
    out[...] = 99.0  # the caller owns what it gets
    assert not np.any(net.forward(rows[0]) == 99.0)
    copy = net.copy()
    assert copy._one_sample is None  # a copy starts on NumPy again
    np.testing.assert_allclose(copy.forward(rows[0]), net.forward(rows[0]), **tol)
    auto = nl.Network.create(sizes, hidden, output, seed=3, dtype=dtype)
    for k in range(network_module.ONE_SAMPLE_COMPILE_AFTER + 1):
        auto.forward(rows[k % len(rows)])
    assert auto._one_sample is not None  # "auto" switched after its count


def test_one_sample_backend_refusals() -> None:
    net = nl.Network.create([3, 4, 2], "elu", "sigmoid", seed=0)
    net.predict_backend = "compiled"
    with pytest.raises(nl.ConfigError, match="elu activation of layer 0 is not compiled"):
        net.forward(np.zeros(3, dtype=net.dtype))
    with pytest.raises(nl.ConfigError, match="predict_backend must be"):
        net.predict_backend = "fast"  # refused when set
    big = nl.Network.create([300, 200, 2], "tanh", "sigmoid", seed=0)
    assert big._compiled_one_sample() is None  # "auto": NumPy is as fast at this size
