"""Training on a Dask cluster: exact data-parallel full-batch epochs.

Contract: :class:`DaskObjective` is the whole-batch cost of rows that stay partitioned on the
workers of a ``distributed.Client``: ``objective(params) -> (loss, grads)``, the same numbers
:func:`neuronless.loss_and_grads` gives on all the rows in memory (the partitions' sums are
added in partition order, so only the order of the sums differs). Each call sends the
current parameters out once (``scatter``, one small array), every partition's worker returns
its summed cost and gradient, and the driver adds them. :func:`fit_full_batch` trains with a
full-batch step rule (iRprop+, iRprop-, Quickprop or gradient descent) epoch after epoch on
it, as :class:`neuronless.training.Trainer` with ``batch_size=None`` does in memory.

The data: NumPy arrays (split into ``partitions`` row blocks and scattered) or ``dask.array``
collections chunked along rows (each row chunk stays where the cluster computes it; the
columns are joined into one chunk). The network goes to the workers once, pickled
(activations by name, see :mod:`neuronless.network`).

This module is the Dask shell: it imports ``dask`` and ``distributed`` (the ``dask`` extra);
nothing else in neuronless imports it.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import os
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..backprop import Backprop, check_loss_targets, resolve_loss
from ..errors import (
    ClusterError,
    ConfigError,
    DataError,
    NeuronlessError,
    ShapeError,
    TrainingDivergedError,
)
from ..losses import Loss
from ..network import Network
from ..optimizers import State, get_optimizer, hyperparameters
from ..training import History

Array = NDArray[Any]
#: how often an evaluation that lost a worker is run again before training stops
RETRIES = 3


def _client(client: Any) -> Any:
    from distributed import Client, default_client

    if client is None:
        try:
            return default_client()  # type: ignore[no-untyped-call]
        except ValueError:
            raise ConfigError(
                "no Dask client: start one (distributed.Client(...) or "
                "distributed.LocalCluster()) or pass client=."
            ) from None
    if not isinstance(client, Client):
        raise ConfigError(f"client must be a distributed.Client; got {type(client).__name__}.")
    return client


def _block_sums(net: Network, params: Array, X: Any, Y: Any, loss: Loss) -> tuple[float, Array,
                                                                                  int]:
    """On a worker: the summed cost and gradient of one partition (no L2: the driver adds
    it once), and its row count."""
    X = np.asarray(X, dtype=net.dtype)
    Y = np.asarray(Y, dtype=net.dtype)
    if Y.ndim == 1:
        Y = Y.reshape(-1, 1)
    m = X.shape[0]
    if m == 0:
        return 0.0, np.zeros(params.size), 0
    net.params[...] = params
    bp = _backprop(net, m, loss)
    with np.errstate(over="ignore", under="ignore"):
        value = bp(X, Y)
    grads = bp.grads.astype(np.float64)
    grads *= m
    return value * m, grads, m


def _block_loss(net: Network, params: Array, X: Any, Y: Any, loss: Loss) -> tuple[float, int]:
    """On a worker: one partition's summed cost (forward pass only) and row count."""
    X = np.asarray(X, dtype=net.dtype)
    Y = np.asarray(Y, dtype=net.dtype).reshape(len(X), -1)
    if len(X) == 0:
        return 0.0, 0
    net.params[...] = params
    with np.errstate(over="ignore", under="ignore"):
        return loss.value(net.forward(X), Y) * len(X), len(X)


#: on a worker: each thread's Backprop buffers of its last two (network, rows, loss), reused
#: epoch after epoch instead of allocated each time (partitions mostly share one size; a
#: worker's threads run tasks side by side, so each thread has its own)
_BUFFERS = threading.local()


