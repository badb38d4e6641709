"""The native model file ``.nless``: a JSON header, then raw little-endian arrays; no pickle.

Contract: :func:`save` writes a Network (architecture, ``params``, ``mask``) and an optional
JSON-safe ``metadata`` dict to one file, atomically: the target path holds the old file or the
new one, never a mix. :func:`load` reads it back into a new Network with bit-identical
parameters. The reader trusts nothing in the file: it checks every header field against the
file's real size before it allocates anything proportional to a declared size, and any bad
content raises :class:`~neuronless.errors.ModelFormatError` (and no other type). Nothing in a
file is ever executed. A training checkpoint (:mod:`neuronless.files.checkpoint`, written
through :func:`write_nless`, read through :func:`read_nless`) is the same format with a
``checkpoint`` header object and extra arrays ``best_params`` and ``state.<name>``; a plain
model file may hold neither. docs/file-format.md describes the layout byte by byte::

    bytes 0-5    b"NLESS\\x00"    magic
    bytes 6-7    uint16 LE        format version (1)
    bytes 8-15   uint64 LE        n, the header length in bytes
    bytes 16..   n bytes          UTF-8 JSON header, space-padded so the data starts at 8k
    then         data section     the arrays, raw little-endian, at the header's [start, end)

>>> import os, tempfile, numpy as np, neuronless as nl
>>> net = nl.Network.create([2, 3, 1], seed=0)
>>> with tempfile.TemporaryDirectory() as d:
...     nl.save(net, os.path.join(d, "xor.nless"), metadata={"seed": 0})
...     back, meta = load_with_metadata(os.path.join(d, "xor.nless"))
>>> bool(np.array_equal(back.params, net.params)), meta
(True, {'seed': 0})
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import os
import re
import reprlib
import struct
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn, TypeAlias

import numpy as np
from numpy.typing import NDArray

from ..activations import ACTIVATIONS, Activation
from ..errors import ConfigError, ModelFormatError, NeuronlessError
from ..network import Network
from .atomic import write_atomic

Array = NDArray[Any]
PathLike: TypeAlias = "str | os.PathLike[str]"

MAGIC = b"NLESS\x00"
FORMAT_VERSION = 1
MAX_HEADER_BYTES = 16 * 2**20  # 16 MiB: far above any real header, small enough to read whole
ALIGN = 8  # the data section starts at a multiple of 8 bytes (float64 alignment)
_PREFIX = struct.Struct("<6sHQ")  # magic, format version, header length: 16 bytes
_PARAMS_DTYPES = {"float32": "<f4", "float64": "<f8"}
_MASK_DTYPE = "|b1"
_ITEMSIZE = {"<f4": 4, "<f8": 8, "|b1": 1}
_TOP_KEYS = {"format_version", "library_version", "architecture", "dtype", "arrays"}
_EXTRA_NAME = re.compile(r"best_params|state\.[A-Za-z_][A-Za-z0-9_]{0,63}")  # checkpoints only
_ARCH_KEYS = {"sizes", "activations", "steepness", "shortcut"}
_ARCH_OPTIONAL = {"clamp"}  # written only when some layer has a clamp (FANN nets)
_ARRAY_KEYS = {"dtype", "shape", "offsets"}
_MAX_DIM = 2**62  # keeps every product and offset a plain, small-enough Python int
_CORRUPT = "The file is damaged or was not written by neuronless.save; save the model again."

_show = reprlib.Repr()
_show.maxstring, _show.maxother, _show.maxlist, _show.maxdict, _show.maxlevel = 40, 40, 6, 4, 3


# ---------------------------------------------------------------------------------- writing
def save(net: Network, path: PathLike, metadata: Mapping[str, Any] | None = None) -> None:
    """Write ``net`` (and ``metadata``) to ``path`` in the ``.nless`` format, atomically.

    The file is written to a temporary file in the same directory, flushed to disk, then
    renamed onto ``path``: if anything fails (or the process dies) ``path`` still holds its
    previous content. A killed save can leave its temporary file (``.<name>.<random>.tmp``)
    beside ``path``; it is never read and can be deleted.

    Parameters
    ----------
    net : Network
        Saved: sizes, activations (each must be registered in ``neuronless.ACTIVATIONS``),
        steepness, shortcut, dtype, ``params`` and ``mask``.
    path : str or os.PathLike
        The target file; ``.nless`` is the customary suffix.
    metadata : mapping, optional
        Anything JSON can hold (scaler, classes, seed, training history, ...): dicts with
        string keys, lists, strings, finite numbers, booleans and None; numpy arrays and
        scalars are stored as lists and numbers. :func:`load_with_metadata` returns it.

    Raises
    ------
    ConfigError
        If an activation is not registered or ``metadata`` is not JSON-safe.
    OSError
        If the file cannot be written (the previous file, if any, is left untouched).
    """
    write_nless(net, path, metadata)


def write_nless(
    net: Network,
    path: PathLike,
    metadata: Mapping[str, Any] | None = None,
    *,
    checkpoint: Mapping[str, Any] | None = None,
    extra: Sequence[tuple[str, Array]] = (),
) -> None:
    """:func:`save`, plus (for a checkpoint) a ``checkpoint`` header object and extra arrays.

    ``extra`` arrays are named ``best_params`` or ``state.<name>`` (see docs/file-format.md)
    and need ``checkpoint``; :mod:`neuronless.files.checkpoint` is their one writer.
    """
    target = os.fspath(path)
    params = net.params.astype(_PARAMS_DTYPES[net.dtype.name], copy=False)
    arrays: list[tuple[str, Array]] = [("params", np.ascontiguousarray(params))]
    if net.mask is not None:
        arrays.append(("mask", np.ascontiguousarray(net.mask, dtype=_MASK_DTYPE)))
    if extra and checkpoint is None:
        raise ConfigError("extra arrays belong to a checkpoint; pass checkpoint= too.")
    for name, a in extra:
        if not _EXTRA_NAME.fullmatch(name):
            raise ConfigError(
                f"a checkpoint array name must be 'best_params' or 'state.<identifier>'; got {name!r}."
            )
        little = np.dtype(a.dtype).newbyteorder("<").str
        if little not in _ITEMSIZE:
            raise ConfigError(
                f"checkpoint array {name!r} must be float32, float64 or bool; got {a.dtype}."
            )
        arrays.append((name, np.ascontiguousarray(a, dtype=little)))
    header_bytes = _encode_header(net, arrays, metadata, checkpoint)
    chunks: list[bytes | memoryview] = [_PREFIX.pack(MAGIC, FORMAT_VERSION, len(header_bytes))]
    chunks += [header_bytes] + [a.data.cast("B") for _, a in arrays]  # no copies
    write_atomic(target, chunks)


def _encode_header(
    net: Network,
    arrays: list[tuple[str, Array]],
    metadata: Mapping[str, Any] | None,
    checkpoint: Mapping[str, Any] | None = None,
) -> bytes:
    from .. import __version__  # here, not at import: the package imports this module

    if metadata is not None and not isinstance(metadata, Mapping):
        raise ConfigError(f"metadata must be a dict (or None); got {type(metadata).__name__}.")
    entries: dict[str, Any] = {}
    offset = 0
    for name, a in arrays:
        entries[name] = {"dtype": a.dtype.str, "shape": list(a.shape), "offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    header = {
        "format_version": FORMAT_VERSION,
        "library_version": __version__,
        "architecture": {
            "sizes": list(net.sizes),
            "activations": [_activation_names(layer.spec) for layer in net.layers],
            "steepness": [
                s if isinstance(s, float) else [float(v) for v in s] for s in net.steepness
            ],
            "shortcut": net.shortcut,
            **(
                {}
                if all(c is None for c in net.clamp)
                else {"clamp": [c if c is None or isinstance(c, float) else [float(v) for v in c]
                                for c in net.clamp]}
            ),
        },
        "dtype": net.dtype.name,
        "arrays": entries,
        "metadata": {} if metadata is None else dict(metadata),
    }
    if checkpoint is not None:
        header["checkpoint"] = dict(checkpoint)
    try:
        text = json.dumps(header, allow_nan=False, ensure_ascii=False, default=_jsonable)
    except (TypeError, ValueError, RecursionError) as e:
        raise ConfigError(
            f"metadata must be JSON-safe: dicts with string keys, lists, strings, finite "
            f"numbers, booleans, None (numpy arrays become lists); {e}. Convert other objects "
            "(dataclasses: dataclasses.asdict) before saving."
        ) from None
    raw = text.encode("utf-8")
    raw += b" " * (-(_PREFIX.size + len(raw)) % ALIGN)  # JSON allows trailing whitespace
    if len(raw) > MAX_HEADER_BYTES:
        raise ConfigError(
            f"the header (architecture and metadata) must fit in {MAX_HEADER_BYTES} bytes; got "
            f"{len(raw)}. Keep large data out of metadata and save it in a separate file."
        )
    return raw


def _activation_names(spec: Activation | tuple[Activation, ...]) -> str | list[str]:
    acts = (spec,) if isinstance(spec, Activation) else spec
    for act in acts:
        if ACTIVATIONS.get(act.name) is not act:
            raise ConfigError(
                f"only registered activations can be saved (by name); {act!r} is not "
                f"neuronless.ACTIVATIONS[{act.name!r}]. Register it there, or use one of "
                f"{sorted(ACTIVATIONS)}."
            )
    return acts[0].name if isinstance(spec, Activation) else [a.name for a in acts]


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"{type(obj).__name__} is not JSON-serializable")


# ---------------------------------------------------------------------------------- reading
class _Bad(Exception):
    """A problem with the file's content; :func:`load_with_metadata` adds the path."""


