"""The ``neuronless`` command line: ``main(argv) -> exit code``.

Subcommands: ``train`` (a CSV/TSV/npz/FANN file -> a ``.nless`` model with its preprocessing),
``predict``, ``evaluate``, ``info``, ``explain`` (one sample's forward and backward pass,
number by number), ``draw`` (the network as SVG/PNG), ``plot`` (curves, weights, hidden
units, decision boundary), ``diagnose``, ``demo`` and ``convert`` (``.nless`` <-> FANN
``.net``, MATLAB/Octave ``.mat``, ONNX ``.onnx``). A user mistake is one line on stderr and exit code 2, never a traceback;
nothing is written or overwritten when a command fails. Building the parser imports numpy and
the activation and loss tables only; each verb's module is imported when that verb runs.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import warnings
from collections.abc import Callable
from importlib import import_module
from typing import Any

from ..errors import NeuronlessError
from ._common import (
    DEFAULT_BATCH,
    OPTIMIZER_CHOICES,
    OPTIMIZER_DEFAULT,
    _float_in,
    _layers,
    _names,
    _non_negative_int,
    _Parser,
    _positive_int,
)

__all__ = ["main"]


def _verb(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    """The function ``name`` of ``neuronless.cli.<module>``, imported when its verb runs, so
    ``--help`` and each verb load only what they use (training, plots and FANN on demand)."""

    def run(args: argparse.Namespace) -> int:
        return int(getattr(import_module(f".{module}", __name__), name)(args))

    run.__name__ = run.__qualname__ = name
    return run


_convert = _verb("convert", "_convert")
_diagnose, _draw = _verb("see", "_diagnose"), _verb("see", "_draw")
_explain, _plot = _verb("see", "_explain"), _verb("see", "_plot")
_train = _verb("train", "_train")
_demo, _evaluate = _verb("use", "_demo"), _verb("use", "_evaluate")
_info, _predict = _verb("use", "_info"), _verb("use", "_predict")


def _build_parser() -> _Parser:
    from ..activations import ACTIVATIONS
    from ..losses import LOSSES

    parser = _Parser(prog="neuronless", description="Train, inspect and use multilayer perceptrons: a network is a list of weight matrices.")
    sub = parser.add_subparsers(dest="command", required=True)

    train = sub.add_parser("train", help="train a network on a data file and save it (.nless)")
    train.add_argument("data", help="CSV/TSV (also .gz), Parquet, .npz/.npy or FANN .data file; "
                       "text columns are one-hot encoded, missing cells imputed")
    train.add_argument("-o", "--output", required=True, help="where to save the model (.nless)")
    train.add_argument("--target", help="target column name or index, or several names "
                       "separated by commas (default: the last column)")
    train.add_argument("--task", choices=["classification", "regression"],
                       help="default: inferred from the target column")
    train.add_argument("--layers", type=_layers, default=None,
                       help="hidden sizes, e.g. 16,8 (default: see docs/guide.md, "
                       "'The defaults and why')")
    train.add_argument("--hidden", choices=sorted(ACTIVATIONS), default=None,
                       help="hidden activation (default: the recipe's)")
    train.add_argument("--loss", choices=sorted(LOSSES),
                       help="default: cross-entropy for classes, MSE for regression")
    train.add_argument("--optimizer", choices=OPTIMIZER_CHOICES, default=OPTIMIZER_DEFAULT,
                       help="default adam (rprop with --fann-compatible); sarprop, incremental "
                       "and batch are FANN's algorithms and imply --fann-compatible")
    train.add_argument("--fann-compatible", action="store_true",
                       help="train exactly as libfann does: FANN's algorithm (--optimizer rprop, "
                       "quickprop, sarprop, incremental or batch; default rprop), FANN's MSE, "
                       "error function, derivatives and U[-0.1, 0.1] init; sigmoid outputs (one "
                       "per class) or linear for regression; --desired-error stops on FANN's MSE")
    train.add_argument("--error-function", choices=["tanh", "linear"], default=None,
                       help="--fann-compatible: FANN's error function (default tanh)")
    train.add_argument("--epochs", type=_positive_int, default=None,
                       help="epochs (iterations for lbfgs/cg)")
    train.add_argument("--batch-size", type=_positive_int, default=None,
                       help=f"mini-batch size (default: {DEFAULT_BATCH}; the whole batch for "
                       "rprop, irprop+ and quickprop)")
    train.add_argument("--lr", type=_float_in(0.0, math.inf, True, True), default=None)
    train.add_argument("--checkpoint", metavar="FILE", default=None,
                       help="save weights, optimizer and RNG state here while training")
    train.add_argument("--checkpoint-every", type=_positive_int, default=10, metavar="N",
                       help="epochs between checkpoints (default 10; always at the end)")
    train.add_argument("--resume", metavar="FILE", default=None,
                       help="continue from a checkpoint (same data, options and seed)")
    train.add_argument("--l2", type=_float_in(0.0, math.inf, False, True), default=None)
    train.add_argument("--validation-fraction", type=_float_in(0.0, 1.0, False, True),
                       default=None, help="rows held out for validation (0: none; default "
                       "0.2, but 0 for --optimizer cascade and --fann-compatible, which train on "
                       "every row as FANN does)")
    train.add_argument("--early-stopping", type=_non_negative_int, default=None,
                       metavar="PATIENCE", help="stop after PATIENCE epochs without improvement "
                       "and keep the best epoch (0: train every epoch; default: the recipe's)")
    train.add_argument("--schedule", choices=["cosine", "step_decay", "exponential",
                                                "inverse_scaling", "none"], default=None,
                       help="learning-rate schedule over the epochs (default: the recipe's; "
                       "docs/guide.md describes each)")
    train.add_argument("--backend", choices=["auto", "numpy", "compiled"], default="auto",
                       help="how the epochs run: NumPy, or compiled with numba for small nets "
                       "(default auto: compiled where it is faster; 'info' says which ran)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--max-neurons", type=_non_negative_int, default=None, metavar="N",
                       help="--optimizer cascade: hidden units to grow at most (default 30)")
    train.add_argument("--desired-error", type=_float_in(0.0, math.inf, False, True),
                       default=None, metavar="MSE",
                       help="--optimizer cascade: stop growing at this FANN MSE (default 0); "
                       "--fann-compatible: stop training at this FANN MSE")
    train.add_argument("--scale", choices=["robust", "standard", "minmax", "none"], default=None,
                       help="input (and regression target) scaling (default: the recipe's)")
    train.add_argument("--na-values", type=_names, default=None, metavar="TEXT[,TEXT...]",
                       help="cell texts that also mean 'missing' (besides empty, NA, NaN, ?, "
                       "null, ...)")
    train.add_argument("--drop", type=_names, default=None, metavar="COLUMN[,COLUMN...]",
                       help="feature columns to leave out")
    train.add_argument("--keep", type=_names, default=None, metavar="COLUMN[,COLUMN...]",
                       help="text columns to keep even if they look like identifiers")
    train.add_argument("--categorical", type=_names, default=None, metavar="COLUMN[,COLUMN...]",
                       help="numeric columns to one-hot encode as categories (codes)")
    train.add_argument("--dask", metavar="CLUSTER", default=None,
                       help="train on a Dask cluster: local:N (N worker processes here) or "
                       "tcp://HOST:PORT (a running scheduler); DATA may then be a glob or "
                       "folder of Parquet/CSV files, read lazily (docs/dask.md)")
    train.add_argument("--data-parallel", choices=["average", "sync"], default=None,
                       help="with --dask and a mini-batch optimizer: every worker trains on "
                       "its own rows, a copy each averaged every epoch (average) or each "
                       "step's gradient reduced (sync); default: steps taken in order, rows "
                       "streamed from the cluster")
    train.set_defaults(func=_train)

    predict = sub.add_parser("predict", help="predict labels or values for a data file")
    predict.add_argument("model")
    predict.add_argument("data")
    predict.add_argument("-o", "--output", help="CSV file (default: standard output)")
    predict.set_defaults(func=_predict)

    evaluate = sub.add_parser("evaluate", help="score a model on a labelled data file")
    evaluate.add_argument("model")
    evaluate.add_argument("data")
    evaluate.set_defaults(func=_evaluate)

    info = sub.add_parser("info", help="show a model's architecture, preprocessing and training")
    info.add_argument("model")
    info.set_defaults(func=_info)

    demo = sub.add_parser("demo", help="train on the bundled digits data and show what happened")
    demo.add_argument("--epochs", type=_positive_int, default=None,
                      help="at most this many epochs (default: the defaults' own)")
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(func=_demo)

    draw = sub.add_parser("draw", help="draw a model's network: units, biases, signed weights")
    draw.add_argument("model")
    draw.add_argument("-o", "--output", required=True, help="picture file: .svg or .png")
    draw.add_argument("--sample", metavar="DATA:ROW", default=None,
                      help="show each unit's activation for row ROW (from 0) of DATA")
    draw.add_argument("--max-units", type=_positive_int, default=16, metavar="N",
                      help="widest layer drawn in full (default 16); wider ones are elided")
    draw.set_defaults(func=_draw)

    plot = sub.add_parser("plot", help="plot training curves, weights, hidden units or the "
                          "decision boundary (needs matplotlib)")
    plot.add_argument("model")
    plot.add_argument("--what", choices=["curves", "weights", "hidden", "boundary"],
                      required=True)
    plot.add_argument("-o", "--output", required=True, help="picture file: .png, .svg or .pdf")
    plot.add_argument("--data", default=None,
                      help="data file with 2 feature columns and the target (for boundary)")
    plot.set_defaults(func=_plot)

    diag = sub.add_parser("diagnose", help="check a model on a data file for dead or saturated "
                          "units, gradient, scaling, learning-rate and class-balance trouble")
    diag.add_argument("model")
    diag.add_argument("data", help="data with the model's feature columns (and its target)")
    diag.set_defaults(func=_diagnose)
    expl = sub.add_parser("explain", help="show every matrix step of one sample (forward, "
                          "and with --backward the gradients and one update)")
    expl.add_argument("model")
    expl.add_argument("data")
    expl.add_argument("--sample", type=int, default=0, help="row index, from 0 (default 0)")
    expl.add_argument("--backward", action="store_true",
                      help="also the cost, deltas, gradients and one SGD(0.01) update")
    expl.add_argument("--precision", type=int, choices=range(0, 17), default=4, metavar="DIGITS")
    expl.add_argument("--format", choices=["text", "markdown", "json"], default="text")
    expl.add_argument("--all", action="store_true", help="show big matrices in full")
    expl.set_defaults(func=_explain)

    conv = sub.add_parser("convert", help="convert a model between .nless and FANN .net, "
                          "MATLAB/Octave .mat or ONNX .onnx (direction from the extensions)")
    conv.add_argument("input", help=".net (FANN), .mat (Theta1, Theta2, ...), .onnx or .nless")
    conv.add_argument("output", help=".nless, or .net, .mat or .onnx to write")
    conv.add_argument("--fixed", action="store_true",
                      help="write FANN's fixed-point format (FANN_FIX_2.0) instead of floats")
    conv.add_argument("--fann-head", action="store_true",
                      help="allow relu/leaky_relu (enums 18/19: FANN's development version only)")
    conv.add_argument("--activation", choices=sorted(ACTIVATIONS), default=None,
                      help="every layer's activation when reading .mat (default sigmoid, as "
                      "in the Stanford course)")
    conv.add_argument("--dtype", choices=["float32", "float64"], default=None,
                      help="network dtype when reading .net (default float32 = libfann; "
                      "float64 = libdoublefann) or .mat (default float64, Octave's double)")
    conv.set_defaults(func=_convert)

    play = sub.add_parser("playground", help="train networks in the browser: a local page with "
                          "live heatmaps, loss curves and weight edits (needs the web extra)")
    play.add_argument("data", nargs="?", default=None,
                      help="a CSV file to start every session on (default: the built-in sets)")
    play.add_argument("--target", default=None,
                      help="DATA's target column (default: the last column)")
    play.add_argument("--host", default="127.0.0.1",
                      help="address to listen on (default 127.0.0.1: this machine only)")
    play.add_argument("--port", type=_positive_int, default=8765, help="port (default 8765)")
    play.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    play.set_defaults(func=_verb("web", "run"))
    return parser


def _warning_line(command: str) -> Any:
    """Warnings as one line each, ``neuronless predict: warning: ...``, without source lines."""
    def show(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
        print(f"neuronless {command}: warning: {' '.join(str(message).split())}", file=sys.stderr)

    return show


def main(argv: list[str] | None = None) -> int:
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error already reported in one line (2)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = _warning_line(args.command)  # restored on exit
            return int(args.func(args))
    except BrokenPipeError:  # `neuronless predict ... | head`: the reader left; not an error
        # Point stdout at /dev/null so the flush at exit does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except NeuronlessError as exc:
        message = str(exc)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        message = f"{where}{exc.strerror or exc}; check the path and its permissions."
    print(f"neuronless {args.command}: {' '.join(message.split())}", file=sys.stderr)
    return 2
