"""Data-parallel mini-batch training on a Dask cluster: every worker computes, each on its
own rows.

Contract: :func:`fit_data_parallel` trains ``net`` in place with a mini-batch step rule
(Adam, SGD, momentum, ...) on rows that stay partitioned on the workers, in one of two ways:

- ``mode="average"`` (local steps, periodic averaging): with N workers when training
  starts, copy g of the network and of the step rule's state trains on partitions g, g + N,
  g + 2N, ... (moved to the g-th worker once, if they are elsewhere), passing from
  partition to partition in a seeded order and taking mini-batch steps on ``1/rounds`` of
  each partition's rows (seeded shuffle); then the driver averages the copies' parameters and state arrays, weighted by the rows each
  trained on, and the next round starts from the average. One round trip per round: the
  workers compute all the time, in parallel. The result depends on N, not on where the
  rows are; a worker lost later moves work elsewhere without changing it.
- ``mode="sync"`` (synchronous large batches): each step's batch of about ``batch_size``
  rows is drawn from every partition in proportion to its rows (seeded shuffle); the
  workers return the summed cost and gradient of their share, the driver adds them in
  partition order and takes one step. The same steps as one process taking them on the
  same batches (float64 to rounding), but one round trip per step.

docs/dask.md says which to use and why, with the measurements of
benchmarks/dask_bench.py on MNIST; :func:`neuronless.dask.stream.fit_streamed` is the
third way (exact sequential steps, the rows streamed through the driver).
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..backprop import check_loss_targets, resolve_loss
from ..errors import ConfigError, DataError, TrainingDivergedError
from ..losses import Loss
from ..network import Network
from ..optimizers import State, get_optimizer, hyperparameters
from ..training import History, Trainer
from .objective import (
    Checkpoints,
    _block_sums,
    _client,
    _same,
    cluster_error,
    place,
    with_retries,
)

Array = NDArray[Any]
MODES = ("average", "sync")


def _check_seed(seed: Any) -> None:
    """The row orders are drawn from (seed, epoch, partition): an integer >= 0."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"seed must be an integer >= 0 (the row orders are drawn from seed, "
                          f"epoch and partition); got {seed!r}.")


def _rows(x: Any) -> int:
    return int(np.asarray(x).shape[0])


def _permutation(n: int, seed: int, epoch: int, part: int) -> Array:
    """The order partition ``part`` visits its ``n`` rows in during ``epoch``."""
    return np.random.default_rng([seed, epoch, part]).permutation(n)


