"""Activation functions, each beside its derivative.

Contract: an :class:`Activation` maps the scaled net input ``x = steepness * z`` to the layer
output ``a = f(x)``. ``df(x, a)`` is the derivative ``f'(x)`` (elementwise functions);
``vjp(g, x, a)`` is ``g`` pulled back through ``f`` (for softmax, whose Jacobian is not
diagonal). Every function here is numerically stable for any finite input: no overflow, no
0/0, no warning. Numpy only (no scipy: loading a model and predicting stays quick); nothing
here knows about networks.

Two optional fast forms serve the training loop, which reuses its buffers:

* ``inplace(x)`` overwrites ``x`` with ``f(x)``;
* ``dmul(delta, a, x, scratch, mask)`` multiplies ``delta`` by ``f'(x)`` in place. When
  ``needs_x`` is false it reads only the output ``a`` (``x`` may be ``None``), so the loop does
  not have to keep the pre-activation.

Adding an activation is one :class:`Activation` value and one registry entry; FANN's live in
:mod:`neuronless.fann.activations`, which ``import neuronless`` loads.
"""

from __future__ import annotations

import importlib
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .errors import ConfigError

Array = NDArray[Any]

LEAKY_RELU_SLOPE = 0.01  # the negative-side slope, as in PyTorch's and Keras's default
ELU_ALPHA = 1.0  # Clevert et al. (2016) use alpha = 1


@dataclass(frozen=True)
class Activation:
    """An activation function ``a = f(x)`` and its derivative, side by side.

    Parameters
    ----------
    name : str
        Registry name (``"tanh"``).
    f : callable
        ``f(x) -> a``, a new array.
    df : callable
        ``df(x, a) -> f'(x)`` for elementwise functions. ``x`` may be ``None`` when
        ``needs_x`` is false: then the derivative is computed from the output ``a`` alone.
    needs_x : bool
        Whether ``df`` (and ``dmul``) need the input ``x``.
    elementwise : bool
        False for functions of a whole row (softmax); they override :meth:`vjp`.
    output_range : tuple of float
        The open interval that outputs lie in, for error messages and loss checks.
    inplace, dmul : callable, optional
        Allocation-free forms used by the training loop (see the module docstring).
    """

    name: str
    f: Callable[[Array], Array]
    df: Callable[[Array | None, Array], Array]
    needs_x: bool = False
    elementwise: bool = True
    output_range: tuple[float, float] = (-np.inf, np.inf)
    inplace: Callable[[Array], object] | None = None
    dmul: Callable[[Array, Array, Array | None, Array, Array], object] | None = None

    def __repr__(self) -> str:
        return f"<Activation {self.name}>"

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        """Pickled by name: the receiving process looks the registered activation up (its
        functions are not pickled). One that is not in the registry cannot be pickled."""
        if ACTIVATIONS.get(self.name) is not self:
            raise pickle.PicklingError(
                f"the activation {self.name!r} is not a registered neuronless activation, so "
                "it cannot be pickled (sent to another process); use a registered one, or "
                "register yours in neuronless.activations.ACTIVATIONS in every process."
            )
        return (_registered, (self.name, getattr(self.f, "__module__", __name__)))

    def apply_(self, x: Array) -> None:
        """Overwrite ``x`` with ``f(x)``."""
        if self.inplace is not None:
            self.inplace(x)
        else:
            x[...] = self.f(x)

    def vjp(self, g: Array, x: Array | None, a: Array) -> Array:
        """Return ``g`` times the Jacobian of ``f`` at ``x``: d loss/d x from d loss/d a."""
        return g * self.df(x, a)

    def backward_(self, delta: Array, a: Array, x: Array | None, scratch: Array, mask: Array) -> None:
        """Overwrite ``delta`` (d loss/d a) with d loss/d x, using the given scratch buffers."""
        if self.dmul is not None:
            self.dmul(delta, a, x, scratch, mask)
        else:
            delta[...] = self.vjp(delta, x, a)


def _identity_df(x: Array | None, a: Array) -> Array:
    return np.ones_like(a)


# The sigmoid as scipy.special.expit computes it, 1 / (1 + exp(-x)): exact in both tails
# (sigmoid(-40) is 4.2e-18, not 0). exp(-x) overflows to inf below x = -709 (float64; -88 for
# float32), giving the right limit 0, and the result is subnormal or 0 just above that: both
# flags are benign.
def _sigmoid(x: Array) -> Array:
    with np.errstate(over="ignore", under="ignore"):
        out: Array = 1.0 / (1.0 + np.exp(np.negative(x)))
    return out


def _sigmoid_inplace(x: Array) -> None:
    with np.errstate(over="ignore", under="ignore"):
        np.negative(x, out=x)
        np.exp(x, out=x)
        x += 1.0
        np.reciprocal(x, out=x)


def _sigmoid_df(x: Array | None, a: Array) -> Array:
    return a * (1.0 - a)


def _sigmoid_dmul(delta: Array, a: Array, x: Array | None, s: Array, m: Array) -> None:
    np.subtract(1.0, a, out=s)
    s *= a
    delta *= s


def _tanh_df(x: Array | None, a: Array) -> Array:
    return 1.0 - a * a


def _tanh_dmul(delta: Array, a: Array, x: Array | None, s: Array, m: Array) -> None:
    np.multiply(a, a, out=s)
    np.subtract(1.0, s, out=s)
    delta *= s


