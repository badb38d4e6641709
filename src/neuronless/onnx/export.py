"""Model -> ONNX: the whole model (column encoders, scaler, network, outputs) as one graph.

Contract: :func:`export` writes an ONNX file (atomically) that computes what
:meth:`Model.predict <neuronless.model.Model.predict>` and :meth:`Model.predict_proba
<neuronless.model.Model.predict_proba>` compute, from the same raw columns; :func:`to_proto`
returns the same graph as an ``onnx.ModelProto``. The graph is built with ``onnx.helper``
from the model's own parts (encoder specs, scaler parameters, weight views); nothing is
traced or run. Whatever ONNX cannot express is one :class:`ExportError` naming it, raised
before anything is written.

The graph, for a model trained on a table:

- **inputs**: one per raw column, named by the column, shape ``[N, 1]``: numeric columns
  ``tensor(double)`` (NaN for missing), boolean columns ``tensor(bool)``, categorical columns
  ``tensor(string)`` (the category text as the model saw it; missing as ``""``, ``"NA"``, ...
  or ``"(missing)"``). Text is matched exactly: unlike :meth:`Model.predict` the graph does not
  strip surrounding spaces. A model without an encoder has one input ``X``, ``tensor(double)``,
  ``[N, n_inputs]``; a bare :class:`~neuronless.network.Network` has ``X`` in the export
  ``dtype``.
- **encoding** (double): NaN -> the training median (``IsNaN``, ``Where``) plus the 0/1
  indicator (``Cast``); one-hot through ``ai.onnx.ml.OneHotEncoder`` over the stored categories
  with ``zeros=1`` (an unseen value -> all zeros, as in neuronless), missing texts folded into
  the ``(missing)`` unit by one ``MatMul`` when the model has that unit; booleans ``Cast``.
- **scaling** (double, as :mod:`neuronless.data.scaling` computes it): standard ``(x - mean) /
  scale``; min-max ``(x - min) * factor + low``; robust ``z = (x - median) / scale`` then the
  smooth clip ``z / sqrt(1 + (z / clip)^2)`` (``Div``, ``Mul``, ``Add``, ``Sqrt``).
- **network** (in ``dtype``): per layer ``Gemm`` (weights ``W[:-1]``, bias ``W[-1]``; a shortcut
  layer reads the ``Concat`` of the input and every earlier output; masked weights of a sparse
  net are zeros already), ``Mul`` by the steepness, ``Clip`` (or ``Min``/``Max`` per neuron)
  for a clamp, then the activation (per-neuron layers: ``Gather`` each group, activate,
  ``Concat``, ``Gather`` back).
- **outputs**: a classifier gives ``label`` ``[N]`` (strings, integers, booleans or doubles,
  as the classes are) and ``probabilities`` ``[N, n_classes]`` in ``dtype`` (one sigmoid unit
  ``p`` gives ``[1 - p, p]``); a regressor gives ``variable`` ``[N, n_targets]``, double, with
  the target scaler undone and clipped to ``target_range``; a bare network gives ``Y``.

Versions: opset 17 of the default domain (and ``ai.onnx.ml`` 3 when a one-hot encoder is
needed) with the smallest IR version that opset needs (8), so onnxruntime from 1.12 on runs it;
onnxruntime 1.32 is what the tests run. ``dtype`` is float32 by default; float64 works too:
ORT has no float64 kernels for ``Elu`` and ``Softplus``, so at float64 those two are spelt
with ``Exp``/``Log``/``Abs``/``Relu``/``Where`` (every node then has a double kernel), and so
is ``LeakyRelu``, whose ``alpha`` attribute is a float32 (0.01 would be off by 2e-10).
The preprocessing is always double, like the model's own.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import onnx
from numpy.typing import DTypeLike, NDArray
from onnx import ModelProto, TensorProto, helper, numpy_helper

from ..data.columns import MISSING, MISSING_TEXTS, ColumnSpec
from ..data.scaling import MinMaxScaler, RobustScaler, StandardScaler
from ..errors import ConfigError
from ..network import Network

if TYPE_CHECKING:

    from ..model import Model

Array = NDArray[Any]

#: the default-domain opset written by default: Softmax normalises one axis from 13 on, and
#: 17 is what onnxruntime has run for years (ecosystem.md section 2)
DEFAULT_OPSET = 17
#: the lowest opset the graph can use (Unsqueeze/Squeeze/ReduceSum take axes as inputs, Softmax
#: is per axis)
MIN_OPSET = 13
ML_OPSET = 3  # ai.onnx.ml: OneHotEncoder
ML_DOMAIN = "ai.onnx.ml"
#: output names; a raw column may not use them
OUTPUT_NAMES = ("label", "probabilities", "variable")


class ExportError(ConfigError):
    """Part of a model has no ONNX form (an activation, a column kind, a scaler)."""


def export(
    model: Model | Network,
    path: str | os.PathLike[str],
    *,
    opset: int = DEFAULT_OPSET,
    dtype: DTypeLike = np.float32,
) -> None:
    """Write ``model`` as an ONNX file at ``path`` (atomically: the old file or the new one).

    Parameters
    ----------
    model : Model or Network
        A whole model (raw columns in, labels or values out) or a bare network (``X`` in,
        ``Y`` out).
    path : path of the ``.onnx`` file
    opset : int
        The default-domain opset, 13 or above (default 17).
    dtype : float32 or float64
        The precision of the network part and of ``probabilities`` (default float32).

    Raises
    ------
    ExportError
        When part of the model has no ONNX form; nothing is written then.
    """

    from ..files.atomic import atomic_path

    proto = to_proto(model, opset=opset, dtype=dtype)
    with atomic_path(path) as tmp:
        onnx.save_model(proto, tmp)


def to_proto(
    model: Model | Network, *, opset: int = DEFAULT_OPSET, dtype: DTypeLike = np.float32
) -> ModelProto:
    """The ONNX graph of ``model`` as an ``onnx.ModelProto`` (what :func:`export` writes)."""
    from .. import __version__

    dt = _check_dtype(dtype)
    if not isinstance(opset, int) or isinstance(opset, bool) or opset < MIN_OPSET:
        raise ExportError(f"opset must be an integer of at least {MIN_OPSET}; got {opset!r}.")
    g = _Graph(dt)
    if isinstance(model, Network):
        net, meta = model, None
        x = "X"
        g.taken.add(x)
        inputs = [helper.make_tensor_value_info(x, _onnx_type(dt), [None, net.n_inputs])]
        y = g.network(net, x)
        g.rename(y, "Y")
        outputs = [helper.make_tensor_value_info("Y", _onnx_type(dt), [None, net.n_outputs])]
    else:
        net, meta = model.net, model.metadata()
        inputs = []
        if model.encoder is None:
            g.taken.add("X")
            inputs.append(helper.make_tensor_value_info("X", TensorProto.DOUBLE,
                                                        [None, net.n_inputs]))
            encoded = "X"
        else:
            columns = {}
            for spec in model.encoder.columns:
                if spec.name in OUTPUT_NAMES:
                    raise ExportError(
                        f"the column {spec.name!r} has the name of an ONNX output "
                        f"({', '.join(OUTPUT_NAMES)}); rename the column and train again."
                    )
                kind = {"numeric": TensorProto.DOUBLE, "boolean": TensorProto.BOOL,
                        "categorical": TensorProto.STRING}[spec.kind]
                g.taken.add(spec.name)
                inputs.append(helper.make_tensor_value_info(spec.name, kind, [None, 1]))
                columns[spec.name] = spec.name
            encoded = g.encode(model.encoder.columns, columns, model.encoder.na_values)
        outputs = g.head(model, g.network(net, g.scale(model.scaler, encoded)))
    opsets = [helper.make_opsetid("", opset)]
    if g.uses_ml:
        opsets.append(helper.make_opsetid(ML_DOMAIN, ML_OPSET))
    graph = helper.make_graph(g.nodes, "neuronless", inputs, outputs, g.initializers)
    proto = helper.make_model(graph, opset_imports=opsets, producer_name="neuronless",
                              producer_version=__version__)
    proto.ir_version = helper.find_min_ir_version_for(opsets)
    if meta is not None:
        helper.set_model_props(proto, {"neuronless": json.dumps(meta)})
    return proto


def _check_dtype(dtype: DTypeLike) -> np.dtype[Any]:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ConfigError(f"dtype must be float32 or float64; got {dtype!r}.")
    return dt


def _onnx_type(dt: np.dtype[Any]) -> int:
    return int(helper.np_dtype_to_tensor_dtype(dt))


class _Graph:
    """Nodes and initializers under construction; every intermediate gets a fresh name.

    ``fresh`` makes names (a counter here; the skl2onnx converter passes its scope's), so the
    same building code serves a stand-alone file and a node inside a scikit-learn graph.
    """

    def __init__(self, dtype: np.dtype[Any], fresh: Callable[[str], str] | None = None) -> None:
        self.dtype = dtype
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.taken: set[str] = set(OUTPUT_NAMES) | {"Y"}
        self.uses_ml = False
        self.widths: dict[str, int] = {}
        self._fresh = fresh
        self._count = 0

    def fresh(self, hint: str) -> str:
        if self._fresh is not None:
            return self._fresh(hint)
        while True:
            self._count += 1
            name = f"{hint}_{self._count}"
            if name not in self.taken:
                self.taken.add(name)
                return name

    def const(self, value: Any, dtype: DTypeLike | None = None, hint: str = "c") -> str:
        """An initializer holding ``value`` (in ``dtype``, default the network's)."""
        arr = np.asarray(value, dtype=self.dtype if dtype is None else dtype)
        name = self.fresh(hint)
        if arr.dtype.kind in "OUS":
            texts: Any = [str(v).encode() for v in arr.ravel()]
            self.initializers.append(helper.make_tensor(name, TensorProto.STRING, arr.shape, texts))
        else:
            self.initializers.append(numpy_helper.from_array(arr, name))
        return name

    def op(self, op_type: str, *inputs: str, domain: str = "", **attrs: Any) -> str:
        out = self.fresh(op_type.lower())
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], name=self.fresh(op_type),
                                           domain=domain, **attrs))
        if domain == ML_DOMAIN:
            self.uses_ml = True
        return out

    def rename(self, name: str, new: str) -> None:
        """Make the node that outputs ``name`` output ``new`` instead (for graph outputs); an
        ``Identity`` when another node reads ``name`` or no node makes it."""
        if any(name in node.input for node in self.nodes):
            self.nodes.append(self._identity(name, new))
            return
        for node in self.nodes:
            for i, o in enumerate(node.output):
                if o == name:
                    node.output[i] = new
                    return
        self.nodes.append(self._identity(name, new))

    @staticmethod
    def _identity(src: str, dst: str) -> Any:
        return helper.make_node("Identity", [src], [dst], name=f"{dst}_out")

    # ------------------------------------------------------------------ preprocessing
    def encode(self, specs: Sequence[ColumnSpec], columns: dict[str, str],
               na_values: Sequence[str] = (), numeric_only: bool = False) -> str:
        """The encoded double matrix from one ``[N, 1]`` tensor per raw column.

        With ``numeric_only`` (the scikit-learn converter, whose columns are slices of one
        numeric array) a boolean column is the number itself with NaN -> 0, as
        :meth:`TableEncoder.transform` reads a numeric array.
        """
        blocks = []
        for spec in specs:
            x = columns[spec.name]
            if spec.kind == "categorical":
                blocks.append(self._one_hot(spec, x, na_values))
            elif spec.kind == "boolean" and not numeric_only:
                blocks.append(self.op("Cast", x, to=TensorProto.DOUBLE))
            else:
                median = spec.median if spec.kind == "numeric" else 0.0
                nan = self.op("IsNaN", x)
                blocks.append(self.op("Where", nan, self.const([median], np.float64, "median"), x))
                if spec.missing_indicator:
                    blocks.append(self.op("Cast", nan, to=TensorProto.DOUBLE))
        return blocks[0] if len(blocks) == 1 else self.op("Concat", *blocks, axis=1)

    def _one_hot(self, spec: ColumnSpec, x: str, na_values: Sequence[str]) -> str:
        cats = list(spec.categories)
        if MISSING in cats:  # texts that mean "missing" light the (missing) unit
            cats += sorted((set(MISSING_TEXTS) | set(na_values)) - set(cats))
        hot = self.op("OneHotEncoder", x, domain=ML_DOMAIN, cats_strings=cats, zeros=1)
        hot = self.op("Squeeze", hot, self.const([1], np.int64, "axes"))  # [N, 1, K] -> [N, K]
        if len(cats) > len(spec.categories):
            k = len(spec.categories)
            fold = np.zeros((len(cats), k), dtype=np.float32)
            fold[np.arange(k), np.arange(k)] = 1.0
            fold[k:, spec.categories.index(MISSING)] = 1.0
            hot = self.op("MatMul", hot, self.const(fold, np.float32, "fold"))
        return self.op("Cast", hot, to=TensorProto.DOUBLE)

    def scale(self, scaler: Any, x: str) -> str:
        """The scaler's ``transform`` on the double matrix ``x``."""
        if scaler is None:
            return x

        def c(v: Any, hint: str) -> str:
            return self.const(v, np.float64, hint)

        if isinstance(scaler, StandardScaler):
            return self.op("Div", self.op("Sub", x, c(scaler.mean, "mean")), c(scaler.scale, "scale"))
        if isinstance(scaler, MinMaxScaler):
            lo, factor = _minmax(scaler)
            return self.op("Add", self.op("Mul", self.op("Sub", x, c(scaler.data_min, "min")),
                                          c(factor, "factor")), c(lo, "low"))
        if isinstance(scaler, RobustScaler):
            z = self.op("Div", self.op("Sub", x, c(scaler.median, "median")), c(scaler.scale, "scale"))
            if scaler.clip is None:
                return z
            r = self.op("Div", z, c(scaler.clip, "clip"))
            root = self.op("Sqrt", self.op("Add", c(1.0, "one"), self.op("Mul", r, r)))
            return self.op("Div", z, root)
        raise ExportError(f"scaler {type(scaler).__name__} has no ONNX form; use a standard, "
                          "min-max or robust scaler.")

    def unscale(self, scaler: Any, y: str) -> str:
        """The scaler's ``inverse_transform`` on the double matrix ``y``."""
        if scaler is None:
            return y

        def c(v: Any, hint: str) -> str:
            return self.const(v, np.float64, hint)

        if isinstance(scaler, StandardScaler):
            return self.op("Add", self.op("Mul", y, c(scaler.scale, "scale")), c(scaler.mean, "mean"))
        if isinstance(scaler, MinMaxScaler):
            lo, factor = _minmax(scaler)
            return self.op("Add", self.op("Div", self.op("Sub", y, c(lo, "low")),
                                          c(factor, "factor")), c(scaler.data_min, "min"))
        if isinstance(scaler, RobustScaler):
            if scaler.clip is not None:  # beyond ±clip the inverse is infinite, as in numpy
                r = self.op("Div", y, c(scaler.clip, "clip"))
                gap = self.op("Max", self.op("Sub", c(1.0, "one"), self.op("Mul", r, r)),
                              c(0.0, "zero"))
                y = self.op("Div", y, self.op("Sqrt", gap))
            return self.op("Add", self.op("Mul", y, c(scaler.scale, "scale")),
                           c(scaler.median, "median"))
        raise ExportError(f"target scaler {type(scaler).__name__} has no ONNX form; use a "
                          "standard, min-max or robust scaler.")

    # ------------------------------------------------------------------ network
    def network(self, net: Network, x: str) -> str:
        """The network's output from its input ``x`` (cast to the export dtype here)."""
        x = self.op("Cast", x, to=_onnx_type(self.dtype))
        seen, a = [x], x
        for k, (W, layer) in enumerate(zip(net.weights, net.layers, strict=True)):
            inp = a
            if net.shortcut and k > 0:
                inp = self.op("Concat", *seen, axis=1)
            z = self.op("Gemm", inp, self.const(W[:-1], hint=f"W{k}"), self.const(W[-1], hint=f"b{k}"))
            a = self._layer(z, layer, k)
            seen.append(a)
        self.widths[a] = net.n_outputs
        return a

    def _layer(self, z: str, layer: Any, k: int) -> str:
        s = layer.steepness
        if not (isinstance(s, float) and s == 1.0):
            z = self.op("Mul", z, self.const(s, hint="steepness"))
        if layer.clamp is not None:
            c = layer.clamp
            if isinstance(c, float):
                z = self.op("Clip", z, self.const(-c, hint="lo"), self.const(c, hint="hi"))
            else:
                z = self.op("Max", self.op("Min", z, self.const(c, hint="hi")),
                            self.const(-np.asarray(c), hint="lo"))
        if layer.uniform is not None:
            return self.activation(z, layer.uniform.name, k)
        parts: list[str] = []
        order: list[int] = []
        for act, idx in layer.groups:
            part = self.op("Gather", z, self.const(idx, np.int64, "units"), axis=1)
            parts.append(self.activation(part, act.name, k))
            order.extend(int(i) for i in idx)
        back = np.argsort(np.array(order))
        return self.op("Gather", self.op("Concat", *parts, axis=1),
                       self.const(back, np.int64, "units"), axis=1)

    def activation(self, x: str, name: str, k: int) -> str:
        """``f(x)`` for the activation called ``name`` (layer ``k``, for the error)."""
        from ..activations import ELU_ALPHA, LEAKY_RELU_SLOPE

        op, c = self.op, self.const
        double = self.dtype == np.float64
        if name in _DIRECT:
            return op(_DIRECT[name], x)
        if name == "softmax":
            return op("Softmax", x, axis=-1)
        if name == "leaky_relu":  # the alpha attribute is a float32, too coarse for float64
            if not double:
                return op("LeakyRelu", x, alpha=LEAKY_RELU_SLOPE)
            return op("Where", op("Greater", x, c(0.0)), x, op("Mul", x, c(LEAKY_RELU_SLOPE)))
        if name == "elu":
            if not double:
                return op("Elu", x, alpha=ELU_ALPHA)
            neg = op("Mul", c(ELU_ALPHA), op("Sub", op("Exp", op("Min", x, c(0.0))), c(1.0)))
            return op("Where", op("Greater", x, c(0.0)), x, neg)
        if name == "softplus":
            if not double:
                return op("Softplus", x)
            tail = op("Log", op("Add", c(1.0), op("Exp", op("Neg", op("Abs", x)))))
            return op("Add", op("Relu", x), tail)
        if name == "threshold":
            return op("Cast", op("GreaterOrEqual", x, c(0.0)), to=_onnx_type(self.dtype))
        if name == "threshold_symmetric":
            return op("Where", op("Less", x, c(0.0)), c(-1.0), c(1.0))
        if name in ("sigmoid_stepwise", "sigmoid_symmetric_stepwise"):
            return self._stepwise(x, name)
        if name in ("gaussian", "gaussian_symmetric"):
            from ..fann.activations import _GAUSSIAN_X_MAX

            m = op("Min", op("Abs", x), c(_GAUSSIAN_X_MAX))
            g = op("Exp", op("Neg", op("Mul", m, m)))
            return g if name == "gaussian" else op("Sub", op("Mul", c(2.0), g), c(1.0))
        if name in ("elliot", "elliot_symmetric"):
            e = op("Div", x, op("Add", c(1.0), op("Abs", x)))
            return e if name == "elliot_symmetric" else op("Add", op("Mul", c(0.5), e), c(0.5))
        if name in ("linear_piece", "linear_piece_symmetric"):
            return op("Clip", x, c(0.0 if name == "linear_piece" else -1.0), c(1.0))
        if name in ("sin", "cos"):
            return op("Add", op("Mul", c(0.5), op(name.capitalize(), x)), c(0.5))
        raise ExportError(
            f"activation {name!r} of layer {k} (weights[{k}]) has no ONNX form; the exportable "
            f"ones are {', '.join(sorted(EXPORTABLE))}. Use one of those for that layer."
        )

    def _stepwise(self, x: str, name: str) -> str:
        from ..fann import activations as fa

        if name == "sigmoid_stepwise":
            xs, ys, low, high = fa.SIGMOID_STEPWISE_X, fa.SIGMOID_STEPWISE_Y, 0.0, 1.0
        else:
            xs, ys = fa.SIGMOID_SYMMETRIC_STEPWISE_X, fa.SIGMOID_SYMMETRIC_STEPWISE_Y
            low, high = -1.0, 1.0
        xp, fp = np.array(xs), np.array(ys)
        widths, slopes = np.diff(xp), np.diff(fp) / np.diff(xp)
        op, c = self.op, self.const
        # np.interp as a sum of ramps: fp[0] + sum_k slope_k * clip(x - xp[k], 0, width_k)
        d = op("Sub", op("Unsqueeze", x, c([-1], np.int64, "axes")), c(xp[:-1]))
        ramps = op("Mul", op("Min", op("Max", d, c(0.0)), c(widths)), c(slopes))
        y = op("Add", c(fp[0]), op("ReduceSum", ramps, c([-1], np.int64, "axes"), keepdims=0))
        y = op("Where", op("Less", x, c(xp[0])), c(low), y)
        return op("Where", op("GreaterOrEqual", x, c(xp[-1])), c(high), y)

    # ------------------------------------------------------------------ outputs
    def head(self, model: Model, out: str) -> list[Any]:
        """Name the graph outputs of ``model`` from the network output ``out``."""
        if model.task == "regression":
            self.rename(self.regress(model, out), "variable")
            return [helper.make_tensor_value_info("variable", TensorProto.DOUBLE,
                                                  [None, model.net.n_outputs])]
        if model.labels is None:
            raise ExportError("a classification model needs its class labels.")
        classes = _classes(model.labels.classes)
        label, proba = self.classify(out, classes)
        self.rename(label, "label")
        self.rename(proba, "probabilities")
        return [
            helper.make_tensor_value_info("label", _onnx_type_of(classes), [None]),
            helper.make_tensor_value_info("probabilities", _onnx_type(self.dtype),
                                          [None, len(classes)]),
        ]

    def regress(self, model: Model, out: str) -> str:
        """Values in the target's units (double), as :meth:`Model.predict` computes them."""
        y = self.unscale(model.target_scaler, self.op("Cast", out, to=TensorProto.DOUBLE))
        if model.target_range is not None:
            lo, hi = np.asarray(model.target_range, dtype=np.float64)
            y = self.op("Min", self.op("Max", y, self.const(lo, np.float64, "low")),
                        self.const(hi, np.float64, "high"))
        return y

    def classify(self, out: str, classes: Array, normalise: bool = False) -> tuple[str, str]:
        """``(label, probabilities)`` from the network output ``out``: one unit ``p`` is
        ``[1 - p, p]`` and label ``p >= 0.5``, several are argmax; ``normalise`` divides rows
        by their sum (the estimator's one-sigmoid-per-class outputs)."""
        c = self.const
        if len(classes) == 2 and not normalise and self._width(out) == 1:
            proba = self.op("Concat", self.op("Sub", c([1.0], hint="one"), out), out, axis=1)
            hit = self.op("Cast", self.op("GreaterOrEqual", out, c(0.5, hint="half")),
                          to=TensorProto.INT64)
            idx = self.op("Squeeze", hit, c([1], np.int64, "axes"))
        else:
            proba = self.op("Identity", out)
            if normalise:
                total = self.op("ReduceSum", out, c([1], np.int64, "axes"), keepdims=1)
                tiny = float(np.finfo(self.dtype).tiny)
                proba = self.op("Div", out, self.op("Max", total, c(tiny, hint="tiny")))
            idx = self.op("ArgMax", out, axis=1, keepdims=0)
        label = self.op("Gather", c(classes, classes.dtype, "classes"), idx, axis=0)
        return label, proba

    def _width(self, name: str) -> int:
        """The number of columns of the network output ``name`` (recorded by :meth:`network`)."""
        return self.widths[name]


