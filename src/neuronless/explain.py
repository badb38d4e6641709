"""Explain mode: every matrix step of one sample's forward pass, backward pass and update.

Contract: :func:`explain` returns a list of :class:`Step` records (data, not text): the
forward pass read from the trace that produced the numbers (a ``Backprop`` pass with
``keep_z=True`` when a target is given, else ``Network.trace``), what the output means, and
with a target the cost, each layer's delta and gradient (from that same backward pass), the
update an optimizer would make (applied to copies) and the cost after it, and finally the
output's sensitivity to the inputs (the Jacobian). :func:`render` turns steps into text,
markdown or JSON. Nothing here changes the network.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from .backprop import Backprop, check_loss_targets, check_targets, loss_and_grads
from .errors import ConfigError, ShapeError
from .losses import Loss
from .network import Network, views
from .optimizers import SGD, hyperparameters
from .sensitivity import jacobian

if TYPE_CHECKING:
    from .model import Model

Array = NDArray[Any]
StepKind = Literal[
    "raw", "encode", "scale", "forward", "output", "cost", "delta", "gradient", "update",
    "after", "sensitivity"
]
DEFAULT_LEARNING_RATE = 0.01  # of the SGD step shown when no optimizer is given
TOP_INPUTS = 3  # inputs listed by the sensitivity step
MAX_ENTRIES = 64  # matrices with more entries are shown as corners
CORNER = 3  # rows and columns kept on each side of an elided matrix

_LOSS_FORMULAS = {
    "mse": ("cost = mean over samples of sum over outputs of ½ (a - y)²",
            "cost = sum(0.5 * (a - y)**2) / m"),
    "binary_cross_entropy": ("cost = mean over samples of -(y log a + (1 - y) log(1 - a))",
                             "cost = -sum(y * log(a) + (1 - y) * log(1 - a)) / m"),
    "cross_entropy": ("cost = mean over samples of -sum of y log a",
                      "cost = -sum(y * log(a)) / m"),
}


@dataclass
class Step:
    """One step of the computation, with the numbers it used and produced.

    ``kind`` is one of ``raw``, ``encode``, ``scale`` (from the raw row to the network's input,
    when explain is given one), ``forward``, ``output``, ``cost``, ``delta``, ``gradient``,
    ``update``, ``after``, ``sensitivity``; ``layer`` is the weight matrix's index (``None`` when the
    step is about the whole network). ``formula`` is in symbols, ``words`` says it in prose.
    """

    kind: StepKind
    layer: int | None
    title: str
    formula: str
    words: str
    arrays: dict[str, Array] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def explain(
    net: Network,
    x: Any,
    y: Any = None,
    *,
    loss: str | Loss | None = None,
    optimizer: Any = None,
    model: Model | None = None,
    raw: Any = None,
) -> list[Step]:
    """Record every step of the network on one sample ``x`` (the network's own, scaled input).

    With ``model`` and ``raw`` (the sample's raw row: a one-row table, data frame or dict of
    columns), the steps start from the data: the raw values, the encoded row (one-hot units,
    imputed values), the scaled row; ``x`` may then be None (it is computed from ``raw``).

    Parameters
    ----------
    net : Network
    x : array, shape (n_in,) or (1, n_in)
    y : array, optional
        The target row (encoded as in training: one-hot, 0/1 or scaled values). With it the
        backward pass, the update and the cost after the update are recorded too.
    loss : str or Loss, optional
        Default: the output layer's natural loss (softmax -> cross-entropy, sigmoid -> binary
        cross-entropy, otherwise MSE).
    optimizer : optional
        The step rule shown in the update step (default ``SGD(0.01)``); it runs on copies.
    model : Model, optional
        Gives class labels, the target scaler and feature names for the notes.

    >>> import numpy as np
    >>> net = Network.from_weights([np.array([[0.5], [0.1]])], ["identity"])
    >>> [s.kind for s in explain(net, [2.0], [1.0])]
    ['forward', 'output', 'cost', 'delta', 'gradient', 'update', 'after', 'sensitivity']
    """
    first: list[Step] = []
    if raw is not None:
        if model is None:
            raise ConfigError("explain needs model= to start from a raw row (raw=); pass the "
                              "Model the row is for.")
        first, x = input_steps(model, raw)
    X = net.check_input(x)
    if X.shape[0] != 1:
        raise ShapeError(
            f"explain takes one sample, shape ({net.n_inputs},) or (1, {net.n_inputs}); got "
            f"{X.shape[0]} rows. Pass one row, e.g. X[3]."
        )
    X = np.ascontiguousarray(X)
    steps: list[Step] = first
    if y is None:
        trace = net.trace(X)
        layers = [(r.input.copy(), _z(r.z), r.a.copy()) for r in trace.layers]
    else:
        X, Y = check_targets(net, X, y)
        bp = Backprop(net, 1, loss, keep_z=True)
        check_loss_targets(bp.loss, Y)
        with np.errstate(over="ignore", under="ignore"):
            cost = bp(X, Y)
        layers = [(r.input.copy(), _z(r.z), r.a.copy()) for r in bp.ws.trace.layers]
    for k, (a_prev, z, a) in enumerate(layers):
        steps.append(_forward_step(net, k, a_prev, z, a))
    out = layers[-1][2]
    steps.append(_output_step(net, out, model))
    if y is not None:
        steps.extend(_backward_steps(net, bp, X, Y, cost, layers, optimizer))
    steps.append(_sensitivity_step(net, X, out, model))
    return steps


_SCALE_FORMULAS = {
    "standard": "x = (e - mean) / scale",
    "minmax": "x = low + (e - min) * (high - low) / (max - min)",
}


def input_steps(model: Model, raw: Any) -> tuple[list[Step], Array]:
    """The raw row, the encoded row and the scaled row of one sample, and the scaled row.

    ``raw`` is a one-row table (path, data frame, dict of columns or
    :class:`~neuronless.data.read.Table`) with the model's raw columns.
    """
    from .data.read import Table, as_table

    if model.encoder is None:
        raise ConfigError("this model has no column encoders (it was not trained on a table); "
                          "pass its numeric input row as x instead of raw=.")
    table = raw if isinstance(raw, Table) else as_table(raw)
    if table.n_rows != 1:
        raise ShapeError(f"raw must be one row; got {table.n_rows}. Pass one row of the table.")
    enc = model.encoder
    values = [f"{name} = {_cell(table.column(name)[0]) if name in table.names else '(absent)'}"
              for name in enc.raw_names]
    dropped = [f"left out of the model: {', '.join(enc.dropped)}"] if enc.dropped else []
    steps = [Step("raw", None, "the raw row", "", "the values of the sample as read, one per "
                  "column the model uses", {}, values + dropped)]
    e = model.encode(table)
    kinds = [f"{spec.describe()}" for spec in enc.columns]
    steps.append(Step(
        "encode", None, "encoded row e",
        "number e = value (missing -> training median; 'name (missing)' = 1 if it was)\n"
        "category: one unit per category, 1 for the row's category, 0 elsewhere\n"
        "boolean: true 1, false 0",
        "each raw column becomes one or more numbers", {"e": e},
        [f"{n} = {_num(v, 6)}" for n, v in zip(enc.feature_names, e[0], strict=True)] + kinds,
    ))
    x = e
    if model.scaler is not None:
        x = model.scaler.transform(e)
        params = {k: np.asarray(v, dtype=np.float64).reshape(1, -1)
                  for k, v in model.scaler.to_dict().items()
                  if isinstance(v, list) and len(v) == e.shape[1]}
        steps.append(Step(
            "scale", None, f"scaled row x ({model.scaler.kind} scaling)",
            _SCALE_FORMULAS.get(model.scaler.kind, f"x = {model.scaler.kind} scaling of e"),
            "every column is scaled with numbers fitted on the training rows; x is what layer 0 "
            "receives", {**params, "x": np.asarray(x, dtype=np.float64)},
        ))
    return steps, np.asarray(x, dtype=np.float64)


def _cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "(missing)"
    return repr(v.item() if isinstance(v, np.generic) else v)


def _z(z: Array | None) -> Array:
    assert z is not None  # both traces are recorded with keep_z=True
    return z.copy()


def _activation_text(net: Network, k: int) -> str:
    layer = net.layers[k]
    s = layer.steepness
    steep = repr(s) if isinstance(s, float) else "steepness"
    if layer.clamp is None:
        return f"{layer.name}({steep} * z)"
    c = layer.clamp
    bound = f"{c:g}" if isinstance(c, float) else "clamp"
    return f"{layer.name}(clip({steep} * z, -{bound}, {bound}))"


def _forward_step(net: Network, k: int, a_prev: Array, z: Array, a: Array) -> Step:
    last = len(net.weights) - 1
    source = "the input x" if k == 0 else f"the output of layer {k - 1}"
    if net.shortcut and k > 0:
        source = f"the input x and the outputs of layers 0..{k - 1} side by side"
    notes = [f"W has shape {net.weights[k].shape}: {net.fan_ins[k]} inputs + 1 bias row -> "
             f"{net.sizes[k + 1]} units."]
    s = net.layers[k].steepness
    if not isinstance(s, float):
        notes.append(f"per-neuron steepness {np.asarray(s).tolist()}")
    c = net.layers[k].clamp
    if c is not None:
        notes.append("FANN's summation clamp: the scaled net input is clipped to "
                     f"+-{c:g} before the activation" if isinstance(c, float) else
                     f"FANN's summation clamp, per neuron: +-{np.asarray(c).tolist()}")
    return Step(
        "forward", k, f"Layer {k} forward" + (" (output layer)" if k == last else ""),
        f"z = a_prev @ W[:-1] + W[-1]\na = {_activation_text(net, k)}",
        f"multiply {source} (a_prev) by the weights, add the bias row, then apply "
        f"{net.layers[k].name} to each net input",
        {"a_prev": a_prev, "W": net.weights[k].copy(), "z": z, "a": a},
        notes,
    )


def _output_step(net: Network, out: Array, model: Model | None) -> Step:
    layer = net.layers[-1]
    name = layer.name
    labels = None if model is None else model.labels
    arrays: dict[str, Array] = {"output": out.copy()}
    notes: list[str] = []
    if name == "softmax":
        idx = int(out[0].argmax())
        arrays["predicted_class"] = np.array([idx])
        words = "the outputs are class probabilities (they sum to 1); the largest wins"
        formula = "predicted class = argmax(a)"
        notes.append(f"predicted class index {idx} with probability {float(out[0, idx]):.4g}")
        if labels is not None:
            notes.append(f"predicted label {_label(labels.inverse([idx])[0])!r}")
    elif name == "sigmoid" and net.n_outputs == 1:
        p = float(out[0, 0])
        idx = int(p >= 0.5)
        arrays["predicted_class"] = np.array([idx])
        words = "the output is the probability of class 1"
        formula = "predicted class = 1 if a >= 0.5 else 0"
        notes.append(f"P(class 1) = {p:.4g}, so class {idx}")
        if labels is not None:
            notes.append(f"predicted label {_label(labels.inverse([idx])[0])!r}")
    else:
        words = "the outputs are the predicted values"
        formula = "prediction = a"
        if model is not None and model.target_scaler is not None:
            value = np.asarray(model.target_scaler.inverse_transform(out), dtype=np.float64)
            arrays["value"] = value
            words += " in scaled units; undoing the target scaling gives the value"
            formula = "value = target_scaler.inverse_transform(a)"
    return Step("output", None, "What the output means", formula, words, arrays, notes)


def _label(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def _backward_steps(
    net: Network,
    bp: Backprop,
    X: Array,
    Y: Array,
    cost: float,
    layers: list[tuple[Array, Array, Array]],
    optimizer: Any,
) -> list[Step]:
    L = len(net.weights) - 1
    out = layers[-1][2]
    words, formula = _LOSS_FORMULAS.get(bp.loss.name, (f"the {bp.loss.name} cost", "cost"))
    steps = [Step("cost", None, f"Cost ({bp.loss.name})", formula, words,
                  {"output": out, "target": Y.copy(), "cost": np.array(cost)})]
    for k in range(L, -1, -1):
        delta = bp.ws.delta[k].copy()
        if k == L and bp.fused:
            f = "delta = steepness * (a - y) / m"
            w = (f"{bp.loss.name} after {net.layers[k].name} has the simple derivative "
                 "d cost/d z = (a - y) / m (times the steepness)")
        elif k == L:
            f = f"delta = d cost/d a * {net.layers[k].name}'(steepness * z) * steepness"
            w = "d cost/d a = (a - y) / m, times the activation's slope at z"
        else:
            later = "delta_next @ W_next[:-1].T" if not net.shortcut else (
                "sum over later layers of their delta @ W[:-1].T (this layer's columns)")
            f = f"delta = ({later}) * {net.layers[k].name}'(steepness * z) * steepness"
            w = "send the later delta back through the weights, times this layer's slope at z"
        title = f"Delta of layer {k}" + (" (output)" if k == L else "")
        steps.append(Step("delta", k, title, f, w, {"z": layers[k][1], "delta": delta}))
    for k in range(L + 1):
        steps.append(Step(
            "gradient", k, f"Gradient of W{k}",
            "grad W[:-1] = a_prev.T @ delta\ngrad W[-1] = delta summed over samples",
            "each weight's gradient is the input it multiplies times the delta of the unit it "
            "feeds; the bias row's gradient is the delta itself",
            {"a_prev": layers[k][0], "delta": bp.ws.delta[k].copy(),
             "grad W": bp.grad_views[k].copy()},
        ))
    opt = optimizer if optimizer is not None else SGD(DEFAULT_LEARNING_RATE)
    params = net.params.copy()
    state = opt.init(params)
    opt.step(params, bp.grads.copy(), state)
    new = views(params, net.shapes)
    name = type(opt).__name__
    try:
        hyper = ", ".join(f"{k}={v!r}" for k, v in hyperparameters(opt).items())
    except TypeError:
        hyper = ""
    for k in range(L + 1):
        formula = ("W_new = W - learning_rate * grad W" if isinstance(opt, SGD)
                   else f"W_new = W + {name} step(grad W)")
        steps.append(Step(
            "update", k, f"Update of W{k} ({name}{', ' + hyper if hyper else ''})", formula,
            f"one {name} step on a copy of the parameters (the network is unchanged)",
            {"W": net.weights[k].copy(), "W_new": new[k].copy(),
             "change": new[k] - net.weights[k]},
        ))
    after = net.copy()
    after.params[...] = params
    with np.errstate(over="ignore", under="ignore"):
        cost_after, _ = loss_and_grads(after, X, Y, bp.loss)
    steps.append(Step(
        "after", None, "Cost after one step", "cost_after = cost(W_new)",
        "the same sample through the updated weights",
        {"cost": np.array(cost), "cost_after": np.array(cost_after),
         "output_after": after.forward(X)},
        [f"the cost went {'down' if cost_after < cost else 'up'} by "
         f"{abs(cost_after - cost):.4g}"],
    ))
    return steps


def _sensitivity_step(net: Network, X: Array, out: Array, model: Model | None) -> Step:
    J = jacobian(net, X)[0]
    if net.layers[-1].name == "softmax":
        rows = [int(out[0].argmax())]
    else:
        rows = list(range(net.n_outputs))
    names = (list(model.feature_names) if model is not None and model.feature_names
             else [f"x[{i}]" for i in range(net.n_inputs)])
    notes = []
    for j in rows:
        order = np.argsort(-np.abs(J[j]), kind="stable")[:TOP_INPUTS]
        parts = ", ".join(f"{names[i]} ({float(J[j, i]):+.4g})" for i in order)
        notes.append(f"output {j}: the inputs that mattered most: {parts}")
    if model is not None and model.scaler is not None:
        notes.append("the slopes are per unit of the scaled input")
    return Step(
        "sensitivity", None, "Sensitivity of the predicted output to the inputs",
        "J[j, i] = d a_out[j] / d x[i]",
        "how much each output moves per unit change of each input, at this sample",
        {"jacobian": J[rows], "outputs": np.array(rows)}, notes,
    )


# ------------------------------------------------------------------------ rendering
def _num(v: Any, precision: int) -> str:
    f = float(v)
    if f == 0 or (1e-3 <= abs(f) < 1e6) or not np.isfinite(f):
        return f"{f:.{precision}f}"
    return f"{f:.{precision}e}"


def _grid(arr: Array, precision: int, max_entries: int | None) -> list[list[str]]:
    """The matrix as rows of strings, corners only (with "…") when it is too big."""
    a = np.asarray(arr)
    a2 = a.reshape(1, -1) if a.ndim < 2 else a.reshape(a.shape[0], -1)
    r, c = a2.shape
    big = max_entries is not None and a2.size > max_entries
    rows = list(range(r)) if not big or r <= 2 * CORNER else [*range(CORNER), -1,
                                                            *range(r - CORNER, r)]
    cols = list(range(c)) if not big or c <= 2 * CORNER else [*range(CORNER), -1,
                                                            *range(c - CORNER, c)]
    exact = a2.dtype.kind in "iub"

    def cell(v: Any) -> str:
        return str(int(v)) if exact else _num(v, precision)

    return [["…" if i < 0 or j < 0 else cell(a2[i, j]) for j in cols] for i in rows]


def _text_array(name: str, arr: Array, precision: int, max_entries: int | None) -> list[str]:
    if np.asarray(arr).ndim == 0:
        return [f"  {name} = {_num(arr, precision)}"]
    grid = _grid(arr, precision, max_entries)
    width = max(len(cell) for row in grid for cell in row)
    lines = [f"  {name} {np.shape(arr)}:"]
    lines += ["    [ " + "  ".join(cell.rjust(width) for cell in row) + " ]" for row in grid]
    return lines


def _render_text(steps: list[Step], precision: int, max_entries: int | None, color: bool) -> str:
    bold, dim, cyan, reset = ("\033[1m", "\033[2m", "\033[36m", "\033[0m") if color else ("",) * 4
    out: list[str] = []
    for s in steps:
        where = "" if s.layer is None else f" layer {s.layer}"
        out.append(f"{cyan}[{s.kind}{where}]{reset} {bold}{s.title}{reset}")
        out += [f"  {line}" for line in s.formula.splitlines()]
        out.append(f"  {dim}{s.words}{reset}")
        for name, arr in s.arrays.items():
            out += _text_array(name, arr, precision, max_entries)
        out += [f"  note: {n}" for n in s.notes]
        out.append("")
    return "\n".join(out)


def _render_markdown(steps: list[Step], precision: int, max_entries: int | None) -> str:
    out: list[str] = []
    for s in steps:
        where = "" if s.layer is None else f", layer {s.layer}"
        out += [f"### {s.title} ({s.kind}{where})", "", "```", s.formula, "```", "", s.words, ""]
        for name, arr in s.arrays.items():
            if np.asarray(arr).ndim == 0:
                out += [f"**{name}** = {_num(arr, precision)}", ""]
                continue
            grid = _grid(arr, precision, max_entries)
            out.append(f"**{name}** {np.shape(arr)}")
            out.append("")
            out.append("| " + " | ".join("" for _ in grid[0]) + " |")
            out.append("|" + "---:|" * len(grid[0]))
            out += ["| " + " | ".join(row) + " |" for row in grid]
            out.append("")
        out += [f"- {n}" for n in s.notes]
        if s.notes:
            out.append("")
    return "\n".join(out)


def _json_value(arr: Array) -> Any:
    a = np.asarray(arr)
    if a.dtype.kind in "iub":
        return a.tolist()
    return np.asarray(a, dtype=np.float64).tolist()


def render(
    steps: list[Step],
    format: str = "text",
    precision: int = 4,
    max_entries: int | None = MAX_ENTRIES,
    *,
    color: bool = False,
) -> str:
    """Turn :func:`explain`'s steps into ``"text"``, ``"markdown"`` or ``"json"``.

    Numbers get ``precision`` decimals; a matrix with more than ``max_entries`` entries shows
    its corners with "…" and its shape (``None`` shows everything; JSON always has every
    number). ``color`` adds ANSI colours to text.
    """
    if not isinstance(precision, int) or precision < 0:
        raise ConfigError(f"precision must be a non-negative integer; got {precision!r}.")
    if format == "text":
        return _render_text(steps, precision, max_entries, color)
    if format == "markdown":
        return _render_markdown(steps, precision, max_entries)
    if format == "json":
        data = [
            {"kind": s.kind, "layer": s.layer, "title": s.title, "formula": s.formula,
             "words": s.words, "notes": list(s.notes),
             "arrays": {n: {"shape": list(np.shape(a)), "values": _json_value(a)}
                        for n, a in s.arrays.items()}}
            for s in steps
        ]
        return json.dumps({"steps": data}, indent=1)
    raise ConfigError(f"format must be 'text', 'markdown' or 'json'; got {format!r}.")
