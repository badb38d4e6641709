"""neuronless.onnx.load: graphs written by PyTorch, skl2onnx and by hand (Keras-style), each
checked against onnxruntime's outputs on the same file.

The PyTorch files use ``torch.onnx.export(..., dynamo=False)``: the dynamo exporter needs
``onnxscript``, which the test environment does not install.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from neuronless.errors import ModelFormatError  # noqa: E402
from neuronless.onnx.load import load, load_bytes  # noqa: E402


def _run(path, X):
    """onnxruntime's outputs for ``X``, by output name."""
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feed = {sess.get_inputs()[0].name: X}
    return dict(zip([o.name for o in sess.get_outputs()], sess.run(None, feed), strict=True))


# ---------------------------------------------------------------------------- PyTorch
torch = pytest.importorskip("torch")
nn = torch.nn


def _torch_file(seq, path, n_in, dtype=torch.float32):
    seq = seq.to(dtype).eval()
    x = torch.zeros(2, n_in, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy exporter's deprecation notice
        torch.onnx.export(seq, (x,), str(path), dynamo=False, input_names=["x"],
                          output_names=["y"], dynamic_axes={"x": {0: "n"}, "y": {0: "n"}})
    return path


@pytest.mark.parametrize("act", [nn.ReLU, nn.Tanh, nn.Sigmoid, nn.LeakyReLU, nn.ELU, nn.Softplus])
def test_torch_export_matches_onnxruntime(tmp_path, rng, act):
    torch.manual_seed(0)
    seq = nn.Sequential(nn.Flatten(), nn.Linear(4, 6), act(), nn.Dropout(0.2), nn.Linear(6, 5),
                        act(), nn.Linear(5, 3))
    path = _torch_file(seq, tmp_path / "m.onnx", 4)
    model = load(path)
    assert model.task == "regression"
    assert model.net.dtype == np.float32
    X = rng.normal(size=(30, 4)).astype(np.float32) * 2
    np.testing.assert_allclose(model.predict(X), _run(path, X)["y"], rtol=1e-6, atol=1e-6)


def test_torch_softmax_is_a_classifier_of_unit_indices(tmp_path, rng):
    torch.manual_seed(1)
    seq = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 4), nn.Softmax(dim=-1))
    path = _torch_file(seq, tmp_path / "c.onnx", 3)
    model = load(path)
    assert model.labels is not None
    assert model.labels.classes == [0, 1, 2, 3]
    X = rng.normal(size=(20, 3)).astype(np.float32)
    y = _run(path, X)["y"]
    np.testing.assert_allclose(model.predict_proba(X), y, rtol=1e-6, atol=1e-6)
    assert (model.predict(X) == y.argmax(axis=1)).all()


def test_torch_float64_and_a_linear_without_bias(tmp_path, rng):
    torch.manual_seed(2)
    seq = nn.Sequential(nn.Linear(3, 5, bias=False), nn.ReLU(), nn.Linear(5, 2))
    path = _torch_file(seq, tmp_path / "d.onnx", 3, torch.float64)
    model = load(path)
    assert model.net.dtype == np.float64
    X = rng.normal(size=(10, 3))
    np.testing.assert_allclose(model.predict(X), _run(path, X)["y"], rtol=1e-12, atol=1e-12)


