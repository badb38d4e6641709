"""Plots (matplotlib) and the draw/plot commands: files appear, are non-blank and reproducible."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from matplotlib.image import imread

from neuronless import Network
from neuronless.cli import main
from neuronless.errors import ConfigError, ShapeError
from neuronless.plots import plot_boundary, plot_curves, plot_hidden, plot_weights
from neuronless.training import History


def _non_blank(path: Path) -> None:
    assert float(np.var(imread(path))) > 0


def test_plot_weights_is_non_blank_and_byte_identical(tmp_path: Path) -> None:
    net = Network.create([3, 4, 2], seed=0)
    plot_weights(net, tmp_path / "a.png")
    plot_weights(net, tmp_path / "b.png")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    _non_blank(tmp_path / "a.png")
    plot_weights(net, tmp_path / "a.svg")
    plot_weights(net, tmp_path / "b.svg")
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()


def test_plot_hidden_infers_square_images(tmp_path: Path) -> None:
    plot_hidden(Network.create([64, 5, 10], seed=0), tmp_path / "h.png")
    _non_blank(tmp_path / "h.png")
    with pytest.raises(ShapeError, match="square"):
        plot_hidden(Network.create([10, 3, 2], seed=0), tmp_path / "x.png")
    plot_hidden(Network.create([10, 3, 2], seed=0), tmp_path / "r.png", image_shape=(2, 5))
    assert not (tmp_path / "x.png").exists()


def test_plot_curves_from_history_or_dict(tmp_path: Path) -> None:
    h = History(epoch=[0, 1, 2], train_loss=[1.0, 0.5, 0.3], val_loss=[1.1, 0.7, 0.6],
                val_metrics={"accuracy": [0.4, 0.6, 0.8]})
    plot_curves(h, tmp_path / "c.png")
    _non_blank(tmp_path / "c.png")
    plot_curves({"train_loss": [2.0, 1.0]}, tmp_path / "d.png")
    with pytest.raises(ConfigError, match="train_loss"):
        plot_curves(History(), tmp_path / "e.png")


def test_plot_boundary_for_a_network(tmp_path: Path, rng: np.random.Generator) -> None:
    net = Network.create([2, 5, 3], output="softmax", seed=0)
    X = rng.normal(size=(30, 2))
    plot_boundary(net, X, np.arange(30) % 3, tmp_path / "b.png")
    _non_blank(tmp_path / "b.png")
    with pytest.raises(ShapeError, match="two features"):
        plot_boundary(net, rng.normal(size=(5, 3)), np.zeros(5), tmp_path / "x.png")
    with pytest.raises(ConfigError, match=r"\.png"):
        plot_weights(net, tmp_path / "w.jpg")


# ---------------------------------------------------------------------------- CLI
@pytest.fixture
def blobs_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(-1, 0.5, size=(30, 2)), rng.normal(1, 0.5, size=(30, 2))])
    labels = ["a"] * 30 + ["b"] * 30
    data = tmp_path / "blobs.csv"
    data.write_text("u,v,cls\n" + "".join(f"{x[0]},{x[1]},{c}\n" for x, c in zip(X, labels, strict=True)),
                    encoding="utf-8")
    model = tmp_path / "blobs.nless"
    assert main(["train", str(data), "-o", str(model), "--layers", "3", "--epochs", "10"]) == 0
    capsys.readouterr()
    return model, data


def test_cli_draw_svg_with_sample(blobs_model: tuple[Path, Path], tmp_path: Path) -> None:
    model, data = blobs_model
    out = tmp_path / "net.svg"
    assert main(["draw", str(model), "-o", str(out), "--sample", f"{data}:0"]) == 0
    root = ET.fromstring(out.read_text(encoding="utf-8"))
    circles = list(root.iter("{http://www.w3.org/2000/svg}circle"))
    assert len(circles) == 2 + 3 + 1
    assert all(c.get("data-activation") is not None for c in circles)
    assert main(["draw", str(model), "-o", str(tmp_path / "net.png"), "--max-units", "2"]) == 0
    _non_blank(tmp_path / "net.png")


@pytest.mark.parametrize("what", ["curves", "weights", "boundary"])
def test_cli_plot_happy_paths(blobs_model: tuple[Path, Path], tmp_path: Path, what: str) -> None:
    model, data = blobs_model
    out = tmp_path / f"{what}.png"
    extra = ["--data", str(data)] if what == "boundary" else []
    assert main(["plot", str(model), "--what", what, "-o", str(out), *extra]) == 0
    _non_blank(out)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["draw", "{model}", "-o", "{tmp}/x.jpg"], ".svg or .png"),
        (["draw", "{model}", "-o", "{tmp}/x.svg", "--sample", "nocolon"], "DATA:ROW"),
        (["draw", "{model}", "-o", "{tmp}/x.svg", "--sample", "{data}:999"], "row 999"),
        (["draw", "{tmp}/missing.nless", "-o", "{tmp}/x.svg"], "missing.nless"),
        (["plot", "{model}", "--what", "boundary", "-o", "{tmp}/x.png"], "--data"),
        (["plot", "{model}", "--what", "hidden", "-o", "{tmp}/x.png"], "square"),
        (["plot", "{model}", "--what", "weights", "-o", "{tmp}/x.gif"], ".png"),
    ],
)
def test_cli_errors_are_one_line_and_write_nothing(
    blobs_model: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
    args: list[str], message: str,
) -> None:
    model, data = blobs_model
    argv = [a.format(model=model, data=data, tmp=tmp_path) for a in args]
    before = set(tmp_path.iterdir())
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert message in err
    assert set(tmp_path.iterdir()) == before
