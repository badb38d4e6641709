"""``partial_fit`` over the blocks of a Dask collection: out-of-core training for the
scikit-learn estimators, the loop dask-ml's ``Incremental`` runs, without needing dask-ml.

Contract: :func:`fit_incremental` computes the row blocks of ``X`` and ``y`` one at a time
(the next one while the current one trains) and gives each, in order, to the estimator's
in-memory ``partial_fit``; ``epochs`` passes over all the blocks. ``classes`` (every class)
is passed to a classifier's first call, as scikit-learn requires.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

from ..errors import ConfigError, DataError
from .objective import _client


def _blocks(data: Any) -> list[Any]:
    da: Any = importlib.import_module("dask.array")
    if isinstance(data, da.Array):
        if data.ndim == 2:
            data = data.rechunk({1: -1})
        return list(np.ravel(data.to_delayed()))
    if hasattr(data, "to_delayed"):  # dask.dataframe / Series
        return list(data.to_delayed())
    raise ConfigError(f"fit_incremental takes dask arrays or data frames; got "
                      f"{type(data).__name__}.")


def fit_incremental(estimator: Any, X: Any, y: Any, *, epochs: int = 1, classes: Any = None,
                    client: Any = None) -> Any:
    """Train ``estimator`` with ``partial_fit`` on every block of ``(X, y)`` in turn,
    ``epochs`` times; returns the estimator (see the module docstring)."""
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ConfigError(f"epochs must be a positive integer; got {epochs!r}.")
    cl = _client(client)
    xs, ys = _blocks(X), _blocks(y)
    if len(xs) != len(ys):
        raise DataError(f"X has {len(xs)} blocks and y {len(ys)}; chunk both the same way "
                        "along rows.")
    takes_classes = "classes" in estimator.partial_fit.__code__.co_varnames
    for _ in range(epochs):
        ahead = cl.compute([xs[0], ys[0]])
        for i in range(len(xs)):
            xb, yb = (f.result() for f in ahead)
            if i + 1 < len(xs):
                ahead = cl.compute([xs[i + 1], ys[i + 1]])
            if len(xb) == 0:
                continue
            if takes_classes:
                estimator.partial_fit(xb, yb, classes=classes)
            else:
                estimator.partial_fit(xb, yb)
    return estimator


__all__ = ["fit_incremental"]
