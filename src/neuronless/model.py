"""A network plus its preprocessing: column encoders, input scaler, class labels or target scaler.

Contract: a :class:`Model` turns raw rows (a table with the training columns, matched by
name, or a numeric array in training order) into the original labels (classification) or
un-scaled values (regression) with :meth:`Model.predict`; its preprocessing travels in
the ``.nless`` metadata as plain JSON (:meth:`Model.save`, :meth:`Model.load`), so a saved
model predicts from the same raw columns it was trained on. :func:`neuronless.train` builds
one; its ``history`` and ``info`` say how it was trained. :func:`classification_metrics` and
:func:`regression_metrics` score predictions without scikit-learn.

>>> import numpy as np, neuronless as nl
>>> from neuronless.data import Labels, StandardScaler
>>> X = np.array([[0.0, 1.0], [2.0, 3.0]])
>>> net = nl.Network.create([2, 2], output="softmax", seed=0)
>>> model = Model(net, "classification", Labels(["no", "yes"]), StandardScaler().fit(X))
>>> model.predict(X).shape
(2,)
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import numpy as np
from numpy.typing import NDArray

from .data import Labels, scaler_from_dict
from .data.columns import TableEncoder, Unseen
from .data.scaling import Scaler as _Scaler
from .errors import ConfigError, DataWarning, ModelFormatError, NeuronlessError, ShapeError
from .network import Network

if TYPE_CHECKING:
    from .history import History

Array = NDArray[Any]
Scaler: TypeAlias = "_Scaler"
Task: TypeAlias = Literal["classification", "regression"]


@dataclass
class Model:
    """``net`` with what it needs around it to read raw rows and answer in original units.

    ``labels`` (classification) maps output units to the original class labels; a network
    with one output unit is a binary classifier (output ≥ 0.5 means ``labels.classes[1]``).
    ``encoder`` (when the model was trained on a table) turns raw columns into numbers;
    ``scaler`` is applied to the encoded inputs, ``target_scaler`` undone on regression
    outputs, and regression predictions are clipped to ``target_range`` when it is set.
    ``history`` is the training :class:`~neuronless.training.History` and ``info`` what else
    training recorded (seed, optimizer, scores, notes); both are saved with the model.
    """

    net: Network
    task: Task
    labels: Labels | None = None
    scaler: Scaler | None = None
    target_scaler: Scaler | None = None
    feature_names: list[str] = field(default_factory=list)
    target_names: list[str] = field(default_factory=list)
    encoder: TableEncoder | None = None
    target_range: list[list[float]] | None = None
    history: History | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def encode(self, X: Any, unseen: Unseen | None = None) -> Array:
        """Raw rows → encoded numbers (one-hot, imputed), before scaling.

        ``X`` is a table (path, data frame, :class:`~neuronless.data.read.Table`, dict of
        columns; matched by column name) or a numeric array whose columns are the raw
        training columns in order.
        """
        if self.encoder is None:
            return np.asarray(X, dtype=np.float64)
        from .data.read import Table, as_table

        raw = self.encoder.raw_names
        if isinstance(X, np.ndarray) or (isinstance(X, (list, tuple)) and not isinstance(X, str)):
            arr = np.asarray(X)
            if arr.ndim != 2 or arr.shape[1] != len(raw):
                got = arr.shape[1] if arr.ndim == 2 else f"shape {arr.shape}"
                raise ShapeError(
                    f"the data has {got} columns but the model was trained on {len(raw)} "
                    f"({', '.join(raw)}); give it the same columns, in that order, or a table "
                    "with those column names."
                )
            table = as_table({name: arr[:, j] for j, name in enumerate(raw)})
        else:
            table = X if isinstance(X, Table) else as_table(X)
            table = _positional(table, raw)
        return self.encoder.transform(table, unseen)

    def inputs(self, X: Any) -> Array:
        """Raw rows → the network's scaled input, checking the columns.

        Values that no training row had (unseen categories) encode as all zeros, and one
        :class:`~neuronless.errors.DataWarning` says how many there were.
        """
        unseen = Unseen()
        arr = self.encode(X, unseen)
        if unseen.total:
            warnings.warn(unseen.message(), DataWarning, stacklevel=3)
        if arr.ndim != 2 or arr.shape[1] != self.net.n_inputs:
            got = arr.shape[1] if arr.ndim == 2 else f"shape {arr.shape}"
            names = f" ({', '.join(self.feature_names)})" if self.feature_names else ""
            raise ShapeError(
                f"the data has {got} feature columns but the model was trained on "
                f"{self.net.n_inputs}{names}; give it the same feature columns."
            )
        return self.scaler.transform(arr) if self.scaler is not None else arr

    def outputs(self, X: Any) -> Array:
        """The network's raw output for raw feature rows."""
        return self.net.forward(self.inputs(X))

    def predict(self, X: Any) -> Array:
        """Original class labels, or regression values in the target's own units."""
        out = np.asarray(self.outputs(X), dtype=np.float64)
        if self.task == "classification":
            if self.labels is None:
                raise ModelFormatError("a classification model needs its class labels.")
            idx = (out[:, 0] >= 0.5).astype(np.int64) if out.shape[1] == 1 else out.argmax(axis=1)
            return self.labels.inverse(idx)
        out = self._unscale(out)
        return out[:, 0] if out.shape[1] == 1 else out

    def predict_proba(self, X: Any) -> Array:
        """Class probabilities ``(n, n_classes)``, columns in the order of ``labels.classes``."""
        if self.task != "classification":
            raise ModelFormatError("predict_proba needs a classification model; this one "
                                   "predicts values (use predict).")
        out = np.asarray(self.outputs(X), dtype=np.float64)
        return np.column_stack([1.0 - out[:, 0], out[:, 0]]) if out.shape[1] == 1 else out

    def _unscale(self, out: Array) -> Array:
        if self.target_scaler is not None:
            out = np.asarray(self.target_scaler.inverse_transform(out), dtype=np.float64)
        if self.target_range is not None:
            lo, hi = np.asarray(self.target_range, dtype=np.float64)
            out = np.clip(out, lo, hi)
        return out

    def unit_names(self) -> tuple[list[str], list[str]]:
        """Labels for the network's input units and output units, for diagrams.

        Inputs: the encoded column names (one-hot units as ``island=Dream``). Outputs: the
        class names (one sigmoid unit: ``P(<second class>)``), or the target names.
        """
        outputs: list[str]
        if self.labels is not None:
            classes = [str(c) for c in self.labels.classes]
            outputs = [f"P({classes[1]})"] if self.net.n_outputs == 1 else classes
        else:
            outputs = list(self.target_names) or [f"y{j}" for j in range(self.net.n_outputs)]
        if len(outputs) != self.net.n_outputs:
            outputs = [f"y{j}" for j in range(self.net.n_outputs)]
        inputs = self.input_names
        if len(inputs) != self.net.n_inputs:
            inputs = [f"x{j}" for j in range(self.net.n_inputs)]
        return inputs, outputs

    @property
    def input_names(self) -> list[str]:
        """One name per network input: encoded names (``island=Dream``) or the feature names."""
        if self.encoder is not None:
            return self.encoder.feature_names
        return list(self.feature_names) or [f"x{j}" for j in range(self.net.n_inputs)]

    # ------------------------------------------------------------------ from elsewhere
    @classmethod
    def from_sklearn(cls, estimator: Any) -> Model:
        """A Model from a fitted scikit-learn ``MLPClassifier`` or ``MLPRegressor``.

        The network is :meth:`Network.from_sklearn`'s; a classifier's ``classes_`` become
        the labels, so ``predict`` and ``predict_proba`` answer as the estimator's do.
        ``estimator`` may also be a ``Pipeline`` of one ``StandardScaler`` or
        ``MinMaxScaler`` and the MLP: the scaler becomes the Model's input scaler (as a
        standard scaler holding the same affine map). ``feature_names_in_`` become the
        feature names. Multilabel classifiers (several independent sigmoid outputs) are
        refused: a Model answers with one class per row.
        """
        steps = getattr(estimator, "steps", None)
        mlp, scaler = estimator, None
        if steps is not None:
            parts = [step for _, step in steps if step not in (None, "passthrough")]
            if not 1 <= len(parts) <= 2 or (len(parts) == 2 and
                                             type(parts[0]).__name__ not in _SKLEARN_SCALERS):
                raise ConfigError(
                    f"from_sklearn reads a Pipeline of an optional StandardScaler or MinMaxScaler "
                    f"and the MLP; got {[type(p).__name__ for p in parts]}."
                )
            mlp = parts[-1]
            scaler = _sklearn_scaler(parts[0]) if len(parts) == 2 else None
        net = Network.from_sklearn(mlp)
        names = getattr(estimator, "feature_names_in_", None)
        features = [] if names is None else [str(n) for n in names]
        classes = getattr(mlp, "classes_", None)
        if classes is None:
            return cls(net, "regression", None, scaler, feature_names=features)
        if getattr(mlp, "out_activation_", None) == "logistic" and net.n_outputs > 1:
            raise ConfigError(
                "this MLPClassifier is multilabel (one sigmoid output per label); a Model "
                "predicts one class per row. Use Network.from_sklearn for its raw outputs."
            )
        return cls(net, "classification", Labels(np.asarray(classes).tolist()), scaler,
                   feature_names=features)

    # ------------------------------------------------------------------ files
    def metadata(self) -> dict[str, Any]:
        """The preprocessing as a JSON-safe dict (the keys :meth:`from_metadata` reads)."""
        return {
            "task": self.task,
            "classes": None if self.labels is None else list(self.labels.classes),
            "scaler": None if self.scaler is None else self.scaler.to_dict(),
            "target_scaler": None if self.target_scaler is None else self.target_scaler.to_dict(),
            "feature_names": list(self.feature_names),
            "target_names": list(self.target_names),
            "columns": None if self.encoder is None else self.encoder.to_dict(),
            "target_range": self.target_range,
        }

    @classmethod
    def from_metadata(cls, net: Network, meta: dict[str, Any], source: str = "model") -> Model:
        """Rebuild a Model from a network and the metadata :meth:`metadata` wrote."""
        task = meta.get("task")
        if task not in ("classification", "regression"):
            raise ModelFormatError(
                f"{source} has no preprocessing metadata (task is {task!r}); it was not written "
                "by 'neuronless train'. Train it with 'neuronless train' or use neuronless.load."
            )
        try:
            classes = meta.get("classes")
            labels = Labels(classes) if task == "classification" else None
            if labels is not None and (not isinstance(classes, list) or not classes):
                raise ModelFormatError(f"{source}: a classification model needs a classes list.")
            scaler = _scaler(meta.get("scaler"))
            target_scaler = _scaler(meta.get("target_scaler"))
            features = [str(n) for n in meta.get("feature_names") or []]
            targets = [str(n) for n in meta.get("target_names") or []]
            columns = meta.get("columns")
            encoder = None if columns is None else TableEncoder.from_dict(columns, source)
            target_range = _target_range(meta.get("target_range"), net.n_outputs)
        except (NeuronlessError, TypeError, ValueError) as e:
            if isinstance(e, ModelFormatError):
                raise
            raise ModelFormatError(f"{source}: bad preprocessing metadata: {e}") from None
        if labels is not None and net.n_outputs not in (1, labels.n_classes):
            raise ModelFormatError(
                f"{source}: {labels.n_classes} classes do not fit {net.n_outputs} output units."
            )
        if encoder is not None and encoder.n_features != net.n_inputs:
            raise ModelFormatError(
                f"{source}: the column encoder gives {encoder.n_features} inputs but the network "
                f"has {net.n_inputs}."
            )
        model = cls(net, task, labels, scaler, target_scaler, features, targets, encoder,
                    target_range)
        model.info = {k: v for k, v in meta.items() if k not in _PREPROCESSING_KEYS}
        model.history = _history(meta.get("history"))
        return model

    def save(self, path: str | os.PathLike[str], extra: dict[str, Any] | None = None) -> None:
        """Write the network, its preprocessing, ``info`` and ``history`` (plus ``extra``
        metadata), atomically."""
        import dataclasses

        from .files import save

        record: dict[str, Any] = dict(self.info)
        if self.history is not None:
            record["history"] = dataclasses.asdict(self.history)
        save(self.net, path, {**record, **(extra or {}), **self.metadata()})

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> tuple[Model, dict[str, Any]]:
        """Read a model written by :meth:`save`; returns it and the whole metadata dict."""
        from .files import load_with_metadata

        net, meta = load_with_metadata(path)
        return cls.from_metadata(net, meta, os.fspath(path)), meta


