"""Training data in and out: tables, FANN ``.data`` files, labels, scaling and splits.

Contract: :func:`read_table` (a file) and :func:`as_table` (a file, data frame, dict of
columns or array) return a :class:`Table` of raw typed columns (float64 with NaN, int64,
bool, text with None, datetime64) for the encoders; text tables are parsed by pyarrow when
large and by the stdlib csv module when small, with identical results. The loaders
(:func:`load`, :func:`load_csv`, :func:`load_npz`, :func:`load_npy`, :func:`from_dataframe`)
return a :class:`Dataset` whose ``X`` is a finite float64
``(n_samples, n_features)`` array and whose ``y`` holds the target column(s) as read
(numbers, or strings for class labels); :func:`read_fann_data` / :func:`write_fann_data`
read and write FANN's text format exactly. Every problem with the user's data raises
:class:`~neuronless.errors.DataError` naming the file, line and column (a bad argument is a
``ConfigError``, mismatched array lengths a ``ShapeError``). :class:`Labels`,
:class:`StandardScaler` and :class:`MinMaxScaler` are fitted on training data and turn into
JSON-safe dicts for model files. :func:`split` and :func:`train_test_split` shuffle with a
seed and can keep class proportions. Nothing here trains, prints or touches the network;
pandas is never imported (a data frame is read through its ``columns`` and ``df[name]``),
and pyarrow only to read a large text table or a Parquet file.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._common import FANN_EXTENSIONS, MAX_CLASSES, TABLE_EXTENSIONS, PathLike, Seed, Target
from .labels import Labels, infer_task
from .read import NA_VALUES, Table, as_table, read_table
from .scaling import MinMaxScaler, StandardScaler, scaler_from_dict
from .splitting import split, split_indices, train_test_split
from .tables import Dataset, from_dataframe, load, load_csv, load_npy, load_npz

if TYPE_CHECKING:
    from ..fann.data import read_fann_data as read_fann_data
    from ..fann.data import write_fann_data as write_fann_data

# FANN's .data format lives in neuronless.fann.data; it is imported on first use, so this
# package does not load the FANN package with it.
_LAZY = {"read_fann_data": "..fann.data", "write_fann_data": "..fann.data"}

__all__ = [
    "FANN_EXTENSIONS",
    "MAX_CLASSES",
    "NA_VALUES",
    "TABLE_EXTENSIONS",
    "Dataset",
    "Labels",
    "MinMaxScaler",
    "PathLike",
    "Seed",
    "StandardScaler",
    "Table",
    "Target",
    "as_table",
    "from_dataframe",
    "infer_task",
    "load",
    "load_csv",
    "load_npy",
    "load_npz",
    "read_fann_data",
    "read_table",
    "scaler_from_dict",
    "split",
    "split_indices",
    "train_test_split",
    "write_fann_data",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'neuronless.data' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
