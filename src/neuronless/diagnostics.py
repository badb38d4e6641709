"""Diagnose a network and its data: dead and saturated units, gradients, scaling, training.

Contract: ``diagnose(net, X, Y=None, history=None, loss=None)`` runs one forward pass (and,
given targets ``Y``, one backward pass) on ``X`` exactly as the network sees it (already
scaled), reads the :class:`~neuronless.workspace.Trace` and the per-layer gradients, and
returns a list of :class:`Finding`: what was measured, the threshold it crossed, a sentence in
plain language and a suggested fix. ``render_findings`` turns the list into text. Layers are
numbered like ``net.weights``: layer ``k`` is the one computed by ``weights[k]``. Nothing here
changes the network or prints.

Every threshold is a named constant below; they are rules of thumb, not theorems.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

import numpy as np
from numpy.typing import NDArray

from .backprop import Backprop, check_loss_targets, check_targets
from .classification import one_hot
from .losses import Loss
from .network import Network
from .training import History

Array = NDArray[Any]
Severity: TypeAlias = Literal["info", "warning", "problem"]

RELU_LIKE = ("relu", "leaky_relu", "elu")
DEAD_WARNING = 0.2  # a hidden layer with at least 20 % dead units gets a warning
DEAD_PROBLEM = 0.5  # ... and at least half dead is a problem
SIGMOID_LOW, SIGMOID_HIGH = 0.02, 0.98  # sigmoid output this close to 0 or 1 is saturated
TANH_LIMIT = 0.98  # tanh output with |a| above this is saturated
SATURATED_SAMPLES = 0.9  # a unit is saturated when it is so for at least 90 % of the samples
SATURATED_WARNING = 0.25  # a hidden layer with at least 25 % saturated units gets a warning
SATURATED_PROBLEM = 0.5
VANISHING_RATIO = 1e-3  # |grads of weights[0]| / |grads of weights[-1]| below this: vanishing
EXPLODING_RATIO = 1e3  # ... above this: the gradient grows toward the input
EXPLODING_NORM = 1e3  # any layer's gradient norm above this (the cost is a mean per sample)
INPUT_MEAN_MAX = 5.0  # a feature whose mean is further than this from 0 is not centred
INPUT_STD_MAX = 5.0  # ... or whose standard deviation is above this
INPUT_STD_MIN = 1e-2  # ... or below this (but not constant): initial weights assume unit scale
LR_MIN_EPOCHS = 6  # fewer epochs say nothing about oscillation
LR_OSCILLATION = 0.5  # at least half of successive loss differences change sign
LR_PROGRESS = 0.9  # the last fifth of epochs is not below 90 % of the first fifth's loss
IMBALANCE_MIN_SHARE = 0.1  # the smallest class holds less than 10 % of the samples
IMBALANCE_MAX_RATIO = 5.0  # or the largest class is more than 5 times the smallest


@dataclass(frozen=True)
class Finding:
    """One thing :func:`diagnose` noticed.

    ``code`` names the check (``"dead_units"``, ``"saturated_units"``,
    ``"vanishing_gradient"``, ``"exploding_gradient"``, ``"unscaled_inputs"``,
    ``"learning_rate_too_high"``, ``"class_imbalance"``); ``layer`` indexes ``net.weights``
    (``None`` for findings about the data or the training run); ``measured`` holds the numbers
    behind it and ``threshold`` the limit they crossed.
    """

    code: str
    severity: Severity
    layer: int | None
    measured: dict[str, float] = field(default_factory=dict)
    threshold: float = 0.0
    message: str = ""
    suggestion: str = ""


def diagnose(
    net: Network,
    X: Any,
    Y: Any = None,
    *,
    history: History | None = None,
    loss: str | Loss | None = None,
) -> list[Finding]:
    """Check ``net`` on the inputs ``X`` (targets ``Y``, training ``history``) for common trouble.

    Parameters
    ----------
    net : Network
    X : array, shape (m, n_in)
        The network's inputs, after any scaling (what ``net.forward`` would be given).
    Y : array, optional
        Targets shaped ``(m, n_out)``, or ``m`` integer class labels (one-hot encoded for a
        network with several outputs). Enables the gradient and class-balance checks.
    history : History, optional
        The training record; enables the learning-rate check.
    loss : str or Loss, optional
        The cost for the gradient pass (default: the output layer's natural cost).

    Returns
    -------
    list of Finding
        Worst first; empty when nothing looks wrong.

    >>> import numpy as np
    >>> net = Network.create([2, 4, 1], hidden="relu", seed=0)
    >>> net.weights[0][-1] = -100.0   # every hidden unit's bias: far below zero
    >>> [(f.code, f.layer) for f in diagnose(net, np.random.default_rng(0).normal(size=(50, 2)))]
    [('dead_units', 0)]
    """
    X2 = net.check_input(X)
    findings: list[Finding] = []
    with np.errstate(over="ignore", under="ignore"):
        trace = net.trace(X2)
    for k, layer in enumerate(trace.layers[:-1]):  # a confident output layer is healthy
        names = _unit_activations(net, k)
        findings += _dead_units(k, names, layer.a)
        findings += _saturated_units(k, names, layer.a)
    findings += _unscaled_inputs(X2)
    if Y is not None:
        Y2 = _targets(net, X2, Y)
        findings += _gradients(net, X2, Y2, loss)
        findings += _class_imbalance(Y2)
    if history is not None:
        findings += _learning_rate(history)
    order = {"problem": 0, "warning": 1, "info": 2}
    return sorted(findings, key=lambda f: order[f.severity])


def render_findings(findings: Sequence[Finding]) -> str:
    """The findings as text, one block each: severity, code, layer, message and fix.

    >>> render_findings([])
    'no problems found'
    """
    if not findings:
        return "no problems found"
    lines = []
    for f in findings:
        where = "" if f.layer is None else f" (layer {f.layer}, weights[{f.layer}])"
        lines.append(f"{f.severity}: {f.code}{where}: {f.message}")
        lines.append(f"  suggestion: {f.suggestion}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- units
def _unit_activations(net: Network, k: int) -> list[str]:
    layer = net.layers[k]
    if layer.uniform is not None:
        return [layer.uniform.name] * layer.n_out
    assert layer.per_neuron is not None
    return [a.name for a in layer.per_neuron]


def _tier(fraction: float, warning: float, problem: float) -> Severity:
    if fraction >= problem:
        return "problem"
    return "warning" if fraction >= warning else "info"


def _dead_units(k: int, names: list[str], a: Array) -> list[Finding]:
    cols = np.array([n in RELU_LIKE for n in names])
    if not cols.any():
        return []
    dead = np.all(a[:, cols] <= 0, axis=0)
    n_dead, n_units = int(dead.sum()), int(cols.sum())
    if n_dead == 0:
        return []
    fraction = n_dead / n_units
    kinds = "/".join(sorted({n for n, c in zip(names, cols, strict=True) if c}))
    fix = (
        "use leaky_relu or elu, lower the learning rate, or re-initialise (init='he')"
        if kinds == "relu"
        else "lower the learning rate, check the input scaling, or re-initialise (init='he')"
    )
    return [Finding(
        "dead_units", _tier(fraction, DEAD_WARNING, DEAD_PROBLEM), k,
        {"dead_units": n_dead, "units": n_units, "fraction": fraction}, DEAD_WARNING,
        f"{n_dead} of {n_units} {kinds} units ({fraction:.0%}) output <= 0 for every one of "
        f"the {a.shape[0]} samples, so they pass no signal and (relu) learn nothing "
        f"(warning from {DEAD_WARNING:.0%}).",
        fix,
    )]


def _saturated_units(k: int, names: list[str], a: Array) -> list[Finding]:
    sig = np.array([n == "sigmoid" for n in names])
    tanh = np.array([n == "tanh" for n in names])
    if not (sig.any() or tanh.any()):
        return []
    near = np.zeros(a.shape, dtype=bool)
    near[:, sig] = (a[:, sig] < SIGMOID_LOW) | (a[:, sig] > SIGMOID_HIGH)
    near[:, tanh] = np.abs(a[:, tanh]) > TANH_LIMIT
    saturated = (near.mean(axis=0) >= SATURATED_SAMPLES) & (sig | tanh)
    n_sat, n_units = int(saturated.sum()), int((sig | tanh).sum())
    if n_sat == 0:
        return []
    fraction = n_sat / n_units
    return [Finding(
        "saturated_units", _tier(fraction, SATURATED_WARNING, SATURATED_PROBLEM), k,
        {"saturated_units": n_sat, "units": n_units, "fraction": fraction},
        SATURATED_WARNING,
        f"{n_sat} of {n_units} sigmoid/tanh units ({fraction:.0%}) sit at their asymptote "
        f"for at least {SATURATED_SAMPLES:.0%} of the samples, where their slope is almost 0 "
        f"and they barely learn (warning from {SATURATED_WARNING:.0%}).",
        "standardise the inputs (neuronless train --scale standard), use smaller initial "
        "weights (init='glorot'), or lower the learning rate",
    )]


# ---------------------------------------------------------------------------- gradients
def _targets(net: Network, X: Array, Y: Any) -> Array:
    Y1 = np.asarray(Y)
    if Y1.ndim == 1 and net.n_outputs > 1:
        Y1 = one_hot(Y1, net.n_outputs, dtype=net.dtype)
    return check_targets(net, X, Y1)[1]


def _gradients(net: Network, X: Array, Y: Array, loss: str | Loss | None) -> list[Finding]:
    bp = Backprop(net, X.shape[0], loss, keep_z=True)
    check_loss_targets(bp.loss, Y)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        bp(np.ascontiguousarray(X), Y)
        norms = [float(np.linalg.norm(g.astype(np.float64))) for g in bp.grad_views]
    measured = {f"norm_{k}": n for k, n in enumerate(norms)}
    if not all(np.isfinite(norms)):
        k = next(i for i, n in enumerate(norms) if not np.isfinite(n))
        return [Finding(
            "exploding_gradient", "problem", k, measured, EXPLODING_NORM,
            f"the gradient of weights[{k}] is not a finite number (overflow).",
            "standardise the inputs, lower the learning rate, and re-initialise the weights",
        )]
    findings = []
    worst = int(np.argmax(norms))
    first, last = norms[0], norms[-1]
    if norms[worst] > EXPLODING_NORM:
        findings.append(Finding(
            "exploding_gradient", "problem", worst, measured, EXPLODING_NORM,
            f"the gradient norm of weights[{worst}] is {norms[worst]:.3g}, above "
            f"{EXPLODING_NORM:g}: one step can throw the weights far away.",
            "lower the learning rate, standardise the inputs, or add l2 regularisation",
        ))
    elif len(norms) > 1 and last > 0 and first / last > EXPLODING_RATIO:
        findings.append(Finding(
            "exploding_gradient", "warning", 0, {**measured, "ratio": first / last},
            EXPLODING_RATIO,
            f"the gradient grows toward the input: |grads of weights[0]| / |grads of "
            f"weights[{len(norms) - 1}]| = {first / last:.3g}, above {EXPLODING_RATIO:g}.",
            "lower the learning rate or use smaller initial weights (init='glorot')",
        ))
    if len(norms) > 1 and last > 0 and first / last < VANISHING_RATIO:
        findings.append(Finding(
            "vanishing_gradient", "warning", 0, {**measured, "ratio": first / last},
            VANISHING_RATIO,
            f"the gradient fades toward the input: |grads of weights[0]| / |grads of "
            f"weights[{len(norms) - 1}]| = {first / last:.3g}, below {VANISHING_RATIO:g}, so "
            "the first layers hardly learn.",
            "use relu or leaky_relu hidden layers with init='he', fewer layers, or "
            "standardised inputs",
        ))
    return findings


# ---------------------------------------------------------------------------- data
def _unscaled_inputs(X: Array) -> list[Finding]:
    X64 = X.astype(np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        mean, std = X64.mean(axis=0), X64.std(axis=0)
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(std))):
        return []
    bad = (np.abs(mean) > INPUT_MEAN_MAX) | (std > INPUT_STD_MAX) | (
        (std > 0) & (std < INPUT_STD_MIN)
    )
    if not bad.any():
        return []
    cols = np.flatnonzero(bad)
    shown = ", ".join(str(c) for c in cols[:5]) + (", ..." if cols.size > 5 else "")
    return [Finding(
        "unscaled_inputs", "warning", None,
        {"features": int(cols.size), "max_abs_mean": float(np.abs(mean).max()),
         "max_std": float(std.max()), "min_std": float(std[std > 0].min(initial=np.inf))},
        INPUT_MEAN_MAX,
        f"{cols.size} of {X.shape[1]} input features (columns {shown}) are far from unit "
        f"scale (|mean| > {INPUT_MEAN_MAX:g}, std > {INPUT_STD_MAX:g} or std < "
        f"{INPUT_STD_MIN:g}); the initial weights assume inputs of mean 0 and std 1.",
        "standardise inputs (neuronless train --scale standard, or "
        "neuronless.data.StandardScaler)",
    )]


def _class_imbalance(Y: Array) -> list[Finding]:
    if Y.shape[1] == 1:
        if not np.all((Y == 0) | (Y == 1)):
            return []  # regression targets
        counts = np.array([np.sum(Y == 0), np.sum(Y == 1)], dtype=np.float64)
    else:
        if not (np.all((Y == 0) | (Y == 1)) and np.all(Y.sum(axis=1) == 1)):
            return []  # not one-hot rows
        counts = Y.sum(axis=0, dtype=np.float64)
    share = counts / counts.sum()
    smallest, largest = int(np.argmin(counts)), int(np.argmax(counts))
    ratio = float(counts[largest] / counts[smallest]) if counts[smallest] else float("inf")
    if share[smallest] >= IMBALANCE_MIN_SHARE and ratio <= IMBALANCE_MAX_RATIO:
        return []
    return [Finding(
        "class_imbalance", "warning", None,
        {"smallest_share": float(share[smallest]), "ratio": ratio,
         "smallest_class": smallest, "largest_class": largest},
        IMBALANCE_MIN_SHARE,
        f"class {smallest} has {int(counts[smallest])} of {int(counts.sum())} samples "
        f"({share[smallest]:.1%}; warning below {IMBALANCE_MIN_SHARE:.0%} or a "
        f"largest/smallest ratio above {IMBALANCE_MAX_RATIO:g}, here {ratio:.3g}): accuracy "
        "can look good while that class is never predicted.",
        "collect more samples of the rare class, over-sample it, and judge the model by "
        "per-class recall (neuronless evaluate) rather than accuracy",
    )]


# ---------------------------------------------------------------------------- training
def _learning_rate(history: History) -> list[Finding]:
    loss = np.asarray(history.train_loss, dtype=np.float64)
    if loss.size < LR_MIN_EPOCHS or not np.all(np.isfinite(loss)):
        return []
    signs = np.sign(np.diff(loss))
    signs = signs[signs != 0]
    flips = float(np.mean(signs[1:] != signs[:-1])) if signs.size > 1 else 0.0
    window = max(1, loss.size // 5)
    start, end = float(loss[:window].mean()), float(loss[-window:].mean())
    measured = {"sign_changes": flips, "start_loss": start, "end_loss": end}
    if history.learning_rate:
        measured["learning_rate"] = float(history.learning_rate[-1])
    rate = f" (learning rate {measured['learning_rate']:g})" if history.learning_rate else ""
    if end > start:
        return [Finding(
            "learning_rate_too_high", "problem", None, measured, LR_PROGRESS,
            f"the training loss rose from {start:.4g} (first epochs) to {end:.4g} (last "
            f"epochs){rate}: the steps overshoot the minimum.",
            "lower the learning rate (try a tenth of it, e.g. neuronless train --lr)",
        )]
    if flips >= LR_OSCILLATION and end >= LR_PROGRESS * start:
        return [Finding(
            "learning_rate_too_high", "warning", None, measured, LR_OSCILLATION,
            f"the training loss zig-zags ({flips:.0%} of successive changes flip sign, "
            f"warning from {LR_OSCILLATION:.0%}) without going down ({start:.4g} -> "
            f"{end:.4g}){rate}.",
            "lower the learning rate (try a tenth of it), or use a decaying schedule",
        )]
    return []
