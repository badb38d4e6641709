"""FANN .net files against the real libfann: every reference file and output is produced by
libfann inside the test (fixtures ``libfann_float``, ``libfann_double``, ``libfann_fixed``)."""

from __future__ import annotations

import ctypes
import os
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import neuronless as nl
from neuronless.errors import ConfigError, ModelFormatError
from neuronless.fann import FannNet, FannScaling, load_net, save_net
from neuronless.fann.params import FannParams

# every FANN 2.2 activation except GAUSSIAN_STEPWISE (9, "not implemented": always 0)
ENUMS = [e for e in range(18) if e != 9]
STEEPNESS = [0.1, 0.25, 0.5, 0.75, 1.0, 1.7]
SHAPES = [
    ("standard", [3, 2], 1.0),
    ("standard", [4, 6, 3], 1.0),
    ("standard", [5, 7, 6, 4, 2], 1.0),
    ("shortcut", [3, 4, 2], 1.0),
    ("shortcut", [4, 3, 5, 2, 3], 1.0),
    ("sparse", [4, 6, 5, 3], 0.5),
    ("sparse", [6, 8, 4], 0.3),
    ("sparse", [3, 9, 9, 2], 0.1),
    ("sparse", [5, 5, 5], 0.8),
]
# float32: matmul sums in another order than fann_run (a few ulps of each sum), and sin/cos/
# gaussian of sums up to ~10 amplify that; measured worst 3.9e-6 over 120 random nets
FLOAT_TOL = {"rtol": 1e-5, "atol": 1e-5}
DOUBLE_TOL = {"rtol": 1e-12, "atol": 1e-12}


def make(lib, kind, sizes, seed, rate=1.0, wscale=1.0, enums=ENUMS, steep=STEEPNESS):
    """A libfann net with random per-neuron activations, steepnesses and weights."""
    rng = np.random.default_rng(seed)
    if kind == "shortcut":
        ann = lib.create_shortcut(sizes)
    elif kind == "sparse":
        ann = lib.create_sparse(rate, sizes, seed=seed)
    else:
        ann = lib.create_standard(sizes)
    for layer in range(1, len(sizes)):
        for n in range(sizes[layer]):
            ann.set_activation(layer, n, int(rng.choice(enums)), float(rng.choice(steep)))
    n_conn = len(ann.connections()[2])
    ann.set_weights(rng.normal(scale=wscale, size=n_conn))
    return ann


def inputs(n_in, dtype, seed=0, n=300, scale=2.0):
    return np.random.default_rng(seed).normal(scale=scale, size=(n, n_in)).astype(dtype)


# ------------------------------------------------------------------ forward = fann_run
@pytest.mark.parametrize(("kind", "sizes", "rate"), SHAPES)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_forward_equals_fann_run_float(libfann_float, tmp_path, kind, sizes, rate, seed):
    ann = make(libfann_float, kind, sizes, seed, rate)
    ann.save(tmp_path / "a.net")
    fnet = load_net(tmp_path / "a.net")
    assert fnet.network.dtype == np.float32
    assert fnet.network.shortcut == (kind == "shortcut")
    assert (fnet.network.mask is not None) == (kind == "sparse")
    X = inputs(sizes[0], np.float32, seed)
    np.testing.assert_allclose(fnet.run(X), ann.run_many(X), **FLOAT_TOL)
    np.testing.assert_allclose(fnet.run(X[0]), ann.run(X[0]), **FLOAT_TOL)  # 1-D sample


@pytest.mark.parametrize(("kind", "sizes", "rate"), SHAPES)
@pytest.mark.parametrize("seed", [1, 2])
def test_forward_equals_fann_run_double(libfann_double, tmp_path, kind, sizes, rate, seed):
    ann = make(libfann_double, kind, sizes, seed, rate)
    ann.save(tmp_path / "a.net")
    fnet = load_net(tmp_path / "a.net", dtype=np.float64)
    X = inputs(sizes[0], np.float64, seed)
    np.testing.assert_allclose(fnet.run(X), ann.run_many(X), **DOUBLE_TOL)


