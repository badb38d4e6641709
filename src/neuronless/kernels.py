"""The compiled training path: a whole epoch of a small net in one numba call.

Contract: :func:`compiled_supported` says whether a network, loss and optimizer can take this
path (``None``) or why not (a sentence). :class:`CompiledEpoch` then runs what
:meth:`~neuronless.training.Trainer.epoch` runs with NumPy: for each mini-batch of the rows
in the given order, the forward pass, the gradient of the mean loss (plus the L2 term), the
mask and the step rule, with the formulas of :mod:`~neuronless.backprop` and
:mod:`~neuronless.optimizers`; it updates ``net.params`` and the optimizer's state in place
and returns the epoch's mean loss. Only the order of the sums differs from the BLAS calls,
so results agree to rounding (tests/test_kernels.py). :func:`forward` is the compiled
prediction.

Supported: layered and shortcut nets (every layer also sees the input and all earlier
layers' outputs), dense or sparse (a ``mask``), of any depth, without a clamp; identity,
tanh, sigmoid and relu layers, one activation per layer or one per neuron, with a steepness
per layer or per neuron; ``mse`` after any of those, ``binary_cross_entropy`` after a sigmoid
layer, ``cross_entropy`` after a softmax layer (the fused ``(a - y)/m`` delta); the step rules
SGD, Momentum, Nesterov, RMSprop, Adam, AdamW, iRprop+, iRprop- and Quickprop of
:mod:`~neuronless.optimizers` (the textbook rules: ``fann_compatible=True`` runs in
:mod:`neuronless.fann`'s own kernels).

numba is imported on the first compiled call, never by ``import neuronless``. The kernels
below are plain Python functions (numba compiles them; nothing in them is a Python object)
and ``cache=True`` keeps the machine code on disk, so a second process loads it.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from . import fused, vecmath
from .losses import BINARY_CROSS_ENTROPY, CROSS_ENTROPY, MSE, Loss
from .optimizers import (
    SGD,
    Adam,
    AdamW,
    IRpropMinus,
    IRpropPlus,
    Momentum,
    Nesterov,
    Quickprop,
    RMSprop,
    State,
)
from .workspace import NetworkLike

Array = NDArray[Any]


class Network(NetworkLike, Protocol):
    """What the kernels read from a :class:`~neuronless.Network` (declared here, so that
    ``network`` may use this module: imports flow downward)."""

    @property
    def params(self) -> Array: ...
    @property
    def shapes(self) -> list[tuple[int, int]]: ...
    @property
    def mask(self) -> Any: ...
    @property
    def regularized(self) -> Array: ...

#: activation name -> the integer code the kernels branch on
ACTIVATION_CODES = {"identity": 0, "tanh": 1, "sigmoid": 2, "relu": 3, "softmax": 4}
#: the layer code of a layer that mixes activations: its neurons' codes are in ``ncodes[k]``
MIXED = 5
LOSS_CODES = {MSE.name: 0, BINARY_CROSS_ENTROPY.name: 1, CROSS_ENTROPY.name: 2}
OPTIMIZER_CODES: dict[type, int] = {SGD: 0, Momentum: 1, Adam: 2, Nesterov: 3, RMSprop: 4,
                                     AdamW: 5, IRpropPlus: 6, IRpropMinus: 7, Quickprop: 8}
_ELEMENTWISE = ("identity", "tanh", "sigmoid", "relu")
#: batches of at least this many rows run in :func:`_epoch_blocked` (rows in SIMD lanes)
BLOCKED_FROM = 32


def _base(loss: Loss) -> Loss:
    """A label-smoothed cross-entropy's base loss (the kernels see smoothed targets)."""
    base = getattr(loss, "base", None)
    return base if isinstance(base, Loss) and hasattr(loss, "smooth") else loss


def compiled_supported(net: Network, loss: Loss, optimizer: Any) -> str | None:
    """``None`` if the compiled epoch can train ``net`` with ``loss`` and ``optimizer``,
    else the reason it cannot (for the caller to fall back to NumPy or to report)."""
    reason = _layers_supported(net)
    if reason is not None:
        return reason
    loss = _base(loss)
    if not any(loss is known for known in (MSE, BINARY_CROSS_ENTROPY, CROSS_ENTROPY)):
        return f"the loss {loss.name!r} is not compiled (mse, binary_cross_entropy, cross_entropy are)"
    out = net.layers[-1].uniform
    if out is None and loss is not MSE:
        return f"the loss {loss.name!r} is compiled only with one activation on the output layer"
    if out is not None and out.name == "softmax" and loss is not CROSS_ENTROPY:
        return f"a softmax output is compiled only with cross_entropy, not {loss.name!r}"
    if type(optimizer) not in OPTIMIZER_CODES:
        return (f"the optimizer {type(optimizer).__name__} is not compiled (SGD, Momentum, "
                "Nesterov, RMSprop, Adam, AdamW, iRprop+, iRprop- and Quickprop are)")
    if getattr(optimizer, "fann_compatible", False):
        if isinstance(optimizer, Quickprop):
            return ("FANN's Quickprop (fann_compatible=True) runs in neuronless.fann's own "
                    "kernels")
        return "FANN's iRPROP- (fann_compatible=True) runs in neuronless.fann's own kernels"
    return None


def _layers_supported(net: Network) -> str | None:
    """``None`` if the compiled kernels can run every layer of ``net`` (layered or shortcut,
    dense or sparse), else the reason."""
    for k, layer in enumerate(net.layers):
        if layer.clamp is not None:
            return f"layer {k} has a clamp"
        last = k == len(net.layers) - 1
        # a mixed layer holds elementwise functions only (LayerActivation refuses softmax there)
        names = ([layer.uniform.name] if layer.uniform is not None
                 else [act.name for act, _ in layer.groups])
        for name in names:
            if name not in _ELEMENTWISE and not (last and name == "softmax"):
                return f"the {name} activation of layer {k} is not compiled"
    return None


