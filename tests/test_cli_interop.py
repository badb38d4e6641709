"""``neuronless convert`` with MATLAB/Octave .mat and ONNX files, and the verbs reading .onnx.

The .mat expectations are the Stanford ML course's formula ``sigmoid([ones(m,1) a] * Theta')``
written out here; the ONNX ones are onnxruntime's outputs on the same file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.io import loadmat, savemat

import neuronless as nl
from neuronless.cli import main
from neuronless.data.scaling import StandardScaler
from neuronless.model import Model

EX4 = Path(__file__).resolve().parents[2] / "shared" / "data" / "stanford-ex4" / "ex4weights.mat"


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _course_predict(thetas, X, f=_sigmoid):
    """ex4's feedforward: a = f([ones(m, 1) a] * Theta') for each Theta."""
    a = X
    for theta in thetas:
        a = f(np.hstack([np.ones((a.shape[0], 1)), a]) @ theta.T)
    return a


def _one_error_line(capsys, match):
    err = capsys.readouterr().err
    assert match in err
    assert err.count("\n") == 1


# ---------------------------------------------------------------------------- .mat
def test_mat_to_nless_is_the_course_network(tmp_path, rng, capsys):
    thetas = [rng.normal(size=(4, 4)), rng.normal(size=(3, 5))]
    savemat(tmp_path / "w.mat", {"Theta2": thetas[1], "Theta1": thetas[0], "lambda": 1.0})
    assert main(["convert", str(tmp_path / "w.mat"), str(tmp_path / "m.nless")]) == 0
    out = capsys.readouterr().out
    assert "Theta1, Theta2" in out
    assert "label k" in out
    model, _ = Model.load(tmp_path / "m.nless")
    assert model.net.dtype == np.float64
    assert model.labels is not None
    assert model.labels.classes == [1, 2, 3]
    X = rng.normal(size=(30, 3))
    expected = _course_predict(thetas, X)
    np.testing.assert_allclose(model.predict_proba(X), expected, rtol=1e-12, atol=1e-12)
    assert (model.predict(X) == expected.argmax(axis=1) + 1).all()


def test_mat_activation_option(tmp_path, rng):
    thetas = [rng.normal(size=(3, 3)), rng.normal(size=(1, 4))]
    savemat(tmp_path / "w.mat", {"Theta1": thetas[0], "Theta2": thetas[1]})
    assert main(["convert", str(tmp_path / "w.mat"), str(tmp_path / "m.nless"),
                 "--activation", "tanh", "--dtype", "float32"]) == 0
    model, _ = Model.load(tmp_path / "m.nless")
    assert model.task == "regression"
    assert model.net.dtype == np.float32
    X = rng.normal(size=(10, 2))
    np.testing.assert_allclose(model.predict(X), _course_predict(thetas, X, np.tanh)[:, 0],
                               rtol=1e-5, atol=1e-6)


def test_ex4_weights_convert_and_predict_as_the_course(tmp_path, rng):
    if not EX4.exists():
        pytest.skip(f"{EX4} is not here (the course's reference weights live outside the repo)")
    thetas = [loadmat(EX4)[k] for k in ("Theta1", "Theta2")]
    assert main(["convert", str(EX4), str(tmp_path / "ex4.nless"), "--activation", "sigmoid"]) == 0
    model, _ = Model.load(tmp_path / "ex4.nless")
    assert model.net.sizes == (400, 25, 10)
    X = rng.uniform(-1.0, 1.0, size=(40, 400))
    np.testing.assert_allclose(model.predict_proba(X), _course_predict(thetas, X),
                               rtol=1e-12, atol=1e-12)
    # and back: the same matrices, for the course's load('weights.mat')
    assert main(["convert", str(tmp_path / "ex4.nless"), str(tmp_path / "back.mat")]) == 0
    back = loadmat(tmp_path / "back.mat")
    assert np.array_equal(back["Theta1"], thetas[0])
    assert np.array_equal(back["Theta2"], thetas[1])


def test_nless_to_mat_folds_the_scaler_into_theta1(tmp_path, rng, capsys):
    X = rng.normal(size=(40, 3)) * [5.0, 0.1, 2.0] + [10.0, 0.0, -4.0]
    net = nl.Network.create([3, 4, 2], hidden="sigmoid", output="sigmoid", seed=0,
                            dtype=np.float64)
    model = Model(net, "classification", nl.data.Labels(["a", "b"]), StandardScaler().fit(X))
    model.save(tmp_path / "m.nless")
    assert main(["convert", str(tmp_path / "m.nless"), str(tmp_path / "w.mat")]) == 0
    captured = capsys.readouterr()
    assert "folded into Theta1" in captured.err
    assert "class labels" in captured.err
    mat = loadmat(tmp_path / "w.mat")
    thetas = [mat["Theta1"], mat["Theta2"]]
    assert [t.shape for t in thetas] == [(4, 4), (2, 5)]
    np.testing.assert_allclose(_course_predict(thetas, X), model.outputs(X), rtol=1e-10, atol=1e-12)


def test_nless_to_mat_notes_non_sigmoid_layers(tmp_path, capsys):
    nl.save(nl.Network.create([2, 3, 1], hidden="relu", output="identity", seed=0),
            tmp_path / "r.nless")
    assert main(["convert", str(tmp_path / "r.nless"), str(tmp_path / "r.mat")]) == 0
    assert "identity, relu" in capsys.readouterr().err


@pytest.mark.parametrize(("content", "match"), [
    (b"not a mat file at all, just text", "not a readable MAT-file"),
    (None, "holds no Theta1, Theta2"),
])
def test_bad_mat_files_are_one_line_errors(tmp_path, capsys, content, match):
    path = tmp_path / "bad.mat"
    if content is None:
        savemat(path, {"X": np.ones((3, 3)), "name": "weights"})
    else:
        path.write_bytes(content)
    assert main(["convert", str(path), str(tmp_path / "m.nless")]) == 2
    _one_error_line(capsys, match)
    assert not (tmp_path / "m.nless").exists()


def test_mat_options_are_checked(tmp_path, capsys):
    nl.save(nl.Network.create([2, 1], seed=0), tmp_path / "m.nless")
    assert main(["convert", str(tmp_path / "m.nless"), str(tmp_path / "w.mat"),
                 "--activation", "tanh"]) == 2
    _one_error_line(capsys, "--activation applies to .mat input only")


# ---------------------------------------------------------------------------- .onnx
def _torch_onnx(tmp_path):
    """A classifier made in PyTorch, exported with the legacy exporter (the
    dynamo one needs onnxscript), and a CSV of 4 feature columns for it."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx")
    import warnings

    nn = torch.nn
    torch.manual_seed(0)
    seq = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2), nn.Softmax(dim=-1)).eval()
    path = tmp_path / "their_model.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(seq, (torch.zeros(1, 4),), str(path), dynamo=False,
                          input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "n"}})
    X = np.random.default_rng(0).normal(size=(6, 4))
    np.savetxt(tmp_path / "data.csv", X, delimiter=",", header="a,b,c,d", comments="",
               fmt="%.17g")
    with torch.no_grad():
        expected = seq(torch.from_numpy(X.astype(np.float32))).numpy()
    return path, tmp_path / "data.csv", seq, expected


