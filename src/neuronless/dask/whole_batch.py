"""L-BFGS, conjugate gradient and FANN's batch algorithms on rows held by a Dask cluster.

Contract: :func:`fit_minimize` runs scipy's L-BFGS or CG (:func:`neuronless.minimize.
minimize_function`, the in-memory minimiser's own loop) on a :class:`DaskObjective` in
float64: every function evaluation of the line search is one pass over the partitions
(parameters out, summed cost and gradient back). :func:`fit_fann` runs FANN's batch
algorithms (batch, RPROP, Quickprop, SARPROP, :class:`neuronless.fann.FannTrainer`) the
same way: every worker computes FANN's slopes, squared errors and bit fails of its
partitions (:meth:`FannTrainer.slopes`), the driver adds them in partition order and takes
the algorithm's step (:meth:`FannTrainer.step`). Both end where the in-memory runs on the
same rows end, to rounding (only the order of the sums differs). FANN's incremental
algorithm updates after every pattern and does not run here.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import ConfigError, DataError, TrainingDivergedError
from ..fann.params import FannParams
from ..fann.train import FannHistory, FannTrainer
from ..losses import Loss
from ..minimize import MinimizeResult, minimize_function
from ..network import Network
from .objective import DaskObjective, _client, place, with_retries

Array = NDArray[Any]
#: FANN's algorithms that sum over every pattern before they step (they run on a cluster)
FANN_BATCH = ("batch", "rprop", "quickprop", "sarprop")


def fit_minimize(net: Network, X: Any, Y: Any, method: str = "lbfgs", *, maxiter: int = 100,
                 tol: float | None = None, loss: str | Loss | None = None, l2: float = 0.0,
                 client: Any = None, partitions: int | None = None) -> MinimizeResult:
    """Minimise the cost of rows held by a cluster over ``net.params`` with L-BFGS or CG, in
    float64, as :func:`neuronless.minimize.minimize` does in memory (same arguments, plus
    ``client`` and ``partitions`` of :class:`DaskObjective`). ``net`` gets the minimiser."""
    net64 = net.astype(np.float64)
    objective = DaskObjective(net64, X, Y, loss=loss, l2=l2, client=client,
                              partitions=partitions)
    objective.check_targets()
    theta = net64.params.copy()
    result = minimize_function(objective, theta, method, maxiter=maxiter, tol=tol, stacklevel=2)
    net.params[...] = theta
    return result


def _fann_sums(net: Network, fparams: FannParams, fann_compatible: bool, params: Array,
               X: Any, Y: Any) -> tuple[float, Array, int, int]:
    """On a worker: one partition's summed squared error (MSE times its entries), summed
    -slopes, bit fail and pattern count at ``params``."""
    X = np.asarray(X, dtype=net.dtype)
    Y = np.asarray(Y, dtype=net.dtype)
    if X.shape[0] == 0:
        return 0.0, np.zeros(net.params.size, dtype=net.dtype), 0, 0
    net.params[...] = params
    trainer = FannTrainer(net, fparams, fann_compatible=fann_compatible, backend="numpy")
    mse, bits = trainer.slopes(X, Y)
    return mse * Y.size, trainer.grads.copy(), bits, X.shape[0]


def fit_fann(net: Network, X: Any, Y: Any, params: FannParams | None = None, *,
             max_epochs: int = 100, desired_error: float = 0.0, fann_compatible: bool = True,
             client: Any = None, partitions: int | None = None,
             callback: Callable[[int, float, int], Any] | None = None) -> FannHistory:
    """Train ``net`` in place with FANN's batch algorithm ``params.training_algorithm`` on
    rows held by a cluster: :meth:`FannTrainer.train_on_data` epoch for epoch (stop at
    ``max_epochs`` or when the MSE, or with ``train_stop_function="bit"`` the bit fail,
    reaches ``desired_error``). ``callback(epoch, mse, bit_fail)`` runs after each epoch;
    returning True stops training."""
    cl = _client(client)
    fparams = FannParams() if params is None else params
    alg = fparams.training_algorithm
    if alg not in FANN_BATCH:
        raise ConfigError(f"FANN's {alg!r} algorithm updates after every pattern; on a "
                          f"cluster FANN trains with a batch algorithm: {', '.join(FANN_BATCH)}.")
    if isinstance(max_epochs, bool) or not isinstance(max_epochs, int) or max_epochs < 0:
        raise ConfigError(f"max_epochs must be an integer >= 0; got {max_epochs!r}.")
    if not (isinstance(desired_error, (int, float)) and math.isfinite(desired_error)
            and desired_error >= 0):
        raise ConfigError(f"desired_error must be a number >= 0; got {desired_error!r}.")
    trainer = FannTrainer(net, fparams, fann_compatible=fann_compatible, backend="numpy")
    xs, ys, rows = place(cl, net.n_inputs, X, Y, partitions)
    if rows == 0:
        raise DataError("the training data has no patterns; give at least one row.")
    n_out = net.n_outputs
    remote = {"net": cl.scatter(net, broadcast=True, hash=False)}

    def sums(fresh: bool) -> list[tuple[float, Array, int, int]]:
        if fresh:
            remote["net"] = cl.scatter(net, broadcast=True, hash=False)
        p = cl.scatter(net.params.copy(), hash=False)
        futures = [cl.submit(_fann_sums, remote["net"], fparams, fann_compatible, p, x, y,
                             pure=False) for x, y in zip(xs, ys, strict=True)]
        out: list[tuple[float, Array, int, int]] = cl.gather(futures)
        return out

    history = FannHistory()
    start = time.perf_counter()
    by_bits = fparams.train_stop_function == "bit"
    for epoch in range(1, max_epochs + 1):
        parts = with_retries(cl, sums)
        squares, bits = 0.0, 0
        grads = np.zeros(net.params.size, dtype=net.dtype)
        for sq, g, b, _ in parts:  # in partition order: the result does not depend on timing
            squares += sq
            grads += g
            bits += b
        mse = squares / (rows * n_out)
        if not math.isfinite(mse):
            raise TrainingDivergedError(
                f"FANN's MSE became {mse} in epoch {epoch}; the network keeps the weights of "
                "the epoch before. Scale the inputs or lower the learning rate.")
        trainer.step(grads, rows, mse)
        history.epoch.append(epoch)
        history.mse.append(mse)
        history.bit_fail.append(bits)
        history.time.append(time.perf_counter() - start)
        if callback is not None and callback(epoch, mse, bits) is True:
            history.stopped_reason = "callback"
            break
        if (bits <= int(desired_error)) if by_bits else (mse <= desired_error):
            history.stopped_reason = "desired_error"
            break
    return history


__all__ = ["FANN_BATCH", "fit_fann", "fit_minimize"]