@pytest.mark.parametrize("lib_kind", ["float", "double"])
def test_every_activation_in_one_net(request, tmp_path, lib_kind):
    # each of FANN 2.2's 17 working activations on its own neuron, in both layers
    lib = request.getfixturevalue(f"libfann_{lib_kind}")
    dtype = np.float32 if lib_kind == "float" else np.float64
    ann = make(lib, "standard", [3, 17, 17], 0)
    for layer in (1, 2):
        order = ENUMS if layer == 1 else ENUMS[::-1]
        for n, enum in enumerate(order):
            ann.set_activation(layer, n, enum, STEEPNESS[n % len(STEEPNESS)])
    ann.save(tmp_path / "all.net")
    fnet = load_net(tmp_path / "all.net", dtype=dtype)
    names = [a.name for a in fnet.network.activations[0]]
    assert len(set(names)) == 17
    X = inputs(3, dtype, 9)
    tol = FLOAT_TOL if lib_kind == "float" else DOUBLE_TOL
    np.testing.assert_allclose(fnet.run(X), ann.run_many(X), **tol)


@pytest.mark.parametrize("lib_kind", ["float", "double"])
def test_summation_clamp_matches_fann(request, tmp_path, lib_kind):
    # LINEAR outputs with big weights: fann_run clamps s * sum to +-150 / s before f
    lib = request.getfixturevalue(f"libfann_{lib_kind}")
    dtype = np.float32 if lib_kind == "float" else np.float64
    ann = make(lib, "standard", [4, 5, 3], 7, wscale=60.0, enums=[0, 5, 3],
               steep=[0.5, 1.0, 2.0])
    for n in range(3):
        ann.set_activation(2, n, 0, [0.5, 1.0, 2.0][n])
    ann.save(tmp_path / "big.net")
    fnet = load_net(tmp_path / "big.net", dtype=dtype)
    X = inputs(4, dtype, 3, scale=3.0)
    ref = ann.run_many(X)
    limits = np.array([150.0 / 0.5, 150.0 / 1.0, 150.0 / 2.0]) * np.array([0.5, 1.0, 2.0])
    assert np.any(np.isclose(np.abs(ref), limits, rtol=0, atol=0)), "the clamp must bite"
    tol = FLOAT_TOL if lib_kind == "float" else DOUBLE_TOL
    np.testing.assert_allclose(fnet.run(X), ref, rtol=tol["rtol"], atol=tol["atol"] * 150)
    unclamped = nl.Network.from_weights(
        fnet.network.weights, fnet.network.activations, steepness=fnet.network.steepness,
        dtype=dtype,
    )
    assert np.max(np.abs(unclamped.forward(X) - ref)) > 1.0  # so the clamp is what matches


# ------------------------------------------------------------------ byte-identical writing
@pytest.mark.parametrize(("kind", "sizes", "rate"), SHAPES)
@pytest.mark.parametrize("lib_kind", ["float", "double"])
def test_libfann_file_written_back_byte_for_byte(request, tmp_path, kind, sizes, rate, lib_kind):
    lib = request.getfixturevalue(f"libfann_{lib_kind}")
    ann = make(lib, kind, sizes, 5, rate)
    ann.configure(learning_rate=0.35, algorithm="quickprop", error_function="linear",
                  stop_function="bit", momentum=0.125, bit_fail_limit=0.2,
                  rprop_delta_zero=0.0625, quickprop_mu=2.5, cascade_max_out_epochs=77,
                  cascade_num_candidate_groups=3)
    funcs = (ctypes.c_int * 3)(7, 3, 14)
    lib.lib.fann_set_cascade_activation_functions(ann.ptr, funcs, 3)
    steeps = (lib.ctype * 2)(0.3, 1.25)
    lib.lib.fann_set_cascade_activation_steepnesses(ann.ptr, steeps, 2)
    ann.save(tmp_path / "lib.net")
    dtype = np.float32 if lib_kind == "float" else np.float64
    fnet = load_net(tmp_path / "lib.net", dtype=dtype)
    p = fnet.params
    assert (p.training_algorithm, p.train_error_function, p.train_stop_function) == (
        "quickprop", "linear", "bit")
    assert p.learning_rate == pytest.approx(0.35)
    assert p.learning_momentum == pytest.approx(0.125)
    assert p.bit_fail_limit == pytest.approx(0.2)
    assert p.quickprop_mu == pytest.approx(2.5)
    assert p.rprop_delta_zero == pytest.approx(0.0625)
    assert (p.cascade_max_out_epochs, p.cascade_num_candidate_groups) == (77, 3)
    assert p.cascade_activation_functions == ("gaussian", "sigmoid", "sin_symmetric")
    assert p.cascade_activation_steepnesses == pytest.approx((0.3, 1.25))
    save_net(fnet, tmp_path / "ours.net")
    assert (tmp_path / "ours.net").read_bytes() == (tmp_path / "lib.net").read_bytes()


