"""FANN's activation functions, registered in :data:`neuronless.activations.ACTIVATIONS`.

Contract: importing this module adds FANN's functions to the registry under FANN's enum names
in lower case (``"gaussian"``, ``"elliot_symmetric"``, ...) and FANN names that neuronless
already has as aliases (``"linear"`` -> identity, ``"sigmoid_symmetric"`` -> tanh,
``"linear_piece_rect"`` -> relu, ``"linear_piece_rect_leaky"`` -> leaky_relu).
:data:`FANN_ACTIVATIONS` lists the names in FANN's enum order: ``FANN_ACTIVATIONS[k]`` is the
function a ``.net`` file stores as the number ``k``. Numpy only; ``neuronless/__init__.py``
imports this module, so ``import neuronless`` fills the registry.

As everywhere in neuronless, ``x = steepness * z`` and ``a = f(x)``; FANN's formulas are in
terms of the same already-scaled ``x`` (fann.md section 3), so a FANN steepness carries over
unchanged, with one exception: FANN's SIGMOID is ``1 / (1 + exp(-2x))``, neuronless's sigmoid
is ``1 / (1 + exp(-x))``, so SIGMOID with FANN steepness ``s`` is ``"sigmoid"`` with steepness
``2 s`` (:data:`FANN_STEEPNESS_SCALE`). The stepwise sigmoid here keeps FANN's scale: it
approximates ``1 / (1 + exp(-2x))``, just as FANN's does.

Derivatives are exact derivatives of the functions as defined: 0 for the thresholds, the
segment's slope for the piecewise-linear ones (0 on their flat parts; at a breakpoint, the
slope to its right), and ``f'(x)`` for the smooth ones. FANN's training uses different
derivatives in places; fann.md section 4 documents these quirks, kept out of this module for a
later ``fann_compatible`` mode:

* SIGMOID and SIGMOID_STEPWISE: ``2 s y'(1 - y')`` with ``y' = clip(y, 0.01, 0.99)``; the
  stepwise one thus gets the smooth sigmoid's derivative, not its segment slope.
* SIGMOID_SYMMETRIC(_STEPWISE): ``s (1 - y'^2)`` with ``y' = clip(y, -0.98, 0.98)``.
* LINEAR: ``s``. LINEAR_PIECE(_SYMMETRIC): ``s`` everywhere, also on the flat parts.
* THRESHOLD: training raises FANN_E_CANT_TRAIN_ACTIVATION; THRESHOLD_SYMMETRIC: derivative 0.
* GAUSSIAN(_SYMMETRIC): ``-2 sum y s s`` (``-2 sum (y + 1) s s``), where ``sum`` already
  contains ``s``: one factor ``s`` too many.
* ELLIOT(_SYMMETRIC): ``s / (2 (1 + |sum|)^2)`` (``s / (1 + |sum|)^2``): exact.
* SIN/COS(_SYMMETRIC): ``s cos(s sum)`` etc.: the steepness is applied twice inside.
* The forward pass clamps ``sum`` to ``[-150/s, 150/s]`` before ``f`` (float/double builds).
* GAUSSIAN_STEPWISE (enum 9), declared "not implemented", outputs 0 in ``fann_run`` and has
  derivative 0; registered as ``gaussian_stepwise`` doing exactly that, so a ``.net`` file that
  libfann runs loads and runs the same (``neuronless info`` says so).
* LINEAR_PIECE_RECT(_LEAKY) (18, 19) exist only in FANN's development HEAD.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..activations import ACTIVATIONS, ALIASES, Activation

Array = NDArray[Any]

# Breakpoints of FANN's stepwise sigmoids: the float32 values libfann stores (fann.md 4).
SIGMOID_STEPWISE_X = (
    -2.64665246009826660156,
    -1.47221946716308593750,
    -0.549306154251098632812,
    0.549306154251098632812,
    1.47221934795379638672,
    2.64665293693542480469,
)
SIGMOID_STEPWISE_Y = (
    0.00499999988824129104614,
    0.0500000007450580596924,
    0.25,
    0.75,
    0.949999988079071044922,
    0.995000004768371582031,
)
SIGMOID_SYMMETRIC_STEPWISE_X = (
    -2.64665293693542480469,
    -1.47221934795379638672,
    -0.549306154251098632812,
    0.549306154251098632812,
    1.47221934795379638672,
    2.64665293693542480469,
)
SIGMOID_SYMMETRIC_STEPWISE_Y = (
    -0.990000009536743164062,
    -0.899999976158142089844,
    -0.5,
    0.5,
    0.899999976158142089844,
    0.990000009536743164062,
)

# exp(-x**2) is exactly 0 in float64 once |x| > 27.3; clamping |x| at 64 changes no value and
# keeps x**2 from overflowing (float32 overflows at |x| > 1.8e19)
_GAUSSIAN_X_MAX = 64.0


def _threshold(x: Array) -> Array:
    return (x >= 0).astype(x.dtype)  # FANN: x < 0 ? 0 : 1


def _threshold_symmetric(x: Array) -> Array:
    return np.where(x < 0, -1.0, 1.0).astype(x.dtype)


def _zero_df(x: Array | None, a: Array) -> Array:
    return np.zeros_like(a)


def _stepwise(
    name: str, xs: tuple[float, ...], ys: tuple[float, ...], low: float, high: float
) -> Activation:
    """A piecewise-linear function through ``(xs, ys)``: ``low`` below ``xs[0]``, ``high`` from
    ``xs[-1]`` on (FANN jumps there), and the derivative: each segment's slope, 0 outside."""
    xp, fp = np.array(xs), np.array(ys)
    slopes = np.concatenate([[0.0], np.diff(fp) / np.diff(xp), [0.0]])

    def f(x: Array) -> Array:
        y = np.interp(x, xp, fp, left=low, right=high)
        return np.where(x >= xp[-1], high, y).astype(x.dtype, copy=False)

    def df(x: Array | None, a: Array) -> Array:
        assert x is not None  # needs_x
        # segment k lies in [xp[k-1], xp[k]); side="right" gives a breakpoint its right slope
        return slopes[np.searchsorted(xp, x, side="right")].astype(x.dtype, copy=False)

    return Activation(name, f=f, df=df, needs_x=True, output_range=(low, high))


