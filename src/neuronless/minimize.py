"""Whole-batch minimisers from ``scipy.optimize``: L-BFGS and Polak-Ribière conjugate gradient.

Contract: ``minimize(net, X, Y, method, ...)`` hands scipy one function of the flat parameter
vector that returns ``(loss, grads)`` (``jac=True``), runs it in float64 (line searches need
the precision) and writes the result back into ``net.params``. ``"cg"`` is scipy's nonlinear
conjugate gradient, the Polak-Ribière method that the Stanford course's ``fmincg`` uses too.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import scipy.optimize
from numpy.typing import NDArray

from .backprop import Backprop, check_loss_targets, check_sample_weight, check_targets, resolve_loss
from .errors import ConfigError, ConvergenceWarning, TrainingDivergedError
from .losses import Loss
from .network import Network

Array = NDArray[Any]
METHODS = {"lbfgs": "L-BFGS-B", "l-bfgs": "L-BFGS-B", "cg": "CG"}


@dataclass
class MinimizeResult:
    """What a whole-batch minimisation did: the loss after each iteration and why it stopped."""

    method: str
    loss: float
    iterations: int
    evaluations: int
    success: bool
    message: str
    loss_history: list[float] = field(default_factory=list)
    seconds: float = 0.0


def minimize(
    net: Network,
    X: Any,
    Y: Any,
    method: str = "lbfgs",
    *,
    loss: str | Loss | None = None,
    l2: float = 0.0,
    maxiter: int = 100,
    tol: float | None = None,
    sample_weight: Any = None,
) -> MinimizeResult:
    """Minimise the cost of ``(X, Y)`` over ``net.params`` with L-BFGS or conjugate gradient.

    Parameters
    ----------
    method : "lbfgs" or "cg"
    loss : cost name; defaults to the output activation's natural cost
    l2 : L2 penalty ``l2/(2m) * sum(w**2)`` over non-bias weights
    maxiter : iteration limit (the course's ``MaxIter``)
    tol : scipy's tolerance (``gtol`` for CG, ``ftol``/``gtol`` for L-BFGS); None for scipy's default
    sample_weight : non-negative weights of the samples in the mean (see
        :func:`neuronless.backprop.loss_and_grads`)

    A run that stops at ``maxiter`` issues a :class:`ConvergenceWarning`; the result's
    ``loss_history`` has the cost after every iteration.
    """
    if method.lower() not in METHODS:
        raise ConfigError(f"method must be 'lbfgs' or 'cg'; got {method!r}.")
    if not (isinstance(maxiter, int) and maxiter >= 1):
        raise ConfigError(f"maxiter must be a positive integer; got {maxiter!r}.")
    loss_obj = resolve_loss(net, loss)
    net64 = net.astype(np.float64)
    X64, Y64 = check_targets(net64, X, Y)
    check_loss_targets(loss_obj, Y64)
    bp = Backprop(net64, X64.shape[0], loss_obj, l2)
    W64 = check_sample_weight(sample_weight, X64.shape[0], np.float64)

    def cost(theta: Array) -> tuple[float, Array]:
        net64.params[...] = theta
        with np.errstate(over="ignore", under="ignore"):  # see Loss.forward_delta_
            value = bp(X64, Y64, W64)
        return value, bp.grads.copy()

    theta = net64.params.copy()
    result = minimize_function(cost, theta, method, maxiter=maxiter, tol=tol, stacklevel=3)
    net.params[...] = theta
    return result


def minimize_function(cost: Callable[[Array], tuple[float, Array]], x0: Array,
                      method: str = "lbfgs", *, maxiter: int = 100, tol: float | None = None,
                      stacklevel: int = 2) -> MinimizeResult:
    """Minimise ``cost(theta) -> (loss, grads)`` (float64) from ``x0`` with L-BFGS or CG;
    ``x0`` is overwritten with the minimiser. :func:`minimize` gives it the cost of arrays in
    memory; :mod:`neuronless.dask.whole_batch` the cost of rows held by a cluster.

    ``loss_history`` has the cost at every accepted iterate: the value of the line search's
    last evaluation when that is the accepted point (the usual case), else one more call."""
    if method.lower() not in METHODS:
        raise ConfigError(f"method must be 'lbfgs' or 'cg'; got {method!r}.")
    if not (isinstance(maxiter, int) and maxiter >= 1):
        raise ConfigError(f"maxiter must be a positive integer; got {maxiter!r}.")
    evaluations = 0
    last: tuple[Array, float] | None = None

    def fun(theta: Array) -> tuple[float, Array]:
        nonlocal evaluations, last
        evaluations += 1
        value, grads = cost(theta)
        if not math.isfinite(value):
            raise TrainingDivergedError(
                f"the loss became {value} during {method} minimisation (evaluation "
                f"{evaluations}); the network was left unchanged. Scale the inputs or add l2."
            )
        last = (theta.copy(), value)
        return value, np.asarray(grads, dtype=np.float64)

    history: list[float] = []

    def callback(theta: Array) -> None:
        if last is not None and np.array_equal(last[0], theta):
            history.append(last[1])
        else:
            history.append(cost(theta)[0])

    start = time.perf_counter()
    res = cast(Any, scipy.optimize.minimize)(
        fun, np.array(x0, dtype=np.float64), jac=True, method=METHODS[method.lower()],
        tol=tol, callback=callback, options={"maxiter": maxiter},
    )
    x0[...] = res.x
    final = float(res.fun)
    if not res.success and int(res.nit) >= maxiter:
        warnings.warn(
            f"{method} stopped after maxiter={maxiter} iterations (loss {final:.6g}); raise "
            "maxiter to go further.", ConvergenceWarning, stacklevel=stacklevel,
        )
    return MinimizeResult(
        method=method.lower(), loss=final, iterations=int(res.nit), evaluations=evaluations,
        success=bool(res.success), message=str(res.message), loss_history=history,
        seconds=time.perf_counter() - start,
    )
