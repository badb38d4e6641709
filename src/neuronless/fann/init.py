"""FANN's two weight initialisations: ``fann_randomize_weights`` and ``fann_init_weights``.

Contract: both redraw every weight of a :class:`~neuronless.network.Network` in place from a
NumPy Generator (``seed``: int, Generator or None) with FANN's distributions (fann.md section
7); masked connections of a sparse net stay 0. FANN draws from the C library's ``rand()``,
which cannot be reproduced, so the draws differ from libfann's; the distributions are the
same. Neither resets a :class:`~neuronless.fann.train.FannTrainer`'s state (libfann's
``fann_init_weights`` clears its training arrays; call ``trainer.reset()``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import ConfigError, DataError, ShapeError
from ..network import Network, Seed, as_generator

Array = NDArray[Any]

FANN_INIT_FACTOR = 0.7  # fann_init_weights: (0.7 * hidden) ** (1 / inputs)


def randomize_weights(net: Network, low: float = -0.1, high: float = 0.1, *,
                      seed: Seed = None) -> None:
    """``fann_randomize_weights``: every weight and bias uniform in ``[low, high)``.

    FANN's defaults (-0.1, 0.1) are what ``fann_create_standard`` draws for a new network.

    >>> net = Network.create([2, 3, 1], seed=0)
    >>> randomize_weights(net, -0.5, 0.5, seed=1)
    >>> bool(np.all(np.abs(net.params) <= 0.5))
    True
    """
    if not (math.isfinite(low) and math.isfinite(high) and low <= high):
        raise ConfigError(f"randomize_weights needs finite low <= high; got {low!r}, {high!r}.")
    rng = as_generator(seed)
    net.params[...] = rng.uniform(low, high, size=net.params.size)
    if net.mask is not None:
        net.params *= net.mask


def init_scale(net: Network, X: Any) -> float:
    """The scale factor ``fann_init_weights`` uses for ``net`` and the inputs ``X``.

    ``scale = (0.7 * H) ** (1 / n_inputs) / (max(X) - min(X))`` with the minimum and maximum
    over *all* input values, computed as FANN does in C float. ``H`` is FANN's count of hidden
    neurons: its total neuron count minus inputs, outputs and the number of layers, which for
    a LAYER net is the number of hidden neurons, but for a SHORTCUT net (one bias neuron only)
    is ``layers - 1`` fewer; below 0 it wraps around as FANN's unsigned arithmetic does.
    """
    Xa = np.asarray(X, dtype=np.float64)
    if Xa.ndim != 2 or Xa.shape[1] != net.sizes[0] or Xa.shape[0] == 0:
        raise ShapeError(
            f"X must be a non-empty (patterns, {net.sizes[0]}) array; got shape {Xa.shape}."
        )
    if not np.all(np.isfinite(Xa)):
        raise DataError("X must hold finite numbers (no NaN or inf).")
    lo = float(np.float32(Xa.min()) if net.dtype == np.float32 else Xa.min())
    hi = float(np.float32(Xa.max()) if net.dtype == np.float32 else Xa.max())
    if hi == lo:
        raise DataError(
            "fann_init_weights divides by max(X) - min(X), which is 0 for these inputs (all "
            f"equal to {lo!r}); scale the data or use randomize_weights."
        )
    n_layers = len(net.sizes)
    hidden = sum(net.sizes[1:-1])
    if net.shortcut:  # FANN counts bias neurons: a shortcut net has one instead of one per layer
        hidden -= n_layers - 1
    hidden %= 2**32  # unsigned int in FANN
    base = float(np.float32(0.7)) * float(hidden)
    return float(np.float32(math.pow(base, 1.0 / net.sizes[0]) / (hi - lo)))


def init_weights(net: Network, X: Any, *, seed: Seed = None) -> float:
    """``fann_init_weights`` (FANN's "Widrow + Nguyen"); returns the scale factor used.

    Every weight from a bias is drawn uniform in ``[-scale, scale)``, every other weight
    uniform in ``[0, scale)``: only positive, FANN's quirk (and not the textbook
    Nguyen-Widrow, which normalises each neuron's weight vector), with ``scale`` from
    :func:`init_scale`, the same for every layer.

    >>> net = Network.create([2, 4, 1], seed=0, dtype="float64")
    >>> scale = init_weights(net, np.array([[0.0, 1.0], [1.0, 0.5]]), seed=0)
    >>> round(scale, 4)                      # (0.7 * 4) ** (1/2) / (1 - 0)
    1.6733
    >>> bool(np.all(net.weights[0][:-1] >= 0))
    True
    """
    scale = init_scale(net, X)
    rng = as_generator(seed)
    for W in net.weights:
        W[:-1] = rng.uniform(0.0, scale, size=W[:-1].shape)
        W[-1] = rng.uniform(-scale, scale, size=W.shape[1])
    if net.mask is not None:
        net.params *= net.mask
    return scale