_PREPROCESSING_KEYS = ("task", "classes", "scaler", "target_scaler", "feature_names",
                       "target_names", "columns", "target_range", "history")


_SKLEARN_SCALERS = ("StandardScaler", "MinMaxScaler")


def _sklearn_scaler(step: Any) -> Scaler:
    """A fitted scikit-learn StandardScaler or MinMaxScaler as our StandardScaler: both are
    per-column affine maps ``(x - mean) / scale`` (MinMaxScaler's ``x * scale_ + min_`` is
    mean ``-min_ / scale_``, scale ``1 / scale_``)."""
    from .data.scaling import StandardScaler

    n = int(getattr(step, "n_features_in_", 0))
    if type(step).__name__ == "MinMaxScaler":
        if getattr(step, "clip", False):
            raise ConfigError("a MinMaxScaler with clip=True is not an affine map; refit it "
                              "with clip=False.")
        factor = np.asarray(step.scale_, dtype=np.float64)
        return StandardScaler(mean=-np.asarray(step.min_, dtype=np.float64) / factor,
                              scale=1.0 / factor)
    mean = getattr(step, "mean_", None)
    scale = getattr(step, "scale_", None)
    return StandardScaler(
        mean=np.zeros(n) if mean is None else np.asarray(mean, dtype=np.float64),
        scale=np.ones(n) if scale is None else np.asarray(scale, dtype=np.float64),
    )


