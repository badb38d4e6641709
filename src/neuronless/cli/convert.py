"""``neuronless convert IN OUT``: FANN ``.net``, MATLAB/Octave ``.mat`` and ONNX ``.onnx`` <->
neuronless ``.nless``.

Contract: the direction comes from the file extensions. ``.net -> .nless`` writes a regression
:class:`~neuronless.model.Model` whose scalers are FANN's stored scaling (exactly the same
affine maps) and keeps FANN's training parameters in the metadata (``fann_params``), so a
round trip gives the same ``.net`` back. ``.nless -> .net`` writes ``FANN_FLO_2.1`` (or, with
``--fixed``, ``FANN_FIX_2.0``), translating a standard or min-max input/target scaler into
FANN's scaling parameters. Whatever cannot be represented is one clear error (exit 2) and
nothing is written; what is dropped on the way (class labels, names) is said on stderr.

``.mat -> .nless`` reads the Stanford ML course's ``Theta1, Theta2, ...`` (bias in the first
column, :meth:`Network.from_octave`) with ``scipy.io.loadmat``; every layer gets
``--activation`` (default the course's sigmoid), and a sigmoid or softmax output is a
classifier whose output unit k is label k (the course's convention). ``.nless -> .mat`` writes
them back with ``scipy.io.savemat`` (MAT v5, double), an affine input scaler folded into
``Theta1``. ``.onnx -> .nless`` is :func:`neuronless.onnx.load`; ``.nless -> .onnx`` is
:func:`neuronless.onnx.export`.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import numpy as np

from ..errors import ConfigError, ModelFormatError
from ..network import Network

_SCALING_FIELDS = ("mean_in", "deviation_in", "new_min_in", "factor_in", "mean_out",
                   "deviation_out", "new_min_out", "factor_out")


def _convert(args: argparse.Namespace) -> int:
    src, dst = os.fspath(args.input), os.fspath(args.output)
    kinds = (_kind(src, "IN"), _kind(dst, "OUT"))
    if (args.fixed or args.fann_head) and kinds[1] != "net":
        raise ConfigError("--fixed and --fann-head apply to .net output only.")
    if args.activation is not None and kinds[0] != "mat":
        raise ConfigError("--activation applies to .mat input only (the course's matrices do "
                          "not say which function they were trained with).")
    if args.dtype is not None and kinds[0] not in ("net", "mat"):
        raise ConfigError("--dtype applies to .net and .mat input only; other files keep their "
                          "own dtype.")
    if kinds == ("net", "nless"):
        return _net_to_nless(src, dst, args.dtype or "float32")
    if kinds == ("nless", "net"):
        return _nless_to_net(src, dst, args.fixed, args.fann_head)
    if kinds == ("mat", "nless"):
        return _mat_to_nless(src, dst, args.activation or "sigmoid", args.dtype or "float64")
    if kinds == ("nless", "mat"):
        return _nless_to_mat(src, dst)
    if kinds == ("onnx", "nless"):
        return _onnx_to_nless(src, dst)
    if kinds == ("nless", "onnx"):
        return _nless_to_onnx(src, dst)
    raise ConfigError(
        f"convert goes between .nless and one of .net, .mat, .onnx (either direction); got "
        f"{src!r} -> {dst!r}. Convert to .nless first."
    )


_KINDS = {".net": "FANN", ".nless": "neuronless", ".mat": "MATLAB/Octave", ".onnx": "ONNX"}


def _kind(path: str, which: str) -> str:
    ext = os.path.splitext(path)[1].lower()
    if ext in _KINDS:
        return ext[1:]
    known = ", ".join(f"{e} ({k})" for e, k in _KINDS.items())
    raise ConfigError(
        f"{which} {path!r} must end in {known}; got {ext or 'no extension'!r}."
    )


def _describe(net: Network) -> str:
    layers = []
    for k, layer in enumerate(net.layers):
        layers.append(f"layer {k + 1}: {net.sizes[k + 1]} x {layer.name}")
    kind = "shortcut" if net.shortcut else "layered"
    if net.mask is not None:
        kind += f", sparse ({int(net.mask.sum())} of {net.mask.size} connections)"
    return f"sizes {'-'.join(map(str, net.sizes))} ({kind}); " + "; ".join(layers)


# ------------------------------------------------------------------ .net -> .nless
def _net_to_nless(src: str, dst: str, dtype: str) -> int:
    from ..fann.net import load_net
    from ..model import Model

    fnet = load_net(src, dtype=np.dtype(dtype))
    scaler = target = None
    if fnet.scaling is not None:
        s = fnet.scaling
        scaler = _standard(s.mean_in, s.deviation_in, s.new_min_in, s.factor_in, src, "in")
        target = _standard(s.mean_out, s.deviation_out, s.new_min_out, s.factor_out, src, "out")
    model = Model(fnet.network, "regression", None, scaler, target)
    from .. import __version__

    extra: dict[str, Any] = {"fann_params": fnet.params.as_dict(), "fann_version": fnet.version,
                             "library_version": __version__, "converted_from": str(src)}
    if fnet.scaling is not None:  # FANN's own numbers, so converting back gives the same file
        extra["fann_scaling"] = {k: getattr(fnet.scaling, k).tolist() for k in _SCALING_FIELDS}
    top = fnet.topology
    if top is not None:  # input and bias neurons' unused fields, so the file comes back as is
        idle = np.flatnonzero(top.num_inputs == 0)
        extra["fann_idle_neurons"] = [[int(i), int(top.functions[i]), float(top.steepness[i])]
                                      for i in idle]
    model.save(dst, extra)
    print(f"wrote {dst}: {_describe(fnet.network)}; "
          f"{'FANN scaling as standard scalers' if scaler else 'no scaling'}; from {fnet.version}")
    return 0


def _standard(mean: Any, dev: Any, new_min: Any, factor: Any, src: str, side: str) -> Any:
    """FANN's ((x - mean)/dev + 1) * factor + new_min as a StandardScaler (x - m') / s'."""
    from ..data.scaling import StandardScaler

    if np.any(dev == 0) or np.any(factor == 0):
        raise ModelFormatError(
            f"{src}: scale_deviation_{side} or scale_factor_{side} holds 0, so FANN's scaling "
            "divides by zero; fix the scaling parameters (fann_set_scaling_params) first."
        )
    scale = dev / factor
    return StandardScaler(mean=mean - (factor + new_min) * scale, scale=scale)


