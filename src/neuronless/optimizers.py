"""Step rules: update one flat parameter vector in place from its flat gradient.

Contract: an optimizer is a frozen dataclass of hyper-parameters (checked once). ``init(params)``
returns its state (plain arrays and numbers, so a checkpoint can save it);
``step(params, grads, state, learning_rate=None, loss=None)`` updates ``params`` in place with
a fixed number of whole-vector NumPy operations, however many layers the network has. ``grads``
is used as scratch and is overwritten. ``learning_rate`` overrides the configured rate for
this step (schedules); ``loss`` is the loss at ``params`` (iRprop+ and SARPROP read it).

FANN-compatible step rules (``IRpropMinus(fann_compatible=True)``, ``Quickprop(fann_compatible=True)``,
``Sarprop``) reproduce libfann 2.2's weight updates operation for operation. They take
``grads = -slope``, where ``slope`` is FANN's summed slope ``sum over patterns of delta * x``
(so ``grads`` is the gradient of ``1/2 sum diff^2`` for FANN's LINEAR error function, summed,
not averaged, over the patterns); FANN keeps its hyper-parameters in C ``float``, so these
modes round them to float32 before use, exactly as libfann's double build does.

Optimizers never print, stop training or own a schedule; ``training`` does. They see arrays
only, never a network.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Protocol

import numpy as np
from numpy.typing import NDArray

from . import fused
from .errors import ConfigError

Array = NDArray[Any]

RPROP_ETA_PLUS = 1.2  # Riedmiller & Braun (1993)
RPROP_ETA_MINUS = 0.5
RPROP_STEP_INIT = 0.1  # Delta_0, Riedmiller & Braun (1993)
RPROP_STEP_MIN = 1e-6
RPROP_STEP_MAX = 50.0
QUICKPROP_MU = 1.75  # maximum growth factor, Fahlman (1988)
QUICKPROP_DECAY = 1e-4  # Fahlman (1988): a small weight decay term added to each slope


@dataclass
class State:
    """Optimizer state: arrays shaped like ``params`` plus a step counter."""

    t: int = 0
    arrays: dict[str, Array] = field(default_factory=dict)
    scalars: dict[str, float] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Array:
        return self.arrays[name]


class Optimizer(Protocol):
    learning_rate: float

    def init(self, params: Array) -> State: ...

    def step(
        self,
        params: Array,
        grads: Array,
        state: State,
        *,
        learning_rate: float | None = None,
        loss: float | None = None,
    ) -> None: ...


def _positive(obj: object, *names: str) -> None:
    for name in names:
        value = getattr(obj, name)
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise ConfigError(
                f"{type(obj).__name__}.{name} must be a positive number; got {value!r}."
            )


def _fraction(obj: object, *names: str) -> None:
    for name in names:
        value = getattr(obj, name)
        if not (isinstance(value, (int, float)) and 0.0 <= value < 1.0):
            raise ConfigError(f"{type(obj).__name__}.{name} must be in [0, 1); got {value!r}.")


def _zeros(params: Array, *names: str) -> State:
    return State(arrays={n: np.zeros_like(params) for n in names})


def _c_float(value: float) -> float:
    """``value`` rounded to a C float, as FANN stores its parameters (a Python float)."""
    return float(np.float32(value))


FANN_WEIGHT_LIMIT = 1500.0  # FANN clips weights to +-1500 after iRPROP- and quickprop steps
FANN_RPROP_STEP_FLOOR = 0.0001  # FANN: "prev_step may not be zero because then the training will stop"
FANN_QUICKPROP_ZERO = 0.001  # FANN treats |previous step| <= 0.001 as "no previous step"
SARPROP_STEP_MIN = 1e-6  # FANN's SARPROP hard-codes delta_min (Riedmiller & Braun's value)


@dataclass(frozen=True)
class SGD:
    """Plain gradient descent: ``params -= learning_rate * grads``."""

    learning_rate: float = 0.01
    name: ClassVar[str] = "sgd"

    def __post_init__(self) -> None:
        _positive(self, "learning_rate")

    def init(self, params: Array) -> State:
        return State()

    def step(self, params: Array, grads: Array, state: State, *,
             learning_rate: float | None = None, loss: float | None = None) -> None:
        lr = self.learning_rate if learning_rate is None else learning_rate
        state.t += 1
        grads *= lr
        params -= grads


@dataclass(frozen=True)
class Momentum:
    """Gradient descent with classical momentum (Polyak, 1964).

    ``v = momentum * v - learning_rate * grads``; ``params += v``.
    """

    learning_rate: float = 0.01
    momentum: float = 0.9
    name: ClassVar[str] = "momentum"

    def __post_init__(self) -> None:
        _positive(self, "learning_rate")
        _fraction(self, "momentum")

    def init(self, params: Array) -> State:
        return _zeros(params, "velocity")

    def step(self, params: Array, grads: Array, state: State, *,
             learning_rate: float | None = None, loss: float | None = None) -> None:
        lr = self.learning_rate if learning_rate is None else learning_rate
        state.t += 1
        v = state.arrays["velocity"]
        if fused.use_fused(params):  # one multi-threaded pass, bitwise the same result
            fused.momentum(params, grads, v, self.momentum, lr)
            return
        v *= self.momentum
        grads *= lr
        v -= grads
        params += v


@dataclass(frozen=True)
class Nesterov:
    """Nesterov's accelerated gradient in the form of Sutskever et al. (2013).

    ``v = momentum * v - learning_rate * grads``;
    ``params += momentum * v - learning_rate * grads`` (the gradient is taken at ``params``,
    as scikit-learn's and PyTorch's ``nesterov=True`` do).
    """

    learning_rate: float = 0.01
    momentum: float = 0.9
    name: ClassVar[str] = "nesterov"

    def __post_init__(self) -> None:
        _positive(self, "learning_rate")
        _fraction(self, "momentum")

    def init(self, params: Array) -> State:
        return _zeros(params, "velocity", "scratch")

    def step(self, params: Array, grads: Array, state: State, *,
             learning_rate: float | None = None, loss: float | None = None) -> None:
        lr = self.learning_rate if learning_rate is None else learning_rate
        state.t += 1
        v, s = state.arrays["velocity"], state.arrays["scratch"]
        v *= self.momentum
        grads *= lr
        v -= grads
        np.multiply(v, self.momentum, out=s)
        s -= grads
        params += s


@dataclass(frozen=True)
class Adam:
    """Adam (Kingma & Ba, 2015, Algorithm 1).

    ``m = beta1*m + (1-beta1)*g``; ``v = beta2*v + (1-beta2)*g**2``;
    ``params -= learning_rate * m_hat / (sqrt(v_hat) + eps)`` with the bias corrections
    ``m_hat = m/(1-beta1**t)``, ``v_hat = v/(1-beta2**t)``.

    Computed in an equivalent form with 10 whole-vector operations instead of 12: the state
    keeps the undamped sums ``m' = beta1*m' + g`` and ``v' = beta2*v' + g**2`` (so
    ``m = (1-beta1) m'`` and ``v = (1-beta2) v'``), and every constant factor, bias
    corrections included, is folded into two scalars, as in the paper's "efficient" form
    (section 2): ``params -= a_t * m' / (sqrt(v') + eps_t)`` with
    ``r_t = sqrt((1-beta2)/(1-beta2**t))``, ``a_t = learning_rate (1-beta1) / ((1-beta1**t) r_t)``
    and ``eps_t = eps / r_t``.
    """

    learning_rate: float = 0.001
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    name: ClassVar[str] = "adam"

    def __post_init__(self) -> None:
        _positive(self, "learning_rate", "eps")
        _fraction(self, "beta1", "beta2")

    def init(self, params: Array) -> State:
        return _zeros(params, "m", "v", "scratch")

    def _adam(self, params: Array, grads: Array, state: State, lr: float) -> None:
        state.t += 1
        t = state.t
        b1, b2 = self.beta1, self.beta2
        # Python floats: a NumPy float64 scalar would promote float32 arrays
        r = math.sqrt((1.0 - b2) / (1.0 - b2**t))
        step_size = lr * (1.0 - b1) / ((1.0 - b1**t) * r)
        eps = self.eps / r
        m, v, s = state.arrays["m"], state.arrays["v"], state.arrays["scratch"]
        if fused.use_fused(params):  # one multi-threaded pass, bitwise the same result
            fused.adam(params, grads, m, v, b1, b2, step_size, eps)
            return
        m *= b1  # m' = b1 m' + g
        m += grads
        np.multiply(grads, grads, out=grads)  # v' = b2 v' + g^2
        v *= b2
        v += grads
        np.sqrt(v, out=s)
        s += eps
        np.divide(m, s, out=s)
        s *= step_size
        params -= s

    def step(self, params: Array, grads: Array, state: State, *,
             learning_rate: float | None = None, loss: float | None = None) -> None:
        self._adam(params, grads, state, self.learning_rate if learning_rate is None else learning_rate)


@dataclass(frozen=True)
class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    Before each Adam step, ``params *= 1 - learning_rate * weight_decay`` (every parameter,
    as PyTorch's AdamW does; use ``fit(l2=...)`` for an L2 cost that spares the biases).
    """

    weight_decay: float = 0.01
    name: ClassVar[str] = "adamw"

    def __post_init__(self) -> None:
        super().__post_init__()
        if not (math.isfinite(self.weight_decay) and self.weight_decay >= 0):
            raise ConfigError(f"AdamW.weight_decay must be >= 0; got {self.weight_decay!r}.")

    def step(self, params: Array, grads: Array, state: State, *,
             learning_rate: float | None = None, loss: float | None = None) -> None:
        lr = self.learning_rate if learning_rate is None else learning_rate
        if self.weight_decay:
            params *= 1.0 - lr * self.weight_decay
        self._adam(params, grads, state, lr)