def _positional(table: Any, raw: list[str]) -> Any:
    """A table without a header (``col0``, ``col1``, ...) whose width is the number of raw
    training columns is matched by position."""
    from .data.read import as_table

    default = [f"col{j}" for j in range(len(table.names))]
    if table.names == default and len(raw) == len(table.names) and raw != table.names:
        return as_table(dict(zip(raw, table.columns, strict=True)))
    return table


def _target_range(d: Any, n_outputs: int) -> list[list[float]] | None:
    if d is None:
        return None
    arr = np.asarray(d, dtype=np.float64)
    if arr.shape != (2, n_outputs) or not np.all(np.isfinite(arr)) or np.any(arr[0] > arr[1]):
        raise ModelFormatError(f"target_range must be [[low, ...], [high, ...]] with one finite "
                               f"pair per output ({n_outputs}); got {d!r}.")
    return [[float(v) for v in row] for row in arr]


def _history(d: Any) -> History | None:
    """The saved training history, or None when absent or not in the expected shape."""
    if not isinstance(d, dict):
        return None
    from .history import History

    try:
        return History(**d)
    except TypeError:
        return None


def _scaler(d: Any) -> Scaler | None:
    if d is None:
        return None
    if not isinstance(d, dict):
        raise ModelFormatError(f"a scaler must be stored as a dict; got {type(d).__name__}.")
    return scaler_from_dict(d)