def _gaussian_core(x: Array) -> Array:
    c = np.minimum(np.abs(x), _GAUSSIAN_X_MAX)
    with np.errstate(under="ignore"):  # exp of a very negative number is 0: the right answer
        out: Array = np.exp(-(c * c))
    return out


def _gaussian_df(x: Array | None, a: Array) -> Array:
    assert x is not None
    return -2.0 * (x * a)  # x * a first: a = 0 wherever x is huge, so nothing overflows


def _gaussian_symmetric_df(x: Array | None, a: Array) -> Array:
    assert x is not None
    # -4 x exp(-x^2), from x rather than a + 1, which cancels badly as a approaches -1
    return -4.0 * (x * _gaussian_core(x))


def _elliot_t(x: Array) -> Array:
    out: Array = 1.0 / (1.0 + np.abs(x))
    return out


def _elliot_df(x: Array | None, a: Array) -> Array:
    assert x is not None
    t = _elliot_t(x)
    with np.errstate(under="ignore"):
        return 0.5 * t * t


def _elliot_symmetric_df(x: Array | None, a: Array) -> Array:
    assert x is not None
    t = _elliot_t(x)
    with np.errstate(under="ignore"):
        return t * t


def _inside(lo: float, hi: float) -> Any:
    def df(x: Array | None, a: Array) -> Array:
        return ((a > lo) & (a < hi)).astype(a.dtype)  # slope 1 on the open linear part

    return df


def _dx(fn: Any) -> Any:
    """A derivative that is a function of ``x`` alone."""

    def df(x: Array | None, a: Array) -> Array:
        assert x is not None
        out: Array = fn(x)
        return out

    return df