def _backprop(net: Network, m: int, loss: Loss) -> Backprop:
    cache: dict[tuple[int, int, str], Backprop] = getattr(_BUFFERS, "cache", None) or {}
    _BUFFERS.cache = cache
    key = (id(net), m, loss.name)
    bp = cache.pop(key, None)
    if bp is None or bp.net is not net or bp.loss != loss:  # losses are frozen dataclasses
        bp = Backprop(net, m, loss, 0.0)
    cache[key] = bp  # the newest last
    while len(cache) > 2:
        del cache[next(iter(cache))]
    return bp


def with_retries(client: Any, run: Callable[[bool], Any]) -> Any:
    """``run(fresh)`` (``fresh``: a retry, send what lived on workers again), run again up to
    ``RETRIES`` times when the cluster loses work; losing the scheduler is a ClusterError."""
    from distributed.client import FutureCancelledError

    for attempt in range(RETRIES + 1):
        try:
            return run(attempt > 0)
        except NeuronlessError:
            raise
        except Exception as e:
            if client.status != "running":  # the scheduler (or our link to it) is gone
                raise ClusterError(
                    f"lost the Dask scheduler: the client is {client.status!r} "
                    f"({type(e).__name__}: {e}).") from e
            if type(e).__name__ == "KilledWorker":  # the scheduler gave up on a task
                raise ClusterError(
                    f"a task's workers died one after another ({e}); the usual cause is a "
                    "partition too big for a worker's memory: use smaller partitions or "
                    "workers with more memory.") from e
            if not isinstance(e, (FutureCancelledError, OSError)):
                raise
            if attempt == RETRIES:
                raise DataError(
                    f"the cluster lost work {RETRIES + 1} times in a row ({e}); check the "
                    "workers (their memory limits, their logs) and run again from the last "
                    "checkpoint.") from e
    raise AssertionError("unreachable")


def blocks(client: Any, n_inputs: int, X: Any, Y: Any,
           partitions: int | None = None) -> tuple[list[Any], list[Any], list[int]]:
    """Rows ``X``, ``Y`` as lists of Dask tasks, one per row block, and the blocks' row
    counts: a dask.array's row chunks as delayed objects (columns joined; nothing computed),
    NumPy arrays cut into ``partitions`` blocks (default twice the workers) and scattered.
    ``X`` must have ``n_inputs`` columns."""
    import dask.array as da

    if isinstance(X, da.Array) or isinstance(Y, da.Array):
        Xd = X if isinstance(X, da.Array) else da.from_array(np.asarray(X))  # type: ignore[no-untyped-call]
        Yd = Y if isinstance(Y, da.Array) else da.from_array(np.asarray(Y))  # type: ignore[no-untyped-call]
        if Yd.ndim == 1:
            Yd = Yd.reshape(-1, 1)
        if Xd.ndim != 2 or Yd.ndim != 2:
            raise ShapeError(f"X must be 2-D and Y 1-D or 2-D; got {Xd.shape} and {Yd.shape}.")
        if any(math.isnan(c) for c in Xd.shape) or any(math.isnan(c) for c in Yd.shape):
            Xd, Yd = Xd.compute_chunk_sizes(), Yd.compute_chunk_sizes()
        if Xd.shape[0] != Yd.shape[0]:
            raise ShapeError(f"X and Y need the same number of rows; got {Xd.shape[0]} "
                             f"and {Yd.shape[0]}.")
        n_cols = int(Xd.shape[1])
        Xd = Xd.rechunk({1: -1})
        Yd = Yd.rechunk({0: Xd.chunks[0], 1: -1})
        xs, ys = list(Xd.to_delayed().ravel()), list(Yd.to_delayed().ravel())
        sizes = [int(n) for n in Xd.chunks[0]]
    else:
        Xa, Ya = np.asarray(X), np.asarray(Y)
        if Ya.ndim == 1:
            Ya = Ya.reshape(-1, 1)
        if Xa.ndim != 2 or Ya.ndim != 2 or len(Xa) != len(Ya):
            raise ShapeError(f"X must be (m, n_in) and Y (m, n_out) with the same rows; got "
                             f"{Xa.shape} and {Ya.shape}.")
        n_cols = Xa.shape[1]
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        k = max(1, min(len(Xa), 2 * n_workers if partitions is None else int(partitions)))
        cuts = np.linspace(0, len(Xa), k + 1).astype(int)
        xs = list(client.scatter([Xa[a:b] for a, b in itertools.pairwise(cuts)], hash=False))
        ys = list(client.scatter([Ya[a:b] for a, b in itertools.pairwise(cuts)], hash=False))
        sizes = [int(b - a) for a, b in itertools.pairwise(cuts)]
    if n_inputs != n_cols:
        raise ShapeError(f"X has {n_cols} columns; the network takes {n_inputs} inputs.")
    return xs, ys, sizes


