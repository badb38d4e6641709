"""Backpropagation: the loss of a batch and its gradient with respect to ``params``.

Contract: ``loss_and_grads(net, X, Y, loss, l2)`` returns the cost (summed over outputs,
averaged over the ``m`` samples, plus ``l2/(2m) * sum(w**2)`` over non-bias weights; with
``sample_weight`` a weighted mean, ``m`` the weights' sum) and its gradient as one flat vector laid out like ``net.params``. The backward pass reads the
:class:`~neuronless.network.Trace` that ``Workspace.forward`` recorded, layer by layer:

* output layer: ``delta = d cost/d z`` (fused ``(a - y)/m`` for softmax + cross-entropy and
  sigmoid + binary cross-entropy, times the steepness);
* every layer: ``grads_W[:-1] = input.T @ delta`` and ``grads_W[-1] = delta`` summed over
  samples;
* going down: ``d cost/d a_prev = delta @ W[:-1].T``, then times ``f'`` and the steepness.

Masked connections get zero gradient. Nothing here updates parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .errors import ConfigError, ShapeError
from .losses import Loss, default_loss, get_loss
from .network import Network, Workspace, views

Array = NDArray[Any]
ROW_SUM_TOLERANCE = 1e-3 + 1e-5  # np.allclose's test at 1.0 with atol=1e-3 and its rtol 1e-5


def resolve_loss(net: Network, loss: str | Loss | None) -> Loss:
    """The named loss, or for ``None`` the output layer's natural one (softmax ->
    cross-entropy, sigmoid -> binary cross-entropy, anything else -> MSE)."""
    if loss is not None:
        return get_loss(loss)
    out = net.layers[-1]
    return default_loss(out.uniform if out.uniform is not None else out.groups[0][0])


def check_loss_setup(net: Network, loss: Loss, l2: float) -> None:
    """Raise ConfigError unless ``loss`` fits ``net``'s output layer and ``l2`` is a
    non-negative number: what :class:`Backprop` checks before it allocates anything."""
    out = net.layers[-1]
    if loss.partner is not None:
        if out.uniform is None:
            raise ConfigError(
                f"loss {loss.name!r} needs a single {loss.partner} activation on "
                "the whole output layer; this one mixes activations. Use loss='mse'."
            )
        loss.check_output(out.uniform)
    if not (np.isfinite(l2) and l2 >= 0):
        raise ConfigError(f"l2 must be a non-negative number; got {l2!r}.")


def _identity_mse_delta(x: Array, y: Array, activation: Any, scale: float | Array,
                        delta: Array, scratch: Array, row: Array) -> float:
    """The output step of an identity output with ½·squared error, in the form of a fused
    loss's ``forward_delta_``: ``a = x`` (left in place), ``delta = scale * (a - y)``, and the
    summed cost ``½ sum((a - y)**2)``; the plain pass then serves regression nets too."""
    np.subtract(x, y, out=delta)
    total = 0.5 * float(np.vdot(delta, delta))
    delta *= scale
    return total


class Backprop:
    """Loss and gradient for one network, loss and batch size, reusing every buffer.

    ``bp(X, Y)`` fills ``bp.grads`` (a flat vector laid out like ``net.params``; per-layer
    views in ``bp.grad_views``) and returns the loss. The training loop keeps one per batch
    size (all writing one shared ``grads`` vector), so a training step allocates nothing.
    ``bp.ws.trace`` is the record of the last pass (with ``keep_z=True`` it includes every
    layer's ``z``, for explain mode: the numbers shown are the ones the gradient came from).
    """

    def __init__(
        self,
        net: Network,
        batch: int,
        loss: str | Loss | None = "mse",
        l2: float = 0.0,
        *,
        grads: Array | None = None,
        keep_z: bool = False,
    ) -> None:
        self.net = net
        self.loss = resolve_loss(net, loss)
        check_loss_setup(net, self.loss, l2)
        self.l2 = float(l2)
        self.fused = self.loss.partner is not None
        self.ws = Workspace(net, batch, keep_z=keep_z)
        # a trainer shares one gradient vector among the batch sizes it meets
        self.grads: Array = np.zeros_like(net.params) if grads is None else grads
        if self.grads.shape != net.params.shape or self.grads.dtype != net.params.dtype:
            raise ShapeError(f"grads must be shaped like params {net.params.shape}, {net.dtype}.")
        self.grad_views = views(self.grads, net.shapes)
        self.pscratch = np.empty_like(net.params) if self.l2 else None
        # the plan: every view and callable fixed once, so a step is just the NumPy calls
        ws = self.ws
        self.gW_in = [g[:-1] for g in self.grad_views]
        self.gb = [g[-1] for g in self.grad_views]
        self.W_in_T = [W.T for W in ws.W_in]
        self.back = [self._backward(h) for h in range(len(net.weights))]
        self._pass = self._plain_pass() or self._general_pass

    def _backward(self, h: int) -> Callable[[], object]:
        """Turn ``ws.delta[h]`` from d loss/d a into d loss/d z, in place."""
        ws, layer = self.ws, self.net.layers[h]
        d, a, z, s, m, steep = ws.delta[h], ws.a[h], ws.z[h], ws.scratch[h], ws.bool_mask[h], ws.steep[h]
        act = layer.uniform
        if (act is not None and act.dmul is not None and not act.needs_x
                and isinstance(steep, float) and steep == 1.0):
            dmul = act.dmul
            return lambda: dmul(d, a, None, s, m)
        return lambda: layer.backward_(d, a, z, steep, s, m)

    def _plain_pass(self) -> Callable[[Array, Array], float] | None:
        """The forward and backward pass of a plain layered net with a fused loss, as one
        closure over its buffers: the same NumPy calls as the general pass, with the Python
        overhead of a hand-written loop (it decides the speed of small networks)."""
        ws, net = self.ws, self.net
        out = net.layers[-1].uniform
        linear_mse = (self.loss.name == "mse" and out is not None and out.name == "identity"
                      and self.loss.partner is None)
        if (net.shortcut or not (self.fused or linear_mse) or out is None
                or any(z is not None for z in ws.z)):
            return None
        L = len(ws.a) - 1
        hidden = list(zip(ws.W_in[:-1], ws.bias[:-1], ws.a[:-1], ws.activate[:-1], strict=True))
        W_out, b_out, a_out = ws.W_in[L], ws.bias[L], ws.a[L]
        steep = ws.steep[L]
        unit = isinstance(steep, float) and steep == 1.0
        scale = steep / ws.batch
        fused = self.loss.forward_delta_ if self.fused else _identity_mse_delta
        delta_out, scratch, row, ones = ws.delta[L], ws.scratch[L], ws.row, ws.ones
        down = [
            (ws.a[k - 1].T, ws.delta[k], self.gW_in[k], self.gb[k], self.W_in_T[k], ws.delta[k - 1],
             self.back[k - 1])
            for k in range(L, 0, -1)
        ]
        d0, gW0, gb0 = ws.delta[0], self.gW_in[0], self.gb[0]
        layer0 = ws.trace.layers[0]
        matmul, dot, add, multiply = np.matmul, np.dot, np.add, np.multiply

        def plain_pass(X: Array, Y: Array) -> float:
            layer0.input = X
            a = X
            for W_in, b, buf, act in hidden:
                matmul(a, W_in, out=buf)
                buf += b
                act(buf)
                a = buf
            matmul(a, W_out, out=a_out)
            add(a_out, b_out, out=a_out)
            if not unit:
                multiply(a_out, steep, out=a_out)
            total = fused(a_out, Y, out, scale, delta_out, scratch, row)
            for a_T, d, gW, gb, W_T, d_prev, back in down:
                matmul(a_T, d, out=gW)
                dot(ones, d, out=gb)  # bias gradient as a GEMV: faster than a sum
                matmul(d, W_T, out=d_prev)
                back()
            matmul(X.T, d0, out=gW0)
            dot(ones, d0, out=gb0)
            return total

        return plain_pass

    def __call__(self, X: Array, Y: Array, weights: Array | None = None) -> float:
        """Return the loss of ``(X, Y)`` and leave its gradient in ``self.grads``.

        ``weights`` (shape ``(m,)``, >= 0, the network's dtype) weights each sample in the
        mean: the cost is ``sum(w_i cost_i) / sum(w) + l2/(2 sum(w)) * sum(w**2)``, so the
        unweighted cost is the one with ``w = 1``, and weights of 0 and 2 equal dropping and
        duplicating rows. A batch whose weights sum to 0 has cost 0 and zero gradient.
        """
        net = self.net
        if weights is None:
            m: float = X.shape[0]
            loss = self._pass(X, Y) / m
        else:
            m = float(np.sum(weights))
            if m == 0.0:
                self.grads.fill(0.0)
                return 0.0
            loss = self._weighted_pass(X, Y, weights, m)
        if net.mask is not None:
            self.grads *= net.mask
        if self.l2:
            p = self.pscratch
            assert p is not None
            np.multiply(net.params, net.regularized, out=p)
            loss += self.l2 / (2 * m) * float(np.vdot(p, p))
            p *= self.l2 / m
            self.grads += p
        return float(loss)

    def _weighted_pass(self, X: Array, Y: Array, weights: Array, total_weight: float) -> float:
        """The general pass with each sample's delta scaled by ``w_i / sum(w)``; return the
        weighted mean cost (not the sum)."""
        scale = (weights / total_weight).astype(self.net.dtype, copy=False).reshape(-1, 1)
        return self._general_pass(X, Y, scale)

    def _general_pass(self, X: Array, Y: Array, row_scale: Array | None = None) -> float:
        """Forward (through ``Workspace.forward``) and backward for any topology; return the
        summed cost."""
        net, ws = self.net, self.ws
        m = X.shape[0]
        L = len(ws.a) - 1
        trace = ws.forward(X, activate_output=not self.fused)
        a_out, delta = ws.a[L], ws.delta[L]
        # per-sample weights (row_scale = w / sum(w)) scale each row's delta; the cost is
        # then their weighted mean, read per row (from the logits for a fused loss)
        scale = ws.steep[L] / m if row_scale is None else ws.steep[L] * row_scale
        if self.fused:
            logits = None if row_scale is None else a_out.copy()
            total = self.loss.forward_delta_(a_out, Y, net.layers[L].uniform, scale,  # type: ignore[arg-type]
                                             delta, ws.scratch[L], ws.row)
            if row_scale is not None:
                total = float(np.vdot(row_scale, self.loss.rows(a_out, Y, logits)))
        else:
            total = (self.loss.total(a_out, Y) if row_scale is None
                     else float(np.vdot(row_scale, self.loss.rows(a_out, Y))))
            self.loss.grad_into(a_out, Y, delta)
            delta *= 1.0 / m if row_scale is None else row_scale
            self.back[L]()
        if ws.cat is not None:
            for h in range(L):
                ws.delta[h].fill(0.0)
        ones, deltas, layers = ws.ones, ws.delta, trace.layers
        for k in range(L, -1, -1):
            d = deltas[k]
            np.matmul(layers[k].input.T, d, out=self.gW_in[k])
            np.dot(ones, d, out=self.gb[k])  # bias gradient as a GEMV: faster than a sum
            if k == 0:
                break
            if ws.cat is None:
                np.matmul(d, self.W_in_T[k], out=deltas[k - 1])
            else:
                gin = ws.gin[k]
                np.matmul(d, self.W_in_T[k], out=gin)
                fan = net.fan_ins
                for h in range(k):  # layer h's output sits in columns fan[h] : fan[h] + n_h
                    deltas[h] += gin[:, fan[h] : fan[h] + net.sizes[h + 1]]
            self.back[k - 1]()
        return total


def check_targets(net: Network, X: Any, Y: Any) -> tuple[Array, Array]:
    """Validate a batch for the network: return ``(X, Y)`` as 2-D arrays of its dtype."""
    X2 = net.check_input(X)
    Y2 = np.asarray(Y)
    if not (np.issubdtype(Y2.dtype, np.number) or Y2.dtype == bool):
        raise ShapeError(
            f"Y must hold numbers; got dtype {Y2.dtype}. Turn class labels into one-hot rows "
            "with neuronless.one_hot."
        )
    Y2 = Y2.astype(net.dtype, copy=False)
    if Y2.ndim == 1 and net.n_outputs == 1 and Y2.shape[0] == X2.shape[0]:
        Y2 = Y2.reshape(-1, 1)
    elif Y2.ndim == 1 and Y2.shape[0] == net.n_outputs and X2.shape[0] == 1:
        Y2 = Y2.reshape(1, -1)
    if Y2.ndim != 2 or Y2.shape != (X2.shape[0], net.n_outputs):
        raise ShapeError(
            f"Y must have shape ({X2.shape[0]}, {net.n_outputs}): one row of {net.n_outputs} "
            f"targets per sample of X; got {Y2.shape}. For class labels use neuronless.one_hot."
        )
    return np.ascontiguousarray(X2), np.ascontiguousarray(Y2)


def check_loss_targets(loss: Loss, Y: Array, name: str = "Y") -> None:
    """Raise ConfigError if ``Y`` cannot be a target of ``loss`` (the cross-entropies' ranges)."""
    if loss.partner == "sigmoid" and (Y.min() < 0 or Y.max() > 1):
        raise ConfigError(
            f"{name} must lie in [0, 1] for binary_cross_entropy; got values in "
            f"[{Y.min():.3g}, {Y.max():.3g}]. Use loss='mse' for other targets."
        )
    if loss.partner == "softmax":
        # np.allclose(sums, 1.0, atol=1e-3), that is |sum - 1| <= atol + rtol * 1, without
        # its dozen temporaries (fit checks every call); a NaN sum fails it too
        gap = np.abs(Y.sum(axis=1) - 1.0)
        if Y.min() < 0 or not (gap <= ROW_SUM_TOLERANCE).all():
            raise ConfigError(
                f"{name} rows must be probability distributions (one-hot rows) for "
                "cross_entropy. Turn class labels into rows with neuronless.one_hot(labels)."
            )


def loss_and_grads(
    net: Network, X: Any, Y: Any, loss: str | Loss = "mse", l2: float = 0.0,
    sample_weight: Any = None,
) -> tuple[float, Array]:
    """Return the cost of ``(X, Y)`` and its gradient with respect to ``net.params``.

    Parameters
    ----------
    net : Network
    X : array, shape (m, n_in)
    Y : array, shape (m, n_out)
    loss : "mse", "binary_cross_entropy" or "cross_entropy"
        Summed over outputs, averaged over the ``m`` samples.
    l2 : float
        Adds ``l2/(2m) * sum(w**2)`` over every weight except the biases.
    sample_weight : array (m,), optional
        Non-negative weights of the samples in the mean (and ``m`` becomes their sum): see
        :meth:`Backprop.__call__`.

    Returns
    -------
    loss : float
    grads : ndarray
        Same layout as ``net.params``; ``neuronless.network.views(grads, net.shapes)`` gives
        matrices shaped like ``net.weights``.

    >>> import numpy as np
    >>> net = Network.from_weights([np.array([[0.5], [0.1]]), np.array([[-1.0], [0.3]])],
    ...                            ["identity", "identity"])
    >>> loss, grads = loss_and_grads(net, [[2.0]], [[0.2]], "mse")
    >>> loss, grads.tolist()      # W0 (input row, bias), then W1 (hidden row, bias)
    (0.5, [2.0, 1.0, -1.1, -1.0])
    """
    X2, Y2 = check_targets(net, X, Y)
    bp = Backprop(net, X2.shape[0], loss, l2)
    check_loss_targets(bp.loss, Y2)
    weights = check_sample_weight(sample_weight, X2.shape[0], net.dtype)
    with np.errstate(over="ignore", under="ignore"):  # see Loss.forward_delta_
        value = bp(X2, Y2, weights)
    return value, bp.grads


def check_sample_weight(sample_weight: Any, n: int, dtype: Any) -> Array | None:
    """Validate per-sample weights: ``(n,)`` finite numbers >= 0, not all 0, in ``dtype``."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight)
    if w.ndim == 0 and np.issubdtype(w.dtype, np.number):
        w = np.full(n, float(w))
    if w.shape != (n,) or not np.issubdtype(w.dtype, np.number):
        raise ShapeError(f"sample_weight must hold one number per sample, shape ({n},); got "
                         f"{w.dtype} values of shape {w.shape}.")
    w = np.ascontiguousarray(w, dtype=dtype)
    if not np.isfinite(w).all() or (w < 0).any() or not w.any():
        raise ConfigError("sample_weight must be finite and >= 0 with at least one weight above "
                          "0; pass 1 for every sample to train unweighted.")
    return w