# ---------------------------------------------------------------------------- metrics
def classification_metrics(y_true: Any, y_pred: Any, classes: list[Any]) -> dict[str, Any]:
    """Accuracy, confusion matrix (rows: true class, columns: predicted) and per-class
    precision and recall (0 when undefined), in the order of ``classes``."""
    labels = Labels(classes)
    t, p = labels.transform(y_true), labels.transform(y_pred)
    k = len(classes)
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (t, p), 1)
    hits = np.diag(confusion).astype(np.float64)
    predicted, actual = confusion.sum(axis=0), confusion.sum(axis=1)
    precision = np.divide(hits, predicted, out=np.zeros(k), where=predicted > 0)
    recall = np.divide(hits, actual, out=np.zeros(k), where=actual > 0)
    return {
        "accuracy": float(hits.sum() / max(len(t), 1)),
        "confusion": confusion,
        "precision": precision,
        "recall": recall,
        "support": actual,
    }


def regression_metrics(y_true: Any, y_pred: Any) -> dict[str, float]:
    """RMSE, MAE and R² (averaged over output columns, like scikit-learn's defaults)."""
    t = np.asarray(y_true, dtype=np.float64).reshape(len(y_true), -1)
    p = np.asarray(y_pred, dtype=np.float64).reshape(t.shape)
    err = p - t
    ss_res = (err**2).sum(axis=0)
    ss_tot = ((t - t.mean(axis=0)) ** 2).sum(axis=0)
    r2 = np.where(ss_tot > 0, 1.0 - ss_res / np.where(ss_tot > 0, ss_tot, 1.0),
                  np.where(ss_res == 0, 1.0, 0.0))
    return {
        "rmse": float(np.sqrt((err**2).mean(axis=0)).mean()),
        "mae": float(np.abs(err).mean()),
        "r2": float(r2.mean()),
    }
