"""Faults on a real cluster: losing the scheduler or the client ends training with one clear
error and an intact checkpoint, and resuming from it ends where an undisturbed run ends.

The scheduler and the worker are separate processes (``dask scheduler``/``dask worker``),
so the test can kill the scheduler with SIGKILL as a crash would.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

pytest.importorskip("distributed")

from distributed import Client, LocalCluster

import neuronless as nl
from neuronless import ClusterError
from neuronless.dask import fit_full_batch


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    return X, np.eye(2)[(X[:, 0] * X[:, 1] > 0).astype(int)]


def _net():
    return nl.Network.create([3, 6, 2], "tanh", "softmax", seed=3, dtype=np.float64)


@pytest.fixture
def own_scheduler():
    """A scheduler and one worker in processes of their own; yields (address, scheduler)."""
    port = _free_port()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    sched = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host",
                              "127.0.0.1", "--port", str(port), "--dashboard-address",
                              "127.0.0.1:0"], **quiet)
    address = f"tcp://127.0.0.1:{port}"
    worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                               "--nthreads", "1", "--host", "127.0.0.1", "--dashboard-address",
                               "127.0.0.1:0"], **quiet)
    try:
        yield address, sched
    finally:
        for p in (worker, sched):
            p.kill()
            p.wait(timeout=30)


def _undisturbed(epochs):
    X, Y = _data()
    net = _net()
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address="127.0.0.1:0", host="127.0.0.1") as cluster, \
            Client(cluster) as client:
        fit_full_batch(net, X, Y, epochs=epochs, loss="cross_entropy", client=client)
    return net.params.copy()


def test_losing_the_scheduler_is_one_clear_error_and_the_checkpoint_resumes(own_scheduler,
                                                                            tmp_path):
    address, sched = own_scheduler
    X, Y = _data()
    ckpt = tmp_path / "run.ckpt"
    deadline = time.time() + 60
    client = None
    while client is None:
        try:
            client = Client(address, timeout=5)
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.5)
    client.wait_for_workers(1, timeout=60)

    def crash(epoch, loss):
        if epoch == 6:  # after epoch 7's step; the checkpoint holds epoch 6
            os.kill(sched.pid, signal.SIGKILL)

    net = _net()
    with pytest.raises(ClusterError, match=r"lost the Dask scheduler.*Training stopped at "
                                           r"epoch 7; the last checkpoint, .*run.ckpt, holds "
                                           r"epoch 6: .*resume="):
        fit_full_batch(net, X, Y, epochs=20, loss="cross_entropy", client=client,
                       callback=crash, checkpoint=ckpt, checkpoint_every=3)
    client.close()
    saved = nl.files.checkpoint.read_checkpoint(ckpt)  # intact, readable
    assert saved.epochs_done == 6
    assert len(saved.history["train_loss"]) == 6
    # resumed on a new cluster, the run ends where an undisturbed run ends
    net = _net()
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address="127.0.0.1:0", host="127.0.0.1") as cluster, \
            Client(cluster) as fresh:
        history = fit_full_batch(net, X, Y, epochs=20, loss="cross_entropy", client=fresh,
                                 resume=ckpt, checkpoint=ckpt)
    assert len(history.train_loss) == 20
    np.testing.assert_array_equal(net.params, _undisturbed(20))
    with pytest.raises(nl.ConfigError, match=r"cannot resume from .*another run"):
        with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                          dashboard_address="127.0.0.1:0", host="127.0.0.1") as cluster, \
                Client(cluster) as fresh:
            fit_full_batch(_net(), X, Y, epochs=20, loss="mse", client=fresh, resume=ckpt)


def test_losing_the_client_is_one_clear_error(tmp_path):
    X, Y = _data()
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address="127.0.0.1:0", host="127.0.0.1") as cluster:
        client = Client(cluster)

        def hang_up(epoch, loss):
            if epoch == 2:
                client.close()

        with pytest.raises(ClusterError, match=r"lost the Dask scheduler: the client is "
                                               r"'closed'.*no checkpoint was written"):
            fit_full_batch(_net(), X, Y, epochs=10, loss="cross_entropy", client=client,
                           callback=hang_up)


@pytest.mark.parametrize("how", ["streamed", "average", "sync"])
def test_losing_the_client_in_mini_batch_training_names_the_checkpoint(tmp_path, how):
    from neuronless.dask import fit_data_parallel, fit_streamed

    X, Y = _data()
    ckpt = tmp_path / "run.ckpt"
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address="127.0.0.1:0", host="127.0.0.1") as cluster:
        client = Client(cluster)

        def hang_up(epoch, loss):
            if epoch == 2:
                client.close()

        kw = dict(optimizer="adam", epochs=10, batch_size=32, client=client, callback=hang_up,
                  checkpoint=ckpt, checkpoint_every=1)
        if how != "streamed":
            kw["mode"] = how
        train = fit_streamed if how == "streamed" else fit_data_parallel
        with pytest.raises(ClusterError, match=r"lost the Dask scheduler.*Training stopped at "
                                               r"epoch 3; the last checkpoint, .*run.ckpt, "
                                               r"holds epoch 3"):
            train(_net(), X, Y, **kw)
    assert nl.files.checkpoint.read_checkpoint(ckpt).epochs_done == 3
