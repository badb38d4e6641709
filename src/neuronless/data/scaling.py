"""Standard, min-max and robust scaling fitted on training data, stored as JSON-safe dicts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConfigError, DataError, ShapeError
from ._common import (
    Array,
    FloatArray,
)

# --------------------------------------------------------------------------- scaling

#: RealMLP's smooth-clipping bound for robust-scaled inputs (Holzmüller et al., 2024)
ROBUST_CLIP = 3.0


class _Scaler:
    """Shared plumbing: checks, 1-D columns, dtype and serialisation of per-column parameters."""

    kind = ""
    _fields: tuple[str, ...] = ()

    def _fit_input(self, X: Any) -> FloatArray:
        arr = np.asarray(X, dtype=np.float64)
        arr = arr.reshape(-1, 1) if arr.ndim == 1 else arr
        if arr.ndim != 2 or len(arr) == 0:
            raise ShapeError(
                f"fit needs a non-empty (n_samples, n_columns) array; got shape {np.shape(X)}."
            )
        if not np.all(np.isfinite(arr)):
            i, j = (int(v) for v in np.argwhere(~np.isfinite(arr))[0])
            raise DataError(f"cannot fit a scaler on non-finite data: [{i}, {j}] is {arr[i, j]}.")
        return arr

    def _apply(self, X: Any, fn: Any) -> Array:
        params = [getattr(self, f) for f in self._fields]
        if any(p is None for p in params):
            raise ConfigError(f"{type(self).__name__} is not fitted; call fit(X_train) first.")
        arr = np.asarray(X)
        dtype = arr.dtype if arr.dtype.kind == "f" else np.float64
        table = arr.reshape(-1, 1) if arr.ndim == 1 else arr
        if table.ndim != 2 or table.shape[1] != len(params[0]):
            raise ShapeError(
                f"{type(self).__name__} was fitted on {len(params[0])} columns; got shape {arr.shape}."
            )
        out = fn(table.astype(np.float64), *params).astype(dtype, copy=False)
        return out.reshape(arr.shape)  # type: ignore[no-any-return]

    def fit_transform(self, X: Any) -> Array:
        return self.fit(X).transform(X)  # type: ignore[attr-defined,no-any-return]

    def to_dict(self) -> dict[str, Any]:
        """Parameters as plain lists of floats (JSON-safe), plus ``kind``."""
        d: dict[str, Any] = {"kind": self.kind}
        for f in self._fields:
            value = getattr(self, f)
            d[f] = None if value is None else [float(v) for v in value]
        return d


@dataclass(eq=False)
class StandardScaler(_Scaler):
    """Shift each column to mean 0 and scale it to standard deviation 1 (population std).

    A constant column keeps scale 1, so it becomes 0 instead of 0/0.

    >>> s = StandardScaler().fit([[1.0, 5.0], [3.0, 5.0]])
    >>> s.transform([[1.0, 5.0], [3.0, 5.0]]).tolist()
    [[-1.0, 0.0], [1.0, 0.0]]
    """

    mean: FloatArray | None = None
    scale: FloatArray | None = None
    kind = "standard"
    _fields = ("mean", "scale")

    def fit(self, X: Any) -> StandardScaler:
        arr = self._fit_input(X)
        return self.from_moments(arr.mean(axis=0), arr.std(axis=0))

    def from_moments(self, mean: FloatArray, std: FloatArray) -> StandardScaler:
        """Fitted from each column's mean and population standard deviation (data seen in
        chunks: :func:`neuronless.data.chunked.fit_scaler`)."""
        self.mean = np.asarray(mean, dtype=np.float64)
        std = np.asarray(std, dtype=np.float64)
        constant = std <= 10 * np.finfo(np.float64).eps * np.maximum(np.abs(self.mean), 1.0)
        self.scale = np.where(constant, 1.0, std)
        return self

    def transform(self, X: Any) -> Array:
        return self._apply(X, lambda a, mean, scale: (a - mean) / scale)

    def inverse_transform(self, X: Any) -> Array:
        return self._apply(X, lambda a, mean, scale: a * scale + mean)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StandardScaler:
        mean, scale = _params_from_dict(d, "standard", ("mean", "scale"))
        return cls(mean=mean, scale=scale)


@dataclass(eq=False)
class MinMaxScaler(_Scaler):
    """Map each column's training range [min, max] linearly onto ``feature_range``.

    A constant column maps to the range's lower end. FANN scales to (-1, 1) for symmetric
    activations; the default (0, 1) suits sigmoid outputs.

    >>> MinMaxScaler((-1.0, 1.0)).fit_transform([[0.0], [5.0], [10.0]]).ravel().tolist()
    [-1.0, 0.0, 1.0]
    """

    feature_range: tuple[float, float] = (0.0, 1.0)
    data_min: FloatArray | None = None
    data_max: FloatArray | None = None
    kind = "minmax"
    _fields = ("data_min", "data_max")

    def __post_init__(self) -> None:
        lo, hi = self.feature_range
        if not lo < hi:
            raise ConfigError(
                f"feature_range must be (low, high) with low < high; got {self.feature_range!r}."
            )
        self.feature_range = (float(lo), float(hi))

    def fit(self, X: Any) -> MinMaxScaler:
        arr = self._fit_input(X)
        self.data_min, self.data_max = arr.min(axis=0), arr.max(axis=0)
        return self

    def _factor(self, lo_data: FloatArray, hi_data: FloatArray) -> FloatArray:
        span = hi_data - lo_data
        lo, hi = self.feature_range
        return (hi - lo) / np.where(span == 0, 1.0, span)  # type: ignore[no-any-return]

    def transform(self, X: Any) -> Array:
        lo = self.feature_range[0]
        return self._apply(X, lambda a, mn, mx: (a - mn) * self._factor(mn, mx) + lo)

    def inverse_transform(self, X: Any) -> Array:
        lo = self.feature_range[0]
        return self._apply(X, lambda a, mn, mx: (a - lo) / self._factor(mn, mx) + mn)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "feature_range": list(self.feature_range)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MinMaxScaler:
        data_min, data_max = _params_from_dict(d, "minmax", ("data_min", "data_max"))
        lo, hi = d.get("feature_range", (0.0, 1.0))
        return cls((float(lo), float(hi)), data_min=data_min, data_max=data_max)


@dataclass(eq=False)
class RobustScaler(_Scaler):
    """Centre each column on its median, divide by its interquartile range, then clip smoothly.

    ``z = (x - median) / scale`` with ``scale = q75 - q25`` (linear-interpolation quantiles, as
    :func:`numpy.percentile` and scikit-learn's ``RobustScaler`` compute them); a column whose
    quartiles coincide (most binary or one-hot columns) uses half its range instead, and a
    constant column keeps scale 1, so it becomes 0. With ``clip`` the result is
    ``z / sqrt(1 + (z / clip)**2)``: the identity near 0, never beyond ``±clip``, so one
    outlier cannot dominate a layer's input. This is the input preprocessing of RealMLP
    (Holzmüller, Grinsztajn & Steinwart, "Better by Default", NeurIPS 2024), bound 3.

    >>> s = RobustScaler(clip=None).fit([[1.0], [2.0], [3.0], [4.0], [100.0]])
    >>> s.median.tolist(), s.scale.tolist()
    ([3.0], [2.0])
    >>> RobustScaler().fit([[1.0], [2.0], [3.0], [4.0], [100.0]]).transform([[3.0], [7.0]]).ravel().round(6).tolist()
    [0.0, 1.664101]
    """

    clip: float | None = ROBUST_CLIP
    median: FloatArray | None = None
    scale: FloatArray | None = None
    kind = "robust"
    _fields = ("median", "scale")

    def __post_init__(self) -> None:
        if self.clip is not None:
            if not (isinstance(self.clip, (int, float)) and np.isfinite(self.clip) and self.clip > 0):
                raise ConfigError(f"clip must be a positive number or None; got {self.clip!r}.")
            self.clip = float(self.clip)

    def fit(self, X: Any) -> RobustScaler:
        arr = self._fit_input(X)
        q25, q75 = np.percentile(arr, [25.0, 75.0], axis=0)
        return self.from_quantiles(np.median(arr, axis=0), q25, q75, arr.min(axis=0),
                                   arr.max(axis=0))

    def from_quantiles(self, median: FloatArray, q25: FloatArray, q75: FloatArray,
                       lo: FloatArray, hi: FloatArray) -> RobustScaler:
        """Fitted from each column's median, quartiles, min and max (data seen in chunks:
        :func:`neuronless.data.chunked.fit_scaler`)."""
        self.median = np.asarray(median, dtype=np.float64)
        q25, q75 = np.asarray(q25, dtype=np.float64), np.asarray(q75, dtype=np.float64)
        half_range = 0.5 * (np.asarray(hi, dtype=np.float64) - np.asarray(lo, dtype=np.float64))
        scale = np.where(q75 > q25, q75 - q25, half_range)
        self.scale = np.where(scale > 0, scale, 1.0)
        return self

    def transform(self, X: Any) -> Array:
        c = self.clip

        def forward(a: FloatArray, median: FloatArray, scale: FloatArray) -> FloatArray:
            z = (a - median) / scale
            return z if c is None else z / np.sqrt(1.0 + (z / c) ** 2)

        return self._apply(X, forward)

    def inverse_transform(self, X: Any) -> Array:
        """Undo :meth:`transform`; a clipped value at or beyond ``±clip`` comes back infinite."""
        c = self.clip

        def backward(a: FloatArray, median: FloatArray, scale: FloatArray) -> FloatArray:
            if c is not None:
                with np.errstate(divide="ignore", invalid="ignore"):
                    a = a / np.sqrt(np.maximum(1.0 - (a / c) ** 2, 0.0))
            return a * scale + median  # type: ignore[no-any-return]

        return self._apply(X, backward)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "clip": self.clip}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RobustScaler:
        median, scale = _params_from_dict(d, "robust", ("median", "scale"))
        clip = d.get("clip", ROBUST_CLIP)
        return cls(None if clip is None else float(clip), median=median, scale=scale)


def scaler_from_dict(d: dict[str, Any]) -> StandardScaler | MinMaxScaler:
    """Rebuild whichever scaler ``to_dict`` produced ``d`` (any :data:`Scaler`, RobustScaler too).

    The annotation names the two older kinds until :class:`~neuronless.model.Model` lists
    :data:`Scaler`; a ``"robust"`` dict gives a :class:`RobustScaler`.
    """
    kinds: dict[str, Any] = {"standard": StandardScaler, "minmax": MinMaxScaler,
                             "robust": RobustScaler}
    if d.get("kind") not in kinds:
        raise DataError(f"unknown scaler kind {d.get('kind')!r}; expected one of {list(kinds)}.")
    return kinds[d["kind"]].from_dict(d)  # type: ignore[no-any-return]


#: every scaler kind :func:`scaler_from_dict` rebuilds
Scaler = StandardScaler | MinMaxScaler | RobustScaler


def _params_from_dict(
    d: dict[str, Any], kind: str, fields: tuple[str, ...]
) -> list[FloatArray | None]:
    if d.get("kind") != kind:
        raise DataError(f"expected a scaler dict of kind {kind!r}; got kind {d.get('kind')!r}.")
    out: list[FloatArray | None] = []
    for f in fields:
        value = d.get(f)
        out.append(None if value is None else np.asarray(value, dtype=np.float64))
    return out
