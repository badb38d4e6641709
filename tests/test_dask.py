"""Exact data-parallel full-batch training on a real Dask cluster (neuronless.dask).

The cluster is a ``distributed.LocalCluster`` of two worker processes on loopback (no
dashboard). The reference is the in-memory computation on the same rows:
:func:`neuronless.loss_and_grads` for the cost and a ``Trainer`` with ``batch_size=None`` for
training; only the order of the sums differs, so float64 agrees to rounding.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("distributed")
pytest.importorskip("dask.array")

import dask.array as da
from distributed import Client, LocalCluster

import neuronless as nl
from neuronless import ConfigError, ShapeError
from neuronless.dask import DaskObjective, fit_full_batch
from neuronless.optimizers import SGD, Quickprop
from neuronless.training import Trainer


def test_no_client_is_one_clear_error():  # first: before the module's client exists
    from distributed import default_client

    try:
        default_client()
        pytest.skip("a default client exists in this process")
    except ValueError:
        pass
    X, Y = _data(m=20)
    with pytest.raises(ConfigError, match="no Dask client"):
        DaskObjective(_net(), X, Y)


@pytest.fixture(scope="module")
def client(two_workers):
    return two_workers


def _data(m=900, n_in=5, n_out=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n_in))
    labels = (X[:, 0] + X[:, 1] ** 2 > 0.5).astype(int) + (X[:, 2] > 0.8)
    return X, np.eye(n_out)[labels]


def _net(seed=1, **kw):
    return nl.Network.create([5, 7, 3], "tanh", "softmax", seed=seed, dtype=np.float64, **kw)


@pytest.mark.parametrize("placement", ["numpy", "dask-uneven"])
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_the_cost_and_gradient_equal_the_in_memory_ones(client, placement, l2):
    X, Y = _data()
    net = _net(connection_rate=0.7)  # a sparse net: the mask applies on every worker
    if placement == "numpy":
        Xc, Yc = X, Y
        objective = DaskObjective(net, Xc, Yc, loss="cross_entropy", l2=l2, client=client,
                                  partitions=7)
    else:
        chunks = (100, 250, 50, 300, 200)
        Xc = da.from_array(X, chunks=(chunks, 2))  # columns split too: joined per block
        Yc = da.from_array(Y, chunks=(chunks, 3))
        objective = DaskObjective(net, Xc, Yc, loss="cross_entropy", l2=l2, client=client)
        assert len(objective._x) == 5
    want_loss, want_grads = nl.loss_and_grads(net, X, Y, "cross_entropy", l2)
    for scale in (1.0, 0.5):  # the parameters of each call, not the ones scattered first
        params = net.params * scale
        got_loss, got_grads = objective(params)
        probe = net.copy()
        probe.params[...] = params
        want_loss, want_grads = nl.loss_and_grads(probe, X, Y, "cross_entropy", l2)
        assert got_loss == pytest.approx(want_loss, rel=1e-12)
        np.testing.assert_allclose(got_grads, want_grads, rtol=1e-11, atol=1e-15)
    assert objective.rows == len(X)


@pytest.mark.parametrize("optimizer", ["irprop+", "irprop-", "quickprop", "sgd"])
def test_full_batch_training_ends_where_in_memory_training_ends(client, optimizer):
    """50 epochs to 1e-9. Quickprop runs 25: its secant step divides by the change of the
    slope, so the partitions' order of the sums grows about tenfold every three epochs here
    (the loss differed by 2e-13 relative at epoch 24, 5e-9 at 36, 1e-7 at 48)."""
    epochs = 25 if optimizer == "quickprop" else 50
    X, Y = _data(seed=3)
    make = {"irprop+": lambda: nl.optimizers.IRpropPlus(), "irprop-": lambda: "irprop-",
            "quickprop": lambda: Quickprop(learning_rate=0.5), "sgd": lambda: SGD(0.3)}[optimizer]
    here, there = _net(seed=4), _net(seed=4)
    trainer = Trainer(here, "cross_entropy", make(), batch_size=None, l2=0.1, backend="numpy")
    losses = [trainer.epoch(X, Y) for _ in range(epochs)]
    history = fit_full_batch(there, da.from_array(X, chunks=(200, 5)),
                             da.from_array(Y, chunks=(200, 3)), optimizer=make(), epochs=epochs,
                             loss="cross_entropy", l2=0.1, client=client)
    np.testing.assert_allclose(history.train_loss, losses, rtol=1e-9)
    np.testing.assert_allclose(there.params, here.params, rtol=1e-9, atol=1e-12)
    assert losses[-1] < losses[0]


def test_bad_input_is_one_clear_error(client):
    X, Y = _data()
    with pytest.raises(ShapeError, match="X has 4 columns; the network takes 5 inputs"):
        DaskObjective(_net(), X[:, :4], Y, client=client)
    with pytest.raises(ShapeError, match="same rows"):
        DaskObjective(_net(), X, Y[:-1], client=client)
    with pytest.raises(ConfigError, match="epochs must be a positive integer"):
        fit_full_batch(_net(), X, Y, epochs=0, client=client)
    with pytest.raises(ConfigError, match=r"client must be a distributed\.Client"):
        DaskObjective(_net(), X, Y, client="tcp://127.0.0.1:8786")
    with pytest.raises(ConfigError, match="probability distributions"):  # as in memory
        fit_full_batch(_net(), X, Y * 3.0, loss="cross_entropy", epochs=1, client=client)


def test_a_worker_killed_mid_training_does_not_change_the_result():
    """kill -9 of a worker process during training: its partitions are recomputed from the
    dask.array's graph on the worker that remains (or the one the nanny restarts), and the
    run ends bit for bit where an undisturbed run ends (the sums go in partition order)."""
    import os
    import signal

    X, Y = _data(m=600, seed=5)
    Xd, Yd = da.from_array(X, chunks=(100, 5)), da.from_array(Y, chunks=(100, 3))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address="127.0.0.1:0", host="127.0.0.1") as cluster, \
            Client(cluster) as c:
        calm = _net(seed=6)
        fit_full_batch(calm, Xd, Yd, epochs=30, loss="cross_entropy", client=c)
        pids = list(c.run(os.getpid).values())
        killed = []

        def kill_one(epoch, loss):
            if epoch == 10:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(epoch)

        hit = _net(seed=6)
        history = fit_full_batch(hit, Xd, Yd, epochs=30, loss="cross_entropy", client=c,
                                 callback=kill_one)
    assert killed == [10]
    assert len(history.train_loss) == 30
    np.testing.assert_array_equal(hit.params, calm.params)


def test_a_callback_can_stop_training(client):
    X, Y = _data(m=100)
    history = fit_full_batch(_net(), X, Y, epochs=20, loss="cross_entropy", client=client,
                             callback=lambda epoch, loss: epoch == 4)
    assert history.epoch == [0, 1, 2, 3, 4]
    assert history.stopped_reason == "callback"


def test_an_evaluation_that_loses_a_worker_runs_again_then_stops_clearly(client, monkeypatch):
    """The retry rule of DaskObjective.__call__, with the lost-work error the client raises
    when a worker dies inside an evaluation injected on the first attempts."""
    from distributed.client import FutureCancelledError

    import neuronless.dask.objective as nd

    X, Y = _data(m=120)
    objective = DaskObjective(_net(), X, Y, loss="cross_entropy", client=client)
    want = objective(objective.net.params)
    real = objective._parts
    calls = []

    def flaky(params, fresh, fail=1):
        calls.append(fresh)
        if len(calls) <= fail:
            raise FutureCancelledError(key="lost", reason="worker died")
        return real(params, fresh)

    monkeypatch.setattr(objective, "_parts", flaky)
    got = objective(objective.net.params)
    assert calls == [False, True]  # the second attempt sends the network again
    assert got[0] == want[0]
    np.testing.assert_array_equal(got[1], want[1])
    calls.clear()
    monkeypatch.setattr(objective, "_parts",
                        lambda params, fresh: flaky(params, fresh, fail=nd.RETRIES + 1))
    with pytest.raises(nl.DataError, match="lost work 4 times in a row"):
        objective(objective.net.params)
    assert calls == [False, True, True, True]


def test_blocks_computed_on_one_worker_are_spread_over_both(client):
    from distributed import wait

    from neuronless.dask.objective import place, placement

    X, Y = _data(m=800)
    workers = sorted(client.scheduler_info()["workers"])
    Xd = client.persist(da.from_array(X, chunks=(100, 5)), workers=[workers[0]])
    Yd = client.persist(da.from_array(Y, chunks=(100, 3)), workers=[workers[1]])
    wait([Xd, Yd])
    assert set(client.who_has(Xd).values()) == {(workers[0],)}  # all 8 blocks on one worker
    xs, ys, rows = place(client, 5, Xd, Yd)
    assert rows == 800
    assert sorted(placement(client, xs).values()) == [4, 4]
    where_x, where_y = client.who_has(xs), client.who_has(ys)
    for x, y in zip(xs, ys, strict=True):  # each target block beside its inputs
        assert set(where_x[x.key]) & set(where_y[y.key])
    np.testing.assert_array_equal(np.concatenate(client.gather(xs)), X)  # same rows, in order
    np.testing.assert_array_equal(np.concatenate(client.gather(ys)), Y)


def test_a_worker_with_several_threads_gives_the_in_memory_cost():
    # tasks run side by side in a worker's threads: each thread has its own Backprop buffers
    X, Y = _data(m=800)
    net = _net()
    want_loss, want_grads = nl.loss_and_grads(net, X, Y, "cross_entropy")
    with LocalCluster(n_workers=1, threads_per_worker=4, processes=True,
                      dashboard_address="127.0.0.1:0", host="127.0.0.1") as cluster, \
            Client(cluster) as c:
        objective = DaskObjective(net, X, Y, loss="cross_entropy", client=c, partitions=8)
        for _ in range(5):
            loss, grads = objective(net.params)
            assert loss == pytest.approx(want_loss, rel=1e-12)
            np.testing.assert_allclose(grads, want_grads, rtol=1e-10, atol=1e-14)


def test_the_cost_alone_equals_the_in_memory_cost(client):
    X, Y = _data(m=500)
    net = _net()
    want, _ = nl.loss_and_grads(net, X, Y, "cross_entropy", l2=0.7)
    objective = DaskObjective(net, X, Y, loss="cross_entropy", l2=0.7, client=client,
                              partitions=5)
    assert objective.loss_at(net.params) == pytest.approx(want, rel=1e-10)
