"""Tables in, before any encoding: text tables, Parquet, ``.npz``/``.npy``, FANN files, frames.

Contract: :func:`read_table` (a file) and :func:`as_table` (a file, a data frame, a dict of
columns or an array) return a :class:`Table`: unique column names and equal-length 1-D NumPy
columns, each one of

- float64 (NaN = missing), int64 (no missing value), bool (no missing value),
- object (``str`` values, ``None`` = missing), datetime64 (NaT = missing).

Nothing here encodes, imputes, scales or drops a column (``data/columns.py`` does); every
problem with the data is a :class:`~neuronless.errors.DataError` naming the file, the line
(the real file line: header, blank lines and quoted newlines counted) or row, what was
expected and how to fix it.

Text tables (``.csv``, ``.tsv``/``.tab``, ``.txt``, each also ``.gz`` or ``.bz2``): a column is
int64 if every value is an integer (``-?[0-9]+``, in range) and none is missing; float64 if
every value that is not missing is a number (``1.5``, ``-2e3``, ``.5``, ``+1``, ``inf``); bool
if every value is ``true``/``false`` in any case (float64 1/0/NaN when some are missing);
datetime64 for ISO dates (``2024-01-31``, unit ``D``) or timestamps (``2024-01-31T08:15:00``,
optionally ``.fff``, ``Z`` or ``+02:00``, converted to UTC, unit ``us``, fractions beyond the
microsecond dropped); text otherwise. A value is missing when, with its surrounding
whitespace stripped, it is one of :data:`NA_VALUES` or of the caller's ``na_values``; text
values are stripped too, and a quoted line break reads as ``\\n``. A row whose fields are all
blank is skipped like a blank line. Header names are stripped; an empty one becomes ``colJ``
(J its position) and a repeated one ``name.1``, ``name.2``, ... (first come keeps the plain
name), so every column can be named.

The engine. Text tables of :data:`SMALL_FILE_BYTES` and more are parsed by ``pyarrow.csv``:
C++, multi-threaded, typed columns built block by block, the numbers never Python objects.
The text is cut at line breaks into pieces of :data:`PIECE_BYTES`; each is parsed with all
threads (the next one while this thread copies the last into NumPy columns, or straight into
the numeric loader's matrix) and released at once, so memory stays near the size of the
final columns (a file holding quotes, whose line breaks may sit inside a value, is parsed as
one stream instead). pandas' C engine parses about as fast, but it is a far heavier import
and dependency, and its DataFrame would be copied again. pyarrow itself costs ~0.13 s to
import, more than reading a small file, so it is imported only for large files; smaller ones
go through a stdlib reader (the ``csv`` module) that applies the same rules and builds the
identical Table (tests/test_read.py checks this on generated tables). Wherever pyarrow's
own reading differs from these rules (hexadecimal integers, ``nan(...)`` spellings, a padded
numeric ``na_values`` entry, dates, pieces that disagree on a column's type), the affected
columns are read again as text; where it cannot tell (a ragged row, bad UTF-8, a quote
after a space, a row with every value missing, which may be a blank row), the whole file
goes through the stdlib reader, which is the reference: slower, and it holds the rows as
Python strings. Whitespace-separated files always go through it.

>>> t = as_table({"size": [1.5, float("nan")], "colour": ["red", None]})
>>> t.names, t.n_rows, t.column("colour").tolist()
(['size', 'colour'], 2, ['red', None])
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import math
import os
import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NoReturn

import numpy as np

if TYPE_CHECKING:
    from concurrent.futures import Future

from ..errors import ConfigError, DataError, ShapeError
from ._common import (
    COMPRESSED_EXTENSIONS,
    CSV_DELIMITERS,
    FANN_EXTENSIONS,
    PARQUET_EXTENSIONS,
    TABLE_EXTENSIONS,
    TSV_EXTENSIONS,
    Array,
    PathLike,
    _check_file,
    _is_number,
)

#: text tables smaller than this (uncompressed) are read without importing pyarrow
SMALL_FILE_BYTES = 1 << 20
#: values that mean "missing" in a text table (after stripping surrounding whitespace)
NA_VALUES = ("", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "?")
#: pyarrow's block: big enough to keep its threads busy, small enough to keep few in memory
BLOCK_SIZE = 1 << 20
#: text parsed by one multi-threaded pyarrow call (8 blocks; both measured best here)
PIECE_BYTES = 8 << 20
#: a first guess at a compressed text's size, to size the growing columns
COMPRESSION_GUESS = 5

SUPPORTED = (
    ", ".join(TABLE_EXTENSIONS)
    + f" (each also {' or '.join(COMPRESSED_EXTENSIONS)}), "
    + ", ".join((*PARQUET_EXTENSIONS, ".npz", ".npy", *FANN_EXTENSIONS))
)

_BOM = b"\xef\xbb\xbf"
_INT = r"-?[0-9]+"
_NUMBER = r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?|[nN][aA][nN])"
_DATETIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,9}))?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?"
)
_NUMBER_RE = re.compile(_NUMBER)
_INT_LIMIT = 2**63
_TRUE, _FALSE = "true", "false"


def _spellings(word: str) -> list[str]:
    """Every upper/lower-case spelling of ``word`` (pyarrow matches booleans exactly)."""
    out = [""]
    for ch in word:
        out = [s + c for s in out for c in (ch.lower(), ch.upper())]
    return out


# --------------------------------------------------------------------------- the Table


@dataclass(frozen=True, eq=False)
class Table:
    """Columns as read from a file or frame, before any encoding.

    ``names`` are unique; ``columns`` are 1-D arrays of equal length, each float64 (NaN =
    missing), int64, bool, object (``str``, ``None`` = missing) or datetime64 (NaT =
    missing). ``source`` is the path as given, or ``"the data frame"`` / ``"the arrays"``;
    ``default_target`` names the columns a file marks as outputs (a FANN ``.data`` file's, an
    ``.npz`` file's ``y``). :meth:`where` says where a row came from, for error messages.

    >>> t = Table(["a", "b"], [np.array([1, 2]), np.array(["x", None], dtype=object)], "the arrays")
    >>> t.take(np.array([1])).where(0), t.drop(["a"]).names
    ('row 1 of the arrays', ['b'])
    """

    names: list[str]
    columns: list[Array]
    source: str
    default_target: list[str] | None = None
    _lines: _Lines | None = field(default=None, repr=False)  # file line of each original row
    _rows: Array | None = field(default=None, repr=False)  # original row of each row (take)

    def __post_init__(self) -> None:
        if len(self.names) != len(self.columns):
            raise ShapeError(
                f"a Table needs one name per column; got {len(self.names)} names for "
                f"{len(self.columns)} columns."
            )
        if len(set(self.names)) != len(self.names):
            dup = next(n for n in self.names if self.names.count(n) > 1)
            raise ConfigError(
                f"a Table's column names must be unique; {dup!r} appears "
                f"{self.names.count(dup)} times. Rename the columns."
            )
        n = self.n_rows
        for name, col in zip(self.names, self.columns, strict=True):
            if not isinstance(col, np.ndarray) or col.ndim != 1 or len(col) != n:
                shape = getattr(col, "shape", type(col).__name__)
                raise ShapeError(
                    f"column {name!r} must be a 1-D array of {n} rows like the first column; "
                    f"got {shape}."
                )
            if col.dtype not in (np.float64, np.int64, np.bool_, np.object_) and (
                col.dtype.kind != "M"
            ):
                raise ConfigError(
                    f"column {name!r} has dtype {col.dtype}; a Table holds float64, int64, "
                    "bool, object (str) or datetime64 columns. Build tables with as_table()."
                )

    @property
    def n_rows(self) -> int:
        if self.columns:
            return len(self.columns[0])
        return 0 if self._rows is None else len(self._rows)

    def where(self, i: int) -> str:
        """Where row ``i`` came from: ``"line 23 of data.csv"`` or ``"row 23 of the data frame"``."""
        row = int(i if self._rows is None else self._rows[i])
        if self._lines is not None:
            return f"line {self._lines.line(row)} of {self.source}"
        return f"row {row} of {self.source}"

    def column(self, name: str) -> Array:
        """The column called ``name``."""
        try:
            return self.columns[self.names.index(name)]
        except ValueError:
            raise DataError(
                f"column {name!r} is not in {self.source}; available columns: "
                f"{', '.join(map(repr, self.names)) or 'none'}. Pass one of these names."
            ) from None

    def take(self, rows: Array) -> Table:
        """The rows ``rows`` (indices or a boolean mask); :meth:`where` still names the original lines."""
        idx = np.asarray(rows)
        if idx.dtype == np.bool_:
            if idx.shape != (self.n_rows,):
                raise ShapeError(
                    f"a boolean row mask needs one entry per row ({self.n_rows}); got shape {idx.shape}."
                )
            idx = np.flatnonzero(idx)
        elif idx.dtype.kind not in "iu" or idx.ndim != 1:
            raise ConfigError(
                f"take() needs a 1-D array of row indices or a boolean mask; got "
                f"{idx.dtype} of shape {idx.shape}."
            )
        base = np.arange(self.n_rows) if self._rows is None else self._rows
        return Table(
            list(self.names),
            [c[idx] for c in self.columns],
            self.source,
            self.default_target,
            self._lines,
            base[idx],
        )

    def drop(self, names: Sequence[str]) -> Table:
        """The table without the columns ``names``."""
        if isinstance(names, str):
            names = [names]
        for name in names:
            self.column(name)  # the error names the available columns
        gone = set(names)
        keep = [j for j, n in enumerate(self.names) if n not in gone]
        target = [n for n in self.default_target or [] if n not in gone] or None
        rows = self._rows
        if not keep and rows is None:
            rows = np.arange(self.n_rows)  # keeps n_rows and where() meaningful
        return Table(
            [self.names[j] for j in keep],
            [self.columns[j] for j in keep],
            self.source,
            target,
            self._lines,
            rows,
        )


class _Lines:
    """The file line of each row of a text table, found on first use.

    ``scan`` yields ``(line, fields)`` for the file's data rows, as the stdlib reader sees them;
    it runs only when a line number or a cell's raw text is asked for (error messages), so the
    pyarrow path never pays for it otherwise.
    """

    def __init__(
        self,
        lines: Array | None = None,
        scan: Callable[[], Iterator[tuple[int, list[str]]]] | None = None,
    ) -> None:
        self._array = lines
        self._scan = scan

    def line(self, row: int) -> int:
        if self._array is None:
            assert self._scan is not None
            self._array = np.fromiter((k for k, _ in self._scan()), dtype=np.int64)
        return int(self._array[row])

    def raw(self, row: int, j: int) -> str | None:
        """The stripped text of column ``j`` in data row ``row``, or None if unknown."""
        if self._scan is None:
            return None
        for r, (_, fields) in enumerate(self._scan()):
            if r == row:
                return fields[j].strip() if j < len(fields) else None
        return None


def _raw_cell(table: Table, i: int, j: int) -> str | None:
    """The text a text table held at row ``i``, column ``j`` (slow: rescans the file)."""
    if table._lines is None:
        return None
    row = int(i if table._rows is None else table._rows[i])
    return table._lines.raw(row, j)


# --------------------------------------------------------------------------- entry points


def read_table(
    path: PathLike,
    *,
    delimiter: str | None = None,
    header: bool | Literal["infer"] = "infer",
    na_values: Sequence[str] = (),
) -> Table:
    """Read a table file into typed columns, choosing the reader by its extension.

    Parameters
    ----------
    path
        ``.csv``, ``.tsv``/``.tab``, ``.txt`` (each also ``.gz``/``.bz2``), ``.parquet``/``.pq``,
        ``.npz`` (arrays ``X`` and ``y``, optional ``feature_names``/``target_names``; the ``y``
        columns are the ``default_target``), ``.npy`` (a 2-D numeric table, columns ``col0``,
        ``col1``, ...) or FANN ``.data``/``.train``/``.test`` (inputs ``x0``, ..., outputs
        ``y0``, ... as the ``default_target``).
    delimiter
        Text tables only. Default: a tab for ``.tsv``/``.tab``, otherwise sniffed from the
        first lines (comma, tab, semicolon, ``|``, else runs of whitespace); ``" "`` means runs
        of whitespace.
    header
        Text tables only. ``True`` if the first line holds column names, ``False`` if it is
        data, ``"infer"``: a header when none of its fields is a number and some field of the
        next line is. Without a header the columns are ``col0``, ``col1``, ...
    na_values
        More values that mean missing (text tables, and text columns elsewhere), on top of
        :data:`NA_VALUES` for text tables.

    The typing rules are in the module docstring.
    """
    if header not in (True, False, "infer"):
        raise ConfigError(f"header must be True, False or 'infer'; got {header!r}.")
    na = _na_set(na_values)
    _check_file(path)
    kind, compression = _format_of(path)
    if kind == "text":
        return _read_text_table(path, compression, delimiter, header, na | set(NA_VALUES))
    if delimiter is not None or header != "infer":
        raise ConfigError(
            f"delimiter= and header= apply to text tables only; {path} is a {kind} file. "
            "Leave them unset."
        )
    if kind == "parquet":
        return _read_parquet(path, na)
    if kind == "npz":
        return _read_npz(path, na)
    if kind == "npy":
        return _read_npy(path)
    return _read_fann(path)


def as_table(data: Any, *, na_values: Sequence[str] = ()) -> Table:
    """Turn a table-like object into a :class:`Table`.

    Accepts a Table (returned as is), a path (:func:`read_table`), a pandas DataFrame or a
    polars DataFrame (neither library is imported here), a dict of name -> 1-D sequence, a
    2-D NumPy array (columns ``x0``, ``x1``, ...) or a 1-D array (one column ``x0``). Rows of
    in-memory data are numbered from 0 in messages (``"row 3 of the data frame"``).

    Missing values in memory are None, NaN, NaT and pandas' ``NA``; text is kept as given
    (no stripping), and a text value equal to one of ``na_values`` is missing too. Integer
    columns with a missing value become float64, booleans with one float64 1/0/NaN, and a
    categorical column becomes text; time zones are converted to UTC.

    >>> as_table(np.array([[1.0, 2.0], [3.0, 4.0]])).names
    ['x0', 'x1']
    """
    if isinstance(data, Table):
        return data
    if isinstance(data, (str, os.PathLike)):
        return read_table(data, na_values=na_values)
    na = _na_set(na_values)
    if _is_pandas(data):
        return _from_pandas(data, na)
    if _is_polars(data):
        return _from_arrow_table(data.to_arrow(), "the data frame", na)
    if isinstance(data, Mapping):
        return _from_columns(
            [str(k) for k in data], [np.asarray(v) for v in data.values()], "the arrays", na
        )
    if isinstance(data, np.ndarray) and data.ndim in (1, 2):
        cols = [data] if data.ndim == 1 else [data[:, j] for j in range(data.shape[1])]
        return _from_columns([f"x{j}" for j in range(len(cols))], cols, "the arrays", na)
    shape = f" of shape {data.shape}" if isinstance(data, np.ndarray) else ""
    raise DataError(
        f"as_table accepts a Table, a file path, a pandas or polars DataFrame, a dict of "
        f"name -> 1-D sequence, or a 1-D or 2-D NumPy array; got {type(data).__name__}{shape}. "
        "For a list of rows pass np.asarray(rows)."
    )


def _na_set(na_values: Sequence[str]) -> set[str]:
    if isinstance(na_values, str) or not all(isinstance(v, str) for v in na_values):
        raise ConfigError(
            f"na_values must be a list of strings; got {na_values!r}. For one value write "
            f"na_values=[{na_values!r}]."
            if isinstance(na_values, str)
            else f"na_values must be a list of strings; got {na_values!r}."
        )
    return {v.strip() for v in na_values}


def _format_of(path: PathLike) -> tuple[str, str | None]:
    """``(kind, compression)`` from the file name: kind text, parquet, npz, npy or fann."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    ext = suffixes[-1] if suffixes else ""
    compression = COMPRESSED_EXTENSIONS.get(ext)
    if compression is not None:
        inner = suffixes[-2] if len(suffixes) > 1 else ""
        if inner in TABLE_EXTENSIONS:
            return "text", compression
    elif ext in TABLE_EXTENSIONS:
        return "text", None
    elif ext in PARQUET_EXTENSIONS:
        return "parquet", None
    elif ext in (".npz", ".npy"):
        return ext[1:], None
    elif ext in FANN_EXTENSIONS:
        return "fann", None
    shown = "".join(suffixes[-2:]) if compression else ext
    raise DataError(
        f"cannot tell the format of {path} from its extension {shown or '(none)'!r}; "
        f"supported: {SUPPORTED}. Rename the file."
    )


# --------------------------------------------------------------------------- text: the rules


def _fullmatch_all(pattern: str, values: list[str]) -> bool:
    """Whether every value matches ``pattern`` (one regex pass over the joined values)."""
    if not values:
        return True
    joined = "\n".join(values)
    if joined.count("\n") != len(values) - 1:  # a value holds a line break: check one by one
        rx = re.compile(pattern)
        return all(rx.fullmatch(v) for v in values)
    return re.fullmatch(f"(?:(?:{pattern})\n)*(?:{pattern})", joined) is not None


def _infer_text(raw: Sequence[str], na: set[str], *, arrow: bool = False) -> Array:
    """A text column's values (as split from the file) -> its typed column, by the rules above.

    The single place where the rules live; both readers call it. With ``arrow`` it also
    raises :class:`_Fallback` on a value pyarrow split differently from the csv module.
    """
    values = [v.strip() for v in raw]
    present = [v for v in values if v not in na]
    n_missing = len(values) - len(present)
    if not present:
        return np.full(len(values), np.nan)
    if _fullmatch_all(_INT, present):
        try:
            ints = np.fromiter(map(int, present), dtype=np.int64, count=len(present))
        except OverflowError:
            pass  # beyond int64: float64, as pyarrow reads it
        else:
            if not n_missing:
                return ints
            out = np.full(len(values), np.nan)  # int64 -> float64 as pyarrow casts (-0 is 0.0)
            out[[v not in na for v in values]] = ints
            return out
    if _fullmatch_all(_NUMBER, present):
        return np.array([math.nan if v in na else float(v) for v in values], dtype=np.float64)
    lower = [v.lower() for v in present]
    if all(v in (_TRUE, _FALSE) for v in lower) and all(v.isascii() for v in present):
        if not n_missing:
            return np.array([v == _TRUE for v in lower], dtype=np.bool_)
        return np.array(
            [math.nan if v in na else float(v.lower() == _TRUE) for v in values], dtype=np.float64
        )
    if _fullmatch_all(_DATETIME.pattern, present):
        dates = _parse_datetimes(values, na)
        if dates is not None:
            return dates
    if arrow and any(v.startswith(" ") and v.lstrip(" ").startswith('"') for v in raw):
        raise _Fallback  # the csv module skips spaces before a quote; pyarrow keeps them
    out = np.empty(len(values), dtype=object)
    out[:] = [None if v in na else _newlines(v) for v in values]
    return out


def _newlines(v: str) -> str:
    return v.replace("\r\n", "\n").replace("\r", "\n") if "\r" in v else v


def _parse_datetimes(values: list[str], na: set[str]) -> Array | None:
    """ISO dates (unit D) or timestamps (UTC, unit us); None if one is not a real date."""
    out: list[dt.datetime | None] = []
    dates_only = True
    for v in values:
        if v in na:
            out.append(None)
            continue
        m = _DATETIME.fullmatch(v)
        assert m is not None
        y, mo, d, hh, mm, ss, frac, tz = m.groups()
        try:
            t = dt.datetime(
                int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0),
                int((frac or "0")[:6].ljust(6, "0")),
            )  # fmt: skip
            if tz and tz != "Z":
                sign = 1 if tz[0] == "+" else -1
                digits = tz[1:].replace(":", "")
                t -= sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        except (ValueError, OverflowError):
            return None
        dates_only = dates_only and hh is None
        out.append(t)
    return np.array(out, dtype="datetime64[D]" if dates_only else "datetime64[us]")


