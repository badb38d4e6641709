"""``neuronless explain``, ``draw``, ``plot`` and ``diagnose``: look inside a model."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from typing import Any

import numpy as np

from ..errors import ConfigError, DataError
from ..files.atomic import write_atomic
from ._common import (
    Array,
    _check_output,
    _load_model,
    _load_net,
    _model_inputs,
    _n_rows,
    _rows,
    _with_targets,
)


def _diagnose(args: argparse.Namespace) -> int:
    from ..classification import one_hot
    from ..diagnostics import diagnose, render_findings
    from ..training import History

    model, meta = _load_model(args.model)
    X, y = _model_inputs(model, args.data)
    if y is not None:
        X, y = _with_targets(X, y)
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
    from ..optimizers import OPTIMIZERS

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
    from ..classification import one_hot
    from ..explain import MAX_ENTRIES, explain, render

    model, meta = _load_model(args.model)
    X, y = _model_inputs(model, args.data)
    i = args.sample
    if not 0 <= i < _n_rows(X):
        raise ConfigError(f"--sample must be a row index in 0..{_n_rows(X) - 1} for "
                          f"{args.data}; got {i}.")
    raw = _rows(X, np.array([i]))
    x = model.inputs(raw)
    Y: Array | None = None
    if args.backward:
        if y is None:
            raise DataError(f"{args.data} has no target column {', '.join(model.target_names)!r}; "
                            "--backward needs the true value of the sample.")
        t = np.asarray(y[i : i + 1])
        if t.dtype.kind == "O":
            if t.ravel()[0] is None:
                raise DataError(f"row {i} of {args.data} has no target value; --backward needs "
                                "the true value of the sample. Pick another --sample.")
            t = t.astype(str)
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
    steps = explain(model.net, x, Y, loss=loss, model=model, optimizer=_training_optimizer(meta),
                    raw=raw if model.encoder is not None else None)
    text = render(steps, args.format, args.precision, None if args.all else MAX_ENTRIES,
                  color=args.format == "text" and sys.stdout.isatty())
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


# ------------------------------------------------------------------------ draw / plot


def _sample_row(model: Any, net: Any, spec: str) -> Array:
    """``DATA:ROW`` -> that row of DATA as the network's (scaled) input."""
    from ..data import load

    path, sep, row_text = spec.rpartition(":")
    if not sep or not path or not row_text.lstrip("-").isdigit():
        raise ConfigError(f"--sample must look like DATA:ROW, e.g. iris.csv:0; got {spec!r}.")
    if model is not None:
        X, _ = _model_inputs(model, path)
    else:
        X = load(path).X
    row = int(row_text)
    n = _n_rows(X)
    if not -n <= row < n:
        raise DataError(f"{path} has {n} data rows; row {row} does not exist (rows count from 0).")
    x = _rows(X, np.array([row % n]))
    return np.asarray(model.inputs(x) if model is not None else np.asarray(x, dtype=np.float64))


def _load_for_drawing(path: str) -> tuple[Any, Any, dict[str, Any]]:
    """``(net, model or None, metadata)``: any .nless or .onnx file draws; a trained one scales
    inputs."""
    from ..model import Model

    net, meta = _load_net(path)
    model = Model.from_metadata(net, meta, path) if meta.get("task") else None
    return net, model, meta


def _draw(args: argparse.Namespace) -> int:
    from ..diagrams import network_png, network_svg

    ext = os.path.splitext(args.output)[1].lower()
    if ext not in (".svg", ".png"):
        raise ConfigError(f"draw writes .svg or .png files; got {args.output!r}.")
    _check_output(args.output)
    net, model, _ = _load_for_drawing(args.model)
    sample = _sample_row(model, net, args.sample) if args.sample is not None else None
    inputs, outputs = model.unit_names() if model is not None else (None, None)
    if ext == ".svg":
        write_atomic(args.output, network_svg(net, sample=sample, max_units=args.max_units,
                                              input_names=inputs, output_names=outputs))
    else:
        network_png(net, args.output, sample=sample, max_units=args.max_units,
                    input_names=inputs, output_names=outputs)
    print(f"{net!r} drawn to {args.output}", file=sys.stderr)
    return 0


def _plot(args: argparse.Namespace) -> int:
    from .. import plots

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
        X, y = _with_targets(X, y)
        if model.encoder is not None:
            if any(c.kind != "numeric" for c in model.encoder.columns):
                raise ConfigError("--what boundary needs a model of two numeric columns; this "
                                  "one encodes text or booleans.")
            X = np.column_stack([X.column(n) for n in model.encoder.raw_names]).astype(float)
        plots.plot_boundary(model, X, y, args.output)
    print(f"{args.what} plotted to {args.output}", file=sys.stderr)
    return 0
