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
from collections.abc import Sequence
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
        for name in (*self.categorical, *self.keep):
            if name not in table.names:
                raise DataError(
                    f"column {name!r} (given as categorical or keep) is not in {table.source}; "
                    f"its columns are {', '.join(map(repr, table.names))}."
                )
        self.columns, self.dropped, self.notes = [], [], []
        for name, col in zip(table.names, table.columns, strict=True):
            spec = self._fit_column(table, name, col)
            if spec is None:
                self.dropped.append(name)
            else:
                self.columns.append(spec)
        if not self.columns:
            raise DataError(
                f"no usable feature columns are left in {table.source}"
                + (f" (dropped: {', '.join(self.dropped)})" if self.dropped else "")
                + "; training needs at least one feature column. Keep one with keep= (--keep)."
            )
        return self

    def _fit_column(self, table: Table, name: str, col: Array) -> ColumnSpec | None:
        kind = col.dtype.kind
        if kind == "M" or (kind == "O" and _looks_like_dates(col)):
            _refuse_dates(table, name, col)
        if kind == "O" and name not in self.categorical:
            numbers = _numbers_in_text(table, name, col, self.na_values)
            if numbers is not None:  # text that holds only numbers (a data frame of strings)
                col, kind = numbers, "f"
        if name in self.categorical or kind == "O":
            values = _as_text(col, self.na_values)
            present = values[values != MISSING]
            distinct = np.unique(present)
            if (name not in self.keep and name not in self.categorical
                    and len(present) >= IDENTIFIER_MIN_ROWS
                    and len(distinct) >= IDENTIFIER_SHARE * len(present)):
                self.notes.append(
                    f"column {name!r} looks like an identifier ({len(distinct)} distinct values "
                    f"in {len(present)} rows) and was left out; to use it anyway, pass "
                    f"keep=[{name!r}] (--keep {shlex.quote(name)})."
                )
                return None
            categories = sorted(str(c) for c in np.unique(values).tolist())
            return ColumnSpec(name, "categorical", categories=categories)
        if kind == "b":
            return ColumnSpec(name, "boolean")
        if kind in "iuf":
            x = col.astype(np.float64, copy=False)
            missing = np.isnan(x)
            if missing.all():
                self.notes.append(f"column {name!r} has no values (every cell is missing) and "
                                  "was left out.")
                return None
            bad = np.flatnonzero(np.isinf(x))
            if len(bad):
                i = int(bad[0])
                raise DataError(
                    f"feature column {name!r} holds {x[i]} at {table.where(i)}; values must be "
                    "finite numbers (or missing). Fix the value or mark it missing."
                )
            median = float(np.median(x[~missing]))
            return ColumnSpec(name, "numeric", median=median, missing_indicator=bool(missing.any()))
        raise DataError(f"column {name!r} of {table.source} has unsupported dtype {col.dtype}.")

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


def _numbers_in_text(table: Table, name: str, col: Array, na_values: Sequence[str]) -> Array | None:
    """A text column's numbers (NaN where missing) when all its present cells are numbers;
    None when it holds text; an error when it is nearly all numbers (bad cells)."""
    out = np.full(len(col), np.nan)
    bad: list[tuple[int, str]] = []
    present = 0
    for i, v in enumerate(col.tolist()):
        t = _text_of(v, na_values)
        if t == MISSING:
            continue
        present += 1
        try:
            out[i] = float(t)
        except ValueError:
            bad.append((i, t))
            if len(bad) > (1 - NUMERIC_SHARE) * len(col):
                return None
    if present == 0 or len(bad) == present:
        return None
    if bad:
        i, v = bad[0]
        raise DataError(
            f"column {name!r} holds numbers except for {len(bad)} cell(s), the first {v!r} at "
            f"{table.where(i)}; fix those cells, or mark such values as missing with "
            f"na_values=[{v!r}] (--na-values {shlex.quote(v)}); to treat the column as categories, pass "
            f"categorical=[{name!r}] (--categorical {shlex.quote(name)})."
        )
    return out


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
