"""The pipeline's preparation on a table held in row partitions, one partition at a time.

Contract: a table too big for one process is a sequence of row *partitions* (pandas data
frames, dicts of columns, anything :func:`neuronless.data.read.as_table` reads), reached
through a *mapper* (:mod:`neuronless.data.chunked`): ``mapper(fn, *args)`` runs
``fn((index, partition), *args)`` on every partition where it lives and returns the results
in partition order; :mod:`neuronless.dask` runs it on a cluster, :func:`in_memory` in this
process. :func:`prepare_parts` fits what :func:`neuronless.pipeline.prepare` and
:func:`~neuronless.pipeline.build_model` fit in memory (the target's task and classes, each
column's kind, categories and median, the input scaler and the regression targets' scaler)
with the same rules, from per-partition counts, sums, histograms and values that are
merged: the fitted numbers equal the in-memory ones (exactly for categories, classes and
medians and the robust scaler's quantiles, to rounding for means and deviations). Passes over
the data: one for the columns and the target, one or two more for the medians (none without
numeric columns), one for a standard/min-max scaler, about three for the robust one.

:func:`training_rows` is the function the partitions' machines run to turn their rows into
the network's inputs and targets with the fitted model; :func:`score_parts` measures the
trained model the way :func:`neuronless.pipeline.score_model` does, from per-partition sums.
Nothing here imports Dask; the shells pass the mapper.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .data import Labels, StandardScaler
from .data.chunked import (
    Mapper,
    chunk_moments,
    exact_quantiles,
    fit_scaler,
    in_memory,
    merge_moments,
    moments,
)
from .data.columns import MAX_DISTINCT, TableEncoder, column_numbers, merge
from .data.labels import task_of_numbers
from .data.read import Table
from .errors import DataError
from .model import Model, Task
from .pipeline import (
    SCALERS,
    Options,
    Recipe,
    _encode_targets,
    _plain,
    _rows_with_target,
    _scaled,
    _split_target,
    _target_encoder,
    assemble_model,
)

Array = NDArray[Any]

__all__ = ["VALUES", "PartSpec", "PreparedParts", "Split", "held_out", "in_memory",
           "prepare_parts", "score_parts", "training_rows"]


#: ``PartSpec.target`` when each partition is a pair (features, target values)
VALUES = "\0values"


@dataclass(frozen=True)
class PartSpec:
    """How every partition is read: the target and the column settings of :func:`prepare`."""

    target: Any = None
    source: str = "the partitions"
    na_values: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()


@dataclass
class PreparedParts:
    """What :func:`prepare_parts` fitted; the fields :func:`~neuronless.pipeline.assemble_model`
    reads, plus the rows with a target in each partition (``rows``)."""

    spec: PartSpec
    task: Task
    labels: Labels | None
    encoder: TableEncoder
    feature_names: list[str]
    target_names: list[str]
    n_features: int
    n_targets: int
    rows: list[int]
    source: str
    notes: list[str] = field(default_factory=list)
    passes: int = 0


def _rows(chunk: tuple[int, Any], spec: PartSpec) -> tuple[Table, Array, list[str]]:
    """One partition's feature table (rows with a target) and target values."""
    index, data = chunk
    target = spec.target
    if isinstance(target, str) and target == VALUES:
        data, target = data
    features, y, names = _split_target(data, target, spec.na_values)
    features = dataclasses.replace(features, source=f"partition {index} of {spec.source}")
    if spec.drop:
        absent = [d for d in spec.drop if d not in features.names]
        if absent:
            raise DataError(f"drop names column(s) {', '.join(map(repr, absent))} that "
                            f"{spec.source} does not have; its feature columns are "
                            f"{', '.join(map(repr, features.names))}.")
        features = features.drop(list(spec.drop))
    keep = _rows_with_target(y)
    if not keep.all():
        rows = np.flatnonzero(keep)
        features, y = features.take(rows), y[rows]
    return features, y, names


def _observe(chunk: tuple[int, Any], spec: PartSpec) -> dict[str, Any]:
    features, y, names = _rows(chunk, spec)
    encoder = TableEncoder(spec.categorical, spec.keep, spec.na_values)
    encoder.check_names(features)
    plain = _plain(y)
    t: dict[str, Any] = {"n": len(y), "names": names, "ndim": y.ndim,
                         "width": 1 if y.ndim == 1 else y.shape[1],
                         "text": plain.dtype.kind in "bUSO", "kind": y.dtype.kind,
                         "missing": int(len(chunk[1]) - len(y)) if hasattr(chunk[1], "__len__")
                         else 0}
    if y.ndim == 2:
        t["one_hot"] = bool(np.all((plain == 0) | (plain == 1)) and np.all(plain.sum(axis=1) == 1))
        t["values"] = None
    else:
        flat = plain
        t["integral"] = flat.dtype.kind != "f" or bool(np.all(np.isfinite(flat)) and
                                                        np.all(flat == np.round(flat)))
        u = np.unique(flat) if (t["text"] or t["integral"]) else None
        t["values"] = u if u is not None and len(u) <= MAX_DISTINCT else None
    return {"columns": encoder.observe(features), "target": t}