@pytest.mark.parametrize(("kind", "sizes", "rate"), SHAPES)
def test_our_file_runs_identically_in_libfann(libfann_float, tmp_path, kind, sizes, rate):
    # a bare Network (no FANN history) -> our writer -> libfann reads and runs it
    src = make(libfann_float, kind, sizes, 11, rate)
    src.save(tmp_path / "src.net")
    net = load_net(tmp_path / "src.net").network.copy()
    save_net(net, tmp_path / "ours.net", params=FannParams(learning_rate=0.25))
    ann = libfann_float.create_from_file(tmp_path / "ours.net")
    X = inputs(sizes[0], np.float32, 4)
    np.testing.assert_allclose(ann.run_many(X), net.forward(X), **FLOAT_TOL)
    ann.save(tmp_path / "again.net")  # libfann's own printing of what it read from us
    assert (tmp_path / "again.net").read_bytes() == (tmp_path / "ours.net").read_bytes()


def test_fresh_neuronless_network_runs_in_libfann(libfann_float, libfann_double, tmp_path):
    base = nl.Network.create([3, 5, 4, 2], seed=3, dtype=np.float64)
    net = nl.Network.from_weights(
        base.weights,
        [["tanh", "gaussian", "elliot", "sin", "identity"], "sigmoid", "linear_piece_symmetric"],
        steepness=[0.8, np.array([0.5, 1.0, 2.0, 3.0]), 1.0],
    )
    save_net(net, tmp_path / "n.net")
    X = inputs(3, np.float64, 2)
    ann = libfann_double.create_from_file(tmp_path / "n.net")
    np.testing.assert_allclose(ann.run_many(X), net.forward(X), **DOUBLE_TOL)
    ann32 = libfann_float.create_from_file(tmp_path / "n.net")
    np.testing.assert_allclose(ann32.run_many(X.astype(np.float32)), net.forward(X), **FLOAT_TOL)


@pytest.mark.parametrize("shortcut", [False, True])
def test_sparse_network_from_neuronless_runs_in_libfann(libfann_double, tmp_path, shortcut):
    net = nl.Network.create([6, 7, 5, 3], seed=4, connection_rate=0.4, dtype=np.float64,
                            shortcut=shortcut)
    assert net.mask is not None
    assert not net.mask.all()
    save_net(net, tmp_path / "s.net")
    text = (tmp_path / "s.net").read_text()
    assert f"connection_rate={np.float32(net.mask.mean()):f}\n" in text
    assert f"network_type={int(shortcut)}\n" in text
    ann = libfann_double.create_from_file(tmp_path / "s.net")
    assert ann.total_connections == int(net.mask.sum())
    X = inputs(6, np.float64, 5)
    np.testing.assert_allclose(ann.run_many(X), net.forward(X), **DOUBLE_TOL)


def test_cascade_trained_fann_net(libfann_float, tmp_path, rng):
    # what FANN users have: a shortcut net grown by fann_cascadetrain_on_data, one neuron per
    # hidden layer, candidates with sin/cos/gaussian/elliot and steepnesses 0.25-1
    X = rng.uniform(-1, 1, size=(60, 2)).astype(np.float32)
    Y = np.sin(3 * X[:, :1]) * X[:, 1:]
    ann = libfann_float.create_shortcut([2, 1])
    ann.set_activation_output(5)
    libfann_float.srand(1)
    ann.cascadetrain(libfann_float.train_data(X, Y), 4, 0.0)
    ann.save(tmp_path / "cascade.net")
    fnet = load_net(tmp_path / "cascade.net")
    assert fnet.network.shortcut
    assert len(fnet.network.sizes) >= 4  # it grew hidden units
    assert set(fnet.network.sizes[1:-1]) == {1}
    Xt = inputs(2, np.float32, 6)
    np.testing.assert_allclose(fnet.run(Xt), ann.run_many(Xt), **FLOAT_TOL)
    save_net(fnet, tmp_path / "again.net")
    assert (tmp_path / "again.net").read_bytes() == (tmp_path / "cascade.net").read_bytes()