THRESHOLD = Activation("threshold", f=_threshold, df=_zero_df, output_range=(0.0, 1.0))
THRESHOLD_SYMMETRIC = Activation(
    "threshold_symmetric", f=_threshold_symmetric, df=_zero_df, output_range=(-1.0, 1.0)
)
SIGMOID_STEPWISE = _stepwise("sigmoid_stepwise", SIGMOID_STEPWISE_X, SIGMOID_STEPWISE_Y, 0.0, 1.0)
SIGMOID_SYMMETRIC_STEPWISE = _stepwise(
    "sigmoid_symmetric_stepwise",
    SIGMOID_SYMMETRIC_STEPWISE_X,
    SIGMOID_SYMMETRIC_STEPWISE_Y,
    -1.0,
    1.0,
)
GAUSSIAN = Activation(
    "gaussian", f=_gaussian_core, df=_gaussian_df, needs_x=True, output_range=(0.0, 1.0)
)
GAUSSIAN_SYMMETRIC = Activation(
    "gaussian_symmetric",
    f=lambda x: 2.0 * _gaussian_core(x) - 1.0,
    df=_gaussian_symmetric_df,
    needs_x=True,
    output_range=(-1.0, 1.0),
)
ELLIOT = Activation(
    "elliot",
    f=lambda x: 0.5 * x * _elliot_t(x) + 0.5,
    df=_elliot_df,
    needs_x=True,
    output_range=(0.0, 1.0),
)
ELLIOT_SYMMETRIC = Activation(
    "elliot_symmetric",
    f=lambda x: x * _elliot_t(x),
    df=_elliot_symmetric_df,
    needs_x=True,
    output_range=(-1.0, 1.0),
)
LINEAR_PIECE = Activation(
    "linear_piece",
    f=lambda x: np.clip(x, 0.0, 1.0),
    df=_inside(0.0, 1.0),
    output_range=(0.0, 1.0),
)
LINEAR_PIECE_SYMMETRIC = Activation(
    "linear_piece_symmetric",
    f=lambda x: np.clip(x, -1.0, 1.0),
    df=_inside(-1.0, 1.0),
    output_range=(-1.0, 1.0),
)
SIN_SYMMETRIC = Activation(
    "sin_symmetric", f=np.sin, df=_dx(np.cos), needs_x=True, output_range=(-1.0, 1.0)
)
COS_SYMMETRIC = Activation(
    "cos_symmetric",
    f=np.cos,
    df=_dx(lambda x: -np.sin(x)),
    needs_x=True,
    output_range=(-1.0, 1.0),
)
SIN = Activation(
    "sin",
    f=lambda x: 0.5 * np.sin(x) + 0.5,
    df=_dx(lambda x: 0.5 * np.cos(x)),
    needs_x=True,
    output_range=(0.0, 1.0),
)
COS = Activation(
    "cos",
    f=lambda x: 0.5 * np.cos(x) + 0.5,
    df=_dx(lambda x: -0.5 * np.sin(x)),
    needs_x=True,
    output_range=(0.0, 1.0),
)

#: FANN's ``fann_activationfunc_enum`` in order, lower case: index = the number in a .net file.
#: Every name resolves with :func:`~neuronless.activations.get_activation`.
FANN_ACTIVATIONS: list[str] = [
    "linear",
    "threshold",
    "threshold_symmetric",
    "sigmoid",
    "sigmoid_stepwise",
    "sigmoid_symmetric",
    "sigmoid_symmetric_stepwise",
    "gaussian",
    "gaussian_symmetric",
    "gaussian_stepwise",
    "elliot",
    "elliot_symmetric",
    "linear_piece",
    "linear_piece_symmetric",
    "sin_symmetric",
    "cos_symmetric",
    "sin",
    "cos",
    "linear_piece_rect",
    "linear_piece_rect_leaky",
]

#: neuronless steepness = scale * FANN steepness, for FANN names whose neuronless function is
#: defined on another scale (FANN's SIGMOID is 1 / (1 + exp(-2x))); 1 for every other name.
FANN_STEEPNESS_SCALE: dict[str, float] = {"sigmoid": 2.0}

GAUSSIAN_STEPWISE = Activation(
    "gaussian_stepwise", f=lambda x: np.zeros_like(x), df=_zero_df, output_range=(0.0, 0.0)
)
#: what ``neuronless info`` says of a network with a GAUSSIAN_STEPWISE neuron
GAUSSIAN_STEPWISE_NOTE = ("FANN's GAUSSIAN_STEPWISE (enum 9) was never implemented: libfann "
                          "2.2 outputs 0 for it and trains it with derivative 0, and so does "
                          "neuronless")

FANN_REGISTERED = (
    GAUSSIAN_STEPWISE,
    THRESHOLD,
    THRESHOLD_SYMMETRIC,
    SIGMOID_STEPWISE,
    SIGMOID_SYMMETRIC_STEPWISE,
    GAUSSIAN,
    GAUSSIAN_SYMMETRIC,
    ELLIOT,
    ELLIOT_SYMMETRIC,
    LINEAR_PIECE,
    LINEAR_PIECE_SYMMETRIC,
    SIN_SYMMETRIC,
    COS_SYMMETRIC,
    SIN,
    COS,
)

for _act in FANN_REGISTERED:
    ACTIVATIONS[_act.name] = _act
ALIASES.update(
    {
        "sigmoid_symmetric": "tanh",  # 2 / (1 + exp(-2x)) - 1 is tanh(x) exactly
        "linear_piece_rect": "relu",
        "linear_piece_rect_leaky": "leaky_relu",  # FANN's slope 0.01 = LEAKY_RELU_SLOPE
    }
)
