"""A playground session: its data, its network, its training thread and its snapshots.

Contract: a :class:`Run` is pure and deterministic (no threads, no clock): the prepared rows
(:func:`neuronless.pipeline.prepare`), the model :func:`~neuronless.pipeline.build_model`
draws from the seed, a :class:`~neuronless.training.Trainer`, and :meth:`Run.step`, one
mini-batch from a seeded per-epoch shuffle. A :class:`Session` wraps one run with a lock and a
training thread, and turns it into JSON snapshots (weights, decimated loss curves, metrics,
heatmaps on a grid); :class:`Sessions` holds at most ``CAPS["sessions"]`` of them and drops
idle ones. Nothing here knows HTTP.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..classification import one_hot
from ..errors import ConfigError, NeuronlessError
from ..explain import explain, render
from ..model import Model, classification_metrics, regression_metrics
from ..pipeline import RATELESS, Options, Prepared, Recipe, build_model, prepare
from ..training import Trainer
from .config import CAPS, FANN_SGD, SCHEDULE_EPOCHS, UPLOAD, Config
from .data import builtin_table, split_rows

Array = NDArray[Any]


class SessionError(NeuronlessError):
    """A request the session cannot follow; ``status`` is the HTTP status it maps to."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def prepare_builtin(config: Config) -> Prepared:
    table = builtin_table(config.dataset, config.n, config.noise, config.seed)
    return prepare(table, "label", task="classification")


def batch_size_of(config: Config, n_train: int) -> int:
    """The mini-batch a config trains on: its ``batch_size``, or FANN's mode's."""
    fixed = FANN_SGD.get(config.optimizer)
    return config.batch_size if fixed is None else fixed or n_train


def recipe_of(config: Config, n_train: int) -> Recipe:
    """The pipeline's recipe for a config; Rprop and SARPROP take no rate and no schedule."""
    hidden: str | tuple[str, ...] = config.activations if config.layers else "tanh"
    rateless = config.optimizer in RATELESS
    optimizer = "sgd" if config.optimizer in FANN_SGD else config.optimizer
    return Recipe(layers=config.layers, hidden=hidden, optimizer=optimizer,
                  learning_rate=None if rateless else config.learning_rate,
                  batch_size=batch_size_of(config, n_train), l2=config.l2,
                  schedule=None if rateless else config.schedule, epochs=SCHEDULE_EPOCHS,
                  scale="standard")


def encode_targets(model: Model, targets: Array) -> Array:
    """Prepared targets -> what the network trains towards (0/1 columns or scaled values)."""
    if model.labels is None:
        ts = model.target_scaler
        return np.asarray(ts.transform(targets) if ts is not None else targets, dtype=np.float64)
    if model.net.n_outputs == 1:
        return targets.reshape(-1, 1).astype(np.float64)
    return one_hot(targets, model.labels.n_classes, dtype=np.float64)


