"""Checkpoints and resume for ``fit``: bit-identical continuation, a real SIGKILL, bad files."""

from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import neuronless as nl
from neuronless.errors import ConfigError, ModelFormatError
from neuronless.files.checkpoint import read_checkpoint


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    Y = (X[:, :1] * X[:, 1:2] > 0).astype(np.float32)
    return X, Y


CASES = [
    pytest.param(lambda: nl.Adam(0.01), None, id="adam-full-batch"),
    pytest.param(lambda: nl.IRpropPlus(), None, id="irprop+-full-batch"),
    pytest.param(lambda: nl.Momentum(0.05, 0.9), 8, id="momentum-minibatch-shuffle"),
]


@pytest.mark.parametrize(("make_optimizer", "batch_size"), CASES)
def test_resumed_fit_is_bit_identical_to_an_uninterrupted_one(make_optimizer, batch_size, tmp_path):
    X, Y = _data()
    kwargs: dict[str, Any] = {"loss": "binary_cross_entropy", "batch_size": batch_size, "seed": 3,
                              "validation_fraction": 0.25}
    straight = nl.Network.create([3, 5, 1], output="sigmoid", seed=1)
    h_straight = nl.fit(straight, X, Y, optimizer=make_optimizer(), epochs=6, **kwargs)

    path = tmp_path / "run.ckpt"
    first = nl.Network.create([3, 5, 1], output="sigmoid", seed=1)
    nl.fit(first, X, Y, optimizer=make_optimizer(), epochs=3, checkpoint=path, checkpoint_every=2,
           **kwargs)
    assert read_checkpoint(path).epochs_done == 3  # every 2 epochs, and at the end
    resumed = nl.Network.create([3, 5, 1], output="sigmoid", seed=7)  # params come from the file
    h_resumed = nl.fit(resumed, X, Y, optimizer=make_optimizer(), epochs=6, resume=path,
                       checkpoint=path, **kwargs)

    assert resumed.params.tobytes() == straight.params.tobytes()
    for name in ("epoch", "train_loss", "val_loss", "val_metrics", "learning_rate", "stopped_reason"):
        assert getattr(h_resumed, name) == getattr(h_straight, name), name
    assert len(h_resumed.time) == 6
    back = nl.load(path)  # a checkpoint is a model file too
    assert back.params.tobytes() == straight.params.tobytes()


def test_resume_keeps_early_stopping_bookkeeping(tmp_path):
    X, Y = _data()
    stop = nl.EarlyStopping(patience=3, restore_best=True)
    kwargs: dict[str, Any] = {"optimizer": nl.Adam(0.5), "batch_size": 8, "seed": 0, "early_stopping": stop}
    straight = nl.Network.create([3, 5, 1], output="sigmoid", seed=1)
    h_straight = nl.fit(straight, X, Y, epochs=40, **kwargs)
    path = tmp_path / "run.ckpt"
    net = nl.Network.create([3, 5, 1], output="sigmoid", seed=1)
    nl.fit(net, X, Y, epochs=4, checkpoint=path, checkpoint_every=1, **kwargs)
    h = nl.fit(net, X, Y, epochs=40, resume=path, **kwargs)
    assert net.params.tobytes() == straight.params.tobytes()
    assert (h.epoch, h.best_epoch, h.stopped_reason) == (
        h_straight.epoch, h_straight.best_epoch, h_straight.stopped_reason)


_TRAIN = textwrap.dedent("""
    import sys, time
    import numpy as np
    import neuronless as nl

    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 4)).astype(np.float32)
    Y = (X[:, :1] - X[:, 1:2] > 0).astype(np.float32)
    net = nl.Network.create([4, 6, 1], output="sigmoid", seed=2)
    path, epochs, delay, resume = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]

    def slow(net, history):
        time.sleep(delay)

    nl.fit(net, X, Y, optimizer=nl.Adam(0.01), epochs=epochs, batch_size=16, seed=5, threads=1,
           checkpoint=path, checkpoint_every=1, callbacks=[slow],
           resume=path if resume == "resume" else None)
    nl.save(net, path + ".final.nless")
""")


