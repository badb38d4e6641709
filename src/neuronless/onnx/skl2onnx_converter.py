"""skl2onnx converters for :class:`~neuronless.sklearn.NeuronlessClassifier` and
:class:`~neuronless.sklearn.NeuronlessRegressor`, so a scikit-learn pipeline that ends in one
converts with ``skl2onnx.to_onnx``.

Contract: importing this module registers both converters with skl2onnx
(``update_registered_converter``; :func:`register` does it again, idempotently). A converter
reads only the fitted estimator's ``model_`` (a :class:`~neuronless.model.Model`) and
``classes_``, and emits the graph :func:`neuronless.onnx.export` builds for that model, from
the numeric ``[N, n_features]`` tensor the pipeline's previous step produces: each column
through the model's median imputation (and missing indicator), its scaler, the network, then

- classifier: ``label`` (int64 for numeric classes, string for text, as skl2onnx declares them)
  and ``probabilities`` as the estimator's ``predict_proba`` computes them (one sigmoid unit:
  ``[1 - p, p]``; one sigmoid per class: each row divided by its sum), in the input's float
  type. skl2onnx adds its ``ZipMap`` after it unless ``options={...: {"zipmap": False}}``.
- regressor: ``variable`` ``[N, n_outputs]``, un-scaled and clipped as ``predict``, in the
  input's float type.

An estimator fitted on a data frame with text columns needs its string inputs, which a numeric
tensor cannot carry: export its ``model_`` with :func:`neuronless.onnx.export` instead (one
input per raw column); the converter says so. Numeric classes that are not whole numbers are
refused too (skl2onnx declares integer labels).

"""

from __future__ import annotations

from typing import Any

import numpy as np

from .export import ExportError, _classes, _Graph

CLASSIFIER_ALIAS = "NeuronlessClassifier"
REGRESSOR_ALIAS = "NeuronlessRegressor"


def register() -> None:
    """Register (or re-register) the converters of both estimators with skl2onnx."""
    from skl2onnx import update_registered_converter
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes,
        calculate_linear_regressor_output_shapes,
    )

    from ..sklearn import NeuronlessClassifier, NeuronlessRegressor

    update_registered_converter(
        NeuronlessClassifier, CLASSIFIER_ALIAS, calculate_linear_classifier_output_shapes,
        convert_classifier, options={"zipmap": [True, False, "columns"], "nocl": [True, False]},
    )
    update_registered_converter(
        NeuronlessRegressor, REGRESSOR_ALIAS, calculate_linear_regressor_output_shapes,
        convert_regressor,
    )


def convert_classifier(scope: Any, operator: Any, container: Any) -> None:
    """skl2onnx converter: ``label`` and ``probabilities`` of a fitted NeuronlessClassifier."""
    est = operator.raw_operator
    g, out = _body(scope, operator, container)
    classes = _classes(np.asarray(est.classes_).tolist())
    if classes.dtype.kind in "bf":
        if classes.dtype.kind == "f" and not np.all(classes == np.round(classes)):
            raise ExportError(
                f"skl2onnx declares integer labels, but the classes are {classes.tolist()!r}; "
                "give the estimator integer or string classes, or export its model_ with "
                "neuronless.onnx.export."
            )
        classes = classes.astype(np.int64)
    net = est.model_.net
    normalise = net.n_outputs > 1 and net.layers[-1].name == "sigmoid"
    label, proba = g.classify(out, classes, normalise)
    g.rename(label, operator.outputs[0].full_name)
    g.rename(g.op("Cast", proba, to=_elem_type(operator.outputs[1])),
             operator.outputs[1].full_name)
    _emit(g, container)


def convert_regressor(scope: Any, operator: Any, container: Any) -> None:
    """skl2onnx converter: ``variable`` of a fitted NeuronlessRegressor."""
    g, out = _body(scope, operator, container)
    y = g.regress(operator.raw_operator.model_, out)
    g.rename(g.op("Cast", y, to=_elem_type(operator.outputs[0])), operator.outputs[0].full_name)
    _emit(g, container)


def _body(scope: Any, operator: Any, container: Any) -> tuple[_Graph, str]:
    """The graph from the numeric input to the network output."""
    from onnx import TensorProto

    model = operator.raw_operator.model_
    g = _Graph(np.dtype(model.net.dtype), fresh=scope.get_unique_variable_name)
    x = g.op("Cast", operator.inputs[0].full_name, to=TensorProto.DOUBLE)
    encoder = model.encoder
    if encoder is not None:
        text = [s.name for s in encoder.columns if s.kind == "categorical"]
        if text:
            raise ExportError(
                f"the estimator one-hot encodes the text column(s) {', '.join(map(repr, text))}, "
                "which a numeric input tensor cannot carry; export its model_ with "
                "neuronless.onnx.export(estimator.model_, path) (one input per raw column)."
            )
        columns = {
            spec.name: g.op("Gather", x, g.const([j], np.int64, "column"), axis=1)
            for j, spec in enumerate(encoder.columns)
        }
        x = g.encode(encoder.columns, columns, numeric_only=True)
    return g, g.network(model.net, g.scale(model.scaler, x))


def _elem_type(variable: Any) -> int:
    """The ONNX element type skl2onnx declared for an output variable."""
    return int(variable.type.to_onnx_type().tensor_type.elem_type)


def _emit(g: _Graph, container: Any) -> None:
    """Replay the collected nodes and initializers into skl2onnx's container."""
    from onnx import TensorProto, helper

    for t in g.initializers:
        if t.data_type == TensorProto.STRING:
            container.add_initializer(t.name, t.data_type, list(t.dims), list(t.string_data))
        else:
            container.add_initializer(t.name, t.data_type, list(t.dims), t)
    for node in g.nodes:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        container.add_node(node.op_type, list(node.input), list(node.output),
                           op_domain=node.domain, name=node.name, **attrs)


register()
