"""The ``neuronless`` command line: ``main(argv) -> exit code``.

Subcommands: ``train`` (a CSV/TSV/npz/FANN file -> a ``.nless`` model with its preprocessing),
``predict``, ``evaluate``, ``info``, ``explain`` (one sample's forward and backward pass,
number by number), ``draw`` (the network as SVG/PNG), ``plot`` (curves, weights, hidden
units, decision boundary), ``diagnose`` and ``demo``. A user mistake is one line on stderr and
exit code 2, never a traceback; nothing is written or overwritten when a command fails.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import io
import math
import os
import sys
import time
import warnings
from collections.abc import Iterator
from typing import Any, NoReturn

import numpy as np
from numpy.typing import NDArray

from .errors import ConfigError, DataError, NeuronlessError
from .files.atomic import write_atomic

Array = NDArray[Any]
OPTIMIZER_CHOICES = ["adam", "sgd", "momentum", "nesterov", "rmsprop", "rprop", "irprop+",
                     "quickprop", "lbfgs", "cg"]


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
    from .data import load

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


def _model_inputs(model: Any, path: str) -> tuple[Array, Array | None]:
    """The feature rows of ``path`` for ``model``, and its target column if it has one.

    The target column is found by the name it had in training; a file with exactly the
    model's number of columns (all numeric) is taken as features only.
    """
    from .data import load
    from .errors import ShapeError

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


def _format_value(v: Any) -> str:
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    return str(v.item() if isinstance(v, np.generic) else v)


# ------------------------------------------------------------------------ train
FULL_BATCH_OPTIMIZERS = ("rprop", "irprop-", "irprop+", "quickprop")
DEFAULT_BATCH = 32


def _batch_size(args: argparse.Namespace) -> int | None:
    """--batch-size, else 32 for gradient-descent optimizers and the whole batch for Rprop and
    Quickprop (they need the full gradient's signs)."""
    if args.batch_size is not None:
        return int(args.batch_size)
    return None if args.optimizer in FULL_BATCH_OPTIMIZERS else DEFAULT_BATCH


def _train(args: argparse.Namespace) -> int:
    from . import __version__
    from .classification import one_hot
    from .data import Labels, MinMaxScaler, StandardScaler, infer_task, train_test_split
    from .minimize import minimize
    from .model import Model
    from .network import Network
    from .optimizers import OPTIMIZERS
    from .training import EarlyStopping, History, fit

    whole_batch = args.optimizer in ("lbfgs", "cg")
    if whole_batch:
        for flag, value in (("--lr", args.lr), ("--batch-size", args.batch_size),
                            ("--early-stopping", args.early_stopping),
                            ("--checkpoint", args.checkpoint), ("--resume", args.resume)):
            if value is not None:
                raise ConfigError(
                    f"{flag} does not apply to --optimizer {args.optimizer} (a whole-batch "
                    "method); leave it out or pick an epoch-based optimizer such as adam."
                )
    _check_output(args.output)
    ds = _load_table(args.data, args.target)
    X, y = ds.X, ds.y
    target = ", ".join(ds.target_names)
    if ds.n_samples < 2:
        raise DataError(f"{args.data} has {ds.n_samples} data row; training needs at least 2.")
    task = args.task or infer_task(y)

    labels: Labels | None = None
    if task == "classification":
        if y.ndim == 2:
            one_hot_rows = np.all((y == 0) | (y == 1)) and np.all(y.sum(axis=1) == 1)
            if not one_hot_rows:
                raise DataError(
                    f"{args.data} has {y.shape[1]} target columns that are not one-hot; "
                    "classification needs one column of labels (pick it with --target)."
                )
            y = np.asarray(y).argmax(axis=1)
        labels = Labels().fit(y)
        if labels.n_classes < 2:
            raise DataError(
                f"target column {target!r} holds only the class {labels.classes[0]!r}; "
                "classification needs at least two classes."
            )
        targets: Array = labels.transform(y)
    else:
        if y.dtype.kind not in "biuf":
            raise DataError(
                f"target column {target!r} holds text, so it cannot be a regression target; "
                "use --task classification or pick a numeric column with --target."
            )
        targets = y.astype(np.float64).reshape(len(y), -1)

    X_val: Array | None = None
    t_val: Array | None = None
    if args.validation_fraction > 0:
        X_tr, X_val, t_tr, t_val = train_test_split(
            X, targets, args.validation_fraction, seed=args.seed,
            stratify=targets if labels is not None else None,
        )
    else:
        X_tr, t_tr = X, targets

    scaler_types: dict[str, Any] = {"standard": StandardScaler, "minmax": MinMaxScaler}
    scaler = scaler_types[args.scale]().fit(X_tr) if args.scale != "none" else None
    target_scaler = None
    if labels is None:
        n_out, output = t_tr.shape[1], "identity"
        target_scaler = scaler_types[args.scale]().fit(t_tr) if args.scale != "none" else None
        Y_tr = target_scaler.transform(t_tr) if target_scaler is not None else t_tr
        Y_val = (target_scaler.transform(t_val) if target_scaler is not None else t_val) if t_val is not None else None
    elif labels.n_classes == 2:
        n_out, output = 1, "sigmoid"
        Y_tr = t_tr.reshape(-1, 1).astype(np.float64)
        Y_val = None if t_val is None else t_val.reshape(-1, 1).astype(np.float64)
    else:
        n_out, output = labels.n_classes, "softmax"
        Y_tr = one_hot(t_tr, labels.n_classes, dtype=np.float64)
        Y_val = None if t_val is None else one_hot(t_val, labels.n_classes, dtype=np.float64)

    net = Network.create([X.shape[1], *args.layers, n_out], hidden=args.hidden, output=output,
                         seed=args.seed)
    model = Model(net, task, labels, scaler, target_scaler, list(ds.feature_names),
                  list(ds.target_names))
    Xs_tr = model.inputs(X_tr)
    Xs_val = None if X_val is None else model.inputs(X_val)

    what = (f"{labels.n_classes} classes ({', '.join(map(str, labels.classes))})"
            if labels is not None else f"predicting {target}")
    n_val = 0 if X_val is None else len(X_val)
    print(f"{task}: {what}; {len(X_tr)} training rows, {n_val} validation rows, "
          f"{X.shape[1]} features, scaling: {args.scale}")
    print(net.summary())

    notes: list[str] = []
    start = time.perf_counter()
    if whole_batch:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = minimize(net, Xs_tr, Y_tr, args.optimizer, loss=args.loss, l2=args.l2,
                              maxiter=args.epochs)
        notes += [str(w.message) for w in caught]
        seconds = time.perf_counter() - start
        history = History(epoch=list(range(len(result.loss_history))),
                          train_loss=list(result.loss_history), stopped_reason=result.message)
        print(f"{args.optimizer}: {result.iterations} iterations, loss {result.loss:.6g}",
              file=sys.stderr)
    else:
        key = args.optimizer
        if args.lr is not None and key in ("rprop", "irprop-", "irprop+"):
            raise ConfigError(
                f"--lr does not apply to --optimizer {key}: Rprop adapts a step size per weight "
                "(it starts at 0.1); leave --lr out or pick adam, sgd, momentum or quickprop."
            )
        optimizer = OPTIMIZERS[key](learning_rate=args.lr) if args.lr is not None else OPTIMIZERS[key]()
        stopping = EarlyStopping(patience=args.early_stopping) if args.early_stopping else None
        with _progress(args.epochs) as (progress, callbacks):
            history = fit(
                net, Xs_tr, Y_tr, loss=args.loss, optimizer=optimizer, epochs=args.epochs,
                batch_size=_batch_size(args), seed=args.seed, l2=args.l2,
                validation=None if Xs_val is None else (Xs_val, Y_val),
                early_stopping=stopping, progress=progress, callbacks=callbacks,
                checkpoint=args.checkpoint, checkpoint_every=args.checkpoint_every,
                resume=args.resume,
            )
        seconds = time.perf_counter() - start

    X_score, t_score = (X_val, t_val) if X_val is not None else (X_tr, t_tr)
    where = "validation" if X_val is not None else "training"
    score: dict[str, float]
    if labels is not None:
        assert t_score is not None
        acc = float(np.mean(model.predict(X_score) == labels.inverse(t_score)))
        score = {"accuracy": acc}
        summary = f"{where} accuracy {acc:.1%}"
    else:
        from .model import regression_metrics

        assert t_score is not None
        rmse = regression_metrics(t_score, model.predict(X_score))["rmse"]
        score = {"rmse": rmse}
        summary = f"{where} RMSE {rmse:.6g}"
    extra = {
        "seed": args.seed,
        "history": dataclasses.asdict(history),
        "library_version": __version__,
        "optimizer": args.optimizer,
        "learning_rate": args.lr,
        "loss": args.loss,
        "training_seconds": seconds,
        "score": {where: score},
    }
    model.save(args.output, extra)
    for note in notes:
        print(f"note: {' '.join(note.split())}", file=sys.stderr)
    stopped = "" if history.stopped_reason == "epochs" else f" ({history.stopped_reason})"
    print(f"{summary} after {len(history)} epochs{stopped}, "
          f"{seconds:.2f} s; model saved to {args.output}")
    return 0


# ------------------------------------------------------------------------ predict / evaluate / info
def _predict(args: argparse.Namespace) -> int:
    from .model import Model

    if args.output is not None:
        _check_output(args.output)
    model, _ = Model.load(args.model)
    X, _y = _model_inputs(model, args.data)
    pred = model.predict(X)
    rows = pred.reshape(len(pred), -1)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(model.target_names or [f"y{j}" for j in range(rows.shape[1])])
    for row in rows:
        writer.writerow([_format_value(v) for v in row])
    if args.output is None:
        sys.stdout.write(buf.getvalue())
    else:
        write_atomic(args.output, buf.getvalue())
        print(f"{len(rows)} predictions written to {args.output}", file=sys.stderr)
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from .model import Model, classification_metrics, regression_metrics

    model, _ = Model.load(args.model)
    X, y = _model_inputs(model, args.data)
    if y is None:
        raise DataError(
            f"{args.data} has no target column {', '.join(model.target_names)!r}; evaluate "
            "needs the true values (use predict for unlabelled data)."
        )
    pred = model.predict(X)
    out = sys.stdout
    if model.labels is not None:
        if y.ndim == 2:
            y = y.argmax(axis=1)
        classes = model.labels.classes
        m = classification_metrics(y, pred, classes)
        hits = int(np.trace(m["confusion"]))
        print(f"accuracy {m['accuracy']:.4f} ({hits} of {len(y)} rows)", file=out)
        names = [str(c) for c in classes]
        width = max(9, *(len(n) for n in names)) + 2
        print("confusion matrix (rows: true class, columns: predicted):", file=out)
        print(" " * width + "".join(n.rjust(width) for n in names), file=out)
        for name, row in zip(names, m["confusion"], strict=True):
            print(name.ljust(width) + "".join(str(int(v)).rjust(width) for v in row), file=out)
        print("class".ljust(width) + "precision".rjust(width) + "recall".rjust(width)
              + "support".rjust(width), file=out)
        for j, name in enumerate(names):
            print(name.ljust(width) + f"{m['precision'][j]:.4f}".rjust(width)
                  + f"{m['recall'][j]:.4f}".rjust(width) + str(int(m["support"][j])).rjust(width),
                  file=out)
    else:
        if y.dtype.kind not in "biuf":
            raise DataError(f"the target column of {args.data} holds text; this model predicts numbers.")
        r = regression_metrics(y, pred)
        print(f"RMSE {r['rmse']:.6g}\nMAE {r['mae']:.6g}\nR² {r['r2']:.4f}\n({len(y)} rows)",
              file=out)
    return 0


def _info(args: argparse.Namespace) -> int:
    from .files import load_with_metadata
    from .model import Model

    net, meta = load_with_metadata(args.model)
    print(f"{args.model}: neuronless model (library {meta.get('library_version', 'unknown')})")
    if meta.get("task") in ("classification", "regression"):
        model = Model.from_metadata(net, meta, args.model)
        if model.labels is not None:
            print(f"task: classification, {model.labels.n_classes} classes: "
                  f"{', '.join(map(str, model.labels.classes))}")
        else:
            print("task: regression")
        print(f"features ({len(model.feature_names)}): {', '.join(model.feature_names)}")
        print(f"target: {', '.join(model.target_names)}")
        print(f"input scaling: {model.scaler.kind if model.scaler is not None else 'none'}")
    else:
        print("no preprocessing metadata (not written by 'neuronless train')")
    print(net.summary())
    h = meta.get("history")
    if isinstance(h, dict) and h.get("train_loss"):
        parts = [f"{len(h['train_loss'])} epochs"]
        if meta.get("optimizer"):
            parts.append(f"optimizer {meta['optimizer']}")
        parts.append(f"final loss {h['train_loss'][-1]:.6g}")
        if h.get("val_loss"):
            parts.append(f"validation loss {h['val_loss'][-1]:.6g}")
        acc = (h.get("val_metrics") or {}).get("accuracy")
        if acc:
            parts.append(f"validation accuracy {acc[-1]:.4f}")
        if isinstance(meta.get("training_seconds"), (int, float)):
            parts.append(f"{meta['training_seconds']:.2f} s")
        parts.append(f"stopped: {h.get('stopped_reason')}")
        if "seed" in meta:
            parts.append(f"seed {meta['seed']}")
        print("training: " + ", ".join(parts))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from . import Adam, Network, accuracy, fit, one_hot, predict_classes

    try:
        from sklearn.datasets import load_digits
    except ImportError:
        print("neuronless demo: needs scikit-learn for the digits data; install it with "
              "pip install 'neuronless[sklearn]'", file=sys.stderr)
        return 2
    digits = load_digits()
    X = (digits.data / 16.0).astype(np.float32)
    y = digits.target
    order = np.random.default_rng(args.seed).permutation(len(X))
    n_test = len(X) // 4
    test, train = order[:n_test], order[n_test:]
    net = Network.create([64, 32, 10], hidden="relu", output="softmax", seed=args.seed)
    print("A neural network is a list of matrices:")
    for k, W in enumerate(net.weights):
        print(f"  weights[{k}]: shape {W.shape}  ({W.shape[0] - 1} inputs + 1 bias row -> "
              f"{W.shape[1]} outputs, {net.layers[k].name})")
    print(f"  all {net.params.size} parameters live in one vector, net.params")
    print(f"\nTraining on {len(train)} 8x8 digit images (Adam, batch 32, {args.epochs} epochs)...")
    start = time.perf_counter()
    history = fit(net, X[train], one_hot(y[train], 10), optimizer=Adam(learning_rate=0.01),
                  epochs=args.epochs, batch_size=32, seed=args.seed)
    seconds = time.perf_counter() - start
    acc = accuracy(y[test], predict_classes(net, X[test]))
    print(f"  final training loss {history.train_loss[-1]:.4f}  ({seconds:.2f} s)")
    print(f"  test accuracy on {len(test)} held-out images: {acc:.1%}")
    return 0


def _diagnose(args: argparse.Namespace) -> int:
    from .classification import one_hot
    from .diagnostics import diagnose, render_findings
    from .model import Model
    from .training import History

    model, meta = Model.load(args.model)
    X, y = _model_inputs(model, args.data)
    Y: Array | None = None
    if y is not None and model.labels is not None:
        idx = model.labels.transform(y.argmax(axis=1) if y.ndim == 2 else y)
        Y = (idx.reshape(-1, 1).astype(np.float64) if model.net.n_outputs == 1
             else one_hot(idx, model.labels.n_classes, dtype=np.float64))
    elif y is not None:
        if y.dtype.kind not in "biuf":
            raise DataError(f"the target column of {args.data} holds text; this model predicts numbers.")
        Y = y.astype(np.float64).reshape(len(y), -1)
        if model.target_scaler is not None:
            Y = model.target_scaler.transform(Y)
    h = meta.get("history")
    known = {f.name for f in dataclasses.fields(History)}
    history = History(**{k: v for k, v in h.items() if k in known}) if isinstance(h, dict) else None
    loss = meta.get("loss") if isinstance(meta.get("loss"), str) else None
    findings = diagnose(model.net, model.inputs(X), Y, history=history, loss=loss)
    if Y is None:
        print(f"note: {args.data} has no target column; gradient and class-balance checks "
              "skipped.", file=sys.stderr)
    print(render_findings(findings))
    return 0


def _training_optimizer(meta: dict[str, Any]) -> Any:
    """The step rule the model was trained with (for explain's "the update it would make"),
    or None (explain's default, SGD) for whole-batch methods and files without the record."""
    from .optimizers import OPTIMIZERS

    name, lr = meta.get("optimizer"), meta.get("learning_rate")
    if not isinstance(name, str) or name not in OPTIMIZERS:
        return None
    cls = OPTIMIZERS[name]
    if isinstance(lr, (int, float)) and not isinstance(lr, bool) and "learning_rate" in {
        f.name for f in dataclasses.fields(cls)
    }:
        return cls(learning_rate=float(lr))
    return cls()


def _explain(args: argparse.Namespace) -> int:
    from .classification import one_hot
    from .explain import MAX_ENTRIES, explain, render
    from .model import Model

    model, meta = Model.load(args.model)
    X, y = _model_inputs(model, args.data)
    i = args.sample
    if not 0 <= i < len(X):
        raise ConfigError(f"--sample must be a row index in 0..{len(X) - 1} for {args.data}; "
                          f"got {i}.")
    x = model.inputs(X[i : i + 1])
    Y: Array | None = None
    if args.backward:
        if y is None:
            raise DataError(f"{args.data} has no target column {', '.join(model.target_names)!r}; "
                            "--backward needs the true value of the sample.")
        t = np.asarray(y[i : i + 1])
        if model.labels is not None:
            idx = model.labels.transform(t.argmax(axis=1) if t.ndim == 2 else t)
            Y = (idx.reshape(1, 1).astype(np.float64) if model.net.n_outputs == 1
                 else one_hot(idx, model.labels.n_classes, dtype=np.float64))
        else:
            if t.dtype.kind not in "biuf":
                raise DataError(f"the target column of {args.data} holds text; this model "
                                "predicts numbers.")
            Y = t.astype(np.float64).reshape(1, -1)
            if model.target_scaler is not None:
                Y = model.target_scaler.transform(Y)
    loss = meta.get("loss") if isinstance(meta.get("loss"), str) else None
    steps = explain(model.net, x, Y, loss=loss, model=model, optimizer=_training_optimizer(meta))
    text = render(steps, args.format, args.precision, None if args.all else MAX_ENTRIES,
                  color=args.format == "text" and sys.stdout.isatty())
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


# ------------------------------------------------------------------------ draw / plot
def _sample_row(model: Any, net: Any, spec: str) -> Array:
    """``DATA:ROW`` -> that row of DATA as the network's (scaled) input."""
    from .data import load

    path, sep, row_text = spec.rpartition(":")
    if not sep or not path or not row_text.lstrip("-").isdigit():
        raise ConfigError(f"--sample must look like DATA:ROW, e.g. iris.csv:0; got {spec!r}.")
    if model is not None:
        X, _ = _model_inputs(model, path)
    else:
        X = load(path).X
    row = int(row_text)
    if not -len(X) <= row < len(X):
        raise DataError(f"{path} has {len(X)} data rows; row {row} does not exist (rows count from 0).")
    x = np.asarray(X[row:][:1], dtype=np.float64)
    return np.asarray(model.inputs(x) if model is not None else x)


def _load_for_drawing(path: str) -> tuple[Any, Any, dict[str, Any]]:
    """``(net, model or None, metadata)``: any .nless file draws; a trained one scales inputs."""
    from .files import load_with_metadata
    from .model import Model

    net, meta = load_with_metadata(path)
    model = Model.from_metadata(net, meta, path) if meta.get("task") else None
    return net, model, meta


def _draw(args: argparse.Namespace) -> int:
    from .diagrams import network_png, network_svg

    ext = os.path.splitext(args.output)[1].lower()
    if ext not in (".svg", ".png"):
        raise ConfigError(f"draw writes .svg or .png files; got {args.output!r}.")
    _check_output(args.output)
    net, model, _ = _load_for_drawing(args.model)
    sample = _sample_row(model, net, args.sample) if args.sample is not None else None
    if ext == ".svg":
        write_atomic(args.output, network_svg(net, sample=sample, max_units=args.max_units))
    else:
        network_png(net, args.output, sample=sample, max_units=args.max_units)
    print(f"{net!r} drawn to {args.output}", file=sys.stderr)
    return 0


def _plot(args: argparse.Namespace) -> int:
    from . import plots

    if os.path.splitext(args.output)[1].lower() not in (".png", ".svg", ".pdf"):
        raise ConfigError(f"plot writes .png, .svg or .pdf files; got {args.output!r}.")
    _check_output(args.output)
    if args.what == "boundary" and args.data is None:
        raise ConfigError("--what boundary needs --data FILE with the model's 2 feature columns.")
    if args.what != "boundary" and args.data is not None:
        raise ConfigError(f"--data applies only to --what boundary; leave it out for {args.what}.")
    net, model, meta = _load_for_drawing(args.model)
    if args.what == "curves":
        history = meta.get("history")
        if not isinstance(history, dict) or not history.get("train_loss"):
            raise ConfigError(f"{args.model} holds no training history; train it with "
                              "'neuronless train' to plot its curves.")
        plots.plot_curves(history, args.output)
    elif args.what == "weights":
        plots.plot_weights(net, args.output)
    elif args.what == "hidden":
        plots.plot_hidden(net, args.output)
    else:
        if model is None:
            raise ConfigError(f"{args.model} has no preprocessing metadata; --what boundary "
                              "needs a model written by 'neuronless train'.")
        if net.n_inputs != 2:
            raise ConfigError(f"--what boundary needs a model with 2 features; {args.model} "
                              f"has {net.n_inputs}.")
        X, y = _model_inputs(model, args.data)
        if y is None:
            raise DataError(f"{args.data} has no target column "
                            f"{', '.join(model.target_names)!r}; the boundary plot colours "
                            "the points by their class.")
        plots.plot_boundary(model, X, y, args.output)
    print(f"{args.what} plotted to {args.output}", file=sys.stderr)
    return 0


def _build_parser() -> _Parser:
    from .activations import ACTIVATIONS
    from .losses import LOSSES

    parser = _Parser(prog="neuronless", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    train = sub.add_parser("train", help="train a network on a data file and save it (.nless)")
    train.add_argument("data", help="CSV/TSV, .npz or FANN .data file")
    train.add_argument("-o", "--output", required=True, help="where to save the model (.nless)")
    train.add_argument("--target", help="target column name or index (default: the last column)")
    train.add_argument("--task", choices=["classification", "regression"],
                       help="default: inferred from the target column")
    train.add_argument("--layers", type=_layers, default=[16], help="hidden sizes, e.g. 16,8")
    train.add_argument("--hidden", choices=sorted(ACTIVATIONS), default="tanh")
    train.add_argument("--loss", choices=sorted(LOSSES),
                       help="default: cross-entropy for classes, MSE for regression")
    train.add_argument("--optimizer", choices=OPTIMIZER_CHOICES, default="adam")
    train.add_argument("--epochs", type=_positive_int, default=200,
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
    train.add_argument("--l2", type=_float_in(0.0, math.inf, False, True), default=0.0)
    train.add_argument("--validation-fraction", type=_float_in(0.0, 1.0, False, True),
                       default=0.2, help="rows held out for validation (0: none)")
    train.add_argument("--early-stopping", type=_positive_int, default=None, metavar="PATIENCE")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--scale", choices=["standard", "minmax", "none"], default="standard")
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
    demo.add_argument("--epochs", type=int, default=30)
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
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error already reported in one line (2)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return int(args.func(args))
    except NeuronlessError as exc:
        message = str(exc)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        message = f"{where}{exc.strerror or exc}; check the path and its permissions."
    print(f"neuronless {args.command}: {' '.join(message.split())}", file=sys.stderr)
    return 2
