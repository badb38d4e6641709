"""Class labels and one-hot rows, predicted classes and accuracy.

Contract: ``one_hot(labels, n_classes)`` turns integer labels ``0..k-1`` into rows of a
``(m, k)`` 0/1 matrix; ``labels_from(outputs)`` goes back (argmax, or a 0.5 threshold for a
single sigmoid output). Arbitrary labels (strings) are mapped by the data layer, not here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from .errors import ShapeError

Array = NDArray[Any]


def one_hot(labels: Any, n_classes: int | None = None, dtype: DTypeLike = np.float32) -> Array:
    """Rows of zeros with a one in each label's column.

    >>> one_hot([0, 2, 1])
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]], dtype=float32)
    """
    y = np.asarray(labels)
    if y.ndim != 1 or y.size == 0 or not np.issubdtype(y.dtype, np.integer):
        if y.ndim == 1 and y.size and np.issubdtype(y.dtype, np.floating) and np.all(y == np.round(y)):
            y = y.astype(np.int64)
        else:
            raise ShapeError(
                f"labels must be a non-empty 1-D array of integers 0..k-1; got shape {y.shape}, "
                f"dtype {y.dtype}. Map other labels to integers first (np.unique(..., "
                "return_inverse=True))."
            )
    if y.min() < 0:
        raise ShapeError(f"labels must be >= 0; got {int(y.min())}.")
    k = int(y.max()) + 1 if n_classes is None else int(n_classes)
    if y.max() >= k:
        raise ShapeError(f"labels must be < n_classes={k}; got {int(y.max())}.")
    out = np.zeros((y.size, k), dtype=dtype)
    out[np.arange(y.size), y] = 1
    return out


def labels_from(outputs: Any) -> NDArray[np.int64]:
    """Class indices from network outputs: argmax per row, or ``output > 0.5`` for one column.

    >>> labels_from([[0.2, 0.8], [0.9, 0.1]]).tolist()
    [1, 0]
    >>> labels_from([[0.7], [0.2]]).tolist()
    [1, 0]
    """
    out: NDArray[Any] = np.asarray(outputs)
    if out.ndim == 1:
        out = out.reshape(-1, 1)
    if out.shape[1] == 1:
        labels: NDArray[np.int64] = (out[:, 0] > 0.5).astype(np.int64)
    else:
        labels = np.argmax(out, axis=1).astype(np.int64)
    return labels


def predict_classes(net: Any, X: Any) -> NDArray[np.int64]:
    """The class index the network predicts for each row of ``X``."""
    return labels_from(np.atleast_2d(net.forward(X)))


def accuracy(y_true: Any, y_pred: Any) -> float:
    """Fraction of equal entries; either argument may be labels or one-hot/probability rows.

    >>> accuracy([0, 1, 1, 0], [0, 1, 0, 0])
    0.75
    """
    t, p = np.asarray(y_true), np.asarray(y_pred)
    t = labels_from(t) if t.ndim == 2 else t
    p = labels_from(p) if p.ndim == 2 else p
    if t.shape != p.shape:
        raise ShapeError(f"y_true and y_pred must describe the same samples; got {t.shape} and {p.shape}.")
    return float(np.mean(t == p))
