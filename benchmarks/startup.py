"""Start-up time of the command line beside ``python -c "import numpy"``, the floor of any run.

In one run it times, round by round (the order rotating each round, so drift and caching hit
every command alike), three fresh processes: ``python -c "import numpy"``, ``neuronless
--help`` and ``neuronless predict`` of a small model on a small CSV. The model is trained here
(``neuronless train`` on a generated CSV in a temporary folder). It prints the median, min and
max of each and its ratio to numpy (the median of the per-round ratios), with PASS/MISS
against the target: at most 2.0x numpy.

    .venv/bin/python benchmarks/startup.py                 # 15 rounds
    .venv/bin/python benchmarks/startup.py --rounds 30 --no-bytecode-cache

The timed processes import a copy of ``src/neuronless`` made in a temporary folder. Python's
bytecode cache is on for them (as for any installed package: the warm-up round writes the
copy's ``__pycache__``) even when ``PYTHONDONTWRITEBYTECODE`` is set here;
``--no-bytecode-cache`` compiles every neuronless module from source in every process instead
(numpy's installed cache is used either way). ``neuronless`` is the console script next to
this Python when it exists, else ``python -m neuronless``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TARGET = 2.0  # neuronless --help and predict: at most this many times `import numpy`
SRC = Path(__file__).resolve().parents[1] / "src"


def _write_data(folder: Path) -> tuple[Path, Path]:
    """A 200-row training CSV (4 features, a yes/no label) and 50 rows to predict."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(250, 4))
    label = np.where(X[:, 0] + 0.5 * X[:, 1] - X[:, 2] > 0, "yes", "no")
    train, new = folder / "train.csv", folder / "new.csv"
    with train.open("w") as f:
        f.write("a,b,c,d,label\n")
        for row, y in zip(X[:200], label[:200], strict=True):
            f.write(",".join(f"{v:.5f}" for v in row) + f",{y}\n")
    with new.open("w") as f:
        f.write("a,b,c,d\n")
        for row in X[200:]:
            f.write(",".join(f"{v:.5f}" for v in row) + "\n")
    return train, new


def _neuronless() -> list[str]:
    script = Path(sys.executable).with_name("neuronless")
    return [str(script)] if script.exists() else [sys.executable, "-m", "neuronless"]


def _run(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.decode()}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--no-bytecode-cache", action="store_true",
                        help="compile neuronless from source in every process")
    args = parser.parse_args()

    cli = _neuronless()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        shutil.copytree(SRC / "neuronless", src / "neuronless",
                        ignore=shutil.ignore_patterns("__pycache__"))
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(src), *filter(None, [env.get("PYTHONPATH")])])
        if args.no_bytecode_cache:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        else:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
        train, new = _write_data(Path(tmp))
        model = Path(tmp) / "model.nless"
        subprocess.run([*cli, "train", str(train), "-o", str(model), "--epochs", "20"],
                       env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        commands = {
            'python -c "import numpy"': [sys.executable, "-c", "import numpy"],
            "neuronless --help": [*cli, "--help"],
            "neuronless predict": [*cli, "predict", str(model), str(new)],
        }
        names = list(commands)
        for name in names:  # warm-up: disk cache, bytecode cache
            _run(commands[name], env)
        times: dict[str, list[float]] = {name: [] for name in names}
        for r in range(args.rounds):
            for name in names[r % 3:] + names[:r % 3]:
                times[name].append(_run(commands[name], env))

    base = times[names[0]]
    cache = "off (compiled from source)" if args.no_bytecode_cache else "on"
    print(f"start-up, {args.rounds} rounds, bytecode cache {cache}, Python "
          f"{sys.version.split()[0]}, numpy {np.__version__}; neuronless = {' '.join(cli)}")
    print(f"{'command':<28}{'median s':>10}{'min s':>9}{'max s':>9}{'x numpy':>9}")
    for name in names:
        t = times[name]
        line = (f"{name:<28}{statistics.median(t):>10.3f}{min(t):>9.3f}{max(t):>9.3f}")
        if name == names[0]:
            print(line)
            continue
        ratio = statistics.median(a / b for a, b in zip(t, base, strict=True))
        verdict = "PASS" if ratio <= TARGET else "MISS"
        print(f"{line}{ratio:>8.2f}x  {verdict} (target <= {TARGET:.1f}x)")


if __name__ == "__main__":
    main()
