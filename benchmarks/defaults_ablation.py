"""Each ingredient of neuronless's defaults taken away, one at a time, on the same folds.

Every variant is ``neuronless.pipeline.DEFAULTS`` with one setting changed back to what a
plain MLP does (or to the previous default); the table shows each variant's mean score per
set and its mean change against the defaults, so an ingredient that does not pay shows a
change near 0 (or a gain when it is removed). Each variant is
``neuronless.train(train_rows, target, seed=seed, recipe=DEFAULTS.replace(...))`` on the raw
training rows, scored with ``model.predict`` on the raw test rows; a variant that names a
setting ``Recipe`` does not have is an error, not a silent skip. Same data sets, folds, warm-up
and thread setting as ``benchmarks/defaults.py``.

    .venv/bin/python benchmarks/defaults_ablation.py                 # all sets, 5 folds
    .venv/bin/python benchmarks/defaults_ablation.py --quick         # 7 sets, 3 folds
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from defaults import QUICK_SETS, available_sets, benchmark_set, environment, warm_up

#: label -> settings changed from DEFAULTS (the ingredient taken away); "old defaults" is what
#: ``neuronless train`` did before DEFAULTS: 16 tanh units, Adam at its own rate, batches of
#: 32, 200 epochs, standard scaling, 20% of the rows held out for validation
VARIANTS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "standard scaling": {"scale": "standard"},
    "no label smoothing": {"label_smoothing": 0.0},
    "Adam beta2 0.999": {"beta2": 0.999},
    "constant rate": {"schedule": None},
    "no clamp": {"clip_predictions": False},
    "no stopping": {"early_stopping": None},
    "20% hold-out": {"validation_fraction": 0.2},  # stopping then watches the held-out loss
    "16 hidden units": {"layers": (16,)},
    "relu": {"hidden": "relu"},
    "batch 32": {"batch_size": 32},
    "old defaults": {"layers": (16,), "learning_rate": None, "batch_size": 32, "epochs": 200,
                     "scale": "standard", "validation_fraction": 0.2, "early_stopping": None,
                     "schedule": None, "label_smoothing": 0.0, "beta2": None,
                     "clip_predictions": False},
}


def recipes() -> dict[str, Any]:
    """label -> ``DEFAULTS.replace(**change)`` for every variant (checked by ``Recipe``)."""
    from neuronless.pipeline import DEFAULTS

    return {label: DEFAULTS.replace(**change) for label, change in VARIANTS.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets")
    parser.add_argument("--folds", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    sets = args.sets.split(",") if args.sets else QUICK_SETS if args.quick else available_sets()
    k = args.folds or (3 if args.quick else 5)
    variants = recipes()
    env = environment()
    print(f"ablation of neuronless's defaults: {k} folds, seed {args.seed}, one thread; commit "
          f"{env['commit']}")
    if env["uncommitted_src"]:
        print(f"  source files that differ from the commit: {', '.join(env['uncommitted_src'])}")
    warm_up((), variants)
    start = time.perf_counter()
    results = {name: benchmark_set(name, k, args.seed, methods=(), recipes=variants) for name in sets}
    labels = list(variants)
    print(f"\n{'variant':<20}" + "".join(f"{s[:9]:>10}" for s in sets)
          + f"{'Δ mean':>9}{'s/fold':>9}")
    for label in labels:
        means = [results[s]["methods"][label]["mean"] for s in sets]
        delta = np.mean([m - results[s]["methods"]["defaults"]["mean"] for m, s in zip(means, sets, strict=True)])
        secs = sum(results[s]["methods"][label]["mean_seconds"] for s in sets)
        print(f"{label:<20}" + "".join(f"{m:>10.4f}" for m in means) + f"{delta:>+9.4f}{secs:>9.2f}")
    print(f"\n{time.perf_counter() - start:.0f} s in all")
    if args.out:
        Path(args.out).write_text(json.dumps({"environment": env, "folds": k, "sets": results,
                                              "variants": {k2: dataclasses.asdict(v) for k2, v in variants.items()}},
                                             indent=1, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
