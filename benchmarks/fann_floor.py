"""How fast can one FANN epoch be in NumPy at all? A floor for the small FANN data sets.

``fann_bench.py`` finds the FANN-compatible trainer short of 3x libfann's speed on the
smallest data sets (diabetes, parity8, two-spiral, pumadyn-32fm). This script asks whether
any NumPy code could do better: it times, side by side in one process with BLAS on one
thread,

* libfann's ``fann_train_epoch`` (float build, FANN's defaults: iRPROP-, TANH error),
* ``FannTrainer.train_epoch`` (neuronless, ``fann_compatible=True``), and
* ``floor``: one iRPROP- epoch of the same sigmoid network written as a single function with
  the fewest NumPy calls we could find (about 35 for two weight layers: no checks, no
  per-neuron activations, no clamp, no bit-fail count; preallocated buffers). It is not a
  usable trainer, only a lower bound on what NumPy's per-call cost allows.

The data sets are FANN's (``../shared/data/fann``, or ``--data DIR``); topologies are FANN's
benchmark ones, SIGMOID hidden and output units. Prints microseconds per epoch and libfann's
time divided by each (the speed-up), medians over ``--rounds`` interleaved rounds.

    .venv/bin/python benchmarks/fann_floor.py                       # the four small sets
    .venv/bin/python benchmarks/fann_floor.py --datasets diabetes --rounds 9
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from neuronless import Network
from neuronless.data import read_fann_data
from neuronless.fann import FannParams, FannTrainer, libfann

HIDDEN = {"diabetes": [4], "parity8": [16], "two-spiral": [20, 10], "pumadyn-32fm": [10],
          "abelone": [16], "soybean": [16, 8]}


def floor_epoch(X: Any, T: Any, hidden: list[int], seed: int = 0) -> Any:
    """A closure running one bare iRPROP- epoch (FANN's rule, TANH error, sigmoid units)."""
    n = len(X)
    sizes = [X.shape[1], *hidden, T.shape[1]]
    rng = np.random.default_rng(seed)
    shapes = [(sizes[i] + 1, sizes[i + 1]) for i in range(len(sizes) - 1)]
    offsets = np.cumsum([0] + [r * c for r, c in shapes])
    params = rng.uniform(-0.1, 0.1, offsets[-1]).astype(np.float32)
    slope = np.zeros_like(params)
    W = [params[offsets[k]:offsets[k + 1]].reshape(shapes[k]) for k in range(len(shapes))]
    G = [slope[offsets[k]:offsets[k + 1]].reshape(shapes[k]) for k in range(len(shapes))]
    A = [np.ones((n, s + 1), np.float32) for s in sizes[:-1]]  # inputs with a ones column
    A[0][:, :-1] = X
    Z = [np.empty((n, s), np.float32) for s in sizes[1:]]
    D = [np.empty((n, s), np.float32) for s in sizes[1:]]
    C = [np.empty((n, s), np.float32) for s in sizes[1:]]
    step = np.full_like(params, 0.1)
    prev = np.zeros_like(params)
    tmp = np.empty_like(params)
    same = np.empty(params.shape, bool)
    move = np.empty_like(params)
    factor = np.empty_like(params)
    L = len(W)

    def epoch() -> float:
        for k in range(L):  # y = 1 / (1 + exp(-net)): FANN's SIGMOID at steepness 0.5
            z = Z[k]
            np.dot(A[k], W[k], out=z)
            np.negative(z, out=z)
            np.exp(z, out=z)
            z += 1
            np.reciprocal(z, out=z)
            if k + 1 < L:
                A[k + 1][:, :-1] = z
        d = D[-1]
        np.subtract(T, Z[-1], out=d)
        mse = float(np.vdot(d, d)) / d.size
        np.arctanh(d, out=d)  # TANH error: ln((1+d)/(1-d)) = 2 atanh(d)
        d *= 2
        for k in range(L - 1, -1, -1):  # f' = 2 s y'(1 - y') = y'(1 - y'), y' clipped
            c = C[k]
            np.clip(Z[k], 0.01, 0.99, out=c)
            D[k] *= c
            np.subtract(1, c, out=c)
            D[k] *= c
            np.dot(A[k].T, D[k], out=G[k])
            if k:
                np.dot(D[k], W[k][:-1].T, out=D[k - 1])
        np.multiply(prev, slope, out=tmp)  # iRPROP- as FANN does it
        np.greater_equal(tmp, 0, out=same)
        np.maximum(step, 1e-4, out=step)
        np.copyto(factor, np.float32(0.5))
        factor[same] = np.float32(1.2)
        np.multiply(step, factor, out=step)
        np.minimum(step, 50, out=step)
        np.multiply(slope, same, out=slope)
        np.copysign(step, slope, out=move)
        move[slope == 0] = step[slope == 0]
        np.add(params, move, out=params)
        np.clip(params, -1500, 1500, out=params)
        prev[:] = slope
        return mse

    return epoch


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--datasets", default="diabetes,parity8,two-spiral,pumadyn-32fm")
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared/data/fann"))
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--epochs", type=int, default=200, help="epochs per timed block")
    args = ap.parse_args(argv)
    if not Path(args.data).is_dir():
        print(f"no FANN data sets in {args.data}; pass --data DIR (the datasets/ folder of "
              "github.com/libfann/fann)", file=sys.stderr)
        return 2
    lib = libfann.load("float")
    print("| data set | libfann µs | FannTrainer µs | floor µs | speed-up FannTrainer | "
          "speed-up floor |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in args.datasets.split(","):
        X, Y = read_fann_data(Path(args.data) / f"{name}.train")
        X, Y = X.astype(np.float32), Y.astype(np.float32)
        hidden = HIDDEN[name]
        sizes = [X.shape[1], *hidden, Y.shape[1]]
        ann = lib.create_standard(sizes, seed=1)
        ann.set_activation_hidden(3, 0.5)
        ann.set_activation_output(3, 0.5)
        data = lib.train_data(X, Y)
        net = Network.create(sizes, "sigmoid", "sigmoid", steepness=1.0, init="uniform", seed=1)
        trainer = FannTrainer(net, FannParams())
        floor = floor_epoch(X, Y, hidden)
        runs: dict[str, Any] = {
            "libfann": lambda ann=ann, data=data: ann.train_epoch(data),
            "trainer": lambda t=trainer, X=X, Y=Y: t.train_epoch(X, Y),
            "floor": floor,
        }
        times: dict[str, list[float]] = {k: [] for k in runs}
        with threadpool_limits(1), np.errstate(all="ignore"):
            for r in range(args.rounds):
                order = list(runs)[r % 3:] + list(runs)[:r % 3]
                for key in order:
                    fn = runs[key]
                    t = time.perf_counter()
                    for _ in range(args.epochs):
                        fn()
                    times[key].append((time.perf_counter() - t) / args.epochs * 1e6)
        med = {k: statistics.median(v) for k, v in times.items()}
        ratio_t = statistics.median(a / b for a, b in zip(times["libfann"], times["trainer"],
                                                          strict=True))
        ratio_f = statistics.median(a / b for a, b in zip(times["libfann"], times["floor"],
                                                          strict=True))
        print(f"| {name} | {med['libfann']:.1f} | {med['trainer']:.1f} | {med['floor']:.1f} | "
              f"{ratio_t:.2f} | {ratio_f:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
