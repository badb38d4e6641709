"""Statistics of data seen one chunk of rows at a time, equal to the in-memory ones.

Contract: a *mapper* runs a function on every chunk and returns the results in chunk order,
``mapper(fn, *args) == [fn(chunk, *args) for chunk in chunks]`` (:func:`in_memory` is that
loop; :mod:`neuronless.dask` runs it on a cluster's partitions). ``fn`` and ``args`` are
plain picklable values, so the chunks never leave the machines that hold them: only counts,
sums and small histograms come back. On top of that:

- :func:`moments`: per column count, mean, population variance, min and max, in one pass
  (chunk means and squared deviations merged as Chan, Golub and LeVeque do; equal to
  ``np.mean``/``np.var`` to rounding).
- :func:`exact_quantiles`: per column the quantiles ``np.percentile`` (linear interpolation)
  and ``np.median`` give on all the rows, exactly, in a few passes: one for counts and
  ranges, then histogram passes that narrow each wanted order statistic to one bin of
  :data:`BINS` until a bin holds at most :data:`COLLECT` values, then one pass that brings
  those values back. Typically 3 passes; each histogram pass divides the range by
  :data:`BINS`, so heavy clustering costs a pass more, not memory.

Chunk functions receive ``columns(chunk, *args) -> (n, k) float64`` arrays, NaN where a
value is absent (missing cells are skipped, as the in-memory fits skip them).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..errors import DataError
from ._common import Array, FloatArray

Mapper = Callable[..., list[Any]]
Columns = Callable[..., FloatArray]
#: bins per histogram pass
BINS = 1024
#: values per wanted order statistic that a pass brings back as values, not a histogram
COLLECT = 1 << 16


def in_memory(chunks: Sequence[Any]) -> Mapper:
    """The mapper of chunks held in this process."""
    def mapper(fn: Callable[..., Any], *args: Any) -> list[Any]:
        return [fn(chunk, *args) for chunk in chunks]
    return mapper


# --------------------------------------------------------------------------- moments


def _chunk_moments(chunk: Any, columns: Columns, args: tuple[Any, ...]) -> tuple[Array, ...]:
    x = columns(chunk, *args)
    present = ~np.isnan(x)
    n = present.sum(axis=0).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        mean = np.where(n > 0, np.nansum(x, axis=0) / np.maximum(n, 1), 0.0)
        m2 = np.nansum((x - mean) ** 2, axis=0)
    lo = np.where(n > 0, np.nanmin(np.where(present, x, np.inf), axis=0, initial=np.inf), np.inf)
    hi = np.where(n > 0, np.nanmax(np.where(present, x, -np.inf), axis=0, initial=-np.inf),
                  -np.inf)
    return n, mean, m2, lo, hi


def moments(mapper: Mapper, columns: Columns, *args: Any) -> dict[str, FloatArray]:
    """``{"n", "mean", "var", "min", "max"}`` per column of ``columns(chunk, *args)``, over
    every chunk's present values (``var`` is the population variance, as ``np.var``)."""
    parts = mapper(_chunk_moments, columns, args)
    if not parts:
        raise DataError("the data has no chunks (partitions); it needs at least one row.")
    n, mean, m2, lo, hi = merge_moments(parts)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.where(n > 0, m2 / np.maximum(n, 1), np.nan)
    return {"n": n, "mean": mean, "var": var, "min": lo, "max": hi}


def chunk_moments(x: Array) -> tuple[Array, ...]:
    """One chunk's (count, mean, centred sum of squares, min, max) per column of ``x``
    (NaN: missing), for :func:`merge_moments`."""
    return _chunk_moments(x, lambda chunk: chunk, ())