def _train(args: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-c", _TRAIN, *args], env=env, **kwargs)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")
def test_run_killed_with_sigkill_resumes_bit_identically(tmp_path):
    epochs = 30
    reference = tmp_path / "reference.ckpt"
    assert _train([str(reference), str(epochs), "0", "fresh"]).wait(timeout=120) == 0

    path = tmp_path / "run.ckpt"
    proc = _train([str(path), str(epochs), "0.05", "fresh"])
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, "the training process ended before it was killed"
            assert time.monotonic() < deadline, "no checkpoint with 2 epochs appeared"
            if path.exists() and read_checkpoint(path).epochs_done >= 2:
                break
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    killed_at = read_checkpoint(path).epochs_done  # the file is whole: saves are atomic
    assert 2 <= killed_at < epochs

    assert _train([str(path), str(epochs), "0", "resume"]).wait(timeout=120) == 0
    done = read_checkpoint(path)
    assert done.epochs_done == epochs
    assert done.history["epoch"] == list(range(epochs))
    want = nl.load(str(reference) + ".final.nless").params
    assert nl.load(str(path) + ".final.nless").params.tobytes() == want.tobytes()
    assert done.history["train_loss"] == read_checkpoint(reference).history["train_loss"]


@pytest.fixture
def checkpoint_file(tmp_path: Path) -> Path:
    X, Y = _data()
    path = tmp_path / "run.ckpt"
    net = nl.Network.create([3, 5, 1], output="sigmoid", seed=1)
    nl.fit(net, X, Y, optimizer=nl.Adam(0.01), epochs=2, batch_size=8, seed=0, checkpoint=path)
    return path


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"sizes": [3, 6, 1]}, "network sizes"),
        ({"optimizer": "sgd"}, "optimizer 'Adam'"),
        ({"optimizer": nl.Adam(0.02)}, "optimizer hyperparameters"),
        ({"loss": "mse"}, "loss 'binary_cross_entropy'"),
        ({"batch_size": 4}, "batch_size 8"),
        ({"l2": 0.1}, "l2"),
        ({"epochs": 1}, "epochs must be at least 2"),
    ],
)
def test_mismatched_resume_raises_config_error(checkpoint_file, change, match):
    X, Y = _data()
    net = nl.Network.create(change.pop("sizes", [3, 5, 1]), output="sigmoid", seed=1)
    kwargs: dict[str, Any] = {"optimizer": nl.Adam(0.01), "epochs": 4, "batch_size": 8, "seed": 0}
    kwargs.update(change)
    before = net.params.copy()
    with pytest.raises(ConfigError, match=match):
        nl.fit(net, X, Y, resume=checkpoint_file, **kwargs)
    assert net.params.tobytes() == before.tobytes()  # nothing was touched


def test_resume_from_a_plain_model_file_is_a_format_error(tmp_path):
    X, Y = _data()
    net = nl.Network.create([3, 5, 1], output="sigmoid", seed=1)
    nl.save(net, tmp_path / "model.nless")
    with pytest.raises(ModelFormatError, match="not a training checkpoint"):
        nl.fit(net, X, Y, resume=tmp_path / "model.nless")
    with pytest.raises(FileNotFoundError):
        nl.fit(net, X, Y, resume=tmp_path / "missing.ckpt")


def test_checkpoint_arguments_are_checked(tmp_path):
    X, Y = _data()
    net = nl.Network.create([3, 5, 1], output="sigmoid", seed=1)
    with pytest.raises(ConfigError, match="checkpoint_every"):
        nl.fit(net, X, Y, checkpoint=tmp_path / "c", checkpoint_every=0)


