"""The implementations under test, one class each, behind one small interface.

``Impl(cfg, X, y, opt)`` builds the model (float32 throughout); ``epoch()`` makes one pass over
``X`` in order, in mini-batches of ``cfg["batch"]``, without shuffling; ``predict_rows()``
returns a callable ``f(i)`` predicting sample ``i`` alone; ``predict(Xb)`` a batch.
Every implementation sees the same ``X``/``y`` in the same order.
"""

from __future__ import annotations

import importlib.util
import itertools
import warnings

import numpy as np

from _common import NUMPY_REF


class NeuronlessImpl:
    """The library through its public custom-loop API: ``Trainer(...).epoch(X, Y)``."""

    @staticmethod
    def prepare(cfg: dict, y: np.ndarray) -> dict:
        """Float32 targets, built once, before the after-data RSS baseline is taken."""
        n_out = cfg["layers"][-1]
        if n_out == 1:
            return {"Y": y.astype(np.float32).reshape(-1, 1)}
        Y = np.zeros((y.shape[0], n_out), dtype=np.float32)  # one-hot rows
        Y[np.arange(y.shape[0]), y] = 1.0
        return {"Y": Y}

    def __init__(self, cfg: dict, X: np.ndarray, y: np.ndarray, opt: dict, Y: np.ndarray) -> None:
        import neuronless as nl

        self.X, self.Y = X, Y
        self.net = nl.Network.create(cfg["layers"], hidden=cfg["hidden"], output=cfg["output"],
                                     seed=0, dtype=np.float32)
        if opt["name"] == "sgdm":
            optimizer = nl.Momentum(learning_rate=opt["lr"], momentum=opt["momentum"])
        else:
            optimizer = nl.Adam(learning_rate=opt["lr"], beta1=opt["beta1"], beta2=opt["beta2"],
                                eps=opt["eps"])
        self.trainer = nl.Trainer(self.net, cfg["loss"], optimizer, batch_size=cfg["batch"])

    def epoch(self) -> None:
        self.trainer.epoch(self.X, self.Y)

    def steps(self, n_steps: int, batch: int) -> None:
        """``n_steps`` optimizer steps (used by the allocation probe)."""
        if self.X.shape[0] <= batch:
            for _ in range(n_steps):
                self.trainer.epoch(self.X, self.Y)
        else:
            k = n_steps * batch
            self.trainer.epoch(self.X[:k], self.Y[:k])

    def predict_rows(self):
        rows = [self.X[i] for i in range(min(256, self.X.shape[0]))]  # 1-D rows
        fwd, n = self.net.forward, len(rows)
        return lambda i: fwd(rows[i % n])

    def predict(self, Xb: np.ndarray) -> np.ndarray:
        return self.net.forward(Xb)


class TorchImpl:
    """nn.Sequential + a standard loop: zero_grad / forward / loss / backward / step."""

    def __init__(self, cfg: dict, X: np.ndarray, y: np.ndarray, opt: dict, fused: bool = False) -> None:
        import torch
        from torch import nn

        self.torch = torch
        torch.manual_seed(0)
        act = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}[cfg["hidden"]]
        mods: list = []
        layers = cfg["layers"]
        for k, (i, o) in enumerate(itertools.pairwise(layers)):
            mods.append(nn.Linear(i, o))
            if k < len(layers) - 2:
                mods.append(act())
        self.model = nn.Sequential(*mods)
        self.binary = layers[-1] == 1
        if self.binary:  # sigmoid output folded into the loss, as is idiomatic
            self.loss_fn = nn.BCEWithLogitsLoss()
            self.yt = torch.from_numpy(y.astype(np.float32).reshape(-1, 1))
        else:
            self.loss_fn = nn.CrossEntropyLoss()
            self.yt = torch.from_numpy(y)
        self.X, self.Xt = X, torch.from_numpy(X)
        params = self.model.parameters()
        if opt["name"] == "sgdm":
            self.opt = torch.optim.SGD(params, lr=opt["lr"], momentum=opt["momentum"])
        else:
            kw = {"fused": True} if fused else {}
            self.opt = torch.optim.Adam(params, lr=opt["lr"], betas=(opt["beta1"], opt["beta2"]),
                                        eps=opt["eps"], **kw)
        self.batch = cfg["batch"]

    def epoch(self) -> None:
        Xt, yt, bs = self.Xt, self.yt, self.batch
        model, loss_fn, opt = self.model, self.loss_fn, self.opt
        for lo in range(0, Xt.shape[0], bs):
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(Xt[lo:lo + bs]), yt[lo:lo + bs])
            loss.backward()
            opt.step()

    def _probs(self, xt):
        torch = self.torch
        with torch.inference_mode():
            z = self.model(xt)
            return (torch.sigmoid(z) if self.binary else torch.softmax(z, dim=1)).numpy()

    def predict_rows(self):
        rows = [self.Xt[i:i + 1] for i in range(min(256, self.Xt.shape[0]))]
        n = len(rows)
        return lambda i: self._probs(rows[i % n])

    def predict(self, Xb: np.ndarray) -> np.ndarray:
        return self._probs(self.torch.from_numpy(Xb))


