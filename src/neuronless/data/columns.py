"""Raw columns -> numbers: the encoders between a table as read and the network's input matrix.

Contract: :meth:`TableEncoder.fit` looks at the feature columns of a
:class:`~neuronless.data.read.Table` (numbers, booleans, text, missing cells) and decides
how each becomes numbers; :meth:`TableEncoder.transform` turns any table with those columns
(matched by name, in any order, extra columns ignored) into a float64 matrix, one row per
row. The decisions are plain JSON (:meth:`TableEncoder.to_dict`, :meth:`TableEncoder.from_dict`),
so a saved model reads raw rows without pickles. Nothing here scales, trains or prints: notes
for the user (a dropped identifier column) come back as strings, unseen categories as counts.

The kinds of column, decided on the training rows:

- ``numeric``: the value itself. A missing value becomes the training median, and if the
  training column had missing values an extra 0/1 column ``name (missing)`` says which rows
  were imputed.
- ``boolean``: 1.0 for true, 0.0 for false.
- ``categorical`` (text, or any column named in ``categorical=``): one 0/1 column per category
  seen in training, sorted, named ``name=value``; a missing value is a category of its own,
  ``name=(missing)``, when the training rows had one. At predict time a value never seen in
  training (or a missing one where training had none) encodes as all zeros and is counted.
- ``identifier``: a text column with a distinct value in (nearly) every row (a name, an id):
  it cannot generalise, so it is dropped, with a note saying how to keep it (``keep=``).
- dates and times are refused with an error naming the column: turn them into numbers
  (days since a start, day of the week, ...) yourself, or leave the column out (``drop=``).

>>> import numpy as np
>>> from neuronless.data.read import as_table
>>> t = as_table({"size": [1.0, np.nan, 3.0], "colour": ["red", "blue", None]})
>>> enc = TableEncoder().fit(t)
>>> enc.feature_names
['size', 'size (missing)', 'colour=(missing)', 'colour=blue', 'colour=red']
>>> enc.transform(t).tolist()
[[1.0, 0.0, 0.0, 0.0, 1.0], [2.0, 1.0, 0.0, 1.0, 0.0], [3.0, 0.0, 1.0, 0.0, 0.0]]
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import DataError, ModelFormatError
from ._common import Array, FloatArray

if TYPE_CHECKING:
    from .read import Table

MISSING = "(missing)"  # the name of the missing-value category
#: cell texts that mean "missing" (the table reader's list; UCI files write ``?``)
MISSING_TEXTS = frozenset(("", "NA", "N/A", "n/a", "NaN", "nan", "NULL", "null", "None", "?",
                           "#N/A", "-NaN", "-nan"))
#: a text column is an identifier when at least this share of its rows hold distinct values ...
IDENTIFIER_SHARE = 0.9
#: ... and it has at least this many rows (fewer rows cannot tell an id from a category)
IDENTIFIER_MIN_ROWS = 20
#: a text column whose non-missing values are numbers in at least this share is a numeric
#: column with a few bad cells (an error names the first), not a category per number
NUMERIC_SHARE = 0.95
KINDS = ("numeric", "boolean", "categorical")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")


@dataclass
class ColumnSpec:
    """How one raw column becomes numbers (see the module docstring for the kinds)."""

    name: str
    kind: str
    median: float = 0.0  # numeric: the training median, imputed for missing values
    missing_indicator: bool = False  # numeric: an extra 0/1 "name (missing)" column
    categories: list[str] = field(default_factory=list)  # categorical: sorted, MISSING included

    @property
    def width(self) -> int:
        if self.kind == "categorical":
            return len(self.categories)
        return 2 if self.missing_indicator else 1

    @property
    def feature_names(self) -> list[str]:
        if self.kind == "categorical":
            return [f"{self.name}={c}" for c in self.categories]
        return [self.name, f"{self.name} (missing)"] if self.missing_indicator else [self.name]

    def describe(self) -> str:
        """One line for ``neuronless info``."""
        if self.kind == "numeric":
            extra = f", missing -> median {self.median:.6g} + indicator" if self.missing_indicator else ""
            return f"{self.name}: numeric{extra}"
        if self.kind == "boolean":
            return f"{self.name}: boolean (true 1, false 0)"
        shown = ", ".join(self.categories[:8]) + (", ..." if len(self.categories) > 8 else "")
        return f"{self.name}: categorical, one-hot over {len(self.categories)} ({shown})"

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "kind": self.kind}
        if self.kind == "numeric":
            d.update(median=self.median, missing_indicator=self.missing_indicator)
        elif self.kind == "categorical":
            d["categories"] = list(self.categories)
        return d


@dataclass
class Unseen:
    """Values at transform time that no training row had: ``{column: {value: rows}}``."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(sum(v.values()) for v in self.counts.values())

    def message(self) -> str:
        """One line: how many values, in which columns, what they were."""
        parts = []
        for name, values in self.counts.items():
            shown = ", ".join(f"{v!r} ({n})" for v, n in list(values.items())[:5])
            more = ", ..." if len(values) > 5 else ""
            parts.append(f"{name}: {shown}{more}")
        return (
            f"{self.total} value(s) in {len(self.counts)} column(s) were not seen in training "
            f"and encode as all zeros: {'; '.join(parts)}"
        )


