"""A small ctypes binding of the real FANN library (Debian's ``libfann-dev``), for comparisons.

Contract: :func:`load` returns a :class:`LibFann` for one of FANN's three builds (``"float"``
= libfann.so, ``"double"`` = libdoublefann.so, ``"fixed"`` = libfixedfann.so) or raises
:class:`LibFannMissing` when the shared library is not installed. neuronless itself never needs
FANN: this module exists so tests and benchmarks can produce reference files, outputs and
trained weights with libfann itself. Only the standard library and numpy are imported.

Every :class:`Fann` owns one ``struct fann *`` and every :class:`TrainData` one
``struct fann_train_data *``; both free it in ``close()`` / when garbage collected.

Example (needs libfann installed)::

    lib = load("double")
    ann = lib.create_standard([2, 3, 1])   # weights U[-0.1, 0.1) from srand(0)
    ann.run([0.5, -0.5])                   # -> array of 1 output
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[Any]

LIBRARIES = {"float": "fann", "double": "doublefann", "fixed": "fixedfann"}
TYPES: dict[str, Any] = {
    "float": ctypes.c_float,
    "double": ctypes.c_double,
    "fixed": ctypes.c_int,
}
DTYPES = {"float": np.float32, "double": np.float64, "fixed": np.int32}

TRAIN_ALGORITHMS = {"incremental": 0, "batch": 1, "rprop": 2, "quickprop": 3, "sarprop": 4}
ERROR_FUNCTIONS = {"linear": 0, "tanh": 1}
STOP_FUNCTIONS = {"mse": 0, "bit": 1}
NETWORK_TYPES = {"layer": 0, "shortcut": 1}


class LibFannMissing(RuntimeError):
    """libfann (Debian package ``libfann-dev``) is not installed on this machine."""


def _find(kind: str) -> str:
    name = LIBRARIES[kind]
    found = ctypes.util.find_library(name)
    candidates = [found] if found else []
    for d in ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib",
              "/usr/local/lib"):
        candidates += [os.path.join(d, f"lib{name}.so.2"), os.path.join(d, f"lib{name}.so")]
    for c in candidates:
        if c and (os.path.exists(c) or not os.path.isabs(c)):
            try:
                ctypes.CDLL(c)
            except OSError:
                continue
            return c
    raise LibFannMissing(
        f"lib{name}.so was not found. Install FANN 2.2 (Debian/Ubuntu: "
        "`apt-get install libfann-dev`) to compare against the real library."
    )


_CACHE: dict[str, LibFann] = {}


def load(kind: str = "float") -> LibFann:
    """The binding of one FANN build: ``"float"``, ``"double"`` or ``"fixed"`` (cached)."""
    if kind not in LIBRARIES:
        raise ValueError(f"kind must be one of {sorted(LIBRARIES)}; got {kind!r}.")
    if kind not in _CACHE:
        _CACHE[kind] = LibFann(kind)
    return _CACHE[kind]


def available(kind: str = "float") -> bool:
    """Whether :func:`load` would succeed for ``kind``."""
    try:
        load(kind)
    except LibFannMissing:
        return False
    return True


class LibFann:
    """The functions of one FANN build, with argument and return types declared."""

    def __init__(self, kind: str):
        self.kind = kind
        self.path = _find(kind)
        self.lib = ctypes.CDLL(self.path)
        self.libc = ctypes.CDLL(ctypes.util.find_library("c"))
        t = TYPES[kind]
        self.ctype = t
        self.dtype = np.dtype(DTYPES[kind])

        class Connection(ctypes.Structure):
            _fields_ = [("from_neuron", ctypes.c_uint), ("to_neuron", ctypes.c_uint),
                        ("weight", t)]

        class TrainDataStruct(ctypes.Structure):
            _fields_ = [
                ("errno_f", ctypes.c_int),
                ("error_log", ctypes.c_void_p),
                ("errstr", ctypes.c_char_p),
                ("num_data", ctypes.c_uint),
                ("num_input", ctypes.c_uint),
                ("num_output", ctypes.c_uint),
                ("input", ctypes.POINTER(ctypes.POINTER(t))),
                ("output", ctypes.POINTER(ctypes.POINTER(t))),
            ]

        self.Connection = Connection
        self.TrainDataStruct = TrainDataStruct
        P = ctypes.c_void_p
        U = ctypes.c_uint
        F = ctypes.c_float
        sig: dict[str, tuple[Any, list[Any]]] = {
            "fann_create_standard_array": (P, [U, ctypes.POINTER(U)]),
            "fann_create_shortcut_array": (P, [U, ctypes.POINTER(U)]),
            "fann_create_sparse_array": (P, [F, U, ctypes.POINTER(U)]),
            "fann_create_from_file": (P, [ctypes.c_char_p]),
            "fann_destroy": (None, [P]),
            "fann_save": (ctypes.c_int, [P, ctypes.c_char_p]),
            "fann_save_to_fixed": (ctypes.c_int, [P, ctypes.c_char_p]),
            "fann_run": (ctypes.POINTER(t), [P, ctypes.POINTER(t)]),
            "fann_get_num_input": (U, [P]),
            "fann_get_num_output": (U, [P]),
            "fann_get_total_neurons": (U, [P]),
            "fann_get_total_connections": (U, [P]),
            "fann_get_num_layers": (U, [P]),
            "fann_get_network_type": (U, [P]),
            "fann_get_connection_rate": (F, [P]),
            "fann_get_layer_array": (None, [P, ctypes.POINTER(U)]),
            "fann_get_bias_array": (None, [P, ctypes.POINTER(U)]),
            "fann_get_connection_array": (None, [P, ctypes.POINTER(Connection)]),
            "fann_set_weight_array": (None, [P, ctypes.POINTER(Connection), U]),
            "fann_set_weight": (None, [P, U, U, t]),
            "fann_randomize_weights": (None, [P, t, t]),
            "fann_init_weights": (None, [P, P]),
            "fann_set_activation_function": (None, [P, ctypes.c_int, ctypes.c_int, ctypes.c_int]),
            "fann_set_activation_function_hidden": (None, [P, ctypes.c_int]),
            "fann_set_activation_function_output": (None, [P, ctypes.c_int]),
            "fann_set_activation_function_layer": (None, [P, ctypes.c_int, ctypes.c_int]),
            "fann_get_activation_function": (ctypes.c_int, [P, ctypes.c_int, ctypes.c_int]),
            "fann_set_activation_steepness": (None, [P, t, ctypes.c_int, ctypes.c_int]),
            "fann_set_activation_steepness_hidden": (None, [P, t]),
            "fann_set_activation_steepness_output": (None, [P, t]),
            "fann_set_activation_steepness_layer": (None, [P, t, ctypes.c_int]),
            "fann_get_activation_steepness": (t, [P, ctypes.c_int, ctypes.c_int]),
            "fann_set_training_algorithm": (None, [P, ctypes.c_int]),
            "fann_set_train_error_function": (None, [P, ctypes.c_int]),
            "fann_set_train_stop_function": (None, [P, ctypes.c_int]),
            "fann_set_learning_rate": (None, [P, F]),
            "fann_set_learning_momentum": (None, [P, F]),
            "fann_set_bit_fail_limit": (None, [P, t]),
            "fann_set_quickprop_decay": (None, [P, F]),
            "fann_set_quickprop_mu": (None, [P, F]),
            "fann_set_rprop_increase_factor": (None, [P, F]),
            "fann_set_rprop_decrease_factor": (None, [P, F]),
            "fann_set_rprop_delta_min": (None, [P, F]),
            "fann_set_rprop_delta_max": (None, [P, F]),
            "fann_set_rprop_delta_zero": (None, [P, F]),
            "fann_set_sarprop_weight_decay_shift": (None, [P, F]),
            "fann_set_sarprop_step_error_threshold_factor": (None, [P, F]),
            "fann_set_sarprop_step_error_shift": (None, [P, F]),
            "fann_set_sarprop_temperature": (None, [P, F]),
            "fann_set_cascade_activation_functions": (None, [P, ctypes.POINTER(ctypes.c_int), U]),
            "fann_set_cascade_activation_steepnesses": (None, [P, ctypes.POINTER(t), U]),
            "fann_set_cascade_num_candidate_groups": (None, [P, U]),
            "fann_set_cascade_max_out_epochs": (None, [P, U]),
            "fann_set_cascade_min_out_epochs": (None, [P, U]),
            "fann_set_cascade_max_cand_epochs": (None, [P, U]),
            "fann_set_cascade_min_cand_epochs": (None, [P, U]),
            "fann_set_cascade_output_change_fraction": (None, [P, F]),
            "fann_set_cascade_candidate_change_fraction": (None, [P, F]),
            "fann_set_cascade_output_stagnation_epochs": (None, [P, U]),
            "fann_set_cascade_candidate_stagnation_epochs": (None, [P, U]),
            "fann_set_cascade_weight_multiplier": (None, [P, t]),
            "fann_set_cascade_candidate_limit": (None, [P, t]),
            # internal to cascade training, exported by libfann 2.2: one output-training stage
            "fann_train_outputs": (ctypes.c_int, [P, P, F]),
            "fann_get_MSE": (F, [P]),
            "fann_get_bit_fail": (U, [P]),
            "fann_reset_MSE": (None, [P]),
            "fann_train": (None, [P, ctypes.POINTER(t), ctypes.POINTER(t)]),
            "fann_test": (ctypes.POINTER(t), [P, ctypes.POINTER(t), ctypes.POINTER(t)]),
            "fann_train_epoch": (F, [P, P]),
            "fann_test_data": (F, [P, P]),
            "fann_cascadetrain_on_data": (None, [P, P, U, U, F]),
            "fann_train_on_data": (None, [P, P, U, U, F]),
            "fann_create_train": (P, [U, U, U]),
            "fann_destroy_train": (None, [P]),
            "fann_read_train_from_file": (P, [ctypes.c_char_p]),
            "fann_save_train": (ctypes.c_int, [P, ctypes.c_char_p]),
            "fann_set_error_log": (None, [P, P]),
            "fann_get_errno": (ctypes.c_int, [P]),
            "fann_get_errstr": (ctypes.c_char_p, [P]),
            "fann_set_callback": (None, [P, P]),
            "fann_scale_input": (None, [P, ctypes.POINTER(t)]),
            "fann_scale_output": (None, [P, ctypes.POINTER(t)]),
            "fann_descale_input": (None, [P, ctypes.POINTER(t)]),
            "fann_descale_output": (None, [P, ctypes.POINTER(t)]),
            "fann_set_scaling_params": (ctypes.c_int, [P, P, F, F, F, F]),
            "fann_clear_scaling_params": (ctypes.c_int, [P]),
        }
        for name, (res, args) in sig.items():
            try:
                fn = getattr(self.lib, name)
            except AttributeError:  # the fixed-point build has no training functions
                continue
            fn.restype = res
            fn.argtypes = args
        self.libc.srand.argtypes = [ctypes.c_uint]
        self.libc.srand.restype = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.lib, name)

    # ----------------------------------------------------------------- construction
    def srand(self, seed: int) -> None:
        """Seed libc's ``rand()``, which FANN uses for weights, sparse layouts and SARPROP."""
        self.libc.srand(seed)

    def _layers(self, sizes: Sequence[int]) -> Any:
        return (ctypes.c_uint * len(sizes))(*[int(s) for s in sizes])

    def create_standard(self, sizes: Sequence[int], seed: int | None = 0) -> Fann:
        """``fann_create_standard_array``; FANN re-seeds ``rand()`` itself, so we seed after."""
        return self._wrap(self.lib.fann_create_standard_array(len(sizes), self._layers(sizes)),
                          seed)

    def create_shortcut(self, sizes: Sequence[int], seed: int | None = 0) -> Fann:
        return self._wrap(self.lib.fann_create_shortcut_array(len(sizes), self._layers(sizes)),
                          seed)

    def create_sparse(self, rate: float, sizes: Sequence[int], seed: int | None = 0) -> Fann:
        """Sparse nets draw their layout from ``rand()`` during creation: seed first."""
        if seed is not None:
            self.srand(seed)
        ptr = self.lib.fann_create_sparse_array(ctypes.c_float(rate), len(sizes),
                                                self._layers(sizes))
        return self._wrap(ptr, None)

    def create_from_file(self, path: str | os.PathLike[str]) -> Fann:
        ptr = self.lib.fann_create_from_file(os.fsencode(path))
        if not ptr:
            raise ValueError(f"libfann ({self.kind}) could not read {os.fspath(path)!r}.")
        return Fann(self, ptr)

    def _wrap(self, ptr: int | None, seed: int | None) -> Fann:
        if not ptr:
            raise ValueError("libfann could not create the network.")
        ann = Fann(self, ptr)
        if seed is not None:
            # Creation seeded rand() from /dev/urandom; draw reproducible weights instead.
            self.srand(seed)
            self.lib.fann_randomize_weights(ptr, self.ctype(-0.1), self.ctype(0.1))
        return ann

    def train_data(self, X: Any, Y: Any) -> TrainData:
        """A ``struct fann_train_data`` holding copies of ``X`` and ``Y`` (rows = patterns)."""
        X = np.ascontiguousarray(X, dtype=self.dtype)
        Y = np.ascontiguousarray(Y, dtype=self.dtype)
        if X.ndim != 2 or Y.ndim != 2 or len(X) != len(Y):
            raise ValueError("X and Y must be 2-D with one row per pattern.")
        ptr = self.lib.fann_create_train(len(X), X.shape[1], Y.shape[1])
        if not ptr:
            raise MemoryError("fann_create_train failed.")
        data = TrainData(self, ptr)
        st = data.struct
        ctypes.memmove(st.input[0], X.ctypes.data, X.nbytes)
        ctypes.memmove(st.output[0], Y.ctypes.data, Y.nbytes)
        return data

    def read_train(self, path: str | os.PathLike[str]) -> TrainData:
        ptr = self.lib.fann_read_train_from_file(os.fsencode(path))
        if not ptr:
            raise ValueError(f"libfann could not read {os.fspath(path)!r}.")
        return TrainData(self, ptr)