def _relu_dmul(delta: Array, a: Array, x: Array | None, s: Array, m: Array) -> None:
    np.greater(a, 0.0, out=m)  # a > 0 exactly where x > 0; the kink gets slope 0
    delta *= m


def _leaky_relu(x: Array) -> Array:
    return np.where(x > 0, x, x * LEAKY_RELU_SLOPE)


def _leaky_relu_df(x: Array | None, a: Array) -> Array:
    return np.where(a > 0, 1.0, LEAKY_RELU_SLOPE).astype(a.dtype)


def _elu(x: Array) -> Array:
    # expm1 only sees x <= 0, so it cannot overflow
    return np.where(x > 0, x, ELU_ALPHA * np.expm1(np.minimum(x, 0.0)))


def _elu_df(x: Array | None, a: Array) -> Array:
    # for x <= 0, f'(x) = alpha * exp(x) = a + alpha
    return np.where(a > 0, 1.0, a + ELU_ALPHA).astype(a.dtype)


def _softplus(x: Array) -> Array:
    # for x << 0 the exact result underflows to 0 (or a subnormal); that is the right answer
    with np.errstate(under="ignore"):
        return np.logaddexp(0.0, x).astype(x.dtype, copy=False)


def _softplus_df(x: Array | None, a: Array) -> Array:
    # f'(x) = sigmoid(x) = 1 - exp(-softplus(x)); -expm1 keeps precision when a is tiny
    return -np.expm1(-a)


# x - max(x) <= 0 can overflow to -inf (spread beyond the dtype's range) and exp of a very
# negative number underflows; both give exp(...) = 0, the right answer, so those flags are benign.
def _softmax(x: Array) -> Array:
    with np.errstate(over="ignore", under="ignore"):
        e = np.exp(x - x.max(axis=-1, keepdims=True))
    out: Array = e / e.sum(axis=-1, keepdims=True)
    return out


def _softmax_inplace(x: Array) -> None:
    with np.errstate(over="ignore", under="ignore"):
        x -= x.max(axis=-1, keepdims=True)
        np.exp(x, out=x)
    x /= x.sum(axis=-1, keepdims=True)


def _softmax_df(x: Array | None, a: Array) -> Array:
    raise TypeError("softmax has no elementwise derivative; use Activation.vjp")


class _Softmax(Activation):
    def vjp(self, g: Array, x: Array | None, a: Array) -> Array:
        out: Array = a * (g - np.sum(g * a, axis=-1, keepdims=True))
        return out


IDENTITY = Activation(
    "identity",
    f=lambda x: x.copy(),
    df=_identity_df,
    inplace=lambda x: None,
    dmul=lambda d, a, x, s, m: None,
)
SIGMOID = Activation(
    "sigmoid",
    f=_sigmoid,
    df=_sigmoid_df,
    output_range=(0.0, 1.0),
    inplace=_sigmoid_inplace,
    dmul=_sigmoid_dmul,
)
TANH = Activation(
    "tanh",
    f=np.tanh,
    df=_tanh_df,
    output_range=(-1.0, 1.0),
    inplace=lambda x: np.tanh(x, out=x),
    dmul=_tanh_dmul,
)
RELU = Activation(
    "relu",
    f=lambda x: np.maximum(x, 0.0),
    df=lambda x, a: (a > 0).astype(a.dtype),
    output_range=(0.0, np.inf),
    inplace=lambda x: np.maximum(x, 0.0, out=x),
    dmul=_relu_dmul,
)
LEAKY_RELU = Activation("leaky_relu", f=_leaky_relu, df=_leaky_relu_df)
ELU = Activation("elu", f=_elu, df=_elu_df, output_range=(-ELU_ALPHA, np.inf))
SOFTPLUS = Activation("softplus", f=_softplus, df=_softplus_df, output_range=(0.0, np.inf))
SOFTMAX = _Softmax(
    "softmax",
    f=_softmax,
    df=_softmax_df,
    elementwise=False,
    output_range=(0.0, 1.0),
    inplace=_softmax_inplace,
)

ACTIVATIONS: dict[str, Activation] = {
    a.name: a for a in (IDENTITY, SIGMOID, TANH, RELU, LEAKY_RELU, ELU, SOFTPLUS, SOFTMAX)
}
# the functions defined here; neuronless.fann.activations (imported by the package) adds FANN's
CORE_ACTIVATIONS: tuple[str, ...] = tuple(ACTIVATIONS)
ALIASES = {"linear": "identity", "logistic": "sigmoid"}


def _registered(name: str, module: str) -> Activation:
    """The registered activation ``name``; ``module`` (where it was defined, e.g.
    ``neuronless.fann.activations``, which registers FANN's) is imported first if needed."""
    if name not in ACTIVATIONS and module.startswith("neuronless."):
        importlib.import_module(module)
    return get_activation(name)


def get_activation(spec: str | Activation) -> Activation:
    """Return the activation named ``spec`` (or ``spec`` itself if it is an Activation).

    >>> get_activation("tanh").name
    'tanh'
    """
    if isinstance(spec, Activation):
        return spec
    if isinstance(spec, str):
        key = ALIASES.get(spec.lower(), spec.lower())
        if key in ACTIVATIONS:
            return ACTIVATIONS[key]
    raise ConfigError(
        f"activation must be one of {sorted(ACTIVATIONS)}; got {spec!r}. "
        "Pass one of those names or an Activation value."
    )
