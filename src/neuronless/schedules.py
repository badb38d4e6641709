"""Learning-rate schedules: plain functions ``epoch -> learning rate`` (epochs count from 0).

Each maker checks its arguments once and returns a small closure; ``fit(schedule=...)`` calls
it at the start of every epoch and passes the rate to the optimizer's ``step``.

>>> sched = step_decay(0.1, drop=0.5, every=10)
>>> [sched(e) for e in (0, 9, 10, 25)]
[0.1, 0.1, 0.05, 0.025]
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .errors import ConfigError

Schedule = Callable[[int], float]


def _check(**values: float) -> None:
    for name, v in values.items():
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            raise ConfigError(f"{name} must be a positive number; got {v!r}.")


def constant(learning_rate: float) -> Schedule:
    """The same rate every epoch."""
    _check(learning_rate=learning_rate)
    return lambda epoch: float(learning_rate)


def step_decay(learning_rate: float, drop: float = 0.5, every: int = 10) -> Schedule:
    """``learning_rate * drop ** (epoch // every)``."""
    _check(learning_rate=learning_rate, drop=drop)
    if not (isinstance(every, int) and every >= 1):
        raise ConfigError(f"every must be a whole number of epochs >= 1; got {every!r}.")
    return lambda epoch: float(learning_rate * drop ** (epoch // every))


def exponential(learning_rate: float, gamma: float = 0.95) -> Schedule:
    """``learning_rate * gamma ** epoch``."""
    _check(learning_rate=learning_rate, gamma=gamma)
    return lambda epoch: float(learning_rate * gamma**epoch)


def inverse_scaling(learning_rate: float, power_t: float = 0.5) -> Schedule:
    """``learning_rate / (epoch + 1) ** power_t`` (scikit-learn's ``invscaling``, per epoch)."""
    _check(learning_rate=learning_rate, power_t=power_t)
    return lambda epoch: float(learning_rate / (epoch + 1) ** power_t)


def cosine(learning_rate: float, epochs: int, min_learning_rate: float = 0.0) -> Schedule:
    """Cosine annealing (Loshchilov & Hutter, 2017) from ``learning_rate`` to ``min_learning_rate``
    over ``epochs`` epochs, then constant at the minimum.
    """
    _check(learning_rate=learning_rate, epochs=epochs)
    if not 0 <= min_learning_rate <= learning_rate:
        raise ConfigError(
            f"min_learning_rate must be in [0, learning_rate]; got {min_learning_rate!r}."
        )

    def schedule(epoch: int) -> float:
        frac = min(epoch, epochs) / epochs
        return float(min_learning_rate + 0.5 * (learning_rate - min_learning_rate)
                     * (1.0 + math.cos(math.pi * frac)))

    return schedule
