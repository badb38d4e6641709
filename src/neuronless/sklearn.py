"""scikit-learn estimators: :class:`NeuronlessClassifier` and :class:`NeuronlessRegressor`.

Contract: a shell over :mod:`neuronless.pipeline` and nothing else. ``fit`` validates its
input the scikit-learn way (``validate_data``: ``n_features_in_``, ``feature_names_in_``,
finite numbers in plain arrays), hands the rows to :func:`~neuronless.pipeline.prepare` and
trains with :func:`~neuronless.pipeline.fit_prepared`; ``partial_fit`` trains one epoch per
call with the optimizer state carried over (``fit(state=)``). The trained
:class:`~neuronless.model.Model` is ``model_`` (``network_`` its network), so explain, draw,
diagnose and ``save`` work on a fitted estimator. A pandas or polars data frame goes through
the pipeline's column encoders as it is: text and categorical columns are one-hot encoded and
missing cells imputed (with an indicator column), which plain numeric arrays do not allow
(NaN or inf in an array is an error, as scikit-learn's checks expect). Floating-point input
keeps its precision: float32 rows train a float32 network, anything else float64.
This is the only module that imports scikit-learn.

>>> from sklearn.datasets import load_iris
>>> X, y = load_iris(return_X_y=True)
>>> clf = NeuronlessClassifier(hidden_layer_sizes=(8,), batch_size=32, random_state=0).fit(X, y)
>>> clf.classes_.tolist(), clf.network_.sizes, clf.score(X, y) > 0.9
([0, 1, 2], (4, 8, 3), True)
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from .entry import on_dask
from .model import Model
from .network import Network
from .pipeline import (
    DEFAULTS,
    WHOLE_BATCH,
    Options,
    Prepared,
    build_model,
    fit_prepared,
    method_of,
    prepare,
    prepare_like,
    resolve_recipe,
)

Array = NDArray[Any]

__all__ = ["NeuronlessClassifier", "NeuronlessRegressor"]


def _dask_predict(model: Model, X: Any, proba: bool) -> Any:
    """Predictions for a Dask collection, lazily, partition by partition: a dask.array for a
    dask.array; for a dask.dataframe a dask Series (one target), dask DataFrame (several) or,
    for probabilities, a dask.array."""
    from .dask.pipeline import predict

    out = predict(model, X, proba=proba)
    if hasattr(out, "columns"):
        if proba:
            return out.to_dask_array(lengths=True)
        return out[out.columns[0]] if len(out.columns) == 1 else out
    return out


def _is_frame(X: Any) -> bool:
    """A data frame (pandas, polars): its columns go through the pipeline's encoders."""
    return hasattr(X, "columns") and hasattr(X, "dtypes") and not isinstance(X, np.ndarray)


def _frame_dtype(X: Any) -> Any:
    """float32 when every column of the frame is float32, else float64."""
    dtypes = list(X.dtypes) if hasattr(X.dtypes, "__iter__") else [X.dtypes]
    return np.float32 if dtypes and all(str(d).lower() == "float32" for d in dtypes) else np.float64


