"""FANN's error measures and FANN's activation derivatives, vectorised.

Contract: pure functions of arrays (batch-first, one column per neuron) and FANN activation
names (lower case, :data:`neuronless.fann.activations.FANN_ACTIVATIONS`), with libfann 2.2's
exact semantics (fann.md sections 4 and 5):

* :func:`output_diff` is FANN's per-output error ``target - y``, halved for outputs whose
  activation FANN calls symmetric (:data:`neuronless.fann.params.SYMMETRIC`);
* :func:`fann_mse` / :func:`bit_fail` / :func:`fann_errors` are ``fann_get_MSE`` (the mean of
  the squared diffs over patterns x outputs) and ``fann_get_bit_fail`` (how many output values
  have ``|diff| >= bit_fail_limit``) after ``fann_test_data``;
* :func:`error_function` is the backprop error of FANN's LINEAR (``diff``) and TANH
  (``ln((1 + diff) / (1 - diff))``, ``+-17`` where ``|diff| > 0.9999999``) error functions;
* :class:`FannDerivative` / :func:`fann_derivative` is FANN's ``fann_activation_derived``:
  the derivative FANN's backprop uses, quirks included (section 4 table), from a neuron's
  output ``y``, its ``sum`` (FANN's already-scaled, clamped net input) and FANN steepness.

FANN keeps the constants of these formulas in C ``float`` (0.01f, 0.99f, 0.98f); they are used
as such here, so float64 results equal libfann's double build. Leaf module: NumPy and the
activation names only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import ConfigError, ShapeError
from .activations import FANN_ACTIVATIONS
from .params import SYMMETRIC

Array = NDArray[Any]

BIT_FAIL_LIMIT = 0.35  # FANN's default bit_fail_limit
TANH_ERROR_LIMIT = 0.9999999  # beyond this |diff| FANN's TANH error function returns +-17
TANH_ERROR_CLIP = 17.0

_F = float  # (for readability below) a Python float holding a C float constant
_SIG_LO, _SIG_HI = _F(np.float32(0.01)), _F(np.float32(0.99))
_SYM_LIM = _F(np.float32(0.98))

#: FANN names whose derivative reads the neuron's ``sum`` (the others read only ``y``/steepness).
NEEDS_SUM = frozenset(
    {"gaussian", "gaussian_symmetric", "elliot", "elliot_symmetric", "sin_symmetric",
     "cos_symmetric", "sin", "cos", "linear_piece_rect", "linear_piece_rect_leaky"}
)
#: FANN names FANN's training cannot (THRESHOLD: FANN_E_CANT_TRAIN_ACTIVATION) or will not
#: usefully train (THRESHOLD_SYMMETRIC and the unimplemented GAUSSIAN_STEPWISE: derivative 0).
UNTRAINABLE = frozenset({"threshold"})


def _names(activations: str | Sequence[str], n: int) -> tuple[str, ...]:
    names = (activations,) * n if isinstance(activations, str) else tuple(activations)
    if len(names) != n:
        raise ShapeError(
            f"need one FANN activation name per output column ({n}); got {len(names)}."
        )
    for name in names:
        if name not in FANN_ACTIVATIONS:
            raise ConfigError(
                f"{name!r} is not a FANN activation; FANN's are {', '.join(FANN_ACTIVATIONS)}."
            )
    return names


def _pair(outputs: Any, targets: Any) -> tuple[Array, Array]:
    y, t = np.asarray(outputs), np.asarray(targets)
    if y.ndim == 1:
        y = y[None, :]
    if t.ndim == 1:
        t = t[None, :]
    if y.ndim != 2 or y.shape != t.shape:
        raise ShapeError(
            f"outputs and targets must be (patterns, outputs) arrays of the same shape; got "
            f"{np.shape(outputs)} and {np.shape(targets)}."
        )
    return y, t


def symmetric_columns(activations: str | Sequence[str], n: int) -> NDArray[np.bool_]:
    """Which of ``n`` output columns FANN halves (their activation is symmetric)."""
    return np.array([a in SYMMETRIC for a in _names(activations, n)], dtype=bool)


def output_diff(outputs: Any, targets: Any, activations: str | Sequence[str]) -> Array:
    """FANN's ``diff = target - y`` per output value, halved for symmetric activations.

    >>> output_diff([[0.5, 0.0]], [[1.0, 1.0]], ["sigmoid", "sigmoid_symmetric"])
    array([[0.5, 0.5]])
    """
    y, t = _pair(outputs, targets)
    diff = t - y
    sym = symmetric_columns(activations, y.shape[1])
    if sym.all():
        diff /= 2.0
    elif sym.any():
        diff[:, sym] /= 2.0
    return diff


def fann_errors(outputs: Any, targets: Any, activations: str | Sequence[str],
                bit_fail_limit: float = BIT_FAIL_LIMIT) -> tuple[float, int]:
    """``(MSE, bit fail)`` as ``fann_test_data`` leaves them (fann.md section 5).

    MSE = mean of ``diff**2`` over patterns x outputs (so for symmetric outputs a quarter of
    the conventional MSE); bit fail = number of output values with ``|diff| >= limit``.
    ``activations`` is the output layer's FANN activation name, or one per output.

    >>> fann_errors([[0.9], [0.2]], [[1.0], [0.0]], "sigmoid", bit_fail_limit=0.15)
    (0.025, 1)
    """
    diff = output_diff(outputs, targets, activations)
    if diff.size == 0:
        return 0.0, 0
    mse = float(np.vdot(diff, diff)) / diff.size
    return mse, int(np.count_nonzero(np.abs(diff) >= bit_fail_limit))


def fann_mse(outputs: Any, targets: Any, activations: str | Sequence[str]) -> float:
    """FANN's MSE (see :func:`fann_errors`)."""
    return fann_errors(outputs, targets, activations)[0]


