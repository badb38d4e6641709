"""Loading a large numeric CSV: ``neuronless.data.load`` and ``read_table`` beside pandas.

The data: 200,000 rows x 51 columns (50 float features written with 6 significant digits, then
an integer label 0-9), about 90 MB, generated once with a fixed seed and cached in
``<tmp>/neuronless-bench/`` (``--data`` reads another file, ``--rows`` makes a smaller one).

In one run it measures, round by round with the order rotating each round (so drift and the
page cache hit every reader alike), each in a fresh subprocess:

- ``pandas.read_csv(path)``, the default C engine;
- ``neuronless.data.load(path)``: the Dataset (finite float64 ``X`` of the 50 features, the
  label as ``y``);
- ``neuronless.data.read_table(path)``: the raw typed columns.

Time is wall-clock time of the call. For neuronless it includes importing pyarrow, which the
call does lazily (pandas imports pyarrow when pandas is imported, before its clock starts); the
time without that import is shown too. CPU seconds (user + system, all threads) say how much
of the wall time the process really had the machine.

Peak memory: the subprocess reads ``ru_maxrss`` (its resident-set high-water mark) right after
its imports (pandas, or neuronless.data and pyarrow.csv) and again after the call; the
difference is the most memory the load held at any moment beyond the libraries: its result,
its buffers and temporaries, and whatever pages an allocator kept. It is compared with the
size of the final float64 array, rows x features x 8 bytes (80 MB here).

Targets, PASS/MISS on the medians of the per-round ratios: ``load`` time <= 1.5x
``pandas.read_csv``; peak memory beyond the final array <= 2x that array. ``read_table`` is
held to the same two.

    .venv/bin/python benchmarks/loading.py                 # 5 rounds
    .venv/bin/python benchmarks/loading.py --rounds 9 --out benchmarks/results/loading.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SRC = Path(__file__).resolve().parents[1] / "src"
ROWS, FEATURES = 200_000, 50
TIME_TARGET = 1.5  # load time / pandas.read_csv time
MEMORY_TARGET = 2.0  # (peak beyond imports - final array) / final array

READERS = {
    "pandas.read_csv": ("import pandas", None, "pandas.read_csv(path)"),
    "neuronless load": (
        "import neuronless.data",
        "import pyarrow.csv",
        "neuronless.data.load(path)",
    ),
    "neuronless read_table": (
        "import neuronless.data",
        "import pyarrow.csv",
        "neuronless.data.read_table(path)",
    ),
}

_WORKER = """
import json, resource, sys, time
def rusage():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_maxrss * 1024, r.ru_utime + r.ru_stime
path = sys.argv[1]
{imports}
t0 = time.perf_counter()
{lazy}
t1 = time.perf_counter()
base, cpu0 = rusage()
t2 = time.perf_counter()
result = {call}
t3 = time.perf_counter()
peak, cpu1 = rusage()
shape = list(getattr(result, "shape", None) or [getattr(result, "n_rows", 0), len(getattr(result, "names", []))])
if hasattr(result, "X"):
    shape = list(result.X.shape)
print(json.dumps({{"seconds": t3 - t2, "import_seconds": t1 - t0, "cpu": cpu1 - cpu0,
                  "peak_bytes": peak - base, "base_bytes": base, "shape": shape}}))
