"""An uploaded CSV, checked and read through the pipeline's reader and encoders.

Contract: :func:`read_upload` takes the raw bytes the browser sent, the file name it gave
(shown in messages only, never used as a path) and the target column; it refuses binary
data, text that is neither UTF-8 nor UTF-16 with a byte-order mark, over-long lines and a
missing target with one :class:`~neuronless.web.session.SessionError` sentence each, writes the
text to a private temporary file and returns :func:`neuronless.pipeline.prepare`'s rows with
the text (for the exported script).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from ..errors import NeuronlessError
from ..pipeline import Prepared, prepare
from .config import CAPS
from .session import SessionError

#: the longest line a playground CSV may have
MAX_LINE_BYTES = 1024 * 1024


def _decode(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise SessionError(f"{name} starts like UTF-16 text but byte {exc.start} is not; save "
                               "it as UTF-8 CSV and upload it again.") from exc
    if b"\x00" in data[:65536]:
        raise SessionError(f"{name} looks binary (it holds NUL bytes), not CSV text; upload a "
                           "comma-separated text file.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SessionError(f"{name} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
                           f"{exc.start}); save it as UTF-8 CSV (\"CSV UTF-8\" in spreadsheet "
                           "programs) and upload it again.") from exc


def read_upload(data: bytes, filename: str, target: str) -> tuple[Prepared, str]:
    name = re.sub(r"[^\w.\- ]", "_", Path(filename or "upload.csv").name)[:80] or "upload.csv"
    if not data.strip():
        raise SessionError(f"{name} is empty; upload a CSV file with a header row and data rows.")
    if not target or not target.strip():
        raise SessionError("no target column given; choose the column to predict and upload "
                           "again.")
    text = _decode(data, name)
    longest = max((len(line) for line in text.splitlines()), default=0)
    if longest > MAX_LINE_BYTES:
        raise SessionError(f"{name} has a line of {longest} characters, more than "
                           f"{MAX_LINE_BYTES} allowed; is it really a CSV file with one row per "
                           "line?")
    with tempfile.TemporaryDirectory(prefix="neuronless-upload-") as tmp:
        path = Path(tmp) / "upload.csv"
        path.write_text(text, encoding="utf-8")
        try:
            prep = prepare(str(path), target.strip())
        except NeuronlessError as exc:
            raise SessionError(str(exc).replace(str(path), name)) from exc
        except (ValueError, TypeError, OSError) as exc:
            raise SessionError(f"could not read {name} as CSV: "
                               f"{str(exc).replace(str(path), name)}") from exc
    prep.source = name
    if prep.X.shape[1] == 0:
        raise SessionError(f"{name} has no feature columns besides the target {target!r}.")
    if prep.X.shape[1] > CAPS["upload_features"]:
        raise SessionError(f"{name} encodes to {prep.X.shape[1]} input columns, more than the "
                           f"playground's {CAPS['upload_features']}; drop some columns (text "
                           "columns with many values become many one-hot inputs).")
    return prep, text