def merge_moments(parts: Sequence[Sequence[Array]]) -> tuple[FloatArray, ...]:
    """Chunks' (count, mean, centred sum of squares, min, max) merged, in order, with
    Chan et al.'s update (no cancellation for data with a large mean)."""
    n, mean, m2, lo, hi = (np.array(v, dtype=np.float64) for v in parts[0])
    for nb, mb, m2b, lob, hib in parts[1:]:
        total = n + nb
        delta = mb - mean
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            share = np.where(total > 0, nb / np.maximum(total, 1), 0.0)
            mean = mean + delta * share
            m2 = m2 + m2b + delta ** 2 * n * share
        n, lo, hi = total, np.minimum(lo, lob), np.maximum(hi, hib)
    return n, mean, m2, lo, hi


# --------------------------------------------------------------------------- quantiles


def _in(x: FloatArray, lo: float, hi: float, closed: bool) -> Array:
    return (x >= lo) & ((x <= hi) if closed else (x < hi))  # type: ignore[no-any-return]


def _edges(lo: float, hi: float) -> FloatArray:
    return np.linspace(lo, hi, BINS + 1)


def _chunk_narrow(chunk: Any, columns: Columns, args: tuple[Any, ...],
                  tasks: list[tuple[int, float, float, bool]]) -> list[Any]:
    """For each task (column, lo, hi, closed): the histogram of the chunk's values in the
    interval over :data:`BINS` bins, and the values themselves (sorted distinct values and
    their counts) when there are at most :data:`COLLECT` distinct ones, else None."""
    x = columns(chunk, *args)
    out: list[Any] = []
    for j, lo, hi, closed in tasks:
        v = x[:, j][_in(x[:, j], lo, hi, closed)]
        b = np.clip(np.searchsorted(_edges(lo, hi), v, side="right") - 1, 0, BINS - 1)
        u, c = np.unique(v, return_counts=True)
        out.append((np.bincount(b, minlength=BINS), (u, c) if len(u) <= COLLECT else None))
    return out


def _lerp(a: float, b: float, t: float) -> float:
    """numpy's linear interpolation between neighbouring order statistics, bit for bit."""
    d = b - a
    return float(b - d * (1 - t)) if t >= 0.5 else float(a + d * t)


def exact_quantiles(mapper: Mapper, columns: Columns, percents: Sequence[float],
                    *args: Any, median_means: bool = False,
                    stats: dict[str, FloatArray] | None = None) -> FloatArray:
    """``(k, len(percents))``: each column's percentiles of its present values, exactly as
    ``np.percentile(values, percents)`` gives them on all the rows (``median_means``: 50 is
    ``np.median``'s mean of the two middle values). A column with no present value is NaN.
    ``stats``: :func:`moments` of the same columns, if known (saves a pass)."""
    stats = stats if stats is not None else moments(mapper, columns, *args)
    n, lo, hi = stats["n"].astype(np.int64), stats["min"], stats["max"]
    k = len(n)
    # the order statistics each percentile needs: ranks (0-based) and interpolation weights
    wanted: dict[tuple[int, int], float] = {}
    plans: list[list[tuple[int, int, float, bool]]] = []
    for j in range(k):
        row = []
        for p in percents:
            if n[j] == 0:
                row.append((0, 0, 0.0, False))
                continue
            q = float(p) / 100.0
            pos = (float(n[j]) - 1) * q  # numpy's virtual index for "linear", as it computes it
            if pos >= n[j] - 1:
                r = r2 = int(n[j]) - 1
            else:
                r = max(math.floor(pos), 0)
                r2 = r + 1 if pos >= 0 else 0
            t = pos - math.floor(pos) if 0 <= pos < n[j] - 1 else 0.0
            if median_means and float(p) == 50.0:
                r, r2 = (int(n[j]) - 1) // 2, int(n[j]) // 2
            row.append((r, r2, t, median_means and float(p) == 50.0))
            wanted[(j, r)] = wanted[(j, r2)] = math.nan
        plans.append(row)
    # each unresolved rank: its interval (lo, hi, closed), values below lo, values inside
    open_: dict[tuple[int, int], tuple[float, float, bool, int, int]] = {
        (j, r): (float(lo[j]), float(hi[j]), True, 0, int(n[j])) for (j, r) in wanted}
    passes = 1
    while open_:
        passes += 1
        if passes > 80:
            raise DataError("exact quantiles did not converge: the data changed between passes; "
                            "read it from files or persist it before training.")
        tasks = sorted({(j, a, b, c) for (j, _), (a, b, c, _, _) in open_.items()})
        results = mapper(_chunk_narrow, columns, args, tasks)
        for t_i, task in enumerate(tasks):
            hist = sum(r[t_i][0] for r in results)
            values = None
            if all(r[t_i][1] is not None for r in results):
                u, inv = np.unique(np.concatenate([r[t_i][1][0] for r in results]),
                                   return_inverse=True)
                cnts = np.concatenate([r[t_i][1][1] for r in results])
                values = (u, np.cumsum(np.bincount(inv, weights=cnts, minlength=len(u))))
            j, a, b, c = task
            for (jj, r), (aa, bb, cc, below, _) in list(open_.items()):
                if (jj, aa, bb, cc) != task:
                    continue
                if values is not None:  # the values themselves: the rank's value
                    i = int(np.searchsorted(values[1], r - below, side="right"))
                    if i >= len(values[0]):
                        raise DataError("exact quantiles: the data changed between passes.")
                    wanted[(j, r)] = float(values[0][i])
                    del open_[(j, r)]
                    continue
                cum = np.cumsum(hist)
                i = int(np.searchsorted(cum, r - below, side="right"))
                edges = _edges(a, b)
                last = i == BINS - 1
                open_[(j, r)] = (float(edges[i]), b if last else float(edges[i + 1]),
                                 c if last else False, below + (int(cum[i - 1]) if i else 0),
                                 int(hist[i]))
    out = np.full((k, len(percents)), np.nan)
    for j, row in enumerate(plans):
        if n[j] == 0:
            continue
        for q, (r, r2, t, mean_mid) in enumerate(row):
            a, b = wanted[(j, r)], wanted[(j, r2)]
            if mean_mid:
                out[j, q] = a if n[j] % 2 else float(np.mean(np.array([a, b])))
            else:
                out[j, q] = _lerp(a, b, t)
    return out