class _NeuronlessBase(BaseEstimator):  # type: ignore[misc]  # sklearn ships no type hints
    """What both estimators share: parameters -> recipe, fit, partial_fit, warm start."""

    _task = "classification"
    # learned in fit (declared for the type checker; set only by fit)
    model_: Model
    network_: Network
    classes_: Array
    loss_curve_: list[float]
    validation_loss_curve_: list[float]
    n_iter_: int
    t_: int
    _state_: Any
    _prepared_: Prepared

    def __init__(
        self,
        hidden_layer_sizes: Sequence[int] = DEFAULTS.layers,
        activation: str | Sequence[str] = DEFAULTS.hidden,
        *,
        out_activation: str | None = None,
        loss: str | None = None,
        optimizer: str = DEFAULTS.optimizer,
        learning_rate: float | None = None,
        schedule: str | None = None,
        batch_size: int | str | None = "auto",
        max_iter: int = DEFAULTS.epochs,
        alpha: float = DEFAULTS.l2,
        early_stopping: int | None = None,
        tol: float | None = None,
        validation_fraction: float = DEFAULTS.validation_fraction,
        scale: str | None = None,
        label_smoothing: float | None = None,
        random_state: Any = None,
        warm_start: bool = False,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.out_activation = out_activation
        self.loss = loss
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.schedule = schedule
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.alpha = alpha
        self.early_stopping = early_stopping
        self.tol = tol
        self.validation_fraction = validation_fraction
        self.scale = scale
        self.label_smoothing = label_smoothing
        self.random_state = random_state
        self.warm_start = warm_start

    # ------------------------------------------------------------------ settings
    def _recipe(self, opts: Options, incremental: bool = False) -> Any:
        """The pipeline's recipe: DEFAULTS with each parameter that was set applied."""
        hidden = self.activation if isinstance(self.activation, str) else tuple(self.activation)
        given: dict[str, Any] = {
            "layers": tuple(int(v) for v in self.hidden_layer_sizes), "hidden": hidden,
            "optimizer": self.optimizer, "epochs": int(self.max_iter), "l2": float(self.alpha),
            "validation_fraction": float(self.validation_fraction),
        }
        optional = {"learning_rate": self.learning_rate, "scale": self.scale,
                    "min_delta": self.tol, "label_smoothing": self.label_smoothing,
                    "output": self.out_activation}
        given.update({k: v for k, v in optional.items() if v is not None})
        if self.schedule is not None:
            given["schedule"] = None if self.schedule == "none" else self.schedule
        if self.early_stopping is not None:
            given["early_stopping"] = self.early_stopping or None  # 0: every epoch
        if self.batch_size != "auto":
            given["batch_size"] = self.batch_size
        if incremental:  # one epoch per call at a constant rate, nothing held out
            given.update(epochs=1, early_stopping=None, schedule=None, validation_fraction=0.0)
        whole_batch = self.optimizer in WHOLE_BATCH
        if whole_batch:  # scipy's minimizers take none of the step-rule settings
            for key in ("learning_rate", "batch_size", "early_stopping", "schedule"):
                given.pop(key, None)
        if self.optimizer == "cascade":  # Cascade2 grows its own units, FANN's Rprop on MSE
            for key in ("layers", "hidden", "learning_rate", "batch_size", "early_stopping",
                        "schedule", "l2", "label_smoothing"):
                given.pop(key, None)
        recipe = resolve_recipe(None, given, opts)
        if whole_batch or method_of(recipe, opts) != "gradient":
            recipe = recipe.replace(schedule=None, early_stopping=None)
        return recipe

    def _options(self, dtype: Any, seed: int) -> Options:
        return Options(task=self._task, loss=self.loss, seed=seed, dtype=dtype)  # type: ignore[arg-type]

    def _seed(self) -> int:
        """An int seed: ``random_state`` itself, or drawn from it (None: the global RNG)."""
        if isinstance(self.random_state, (int, np.integer)):
            return int(self.random_state)
        return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

    # ------------------------------------------------------------------ input
    def _check_X(self, X: Any, reset: bool) -> tuple[Any, Any]:
        """(rows for the pipeline, their dtype); sets or checks the feature bookkeeping."""
        if _is_frame(X):
            validate_data(self, X, skip_check_array=True, reset=reset)
            if len(X) == 0:
                raise ValueError("Found array with 0 sample(s) while a minimum of 1 is required.")
            return X, _frame_dtype(X)
        X = validate_data(self, X, reset=reset, dtype=[np.float64, np.float32])
        return X, X.dtype.type

    def _check_y(self, y: Any, n: int) -> Array:
        raise NotImplementedError

    def _check_Xy(self, X: Any, y: Any, reset: bool) -> tuple[Any, Array, Any]:
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y "
                             "is None.")
        rows, dtype = self._check_X(X, reset)
        y = self._check_y(y, len(rows))
        if len(y) != len(rows):
            raise ValueError(f"X has {len(rows)} samples but y has {len(y)}; pass one target "
                             "per sample.")
        if len(rows) < 2:
            raise ValueError(f"training needs at least 2 samples; got n_samples = {len(rows)} "
                             "(1 sample).")
        return rows, y, dtype

    # ------------------------------------------------------------------ training
    def _fit(self, X: Any, y: Any, sample_weight: Any, validation_data: Any,
             incremental: bool, classes: Any = None) -> Any:
        fitted = hasattr(self, "model_")
        first = not fitted or not (incremental or self.warm_start)
        if on_dask(X) or on_dask(y):
            return self._fit_dask(X, y, sample_weight, validation_data, incremental, classes,
                                  first)
        if incremental and self.optimizer in (*WHOLE_BATCH, "cascade"):
            raise ValueError(f"partial_fit needs a step-rule optimizer (adam, sgd, momentum, "
                             f"nesterov, rmsprop, rprop, ...); got optimizer={self.optimizer!r}.")
        rows, y, dtype = self._check_Xy(X, y, reset=first)
        self._set_classes(y, classes, first, incremental)
        classes = getattr(self, "classes_", None)
        if not first:
            dtype = self.network_.dtype.type  # a warm start keeps the network's precision
        weights = None if sample_weight is None else _check_sample_weight(sample_weight, rows,
                                                                         dtype=np.float64)
        seed = self._seed() if first else self.model_.info.get("seed", 0)
        opts = self._options(dtype, seed)
        recipe = self._recipe(opts, incremental)
        if first:
            prep = prepare(rows, y, task=self._task, classes=classes)  # type: ignore[arg-type]
            self._prepared_ = prep.take(np.arange(0))
        else:
            prep = prepare_like(self._prepared_, rows, y)
        held = None
        if validation_data is not None:
            held = self._validation(validation_data)
        model = self.model_ if not first else None
        state = None
        if incremental:
            if first:
                model = build_model(prep, recipe, opts)
            assert model is not None
            if first or self._state_ is None:  # after fit: a fresh state, as in sklearn's MLP
                self._state_ = recipe.make_optimizer().init(model.net.params)
            state = self._state_
        else:
            self._state_ = None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # overflow is caught from the loss
            model = fit_prepared(prep, recipe, opts, model=model, validation=held,
                                 sample_weight=weights, state=state)
        self._record(model, len(rows), incremental and not first)
        return self

    def _fit_dask(self, X: Any, y: Any, sample_weight: Any, validation_data: Any,
                  incremental: bool, classes: Any, first: bool) -> Any:
        """``fit``/``partial_fit`` on Dask collections, with the current ``distributed``
        client: ``fit`` runs the pipeline on the cluster (:func:`neuronless.dask.train`);
        ``partial_fit`` is one pass over the blocks, each block's rows fetched in turn and
        given to the in-memory ``partial_fit`` (out-of-core, as dask-ml's ``Incremental``)."""
        if sample_weight is not None or validation_data is not None:
            raise ValueError("sample_weight and validation_data are not available with Dask "
                             "collections; leave them out (early stopping then watches the "
                             "training loss).")
        if incremental:
            from .dask.incremental import fit_incremental

            return fit_incremental(self, X, y, epochs=1, classes=classes)
        if not first:
            raise ValueError("warm_start does not continue on Dask collections; fit again "
                             "without warm_start, or continue with partial_fit.")
        from .dask.pipeline import train as train_on_dask

        meta: Any = getattr(X, "_meta", None)
        dtype = _frame_dtype(meta) if _is_frame(meta) else (
            X.dtype.type if getattr(X, "dtype", None) in (np.float32, np.float64) else np.float64)
        seed = self._seed()
        opts = self._options(dtype, seed)
        recipe = self._recipe(opts)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # overflow is caught from the loss
            model = train_on_dask(X, y, task=self._task, recipe=recipe, seed=seed, dtype=dtype,
                                  loss=self.loss)
        if _is_frame(meta):
            self.feature_names_in_ = np.array([str(c) for c in meta.columns], dtype=object)
            self.n_features_in_ = len(meta.columns)
        else:
            self.n_features_in_ = int(X.shape[1])
        if model.labels is not None:
            self.classes_ = np.asarray(model.labels.classes)
        assert model.encoder is not None
        width = model.net.n_outputs if model.labels is None else 0
        self._prepared_ = Prepared(np.empty((0, model.encoder.n_features)),
                                   np.empty((0, width)) if width else np.empty(0, np.int64),
                                   model.task, model.labels, model.encoder,
                                   list(model.feature_names), list(model.target_names),
                                   "the Dask collection")
        self._state_ = None
        self._record(model, int(model.info["dask"]["rows"]), False)
        return self

    def _set_classes(self, y: Array, classes: Any, first: bool, incremental: bool) -> None:
        """The classifier learns or checks ``classes_`` here; a regressor has none."""

    def _validation(self, validation_data: Any) -> Prepared:
        try:
            Xv, yv = validation_data
        except (TypeError, ValueError):
            raise ValueError("validation_data must be a pair (X_val, y_val).") from None
        rows, _ = self._check_X(Xv, reset=False)
        return prepare_like(self._prepared_, rows, self._check_y(yv, len(rows)))

    def _record(self, model: Model, n_samples: int, more: bool) -> None:
        """Keep the model and the scikit-learn style record of its training."""
        history = model.history
        assert history is not None
        self.model_ = model
        self.network_ = model.net
        epochs = len(history.train_loss)
        if more:
            self.loss_curve_ += list(history.train_loss)
            self.validation_loss_curve_ += list(history.val_loss)
            self.n_iter_ += epochs
            self.t_ += n_samples * epochs
        else:
            self.loss_curve_ = list(history.train_loss)
            self.validation_loss_curve_ = list(history.val_loss)
            self.n_iter_ = epochs
            self.t_ = n_samples * epochs
        self.best_loss_ = min(self.loss_curve_) if self.loss_curve_ else None
        self.n_outputs_ = model.net.n_outputs
        if not np.isfinite(model.net.params).all():
            raise ValueError("Solver produced non-finite parameter weights. The input data may "
                             "contain large values and need to be preprocessed.")
        stopped = history.stopped_reason or ""
        annealed = model.info.get("recipe", {}).get("schedule") == "cosine"  # ends by design
        if (not more and epochs >= self.max_iter and not annealed
                and self.optimizer not in (*WHOLE_BATCH, "cascade")
                and "early stopping" not in stopped):
            warnings.warn(f"{type(self).__name__}: max_iter={self.max_iter} epochs reached "
                          "before training converged; raise max_iter to go further.",
                          ConvergenceWarning, stacklevel=4)

    def _outputs(self, X: Any) -> Array:
        """The network's raw outputs for raw rows, after the checks scikit-learn expects."""
        rows, _ = self._check_X(X, reset=False)
        return np.asarray(self.model_.outputs(rows))

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the fitted model as the bytes of its own ``.nless`` file (a network holds
        functions, which pickle cannot take); the file format itself never pickles."""
        state = dict(super().__getstate__())  # type: ignore[misc]  # may be self.__dict__
        if "model_" in state:
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "model.nless")
                state["model_"].save(path)
                with open(path, "rb") as f:
                    state["model_"] = f.read()
            del state["network_"]
        return state  # type: ignore[no-any-return]

    def __setstate__(self, state: dict[str, Any]) -> None:
        if isinstance(state.get("model_"), bytes):
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "model.nless")
                with open(path, "wb") as f:
                    f.write(state["model_"])
                state["model_"] = Model.load(path)[0]
            state["network_"] = state["model_"].net
        super().__setstate__(state)  # type: ignore[misc]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False  # plain arrays; frames' missing cells are encoded
        return tags


class NeuronlessClassifier(ClassifierMixin, _NeuronlessBase):  # type: ignore[misc]
    """A neuronless network as a scikit-learn classifier: :func:`neuronless.train`'s pipeline.

    Parameters
    ----------
    hidden_layer_sizes : hidden layer sizes (default: :data:`~neuronless.pipeline.DEFAULTS`' 128)
    activation : hidden activation: one name (``"tanh"``, ``"relu"``, ``"sigmoid"``, ...) or
        one per hidden layer
    out_activation : ``None`` (sigmoid for two classes, softmax for more), ``"softmax"`` or
        ``"sigmoid"`` (one unit per class)
    loss : None (the output's cross-entropy) or a loss name (``"mse"``, ...)
    optimizer : adam, adamw, sgd, momentum, nesterov, rmsprop, irprop-, irprop+, rprop,
        quickprop (step rules), lbfgs, cg (scipy's whole-batch minimizers) or cascade
        (Cascade2 grows its hidden units; ``hidden_layer_sizes`` is then unused)
    learning_rate : None: DEFAULTS' 0.004 for adam, the optimizer's own default otherwise
    schedule : None (cosine for the default adam, constant otherwise), ``"none"`` or a
        schedule of :class:`neuronless.pipeline.Recipe` (``"cosine"``, ``"step_decay"``,
        ``"exponential"``, ``"inverse_scaling"``) over ``max_iter`` epochs
    batch_size : ``"auto"`` (DEFAULTS' 256; whole batch for Rprop and Quickprop), an int, or
        None for the whole batch
    max_iter : epochs (iterations for lbfgs and cg)
    alpha : L2 penalty ``alpha/(2n) * sum(W**2)`` over the non-bias weights, where ``n`` is the
        number of samples (the sum of the sample weights): the same formula as scikit-learn's
        MLP ``alpha``, so equal values penalise alike
    early_stopping : None (DEFAULTS: patience 10), 0 (train every epoch) or a patience in
        epochs; watches the validation loss when there are validation rows, else the training
        loss, and restores the best epoch's weights
    tol : the improvement early stopping counts as one (None: DEFAULTS' 1e-4)
    validation_fraction : rows held out (stratified) for early stopping, unless ``fit`` is
        given ``validation_data``
    scale : input scaling, None (DEFAULTS' ``"robust"``), ``"standard"``, ``"minmax"``, ``"none"``
    label_smoothing : None (DEFAULTS' 0.1) or the smoothing of the cross-entropy targets
    random_state : int for bit-identical refits, RandomState, or None
    warm_start : ``fit`` continues from the fitted network (a fresh optimizer state), with
        the encoders and scaler of the first fit

    Attributes
    ----------
    classes_, n_features_in_, feature_names_in_, n_outputs_
    model_ : the trained :class:`~neuronless.model.Model` (encoders, scaler, network, history)
    network_ : ``model_.net``, the :class:`~neuronless.network.Network`
    loss_curve_, validation_loss_curve_ : the loss per epoch (L2 term included in training's)
    n_iter_ : epochs run (across ``partial_fit`` calls); ``t_``: samples seen in training
    best_loss_ : the lowest training loss
    """

    _task = "classification"

    def fit(self, X: Any, y: Any, sample_weight: Any = None,
            validation_data: Any = None) -> NeuronlessClassifier:
        """Train on ``(X, y)``; ``validation_data=(X_val, y_val)`` drives early stopping."""
        return self._fit(X, y, sample_weight, validation_data, False)  # type: ignore[no-any-return]

    def partial_fit(self, X: Any, y: Any, classes: Any = None,
                    sample_weight: Any = None) -> NeuronlessClassifier:
        """One epoch on ``(X, y)``; ``classes`` (every class) is required on the first call."""
        return self._fit(X, y, sample_weight, None, True, classes)  # type: ignore[no-any-return]

    def _set_classes(self, y_arr: Array, classes: Any, first: bool, incremental: bool) -> None:
        check_classification_targets(y_arr)
        if first and incremental and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit "
                             "(every class that any batch will have).")
        if not first:
            if classes is not None and not np.array_equal(np.unique(classes), self.classes_):
                raise ValueError(f"classes={classes!r} is not the same as on the first call "
                                 f"to partial_fit: {self.classes_!r}.")
            unseen = np.setdiff1d(np.unique(y_arr), self.classes_)
            if unseen.size:
                raise ValueError(f"y holds classes {unseen.tolist()!r} that the first fit did "
                                 f"not have ({self.classes_.tolist()!r}); warm_start and "
                                 "partial_fit need the same classes.")
            return
        self.classes_ = np.unique(y_arr if classes is None else np.asarray(classes))
        if len(self.classes_) < 2:
            raise ValueError(f"the classifier needs at least 2 classes; y holds only one class, "
                             f"{self.classes_[0]!r}.")

    def _check_y(self, y: Any, n: int) -> Array:
        out: Array = column_or_1d(np.asarray(y) if not hasattr(y, "to_numpy") else y.to_numpy(),
                                  warn=True)
        if out.dtype.kind == "f" and not np.isfinite(out).all():
            raise ValueError("Input y contains NaN or infinity; every sample needs a class.")
        return out

    def predict(self, X: Any) -> Array:
        """The class of each row, drawn from ``classes_`` (a Dask collection: a lazy one)."""
        check_is_fitted(self)
        if on_dask(X):
            return _dask_predict(self.model_, X, False)  # type: ignore[no-any-return]
        out: Array = self.classes_[self._indices(self._outputs(X))]
        return out

    def predict_proba(self, X: Any) -> Array:
        """Class probabilities ``(n, n_classes)``, columns in the order of ``classes_``."""
        check_is_fitted(self)
        if on_dask(X):
            return _dask_predict(self.model_, X, True)  # type: ignore[no-any-return]
        out = self._outputs(X)
        if out.shape[1] == 1:
            return np.column_stack([1.0 - out[:, 0], out[:, 0]])
        if self.network_.layers[-1].name == "sigmoid":  # one sigmoid per class: normalise
            out = out / np.maximum(out.sum(axis=1, keepdims=True), np.finfo(out.dtype).tiny)
        return out

    def predict_log_proba(self, X: Any) -> Array:
        check_is_fitted(self)
        with np.errstate(divide="ignore"):
            out: Array = np.log(self.predict_proba(X))
        return out

    @staticmethod
    def _indices(out: Array) -> Array:
        return (out[:, 0] >= 0.5).astype(np.int64) if out.shape[1] == 1 else out.argmax(axis=1)


class NeuronlessRegressor(RegressorMixin, _NeuronlessBase):  # type: ignore[misc]
    """A neuronless network as a scikit-learn regressor: :func:`neuronless.train`'s pipeline.

    The parameters and attributes are :class:`NeuronlessClassifier`'s, except that the
    output is linear (``out_activation`` None: identity; any activation name otherwise), the
    loss is the mean squared error on standardised targets (``scale="none"``: raw targets),
    predictions are clipped to the training targets' range and ``y`` may have several
    columns (``n_outputs_``).
    """

    _task = "regression"

    def fit(self, X: Any, y: Any, sample_weight: Any = None,
            validation_data: Any = None) -> NeuronlessRegressor:
        """Train on ``(X, y)``; ``validation_data=(X_val, y_val)`` drives early stopping."""
        return self._fit(X, y, sample_weight, validation_data, False)  # type: ignore[no-any-return]

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> NeuronlessRegressor:
        """One epoch on ``(X, y)``, continuing the optimizer state of earlier calls."""
        return self._fit(X, y, sample_weight, None, True)  # type: ignore[no-any-return]

    def _check_y(self, y: Any, n: int) -> Array:
        out: Array = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y",
                                 ensure_min_samples=0)
        return out if out.ndim == 1 else (out[:, 0] if out.shape[1] == 1 else out)

    def predict(self, X: Any) -> Array:
        """The predicted values: ``(n,)`` for one target, ``(n, n_outputs)`` for several."""
        check_is_fitted(self)
        if on_dask(X):
            return _dask_predict(self.model_, X, False)  # type: ignore[no-any-return]
        rows, _ = self._check_X(X, reset=False)
        return np.asarray(self.model_.predict(rows))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
