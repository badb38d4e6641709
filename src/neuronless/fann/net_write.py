"""Writing FANN ``.net`` files: ``FANN_FLO_2.1`` as ``fann_save`` prints it, and the fixed export.

Contract: :func:`save_net` turns a :class:`~neuronless.network.Network` or a
:class:`~neuronless.fann.net.FannNet` into the text libfann writes (same keys, order,
``%f`` / ``%.20e`` formats and trailing spaces, so a file libfann wrote is written back byte for
byte) or, with ``fixed=True``, into ``FANN_FIX_2.0`` as ``fann_save_to_fixed`` writes it, and
stores it atomically through :mod:`neuronless.files.atomic`. Reading is
:mod:`neuronless.fann.net`; docs/file-format.md describes both.
"""

from __future__ import annotations

import itertools
import math
import os
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..files.atomic import write_atomic
from ..network import Network
from .activations import FANN_ACTIVATIONS
from .net import (
    _CONNECTIONS,
    _NEURONS,
    _PARAM_KEYS,
    _SCALE_KEYS,
    FIXED_VERSION,
    Array,
    FannNet,
    FannScaling,
    PathLike,
)
from .params import ERROR_FUNCTIONS, STOP_FUNCTIONS, TRAINING_ALGORITHMS, FannParams
from .topology import FannTopology, from_network


def save_net(
    net: Network | FannNet,
    path: PathLike,
    *,
    fixed: bool = False,
    params: FannParams | None = None,
    scaling: FannScaling | None = None,
    head: bool = False,
) -> int | None:
    """Write ``net`` as a FANN ``.net`` file (``FANN_FLO_2.1``, or ``FANN_FIX_2.0`` if ``fixed``).

    ``params`` and ``scaling`` default to the FannNet's own (for a bare Network: libfann's
    defaults, no scaling). Numbers are printed as libfann does: float32 values (a float32
    network) as libfann's float build, float64 as libdoublefann. The fixed-point export picks
    the decimal point from the weights exactly as ``fann_save_to_fixed`` does and returns it
    (``None`` for float files). FANN clamps every neuron's input to ``±150/s`` whatever the
    network's own ``clamp`` says.

    Raises
    ------
    ConfigError
        If an activation has no FANN 2.2 equivalent (softmax, elu, softplus; relu and
        leaky_relu only with ``head=True``: FANN's development version knows them), or the
        scaling does not fit the network.
    """
    like = None
    if isinstance(net, FannNet):
        like = net.topology
        params = net.params if params is None else params
        scaling = net.scaling if scaling is None else scaling
        net = net.network
    params = FannParams() if params is None else params
    top = from_network(net, like=like, head=head)
    if scaling is not None and (len(scaling.mean_in) != net.n_inputs
                                or len(scaling.mean_out) != net.n_outputs):
        raise ConfigError(
            f"scaling has {len(scaling.mean_in)} inputs and {len(scaling.mean_out)} outputs; the "
            f"network has {net.n_inputs} and {net.n_outputs}."
        )
    ftype = np.float32 if net.dtype == np.float32 else np.float64
    text, dp = _format(top, params, None if fixed else scaling, ftype, fixed)
    write_atomic(os.fspath(path), text.encode("ascii"))
    return dp if fixed else None