#: True if numba imports here, so the compiled path can run (one check for both modules)
available = fused.available


# ------------------------------------------------------------------ the kernels (numba)
# Plain functions, compiled by _compiled(); each calls the others through the module
# globals ending in _jit, which _compiled() binds to the compiled versions.


def _activate(code: int, x: float) -> float:
    """``f(x)`` of the elementwise activation ``code``."""
    if code == 1:
        return float(np.tanh(x))
    if code == 2:
        return float(1.0 / (1.0 + np.exp(-x)))  # exp overflows to inf for x << 0: the limit, 0
    if code == 3:
        return x if x > 0.0 else 0.0
    return x


def _derivative(code: int, a: float) -> float:
    """``f'(x)`` of the elementwise activation ``code``, from its output ``a = f(x)``."""
    if code == 1:
        return 1.0 - a * a
    if code == 2:
        return a * (1.0 - a)
    if code == 3:
        return 1.0 if a > 0.0 else 0.0  # the kink gets slope 0, as in activations.RELU
    return 1.0


def _forward_batch(params: Array, A: Array, m: int, sizes: Array, fans: Array, offsets: Array,
                   codes: Array, ncodes: Array, steep: Array, shortcut: bool,
                   activate_output: bool) -> None:
    """Fill ``A[k + 1, :m]`` with layer ``k``'s output from ``A[0, :m]`` (the input rows).

    ``weights[k][i, j]`` is ``params[offsets[k] + i * n_out + j]`` with ``fans[k]`` input rows
    and the bias row ``i = fans[k]``; with ``shortcut`` those input rows are the network input
    and then every earlier layer's outputs, in that order (``A[0]``, ``A[1]``, ... ``A[k]``).
    A layer whose code is ``MIXED`` takes neuron ``j``'s code from ``ncodes[k, j]``. Without
    ``activate_output`` the last layer keeps ``steepness * z`` (the logits).
    """
    L = sizes.size - 1
    for k in range(L):
        n_in, n_out, off = fans[k], sizes[k + 1], offsets[k]
        W = params[off : off + (n_in + 1) * n_out].reshape((n_in + 1, n_out))
        code = codes[k]
        a, out = A[k], A[k + 1]
        for r in range(m):
            o, x = out[r], a[r]
            for j in range(n_out):
                o[j] = 0.0
            if shortcut:  # the input rows block by block: A[0][r], then each earlier output
                base = 0
                for h in range(k + 1):
                    xh = A[h, r]
                    for i in range(sizes[h]):
                        xi, w = xh[i], W[base + i]
                        for j in range(n_out):
                            o[j] += xi * w[j]
                    base += sizes[h]
            else:
                for i in range(n_in):
                    xi, w = x[i], W[i]
                    for j in range(n_out):  # the row of a @ W[:-1], a contiguous, vectorised loop
                        o[j] += xi * w[j]
            for j in range(n_out):
                o[j] = (o[j] + W[n_in, j]) * steep[k, j]
            if k == L - 1 and not activate_output:
                continue
            if code == 4:  # softmax over the row, shifted by its maximum
                top = out[r, 0]
                for j in range(1, n_out):
                    top = max(top, out[r, j])
                total = 0.0
                for j in range(n_out):
                    out[r, j] = np.exp(out[r, j] - top)
                    total += out[r, j]
                for j in range(n_out):
                    out[r, j] = out[r, j] / total
            elif code == MIXED:
                for j in range(n_out):
                    out[r, j] = _activate_jit(ncodes[k, j], out[r, j])
            else:
                for j in range(n_out):
                    out[r, j] = _activate_jit(code, out[r, j])


def _forward(params: Array, X: Array, sizes: Array, fans: Array, offsets: Array, codes: Array,
             ncodes: Array, steep: Array, shortcut: bool) -> Array:
    """The network's output for the rows of ``X``."""
    m = X.shape[0]
    width = 0
    for n in sizes:
        width = max(width, n)
    A = np.zeros((sizes.size, m, width), dtype=params.dtype)
    A[0, :, : sizes[0]] = X
    _forward_batch_jit(params, A, m, sizes, fans, offsets, codes, ncodes, steep, shortcut, True)
    return A[sizes.size - 1, :, : sizes[sizes.size - 1]].copy()


