"""Streamed mini-batch training on a real Dask cluster (neuronless.dask.fit_streamed).

The reference is the in-memory Trainer fed the same partitions in the same order with the
same row permutations, drawn from the same seeded generator as fit_streamed draws them.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("distributed")
pytest.importorskip("dask.array")

import dask.array as da

import neuronless as nl
from neuronless import ConfigError
from neuronless.dask import fit_streamed
from neuronless.training import Trainer


@pytest.fixture(scope="module")
def client(two_workers):
    return two_workers


def _data(m=700):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(m, 4))
    return X, np.eye(3)[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0.7)]


def _net():
    return nl.Network.create([4, 6, 3], "tanh", "softmax", seed=2, dtype=np.float64)


def _reference(X, Y, chunks, epochs, batch_size, seed, optimizer):
    """The same epochs in memory: partitions in the seeded order, rows permuted inside."""
    net = _net()
    trainer = Trainer(net, "cross_entropy", optimizer, batch_size=batch_size)
    cuts = np.cumsum([0, *chunks])
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(epochs):
        total = 0.0
        for i in rng.permutation(len(chunks)):
            xb, yb = X[cuts[i]:cuts[i + 1]], Y[cuts[i]:cuts[i + 1]]
            perm = rng.permutation(len(xb))
            total += trainer.epoch(xb[perm], yb[perm]) * len(xb)
        losses.append(total / len(X))
    return net.params, losses


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
@pytest.mark.parametrize("prefetch", [0, 2])
def test_streamed_training_equals_the_same_steps_in_memory(client, optimizer, prefetch):
    X, Y = _data()
    chunks = (100, 250, 50, 300)
    net = _net()
    history = fit_streamed(net, da.from_array(X, chunks=(chunks, 4)),
                           da.from_array(Y, chunks=(chunks, 3)), optimizer=optimizer,
                           epochs=4, batch_size=32, loss="cross_entropy", seed=5,
                           client=client, prefetch=prefetch)
    params, losses = _reference(X, Y, chunks, 4, 32, 5, optimizer)
    np.testing.assert_allclose(net.params, params, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(history.train_loss, losses, rtol=1e-12)
    assert history.stopped_reason == "epochs"


def test_each_partition_is_computed_once_per_epoch(client):
    """The partitions are computed one by one as training reaches them (counted on the
    cluster's task stream): once each per epoch, never all at once and never twice."""
    X, Y = _data(400)
    Xd = da.from_array(X, chunks=(50, 4))
    Yd = da.from_array(Y, chunks=(50, 3))
    from distributed import get_task_stream

    with get_task_stream(client) as ts:
        fit_streamed(_net(), Xd, Yd, epochs=1, batch_size=16, loss="cross_entropy",
                     client=client, prefetch=1)
    pairs = [t for t in ts.data if "_pair" in str(t["key"])]
    assert len(pairs) == 8  # every partition once per epoch, none computed twice


def test_a_callback_stops_and_bad_settings_are_clear(client):
    X, Y = _data(200)
    h = fit_streamed(_net(), X, Y, epochs=9, batch_size=20, loss="cross_entropy",
                     client=client, callback=lambda e, v: e == 2)
    assert len(h.train_loss) == 3
    assert h.stopped_reason == "callback"
    with pytest.raises(ConfigError, match="batch_size must be a positive integer"):
        fit_streamed(_net(), X, Y, batch_size=None, client=client)
    with pytest.raises(ConfigError, match="prefetch"):
        fit_streamed(_net(), X, Y, prefetch=-1, client=client)
    with pytest.raises(nl.ShapeError, match="same rows"):
        fit_streamed(_net(), X, Y[:10], client=client)


def test_the_default_recipe_trains_on_dask_streamed(client):
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    X, Y = _data(600)
    df = pd.DataFrame(X, columns=list("abcd"))
    df["y"] = Y.argmax(axis=1)
    model = nl.train(dd.from_pandas(df, npartitions=3), "y", client=client, epochs=60,
                     layers=[8])  # adam, mini-batches of 256, cosine schedule
    in_memory = nl.train(df, "y", epochs=60, layers=[8])
    assert model.info["recipe"]["optimizer"] == "adam"
    assert len(model.history.learning_rate) == len(model.history.train_loss)
    assert model.history.learning_rate[-1] < model.history.learning_rate[0]  # the schedule
    got = model.info["score"]["training"]["accuracy"]
    assert got > 0.75  # both about 0.79 on this set
    assert got > in_memory.info["score"]["training"]["accuracy"] - 0.05


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_partial_fit_on_dask_goes_block_by_block(client):
    pytest.importorskip("sklearn")
    from neuronless.dask import fit_incremental
    from neuronless.sklearn import NeuronlessClassifier, NeuronlessRegressor

    X, Y = _data(300)
    y = Y.argmax(axis=1)
    Xd, yd = da.from_array(X, chunks=(100, 4)), da.from_array(y, chunks=100)
    kw = dict(hidden_layer_sizes=(5,), batch_size=32, random_state=0)
    got = NeuronlessClassifier(**kw).partial_fit(Xd, yd, classes=[0, 1, 2])
    want = NeuronlessClassifier(**kw)
    for a in range(0, 300, 100):
        want.partial_fit(X[a:a + 100], y[a:a + 100], classes=[0, 1, 2])
    np.testing.assert_array_equal(got.network_.params, want.network_.params)
    assert got.n_iter_ == want.n_iter_ == 3
    reg = fit_incremental(NeuronlessRegressor(**kw), Xd, da.from_array(X[:, 0], chunks=100),
                          epochs=2)
    ref = NeuronlessRegressor(**kw)
    for _ in range(2):
        for a in range(0, 300, 100):
            ref.partial_fit(X[a:a + 100], X[a:a + 100, 0])
    np.testing.assert_array_equal(reg.network_.params, ref.network_.params)
    with pytest.raises(nl.DataError, match="blocks"):
        fit_incremental(NeuronlessRegressor(**kw), Xd, da.from_array(X[:, 0], chunks=50))
