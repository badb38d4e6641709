"""Plots of a network and its training with matplotlib (the optional ``plot`` extra).

Contract: each function draws one figure and writes it to ``path`` (PNG, SVG or PDF by its
suffix), atomically, and returns nothing: :func:`plot_weights` (a heatmap per weight
matrix), :func:`plot_hidden` (the first layer's columns as images), :func:`plot_curves`
(training and validation loss, validation accuracy) and :func:`plot_boundary` (the predicted
class over a 2-D input plane). matplotlib is imported only when a function runs, and only
its object-oriented API with the Agg canvas is used, so pyplot's global state and the user's
backend are never touched. Files are reproducible: no dates, no software version, fixed SVG
ids (``svg.hashsalt``).
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .errors import ConfigError, ShapeError
from .files.atomic import atomic_path
from .network import Network

Array = NDArray[Any]
FORMATS = ("png", "svg", "pdf")
_METADATA: dict[str, dict[str, Any]] = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "Creator": None, "Producer": None},
}
BOUNDARY_GRID = 200  # grid points per axis for plot_boundary
BOUNDARY_MARGIN = 0.1  # fraction of the data range added on every side

__all__ = ["plot_boundary", "plot_curves", "plot_hidden", "plot_weights"]


def _format(path: str | os.PathLike[str]) -> str:
    ext = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    if ext not in FORMATS:
        raise ConfigError(
            f"the plot file must end in .png, .svg or .pdf; got {os.fspath(path)!r}."
        )
    return ext


def new_figure(figsize: tuple[float, float], dpi: int = 100) -> Any:
    """A matplotlib Figure on an Agg canvas, or a ConfigError saying how to install it."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ConfigError(
            "plots need matplotlib; install it with pip install 'neuronless[plot]'."
        ) from None
    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Any, path: str | os.PathLike[str]) -> None:
    """Write ``fig`` to ``path`` reproducibly (fixed metadata and SVG ids), atomically."""
    import matplotlib

    fmt = _format(path)
    with atomic_path(path) as tmp, matplotlib.rc_context(
        {"svg.hashsalt": "neuronless", "svg.fonttype": "path"}
    ):
        fig.savefig(tmp, format=fmt, metadata=_METADATA[fmt])


def _check_path(path: str | os.PathLike[str]) -> None:
    _format(path)
    folder = os.path.dirname(os.path.abspath(os.fspath(path)))
    if not os.path.isdir(folder):
        raise ConfigError(f"the folder of {os.fspath(path)} does not exist; create it first.")


def _check_net(net: Any) -> Network:
    if not isinstance(net, Network):
        raise ConfigError(f"net must be a neuronless Network; got {type(net).__name__}.")
    return net


# ---------------------------------------------------------------------------- weights
def plot_weights(net: Network, path: str | os.PathLike[str]) -> None:
    """One heatmap per weight matrix (rows: inputs, last row the bias; columns: units).

    Colours are symmetric around zero (red negative, blue positive) on each matrix's own
    scale; masked connections are blank.
    """
    _check_net(net)
    _check_path(path)
    n = len(net.weights)
    fig = new_figure(figsize=(3.6 * n + 0.8, 4.2))
    masks = net.masks
    for k, W in enumerate(net.weights):
        ax = fig.add_subplot(1, n, k + 1)
        data = np.asarray(W, dtype=np.float64)
        if masks is not None:
            data = np.ma.masked_where(~masks[k], data)
        vmax = float(np.max(np.abs(W))) or 1.0
        im = ax.imshow(data, cmap="RdBu", vmin=-vmax, vmax=vmax, aspect="auto",
                       interpolation="nearest")
        ax.set_title(f"weights[{k}] {W.shape[0]}x{W.shape[1]}", fontsize=9)
        ax.set_xlabel("unit")
        ax.set_ylabel("input (last row: bias)")
        fig.colorbar(im, ax=ax, shrink=0.8)
    fig.tight_layout()
    save_figure(fig, path)


def _image_shape(n_in: int, image_shape: tuple[int, int] | None) -> tuple[int, int]:
    if image_shape is not None:
        shape = tuple(int(s) for s in image_shape)
        if len(shape) != 2 or shape[0] * shape[1] != n_in:
            raise ShapeError(
                f"image_shape must be (height, width) with height * width = {n_in} inputs; "
                f"got {image_shape!r}."
            )
        return shape[0], shape[1]
    side = math.isqrt(n_in)
    if side * side != n_in or n_in < 4:
        raise ShapeError(
            f"the network has {n_in} inputs, not a square image (such as 64 = 8x8 or "
            "784 = 28x28); pass image_shape=(height, width)."
        )
    return side, side


def plot_hidden(
    net: Network, path: str | os.PathLike[str], image_shape: tuple[int, int] | None = None
) -> None:
    """Show each first-layer unit's incoming weights ``weights[0][:-1, j]`` as an image.

    For image inputs this is what each hidden unit looks for; ``image_shape`` defaults to a
    square (64 inputs → 8x8, 784 → 28x28).
    """
    _check_net(net)
    shape = _image_shape(net.n_inputs, image_shape)
    _check_path(path)
    W = np.asarray(net.weights[0][: net.n_inputs], dtype=np.float64)
    n_units = W.shape[1]
    cols = math.ceil(math.sqrt(n_units))
    rows = math.ceil(n_units / cols)
    fig = new_figure(figsize=(1.4 * cols + 0.4, 1.4 * rows + 0.6))
    for j in range(n_units):
        ax = fig.add_subplot(rows, cols, j + 1)
        vmax = float(np.max(np.abs(W[:, j]))) or 1.0
        ax.imshow(W[:, j].reshape(shape), cmap="RdBu", vmin=-vmax, vmax=vmax,
                  interpolation="nearest")
        ax.set_title(f"unit {j}", fontsize=7)
        ax.set_axis_off()
    fig.suptitle("hidden units: weights[0] columns", fontsize=9)
    save_figure(fig, path)


