"""Pictures of a Network's matrices: SVG text written here (NumPy only), PNG via matplotlib.

Contract: :func:`network_svg` turns a :class:`~neuronless.network.Network` into SVG text with
one circle per unit (input, hidden..., output), one small square labelled "1" per bias (the
last row of ``weights[k]``, drawn in layer ``k`` and feeding layer ``k + 1``) and one arrow per
existing connection: entry ``weights[k][row, col]`` runs from the ``row``-th input of layer
``k + 1`` to its unit ``col``. With ``shortcut=True`` the rows of ``weights[k]`` are the network
input and every earlier layer, so the extra connections are drawn too; masked connections are
not drawn at all.

An arrow's colour is the weight's sign (:data:`POSITIVE`, :data:`NEGATIVE`, grey
:data:`ZERO`); its stroke width is ``MAX_STROKE * |w| / max|weights[k]|`` (the largest
absolute entry of the same matrix, bias row included, draws :data:`MAX_STROKE` wide); a zero
weight is a grey hairline of :data:`ZERO_STROKE`. Every element carries ``data-*`` attributes
(``data-layer``, ``data-row``, ``data-col``, ``data-weight``, ``data-unit``,
``data-activation``) holding exact values (``repr`` of the float) so a program can read the
picture back. Layers wider than ``max_units`` show their first and last units with a
"… N more" marker between them and a note at the bottom; connections of hidden units are left
out. The output is deterministic: the same network gives the same bytes (no dates, no random
ids, fixed number formatting).

This module never changes the network and never imports matplotlib at import time.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
from numpy.typing import NDArray

from .errors import ConfigError, ShapeError
from .network import Network

Array = NDArray[Any]

POSITIVE = "#2166ac"  # blue: an excitatory weight
NEGATIVE = "#b2182b"  # red: an inhibitory weight
ZERO = "#999999"
MAX_STROKE = 4.0  # width of the largest |w| of a matrix, in SVG user units (pixels)
ZERO_STROKE = 0.5
UNIT_RADIUS = 14.0
BIAS_SIZE = 16.0
ROW_HEIGHT = 44.0
MARGIN = 60.0
DEFAULT_MAX_UNITS = 16
LABEL_CHARS = 24  # longer unit labels are cut with an ellipsis
CHAR_WIDTH = 6.0  # pixels per label character at font size 11, for the margins

__all__ = ["network_png", "network_svg"]


# ---------------------------------------------------------------------------- layout
@dataclass(frozen=True)
class _Unit:
    layer: int  # 0 is the input layer
    index: int
    x: float
    y: float
    activation: float | None
    label: str | None = None  # a feature name (inputs) or class name (outputs)


@dataclass(frozen=True)
class _Bias:
    layer: int  # the bias row of weights[layer]
    x: float
    y: float


@dataclass(frozen=True)
class _Edge:
    layer: int  # weights[layer]
    row: int
    col: int
    weight: float
    width: float
    colour: str
    shortcut: bool
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True)
class _Elision:
    layer: int
    hidden: int
    x: float
    y: float


@dataclass(frozen=True)
class _Diagram:
    width: float
    height: float
    units: list[_Unit]
    biases: list[_Bias]
    edges: list[_Edge]
    elisions: list[_Elision]
    notes: list[str]
    titles: list[tuple[float, str]]


def _shown(n: int, max_units: int) -> list[int | None]:
    """Unit indices drawn for a layer of ``n`` units; ``None`` marks the elision."""
    if n <= max_units:
        return list(range(n))
    head = max_units - max_units // 2
    tail = max_units // 2
    return [*range(head), None, *range(n - tail, n)]


def _sample_activations(net: Network, sample: Any) -> list[Array] | None:
    if sample is None:
        return None
    x = np.asarray(sample)
    if x.ndim == 2 and x.shape[0] != 1:
        raise ShapeError(
            f"sample must be one row of {net.n_inputs} features; got shape {x.shape}. "
            "Pass X[i] or X[i:i + 1]."
        )
    t = net.trace(x.reshape(1, -1) if x.ndim == 1 else x)
    return [np.asarray(t.layers[0].input[0, : net.n_inputs], dtype=np.float64)] + [
        np.asarray(layer.a[0], dtype=np.float64) for layer in t.layers
    ]


def _labels(names: Sequence[Any] | None, n: int, what: str) -> list[str] | None:
    if names is None:
        return None
    out = [str(v) for v in names]
    if len(out) != n:
        raise ConfigError(f"{what} must have one name per unit ({n}); got {len(out)}.")
    return [v if len(v) <= LABEL_CHARS else v[: LABEL_CHARS - 1] + "…" for v in out]


def _layout(net: Network, sample: Any, max_units: int, width: float,
            input_names: Sequence[Any] | None = None,
            output_names: Sequence[Any] | None = None) -> _Diagram:
    if not isinstance(net, Network):
        raise ConfigError(f"net must be a neuronless Network; got {type(net).__name__}.")
    if int(max_units) != max_units or max_units < 2:
        raise ConfigError(f"max_units must be an integer of at least 2; got {max_units!r}.")
    if not (np.isfinite(width) and width >= 200):
        raise ConfigError(f"width must be a number of at least 200 pixels; got {width!r}.")
    acts = _sample_activations(net, sample)
    n_cols = len(net.sizes)
    names = {0: _labels(input_names, net.sizes[0], "input_names"),
             n_cols - 1: _labels(output_names, net.sizes[-1], "output_names")}
    pad = [max((len(v) for v in names[k] or []), default=0) * CHAR_WIDTH for k in (0, n_cols - 1)]
    left = MARGIN + pad[0]
    step = (width - left - MARGIN - pad[1]) / max(n_cols - 1, 1)
    shown = [_shown(n, int(max_units)) for n in net.sizes]
    rows = max(len(s) + (1 if k < n_cols - 1 else 0) for k, s in enumerate(shown))
    top = MARGIN + 10.0
    height = top + rows * ROW_HEIGHT + MARGIN
    units: list[_Unit] = []
    elisions: list[_Elision] = []
    biases: list[_Bias] = []
    pos: dict[tuple[int, int], tuple[float, float]] = {}
    titles: list[tuple[float, str]] = []
    for k, cells in enumerate(shown):
        x = left + k * step
        n_rows = len(cells) + (1 if k < n_cols - 1 else 0)
        y0 = top + (rows - n_rows) * ROW_HEIGHT / 2 + ROW_HEIGHT / 2
        for r, i in enumerate(cells):
            y = y0 + r * ROW_HEIGHT
            if i is None:
                elisions.append(_Elision(k, net.sizes[k] - (len(cells) - 1), x, y))
                continue
            a = None if acts is None else float(acts[k][i])
            label = names[k][i] if names.get(k) else None  # type: ignore[index]
            units.append(_Unit(k, i, x, y, a, label))
            pos[(k, i)] = (x, y)
        if k < n_cols - 1:
            biases.append(_Bias(k, x, y0 + len(cells) * ROW_HEIGHT))
        name = "input" if k == 0 else ("output" if k == n_cols - 1 else f"hidden {k}")
        titles.append((x, f"{name} ({net.sizes[k]})"))

    edges: list[_Edge] = []
    masks = net.masks
    hidden_edges = 0
    for k, W in enumerate(net.weights):
        W64 = np.asarray(W, dtype=np.float64)
        # row r of weights[k] is unit `unit` of layer `src`: the layers feeding layer k + 1
        sources = list(range(k + 1)) if net.shortcut else [k]
        row_of = [(s, i) for s in sources for i in range(net.sizes[s])]
        wmax = float(np.max(np.abs(W64))) if W64.size else 0.0
        for r in range(W64.shape[0]):
            bias = r == W64.shape[0] - 1
            src = (k, -1) if bias else row_of[r]
            for c in range(W64.shape[1]):
                if masks is not None and not masks[k][r, c]:
                    continue
                if (not bias and src not in pos) or (k + 1, c) not in pos:
                    hidden_edges += 1
                    continue
                w = float(W64[r, c])
                if w == 0.0 or wmax == 0.0:
                    colour, stroke = ZERO, ZERO_STROKE
                else:
                    colour = POSITIVE if w > 0 else NEGATIVE
                    stroke = MAX_STROKE * abs(w) / wmax
                if bias:
                    b = biases[k]
                    x1, y1 = b.x, b.y
                else:
                    x1, y1 = pos[src]
                x2, y2 = pos[(k + 1, c)]
                edges.append(_Edge(k, r, c, w, stroke, colour, not bias and src[0] != k,
                                   x1, y1, x2, y2))
    notes = []
    for e in elisions:
        notes.append(
            f"Layer {e.layer} has {net.sizes[e.layer]} units; "
            f"{net.sizes[e.layer] - e.hidden} are drawn and {e.hidden} elided."
        )
    if hidden_edges:
        notes.append(f"{hidden_edges} connections of elided units are not drawn.")
    height += 18.0 * len(notes)
    return _Diagram(float(width), height, units, biases, edges, elisions, notes, titles)


# ---------------------------------------------------------------------------- SVG
def _n(v: float) -> str:
    """Fixed formatting for coordinates and widths: 3 decimals, no '-0.000'."""
    s = f"{v:.3f}"
    return "0.000" if s == "-0.000" else s


def _shorten(e: _Edge, start: float, end: float) -> tuple[float, float, float, float]:
    dx, dy = e.x2 - e.x1, e.y2 - e.y1
    d = float(np.hypot(dx, dy)) or 1.0
    return (e.x1 + dx * start / d, e.y1 + dy * start / d,
            e.x2 - dx * end / d, e.y2 - dy * end / d)


def network_svg(
    net: Network,
    *,
    sample: Any = None,
    max_units: int = DEFAULT_MAX_UNITS,
    width: float = 720.0,
    precision: int = 3,
    input_names: Sequence[Any] | None = None,
    output_names: Sequence[Any] | None = None,
) -> str:
    """Draw ``net`` as SVG text: units, bias nodes and one arrow per weight.

    Parameters
    ----------
    net : Network
    sample : array of shape (n_in,) or (1, n_in), optional
        Annotate every unit with its activation for this input (from ``net.trace``).
    max_units : int
        Widest layer drawn in full; wider layers show their first and last units.
    width : float
        Width of the picture in pixels; the height follows from the widest layer.
    precision : int
        Significant digits of the numbers shown as text (``data-*`` attributes are exact).
    input_names, output_names : one label per input / output unit, optional
        E.g. the model's encoded feature names (one-hot units as ``island=Dream``) and its
        class names; :meth:`neuronless.Model.unit_names` gives both.

    >>> import numpy as np
    >>> net = Network.from_weights([np.array([[2.0], [-1.0], [0.5]])], ["identity"])
    >>> svg = network_svg(net)
    >>> svg.count('class="unit"'), svg.count('<line class="weight'), svg.count('class="bias"')
    (3, 3, 1)
    """
    if int(precision) != precision or precision < 1:
        raise ConfigError(f"precision must be a positive integer; got {precision!r}.")
    d = _layout(net, sample, max_units, width, input_names, output_names)
    p = int(precision)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(d.width)}" '
        f'height="{_n(d.height)}" viewBox="0 0 {_n(d.width)} {_n(d.height)}" '
        f'font-family="sans-serif" font-size="11" data-sizes="{",".join(map(str, net.sizes))}" '
        f'data-shortcut="{str(net.shortcut).lower()}">',
        f"<title>{escape(repr(net))}</title>",
        "<desc>Blue arrows are positive weights, red negative, grey zero; stroke width = "
        f"{_n(MAX_STROKE)} * |w| / max |w| of the same weight matrix.</desc>",
        "<defs>",
    ]
    for name, colour in (("pos", POSITIVE), ("neg", NEGATIVE), ("zero", ZERO)):
        out.append(
            f'<marker id="arrow-{name}" viewBox="0 0 10 10" refX="10" refY="5" '
            'markerUnits="userSpaceOnUse" markerWidth="7" markerHeight="7" orient="auto">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        )
    out.append("</defs>")
    out.append('<g class="weights">')
    marker = {POSITIVE: "pos", NEGATIVE: "neg", ZERO: "zero"}
    for e in d.edges:
        x1, y1, x2, y2 = _shorten(e, BIAS_SIZE / 2 if e.row == len(net.weights[e.layer]) - 1
                                  else UNIT_RADIUS, UNIT_RADIUS)
        cls = "weight shortcut" if e.shortcut else "weight"
        out.append(
            f'<line class="{cls}" x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" '
            f'stroke="{e.colour}" stroke-width="{_n(e.width)}" '
            f'marker-end="url(#arrow-{marker[e.colour]})" data-layer="{e.layer}" '
            f'data-row="{e.row}" data-col="{e.col}" data-weight="{e.weight!r}">'
            f"<title>weights[{e.layer}][{e.row}, {e.col}] = {e.weight:.{p}g}</title></line>"
        )
    out.append("</g>")
    out.append('<g class="units">')
    for u in d.units:
        act = "" if u.activation is None else f' data-activation="{u.activation!r}"'
        out.append(
            f'<circle class="unit" cx="{_n(u.x)}" cy="{_n(u.y)}" r="{_n(UNIT_RADIUS)}" '
            f'fill="white" stroke="black" data-layer="{u.layer}" data-unit="{u.index}"{act}/>'
        )
        if u.label is not None:
            output = u.layer == len(net.sizes) - 1
            lx = u.x + (UNIT_RADIUS + 4 if output else -UNIT_RADIUS - 4)
            out.append(
                f'<text class="label" x="{_n(lx)}" y="{_n(u.y + 4)}" '
                f'text-anchor="{"start" if output else "end"}" data-layer="{u.layer}" '
                f'data-unit="{u.index}">{escape(u.label)}</text>'
            )
        if u.activation is not None:
            out.append(
                f'<text class="activation" x="{_n(u.x)}" y="{_n(u.y + 4)}" text-anchor="middle" '
                f'font-size="9" data-layer="{u.layer}" data-unit="{u.index}">'
                f"{u.activation:.{p}g}</text>"
            )
    for b in d.biases:
        h = BIAS_SIZE / 2
        out.append(
            f'<rect class="bias" x="{_n(b.x - h)}" y="{_n(b.y - h)}" width="{_n(BIAS_SIZE)}" '
            f'height="{_n(BIAS_SIZE)}" fill="#eeeeee" stroke="black" data-layer="{b.layer}"/>'
        )
        out.append(f'<text x="{_n(b.x)}" y="{_n(b.y + 4)}" text-anchor="middle">1</text>')
    for el in d.elisions:
        out.append(
            f'<text class="elided" x="{_n(el.x)}" y="{_n(el.y + 4)}" text-anchor="middle" '
            f'data-layer="{el.layer}" data-hidden="{el.hidden}">… {el.hidden} more</text>'
        )
    out.append("</g>")
    for x, title in d.titles:
        out.append(f'<text class="layer-title" x="{_n(x)}" y="{_n(MARGIN - 20)}" '
                   f'text-anchor="middle">{escape(title)}</text>')
    y = d.height - 18.0 * len(d.notes) - MARGIN / 2
    for note in d.notes:
        y += 18.0
        out.append(f'<text class="note" x="{_n(MARGIN / 2)}" y="{_n(y)}">{escape(note)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------- PNG
def network_png(
    net: Network,
    path: str | os.PathLike[str],
    *,
    sample: Any = None,
    max_units: int = DEFAULT_MAX_UNITS,
    width: float = 720.0,
    precision: int = 3,
    dpi: int = 100,
    input_names: Sequence[Any] | None = None,
    output_names: Sequence[Any] | None = None,
) -> None:
    """Draw the picture of :func:`network_svg` with matplotlib and save it (PNG, SVG or PDF
    by the suffix of ``path``). Needs the ``plot`` extra: ``pip install 'neuronless[plot]'``."""
    from .plots import new_figure, save_figure

    if int(precision) != precision or precision < 1:
        raise ConfigError(f"precision must be a positive integer; got {precision!r}.")
    d = _layout(net, sample, max_units, width, input_names, output_names)
    p = int(precision)
    fig = new_figure(figsize=(d.width / dpi, d.height / dpi), dpi=dpi)
    from matplotlib.patches import Circle, Rectangle

    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(0, d.width)
    ax.set_ylim(d.height, 0)  # SVG coordinates: y grows downwards
    ax.set_axis_off()
    for e in d.edges:
        x1, y1, x2, y2 = _shorten(e, UNIT_RADIUS, UNIT_RADIUS)
        ax.annotate("", xy=(x2, y2), xytext=(x1, y1),
                    arrowprops={"arrowstyle": "-|>", "color": e.colour,
                                "lw": e.width * 72.0 / dpi, "shrinkA": 0, "shrinkB": 0})
    for u in d.units:
        ax.add_patch(Circle((u.x, u.y), UNIT_RADIUS, facecolor="white", edgecolor="black",
                            zorder=3))
        if u.activation is not None:
            ax.text(u.x, u.y, f"{u.activation:.{p}g}", ha="center", va="center", fontsize=6,
                    zorder=4)
        if u.label is not None:
            output = u.layer == len(net.sizes) - 1
            ax.text(u.x + (UNIT_RADIUS + 4 if output else -UNIT_RADIUS - 4), u.y, u.label,
                    ha="left" if output else "right", va="center", fontsize=7, zorder=4)
    for b in d.biases:
        h = BIAS_SIZE / 2
        ax.add_patch(Rectangle((b.x - h, b.y - h), BIAS_SIZE, BIAS_SIZE, facecolor="#eeeeee",
                               edgecolor="black", zorder=3))
        ax.text(b.x, b.y, "1", ha="center", va="center", fontsize=7, zorder=4)
    for el in d.elisions:
        ax.text(el.x, el.y, f"… {el.hidden} more", ha="center", va="center", fontsize=7)
    for x, title in d.titles:
        ax.text(x, MARGIN - 20, title, ha="center", va="center", fontsize=8)
    y = d.height - 18.0 * len(d.notes) - MARGIN / 2
    for note in d.notes:
        y += 18.0
        ax.text(MARGIN / 2, y, note, fontsize=7, va="baseline")
    save_figure(fig, path)