def _step(params: Array, grads: Array, s1: Array, s2: Array, s3: Array, c: Array,
          opt_code: int, learning_rate: float, beta1: float, beta2: float, eps: float,
          loss: float, t: int, prev_loss: float) -> tuple[int, float]:
    """The step rule ``opt_code`` (see :func:`_epoch`), operation for operation as in
    optimizers.py; ``c[:4]`` holds learning rate, momentum, beta1, beta2 in the dtype.
    Returns the new step count and the loss iRprop+ compares with next."""
    lr, mom, b1, b2 = c[0], c[1], c[2], c[3]
    if opt_code == 0:
        t += 1
        for q in range(params.size):
            params[q] -= grads[q] * lr
    elif opt_code == 1:
        t += 1
        for q in range(params.size):
            v = s1[q] * mom - grads[q] * lr
            s1[q] = v
            params[q] += v
    elif opt_code == 3:  # Nesterov: v = mom v - lr g; params += mom v - lr g
        t += 1
        for q in range(params.size):
            gl = grads[q] * lr
            v = s1[q] * mom - gl
            s1[q] = v
            params[q] += v * mom - gl
    elif opt_code == 4:  # RMSprop; b2 holds 1 - rho, eps the plain epsilon
        t += 1
        c[7] = eps
        eps_r = c[7]
        for q in range(params.size):
            g = grads[q]
            sq = s1[q] + (g * g - s1[q]) * b2
            s1[q] = sq
            params[q] -= (g / (np.sqrt(sq) + eps_r)) * lr
    elif opt_code == 6 or opt_code == 7:  # iRprop+, iRprop- (Igel & Huesken)
        t += 1
        worse = loss > prev_loss
        prev_loss = loss
        c[4] = eps
        c[5] = beta2
        eta_minus, step_max, step_min = b1, c[4], c[5]
        for q in range(params.size):
            g = grads[q]
            turn = np.sign(g) * np.sign(s2[q])
            step = s1[q]
            if turn > 0.0:
                step = step * mom
            elif turn < 0.0:
                step = step * eta_minus
            step = min(max(step, step_min), step_max)
            s1[q] = step
            if turn < 0.0:
                g = g * 0.0
                if opt_code == 6:  # revert the previous update if the loss grew
                    s3[q] = -s3[q] if worse else s3[q] * 0.0
                    params[q] += s3[q]
            else:
                u = np.sign(g) * step
                if opt_code == 6:
                    s3[q] = -u
                    params[q] += s3[q]
                else:
                    params[q] -= u
            s2[q] = g
    elif opt_code == 8:  # Quickprop (Fahlman); mom, b1, b2 hold decay, mu, mu / (1 + mu)
        t += 1
        decay, mu, shrink = mom, b1, b2
        for q in range(params.size):
            d = s1[q]
            s = -(grads[q] + params[q] * decay)  # the slope
            step = s * lr
            if d != 0.0:
                # the parabola's minimum, limited to mu * d when the slope has not shrunk
                # enough (or does not change)
                quad = d * mu
                den = s2[q] - s
                too_big = s > s2[q] * shrink if d > 0.0 else s < s2[q] * shrink
                if not too_big and den != 0.0:
                    quad = d * s / den
                downhill = s > 0.0 if d > 0.0 else s < 0.0
                step = step + quad if downhill else quad
            params[q] += step
            s1[q] = step
            s2[q] = s
    else:  # Adam, and AdamW (code 5), whose mom holds 1 - lr * weight_decay
        if opt_code == 5:
            for q in range(params.size):
                params[q] *= mom
        t += 1
        r_t = math.sqrt((1.0 - beta2) / (1.0 - beta2 ** float(t)))
        c[6] = learning_rate * (1.0 - beta1) / ((1.0 - beta1 ** float(t)) * r_t)
        c[7] = eps / r_t
        step_size, eps_t = c[6], c[7]
        for q in range(params.size):
            g = grads[q]
            mq = s1[q] * b1 + g
            vq = s2[q] * b2 + g * g
            s1[q] = mq
            s2[q] = vq
            params[q] -= (mq / (np.sqrt(vq) + eps_t)) * step_size
    return t, prev_loss


def _mask_and_l2(params: Array, grads: Array, pen: Array, mask: Array, use_mask: bool,
                 reg: Array, l2: float, m: int, c: Array) -> float:
    """Zero the masked gradients, add the L2 term ``l2 / m * reg * params`` to the rest and
    return its share of the loss, ``l2 / (2 m) * sum (reg * params)**2`` (as backprop.py)."""
    if use_mask:
        for q in range(params.size):
            grads[q] *= mask[q]
    if l2 <= 0.0:
        return 0.0
    squares = 0.0
    for q in range(params.size):
        pen[q] = params[q] * reg[q]
        squares += float(pen[q]) * float(pen[q])
    c[6] = l2 / m
    for q in range(params.size):
        grads[q] += pen[q] * c[6]
    return l2 / (2 * m) * squares


def _derive_layer(d: Array, a: Array, m: int, n: int, code: int, ncodes: Array, steep: Array,
                  c: Array) -> None:
    """``d[:m, :n] *= f'(x) * steepness`` from the outputs ``a = f(x)`` of a layer with the
    activation ``code`` (``MIXED``: neuron ``i``'s code is ``ncodes[i]``)."""
    for r in range(m):
        for i in range(n):
            c[5] = _derivative_jit(ncodes[i] if code == MIXED else code, a[r, i])
            d[r, i] = d[r, i] * c[5] * steep[i]


