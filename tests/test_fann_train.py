"""FannTrainer, init_weights and randomize_weights against the real libfann.

Every reference number comes from libfann itself, run in the test (``libfann_double`` for
tight float64 checks, ``libfann_float`` for float32): a net is created in libfann, copied
into an identical neuronless Network (weights placed by the connection list's own
(source, destination) neuron numbers, not by the code under test), and both are trained on the
same data; weights are compared after every epoch. FANN accumulates its MSE in a C float, so
MSEs agree to ~1e-7 relative while float64 weights agree to ~1e-12.
"""

from __future__ import annotations

import ctypes
import io
import math
import re

import numpy as np
import pytest

from neuronless.errors import ConfigError, DataError, ShapeError
from neuronless.fann.activations import FANN_ACTIVATIONS
from neuronless.fann.init import init_scale, init_weights, randomize_weights
from neuronless.fann.params import FannParams, to_neuronless
from neuronless.fann.train import FannTrainer, fann_order
from neuronless.gradcheck import numerical_grad
from neuronless.network import Network

ENUM = {name: i for i, name in enumerate(FANN_ACTIVATIONS)}

# (hidden layers, output layer): per neuron (FANN name, FANN steepness), cycled over a layer
MIX_A = ([[("sigmoid_symmetric", 0.5), ("gaussian", 0.7), ("elliot", 1.0)],
          [("sin", 0.6), ("sigmoid", 0.5), ("linear_piece", 0.8)]],
         [("sigmoid", 0.5), ("cos", 0.9)])
MIX_B = ([[("sigmoid_stepwise", 0.5), ("elliot_symmetric", 0.8), ("cos_symmetric", 0.4)],
          [("sigmoid_symmetric_stepwise", 0.7), ("linear_piece_symmetric", 0.5),
           ("gaussian_symmetric", 0.9)]],
         [("sigmoid_symmetric", 0.5), ("sin_symmetric", 0.7)])
MIX_LINEAR = ([[("sigmoid_symmetric", 0.5)], [("sigmoid", 0.5)]], [("linear", 1.0)])
SIZES = [3, 4, 3, 2]


def mapping(ann, shortcut):
    """Flat index (neuronless layout) of each FANN connection, from its neuron numbers."""
    sizes = ann.layer_sizes()
    src, dst, _ = ann.connections()
    if shortcut:
        starts = np.cumsum([0, sizes[0] + 1, *sizes[1:-1]])
    else:
        starts = np.cumsum([0, *[n + 1 for n in sizes[:-1]]])
    fan_ins = np.cumsum(sizes[:-1]) if shortcut else np.array(sizes[:-1])
    offsets = np.cumsum([0, *[(f + 1) * n for f, n in zip(fan_ins, sizes[1:], strict=True)]])
    flat = np.empty(len(src), dtype=np.intp)
    for c, (s, d) in enumerate(zip(src, dst, strict=True)):
        k = int(np.searchsorted(starts, d, side="right")) - 1  # destination layer
        j = d - starts[k]
        if shortcut:
            row = s if s < sizes[0] else (fan_ins[k - 1] if s == sizes[0] else s - 1)
        else:
            row = s - starts[k - 1]  # bias is the last neuron of the previous layer
        flat[c] = offsets[k - 1] + row * sizes[k] + j
    return flat


def build(lib, mix, sizes=SIZES, shortcut=False, sparse=None, seed=1):
    """A libfann net with ``mix``'s activations and the identical neuronless Network."""
    if sparse is not None:
        ann = lib.create_sparse(sparse, sizes, seed=seed)
        lib.srand(seed)
        ann.randomize_weights(-0.1, 0.1)
    elif shortcut:
        ann = lib.create_shortcut(sizes, seed=seed)
    else:
        ann = lib.create_standard(sizes, seed=seed)
    hidden, output = mix
    acts, steeps = [], []
    for k in range(1, len(sizes)):
        spec = hidden[(k - 1) % len(hidden)] if k < len(sizes) - 1 else output
        names, ss = [], []
        for j in range(sizes[k]):
            name, s = spec[j % len(spec)]
            ann.set_activation(k, j, ENUM[name], s)
            ours, s_ours = to_neuronless(name, s)
            names.append(ours)
            ss.append(s_ours)
        acts.append(names)
        steeps.append(np.array(ss))
    net = Network(sizes, acts, steepness=steeps, shortcut=shortcut, dtype=lib.dtype)
    flat = mapping(ann, shortcut)
    if sparse is not None:
        mask = np.zeros(net.params.size, bool)
        mask[flat] = True
        net.set_masks([m for m in _views(mask, net.shapes)])
    net.params[flat] = ann.weights()
    return ann, net, flat


