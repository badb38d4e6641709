"""FANN's neuron and connection arrays <-> a neuronless :class:`~neuronless.network.Network`.

Contract: a :class:`FannTopology` is what a ``.net`` file stores about the network itself
(fann.md section 2): the network type, the connection rate, the layer sizes *with* FANN's
bias neurons, one ``(num_inputs, activation enum, steepness)`` per neuron in FANN's global
order and one ``(source neuron, weight)`` per connection, grouped by destination neuron.
:func:`to_network` turns it into a Network that computes what ``fann_run`` computes (per-neuron
activations and steepness translated by :mod:`neuronless.fann.params`, FANN's summation clamp
``±150/s`` as the layers' ``clamp``); :func:`from_network` goes back. Bad content raises
:class:`~neuronless.errors.ModelFormatError` (the file reader adds the file name); a network
FANN cannot represent raises :class:`~neuronless.errors.ConfigError`. Numpy only; no files.

Global numbering (what ``source`` indices mean):

* LAYER nets (type 0, standard and sparse): every layer, the output layer included, ends with
  one bias neuron; a 2-3-1 net has neurons 0-1 (inputs), 2 (bias), 3-5, 6 (bias), 7, 8 (unused
  bias) and ``layer_sizes = 3 4 2``.
* SHORTCUT nets (type 1): only the input layer has a bias, at index ``num_input``; every neuron
  is connected to every neuron of every earlier layer (inputs, bias, layer 1, ...).

Positional layout: for ``connection_rate >= 1`` ``fann_run`` ignores the stored source indices
and reads a neuron's ``i``-th weight as coming from the ``i``-th neuron of the previous layer
(bias last; SHORTCUT: the ``i``-th neuron of the whole net). :func:`to_network` does the same:
it checks that each neuron has exactly the positional number of connections and that every
index is a neuron of the net, then ignores the indices, so a hand-edited "fully connected"
file with permuted indices runs here exactly as in libfann. Only for ``connection_rate < 1``
are the indices used; then they must point into the layers a neuronless matrix can read (the
previous layer or its bias; SHORTCUT: any earlier layer) and may not repeat within a neuron.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import ConfigError, ModelFormatError
from ..network import Network
from .params import FANN_22_MAX_ENUM, fann_name, to_fann, to_neuronless

Array = NDArray[Any]
IntArray = NDArray[np.int64]

LAYER, SHORTCUT = 0, 1
#: fann_run clamps ``sum = s * acc`` to ``[-FANN_SUM_LIMIT / s, FANN_SUM_LIMIT / s]`` (fann.md 3).
FANN_SUM_LIMIT = 150.0
#: Largest connection rate the writer puts on a sparse net: ``%f`` must not print it as 1.
SPARSE_RATE_MAX = 0.999999


@dataclass
class FannTopology:
    """The network part of a ``.net`` file, in FANN's own numbering (see the module docstring).

    ``layer_sizes`` counts bias neurons as FANN's ``layer_sizes=`` line does; ``num_inputs``,
    ``functions`` (enum numbers) and ``steepness`` have one entry per neuron (input and bias
    neurons included); ``sources`` and ``weights`` one per connection.
    """

    network_type: int
    connection_rate: float
    layer_sizes: tuple[int, ...]
    num_inputs: IntArray
    functions: IntArray
    steepness: Array
    sources: IntArray
    weights: Array

    @property
    def n_neurons(self) -> int:
        return int(sum(self.layer_sizes))

    def layer_starts(self) -> list[int]:
        """Global index of each layer's first neuron."""
        return [int(v) for v in np.cumsum((0, *self.layer_sizes[:-1]))]

    def real_sizes(self) -> list[int]:
        """Neurons per layer without bias neurons (``fann_get_layer_array``)."""
        if self.network_type == SHORTCUT:
            return [self.layer_sizes[0] - 1, *self.layer_sizes[1:]]
        return [n - 1 for n in self.layer_sizes]

    def bias_neurons(self) -> list[int]:
        """Global indices of the bias neurons."""
        starts = self.layer_starts()
        if self.network_type == SHORTCUT:
            return [self.layer_sizes[0] - 1]
        return [s + n - 1 for s, n in zip(starts, self.layer_sizes, strict=True)]