# ------------------------------------------------------------------ fixed point
# What libfixedfann runs like the float build: the stepwise sigmoids (any steepness) and, at
# steepness 1, linear and linear_piece (the fixed build ignores their steepness; it also runs
# SIGMOID / SIGMOID_SYMMETRIC with the stepwise approximation, so those differ by ~0.05).
FIXED_CASES = [([0, 4, 6, 12, 13], [1.0]), ([4, 6], [0.5, 0.75, 1.5])]


@pytest.mark.parametrize(("kind", "sizes", "rate"), SHAPES)
def test_fixed_export_equals_libfann(libfann_float, tmp_path, kind, sizes, rate):
    ann = make(libfann_float, kind, sizes, 8, rate)
    dp_lib = ann.save_to_fixed(tmp_path / "lib_fix.net")
    ann.save(tmp_path / "lib.net")
    dp = save_net(load_net(tmp_path / "lib.net"), tmp_path / "ours_fix.net", fixed=True)
    assert dp == dp_lib
    assert (tmp_path / "ours_fix.net").read_bytes() == (tmp_path / "lib_fix.net").read_bytes()
    fixed = load_net(tmp_path / "lib_fix.net")
    assert fixed.version == "FANN_FIX_2.0"
    assert fixed.decimal_point == dp_lib
    mult = 2.0**dp_lib
    float_net = load_net(tmp_path / "lib.net").network
    # every weight read back is the float weight rounded to the fixed-point grid
    np.testing.assert_allclose(fixed.network.params, float_net.params, rtol=0, atol=0.5 / mult)
    save_net(fixed, tmp_path / "again_fix.net", fixed=True)
    assert (tmp_path / "again_fix.net").read_bytes() == (tmp_path / "lib_fix.net").read_bytes()


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(("enums", "steep"), FIXED_CASES)
def test_libfixedfann_runs_our_fixed_export(libfann_float, libfann_fixed, tmp_path, seed, enums,
                                            steep):
    ann = make(libfann_float, "standard", [4, 6, 3], seed, enums=enums, steep=steep)
    ann.save(tmp_path / "f.net")
    fnet = load_net(tmp_path / "f.net")
    dp = save_net(fnet, tmp_path / "fix.net", fixed=True)
    assert dp is not None
    assert dp >= 10
    fixed = libfann_fixed.create_from_file(tmp_path / "fix.net")
    mult = 2**dp
    X = np.clip(inputs(4, np.float32, seed, n=100, scale=0.5), -1, 1)  # |x| <= 1: no overflow
    ours = fnet.run(X)
    theirs = fixed.run_many(np.floor(X * mult + 0.5).astype(np.int32)) / mult
    # integer products truncated to 1/mult steps, a few per neuron and layer
    np.testing.assert_allclose(theirs, ours, rtol=0, atol=3e-3)


# ------------------------------------------------------------------ older versions
def _as_flo_20(text: str) -> str:
    lines = text.splitlines(keepends=True)
    assert lines[0] == "FANN_FLO_2.1\n"
    return "FANN_FLO_2.0\n" + "".join(
        line for line in lines[1:] if not line.startswith("scale_")
    )


def _as_flo_11(fnet: FannNet, act_hidden: int, act_output: int, s_hidden: float,
               s_output: float) -> str:
    top = fnet.topology
    assert top is not None
    head = (f"{len(top.layer_sizes)} {fnet.params.learning_rate:f} {top.connection_rate:f} "
            f"{top.network_type} {act_hidden} {act_output} {s_hidden:.20e} {s_output:.20e}\n")
    sizes = "".join(f"{n} " for n in top.layer_sizes) + "\n"
    counts = "".join(f"{n} " for n in top.num_inputs) + "\n"
    conns = "".join(f"({s} {w:.20e}) " for s, w in zip(top.sources, top.weights, strict=True))
    return "FANN_FLO_1.1\n" + head + sizes + counts + conns + "\n"


@pytest.mark.parametrize(("kind", "sizes", "rate"), SHAPES)
def test_flo_20_read_like_libfann(libfann_float, tmp_path, kind, sizes, rate):
    ann = make(libfann_float, kind, sizes, 9, rate)
    ann.save(tmp_path / "a.net")
    (tmp_path / "old.net").write_text(_as_flo_20((tmp_path / "a.net").read_text()))
    theirs = libfann_float.create_from_file(tmp_path / "old.net")
    ours = load_net(tmp_path / "old.net")
    assert ours.version == "FANN_FLO_2.0"
    X = inputs(sizes[0], np.float32, 1)
    np.testing.assert_allclose(ours.run(X), theirs.run_many(X), **FLOAT_TOL)