def bit_fail(outputs: Any, targets: Any, activations: str | Sequence[str],
             bit_fail_limit: float = BIT_FAIL_LIMIT) -> int:
    """FANN's bit-fail count (see :func:`fann_errors`)."""
    return fann_errors(outputs, targets, activations, bit_fail_limit)[1]


def error_function(diff: Any, name: str = "tanh", *, out: Array | None = None) -> Array:
    """FANN's backprop error for each (already halved) ``diff``: LINEAR or TANH.

    TANH is ``ln((1 + d) / (1 - d))`` (twice ``atanh``), replaced by ``+-17`` where
    ``|d| > 0.9999999``. ``out`` may be ``diff`` itself (in place).

    >>> error_function(np.array([0.0, 0.5, -1.0, 1.5]), "tanh")
    array([  0.        ,   1.09861229, -17.        ,  17.        ])
    """
    d = np.asarray(diff)
    if name == "linear":
        if out is None:
            return d.copy()
        if out is not d:
            np.copyto(out, d)
        return out
    if name != "tanh":
        raise ConfigError(f"FANN's error function must be 'linear' or 'tanh'; got {name!r}.")
    big = np.abs(d) > TANH_ERROR_LIMIT
    sign = np.sign(d) if big.any() else None
    if sign is not None:
        d = np.where(big, 0.0, d).astype(d.dtype, copy=False)
    res = 1.0 + d
    res /= 1.0 - d
    res = np.log(res, out=res if out is None else out)
    if sign is not None:
        np.copyto(res, sign * TANH_ERROR_CLIP, where=big)
    return res


# ----------------------------------------------------------------- derivatives
# Each kernel writes FANN's derivative into ``out`` (same shape as y), following FANN's
# expression order (fann_activation.h) so float64 equals libfann's double build.
def _d_linear(y: Array, s_: Array, s: Any, out: Array) -> None:
    out[...] = s


def _d_zero(y: Array, s_: Array, s: Any, out: Array) -> None:
    out.fill(0.0)


def _consts(dtype: np.dtype[Any]) -> tuple[Any, ...]:
    """FANN's clip bounds and 1 as scalars of ``dtype`` (NumPy is faster with typed scalars)."""
    got = _CONSTS.get(dtype.char)
    if got is None:
        T = dtype.type
        got = _CONSTS[dtype.char] = (T(_SIG_LO), T(_SIG_HI), T(-_SYM_LIM), T(_SYM_LIM), T(1.0))
    return got


_CONSTS: dict[str, tuple[Any, ...]] = {}
_CLIP_MIN_SIZE = 4096  # np.clip's Python wrapper costs more than it saves below this size


def _clip(y: Array, lo: Any, hi: Any, out: Array) -> None:
    """``out = min(max(y, lo), hi)`` (FANN's fann_clip for finite y), the faster way."""
    if y.size >= _CLIP_MIN_SIZE:
        np.clip(y, lo, hi, out=out)
    else:
        np.maximum(y, lo, out=out)
        np.minimum(out, hi, out=out)


