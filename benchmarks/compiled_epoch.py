"""Trainer.epoch with backend="numpy" beside backend="compiled", interleaved in one process.

Two cases from the issue: XOR on a 2-4-1 net (4 rows, one batch of 4: NumPy's per-call cost
is all there is) and a 64-32-10 net on 1797 x 64 random data in batches of 32 (the digits'
shape), both float32 with Adam and the natural loss. Each round times a few epochs of one
backend, then of the other (the order alternating), on identical copies of the network; the
script prints the median steps/s of each and their ratio. ``--sweep`` adds nets and batch
sizes on both sides of ``training.COMPILED_MAX_WORK`` (parameters times batch rows), the rule
``backend="auto"`` follows for batches of fewer than ``kernels.BLOCKED_FROM`` rows, and
``--full-batch`` the recommended recipe's full-batch iRprop+ (L2 0.1, tanh hidden layers) on
the shapes of FANN's benchmark sets (random data of their sizes) and Adam on big batches, on
both sides of ``training.COMPILED_MAX_WORK_BLOCKED``, the rule for bigger batches (rows in
SIMD lanes, ``kernels._epoch_blocked``). Both backends are forced; "auto" is not timed.

    .venv/bin/python benchmarks/compiled_epoch.py
    .venv/bin/python benchmarks/compiled_epoch.py --rounds 15 --sweep --full-batch
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import numpy as np

from neuronless import Network
from neuronless.training import Trainer


def _case(sizes: list[int], n: int, batch: int, xor: bool = False) -> tuple[Any, Any, Network]:
    rng = np.random.default_rng(0)
    if sizes[-1] == 1 and not xor:  # one output: a sigmoid on 0/1 targets
        X = rng.normal(size=(n, sizes[0])).astype(np.float32)
        Y = (rng.random((n, 1)) > 0.5).astype(np.float32)
        return X, Y, Network.create(sizes, hidden="tanh", output="sigmoid", seed=0)
    if xor:
        X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
        Y = np.array([[0], [1], [1], [0]], dtype=np.float32)
        net = Network.create(sizes, hidden="tanh", output="sigmoid", seed=0)
    else:
        X = rng.normal(size=(n, sizes[0])).astype(np.float32)
        Y = np.eye(sizes[-1], dtype=np.float32)[rng.integers(0, sizes[-1], n)]
        net = Network.create(sizes, hidden="tanh", output="softmax", seed=0)
    return X, Y, net


def _rate(trainer: Trainer, X: Any, Y: Any, epochs: int, steps_per_epoch: int) -> float:
    t = time.perf_counter()
    with np.errstate(all="ignore"):  # as fit runs epochs
        for _ in range(epochs):
            trainer.epoch(X, Y)
    return epochs * steps_per_epoch / (time.perf_counter() - t)


def compare(name: str, sizes: list[int], n: int, batch: int, rounds: int, seconds: float,
            xor: bool = False, optimizer: str = "adam", l2: float = 0.0) -> None:
    X, Y, net = _case(sizes, n, batch, xor)
    steps = -(-n // batch)
    trainers = {b: Trainer(net.copy(), None, optimizer, batch_size=batch, backend=b, l2=l2)
                for b in ("numpy", "compiled")}
    for trainer in trainers.values():  # warm: compiled kernels (or numba's cache), buffers
        _rate(trainer, X, Y, 2, steps)
    # epochs per timed block: about `seconds` of the slower backend
    probe = _rate(trainers["numpy"], X, Y, 3, steps)
    epochs = max(1, int(seconds * probe / steps))
    rates: dict[str, list[float]] = {b: [] for b in trainers}
    for r in range(rounds):
        order = ("numpy", "compiled") if r % 2 == 0 else ("compiled", "numpy")
        for b in order:
            rates[b].append(_rate(trainers[b], X, Y, epochs, steps))
    numpy_rate = statistics.median(rates["numpy"])
    compiled_rate = statistics.median(rates["compiled"])
    print(f"{name:<34} {net.params.size:>7} {batch:>5} {numpy_rate:>12,.0f} "
          f"{compiled_rate:>12,.0f} {compiled_rate / numpy_rate:>7.2f}x")


def one_sample(sizes: list[int], rounds: int, calls: int = 3000) -> None:
    """One-sample ``net.forward(x)``: NumPy (predict_backend "numpy") beside the compiled
    pass ("compiled"), interleaved; where the ratio passes 1 sets ONE_SAMPLE_MAX_PARAMS."""
    nets = {}
    for backend in ("numpy", "compiled"):
        net = Network.create(sizes, "tanh", "sigmoid", seed=0, dtype=np.float32)
        net.predict_backend = backend
        nets[backend] = net
    x = np.random.default_rng(0).normal(size=sizes[0]).astype(np.float32)
    times: dict[str, list[float]] = {b: [] for b in nets}
    for r in range(rounds):
        for b in (("numpy", "compiled") if r % 2 == 0 else ("compiled", "numpy")):
            fwd = nets[b].forward
            fwd(x)
            t = time.perf_counter()
            for _ in range(calls):
                fwd(x)
            times[b].append((time.perf_counter() - t) / calls)
    a, c = (1e6 * statistics.median(times[b]) for b in ("numpy", "compiled"))
    name = "-".join(map(str, sizes))
    print(f"{name:<34} {nets['numpy'].params.size:>7} {'1':>5} {a:>10.2f}us {c:>10.2f}us "
          f"{a / c:>7.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--seconds", type=float, default=0.2, help="per timed block")
    parser.add_argument("--sweep", action="store_true", help="also larger nets and batches")
    parser.add_argument("--full-batch", action="store_true",
                        help="full-batch iRprop+ on FANN-sized sets, Adam on big batches")
    parser.add_argument("--one-sample", action="store_true",
                        help="one-sample forward, NumPy beside compiled, over net sizes")
    args = parser.parse_args()
    print(f"{'case':<34} {'params':>7} {'batch':>5} {'numpy st/s':>12} "
          f"{'compiled st/s':>12} {'ratio':>8}")
    compare("XOR 2-4-1 (4 rows)", [2, 4, 1], 4, 4, args.rounds, args.seconds, xor=True)
    compare("64-32-10 (1797 rows)", [64, 32, 10], 1797, 32, args.rounds, args.seconds)
    if args.one_sample:
        print(f"{'one-sample forward':<34} {'params':>7} {'batch':>5} {'numpy':>12} "
              f"{'compiled':>12} {'ratio':>8}")
        for sizes in ([2, 4, 1], [64, 32, 10], [64, 128, 10], [128, 256, 10], [256, 256, 10],
                      [784, 256, 128, 10]):
            one_sample(sizes, args.rounds)
        return
    if args.sweep:
        for sizes, batch in [([16, 16, 4], 32), ([16, 16, 4], 128), ([64, 16, 10], 32),
                             ([64, 32, 10], 16), ([64, 32, 10], 64), ([64, 64, 10], 32),
                             ([64, 128, 10], 32)]:
            name = "-".join(map(str, sizes)) + " (1797 rows)"
            compare(name, sizes, 1797, batch, args.rounds, args.seconds)
    if args.full_batch:
        # (FANN set it has the shape of) sizes, rows: full batch, iRprop+, L2 0.1
        for label, sizes, n in [("diabetes", [8, 4, 1], 384), ("parity8", [8, 16, 1], 256),
                                ("two-spiral", [2, 20, 10, 1], 193),
                                ("pumadyn-32fm", [32, 10, 1], 512),
                                ("soybean", [82, 16, 8, 19], 342),
                                ("abelone", [10, 16, 1], 2088),
                                ("bank32fm", [32, 16, 1], 2048),
                                ("census-house", [16, 16, 1], 11392)]:
            name = f"{'-'.join(map(str, sizes))} ({label}, irprop+)"
            compare(name, sizes, n, n, args.rounds, args.seconds, optimizer="irprop+", l2=0.1)
        for sizes, batch in [([64, 32, 10], 32), ([64, 32, 10], 64), ([64, 32, 10], 128),
                             ([16, 16, 4], 128), ([16, 16, 4], 512)]:
            name = "-".join(map(str, sizes)) + " (1797 rows, adam)"
            compare(name, sizes, 1797, batch, args.rounds, args.seconds)


if __name__ == "__main__":
    main()
