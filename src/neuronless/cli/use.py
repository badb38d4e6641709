"""``neuronless predict``, ``evaluate``, ``info`` and ``demo``."""

from __future__ import annotations

import argparse
import csv
import io
import sys
import time
from typing import Any

import numpy as np

from ..errors import DataError
from ..files.atomic import write_atomic
from ._common import (
    _check_output,
    _format_value,
    _is_onnx,
    _load_model,
    _load_net,
    _model_inputs,
    _with_targets,
)


def _predict(args: argparse.Namespace) -> int:

    if args.output is not None:
        _check_output(args.output)
    model, _ = _load_model(args.model)
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
    from ..model import classification_metrics, regression_metrics

    model, _ = _load_model(args.model)
    X, y = _model_inputs(model, args.data)
    if y is None:
        raise DataError(
            f"{args.data} has no target column {', '.join(model.target_names)!r}; evaluate "
            "needs the true values (use predict for unlabelled data)."
        )
    X, y = _with_targets(X, y)
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
    from ..model import Model

    net, meta = _load_net(args.model)
    if _is_onnx(args.model):
        producer = meta.get("onnx_producer") or "an unnamed producer"
        print(f"{args.model}: ONNX model (made by {producer}, opset "
              f"{meta.get('onnx_opset', '?')}), read as a neuronless model")
    else:
        print(f"{args.model}: neuronless model (library {meta.get('library_version', 'unknown')})")
    if meta.get("task") in ("classification", "regression"):
        model = Model.from_metadata(net, meta, args.model)
        if model.labels is not None:
            print(f"task: classification, {model.labels.n_classes} classes: "
                  f"{', '.join(map(str, model.labels.classes))}")
        else:
            print("task: regression")
        if model.encoder is not None:
            enc = model.encoder
            print(f"input columns ({len(enc.columns)}, encoded as {enc.n_features} network "
                  "inputs):")
            for line in enc.describe():
                print(f"  {line}")
        else:
            print(f"features ({len(model.feature_names)}): {', '.join(model.feature_names)}")
        print(f"target: {', '.join(model.target_names)}")
        if model.target_range is not None:
            print(f"predictions clipped to the training range {model.target_range}")
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
        if meta.get("backend") in ("numpy", "compiled", "compiled, numpy"):
            parts.append(f"{meta['backend']} epochs")
        parts.append(f"stopped: {h.get('stopped_reason')}")
        if "seed" in meta:
            parts.append(f"seed {meta['seed']}")
        print("training: " + ", ".join(parts))
    _info_fann(meta)
    if any("gaussian_stepwise" in {a.name for a in (layer.per_neuron or (layer.uniform,)) if a}
           for layer in net.layers):
        from ..fann.activations import GAUSSIAN_STEPWISE_NOTE

        print(f"note: {GAUSSIAN_STEPWISE_NOTE}")
    return 0


def _info_fann(meta: dict[str, Any]) -> None:
    """What a model keeps of FANN: the file it was converted from, a grown cascade."""
    if isinstance(meta.get("fann_version"), str):
        raw = meta.get("fann_params")
        p: dict[str, Any] = raw if isinstance(raw, dict) else {}
        print(f"converted from {meta.get('converted_from', 'a FANN file')} "
              f"({meta['fann_version']}); FANN training parameters kept: algorithm "
              f"{p.get('training_algorithm', '?')}, error function "
              f"{p.get('train_error_function', '?')}, learning rate {p.get('learning_rate', '?')}")
    cascade = meta.get("cascade")
    if isinstance(cascade, dict) and isinstance(cascade.get("units"), list):
        units = [u for u in cascade["units"] if isinstance(u, dict)]
        print(f"cascade: {len(units)} hidden units grown "
              f"(stopped: {cascade.get('stopped_reason', '?')})")
        for k, u in enumerate(units, 1):
            print(f"  unit {k}: {u.get('activation', '?')} (FANN steepness "
                  f"{u.get('steepness', '?')})")


def _demo(args: argparse.Namespace) -> int:
    """The main job on a built-in table: the pipeline with its defaults on the digits."""
    from ..pipeline import DEFAULTS, train

    try:
        from sklearn.datasets import load_digits
    except ImportError:
        print("neuronless demo: needs scikit-learn for the digits data; install it with "
              "pip install 'neuronless[sklearn]'", file=sys.stderr)
        return 2
    digits = load_digits()
    X, y = digits.data, digits.target
    order = np.random.default_rng(args.seed).permutation(len(X))
    n_test = len(X) // 4
    test, rows = order[:n_test], order[n_test:]
    epochs = DEFAULTS.epochs if args.epochs is None else args.epochs
    print(f"Training on {len(rows)} 8x8 digit images with neuronless.train's defaults "
          f"(at most {epochs} epochs)...")
    start = time.perf_counter()
    model = train(X[rows], y[rows], seed=args.seed, epochs=epochs)
    seconds = time.perf_counter() - start
    net = model.net
    print("\nA neural network is a list of matrices:")
    for k, W in enumerate(net.weights):
        print(f"  weights[{k}]: shape {W.shape}  ({W.shape[0] - 1} inputs + 1 bias row -> "
              f"{W.shape[1]} outputs, {net.layers[k].name})")
    print(f"  all {net.params.size} parameters live in one vector, net.params")
    assert model.history is not None
    acc = float(np.mean(model.predict(X[test]) == y[test]))
    print(f"\n  trained {len(model.history)} epochs in {seconds:.2f} s "
          f"(stopped: {model.history.stopped_reason})")
    print(f"  test accuracy on {len(test)} held-out images: {acc:.1%}")
    return 0
