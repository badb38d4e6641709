"""Network diagrams: the SVG is read back with ElementTree and checked against the weights."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from neuronless import Network
from neuronless.diagrams import MAX_STROKE, NEGATIVE, POSITIVE, ZERO, network_png, network_svg
from neuronless.errors import ConfigError, ShapeError

NS = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def _lines(root: ET.Element) -> list[ET.Element]:
    return [e for e in root.iter(f"{NS}line") if "weight" in e.get("class", "").split()]


def _units(root: ET.Element) -> list[ET.Element]:
    return [e for e in root.iter(f"{NS}circle") if e.get("class") == "unit"]


def _hand_net() -> Network:
    W0 = np.array([[1.0, -2.0], [0.5, 0.0], [-0.25, 4.0]])  # 2 inputs + bias -> 2 units
    W1 = np.array([[3.0], [-1.5], [0.75]])  # 2 hidden + bias -> 1 unit
    return Network.from_weights([W0, W1], ["tanh", "identity"])


def test_counts_units_weights_and_biases() -> None:
    root = _parse(network_svg(_hand_net()))
    assert len(_units(root)) == 2 + 2 + 1
    assert len(_lines(root)) == 3 * 2 + 3 * 1  # every entry of every matrix, biases included
    biases = [e for e in root.iter(f"{NS}rect") if e.get("class") == "bias"]
    assert sorted(b.get("data-layer") for b in biases) == ["0", "1"]


def test_colour_is_sign_and_width_is_proportional_to_abs_weight() -> None:
    net = _hand_net()
    for line in _lines(_parse(network_svg(net))):
        k, r, c = (int(line.get(a, "")) for a in ("data-layer", "data-row", "data-col"))
        w = float(net.weights[k][r, c])
        assert float(line.get("data-weight", "nan")) == w
        expected = POSITIVE if w > 0 else NEGATIVE if w < 0 else ZERO
        assert line.get("stroke") == expected
        if w != 0:
            wmax = np.abs(net.weights[k]).max()  # 4.0 for weights[0], 3.0 for weights[1]
            assert float(line.get("stroke-width", "nan")) == pytest.approx(
                MAX_STROKE * abs(w) / wmax, abs=1e-3
            )
    widths = {(ln.get("data-layer"), ln.get("data-row"), ln.get("data-col")): ln.get("stroke-width")
              for ln in _lines(_parse(network_svg(net)))}
    assert widths[("0", "2", "1")] == "4.000"  # the largest |w| of weights[0] (4.0)
    assert widths[("0", "0", "0")] == "1.000"  # 4 * 1.0 / 4.0
    assert widths[("1", "1", "0")] == "2.000"  # 4 * 1.5 / 3.0


def test_masked_connections_are_not_drawn() -> None:
    net = _hand_net()
    masks = [np.ones((3, 2), bool), np.ones((3, 1), bool)]
    masks[0][0, 1] = False
    masks[1][1, 0] = False
    net.set_masks(masks)
    lines = _lines(_parse(network_svg(net)))
    assert len(lines) == 9 - 2
    drawn = {(ln.get("data-layer"), ln.get("data-row"), ln.get("data-col")) for ln in lines}
    assert ("0", "0", "1") not in drawn
    assert ("1", "1", "0") not in drawn


def test_shortcut_network_draws_the_extra_connections() -> None:
    net = Network.create([3, 4, 2], seed=0, shortcut=True)
    root = _parse(network_svg(net))
    lines = _lines(root)
    assert len(lines) == (3 + 1) * 4 + (3 + 4 + 1) * 2
    shortcut = [ln for ln in lines if "shortcut" in ln.get("class", "")]
    assert len(shortcut) == 3 * 2  # input -> output
    assert all(ln.get("data-layer") == "1" and int(ln.get("data-row", "9")) < 3 for ln in shortcut)


def test_wide_layer_is_elided_with_a_note() -> None:
    net = Network.create([3, 100, 2], seed=0)
    root = _parse(network_svg(net, max_units=16))
    assert len(_units(root)) == 3 + 16 + 2
    elided = [e for e in root.iter(f"{NS}text") if e.get("class") == "elided"]
    assert len(elided) == 1
    assert elided[0].get("data-hidden") == "84"
    assert "84 more" in (elided[0].text or "")
    notes = " ".join(e.text or "" for e in root.iter(f"{NS}text") if e.get("class") == "note")
    assert "100 units" in notes
    assert "84 elided" in notes
    assert len(_lines(root)) == (3 + 1) * 16 + (16 + 1) * 2  # only edges between drawn units


def test_sample_annotations_match_the_trace() -> None:
    net = _hand_net()
    x = np.array([0.3, -0.7])
    t = net.trace(x.reshape(1, -1))
    expected = {0: x, 1: t.layers[0].a[0], 2: t.layers[1].a[0]}
    units = _units(_parse(network_svg(net, sample=x)))
    assert len(units) == 5
    for u in units:
        layer, i = int(u.get("data-layer", "")), int(u.get("data-unit", ""))
        assert float(u.get("data-activation", "nan")) == pytest.approx(expected[layer][i])
    with pytest.raises(ShapeError, match="one row"):
        network_svg(net, sample=np.zeros((2, 2)))


def test_svg_is_deterministic() -> None:
    net = Network.create([4, 20, 3], seed=1)
    assert network_svg(net, sample=np.ones(4)) == network_svg(net, sample=np.ones(4))


def test_bad_arguments_raise_config_error() -> None:
    with pytest.raises(ConfigError, match="max_units"):
        network_svg(_hand_net(), max_units=1)
    with pytest.raises(ConfigError, match="Network"):
        network_svg("not a net")  # type: ignore[arg-type]


def test_png_is_written_non_blank_and_reproducible(tmp_path: Path) -> None:
    mpimg = pytest.importorskip("matplotlib.image")
    net = Network.create([3, 5, 2], seed=0)
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    network_png(net, a, sample=[0.1, 0.2, 0.3])
    network_png(net, b, sample=[0.1, 0.2, 0.3])
    assert a.read_bytes() == b.read_bytes()
    assert float(np.var(mpimg.imread(a))) > 0
