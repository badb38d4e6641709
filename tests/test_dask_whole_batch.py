"""L-BFGS, CG and FANN's batch algorithms on a real Dask cluster (neuronless.dask.whole_batch).

Two worker processes on loopback. The references are the in-memory implementations on the
same rows: :func:`neuronless.minimize.minimize` (scipy's L-BFGS-B and CG on one cost) and
:class:`neuronless.fann.FannTrainer` (whose batch epochs are checked against libfann in
tests/test_fann_*.py). Only the order of the sums differs, so float64 agrees to rounding.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("distributed")
pytest.importorskip("dask.dataframe")
pytest.importorskip("pandas")

import dask.array as da
import dask.dataframe as dd
import pandas as pd

import neuronless as nl
from neuronless import ConfigError
from neuronless.dask.whole_batch import fit_fann, fit_minimize
from neuronless.fann import FannParams, FannTrainer
from neuronless.minimize import minimize


@pytest.fixture(scope="module")
def client(two_workers):
    return two_workers


def _data(m=700, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, 4))
    labels = (X[:, 0] + X[:, 1] ** 2 > 0.5).astype(int) + (X[:, 2] > 0.8)
    return X, np.eye(3)[labels]


def _chunked(X, Y, rows=90):
    return da.from_array(X, chunks=(rows, 4)), da.from_array(Y, chunks=(rows, 3))


@pytest.mark.parametrize("method", ["lbfgs", "cg"])
def test_lbfgs_and_cg_on_the_cluster_end_where_the_in_memory_minimiser_ends(client, method):
    X, Y = _data()
    start = nl.Network.create([4, 6, 3], "tanh", "softmax", seed=3, dtype=np.float64)
    want, got = start.copy(), start.copy()
    with pytest.warns(nl.ConvergenceWarning, match="maxiter=25"):
        ref = minimize(want, X, Y, method, l2=0.5, maxiter=25, tol=1e-12)
    with pytest.warns(nl.ConvergenceWarning, match="maxiter=25"):
        res = fit_minimize(got, *_chunked(X, Y), method, l2=0.5, maxiter=25, tol=1e-12,
                           client=client)
    assert res.iterations == ref.iterations == 25
    assert res.evaluations == ref.evaluations
    np.testing.assert_allclose(res.loss_history, ref.loss_history, rtol=1e-9)
    # the costs agree to rounding; the parameters a little less (flat directions of the cost)
    np.testing.assert_allclose(got.params, want.params, rtol=1e-6, atol=1e-8)
    assert res.loss < ref.loss_history[0] * 0.8  # it trained


def test_the_minimiser_keeps_a_float32_net_float32(client):
    X, Y = _data(m=200)
    net = nl.Network.create([4, 5, 3], "tanh", "softmax", seed=0)
    before = net.params.copy()
    with pytest.warns(nl.ConvergenceWarning):
        fit_minimize(net, X, Y, "lbfgs", maxiter=5, client=client, partitions=3)
    assert net.dtype == np.float32
    assert not np.array_equal(net.params, before)


def _fann_net(seed=2):
    return nl.Network.create([4, 5, 3], "sigmoid_symmetric", "sigmoid", init="uniform",
                             seed=seed, dtype=np.float64)


@pytest.mark.parametrize("algorithm", ["rprop", "quickprop", "batch", "sarprop"])
def test_fann_batch_algorithms_on_the_cluster_match_the_in_memory_trainer(client, algorithm):
    X, Y = _data()
    params = FannParams(training_algorithm=algorithm)
    want, got = _fann_net(), _fann_net()
    # Quickprop divides by differences of successive slopes, which magnifies the last bits
    # that the order of the sums changes: here its weights agree to 1e-9 for 20 epochs and
    # drift to 7e-6 by epoch 50; the other rules stay within 1e-9 for 50 epochs
    epochs = 20 if algorithm == "quickprop" else 50
    ref = FannTrainer(want, params, backend="numpy").train_on_data(X, Y, epochs, 0.0)
    h = fit_fann(got, *_chunked(X, Y), params, max_epochs=epochs, client=client)
    assert len(h) == len(ref) == epochs
    np.testing.assert_allclose(h.mse, ref.mse, rtol=1e-9)
    assert h.bit_fail == ref.bit_fail
    np.testing.assert_allclose(got.params, want.params, rtol=1e-9, atol=1e-12)
    assert ref.mse[-1] < ref.mse[0]


@pytest.mark.parametrize("stop", ["mse", "bit"])
def test_fann_on_the_cluster_stops_at_the_desired_error_where_memory_does(client, stop):
    X, Y = _data()
    params = FannParams(training_algorithm="rprop", train_stop_function=stop)
    free = FannTrainer(_fann_net(), params, backend="numpy").train_on_data(X, Y, 40, 0.0)
    goal = free.mse[30] if stop == "mse" else free.bit_fail[30]  # reached by epoch 31
    want, got = _fann_net(), _fann_net()
    ref = FannTrainer(want, params, backend="numpy").train_on_data(X, Y, 300, goal)
    h = fit_fann(got, X, Y, params, max_epochs=300, desired_error=goal, client=client)
    assert ref.stopped_reason == h.stopped_reason == "desired_error"
    assert len(h) == len(ref) <= 31
    np.testing.assert_allclose(got.params, want.params, rtol=1e-9, atol=1e-12)


def test_fann_refuses_the_incremental_algorithm(client):
    X, Y = _data(m=50)
    with pytest.raises(ConfigError, match="after every pattern"):
        fit_fann(_fann_net(), X, Y, FannParams(training_algorithm="incremental"),
                 client=client)


def _frame(n=600, seed=1):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                       "c": rng.choice(["p", "q"], size=n)})
    df["y"] = np.where(df.a - df.b + (df.c == "p") > 0.5, "yes", "no")
    return df


@pytest.mark.parametrize("settings", [
    {"optimizer": "lbfgs", "epochs": 20},
    {"optimizer": "cg", "epochs": 15},
    {"fann_compatible": True, "epochs": 30},
    {"optimizer": "quickprop", "fann_compatible": True, "epochs": 30},
])
def test_the_pipeline_on_dask_trains_whole_batch_methods_as_in_memory(client, settings):
    df = _frame()
    common = dict(layers=[5], dtype=np.float64, seed=4, **settings)
    # FANN's in-memory epochs may run compiled, which keeps libfann's float accumulators;
    # the cluster's workers run the NumPy epochs, so the reference does too
    want = nl.train(df, "y", backend="numpy", **common)
    got = nl.train(dd.from_pandas(df, npartitions=5), "y", client=client, **common)
    np.testing.assert_allclose(got.net.params, want.net.params, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(got.history.train_loss, want.history.train_loss, rtol=1e-8)
    assert got.info["dask"]["partitions"] == 5
    assert (got.predict(df) == want.predict(df)).all()


def test_the_pipeline_on_dask_refuses_what_it_cannot_run(client):
    ddf = dd.from_pandas(_frame(n=100), npartitions=2)
    with pytest.raises(ConfigError, match="updates after every pattern"):
        nl.train(ddf, "y", client=client, optimizer="incremental", fann_compatible=True)
    with pytest.raises(ConfigError, match="does not apply to --optimizer lbfgs"):
        nl.train(ddf, "y", client=client, optimizer="lbfgs", checkpoint="x.ckpt")
    with pytest.raises(ConfigError, match="checkpoint"):
        nl.train(ddf, "y", client=client, fann_compatible=True, checkpoint="x.ckpt")


def test_fann_with_no_rows_is_a_clear_error(client):
    with pytest.raises(nl.DataError, match="no patterns"):
        fit_fann(_fann_net(), np.zeros((0, 4)), np.zeros((0, 3)), client=client)