# ------------------------------------------------------------------ .nless -> .net
def _nless_to_net(src: str, dst: str, fixed: bool, head: bool) -> int:
    from ..fann.net import FannScaling
    from ..fann.net_write import save_net
    from ..fann.params import FannParams
    from ..files import load_with_metadata
    from ..model import Model

    net, meta = load_with_metadata(src)
    notes = []
    scaling = None
    if "task" in meta:
        model = Model.from_metadata(net, meta, src)
        if model.scaler is not None or model.target_scaler is not None:
            scaling = FannScaling.from_scalers(model.scaler, model.target_scaler,
                                               net.n_inputs, net.n_outputs)
            stored = _stored_scaling(meta.get("fann_scaling"), model, FannScaling)
            scaling = stored if stored is not None else scaling
        if model.labels is not None:
            notes.append(f"class labels {list(model.labels.classes)[:10]} are not stored in "
                         ".net (output unit order is kept)")
    params = FannParams()
    if isinstance(meta.get("fann_params"), dict):
        try:
            params = FannParams.from_dict(meta["fann_params"])
        except (ConfigError, TypeError) as e:
            raise ModelFormatError(f"{src}: bad fann_params metadata: {e}") from None
    target: Any = net
    idle = meta.get("fann_idle_neurons")
    if isinstance(idle, list):
        target = _with_idle_fields(net, idle, params, head)
    dp = save_net(target, dst, fixed=fixed, params=params, scaling=scaling, head=head)
    if fixed and scaling is not None:
        notes.append("fixed-point files hold no scaling parameters (FANN_FIX_2.0)")
    if scaling is not None and not fixed:
        notes.append("scaling parameters are printed with 6 decimals, as FANN does")
    what = f"FANN_FIX_2.0 (decimal_point={dp})" if fixed else "FANN_FLO_2.1"
    print(f"wrote {dst}: {what}, {_describe(net)}"
          f"{'; with scaling' if scaling is not None and not fixed else ''}")
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    return 0


