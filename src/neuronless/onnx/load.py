"""ONNX -> Model: read the multilayer perceptron in an ONNX graph, without running anything.

Contract: :func:`load` parses the file with onnx's protobuf classes only (no onnxruntime, no
external data, no custom operators) and follows the numeric path from the graph's one input:

- optional **input scaling** before the first layer: ``Sub``/``Div``/``Mul``/``Add`` by a
  constant, or ``ai.onnx.ml.Scaler``; together one per-column affine map, which becomes the
  Model's :class:`~neuronless.data.scaling.StandardScaler`. ``Cast`` (to a float type),
  ``Identity``, ``Dropout``, ``Flatten(axis=1)`` and a ``Reshape`` to ``(batch, n)`` are read
  as no-ops;
- **layers**: ``Gemm`` (``alpha``, ``beta``, ``transB``; constant weights and bias) or
  ``MatMul`` by a constant with an optional ``Add`` of a constant bias, each followed by at
  most one of ``Relu``, ``Tanh``, ``Sigmoid``, ``LeakyRelu(alpha=0.01)``, ``Elu(alpha=1)``,
  ``Softplus``, ``Softmax`` over the last axis (none: identity);
- an optional **classifier tail** after the last layer (skl2onnx's ``ArgMax``, ``ZipMap``,
  ``ArrayFeatureExtractor``, ``Reshape``, ``Cast``, ``Identity``, and ``1 - p`` with
  ``Concat`` for a binary classifier), whose class labels the Model keeps.

That is what ``torch.onnx.export`` of an ``nn.Sequential`` writes (``Gemm`` with
``transB=1``, or ``MatMul`` + ``Add``), what skl2onnx writes for ``MLPClassifier`` and
``MLPRegressor`` (and a ``StandardScaler`` or ``MinMaxScaler`` before them), and the
``MatMul`` + ``Add`` chains of Keras converters. A classifier's labels come from the tail;
without one, a graph ending in ``Softmax`` is a classifier of labels ``0..k-1`` and any other
a regression. Anything else is one :class:`~neuronless.errors.ModelFormatError` naming the
first node that cannot be read (its op type and name); a truncated or foreign file is a
ModelFormatError too.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import ModelFormatError, NeuronlessError

Array = NDArray[Any]

#: ONNX activation op -> our activation name
_ACTIVATIONS = {"Relu": "relu", "Tanh": "tanh", "Sigmoid": "sigmoid", "Softplus": "softplus",
                "LeakyRelu": "leaky_relu", "Elu": "elu", "Softmax": "softmax"}
#: ops read as no-ops anywhere on the numeric path
_PASS = ("Identity", "Dropout")
#: ops a classifier or regressor may end with, after the network's output
_TAIL = ("ArgMax", "ZipMap", "ArrayFeatureExtractor", "Gather", "Reshape", "Cast", "Identity",
         "Concat", "Sub", "Flatten", "Squeeze", "Unsqueeze", "GreaterOrEqual", "Greater")
_AFFINE = ("Mul", "Div", "Add", "Sub")
_FLOAT_TYPES = {1: np.float32, 10: np.float16, 11: np.float64}  # TensorProto FLOAT, FLOAT16, DOUBLE
_READS = ("chains of Gemm or MatMul+Add layers with Relu, Tanh, Sigmoid, LeakyRelu(alpha=0.01), "
          "Elu(alpha=1), Softplus or Softmax, optional input scaling (Sub/Div, Mul/Add, Scaler) "
          "and a classifier's ArgMax/ZipMap outputs")


def load(path: str | os.PathLike[str]) -> Any:
    """Read the MLP in the ONNX file ``path`` as a :class:`~neuronless.model.Model`.

    The graph is parsed, never run; see the module docstring for what it may hold. Raises
    ModelFormatError for a file that is not ONNX, is truncated, keeps its weights in external
    data, or holds a node outside an MLP (named in the message).
    """
    source = os.fspath(path)
    with open(source, "rb") as f:
        data = f.read()
    return load_bytes(data, source)


def load_bytes(data: bytes, source: str = "the ONNX model") -> Any:
    """:func:`load` for the bytes of an ONNX file; ``source`` names it in messages."""
    try:
        import onnx
    except ImportError as e:
        raise ModelFormatError(f"reading {source} needs the onnx package ({e}); install it with "
                               "pip install 'neuronless[onnx]'.") from None
    try:
        proto = onnx.load_model_from_string(data)
    except Exception:  # protobuf raises DecodeError, RuntimeError and others on foreign bytes
        raise ModelFormatError(
            f"{source} is not an ONNX model (truncated, or another kind of file)."
        ) from None
    try:
        return _Reader(proto, source).model()
    except ModelFormatError:
        raise
    except NeuronlessError as e:
        raise ModelFormatError(f"{source}: {e}") from None
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as e:
        raise ModelFormatError(
            f"{source} is not a well-formed ONNX model ({type(e).__name__}: {e})."
        ) from None


class _Reader:
    """One pass over a parsed graph: constants, who consumes what, then the numeric path."""

    def __init__(self, proto: Any, source: str) -> None:
        self.source = source
        graph = proto.graph
        if not proto.HasField("graph") or not len(graph.node):
            raise ModelFormatError(f"{source} holds no ONNX graph (no nodes); it is not a model "
                                   "file, or it is truncated.")
        self.opset = next((int(o.version) for o in proto.opset_import if o.domain in ("", "ai.onnx")),
                          0)
        self.producer = f"{proto.producer_name} {proto.producer_version}".strip()
        self.nodes = list(graph.node)
        self.consts: dict[str, Array] = {}
        for t in graph.initializer:
            self.consts[t.name] = self._array(t)
        for t in graph.sparse_initializer:
            raise ModelFormatError(f"{source}: sparse initializer {t.values.name!r} is not read; "
                                   "store the weights as dense initializers.")
        self.read: set[int] = set()
        for i, node in enumerate(self.nodes):
            if node.op_type == "Constant" and node.domain in ("", "ai.onnx"):
                self.consts[node.output[0]] = self._constant(node)
                self.read.add(i)
        self.consumers: dict[str, list[int]] = {}
        for i, node in enumerate(self.nodes):
            for name in node.input:
                if name:
                    self.consumers.setdefault(name, []).append(i)
        inputs = [v for v in graph.input if v.name not in self.consts]
        if len(inputs) != 1:
            raise ModelFormatError(
                f"{source} has {len(inputs)} graph inputs ({', '.join(v.name for v in inputs)}); "
                "an MLP has one, the feature matrix."
            )
        self.input = inputs[0].name
        self.outputs = {v.name for v in graph.output}

    # ---------------------------------------------------------------- constants
    def _array(self, tensor: Any) -> Array:
        from onnx import TensorProto, numpy_helper

        if tensor.data_location == TensorProto.EXTERNAL or len(tensor.external_data):
            raise ModelFormatError(
                f"{self.source} keeps tensor {tensor.name!r} in external data, which is never "
                "read; save the model with its weights inside the file."
            )
        arr: Array = numpy_helper.to_array(tensor)
        if arr.dtype == object:
            arr = np.array([v.decode("utf-8") if isinstance(v, bytes) else v for v in arr.ravel()],
                           dtype=object).reshape(arr.shape)
        return arr

    def _constant(self, node: Any) -> Array:
        from onnx import helper

        if len(node.attribute) != 1:
            raise self._cannot(node, " (a Constant needs exactly one value)")
        attr = node.attribute[0]
        if attr.name in ("value", "sparse_value"):
            if attr.name == "sparse_value":
                raise self._cannot(node, " (sparse constants are not read)")
            return self._array(attr.t)
        value = helper.get_attribute_value(attr)
        if attr.name in ("value_float", "value_floats"):
            return np.asarray(value, dtype=np.float32)
        if attr.name in ("value_int", "value_ints"):
            return np.asarray(value, dtype=np.int64)
        return np.asarray([v.decode("utf-8") if isinstance(v, bytes) else v for v in value]
                          if isinstance(value, list) else value, dtype=object)

    def _const(self, name: str) -> Array | None:
        return self.consts.get(name)

    # ---------------------------------------------------------------- errors
    def _cannot(self, node: Any, why: str = "") -> ModelFormatError:
        kind = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}.{node.op_type}"
        name = f"{node.name!r}" if node.name else "(unnamed)"
        return ModelFormatError(
            f"{self.source}: cannot read node {name} (op {kind}){why}; neuronless reads {_READS}."
        )

    @staticmethod
    def _attrs(node: Any) -> dict[str, Any]:
        from onnx import helper

        return {a.name: helper.get_attribute_value(a) for a in node.attribute}

    # ---------------------------------------------------------------- the numeric path
    def _next(self, tensor: str) -> tuple[int, Any] | None:
        """The one node consuming ``tensor`` (None if none, several, or it is an output)."""
        users = self.consumers.get(tensor, [])
        if len(users) > 1:
            chain = [j for j in users if self.nodes[j].op_type not in _TAIL]
            if chain:  # a branch: name the node that reads the tensor besides the path
                other = self.nodes[users[0] if chain[-1] != users[0] else users[1]]
                name = other.name or other.op_type
                raise self._cannot(self.nodes[chain[-1]], f" (it reads {tensor!r}, which also "
                                   f"feeds {name!r}: a graph that branches is not an MLP)")
        if len(users) != 1 or tensor in self.outputs:
            return None
        return users[0], self.nodes[users[0]]

    def _other(self, node: Any, cur: str) -> tuple[int, Array | None]:
        """For a binary op on ``cur``: the position of ``cur`` and the other operand's
        constant value (None if it is not constant)."""
        ins = list(node.input)
        if len(ins) != 2 or cur not in ins or ins[0] == ins[1]:
            return -1, None
        pos = ins.index(cur)
        return pos, self._const(ins[1 - pos])

    def model(self) -> Any:
        from ..data.scaling import StandardScaler
        from ..model import Model
        from ..network import Network

        cur = self.input
        scale: Array = np.ones(1)  # the input scaling so far: x * scale + shift, per column
        shift: Array = np.zeros(1)
        reshape_to: list[int] = []
        weights: list[Array] = []
        acts: list[str | None] = []
        target: tuple[Array, Array] | None = None  # after the last activation: y * a + c
        clip: tuple[Array, Array] | None = None  # then clipped to [low, high]
        while (step := self._next(cur)) is not None:
            i, node = step
            op = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}.{node.op_type}"
            attrs = self._attrs(node)
            out = node.output[0] if len(node.output) else ""
            if op in _PASS or (op == "Cast" and attrs.get("to") in _FLOAT_TYPES):
                pass
            elif op in ("Gemm", "MatMul") and (target is not None or clip is not None):
                raise self._cannot(node, " (a layer after the output's scaling or clipping)")
            elif op == "Gemm":
                weights.append(self._gemm(node, cur, attrs))
                acts.append(None)
            elif op == "MatMul":
                pos, B = self._other(node, cur)
                if pos != 0 or B is None or B.ndim != 2:
                    raise self._cannot(node, " (a layer multiplies the input by a constant "
                                       "2-D weight matrix on its right)")
                weights.append(np.vstack([B, np.zeros((1, B.shape[1]), dtype=B.dtype)])
                               .astype(_float(B.dtype)))
                acts.append(None)
            elif op in _AFFINE and weights and acts[-1] is None and target is None:
                self._fold(node, op, cur, weights[-1])  # z * a + c: still the same layer
            elif op in _AFFINE and weights and clip is None and not self._has_classes():
                target = self._scaling(node, op, cur, attrs, *(target or (np.ones(1), np.zeros(1))))
            elif op in ("Max", "Min", "Clip") and weights and not self._has_classes():
                clip = self._clip(node, op, cur, clip or (np.full(1, -np.inf), np.full(1, np.inf)))
            elif op in _ACTIVATIONS and weights and acts[-1] is None and target is None:
                acts[-1] = self._activation(node, op, attrs)
            elif not weights and op in ("Sub", "Div", "Mul", "Add", "ai.onnx.ml.Scaler"):
                scale, shift = self._scaling(node, op, cur, attrs, scale, shift)
            elif not weights and op == "Flatten" and int(attrs.get("axis", 1)) == 1:
                pass
            elif not weights and op == "Reshape" and self._batch_reshape(node) is not None:
                reshape_to = self._batch_reshape(node) or []
            else:
                break
            self.read.add(i)
            cur = out
        self._check_tail(cur)
        if not weights:
            raise ModelFormatError(f"{self.source} has no Gemm or MatMul layer on the path from "
                                   f"its input {self.input!r}; neuronless reads {_READS}.")
        n_in = weights[0].shape[0] - 1
        if reshape_to and reshape_to[-1] not in (-1, n_in):
            raise ModelFormatError(f"{self.source}: the input is reshaped to {reshape_to}, which "
                                   f"does not fit the first layer's {n_in} inputs.")
        for k in range(1, len(weights)):
            if weights[k].shape[0] - 1 != weights[k - 1].shape[1]:
                raise ModelFormatError(
                    f"{self.source}: layer {k + 1} takes {weights[k].shape[0] - 1} inputs but "
                    f"layer {k} gives {weights[k - 1].shape[1]}."
                )
        dtype = np.float64 if weights[0].dtype == np.float64 else np.float32
        net = Network.from_weights(weights, [a or "identity" for a in acts], dtype=dtype)
        scaler = None
        a = np.broadcast_to(scale, (n_in,)).astype(np.float64)
        b = np.broadcast_to(shift, (n_in,)).astype(np.float64)
        if not (np.all(a == 1.0) and np.all(b == 0.0)):
            if not np.all(np.isfinite(a) & (a != 0)) or not np.all(np.isfinite(b)):
                raise ModelFormatError(f"{self.source}: the input scaling multiplies by 0 or a "
                                       "non-finite number; it is not an invertible scaling.")
            scaler = StandardScaler(mean=-b / a, scale=1.0 / a)
        classes = self._classes()
        info = {"onnx_producer": self.producer, "onnx_opset": self.opset}
        if classes is None and net.layers[-1].name == "softmax":
            classes = list(range(net.n_outputs))
        if classes is None:
            n = net.n_outputs
            target_scaler = None
            if target is not None:
                ta, tc = (np.broadcast_to(v, (n,)).astype(np.float64) for v in target)
                if not np.all(np.isfinite(ta) & (ta != 0)) or not np.all(np.isfinite(tc)):
                    raise ModelFormatError(f"{self.source}: the output scaling multiplies by 0 "
                                           "or a non-finite number.")
                target_scaler = StandardScaler(mean=tc, scale=ta)
            target_range = None
            if clip is not None:
                lo, hi = (np.broadcast_to(v, (n,)).astype(np.float64) for v in clip)
                if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
                    raise ModelFormatError(f"{self.source}: the output is clipped on one side "
                                           "only; neuronless clips to a finite [low, high].")
                target_range = [lo.tolist(), hi.tolist()]
            model = Model(net, "regression", None, scaler, target_scaler,
                          target_range=target_range)
        else:
            from ..data.labels import Labels

            if net.n_outputs not in (1, len(classes)) or (net.n_outputs == 1 and len(classes) != 2):
                raise ModelFormatError(f"{self.source}: {len(classes)} class labels do not fit "
                                       f"{net.n_outputs} output units.")
            model = Model(net, "classification", Labels(classes), scaler)
        model.info = info
        return model

    def _row(self, c: Array, n: int) -> Array | None:
        """A constant broadcast along the batch as one row of ``n`` values, or None."""
        if c.dtype.kind != "f" or c.ndim > 2 or (c.ndim == 2 and c.shape[0] != 1) or c.size not in (1, n):
            return None
        return np.broadcast_to(c.reshape(-1), (n,))

    def _has_classes(self) -> bool:
        return any(n.op_type in ("ZipMap", "ArrayFeatureExtractor", "Gather") for n in self.nodes)

    def _operand(self, node: Any, op: str, cur: str, n: int) -> tuple[int, Array]:
        """The constant operand of a binary op on ``cur``, as ``n`` values per row."""
        pos, c = self._other(node, cur)
        row = None if c is None else self._row(c, n)
        if row is None:
            raise self._cannot(node, f" ({op} by a constant: one number or one per unit, {n})")
        if op == "Div" and pos != 0:
            raise self._cannot(node, " (it divides a constant by the values)")
        return pos, row.astype(np.float64)

    def _fold(self, node: Any, op: str, cur: str, W: Array) -> None:
        """``z * a + c`` by a constant after a layer is the same layer with other weights."""
        pos, v = self._operand(node, op, cur, W.shape[1])
        if op == "Mul":
            W *= v.astype(W.dtype)
        elif op == "Div":
            W /= v.astype(W.dtype)
        elif op == "Add":
            W[-1] += v.astype(W.dtype)
        elif pos == 0:  # Sub: z - c
            W[-1] -= v.astype(W.dtype)
        else:  # c - z
            W *= -1
            W[-1] += v.astype(W.dtype)

    def _clip(self, node: Any, op: str, cur: str, clip: tuple[Array, Array]) -> tuple[Array, Array]:
        lo, hi = clip
        if op == "Clip":
            ins = list(node.input)
            lo_c = self._const(ins[1]) if len(ins) > 1 and ins[1] else None
            hi_c = self._const(ins[2]) if len(ins) > 2 and ins[2] else None
            attrs = self._attrs(node)  # opset < 11 keeps min and max as attributes
            lo_v = lo_c if lo_c is not None else attrs.get("min")
            hi_v = hi_c if hi_c is not None else attrs.get("max")
            if ins[0] != cur or (len(ins) > 1 and ins[1] and lo_c is None) or (
                    len(ins) > 2 and ins[2] and hi_c is None):
                raise self._cannot(node, " (it clips by values that are not constants)")
            new_lo = lo if lo_v is None else np.maximum(lo, float(np.asarray(lo_v)))
            new_hi = hi if hi_v is None else np.minimum(hi, float(np.asarray(hi_v)))
            return np.minimum(new_lo, new_hi), new_hi
        _, c = self._other(node, cur)
        if c is None or c.dtype.kind != "f" or c.ndim > 2 or (c.ndim == 2 and c.shape[0] != 1):
            raise self._cannot(node, f" ({op} with a constant: one number or one per output)")
        v = c.reshape(-1).astype(np.float64)
        if op == "Max":
            return np.maximum(lo, v), np.maximum(hi, v)
        return np.minimum(lo, v), np.minimum(hi, v)

    def _gemm(self, node: Any, cur: str, attrs: dict[str, Any]) -> Array:
        ins = list(node.input)
        B = self._const(ins[1]) if len(ins) > 1 else None
        C = self._const(ins[2]) if len(ins) > 2 and ins[2] else None
        if ins[0] != cur or B is None or B.ndim != 2 or B.dtype.kind != "f" or attrs.get("transA", 0):
            raise self._cannot(node, " (a layer is Gemm(input, constant weights, constant bias) "
                               "without transA)")
        if len(ins) > 2 and ins[2] and C is None:
            raise self._cannot(node, " (its bias is not a constant)")
        W = (B.T if attrs.get("transB", 0) else B) * float(attrs.get("alpha", 1.0))
        bias = np.zeros(W.shape[1], dtype=W.dtype)
        if C is not None:
            row = self._row(C, W.shape[1])
            if row is None:
                raise self._cannot(node, f" (its bias has shape {C.shape}; a layer's bias holds "
                                   f"one value per unit, {W.shape[1]})")
            bias = row * float(attrs.get("beta", 1.0))
        return np.vstack([W, bias.reshape(1, -1).astype(W.dtype)]).astype(_float(W.dtype))

    def _activation(self, node: Any, op: str, attrs: dict[str, Any]) -> str:
        from ..activations import ELU_ALPHA, LEAKY_RELU_SLOPE

        if op == "LeakyRelu" and not _close(attrs.get("alpha", 0.01), LEAKY_RELU_SLOPE):
            raise self._cannot(node, f" (alpha={attrs.get('alpha')}; neuronless's leaky_relu "
                               f"has slope {LEAKY_RELU_SLOPE})")
        if op == "Elu" and not _close(attrs.get("alpha", 1.0), ELU_ALPHA):
            raise self._cannot(node, f" (alpha={attrs.get('alpha')}; neuronless's elu has "
                               f"alpha {ELU_ALPHA})")
        if op == "Softmax" and int(attrs.get("axis", -1 if self.opset >= 13 else 1)) not in (-1, 1):
            raise self._cannot(node, f" (softmax over axis {attrs.get('axis')}; a layer's "
                               "softmax is over its units, the last axis)")
        return _ACTIVATIONS[op]

    def _scaling(self, node: Any, op: str, cur: str, attrs: dict[str, Any], scale: Array,
                 shift: Array) -> tuple[Array, Array]:
        """The affine input map after one more scaling node: ``x * scale + shift``."""
        if op == "ai.onnx.ml.Scaler":  # y = (x - offset) * scale
            off = np.asarray(attrs.get("offset", [0.0]), dtype=np.float64)
            mul = np.asarray(attrs.get("scale", [1.0]), dtype=np.float64)
            return scale * mul, (shift - off) * mul
        pos, c = self._other(node, cur)
        if c is None or c.dtype.kind != "f" or c.ndim > 2 or (c.ndim == 2 and c.shape[0] != 1):
            raise self._cannot(node, " (input scaling is by a constant: one number or one per "
                               "column)")
        if op in ("Sub", "Div") and pos != 0:
            raise self._cannot(node, " (input scaling subtracts or divides a constant from the "
                               "input, not the input from a constant)")
        v = c.reshape(-1).astype(np.float64)
        if op == "Sub":
            return scale, shift - v
        if op == "Add":
            return scale, shift + v
        if op == "Mul":
            return scale * v, shift * v
        return scale / v, shift / v

    def _batch_reshape(self, node: Any) -> list[int] | None:
        shape = self._const(node.input[1]) if len(node.input) > 1 else None
        if shape is None or shape.ndim != 1 or shape.size != 2 or shape.dtype.kind not in "iu":
            return None
        dims = [int(v) for v in shape]
        return dims if dims[0] in (-1, 0) else None

    # ---------------------------------------------------------------- after the network
    def _check_tail(self, end: str) -> None:
        """Every node not read so far must be a classifier's or regressor's output node fed by
        the network's output (or by another such node); else name the first that is not."""
        fed = {end}
        for i, node in enumerate(self.nodes):
            if i in self.read:
                continue
            ins = [n for n in node.input if n]
            from_net = any(n in fed for n in ins)
            others_const = all(n in fed or n in self.consts for n in ins)
            if node.op_type in _TAIL and node.domain in ("", "ai.onnx", "ai.onnx.ml") \
                    and from_net and others_const:
                fed.update(node.output)
                continue
            raise self._cannot(node)

    def _classes(self) -> list[Any] | None:
        """Class labels from a ZipMap's attributes or an ArrayFeatureExtractor's constant."""
        for i, node in enumerate(self.nodes):
            if i in self.read:
                continue
            attrs = self._attrs(node)
            if node.op_type == "ZipMap":
                labels = attrs.get("classlabels_strings") or attrs.get("classlabels_int64s")
                if labels:
                    return [v.decode("utf-8") if isinstance(v, bytes) else int(v) for v in labels]
            if node.op_type in ("ArrayFeatureExtractor", "Gather"):
                c = self._const(node.input[0])
                if c is not None and c.ndim == 1:
                    return [v.item() if isinstance(v, np.generic) else v for v in c]
        return None


def _float(dtype: Any) -> Any:
    return np.float64 if np.dtype(dtype) == np.float64 else np.float32


def _close(value: Any, expected: float) -> bool:
    """Attributes are stored as float32: 0.01 comes back as 0.0099999998."""
    return abs(float(value) - expected) <= 1e-6 * max(1.0, abs(expected))