def _d_sigmoid(y: Array, s_: Array, s: Any, out: Array) -> None:
    lo, hi, _, _, one = _consts(out.dtype)
    _clip(y, lo, hi, out)  # 2 s v (1 - v), v = clip(y, 0.01f, 0.99f)
    t = np.subtract(one, out)
    if not (isinstance(s, float) and s == 0.5):  # 2 s = 1: FANN's default, skip (exact)
        out *= 2.0 * s
    out *= t


def _d_sigmoid_symmetric(y: Array, s_: Array, s: Any, out: Array) -> None:
    _, _, lo, hi, one = _consts(out.dtype)
    _clip(y, lo, hi, out)  # s (1 - v^2), v = clip(y, -0.98f, 0.98f)
    np.multiply(out, out, out=out)
    np.subtract(one, out, out=out)
    if not (isinstance(s, float) and s == 1.0):
        np.multiply(s, out, out=out)


def _d_gaussian(y: Array, sm: Array, s: Any, out: Array) -> None:
    np.multiply(sm, -2.0, out=out)  # -2 sum y s s
    out *= y
    out *= s
    out *= s


def _d_gaussian_symmetric(y: Array, sm: Array, s: Any, out: Array) -> None:
    np.multiply(sm, -2.0, out=out)  # -2 sum (y + 1) s s
    out *= y + 1.0
    out *= s
    out *= s


def _d_elliot(y: Array, sm: Array, s: Any, out: Array) -> None:
    a = np.abs(sm)
    a += 1.0
    np.multiply(a, 2.0, out=out)  # s / (2 (1 + |sum|) (1 + |sum|))
    out *= a
    np.divide(s, out, out=out)


def _d_elliot_symmetric(y: Array, sm: Array, s: Any, out: Array) -> None:
    a = np.abs(sm)
    a += 1.0
    np.multiply(a, a, out=out)  # s / ((1 + |sum|) (1 + |sum|))
    np.divide(s, out, out=out)


def _d_sin_symmetric(y: Array, sm: Array, s: Any, out: Array) -> None:
    np.multiply(sm, s, out=out)  # s cos(s sum): the steepness a second time
    np.cos(out, out=out)
    np.multiply(s, out, out=out)


def _d_cos_symmetric(y: Array, sm: Array, s: Any, out: Array) -> None:
    np.multiply(sm, s, out=out)  # s * -sin(s sum)
    np.sin(out, out=out)
    np.negative(out, out=out)
    np.multiply(s, out, out=out)


def _d_sin(y: Array, sm: Array, s: Any, out: Array) -> None:
    _d_sin_symmetric(y, sm, s, out)
    out /= 2.0


def _d_cos(y: Array, sm: Array, s: Any, out: Array) -> None:
    _d_cos_symmetric(y, sm, s, out)
    out /= 2.0


def _d_relu(y: Array, sm: Array, s: Any, out: Array) -> None:
    out[...] = s  # FANN HEAD: sum < 0 ? 0 : s
    np.copyto(out, 0.0, where=sm < 0)


def _d_leaky_relu(y: Array, sm: Array, s: Any, out: Array) -> None:
    out[...] = s  # FANN HEAD: sum < 0 ? 0.01 s : s
    out *= np.where(sm < 0, 0.01, 1.0)


_KERNELS = {
    "linear": _d_linear,
    "threshold_symmetric": _d_zero,
    "sigmoid": _d_sigmoid,
    "sigmoid_stepwise": _d_sigmoid,
    "sigmoid_symmetric": _d_sigmoid_symmetric,
    "sigmoid_symmetric_stepwise": _d_sigmoid_symmetric,
    "gaussian": _d_gaussian,
    "gaussian_symmetric": _d_gaussian_symmetric,
    "gaussian_stepwise": _d_zero,
    "elliot": _d_elliot,
    "elliot_symmetric": _d_elliot_symmetric,
    "linear_piece": _d_linear,
    "linear_piece_symmetric": _d_linear,
    "sin_symmetric": _d_sin_symmetric,
    "cos_symmetric": _d_cos_symmetric,
    "sin": _d_sin,
    "cos": _d_cos,
    "linear_piece_rect": _d_relu,
    "linear_piece_rect_leaky": _d_leaky_relu,
}