#: the distinct values a column's observation keeps when chunks are merged (more: identifier)
MAX_DISTINCT = 100_000


@dataclass
class Observation:
    """What one chunk of training rows says about one raw column (see
    :meth:`TableEncoder.observe`); :func:`merge` adds chunks.

    ``kind``: "text" (object cells, or a column named ``categorical``), "bool" or "number".
    Text and categorical columns keep their category names' ``values`` (sorted, with
    ``counts``; None beyond :data:`MAX_DISTINCT`) and, for object cells, how many present
    cells read as numbers (``text_present`` cells, ``text_bad`` that do not, the first of those
    ``(where, text)``). Numbers and number-like text count their ``missing`` cells and the
    first infinite one ``(where, value)``.
    """

    name: str
    source: str
    kind: str
    rows: int
    values: Array | None = None
    counts: Array | None = None
    text_present: int = 0
    text_bad: int = 0
    first_bad: tuple[str, str] | None = None
    missing: int = 0
    first_inf: tuple[str, float] | None = None


def merge(a: Sequence[Observation], b: Sequence[Observation],
          cap: int | None = MAX_DISTINCT) -> list[Observation]:
    """The observations of two chunks' rows together (``a``'s rows first)."""
    if [o.name for o in a] != [o.name for o in b]:
        raise DataError(f"the chunks have different columns: {[o.name for o in a]} and "
                        f"{[o.name for o in b]}; every partition needs the same columns.")
    out = []
    for x, y in zip(a, b, strict=True):
        if x.kind != y.kind:
            raise DataError(
                f"column {x.name!r} holds {x.kind} cells in one part of the data ({x.source}) "
                f"and {y.kind} cells in another ({y.source}); give the column one type (read "
                "it with an explicit dtype, or mark its odd cells missing).")
        values = counts = None
        if x.values is not None and y.values is not None:
            joined = np.concatenate([x.values, y.values])
            weights = np.concatenate([x.counts, y.counts])  # type: ignore[list-item]
            values, inverse = np.unique(joined, return_inverse=True)
            counts = np.bincount(inverse, weights=weights, minlength=len(values)).astype(np.int64)
            if cap is not None and len(values) > cap:
                values = counts = None
        out.append(Observation(
            x.name, x.source, x.kind, x.rows + y.rows, values, counts,
            x.text_present + y.text_present, x.text_bad + y.text_bad, x.first_bad or y.first_bad,
            x.missing + y.missing, x.first_inf if x.first_inf is not None else y.first_inf))
    return out