def _epoch(params: Array, X: Array, Y: Array, order: Array, batch: int, sizes: Array,
           fans: Array, offsets: Array, codes: Array, ncodes: Array, steep: Array,
           shortcut: bool, mask: Array, use_mask: bool, reg: Array, l2: float, loss_code: int,
           opt_code: int, learning_rate: float, momentum: float, beta1: float, beta2: float,
           eps: float, s1: Array, s2: Array, s3: Array, t: int,
           prev_loss: float) -> tuple[float, int, float]:
    """One epoch over the rows ``X[order]`` in batches of ``batch``; return (mean loss, t,
    the previous loss iRprop+ compares with).

    The network is laid out as :func:`_forward_batch` reads it (``sizes``, ``fans``,
    ``offsets``, ``codes``, ``ncodes``, ``steep``, ``shortcut``).
    ``loss_code``: 0 mse, 1 sigmoid + binary cross-entropy, 2 softmax + cross-entropy.
    ``opt_code``: 0 SGD, 1 Momentum (``s1`` the velocity), 3 Nesterov (the same), 4 RMSprop
    (``s1`` the squared average, ``beta2`` its ``1 - rho``), 5 AdamW (as Adam, after the
    decay ``params *= momentum``), 2 Adam (``s1``, ``s2`` the
    undamped moments ``m'``, ``v'``; ``t`` the step count), 6 iRprop+ and 7 iRprop- (``s1``
    the step sizes, ``s2`` the previous gradient, ``s3`` the previous update; ``momentum``,
    ``beta1``, ``beta2``, ``eps`` hold eta+, eta-, the smallest and the largest step), 8
    Quickprop (``s1`` the previous step, ``s2`` the previous slope; ``momentum``, ``beta1``,
    ``beta2`` hold decay, mu and ``mu / (1 + mu)``). A batch whose loss is not finite is not
    stepped and ends the epoch, which then returns that loss.
    """
    n = order.size
    L = sizes.size - 1
    n_in, n_out = sizes[0], sizes[L]
    width = 0
    for w in sizes:
        width = max(width, w)
    dt = params.dtype
    A = np.empty((L + 1, batch, width), dtype=dt)
    D = np.empty((L + 1, batch, width), dtype=dt)
    Yb = np.empty((batch, n_out), dtype=dt)
    grads = np.empty_like(params)
    pen = np.empty_like(params)
    # scalars in the parameters' dtype, as NumPy casts a Python float next to an array
    c = np.empty(8, dtype=dt)
    c[0] = learning_rate
    c[1] = momentum
    c[2] = beta1
    c[3] = beta2
    out_code = codes[L - 1]
    total_epoch = 0.0
    n_batches = 0
    for start in range(0, n, batch):
        stop = min(start + batch, n)
        m = stop - start
        n_batches += 1
        for r in range(m):
            src = order[start + r]
            for i in range(n_in):
                A[0, r, i] = X[src, i]
            for j in range(n_out):
                Yb[r, j] = Y[src, j]
        _forward_batch_jit(params, A, m, sizes, fans, offsets, codes, ncodes, steep, shortcut,
                           loss_code == 0)
        # the output layer's delta = d mean loss / d z, and the summed cost
        a_out, d_out = A[L], D[L - 1]
        total = 0.0
        if loss_code == 0:
            for r in range(m):
                for j in range(n_out):
                    oc = out_code if out_code != MIXED else ncodes[L - 1, j]
                    diff = a_out[r, j] - Yb[r, j]
                    total += 0.5 * float(diff) * float(diff)
                    c[4] = steep[L - 1, j] / m if oc == 0 else 1.0 / m
                    d = diff * c[4]
                    if oc != 0:
                        c[5] = _derivative_jit(oc, a_out[r, j])
                        d = d * c[5] * steep[L - 1, j]
                    d_out[r, j] = d
        elif loss_code == 1:
            for r in range(m):
                for j in range(n_out):
                    x = a_out[r, j]
                    # softplus(x) = logaddexp(0, x), then a = sigmoid(x)
                    sp = max(x, 0.0) + np.log1p(np.exp(-abs(x)))
                    total += float(sp) - float(Yb[r, j]) * float(x)
                    a_out[r, j] = _activate_jit(2, x)
                    c[4] = steep[L - 1, j] / m
                    d_out[r, j] = (a_out[r, j] - Yb[r, j]) * c[4]
        else:
            for r in range(m):
                top = a_out[r, 0]
                for j in range(1, n_out):
                    top = max(top, a_out[r, j])
                row = 0.0
                for j in range(n_out):
                    a_out[r, j] -= top
                    total -= float(Yb[r, j]) * float(a_out[r, j])
                    a_out[r, j] = np.exp(a_out[r, j])
                    row += a_out[r, j]
                for j in range(n_out):
                    a_out[r, j] = a_out[r, j] / row
                total += math.log(row)
                for j in range(n_out):
                    c[4] = steep[L - 1, j] / m
                    d_out[r, j] = (a_out[r, j] - Yb[r, j]) * c[4]
        # backward: grads of every layer, then the delta one layer down
        for k in range(L - 1, -1, -1):
            k_in, k_out, off = fans[k], sizes[k + 1], offsets[k]
            size = (k_in + 1) * k_out
            W = params[off : off + size].reshape((k_in + 1, k_out))
            gW = grads[off : off + size].reshape((k_in + 1, k_out))
            a, d = A[k], D[k]
            gW[:, :] = 0.0
            for r in range(m):
                if shortcut:
                    base = 0
                    for h in range(k + 1):
                        ah = A[h, r]
                        for i in range(sizes[h]):
                            ai = ah[i]
                            for j in range(k_out):
                                gW[base + i, j] += ai * d[r, j]
                        base += sizes[h]
                else:
                    for i in range(k_in):
                        ai = a[r, i]
                        for j in range(k_out):
                            gW[i, j] += ai * d[r, j]
                for j in range(k_out):
                    gW[k_in, j] += d[r, j]
            if k == 0:
                break
            below = D[k - 1]
            code = codes[k - 1]
            if shortcut:
                # this layer's share of d loss / d a of every earlier layer h - 1 (the top
                # layer's is the first), through the rows of W that read it
                base = sizes[0]
                for h in range(1, k + 1):
                    dh = D[h - 1]
                    for r in range(m):
                        for i in range(sizes[h]):
                            acc = d[r, 0] * W[base + i, 0]
                            for j in range(1, k_out):
                                acc += d[r, j] * W[base + i, j]
                            if k == L - 1:
                                dh[r, i] = acc
                            else:
                                dh[r, i] += acc
                    base += sizes[h]
                # layer k - 1 has every share now (only layers k and up read it)
                _derive_layer_jit(below, a, m, sizes[k], code, ncodes[k - 1], steep[k - 1], c)
            elif code == MIXED:
                for r in range(m):
                    for i in range(k_in):
                        acc = d[r, 0] * W[i, 0]
                        for j in range(1, k_out):
                            acc += d[r, j] * W[i, j]
                        below[r, i] = acc
                _derive_layer_jit(below, a, m, k_in, code, ncodes[k - 1], steep[k - 1], c)
            else:
                for r in range(m):
                    for i in range(k_in):
                        acc = d[r, 0] * W[i, 0]  # in the dtype
                        for j in range(1, k_out):
                            acc += d[r, j] * W[i, j]
                        c[5] = _derivative_jit(code, a[r, i])
                        below[r, i] = acc * c[5] * steep[k - 1, i]
        loss = total / m
        loss += _mask_and_l2_jit(params, grads, pen, mask, use_mask, reg, l2, m, c)
        if not math.isfinite(loss):
            return loss, t, prev_loss
        # the step rule, operation for operation as in optimizers.py
        t, prev_loss = _step_jit(params, grads, s1, s2, s3, c, opt_code, learning_rate, beta1,
                                 beta2, eps, loss, t, prev_loss)
        if n_batches == 1 and stop == n:
            return loss, t, prev_loss  # one batch: its loss, as Trainer.epoch returns it
        total_epoch += loss * m
    return total_epoch / n, t, prev_loss