def _local_steps(carry: tuple[Array, State, float, int], net: Network, optimizer: Any,
                 loss: Loss, l2: float, batch_size: int, backend: str, x: Any, y: Any,
                 seed: int, epoch: int, part: int, piece: int, rounds: int,
                 learning_rate: float | None) -> tuple[Array, State, float, int]:
    """On a worker: mini-batch steps of ``carry``'s (parameters, state) on piece ``piece``
    of ``rounds`` of the partition's shuffled rows; the carry with its loss and row sums."""
    params, state, loss_sum, rows = carry
    X = np.asarray(x, dtype=net.dtype)
    Y = np.asarray(y, dtype=net.dtype)
    if Y.ndim == 1:
        Y = Y.reshape(-1, 1)
    n = X.shape[0]
    order = _permutation(n, seed, epoch, part)[piece * n // rounds:(piece + 1) * n // rounds]
    if order.size == 0:
        return carry
    net = net.copy()
    net.params[...] = params
    # a copy: the starting state lives in the worker's memory, shared by the tasks there
    state = State(t=state.t, arrays={k: v.copy() for k, v in state.arrays.items()},
                  scalars=dict(state.scalars))
    trainer = Trainer(net, loss, optimizer, batch_size=batch_size, l2=l2, state=state,
                      backend=backend)
    with np.errstate(all="ignore"):
        value = trainer.epoch(X[order], Y[order], learning_rate)
    return net.params.copy(), trainer.state, loss_sum + value * order.size, rows + order.size


def _slice_sums(net: Network, params: Array, x: Any, y: Any, order: Array, a: int, b: int,
                loss: Loss) -> tuple[float, Array, int]:
    """On a worker: the summed cost and gradient of rows ``order[a:b]`` of a partition."""
    if b <= a:
        return 0.0, np.zeros(params.size), 0
    idx = order[a:b]
    return _block_sums(net, params, np.asarray(x)[idx], np.asarray(y)[idx], loss)


def _average(carries: list[tuple[Array, State, float, int]], like: State) -> tuple[Array,
                                                                                 State]:
    """The row-weighted mean of the copies' parameters and state (arrays, scalars, steps)."""
    weights = np.array([c[3] for c in carries], dtype=np.float64)
    weights /= weights.sum()
    params = sum(w * c[0].astype(np.float64) for w, c in zip(weights, carries, strict=True))
    state = State(t=round(sum(w * c[1].t for w, c in zip(weights, carries, strict=True))))
    for k, arr in like.arrays.items():
        mean = sum(w * c[1].arrays[k].astype(np.float64)
                   for w, c in zip(weights, carries, strict=True))
        state.arrays[k] = np.asarray(mean, dtype=arr.dtype)
    for k in like.scalars:
        state.scalars[k] = float(sum(w * c[1].scalars[k]
                                     for w, c in zip(weights, carries, strict=True)))
    return np.asarray(params), state


def fit_data_parallel(net: Network, X: Any, Y: Any, *, optimizer: Any = "adam",
                      epochs: int = 10, batch_size: int = 256, loss: str | Loss | None = None,
                      l2: float = 0.0, seed: int = 0, client: Any = None,
                      partitions: int | None = None,
                      schedule: Callable[[int], float] | None = None, mode: str = "average",
                      rounds: int = 1, backend: str = "auto",
                      callback: Callable[[int, float], Any] | None = None,
                      checkpoint: str | os.PathLike[str] | None = None,
                      checkpoint_every: int = 10,
                      resume: str | os.PathLike[str] | None = None) -> History:
    """Train ``net`` in place with a mini-batch step rule, data-parallel on a Dask cluster
    (see the module docstring for ``mode``).

    Parameters
    ----------
    X, Y : dask arrays chunked along rows (kept on the workers), or NumPy arrays split into
        ``partitions`` blocks and scattered; a 1-D ``Y`` is one output
    optimizer, batch_size, loss, l2, backend : as for :class:`neuronless.training.Trainer`
        (``batch_size``: each copy's batch with "average", the whole step's with "sync")
    epochs : passes over all the rows
    seed : the row orders (a function of seed, epoch and partition)
    schedule : ``schedule(epoch) -> learning rate``
    rounds : averaging rounds per epoch ("average"): each round trains on ``1/rounds`` of
        every partition's rows
    callback : ``callback(epoch, loss)`` after each epoch; True stops training
    checkpoint, checkpoint_every, resume : as for
        :func:`~neuronless.dask.objective.fit_full_batch`: a resumed run ends where an
        uninterrupted one ends

    Returns the :class:`~neuronless.training.History`: each epoch's loss is the mean of its
    mini-batch losses weighted by their rows.
    """
    if mode not in MODES:
        raise ConfigError(f"mode must be one of {list(MODES)}; got {mode!r}.")
    for name, count in (("epochs", epochs), ("batch_size", batch_size), ("rounds", rounds)):
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ConfigError(f"{name} must be a positive integer; got {count!r}.")
    _check_seed(seed)
    cl = _client(client)
    loss_obj = resolve_loss(net, loss)
    opt = get_optimizer(optimizer)
    Trainer(net, loss_obj, opt, batch_size=batch_size, l2=l2, backend=backend)  # checks
    xs, ys, total = place(cl, net.n_inputs, X, Y, partitions)
    if total == 0:
        raise DataError("X has no rows; training needs at least one sample.")
    sizes = cl.gather([cl.submit(_rows, x, pure=False) for x in xs])
    cl.gather([cl.submit(check_loss_targets, loss_obj, y, pure=False) for y in ys])
    remote_net = cl.scatter(net, broadcast=True, hash=False)
    groups: list[list[int]] = []
    if mode == "average":
        groups, xs, ys = copies(cl, xs, ys)
    saves = Checkpoints(net, {
        "loss": loss_obj.name, "optimizer": type(opt).__name__,
        "hyperparameters": hyperparameters(opt) if dataclasses.is_dataclass(opt) else {},
        "batch_size": batch_size, "l2": l2, "shuffle": True,
        "cluster": {"mode": mode, "seed": seed, "rounds": rounds, "copies": len(groups),
                    "partitions": [int(n) for n in sizes]}},
        checkpoint, checkpoint_every, resume)
    state, done, history, _ = saves.load(opt.init(net.params), History(), epochs)
    if done >= epochs:  # resumed from the end of a run: nothing to add
        return history
    for epoch in range(done, epochs):
        lr = schedule(epoch) if schedule is not None else None
        try:
            if mode == "average":
                value = _average_epoch(cl, net, opt, state, loss_obj, l2, batch_size, backend,
                                       xs, ys, groups, seed, epoch, rounds, lr, remote_net)
            else:
                value = _sync_epoch(cl, net, opt, state, loss_obj, l2, batch_size, xs, ys,
                                    sizes, seed, epoch, lr, remote_net)
        except Exception as e:
            lost = cluster_error(cl, e)
            if lost is None:
                raise
            raise saves.lost(lost, epoch) from e
        if not math.isfinite(value):
            raise TrainingDivergedError(
                f"the loss became {value} in epoch {epoch}; scale the inputs, add l2 or lower "
                "the learning rate.")
        history.epoch.append(epoch)
        history.train_loss.append(value)
        history.learning_rate.append(lr if lr is not None
                                     else float(getattr(opt, "learning_rate", math.nan)))
        stop = callback is not None and callback(epoch, value) is True
        if stop:
            history.stopped_reason = "callback"
        saves.after(epoch + 1, epochs, state, history, stop)
        if stop:
            return history
    history.stopped_reason = "epochs"
    return history


def copies(client: Any, xs: list[Any], ys: list[Any]) -> tuple[list[list[int]], list[Any],
                                                                list[Any]]:
    """The copies of ``mode="average"``: with N workers, copy g trains on partitions g,
    g + N, g + 2N, ... (the result depends on N, not on where the scheduler put the rows);
    those partitions are moved to the g-th worker once, if they are elsewhere, so that
    each copy computes where its rows are."""
    from distributed import wait

    workers = sorted(client.scheduler_info().get("workers", {}))
    n = max(1, min(len(workers), len(xs)))
    groups = [list(range(g, len(xs), n)) for g in range(n)]
    if len(workers) > 1:
        where_x, where_y = client.who_has(xs), client.who_has(ys)
        for g, members in enumerate(groups):
            for p in members:
                if workers[g] not in where_x.get(xs[p].key, ()):
                    xs[p] = client.submit(_same, xs[p], workers=[workers[g]],
                                          allow_other_workers=True, pure=False)
                if workers[g] not in where_y.get(ys[p].key, ()):
                    ys[p] = client.submit(_same, ys[p], workers=[workers[g]],
                                          allow_other_workers=True, pure=False)
        wait(xs + ys)  # type: ignore[no-untyped-call]
    return groups, xs, ys


def _average_epoch(cl: Any, net: Network, opt: Any, state: State, loss: Loss, l2: float,
                   batch_size: int, backend: str, xs: list[Any], ys: list[Any],
                   groups: list[list[int]], seed: int, epoch: int, rounds: int,
                   lr: float | None, remote_net: Any) -> float:
    loss_sum, rows = 0.0, 0.0
    for piece in range(rounds):
        def run(fresh: bool, piece: int = piece) -> list[tuple[Array, State, float, int]]:
            start = cl.scatter((net.params.copy(), state, 0.0, 0), hash=False)
            ends = []
            for g, members in enumerate(groups):
                carry = start
                order = np.random.default_rng([seed, epoch, g, 0]).permutation(len(members))
                for j in order:
                    p = members[j]
                    carry = cl.submit(_local_steps, carry, remote_net, opt, loss, l2,
                                      batch_size, backend, xs[p], ys[p], seed, epoch, p, piece,
                                      rounds, lr, pure=False)
                ends.append(carry)
            out: list[tuple[Array, State, float, int]] = cl.gather(ends)
            return out

        carries = with_retries(cl, run)
        carries = [c for c in carries if c[3] > 0]
        if not carries:  # more rounds than a partition has rows: this round had none
            continue
        params, averaged = _average(carries, state)
        net.params[...] = params
        state.t, state.arrays, state.scalars = averaged.t, averaged.arrays, averaged.scalars
        loss_sum += sum(c[2] for c in carries)
        rows += sum(c[3] for c in carries)
    return loss_sum / rows


def _sync_epoch(cl: Any, net: Network, opt: Any, state: State, loss: Loss, l2: float,
                batch_size: int, xs: list[Any], ys: list[Any], sizes: list[int], seed: int,
                epoch: int, lr: float | None, remote_net: Any) -> float:
    total = sum(sizes)
    steps = math.ceil(total / batch_size)
    orders = [cl.submit(_permutation, n, seed, epoch, p, pure=False)
              for p, n in enumerate(sizes)]
    loss_sum, rows = 0.0, 0.0
    for s in range(steps):
        def run(fresh: bool, s: int = s) -> list[tuple[float, Array, int]]:
            p = cl.scatter(np.asarray(net.params, dtype=net.dtype), hash=False)
            futures = [cl.submit(_slice_sums, remote_net, p, x, y, order, s * n // steps,
                                 (s + 1) * n // steps, loss, pure=False)
                       for x, y, order, n in zip(xs, ys, orders, sizes, strict=True)]
            out: list[tuple[float, Array, int]] = cl.gather(futures)
            return out

        parts = with_retries(cl, run)
        m = sum(part[2] for part in parts)
        if m == 0:
            continue
        value, grads = 0.0, np.zeros(net.params.size)
        for v, g, _ in parts:  # in partition order
            value += v
            grads += g
        value /= m
        grads /= m
        if l2:
            w = net.params.astype(np.float64) * net.regularized
            value += l2 / (2 * m) * float(np.vdot(w, w))
            grads += (l2 / m) * w
        if math.isfinite(value):
            opt.step(net.params, grads.astype(net.dtype), state, learning_rate=lr, loss=value)
        loss_sum += value * m
        rows += m
    return loss_sum / rows


__all__ = ["MODES", "copies", "fit_data_parallel"]