def _merge_targets(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    if a["names"] != b["names"] or a["width"] != b["width"]:
        raise DataError(f"the partitions have different target columns: {a['names']} and "
                        f"{b['names']}.")
    if a["text"] != b["text"]:
        raise DataError(f"the target {', '.join(a['names'])} holds text in some partitions "
                        "and numbers in others; give it one type.")
    out = dict(a)
    out["n"] = a["n"] + b["n"]
    out["missing"] = a["missing"] + b["missing"]
    if a["ndim"] == 2:
        out["one_hot"] = a["one_hot"] and b["one_hot"]
        return out
    out["integral"] = a["integral"] and b["integral"]
    if a["values"] is None or b["values"] is None:
        out["values"] = None
    else:
        u = np.unique(np.concatenate([a["values"], b["values"]]))
        out["values"] = u if len(u) <= MAX_DISTINCT else None
    return out


def _raw_numbers(chunk: tuple[int, Any], spec: PartSpec, names: tuple[str, ...]) -> Array:
    features = _rows(chunk, spec)[0]
    return np.column_stack([column_numbers(features, n, spec.na_values) for n in names])


def _encoded(chunk: tuple[int, Any], spec: PartSpec, encoder: TableEncoder) -> Array:
    return encoder.transform(_rows(chunk, spec)[0])


def _prepared_targets(y: Array, names: list[str], labels: Labels | None) -> Array:
    """Targets as :func:`~neuronless.pipeline.prepare` leaves them: class indices, or
    float64 values ``(n, k)``."""
    if labels is None:
        return _encode_targets(y, "regression", names)[1]
    if y.ndim == 2:
        return np.asarray(np.asarray(_plain(y)).argmax(axis=1))
    return labels.transform(_plain(y))


def _regression_targets(chunk: tuple[int, Any], spec: PartSpec) -> Array:
    _, y, names = _rows(chunk, spec)
    return _prepared_targets(y, names, None)


class _Counter:
    """A mapper that counts its passes."""

    def __init__(self, mapper: Mapper):
        self.mapper, self.passes = mapper, 0

    def __call__(self, fn: Any, *args: Any) -> list[Any]:
        self.passes += 1
        return self.mapper(fn, *args)


def prepare_parts(mapper: Mapper, spec: PartSpec, recipe: Recipe, opts: Options, *,
                  task: Task | None = None,
                  classes: Sequence[Any] | None = None) -> tuple[PreparedParts, Model]:
    """Fit the preparation on every partition and assemble the untrained model (see the
    module docstring); the model's scalers are fitted on all the rows with a target."""
    count = _Counter(mapper)
    observed = count(_observe, spec)
    if not observed:
        raise DataError(f"{spec.source} has no partitions; it needs at least one row.")
    columns = functools.reduce(merge, (o["columns"] for o in observed))
    t = functools.reduce(_merge_targets, (o["target"] for o in observed))
    names = t["names"]
    if t["n"] < 2:
        raise DataError(f"{spec.source} has {t['n']} row(s) with a target value; training "
                        "needs at least 2.")
    notes = []
    if t["missing"]:
        notes.append(f"{t['missing']} row(s) have no value in the target column "
                     f"{', '.join(map(repr, names))} and were left out of training.")
    labels = _labels_of(t, names, task, classes)
    encoder = TableEncoder(spec.categorical, spec.keep, spec.na_values)

    def medians(cols: Sequence[str]) -> dict[str, float]:
        q = exact_quantiles(count, _raw_numbers, [50.0], spec, tuple(cols), median_means=True)
        return {c: float(v) for c, v in zip(cols, q[:, 0], strict=True)}

    encoder.decide(columns, medians)
    notes += encoder.notes
    prep = PreparedParts(spec, "regression" if labels is None else "classification", labels,
                         encoder, encoder.feature_names, names, encoder.n_features,
                         t["width"], [o["target"]["n"] for o in observed], spec.source, notes)
    scaler = (fit_scaler(SCALERS[recipe.scale](), count, _encoded, spec, encoder)
              if recipe.scale in SCALERS else None)
    target_scaler = target_range = None
    if labels is None and (recipe.scale in SCALERS or recipe.clip_predictions):
        m = moments(count, _regression_targets, spec)  # one pass for both
        if recipe.scale in SCALERS:
            target_scaler = fit_scaler(StandardScaler(), count, _regression_targets, spec,
                                       stats=m)
        if recipe.clip_predictions:
            target_range = [m["min"].tolist(), m["max"].tolist()]
    model = assemble_model(prep, recipe, opts, scaler, target_scaler, target_range)
    prep.passes = count.passes
    return prep, model


def _labels_of(t: dict[str, Any], names: list[str], task: Task | None,
               classes: Sequence[Any] | None) -> Labels | None:
    """The classes (None for regression) by :func:`neuronless.data.infer_task`'s rule."""
    shown = ", ".join(names)
    if task is None:
        if classes is not None or t["text"]:
            task = "classification"
        elif t["ndim"] == 2:
            task = "classification" if t["one_hot"] else "regression"
        else:
            n_distinct = len(t["values"]) if t["values"] is not None else MAX_DISTINCT + 1
            task = task_of_numbers(t["integral"], n_distinct, t["n"])
    if task == "regression":
        if t["text"]:
            raise DataError(
                f"target column {shown!r} holds text, so it cannot be a regression target; "
                "use task='classification' (--task classification) or pick a numeric column "
                "with target= (--target).")
        return None
    if classes is not None:
        labels = Labels(_plain(np.asarray(classes)).tolist())
        if labels.n_classes < 2 or len(set(labels.classes)) != labels.n_classes:
            raise DataError(f"classes must list at least two distinct class labels; got "
                            f"{labels.classes!r}.")
        return labels
    if t["ndim"] == 2:
        if not t["one_hot"]:
            raise DataError(
                f"the {t['width']} target columns ({shown}) are not one-hot; classification "
                "needs one column of labels or one 0/1 column per class with one 1 per row.")
        return Labels(list(range(t["width"])))
    if t["values"] is None:
        raise DataError(f"target column {shown!r} has more than {MAX_DISTINCT} distinct "
                        "values; that is not a classification target (task='regression').")
    labels = Labels(np.asarray(t["values"]).tolist())
    if labels.n_classes < 2:
        raise DataError(f"target column {shown!r} holds only the class {labels.classes[0]!r}; "
                        "classification needs at least two classes.")
    return labels


def _inputs_and_targets(chunk: tuple[int, Any], spec: PartSpec,
                        model: Model) -> tuple[Array, Array]:
    features, y, names = _rows(chunk, spec)
    assert model.encoder is not None
    X = _scaled(model, model.encoder.transform(features), model.net.dtype)
    return X, _prepared_targets(y, names, model.labels)


#: a validation split of partitioned rows: (fraction, seed)
Split = tuple[float, int]


def held_out(n: int, split: Split, part: int) -> Array:
    """Which of a partition's ``n`` rows (with a target) are held out for validation:
    ``round(fraction * n)`` of them, chosen by a generator seeded with (seed, partition
    number), in row order. Each partition splits alone, so the split needs no pass of its
    own; it is not stratified (the in-memory split is)."""
    fraction, seed = split
    k = round(fraction * n)
    return np.sort(np.random.default_rng([seed, part]).permutation(n)[:k])


def _select(chunk: tuple[int, Any], X: Array, t: Array, split: Split | None,
            which: str) -> tuple[Array, Array]:
    if split is None:
        return X, t
    keep = np.zeros(len(X), dtype=bool)
    keep[held_out(len(X), split, chunk[0])] = True
    if which == "train":
        keep = ~keep
    return X[keep], t[keep]


def training_rows(chunk: tuple[int, Any], spec: PartSpec, model: Model,
                  split: Split | None = None, which: str = "train") -> tuple[Array, Array]:
    """One partition's rows as the network trains on them: scaled inputs and encoded targets
    ``(n, n_out)`` in the network's dtype (run where the partition lives); with ``split``,
    the rows :func:`held_out` leaves for training (``which="train"``) or holds out
    (``"validation"``)."""
    X, t = _select(chunk, *_inputs_and_targets(chunk, spec, model), split, which)
    return X, _target_encoder(model)(t).astype(model.net.dtype)


def _chunk_score(chunk: tuple[int, Any], spec: PartSpec, model: Model,
                 split: Split | None = None) -> Any:
    X, t = _select(chunk, *_inputs_and_targets(chunk, spec, model), split, "validation")
    out = model.net.forward(X).astype(np.float64)
    if model.labels is not None:
        idx = (out[:, 0] >= 0.5).astype(np.int64) if out.shape[1] == 1 else out.argmax(axis=1)
        return np.array([len(X), float(np.sum(idx == t))])
    err = model._unscale(out) - t
    # the targets' moments for R²'s total sum of squares, merged without cancellation
    t2 = np.asarray(t, dtype=np.float64).reshape(len(X), -1)
    return (err ** 2).sum(axis=0), chunk_moments(t2)


def score_parts(mapper: Mapper, spec: PartSpec, model: Model,
                split: Split | None = None) -> dict[str, float]:
    """Accuracy (classification) or RMSE and R² (regression, averaged over the outputs as
    :func:`neuronless.model.regression_metrics` does) on every partition's rows (with
    ``split``: the held-out ones), one pass."""
    parts = mapper(_chunk_score, spec, model, split)
    if model.labels is not None:
        s = np.sum(parts, axis=0)
        return {"accuracy": float(s[1] / s[0])}
    sse = np.sum([p[0] for p in parts], axis=0)
    counts, _, sst, _, _ = merge_moments([p[1] for p in parts])
    n = counts[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(sst > 0, 1.0 - sse / np.where(sst > 0, sst, 1.0),
                      np.where(sse == 0, 1.0, 0.0))
    return {"rmse": float(np.sqrt(sse / n).mean()), "r2": float(r2.mean())}
