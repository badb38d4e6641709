"""Networks from scikit-learn, PyTorch and the Stanford course's Octave matrices.

Every expected number comes from the source library itself (``predict_proba``, ``predict``,
the module's forward pass) or, for Octave, from the course's formula written out below.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

import neuronless as nl
from neuronless.errors import ConfigError, ShapeError
from neuronless.model import Model

sklearn = pytest.importorskip("sklearn")
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402

EX4 = Path(__file__).resolve().parents[2] / "shared" / "data" / "stanford-ex4"
TOL = {np.float32: 1e-6, np.float64: 1e-12}


def _fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a few epochs are enough here
        return estimator.fit(X, y)


def _tol(dtype):
    return TOL[np.dtype(dtype).type]


# ---------------------------------------------------------------------------- scikit-learn
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("activation", "n_classes"),
                         [("relu", 3), ("tanh", 2), ("logistic", 4), ("identity", 3)])
def test_sklearn_classifier_probabilities_and_labels(rng, dtype, activation, n_classes):
    X = rng.normal(size=(120, 5)).astype(dtype)
    y = np.array(["ant", "bee", "cat", "dog"])[rng.integers(0, n_classes, size=120)]
    mlp = _fit(MLPClassifier(hidden_layer_sizes=(7, 4), activation=activation, max_iter=30, random_state=0), X, y)
    model = Model.from_sklearn(mlp)
    assert model.net.dtype == np.dtype(dtype)
    assert model.net.sizes == (5, 7, 4, 1 if n_classes == 2 else n_classes)
    tol = _tol(dtype)
    np.testing.assert_allclose(model.predict_proba(X), mlp.predict_proba(X), rtol=tol, atol=tol)
    assert (model.predict(X) == mlp.predict(X)).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_targets", [1, 2])
def test_sklearn_regressor_predictions(rng, dtype, n_targets):
    X = rng.normal(size=(80, 3)).astype(dtype)
    y = (X @ rng.normal(size=(3, n_targets))).astype(dtype)
    y = y[:, 0] if n_targets == 1 else y
    mlp = _fit(MLPRegressor(hidden_layer_sizes=(6,), activation="tanh", max_iter=50, random_state=0), X, y)
    model = Model.from_sklearn(mlp)
    assert model.task == "regression"
    tol = _tol(dtype)
    np.testing.assert_allclose(model.predict(X), mlp.predict(X), rtol=tol, atol=tol)
    np.testing.assert_allclose(nl.Network.from_sklearn(mlp).forward(X).reshape(mlp.predict(X).shape),
                               mlp.predict(X), rtol=tol, atol=tol)


@pytest.mark.parametrize("scaler", ["standard", "minmax"])
def test_sklearn_pipeline_scaler_becomes_the_model_scaler(rng, scaler):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    X = rng.normal(size=(90, 4)) * [1.0, 10.0, 0.1, 5.0] + [0.0, 50.0, -3.0, 2.0]
    y = rng.integers(0, 3, size=90)
    step = StandardScaler() if scaler == "standard" else MinMaxScaler((-1, 1))
    pipe = _fit(make_pipeline(step, MLPClassifier(hidden_layer_sizes=(5,), max_iter=40, random_state=1)), X, y)
    model = Model.from_sklearn(pipe)
    assert model.scaler is not None
    np.testing.assert_allclose(model.predict_proba(X), pipe.predict_proba(X), rtol=1e-12, atol=1e-12)
    assert (model.predict(X) == pipe.predict(X)).all()


def test_sklearn_model_saves_and_loads(rng, tmp_path):
    X = rng.normal(size=(60, 3))
    y = rng.integers(0, 3, size=60)
    mlp = _fit(MLPClassifier(hidden_layer_sizes=(4,), max_iter=20, random_state=0), X, y)
    Model.from_sklearn(mlp).save(tmp_path / "m.nless")
    model, _ = Model.load(tmp_path / "m.nless")
    np.testing.assert_allclose(model.predict_proba(X), mlp.predict_proba(X), rtol=1e-12, atol=1e-12)
    assert model.labels is not None
    assert model.labels.classes == [0, 1, 2]


def test_sklearn_unfitted_and_multilabel_are_refused(rng):
    with pytest.raises(ConfigError, match="fitted MLPClassifier"):
        nl.Network.from_sklearn(MLPClassifier())
    X = rng.normal(size=(40, 3))
    Y = rng.integers(0, 2, size=(40, 3))
    mlp = _fit(MLPClassifier(hidden_layer_sizes=(4,), max_iter=10, random_state=0), X, Y)
    with pytest.raises(ConfigError, match="multilabel"):
        Model.from_sklearn(mlp)
    # the network alone is fine: three independent sigmoid units, as predict_proba
    np.testing.assert_allclose(nl.Network.from_sklearn(mlp).forward(X), mlp.predict_proba(X),
                               rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------- PyTorch
torch = pytest.importorskip("torch")
nn = torch.nn


def _torch_out(seq, X):
    seq.eval()
    with torch.no_grad():
        return seq(torch.from_numpy(X)).numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("act", [nn.ReLU, nn.Tanh, nn.Sigmoid, nn.LeakyReLU, nn.ELU, nn.Softplus])
def test_torch_sequential_forward(rng, dtype, act):
    torch.manual_seed(0)
    seq = nn.Sequential(nn.Linear(4, 6), act(), nn.Dropout(0.3), nn.Linear(6, 5), act(),
                        nn.Linear(5, 3), nn.Softmax(dim=-1))
    if dtype == np.float64:
        seq = seq.double()
    X = rng.normal(size=(25, 4)).astype(dtype) * 3
    net = nl.Network.from_torch(seq)
    assert net.dtype == np.dtype(dtype)
    assert [layer.name for layer in net.layers][-1] == "softmax"
    tol = _tol(dtype)
    np.testing.assert_allclose(net.forward(X), _torch_out(seq, X), rtol=tol, atol=tol)


def test_torch_linear_without_bias_flatten_identity_and_nesting(rng):
    torch.manual_seed(1)
    seq = nn.Sequential(nn.Flatten(), nn.Linear(3, 4, bias=False), nn.Identity(),
                        nn.Sequential(nn.Linear(4, 2), nn.Tanh()), nn.Linear(2, 2))
    X = rng.normal(size=(10, 3)).astype(np.float32)
    net = nl.Network.from_torch(seq)
    assert [layer.name for layer in net.layers] == ["identity", "tanh", "identity"]
    np.testing.assert_allclose(net.forward(X), _torch_out(seq, X), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(("modules", "match"), [
    (lambda: [nn.Linear(2, 3), nn.GELU()], r"module 1 \(GELU"),
    (lambda: [nn.Linear(2, 3), nn.LeakyReLU(0.2)], r"module 1 \(LeakyReLU"),
    (lambda: [nn.Linear(2, 3), nn.Softplus(beta=2.0)], r"module 1 \(Softplus"),
    (lambda: [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1), nn.Softmax(dim=0)], r"module 3 \(Softmax"),
    (lambda: [nn.ReLU(), nn.Linear(2, 3)], "module 0 .* before the first Linear"),
    (lambda: [nn.Linear(2, 3), nn.ReLU(), nn.Tanh()], "module 2 .* after another activation"),
    (lambda: [nn.Linear(2, 3), nn.Sequential(nn.Conv1d(1, 1, 1))], r"module 1\.0 \(Conv1d"),
])
def test_torch_unreadable_module_is_named(modules, match):
    with pytest.raises(ConfigError, match=match):
        nl.Network.from_torch(nn.Sequential(*modules()))


def test_torch_mismatched_linear_sizes_are_a_shape_error():
    with pytest.raises(ShapeError, match=r"weights\[1\]"):
        nl.Network.from_torch(nn.Sequential(nn.Linear(2, 3), nn.Linear(4, 1)))


# ---------------------------------------------------------------------------- Octave
def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _course_predict(thetas, X):
    """ex4's feedforward: a = sigmoid([ones(m, 1) a] * Theta') for each Theta."""
    a = X
    for theta in thetas:
        a = _sigmoid(np.hstack([np.ones((a.shape[0], 1)), a]) @ theta.T)
    return a


def test_octave_round_trip_and_course_formula(rng):
    thetas = [rng.normal(size=(5, 4)), rng.normal(size=(3, 6))]
    net = nl.Network.from_octave(thetas)
    assert net.sizes == (3, 5, 3)
    assert net.dtype == np.float64
    X = rng.normal(size=(20, 3))
    np.testing.assert_allclose(net.forward(X), _course_predict(thetas, X), rtol=1e-12, atol=1e-12)
    back = net.to_octave()
    assert all(np.array_equal(a, b) for a, b in zip(back, thetas, strict=True))


def test_octave_shapes_are_checked(rng):
    with pytest.raises(ShapeError, match="Theta2 must have 6 columns"):
        nl.Network.from_octave([rng.normal(size=(5, 4)), rng.normal(size=(3, 5))])
    with pytest.raises(ConfigError, match="shortcut"):
        nl.Network.create([2, 2, 1], shortcut=True).to_octave()


def _ex4_weights():
    path = EX4 / "ex4weights.mat"
    if not path.exists():
        pytest.skip(f"{path} is not here (the course's reference weights live outside the repo)")
    from scipy.io import loadmat

    mat = loadmat(path)
    return path, [mat["Theta1"], mat["Theta2"]]


def test_octave_ex4_weights_match_the_course_formula(rng):
    _, thetas = _ex4_weights()
    net = nl.Network.from_octave(thetas)
    assert net.sizes == (400, 25, 10)
    X = rng.uniform(-1.0, 1.0, size=(50, 400))  # pixel-like values, as the course's digits
    np.testing.assert_allclose(net.forward(X), _course_predict(thetas, X), rtol=1e-12, atol=1e-12)


def test_octave_ex4_training_accuracy():
    path, thetas = _ex4_weights()
    data = path.with_name("ex4data1.mat")
    if not data.exists():
        pytest.skip(f"{data} is not here (the course's 5000 training digits)")
    from scipy.io import loadmat

    d = loadmat(data)
    X, y = d["X"], d["y"].ravel()
    pred = nl.Network.from_octave(thetas).forward(X).argmax(axis=1) + 1  # labels 1..10
    assert np.mean(pred == y) == pytest.approx(0.9752, abs=0.002)  # ex3.pdf: "about 97.5%"
