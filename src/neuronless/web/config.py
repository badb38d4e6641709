"""The playground's settings: one :class:`Config`, every value checked against :data:`CAPS`.

Contract: :func:`check_config` takes a plain dict (from the page, a shared URL or a partial
update merged onto the current config) and returns a frozen :class:`Config`, or raises
:class:`~neuronless.errors.ConfigError` naming the first bad key, what it must be and what was
given. It never trusts the page: a shared link is as untrusted as any request.

>>> check_config({"dataset": "spiral", "layers": [8, 8]}).activations
('tanh', 'tanh')
>>> check_config({"learning_rate": 1e9})
Traceback (most recent call last):
...
neuronless.errors.ConfigError: learning_rate must be a number from 1e-06 to 10; got 1000000000.0.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from ..pipeline import RATELESS
from ..pipeline import SCHEDULES as PIPELINE_SCHEDULES

BUILTIN = ("circle", "xor", "gaussian", "spiral", "moons")
#: the data set name of an uploaded CSV (accepted only by a session holding one)
UPLOAD = "upload"
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop", "irprop-", "irprop+",
              "rprop", "quickprop", "sarprop", "incremental", "batch")
ACTIVATIONS = ("tanh", "relu", "sigmoid", "identity", "leaky_relu", "elu", "softplus", "sin",
               "gaussian")
LOSSES = ("mse", "binary_cross_entropy", "cross_entropy")
#: the pipeline's schedules (None, the constant rate, is the page's "constant")
#: FANN's two plain gradient-descent modes, as SGD with their own batch: one pattern at a time
#: (``incremental``) or every training row (``batch``, 0 here)
FANN_SGD = {"incremental": 1, "batch": 0}
SCHEDULES: tuple[str, ...] = tuple(s for s in PIPELINE_SCHEDULES if s is not None)
#: the epoch budget the schedules run over (the playground has no budget of its own)
SCHEDULE_EPOCHS = 500

#: every cap the server enforces, as ``GET /api/datasets`` reports them to the page
CAPS: dict[str, Any] = {
    "n": [10, 2000],
    "noise": [0.0, 1.0],
    "train_fraction": [0.1, 0.9],
    "max_layers": 6,
    "max_units": 32,
    "learning_rate": [1e-6, 10.0],
    "batch_size": [1, 2000],
    "l2": [0.0, 1.0],
    "seed": [0, 2**31 - 1],
    "grid": [10, 100],
    "max_hide": 32,
    "sessions": 16,
    "idle_seconds": 30 * 60,
    "upload_bytes": 20 * 1024 * 1024,
    "json_bytes": 64 * 1024,
    "upload_features": 256,
    "curve_points": 500,
    "frames_per_second": 30,
    "points_shown": 1000,
    "optimizers": list(OPTIMIZERS),
    "activations": list(ACTIVATIONS),
    "losses": list(LOSSES),
    "schedules": list(SCHEDULES),
    "rateless": list(RATELESS),
    "own_batch": list(FANN_SGD),
}
_HIDE = re.compile(r"^[a-z_]{1,40}$")


@dataclass(frozen=True)
class Config:
    """One session's settings; ``as_dict`` is what the API sends and a shared URL holds."""

    dataset: str = "spiral"
    noise: float = 0.1
    train_fraction: float = 0.7
    n: int = 400
    layers: tuple[int, ...] = (8, 8)
    activations: tuple[str, ...] = ("tanh", "tanh")
    loss: str | None = None
    optimizer: str = "adam"
    learning_rate: float = 0.01
    batch_size: int = 32
    l2: float = 0.0
    schedule: str | None = None
    seed: int = 0
    hide: tuple[str, ...] = ()
    grid: int = 40
    plane: tuple[int, int] = (0, 1)

    def as_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        for key in ("layers", "activations", "hide", "plane"):
            d[key] = list(d[key])
        return d

    def data_key(self) -> tuple[Any, ...]:
        """What the data depend on: a change here makes new rows."""
        return (self.dataset, self.noise, self.n, self.train_fraction, self.seed)

    def net_key(self) -> tuple[Any, ...]:
        """What the network and its trainer depend on: a change here resets the weights."""
        return (*self.data_key(), self.layers, self.activations, self.loss, self.optimizer,
                self.learning_rate, self.batch_size, self.l2, self.schedule)


def _number(d: dict[str, Any], key: str, lo: float, hi: float) -> float:
    v = d[key]
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    if not ok or not lo <= v <= hi:
        raise ConfigError(f"{key} must be a number from {lo:g} to {hi:g}; got {v!r}.")
    return float(v)