@dataclass(frozen=True)
class RMSprop:
    """RMSprop (Tieleman & Hinton, 2012).

    ``s = rho*s + (1-rho)*g**2``; ``params -= learning_rate * g / (sqrt(s) + eps)``.
    """

    learning_rate: float = 0.001
    rho: float = 0.9
    eps: float = 1e-8
    name: ClassVar[str] = "rmsprop"

    def __post_init__(self) -> None:
        _positive(self, "learning_rate", "eps")
        _fraction(self, "rho")

    def init(self, params: Array) -> State:
        return _zeros(params, "square_avg", "scratch")

    def step(self, params: Array, grads: Array, state: State, *,
             learning_rate: float | None = None, loss: float | None = None) -> None:
        lr = self.learning_rate if learning_rate is None else learning_rate
        state.t += 1
        sq, s = state.arrays["square_avg"], state.arrays["scratch"]
        np.multiply(grads, grads, out=s)  # sq += (1-rho)(g^2 - sq)
        s -= sq
        s *= 1.0 - self.rho
        sq += s
        np.sqrt(sq, out=s)
        s += self.eps
        np.divide(grads, s, out=s)
        s *= lr
        params -= s


@dataclass(frozen=True)
class _Rprop:
    eta_plus: float = RPROP_ETA_PLUS
    eta_minus: float = RPROP_ETA_MINUS
    step_init: float = RPROP_STEP_INIT
    step_min: float = None  # type: ignore[assignment]  # resolved in __post_init__
    step_max: float = RPROP_STEP_MAX

    @property
    def learning_rate(self) -> float:  # Rprop has none; schedules do not apply
        return self.step_init

    def _default_step_min(self) -> float:
        return RPROP_STEP_MIN

    def __post_init__(self) -> None:
        if self.step_min is None:
            object.__setattr__(self, "step_min", self._default_step_min())
        _positive(self, "eta_plus", "eta_minus", "step_init", "step_max")
        if not (0 < self.eta_minus < 1 < self.eta_plus):
            raise ConfigError(
                f"Rprop needs 0 < eta_minus < 1 < eta_plus; got eta_minus={self.eta_minus!r}, "
                f"eta_plus={self.eta_plus!r}."
            )
        if not (0 <= self.step_min <= self.step_init <= self.step_max):
            raise ConfigError(
                "Rprop needs 0 <= step_min <= step_init <= step_max; got "
                f"{self.step_min!r}, {self.step_init!r}, {self.step_max!r}."
            )

    def init(self, params: Array) -> State:
        st = _zeros(params, "prev_grads", "factor", "scratch", "prev_update")
        st.arrays["steps"] = np.full_like(params, self.step_init)
        st.arrays["increase"] = np.zeros(params.shape, dtype=bool)
        st.arrays["decrease"] = np.zeros(params.shape, dtype=bool)
        st.scalars["prev_loss"] = math.inf
        return st

    def _adapt(self, grads: Array, state: State) -> tuple[Array, Array]:
        """Grow/shrink the step sizes by the sign of g * g_prev; return the two sign masks."""
        a = state.arrays
        prod, inc, dec, fac = a["scratch"], a["increase"], a["decrease"], a["factor"]
        # sign(g) * sign(g_prev), not g * g_prev: the product of two tiny gradients can
        # underflow to 0 and lose the sign change
        np.sign(grads, out=prod)
        np.sign(a["prev_grads"], out=fac)
        prod *= fac
        np.greater(prod, 0.0, out=inc)
        np.less(prod, 0.0, out=dec)
        fac.fill(1.0)
        np.copyto(fac, self.eta_plus, where=inc)
        np.copyto(fac, self.eta_minus, where=dec)
        steps = a["steps"]
        steps *= fac
        np.clip(steps, self.step_min, self.step_max, out=steps)
        return inc, dec


