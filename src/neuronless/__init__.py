"""neuronless: a neural network is a list of weight matrices.

Forward propagation multiplies the previous layer's outputs by a matrix and applies an
activation; backpropagation is the gradient of a cost; training follows it downhill.

>>> import numpy as np, neuronless as nl
>>> net = nl.Network.create([2, 3, 1], seed=0)
>>> [W.shape for W in net.weights]   # last row of each matrix: the biases
[(3, 3), (4, 1)]
"""

from __future__ import annotations

# private aliases: the package namespace holds only the public names (and submodules)
import sys as _sys
import types as _types
import typing as _typing
from importlib import import_module as _import_module

# FANN's activation functions join the registry with the package, so a model file that names
# them loads without an import of neuronless.fann (numpy only, like activations.py).
from .fann import activations as _fann_activations  # noqa: F401  (imported for that effect)

if _typing.TYPE_CHECKING:  # the names as type checkers see them; at run time __getattr__ binds them
    from . import data as data
    from . import datasets as datasets
    from .activations import ACTIVATIONS, Activation, get_activation
    from .backprop import Backprop, loss_and_grads
    from .cascade import CascadeReport, cascade_train
    from .classification import accuracy, labels_from, one_hot, predict_classes
    from .diagnostics import Finding, diagnose, render_findings
    from .entry import train
    from .errors import (
        ClusterError,
        ConfigError,
        ConvergenceWarning,
        DataError,
        DataWarning,
        ModelFormatError,
        NeuronlessError,
        ShapeError,
        TrainingDivergedError,
    )
    from .explain import Step, explain, render
    from .files import load, load_with_metadata, save
    from .gradcheck import GradientReport, check_gradients, numerical_grad
    from .losses import LOSSES, Loss, get_loss
    from .minimize import MinimizeResult, minimize
    from .model import Model
    from .network import LayerTrace, Network, Trace
    from .optimizers import (
        SGD,
        Adam,
        AdamW,
        IRpropMinus,
        IRpropPlus,
        Momentum,
        Nesterov,
        Quickprop,
        RMSprop,
    )
    from .pipeline import DEFAULTS, Recipe
    from .schedules import constant, cosine, exponential, inverse_scaling, step_decay
    from .training import EarlyStopping, History, Trainer, fit

__version__ = "0.1.0"

#: public name -> the module that defines it, imported on first access (PEP 562): ``import
#: neuronless`` (and so the command line) loads numpy and the activation table, not scipy.
_LAZY: dict[str, str] = {
    "ACTIVATIONS": "activations",
    "Activation": "activations",
    "get_activation": "activations",
    "Backprop": "backprop",
    "loss_and_grads": "backprop",
    "CascadeReport": "cascade",
    "cascade_train": "cascade",
    "accuracy": "classification",
    "labels_from": "classification",
    "one_hot": "classification",
    "predict_classes": "classification",
    "Finding": "diagnostics",
    "diagnose": "diagnostics",
    "render_findings": "diagnostics",
    "ConfigError": "errors",
    "ClusterError": "errors",
    "ConvergenceWarning": "errors",
    "DataError": "errors",
    "DataWarning": "errors",
    "ModelFormatError": "errors",
    "NeuronlessError": "errors",
    "ShapeError": "errors",
    "TrainingDivergedError": "errors",
    "Step": "explain",
    "explain": "explain",
    "render": "explain",
    "load": "files",
    "load_with_metadata": "files",
    "save": "files",
    "GradientReport": "gradcheck",
    "check_gradients": "gradcheck",
    "numerical_grad": "gradcheck",
    "LOSSES": "losses",
    "Loss": "losses",
    "get_loss": "losses",
    "MinimizeResult": "minimize",
    "minimize": "minimize",
    "Model": "model",
    "DEFAULTS": "pipeline",
    "Recipe": "pipeline",
    "train": "entry",
    "LayerTrace": "network",
    "Network": "network",
    "Trace": "network",
    "SGD": "optimizers",
    "Adam": "optimizers",
    "AdamW": "optimizers",
    "IRpropMinus": "optimizers",
    "IRpropPlus": "optimizers",
    "Momentum": "optimizers",
    "Nesterov": "optimizers",
    "Quickprop": "optimizers",
    "RMSprop": "optimizers",
    "constant": "schedules",
    "cosine": "schedules",
    "exponential": "schedules",
    "inverse_scaling": "schedules",
    "step_decay": "schedules",
    "EarlyStopping": "training",
    "History": "training",
    "Trainer": "training",
    "fit": "training",
}
_SUBMODULES = ("data", "datasets")

__all__ = [
    "ACTIVATIONS",
    "DEFAULTS",
    "LOSSES",
    "SGD",
    "Activation",
    "Adam",
    "AdamW",
    "Backprop",
    "CascadeReport",
    "ClusterError",
    "ConfigError",
    "ConvergenceWarning",
    "DataError",
    "DataWarning",
    "EarlyStopping",
    "Finding",
    "GradientReport",
    "History",
    "IRpropMinus",
    "IRpropPlus",
    "LayerTrace",
    "Loss",
    "MinimizeResult",
    "Model",
    "ModelFormatError",
    "Momentum",
    "Nesterov",
    "Network",
    "NeuronlessError",
    "Quickprop",
    "RMSprop",
    "Recipe",
    "ShapeError",
    "Step",
    "Trace",
    "Trainer",
    "TrainingDivergedError",
    "__version__",
    "accuracy",
    "cascade_train",
    "check_gradients",
    "constant",
    "cosine",
    "diagnose",
    "explain",
    "exponential",
    "fit",
    "get_activation",
    "get_loss",
    "inverse_scaling",
    "labels_from",
    "load",
    "load_with_metadata",
    "loss_and_grads",
    "minimize",
    "numerical_grad",
    "one_hot",
    "predict_classes",
    "render",
    "render_findings",
    "save",
    "step_decay",
    "train",
]


if not _typing.TYPE_CHECKING:  # hidden from type checkers, so a misspelt name stays an error there

    def __getattr__(name: str) -> _typing.Any:
        if name in _LAZY:
            value = getattr(_import_module(f".{_LAZY[name]}", __name__), name)
        elif name in _SUBMODULES:
            value = _import_module(f".{name}", __name__)
        else:
            raise AttributeError(f"module 'neuronless' has no attribute {name!r}")
        globals()[name] = value  # later look-ups are plain attribute reads
        return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | set(_SUBMODULES))


class _Package(_types.ModuleType):
    """The package's module type: a submodule never shadows a public name of the package.

    Importing ``neuronless.explain`` binds the module as ``neuronless.explain`` on the package;
    the public name is the function ``explain`` (likewise ``minimize``), as it was when the
    package imported it eagerly, so that binding is skipped and ``__getattr__`` finds the
    function.
    """

    def __setattr__(self, name: str, value: _typing.Any) -> None:
        if name in _LAZY and isinstance(value, _types.ModuleType):
            return
        super().__setattr__(name, value)

    def __reduce__(self) -> tuple[_typing.Any, tuple[str]]:
        # pickled by name, as plain modules are: functions that use ``nl.`` can be sent to
        # Dask workers and process pools (cloudpickle finds no rule for a module subclass)
        import importlib

        return importlib.import_module, (self.__name__,)


_sys.modules[__name__].__class__ = _Package
