"""The compiled epoch of two source trees side by side: did a kernel change cost speed?

Each round runs one child process per tree (``PYTHONPATH=<tree>/src``), alternating, so both
see the same machine; each child times ``Trainer.epoch`` with ``backend="compiled"`` on three
cases (best of 5 repeats, after two warm-up epochs that also load or compile the kernels):
64-32-10 relu/softmax Adam in batches of 32 (1797 rows, the blocked kernel), 2-20-10-1 and
8-4-1 tanh/sigmoid full-batch iRprop+ (193 and 384 rows, two-spiral's and diabetes's shapes).
Random float32 data, 1 BLAS thread.

    git worktree add /tmp/old <commit>
    .venv/bin/python benchmarks/ab_epochs.py /tmp/old . --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, time
import numpy as np
import neuronless as nl
from neuronless.training import Trainer
from threadpoolctl import threadpool_limits

CASES = [([64, 32, 10], "relu", "softmax", "cross_entropy", "adam", 32, 1797),
         ([2, 20, 10, 1], "tanh", "sigmoid", "binary_cross_entropy", "irprop+", None, 193),
         ([8, 4, 1], "tanh", "sigmoid", "binary_cross_entropy", "irprop+", None, 384)]
rng = np.random.default_rng(0)
out = {}
with threadpool_limits(limits=1, user_api="blas"):
    for sizes, hidden, output, loss, opt, batch, m in CASES:
        net = nl.Network.create(sizes, hidden, output, seed=0)
        X = rng.random((m, sizes[0])).astype(np.float32)
        if output == "softmax":
            Y = np.eye(sizes[-1], dtype=np.float32)[rng.integers(0, sizes[-1], m)]
        else:
            Y = (rng.random((m, 1)) > 0.5).astype(np.float32)
        trainer = Trainer(net, loss, opt, batch_size=batch, backend="compiled")
        trainer.epoch(X, Y)
        trainer.epoch(X, Y)
        n = 20 if batch else 400
        best = float("inf")
        for _ in range(5):
            t = time.perf_counter()
            for _ in range(n):
                trainer.epoch(X, Y)
            best = min(best, (time.perf_counter() - t) / n)
        out["-".join(map(str, sizes)) + f" {opt}"] = best * 1e6
print(json.dumps(out))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("trees", nargs=2, help="two source trees (each with src/neuronless)")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    trees = [Path(t).resolve() for t in args.trees]
    for t in trees:
        if not (t / "src" / "neuronless").is_dir():
            ap.error(f"{t} has no src/neuronless; pass the root of a checkout or worktree")
    times: dict[str, dict[str, list[float]]] = {str(t): {} for t in trees}
    for r in range(args.rounds):
        for t in (trees if r % 2 == 0 else trees[::-1]):
            env = {**os.environ, "PYTHONPATH": str(t / "src")}
            done = subprocess.run([sys.executable, "-c", CHILD], env=env, check=True,
                                  capture_output=True, text=True)
            for case, us in json.loads(done.stdout.strip().splitlines()[-1]).items():
                times[str(t)].setdefault(case, []).append(us)
    a, b = (str(t) for t in trees)
    print(f"A = {a}\nB = {b}\nµs per epoch, best of 5 per process, {args.rounds} processes each")
    print(f"{'case':26s} {'A min-max':>18s} {'B min-max':>18s} {'B/A (medians)':>14s}")
    for case in times[a]:
        ta, tb = times[a][case], times[b][case]
        print(f"{case:26s} {min(ta):8.1f}-{max(ta):<9.1f} {min(tb):8.1f}-{max(tb):<9.1f} "
              f"{statistics.median(tb) / statistics.median(ta):14.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
