"""The skl2onnx converters: a scikit-learn pipeline ending in a neuronless estimator converts
with ``skl2onnx.to_onnx`` and the file, run in onnxruntime, answers as the pipeline does.

Tolerances: float32 input goes through skl2onnx's float32 StandardScaler before our double
preprocessing, so the comparison is ``rtol=1e-5, atol=1e-6``; with float64 input every step is
double and agrees to 1e-9.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

pytest.importorskip("sklearn")
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
skl2onnx = pytest.importorskip("skl2onnx")
pytest.importorskip("neuronless.sklearn")

from sklearn.datasets import load_diabetes, load_iris  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import neuronless.onnx.skl2onnx_converter  # noqa: E402, F401  (registers the converters)
from neuronless.onnx import ExportError  # noqa: E402
from neuronless.sklearn import NeuronlessClassifier, NeuronlessRegressor  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
TOL = {np.float32: {"rtol": 1e-5, "atol": 1e-6}, np.float64: {"rtol": 1e-9, "atol": 1e-9}}


def run(pipe: Any, X: Any, **options: Any) -> list[Any]:
    onx = skl2onnx.to_onnx(pipe, X[:1], **options)
    onnx.checker.check_model(onx, full_check=True)
    sess = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: X})  # type: ignore[no-any-return]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pipeline_with_a_three_class_classifier(dtype):
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(),
                         NeuronlessClassifier(hidden_layer_sizes=(8,), max_iter=30,
                                              random_state=0)).fit(X, y)
    label, proba = run(pipe, X.astype(dtype),
                       options={NeuronlessClassifier: {"zipmap": False}})
    expected = pipe.predict_proba(X.astype(dtype))
    np.testing.assert_allclose(proba, expected, **TOL[dtype])
    assert label.dtype == np.int64
    assert label.tolist() == pipe.predict(X.astype(dtype)).tolist()


def test_binary_classifier_with_string_classes_and_zipmap():
    X, y = load_iris(return_X_y=True)
    names = np.where(y == 0, "setosa", "other")
    pipe = make_pipeline(StandardScaler(),
                         NeuronlessClassifier(hidden_layer_sizes=(5,), max_iter=20,
                                              random_state=1)).fit(X, names)
    assert pipe[-1].network_.n_outputs == 1
    X32 = X.astype(np.float32)
    label, proba = run(pipe, X32)  # skl2onnx's ZipMap: one {class: probability} per row
    assert label.tolist() == pipe.predict(X32).tolist()
    expected = pipe.predict_proba(X32)
    got = np.array([[row[c] for c in pipe.classes_] for row in proba])
    np.testing.assert_allclose(got, expected, **TOL[np.float32])


def test_classifier_without_a_pipeline():
    X, y = load_iris(return_X_y=True)
    clf = NeuronlessClassifier(hidden_layer_sizes=(4,), activation="relu", max_iter=20,
                               random_state=2).fit(X, y)
    label, proba = run(clf, X, options={NeuronlessClassifier: {"zipmap": False}})
    np.testing.assert_allclose(proba, clf.predict_proba(X), **TOL[np.float64])
    assert label.tolist() == clf.predict(X).tolist()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pipeline_with_a_regressor(dtype):
    X, y = load_diabetes(return_X_y=True)
    pipe = make_pipeline(StandardScaler(),
                         NeuronlessRegressor(hidden_layer_sizes=(8,), max_iter=20,
                                             random_state=0)).fit(X, y)
    (got,) = run(pipe, X.astype(dtype))
    assert got.dtype == dtype
    expected = pipe.predict(X.astype(dtype))
    tol = {"rtol": 1e-5, "atol": 1e-4} if dtype == np.float32 else TOL[np.float64]  # y ~ 1e2
    np.testing.assert_allclose(got[:, 0], expected, **tol)


def test_estimator_with_text_columns_names_them():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"size": [1.0, 2.0, 3.0, 4.0] * 5,
                          "colour": ["red", "blue", "red", "green"] * 5})
    clf = NeuronlessClassifier(max_iter=2, random_state=0).fit(frame, [0, 1, 0, 1] * 5)
    with pytest.raises(ExportError, match=r"text column\(s\) 'colour'.*neuronless.onnx.export"):
        skl2onnx.to_onnx(clf, np.zeros((1, 2), dtype=np.float32))


def test_one_sigmoid_per_class_is_normalised_as_predict_proba():
    X, y = load_iris(return_X_y=True)
    clf = NeuronlessClassifier(hidden_layer_sizes=(6,), out_activation="sigmoid", max_iter=20,
                               random_state=3).fit(X, y)
    assert clf.network_.layers[-1].name == "sigmoid"
    assert clf.network_.n_outputs == 3
    label, proba = run(clf, X, options={NeuronlessClassifier: {"zipmap": False}})
    np.testing.assert_allclose(proba, clf.predict_proba(X), **TOL[np.float64])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert label.tolist() == clf.predict(X).tolist()
