"""A network is its weight matrices: creation, initialisation and the forward pass.

Contract: ``Network.weights[k]`` has shape ``(n_in + 1, n_out)`` with the biases in its last
row, inputs are batch-first, and every weight matrix is a view of one contiguous flat vector
``Network.params``. Layer ``k`` computes ``z = a_prev @ W[:-1] + W[-1]`` and
``a = f(steepness * z)``. With ``shortcut=True``, ``a_prev`` is the concatenation of the
network input and every earlier layer's output (FANN's shortcut nets, cascade-correlation).
An optional boolean ``mask`` (same layout as ``params``) marks which connections exist; masked
weights are zero and their gradients are zero, so they stay zero through training.

This module never trains; ``backprop`` differentiates what ``Workspace.forward`` records.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import DTypeLike, NDArray

from .activations import Activation, get_activation
from .errors import ConfigError, ShapeError

Array = NDArray[Any]
Seed: TypeAlias = int | np.random.Generator | None
ActivationSpec: TypeAlias = str | Activation | Sequence[str | Activation]

INITS = ("auto", "uniform", "glorot", "xavier", "he", "nguyen_widrow", "epsilon")
EPSILON_INIT = 0.12  # the Stanford ML course's epsilon_init for randInitializeWeights
UNIFORM_INIT = 0.1  # FANN's default random weight range, [-0.1, 0.1]
NGUYEN_WIDROW_FACTOR = 0.7  # Nguyen & Widrow (1990): beta = 0.7 * H ** (1 / n)


def as_generator(seed: Seed) -> np.random.Generator:
    """Turn ``seed`` (int, Generator or None) into a Generator; a Generator is used as is."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)):
        return np.random.default_rng(seed)
    raise ConfigError(
        f"seed must be an int, a numpy.random.Generator or None; got {seed!r}."
    )


class LayerActivation:
    """How one layer turns its net input ``z`` into its output: ``a = f(steepness * z)``.

    ``spec`` is one activation for the whole layer, or one per neuron (FANN mixes them);
    ``steepness`` is a float or one value per neuron.
    """

    def __init__(self, spec: ActivationSpec, n_out: int, steepness: float | Array = 1.0):
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

    def activate_(self, x: Array, steep: float | Array) -> None:
        """Overwrite the net input ``x`` with the layer output ``f(steepness * x)``."""
        if not (isinstance(steep, float) and steep == 1.0):
            x *= steep
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
        if self.uniform is not None:
            self.uniform.backward_(delta, a, x, scratch, mask)
        else:
            for act, idx in self.groups:
                xs = None if x is None else x[:, idx]
                delta[:, idx] = act.vjp(delta[:, idx], xs, a[:, idx])
        if not unit:
            delta *= steep


@dataclass
class LayerTrace:
    """One layer of a forward pass: what went in, the net input and what came out.

    ``input`` is what the layer's matrix multiplies, shape ``(m, n_in)`` (with shortcut
    connections: the network input and all earlier outputs, side by side); ``z`` is
    ``input @ W[:-1] + W[-1]`` (``None`` when the recording skipped it for speed) and ``a`` is
    ``f(steepness * z)``.
    """

    input: Array
    z: Array | None
    a: Array


@dataclass
class Trace:
    """The record of one forward pass, read by backprop, explain mode and diagrams."""

    layers: list[LayerTrace]

    @property
    def output(self) -> Array:
        """The network's output, ``layers[-1].a``."""
        return self.layers[-1].a


