"""diagnose: each problem built on purpose is found, with the right code and layer; a healthy
net on healthy data gives no warnings; the ``diagnose`` subcommand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from neuronless import Finding, History, Network, diagnose, render_findings
from neuronless.cli import main
from neuronless.diagnostics import (
    DEAD_WARNING,
    EXPLODING_NORM,
    IMBALANCE_MIN_SHARE,
    SATURATED_WARNING,
    VANISHING_RATIO,
)
from neuronless.errors import ShapeError


def _codes(findings: list[Finding], at_least: str = "warning") -> set[tuple[str, int | None]]:
    levels = {"info": 0, "warning": 1, "problem": 2}
    return {(f.code, f.layer) for f in findings if levels[f.severity] >= levels[at_least]}


@pytest.fixture
def X(rng: np.random.Generator) -> np.ndarray:
    return rng.normal(size=(200, 4))


@pytest.fixture
def labels(X: np.ndarray) -> np.ndarray:
    return (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0)  # three classes, about 25/50/25 %


def test_healthy_net_and_data_give_no_warnings(X, labels):
    net = Network.create([4, 8, 3], hidden="tanh", output="softmax", seed=0)
    history = History(epoch=list(range(10)), train_loss=[1.0 / (1 + i) for i in range(10)])
    findings = diagnose(net, X, labels, history=history)
    assert _codes(findings, "warning") == set()
    assert render_findings(findings) == "no problems found"


def test_relu_layer_with_large_negative_biases_is_dead(X, labels):
    net = Network.create([4, 6, 8, 1], hidden="relu", seed=0)
    net.weights[1][-1] = -100.0  # the second hidden layer's biases
    findings = diagnose(net, X)
    (dead,) = [f for f in findings if f.code == "dead_units"]
    assert (dead.layer, dead.severity) == (1, "problem")
    assert dead.measured["dead_units"] == 8
    assert dead.threshold == DEAD_WARNING
    assert "leaky_relu" in dead.suggestion


def test_huge_weights_into_sigmoid_saturate_it(X):
    net = Network.create([4, 8, 1], hidden="sigmoid", seed=0, dtype=np.float64)
    net.weights[0][:-1] *= 1000.0
    (sat,) = [f for f in diagnose(net, X) if f.code == "saturated_units"]
    assert sat.layer == 0
    assert sat.measured["fraction"] >= SATURATED_WARNING
    assert sat.severity == "problem"


def test_saturated_output_layer_is_not_reported(X):
    net = Network.create([4, 3, 1], hidden="tanh", seed=0)
    net.weights[1][-1] = 50.0  # a confident output is what a classifier aims for
    assert not [f for f in diagnose(net, X) if f.code == "saturated_units"]


def test_deep_sigmoid_net_with_small_init_has_vanishing_gradient(X, labels):
    net = Network.create([4, *[16] * 6, 1], hidden="sigmoid", init="uniform", init_range=0.05,
                         seed=0, dtype=np.float64)
    (van,) = [f for f in diagnose(net, X, labels > 0) if f.code == "vanishing_gradient"]
    assert van.layer == 0
    assert van.measured["ratio"] < VANISHING_RATIO
    assert van.measured["ratio"] == pytest.approx(van.measured["norm_0"] / van.measured["norm_6"])


def test_huge_weights_give_exploding_gradient(X):
    net = Network.create([4, 8, 1], hidden="identity", output="identity", seed=0,
                         dtype=np.float64)
    net.weights[0][:-1] = 100.0
    net.weights[1][:-1] = 100.0
    findings = diagnose(net, X, np.zeros(len(X)), loss="mse")
    (f,) = [f for f in findings if f.code == "exploding_gradient"]
    assert f.severity == "problem"
    assert f.measured[f"norm_{f.layer}"] > EXPLODING_NORM


def test_inputs_around_a_thousand_are_unscaled(X):
    net = Network.create([4, 8, 1], seed=0)
    (f,) = [f for f in diagnose(net, 1000.0 + 50.0 * X) if f.code == "unscaled_inputs"]
    assert f.layer is None
    assert f.measured["features"] == 4
    assert f.measured["max_abs_mean"] > 900
    assert "--scale standard" in f.suggestion


def test_oscillating_loss_points_at_the_learning_rate(X):
    loss = [1.0 + 0.3 * (-1) ** i for i in range(30)]
    history = History(epoch=list(range(30)), train_loss=loss, learning_rate=[0.5] * 30)
    findings = diagnose(Network.create([4, 2, 1], seed=0), X, history=history)
    (f,) = [f for f in findings if f.code == "learning_rate_too_high"]
    assert f.severity == "warning"
    assert f.measured["sign_changes"] == 1.0
    assert f.measured["learning_rate"] == 0.5
    assert "lower the learning rate" in f.suggestion


def test_rising_loss_is_a_learning_rate_problem(X):
    history = History(epoch=list(range(10)), train_loss=[0.5 * 1.3**i for i in range(10)])
    (f,) = diagnose(Network.create([4, 2, 1], seed=0), X, history=history)
    assert (f.code, f.severity) == ("learning_rate_too_high", "problem")


def test_noisy_but_decreasing_loss_is_fine(X, rng):
    loss = np.exp(-np.arange(40) / 10) + 0.01 * rng.normal(size=40)
    history = History(epoch=list(range(40)), train_loss=list(loss))
    assert diagnose(Network.create([4, 2, 1], seed=0), X, history=history) == []


@pytest.mark.parametrize("n_out", [1, 2])
def test_95_to_5_labels_are_imbalanced(X, n_out):
    y = np.array([0] * 190 + [1] * 10)
    net = Network.create([4, 4, n_out], output="sigmoid" if n_out == 1 else "softmax", seed=0)
    (f,) = [f for f in diagnose(net, X, y) if f.code == "class_imbalance"]
    assert f.measured["smallest_share"] == pytest.approx(0.05)
    assert f.measured["smallest_class"] == 1
    assert f.threshold == IMBALANCE_MIN_SHARE


def test_regression_targets_are_not_classes(X):
    net = Network.create([4, 4, 1], output="identity", seed=0)
    y = np.where(np.arange(200) < 190, 0.0, 3.5)
    assert not [f for f in diagnose(net, X, y, loss="mse") if f.code == "class_imbalance"]


def test_wrong_shapes_raise(X):
    net = Network.create([4, 4, 3], output="softmax", seed=0)
    with pytest.raises(ShapeError, match="X must have shape"):
        diagnose(net, X[:, :2])
    with pytest.raises(ShapeError, match="Y must have shape"):
        diagnose(net, X, np.zeros((len(X), 2)))


def test_render_lists_severity_code_layer_and_suggestion():
    f = Finding("dead_units", "problem", 2, {"fraction": 1.0}, 0.2, "all dead.", "use leaky_relu")
    text = render_findings([f])
    assert text.splitlines() == [
        "problem: dead_units (layer 2, weights[2]): all dead.",
        "  suggestion: use leaky_relu",
    ]


# ---------------------------------------------------------------------------- CLI
def _csv(path: Path, X: np.ndarray, y: np.ndarray) -> Path:
    rows = "".join(",".join(map(str, [*x, t])) + "\n" for x, t in zip(X, y, strict=True))
    path.write_text("a,b,c,d,label\n" + rows, encoding="utf-8")
    return path


def test_cli_diagnose_reports_on_a_trained_model(tmp_path, X, capsys):
    y = np.where(np.arange(len(X)) < 190, "common", "rare")
    data = _csv(tmp_path / "d.csv", 1000.0 + X, y)
    model = tmp_path / "m.nless"
    assert main(["train", str(data), "-o", str(model), "--layers", "4", "--epochs", "5",
                 "--scale", "none", "--seed", "1"]) == 0
    capsys.readouterr()
    assert main(["diagnose", str(model), str(data)]) == 0
    out, err = capsys.readouterr()
    assert "unscaled_inputs" in out
    assert "class_imbalance" in out
    assert err == ""


def test_cli_diagnose_of_a_healthy_model_finds_nothing_serious(tmp_path, X, labels, capsys):
    data = _csv(tmp_path / "d.csv", X, labels)
    model = tmp_path / "m.nless"
    assert main(["train", str(data), "-o", str(model), "--layers", "6", "--epochs", "30",
                 "--seed", "1"]) == 0
    capsys.readouterr()
    assert main(["diagnose", str(model), str(data)]) == 0
    out, _ = capsys.readouterr()
    assert "warning" not in out
    assert "problem:" not in out


def test_cli_diagnose_errors_are_one_line(tmp_path, X, labels, capsys):
    data = _csv(tmp_path / "d.csv", X, labels)
    model = tmp_path / "m.nless"
    assert main(["train", str(data), "-o", str(model), "--epochs", "2"]) == 0
    capsys.readouterr()
    assert main(["diagnose", str(tmp_path / "missing.nless"), str(data)]) == 2
    _, err = capsys.readouterr()
    assert err.startswith("neuronless diagnose:")
    assert err.count("\n") == 1
    narrow = tmp_path / "narrow.csv"
    narrow.write_text("a,b\n1,2\n3,4\n", encoding="utf-8")
    assert main(["diagnose", str(model), str(narrow)]) == 2
    _, err = capsys.readouterr()
    assert err.startswith("neuronless diagnose:")
    assert err.count("\n") == 1
    assert main(["diagnose", str(model)]) == 2