def test_torch_matmul_add_from_3d_linear(tmp_path, rng):
    # a Linear on (batch, 1, n) is exported as MatMul + Add rather than Gemm
    torch.manual_seed(3)
    seq = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 2)).eval()
    x = torch.zeros(2, 1, 3)
    path = tmp_path / "mm.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(seq, (x,), str(path), dynamo=False, input_names=["x"], output_names=["y"])
    ops = [n.op_type for n in onnx.load(str(path)).graph.node]
    assert "MatMul" in ops
    model = load(path)
    X = rng.normal(size=(2, 3)).astype(np.float32)
    expected = _run(path, X[:, None, :])["y"][:, 0, :]
    np.testing.assert_allclose(model.predict(X), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(("module", "op"), [
    (lambda: nn.GELU(), "Gelu|Erf|Div"),
    (lambda: nn.LeakyReLU(0.2), "LeakyRelu"),
    (lambda: nn.LogSoftmax(dim=-1), "LogSoftmax"),
])
def test_torch_unreadable_node_is_named(tmp_path, module, op):
    seq = nn.Sequential(nn.Linear(3, 4), module(), nn.Linear(4, 2))
    path = _torch_file(seq, tmp_path / "bad.onnx", 3)
    with pytest.raises(ModelFormatError, match=rf"cannot read node '/1/[^']*' \(op ({op})\)"):
        load(path)


# ---------------------------------------------------------------------------- skl2onnx
skl2onnx = pytest.importorskip("skl2onnx")
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import MinMaxScaler, StandardScaler  # noqa: E402


def _fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


def _skl_file(estimator, X, path, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        proto = skl2onnx.to_onnx(estimator, X[:1], **options)
    path.write_bytes(proto.SerializeToString())
    return path


@pytest.mark.parametrize("labels", [["no", "yes"], ["ant", "bee", "cat"], [3, 5, 7, 9]])
@pytest.mark.parametrize("zipmap", [True, False])
def test_skl2onnx_classifier_matches_onnxruntime(tmp_path, rng, labels, zipmap):
    X = rng.normal(size=(100, 4)).astype(np.float32)
    y = np.array(labels, dtype=object)[rng.integers(0, len(labels), size=100)]
    y = y.astype(type(labels[0]))
    mlp = _fit(MLPClassifier(hidden_layer_sizes=(6,), activation="tanh", max_iter=30,
                             random_state=0), X, y)
    options = {} if zipmap else {"options": {id(mlp): {"zipmap": False}}}
    path = _skl_file(mlp, X, tmp_path / "clf.onnx", **options)
    model = load(path)
    assert model.labels is not None
    assert model.labels.classes == list(mlp.classes_)
    out = _run(path, X)
    label = out["output_label"] if zipmap else out["label"]
    probs = (np.array([[row[c] for c in mlp.classes_] for row in out["output_probability"]])
             if zipmap else out["probabilities"])
    np.testing.assert_allclose(model.predict_proba(X), probs, rtol=1e-6, atol=1e-6)
    assert (model.predict(X) == label).all()


@pytest.mark.parametrize("n_targets", [1, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_skl2onnx_regressor_matches_onnxruntime(tmp_path, rng, n_targets, dtype):
    X = rng.normal(size=(60, 3)).astype(dtype)
    y = X @ rng.normal(size=(3, n_targets))
    mlp = _fit(MLPRegressor(hidden_layer_sizes=(5, 4), max_iter=40, random_state=0), X,
               y[:, 0] if n_targets == 1 else y)
    path = _skl_file(mlp, X, tmp_path / "reg.onnx")
    model = load(path)
    assert model.net.dtype == np.dtype(dtype)
    tol = 1e-6 if dtype == np.float32 else 1e-12
    expected = _run(path, X)["variable"]
    np.testing.assert_allclose(model.predict(X).reshape(expected.shape), expected, rtol=tol,
                               atol=tol)


@pytest.mark.parametrize("scaler", [StandardScaler, lambda: MinMaxScaler((-1, 1))])
def test_skl2onnx_pipeline_scaling_becomes_the_model_scaler(tmp_path, rng, scaler):
    X = (rng.normal(size=(80, 3)) * [3.0, 0.5, 10.0] + [1.0, -2.0, 50.0]).astype(np.float32)
    y = rng.integers(0, 3, size=80)
    pipe = _fit(make_pipeline(scaler(), MLPClassifier(hidden_layer_sizes=(5,), max_iter=30,
                                                      random_state=0)), X, y)
    path = _skl_file(pipe, X, tmp_path / "pipe.onnx", options={"zipmap": False})
    model = load(path)
    assert model.scaler is not None
    out = _run(path, X)
    np.testing.assert_allclose(model.predict_proba(X), out["probabilities"], rtol=1e-5, atol=1e-6)
    assert (model.predict(X) == out["label"]).all()


# ---------------------------------------------------------------------------- by hand
def _graph(nodes, inits, n_in, n_out, dtype=TensorProto.FLOAT, opset=17):
    graph = helper.make_graph(
        nodes, "mlp", [helper.make_tensor_value_info("input", dtype, [None, n_in])],
        [helper.make_tensor_value_info("output", dtype, [None, n_out])],
        [numpy_helper.from_array(v, k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def test_keras_style_matmul_add_chain_with_sub_div_scaling(tmp_path, rng):
    f = np.float32
    inits = {"mean": rng.normal(size=3).astype(f), "std": rng.uniform(0.5, 2, size=3).astype(f),
             "W1": rng.normal(size=(3, 5)).astype(f), "b1": rng.normal(size=5).astype(f),
             "W2": rng.normal(size=(5, 2)).astype(f), "b2": rng.normal(size=2).astype(f)}
    nodes = [helper.make_node("Sub", ["input", "mean"], ["c"], name="center"),
             helper.make_node("Div", ["c", "std"], ["s"], name="scale"),
             helper.make_node("MatMul", ["s", "W1"], ["m1"], name="dense/MatMul"),
             helper.make_node("Add", ["m1", "b1"], ["z1"], name="dense/BiasAdd"),
             helper.make_node("Elu", ["z1"], ["a1"], name="dense/Elu", alpha=1.0),
             helper.make_node("MatMul", ["a1", "W2"], ["m2"], name="dense_1/MatMul"),
             helper.make_node("Add", ["b2", "m2"], ["z2"], name="dense_1/BiasAdd"),
             helper.make_node("Softmax", ["z2"], ["output"], name="dense_1/Softmax")]
    path = tmp_path / "keras.onnx"
    path.write_bytes(_graph(nodes, inits, 3, 2).SerializeToString())
    model = load(path)
    assert model.scaler is not None
    assert [layer.name for layer in model.net.layers] == ["elu", "softmax"]
    X = (rng.normal(size=(25, 3)) * 2).astype(f)
    np.testing.assert_allclose(model.predict_proba(X), _run(path, X)["output"], rtol=1e-6,
                               atol=1e-6)


def test_gemm_alpha_beta_and_mul_add_scaling(tmp_path, rng):
    d = np.float64
    inits = {"k": rng.uniform(0.5, 2, size=(1, 3)), "o": rng.normal(size=3),
             "W": rng.normal(size=(3, 4)), "b": rng.normal(size=(1, 4)),
             "W2": rng.normal(size=(1, 4)), "b2": np.array([0.5])}
    nodes = [helper.make_node("Mul", ["k", "input"], ["x1"], name="mul"),
             helper.make_node("Add", ["x1", "o"], ["x2"], name="add"),
             helper.make_node("Gemm", ["x2", "W", "b"], ["z"], name="fc", alpha=0.5, beta=2.0),
             helper.make_node("Relu", ["z"], ["a"], name="relu"),
             helper.make_node("Gemm", ["a", "W2", "b2"], ["output"], name="fc2", transB=1)]
    path = tmp_path / "gemm.onnx"
    path.write_bytes(_graph(nodes, {k: v.astype(d) for k, v in inits.items()}, 3, 1,
                            TensorProto.DOUBLE).SerializeToString())
    model = load(path)
    X = rng.normal(size=(15, 3))
    np.testing.assert_allclose(model.predict(X), _run(path, X)["output"][:, 0], rtol=1e-12,
                               atol=1e-12)


def test_a_residual_graph_names_the_node_it_cannot_read(tmp_path, rng):
    f = np.float32
    inits = {"W": rng.normal(size=(3, 3)).astype(f), "b": np.zeros(3, f)}
    nodes = [helper.make_node("Gemm", ["input", "W", "b"], ["z"], name="fc"),
             helper.make_node("Relu", ["z"], ["a"], name="relu"),
             helper.make_node("Add", ["a", "input"], ["output"], name="skip")]
    path = tmp_path / "res.onnx"
    path.write_bytes(_graph(nodes, inits, 3, 3).SerializeToString())
    with pytest.raises(ModelFormatError, match=r"cannot read node 'skip' \(op Add\)"):
        load(path)


def test_external_data_is_refused(tmp_path, rng):
    f = np.float32
    inits = {"W": rng.normal(size=(3, 2)).astype(f), "b": np.zeros(2, f)}
    nodes = [helper.make_node("Gemm", ["input", "W", "b"], ["output"], name="fc")]
    model = _graph(nodes, inits, 3, 2)
    onnx.save_model(model, str(tmp_path / "ext.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="weights.bin", size_threshold=0)
    assert (tmp_path / "weights.bin").exists()
    with pytest.raises(ModelFormatError, match="external data"):
        load(tmp_path / "ext.onnx")


# ---------------------------------------------------------------------------- hostile bytes
def _small_file(tmp_path_factory):
    torch.manual_seed(0)
    seq = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2), nn.Softmax(dim=-1))
    path = _torch_file(seq, tmp_path_factory.mktemp("fuzz") / "s.onnx", 3)
    return path.read_bytes()


@pytest.fixture(scope="module")
def small_onnx(tmp_path_factory):
    return _small_file(tmp_path_factory)


def test_not_onnx_and_empty_files(tmp_path):
    for content in (b"", b"MATLAB 5.0 MAT-file", b"\x00" * 64, b"neuronless\n"):
        (tmp_path / "x.onnx").write_bytes(content)
        with pytest.raises(ModelFormatError):
            load(tmp_path / "x.onnx")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_bytes_and_truncations_raise_only_model_format_error(small_onnx, data):
    kind = data.draw(st.sampled_from(["random", "truncated", "flipped"]))
    if kind == "random":
        blob = data.draw(st.binary(max_size=2048))
    elif kind == "truncated":
        blob = small_onnx[: data.draw(st.integers(0, len(small_onnx) - 1))]
    else:
        i = data.draw(st.integers(0, len(small_onnx) - 1))
        blob = small_onnx[:i] + bytes([small_onnx[i] ^ data.draw(st.integers(1, 255))]) + small_onnx[i + 1:]
    try:
        model = load_bytes(blob, "fuzz.onnx")
    except ModelFormatError:
        return
    # a flipped byte inside a weight is still a valid model: it must predict like one
    assert model.net.n_inputs == 3


# ---------------------------------------------------------------------------- our own export
@pytest.mark.parametrize("kind", ["softmax", "binary", "regression"])
def test_files_from_neuronless_export_read_back(tmp_path, rng, kind):
    import neuronless as nl
    from neuronless.data import Labels, StandardScaler
    from neuronless.model import Model
    from neuronless.onnx import export

    X = rng.normal(size=(30, 3)) * [2.0, 1.0, 5.0]
    n_out = {"softmax": 3, "binary": 1, "regression": 2}[kind]
    net = nl.Network.create([3, 5, n_out], hidden="tanh", steepness=0.5, seed=0,
                            output="identity" if kind == "regression" else
                            ("softmax" if kind == "softmax" else "sigmoid"))
    if kind == "regression":
        y = rng.normal(size=(30, 2)) * 10 + 3
        model = Model(net, "regression", None, StandardScaler().fit(X), StandardScaler().fit(y),
                      target_range=[[-5.0, -5.0], [20.0, 20.0]])
    else:
        model = Model(net, "classification", Labels(["a", "b", "c"][: max(n_out, 2)]),
                      StandardScaler().fit(X))
    export(model, tmp_path / "ours.onnx")
    back = load(tmp_path / "ours.onnx")
    out = _run(tmp_path / "ours.onnx", X)
    if kind == "regression":
        np.testing.assert_allclose(back.predict(X), out["variable"], rtol=1e-6, atol=1e-5)
    else:
        np.testing.assert_allclose(back.predict_proba(X), out["probabilities"], rtol=1e-6,
                                   atol=1e-6)
        assert (back.predict(X) == out["label"]).all()