def _observe(table: Table, name: str, col: Array, categorical: bool, na_values: Sequence[str],
             cap: int | None) -> Observation:
    kind = col.dtype.kind
    if kind == "M" or (kind == "O" and _looks_like_dates(col)):
        _refuse_dates(table, name, col)
    o = Observation(name, table.source, "text" if categorical or kind == "O" else
                    "bool" if kind == "b" else "number", len(col))
    if kind not in "biufO":
        raise DataError(f"column {name!r} of {table.source} has unsupported dtype {col.dtype}.")
    if o.kind == "text":
        o.values, counts = np.unique(_as_text(col, na_values), return_counts=True)
        o.counts = counts.astype(np.int64)
        if cap is not None and len(o.values) > cap:
            o.values = o.counts = None
    x: Array | None = None
    if kind == "O" and not categorical:
        x = np.full(len(col), np.nan)
        for i, v in enumerate(col.tolist()):
            t = _text_of(v, na_values)
            if t == MISSING:
                continue
            o.text_present += 1
            try:
                x[i] = float(t)
            except ValueError:
                o.text_bad += 1
                if o.first_bad is None:
                    o.first_bad = (table.where(i), t)
    elif kind in "iuf" and not categorical:
        x = col.astype(np.float64, copy=False)
    if x is not None:
        o.missing = int(np.isnan(x).sum())
        bad = np.flatnonzero(np.isinf(x))
        if len(bad):
            o.first_inf = (table.where(int(bad[0])), float(x[bad[0]]))
    return o


def column_numbers(table: Table, name: str, na_values: Sequence[str] = ()) -> FloatArray:
    """A numeric (or number-like text) column's values as float64, NaN where missing or not
    a number: what a numeric column's median is taken over."""
    col = table.column(name)
    if col.dtype.kind in "biuf":
        return col.astype(np.float64)
    out = np.full(len(col), np.nan)
    for i, v in enumerate(col.tolist()):
        t = _text_of(v, na_values)
        if t != MISSING:
            try:
                out[i] = float(t)
            except ValueError:
                pass
    return out