class Network:
    """A multilayer perceptron stored as weight matrices that are views of one flat vector.

    Build one with :meth:`create` (random initialisation) or :meth:`from_weights`.

    Attributes
    ----------
    sizes : tuple of int
        Units per layer, input first: ``(n_in, hidden..., n_out)``.
    params : ndarray
        Every parameter, in one contiguous vector.
    weights : list of ndarray
        ``weights[k]`` is a ``(n_in_k + 1, n_out_k)`` view of ``params``; its last row is the
        bias. Writing through either one changes the other.
    mask : ndarray of bool or None
        Which connections exist (layout of ``params``), ``None`` for a fully connected net.
    shortcut : bool
        Whether every layer also sees the input and all earlier layers' outputs.

    >>> net = Network.create([2, 3, 1], seed=0)
    >>> [W.shape for W in net.weights]
    [(3, 3), (4, 1)]
    >>> net.weights[0][0, 0] = 5.0
    >>> float(net.params[0])
    5.0
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activations: Sequence[ActivationSpec],
        *,
        steepness: float | Sequence[float | Array] = 1.0,
        shortcut: bool = False,
        dtype: DTypeLike = np.float32,
    ) -> None:
        self.sizes = _check_sizes(sizes)
        try:
            self.dtype: np.dtype[Any] = np.dtype(dtype)
        except TypeError:
            raise ConfigError(f"dtype must be float32 or float64; got {dtype!r}.") from None
        if self.dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ConfigError(f"dtype must be float32 or float64; got {self.dtype}.")
        self.shortcut = bool(shortcut)
        n_layers = len(self.sizes) - 1
        if isinstance(activations, (str, Activation)) or len(activations) != n_layers:
            raise ConfigError(
                f"activations must list one entry per weight matrix ({n_layers}); got "
                f"{activations!r}."
            )
        if isinstance(steepness, (int, float, np.number)):
            steeps: list[float | Array] = [float(steepness)] * n_layers
        else:
            steeps = list(steepness)
            if len(steeps) != n_layers:
                raise ConfigError(
                    f"steepness must be a number or one entry per layer ({n_layers}); got "
                    f"{len(steeps)} entries."
                )
        self.layers = [
            LayerActivation(spec, n_out, s)
            for spec, n_out, s in zip(activations, self.sizes[1:], steeps, strict=True)
        ]
        self.shapes = [(n_in + 1, n_out) for n_in, n_out in zip(self.fan_ins, self.sizes[1:], strict=False)]
        self.params: Array = np.zeros(sum(r * c for r, c in self.shapes), dtype=self.dtype)
        self.weights: list[Array] = views(self.params, self.shapes)
        self.mask: NDArray[np.bool_] | None = None
        self._reg: Array | None = None
        self._plan: list[tuple[Array, Array, Callable[[Array], object]]] | None = None

    # ------------------------------------------------------------------ construction
    @classmethod
    def create(
        cls,
        sizes: Sequence[int],
        hidden: ActivationSpec = "tanh",
        output: ActivationSpec = "sigmoid",
        *,
        seed: Seed = None,
        init: str = "auto",
        init_range: float | None = None,
        steepness: float = 1.0,
        shortcut: bool = False,
        connection_rate: float = 1.0,
        dtype: DTypeLike = np.float32,
    ) -> Network:
        """Create a network with random weights.

        Parameters
        ----------
        sizes : sequence of int
            Units per layer, input first, e.g. ``[64, 32, 10]``.
        hidden, output : str or Activation
            Activation of every hidden layer and of the output layer.
        seed : int, numpy.random.Generator or None
            Source of randomness; the same seed gives bit-identical weights.
        init : str
            ``"uniform"`` (U(-r, r), r = ``init_range`` or 0.1, biases too), ``"glorot"`` /
            ``"xavier"`` (U(±sqrt(6/(fan_in+fan_out))), zero biases), ``"he"``
            (N(0, 2/fan_in), zero biases), ``"nguyen_widrow"`` (per layer: columns rescaled
            to length 0.7·n_out^(1/n_in), biases U(±that)), ``"epsilon"`` (the Stanford course:
            U(±ε) for weights and biases, ε = ``init_range`` or 0.12), or ``"auto"`` (He for
            relu-like hidden layers, Glorot otherwise).
        steepness : float
            Multiplies every layer's net input before its activation (FANN's steepness).
        shortcut : bool
            Connect every layer to the input and to all earlier layers.
        connection_rate : float
            Fraction of connections kept, in (0, 1]; below 1 the net is sparse (a random
            ``mask``; every unit keeps its bias and at least one input).
        dtype : float32 or float64
        """
        sizes = _check_sizes(sizes)
        acts = [hidden] * (len(sizes) - 2) + [output]
        net = cls(sizes, acts, steepness=steepness, shortcut=shortcut, dtype=dtype)
        rng = as_generator(seed)
        net.init_weights(init, rng=rng, init_range=init_range)
        if not 0.0 < connection_rate <= 1.0:
            raise ConfigError(
                f"connection_rate must be in (0, 1]; got {connection_rate!r}. Use 1.0 for a "
                "fully connected network."
            )
        if connection_rate < 1.0:
            masks = []
            for r, c in net.shapes:
                m = rng.random((r, c)) < connection_rate
                m[-1] = True  # biases always exist
                dead = ~m[:-1].any(axis=0)
                m[rng.integers(0, r - 1, size=c)[dead], np.flatnonzero(dead)] = True
                masks.append(m)
            net.set_masks(masks)
        return net

    @classmethod
    def from_weights(
        cls,
        weights: Sequence[Any],
        activations: Sequence[ActivationSpec] | None = None,
        *,
        steepness: float | Sequence[float | Array] = 1.0,
        shortcut: bool = False,
        masks: Sequence[Any] | None = None,
        dtype: DTypeLike | None = None,
    ) -> Network:
        """Build a network from given weight matrices (copied into a new flat vector).

        ``weights[k]`` must have shape ``(n_in + 1, n_out)`` with the biases in the last row
        (with ``shortcut=True``, ``n_in`` counts the input and all earlier layers).
        ``activations`` defaults to tanh hidden layers and a sigmoid output. ``dtype`` defaults
        to float64 if any matrix is float64, else float32.

        >>> import numpy as np
        >>> W0 = np.array([[0.5], [0.1]])         # 1 input -> 1 unit; bias 0.1
        >>> net = Network.from_weights([W0], ["identity"])
        >>> net.forward(np.array([2.0]))
        array([1.1])
        """
        mats = [np.asarray(W) for W in weights]
        if not mats:
            raise ConfigError("weights must hold at least one matrix; got an empty list.")
        for k, W in enumerate(mats):
            if W.ndim != 2 or W.shape[0] < 2 or W.shape[1] < 1:
                raise ShapeError(
                    f"weights[{k}] must be a 2-D (n_in + 1, n_out) matrix with the biases in "
                    f"its last row; got shape {W.shape}."
                )
            if not np.issubdtype(W.dtype, np.number) or not np.all(np.isfinite(W)):
                raise ConfigError(f"weights[{k}] must hold finite numbers.")
        sizes = [mats[0].shape[0] - 1] + [W.shape[1] for W in mats]
        if dtype is None:
            dtype = np.float64 if any(W.dtype == np.float64 for W in mats) else np.float32
        if activations is None:
            activations = ["tanh"] * (len(mats) - 1) + ["sigmoid"]
        net = cls(sizes, activations, steepness=steepness, shortcut=shortcut, dtype=dtype)
        for k, (W, shape) in enumerate(zip(mats, net.shapes, strict=False)):
            if W.shape != shape:
                raise ShapeError(
                    f"weights[{k}] must have shape {shape} to follow weights[{k - 1}]"
                    f"{' (shortcut: input and all earlier layers)' if shortcut else ''}; got "
                    f"{W.shape}."
                )
            net.weights[k][...] = W
        if masks is not None:
            net.set_masks(masks)
        return net

    def set_masks(self, masks: Sequence[Any]) -> None:
        """Set the connection masks (one boolean array per weight matrix) and zero masked weights."""
        if len(masks) != len(self.shapes):
            raise ShapeError(
                f"masks must hold one boolean matrix per weight matrix ({len(self.shapes)}); "
                f"got {len(masks)}."
            )
        flat = np.ones(self.params.size, dtype=bool)
        for k, (m, view) in enumerate(zip(masks, views(flat, self.shapes), strict=False)):
            m = np.asarray(m)
            if m.shape != view.shape:
                raise ShapeError(f"masks[{k}] must have shape {view.shape}; got {m.shape}.")
            view[...] = m.astype(bool)
        self.mask = flat
        self.params *= flat

    @property
    def masks(self) -> list[NDArray[np.bool_]] | None:
        """Per-layer views of ``mask`` shaped like ``weights`` (``None`` if fully connected)."""
        return None if self.mask is None else views(self.mask, self.shapes)

    def init_weights(
        self, init: str = "auto", *, rng: Seed = None, init_range: float | None = None
    ) -> None:
        """Re-draw every weight in place with the scheme ``init`` (see :meth:`create`)."""
        gen = as_generator(rng)
        if init not in INITS:
            raise ConfigError(f"init must be one of {list(INITS)}; got {init!r}.")
        if init_range is not None and not (np.isfinite(init_range) and init_range > 0):
            raise ConfigError(f"init_range must be a positive number; got {init_range!r}.")
        for W, layer in zip(self.weights, self.layers, strict=False):
            fan_in, fan_out = W.shape[0] - 1, W.shape[1]
            scheme = init
            if scheme == "auto":
                relu_like = layer.name in ("relu", "leaky_relu", "elu")
                scheme = "he" if relu_like else "glorot"
            if scheme == "uniform":
                r = UNIFORM_INIT if init_range is None else init_range
                W[...] = gen.uniform(-r, r, size=W.shape)
            elif scheme == "epsilon":
                r = EPSILON_INIT if init_range is None else init_range
                W[...] = gen.uniform(-r, r, size=W.shape)
            elif scheme in ("glorot", "xavier"):
                r = np.sqrt(6.0 / (fan_in + fan_out))
                W[:-1] = gen.uniform(-r, r, size=(fan_in, fan_out))
                W[-1] = 0.0
            elif scheme == "he":
                W[:-1] = gen.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
                W[-1] = 0.0
            else:  # nguyen_widrow
                beta = NGUYEN_WIDROW_FACTOR * fan_out ** (1.0 / fan_in)
                w = gen.uniform(-0.5, 0.5, size=(fan_in, fan_out))
                norms = np.linalg.norm(w, axis=0)
                W[:-1] = beta * w / np.where(norms > 0, norms, 1.0)
                W[-1] = gen.uniform(-beta, beta, size=fan_out)
        if self.mask is not None:
            self.params *= self.mask

    # ------------------------------------------------------------------ structure
    @property
    def fan_ins(self) -> list[int]:
        """Number of inputs (without the bias) of each weight matrix."""
        if self.shortcut:
            return list(itertools.accumulate(self.sizes[:-1]))
        return list(self.sizes[:-1])

    @property
    def activations(self) -> list[Activation | tuple[Activation, ...]]:
        """Each layer's activation (a tuple of per-neuron activations for mixed layers)."""
        return [layer.spec for layer in self.layers]

    @property
    def steepness(self) -> list[float | Array]:
        """Each layer's steepness (a float, or one value per neuron)."""
        return [layer.steepness for layer in self.layers]

    @property
    def n_inputs(self) -> int:
        return self.sizes[0]

    @property
    def n_outputs(self) -> int:
        return self.sizes[-1]

    @property
    def regularized(self) -> Array:
        """1.0 where ``params`` holds a weight, 0.0 where it holds a bias (for L2)."""
        if self._reg is None:
            reg = np.ones_like(self.params)
            for v in views(reg, self.shapes):
                v[-1] = 0.0
            self._reg = reg
        return self._reg

    def copy(self) -> Network:
        """An independent copy (same architecture, copied parameters and mask)."""
        new = Network(
            self.sizes,
            [layer.spec for layer in self.layers],  # type: ignore[misc]
            steepness=[layer.steepness for layer in self.layers],
            shortcut=self.shortcut,
            dtype=self.dtype,
        )
        new.params[...] = self.params
        if self.mask is not None:
            new.mask = self.mask.copy()
        return new

    def astype(self, dtype: DTypeLike) -> Network:
        """A copy with parameters of another dtype (float32 or float64)."""
        new = Network(
            self.sizes,
            [layer.spec for layer in self.layers],  # type: ignore[misc]
            steepness=[layer.steepness for layer in self.layers],
            shortcut=self.shortcut,
            dtype=dtype,
        )
        new.params[...] = self.params
        if self.mask is not None:
            new.mask = self.mask.copy()
        return new

    def __repr__(self) -> str:
        acts = ", ".join(layer.name for layer in self.layers)
        extra = (", shortcut" if self.shortcut else "") + (", sparse" if self.mask is not None else "")
        return (
            f"Network(sizes={list(self.sizes)}, activations=[{acts}], "
            f"params={self.params.size}, dtype={self.dtype.name}{extra})"
        )

    def summary(self) -> str:
        """A few lines naming each weight matrix, its shape and its activation."""
        lines = [repr(self)]
        for k, (W, layer) in enumerate(zip(self.weights, self.layers, strict=False)):
            s = layer.steepness
            steep = "" if isinstance(s, float) and s == 1.0 else f", steepness {s}"
            lines.append(
                f"  weights[{k}]: {W.shape[0] - 1} inputs + bias -> {W.shape[1]} units, "
                f"shape {W.shape}, {layer.name}{steep}"
            )
        return "\n".join(lines)

    # ------------------------------------------------------------------ forward
    def check_input(self, X: Any) -> Array:
        """Return ``X`` as a 2-D array of the network's dtype, or raise a clear ShapeError."""
        X = np.asarray(X)
        if X.dtype != self.dtype:
            if not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
                raise ShapeError(f"X must hold numbers; got dtype {X.dtype}.")
            X = X.astype(self.dtype)
        if X.ndim == 1 and X.shape[0] == self.sizes[0]:
            row: Array = X.reshape(1, -1)
            return row
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            hint = (
                " For a single sample, pass a 1-D array of that length."
                if X.ndim != 2
                else " Check that the features match the ones the network was trained on."
            )
            raise ShapeError(
                f"X must have shape (n_samples, {self.sizes[0]}) to match weights[0]; got "
                f"{X.shape}.{hint}"
            )
        out: Array = X
        return out

    def forward(self, X: Any) -> Array:
        """Propagate ``X`` (``(m, n_in)``, or one sample ``(n_in,)``) and return the output.

        Layer by layer: ``z = a @ W[:-1] + W[-1]``, ``a = f(steepness * z)``. A 1-D sample
        gives a 1-D output.
        """
        plan = self._plan if self._plan is not None else self._inference_plan()
        if (type(X) is np.ndarray and X.ndim == 1 and X.dtype == self.dtype
                and X.shape[0] == self.sizes[0] and plan):
            a = X  # one sample, the common case of a prediction service: 1-D all the way
            for W_in, b, act in plan:
                a = a @ W_in
                a += b
                act(a)
            return a
        X_in = np.asarray(X)
        X2 = self.check_input(X_in)
        if self.shortcut:
            out = Workspace(self, X2.shape[0]).forward(X2).output
        else:
            a = X2
            for W, layer in zip(self.weights, self.layers, strict=True):
                z = a @ W[:-1]
                z += W[-1]
                layer.activate_(z, layer.scale(self.dtype))
                a = z
            out = a
        return out[0] if X_in.ndim == 1 else out

    def _inference_plan(self) -> list[tuple[Array, Array, Callable[[Array], object]]]:
        """Per layer ``(W[:-1], W[-1], in-place activation)`` for 1-D samples; empty if the
        network needs the general path (shortcut connections, mixed layers, steepness)."""
        plan: list[tuple[Array, Array, Callable[[Array], object]]] = []
        for W, layer in zip(self.weights, self.layers, strict=True):
            act = layer.uniform
            s = layer.steepness
            if self.shortcut or act is None or act.inplace is None or not (
                isinstance(s, float) and s == 1.0
            ):
                plan = []
                break
            plan.append((W[:-1], W[-1], _softmax_1d if act.name == "softmax" else act.inplace))
        self._plan = plan
        return plan

    __call__ = forward

    def trace(self, X: Any) -> Trace:
        """Run the forward pass on ``X`` and record every layer's input, ``z`` and ``a``.

        The returned arrays are new (not shared with the network) and 2-D even for one sample.
        """
        X2 = self.check_input(X)
        return Workspace(self, X2.shape[0], keep_z=True).forward(np.array(X2, copy=True))


