"""Network: parameter views, shapes, the forward pass, traces, initialisation, masks, errors."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st

from neuronless import ConfigError, Network, ShapeError
from neuronless.network import EPSILON_INIT, NGUYEN_WIDROW_FACTOR, UNIFORM_INIT


def layer_sizes(max_layers: int = 4, max_width: int = 6) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(1, max_width), min_size=2, max_size=max_layers)


def by_hand(X, weights, fs, steep=None):
    """A forward pass written out plainly (no shortcut): a = f(s * (a_prev @ W[:-1] + W[-1]))."""
    a = np.asarray(X, dtype=float)
    for k, (W, f) in enumerate(zip(weights, fs, strict=True)):
        s = 1.0 if steep is None else steep[k]
        a = f(s * (a @ W[:-1] + W[-1]))
    return a


# ----------------------------------------------------------------------------- views and shapes


def test_params_and_weights_are_views_of_each_other():
    net = Network.create([2, 3, 1], seed=0)
    for W in net.weights:
        assert np.shares_memory(W, net.params)
    net.params[:] = np.arange(net.params.size)
    assert net.weights[0][0].tolist() == [0, 1, 2]
    assert net.weights[1][:, 0].tolist() == [9, 10, 11, 12]
    net.weights[1][-1, 0] = -7.0
    assert net.params[-1] == -7.0
    net.params *= 2  # in-place arithmetic keeps the views
    assert net.weights[1][-1, 0] == -14.0


def test_params_is_one_contiguous_vector():
    net = Network.create([4, 5, 3, 2], seed=0)
    assert net.params.ndim == 1
    assert net.params.flags.c_contiguous
    assert net.params.size == 5 * 5 + 6 * 3 + 4 * 2


def test_plain_net_shapes():
    net = Network.create([4, 5, 3, 2], seed=0)
    assert net.sizes == (4, 5, 3, 2)
    assert [W.shape for W in net.weights] == [(5, 5), (6, 3), (4, 2)]
    assert net.fan_ins == [4, 5, 3]
    assert (net.n_inputs, net.n_outputs) == (4, 2)


def test_shortcut_net_shapes():
    # each layer sees the input and every earlier layer: fan-ins 4, 4+5, 4+5+3
    net = Network.create([4, 5, 3, 2], shortcut=True, seed=0)
    assert [W.shape for W in net.weights] == [(5, 5), (10, 3), (13, 2)]
    assert net.fan_ins == [4, 9, 12]
    assert net.params.size == 25 + 30 + 26


def test_init_and_masks_write_through_the_views():
    net = Network.create([3, 4, 2], seed=0)
    before = [W for W in net.weights]
    net.init_weights("uniform", rng=1)
    net.set_masks([np.ones((4, 4), bool), np.zeros((5, 2), bool)])
    assert all(W is B for W, B in zip(net.weights, before, strict=True))
    assert np.all(net.weights[1] == 0)
    assert np.all(net.params[16:] == 0)


def test_regularized_marks_weights_not_biases():
    net = Network.create([2, 3, 1], seed=0)
    reg = net.regularized
    assert reg.tolist() == [1.0] * 6 + [0.0] * 3 + [1.0] * 3 + [0.0]


def test_copy_is_independent():
    net = Network.create([2, 3, 1], seed=0, connection_rate=0.6)
    twin = net.copy()
    np.testing.assert_array_equal(twin.params, net.params)
    np.testing.assert_array_equal(twin.mask, net.mask)
    twin.params[:] = 1.0
    assert not np.any(net.params == 1.0)
    assert np.shares_memory(twin.weights[0], twin.params)


# ----------------------------------------------------------------------------- forward


def test_forward_by_hand():
    # sample 1: z0 = [1*1 + 2*0.5 + 0, 1*-1 + 2*1 - 4] = [2, -3]; relu -> [2, 0]
    #           z1 = 2*1.5 + 0*7 - 3 = 0; sigmoid -> 0.5
    # sample 2: z0 = [0, -4]; relu -> [0, 0]; z1 = -3; sigmoid -> 1/(1 + e**3)
    W0 = np.array([[1.0, -1.0], [0.5, 1.0], [0.0, -4.0]])
    W1 = np.array([[1.5], [7.0], [-3.0]])
    net = Network.from_weights([W0, W1], ["relu", "sigmoid"])
    out = net.forward(np.array([[1.0, 2.0], [0.0, 0.0]]))
    np.testing.assert_allclose(out, [[0.5], [1.0 / (1.0 + np.e**3)]], rtol=1e-6)


def test_shortcut_forward_by_hand():
    # hidden h = 1 + 2 = 3; output rows [x1, x2, h, bias] -> 1*1 + 2*10 + 3*100 + 0.5
    W0 = np.array([[1.0], [1.0], [0.0]])
    W1 = np.array([[1.0], [10.0], [100.0], [0.5]])
    net = Network.from_weights([W0, W1], ["identity", "identity"], shortcut=True)
    assert net.forward(np.array([1.0, 2.0])).tolist() == [321.5]


def test_steepness_scales_the_net_input_by_hand():
    # z = 2*0.5 + 0.1 = 1.1; a = tanh(3 * 1.1)
    net = Network.from_weights(
        [np.array([[0.5], [0.1]])], ["tanh"], steepness=3.0, dtype=np.float64
    )
    assert net.forward(np.array([2.0]))[0] == pytest.approx(np.tanh(3.3))


def test_forward_of_one_sample_is_1d_and_equals_its_batch_row(rng):
    for shortcut in (False, True):
        net = Network.create([3, 4, 2], seed=1, shortcut=shortcut)
        X = rng.normal(size=(5, 3))
        batch = net.forward(X)
        assert batch.shape == (5, 2)
        for i in range(5):
            one = net.forward(X[i])
            assert one.shape == (2,)
            np.testing.assert_allclose(one, batch[i], rtol=1e-6)


def test_forward_does_not_change_its_input(rng):
    net = Network.create([3, 4, 2], seed=1, dtype=np.float64)
    X = rng.normal(size=(5, 3))
    X0 = X.copy()
    net.forward(X)
    net(X)  # __call__ is forward
    net.trace(X)
    np.testing.assert_array_equal(X, X0)


@pytest.mark.parametrize("shortcut", [False, True])
def test_forward_equals_trace_output(shortcut, rng):
    net = Network.create([3, 4, 3, 2], seed=2, shortcut=shortcut, hidden="elu", output="softmax")
    X = rng.normal(size=(6, 3))
    np.testing.assert_allclose(net.forward(X), net.trace(X).output, rtol=1e-6)


@pytest.mark.parametrize("shortcut", [False, True])
def test_trace_records_input_z_and_a(shortcut, rng):
    W = [
        rng.normal(size=(3, 4)),
        rng.normal(size=(4 + 2 * shortcut + 1, 3)),
        rng.normal(size=(3 + 6 * shortcut + 1, 2)),
    ]
    steep = [0.5, 2.0, np.array([1.0, 3.0])]
    net = Network.from_weights(
        W, ["tanh", "sigmoid", "identity"], steepness=steep, shortcut=shortcut
    )
    assert net.dtype == np.float64
    X = rng.normal(size=(5, 2))
    trace = net.trace(X)
    assert len(trace.layers) == 3
    fs = [np.tanh, scipy.special.expit, lambda x: x]
    seen = [X]
    for k, layer in enumerate(trace.layers):
        expected_input = np.hstack(seen) if shortcut else seen[-1]
        np.testing.assert_allclose(layer.input, expected_input, rtol=1e-14)
        np.testing.assert_allclose(layer.z, expected_input @ W[k][:-1] + W[k][-1], rtol=1e-12)
        np.testing.assert_allclose(layer.a, fs[k](steep[k] * layer.z), rtol=1e-12)
        seen.append(layer.a)


def test_traces_are_independent_of_each_other_and_of_the_input(rng):
    net = Network.create([3, 4, 2], seed=1)
    X1, X2 = rng.normal(size=(2, 5, 3))
    t1 = net.trace(X1)
    saved = [(lt.input.copy(), lt.z.copy(), lt.a.copy()) for lt in t1.layers]
    net.trace(X2)
    X1[:] = 0.0
    for lt, (i, z, a) in zip(t1.layers, saved, strict=True):
        np.testing.assert_array_equal(lt.input, i)
        np.testing.assert_array_equal(lt.z, z)
        np.testing.assert_array_equal(lt.a, a)


def test_trace_of_one_sample_is_2d():
    net = Network.create([3, 4, 2], seed=1)
    trace = net.trace(np.ones(3))
    assert [lt.a.shape for lt in trace.layers] == [(1, 4), (1, 2)]


# ----------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("init", ["uniform", "glorot", "he", "nguyen_widrow", "epsilon", "auto"])
def test_same_seed_gives_bit_identical_params(init):
    a = Network.create([5, 4, 3], seed=42, init=init, connection_rate=0.7)
    b = Network.create([5, 4, 3], seed=42, init=init, connection_rate=0.7)
    assert a.params.tobytes() == b.params.tobytes()
    np.testing.assert_array_equal(a.mask, b.mask)
    c = Network.create([5, 4, 3], seed=43, init=init, connection_rate=0.7)
    assert not np.array_equal(a.params, c.params)


def test_generator_seed_equals_int_seed():
    a = Network.create([5, 4, 3], seed=7)
    b = Network.create([5, 4, 3], seed=np.random.default_rng(7))
    assert a.params.tobytes() == b.params.tobytes()


def test_no_seed_gives_fresh_weights():
    assert not np.array_equal(Network.create([5, 4, 3]).params, Network.create([5, 4, 3]).params)


# ----------------------------------------------------------------------------- initialisation

SIZES = [200, 100, 50]  # enough weights for the statistics below to be tight


def weights_and_biases(net: Network):
    return [(W[:-1].astype(np.float64), W[-1].astype(np.float64)) for W in net.weights]


@pytest.mark.parametrize(
    ("init", "default"), [("uniform", UNIFORM_INIT), ("epsilon", EPSILON_INIT)]
)
@pytest.mark.parametrize("init_range", [None, 0.5])
def test_uniform_and_epsilon_init_cover_plus_minus_r_biases_too(init, default, init_range):
    r = default if init_range is None else init_range
    net = Network.create(SIZES, seed=0, init=init, init_range=init_range, dtype=np.float64)
    p = net.params
    assert np.all(np.abs(p) <= r)
    assert np.abs(p).max() > 0.99 * r
    assert abs(p.mean()) < 0.02 * r
    assert p.std() == pytest.approx(r / np.sqrt(3), rel=0.02)  # U(-r, r) has sd r/sqrt(3)
    for _, b in weights_and_biases(net):
        assert np.all(b != 0)


def test_documented_default_ranges():
    assert UNIFORM_INIT == 0.1  # FANN
    assert EPSILON_INIT == 0.12  # the Stanford course
    assert NGUYEN_WIDROW_FACTOR == 0.7


@pytest.mark.parametrize("init", ["glorot", "xavier"])
def test_glorot_init_bounds_and_zero_biases(init):
    net = Network.create(SIZES, seed=0, init=init)
    for w, b in weights_and_biases(net):
        fan_in, fan_out = w.shape
        r = np.sqrt(6.0 / (fan_in + fan_out))
        assert np.all(np.abs(w) <= r)
        assert np.abs(w).max() > 0.98 * r
        assert w.std() == pytest.approx(r / np.sqrt(3), rel=0.03)
        assert np.all(b == 0)


def test_xavier_is_glorot():
    a = Network.create(SIZES, seed=3, init="xavier")
    b = Network.create(SIZES, seed=3, init="glorot")
    assert a.params.tobytes() == b.params.tobytes()


def test_he_init_statistics_and_zero_biases():
    net = Network.create(SIZES, seed=0, init="he", dtype=np.float64)
    for w, b in weights_and_biases(net):
        fan_in = w.shape[0]
        sd = np.sqrt(2.0 / fan_in)
        assert w.std() == pytest.approx(sd, rel=0.03)
        assert abs(w.mean()) < 0.03 * sd
        assert np.abs(w).max() > 3 * sd  # a normal, not a narrow uniform
        assert np.all(b == 0)


def test_nguyen_widrow_columns_have_length_beta_and_biases_within_beta():
    net = Network.create([3, 6, 2], seed=0, init="nguyen_widrow", dtype=np.float64)
    for w, b in weights_and_biases(net):
        fan_in, fan_out = w.shape
        beta = 0.7 * fan_out ** (1.0 / fan_in)
        np.testing.assert_allclose(np.linalg.norm(w, axis=0), beta, rtol=1e-12)
        assert np.all(np.abs(b) <= beta)
        assert np.all(b != 0)
    # by hand for the first layer: beta = 0.7 * 6 ** (1/3)
    assert np.linalg.norm(net.weights[0][:-1, 0]) == pytest.approx(0.7 * 6 ** (1 / 3))


@pytest.mark.parametrize("hidden", ["relu", "leaky_relu", "elu"])
def test_auto_init_is_he_for_relu_like_layers_and_glorot_otherwise(hidden):
    auto = Network.create(SIZES, hidden=hidden, output="sigmoid", seed=5, init="auto")
    he = Network.create(SIZES, hidden=hidden, output="sigmoid", seed=5, init="he")
    # the first layer draws from the same generator state, so it matches He bit for bit
    assert auto.weights[0].tobytes() == he.weights[0].tobytes()
    w, b = weights_and_biases(auto)[1]  # sigmoid output layer: Glorot
    r = np.sqrt(6.0 / (100 + 50))
    assert np.all(np.abs(w) <= r)
    assert np.all(b == 0)


@pytest.mark.parametrize("hidden", ["tanh", "sigmoid", "softplus", "identity"])
def test_auto_init_is_glorot_for_other_hidden_layers(hidden):
    auto = Network.create(SIZES, hidden=hidden, seed=5)
    glorot = Network.create(SIZES, hidden=hidden, seed=5, init="glorot")
    assert auto.params.tobytes() == glorot.params.tobytes()


def test_init_respects_the_mask():
    net = Network.create([6, 5, 3], seed=0, connection_rate=0.5)
    mask = net.mask.copy()
    net.init_weights("uniform", rng=1)
    assert np.all(net.params[~mask] == 0)
    assert np.all(net.params[mask] != 0)


# ----------------------------------------------------------------------------- dtype


def test_dtype_defaults_to_float32(rng):
    net = Network.create([3, 4, 2], seed=0)
    assert net.dtype == np.float32
    assert net.params.dtype == np.float32
    assert net.forward(rng.normal(size=(2, 3))).dtype == np.float32  # float64 input is cast
    assert net.forward([[1, 2, 3]]).dtype == np.float32  # ints and lists are fine


def test_float64_network_computes_in_float64(rng):
    net = Network.create([3, 4, 2], seed=0, dtype=np.float64)
    X = rng.normal(size=(2, 3))
    out = net.forward(X)
    assert out.dtype == np.float64
    expected = by_hand(X, net.weights, [np.tanh, scipy.special.expit])
    np.testing.assert_allclose(out, expected, rtol=1e-14)
    # float32 of the same weights agrees to float32 precision
    np.testing.assert_allclose(net.astype(np.float32).forward(X), expected, rtol=1e-5)


def test_from_weights_dtype_follows_the_matrices():
    W = [np.zeros((3, 2), np.float32)]
    assert Network.from_weights(W, ["identity"]).dtype == np.float32
    assert Network.from_weights([W[0].astype(np.float64)], ["identity"]).dtype == np.float64
    assert Network.from_weights(W, ["identity"], dtype=np.float64).dtype == np.float64


# ----------------------------------------------------------------------------- masks


def test_connection_rate_masks_weights_keeps_biases_and_one_input_per_unit():
    net = Network.create([8, 6, 4], seed=0, connection_rate=0.3)
    assert net.mask is not None
    assert net.mask.dtype == bool
    assert np.all(net.params[~net.mask] == 0)
    assert 0.2 < net.mask.mean() < 0.7
    for m in net.masks:
        assert np.all(m[-1])  # biases always exist
        assert np.all(m[:-1].any(axis=0))  # every unit keeps at least one input
    assert "sparse" in repr(net)


def test_connection_rate_one_is_fully_connected():
    assert Network.create([3, 4, 2], seed=0).mask is None


def test_from_weights_masks_zero_masked_weights(rng):
    W = [rng.normal(size=(3, 3)), rng.normal(size=(4, 1))]
    masks = [np.array([[1, 0, 1], [0, 1, 1], [1, 1, 1]], bool), np.ones((4, 1), bool)]
    net = Network.from_weights(W, ["tanh", "identity"], masks=masks)
    assert net.weights[0][0, 1] == 0
    assert net.weights[0][1, 0] == 0
    assert np.count_nonzero(net.params == 0) == 2
    dense = [W[0] * masks[0], W[1]]
    X = rng.normal(size=(4, 2))
    np.testing.assert_allclose(
        net.forward(X), by_hand(X, dense, [np.tanh, lambda x: x]), rtol=1e-12
    )


def test_masks_must_match_the_weight_shapes():
    net = Network.create([3, 4, 2], seed=0)
    with pytest.raises(ShapeError, match="one boolean matrix per weight matrix"):
        net.set_masks([np.ones((4, 4), bool)])
    with pytest.raises(ShapeError, match=r"masks\[1\] must have shape \(5, 2\)"):
        net.set_masks([np.ones((4, 4), bool), np.ones((4, 2), bool)])


# ----------------------------------------------------------------------------- per-neuron


def test_per_neuron_activations_and_steepness_in_forward(rng):
    W0, W1 = rng.normal(size=(3, 3)), rng.normal(size=(4, 2))
    s0 = np.array([1.0, 2.0, 0.5])
    net = Network.from_weights(
        [W0, W1], [["relu", "identity", "tanh"], "sigmoid"], steepness=[s0, 1.5]
    )
    X = rng.normal(size=(6, 2))
    z0 = X @ W0[:-1] + W0[-1]
    h = np.column_stack([np.maximum(z0[:, 0], 0), 2.0 * z0[:, 1], np.tanh(0.5 * z0[:, 2])])
    out = scipy.special.expit(1.5 * (h @ W1[:-1] + W1[-1]))
    trace = net.trace(X)
    np.testing.assert_allclose(trace.layers[0].a, h, rtol=1e-12)
    np.testing.assert_allclose(net.forward(X), out, rtol=1e-12)
    assert net.layers[0].name == "mixed(relu,identity,tanh)"
    np.testing.assert_array_equal(net.steepness[0], s0)


def test_per_neuron_list_of_one_activation_is_uniform():
    net = Network.from_weights([np.zeros((3, 2))], [["tanh", "tanh"]])
    assert net.layers[0].uniform is not None
    assert net.layers[0].name == "tanh"


# ----------------------------------------------------------------------------- errors


def test_wrong_X_shape_is_a_clear_error():
    net = Network.create([3, 4, 2], seed=0)
    with pytest.raises(ShapeError, match=r"X must have shape \(n_samples, 3\).*got \(5, 2\)"):
        net.forward(np.zeros((5, 2)))
    with pytest.raises(ShapeError, match=r"got \(2,\).*single sample"):
        net.forward(np.zeros(2))
    with pytest.raises(ShapeError, match=r"got \(1, 2, 3\)"):
        net.forward(np.zeros((1, 2, 3)))
    with pytest.raises(ShapeError, match="X must hold numbers"):
        net.forward(np.array([["a", "b", "c"]]))
    with pytest.raises(ShapeError, match="X must have shape"):
        net.trace(np.zeros((5, 4)))


def test_wrong_weight_shapes_are_clear_errors():
    with pytest.raises(ShapeError, match=r"weights\[1\] must have shape \(5, 2\).*got \(4, 2\)"):
        Network.from_weights([np.zeros((3, 4)), np.zeros((4, 2))])
    with pytest.raises(ShapeError, match=r"shortcut"):
        Network.from_weights([np.zeros((3, 4)), np.zeros((5, 2))], shortcut=True)
    with pytest.raises(ShapeError, match=r"weights\[0\] must be a 2-D"):
        Network.from_weights([np.zeros(3)], ["identity"])
    with pytest.raises(ShapeError, match=r"weights\[0\] must be a 2-D"):
        Network.from_weights([np.zeros((1, 3))], ["identity"])  # no room for the bias row
    with pytest.raises(ConfigError, match="at least one matrix"):
        Network.from_weights([])
    with pytest.raises(ConfigError, match="finite"):
        Network.from_weights([np.array([[np.nan], [0.0]])], ["identity"])


@pytest.mark.parametrize("sizes", [[3], [], [3, 0, 1], [2.5, 1], [-1, 2], "ab", None])
def test_bad_sizes_are_config_errors(sizes):
    with pytest.raises(ConfigError, match="sizes must list at least two positive layer widths"):
        Network.create(sizes)


def test_bad_init_is_a_config_error():
    with pytest.raises(ConfigError, match="init must be one of"):
        Network.create([2, 2], init="zeros")
    with pytest.raises(ConfigError, match="init_range must be a positive number"):
        Network.create([2, 2], init="uniform", init_range=-1.0)
    with pytest.raises(ConfigError, match="seed must be"):
        Network.create([2, 2], seed="0")


@pytest.mark.parametrize("dtype", [np.int32, np.float16, np.complex128, "banana"])
def test_bad_dtype_is_a_config_error(dtype):
    with pytest.raises(ConfigError, match="dtype must be float32 or float64"):
        Network.create([2, 2], dtype=dtype)


@pytest.mark.parametrize(
    ("steepness", "message"),
    [
        (0.0, "finite and non-zero"),
        (np.nan, "finite and non-zero"),
        (np.inf, "finite and non-zero"),
        ([1.0], r"one entry per layer \(2\)"),
        ([1.0, np.ones(3)], r"one number per neuron \(2\)"),
        ([np.array([1.0, 0.0]), 1.0], "finite and non-zero"),
    ],
)
def test_bad_steepness_is_a_config_error(steepness, message):
    W = [np.zeros((3, 2)), np.zeros((3, 2))]
    with pytest.raises(ConfigError, match=message):
        Network.from_weights(W, steepness=steepness)


def test_bad_activations_are_config_errors():
    with pytest.raises(ConfigError, match="activation must be one of"):
        Network.create([2, 3, 1], hidden="sigmod")
    with pytest.raises(ConfigError, match=r"one entry per weight matrix \(2\)"):
        Network.from_weights([np.zeros((3, 2)), np.zeros((3, 1))], ["tanh"])
    with pytest.raises(ConfigError, match=r"one entry per neuron \(2\)"):
        Network.from_weights([np.zeros((3, 2))], [["tanh", "relu", "elu"]])
    with pytest.raises(ConfigError, match="softmax acts on a whole layer"):
        Network.from_weights([np.zeros((3, 2))], [["softmax", "relu"]])


@pytest.mark.parametrize("rate", [0.0, -0.5, 1.5])
def test_bad_connection_rate_is_a_config_error(rate):
    with pytest.raises(ConfigError, match=r"connection_rate must be in \(0, 1\]"):
        Network.create([2, 3, 1], connection_rate=rate)


# ----------------------------------------------------------------------------- properties


@settings(max_examples=40, deadline=None)
@given(
    sizes=layer_sizes(),
    seed=st.integers(0, 2**32 - 1),
    shortcut=st.booleans(),
    t=st.floats(-2.0, 2.0),
)
def test_identity_network_is_affine(sizes, seed, shortcut, t):
    net = Network.create(
        sizes, hidden="identity", output="identity", seed=seed, shortcut=shortcut, dtype=np.float64
    )
    x1, x2 = np.random.default_rng(seed).normal(size=(2, 1, sizes[0]))
    mix = t * net.forward(x1) + (1 - t) * net.forward(x2)
    np.testing.assert_allclose(net.forward(t * x1 + (1 - t) * x2), mix, rtol=1e-9, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    sizes=layer_sizes(), seed=st.integers(0, 2**32 - 1), shortcut=st.booleans(), m=st.integers(1, 5)
)
def test_single_sample_forward_equals_batch_forward(sizes, seed, shortcut, m):
    net = Network.create(
        sizes, hidden="tanh", output="identity", seed=seed, shortcut=shortcut, dtype=np.float64
    )
    X = np.random.default_rng(seed).normal(size=(m, sizes[0]))
    batch = net.forward(X)
    assert batch.shape == (m, sizes[-1])
    assert [W.shape for W in net.weights] == [
        (f + 1, n) for f, n in zip(net.fan_ins, sizes[1:], strict=True)
    ]
    for i in range(m):
        np.testing.assert_allclose(net.forward(X[i]), batch[i], rtol=1e-12, atol=1e-14)
