"""Numeric data sets in: text tables, Parquet, ``.npz``/``.npy``, FANN files and data frames,
as a ``Dataset`` (finite float64 features, targets as read).

Text tables and Parquet files are read by :func:`~neuronless.data.read.read_table` (pyarrow
for large files); this module only checks that the feature columns are finite numbers and
says where the first bad value is, in the words of the file's own text. The permissive path
for missing values and text features is ``read_table`` plus the encoders of ``columns.py``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NoReturn

import numpy as np

from ..errors import ConfigError, DataError, ShapeError
from ._common import (
    COMPRESSED_EXTENSIONS,
    FANN_EXTENSIONS,
    PARQUET_EXTENSIONS,
    TABLE_EXTENSIONS,
    Array,
    FloatArray,
    PathLike,
    Target,
    _check_file,
    _is_number,
)
from .labels import infer_task
from .read import (
    _NUMBER_RE,
    NA_VALUES,
    SUPPORTED,
    Table,
    _default_names,
    _na_set,
    _raw_cell,
    _read_text,
    read_table,
)


@dataclass(frozen=True, eq=False)
class Dataset:
    """Features and targets of one data set, with the names of their columns.

    ``X`` is float64 ``(n_samples, n_features)``; ``y`` is ``(n_samples,)`` for one target
    column or ``(n_samples, n_targets)`` for several, numbers or strings. ``X, y = dataset``
    unpacks it.
    """

    X: FloatArray
    y: Array
    feature_names: list[str]
    target_names: list[str]

    def __post_init__(self) -> None:
        if self.X.ndim != 2 or self.y.ndim not in (1, 2) or len(self.y) != len(self.X):
            raise ShapeError(
                f"a Dataset needs X of shape (n_samples, n_features) and y with as many rows; "
                f"got X {self.X.shape} and y {self.y.shape}."
            )
        n_targets = 1 if self.y.ndim == 1 else self.y.shape[1]
        if len(self.feature_names) != self.X.shape[1] or len(self.target_names) != n_targets:
            raise ShapeError(
                f"a Dataset needs one name per column; got {len(self.feature_names)} feature "
                f"names for {self.X.shape[1]} columns and {len(self.target_names)} target names "
                f"for {n_targets}."
            )

    def __iter__(self) -> Iterator[Array]:
        return iter((self.X, self.y))

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def task(self) -> Literal["classification", "regression"]:
        """``infer_task(y)``: what kind of problem the targets describe."""
        return infer_task(self.y)


# --------------------------------------------------------------------------- loading


def load(path: PathLike, target: Target = None, **kwargs: Any) -> Dataset:
    """Load a data set, choosing the reader by the file's extension.

    ``.csv``, ``.tsv``, ``.tab``, ``.txt`` (also ``.gz``/``.bz2``) → :func:`load_csv`;
    ``.parquet``/``.pq`` → :func:`~neuronless.data.read.read_table`, then the checks of
    :func:`load_csv`; ``.npz`` → :func:`load_npz`; ``.npy`` → :func:`load_npy`; FANN
    ``.data``, ``.train``, ``.test`` → :func:`read_fann_data` (whose header fixes inputs and
    outputs, so ``target`` must be None). Extra keyword arguments go to the reader.
    """
    suffixes = [s.lower() for s in Path(path).suffixes]
    ext = suffixes[-1] if suffixes else ""
    if ext in TABLE_EXTENSIONS or (
        ext in COMPRESSED_EXTENSIONS and suffixes[-2:-1] and suffixes[-2] in TABLE_EXTENSIONS
    ):
        return load_csv(path, target=target, **kwargs)
    if ext in PARQUET_EXTENSIONS:
        return _dataset_from_table(read_table(path, **kwargs), target)
    if ext == ".npz":
        return load_npz(path, **kwargs)
    if ext == ".npy":
        return load_npy(path, target=target)
    if ext in FANN_EXTENSIONS:
        if target is not None:
            raise ConfigError(
                f"target= does not apply to the FANN file {path}: its header says which values "
                "are inputs and which outputs. Leave target unset."
            )
        # imported here: neuronless.fann.data imports this package's _common, so a module-level
        # import would make `import neuronless.fann.data` (as the first import) circular
        from ..fann.data import read_fann_data

        X, Y = read_fann_data(path)
        y = Y[:, 0] if Y.shape[1] == 1 else Y
        return Dataset(X, y, _default_names("x", X.shape[1]), _default_names("y", Y.shape[1]))
    raise DataError(
        f"cannot tell the format of {path} from its extension {ext or '(none)'!r}; "
        f"supported: {SUPPORTED}. Rename the file or call load_csv/load_npz/read_fann_data."
    )


def load_csv(
    path: PathLike,
    target: Target = None,
    header: bool | Literal["infer"] = "infer",
    delimiter: str | None = None,
    na_values: Sequence[str] = (),
) -> Dataset:
    """Read a delimited text table: numeric feature columns and one or more target columns.

    Parameters
    ----------
    path
        A ``.csv``, ``.tsv`` or other text file (UTF-8; a byte-order mark is ignored).
    target
        The target column(s): a name, an index (negative counts from the end) or a list of
        them. Default: the last column.
    header
        ``True`` if the first line holds column names, ``False`` if it is data, ``"infer"``
        to decide: it is a header when none of its fields is a number and some column below
        it is numeric. Without a header the columns are called ``col0``, ``col1``, ...
    delimiter
        The field separator. Default: a tab for ``.tsv``/``.tab``, otherwise sniffed from the
        first lines (comma, tab, semicolon, ``|``, else runs of whitespace). ``" "`` means
        runs of whitespace.
    na_values
        More values that mean a missing cell, on top of
        :data:`~neuronless.data.read.NA_VALUES` (a missing feature is still an error).

    Feature columns must hold finite numbers (``true``/``false`` columns count as 1/0); a
    target column may hold text (class labels). A target column of integers comes back as
    int64, other numbers as float64, ``true``/``false`` as the strings ``'true'``/``'false'``,
    anything else as strings. Blank lines are skipped. Any extension is read as text; a
    ``.gz`` or ``.bz2`` file is decompressed first.
    """
    if header not in (True, False, "infer"):
        raise ConfigError(f"header must be True, False or 'infer'; got {header!r}.")
    na = _na_set(na_values) | set(NA_VALUES)
    _check_file(path)
    compression = COMPRESSED_EXTENSIONS.get(Path(path).suffix.lower())

    def features(names: list[str]) -> list[int]:
        t_idx = _resolve_targets(names, target, str(path))
        return [j for j in range(len(names)) if j not in t_idx]

    # a large file's feature columns arrive already in one matrix: X without another copy
    table, matrix = _read_text(path, compression, delimiter, header, na, features)
    return _dataset_from_table(table, target, matrix)


def _dataset_from_table(table: Table, target: Target, matrix: FloatArray | None = None) -> Dataset:
    """The Dataset of a text or Parquet table: checked features, targets as read.

    ``matrix`` (from :func:`~neuronless.data.read._read_text`) becomes X where the table's
    feature columns are its views; the other columns are copied into it.
    """
    names = table.names
    t_idx = _resolve_targets(names, target, table.source)
    f_idx = [j for j in range(len(names)) if j not in t_idx]
    shape = (table.n_rows, len(f_idx))
    X = matrix if matrix is not None and matrix.shape == shape else np.empty(shape)
    held = [_is_column(table.columns[j], X, k) for k, j in enumerate(f_idx)]
    # one pass without a temporary as big as X: NaN and inf survive a sum (an overflow to inf
    # only sends a column to the exact check)
    with np.errstate(invalid="ignore", over="ignore"):
        finite = np.isfinite(X.sum(axis=0)) if any(held) else None
    for k, j in enumerate(f_idx):
        if held[k]:
            assert finite is not None
            if not finite[k] and not np.isfinite(X[:, k]).all():
                _raise_not_finite(table, j, X, k)
        else:
            _table_feature(table, j, X, k)
    parsed = [_table_target(table, j) for j in t_idx]
    y = parsed[0] if len(parsed) == 1 else np.column_stack(parsed)
    return Dataset(X, y, [names[j] for j in f_idx], [names[j] for j in t_idx])


def _is_column(col: Array, X: FloatArray, k: int) -> bool:
    """Whether ``col`` is the view ``X[:, k]`` (the reader filled X in place)."""
    address = X.__array_interface__["data"][0] + k * X.strides[1]
    return (
        col.dtype == X.dtype
        and col.shape == X.shape[:1]
        and col.strides == X.strides[:1]
        and col.__array_interface__["data"][0] == address
    )


def _table_feature(table: Table, j: int, X: FloatArray, k: int) -> None:
    """Copy column ``j`` into ``X[:, k]``, or raise on its first value that is not a finite number."""
    name, col = table.names[j], table.columns[j]
    if col.dtype.kind in "fib":
        X[:, k] = col
    else:  # text (numbers stored as text count) or dates: the first non-number is named
        values = col.tolist()
        for i, v in enumerate(values):
            if not (isinstance(v, str) and _NUMBER_RE.fullmatch(v)):
                raw = _raw_cell(table, i, j)
                _not_a_number(table, name, i, raw if raw is not None or v is None else str(v))
        X[:, k] = [float(v) for v in values]
    if col.dtype.kind not in "iub" and not np.isfinite(X[:, k]).all():
        _raise_not_finite(table, j, X, k)


def _raise_not_finite(table: Table, j: int, X: FloatArray, k: int) -> NoReturn:
    """The first non-finite value of ``X[:, k]`` (column ``j``), in the words of the file."""
    name = table.names[j]
    i = int(np.flatnonzero(~np.isfinite(X[:, k]))[0])
    raw = _raw_cell(table, i, j)
    if raw is None or _is_number(raw):  # nan, inf, -inf as written
        raise DataError(
            f"feature column {name!r} holds {X[i, k]} at {table.where(i)}; training "
            "data must be finite. Fill in or drop missing values first."
        )
    _not_a_number(table, name, i, raw)


def _not_a_number(table: Table, name: str, i: int, raw: str | None) -> NoReturn:
    shown = "a missing value" if raw is None else "an empty field" if raw == "" else repr(raw)
    raise DataError(
        f"feature column {name!r} must be numeric; got {shown} at {table.where(i)}. Only "
        f"target columns may hold text; fix the value, drop column {name!r}, or "
        "pass it as target=."
    )


def _table_target(table: Table, j: int) -> Array:
    name, col = table.names[j], table.columns[j]
    kind = col.dtype.kind
    if kind == "b":
        return np.where(col, "true", "false")  # as infer_task and Labels read booleans
    if kind == "f":
        bad = np.flatnonzero(np.isnan(col))
        if len(bad):
            i = int(bad[0])
            raw = _raw_cell(table, i, j)
            if raw is not None and not _is_number(raw):
                _missing_target(table, name, i)
    if kind == "O":
        values = col.tolist()
        for i, v in enumerate(values):
            if v is None:
                _missing_target(table, name, i)
        return np.array(values, dtype=str)
    return _checked_target(col, table.where, name)


def _missing_target(table: Table, name: str, i: int) -> NoReturn:
    raise DataError(
        f"target column {name!r} has a missing value at {table.where(i)}; fill it in or drop the row."
    )


def from_dataframe(df: Any, target: Target = None) -> Dataset:
    """Turn a data frame (pandas, polars or anything with ``columns`` and ``df[name]``) into a Dataset.

    ``target`` is a column name or position (or a list of them), by default the last column;
    rows are numbered by position from 0 in error messages. Missing values (NaN, None) in a
    feature are an error, as in :func:`load_csv`.
    """
    try:
        labels = list(df.columns)
    except AttributeError:
        raise DataError(
            f"from_dataframe needs a data frame with .columns; got {type(df).__name__}. "
            "For NumPy arrays build Dataset(X, y, feature_names, target_names) directly."
        ) from None
    if not labels:
        raise DataError("the data frame has no columns.")
    columns = [np.asarray(df[label]) for label in labels]
    if len(columns[0]) == 0:
        raise DataError("the data frame has no rows; pass a frame with at least one row.")
    return _build_dataset(
        [str(label) for label in labels],
        columns,
        target,
        where=lambda i: f"row {i}",
        source="the data frame",
    )


def load_npz(path: PathLike, X: str = "X", y: str = "y") -> Dataset:
    """Read arrays ``X`` (2-D numbers) and ``y`` from a NumPy ``.npz`` file (no pickles).

    Optional arrays ``feature_names`` and ``target_names`` name the columns.
    """
    _check_file(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (OSError, ValueError) as err:
        raise DataError(
            f"{path} is not a readable .npz file without pickled objects: {err}"
        ) from None
    missing = [key for key in (X, y) if key not in arrays]
    if missing:
        raise DataError(
            f"{path} must hold arrays {X!r} and {y!r}; missing {', '.join(map(repr, missing))}, "
            f"found {', '.join(map(repr, arrays)) or 'nothing'}. Save with np.savez(path, X=X, y=y)."
        )
    features, targets = np.asarray(arrays[X]), np.asarray(arrays[y])
    if features.ndim == 1:
        features = features.reshape(-1, 1)
    if features.ndim != 2 or targets.ndim not in (1, 2) or len(features) != len(targets):
        raise DataError(
            f"{path}: X must be 2-D and y 1-D or 2-D with as many rows; got X {features.shape} and "
            f"y {targets.shape}."
        )
    if len(features) == 0:
        raise DataError(f"{path} holds no samples (X has 0 rows).")
    feature_names = [
        str(n) for n in arrays.get("feature_names", _default_names("x", features.shape[1]))
    ]
    n_targets = 1 if targets.ndim == 1 else targets.shape[1]
    target_names = [str(n) for n in arrays.get("target_names", _default_names("y", n_targets))]
    columns = [features[:, j] for j in range(features.shape[1])]
    X_checked = _feature_matrix(feature_names, columns, lambda i: f"row {i} of {path}")
    return Dataset(
        X_checked,
        _checked_target(targets, lambda i: f"row {i} of {path}"),
        feature_names,
        target_names,
    )


def load_npy(path: PathLike, target: Target = None) -> Dataset:
    """Read one 2-D numeric array from a ``.npy`` file; ``target`` picks the target column(s)
    by index (default: the last column) and the others are the features ``col0``, ``col1``, ...
    """
    _check_file(path)
    try:
        table = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise DataError(
            f"{path} is not a readable .npy file without pickled objects: {err}"
        ) from None
    if table.ndim != 2 or table.shape[0] == 0 or table.shape[1] < 2:
        raise DataError(
            f"{path} must hold a 2-D table with at least one row and two columns (features and a "
            f"target); got shape {table.shape}. For separate X and y use np.savez and load_npz."
        )
    names = _default_names("col", table.shape[1])
    columns = [table[:, j] for j in range(table.shape[1])]
    return _build_dataset(
        names, columns, target, where=lambda i: f"row {i} of {path}", source=str(path)
    )



# --------------------------------------------------------------------------- checks


def _resolve_targets(names: list[str], target: Target, source: str) -> list[int]:
    wanted: Sequence[int | str]
    if target is None:
        wanted = [len(names) - 1]
    elif isinstance(target, (str, int, np.integer)):
        wanted = [target]  # type: ignore[list-item]
    elif isinstance(target, Sequence):
        wanted = list(target)
    else:
        wanted = [target]  # reported below as not a name or index
    available = ", ".join(repr(n) for n in names)
    indices: list[int] = []
    for t in wanted:
        if isinstance(t, (int, np.integer)) and not isinstance(t, bool):
            if not -len(names) <= t < len(names):
                raise DataError(
                    f"target column index {t} is out of range for {source}, which has {len(names)} "
                    f"columns ({available}); use 0..{len(names) - 1} or -{len(names)}..-1."
                )
            indices.append(int(t) % len(names))
        elif isinstance(t, str):
            matches = [j for j, n in enumerate(names) if n == t]
            if not matches:
                raise DataError(
                    f"target column {t!r} is not in {source}; available columns: {available}. "
                    "Pass one of these names or a column index."
                )
            if len(matches) > 1:
                raise DataError(
                    f"column name {t!r} appears {len(matches)} times in {source}; pass the target by index."
                )
            indices.append(matches[0])
        else:
            raise ConfigError(
                f"target must be a column name, an index or a list of them; got {t!r}."
            )
    if len(set(indices)) != len(indices):
        raise ConfigError(f"target names the same column twice: {list(wanted)!r}.")
    if len(indices) == len(names):
        raise DataError(
            f"every column of {source} is a target, so no feature columns are left; got target={target!r}."
        )
    return indices


def _build_dataset(
    names: list[str], columns: list[Any], target: Target, where: Any, source: str
) -> Dataset:
    t_idx = _resolve_targets(names, target, source)
    f_idx = [j for j in range(len(names)) if j not in t_idx]
    X = _feature_matrix([names[j] for j in f_idx], [columns[j] for j in f_idx], where)
    parsed = [_target_column(names[j], columns[j], where) for j in t_idx]
    y = parsed[0] if len(parsed) == 1 else np.column_stack(parsed)
    return Dataset(X, y, [names[j] for j in f_idx], [names[j] for j in t_idx])


def _feature_matrix(names: list[str], columns: list[Any], where: Any) -> FloatArray:
    X = np.empty((len(columns[0]) if columns else 0, len(columns)), dtype=np.float64)
    for j, (name, col) in enumerate(zip(names, columns, strict=True)):
        try:
            if isinstance(col, np.ndarray) and col.dtype.kind in "biuf":
                X[:, j] = col
            else:  # text: float() is several times faster than NumPy's string casts
                X[:, j] = np.fromiter(map(float, col), dtype=np.float64, count=len(col))
        except (TypeError, ValueError):
            _raise_first_non_number(name, col, where)
        bad = np.flatnonzero(~np.isfinite(X[:, j]))
        if len(bad):
            i = int(bad[0])
            raise DataError(
                f"feature column {name!r} holds {X[i, j]} at {where(i)}; training data must be finite. "
                "Fill in or drop missing values first."
            )
    return X


def _raise_first_non_number(name: str, col: Any, where: Any) -> NoReturn:
    for i, v in enumerate(col):
        try:
            float(v)
        except (TypeError, ValueError):
            shown = (
                "a missing value (None)" if v is None else "an empty field" if v == "" else repr(v)
            )
            raise DataError(
                f"feature column {name!r} must be numeric; got {shown} at {where(i)}. Only "
                f"target columns may hold text; fix the value, drop column {name!r}, or "
                "pass it as target=."
            ) from None
    raise DataError(
        f"feature column {name!r} must hold numbers; got dtype {np.asarray(col).dtype}."
    )


def _target_column(name: str, col: Any, where: Any) -> Array:
    arr = np.asarray(col)
    if arr.dtype.kind in "biuf":
        return _checked_target(arr, where, name)
    values = list(col)
    for i, v in enumerate(values):
        if (
            v is None
            or (isinstance(v, str) and not v.strip())
            or (isinstance(v, float) and math.isnan(v))
        ):
            raise DataError(
                f"target column {name!r} has a missing value at {where(i)}; fill it in or drop the row."
            )
    if all(isinstance(v, str) for v in values):
        for parse, dtype in ((int, np.int64), (float, np.float64)):
            try:
                parsed = np.array([parse(v) for v in values], dtype=dtype)
            except (ValueError, OverflowError):
                continue
            return _checked_target(parsed, where, name)
        return np.array(values, dtype=str)
    if all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in values):
        return _checked_target(np.array(values, dtype=np.float64), where, name)
    return np.array([str(v) for v in values], dtype=str)


def _checked_target(y: Array, where: Any, name: str = "y") -> Array:
    if y.dtype.kind == "f":
        bad = np.argwhere(~np.isfinite(y))
        if len(bad):
            i = int(bad[0][0])
            raise DataError(
                f"target {name!r} holds {y[tuple(bad[0])]} at {where(i)}; targets must be finite."
            )
    elif y.dtype.kind not in "biuUS":
        raise DataError(f"target {name!r} must hold numbers or strings; got dtype {y.dtype}.")
    return y
