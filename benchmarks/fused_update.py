"""One optimizer step, NumPy's whole-vector form beside the fused multi-threaded one.

``neuronless.fused`` runs Adam's and momentum's update in one pass over the parameters on
numba's threads; the NumPy form walks the vector about ten times on one core. This script
times both, interleaved round by round in one process, for parameter vectors from small-net
to wide-net size (float32, as benchmarks/run.py trains), and prints the median time per step
and the ratio. ``fused.MIN_PARAMS`` (the size from which the optimizers take the fused path)
comes from where the ratio passes 1.

    .venv/bin/python benchmarks/fused_update.py
    .venv/bin/python benchmarks/fused_update.py --rounds 30 --sizes 50000 235146 1863690
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from neuronless import fused
from neuronless.optimizers import Adam, Momentum


def _time(opt: Adam | Momentum, n: int, on: bool, steps: int) -> float:
    fused.MIN_PARAMS = 1 if on else 10**12
    rng = np.random.default_rng(0)
    params = rng.normal(size=n).astype(np.float32)
    grads = rng.normal(size=n).astype(np.float32)
    state = opt.init(params)
    opt.step(params, grads.copy(), state)  # warm: compiled kernels, touched pages
    g = [grads.copy() for _ in range(steps)]
    t = time.perf_counter()
    for k in range(steps):
        opt.step(params, g[k], state)
    return (time.perf_counter() - t) / steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15)
    # 2-4-1 .. small 64-32-10 .. medium 784-256-128-10 (235,146) .. wide 784-1024-1024-10
    ap.add_argument("--sizes", type=int, nargs="+",
                    default=[2_410, 20_000, 50_000, 100_000, 235_146, 1_863_690])
    args = ap.parse_args()
    import numba

    print(f"numba {numba.__version__}, {numba.get_num_threads()} threads, "
          f"threading layer on first use; fused.MIN_PARAMS = {fused.MIN_PARAMS:,}")
    print(f"{'optimizer':>9} {'params':>10} {'numpy µs':>10} {'fused µs':>10} {'ratio':>6}")
    for name, opt in (("adam", Adam()), ("momentum", Momentum())):
        for n in args.sizes:
            steps = max(5, min(2000, 20_000_000 // n))
            ratios, a, b = [], [], []
            for _ in range(args.rounds):
                t_np = _time(opt, n, False, steps)
                t_fu = _time(opt, n, True, steps)
                a.append(t_np)
                b.append(t_fu)
                ratios.append(t_np / t_fu)
            print(f"{name:>9} {n:>10,} {1e6 * statistics.median(a):>10.1f} "
                  f"{1e6 * statistics.median(b):>10.1f} {statistics.median(ratios):>6.2f}")


if __name__ == "__main__":
    main()
