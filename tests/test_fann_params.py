"""FannParams' defaults are libfann's own; the FANN <-> neuronless translation; the namespace."""

from __future__ import annotations

import ctypes
import dataclasses
from typing import Any

import pytest

import neuronless.fann as fann
from neuronless.errors import ConfigError
from neuronless.fann.activations import FANN_ACTIVATIONS
from neuronless.fann.params import FannParams, to_fann, to_neuronless

FLOAT_GETTERS = (
    "learning_rate", "learning_momentum", "quickprop_decay", "quickprop_mu",
    "rprop_increase_factor", "rprop_decrease_factor", "rprop_delta_min", "rprop_delta_max",
    "rprop_delta_zero", "sarprop_weight_decay_shift", "sarprop_step_error_threshold_factor",
    "sarprop_step_error_shift", "sarprop_temperature", "cascade_output_change_fraction",
    "cascade_candidate_change_fraction", "cascade_candidate_limit",
    "cascade_weight_multiplier", "bit_fail_limit",
)
UINT_GETTERS = (
    "cascade_output_stagnation_epochs", "cascade_candidate_stagnation_epochs",
    "cascade_max_out_epochs", "cascade_min_out_epochs", "cascade_max_cand_epochs",
    "cascade_min_cand_epochs", "cascade_num_candidate_groups",
)


def test_defaults_are_what_a_new_libfann_network_has(libfann_double: Any) -> None:
    lib = libfann_double
    ann = lib.create_standard([2, 3, 1])
    ours = FannParams()
    for name in FLOAT_GETTERS:
        fn = getattr(lib.lib, f"fann_get_{name}")
        fn.restype = lib.ctype if name in ("bit_fail_limit", "cascade_candidate_limit",
                                           "cascade_weight_multiplier") else ctypes.c_float
        fn.argtypes = [ctypes.c_void_p]
        got = float(fn(ann.ptr))
        assert got == pytest.approx(getattr(ours, name), rel=1e-6), name
    for name in UINT_GETTERS:
        fn = getattr(lib.lib, f"fann_get_{name}")
        fn.restype, fn.argtypes = ctypes.c_uint, [ctypes.c_void_p]
        assert fn(ann.ptr) == getattr(ours, name), name
    for name, values in (("training_algorithm", ("incremental", "batch", "rprop", "quickprop",
                                                 "sarprop")),
                         ("train_error_function", ("linear", "tanh")),
                         ("train_stop_function", ("mse", "bit"))):
        fn = getattr(lib.lib, f"fann_get_{name}")
        fn.restype, fn.argtypes = ctypes.c_int, [ctypes.c_void_p]
        assert values[fn(ann.ptr)] == getattr(ours, name), name
    count = lib.lib.fann_get_cascade_activation_functions_count
    count.restype, count.argtypes = ctypes.c_uint, [ctypes.c_void_p]
    funcs = lib.lib.fann_get_cascade_activation_functions
    funcs.restype, funcs.argtypes = ctypes.POINTER(ctypes.c_int), [ctypes.c_void_p]
    enums = [funcs(ann.ptr)[i] for i in range(count(ann.ptr))]
    assert tuple(FANN_ACTIVATIONS[e] for e in enums) == ours.cascade_activation_functions
    scount = lib.lib.fann_get_cascade_activation_steepnesses_count
    scount.restype, scount.argtypes = ctypes.c_uint, [ctypes.c_void_p]
    steeps = lib.lib.fann_get_cascade_activation_steepnesses
    steeps.restype, steeps.argtypes = ctypes.POINTER(lib.ctype), [ctypes.c_void_p]
    got_s = tuple(float(steeps(ann.ptr)[i]) for i in range(scount(ann.ptr)))
    assert got_s == ours.cascade_activation_steepnesses


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"training_algorithm": "adam"}, "training_algorithm must be one of"),
        ({"train_error_function": "mse"}, "train_error_function must be one of"),
        ({"learning_rate": float("nan")}, "learning_rate must be a finite number"),
        ({"cascade_max_out_epochs": -1}, "non-negative integer"),
        ({"cascade_activation_functions": ("softmax",)}, "is not a FANN activation"),
        ({"cascade_activation_steepnesses": ()}, "must not be empty"),
        ({"rprop_delta_min": 60.0}, "rprop_delta_max"),
    ],
)
def test_bad_parameters_are_one_clear_error(change: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        FannParams(**change)


def test_dict_round_trip_and_unknown_keys() -> None:
    p = FannParams().replace(learning_rate=0.3, cascade_activation_steepnesses=(0.5,))
    assert FannParams.from_dict(p.as_dict()) == p
    with pytest.raises(ConfigError, match="unknown FANN parameter"):
        FannParams.from_dict({**p.as_dict(), "learning_rat": 0.1})
    assert {f.name for f in dataclasses.fields(p)} == set(p.as_dict())


@pytest.mark.parametrize("enum", [e for e in range(20) if e != 9])
def test_translation_round_trips_every_fann_function(enum: int) -> None:
    name, steep = to_neuronless(enum, 0.3)
    assert to_fann(name, steep) == (enum, pytest.approx(0.3))


def test_translation_errors() -> None:
    assert to_neuronless(9, 0.5) == ("gaussian_stepwise", 0.5)  # libfann: always 0
    assert to_fann("gaussian_stepwise", 0.5) == (9, 0.5)
    with pytest.raises(ConfigError, match="out of range"):
        to_neuronless(20, 0.5)
    with pytest.raises(ConfigError, match="has no FANN equivalent"):
        to_fann("softmax", 1.0)


def test_the_namespace_resolves_every_name_and_keeps_the_recipe_module() -> None:
    for name in fann.__all__:
        assert getattr(fann, name) is not None
    from neuronless.fann import recommended

    assert hasattr(recommended, "train")  # the submodule, not a function of the same name
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        fann.nope  # noqa: B018
