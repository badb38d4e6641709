"""The public API: ``__all__`` is exactly what the package exports, and the required names exist."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
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
    """Every name bound in the package namespace that is not private or a submodule.

    The package binds its names on first access (PEP 562), so each is looked up first.
    """
    for name in neuronless.__all__:
        getattr(neuronless, name)
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


def test_dir_lists_every_name_before_first_use():
    listed = subprocess.run(
        [sys.executable, "-c", "import neuronless; print(' '.join(dir(neuronless)))"],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    assert set(neuronless.__all__) | {"data", "datasets"} <= set(listed)


def test_a_submodule_does_not_shadow_the_function_of_its_name():
    # a fresh interpreter: the submodules are imported before the names are first looked up
    code = (
        "import types, neuronless.explain, neuronless.minimize, neuronless as nl\n"
        "assert isinstance(nl.explain, types.FunctionType), nl.explain\n"
        "assert isinstance(nl.minimize, types.FunctionType), nl.minimize\n"
        "assert isinstance(nl.data, types.ModuleType)\n"
        "from neuronless import explain\n"
        "assert isinstance(explain, types.FunctionType)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'Netwrok'"):
        neuronless.Netwrok  # noqa: B018


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
