"""FANN's neuron/connection numbering <-> Network, and the summation clamp in every forward path."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import neuronless as nl
from neuronless.backprop import loss_and_grads
from neuronless.errors import ConfigError, ModelFormatError
from neuronless.fann import load_net, save_net
from neuronless.fann.topology import FannTopology, from_network, to_network
from neuronless.layers import LayerActivation


# ------------------------------------------------------------------ the clamp
def test_clamp_clips_the_scaled_input_by_hand():
    layer = LayerActivation("identity", 3, steepness=2.0, clamp=3.0)
    z = np.array([[-5.0, 1.0, 5.0]])
    layer.activate_(z, 2.0)  # x = 2 z = [-10, 2, 10] -> clip to [-3, 3]
    np.testing.assert_array_equal(z, [[-3.0, 2.0, 3.0]])


def test_per_neuron_clamp_by_hand():
    layer = LayerActivation("identity", 2, steepness=1.0, clamp=np.array([1.0, 4.0]))
    z = np.array([[3.0, 3.0], [-5.0, -5.0]], dtype=np.float32)
    layer.activate_(z, 1.0)
    np.testing.assert_array_equal(z, [[1.0, 3.0], [-1.0, -4.0]])


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan, [1.0, 2.0, 3.0]])
def test_bad_clamp_is_a_config_error(bad):
    with pytest.raises(ConfigError, match="clamp"):
        LayerActivation("tanh", 2, clamp=bad)


def test_every_forward_path_applies_the_clamp():
    W = [np.array([[10.0, -10.0], [0.0, 0.0]]), np.array([[1.0], [1.0], [0.0]])]
    clamped = nl.Network.from_weights(W, ["identity", "identity"], clamp=[2.0, None],
                                      dtype=np.float64)
    x = np.array([1.0])  # hidden z = [10, -10] -> [2, -2]; output 2 - 2 = 0
    assert clamped.forward(x).tolist() == [0.0]  # the 1-D path
    assert clamped.forward(x[None, :]).tolist() == [[0.0]]  # the batch path
    t = clamped.trace(x)
    assert t.layers[0].a.tolist() == [[2.0, -2.0]]
    assert t.layers[0].z.tolist() == [[10.0, -10.0]]  # z itself is never clipped
    shortcut = nl.Network.from_weights(
        [np.array([[10.0], [0.0]]), np.array([[0.0], [1.0], [0.0]])], ["identity", "identity"],
        shortcut=True, clamp=[2.0, None], dtype=np.float64)
    assert shortcut.forward(x).tolist() == [2.0]
    plain = nl.Network.from_weights(W, ["identity", "identity"], dtype=np.float64)
    plain.forward(x)
    assert plain._plan, "no clamp: the 1-D fast path stays in use"
    assert clamped.copy().forward(x).tolist() == [0.0]
    assert clamped.astype(np.float32).clamp == [2.0, None]


@pytest.mark.parametrize("act", ["identity", "tanh", "gaussian", "sigmoid"])
def test_backprop_takes_the_derivative_at_the_clamped_input(act):
    # FANN's rule: f' at the clamped sum, the clamp itself passes the gradient through. A net
    # clamped at 1 with w = 1 (x = 2 -> 1) has the same output and gradient as an unclamped
    # net with w = 0.5; the true derivative of the clamp (0) would give zero gradients instead.
    X, Y = np.array([[2.0]]), np.array([[0.1]])
    clamped = nl.Network.from_weights([np.array([[1.0], [0.0]])], [act], clamp=[1.0],
                                      dtype=np.float64)
    free = nl.Network.from_weights([np.array([[0.5], [0.0]])], [act], dtype=np.float64)
    np.testing.assert_allclose(clamped.forward(X), free.forward(X))
    loss_c, g_c = loss_and_grads(clamped, X, Y, "mse")
    loss_f, g_f = loss_and_grads(free, X, Y, "mse")
    assert loss_c == pytest.approx(loss_f)
    np.testing.assert_allclose(g_c, g_f)
    assert np.all(g_c != 0)


def test_clamp_persists_in_nless(tmp_path):
    net = nl.Network.create([2, 3, 2], seed=0)
    net2 = nl.Network.from_weights(net.weights, net.activations, clamp=[np.array([1.0, 2.0, 3.0]), 4.0])
    nl.save(net2, tmp_path / "c.nless")
    back = nl.load(tmp_path / "c.nless")
    np.testing.assert_array_equal(back.clamp[0], [1.0, 2.0, 3.0])
    assert back.clamp[1] == 4.0
    nl.save(net, tmp_path / "plain.nless")
    assert b'"clamp"' not in (tmp_path / "plain.nless").read_bytes()  # old layout unchanged
    assert nl.load(tmp_path / "plain.nless").clamp == [None, None]


@pytest.mark.parametrize(("value", "match"), [([1.0, -2.0], "positive"), ([1.0], "one entry"),
                                              ([[1.0], 2.0], "list of 3"), ([1.0, "x"], "positive")])
def test_bad_clamp_in_nless_is_a_model_format_error(tmp_path, value, match):
    net = nl.Network.from_weights(nl.Network.create([2, 3, 2], seed=0).weights,
                                  ["tanh", "sigmoid"], clamp=[1.0, 2.0])
    nl.save(net, tmp_path / "c.nless")
    raw = (tmp_path / "c.nless").read_bytes()
    n = int.from_bytes(raw[8:16], "little")
    header = json.loads(raw[16 : 16 + n])
    header["architecture"]["clamp"] = value
    text = json.dumps(header).encode()
    assert len(text) <= n
    (tmp_path / "c.nless").write_bytes(raw[:16] + text.ljust(n) + raw[16 + n :])
    with pytest.raises(ModelFormatError, match=match):
        nl.load(tmp_path / "c.nless")


# ------------------------------------------------------------------ numbering by hand
def _shortcut_by_hand() -> FannTopology:
    # 1 input (0), its bias (1), one hidden neuron (2, tanh), one output (3, linear)
    return FannTopology(
        network_type=1,
        connection_rate=1.0,
        layer_sizes=(2, 1, 1),
        num_inputs=np.array([0, 0, 2, 3]),
        functions=np.array([0, 0, 5, 0]),
        steepness=np.array([0.0, 0.0, 0.5, 1.0]),
        sources=np.array([0, 1, 0, 1, 2]),
        weights=np.array([2.0, 0.5, 3.0, 0.25, -1.0]),
    )


def test_shortcut_rows_put_fanns_bias_last():
    net = to_network(_shortcut_by_hand(), np.float64)
    assert net.shortcut
    np.testing.assert_array_equal(net.weights[0], [[2.0], [0.5]])
    np.testing.assert_array_equal(net.weights[1], [[3.0], [-1.0], [0.25]])  # input, hidden, bias
    x = 0.7  # hidden = tanh(0.5 (2x + 0.5)); output = 3x - hidden + 0.25
    hidden = np.tanh(0.5 * (2 * x + 0.5))
    assert net.forward(np.array([x]))[0] == pytest.approx(3 * x - hidden + 0.25)
    assert net.layers[0].clamp == 300.0  # 150 / 0.5
    top = from_network(net)
    np.testing.assert_array_equal(top.sources, [0, 1, 0, 1, 2])
    np.testing.assert_array_equal(top.weights, [2.0, 0.5, 3.0, 0.25, -1.0])
    assert top.layer_sizes == (2, 1, 1)


def test_sigmoid_clamp_is_in_neuronless_units():
    top = _shortcut_by_hand()
    top.functions[2] = 3  # FANN SIGMOID, s = 0.5: neuronless sigmoid, steepness 1
    net = to_network(top, np.float64)
    assert net.layers[0].steepness == 1.0
    assert net.layers[0].clamp == 600.0  # sum clamped to 150/0.5; neuronless input is 2 sum


def test_layer_numbering_by_hand():
    # 2-1 LAYER net: inputs 0, 1, bias 2, output 3, unused output bias 4
    top = FannTopology(0, 1.0, (3, 2), np.array([0, 0, 0, 3, 0]), np.array([0, 0, 0, 0, 0]),
                       np.array([0.0, 0.0, 0.0, 1.0, 0.0]), np.array([0, 1, 2]),
                       np.array([1.5, -2.0, 0.125]))
    net = to_network(top, np.float64)
    np.testing.assert_array_equal(net.weights[0], [[1.5], [-2.0], [0.125]])
    assert top.bias_neurons() == [2, 4]
    back = from_network(net)
    np.testing.assert_array_equal(back.num_inputs, top.num_inputs)
    np.testing.assert_array_equal(back.sources, top.sources)


@pytest.mark.parametrize(("edit", "match"), [
    (lambda t: t.__setattr__("sources", np.array([0, 0, 0, 1, 2])), "twice"),
    (lambda t: t.__setattr__("sources", np.array([2, 1, 0, 1, 2])), "not in an earlier layer"),
    (lambda t: t.__setattr__("steepness", np.array([0.0, 0.0, -0.5, 1.0])), "positive"),
    (lambda t: t.__setattr__("functions", np.array([0, 0, 20, 0])), "out of range"),
    (lambda t: t.__setattr__("num_inputs", np.array([0, 0, 0, 5])), "no connections"),
])
def test_sparse_layouts_neuronless_cannot_hold_are_refused(edit, match):
    top = _shortcut_by_hand()
    top.connection_rate = 0.5  # sources are used
    edit(top)
    with pytest.raises(ModelFormatError, match=match):
        to_network(top)


def test_fully_connected_count_mismatch_is_refused():
    top = _shortcut_by_hand()
    top.num_inputs = np.array([0, 0, 1, 4])
    with pytest.raises(ModelFormatError, match="must have 2 connections"):
        to_network(top)


# ------------------------------------------------------------------ positional layout
def test_fully_connected_files_ignore_source_indices_like_fann_run(libfann_float, tmp_path):
    ann = libfann_float.create_standard([3, 4, 2])
    ann.set_weights(np.random.default_rng(0).normal(size=ann.total_connections))
    ann.save(tmp_path / "a.net")
    text = (tmp_path / "a.net").read_text()
    head, conns = text.rsplit("connections (connected_to_neuron, weight)=", 1)
    pairs = re.findall(r"\((\d+), ([^)]+)\) ", conns)
    permuted = [(str((int(s) + 1) % 4), w) for s, w in pairs]  # a lie about every source
    edited = head + "connections (connected_to_neuron, weight)=" + "".join(
        f"({s}, {w}) " for s, w in permuted) + "\n"
    (tmp_path / "p.net").write_text(edited)
    theirs = libfann_float.create_from_file(tmp_path / "p.net")
    ours = load_net(tmp_path / "p.net")
    X = np.random.default_rng(1).normal(size=(50, 3)).astype(np.float32)
    np.testing.assert_allclose(ours.run(X), theirs.run_many(X), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ours.run(X), load_net(tmp_path / "a.net").run(X), rtol=0, atol=0)


def test_sparse_order_is_kept_and_a_changed_mask_writes_fresh_sources(libfann_float, tmp_path):
    ann = libfann_float.create_sparse(0.5, [4, 5, 3], seed=3)
    ann.save(tmp_path / "s.net")
    fnet = load_net(tmp_path / "s.net")
    save_net(fnet, tmp_path / "same.net")
    assert (tmp_path / "same.net").read_bytes() == (tmp_path / "s.net").read_bytes()
    mask = fnet.network.mask
    assert mask is not None
    off = int(np.flatnonzero(mask)[1])  # drop one existing connection
    fnet.network.mask[off] = False
    fnet.network.params[off] = 0.0
    save_net(fnet, tmp_path / "changed.net")
    theirs = libfann_float.create_from_file(tmp_path / "changed.net")
    assert theirs.total_connections == ann.total_connections - 1
    X = np.random.default_rng(2).normal(size=(30, 4)).astype(np.float32)
    np.testing.assert_allclose(theirs.run_many(X), fnet.run(X), rtol=1e-6, atol=1e-6)