def place(client: Any, n_inputs: int, X: Any, Y: Any,
          partitions: int | None = None) -> tuple[list[Any], list[Any], int]:
    """:func:`blocks` kept on the workers: a dask.array's chunks computed where the
    cluster computes them, then spread evenly (:func:`balance`); and the row count."""
    from distributed import Future

    xs, ys, sizes = blocks(client, n_inputs, X, Y, partitions)
    if xs and not isinstance(xs[0], Future):  # a dask.array's delayed chunks
        xs, ys = list(client.compute(xs)), list(client.compute(ys))
    xs, ys = balance(client, xs, ys)
    return xs, ys, sum(sizes)


def _same(x: Any) -> Any:
    return x


def balance(client: Any, xs: list[Any], ys: list[Any]) -> tuple[list[Any], list[Any]]:
    """The row blocks (futures) spread evenly over the workers, each ``ys[i]`` beside its
    ``xs[i]``: blocks beyond ``ceil(blocks / workers)`` on one worker move, once, to the
    least loaded ones. Every epoch then has the same work on every worker (where the
    scheduler computed a dask.array's chunks is its own choice, and an epoch lasts as long
    as its busiest worker). Results do not depend on placement: the sums are added in
    block order."""
    from distributed import wait

    wait(xs + ys)  # type: ignore[no-untyped-call]
    workers = sorted(client.scheduler_info().get("workers", {}))
    if len(workers) < 2:
        return xs, ys
    cap = math.ceil(len(xs) / len(workers))
    load = dict.fromkeys(workers, 0)
    where_x, where_y = client.who_has(xs), client.who_has(ys)
    stay: list[str | None] = []
    for x in xs:
        holders = [w for w in sorted(where_x.get(x.key, ())) if w in load]
        home = next((w for w in holders if load[w] < cap), None)
        if home is not None:
            load[home] += 1
        stay.append(home)
    for i, home in enumerate(stay):
        if home is None:  # on a crowded (or unknown) worker: to the least loaded one
            home = min(workers, key=lambda w: (load[w], w))
            load[home] += 1
            xs[i] = client.submit(_same, xs[i], workers=[home], allow_other_workers=True,
                                  pure=False)
        if home not in where_y.get(ys[i].key, ()):
            ys[i] = client.submit(_same, ys[i], workers=[home], allow_other_workers=True,
                                  pure=False)
    wait(xs + ys)  # type: ignore[no-untyped-call]
    return xs, ys


def placement(client: Any, xs: list[Any]) -> dict[str, int]:
    """How many of the blocks ``xs`` each worker holds."""
    counts: dict[str, int] = {}
    for holders in client.who_has(xs).values():
        for w in sorted(holders)[:1]:
            counts[w] = counts.get(w, 0) + 1
    return counts


