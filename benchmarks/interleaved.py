"""Same-process A/B: neuronless's Trainer against the team's hand-written NumPy MLP.

Both train the same float32 network on the same data in one process, alternating epoch by
epoch, so machine noise hits both alike; it prints the best epoch times and the median of the
per-round speed ratios (> 1: neuronless faster). Needs ../shared/bench/adapters/numpy_ref.py.

    .venv/bin/python benchmarks/interleaved.py small --threads 1 --optimizer adam --rounds 30
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

import neuronless as nl

REF = Path(__file__).resolve().parents[2] / "shared" / "bench" / "adapters" / "numpy_ref.py"
CONFIGS = {  # layers, hidden, output, batch, rows, epochs per timing
    "tiny": ([2, 4, 1], "sigmoid", "sigmoid", 4, 4, 300),
    "small": ([64, 32, 10], "relu", "softmax", 32, 1797, 3),
    "medium": ([784, 256, 128, 10], "relu", "softmax", 128, 12000, 1),
    "wide": ([784, 1024, 1024, 10], "relu", "softmax", 256, 4000, 1),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", choices=sorted(CONFIGS))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--optimizer", choices=["adam", "sgdm"], default="adam")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    if not REF.exists():
        raise SystemExit(f"needs {REF} (the team's numpy reference); not found")
    spec = importlib.util.spec_from_file_location("numpy_ref", REF)
    assert spec is not None
    assert spec.loader is not None
    ref_module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref_module)

    layers, hidden, output, batch, rows, reps = CONFIGS[args.config]
    rng = np.random.default_rng(0)
    X = rng.random((rows, layers[0]), dtype=np.float32)
    y = rng.integers(0, max(2, layers[-1]), rows)
    Y = y.reshape(-1, 1).astype(np.float32) if layers[-1] == 1 else nl.one_hot(y, layers[-1])
    if args.optimizer == "adam":
        opt_cfg = {"name": "adam", "lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
        optimizer = nl.Adam(1e-3, 0.9, 0.999, 1e-8)
    else:
        opt_cfg = {"name": "sgdm", "lr": 0.01, "momentum": 0.9}
        optimizer = nl.Momentum(0.01, 0.9)
    ref = ref_module.build({"layers": layers, "hidden_act": hidden, "out": output,
                            "batch": batch, "dtype": "float32", "optimizer": opt_cfg}, 0)
    net = nl.Network.create(layers, hidden=hidden, output=output, seed=0)
    trainer = nl.Trainer(net, None, optimizer, batch_size=batch)

    best_ref = best_nl = float("inf")
    ratios = []
    with threadpool_limits(args.threads, user_api="blas"):
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            for _ in range(reps):
                ref.train_epoch(X, y)
            t1 = time.perf_counter()
            for _ in range(reps):
                trainer.epoch(X, Y)
            t2 = time.perf_counter()
            best_ref, best_nl = min(best_ref, (t1 - t0) / reps), min(best_nl, (t2 - t1) / reps)
            ratios.append((t1 - t0) / (t2 - t1))
    print(f"{args.config} threads={args.threads} {args.optimizer}: best epoch numpy-ref "
          f"{best_ref * 1e3:.4f} ms, neuronless {best_nl * 1e3:.4f} ms; speed ratio "
          f"(numpy-ref time / neuronless time) best {best_ref / best_nl:.2f}, median "
          f"{float(np.median(ratios)):.2f} over {args.rounds} rounds")


if __name__ == "__main__":
    main()
