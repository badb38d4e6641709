"""neuronless.onnx.export: every exported file runs in onnxruntime and answers as the model does.

Each test writes a real ``.onnx`` file, checks it with ``onnx.checker`` (full check), runs it
in onnxruntime's CPU provider and compares with ``Network.forward`` / ``Model.predict`` /
``Model.predict_proba``. Tolerance: float32 networks ``rtol=1e-5, atol=1e-6`` (Gemm and numpy's
matmul sum in different orders; ecosystem.md section 2 measured 1.2e-7), float64 ``1e-12``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import neuronless as nl
from neuronless.activations import Activation
from neuronless.data.read import as_table
from neuronless.errors import ConfigError, DataWarning
from neuronless.onnx import EXPORTABLE, ExportError, export

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

ORCHARD = Path(__file__).parent / "data" / "orchard.csv"
TOL = {np.float32: {"rtol": 1e-5, "atol": 1e-6}, np.float64: {"rtol": 1e-12, "atol": 1e-12}}


def session(obj: Any, path: Path, **kwargs: Any) -> Any:
    export(obj, path, **kwargs)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def feeds(model: nl.Model, columns: dict[str, Any]) -> dict[str, Any]:
    """The graph inputs for a dict of raw columns: one [N, 1] tensor per column."""
    assert model.encoder is not None
    out = {}
    for spec in model.encoder.columns:
        col = np.asarray(columns[spec.name])
        if spec.kind == "numeric":
            out[spec.name] = col.astype(np.float64).reshape(-1, 1)
        elif spec.kind == "boolean":
            out[spec.name] = col.astype(bool).reshape(-1, 1)
        else:
            text = ["" if v is None else str(v) for v in col.tolist()]
            out[spec.name] = np.array(text, dtype=object).reshape(-1, 1)
    return out


def orchard() -> dict[str, Any]:
    table = as_table(str(ORCHARD))
    return dict(zip(table.names, table.columns, strict=True))


def odd_rows() -> dict[str, Any]:
    """Rows the training file lacks: unseen categories, missing cells of every spelling."""
    return {
        "tree_id": np.array(["X1", "X2", "X3", "X4", "X5"], dtype=object),
        "variety": np.array(["Braeburn", "", "NA", "Gala", None], dtype=object),
        "region": np.array(["Atlantis", "East", "West", None, "North"], dtype=object),
        "age_years": np.array([np.nan, 3.0, 120.0, 19.0, -5.0]),
        "height_m": np.array([2.0, np.nan, 9.5, np.nan, 3.3]),
        "soil_ph": np.array([6.0, 7.5, np.nan, 5.1, 6.6]),
        "irrigated": np.array([True, False, True, False, True]),
        "harvest": np.array(["high", "Zillion", "", "low", "medium"], dtype=object),
    }


def check_classifier(model: nl.Model, path: Path, rows: dict[str, Any], warn: bool = False,
                     dtype: Any = np.float32) -> None:
    sess = session(model, path, dtype=dtype)
    label, proba = sess.run(["label", "probabilities"], feeds(model, rows))
    if warn:
        with pytest.warns(DataWarning):
            expected_label, expected_proba = model.predict(rows), model.predict_proba(rows)
    else:
        expected_label, expected_proba = model.predict(rows), model.predict_proba(rows)
    np.testing.assert_allclose(proba, expected_proba, **TOL[np.float32])
    assert label.tolist() == expected_label.tolist()


# ---------------------------------------------------------------------------- networks
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(EXPORTABLE))
def test_every_exportable_activation_matches_forward(name, dtype, rng, tmp_path):
    out = name if name != "softmax" else "softmax"
    net = nl.Network.create([4, 6, 3], hidden=name, output=out, seed=1, steepness=0.7,
                            dtype=dtype)
    X = rng.normal(scale=3.0, size=(64, 4)).astype(dtype)
    sess = session(net, tmp_path / "net.onnx", dtype=dtype)
    (Y,) = sess.run(None, {"X": X})
    assert Y.dtype == dtype
    np.testing.assert_allclose(Y, net.forward(X), **TOL[dtype])


@pytest.mark.parametrize("alias", ["linear", "logistic", "sigmoid_symmetric",
                                   "linear_piece_rect", "linear_piece_rect_leaky"])
def test_fann_aliases_export(alias, rng, tmp_path):
    net = nl.Network.create([3, 5, 2], hidden=alias, output="identity", seed=2)
    X = rng.normal(scale=2.0, size=(32, 3)).astype(np.float32)
    (Y,) = session(net, tmp_path / "net.onnx").run(None, {"X": X})
    np.testing.assert_allclose(Y, net.forward(X), **TOL[np.float32])


def test_stepwise_activations_keep_their_jumps(tmp_path):
    # the breakpoints themselves, just either side of them, and the flat tails
    from neuronless.fann.activations import SIGMOID_STEPWISE_X

    xs = np.array(SIGMOID_STEPWISE_X)
    x = np.concatenate([xs, xs - 1e-3, xs + 1e-3, [-50.0, 50.0, 0.0]])
    for name in ("sigmoid_stepwise", "sigmoid_symmetric_stepwise"):
        W = np.array([[1.0], [0.0]])  # z = x
        net = nl.Network.from_weights([W], [name], dtype=np.float64)
        (Y,) = session(net, tmp_path / f"{name}.onnx", dtype=np.float64).run(
            None, {"X": x.reshape(-1, 1)})
        np.testing.assert_allclose(Y, net.forward(x.reshape(-1, 1)), rtol=0, atol=1e-12)


def test_mixed_layer_with_steepness_and_clamp_per_neuron(rng, tmp_path):
    W0 = rng.normal(size=(4, 5)) * 3
    W1 = rng.normal(size=(6, 2))
    net = nl.Network.from_weights(
        [W0, W1],
        [["tanh", "relu", "gaussian", "elu", "tanh"], "sigmoid"],
        steepness=[np.array([0.5, 1.0, 2.0, 1.5, 0.25]), 2.0],
        clamp=[np.array([1.0, 2.0, 0.5, 3.0, 9.0]), 1.5],
        dtype=np.float32,
    )
    X = rng.normal(scale=2.0, size=(50, 3)).astype(np.float32)
    (Y,) = session(net, tmp_path / "net.onnx").run(None, {"X": X})
    np.testing.assert_allclose(Y, net.forward(X), **TOL[np.float32])


def test_shortcut_network(rng, tmp_path):
    net = nl.Network.create([3, 4, 5, 2], hidden="tanh", output="sigmoid", shortcut=True, seed=3)
    assert [W.shape for W in net.weights] == [(4, 4), (8, 5), (13, 2)]
    X = rng.normal(size=(40, 3)).astype(np.float32)
    (Y,) = session(net, tmp_path / "net.onnx").run(None, {"X": X})
    np.testing.assert_allclose(Y, net.forward(X), **TOL[np.float32])


def test_sparse_network_exports_its_masked_weights_as_zeros(rng, tmp_path):
    net = nl.Network.create([6, 8, 3], connection_rate=0.4, seed=4)
    assert net.mask is not None
    assert not net.mask.all()
    assert np.all(net.params[~net.mask] == 0)
    X = rng.normal(size=(40, 6)).astype(np.float32)
    sess = session(net, tmp_path / "net.onnx")
    (Y,) = sess.run(None, {"X": X})
    np.testing.assert_allclose(Y, net.forward(X), **TOL[np.float32])
    weights = {t.name: onnx.numpy_helper.to_array(t)
               for t in onnx.load(str(tmp_path / "net.onnx")).graph.initializer}
    W0 = next(v for k, v in weights.items() if k.startswith("W0"))
    np.testing.assert_array_equal(W0 == 0, ~net.masks[0][:-1] | (net.weights[0][:-1] == 0))


def test_unsupported_activation_is_one_error_naming_it_and_nothing_is_written(tmp_path):
    cube = Activation("cube", f=lambda x: x**3, df=lambda x, a: 3 * x**2, needs_x=True)
    net = nl.Network.from_weights([np.ones((3, 2)), np.ones((3, 1))], [cube, "sigmoid"])
    path = tmp_path / "net.onnx"
    with pytest.raises(ExportError, match=r"activation 'cube' of layer 0 \(weights\[0\]\)"):
        export(net, path)
    assert not path.exists()
    assert not list(tmp_path.iterdir())
    assert issubclass(ExportError, ConfigError)


def test_bad_opset_and_dtype_are_config_errors(tmp_path):
    net = nl.Network.create([2, 1], seed=0)
    with pytest.raises(ExportError, match="opset must be an integer of at least 13"):
        export(net, tmp_path / "a.onnx", opset=12)
    with pytest.raises(ConfigError, match="dtype must be float32 or float64"):
        export(net, tmp_path / "a.onnx", dtype=np.float16)


@pytest.mark.parametrize("opset", [13, 17, 21])
def test_opsets_and_ir_version(opset, tmp_path):
    net = nl.Network.create([2, 3, 2], output="softmax", seed=0)
    sess = session(net, tmp_path / "net.onnx", opset=opset)
    proto = onnx.load(str(tmp_path / "net.onnx"))
    assert {o.domain: o.version for o in proto.opset_import} == {"": opset}
    assert proto.ir_version == onnx.helper.find_min_ir_version_for(list(proto.opset_import))
    X = np.array([[0.5, -1.0]], dtype=np.float32)
    np.testing.assert_allclose(sess.run(None, {"X": X})[0], net.forward(X), **TOL[np.float32])


def test_default_file_is_opset_17_ir_8(tmp_path):
    model = nl.train(str(ORCHARD), "harvest", epochs=2)
    export(model, tmp_path / "m.onnx")
    proto = onnx.load(str(tmp_path / "m.onnx"))
    assert {o.domain: o.version for o in proto.opset_import} == {"": 17, "ai.onnx.ml": 3}
    assert proto.ir_version == 8


def test_export_replaces_a_file_atomically(tmp_path):
    path = tmp_path / "net.onnx"
    path.write_bytes(b"old")
    export(nl.Network.create([2, 1], seed=0), path)
    assert onnx.load(str(path)).graph.input[0].name == "X"
    assert [p.name for p in tmp_path.iterdir()] == ["net.onnx"]


# ---------------------------------------------------------------------------- whole models
@pytest.fixture(scope="module")
def orchard_model() -> nl.Model:
    return nl.train(str(ORCHARD), "harvest", epochs=5)


def test_orchard_classifier_matches_predict_on_every_training_row(orchard_model, tmp_path):
    assert orchard_model.labels is not None
    assert len(orchard_model.labels.classes) == 3
    check_classifier(orchard_model, tmp_path / "m.onnx", orchard())


def test_missing_and_unseen_cells_encode_as_in_neuronless(orchard_model, tmp_path):
    check_classifier(orchard_model, tmp_path / "m.onnx", odd_rows(), warn=True)


def test_graph_inputs_are_the_raw_columns(orchard_model, tmp_path):
    sess = session(orchard_model, tmp_path / "m.onnx")
    kinds = {i.name: (i.type, i.shape) for i in sess.get_inputs()}
    assert kinds == {
        "variety": ("tensor(string)", [None, 1]), "region": ("tensor(string)", [None, 1]),
        "age_years": ("tensor(double)", [None, 1]), "height_m": ("tensor(double)", [None, 1]),
        "soil_ph": ("tensor(double)", [None, 1]), "irrigated": ("tensor(bool)", [None, 1]),
    }
    assert [o.name for o in sess.get_outputs()] == ["label", "probabilities"]


def test_float64_export_of_a_model(orchard_model, tmp_path):
    check_classifier(orchard_model, tmp_path / "m.onnx", orchard(), dtype=np.float64)


@pytest.mark.parametrize("scale", ["robust", "standard", "minmax", "none"])
def test_each_scaler(scale, tmp_path):
    model = nl.train(str(ORCHARD), "harvest", epochs=3, scale=scale)
    kind = None if model.scaler is None else model.scaler.kind
    assert kind == (None if scale == "none" else scale)
    check_classifier(model, tmp_path / "m.onnx", orchard())
    check_classifier(model, tmp_path / "m.onnx", odd_rows(), warn=True)


def test_robust_scaler_without_clip(orchard_model, tmp_path):
    from neuronless.data.scaling import RobustScaler

    model = nl.Model(orchard_model.net, "classification", orchard_model.labels,
                     RobustScaler(clip=None).fit(orchard_model.encode(orchard())),
                     encoder=orchard_model.encoder)
    check_classifier(model, tmp_path / "m.onnx", orchard())


def test_binary_classifier_with_one_sigmoid_unit(tmp_path):
    rows = orchard()
    rows["harvest"] = np.where(rows["harvest"] == "high", "plenty", "little").astype(object)
    model = nl.train(rows, "harvest", epochs=5)
    assert model.net.n_outputs == 1
    check_classifier(model, tmp_path / "m.onnx", rows)
    check_classifier(model, tmp_path / "m.onnx", odd_rows(), warn=True)


@pytest.mark.parametrize("classes", [[0, 1], [3, 5, 7], [False, True], [0.5, 2.5, 4.5]])
def test_numeric_and_boolean_class_labels(classes, rng, tmp_path):
    X = rng.normal(size=(60, 3))
    y = np.array(classes)[rng.integers(0, len(classes), size=60)]
    model = nl.train(X, y, task="classification", epochs=5, validation_fraction=0)
    assert model.encoder is not None
    assert model.labels is not None
    columns = dict(zip(model.encoder.raw_names, X.T, strict=True))
    sess = session(model, tmp_path / "m.onnx")
    label, proba = sess.run(["label", "probabilities"], feeds(model, columns))
    np.testing.assert_allclose(proba, model.predict_proba(X), **TOL[np.float32])
    assert label.tolist() == model.predict(X).tolist()
    assert type(label.tolist()[0]) is type(model.predict(X).tolist()[0])


def test_model_without_an_encoder_reads_one_matrix(rng, tmp_path):
    from neuronless.data import Labels, StandardScaler

    X = rng.normal(loc=5.0, scale=3.0, size=(30, 4))
    net = nl.Network.create([4, 5, 3], output="softmax", seed=0)
    model = nl.Model(net, "classification", Labels(["a", "b", "c"]), StandardScaler().fit(X))
    sess = session(model, tmp_path / "m.onnx")
    assert [(i.name, i.type, i.shape) for i in sess.get_inputs()] == [
        ("X", "tensor(double)", [None, 4])]
    label, proba = sess.run(["label", "probabilities"], {"X": X})
    np.testing.assert_allclose(proba, model.predict_proba(X), **TOL[np.float32])
    assert label.tolist() == model.predict(X).tolist()


def test_regression_unscales_and_clips_to_the_target_range(tmp_path):
    model = nl.train(str(ORCHARD), "height_m", epochs=5)
    assert model.task == "regression"
    assert model.target_scaler is not None
    assert model.target_range is not None
    sess = session(model, tmp_path / "m.onnx")
    assert [o.name for o in sess.get_outputs()] == ["variable"]
    for rows, warn in ((orchard(), False), (odd_rows(), True)):
        (y,) = sess.run(None, feeds(model, rows))
        if warn:
            with pytest.warns(DataWarning):
                expected = model.predict(rows)
        else:
            expected = model.predict(rows)
        np.testing.assert_allclose(y[:, 0], expected, rtol=1e-5, atol=1e-5)
    # far outside the training range: both clip to the same bound
    far = {k: v[:1].copy() for k, v in orchard().items()}
    far["age_years"] = np.array([1e6])
    (y,) = sess.run(None, feeds(model, far))
    lo, hi = model.target_range
    assert lo[0] <= y[0, 0] <= hi[0]
    np.testing.assert_allclose(y[:, 0], model.predict(far), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kind", ["minmax", "robust"])
def test_other_target_scalers(kind, orchard_model, tmp_path):
    from neuronless.data.scaling import MinMaxScaler, RobustScaler

    model = nl.train(str(ORCHARD), "height_m", epochs=3)
    t = np.linspace(1.0, 9.0, 20).reshape(-1, 1)
    model.target_scaler = MinMaxScaler((-1.0, 1.0)).fit(t) if kind == "minmax" else \
        RobustScaler().fit(t)
    sess = session(model, tmp_path / "m.onnx")
    rows = orchard()
    (y,) = sess.run(None, feeds(model, rows))
    np.testing.assert_allclose(y[:, 0], model.predict(rows), rtol=1e-5, atol=1e-5)


def test_saved_and_loaded_model_exports_the_same(orchard_model, tmp_path):
    orchard_model.save(tmp_path / "m.nless")
    loaded, _ = nl.Model.load(tmp_path / "m.nless")
    check_classifier(loaded, tmp_path / "m.onnx", orchard())


def test_model_metadata_travels_in_the_file(orchard_model, tmp_path):
    import json

    export(orchard_model, tmp_path / "m.onnx")
    props = {p.key: p.value for p in onnx.load(str(tmp_path / "m.onnx")).metadata_props}
    assert json.loads(props["neuronless"])["classes"] == ["high", "low", "medium"]


def test_cascade_trained_model_is_a_shortcut_net_that_exports(tmp_path):
    model = nl.train(str(ORCHARD), "harvest", optimizer="cascade", max_neurons=3, epochs=5)
    assert model.net.shortcut
    check_classifier(model, tmp_path / "m.onnx", orchard())