@dataclass(frozen=True)
class IRpropMinus(_Rprop):
    """iRprop− (Igel & Hüsken, 2000): Rprop without weight-backtracking.

    Per weight: if ``g * g_prev > 0`` the step size grows by ``eta_plus`` (at most
    ``step_max``); if ``< 0`` it shrinks by ``eta_minus`` (at least ``step_min``) and ``g`` is
    set to 0; then ``params -= sign(g) * step``. A full-batch method.

    ``fann_compatible=True`` is libfann 2.2's ``FANN_TRAIN_RPROP`` instead, operation for
    operation (fann.md section 6), with FANN's defaults (``step_min`` 0.0; ``eta_plus`` 1.2,
    ``eta_minus`` 0.5, ``step_init`` 0.1 = ``rprop_delta_zero``, ``step_max`` 50 are the same)
    rounded to C floats. Per weight, with ``g = -slope``:

    * ``step = max(step, 0.0001)``; then if ``g * g_prev >= 0`` (the product itself, so a zero
      gradient counts as "same sign") ``step = min(step * eta_plus, step_max)``, else
      ``step = max(step * eta_minus, step_min)`` and ``g = 0``;
    * ``params -= step`` where ``g > 0`` (then at least -1500), else ``params += step`` (then
      at most +1500): FANN's quirk moves a weight by ``+step`` also right after a sign change
      and where the gradient is exactly 0 (libfann issue #85).
    """

    fann_compatible: bool = False
    name: ClassVar[str] = "irprop-"

    def _default_step_min(self) -> float:
        return 0.0 if self.fann_compatible else RPROP_STEP_MIN

    def init(self, params: Array) -> State:
        st = super().init(params)
        if self.fann_compatible:
            st.arrays["steps"].fill(_c_float(self.step_init))
        return st

    def step(self, params: Array, grads: Array, state: State, *,
             learning_rate: float | None = None, loss: float | None = None) -> None:
        if self.fann_compatible:
            self._fann_step(params, grads, state)
            return
        state.t += 1
        a = state.arrays
        _, dec = self._adapt(grads, state)
        np.copyto(grads, 0.0, where=dec)
        s = a["scratch"]
        np.sign(grads, out=s)
        s *= a["steps"]
        params -= s
        np.copyto(a["prev_grads"], grads)

    def _fann_step(self, params: Array, grads: Array, state: State) -> None:
        # Selections use exact arithmetic on boolean masks (x * 1 = x, x * 0 = 0, x + 0 = x)
        # and copysign, which are cheaper than np.where/take/where= on long vectors.
        state.t += 1
        a = state.arrays
        steps, prev, s, fac = a["steps"], a["prev_grads"], a["scratch"], a["factor"]
        keep, down = a["increase"], a["decrease"]
        cache = self.__dict__.setdefault("_constants", {})  # not a field: per instance
        consts = cache.get(params.dtype.char)
        if consts is None:
            consts = cache[params.dtype.char] = _fann_rprop_constants(
                params.dtype.char, self.eta_plus, self.eta_minus, self.step_min, self.step_max)
        inc, dec, dmin, dmax, floor, zero, gap = consts
        np.maximum(steps, floor, out=steps)
        np.multiply(prev, grads, out=s)
        np.greater_equal(s, zero, out=keep)  # FANN: prev_slope * slope >= 0
        if gap is not None:  # factor = keep * (inc - dec) + dec, exactly inc or dec
            np.multiply(keep, gap, out=fac)
            fac += dec
        else:
            np.multiply(keep, inc, out=fac)
            np.logical_not(keep, out=down)
            np.multiply(down, dec, out=s)
            fac += s
        steps *= fac
        if dmax >= floor:  # then a shrunk step never exceeds dmax: min() is FANN's
            np.minimum(steps, dmax, out=steps)
        else:
            np.minimum(steps, dmax, out=steps, where=keep)
        if dmin > floor * min(dec, inc):
            np.logical_not(keep, out=down)
            np.maximum(steps, dmin, out=steps, where=down)
        np.multiply(grads, keep, out=prev)  # the slope, zeroed after a sign change
        # move by -step where g > 0 (slope < 0), else by +step (also for g = 0, the quirk):
        # 0 - g is -g, or +0 for g = +-0, so copysign gives exactly that
        np.subtract(zero, prev, out=s)
        np.copysign(steps, s, out=s)
        params += s
        np.abs(params, out=s)
        if s.max() > FANN_WEIGHT_LIMIT:  # FANN clips only the side a weight moved to
            np.greater(prev, zero, out=down)
            np.maximum(params, -FANN_WEIGHT_LIMIT, out=params, where=down)
            np.logical_not(down, out=keep)
            np.minimum(params, FANN_WEIGHT_LIMIT, out=params, where=keep)


