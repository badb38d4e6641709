"""neuronless against libfann 2.2 on FANN's 16 benchmark data sets (issue 5), in one run.

Columns, per data set (FANN's own benchmark topology, benchmark.sh hidden sizes):

* ``libfann``: the real library through ctypes (float build): FANN_SIGMOID hidden and output
  (steepness 0.5), FANN's defaults (iRPROP-, TANH error function), weights U[-0.1, 0.1] from
  ``srand(seed)`` + ``fann_randomize_weights``, ``--epochs`` epochs, no shuffling; data read with
  libfann's own reader. Skipped (and said so) when libfann is not installed.
* ``fann-compat`` (a): ``neuronless.fann.FannTrainer(net, FannParams(), fann_compatible=True)``
  on the same network and, when libfann is there, the very same starting weights. Skipped
  when neuronless.fann.train is not there yet.
* ``recommended`` (b): ``neuronless.fann.recommended.train`` (the one recipe of
  ``recommended()``, the same for every data set) on the same hidden sizes, with the task
  inferred as ``neuronless train`` does (2 classes: one sigmoid output; more: softmax).

Quality: test MSE as FANN defines it (mean over patterns x outputs of (target - output)^2; all
outputs here are non-symmetric, so no 1/2 factor), test bit-fail (|diff| >= 0.35) and the test
error of the classification sets (one-hot sets: argmax; single-output sets: output >= 0.5);
medians over ``--seeds``. Speed: ms per epoch = wall time of training epochs only (no
evaluation), measured in interleaved rounds after the quality runs (each round runs every
column for about ``--round-s`` seconds, in an order rotated every round), BLAS pinned to one
thread with threadpoolctl (libfann is single-threaded); the speed-up is libfann's time / ours
within each round, medianed over rounds. One epoch of (b) is one pass over the training rows
in its mini-batches, including the reshuffle ``fit`` does.

    .venv/bin/python benchmarks/fann_bench.py --quick
    .venv/bin/python benchmarks/fann_bench.py --out benchmarks/results/fann.json
    .venv/bin/python benchmarks/fann_bench.py --datasets gene,thyroid --seeds 1 --epochs 100

The data sets are the ``datasets/`` folder of https://github.com/libfann/fann (``*.train`` /
``*.test``); by default they are read from ``../shared/data/fann`` next to the repository.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

import neuronless as nl
from _common import REPO, git, loadavg, machine_info, package_versions, source_state
from neuronless.data import read_fann_data
from neuronless.fann import libfann as libfann_mod
from neuronless.fann import recommended as rec
from neuronless.fann.params import FannParams, to_neuronless
from neuronless.files.atomic import write_atomic

DEFAULT_DATA = (REPO / ".." / "shared" / "data" / "fann").resolve()
FANN_SIGMOID = 3  # enum number of FANN_SIGMOID
FANN_STEEPNESS = 0.5

# name: (hidden sizes of FANN's benchmarks/benchmark.sh, task): "regr", "argmax" (one-hot
# classes) or "threshold" (one 0/1 output)
DATASETS: dict[str, tuple[list[int], str]] = {
    "abelone": ([16], "regr"),
    "bank32fm": ([16], "regr"),
    "bank32nh": ([16], "regr"),
    "building": ([16], "regr"),
    "census-house": ([16], "regr"),
    "diabetes": ([4], "argmax"),
    "gene": ([4, 2], "argmax"),
    "kin32fm": ([16], "regr"),
    "mushroom": ([32], "argmax"),
    "parity8": ([16], "threshold"),
    "parity13": ([26], "threshold"),
    "pumadyn-32fm": ([10], "regr"),
    "robot": ([96], "regr"),
    "soybean": ([16, 8], "argmax"),
    "thyroid": ([16, 8], "argmax"),
    "two-spiral": ([20, 10], "threshold"),
}
COLUMNS = ("libfann", "fann-compat", "recommended")
#: timed beside the others, not trained for quality: (a) with its NumPy backend, on a copy of
#: (a)'s network (so the ratio to (a) is the compiled path's gain)
TIMED = ("fann-compat-numpy",)
SPEED_TARGET = 3.0


# ----------------------------------------------------------------------------- metrics


def class_error(outputs: np.ndarray, targets: np.ndarray, task: str) -> float | None:
    """Fraction of misclassified test patterns (None for regression)."""
    if task == "argmax":
        return float(np.mean(outputs.argmax(axis=1) != targets.argmax(axis=1)))
    if task == "threshold":
        return float(np.mean((outputs[:, 0] >= 0.5) != (targets[:, 0] >= 0.5)))
    return None


def fann_mse(outputs: np.ndarray, targets: np.ndarray) -> tuple[float, int]:
    """FANN's MSE (mean over patterns x outputs) and bit-fail count (limit 0.35)."""
    diff = np.asarray(targets, np.float64) - np.asarray(outputs, np.float64)
    return float(np.mean(diff**2)), int(np.sum(np.abs(diff) >= 0.35))


