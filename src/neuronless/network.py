"""A network is its weight matrices: creation, initialisation and the forward pass.

Contract: ``Network.weights[k]`` has shape ``(n_in + 1, n_out)`` with the biases in its last
row, inputs are batch-first, and every weight matrix is a view of one contiguous flat vector
``Network.params``. Layer ``k`` computes ``z = a_prev @ W[:-1] + W[-1]`` and
``a = f(steepness * z)``. With ``shortcut=True``, ``a_prev`` is the concatenation of the
network input and every earlier layer's output (FANN's shortcut nets, cascade-correlation).
An optional boolean ``mask`` (same layout as ``params``) marks which connections exist; masked
weights are zero and their gradients are zero, so they stay zero through training.
An optional per-layer ``clamp`` bounds ``steepness * z`` before ``f`` (FANN's summation clamp,
see :class:`~neuronless.layers.LayerActivation`); ``None`` means no clamp and costs nothing.

This module never trains; ``backprop`` differentiates what ``Workspace.forward`` records.
``LayerTrace``, ``Trace``, ``Workspace`` and ``views`` are re-exported from ``workspace``;
``Network.jacobian`` is ``sensitivity.jacobian``. Both modules sit below this one and see a
network only through ``workspace.NetworkLike``: neither imports this module.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import DTypeLike, NDArray

from . import sensitivity
from .activations import ELU_ALPHA, LEAKY_RELU_SLOPE, Activation
from .errors import ConfigError, ShapeError
from .layers import ActivationSpec, LayerActivation
from .workspace import LayerTrace, Trace, Workspace, views

Array = NDArray[Any]
Seed: TypeAlias = "int | np.random.Generator | None"  # a string: numpy.random loads on use

INITS = ("auto", "uniform", "glorot", "xavier", "he", "nguyen_widrow", "epsilon")
EPSILON_INIT = 0.12  # the Stanford ML course's epsilon_init for randInitializeWeights
UNIFORM_INIT = 0.1  # FANN's default random weight range, [-0.1, 0.1]
NGUYEN_WIDROW_FACTOR = 0.7  # Nguyen & Widrow (1990): beta = 0.7 * H ** (1 / n)


def as_generator(seed: Seed) -> np.random.Generator:
    """Turn ``seed`` (int, Generator or None) into a Generator; a Generator is used as is."""
    if isinstance(seed, np.random.Generator):
        return seed
    check_seed(seed)
    return np.random.default_rng(seed)


def check_seed(seed: Seed) -> None:
    """Raise ConfigError unless :func:`as_generator` takes ``seed``; for a caller that may
    not need the generator (building one from None or an int costs more than the check)."""
    if not (
        seed is None
        or isinstance(seed, np.random.Generator)
        or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool))
    ):
        raise ConfigError(
            f"seed must be an int, a numpy.random.Generator or None; got {seed!r}."
        )


#: one-sample forward passes on a network before "auto" compiles them (numba's import and
#: cache load, about half a second once, pays off only for a network asked many times)
ONE_SAMPLE_COMPILE_AFTER = 1000
#: "auto" compiles one-sample passes only up to this many parameters: above it the compiled
#: pass gains 1.00-1.08x (benchmarks/compiled_epoch.py --one-sample, docs/performance.md),
#: not worth loading numba (about 125 MiB) into a process that would not otherwise load it
ONE_SAMPLE_MAX_PARAMS = 50_000

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
        clamp: Sequence[float | Array | None] | None = None,
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
        clamps: list[float | Array | None] = [None] * n_layers if clamp is None else list(clamp)
        if len(clamps) != n_layers:
            raise ConfigError(
                f"clamp must be None or one entry per layer ({n_layers}); got {len(clamps)} "
                "entries."
            )
        self.layers = [
            LayerActivation(spec, n_out, s, c)
            for spec, n_out, s, c in zip(activations, self.sizes[1:], steeps, clamps, strict=True)
        ]
        self.shapes = [(n_in + 1, n_out) for n_in, n_out in zip(self.fan_ins, self.sizes[1:], strict=False)]
        self.params: Array = np.zeros(sum(r * c for r, c in self.shapes), dtype=self.dtype)
        self.weights: list[Array] = views(self.params, self.shapes)
        self.mask: NDArray[np.bool_] | None = None
        self._reg: Array | None = None
        self._plan: list[tuple[Array, Array, Callable[[Array], object]]] | None = None
        # predict_backend (a property): "auto" switches one-sample passes to compiled code after
        # ONE_SAMPLE_COMPILE_AFTER calls on a small supported net; "numpy" never; "compiled"
        # at the first call (a ConfigError if it cannot)
        self._predict_backend = "auto"
        self._one_sample: Callable[[Array], Array] | None = None
        self._one_sample_calls = 0

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
        clamp: Sequence[float | Array | None] | None = None,
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
        net = cls(sizes, activations, steepness=steepness, shortcut=shortcut, dtype=dtype,
                  clamp=clamp)
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

    @classmethod
    def from_sklearn(cls, mlp: Any) -> Network:
        """The network of a fitted scikit-learn ``MLPClassifier`` or ``MLPRegressor``.

        ``coefs_[k]`` (``(n_in, n_out)``) and ``intercepts_[k]`` become ``weights[k]`` (the
        intercepts as its last row); hidden layers get ``activation`` (``logistic`` is our
        sigmoid), the output layer ``out_activation_``. The dtype is that of ``coefs_``.
        The estimator is only read (scikit-learn is never imported here); for its class
        labels too, use :meth:`neuronless.model.Model.from_sklearn`.
        """
        coefs, intercepts = getattr(mlp, "coefs_", None), getattr(mlp, "intercepts_", None)
        if coefs is None or intercepts is None:
            raise ConfigError(
                f"from_sklearn needs a fitted MLPClassifier or MLPRegressor (with coefs_ and "
                f"intercepts_); got {type(mlp).__name__}. Call fit first."
            )
        hidden = _SKLEARN_ACTIVATIONS.get(str(getattr(mlp, "activation", "")))
        output = _SKLEARN_ACTIVATIONS.get(str(getattr(mlp, "out_activation_", "")))
        if hidden is None or output is None:
            raise ConfigError(
                f"from_sklearn reads the activations {sorted(_SKLEARN_ACTIVATIONS)}; got "
                f"activation={getattr(mlp, 'activation', None)!r}, "
                f"out_activation_={getattr(mlp, 'out_activation_', None)!r}."
            )
        mats = [np.asarray(c) for c in coefs]
        weights = [np.vstack([c, np.asarray(b, dtype=c.dtype).reshape(1, -1)])
                   for c, b in zip(mats, intercepts, strict=True)]
        return cls.from_weights(weights, [hidden] * (len(weights) - 1) + [output],
                                dtype=mats[0].dtype if mats else None)

    @classmethod
    def from_torch(cls, sequential: Any) -> Network:
        """The network of a PyTorch ``nn.Sequential`` of ``Linear`` layers and activations.

        Each ``Linear`` (``weight`` ``(out, in)``, ``bias``) becomes ``weights[k] =
        [weight.T; bias]``, with the activation module that follows it (none: identity).
        Read: ``ReLU``, ``Tanh``, ``Sigmoid``, ``LeakyReLU(0.01)``, ``ELU(alpha=1)``,
        ``Softplus(beta=1)``, ``Softmax(dim=-1)``; ``Identity``, ``Dropout`` (a no-op when
        predicting) and a leading ``Flatten`` are skipped; a nested ``Sequential`` is read in
        place. Anything else is a ConfigError naming the module and its index. float64
        weights give a float64 network, any other dtype float32. torch is never imported
        here: the modules are read by their class names and attributes.
        """
        modules = _torch_modules(sequential)
        weights: list[Array] = []
        acts: list[str | None] = []
        for index, module in modules:
            kind = type(module).__name__
            if kind == "Linear":
                weight = _torch_array(module.weight)
                bias = (np.zeros(weight.shape[0], dtype=weight.dtype)
                        if module.bias is None else _torch_array(module.bias))
                weights.append(np.vstack([weight.T, bias.reshape(1, -1)]))
                acts.append(None)
                continue
            if kind in _TORCH_SKIPPED or (kind == "Flatten" and not weights):
                continue
            name = _torch_activation(module, index)
            if not weights or acts[-1] is not None:
                where = "before the first Linear" if not weights else "right after another activation"
                raise ConfigError(
                    f"module {index} ({module!r}) comes {where}; from_torch reads Linear layers "
                    "each followed by at most one activation."
                )
            acts[-1] = name
        if not weights:
            raise ConfigError(f"from_torch found no Linear layer in {type(sequential).__name__}.")
        dtype = np.float64 if all(W.dtype == np.float64 for W in weights) else np.float32
        return cls.from_weights(weights, [a or "identity" for a in acts], dtype=dtype)

    @classmethod
    def from_octave(
        cls,
        thetas: Sequence[Any],
        activation: ActivationSpec = "sigmoid",
        *,
        dtype: DTypeLike | None = None,
    ) -> Network:
        """A network from the Stanford ML course's matrices ``[Theta1, Theta2, ...]``.

        ``Theta{k}`` is ``(units, inputs + 1)`` with the bias in its FIRST column, and the
        course computes ``a{k+1} = sigmoid([1 a{k}] * Theta{k}')``; here that is
        ``weights[k] = [Theta[:, 1:].T; Theta[:, 0]]``. ``activation`` (every layer) is the
        course's sigmoid unless given. :meth:`to_octave` is the way back.

        >>> import numpy as np
        >>> Theta1 = np.array([[0.1, 0.5]])          # 1 unit: bias 0.1, weight 0.5
        >>> net = Network.from_octave([Theta1], "identity")
        >>> net.weights[0].tolist(), net.forward(np.array([2.0])).tolist()
        ([[0.5], [0.1]], [1.1])
        """
        mats = [np.asarray(T) for T in thetas]
        if not mats:
            raise ConfigError("from_octave needs at least one Theta matrix; got none.")
        for k, T in enumerate(mats):
            if T.ndim != 2 or T.shape[1] < 2:
                raise ShapeError(
                    f"Theta{k + 1} must be a 2-D (units, inputs + 1) matrix with the bias in "
                    f"its first column; got shape {T.shape}."
                )
            if k and T.shape[1] != mats[k - 1].shape[0] + 1:
                raise ShapeError(
                    f"Theta{k + 1} must have {mats[k - 1].shape[0] + 1} columns (a bias and "
                    f"the {mats[k - 1].shape[0]} units of Theta{k}); got shape {T.shape}."
                )
        weights = [np.vstack([T[:, 1:].T, T[:, :1].T]) for T in mats]
        return cls.from_weights(weights, [activation] * len(weights), dtype=dtype)

    def to_octave(self) -> list[Array]:
        """The weights as the course's ``[Theta1, Theta2, ...]`` (float64, bias first column).

        The inverse of :meth:`from_octave`. The course's ``predict.m`` applies a sigmoid to
        every layer: for other activations the matrices are right but its formula is not.
        """
        if self.shortcut:
            raise ConfigError(
                "to_octave needs a layered network; this one has shortcut connections, which "
                "the course's Theta matrices cannot hold."
            )
        return [np.hstack([W[-1:].T, W[:-1].T]).astype(np.float64) for W in self.weights]

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
    def clamp(self) -> list[float | Array | None]:
        """Each layer's clamp on ``steepness * z`` (``None``: no clamp)."""
        return [layer.clamp for layer in self.layers]

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

    def __getstate__(self) -> dict[str, Any]:
        """Pickling (to send a network to another process, e.g. a Dask worker) keeps the
        architecture, parameters and mask; caches (the inference plan, the compiled
        one-sample pass and its call count) are rebuilt there. ``weights`` stay views of
        ``params``."""
        state = self.__dict__.copy()
        state.pop("weights", None)
        state["_plan"] = None
        state["_one_sample"] = None
        state["_one_sample_calls"] = 0
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.weights = views(self.params, self.shapes)

    def copy(self) -> Network:
        """An independent copy (same architecture, copied parameters and mask)."""
        return self.astype(self.dtype)

    def astype(self, dtype: DTypeLike) -> Network:
        """A copy with parameters of another dtype (float32 or float64)."""
        new = Network(
            self.sizes,
            [layer.spec for layer in self.layers],  # type: ignore[misc]
            steepness=[layer.steepness for layer in self.layers],
            shortcut=self.shortcut,
            dtype=dtype,
            clamp=self.clamp,
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
            if layer.clamp is not None:
                steep += f", clamp {layer.clamp}"
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
        sample = (type(X) is np.ndarray and X.ndim == 1 and X.dtype == self.dtype
                  and X.shape[0] == self.sizes[0])
        if sample:  # one sample, the common case of a prediction service
            one = self._one_sample
            if one is not None:
                return one(X)
            self._one_sample_calls += 1
            backend = self._predict_backend
            if (backend == "compiled"
                    or (backend == "auto" and self._one_sample_calls == ONE_SAMPLE_COMPILE_AFTER)):
                self._one_sample = self._compiled_one_sample()
                if self._one_sample is not None:
                    return self._one_sample(X)
        plan = self._plan if self._plan is not None else self._inference_plan()
        if sample and plan:
            a: Array = X  # 1-D all the way
            for W_in, b, act in plan:
                a = np.dot(a, W_in)
                np.add(a, b, out=a)
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

    @property
    def predict_backend(self) -> str:
        """How one-sample forward passes run: ``"auto"`` (compiled after
        ``ONE_SAMPLE_COMPILE_AFTER`` calls on a small supported net), ``"numpy"`` or
        ``"compiled"`` (at the next call; a ConfigError there if it cannot)."""
        return self._predict_backend

    @predict_backend.setter
    def predict_backend(self, value: str) -> None:
        if value not in ("auto", "numpy", "compiled"):
            raise ConfigError(f"predict_backend must be 'auto', 'numpy' or 'compiled'; got "
                              f"{value!r}.")
        self._predict_backend = value
        self._one_sample = None  # the next one-sample call decides again
        self._one_sample_calls = 0

    def _compiled_one_sample(self) -> Callable[[Array], Array] | None:
        """The compiled one-sample forward (:class:`neuronless.kernels.OneSample`) when
        ``predict_backend`` allows it and it is faster here (at most
        ``ONE_SAMPLE_MAX_PARAMS`` parameters, a supported net, numba importable)."""
        backend = self._predict_backend
        if backend == "numpy":
            return None
        from . import kernels

        reason = kernels.forward_supported(self)
        if reason is None and not kernels.available():
            reason = "numba does not import here"
        if reason is None and backend == "auto" and self.params.size > ONE_SAMPLE_MAX_PARAMS:
            reason = "larger nets are as fast with NumPy"
        if reason is not None:
            if backend == "compiled":
                raise ConfigError(f"predict_backend='compiled' cannot run this network: "
                                  f"{reason}; use 'auto' or 'numpy'.")
            return None
        return kernels.OneSample(self)

    def _inference_plan(self) -> list[tuple[Array, Array, Callable[[Array], object]]]:
        """Per layer ``(W[:-1], W[-1], in-place activation)`` for 1-D samples; empty if the
        network needs the general path (shortcut connections, mixed layers, steepness, clamp)."""
        plan: list[tuple[Array, Array, Callable[[Array], object]]] = []
        for W, layer in zip(self.weights, self.layers, strict=True):
            act = layer.uniform
            s = layer.steepness
            if self.shortcut or act is None or act.inplace is None or layer.clamp is not None or not (
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

    def jacobian(self, X: Any) -> Array:
        """d outputs / d inputs per sample, shape ``(m, n_out, n_in)`` (see
        :func:`neuronless.sensitivity.jacobian`)."""
        return sensitivity.jacobian(self, X)


def _softmax_1d(x: Array) -> None:
    # one sample: whole-vector reductions are cheaper than the keepdims form. x - max(x) can
    # overflow only for logits spread wider than the dtype's range; exp then gives 0, correctly.
    np.subtract(x, np.maximum.reduce(x), out=x)
    np.exp(x, out=x)
    np.divide(x, np.add.reduce(x), out=x)


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


_SKLEARN_ACTIVATIONS = {"identity": "identity", "logistic": "sigmoid", "tanh": "tanh",
                        "relu": "relu", "softmax": "softmax"}
_TORCH_SKIPPED = ("Identity", "Dropout")  # no-ops when predicting (Dropout in eval mode)


def _torch_modules(sequential: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """``(index, module)`` of an ``nn.Sequential``, nested ones read in place (``"2.0"``)."""
    if type(sequential).__name__ == "Linear" and not prefix:
        return [("0", sequential)]
    try:
        children = list(sequential)
    except TypeError:
        raise ConfigError(
            f"from_torch needs an nn.Sequential of Linear layers and activations; got "
            f"{type(sequential).__name__}."
        ) from None
    out: list[tuple[str, Any]] = []
    for i, module in enumerate(children):
        index = f"{prefix}{i}"
        if type(module).__name__ == "Sequential":
            out.extend(_torch_modules(module, f"{index}."))
        else:
            out.append((index, module))
    return out


def _torch_array(tensor: Any) -> Array:
    t = tensor.detach().cpu()
    if str(t.dtype) != "torch.float64":
        t = t.float()
    out: Array = np.array(t.numpy(), copy=True)
    return out


def _torch_activation(module: Any, index: str) -> str:
    """Our activation name for a torch activation module, or a ConfigError naming it."""
    kind = type(module).__name__
    simple = {"ReLU": "relu", "Tanh": "tanh", "Sigmoid": "sigmoid"}
    if kind in simple:
        return simple[kind]
    if kind == "LeakyReLU" and float(module.negative_slope) == LEAKY_RELU_SLOPE:
        return "leaky_relu"
    if kind == "ELU" and float(module.alpha) == ELU_ALPHA:
        return "elu"
    if kind == "Softplus" and float(module.beta) == 1.0:
        return "softplus"
    if kind == "Softmax" and module.dim in (-1, 1):
        return "softmax"
    raise ConfigError(
        f"module {index} ({module!r}) cannot be read by from_torch; it reads Linear, ReLU, "
        f"Tanh, Sigmoid, LeakyReLU(negative_slope={LEAKY_RELU_SLOPE}), ELU(alpha={ELU_ALPHA}), "
        "Softplus(beta=1), Softmax(dim=-1), Identity, Dropout and a leading Flatten."
    )

__all__ = ["LayerActivation", "LayerTrace", "Network", "Trace", "Workspace", "as_generator", "views"]