def _bad(message: str) -> NoReturn:
    raise _Bad(message)


def load(path: PathLike) -> Network:
    """Read a Network from a ``.nless`` file written by :func:`save`.

    See :func:`load_with_metadata` (which also returns the metadata) for what is checked.
    """
    return load_with_metadata(path)[0]


def load_with_metadata(path: PathLike) -> tuple[Network, dict[str, Any]]:
    """Read a Network and its metadata dict (``{}`` if none was saved) from a ``.nless`` file.

    The file is checked strictly before anything proportional to a size it declares is
    allocated: magic and format version, header length (at most 16 MiB and inside the file),
    JSON syntax and the type of every field, array dtypes, shapes and byte ranges (inside the
    data section, tiling it without gaps or overlaps, each exactly ``prod(shape) * itemsize``
    bytes), the parameter count the architecture needs, activation names and the mask.

    Raises
    ------
    ModelFormatError
        For any truncated, corrupt, oversized or hostile content; the message says what is
        wrong. No other exception comes from a file's content.
    OSError
        If the file cannot be opened or read (``FileNotFoundError`` if it does not exist); it
        is not wrapped, so ``except FileNotFoundError`` works as usual.
    """
    net, metadata, _, _ = read_nless(path)
    return net, metadata


def read_nless(
    path: PathLike, *, extras: bool = False
) -> tuple[Network, dict[str, Any], dict[str, Any] | None, dict[str, Array]]:
    """Read a ``.nless`` file: the network, its metadata, the ``checkpoint`` header object
    (None in a plain model file) and, with ``extras``, the checkpoint's extra arrays (each a
    new, writable array). Raises as :func:`load_with_metadata` does."""
    name = os.fspath(path)
    with open(name, "rb") as f:
        try:
            return _read(f, os.fstat(f.fileno()).st_size, extras)
        except _Bad as e:
            raise ModelFormatError(f"{name}: {e}") from None