class FannDerivative:
    """FANN's derivative for one layer of neurons with per-neuron activations and steepness.

    ``names`` is one FANN activation name for the layer or one per neuron; ``steepness`` is
    FANN's steepness (a number or one per neuron). ``__call__(y, sum, out)`` writes the
    derivative of every (pattern, neuron) into ``out`` (shape ``(patterns, neurons)``, the
    dtype of ``y``); ``sum`` is read only where :data:`NEEDS_SUM`. Neurons are grouped by
    function once, so a call costs a few NumPy operations per distinct function.

    Raises :class:`ConfigError` for THRESHOLD, which FANN refuses to train
    (FANN_E_CANT_TRAIN_ACTIVATION).
    """

    def __init__(self, names: str | Sequence[str], steepness: float | Any,
                 n: int | None = None) -> None:
        if n is None:
            n = 1 if isinstance(names, str) else len(names)
        self.names = _names(names, n)
        bad = sorted(set(self.names) & UNTRAINABLE)
        if bad:
            raise ConfigError(
                "FANN cannot train a THRESHOLD neuron (its derivative does not exist; libfann "
                "raises FANN_E_CANT_TRAIN_ACTIVATION). Use sigmoid_stepwise or sigmoid for "
                "training and switch to threshold afterwards."
            )
        s = np.asarray(steepness, dtype=np.float64)
        if s.ndim == 0:
            s = np.full(n, float(s))
        if s.shape != (n,):
            raise ShapeError(f"steepness must be a number or one per neuron ({n}); got {s.shape}.")
        self.n = n
        self.steepness = s
        self.needs_sum = any(name in NEEDS_SUM for name in self.names)
        self.groups: list[tuple[str, Array | None, Array]] = []
        uniq = dict.fromkeys(self.names)
        for name in uniq:
            idx = np.array([i for i, a in enumerate(self.names) if a == name], dtype=np.intp)
            self.groups.append((name, None if idx.size == n else idx, s[idx]))
        self._cast: dict[str, list[Any]] = {}
        self._fast: dict[str, tuple[Any, Any]] = {}

    def _steep(self, dtype: np.dtype[Any]) -> list[Any]:
        key = dtype.str
        if key not in self._cast:
            vals: list[Any] = []
            for _, _, s in self.groups:
                vals.append(float(s[0]) if np.all(s == s[0]) else s.astype(dtype))
            self._cast[key] = vals
        return self._cast[key]

    def __call__(self, y: Array, sums: Array | None, out: Array) -> Array:
        if len(self.groups) == 1 and self.groups[0][1] is None:  # one function: no grouping
            fast = self._fast.get(y.dtype.char)
            if fast is None:
                fast = self._fast[y.dtype.char] = (_KERNELS[self.groups[0][0]],
                                                   self._steep(y.dtype)[0])
            fast[0](y, sums if sums is not None else y, fast[1], out)
            return out
        steeps = self._steep(y.dtype)
        for (name, idx, _), s in zip(self.groups, steeps, strict=True):
            kernel = _KERNELS[name]
            if idx is None:
                kernel(y, sums if sums is not None else y, s, out)
            else:
                part = np.empty((y.shape[0], idx.size), dtype=y.dtype)
                kernel(y[:, idx], (sums if sums is not None else y)[:, idx], s, part)
                out[:, idx] = part
        return out


def fann_derivative(names: str | Sequence[str], y: Any, sums: Any,
                    fann_steepness: float | Any) -> Array:
    """FANN's backprop derivative of a layer's neurons (fann.md section 4), as a new array.

    ``y`` and ``sums`` are ``(patterns, neurons)`` (or 1-D for one pattern); ``names`` one
    FANN activation name or one per neuron; ``fann_steepness`` a number or one per neuron.

    >>> fann_derivative("sigmoid", np.array([[0.5, 0.999]]), np.zeros((1, 2)), 0.5)
    array([[0.25      , 0.00989999]])
    """
    y_arr = np.asarray(y)
    if not np.issubdtype(y_arr.dtype, np.floating):
        y_arr = y_arr.astype(np.float64)
    one = y_arr.ndim == 1
    y2 = y_arr[None, :] if one else y_arr
    s_arr = np.asarray(sums, dtype=y2.dtype)
    s2 = s_arr[None, :] if s_arr.ndim == 1 else s_arr
    if s2.shape != y2.shape:
        raise ShapeError(f"y and sums must have the same shape; got {y2.shape} and {s2.shape}.")
    d = FannDerivative(names, fann_steepness, y2.shape[1])
    out = d(y2, s2, np.empty_like(y2))
    return out[0] if one else out
