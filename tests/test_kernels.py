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
    Quickprop,
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
#: Quickprop, a full-batch method: its secant step d * s / (s_prev - s) turns the rounding of
#: the gradient's sums into far larger differences of the steps, the more so when successive
#: slopes come from different mini-batches. The NumPy path against itself with each batch's
#: rows reversed (only the order of the sums changes) drifts apart as fast on float32
#: mini-batches of 40: to 0.8 times the tolerance in 2 epochs (the shortcut mixed-relu-mse
#: net below), to 5.7 times in 6 (8-16-8-3 tanh, sigmoid, binary cross-entropy). So Quickprop
#: comparisons run 3 epochs, 1 on float32 mini-batches
QUICKPROP = Quickprop(0.05, decay=1e-3)
ALL_OPTIMIZERS = {**OPTIMIZERS, "quickprop": QUICKPROP}
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


def _epochs(opt, dtype, batch):
    """How many epochs a comparison runs: 6, and for Quickprop 3 (1 on float32 mini-batches)."""
    if opt != "quickprop":
        return 6
    return 1 if batch is not None and dtype is np.float32 else 3


def _run(net, loss, opt, dtype, rows, batch, **kw):
    """Train copies of ``net`` with both backends for some epochs and compare them."""
    X, Y = _data(list(net.sizes), loss, rows, dtype)
    reference, compiled = _pair(net, loss, ALL_OPTIMIZERS[opt], batch_size=batch, **kw)
    epochs = _epochs(opt, dtype, batch)
    losses_ref = [reference.epoch(X, Y) for _ in range(epochs)]
    losses_cmp = [compiled.epoch(X, Y) for _ in range(epochs)]
    assert compiled.last_backend == "compiled"
    assert reference.last_backend == "numpy"
    assert not np.allclose(compiled.net.params, net.params)  # it did train
    _assert_same(reference, compiled, losses_ref, losses_cmp, dtype)
    return compiled


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


# mini-batches and full batches, row by row (fewer than BLOCKED_FROM rows) and in blocks (the
# full batch of 300 rows in two blocks, 256 + 44)
BATCHES = [pytest.param(29, 8, id="rowwise"), pytest.param(29, None, id="rowwise-full"),
           pytest.param(300, 40, id="blocked"), pytest.param(300, None, id="blocked-full")]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("sizes", "hidden", "output", "loss"), MATRIX)
@pytest.mark.parametrize(("rows", "batch"), BATCHES)
def test_compiled_quickprop_epochs_match_numpy(sizes, hidden, output, loss, dtype, rows, batch):
    net = Network.create(sizes, hidden=hidden, output=output, seed=3, dtype=dtype)
    _run(net, loss, "quickprop", dtype, rows, batch)


# shortcut nets with 2 and 3 hidden layers (the last one's layers read 3 + 4 + 3 + 5 rows)
SHORTCUT_MATRIX = [
    pytest.param(sizes, *head, id="-".join(map(str, sizes)) + "-" + "-".join(head))
    for sizes in ([4, 5, 3, 2], [3, 4, 3, 5, 3]) for head in HEADS]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("opt", sorted(ALL_OPTIMIZERS))
@pytest.mark.parametrize(("sizes", "hidden", "output", "loss"), SHORTCUT_MATRIX)
@pytest.mark.parametrize(("rows", "batch"), BATCHES)
def test_compiled_shortcut_epochs_match_numpy(sizes, hidden, output, loss, opt, dtype, rows,
                                              batch):
    net = Network.create(sizes, hidden=hidden, output=output, seed=3, dtype=dtype,
                         shortcut=True)
    assert net.fan_ins == list(np.cumsum(sizes[:-1]))
    _run(net, loss, opt, dtype, rows, batch)


def _mixed_net(output, dtype, shortcut):
    """A [4, 6, 5, 3] net whose hidden layers mix the four elementwise functions, neuron by
    neuron, each neuron with its own steepness; the output layer mixes them too, or is a
    sigmoid or softmax layer (for the cross-entropies)."""
    mixed_out = not isinstance(output, str)
    net = Network([4, 6, 5, 3],
                  [["tanh", "relu", "sigmoid", "identity", "tanh", "sigmoid"],
                   ["sigmoid", "identity", "relu", "tanh", "relu"], output],
                  steepness=[np.linspace(0.5, 1.5, 6), np.linspace(1.8, 0.6, 5),
                             np.array([1.3, 0.7, 1.1]) if mixed_out else 0.8],
                  shortcut=shortcut, dtype=dtype)
    net.params[:] = np.random.default_rng(7).uniform(-0.6, 0.6, net.params.size)
    assert net.layers[0].uniform is None
    assert net.layers[1].uniform is None
    assert (net.layers[2].uniform is None) == mixed_out
    return net


