"""ONNX out and in: :func:`export` writes a :class:`~neuronless.model.Model` (or a bare
:class:`~neuronless.network.Network`) as an ONNX graph; :func:`load` reads one back.

Both need the ``onnx`` extra (``pip install neuronless[onnx]``): ``import neuronless.onnx``
imports ``onnx`` (an ImportError without it), never ``onnxruntime``. :func:`load` lives in
:mod:`neuronless.onnx.load` and is imported on first use.
"""

from __future__ import annotations

from typing import Any

from .export import DEFAULT_OPSET, EXPORTABLE, ExportError, export, to_proto

__all__ = ["DEFAULT_OPSET", "EXPORTABLE", "ExportError", "export", "load", "to_proto"]


def __getattr__(name: str) -> Any:
    if name == "load":
        from importlib import import_module

        value = import_module(".load", __name__).load
        globals()["load"] = value
        return value
    raise AttributeError(f"module 'neuronless.onnx' has no attribute {name!r}")
