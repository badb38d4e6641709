"""Training: epochs, mini-batches, schedules, validation, stopping and the history.

Contract: :func:`fit` runs an optimizer's step rule over mini-batches for a number of epochs
and returns a :class:`History`. :class:`Trainer` is the loop's engine (one step, one epoch),
public for custom loops and benchmarks. A step allocates nothing: each batch size gets one
:class:`~neuronless.backprop.Backprop` whose buffers are reused. A NaN or infinite loss
never passes silently: ``fit`` restores the last good weights and raises (or, with
``on_nan="restore"``, stops and says so in the history). The optimizer state starts fresh
in every ``fit`` unless the caller passes its own (``state=``), which ``fit`` then carries on:
training one batch per call (``partial_fit``) is a loop of ``fit(..., epochs=1, state=state)``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import dataclass
from typing import Any, ClassVar, TextIO

import numpy as np
from numpy.typing import NDArray

from . import fused
from .backprop import (
    Backprop,
    check_loss_setup,
    check_loss_targets,
    check_sample_weight,
    check_targets,
    resolve_loss,
)
from .classification import accuracy
from .errors import ConfigError, ModelFormatError, TrainingDivergedError
from .files.checkpoint import Checkpoint, read_checkpoint, write_checkpoint
from .history import History as History  # re-exported: neuronless.training.History
from .kernels import BLOCKED_FROM, CompiledEpoch, compiled_supported
from .kernels import available as compiled_available
from .losses import Loss
from .network import Network, Seed, as_generator, check_seed
from .optimizers import State, get_optimizer, hyperparameters

Array = NDArray[Any]
SMALL_NET_PARAMS = 50_000  # below this, threads="auto" runs BLAS on one thread (see docs/performance.md)
# backend="auto" compiles the epochs of a supported net when parameters x batch rows (the work
# of one step) is at most COMPILED_MAX_WORK and the batch at most COMPILED_MAX_BATCH rows:
# benchmarks/compiled_epoch.py --sweep (float32, Adam) measures the compiled epoch 7.9x ahead of
# NumPy's for XOR 2-4-1 (batch 4), 2.2x for 16-16-4 at batch 32, 1.4x and 1.7x for 64-16-10 at
# 32 and 64-32-10 at 16 (about 39,000 each), even (1.0-1.1x) for 64-32-10 at 32 (77,000) and
# behind beyond that (0.45-0.7x), and behind for 16-16-4 at batch 128 (0.8x), where NumPy's
# per-call cost is spread over many rows
COMPILED_MAX_WORK = 40_000
COMPILED_MAX_BATCH = 64
# batches of kernels.BLOCKED_FROM rows or more run with the rows side by side in SIMD lanes
# (kernels._epoch_blocked); "auto" compiles them up to COMPILED_MAX_WORK_BLOCKED parameters x
# batch rows (benchmarks/compiled_epoch.py --full-batch; docs/performance.md)
COMPILED_MAX_WORK_BLOCKED = 200_000
BACKENDS = ("auto", "numpy", "compiled")


@dataclass(frozen=True)
class EarlyStopping:
    """Stop when the monitored loss has not improved by ``min_delta`` for ``patience`` epochs.

    It monitors the validation loss when there is validation data, else the training loss.
    With ``restore_best`` the network ends with the weights of its best epoch.
    """

    patience: int = 10
    min_delta: float = 0.0
    restore_best: bool = True

    def __post_init__(self) -> None:
        if not (isinstance(self.patience, int) and self.patience >= 1):
            raise ConfigError(f"EarlyStopping.patience must be an integer >= 1; got {self.patience!r}.")
        if not (math.isfinite(self.min_delta) and self.min_delta >= 0):
            raise ConfigError(f"EarlyStopping.min_delta must be >= 0; got {self.min_delta!r}.")


Callback = Callable[[Network, History], Any]


class Trainer:
    """One network, loss and optimizer, ready to take steps and epochs.

    ``state`` resumes from a saved optimizer state. ``backend`` chooses how :meth:`epoch`
    runs: ``"numpy"`` (the reference), ``"compiled"`` (one numba call per epoch, see
    :mod:`neuronless.kernels`; a ConfigError names the reason if this network, loss and
    optimizer cannot take it) or ``"auto"``: compiled for a supported net when numba imports
    and parameters times batch rows is at most ``COMPILED_MAX_WORK`` (40,000) for batches of
    fewer than ``kernels.BLOCKED_FROM`` (32) rows, ``COMPILED_MAX_WORK_BLOCKED`` (200,000)
    for bigger ones, else NumPy. Both give the same parameters up to rounding (the order of
    the sums); ``last_backend`` says which one ran the latest epoch.

    >>> net = Network.create([2, 4, 1], seed=0)
    >>> trainer = Trainer(net, "binary_cross_entropy", "adam")
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    >>> Y = np.array([[0], [1], [1], [0]], dtype=np.float32)
    >>> before = trainer.epoch(X, Y)
    >>> after = trainer.epoch(X, Y)
    >>> after < before
    True
    """

    def __init__(
        self,
        net: Network,
        loss: str | Loss | None = None,
        optimizer: Any = "adam",
        *,
        batch_size: int | None = None,
        l2: float = 0.0,
        state: State | None = None,
        backend: str = "auto",
    ) -> None:
        self.net = net
        self.loss = resolve_loss(net, loss)
        self.optimizer = get_optimizer(optimizer)
        if batch_size is not None and not (isinstance(batch_size, (int, np.integer)) and batch_size >= 1):
            raise ConfigError(f"batch_size must be a positive integer or None (full batch); got {batch_size!r}.")
        self.batch_size = batch_size
        self.l2 = l2
        check_loss_setup(net, self.loss, l2)  # now, not at the first step
        self.state = state if state is not None else self.optimizer.init(net.params)
        self._backprops: dict[int, Backprop] = {}  # built at the first step of each size
        self._grads = np.zeros_like(net.params)
        if backend not in BACKENDS:
            raise ConfigError(f"backend must be one of {list(BACKENDS)}; got {backend!r}.")
        self.backend = backend
        self.last_backend = "numpy"
        reason = compiled_supported(net, self.loss, self.optimizer)
        # numba is imported (about half a second) only when an epoch may run compiled
        if backend == "compiled" and reason is None and not compiled_available():
            reason = "numba does not import here"
        if backend == "compiled" and reason is not None:
            raise ConfigError(
                f"backend='compiled' cannot train this network (--backend compiled on the command "
                f"line): {reason}. "
                "Use backend='auto' or 'numpy' (or leave --backend out) to train it with NumPy."
            )
        self._compiled_reason = reason
        self._compiled: CompiledEpoch | None = None  # built at the first compiled epoch

    def _backprop(self, batch: int) -> Backprop:
        bp = self._backprops.get(batch)
        if bp is None:
            bp = self._backprops[batch] = Backprop(self.net, batch, self.loss, self.l2,
                                                   grads=self._grads)
        return bp

    def step(self, X: Array, Y: Array, learning_rate: float | None = None,
             weights: Array | None = None) -> float:
        """One gradient step on the batch ``(X, Y)`` (2-D, the network's dtype); return its loss.

        ``weights`` weights the samples in the mean (see :meth:`Backprop.__call__`).

        The step is skipped when the loss is not finite. Like every NumPy call it follows the
        caller's ``np.errstate``; ``fit`` ignores floating-point flags and checks the loss and
        the weights instead (overflow and NaN show up there; underflow is harmless).
        """
        bp = self._backprop(X.shape[0])
        loss = bp(X, Y, weights)
        if math.isfinite(loss):
            self.optimizer.step(self.net.params, bp.grads, self.state,
                                learning_rate=learning_rate, loss=loss)
        return loss

    def epoch(self, X: Array, Y: Array, learning_rate: float | None = None,
              weights: Array | None = None, order: Array | None = None) -> float:
        """One pass over ``(X, Y)`` in order, in batches of ``batch_size``; return the mean loss.

        ``order`` (a permutation of the rows, int64) visits the rows in that order instead:
        the compiled epoch reads them through it, the NumPy one takes a reordered copy.

        With per-sample ``weights`` each batch's loss is a weighted mean and the epoch's loss
        their mean weighted by each batch's total weight.

        Floating-point flags follow the caller's ``np.errstate``, as in :meth:`step`.
        Returns NaN or inf as soon as a batch's loss is not finite (the step is then skipped).
        """
        n = X.shape[0]
        bs = n if self.batch_size is None else min(self.batch_size, n)
        if self.compiles(n, weights):
            if self._compiled is None:
                self._compiled = CompiledEpoch(self.net, self.loss, self.optimizer, self.l2)
            self.last_backend = "compiled"
            dt = self.net.dtype
            return self._compiled(np.ascontiguousarray(X, dtype=dt),
                                  np.ascontiguousarray(Y, dtype=dt), self.state, bs, learning_rate,
                                  order)
        self.last_backend = "numpy"
        if order is not None:
            X, Y = X[order], Y[order]
            weights = None if weights is None else weights[order]
        if bs == n:
            return self.step(X, Y, learning_rate, weights)
        total = 0.0
        for start in range(0, n, bs):
            stop = min(start + bs, n)
            w = None if weights is None else weights[start:stop]
            loss = self.step(X[start:stop], Y[start:stop], learning_rate, w)
            if not math.isfinite(loss):
                return loss
            total += loss * ((stop - start) if w is None else float(np.sum(w)))
        return float(total / (n if weights is None else float(np.sum(weights))))

    def compiles(self, n: int, weights: Array | None = None) -> bool:
        """Whether an epoch over ``n`` rows (with those ``weights``) runs compiled."""
        return self._use_compiled(n if self.batch_size is None else min(self.batch_size, n),
                                  weights)

    def _use_compiled(self, batch: int, weights: Array | None) -> bool:
        """Whether an epoch in batches of ``batch`` rows runs compiled (see ``backend``)."""
        if self.backend == "numpy" or self._compiled_reason is not None:
            return False
        if weights is not None:
            if self.backend == "compiled":
                raise ConfigError(
                    "backend='compiled' does not take sample weights; use backend='auto' or "
                    "'numpy' to train with them."
                )
            return False
        work = self.net.params.size * batch
        if self.backend == "auto" and not (
            work <= COMPILED_MAX_WORK_BLOCKED if batch >= BLOCKED_FROM
            else batch <= COMPILED_MAX_BATCH and work <= COMPILED_MAX_WORK
        ):
            return False
        if not compiled_available():
            self._compiled_reason = "numba does not import here"
            return False
        return True


def _check_finite(name: str, A: Array) -> None:
    if not np.isfinite(A).all():
        bad = np.argwhere(~np.isfinite(A))[0]
        raise ConfigError(
            f"{name} must hold finite numbers; row {int(bad[0])} has NaN or infinity. Remove or "
            "fill the missing values before training."
        )


class _Blas:
    """threadpoolctl's view of the loaded BLAS libraries, built once per process.

    Building it walks every shared library the process has loaded (about 1.5 ms, ten times
    a small network's epoch), so it is kept; it is built again when modules were imported
    since, because a new BLAS arrives with the extension module that links it.
    """

    controller: ClassVar[Any] = None
    libraries: ClassVar[list[Any]] = []  # its BLAS libraries' controllers
    n_modules: ClassVar[int] = -1  # len(sys.modules) when it was built

    @classmethod
    def get(cls) -> Any:
        if len(sys.modules) != cls.n_modules:
            from threadpoolctl import ThreadpoolController

            cls.controller = ThreadpoolController()
            cls.libraries = cls.controller.select(user_api="blas").lib_controllers
            cls.n_modules = len(sys.modules)
        return cls.controller


def _thread_limit(threads: int | str | None, net: Network) -> AbstractContextManager[Any]:
    """BLAS's threads (and the fused updates', :func:`neuronless.fused.limit`) for a fit."""
    if threads is None:
        return nullcontext()
    if threads == "auto":
        if net.params.size >= SMALL_NET_PARAMS:
            return nullcontext()
        threads = 1
    if not (isinstance(threads, int) and threads >= 1):
        raise ConfigError(f"threads must be a positive integer, 'auto' or None; got {threads!r}.")
    controller = _Blas.get()
    current = [lib.num_threads for lib in _Blas.libraries]  # None: the library cannot tell
    if all(n is not None and n <= threads for n in current):
        return fused.limit(threads)  # BLAS already that few (a caller's own limit)
    stack = ExitStack()
    stack.enter_context(controller.limit(limits=threads, user_api="blas"))
    stack.enter_context(fused.limit(threads))
    return stack


def fit(
    net: Network,
    X: Any,
    Y: Any,
    loss: str | Loss | None = None,
    optimizer: Any = "adam",
    epochs: int = 100,
    batch_size: int | None = None,
    *,
    shuffle: bool = True,
    seed: Seed = None,
    l2: float = 0.0,
    schedule: Callable[[int], float] | None = None,
    validation: tuple[Any, Any] | None = None,
    validation_fraction: float | None = None,
    early_stopping: EarlyStopping | None = None,
    target_loss: float | None = None,
    callbacks: Sequence[Callback] = (),
    progress: bool | int | TextIO = False,
    on_nan: str = "raise",
    threads: int | str | None = "auto",
    checkpoint: str | os.PathLike[str] | None = None,
    checkpoint_every: int = 10,
    resume: str | os.PathLike[str] | None = None,
    state: State | None = None,
    sample_weight: Any = None,
    backend: str = "auto",
) -> History:
    """Train ``net`` in place on ``(X, Y)`` and return the per-epoch :class:`History`.

    Parameters
    ----------
    net : Network
    X : array (m, n_in)
    Y : array (m, n_out)
        Targets: one-hot rows for ``cross_entropy`` (see :func:`neuronless.one_hot`), values in
        [0, 1] for ``binary_cross_entropy``.
    loss : "mse", "binary_cross_entropy", "cross_entropy" or None
        None picks the output activation's natural cost (softmax -> cross-entropy, sigmoid ->
        binary cross-entropy, otherwise MSE). Summed over outputs, averaged over samples.
    optimizer : optimizer object or name ("adam", "sgd", "momentum", "irprop-", ...)
    epochs : int
    batch_size : int or None
        None trains on the full batch (one step per epoch).
    shuffle : bool
        Reshuffle the training rows before every epoch (mini-batch training only).
    seed : int or Generator
        For shuffling and the validation split; the same seed gives bit-identical training.
    l2 : float
        Adds ``l2/(2m) * sum(w**2)`` over non-bias weights.
    schedule : callable epoch -> learning rate, optional (see ``neuronless.schedules``)
    validation : (X_val, Y_val), optional
    validation_fraction : float, optional
        Hold out this fraction of (shuffled) rows for validation instead.
    early_stopping : EarlyStopping, optional
    target_loss : float, optional
        Stop once the training loss is at or below this.
    callbacks : callables ``f(net, history)``, run after every epoch; one returning True stops training.
    progress : bool, int or file
        Print a line every epoch (int: every that many epochs; True: about 10 lines in all) to
        stderr (or the given file).
    on_nan : "raise" or "restore"
        On a NaN or infinite loss, restore the last good weights, then raise
        :class:`TrainingDivergedError` ("raise") or stop ("restore").
    threads : int, "auto" or None
        BLAS threads while training. "auto" uses one thread for small networks (fewer than
        50,000 parameters), where a second thread only costs; None leaves BLAS alone.
    checkpoint : path, optional
        Save a checkpoint there (atomically) every ``checkpoint_every`` epochs and at the end:
        weights, optimizer state, shuffling generator, epoch count, history, early-stopping
        bookkeeping and the fit arguments a resume must match.
    checkpoint_every : int
    resume : path, optional
        Continue from this checkpoint up to ``epochs`` epochs in all, with the history so
        far. Pass the same data, seed and arguments: the run then ends bit-identical to an
        uninterrupted one. A checkpoint of another architecture, loss, optimizer, batch
        size, l2 or shuffle setting raises :class:`ConfigError`.
    state : optimizer state, optional
        Continue the optimizer from this state (``optimizer.init(net.params)``, or the
        ``state`` of an earlier :class:`Trainer`) instead of a fresh one; ``fit`` updates it
        in place, so passing the same object to every call of ``fit`` continues Adam's moments
        and step count, Rprop's step sizes and so on across calls: a loop of
        ``fit(net, X_batch, Y_batch, optimizer=opt, epochs=1, state=state)`` is
        ``partial_fit``; on the same data and without shuffling, ``k`` calls of one epoch
        end bit-identical to one ``fit`` of ``k`` epochs. The schedule and the history count each call's epochs from 0
        (shuffling, too, starts again from ``seed``). After a divergence the
        weights are restored but ``state`` keeps the steps taken; start again from a fresh one.
        Not with ``resume``, which restores the checkpoint's state.
    sample_weight : array (m,), optional
        Non-negative weights of the training samples in the mean over samples (and in the
        L2 term's ``m``): weights of 0 and 2 train as if the row were left out or given
        twice (on the whole batch exactly; with shuffled mini-batches in expectation). The
        rows' weights follow them through shuffling and ``validation_fraction``; the
        validation loss is unweighted.
    backend : "auto", "numpy" or "compiled"
        How each epoch runs (see :class:`Trainer`); the history's ``backend`` says which
        one ran the last epoch.

    Examples
    --------
    Training one batch per call, carrying the optimizer state:

    >>> from neuronless import Adam
    >>> net = Network.create([2, 4, 1], seed=0)
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    >>> Y = np.array([[0], [1], [1], [0]], dtype=np.float32)
    >>> opt = Adam(learning_rate=0.05)
    >>> state = opt.init(net.params)
    >>> for _ in range(3):
    ...     history = fit(net, X, Y, optimizer=opt, epochs=1, state=state)
    >>> state.t  # three Adam steps, one per call
    3
    """
    X2, Y2 = check_targets(net, X, Y)
    W2 = check_sample_weight(sample_weight, X2.shape[0], net.dtype)
    if not (isinstance(epochs, (int, np.integer)) and epochs >= 0):
        raise ConfigError(f"epochs must be a non-negative integer; got {epochs!r}.")
    if not (isinstance(checkpoint_every, (int, np.integer)) and checkpoint_every >= 1):
        raise ConfigError(f"checkpoint_every must be a positive integer; got {checkpoint_every!r}.")
    if state is not None and resume is not None:
        raise ConfigError(
            "pass either state= or resume=, not both: resume continues from the checkpoint's "
            "optimizer state."
        )
    saved = read_checkpoint(resume) if resume is not None else None
    trainer = Trainer(net, loss, optimizer, batch_size=batch_size, l2=l2,
                      state=saved.state if saved is not None else state, backend=backend)
    if state is not None:
        wrong = _state_mismatch(state, trainer.optimizer, net)
        if wrong is not None:
            raise ConfigError(
                f"state does not fit {type(trainer.optimizer).__name__} on this network: {wrong}. "
                "Pass the state of the same optimizer on the same network "
                "(optimizer.init(net.params)), or None for a fresh one."
            )
    # only a checkpoint needs the fit arguments (to write them or to compare them)
    fit_args = _fit_args(trainer, l2, shuffle) if checkpoint is not None or saved is not None else {}
    if saved is not None:
        _check_resume(saved, net, trainer, fit_args, os.fspath(resume or ""), epochs)
    if on_nan not in ("raise", "restore"):
        raise ConfigError(f"on_nan must be 'raise' or 'restore'; got {on_nan!r}.")
    if X2.shape[0] == 0:
        raise ConfigError("X has no rows; training needs at least one sample.")
    _check_finite("X", X2)
    _check_finite("Y", Y2)
    check_loss_targets(trainer.loss, Y2, "Y")
    check_seed(seed)
    # the generator only when something draws from it or saves it: building one from an
    # int or None costs more than a small network's epoch
    needs_rng = (validation_fraction is not None or checkpoint is not None or saved is not None
                 or (shuffle and batch_size is not None and batch_size < X2.shape[0]))
    rng = as_generator(seed) if needs_rng else None
    if validation is not None and validation_fraction is not None:
        raise ConfigError("pass either validation=(X_val, Y_val) or validation_fraction, not both.")
    Xv: Array | None = None
    Yv: Array | None = None
    if validation is not None:
        try:
            Xv_in, Yv_in = validation
        except (TypeError, ValueError):
            raise ConfigError("validation must be a pair (X_val, Y_val).") from None
        Xv, Yv = check_targets(net, Xv_in, Yv_in)
        _check_finite("X_val", Xv)
        _check_finite("Y_val", Yv)
        check_loss_targets(trainer.loss, Yv, "Y_val")
    elif validation_fraction is not None:
        if not 0.0 < validation_fraction < 1.0:
            raise ConfigError(f"validation_fraction must be in (0, 1); got {validation_fraction!r}.")
        n_val = round(validation_fraction * X2.shape[0])
        if n_val < 1 or n_val >= X2.shape[0]:
            raise ConfigError(
                f"validation_fraction={validation_fraction} leaves {n_val} of {X2.shape[0]} rows "
                "for validation; it must leave at least one row on each side."
            )
        assert rng is not None
        perm = rng.permutation(X2.shape[0])
        Xv, Yv = X2[perm[:n_val]], Y2[perm[:n_val]]
        X2, Y2 = np.ascontiguousarray(X2[perm[n_val:]]), np.ascontiguousarray(Y2[perm[n_val:]])
        if W2 is not None:
            W2 = check_sample_weight(W2[perm[n_val:]], X2.shape[0], net.dtype)
    classify = trainer.loss.partner is not None

    history = History()
    best_params: Array | None = None
    best, since_best = math.inf, 0
    done, finished = 0, False
    if saved is not None:
        assert rng is not None
        net.params[...] = saved.net.params
        _restore_rng(rng, saved.rng_state)
        history = History(**saved.history)
        best, since_best, best_params = saved.best, saved.since_best, saved.best_params
        done, finished = saved.epochs_done, saved.finished
    n = X2.shape[0]
    minibatch = batch_size is not None and batch_size < n
    Xs, Ys = (np.empty_like(X2), np.empty_like(Y2)) if (shuffle and minibatch) else (X2, Y2)
    Ws = W2 if (W2 is None or not (shuffle and minibatch)) else np.empty_like(W2)
    last_good = net.params.copy()
    every = _progress_every(progress, epochs)
    stream = progress if hasattr(progress, "write") else sys.stderr
    start = time.perf_counter() - (history.time[-1] if history.time else 0.0)
    saved_at = -1

    def save_checkpoint() -> None:
        assert checkpoint is not None
        assert rng is not None
        write_checkpoint(checkpoint, Checkpoint(
            net=net, epochs_done=done, fit_args=fit_args, state=trainer.state,
            rng_state=dict(rng.bit_generator.state), history=dataclasses.asdict(history),
            finished=finished, best=best, since_best=since_best, best_params=best_params,
        ))

    # floating-point flags are not errors here: overflow and NaN are caught from the loss and
    # the weights after every epoch, and underflow to zero is the right answer
    with _thread_limit(threads, net), np.errstate(all="ignore"):
        for epoch in range(done, epochs if not finished else done):
            lr = schedule(epoch) if schedule is not None else None
            if shuffle and minibatch:
                assert rng is not None
                perm = rng.permutation(n)
                if trainer.compiles(n, W2):  # the kernel reads the rows through perm
                    train_loss = trainer.epoch(X2, Y2, lr, None, order=perm)
                else:
                    np.take(X2, perm, axis=0, out=Xs)
                    np.take(Y2, perm, axis=0, out=Ys)
                    if W2 is not None:
                        np.take(W2, perm, out=Ws)
                    train_loss = trainer.epoch(Xs, Ys, lr, Ws)
            else:
                train_loss = trainer.epoch(Xs, Ys, lr, Ws)
            history.backend = trainer.last_backend
            diverged = None
            if not math.isfinite(train_loss):
                diverged = f"the training loss became {train_loss}"
            elif not np.isfinite(net.params).all():  # the epoch's last step overflowed
                diverged = "the weights became non-finite"
            if diverged is not None:
                net.params[...] = last_good
                history.stopped_reason = f"non-finite loss in epoch {epoch}"
                if on_nan == "restore":
                    finished = True
                    break
                restored = f"the end of epoch {epoch - 1}" if epoch else "their initial values"
                raise TrainingDivergedError(
                    f"{diverged} in epoch {epoch}; the weights were "
                    f"restored to {restored}. Likely cause: the learning rate "
                    f"is too high for this optimizer ({_describe(trainer.optimizer, lr)}) or the "
                    "inputs are not scaled. Lower the learning rate or standardise X, or pass "
                    "on_nan='restore' to stop instead of raising."
                )
            np.copyto(last_good, net.params)
            done = epoch + 1
            history.epoch.append(epoch)
            history.train_loss.append(train_loss)
            history.learning_rate.append(lr if lr is not None else float(trainer.optimizer.learning_rate))
            monitored = train_loss
            if Xv is not None and Yv is not None:
                out = net.forward(Xv)
                val_loss = trainer.loss.value(out, Yv)
                history.val_loss.append(val_loss)
                if classify:
                    history.val_metrics.setdefault("accuracy", []).append(accuracy(Yv, out))
                monitored = val_loss
            history.time.append(time.perf_counter() - start)
            if every and (epoch % every == 0 or epoch == epochs - 1):
                print(_progress_line(history, epochs), file=stream)
            if early_stopping is not None:
                if monitored < best - early_stopping.min_delta:
                    best, since_best = monitored, 0
                    history.best_epoch = epoch
                    if early_stopping.restore_best:
                        best_params = net.params.copy()
                else:
                    since_best += 1
                    if since_best >= early_stopping.patience:
                        history.stopped_reason = (
                            f"early stopping: no improvement for {early_stopping.patience} epochs"
                        )
                        finished = True
                        break
            if target_loss is not None and train_loss <= target_loss:
                history.stopped_reason = f"target loss {target_loss} reached"
                finished = True
                break
            if any(cb(net, history) is True for cb in callbacks):
                history.stopped_reason = f"stopped by a callback after epoch {epoch}"
                break
            if checkpoint is not None and done % checkpoint_every == 0:
                save_checkpoint()
                saved_at = done
        if checkpoint is not None and (saved_at != done or finished):
            save_checkpoint()
    if best_params is not None:
        net.params[...] = best_params
    return history


def _fit_args(trainer: Trainer, l2: float, shuffle: bool) -> dict[str, Any]:
    """The arguments a resumed fit must share with its checkpoint, JSON-safe."""
    opt = trainer.optimizer
    hyper = hyperparameters(opt) if dataclasses.is_dataclass(opt) else {}
    args = {
        "loss": trainer.loss.name,
        "optimizer": type(opt).__name__,
        "hyperparameters": hyper,
        "batch_size": None if trainer.batch_size is None else int(trainer.batch_size),
        "l2": float(l2),
        "shuffle": bool(shuffle),
    }
    out: dict[str, Any] = json.loads(json.dumps(args, default=repr))  # compares like a loaded one
    return out


def _architecture(net: Network) -> dict[str, Any]:
    return {
        "sizes": list(net.sizes),
        "activations": [
            [a.name for a in (spec if isinstance(spec, tuple) else (spec,))] for spec in net.activations
        ],
        "steepness": [np.asarray(s, dtype=np.float64).tolist() for s in net.steepness],
        "shortcut": net.shortcut,
        "dtype": net.dtype.name,
        "sparse": net.mask is not None,
    }


def _check_resume(saved: Checkpoint, net: Network, trainer: Trainer, fit_args: dict[str, Any],
                  path: str, epochs: int) -> None:
    """Raise ConfigError unless ``saved`` can continue this fit (ModelFormatError if damaged)."""
    def mismatch(what: str, then: Any, now: Any) -> None:
        if then != now:
            raise ConfigError(
                f"cannot resume from {path}: it was saved with {what} {then!r}; this fit has "
                f"{now!r}. Resume with the same network, loss, optimizer, batch_size, l2 and "
                "shuffle, or start a new run without resume=."
            )

    then_arch, now_arch = _architecture(saved.net), _architecture(net)
    for key in then_arch:
        mismatch(f"network {key}", then_arch[key], now_arch[key])
    if net.mask is not None and saved.net.mask is not None:
        mismatch("network mask (connections)", saved.net.mask.tobytes(), net.mask.tobytes())
    for key in ("loss", "optimizer", "hyperparameters", "batch_size", "l2", "shuffle"):
        mismatch(f"optimizer {key}" if key == "hyperparameters" else key, saved.fit_args[key], fit_args[key])
    if epochs < saved.epochs_done:
        raise ConfigError(
            f"epochs must be at least {saved.epochs_done}, the epochs already in {path} "
            f"(epochs counts them too: it is the total); got {epochs}."
        )
    wrong = _state_mismatch(saved.state, trainer.optimizer, net)
    if wrong is not None:
        raise ModelFormatError(
            f"{path}: the optimizer state does not fit {fit_args['optimizer']} on this network "
            f"({wrong}). The checkpoint is damaged; start training again without resume."
        )


def _state_mismatch(state: State, optimizer: Any, net: Network) -> str | None:
    """Why ``state`` cannot be ``optimizer``'s state on ``net`` (None if it can): its arrays
    and scalars must be the ones ``optimizer.init(net.params)`` makes."""
    fresh = optimizer.init(net.params)
    layout = {k: (a.shape, a.dtype) for k, a in fresh.arrays.items()}
    if not isinstance(state, State) or {
        k: (a.shape, a.dtype) for k, a in state.arrays.items()
    } != layout or set(state.scalars) != set(fresh.scalars):
        return f"expected arrays {sorted(layout)} and scalars {sorted(fresh.scalars)}"
    return None


def _restore_rng(rng: np.random.Generator, state: dict[str, Any]) -> None:
    try:
        rng.bit_generator.state = state
    except (TypeError, ValueError, KeyError) as e:
        raise ConfigError(
            f"the checkpoint's shuffling generator ({state.get('bit_generator')}) does not fit "
            f"seed's generator ({type(rng.bit_generator).__name__}): {e}. Pass seed as an int, "
            "as in the run that wrote the checkpoint."
        ) from None


def _describe(optimizer: Any, lr: float | None) -> str:
    rate = lr if lr is not None else getattr(optimizer, "learning_rate", None)
    return f"{type(optimizer).__name__}, learning rate {rate}"


def _progress_every(progress: bool | int | TextIO, epochs: int) -> int:
    if progress is True or hasattr(progress, "write"):
        return max(1, epochs // 10)
    if progress is False or progress is None:
        return 0
    if isinstance(progress, int) and progress >= 1:
        return progress
    raise ConfigError(f"progress must be a bool, a positive int or a file; got {progress!r}.")


def _progress_line(history: History, epochs: int) -> str:
    last = history.last()
    parts = [f"epoch {int(last['epoch']) + 1}/{epochs}", f"loss {last['train_loss']:.6g}"]
    if "val_loss" in last:
        parts.append(f"val_loss {last['val_loss']:.6g}")
    if "val_accuracy" in last:
        parts.append(f"val_accuracy {last['val_accuracy']:.4f}")
    parts.append(f"{history.time[-1]:.2f} s")
    return "  ".join(parts)
