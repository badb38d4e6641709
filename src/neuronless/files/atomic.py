"""Atomic file writes: the target holds the old content or the new, never a mix.

Contract: :func:`atomic_path` yields a temporary path in the target's own folder (so the final
rename stays on one file system); when the block succeeds the file is given the permissions
the target had (or, for a new file, what ``open`` would give it), flushed to disk with
``fsync``, renamed over the target with ``os.replace`` and the folder is synced so the rename
itself is durable. When the block fails the temporary file is removed and the target is
untouched. A process killed in between leaves at most that one ``.<name>.<random>.tmp`` file.
Every file neuronless writes (models, checkpoints, predictions, FANN data, SVG, plots) goes
through here.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator

__all__ = ["atomic_path", "write_atomic"]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


FILE_MODE = 0o666 & ~_umask()  # read once, at import: os.umask can only be read by setting it


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[str]:
    """Yield a temporary path to write; on success it replaces ``target`` atomically."""
    import tempfile  # here: tempfile imports shutil and random, and loading a model never writes

    target = os.fspath(target)
    directory = os.path.dirname(os.path.abspath(target))
    try:
        mode = os.stat(target).st_mode & 0o7777  # keep an existing file's permissions
    except OSError:
        mode = FILE_MODE
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(target)}.",
                               suffix=".tmp")
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            if hasattr(os, "fchmod"):  # not on Windows
                os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def write_atomic(target: str | os.PathLike[str], data: bytes | str | Iterable[bytes | memoryview]) -> None:
    """Write ``data`` (bytes, text as UTF-8, or byte chunks) to ``target`` atomically."""
    chunks: Iterable[bytes | memoryview]
    if isinstance(data, str):
        chunks = [data.encode("utf-8")]
    elif isinstance(data, bytes):
        chunks = [data]
    else:
        chunks = data
    with atomic_path(target) as tmp, open(tmp, "wb") as f:
        for chunk in chunks:
            f.write(chunk)


def _fsync_directory(directory: str) -> None:
    # makes the rename itself durable; not possible on every platform (Windows): best effort
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
