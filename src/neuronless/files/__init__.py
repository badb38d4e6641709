"""Model files. ``nless``: the native format, a JSON header and raw arrays (no pickle)."""

from __future__ import annotations

from .nless import load, load_with_metadata, save

__all__ = ["load", "load_with_metadata", "save"]
