"""The .nless format: exact round trips, a strict reader, atomic saves.

The layout is read back here with ``struct`` and ``json`` (``parse``/``assemble``), without the
library's reader, so the tests check the documented format rather than the code's own view.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import re
import signal
import struct
import subprocess
import sys
import tempfile
import textwrap
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import neuronless as nl
from neuronless.errors import ConfigError, ModelFormatError
from neuronless.files import nless

MAGIC_V1 = b"NLESS\x00\x01\x00"
FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


# ---------------------------------------------------------------------------- helpers
def parse(data: bytes) -> tuple[dict[str, Any], bytes]:
    """Split a file into its JSON header and data section, by the documented layout."""
    assert data[:8] == MAGIC_V1
    (n,) = struct.unpack("<Q", data[8:16])
    return json.loads(data[16 : 16 + n].decode("utf-8")), data[16 + n :]


def assemble(header: Any, body: bytes, *, prefix: bytes = MAGIC_V1, n: int | None = None) -> bytes:
    raw = json.dumps(header).encode("utf-8")
    return prefix + struct.pack("<Q", len(raw) if n is None else n) + raw + body


def example_nets() -> dict[str, nl.Network]:
    per_neuron = nl.Network(
        [3, 4, 2],
        [["tanh", "relu", "sigmoid", "tanh"], "identity"],
        steepness=[np.array([0.5, 1.0, 2.0, -0.25]), 0.75],
        dtype=np.float64,
    )
    per_neuron.init_weights(rng=3)
    return {
        "plain32": nl.Network.create([4, 5, 3], seed=0),
        "plain64": nl.Network.create([4, 5, 3], seed=0, dtype=np.float64),
        "shortcut": nl.Network.create([3, 4, 4, 2], seed=1, shortcut=True, steepness=0.5),
        "sparse32": nl.Network.create([6, 8, 2], seed=2, connection_rate=0.4),
        "sparse64": nl.Network.create([6, 8, 3], "relu", "softmax", seed=2,
                                      connection_rate=0.5, dtype=np.float64),
        "per_neuron": per_neuron,
    }


@functools.cache
def valid_file() -> bytes:
    """A small file with every feature (mask, per-neuron activations and steepness, metadata)."""
    net = nl.Network([3, 4, 2], [["tanh", "relu", "sigmoid", "tanh"], "sigmoid"],
                     steepness=[np.array([0.5, 1.0, 2.0, -0.25]), 1.0])
    net.init_weights(rng=0)
    net.set_masks([np.arange(16).reshape(4, 4) % 3 != 0, np.ones((5, 2), dtype=bool)])
    with tempfile.TemporaryDirectory() as d:
        nl.save(net, Path(d) / "m.nless", metadata={"classes": ["a", "b"]})
        return (Path(d) / "m.nless").read_bytes()


def outcome(path: Path, data: bytes) -> nl.Network | ModelFormatError:
    """Load ``data``: a Network or a ModelFormatError, and nothing else may come out."""
    path.write_bytes(data)
    try:
        return nl.load(path)
    except ModelFormatError as e:
        return e
    except BaseException as e:  # the catch-all: any other type is a bug
        pytest.fail(f"{type(e).__name__} escaped the loader: {e}")


def rejected(path: Path, data: bytes) -> ModelFormatError:
    result = outcome(path, data)
    assert isinstance(result, ModelFormatError), "a damaged file loaded without error"
    assert str(path) in str(result)  # the message names the file
    return result


def assert_same_network(a: nl.Network, b: nl.Network) -> None:
    assert b.sizes == a.sizes
    assert b.shortcut == a.shortcut
    assert b.dtype == a.dtype
    assert b.params.tobytes() == a.params.tobytes()  # bit-identical, -0.0 and all
    assert [layer.spec for layer in b.layers] == [layer.spec for layer in a.layers]
    for sa, sb in zip(a.steepness, b.steepness, strict=True):
        np.testing.assert_array_equal(sb, sa)
        assert type(sb) is type(sa)
    if a.mask is None:
        assert b.mask is None
    else:
        assert b.mask is not None
        assert np.array_equal(b.mask, a.mask)


# ---------------------------------------------------------------------------- round trips
@pytest.mark.parametrize("name", list(example_nets()))
def test_round_trip_is_bit_identical(name, tmp_path, rng):
    net = example_nets()[name]
    nl.save(net, tmp_path / "m.nless")
    back = nl.load(tmp_path / "m.nless")
    assert_same_network(net, back)
    X = rng.normal(size=(7, net.sizes[0])).astype(net.dtype)
    assert net.forward(X).tobytes() == back.forward(X).tobytes()
    assert net.forward(X[0]).tobytes() == back.forward(X[0]).tobytes()


def test_loaded_network_is_independent_and_trainable(tmp_path):
    net = example_nets()["sparse32"]
    nl.save(net, str(tmp_path / "m.nless"))  # str paths work as well as Path
    back = nl.load(str(tmp_path / "m.nless"))
    assert back.params.flags.writeable
    assert back.mask is not None
    assert back.mask.flags.writeable
    back.weights[0][0, 0] = 123.0
    assert back.params[0] == 123.0
    assert net.params[0] != 123.0
    X = np.ones((4, 6), dtype=np.float32)
    Y = np.full((4, 2), 0.5, dtype=np.float32)
    nl.fit(back, X, Y, optimizer=nl.SGD(0.1), epochs=2)
    assert np.all(back.params[~back.mask] == 0.0)


def test_metadata_round_trip(tmp_path):
    history = nl.History(epoch=[0, 1], train_loss=[0.5, 0.25], learning_rate=[0.1, 0.1],
                         time=[0.01, 0.02], best_epoch=1)
    metadata = {
        "scaler": {"mean": np.array([1.5, -2.0]), "std": [1.0, 3.0]},
        "classes": ["cat", "dog", "ünïcode"],
        "seed": np.int64(7),
        "history": dataclasses.asdict(history),
        "nested": {"a": [1, [2, None, True]], "b": 1e-300},
    }
    nl.save(nl.Network.create([2, 1], seed=0), tmp_path / "m.nless", metadata=metadata)
    _, back = nl.load_with_metadata(tmp_path / "m.nless")
    assert back == {**metadata, "scaler": {"mean": [1.5, -2.0], "std": [1.0, 3.0]}, "seed": 7}
    assert nl.History(**back["history"]) == history
    nl.save(nl.Network.create([2, 1], seed=0), tmp_path / "m.nless")
    assert nl.load_with_metadata(tmp_path / "m.nless")[1] == {}


def test_file_layout_matches_the_documentation(tmp_path):
    net = example_nets()["sparse64"]
    nl.save(net, tmp_path / "m.nless", metadata={"seed": 2})
    data = (tmp_path / "m.nless").read_bytes()
    assert data.startswith(b"NLESS\x00")
    assert data[6:8] == struct.pack("<H", 1)
    header, body = parse(data)
    assert (len(data) - len(body)) % 8 == 0  # the data section starts 8-byte aligned
    assert header["format_version"] == 1
    assert header["library_version"] == nl.__version__
    assert header["dtype"] == "float64"
    assert header["metadata"] == {"seed": 2}
    assert header["architecture"] == {
        "sizes": [6, 8, 3], "activations": ["relu", "softmax"], "steepness": [1.0, 1.0],
        "shortcut": False,
    }
    n = net.params.size
    assert header["arrays"] == {
        "params": {"dtype": "<f8", "shape": [n], "offsets": [0, 8 * n]},
        "mask": {"dtype": "|b1", "shape": [n], "offsets": [8 * n, 9 * n]},
    }
    assert len(body) == 9 * n
    np.testing.assert_array_equal(np.frombuffer(body[: 8 * n], "<f8"), net.params)
    np.testing.assert_array_equal(np.frombuffer(body[8 * n :], "|b1"), net.mask)


def test_per_neuron_architecture_in_the_header(tmp_path):
    nl.save(example_nets()["per_neuron"], tmp_path / "m.nless")
    header, _ = parse((tmp_path / "m.nless").read_bytes())
    assert header["architecture"]["activations"] == [["tanh", "relu", "sigmoid", "tanh"], "identity"]
    assert header["architecture"]["steepness"] == [[0.5, 1.0, 2.0, -0.25], 0.75]


def test_save_refuses_what_the_format_cannot_hold(tmp_path):
    net = nl.Network.create([2, 1], seed=0)
    with pytest.raises(ConfigError, match="JSON-safe"):
        nl.save(net, tmp_path / "m.nless", metadata={"f": object()})
    with pytest.raises(ConfigError, match="JSON-safe"):
        nl.save(net, tmp_path / "m.nless", metadata={"loss": float("nan")})
    odd = nl.Activation("tanh", np.tanh, lambda x, a: 1 - a * a)  # not the registered tanh
    with pytest.raises(ConfigError, match="registered"):
        nl.save(nl.Network([2, 1], [odd]), tmp_path / "m.nless")
    assert list(tmp_path.iterdir()) == []  # refused before any file was created


# ---------------------------------------------------------------------------- strict reader
def _edit(header_edit=None, body_edit=None, **assemble_args):
    def make() -> bytes:
        header, body = parse(valid_file())
        if header_edit is not None:
            header_edit(header)
        return assemble(header, body if body_edit is None else body_edit(body), **assemble_args)
    return make


def _text_edit(old: bytes, new: bytes):
    """Replace text in the header (its declared length follows) to write what json.dumps won't."""
    def make() -> bytes:
        data = valid_file()
        (n,) = struct.unpack("<Q", data[8:16])
        raw = data[16 : 16 + n].replace(old, new, 1)
        assert raw != data[16 : 16 + n]
        return data[:8] + struct.pack("<Q", len(raw)) + raw + data[16 + n :]
    return make