class DaskObjective:
    """The whole-batch cost of ``(X, Y)`` held by a Dask cluster, as a function of the
    parameters (see the module docstring).

    Parameters
    ----------
    net : Network
        Its architecture, dtype and mask; its parameters are the starting point only (each
        call passes its own).
    X, Y : NumPy arrays or dask arrays, rows ``(m, n_in)`` and ``(m, n_out)`` (a 1-D ``Y`` is
        one output), chunked the same way along rows.
    loss, l2 : as in :func:`neuronless.loss_and_grads`.
    client : distributed.Client, default the current one.
    partitions : how many row blocks NumPy arrays are split into (default: twice the
        workers).
    """

    def __init__(self, net: Network, X: Any, Y: Any, *, loss: str | Loss | None = None,
                 l2: float = 0.0, client: Any = None, partitions: int | None = None):
        self.client = _client(client)
        self.net = net
        self.loss = resolve_loss(net, loss)
        if not (isinstance(l2, (int, float)) and math.isfinite(l2) and l2 >= 0):
            raise ConfigError(f"l2 must be a number >= 0; got {l2!r}.")
        self.l2 = float(l2)
        self._x, self._y, self.rows = place(self.client, net.n_inputs, X, Y, partitions)
        if self.rows == 0:
            raise DataError("X has no rows; a cost needs at least one sample.")
        self._net = self.client.scatter(net, broadcast=True, hash=False)
        self.evaluations = 0

    def __call__(self, params: Array) -> tuple[float, Array]:
        """The cost and its gradient (float64, ``params``' layout) at ``params``.

        If a worker dies during the call (its copy of the parameters or of the network goes
        with it), the evaluation is run again, up to ``RETRIES`` times: partitions of a
        ``dask.array`` are recomputed by the scheduler, the network and parameters sent
        again; the result does not depend on which worker computed what."""
        self.evaluations += 1
        parts = with_retries(self.client, lambda fresh: self._parts(params, fresh))
        return self._reduce(parts, params)

    def loss_at(self, params: Array) -> float:
        """The cost alone at ``params`` (forward passes only, no gradient; the L2 term
        added), as a validation loss needs it."""
        def run(fresh: bool) -> list[tuple[float, int]]:
            if fresh:
                self._net = self.client.scatter(self.net, broadcast=True, hash=False)
            p = self.client.scatter(np.asarray(params, dtype=self.net.dtype), hash=False)
            futures = [self.client.submit(_block_loss, self._net, p, x, y, self.loss,
                                          pure=False)
                       for x, y in zip(self._x, self._y, strict=True)]
            out: list[tuple[float, int]] = self.client.gather(futures)
            return out

        parts = with_retries(self.client, run)
        value = sum(v for v, _ in parts) / self.rows  # in partition order
        if self.l2:
            w = np.asarray(params, dtype=np.float64) * self.net.regularized
            value += self.l2 / (2 * self.rows) * float(np.vdot(w, w))
        return float(value)

    def _parts(self, params: Array, fresh: bool) -> list[tuple[float, Array, int]]:
        """Every partition's (summed cost, summed gradient, rows), in partition order."""
        if fresh:  # after a lost worker: the network again, on every worker alive now
            self._net = self.client.scatter(self.net, broadcast=True, hash=False)
        # one copy: each worker fetches it once (broadcast would wait on a worker that died)
        p = self.client.scatter(np.asarray(params, dtype=self.net.dtype), hash=False)
        futures = [self.client.submit(_block_sums, self._net, p, x, y, self.loss, pure=False)
                   for x, y in zip(self._x, self._y, strict=True)]
        parts: list[tuple[float, Array, int]] = self.client.gather(futures)
        return parts

    def _reduce(self, parts: list[tuple[float, Array, int]], params: Array) -> tuple[float,
                                                                                   Array]:
        total, grads = 0.0, np.zeros(np.asarray(params).size)
        for value, g, _ in parts:  # in partition order: the result does not depend on timing
            total += value
            grads += g
        m = float(self.rows)
        loss = total / m
        grads /= m
        if self.l2:
            w = np.asarray(params, dtype=np.float64) * self.net.regularized
            loss += self.l2 / (2 * m) * float(np.vdot(w, w))
            grads += (self.l2 / m) * w
        return loss, grads

    def check_targets(self) -> None:
        """Check the targets suit the loss (cross-entropy ranges, one-hot rows), partition by
        partition on the workers; raises the in-memory check's DataError."""
        self.client.gather([self.client.submit(check_loss_targets, self.loss, y, pure=False)
                            for y in self._y])


