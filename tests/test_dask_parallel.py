"""Data-parallel mini-batch training on a real Dask cluster (neuronless.dask.fit_data_parallel).

Two worker processes on loopback. The references are written here from the documented
rules, with the in-memory :class:`~neuronless.training.Trainer`: for ``mode="sync"`` one
process taking the same steps on the same batches (each step's rows drawn from every
partition in proportion, in the seeded orders); for ``mode="average"`` one copy of the
network per worker passing through its partitions (g, g + N, ...), averaged after each round.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

pytest.importorskip("distributed")
pytest.importorskip("dask.array")

import dask.array as da
from distributed import Client, LocalCluster

import neuronless as nl
from neuronless import ConfigError
from neuronless.dask import fit_data_parallel
from neuronless.optimizers import Adam
from neuronless.training import Trainer


@pytest.fixture(scope="module")
def client(two_workers):
    return two_workers


def _data(m=600, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, 4))
    labels = (X[:, 0] + X[:, 1] ** 2 > 0.5).astype(int) + (X[:, 2] > 0.8)
    return X, np.eye(3)[labels]


def _net(seed=1):
    return nl.Network.create([4, 6, 3], "tanh", "softmax", seed=seed, dtype=np.float64)


def _order(n, seed, epoch, part):  # the documented row order of a partition in an epoch
    return np.random.default_rng([seed, epoch, part]).permutation(n)


CHUNK = 90  # 600 rows: six partitions of 90 and one of 60


def _parts(X, Y):
    cuts = [*range(0, len(X), CHUNK), len(X)]
    return [(X[a:b], Y[a:b]) for a, b in itertools.pairwise(cuts)]


def test_sync_mode_takes_the_steps_one_process_takes_on_the_same_batches(client):
    X, Y = _data()
    got, want = _net(), _net()
    h = fit_data_parallel(got, da.from_array(X, chunks=(CHUNK, 4)),
                          da.from_array(Y, chunks=(CHUNK, 3)), optimizer=Adam(0.01),
                          epochs=3, batch_size=64, l2=0.5, seed=7, client=client, mode="sync")
    trainer = Trainer(want, "cross_entropy", Adam(0.01), l2=0.5)
    parts, losses = _parts(X, Y), []
    for epoch in range(3):
        steps = math.ceil(len(X) / 64)
        orders = [_order(len(x), 7, epoch, p) for p, (x, _) in enumerate(parts)]
        total = 0.0
        for s in range(steps):
            rows = [o[s * len(o) // steps:(s + 1) * len(o) // steps] for o in orders]
            xb = np.concatenate([x[r] for (x, _), r in zip(parts, rows, strict=True)])
            yb = np.concatenate([y[r] for (_, y), r in zip(parts, rows, strict=True)])
            total += trainer.step(xb, yb) * len(xb)
        losses.append(total / len(X))
    np.testing.assert_allclose(h.train_loss, losses, rtol=1e-10)
    np.testing.assert_allclose(got.params, want.params, rtol=1e-9, atol=1e-12)
    assert h.train_loss[-1] < h.train_loss[0]


@pytest.mark.parametrize("rounds", [1, 2])
def test_average_mode_averages_one_copy_per_worker_after_each_round(client, rounds):
    X, Y = _data()
    Xd, Yd = da.from_array(X, chunks=(CHUNK, 4)), da.from_array(Y, chunks=(CHUNK, 3))
    groups = [[0, 2, 4, 6], [1, 3, 5]]  # 2 workers: copy g trains on partitions g, g + 2, ...
    got, want = _net(), _net()
    h = fit_data_parallel(got, Xd, Yd, optimizer=Adam(0.01), epochs=2, batch_size=32,
                          seed=3, client=client, mode="average", rounds=rounds)
    parts = _parts(X, Y)
    opt = Adam(0.01)
    state = opt.init(want.params)
    losses = []
    for epoch in range(2):
        total = count = 0
        for piece in range(rounds):
            copies = []
            for g, members in enumerate(groups):
                net, st = want.copy(), _copy_state(state)
                sums = rows_seen = 0
                for j in np.random.default_rng([3, epoch, g, 0]).permutation(len(members)):
                    x, y = parts[members[j]]
                    o = _order(len(x), 3, epoch, members[j])
                    o = o[piece * len(x) // rounds:(piece + 1) * len(x) // rounds]
                    tr = Trainer(net, "cross_entropy", opt, batch_size=32, state=st)
                    sums += tr.epoch(x[o], y[o]) * len(o)
                    rows_seen += len(o)
                copies.append((net.params.copy(), st, rows_seen))
                total, count = total + sums, count + rows_seen
            w = np.array([c[2] for c in copies], dtype=float) / sum(c[2] for c in copies)
            want.params[...] = sum(wi * c[0] for wi, c in zip(w, copies, strict=True))
            for k in state.arrays:
                state.arrays[k] = sum(wi * c[1].arrays[k] for wi, c in zip(w, copies,
                                                                            strict=True))
            state.t = round(sum(wi * c[1].t for wi, c in zip(w, copies, strict=True)))
        losses.append(total / count)
    np.testing.assert_allclose(h.train_loss, losses, rtol=1e-10)
    np.testing.assert_allclose(got.params, want.params, rtol=1e-9, atol=1e-12)


def _copy_state(state):
    from neuronless.optimizers import State

    return State(t=state.t, arrays={k: v.copy() for k, v in state.arrays.items()},
                 scalars=dict(state.scalars))


@pytest.mark.parametrize("mode", ["average", "sync"])
def test_both_modes_learn_about_as_well_as_training_in_memory(client, mode):
    X, Y = _data(m=2000, seed=5)
    here, there = _net(seed=2), _net(seed=2)
    nl.fit(here, X, Y, optimizer=Adam(0.01), epochs=15, batch_size=32, seed=0)
    h = fit_data_parallel(there, X, Y, optimizer=Adam(0.01), epochs=15, batch_size=32,
                          client=client, partitions=4, mode=mode)

    def accuracy(net):
        return float(np.mean(net.forward(X).argmax(1) == Y.argmax(1)))

    assert accuracy(here) > 0.9
    if mode == "sync":  # as many steps of the same size as in memory, other batches
        assert accuracy(there) > accuracy(here) - 0.02
    else:  # two copies each take half the steps per epoch; averaging costs some progress
        assert accuracy(there) > 0.85
    assert h.train_loss[-1] < 0.5 * h.train_loss[0]
    assert h.stopped_reason == "epochs"


def test_errors_are_one_clear_message(client):
    X, Y = _data(m=40)
    with pytest.raises(ConfigError, match="mode must be one of"):
        fit_data_parallel(_net(), X, Y, client=client, mode="ring")
    with pytest.raises(ConfigError, match="rounds must be a positive integer"):
        fit_data_parallel(_net(), X, Y, client=client, rounds=0)
    with pytest.raises(nl.ShapeError, match="columns"):
        fit_data_parallel(_net(), X[:, :3], Y, client=client)


@pytest.mark.parametrize("mode", ["average", "sync"])
def test_a_worker_killed_mid_training_does_not_change_the_result(mode):
    """kill -9 of a worker process: its partitions are recomputed from the dask.array's
    graph, the lost round or step runs again, and the run ends bit for bit where an
    undisturbed one ends (the copies of "average" are fixed when training starts)."""
    import os
    import signal

    X, Y = _data(m=600, seed=8)
    Xd, Yd = da.from_array(X, chunks=(100, 4)), da.from_array(Y, chunks=(100, 3))
    kw = dict(optimizer=Adam(0.01), epochs=6, batch_size=32, seed=2, mode=mode)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address="127.0.0.1:0", host="127.0.0.1") as cluster, \
            Client(cluster) as c:
        calm = _net(seed=4)
        fit_data_parallel(calm, Xd, Yd, client=c, **kw)
        pids = list(c.run(os.getpid).values())
        killed = []

        def kill_one(epoch, loss):
            if epoch == 2:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(epoch)

        hit = _net(seed=4)
        history = fit_data_parallel(hit, Xd, Yd, client=c, callback=kill_one, **kw)
    assert killed == [2]
    assert len(history.train_loss) == 6
    np.testing.assert_array_equal(hit.params, calm.params)


@pytest.mark.parametrize("how", ["streamed", "average", "sync"])
def test_a_run_stopped_and_resumed_from_its_checkpoint_ends_where_an_undisturbed_one_does(
        client, tmp_path, how):
    from neuronless.dask import fit_streamed

    X, Y = _data(m=500, seed=9)
    Xd, Yd = da.from_array(X, chunks=(100, 4)), da.from_array(Y, chunks=(100, 3))

    def run(net, epochs=6, **kw):
        common = dict(optimizer=Adam(0.01), batch_size=32, seed=5, client=client)
        if how == "streamed":
            return fit_streamed(net, Xd, Yd, epochs=epochs, **common, **kw)
        return fit_data_parallel(net, Xd, Yd, mode=how, epochs=epochs, **common, **kw)

    calm = _net(seed=7)
    whole = run(calm)
    ckpt = tmp_path / "run.ckpt"
    first = _net(seed=7)  # an interrupted run: its last checkpoint holds epoch 3
    run(first, epochs=3, checkpoint=ckpt, checkpoint_every=2)
    assert nl.files.checkpoint.read_checkpoint(ckpt).epochs_done == 3
    resumed = _net(seed=0)  # the parameters come from the checkpoint
    h = run(resumed, checkpoint=ckpt, resume=ckpt)
    np.testing.assert_array_equal(resumed.params, calm.params)
    assert h.train_loss == whole.train_loss
    with pytest.raises(ConfigError, match="cannot resume"):
        run(_net(), resume=ckpt, l2=1.0)


def test_more_rounds_than_rows_and_tiny_partitions_still_train(client):
    X, Y = _data(m=12, seed=1)
    net = _net()
    before = net.params.copy()
    h = fit_data_parallel(net, X, Y, optimizer=Adam(0.01), epochs=2, batch_size=4,
                          client=client, partitions=6, mode="average", rounds=4)
    assert len(h.train_loss) == 2
    assert np.isfinite(h.train_loss).all()
    assert not np.array_equal(net.params, before)
    assert np.isfinite(net.params).all()


def test_resuming_a_finished_run_adds_nothing_and_bad_settings_are_clear_errors(client,
                                                                                 tmp_path):
    from neuronless.dask import fit_streamed

    X, Y = _data(m=200, seed=2)
    ckpt = tmp_path / "done.ckpt"
    net = _net()
    fit_data_parallel(net, X, Y, optimizer=Adam(0.01), epochs=5, batch_size=32, client=client,
                      partitions=4, checkpoint=ckpt, callback=lambda e, loss: e == 1)
    stopped = net.params.copy()
    again = _net(seed=9)
    h = fit_data_parallel(again, X, Y, optimizer=Adam(0.01), epochs=5, batch_size=32,
                          client=client, partitions=4, resume=ckpt)
    np.testing.assert_array_equal(again.params, stopped)  # stopped for good: nothing added
    assert len(h.train_loss) == 2
    assert h.stopped_reason == "callback"
    with pytest.raises(ConfigError, match="epochs must be at least 2"):
        fit_data_parallel(_net(), X, Y, optimizer=Adam(0.01), epochs=1, batch_size=32,
                          client=client, partitions=4, resume=ckpt)
    with pytest.raises(ConfigError, match="cannot resume"):  # other partitions, other rows
        fit_data_parallel(_net(), X, Y, optimizer=Adam(0.01), epochs=5, batch_size=32,
                          client=client, partitions=5, resume=ckpt)
    with pytest.raises(ConfigError, match="seed must be an integer"):
        fit_data_parallel(_net(), X, Y, client=client, seed=None)
    with pytest.raises(ConfigError, match="seed must be an integer"):
        fit_streamed(_net(), X, Y, client=client, seed=np.random.default_rng(0))
    bad = Y * 2  # not probabilities: cross-entropy's target check, as in memory
    with pytest.raises(ConfigError, match="must be probability distributions"):
        fit_data_parallel(_net(), X, bad, client=client, epochs=1)
    with pytest.raises(ConfigError, match="must be probability distributions"):
        fit_streamed(_net(), X, bad, client=client, epochs=1)