@functools.lru_cache(maxsize=64)
def _fann_rprop_constants(char: str, eta_plus: float, eta_minus: float, step_min: float,
                          step_max: float) -> tuple[Any, ...]:
    """FANN's iRPROP- constants as scalars of the weight type (C floats, as FANN keeps them);
    ``gap`` = inc - dec if ``gap + dec`` gives back inc exactly, else None."""
    T = np.dtype(char).type
    inc, dec = T(_c_float(eta_plus)), T(_c_float(eta_minus))
    gap = T(inc - dec)
    return (inc, dec, T(_c_float(step_min)), T(_c_float(step_max)), T(FANN_RPROP_STEP_FLOOR),
            T(0.0), gap if T(gap + dec) == inc else None)


@dataclass(frozen=True)
class IRpropPlus(_Rprop):
    """iRprop+ (Igel & Hüsken, 2000): Rprop with weight-backtracking when the loss rises.

    As iRprop−, except where ``g * g_prev < 0``: if the loss grew since the previous step,
    that weight's previous update is undone. Needs ``loss`` at every step.
    """

    name: ClassVar[str] = "irprop+"

    def step(self, params: Array, grads: Array, state: State, *,
             learning_rate: float | None = None, loss: float | None = None) -> None:
        if loss is None:
            raise ConfigError("IRpropPlus.step needs the loss at params (pass loss=...).")
        state.t += 1
        a = state.arrays
        _, dec = self._adapt(grads, state)
        upd, s = a["prev_update"], a["scratch"]
        worse = loss > state.scalars["prev_loss"]
        state.scalars["prev_loss"] = float(loss)
        np.copyto(grads, 0.0, where=dec)
        # where the sign flipped: revert the previous update if the loss grew, else stay
        if worse:
            np.negative(upd, out=s)
        else:
            s.fill(0.0)
        np.copyto(upd, s, where=dec)
        # elsewhere: update = -sign(g) * step
        np.sign(grads, out=s)
        s *= a["steps"]
        np.negative(s, out=s)
        np.copyto(upd, s, where=~dec)
        params += upd
        np.copyto(a["prev_grads"], grads)