@pytest.mark.parametrize(("kind", "sizes", "rate"), SHAPES)
@pytest.mark.parametrize(("act_h", "act_o", "s_h", "s_o"), [(5, 3, 0.5, 0.75), (10, 0, 1.3, 0.25)])
def test_flo_11_read_like_libfann(libfann_float, tmp_path, kind, sizes, rate, act_h, act_o, s_h,
                                  s_o):
    ann = make(libfann_float, kind, sizes, 10, rate)
    ann.save(tmp_path / "a.net")
    text = _as_flo_11(load_net(tmp_path / "a.net"), act_h, act_o, s_h, s_o)
    (tmp_path / "v11.net").write_text(text)
    theirs = libfann_float.create_from_file(tmp_path / "v11.net")
    ours = load_net(tmp_path / "v11.net")
    assert ours.version == "FANN_FLO_1.1"
    X = inputs(sizes[0], np.float32, 2)
    np.testing.assert_allclose(ours.run(X), theirs.run_many(X), **FLOAT_TOL)


# ------------------------------------------------------------------ scaling
def test_scaling_read_and_applied_like_libfann(libfann_float, tmp_path, rng):
    ann = make(libfann_float, "standard", [3, 4, 2], 12)
    X = (rng.normal(size=(40, 3)) * [1.0, 30.0, 0.01] + [5.0, -200.0, 0.3]).astype(np.float32)
    Y = rng.normal(size=(40, 2)).astype(np.float32) * 4 + 10
    data = libfann_float.train_data(X, Y)
    assert ann.set_scaling_params(data.ptr, -1.0, 1.0, 0.0, 1.0) == 0
    ann.save(tmp_path / "s.net")
    assert "scale_included=1" in (tmp_path / "s.net").read_text()
    theirs = libfann_float.create_from_file(tmp_path / "s.net")  # the file's (rounded) values
    fnet = load_net(tmp_path / "s.net")
    assert fnet.scaling is not None
    for which in ("scale_input", "descale_input"):
        np.testing.assert_array_equal(getattr(fnet.scaling, which)(X), theirs.scaled(which, X))
    for which in ("scale_output", "descale_output"):
        np.testing.assert_array_equal(getattr(fnet.scaling, which)(Y), theirs.scaled(which, Y))
    np.testing.assert_array_equal(fnet.descale_output(Y), theirs.scaled("descale_output", Y))
    save_net(fnet, tmp_path / "again.net")
    assert (tmp_path / "again.net").read_bytes() == (tmp_path / "s.net").read_bytes()


def test_scaling_formula_by_hand():
    s = FannScaling([2.0], [4.0], [-1.0], [1.0], [10.0], [2.0], [0.0], [0.5])
    # x = 6: ((6 - 2)/4 + 1) * 1 - 1 = 1
    np.testing.assert_allclose(s.scale_input([[6.0]]), [[1.0]])
    # y' = 0.75: ((0.75 - 0)/0.5 - 1) * 2 + 10 = 11
    np.testing.assert_allclose(s.descale_output([[0.75]]), [[11.0]])
    np.testing.assert_allclose(s.scale_output(s.descale_output([[0.75]])), [[0.75]])
    np.testing.assert_allclose(s.descale_input(s.scale_input([[6.0]])), [[6.0]])


def test_no_scaling_is_a_clear_error(tmp_path):
    net = nl.Network.create([2, 2], seed=0)
    save_net(net, tmp_path / "n.net")
    fnet = load_net(tmp_path / "n.net")
    with pytest.raises(ConfigError, match="no scaling"):
        fnet.scale_input([[1.0, 2.0]])


# ------------------------------------------------------------------ what FANN cannot hold
@pytest.mark.parametrize("act", ["softmax", "elu", "softplus"])
def test_activation_without_fann_equivalent_is_refused(tmp_path, act):
    net = nl.Network.create([2, 3, 2], hidden="tanh" if act == "softmax" else act,
                            output=act if act == "softmax" else "sigmoid", seed=0)
    with pytest.raises(ConfigError, match="no FANN equivalent"):
        save_net(net, tmp_path / "x.net")
    assert not os.path.exists(tmp_path / "x.net")


