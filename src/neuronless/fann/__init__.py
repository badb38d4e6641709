"""FANN compatibility: FANN's ``.net`` files, its training algorithms and cascade training.

Contract: everything a FANN (libfann 2.2) user needs to bring their nets and habits over.
Optional comparison against the real library lives in :mod:`neuronless.fann.libfann`
(ctypes, only when Debian's ``libfann-dev`` is installed).
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name in ("cascade_train", "CascadeReport"):  # FANN's Cascade2: neuronless.cascade
        from .. import cascade

        return getattr(cascade, name)
    raise AttributeError(f"module 'neuronless.fann' has no attribute {name!r}")
