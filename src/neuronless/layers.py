"""How one layer turns its net input into its output: activation(s) and steepness.

Contract: a :class:`LayerActivation` holds one activation for the whole layer or one per
neuron, a steepness (a number or one per neuron) and an optional clamp (FANN's summation
clamp); ``activate_`` overwrites the net input ``z`` with ``f(clip(steepness * z, -clamp,
clamp))`` and ``backward_`` turns d loss/d a into d loss/d z, both in place. It knows nothing
about weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

from .activations import Activation, get_activation
from .errors import ConfigError

Array = NDArray[Any]
ActivationSpec: TypeAlias = str | Activation | Sequence[str | Activation]


class LayerActivation:
    """How one layer turns its net input ``z`` into its output: ``a = f(steepness * z)``.

    ``spec`` is one activation for the whole layer, or one per neuron (FANN mixes them);
    ``steepness`` is a float or one value per neuron. ``clamp`` (``None``, a positive number
    or one per neuron) bounds the scaled input: ``a = f(clip(steepness * z, -clamp, clamp))``.
    It is in neuronless units, i.e. on the argument of ``f``: FANN clamps its ``sum`` to
    ``±150 / s``, which is ``clamp = 150 / s`` for every FANN function except SIGMOID, whose
    neuronless form takes ``2 sum`` (``clamp = 300 / s``). ``None`` (the default) costs nothing.

    Backprop treats the clamp as FANN does: the derivative of ``f`` is taken at the clamped
    input and the clamp itself passes the gradient through unchanged (FANN's derivatives ignore
    it too), so a saturated unit still learns.
    """

    def __init__(
        self,
        spec: ActivationSpec,
        n_out: int,
        steepness: float | Array = 1.0,
        clamp: float | Array | None = None,
    ):
        if isinstance(spec, (str, Activation)):
            acts: tuple[Activation, ...] = (get_activation(spec),)
        else:
            acts = tuple(get_activation(s) for s in spec)
            if len(acts) != n_out:
                raise ConfigError(
                    f"a per-neuron activation list must have one entry per neuron ({n_out}); "
                    f"got {len(acts)}. Pass a single name for the whole layer or {n_out} names."
                )
        self.uniform: Activation | None = acts[0] if len(set(acts)) == 1 else None
        self.per_neuron = acts if self.uniform is None else None
        self.groups: list[tuple[Activation, Array]] = []
        if self.per_neuron is not None:
            for act in dict.fromkeys(acts):
                if not act.elementwise:
                    raise ConfigError(
                        f"{act.name} acts on a whole layer and cannot be mixed with other "
                        "activations in one layer. Give that layer a single activation."
                    )
                idx = np.array([i for i, a in enumerate(acts) if a is act], dtype=np.intp)
                self.groups.append((act, idx))
        s = np.asarray(steepness, dtype=np.float64)
        if s.ndim == 0:
            self.steepness: float | Array = float(s)
        elif s.shape == (n_out,):
            self.steepness = s
        else:
            raise ConfigError(
                f"steepness must be a number or one number per neuron ({n_out}); got shape "
                f"{s.shape}."
            )
        if not np.all(np.isfinite(s)) or np.any(s == 0):
            raise ConfigError(f"steepness must be finite and non-zero; got {steepness!r}.")
        self.n_out = n_out
        self.needs_x = any(a.needs_x for a in acts)
        self.clamp: float | Array | None = None
        if clamp is not None:
            c = np.asarray(clamp, dtype=np.float64)
            if c.ndim not in (0, 1) or (c.ndim == 1 and c.shape != (n_out,)):
                raise ConfigError(
                    f"clamp must be None, a number or one number per neuron ({n_out}); got "
                    f"shape {c.shape}."
                )
            if np.any(np.isnan(c)) or np.any(c <= 0):
                raise ConfigError(
                    f"clamp must be positive (a bound on |steepness * z|); got {clamp!r}. Use "
                    "None for no clamp."
                )
            self.clamp = float(c) if c.ndim == 0 else c
        self._bounds: dict[str, tuple[Any, Any]] = {}

    @property
    def spec(self) -> Activation | tuple[Activation, ...]:
        """The layer's activation, or the tuple of per-neuron activations."""
        return self.uniform if self.uniform is not None else self.per_neuron  # type: ignore[return-value]

    @property
    def name(self) -> str:
        if self.uniform is not None:
            return self.uniform.name
        return "mixed(" + ",".join(a.name for a, _ in self.groups) + ")"

    def scale(self, dtype: np.dtype[Any]) -> float | Array:
        """Steepness as a Python float or an array of the network's dtype (no promotion)."""
        if isinstance(self.steepness, float):
            return self.steepness
        return self.steepness.astype(dtype)

    def bounds(self, dtype: np.dtype[Any]) -> tuple[Any, Any]:
        """``(-clamp, clamp)`` as Python floats or arrays of ``dtype`` (cached per dtype)."""
        key = np.dtype(dtype).str
        if key not in self._bounds:
            c = self.clamp
            if isinstance(c, float) or c is None:
                self._bounds[key] = (None if c is None else -c, c)
            else:
                hi = c.astype(dtype)
                self._bounds[key] = (-hi, hi)
        return self._bounds[key]

    def clamp_(self, x: Array) -> None:
        """Clip the scaled input ``x`` to ``[-clamp, clamp]`` in place (nothing if no clamp)."""
        if self.clamp is not None:
            lo, hi = self.bounds(x.dtype)
            np.minimum(x, hi, out=x)  # two ufuncs: cheaper than np.clip's wrapper
            np.maximum(x, lo, out=x)

    def activate_(self, x: Array, steep: float | Array) -> None:
        """Overwrite the net input ``x`` with the layer output ``f(clip(steepness * x))``."""
        if not (isinstance(steep, float) and steep == 1.0):
            x *= steep
        if self.clamp is not None:
            self.clamp_(x)
        if self.uniform is not None:
            self.uniform.apply_(x)
        else:
            for act, idx in self.groups:
                x[:, idx] = act.f(x[:, idx])

    def backward_(
        self,
        delta: Array,
        a: Array,
        z: Array | None,
        steep: float | Array,
        scratch: Array,
        mask: Array,
    ) -> None:
        """Overwrite ``delta`` = d loss/d a with d loss/d z (``z`` needed only if ``needs_x``)."""
        unit = isinstance(steep, float) and steep == 1.0
        x = None if z is None or not self.needs_x else (z if unit else z * steep)
        if x is not None and self.clamp is not None:
            # f' at the clamped input, as FANN (which stores the clamped sum); never clip z
            x_clamped: Array = np.array(x, copy=True) if x is z else x
            self.clamp_(x_clamped)
            x = x_clamped
        if self.uniform is not None:
            self.uniform.backward_(delta, a, x, scratch, mask)
        else:
            for act, idx in self.groups:
                xs = None if x is None else x[:, idx]
                delta[:, idx] = act.vjp(delta[:, idx], xs, a[:, idx])
        if not unit:
            delta *= steep