class Checkpoints:
    """Checkpoints of a training run on a cluster, in :func:`neuronless.fit`'s format
    (atomic writes): ``path`` written every ``every`` epochs and at the end, ``resume`` read
    at the start. ``fit_args`` names the run's settings; a checkpoint resumes only a run with
    the same network architecture and settings."""

    def __init__(self, net: Network, fit_args: dict[str, Any],
                 path: str | os.PathLike[str] | None, every: int,
                 resume: str | os.PathLike[str] | None):
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ConfigError(f"checkpoint_every must be a positive integer; got {every!r}.")
        self.net, self.path, self.every, self.resume = net, path, every, resume
        self.fit_args = json.loads(json.dumps(fit_args, default=repr))
        self.saved_at = 0

    def load(self, state: State, history: History, epochs: int) -> tuple[
            State, int, History, dict[str, Any] | None]:
        """(state, epochs done, history, generator state) to continue from: the checkpoint's
        with ``resume=`` (the network gets its parameters), else the given ones. A
        checkpoint of a run that stopped for good (a callback, early stopping) continues
        nothing: the epochs done are then ``epochs``."""
        from ..files.checkpoint import read_checkpoint
        from ..training import _architecture

        if self.resume is None:
            return state, 0, history, None
        saved = read_checkpoint(self.resume)
        if _architecture(saved.net) != _architecture(self.net) or saved.fit_args != self.fit_args:
            raise ConfigError(
                f"cannot resume from {os.fspath(self.resume)}: it was saved by another run (its "
                f"network {saved.net.sizes} and settings {saved.fit_args}; this run: "
                f"{self.net.sizes} and {self.fit_args}). Resume with the same network, loss, "
                "optimizer and settings, or start without resume=.")
        if epochs < saved.epochs_done:
            raise ConfigError(
                f"epochs must be at least {saved.epochs_done}, the epochs already in "
                f"{os.fspath(self.resume)} (epochs counts them too: it is the total); got "
                f"{epochs}.")
        self.net.params[...] = saved.net.params
        self.saved_at = saved.epochs_done
        resumed = History(**{k: v for k, v in saved.history.items()
                             if k in History.__dataclass_fields__})
        done = epochs if saved.finished else saved.epochs_done
        return saved.state, done, resumed, saved.rng_state

    def after(self, done: int, epochs: int, state: State, history: History, stop: bool,
              rng_state: dict[str, Any] | None = None) -> None:
        """After epoch ``done``: write a checkpoint when one is due."""
        from ..files.checkpoint import Checkpoint, write_checkpoint

        if self.path is None or not (done % self.every == 0 or stop or done == epochs):
            return
        if rng_state is None:
            rng_state = dict(np.random.default_rng(0).bit_generator.state)
        write_checkpoint(self.path, Checkpoint(
            net=self.net, epochs_done=done, fit_args=self.fit_args, state=state,
            rng_state=rng_state, history=dataclasses.asdict(history), finished=stop))
        self.saved_at = done

    def lost(self, e: ClusterError, epoch: int) -> ClusterError:
        """The error that ends a run whose cluster is gone, naming the last checkpoint."""
        where = (f"the last checkpoint, {os.fspath(self.path)}, holds epoch {self.saved_at}: "
                 "start a cluster and run again with resume= that file"
                 if self.path is not None and self.saved_at > 0 else
                 "no checkpoint was written (pass checkpoint= to keep long runs)")
        return ClusterError(f"{e} Training stopped at epoch {epoch}; {where}.")