def test_explain_prints_every_matrix_step_of_a_pytorch_model(tmp_path, capsys):
    import json

    path, data, seq, expected = _torch_onnx(tmp_path)
    assert main(["explain", str(path), str(data), "--sample", "3"]) == 0
    text = capsys.readouterr().out
    assert "Layer 0 forward" in text
    assert "Layer 1 forward (output layer)" in text
    assert "a = tanh(1.0 * z)" in text
    assert main(["explain", str(path), str(data), "--sample", "3", "--format", "json"]) == 0
    steps = json.loads(capsys.readouterr().out)["steps"]
    forward = [s for s in steps if s["kind"] == "forward"]
    assert [s["layer"] for s in forward] == [0, 1]
    W0 = np.array(forward[0]["arrays"]["W"]["values"])
    np.testing.assert_allclose(W0[:-1], seq[0].weight.detach().numpy().T, rtol=1e-6)
    np.testing.assert_allclose(W0[-1], seq[0].bias.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(forward[1]["arrays"]["a"]["values"][0], expected[3], rtol=1e-6,
                               atol=1e-7)


def test_info_draw_predict_read_onnx(tmp_path, capsys):
    path, data, _, expected = _torch_onnx(tmp_path)
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "ONNX model (made by pytorch" in out
    assert "sizes=[4, 3, 2]" in out
    assert main(["draw", str(path), "-o", str(tmp_path / "m.svg"), "--sample", f"{data}:2"]) == 0
    assert "<svg" in (tmp_path / "m.svg").read_text()
    assert main(["predict", str(path), str(data)]) == 0
    lines = capsys.readouterr().out.splitlines()[1:]
    assert [int(v) for v in lines] == expected.argmax(axis=1).tolist()


def test_convert_onnx_to_nless_and_back(tmp_path, capsys):
    ort = pytest.importorskip("onnxruntime")
    path, data, _, expected = _torch_onnx(tmp_path)
    assert main(["convert", str(path), str(tmp_path / "m.nless")]) == 0
    assert "classifier, 2 classes" in capsys.readouterr().out
    model, meta = Model.load(tmp_path / "m.nless")
    X = np.loadtxt(data, delimiter=",", skiprows=1)
    np.testing.assert_allclose(model.predict_proba(X), expected, rtol=1e-6, atol=1e-7)
    assert meta["onnx_producer"].startswith("pytorch")
    assert main(["convert", str(tmp_path / "m.nless"), str(tmp_path / "back.onnx")]) == 0
    sess = ort.InferenceSession(str(tmp_path / "back.onnx"), providers=["CPUExecutionProvider"])
    probs = dict(zip([o.name for o in sess.get_outputs()],
                     sess.run(None, {sess.get_inputs()[0].name: X}), strict=True))["probabilities"]
    np.testing.assert_allclose(probs, expected, rtol=1e-6, atol=1e-7)


def test_a_broken_onnx_file_is_one_error_line(tmp_path, capsys):
    pytest.importorskip("onnx")
    (tmp_path / "bad.onnx").write_bytes(b"\x08\x07garbage that is not protobuf \xff\xff")
    assert main(["info", str(tmp_path / "bad.onnx")]) == 2
    _one_error_line(capsys, "bad.onnx")
