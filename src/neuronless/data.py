"""Training data in and out: tables, FANN ``.data`` files, labels, scaling and splits.

Contract: the loaders (:func:`load`, :func:`load_csv`, :func:`load_npz`, :func:`load_npy`,
:func:`from_dataframe`) return a :class:`Dataset` whose ``X`` is a finite float64
``(n_samples, n_features)`` array and whose ``y`` holds the target column(s) as read
(numbers, or strings for class labels); :func:`read_fann_data` / :func:`write_fann_data`
read and write FANN's text format exactly. Every problem with the user's data raises
:class:`~neuronless.errors.DataError` naming the file, line and column (a bad argument is a
``ConfigError``, mismatched array lengths a ``ShapeError``). :class:`Labels`,
:class:`StandardScaler` and :class:`MinMaxScaler` are fitted on training data and turn into
JSON-safe dicts for model files. :func:`split` and :func:`train_test_split` shuffle with a
seed and can keep class proportions. Nothing here trains, prints or touches the network;
pandas is never imported (a data frame is read through its ``columns`` and ``df[name]``).
"""

from __future__ import annotations

import csv
import io
import math
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NoReturn, TypeAlias

import numpy as np
from numpy.typing import NDArray

from .errors import ConfigError, DataError, ShapeError

Array = NDArray[Any]
FloatArray = NDArray[np.float64]
PathLike: TypeAlias = str | os.PathLike[str]
Target: TypeAlias = int | str | Sequence[int | str] | None
Seed: TypeAlias = int | np.random.Generator | None

