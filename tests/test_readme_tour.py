"""The README's shell tour runs as written, on the messy table shipped in tests/data/."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pytest

from neuronless.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _tour() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- shell tour: tests/test_readme_tour.py runs these lines -->")[1]
    block = block.split("<!-- end of shell tour -->")[0]
    lines = [ln for ln in block.splitlines() if ln.startswith("neuronless ")]
    return [shlex.split(ln.split("  #")[0])[1:] for ln in lines]


def test_the_tour_has_every_verb():
    assert [argv[0] for argv in _tour()] == ["train", "info", "predict", "evaluate", "explain",
                                             "draw"]


def test_readme_shell_tour_runs(tmp_path, monkeypatch, capsys):
    (tmp_path / "tests" / "data").mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "data" / "orchard.csv", tmp_path / "tests" / "data")
    monkeypatch.chdir(tmp_path)
    outputs = {}
    for argv in _tour():
        code = main(argv)
        captured = capsys.readouterr()
        assert code == 0, (argv, captured.err)
        outputs[argv[0]] = captured
    assert "note: column 'tree_id' looks like an identifier" in outputs["train"].err
    assert "note: 4 row(s) have no value in the target column 'harvest'" in outputs["train"].err
    assert "variety: categorical, one-hot over 5 ((missing), Fuji, Gala, Granny Smith, " \
           "Honeycrisp)" in outputs["info"].out
    assert "tree_id: left out" in outputs["info"].out
    predictions = (tmp_path / "harvest.csv").read_text().splitlines()
    assert predictions[0] == "harvest"
    assert len(predictions) == 241
    assert set(predictions[1:]) <= {"high", "low", "medium"}
    explained = outputs["explain"].out
    assert explained.index("[raw]") < explained.index("[encode]") < explained.index("[scale]") \
        < explained.index("[forward layer 0]")
    # sample 3 is the file's fifth line: T1111,,South,11,2.70,6.70,true,high
    assert "variety = (missing)" in explained
    assert "region = 'South'" in explained
    assert "age_years = 11" in explained
    assert "irrigated = True" in explained
    svg = (tmp_path / "orchard.svg").read_text()
    assert ">variety=Fuji</text>" in svg
    assert ">high</text>" in svg


@pytest.mark.parametrize("verb", ["predict", "explain"])
def test_tour_commands_refuse_a_table_without_a_column(tmp_path, monkeypatch, capsys, verb):
    monkeypatch.chdir(tmp_path)
    shutil.copy(ROOT / "tests" / "data" / "orchard.csv", tmp_path)
    assert main(["train", "orchard.csv", "--target", "harvest", "--epochs", "2",
                 "-o", "m.nless"]) == 0
    lines = (tmp_path / "orchard.csv").read_text().splitlines()
    header = lines[0].split(",")
    j = header.index("soil_ph")
    cut = [",".join(c for k, c in enumerate(ln.split(",")) if k != j) for ln in lines]
    (tmp_path / "cut.csv").write_text("\n".join(cut) + "\n")
    capsys.readouterr()
    assert main([verb, "m.nless", "cut.csv"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "has no column 'soil_ph'" in err
