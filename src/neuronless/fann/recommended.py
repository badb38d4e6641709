"""neuronless's recommended training recipe for FANN-style data, and one function that applies it.

Contract: :func:`recommended` returns the one :class:`Recipe` neuronless recommends to a FANN
user (the same for every data set; no per-data-set tuning), :data:`CLI_DEFAULTS` is what
``neuronless train`` does by default (the pipeline's ``DEFAULTS``), and :func:`train` passes
a recipe and FANN-style arrays to the one pipeline, :func:`neuronless.train`: the task is
inferred from the targets (one-hot or single 0/1 column: classification, else regression),
inputs (and regression targets) are scaled on the training rows, two classes get one sigmoid
output with binary cross-entropy, more get softmax with cross-entropy, regression gets an
identity output with MSE. A recipe with ``l2_choices`` first picks its L2 penalty with
:func:`choose_l2` (held-out rows or k folds of the training data), then trains on every
training row with it. Any validation
or held-out rows come out of the training data, never from data passed for testing.
:func:`outputs_like_targets` answers in the layout of the FANN ``.data`` targets (one column
per class for one-hot data), so FANN's MSE can be computed on it. Nothing here prints.

>>> import numpy as np
>>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]] * 8)
>>> Y = np.array([[0.0], [1.0], [1.0], [0.0]] * 8)
>>> model, history = train(X, Y, [8], seed=0, recipe=recommended().replace(epochs=300))
>>> model.task, model.net.sizes
('classification', (2, 8, 1))
>>> bool(np.all((outputs_like_targets(model, X, 1) >= 0.5) == (Y >= 0.5)))
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..classification import one_hot
from ..errors import DataError, ShapeError
from ..model import Model, Task
from ..pipeline import DEFAULTS, SCALES, SCHEDULES, Options, Recipe, prepare, selection_splits
from ..pipeline import choose_l2 as _choose_l2
from ..pipeline import train as _train
from ..training import History

Array = NDArray[Any]
__all__ = ["CLI_DEFAULTS", "SCALES", "SCHEDULES", "Recipe", "choose_l2", "differences_from_cli",
           "outputs_like_targets", "recommended", "train", "training_arrays"]

#: What ``neuronless train`` does when given only a data file: the pipeline's defaults.
CLI_DEFAULTS = DEFAULTS

_RECOMMENDED = Recipe(
    layers=DEFAULTS.layers,  # unused: train() takes the hidden sizes
    hidden="tanh",
    optimizer="irprop+",
    learning_rate=None,  # iRprop+ has step sizes, not a learning rate
    batch_size=None,  # full batch: one step per epoch
    epochs=2000,
    scale="standard",
    validation_fraction=0.0,
    early_stopping=None,
    init="auto",
    l2=0.0,  # unused: l2_choices decides
    schedule=None,
    l2_choices=(0.1, 1.0, 3.0),
    select_folds=4,
)


def recommended() -> Recipe:
    """neuronless's recommended recipe for FANN users: one recipe for every data set.

    iRprop+ (Igel & Hüsken's Rprop with weight-backtracking) on the full batch (one step per
    epoch, like FANN's batch algorithms) for 2000 epochs, tanh hidden layers, standardised
    inputs (and regression targets), Glorot initialisation, and an L2 penalty chosen from
    0.1, 1 and 3 (``l2/(2m) * sum(w**2)`` over the non-bias weights) by 4-fold
    cross-validation on the training rows (:func:`choose_l2`; a tie goes to the smaller
    penalty); the final network is then trained on every training row with that penalty.
    :func:`differences_from_cli` lists how it differs from the ``neuronless train`` defaults
    (:data:`CLI_DEFAULTS`, the pipeline's :data:`~neuronless.pipeline.DEFAULTS`). It costs
    13 trainings (3 penalties x 4 folds, then the final one). It was chosen on held-out
    quarters of FANN's training files (never their test files); ``benchmarks/fann_bench.py``
    measures it against libfann on FANN's 16 benchmark data sets and docs/performance.md has
    the selection protocol and the results.

    >>> r = recommended()
    >>> r.optimizer, r.batch_size, r.epochs, r.l2_choices, r.select_folds
    ('irprop+', None, 2000, (0.1, 1.0, 3.0), 4)
    """
    return _RECOMMENDED


def differences_from_cli(recipe: Recipe | None = None) -> dict[str, tuple[Any, Any]]:
    """``{setting: (CLI default, recipe's value)}`` for every setting that differs (the hidden
    layer sizes are left out: :func:`train` takes them as an argument)."""
    recipe = recommended() if recipe is None else recipe
    cli, ours = CLI_DEFAULTS.as_dict(), recipe.as_dict()
    return {k: (cli[k], ours[k]) for k in cli if cli[k] != ours[k] and k != "layers"}


def _targets(Y: Array) -> tuple[Task, Array | None, int]:
    """(task, class index per row or None, number of classes) for FANN-style targets."""
    from ..data import infer_task

    task = infer_task(Y[:, 0] if Y.shape[1] == 1 else Y)
    if task == "regression":
        return task, None, 0
    if Y.shape[1] == 1:
        if not np.all((Y == 0) | (Y == 1)):
            raise DataError(
                "a single target column with class labels must hold 0 and 1 for this recipe; "
                f"got the values {np.unique(Y)[:5].tolist()}. Use one column per class (one-hot)."
            )
        return task, Y[:, 0].astype(np.int64), 2
    return task, Y.argmax(axis=1), Y.shape[1]


def _arrays(X: Any, Y: Any, at_least: int) -> tuple[Array, Array]:
    Xa = np.asarray(X, dtype=np.float64)
    Ya = np.asarray(Y, dtype=np.float64)
    Ya = Ya.reshape(-1, 1) if Ya.ndim == 1 else Ya
    if Xa.ndim != 2 or Ya.ndim != 2 or len(Xa) != len(Ya) or len(Xa) < at_least:
        raise ShapeError(
            f"X must be (n, n_inputs) and Y (n, n_outputs) with the same n >= {at_least}; got X "
            f"{Xa.shape} and Y {np.shape(Y)}. Pass one row per training pattern."
        )
    return Xa, Ya


def _fann_targets(Ya: Array) -> Array:
    """FANN-style targets as the pipeline reads them: one 0/1 column stays a class column."""
    return Ya[:, 0].astype(np.int64) if Ya.shape[1] == 1 and _targets(Ya)[1] is not None else Ya


def train(
    X: Any,
    Y: Any,
    hidden_sizes: Sequence[int],
    *,
    seed: int = 0,
    recipe: Recipe | None = None,
    dtype: Any = np.float32,
    threads: int | str | None = "auto",
    report: dict[str, Any] | None = None,
) -> tuple[Model, History]:
    """Train a network of the given hidden sizes on FANN-style ``(X, Y)`` with ``recipe``
    through the pipeline (:func:`neuronless.train`); return the model and its history.

    ``Y`` holds one-hot rows (classification with that many classes), a single 0/1 column
    (binary classification) or anything else (regression). With ``recipe.l2_choices``,
    ``report`` (a dict) receives ``"l2"`` (the penalty chosen) and ``"l2_scores"``
    (``{penalty: held-out score}``, see :func:`choose_l2`). The model's ``predict`` gives
    class indices (the column of ``Y``) or values in ``Y``'s units;
    :func:`outputs_like_targets` gives ``Y``'s layout.
    """
    recipe = recommended() if recipe is None else recipe
    Xa, Ya = _arrays(X, Y, 2)
    model = _train(Xa, _fann_targets(Ya), recipe=recipe, layers=list(hidden_sizes), seed=seed,
                   dtype=dtype, threads=threads)
    if report is not None and "l2" in model.info:
        report.update(l2=model.info["l2"],
                      l2_scores={float(k): v for k, v in model.info["l2_scores"].items()})
    assert model.history is not None
    return model, model.history


def choose_l2(
    X: Any,
    Y: Any,
    hidden_sizes: Sequence[int],
    *,
    seed: int = 0,
    recipe: Recipe | None = None,
    dtype: Any = np.float32,
    threads: int | str | None = "auto",
) -> tuple[float, dict[float, float]]:
    """The L2 penalty of ``recipe.l2_choices`` that does best on held-out training rows
    (:func:`neuronless.pipeline.choose_l2` on FANN-style ``(X, Y)``)."""
    recipe = recommended() if recipe is None else recipe
    Xa, Ya = _arrays(X, Y, 4)
    prep = prepare(Xa, _fann_targets(Ya))
    return _choose_l2(prep, recipe.replace(layers=tuple(hidden_sizes)),
                      Options(seed=seed, dtype=dtype, threads=threads))


def _selection_splits(n: int, y: Array | None, recipe: Recipe,
                      seed: int) -> list[tuple[Array, Array]]:
    return selection_splits(n, y, recipe, seed)


def training_arrays(model: Model, X: Any, Y: Any) -> tuple[Array, Array]:
    """``(inputs, targets)`` exactly as :func:`train` feeds them to ``fit`` for ``model``.

    Inputs are scaled, targets encoded (a 0/1 column, one-hot rows or scaled values) in the
    network's dtype. Benchmarks use this to time epochs on the same arrays.
    """
    Ya = np.asarray(Y, dtype=np.float64)
    Ya = Ya.reshape(-1, 1) if Ya.ndim == 1 else Ya
    dtype = model.net.dtype
    if model.task == "regression":
        t = model.target_scaler.transform(Ya) if model.target_scaler is not None else Ya
    else:
        _, y, n_classes = _targets(Ya)
        assert y is not None
        t = y.reshape(-1, 1).astype(np.float64) if n_classes == 2 else one_hot(y, n_classes)
    return model.inputs(X).astype(dtype), np.asarray(t, dtype=dtype)


def outputs_like_targets(model: Model, X: Any, n_outputs: int) -> Array:
    """The model's answer for ``X`` in the layout of FANN targets with ``n_outputs`` columns.

    Classification: one probability per class column (a binary model on a two-column one-hot
    layout gives ``[1 - p, p]``); single-column binary: ``p``; regression: values in the
    targets' own units. FANN's MSE is then ``mean((Y - outputs) ** 2)``.
    """
    out = np.asarray(model.outputs(X), dtype=np.float64)
    if model.task == "regression":
        if model.target_scaler is not None:
            out = np.asarray(model.target_scaler.inverse_transform(out), dtype=np.float64)
        return out
    if out.shape[1] == 1 and n_outputs == 2:
        return np.column_stack([1.0 - out[:, 0], out[:, 0]])
    if out.shape[1] != n_outputs:
        raise ShapeError(
            f"the model has {out.shape[1]} outputs, which do not fit targets with {n_outputs} "
            "columns; pass the number of target columns it was trained on."
        )
    return out
