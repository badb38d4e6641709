"""FANN's training algorithms on a neuronless :class:`~neuronless.network.Network`.

Contract: :class:`FannTrainer` trains one network (layered or shortcut, per-neuron FANN
activations and steepness, sparse ``mask``) the way libfann 2.2 does (fann.md sections 3-6):
``train_epoch`` = ``fann_train_epoch`` (INCREMENTAL, BATCH, RPROP, QUICKPROP or SARPROP, as
``params.training_algorithm`` says; returns the MSE accumulated during the epoch), ``train``
= ``fann_train`` (one incremental step), ``test`` = ``fann_test_data`` (MSE, bit fail),
``train_on_data`` = ``fann_train_on_data`` (stop on MSE or bit fail, FANN's report lines or a
callback). Patterns are used in data order, as FANN does.

With ``fann_compatible=True`` (default) everything is FANN's: its forward pass with the
summation clamp (``sum`` clipped to ``+-150/s``; a network that has its own ``clamp``, as one
read from a ``.net`` file, uses that), its derivatives and their quirks
(:mod:`neuronless.fann.metrics`), its step rules (:mod:`neuronless.optimizers` in
``fann_compatible`` mode) with its parameters held in C floats, so given the same starting
weights the first epochs' weights equal libfann's to float rounding. With
``fann_compatible=False`` the same API runs the textbook method: exact derivatives of the
network as defined (its own clamp, if any), the published iRprop−, quickprop and SARPROP;
FANN's MSE, error functions and parameters stay. Either mode runs compiled (``backend``).

Known differences from libfann, by design: FANN's SARPROP draws a random term from the C
library's ``rand()`` (here a NumPy Generator; see :class:`~neuronless.optimizers.Sarprop`), and
FANN 2.2's INCREMENTAL update of *sparse* nets multiplies each delta by the wrong neurons'
values (``fann_update_weights`` indexes the network's first neurons instead of each
connection's source); neuronless uses the real sources. FANN shares one set of training
arrays between algorithms; here each algorithm keeps its own state.

Batch algorithms are vectorised over all patterns (one matrix product per layer and
direction, preallocated buffers); INCREMENTAL is inherently one pattern at a time. Gradients
are ``grads = -slope`` with FANN's summed slope ``sum over patterns of delta * input``.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np
from numpy.typing import NDArray

from ..errors import ConfigError, DataError, ShapeError
from ..kernels import available as compiled_available
from ..network import Network, views
from ..optimizers import IRpropMinus, Quickprop, Sarprop, State
from . import compiled
from .metrics import TANH_ERROR_CLIP, TANH_ERROR_LIMIT
from .params import SYMMETRIC, FannParams
from .passes import _acts, _Buffers, _c_float, _Layer, fann_names, fann_order

Array = NDArray[Any]

BACKENDS = ("auto", "numpy", "compiled")
#: backend="auto" compiles an epoch of at most this many connections x patterns: beyond it
#: NumPy's matrix products (which need not keep libfann's order of the sums) are faster
#: (benchmarks/fann_bench.py at 93d176a, column "(a) gain over numpy": 2.3-4.1x at 17,000-175,000
#: connections x patterns, 0.97x at 400,000 and 0.86-1.05x beyond; docs/performance.md)
COMPILED_MAX_WORK = 300_000


@dataclass
class FannHistory:
    """What :meth:`FannTrainer.train_on_data` did: per epoch the MSE and bit fail FANN's
    ``fann_train_epoch`` reports (accumulated during the epoch), and wall time."""

    epoch: list[int] = field(default_factory=list)
    mse: list[float] = field(default_factory=list)
    bit_fail: list[int] = field(default_factory=list)
    time: list[float] = field(default_factory=list)
    stopped_reason: str = "max_epochs"  # or "desired_error" or "callback"

    def __len__(self) -> int:
        return len(self.epoch)

    def __str__(self) -> str:
        if not self.epoch:
            return "FannHistory(no epochs)"
        return (f"FannHistory({len(self)} epochs, MSE {self.mse[-1]:.6g}, bit fail "
                f"{self.bit_fail[-1]}, stopped: {self.stopped_reason})")


class FannTrainer:
    """Train a :class:`Network` with FANN's algorithms (see the module docstring).

    Parameters
    ----------
    net : Network
        Trained in place. Every activation must be one of FANN's (``fann_compatible=True``;
        THRESHOLD cannot be trained).
    params : FannParams
        FANN's training parameters (libfann 2.2's defaults: RPROP, TANH error, ...).
    fann_compatible : bool
        FANN's derivatives, clamp and step rules (True) or the textbook ones (False).
    backend : "auto", "numpy" or "compiled"
        How :meth:`train_epoch` runs: "compiled" runs each epoch in one numba call
        (:mod:`neuronless.fann.compiled`: libfann's arithmetic order, many patterns side by
        side; in both modes), "numpy" in NumPy's vectorised passes, "auto" compiled when numba
        imports, the network is supported and an epoch is small (connections x patterns <=
        :data:`COMPILED_MAX_WORK`), where NumPy's per-call cost dominates. ``last_backend``
        says which ran the latest epoch; the optimizer state is shared, so the backends can
        take turns. In textbook mode the two agree to float rounding (the order of the sums
        differs), not bit for bit; the kernels also evaluate elu and softplus there (other
        activations of your own are trained by NumPy).

    The optimizer state (RPROP steps, previous slopes, quickprop steps, momentum, SARPROP's
    epoch counter) is created at the first epoch of an algorithm and kept, as FANN keeps its
    training arrays; :meth:`reset` clears it (FANN: a new network or ``fann_init_weights``).
    Change parameters by assigning a new ``FannParams`` to ``trainer.params``.

    >>> from neuronless.network import Network
    >>> net = Network.create([2, 3, 1], "tanh", "sigmoid", init="uniform", seed=0,
    ...                      dtype="float64")
    >>> X = np.array([[0., 0.], [0., 1.], [1., 0.], [1., 1.]]); Y = np.array([[0.], [1.], [1.], [0.]])
    >>> trainer = FannTrainer(net)
    >>> mse = trainer.train_epoch(X, Y)     # one fann_train_epoch with iRPROP-
    >>> round(mse, 4)
    0.2503
    """

    def __init__(self, net: Network, params: FannParams | None = None, *,
                 fann_compatible: bool = True, backend: str = "auto") -> None:
        if not isinstance(net, Network):
            raise ConfigError(f"FannTrainer needs a neuronless Network; got {type(net).__name__}.")
        if backend not in BACKENDS:
            raise ConfigError(f"backend must be one of {list(BACKENDS)}; got {backend!r}.")
        self.net = net
        self._kernel: Any = None
        self.params = FannParams() if params is None else params
        self.fann_compatible = bool(fann_compatible)
        layers_info = fann_names(net, strict=self.fann_compatible)
        for ly in net.layers:
            for act in _acts(ly, ly.n_out):
                if act.name == "threshold":
                    raise ConfigError(
                        "FANN cannot train threshold neurons (no derivative; libfann raises "
                        "FANN_E_CANT_TRAIN_ACTIVATION). Train with sigmoid or sigmoid_stepwise "
                        "and switch to threshold afterwards."
                    )
                if not act.elementwise:
                    raise ConfigError(
                        f"FANN's training needs elementwise activations; {act.name} is not. "
                        "Use FANN's functions (sigmoid, sigmoid_symmetric, linear, ...)."
                    )
        self.layers = [_Layer(net, k, names, fs, self.fann_compatible)
                       for k, (names, fs) in enumerate(layers_info)]
        out_names = layers_info[-1][0]
        sym = np.array([name in SYMMETRIC for name in out_names])
        self._halve: Any = net.dtype.type(0.5) if sym.all() else (None if not sym.any()
                                                  else np.where(sym, 0.5, 1.0).astype(net.dtype))
        self._bufs: dict[int, _Buffers] = {}
        self.grads = np.zeros_like(net.params)
        self._empty = np.empty(0, dtype=net.dtype)
        self.grad_views = views(self.grads, net.shapes)
        self._idx: NDArray[np.intp] | None = (None if net.mask is None
                                              else np.flatnonzero(net.mask).astype(np.intp))
        self._states: dict[str, State] = {}
        self._momentum: Array | None = None
        self._last_data: tuple[Any, Any] | None = None
        self._bit_fail = 0
        self._bits_from: _Buffers | None = None  # count lazily from this buffer's absdiff
        self.backend = backend
        self.last_backend = "numpy"
        self._compiled_reason = compiled.supported(self)
        self._connections = int(net.params.size if self._idx is None else self._idx.size)
        if backend == "compiled":
            reason = self._compiled_reason
            if reason is None and not compiled_available():
                reason = "numba does not import here"
            if reason is not None:
                raise ConfigError(
                    f"backend='compiled' cannot train this network ({reason}). Use "
                    "backend='auto' or 'numpy' to train it with NumPy."
                )

    # ------------------------------------------------------------------ public API
    @property
    def params(self) -> FannParams:
        """FANN's training parameters; assign a new :class:`FannParams` to change them (the
        optimizer state is kept, as FANN keeps its training arrays)."""
        return self._params

    @params.setter
    def params(self, value: FannParams) -> None:
        if not isinstance(value, FannParams):
            raise ConfigError(
                f"params must be a FannParams; got {type(value).__name__}. Build one with "
                "FannParams(training_algorithm='rprop', ...)."
            )
        value.validate()
        self._params = value
        self._kernel = None  # its constants are the parameters': rebuilt at the next epoch
        self._bit_limit = self.net.dtype.type(value.bit_fail_limit)
        self._one = self.net.dtype.type(1.0)
        self._opts: dict[str, Any] = {}  # step rules are rebuilt from the new parameters

    @property
    def last_bit_fail(self) -> int:
        """FANN's bit fail of the last epoch (``fann_get_bit_fail`` after ``train_epoch``)."""
        if self._bits_from is not None:
            b = self._bits_from
            np.greater_equal(b.absdiff, self._bit_limit, out=b.bits)
            self._bit_fail = int(np.count_nonzero(b.bits))
            self._bits_from = None
        return self._bit_fail

    def reset(self) -> None:
        """Forget the optimizer state (steps, previous slopes, momentum, epoch counters)."""
        self._states.clear()
        self._momentum = None

    def train_epoch(self, X: Any, Y: Any) -> float:
        """One ``fann_train_epoch`` with ``params.training_algorithm``; returns the MSE
        accumulated during the epoch (before a batch algorithm's weight update) and sets
        :attr:`last_bit_fail`. Arrays of the network's dtype are used as given (checked once
        while the same objects come back); others are converted at every call."""
        X, Y = self._data(X, Y)
        alg = self.params.training_algorithm
        if self._compiles(X.shape[0]):
            return self._compiled_epoch(X, Y, alg)
        self.last_backend = "numpy"
        with np.errstate(over="ignore", under="ignore"):  # C does not trap either
            if alg == "incremental":
                return self._incremental_epoch(X, Y)
            mse = self._slopes(X, Y)
            self._update(alg, X.shape[0], mse)
        return mse

    def train(self, x: Any, y: Any) -> None:
        """``fann_train``: one incremental backprop step (learning rate, momentum) on one
        pattern, whatever the training algorithm."""
        X, Y = self._data(np.atleast_2d(np.asarray(x)), np.atleast_2d(np.asarray(y)))
        if X.shape[0] != 1:
            raise ShapeError(f"train takes one pattern; got {X.shape[0]}. Use train_epoch.")
        with np.errstate(over="ignore", under="ignore"):
            self._incremental_epoch(X, Y)

    def gradient(self, X: Any, Y: Any) -> Array:
        """``-slope`` (a copy, layout of ``net.params``): FANN's summed slopes of one epoch on
        ``(X, Y)`` at the current weights, negated, with the configured error function; no
        update. For the LINEAR error function and ``fann_compatible=False`` this is the exact
        gradient of ``1/2 sum h (target - y)**2`` (``h`` = 1/2 for symmetric outputs, FANN's
        halved diff, else 1)."""
        X, Y = self._data(X, Y)
        with np.errstate(over="ignore", under="ignore"):
            self._slopes(X, Y)
        return self.grads.copy()

    def slopes(self, X: Any, Y: Any) -> tuple[float, int]:
        """A batch epoch's sums without its update: FANN's MSE and bit fail of ``(X, Y)`` at
        the current weights, with ``-slope`` (summed over the patterns) left in
        :attr:`grads`. For patterns split in parts, the parts' ``grads`` add up, their bit
        fails add up and their MSEs average weighted by pattern count; :meth:`step` then
        applies the update, as :meth:`train_epoch` does on all the patterns at once (the
        cluster's FANN training, :mod:`neuronless.dask.whole_batch`, works this way)."""
        X, Y = self._data(X, Y)
        with np.errstate(over="ignore", under="ignore"):
            mse = self._slopes(X, Y)
        return mse, self.last_bit_fail

    def step(self, grads: Any, n_patterns: int, mse: float) -> None:
        """The batch algorithm's update (``params.training_algorithm``: batch, rprop,
        quickprop or sarprop) from ``grads`` = ``-slope`` summed over ``n_patterns``
        patterns whose MSE was ``mse`` (see :meth:`slopes`)."""
        alg = self.params.training_algorithm
        if alg == "incremental":
            raise ConfigError("incremental training updates after every pattern; step() "
                              "applies a batch algorithm's update (batch, rprop, quickprop, "
                              "sarprop).")
        _check_count("n_patterns", n_patterns, minimum=1)
        g = np.asarray(grads)
        if g.shape != self.grads.shape:
            raise ShapeError(f"grads must have the network's {self.grads.size} parameters; "
                             f"got shape {g.shape}.")
        np.copyto(self.grads, g, casting="unsafe")
        with np.errstate(over="ignore", under="ignore"):
            self._update(alg, n_patterns, float(mse))

    def test(self, X: Any, Y: Any) -> tuple[float, int]:
        """``fann_test_data``: FANN's MSE and bit-fail count on ``(X, Y)``; no training."""
        X, Y = self._data(X, Y)
        with np.errstate(over="ignore", under="ignore"):
            b = self._forward(X)
            return self._output_error(b, Y, transform=False)

    def train_on_data(
        self,
        X: Any,
        Y: Any,
        max_epochs: int,
        desired_error: float,
        epochs_between_reports: int = 0,
        callback: Callable[[FannTrainer, int, float, int], Any] | None = None,
        *,
        file: TextIO | None = None,
    ) -> FannHistory:
        """``fann_train_on_data``: epochs until ``max_epochs`` or the desired error.

        Stops when the epoch's MSE <= ``desired_error`` (``train_stop_function="mse"``) or
        its bit fail <= ``int(desired_error)`` (``"bit"``). With ``epochs_between_reports``
        > 0, FANN's lines (``Epochs        1. Current error: 0.2500000000. Bit fail 4.``) go to
        ``file`` (stdout) at epoch 1, every ``epochs_between_reports``, the last epoch and when
        the goal is reached; with a ``callback`` instead, ``callback(trainer, epoch, mse,
        bit_fail)`` is called then, and returning ``-1`` or ``False`` stops training.
        """
        _check_count("max_epochs", max_epochs, minimum=0)
        _check_count("epochs_between_reports", epochs_between_reports, minimum=0)
        if not (isinstance(desired_error, (int, float)) and math.isfinite(desired_error)
                and desired_error >= 0):
            raise ConfigError(f"desired_error must be a number >= 0; got {desired_error!r}.")
        if callback is not None and not callable(callback):
            raise ConfigError(f"callback must be callable; got {callback!r}.")
        X, Y = self._data(X, Y)
        out = sys.stdout if file is None else file
        if epochs_between_reports and callback is None:
            print(f"Max epochs {max_epochs:8d}. Desired error: {desired_error:.10f}.", file=out)
        history = FannHistory()
        start = time.perf_counter()
        by_bits = self.params.train_stop_function == "bit"
        for epoch in range(1, max_epochs + 1):
            mse = self.train_epoch(X, Y)
            bits = self.last_bit_fail
            history.epoch.append(epoch)
            history.mse.append(mse)
            history.bit_fail.append(bits)
            history.time.append(time.perf_counter() - start)
            reached = bits <= int(desired_error) if by_bits else mse <= desired_error
            if epochs_between_reports and (epoch % epochs_between_reports == 0
                                           or epoch in (1, max_epochs) or reached):
                if callback is None:
                    print(f"Epochs     {epoch:8d}. Current error: {mse:.10f}. Bit fail {bits}.",
                          file=out)
                else:
                    answer = callback(self, epoch, mse, bits)
                    if answer is False or (not isinstance(answer, bool) and answer == -1):
                        history.stopped_reason = "callback"
                        break
            if reached:
                history.stopped_reason = "desired_error"
                break
        return history

    # ------------------------------------------------------------------ internals
    def _compiles(self, n_patterns: int) -> bool:
        """Whether the next epoch runs compiled (see ``backend``)."""
        if self.backend == "numpy" or self._compiled_reason is not None:
            return False
        if self.backend == "compiled":
            return True
        return self._connections * n_patterns <= COMPILED_MAX_WORK and compiled_available()

    def _compiled_epoch(self, X: Array, Y: Array, alg: str) -> float:
        if self._kernel is None:
            self._kernel = compiled.FannKernel(self)
        empty = self._empty
        if alg == "incremental":
            if self._momentum is None:
                self._momentum = np.zeros_like(self.net.params)
            st1, st2 = self._momentum, empty
        elif alg == "batch":
            st1 = st2 = empty
        else:
            _, state = self._optimizer(alg)
            if alg == "rprop":
                st1, st2 = state.arrays["steps"], state.arrays["prev_grads"]
            elif alg == "quickprop":
                st1, st2 = state.arrays["prev_step"], state.arrays["prev_slope"]
                state.t += 1
            else:
                st1 = st2 = empty
        mse, bits = self._kernel.epoch(X, Y, alg, st1, st2, self.grads)
        if alg == "rprop":
            state.t += 1
        elif alg == "sarprop":
            with np.errstate(over="ignore", under="ignore"):
                self._update(alg, X.shape[0], mse)
        self._bit_fail = bits
        self._bits_from = None
        self.last_backend = "compiled"
        return float(mse)

    def _data(self, X: Any, Y: Any) -> tuple[Array, Array]:
        last = self._last_data
        if last is not None and last[0] is X and last[1] is Y:
            return X, Y  # checked last time and used as given (no copy): skip the checks
        checked = self._check_data(X, Y)
        self._last_data = (X, Y) if checked[0] is X and checked[1] is Y else None
        return checked

    def _check_data(self, X: Any, Y: Any) -> tuple[Array, Array]:
        dt = self.net.dtype
        X = np.asarray(X)
        Y = np.asarray(Y)
        n_in, n_out = self.net.sizes[0], self.net.sizes[-1]
        if X.ndim != 2 or X.shape[1] != n_in:
            raise ShapeError(f"X must be (patterns, {n_in}) for this network; got {X.shape}.")
        if Y.ndim != 2 or Y.shape != (X.shape[0], n_out):
            raise ShapeError(
                f"Y must be (patterns, {n_out}) with one row per row of X ({X.shape[0]}); got "
                f"{Y.shape}."
            )
        if X.shape[0] == 0:
            raise DataError("the training data has no patterns; give at least one row.")
        X = np.ascontiguousarray(X, dtype=dt)
        Y = np.ascontiguousarray(Y, dtype=dt)
        if not (np.isfinite(X).all() and np.isfinite(Y).all()):
            raise DataError("X and Y must hold finite numbers (no NaN or inf).")
        return X, Y

    def _buffers(self, m: int) -> _Buffers:
        b = self._bufs.get(m)
        if b is None:
            if len(self._bufs) > 4:
                self._bufs.clear()
            b = self._bufs[m] = _Buffers(self.net, self.layers, m)
        return b

    def _forward(self, X: Array) -> _Buffers:
        b = self._buffers(X.shape[0])
        b.set_input(X)
        last = len(self.layers) - 1
        for k, (ly, W) in enumerate(zip(self.layers, self.net.weights, strict=True)):
            y = b.y[k]
            if b.fused[k]:
                np.dot(b.ins[k], W, out=y)
            else:
                np.dot(b.ins[k], W[:-1], out=y)
                y += W[-1]
            ly.activate(y, b.x[k])
            if k < last:
                if b.cat is not None:
                    np.copyto(b.cat_out[k], y)
                else:
                    np.copyto(b.ins[k + 1][:, :-1], y)
        return b

    def _output_error(self, b: _Buffers, Y: Array, transform: bool,
                      count_bits: bool = True) -> tuple[float, int]:
        """MSE and bit fail of the last forward pass; with ``transform``, ``b.delta[-1]`` gets
        ``-E(diff)`` (FANN's error function of ``diff = target - y``, negated, so that the
        deltas backpropagated from it give ``-slope`` directly)."""
        d = b.delta[-1]
        one = self._one
        np.subtract(b.y[-1], Y, out=d)  # -diff (exact negation of FANN's target - y)
        if self._halve is not None:
            d *= self._halve
        flat = d.reshape(-1)
        mse = float(np.dot(flat, flat)) / flat.size
        a = b.absdiff
        np.abs(d, out=a)
        bits = -1
        if count_bits:
            np.greater_equal(a, self._bit_limit, out=b.bits)
            bits = self._bit_fail = int(np.count_nonzero(b.bits))
            self._bits_from = None
        else:  # counted from b.absdiff if last_bit_fail is read before b is reused
            self._bits_from = b
        if transform and self.params.train_error_function == "tanh":
            # -ln((1 + diff) / (1 - diff)) = -ln((1 - d) / (1 + d)) with d = -diff, bit for bit
            big = None
            if a.max() > TANH_ERROR_LIMIT:
                big = a > TANH_ERROR_LIMIT
                sign = np.sign(d)
                np.copyto(d, 0.0, where=big)
            if d.dtype == np.float64:
                t = b.tmp
                np.add(d, one, out=t)
                np.subtract(one, d, out=d)
                d /= t
                np.log(d, out=d)
                np.negative(d, out=d)
            else:  # FANN's float build evaluates this in double (and it is ill-conditioned)
                d64 = d.astype(np.float64)
                t64 = d64 + 1.0
                np.subtract(1.0, d64, out=d64)
                d64 /= t64
                np.log(d64, out=d64)
                np.negative(d64, out=d)
            if big is not None:
                np.copyto(d, sign * TANH_ERROR_CLIP, where=big)
        return mse, bits

    def _slopes(self, X: Array, Y: Array) -> float:
        """Forward all patterns, backprop FANN's deltas, leave -slope in ``self.grads``;
        return the MSE (the bit fail is counted when :attr:`last_bit_fail` is read)."""
        b = self._forward(X)
        mse, _ = self._output_error(b, Y, transform=True, count_bits=False)
        self._backward(b)
        return mse

    def _backward(self, b: _Buffers, lr: float | None = None) -> None:
        """Deltas from ``b.delta[-1]`` (see :meth:`_output_error`); ``-slope`` into
        ``self.grads``.

        With ``lr`` (incremental) every delta is backpropagated first and then scaled by
        ``lr`` before its slope is taken, FANN's ``(delta * lr) * x``.
        """
        net = self.net
        L = len(self.layers)
        shortcut = net.shortcut
        if shortcut:
            b.gcat.fill(0.0)
        for k in range(L - 1, -1, -1):
            d = b.delta[k]
            if shortcut and k < L - 1:
                np.copyto(d, b.errs[k])
            self.layers[k].backward(d, b.y[k], b.x[k], b.scratch[k], b.bmask[k])
            if lr is None:
                self._slope(b, k)
            if k > 0:
                W_in = net.weights[k][:-1]
                if shortcut:
                    f = net.fan_ins[k]
                    np.dot(d, W_in.T, out=b.gtmp[k])
                    b.gcat[:, :f] += b.gtmp[k]
                else:
                    np.dot(d, W_in.T, out=b.delta[k - 1])
        if lr is not None:
            for k in range(L):
                b.delta[k] *= lr
                self._slope(b, k)

    def _slope(self, b: _Buffers, k: int) -> None:
        d, G = b.delta[k], self.grad_views[k]
        GT = b.slope_t[k]
        if GT is not None:  # big inputs: d.T @ input is the faster product, then transpose
            np.dot(d.T, b.ins[k], out=GT)
            np.copyto(G if b.fused[k] else G[:-1], GT.T)
            if not b.fused[k]:
                np.dot(b.ones, d, out=G[-1])
        elif b.fused[k]:
            np.dot(b.ins[k].T, d, out=G)
        else:
            np.dot(b.ins[k].T, d, out=G[:-1])
            np.dot(b.ones, d, out=G[-1])

    def _optimizer(self, alg: str) -> tuple[Any, State]:
        """The step rule for ``alg`` (from the current parameters) and its kept state."""
        opt: Any = self._opts.get(alg)
        p = self.params
        fc = self.fann_compatible
        if opt is None and alg == "rprop":
            opt = IRpropMinus(
                eta_plus=p.rprop_increase_factor, eta_minus=p.rprop_decrease_factor,
                step_init=p.rprop_delta_zero, step_min=p.rprop_delta_min,
                step_max=p.rprop_delta_max, fann_compatible=fc,
            )
        elif opt is None and alg == "quickprop":
            decay = -p.quickprop_decay
            if not fc and decay < 0:
                raise ConfigError(
                    f"quickprop_decay must be <= 0 for the textbook quickprop (a weight decay); "
                    f"got {p.quickprop_decay!r}."
                )
            opt = Quickprop(learning_rate=p.learning_rate, mu=p.quickprop_mu, decay=decay,
                            fann_compatible=fc)
        elif opt is None and alg == "sarprop":
            opt = Sarprop(
                eta_plus=p.rprop_increase_factor, eta_minus=p.rprop_decrease_factor,
                step_max=p.rprop_delta_max, weight_decay_shift=p.sarprop_weight_decay_shift,
                step_error_threshold_factor=p.sarprop_step_error_threshold_factor,
                step_error_shift=p.sarprop_step_error_shift,
                temperature=p.sarprop_temperature, fann_compatible=fc,
            )
        self._opts[alg] = opt
        state = self._states.get(alg)
        if state is None:
            n = self.net.params.size if self._idx is None else self._idx.size
            proto = np.zeros(n, dtype=self.net.dtype)
            if alg == "sarprop":
                order = fann_order(self.net)
                if self._idx is not None:
                    order = np.searchsorted(self._idx, order).astype(np.intp)
                state = opt.init(proto, order=order)
            else:
                state = opt.init(proto)
            self._states[alg] = state
        return opt, state

    def _update(self, alg: str, n_patterns: int, mse: float) -> None:
        params, grads, idx = self.net.params, self.grads, self._idx
        if alg == "batch":
            eps = float(np.float32(np.float32(self.params.learning_rate) / np.float32(n_patterns)))
            grads *= eps
            if idx is None:
                params -= grads
            else:
                params[idx] -= grads[idx]
            return
        opt, state = self._optimizer(alg)
        p = params if idx is None else params[idx]
        g = grads if idx is None else grads[idx]
        if alg == "quickprop":
            if self.fann_compatible:
                opt.step(p, g, state, patterns=n_patterns)
            else:
                opt.step(p, g, state, learning_rate=self.params.learning_rate / n_patterns)
        elif alg == "sarprop":
            opt.step(p, g, state, loss=mse)
        else:
            opt.step(p, g, state)
        if idx is not None:
            params[idx] = p

    def _incremental_epoch(self, X: Array, Y: Array) -> float:
        """FANN's incremental epoch: per pattern forward, backprop and weight update
        ``delta_w = (delta lr) x + momentum delta_w_prev``."""
        lr = _c_float(self.params.learning_rate)
        mom = _c_float(self.params.learning_momentum)
        if self._momentum is None:
            self._momentum = np.zeros_like(self.net.params)
        prev = self._momentum
        params, grads, idx = self.net.params, self.grads, self._idx
        total, bits = 0.0, 0
        for i in range(X.shape[0]):
            b = self._forward(X[i: i + 1])
            mse, nb = self._output_error(b, Y[i: i + 1], transform=True)
            total += mse
            bits += nb
            self._backward(b, lr)  # grads = -(delta lr) x
            if mom:
                prev *= mom
                prev -= grads
            else:
                np.negative(grads, out=prev)
            if idx is None:
                params += prev
            else:
                params[idx] += prev[idx]
        self._bits_from = None
        self._bit_fail = bits
        return float(total / X.shape[0])


def _check_count(name: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}; got {value!r}.")


__all__: Sequence[str] = ("FannHistory", "FannTrainer", "fann_names", "fann_order")
