"""Step rules: update one flat parameter vector in place from its flat gradient.

Contract: an optimizer is a frozen dataclass of hyper-parameters (checked once). ``init(params)``
returns its state (plain arrays and numbers, so a checkpoint can save it);
``step(params, grads, state, learning_rate=None, loss=None)`` updates ``params`` in place with
a fixed number of whole-vector NumPy operations, however many layers the network has. ``grads``
is used as scratch and is overwritten. ``learning_rate`` overrides the configured rate for
this step (schedules); ``loss`` is the loss at ``params`` (only iRprop+ reads it).

Optimizers never print, stop training or own a schedule; ``training`` does. They see arrays
only, never a network.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Protocol

import numpy as np
from numpy.typing import NDArray

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
    step_min: float = RPROP_STEP_MIN
    step_max: float = RPROP_STEP_MAX

    @property
    def learning_rate(self) -> float:  # Rprop has none; schedules do not apply
        return self.step_init

    def __post_init__(self) -> None:
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
    """

    name: ClassVar[str] = "irprop-"

    def step(self, params: Array, grads: Array, state: State, *,
             learning_rate: float | None = None, loss: float | None = None) -> None:
        state.t += 1
        a = state.arrays
        _, dec = self._adapt(grads, state)
        np.copyto(grads, 0.0, where=dec)
        s = a["scratch"]
        np.sign(grads, out=s)
        s *= a["steps"]
        params -= s
        np.copyto(a["prev_grads"], grads)


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
    """

    learning_rate: float = 0.7
    mu: float = QUICKPROP_MU
    decay: float = QUICKPROP_DECAY
    name: ClassVar[str] = "quickprop"

    def __post_init__(self) -> None:
        _positive(self, "learning_rate", "mu")
        if not (math.isfinite(self.decay) and self.decay >= 0):
            raise ConfigError(f"Quickprop.decay must be >= 0; got {self.decay!r}.")

    def init(self, params: Array) -> State:
        return _zeros(params, "prev_step", "prev_slope")

    def step(self, params: Array, grads: Array, state: State, *,
             learning_rate: float | None = None, loss: float | None = None) -> None:
        lr = self.learning_rate if learning_rate is None else learning_rate
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
