"""neuronless's defaults against the scikit-learn pipeline a user writes by default.

For each data set and each of k cross-validation folds (the same folds for every method,
stratified for classification, shuffled with ``--seed``) it trains and times, one after the
other on the same fold:

* ``neuronless``: ``neuronless.train(train_rows, target, seed=seed)``, every setting from
  ``neuronless.pipeline.DEFAULTS`` (what ``neuronless train FILE --target T --seed S`` does);
* ``sklearn-mlp``: SimpleImputer() (the mean) + StandardScaler for numbers,
  SimpleImputer(most_frequent) + OneHotEncoder(handle_unknown="ignore") for text, then
  ``MLPClassifier()`` / ``MLPRegressor()`` with every default and ``random_state=seed``;
* ``hist-gb``: the same column handling, then ``HistGradientBoostingClassifier()`` /
  ``HistGradientBoostingRegressor()`` defaults (a stretch comparison: trees, not a net).

Wall time is fit + predict of one fold, data already in memory as a data frame (neuronless
reads and encodes it itself, as it does a user's frame); every method runs with one
BLAS/OpenMP thread (threadpoolctl), which is what neuronless's ``threads="auto"`` picks for
networks this small. Before the first set, each method trains once on iris untimed, so no
fold pays for importing a library's modules. The score is accuracy (classification) or
R² (regression) on the held-out fold. A set PASSes when neuronless's mean score is at least
scikit-learn's minus 0.01 (accuracy) or 0.02 (R²) and its mean time is below scikit-learn's.

Data sets: scikit-learn's bundled tables (digits, iris, wine, breast_cancer; diabetes is
regression; linnerud is left out: 20 rows, three targets), FANN's benchmark sets from
``../shared/data/fann`` when present (cross-validated on their ``.train`` files only, the
``.test`` files are not read; classification ones have one-hot target columns, turned into a
class index; only single-output regression sets, so every method applies), and two real
tables with text and missing cells that ship inside PyPI packages (the ``bench`` extra):
palmerpenguins' ``penguins.csv`` (species) and vega_datasets' local ``cars.json`` (miles per
gallon; the car's name and year are dropped, as are rows without a target).

    .venv/bin/python benchmarks/defaults.py                   # all sets, 5 folds (~3.5 min on 2 CPUs)
    .venv/bin/python benchmarks/defaults.py --quick           # 7 sets, 3 folds (~2 min)
    .venv/bin/python benchmarks/defaults.py --sets digits,cars --folds 5 --out results.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(REPO / "src"))

FANN_DIR = (REPO / ".." / "shared" / "data" / "fann").resolve()
SKLEARN_SETS = {"digits": "classification", "iris": "classification", "wine": "classification",
                "breast_cancer": "classification", "diabetes": "regression"}
FANN_SETS = {"fann-diabetes": "classification", "thyroid": "classification",
             "gene": "classification", "soybean": "classification", "mushroom": "classification",
             "abelone": "regression", "kin32fm": "regression", "pumadyn-32fm": "regression",
             "bank32nh": "regression"}
PACKAGE_SETS = {"penguins": "classification", "cars": "regression"}
ALL_SETS = [*SKLEARN_SETS, *PACKAGE_SETS, *FANN_SETS]
QUICK_SETS = ["digits", "iris", "wine", "diabetes", "penguins", "cars", "fann-diabetes"]
METHODS = ("neuronless", "sklearn-mlp", "hist-gb")
TOLERANCE = {"classification": 0.01, "regression": 0.02}


# --------------------------------------------------------------------------- data


def load_set(name: str) -> tuple[Any, str, str]:
    """(data frame with the target column, target name, task) for one benchmark set."""
    import pandas as pd

    if name in SKLEARN_SETS:
        from sklearn import datasets

        bunch = getattr(datasets, f"load_{name}")(as_frame=True)
        return bunch.frame, "target", SKLEARN_SETS[name]
    if name == "penguins":
        import palmerpenguins

        return palmerpenguins.load_penguins().drop(columns=["year"]), "species", "classification"
    if name == "cars":
        from vega_datasets import data

        frame = data.cars().drop(columns=["Name", "Year"]).dropna(subset=["Miles_per_Gallon"])
        return frame.reset_index(drop=True), "Miles_per_Gallon", "regression"
    if name in FANN_SETS:
        X, Y = _read_fann(FANN_DIR / f"{name.removeprefix('fann-')}.train")
        frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
        if FANN_SETS[name] == "classification":
            frame["target"] = Y.argmax(axis=1) if Y.shape[1] > 1 else (Y[:, 0] > 0.5).astype(int)
        else:
            frame["target"] = Y[:, 0]
        return frame, "target", FANN_SETS[name]
    raise SystemExit(f"unknown data set {name!r}; choose from {', '.join(ALL_SETS)}")


def _read_fann(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """FANN's .data text: 'n n_in n_out', then n rows of inputs and outputs."""
    tokens = path.read_text().split()
    n, n_in, n_out = (int(t) for t in tokens[:3])
    values = np.array(tokens[3:], dtype=np.float64).reshape(n, n_in + n_out)
    return values[:, :n_in], values[:, n_in:]


