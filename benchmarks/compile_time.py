"""The compiled path's one-time cost: compiling its kernels on a fresh machine, then loading
them from numba's cache in a later process.

Each measurement is a new Python process with ``NUMBA_CACHE_DIR`` set to one temporary
folder: the first finds the folder empty and compiles, the next ones load what it wrote. Each
process times, after ``import neuronless``: (a) the first compiled epoch of a 2-4-1 net
(float64, Adam), which imports numba and compiles or loads the epoch kernel; (b) the first
fused Adam update on 20,000 float32 parameters; (c) the first compiled one-sample forward;
(d) the first blocked epoch (64 rows, full-batch iRprop+, float32); (e) the first compiled
FANN epoch (``FannTrainer``, RPROP, float32); (f) the first compiled candidate epoch of
Cascade2 (the whole ``cascade_train(backend="compiled")`` call growing one unit on XOR,
float64), each after the ones before.
Figures go in docs/performance.md ("The compiled path").

    .venv/bin/python benchmarks/compile_time.py
    .venv/bin/python benchmarks/compile_time.py --loads 3
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

CHILD = r"""
import json, time
import numpy as np
import neuronless as nl
from neuronless import fused
from neuronless.optimizers import Adam
from neuronless.training import Trainer

out = {}
net = nl.Network.create([2, 4, 1], "tanh", "sigmoid", seed=0, dtype=np.float64)
X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
Y = np.array([[0], [1], [1], [0]], dtype=np.float64)
trainer = Trainer(net, "binary_cross_entropy", Adam(0.01), batch_size=4, backend="compiled")
t = time.perf_counter(); trainer.epoch(X, Y); out["epoch_s"] = time.perf_counter() - t
p = np.zeros(fused.MIN_PARAMS, np.float32)
t = time.perf_counter(); fused.adam(p, p.copy(), p.copy(), p.copy(), 0.9, 0.999, 0.01, 1e-8)
out["fused_s"] = time.perf_counter() - t
net.predict_backend = "compiled"
t = time.perf_counter(); net.forward(X[0]); out["one_sample_s"] = time.perf_counter() - t
rng = np.random.default_rng(0)
Xb = rng.normal(size=(64, 2)).astype(np.float32)
Yb = (rng.random((64, 1)) > 0.5).astype(np.float32)
big = nl.Network.create([2, 4, 1], "tanh", "sigmoid", seed=0)
blocked = Trainer(big, "binary_cross_entropy", "irprop+", batch_size=None, backend="compiled")
t = time.perf_counter(); blocked.epoch(Xb, Yb); out["blocked_s"] = time.perf_counter() - t
from neuronless.fann.train import FannTrainer
fann = FannTrainer(nl.Network.create([2, 4, 1], "sigmoid", "sigmoid", seed=0),
                   backend="compiled")
t = time.perf_counter(); fann.train_epoch(Xb, Yb); out["fann_s"] = time.perf_counter() - t
t = time.perf_counter()
nl.cascade_train(X, Y, max_neurons=1, seed=0, backend="compiled")
out["cascade_s"] = time.perf_counter() - t
print(json.dumps(out))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loads", type=int, default=2, help="processes that load from the cache")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="neuronless-numba-cache-") as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        print(f"{'process':>14} {'first epoch s':>14} {'first fused s':>14} {'1-sample s':>11} "
              f"{'blocked s':>10} {'FANN epoch s':>13} {'cascade s':>10}")
        for k in range(1 + args.loads):
            run = subprocess.run([sys.executable, "-c", CHILD], env=env, check=True,
                                 capture_output=True, text=True)
            r = json.loads(run.stdout.strip().splitlines()[-1])
            name = "compile" if k == 0 else f"load {k}"
            print(f"{name:>14} {r['epoch_s']:>14.3f} {r['fused_s']:>14.3f} "
                  f"{r['one_sample_s']:>11.4f} {r['blocked_s']:>10.3f} {r['fann_s']:>13.3f} "
                  f"{r['cascade_s']:>10.3f}")
        files = sum(len(f) for _, _, f in os.walk(cache))
        print(f"cache: {files} files in {cache}")


if __name__ == "__main__":
    main()