class Run:
    """One deterministic training run: same prepared data and config, same weights."""

    def __init__(self, prep: Prepared, config: Config) -> None:
        self.prep, self.config = prep, config
        self.train_rows, self.test_rows = split_rows(len(prep.targets), config.train_fraction,
                                                     config.seed)
        recipe = recipe_of(config, len(self.train_rows))
        self.batch_size = int(recipe.batch_size or len(self.train_rows))
        opts = Options(loss=config.loss, seed=config.seed, dtype=np.float64)
        self.model = build_model(prep, recipe, opts, self.train_rows)
        self.X_train, self.Y_train = self.inputs(self.train_rows)
        self.X_test, self.Y_test = self.inputs(self.test_rows)
        self.trainer = Trainer(self.model.net, config.loss, recipe.make_optimizer(),
                               batch_size=self.batch_size, l2=config.l2)
        self.schedule = recipe.make_schedule()
        self.rng = np.random.default_rng(config.seed)
        self.order = self.rng.permutation(len(self.train_rows))
        self.cursor = self.epoch = self.steps = 0
        self.edits: list[tuple[int, int, int, int, float]] = []

    def inputs(self, rows: Array) -> tuple[Array, Array]:
        X = self.prep.X[rows]
        if self.model.scaler is not None:
            X = self.model.scaler.transform(X)
        return (np.ascontiguousarray(X, dtype=np.float64),
                encode_targets(self.model, self.prep.targets[rows]))

    def step(self) -> float:
        """One mini-batch of the current epoch's shuffle; a new shuffle after the last one."""
        batch = self.order[self.cursor:self.cursor + self.batch_size]
        lr = self.schedule(self.epoch) if self.schedule is not None else None
        loss = self.trainer.step(self.X_train[batch], self.Y_train[batch], learning_rate=lr)
        self.steps += 1
        self.cursor += len(batch)
        if self.cursor >= len(self.order):
            self.epoch += 1
            self.cursor = 0
            self.order = self.rng.permutation(len(self.train_rows))
        return loss

    def set_weight(self, layer: int, row: int, col: int, value: float) -> None:
        self.model.net.weights[layer][row, col] = value
        self.edits.append((self.steps, layer, row, col, value))

    def loss(self, X: Array, Y: Array) -> float:
        if len(X) == 0:
            return math.nan
        with np.errstate(all="ignore"):
            return float(self.trainer.loss.value(self.model.net.forward(X), Y))


def decimate(curve: list[tuple[int, float]], limit: int) -> list[list[float | None]]:
    """At most ``limit`` points of ``curve``, evenly spaced, first and last kept."""
    if len(curve) > limit:
        idx = np.unique(np.linspace(0, len(curve) - 1, limit).round().astype(int))
        curve = [curve[i] for i in idx]
    return [[e, _finite(v)] for e, v in curve]


def _finite(v: float) -> float | None:
    """A number for JSON; None (null: the page says "not finite") for NaN and infinities."""
    return float(v) if math.isfinite(v) else None


def heatmap(values: Array) -> dict[str, Any]:
    """One unit's outputs over the grid, 8 bits a cell: ``value ~= q / 127 * scale``.

    ``scale`` is ``max(1, max |value|)`` (what the page divides by to colour it) and ``q`` the
    cells' signed bytes, base64; at most ``scale / 254`` from the value, far below a colour
    step, and a few times smaller and faster to send than the numbers written out.
    """
    v = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=0.0, posinf=1e300,
                      neginf=-1e300)
    scale = max(1.0, float(np.abs(v).max(initial=0.0)))
    q = np.rint(v * (127.0 / scale)).astype(np.int8)
    return {"scale": round(scale, 6), "q": base64.b64encode(q.tobytes()).decode("ascii")}


def _json_array(a: Array, digits: int = 5) -> Any:
    a = np.nan_to_num(np.asarray(a, dtype=np.float64), nan=0.0, posinf=1e300, neginf=-1e300)
    return np.round(a, digits).tolist()