def cluster_error(client: Any, e: BaseException) -> ClusterError | None:
    """``e`` as a ClusterError when it means the scheduler (or the link to it) is gone."""
    if isinstance(e, ClusterError):
        return e
    if client.status != "running":
        return ClusterError(f"lost the Dask scheduler: the client is {client.status!r} "
                            f"({type(e).__name__}: {e}).")
    return None


def fit_full_batch(net: Network, X: Any, Y: Any, *, optimizer: Any = "irprop+",
                   epochs: int = 100, loss: str | Loss | None = None, l2: float = 0.0,
                   client: Any = None, partitions: int | None = None,
                   callback: Callable[[int, float], Any] | None = None,
                   checkpoint: str | os.PathLike[str] | None = None, checkpoint_every: int = 10,
                   resume: str | os.PathLike[str] | None = None) -> History:
    """Train ``net`` in place, full batch, on data held by a Dask cluster.

    Every epoch is one :class:`DaskObjective` evaluation and one step of ``optimizer`` (a
    name or an optimizer from :mod:`neuronless.optimizers`; iRprop+, iRprop-, Quickprop and
    gradient descent are the full-batch rules), exactly as a
    :class:`~neuronless.training.Trainer` with ``batch_size=None`` steps in memory: float64
    nets end at the same parameters to rounding. Returns the history of the loss before each
    step. ``callback(epoch, loss)`` runs after each step; returning True stops training.

    ``checkpoint``: save the network, the step rule's state and the history there
    (atomically, the format of :func:`neuronless.fit`'s checkpoints) every
    ``checkpoint_every`` epochs and at the end; ``resume``: continue from one up to
    ``epochs`` epochs in all, ending where an uninterrupted run ends.

    Faults: the sums are added in partition order whichever worker computed them, so a run
    is deterministic. Partitions of a ``dask.array`` are recomputed from its graph when a
    worker dies, and the network and parameters are on every worker, so a killed worker
    costs time, not the run, which ends at the same parameters. NumPy inputs are scattered
    once and live only on the worker that holds them: for fault tolerance pass a
    ``dask.array``. Losing the scheduler (or the client's connection to it) ends training
    with one :class:`~neuronless.errors.ClusterError` that names the last checkpoint.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ConfigError(f"epochs must be a positive integer; got {epochs!r}.")
    opt = get_optimizer(optimizer)
    objective = DaskObjective(net, X, Y, loss=loss, l2=l2, client=client, partitions=partitions)
    objective.check_targets()
    # what neuronless.fit records for a whole-batch run: the two resume each other's checkpoints
    saves = Checkpoints(net, {
        "loss": objective.loss.name, "optimizer": type(opt).__name__,
        "hyperparameters": hyperparameters(opt) if dataclasses.is_dataclass(opt) else {},
        "batch_size": None, "l2": objective.l2, "shuffle": True}, checkpoint,
        checkpoint_every, resume)
    state, done, history, _ = saves.load(opt.init(net.params), History(), epochs)
    if done >= epochs:  # resumed from the end of a run: nothing to add
        return history
    for epoch in range(done, epochs):
        try:
            value, grads = objective(net.params)
        except ClusterError as e:
            raise saves.lost(e, epoch) from e
        if not math.isfinite(value):
            raise TrainingDivergedError(
                f"the loss became {value} in epoch {epoch}; the network keeps the weights of "
                "the epoch before. Scale the inputs, add l2 or lower the learning rate.")
        history.epoch.append(epoch)
        history.train_loss.append(value)
        opt.step(net.params, grads.astype(net.dtype), state, loss=value)
        done = epoch + 1
        stop = callback is not None and callback(epoch, value) is True
        if stop:
            history.stopped_reason = "callback"
        saves.after(done, epochs, state, history, stop)
        if stop:
            return history
    history.stopped_reason = "epochs"
    return history


__all__ = ["Checkpoints", "DaskObjective", "balance", "blocks", "cluster_error", "fit_full_batch", "place", "placement", "with_retries"]