class TableEncoder:
    """Encode a table's feature columns as numbers; fitted on training rows, stored as JSON.

    Parameters
    ----------
    categorical : column names to one-hot encode even if they hold numbers (codes)
    keep : text columns to keep (one-hot) even if they look like identifiers
    na_values : cell texts that mean "missing" besides :data:`MISSING_TEXTS` (for text cells
        that reach the encoder, e.g. from a data frame; stored with the encoder)
    """

    def __init__(self, categorical: Sequence[str] = (), keep: Sequence[str] = (),
                 na_values: Sequence[str] = ()) -> None:
        self.categorical = [str(c) for c in categorical]
        self.keep = [str(c) for c in keep]
        self.na_values = [str(v) for v in na_values]
        self.columns: list[ColumnSpec] = []
        self.dropped: list[str] = []
        self.notes: list[str] = []

    # ------------------------------------------------------------------ fit
    def fit(self, table: Table) -> TableEncoder:
        """Decide each column's kind from ``table`` (its feature columns only)."""
        self.check_names(table)
        observed = self.observe(table, cap=None)

        def medians(names: Sequence[str]) -> dict[str, float]:
            out = {}
            for name in names:
                x = column_numbers(table, name, self.na_values)
                out[name] = float(np.median(x[~np.isnan(x)]))
            return out

        return self.decide(observed, medians)

    def check_names(self, table: Table) -> None:
        """The columns named in ``categorical=`` and ``keep=`` are in ``table``."""
        for name in (*self.categorical, *self.keep):
            if name not in table.names:
                raise DataError(
                    f"column {name!r} (given as categorical or keep) is not in {table.source}; "
                    f"its columns are {', '.join(map(repr, table.names))}."
                )

    def observe(self, table: Table, cap: int | None = MAX_DISTINCT) -> list[Observation]:
        """What :meth:`decide` needs to know about each column of ``table`` (one chunk of
        the training rows); observations of several chunks merge with :func:`merge`."""
        return [_observe(table, name, col, name in self.categorical, self.na_values, cap)
                for name, col in zip(table.names, table.columns, strict=True)]

    def decide(self, observed: Sequence[Observation],
               medians: Callable[[Sequence[str]], dict[str, float]]) -> TableEncoder:
        """Fit from the (merged) observations of all the training rows; ``medians(names)``
        gives the median of those numeric columns' present values."""
        self.columns, self.dropped, self.notes = [], [], []
        specs = [self._decide_column(o) for o in observed]
        numeric = [s.name for s in specs if s is not None and s.kind == "numeric"]
        found = medians(numeric) if numeric else {}
        for o, spec in zip(observed, specs, strict=True):
            if spec is None:
                self.dropped.append(o.name)
                continue
            if spec.kind == "numeric":
                spec.median = found[spec.name]
            self.columns.append(spec)
        if not self.columns:
            raise DataError(
                f"no usable feature columns are left in {observed[0].source if observed else 'the table'}"
                + (f" (dropped: {', '.join(self.dropped)})" if self.dropped else "")
                + "; training needs at least one feature column. Keep one with keep= (--keep)."
            )
        return self

    def _decide_column(self, o: Observation) -> ColumnSpec | None:
        name = o.name
        numbers = o.kind == "number"
        if o.kind == "text" and name not in self.categorical:
            if o.text_bad > (1 - NUMERIC_SHARE) * o.rows or o.text_present == 0 \
                    or o.text_bad == o.text_present:
                numbers = False
            elif o.text_bad:
                where, v = o.first_bad or ("", "")
                raise DataError(
                    f"column {name!r} holds numbers except for {o.text_bad} cell(s), the first "
                    f"{v!r} at {where}; fix those cells, or mark such values as missing with "
                    f"na_values=[{v!r}] (--na-values {shlex.quote(v)}); to treat the column as "
                    f"categories, pass categorical=[{name!r}] (--categorical {shlex.quote(name)})."
                )
            else:  # text that holds only numbers (a data frame of strings)
                numbers = True
        if name in self.categorical or (o.kind == "text" and not numbers):
            if o.values is None:
                if name not in self.keep and name not in self.categorical:
                    self.notes.append(
                        f"column {name!r} has more than {MAX_DISTINCT} distinct values and was "
                        "left out as an identifier; one-hot encoding needs fewer categories.")
                    return None
                raise DataError(
                    f"column {name!r} has more than {MAX_DISTINCT} distinct values; one-hot "
                    "encoding needs fewer categories. Leave it out with drop= (--drop).")
            present = int(o.counts[o.values != MISSING].sum()) if o.counts is not None else 0
            distinct = int((o.values != MISSING).sum())
            if (name not in self.keep and name not in self.categorical
                    and present >= IDENTIFIER_MIN_ROWS and distinct >= IDENTIFIER_SHARE * present):
                self.notes.append(
                    f"column {name!r} looks like an identifier ({distinct} distinct values "
                    f"in {present} rows) and was left out; to use it anyway, pass "
                    f"keep=[{name!r}] (--keep {shlex.quote(name)})."
                )
                return None
            return ColumnSpec(name, "categorical", categories=sorted(o.values.tolist()))
        if o.kind == "bool":
            return ColumnSpec(name, "boolean")
        if o.missing == o.rows:
            self.notes.append(f"column {name!r} has no values (every cell is missing) and "
                              "was left out.")
            return None
        if o.first_inf is not None:
            where, inf = o.first_inf
            raise DataError(
                f"feature column {name!r} holds {inf} at {where}; values must be "
                "finite numbers (or missing). Fix the value or mark it missing."
            )
        return ColumnSpec(name, "numeric", missing_indicator=o.missing > 0)

    # ------------------------------------------------------------------ transform
    @property
    def feature_names(self) -> list[str]:
        """The names of the encoded columns, in order (one-hot units as ``name=value``)."""
        return [n for spec in self.columns for n in spec.feature_names]

    @property
    def raw_names(self) -> list[str]:
        """The raw columns the encoder reads, in training order."""
        return [spec.name for spec in self.columns]

    @property
    def n_features(self) -> int:
        return sum(spec.width for spec in self.columns)

    def transform(self, table: Table, unseen: Unseen | None = None) -> FloatArray:
        """The encoded float64 matrix of ``table``; unseen categories are added to ``unseen``."""
        absent = [s.name for s in self.columns if s.name not in table.names]
        if absent:
            raise DataError(
                f"{table.source} has no column {', '.join(map(repr, absent))}"
                f"{_near_misses(absent, table.names)}; the model was trained on the columns "
                f"{', '.join(map(repr, self.raw_names))}. Add or rename the column (columns are "
                "matched by name; order and extra columns do not matter)."
            )
        out = np.empty((table.n_rows, self.n_features), dtype=np.float64)
        j = 0
        for spec in self.columns:
            col = table.column(spec.name)
            block = out[:, j:j + spec.width]
            if spec.kind == "categorical":
                _one_hot(spec, _as_text(col, self.na_values), block, unseen)
            else:
                x = _as_number(table, spec, col, self.na_values)
                missing = np.isnan(x)
                block[:, 0] = np.where(missing, spec.median, x) if missing.any() else x
                if spec.missing_indicator:
                    block[:, 1] = missing
            j += spec.width
        return out

    # ------------------------------------------------------------------ files
    def to_dict(self) -> dict[str, Any]:
        return {"columns": [s.to_dict() for s in self.columns], "dropped": list(self.dropped),
                "na_values": list(self.na_values)}

    @classmethod
    def from_dict(cls, d: Any, source: str = "model") -> TableEncoder:
        """Rebuild an encoder from :meth:`to_dict`'s output, checking every field."""
        def bad(what: str) -> ModelFormatError:
            return ModelFormatError(f"{source}: bad column encoder in the metadata: {what}.")

        if not isinstance(d, dict) or not isinstance(d.get("columns"), list):
            raise bad("expected a dict with a 'columns' list")
        enc = cls()
        seen: set[str] = set()
        for c in d["columns"]:
            if not isinstance(c, dict) or not isinstance(c.get("name"), str):
                raise bad(f"each column needs a name; got {c!r}")
            name, kind = c["name"], c.get("kind")
            if kind not in KINDS or name in seen:
                raise bad(f"column {name!r} has kind {kind!r} (expected one of {KINDS}) or "
                          "appears twice")
            seen.add(name)
            spec = ColumnSpec(name, kind)
            if kind == "numeric":
                median, flag = c.get("median"), c.get("missing_indicator")
                if not isinstance(median, (int, float)) or not math.isfinite(median) \
                        or not isinstance(flag, bool):
                    raise bad(f"numeric column {name!r} needs a finite median and a boolean "
                              "missing_indicator")
                spec.median, spec.missing_indicator = float(median), flag
            elif kind == "categorical":
                cats = c.get("categories")
                if not isinstance(cats, list) or not cats or \
                        not all(isinstance(v, str) for v in cats) or len(set(cats)) != len(cats):
                    raise bad(f"categorical column {name!r} needs a non-empty list of distinct "
                              "string categories")
                spec.categories = list(cats)
            enc.columns.append(spec)
        if not enc.columns:
            raise bad("no columns")
        dropped = d.get("dropped", [])
        if not isinstance(dropped, list) or not all(isinstance(v, str) for v in dropped):
            raise bad("'dropped' must be a list of column names")
        na = d.get("na_values", [])
        if not isinstance(na, list) or not all(isinstance(v, str) for v in na):
            raise bad("'na_values' must be a list of strings")
        enc.dropped, enc.na_values = list(dropped), list(na)
        return enc

    def describe(self) -> list[str]:
        """One line per input column (and the dropped ones), for ``neuronless info``."""
        lines = [spec.describe() for spec in self.columns]
        lines += [f"{name}: left out (identifier or empty)" for name in self.dropped]
        return lines