class TrainData:
    """One ``struct fann_train_data``; ``X``/``Y`` are numpy views of its storage."""

    def __init__(self, lib: LibFann, ptr: int):
        self.lib = lib
        self.ptr: int | None = ptr
        self.struct = ctypes.cast(ptr, ctypes.POINTER(lib.TrainDataStruct)).contents

    def _view(self, rows: Any, width: int) -> Array:
        n = self.struct.num_data
        buf = (self.lib.ctype * (n * width)).from_address(ctypes.addressof(rows[0].contents))
        return np.frombuffer(buf, dtype=self.lib.dtype).reshape(n, width)

    @property
    def X(self) -> Array:
        return self._view(self.struct.input, self.struct.num_input)

    @property
    def Y(self) -> Array:
        return self._view(self.struct.output, self.struct.num_output)

    def save(self, path: str | os.PathLike[str]) -> None:
        """``fann_save_train``: FANN's own ``.data`` writer."""
        if self.lib.lib.fann_save_train(self.ptr, os.fsencode(path)) != 0:
            raise OSError(f"fann_save_train could not write {os.fspath(path)!r}.")

    def close(self) -> None:
        if self.ptr:
            self.lib.lib.fann_destroy_train(self.ptr)
            self.ptr = None

    def __del__(self) -> None:
        self.close()