def _bad(message: str) -> ModelFormatError:
    return ModelFormatError(message)


def check_shape(top: FannTopology) -> None:
    """Check the counts that tie the arrays together (before anything is built from them)."""
    if top.network_type not in (LAYER, SHORTCUT):
        raise _bad(f"network_type must be 0 (LAYER) or 1 (SHORTCUT); got {top.network_type}.")
    if len(top.layer_sizes) < 2:
        raise _bad(f"a network needs at least 2 layers; got {len(top.layer_sizes)}.")
    real = top.real_sizes()
    if min(real) < 1:
        which = "every layer needs at least one neuron besides its bias neuron"
        if top.network_type == SHORTCUT:
            which = "the input layer needs a bias and an input, every other layer a neuron"
        raise _bad(f"layer_sizes {list(top.layer_sizes)}: {which}.")
    n = top.n_neurons
    for name in ("num_inputs", "functions", "steepness"):
        got = len(getattr(top, name))
        if got != n:
            raise _bad(f"{name}: layer_sizes {list(top.layer_sizes)} declare {n} neurons; got {got}.")
    total = int(top.num_inputs.sum())
    if total != len(top.sources) or len(top.sources) != len(top.weights):
        raise _bad(
            f"the neurons declare {total} connections in all (sum of num_inputs); the "
            f"connections line holds {len(top.sources)}."
        )
    if len(top.sources) and (int(top.sources.min()) < 0 or int(top.sources.max()) >= n):
        bad = int(top.sources[(top.sources < 0) | (top.sources >= n)][0])
        raise _bad(f"connection source neuron {bad} is out of range: the net has neurons 0-{n - 1}.")
    if not np.all(np.isfinite(top.weights)) or not np.all(np.isfinite(top.steepness)):
        raise _bad("weights and steepnesses must be finite numbers.")


def _rows_of_sources(top: FannTopology, layer: int) -> tuple[IntArray, int]:
    """For destination layer ``layer`` (>= 1): a map global source index -> row of our
    ``weights[layer - 1]`` (-1 where no row exists), and the number of rows."""
    starts, real = top.layer_starts(), top.real_sizes()
    rows = np.full(top.n_neurons, -1, dtype=np.int64)
    if top.network_type == LAYER:
        p, n = starts[layer - 1], real[layer - 1]
        rows[p : p + n + 1] = np.arange(n + 1)  # the previous layer, its bias last: as ours
        return rows, n + 1
    n0 = real[0]
    end = starts[layer]  # every earlier neuron
    rows[:n0] = np.arange(n0)
    rows[n0 + 1 : end] = np.arange(n0, end - 1)
    rows[n0] = end - 1  # FANN's bias comes after the inputs; ours is the last row
    return rows, end


def _positional_count(top: FannTopology, layer: int) -> int:
    starts, real = top.layer_starts(), top.real_sizes()
    if top.network_type == LAYER:
        return real[layer - 1] + 1
    return starts[layer]


