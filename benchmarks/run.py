#!/usr/bin/env python
"""Side-by-side MLP training/inference benchmark: neuronless vs PyTorch, scikit-learn,
the team's NumPy reference and a GEMM-only floor, float32, in one run.

Every implementation runs in its own worker process (clean RSS, its own thread pools, the
thread count set through OMP/OPENBLAS/MKL_NUM_THREADS and threadpoolctl). Rounds interleave
the implementations, rotating the order each round; ratios are computed inside each round
and then medianed, because the machine is shared and absolute times drift.

    .venv/bin/python benchmarks/run.py                      # full run (about 20 minutes)
    .venv/bin/python benchmarks/run.py --quick              # about 2-3 minutes, for development
    .venv/bin/python benchmarks/run.py --configs small,medium --threads 1 --rounds 3 \\
        --out benchmarks/results/mine.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import (
    BENCH_DIR,
    CONFIGS,
    NUMPY_REF,
    REPO,
    THREAD_VARS,
    blas_info,
    gemm_flops,
    loadavg,
    machine_info,
    package_versions,
    source_state,
    theoretical_bytes,
)
from _impls import IMPLS

NL_ADAM, NL_SGDM = "neuronless/adam", "neuronless/sgdm"
FLOOR = "gemm-floor"

# (config, neuronless label, other label, minimum speed ratio other_time / neuronless_time)
SPEED_TARGETS = [
    ("tiny", NL_ADAM, "torch/adam", 15.0),
    ("small", NL_ADAM, "torch/adam", 8.0),
    ("small", NL_ADAM, "sklearn/adam", 4.0),
    ("medium", NL_ADAM, "torch/adam", 1.5),
    ("medium", NL_ADAM, "torch/adam-fused", 1.1),
    ("medium", NL_ADAM, FLOOR, 0.70),
    ("medium", NL_SGDM, FLOOR, 0.85),
    ("wide", NL_ADAM, "torch/adam", 1.2),
    ("wide", NL_ADAM, "torch/adam-fused", 1.0),
    ("wide", NL_SGDM, FLOOR, 0.80),
] + [(c, nl, ref, 1.0) for c in CONFIGS
     for nl, ref in ((NL_ADAM, "numpy-ref/adam"), (NL_SGDM, "numpy-ref/sgdm"))]
LATENCY_TARGETS_US = {"small": 10.0, "medium": 30.0}
MEMORY_TARGET = 1.5  # training RSS above the data <= 1.5x the theoretical buffers
MEMORY_CONFIGS = ("medium", "wide")  # for tiny/small the buffers are below RSS page noise

# columns of the ratio table: (header, neuronless label, other label)
RATIO_COLUMNS = [
    ("torch adam", NL_ADAM, "torch/adam"),
    ("torch fused adam", NL_ADAM, "torch/adam-fused"),
    ("sklearn adam", NL_ADAM, "sklearn/adam"),
    ("numpy-ref adam", NL_ADAM, "numpy-ref/adam"),
    ("floor/adam", NL_ADAM, FLOOR),
    ("torch sgdm", NL_SGDM, "torch/sgdm"),
    ("numpy-ref sgdm", NL_SGDM, "numpy-ref/sgdm"),
    ("floor/sgdm", NL_SGDM, FLOOR),
]


# ---------------------------------------------------------------------------- workers
class Worker:
    """A _worker.py subprocess with its thread count fixed through the environment."""

    def __init__(self, threads: int, log) -> None:
        env = dict(os.environ)
        for var in THREAD_VARS:
            env[var] = str(threads)
        rfd, wfd = os.pipe()
        self.proc = subprocess.Popen(
            [sys.executable, str(BENCH_DIR / "_worker.py"), str(wfd)], stdin=subprocess.PIPE,
            stdout=log, stderr=log, env=env, text=True, pass_fds=(wfd,), cwd=str(BENCH_DIR))
        os.close(wfd)
        self.replies = os.fdopen(rfd, "r")

    def send(self, cmd: str, **kw) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"cmd": cmd, **kw}) + "\n")
        self.proc.stdin.flush()

    def receive(self) -> dict:
        line = self.replies.readline()
        return json.loads(line) if line else {"ok": False, "error": "worker exited"}

    def call(self, cmd: str, **kw) -> dict:
        self.send(cmd, **kw)
        return self.receive()

    def close(self) -> None:
        try:
            self.send("quit")
            self.proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired, ValueError):
            self.proc.kill()
            self.proc.wait()
        self.replies.close()


def rotated(seq: list, k: int) -> list:
    k %= max(1, len(seq))
    return seq[k:] + seq[:k]


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


# ---------------------------------------------------------------------------- one config
def run_config(name: str, threads: int, labels: list[str], opts, log) -> dict:
    cfg = dict(CONFIGS[name])
    if name in opts.samples:
        cfg["samples"] = opts.samples[name]
    tag = f"[{name} t{threads}]"

    def say(*parts) -> None:
        print(tag, *parts, flush=True)

    res: dict = {"config": cfg, "threads": threads, "source_start": source_state(),
                 "loadavg": [], "impls": {}}
    workers: dict[str, Worker] = {}
    for label in labels:  # start all, then collect: setup is never timed
        w = Worker(threads, log)
        w.send("setup", label=label, config=cfg, threads=threads)
        workers[label] = w
    for label in list(workers):
        info = workers[label].receive()
        if not info.get("ok"):
            say(f"{label}: setup failed: {info.get('error')}")
            res["impls"][label] = {"error": info.get("error"), "traceback": info.get("traceback")}
            workers.pop(label).close()
            continue
        res["impls"][label] = {"setup": info, "runs": []}

    epochs: dict[str, int] = {}
    for label in list(workers):  # warm-up and calibration, one at a time
        w = workers[label]
        first = w.call("train", epochs=1)
        if not first.get("ok"):
            say(f"{label}: training failed: {first.get('error')}")
            res["impls"][label]["error"] = first.get("error")
            workers.pop(label).close()
            continue
        per = first["wall"]  # the first epoch may include lazy initialisation
        if per < 3 * opts.target_s:  # a second warm-up, about one measurement long
            n = max(1, round(opts.target_s / per))
            per = w.call("train", epochs=n)["wall"] / n
        epochs[label] = max(1, round(opts.target_s / per))
        res["impls"][label]["warmup"] = {"first_epoch_s": first["wall"], "epoch_s": per,
                                         "epochs_per_measurement": epochs[label]}
        time.sleep(opts.gap)
    active = list(workers)
    say("warm-up done:", ", ".join(f"{lb} {res['impls'][lb]['warmup']['epoch_s'] * 1e3:.2f} ms"
                                   for lb in active))

    for rnd in range(opts.rounds):
        res["loadavg"].append(loadavg())
        for label in rotated(active, rnd):
            r = workers[label].call("train", epochs=epochs[label])
            r["round"] = rnd
            res["impls"][label]["runs"].append(r)
            time.sleep(opts.gap)
        say(f"round {rnd + 1}/{opts.rounds} done, load {res['loadavg'][-1]}")

    for label in active:
        res["impls"][label]["mem"] = workers[label].call("mem")
    for label in active:
        if label.startswith("neuronless/"):
            res["impls"][label]["allocs"] = workers[label].call("allocs", steps=opts.alloc_steps)

    infer = [lb for lb in active if IMPLS[lb][4]] if name in LATENCY_TARGETS_US else []
    if infer:
        reps = {}
        for label in list(infer):
            r = workers[label].call("batch", size=1024, reps=2)
            if not r.get("ok"):
                say(f"{label}: inference failed: {r.get('error')}")
                infer.remove(label)
                continue
            reps[label] = max(2, round(opts.target_s / (r["wall"] / 2)))
            res["impls"][label]["latency"], res["impls"][label]["batch"] = [], []
        for rnd in range(opts.rounds):
            for label in rotated(infer, rnd):
                r = workers[label].call("latency", calls=opts.latency_calls)
                r["round"] = rnd
                res["impls"][label]["latency"].append(r)
                time.sleep(opts.gap)
            for label in rotated(infer, rnd):
                r = workers[label].call("batch", size=1024, reps=reps[label])
                r["round"] = rnd
                res["impls"][label]["batch"].append(r)
                time.sleep(opts.gap)
        say("inference done")
    for w in workers.values():
        w.close()
    res["loadavg"].append(loadavg())
    res["source_end"] = source_state()
    summarize(name, cfg, res)
    return res


def summarize(name: str, cfg: dict, res: dict) -> None:
    n = cfg["samples"]
    steps = -(-n // cfg["batch"])
    for label, d in res["impls"].items():
        if not d.get("runs"):
            continue
        per = [r["wall"] / r["epochs"] for r in d["runs"]]
        t = statistics.median(per)
        s = {"epoch_s": t, "epoch_s_min": min(per), "epoch_s_max": max(per),
             "samples_per_s": n / t, "steps_per_s": steps / t,
             "gflops": gemm_flops(cfg, n) / t / 1e9,
             "cpu_util": median([r["cpu"] / r["wall"] for r in d["runs"]]),
             "peak_rss_mib": d["mem"]["peak_mib"],
             "rss_over_data_mib": d["mem"]["peak_mib"] - d["setup"]["rss_data_mib"]}
        if label.startswith("neuronless/"):
            theo = theoretical_bytes(cfg, label.split("/")[1])
            s["theoretical"] = theo
            s["memory_ratio"] = s["rss_over_data_mib"] * 2**20 / theo["total_bytes"]
        if d.get("latency"):
            s["latency_us"] = median([r["median_us"] for r in d["latency"]])
            s["batch1024_samples_per_s"] = median([r["samples_per_s"] for r in d["batch"]])
        d["summary"] = s
    ratios = {}
    for label, d in res["impls"].items():
        if not d.get("runs") or not label.startswith("neuronless/"):
            continue
        mine = {r["round"]: r["wall"] / r["epochs"] for r in d["runs"]}
        for other, od in res["impls"].items():
            if other == label or not od.get("runs"):
                continue
            per_round = [(r["wall"] / r["epochs"]) / mine[r["round"]] for r in od["runs"]
                         if r["round"] in mine]
            ratios[f"{label} vs {other}"] = {"median": median(per_round), "per_round": per_round}
    res["ratios"] = ratios


# ---------------------------------------------------------------------------- targets
def evaluate(results: dict) -> list[dict]:
    rows = []
    for threads, per_cfg in results.items():
        for cname, res in per_cfg.items():
            for cfg, nl, other, minimum in SPEED_TARGETS:
                if cfg != cname:
                    continue
                r = res["ratios"].get(f"{nl} vs {other}")
                val = r["median"] if r else None
                what = (f"{FLOOR} time / {nl} time" if other == FLOOR
                        else f"{nl} speed / {other}")
                rows.append({"config": cname, "threads": threads, "what": what, "target": f">= {minimum:g}",
                             "value": val, "pass": None if val is None else val >= minimum})
            if cname in LATENCY_TARGETS_US:
                s = res["impls"].get(NL_ADAM, {}).get("summary", {})
                val, lim = s.get("latency_us"), LATENCY_TARGETS_US[cname]
                rows.append({"config": cname, "threads": threads, "what": "1-sample forward, µs",
                             "target": f"<= {lim:g}", "value": val,
                             "pass": None if val is None else val <= lim})
            if cname in MEMORY_CONFIGS:
                for nl in (NL_ADAM, NL_SGDM):
                    s = res["impls"].get(nl, {}).get("summary", {})
                    val = s.get("memory_ratio")
                    rows.append({"config": cname, "threads": threads,
                                 "what": f"{nl} RSS above data / theoretical buffers",
                                 "target": f"<= {MEMORY_TARGET:g}", "value": val,
                                 "pass": None if val is None else val <= MEMORY_TARGET})
    return rows


# ---------------------------------------------------------------------------- printing
def fmt(x, digits: int = 3) -> str:
    if x is None:
        return "—"
    if isinstance(x, str):
        return x
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def table(headers: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(headers) + " |",
             "|" + "|".join("---" if i == 0 else "---:" for i in range(len(headers))) + "|"]
    lines += ["| " + " | ".join(fmt(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def report(out: dict) -> str:
    parts = []
    results = out["results"]
    rows = []
    for threads, per_cfg in results.items():
        for cname, res in per_cfg.items():
            for label, d in res["impls"].items():
                s = d.get("summary")
                if not s:
                    rows.append([cname, threads, label, "failed: " + str(d.get("error"))[:60]] + [None] * 7)
                    continue
                speed = s["steps_per_s"] if cname == "tiny" else s["samples_per_s"]
                rows.append([cname, threads, label, s["epoch_s"] * 1e3, speed, s["gflops"],
                             s["cpu_util"], s["peak_rss_mib"], s["rss_over_data_mib"],
                             s.get("latency_us"), s.get("batch1024_samples_per_s")])
    parts.append("## Training and inference, medians over rounds\n")
    parts.append(table(["config", "threads", "implementation", "epoch ms",
                        "samples/s (tiny: steps/s)", "GFLOP/s", "cpu-s/s", "peak RSS MiB",
                        "RSS above data MiB", "1-sample µs", "batch-1024 samples/s"], rows))

    rows = []
    for threads, per_cfg in results.items():
        for cname, res in per_cfg.items():
            row: list = [cname, threads]
            for _, nl, other in RATIO_COLUMNS:
                r = res["ratios"].get(f"{nl} vs {other}")
                row.append(r["median"] if r else None)
            rows.append(row)
    parts.append("\n## Ratios (medians of per-round ratios; > 1: neuronless faster; "
                 "floor/x = GEMM-floor time / neuronless time)\n")
    parts.append(table(["config", "threads"] + [f"nl vs {h}" if "floor" not in h else h
                                                for h, _, _ in RATIO_COLUMNS], rows))

    rows = []
    for threads, per_cfg in results.items():
        for cname, res in per_cfg.items():
            for nl in (NL_ADAM, NL_SGDM):
                d = res["impls"].get(nl, {})
                s, a = d.get("summary"), d.get("allocs") or {}
                if not s:
                    continue
                th = s["theoretical"]
                rows.append([cname, threads, nl, th["total_bytes"] / 2**20, s["rss_over_data_mib"],
                             s["memory_ratio"], a.get("steps"), a.get("retained_bytes"),
                             a.get("peak_bytes")])
    parts.append("\n## neuronless memory\n")
    parts.append(table(["config", "threads", "implementation", "theoretical MiB",
                        "RSS above data MiB", "ratio", "traced steps", "bytes retained",
                        "peak traced bytes"], rows))

    rows = [[t["config"], t["threads"], t["what"], t["target"], t["value"],
             "—" if t["pass"] is None else ("PASS" if t["pass"] else "MISS")]
            for t in out["targets"]]
    parts.append("\n## Targets\n")
    parts.append(table(["config", "threads", "measure", "target", "measured", "result"], rows))
    n_pass = sum(1 for t in out["targets"] if t["pass"])
    n_eval = sum(1 for t in out["targets"] if t["pass"] is not None)
    parts.append(f"\n{n_pass} of {n_eval} targets met.")
    return "\n".join(parts)


# ---------------------------------------------------------------------------- main
def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configs", default="tiny,small,medium,wide")
    ap.add_argument("--threads", default=None, help="comma list (default 1,2; --quick: 1)")
    ap.add_argument("--rounds", type=int, default=None, help="default 5 (--quick: 2)")
    ap.add_argument("--impls", default=",".join(IMPLS),
                    help="comma list of implementation labels (default: all available)")
    ap.add_argument("--quick", action="store_true",
                    help="fewer samples (medium 8k, wide 2k), rounds and calls: ~2-3 minutes")
    ap.add_argument("--target-s", type=float, default=None,
                    help="seconds per timed measurement (default 0.5; --quick 0.15)")
    ap.add_argument("--gap", type=float, default=0.1, help="pause between measurements, s")
    ap.add_argument("--out", default=str(BENCH_DIR / "results" / "latest.json"))
    opts = ap.parse_args(argv)
    quick = opts.quick
    opts.threads = [int(t) for t in (opts.threads or ("1" if quick else "1,2")).split(",")]
    opts.rounds = opts.rounds or (2 if quick else 5)
    opts.target_s = opts.target_s or (0.15 if quick else 0.5)
    opts.samples = {"medium": 8000, "wide": 2000} if quick else {}
    opts.latency_calls = 500 if quick else 3000
    opts.alloc_steps = 20 if quick else 100
    opts.configs = [c for c in opts.configs.split(",") if c]
    for c in opts.configs:
        if c not in CONFIGS:
            ap.error(f"unknown config {c!r}; choose from {', '.join(CONFIGS)}")
    return opts


def main(argv=None) -> int:
    opts = parse_args(argv)
    labels = []
    have_torch = importlib.util.find_spec("torch") is not None
    for label in opts.impls.split(","):
        if label not in IMPLS:
            sys.exit(f"unknown implementation {label!r}; choose from {', '.join(IMPLS)}")
        if IMPLS[label][3] and not have_torch:
            print(f"skipping {label}: torch is not importable", flush=True)
            continue
        if label.startswith("numpy-ref") and not NUMPY_REF.exists():
            print(f"skipping {label}: {NUMPY_REF} not found", flush=True)
            continue
        labels.append(label)
    out_path = Path(opts.out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    log_path = out_path.with_suffix(".log")
    out: dict = {
        "command": " ".join([".venv/bin/python", os.path.relpath(__file__, REPO), *sys.argv[1:]]),
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine_info(), "versions": package_versions(), "blas_driver": blas_info(),
        "source_start": source_state(),
        "options": {k: v for k, v in vars(opts).items()}, "implementations": labels,
        "results": {}}
    print(f"neuronless benchmark, commit {out['source_start']['commit']}, "
          f"load {out['machine']['loadavg']}, implementations: {', '.join(labels)}", flush=True)
    t0 = time.time()
    with open(log_path, "w") as log:
        for threads in opts.threads:
            per_cfg = out["results"].setdefault(str(threads), {})
            for cname in opts.configs:
                per_cfg[cname] = run_config(cname, threads, labels, opts, log)
                out["targets"] = evaluate(out["results"])
                out_path.write_text(json.dumps(out, indent=1, default=str))
    out["loadavg_end"] = loadavg()
    out["source_end"] = source_state()
    out["elapsed_s"] = time.time() - t0
    out["targets"] = evaluate(out["results"])
    text = report(out)
    out["report_markdown"] = text
    out_path.write_text(json.dumps(out, indent=1, default=str))
    print()
    print(text)
    changed = out["source_start"]["src_digest"] != out["source_end"]["src_digest"]
    print(f"\ncommit {out['source_start']['commit']} -> {out['source_end']['commit']}"
          f"{'  (src/ CHANGED during the run)' if changed else ''}; load before "
          f"{out['machine']['loadavg']}, after {out['loadavg_end']}; "
          f"{out['elapsed_s']:.0f} s; wrote {out_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
