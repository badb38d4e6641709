"""The command line starts quickly: ``--help`` and ``predict`` import no heavy module.

Nothing here is timed (``benchmarks/startup.py`` times it). Each check runs the command in a
fresh interpreter and lists the modules it imported, so a heavy import that creeps back onto
either path (scipy, plotting, progress bars, data frames, training, FANN's algorithms) fails a
test instead of slowing every command down.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import neuronless
from neuronless.cli import main

#: never needed to show the help or to predict from a model and a small CSV
HEAVY = ("scipy", "matplotlib", "tqdm", "pandas", "pyarrow", "sklearn", "numba",
         "neuronless.fann.train", "neuronless.cascade")
#: all that building the parser may import of neuronless: the activation and loss tables
PARSER_MODULES = {"neuronless", "neuronless.errors", "neuronless.activations", "neuronless.losses",
                  "neuronless.fann", "neuronless.fann.activations", "neuronless.cli",
                  "neuronless.cli._common"}

_PROBE = """
import contextlib, io, json, sys
from neuronless.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""
# the same neuronless as this test process, wherever it was imported from
_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(
    [str(Path(neuronless.__file__).parents[1]), *filter(None, [os.environ.get("PYTHONPATH")])]
)}


def _imported(*argv: str) -> set[str]:
    """The modules ``neuronless ARGV...`` imported, run in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", _PROBE, *argv], env=_ENV, capture_output=True,
                          text=True, check=True)
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["code"] == 0, done.stderr
    return set(result["modules"])


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m in HEAVY or m.startswith(tuple(h + "." for h in HEAVY)))


def test_help_imports_only_the_parser_and_its_tables():
    modules = _imported("--help")
    assert _heavy(modules) == []
    assert {m for m in modules if m.startswith("neuronless")} <= PARSER_MODULES


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    """A model trained on a 40-row CSV with a yes/no label (a sigmoid output) and 5 new rows."""
    folder = tmp_path_factory.mktemp("startup")
    rows = [(i % 7 - 3.0, (i * 5) % 11 - 5.0) for i in range(40)]
    (folder / "train.csv").write_text(
        "a,b,label\n" + "".join(f"{a},{b},{'yes' if a + b > 0 else 'no'}\n" for a, b in rows)
    )
    (folder / "new.csv").write_text("a,b\n" + "".join(f"{a},{b}\n" for a, b in rows[:5]))
    model = folder / "model.nless"
    assert main(["train", str(folder / "train.csv"), "-o", str(model), "--epochs", "2"]) == 0
    return model, folder / "new.csv"


def test_predict_imports_no_heavy_module(small_model, capsys):
    model, new = small_model
    capsys.readouterr()  # training's progress lines
    modules = _imported("predict", str(model), str(new))
    assert _heavy(modules) == []


def test_python_dash_m_runs_the_command_line():
    done = subprocess.run([sys.executable, "-m", "neuronless", "--help"], env=_ENV,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: neuronless")


def test_the_console_script_is_the_cli_main():
    try:
        (entry,) = importlib.metadata.entry_points(group="console_scripts", name="neuronless")
    except ValueError:
        pytest.skip("neuronless is not installed (no console script)")
    assert entry.value == "neuronless.cli:main"
    assert entry.load() is main
    script = Path(sys.executable).with_name("neuronless")
    if script.exists():
        done = subprocess.run([str(script), "--help"], env=_ENV, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("usage: neuronless")


def test_the_package_pickles_by_name_so_functions_using_it_travel():
    # a function that uses ``nl.`` is sent to Dask workers and process pools by cloudpickle,
    # which pickles the module it refers to; the package's own module type must pickle too
    import pickle

    import neuronless as nl

    assert pickle.loads(pickle.dumps(nl)) is nl
    cloudpickle = pytest.importorskip("cloudpickle")

    def uses_the_package():
        return nl.Network.create([2, 1], "linear", seed=0).n_inputs

    assert cloudpickle.loads(cloudpickle.dumps(uses_the_package))() == 2
