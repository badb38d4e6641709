"""FANN's training parameters with FANN 2.2's defaults, and FANN <-> neuronless activation names.

Contract: :class:`FannParams` holds every parameter a ``.net`` file stores (plus SARPROP's,
which FANN keeps in memory only), under FANN's own names and with libfann 2.2's defaults
(fann.md sections 5-8 and 11.1). :func:`to_neuronless` and :func:`to_fann` translate one
neuron's (FANN enum, FANN steepness) to (neuronless activation name, neuronless steepness) and
back. Leaf module: it imports only the activation registry.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from ..activations import get_activation
from ..errors import ConfigError
from .activations import FANN_ACTIVATIONS, FANN_STEEPNESS_SCALE

TRAINING_ALGORITHMS = ("incremental", "batch", "rprop", "quickprop", "sarprop")
ERROR_FUNCTIONS = ("linear", "tanh")
STOP_FUNCTIONS = ("mse", "bit")

#: FANN's default candidate activation functions for cascade training (fann.md section 8).
CASCADE_ACTIVATION_FUNCTIONS = (
    "sigmoid",
    "sigmoid_symmetric",
    "gaussian",
    "gaussian_symmetric",
    "elliot",
    "elliot_symmetric",
    "sin_symmetric",
    "cos_symmetric",
    "sin",
    "cos",
)
CASCADE_ACTIVATION_STEEPNESSES = (0.25, 0.5, 0.75, 1.0)

#: Activations FANN calls symmetric: its MSE and bit-fail halve their output errors.
SYMMETRIC = frozenset(
    {
        "linear_piece_symmetric",
        "threshold_symmetric",
        "sigmoid_symmetric",
        "sigmoid_symmetric_stepwise",
        "elliot_symmetric",
        "gaussian_symmetric",
        "sin_symmetric",
        "cos_symmetric",
    }
)

#: FANN 2.2 (Debian) knows enums 0-17; 18 and 19 (ReLU, leaky ReLU) exist only in FANN's HEAD.
FANN_22_MAX_ENUM = 17


@dataclass
class FannParams:
    """Every FANN training parameter, under FANN's names, with libfann 2.2's defaults.

    Activation functions are FANN's lower-case names (``"sigmoid_symmetric"``); algorithm,
    error and stop functions are lower-case strings (``"rprop"``, ``"tanh"``, ``"mse"``).
    """

    learning_rate: float = 0.7
    learning_momentum: float = 0.0
    training_algorithm: str = "rprop"
    train_error_function: str = "tanh"
    train_stop_function: str = "mse"
    bit_fail_limit: float = 0.35
    quickprop_decay: float = -0.0001
    quickprop_mu: float = 1.75
    rprop_increase_factor: float = 1.2
    rprop_decrease_factor: float = 0.5
    rprop_delta_min: float = 0.0
    rprop_delta_max: float = 50.0
    rprop_delta_zero: float = 0.1
    sarprop_weight_decay_shift: float = -6.644
    sarprop_step_error_threshold_factor: float = 0.1
    sarprop_step_error_shift: float = 1.385
    sarprop_temperature: float = 0.015
    cascade_output_change_fraction: float = 0.01
    cascade_output_stagnation_epochs: int = 12
    cascade_candidate_change_fraction: float = 0.01
    cascade_candidate_stagnation_epochs: int = 12
    cascade_max_out_epochs: int = 150
    cascade_min_out_epochs: int = 50
    cascade_max_cand_epochs: int = 150
    cascade_min_cand_epochs: int = 50
    cascade_num_candidate_groups: int = 2
    cascade_candidate_limit: float = 1000.0
    cascade_weight_multiplier: float = 0.4
    cascade_activation_functions: tuple[str, ...] = field(
        default=CASCADE_ACTIVATION_FUNCTIONS
    )
    cascade_activation_steepnesses: tuple[float, ...] = field(
        default=CASCADE_ACTIVATION_STEEPNESSES
    )

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first parameter that is out of range."""
        choices = {
            "training_algorithm": TRAINING_ALGORITHMS,
            "train_error_function": ERROR_FUNCTIONS,
            "train_stop_function": STOP_FUNCTIONS,
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ConfigError(
                    f"{name} must be one of {', '.join(allowed)}; got {getattr(self, name)!r}."
                )
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, float) and not math.isfinite(v):
                raise ConfigError(f"{f.name} must be a finite number; got {v!r}.")
            if isinstance(v, int) and not isinstance(v, bool) and v < 0:
                raise ConfigError(f"{f.name} must be a non-negative integer; got {v!r}.")
        for name in self.cascade_activation_functions:
            if name not in FANN_ACTIVATIONS or name == "gaussian_stepwise":
                raise ConfigError(
                    f"cascade_activation_functions: {name!r} is not a FANN activation; "
                    f"choose from {', '.join(a for a in FANN_ACTIVATIONS if a != 'gaussian_stepwise')}."
                )
        if not self.cascade_activation_functions or not self.cascade_activation_steepnesses:
            raise ConfigError(
                "cascade_activation_functions and cascade_activation_steepnesses must not be "
                "empty."
            )
        if self.rprop_delta_max < self.rprop_delta_min:
            raise ConfigError(
                f"rprop_delta_max ({self.rprop_delta_max}) must be >= rprop_delta_min "
                f"({self.rprop_delta_min})."
            )

    def replace(self, **changes: Any) -> FannParams:
        """A copy with some parameters changed (validated)."""
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (tuples become lists)."""
        return {
            k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FannParams:
        """Inverse of :meth:`as_dict`; unknown keys are a :class:`ConfigError`."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(f"unknown FANN parameter(s): {', '.join(unknown)}.")
        kw: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
        return cls(**kw)


