"""One implementation on one config in its own process, driven by run.py.

Reads one JSON command per line on stdin and answers with one JSON line on the file
descriptor given as argv[1] (stdout stays free for library chatter). The driver sets
OMP/OPENBLAS/MKL_NUM_THREADS in the environment before this process starts; ``setup`` also
applies threadpoolctl limits (and torch.set_num_threads) for the same count.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import sys
import time
import traceback

from _common import ADAM, SGDM, SRC, blas_info, cpu_time, make_data, reset_peak, rss

sys.path.insert(0, str(SRC))  # measure the working tree, whatever is installed


def release_free_heap() -> bool:
    """Give freed heap pages back to the OS (glibc), so RSS counts live memory only."""
    try:
        import ctypes

        return bool(ctypes.CDLL("libc.so.6").malloc_trim(0))
    except (OSError, AttributeError):
        return False


class Worker:
    def __init__(self) -> None:
        self.impl = None
        self._limits = None

    def setup(self, label: str, config: dict, threads: int) -> dict:
        t0 = time.perf_counter()
        from threadpoolctl import threadpool_limits

        import _impls

        cls, opt_name, extra, needs_torch, _ = _impls.IMPLS[label]
        if needs_torch:
            import torch

            torch.set_num_threads(threads)
        if cls is _impls.NeuronlessImpl:
            import neuronless  # noqa: F401  (count the import in the import baseline)
        if cls is _impls.SklearnImpl or config["data"] == "digits":
            import sklearn.datasets
            import sklearn.neural_network  # noqa: F401
        self._limits = threadpool_limits(limits=threads)
        mem_import = rss()
        X, y = make_data(config)
        opt = dict(SGDM if opt_name == "sgdm" else ADAM)
        prepared = cls.prepare(config, y) if hasattr(cls, "prepare") else {}
        gc.collect()
        release_free_heap()  # freed data-generation temporaries must not hide later growth
        mem_data = rss()
        peak_reset = reset_peak()
        self.impl = cls(config, X, y, opt, **prepared, **extra)
        self.config, self.label = config, label
        mem_built = rss()
        info = {"rss_import_mib": mem_import["rss_mib"], "rss_data_mib": mem_data["rss_mib"],
                "rss_built_mib": mem_built["rss_mib"], "peak_reset": peak_reset,
                "setup_s": time.perf_counter() - t0, "pid": os.getpid(),
                "blas": blas_info()}
        if needs_torch:
            import torch

            info["torch"] = {"version": torch.__version__, "threads": torch.get_num_threads(),
                             "config": torch.__config__.parallel_info().splitlines()[:8]}
        return info

    def train(self, epochs: int) -> dict:
        impl = self.impl
        c0, t0 = cpu_time(), time.perf_counter()
        for _ in range(epochs):
            impl.epoch()
        wall = time.perf_counter() - t0
        return {"wall": wall, "cpu": cpu_time() - c0, "epochs": epochs}

    def mem(self) -> dict:
        return rss()

    def allocs(self, steps: int) -> dict:
        """Python-level allocations (tracemalloc sees NumPy buffers too) in steady-state steps."""
        import tracemalloc

        impl, batch = self.impl, self.config["batch"]
        n = self.impl.X.shape[0]
        steps = max(1, min(steps, n // batch)) if n > batch else steps
        tracemalloc.start(1)
        impl.epoch()  # warm-up epoch: every batch size has its buffers now
        gc.collect()
        before = tracemalloc.take_snapshot()
        cur0, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        impl.steps(steps, batch)
        cur1, peak = tracemalloc.get_traced_memory()
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
        skip = [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, __file__)]
        diff = after.filter_traces(skip).compare_to(before.filter_traces(skip), "lineno")
        sites = [{"site": f"{s.traceback[0].filename}:{s.traceback[0].lineno}",
                  "size_diff": s.size_diff, "count_diff": s.count_diff}
                 for s in diff if s.size_diff > 0][:6]
        return {"steps": steps, "retained_bytes": cur1 - cur0, "peak_bytes": peak - cur0,
                "retained_per_step": (cur1 - cur0) / steps, "sites": sites}

    def latency(self, calls: int) -> dict:
        f = self.impl.predict_rows()
        clock = time.perf_counter_ns
        for i in range(min(50, calls)):  # warm
            f(i)
        times = []
        for i in range(calls):
            t0 = clock()
            f(i)
            times.append(clock() - t0)
        times.sort()
        return {"calls": calls, "median_us": statistics.median(times) / 1e3,
                "mean_us": sum(times) / len(times) / 1e3, "p10_us": times[len(times) // 10] / 1e3,
                "p90_us": times[(9 * len(times)) // 10] / 1e3}

    def batch(self, size: int, reps: int) -> dict:
        X = self.impl.X
        Xb = X[:size] if X.shape[0] >= size else X[(list(range(X.shape[0])) * size)[:size]]
        import numpy as np

        Xb = np.ascontiguousarray(Xb)
        self.impl.predict(Xb)
        c0, t0 = cpu_time(), time.perf_counter()
        for _ in range(reps):
            self.impl.predict(Xb)
        wall = time.perf_counter() - t0
        return {"size": size, "reps": reps, "wall": wall, "cpu": cpu_time() - c0,
                "samples_per_s": size * reps / wall}


def main() -> None:
    out = os.fdopen(int(sys.argv[1]), "w", buffering=1)
    worker = Worker()
    for line in sys.stdin:
        msg = json.loads(line)
        cmd = msg.pop("cmd")
        if cmd == "quit":
            break
        try:
            reply = {"ok": True, **getattr(worker, cmd)(**msg)}
        except Exception as exc:  # keep serving; the driver records the failure
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}",
                     "traceback": traceback.format_exc()[-2500:]}
        out.write(json.dumps(reply, default=str) + "\n")
    out.close()


if __name__ == "__main__":
    main()
