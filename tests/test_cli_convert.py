"""``neuronless convert`` between FANN .net files and .nless models, via ``cli.main``."""

from __future__ import annotations

import numpy as np
import pytest

import neuronless as nl
from neuronless.cli import main
from neuronless.data.scaling import MinMaxScaler, StandardScaler
from neuronless.fann import FannScaling, load_net, save_net
from neuronless.fann.params import FannParams
from neuronless.model import Model


def _fann_file(tmp_path, scaling=True):
    net = nl.Network.create([3, 5, 2], hidden="tanh", output="sigmoid", seed=1)
    sc = None
    if scaling:
        sc = FannScaling([1.5, -20.0, 0.25], [2.0, 10.0, 0.5], [-1.0] * 3, [1.0] * 3,
                         [3.0, -1.0], [4.0, 0.5], [0.0, 0.0], [0.5, 0.5])
    path = tmp_path / "in.net"
    save_net(net, path, params=FannParams(learning_rate=0.25, training_algorithm="quickprop"),
             scaling=sc)
    return path


def test_net_to_nless_keeps_outputs_and_scaling(tmp_path, capsys):
    src = _fann_file(tmp_path)
    assert main(["convert", str(src), str(tmp_path / "m.nless")]) == 0
    out = capsys.readouterr().out
    assert "wrote" in out
    assert "3-5-2" in out
    assert "tanh" in out
    fnet = load_net(src)
    model, meta = Model.load(tmp_path / "m.nless")
    assert meta["fann_params"]["training_algorithm"] == "quickprop"
    X = np.random.default_rng(0).normal(size=(20, 3)) * [2.0, 10.0, 0.5] + [1.5, -20.0, 0.25]
    assert fnet.scaling is not None
    expected = fnet.scaling.descale_output(fnet.run(fnet.scaling.scale_input(X)))
    np.testing.assert_allclose(model.predict(X), expected, rtol=1e-5, atol=1e-5)
    # and back: the same file, byte for byte
    assert main(["convert", str(tmp_path / "m.nless"), str(tmp_path / "back.net")]) == 0
    assert (tmp_path / "back.net").read_bytes() == src.read_bytes()


def test_net_without_scaling_to_nless(tmp_path, capsys):
    src = _fann_file(tmp_path, scaling=False)
    assert main(["convert", str(src), str(tmp_path / "m.nless"), "--dtype", "float64"]) == 0
    model, _ = Model.load(tmp_path / "m.nless")
    assert model.scaler is None
    assert model.net.dtype == np.float64
    X = np.random.default_rng(1).normal(size=(5, 3))
    np.testing.assert_allclose(model.net.forward(X), load_net(src).run(X), rtol=1e-6, atol=1e-6)
    assert "no scaling" in capsys.readouterr().out


@pytest.mark.parametrize("kind", ["standard", "minmax"])
def test_nless_model_to_net_translates_the_scaler(tmp_path, capsys, kind, libfann_float):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(50, 2)) * [3.0, 0.2] + [10.0, -1.0]
    y = rng.normal(size=(50, 1)) * 5 + 2
    make = (lambda: StandardScaler()) if kind == "standard" else (lambda: MinMaxScaler((-1.0, 1.0)))
    net = nl.Network.create([2, 4, 1], hidden="tanh", output="identity", seed=0)
    model = Model(net, "regression", None, make().fit(X), make().fit(y))
    model.save(tmp_path / "m.nless")
    assert main(["convert", str(tmp_path / "m.nless"), str(tmp_path / "m.net")]) == 0
    assert "with scaling" in capsys.readouterr().out
    ann = libfann_float.create_from_file(tmp_path / "m.net")  # libfann applies its own formula
    X32 = X.astype(np.float32)
    fann_pred = ann.scaled("descale_output", ann.run_many(ann.scaled("scale_input", X32)))
    np.testing.assert_allclose(fann_pred[:, 0], model.predict(X), rtol=1e-4, atol=1e-4)


def test_classification_labels_are_dropped_with_a_note(tmp_path, capsys):
    from neuronless.data.labels import Labels

    net = nl.Network.create([2, 3, 3], hidden="tanh", output="sigmoid", seed=0)
    Model(net, "classification", Labels(["a", "b", "c"])).save(tmp_path / "c.nless")
    assert main(["convert", str(tmp_path / "c.nless"), str(tmp_path / "c.net"), "--fixed"]) == 0
    captured = capsys.readouterr()
    assert "FANN_FIX_2.0" in captured.out
    assert "class labels" in captured.err
    assert (tmp_path / "c.net").read_text().startswith("FANN_FIX_2.0\ndecimal_point=")


def test_plain_saved_network_converts(tmp_path):
    net = nl.Network.create([2, 2, 1], seed=0, shortcut=True)
    nl.save(net, tmp_path / "p.nless")
    assert main(["convert", str(tmp_path / "p.nless"), str(tmp_path / "p.net")]) == 0
    X = np.random.default_rng(3).normal(size=(4, 2)).astype(np.float32)
    np.testing.assert_allclose(load_net(tmp_path / "p.net").run(X), net.forward(X), rtol=1e-6)


