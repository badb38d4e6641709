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
    from .init import init_weights as init_weights
    from .init import randomize_weights as randomize_weights
    from .metrics import fann_errors as fann_errors
    from .metrics import fann_mse as fann_mse
    from .train import FannHistory as FannHistory
    from .train import FannTrainer as FannTrainer

_NET_FILES = ("FannNet", "FannScaling", "load_net")
_TRAINING = {
    "FannTrainer": ".train",
    "FannHistory": ".train",
    "init_weights": ".init",
    "randomize_weights": ".init",
    "fann_mse": ".metrics",
    "fann_errors": ".metrics",
}


def __getattr__(name: str) -> Any:
    if name in ("cascade_train", "CascadeReport"):  # FANN's Cascade2: neuronless.cascade
        from .. import cascade

        return getattr(cascade, name)
    if name in _TRAINING:  # FANN's training algorithms, init and error measures
        from importlib import import_module

        return getattr(import_module(_TRAINING[name], __name__), name)
    if name in _NET_FILES:
        from ..files import fann_net

        return getattr(fann_net, name)
    if name == "save_net":
        from ..files.fann_net_write import save_net

        return save_net
    raise AttributeError(f"module 'neuronless.fann' has no attribute {name!r}")
