"""Networks, models and fitted estimators pickle, so they can go to other processes (Dask
workers, joblib's process pools); activations travel by registered name, never as code.

The reference is the object itself: after a round trip every output equals the original's
bit for bit. Model *files* never use pickle (tests/test_nless.py); this is for transport.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import neuronless as nl
from neuronless.activations import Activation
from neuronless.network import Network


def _round_trip(obj):
    return pickle.loads(pickle.dumps(obj))


def _nets():
    yield "layered", Network.create([3, 5, 2], "tanh", "softmax", seed=0)
    yield "shortcut-f64", Network.create([3, 4, 4, 1], "relu", "sigmoid", shortcut=True,
                                         seed=1, dtype=np.float64)
    yield "sparse", Network.create([4, 6, 2], "tanh", "sigmoid", connection_rate=0.5, seed=2)
    mixed = Network([3, 3, 2], [["tanh", "relu", "elliot"], "identity"],
                    steepness=[np.array([0.5, 1.0, 2.0]), 0.7], clamp=[5.0, None])
    mixed.params[:] = np.random.default_rng(3).normal(size=mixed.params.size)
    yield "mixed-clamp", mixed


@pytest.mark.parametrize(("name", "net"), list(_nets()), ids=[n for n, _ in _nets()])
def test_a_network_round_trips_exactly(name, net):
    X = np.random.default_rng(5).normal(size=(9, net.sizes[0])).astype(net.dtype)
    back = _round_trip(net)
    assert back.sizes == net.sizes
    assert back.dtype == net.dtype
    assert back.shortcut == net.shortcut
    np.testing.assert_array_equal(back.params, net.params)
    assert all(np.shares_memory(w, back.params) for w in back.weights)  # still views
    if net.mask is None:
        assert back.mask is None
    else:
        np.testing.assert_array_equal(back.mask, net.mask)
    np.testing.assert_array_equal(back.forward(X), net.forward(X))
    back.params[0] += 1.0  # an independent copy
    assert back.weights[0].flat[0] != net.weights[0].flat[0]


def test_caches_do_not_travel_and_are_rebuilt():
    net = Network.create([4, 5, 3], "tanh", "sigmoid", seed=0)
    x = np.ones(4, dtype=net.dtype)
    net.forward(x)
    before = net.forward(x)
    back = _round_trip(net)
    assert back._one_sample is None
    assert back._one_sample_calls == 0
    np.testing.assert_array_equal(back.forward(x), before)


def test_a_cascade_net_unpickles_in_a_process_that_never_imported_fann(tmp_path):
    """FANN's activations register themselves when neuronless.fann is imported; unpickling
    must find them in a fresh process that has imported nothing but pickle."""
    X, y = nl.datasets.xor()
    params = nl.fann.FannParams(cascade_activation_functions=("gaussian", "elliot"))
    net, _ = nl.cascade_train(X, y.reshape(-1, 1), max_neurons=2, params=params, seed=0)
    assert {layer.name for layer in net.layers[:-1]} <= {"gaussian", "elliot"}
    path = tmp_path / "net.pkl"
    path.write_bytes(pickle.dumps(net))
    code = ("import pickle, sys, numpy as np\n"
            f"net = pickle.loads(open({str(path)!r}, 'rb').read())\n"
            "X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=net.dtype)\n"
            "print(repr(net.forward(X).ravel().tolist()))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(nl.__file__).parents[1]), *filter(None, [os.environ.get("PYTHONPATH")])])}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=True, timeout=300)
    want = net.forward(X.astype(net.dtype)).ravel().tolist()
    assert eval(done.stdout.strip()) == want


def test_an_unregistered_activation_is_one_clear_error():
    own = Activation("my_square", lambda x: x * x, lambda x, a: 2 * x, needs_x=True)
    net = Network([2, 1], [own])
    with pytest.raises(pickle.PicklingError, match="'my_square' is not a registered"):
        pickle.dumps(net)


def test_a_trained_model_and_a_fitted_estimator_round_trip():
    pytest.importorskip("sklearn")
    from neuronless.sklearn import NeuronlessClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    est = NeuronlessClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(X, y)
    back = _round_trip(est)
    np.testing.assert_array_equal(back.predict_proba(X), est.predict_proba(X))
    assert back.predict(X).tolist() == est.predict(X).tolist()
    model = nl.train(X, y, epochs=3, seed=0)
    np.testing.assert_array_equal(_round_trip(model).predict_proba(X), model.predict_proba(X))