def decimal_point(top: FannTopology, ftype: Any = np.float32) -> int:
    """``fann_save_to_fixed``'s decimal point: ``(30 - b) // 2`` where ``b`` is the number of
    halvings that bring the largest per-neuron sum of ``|w|`` (summed in ``ftype``, in storage
    order) below 1; 0 if that would be negative."""
    first = np.concatenate(([0], np.cumsum(top.num_inputs)))
    aw = np.abs(top.weights).astype(ftype)
    biggest = ftype(0)
    for lo, hi in itertools.pairwise(first):
        if hi > lo:
            biggest = max(biggest, np.cumsum(aw[lo:hi], dtype=ftype)[-1])
    m, bits = float(biggest), 0
    while m >= 1:
        m /= 2.0
        bits += 1
    return max((30 - bits) // 2, 0) if bits <= 30 else 0


def _format(top: FannTopology, p: FannParams, scaling: FannScaling | None, ftype: Any,
            fixed: bool) -> tuple[str, int]:
    def f(v: float) -> str:  # C float parameters, printed with %f
        return f"{float(np.float32(v)):f}"

    dp = decimal_point(top, ftype) if fixed else 0
    mult = 1 << dp

    def t(v: float) -> str:  # fann_type values
        if fixed:
            return str(_to_fixed(v, ftype, mult))
        return f"{float(ftype(v)):.20e}"

    def u32(v: float) -> str:  # libfann prints these fixed-point ints with %u
        return str(_to_fixed(v, ftype, mult) % 2**32)

    out = [FIXED_VERSION if fixed else "FANN_FLO_2.1"]
    if fixed:
        out.append(f"decimal_point={dp}")
    out.append(f"num_layers={len(top.layer_sizes)}")
    enums = {"training_algorithm": TRAINING_ALGORITHMS, "train_error_function": ERROR_FUNCTIONS,
             "train_stop_function": STOP_FUNCTIONS}
    for key, kind in _PARAM_KEYS:
        if key == "connection_rate":
            out.append(f"connection_rate={f(top.connection_rate)}")
        elif key == "network_type":
            out.append(f"network_type={top.network_type}")
        elif key in enums:
            out.append(f"{key}={enums[key].index(getattr(p, key))}")
        elif kind == "u":
            out.append(f"{key}={int(getattr(p, key))}")
        elif kind == "f":
            out.append(f"{key}={f(getattr(p, key))}")
        else:
            out.append(f"{key}={u32(getattr(p, key)) if fixed else t(getattr(p, key))}")
    funcs = [FANN_ACTIVATIONS.index(n) for n in p.cascade_activation_functions]
    out.append(f"cascade_activation_functions_count={len(funcs)}")
    out.append("cascade_activation_functions=" + "".join(f"{n} " for n in funcs))
    steeps = p.cascade_activation_steepnesses
    out.append(f"cascade_activation_steepnesses_count={len(steeps)}")
    out.append("cascade_activation_steepnesses="
               + "".join(f"{u32(s) if fixed else t(s)} " for s in steeps))
    out.append("layer_sizes=" + "".join(f"{n} " for n in top.layer_sizes))
    if not fixed:
        if scaling is None:
            out.append("scale_included=0")
        else:
            out.append("scale_included=1")
            for key in _SCALE_KEYS:
                values = getattr(scaling, key.removeprefix("scale_"))
                out.append(f"{key}=" + "".join(f"{f(v)} " for v in values))
    steep_text = _texts(top.steepness, ftype, fixed, mult, unsigned=True)
    out.append(_NEURONS + "".join(
        f"({n}, {a}, {s}) "
        for n, a, s in zip(top.num_inputs.tolist(), top.functions.tolist(), steep_text, strict=True)
    ))
    w_text = _texts(top.weights, ftype, fixed, mult, unsigned=False)
    out.append(_CONNECTIONS + "".join(
        f"({s}, {w}) " for s, w in zip(top.sources.tolist(), w_text, strict=True)
    ))
    return "\n".join(out) + "\n", dp


def _texts(values: Array, ftype: Any, fixed: bool, mult: int, unsigned: bool) -> list[str]:
    """Many fann_type values as libfann prints them (``%.20e``, or fixed ``%d`` / ``%u``)."""
    exact = values.astype(ftype).astype(np.float64).tolist()  # the C values, as Python floats
    if not fixed:
        return [f"{v:.20e}" for v in exact]
    ints = [math.floor(v * mult + 0.5) for v in exact]
    return [str(i % 2**32) if unsigned else str(i) for i in ints]


def _to_fixed(v: float, ftype: Any, mult: int) -> int:
    x = float(ftype(v)) * mult + 0.5
    return math.floor(x)
