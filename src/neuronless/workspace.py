"""The forward pass into reusable buffers, and its record: ``Trace``.

Contract: a :class:`Workspace` owns the buffers of one network for one batch size;
``forward(X)`` fills them layer by layer (``z = input @ W[:-1] + W[-1]``,
``a = f(steepness * z)``, the scaled input clipped first if the layer has a clamp) and returns a :class:`Trace` whose arrays are those buffers.
Backprop, explain mode and diagrams read that record. ``views`` cuts a flat vector into
matrices that share its memory. :class:`NetworkLike` names what this module (and
``sensitivity``) read from a network, so that neither imports ``network``, which sits above
them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from .errors import ShapeError
from .layers import LayerActivation

Array = NDArray[Any]


class NetworkLike(Protocol):
    """What a forward or backward pass reads from a network; :class:`~neuronless.Network`
    is one. Declared here so that imports flow downward: ``network`` uses this module,
    never the other way round."""

    @property
    def dtype(self) -> np.dtype[Any]: ...
    @property
    def sizes(self) -> tuple[int, ...]: ...
    @property
    def shortcut(self) -> bool: ...
    @property
    def layers(self) -> list[LayerActivation]: ...
    @property
    def weights(self) -> list[Array]: ...
    @property
    def fan_ins(self) -> list[int]: ...

    def check_input(self, X: Any) -> Array:
        """``X`` as a 2-D array of the network's dtype, or a ShapeError."""
        ...


@dataclass
class LayerTrace:
    """One layer of a forward pass: what went in, the net input and what came out.

    ``input`` is what the layer's matrix multiplies, shape ``(m, n_in)`` (with shortcut
    connections: the network input and all earlier outputs, side by side); ``z`` is
    ``input @ W[:-1] + W[-1]`` (``None`` when the recording skipped it for speed) and ``a`` is
    ``f(steepness * z)``.
    """

    input: Array
    z: Array | None
    a: Array


@dataclass
class Trace:
    """The record of one forward pass, read by backprop, explain mode and diagrams."""

    layers: list[LayerTrace]

    @property
    def output(self) -> Array:
        """The network's output, ``layers[-1].a``."""
        return self.layers[-1].a


class Workspace:
    """Buffers for one batch size, reused by every forward and backward pass of that size.

    ``forward`` writes each layer's output into its buffer and returns a :class:`Trace`
    whose arrays *are* those buffers; ``backprop.backward`` reads that trace. With
    ``keep_z=False`` (training), ``z`` is recorded only for activations whose derivative
    needs it; otherwise the activation is applied in place and the derivative is taken from
    the output.
    """

    def __init__(self, net: NetworkLike, batch: int, *, keep_z: bool = False) -> None:
        self.net = net
        self.batch = batch
        dt = net.dtype
        outs = net.sizes[1:]
        self.a = [np.empty((batch, n), dt) for n in outs]
        self.z: list[Array | None] = [
            # a clamped layer keeps z too: that keeps backprop off its fused fast path, which
            # applies the output activation without the clamp
            np.empty((batch, n), dt) if keep_z or layer.needs_x or layer.clamp is not None
            else None
            for n, layer in zip(outs, net.layers, strict=False)
        ]
        self.delta = [np.empty((batch, n), dt) for n in outs]
        self.scratch = [np.empty((batch, n), dt) for n in outs]
        self.bool_mask = [np.empty((batch, n), bool) for n in outs]
        self.row = np.empty((batch, 1), dt)
        self.ones = np.ones(batch, dt)
        self.steep = [layer.scale(dt) for layer in net.layers]
        # the plan: views and callables fixed once, so a pass is just the NumPy calls
        self.W_in = [W[:-1] for W in net.weights]
        self.bias = [W[-1] for W in net.weights]
        self.activate = [self._activation(k) for k in range(len(outs))]
        s_out = self.steep[-1]
        self.unit_steep_out = isinstance(s_out, float) and s_out == 1.0
        fan_ins = net.fan_ins
        if net.shortcut:
            # one wide buffer [X | a_0 | a_1 | ...]: layer k reads its first fan_in[k] columns
            self.cat: Array | None = np.empty((batch, sum(net.sizes[:-1])), dt)
            self.gin = [np.empty((batch, f), dt) for f in fan_ins]
            inputs: list[Array] = [self.cat[:, :f] for f in fan_ins]
            self.cat_out = [self.cat[:, f : f + n] for f, n in zip(fan_ins[:-1], outs[:-1], strict=True)]
        else:
            self.cat = None
            inputs = [np.empty((batch, net.sizes[0]), dt), *self.a[:-1]]
        self.trace = Trace(
            [LayerTrace(input=i, z=z, a=a) for i, z, a in zip(inputs, self.z, self.a, strict=True)]
        )

    def _activation(self, k: int) -> Callable[[Array], object]:
        layer, steep = self.net.layers[k], self.steep[k]
        act = layer.uniform
        if (act is not None and act.inplace is not None and isinstance(steep, float)
                and steep == 1.0 and layer.clamp is None):
            return act.inplace
        return lambda x: layer.activate_(x, steep)

    def forward(self, X: Array, *, activate_output: bool = True) -> Trace:
        """Forward ``X`` (``(batch, n_in)``, the network's dtype) through the buffers.

        With ``activate_output=False`` the last buffer is left holding ``steepness * z``
        (for a loss that applies its partner activation itself, from the logits). The returned trace is
        this workspace's own: the next pass overwrites it.
        """
        trace = self.trace
        last = len(self.a) - 1
        cat = self.cat
        if cat is None:
            trace.layers[0].input = X
            a_prev = X
        else:
            cat[:, : X.shape[1]] = X
        for k, (W_in, b, a, z, act) in enumerate(
            zip(self.W_in, self.bias, self.a, self.z, self.activate, strict=True)
        ):
            np.matmul(a_prev if cat is None else trace.layers[k].input, W_in, out=a)
            a += b
            if z is not None:
                np.copyto(z, a)
            if k < last or activate_output:
                act(a)
            else:  # the loss applies the activation to the scaled (and clamped) input
                if not self.unit_steep_out:
                    a *= self.steep[k]
                self.net.layers[k].clamp_(a)
            if cat is not None and k < last:
                np.copyto(self.cat_out[k], a)
            a_prev = a
        return trace


def views(flat: Array, shapes: Sequence[tuple[int, int]]) -> list[Array]:
    """Split ``flat`` into consecutive matrices of the given shapes (views, not copies)."""
    out, offset = [], 0
    for r, c in shapes:
        out.append(flat[offset : offset + r * c].reshape(r, c))
        offset += r * c
    if offset != flat.size:
        raise ShapeError(f"a flat vector of {flat.size} values cannot hold shapes {list(shapes)}.")
    return out
