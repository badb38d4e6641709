"""``neuronless train``: a data file in, a trained ``.nless`` model (with its preprocessing) out."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
import warnings
from typing import Any

import numpy as np

from ..errors import ConfigError, DataError
from ._common import (
    Array,
    _batch_size,
    _check_output,
    _load_table,
    _progress,
    _validation_fraction,
)


def _train(args: argparse.Namespace) -> int:
    from .. import __version__
    from ..classification import one_hot
    from ..data import Labels, MinMaxScaler, StandardScaler, infer_task, train_test_split
    from ..minimize import minimize
    from ..model import Model
    from ..network import Network
    from ..optimizers import OPTIMIZERS
    from ..training import EarlyStopping, History, fit

    fann_mode = _check_fann_flags(args)
    whole_batch = args.optimizer in ("lbfgs", "cg")
    cascade = args.optimizer == "cascade"
    cascade_report: Any = None
    if cascade:
        _check_cascade_flags(args)
    elif args.max_neurons is not None or (args.desired_error is not None and not fann_mode):
        raise ConfigError(
            "--max-neurons and --desired-error apply only to --optimizer cascade; leave them "
            "out or add --optimizer cascade."
        )
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
    args.validation_fraction = _validation_fraction(args)
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
    elif labels.n_classes == 2 or fann_mode:  # FANN: one sigmoid unit per class
        n_out, output = (1 if labels.n_classes == 2 else labels.n_classes), "sigmoid"
        if n_out == 1:
            Y_tr = t_tr.reshape(-1, 1).astype(np.float64)
            Y_val = None if t_val is None else t_val.reshape(-1, 1).astype(np.float64)
        else:
            Y_tr = one_hot(t_tr, n_out, dtype=np.float64)
            Y_val = None if t_val is None else one_hot(t_val, n_out, dtype=np.float64)
    else:
        n_out, output = labels.n_classes, "softmax"
        Y_tr = one_hot(t_tr, labels.n_classes, dtype=np.float64)
        Y_val = None if t_val is None else one_hot(t_val, labels.n_classes, dtype=np.float64)

    layers = [16] if args.layers is None else args.layers
    net = Network.create([X.shape[1], *layers, n_out], hidden=args.hidden, output=output,
                         seed=args.seed, init="uniform" if fann_mode else "auto")
    model = Model(net, task, labels, scaler, target_scaler, list(ds.feature_names),
                  list(ds.target_names))
    Xs_tr = model.inputs(X_tr)
    Xs_val = None if X_val is None else model.inputs(X_val)

    what = (f"{labels.n_classes} classes ({', '.join(map(str, labels.classes))})"
            if labels is not None else f"predicting {target}")
    n_val = 0 if X_val is None else len(X_val)
    print(f"{task}: {what}; {len(X_tr)} training rows, {n_val} validation rows, "
          f"{X.shape[1]} features, scaling: {args.scale}")
    if not cascade:
        print(net.summary())

    notes: list[str] = []
    start = time.perf_counter()
    if fann_mode:
        history = _fann_fit(args, net, Xs_tr, Y_tr)
        seconds = time.perf_counter() - start
    elif cascade:
        net, history, cascade_report = _cascade_fit(args, Xs_tr, Y_tr)
        model.net = net
        seconds = time.perf_counter() - start
    elif whole_batch:
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
        from ..model import regression_metrics

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
    if cascade:
        extra["cascade"] = dataclasses.asdict(cascade_report)
    model.save(args.output, extra)
    for note in notes:
        print(f"note: {' '.join(note.split())}", file=sys.stderr)
    stopped = "" if history.stopped_reason == "epochs" else f" ({history.stopped_reason})"
    n_epochs = cascade_report.total_epochs if cascade else len(history)
    grown = f" with {len(cascade_report.units)} hidden units" if cascade else ""
    print(f"{summary} after {n_epochs} epochs{grown}{stopped}, "
          f"{seconds:.2f} s; model saved to {args.output}")
    return 0


def _check_fann_flags(args: argparse.Namespace) -> bool:
    """Resolve --optimizer's default; return whether training is FANN-compatible (FannTrainer)
    and refuse flags that FANN's training would silently ignore."""
    from ._common import FANN_ONLY_OPTIMIZERS, FANN_OPTIMIZERS, DefaultChoice

    fann_mode = bool(args.fann_compatible) or args.optimizer in FANN_ONLY_OPTIMIZERS
    if args.optimizer is None or isinstance(args.optimizer, DefaultChoice):
        args.optimizer = "rprop" if fann_mode else str(args.optimizer or "adam")
    if not fann_mode:
        if args.error_function is not None:
            raise ConfigError(
                "--error-function is FANN's (tanh or linear) and applies only with "
                "--fann-compatible; leave it out or add --fann-compatible."
            )
        return False
    if args.optimizer not in FANN_OPTIMIZERS:
        raise ConfigError(
            f"--fann-compatible trains with FANN's algorithms ({', '.join(FANN_OPTIMIZERS)}); "
            f"got --optimizer {args.optimizer}. Pick one of those or leave --fann-compatible out."
        )
    if args.lr is not None and args.optimizer in ("rprop", "sarprop"):
        raise ConfigError(
            f"--lr does not apply to FANN's {args.optimizer} (it adapts a step per weight); "
            "leave --lr out or pick quickprop, batch or incremental."
        )
    for flag, given in (("--loss", args.loss is not None), ("--l2", args.l2 != 0.0),
                        ("--batch-size", args.batch_size is not None),
                        ("--early-stopping", args.early_stopping is not None),
                        ("--checkpoint", args.checkpoint is not None),
                        ("--resume", args.resume is not None),
                        ("--max-neurons", args.max_neurons is not None)):
        if given:
            raise ConfigError(
                f"{flag} does not apply to FANN-compatible training (FANN trains on its MSE "
                f"with {args.optimizer}"
                + (", one pattern at a time" if args.optimizer == "incremental" else
                   ", whole batch") + "); leave it out, or drop --fann-compatible."
            )
    return True


