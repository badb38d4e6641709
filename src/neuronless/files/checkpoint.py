"""Training checkpoints: a ``.nless`` file that also holds what :func:`~neuronless.fit` needs
to resume bit-identically.

Contract: :func:`write_checkpoint` saves a :class:`Checkpoint` atomically (the weights, the
optimizer state, the shuffling generator's state, the epoch count, the history so far, the
early-stopping bookkeeping and the fit arguments a resume must match); :func:`read_checkpoint`
reads it back, checking every field: bad content raises
:class:`~neuronless.errors.ModelFormatError` and nothing else. ``neuronless.load`` of a
checkpoint returns its network. Floats that must survive bit for bit, or may be infinite,
are stored as ``float.hex`` strings; docs/file-format.md describes the fields.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np
from numpy.typing import NDArray

from ..errors import ModelFormatError
from ..network import Network
from ..optimizers import State
from .nless import PathLike, read_nless, write_nless

Array = NDArray[Any]
_Fail = Callable[[str], NoReturn]
KIND = "fit"
_HISTORY_FLOATS = ("train_loss", "val_loss", "learning_rate", "time")
_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


@dataclass
class Checkpoint:
    """Everything a resumed :func:`~neuronless.fit` continues from.

    ``fit_args`` (JSON-safe) holds the loss name, optimizer class and hyper-parameters,
    batch size, l2 and shuffle flag; ``history`` is :class:`~neuronless.History` as a dict
    (``epoch``, ``train_loss``, ``val_loss``, ``val_metrics``, ``learning_rate``, ``time``,
    ``stopped_reason``, ``best_epoch``); ``finished`` marks a run that stopped for good
    (early stopping, target loss, non-finite loss).
    """

    net: Network
    epochs_done: int
    fit_args: dict[str, Any]
    state: State
    rng_state: dict[str, Any]
    history: dict[str, Any]
    finished: bool = False
    best: float = math.inf
    since_best: int = 0
    best_params: Array | None = None


def write_checkpoint(path: PathLike, ckpt: Checkpoint) -> None:
    """Write ``ckpt`` to ``path`` atomically (as :func:`neuronless.save` does)."""
    history = dict(ckpt.history)
    for key in _HISTORY_FLOATS:
        history[key] = [_hex(x) for x in history[key]]
    history["val_metrics"] = {k: [_hex(x) for x in v] for k, v in history["val_metrics"].items()}
    header = {
        "kind": KIND,
        "epochs_done": ckpt.epochs_done,
        "finished": ckpt.finished,
        "fit": ckpt.fit_args,
        "optimizer_state": {
            "t": ckpt.state.t,
            "arrays": sorted(ckpt.state.arrays),
            "scalars": {k: _hex(v) for k, v in ckpt.state.scalars.items()},
        },
        "rng": ckpt.rng_state,
        "history": history,
        "early_stopping": {"best": _hex(ckpt.best), "since_best": ckpt.since_best},
    }
    extra = [(f"state.{k}", a) for k, a in sorted(ckpt.state.arrays.items())]
    if ckpt.best_params is not None:
        extra.append(("best_params", ckpt.best_params))
    write_nless(ckpt.net, path, checkpoint=header, extra=extra)


def read_checkpoint(path: PathLike) -> Checkpoint:
    """Read a checkpoint written by :func:`write_checkpoint`.

    Raises
    ------
    ModelFormatError
        If the file is not a valid ``.nless`` file, is a plain model file (no checkpoint), or
        any checkpoint field is missing or of the wrong type.
    OSError
        If the file cannot be read (``FileNotFoundError`` if it does not exist).
    """
    name = os.fspath(path)
    net, _, header, arrays = read_nless(name, extras=True)

    def bad(message: str) -> NoReturn:
        raise ModelFormatError(
            f"{name}: {message}. The checkpoint is damaged or was not written by neuronless.fit; "
            "start training again without resume."
        )

    if header is None:
        bad("this is a model file, not a training checkpoint (no 'checkpoint' header field)")
    _keys(header, {"kind", "epochs_done", "finished", "fit", "optimizer_state", "rng",
                   "history", "early_stopping"}, "checkpoint", bad)
    if header["kind"] != KIND:
        bad(f"'checkpoint.kind' must be {KIND!r}; got {header['kind']!r}")
    epochs_done = _count(header["epochs_done"], "checkpoint.epochs_done", bad)
    finished = header["finished"]
    if not isinstance(finished, bool):
        bad("'checkpoint.finished' must be true or false")
    fit_args = header["fit"]
    # "cluster": the settings of a run on a Dask cluster (neuronless.dask), when it has its own
    cluster = {"cluster"} & set(fit_args) if isinstance(fit_args, dict) else set()
    _keys(fit_args, {"loss", "optimizer", "hyperparameters", "batch_size", "l2", "shuffle",
                     *cluster}, "checkpoint.fit", bad)
    if cluster and not isinstance(fit_args["cluster"], dict):
        bad("'checkpoint.fit.cluster' must be a JSON object")

    opt = header["optimizer_state"]
    _keys(opt, {"t", "arrays", "scalars"}, "checkpoint.optimizer_state", bad)
    names = opt["arrays"]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        bad("'checkpoint.optimizer_state.arrays' must be a list of names")
    if sorted(f"state.{n}" for n in names) != sorted(k for k in arrays if k != "best_params"):
        bad("'checkpoint.optimizer_state.arrays' must name exactly the file's 'state.*' arrays")
    scalars = opt["scalars"]
    if not isinstance(scalars, dict):
        bad("'checkpoint.optimizer_state.scalars' must be a JSON object")
    state = State(
        t=_count(opt["t"], "checkpoint.optimizer_state.t", bad),
        arrays={n: arrays[f"state.{n}"] for n in names},
        scalars={k: _unhex(v, f"checkpoint.optimizer_state.scalars.{k}", bad) for k, v in scalars.items()},
    )

    rng = header["rng"]
    if not (isinstance(rng, dict) and rng.get("bit_generator") in _BIT_GENERATORS):
        bad(f"'checkpoint.rng' must be a bit generator state ({', '.join(_BIT_GENERATORS)})")
    try:  # the bit generator itself checks the state's fields and types
        getattr(np.random, rng["bit_generator"])().state = rng
    except (TypeError, ValueError, KeyError, OverflowError) as e:
        bad(f"'checkpoint.rng' is not a valid {rng['bit_generator']} state ({e})")

    history = _history(header["history"], epochs_done, bad)
    stop = header["early_stopping"]
    _keys(stop, {"best", "since_best"}, "checkpoint.early_stopping", bad)
    best_params = arrays.get("best_params")
    return Checkpoint(
        net=net,
        epochs_done=epochs_done,
        fit_args=fit_args,
        state=state,
        rng_state=rng,
        history=history,
        finished=finished,
        best=_unhex(stop["best"], "checkpoint.early_stopping.best", bad),
        since_best=_count(stop["since_best"], "checkpoint.early_stopping.since_best", bad),
        best_params=best_params,
    )


def _history(h: Any, epochs_done: int, bad: _Fail) -> dict[str, Any]:
    _keys(h, {"epoch", *_HISTORY_FLOATS, "val_metrics", "stopped_reason", "best_epoch"},
          "checkpoint.history", bad)
    out: dict[str, Any] = {}
    epoch = h["epoch"]
    if not isinstance(epoch, list) or len(epoch) != epochs_done:
        bad(f"'checkpoint.history.epoch' must list {epochs_done} epochs")
    out["epoch"] = [_count(e, "checkpoint.history.epoch", bad) for e in epoch]
    lists = {k: h[k] for k in _HISTORY_FLOATS}
    metrics = h["val_metrics"]
    if not isinstance(metrics, dict):
        bad("'checkpoint.history.val_metrics' must be a JSON object")
    lists.update({f"val_metrics.{k}": v for k, v in metrics.items()})
    for key, values in lists.items():
        where = f"checkpoint.history.{key}"
        if not isinstance(values, list) or len(values) > epochs_done:
            bad(f"{where!r} must be a list of at most {epochs_done} numbers")
        out[key] = [_unhex(x, where, bad) for x in values]
    out["val_metrics"] = {k: out.pop(f"val_metrics.{k}") for k in metrics}
    if not isinstance(h["stopped_reason"], str):
        bad("'checkpoint.history.stopped_reason' must be a string")
    out["stopped_reason"] = h["stopped_reason"]
    best_epoch = h["best_epoch"]
    out["best_epoch"] = None if best_epoch is None else _count(best_epoch, "checkpoint.history.best_epoch", bad)
    return out


def _keys(d: Any, required: set[str], where: str, bad: _Fail) -> None:
    if not isinstance(d, dict) or set(d) != required:
        got = sorted(d) if isinstance(d, dict) else type(d).__name__
        bad(f"{where!r} must be a JSON object with the fields {sorted(required)}; got {got}")


def _count(x: Any, where: str, bad: _Fail) -> int:
    if type(x) is not int or not 0 <= x <= 2**62:
        bad(f"{where!r} must be an integer in [0, 2**62]; got {x!r}"[:300])
    return x


def _hex(x: float) -> str:
    return float(x).hex()  # exact, and 'inf'/'nan' need no JSON extension


def _unhex(x: Any, where: str, bad: _Fail) -> float:
    if isinstance(x, str) and len(x) <= 40:
        try:
            return float.fromhex(x)
        except (ValueError, OverflowError):
            pass
    bad(f"{where!r} must hold floats written by float.hex; got {x!r}"[:300])