def to_neuronless(function: int | str, steepness: float) -> tuple[str, float]:
    """One FANN neuron's (enum number or name, FANN steepness) as (neuronless name, steepness).

    >>> to_neuronless(3, 0.5)            # FANN SIGMOID, s = 0.5: the standard logistic
    ('sigmoid', 1.0)
    >>> to_neuronless("sigmoid_symmetric", 0.5)
    ('tanh', 0.5)
    """
    name = fann_name(function)
    ours = get_activation(name).name
    return ours, float(steepness) * FANN_STEEPNESS_SCALE.get(name, 1.0)


def to_fann(name: str, steepness: float) -> tuple[int, float]:
    """A neuronless (activation name, steepness) as FANN's (enum number, FANN steepness).

    >>> to_fann("sigmoid", 1.0)
    (3, 0.5)
    >>> to_fann("tanh", 0.5)
    (5, 0.5)
    """
    ours = get_activation(name).name
    for enum, fname in enumerate(FANN_ACTIVATIONS):
        if get_activation(fname).name == ours:
            return enum, float(steepness) / FANN_STEEPNESS_SCALE.get(fname, 1.0)
    fann_names = ", ".join(a for a in FANN_ACTIVATIONS if a != "gaussian_stepwise")
    raise ConfigError(
        f"activation {name!r} has no FANN equivalent; FANN knows {fann_names}. "
        "Use one of those to save a FANN .net file."
    )


def fann_name(function: int | str) -> str:
    """FANN's lower-case name for an enum number or a name (checked)."""
    if isinstance(function, str):
        if function not in FANN_ACTIVATIONS:
            raise ConfigError(
                f"{function!r} is not a FANN activation; FANN's are {', '.join(FANN_ACTIVATIONS)}."
            )
        return function
    if isinstance(function, bool) or not 0 <= int(function) < len(FANN_ACTIVATIONS):
        raise ConfigError(
            f"FANN activation number {function!r} is out of range; FANN 2.2 knows 0-17 "
            "(18 and 19, ReLU and leaky ReLU, only in FANN's development version)."
        )
    return FANN_ACTIVATIONS[int(function)]