def _with_idle_fields(net: Any, idle: list[Any], params: Any, head: bool) -> Any:
    """``net`` as a FannNet whose input and bias neurons carry the fields a ``.net -> .nless``
    conversion kept (FANN writes e.g. ``(0, 5, 0.0e+00)`` for a hidden bias neuron); ``net``
    itself when they no longer fit (another architecture)."""
    from ..fann.net import FannNet
    from ..fann.topology import from_network

    top = from_network(net, head=head)
    n = len(top.num_inputs)
    try:
        rows = [(int(i), int(f), float(st)) for i, f, st in idle]
    except (TypeError, ValueError):
        return net
    if not all(0 <= i < n and top.num_inputs[i] == 0 and 0 <= f <= 19 for i, f, _ in rows):
        return net
    for i, f, st in rows:
        top.functions[i], top.steepness[i] = f, st
    return FannNet(net, params, topology=top)


def _stored_scaling(d: Any, model: Any, cls: Any) -> Any:
    """The FANN scaling a ``.net -> .nless`` conversion kept, if the model's scalers are still
    exactly what it became (so the same numbers are written back)."""
    from ..data.scaling import StandardScaler

    if not isinstance(d, dict) or set(d) != set(_SCALING_FIELDS):
        return None
    try:
        stored = cls(*(np.asarray(d[k], dtype=np.float64) for k in _SCALING_FIELDS))
        pairs = ((model.scaler, "in"), (model.target_scaler, "out"))
        for scaler, side in pairs:
            if not isinstance(scaler, StandardScaler) or scaler.mean is None or scaler.scale is None:
                return None
            mean, dev, low, factor = (getattr(stored, f"{w}_{side}")
                                      for w in ("mean", "deviation", "new_min", "factor"))
            again = _standard(mean, dev, low, factor, "", side)
            if not (np.array_equal(again.mean, scaler.mean)
                    and np.array_equal(again.scale, scaler.scale)):
                return None
    except (ValueError, TypeError, ModelFormatError):
        return None
    return stored


# ------------------------------------------------------------------ .mat <-> .nless
def _mat_to_nless(src: str, dst: str, activation: str, dtype: str) -> int:
    from ..data.labels import Labels
    from ..model import Model

    names, thetas = _read_mat(src)
    net = Network.from_octave(thetas, activation, dtype=np.dtype(dtype))
    out = net.layers[-1].name
    if out in ("sigmoid", "softmax"):
        k = net.n_outputs
        labels = Labels(list(range(1, k + 1)) if k > 1 else [0, 1])
        model = Model(net, "classification", labels)
        what = (f"classifier, output unit k is label k (1..{k}, the course's convention)"
                if k > 1 else "binary classifier (labels 0, 1)")
    else:
        model = Model(net, "regression")
        what = "regression"
    model.save(dst, {"converted_from": str(src), "octave_variables": names})
    print(f"wrote {dst}: {_describe(net)}; from {', '.join(names)}; {what}")
    return 0


def _read_mat(src: str) -> tuple[list[str], list[Any]]:
    """The numbered 2-D matrices of a MAT-file (``Theta1, Theta2, ...``), in order."""
    import re

    from scipy.io import loadmat

    try:
        mat = loadmat(src)
    except NotImplementedError:  # scipy's answer for v7.3 (HDF5) files
        raise ModelFormatError(
            f"{src} is a MATLAB v7.3 (HDF5) MAT-file; save the matrices with save -v7 (MATLAB) "
            "or save -mat7-binary (Octave) and convert that file."
        ) from None
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, MemoryError) as e:
        raise ModelFormatError(f"{src} is not a readable MAT-file ({e}).") from None
    matrices = {k: v for k, v in mat.items() if not k.startswith("__")
                and isinstance(v, np.ndarray) and v.ndim == 2 and v.dtype.kind in "fiu"}
    numbered: dict[str, list[tuple[int, str]]] = {}
    for name in matrices:
        m = re.fullmatch(r"(.*?)(\d+)", name)
        if m:
            numbered.setdefault(m.group(1).lower(), []).append((int(m.group(2)), name))
    group = numbered.get("theta") or (next(iter(numbered.values())) if len(numbered) == 1 else None)
    if not group:
        raise ModelFormatError(
            f"{src} holds no Theta1, Theta2, ... matrices (numeric variables: "
            f"{sorted(matrices) or 'none'}); name the weight matrices Theta1, Theta2, ... in "
            "layer order."
        )
    names = [name for _, name in sorted(group)]
    return names, [np.asarray(matrices[n], dtype=np.float64) for n in names]