def available_sets() -> list[str]:
    """Every set whose data is on this machine (FANN's need ../shared/data/fann)."""
    return [s for s in ALL_SETS if s not in FANN_SETS
            or (FANN_DIR / f"{s.removeprefix('fann-')}.train").exists()]


def folds(y: Any, task: str, k: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The same k (train rows, test rows) splits for every method."""
    from sklearn.model_selection import KFold, StratifiedKFold

    cv = (StratifiedKFold(k, shuffle=True, random_state=seed) if task == "classification"
          else KFold(k, shuffle=True, random_state=seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # soybean: a class with fewer rows than folds
        return list(cv.split(np.zeros(len(y)), y))


# --------------------------------------------------------------------------- methods


def _columns() -> Any:
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numbers = make_pipeline(SimpleImputer(), StandardScaler())
    text = make_pipeline(SimpleImputer(strategy="most_frequent"),
                         OneHotEncoder(handle_unknown="ignore"))
    return ColumnTransformer([("numbers", numbers, make_column_selector(dtype_include="number")),
                              ("text", text, make_column_selector(dtype_exclude="number"))])


def sklearn_mlp(task: str, seed: int) -> Any:
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline

    net = MLPClassifier(random_state=seed) if task == "classification" else MLPRegressor(random_state=seed)
    return make_pipeline(_columns(), net)


def hist_gb(task: str, seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.pipeline import make_pipeline

    trees = (HistGradientBoostingClassifier(random_state=seed) if task == "classification"
             else HistGradientBoostingRegressor(random_state=seed))
    return make_pipeline(_columns(), trees)


def run_sklearn(make: Callable[[str, int], Any], train: Any, test: Any, target: str, task: str,
                seed: int) -> np.ndarray:
    model = make(task, seed).fit(train.drop(columns=[target]), train[target])
    return np.asarray(model.predict(test.drop(columns=[target])))


def run_neuronless(train: Any, test: Any, target: str, task: str, seed: int,
                   recipe: Any = None) -> np.ndarray:
    import neuronless

    kwargs = {} if recipe is None else {"recipe": recipe}
    model = neuronless.train(train, target, seed=seed, **kwargs)
    return np.asarray(model.predict(test.drop(columns=[target])))


def score(task: str, y_true: Any, y_pred: Any) -> float:
    y_true = np.asarray(y_true)
    if task == "classification":
        return float(np.mean(np.asarray(y_pred).astype(str) == y_true.astype(str)))
    y_pred = np.asarray(y_pred, dtype=np.float64).reshape(y_true.shape)
    return float(1.0 - np.sum((y_true - y_pred) ** 2) / np.sum((y_true - y_true.mean()) ** 2))


def timed(fn: Callable[[], np.ndarray]) -> tuple[np.ndarray, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def benchmark_set(name: str, k: int, seed: int, methods: tuple[str, ...] = METHODS,
                  recipes: dict[str, Any] | None = None) -> dict[str, Any]:
    """Scores and seconds per fold for each method (and each named neuronless recipe)."""
    from threadpoolctl import threadpool_limits

    frame, target, task = load_set(name)
    runners: dict[str, Callable[[Any, Any], np.ndarray]] = {}
    for m in methods:
        if m == "neuronless":
            runners[m] = lambda tr, te: run_neuronless(tr, te, target, task, seed)
        elif m == "sklearn-mlp":
            runners[m] = lambda tr, te: run_sklearn(sklearn_mlp, tr, te, target, task, seed)
        elif m == "hist-gb":
            runners[m] = lambda tr, te: run_sklearn(hist_gb, tr, te, target, task, seed)
    for label, recipe in (recipes or {}).items():
        runners[label] = (lambda r: lambda tr, te: run_neuronless(tr, te, target, task, seed, r))(recipe)
    result: dict[str, Any] = {"task": task, "rows": len(frame), "columns": frame.shape[1] - 1,
                              "methods": {m: {"score": [], "seconds": []} for m in runners}}
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's ConvergenceWarning at max_iter
        for tr, te in folds(frame[target], task, k, seed):
            train, test = frame.iloc[tr], frame.iloc[te]
            for m, run in runners.items():  # one method after the other on the same fold
                pred, seconds = timed(lambda run=run, train=train, test=test: run(train, test))
                result["methods"][m]["score"].append(score(task, test[target], pred))
                result["methods"][m]["seconds"].append(seconds)
    for r in result["methods"].values():
        r["mean"], r["std"] = float(np.mean(r["score"])), float(np.std(r["score"]))
        r["mean_seconds"] = float(np.mean(r["seconds"]))
    if "neuronless" in result["methods"] and "sklearn-mlp" in result["methods"]:
        ours, theirs = result["methods"]["neuronless"], result["methods"]["sklearn-mlp"]
        result["score_ok"] = ours["mean"] >= theirs["mean"] - TOLERANCE[task]
        result["time_ok"] = ours["mean_seconds"] < theirs["mean_seconds"]
        result["pass"] = bool(result["score_ok"] and result["time_ok"])
    return result


# --------------------------------------------------------------------------- report


def print_set(name: str, r: dict[str, Any]) -> None:
    metric = "accuracy" if r["task"] == "classification" else "R²"
    print(f"\n{name}: {r['task']}, {r['rows']} rows, {r['columns']} columns; {metric} over "
          f"{len(next(iter(r['methods'].values()))['score'])} folds")
    print(f"  {'method':<22}{'mean':>8}{'std':>8}{'min..max':>17}{'s/fold':>9}")
    for m, v in r["methods"].items():
        lo, hi = min(v["score"]), max(v["score"])
        print(f"  {m:<22}{v['mean']:>8.4f}{v['std']:>8.4f}{lo:>8.3f}..{hi:<7.3f}"
              f"{v['mean_seconds']:>9.3f}")
    if "pass" in r:
        why = [] if r["score_ok"] else ["score"]
        why += [] if r["time_ok"] else ["time"]
        print(f"  target (neuronless >= sklearn-mlp - {TOLERANCE[r['task']]}, faster): "
              f"{'PASS' if r['pass'] else 'MISS (' + ', '.join(why) + ')'}")


def print_summary(results: dict[str, dict[str, Any]]) -> None:
    methods = [m for m in METHODS if all(m in r["methods"] for r in results.values())]
    print("\nsummary (mean over sets of each set's mean score; seconds summed over sets)")
    print(f"  {'set':<15}" + "".join(f"{m:>13}" for m in methods) + f"{'target':>8}")
    for name, r in results.items():
        cells = "".join(f"{r['methods'][m]['mean']:>13.4f}" for m in methods)
        print(f"  {name:<15}{cells}{('PASS' if r.get('pass') else 'MISS'):>8}")
    for task in ("classification", "regression"):
        rs = [r for r in results.values() if r["task"] == task]
        if rs:
            cells = "".join(f"{np.mean([r['methods'][m]['mean'] for r in rs]):>13.4f}" for m in methods)
            print(f"  {'mean ' + task[:5]:<15}{cells}")
    secs = "".join(f"{sum(r['methods'][m]['mean_seconds'] for r in results.values()):>13.2f}"
                   for m in methods)
    print(f"  {'seconds/fold':<15}{secs}")
    n_pass = sum(bool(r.get("pass")) for r in results.values())
    print(f"  target met on {n_pass} of {len(results)} sets")


def warm_up(methods: tuple[str, ...], recipes: dict[str, Any] | None = None) -> None:
    """Train each method once on iris, untimed: the first timed fold pays no imports."""
    from threadpoolctl import threadpool_limits

    frame, target, task = load_set("iris")
    tr, te = folds(frame[target], task, 3, 0)[0]
    train, test = frame.iloc[tr], frame.iloc[te]
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for m in methods:
            if m == "neuronless":
                run_neuronless(train, test, target, task, 0)
            else:
                run_sklearn(sklearn_mlp if m == "sklearn-mlp" else hist_gb, train, test, target,
                            task, 0)
        for recipe in (recipes or {}).values():
            run_neuronless(train, test, target, task, 0, recipe)


def environment() -> dict[str, Any]:
    import sklearn

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True,
                                  text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return "unknown"

    # the library as run: the commit, and any source file that differs from it
    changed = [line[3:] for line in git("status", "--porcelain", "--", "src").splitlines()]
    return {"commit": git("rev-parse", "--short", "HEAD").strip(), "uncommitted_src": changed,
            "python": platform.python_version(), "numpy": np.__version__,
            "sklearn": sklearn.__version__, "machine": platform.machine(),
            "cpus": os.cpu_count(), "threads": 1}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", help=f"comma list (default: all available): {','.join(ALL_SETS)}")
    parser.add_argument("--folds", type=int, default=None, help="default 5 (3 with --quick)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help=f"{','.join(QUICK_SETS)}, 3 folds")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--out", help="write the results as JSON here")
    args = parser.parse_args(argv)
    sets = (args.sets.split(",") if args.sets else QUICK_SETS if args.quick else available_sets())
    k = args.folds or (3 if args.quick else 5)
    methods = tuple(m for m in args.methods.split(",") if m)
    env = environment()
    print(f"neuronless defaults vs scikit-learn defaults: {k} folds, seed {args.seed}, one "
          f"BLAS/OpenMP thread for every method (threadpoolctl); commit {env['commit']}, "
          f"numpy {env['numpy']}, scikit-learn {env['sklearn']}, {env['cpus']} CPUs")
    if env["uncommitted_src"]:
        print(f"  source files that differ from the commit: {', '.join(env['uncommitted_src'])}")
    warm_up(methods)
    results: dict[str, dict[str, Any]] = {}
    start = time.perf_counter()
    for name in sets:
        results[name] = benchmark_set(name, k, args.seed, methods)
        print_set(name, results[name])
        sys.stdout.flush()
    print_summary(results)
    print(f"\n{time.perf_counter() - start:.0f} s in all")
    if args.out:
        Path(args.out).write_text(json.dumps({"environment": env, "folds": k, "seed": args.seed,
                                              "sets": results}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