def _rewrite_header(path: Path, edit: Any) -> bytes:
    raw = path.read_bytes()
    n = struct.unpack("<Q", raw[8:16])[0]
    header = json.loads(raw[16 : 16 + n])
    edit(header)
    text = json.dumps(header).encode()
    text += b" " * (-(16 + len(text)) % 8)  # array offsets count from the data section
    return raw[:8] + struct.pack("<Q", len(text)) + text + raw[16 + n :]


def _set(*keys: str, value: Any) -> Any:
    def edit(h: dict[str, Any]) -> None:
        for k in keys[:-1]:
            h = h[k]
        h[keys[-1]] = value
    return edit


def _drop(*keys: str) -> Any:
    def edit(h: dict[str, Any]) -> None:
        for k in keys[:-1]:
            h = h[k]
        del h[keys[-1]]
    return edit


@pytest.mark.parametrize(
    "edit",
    [
        _set("checkpoint", "epochs_done", value="3"),
        _set("checkpoint", "epochs_done", value=5),
        _set("checkpoint", "kind", value="cascade"),
        _drop("checkpoint", "rng"),
        _set("checkpoint", "rng", "state", value={"state": "x", "inc": 1}),
        _set("checkpoint", "rng", "bit_generator", value="os.system"),
        _set("checkpoint", "optimizer_state", "scalars", value={"x": 1.0}),
        _set("checkpoint", "optimizer_state", "arrays", value=["m", "v"]),
        _set("checkpoint", "optimizer_state", "t", value=-1),
        _set("checkpoint", "history", "train_loss", value=["0x1p+0"] * 9),
        _set("checkpoint", "history", "val_metrics", value=[]),
        _set("checkpoint", "early_stopping", "best", value=1e999),
        _set("checkpoint", value=[]),
        _set("arrays", "state.m", "dtype", value="<i8"),
        _set("arrays", "best_params", value={"dtype": "<f4", "shape": [0], "offsets": [0, 0]}),
        _set("arrays", "state.__import__", value={"dtype": "<f4", "shape": [0], "offsets": [0, 0]}),
    ],
)
def test_corrupted_checkpoint_raises_model_format_error_only(checkpoint_file, edit):
    checkpoint_file.write_bytes(_rewrite_header(checkpoint_file, edit))
    with pytest.raises(ModelFormatError):
        read_checkpoint(checkpoint_file)


def test_random_byte_damage_raises_model_format_error_only(checkpoint_file):
    good = checkpoint_file.read_bytes()
    n = struct.unpack("<Q", good[8:16])[0]
    rng = np.random.default_rng(1)
    for _ in range(200):
        bad = bytearray(good)
        for i in rng.integers(0, 16 + n, size=int(rng.integers(1, 4))):
            bad[i] = int(rng.integers(0, 256))
        checkpoint_file.write_bytes(bytes(bad[: int(rng.integers(len(bad) // 2, len(bad) + 1))]))
        try:
            read_checkpoint(checkpoint_file)
        except ModelFormatError:
            pass


def test_plain_model_file_cannot_smuggle_checkpoint_arrays(tmp_path):
    net = nl.Network.create([3, 5, 1], seed=1)
    path = tmp_path / "m.nless"
    nl.save(net, path)

    def add_array(h: dict[str, Any]) -> None:
        h["arrays"]["best_params"] = {"dtype": "<f4", "shape": [0], "offsets": [0, 0]}

    path.write_bytes(_rewrite_header(path, add_array))
    with pytest.raises(ModelFormatError, match="unknown field"):
        nl.load(path)


def test_optimizer_state_that_does_not_fit_the_network_is_a_format_error(checkpoint_file):
    edit = _set("checkpoint", "optimizer_state", "scalars", value={"prev_loss": "0x1p+0"})
    checkpoint_file.write_bytes(_rewrite_header(checkpoint_file, edit))
    X, Y = _data()
    net = nl.Network.create([3, 5, 1], output="sigmoid", seed=1)
    with pytest.raises(ModelFormatError, match="optimizer state does not fit"):
        nl.fit(net, X, Y, optimizer=nl.Adam(0.01), epochs=4, batch_size=8, resume=checkpoint_file)
