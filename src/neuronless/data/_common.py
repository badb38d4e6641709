"""Types, constants and file helpers shared by the data modules."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

from ..errors import DataError

Array = NDArray[Any]
FloatArray = NDArray[np.float64]
PathLike: TypeAlias = str | os.PathLike[str]
Target: TypeAlias = int | str | Sequence[int | str] | None
Seed: TypeAlias = "int | np.random.Generator | None"  # a string: numpy.random loads on use

MAX_CLASSES = 20  # infer_task: at most this many distinct integers can still be class labels
CSV_DELIMITERS = (",", "\t", ";", "|")  # tried in this order when sniffing a file's content
TSV_EXTENSIONS = (".tsv", ".tab")
TABLE_EXTENSIONS = (".csv", ".txt", *TSV_EXTENSIONS)
FANN_EXTENSIONS = (".data", ".train", ".test")  # FANN's own data sets use all three
PARQUET_EXTENSIONS = (".parquet", ".pq")
COMPRESSED_EXTENSIONS = {".gz": "gzip", ".bz2": "bz2"}  # a text table's suffix -> its codec



def _check_file(path: PathLike) -> None:
    p = Path(path)
    many = ("a glob or folder of Parquet/CSV files is read lazily on a Dask cluster: pass "
            "client= to neuronless.train, or --dask local:N on the command line (docs/dask.md)")
    if not p.exists():
        if any(c in str(path) for c in "*?["):
            raise DataError(f"{path}: no such file; {many}.")
        raise DataError(
            f"{path}: no such file. Check the path (relative paths start at {os.getcwd()})."
        )
    if p.is_dir():
        raise DataError(f"{path} is a directory; pass a data file ({many}).")




def _read_text(path: PathLike) -> str:
    _check_file(path)
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(
            f"{path} is not UTF-8 text; is it a binary file? Save it as UTF-8 CSV."
        ) from None




def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True