def _read(
    f: Any, size: int, extras: bool
) -> tuple[Network, dict[str, Any], dict[str, Any] | None, dict[str, Array]]:
    prefix = f.read(_PREFIX.size)
    if len(prefix) < _PREFIX.size:
        if not MAGIC.startswith(prefix[: len(MAGIC)]):
            _bad_magic(prefix)
        _bad(
            f"file is truncated: {size} bytes, shorter than the 16-byte prefix of a neuronless "
            f"model file. {_CORRUPT}"
        )
    magic, version, n = _PREFIX.unpack(prefix)
    if magic != MAGIC:
        _bad_magic(magic)
    if version != FORMAT_VERSION:
        newer = version > FORMAT_VERSION
        _bad(
            f"format version {version} is not supported; this neuronless reads version "
            f"{FORMAT_VERSION}. "
            + ("Upgrade neuronless to read it." if newer else f"{_CORRUPT}")
        )
    if n > MAX_HEADER_BYTES:
        _bad(f"header length must be at most {MAX_HEADER_BYTES} bytes; got {n}. {_CORRUPT}")
    data_start = _PREFIX.size + n
    if data_start > size:
        _bad(
            f"file is truncated: the header declares {n} bytes but only {size - _PREFIX.size} "
            f"follow the prefix. {_CORRUPT}"
        )
    header = _parse_json(f.read(n))
    spec = _check_header(header, version, size - data_start)
    raw = {}
    for key, (_dtype, _shape, start, end) in spec["arrays"].items():
        if key not in ("params", "mask") and not extras:
            continue
        f.seek(data_start + start)
        raw[key] = f.read(end - start)  # end - start <= the file's size, checked above
        if len(raw[key]) != end - start:
            _bad(f"file is truncated: array {key!r} was cut short while reading. {_CORRUPT}")
    net = _build(spec, raw)
    extra: dict[str, Array] = {}
    for key, data in raw.items():
        if key in ("params", "mask"):
            continue
        dtype, shape, _, _ = spec["arrays"][key]
        if dtype == _MASK_DTYPE and data.translate(None, b"\x00\x01"):
            _bad(f"array {key!r} must hold only the bytes 0 and 1. {_CORRUPT}")
        extra[key] = np.frombuffer(data, dtype=dtype).reshape(shape).copy()
    return net, spec["metadata"], spec["checkpoint"], extra