class SklearnImpl:
    """MLPClassifier(solver='adam'), one partial_fit per epoch, shuffle=False, alpha=0."""

    def __init__(self, cfg: dict, X: np.ndarray, y: np.ndarray, opt: dict) -> None:
        from sklearn.neural_network import MLPClassifier

        self.X, self.y = X, y
        self.clf = MLPClassifier(
            hidden_layer_sizes=tuple(cfg["layers"][1:-1]),
            activation="logistic" if cfg["hidden"] == "sigmoid" else cfg["hidden"],
            solver="adam", learning_rate_init=opt["lr"], beta_1=opt["beta1"],
            beta_2=opt["beta2"], epsilon=opt["eps"], batch_size=cfg["batch"], alpha=0.0,
            shuffle=False, random_state=0, max_iter=1, tol=0.0)
        self.classes = np.arange(max(2, cfg["layers"][-1]))
        self.started = False

    def epoch(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if self.started:
                self.clf.partial_fit(self.X, self.y)
            else:
                self.clf.partial_fit(self.X, self.y, classes=self.classes)
                self.started = True

    def predict_rows(self):
        rows = [self.X[i:i + 1] for i in range(min(256, self.X.shape[0]))]
        proba, n = self.clf.predict_proba, len(rows)
        return lambda i: proba(rows[i % n])

    def predict(self, Xb: np.ndarray) -> np.ndarray:
        return self.clf.predict_proba(Xb)


class NumpyRefImpl:
    """The team's hand-written NumPy MLP, imported by path from shared/bench/adapters."""

    def __init__(self, cfg: dict, X: np.ndarray, y: np.ndarray, opt: dict) -> None:
        spec = importlib.util.spec_from_file_location("numpy_ref_adapter", NUMPY_REF)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {NUMPY_REF}")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        conf = {"layers": cfg["layers"], "hidden_act": cfg["hidden"],
                "out": "sigmoid" if cfg["layers"][-1] == 1 else "softmax",
                "loss": "bce" if cfg["layers"][-1] == 1 else "ce", "batch": cfg["batch"],
                "dtype": "float32", "optimizer": dict(opt)}
        self.model = mod.build(conf, 0)
        self.X, self.y = X, y

    def epoch(self) -> None:
        self.model.train_epoch(self.X, self.y)

    def predict_rows(self):
        rows = [self.X[i:i + 1] for i in range(min(256, self.X.shape[0]))]
        pred, n = self.model.predict, len(rows)
        return lambda i: pred(rows[i % n])

    def predict(self, Xb: np.ndarray) -> np.ndarray:
        return self.model.predict(Xb)


class GemmFloorImpl:
    """Only the matrix products of each training step, at the real shapes, in NumPy float32.

    Per batch: forward ``A_k = A_{k-1} @ W_k`` for every layer, backward ``A_{k-1}.T @ D_k``
    for every layer and ``D_k @ W_k.T`` for every layer but the first. No bias, no
    activation, no loss, no update: a floor for any BLAS-based implementation.
    """

    def __init__(self, cfg: dict, X: np.ndarray, y: np.ndarray, opt: dict) -> None:
        rng = np.random.default_rng(0)
        layers = cfg["layers"]
        self.W = [(rng.standard_normal((i, o)) * 0.01).astype(np.float32)
                  for i, o in itertools.pairwise(layers)]
        self.gW = [np.empty_like(w) for w in self.W]
        self.X, self.batch, self.layers = X, cfg["batch"], layers
        self.bufs: dict[int, tuple[list, list]] = {}

    def _bufs(self, b: int):
        if b not in self.bufs:
            acts = [np.zeros((b, o), np.float32) for o in self.layers[1:]]
            deltas = [np.full((b, o), 1e-3, np.float32) for o in self.layers[1:]]
            self.bufs[b] = (acts, deltas)
        return self.bufs[b]

    def epoch(self) -> None:
        X, bs, W, gW = self.X, self.batch, self.W, self.gW
        mm, n_layers = np.matmul, len(W)
        for lo in range(0, X.shape[0], bs):
            xb = X[lo:lo + bs]
            acts, deltas = self._bufs(xb.shape[0])
            a = xb
            for k in range(n_layers):
                mm(a, W[k], out=acts[k])
                a = acts[k]
            for k in range(n_layers - 1, -1, -1):
                prev = xb if k == 0 else acts[k - 1]
                mm(prev.T, deltas[k], out=gW[k])
                if k:
                    mm(deltas[k], W[k].T, out=deltas[k - 1])

    def predict_rows(self):
        raise NotImplementedError

    def predict(self, Xb: np.ndarray) -> np.ndarray:
        raise NotImplementedError


# label -> (class, optimizer, extra kwargs, needs torch, runs inference)
IMPLS: dict[str, tuple] = {
    "neuronless/sgdm": (NeuronlessImpl, "sgdm", {}, False, False),
    "neuronless/adam": (NeuronlessImpl, "adam", {}, False, True),
    "torch/sgdm": (TorchImpl, "sgdm", {}, True, False),
    "torch/adam": (TorchImpl, "adam", {}, True, True),
    "torch/adam-fused": (TorchImpl, "adam", {"fused": True}, True, False),
    "sklearn/adam": (SklearnImpl, "adam", {}, False, True),
    "numpy-ref/sgdm": (NumpyRefImpl, "sgdm", {}, False, False),
    "numpy-ref/adam": (NumpyRefImpl, "adam", {}, False, True),
    "gemm-floor": (GemmFloorImpl, "sgdm", {}, False, False),
}