# --------------------------------------------------------------------------- helpers


def _near_misses(absent: Sequence[str], names: Sequence[str]) -> str:
    """" (it has 'island', which may be 'Island')" for names that differ only a little."""
    import difflib

    lowered = {n.lower(): n for n in names}
    pairs = []
    for name in absent:
        close = lowered.get(name.lower()) or next(
            iter(difflib.get_close_matches(name, names, n=1, cutoff=0.8)), None)
        if close is not None:
            pairs.append(f"{close!r} for {name!r}")
    return f" (did you mean {', '.join(pairs[:5])}?)" if pairs else ""


def _is_missing_text(v: str, na_values: Sequence[str]) -> bool:
    t = v.strip()
    return t in MISSING_TEXTS or t in na_values


def _text_of(v: Any, na_values: Sequence[str] = ()) -> str:
    """A cell as a category name: integral floats read as integers (codes 1.0 == 1)."""
    if v is None:
        return MISSING
    if isinstance(v, str):
        return MISSING if _is_missing_text(v, na_values) else v.strip()
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (float, np.floating)):
        if math.isnan(v):
            return MISSING
        if float(v).is_integer():
            return str(int(v))
    return str(v)


def _as_text(col: Array, na_values: Sequence[str] = ()) -> Array:
    """A column as an array of category names (MISSING for missing cells)."""
    if col.dtype.kind in "iu":
        return col.astype(str)
    if col.dtype.kind == "b":
        return np.where(col, "true", "false")
    return np.array([_text_of(v, na_values) for v in col.tolist()], dtype=str)