def _raw_header(raw: bytes):
    return lambda: MAGIC_V1 + struct.pack("<Q", len(raw)) + raw


def _set(path: str, value: Any):
    *parents, last = path.split(".")

    def edit(h: dict[str, Any]) -> None:
        for p in parents:
            h = h[int(p)] if isinstance(h, list) else h[p]
        if isinstance(h, list):
            h[int(last)] = value
        else:
            h[last] = value
    return edit


def _del(path: str):
    *parents, last = path.split(".")

    def edit(h: dict[str, Any]) -> None:
        for p in parents:
            h = h[p]
        del h[last]
    return edit


def _mask_byte(value: int):
    def edit(body: bytes) -> bytes:
        b = bytearray(body)
        b[-1] = value
        return bytes(b)
    return edit


HOSTILE = {
    "empty": (lambda: b"", "truncated"),
    "short": (lambda: b"NLESS\x00\x01\x00\x10", "truncated"),
    "bad magic": (lambda: b"PK\x03\x04" + valid_file()[4:], "bad magic"),
    "pickle": (lambda: b"\x80\x04\x95" + bytes(40), "bad magic"),
    "newer version": (lambda: b"NLESS\x00\x02\x00" + valid_file()[8:], "Upgrade neuronless"),
    "version 0": (lambda: b"NLESS\x00\x00\x00" + valid_file()[8:], "not supported"),
    "huge header length": (_edit(n=2**64 - 1), "at most 16777216"),
    "header past EOF": (_edit(n=10_000_000), "truncated"),
    "not JSON": (_raw_header(b"{abc}"), "not valid UTF-8 JSON"),
    "not UTF-8": (_raw_header(b'"\xff\xfe"'), "UTF-8"),
    "JSON list": (lambda: assemble([1, 2], b""), "JSON object"),
    "NaN": (_text_edit(b"1.0]", b"NaN]"), "NaN"),
    "Infinity": (_text_edit(b"1.0]", b"-Infinity]"), "Infinity"),
    "deep nesting": (_raw_header(b"[" * 100_000 + b"]" * 100_000), "RecursionError"),
    "duplicate key": (_text_edit(b'"dtype": "float32"', b'"dtype": "float32", "dtype": "float64"'),
                      "duplicate key"),
    "missing field": (_edit(_del("architecture")), "lacks"),
    "unknown field": (_edit(_set("extra", 1)), "unknown field"),
    "dtype f16": (_edit(_set("dtype", "float16")), "'float32' or 'float64'"),
    "array dtype <f2": (_edit(_set("arrays.params.dtype", "<f2")), "must be one of"),
    "array dtype object": (_edit(_set("arrays.params.dtype", "|O")), "must be one of"),
    "array dtype >f4": (_edit(_set("arrays.params.dtype", ">f4")), "must be one of"),
    "float64 params in a float32 net": (_edit(_set("dtype", "float64")), "must have dtype '<f8'"),
    "huge shape": (_edit(_set("arrays.params.shape", [10**12])), "must span"),
    "negative shape": (_edit(_set("arrays.params.shape", [-1])), "integers"),
    "float shape": (_edit(_set("arrays.params.shape", [2.0])), "integers"),
    "bool shape": (_edit(_set("arrays.params.shape", [True])), "integers"),
    "2-D params": (_edit(_set("arrays.params.shape", [1, 26])), "must have shape"),
    "offsets past EOF": (_edit(_set("arrays.mask.offsets", [104, 10**15])), "inside the data"),
    "offsets reversed": (_edit(_set("arrays.params.offsets", [104, 0])), "inside the data"),
    "overlap": (_edit(_set("arrays.mask.offsets", [100, 126])), "gaps or overlaps"),
    "truncated data": (_edit(body_edit=lambda b: b[:-1]), "inside the data"),
    "trailing bytes": (_edit(body_edit=lambda b: b + b"\x00"), "after the last array"),
    "unknown array": (_edit(_set("arrays.extra", {"dtype": "<f4", "shape": [0],
                                                  "offsets": [0, 0]})), "unknown field"),
    "params count": (_edit(_set("architecture.sizes", [3, 4, 3])), "must have shape"),
    "huge sizes": (_edit(_set("architecture.sizes", [10**9, 10**9])), "activations|must have"),
    "zero size": (_edit(_set("architecture.sizes", [3, 0, 2])), "integers in \\[1"),
    "unknown activation": (_edit(_set("architecture.activations.1", "swish")), "unknown activation"),
    "activation list length": (_edit(_set("architecture.activations.0", ["tanh"])), "list of 4"),
    "softmax mixed": (_edit(_set("architecture.activations.0",
                                 ["softmax", "tanh", "tanh", "tanh"])), "not a valid network"),
    "steepness zero": (_edit(_set("architecture.steepness.1", 0)), "non-zero"),
    "steepness 1e999": (_text_edit(b"1.0]", b"1e999]"), "finite"),
    "steepness huge int": (_edit(_set("architecture.steepness.1", 10**400)), "finite|JSON"),
    "steepness string": (_edit(_set("architecture.steepness.1", "1")), "finite"),
    "shortcut string": (_edit(_set("architecture.shortcut", "yes")), "true or false"),
    "metadata list": (_edit(_set("metadata", [])), "JSON object"),
    "format_version mismatch": (_edit(_set("format_version", 2)), "must equal"),
    "mask byte 2": (_edit(body_edit=_mask_byte(2)), "only the bytes 0 and 1"),
    "masked weight non-zero": (_edit(body_edit=lambda b: b[:0] + b"\x00\x00\x80\x3f" + b[4:]),
                               "non-zero weights"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_file_raises_model_format_error_saying_what(case, tmp_path):
    make, message = HOSTILE[case]
    error = rejected(tmp_path / "m.nless", make())
    assert re.search(message, str(error)), str(error)
    assert isinstance(error, ValueError)
    assert isinstance(error, nl.NeuronlessError)


def test_valid_file_loads_and_edits_are_not_vacuous(tmp_path):
    assert isinstance(outcome(tmp_path / "m.nless", valid_file()), nl.Network)
    assert isinstance(outcome(tmp_path / "m.nless", _edit()()), nl.Network)  # re-assembled


def test_hostile_shape_allocates_nothing_big(tmp_path):
    header, body = parse(valid_file())
    header["arrays"]["params"].update(shape=[10**12], offsets=[0, 4 * 10**12])
    (tmp_path / "m.nless").write_bytes(assemble(header, body))
    tracemalloc.start()
    try:
        with pytest.raises(ModelFormatError, match="inside the data section"):
            nl.load(tmp_path / "m.nless")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10 * 2**20


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        nl.load(tmp_path / "nothing.nless")


@FUZZ
@given(flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), min_size=1, max_size=4))
def test_byte_flips_load_or_raise_model_format_error(flips, tmp_path):
    data = bytearray(valid_file())
    for position, xor in flips:
        data[position % len(data)] ^= xor
    outcome(tmp_path / "m.nless", bytes(data))  # a flip in the weights still loads