_DIRECT = {"identity": "Identity", "sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu",
           "sin_symmetric": "Sin", "cos_symmetric": "Cos"}
#: every activation name :func:`export` writes (FANN's aliases resolve to these)
EXPORTABLE = frozenset((*_DIRECT, "softmax", "leaky_relu", "elu", "softplus", "threshold",
                        "threshold_symmetric", "sigmoid_stepwise", "sigmoid_symmetric_stepwise",
                        "gaussian", "gaussian_symmetric", "elliot", "elliot_symmetric",
                        "linear_piece", "linear_piece_symmetric", "sin", "cos"))


def _minmax(scaler: MinMaxScaler) -> tuple[float, Array]:
    """``(low, factor)`` with ``transform(x) = (x - data_min) * factor + low``, as the scaler."""
    assert scaler.data_min is not None
    assert scaler.data_max is not None
    lo, hi = scaler.feature_range
    span = scaler.data_max - scaler.data_min
    return lo, (hi - lo) / np.where(span == 0, 1.0, span)


def _classes(classes: Sequence[Any]) -> Array:
    """The class labels as a 1-D array of one ONNX-able type (str, bool, int64 or double)."""
    if all(isinstance(c, str) for c in classes):
        return np.array(classes, dtype=object)
    if all(isinstance(c, (bool, np.bool_)) for c in classes):
        return np.array(classes, dtype=np.bool_)
    if all(isinstance(c, (int, np.integer)) and not isinstance(c, bool) for c in classes):
        return np.array(classes, dtype=np.int64)
    if all(isinstance(c, (int, float, np.number)) for c in classes):
        return np.array(classes, dtype=np.float64)
    raise ExportError(f"class labels must be all strings, all booleans or all numbers to "
                      f"export; got {list(classes)!r}.")


def _onnx_type_of(classes: Array) -> int:
    return TensorProto.STRING if classes.dtype == object else _onnx_type(classes.dtype)