def _dot(a: Array, b: Array, m: int) -> float:
    """``sum a[:m] * b[:m]`` in any order (compiled with reassociation, so it vectorises)."""
    total = 0.0
    for p in range(m):
        total += a[p] * b[p]
    return total


def _sum(a: Array, m: int) -> float:
    """``sum a[:m]`` in any order (as :func:`_dot`)."""
    total = 0.0
    for p in range(m):
        total += a[p]
    return total


def _derive_rows(code: int, a: Array, d: Array, m: int, st: Any, one: Any) -> None:
    """``d[:m] *= f'(x) * steepness`` from the outputs ``a = f(x)``, as :func:`_derivative`
    (in the dtype, a loop that vectorises)."""
    if code == 1:
        for p in range(m):
            d[p] = d[p] * (one - a[p] * a[p]) * st
    elif code == 2:
        for p in range(m):
            d[p] = d[p] * (a[p] * (one - a[p])) * st
    elif code == 3:
        for p in range(m):
            d[p] = d[p] * (one if a[p] > 0.0 else one * 0.0) * st
    else:
        for p in range(m):
            d[p] = d[p] * one * st


def _activate_rows(code: int, z: Array, out: Array, m: int, f: Array, fi: Array, sc: Array,
                   sci: Array) -> None:
    """``out[:m] = f(z[:m])`` for the elementwise activation ``code`` (vectorised)."""
    if code == 1:
        _vtanh_jit(z, out, m, f, fi, sc, sci)
    elif code == 2:  # 1 / (1 + exp(-x)); exp overflows to inf for x << 0: the limit, 0
        for p in range(m):
            out[p] = -z[p]
        _vexp_jit(out, out, m, f, fi, sc, sci)
        for p in range(m):
            out[p] = 1.0 / (1.0 + out[p])
    elif code == 3:
        for p in range(m):
            out[p] = z[p] if z[p] > 0.0 else 0.0
    else:
        for p in range(m):
            out[p] = z[p]


