"""fit()'s fixed cost per call: ``fit(..., epochs=1)`` beside the bare ``Trainer.epoch``.

Callers that train one batch per call (scikit-learn's ``partial_fit``, streaming) call
``fit(net, X, Y, epochs=1)`` again and again, so what ``fit`` does around the epoch (checking
its arguments, limiting BLAS threads, building the trainer's buffers, the history) is paid on
every batch. This script times, in one process and interleaved round by round:

(a) ``fit(net, X, Y, epochs=1)`` with its defaults (Adam, threads="auto");
(b) ``Trainer.epoch(X, Y)`` on a trainer built once: the same work without the setup;
(c) ``fit(net, X, Y, epochs=1, state=state)``, carrying the optimizer state across calls
    (the partial_fit pattern; skipped where ``fit`` has no ``state=``).

The fixed cost of a pattern is its time per call minus (b)'s in the same round; the script
prints its median and spread over the rounds and PASS/MISS against 0.3 ms.
Run it on another checkout with ``PYTHONPATH=<checkout>/src``:

    .venv/bin/python benchmarks/fit_overhead.py
    .venv/bin/python benchmarks/fit_overhead.py --rounds 60 --calls 200
"""

from __future__ import annotations

import argparse
import inspect
import os
import platform
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import neuronless as nl

TARGET_MS = 0.3


def _source() -> str:
    """Where the imported neuronless lives, and its commit if it is a git checkout."""
    where = Path(nl.__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(where), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "not a git checkout"
    return f"{where} (commit {commit})"


def _blas_threads() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    libs = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return ", ".join(f"{i['internal_api']} {i['num_threads']} threads" for i in libs) or "none found"


def _per_call_ms(fn: Callable[[], object], calls: int) -> float:
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - t0) / calls * 1e3


def _summary(values: list[float]) -> str:
    q25, q50, q75 = np.percentile(values, [25, 50, 75])
    return (f"median {q50:.4f} ms  (IQR {q25:.4f}-{q75:.4f}, min {min(values):.4f}, "
            f"max {max(values):.4f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,16,3", help="layer widths, input first")
    parser.add_argument("--rows", type=int, default=32, help="rows in the batch")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--calls", type=int, default=100, help="calls per pattern per round")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.rows, sizes[0])).astype(np.float32)
    Y = nl.one_hot(rng.integers(0, sizes[-1], args.rows), sizes[-1])
    base = nl.Network.create(sizes, hidden="tanh", output="softmax", seed=0)
    # one network per pattern: each trains its own copy, none sees another's updates
    net_a, net_b, net_c = base.copy(), base.copy(), base.copy()
    trainer = nl.Trainer(net_b, None, "adam")
    patterns: dict[str, Callable[[], object]] = {
        "(a) fit(net, X, Y, epochs=1)": lambda: nl.fit(net_a, X, Y, epochs=1),
        "(b) Trainer.epoch(X, Y)": lambda: trainer.epoch(X, Y),
    }
    if "state" in inspect.signature(nl.fit).parameters:
        state = nl.Adam().init(net_c.params)
        patterns["(c) fit(net, X, Y, epochs=1, state=state)"] = lambda: nl.fit(
            net_c, X, Y, epochs=1, state=state)

    print(f"neuronless {_source()}")
    print(f"Python {platform.python_version()}, NumPy {np.__version__}, BLAS: {_blas_threads()}, "
          f"{os.cpu_count()} CPUs")
    print(f"network {'-'.join(map(str, sizes))} tanh/softmax, cross-entropy, Adam, float32; "
          f"batch {args.rows} rows; {args.rounds} rounds x {args.calls} calls per pattern")
    if len(patterns) == 2:
        print("fit has no state= argument here: pattern (c) skipped")

    names = list(patterns)
    for fn in patterns.values():  # warm up: first-call imports and caches are not the fixed cost
        _per_call_ms(fn, max(1, args.calls // 10))
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(args.rounds):
        order = names if r % 2 == 0 else names[::-1]  # neither pattern always goes first
        for name in order:
            times[name].append(_per_call_ms(patterns[name], args.calls))

    print()
    for name in names:
        print(f"{name:44s} {_summary(times[name])}")
    work = times[names[1]]
    print("\nfixed cost per call = pattern - (b), per round:")
    for name in names[:1] + names[2:]:
        fixed = [t - w for t, w in zip(times[name], work, strict=True)]
        verdict = "PASS" if float(np.median(fixed)) <= TARGET_MS else "MISS"
        print(f"{name:44s} {_summary(fixed)}  {verdict} (target <= {TARGET_MS} ms)")


if __name__ == "__main__":
    main()