def _one_hot(spec: ColumnSpec, values: Array, block: Array, unseen: Unseen | None) -> None:
    cats = np.array(spec.categories, dtype=str)
    order = np.argsort(cats)
    pos = np.searchsorted(cats[order], values)
    pos = np.minimum(pos, len(cats) - 1)
    hit = cats[order][pos] == values
    block[:] = 0.0
    rows = np.flatnonzero(hit)
    block[rows, order[pos[hit]]] = 1.0
    if unseen is not None and not hit.all():
        names, counts = np.unique(values[~hit], return_counts=True)
        bucket = unseen.counts.setdefault(spec.name, {})
        for v, n in zip(names.tolist(), counts.tolist(), strict=True):
            bucket[v] = bucket.get(v, 0) + int(n)


def _as_number(table: Table, spec: ColumnSpec, col: Array,
               na_values: Sequence[str]) -> FloatArray:
    """A numeric or boolean column at transform time, whatever type the new file gave it."""
    if col.dtype.kind in "biuf":
        return col.astype(np.float64)
    if col.dtype.kind == "O":
        out = np.empty(len(col), dtype=np.float64)
        for i, v in enumerate(col.tolist()):
            if v is None or (isinstance(v, str) and _is_missing_text(v, na_values)):
                out[i] = np.nan
                continue
            if spec.kind == "boolean" and str(v).strip().lower() in ("true", "false"):
                out[i] = float(str(v).strip().lower() == "true")
                continue
            try:
                out[i] = float(v)
            except (TypeError, ValueError):
                raise DataError(
                    f"column {spec.name!r} must hold numbers (the model was trained on numbers "
                    f"there); got {v!r} at {table.where(i)}. Fix the value, or mark it missing "
                    "(empty, NA or with --na-values)."
                ) from None
        return out
    raise DataError(
        f"column {spec.name!r} of {table.source} holds {col.dtype} values; the model was "
        f"trained on {spec.kind} values there."
    )


def _looks_like_dates(col: Array) -> bool:
    sample = [v for v in col[:200].tolist() if isinstance(v, str)]
    return bool(sample) and all(_DATE.match(v) for v in sample)


def _refuse_dates(table: Table, name: str, col: Array) -> None:
    first = next((i for i, v in enumerate(col.tolist()) if v is not None and v == v), 0)
    raise DataError(
        f"column {name!r} of {table.source} holds dates or times ({str(col[first])!r} at "
        f"{table.where(first)}); neuronless does not turn dates into features. Convert it into "
        f"numbers yourself (days since a start date, day of week, month, ...) or leave it out "
        f"with drop=[{name!r}] (--drop {shlex.quote(name)})."
    )
