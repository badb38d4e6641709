"""Atomic writes: new files get open()'s permissions, old files keep theirs, failures leave no trace."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from neuronless.files.atomic import FILE_MODE, atomic_path, write_atomic


def test_new_file_gets_the_mode_open_would_give(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    write_atomic(target, "a,b\n1,2\n")
    assert target.read_text() == "a,b\n1,2\n"
    assert stat.S_IMODE(target.stat().st_mode) == FILE_MODE
    plain = tmp_path / "plain.csv"
    plain.write_text("x")
    assert FILE_MODE == stat.S_IMODE(plain.stat().st_mode)


def test_existing_file_keeps_its_mode_and_gets_the_new_content(tmp_path: Path) -> None:
    target = tmp_path / "model.bin"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    write_atomic(target, [b"ne", memoryview(b"w")])
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_failing_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "keep.txt"
    target.write_text("old")

    def write_half_then_fail() -> None:
        with atomic_path(target) as tmp:
            Path(tmp).write_text("half")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        write_half_then_fail()
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]
