"""Pieces shared by the benchmark driver (run.py) and its worker processes (_worker.py).

Nothing here is timed. Configs, synthetic data, the theoretical training-buffer size of a
network, RSS readings from /proc and a description of the machine.
"""

from __future__ import annotations

import itertools
import os
import platform
import resource
import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
SRC = REPO / "src"
# the team's hand-written NumPy reference, loaded by path when present (never copied here)
NUMPY_REF = (REPO / ".." / "shared" / "bench" / "adapters" / "numpy_ref.py").resolve()

# name -> layers, hidden/output activation, loss, batch size, samples (None: fixed dataset)
CONFIGS: dict[str, dict] = {
    "tiny": {"layers": [2, 4, 1], "hidden": "sigmoid", "output": "sigmoid",
             "loss": "binary_cross_entropy", "batch": 4, "samples": 4, "data": "xor"},
    "small": {"layers": [64, 32, 10], "hidden": "relu", "output": "softmax",
              "loss": "cross_entropy", "batch": 32, "samples": 1797, "data": "digits"},
    "medium": {"layers": [784, 256, 128, 10], "hidden": "relu", "output": "softmax",
               "loss": "cross_entropy", "batch": 128, "samples": 60_000, "data": "teacher"},
    "wide": {"layers": [784, 1024, 1024, 10], "hidden": "relu", "output": "softmax",
             "loss": "cross_entropy", "batch": 256, "samples": 20_000, "data": "teacher"},
}

SGDM = {"name": "sgdm", "lr": 0.01, "momentum": 0.9}
ADAM = {"name": "adam", "lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


def make_data(cfg: dict, seed: int = 2024):
    """X (float32, C-contiguous, (n, n_in)) and integer labels y, identical in every process."""
    import numpy as np

    kind, n = cfg["data"], cfg["samples"]
    if kind == "xor":
        X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
        return X, np.array([0, 1, 1, 0], dtype=np.int64)
    if kind == "digits":
        from sklearn.datasets import load_digits

        digits = load_digits()
        X = np.ascontiguousarray(digits.data[:n] / 16.0, dtype=np.float32)
        return X, digits.target[:n].astype(np.int64)
    n_in, n_out = cfg["layers"][0], cfg["layers"][-1]
    rng = np.random.default_rng(seed)
    X = rng.random((n, n_in), dtype=np.float32)
    teacher = rng.standard_normal((n_in, n_out), dtype=np.float32)
    y = np.empty(n, dtype=np.int64)
    for lo in range(0, n, 4096):  # chunked, so no full-size temporary inflates the RSS peak
        np.argmax((X[lo:lo + 4096] - 0.5) @ teacher, axis=1, out=y[lo:lo + 4096])
    return X, y


def theoretical_bytes(cfg: dict, optimizer: str, itemsize: int = 4) -> dict:
    """Bytes a training loop cannot avoid holding, from the shapes alone.

    params (weights and biases) + gradients + optimizer state (SGD-momentum: velocity;
    Adam: m and v) + per layer one activation and one delta buffer of batch x width.
    """
    layers, batch = cfg["layers"], min(cfg["batch"], cfg["samples"])
    n_params = sum((i + 1) * o for i, o in itertools.pairwise(layers))
    state_vectors = 1 if optimizer == "sgdm" else 2
    vectors = (2 + state_vectors) * n_params * itemsize
    acts = 2 * batch * sum(layers[1:]) * itemsize
    return {"params": n_params, "param_vectors_bytes": vectors, "activation_bytes": acts,
            "total_bytes": vectors + acts}


def gemm_flops(cfg: dict, samples: int) -> float:
    """FLOPs of the GEMMs of one epoch (forward, weight gradients, delta to every hidden layer)."""
    layers = cfg["layers"]
    pairs = list(itertools.pairwise(layers))
    per_sample = sum(4 * i * o for i, o in pairs) + sum(2 * i * o for i, o in pairs[1:])
    return float(per_sample) * samples


def rss() -> dict:
    """Current and peak resident set size of this process, MiB (from /proc/self/status)."""
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(rest.split()[0]) / 1024.0
    return {"rss_mib": out.get("VmRSS"), "peak_mib": out.get("VmHWM")}


def reset_peak() -> bool:
    """Make VmHWM start again from the current RSS (Linux: '5' into clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def cpu_time() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def loadavg() -> list[float]:
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git(*args: str) -> str:
    try:
        res = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True,
                             timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return res.stdout.rstrip() if res.returncode == 0 else "unknown"


def source_state() -> dict:
    """Which library code is being measured: commit, and whether src/ differs from it."""
    dirty = git("status", "--porcelain", "--", "src")
    return {"commit": git("rev-parse", "--short", "HEAD"),
            "src_dirty_files": [ln[3:] for ln in dirty.splitlines() if len(ln) > 3]
            if dirty != "unknown" else [],
            "src_digest": src_digest()}


def src_digest() -> str:
    """A short hash of every .py file under src/ as it is now (detects edits during a run)."""
    import hashlib

    h = hashlib.sha1()
    for p in sorted((SRC / "neuronless").rglob("*.py")):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


def package_versions() -> dict:
    from importlib import metadata

    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for dist in ("numpy", "scipy", "scikit-learn", "threadpoolctl", "torch", "neuronless"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def blas_info() -> list[dict]:
    from threadpoolctl import threadpool_info

    keep = ("user_api", "internal_api", "prefix", "version", "num_threads", "architecture",
            "threading_layer", "filepath")
    return [{k: d.get(k) for k in keep} for d in threadpool_info()]


def machine_info() -> dict:
    return {"cpu_model": cpu_model(), "cpus": os.cpu_count(), "loadavg": loadavg(),
            "env": {k: os.environ.get(k) for k in (*THREAD_VARS, "OPENBLAS_CORETYPE")}}
