"""The ``neuronless`` command line: ``main(argv) -> exit code``.

Subcommands: ``demo`` (train on scikit-learn's bundled digits and show what happened). A user
mistake is one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from .errors import NeuronlessError


def _demo(args: argparse.Namespace) -> int:
    from . import Adam, Network, accuracy, fit, one_hot, predict_classes

    try:
        from sklearn.datasets import load_digits
    except ImportError:
        print("neuronless demo: needs scikit-learn for the digits data; install it with "
              "pip install 'neuronless[sklearn]'", file=sys.stderr)
        return 2
    digits = load_digits()
    X = (digits.data / 16.0).astype(np.float32)
    y = digits.target
    order = np.random.default_rng(args.seed).permutation(len(X))
    n_test = len(X) // 4
    test, train = order[:n_test], order[n_test:]
    net = Network.create([64, 32, 10], hidden="relu", output="softmax", seed=args.seed)
    print("A neural network is a list of matrices:")
    for k, W in enumerate(net.weights):
        print(f"  weights[{k}]: shape {W.shape}  ({W.shape[0] - 1} inputs + 1 bias row -> "
              f"{W.shape[1]} outputs, {net.layers[k].name})")
    print(f"  all {net.params.size} parameters live in one vector, net.params")
    print(f"\nTraining on {len(train)} 8x8 digit images (Adam, batch 32, {args.epochs} epochs)...")
    start = time.perf_counter()
    history = fit(net, X[train], one_hot(y[train], 10), optimizer=Adam(learning_rate=0.01),
                  epochs=args.epochs, batch_size=32, seed=args.seed)
    seconds = time.perf_counter() - start
    acc = accuracy(y[test], predict_classes(net, X[test]))
    print(f"  final training loss {history.train_loss[-1]:.4f}  ({seconds:.2f} s)")
    print(f"  test accuracy on {len(test)} held-out images: {acc:.1%}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="neuronless", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="train on the bundled digits data and show what happened")
    demo.add_argument("--epochs", type=int, default=30)
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(func=_demo)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except NeuronlessError as exc:
        print(f"neuronless {args.command}: {exc}", file=sys.stderr)
        return 2