def test_relu_needs_the_head_opt_in(tmp_path):
    net = nl.Network.create([2, 3, 1], hidden="relu", seed=0)
    with pytest.raises(ConfigError, match="HEAD"):
        save_net(net, tmp_path / "r.net")
    save_net(net, tmp_path / "r.net", head=True)
    assert "(3, 18, 1.00000000000000000000e+00)" in (tmp_path / "r.net").read_text()
    back = load_net(tmp_path / "r.net")
    X = inputs(2, np.float32)
    np.testing.assert_allclose(back.run(X), net.forward(X), rtol=1e-6, atol=1e-6)


# ------------------------------------------------------------------ hostile files
def _good_text(tmp_path) -> str:
    net = nl.Network.create([2, 3, 1], seed=0)
    save_net(net, tmp_path / "good.net")
    return (tmp_path / "good.net").read_text()


def _replace_line(text: str, key: str, value: str) -> str:
    return "\n".join(
        f"{key}={value}" if line.startswith(key + "=") else line for line in text.split("\n")
    )


HOSTILE = [
    ("empty", lambda t: "", "ends before the version line"),
    ("bad version", lambda t: t.replace("FANN_FLO_2.1", "FANN_FLO_9.9"), "not a FANN 2.x"),
    ("binary", lambda t: t.replace("num_layers", "num_l\xe9yers"), "not ASCII"),
    ("truncated", lambda t: t[: len(t) // 2], "expected|ends before"),
    ("key order", lambda t: t.replace("learning_rate=", "learning_rote="), "'learning_rate='"),
    ("nan", lambda t: _replace_line(t, "learning_rate", "nan"), "finite decimal"),
    ("negative count", lambda t: _replace_line(t, "num_layers", "-3"), "unsigned integer"),
    ("huge layers", lambda t: _replace_line(t, "layer_sizes", "3 4000000000 2 "),
     "declare|32 bits|unsigned"),
    ("huge num_layers", lambda t: _replace_line(t, "num_layers", "4000000000"), "expected 4000000000"),
    ("layer count", lambda t: _replace_line(t, "num_layers", "4"), "expected 4 values"),
    ("neuron count", lambda t: _replace_line(t, "layer_sizes", "3 5 2 "), "declare 10 neurons"),
    ("algorithm", lambda t: _replace_line(t, "training_algorithm", "9"), "0-4"),
    ("activation", lambda t: t.replace("(3, 5, ", "(3, 42, "), "unknown"),
    ("float32 overflow", lambda t: re.sub(r"(connections[^=]*=\(\d+, )[^)]+", r"\g<1>1e308", t),
     r"connection 0 \(from neuron \d+\) has weight 1e\+308, outside float32's range.*dtype=float64"),
    ("source out of range", lambda t: t.replace("connections (connected_to_neuron, weight)=(0,",
                                                "connections (connected_to_neuron, weight)=(99,"),
     "out of range"),
    ("connection count", lambda t: t.replace("(3, 5, ", "(4, 5, ", 1), "declare|connections"),
    ("huge integer", lambda t: t.replace("(3, 5, ", "(" + "9" * 5000 + ", 5, ", 1), "groups"),
    ("huge exponent", lambda t: re.sub(r"(connections[^=]*=\(\d+, )[^)]+", r"\g<1>1e999", t),
     "finite"),
    ("garbage in neurons", lambda t: t.replace("(0, 0, 0.0", "(0, 0, x0.0", 1), "groups"),
    ("zero steepness", lambda t: t.replace("(3, 5, 1.00000000000000000000e+00)",
                                           "(3, 5, 0.00000000000000000000e+00)", 1),
     "steepness"),
    ("trailing junk", lambda t: t + "hello\n", "unexpected content"),
    ("scale flag", lambda t: _replace_line(t, "scale_included", "2"), "0 or 1"),
    ("cascade count", lambda t: _replace_line(t, "cascade_activation_functions_count", "11"),
     "expected 11 values"),
]


@pytest.mark.parametrize(("name", "edit", "match"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_file_raises_model_format_error(tmp_path, name, edit, match):
    text = edit(_good_text(tmp_path))
    path = tmp_path / "bad.net"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(ModelFormatError, match=match) as info:
        load_net(path)
    assert str(path) in str(info.value)


def test_fixed_with_absurd_decimal_point(tmp_path):
    net = nl.Network.create([2, 3, 1], seed=0)
    save_net(net, tmp_path / "f.net", fixed=True)
    text = _replace_line((tmp_path / "f.net").read_text(), "decimal_point", "99")
    (tmp_path / "f.net").write_text(text)
    with pytest.raises(ModelFormatError, match="decimal_point"):
        load_net(tmp_path / "f.net")


def test_very_sparse_declaration_is_refused_before_allocation(tmp_path):
    # 2 layers of 50 000 neurons with one connection each would need 2.5e9 dense weights
    n = 50_000
    neurons = "(0, 0, 0.0) " * (n + 1) + "(1, 0, 1.0) " * n + "(0, 0, 0.0) "
    conns = f"({n}, 1.0) " * n
    text = _good_text(tmp_path)
    text = _replace_line(text, "connection_rate", "0.100000")
    text = _replace_line(text, "num_layers", "2")
    text = _replace_line(text, "layer_sizes", f"{n + 1} {n + 1} ")
    text = _replace_line(text, "neurons (num_inputs, activation_function, activation_steepness)",
                         neurons)
    text = _replace_line(text, "connections (connected_to_neuron, weight)", conns)
    (tmp_path / "sparse.net").write_text(text)
    with pytest.raises(ModelFormatError, match="dense"):
        load_net(tmp_path / "sparse.net")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_files_raise_only_model_format_error(tmp_path_factory, data):
    d = tmp_path_factory.mktemp("fuzz")
    good = _good_text(d).encode()
    cut = data.draw(st.integers(0, len(good)))
    raw = bytearray(good[:cut] if data.draw(st.booleans()) else good)
    for _ in range(data.draw(st.integers(0, 4))):
        if raw:
            i = data.draw(st.integers(0, len(raw) - 1))
            raw[i] = data.draw(st.sampled_from(b"0123456789-+.,()= \nxe\x00\xff"))
    (d / "f.net").write_bytes(bytes(raw))
    try:
        fnet = load_net(d / "f.net")
    except ModelFormatError:
        return
    assert fnet.network.n_inputs >= 1  # what survives mutation is a usable net


@pytest.mark.parametrize("lib_kind", ["float", "double"])
def test_gaussian_stepwise_file_runs_as_fann_run(request, tmp_path, lib_kind):
    lib = request.getfixturevalue(f"libfann_{lib_kind}")
    dtype = np.float32 if lib_kind == "float" else np.float64
    ann = make(lib, "standard", [3, 6, 2], 4)
    ann.set_activation(1, 2, 9, 0.5)  # GAUSSIAN_STEPWISE in the hidden layer and the output
    ann.set_activation(2, 0, 9, 0.5)
    ann.save(tmp_path / "gs.net")
    fnet = load_net(tmp_path / "gs.net", dtype=dtype)
    X = inputs(3, dtype, 5)
    ref = ann.run_many(X)
    np.testing.assert_array_equal(ref[:, 0], 0.0)
    tol = FLOAT_TOL if lib_kind == "float" else DOUBLE_TOL
    np.testing.assert_allclose(fnet.run(X), ref, **tol)
    save_net(fnet, tmp_path / "back.net")
    assert (tmp_path / "back.net").read_bytes() == (tmp_path / "gs.net").read_bytes()


def test_weight_beyond_float32_loads_as_float64_when_asked(tmp_path):
    text = re.sub(r"(connections[^=]*=\(\d+, )[^)]+", r"\g<1>1e308", _good_text(tmp_path))
    path = tmp_path / "big.net"
    path.write_text(text)
    with pytest.raises(ModelFormatError, match="outside float32's range"):
        load_net(path)
    fnet = load_net(path, dtype=np.float64)
    assert fnet.network.params.max() == 1e308
    assert np.isfinite(fnet.network.params).all()


def test_info_notes_gaussian_stepwise(libfann_double, tmp_path, capsys):
    from neuronless.cli import main

    ann = make(libfann_double, "standard", [2, 3, 1], 1)
    ann.set_activation(1, 0, 9, 0.5)
    ann.save(tmp_path / "gs.net")
    assert main(["convert", str(tmp_path / "gs.net"), str(tmp_path / "gs.nless")]) == 0
    capsys.readouterr()
    assert main(["info", str(tmp_path / "gs.nless")]) == 0
    out = capsys.readouterr().out
    assert "GAUSSIAN_STEPWISE (enum 9) was never implemented" in out

