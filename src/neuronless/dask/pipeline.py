"""The pipeline on a Dask collection: a table on a cluster in, a trained Model out.

Contract: :func:`train` takes what :func:`neuronless.pipeline.train` takes, except that the
table is a ``dask.dataframe`` (or Parquet/CSV paths and globs, read lazily with
``dask.dataframe``), or a ``dask.array`` of features with the targets as a second
``dask.array``. The preparation is fitted on the cluster's partitions by
:func:`neuronless.partitioned.prepare_parts` (the same rules and numbers as in memory), the
rows are encoded and scaled where they live, and training runs on the cluster:

- full-batch step rules (iRprop+, iRprop-, Quickprop, ``batch_size=None``):
  :func:`neuronless.dask.fit_full_batch`, exact;
- mini-batch rules (Adam, SGD, ...): :func:`neuronless.dask.stream.fit_streamed`, partitions
  streamed through the driver, never the whole array;
- L-BFGS/CG and FANN's batch algorithms: :mod:`neuronless.dask.whole_batch`.

The result is an ordinary :class:`~neuronless.model.Model` (saved, loaded and used as any
other); :func:`predict` runs one on a Dask collection partition by partition.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..errors import ConfigError, DataError
from ..model import Model
from ..partitioned import VALUES as _VALUES
from ..partitioned import (
    PartSpec,
    PreparedParts,
    Split,
    held_out,
    prepare_parts,
    score_parts,
    training_rows,
)
from ..pipeline import (
    Options,
    Recipe,
    _info,
    _loss,
    fann_history,
    fann_params,
    method_of,
    resolve_recipe,
    whole_batch_history,
)
from .objective import DaskObjective, _client

Log = Callable[[str, str], None]


def _dask() -> Any:
    """(dask.array, dask.dataframe, dask.delayed), typed loosely (Dask ships few hints)."""
    import importlib

    return (importlib.import_module("dask.array"), importlib.import_module("dask.dataframe"),
            importlib.import_module("dask").delayed)


# --------------------------------------------------------------------------- the data


def _is_path(data: Any) -> bool:
    return isinstance(data, str) or (hasattr(data, "__fspath__")) or (
        isinstance(data, (list, tuple)) and bool(data) and all(isinstance(d, str) for d in data))


def read(data: Any, *, na_values: Sequence[str] = ()) -> Any:
    """A lazy ``dask.dataframe`` of Parquet or CSV/TSV files: a path, a glob
    (``'data/part-*.parquet'``), a folder of Parquet files or a list of paths."""
    import os

    _, dd, _ = _dask()
    paths = [os.fspath(d) for d in (data if isinstance(data, (list, tuple)) else [data])]
    first = paths[0]
    lower = first.lower()
    na = list(na_values) or None
    if os.path.isdir(first) or lower.endswith((".parquet", ".pq", ".parq")):
        return dd.read_parquet(paths if len(paths) > 1 else first)
    if lower.endswith((".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt")):
        sep = "\t" if ".tsv" in lower else ","
        return dd.read_csv(paths, sep=sep, na_values=na, blocksize="64MB",
                           compression="gzip" if lower.endswith(".gz") else None,
                           assume_missing=True)
    raise DataError(
        f"{first!r}: a Dask table is read from Parquet (.parquet, or a folder of them) or CSV/TSV "
        "(.csv, .tsv, optionally .gz) files; other formats load in memory (neuronless.train "
        "without client=).")


class Parts:
    """The partitions of a collection on a cluster, as a mapper (see
    :mod:`neuronless.data.chunked`): ``parts(fn, *args)`` runs ``fn((i, partition), *args)``
    where partition ``i`` lives and gathers the results in partition order."""

    def __init__(self, client: Any, delayed_parts: list[Any], source: str):
        self.client, self.delayed, self.source = client, delayed_parts, source
        self.passes = 0

    def __call__(self, fn: Callable[..., Any], *args: Any) -> list[Any]:
        delayed = _dask()[2]
        self.passes += 1
        # the arguments (encoders, the model) go out once, not once per partition
        sent = [self.client.scatter(a, broadcast=False, hash=False)
                if _big(a) else a for a in args]
        tasks = [delayed(fn, pure=False)((i, p), *sent) for i, p in enumerate(self.delayed)]
        futures = self.client.compute(tasks)
        return list(self.client.gather(futures))

    def __len__(self) -> int:
        return len(self.delayed)


def _big(value: Any) -> bool:
    return isinstance(value, Model) or type(value).__name__ == "TableEncoder"


def _partitions(data: Any, target: Any, client: Any,
                na_values: Sequence[str]) -> tuple[Parts, Any, str]:
    """(the mapper over the partitions, the target spec for them, a name for errors)."""
    da, dd, delayed = _dask()
    if _is_path(data):
        source = data if isinstance(data, str) else ", ".join(map(str, data)) \
            if isinstance(data, (list, tuple)) else str(data)
        data = read(data, na_values=na_values)
    else:
        source = "the Dask collection"
    if isinstance(data, dd.DataFrame):
        if hasattr(target, "__dask_graph__"):  # the targets as a collection of their own
            xs, ys = list(data.to_delayed()), list(np.ravel(target.to_delayed()))
            if len(xs) != len(ys):
                raise DataError(f"the features have {len(xs)} partitions and the targets "
                                f"{len(ys)}; split both the same way (same npartitions and "
                                "rows per partition).")
            pairs = [delayed(_pair)(x, y) for x, y in zip(xs, ys, strict=True)]
            return Parts(client, pairs, source), _VALUES, source
        return Parts(client, list(data.to_delayed()), source), target, source
    if isinstance(data, da.Array):
        if data.ndim != 2:
            raise DataError(f"a dask.array of features must be 2-D (rows, features); got "
                            f"{data.ndim}-D.")
        if not isinstance(target, da.Array):
            if target is None or isinstance(target, (str, int)):
                raise ConfigError("a dask.array holds no column names: pass the targets as a "
                                  "second dask.array, train(X, y, client=...).")
            target = da.from_array(np.asarray(target), chunks=(data.chunks[0],))
        if any(math.isnan(c) for c in data.shape) or any(math.isnan(c) for c in target.shape):
            data, target = data.compute_chunk_sizes(), target.compute_chunk_sizes()
        if data.shape[0] != target.shape[0]:
            raise DataError(f"the features have {data.shape[0]} rows and the targets "
                            f"{target.shape[0]}; pass one target per row.")
        data = data.rechunk({1: -1})
        target = target.rechunk({0: data.chunks[0]} if target.ndim == 1
                                else {0: data.chunks[0], 1: -1})
        xs, ys = data.to_delayed().ravel(), target.to_delayed().ravel()
        pairs = [delayed(_pair)(x, y) for x, y in zip(xs, ys, strict=True)]
        return Parts(client, pairs, source), _VALUES, source
    raise ConfigError(
        f"neuronless.dask.train takes a dask.dataframe, a dask.array (with the targets as a "
        f"dask.array) or Parquet/CSV paths; got {type(data).__name__}. In-memory data trains "
        "with neuronless.train without client=.")


def _pair(x: Any, y: Any) -> tuple[Any, Any]:
    return (x, y)


# --------------------------------------------------------------------------- train


def train(data: Any, target: Any = None, *, client: Any = None, task: Any = None,
          recipe: Recipe | None = None, na_values: Sequence[str] = (),
          drop: Sequence[str] = (), keep: Sequence[str] = (), categorical: Sequence[str] = (),
          loss: str | None = None, fann_compatible: bool = False,
          error_function: str | None = None, desired_error: float | None = None,
          seed: int = 0, dtype: Any = np.float32, checkpoint: str | None = None,
          checkpoint_every: int = 10, resume: str | None = None, progress: Any = False,
          log: Log | None = None, batch_size: int | str | None = "default",
          data_parallel: str | None = None, **settings: Any) -> Model:
    """Train a model on a table held by a Dask cluster (see the module docstring).

    ``settings`` are the recipe keywords of :func:`neuronless.pipeline.train` (``layers``,
    ``optimizer``, ``epochs``, ``learning_rate``, ``l2``, ``scale``, ``early_stopping``, ...).
    ``client``: a ``distributed.Client`` (default: the current one). ``data_parallel``:
    for mini-batch step rules, ``None`` streams the rows through this process and takes the
    steps in order (:func:`~neuronless.dask.stream.fit_streamed`), ``"average"`` or
    ``"sync"`` trains on every worker (:func:`~neuronless.dask.parallel.fit_data_parallel`).
    The model's ``info["dask"]`` records the workers, the partitions, the passes over the
    data and how training ran (``"mode"``).
    """
    unknown = set(settings) - {"layers", "hidden", "optimizer", "learning_rate", "epochs", "l2",
                               "scale", "schedule", "validation_fraction", "early_stopping",
                               "init"}
    if unknown:
        raise ConfigError(f"unknown setting(s) {', '.join(sorted(unknown))} for training on "
                          "Dask; see neuronless.pipeline.train for the recipe keywords.")
    given = {k: v for k, v in settings.items() if v is not None}
    if batch_size != "default":
        given["batch_size"] = batch_size
    if given.get("schedule") == "none":
        given["schedule"] = None
    if given.get("early_stopping") == 0:
        given["early_stopping"] = None
    opts = Options(task=task, loss=loss, fann_compatible=fann_compatible,
                   error_function=error_function, desired_error=desired_error, seed=seed,
                   dtype=dtype, checkpoint=checkpoint, checkpoint_every=checkpoint_every,
                   resume=resume, progress=progress, log=log)
    resolved = resolve_recipe(recipe, given, opts)
    method = method_of(resolved, opts)
    _refuse(resolved, method)
    mode = _mode(resolved, method, data_parallel)
    cl = _client(client)
    parts, target_spec, source = _partitions(data, target, cl, na_values)
    spec = PartSpec(target_spec, source, tuple(na_values), tuple(drop), tuple(keep),
                    tuple(categorical))
    prep, model = prepare_parts(parts, spec, resolved, opts, task=task)
    for note in prep.notes:
        opts.say("note", note)
    n_rows = sum(prep.rows)
    opts.say("info", f"{prep.task}: {n_rows} training rows in {len(parts)} partitions on "
                     f"{_workers(cl)} worker(s), {prep.n_features} features, scaling: "
                     f"{resolved.scale} ({prep.passes} passes over the data)")
    opts.say("info", model.net.summary())
    split = ((resolved.validation_fraction, opts.seed) if resolved.validation_fraction > 0
             else None)
    X, Y = _training_arrays(parts, prep, model, split, "train")
    validation = None
    if split is not None:
        n_val = sum(len(held_out(n, split, i)) for i, n in enumerate(prep.rows))
        if n_val == 0 or n_val == n_rows:
            raise DataError(f"validation_fraction={resolved.validation_fraction} holds out "
                            f"{n_val} of {n_rows} rows; it must leave rows for both training "
                            "and validation (each partition holds out round(fraction x its "
                            "rows)).")
        Xv, Yv = _training_arrays(parts, prep, model, split, "validation")
        validation = DaskObjective(model.net, Xv, Yv, loss=_loss(model.net, resolved, opts),
                                   client=cl)
        opts.say("info", f"validation: {n_val} rows held out, "
                         f"{resolved.validation_fraction:g} of each partition's")
    start = time.perf_counter()
    history = _fit(model, X, Y, resolved, opts, mode, cl, validation)
    seconds = time.perf_counter() - start
    score = score_parts(parts, spec, model, split)
    model.history = history
    model.info = _info(model, prep, resolved, opts, seconds, {}, None,
                       "training" if split is None else "validation", score)
    model.info["dask"] = {"workers": _workers(cl), "partitions": len(parts),
                          "rows": n_rows, "preparation_passes": prep.passes, "mode": mode}
    return model


def _workers(client: Any) -> int:
    return len(client.scheduler_info().get("workers", {}))


def _refuse(recipe: Recipe, method: str) -> None:
    if method == "cascade":
        raise ConfigError("Cascade2 grows its network on the whole training set in memory; it "
                          "does not run on Dask. Train it with neuronless.train without client=, "
                          "or pick another optimizer.")
    if method == "fann" and recipe.optimizer not in ("batch", "rprop", "quickprop", "sarprop"):
        raise ConfigError(f"FANN's {recipe.optimizer!r} algorithm updates after every pattern "
                          "and does not run on Dask; pick a batch algorithm (rprop, quickprop, "
                          "sarprop, batch) or train in memory.")
    if recipe.l2_choices is not None:
        raise ConfigError("choosing l2 by selection (l2_choices) trains several networks in "
                          "memory; on Dask pass one l2, or search with GridSearchCV on the "
                          "joblib Dask backend.")


def _mode(recipe: Recipe, method: str, data_parallel: str | None) -> str:
    """How training runs on the cluster: "full batch", "lbfgs"/"cg", "fann", "streamed",
    "average" or "sync"."""
    from .parallel import MODES

    if data_parallel is not None and data_parallel not in MODES:
        raise ConfigError(f"data_parallel must be one of {list(MODES)} or None; got "
                          f"{data_parallel!r}.")
    if method == "gradient" and recipe.batch_size is None:  # as in memory: rprop with a
        mode = "full batch"                                  # batch size takes mini-batches
    elif method == "whole_batch":
        mode = recipe.optimizer
    elif method == "fann":
        mode = "fann"
    else:
        return data_parallel or "streamed"
    if data_parallel is not None:
        raise ConfigError(f"data_parallel={data_parallel!r} is for mini-batch training (a "
                          f"batch size); {recipe.optimizer} here trains on the whole batch, "
                          "which on Dask is data-parallel already. Leave data_parallel out "
                          "or give a batch size.")
    return mode


def _training_arrays(parts: Parts, prep: PreparedParts, model: Model, split: Split | None,
                     which: str) -> tuple[Any, Any]:
    """The scaled inputs and encoded targets as dask arrays, one row chunk per partition,
    computed where the partitions live (with ``split``: the training or the held-out
    rows)."""
    da, _, delayed = _dask()
    n_out = model.net.n_outputs
    dtype = model.net.dtype
    m = parts.client.scatter(model, hash=False)
    xs, ys = [], []
    for i, (p, n) in enumerate(zip(parts.delayed, prep.rows, strict=True)):
        held = 0 if split is None else len(held_out(n, split, i))
        rows = held if which == "validation" else n - held
        pair = delayed(training_rows, pure=False)((i, p), prep.spec, m, split, which)
        xs.append(da.from_delayed(pair[0], shape=(rows, prep.n_features), dtype=dtype))
        ys.append(da.from_delayed(pair[1], shape=(rows, n_out), dtype=dtype))
    return da.concatenate(xs), da.concatenate(ys)


class _Watch:
    """Early stopping and progress lines for the cluster's epoch loops, as
    :func:`neuronless.fit` does them: called after each epoch with its training loss; the
    best epoch's weights (after its step) are kept and restored."""

    def __init__(self, model: Model, recipe: Recipe, opts: Options,
                 validation: Any = None):
        self.net, self.recipe, self.opts = model.net, recipe, opts
        self.validation = validation
        self.val_loss: list[float] = []
        self.best, self.since = math.inf, 0
        self.best_params: Any = None
        self.best_epoch: int | None = None
        self.every = max(1, recipe.epochs // 10)

    def __call__(self, epoch: int, loss: float) -> bool:
        line = f"epoch {epoch + 1}/{self.recipe.epochs}: loss {loss:.6g}"
        if self.validation is not None:  # the held-out rows' loss after the epoch's steps
            loss = self.validation.loss_at(self.net.params)
            self.val_loss.append(loss)
            line += f", val_loss {loss:.6g}"
        if self.opts.progress and ((epoch + 1) % self.every == 0 or epoch == 0):
            self.opts.say("progress", line)
        if not self.recipe.early_stopping:
            return False
        if loss < self.best - self.recipe.min_delta:
            self.best, self.best_epoch, self.since = loss, epoch, 0
            self.best_params = self.net.params.copy()
            return False
        self.since += 1
        return self.since >= self.recipe.early_stopping

    def finish(self, history: Any) -> Any:
        if self.validation is not None:
            # the epochs watched by this call (checkpoints do not hold the watch: a resumed
            # run's val_loss starts at the resume, and its patience count starts again)
            history.val_loss = list(history.val_loss) + self.val_loss
        if self.recipe.early_stopping and self.best_params is not None:
            self.net.params[...] = self.best_params
            history.best_epoch = self.best_epoch
            if history.stopped_reason == "callback":
                history.stopped_reason = (f"early stopping: no improvement for "
                                          f"{self.recipe.early_stopping} epochs")
        return history


def _fit(model: Model, X: Any, Y: Any, recipe: Recipe, opts: Options, mode: str,
         client: Any, validation: Any = None) -> Any:
    net = model.net
    loss = _loss(net, recipe, opts)
    watch = _Watch(model, recipe, opts, validation)
    if mode == "full batch":
        from .objective import fit_full_batch

        history = fit_full_batch(net, X, Y, optimizer=recipe.make_optimizer(),
                                 epochs=recipe.epochs, loss=loss, l2=recipe.l2, client=client,
                                 callback=watch, checkpoint=opts.checkpoint,
                                 checkpoint_every=opts.checkpoint_every, resume=opts.resume)
        return watch.finish(history)
    if mode in ("streamed", "average", "sync"):
        assert recipe.batch_size is not None
        common = dict(optimizer=recipe.make_optimizer(), epochs=recipe.epochs,
                      batch_size=recipe.batch_size, loss=loss, l2=recipe.l2, seed=opts.seed,
                      client=client, schedule=recipe.make_schedule(), callback=watch,
                      checkpoint=opts.checkpoint, checkpoint_every=opts.checkpoint_every,
                      resume=opts.resume)
        if mode == "streamed":
            from .stream import fit_streamed

            return watch.finish(fit_streamed(net, X, Y, **common))
        from .parallel import fit_data_parallel

        return watch.finish(fit_data_parallel(net, X, Y, mode=mode, **common))
    # checkpoints with whole-batch and FANN methods are refused by resolve_recipe's checks
    if mode in ("lbfgs", "cg"):
        from .whole_batch import fit_minimize

        return whole_batch_history(lambda: fit_minimize(
            net, X, Y, recipe.optimizer, maxiter=recipe.epochs, loss=opts.loss, l2=recipe.l2,
            client=client), recipe, opts, passes=True)
    if mode == "fann":
        from ..fann.train import FannTrainer
        from .whole_batch import fit_fann

        params = fann_params(recipe, opts)
        FannTrainer(net, params, fann_compatible=True, backend="numpy")  # its checks, first
        return fann_history(lambda desired: fit_fann(
            net, X, Y, params, max_epochs=recipe.epochs, desired_error=desired, client=client),
            params, recipe, opts, where=" on the cluster")
    raise ConfigError(f"{recipe.optimizer} does not run on Dask.")


# --------------------------------------------------------------------------- predict


def predict(model: Model, data: Any, *, proba: bool = False) -> Any:
    """``model.predict`` (or ``predict_proba``) on a Dask collection, partition by partition
    (``map_partitions``/``map_blocks``): a dask.dataframe gives a dask.dataframe (one column
    per target, or per class with ``proba``), a dask.array a dask.array. Nothing is computed
    until you compute the result."""
    import pandas as pd  # type: ignore[import-untyped]

    da, dd, _ = _dask()
    if proba and model.labels is None:
        raise ConfigError("predict_proba needs a classifier; this model is a regressor.")
    if _is_path(data):
        data = read(data)
    if isinstance(data, dd.DataFrame):
        names = ([str(c) for c in model.labels.classes] if proba and model.labels is not None
                 else list(model.target_names))
        meta = pd.DataFrame({n: pd.Series(dtype="float64" if proba or model.labels is None
                                          else "object") for n in names})
        return data.map_partitions(_predict_frame, model, proba, names, meta=meta)
    if isinstance(data, da.Array):
        if data.ndim != 2:
            raise DataError(f"predict takes a 2-D dask.array (rows, features); got {data.ndim}-D.")
        data = data.rechunk({1: -1})
        if proba:
            k = model.labels.n_classes if model.labels is not None else 1
            return data.map_blocks(_predict_block, model, True, dtype=np.float64,
                                   chunks=(data.chunks[0], (k,)))
        width = len(model.target_names)
        if model.labels is not None or width == 1:
            dtype = np.asarray(model.labels.classes).dtype if model.labels is not None \
                else np.float64
            return data.map_blocks(_predict_block, model, False, dtype=dtype, drop_axis=1,
                                   chunks=(data.chunks[0],))
        return data.map_blocks(_predict_block, model, False, dtype=np.float64,
                               chunks=(data.chunks[0], (width,)))
    raise ConfigError(f"neuronless.dask.predict takes a dask.dataframe, a dask.array or "
                      f"Parquet/CSV paths; got {type(data).__name__}.")


def _predict_frame(frame: Any, model: Model, proba: bool, names: list[str]) -> Any:
    import pandas as pd  # type: ignore[import-untyped]

    out = model.predict_proba(frame) if proba else model.predict(frame)
    out = np.asarray(out)
    out = out.reshape(len(frame), -1)
    return pd.DataFrame({n: out[:, j] for j, n in enumerate(names)}, index=frame.index)


def _predict_block(block: Any, model: Model, proba: bool) -> Any:
    return np.asarray(model.predict_proba(block) if proba else model.predict(block))


__all__ = ["predict", "read", "train"]
