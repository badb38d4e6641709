"""FANN's ``.data`` training files, read and written exactly as FANN does.

:mod:`neuronless.data` re-exports :func:`read_fann_data` and :func:`write_fann_data`, and its
table loader reads ``.data`` files through them.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from ..data._common import (
    FloatArray,
    PathLike,
    _is_number,
    _read_text,
)
from ..errors import DataError, ShapeError
from ..files.atomic import write_atomic

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
    write_atomic(path, out.getvalue())


def _format_value(v: float) -> str:
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def _as_table(a: Any, name: str) -> FloatArray:
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise ShapeError(
            f"{name} must be 1-D or 2-D (n_samples, n_columns); got shape {arr.shape}."
        )
    return arr