def _unique_names(names: Sequence[str]) -> list[str]:
    """Names made unique: a repeat becomes ``name.1``, ``name.2``, ... (never an existing name)."""
    taken = set(names)
    seen: set[str] = set()
    out = []
    for name in names:
        if name in seen:
            k = 1
            while f"{name}.{k}" in taken:
                k += 1
            name = f"{name}.{k}"
            taken.add(name)
        seen.add(name)
        out.append(name)
    return out


def _header_names(fields: Sequence[str]) -> list[str]:
    return _unique_names([_newlines(f.strip()) or f"col{j}" for j, f in enumerate(fields)])


def _default_names(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{j}" for j in range(n)]


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


def _looks_like_header(rows: list[list[str]]) -> bool:
    """A header has no numeric field, and some column below it starts with a number."""
    if any(_is_number(f) for f in rows[0]):
        return False
    return len(rows) == 1 or any(_is_number(f) for f in rows[1])


def _scan_rows(lines: Iterable[str], delimiter: str | None) -> Iterator[tuple[int, list[str]]]:
    """``(line, fields)`` of each non-blank row; ``lines`` keep their line breaks.

    ``delimiter`` None splits on runs of whitespace (no quoting). Raises ``csv.Error``.
    """
    if delimiter is None:
        for k, ln in enumerate(lines, start=1):
            fields = ln.split()
            if fields:
                yield k, fields
        return
    reader = csv.reader(lines, delimiter=delimiter, skipinitialspace=True)
    start = 1
    for fields in reader:
        if any(f.strip() for f in fields):
            yield start, fields
        start = reader.line_num + 1


@dataclass(frozen=True)
class _Layout:
    """How a text table is laid out, decided from its first lines."""

    delimiter: str | None  # None: runs of whitespace
    header: bool
    names: list[str]
    first_line: int  # the line of the first row (the header, if any): "like line M"
    data_start: int  # physical lines before the data rows (through the header)


class _NeedMore(Exception):
    """The sample of lines ends before the layout can be decided."""


def _layout(
    path: PathLike,
    lines: list[str],
    complete: bool,
    delimiter: str | None,
    header: bool | Literal["infer"],
    tsv: bool,
) -> _Layout:
    """Delimiter, header and names from the first ``lines`` (all of them if ``complete``)."""
    nonblank = [ln.rstrip("\r\n") for ln in lines if ln.strip()][:10]
    if not complete and len(nonblank) < 10:
        raise _NeedMore
    if delimiter is None and nonblank:
        delimiter = "\t" if tsv else _sniff(nonblank)
    sep = None if delimiter == " " else delimiter
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in _scan_rows(lines, sep):
            rows.append(row)
            if len(rows) == 3:  # a third row proves the first two are whole
                break
    except csv.Error as err:
        raise DataError(f"{path} cannot be read as delimited text: {err}.") from None
    if not complete and len(rows) < 3:
        raise _NeedMore
    if not rows:
        raise DataError(f"{path} is empty; expected lines of delimited values, one row per line.")
    if header == "infer":
        header = _looks_like_header([f for _, f in rows[:2]])
    width = len(rows[0][1])
    if header:
        if len(rows) == 1:
            raise DataError(
                f"{path} has a header line but no data rows; add at least one row of values."
            )
        names = _header_names(rows[0][1])
        # the header row may span lines (a quoted line break): data starts where row 1 does,
        # less the blank lines before it, which the readers skip anyway
        data_start = rows[1][0] - 1
    else:
        names, data_start = _default_names("col", width), 0
    return _Layout(sep, bool(header), names, rows[0][0], data_start)


def _ragged(path: PathLike, layout: _Layout, line: int, n_fields: int) -> NoReturn:
    shown = "whitespace" if layout.delimiter is None else repr(layout.delimiter)
    raise DataError(
        f"line {line} of {path} has {n_fields} fields; expected {len(layout.names)} like line "
        f"{layout.first_line}. Check for a missing or extra separator ({shown}), or pass "
        "delimiter=."
    )


def _check_delimiter(delimiter: str | None) -> None:
    if delimiter is not None and (
        not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n'
    ):
        raise ConfigError(
            f"delimiter must be one character other than a quote or line break (' ' for runs "
            f"of whitespace); got {delimiter!r}."
        )


# --------------------------------------------------------------------------- text: the readers


def _read_text_table(
    path: PathLike,
    compression: str | None,
    delimiter: str | None,
    header: bool | Literal["infer"],
    na: set[str],
) -> Table:
    """A text table, by pyarrow if it is large, else (or if pyarrow cannot) by the stdlib."""
    return _read_text(path, compression, delimiter, header, na)[0]


#: which columns, by the table's names, go into one float64 matrix (the numeric loader's X)
Features = Callable[[list[str]], list[int]]


def _read_text(
    path: PathLike,
    compression: str | None,
    delimiter: str | None,
    header: bool | Literal["infer"],
    na: set[str],
    features: Features | None = None,
) -> tuple[Table, Array | None]:
    """The table, and with ``features`` (pyarrow path only) a C-order float64 matrix of the
    feature columns, filled block by block as pyarrow parses. In the table, a feature column
    the matrix holds is its view ``matrix[:, k]`` (float64 even for integers or booleans); one
    that was text is the text column, and its matrix column is undefined."""
    _check_delimiter(delimiter)
    with _BigFields():
        return _read_text_unlimited(path, compression, delimiter, header, na, features)


def _read_text_unlimited(
    path: PathLike,
    compression: str | None,
    delimiter: str | None,
    header: bool | Literal["infer"],
    na: set[str],
    features: Features | None,
) -> tuple[Table, Array | None]:
    suffixes = [s.lower() for s in Path(path).suffixes]
    inner = suffixes[-2:-1] if compression else suffixes[-1:]
    tsv = bool(inner) and inner[0] in TSV_EXTENSIONS
    if compression is None:
        head, large = b"", os.path.getsize(path) >= SMALL_FILE_BYTES
    else:  # the decompressed size decides
        head = _read_bytes(path, compression, limit=SMALL_FILE_BYTES)
        large = len(head) >= SMALL_FILE_BYTES
    if large and delimiter != " ":
        read = _read_arrow(path, compression, delimiter, header, na, tsv, features)
        if read is not None:
            return read
    if large or compression is None:
        head = _read_bytes(path, compression)
    return _read_stdlib(path, compression, head, delimiter, header, na, tsv, features), None


def _read_bytes(path: PathLike, compression: str | None, limit: int = -1) -> bytes:
    """The file's (decompressed) bytes, or the first ``limit`` of them."""
    try:
        if compression is None:
            with open(path, "rb") as f:
                return f.read(limit)
        import bz2  # here, not at the top: the small files' path stays lean to import
        import gzip

        opener = gzip.open if compression == "gzip" else bz2.open
        with opener(path, "rb") as f:
            if limit < 0:
                return f.read()
            parts, size = [], 0  # in steps: a huge limit must not be allocated up front
            while size < limit and (part := f.read(min(limit - size, 1 << 20))):
                parts.append(part)
                size += len(part)
            return b"".join(parts)
    except (OSError, EOFError, ValueError, zlib.error) as err:
        raise DataError(
            f"{path} is not a readable {compression or 'text'} file ({err}); check that it is "
            "complete, or decompress it first."
        ) from None


def _decode(path: PathLike, data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError(
            f"{path} is not UTF-8 text: it starts with a UTF-16 byte-order mark. Save it as "
            "UTF-8 (in a spreadsheet: 'CSV UTF-8')."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = len(re.findall(rb"\r\n|\r|\n", data[: err.start])) + 1
        raise DataError(
            f"{path} is not UTF-8 text (line {line} holds the byte "
            f"{data[err.start : err.start + 1]!r}); is it a binary file? Save it as UTF-8 CSV."
        ) from None


def _lines_of(text: str) -> list[str]:
    """Physical lines (split at \\r\\n, \\r or \\n), each with its line break."""
    return io.StringIO(text, newline="").readlines()


def _read_stdlib(
    path: PathLike,
    compression: str | None,
    data: bytes,
    delimiter: str | None,
    header: bool | Literal["infer"],
    na: set[str],
    tsv: bool,
    features: Features | None = None,
) -> Table:
    """The reference reader: the csv module and :func:`_infer_text`."""
    lines = _lines_of(_decode(path, data))
    layout = _layout(path, lines, True, delimiter, header, tsv)
    if features is not None:
        features(layout.names)  # a bad target is named before the rows, as on the pyarrow path
    width = len(layout.names)
    rows: list[list[str]] = []
    line_numbers: list[int] = []
    try:
        for k, fields in _scan_rows(lines, layout.delimiter):
            if len(fields) != width:
                _ragged(path, layout, k, len(fields))
            rows.append(fields)
            line_numbers.append(k)
    except csv.Error as err:
        raise DataError(f"{path} cannot be read as delimited text: {err}.") from None
    if layout.header:
        rows, line_numbers = rows[1:], line_numbers[1:]
    columns = [_infer_text(col, na) for col in zip(*rows, strict=True)]
    del rows
    return Table(
        layout.names,
        columns,
        str(path),
        _lines=_Lines(np.array(line_numbers, dtype=np.int64), _rescan(path, compression, layout)),
    )


class _BigFields:
    """Let the csv module read fields of any size while in the block (its limit is 128 KiB).

    The limit is global to the csv module; it is raised only while a file is read.
    """

    def __enter__(self) -> None:
        self.old = csv.field_size_limit()
        csv.field_size_limit(max(self.old, 2**31 - 1))

    def __exit__(self, *exc: object) -> None:
        csv.field_size_limit(self.old)


def _rescan(
    path: PathLike, compression: str | None, layout: _Layout
) -> Callable[[], Iterator[tuple[int, list[str]]]]:
    """A function yielding the data rows of ``path`` again, as the stdlib reader saw them."""

    def scan() -> Iterator[tuple[int, list[str]]]:
        data = _read_bytes(path, compression)
        rows = _scan_rows(_lines_of(_decode(path, data)), layout.delimiter)
        with _BigFields():
            if layout.header:
                next(rows, None)
            yield from rows

    return scan


class _Fallback(Exception):
    """pyarrow read the file differently from the rules; the stdlib reader must decide."""


class _AsText(Exception):
    """These columns must be read again as text, by the rules rather than pyarrow's."""

    def __init__(self, names: Iterable[str]) -> None:
        super().__init__()
        self.names = set(names)


def _read_arrow(
    path: PathLike,
    compression: str | None,
    delimiter: str | None,
    header: bool | Literal["infer"],
    na: set[str],
    tsv: bool,
    features: Features | None = None,
) -> tuple[Table, Array | None] | None:
    """A large text table by pyarrow; None when the stdlib reader must read it instead."""
    import pyarrow as pa  # type: ignore[import-untyped]

    layout, offset, rows_guess = _arrow_layout(path, compression, delimiter, header, tsv)
    if layout is None or layout.delimiter is None:
        return None
    f_idx = None if features is None else features(layout.names)
    as_text: set[str] = set()
    mode = "pieces"
    for _ in range(len(layout.names) + 3):
        try:
            columns, matrix = _arrow_columns(
                path, compression, layout, offset, rows_guess, na, as_text, mode, f_idx
            )
        except _AsText as redo:
            if redo.names <= as_text:
                return None
            as_text |= redo.names
            continue
        except _Quoted:
            mode = "stream"  # quoted fields may hold line breaks: pieces cannot be cut safely
            continue
        except _Fallback:
            return None
        except pa.ArrowInvalid as err:
            if mode == "stream" and "conversion error" in str(err):
                mode = "table"  # a later block broke the first block's types: infer on all
                continue
            return None  # ragged, bad quoting, bad UTF-8: the stdlib reader says where
        except (pa.ArrowException, OSError):
            return None
        if not columns or len(columns[0]) == 0:
            return None
        lines = _Lines(scan=_rescan(path, compression, layout))
        return Table(layout.names, columns, str(path), _lines=lines), matrix
    return None


def _arrow_layout(
    path: PathLike,
    compression: str | None,
    delimiter: str | None,
    header: bool | Literal["infer"],
    tsv: bool,
) -> tuple[_Layout | None, int, int]:
    """The layout from the file's first lines, the byte offset of its first data row and a
    generous guess at the number of rows (from the sample's bytes per line)."""
    size = 1 << 16
    while True:
        data = _read_bytes(path, compression, limit=size)
        complete = len(data) < size
        cut = len(data) if complete else max(data.rfind(b"\n"), data.rfind(b"\r")) + 1
        try:
            lines = _lines_of(data[:cut].decode("utf-8-sig"))
            layout = _layout(path, lines, complete, delimiter, header, tsv)
        except UnicodeDecodeError:
            return None, 0, 0
        except _NeedMore:
            if size >= 1 << 26:  # 64 MiB without ten lines: let the stdlib reader judge
                return None, 0, 0
            size *= 4
            continue
        bom = len(_BOM) if data.startswith(_BOM) else 0
        offset = bom + len("".join(lines[: layout.data_start]).encode())
        per_line = max((cut - offset) / max(len(lines) - layout.data_start, 1), 1.0)
        size_guess = os.path.getsize(path) * (COMPRESSION_GUESS if compression else 1)
        # too many rows cost nothing: NumPy's untouched pages are never resident
        return layout, offset, int((size_guess - offset) / per_line * 1.25) + 1024


class _Quoted(Exception):
    """The data holds a quote: it must be parsed as one stream."""


def _arrow_columns(
    path: PathLike,
    compression: str | None,
    layout: _Layout,
    offset: int,
    rows_guess: int,
    na: set[str],
    as_text: set[str],
    mode: str,
    f_idx: list[int] | None = None,
) -> tuple[list[Array], Array | None]:
    """One pyarrow pass over the data rows; raises _AsText, _Quoted, _Fallback or pyarrow's errors.

    ``mode``: ``"pieces"`` cuts the text at line breaks into pieces of :data:`PIECE_BYTES` and
    parses each with all threads (the fastest, but only right while no quote can hide a line
    break); ``"stream"`` is pyarrow's streaming reader (one thread, types from the first
    block); ``"table"`` reads the whole file at once (types from all rows, the most memory).
    Each piece or batch is copied into the columns' sinks and released at once; the columns
    ``f_idx`` go into one shared matrix instead (see :func:`_read_text`).
    """
    from concurrent.futures import Future, ThreadPoolExecutor

    import pyarrow as pa
    import pyarrow.csv as pacsv  # type: ignore[import-untyped]

    read = pacsv.ReadOptions(column_names=layout.names, block_size=BLOCK_SIZE, use_threads=True)
    parse = pacsv.ParseOptions(  # pieces hold no quote: no quoting to look for
        delimiter=layout.delimiter,
        quote_char=False if mode == "pieces" else '"',
        newlines_in_values=mode != "pieces",
        ignore_empty_lines=True,
    )
    text_types = {name: pa.string() for name in as_text}

    def convert(types: dict[str, Any]) -> Any:
        return pacsv.ConvertOptions(
            null_values=sorted(na),
            true_values=_spellings(_TRUE),
            false_values=_spellings(_FALSE),
            strings_can_be_null=False,
            column_types={**types, **text_types},
        )

    numbers = [float(v) for v in na if _NUMBER_RE.fullmatch(v)]
    numeric_na = np.array([v for v in numbers if not math.isnan(v)])
    matrix = None if f_idx is None else _Matrix(rows_guess, len(f_idx))
    slots = {j: k for k, j in enumerate(f_idx or [])}
    sinks = [
        _Sink(name, rows_guess, numeric_na, matrix, slots.get(j))
        for j, name in enumerate(layout.names)
    ]
    hexadecimal = False
    stream = pa.input_stream(str(path), compression=compression)
    try:
        stream.read(offset)  # the header and anything before it were read by _layout
        if mode == "pieces":
            floats: dict[str, Any] = {}  # the first piece's float64 columns, told to the rest

            def parse_piece(piece: Any) -> Any:
                try:
                    return pacsv.read_csv(piece, read, parse, convert(floats))
                except pa.ArrowInvalid:
                    if not floats:
                        raise
                    return pacsv.read_csv(piece, read, parse, convert({}))  # not all numbers

            # pyarrow parses the next piece (without the GIL) while this thread copies the last
            # one into the sinks: two buffers take turns, so neither is refilled while parsed
            with ThreadPoolExecutor(max_workers=1) as pool:
                parsing: Future[Any] | None = None
                for data, cut in _pieces(stream, lambda: all(s.kind != "text" for s in sinks)):
                    if data.find(b'"', 0, cut) >= 0:
                        raise _Quoted
                    hexadecimal = hexadecimal or _has_hex_bytes(data, cut)
                    piece = pa.py_buffer(memoryview(data)[:cut])
                    if parsing is None:  # the first piece decides which columns are floats
                        tab = parse_piece(piece)
                        floats = {
                            n: pa.float64()
                            for n, c in zip(layout.names, tab.columns, strict=True)
                            if pa.types.is_float64(c.type) and n not in as_text
                        }
                        parsing = Future()
                        parsing.set_result(tab)
                        continue
                    tab = parsing.result()
                    parsing = pool.submit(parse_piece, piece)
                    _feed(sinks, [c.chunks for c in tab.columns])
                    del tab, piece
                if parsing is not None:
                    _feed(sinks, [c.chunks for c in parsing.result().columns])
        elif mode == "stream":
            for batch in pacsv.open_csv(stream, read, parse, convert({})):
                _feed(sinks, [[c] for c in batch.columns])
            hexadecimal = any(s.ints for s in sinks) and _has_hex(path, compression, offset)
        else:
            tab = pacsv.read_csv(stream, read, parse, convert({}))
            columns = tab.columns
            del tab
            for j, col in enumerate(columns):
                _feed([sinks[j]], [col.chunks])
                columns[j] = None
            hexadecimal = any(s.ints for s in sinks) and _has_hex(path, compression, offset)
    finally:
        stream.close()
    ints = [s.name for s in sinks if s.ints]
    if hexadecimal and [n for n in ints if n not in as_text]:
        raise _AsText(ints)
    if matrix is not None:
        matrix.finish(max(s.n for s in sinks))
    columns = [s.finish(na) for s in sinks]
    if _has_missing_row(columns):
        raise _Fallback  # blank rows are skipped by the rules, and pyarrow cannot tell them
    return columns, None if matrix is None else matrix.array


def _pieces(stream: Any, reuse: Callable[[], bool]) -> Iterator[tuple[bytearray, int]]:
    """The text in pieces ending at a line break: ``(data, cut)``, the piece is ``data[:cut]``.

    A piece is the unparsed tail of the last one, then the stream read straight in behind it.
    Two buffers take turns, reused while ``reuse()`` says so (nothing kept may point into
    them: numbers are copied out); a new buffer costs fresh pages, each a page fault. So a
    piece stays intact until the next-but-one is asked for.
    """
    pending = b""
    buffers = [bytearray(), bytearray()]  # one being parsed while the other is filled
    turn = 0  # the buffer to fill: never the one handed out last
    while True:
        start = len(pending)
        data = buffers[turn]
        if not reuse() or len(data) < start + PIECE_BYTES:
            data = buffers[turn] = bytearray(start + PIECE_BYTES + (1 << 16))  # room for a tail
        data[:start] = pending
        got = stream.readinto(memoryview(data)[start : start + PIECE_BYTES])
        if not got:
            if pending and not pending.isspace():
                yield bytearray(pending), len(pending)
            return
        end = start + got
        cut = max(data.rfind(b"\n", 0, end), data.rfind(b"\r", 0, end)) + 1
        if cut == 0:  # one row longer than a piece: read on, into the same buffer
            pending = bytes(data[:end])
            continue
        pending = bytes(data[cut:end])
        if cut > 64 or not data[:cut].isspace():  # (a long piece is never all blank)
            yield data, cut
            turn = 1 - turn


def _feed(sinks: list[_Sink], columns: list[Any]) -> None:
    """Give each sink its column's chunks; ask for a text pass of the columns that need one.

    Block by block across the columns (pyarrow cuts every column at the same rows), so the
    rows of a shared matrix being written stay in the cache.
    """
    if len({len(chunks) for chunks in columns}) == 1:
        for row in zip(*columns, strict=True):
            for sink, chunk in zip(sinks, row, strict=True):
                sink.add(chunk)
    else:
        for sink, chunks in zip(sinks, columns, strict=True):
            for chunk in chunks:
                sink.add(chunk)
    redo = [s.name for s in sinks if s.redo]
    if redo:
        raise _AsText(redo)


def _fresh(rows: int, columns: int, dtype: Any = np.float64) -> Array:
    """An uninitialised C-order array whose untouched pages are never resident.

    A large one is mapped anonymously rather than by ``np.empty``: NumPy asks the kernel for
    huge pages on arrays of 4 MiB and more, and where the kernel then compacts memory on the
    first touch (``defrag=madvise``), filling 80 MB took 0.2 s longer than the parsing saved.
    """
    dt_ = np.dtype(dtype)
    size = rows * columns * dt_.itemsize
    if size < 1 << 22:
        return np.empty((rows, columns), dtype=dt_)
    import mmap

    return np.frombuffer(mmap.mmap(-1, size), dtype=dt_).reshape(rows, columns)


def _grown(array: Array, filled: int, rows: int) -> Array:
    """``array`` with room for ``rows`` rows, its first ``filled`` rows kept."""
    if array.ndim == 2:
        out = _fresh(rows, array.shape[1], array.dtype)
    else:
        out = _fresh(rows, 1, array.dtype)[:, 0]
    out[:filled] = array[:filled]
    return out


class _Matrix:
    """A C-order float64 matrix that grows by rows; its views are handed out only at the end."""

    def __init__(self, capacity: int, n_columns: int) -> None:
        self.array = _fresh(capacity, n_columns)  # untouched rows are never resident
        self.filled = 0

    def array_for(self, n: int) -> Array:
        if n > len(self.array):
            self.array = _grown(self.array, self.filled, max(n, len(self.array) * 3 // 2))
        self.filled = max(self.filled, n)
        return self.array

    def finish(self, n: int) -> None:
        self.array = self.array[:n]


class _Sink:
    """One column of a pyarrow pass: numbers go into a growing NumPy array, text is kept.

    Pieces infer their types one by one, so a column may come as integers, then floats, then
    all-missing (pyarrow's null type); the sink widens to float64 as the rules do, and asks
    for a text pass (``redo``) when kinds mix (numbers and booleans or text) or pyarrow's
    reading cannot be trusted (a NaN spelled otherwise, a padded numeric missing value, dates).
    """

    def __init__(
        self,
        name: str,
        capacity: int,
        numeric_na: Array,
        matrix: _Matrix | None = None,
        slot: int | None = None,
    ) -> None:
        self.name = name
        self.capacity = capacity
        self.numeric_na = numeric_na  # missing-value spellings that are numbers
        self.matrix = matrix if slot is not None else None  # numbers go to its column `slot`
        self.slot = slot
        self.kind: str | None = None  # number, bool or text; None while every value is missing
        self.buf: Array | None = None
        self.n = 0
        self.text: list[Any] = []
        self.number_type: str | None = None  # int or float, as pyarrow read the first numbers
        self.ints = False  # pyarrow read integers: they might have been hexadecimal
        self.redo = False

    def add(self, col: Any) -> None:
        import pyarrow as pa

        kind, m = _arrow_kinds().get(col.type.id), len(col)
        if kind == "null":
            if self.kind == "text":
                self.text.append(pa.nulls(m, pa.string()))
            else:
                self._put(np.full(m, np.nan))
            return
        if kind is None:
            self.redo = True  # dates or times: the rules decide, from the text
            return
        group = "number" if kind in ("int", "float") else kind
        if self.kind is None:
            if group == "text" and self.n:  # the missing values so far, as text
                self.text.append(pa.nulls(self.n, pa.string()))
                self.buf, self.n = None, 0
            if group == "text":
                self.matrix = None  # text stays text; the numeric loader names its bad value
            self.kind = group
        elif group != self.kind:
            self.redo = True  # numbers, booleans and text mixed: a text column, by the rules
            return
        if group == "text":
            self.text.append(col)
            return
        if group == "number":
            if self.number_type is None:
                self.number_type = kind
            elif kind != self.number_type:
                # integers in one piece, floats in another: pyarrow read '-0' as 0 in the
                # first, the rules read it as -0.0 (the column is float64)
                self.redo = True
                return
            self.ints = self.ints or kind == "int"
        if group == "number":  # the common case, without _numpy_of's questions
            data = col.buffers()
            values = np.frombuffer(data[1], _NUMPY_OF[kind], m, col.offset * 8)
            valid = None if not col.null_count else _validity(data[0], col.offset, m)
        else:
            values, valid = _numpy_of(col)
        # a NaN spelled otherwise ('NAN', 'nan(1)') is not missing: the rules decide. (The sum
        # is NaN if a value is; checked exactly only then.)
        # (Not for the numeric loader's matrix: it refuses any NaN, naming the text it was.)
        with np.errstate(invalid="ignore", over="ignore"):  # inf - inf is NaN, a false alarm
            suspect = kind == "float" and self.matrix is None and math.isnan(values.sum())
        if suspect:
            if np.count_nonzero(np.isnan(values)) != col.null_count:
                self.redo = True
                return
        if len(self.numeric_na) and group == "number":
            present = values if valid is None else values[valid]
            if np.isin(present, self.numeric_na).any():
                self.redo = True  # pyarrow matches ' -999 ' as a number, the rules as missing
                return
        if valid is not None:
            values = np.where(valid, values, np.nan)
        self._put(values)

    def _put(self, values: Array) -> None:
        m = len(values)
        if self.matrix is not None:
            array = self.matrix.array
            if self.n + m > len(array):
                array = self.matrix.array_for(self.n + m)
            array[self.n : self.n + m, self.slot] = values
            self.n += m
            self.matrix.filled = max(self.matrix.filled, self.n)
            return
        if self.buf is None:
            self.buf = _fresh(max(self.capacity, m), 1, values.dtype)[:, 0]
        elif values.dtype == np.float64 and self.buf.dtype != np.float64:
            # integers or booleans meet a missing value: float64 from here on
            wider = _fresh(len(self.buf), 1)[:, 0]
            wider[: self.n] = self.buf[: self.n]
            self.buf = wider
        if self.n + m > len(self.buf):
            self.buf = _grown(self.buf, self.n, max(self.n + m, len(self.buf) * 3 // 2))
        self.buf[self.n : self.n + m] = values
        self.n += m

    def finish(self, na: set[str]) -> Array:
        import pyarrow as pa

        if self.kind == "text":
            chunks = pa.chunked_array(self.text, pa.string())
            self.text = []
            values = chunks.to_pylist()
            if chunks.null_count:  # pieces where every value was missing
                values = ["" if v is None else v for v in values]
            return _infer_text(values, na, arrow=True)
        if self.matrix is not None:
            return self.matrix.array[:, self.slot]
        assert self.buf is not None
        buf, self.buf = self.buf[: self.n], None  # the unused tail was never touched
        return buf


_NUMPY_OF = {"int": np.dtype(np.int64), "float": np.dtype(np.float64)}


def _validity(bitmap: Any, offset: int, n: int) -> Array:
    """An Arrow validity bitmap as a NumPy bool mask."""
    bits = np.frombuffer(bitmap, dtype=np.uint8)
    return np.unpackbits(bits, count=offset + n, bitorder="little")[offset:].astype(np.bool_)


@functools.cache
def _arrow_kinds() -> dict[int, str]:
    """pyarrow type id -> what the sinks make of it (other types are read again as text)."""
    import pyarrow as pa

    return {
        pa.string().id: "text",
        pa.large_string().id: "text",
        pa.bool_().id: "bool",
        pa.int64().id: "int",
        pa.float64().id: "float",
        pa.null().id: "null",
    }


def _numpy_of(arr: Any) -> tuple[Array, Array | None]:
    """A fixed-width pyarrow array's values and validity mask (None if no nulls), as NumPy.

    Read from its buffers: pyarrow's own ``to_numpy`` imports pandas for every array that is
    not zero-copy (booleans, or any with nulls), and pandas costs more than the whole read.
    """
    import pyarrow as pa

    t, n, off = arr.type, len(arr), arr.offset
    if pa.types.is_null(t):
        return np.full(n, np.nan), None
    bufs = arr.buffers()
    valid = _validity(bufs[0], off, n) if arr.null_count else None
    if pa.types.is_boolean(t):
        bits = np.frombuffer(bufs[1], dtype=np.uint8)
        return np.unpackbits(bits, count=off + n, bitorder="little")[off:].astype(np.bool_), valid
    dtype: np.dtype[Any]
    if pa.types.is_timestamp(t):
        dtype, unit = np.dtype(np.int64), f"datetime64[{t.unit}]"
    elif pa.types.is_date32(t):
        dtype, unit = np.dtype(np.int32), "datetime64[D]"
    elif pa.types.is_date64(t):
        dtype, unit = np.dtype(np.int64), "datetime64[ms]"
    else:
        code = "f" if pa.types.is_floating(t) else "u" if pa.types.is_unsigned_integer(t) else "i"
        dtype, unit = np.dtype(f"{code}{t.bit_width // 8}"), ""
    values = np.frombuffer(bufs[1], dtype=dtype, count=n, offset=off * dtype.itemsize)
    if unit:
        values = values.astype(unit)
        if valid is not None:
            values[~valid] = np.datetime64("NaT")
    return values, valid


def _has_hex_bytes(data: bytes | bytearray, end: int) -> bool:
    """Whether ``data[:end]`` holds '0x' or '0X' (pyarrow reads 0x1F as the integer 31).

    Searches for the letter (memchr) and looks back for the 0: a two-byte search is many
    times slower on text full of zeros.
    """
    for letter in (b"x", b"X"):
        i = data.find(letter, 0, end)
        while i >= 0:
            if i and data[i - 1] == 0x30:
                return True
            i = data.find(letter, i + 1, end)
    return False


def _has_hex(path: PathLike, compression: str | None, offset: int) -> bool:
    """Whether the data rows hold '0x' or '0X' (pyarrow reads 0x1F as the integer 31).

    Searches for the letter (one memchr pass) and looks back for the 0: a two-byte search is
    many times slower on text full of zeros.
    """
    import pyarrow as pa

    with pa.input_stream(str(path), compression=compression) as stream:
        stream.read(offset)
        prev = b""
        while chunk := stream.read(1 << 22):
            for letter in (b"x", b"X"):
                i = chunk.find(letter)
                while i >= 0:
                    if (chunk[i - 1 : i] if i else prev) == b"0":
                        return True
                    i = chunk.find(letter, i + 1)
            prev = chunk[-1:]
    return False


def _has_missing_row(columns: list[Array]) -> bool:
    missing: Array | None = None
    for col in columns:
        m: Array
        if col.dtype.kind == "f":
            m = np.isnan(col)
        elif col.dtype == np.object_:
            m = np.array([v is None for v in col.tolist()], dtype=np.bool_)
        elif col.dtype.kind == "M":
            m = np.isnat(col)
        else:
            return False
        missing = m if missing is None else missing & m
        if not missing.any():
            return False
    return missing is not None and bool(missing.any())


# --------------------------------------------------------------------------- other files


def _read_parquet(path: PathLike, na: set[str]) -> Table:
    import pyarrow as pa
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    try:
        tab = pq.read_table(str(path))
    except (pa.ArrowException, OSError) as err:
        raise DataError(
            f"{path} is not a readable Parquet file ({err}); check that it is complete and "
            "was written as Parquet."
        ) from None
    if tab.num_rows == 0:
        raise DataError(f"{path} holds no rows; add at least one row of values.")
    return _from_arrow_table(tab, str(path), na)


def _read_npz(path: PathLike, na: set[str]) -> Table:
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (OSError, ValueError, EOFError, zlib.error) as err:
        raise DataError(
            f"{path} is not a readable .npz file without pickled objects: {err}"
        ) from None
    missing = [key for key in ("X", "y") if key not in arrays]
    if missing:
        raise DataError(
            f"{path} must hold arrays 'X' and 'y'; missing {', '.join(map(repr, missing))}, "
            f"found {', '.join(map(repr, arrays)) or 'nothing'}. Save with np.savez(path, X=X, y=y)."
        )
    X, y = arrays["X"], arrays["y"]
    X = X.reshape(-1, 1) if X.ndim == 1 else X
    y = y.reshape(-1, 1) if y.ndim == 1 else y
    if X.ndim != 2 or y.ndim != 2 or len(X) != len(y) or len(X) == 0:
        raise DataError(
            f"{path}: X must be 2-D and y 1-D or 2-D, with as many rows (at least one); got "
            f"X {arrays['X'].shape} and y {arrays['y'].shape}."
        )
    x_names = _names_from(arrays.get("feature_names"), "x", X.shape[1], path, "feature_names")
    y_names = _names_from(arrays.get("target_names"), "y", y.shape[1], path, "target_names")
    names = _unique_names(x_names + y_names)
    cols = [X[:, j] for j in range(X.shape[1])] + [y[:, j] for j in range(y.shape[1])]
    table = _from_columns(names, cols, str(path), na)
    return Table(table.names, table.columns, table.source, names[X.shape[1] :])


def _names_from(arr: Any, prefix: str, n: int, path: PathLike, key: str) -> list[str]:
    if arr is None:
        return _default_names(prefix, n)
    names = [str(v) for v in np.asarray(arr).ravel()]
    if len(names) != n:
        raise DataError(
            f"{path}: {key} has {len(names)} names for {n} columns; give one per column."
        )
    return names


def _read_npy(path: PathLike) -> Table:
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as err:
        raise DataError(
            f"{path} is not a readable .npy file without pickled objects: {err}"
        ) from None
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.dtype.kind not in "biuf":
        raise DataError(
            f"{path} must hold a 2-D numeric table with at least one row; got shape "
            f"{arr.shape} of {arr.dtype}. For separate X and y use np.savez (an .npz file)."
        )
    return _from_columns(
        _default_names("col", arr.shape[1]),
        [arr[:, j] for j in range(arr.shape[1])],
        str(path),
        set(),
    )


def _read_fann(path: PathLike) -> Table:
    from ..fann.data import read_fann_data

    X, Y = read_fann_data(path)
    names = _default_names("x", X.shape[1]) + _default_names("y", Y.shape[1])
    columns = [np.ascontiguousarray(X[:, j]) for j in range(X.shape[1])]
    columns += [np.ascontiguousarray(Y[:, j]) for j in range(Y.shape[1])]
    per_sample = X.shape[1] + Y.shape[1]
    return Table(
        names,
        columns,
        str(path),
        names[X.shape[1] :],
        _Lines(scan=_fann_scan(path, per_sample)),
    )


def _fann_scan(path: PathLike, per_sample: int) -> Callable[[], Iterator[tuple[int, list[str]]]]:
    """Each sample's line in a FANN file: the line holding its first value."""

    def scan() -> Iterator[tuple[int, list[str]]]:
        from ._common import _read_text

        lines = _read_text(path).splitlines()
        first = next(k for k, ln in enumerate(lines) if ln.strip())
        seen = 0  # values before this line
        for k, ln in enumerate(lines[first + 1 :], start=first + 2):
            count = len(ln.split())
            start = -(-seen // per_sample)  # the first sample that starts on or after `seen`
            for _ in range(start, -(-(seen + count) // per_sample)):
                yield k, []
            seen += count

    return scan


# --------------------------------------------------------------------------- data in memory


def _from_columns(names: list[str], cols: list[Any], source: str, na: set[str]) -> Table:
    """Arrays (any dtype NumPy makes of a sequence) -> Table columns, with checked lengths."""
    names = _unique_names(names)
    out = []
    for name, col in zip(names, cols, strict=True):
        arr = np.asarray(col)
        if arr.ndim != 1:
            raise ShapeError(
                f"column {name!r} of {source} must be 1-D; got shape {arr.shape}. Pass one "
                "sequence of values per column."
            )
        out.append(_from_numpy(arr, name, source, na))
    lengths = {len(c) for c in out}
    if len(lengths) > 1:
        raise ShapeError(
            f"the columns of {source} must have equal lengths; got "
            + ", ".join(f"{n!r}: {len(c)}" for n, c in zip(names, out, strict=True))
            + "."
        )
    return Table(names, out, source)


def _from_numpy(arr: Array, name: str, source: str, na: set[str]) -> Array:
    kind = arr.dtype.kind
    if kind == "b":
        return arr.astype(np.bool_)
    if kind == "i" or (kind == "u" and (len(arr) == 0 or arr.max() < _INT_LIMIT)):
        return arr.astype(np.int64)
    if kind in "uf":
        return arr.astype(np.float64)
    if kind == "M":
        return arr
    if kind == "U":
        return _from_objects(arr.tolist(), name, source, na, text_only=True)
    if kind == "S":
        try:
            return _from_objects(
                [v.decode() for v in arr.tolist()], name, source, na, text_only=True
            )
        except UnicodeDecodeError:
            pass
    elif kind == "O":
        return _from_objects(arr.tolist(), name, source, na)
    raise DataError(
        f"column {name!r} of {source} holds {arr.dtype} values; a table column must hold "
        "numbers, booleans, text or dates. Convert it (for example to str) or leave it out."
    )


def _is_missing(v: Any) -> bool:
    return (
        v is None
        or (isinstance(v, float) and math.isnan(v))
        or type(v).__name__ in ("NAType", "NaTType")  # pandas' NA and NaT, without pandas
        or (isinstance(v, np.datetime64) and np.isnat(v))
    )


def _from_objects(
    values: list[Any], name: str, source: str, na: set[str], text_only: bool = False
) -> Array:
    """Python values -> a typed column: numbers, booleans, dates, else text (str of each)."""
    missing = [_is_missing(v) or (isinstance(v, str) and v in na) for v in values]
    present = [v for v, m in zip(values, missing, strict=True) if not m]
    n_missing = len(values) - len(present)
    if not present and not text_only:
        return np.full(len(values), np.nan)
    if not text_only:
        if all(isinstance(v, (bool, np.bool_)) for v in present):
            if not n_missing:
                return np.array(present, dtype=np.bool_)
            return np.array(
                [math.nan if m else float(v) for v, m in zip(values, missing, strict=True)]
            )
        numbers = (int, float, np.integer, np.floating)
        if all(isinstance(v, numbers) and not isinstance(v, (bool, np.bool_)) for v in present):
            if not n_missing and all(isinstance(v, (int, np.integer)) for v in present):
                try:
                    return np.array(present, dtype=np.int64)
                except OverflowError:
                    pass
            return np.array(
                [math.nan if m else float(v) for v, m in zip(values, missing, strict=True)],
                dtype=np.float64,
            )
        if all(isinstance(v, (dt.date, np.datetime64)) for v in present):
            return _datetimes_from_objects(values, missing, name, source)
    out = np.empty(len(values), dtype=object)
    out[:] = [
        None if m else v if isinstance(v, str) else str(v)
        for v, m in zip(values, missing, strict=True)
    ]
    return out


def _datetimes_from_objects(
    values: list[Any], missing: list[bool], name: str, source: str
) -> Array:
    out: list[Any] = []
    for v, m in zip(values, missing, strict=True):
        if m:
            out.append(None)
        elif isinstance(v, dt.datetime) and v.tzinfo is not None:
            out.append(v.astimezone(dt.timezone.utc).replace(tzinfo=None))
        else:
            out.append(v)
    try:
        return np.array(out, dtype="datetime64[us]")
    except (ValueError, TypeError, OverflowError) as err:
        raise DataError(
            f"column {name!r} of {source} holds dates NumPy cannot read: {err}."
        ) from None


def _is_pandas(data: Any) -> bool:
    return all(hasattr(data, a) for a in ("columns", "dtypes", "iloc", "isna"))


def _is_polars(data: Any) -> bool:
    return all(hasattr(data, a) for a in ("columns", "schema", "to_arrow", "get_column"))


def _from_pandas(df: Any, na: set[str]) -> Table:
    source = "the data frame"
    names = _unique_names([str(c) for c in df.columns])
    columns = []
    for j, name in enumerate(names):
        s = df.iloc[:, j]
        dtype = s.dtype
        kind = getattr(dtype, "kind", "O")
        if isinstance(dtype, np.dtype) and kind != "O":
            columns.append(_from_numpy(s.to_numpy(), name, source, na))
            continue
        if str(dtype) == "category":
            values = s.astype(object).to_numpy().tolist()
            columns.append(_from_objects(values, name, source, na, text_only=True))
            continue
        missing = np.asarray(s.isna(), dtype=bool)
        if kind in "iu" and not missing.any():
            columns.append(_from_numpy(s.to_numpy(dtype=dtype.numpy_dtype), name, source, na))
        elif kind in "iuf":
            columns.append(s.to_numpy(dtype=np.float64, na_value=np.nan))
        elif kind == "b":
            if missing.any():
                columns.append(s.to_numpy(dtype=np.float64, na_value=np.nan))
            else:
                columns.append(s.to_numpy(dtype=np.bool_))
        elif kind == "M":  # time-zone aware: the same instants in UTC, without a zone
            if getattr(s.dt, "tz", None) is not None:
                s = s.dt.tz_convert("UTC").dt.tz_localize(None)
            columns.append(np.asarray(s.to_numpy(dtype="datetime64[ns]")))
        else:
            columns.append(_from_objects(s.to_numpy(dtype=object).tolist(), name, source, na))
    return Table(names, columns, source)


def _from_arrow_table(tab: Any, source: str, na: set[str]) -> Table:
    names = _unique_names([str(n) for n in tab.column_names])
    cols = tab.columns
    del tab
    out = []
    for j, name in enumerate(names):
        out.append(_from_arrow(cols[j], name, source, na))
        cols[j] = None  # frees the column as soon as it is copied
    return Table(names, out, source)


def _from_arrow(col: Any, name: str, source: str, na: set[str]) -> Array:
    """One typed pyarrow column (Parquet, polars) -> a Table column."""
    import pyarrow as pa

    types = pa.types
    t = col.type
    if types.is_dictionary(t):
        col, t = col.cast(t.value_type), t.value_type
    if types.is_decimal(t) or types.is_float16(t):
        col, t = col.cast(pa.float64()), pa.float64()
    is_view = getattr(types, "is_string_view", lambda _: False)  # pyarrow >= 16
    if types.is_string(t) or types.is_large_string(t) or is_view(t):
        return _from_objects(col.to_pylist(), name, source, na, text_only=True)
    if not (
        types.is_null(t)
        or types.is_boolean(t)
        or types.is_integer(t)
        or types.is_floating(t)
        or types.is_timestamp(t)
        or types.is_date(t)
    ):
        raise DataError(
            f"column {name!r} of {source} holds {t} values; a table column must hold numbers, "
            "booleans, text or dates. Convert it (for example to strings) or leave it out."
        )
    parts = [_numpy_of(chunk) for chunk in col.chunks]
    values = (
        np.concatenate([v for v, _ in parts])
        if parts
        else np.empty(0, dtype=np.float64 if types.is_null(t) else None)
    )
    has_nulls = any(m is not None for _, m in parts)
    if values.dtype.kind == "M":
        return values
    if has_nulls:  # numbers or booleans with a missing value: float64 with NaN
        valid = np.concatenate([np.ones(len(v), np.bool_) if m is None else m for v, m in parts])
        return np.where(valid, values.astype(np.float64), np.nan)
    return _from_numpy(values, name, source, na)
