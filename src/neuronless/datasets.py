"""Built-in data sets: small 2-D toy problems made with NumPy, and scikit-learn's bundled tables.

Contract: every function returns a :class:`~neuronless.data.Dataset` with integer class
labels ``0..k-1`` in ``y``, and never touches the network: the toy sets (``xor``,
``two_spiral``, ``circles``, ``moons``, ``blobs``, like TensorFlow Playground's) are
computed, rows grouped by class, the same for the same ``seed``; ``digits``, ``iris``,
``wine`` and ``breast_cancer`` read the files that ship inside scikit-learn (no download),
and without scikit-learn raise a :class:`~neuronless.errors.DataError` saying how to get it.
:func:`get_dataset` finds any of them by name.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .data import Dataset, Seed
from .errors import ConfigError, DataError

XY = ["x1", "x2"]
# Lang & Witbrock (1988), the CMU two-spirals benchmark: 97 points per arm, 3 turns (6π),
# radius shrinking from 6.5 to 6.5 * 8/104 = 0.5 in equal steps of π/16.
SPIRAL_POINTS = 97
SPIRAL_TURNS = 3.0
SPIRAL_RADIUS = 6.5
SPIRAL_INNER = 8 / 104
BLOB_BOX = 10.0  # random blob centres are drawn uniformly from [-10, 10]^2


def _toy(points: list[NDArray[np.float64]], noise: float, seed: Seed, name: str) -> Dataset:
    """Stack one array of points per class, label them 0..k-1 and add Gaussian noise."""
    if noise < 0:
        raise ConfigError(
            f"noise must be >= 0 (the standard deviation of added Gaussian noise); got {noise!r}."
        )
    X = np.concatenate(points).astype(np.float64)
    if noise > 0:
        X += _rng(seed).normal(scale=noise, size=X.shape)
    y = np.concatenate([np.full(len(p), k, dtype=np.int64) for k, p in enumerate(points)])
    return Dataset(X, y, list(XY), [name])


def _rng(seed: Seed) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _check_n(n: int, minimum: int) -> None:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < minimum:
        raise ConfigError(f"n must be an integer >= {minimum}; got {n!r}.")


def xor() -> Dataset:
    """The four points of exclusive or: inputs 0/1, label 1 when exactly one input is 1.

    >>> X, y = xor()
    >>> X.tolist(), y.tolist()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    """
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return Dataset(X, np.array([0, 1, 1, 0], dtype=np.int64), list(XY), ["xor"])


def two_spiral(n: int = 2 * SPIRAL_POINTS, noise: float = 0.0, seed: Seed = None,
               turns: float = SPIRAL_TURNS) -> Dataset:
    """Two interleaved spirals, one per class; the second arm is the first turned by 180°.

    With ``n=194``, no noise and 3 turns these are exactly the 2 × 97 points of Lang &
    Witbrock's benchmark: point ``i`` of arm 0 is at angle ``i·π/16`` and radius
    ``6.5·(104 − i)/104``, ``(x1, x2) = (r·sin θ, r·cos θ)``. Other ``n`` spread ``n // 2``
    points over the same radii (arm 0 takes the odd one); ``turns`` winds each arm that many
    times (TensorFlow Playground's spiral has 1.75, a problem a small net learns in seconds).
    """
    _check_n(n, 2)
    if not (isinstance(turns, (int, float)) and math.isfinite(turns) and turns > 0):
        raise ConfigError(f"turns must be a positive number of turns per arm; got {turns!r}.")
    arms = []
    for k, m in enumerate((n - n // 2, n // 2)):
        s = np.linspace(0.0, 1.0, m)
        angle = s * 2.0 * math.pi * turns
        radius = SPIRAL_RADIUS * (1.0 - (1.0 - SPIRAL_INNER) * s)
        arm = np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])
        arms.append(arm if k == 0 else -arm)
    return _toy(arms, noise, seed, "arm")


def circles(n: int = 200, noise: float = 0.0, factor: float = 0.5, seed: Seed = None) -> Dataset:
    """A circle of radius ``factor`` (class 1) inside the unit circle (class 0), points evenly spaced.

    The outer circle has ``n // 2`` points, the inner one the rest.
    """
    _check_n(n, 2)
    if not 0.0 < factor < 1.0:
        raise ConfigError(
            f"factor (inner radius / outer radius) must be in (0, 1); got {factor!r}."
        )
    rings = []
    for m, r in ((n // 2, 1.0), (n - n // 2, factor)):
        angle = np.linspace(0.0, 2.0 * math.pi, m, endpoint=False)
        rings.append(r * np.column_stack([np.cos(angle), np.sin(angle)]))
    return _toy(rings, noise, seed, "inner")


def moons(n: int = 200, noise: float = 0.0, seed: Seed = None) -> Dataset:
    """Two interleaving half circles: the upper arc ``(cos t, sin t)``, ``t`` in [0, π]
    (class 0, ``n // 2`` points), and the lower arc ``(1 − cos t, 0.5 − sin t)`` (class 1)."""
    _check_n(n, 2)
    t0 = np.linspace(0.0, math.pi, n // 2)
    t1 = np.linspace(0.0, math.pi, n - n // 2)
    upper = np.column_stack([np.cos(t0), np.sin(t0)])
    lower = np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])
    return _toy([upper, lower], noise, seed, "moon")


def blobs(n: int = 300, centers: int | Any = 3, std: float = 1.0, seed: Seed = None) -> Dataset:
    """Gaussian clusters in 2-D, one class per centre.

    ``centers`` is a number of centres (drawn uniformly from [-10, 10]²) or a ``(k, 2)``
    array of them; each gets ``n // k`` points (the first ones one more when ``k`` does not
    divide ``n``), spread with standard deviation ``std``.
    """
    rng = _rng(seed)
    if isinstance(centers, (int, np.integer)) and not isinstance(centers, bool):
        if centers < 1:
            raise ConfigError(f"centers must be >= 1; got {centers!r}.")
        where = rng.uniform(-BLOB_BOX, BLOB_BOX, size=(int(centers), 2))
    else:
        where = np.asarray(centers, dtype=np.float64)
        if where.ndim != 2 or where.shape[1] != 2 or len(where) == 0:
            raise ConfigError(
                f"centers must be a count or a (k, 2) array of points; got shape {where.shape}."
            )
    k = len(where)
    _check_n(n, k)
    if std < 0:
        raise ConfigError(f"std must be >= 0; got {std!r}.")
    sizes = [n // k + (1 if c < n % k else 0) for c in range(k)]
    points = [where[c] + rng.normal(scale=std, size=(m, 2)) for c, m in enumerate(sizes)]
    return _toy(points, 0.0, None, "center")


def _sklearn(name: str) -> Dataset:
    try:
        from sklearn import datasets as skd
    except ImportError:
        raise DataError(
            f"the {name} data set comes with scikit-learn, which is not installed; install it with "
            "pip install 'neuronless[sklearn]'."
        ) from None
    bunch = getattr(skd, f"load_{name}")()
    X = np.asarray(bunch.data, dtype=np.float64)
    names = getattr(bunch, "feature_names", None)
    feature_names = (
        [str(f) for f in names] if names is not None else [f"x{j}" for j in range(X.shape[1])]
    )
    return Dataset(X, np.asarray(bunch.target, dtype=np.int64), feature_names, ["target"])


def digits() -> Dataset:
    """1797 handwritten digits as 8 × 8 images (64 features, 0..16), classes 0..9 (scikit-learn)."""
    return _sklearn("digits")


def iris() -> Dataset:
    """Fisher's 150 irises: 4 measurements (cm), 3 species 0..2 (scikit-learn)."""
    return _sklearn("iris")


def wine() -> Dataset:
    """178 Italian wines: 13 chemical measurements, 3 cultivars 0..2 (scikit-learn)."""
    return _sklearn("wine")


def breast_cancer() -> Dataset:
    """569 Wisconsin breast-cancer biopsies: 30 features, 0 = malignant, 1 = benign (scikit-learn)."""
    return _sklearn("breast_cancer")


DATASETS: dict[str, Callable[..., Dataset]] = {
    "xor": xor,
    "two_spiral": two_spiral,
    "circles": circles,
    "moons": moons,
    "blobs": blobs,
    "digits": digits,
    "iris": iris,
    "wine": wine,
    "breast_cancer": breast_cancer,
}


def get_dataset(name: str, **kwargs: Any) -> Dataset:
    """The built-in data set called ``name`` (``-`` and ``_`` are the same), built with ``kwargs``.

    >>> get_dataset("two-spiral").X.shape
    (194, 2)
    """
    key = str(name).strip().lower().replace("-", "_")
    if key not in DATASETS:
        raise DataError(f"no built-in data set called {name!r}; available: {', '.join(DATASETS)}.")
    return DATASETS[key](**kwargs)