@dataclass(frozen=True)
class Quickprop:
    """Quickprop (Fahlman, 1988): a per-weight secant (parabola) step.

    With the slope ``s = -(g + decay * w)`` and previous step ``d``: where ``d == 0`` the step
    is ``learning_rate * s``; otherwise it is ``d * s / (s_prev - s)`` (the parabola's minimum),
    limited to ``mu * d`` when the slope has not shrunk enough (``s`` beyond
    ``mu/(1+mu) * s_prev`` in the direction of ``d``), plus ``learning_rate * s`` while
    ``s`` still points the way ``d`` went. A full-batch method.

    ``fann_compatible=True`` is libfann 2.2's ``FANN_TRAIN_QUICKPROP``, operation for operation
    (fann.md section 6). ``grads`` must then be ``-slope`` with FANN's *summed* slope, and
    ``step(..., patterns=N)`` gives the number of patterns it was summed over: FANN's rate is
    ``eps = learning_rate / N`` (computed in C float). FANN's ``quickprop_decay`` is
    ``-decay`` (FANN's default -0.0001 is this class's 1e-4; in this mode any finite value is
    accepted). With ``s = -g - decay * w``, ``shrink = mu / (1 + mu)``:

    * previous step ``d > 0.001``: ``step = (eps s if s > 0 else 0) + (mu d if s > shrink s_prev
      else d s / (s_prev - s))``; ``d < -0.001``: the mirror image; otherwise ``step = eps s``;
    * ``w = clip(w + step, -1500, 1500)``.
    """

    learning_rate: float = 0.7
    mu: float = QUICKPROP_MU
    decay: float = QUICKPROP_DECAY
    fann_compatible: bool = False
    name: ClassVar[str] = "quickprop"

    def __post_init__(self) -> None:
        _positive(self, "learning_rate", "mu")
        if not math.isfinite(self.decay) or (self.decay < 0 and not self.fann_compatible):
            raise ConfigError(f"Quickprop.decay must be >= 0; got {self.decay!r}.")

    def init(self, params: Array) -> State:
        return _zeros(params, "prev_step", "prev_slope")

    def step(self, params: Array, grads: Array, state: State, *,
             learning_rate: float | None = None, loss: float | None = None,
             patterns: int = 1) -> None:
        lr = self.learning_rate if learning_rate is None else learning_rate
        if self.fann_compatible:
            self._fann_step(params, grads, state, lr, patterns)
            return
        state.t += 1
        d, s_prev = state.arrays["prev_step"], state.arrays["prev_slope"]
        s = -(grads + self.decay * params)
        shrink = self.mu / (1.0 + self.mu)
        moving_up, moving_down = d > 0, d < 0
        downhill = (d == 0) | (moving_up & (s > 0)) | (moving_down & (s < 0))
        step = np.where(downhill, lr * s, 0.0).astype(params.dtype)
        too_big = (moving_up & (s > shrink * s_prev)) | (moving_down & (s < shrink * s_prev))
        den = s_prev - s
        quad = np.zeros_like(s)
        np.divide(d * s, den, out=quad, where=(den != 0) & ~too_big)
        quad = np.where(too_big | ((den == 0) & (d != 0)), self.mu * d, quad)
        step += np.where(d != 0, quad, 0.0).astype(params.dtype)
        params += step
        np.copyto(d, step)
        np.copyto(s_prev, s)

    def _fann_step(self, params: Array, grads: Array, state: State, lr: float,
                   patterns: int) -> None:
        if isinstance(patterns, bool) or not isinstance(patterns, (int, np.integer)) or patterns < 1:
            raise ConfigError(
                f"Quickprop(fann_compatible=True).step needs patterns >= 1 (the number of "
                f"patterns the slopes were summed over); got {patterns!r}."
            )
        state.t += 1
        d, s_prev = state.arrays["prev_step"], state.arrays["prev_slope"]
        eps = float(np.float32(lr) / np.float32(patterns))  # C: float / unsigned, in float
        mu = _c_float(self.mu)
        shrink = _c_float(mu / (1.0 + mu))
        s = params * _c_float(-self.decay)  # FANN: slope + quickprop_decay * w
        s -= grads
        # FANN compares its steps with the double 0.001 (not a float32 0.001)
        up = d > np.float64(FANN_QUICKPROP_ZERO)
        down = d < np.float64(-FANN_QUICKPROP_ZERO)
        lin = s * eps
        lin_term = np.where(up, np.where(s > 0.0, lin, 0.0), np.where(s < 0.0, lin, 0.0))
        limit = s_prev * shrink
        too_big = np.where(up, s > limit, s < limit)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            quad = d * s
            quad /= s_prev - s  # NaN/inf where FANN gets them too (0/0 after a zero slope)
        quad = np.where(too_big, d * mu, quad)
        lin_term += quad
        step = np.where(up | down, lin_term, lin)
        np.copyto(d, step)
        params += step
        np.clip(params, -FANN_WEIGHT_LIMIT, FANN_WEIGHT_LIMIT, out=params)
        np.copyto(s_prev, s)


