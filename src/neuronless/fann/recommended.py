"""neuronless's recommended training recipe for FANN-style data, and one function that applies it.

Contract: :func:`recommended` returns the one :class:`Recipe` neuronless recommends to a FANN
user (the same for every data set; no per-data-set tuning), :data:`CLI_DEFAULTS` is what
``neuronless train`` does today, and :func:`train` applies a recipe the way the CLI does:
the task is inferred from the targets (one-hot or single 0/1 column: classification, else
regression), inputs (and regression targets) are standardised on the training rows, two classes
get one sigmoid output with binary cross-entropy, more get softmax with cross-entropy,
regression gets an identity output with MSE, and :func:`neuronless.training.fit` trains it.
A recipe with ``l2_choices`` first picks its L2 penalty with :func:`choose_l2` (held-out rows
or k folds of the training data), then trains on every training row with it. Any validation
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

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..classification import one_hot
from ..data import Labels, MinMaxScaler, StandardScaler, infer_task, train_test_split
from ..errors import ConfigError, DataError, ShapeError
from ..model import Model, Task
from ..network import Network
from ..optimizers import OPTIMIZERS
from ..schedules import cosine
from ..training import EarlyStopping, History, fit

Array = NDArray[Any]
SCALES = ("standard", "minmax", "none")
SCHEDULES = (None, "cosine")


@dataclass(frozen=True)
class Recipe:
    """Everything about training except the data and the hidden layer sizes.

    Attributes
    ----------
    hidden : activation of the hidden layers (the output follows from the task)
    optimizer : name in :data:`neuronless.optimizers.OPTIMIZERS`
    learning_rate : the optimizer's learning rate (None: the optimizer's default)
    batch_size : mini-batch size (None: the whole training set)
    epochs : maximum number of passes over the training rows
    scale : ``"standard"``, ``"minmax"`` or ``"none"``: how inputs (and regression targets)
        are scaled, fitted on the training rows only
    validation_fraction : rows of the training data held out for validation (0: none)
    early_stopping : patience in epochs (None: train all epochs); needs validation rows or
        watches the training loss
    init : weight initialisation scheme (see :meth:`neuronless.Network.create`)
    l2 : L2 penalty (see :func:`neuronless.training.fit`)
    schedule : ``None`` (constant learning rate) or ``"cosine"``: cosine annealing from
        ``learning_rate`` to 0 over ``epochs`` (:func:`neuronless.schedules.cosine`)
    l2_choices : ``None`` (train with ``l2``) or candidate L2 penalties: :func:`train` then
        picks one with :func:`choose_l2` (a held-out ``select_fraction`` of the training rows)
        and trains on all rows with it; ``l2`` is then unused
    select_fraction : share of the training rows held out by :func:`choose_l2` (with
        ``select_folds`` 1)
    select_folds : 1: :func:`choose_l2` holds out ``select_fraction`` of the rows once; k >= 2:
        it cross-validates over k folds instead (every row held out once)
    """

    hidden: str = "tanh"
    optimizer: str = "adam"
    learning_rate: float | None = 0.01
    batch_size: int | None = 32
    epochs: int = 500
    scale: str = "standard"
    validation_fraction: float = 0.0
    early_stopping: int | None = None
    init: str = "auto"
    l2: float = 0.0
    schedule: str | None = None
    l2_choices: tuple[float, ...] | None = None
    select_fraction: float = 0.25
    select_folds: int = 1

    def __post_init__(self) -> None:
        if self.l2_choices is not None:
            try:
                choices = tuple(float(v) for v in self.l2_choices)
            except (TypeError, ValueError):
                choices = ()
            if not choices or not all(np.isfinite(v) and v >= 0 for v in choices):
                raise ConfigError(
                    "Recipe.l2_choices must be None or a non-empty sequence of L2 penalties "
                    f">= 0; got {self.l2_choices!r}."
                )
            object.__setattr__(self, "l2_choices", choices)
        if not (isinstance(self.select_folds, int) and self.select_folds >= 1):
            raise ConfigError(
                f"Recipe.select_folds must be a positive integer; got {self.select_folds!r}."
            )
        if not 0.0 < self.select_fraction < 1.0:
            raise ConfigError(
                f"Recipe.select_fraction must be in (0, 1); got {self.select_fraction!r}."
            )
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(
                f"Recipe.optimizer must be one of {', '.join(sorted(OPTIMIZERS))}; got "
                f"{self.optimizer!r}."
            )
        if self.scale not in SCALES:
            raise ConfigError(f"Recipe.scale must be one of {', '.join(SCALES)}; got {self.scale!r}.")
        if not (isinstance(self.epochs, int) and self.epochs >= 1):
            raise ConfigError(f"Recipe.epochs must be a positive integer; got {self.epochs!r}.")
        if not 0.0 <= self.validation_fraction < 1.0:
            raise ConfigError(
                f"Recipe.validation_fraction must be in [0, 1); got {self.validation_fraction!r}."
            )
        if self.batch_size is not None and not (isinstance(self.batch_size, int) and self.batch_size >= 1):
            raise ConfigError(
                f"Recipe.batch_size must be a positive integer or None; got {self.batch_size!r}."
            )
        if self.schedule not in SCHEDULES:
            raise ConfigError(f"Recipe.schedule must be None or 'cosine'; got {self.schedule!r}.")
        if self.learning_rate is not None and not self.learning_rate > 0:
            raise ConfigError(
                f"Recipe.learning_rate must be positive or None; got {self.learning_rate!r}."
            )

    def replace(self, **changes: Any) -> Recipe:
        """A copy with some settings changed (checked again)."""
        return dataclasses.replace(self, **changes)

    def make_optimizer(self) -> Any:
        """The optimizer object this recipe trains with."""
        cls = OPTIMIZERS[self.optimizer]
        return cls() if self.learning_rate is None else cls(learning_rate=self.learning_rate)

    def make_schedule(self) -> Callable[[int], float] | None:
        """The learning-rate schedule ``fit`` gets (None: the optimizer's constant rate)."""
        if self.schedule is None:
            return None
        rate = self.make_optimizer().learning_rate
        return cosine(float(rate), self.epochs)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


#: What ``neuronless train`` does when given only a data file (cli/__init__.py, cli/train.py).
CLI_DEFAULTS = Recipe(
    hidden="tanh",
    optimizer="adam",
    learning_rate=None,  # Adam's own 0.001
    batch_size=32,
    epochs=200,
    scale="standard",
    validation_fraction=0.2,
    early_stopping=None,
)

_RECOMMENDED = Recipe(
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
    It differs from the ``neuronless train`` defaults (:data:`CLI_DEFAULTS`) in the optimizer
    (iRprop+ instead of Adam), the batch (all rows instead of 32), the epochs (2000 instead of
    200), the L2 penalty (chosen by cross-validation; the CLI has none) and in holding out no
    validation rows for the final fit (the CLI holds out 20 % and, without
    ``--early-stopping``, only reports on them); see :func:`differences_from_cli`. It costs
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
    """``{setting: (CLI default, recipe's value)}`` for every setting that differs."""
    recipe = recommended() if recipe is None else recipe
    cli, ours = CLI_DEFAULTS.as_dict(), recipe.as_dict()
    return {k: (cli[k], ours[k]) for k in cli if cli[k] != ours[k]}


def _scaler(kind: str) -> StandardScaler | MinMaxScaler | None:
    if kind == "standard":
        return StandardScaler()
    if kind == "minmax":
        return MinMaxScaler()
    return None


def _targets(Y: Array) -> tuple[Task, Array | None, int]:
    """(task, class index per row or None, number of classes) as the CLI infers them."""
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
    """Train a network of the given hidden sizes on ``(X, Y)`` with ``recipe``; return it and its history.

    Parameters
    ----------
    X : array (n, n_inputs)
    Y : array (n, n_outputs)
        FANN-style targets: one-hot rows (classification with that many classes), a single
        0/1 column (binary classification) or anything else (regression).
    hidden_sizes : hidden layer sizes, e.g. ``[16, 8]``
    seed : seeds the weights, the validation split and the shuffling
    recipe : default :func:`recommended`
    dtype : float32 or float64 for the network
    threads : BLAS threads while training (see :func:`neuronless.training.fit`)
    report : optional dict; with ``recipe.l2_choices`` it receives ``"l2"`` (the penalty
        chosen) and ``"l2_scores"`` (``{penalty: held-out score}``, see :func:`choose_l2`)

    Returns
    -------
    (Model, History)
        The model's ``predict`` gives class labels (indices into ``Y``'s columns for one-hot
        data) or values in ``Y``'s units; :func:`outputs_like_targets` gives ``Y``'s layout.
    """
    recipe = recommended() if recipe is None else recipe
    Xa = np.asarray(X, dtype=np.float64)
    Ya = np.asarray(Y, dtype=np.float64)
    if Ya.ndim == 1:
        Ya = Ya.reshape(-1, 1)
    if Xa.ndim != 2 or Ya.ndim != 2 or len(Xa) != len(Ya) or len(Xa) < 2:
        raise ShapeError(
            f"X must be (n, n_inputs) and Y (n, n_outputs) with the same n >= 2; got X "
            f"{Xa.shape} and Y {np.shape(Y)}. Pass one row per training pattern."
        )
    if recipe.l2_choices is not None:
        l2, scores = choose_l2(Xa, Ya, hidden_sizes, seed=seed, recipe=recipe, dtype=dtype,
                               threads=threads)
        recipe = recipe.replace(l2=l2, l2_choices=None)
        if report is not None:
            report.update(l2=l2, l2_scores=scores)
    task, y, n_classes = _targets(Ya)
    labels = Labels(list(range(n_classes))) if y is not None else None
    targets: Array = y if y is not None else Ya

    X_val: Array | None = None
    t_val: Array | None = None
    if recipe.validation_fraction > 0:
        X_tr, X_val, t_tr, t_val = train_test_split(
            Xa, targets, recipe.validation_fraction, seed=seed,
            stratify=targets if y is not None else None,
        )
    else:
        X_tr, t_tr = Xa, targets

    scaler = _scaler(recipe.scale)
    if scaler is not None:
        scaler.fit(X_tr)
    target_scaler = None

    def encode(t: Array) -> Array:
        if y is None:
            return target_scaler.transform(t) if target_scaler is not None else t
        if n_classes == 2:
            return t.reshape(-1, 1).astype(np.float64)
        return one_hot(t, n_classes, dtype=np.float64)

    if y is None:
        output, n_out = "identity", Ya.shape[1]
        target_scaler = _scaler(recipe.scale)
        if target_scaler is not None:
            target_scaler.fit(t_tr)
    elif n_classes == 2:
        output, n_out = "sigmoid", 1
    else:
        output, n_out = "softmax", n_classes

    net = Network.create([Xa.shape[1], *hidden_sizes, n_out], hidden=recipe.hidden, output=output,
                         seed=seed, init=recipe.init, dtype=dtype)
    model = Model(net, task, labels, scaler, target_scaler)
    validation = None
    if X_val is not None and t_val is not None:
        validation = (model.inputs(X_val).astype(dtype), encode(t_val).astype(dtype))
    stopping = EarlyStopping(patience=recipe.early_stopping) if recipe.early_stopping else None
    history = fit(
        net, model.inputs(X_tr).astype(dtype), encode(t_tr).astype(dtype),
        optimizer=recipe.make_optimizer(), epochs=recipe.epochs, batch_size=recipe.batch_size,
        seed=seed, l2=recipe.l2, schedule=recipe.make_schedule(), validation=validation,
        early_stopping=stopping, threads=threads,
    )
    return model, history


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
    """The L2 penalty of ``recipe.l2_choices`` that does best on held-out training rows.

    ``recipe.select_fraction`` of the rows (stratified by class for classification, drawn
    with ``seed``) are held out, or with ``recipe.select_folds`` k >= 2 each of k stratified
    folds is held out in turn; for each candidate a network is trained on the other rows
    with ``recipe`` and that penalty and scored on the held-out rows: the error rate for
    classification (argmax of one-hot targets, output >= 0.5 for one 0/1 column), the mean
    squared error in the targets' units for regression, pooled over the folds. The lowest
    score wins; a tie goes to the smaller penalty. Returns ``(penalty, {penalty: score})``.
    """
    recipe = recommended() if recipe is None else recipe
    if recipe.l2_choices is None:
        raise ConfigError("choose_l2 needs a recipe with l2_choices, e.g. (0.1, 1.0, 3.0).")
    Xa = np.asarray(X, dtype=np.float64)
    Ya = np.asarray(Y, dtype=np.float64)
    Ya = Ya.reshape(-1, 1) if Ya.ndim == 1 else Ya
    if Xa.ndim != 2 or Ya.ndim != 2 or len(Xa) != len(Ya) or len(Xa) < 4:
        raise ShapeError(
            f"X must be (n, n_inputs) and Y (n, n_outputs) with the same n >= 4 to hold rows "
            f"out; got X {Xa.shape} and Y {np.shape(Y)}."
        )
    _, y, _ = _targets(Ya)
    splits = _selection_splits(len(Xa), y, recipe, seed)
    scores: dict[float, float] = {}
    for l2 in sorted(recipe.l2_choices):
        wrong = 0.0
        for fit_idx, held_idx in splits:
            model, _ = train(Xa[fit_idx], Ya[fit_idx], hidden_sizes, seed=seed, dtype=dtype,
                             threads=threads, recipe=recipe.replace(l2=l2, l2_choices=None))
            out = outputs_like_targets(model, Xa[held_idx], Ya.shape[1])
            Yh = Ya[held_idx]
            if y is None:
                wrong += float(np.sum(np.mean((Yh - out) ** 2, axis=1)))
            elif Ya.shape[1] == 1:
                wrong += float(np.sum((out[:, 0] >= 0.5) != (Yh[:, 0] >= 0.5)))
            else:
                wrong += float(np.sum(out.argmax(axis=1) != Yh.argmax(axis=1)))
        scores[l2] = wrong / sum(len(h) for _, h in splits)
    best = min(scores, key=lambda k: (scores[k], k))
    return best, scores


def _selection_splits(n: int, y: Array | None, recipe: Recipe,
                      seed: int) -> list[tuple[Array, Array]]:
    """``[(fit rows, held-out rows)]`` for :func:`choose_l2`: one split or k folds."""
    if recipe.select_folds == 1:
        rows = np.arange(n).reshape(-1, 1)
        fit_rows, held_rows, _, _ = train_test_split(
            rows, rows[:, 0] if y is None else y, recipe.select_fraction, seed=seed, stratify=y
        )
        return [(fit_rows[:, 0], held_rows[:, 0])]
    k = recipe.select_folds
    if n < 2 * k:
        raise ShapeError(
            f"{k}-fold selection needs at least {2 * k} rows; got {n}. Use fewer select_folds."
        )
    rng = np.random.default_rng(seed)
    fold = np.empty(n, dtype=np.int64)
    groups = [np.arange(n)] if y is None else [np.flatnonzero(y == c) for c in np.unique(y)]
    start = 0
    for g in groups:  # stratified: each class dealt round-robin over the folds
        fold[rng.permutation(g)] = (start + np.arange(len(g))) % k
        start += len(g)
    return [(np.flatnonzero(fold != f), np.flatnonzero(fold == f)) for f in range(k)]


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
