"""``neuronless train``: a data file in, a trained ``.nless`` model (with its preprocessing) out."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ._common import _check_output, _progress


def _train(args: argparse.Namespace) -> int:
    """Argument parsing is done; this is the pipeline call and the printing around it."""
    from ..pipeline import train

    _check_output(args.output)
    options = {k: v for k, v in _options(args).items() if v is not None}
    from ..pipeline import DEFAULTS

    if getattr(args, "dask", None):
        model = _train_on_dask(args, options)
    elif getattr(args, "data_parallel", None):
        from ..errors import ConfigError

        raise ConfigError("--data-parallel splits training over a Dask cluster's workers; add "
                          "--dask local:N or --dask tcp://HOST:PORT.")
    else:
        with _progress(args.epochs or DEFAULTS.epochs) as (progress, callbacks):
            model = train(
                args.data, _target(args.target), task=args.task, seed=args.seed,
                fann_compatible=bool(args.fann_compatible), progress=progress,
                callbacks=callbacks, log=_print_line, **options,
            )
    info = model.info
    where, score = next(iter(info["score"].items()))
    if "accuracy" in score:
        summary = f"{where} accuracy {score['accuracy']:.1%}"
    else:
        summary = f"{where} RMSE {score['rmse']:.6g}"
    if where == "training":
        summary += " (on the rows it trained on; --validation-fraction 0.2 holds rows out)"
    model.save(args.output)
    history = model.history
    assert history is not None
    stopped = "" if history.stopped_reason == "epochs" else f" ({history.stopped_reason})"
    n_epochs = info.get("epochs_run", len(history))
    grown = f" with {info['units']} hidden units" if "units" in info else ""
    print(f"{summary} after {n_epochs} epochs{grown}{stopped}, "
          f"{info['training_seconds']:.2f} s; model saved to {args.output}")
    return 0


def _train_on_dask(args: argparse.Namespace, options: dict[str, Any]) -> Any:
    """``--dask``: the same pipeline on a cluster (neuronless.dask.train)."""
    try:
        from ..dask.cluster import connect, parse
        from ..dask.pipeline import train as train_on_dask
    except ImportError as e:
        from ..errors import ConfigError

        raise ConfigError(f"--dask needs the dask extra ({e.name} is missing): "
                          "pip install 'neuronless[dask]'.") from None
    parse(args.dask)  # a bad address is an error before any work
    backend = options.pop("backend", "auto")
    if backend != "auto":
        from ..errors import ConfigError

        raise ConfigError(f"--backend {backend} does not apply with --dask: the cluster's "
                          "workers run the NumPy epochs.")
    if options.pop("max_neurons", None) is not None:
        from ..errors import ConfigError

        raise ConfigError("--max-neurons is Cascade2's, which does not run on Dask.")
    with connect(args.dask) as client:
        return train_on_dask(args.data, _target(args.target), client=client, task=args.task,
                             seed=args.seed, fann_compatible=bool(args.fann_compatible),
                             progress=True, log=_print_line,
                             data_parallel=args.data_parallel, **options)


def _options(args: argparse.Namespace) -> dict[str, Any]:
    """The pipeline keywords the command line's flags give (None: not given)."""
    from ._common import DefaultChoice

    optimizer = None if isinstance(args.optimizer, DefaultChoice) else args.optimizer
    return {
        "layers": args.layers, "hidden": args.hidden, "loss": args.loss, "optimizer": optimizer,
        "learning_rate": args.lr, "epochs": args.epochs, "l2": args.l2,
        "validation_fraction": args.validation_fraction, "early_stopping": args.early_stopping,
        "scale": args.scale, "error_function": args.error_function,
        "desired_error": args.desired_error, "max_neurons": args.max_neurons,
        "checkpoint": args.checkpoint, "checkpoint_every": args.checkpoint_every,
        "resume": args.resume, "batch_size": args.batch_size,
        "na_values": args.na_values, "drop": args.drop, "keep": args.keep,
        "categorical": args.categorical, "schedule": args.schedule, "backend": args.backend,
    }


def _target(text: str | None) -> str | int | list[str] | None:
    """--target: a column name, a comma-separated list of names, or a column index."""
    if text is None:
        return None
    if "," in text:
        return [part.strip() for part in text.split(",")]
    return text


def _print_line(kind: str, line: str) -> None:
    """The pipeline's log: summaries to stdout, notes and progress to stderr."""
    if kind == "info":
        print(line)
    elif kind == "note":
        print(f"note: {' '.join(line.split())}", file=sys.stderr)
    else:
        print(line, file=sys.stderr)


# ------------------------------------------------------------------------ predict / evaluate / info