class Workspace:
    """Buffers for one batch size, reused by every forward and backward pass of that size.

    ``forward`` writes each layer's output into its buffer and returns a :class:`Trace`
    whose arrays *are* those buffers; ``backprop.backward`` reads that trace. With
    ``keep_z=False`` (training), ``z`` is recorded only for activations whose derivative
    needs it; otherwise the activation is applied in place and the derivative is taken from
    the output.
    """

    def __init__(self, net: Network, batch: int, *, keep_z: bool = False) -> None:
        self.net = net
        self.batch = batch
        dt = net.dtype
        outs = net.sizes[1:]
        self.a = [np.empty((batch, n), dt) for n in outs]
        self.z: list[Array | None] = [
            np.empty((batch, n), dt) if keep_z or layer.needs_x else None
            for n, layer in zip(outs, net.layers, strict=False)
        ]
        self.delta = [np.empty((batch, n), dt) for n in outs]
        self.scratch = [np.empty((batch, n), dt) for n in outs]
        self.bool_mask = [np.empty((batch, n), bool) for n in outs]
        self.row = np.empty((batch, 1), dt)
        self.ones = np.ones(batch, dt)
        self.steep = [layer.scale(dt) for layer in net.layers]
        # the plan: views and callables fixed once, so a pass is just the NumPy calls
        self.W_in = [W[:-1] for W in net.weights]
        self.bias = [W[-1] for W in net.weights]
        self.activate = [self._activation(k) for k in range(len(outs))]
        s_out = self.steep[-1]
        self.unit_steep_out = isinstance(s_out, float) and s_out == 1.0
        fan_ins = net.fan_ins
        if net.shortcut:
            # one wide buffer [X | a_0 | a_1 | ...]: layer k reads its first fan_in[k] columns
            self.cat: Array | None = np.empty((batch, sum(net.sizes[:-1])), dt)
            self.gin = [np.empty((batch, f), dt) for f in fan_ins]
            inputs: list[Array] = [self.cat[:, :f] for f in fan_ins]
            self.cat_out = [self.cat[:, f : f + n] for f, n in zip(fan_ins[:-1], outs[:-1], strict=True)]
        else:
            self.cat = None
            inputs = [np.empty((batch, net.sizes[0]), dt), *self.a[:-1]]
        self.trace = Trace(
            [LayerTrace(input=i, z=z, a=a) for i, z, a in zip(inputs, self.z, self.a, strict=True)]
        )

    def _activation(self, k: int) -> Callable[[Array], object]:
        layer, steep = self.net.layers[k], self.steep[k]
        act = layer.uniform
        if act is not None and act.inplace is not None and isinstance(steep, float) and steep == 1.0:
            return act.inplace
        return lambda x: layer.activate_(x, steep)

    def forward(self, X: Array, *, activate_output: bool = True) -> Trace:
        """Forward ``X`` (``(batch, n_in)``, the network's dtype) through the buffers.

        With ``activate_output=False`` the last buffer is left holding ``steepness * z``
        (for a loss that applies its partner activation itself, from the logits). The returned trace is
        this workspace's own: the next pass overwrites it.
        """
        trace = self.trace
        last = len(self.a) - 1
        cat = self.cat
        if cat is None:
            trace.layers[0].input = X
            a_prev = X
        else:
            cat[:, : X.shape[1]] = X
        for k, (W_in, b, a, z, act) in enumerate(
            zip(self.W_in, self.bias, self.a, self.z, self.activate, strict=True)
        ):
            np.matmul(a_prev if cat is None else trace.layers[k].input, W_in, out=a)
            a += b
            if z is not None:
                np.copyto(z, a)
            if k < last or activate_output:
                act(a)
            elif not self.unit_steep_out:
                a *= self.steep[k]  # the loss applies the activation to the scaled input
            if cat is not None and k < last:
                np.copyto(self.cat_out[k], a)
            a_prev = a
        return trace


def _softmax_1d(x: Array) -> None:
    # one sample: whole-vector reductions are cheaper than the keepdims form. x - max(x) can
    # overflow only for logits spread wider than the dtype's range; exp then gives 0, correctly.
    x -= x.max()
    np.exp(x, out=x)
    x /= x.sum()


def views(flat: Array, shapes: Sequence[tuple[int, int]]) -> list[Array]:
    """Split ``flat`` into consecutive matrices of the given shapes (views, not copies)."""
    out, offset = [], 0
    for r, c in shapes:
        out.append(flat[offset : offset + r * c].reshape(r, c))
        offset += r * c
    if offset != flat.size:
        raise ShapeError(f"a flat vector of {flat.size} values cannot hold shapes {list(shapes)}.")
    return out


def _check_sizes(sizes: Sequence[int]) -> tuple[int, ...]:
    try:
        out = tuple(int(s) for s in sizes)
        ok = all(int(s) == s for s in sizes)
    except (TypeError, ValueError):
        ok, out = False, ()
    if not ok or len(out) < 2 or min(out) < 1:
        raise ConfigError(
            f"sizes must list at least two positive layer widths, input first (e.g. [2, 4, 1]); "
            f"got {sizes!r}."
        )
    return out