def _fann_fit(args: argparse.Namespace, net: Any, X: Array, Y: Array) -> Any:
    """Train with FANN's algorithm (FannTrainer, FANN-compatible); a training History."""
    from ..fann.params import FannParams
    from ..fann.train import FannTrainer
    from ..training import History

    params = FannParams(training_algorithm=args.optimizer,
                        train_error_function=args.error_function or "tanh",
                        learning_rate=0.7 if args.lr is None else args.lr)
    trainer = FannTrainer(net, params, fann_compatible=True)
    desired = 0.0 if args.desired_error is None else args.desired_error
    print(f"FANN-compatible training: {args.optimizer}, {params.train_error_function} error "
          f"function, up to {args.epochs} epochs, desired MSE {desired:g}", file=sys.stderr)
    h = trainer.train_on_data(X, Y, args.epochs, desired)
    reason = "epochs" if h.stopped_reason == "max_epochs" else "desired error (FANN MSE)"
    print(f"FANN MSE {h.mse[-1]:.6g}, bit fail {h.bit_fail[-1]} after {len(h)} epochs",
          file=sys.stderr)
    return History(epoch=list(range(len(h))), train_loss=list(h.mse), time=list(h.time),
                   stopped_reason=reason)


def _check_cascade_flags(args: argparse.Namespace) -> None:
    """--optimizer cascade grows its own architecture with FANN's Rprop: refuse flags it
    would silently ignore."""
    for flag, given in (("--layers", args.layers is not None), ("--lr", args.lr is not None),
                        ("--batch-size", args.batch_size is not None),
                        ("--early-stopping", args.early_stopping is not None),
                        ("--checkpoint", args.checkpoint is not None),
                        ("--resume", args.resume is not None),
                        ("--loss", args.loss is not None), ("--l2", args.l2 != 0.0)):
        if given:
            reason = ("the cascade grows the hidden layers itself, one unit at a time"
                      if flag == "--layers" else "cascade training uses FANN's Rprop on the "
                      "mean squared error, whole batch")
            raise ConfigError(
                f"{flag} does not apply to --optimizer cascade ({reason}); leave it out, or "
                "pick another optimizer to use it."
            )


def _cascade_fit(args: argparse.Namespace, X: Array, Y: Array) -> tuple[Any, Any, Any]:
    """Grow the network with Cascade2; print the grown architecture."""
    from ..cascade import cascade_train
    from ..training import History

    net, report = cascade_train(
        X, Y, max_neurons=30 if args.max_neurons is None else args.max_neurons,
        desired_error=0.0 if args.desired_error is None else args.desired_error,
        seed=args.seed,
    )
    print(report)
    print(net.summary())
    history = History(epoch=list(range(len(report.mse))), train_loss=list(report.mse),
                      stopped_reason=f"cascade: {report.stopped_reason}")
    return net, history, report


# ------------------------------------------------------------------------ predict / evaluate / info