# ----------------------------------------------------------------------------- the columns


def fann_layers_to_weights(ann: Any, sizes: list[int]) -> list[np.ndarray]:
    """libfann's weights (storage order) as our (n_in + 1, n_out) matrices, bias row last."""
    src, dst, w = ann.connections()
    starts = np.cumsum([0] + [s + 1 for s in sizes])  # first neuron number of each layer
    mats = [np.zeros((sizes[k] + 1, sizes[k + 1]), dtype=np.float64) for k in range(len(sizes) - 1)]
    for s, d, v in zip(src, dst, w, strict=True):
        k = int(np.searchsorted(starts, d, side="right")) - 1  # layer of the destination
        j = int(d - starts[k])
        i = int(s - starts[k - 1])
        assert 1 <= k < len(sizes)
        assert 0 <= i <= sizes[k - 1]
        assert j < sizes[k]
        mats[k - 1][i, j] = v
    return mats


class LibfannRun:
    """One libfann network trained with FANN's defaults on FANN_SIGMOID(0.5) layers."""

    def __init__(self, lib: Any, sizes: list[int], seed: int, train_path: Path):
        self.ann = lib.create_standard(sizes, seed=None)
        self.ann.set_activation_hidden(FANN_SIGMOID, FANN_STEEPNESS)
        self.ann.set_activation_output(FANN_SIGMOID, FANN_STEEPNESS)
        self.ann.configure(algorithm="rprop")
        lib.srand(seed)
        self.ann.randomize_weights(-0.1, 0.1)
        self.data = lib.read_train(train_path)

    def epochs(self, n: int) -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            self.ann.train_epoch(self.data)
        return time.perf_counter() - t0

    def outputs(self, X: np.ndarray) -> np.ndarray:
        return self.ann.run_many(X).astype(np.float64)


class FannCompatRun:
    """neuronless's FannTrainer in FANN-compatible mode with FANN's default parameters."""

    def __init__(self, trainer_cls: Any, sizes: list[int], start: list[np.ndarray] | None,
                 seed: int, X: np.ndarray, Y: np.ndarray, backend: str = "auto"):
        name, steep = to_neuronless(FANN_SIGMOID, FANN_STEEPNESS)
        acts = [name] * (len(sizes) - 1)
        if start is None:  # no libfann: FANN's U[-0.1, 0.1] from our own generator
            net = nl.Network.create(sizes, hidden=name, output=name, steepness=steep,
                                    init="uniform", init_range=0.1, seed=seed)
        else:
            net = nl.Network.from_weights([W.astype(np.float32) for W in start], acts,
                                          steepness=steep, dtype=np.float32)
        self.net = net
        self.trainer = trainer_cls(net, FannParams(), fann_compatible=True, backend=backend)
        self.X = np.ascontiguousarray(X, dtype=net.dtype)
        self.Y = np.ascontiguousarray(Y, dtype=net.dtype)

    def epochs(self, n: int) -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            self.trainer.train_epoch(self.X, self.Y)
        return time.perf_counter() - t0

    def with_backend(self, backend: str) -> FannCompatRun:
        """A copy of this run (its current weights, a fresh trainer) on ``backend``."""
        twin = object.__new__(FannCompatRun)
        twin.net = self.net.copy()
        twin.trainer = type(self.trainer)(twin.net, FannParams(), fann_compatible=True,
                                          backend=backend)
        twin.X, twin.Y = self.X, self.Y
        return twin

    @property
    def backend(self) -> str:
        return str(self.trainer.last_backend)

    def outputs(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.net.forward(X.astype(self.net.dtype)), dtype=np.float64)


