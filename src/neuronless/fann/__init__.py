"""FANN compatibility: FANN's ``.net`` files, its training algorithms and cascade training.

Contract: everything a FANN (libfann 2.2) user needs to bring their nets and habits over,
under one name: FANN's activation functions (:mod:`neuronless.fann.activations`, registered
in :data:`neuronless.ACTIVATIONS` by ``import neuronless``), ``.net`` files (:func:`load_net`,
:func:`save_net`, :class:`FannNet`, :class:`FannScaling`; :mod:`neuronless.fann.net` reads,
:mod:`neuronless.fann.net_write` writes), ``.data`` files (:func:`read_fann_data`,
:func:`write_fann_data`, also in :mod:`neuronless.data`), FANN's parameters with FANN's defaults (:class:`FannParams`), its
training algorithms (:class:`FannTrainer`, :class:`FannHistory`), initialisation
(:func:`init_weights`, :func:`randomize_weights`), error measures (:func:`fann_mse`,
:func:`fann_errors`), Cascade2 (:func:`cascade_train`, :class:`CascadeReport`); the one
training recipe neuronless recommends for FANN-style data is the submodule
:mod:`neuronless.fann.recommended` (``recommended()``, ``train()``, ``choose_l2()``).
Comparison against the real library lives in :mod:`neuronless.fann.libfann` (ctypes, only
when Debian's ``libfann-dev`` is installed).

The names are resolved on first use: the package imports nothing itself, so ``import
neuronless`` (which loads :mod:`neuronless.fann.activations`) stays cheap, and ``cascade`` and
``data``, which import modules of this package, cannot form a cycle.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..cascade import CascadeReport as CascadeReport
    from ..cascade import cascade_train as cascade_train
    from .data import read_fann_data as read_fann_data
    from .data import write_fann_data as write_fann_data
    from .init import init_weights as init_weights
    from .init import randomize_weights as randomize_weights
    from .metrics import fann_errors as fann_errors
    from .metrics import fann_mse as fann_mse
    from .net import FannNet as FannNet
    from .net import FannScaling as FannScaling
    from .net import load_net as load_net
    from .net_write import save_net as save_net
    from .params import FannParams as FannParams
    from .params import to_fann as to_fann
    from .params import to_neuronless as to_neuronless
    from .train import FannHistory as FannHistory
    from .train import FannTrainer as FannTrainer

_LAZY = {
    "FannParams": ".params",
    "to_fann": ".params",
    "to_neuronless": ".params",
    "FannNet": ".net",
    "FannScaling": ".net",
    "load_net": ".net",
    "save_net": ".net_write",
    "read_fann_data": ".data",
    "write_fann_data": ".data",
    "FannTrainer": ".train",
    "FannHistory": ".train",
    "init_weights": ".init",
    "randomize_weights": ".init",
    "fann_mse": ".metrics",
    "fann_errors": ".metrics",
    "cascade_train": "..cascade",
    "CascadeReport": "..cascade",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'neuronless.fann' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
