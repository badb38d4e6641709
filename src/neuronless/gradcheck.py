"""Gradient checking: backprop's gradient against central differences, in float64.

Contract: ``check_gradients(net, X, Y, loss, l2)`` copies the network to float64, computes
the analytic gradient with ``loss_and_grads`` and a numerical one by nudging every parameter by
``+eps`` and ``-eps`` (masked connections are skipped: they do not exist), and returns a
:class:`GradientReport` that prints one line per weight matrix, like the Stanford course's
``checkNNGradients``. It never changes the caller's network.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .backprop import check_targets, loss_and_grads
from .losses import Loss
from .network import Network, views

Array = NDArray[Any]


def numerical_grad(f: Callable[[Array], float], params: Array, eps: float = 1e-6,
                   skip: NDArray[np.bool_] | None = None) -> Array:
    """Estimate d f / d params by central differences; the result is shaped like ``params``.

    Each entry is nudged by +eps and -eps, then restored: two calls of ``f`` per parameter.
    Entries where ``skip`` is true are left at 0.

    >>> numerical_grad(lambda p: float(np.sum(p ** 2)), np.array([3.0, -1.0]))
    array([ 6., -2.])
    """
    grad = np.zeros_like(params, dtype=np.float64)
    for i in range(params.size):
        if skip is not None and skip[i]:
            continue
        old = params[i]
        params[i] = old + eps
        up = f(params)
        params[i] = old - eps
        down = f(params)
        params[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


@dataclass
class LayerCheck:
    """How backprop's gradient of one weight matrix compares with finite differences."""

    layer: int
    shape: tuple[int, int]
    max_abs_diff: float
    relative_diff: float
    worst: list[tuple[tuple[int, int], float, float]]  # (row, col), analytic, numeric
    passed: bool


@dataclass
class GradientReport:
    """The result of :func:`check_gradients`; ``bool(report)`` is whether every layer passed.

    ``relative_diff`` is ``||analytic - numeric|| / ||analytic + numeric||`` (the course's
    measure), overall and per layer.
    """

    loss: float
    relative_diff: float
    tolerance: float
    layers: list[LayerCheck] = field(default_factory=list)
    analytic: Array | None = None
    numeric: Array | None = None

    @property
    def passed(self) -> bool:
        return self.relative_diff < self.tolerance and all(c.passed for c in self.layers)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        lines = [
            f"gradient check {verdict}: relative difference {self.relative_diff:.3e} "
            f"(tolerance {self.tolerance:.0e}), loss {self.loss:.6g}"
        ]
        for c in self.layers:
            mark = "ok  " if c.passed else "FAIL"
            lines.append(
                f"  {mark} weights[{c.layer}] {c.shape}: max |diff| {c.max_abs_diff:.3e}, "
                f"relative {c.relative_diff:.3e}"
            )
            if not c.passed:
                for (r, col), an, nu in c.worst:
                    lines.append(f"       [{r}, {col}] backprop {an:+.8e}  numeric {nu:+.8e}")
        return "\n".join(lines)

    __repr__ = __str__


def _relative(a: Array, b: Array) -> float:
    den = float(np.linalg.norm(a + b))
    num = float(np.linalg.norm(a - b))
    return 0.0 if num == 0.0 else num / max(den, 1e-300)


def check_gradients(
    net: Network,
    X: Any,
    Y: Any,
    loss: str | Loss = "mse",
    l2: float = 0.0,
    *,
    eps: float = 1e-6,
    tolerance: float = 1e-7,
    worst: int = 3,
) -> GradientReport:
    """Compare backprop's gradient with central differences, in float64.

    Use a handful of samples and a small network: it costs two forward passes per
    parameter. A relative difference around 1e-9 or smaller means backprop is right; a
    ReLU-family unit whose net input is within ``eps`` of 0 can show a spurious difference.

    >>> net = Network.create([3, 4, 2], hidden="tanh", output="sigmoid", seed=1)
    >>> rng = np.random.default_rng(0)
    >>> report = check_gradients(net, rng.normal(size=(5, 3)), rng.random((5, 2)), "mse")
    >>> report.passed
    True
    """
    net64 = net.astype(np.float64)
    X64, Y64 = check_targets(net64, X, Y)
    value, analytic = loss_and_grads(net64, X64, Y64, loss, l2)
    analytic = analytic.copy()

    def f(p: Array) -> float:
        return loss_and_grads(net64, X64, Y64, loss, l2)[0]

    skip = None if net64.mask is None else ~net64.mask
    numeric = numerical_grad(f, net64.params, eps, skip)
    report = GradientReport(value, _relative(analytic, numeric), tolerance,
                            analytic=analytic, numeric=numeric)
    for k, (an, nu) in enumerate(zip(views(analytic, net64.shapes), views(numeric, net64.shapes), strict=False)):
        diff = np.abs(an - nu)
        order = np.argsort(diff, axis=None)[::-1][:worst]
        idx = [np.unravel_index(int(i), an.shape) for i in order]
        rel = _relative(an, nu)
        report.layers.append(LayerCheck(
            layer=k,
            shape=an.shape,
            max_abs_diff=float(diff.max()),
            relative_diff=rel,
            worst=[((int(r), int(c)), float(an[r, c]), float(nu[r, c])) for r, c in idx],
            passed=rel < tolerance,
        ))
    return report