class RecommendedRun:
    """neuronless's recommended recipe (``neuronless.fann.recommended``)."""

    def __init__(self, recipe: rec.Recipe, hidden: list[int], seed: int, X: np.ndarray,
                 Y: np.ndarray):
        self.recipe = recipe
        self.hidden = hidden
        self.seed = seed
        self.X, self.Y = X, Y
        self.model: Any = None
        self.history: Any = None
        self.report: dict[str, Any] = {}

    def train(self) -> float:
        """The whole recipe, including the L2 selection runs when it has ``l2_choices``."""
        t0 = time.perf_counter()
        self.model, self.history = rec.train(self.X, self.Y, self.hidden, seed=self.seed,
                                             recipe=self.recipe, threads=1, report=self.report)
        return time.perf_counter() - t0

    @property
    def l2(self) -> float:
        """The L2 penalty the final network was trained with."""
        return float(self.report.get("l2", self.recipe.l2))

    def prepare_timing(self) -> None:
        """A copy of the trained net and a Trainer, to time epochs as ``fit`` runs them."""
        net = self.model.net.copy()
        self.Xs, self.Ys = rec.training_arrays(self.model, self.X, self.Y)
        self.trainer = nl.Trainer(net, None, self.recipe.make_optimizer(),
                                  batch_size=self.recipe.batch_size, l2=self.l2)
        self.rng = np.random.default_rng(self.seed)
        self.bufs = (np.empty_like(self.Xs), np.empty_like(self.Ys))

    def epochs(self, n: int) -> float:
        """``n`` epochs as ``fit``'s loop runs them: reshuffle the rows, then ``Trainer.epoch``."""
        Xb, Yb = self.bufs
        shuffle = self.recipe.batch_size is not None and self.recipe.batch_size < len(self.Xs)
        schedule = self.recipe.make_schedule()
        t0 = time.perf_counter()
        with np.errstate(all="ignore"):
            for i in range(n):
                lr = schedule(i % self.recipe.epochs) if schedule is not None else None
                if shuffle:
                    perm = self.rng.permutation(len(self.Xs))
                    np.take(self.Xs, perm, axis=0, out=Xb)
                    np.take(self.Ys, perm, axis=0, out=Yb)
                    self.trainer.epoch(Xb, Yb, lr)
                else:
                    self.trainer.epoch(self.Xs, self.Ys, lr)
        return time.perf_counter() - t0

    def outputs(self, X: np.ndarray) -> np.ndarray:
        return rec.outputs_like_targets(self.model, X, self.Y.shape[1])

    @property
    def backend(self) -> str:
        trainer = getattr(self, "trainer", None)
        return "-" if trainer is None else str(trainer.last_backend)


# ----------------------------------------------------------------------------- one data set


def evaluate(run: Any, Xt: np.ndarray, Yt: np.ndarray, task: str) -> dict[str, Any]:
    out = run.outputs(Xt)
    mse, bitfail = fann_mse(out, Yt)
    return {"test_mse": mse, "test_bitfail": bitfail, "test_err": class_error(out, Yt, task)}