def fit_scaler(scaler: Any, mapper: Mapper, columns: Columns, *args: Any,
               stats: dict[str, Array] | None = None) -> Any:
    """Fit a :mod:`neuronless.data.scaling` scaler on every chunk's ``columns(chunk, *args)``
    as its ``fit`` would on all the rows at once (one pass; the robust scaler's exact
    quantiles take a few, see :func:`exact_quantiles`; none for the standard and min-max
    scalers given the columns' :func:`moments` as ``stats``). Non-finite values are a
    DataError."""
    from .scaling import MinMaxScaler, RobustScaler, StandardScaler

    if stats is None:
        stats = moments(mapper, columns, *args)
    if not np.all(stats["n"] > 0):
        raise DataError("cannot fit a scaler: the data has no rows.")
    if not (np.all(np.isfinite(stats["min"])) and np.all(np.isfinite(stats["max"]))
            and np.all(np.isfinite(stats["var"]))):
        raise DataError("cannot fit a scaler on non-finite data (an infinite or overflowing "
                        "value); fix those values or mark them missing.")
    if np.any(stats["n"] != stats["n"].max()):
        raise DataError("cannot fit a scaler on data with missing values (NaN).")
    if isinstance(scaler, StandardScaler):
        return scaler.from_moments(stats["mean"], np.sqrt(stats["var"]))
    if isinstance(scaler, MinMaxScaler):
        scaler.data_min, scaler.data_max = stats["min"], stats["max"]
        return scaler
    if isinstance(scaler, RobustScaler):
        q = exact_quantiles(mapper, columns, [25.0, 50.0, 75.0], *args, median_means=True,
                            stats=stats)
        return scaler.from_quantiles(q[:, 1], q[:, 0], q[:, 2], stats["min"], stats["max"])
    raise DataError(f"fit_scaler does not know {type(scaler).__name__}.")


__all__ = ["BINS", "COLLECT", "Mapper", "exact_quantiles", "fit_scaler", "in_memory", "moments"]
