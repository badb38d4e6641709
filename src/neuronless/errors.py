"""The exception and warning types of neuronless.

Hierarchy (each type also derives from the built-in a user would catch)::

    NeuronlessError(Exception)
    ├── ShapeError(ValueError)         an array has the wrong shape or size
    ├── ConfigError(ValueError)        an argument has a bad value or bad combination
    ├── ModelFormatError(ValueError)   a model file is truncated, corrupt or not one at all
    ├── DataError(ValueError)          a data file or table cannot be used as training data
                                       (missing or empty file, unknown column, text or NaN
                                       in a feature, ragged rows, malformed FANN .data)
    └── TrainingDivergedError(FloatingPointError)
                                       the loss became NaN or infinite during training
    ConvergenceWarning(UserWarning)    an optimiser stopped before converging
    DataWarning(UserWarning)           data used as it is, but worth a look (unseen categories)

Every message says what was wrong, what was expected and how to fix it.
"""

from __future__ import annotations


class NeuronlessError(Exception):
    """Base class of every error raised on purpose by neuronless."""


class ShapeError(NeuronlessError, ValueError):
    """An array has a shape that does not fit the network or the other arrays."""


class ConfigError(NeuronlessError, ValueError):
    """An argument has a value outside its domain, or arguments do not fit together."""


class DataError(NeuronlessError, ValueError):
    """A data file or table cannot be read as training data; the message names the place.

    A missing file is a ``DataError`` too (not ``FileNotFoundError``), so one ``except``
    catches every problem with the user's data.
    """


class ModelFormatError(NeuronlessError, ValueError):
    """A model file is not a valid file of its format (truncated, corrupt, hostile, foreign)."""


class TrainingDivergedError(NeuronlessError, FloatingPointError):
    """The training loss became NaN or infinite."""


class ClusterError(NeuronlessError, RuntimeError):
    """The Dask cluster went away under a training run (its scheduler or the connection to
    it); the message says what was lost and which checkpoint holds the run."""


class DataWarning(UserWarning):
    """Data that can be used but deserves a look: values not seen in training, for example."""


class ConvergenceWarning(UserWarning):
    """An iterative optimiser stopped (iteration limit) before meeting its tolerance."""
