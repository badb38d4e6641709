"""The playground's server-side cost per frame and its training speed, on the default spiral.

The page draws at most ``CAPS["frames_per_second"]`` (30) snapshots a second; each snapshot is
built on the server (weights, curves, metrics, the heatmap of every unit over the grid) and
written as JSON while the training thread waits for the session's lock. This script times, in
one process on the page's default config (spiral, 400 points, 2-8-8-1 tanh, Adam, batch 32,
40 x 40 grid):

(a) training steps per second with no snapshots taken (``Session._step`` in a loop);
(b) one snapshot: ``Session.snapshot_json`` after a change (median over the rounds);
(c) the share of one core that 30 snapshots a second take: ``30 * (b)``; the target is at
    most 0.5, so that training keeps at least half of its core while the page watches.

    .venv/bin/python benchmarks/playground.py
    .venv/bin/python benchmarks/playground.py --rounds 50 --grid 100
"""

from __future__ import annotations

import argparse
import statistics
import time

from neuronless.web.config import CAPS, check_config
from neuronless.web.session import Session

TARGET_SHARE = 0.5


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--grid", type=int, default=40)
    ap.add_argument("--steps", type=int, default=3000, help="training steps timed for (a)")
    args = ap.parse_args()
    session = Session(check_config({"grid": args.grid}))
    t0 = time.perf_counter()
    for _ in range(args.steps):
        session._step()
    steps_per_s = args.steps / (time.perf_counter() - t0)
    times = []
    for _ in range(args.rounds):
        session._step()  # a change: the next snapshot is built, not the cached one
        t = time.perf_counter()
        text = session.snapshot_json()
        times.append(time.perf_counter() - t)
    ms = 1e3 * statistics.median(times)
    share = CAPS["frames_per_second"] * ms / 1e3
    print(f"config: {session.config.as_dict()}")
    print(f"(a) training: {steps_per_s:,.0f} steps/s ({session.run.epoch} epochs)")
    print(f"(b) snapshot: {ms:.2f} ms median over {args.rounds} "
          f"({1e3 * min(times):.2f}-{1e3 * max(times):.2f}), {len(text):,} bytes of JSON")
    print(f"(c) {CAPS['frames_per_second']} snapshots/s take {share:.2f} of a core: "
          f"{'PASS' if share <= TARGET_SHARE else 'MISS'} (target <= {TARGET_SHARE})")


if __name__ == "__main__":
    main()
