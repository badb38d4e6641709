"""Training on a Dask cluster beside training in memory, on this machine, in one run.

Three parts (``--part``, default all):

full-batch
    iRprop+ on 784-256-10 (tanh, softmax, cross-entropy, float32) over ``--rows`` rows
    (200,000) of synthetic data, whole batch: the in-memory ``Trainer(batch_size=None)`` with
    one BLAS thread and with all of them, then ``neuronless.dask.fit_full_batch`` on a
    ``LocalCluster`` of 1 and of 2 worker processes (one thread each; Dask's workers run
    BLAS on one thread). The rows are the same everywhere: each 25,000-row chunk is made by
    one seeded function, on the workers for Dask. Reported: the median seconds per epoch,
    the 1-worker overhead against in-memory training on one thread (target <= 30 %), the
    2-worker speed-up over 1 worker (target >= 1.6x), and the scaling model's prediction of
    the 2-worker epoch (docs/dask.md) next to the measurement: a tiny run of the same network
    measures the fixed cost of an epoch (parameters out, one gradient per partition back).
streamed
    Adam, batch 256, on the same network over ``--stream-rows`` rows (50,000): in-memory
    ``fit`` (one thread, all threads), ``fit_streamed`` and ``fit_data_parallel`` in both
    modes on 1 and 2 workers; seconds per epoch.
mnist
    Convergence of the mini-batch modes on a real set, MNIST's 10,000 test digits
    (../shared/data/mnist; skipped when absent): 8,000 to train, 2,000 held out, 784-128-10
    relu/softmax, Adam(1e-3), batch 64, ``--mnist-epochs`` epochs, on 2 workers: in-memory
    fit, streamed, data-parallel "sync" and "average" (1 and 4 rounds per epoch). Reported:
    held-out accuracy after every epoch and seconds per epoch.

The machine is shared and noisy: read the ratios of one run, not single times. Results go
to stdout and, with ``--out``, to a JSON file:

    .venv/bin/python benchmarks/dask_bench.py --out benchmarks/results/dask-<commit>.json
    .venv/bin/python benchmarks/dask_bench.py --part full-batch --rows 50000 --epochs 3
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

import neuronless as nl
from neuronless.optimizers import Adam

try:
    from _common import machine_info, source_state
except ImportError:  # run from another directory
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import machine_info, source_state

SIZES = [784, 256, 10]
CHUNK = 25_000
MNIST = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "mnist"


def teacher() -> nl.Network:
    return nl.Network.create([784, 32, 10], "tanh", "softmax", seed=99, dtype=np.float32)


def chunk_x(i: int, rows: int) -> np.ndarray:
    return np.random.default_rng([2026, i]).standard_normal((rows, 784), dtype=np.float32)


def chunk_y(x: np.ndarray) -> np.ndarray:
    labels = teacher().forward(x).argmax(axis=1)
    return np.eye(10, dtype=np.float32)[labels]


def chunk_sizes(rows: int) -> list[int]:
    return [min(CHUNK, rows - a) for a in range(0, rows, CHUNK)]


def in_memory(rows: int) -> tuple[np.ndarray, np.ndarray]:
    xs = [chunk_x(i, n) for i, n in enumerate(chunk_sizes(rows))]
    X = np.concatenate(xs)
    return X, np.concatenate([chunk_y(x) for x in xs])


def on_cluster(rows: int):
    import dask
    import dask.array as da

    xs, ys = [], []
    for i, n in enumerate(chunk_sizes(rows)):
        x = dask.delayed(chunk_x)(i, n)
        xs.append(da.from_delayed(x, shape=(n, 784), dtype=np.float32))
        ys.append(da.from_delayed(dask.delayed(chunk_y)(x), shape=(n, 10), dtype=np.float32))
    X, Y = da.concatenate(xs), da.concatenate(ys)
    return X.persist(), Y.persist()


def net() -> nl.Network:
    return nl.Network.create(SIZES, "tanh", "softmax", seed=1, dtype=np.float32)


def cluster(workers: int):
    from distributed import Client, LocalCluster

    lc = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address="127.0.0.1:0", host="127.0.0.1")
    return lc, Client(lc)


def epoch_times(train, *args, **kwargs) -> list[float]:
    """``train(*args, callback=..., **kwargs)``'s seconds between successive epoch ends (the
    first epoch, a warm-up, is left out)."""
    stamps: list[float] = []
    train(*args, callback=lambda *a: stamps.append(time.perf_counter()), **kwargs)
    return [b - a for a, b in itertools.pairwise(stamps)]


def fit_in_memory(net, X, Y, *, callback, **kwargs):
    """``nl.fit`` with ``callback()`` after every epoch."""
    return nl.fit(net, X, Y, callbacks=[_EpochEnd(callback)], **kwargs)


def full_batch(rows: int, epochs: int) -> dict:
    from threadpoolctl import threadpool_limits

    from neuronless.dask import DaskObjective, fit_full_batch
    from neuronless.training import Trainer

    out: dict = {"rows": rows, "network": SIZES, "epochs_timed": epochs,
                 "partitions": len(chunk_sizes(rows))}
    X, Y = in_memory(rows)
    for threads in (1, None):
        n = net()
        tr = Trainer(n, "cross_entropy", "irprop+", batch_size=None)
        with threadpool_limits(threads):
            times = []
            tr.epoch(X, Y)  # warm-up
            for _ in range(epochs):
                t = time.perf_counter()
                tr.epoch(X, Y)
                times.append(time.perf_counter() - t)
        key = "memory_1_thread" if threads == 1 else "memory_all_threads"
        out[key] = statistics.median(times)
        print(f"  in memory, {'1 BLAS thread' if threads == 1 else 'all BLAS threads'}: "
              f"{out[key]:.3f} s/epoch", flush=True)
    del X, Y
    for workers in (1, 2):
        lc, client = cluster(workers)
        try:
            Xd, Yd = on_cluster(rows)
            n = net()
            times = epoch_times(fit_full_batch, n, Xd, Yd, optimizer="irprop+",
                                epochs=epochs + 1, loss="cross_entropy", client=client)
            out[f"dask_{workers}"] = statistics.median(times)
            # the fixed cost of an epoch: the same network on 16 rows per partition
            tiny_x = Xd[: 16 * out["partitions"]].rechunk((16, 784)).persist()
            tiny_y = Yd[: 16 * out["partitions"]].rechunk((16, 10)).persist()
            obj = DaskObjective(net(), tiny_x, tiny_y, loss="cross_entropy", client=client)
            obj(n.params)
            fixed = []
            for _ in range(5):
                t = time.perf_counter()
                obj(n.params)
                fixed.append(time.perf_counter() - t)
            out[f"fixed_{workers}"] = statistics.median(fixed)
        finally:
            client.close()
            lc.close()
        print(f"  Dask, {workers} worker(s): {out[f'dask_{workers}']:.3f} s/epoch (fixed cost "
              f"of an epoch {out[f'fixed_{workers}'] * 1000:.1f} ms)", flush=True)
    params = net().params.size
    out["overhead_1_worker"] = out["dask_1"] / out["memory_1_thread"] - 1
    out["speedup_2_over_1"] = out["dask_1"] / out["dask_2"]
    # the scaling model (docs/dask.md): T(N) = T_c / (N e) + T_f(N), T_c the workers' share
    # of a 1-worker epoch, e how well two processes share this machine's cores and memory
    # (measured in memory: one BLAS thread against all), T_f the fixed cost measured above
    compute = out["dask_1"] - out["fixed_1"]
    efficiency = out["memory_1_thread"] / (2 * out["memory_all_threads"])
    out["core_efficiency"] = efficiency
    out["model_2_workers"] = compute / (2 * efficiency) + out["fixed_2"]
    out["bytes_per_epoch"] = {"parameters_out": 2 * params * 4,
                              "gradients_back": out["partitions"] * params * 8}
    print(f"  1-worker overhead over in memory (1 thread): {out['overhead_1_worker']:+.1%} "
          f"(target <= +30%: {'PASS' if out['overhead_1_worker'] <= 0.30 else 'MISS'})")
    print(f"  2 workers over 1: {out['speedup_2_over_1']:.2f}x (target >= 1.6x: "
          f"{'PASS' if out['speedup_2_over_1'] >= 1.6 else 'MISS'})")
    print(f"  scaling model, 2 workers: (1-worker epoch - its fixed cost) / (2 x "
          f"{efficiency:.2f} core efficiency) + fixed cost = {out['model_2_workers']:.3f} s "
          f"predicted, {out['dask_2']:.3f} s measured")
    return out


def streamed(rows: int, epochs: int) -> dict:
    from neuronless.dask import fit_data_parallel, fit_streamed

    out: dict = {"rows": rows, "network": SIZES, "batch_size": 256, "epochs_timed": epochs}
    X, Y = in_memory(rows)
    for threads in (1, None):
        n = net()
        times = epoch_times(fit_in_memory, n, X, Y, optimizer=Adam(1e-3), epochs=epochs + 1,
                            batch_size=256, seed=0, threads=threads or "auto")
        key = "memory_1_thread" if threads == 1 else "memory_all_threads"
        out[key] = statistics.median(times)
        print(f"  in memory fit, {'1 thread' if threads == 1 else 'all threads'}: "
              f"{out[key]:.3f} s/epoch", flush=True)
    del X, Y
    for workers in (1, 2):
        lc, client = cluster(workers)
        try:
            Xd, Yd = on_cluster(rows)
            common = dict(optimizer=Adam(1e-3), epochs=epochs + 1, batch_size=256,
                          client=client)
            runs = {"streamed": (fit_streamed, {}),
                    "sync": (fit_data_parallel, {"mode": "sync"}),
                    "average": (fit_data_parallel, {"mode": "average"})}
            for name, (train, extra) in runs.items():
                out[f"{name}_{workers}"] = statistics.median(
                    epoch_times(train, net(), Xd, Yd, **common, **extra))
                print(f"  Dask {name}, {workers} worker(s): "
                      f"{out[f'{name}_{workers}']:.3f} s/epoch", flush=True)
        finally:
            client.close()
            lc.close()
    return out


class _EpochEnd:
    """A fit callback that calls ``f()`` at the end of every epoch."""

    def __init__(self, f):
        self.f = f

    def __call__(self, *args, **kwargs):
        self.f()


def _idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def mnist(epochs: int) -> dict | None:
    images, labels = MNIST / "t10k-images-idx3-ubyte.gz", MNIST / "t10k-labels-idx1-ubyte.gz"
    if not (images.exists() and labels.exists()):
        print("  ../shared/data/mnist is absent: skipped")
        return None
    from neuronless.dask import fit_data_parallel, fit_streamed

    X = _idx(images).reshape(-1, 784).astype(np.float32) / 255.0
    y = _idx(labels)
    Y = np.eye(10, dtype=np.float32)[y]
    Xtr, Ytr, Xte, yte = X[:8000], Y[:8000], X[8000:], y[8000:]

    def start() -> nl.Network:
        return nl.Network.create([784, 128, 10], "relu", "softmax", seed=0, dtype=np.float32)

    out: dict = {"train_rows": 8000, "test_rows": 2000, "network": [784, 128, 10],
                 "batch_size": 64, "optimizer": "adam(1e-3)", "workers": 2, "runs": {}}

    def record(name: str, run) -> None:
        n = start()
        acc, stamps = [], [time.perf_counter()]

        def cb(*a):
            stamps.append(time.perf_counter())
            acc.append(float(np.mean(n.forward(Xte).argmax(1) == yte)))

        run(n, cb)
        per_epoch = [b - a for a, b in itertools.pairwise(stamps)]
        out["runs"][name] = {"accuracy": acc, "seconds_per_epoch": statistics.median(per_epoch)}
        print(f"  {name:<22} accuracy by epoch {' '.join(f'{a:.3f}' for a in acc)}; "
              f"{statistics.median(per_epoch):.3f} s/epoch", flush=True)

    record("in memory", lambda n, cb: fit_in_memory(n, Xtr, Ytr, optimizer=Adam(1e-3),
                                                    epochs=epochs, batch_size=64, seed=0,
                                                    callback=cb))
    lc, client = cluster(2)
    try:
        Xd, Yd = Xtr, Ytr  # NumPy: each function scatters it in 8 blocks of 1,000 rows
        record("streamed", lambda n, cb: fit_streamed(n, Xd, Yd, optimizer=Adam(1e-3),
                                                      epochs=epochs, batch_size=64,
                                                      client=client, partitions=8,
                                                      callback=cb))
        record("sync", lambda n, cb: fit_data_parallel(n, Xd, Yd, optimizer=Adam(1e-3),
                                                       epochs=epochs, batch_size=64,
                                                       client=client, mode="sync",
                                                       partitions=8, callback=cb))
        for rounds in (1, 4):
            record(f"average, {rounds} round(s)", lambda n, cb, r=rounds: fit_data_parallel(
                n, Xd, Yd, optimizer=Adam(1e-3), epochs=epochs, batch_size=64, client=client,
                mode="average", rounds=r, partitions=8, callback=cb))
    finally:
        client.close()
        lc.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--part", choices=["all", "full-batch", "streamed", "mnist"], default="all")
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--epochs", type=int, default=3, help="timed epochs (after one warm-up)")
    ap.add_argument("--stream-rows", type=int, default=50_000)
    ap.add_argument("--mnist-epochs", type=int, default=8)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    result: dict = {"source": source_state(), "machine": machine_info()}
    if args.part in ("all", "full-batch"):
        print("full-batch (iRprop+, 784-256-10):", flush=True)
        result["full_batch"] = full_batch(args.rows, args.epochs)
    if args.part in ("all", "streamed"):
        print("streamed mini-batch (Adam, batch 256, 784-256-10):", flush=True)
        result["streamed"] = streamed(args.stream_rows, args.epochs)
    if args.part in ("all", "mnist"):
        print("MNIST convergence (2 workers):", flush=True)
        result["mnist"] = mnist(args.mnist_epochs)
    if args.out:
        args.out.write_text(json.dumps(result, indent=1, default=str))
        print(f"written to {args.out}")


if __name__ == "__main__":
    main()