MAX_CLASSES = 20  # infer_task: at most this many distinct integers can still be class labels
CSV_DELIMITERS = (",", "\t", ";", "|")  # tried in this order when sniffing a file's content
TSV_EXTENSIONS = (".tsv", ".tab")
TABLE_EXTENSIONS = (".csv", ".txt", *TSV_EXTENSIONS)
FANN_EXTENSIONS = (".data", ".train", ".test")  # FANN's own data sets use all three


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

    ``.csv``, ``.tsv``, ``.tab``, ``.txt`` → :func:`load_csv`; ``.npz`` → :func:`load_npz`;
    ``.npy`` → :func:`load_npy`; FANN ``.data``, ``.train``, ``.test`` → :func:`read_fann_data`
    (whose header fixes inputs and outputs, so ``target`` must be None). Extra keyword
    arguments go to the reader.
    """
    ext = Path(path).suffix.lower()
    if ext in TABLE_EXTENSIONS:
        return load_csv(path, target=target, **kwargs)
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
        X, Y = read_fann_data(path)
        y = Y[:, 0] if Y.shape[1] == 1 else Y
        return Dataset(X, y, _default_names("x", X.shape[1]), _default_names("y", Y.shape[1]))
    supported = ", ".join((*TABLE_EXTENSIONS, ".npz", ".npy", *FANN_EXTENSIONS))
    raise DataError(
        f"cannot tell the format of {path} from its extension {ext or '(none)'!r}; "
        f"supported: {supported}. Rename the file or call load_csv/load_npz/read_fann_data."
    )


def load_csv(
    path: PathLike,
    target: Target = None,
    header: bool | Literal["infer"] = "infer",
    delimiter: str | None = None,
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

    Feature columns must hold finite numbers; a target column may hold text (class labels).
    A target column of integers comes back as int64, other numbers as float64, anything else
    as strings. Blank lines are skipped.
    """
    if header not in (True, False, "infer"):
        raise ConfigError(f"header must be True, False or 'infer'; got {header!r}.")
    text = _read_text(path)
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if delimiter is None and lines:
        delimiter = "\t" if Path(path).suffix.lower() in TSV_EXTENSIONS else _sniff(lines[:10])
    rows, line_numbers = _split_rows(text, None if delimiter in (" ", None) else delimiter)
    if not rows:
        raise DataError(f"{path} is empty; expected lines of delimited values, one row per line.")
    width = len(rows[0])
    for fields, line_no in zip(rows, line_numbers, strict=True):
        if len(fields) != width:
            shown = "whitespace" if delimiter in (" ", None) else repr(delimiter)
            raise DataError(
                f"line {line_no} of {path} has {len(fields)} fields; expected {width} like line "
                f"{line_numbers[0]}. Check for a missing or extra separator ({shown}), or pass "
                "delimiter=."
            )
    if header == "infer":
        header = _looks_like_header(rows)
    if header:
        names, rows, line_numbers = (
            [f or f"col{j}" for j, f in enumerate(rows[0])],
            rows[1:],
            line_numbers[1:],
        )
    else:
        names = _default_names("col", width)
    if not rows:
        raise DataError(
            f"{path} has a header line but no data rows; add at least one row of values."
        )
    columns = [[row[j] for row in rows] for j in range(width)]
    return _build_dataset(
        names,
        columns,
        target,
        where=lambda i: f"line {line_numbers[i]} of {path}",
        source=str(path),
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


# --------------------------------------------------------------------------- FANN .data


def read_fann_data(path: PathLike) -> tuple[FloatArray, FloatArray]:
    """Read a FANN ``.data`` file: ``X`` ``(n, num_inputs)`` and ``Y`` ``(n, num_outputs)``.

    The first line is ``num_samples num_inputs num_outputs``; then each sample's inputs and
    its outputs follow, conventionally one line each. Like FANN, any whitespace separates
    values, so the line breaks after the header are not checked.
    """
    text = _read_text(path)
    lines = text.splitlines()
    first = next((k for k, ln in enumerate(lines) if ln.strip()), None)
    if first is None:
        raise DataError(
            f"{path} is empty; a FANN .data file starts with 'num_samples num_inputs num_outputs'."
        )
    head = lines[first].split()
    if len(head) != 3 or not all(tok.isdigit() for tok in head):
        raise DataError(
            f"the first line of {path} must be 'num_samples num_inputs num_outputs' (three "
            f"non-negative integers, as FANN writes it); got {lines[first].strip()!r}."
        )
    n, n_in, n_out = (int(tok) for tok in head)
    if n == 0 or n_in == 0 or n_out == 0:
        raise DataError(
            f"the header of {path} says {n} samples of {n_in} inputs and {n_out} outputs; all three "
            "must be at least 1."
        )
    body = lines[first + 1 :]
    tokens = " ".join(body).split()
    expected = n * (n_in + n_out)
    if len(tokens) != expected:
        raise DataError(
            f"the header of {path} promises {n} samples of {n_in} inputs + {n_out} outputs = "
            f"{expected} values; found {len(tokens)}. Fix the header's first number or the samples."
        )
    try:
        values = np.array(tokens, dtype=np.float64)
    except ValueError:
        for k, ln in enumerate(body):
            for tok in ln.split():
                if not _is_number(tok):
                    raise DataError(
                        f"line {first + 2 + k} of {path} holds {tok!r}; a FANN .data file holds only "
                        "numbers (decimal point '.')."
                    ) from None
        raise  # pragma: no cover - numpy rejected a token that float() accepts
    table = values.reshape(n, n_in + n_out)
    bad = np.argwhere(~np.isfinite(table))
    if len(bad):
        i, j = (int(v) for v in bad[0])
        part, col, line_no = (
            ("input", j, first + 2 + 2 * i) if j < n_in else ("output", j - n_in, first + 3 + 2 * i)
        )
        raise DataError(
            f"sample {i} ({part} {col}, line {line_no} if one line per input/output row) of {path} "
            f"is {table[i, j]}; training data must be finite numbers."
        )
    return table[:, :n_in].copy(), table[:, n_in:].copy()


def write_fann_data(path: PathLike, X: Any, Y: Any) -> None:
    """Write ``X`` and ``Y`` as a FANN ``.data`` file that reads back exactly.

    Integral values are written as integers (as FANN does), others with the shortest text
    that reads back to the same float64 (FANN's own writer keeps 6 decimals). The file is
    written to a temporary file beside ``path`` and renamed, so a crash never leaves half a file.
    """
    X2, Y2 = _as_table(X, "X"), _as_table(Y, "Y")
    if len(X2) != len(Y2):
        raise ShapeError(
            f"X and Y must have one row per sample each; got {len(X2)} and {len(Y2)} rows."
        )
    if len(X2) == 0 or X2.shape[1] == 0 or Y2.shape[1] == 0:
        raise ShapeError(
            f"a FANN .data file needs at least one sample, input and output; got X {X2.shape}, Y {Y2.shape}."
        )
    for name, table in (("X", X2), ("Y", Y2)):
        bad = np.argwhere(~np.isfinite(table))
        if len(bad):
            i, j = (int(v) for v in bad[0])
            raise DataError(
                f"{name}[{i}, {j}] is {table[i, j]}; a FANN .data file holds finite numbers only."
            )
    out = io.StringIO()
    out.write(f"{len(X2)} {X2.shape[1]} {Y2.shape[1]}\n")
    for x_row, y_row in zip(X2.tolist(), Y2.tolist(), strict=True):
        out.write(" ".join(map(_format_value, x_row)) + "\n")
        out.write(" ".join(map(_format_value, y_row)) + "\n")
    _write_atomic(Path(path), out.getvalue())


def _format_value(v: float) -> str:
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _as_table(a: Any, name: str) -> FloatArray:
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise ShapeError(
            f"{name} must be 1-D or 2-D (n_samples, n_columns); got shape {arr.shape}."
        )
    return arr


# --------------------------------------------------------------------------- tables


def _check_file(path: PathLike) -> None:
    p = Path(path)
    if not p.exists():
        raise DataError(
            f"{path}: no such file. Check the path (relative paths start at {os.getcwd()})."
        )
    if p.is_dir():
        raise DataError(f"{path} is a directory; pass a data file.")


def _read_text(path: PathLike) -> str:
    _check_file(path)
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(
            f"{path} is not UTF-8 text; is it a binary file? Save it as UTF-8 CSV."
        ) from None


def _sniff(sample: list[str]) -> str | None:
    """The first delimiter that splits every sample line into the same number (> 1) of fields."""
    for d in CSV_DELIMITERS:
        counts = {len(next(csv.reader([ln], delimiter=d))) for ln in sample}
        if len(counts) == 1 and counts.pop() > 1:
            return d
    for d in CSV_DELIMITERS:  # ragged: keep the delimiter so the error names the bad line
        if d in sample[0]:
            return d
    return None if len(sample[0].split()) > 1 else ","


def _split_rows(text: str, delimiter: str | None) -> tuple[list[list[str]], list[int]]:
    """Non-blank rows as stripped fields, and the file line each starts on (1-based)."""
    rows: list[list[str]] = []
    line_numbers: list[int] = []
    if delimiter is None:
        for k, ln in enumerate(text.splitlines(), start=1):
            if ln.strip():
                rows.append(ln.split())
                line_numbers.append(k)
        return rows, line_numbers
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, skipinitialspace=True)
    start = 1
    for fields in reader:
        if any(f.strip() for f in fields):
            rows.append([f.strip() for f in fields])
            line_numbers.append(start)
        start = reader.line_num + 1
    return rows, line_numbers


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _looks_like_header(rows: list[list[str]]) -> bool:
    """A header has no numeric field, and some column below it starts with a number."""
    if any(_is_number(f) for f in rows[0]):
        return False
    return len(rows) == 1 or any(_is_number(f) for f in rows[1])