def _bad_magic(got: bytes) -> NoReturn:
    _bad(
        f"not a neuronless model file (bad magic {got!r}, expected {MAGIC!r}); expected a "
        "file written by neuronless.save."
    )


def _parse_json(raw: bytes) -> Any:
    def no_constants(name: str) -> NoReturn:
        raise ValueError(f"{name} is not allowed (the header holds finite numbers only)")

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(pairs)
        if len(out) != len(pairs):
            keys = [k for k, _ in pairs]
            raise ValueError(f"duplicate key {next(k for k in keys if keys.count(k) > 1)!r}")
        return out

    try:
        text = raw.decode("utf-8")
        return json.loads(text, parse_constant=no_constants, object_pairs_hook=no_duplicates)
    except (ValueError, RecursionError) as e:  # UnicodeDecodeError and JSONDecodeError too
        _bad(f"header is not valid UTF-8 JSON ({type(e).__name__}: {_clip(str(e))}). {_CORRUPT}")


def _clip(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _check_header(h: Any, version: int, data_len: int) -> dict[str, Any]:
    """Check every header field; return sizes, activations, steepness, shortcut, dtype,
    arrays ``{name: (dtype, shape, start, end)}`` and metadata. Allocates nothing big."""
    if not isinstance(h, dict):
        _bad(f"header must be a JSON object; got {_show.repr(h)}. {_CORRUPT}")
    _check_keys(h, _TOP_KEYS, {"metadata", "checkpoint"}, "header")
    if _int(h["format_version"], "format_version") != version:
        _bad(
            f"header field 'format_version' must equal the prefix's version {version}; got "
            f"{h['format_version']}. {_CORRUPT}"
        )
    if not isinstance(h["library_version"], str):
        _bad(f"header field 'library_version' must be a string; got {_show.repr(h['library_version'])}.")
    dtype = h["dtype"]
    if not isinstance(dtype, str) or dtype not in _PARAMS_DTYPES:
        _bad(f"header field 'dtype' must be 'float32' or 'float64'; got {_show.repr(dtype)}. {_CORRUPT}")
    metadata = h.get("metadata", {})
    if not isinstance(metadata, dict):
        _bad(f"header field 'metadata' must be a JSON object; got {_show.repr(metadata)}. {_CORRUPT}")
    checkpoint = h.get("checkpoint")
    if checkpoint is not None and not isinstance(checkpoint, dict):
        _bad(f"header field 'checkpoint' must be a JSON object; got {_show.repr(checkpoint)}. {_CORRUPT}")

    arch = h["architecture"]
    if not isinstance(arch, dict):
        _bad(f"header field 'architecture' must be a JSON object; got {_show.repr(arch)}. {_CORRUPT}")
    _check_keys(arch, _ARCH_KEYS, _ARCH_OPTIONAL, "architecture")
    sizes = arch["sizes"]
    if not isinstance(sizes, list) or len(sizes) < 2:
        _bad(f"'architecture.sizes' must list at least two layer widths; got {_show.repr(sizes)}. {_CORRUPT}")
    sizes = [_int(s, "architecture.sizes", lo=1) for s in sizes]
    n_layers = len(sizes) - 1
    if not isinstance(arch["shortcut"], bool):
        _bad(f"'architecture.shortcut' must be true or false; got {_show.repr(arch['shortcut'])}. {_CORRUPT}")
    acts, steeps = arch["activations"], arch["steepness"]
    for field, value in (("activations", acts), ("steepness", steeps)):
        if not isinstance(value, list) or len(value) != n_layers:
            _bad(
                f"'architecture.{field}' must list one entry per weight matrix ({n_layers}); "
                f"got {_show.repr(value)}. {_CORRUPT}"
            )
    clamps = arch.get("clamp")
    if clamps is not None and (not isinstance(clamps, list) or len(clamps) != n_layers):
        _bad(
            f"'architecture.clamp' must list one entry per weight matrix ({n_layers}); got "
            f"{_show.repr(clamps)}. {_CORRUPT}"
        )
    for k, n_out in enumerate(sizes[1:]):
        _check_activation(acts[k], n_out, k)
        steeps[k] = _check_steepness(steeps[k], n_out, k)
        if clamps is not None and clamps[k] is not None:
            clamps[k] = _check_clamp(clamps[k], n_out, k)
    fan_ins = itertools.accumulate(sizes[:-1]) if arch["shortcut"] else sizes[:-1]
    n_params = sum((n_in + 1) * n_out for n_in, n_out in zip(fan_ins, sizes[1:], strict=True))

    arrays = h["arrays"]
    if not isinstance(arrays, dict):
        _bad(f"header field 'arrays' must be a JSON object; got {_show.repr(arrays)}. {_CORRUPT}")
    extra = sorted(k for k in arrays if k not in ("params", "mask"))
    for key in extra:
        if checkpoint is None or not _EXTRA_NAME.fullmatch(key):
            _bad(
                f"arrays has unknown field {_show.repr(key)}; a model file has only 'params' "
                "and 'mask' (a checkpoint also 'best_params' and 'state.<name>'). "
                f"{_CORRUPT}"
            )
    _check_keys(arrays, {"params"}, {"mask", *extra}, "arrays")
    checked = {key: _check_array(key, arrays[key], data_len) for key in arrays}
    end = 0
    for key, (_, _, start, stop) in sorted(checked.items(), key=lambda kv: kv[1][2]):
        if start != end:
            _bad(
                f"arrays must tile the data section without gaps or overlaps; {key!r} starts at "
                f"byte {start} but the previous array ends at byte {end}. {_CORRUPT}"
            )
        end = stop
    if end != data_len:
        _bad(
            f"the data section has {data_len - end} bytes after the last array; a model file "
            f"ends with its last array. {_CORRUPT}"
        )
    expected = {"params": _PARAMS_DTYPES[dtype], "mask": _MASK_DTYPE, "best_params": _PARAMS_DTYPES[dtype]}
    for key, (adtype, shape, _, _) in checked.items():
        if key.startswith("state."):  # optimizer state: any checked dtype and shape
            continue
        if adtype != expected[key]:
            _bad(
                f"array {key!r} must have dtype {expected[key]!r} in a {dtype} model; got "
                f"{adtype!r}. {_CORRUPT}"
            )
        if shape != [n_params]:
            _bad(
                f"array {key!r} must have shape [{n_params}], the parameter count of sizes "
                f"{sizes}{' with shortcut connections' if arch['shortcut'] else ''}; got "
                f"{shape}. {_CORRUPT}"
            )
    return {
        "sizes": sizes,
        "activations": acts,
        "steepness": steeps,
        "shortcut": arch["shortcut"],
        "clamp": clamps,
        "dtype": dtype,
        "arrays": checked,
        "metadata": metadata,
        "checkpoint": checkpoint,
    }


def _check_keys(d: dict[str, Any], required: set[str], optional: set[str], where: str) -> None:
    missing = sorted(required - d.keys())
    if missing:
        _bad(f"{where} lacks the field(s) {missing}. {_CORRUPT}")
    unknown = sorted(d.keys() - required - optional)
    if unknown:
        _bad(
            f"{where} has unknown field(s) {_show.repr(unknown)}; format version "
            f"{FORMAT_VERSION} has only {sorted(required | optional)}. {_CORRUPT}"
        )


def _int(x: Any, where: str, lo: int = 0) -> int:
    if type(x) is not int or not lo <= x <= _MAX_DIM:  # type(...) is int: rejects true/false
        _bad(f"{where!r} must hold integers in [{lo}, 2**62]; got {_show.repr(x)}. {_CORRUPT}")
    return x


def _check_activation(spec: Any, n_out: int, k: int) -> None:
    names = [spec] if isinstance(spec, str) else spec
    if not isinstance(names, list) or (not isinstance(spec, str) and len(names) != n_out):
        _bad(
            f"'architecture.activations[{k}]' must be an activation name or a list of "
            f"{n_out} names (one per neuron); got {_show.repr(spec)}. {_CORRUPT}"
        )
    for name in names:
        if not isinstance(name, str) or name not in ACTIVATIONS:
            _bad(
                f"'architecture.activations[{k}]' names an unknown activation "
                f"{_show.repr(name)}; known: {sorted(ACTIVATIONS)}. A newer neuronless may "
                "know it; otherwise the file is damaged."
            )


def _check_steepness(value: Any, n_out: int, k: int) -> float | Array:
    return _per_neuron_numbers(value, n_out, f"architecture.steepness[{k}]",
                               "finite non-zero numbers", lambda v: v != 0.0, nullable=False)


def _check_clamp(value: Any, n_out: int, k: int) -> float | Array:
    return _per_neuron_numbers(value, n_out, f"architecture.clamp[{k}]",
                               "finite positive numbers", lambda v: v > 0.0, nullable=True)


def _per_neuron_numbers(value: Any, n_out: int, where: str, what: str,
                        ok: Callable[[float], bool], *, nullable: bool) -> float | Array:
    """A number or a list of ``n_out`` numbers, each finite and ``ok``; else ModelFormatError."""

    def number(x: Any) -> float:
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            with contextlib.suppress(OverflowError):  # a huge JSON integer
                v = float(x)
                if math.isfinite(v) and ok(v):  # json reads 1e999 as inf
                    return v
        _bad(f"'{where}' must {'be null or ' if nullable else ''}hold {what}; got "
             f"{_show.repr(x)}. {_CORRUPT}")

    if isinstance(value, list):
        if len(value) != n_out:
            _bad(
                f"'{where}' must be {'null, ' if nullable else ''}a number or a list of {n_out} numbers (one per "
                f"neuron); got a list of {len(value)}. {_CORRUPT}"
            )
        return np.array([number(x) for x in value], dtype=np.float64)
    return number(value)


def _check_array(key: str, entry: Any, data_len: int) -> tuple[str, list[int], int, int]:
    where = f"arrays.{key}"
    if not isinstance(entry, dict):
        _bad(f"{where!r} must be a JSON object; got {_show.repr(entry)}. {_CORRUPT}")
    _check_keys(entry, _ARRAY_KEYS, set(), where)
    dtype, shape, offsets = entry["dtype"], entry["shape"], entry["offsets"]
    if not isinstance(dtype, str) or dtype not in _ITEMSIZE:
        _bad(
            f"{where + '.dtype'!r} must be one of {sorted(_ITEMSIZE)}; got {_show.repr(dtype)}. "
            f"{_CORRUPT}"
        )
    if not isinstance(shape, list) or len(shape) > 32:
        _bad(f"{where + '.shape'!r} must be a list of dimensions; got {_show.repr(shape)}. {_CORRUPT}")
    shape = [_int(d, where + ".shape") for d in shape]
    if not isinstance(offsets, list) or len(offsets) != 2:
        _bad(f"{where + '.offsets'!r} must be [start, end]; got {_show.repr(offsets)}. {_CORRUPT}")
    start, end = (_int(o, where + ".offsets") for o in offsets)
    if not start <= end <= data_len:
        _bad(
            f"array {key!r} must lie inside the data section (0 to {data_len} bytes); it "
            f"declares bytes [{start}, {end}). The file is truncated or damaged; save the model "
            "again."
        )
    nbytes = math.prod(shape) * _ITEMSIZE[dtype]
    if end - start != nbytes:
        _bad(
            f"array {key!r} must span prod(shape) * itemsize = {nbytes} bytes for shape "
            f"{_show.repr(shape)} and dtype {dtype!r}; its offsets span {end - start}. {_CORRUPT}"
        )
    return dtype, shape, start, end


def _build(spec: dict[str, Any], raw: dict[str, bytes]) -> Network:
    try:
        net = Network(
            spec["sizes"],
            spec["activations"],
            steepness=spec["steepness"],
            shortcut=spec["shortcut"],
            dtype=spec["dtype"],
            clamp=spec["clamp"],
        )
    except NeuronlessError as e:  # e.g. softmax mixed with other activations in one layer
        _bad(f"the architecture is not a valid network: {e}")
    net.params[...] = np.frombuffer(raw["params"], dtype=_PARAMS_DTYPES[spec["dtype"]])
    if "mask" in raw:
        if raw["mask"].translate(None, b"\x00\x01"):  # any byte other than 0 and 1 left?
            _bad(f"array 'mask' must hold only the bytes 0 and 1. {_CORRUPT}")
        mask = np.frombuffer(raw["mask"], dtype=np.bool_).copy()
        if np.any(net.params[~mask]):
            _bad(
                "array 'params' holds non-zero weights where 'mask' marks no connection; a "
                f"sparse network keeps those at exactly zero. {_CORRUPT}"
            )
        net.mask = mask
    return net
