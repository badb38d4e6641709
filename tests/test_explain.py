"""Explain mode (steps checked against hand calculation, then rendering) and the Jacobian."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from neuronless import SGD, Model, Network, explain, render
from neuronless.cli import main
from neuronless.data import Labels, StandardScaler
from neuronless.errors import ConfigError, ShapeError


# ------------------------------------------------------------------------ jacobian
def _numeric_jacobian(net: Network, X: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    out = np.zeros((X.shape[0], net.n_outputs, X.shape[1]))
    for i in range(X.shape[1]):
        step = np.zeros_like(X)
        step[:, i] = eps
        out[:, :, i] = (net.forward(X + step) - net.forward(X - step)) / (2 * eps)
    return out


def _mixed() -> Network:
    net = Network([3, 4, 2], [["tanh", "sigmoid", "softplus", "identity"], ["sigmoid", "tanh"]],
                  dtype=np.float64)
    net.init_weights("glorot", rng=3)
    return net


def _per_neuron_steepness() -> Network:
    net = Network([3, 4, 2], ["tanh", "sigmoid"], steepness=[np.array([0.5, 1.0, 2.0, 1.5]), 0.7],
                  dtype=np.float64)
    net.init_weights("glorot", rng=4)
    return net


NETS = {
    "plain": lambda: Network.create([3, 5, 2], hidden="tanh", output="identity", seed=1,
                                    dtype=np.float64),
    "deep": lambda: Network.create([3, 4, 4, 2], hidden="sigmoid", output="sigmoid", seed=2,
                                   dtype=np.float64),
    "shortcut": lambda: Network.create([3, 4, 3, 2], hidden="tanh", output="sigmoid", seed=5,
                                       shortcut=True, dtype=np.float64),
    "mixed": _mixed,
    "steepness": lambda: Network.create([3, 4, 2], hidden="tanh", output="sigmoid", seed=6,
                                        steepness=0.6, dtype=np.float64),
    "per_neuron_steepness": _per_neuron_steepness,
    "softmax": lambda: Network.create([3, 4, 3], hidden="tanh", output="softmax", seed=7,
                                      dtype=np.float64),
    "shortcut_softmax": lambda: Network.create([3, 4, 3], hidden="elu", output="softmax", seed=8,
                                               shortcut=True, steepness=1.3, dtype=np.float64),
}


@pytest.mark.parametrize("kind", sorted(NETS))
def test_jacobian_matches_central_differences(kind, rng):
    net = NETS[kind]()
    X = rng.normal(size=(4, 3))
    J = net.jacobian(X)
    assert J.shape == (4, net.n_outputs, 3)
    np.testing.assert_allclose(J, _numeric_jacobian(net, X), rtol=1e-6, atol=1e-9)


def test_jacobian_leaves_the_network_unchanged(rng):
    net = NETS["softmax"]()
    before = net.params.copy()
    net.jacobian(rng.normal(size=(2, 3)))
    np.testing.assert_array_equal(net.params, before)


# ------------------------------------------------------------------------ a hand-worked sample
# x = (1, 2); hidden layer identity, output sigmoid; loss: binary cross-entropy; target 1.
W0 = np.array([[0.1, 0.2], [0.3, -0.4], [0.5, 0.0]])
W1 = np.array([[0.5], [-1.0], [0.1]])
X = np.array([1.0, 2.0])


def _hand_net() -> Network:
    return Network.from_weights([W0, W1], ["identity", "sigmoid"])


def _sigmoid(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v))


def _hand_numbers() -> dict[str, object]:
    z0 = [1 * 0.1 + 2 * 0.3 + 0.5, 1 * 0.2 + 2 * -0.4 + 0.0]  # [1.2, -0.6]
    z1 = 1.2 * 0.5 + -0.6 * -1.0 + 0.1  # 1.3
    a1 = _sigmoid(1.3)  # 0.785835...
    cost = -math.log(a1)  # target 1
    d1 = a1 - 1.0  # cross-entropy after sigmoid: a - y (m = 1)
    d0 = [d1 * 0.5, d1 * -1.0]  # identity hidden layer: slope 1
    g1 = [[1.2 * d1], [-0.6 * d1], [d1]]
    g0 = [[1 * d0[0], 1 * d0[1]], [2 * d0[0], 2 * d0[1]], [d0[0], d0[1]]]
    lr = 0.1
    new0 = [[W0[i][j] - lr * g0[i][j] for j in range(2)] for i in range(3)]
    new1 = [[W1[i][0] - lr * g1[i][0]] for i in range(3)]
    h = [1 * new0[0][j] + 2 * new0[1][j] + new0[2][j] for j in range(2)]
    a_after = _sigmoid(h[0] * new1[0][0] + h[1] * new1[1][0] + new1[2][0])
    slope = a1 * (1 - a1)  # sigmoid'(z1)
    jac = [slope * (0.1 * 0.5 + 0.2 * -1.0), slope * (0.3 * 0.5 + -0.4 * -1.0)]
    return {"z0": z0, "z1": z1, "a1": a1, "cost": cost, "d1": d1, "d0": d0, "g0": g0,
            "g1": g1, "new0": new0, "new1": new1, "cost_after": -math.log(a_after),
            "a_after": a_after, "jac": jac}


def test_explain_matches_hand_calculation():
    h = _hand_numbers()
    steps = explain(_hand_net(), X, [1.0], optimizer=SGD(0.1))
    kinds = [(s.kind, s.layer) for s in steps]
    assert kinds == [("forward", 0), ("forward", 1), ("output", None), ("cost", None),
                     ("delta", 1), ("delta", 0), ("gradient", 0), ("gradient", 1),
                     ("update", 0), ("update", 1), ("after", None), ("sensitivity", None)]
    f0, f1, out, cost, d1, d0, g0, g1, u0, u1, after, sens = steps
    close = np.testing.assert_allclose
    close(f0.arrays["a_prev"], [[1.0, 2.0]])
    close(f0.arrays["W"], W0)
    close(f0.arrays["z"], [h["z0"]])
    close(f0.arrays["a"], [h["z0"]])
    assert f0.formula.splitlines() == ["z = a_prev @ W[:-1] + W[-1]", "a = identity(1.0 * z)"]
    close(f1.arrays["a_prev"], [h["z0"]])
    close(f1.arrays["z"], [[h["z1"]]])
    close(f1.arrays["a"], [[h["a1"]]])
    assert "a = sigmoid(1.0 * z)" in f1.formula
    close(out.arrays["output"], [[h["a1"]]])
    assert out.arrays["predicted_class"].tolist() == [1]
    assert "probability of class 1" in out.words
    close(cost.arrays["cost"], h["cost"])
    close(cost.arrays["target"], [[1.0]])
    close(d1.arrays["delta"], [[h["d1"]]])
    close(d0.arrays["delta"], [h["d0"]])
    close(g0.arrays["grad W"], h["g0"])
    close(g0.arrays["delta"], [h["d0"]])
    close(g1.arrays["grad W"], h["g1"])
    close(g1.arrays["a_prev"], [h["z0"]])
    assert "grad W[:-1] = a_prev.T @ delta" in g0.formula
    assert "delta summed over samples" in g0.formula
    close(u0.arrays["W"], W0)
    close(u0.arrays["W_new"], h["new0"])
    close(u0.arrays["change"], np.array(h["new0"]) - W0)
    close(u1.arrays["W_new"], h["new1"])
    close(after.arrays["cost"], h["cost"])
    close(after.arrays["cost_after"], h["cost_after"])
    close(after.arrays["output_after"], [[h["a_after"]]])
    close(sens.arrays["jacobian"], [h["jac"]])
    assert "x[1]" in sens.notes[0].split("mattered most:")[1].split(",")[0]  # |0.55| > |-0.15|

    text = render(steps, precision=4)
    for s in steps:
        for arr in s.arrays.values():
            for v in np.asarray(arr, dtype=np.float64).ravel():
                assert f"{v:.4f}" in text
    assert f"{h['cost']:.4f}" == "0.2410"
    assert "0.2410" in text
    assert "\033[" not in text
    assert "\033[" in render(steps, color=True)
    assert f"{h['a1']:.2f}" in render(steps, precision=2)


def test_explain_without_target_is_forward_only_and_leaves_the_net_alone():
    net = _hand_net()
    before = net.params.copy()
    steps = explain(net, X)
    assert [s.kind for s in steps] == ["forward", "forward", "output", "sensitivity"]
    np.testing.assert_allclose(steps[1].arrays["a"], [[_sigmoid(1.3)]])
    explain(net, X, [1.0])
    np.testing.assert_array_equal(net.params, before)


def test_json_round_trip_holds_every_number():
    steps = explain(_hand_net(), X, [1.0])
    data = json.loads(render(steps, "json"))
    assert [d["kind"] for d in data["steps"]] == [s.kind for s in steps]
    for d, s in zip(data["steps"], steps, strict=True):
        assert set(d["arrays"]) == set(s.arrays)
        for name, arr in s.arrays.items():
            assert d["arrays"][name]["shape"] == list(np.shape(arr))
            np.testing.assert_allclose(d["arrays"][name]["values"], arr)


def test_markdown_has_tables_and_code_blocks():
    md = render(explain(_hand_net(), X, [1.0]), "markdown")
    assert "```\nz = a_prev @ W[:-1] + W[-1]" in md
    assert "|---:|---:|" in md
    assert "| 1.2000 | -0.6000 |" in md


def test_big_matrices_are_elided_unless_asked():
    net = Network.create([30, 20, 2], output="softmax", seed=0)
    steps = explain(net, np.zeros(30))
    text = render(steps)
    assert "W (31, 20):" in text
    assert "…" in text
    assert "…" not in render(steps, max_entries=None)
    assert "…" in render(steps, "markdown")


def test_softmax_output_names_the_class_label():
    net = Network.create([2, 3], output="softmax", seed=0, dtype=np.float64)
    model = Model(net, "classification", Labels(["cat", "dog", "eel"]))
    steps = explain(net, [0.5, -1.0], model=model)
    out = steps[1]
    idx = int(net.forward(np.array([[0.5, -1.0]]))[0].argmax())
    assert out.arrays["predicted_class"].tolist() == [idx]
    assert f"predicted label {['cat', 'dog', 'eel'][idx]!r}" in out.notes


def test_regression_output_is_unscaled_by_the_model():
    net = Network.from_weights([np.array([[2.0], [0.5]])], ["identity"])
    target = StandardScaler().fit(np.array([[10.0], [20.0]]))  # mean 15, std 5
    steps = explain(net, [1.0], model=Model(net, "regression", target_scaler=target))
    np.testing.assert_allclose(steps[1].arrays["value"], [[15.0 + 5.0 * 2.5]])


def test_explain_rejects_several_samples_and_bad_formats():
    with pytest.raises(ShapeError, match="one sample"):
        explain(_hand_net(), np.zeros((2, 2)))
    with pytest.raises(ConfigError, match="format"):
        render([], "html")


# ------------------------------------------------------------------------ CLI
@pytest.fixture
def trained(tmp_path):
    rows = ["a,b,c,label"]
    gen = np.random.default_rng(0)
    for a, b, c in gen.uniform(-1, 1, size=(30, 3)).round(3):
        rows.append(f"{a},{b},{c},{'yes' if a + b > 0 else ('no' if c > 0 else 'maybe')}")
    data = tmp_path / "d.csv"
    data.write_text("\n".join(rows) + "\n")
    model = tmp_path / "m.nless"
    assert main(["train", str(data), "-o", str(model), "--epochs", "3", "--layers", "3",
                 "--scale", "standard"]) == 0
    return model, data


def test_cli_explain_backward_json(trained, capsys):
    model, data = trained
    capsys.readouterr()
    assert main(["explain", str(model), str(data), "--sample", "3", "--backward",
                 "--format", "json"]) == 0
    steps = json.loads(capsys.readouterr().out)["steps"]
    kinds = [s["kind"] for s in steps]
    # data first: the raw row, the encoded row, the scaled row, then the layers
    assert kinds[:6] == ["raw", "encode", "scale", "forward", "forward", "output"]
    assert "gradient" in kinds
    assert kinds[-1] == "sensitivity"
    (cost,) = [s for s in steps if s["kind"] == "cost"]
    assert cost["arrays"]["target"]["shape"] == [1, 3]
    assert sum(cost["arrays"]["target"]["values"][0]) == 1.0


def test_cli_explain_starts_from_the_raw_row(trained, capsys):
    model, data = trained
    capsys.readouterr()
    assert main(["explain", str(model), str(data), "--sample", "3", "--format", "json",
                 "--precision", "6"]) == 0
    listed = json.loads(capsys.readouterr().out)["steps"]
    steps = {s["kind"]: s for s in reversed(listed)}  # the first step of each kind
    row = [float(v) for v in data.read_text().splitlines()[4].split(",")[:3]]  # sample 3
    assert steps["raw"]["notes"] == [f"{n} = {v!r}" for n, v in zip("abc", row, strict=True)]
    # three numeric columns without missing values encode as themselves ...
    np.testing.assert_allclose(steps["encode"]["arrays"]["e"]["values"], [row])
    # ... and are standardised with the training rows' mean and scale
    scale = steps["scale"]["arrays"]
    expected = (np.array(row) - scale["mean"]["values"][0]) / scale["scale"]["values"][0]
    np.testing.assert_allclose(scale["x"]["values"][0], expected, rtol=1e-12)
    np.testing.assert_allclose(steps["forward"]["arrays"]["a_prev"]["values"][0], expected,
                               rtol=1e-6)  # layer 0 receives the scaled row (float32)


def test_cli_explain_text_forward(trained, capsys):
    model, data = trained
    capsys.readouterr()
    assert main(["explain", str(model), str(data), "--precision", "2", "--all"]) == 0
    out = capsys.readouterr().out
    assert "[forward layer 0]" in out
    assert "predicted label" in out
    assert "[cost]" not in out


def test_cli_explain_errors(trained, tmp_path, capsys):
    model, data = trained
    capsys.readouterr()
    assert main(["explain", str(model), str(data), "--sample", "30"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--sample" in err
    features = tmp_path / "x.csv"
    features.write_text("a,b,c\n0.1,0.2,0.3\n")
    assert main(["explain", str(model), str(features), "--backward"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--backward" in err


def test_cli_explain_shows_the_update_of_the_optimizer_the_model_was_trained_with(tmp_path, capsys):
    rows = ["a,b,label"] + [f"{i % 3},{(i * 7) % 5},{'yes' if i % 2 else 'no'}" for i in range(24)]
    data = tmp_path / "d.csv"
    data.write_text("\n".join(rows) + "\n")
    model = tmp_path / "m.nless"
    assert main(["train", str(data), "-o", str(model), "--epochs", "2", "--layers", "3",
                 "--optimizer", "momentum", "--lr", "0.05"]) == 0
    capsys.readouterr()
    assert main(["explain", str(model), str(data), "--sample", "1", "--backward"]) == 0
    out = capsys.readouterr().out
    assert "Update of W0 (Momentum, learning_rate=0.05, momentum=0.9)" in out


def test_a_clamped_layer_says_so_and_its_numbers_are_clamped():
    # FANN's summation clamp: a = f(clip(s * z, -c, c)); here s * z = 2 * 3 = 6 is clipped to 1.
    net = Network.from_weights([np.array([[3.0], [0.0]])], ["identity"], steepness=2.0,
                               clamp=[1.0])
    steps = explain(net, np.array([1.0]))
    step = steps[0]
    assert "identity(clip(2.0 * z, -1, 1))" in step.formula
    assert any("clamp" in note for note in step.notes)
    np.testing.assert_allclose(step.arrays["z"], [[3.0]])
    np.testing.assert_allclose(step.arrays["a"], [[1.0]])
