"""The exception and warning types of neuronless.

Hierarchy (each type also derives from the built-in a user would catch)::

    NeuronlessError(Exception)
    ├── ShapeError(ValueError)         an array has the wrong shape or size
    ├── ConfigError(ValueError)        an argument has a bad value or bad combination
    └── TrainingDivergedError(FloatingPointError)
                                       the loss became NaN or infinite during training
    ConvergenceWarning(UserWarning)    an optimiser stopped before converging

Every message says what was wrong, what was expected and how to fix it.
"""

from __future__ import annotations


class NeuronlessError(Exception):
    """Base class of every error raised on purpose by neuronless."""


class ShapeError(NeuronlessError, ValueError):
    """An array has a shape that does not fit the network or the other arrays."""


class ConfigError(NeuronlessError, ValueError):
    """An argument has a value outside its domain, or arguments do not fit together."""


class TrainingDivergedError(NeuronlessError, FloatingPointError):
    """The training loss became NaN or infinite."""


class ConvergenceWarning(UserWarning):
    """An iterative optimiser stopped (iteration limit) before meeting its tolerance."""
