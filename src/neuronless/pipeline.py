"""The one pipeline from a table to a trained :class:`~neuronless.model.Model`.

Contract: :func:`train` takes a table as it is (a path to CSV/TSV/Parquet/``.npz``/``.npy``/
FANN ``.data``, a pandas or polars data frame, a dict of columns, or arrays with a separate
target), infers the task, fits the column encoders and the scaler on the training rows,
builds the network, trains it (gradient methods through :func:`~neuronless.training.fit`,
L-BFGS/CG through :func:`~neuronless.minimize.minimize`, FANN's algorithms through
:class:`~neuronless.fann.train.FannTrainer`, Cascade2 through
:func:`~neuronless.cascade.cascade_train`) and returns the model with its history. Every
front end (the command line, the scikit-learn estimators, the playground, Dask) calls this
function or its parts (:func:`prepare`, :func:`fit_prepared`); none copies it. Settings come
from a :class:`Recipe` (default :data:`DEFAULTS`), and each keyword overrides one setting.
Nothing here prints: human-readable lines go to the ``log`` callback, notes also into
``model.info["notes"]``.

>>> import numpy as np, neuronless as nl
>>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]] * 8)
>>> y = np.array(["no", "yes", "yes", "no"] * 8)
>>> model = nl.train(X, y, layers=[8], optimizer="irprop+", epochs=300, validation_fraction=0)
>>> model.task, model.net.sizes, model.predict(X[:4]).tolist()
('classification', (2, 8, 1), ['no', 'yes', 'yes', 'no'])
"""

from __future__ import annotations

import dataclasses
import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from .data import Labels, MinMaxScaler, StandardScaler, infer_task, train_test_split
from .data.columns import TableEncoder
from .data.read import Table, as_table
from .data.scaling import RobustScaler
from .errors import ConfigError, DataError, ShapeError
from .model import Model, Task
from .network import Network
from .optimizers import OPTIMIZERS
from .schedules import cosine, exponential, inverse_scaling, step_decay

if TYPE_CHECKING:
    from .training import History

Array = NDArray[Any]
Log = Callable[[str, str], None]  # log(kind, line): kind is "info", "note" or "progress"

#: optimizers that are not step rules: scipy's whole-batch minimizers
WHOLE_BATCH = ("lbfgs", "cg")
#: FANN's training algorithms that exist only in FANN-compatible form (they imply it)
FANN_ONLY = ("sarprop", "incremental", "batch")
#: the algorithms FANN-compatible training accepts (FANN's training_algorithm names)
FANN_ALGORITHMS = ("rprop", "quickprop", "sarprop", "incremental", "batch")
#: step rules that need the whole batch's gradient (its signs): full batch by default
FULL_BATCH = ("rprop", "irprop-", "irprop+", "quickprop")
#: step rules with no learning rate (each adapts a step per weight; schedules do not apply)
RATELESS = ("rprop", "irprop-", "irprop+", "sarprop")
OPTIMIZER_NAMES = (*sorted(set(OPTIMIZERS) - set(FANN_ONLY)), *WHOLE_BATCH, "cascade", *FANN_ONLY)
SCALES = ("robust", "standard", "minmax", "none")
#: learning-rate schedules a recipe names, each over its epoch budget (``Recipe.make_schedule``)
SCHEDULES = (None, "cosine", "step_decay", "exponential", "inverse_scaling")
SCALERS: dict[str, Any] = {"robust": RobustScaler, "standard": StandardScaler,
                           "minmax": MinMaxScaler}


# --------------------------------------------------------------------------- recipes


