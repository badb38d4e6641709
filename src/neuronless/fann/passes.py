"""The machinery of FANN's vectorised passes: per-layer rules, buffers, connection order.

Contract: :class:`_Layer` holds what one weight matrix needs for FANN's forward pass (its
activation with FANN's summation clamp and FANN's sigmoid formula, or the network's own
activation in textbook mode) and backward pass (FANN's derivative, or the exact one);
:class:`_Buffers` holds the arrays of one batch size. :func:`fann_names` translates a
network's activations to FANN's names and steepnesses; :func:`fann_order` lists where each of
FANN's connections lives in ``Network.params``. Used by :mod:`neuronless.fann.train`; no
training logic here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import ConfigError
from ..network import Network
from .activations import FANN_ACTIVATIONS
from .metrics import FannDerivative
from .params import to_fann

Array = NDArray[Any]

# d.T @ input (then transposed) beats input.T @ d for wide, big inputs (measured: gene,
# mushroom gain ~3-5 %, narrow inputs such as abelone lose)
_TRANSPOSED_SLOPE_SIZE = 1 << 16  # patterns x inputs
_SMALL_COPY = 1 << 13  # patterns x inputs copied per epoch rather than a separate bias
_TRANSPOSED_SLOPE_WIDTH = 64  # inputs
FANN_SUM_LIMIT = 150.0  # fann_run clamps sum = s * acc to +-150 / s
#: FANN functions whose output and FANN derivative the summation clamp cannot change (they
#: saturate long before |sum| = 150/s), so the trainer skips the clamp for them.
_CLAMP_FREE = frozenset({
    "sigmoid", "sigmoid_stepwise", "sigmoid_symmetric", "sigmoid_symmetric_stepwise",
    "linear_piece", "linear_piece_symmetric", "threshold", "threshold_symmetric",
})


def _c_float(value: float) -> float:
    return float(np.float32(value))


def fann_names(net: Network, strict: bool = True) -> list[tuple[list[str], Array]]:
    """Per layer: every neuron's FANN activation name and FANN steepness.

    An activation FANN does not have raises :class:`ConfigError` (``strict``) or keeps its
    neuronless name and steepness.
    """
    out = []
    for layer, n in zip(net.layers, net.sizes[1:], strict=True):
        steep = np.broadcast_to(np.asarray(layer.steepness, dtype=np.float64), (n,))
        names, fs = [], np.empty(n)
        for j, (act, s) in enumerate(zip(_acts(layer, n), steep, strict=True)):
            try:
                enum, fs[j] = to_fann(act.name, float(s))
            except ConfigError as exc:
                if strict:
                    raise ConfigError(
                        f"fann_compatible=True needs FANN activation functions in every layer; "
                        f"{exc}"
                    ) from None
                names.append(act.name)
                fs[j] = s
                continue
            names.append(FANN_ACTIVATIONS[enum])
        out.append((names, fs))
    return out


def fann_order(net: Network) -> NDArray[np.intp]:
    """Flat ``params`` index of each of FANN's connections, in FANN's storage order.

    FANN stores connections per neuron, layer after layer; a neuron's sources are the previous
    layer's neurons then the bias (LAYER nets) or the inputs, the bias, then every earlier
    layer's neurons (SHORTCUT nets). For a sparse net (``mask``) only existing connections are
    listed, bias first (FANN's sparse layout; the order of the other sources, which FANN draws
    at random, is taken as ascending). ``params[fann_order(net)]`` is then what
    ``fann_get_connection_array`` returns for the same network.
    """
    orders = []
    offset = 0
    masks = net.masks
    for k, ((rows, n_out), fan_in) in enumerate(zip(net.shapes, net.fan_ins, strict=True)):
        if net.shortcut:
            n0 = net.sizes[0]
            src_rows = [*range(n0), fan_in, *range(n0, fan_in)]
        else:
            src_rows = [*range(fan_in), fan_in]
        if masks is not None:
            src_rows = [fan_in] + [r for r in src_rows if r != fan_in]
        r = np.array(src_rows, dtype=np.intp)
        idx = offset + r[None, :] * n_out + np.arange(n_out)[:, None]  # (neuron, source)
        if masks is not None:
            idx = idx[masks[k][r[None, :], np.arange(n_out)[:, None]]]
        orders.append(idx.ravel())
        offset += rows * n_out
    return np.concatenate(orders).astype(np.intp)


class _Layer:
    """What one weight matrix needs for FANN's forward and backward passes."""

    def __init__(self, net: Network, k: int, names: list[str], fann_steep: Array,
                 fann_compatible: bool) -> None:
        layer = net.layers[k]
        dt = net.dtype
        self.layer = layer
        self.n = net.sizes[k + 1]
        self.steep = layer.scale(dt)  # neuronless steepness: x = steep * acc
        self.unit = isinstance(self.steep, float) and self.steep == 1.0
        self.fann_compatible = fann_compatible
        self.names = names
        self.lo: Any = None
        self.hi: Any = None
        if fann_compatible:
            self.deriv: FannDerivative | None = FannDerivative(names, fann_steep, self.n)
            self.needs_x = self.deriv.needs_sum
            if layer.clamp is not None:  # the network's own clamp (a .net file: FANN's)
                self.lo, self.hi = layer.bounds(dt)
            elif any(name not in _CLAMP_FREE for name in names):
                # FANN: sum clamped to +-150/s (in its weight type); x = scale * sum
                scale = np.array([2.0 if name == "sigmoid" else 1.0 for name in names])
                fs = fann_steep.astype(dt)
                bound = (dt.type(FANN_SUM_LIMIT) / fs).astype(np.float64) * scale
                bound[[name in _CLAMP_FREE for name in names]] = np.inf
                self.hi = bound.astype(dt)
                self.lo = -self.hi
                if np.all(bound == bound[0]):
                    self.hi, self.lo = float(self.hi[0]), float(self.lo[0])
        else:
            self.deriv = None
            self.needs_x = layer.needs_x
            if layer.clamp is not None:
                self.lo, self.hi = layer.bounds(dt)
        uniform = layer.uniform
        self.apply: Callable[[Array], object] | None = None
        self.fann_sigmoid = (fann_compatible and uniform is not None and names[0] == "sigmoid"
                             and self.hi is None)
        # FANN's own sigmoid formula 1 / (1 + exp(-2 sum)), with x = 2 sum
        self.one = dt.type(1.0)
        st = self.steep
        self.neg_steep: Any = dt.type(-st) if isinstance(st, float) else -st
        if uniform is not None:
            self.apply = uniform.inplace if uniform.inplace is not None else uniform.apply_

    def activate(self, x: Array, keep: Array | None) -> None:
        """``x`` holds ``acc``; make it the layer output. ``keep`` receives FANN's ``sum`` (the
        scaled, clamped input; FANN-compatible) or the net input ``acc`` (textbook)."""
        if not self.fann_compatible:
            if keep is not None:
                np.copyto(keep, x)
            self.layer.activate_(x, self.steep)
            return
        if self.fann_sigmoid:  # FANN's clamp cannot change a sigmoid (see _CLAMP_FREE)
            np.multiply(x, self.neg_steep, out=x)  # -(s acc), exactly
            np.exp(x, out=x)  # may overflow to inf (-> output 0): the caller ignores that
            x += self.one
            np.reciprocal(x, out=x)
            return
        if not self.unit:
            x *= self.steep
        if self.hi is not None:
            np.minimum(x, self.hi, out=x)
            np.maximum(x, self.lo, out=x)
        if keep is not None:
            np.copyto(keep, x)
        if self.apply is not None:
            self.apply(x)
        else:
            for act, idx in self.layer.groups:
                x[:, idx] = act.f(x[:, idx])

    def backward(self, err: Array, y: Array, x: Array | None, scratch: Array,
                 bmask: Array) -> None:
        """``err`` (the error arriving at the outputs) becomes the layer's delta, in place."""
        if self.deriv is not None:
            self.deriv(y, x, scratch)
            err *= scratch
        else:  # exact: d a / d acc = steep * f'(steep * acc)
            self.layer.backward_(err, y, x, self.steep, scratch, bmask)