@FUZZ
@given(cut=st.integers(0, 10**6))
def test_every_truncation_raises_model_format_error(cut, tmp_path):
    data = valid_file()
    rejected(tmp_path / "m.nless", data[: cut % len(data)])


@FUZZ
@given(garbage=st.binary(max_size=300), keep_prefix=st.integers(0, 16))
def test_garbage_raises_model_format_error(garbage, keep_prefix, tmp_path):
    rejected(tmp_path / "m.nless", valid_file()[:keep_prefix] + garbage)


@FUZZ
@given(n=st.integers(0, 2**64 - 1))
def test_any_declared_header_length_is_safe(n, tmp_path):
    data = valid_file()
    result = outcome(tmp_path / "m.nless", data[:8] + struct.pack("<Q", n) + data[16:])
    assert isinstance(result, nl.Network) == (n == struct.unpack("<Q", data[8:16])[0])


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
FIELDS = [
    "format_version", "library_version", "dtype", "metadata", "architecture",
    "architecture.sizes", "architecture.sizes.0", "architecture.activations",
    "architecture.activations.0", "architecture.activations.0.1", "architecture.steepness",
    "architecture.steepness.0", "architecture.steepness.0.2", "architecture.shortcut", "arrays",
    "arrays.params", "arrays.params.dtype", "arrays.params.shape", "arrays.params.shape.0",
    "arrays.params.offsets", "arrays.params.offsets.1", "arrays.mask.offsets.0",
    "arrays.mask.dtype",
]


