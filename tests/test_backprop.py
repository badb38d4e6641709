"""Backprop: hand examples, a plain reference implementation, and gradient checks everywhere."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special

from neuronless import (
    ACTIVATIONS,
    Activation,
    Backprop,
    ConfigError,
    Network,
    ShapeError,
    check_gradients,
    loss_and_grads,
    numerical_grad,
)
from neuronless.activations import CORE_ACTIVATIONS
from neuronless.network import views

expit = scipy.special.expit

# ----------------------------------------------------------------------------- a reference

# f and f' written from the textbook formulas, independent of neuronless.activations
FUNC = {
    "identity": lambda x: x,
    "sigmoid": expit,
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0.0),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.01 * x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
    "softplus": lambda x: np.log1p(np.exp(x)),
    "softmax": lambda x: scipy.special.softmax(x, axis=1),
}
DERIV = {
    "identity": lambda x: np.ones_like(x),
    "sigmoid": lambda x: expit(x) * (1 - expit(x)),
    "tanh": lambda x: 1 / np.cosh(x) ** 2,
    "relu": lambda x: (x > 0).astype(float),
    "leaky_relu": lambda x: np.where(x > 0, 1.0, 0.01),
    "elu": lambda x: np.where(x > 0, 1.0, np.exp(np.minimum(x, 0.0))),
    "softplus": expit,
}


def reference_loss_and_grads(weights, names, steepness, X, Y, loss, l2=0.0):
    """Backprop for a plain (no shortcut, no mask) net, one layer at a time, allocating freely.

    Forward: x_k = s_k * (a_{k-1} @ W_k[:-1] + W_k[-1]), a_k = f_k(x_k). The cost is summed
    over outputs and averaged over the m samples, plus l2/(2m) * sum of squared weights.
    The backward pass never uses a fused (a - y) shortcut: it goes through d cost/d a.
    """
    m = len(X)
    inputs, xs, outs = [], [], []
    a = X
    for W, name, s in zip(weights, names, steepness, strict=True):
        inputs.append(a)
        x = s * (a @ W[:-1] + W[-1])
        a = FUNC[name](x)
        xs.append(x)
        outs.append(a)
    if loss == "mse":
        cost = 0.5 * np.sum((a - Y) ** 2) / m
        d_a = (a - Y) / m
    elif loss == "binary_cross_entropy":
        cost = -np.sum(Y * np.log(a) + (1 - Y) * np.log(1 - a)) / m
        d_a = (-Y / a + (1 - Y) / (1 - a)) / m
    else:  # cross_entropy
        cost = -np.sum(Y * np.log(a)) / m
        d_a = -Y / a / m
    cost += l2 / (2 * m) * sum(np.sum(W[:-1] ** 2) for W in weights)
    grads = [None] * len(weights)
    for k in reversed(range(len(weights))):
        W, name, s, a_k = weights[k], names[k], steepness[k], outs[k]
        if name == "softmax":  # row i: d_x = J_i^T d_a with J_i = diag(a_i) - a_i a_i^T
            d_x = np.stack(
                [(np.diag(ai) - np.outer(ai, ai)).T @ gi for ai, gi in zip(a_k, d_a, strict=True)]
            )
        else:
            d_x = d_a * DERIV[name](xs[k])
        d_z = d_x * s
        g_w = inputs[k].T @ d_z + l2 / m * W[:-1]
        g_b = d_z.sum(axis=0)
        grads[k] = np.vstack([g_w, g_b])
        d_a = d_z @ W[:-1].T
    return cost, np.concatenate([g.ravel() for g in grads])


# ----------------------------------------------------------------------------- by hand


def test_one_step_by_hand():
    # x = 2; hidden = 2*0.5 + 0.1 = 1.1; out = 1.1*(-1.0) + 0.3 = -0.8; target 0.2
    # loss = 0.5*(-0.8 - 0.2)**2 = 0.5; d loss/d out = -1.0
    # W1: (hidden * -1, -1) = (-1.1, -1); d loss/d hidden = -1.0 * -1.0 = 1 -> W0: (2*1, 1)
    W0, W1 = np.array([[0.5], [0.1]]), np.array([[-1.0], [0.3]])
    net = Network.from_weights([W0, W1], ["identity", "identity"])
    loss, grads = loss_and_grads(net, np.array([[2.0]]), np.array([[0.2]]), "mse")
    assert loss == pytest.approx(0.5)
    np.testing.assert_allclose(grads, [2.0, 1.0, -1.1, -1.0])  # W0 (x, 1), then W1 (hidden, 1)


def test_sigmoid_hidden_with_l2_by_hand():
    # x = 1; z0 = 1*2 - 2 = 0; h = sigmoid(0) = 0.5, sigmoid'(0) = 0.25
    # out = 0.5*4 + 1 = 3; target 1; data loss = 0.5*(3 - 1)**2 = 2; d loss/d out = 2
    # l2 = 0.5, m = 1: + 0.5/2 * (2**2 + 4**2) = 5 -> loss 7 (the biases -2 and 1 are not penalised)
    # W1: (h*2 + 0.5*4, 2) = (3, 2); d loss/d h = 2*4 = 8, d loss/d z0 = 8*0.25 = 2
    # W0: (x*2 + 0.5*2, 2) = (3, 2)
    W0, W1 = np.array([[2.0], [-2.0]]), np.array([[4.0], [1.0]])
    net = Network.from_weights([W0, W1], ["sigmoid", "identity"])
    loss, grads = loss_and_grads(net, np.array([[1.0]]), np.array([[1.0]]), "mse", l2=0.5)
    assert loss == pytest.approx(7.0)
    np.testing.assert_allclose(grads, [3.0, 2.0, 3.0, 2.0])
    # the same sample twice (m = 2): the data term is averaged (still 2), L2 becomes
    # 0.5/(2*2) * 20 = 2.5 and its gradient l2/m * w = 0.25 * w: (2 + 0.5, 2, 1 + 1, 2)
    loss, grads = loss_and_grads(
        net, np.array([[1.0], [1.0]]), np.array([[1.0], [1.0]]), "mse", l2=0.5
    )
    assert loss == pytest.approx(4.5)
    np.testing.assert_allclose(grads, [2.5, 2.0, 2.0, 2.0])


def test_sigmoid_binary_cross_entropy_with_steepness_by_hand():
    # x = 3; z = 3*1 - 2 = 1; steepness 2 -> logit 2; a = sigmoid(2); target 1
    # loss = -log(sigmoid(2)) = log(1 + e**-2); d loss/d z = 2 * (a - 1) -> grads (3, 1) times that
    net = Network.from_weights([np.array([[1.0], [-2.0]])], ["sigmoid"], steepness=2.0)
    loss, grads = loss_and_grads(net, [[3.0]], [[1.0]], "binary_cross_entropy")
    assert loss == pytest.approx(np.log1p(np.exp(-2.0)))
    np.testing.assert_allclose(grads, 2 * (expit(2.0) - 1) * np.array([3.0, 1.0]))


def test_softmax_cross_entropy_by_hand():
    # x = 1; logits (1, -1); two-class softmax = (sigmoid(2), sigmoid(-2)); target class 0
    # loss = log(1 + e**-2); d loss/d z = a - y = (sigmoid(2) - 1, 1 - sigmoid(2)), times x and 1
    W = np.array([[1.0, -1.0], [0.0, 0.0]])
    net = Network.from_weights([W], ["softmax"])
    loss, grads = loss_and_grads(net, [[1.0]], [[1.0, 0.0]], "cross_entropy")
    assert loss == pytest.approx(np.log1p(np.exp(-2.0)))
    d = 1 - expit(2.0)
    np.testing.assert_allclose(grads, [-d, d, -d, d])


# ----------------------------------------------------------------------------- the reference

# the reference above covers activations.py's functions; test_fann_activations checks FANN's
HIDDEN = sorted(CORE_ACTIVATIONS)
PAIRS = [(out, "mse") for out in sorted(CORE_ACTIVATIONS)] + [
    ("sigmoid", "binary_cross_entropy"),
    ("softmax", "cross_entropy"),
]


def targets(loss: str, rng: np.random.Generator, m: int, n: int) -> np.ndarray:
    if loss == "cross_entropy":
        return rng.dirichlet(np.ones(n), size=m)  # rows are distributions
    if loss == "binary_cross_entropy":
        return rng.random((m, n))
    return rng.normal(size=(m, n))


def test_reference_reproduces_the_hand_examples():
    W0, W1 = np.array([[2.0], [-2.0]]), np.array([[4.0], [1.0]])
    loss, grads = reference_loss_and_grads(
        [W0, W1], ["sigmoid", "identity"], [1, 1], np.array([[1.0]]), np.array([[1.0]]), "mse", 0.5
    )
    assert loss == pytest.approx(7.0)
    np.testing.assert_allclose(grads, [3.0, 2.0, 3.0, 2.0])


@pytest.mark.parametrize(("output", "loss"), PAIRS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_loss_and_grads_equal_the_reference_for_plain_nets(hidden, output, loss, rng):
    steep = [0.7, 1.3]
    base = Network.create([3, 4, 3], seed=3, dtype=np.float64)
    net = Network.from_weights(base.weights, [hidden, output], steepness=steep)
    X, Y = rng.normal(size=(5, 3)), targets(loss, rng, 5, 3)
    value, grads = loss_and_grads(net, X, Y, loss, l2=0.3)
    ref_value, ref_grads = reference_loss_and_grads(
        net.weights, [hidden, output], steep, X, Y, loss, 0.3
    )
    assert value == pytest.approx(ref_value, rel=1e-12)
    np.testing.assert_allclose(grads, ref_grads, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(("output", "loss"), PAIRS)
def test_loss_equals_the_cost_of_the_forward_output(output, loss, rng):
    # the loss must describe what forward() computes, steepness and all
    net = Network.create(
        [3, 4, 3], hidden="tanh", output=output, seed=4, steepness=1.7, dtype=np.float64
    )
    X, Y = rng.normal(size=(6, 3)), targets(loss, rng, 6, 3)
    a = net.forward(X)
    if loss == "mse":
        expected = 0.5 * np.sum((a - Y) ** 2) / 6
    elif loss == "binary_cross_entropy":
        expected = -np.sum(Y * np.log(a) + (1 - Y) * np.log(1 - a)) / 6
    else:
        expected = -np.sum(Y * np.log(a)) / 6
    assert loss_and_grads(net, X, Y, loss)[0] == pytest.approx(expected, rel=1e-12)


def test_backprop_object_reuses_its_buffers_and_gives_the_same_answer(rng):
    net = Network.create([3, 4, 2], hidden="relu", output="softmax", seed=2, dtype=np.float64)
    X1, X2 = rng.normal(size=(2, 5, 3))
    Y1, Y2 = targets("cross_entropy", rng, 5, 2), targets("cross_entropy", rng, 5, 2)
    bp = Backprop(net, 5, "cross_entropy", l2=0.1)
    first = bp(X1, Y1), bp.grads.copy()
    bp(X2, Y2)
    assert bp(X1, Y1) == first[0]
    np.testing.assert_array_equal(bp.grads, first[1])
    loss, grads = loss_and_grads(net, X1, Y1, "cross_entropy", l2=0.1)
    assert loss == pytest.approx(first[0], rel=1e-14)
    np.testing.assert_allclose(grads, first[1], rtol=1e-12)
    for g, W in zip(bp.grad_views, net.weights, strict=True):
        assert g.shape == W.shape


# ----------------------------------------------------------------------------- gradient checks

TOPOLOGIES = ["plain", "shortcut", "sparse", "mixed", "layer_steepness", "neuron_steepness"]
OTHERS = ["sigmoid", "elu", "softplus", "tanh"]


def build(topology: str, hidden: str, output: str, seed: int = 0) -> Network:
    """A tiny float64 net, [2, 2, 2], of the given topology (few parameters: fast checks)."""
    sizes = [2, 2, 2]
    # U(-1, 1) weights *and biases*: with zero biases a sparse relu net can put a net input
    # exactly on the kink at 0 (every input of a unit masked or dead)
    kw = {"seed": seed, "dtype": np.float64, "init": "uniform", "init_range": 1.0}
    if topology == "shortcut":
        return Network.create(sizes, hidden, output, shortcut=True, **kw)
    if topology == "sparse":
        net = Network.create(sizes, hidden, output, connection_rate=0.5, **kw)
        assert net.mask is not None
        assert not net.mask.all()
        return net
    base = Network.create(sizes, hidden, output, **kw)
    if topology == "plain":
        return base
    if topology == "mixed":  # the activation under test beside another one in the hidden layer
        mix = [hidden, next(a for a in OTHERS if a != hidden)]
        return Network.from_weights(base.weights, [mix, output])
    if topology == "layer_steepness":
        return Network.from_weights(base.weights, [hidden, output], steepness=[0.5, 1.7])
    return Network.from_weights(  # neuron_steepness
        base.weights,
        [hidden, output],
        steepness=[np.array([0.5, 2.0]), np.array([0.8, 1.6])],
    )


@pytest.mark.parametrize(
    ("hidden", "topology"),
    [
        (hidden, topology)
        for hidden in HIDDEN
        for topology in TOPOLOGIES
        if not (topology == "mixed" and hidden == "softmax")  # softmax cannot share a layer
    ],
)
def test_gradient_check(hidden, topology):
    # every (output, cost) pair and l2 in {0, 0.3} for this hidden activation and topology;
    # one test item per (hidden, topology) keeps the 940 checks fast, and a failure lists
    # every combination that failed, with its report.
    # relu-family units have a kink at 0: with random data and U(-1, 1) biases no net input
    # falls within eps (1e-6) of it, so central differences are valid at these points
    failures, checked = [], 0
    for output, loss in PAIRS:
        for l2 in (0.0, 0.3):
            net = build(topology, hidden, output)
            rng = np.random.default_rng(1)
            X, Y = rng.normal(size=(3, 2)), targets(loss, rng, 3, 2)
            report = check_gradients(net, X, Y, loss, l2=l2)
            checked += 1
            if not (report.passed and report.relative_diff < 1e-7):
                failures.append(f"{hidden}/{output}/{loss}/{topology}/l2={l2}:\n{report}")
    assert checked == 2 * len(PAIRS)
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize(("output", "loss"), PAIRS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_backprop_matches_numerical_grad(hidden, output, loss, rng):
    # the same comparison as check_gradients, written out with numerical_grad directly
    # (relu-family kinks: U(-1, 1) biases keep every net input away from 0)
    l2 = 0.3
    net = Network.create(
        [3, 3, 2],
        hidden=hidden,
        output=output,
        seed=1,
        init="uniform",
        init_range=1.0,
        dtype=np.float64,
    )
    X, Y = rng.normal(size=(4, 3)), targets(loss, rng, 4, 2)
    _, analytic = loss_and_grads(net, X, Y, loss, l2)
    analytic = analytic.copy()

    def loss_at(p):
        net.params[:] = p  # the weight views follow
        return loss_and_grads(net, X, Y, loss, l2)[0]

    numeric = numerical_grad(loss_at, net.params.copy())
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_check_gradients_works_on_a_float32_net_and_leaves_it_alone(rng):
    net = Network.create([3, 4, 2], hidden="tanh", output="softmax", seed=1)
    before = net.params.copy()
    report = check_gradients(
        net, rng.normal(size=(5, 3)), targets("cross_entropy", rng, 5, 2), "cross_entropy", l2=0.1
    )
    assert report.passed, str(report)
    assert net.dtype == np.float32
    np.testing.assert_array_equal(net.params, before)


# ----------------------------------------------------------------------------- masks


@pytest.mark.parametrize("shortcut", [False, True])
@pytest.mark.parametrize(
    ("output", "loss"),
    [("sigmoid", "mse"), ("sigmoid", "binary_cross_entropy"), ("softmax", "cross_entropy")],
)
def test_masked_weights_get_exactly_zero_gradient(output, loss, shortcut, rng):
    net = Network.create(
        [4, 5, 3, 2],
        hidden="tanh",
        output=output,
        seed=0,
        shortcut=shortcut,
        connection_rate=0.4,
        dtype=np.float64,
    )
    assert net.mask is not None
    assert (~net.mask).sum() > 5
    _, grads = loss_and_grads(net, rng.normal(size=(6, 4)), targets(loss, rng, 6, 2), loss, l2=0.5)
    assert np.all(grads[~net.mask] == 0.0)
    # (an existing weight may legitimately get 0 too, when every path from it is masked)
    assert np.count_nonzero(grads[net.mask]) > net.mask.sum() // 2


def test_masked_gradient_equals_the_dense_gradient_restricted_to_the_mask(rng):
    net = Network.create([3, 4, 2], seed=0, connection_rate=0.5, dtype=np.float64)
    dense = Network.from_weights(net.weights, ["tanh", "sigmoid"])  # same weights, no mask
    X, Y = rng.normal(size=(5, 3)), rng.random((5, 2))
    _, g_sparse = loss_and_grads(net, X, Y, "mse")
    _, g_dense = loss_and_grads(dense, X, Y, "mse")
    np.testing.assert_allclose(g_sparse, np.where(net.mask, g_dense, 0.0), rtol=1e-14)


# ----------------------------------------------------------------------------- the report


def test_check_gradients_report_reads_pass_and_lists_each_layer(rng):
    net = Network.create([3, 4, 2], seed=1)
    report = check_gradients(net, rng.normal(size=(5, 3)), rng.random((5, 2)), "mse")
    text = str(report)
    assert bool(report) is True
    assert text.startswith("gradient check PASS")
    assert "ok   weights[0] (4, 4)" in text
    assert "ok   weights[1] (5, 2)" in text
    assert [c.layer for c in report.layers] == [0, 1]
    assert report.analytic.shape == report.numeric.shape == net.params.shape
    assert repr(report) == text


def test_check_gradients_catches_a_wrong_derivative(rng):
    # tanh with its derivative 10 % too large: backprop is then wrong in weights[0] only
    tanh = ACTIVATIONS["tanh"]
    wrong = Activation(
        "tanh_wrong", f=tanh.f, df=lambda x, a: 1.1 * (1.0 - a * a), output_range=tanh.output_range
    )
    net = Network.create([3, 4, 2], hidden=wrong, output="sigmoid", seed=1)
    report = check_gradients(net, rng.normal(size=(5, 3)), rng.random((5, 2)), "mse")
    assert report.passed is False
    assert bool(report) is False
    assert report.relative_diff > 1e-3
    assert [c.passed for c in report.layers] == [False, True]
    text = str(report)
    assert text.startswith("gradient check FAIL")
    assert "FAIL weights[0] (4, 4)" in text
    assert "ok   weights[1] (5, 2)" in text
    assert "backprop" in text
    assert "numeric" in text


def test_numerical_grad_of_a_known_function_and_skip():
    p = np.array([0.3, -1.2, 2.0])
    np.testing.assert_allclose(
        numerical_grad(lambda q: float(np.sum(np.sin(q))), p.copy()), np.cos(p), rtol=1e-9
    )
    g = numerical_grad(lambda q: float(np.sum(q**2)), p.copy(), skip=np.array([False, True, False]))
    np.testing.assert_allclose(g, [0.6, 0.0, 4.0], rtol=1e-9)


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("output", "loss", "message"),
    [
        ("sigmoid", "cross_entropy", "needs a softmax output layer; got 'sigmoid'"),
        ("tanh", "cross_entropy", "needs a softmax output layer; got 'tanh'"),
        ("softmax", "binary_cross_entropy", "needs a sigmoid output layer; got 'softmax'"),
        ("identity", "bce", "needs a sigmoid output layer"),
    ],
)
def test_invalid_loss_and_output_pairs_are_config_errors(output, loss, message):
    net = Network.create([2, 3, 2], output=output, seed=0)
    with pytest.raises(ConfigError, match=message):
        loss_and_grads(net, np.zeros((1, 2)), np.zeros((1, 2)), loss)
    with pytest.raises(ConfigError, match=message):
        check_gradients(net, np.zeros((1, 2)), np.zeros((1, 2)), loss)


def test_fused_loss_on_a_mixed_output_layer_is_a_config_error():
    net = Network.from_weights([np.zeros((3, 2))], [["sigmoid", "tanh"]])
    with pytest.raises(ConfigError, match="mixes activations"):
        loss_and_grads(net, np.zeros((1, 2)), np.zeros((1, 2)), "binary_cross_entropy")
    loss_and_grads(net, np.zeros((1, 2)), np.zeros((1, 2)), "mse")  # mse is fine


@pytest.mark.parametrize("l2", [-0.1, np.nan, np.inf])
def test_bad_l2_is_a_config_error(l2):
    net = Network.create([2, 2], seed=0)
    with pytest.raises(ConfigError, match="l2 must be a non-negative number"):
        loss_and_grads(net, np.zeros((1, 2)), np.zeros((1, 2)), "mse", l2=l2)


def test_bad_loss_name_is_a_config_error():
    net = Network.create([2, 2], seed=0)
    with pytest.raises(ConfigError, match="loss must be one of"):
        loss_and_grads(net, np.zeros((1, 2)), np.zeros((1, 2)), "hinge")


@pytest.mark.parametrize(
    ("Y", "message"),
    [
        (np.zeros((5, 3)), r"Y must have shape \(5, 2\).*got \(5, 3\)"),
        (np.zeros((4, 2)), r"Y must have shape \(5, 2\).*got \(4, 2\)"),
        (np.zeros(5), r"Y must have shape \(5, 2\).*got \(5,\)"),
        (np.zeros((5, 2, 1)), r"Y must have shape \(5, 2\)"),
        (np.array([["a", "b"]] * 5), "Y must hold numbers"),
    ],
)
def test_bad_Y_is_a_shape_error(Y, message):
    net = Network.create([3, 4, 2], seed=0)
    with pytest.raises(ShapeError, match=message):
        loss_and_grads(net, np.zeros((5, 3)), Y)


def test_bad_X_is_a_shape_error():
    net = Network.create([3, 4, 2], seed=0)
    with pytest.raises(ShapeError, match=r"X must have shape \(n_samples, 3\)"):
        loss_and_grads(net, np.zeros((5, 4)), np.zeros((5, 2)))


def test_1d_targets_are_accepted_where_unambiguous(rng):
    net = Network.create([3, 4, 1], seed=0, dtype=np.float64)
    X, y = rng.normal(size=(5, 3)), rng.random(5)
    a = loss_and_grads(net, X, y)
    b = loss_and_grads(net, X, y.reshape(-1, 1))
    assert a[0] == b[0]
    np.testing.assert_array_equal(a[1], b[1])
    wide = Network.create([3, 4, 2], seed=0, dtype=np.float64)
    one = loss_and_grads(wide, X[0], np.array([0.2, 0.7]))  # one sample, 1-D X and Y
    assert one[0] == loss_and_grads(wide, X[:1], np.array([[0.2, 0.7]]))[0]


def test_grad_views_follow_the_params_layout():
    net = Network.create([3, 4, 2], seed=0, dtype=np.float64)
    _, grads = loss_and_grads(net, np.ones((2, 3)), np.zeros((2, 2)))
    gv = views(grads, net.shapes)
    assert [g.shape for g in gv] == [(4, 4), (5, 2)]
    assert all(np.shares_memory(g, grads) for g in gv)


def test_backprop_trace_records_z_when_asked_and_gives_the_same_gradient(rng):
    from neuronless import Backprop

    net = Network.create([3, 4, 2], hidden="tanh", output="softmax", seed=2, dtype=np.float64)
    X = rng.normal(size=(5, 3))
    Y = np.eye(2)[rng.integers(0, 2, 5)]
    plain = Backprop(net, 5, "cross_entropy")
    loss_plain = plain(X, Y)
    traced = Backprop(net, 5, "cross_entropy", keep_z=True)
    loss_traced = traced(X, Y)
    assert loss_traced == pytest.approx(loss_plain, rel=1e-12)
    np.testing.assert_allclose(traced.grads, plain.grads, rtol=1e-12, atol=1e-15)
    layers = traced.ws.trace.layers
    W0, W1 = net.weights
    np.testing.assert_allclose(layers[0].z, X @ W0[:-1] + W0[-1], rtol=1e-12)
    np.testing.assert_allclose(layers[0].a, np.tanh(layers[0].z), rtol=1e-12)
    np.testing.assert_allclose(layers[1].z, layers[0].a @ W1[:-1] + W1[-1], rtol=1e-12)
    e = np.exp(layers[1].z - layers[1].z.max(axis=1, keepdims=True))
    np.testing.assert_allclose(layers[1].a, e / e.sum(axis=1, keepdims=True), rtol=1e-12)
    assert all(layer.z is None for layer in plain.ws.trace.layers)


def test_loss_and_grads_refuses_targets_outside_the_cross_entropies_range():
    net = Network.create([2, 3, 2], output="softmax", seed=0, dtype=np.float64)
    X = np.zeros((2, 2))
    with pytest.raises(ConfigError, match="probability distributions"):
        loss_and_grads(net, X, [[1.0, 1.0], [0.0, 1.0]], "cross_entropy")
    sig = Network.create([2, 3, 1], output="sigmoid", seed=0, dtype=np.float64)
    with pytest.raises(ConfigError, match=r"lie in \[0, 1\]"):
        loss_and_grads(sig, X, [[2.0], [0.0]], "binary_cross_entropy")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_one_hot_check_agrees_with_allclose_at_its_tolerance(dtype):
    # the row-sum test is np.allclose(sums, 1.0, atol=1e-3) written without its temporaries:
    # the same rows must pass and fail, right at the edge of the tolerance and beyond
    from neuronless.backprop import check_loss_targets
    from neuronless.losses import get_loss

    edge = dtype(1.0) + dtype(1e-3 + 1e-5)
    sums = [edge, np.nextafter(edge, dtype(2)), np.nextafter(edge, dtype(0)), 2 - edge,
            dtype(1.0), dtype(1.0 - 1e-3), dtype(0.5), dtype(np.nan), dtype(1.0 + 2e-3)]
    sums += list(np.linspace(1 - 1.2e-3, 1 + 1.2e-3, 97, dtype=dtype))
    loss = get_loss("cross_entropy")
    for s in sums:
        Y = np.array([[s - dtype(0.25), dtype(0.25)], [dtype(0.0), dtype(1.0)]], dtype=dtype)
        expected_ok = np.allclose(Y.sum(axis=1), 1.0, atol=1e-3)
        try:
            check_loss_targets(loss, Y)
            ok = True
        except ConfigError:
            ok = False
        assert ok == expected_ok, (dtype, s)


@pytest.mark.parametrize("steepness", [1.0, 2.5])
def test_identity_output_with_mse_takes_the_plain_pass_and_matches_finite_differences(steepness):
    # regression nets (identity output, ½·squared error) use the one-closure plain pass too
    rng = np.random.default_rng(3)
    net = Network.create([3, 5, 2], hidden="tanh", output="identity", seed=2, dtype=np.float64,
                         steepness=[1.0, steepness])
    X, Y = rng.normal(size=(7, 3)), rng.normal(size=(7, 2))
    bp = Backprop(net, 7, "mse")
    assert bp._pass != bp._general_pass
    loss = bp(X, Y)
    a = net.forward(X)
    assert loss == pytest.approx(0.5 * np.sum((a - Y) ** 2) / 7, rel=1e-12)

    def loss_at(p):
        saved = net.params.copy()
        net.params[:] = p
        value = 0.5 * float(np.sum((net.forward(X) - Y) ** 2)) / 7
        net.params[:] = saved
        return value

    numeric = numerical_grad(loss_at, net.params.copy())
    np.testing.assert_allclose(bp.grads, numeric, rtol=1e-6, atol=1e-9)