@dataclass(frozen=True)
class Recipe:
    """Every training setting that is not the data: what :func:`train` does by default.

    Attributes
    ----------
    layers : hidden layer sizes
    hidden : activation of the hidden layers: one name, or one name per hidden layer
    output : the output layer's activation (None: from the task: identity for regression,
        sigmoid for two classes, softmax for more); classification takes ``"softmax"`` (one
        unit per class, even for two) or ``"sigmoid"`` (one unit per class, one for two)
    optimizer : a name in :data:`OPTIMIZER_NAMES`
    learning_rate : the optimizer's learning rate (None: the optimizer's default)
    batch_size : mini-batch size (None: the whole training set)
    epochs : maximum number of passes over the training rows (iterations for L-BFGS/CG)
    scale : ``"robust"`` (median/IQR with a smooth clip), ``"standard"``, ``"minmax"`` or
        ``"none"``: how the encoded inputs are scaled, fitted on the training rows only;
        regression targets are standardised unless it is ``"none"``
    validation_fraction : rows of the training data held out for validation (0: none)
    early_stopping : patience in epochs (None: train all epochs); watches the validation loss,
        or the training loss without validation rows, and restores the best epoch's weights
    min_delta : the improvement early stopping counts as one
    beta2 : Adam's (and AdamW's) second-moment decay (None: the optimizer's default)
    label_smoothing : classification with the default loss: train towards
        ``(1 - e) y + e / k`` instead of 0/1 targets (:func:`neuronless.losses.label_smoothing`)
    init : weight initialisation scheme (see :meth:`neuronless.Network.create`)
    l2 : L2 penalty (see :func:`neuronless.training.fit`)
    schedule : ``None`` (constant learning rate) or one of :mod:`neuronless.schedules` over the
        ``epochs`` budget: ``"cosine"`` anneals from ``learning_rate`` to 0; ``"step_decay"``
        halves the rate every ``epochs // 5`` epochs (at least 1); ``"exponential"`` multiplies
        it by ``0.01 ** (1 / epochs)`` each epoch, so it ends at a hundredth;
        ``"inverse_scaling"`` is ``learning_rate / sqrt(epoch + 1)`` (``train`` also takes
        ``"none"``)
    l2_choices : ``None`` (train with ``l2``) or candidate L2 penalties: :func:`train` then
        picks one with :func:`choose_l2` and trains on all rows with it; ``l2`` is then unused
    select_fraction : share of the training rows held out by :func:`choose_l2` (with
        ``select_folds`` 1)
    select_folds : 1: :func:`choose_l2` holds out ``select_fraction`` of the rows once; k >= 2:
        it cross-validates over k folds instead (every row held out once)
    clip_predictions : regression: clip predictions to the training targets' range
    """

    layers: tuple[int, ...] = (16,)
    hidden: str | tuple[str, ...] = "tanh"
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
    clip_predictions: bool = False
    min_delta: float = 0.0
    beta2: float | None = None
    label_smoothing: float = 0.0
    output: str | None = None

    def __post_init__(self) -> None:
        try:
            layers = tuple(int(v) for v in self.layers)
        except (TypeError, ValueError):
            layers = (0,)
        if any(v < 1 for v in layers):
            raise ConfigError(f"Recipe.layers must be positive hidden layer sizes like [16, 8]; got "
                              f"{self.layers!r}.")
        object.__setattr__(self, "layers", layers)
        if not isinstance(self.hidden, str):
            hidden = tuple(self.hidden) if isinstance(self.hidden, Sequence) else ()
            if len(hidden) != len(layers) or not all(isinstance(h, str) for h in hidden):
                raise ConfigError(f"Recipe.hidden must be one activation name or one per hidden "
                                  f"layer ({len(layers)}); got {self.hidden!r}.")
            object.__setattr__(self, "hidden", hidden)
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
        self._check_values()

    def _check_values(self) -> None:
        def need(ok: bool, what: str, value: Any) -> None:
            if not ok:
                raise ConfigError(f"Recipe.{what}; got {value!r}.")

        need(self.optimizer in OPTIMIZER_NAMES,
             f"optimizer must be one of {', '.join(OPTIMIZER_NAMES)}", self.optimizer)
        need(self.scale in SCALES, f"scale must be one of {', '.join(SCALES)}", self.scale)
        need(isinstance(self.epochs, int) and self.epochs >= 1,
             "epochs must be a positive integer", self.epochs)
        need(0.0 <= self.validation_fraction < 1.0,
             "validation_fraction must be in [0, 1)", self.validation_fraction)
        need(self.batch_size is None or (isinstance(self.batch_size, int) and self.batch_size >= 1),
             "batch_size must be a positive integer or None (the whole batch)", self.batch_size)
        need(self.schedule in SCHEDULES, "schedule must be None or one of "
             + ", ".join(repr(n) for n in SCHEDULES[1:]), self.schedule)
        need(self.learning_rate is None or (math.isfinite(self.learning_rate)
                                            and self.learning_rate > 0),
             "learning_rate must be positive or None", self.learning_rate)
        need(self.early_stopping is None or (isinstance(self.early_stopping, int)
                                             and self.early_stopping >= 1),
             "early_stopping must be a patience in epochs >= 1, or None", self.early_stopping)
        need(math.isfinite(self.l2) and self.l2 >= 0, "l2 must be a number >= 0", self.l2)
        need(isinstance(self.select_folds, int) and self.select_folds >= 1,
             "select_folds must be a positive integer", self.select_folds)
        need(0.0 < self.select_fraction < 1.0, "select_fraction must be in (0, 1)",
             self.select_fraction)
        need(math.isfinite(self.min_delta) and self.min_delta >= 0,
             "min_delta must be a number >= 0", self.min_delta)
        need(self.beta2 is None or 0.0 < self.beta2 < 1.0, "beta2 must be in (0, 1) or None",
             self.beta2)
        need(0.0 <= self.label_smoothing < 1.0, "label_smoothing must be in [0, 1)",
             self.label_smoothing)

    def replace(self, **changes: Any) -> Recipe:
        """A copy with some settings changed (checked again)."""
        return dataclasses.replace(self, **changes)

    def make_optimizer(self) -> Any:
        """The step rule this recipe trains with (gradient optimizers only)."""
        cls = OPTIMIZERS[self.optimizer]
        kwargs: dict[str, Any] = {}
        if self.learning_rate is not None:
            kwargs["learning_rate"] = self.learning_rate
        if self.beta2 is not None and self.optimizer in ("adam", "adamw"):
            kwargs["beta2"] = self.beta2
        return cls(**kwargs)

    def make_schedule(self) -> Callable[[int], float] | None:
        """The learning-rate schedule ``fit`` gets (None: the optimizer's constant rate)."""
        if self.schedule is None:
            return None
        lr = float(self.make_optimizer().learning_rate)
        if self.schedule == "step_decay":
            return step_decay(lr, drop=0.5, every=max(1, self.epochs // 5))
        if self.schedule == "exponential":
            return exponential(lr, gamma=0.01 ** (1.0 / self.epochs))
        if self.schedule == "inverse_scaling":
            return inverse_scaling(lr, power_t=0.5)
        return cosine(lr, self.epochs)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


#: What :func:`train` and ``neuronless train`` do when given only the data (and a target):
#: a RealMLP-TD-S-like recipe (Holzmüller, Grinsztajn & Steinwart, NeurIPS 2024) measured by
#: benchmarks/defaults.py and benchmarks/defaults_ablation.py (docs/guide.md, "The defaults and
#: why"): robust scaling with a smooth clip, one wide tanh layer, Adam with beta2 = 0.95 on
#: batches of 256 under a cosine schedule, label smoothing 0.1, every row trains and training
#: stops when the training loss has not improved by 1e-4 for 10 epochs (best epoch kept),
#: regression predictions clipped to the training range.
DEFAULTS = Recipe(
    layers=(128,),
    hidden="tanh",
    optimizer="adam",
    learning_rate=0.004,
    beta2=0.95,
    batch_size=256,
    epochs=100,
    scale="robust",
    validation_fraction=0.0,
    early_stopping=10,
    min_delta=1e-4,
    schedule="cosine",
    label_smoothing=0.1,
    clip_predictions=True,
)


@dataclass(frozen=True)
class Options:
    """The settings of one :func:`train` call that are not part of a recipe."""

    task: Task | None = None
    loss: str | None = None
    fann_compatible: bool = False
    error_function: str | None = None
    desired_error: float | None = None
    max_neurons: int | None = None
    seed: int = 0
    dtype: Any = np.float32
    threads: int | str | None = "auto"
    backend: str = "auto"
    checkpoint: str | None = None
    checkpoint_every: int = 10
    resume: str | None = None
    progress: Any = False
    callbacks: Sequence[Callable[..., Any]] = ()
    log: Log | None = None

    def say(self, kind: str, line: str) -> None:
        if self.log is not None:
            self.log(kind, line)


# --------------------------------------------------------------------------- prepare


@dataclass
class Prepared:
    """A table turned into numbers: encoded features, encoded targets and how.

    ``X`` is the encoded float64 feature matrix (before scaling); ``targets`` holds class
    indices ``(n,)`` for classification or float64 values ``(n, k)`` for regression.
    """

    X: Array
    targets: Array
    task: Task
    labels: Labels | None
    encoder: TableEncoder
    feature_names: list[str]
    target_names: list[str]
    source: str
    notes: list[str] = field(default_factory=list)

    def take(self, rows: Array) -> Prepared:
        """The same preparation on a subset of the rows."""
        return dataclasses.replace(self, X=self.X[rows], targets=self.targets[rows])


def prepare(
    data: Any,
    target: Any = None,
    *,
    task: Task | None = None,
    na_values: Sequence[str] = (),
    drop: Sequence[str] = (),
    keep: Sequence[str] = (),
    categorical: Sequence[str] = (),
    classes: Sequence[Any] | None = None,
) -> Prepared:
    """Read ``data``, split off the target, drop rows without one, fit the encoders.

    ``target`` is a column name or index (or a list of them; default: the file's own target
    columns, e.g. a FANN file's outputs, else the last column), or the target values
    themselves (an array or sequence with one entry per row) when ``data`` holds only features.
    ``classes`` fixes the class labels (classification) instead of taking those in the
    target, so later rows may bring classes these rows lack (``partial_fit``).
    """
    features, y, target_names = _split_target(data, target, na_values)
    if drop:
        absent = [d for d in drop if d not in features.names]
        if absent:
            raise DataError(f"drop names column(s) {', '.join(map(repr, absent))} that "
                            f"{features.source} does not have; its feature columns are "
                            f"{', '.join(map(repr, features.names))}.")
        features = features.drop(list(drop))
    notes: list[str] = []
    keep_rows = _rows_with_target(y)
    if not keep_rows.all():
        n_missing = int((~keep_rows).sum())
        notes.append(f"{n_missing} row(s) have no value in the target column "
                     f"{', '.join(map(repr, target_names))} and were left out of training.")
        rows = np.flatnonzero(keep_rows)
        features, y = features.take(rows), y[rows]
    if len(y) < 2:
        raise DataError(f"{features.source} has {len(y)} row(s) with a target value; training "
                        "needs at least 2.")
    task = task or ("classification" if classes is not None else infer_task(_plain(y)))
    labels, targets = _encode_targets(y, task, target_names, classes)
    encoder = TableEncoder(categorical=categorical, keep=keep, na_values=na_values).fit(features)
    notes += encoder.notes
    X = encoder.transform(features)
    return Prepared(X, targets, task, labels, encoder, encoder.feature_names, target_names,
                    features.source, notes)


def prepare_like(prep: Prepared, data: Any, target: Any = None, *,
                 na_values: Sequence[str] = ()) -> Prepared:
    """Other rows (validation rows, a later batch) through ``prep``'s fitted encoders and
    labels; ``data`` and ``target`` as for :func:`prepare` (an unseen class is a DataError)."""
    features, y, _ = _split_target(data, target, na_values)
    X = prep.encoder.transform(features)
    if prep.labels is None:
        targets = _encode_targets(y, "regression", prep.target_names)[1]
        if targets.shape[1] != prep.targets.shape[1]:
            raise DataError(f"the targets have {targets.shape[1]} column(s); the prepared rows "
                            f"had {prep.targets.shape[1]}.")
    else:
        targets = prep.labels.transform(_plain(y))
    return dataclasses.replace(prep, X=X, targets=targets, notes=[])


def _split_target(data: Any, target: Any, na_values: Sequence[str]) -> tuple[Table, Array, list[str]]:
    """(feature table, target values, target names)."""
    table = as_table(data, na_values=na_values)
    if _is_values(target, table):
        y = np.asarray(target.to_numpy() if hasattr(target, "to_numpy") else target)
        if y.ndim not in (1, 2) or len(y) != table.n_rows:
            raise DataError(f"the target has {len(y) if y.ndim else 0} value(s) (shape "
                            f"{y.shape}) but the data has {table.n_rows} rows; pass one target "
                            "value (or row of values) per data row.")
        n_t = 1 if y.ndim == 1 else y.shape[1]
        name = getattr(target, "name", None)
        names = [str(name)] if n_t == 1 and isinstance(name, str) else \
            (["y"] if n_t == 1 else [f"y{j}" for j in range(n_t)])
        return table, y, names
    from .data.tables import _resolve_targets

    if target is None and table.default_target:
        target = list(table.default_target)
    if isinstance(target, str) and target not in table.names and target.lstrip("-").isdigit():
        target = int(target)  # "--target 3": a column index, unless a column is called "3"
    idx = _resolve_targets(table.names, target, table.source)
    names = [table.names[j] for j in idx]
    cols = [table.columns[j] for j in idx]
    y = cols[0] if len(cols) == 1 else np.column_stack([_numeric_target(c, n, table)
                                                        for c, n in zip(cols, names, strict=True)])
    return table.drop(names), y, names


def _is_values(target: Any, table: Table) -> bool:
    """Is ``target`` the target values (one per row) rather than column names or indices?"""
    if target is None or isinstance(target, (str, int, np.integer)):
        return False
    if isinstance(target, np.ndarray) or hasattr(target, "to_numpy"):
        return True
    if isinstance(target, Sequence):
        names = all(isinstance(t, str) and t in table.names for t in target)
        indices = all(isinstance(t, (int, np.integer)) and not isinstance(t, bool)
                      for t in target)
        return not names and (not indices or len(target) == table.n_rows)
    return False


def _numeric_target(col: Array, name: str, table: Table) -> Array:
    if col.dtype.kind not in "biuf":
        raise DataError(f"target column {name!r} of {table.source} holds text; several target "
                        "columns must all hold numbers (one-hot classes or values).")
    return col.astype(np.float64)


def _rows_with_target(y: Array) -> Array:
    if y.dtype.kind == "f":
        return np.asarray(~np.isnan(y) if y.ndim == 1 else ~np.isnan(y).any(axis=1))
    if y.dtype.kind == "O":
        flat = y if y.ndim == 1 else y[:, 0]
        return np.array([not (v is None or (isinstance(v, float) and math.isnan(v))
                              or (isinstance(v, str) and not v.strip())) for v in flat.tolist()],
                        dtype=bool)
    return np.ones(len(y), dtype=bool)


def _plain(y: Array) -> Array:
    """Targets as infer_task and Labels read them: text as str, booleans as 'false'/'true'."""
    if y.dtype.kind == "O":
        return np.array([str(v) for v in y.tolist()], dtype=str)
    if y.dtype.kind == "b":
        return np.where(y, "true", "false")
    return y


def _encode_targets(y: Array, task: Task, names: list[str],
                    classes: Sequence[Any] | None = None) -> tuple[Labels | None, Array]:
    shown = ", ".join(names)
    if task == "regression":
        if y.dtype.kind not in "iuf":
            raise DataError(
                f"target column {shown!r} holds text, so it cannot be a regression target; "
                "use task='classification' (--task classification) or pick a numeric column "
                "with target= (--target)."
            )
        return None, y.astype(np.float64).reshape(len(y), -1)
    plain = _plain(y)
    if classes is not None:
        labels = Labels(_plain(np.asarray(classes)).tolist())
        if labels.n_classes < 2 or len(set(labels.classes)) != labels.n_classes:
            raise DataError(f"classes must list at least two distinct class labels; got "
                            f"{labels.classes!r}.")
        return labels, labels.transform(plain)
    if plain.ndim == 2:
        one_hot_rows = np.all((plain == 0) | (plain == 1)) and np.all(plain.sum(axis=1) == 1)
        if not one_hot_rows:
            raise DataError(
                f"the {plain.shape[1]} target columns ({shown}) are not one-hot; classification "
                "needs one column of labels or one 0/1 column per class with one 1 per row."
            )
        labels = Labels(list(range(plain.shape[1])))  # one class per column, even if unseen
        return labels, plain.argmax(axis=1)
    labels = Labels().fit(plain)
    if labels.n_classes < 2:
        raise DataError(
            f"target column {shown!r} holds only the class {labels.classes[0]!r}; "
            "classification needs at least two classes."
        )
    return labels, labels.transform(plain)


# --------------------------------------------------------------------------- train


def train(
    data: Any,
    target: Any = None,
    *,
    task: Task | None = None,
    recipe: Recipe | None = None,
    layers: Sequence[int] | None = None,
    hidden: str | None = None,
    loss: str | None = None,
    optimizer: str | None = None,
    learning_rate: float | None = None,
    epochs: int | None = None,
    batch_size: int | str | None = "default",
    l2: float | None = None,
    scale: str | None = None,
    schedule: str | None = None,
    validation_fraction: float | None = None,
    early_stopping: int | None = None,
    init: str | None = None,
    fann_compatible: bool = False,
    error_function: str | None = None,
    desired_error: float | None = None,
    max_neurons: int | None = None,
    seed: int = 0,
    dtype: Any = np.float32,
    threads: int | str | None = "auto",
    backend: str = "auto",
    na_values: Sequence[str] = (),
    drop: Sequence[str] = (),
    keep: Sequence[str] = (),
    categorical: Sequence[str] = (),
    checkpoint: str | None = None,
    checkpoint_every: int = 10,
    resume: str | None = None,
    progress: Any = False,
    callbacks: Sequence[Callable[..., Any]] = (),
    log: Log | None = None,
) -> Model:
    """Train a model on a table as it is; the one pipeline behind every front end.

    Parameters
    ----------
    data : path (CSV/TSV, ``.gz``, Parquet, ``.npz``/``.npy``, FANN ``.data``), data frame
        (pandas, polars), dict of columns, :class:`~neuronless.data.read.Table` or a 2-D array
    target : column name or index, a list of them, or the target values themselves
        (default: the file's own target columns, else the last column)
    task : ``"classification"`` or ``"regression"`` (default: inferred from the target)
    recipe : the settings to start from (default :data:`DEFAULTS`); the keywords ``layers``
        to ``init`` override one setting each (see :class:`Recipe`). ``batch_size=None``
        means the whole batch.
    loss : ``"mse"``, ``"cross_entropy"``, ... (default: the output's natural loss)
    fann_compatible : train exactly as libfann does (FANN's algorithms, MSE, error function
        ``error_function``, U[-0.1, 0.1] init; ``desired_error`` stops on FANN's MSE)
    max_neurons, desired_error : Cascade2 (``optimizer="cascade"``) limits
    seed : the weights, the validation split and the shuffling
    na_values : extra cell texts that mean "missing" (besides empty, NA, NaN, ``?``, ...)
    drop : feature columns to leave out; ``keep``: identifier-like text columns to keep;
        ``categorical``: numeric columns to one-hot encode (codes)
    checkpoint, checkpoint_every, resume, progress, callbacks, threads, backend : as in
        :func:`neuronless.fit` (``backend``: ``"auto"``, ``"numpy"`` or ``"compiled"``, the
        epoch loop of the gradient step rules; the model's ``info["backend"]`` says which ran)
    log : ``log(kind, line)`` receives human-readable lines (kind ``"info"``, ``"note"`` or
        ``"progress"``); the command line prints them

    Returns
    -------
    Model
        With ``history`` (the per-epoch :class:`~neuronless.training.History`) and ``info``
        (settings, seed, scores, notes, seconds).
    """
    given = {"layers": layers, "hidden": hidden, "optimizer": optimizer,
             "learning_rate": learning_rate, "epochs": epochs, "l2": l2, "scale": scale,
             "schedule": schedule, "validation_fraction": validation_fraction,
             "early_stopping": early_stopping, "init": init}
    given = {k: v for k, v in given.items() if v is not None}
    if batch_size != "default":  # None is a value here: the whole batch
        given["batch_size"] = batch_size
    if given.get("schedule") == "none":  # as the command line spells "no schedule"
        given["schedule"] = None
    if given.get("early_stopping") == 0:  # 0: train every epoch
        given["early_stopping"] = None
    opts = Options(task=task, loss=loss, fann_compatible=fann_compatible,
                   error_function=error_function, desired_error=desired_error,
                   max_neurons=max_neurons, seed=seed, dtype=dtype, threads=threads,
                   backend=backend, checkpoint=checkpoint, checkpoint_every=checkpoint_every,
                   resume=resume, progress=progress, callbacks=callbacks, log=log)
    resolved = resolve_recipe(recipe, given, opts)
    prepared = prepare(data, target, task=task, na_values=na_values, drop=drop, keep=keep,
                       categorical=categorical)
    for note in prepared.notes:
        opts.say("note", note)
    return fit_prepared(prepared, resolved, opts)


def method_of(recipe: Recipe, opts: Options) -> str:
    """``"gradient"``, ``"whole_batch"``, ``"fann"`` or ``"cascade"``: how training runs."""
    if opts.fann_compatible or recipe.optimizer in FANN_ONLY:
        return "fann"
    if recipe.optimizer == "cascade":
        return "cascade"
    return "whole_batch" if recipe.optimizer in WHOLE_BATCH else "gradient"


#: the base of FANN-compatible and cascade training when no recipe is given: what FANN does
#: (every row trains, whole batch, standardised inputs, 16 tanh-like hidden units)
FANN_DEFAULTS = Recipe(layers=(16,), hidden="tanh", optimizer="rprop", learning_rate=None,
                       batch_size=None, epochs=200, scale="standard", validation_fraction=0.0,
                       init="uniform")


def resolve_recipe(recipe: Recipe | None, given: dict[str, Any], opts: Options) -> Recipe:
    """The recipe with the keywords applied. Without a recipe, the base is :data:`DEFAULTS`,
    or :data:`FANN_DEFAULTS` for FANN-compatible and cascade training; an optimizer other than
    the default one keeps its own learning rate and no schedule unless they are given, and
    Rprop and Quickprop train on the whole batch unless a batch size is given."""
    if "layers" in given:
        given["layers"] = tuple(given["layers"])
    fann = opts.fann_compatible or given.get("optimizer") in FANN_ONLY
    if recipe is None:
        if fann or given.get("optimizer") == "cascade":
            base = FANN_DEFAULTS if fann else FANN_DEFAULTS.replace(init="auto")
        else:
            base = DEFAULTS
            chosen = given.get("optimizer", base.optimizer)
            if chosen != base.optimizer:
                base = base.replace(learning_rate=None, schedule=None, beta2=None)
            if chosen in FULL_BATCH:
                base = base.replace(batch_size=None)
    else:
        base = recipe
    resolved = base.replace(**given)
    check_options(resolved, opts, given)
    return resolved


def check_options(recipe: Recipe, opts: Options, given: dict[str, Any]) -> None:
    """Refuse settings the chosen training method would silently ignore."""
    method = method_of(recipe, opts)
    def refuse(names: Sequence[str], why: str) -> None:
        for name in names:
            value = given.get(name) if name in given else getattr(opts, name, None)
            if value is not None and not (name == "l2" and value == 0.0):
                flag = "--" + {"learning_rate": "lr"}.get(name, name).replace("_", "-")
                raise ConfigError(f"{flag} does not apply to {why}; leave it out (keyword "
                                  f"{name}=), or pick another optimizer to use it.")

    if opts.backend not in ("auto", "numpy", "compiled"):
        raise ConfigError(f"backend must be 'auto', 'numpy' or 'compiled'; got {opts.backend!r}.")
    if opts.backend == "compiled" and method not in ("gradient", "fann", "cascade"):
        raise ConfigError(f"--backend compiled (backend='compiled') applies to the gradient step "
                          f"rules' epochs, to FANN's algorithms (--fann-compatible) and to "
                          f"the cascade's candidates; "
                          f"--optimizer {recipe.optimizer} trains with NumPy only. Leave "
                          "--backend out.")
    if method != "cascade" and opts.max_neurons is not None:
        raise ConfigError("--max-neurons (max_neurons=) applies only to --optimizer cascade; "
                          "leave it out or add --optimizer cascade.")
    if method not in ("cascade", "fann") and opts.desired_error is not None:
        raise ConfigError("--desired-error (desired_error=) applies only to --optimizer cascade "
                          "and --fann-compatible training; leave it out or use one of those.")
    if method != "fann" and opts.error_function is not None:
        raise ConfigError("--error-function (error_function=) is FANN's (tanh or linear) and "
                          "applies only with --fann-compatible (fann_compatible=True); leave it "
                          "out or add --fann-compatible.")
    if method == "whole_batch":
        refuse(("learning_rate", "batch_size", "early_stopping", "checkpoint", "resume"),
               f"--optimizer {recipe.optimizer} (a whole-batch method)")
    elif method == "cascade":
        refuse(("layers", "learning_rate", "batch_size", "early_stopping", "checkpoint",
                "resume", "loss", "l2"), "--optimizer cascade (it grows its own hidden units "
               "and trains with FANN's Rprop on the mean squared error, whole batch)")
    elif method == "fann":
        if recipe.optimizer not in FANN_ALGORITHMS:
            raise ConfigError(
                f"--fann-compatible trains with FANN's algorithms ({', '.join(FANN_ALGORITHMS)}); "
                f"got --optimizer {recipe.optimizer}. Pick one of those or leave "
                "--fann-compatible (fann_compatible=True) out.")
        if recipe.optimizer in ("rprop", "sarprop"):
            refuse(("learning_rate",), f"FANN's {recipe.optimizer} (it adapts a step per weight; "
                   "pick quickprop, batch or incremental for a learning rate)")
        refuse(("loss", "l2", "batch_size", "early_stopping", "checkpoint", "resume"),
               f"FANN-compatible training (FANN trains on its MSE with {recipe.optimizer}"
               + (", one pattern at a time" if recipe.optimizer == "incremental" else
                  ", whole batch") + ")")
    elif recipe.optimizer in RATELESS and "learning_rate" in given:
        raise ConfigError(
            f"--lr does not apply to --optimizer {recipe.optimizer}: Rprop adapts a step size per "
            "weight (it starts at 0.1); leave --lr (learning_rate=) out or pick adam, sgd, "
            "momentum or quickprop.")


def fit_prepared(prep: Prepared, recipe: Recipe, opts: Options, *, model: Model | None = None,
                 validation: Prepared | None = None, sample_weight: Any = None,
                 state: Any = None) -> Model:
    """Split, scale, build and train on prepared data; the model carries history and info.

    The hooks of the scikit-learn estimators (all optional): ``model`` continues training an
    existing model (its scalers and network, as :func:`build_model` made them) instead of
    building one; ``validation`` (rows from :func:`prepare_like`) replaces the
    ``validation_fraction`` split; ``sample_weight`` (one weight >= 0 per row of ``prep``)
    weights the rows in the loss (gradient and whole-batch training; the scalers and the
    L2 selection stay unweighted); ``state`` continues an optimizer state (``fit(state=)``).
    """
    if recipe.l2_choices is not None and method_of(recipe, opts) == "gradient":
        best, scores = choose_l2(prep, recipe, opts)
        opts.say("note", f"L2 penalty {best:g} chosen by {recipe.select_folds}-fold selection "
                         f"from {', '.join(f'{v:g}' for v in scores)}")
        model = fit_prepared(prep, recipe.replace(l2=best, l2_choices=None), opts, model=model,
                             validation=validation, sample_weight=sample_weight, state=state)
        model.info.update(l2=best, l2_scores={str(k): v for k, v in scores.items()})
        return model
    if validation is None:
        tr, val = _split_rows(prep, recipe.validation_fraction, opts.seed)
    else:
        tr, val = np.arange(len(prep.targets)), None
    if model is None:
        model = build_model(prep, recipe, opts, tr)
    dtype = model.net.dtype
    encode = _target_encoder(model)
    Xs_tr = _scaled(model, prep.X[tr], dtype)
    Y_tr = encode(prep.targets[tr]).astype(dtype)
    weights = None if sample_weight is None else np.asarray(sample_weight)[tr]
    held = validation if validation is not None else (None if val is None else prep.take(val))
    vset = None if held is None else (_scaled(model, held.X, dtype),
                                      encode(held.targets).astype(dtype))
    _say_summary(prep, recipe, opts, len(tr), 0 if held is None else len(held.targets),
                 method_of(recipe, opts))
    start = time.perf_counter()
    model.net, model.history, extra = _run(model.net, Xs_tr, Y_tr, vset, recipe, opts,
                                           weights, state)
    seconds = time.perf_counter() - start
    model.info = _info(model, prep if held is None else held, recipe, opts, seconds, extra,
                       tr if held is None else np.arange(len(held.targets)),
                       "training" if held is None else "validation")
    return model


def build_model(prep: Prepared, recipe: Recipe, opts: Options, rows: Array | None = None) -> Model:
    """The untrained model for prepared data: the scalers fitted on ``rows`` (default: all),
    the output layer from the task and the network drawn with ``opts.seed``."""
    tr = np.arange(len(prep.targets)) if rows is None else rows
    scaler = SCALERS[recipe.scale]().fit(prep.X[tr]) if recipe.scale in SCALERS else None
    target_scaler = target_range = None
    if prep.labels is None:
        t = prep.targets[tr]
        target_scaler = StandardScaler().fit(t) if recipe.scale in SCALERS else None
        if recipe.clip_predictions:
            target_range = [t.min(axis=0).tolist(), t.max(axis=0).tolist()]
    return assemble_model(prep, recipe, opts, scaler, target_scaler, target_range)


def assemble_model(prep: Any, recipe: Recipe, opts: Options, scaler: Any, target_scaler: Any,
                   target_range: list[list[float]] | None) -> Model:
    """The untrained model from fitted parts: ``prep`` is a :class:`Prepared` or anything
    with its ``task``, ``labels``, ``encoder``, ``feature_names``, ``target_names`` and
    ``n_features`` / ``n_targets`` (data held in partitions: :mod:`neuronless.partitioned`)."""
    n_features = prep.X.shape[1] if isinstance(prep, Prepared) else prep.n_features
    n_targets = (prep.targets.shape[1] if prep.targets.ndim == 2 else 1) \
        if isinstance(prep, Prepared) else prep.n_targets
    output, n_out = _output(prep.labels, n_targets, recipe, method_of(recipe, opts) == "fann")
    sizes = [n_features, *recipe.layers, n_out]
    if isinstance(recipe.hidden, str):
        net = Network.create(sizes, hidden=recipe.hidden, output=output, seed=opts.seed,
                             init=recipe.init, dtype=opts.dtype)
    else:  # one activation per hidden layer: what Network.create does, layer by layer
        net = Network(sizes, [*recipe.hidden, output], dtype=opts.dtype)
        net.init_weights(recipe.init, rng=opts.seed)
    return Model(net, prep.task, prep.labels, scaler, target_scaler, prep.feature_names,
                 prep.target_names, prep.encoder, target_range)


def _split_rows(prep: Prepared, fraction: float, seed: int) -> tuple[Array, Array | None]:
    rows = np.arange(len(prep.targets))
    if fraction <= 0:
        return rows, None
    strat = prep.targets if prep.labels is not None else None
    tr, val, _, _ = train_test_split(rows.reshape(-1, 1), rows, fraction, seed=seed,
                                     stratify=strat)
    return tr[:, 0], val[:, 0]


def _scaled(model: Model, X: Array, dtype: Any) -> Array:
    return (model.scaler.transform(X) if model.scaler is not None else X).astype(dtype)


def _output(labels: Labels | None, n_targets: int, recipe: Recipe, fann: bool) -> tuple[str, int]:
    """(output activation, output units)."""
    if labels is None:
        return recipe.output or "identity", n_targets
    k = labels.n_classes
    output = recipe.output or ("sigmoid" if k == 2 or fann else "softmax")  # FANN: per class
    if output not in ("sigmoid", "softmax"):
        raise ConfigError(f"a classifier's output must be 'softmax' or 'sigmoid' (one unit per "
                          f"class, one for two classes); got {output!r}.")
    return output, 1 if (k == 2 and output == "sigmoid") else k


def _target_encoder(model: Model) -> Callable[[Array], Array]:
    """Targets as prepared -> the network's training targets (scaled values, 0/1 columns)."""
    from .classification import one_hot

    if model.labels is None:
        ts = model.target_scaler
        return (lambda t: ts.transform(t)) if ts is not None else (lambda t: t)
    k = model.labels.n_classes
    if model.net.n_outputs == 1:
        return lambda t: t.reshape(-1, 1).astype(np.float64)
    return lambda t: one_hot(t, k, dtype=np.float64)


def _say_summary(prep: Prepared, recipe: Recipe, opts: Options, n_tr: int, n_val: int,
                 method: str) -> None:
    what = (f"{prep.labels.n_classes} classes ({', '.join(map(str, prep.labels.classes))})"
            if prep.labels is not None else f"predicting {', '.join(prep.target_names)}")
    opts.say("info", f"{prep.task}: {what}; {n_tr} training rows, {n_val} validation rows, "
                     f"{prep.X.shape[1]} features, scaling: {recipe.scale}")


def _run(net: Network, X: Array, Y: Array, validation: tuple[Array, Array] | None,
         recipe: Recipe, opts: Options, weights: Array | None = None,
         state: Any = None) -> tuple[Network, History, dict[str, Any]]:
    """Train ``net`` with the recipe's method; (network, history, extra info)."""
    from .training import EarlyStopping, fit

    method = method_of(recipe, opts)
    if weights is not None and method in ("fann", "cascade"):
        raise ConfigError(f"sample weights do not apply to {'FANN-compatible' if method == 'fann' else 'cascade'} "
                          "training (FANN's algorithms weigh every row alike); leave them out "
                          "or pick a gradient optimizer (adam, sgd, ...) or lbfgs.")
    if method == "fann":
        return (net, _fann_fit(net, X, Y, recipe, opts), {})
    if method == "cascade":
        return _cascade_fit(X, Y, opts)
    opts.say("info", net.summary())
    if method == "whole_batch":
        from .minimize import minimize

        return net, whole_batch_history(lambda: minimize(
            net, X, Y, recipe.optimizer, loss=opts.loss, l2=recipe.l2, maxiter=recipe.epochs,
            sample_weight=weights), recipe, opts), {}
    stopping = (EarlyStopping(patience=recipe.early_stopping, min_delta=recipe.min_delta)
                if recipe.early_stopping else None)
    history = fit(net, X, Y, loss=_loss(net, recipe, opts), optimizer=recipe.make_optimizer(),
                  epochs=recipe.epochs, batch_size=recipe.batch_size, seed=opts.seed,
                  l2=recipe.l2, schedule=recipe.make_schedule(), validation=validation,
                  early_stopping=stopping, progress=opts.progress, callbacks=opts.callbacks,
                  threads=opts.threads, checkpoint=opts.checkpoint,
                  checkpoint_every=opts.checkpoint_every, resume=opts.resume, state=state,
                  sample_weight=weights, backend=opts.backend)
    return net, history, {}


def _loss(net: Network, recipe: Recipe, opts: Options) -> Any:
    """``opts.loss``, or the output's natural loss, label-smoothed for a cross-entropy."""
    if opts.loss is not None or recipe.label_smoothing == 0:
        return opts.loss
    from .backprop import resolve_loss
    from .losses import label_smoothing

    base = resolve_loss(net, None)
    return base if base.partner is None else label_smoothing(base, recipe.label_smoothing)


def fann_params(recipe: Recipe, opts: Options) -> Any:
    """The FannParams of FANN-compatible training with this recipe (algorithm, error
    function, learning rate; FANN's defaults for the rest)."""
    from .fann.params import FannParams

    return FannParams(training_algorithm=recipe.optimizer,
                      train_error_function=opts.error_function or "tanh",
                      learning_rate=0.7 if recipe.learning_rate is None else recipe.learning_rate)


def whole_batch_history(run: Callable[[], Any], recipe: Recipe, opts: Options,
                        passes: bool = False) -> History:
    """L-BFGS/CG training around ``run()``, which minimises (in memory, or on a cluster:
    ``passes`` says how many passes over its rows it took): its warnings as notes, the
    progress line and the History."""
    from .training import History

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run()
    for w in caught:
        opts.say("note", " ".join(str(w.message).split()))
    over = f", {result.evaluations} passes over the cluster's rows" if passes else ""
    opts.say("progress", f"{recipe.optimizer}: {result.iterations} iterations{over}, loss "
                         f"{result.loss:.6g}")
    return History(epoch=list(range(len(result.loss_history))),
                   train_loss=list(result.loss_history), stopped_reason=result.message)


def fann_history(run: Callable[[float], Any], params: Any, recipe: Recipe, opts: Options,
                 where: str = "") -> History:
    """FANN-compatible training around ``run(desired_error)``, which runs FANN's epochs with
    ``params`` (in memory, or on a cluster: ``where``) and returns their FannHistory: the
    progress lines and the History."""
    from .training import History

    desired = 0.0 if opts.desired_error is None else opts.desired_error
    opts.say("progress", f"FANN-compatible training{where}: {recipe.optimizer}, "
                         f"{params.train_error_function} error function, up to {recipe.epochs} "
                         f"epochs, desired MSE {desired:g}")
    h = run(desired)
    reason = "epochs" if h.stopped_reason == "max_epochs" else "desired error (FANN MSE)"
    opts.say("progress", f"FANN MSE {h.mse[-1]:.6g}, bit fail {h.bit_fail[-1]} after "
                         f"{len(h)} epochs")
    return History(epoch=list(range(len(h))), train_loss=list(h.mse), time=list(h.time),
                   stopped_reason=reason)


def _fann_fit(net: Network, X: Array, Y: Array, recipe: Recipe, opts: Options) -> History:
    """Train with FANN's algorithm (FannTrainer, FANN-compatible); a training History."""
    from .fann.train import FannTrainer

    opts.say("info", net.summary())
    params = fann_params(recipe, opts)
    trainer = FannTrainer(net, params, fann_compatible=True, backend=opts.backend)  # checks first
    history = fann_history(lambda desired: trainer.train_on_data(X, Y, recipe.epochs, desired),
                           params, recipe, opts)
    history.backend = trainer.last_backend
    return history


def _cascade_fit(X: Array, Y: Array, opts: Options) -> tuple[Network, History, dict[str, Any]]:
    """Grow the network with Cascade2; the grown architecture goes to the log."""
    from .cascade import cascade_train
    from .training import History

    net, report = cascade_train(
        X, Y, max_neurons=30 if opts.max_neurons is None else opts.max_neurons,
        desired_error=0.0 if opts.desired_error is None else opts.desired_error,
        seed=opts.seed, dtype=opts.dtype, threads=opts.threads, backend=opts.backend,
    )
    opts.say("info", str(report))
    opts.say("info", net.summary())
    history = History(epoch=list(range(len(report.mse))), train_loss=list(report.mse),
                      stopped_reason=f"cascade: {report.stopped_reason}")
    history.backend = report.backend
    return net, history, {"cascade": dataclasses.asdict(report),
                          "epochs_run": report.total_epochs, "units": len(report.units)}


def _info(model: Model, prep: Any, recipe: Recipe, opts: Options, seconds: float,
          extra: dict[str, Any], rows: Array | None, where: str,
          score: dict[str, float] | None = None) -> dict[str, Any]:
    """What training records in the model file besides its preprocessing (``score``: the
    model's score on ``prep``'s rows when measured elsewhere, else measured here)."""
    from . import __version__

    if score is None:
        score = score_model(model, prep.take(rows))
    return {
        "seed": opts.seed,
        "library_version": __version__,
        "optimizer": recipe.optimizer,
        "learning_rate": recipe.learning_rate,
        "loss": opts.loss,
        "recipe": {k: (list(v) if isinstance(v, tuple) else v) for k, v in recipe.as_dict().items()},
        "fann_compatible": method_of(recipe, opts) == "fann",
        "training_seconds": seconds,
        "backend": getattr(model.history, "backend", "numpy"),  # how the epochs ran
        "score": {where: score},
        "notes": list(prep.notes),
        "source": prep.source,
        **extra,
    }


def score_model(model: Model, prep: Prepared) -> dict[str, float]:
    """Accuracy (classification) or RMSE and R² (regression) of ``model`` on prepared rows."""
    from .model import regression_metrics

    out = model.net.forward(_scaled(model, prep.X, model.net.dtype)).astype(np.float64)
    if prep.labels is not None:
        idx = (out[:, 0] >= 0.5).astype(np.int64) if out.shape[1] == 1 else out.argmax(axis=1)
        return {"accuracy": float(np.mean(idx == prep.targets))}
    metrics = regression_metrics(prep.targets, model._unscale(out))
    return {"rmse": metrics["rmse"], "r2": metrics["r2"]}


# --------------------------------------------------------------------------- L2 selection


def choose_l2(prep: Prepared, recipe: Recipe, opts: Options) -> tuple[float, dict[float, float]]:
    """The L2 penalty of ``recipe.l2_choices`` that does best on held-out training rows.

    ``recipe.select_fraction`` of the rows (stratified by class for classification, drawn
    with the seed) are held out, or with ``recipe.select_folds`` k >= 2 each of k stratified
    folds is held out in turn; for each candidate a network is trained on the other rows and
    scored on the held-out ones: the error rate for classification, the mean squared error in
    the targets' units (summed over outputs) for regression, pooled over the folds. The lowest
    score wins; a tie goes to the smaller penalty. Returns ``(penalty, {penalty: score})``.
    """
    if recipe.l2_choices is None:
        raise ConfigError("choose_l2 needs a recipe with l2_choices, e.g. (0.1, 1.0, 3.0).")
    y = prep.targets if prep.labels is not None else None
    splits = selection_splits(len(prep.targets), y, recipe, opts.seed)
    quiet = dataclasses.replace(opts, log=None, progress=False, callbacks=(), checkpoint=None,
                                resume=None)
    scores: dict[float, float] = {}
    for l2 in sorted(recipe.l2_choices):
        wrong = 0.0
        for fit_rows, held_rows in splits:
            model = fit_prepared(prep.take(fit_rows), recipe.replace(l2=l2, l2_choices=None),
                                 quiet)
            held = prep.take(held_rows)
            out = model.net.forward(_scaled(model, held.X, model.net.dtype)).astype(np.float64)
            if held.labels is None:
                wrong += float(np.sum(np.sum((held.targets - model._unscale(out)) ** 2, axis=1)))
            else:
                idx = (out[:, 0] >= 0.5) if out.shape[1] == 1 else out.argmax(axis=1)
                wrong += float(np.sum(idx != held.targets))
        scores[l2] = wrong / sum(len(h) for _, h in splits)
    best = min(scores, key=lambda k: (scores[k], k))
    return best, scores


def selection_splits(n: int, y: Array | None, recipe: Recipe,
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
