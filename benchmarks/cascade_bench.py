"""Cascade2 growth against libfann's ``fann_cascadetrain_on_data`` (issue 12's cascade target).

Both grow a shortcut net on the same data set to the same number of installed hidden units
(``desired_error=0``, so neither stops early): FANN's defaults (RPROP, the pool of 10
activation functions x 4 steepnesses x 2 groups = 80 candidates, its stagnation rules), a
LINEAR output unit and the LINEAR error function, float32 (libfann.so, the float build). The
time is the wall time of the whole growth. libfann draws its weights from ``rand()`` and we
from a NumPy generator, so the two nets differ; the rounds alternate between the columns and
the speed-up is the median over rounds of libfann's time / ours, measured in the same round.
Epochs (output + candidate) differ a little between the two because the stagnation rules see
different errors; neuronless's epoch count is printed beside its time so the ratio can be read
per epoch too (libfann does not report its epochs).

Columns: ``libfann``; ``numpy`` (``cascade_train(backend="numpy")``); ``compiled``
(``backend="compiled"``: the output and candidate trainings in numba). BLAS runs on one thread
(libfann is single-threaded). Data: FANN's ``parity8.train`` and ``two-spiral.train`` from
``../shared/data/fann`` when present, else the same sets generated here (parity of 8 bits;
Lang and Witbrock's two spirals).

``--sweep`` times one candidate epoch instead (compiled against NumPy's, default pool of 80
candidates, float32, 1 and 2 BLAS threads) over patterns x candidate inputs, which is how
``neuronless.cascade.COMPILED_MAX_INPUTS`` (the "auto" rule) was chosen.

Usage: ``python benchmarks/cascade_bench.py [--rounds 5] [--units parity8=10,two-spiral=20]
[--json out.json]`` or ``python benchmarks/cascade_bench.py --sweep``.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "src"))

import neuronless as nl  # noqa: E402
from neuronless.fann import libfann as libfann_mod  # noqa: E402
from neuronless.fann.data import read_fann_data  # noqa: E402

DATA = BENCH.parent.parent / "shared" / "data" / "fann"
TARGET = 3.0
DEFAULT_UNITS = {"parity8": 10, "two-spiral": 20}


def load(name: str) -> tuple[np.ndarray, np.ndarray, str]:
    path = DATA / f"{name}.train"
    if path.exists():
        X, Y = read_fann_data(path)
        return X, Y, str(path)
    if name == "parity8":
        X = np.array(list(itertools.product([0.0, 1.0], repeat=8)))
        return X, (X.sum(axis=1) % 2).reshape(-1, 1), "generated (8-bit parity)"
    X, y = nl.datasets.two_spiral()
    return X / 6.5, y.reshape(-1, 1).astype(float), "generated (nl.datasets.two_spiral)"


def run_libfann(lib, X, Y, units: int, seed: int) -> dict:
    ann = lib.create_shortcut([X.shape[1], Y.shape[1]], seed=seed)
    ann.configure(algorithm="rprop", error_function="linear")
    ann.set_activation_output(0)  # FANN_LINEAR
    data = lib.train_data(X, Y)
    t0 = time.perf_counter()
    ann.cascadetrain(data, units, 0.0)
    secs = time.perf_counter() - t0
    mse, _ = ann.test_data(data)
    grown = len(ann.layer_sizes()) - 2
    ann.close()
    data.close()
    return {"s": secs, "units": grown, "mse": float(mse)}


def run_ours(X, Y, units: int, seed: int, backend: str) -> dict:
    t0 = time.perf_counter()
    _, rep = nl.cascade_train(X, Y, max_neurons=units, desired_error=0.0, seed=seed,
                              backend=backend)
    secs = time.perf_counter() - t0
    return {"s": secs, "units": len(rep.units), "mse": float(rep.mse[-1]),
            "epochs": rep.total_epochs, "backend": rep.backend}


SWEEP = [(256, 10), (193, 23), (400, 40), (1000, 30), (2000, 50), (4000, 30), (4000, 60),
         (4000, 130), (20000, 20)]


def _best(fn, repeats: int = 7) -> float:
    fn()
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def sweep() -> int:
    """One candidate epoch, compiled and NumPy, over shapes (best of 7 each)."""
    from threadpoolctl import threadpool_limits

    from neuronless.cascade import COMPILED_MAX_INPUTS, _Pool, candidate_scores_and_grads
    from neuronless.cascade_kernels import CandidateKernel
    from neuronless.fann.params import FannParams

    pool = _Pool.build(FannParams())
    rng = np.random.default_rng(0)
    print(f"one candidate epoch, {pool.size} candidates (FANN's default pool), float32; "
          f"auto compiles up to {COMPILED_MAX_INPUTS} candidate inputs")
    print(f"{'threads':>7s} {'patterns':>8s} {'inputs':>6s} {'work':>9s} {'compiled us':>12s} "
          f"{'numpy us':>9s} {'numpy/compiled':>15s}")
    for threads in (1, 2):
        with threadpool_limits(limits=threads, user_api="blas"):
            for m, n_cols in SWEEP:
                A = np.column_stack([rng.normal(size=(m, n_cols - 1)), np.ones(m)])
                A = A.astype(np.float32)
                E = rng.normal(size=(m, 1)).astype(np.float32)
                W = rng.uniform(-1, 1, (n_cols, pool.size)).astype(np.float32)
                V = rng.uniform(-1, 1, (pool.size, 1)).astype(np.float32)
                k = CandidateKernel(A, E, pool.families, pool.fann_steepness, pool.scale,
                                    pool.offset, pool.phase, True)
                gW, gV = np.empty_like(W), np.empty_like(V)
                tc = _best(functools.partial(k, W, V, gW, gV))
                tn = _best(functools.partial(candidate_scores_and_grads, A, E, W, V, pool, True))
                work = m * pool.size * n_cols
                print(f"{threads:7d} {m:8d} {n_cols:6d} {work:9.2e} {tc * 1e6:12.0f} "
                      f"{tn * 1e6:9.0f} {tn / tc:15.2f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--units", default=",".join(f"{k}={v}" for k, v in DEFAULT_UNITS.items()))
    ap.add_argument("--json", default=None)
    ap.add_argument("--sweep", action="store_true", help="time one candidate epoch by shape")
    args = ap.parse_args(argv)
    if args.sweep:
        return sweep()
    units = {k: int(v) for k, v in (item.split("=") for item in args.units.split(","))}
    try:
        lib = libfann_mod.load("float")
    except libfann_mod.LibFannMissing as e:
        print(f"libfann missing: {e}", file=sys.stderr)
        lib = None
    from threadpoolctl import threadpool_limits

    columns = ["libfann", "numpy", "compiled"] if lib is not None else ["numpy", "compiled"]
    results: dict = {}
    with threadpool_limits(limits=1, user_api="blas"):
        # warm-up: numba's compile (or cache load) is paid before any timing
        X0, Y0, _ = load("parity8")
        run_ours(X0, Y0, 1, 0, "compiled")
        for name, n_units in units.items():
            X, Y, source = load(name)
            rounds: list[dict] = []
            for r in range(args.rounds):
                per: dict = {}
                order = columns if r % 2 == 0 else columns[::-1]
                for col in order:
                    if col == "libfann":
                        per[col] = run_libfann(lib, X, Y, n_units, seed=r)
                    else:
                        per[col] = run_ours(X, Y, n_units, r, col)
                rounds.append(per)
            summary: dict = {"source": source, "patterns": len(X), "units": n_units}
            for col in columns:
                summary[col] = {
                    "median_s": statistics.median(p[col]["s"] for p in rounds),
                    "median_mse": statistics.median(p[col]["mse"] for p in rounds),
                    "units": sorted({p[col]["units"] for p in rounds}),
                }
                if col != "libfann":
                    summary[col]["median_epochs"] = statistics.median(
                        p[col]["epochs"] for p in rounds)
                    summary[col]["backends"] = sorted({p[col]["backend"] for p in rounds})
                    if lib is not None:
                        summary[col]["speedup_vs_libfann"] = statistics.median(
                            p["libfann"]["s"] / p[col]["s"] for p in rounds)
            summary["compiled_over_numpy"] = statistics.median(
                p["numpy"]["s"] / p["compiled"]["s"] for p in rounds)
            results[name] = {"summary": summary, "rounds": rounds}

    print(f"Cascade2 to a fixed number of units, {args.rounds} rounds, 1 BLAS thread, float32")
    head = f"{'set':12s} {'units':>5s} " + " ".join(f"{c + ' s':>12s}" for c in columns)
    head += "   epochs (numpy/compiled)   numpy x libfann   compiled x libfann   compiled x numpy"
    print(head)
    ok = True
    for name, res in results.items():
        s = res["summary"]
        line = f"{name:12s} {s['units']:5d} " + " ".join(
            f"{s[c]['median_s']:12.4f}" for c in columns)
        line += f"   {s['numpy']['median_epochs']:8.0f} / {s['compiled']['median_epochs']:<8.0f}"
        if lib is not None:
            sp_n, sp_c = s["numpy"]["speedup_vs_libfann"], s["compiled"]["speedup_vs_libfann"]
            verdict = "PASS" if sp_c >= TARGET else "MISS"
            ok &= sp_c >= TARGET
            line += f"   {sp_n:13.2f}x   {sp_c:16.2f}x {verdict}"
        line += f"   {s['compiled_over_numpy']:14.2f}x"
        print(line)
        for col in columns:
            print(f"    {col:9s} final MSE (median) {s[col]['median_mse']:.3g}, "
                  f"units {s[col]['units']}")
    if lib is not None:
        print(f"target: compiled >= {TARGET}x libfann's wall time on every set: "
              f"{'PASS' if ok else 'MISS'}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
