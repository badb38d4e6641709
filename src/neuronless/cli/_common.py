"""Shared pieces of the command line: argument types, data and model loading, progress."""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
from collections.abc import Iterator
from typing import Any, NoReturn

import numpy as np
from numpy.typing import NDArray

from ..errors import ConfigError

Array = NDArray[Any]
OPTIMIZER_CHOICES = ["adam", "sgd", "momentum", "nesterov", "rmsprop", "rprop", "irprop+",
                     "quickprop", "lbfgs", "cg", "cascade", "sarprop", "incremental", "batch"]
class DefaultChoice(str):
    """A parser default that compares equal to its value but tells "not given" apart."""


#: --optimizer's default (adam; with --fann-compatible, FANN's default rprop instead)
OPTIMIZER_DEFAULT = DefaultChoice("adam")
#: optimizers that exist only as FANN's training algorithms: they imply --fann-compatible
FANN_ONLY_OPTIMIZERS = ("sarprop", "incremental", "batch")
#: optimizers --fann-compatible accepts (FANN's training_algorithm names)
FANN_OPTIMIZERS = ("rprop", "quickprop", "sarprop", "incremental", "batch")


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``prog: error: message (see prog --help)``, exit 2."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message}; see '{self.prog} --help'.", file=sys.stderr)
        self.exit(2)


# ------------------------------------------------------------------------ argument types


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    return value


def _layers(text: str) -> list[int]:
    if not text.strip():
        return []
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        sizes = [0]
    if any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(
            f"expected comma-separated positive layer sizes like 16,8, got {text!r}"
        )
    return sizes


def _names(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"expected comma-separated names like a,b, got {text!r}")
    return names


def _float_in(lo: float, hi: float, lo_open: bool, hi_open: bool) -> Any:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        ok = (
            math.isfinite(value)
            and (value > lo if lo_open else value >= lo)
            and (value < hi if hi_open else value <= hi)
        )
        if not ok:
            left, right = "(" if lo_open else "[", ")" if hi_open else "]"
            raise argparse.ArgumentTypeError(
                f"expected a number in {left}{lo:g}, {hi:g}{right}, got {text!r}"
            )
        return value

    return parse


# ------------------------------------------------------------------------ helpers


def _load_table(path: str, target: str | None) -> Any:
    """``data.load``, where ``--target`` is a column name or, failing that, an index."""
    from ..data import load

    if target is None:
        return load(path)
    chosen: str | int = target
    if target.lstrip("-").isdigit():
        first = load(path)
        if target not in first.feature_names + first.target_names:
            chosen = int(target)
    return load(path, target=chosen)