MIXED_HEADS = [pytest.param("sigmoid", "binary_cross_entropy", id="sigmoid-bce"),
               pytest.param("softmax", "cross_entropy", id="softmax-ce"),
               pytest.param(["identity", "tanh", "sigmoid"], "mse", id="mixed-mse"),
               pytest.param(["relu", "identity", "tanh"], "mse", id="mixed-relu-mse")]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("opt", sorted(ALL_OPTIMIZERS))
@pytest.mark.parametrize(("output", "loss"), MIXED_HEADS)
@pytest.mark.parametrize("shortcut", [False, True], ids=["layered", "shortcut"])
@pytest.mark.parametrize(("rows", "batch"), BATCHES)
def test_compiled_mixed_activation_epochs_match_numpy(output, loss, opt, dtype, shortcut, rows,
                                                      batch):
    net = _mixed_net(output, dtype, shortcut)
    _run(net, loss, opt, dtype, rows, batch)


@pytest.mark.parametrize("opt", ["adam", "quickprop"])
@pytest.mark.parametrize(("rows", "batch"), BATCHES)
def test_masked_shortcut_net_keeps_its_missing_connections_at_zero(opt, rows, batch):
    net = Network.create([5, 6, 4, 3], hidden="tanh", output="softmax", seed=2, shortcut=True,
                         connection_rate=0.5, dtype=np.float64)
    compiled = _run(net, "cross_entropy", opt, np.float64, rows, batch, l2=0.1)
    assert net.mask is not None
    assert np.all(compiled.net.params[~net.mask] == 0.0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_compiled_quickprop_step_is_numpys_operation_for_operation(dtype):
    # one step on the same gradient: the same operations in the same order, so the same bits;
    # the history covers every case of the rule (no previous step, the linear term only while
    # the slope points the way the step went, the parabola, its cap mu * d, equal slopes)
    rng = np.random.default_rng(4)
    n = 4000
    opt = Quickprop(0.3, mu=1.75, decay=1e-3)
    params = rng.normal(size=n).astype(dtype)
    state = opt.init(params)
    d, s_prev = state.arrays["prev_step"], state.arrays["prev_slope"]
    d[:] = rng.choice([0.0, 1.0, -1.0], n) * rng.random(n)
    s_prev[:] = rng.normal(size=n)
    grads = rng.normal(size=n).astype(dtype)
    grads[:40] = -s_prev[:40] - params[:40] * dtype(opt.decay)  # the slope does not change
    s = -(grads + params * dtype(opt.decay))
    shrink = opt.mu / (1 + opt.mu)
    capped = ((d > 0) & (s > shrink * s_prev)) | ((d < 0) & (s < shrink * s_prev))
    parabola = (d != 0) & ~capped & (s != s_prev)
    assert capped.sum() > 100
    assert parabola.sum() > 100
    assert np.sum((d != 0) & (s == s_prev)) >= 20
    params_k, d_k, s_k = params.copy(), d.copy(), s_prev.copy()
    opt.step(params, grads, state)
    kernels._compiled()
    c = np.empty(8, dtype=dtype)
    c[:4] = [opt.learning_rate, opt.decay, opt.mu, shrink]
    none = np.empty(0, dtype=dtype)
    t, _ = kernels._step_jit(params_k, grads, d_k, s_k, none, c, kernels.OPTIMIZER_CODES[Quickprop],
                             opt.learning_rate, opt.mu, shrink, 0.0, 0.0, 0, 0.0)
    assert t == state.t == 1
    np.testing.assert_array_equal(params_k, params)
    np.testing.assert_array_equal(d_k, state.arrays["prev_step"])
    np.testing.assert_array_equal(s_k, state.arrays["prev_slope"])


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


@pytest.mark.parametrize("shortcut", [False, True], ids=["layered", "shortcut"])
@pytest.mark.parametrize("mixed", [False, True], ids=["uniform", "mixed"])
def test_compiled_forward_matches_network_forward(shortcut, mixed):
    hidden = ["identity", "tanh", "sigmoid", "relu"] * 2 if mixed else "sigmoid"
    net = Network([5, 7, 8, 3], ["relu", hidden, "softmax"],
                  steepness=[1.0, np.linspace(0.4, 1.6, 8), 2.0], shortcut=shortcut,
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
    ("leaky relu", lambda: Network.create([2, 3, 1], hidden="leaky_relu", seed=0), "mse", "adam",
     "the leaky_relu activation of layer 0 is not compiled"),
    ("shortcut elu", lambda: Network.create([2, 3, 2, 1], hidden="elu", shortcut=True, seed=0),
     "mse", "adam", "the elu activation of layer 0 is not compiled"),
    ("mixed leaky relu", lambda: Network([2, 2, 1], [["tanh", "leaky_relu"], "sigmoid"]), "mse",
     "sgd", "the leaky_relu activation of layer 0 is not compiled"),
    ("mixed softplus output", lambda: Network([2, 2, 2], ["tanh", ["identity", "softplus"]]),
     "mse", "sgd", "the softplus activation of layer 1 is not compiled"),
    ("clamp", lambda: Network([2, 2, 1], ["tanh", "sigmoid"], clamp=[5.0, None]), "mse", "sgd",
     "layer 0 has a clamp"),
    ("shortcut clamp", lambda: Network([2, 2, 2, 1], ["tanh", ["tanh", "relu"], "sigmoid"],
                                       shortcut=True, clamp=[None, 3.0, None]), "mse", "sgd",
     "layer 1 has a clamp"),
    ("softmax with mse", lambda: Network.create([2, 3, 2], output="softmax", seed=0), "mse",
     "sgd", "a softmax output is compiled only with cross_entropy"),
    ("fann rprop", lambda: Network.create([2, 3, 1], seed=0), "mse",
     IRpropMinus(fann_compatible=True), "FANN's iRPROP-"),
    ("fann quickprop", lambda: Network.create([2, 3, 1], shortcut=True, seed=0), "mse",
     Quickprop(fann_compatible=True), "FANN's Quickprop"),
    ("sarprop", lambda: Network.create([2, 3, 1], seed=0), "mse", "sarprop",
     "the optimizer Sarprop is not compiled"),
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


ACCEPTED = [
    ("shortcut", lambda: Network.create([3, 4, 3, 2], shortcut=True, seed=0), "mse", "adam"),
    ("sparse shortcut", lambda: Network.create([3, 4, 3, 2], shortcut=True, connection_rate=0.6,
                                               seed=0), "binary_cross_entropy", "irprop+"),
    ("mixed", lambda: Network([2, 3, 2], [["tanh", "relu", "identity"], ["sigmoid", "tanh"]],
                              steepness=[np.array([0.5, 1.0, 2.0]), 1.0]), "mse", "sgd"),
    ("mixed shortcut softmax", lambda: Network([2, 3, 2], [["tanh", "relu", "sigmoid"], "softmax"],
                                               shortcut=True), "cross_entropy", "momentum"),
    ("quickprop", lambda: Network.create([2, 3, 1], seed=0), "binary_cross_entropy", "quickprop"),
    ("quickprop mixed shortcut", lambda: Network([2, 3, 2], [["relu", "tanh", "sigmoid"],
                                                             ["identity", "tanh"]],
                                                 shortcut=True), "mse", Quickprop(0.1)),
]


@pytest.mark.parametrize(("make", "loss", "opt"), [a[1:] for a in ACCEPTED],
                         ids=[a[0] for a in ACCEPTED])
def test_shortcut_mixed_and_quickprop_compile(make, loss, opt):
    net = make()
    optimizer = get_optimizer(opt) if isinstance(opt, str) else opt
    assert compiled_supported(net, get_loss(loss), optimizer) is None
    trainer = Trainer(net, loss, opt, backend="compiled")
    X, Y = _data(list(net.sizes), loss, 6, net.dtype)
    trainer.epoch(X, Y)
    assert trainer.last_backend == "compiled"


def test_a_mixed_output_layer_compiles_only_with_mse():
    # Trainer refuses the pair before asking (check_loss_setup); compiled_supported names it too
    net = Network([2, 3, 2], ["tanh", ["sigmoid", "identity"]])
    reason = compiled_supported(net, get_loss("binary_cross_entropy"), SGD())
    assert reason == ("the loss 'binary_cross_entropy' is compiled only with one activation on "
                      "the output layer")
    assert compiled_supported(net, get_loss("mse"), SGD()) is None


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


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", ["shortcut", "mixed", "mixed-shortcut"])
def test_one_sample_compiled_forward_of_shortcut_and_mixed_nets(dtype: type, kind: str) -> None:
    if kind == "shortcut":
        net = nl.Network.create([3, 5, 4, 2], "tanh", "sigmoid", shortcut=True, seed=2,
                                dtype=dtype)
    else:
        net = _mixed_net("sigmoid", dtype, kind == "mixed-shortcut")
    rows = np.random.default_rng(4).normal(size=(12, net.sizes[0])).astype(dtype)
    ref = [net.forward(x) for x in rows]
    net.predict_backend = "compiled"
    got = [net.forward(x) for x in rows]
    assert net._one_sample is not None
    tol = {"rtol": 1e-12, "atol": 1e-14} if dtype is np.float64 else {"rtol": 1e-5, "atol": 1e-6}
    for g, r in zip(got, ref, strict=True):
        np.testing.assert_allclose(g, r, **tol)
