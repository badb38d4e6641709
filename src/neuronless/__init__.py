"""neuronless: a neural network is a list of weight matrices.

Forward propagation multiplies the previous layer's outputs by a matrix and applies an
activation; backpropagation is the gradient of a cost; training follows it downhill.

>>> import numpy as np, neuronless as nl
>>> net = nl.Network.create([2, 3, 1], seed=0)
>>> [W.shape for W in net.weights]   # last row of each matrix: the biases
[(3, 3), (4, 1)]
"""

from __future__ import annotations

from . import data as data  # submodules: neuronless.data.load_csv, ...
from . import datasets as datasets
from .activations import ACTIVATIONS, Activation, get_activation
from .backprop import Backprop, loss_and_grads
from .cascade import CascadeReport, cascade_train
from .classification import accuracy, labels_from, one_hot, predict_classes
from .diagnostics import Finding, diagnose, render_findings
from .errors import (
    ConfigError,
    ConvergenceWarning,
    DataError,
    ModelFormatError,
    NeuronlessError,
    ShapeError,
    TrainingDivergedError,
)
from .explain import Step, explain, render
from .fann import activations as _fann_activations  # noqa: F401  (registers FANN's functions)
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
from .schedules import constant, cosine, exponential, inverse_scaling, step_decay
from .training import EarlyStopping, History, Trainer, fit

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "SGD",
    "Activation",
    "Adam",
    "AdamW",
    "Backprop",
    "CascadeReport",
    "ConfigError",
    "ConvergenceWarning",
    "DataError",
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
]