@pytest.mark.parametrize(("args", "match"), [
    (["a.txt", "b.net"], "must end in .net"),
    (["a.net", "b.net"], "between .nless and one of .net, .mat, .onnx"),
    (["missing.net", "b.nless"], "No such file"),
    (["in.net", "b.nless", "--fixed"], "apply to .net output only"),
])
def test_bad_arguments_are_one_line_errors(tmp_path, capsys, monkeypatch, args, match):
    monkeypatch.chdir(tmp_path)
    _fann_file(tmp_path)
    assert main(["convert", *args]) == 2
    err = capsys.readouterr().err
    assert match in err
    assert err.count("\n") == 1
    assert not (tmp_path / "b.net").exists()
    assert not (tmp_path / "b.nless").exists()


def test_unrepresentable_network_writes_nothing(tmp_path, capsys):
    net = nl.Network.create([2, 3, 2], hidden="tanh", output="softmax", seed=0)
    nl.save(net, tmp_path / "s.nless")
    assert main(["convert", str(tmp_path / "s.nless"), str(tmp_path / "s.net")]) == 2
    assert "no FANN equivalent" in capsys.readouterr().err
    assert not (tmp_path / "s.net").exists()


def test_relu_needs_fann_head(tmp_path, capsys):
    net = nl.Network.create([2, 3, 1], hidden="relu", seed=0)
    nl.save(net, tmp_path / "r.nless")
    assert main(["convert", str(tmp_path / "r.nless"), str(tmp_path / "r.net")]) == 2
    assert "--fann-head" in capsys.readouterr().err
    assert main(["convert", str(tmp_path / "r.nless"), str(tmp_path / "r.net"), "--fann-head"]) == 0


def test_tiny_deviation_scaler_is_refused(tmp_path, capsys):
    X = np.array([[1.0], [1.0 + 3e-7], [1.0 - 3e-7]])
    net = nl.Network.create([1, 2, 1], output="identity", seed=0)
    Model(net, "regression", None, StandardScaler().fit(X)).save(tmp_path / "t.nless")
    assert main(["convert", str(tmp_path / "t.nless"), str(tmp_path / "t.net")]) == 2
    assert "6-decimal" in capsys.readouterr().err
    assert not (tmp_path / "t.net").exists()


def test_damaged_net_is_one_line_error(tmp_path, capsys):
    (tmp_path / "bad.net").write_text("FANN_FLO_2.1\nnum_layers=x\n")
    assert main(["convert", str(tmp_path / "bad.net"), str(tmp_path / "o.nless")]) == 2
    err = capsys.readouterr().err
    assert "num_layers" in err
    assert not (tmp_path / "o.nless").exists()


def test_converted_fann_net_predicts_like_fann_on_the_command_line(tmp_path, capsys,
                                                                   libfann_float):
    src = _fann_file(tmp_path)
    assert main(["convert", str(src), str(tmp_path / "m.nless")]) == 0
    X = np.random.default_rng(5).normal(size=(8, 3)) * [2.0, 10.0, 0.5] + [1.5, -20.0, 0.25]
    np.savetxt(tmp_path / "x.csv", X, delimiter=",", header="a,b,c", comments="")
    capsys.readouterr()
    assert main(["predict", str(tmp_path / "m.nless"), str(tmp_path / "x.csv")]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    got = np.array([[float(v) for v in line.split(",")] for line in lines[1:]])
    ann = libfann_float.create_from_file(src)  # libfann: scale, run, descale
    X32 = X.astype(np.float32)
    expected = ann.scaled("descale_output", ann.run_many(ann.scaled("scale_input", X32)))
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shortcut", [False, True])
def test_libfann_file_through_nless_and_back_is_the_same_file(tmp_path, capsys, libfann_float,
                                                              shortcut):
    # fann_set_activation_function_hidden also sets the hidden bias neurons' (unused)
    # fields, so libfann writes e.g. "(0, 5, 0.0e+00)" for them: the round trip keeps those.
    create = libfann_float.create_shortcut if shortcut else libfann_float.create_standard
    ann = create([3, 4, 2, 2], seed=3)
    ann.set_activation_hidden(5, 0.75)
    ann.set_activation_output(10, 0.4)
    src = tmp_path / "fann.net"
    ann.save(src)
    assert main(["convert", str(src), str(tmp_path / "m.nless")]) == 0
    assert main(["convert", str(tmp_path / "m.nless"), str(tmp_path / "back.net")]) == 0
    assert (tmp_path / "back.net").read_bytes() == src.read_bytes()
    # a model of another architecture carrying stale fields still converts (fields ignored)
    _, meta = Model.load(tmp_path / "m.nless")
    other = nl.Network.create([3, 2], hidden="tanh", output="tanh", seed=0)
    nl.save(other, tmp_path / "other.nless", metadata={"fann_idle_neurons":
                                                      meta["fann_idle_neurons"]})
    assert main(["convert", str(tmp_path / "other.nless"), str(tmp_path / "other.net")]) == 0
    np.testing.assert_allclose(load_net(tmp_path / "other.net").run(np.ones((1, 3))),
                               other.forward(np.ones((1, 3))), rtol=1e-6)


def test_info_says_where_a_converted_model_came_from(tmp_path, capsys):
    src = _fann_file(tmp_path)
    assert main(["convert", str(src), str(tmp_path / "m.nless")]) == 0
    capsys.readouterr()
    assert main(["info", str(tmp_path / "m.nless")]) == 0
    out = capsys.readouterr().out
    assert "library unknown" not in out
    assert f"converted from {src} (FANN_FLO_2.1)" in out
    assert "algorithm quickprop, error function tanh, learning rate 0.25" in out