class Session:
    """One tab's playground: a :class:`Run`, its training thread and its snapshots."""

    def __init__(self, config: Config, upload: tuple[Prepared, str, str] | None = None) -> None:
        self.lock = threading.RLock()
        self.sid = secrets.token_urlsafe(16)
        self.upload = upload  # (prepared rows, CSV text, target) of an uploaded file
        self.running = False
        self.message: str | None = None
        self.version = 0
        self.speed = 0.0
        self.last_seen = time.monotonic()
        self._thread: threading.Thread | None = None
        self._snapshot: tuple[int, str] | None = None
        self.previous_test_loss: list[tuple[int, float]] = []
        self.config = config
        self.prep = self._prepare(config)
        self._start_run(keep_curve=False)

    # ------------------------------------------------------------------ building
    def _prepare(self, config: Config) -> Prepared:
        if config.dataset == UPLOAD:
            if self.upload is None:
                raise SessionError("dataset 'upload' needs an uploaded CSV first; upload one or "
                                   "pick a built-in data set.", 409)
            return self.upload[0]
        return prepare_builtin(config)

    def _start_run(self, keep_curve: bool) -> None:
        if keep_curve:
            self.previous_test_loss = list(self.test_curve)
        else:
            self.previous_test_loss = []
        try:
            self.run = Run(self.prep, self.config)
        except ConfigError as exc:
            raise SessionError(str(exc)) from exc
        self.train_curve: list[tuple[int, float]] = []
        self.test_curve: list[tuple[int, float]] = []
        self._record()
        self.message = None
        self._changed()

    def _record(self) -> None:
        r = self.run
        self.train_curve.append((r.epoch, r.loss(r.X_train, r.Y_train)))
        self.test_curve.append((r.epoch, r.loss(r.X_test, r.Y_test)))

    def _changed(self) -> None:
        self.version += 1

    def _plane(self, config: Config) -> tuple[int, int]:
        k = self.prep.X.shape[1]
        i, j = config.plane
        if k == 1:
            return (0, 0)
        if i >= k or j >= k or i == j:
            raise SessionError(f"plane must be two different input columns from 0 to {k - 1} "
                               f"({', '.join(self.prep.feature_names)}); got [{i}, {j}].")
        return (i, j)

    # ------------------------------------------------------------------ changes
    def set_config(self, config: Config) -> None:
        self.stop()
        with self.lock:
            old = self.config
            if config.dataset != UPLOAD and config.data_key() != old.data_key():
                prep = self._prepare(config)
            elif config.dataset == UPLOAD and old.dataset != UPLOAD:
                prep = self._prepare(config)
            else:
                prep = self.prep
            old_prep = self.prep
            self.prep, self.config = prep, config
            try:
                self._plane(config)
                if config.net_key() != old.net_key() or prep is not old_prep:
                    self._start_run(keep_curve=False)
            except SessionError:
                self.prep, self.config = old_prep, old
                raise
            self._changed()

    def set_upload(self, prep: Prepared, text: str, target: str, config: Config) -> None:
        self.stop()
        with self.lock:
            self.upload = (prep, text, target)
            k = prep.X.shape[1]
            self.config = dataclasses.replace(config, dataset=UPLOAD,
                                              plane=(0, 1) if k > 1 else (0, 0))
            self.prep = prep
            self._start_run(keep_curve=False)

    def reset(self, keep_curve: bool) -> None:
        self.stop()
        with self.lock:
            self._start_run(keep_curve)

    def step(self) -> None:
        with self.lock:
            self._step()

    def _step(self) -> bool:
        """One mini-batch; False (and a message) when the run diverged."""
        r = self.run
        before = r.model.net.params.copy()
        epoch = r.epoch
        with np.errstate(all="ignore"):
            loss = r.step()
        if not (math.isfinite(loss) and np.isfinite(r.model.net.params).all()):
            r.model.net.params[...] = before
            self.running = False
            self.message = (f"Training diverged at epoch {epoch}, step {r.steps}: the loss became "
                            f"{loss!r} and the weights were put back as they were before that "
                            f"step. Lower the learning rate (now {self.config.learning_rate:g}), "
                            "then press Reset.")
            self._changed()
            return False
        if r.epoch != epoch:
            self._record()
        self._changed()
        return True

    def set_weight(self, layer: int, row: int, col: int, value: float) -> None:
        with self.lock:
            W = self.run.model.net.weights
            if not 0 <= layer < len(W):
                raise SessionError(f"layer must be from 0 to {len(W) - 1}; got {layer}.")
            rows, cols = W[layer].shape
            if not (0 <= row < rows and 0 <= col < cols):
                raise SessionError(f"weights[{layer}] has shape ({rows}, {cols}): row must be "
                                   f"from 0 to {rows - 1} and col from 0 to {cols - 1}; got "
                                   f"row {row}, col {col}.")
            self.run.set_weight(layer, row, col, value)
            self._changed()

    # ------------------------------------------------------------------ the thread
    def start(self) -> None:
        with self.lock:
            if self.running:
                return
            self.running = True
            self.message = None
            self._changed()
            self._thread = threading.Thread(target=self._train, name=f"playground-{self.sid[:6]}",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self.lock:
            self.running = False
            thread, self._thread = self._thread, None
            self._changed()
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _train(self) -> None:
        count, since = 0, time.perf_counter()
        while True:
            with self.lock:
                if not self.running or not self._step():
                    return
            count += 1
            now = time.perf_counter()
            if now - since >= 0.25:
                self.speed = count / (now - since)
                count, since = 0, now
            time.sleep(0)  # let request handlers take the lock

    # ------------------------------------------------------------------ snapshots
    def snapshot_json(self) -> str:
        """The current snapshot as JSON, built once per change."""
        with self.lock:
            cached = self._snapshot
            if cached is not None and cached[0] == self.version:
                return cached[1]
            version, snap = self.version, self.snapshot()
        text = json.dumps(snap, separators=(",", ":"))  # outside the lock: training goes on
        with self.lock:
            self._snapshot = (version, text)
        return text

    def snapshot(self) -> dict[str, Any]:
        with self.lock, np.errstate(all="ignore"):  # a diverged net's numbers are capped below
            r = self.run
            net = r.model.net
            limit = CAPS["curve_points"]
            return {
                "epoch": r.epoch, "steps": r.steps, "running": self.running,
                "speed": round(self.speed, 1) if self.running else 0.0,
                "task": r.model.task, "sizes": list(net.sizes),
                "inputs": list(self.prep.feature_names),
                "weights": [_json_array(W, 6) for W in net.weights],
                "train_loss": decimate(self.train_curve, limit),
                "test_loss": decimate(self.test_curve, limit),
                "previous_test_loss": decimate(self.previous_test_loss, limit),
                "metrics": {"train": self._metrics(r.train_rows, r.X_train),
                            "test": self._metrics(r.test_rows, r.X_test)},
                "grid": self._grid(),
                "points": {"train": self._points(r.train_rows), "test": self._points(r.test_rows)},
                "message": self.message,
            }

    def _predict(self, X: Array) -> Array:
        """Scaled inputs -> class indices (classification) or values in original units."""
        model = self.run.model
        with np.errstate(all="ignore"):
            out = model.net.forward(X)
        if model.labels is not None:
            return (out[:, 0] >= 0.5).astype(np.int64) if out.shape[1] == 1 else out.argmax(1)
        if model.target_scaler is not None:
            out = model.target_scaler.inverse_transform(out)
        return np.asarray(out, dtype=np.float64)

    def _metrics(self, rows: Array, X: Array) -> dict[str, Any]:
        if len(rows) == 0:
            return {}
        model, t = self.run.model, self.prep.targets[rows]
        p = self._predict(X)
        if model.labels is not None:
            k = model.labels.n_classes
            m = classification_metrics(t, p, list(range(k)))
            return {"accuracy": m["accuracy"], "confusion": m["confusion"].tolist(),
                    "labels": [str(c) for c in model.labels.classes]}
        with np.errstate(all="ignore"):
            m2 = regression_metrics(t, p)
        return {"r2": _finite(m2["r2"]), "rmse": _finite(m2["rmse"])}

    def extent(self) -> list[float]:
        i, j = self._plane(self.config)
        out: list[float] = []
        for c in (i, j):
            col = self.prep.X[:, c]
            lo, hi = float(col.min()), float(col.max())
            pad = 0.05 * (hi - lo) if hi > lo else 1.0
            out += [lo - pad, hi + pad]
        return out

    def plane_rows(self, xs: Array, ys: Array) -> Array:
        """Encoded rows with the plane's two inputs set and the others at their medians."""
        i, j = self._plane(self.config)
        base = np.median(self.prep.X[self.run.train_rows], axis=0)
        rows = np.tile(base, (len(xs), 1))
        rows[:, i] = xs
        if j != i:
            rows[:, j] = ys
        return rows

    def _scale(self, rows: Array) -> Array:
        scaler = self.run.model.scaler
        return np.asarray(scaler.transform(rows) if scaler is not None else rows, dtype=np.float64)

    def _grid(self) -> dict[str, Any]:
        size = self.config.grid
        x0, x1, y0, y1 = self.extent()
        gx, gy = np.meshgrid(np.linspace(x0, x1, size), np.linspace(y0, y1, size))
        X = self._scale(self.plane_rows(gx.ravel(), gy.ravel()))
        model = self.run.model
        with np.errstate(all="ignore"):
            trace = model.net.trace(X)
        out = trace.output
        if model.labels is None:
            values = out if model.target_scaler is None else \
                model.target_scaler.inverse_transform(out)
            output = _json_array(values[:, 0], 4)
        elif out.shape[1] == 1:
            output = _json_array(out[:, 0], 4)
        else:
            output = _json_array(out, 3)
        units = [[heatmap(layer.a[:, u]) for u in range(layer.a.shape[1])]
                 for layer in trace.layers]
        return {"size": size, "extent": [x0, x1, y0, y1], "output": output, "units": units}

    def _points(self, rows: Array) -> list[list[float]]:
        i, j = self._plane(self.config)
        rows = rows[:CAPS["points_shown"]]
        X = self.prep.X[rows]
        t = self.prep.targets[rows]
        label = t.astype(np.float64) if t.ndim == 1 else t[:, 0]
        y = X[:, j] if j != i else np.full(len(rows), 0.5)
        points: list[list[float]] = np.round(np.nan_to_num(np.column_stack([X[:, i], y, label])),
                                             5).tolist()
        return points

    # ------------------------------------------------------------------ explain
    def explain_json(self, point: tuple[float, float] | None, row: int | None) -> str:
        with self.lock:
            r = self.run
            if row is not None:
                n = len(self.prep.targets)
                if not 0 <= row < n:
                    raise SessionError(f"row must be from 0 to {n - 1}; got {row}.")
                x = self._scale(self.prep.X[row:row + 1])[0]
                y: Array | None = encode_targets(r.model, self.prep.targets[row:row + 1])[0]
            elif point is not None:
                x = self._scale(self.plane_rows(np.array([point[0]]), np.array([point[1]])))[0]
                y = None
            else:
                raise SessionError("explain needs ?x=..&y=.. (a point of the plane) or ?row=N.")
            steps = explain(r.model.net, x, y, loss=r.trainer.loss, model=r.model)
            return render(steps, "json")


Clock = Callable[[], float]


class Sessions:
    """The live sessions: at most ``limit``, each dropped after ``idle`` seconds unseen."""

    def __init__(self, limit: int = CAPS["sessions"], idle: float = CAPS["idle_seconds"],
                 clock: Clock = time.monotonic) -> None:
        self.limit, self.idle, self.clock = limit, idle, clock
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._sessions)

    def sweep(self) -> None:
        """Drop (and stop) every session idle for longer than ``idle``."""
        now = self.clock()
        with self._lock:
            old = [s for s in self._sessions.values() if now - s.last_seen > self.idle]
            for s in old:
                del self._sessions[s.sid]
        for s in old:
            s.stop()

    def create(self, config: Config) -> Session:
        self.sweep()
        with self._lock:
            if len(self._sessions) >= self.limit:
                raise SessionError(f"{self.limit} playground sessions are open, the most this "
                                   "server keeps; close a tab (idle ones close after "
                                   f"{self.idle / 60:g} minutes) and try again.", 429)
        session = Session(config)
        session.last_seen = self.clock()
        with self._lock:
            self._sessions[session.sid] = session
        return session

    def get(self, sid: str) -> Session:
        self.sweep()
        session = self._sessions.get(sid)
        if session is None:
            raise SessionError("no such session (it may have been idle for too long); reload "
                               "the page for a new one.", 404)
        session.last_seen = self.clock()
        return session

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for s in sessions:
            s.stop()