@FUZZ
@given(field=st.sampled_from(FIELDS), value=JSON)
def test_any_json_in_any_header_field_loads_or_raises_model_format_error(field, value, tmp_path):
    outcome(tmp_path / "m.nless", _edit(_set(field, value))())


# ---------------------------------------------------------------------------- atomic saves
def _stray(directory: Path, name: str) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name != name)


def test_failing_rename_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "m.nless"
    old = nl.Network.create([3, 2], seed=0)
    nl.save(old, path)
    before = path.read_bytes()

    def fail(*args: Any) -> None:
        raise OSError("disk full (simulated)")

    for target in ("replace", "fsync"):
        with monkeypatch.context() as m:
            m.setattr(nless.os, target, fail)
            with pytest.raises(OSError, match="simulated"):
                nl.save(nl.Network.create([3, 2], seed=1), path)
        assert path.read_bytes() == before
        assert _stray(tmp_path, "m.nless") == []
    assert_same_network(old, nl.load(path))


def test_save_into_missing_directory_raises_and_creates_nothing(tmp_path):
    with pytest.raises(FileNotFoundError):
        nl.save(nl.Network.create([3, 2], seed=0), tmp_path / "no" / "m.nless")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root writes into read-only directories")
def test_save_into_read_only_directory_leaves_the_old_file(tmp_path):
    path = tmp_path / "m.nless"
    nl.save(nl.Network.create([3, 2], seed=0), path)
    before = path.read_bytes()
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(PermissionError):
            nl.save(nl.Network.create([3, 2], seed=1), path)
    finally:
        tmp_path.chmod(0o755)
    assert path.read_bytes() == before
    assert _stray(tmp_path, "m.nless") == []