def to_network(top: FannTopology, dtype: Any = np.float32) -> Network:
    """A Network computing what ``fann_run`` computes for this topology (float builds).

    Each neuron's activation and steepness go through
    :func:`neuronless.fann.params.to_neuronless`; FANN's clamp of ``sum`` to ``±150/s``
    becomes the layer's ``clamp`` (``300/s`` for SIGMOID, whose neuronless steepness is ``2s``).
    """
    check_shape(top)
    starts, real = top.layer_starts(), top.real_sizes()
    first_con = np.concatenate(([0], np.cumsum(top.num_inputs)))
    sparse = top.connection_rate < 1.0
    biases = set(top.bias_neurons())
    weights, masks, acts, steeps, clamps = [], [], [], [], []
    for layer in range(1, len(top.layer_sizes)):
        ids = np.arange(starts[layer], starts[layer] + real[layer])
        for b in biases:
            if starts[layer] <= b < starts[layer] + top.layer_sizes[layer] and top.num_inputs[b]:
                raise _bad(
                    f"neuron {b} is the bias neuron of layer {layer} and must have 0 "
                    f"connections; got {int(top.num_inputs[b])}."
                )
        rows_of, n_rows = _rows_of_sources(top, layer)
        W = np.zeros((n_rows, len(ids)), dtype=np.float64)
        M = np.zeros((n_rows, len(ids)), dtype=bool)
        for j, neuron in enumerate(ids):
            lo, hi = int(first_con[neuron]), int(first_con[neuron + 1])
            if not sparse:
                want = _positional_count(top, layer)
                if hi - lo != want:
                    raise _bad(
                        f"neuron {neuron} (layer {layer}) must have {want} connections in a fully "
                        f"connected net (connection_rate >= 1); got {hi - lo}."
                    )
                col = top.weights[lo:hi]
                if top.network_type == LAYER:
                    W[:, j] = col
                else:
                    W[rows_of[np.arange(want)], j] = col  # positional: source i is neuron i
                M[:, j] = True
                continue
            if hi == lo:
                raise _bad(
                    f"neuron {neuron} (layer {layer}) has no connections: fann_run would output 1 "
                    "for it like a bias neuron; neuronless cannot represent that."
                )
            rows = rows_of[top.sources[lo:hi]]
            if np.any(rows < 0):
                src = int(top.sources[lo:hi][rows < 0][0])
                where = "the previous layer" if top.network_type == LAYER else "an earlier layer"
                raise _bad(
                    f"neuron {neuron} (layer {layer}) is connected to neuron {src}, which is not in "
                    f"{where}; neuronless represents only those connections."
                )
            if len(np.unique(rows)) != len(rows):
                raise _bad(f"neuron {neuron} (layer {layer}) lists one source neuron twice.")
            W[rows, j] = top.weights[lo:hi]
            M[rows, j] = True
        names, our_s, clamp = [], [], []
        for neuron in ids:
            s = float(top.steepness[neuron])
            enum = int(top.functions[neuron])
            if not s > 0:
                raise _bad(
                    f"neuron {neuron} (layer {layer}) has steepness {s}; neuronless needs a positive "
                    "steepness (with s <= 0 fann_run's clamp to ±150/s makes the output constant)."
                )
            try:
                name, st = to_neuronless(enum, s)
            except ConfigError as e:
                raise _bad(f"neuron {neuron} (layer {layer}): {e}") from None
            names.append(name)
            our_s.append(st)
            clamp.append(FANN_SUM_LIMIT / s * (st / s))  # st / s: 2 for SIGMOID, else 1
        weights.append(W)
        masks.append(M)
        acts.append(names[0] if len(set(names)) == 1 else names)
        steeps.append(_uniform(our_s))
        clamps.append(_uniform(clamp))
    net = Network.from_weights(
        weights,
        acts,
        steepness=steeps,
        shortcut=top.network_type == SHORTCUT,
        masks=masks if sparse else None,
        dtype=dtype,
        clamp=clamps,
    )
    return net


def _uniform(values: list[float]) -> float | Array:
    arr = np.array(values, dtype=np.float64)
    return float(arr[0]) if np.all(arr == arr[0]) else arr