# ---------------------------------------------------------------------------- training
def plot_curves(history: Any, path: str | os.PathLike[str]) -> None:
    """Training and validation loss per epoch, and validation accuracy when recorded.

    ``history`` is a :class:`~neuronless.training.History` or its ``dataclasses.asdict``
    (the ``"history"`` metadata of a model saved by ``neuronless train``).
    """
    h = history if isinstance(history, dict) else getattr(history, "__dict__", None)
    if not isinstance(h, dict) or not h.get("train_loss"):
        raise ConfigError(
            "plot_curves needs a History (or its dict) with at least one epoch of train_loss; "
            "train the model first."
        )
    train = np.asarray(h["train_loss"], dtype=np.float64)
    epochs = np.asarray(h.get("epoch") or range(len(train)), dtype=np.float64)
    if len(epochs) != len(train):
        epochs = np.arange(len(train), dtype=np.float64)
    val = np.asarray(h.get("val_loss") or [], dtype=np.float64)
    acc = np.asarray((h.get("val_metrics") or {}).get("accuracy") or [], dtype=np.float64)
    _check_path(path)
    n = 2 if acc.size else 1
    fig = new_figure(figsize=(5.0 * n, 3.8))
    ax = fig.add_subplot(1, n, 1)
    ax.plot(epochs, train, label="training loss")
    if val.size:
        ax.plot(epochs[: val.size], val, label="validation loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend()
    if acc.size:
        ax2 = fig.add_subplot(1, n, 2)
        ax2.plot(epochs[: acc.size], acc, color="tab:green")
        ax2.set_xlabel("epoch")
        ax2.set_ylabel("validation accuracy")
        ax2.set_ylim(0.0, 1.05)
    fig.tight_layout()
    save_figure(fig, path)


def plot_boundary(model: Any, X: Any, y: Any, path: str | os.PathLike[str]) -> None:
    """The predicted class over the plane of two input features, with the data on top.

    ``model`` is a :class:`~neuronless.model.Model` (classification; ``X`` in raw units,
    ``y`` original labels) or a :class:`Network` (``X`` as the network sees it; ``y`` class
    indices or one-hot rows). The grid has ``BOUNDARY_GRID`` points per axis.
    """
    from .classification import labels_from
    from .model import Model

    X2 = np.asarray(X, dtype=np.float64)
    if X2.ndim != 2 or X2.shape[1] != 2 or len(X2) == 0:
        raise ShapeError(
            f"plot_boundary needs X with shape (n_samples, 2): two features; got {X2.shape}."
        )
    y_arr = np.asarray(y)
    if len(y_arr) != len(X2):
        raise ShapeError(f"y must have one entry per row of X ({len(X2)}); got {len(y_arr)}.")
    if isinstance(model, Model):
        if model.labels is None:
            raise ConfigError("plot_boundary needs a classification model; this one is regression.")
        labels = model.labels
        n_classes = labels.n_classes
        n_in = model.net.n_inputs

        def classify(G: Array) -> Array:
            return np.asarray(labels.transform(model.predict(G)))

        if y_arr.ndim == 2:
            y_arr = y_arr.argmax(axis=1)
        y_idx = np.asarray(labels.transform(y_arr))
    elif isinstance(model, Network):
        net = model
        n_in = net.n_inputs
        n_classes = max(2, net.n_outputs)

        def classify(G: Array) -> Array:
            return labels_from(net.forward(G.astype(net.dtype)))

        y_idx = y_arr.argmax(axis=1) if y_arr.ndim == 2 else y_arr.astype(np.int64)
    else:
        raise ConfigError(f"model must be a Model or a Network; got {type(model).__name__}.")
    if n_in != 2:
        raise ShapeError(
            f"plot_boundary needs a network with 2 inputs; this one has {n_in}."
        )
    _check_path(path)
    lo, hi = X2.min(axis=0), X2.max(axis=0)
    pad = BOUNDARY_MARGIN * np.where(hi > lo, hi - lo, 1.0)
    gx = np.linspace(lo[0] - pad[0], hi[0] + pad[0], BOUNDARY_GRID)
    gy = np.linspace(lo[1] - pad[1], hi[1] + pad[1], BOUNDARY_GRID)
    xx, yy = np.meshgrid(gx, gy)
    zz = classify(np.column_stack([xx.ravel(), yy.ravel()])).reshape(xx.shape)
    fig = new_figure(figsize=(5.0, 4.5))
    ax = fig.add_subplot(1, 1, 1)
    levels = np.arange(n_classes + 1) - 0.5
    ax.contourf(xx, yy, zz, levels=levels, cmap="Set1", vmin=-0.5, vmax=n_classes - 0.5,
                alpha=0.3)
    ax.scatter(X2[:, 0], X2[:, 1], c=y_idx, cmap="Set1", vmin=-0.5, vmax=n_classes - 0.5,
               edgecolors="black", linewidths=0.5, s=20)
    names = getattr(model, "feature_names", None) or ["feature 0", "feature 1"]
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.set_title("decision boundary")
    fig.tight_layout()
    save_figure(fig, path)