"""


def make_csv(path: Path, rows: int, seed: int = 0) -> None:
    """The benchmark table, written in chunks to a temporary name, then renamed into place."""
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_suffix(".part")
    with part.open("w") as f:
        f.write(",".join([f"f{j}" for j in range(FEATURES)] + ["label"]) + "\n")
        for lo in range(0, rows, 10_000):
            n = min(10_000, rows - lo)
            X = rng.normal(size=(n, FEATURES))
            labels = rng.integers(0, 10, size=n)
            f.writelines(
                ",".join(f"{v:.6g}" for v in row) + f",{y}\n"
                for row, y in zip(X.tolist(), labels.tolist(), strict=True)
            )
    part.replace(path)


def measure(reader: str, path: Path, env: dict[str, str]) -> dict[str, float]:
    imports, lazy, call = READERS[reader]
    code = _WORKER.format(imports=imports, lazy=lazy or "pass", call=call)
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"{reader} failed:\n{done.stderr}")
    result: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    if reader.startswith("neuronless"):
        result["total_seconds"] = result["seconds"] + result["import_seconds"]
    else:
        result["total_seconds"] = result["seconds"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--data", type=Path, help="a CSV to read instead of the generated one")
    parser.add_argument("--out", type=Path, help="write all measurements as JSON here")
    args = parser.parse_args()

    path = args.data or Path(tempfile.gettempdir()) / "neuronless-bench" / (
        f"loading-{args.rows}x{FEATURES + 1}.csv"
    )
    if not path.exists():
        print(f"writing {path} ...", file=sys.stderr)
        make_csv(path, args.rows)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), *filter(None, [env.get("PYTHONPATH")])])
    names = list(READERS)
    for name in names:  # warm-up: page cache, bytecode cache
        measure(name, path, env)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    load_before = os.getloadavg()[0]
    for r in range(args.rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            runs[name].append(measure(name, path, env))
    load_after = os.getloadavg()[0]

    rows = runs[names[1]][0]["shape"][0]
    final = rows * FEATURES * 8
    size = path.stat().st_size
    print(
        f"loading {path.name}: {size / 1e6:.1f} MB, {rows} rows x {FEATURES + 1} columns; "
        f"final float64 array {final / 1e6:.1f} MB; {args.rounds} rounds; started {started}, "
        f"load average {load_before:.2f} before, {load_after:.2f} after"
    )
    print(
        f"{'reader':<24}{'median s':>9}{'min':>7}{'max':>7}{'no-import s':>12}{'cpu s':>7}"
        f"{'peak MB':>9}{'min':>7}{'max':>7}{'beyond/array':>13}"
    )
    for name in names:
        t = [m["total_seconds"] for m in runs[name]]
        bare = statistics.median(m["seconds"] for m in runs[name])
        cpu = statistics.median(m["cpu"] for m in runs[name])
        peak = [m["peak_bytes"] / 1e6 for m in runs[name]]
        beyond = (statistics.median(peak) * 1e6 - final) / final
        print(
            f"{name:<24}{statistics.median(t):>9.3f}{min(t):>7.3f}{max(t):>7.3f}{bare:>12.3f}"
            f"{cpu:>7.2f}{statistics.median(peak):>9.0f}{min(peak):>7.0f}{max(peak):>7.0f}"
            f"{beyond:>13.2f}"
        )
    print(f"{'measure':<62}{'target':>8}{'median':>8}{'min':>7}{'max':>7}  result")
    base = runs[names[0]]
    for name in names[1:]:
        ratios = [
            m["total_seconds"] / p["total_seconds"] for m, p in zip(runs[name], base, strict=True)
        ]
        beyond = [(m["peak_bytes"] - final) / final for m in runs[name]]
        for label, values, target in (
            (f"{name} time / pandas.read_csv time", ratios, TIME_TARGET),
            (f"{name} peak beyond the final array / the array", beyond, MEMORY_TARGET),
        ):
            median = statistics.median(values)
            verdict = "PASS" if median <= target else "MISS"
            print(
                f"{label:<62}{'<= ' + format(target, '.1f'):>8}{median:>8.2f}{min(values):>7.2f}"
                f"{max(values):>7.2f}  {verdict}"
            )
    if args.out:
        args.out.write_text(
            json.dumps(
                {"file": str(path), "bytes": size, "rows": rows, "features": FEATURES,
                 "final_array_bytes": final, "rounds": args.rounds, "started": started,
                 "load_average": [load_before, load_after], "runs": runs},
                indent=1,
            )
        )  # fmt: skip


if __name__ == "__main__":
    main()