def _epoch_blocked(params: Array, X: Array, Y: Array, order: Array, batch: int, sizes: Array,
                   fans: Array, offsets: Array, codes: Array, ncodes: Array, steep: Array,
                   shortcut: bool, mask: Array, use_mask: bool, reg: Array, l2: float,
                   loss_code: int, opt_code: int, learning_rate: float, momentum: float,
                   beta1: float, beta2: float, eps: float, s1: Array, s2: Array, s3: Array,
                   t: int, prev_loss: float) -> tuple[float, int, float]:
    """:func:`_epoch` for big batches: the rows of a batch go through the network in blocks
    of 256, neuron by neuron with the rows side by side (SIMD lanes), tanh, exp and log from
    :mod:`neuronless.vecmath`; the same formulas, arguments and results (to rounding).

    Every neuron's values are one row of ``V``, input first, then layer by layer: a shortcut
    layer's input rows ``0 .. fans[k]`` are then the rows of its ``weights[k][:-1]``."""
    n = order.size
    L = sizes.size - 1
    n_in, n_out = sizes[0], sizes[L]
    B = min(batch, 256)
    dt = params.dtype
    rows = np.zeros(L + 2, dtype=np.int64)  # rows[k]: layer k's first row in V and D
    for k in range(L + 1):
        rows[k + 1] = rows[k] + sizes[k]
    V = np.empty((rows[L + 1], B), dtype=dt)  # every layer's values, a row per neuron
    D = np.empty((rows[L + 1], B), dtype=dt)  # the deltas, the same way
    top = np.empty(B, dtype=dt)
    row_sum = np.empty(B, dtype=dt)
    share = np.empty(B, dtype=dt)
    a64 = np.empty(B)
    b64 = np.empty(B)
    f, sc = np.empty(B), np.empty(B)
    fi, sci = f.view(np.int64), sc.view(np.int64)
    grads = np.empty_like(params)
    pen = np.empty_like(params)
    c = np.empty(8, dtype=dt)
    c[0] = learning_rate
    c[1] = momentum
    c[2] = beta1
    c[3] = beta2
    c[7] = 1.0  # one in the dtype, for the derivatives
    out_code = codes[L - 1]
    total_epoch = 0.0
    n_batches = 0
    loss = 0.0
    for start in range(0, n, batch):
        stop = min(start + batch, n)
        m = stop - start
        n_batches += 1
        grads[:] = 0.0
        total = 0.0
        c[7] = 1.0  # (the step rule uses c[4:] as scratch)
        for b0 in range(start, stop, B):
            mb = min(B, stop - b0)
            for p in range(mb):
                x_row = X[order[b0 + p]]
                for i in range(n_in):
                    V[i, p] = x_row[i]
            # forward: z = (a @ W[:-1] + W[-1]) * steepness, then f
            for k in range(L):
                k_in, k_out, off = fans[k], sizes[k + 1], offsets[k]
                W = params[off: off + (k_in + 1) * k_out].reshape((k_in + 1, k_out))
                r_in, r_out = 0 if shortcut else rows[k], rows[k + 1]
                last = k == L - 1
                code = codes[k]
                for j in range(k_out):
                    z = V[r_out + j]
                    for p in range(mb):
                        z[p] = 0.0
                    for i in range(k_in):
                        w = W[i, j]
                        src = V[r_in + i]
                        for p in range(mb):
                            z[p] += src[p] * w
                    bias, st = W[k_in, j], steep[k, j]
                    for p in range(mb):
                        z[p] = (z[p] + bias) * st
                    if not last or loss_code == 0:
                        for p in range(mb):
                            a64[p] = z[p]
                        cj = code if code != MIXED else ncodes[k, j]
                        _activate_rows_jit(cj, a64, b64, mb, f, fi, sc, sci)
                        for p in range(mb):
                            z[p] = b64[p]
            # the output layer's delta = d mean loss / d z, and the summed cost
            ro = rows[L]
            if loss_code == 0:
                for j in range(n_out):
                    a, d = V[ro + j], D[ro + j]
                    st = steep[L - 1, j]
                    oc = out_code if out_code != MIXED else ncodes[L - 1, j]
                    c[4] = st / m if oc == 0 else 1.0 / m
                    scale = c[4]
                    for p in range(mb):
                        diff = a[p] - Y[order[b0 + p], j]
                        total += 0.5 * float(diff) * float(diff)
                        d[p] = diff * scale
                    if oc != 0:
                        _derive_rows_jit(oc, a, d, mb, st, c[7])
            elif loss_code == 1:  # sigmoid + binary cross-entropy on the logits x
                for j in range(n_out):
                    x, d = V[ro + j], D[ro + j]
                    for p in range(mb):
                        a64[p] = -abs(x[p])
                    _vexp_jit(a64, a64, mb, f, fi, sc, sci)  # u = exp(-|x|)
                    _vlog1p_jit(a64, b64, mb, f, fi, sc, sci)  # softplus = max(x, 0) + log1p(u)
                    c[4] = steep[L - 1, j] / m
                    scale = c[4]
                    for p in range(mb):
                        xv = float(x[p])
                        y = float(Y[order[b0 + p], j])
                        total += (max(xv, 0.0) + b64[p]) - y * xv
                    for p in range(mb):  # sigmoid(x) from the same u
                        u = a64[p]
                        x[p] = 1.0 / (1.0 + u) if x[p] >= 0.0 else u / (1.0 + u)
                    for p in range(mb):
                        d[p] = (x[p] - Y[order[b0 + p], j]) * scale
            else:  # softmax + cross-entropy, row by row across the output neurons
                for p in range(mb):
                    top[p] = V[ro, p]
                for j in range(1, n_out):
                    x = V[ro + j]
                    for p in range(mb):
                        top[p] = max(top[p], x[p])
                for p in range(mb):
                    row_sum[p] = 0.0
                for j in range(n_out):
                    x = V[ro + j]
                    for p in range(mb):
                        x[p] -= top[p]
                        total -= float(Y[order[b0 + p], j]) * float(x[p])
                        a64[p] = x[p]
                    _vexp_jit(a64, b64, mb, f, fi, sc, sci)
                    for p in range(mb):
                        x[p] = b64[p]
                        row_sum[p] += x[p]
                for p in range(mb):
                    a64[p] = row_sum[p]
                _vlog_jit(a64, b64, mb, f, fi, sc, sci)
                for p in range(mb):
                    total += b64[p]
                for j in range(n_out):
                    x, d = V[ro + j], D[ro + j]
                    c[4] = steep[L - 1, j] / m
                    scale = c[4]
                    for p in range(mb):
                        x[p] = x[p] / row_sum[p]
                        d[p] = (x[p] - Y[order[b0 + p], j]) * scale
            # backward: this block's share of every gradient, then the deltas one layer down
            for k in range(L - 1, -1, -1):
                k_in, k_out, off = fans[k], sizes[k + 1], offsets[k]
                size = (k_in + 1) * k_out
                W = params[off: off + size].reshape((k_in + 1, k_out))
                gW = grads[off: off + size].reshape((k_in + 1, k_out))
                r_in, r_out = 0 if shortcut else rows[k], rows[k + 1]
                for j in range(k_out):
                    d = D[r_out + j]
                    for i in range(k_in):
                        gW[i, j] += _dot_jit(V[r_in + i], d, mb)
                    gW[k_in, j] += _sum_jit(d, mb)
                if k == 0:
                    break
                code = codes[k - 1]
                if shortcut:
                    # this layer's share of d loss / d a of every earlier layer's neurons (the
                    # top layer's is the first), then layer k - 1 has all of its shares
                    for i in range(sizes[0], k_in):
                        below = share if k < L - 1 else D[i]
                        for p in range(mb):
                            below[p] = 0.0
                        for j in range(k_out):
                            w = W[i, j]
                            d = D[r_out + j]
                            for p in range(mb):
                                below[p] += d[p] * w
                        if k < L - 1:
                            dh = D[i]
                            for p in range(mb):
                                dh[p] += share[p]
                    for i in range(sizes[k]):
                        cj = code if code != MIXED else ncodes[k - 1, i]
                        _derive_rows_jit(cj, V[rows[k] + i], D[rows[k] + i], mb, steep[k - 1, i],
                                         c[7])
                    continue
                for i in range(k_in):
                    below = D[r_in + i]
                    for p in range(mb):
                        below[p] = 0.0
                    for j in range(k_out):
                        w = W[i, j]
                        d = D[r_out + j]
                        for p in range(mb):
                            below[p] += d[p] * w
                    cj = code if code != MIXED else ncodes[k - 1, i]
                    _derive_rows_jit(cj, V[r_in + i], below, mb, steep[k - 1, i], c[7])
        loss = total / m
        loss += _mask_and_l2_jit(params, grads, pen, mask, use_mask, reg, l2, m, c)
        if not math.isfinite(loss):
            return loss, t, prev_loss
        t, prev_loss = _step_jit(params, grads, s1, s2, s3, c, opt_code, learning_rate, beta1,
                                 beta2, eps, loss, t, prev_loss)
        if n_batches == 1 and stop == n:
            return loss, t, prev_loss
        total_epoch += loss * m
    return total_epoch / n, t, prev_loss