def _default_names(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{j}" for j in range(n)]


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


# --------------------------------------------------------------------------- task and labels


def infer_task(y: Any) -> Literal["classification", "regression"]:
    """Guess whether targets are class labels or quantities to predict.

    Strings and booleans are labels; so is a 0/1 matrix with one 1 per row (one-hot). Integers
    (or integral floats) are labels when there are at most 20 distinct values and either at
    most two or fewer than half the number of rows; anything else is regression.

    >>> infer_task(["cat", "dog", "cat"]), infer_task([0, 1, 1, 0]), infer_task([0.5, 1.7, 2.0])
    ('classification', 'classification', 'regression')
    """
    arr = np.asarray(y)
    if arr.size == 0:
        raise DataError("cannot infer the task of an empty target array.")
    if arr.dtype.kind in "bUSO":
        return "classification"
    if arr.ndim == 2 and arr.shape[1] > 1:
        one_hot = np.all((arr == 0) | (arr == 1)) and np.all(arr.sum(axis=1) == 1)
        return "classification" if one_hot else "regression"
    flat = arr.ravel()
    if flat.dtype.kind == "f" and not (
        np.all(np.isfinite(flat)) and np.all(flat == np.round(flat))
    ):
        return "regression"
    n_distinct = len(np.unique(flat))
    if n_distinct <= MAX_CLASSES and (n_distinct <= 2 or n_distinct < len(flat) / 2):
        return "classification"
    return "regression"


class Labels:
    """Map arbitrary class labels (strings, numbers) to indices ``0..k-1`` and back.

    ``classes`` is the sorted list of labels seen by :meth:`fit`, as plain Python values, so
    ``to_dict()`` goes straight into JSON.

    >>> labels = Labels().fit(["dog", "cat", "dog"])
    >>> labels.classes, labels.transform(["cat", "dog"]).tolist(), labels.inverse([1, 0]).tolist()
    (['cat', 'dog'], [0, 1], ['dog', 'cat'])
    """

    def __init__(self, classes: Sequence[Any] | None = None) -> None:
        self.classes: list[Any] = [] if classes is None else list(classes)
        self._index = {c: i for i, c in enumerate(self.classes)}

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    def fit(self, y: Any) -> Labels:
        """Learn the classes of ``y`` (1-D, or a single column)."""
        arr = _label_array(y)
        try:
            classes = np.unique(arr).tolist()
        except TypeError:
            raise DataError(
                "class labels must be all strings or all numbers; got a mix. Convert them to one type."
            ) from None
        self.classes = classes
        self._index = {c: i for i, c in enumerate(classes)}
        return self

    def transform(self, y: Any) -> NDArray[np.int64]:
        """The index of each label in ``classes``; an unseen label is a DataError."""
        self._check_fitted()
        values = _label_array(y).tolist()
        try:
            return np.array([self._index[v] for v in values], dtype=np.int64)
        except (KeyError, TypeError):
            unseen = sorted({repr(v) for v in values if v not in self._index})
            raise DataError(
                f"labels {', '.join(unseen[:5])}{' ...' if len(unseen) > 5 else ''} were not seen by "
                f"fit; known classes: {self.classes!r}. Fit on data that contains every class."
            ) from None

    def fit_transform(self, y: Any) -> NDArray[np.int64]:
        return self.fit(y).transform(y)

    def inverse(self, indices: Any) -> Array:
        """The original labels of class indices."""
        self._check_fitted()
        idx = np.asarray(indices)
        if idx.size and (
            idx.dtype.kind not in "iu" or idx.min() < 0 or idx.max() >= self.n_classes
        ):
            raise DataError(
                f"class indices must be integers in 0..{self.n_classes - 1}; got {idx.tolist()!r}."
            )
        return np.asarray(self.classes)[idx.astype(np.int64)]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "labels", "classes": list(self.classes)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Labels:
        if d.get("kind") != "labels" or not isinstance(d.get("classes"), list):
            raise DataError(f"not a Labels dict (needs kind='labels' and a classes list): {d!r}")
        return cls(d["classes"])

    def _check_fitted(self) -> None:
        if not self.classes:
            raise ConfigError("Labels has no classes yet; call fit(y_train) first.")

    def __repr__(self) -> str:
        return f"Labels({self.classes!r})"


def _label_array(y: Any) -> Array:
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ShapeError(f"labels must be 1-D (one label per sample); got shape {arr.shape}.")
    return arr


# --------------------------------------------------------------------------- scaling


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
        self.mean = arr.mean(axis=0)
        std = arr.std(axis=0)
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


def scaler_from_dict(d: dict[str, Any]) -> StandardScaler | MinMaxScaler:
    """Rebuild whichever scaler ``to_dict`` produced ``d``."""
    kinds: dict[str, Any] = {"standard": StandardScaler, "minmax": MinMaxScaler}
    if d.get("kind") not in kinds:
        raise DataError(f"unknown scaler kind {d.get('kind')!r}; expected one of {list(kinds)}.")
    return kinds[d["kind"]].from_dict(d)  # type: ignore[no-any-return]


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


# --------------------------------------------------------------------------- splitting


def split_indices(
    n: int, fractions: Sequence[float], seed: Seed = None, stratify: Any = None
) -> list[NDArray[np.int64]]:
    """Shuffled row indices ``0..n-1`` cut into parts of the given fractions.

    Part sizes round to the nearest whole numbers that add up to ``n``; every part with a
    positive fraction gets at least one row when ``n`` allows. With ``stratify`` (one label
    per row) each class is cut in the same proportions, and a class with at least as many
    rows as there are parts appears in every part.
    """
    fr = np.asarray(fractions, dtype=np.float64)
    if (
        fr.ndim != 1
        or len(fr) < 2
        or np.any(fr < 0)
        or not math.isclose(float(fr.sum()), 1.0, abs_tol=1e-9)
    ):
        raise ConfigError(
            f"fractions must be two or more non-negative numbers that sum to 1; got {list(fractions)!r}."
        )
    rng = _generator(seed)
    totals = _apportion(n, fr)
    if stratify is None:
        perm = rng.permutation(n)
        return [part.astype(np.int64) for part in np.split(perm, np.cumsum(totals)[:-1])]
    codes = Labels().fit_transform(stratify)
    if len(codes) != n:
        raise ShapeError(f"stratify must have one label per sample ({n}); got {len(codes)}.")
    counts = np.bincount(codes)
    alloc = _allocate(counts, totals)
    parts: list[list[NDArray[np.int64]]] = [[] for _ in fr]
    for c in range(len(counts)):
        members = rng.permutation(np.flatnonzero(codes == c))
        for p, chunk in enumerate(np.split(members, np.cumsum(alloc[c])[:-1])):
            parts[p].append(chunk)
    return [rng.permutation(np.concatenate(chunks)).astype(np.int64) for chunks in parts]


def split(
    X: Any,
    y: Any,
    fractions: Sequence[float] = (0.7, 0.15, 0.15),
    seed: Seed = None,
    stratify: Any = None,
) -> list[tuple[Array, Array]]:
    """Cut ``(X, y)`` into shuffled parts, e.g. train, validation and test: ``[(X_a, y_a), ...]``.

    ``stratify`` is None, ``True`` (stratify by ``y``) or one label per row; see
    :func:`split_indices`. The same ``seed`` always gives the same parts.
    """
    X_arr, y_arr = np.asarray(X), np.asarray(y)
    if len(X_arr) != len(y_arr):
        raise ShapeError(
            f"X and y must have one row per sample each; got {len(X_arr)} and {len(y_arr)}."
        )
    labels = y_arr if stratify is True else stratify
    return [(X_arr[idx], y_arr[idx]) for idx in split_indices(len(X_arr), fractions, seed, labels)]


def train_test_split(
    X: Any, y: Any, test_fraction: float = 0.2, seed: Seed = None, stratify: Any = None
) -> tuple[Array, Array, Array, Array]:
    """``X_train, X_test, y_train, y_test`` (scikit-learn's order); see :func:`split`.

    >>> X_tr, X_te, y_tr, y_te = train_test_split(np.arange(10).reshape(5, 2), [0, 1, 0, 1, 0], seed=0)
    >>> X_tr.shape, X_te.shape
    ((4, 2), (1, 2))
    """
    if not 0.0 < test_fraction < 1.0:
        raise ConfigError(
            f"test_fraction must be between 0 and 1 (exclusive); got {test_fraction!r}."
        )
    (X_tr, y_tr), (X_te, y_te) = split(X, y, (1.0 - test_fraction, test_fraction), seed, stratify)
    return X_tr, X_te, y_tr, y_te


def _generator(seed: Seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)):
        return np.random.default_rng(seed)
    raise ConfigError(f"seed must be an int, a numpy Generator or None; got {seed!r}.")


