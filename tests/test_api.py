"""The public API: ``__all__`` is exactly what the package exports, and the required names exist."""

from __future__ import annotations

import dataclasses
import types

import pytest

import neuronless

REQUIRED = [
    "Network",
    "loss_and_grads",
    "check_gradients",
    "fit",
    "History",
    "EarlyStopping",
    "SGD",
    "Momentum",
    "Nesterov",
    "Adam",
    "AdamW",
    "RMSprop",
    "IRpropMinus",
    "IRpropPlus",
    "Quickprop",
    "minimize",
    "save",
    "load",
    "ModelFormatError",
]


def public_names() -> set[str]:
    """Every name bound in the package namespace that is not private or a submodule."""
    return {
        name
        for name, value in vars(neuronless).items()
        if (not name.startswith("_") or name == "__version__")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"  # the ``from __future__ import annotations`` feature
    }


def test_all_has_no_duplicates_and_every_name_exists():
    assert len(neuronless.__all__) == len(set(neuronless.__all__))
    for name in neuronless.__all__:
        assert hasattr(neuronless, name), name


def test_all_equals_the_public_names():
    assert set(neuronless.__all__) == public_names()


def test_star_import_gives_exactly_all():
    ns: dict[str, object] = {}
    exec("from neuronless import *", ns)
    ns.pop("__builtins__")
    assert set(ns) == set(neuronless.__all__)


@pytest.mark.parametrize("name", REQUIRED)
def test_required_name_is_exported(name):
    assert name in neuronless.__all__
    assert getattr(neuronless, name) is not None


@pytest.mark.parametrize("member", ["create", "from_weights", "forward", "trace"])
def test_network_methods(member):
    assert callable(getattr(neuronless.Network, member))


def test_network_has_params_and_weights():
    net = neuronless.Network.create([2, 3, 1], seed=0)
    assert net.params.ndim == 1
    assert [W.shape for W in net.weights] == [(3, 3), (4, 1)]


def test_adam_fields():
    names = {f.name for f in dataclasses.fields(neuronless.Adam)}
    assert {"learning_rate", "beta1", "beta2", "eps"} <= names


@pytest.mark.parametrize(
    "name",
    ["SGD", "Momentum", "Nesterov", "Adam", "AdamW", "RMSprop", "IRpropMinus", "IRpropPlus",
     "Quickprop"],
)
def test_optimizers_have_init_and_step(name):
    cls = getattr(neuronless, name)
    assert callable(cls.init)
    assert callable(cls.step)
