"""Seeded train/validation/test splits, stratified for classification."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import ConfigError, ShapeError
from ._common import (
    Array,
    FloatArray,
    Seed,
)
from .labels import Labels

# --------------------------------------------------------------------------- splitting


def split_indices(
    n: int, fractions: Sequence[float], seed: Seed = None, stratify: Any = None
) -> list[NDArray[np.int64]]:
    """Shuffled row indices ``0..n-1`` cut into parts of the given fractions.

    Part sizes round to the nearest whole numbers that add up to ``n``; every part with a
    positive fraction gets at least one row when ``n`` allows. With ``stratify`` (one label
    per row) each class is cut in the same proportions, and a class with at least as many
    rows as there are parts appears in every part.
    """
    fr = np.asarray(fractions, dtype=np.float64)
    if (
        fr.ndim != 1
        or len(fr) < 2
        or np.any(fr < 0)
        or not math.isclose(float(fr.sum()), 1.0, abs_tol=1e-9)
    ):
        raise ConfigError(
            f"fractions must be two or more non-negative numbers that sum to 1; got {list(fractions)!r}."
        )
    rng = _generator(seed)
    totals = _apportion(n, fr)
    if stratify is None:
        perm = rng.permutation(n)
        return [part.astype(np.int64) for part in np.split(perm, np.cumsum(totals)[:-1])]
    codes = Labels().fit_transform(stratify)
    if len(codes) != n:
        raise ShapeError(f"stratify must have one label per sample ({n}); got {len(codes)}.")
    counts = np.bincount(codes)
    alloc = _allocate(counts, totals)
    parts: list[list[NDArray[np.int64]]] = [[] for _ in fr]
    for c in range(len(counts)):
        members = rng.permutation(np.flatnonzero(codes == c))
        for p, chunk in enumerate(np.split(members, np.cumsum(alloc[c])[:-1])):
            parts[p].append(chunk)
    return [rng.permutation(np.concatenate(chunks)).astype(np.int64) for chunks in parts]


def split(
    X: Any,
    y: Any,
    fractions: Sequence[float] = (0.7, 0.15, 0.15),
    seed: Seed = None,
    stratify: Any = None,
) -> list[tuple[Array, Array]]:
    """Cut ``(X, y)`` into shuffled parts, e.g. train, validation and test: ``[(X_a, y_a), ...]``.

    ``stratify`` is None, ``True`` (stratify by ``y``) or one label per row; see
    :func:`split_indices`. The same ``seed`` always gives the same parts.
    """
    X_arr, y_arr = np.asarray(X), np.asarray(y)
    if len(X_arr) != len(y_arr):
        raise ShapeError(
            f"X and y must have one row per sample each; got {len(X_arr)} and {len(y_arr)}."
        )
    labels = y_arr if stratify is True else stratify
    return [(X_arr[idx], y_arr[idx]) for idx in split_indices(len(X_arr), fractions, seed, labels)]


def train_test_split(
    X: Any, y: Any, test_fraction: float = 0.2, seed: Seed = None, stratify: Any = None
) -> tuple[Array, Array, Array, Array]:
    """``X_train, X_test, y_train, y_test`` (scikit-learn's order); see :func:`split`.

    >>> X_tr, X_te, y_tr, y_te = train_test_split(np.arange(10).reshape(5, 2), [0, 1, 0, 1, 0], seed=0)
    >>> X_tr.shape, X_te.shape
    ((4, 2), (1, 2))
    """
    if not 0.0 < test_fraction < 1.0:
        raise ConfigError(
            f"test_fraction must be between 0 and 1 (exclusive); got {test_fraction!r}."
        )
    (X_tr, y_tr), (X_te, y_te) = split(X, y, (1.0 - test_fraction, test_fraction), seed, stratify)
    return X_tr, X_te, y_tr, y_te


def _generator(seed: Seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)):
        return np.random.default_rng(seed)
    raise ConfigError(f"seed must be an int, a numpy Generator or None; got {seed!r}.")


def _apportion(n: int, fractions: FloatArray) -> NDArray[np.int64]:
    """Whole sizes summing to ``n``, nearest to ``n * fractions`` (largest remainders first),
    with at least 1 for each positive fraction when ``n`` has enough rows."""
    exact = n * fractions
    sizes = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - sizes), kind="stable")
    sizes[order[: n - int(sizes.sum())]] += 1
    positive = fractions > 0
    if n >= int(positive.sum()):
        for p in np.flatnonzero(positive & (sizes == 0)):
            sizes[p] += 1
            sizes[int(np.argmax(sizes))] -= 1  # the largest part has > 1 here
    return sizes


def _allocate(counts: NDArray[np.int64], totals: NDArray[np.int64]) -> NDArray[np.int64]:
    """A class × part matrix of whole counts: row sums are the class sizes, column sums as
    close to ``totals`` as the rounding allows, proportional within each class."""
    n = int(counts.sum())
    exact = np.outer(counts, totals / n)
    alloc: NDArray[np.int64] = np.floor(exact).astype(np.int64)
    wanted = totals > 0
    for c in np.flatnonzero(counts >= wanted.sum()):  # every class in every part, if it can be
        alloc[c, wanted & (alloc[c] == 0)] = 1
        while alloc[c].sum() > counts[c]:
            alloc[c, int(np.argmax(alloc[c]))] -= 1
    remainder = exact - alloc
    for _ in range(int((counts - alloc.sum(axis=1)).sum())):
        room = (counts - alloc.sum(axis=1))[:, None] > 0
        short = (totals - alloc.sum(axis=0))[None, :] > 0
        score = np.where(room, remainder + 2.0 * short, -np.inf)  # a short part wins first
        c, p = np.unravel_index(int(np.argmax(score)), score.shape)
        alloc[c, p] += 1
        remainder[c, p] -= 1.0
    return alloc
