"""The playground's built-in data sets as tables the pipeline reads.

Contract: :func:`builtin_table` makes the 2-D toy set called ``name`` (``circle``, ``xor``,
``gaussian``, ``spiral``, ``moons``) from :mod:`neuronless.datasets` with ``n`` points, Gaussian
``noise`` (in units of the set's own size; the spiral winds :data:`PLAYGROUND_TURNS` times) and ``seed``, as a dict of columns ``x1``, ``x2``,
``label`` (class 0 or 1); the same arguments give the same rows. :func:`split_rows` draws the
train/test split. Exported scripts call both, so they rebuild the page's rows exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from .. import datasets

#: the playground's spiral winds 1.75 times, as TensorFlow Playground's does (FANN's benchmark
#: has 3 turns, which a 2-8-8-1 net does not learn in the minute a lesson gives it)
PLAYGROUND_TURNS = 1.75


def builtin_table(name: str, n: int, noise: float, seed: int) -> dict[str, Any]:
    """The rows of the built-in data set ``name``, as columns ``x1``, ``x2`` and ``label``."""
    if name == "circle":
        X, y = datasets.circles(n, noise=noise, seed=seed)
    elif name == "moons":
        X, y = datasets.moons(n, noise=noise, seed=seed)
    elif name == "spiral":
        X, y = datasets.two_spiral(n, noise=3.0 * noise, seed=seed, turns=PLAYGROUND_TURNS)
    elif name == "gaussian":
        X, y = datasets.blobs(n, centers=[[-1.5, -1.5], [1.5, 1.5]], std=0.5 + 2.0 * noise,
                              seed=seed)
    elif name == "xor":  # TensorFlow Playground's: the sign of x1 * x2 in a square
        rng = np.random.default_rng(seed)
        X = rng.uniform(-1.0, 1.0, size=(n, 2))
        y = (X[:, 0] * X[:, 1] < 0).astype(np.int64)
        X = X + rng.normal(scale=noise, size=X.shape)
    else:
        raise ValueError(f"no built-in playground data set {name!r}")
    return {"x1": X[:, 0], "x2": X[:, 1], "label": np.asarray(y, dtype=np.int64)}


def split_rows(n: int, train_fraction: float, seed: int) -> tuple[NDArray[np.int64],
                                                                   NDArray[np.int64]]:
    """(training rows, test rows) of ``n`` rows: a seeded permutation, each part non-empty."""
    order = np.random.default_rng(seed).permutation(n)
    n_train = min(n - 1, max(1, round(train_fraction * n)))
    return np.sort(order[:n_train]), np.sort(order[n_train:])
