"""A network plus its preprocessing: input scaler, class labels or target scaler, column names.

Contract: a :class:`Model` turns raw feature rows into the original labels (classification)
or un-scaled values (regression) with :meth:`Model.predict`; its preprocessing travels in
the ``.nless`` metadata (:meth:`Model.save`, :meth:`Model.load`), so a saved model predicts
from the same raw columns it was trained on. :func:`classification_metrics` and
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
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

import numpy as np
from numpy.typing import NDArray

from .data import Labels, MinMaxScaler, StandardScaler, scaler_from_dict
from .errors import ModelFormatError, NeuronlessError, ShapeError
from .network import Network

Array = NDArray[Any]
Scaler: TypeAlias = "StandardScaler | MinMaxScaler"
Task: TypeAlias = Literal["classification", "regression"]


@dataclass
class Model:
    """``net`` with what it needs around it to read raw rows and answer in original units.

    ``labels`` (classification) maps output units to the original class labels; a network
    with one output unit is a binary classifier (output ≥ 0.5 means ``labels.classes[1]``).
    ``scaler`` is applied to the inputs, ``target_scaler`` undone on regression outputs.
    """

    net: Network
    task: Task
    labels: Labels | None = None
    scaler: Scaler | None = None
    target_scaler: Scaler | None = None
    feature_names: list[str] = field(default_factory=list)
    target_names: list[str] = field(default_factory=list)

    def inputs(self, X: Any) -> Array:
        """Raw feature rows → the network's scaled input, checking the number of columns."""
        arr = np.asarray(X, dtype=np.float64)
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
        if self.target_scaler is not None:
            out = np.asarray(self.target_scaler.inverse_transform(out), dtype=np.float64)
        return out[:, 0] if out.shape[1] == 1 else out

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
        except (NeuronlessError, TypeError, ValueError) as e:
            if isinstance(e, ModelFormatError):
                raise
            raise ModelFormatError(f"{source}: bad preprocessing metadata: {e}") from None
        if labels is not None and net.n_outputs not in (1, labels.n_classes):
            raise ModelFormatError(
                f"{source}: {labels.n_classes} classes do not fit {net.n_outputs} output units."
            )
        return cls(net, task, labels, scaler, target_scaler, features, targets)

    def save(self, path: str | os.PathLike[str], extra: dict[str, Any] | None = None) -> None:
        """Write the network and its preprocessing (plus ``extra`` metadata), atomically."""
        from .files import save

        save(self.net, path, {**(extra or {}), **self.metadata()})

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> tuple[Model, dict[str, Any]]:
        """Read a model written by :meth:`save`; returns it and the whole metadata dict."""
        from .files import load_with_metadata

        net, meta = load_with_metadata(path)
        return cls.from_metadata(net, meta, os.fspath(path)), meta


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