def _views(flat, shapes):
    out, o = [], 0
    for r, c in shapes:
        out.append(flat[o: o + r * c].reshape(r, c))
        o += r * c
    return out


def data(rng, mix, n=40, n_in=3, n_out=2):
    X = rng.uniform(-1, 1, size=(n, n_in))
    symmetric = mix[1][0][0] in ("sigmoid_symmetric", "sin_symmetric", "linear")
    Y = rng.uniform(-1 if symmetric else 0, 1, size=(n, n_out))
    return X, Y


def fann_configure(ann, p: FannParams):
    ann.configure(algorithm=p.training_algorithm, error_function=p.train_error_function,
                  momentum=p.learning_momentum, learning_rate=p.learning_rate)
    ann.set_sarprop_step_error_threshold_factor(
        ctypes.c_float(p.sarprop_step_error_threshold_factor))


def compare_epochs(lib, mix, p, epochs, *, shortcut=False, sparse=None, rtol, mse_rtol=1e-6,
                   rng=None, moved=1e-4, backend="numpy"):
    rng = rng or np.random.default_rng(7)
    ann, net, flat = build(lib, mix, shortcut=shortcut, sparse=sparse)
    fann_configure(ann, p)
    X, Y = data(rng, mix)
    fdata = lib.train_data(X, Y)
    trainer = FannTrainer(net, p, backend=backend)
    Xd, Yd = X.astype(lib.dtype), Y.astype(lib.dtype)
    start = net.params.copy()
    for epoch in range(1, epochs + 1):
        want_mse = ann.train_epoch(fdata)
        got_mse = trainer.train_epoch(Xd, Yd)
        want, got = ann.weights(), net.params[flat]
        scale = np.maximum(np.abs(want), 1e-2)
        worst = float(np.max(np.abs(got - want) / scale))
        assert worst <= rtol, f"epoch {epoch}: weights differ by {worst:.3g} (relative)"
        assert got_mse == pytest.approx(want_mse, rel=mse_rtol), f"epoch {epoch}: MSE"
    assert np.max(np.abs(net.params - start)) > moved  # training really moved the weights
    return ann, net, trainer, X, Y


ALGORITHMS = ["incremental", "batch", "rprop", "quickprop"]
#: both ways of running an epoch are checked against libfann (neuronless.fann.compiled is
#: libfann's arithmetic compiled; the NumPy passes are the reference and the fallback)
BACKENDS = ["numpy", "compiled"]


# ----------------------------------------------------------------- the mapping itself
@pytest.mark.parametrize("shortcut", [False, True])
def test_network_runs_as_fann_run(libfann_double, shortcut, rng):
    for mix in (MIX_A, MIX_B):
        ann, net, flat = build(libfann_double, mix, shortcut=shortcut)
        ann.randomize_weights(-3.0, 3.0)
        net.params[flat] = ann.weights()
        X = rng.uniform(-2, 2, size=(30, 3))
        np.testing.assert_allclose(net.forward(X), ann.run_many(X), rtol=1e-12, atol=1e-14)
        np.testing.assert_array_equal(fann_order(net), flat)


