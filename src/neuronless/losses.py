"""Costs: a value and its gradient, side by side.

Convention (the Stanford ML course's, and scikit-learn's): a cost is **summed over outputs and
averaged over samples**. For ``m`` samples, outputs ``a`` and targets ``y``:

* ``mse``: ``1/(2m) * sum((a - y)**2)`` (the 1/2 makes the gradient ``(a - y)/m``);
* ``binary_cross_entropy``: ``-1/m * sum(y*log(a) + (1-y)*log(1-a))`` for sigmoid outputs
  (one or several independent labels per sample), computed from the logits so that it never
  takes ``log(0)``;
* ``cross_entropy``: ``-1/m * sum(y*log(a))`` for softmax outputs, computed from the logits as
  ``logsumexp(x) - y.x`` (each target row is a probability distribution, usually one-hot).

With a sigmoid (binary cross-entropy) or softmax (cross-entropy) output, d cost/d x is
``(a - y)/m``: each loss knows its partner activation and uses that one fused, stable form
rather than dividing by ``a(1 - a)``. L2 regularisation is added by the network code, not here.

:func:`label_smoothing` makes either cross-entropy train towards smoothed targets
``(1 - epsilon) * y + epsilon / k``, with the same fused gradient.

Nothing here knows about layers; ``forward_delta_`` and ``grad_into`` work on the output
layer's buffers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .activations import Activation
from .errors import ConfigError

Array = NDArray[Any]


@dataclass(frozen=True)
class Loss:
    """A cost function of the outputs ``a`` and targets ``y`` (summed over outputs, averaged over samples).

    ``partner`` names the output activation whose fused gradient this loss uses (``None`` for
    MSE, which works with any output activation). Subclasses implement :meth:`total`,
    :meth:`grad` and :meth:`forward_delta_`.
    """

    name: str
    partner: str | None = None

    def check_output(self, activation: Activation) -> None:
        """Raise ConfigError if this loss cannot be used after ``activation``."""
        if self.partner is not None and activation.name != self.partner:
            raise ConfigError(
                f"loss {self.name!r} needs a {self.partner} output layer; got {activation.name!r}. "
                f"Create the network with output={self.partner!r}, or use loss='mse'."
            )

    def value(self, a: Array, y: Array, x: Array | None = None,
              weights: Array | None = None) -> float:
        """Return the cost: summed over outputs, averaged over the ``len(a)`` samples.

        ``x`` (the output layer's scaled net input) makes the cross-entropies exact for
        saturated outputs; without it they are computed from ``a`` with clipping. With
        per-sample ``weights`` ``w`` (shape ``(m,)``, >= 0) the average is weighted:
        ``sum(w_i * cost_i) / sum(w)``, so a weight of 0 drops a row and 2 counts it twice.
        """
        if weights is not None:
            return float(np.vdot(weights, self.rows(a, y, x)) / np.sum(weights))
        return float(self.total(a, y, x) / a.shape[0])

    def total(self, a: Array, y: Array, x: Array | None = None) -> float:
        raise NotImplementedError

    def rows(self, a: Array, y: Array, x: Array | None = None) -> Array:
        """The cost of each sample, summed over outputs: shape ``(m,)``, summing to :meth:`total`."""
        raise NotImplementedError

    def grad(self, a: Array, y: Array) -> Array:
        """Return d(sum-form cost)/d a (divide by ``m`` for the averaged cost)."""
        raise NotImplementedError

    def forward_delta_(
        self,
        x: Array,
        y: Array,
        activation: Activation,
        scale: float | Array,
        delta: Array,
        scratch: Array,
        row: Array,
    ) -> float:
        """Fused output step for a loss with a partner activation, in place.

        The hot path of training: it sets no ``np.errstate`` of its own. Callers run it with
        overflow and underflow ignored (``Trainer``, ``loss_and_grads``), because logits
        spread beyond the dtype's range overflow in ``x - max(x)`` to ``-inf`` and underflow
        in ``exp``, and both give the right answer, 0.

        ``x`` is the output layer's scaled net input. On return ``x`` holds ``a = f(x)``,
        ``delta`` holds ``scale * d total/d x`` and the summed (not averaged) cost is returned.
        ``scratch`` is a spare buffer shaped like ``x``, ``row`` one shaped ``(m, 1)``.
        """
        raise NotImplementedError

    def grad_into(self, a: Array, y: Array, out: Array) -> None:
        """Write :meth:`grad` into ``out`` (no allocation where the loss allows it)."""
        out[...] = self.grad(a, y)


class _MSE(Loss):
    def total(self, a: Array, y: Array, x: Array | None = None) -> float:
        d = a - y
        return 0.5 * float(np.vdot(d, d))

    def rows(self, a: Array, y: Array, x: Array | None = None) -> Array:
        d = a - y
        out: Array = 0.5 * np.einsum("ij,ij->i", d, d)
        return out

    def grad(self, a: Array, y: Array) -> Array:
        out: Array = a - y
        return out

    def grad_into(self, a: Array, y: Array, out: Array) -> None:
        np.subtract(a, y, out=out)


class _BinaryCrossEntropy(Loss):
    def total(self, a: Array, y: Array, x: Array | None = None) -> float:
        if x is not None:  # softplus(x) - y*x, exact for any logit
            with np.errstate(under="ignore"):  # softplus(x << 0) underflows to its true value, 0
                sp = np.logaddexp(0.0, x)
            return float(np.sum(sp) - np.vdot(y, x))
        tiny = np.finfo(a.dtype).tiny
        p = np.clip(a, tiny, 1.0 - np.finfo(a.dtype).epsneg)
        return -float(np.vdot(y, np.log(p)) + np.vdot(1.0 - y, np.log1p(-p)))

    def rows(self, a: Array, y: Array, x: Array | None = None) -> Array:
        if x is not None:
            with np.errstate(under="ignore"):
                sp = np.logaddexp(0.0, x)
            out: Array = np.sum(sp - y * x, axis=1)
            return out
        p = np.clip(a, np.finfo(a.dtype).tiny, 1.0 - np.finfo(a.dtype).epsneg)
        out = -np.sum(y * np.log(p) + (1.0 - y) * np.log1p(-p), axis=1)
        return out

    def grad(self, a: Array, y: Array) -> Array:
        eps = np.finfo(a.dtype).eps
        out: Array = (a - y) / np.clip(a * (1.0 - a), eps, None)
        return out

    def forward_delta_(
        self,
        x: Array,
        y: Array,
        activation: Activation,
        scale: float | Array,
        delta: Array,
        scratch: Array,
        row: Array,
    ) -> float:
        np.logaddexp(0.0, x, out=scratch)
        total = float(scratch.sum()) - float(np.vdot(y, x))
        activation.inplace(x)  # type: ignore[misc]  # sigmoid has one
        np.subtract(x, y, out=delta)
        delta *= scale
        return total


class _CrossEntropy(Loss):
    def total(self, a: Array, y: Array, x: Array | None = None) -> float:
        if x is not None:
            # x - max <= 0 may overflow to -inf and exp of it underflow: both give exp = 0;
            # clamp at the dtype's minimum so that a 0 target times -inf is 0, not nan
            with np.errstate(over="ignore", under="ignore"):
                shifted = np.maximum(x - x.max(axis=1, keepdims=True), np.finfo(x.dtype).min)
                lse = np.log(np.exp(shifted).sum(axis=1))
            return float(np.vdot(lse, y.sum(axis=1)) - np.vdot(y, shifted))
        p = np.clip(a, np.finfo(a.dtype).tiny, None)
        return -float(np.vdot(y, np.log(p)))

    def rows(self, a: Array, y: Array, x: Array | None = None) -> Array:
        if x is not None:
            with np.errstate(over="ignore", under="ignore"):
                shifted = np.maximum(x - x.max(axis=1, keepdims=True), np.finfo(x.dtype).min)
                lse = np.log(np.exp(shifted).sum(axis=1))
            out: Array = lse * y.sum(axis=1) - np.sum(y * shifted, axis=1)
            return out
        p = np.clip(a, np.finfo(a.dtype).tiny, None)
        out = -np.sum(y * np.log(p), axis=1)
        return out

    def grad(self, a: Array, y: Array) -> Array:
        out: Array = -y / np.clip(a, np.finfo(a.dtype).tiny, None)
        return out

    def forward_delta_(
        self,
        x: Array,
        y: Array,
        activation: Activation,
        scale: float | Array,
        delta: Array,
        scratch: Array,
        row: Array,
    ) -> float:
        # targets are rows that sum to 1 (checked where data enters), so
        # total = sum(log(sum(exp(x - max)))) - y.(x - max)
        x.max(axis=1, keepdims=True, out=row)
        x -= row
        total = -float(np.vdot(y, x))
        np.exp(x, out=x)
        x.sum(axis=1, keepdims=True, out=row)
        x /= row
        np.log(row, out=row)
        total += float(row.sum())
        np.subtract(x, y, out=delta)
        delta *= scale
        return total


@dataclass(frozen=True)
class _Smoothed(Loss):
    """A cross-entropy against smoothed targets ``(1 - epsilon) * y + epsilon / k``.

    ``k`` is the number of classes one target row spreads over: the number of columns for
    softmax, 2 for each sigmoid column. The fused step computes the same thing without
    building the smoothed targets: the cost is linear in the targets.
    """

    epsilon: float = 0.0
    base: Loss | None = None

    def _k(self, y: Array) -> int:
        return int(y.shape[1]) if self.partner == "softmax" else 2

    def smooth(self, y: Array) -> Array:
        """The targets this loss trains towards, ``(1 - epsilon) * y + epsilon / k``."""
        out: Array = (1.0 - self.epsilon) * y + self.epsilon / self._k(y)
        return out

    def total(self, a: Array, y: Array, x: Array | None = None) -> float:
        assert self.base is not None
        return self.base.total(a, self.smooth(y), x)

    def rows(self, a: Array, y: Array, x: Array | None = None) -> Array:
        assert self.base is not None
        return self.base.rows(a, self.smooth(y), x)

    def grad(self, a: Array, y: Array) -> Array:
        assert self.base is not None
        return self.base.grad(a, self.smooth(y))

    def forward_delta_(
        self,
        x: Array,
        y: Array,
        activation: Activation,
        scale: float | Array,
        delta: Array,
        scratch: Array,
        row: Array,
    ) -> float:
        # with t = (1 - e) y + e/k: cost = f(x) - t.x' and d cost/d x = a - t, where f is
        # softplus (sigmoid) or logsumexp (softmax, x' = x - max(x); rows of t sum to 1)
        keep, spread = 1.0 - self.epsilon, self.epsilon / self._k(y)
        if self.partner == "softmax":
            x.max(axis=1, keepdims=True, out=row)
            x -= row
            total = -keep * float(np.vdot(y, x)) - spread * float(x.sum())
            np.exp(x, out=x)
            x.sum(axis=1, keepdims=True, out=row)
            x /= row
            np.log(row, out=row)
            total += float(row.sum())
        else:
            np.logaddexp(0.0, x, out=scratch)
            total = float(scratch.sum()) - keep * float(np.vdot(y, x)) - spread * float(x.sum())
            activation.inplace(x)  # type: ignore[misc]  # sigmoid has one
        np.multiply(y, keep, out=delta)
        np.subtract(x, delta, out=delta)
        delta -= spread
        delta *= scale
        return total


def label_smoothing(loss: str | Loss, epsilon: float) -> Loss:
    """``loss`` (a cross-entropy) against targets smoothed by ``epsilon``; 0 returns ``loss``.

    Label smoothing (Szegedy et al., 2016) trains towards ``(1 - epsilon) * y + epsilon / k``
    instead of the 0/1 targets ``y``: ``k`` classes for softmax cross-entropy, 2 for each
    sigmoid output of binary cross-entropy. The outputs then stop short of 0 and 1, so the
    logits stay finite; RealMLP (Holzmüller et al., 2024) uses ``epsilon = 0.1``. The cost and
    its fused gradient ``(a - smoothed y) / m`` are those of the base loss at the smoothed
    targets; targets are given unsmoothed, as for the base loss.

    >>> ls = label_smoothing("cross_entropy", 0.1)
    >>> ls.name, ls.partner
    ('cross_entropy_smoothed_0.1', 'softmax')
    >>> ls.smooth(np.array([[0.0, 1.0]])).round(6).tolist()
    [[0.05, 0.95]]
    """
    base = get_loss(loss)
    if isinstance(base, _Smoothed):
        raise ConfigError(f"loss {base.name!r} is already smoothed; pass its base loss instead.")
    if base.partner is None:
        raise ConfigError(
            f"label smoothing needs cross_entropy or binary_cross_entropy; got {base.name!r}."
        )
    if not (isinstance(epsilon, (int, float)) and 0.0 <= epsilon < 1.0):
        raise ConfigError(f"label smoothing epsilon must be in [0, 1); got {epsilon!r}.")
    if epsilon == 0:
        return base
    return _Smoothed(f"{base.name}_smoothed_{epsilon:g}", base.partner, float(epsilon), base)


MSE = _MSE("mse")
BINARY_CROSS_ENTROPY = _BinaryCrossEntropy("binary_cross_entropy", partner="sigmoid")
CROSS_ENTROPY = _CrossEntropy("cross_entropy", partner="softmax")

LOSSES: dict[str, Loss] = {m.name: m for m in (MSE, BINARY_CROSS_ENTROPY, CROSS_ENTROPY)}
ALIASES = {"bce": "binary_cross_entropy", "ce": "cross_entropy", "squared_error": "mse"}


def get_loss(spec: str | Loss) -> Loss:
    """Return the loss named ``spec`` (or ``spec`` itself if it is a Loss).

    >>> get_loss("ce").name
    'cross_entropy'
    """
    if isinstance(spec, Loss):
        return spec
    if isinstance(spec, str):
        key = ALIASES.get(spec.lower(), spec.lower())
        if key in LOSSES:
            return LOSSES[key]
    raise ConfigError(
        f"loss must be one of {sorted(LOSSES)}; got {spec!r}. Pass one of those names."
    )


def default_loss(output: Activation) -> Loss:
    """The natural cost for an output activation: its fused partner, else MSE."""
    for loss in (CROSS_ENTROPY, BINARY_CROSS_ENTROPY):
        if loss.partner == output.name:
            return loss
    return MSE