class Fann:
    """One ``struct fann *`` with the calls tests and benchmarks need."""

    def __init__(self, lib: LibFann, ptr: int):
        self.lib = lib
        self.ptr: int | None = ptr

    def close(self) -> None:
        if self.ptr:
            self.lib.lib.fann_destroy(self.ptr)
            self.ptr = None

    def __del__(self) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:
        """``ann.set_learning_rate(0.5)`` calls ``fann_set_learning_rate(ann, 0.5)``."""
        fn = getattr(self.lib.lib, "fann_" + name)
        return lambda *args: fn(self.ptr, *args)

    # ----------------------------------------------------------------- structure
    @property
    def num_input(self) -> int:
        return int(self.lib.lib.fann_get_num_input(self.ptr))

    @property
    def num_output(self) -> int:
        return int(self.lib.lib.fann_get_num_output(self.ptr))

    @property
    def total_connections(self) -> int:
        return int(self.lib.lib.fann_get_total_connections(self.ptr))

    @property
    def total_neurons(self) -> int:
        return int(self.lib.lib.fann_get_total_neurons(self.ptr))

    def layer_sizes(self) -> list[int]:
        """Neurons per layer without bias neurons (``fann_get_layer_array``)."""
        n = int(self.lib.lib.fann_get_num_layers(self.ptr))
        out = (ctypes.c_uint * n)()
        self.lib.lib.fann_get_layer_array(self.ptr, out)
        return list(out)

    def connections(self) -> tuple[Array, Array, Array]:
        """``(from_neuron, to_neuron, weight)`` arrays in FANN's storage order."""
        n = self.total_connections
        arr = (self.lib.Connection * n)()
        self.lib.lib.fann_get_connection_array(self.ptr, arr)
        src = np.array([c.from_neuron for c in arr], dtype=np.int64)
        dst = np.array([c.to_neuron for c in arr], dtype=np.int64)
        w = np.array([c.weight for c in arr], dtype=self.lib.dtype)
        return src, dst, w

    def weights(self) -> Array:
        """Every weight in storage order."""
        return self.connections()[2]

    def set_weights(self, w: Any) -> None:
        """Overwrite every weight, in storage order (``fann_set_weight_array``)."""
        src, dst, old = self.connections()
        w = np.asarray(w, dtype=self.lib.dtype)
        if w.shape != old.shape:
            raise ValueError(f"expected {old.shape[0]} weights; got {w.shape}.")
        arr = (self.lib.Connection * len(w))()
        for i in range(len(w)):
            arr[i].from_neuron = int(src[i])
            arr[i].to_neuron = int(dst[i])
            arr[i].weight = w[i].item()
        self.lib.lib.fann_set_weight_array(self.ptr, arr, len(w))

    # ----------------------------------------------------------------- running
    def run(self, x: Any) -> Array:
        """``fann_run`` on one input vector; returns a copy of the outputs."""
        x = np.ascontiguousarray(x, dtype=self.lib.dtype)
        if x.shape != (self.num_input,):
            raise ValueError(f"expected {self.num_input} inputs; got shape {x.shape}.")
        out = self.lib.lib.fann_run(self.ptr, x.ctypes.data_as(ctypes.POINTER(self.lib.ctype)))
        return np.ctypeslib.as_array(out, shape=(self.num_output,)).copy()

    def run_many(self, X: Any) -> Array:
        """``fann_run`` on every row of ``X``."""
        X = np.asarray(X)
        return np.stack([self.run(x) for x in X]) if len(X) else np.zeros((0, self.num_output))

    def scaled(self, which: str, X: Any) -> Array:
        """``fann_<which>`` (``scale_input``, ``descale_output``, ...) on a copy of every row."""
        fn = getattr(self.lib.lib, "fann_" + which)
        out = np.array(X, dtype=self.lib.dtype, ndmin=2, order="C", copy=True)
        P = ctypes.POINTER(self.lib.ctype)
        for row in out:
            fn(self.ptr, row.ctypes.data_as(P))
        return out

    def save(self, path: str | os.PathLike[str]) -> None:
        if self.lib.lib.fann_save(self.ptr, os.fsencode(path)) != 0:
            raise OSError(f"fann_save could not write {os.fspath(path)!r}.")

    def save_to_fixed(self, path: str | os.PathLike[str]) -> int:
        """``fann_save_to_fixed``; returns the decimal point FANN chose."""
        return int(self.lib.lib.fann_save_to_fixed(self.ptr, os.fsencode(path)))

    # ----------------------------------------------------------------- training
    def configure(self, **params: Any) -> None:
        """Set training parameters by FANN's names: ``algorithm="rprop"``,
        ``error_function="linear"``, ``learning_rate=0.7``, ``rprop_delta_zero=0.1``, ..."""
        lib = self.lib.lib
        for key, value in params.items():
            if key == "algorithm":
                lib.fann_set_training_algorithm(self.ptr, TRAIN_ALGORITHMS[value])
            elif key == "error_function":
                lib.fann_set_train_error_function(self.ptr, ERROR_FUNCTIONS[value])
            elif key == "stop_function":
                lib.fann_set_train_stop_function(self.ptr, STOP_FUNCTIONS[value])
            elif key == "momentum":
                lib.fann_set_learning_momentum(self.ptr, value)
            elif key == "bit_fail_limit":
                lib.fann_set_bit_fail_limit(self.ptr, self.lib.ctype(value))
            else:
                getattr(lib, "fann_set_" + key)(self.ptr, value)

    def set_activation(self, layer: int, neuron: int, function: int, steepness: float) -> None:
        """Per-neuron activation (FANN enum number) and steepness; layer 1 = first hidden."""
        self.lib.lib.fann_set_activation_function(self.ptr, function, layer, neuron)
        self.lib.lib.fann_set_activation_steepness(self.ptr, self.lib.ctype(steepness), layer,
                                                   neuron)

    def set_activation_hidden(self, function: int, steepness: float | None = None) -> None:
        self.lib.lib.fann_set_activation_function_hidden(self.ptr, function)
        if steepness is not None:
            self.lib.lib.fann_set_activation_steepness_hidden(self.ptr, self.lib.ctype(steepness))

    def set_activation_output(self, function: int, steepness: float | None = None) -> None:
        self.lib.lib.fann_set_activation_function_output(self.ptr, function)
        if steepness is not None:
            self.lib.lib.fann_set_activation_steepness_output(self.ptr, self.lib.ctype(steepness))

    def train_epoch(self, data: TrainData) -> float:
        """One ``fann_train_epoch``; returns the MSE accumulated during the epoch."""
        return float(self.lib.lib.fann_train_epoch(self.ptr, data.ptr))

    def train(self, x: Any, y: Any) -> None:
        """``fann_train``: one incremental backprop step on one pattern."""
        x = np.ascontiguousarray(x, dtype=self.lib.dtype)
        y = np.ascontiguousarray(y, dtype=self.lib.dtype)
        P = ctypes.POINTER(self.lib.ctype)
        self.lib.lib.fann_train(self.ptr, x.ctypes.data_as(P), y.ctypes.data_as(P))

    def test_data(self, data: TrainData) -> tuple[float, int]:
        """``fann_test_data``: FANN's MSE and bit-fail count on a data set."""
        mse = float(self.lib.lib.fann_test_data(self.ptr, data.ptr))
        return mse, int(self.lib.lib.fann_get_bit_fail(self.ptr))

    def init_weights(self, data: TrainData) -> None:
        """``fann_init_weights`` (FANN's Nguyen-Widrow variant); draws from ``rand()``."""
        self.lib.lib.fann_init_weights(self.ptr, data.ptr)

    def randomize_weights(self, low: float, high: float) -> None:
        self.lib.lib.fann_randomize_weights(self.ptr, self.lib.ctype(low), self.lib.ctype(high))

    def cascadetrain(self, data: TrainData, max_neurons: int, desired_error: float,
                     neurons_between_reports: int = 0) -> None:
        """``fann_cascadetrain_on_data``; reports go to stdout only if
        ``neurons_between_reports`` > 0."""
        self.lib.lib.fann_cascadetrain_on_data(self.ptr, data.ptr, max_neurons,
                                               neurons_between_reports,
                                               ctypes.c_float(desired_error))

    def silence(self) -> None:
        """Stop FANN printing errors to stderr (``fann_set_error_log(ann, NULL)``)."""
        self.lib.lib.fann_set_error_log(self.ptr, None)