def _integer(v: Any, key: str, lo: int, hi: int) -> int:
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) \
        and float(v).is_integer()
    if not ok or not lo <= v <= hi:
        raise ConfigError(f"{key} must be a whole number from {lo} to {hi}; got {v!r}.")
    return int(v)


def _choice(v: Any, key: str, choices: tuple[str, ...], nullable: bool) -> str | None:
    if v is None or (nullable and v == ""):
        if nullable:
            return None
    elif isinstance(v, str) and v in choices:
        return v
    allowed = ", ".join(choices) + (" or null" if nullable else "")
    raise ConfigError(f"{key} must be one of {allowed}; got {v!r}.")


def check_config(d: Any, base: Config | None = None) -> Config:
    """``d`` (a dict of config keys) over ``base`` (default: the defaults), checked.

    Only the keys given change. When ``layers`` changes without ``activations``, the
    activations are cut to the new depth or extended with the last one (``tanh`` if none).
    """
    if not isinstance(d, dict):
        raise ConfigError(f"the config must be a JSON object of settings; got {type(d).__name__}.")
    base = base or Config()
    names = {f.name for f in dataclasses.fields(Config)}
    unknown = sorted(str(k) for k in d if k not in names)
    if unknown:
        raise ConfigError(f"unknown config key(s) {', '.join(map(repr, unknown))}; the keys are "
                          f"{', '.join(sorted(names))}.")
    c: dict[str, Any] = {}
    if "dataset" in d:
        v = d["dataset"]
        if not (isinstance(v, str) and (v in BUILTIN or v == UPLOAD)):
            raise ConfigError(f"dataset must be one of {', '.join(BUILTIN)} (or {UPLOAD!r} after "
                              f"an upload); got {v!r}.")
        c["dataset"] = v
    for key in ("noise", "train_fraction", "learning_rate", "l2"):
        if key in d:
            lo, hi = CAPS[key]
            c[key] = _number(d, key, lo, hi)
    for key in ("n", "batch_size", "seed", "grid"):
        if key in d:
            lo, hi = CAPS[key]
            c[key] = _integer(d[key], key, lo, hi)
    if "layers" in d:
        v = d["layers"]
        if not isinstance(v, (list, tuple)) or len(v) > CAPS["max_layers"]:
            raise ConfigError(f"layers must be a list of at most {CAPS['max_layers']} hidden layer "
                              f"sizes like [8, 8]; got {v!r}.")
        c["layers"] = tuple(_integer(u, "each hidden layer size", 1, CAPS["max_units"]) for u in v)
    if "activations" in d:
        v = d["activations"]
        if not isinstance(v, (list, tuple)):
            raise ConfigError(f"activations must be a list of names, one per hidden layer; got "
                              f"{v!r}.")
        c["activations"] = tuple(str(_choice(a, "each activation", ACTIVATIONS, False)) for a in v)
    if "loss" in d:
        c["loss"] = _choice(d["loss"], "loss", LOSSES, True)
    if "optimizer" in d:
        c["optimizer"] = _choice(d["optimizer"], "optimizer", OPTIMIZERS, False)
    if "schedule" in d:
        c["schedule"] = _choice(d["schedule"], "schedule", SCHEDULES, True)
    if "hide" in d:
        v = d["hide"]
        if not isinstance(v, (list, tuple)) or len(v) > CAPS["max_hide"] or not all(
                isinstance(h, str) and _HIDE.match(h) for h in v):
            raise ConfigError(f"hide must be a list of at most {CAPS['max_hide']} control names "
                              f"(lower-case letters and _); got {v!r}.")
        c["hide"] = tuple(v)
    if "plane" in d:
        v = d["plane"]
        if not isinstance(v, (list, tuple)) or len(v) != 2:
            raise ConfigError(f"plane must be two input column numbers like [0, 1]; got {v!r}.")
        i, j = (_integer(p, "each plane input", 0, CAPS["upload_features"] - 1) for p in v)
        c["plane"] = (i, j)
    merged = dataclasses.replace(base, **c)
    acts = merged.activations
    depth = len(merged.layers)
    if len(acts) != depth:
        if "activations" in d and "layers" in d:
            raise ConfigError(f"activations must have one name per hidden layer ({depth}); got "
                              f"{len(acts)}.")
        acts = acts[:depth] + (acts[-1:] or ("tanh",)) * (depth - len(acts))
        merged = dataclasses.replace(merged, activations=acts)
    return merged
