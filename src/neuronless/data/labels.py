"""Task detection and class labels: ``infer_task`` and ``Labels`` (JSON-safe)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from ..errors import ConfigError, DataError, ShapeError
from ._common import (
    MAX_CLASSES,
    Array,
)

# --------------------------------------------------------------------------- task and labels


def infer_task(y: Any) -> Literal["classification", "regression"]:
    """Guess whether targets are class labels or quantities to predict.

    Strings and booleans are labels; so is a 0/1 matrix with one 1 per row (one-hot). Integers
    (or integral floats) are labels when there are at most 20 distinct values and either at
    most two or fewer than half the number of rows; anything else is regression.

    >>> infer_task(["cat", "dog", "cat"]), infer_task([0, 1, 1, 0]), infer_task([0.5, 1.7, 2.0])
    ('classification', 'classification', 'regression')
    """
    arr = np.asarray(y)
    if arr.size == 0:
        raise DataError("cannot infer the task of an empty target array.")
    if arr.dtype.kind in "bUSO":
        return "classification"
    if arr.ndim == 2 and arr.shape[1] > 1:
        one_hot = np.all((arr == 0) | (arr == 1)) and np.all(arr.sum(axis=1) == 1)
        return "classification" if one_hot else "regression"
    flat = arr.ravel()
    integral = flat.dtype.kind != "f" or bool(np.all(np.isfinite(flat)) and
                                               np.all(flat == np.round(flat)))
    return task_of_numbers(integral, len(np.unique(flat)) if integral else 0, len(flat))


def task_of_numbers(integral: bool, n_distinct: int,
                    n: int) -> Literal["classification", "regression"]:
    """:func:`infer_task`'s rule for one column of numbers, from its counts: are they all
    finite integers, how many distinct values, how many values."""
    if integral and n_distinct <= MAX_CLASSES and (n_distinct <= 2 or n_distinct < n / 2):
        return "classification"
    return "regression"


class Labels:
    """Map arbitrary class labels (strings, numbers) to indices ``0..k-1`` and back.

    ``classes`` is the sorted list of labels seen by :meth:`fit`, as plain Python values, so
    ``to_dict()`` goes straight into JSON.

    >>> labels = Labels().fit(["dog", "cat", "dog"])
    >>> labels.classes, labels.transform(["cat", "dog"]).tolist(), labels.inverse([1, 0]).tolist()
    (['cat', 'dog'], [0, 1], ['dog', 'cat'])
    """

    def __init__(self, classes: Sequence[Any] | None = None) -> None:
        self.classes: list[Any] = [] if classes is None else list(classes)
        self._index = {c: i for i, c in enumerate(self.classes)}

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    def fit(self, y: Any) -> Labels:
        """Learn the classes of ``y`` (1-D, or a single column)."""
        arr = _label_array(y)
        try:
            classes = np.unique(arr).tolist()
        except TypeError:
            raise DataError(
                "class labels must be all strings or all numbers; got a mix. Convert them to one type."
            ) from None
        self.classes = classes
        self._index = {c: i for i, c in enumerate(classes)}
        return self

    def transform(self, y: Any) -> NDArray[np.int64]:
        """The index of each label in ``classes``; an unseen label is a DataError."""
        self._check_fitted()
        values = _label_array(y).tolist()
        try:
            return np.array([self._index[v] for v in values], dtype=np.int64)
        except (KeyError, TypeError):
            unseen = sorted({repr(v) for v in values if v not in self._index})
            raise DataError(
                f"labels {', '.join(unseen[:5])}{' ...' if len(unseen) > 5 else ''} were not seen by "
                f"fit; known classes: {self.classes!r}. Fit on data that contains every class."
            ) from None

    def fit_transform(self, y: Any) -> NDArray[np.int64]:
        return self.fit(y).transform(y)

    def inverse(self, indices: Any) -> Array:
        """The original labels of class indices."""
        self._check_fitted()
        idx = np.asarray(indices)
        if idx.size and (
            idx.dtype.kind not in "iu" or idx.min() < 0 or idx.max() >= self.n_classes
        ):
            raise DataError(
                f"class indices must be integers in 0..{self.n_classes - 1}; got {idx.tolist()!r}."
            )
        return np.asarray(self.classes)[idx.astype(np.int64)]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "labels", "classes": list(self.classes)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Labels:
        if d.get("kind") != "labels" or not isinstance(d.get("classes"), list):
            raise DataError(f"not a Labels dict (needs kind='labels' and a classes list): {d!r}")
        return cls(d["classes"])

    def _check_fitted(self) -> None:
        if not self.classes:
            raise ConfigError("Labels has no classes yet; call fit(y_train) first.")

    def __repr__(self) -> str:
        return f"Labels({self.classes!r})"


def _label_array(y: Any) -> Array:
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ShapeError(f"labels must be 1-D (one label per sample); got shape {arr.shape}.")
    return arr