def bench_dataset(name: str, args: argparse.Namespace, lib: Any, trainer_cls: Any,
                  recipe: rec.Recipe, log: Callable[[str], None]) -> dict[str, Any]:
    hidden, task = DATASETS[name]
    train_path, test_path = args.data / f"{name}.train", args.data / f"{name}.test"
    X, Y = read_fann_data(train_path)
    Xt, Yt = read_fann_data(test_path)
    sizes = [X.shape[1], *hidden, Y.shape[1]]
    res: dict[str, Any] = {"task": task, "fann_layers": "-".join(map(str, sizes)),
                           "train_rows": len(X), "test_rows": len(Xt), "seeds": {}}
    keep: dict[str, Any] = {}
    for seed in args.seeds:
        per: dict[str, Any] = {}
        start = None
        if lib is not None:
            c = LibfannRun(lib, sizes, seed, train_path)
            start = fann_layers_to_weights(c.ann, sizes)
            c0 = c.outputs(X[:8])
            secs = c.epochs(args.epochs)
            per["libfann"] = {**evaluate(c, Xt, Yt, task), "train_s": secs,
                              "epochs": args.epochs, "ms_per_epoch_quality": 1e3 * secs / args.epochs}
            keep.setdefault("libfann", c)
        if trainer_cls is not None:
            a = FannCompatRun(trainer_cls, sizes, start, seed, X, Y)
            if lib is not None:  # same starting weights, so the same outputs before training
                np.testing.assert_allclose(a.outputs(X[:8]), c0, rtol=1e-4, atol=1e-6)
            secs = a.epochs(args.epochs)
            per["fann-compat"] = {**evaluate(a, Xt, Yt, task), "train_s": secs,
                                  "epochs": args.epochs,
                                  "ms_per_epoch_quality": 1e3 * secs / args.epochs}
            keep.setdefault("fann-compat", a)
        b = RecommendedRun(recipe, hidden, seed, X, Y)
        secs = b.train()
        n_ep = len(b.history)
        per["recommended"] = {**evaluate(b, Xt, Yt, task), "train_s": secs, "epochs": n_ep,
                              "stopped": b.history.stopped_reason, "l2": b.l2,
                              "l2_scores": {str(k): v for k, v in
                                            b.report.get("l2_scores", {}).items()}}
        res["our_layers"] = "-".join(map(str, b.model.net.sizes))
        keep.setdefault("recommended", b)
        res["seeds"][str(seed)] = per
        log(f"  {name} seed {seed}: " + ", ".join(
            f"{k} mse {v['test_mse']:.4g}"
            + (f" err {100 * v['test_err']:.2f}%" if v["test_err"] is not None else "")
            + (f" l2 {v['l2']:g}" if "l2" in v else "")
            + f" {v['train_s']:.2f}s" for k, v in per.items()))
    keep["recommended"].prepare_timing()
    if "fann-compat" in keep:
        keep["fann-compat-numpy"] = keep["fann-compat"].with_backend("numpy")

    # interleaved timing rounds on the first seed's networks (they keep training)
    per_epoch_est = {k: run.epochs(1) for k, run in keep.items()}  # also a warm-up
    reps = {k: max(1, round(args.round_s / max(v, 1e-6))) for k, v in per_epoch_est.items()}
    order = [k for k in (*COLUMNS, *TIMED) if k in keep]
    rounds: list[dict[str, float]] = []
    for r in range(args.rounds):
        times: dict[str, float] = {}
        for k in order[r % len(order):] + order[: r % len(order)]:
            times[k] = keep[k].epochs(reps[k]) / reps[k]
        rounds.append(times)
    res["timing"] = {"epochs_per_measurement": reps, "rounds_s_per_epoch": rounds}
    res["backend"] = {k: getattr(run, "backend", "-") for k, run in keep.items()}

    summary: dict[str, Any] = {}
    for k in order:
        if k in TIMED:
            summary[k] = {"ms_per_epoch": 1e3 * statistics.median(t[k] for t in rounds),
                          "vs_compat": statistics.median(t[k] / t["fann-compat"]
                                                         for t in rounds)}
            continue
        vals = [res["seeds"][str(s)][k] for s in args.seeds]
        errs = [v["test_err"] for v in vals if v["test_err"] is not None]
        summary[k] = {
            "test_mse": statistics.median(v["test_mse"] for v in vals),
            "test_bitfail": statistics.median(v["test_bitfail"] for v in vals),
            "test_err": statistics.median(errs) if errs else None,
            "test_err_min": min(errs) if errs else None,
            "test_err_max": max(errs) if errs else None,
            "ms_per_epoch": 1e3 * statistics.median(t[k] for t in rounds),
            "train_s": statistics.median(v["train_s"] for v in vals),
            "epochs": statistics.median(v["epochs"] for v in vals),
        }
        if "libfann" in keep and k != "libfann":
            summary[k]["speedup_vs_libfann"] = statistics.median(
                t["libfann"] / t[k] for t in rounds)
    res["summary"] = summary
    return res


# ----------------------------------------------------------------------------- report


def _g(x: float | None, digits: int = 3) -> str:
    return "-" if x is None else f"{x:.{digits}g}"


def _err(s: dict[str, Any] | None) -> str:
    if s is None or s["test_err"] is None:
        return "-"
    return f"{100 * s['test_err']:.2f}"