def _apportion(n: int, fractions: FloatArray) -> NDArray[np.int64]:
    """Whole sizes summing to ``n``, nearest to ``n * fractions`` (largest remainders first),
    with at least 1 for each positive fraction when ``n`` has enough rows."""
    exact = n * fractions
    sizes = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - sizes), kind="stable")
    sizes[order[: n - int(sizes.sum())]] += 1
    positive = fractions > 0
    if n >= int(positive.sum()):
        for p in np.flatnonzero(positive & (sizes == 0)):
            sizes[p] += 1
            sizes[int(np.argmax(sizes))] -= 1  # the largest part has > 1 here
    return sizes


def _allocate(counts: NDArray[np.int64], totals: NDArray[np.int64]) -> NDArray[np.int64]:
    """A class × part matrix of whole counts: row sums are the class sizes, column sums as
    close to ``totals`` as the rounding allows, proportional within each class."""
    n = int(counts.sum())
    exact = np.outer(counts, totals / n)
    alloc: NDArray[np.int64] = np.floor(exact).astype(np.int64)
    wanted = totals > 0
    for c in np.flatnonzero(counts >= wanted.sum()):  # every class in every part, if it can be
        alloc[c, wanted & (alloc[c] == 0)] = 1
        while alloc[c].sum() > counts[c]:
            alloc[c, int(np.argmax(alloc[c]))] -= 1
    remainder = exact - alloc
    for _ in range(int((counts - alloc.sum(axis=1)).sum())):
        room = (counts - alloc.sum(axis=1))[:, None] > 0
        short = (totals - alloc.sum(axis=0))[None, :] > 0
        score = np.where(room, remainder + 2.0 * short, -np.inf)  # a short part wins first
        c, p = np.unravel_index(int(np.argmax(score)), score.shape)
        alloc[c, p] += 1
        remainder[c, p] -= 1.0
    return alloc