def _nless_to_mat(src: str, dst: str) -> int:
    from scipy.io import savemat

    from ..files import load_with_metadata
    from ..files.atomic import atomic_path
    from ..model import Model

    net, meta = load_with_metadata(src)
    thetas = net.to_octave()
    notes = []
    if meta.get("task") in ("classification", "regression"):
        model = Model.from_metadata(net, meta, src)
        if model.scaler is not None:
            thetas[0] = _fold_scaler(model.scaler, thetas[0])
            notes.append(f"the {model.scaler.kind} input scaler is folded into Theta1")
        if model.encoder is not None:
            notes.append(f"the column encoder is not stored: Theta1 takes the "
                         f"{net.n_inputs} encoded inputs ({', '.join(model.input_names[:8])}"
                         f"{', ...' if net.n_inputs > 8 else ''})")
        if model.labels is not None:
            notes.append(f"class labels {list(model.labels.classes)[:10]} are not stored "
                         "(output unit order is kept)")
        if model.target_scaler is not None:
            notes.append("the target scaler is not stored: outputs are the network's, scaled")
    others = sorted({layer.name for layer in net.layers} - {"sigmoid"})
    if others:
        notes.append(f"the course's predict.m applies a sigmoid to every layer; this network "
                     f"uses {', '.join(others)} too")
    names = [f"Theta{k + 1}" for k in range(len(thetas))]
    with atomic_path(dst) as tmp:
        savemat(tmp, dict(zip(names, thetas, strict=True)), format="5", appendmat=False)
    print(f"wrote {dst}: {', '.join(f'{n} {t.shape[0]}x{t.shape[1]}' for n, t in zip(names, thetas, strict=True))}"
          f" (MAT v5, double; Octave/MATLAB: load('{os.path.basename(dst)}'))")
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    return 0


def _fold_scaler(scaler: Any, theta: Any) -> Any:
    """``theta`` (bias first column) acting on raw inputs: an affine scaler ``x' = x * a + b``
    folded in, so ``[1 x] * theta'`` equals ``[1 x'] * theta'`` of the scaled input."""
    if scaler.kind not in ("standard", "minmax"):
        raise ConfigError(
            f"the {scaler.kind} input scaler is not an affine map, so it cannot be folded into "
            "Theta1; train with --scale standard or minmax to write a .mat file."
        )
    n = theta.shape[1] - 1
    b = np.asarray(scaler.transform(np.zeros((1, n))), dtype=np.float64)[0]
    a = np.asarray(scaler.transform(np.ones((1, n))), dtype=np.float64)[0] - b
    out = theta.copy()
    out[:, 1:] = theta[:, 1:] * a
    out[:, 0] = theta[:, 0] + theta[:, 1:] @ b
    return out


# ------------------------------------------------------------------ .onnx <-> .nless
def _onnx_to_nless(src: str, dst: str) -> int:
    from ..onnx.load import load

    model = load(src)
    model.save(dst, {"converted_from": str(src)})
    kind = ("classifier, " + str(model.labels.n_classes) + " classes"
            if model.labels is not None else "regression")
    scaling = f"{model.scaler.kind} input scaler" if model.scaler is not None else "no scaling"
    print(f"wrote {dst}: {_describe(model.net)}; {kind}; {scaling}")
    return 0


def _nless_to_onnx(src: str, dst: str) -> int:
    try:
        from ..onnx import export
    except ImportError as e:
        raise ConfigError(f"writing .onnx needs the onnx extra ({e}); install it with "
                          "pip install 'neuronless[onnx]'.") from None
    from ..files import load_with_metadata
    from ..model import Model

    net, meta = load_with_metadata(src)
    target: Any = Model.from_metadata(net, meta, src) if meta.get("task") else net
    export(target, dst)
    print(f"wrote {dst}: ONNX, {_describe(net)}")
    return 0