class _Buffers:
    """Forward and backward buffers for one batch size, all C-contiguous (``np.dot`` writes
    into them directly; it is cheaper than ``np.matmul`` for the small matrices of FANN's
    nets).

    LAYER nets: layer ``k``'s input is ``ext[k]``, the previous layer's output followed by a
    column of ones (FANN's bias neuron), so one product covers weights and bias in each
    direction (``fused``); the first layer does so too when copying the data there is cheaper
    than a separate bias (few patterns, or fewer inputs than first-layer units), else it reads
    the data itself.
    SHORTCUT nets: one wide buffer ``[X | y_1 | y_2 | ...]``; layer ``k`` reads its first
    ``fan_in[k]`` columns and adds its bias.
    """

    def __init__(self, net: Network, layers: list[_Layer], m: int) -> None:
        dt = net.dtype
        sizes = net.sizes
        L = len(layers)
        self.m = m
        self.ones = np.ones(m, dt)
        self.y = [np.empty((m, n), dt) for n in sizes[1:]]
        self.delta = [np.empty((m, n), dt) for n in sizes[1:]]
        self.cat: Array | None = None
        self.ext: list[Array | None] = [None] * L
        self.fused = [False] * L
        if net.shortcut:
            self.cat = np.empty((m, sum(sizes[:-1])), dt)
            offs = np.cumsum([0, *sizes[:-1]])
            self.ins = [self.cat[:, :f] for f in net.fan_ins]
            self.cat_out = [self.cat[:, offs[k + 1]: offs[k + 1] + sizes[k + 1]]
                            for k in range(L - 1)]
            self.gcat = np.empty((m, net.fan_ins[-1]), dt)
            self.gtmp = [np.empty((m, f), dt) for f in net.fan_ins]
            self.errs = [self.gcat[:, offs[k + 1]: offs[k + 1] + sizes[k + 1]]
                         for k in range(L - 1)]
        else:
            # copying the data next to a column of ones costs m * n_in; a separate bias costs
            # two NumPy calls and m * n_1: fuse when the copy is small or the narrower side
            first = 0 if sizes[0] <= sizes[1] or m * sizes[0] <= _SMALL_COPY else 1
            for k in range(first, L):
                e = np.empty((m, sizes[k] + 1), dt)
                e[:, -1] = 1.0
                self.ext[k] = e
                self.fused[k] = True
            self.ins = [e if e is not None else np.empty((m, sizes[0]), dt) for e in self.ext]
        self.x = [np.empty((m, ly.n), dt) if ly.needs_x else None for ly in layers]
        self.scratch = [np.empty((m, n), dt) for n in sizes[1:]]
        self.bmask = [np.empty((m, n), bool) for n in sizes[1:]]
        self.absdiff = np.empty((m, sizes[-1]), dt)
        self.tmp = np.empty((m, sizes[-1]), dt)
        self.bits = np.empty((m, sizes[-1]), bool)
        # slopes of layers with a big input (patterns x inputs) go through their transpose
        self.slope_t: list[Array | None] = [
            np.empty((sizes[k + 1], self.ins[k].shape[1]), dt)
            if self.ins[k].shape[1] >= _TRANSPOSED_SLOPE_WIDTH
            and m * self.ins[k].shape[1] >= _TRANSPOSED_SLOPE_SIZE else None
            for k in range(L)
        ]

    def set_input(self, X: Array) -> None:
        if self.cat is not None:
            self.cat[:, : X.shape[1]] = X
        elif self.fused[0]:
            self.ins[0][:, :-1] = X
        else:
            self.ins[0] = X


def _acts(layer: Any, n: int) -> list[Any]:
    return [layer.uniform] * n if layer.uniform is not None else list(layer.per_neuron)
