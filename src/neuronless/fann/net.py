"""Reading FANN's ``.net`` files (``FANN_FLO_2.1/2.0/1.1``, ``FANN_FIX_2.0``) into a FannNet.

Contract: :func:`load_net` reads a file written by libfann (or by
:func:`neuronless.fann.save_net`, in :mod:`neuronless.fann.net_write`) into a
:class:`FannNet`: a :class:`~neuronless.network.Network` that computes what ``fann_run``
computes (per-neuron activations and steepness, FANN's summation clamp ``±150/s``, shortcut
and sparse layouts; :mod:`neuronless.fann.topology`), every training parameter as
:class:`~neuronless.fann.params.FannParams` and the stored scaling as :class:`FannScaling`.
This module also holds the format's key tables, which the writer shares.

The reader is strict and never executes anything: keys must come in libfann's order, every
number must parse, counts must match the content actually present (nothing is allocated from a
declared size before that check), and any problem raises one
:class:`~neuronless.errors.ModelFormatError` naming the file, the line and key, and what was
expected. Fixed-point files are converted to floats (integer / 2^decimal_point); the result runs
like libfann's float build would run those weights, not like libfixedfann's integer arithmetic.

>>> import os, tempfile, numpy as np, neuronless as nl
>>> from neuronless.fann import save_net
>>> net = nl.Network.create([2, 3, 1], hidden="tanh", output="sigmoid", seed=0)
>>> with tempfile.TemporaryDirectory() as d:
...     save_net(net, os.path.join(d, "xor.net"))
...     fnet = load_net(os.path.join(d, "xor.net"))
>>> fnet.version, fnet.params.training_algorithm, fnet.network.layers[0].clamp
('FANN_FLO_2.1', 'rprop', 150.0)
>>> bool(np.allclose(fnet.run([[0.5, -1.0]]), net.forward([[0.5, -1.0]])))
True
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import DTypeLike, NDArray

from ..errors import ConfigError, ModelFormatError, ShapeError
from ..network import Network
from .activations import FANN_ACTIVATIONS
from .params import (
    ERROR_FUNCTIONS,
    STOP_FUNCTIONS,
    TRAINING_ALGORITHMS,
    FannParams,
    fann_name,
)
from .topology import FannTopology, to_network

Array = NDArray[Any]
PathLike: TypeAlias = "str | os.PathLike[str]"

FLOAT_VERSIONS = ("FANN_FLO_2.1", "FANN_FLO_2.0", "FANN_FLO_1.1")
FIXED_VERSION = "FANN_FIX_2.0"
#: The parameter lines of a 2.x file between ``num_layers`` and ``layer_sizes``, in order.
_PARAM_KEYS: tuple[tuple[str, str], ...] = (
    ("learning_rate", "f"),
    ("connection_rate", "f"),
    ("network_type", "u"),
    ("learning_momentum", "f"),
    ("training_algorithm", "u"),
    ("train_error_function", "u"),
    ("train_stop_function", "u"),
    ("cascade_output_change_fraction", "f"),
    ("quickprop_decay", "f"),
    ("quickprop_mu", "f"),
    ("rprop_increase_factor", "f"),
    ("rprop_decrease_factor", "f"),
    ("rprop_delta_min", "f"),
    ("rprop_delta_max", "f"),
    ("rprop_delta_zero", "f"),
    ("cascade_output_stagnation_epochs", "u"),
    ("cascade_candidate_change_fraction", "f"),
    ("cascade_candidate_stagnation_epochs", "u"),
    ("cascade_max_out_epochs", "u"),
    ("cascade_min_out_epochs", "u"),
    ("cascade_max_cand_epochs", "u"),
    ("cascade_min_cand_epochs", "u"),
    ("cascade_num_candidate_groups", "u"),
    ("bit_fail_limit", "t"),  # t: fann_type (%.20e, or an integer x multiplier when fixed)
    ("cascade_candidate_limit", "t"),
    ("cascade_weight_multiplier", "t"),
)
_ENUMS = {
    "training_algorithm": TRAINING_ALGORITHMS,
    "train_error_function": ERROR_FUNCTIONS,
    "train_stop_function": STOP_FUNCTIONS,
}
_SCALE_KEYS = tuple(
    f"scale_{what}_{where}"
    for where in ("in", "out")
    for what in ("mean", "deviation", "new_min", "factor")
)
_NEURONS = "neurons (num_inputs, activation_function, activation_steepness)="
_CONNECTIONS = "connections (connected_to_neuron, weight)="
_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_INT = r"[-+]?\d+"
_NUM_RE = re.compile(_NUM)
_U = r"\d{1,10}"  # an unsigned 32-bit integer has at most 10 digits
_UINT_RE = re.compile(_U)
_NEURON_RE = re.compile(rf"\(\s*({_U})\s*,\s*({_U})\s*,\s*({_NUM})\s*\)\s*")
_CONN_RE = re.compile(rf"\(\s*({_U})\s*,\s*({_NUM})\s*\)\s*")
_CONN_11_RE = re.compile(rf"\(\s*({_U})\s+({_NUM})\s*\)\s*")
_MAX_UINT = 2**32 - 1
#: A sparse net is expanded into dense matrices; refuse ones far sparser than any FANN makes.
_MAX_DENSE_PER_CONNECTION = 64
_DENSE_SLACK = 2**20


# ---------------------------------------------------------------------------------- objects
@dataclass
class FannScaling:
    """FANN's per-feature scaling stored in a ``.net`` file (``fann_set_scaling_params``).

    ``scale_input(x) = ((x - mean_in) / deviation_in + 1) * factor_in + new_min_in``
    (fann.md section 9), the same with ``_out`` for outputs; ``descale_*`` invert them. Like
    FANN, nothing is applied automatically: :meth:`FannNet.run` takes already scaled inputs.
    Arithmetic is done in the input's dtype (float32 inputs: exactly libfann's float build).
    """

    mean_in: Array
    deviation_in: Array
    new_min_in: Array
    factor_in: Array
    mean_out: Array
    deviation_out: Array
    new_min_out: Array
    factor_out: Array

    def __post_init__(self) -> None:
        for name in _SCALE_FIELDS:
            setattr(self, name, np.asarray(getattr(self, name), dtype=np.float64).reshape(-1))
        for side in ("in", "out"):
            n = {len(getattr(self, f"{w}_{side}")) for w in ("mean", "deviation", "new_min", "factor")}
            if len(n) != 1:
                raise ShapeError(f"the four scale_*_{side} arrays must have the same length; got {n}.")

    @classmethod
    def identity(cls, n_in: int, n_out: int) -> FannScaling:
        """What ``fann_clear_scaling_params`` sets: mean 0, deviation 1, new_min -1, factor 1."""
        z_in, z_out = np.zeros(n_in), np.zeros(n_out)
        return cls(z_in, z_in + 1, z_in - 1, z_in + 1, z_out, z_out + 1, z_out - 1, z_out + 1)

    @classmethod
    def from_scalers(cls, input_scaler: Any, target_scaler: Any, n_in: int,
                     n_out: int) -> FannScaling:
        """The scaling that gives FANN's formula a model's fitted scalers (None: identity).

        Standard and min-max scalers translate exactly; anything else, or numbers that FANN's
        6-decimal printing would move by more than ``SCALING_REL_TOL`` of a scaled unit, is a
        :class:`~neuronless.errors.ConfigError` saying so.
        """
        return cls(*_fann_side(input_scaler, n_in, "input"),
                   *_fann_side(target_scaler, n_out, "target"))

    def _apply(self, X: Any, side: str, fn: Callable[..., Array]) -> Array:
        arr = np.asarray(X)
        dt = arr.dtype if arr.dtype.kind == "f" else np.dtype(np.float64)
        arr = arr.astype(dt, copy=False)
        p = [getattr(self, f"{w}_{side}").astype(dt) for w in ("mean", "deviation", "new_min", "factor")]
        if arr.shape[-1:] != p[0].shape:
            raise ShapeError(f"expected rows of {len(p[0])} values; got shape {arr.shape}.")
        return fn(arr, *p)

    def scale_input(self, X: Any) -> Array:
        """``fann_scale_input`` on every row of ``X``."""
        return self._apply(X, "in", lambda x, m, d, n, f: ((x - m) / d + 1) * f + n)

    def scale_output(self, Y: Any) -> Array:
        """``fann_scale_output`` (targets into the network's output range)."""
        return self._apply(Y, "out", lambda x, m, d, n, f: ((x - m) / d + 1) * f + n)

    def descale_input(self, X: Any) -> Array:
        """``fann_descale_input``: the inverse of :meth:`scale_input`."""
        return self._apply(X, "in", lambda x, m, d, n, f: ((x - n) / f - 1) * d + m)

    def descale_output(self, Y: Any) -> Array:
        """``fann_descale_output``: network outputs back to the data's units."""
        return self._apply(Y, "out", lambda x, m, d, n, f: ((x - n) / f - 1) * d + m)


_SCALE_FIELDS = tuple(k.removeprefix("scale_") for k in _SCALE_KEYS)
#: the most, in units of a scaled value, that printing scaling parameters may move it
SCALING_REL_TOL = 1e-3


def _fann_side(scaler: Any, n: int, which: str) -> list[Any]:
    """mean, deviation, new_min, factor giving FANN's formula the scaler's affine map."""
    from ..data.scaling import MinMaxScaler, StandardScaler  # here: data sits beside fann

    if scaler is None:
        return [np.zeros(n), np.ones(n), -np.ones(n), np.ones(n)]  # the identity
    if isinstance(scaler, StandardScaler) and scaler.mean is not None and scaler.scale is not None:
        mean, dev, low = scaler.mean, scaler.scale, -np.ones(n)
    elif isinstance(scaler, MinMaxScaler) and scaler.data_min is not None and scaler.data_max is not None:
        lo = scaler.feature_range[0]
        # ((x - min) / dev + 1) * 1 + (lo - 1) = (x - min) * range / span + lo
        mean, dev = scaler.data_min, 1.0 / scaler._factor(scaler.data_min, scaler.data_max)
        low = np.full(n, lo - 1.0)
    else:
        raise ConfigError(
            f"the {which} scaler ({type(scaler).__name__}) cannot be expressed by FANN's scaling; "
            "only fitted standard and min-max scalers can."
        )
    params = [np.asarray(mean, dtype=np.float64), np.asarray(dev, dtype=np.float64), low,
              np.ones(n)]
    printed = [np.array([float(f"{np.float32(v):f}") for v in p]) for p in params]
    dev = params[1]
    errors = {  # in units of the scaled value: what the rounding moves x' by
        "mean": np.abs(printed[0] - params[0]) / dev,
        "deviation": np.abs(printed[1] - dev) / dev,
        "new_min": np.abs(printed[2] - params[2]),
    }
    for name, err in errors.items():
        if np.any(~(err <= SCALING_REL_TOL)):
            raise ConfigError(
                f"the {which} scaler's {name} cannot be stored exactly enough with FANN's "
                f"6-decimal %f printing (it would move scaled values by up to {np.max(err):.2g}); "
                "rescale the data so its deviations are not tiny, or keep the model as .nless."
            )
    return params


@dataclass
class FannNet:
    """A FANN network read from (or to be written to) a ``.net`` file.

    ``network`` computes what ``fann_run`` computes; ``params`` holds every training
    parameter; ``scaling`` the stored scaling (or ``None``); ``version`` the file's header
    line; ``decimal_point`` is set for fixed-point files. ``topology`` is FANN's own layout as
    read (kept so that :func:`save_net` writes an unchanged net back unchanged).
    """

    network: Network
    params: FannParams = field(default_factory=FannParams)
    scaling: FannScaling | None = None
    version: str = "FANN_FLO_2.1"
    decimal_point: int | None = None
    topology: FannTopology | None = None

    def run(self, X: Any) -> Array:
        """``fann_run`` on every row of ``X`` (or one 1-D sample); no automatic scaling."""
        return self.network.forward(X)

    def scale_input(self, X: Any) -> Array:
        return self._scaling().scale_input(X)

    def descale_output(self, Y: Any) -> Array:
        return self._scaling().descale_output(Y)

    def _scaling(self) -> FannScaling:
        if self.scaling is None:
            raise ConfigError(
                "this FANN net has no scaling parameters (scale_included=0); scale the data "
                "yourself or set FannNet.scaling."
            )
        return self.scaling


# ---------------------------------------------------------------------------------- reading
class _Bad(Exception):
    """A content problem at a line; :func:`load_net` adds the file name."""


class _Lines:
    """The file's lines with a cursor, for libfann's one-key-per-line layout."""

    def __init__(self, text: str):
        self.lines = text.split("\n")
        if self.lines and self.lines[-1] == "":
            self.lines.pop()
        self.i = 0

    def next(self, what: str) -> str:
        if self.i >= len(self.lines):
            raise _Bad(f"the file ends before {what} (truncated?)")
        self.i += 1
        return self.lines[self.i - 1].rstrip("\r")

    def keyed(self, key: str) -> str:
        line = self.next(f"'{key}='")
        if not line.startswith(key + "="):
            got = line.split("=", 1)[0] if "=" in line else line[:40]
            raise _Bad(f"line {self.i}: expected '{key}=' (libfann's fixed key order); got {got!r}")
        return line[len(key) + 1 :]

    def fail(self, key: str, expected: str, got: str) -> _Bad:
        return _Bad(f"line {self.i}, '{key}': expected {expected}; got {got[:60]!r}")


def _uint(lines: _Lines, key: str, text: str) -> int:
    t = text.strip()
    if not _UINT_RE.fullmatch(t) or int(t) > _MAX_UINT:
        raise lines.fail(key, "an unsigned integer", t)
    return int(t)


def _float(lines: _Lines, key: str, text: str) -> float:
    t = text.strip()
    if not _NUM_RE.fullmatch(t) or not math.isfinite(float(t)):
        raise lines.fail(key, "a finite decimal number", t)
    return float(t)


def _fixed(lines: _Lines, key: str, text: str, mult: int) -> float:
    t = text.strip()
    if not re.fullmatch(_INT, t):
        raise lines.fail(key, "an integer (fixed point)", t)
    v = int(t)
    if v > _MAX_UINT:  # libfann prints negative ints with %u
        v -= 2**32
    return v / mult


def _list(lines: _Lines, key: str, count: int, parse: Callable[[str], Any]) -> list[Any]:
    tokens = lines.keyed(key).split()
    if len(tokens) != count:
        raise _Bad(f"line {lines.i}, '{key}': expected {count} values (as declared); got {len(tokens)}")
    return [parse(t) for t in tokens]


def load_net(path: PathLike, *, dtype: DTypeLike = np.float32) -> FannNet:
    """Read a FANN ``.net`` file (``FANN_FLO_2.1``, ``2.0``, ``1.1`` or ``FANN_FIX_2.0``).

    ``dtype`` is the network's dtype: float32 reproduces libfann (float build), float64
    libdoublefann. For ``connection_rate >= 1`` the stored source indices are checked but not
    used, as in ``fann_run`` (see :mod:`neuronless.fann.topology`).

    Raises
    ------
    ModelFormatError
        For any malformed, truncated, inconsistent or unsupported content (one error naming
        the file, the line and key, and what was expected).
    OSError
        If the file cannot be read.
    """
    name = os.fspath(path)
    with open(name, "rb") as f:
        raw = f.read()
    try:
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError as e:
            raise _Bad(f"byte {e.start} is not ASCII; a .net file is plain text") from None
        return _parse(text, dtype)
    except _Bad as e:
        raise ModelFormatError(f"{name}: {e}.") from None
    except (ModelFormatError, ConfigError) as e:
        raise ModelFormatError(f"{name}: {e}") from None


def _parse(text: str, dtype: DTypeLike) -> FannNet:
    lines = _Lines(text)
    version = lines.next("the version line")
    if version == "FANN_FLO_1.1":
        return _parse_11(lines, dtype)
    if version not in ("FANN_FLO_2.1", "FANN_FLO_2.0", FIXED_VERSION):
        raise _Bad(
            f"line 1: not a FANN 2.x network file: expected FANN_FLO_2.1, FANN_FLO_2.0, "
            f"FANN_FLO_1.1 or FANN_FIX_2.0; got {version[:40]!r}"
        )
    fixed = version == FIXED_VERSION
    decimal_point = None
    mult = 1
    if fixed:
        decimal_point = _uint(lines, "decimal_point", lines.keyed("decimal_point"))
        if decimal_point > 30:
            raise lines.fail("decimal_point", "at most 30 (32-bit fixed point)", str(decimal_point))
        mult = 1 << decimal_point
    num_layers = _uint(lines, "num_layers", lines.keyed("num_layers"))
    values: dict[str, Any] = {}
    for key, kind in _PARAM_KEYS:
        t = lines.keyed(key)
        if kind == "u":
            values[key] = _uint(lines, key, t)
        elif kind == "f" or not fixed:
            values[key] = _float(lines, key, t)
        else:
            values[key] = _fixed(lines, key, t, mult)
        if key in _ENUMS:
            if values[key] >= len(_ENUMS[key]):
                raise lines.fail(key, f"0-{len(_ENUMS[key]) - 1}", t)
            values[key] = _ENUMS[key][values[key]]
    n_funcs = _uint(lines, "cascade_activation_functions_count",
                    lines.keyed("cascade_activation_functions_count"))
    funcs = _list(lines, "cascade_activation_functions", n_funcs,
                  lambda t: _enum(lines, "cascade_activation_functions", t))
    n_steep = _uint(lines, "cascade_activation_steepnesses_count",
                    lines.keyed("cascade_activation_steepnesses_count"))
    steeps = _list(lines, "cascade_activation_steepnesses", n_steep,
                   (lambda t: _fixed(lines, "cascade_activation_steepnesses", t, mult)) if fixed
                   else (lambda t: _float(lines, "cascade_activation_steepnesses", t)))
    layer_sizes = _list(lines, "layer_sizes", num_layers, lambda t: _uint(lines, "layer_sizes", t))
    scaling = None
    if version == "FANN_FLO_2.1":
        included = _uint(lines, "scale_included", lines.keyed("scale_included"))
        if included > 1:
            raise lines.fail("scale_included", "0 or 1", str(included))
        if included:
            network_type = values["network_type"]
            n_in = layer_sizes[0] - 1 if layer_sizes else 0
            n_out = layer_sizes[-1] - (0 if network_type == 1 else 1) if layer_sizes else 0
            arrays = [
                np.array(_list(lines, key, max(n, 0), _floats(lines, key)))
                for key, n in zip(_SCALE_KEYS, [n_in] * 4 + [n_out] * 4, strict=True)
            ]
            scaling = FannScaling(*arrays)
    neurons = _neurons(lines, fixed, mult)
    connections = _connections(lines, fixed, mult)
    if lines.i < len(lines.lines) and any(s.strip() for s in lines.lines[lines.i :]):
        raise _Bad(f"line {lines.i + 1}: unexpected content after the connections line")
    top = _topology(values["network_type"], values["connection_rate"], layer_sizes, neurons,
                    connections)
    params = _params(values, funcs, steeps)
    _check_range(top, dtype)
    return FannNet(to_network(top, dtype), params, scaling, version, decimal_point, top)


def _floats(lines: _Lines, key: str) -> Callable[[str], float]:
    return lambda t: _float(lines, key, t)


def _enum(lines: _Lines, key: str, t: str) -> str:
    n = _uint(lines, key, t)
    if n >= len(FANN_ACTIVATIONS):
        raise lines.fail(key, f"a FANN activation number 0-{len(FANN_ACTIVATIONS) - 1}", t)
    return fann_name(n)


def _neurons(lines: _Lines, fixed: bool, mult: int) -> tuple[Array, Array, Array]:
    rest = lines.keyed(_NEURONS[:-1])
    counts_s, funcs_s, steep_s = _groups(
        rest, _NEURON_RE, f"line {lines.i}, 'neurons': expected '(num_inputs, "
        f"activation_function, {'steepness as an integer' if fixed else 'steepness'}) ' groups")
    counts = np.array(counts_s, dtype=np.int64)
    funcs = np.array(funcs_s, dtype=np.int64)
    if fixed and any(not re.fullmatch(_INT, c) for c in steep_s):
        raise _Bad(f"line {lines.i}, 'neurons': fixed-point steepnesses must be integers")
    steep = np.array(steep_s, dtype=np.float64) / mult
    if np.any(funcs >= len(FANN_ACTIVATIONS)):
        bad = int(funcs[funcs >= len(FANN_ACTIVATIONS)][0])
        raise _Bad(
            f"line {lines.i}, 'neurons': activation function {bad} is unknown; FANN 2.2 knows "
            "0-17 (18 and 19 in FANN's development version)"
        )
    if np.any(counts > _MAX_UINT):
        raise _Bad(f"line {lines.i}, 'neurons': a connection count does not fit 32 bits")
    return counts, funcs, steep


def _connections(lines: _Lines, fixed: bool, mult: int) -> tuple[Array, Array]:
    rest = lines.keyed(_CONNECTIONS[:-1])
    src_s, w_s = _groups(rest, _CONN_RE,
                         f"line {lines.i}, 'connections': expected '(source_neuron, weight) ' groups")
    if fixed and any(not re.fullmatch(_INT, w) for w in w_s):
        raise _Bad(f"line {lines.i}, 'connections': fixed-point weights must be integers")
    return np.array(src_s, dtype=np.int64), np.array(w_s, dtype=np.float64) / mult


def _check_range(top: FannTopology, dtype: DTypeLike) -> None:
    """Every weight and steepness must be finite in the network's dtype: libfann's float build
    would read ``1e308`` as infinity; here it is one error naming the connection."""
    dt = np.dtype(dtype)
    if dt.kind != "f":
        return
    big = float(np.finfo(dt).max)
    for what, values in (("weight", top.weights), ("steepness", top.steepness)):
        bad = np.flatnonzero(~(np.abs(values) <= big))
        if len(bad):
            k = int(bad[0])
            where = f"connection {k} (from neuron {int(top.sources[k])})" if what == "weight" \
                else f"neuron {k}"
            if not np.isfinite(values[k]):
                raise _Bad(f"{where} has {what} {float(values[k])}, not a finite number: fix "
                           "the file")
            other = " or load it with dtype=float64" if dt.itemsize < 8 else ""
            raise _Bad(f"{where} has {what} {float(values[k]):g}, outside {dt.name}'s range "
                       f"(|x| <= {big:.4g}; {len(bad)} value(s) are): fix the file{other}")


def _groups(text: str, pattern: re.Pattern[str], message: str) -> list[list[str]]:
    """The capture groups of ``text`` read as back-to-back matches of ``pattern`` (one pass:
    ``split`` leaves the text between matches, which must be empty)."""
    n = pattern.groups
    parts = pattern.split(text.lstrip())
    if any(parts[0 :: n + 1]):
        raise _Bad(message)
    return [parts[i :: n + 1] for i in range(1, n + 1)]


def _topology(network_type: int, rate: float, layer_sizes: list[int],
              neurons: tuple[Array, Array, Array], connections: tuple[Array, Array]) -> FannTopology:
    counts, funcs, steep = neurons
    if network_type > 1:
        raise _Bad(f"'network_type' must be 0 (LAYER) or 1 (SHORTCUT); got {network_type}")
    declared = sum(layer_sizes)
    if declared != len(counts):
        raise _Bad(
            f"'layer_sizes' {layer_sizes[:8]} declare {declared} neurons; the neurons line "
            f"holds {len(counts)}"
        )
    if int(counts.sum()) != len(connections[0]):
        raise _Bad(
            f"the neurons declare {int(counts.sum())} connections; the connections line holds "
            f"{len(connections[0])}"
        )
    top = FannTopology(network_type, rate, tuple(layer_sizes), counts, funcs, steep,
                       connections[0], connections[1])
    if len(layer_sizes) >= 2 and min(top.real_sizes()) >= 1:
        fan = np.cumsum(top.real_sizes()[:-1]) if network_type == 1 else top.real_sizes()[:-1]
        dense = sum((int(a) + 1) * n for a, n in zip(fan, top.real_sizes()[1:], strict=True))
        if dense > _MAX_DENSE_PER_CONNECTION * max(len(connections[0]), 1) + _DENSE_SLACK:
            raise _Bad(
                f"the layers need {dense} dense weights for {len(connections[0])} connections; "
                "neuronless stores sparse nets as dense matrices and refuses one this sparse"
            )
    return top


def _params(values: dict[str, Any], funcs: list[str], steeps: list[float]) -> FannParams:
    kw = {k: v for k, v in values.items() if k not in ("connection_rate", "network_type")}
    try:
        return FannParams(**kw, cascade_activation_functions=tuple(funcs),
                          cascade_activation_steepnesses=tuple(steeps))
    except ConfigError as e:
        raise _Bad(f"a training parameter is out of range: {e}") from None


def _parse_11(lines: _Lines, dtype: DTypeLike) -> FannNet:
    head = lines.next("the parameter line").split()
    if len(head) != 8:
        raise _Bad(
            "line 2: a FANN_FLO_1.1 file needs 8 values: num_layers learning_rate "
            "connection_rate network_type act_hidden act_output steepness_hidden "
            f"steepness_output; got {len(head)}"
        )
    keys = ("num_layers", "learning_rate", "connection_rate", "network_type",
            "activation_function_hidden", "activation_function_output",
            "activation_steepness_hidden", "activation_steepness_output")
    kinds = "uffuuuff"
    vals = [_uint(lines, k, t) if c == "u" else _float(lines, k, t)
            for k, c, t in zip(keys, kinds, head, strict=True)]
    num_layers, ntype, act_h, act_o = (int(vals[i]) for i in (0, 3, 4, 5))
    lr, rate, s_h, s_o = (float(vals[i]) for i in (1, 2, 6, 7))
    for k, v in (("activation_function_hidden", act_h), ("activation_function_output", act_o)):
        if v >= len(FANN_ACTIVATIONS):
            raise lines.fail(k, f"a FANN activation number 0-{len(FANN_ACTIVATIONS) - 1}", str(v))
    rest = "\n".join(lines.lines[lines.i :])
    first = rest.find("(")
    head_tokens = (rest if first < 0 else rest[:first]).split()
    if len(head_tokens) < num_layers or not all(_UINT_RE.fullmatch(t) for t in head_tokens):
        raise _Bad(f"FANN_FLO_1.1: expected {num_layers} layer sizes and one connection count "
                   "per neuron (unsigned integers) before the connections")
    layer_sizes = [int(t) for t in head_tokens[:num_layers]]
    counts = np.array([int(t) for t in head_tokens[num_layers:]], dtype=np.int64)
    body = "" if first < 0 else rest[first:]
    src_s, w_s = _groups(body, _CONN_11_RE,
                         "FANN_FLO_1.1: expected '(source_neuron weight) ' groups after the counts")
    src = np.array(src_s, dtype=np.int64)
    w = np.array(w_s, dtype=np.float64)
    n = len(counts)
    funcs = np.zeros(n, dtype=np.int64)
    steep = np.zeros(n, dtype=np.float64)
    if sum(layer_sizes) == n and num_layers >= 2:
        starts = np.cumsum([0, *layer_sizes])
        funcs[starts[1] : starts[-2]], steep[starts[1] : starts[-2]] = act_h, s_h
        funcs[starts[-2] :], steep[starts[-2] :] = act_o, s_o
    top = _topology(ntype, rate, layer_sizes, (counts, funcs, steep), (src, w))
    _check_range(top, dtype)
    return FannNet(to_network(top, dtype), FannParams(learning_rate=lr), None, "FANN_FLO_1.1",
                   None, top)
