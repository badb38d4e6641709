"""FANN compatibility: FANN's ``.net`` files, its training algorithms and cascade training.

Contract: everything a FANN (libfann 2.2) user needs to bring their nets and habits over.
Optional comparison against the real library lives in :mod:`neuronless.fann.libfann`
(ctypes, only when Debian's ``libfann-dev`` is installed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported lazily below: files.fann_net imports this package's modules
    from ..files.fann_net import FannNet as FannNet
    from ..files.fann_net import FannScaling as FannScaling
    from ..files.fann_net import load_net as load_net
    from ..files.fann_net_write import save_net as save_net

_NET_FILES = ("FannNet", "FannScaling", "load_net")


def __getattr__(name: str) -> Any:
    if name in ("cascade_train", "CascadeReport"):  # FANN's Cascade2: neuronless.cascade
        from .. import cascade

        return getattr(cascade, name)
    if name in _NET_FILES:
        from ..files import fann_net

        return getattr(fann_net, name)
    if name == "save_net":
        from ..files.fann_net_write import save_net

        return save_net
    raise AttributeError(f"module 'neuronless.fann' has no attribute {name!r}")