@pytest.mark.skipif(sys.platform == "win32", reason="os.umask, file modes")
def test_save_keeps_the_permissions_of_the_file_it_replaces(tmp_path):
    path = tmp_path / "m.nless"
    nl.save(nl.Network.create([3, 2], seed=0), path)
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # like a file made with open()
    path.chmod(0o640)
    nl.save(nl.Network.create([3, 2], seed=0), path)
    assert path.stat().st_mode & 0o777 == 0o640


WRITER = textwrap.dedent("""
    import sys
    import numpy as np
    import neuronless as nl

    net = nl.Network([1000, 5000], ["identity"], dtype=np.float64)  # 5 005 000 params, 40 MB
    for version in range(1, 1_000_000):
        net.params.fill(float(version))
        nl.save(net, sys.argv[1], metadata={"version": version})
        print(version, flush=True)
""")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_sigkill_during_saves_leaves_a_saved_version_and_at_most_one_temp(tmp_path, rng):
    """Kill a process that saves a 40 MB model again and again, at a random moment.

    The file then holds one complete saved version: the last one the writer reported, or the
    one after it (killed between the rename and the report). Besides it there is nothing, or
    the one temporary file of the killed save (``.m.nless.<random>.tmp``).
    """
    for attempt in range(4):
        directory = tmp_path / str(attempt)
        directory.mkdir()
        path = directory / "m.nless"
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "1"  # one save finished: the file exists
        time.sleep(float(rng.uniform(0.0, 0.3)))  # a save takes about 0.1 s here
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        reported = [1] + [int(line) for line in proc.stdout.read().split()]
        proc.stdout.close()
        net, metadata = nl.load_with_metadata(path)
        version = metadata["version"]
        assert version in (reported[-1], reported[-1] + 1)
        assert net.sizes == (1000, 5000)
        assert np.all(net.params == float(version))
        stray = _stray(directory, "m.nless")
        assert len(stray) <= 1
        assert all(re.fullmatch(r"\.m\.nless\..+\.tmp", s) for s in stray)


def test_metadata_must_be_a_mapping(tmp_path):
    with pytest.raises(ConfigError, match="metadata must be a dict"):
        nl.save(nl.Network.create([2, 1], seed=0), tmp_path / "m.nless", metadata=["a"])  # type: ignore[arg-type]