_activate_jit: Any = None
_derivative_jit: Any = None
_forward_batch_jit: Any = None
_step_jit: Any = None
_mask_and_l2_jit: Any = None
_derive_layer_jit: Any = None
_dot_jit: Any = None
_sum_jit: Any = None
_activate_rows_jit: Any = None
_derive_rows_jit: Any = None
_vexp_jit: Any = None
_vlog_jit: Any = None
_vlog1p_jit: Any = None
_vtanh_jit: Any = None


@functools.cache
def _compiled() -> tuple[Any, Any, Any]:
    """Compile (or load from numba's cache) the kernels: ``(forward, epoch, blocked epoch)``."""
    import numba

    global _activate_jit, _derivative_jit, _forward_batch_jit, _step_jit, _dot_jit, _sum_jit
    global _mask_and_l2_jit, _derive_layer_jit
    global _activate_rows_jit, _derive_rows_jit, _vexp_jit, _vlog_jit, _vlog1p_jit, _vtanh_jit
    jit = numba.njit(cache=True, nogil=True)
    blocks = vecmath.jitted()
    _vexp_jit, _vlog_jit, _vlog1p_jit, _vtanh_jit = blocks.exp, blocks.log, blocks.log1p, blocks.tanh
    _activate_jit = jit(_activate)
    _derivative_jit = jit(_derivative)
    _forward_batch_jit = jit(_forward_batch)
    _step_jit = jit(_step)
    _mask_and_l2_jit = jit(_mask_and_l2)
    _derive_layer_jit = jit(_derive_layer)
    reorder = numba.njit(cache=True, nogil=True, fastmath={"reassoc", "nsz"})
    _dot_jit = reorder(_dot)
    _sum_jit = reorder(_sum)
    _activate_rows_jit = jit(_activate_rows)
    _derive_rows_jit = jit(_derive_rows)
    return jit(_forward), jit(_epoch), jit(_epoch_blocked)


# ------------------------------------------------------------------ the Python side


class Plan:
    """A network as the kernels read it: ``sizes`` (units per layer, input first),
    ``fans`` (each layer's input rows, ``net.fan_ins``), ``offsets`` (where each weight
    matrix starts in ``params``), ``codes`` (each layer's activation code, ``MIXED`` for a
    layer that mixes them), ``ncodes`` (every neuron's code, a row per layer), ``steep``
    (every neuron's steepness, in the network's dtype) and ``shortcut``."""

    def __init__(self, net: Network) -> None:
        self.sizes = np.asarray(net.sizes, dtype=np.int64)
        self.fans = np.asarray(net.fan_ins, dtype=np.int64)
        self.offsets = np.zeros(len(net.shapes), dtype=np.int64)
        self.offsets[1:] = np.cumsum([r * c for r, c in net.shapes])[:-1]
        width = max(net.sizes)
        self.codes = np.zeros(len(net.layers), dtype=np.int64)
        self.ncodes = np.zeros((len(net.layers), width), dtype=np.int64)
        self.steep = np.zeros((len(net.layers), width), dtype=net.dtype)
        for k, layer in enumerate(net.layers):
            if layer.uniform is not None:
                self.codes[k] = ACTIVATION_CODES[layer.uniform.name]
                self.ncodes[k, : layer.n_out] = self.codes[k]
            else:
                self.codes[k] = MIXED
                for act, idx in layer.groups:
                    self.ncodes[k, idx] = ACTIVATION_CODES[act.name]
            self.steep[k, : layer.n_out] = layer.scale(net.dtype)
        self.shortcut = bool(net.shortcut)

    def args(self) -> tuple[Array, Array, Array, Array, Array, Array, bool]:
        """The kernels' arguments ``(sizes, fans, offsets, codes, ncodes, steep, shortcut)``."""
        return (self.sizes, self.fans, self.offsets, self.codes, self.ncodes, self.steep,
                self.shortcut)


def forward(net: Network, X: Any) -> Array:
    """The output of a supported ``net`` for ``X``, compiled (as ``net.forward(X)``)."""
    X2 = np.ascontiguousarray(net.check_input(X))
    out: Array = _compiled()[0](net.params, X2, *Plan(net).args())
    return out


def forward_supported(net: Network) -> str | None:
    """``None`` if :class:`OneSample` can run ``net`` (the layers :class:`CompiledEpoch`
    runs: layered or shortcut, one activation or one per neuron), else the reason."""
    return _layers_supported(net)


