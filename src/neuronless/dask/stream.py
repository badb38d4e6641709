"""Mini-batch training (Adam, SGD, momentum, ...) on data larger than memory, streamed.

Contract: :func:`fit_streamed` trains ``net`` in place with a step rule on rows held by a Dask
cluster without ever holding them all: each epoch visits the row partitions in a seeded
random order, brings one partition at a time to this process (the next one is computed and
fetched while the current one trains, so at most ``prefetch + 1`` partitions are here at
once), shuffles its rows with the same generator and takes the step rule's mini-batch steps
on them with :class:`neuronless.training.Trainer` (the in-memory machinery; the optimizer's
state carries across partitions and epochs). Partitions of a ``dask.array`` are recomputed
from their graph when a worker dies, so a lost worker costs time, not the run.

Steps are sequential, as on one machine: the cluster reads, decodes and prepares the rows in
parallel and keeps the data out of this process's memory; the arithmetic of the steps runs
here. A mini-batch never spans two partitions (a partition smaller than ``batch_size`` is
one short batch).
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from ..backprop import check_loss_targets
from ..errors import ConfigError, ShapeError, TrainingDivergedError
from ..losses import Loss
from ..network import Network
from ..optimizers import hyperparameters
from ..training import History, Trainer
from .objective import Checkpoints, _client, blocks, cluster_error


def _pair(x: Any, y: Any) -> tuple[Any, Any]:
    return np.asarray(x), np.asarray(y)


def fit_streamed(net: Network, X: Any, Y: Any, *, optimizer: Any = "adam", epochs: int = 10,
                 batch_size: int = 256, loss: str | Loss | None = None, l2: float = 0.0,
                 seed: int = 0, client: Any = None, partitions: int | None = None,
                 schedule: Callable[[int], float] | None = None, prefetch: int = 1,
                 shuffle: bool = True,
                 callback: Callable[[int, float], Any] | None = None,
                 checkpoint: str | os.PathLike[str] | None = None, checkpoint_every: int = 10,
                 resume: str | os.PathLike[str] | None = None) -> History:
    """Train ``net`` in place with a mini-batch step rule on rows held by a Dask cluster,
    streaming one partition at a time through this process (see the module docstring).

    Parameters
    ----------
    X, Y : dask arrays chunked along rows (or NumPy arrays, split into ``partitions`` blocks
        and scattered); a 1-D ``Y`` is one output
    optimizer, batch_size, loss, l2 : as for :class:`neuronless.training.Trainer`
    epochs : passes over all the rows
    seed : the order of the partitions and of the rows inside each (``shuffle=False``:
        partitions and rows in their stored order)
    schedule : ``schedule(epoch) -> learning rate`` (a :mod:`neuronless.schedules` schedule)
    prefetch : partitions computed and fetched ahead of the one training (0: none)
    callback : ``callback(epoch, loss)`` after each epoch; True stops training
    checkpoint, checkpoint_every, resume : as for
        :func:`~neuronless.dask.objective.fit_full_batch` (the generator's state is saved
        too: a resumed run takes the steps an uninterrupted one takes)

    Returns the :class:`~neuronless.training.History`: each epoch's loss is the mean of its
    mini-batch losses weighted by their rows, as :func:`neuronless.fit` reports it.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ConfigError(f"epochs must be a positive integer; got {epochs!r}.")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError(f"batch_size must be a positive integer (streamed mini-batches); got "
                          f"{batch_size!r}. Full-batch training on a cluster is "
                          "neuronless.dask.fit_full_batch.")
    if isinstance(prefetch, bool) or not isinstance(prefetch, int) or prefetch < 0:
        raise ConfigError(f"prefetch must be an integer >= 0; got {prefetch!r}.")
    from .parallel import _check_seed

    _check_seed(seed)
    cl = _client(client)
    xs, ys, sizes = blocks(cl, net.n_inputs, X, Y, partitions)
    import importlib

    delayed: Any = importlib.import_module("dask").delayed
    pairs = [delayed(_pair, pure=True)(x, y) for x, y in zip(xs, ys, strict=True)]
    trainer = Trainer(net, loss, optimizer, batch_size=batch_size, l2=l2)
    opt = trainer.optimizer
    saves = Checkpoints(net, {
        "loss": trainer.loss.name, "optimizer": type(opt).__name__,
        "hyperparameters": hyperparameters(opt) if dataclasses.is_dataclass(opt) else {},
        "batch_size": batch_size, "l2": l2, "shuffle": shuffle,
        "cluster": {"mode": "streamed", "seed": seed, "partitions": sizes}}, checkpoint,
        checkpoint_every, resume)
    rng = np.random.default_rng(seed)
    trainer.state, done, history, rng_state = saves.load(trainer.state, History(), epochs)
    if done >= epochs:  # resumed from the end of a run: nothing to add
        return history
    if rng_state is not None:
        rng.bit_generator.state = rng_state
    for epoch in range(done, epochs):
        try:
            value = _epoch(trainer, net, cl, pairs, rng, epoch, shuffle, schedule, prefetch,
                           check=epoch == done)
        except Exception as e:
            lost = cluster_error(cl, e)
            if lost is None:
                raise
            raise saves.lost(lost, epoch) from e
        lr = schedule(epoch) if schedule is not None else None
        history.epoch.append(epoch)
        history.train_loss.append(value)
        history.learning_rate.append(lr if lr is not None
                                     else float(getattr(trainer.optimizer, "learning_rate",
                                                        math.nan)))
        stop = callback is not None and callback(epoch, value) is True
        if stop:
            history.stopped_reason = "callback"
        saves.after(epoch + 1, epochs, trainer.state, history, stop,
                    dict(rng.bit_generator.state))
        if stop:
            return history
    history.stopped_reason = "epochs"
    return history


def _epoch(trainer: Trainer, net: Network, cl: Any, pairs: list[Any], rng: Any, epoch: int,
           shuffle: bool, schedule: Callable[[int], float] | None, prefetch: int,
           check: bool = False) -> float:
    """One streamed epoch: the partitions in a seeded order, each one's rows shuffled;
    the rows' mean loss. ``check``: check each partition's targets first (the in-memory
    checks' messages)."""
    order = rng.permutation(len(pairs)) if shuffle else np.arange(len(pairs))
    lr = schedule(epoch) if schedule is not None else None
    pending = [cl.compute(pairs[i]) for i in order[:prefetch + 1]]
    total, rows = 0.0, 0
    for j in range(len(order)):
        xb, yb = pending.pop(0).result()
        if j + prefetch + 1 < len(order):  # the next partition comes while this one trains
            pending.append(cl.compute(pairs[order[j + prefetch + 1]]))
        xb = np.asarray(xb, dtype=net.dtype)
        yb = np.asarray(yb, dtype=net.dtype)
        if len(xb) == 0:
            continue
        if check:
            check_loss_targets(trainer.loss, yb)
        if shuffle:
            perm = rng.permutation(len(xb))
            xb, yb = xb[perm], yb[perm]
        with np.errstate(all="ignore"):
            value = trainer.epoch(xb, yb, lr)
        if not math.isfinite(value):
            raise TrainingDivergedError(
                f"the loss became {value} in epoch {epoch}; scale the inputs, add l2 or "
                "lower the learning rate.")
        total += value * len(xb)
        rows += len(xb)
        del xb, yb
    if rows == 0:
        raise ShapeError("X has no rows; training needs at least one sample.")
    return total / rows


__all__ = ["fit_streamed"]
