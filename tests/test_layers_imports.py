"""Imports flow downward: the core modules never import each other in a circle.

The graph is read from the source with ``ast``, so it sees every import: at the top of a
module, inside a function (deferred) and under ``if TYPE_CHECKING:`` (for annotations only).
Each of those is a dependency all the same: the module cannot be read, changed or type-checked
without the other, and a deferred import is how a cycle hides.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "neuronless"
CORE = ["network", "workspace", "backprop", "gradcheck", "sensitivity", "optimizers", "fused",
        "kernels", "vecmath"]
LEAVES = ["activations", "losses", "layers", "errors"]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(source: str, name: str, is_package: bool, modules: set[str]) -> set[str]:
    """The package modules that module ``name`` imports anywhere in its ``source``."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            # "from .pkg import sub" imports the submodule sub when there is one, else pkg
            targets = [
                f"{prefix}.{alias.name}" if f"{prefix}.{alias.name}" in modules else prefix
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in modules:  # "pkg.mod.attr" -> "pkg.mod"
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in (SRC / PACKAGE).rglob("*.py")}
    return {
        name: _imports(path.read_text(encoding="utf-8"), name, path.name == "__init__.py",
                       set(files))
        for name, path in files.items()
    }


def _cycle_through(graph: dict[str, set[str]], start: str) -> list[str] | None:
    """A shortest import path from ``start`` back to itself, or None."""
    paths = [[start]]
    seen = {start}
    while paths:
        grown = []
        for path in paths:
            for nxt in sorted(graph.get(path[-1], ())):
                if nxt == start:
                    return [*path, start]
                if nxt not in seen:
                    seen.add(nxt)
                    grown.append([*path, nxt])
        paths = grown
    return None


GRAPH = _graph()


@pytest.mark.parametrize("module", CORE)
def test_no_core_module_imports_itself_back(module):
    cycle = _cycle_through(GRAPH, f"{PACKAGE}.{module}")
    assert cycle is None, " -> ".join(cycle or [])


@pytest.mark.parametrize("module", CORE + LEAVES)
def test_core_and_leaves_import_nothing_above_them(module):
    allowed = {f"{PACKAGE}.{m}" for m in (CORE + LEAVES if module in CORE else LEAVES)}
    above = GRAPH[f"{PACKAGE}.{module}"] - allowed
    assert not above, f"{module} imports {sorted(above)}"


def test_the_reader_sees_deferred_type_only_and_relative_imports():
    source = """
from typing import TYPE_CHECKING
import numpy as np
from . import layers
from .errors import ShapeError
from .files.nless import save
from .files import load

if TYPE_CHECKING:
    from .network import Network

def f():
    from .sensitivity import jacobian
    import neuronless.losses
"""
    modules = {PACKAGE, *(f"{PACKAGE}.{m}" for m in [*CORE, *LEAVES, "files", "files.nless"])}
    expected = ["layers", "errors", "files.nless", "files", "network", "sensitivity", "losses"]
    assert _imports(source, f"{PACKAGE}.explain", False, modules) == {
        f"{PACKAGE}.{m}" for m in expected
    }
    inside = _imports("from ..errors import ShapeError\nfrom . import nless", f"{PACKAGE}.files",
                      True, modules)
    assert inside == {f"{PACKAGE}.errors", f"{PACKAGE}.files.nless"}


def test_the_graph_holds_every_core_module_and_leaf():
    assert all(f"{PACKAGE}.{m}" in GRAPH for m in CORE + LEAVES)
    assert f"{PACKAGE}.network" in GRAPH[f"{PACKAGE}.backprop"]


def test_every_module_imports_first_in_a_fresh_interpreter():
    """Each module can be the first thing a program imports: an import cycle through a
    package's ``__init__`` (``neuronless.fann.data`` -> ``neuronless.data`` -> back) only
    shows when the module is imported before the rest of the package."""
    import subprocess
    import sys
    from concurrent.futures import ThreadPoolExecutor

    modules = sorted(m for m in GRAPH if not m.endswith("__main__"))

    def first_import(module: str) -> tuple[str, str]:
        done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True,
                              text=True, cwd=SRC, timeout=120)
        lines = done.stderr.strip().splitlines()
        return module, (lines[-1] if done.returncode and lines else "")

    with ThreadPoolExecutor(max_workers=4) as pool:
        failed = {m: err for m, err in pool.map(first_import, modules) if err}
    assert not failed, failed