def targets(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per data set: speed-up >= 3 (recommended and fann-compat) and lower error (recommended)."""
    out: dict[str, dict[str, Any]] = {}
    for name, res in results.items():
        s = res["summary"]
        row: dict[str, Any] = {}
        if "libfann" in s:
            for k in ("recommended", "fann-compat"):
                if k in s:
                    row[f"speed_{k}"] = s[k]["speedup_vs_libfann"] >= SPEED_TARGET
            if res["task"] != "regr":
                row["lower_error"] = s["recommended"]["test_err"] < s["libfann"]["test_err"]
        out[name] = row
    return out


def report(results: dict[str, Any], notes: list[str]) -> str:
    cols = [k for k in COLUMNS if any(k in r["summary"] for r in results.values())]
    short = {"libfann": "libfann", "fann-compat": "(a) compat", "recommended": "(b) ours"}
    lines = ["### Quality (medians over seeds; test set)", ""]
    head = ["dataset", "task", "FANN layers", "ours (b)"]
    head += [f"MSE {short[k]}" for k in cols] + [f"err % {short[k]}" for k in cols]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * 4 + "---:|" * (2 * len(cols))]
    for name, res in results.items():
        s = res["summary"]
        row = [name, res["task"], res["fann_layers"], res.get("our_layers", "-")]
        row += [_g(s[k]["test_mse"]) if k in s else "-" for k in cols]
        row += [_err(s.get(k)) for k in cols]
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", "### Epoch time (ms per epoch, medians over interleaved rounds, 1 BLAS thread)",
              ""]
    head = ["dataset", "rows"] + [f"ms/epoch {short[k]}" for k in cols]
    speed_cols = [k for k in cols if k != "libfann"] if "libfann" in cols else []
    head += [f"speed-up {short[k]}" for k in speed_cols]
    timed = [k for k in TIMED if any(k in r["summary"] for r in results.values())]
    head += [f"ms/epoch {k}" for k in timed] + ["(a) gain over numpy" for _ in timed]
    head += ["backend (a)", "backend (b)"]
    head += [f"train s {short[k]}" for k in cols]
    head += ["target: >=3x (b)", "target: err (b) < libfann"]
    lines += ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    checks = targets(results)
    for name, res in results.items():
        s = res["summary"]
        row = [name, str(res["train_rows"])]
        row += [f"{s[k]['ms_per_epoch']:.3g}" if k in s else "-" for k in cols]
        row += [f"{s[k]['speedup_vs_libfann']:.2f}x" if k in s else "-" for k in speed_cols]
        row += [f"{s[k]['ms_per_epoch']:.3g}" if k in s else "-" for k in timed]
        row += [f"{s[k]['vs_compat']:.2f}x" if k in s else "-" for k in timed]
        be = res.get("backend", {})
        row += [be.get("fann-compat", "-"), be.get("recommended", "-")]
        row += [f"{s[k]['train_s']:.2f}" if k in s else "-" for k in cols]
        c = checks[name]
        row.append("-" if "speed_recommended" not in c else
                   ("met" if c["speed_recommended"] else "NOT met"))
        row.append("-" if "lower_error" not in c else ("met" if c["lower_error"] else "NOT met"))
        lines.append("| " + " | ".join(row) + " |")
    met = [v for c in checks.values() for k, v in c.items() if k != "speed_fann-compat"]
    if met:
        lines += ["", f"Targets met: {sum(met)} of {len(met)} (speed rows: recommended vs libfann; "
                  "error rows: classification sets)."]
    if any("speed_fann-compat" in c for c in checks.values()):
        n = sum(c["speed_fann-compat"] for c in checks.values() if "speed_fann-compat" in c)
        m = sum("speed_fann-compat" in c for c in checks.values())
        lines.append(f"(a) fann-compat at >= 3x libfann's speed: {n} of {m}.")
    lines += [""] + [f"Note: {n}" for n in notes]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA,
                   help=f"folder with FANN's *.train/*.test files (default {DEFAULT_DATA})")
    p.add_argument("--datasets", default=",".join(DATASETS),
                   help="comma list (default: all 16)")
    p.add_argument("--seeds", default="1,2,3", help="comma list of seeds (default 1,2,3)")
    p.add_argument("--epochs", type=int, default=500,
                   help="epochs of libfann and of the FANN-compatible trainer (default 500)")
    p.add_argument("--recipe", choices=["recommended", "cli"], default="recommended",
                   help="column (b): neuronless.fann.recommended.recommended() (default) or "
                   "CLI_DEFAULTS, what `neuronless train` does without options")
    p.add_argument("--recipe-epochs", type=int, default=None,
                   help="override the recommended recipe's epochs (default: the recipe's)")
    p.add_argument("--rounds", type=int, default=5, help="interleaved timing rounds (default 5)")
    p.add_argument("--round-s", type=float, default=0.25,
                   help="seconds per timed measurement (default 0.25)")
    p.add_argument("--no-libfann", action="store_true", help="leave libfann out")
    p.add_argument("--quick", action="store_true",
                   help="sanity run: seed 1, 50 epochs (recipe: 50), 2 rounds of 0.05 s")
    p.add_argument("--out", type=Path, default=None, help="write everything as JSON here")
    args = p.parse_args(argv)
    args.datasets = [d for d in args.datasets.split(",") if d]
    unknown = [d for d in args.datasets if d not in DATASETS]
    if unknown:
        p.error(f"unknown data set(s) {', '.join(unknown)}; choose from {', '.join(DATASETS)}")
    try:
        args.seeds = [int(s) for s in args.seeds.split(",") if s]
    except ValueError:
        p.error(f"--seeds must be a comma list of integers; got {args.seeds!r}")
    if args.quick:
        args.seeds, args.epochs, args.rounds, args.round_s = [1], 50, 2, 0.05
        args.recipe_epochs = args.recipe_epochs or 50
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    missing = [d for d in args.datasets
               if not (args.data / f"{d}.train").is_file() or not (args.data / f"{d}.test").is_file()]
    if missing:
        print(f"error: FANN's benchmark data sets ({', '.join(missing)}) are not in {args.data}. "
              "They are the datasets/ folder of https://github.com/libfann/fann (also in the FANN "
              "2.2.0 release): copy its *.train and *.test files into a folder and pass "
              "--data FOLDER.", file=sys.stderr)
        return 2
    notes: list[str] = []
    lib = None
    if args.no_libfann:
        notes.append("libfann left out (--no-libfann): no libfann column, no speed-ups.")
    else:
        try:
            lib = libfann_mod.load("float")
        except libfann_mod.LibFannMissing as exc:
            notes.append(f"libfann is not installed, so its column is skipped ({exc})")
    trainer_cls = None
    try:
        from neuronless.fann.train import FannTrainer

        trainer_cls = FannTrainer
    except ImportError as exc:
        notes.append(f"column (a) skipped: neuronless.fann.train.FannTrainer is not available ({exc}).")
    recipe = rec.recommended() if args.recipe == "recommended" else rec.CLI_DEFAULTS
    if args.recipe_epochs:
        recipe = recipe.replace(epochs=args.recipe_epochs)
    notes.append(f"(b) is the {args.recipe} recipe: {recipe.as_dict()}.")
    notes.append("(b) uses FANN's hidden sizes; a two-class one-hot set (diabetes, mushroom) gets "
                 "one sigmoid output instead of FANN's two, as neuronless train infers it.")
    if recipe.l2_choices is not None:
        notes.append(f"(b)'s L2 penalty is chosen per seed from {recipe.l2_choices} by "
                     f"{recipe.select_folds}-fold cross-validation on the training rows "
                     "(neuronless.fann.recommended.choose_l2); its train s includes those runs.")
    notes.append("BLAS pinned to 1 thread (threadpoolctl) for every column.")

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    started = dt.datetime.now(dt.timezone.utc)
    meta = {"started": started.isoformat(timespec="seconds"),
            "argv": sys.argv[1:] if argv is None else argv,
            "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "recipe": recipe.as_dict(),
            "recipe_differences_from_cli": {k: list(v) for k, v in
                                            rec.differences_from_cli(recipe).items()},
            "fann_params": FannParams().as_dict(),
            "machine": machine_info(), "versions": package_versions(),
            "source_start": source_state(), "libfann": None if lib is None else lib.path}
    log(f"fann_bench: {len(args.datasets)} data sets, seeds {args.seeds}, {args.epochs} epochs, "
        f"loadavg {loadavg()}")
    results: dict[str, Any] = {}
    with threadpool_limits(limits=1, user_api="blas"):
        for name in args.datasets:
            t0 = time.perf_counter()
            results[name] = bench_dataset(name, args, lib, trainer_cls, recipe, log)
            log(f"{name}: done in {time.perf_counter() - t0:.1f} s, loadavg {loadavg()}")
    meta["source_end"] = source_state()
    meta["finished"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    meta["loadavg_end"] = loadavg()
    if meta["source_end"]["src_digest"] != meta["source_start"]["src_digest"]:
        notes.append("src/ changed during the run (see source_start/source_end in the JSON).")
    text = report(results, notes)
    print(f"commit {git('rev-parse', '--short', 'HEAD')}, {meta['started']} -> {meta['finished']}, "
          f"loadavg start {meta['machine']['loadavg']} end {meta['loadavg_end']}\n")
    print(text)
    if args.out is not None:
        payload = {"meta": meta, "results": results, "targets": targets(results),
                   "notes": notes, "report": text}
        write_atomic(args.out, json.dumps(payload, indent=1, default=float).encode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
