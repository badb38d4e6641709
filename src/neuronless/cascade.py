"""Cascade-correlation (FANN's Cascade2): grow a shortcut network one hidden unit at a time.

Contract: :func:`cascade_train` takes training rows ``X`` ``(m, n_in)`` and targets ``Y``
``(m, n_out)`` and returns a new shortcut :class:`~neuronless.network.Network` (one unit per
hidden layer, each with its own activation and steepness, FANN's layout ``n_in+1, 1, ..., 1,
n_out``) and a :class:`CascadeReport` of what was grown. It follows libfann 2.2's
``fann_cascadetrain_on_data`` (fann.md section 8), with FANN's parameters and defaults from
:class:`~neuronless.fann.params.FannParams`:

* output training updates only the last weight matrix; hidden units do not change, so their
  outputs are computed once per stage and every epoch is two matrix products;
* all candidates (activation functions x steepnesses x groups) are trained at once: their
  net inputs are one product ``A @ W_cand``, each candidate is trained to reduce the residual
  directly (Cascade2's score ``SSE - sum (a v - e)^2``), FANN's ten default functions are
  evaluated as four families (tanh, Gaussian, Elliot, sine with a phase), and the only Python
  loops are over those families and over blocks of patterns (so temporaries stay in cache);
* the winner is installed as a new hidden layer of one unit, its output weights scaled by
  ``cascade_weight_multiplier``, by building a new Network and copying every weight.

Step rules come from :mod:`neuronless.optimizers` (applied to flat vectors). It never prints
unless ``verbose`` and never touches files.

Where libfann differs from the textbook, ``fann_compatible=True`` (the default) follows libfann:
its step rules (``IRpropMinus``/``Quickprop(fann_compatible=True)``), its derivatives
(:mod:`neuronless.fann.metrics`; for candidates libfann passes the *unscaled* net input, which
makes its Gaussian and sine derivatives exact there and its Elliot one not) and its
candidate input slopes without the factor 2; ``fann_compatible=False`` uses the published
step rules and exact gradients. MSE, bit fail and error functions are FANN's in both modes.
Deliberate differences from libfann, in both modes: a stage that reaches the desired error
stops *before* its weight update (libfann measures the error, then updates once more, so its
net no longer has the error it reported); the candidates' score starts from the sum of squared
errors of the current residual (libfann uses the one accumulated during the last output epoch,
one update earlier); and libfann's clamp of the net input to +-150/steepness is not applied,
so an installed unit computes exactly what :meth:`Network.forward` computes.

>>> import numpy as np, neuronless as nl
>>> X, y = nl.datasets.xor()
>>> net, report = cascade_train(X, y.reshape(-1, 1), max_neurons=8, desired_error=1e-3, seed=0)
>>> report.mse[-1] <= 1e-3 and len(net.weights) == len(report.units) + 1
True
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from .activations import Activation, get_activation
from .errors import ConfigError, DataError, ShapeError
from .fann.metrics import (
    FannDerivative,
    error_function,
    fann_derivative,
    fann_errors,
    output_diff,
)
from .fann.params import FannParams, fann_name, to_neuronless
from .network import Network, Seed, as_generator
from .optimizers import IRpropMinus, Quickprop, State
from .training import SMALL_NET_PARAMS

BACKENDS = ("auto", "numpy", "compiled")

Array = NDArray[Any]
CascadeCallback = Callable[[Network, "CascadeReport"], Any]

#: libfann's scale of candidate weights (fann_cascade.c, "semi Widrow + Nguyen"):
#: 2 (0.7 H)^(1/n_in), clipped to [0.5, 8]
CANDIDATE_SCALE_FACTOR = 0.7
CANDIDATE_SCALE_MIN, CANDIDATE_SCALE_MAX = 0.5, 8.0
#: FANN clips sigmoid-like outputs to [0.01f, 0.99f] / [-0.98f, 0.98f] (C floats) before
#: taking their derivative (fann.md 4); on tanh(u) both are |tanh u| <= 0.98f
SIGMOID_SYMMETRIC_CLIP = float(np.float32(0.98))
GAUSSIAN_U_MAX = 64.0
#: candidates x patterns per block in candidate training, so the temporaries of one block stay
#: in the CPU cache (1 BLAS thread, parity13/thyroid/mushroom: blocks of 1-2k patterns x 80
#: candidates were 10-50 % faster than whole-batch arrays or blocks of a few hundred patterns)
CHUNK_ELEMENTS = 1 << 17
#: backend="auto" compiles the candidates' epochs of a unit while they have at most this
#: many inputs (network inputs + hidden units + bias): beyond, NumPy's matrix products win
#: (benchmarks/cascade_bench.py --sweep, on the one BLAS thread threads="auto" gives)
COMPILED_MAX_INPUTS = 40


# ------------------------------------------------------------------------ report
@dataclass(frozen=True)
class CascadeUnit:
    """One installed hidden unit: FANN activation name and FANN steepness, and how it won."""

    activation: str
    steepness: float
    score: float
    candidate_epochs: int


@dataclass
class CascadeReport:
    """What :func:`cascade_train` grew.

    ``mse[k]``, ``bit_fail[k]`` and ``output_epochs[k]`` belong to the ``k``-th output training
    (``k`` hidden units installed; the last entry is the final output training), measured on
    the net as that training left it. MSE is FANN's: the mean of squared errors over patterns
    and outputs, errors halved for symmetric output activations; bit fail counts output values
    whose (halved) error is at least ``bit_fail_limit``.
    """

    n_inputs: int
    n_outputs: int
    desired_error: float
    units: list[CascadeUnit] = field(default_factory=list)
    mse: list[float] = field(default_factory=list)
    bit_fail: list[int] = field(default_factory=list)
    output_epochs: list[int] = field(default_factory=list)
    stopped_reason: str = "max_neurons"
    seconds: float = 0.0
    backend: str = "numpy"  # how the candidates' epochs ran: "numpy", "compiled" or both

    @property
    def total_epochs(self) -> int:
        """Output and candidate epochs together (what libfann's report counts)."""
        return sum(self.output_epochs) + sum(u.candidate_epochs for u in self.units)

    @property
    def layer_sizes(self) -> list[int]:
        """FANN's ``layer_sizes`` of the grown net (the input layer counts its bias)."""
        return [self.n_inputs + 1, *([1] * len(self.units)), self.n_outputs]

    def __str__(self) -> str:
        sizes = " ".join(map(str, self.layer_sizes))
        lines = [
            f"Cascade2: {len(self.units)} hidden unit{'' if len(self.units) == 1 else 's'} "
            f"(FANN layer sizes {sizes}), "
            f"stopped: {self.stopped_reason}, {self.total_epochs} epochs, {self.seconds:.2f} s, "
            f"candidates on {self.backend}"
        ]
        if self.mse:
            lines.append(
                f"  no hidden unit: MSE {self.mse[0]:.6g}, bit fail {self.bit_fail[0]} "
                f"({self.output_epochs[0]} epochs)"
            )
        for k, unit in enumerate(self.units, start=1):
            lines.append(
                f"  unit {k:3d}: {unit.activation} (steepness {unit.steepness:g}), score "
                f"{unit.score:.4g} after {unit.candidate_epochs} candidate epochs; then "
                f"MSE {self.mse[k]:.6g}, bit fail {self.bit_fail[k]} "
                f"({self.output_epochs[k]} epochs)"
            )
        if len(self.mse) > len(self.units) + 1:
            lines.append(
                f"  final output training: MSE {self.mse[-1]:.6g}, bit fail {self.bit_fail[-1]} "
                f"({self.output_epochs[-1]} epochs)"
            )
        return "\n".join(lines)


#: FANN's candidate functions as ``offset + scale * g(u + phase)`` of ``u = s_fann * S`` (S the
#: unscaled net input): four families cover the ten default functions, so a candidate epoch
#: costs four elementwise passes, not ten. FANN's SIGMOID is 1/(1+exp(-2u)) = (1+tanh u)/2.
_FAMILIES: dict[str, tuple[str, float, float, float]] = {
    #                      family    scale offset phase
    "sigmoid": ("tanh", 0.5, 0.5, 0.0),
    "sigmoid_symmetric": ("tanh", 1.0, 0.0, 0.0),
    "gaussian": ("gauss", 1.0, 0.0, 0.0),
    "gaussian_symmetric": ("gauss", 2.0, -1.0, 0.0),
    "elliot": ("elliot", 0.5, 0.5, 0.0),
    "elliot_symmetric": ("elliot", 1.0, 0.0, 0.0),
    "sin_symmetric": ("sin", 1.0, 0.0, 0.0),
    "cos_symmetric": ("sin", 1.0, 0.0, 0.5 * math.pi),
    "sin": ("sin", 0.5, 0.5, 0.0),
    "cos": ("sin", 0.5, 0.5, 0.5 * math.pi),
}


#: one group of the pool: (candidates, family, FANN steepness, scale, offset, phase or None)
_GroupColumns = tuple[slice, str, Array, Array, Array, "Array | None"]


@dataclass(frozen=True)
class _Pool:
    """The candidate pool: activation functions x steepnesses x groups, sorted by family.

    ``groups`` lists contiguous candidate slices sharing a family (or, for functions outside
    the four families, sharing an activation), with per-candidate ``scale``, ``offset`` and
    ``phase`` arrays for the family form.
    """

    names: list[str]  # FANN name per candidate
    fann_steepness: Array  # FANN steepness per candidate
    steepness: Array  # neuronless steepness per candidate
    scale: Array
    offset: Array
    phase: Array
    groups: list[tuple[slice, str]]  # (candidates, family name or FANN function name)
    _columns: dict[str, list[_GroupColumns]] = field(default_factory=dict, repr=False,
                                                     compare=False)

    @classmethod
    def build(cls, params: FannParams) -> _Pool:
        rows: list[tuple[str, str, float, float, float, float, float]] = []
        for fn in params.cascade_activation_functions:
            family, scale, offset, phase = _FAMILIES.get(fn, (fn, 1.0, 0.0, 0.0))
            for s in params.cascade_activation_steepnesses:
                _, our_s = to_neuronless(fn, s)
                for _ in range(params.cascade_num_candidate_groups):
                    rows.append((family, fn, float(s), our_s, scale, offset, phase))
        families = list(dict.fromkeys(r[0] for r in rows))
        rows.sort(key=lambda r: families.index(r[0]))  # stable: FANN's order within a family
        groups: list[tuple[slice, str]] = []
        for family in families:
            idx = [i for i, r in enumerate(rows) if r[0] == family]
            groups.append((slice(idx[0], idx[-1] + 1), family))
        col = list(zip(*rows, strict=True))
        return cls(list(col[1]), np.array(col[2]), np.array(col[3]), np.array(col[4]),
                   np.array(col[5]), np.array(col[6]), groups)

    @property
    def size(self) -> int:
        return len(self.names)

    @property
    def families(self) -> list[str]:
        """The family of each candidate (or its FANN function outside the four families)."""
        out: list[str] = []
        for sl, family in self.groups:
            out += [family] * (sl.stop - sl.start)
        return out

    def columns(self, dtype: np.dtype[Any]) -> list[_GroupColumns]:
        """Per group ``(slice, family, fann steepness, scale, offset, phase or None)`` as
        column vectors of ``dtype`` (cast once per dtype, not once per epoch)."""
        key = np.dtype(dtype).str
        if key not in self._columns:
            self._columns[key] = [
                (sl, family, self.fann_steepness[sl].astype(dtype)[:, None],
                 self.scale[sl].astype(dtype)[:, None], self.offset[sl].astype(dtype)[:, None],
                 self.phase[sl].astype(dtype)[:, None] if np.any(self.phase[sl]) else None)
                for sl, family in self.groups
            ]
        return self._columns[key]

    def activation(self, j: int) -> Activation:
        """Candidate ``j``'s activation function (neuronless's registry entry)."""
        return get_activation(to_neuronless(self.names[j], 1.0)[0])


def _candidate_scale(n_hidden: int, n_inputs: int) -> float:
    """libfann's candidate weight range; ``H`` counts the hidden units plus the bias."""
    h = n_hidden + 1
    scale = 2.0 * math.pow(CANDIDATE_SCALE_FACTOR * h, 1.0 / n_inputs)
    return min(max(scale, CANDIDATE_SCALE_MIN), CANDIDATE_SCALE_MAX)


def candidate_forward(
    A: Array, W: Array, pool: _Pool, fann_compatible: bool
) -> tuple[Array, Array]:
    """Every candidate's output ``a`` and ``da/dS`` (S = ``A @ W``, unscaled), both shaped
    ``(C, m)``: candidate-major, so each family's candidates are contiguous rows."""
    S = W.T @ A.T
    a = np.empty_like(S)
    d = np.empty_like(S)
    dt = S.dtype
    for sl, family, fs, scale, offset, phase in pool.columns(dt):
        Sg, ag, dg = S[sl], a[sl], d[sl]
        if family not in ("tanh", "gauss", "elliot", "sin"):  # any other FANN function
            act, steep = pool.activation(sl.start), pool.steepness[sl].astype(dt)[:, None]
            x = Sg * steep
            ag[...] = act.f(x)
            if fann_compatible:  # FANN passes the candidate's unscaled sum here
                dg[...] = fann_derivative(family, ag.T, Sg.T, pool.fann_steepness[sl]).T
            else:
                dg[...] = act.df(x, ag) * steep
            continue
        u = Sg * fs
        if family == "tanh":
            g = np.tanh(u)
            np.multiply(g, scale, out=ag)
            ag += offset
            if fann_compatible:  # FANN clips y to [0.01, 0.99] / [-0.98, 0.98]: g to +-0.98
                np.clip(g, -SIGMOID_SYMMETRIC_CLIP, SIGMOID_SYMMETRIC_CLIP, out=g)
            np.multiply(g, g, out=g)
            np.subtract(1.0, g, out=dg)
            dg *= scale * fs
        elif family == "gauss":
            g = _gaussian(u)
            np.multiply(g, scale, out=ag)
            ag += offset
            np.multiply(u, g, out=dg)
            dg *= -2.0 * scale * fs
        elif family == "elliot":
            t = np.abs(u)
            t += 1.0
            np.divide(u, t, out=ag)
            ag *= scale
            ag += offset
            if fann_compatible:  # FANN's derivative takes the unscaled sum here
                np.abs(Sg, out=t)
                t += 1.0
            np.multiply(t, t, out=t)
            np.divide(scale * fs, t, out=dg)
        else:
            if phase is not None:
                u += phase
            np.sin(u, out=ag)
            ag *= scale
            ag += offset
            np.cos(u, out=dg)
            dg *= scale * fs
    return a, d


def _gaussian(u: Array) -> Array:
    c = np.minimum(np.abs(u), GAUSSIAN_U_MAX)  # exp(-u^2) is 0 long before u^2 overflows
    with np.errstate(under="ignore"):
        out: Array = np.exp(-(c * c))
    return out


def candidate_scores_and_grads(
    A: Array,
    E: Array,
    W: Array,
    V: Array,
    pool: _Pool,
    fann_compatible: bool = False,
    chunk: int | None = None,
) -> tuple[Array, Array, Array]:
    """Cascade2's candidate scores and the descent gradients of ``-score``.

    ``A`` ``(m, n_cols)`` holds the inputs, hidden outputs and a column of ones; ``E``
    ``(m, n_out)`` the residual (target - output, halved for symmetric outputs); ``W``
    ``(n_cols, C)`` the candidates' input weights and ``V`` ``(C, n_out)`` their output
    weights. The score of candidate ``c`` is ``sum(E**2) - sum_p sum_o (a_pc V_co - E_po)**2``:
    how much the squared error would shrink if ``a_c`` were added with output weights
    ``V_c``. Returns ``(scores (C,), grad_W, grad_V)``; the gradients are exact derivatives of
    ``-score`` (with ``fann_compatible``, libfann's: half the input-weight gradient and its
    derivative quirks).
    """
    C = W.shape[1]
    rows = max(1, CHUNK_ELEMENTS // C) if chunk is None else int(chunk)
    vv = np.einsum("co,co->c", V, V)
    G = np.zeros((C, E.shape[1]), dtype=A.dtype)  # sum_p a_pc E_po
    aa = np.zeros(C, dtype=A.dtype)  # sum_p a_pc^2
    grad_W: Array = np.zeros((C, A.shape[1]), dtype=A.dtype)
    vv_col = vv[:, None]
    for start in range(0, A.shape[0], rows):  # blocks of patterns: temporaries stay in cache
        Ab, Eb = A[start:start + rows], E[start:start + rows]
        a, d = candidate_forward(Ab, W, pool, fann_compatible)
        G += a @ Eb
        aa += np.einsum("cp,cp->c", a, a)
        err = V @ Eb.T  # becomes sum_o (a V_co - E_po) V_co, per candidate and pattern
        np.subtract(a * vv_col, err, out=err)
        err *= d
        grad_W += err @ Ab
    scores: Array = 2.0 * np.einsum("co,co->c", V, G) - aa * vv
    grad_V: Array = 2.0 * (V * aa[:, None] - G)
    grad_W = grad_W.T
    if not fann_compatible:
        grad_W *= 2.0
    return scores, grad_W, grad_V


def install_unit(
    net: Network, weights_in: Array, weights_out: Array, activation: str, steepness: float,
    multiplier: float,
) -> Network:
    """A new shortcut Network with one more hidden layer of one unit, every weight copied.

    ``weights_in`` ``(n_in + H + 1,)`` are the unit's input weights in the layout of the
    output layer's input (network input, hidden outputs, bias last); ``weights_out``
    ``(n_out,)`` its output weights, multiplied by ``multiplier`` as they are installed.
    ``activation`` and ``steepness`` are FANN's (name, steepness).
    """
    ours, our_s = to_neuronless(activation, steepness)
    sizes = [*net.sizes[:-1], 1, net.sizes[-1]]
    specs = [layer.spec for layer in net.layers]
    steeps = [layer.steepness for layer in net.layers]
    new = Network(
        sizes,
        [*specs[:-1], get_activation(ours), specs[-1]],  # type: ignore[list-item]
        steepness=[*steeps[:-1], our_s, steeps[-1]],
        shortcut=True,
        dtype=net.dtype,
    )
    for k in range(len(net.weights) - 1):
        new.weights[k][...] = net.weights[k]
    new.weights[-2][:, 0] = weights_in
    old_out = net.weights[-1]
    new.weights[-1][:-2] = old_out[:-1]
    new.weights[-1][-2] = np.asarray(weights_out) * multiplier
    new.weights[-1][-1] = old_out[-1]
    return new


# ------------------------------------------------------------------------ training
@dataclass
class _Setup:
    params: FannParams
    algorithm: str
    error_function: str
    stop_function: str
    out_name: str  # FANN name of the output activation
    out_act: Activation
    out_fann_s: float
    out_s: float
    fann_compatible: bool
    n_samples: int

    def step_rule(self) -> Any:
        p = self.params
        if self.algorithm == "rprop":
            kw: dict[str, Any] = dict(
                eta_plus=p.rprop_increase_factor, eta_minus=p.rprop_decrease_factor,
                step_init=p.rprop_delta_zero, step_min=p.rprop_delta_min,
                step_max=p.rprop_delta_max,
            )
            return _with_fann(IRpropMinus, kw, self.fann_compatible)
        fann_mode = self.fann_compatible and _has_fann_mode(Quickprop)
        if p.quickprop_decay > 0 and not fann_mode:
            raise ConfigError(
                f"quickprop_decay must be <= 0 (FANN adds it to the slope, so a negative value "
                f"shrinks weights); got {p.quickprop_decay!r}."
            )
        # FANN's quickprop: epsilon = learning_rate / number of patterns, on summed slopes
        rate = p.learning_rate if fann_mode else p.learning_rate / self.n_samples
        kw = dict(learning_rate=rate, mu=p.quickprop_mu, decay=-p.quickprop_decay)
        return _with_fann(Quickprop, kw, self.fann_compatible)

    def step_kwargs(self) -> dict[str, Any]:
        """Extra arguments of ``step``: FANN's quickprop divides its rate by the patterns."""
        if self.algorithm == "quickprop" and self.fann_compatible and _has_fann_mode(Quickprop):
            return {"patterns": self.n_samples}
        return {}

    def reached(self, mse: float, bit_fail: int, desired: float) -> bool:
        if self.stop_function == "bit":
            return bit_fail <= int(desired)
        return mse <= desired


def _has_fann_mode(cls: Any) -> bool:
    return "fann_compatible" in getattr(cls, "__dataclass_fields__", {})


def _with_fann(cls: Any, kw: dict[str, Any], fann_compatible: bool) -> Any:
    """The step rule, in its libfann variant when ``fann_compatible`` and it has one."""
    if fann_compatible and _has_fann_mode(cls):
        kw = {**kw, "fann_compatible": True}
    try:
        return cls(**kw)
    except ConfigError as e:
        raise ConfigError(f"cascade training: {e}") from None


def _outputs(net: Network, A: Array, setup: _Setup) -> Array:
    """The network's outputs from the output layer's input ``A`` (bias column last)."""
    out: Array = setup.out_act.f((A @ net.weights[-1]) * setup.out_s)
    return out


def _train_outputs(
    net: Network, A: Array, T: Array, setup: _Setup, desired: float
) -> tuple[float, int, int]:
    """libfann's ``fann_train_outputs``: train the last weight matrix alone, full batch.

    Returns (FANN MSE, bit fail, epochs) of the last epoch measured.
    """
    p = setup.params
    W = net.weights[-1]
    flat = net.params[net.params.size - W.size:]  # the output layer: the last slice of params
    opt = setup.step_rule()
    step_kw = setup.step_kwargs()
    state: State = opt.init(flat)
    grads = np.empty_like(flat)
    g2 = grads.reshape(W.shape)
    bit_limit = p.bit_fail_limit
    n_values = T.size
    fann_deriv = FannDerivative(setup.out_name, setup.out_fann_s, T.shape[1])
    scratch = np.empty_like(T)

    def epoch() -> tuple[float, int, Array]:
        z = A @ W
        y = setup.out_act.f(z * setup.out_s)
        diff = output_diff(y, T, setup.out_name)
        mse = float(np.einsum("ij,ij->", diff, diff)) / n_values
        bit_fail = int(np.count_nonzero(np.abs(diff) >= bit_limit))
        err = error_function(diff, setup.error_function, out=diff)
        if setup.fann_compatible:
            total = z * setup.out_fann_s  # libfann's stored sum is steepness * net input
            err *= fann_deriv(y, total, scratch)
        else:
            x = z * setup.out_s
            err *= setup.out_act.df(x, y) * setup.out_s
        return mse, bit_fail, err

    def update(err: Array) -> None:
        np.matmul(A.T, err, out=g2)
        np.negative(grads, out=grads)  # FANN's slopes point uphill; step rules want gradients
        opt.step(flat, grads, state, **step_kw)

    initial, bit_fail, err = epoch()
    if setup.reached(initial, bit_fail, desired):
        return initial, bit_fail, 1
    update(err)
    stop = _Stagnation(p.cascade_output_change_fraction, p.cascade_output_stagnation_epochs,
                       p.cascade_min_out_epochs, p.cascade_max_out_epochs)
    mse = initial
    for i in range(1, p.cascade_max_out_epochs):
        mse, bit_fail, err = epoch()
        if setup.reached(mse, bit_fail, desired):
            return mse, bit_fail, i + 1
        update(err)
        if stop.stagnated(i, initial - mse):
            return mse, bit_fail, i + 1
    return mse, bit_fail, max(p.cascade_max_out_epochs, 1)


class _Stagnation:
    """libfann's stagnation rule of cascade training, for a quantity that should grow
    (the output error's improvement since the stage began, or the best candidate score).

    After a significant change (beyond ``target`` or below ``backslide``), ``target`` and
    ``backslide`` are reset to that value times ``1 ± change_fraction`` and a new quota of
    ``stagnation_epochs`` epochs starts; training stops once an epoch ``i`` (from 0) reaches
    the quota's end and ``min_epochs``. A negative target flips the comparisons (libfann's
    output rule; for candidate scores libfann always uses the positive form, and so do we).
    """

    def __init__(self, change_fraction: float, stagnation_epochs: int, min_epochs: int,
                 max_epochs: int, flip_negative: bool = True):
        self.fraction = float(change_fraction)
        self.epochs = int(stagnation_epochs)
        self.min_epochs = int(min_epochs)
        self.target, self.backslide = 0.0, -1.0e20
        self.deadline = int(max_epochs)
        self.flip_negative = flip_negative

    def stagnated(self, i: int, value: float) -> bool:
        t, b = self.target, self.backslide
        if self.flip_negative and t < 0:
            changed = value < t or value > b
        else:
            changed = value > t or value < b
        if changed:
            self.target = value * (1.0 + self.fraction)
            self.backslide = value * (1.0 - self.fraction)
            self.deadline = i + self.epochs
        return i >= self.deadline and i >= self.min_epochs


def _train_candidates(
    A: Array, E: Array, pool: _Pool, setup: _Setup, rng: np.random.Generator, n_hidden: int,
    n_inputs: int, compiled: bool = False,
) -> tuple[int, float, Array, Array, int]:
    """libfann's ``fann_train_candidates``: returns (winner, its score, its input weights,
    its output weights, epochs). ``compiled``: each epoch's scores and gradients come from
    :mod:`neuronless.cascade_kernels` (one numba call), else from NumPy."""
    p = setup.params
    n_cols, n_out, C = A.shape[1], E.shape[1], pool.size
    scale = _candidate_scale(n_hidden, n_inputs)
    flat = np.empty(n_cols * C + C * n_out, dtype=A.dtype)
    W = flat[: n_cols * C].reshape(n_cols, C)
    V = flat[n_cols * C:].reshape(C, n_out)
    W[...] = rng.uniform(0.0, scale, size=W.shape)
    W[-1] = rng.uniform(-scale, scale, size=C)  # the bias weight is symmetric
    V[...] = rng.uniform(0.0, scale, size=V.shape)
    grads = np.empty_like(flat)
    gW_out = grads[: n_cols * C].reshape(n_cols, C)
    gV_out = grads[n_cols * C:].reshape(C, n_out)
    kernel = None
    if compiled:
        from .cascade_kernels import CandidateKernel

        kernel = CandidateKernel(A, E, pool.families, pool.fann_steepness, pool.scale,
                                 pool.offset, pool.phase, setup.fann_compatible)
    opt = setup.step_rule()
    step_kw = setup.step_kwargs()
    state: State = opt.init(flat)
    sse = float(np.einsum("ij,ij->", E, E))
    stop = _Stagnation(p.cascade_candidate_change_fraction,
                       p.cascade_candidate_stagnation_epochs, p.cascade_min_cand_epochs,
                       p.cascade_max_cand_epochs, flip_negative=False)
    best, best_score = 0, -math.inf
    epochs = p.cascade_max_cand_epochs
    for i in range(p.cascade_max_cand_epochs):
        if kernel is not None:
            scores = kernel(W, V, gW_out, gV_out)
        else:
            scores, gW, gV = candidate_scores_and_grads(A, E, W, V, pool, setup.fann_compatible)
            gW_out[...] = gW
            gV_out[...] = gV
        opt.step(flat, grads, state, **step_kw)
        best = int(np.argmax(scores))  # the first of equals, as libfann's strict '>'
        best_score = float(scores[best])
        if sse > 0 and best_score / sse > p.cascade_candidate_limit:
            epochs = i + 1
            break
        if stop.stagnated(i, best_score):
            epochs = i + 1
            break
    return best, best_score, W[:, best].copy(), V[best].copy(), epochs


def _check_data(X: Any, Y: Any, dtype: np.dtype[Any]) -> tuple[Array, Array]:
    try:
        Xa = np.asarray(X, dtype=dtype)
        Ya = np.asarray(Y, dtype=dtype)
    except (TypeError, ValueError):
        raise DataError(
            "X and Y must hold numbers; convert text columns (labels) to numbers first."
        ) from None
    if Ya.ndim == 1:
        Ya = Ya.reshape(-1, 1)
    if Xa.ndim != 2 or Ya.ndim != 2 or len(Xa) != len(Ya) or len(Xa) == 0 or Xa.shape[1] == 0:
        raise ShapeError(
            f"X must be (n_samples, n_inputs) and Y (n_samples, n_outputs) with the same "
            f"number of rows (at least one); got X {Xa.shape} and Y {Ya.shape}. Reshape a "
            "single target column with y.reshape(-1, 1)."
        )
    if not (np.all(np.isfinite(Xa)) and np.all(np.isfinite(Ya))):
        raise DataError("X and Y must be finite: remove or impute NaN and infinite values.")
    return Xa, Ya


def cascade_train(
    X: Any,
    Y: Any,
    *,
    max_neurons: int = 30,
    desired_error: float = 0.0,
    params: FannParams | None = None,
    algorithm: str | None = None,
    error_function: str = "linear",
    output_activation: str | int = "linear",
    output_steepness: float = 0.5,
    fann_compatible: bool = True,
    seed: Seed = None,
    dtype: DTypeLike = np.float32,
    callback: CascadeCallback | None = None,
    verbose: bool = False,
    threads: int | str | None = "auto",
    backend: str = "auto",
) -> tuple[Network, CascadeReport]:
    """Grow a shortcut network with Cascade2 (libfann's ``fann_cascadetrain_on_data``).

    Parameters
    ----------
    X, Y : array-like
        Training rows ``(m, n_in)`` and targets ``(m, n_out)`` (a 1-D ``Y`` is one output).
    max_neurons : int
        At most this many hidden units are installed.
    desired_error : float
        Stop growing when FANN's MSE (or, with ``params.train_stop_function == "bit"``, the
        bit-fail count) is at most this after an output training.
    params : FannParams
        FANN's parameters: the ``cascade_*`` stop rules, candidate pool (activation functions
        x steepnesses x groups), weight multiplier, the RPROP/Quickprop parameters,
        ``bit_fail_limit`` and ``train_stop_function``. Defaults: libfann 2.2's.
    algorithm : "rprop" or "quickprop"
        Default ``params.training_algorithm``. FANN cannot cascade-train with batch or
        incremental backprop; neuronless does not do SARPROP here.
    error_function : "linear" or "tanh"
        FANN's error function for the output layer; "linear" as in FANN's cascade examples.
    output_activation, output_steepness : FANN name (or enum) and FANN steepness
        The output units' activation; default LINEAR with FANN's default steepness 0.5.
    fann_compatible : bool
        libfann's step rules and derivatives (see the module docstring), or the published ones.
    seed : int, numpy.random.Generator or None
        Initial output weights (U[-0.1, 0.1], as FANN) and candidate weights.
    dtype : float32 or float64
    callback : callable ``f(net, report)``
        Called after every output training (with the net as grown so far); returning True
        stops growing (the final output training still runs).
    verbose : bool
        Print one line per output training to stderr.
    threads : int, "auto" or None
        BLAS threads while training, as in :func:`~neuronless.training.fit`: "auto" uses one
        thread when the candidates' weights are fewer than ``SMALL_NET_PARAMS`` (their matrix
        products are too small to share out); None leaves BLAS alone.
    backend : "auto", "numpy" or "compiled"
        How the candidates' epochs run: "compiled" in one numba call per epoch
        (:mod:`neuronless.cascade_kernels`; pools of FANN's ten default functions, i.e. the
        tanh, Gaussian, Elliot and sine families), "numpy" in NumPy's blocked matrix products,
        "auto" compiled when numba imports, the pool qualifies and the candidates have at
        most ``COMPILED_MAX_INPUTS`` inputs (which grow by one with every unit), decided unit
        by unit. ``report.backend`` says which ran
        ("compiled", "numpy" or "compiled, numpy"). Both compute the same scores and
        gradients (to rounding).

    Returns
    -------
    net : Network
        ``shortcut=True``, ``sizes == [n_in, 1, ..., 1, n_out]``.
    report : CascadeReport
    """
    p = FannParams() if params is None else params
    if not isinstance(p, FannParams):
        raise ConfigError(f"params must be a neuronless.fann.FannParams; got {type(p).__name__}.")
    p.validate()
    algo = p.training_algorithm if algorithm is None else algorithm
    if algo in ("batch", "incremental"):
        raise ConfigError(
            f"cascade training cannot use the {algo} algorithm (FANN_E_CANT_USE_TRAIN_ALG); "
            "use algorithm='rprop' or 'quickprop'."
        )
    if algo not in ("rprop", "quickprop"):
        raise ConfigError(f"algorithm must be 'rprop' or 'quickprop'; got {algo!r}.")
    if error_function not in ("linear", "tanh"):
        raise ConfigError(f"error_function must be 'linear' or 'tanh'; got {error_function!r}.")
    if isinstance(max_neurons, bool) or not isinstance(max_neurons, (int, np.integer)) or max_neurons < 0:
        raise ConfigError(f"max_neurons must be a non-negative integer; got {max_neurons!r}.")
    if not (isinstance(desired_error, (int, float)) and math.isfinite(desired_error)
            and desired_error >= 0):
        raise ConfigError(f"desired_error must be a number >= 0; got {desired_error!r}.")
    out_name = fann_name(output_activation)
    if out_name in ("threshold", "threshold_symmetric", "gaussian_stepwise"):
        raise ConfigError(
            f"the output activation {out_name!r} cannot be trained; use linear or a sigmoid."
        )
    if not (math.isfinite(output_steepness) and output_steepness > 0):
        raise ConfigError(f"output_steepness must be a positive number; got {output_steepness!r}.")
    out_ours, out_s = to_neuronless(out_name, output_steepness)
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise ConfigError(f"dtype must be float32 or float64; got {dtype!r}.") from None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ConfigError(f"dtype must be float32 or float64; got {dt}.")
    Xa, T = _check_data(X, Y, dt)
    m, n_in = Xa.shape
    n_out = T.shape[1]
    rng = as_generator(seed)
    setup = _Setup(p, algo, error_function, p.train_stop_function, out_name,
                   get_activation(out_ours), float(output_steepness), out_s,
                   bool(fann_compatible), m)
    for name in ("cascade_num_candidate_groups", "cascade_max_cand_epochs"):
        if getattr(p, name) < 1:
            raise ConfigError(
                f"{name} must be at least 1 for cascade training to pick a candidate; got "
                f"{getattr(p, name)}."
            )
    if "threshold" in p.cascade_activation_functions:
        raise ConfigError(
            "cascade_activation_functions cannot hold 'threshold': FANN cannot train a "
            "THRESHOLD unit (FANN_E_CANT_TRAIN_ACTIVATION); remove it from the pool."
        )
    pool = _Pool.build(p)
    _use_compiled(backend, pool, 0)  # checks backend (and that "compiled" can run) up front

    n_cand_weights = pool.size * (n_in + max_neurons + 1 + n_out)
    with _blas_threads(threads, n_cand_weights):
        return _grow(Xa, T, max_neurons, float(desired_error), setup, pool, rng, callback,
                     verbose, out_ours, out_s, dt, backend)


def _use_compiled(backend: str, pool: _Pool, n_cols: int) -> bool:
    """Whether the candidates' epochs run compiled (``backend`` checked here)."""
    if backend not in BACKENDS:
        raise ConfigError(f"backend must be one of {list(BACKENDS)}; got {backend!r}.")
    if backend == "numpy":
        return False
    from .cascade_kernels import supported
    from .kernels import available

    reason = supported(pool.families)
    if backend == "compiled":
        if reason is None and not available():
            reason = "numba does not import here (pip install numba)"
        if reason is not None:
            raise ConfigError(f"backend='compiled' cannot train these candidates ({reason}). "
                              "Use backend='auto' or 'numpy' to train them with NumPy.")
        return True
    return reason is None and n_cols <= COMPILED_MAX_INPUTS and available()


def _blas_threads(threads: int | str | None, n_weights: int) -> AbstractContextManager[Any]:
    if threads is None or (threads == "auto" and n_weights >= SMALL_NET_PARAMS):
        return nullcontext()
    if threads == "auto":
        threads = 1
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ConfigError(f"threads must be a positive integer, 'auto' or None; got {threads!r}.")
    from threadpoolctl import threadpool_limits

    limiter: AbstractContextManager[Any] = threadpool_limits(limits=threads, user_api="blas")
    return limiter


def _grow(
    Xa: Array, T: Array, max_neurons: int, desired_error: float, setup: _Setup, pool: _Pool,
    rng: np.random.Generator, callback: CascadeCallback | None, verbose: bool, out_ours: str,
    out_s: float, dt: np.dtype[Any], backend: str = "numpy",
) -> tuple[Network, CascadeReport]:
    """The growth loop of :func:`cascade_train` (arguments checked)."""
    p = setup.params
    out_name = setup.out_name
    m, n_in = Xa.shape
    n_out = T.shape[1]
    start = time.perf_counter()
    net = Network.create([n_in, n_out], output=out_ours, steepness=out_s, shortcut=True,
                         init="uniform", seed=rng, dtype=dt)
    report = CascadeReport(n_in, n_out, float(desired_error))
    ran: set[str] = set()
    A = np.empty((m, n_in + 1), dtype=dt)  # inputs, hidden outputs, bias column last
    A[:, :n_in] = Xa
    A[:, -1] = 1.0

    def stage(desired: float) -> None:
        _, _, epochs = _train_outputs(net, A, T, setup, desired)
        # the error of the net as it now is (libfann reports the one measured before its
        # last update; the two differ unless the stage stopped on the desired error)
        mse, bit_fail = fann_errors(_outputs(net, A, setup), T, out_name, p.bit_fail_limit)
        report.mse.append(mse)
        report.bit_fail.append(bit_fail)
        report.output_epochs.append(epochs)
        report.seconds = time.perf_counter() - start
        if verbose:
            print(f"cascade: {len(report.units):3d} hidden units, MSE {mse:.6g}, bit fail "
                  f"{bit_fail}, {report.total_epochs} epochs", file=sys.stderr)

    for _ in range(max_neurons):
        stage(float(desired_error))
        if callback is not None and callback(net, report) is True:
            report.stopped_reason = "callback"
            break
        if setup.reached(report.mse[-1], report.bit_fail[-1], float(desired_error)):
            report.stopped_reason = "desired_error"
            break
        E = output_diff(_outputs(net, A, setup), T, out_name)
        compiled = _use_compiled(backend, pool, A.shape[1])
        ran.add("compiled" if compiled else "numpy")
        report.backend = ", ".join(sorted(ran))
        best, score, w_in, v_out, epochs = _train_candidates(
            A, E, pool, setup, rng, len(report.units), n_in, compiled
        )
        net = install_unit(net, w_in, v_out, pool.names[best],
                           float(pool.fann_steepness[best]), p.cascade_weight_multiplier)
        report.units.append(CascadeUnit(pool.names[best], float(pool.fann_steepness[best]),
                                        score, epochs))
        h = pool.activation(best).f((A @ w_in) * float(pool.steepness[best]))
        A = np.concatenate([A[:, :-1], h[:, None], A[:, -1:]], axis=1)
    stage(0.0)  # libfann always ends with an output training aimed at zero error
    report.seconds = time.perf_counter() - start
    return net, report


__all__ = [
    "CascadeReport",
    "CascadeUnit",
    "candidate_scores_and_grads",
    "cascade_train",
    "install_unit",
]