@dataclass(frozen=True)
class Sarprop:
    """SARPROP (Treadgold & Gedeon, 1998): Rprop with simulated annealing, as FANN 2.2 has it.

    Needs ``grads = -slope`` (FANN's summed slope, see the module docstring) and ``loss`` =
    FANN's MSE of the epoch at ``params`` at every step. With the epoch counter ``t`` (0 for
    the first step, kept in the state), ``c = 2**(-temperature t + weight_decay_shift)`` and
    ``a = 2**(-temperature t + step_error_shift)``, per weight:

    * ``fann_compatible=True`` (libfann 2.2's ``FANN_TRAIN_SARPROP`` operation for
      operation): ``step = max(step, 1e-6)``; ``s = g - c w`` (FANN's sign, a weight *growth*
      term, its TODO "are the signs inverted?"); if ``s s_prev > 0``: ``step = min(step eta_plus,
      step_max)`` and ``w -= sign(s) step``; if ``< 0``: ``step = step eta_minus + r sqrt(MSE)
      a`` when ``step < step_error_threshold_factor * MSE`` (``r`` uniform in [0, 1]), else
      ``max(step eta_minus, 1e-6)``; ``s = 0``, weight unchanged; if ``= 0``: ``w -= step``
      where ``s >= 0`` else ``w += step``, and the stored step becomes the one computed for
      the weight *before it in FANN's loop* (0 if none): a FANN bug, reproduced when the
      state knows FANN's order (``init(params, order=...)``: ``order[k]`` is the flat index
      of FANN's ``k``-th weight; the default is the flat order).
    * ``fann_compatible=False`` (default, as for the other step rules): the published rule:
      ``s = g + c w`` (weight decay), the random term added on a sign change (at least
      ``1e-6``), and on a zero product ``w -= sign(s) step`` with the step kept.

    ``r`` comes from a NumPy Generator seeded with ``(seed, t)``, so checkpoints resume the
    same sequence; FANN draws it from the C library's ``rand()``, which cannot be reproduced:
    weights match libfann's only until the first sign change with a small step (usually for
    the first 2 epochs; exactly with ``step_error_threshold_factor=0``). Uses no learning rate.
    """

    eta_plus: float = RPROP_ETA_PLUS
    eta_minus: float = RPROP_ETA_MINUS
    step_max: float = RPROP_STEP_MAX
    weight_decay_shift: float = -6.644
    step_error_threshold_factor: float = 0.1
    step_error_shift: float = 1.385
    temperature: float = 0.015
    seed: int = 0
    fann_compatible: bool = False
    name: ClassVar[str] = "sarprop"

    @property
    def learning_rate(self) -> float:  # no learning rate; schedules do not apply
        return 0.0

    def __post_init__(self) -> None:
        _positive(self, "eta_plus", "eta_minus", "step_max")
        if not (0 < self.eta_minus < 1 < self.eta_plus):
            raise ConfigError(
                f"Sarprop needs 0 < eta_minus < 1 < eta_plus; got eta_minus={self.eta_minus!r}, "
                f"eta_plus={self.eta_plus!r}."
            )
        for name in ("weight_decay_shift", "step_error_shift", "step_error_threshold_factor",
                     "temperature"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value)):
                raise ConfigError(f"Sarprop.{name} must be a finite number; got {value!r}.")
        if self.step_error_threshold_factor < 0 or self.temperature < 0:
            raise ConfigError(
                "Sarprop.step_error_threshold_factor and temperature must be >= 0; got "
                f"{self.step_error_threshold_factor!r} and {self.temperature!r}."
            )
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigError(f"Sarprop.seed must be a non-negative integer; got {self.seed!r}.")

    def init(self, params: Array, order: Array | None = None) -> State:
        st = _zeros(params, "steps", "prev_grads", "scratch")
        if order is not None:  # an integer array; kept only when given (checkpoints hold floats)
            o = np.asarray(order)
            if (o.shape != (params.size,) or o.dtype.kind not in "iu"
                    or not np.array_equal(np.sort(o), np.arange(params.size))):
                raise ConfigError(
                    f"Sarprop.init: order must be a permutation of 0..{params.size - 1} "
                    f"(integers); got an array of shape {o.shape} and dtype {o.dtype}."
                )
            st.arrays["order"] = o.astype(np.intp)
        return st

    def step(self, params: Array, grads: Array, state: State, *,
             learning_rate: float | None = None, loss: float | None = None) -> None:
        if loss is None or not math.isfinite(loss) or loss < 0:
            raise ConfigError(
                f"Sarprop.step needs loss = FANN's MSE at params (a number >= 0); got {loss!r}."
            )
        epoch = state.t
        state.t += 1
        a = state.arrays
        steps, prev, s = a["steps"], a["prev_grads"], a["scratch"]
        f = _c_float
        # C: (-T * epoch + shift) in float, then exp(ln2 * x) in double, cast to the weight type
        x_decay = np.float32(-np.float32(self.temperature)) * np.float32(epoch) + np.float32(
            self.weight_decay_shift)
        x_error = np.float32(-np.float32(self.temperature)) * np.float32(epoch) + np.float32(
            self.step_error_shift)
        c = math.exp(0.69314718055994530942 * float(x_decay))
        amp = math.exp(0.69314718055994530942 * float(x_error))
        mse = f(loss)
        rmse = f(math.sqrt(mse))
        if self.fann_compatible:
            c, amp = float(params.dtype.type(c)), float(params.dtype.type(amp))
        np.maximum(steps, SARPROP_STEP_MIN, out=steps)
        np.multiply(params, c, out=s)
        if self.fann_compatible:
            np.subtract(grads, s, out=s)  # FANN: -slope - w * c
        else:
            s += grads
        prod = prev * s
        grow, shrink = prod > 0.0, prod < 0.0
        same = ~(grow | shrink)
        new = np.zeros_like(steps)
        new[grow] = np.minimum(steps[grow] * f(self.eta_plus), f(self.step_max))
        # sign change: shrink the step, maybe plus a random term; the weight stays
        small = shrink & (steps < f(f(self.step_error_threshold_factor) * mse))
        halved = steps * f(self.eta_minus)
        np.copyto(new, np.maximum(halved, f(SARPROP_STEP_MIN)), where=shrink & ~small)
        n_small = int(np.count_nonzero(small))
        if n_small:
            rng = np.random.default_rng([self.seed, epoch])
            r = rng.random(n_small).astype(np.float32) if self.fann_compatible else rng.random(n_small)
            term = (r * np.float32(rmse)).astype(params.dtype) * params.dtype.type(amp)
            new[small] = halved[small] + term
            if not self.fann_compatible:
                np.maximum(new, SARPROP_STEP_MIN, out=new, where=small)
        s[shrink] = 0.0
        # weights move by the new step where the sign held, by the old one where the product is 0
        move = np.where(grow, new, steps)
        if self.fann_compatible:
            down = s >= 0.0
            np.negative(move, out=move, where=down)
            move[shrink] = 0.0
            params += move
            self._carry(new, same, a.get("order"))
        else:
            move *= np.sign(s)
            params -= move
            np.copyto(new, steps, where=same)
        np.copyto(steps, new)
        np.copyto(prev, s)

    @staticmethod
    def _carry(new: Array, same: Array, order: Array | None) -> None:
        """Where ``same``, ``new`` takes the value set for the previous weight in ``order``."""
        if not same.any():
            return
        if order is None:
            order = np.arange(new.size)
        set_in_order = ~same[order]
        pos = np.where(set_in_order, np.arange(order.size), -1)
        np.maximum.accumulate(pos, out=pos)
        vals = np.where(pos >= 0, new[order][np.maximum(pos, 0)], 0.0)
        fill = order[~set_in_order]
        new[fill] = vals[~set_in_order]


OPTIMIZERS: dict[str, type] = {
    "sgd": SGD,
    "momentum": Momentum,
    "nesterov": Nesterov,
    "adam": Adam,
    "adamw": AdamW,
    "rmsprop": RMSprop,
    "irprop-": IRpropMinus,
    "rprop": IRpropMinus,
    "irprop+": IRpropPlus,
    "quickprop": Quickprop,
    "sarprop": Sarprop,
}


def get_optimizer(spec: Any) -> Any:
    """Return an optimizer: ``spec`` itself, or a default-configured one named ``spec``."""
    if isinstance(spec, str):
        key = spec.lower()
        if key in OPTIMIZERS:
            return OPTIMIZERS[key]()
        raise ConfigError(
            f"optimizer must be one of {sorted(OPTIMIZERS)} or an optimizer object; got {spec!r}."
        )
    if hasattr(spec, "init") and hasattr(spec, "step"):
        return spec
    raise ConfigError(f"optimizer must be a name or an optimizer object; got {spec!r}.")


def hyperparameters(opt: Any) -> dict[str, float]:
    """The optimizer's hyper-parameters as a plain dict (for histories and files)."""
    return {f.name: getattr(opt, f.name) for f in fields(opt)}