class OneSample:
    """The compiled forward pass of one 1-D sample, into buffers made once: what
    :meth:`~neuronless.Network.forward` switches to for a network asked for many single
    samples (check :func:`forward_supported` first). Reads ``net.params`` at every call, so
    training in between is seen; the architecture is read once, here."""

    def __init__(self, net: Network) -> None:
        reason = forward_supported(net)
        assert reason is None, reason
        self.net = net
        self.plan = Plan(net)
        self.A = np.zeros((len(net.sizes), 1, int(max(net.sizes))), dtype=net.dtype)
        self.n_in, self.n_out, self.last = net.sizes[0], net.sizes[-1], len(net.sizes) - 1
        _compiled()
        self.kernel = _forward_batch_jit

    def __call__(self, x: Array) -> Array:
        A = self.A
        A[0, 0, : self.n_in] = x
        p = self.plan
        self.kernel(self.net.params, A, 1, p.sizes, p.fans, p.offsets, p.codes, p.ncodes,
                    p.steep, p.shortcut, True)
        out: Array = A[self.last, 0, : self.n_out].copy()
        return out


class CompiledEpoch:
    """The compiled :meth:`~neuronless.training.Trainer.epoch` of one network, loss and
    optimizer (check :func:`compiled_supported` first): layered or shortcut, dense or sparse
    nets whose layers have one activation or one per neuron (identity, tanh, sigmoid, relu;
    softmax on the output) and a steepness per layer or per neuron, with mse,
    binary_cross_entropy or cross_entropy (label-smoothed too) and SGD, Momentum, Nesterov,
    RMSprop, Adam, AdamW, iRprop+, iRprop- or Quickprop. The plan (:class:`Plan`: sizes,
    offsets, activation codes, steepness; the mask) is read once, here: build a new one after
    changing the architecture, the activations or the mask."""

    def __init__(self, net: Network, loss: Loss, optimizer: Any, l2: float) -> None:
        reason = compiled_supported(net, loss, optimizer)
        assert reason is None, reason
        self.net, self.optimizer = net, optimizer
        self.plan = Plan(net)
        self.use_mask = net.mask is not None
        self.mask = (net.mask.astype(net.dtype) if net.mask is not None
                     else np.empty(0, dtype=net.dtype))
        self.l2 = float(l2)
        self.reg = net.regularized if self.l2 else np.empty(0, dtype=net.dtype)
        self.loss_code = LOSS_CODES[_base(loss).name]
        # label smoothing: the base loss at the smoothed targets (losses.label_smoothing)
        self.smooth = getattr(loss, "smooth", None) if _base(loss) is not loss else None
        self.opt_code = OPTIMIZER_CODES[type(optimizer)]
        self._none = np.empty(0, dtype=net.dtype)
        self._orders: dict[int, Array] = {}
        _, self._kernel, self._blocked = _compiled()

    def __call__(self, X: Array, Y: Array, state: State, batch: int,
                 learning_rate: float | None = None, order: Array | None = None) -> float:
        """One epoch over the rows ``X[order]`` (default: in order) in batches of ``batch``;
        updates ``net.params`` and ``state`` in place and returns the mean loss."""
        net, opt = self.net, self.optimizer
        n = X.shape[0]
        if self.smooth is not None:
            Y = np.ascontiguousarray(self.smooth(Y), dtype=Y.dtype)
        if order is None:
            order = self._orders.get(n)
            if order is None:
                order = self._orders[n] = np.arange(n, dtype=np.int64)
        lr = float(opt.learning_rate if learning_rate is None else learning_rate)
        s1 = s2 = self._none
        momentum = beta1 = beta2 = eps = 0.0
        if self.opt_code == 1:
            s1, momentum = state.arrays["velocity"], float(opt.momentum)
        elif self.opt_code == 3:
            s1, momentum = state.arrays["velocity"], float(opt.momentum)
        elif self.opt_code == 4:
            s1, beta2, eps = state.arrays["square_avg"], 1.0 - float(opt.rho), float(opt.eps)
        elif self.opt_code in (2, 5):
            s1, s2 = state.arrays["m"], state.arrays["v"]
            beta1, beta2, eps = float(opt.beta1), float(opt.beta2), float(opt.eps)
            if self.opt_code == 5:  # decoupled decay first, at this epoch's rate
                momentum = 1.0 - lr * float(opt.weight_decay)
        s3 = self._none
        prev_loss = math.inf
        if self.opt_code == 8:
            s1, s2 = state.arrays["prev_step"], state.arrays["prev_slope"]
            mu = float(opt.mu)
            momentum, beta1, beta2 = float(opt.decay), mu, mu / (1.0 + mu)
        if self.opt_code in (6, 7):
            a = state.arrays
            s1, s2, s3 = a["steps"], a["prev_grads"], a["prev_update"]
            momentum, beta1 = float(opt.eta_plus), float(opt.eta_minus)
            beta2, eps = float(opt.step_min), float(opt.step_max)
            prev_loss = float(state.scalars.get("prev_loss", math.inf))
        batch = int(min(batch, n))
        kernel = self._blocked if batch >= BLOCKED_FROM else self._kernel
        loss, t, prev_loss = kernel(
            net.params, X, Y, order, batch, *self.plan.args(), self.mask, self.use_mask,
            self.reg, self.l2, self.loss_code, self.opt_code, lr, momentum, beta1, beta2, eps,
            s1, s2, s3, int(state.t), prev_loss,
        )
        state.t = int(t)
        if self.opt_code == 6:
            state.scalars["prev_loss"] = float(prev_loss)
        return float(loss)