def _check_output(path: str) -> None:
    """Fail before any work if ``path`` cannot be a new or replaced file."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise ConfigError(f"output {path} is a folder; give a file name such as model.nless.")
    if not os.path.isdir(folder):
        raise ConfigError(f"the folder of output {path} does not exist; create it first.")


@contextlib.contextmanager
def _progress(epochs: int) -> Iterator[tuple[Any, list[Any]]]:
    """``(progress, callbacks)`` for fit: a tqdm bar on a terminal if tqdm is installed,
    else plain lines on stderr."""
    bar: Any = None
    if sys.stderr.isatty():
        try:
            import importlib

            bar = importlib.import_module("tqdm").tqdm(total=epochs, unit="epoch", file=sys.stderr)
        except ImportError:
            bar = None
    if bar is None:
        yield sys.stderr, []
        return

    def update(net: Any, history: Any) -> None:
        bar.update(1)
        bar.set_postfix(loss=f"{history.train_loss[-1]:.4g}")

    try:
        yield False, [update]
    finally:
        bar.close()


def _is_onnx(path: str) -> bool:
    return os.path.splitext(os.fspath(path))[1].lower() == ".onnx"


def _load_model(path: str) -> tuple[Any, dict[str, Any]]:
    """``(Model, metadata)`` from a ``.nless`` file, or from an ``.onnx`` file read by
    :func:`neuronless.onnx.load` (its metadata: what the Model records, plus the producer)."""
    if _is_onnx(path):
        from ..onnx.load import load

        model = load(path)
        return model, {**model.info, **model.metadata()}
    from ..model import Model

    return Model.load(path)  # type: ignore[no-any-return]


def _load_net(path: str) -> tuple[Any, dict[str, Any]]:
    """``(Network, metadata)`` of any ``.nless`` file (trained or not) or ``.onnx`` file."""
    if _is_onnx(path):
        model, meta = _load_model(path)
        return model.net, meta
    from ..files import load_with_metadata

    return load_with_metadata(path)


def _model_inputs(model: Any, path: str) -> tuple[Any, Array | None]:
    """The rows of ``path`` for ``model``, and its target column if it has one.

    A model trained on a table (it has column encoders) gets the raw table, whose columns it
    matches by name; the target column is found by the name it had in training. An older
    model gets the numeric feature matrix; a file with exactly the model's number of columns
    (all numeric) is then taken as features only.
    """
    if model.encoder is not None:
        from ..data.read import read_table

        table = read_table(path, na_values=model.encoder.na_values)
        names = model.target_names
        y = None
        if names and all(n in table.names and n not in model.encoder.raw_names for n in names):
            cols = [table.column(n) for n in names]
            y = cols[0] if len(cols) == 1 else np.column_stack(cols)
        return table, y
    from ..data import load
    from ..errors import ShapeError

    ds = load(path)
    names = model.target_names
    if len(names) == 1 and names[0] in ds.feature_names:
        ds = load(path, target=names[0])
    n = model.net.n_inputs
    if ds.n_features == n:
        return ds.X, ds.y
    if ds.n_features + 1 == n and ds.y.ndim == 1 and ds.y.dtype.kind in "iuf":
        return np.column_stack([ds.X, ds.y.astype(np.float64)]), None
    raise ShapeError(
        f"{path} has {ds.n_features + (ds.y.ndim == 1)} columns but the model was trained on "
        f"{n} features ({', '.join(model.feature_names)}) plus the target "
        f"{', '.join(names)}; give it the same columns."
    )


def _n_rows(X: Any) -> int:
    """Rows of what :func:`_model_inputs` returned (a table or an array)."""
    return int(X.n_rows) if hasattr(X, "n_rows") else len(X)


def _rows(X: Any, rows: Any) -> Any:
    """Some rows of what :func:`_model_inputs` returned (a table or an array)."""
    return X.take(np.asarray(rows)) if hasattr(X, "take") and hasattr(X, "n_rows") else X[rows]


def _with_targets(X: Any, y: Array) -> tuple[Any, Array]:
    """Only the rows whose target is present (a table's target may have missing cells)."""
    if y.dtype.kind == "f":
        keep = ~np.isnan(y) if y.ndim == 1 else ~np.isnan(y).any(axis=1)
    elif y.dtype.kind == "O":
        keep = np.array([v is not None for v in (y if y.ndim == 1 else y[:, 0]).tolist()])
    else:
        keep = np.ones(len(y), dtype=bool)
    if not keep.all():
        rows = np.flatnonzero(keep)
        X, y = _rows(X, rows), y[rows]
    return X, (y.astype(str) if y.dtype.kind == "O" else y)


FULL_BATCH_OPTIMIZERS = ("rprop", "irprop-", "irprop+", "quickprop")
DEFAULT_BATCH = 32
#: --validation-fraction's default, except for cascade and FANN-compatible training (0)
DEFAULT_VALIDATION_FRACTION = 0.2


def _batch_size(args: argparse.Namespace) -> int | None:
    """--batch-size, else 32 for gradient-descent optimizers and the whole batch for Rprop and
    Quickprop (they need the full gradient's signs)."""
    if args.batch_size is not None:
        return int(args.batch_size)
    return None if args.optimizer in FULL_BATCH_OPTIMIZERS else DEFAULT_BATCH


def _format_value(v: Any) -> str:
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    return str(v.item() if isinstance(v, np.generic) else v)


# ------------------------------------------------------------------------ train


def _validation_fraction(args: argparse.Namespace) -> float:
    """--validation-fraction, or its default: 0.2, but 0 (every row trains, as in FANN) for
    --optimizer cascade and FANN-compatible training."""
    if args.validation_fraction is not None:
        return float(args.validation_fraction)
    fann = bool(getattr(args, "fann_compatible", False)) or args.optimizer in FANN_ONLY_OPTIMIZERS
    return 0.0 if fann or args.optimizer == "cascade" else DEFAULT_VALIDATION_FRACTION