# ----------------------------------------------------------------- epochs vs libfann
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("error_function", ["linear", "tanh"])
@pytest.mark.parametrize("shortcut", [False, True])
@pytest.mark.parametrize("mix", [MIX_A, MIX_B], ids=["mixA", "mixB"])
def test_epochs_equal_libfann_double(libfann_double, algorithm, error_function, shortcut, mix,
                                     backend):
    p = FannParams(training_algorithm=algorithm, train_error_function=error_function,
                   learning_momentum=0.4 if algorithm == "incremental" else 0.0,
                   learning_rate=0.3 if algorithm == "incremental" else 0.7)
    compare_epochs(libfann_double, mix, p, 12, shortcut=shortcut, rtol=1e-10,
                   backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_linear_output_epochs_equal_libfann_double(libfann_double, algorithm, backend):
    p = FannParams(training_algorithm=algorithm, train_error_function="linear",
                   learning_rate=0.1)
    compare_epochs(libfann_double, MIX_LINEAR, p, 10, rtol=1e-10, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("shortcut", [False, True])
@pytest.mark.parametrize("error_function", ["linear", "tanh"])
def test_sarprop_equals_libfann_without_its_random_term(libfann_double, shortcut,
                                                        error_function, backend):
    # threshold factor 0: FANN never calls rand(); its carried-over step bug is in play
    p = FannParams(training_algorithm="sarprop", train_error_function=error_function,
                   sarprop_step_error_threshold_factor=0.0)
    compare_epochs(libfann_double, MIX_A, p, 20, shortcut=shortcut, rtol=1e-10,
                   backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_sarprop_first_epochs_equal_libfann_with_defaults(libfann_double, backend):
    p = FannParams(training_algorithm="sarprop")
    compare_epochs(libfann_double, MIX_B, p, 3, rtol=1e-10, moved=3e-6,  # steps start at 1e-6
                   backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
# (not INCREMENTAL: libfann 2.2's fann_update_weights reads the wrong source neurons for
# sparse nets, a FANN bug neuronless does not copy; see neuronless.fann.train)
@pytest.mark.parametrize("algorithm", ["rprop", "quickprop", "batch"])
def test_sparse_epochs_equal_libfann_double(libfann_double, algorithm, backend):
    p = FannParams(training_algorithm=algorithm)
    _ann, net, _, _, _ = compare_epochs(libfann_double, MIX_A, p, 8, sparse=0.5, rtol=1e-10,
                                        backend=backend)
    assert net.mask is not None
    assert not net.mask.all()
    assert np.all(net.params[~net.mask] == 0)  # missing connections stay missing


@pytest.mark.parametrize("algorithm", [*ALGORITHMS, "sarprop"])
@pytest.mark.parametrize("shortcut", [False, True])
@pytest.mark.parametrize("fann_compatible", [True, False])
def test_sparse_nets_keep_their_missing_connections(algorithm, shortcut, fann_compatible, rng):
    # FANN's iRPROP- quirk moves zero-gradient weights: missing ones must not move at all
    net = Network.create([4, 6, 5, 2], "tanh", "sigmoid", seed=1, connection_rate=0.5,
                         shortcut=shortcut, dtype=np.float64)
    assert net.mask is not None
    X, Y = rng.uniform(-1, 1, (30, 4)), rng.uniform(0, 1, (30, 2))
    before = net.params.copy()
    trainer = FannTrainer(net, FannParams(training_algorithm=algorithm),
                          fann_compatible=fann_compatible)
    trainer.train_on_data(X, Y, 15, 0.0)
    assert np.all(net.params[~net.mask] == 0)
    assert np.any(net.params[net.mask] != before[net.mask])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("algorithm", [*ALGORITHMS, "sarprop"])
@pytest.mark.parametrize("shortcut", [False, True])
def test_epochs_close_to_libfann_float(libfann_float, algorithm, shortcut, backend):
    # float32: NumPy sums the slopes in another order than FANN's per-pattern loop (and takes
    # exp in float32); the compiled epochs keep FANN's order and its double exp, so they
    # stay far closer (tests/test_fann_compiled.py follows them for longer)
    p = FannParams(training_algorithm=algorithm, learning_momentum=0.2,
                   learning_rate=0.3 if algorithm == "incremental" else 0.7)
    epochs = 2 if algorithm == "incremental" else 5
    compare_epochs(libfann_float, MIX_A, p, epochs, shortcut=shortcut,
                   rtol=2e-3 if backend == "numpy" else 1e-5, mse_rtol=1e-5,
                   moved=1e-6 if algorithm == "sarprop" else 1e-4, backend=backend)


def test_single_pattern_train_equals_fann_train(libfann_double, rng):
    # fann_train is one incremental step whatever the algorithm; momentum carries over
    ann, net, flat = build(libfann_double, MIX_B)
    p = FannParams(training_algorithm="rprop", learning_momentum=0.5, learning_rate=0.4)
    fann_configure(ann, p)
    trainer = FannTrainer(net, p)
    X, Y = data(rng, MIX_B, n=6)
    for x, y in zip(X, Y, strict=True):
        ann.train(x, y)
        trainer.train(x, y)
        np.testing.assert_allclose(net.params[flat], ann.weights(), rtol=1e-12, atol=1e-15)


# ----------------------------------------------------------------- test / MSE / bit fail
@pytest.mark.parametrize("mix", [MIX_A, MIX_B, MIX_LINEAR], ids=["sigmoid", "symmetric", "linear"])
@pytest.mark.parametrize("shortcut", [False, True])
def test_test_equals_fann_test_data(libfann_double, mix, shortcut, rng):
    ann, net, flat = build(libfann_double, mix, shortcut=shortcut)
    # big weights: sums beyond FANN's clamp (150 / s) for the linear and periodic neurons
    ann.randomize_weights(-80.0, 80.0)
    net.params[flat] = ann.weights()
    ann.configure(bit_fail_limit=0.3)
    X, Y = data(rng, mix, n=50)
    X *= 2.0
    want = ann.test_data(libfann_double.train_data(X, Y))
    got = FannTrainer(net, FannParams(bit_fail_limit=0.3)).test(X, Y)
    assert got[0] == pytest.approx(want[0], rel=1e-6)
    assert got[1] == want[1]


def test_summation_clamp_matters_and_is_applied(libfann_double, rng):
    ann, net, flat = build(libfann_double, MIX_LINEAR)
    ann.randomize_weights(-200.0, 200.0)
    net.params[flat] = ann.weights()
    X, Y = data(rng, MIX_LINEAR, n=30)
    want = ann.test_data(libfann_double.train_data(X, Y))
    got = FannTrainer(net).test(X, Y)
    unclamped = np.mean((Y - net.forward(X)) ** 2)  # the Network has no clamp
    assert got[0] == pytest.approx(want[0], rel=1e-6)
    assert abs(unclamped - want[0]) > 1e-3 * want[0]


@pytest.mark.parametrize("shortcut", [False, True])
def test_a_net_file_loaded_and_trained_like_libfann(libfann_double, tmp_path, shortcut, rng):
    # FANN's own file (its clamp, activations, training parameters) -> load_net -> FannTrainer
    from neuronless.fann import load_net

    ann, _, flat = build(libfann_double, MIX_B, shortcut=shortcut)
    ann.configure(algorithm="quickprop", error_function="linear", learning_rate=0.4)
    ann.save(tmp_path / "net.net")
    loaded = load_net(tmp_path / "net.net", dtype=np.float64)
    net = loaded.network
    assert loaded.params.training_algorithm == "quickprop"
    trainer = FannTrainer(net, loaded.params)
    X, Y = data(rng, MIX_B)
    fdata = libfann_double.train_data(X, Y)
    for _ in range(8):
        want = ann.train_epoch(fdata)
        got = trainer.train_epoch(X, Y)
        assert got == pytest.approx(want, rel=1e-6)
    # the file stores weights as %.20e, so they start equal to ~1e-16 relative
    np.testing.assert_allclose(net.params[flat], ann.weights(), rtol=1e-8, atol=1e-12)


def test_a_network_with_its_own_clamp_trains_with_it(rng):
    # the trainer's forward is the network's: with a clamp of its own, that one applies
    net = Network([3, 4, 1], ["tanh", "identity"], dtype=np.float64, clamp=[None, 0.5])
    net.params[:] = rng.normal(scale=2.0, size=net.params.size)
    X, Y = rng.uniform(-1, 1, (25, 3)), rng.uniform(-1, 1, (25, 1))
    out = net.forward(X)
    assert np.abs(out).max() == pytest.approx(0.5)  # the clamp is active
    mse, _ = FannTrainer(net).test(X, Y)
    assert mse == pytest.approx(float(np.mean((Y - out) ** 2)), rel=1e-12)


# ----------------------------------------------------------------- train_on_data
def test_train_on_data_reports_like_fann(libfann_double, capfd, rng):
    ann, net, flat = build(libfann_double, MIX_A)
    X, Y = data(rng, MIX_A)
    fdata = libfann_double.train_data(X, Y)
    libfann_double.lib.fann_train_on_data(ann.ptr, fdata.ptr, 10, 4, 0.0)
    libc = ctypes.CDLL(None)
    libc.fflush(None)
    fann_lines = capfd.readouterr().out.strip().splitlines()
    out = io.StringIO()
    history = FannTrainer(net).train_on_data(X, Y, 10, 0.0, epochs_between_reports=4, file=out)
    ours = out.getvalue().strip().splitlines()
    assert len(ours) == len(fann_lines) == 5  # header, epochs 1, 4, 8, 10
    assert ours[0] == fann_lines[0] == "Max epochs       10. Desired error: 0.0000000000."
    pattern = re.compile(r"Epochs +(\d+)\. Current error: (\d+\.\d{10})\. Bit fail (\d+)\.")
    for a, b in zip(ours[1:], fann_lines[1:], strict=True):
        ma, mb = pattern.fullmatch(a), pattern.fullmatch(b)
        assert ma is not None, a
        assert mb is not None, b
        assert a[:25] == b[:25]  # "Epochs            4. Curr": same spacing
        assert ma[1] == mb[1]
        assert ma[3] == mb[3]
        assert float(ma[2]) == pytest.approx(float(mb[2]), rel=1e-5)
    np.testing.assert_allclose(net.params[flat], ann.weights(), rtol=1e-10)
    assert history.epoch == list(range(1, 11))
    assert history.stopped_reason == "max_epochs"


def test_train_on_data_stops_on_mse_bits_or_callback(rng):
    net = Network.create([2, 6, 1], "tanh", "sigmoid", init="uniform", seed=0,
                         dtype="float64")
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
    Y = np.array([[0], [1], [1], [0]], float)
    h = FannTrainer(net.copy()).train_on_data(X, Y, 1000, 0.01)
    assert h.stopped_reason == "desired_error"
    assert h.mse[-1] <= 0.01 < min(h.mse[:-1])
    h = FannTrainer(net.copy(), FannParams(train_stop_function="bit")).train_on_data(X, Y, 1000, 0)
    assert h.stopped_reason == "desired_error"
    assert h.bit_fail[-1] == 0
    assert all(b > 0 for b in h.bit_fail[:-1])
    seen = []

    def cb(trainer, epoch, mse, bits):
        seen.append(epoch)
        return -1 if epoch >= 20 else None

    h = FannTrainer(net.copy()).train_on_data(X, Y, 1000, 0.0, epochs_between_reports=10,
                                              callback=cb)
    assert seen == [1, 10, 20]
    assert h.stopped_reason == "callback"
    assert len(h) == 20


# ----------------------------------------------------------------- textbook mode
@pytest.mark.parametrize("shortcut", [False, True])
def test_textbook_slopes_are_exact_gradients(shortcut, rng):
    net = Network([3, 4, 3, 2], [["tanh", "gaussian", "elliot", "sin_symmetric"], "sigmoid",
                                 ["sigmoid", "tanh"]],
                  steepness=[np.array([0.5, 0.7, 1.0, 0.6]), 1.3, np.array([1.0, 0.8])],
                  shortcut=shortcut, dtype=np.float64)
    net.params[:] = rng.normal(size=net.params.size)
    X, Y = rng.uniform(-1, 1, (20, 3)), rng.uniform(0, 1, (20, 2))
    trainer = FannTrainer(net, FannParams(train_error_function="linear"), fann_compatible=False)
    got = trainer.gradient(X, Y)
    h = np.array([1.0, 0.5])  # FANN halves the diff of symmetric (tanh) outputs

    def loss(p):
        return 0.5 * float(np.sum(h * (Y - net.forward(X)) ** 2))

    want = numerical_grad(loss, net.params)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    # FANN's own derivatives differ (gaussian's extra s, sin's steepness twice)
    fann = FannTrainer(net, FannParams(train_error_function="linear")).gradient(X, Y)
    assert np.max(np.abs(fann - want)) > 1e-3


def test_compatible_and_textbook_agree_where_fann_has_no_quirk(rng):
    net = Network([3, 5, 2], ["sigmoid", "elliot"], steepness=[1.0, 0.8], dtype=np.float64)
    net.params[:] = rng.normal(scale=0.3, size=net.params.size)
    X, Y = rng.uniform(-1, 1, (30, 3)), rng.uniform(0.2, 0.8, (30, 2))
    a = FannTrainer(net, fann_compatible=True).gradient(X, Y)
    b = FannTrainer(net, fann_compatible=False).gradient(X, Y)
    np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-14)


def test_textbook_rprop_leaves_flipped_weights_alone(libfann_double, rng):
    # the published iRprop- does not move a weight after a sign change; FANN moves it by +step
    ann, net, flat = build(libfann_double, MIX_A)
    X, Y = data(rng, MIX_A)
    trainer = FannTrainer(net, fann_compatible=False)
    fdata = libfann_double.train_data(X, Y)
    diverged = False
    for _ in range(10):
        ann.train_epoch(fdata)
        trainer.train_epoch(X, Y)
        diverged = diverged or not np.allclose(net.params[flat], ann.weights(), rtol=1e-8)
    assert diverged


@pytest.mark.parametrize("algorithm", ["incremental", "batch", "rprop", "quickprop", "sarprop"])
@pytest.mark.parametrize("fann_compatible", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_algorithm_learns_xor(algorithm, fann_compatible, dtype):
    net = Network.create([2, 4, 1], "tanh", "sigmoid", init="uniform", seed=3, dtype=dtype)
    randomize_weights(net, -1.0, 1.0, seed=0)
    X = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]], dtype)
    Y = np.array([[0], [1], [1], [0]], dtype)
    incremental = algorithm == "incremental"
    p = FannParams(training_algorithm=algorithm, learning_rate=0.3 if incremental else 0.7,
                   learning_momentum=0.5 if incremental else 0.0)
    trainer = FannTrainer(net, p, fann_compatible=fann_compatible)
    first = trainer.test(X, Y)[0]
    h = trainer.train_on_data(X, Y, 3000, 0.005)
    assert net.params.dtype == dtype
    assert h.stopped_reason == "desired_error"
    assert h.mse[-1] <= 0.005 < 0.02 * first
    assert trainer.test(X, Y)[1] == 0  # no output beyond the bit-fail limit


# ----------------------------------------------------------------- init
@pytest.mark.parametrize("shortcut", [False, True])
def test_init_weights_matches_fanns_formula_and_quirk(libfann_double, shortcut, rng):
    sizes = [5, 30, 20, 4]
    ann = (libfann_double.create_shortcut if shortcut else libfann_double.create_standard)(
        sizes, seed=4)
    X = rng.uniform(-2.0, 3.0, size=(60, 5))
    ann.init_weights(libfann_double.train_data(X, rng.uniform(size=(60, 4))))
    src, _, w = ann.connections()
    bias = src == (sizes[0] if shortcut else -1)
    if not shortcut:
        starts = np.cumsum([0, *[n + 1 for n in sizes[:-1]]])
        bias = np.isin(src, starts[1:] - 1)
    net = Network(sizes, ["tanh", "tanh", "sigmoid"], shortcut=shortcut, dtype=np.float64)
    scale = init_scale(net, X)
    # FANN: hidden = all neurons - inputs - outputs - layers, counting bias neurons: one per
    # layer in a LAYER net (the output layer's too), one in all in a SHORTCUT net
    hidden = 50 - (3 if shortcut else 0)
    assert scale == pytest.approx((0.7 * hidden) ** (1 / 5) / (X.max() - X.min()), rel=1e-6)
    # libfann's draws: bias weights in [-scale, scale], all others in [0, scale] (quirk)
    assert w[~bias].min() >= 0.0
    assert w[~bias].max() <= scale * (1 + 1e-6)
    assert w[~bias].max() > 0.95 * scale
    assert w[bias].min() < -0.5 * scale
    assert np.abs(w[bias]).max() <= scale * (1 + 1e-6)
    # ours: the same distribution
    got = init_weights(net, X, seed=0)
    assert got == scale
    ours_bias = np.concatenate([W[-1] for W in net.weights])
    ours_rest = np.concatenate([W[:-1].ravel() for W in net.weights])
    assert ours_rest.min() >= 0.0
    assert ours_rest.max() <= scale
    assert ours_rest.max() > 0.95 * scale
    assert ours_bias.min() < -0.5 * scale
    assert np.abs(ours_bias).max() <= scale
    # uniform: both means near scale / 2
    assert abs(ours_rest.mean() - scale / 2) < 0.05 * scale
    assert abs(w[~bias].mean() - scale / 2) < 0.05 * scale


def test_init_weights_errors():
    net = Network.create([2, 3, 1], seed=0)
    with pytest.raises(DataError, match="max"):
        init_weights(net, np.ones((4, 2)))
    with pytest.raises(ShapeError):
        init_weights(net, np.ones((4, 3)))


def test_randomize_weights_bounds_and_mask():
    net = Network.create([4, 20, 3], seed=0, connection_rate=0.5)
    randomize_weights(net, -0.3, 0.2, seed=1)
    assert net.mask is not None
    assert np.all(net.params[~net.mask] == 0)
    live = net.params[net.mask]
    assert live.min() >= -0.3
    assert live.max() < 0.2
    assert live.min() < -0.25
    assert live.max() > 0.15
    with pytest.raises(ConfigError):
        randomize_weights(net, 1.0, -1.0)


# ----------------------------------------------------------------- errors
def test_bad_configurations_raise_clear_errors():
    X, Y = np.zeros((4, 2)), np.zeros((4, 1))
    with pytest.raises(ConfigError, match="threshold"):
        FannTrainer(Network([2, 2, 1], ["threshold", "sigmoid"]))
    with pytest.raises(ConfigError, match="FANN activation"):
        FannTrainer(Network([2, 2, 1], ["elu", "sigmoid"]))
    FannTrainer(Network([2, 2, 1], ["elu", "sigmoid"]), fann_compatible=False)  # textbook: fine
    with pytest.raises(ConfigError, match="elementwise"):
        FannTrainer(Network([2, 2, 2], ["tanh", "softmax"]), fann_compatible=False)
    trainer = FannTrainer(Network.create([2, 3, 1], seed=0))
    with pytest.raises(ShapeError, match=r"\(patterns, 2\)"):
        trainer.train_epoch(np.zeros((4, 3)), Y)
    with pytest.raises(ShapeError, match="Y must be"):
        trainer.train_epoch(X, np.zeros((5, 1)))
    with pytest.raises(DataError, match="finite"):
        trainer.train_epoch(np.full((4, 2), np.nan), Y)
    with pytest.raises(DataError, match="no patterns"):
        trainer.train_epoch(np.zeros((0, 2)), np.zeros((0, 1)))
    with pytest.raises(ConfigError, match="FannParams"):
        trainer.params = {"learning_rate": 0.1}  # type: ignore[assignment]
    with pytest.raises(ConfigError, match="max_epochs"):
        trainer.train_on_data(X, Y, -1, 0.0)
    with pytest.raises(ConfigError, match="desired_error"):
        trainer.train_on_data(X, Y, 10, math.nan)
    with pytest.raises(ShapeError, match="one pattern"):
        trainer.train(np.zeros((2, 2)), np.zeros((2, 1)))


def test_changing_params_keeps_the_state(rng):
    net = Network.create([2, 3, 1], seed=0, dtype="float64")
    X, Y = rng.uniform(size=(8, 2)), rng.uniform(size=(8, 1))
    trainer = FannTrainer(net)
    trainer.train_epoch(X, Y)
    steps = trainer._states["rprop"].arrays["steps"].copy()
    trainer.params = trainer.params.replace(rprop_increase_factor=1.5)
    trainer.train_epoch(X, Y)
    after = trainer._states["rprop"].arrays["steps"]
    grown = np.isclose(after, np.maximum(steps, 1e-4) * np.float32(1.5))
    assert grown.any()  # the new factor applies to the kept steps
    trainer.reset()
    assert not trainer._states


# ----------------------------------------------------------------- command line
@pytest.fixture
def iris_csv(tmp_path):
    from neuronless import datasets

    ds = datasets.iris()
    names = np.array(["setosa", "versicolor", "virginica"])
    lines = ["sl,sw,pl,pw,species"] + [",".join([*map(str, x), names[y]])
                                        for x, y in zip(ds.X, ds.y, strict=True)]
    path = tmp_path / "iris.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_cli_trains_fann_compatible(tmp_path, iris_csv, capsys):
    from neuronless.cli import main
    from neuronless.model import Model

    out = tmp_path / "iris.nless"
    assert main(["train", str(iris_csv), "-o", str(out), "--fann-compatible", "--epochs", "300",
                 "--layers", "8"]) == 0
    captured = capsys.readouterr()
    assert "FANN-compatible training: rprop, tanh error function" in captured.err
    assert "FANN MSE" in captured.err
    assert "150 training rows, 0 validation rows" in captured.out  # every row, as FANN
    accuracy = float(captured.out.split("training accuracy ")[1].split("%")[0])
    assert accuracy > 80.0
    model, meta = Model.load(out)
    assert meta["optimizer"] == "rprop"
    assert model.net.sizes == (4, 8, 3)  # one sigmoid output per class, as FANN users do
    assert model.net.layers[-1].name == "sigmoid"
    assert main(["evaluate", str(out), str(iris_csv)]) == 0


def test_cli_fann_only_algorithms_imply_fann_mode(tmp_path, iris_csv, capsys):
    from neuronless.cli import main

    for alg, extra in (("sarprop", []), ("incremental", ["--lr", "0.1"]),
                       ("batch", ["--lr", "1.0"])):
        out = tmp_path / f"{alg}.nless"
        assert main(["train", str(iris_csv), "-o", str(out), "--optimizer", alg, "--epochs",
                     "20", "--error-function", "linear", *extra]) == 0
        err = capsys.readouterr().err
        assert f"FANN-compatible training: {alg}, linear error function" in err
        assert out.exists()


def test_cli_fann_desired_error_stops(tmp_path, capsys):
    from neuronless.cli import main

    data = tmp_path / "xor.csv"
    data.write_text("a,b,y\n-1,-1,0\n-1,1,1\n1,-1,1\n1,1,0\n", encoding="utf-8")
    out = tmp_path / "xor.nless"
    assert main(["train", str(data), "-o", str(out), "--fann-compatible", "--optimizer",
                 "quickprop", "--epochs", "5000", "--desired-error", "0.001",
                 "--validation-fraction", "0", "--seed", "1"]) == 0
    captured = capsys.readouterr()
    assert "desired error (FANN MSE)" in captured.out
    epochs = int(captured.err.split("after ")[1].split(" epochs")[0])
    assert epochs < 5000


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--fann-compatible", "--optimizer", "adam"], "FANN's algorithms"),
        (["--error-function", "linear"], "applies only with --fann-compatible"),
        (["--fann-compatible", "--lr", "0.1"], "--lr does not apply to FANN's rprop"),
        (["--optimizer", "sarprop", "--lr", "0.1"], "--lr does not apply to FANN's sarprop"),
        (["--fann-compatible", "--batch-size", "8"], "--batch-size does not apply"),
        (["--optimizer", "incremental", "--loss", "mse"], "--loss does not apply"),
        (["--fann-compatible", "--early-stopping", "5"], "--early-stopping does not apply"),
        (["--fann-compatible", "--hidden", "elu"], "FANN activation"),
        (["--desired-error", "0.1"], "--desired-error"),
    ],
)
def test_cli_fann_flag_conflicts_are_one_line(tmp_path, iris_csv, capsys, extra, message):
    from neuronless.cli import main

    out = tmp_path / "m.nless"
    assert main(["train", str(iris_csv), *extra, "-o", str(out), "--epochs", "3"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert message in err[0]
    assert not out.exists()


# GAUSSIAN_STEPWISE (enum 9) was never implemented: libfann outputs 0 and trains it with
# derivative 0; a hidden layer holding some of them must train exactly as libfann does
MIX_STEPWISE_GAUSSIAN = ([[("sigmoid_symmetric", 0.5), ("gaussian_stepwise", 0.5),
                           ("elliot", 1.0)]], [("sigmoid", 0.5), ("gaussian_stepwise", 0.7)])


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_gaussian_stepwise_neurons_train_as_libfann(libfann_double, algorithm):
    p = FannParams(training_algorithm=algorithm, train_error_function="linear",
                   learning_rate=0.3)
    ann, net, _, X, _ = compare_epochs(libfann_double, MIX_STEPWISE_GAUSSIAN, p, 8, rtol=1e-10)
    out = net.forward(X)
    assert np.all(out[:, 1] == 0.0)  # the output neuron that is GAUSSIAN_STEPWISE
    np.testing.assert_array_equal(ann.run_many(X)[:, 1], 0.0)