def from_network(
    net: Network, *, like: FannTopology | None = None, head: bool = False
) -> FannTopology:
    """The FANN topology of ``net`` (weights as float64 copies of ``net.params``' values).

    A sparse ``net`` (one with a ``mask``) is written with explicit sources, the bias first as
    FANN does; with ``like`` (the topology the net was read from) and the same connections,
    ``like``'s connection order, connection rate and its input/bias neurons' fields are kept,
    so an unchanged file is written back unchanged. ``head=True`` allows relu / leaky_relu
    (enums 18 and 19, known only to FANN's development version).

    Raises
    ------
    ConfigError
        If an activation has no FANN 2.2 equivalent.
    """
    shortcut = net.shortcut
    sizes = list(net.sizes)
    ntype = SHORTCUT if shortcut else LAYER
    layer_sizes = tuple([sizes[0] + 1] + [n if shortcut else n + 1 for n in sizes[1:]])
    n_neurons = sum(layer_sizes)
    num_inputs = np.zeros(n_neurons, dtype=np.int64)
    functions = np.zeros(n_neurons, dtype=np.int64)
    steepness = np.zeros(n_neurons, dtype=np.float64)
    top = FannTopology(ntype, 1.0, layer_sizes, num_inputs, functions, steepness,
                       np.zeros(0, np.int64), np.zeros(0))
    same = (
        like is not None
        and like.network_type == ntype
        and tuple(like.layer_sizes) == layer_sizes
    )
    if same:
        assert like is not None
        functions[:] = like.functions  # input and bias neurons keep their fields
        steepness[:] = like.steepness
    sparse = net.mask is not None and not bool(net.mask.all())
    if same and like is not None and like.connection_rate < 1.0 and net.mask is not None:
        sparse = True
    starts, real = top.layer_starts(), top.real_sizes()
    srcs: list[IntArray] = []
    ws: list[Array] = []
    masks = net.masks
    for layer in range(1, len(layer_sizes)):
        k = layer - 1
        rows_of, n_rows = _rows_of_sources(top, layer)
        fann_of_row = np.empty(n_rows, dtype=np.int64)
        valid = np.flatnonzero(rows_of >= 0)
        fann_of_row[rows_of[valid]] = valid
        W = np.asarray(net.weights[k], dtype=np.float64)
        layer_act = net.layers[k]
        spec = layer_act.spec
        names = [a.name for a in spec] if isinstance(spec, tuple) else [spec.name] * sizes[layer]
        st = layer_act.steepness
        st_list = [float(st)] * sizes[layer] if isinstance(st, float) else [float(v) for v in st]
        for j in range(real[layer]):
            neuron = starts[layer] + j
            enum, fs = _to_fann_checked(names[j], st_list[j], head)
            functions[neuron], steepness[neuron] = enum, fs
            if not sparse:
                order = np.arange(n_rows) if ntype == LAYER else rows_of[np.arange(n_rows)]
                srcs.append(fann_of_row[order])
                ws.append(W[order, j])
                num_inputs[neuron] = n_rows
                continue
            assert masks is not None
            present = np.flatnonzero(masks[k][:, j])
            fann_src = fann_of_row[present]
            bias = fann_of_row[n_rows - 1]
            order_src = np.concatenate(([bias], np.sort(fann_src[fann_src != bias])))
            order_src = order_src if bias in fann_src else order_src[1:]
            if same and like is not None:
                lo = int(like.num_inputs[:neuron].sum())
                old = like.sources[lo : lo + int(like.num_inputs[neuron])]
                if sorted(old.tolist()) == sorted(fann_src.tolist()):
                    order_src = old
            srcs.append(order_src.astype(np.int64))
            ws.append(W[rows_of[order_src], j])
            num_inputs[neuron] = len(order_src)
    top.sources = np.concatenate(srcs) if srcs else np.zeros(0, np.int64)
    top.weights = np.concatenate(ws) if ws else np.zeros(0)
    if sparse:
        if same and like is not None and like.connection_rate < 1.0:
            top.connection_rate = like.connection_rate
        else:
            assert net.mask is not None
            top.connection_rate = min(float(net.mask.mean()), SPARSE_RATE_MAX)
    elif same and like is not None and like.connection_rate >= 1.0:
        top.connection_rate = like.connection_rate
    return top


def _to_fann_checked(name: str, steepness: float, head: bool) -> tuple[int, float]:
    try:
        enum, s = to_fann(name, steepness)
    except ConfigError as e:
        raise ConfigError(
            f"{e} FANN has no softmax, elu or softplus: train with a FANN activation "
            "(sigmoid, tanh, linear, ...) to export a .net file."
        ) from None
    if enum > FANN_22_MAX_ENUM and not head:
        raise ConfigError(
            f"activation {name!r} is FANN enum {enum} ({fann_name(enum).upper()}), which only FANN's "
            "development version (HEAD) knows; libfann 2.2 cannot run it. Pass head=True "
            "(neuronless convert --fann-head) to write it anyway, or use a FANN 2.2 activation "
            "such as sigmoid_symmetric (tanh) or linear_piece."
        )
    return enum, s
