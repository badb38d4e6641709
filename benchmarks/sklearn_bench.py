"""neuronless.sklearn against scikit-learn's MLP with matched settings: fit time and score.

Both estimators get the same split (75/25, stratified for classes, seeded per round), the
same standardised inputs, one tanh hidden layer, Adam at the same learning rate with
scikit-learn's betas, the same batch size and number of epochs, no early stopping and the
same L2 penalty (neuronless' ``alpha`` is scikit-learn's: ``alpha/(2n) * sum(W**2)``).
neuronless: ``schedule="none"``, ``label_smoothing=0``, ``scale="standard"``,
``early_stopping=0``; scikit-learn: a ``StandardScaler`` in front, ``tol=0`` and
``n_iter_no_change`` beyond the epochs; the regressor's targets are standardised for both
(neuronless does it itself, scikit-learn through ``TransformedTargetRegressor``). The two fit
alternately within each round (the order flips every round), one BLAS thread each, and
the ratio is scikit-learn's fit time over neuronless' in the same round.

    .venv/bin/python benchmarks/sklearn_bench.py [--rounds 5] [--epochs 100]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings

import numpy as np
from sklearn import datasets
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from neuronless.sklearn import NeuronlessClassifier, NeuronlessRegressor

SETS = {  # name: (loader, classification?)
    "iris": (datasets.load_iris, True),
    "wine": (datasets.load_wine, True),
    "breast_cancer": (datasets.load_breast_cancer, True),
    "digits": (datasets.load_digits, True),
    "diabetes": (datasets.load_diabetes, False),
}


def matched(classify: bool, hidden: int, lr: float, batch: int, epochs: int, alpha: float,
            seed: int) -> tuple[object, object]:
    """(scikit-learn's estimator, neuronless') with the same settings."""
    common = dict(hidden_layer_sizes=(hidden,), activation="tanh", batch_size=batch,
                  max_iter=epochs, alpha=alpha, random_state=seed)
    sk_kw = dict(common, solver="adam", learning_rate_init=lr, tol=0.0,
                 n_iter_no_change=epochs + 1)
    nl_kw = dict(common, optimizer="adam", learning_rate=lr, schedule="none",
                 label_smoothing=0.0, scale="standard", early_stopping=0)
    if classify:
        return make_pipeline(StandardScaler(), MLPClassifier(**sk_kw)), NeuronlessClassifier(**nl_kw)
    sk = TransformedTargetRegressor(make_pipeline(StandardScaler(), MLPRegressor(**sk_kw)),
                                    transformer=StandardScaler())
    return sk, NeuronlessRegressor(**nl_kw)


def run(rounds: int, epochs: int, hidden: int, lr: float, batch: int, alpha: float) -> None:
    rows = {name: {"sk": [], "nl": [], "sk_score": [], "nl_score": [], "ratio": []}
            for name in SETS}
    for r in range(rounds):
        for name, (load, classify) in SETS.items():
            X, y = load(return_X_y=True)
            Xt, Xv, yt, yv = train_test_split(X, y, test_size=0.25, random_state=r,
                                              stratify=y if classify else None)
            sk, nl = matched(classify, hidden, lr, batch, epochs, alpha, seed=r)
            times = {}
            for key in (("sk", "nl") if r % 2 == 0 else ("nl", "sk")):
                est = sk if key == "sk" else nl
                start = time.perf_counter()
                est.fit(Xt, yt)
                times[key] = time.perf_counter() - start
                rows[name][f"{key}_score"].append(est.score(Xv, yv))
            rows[name]["sk"].append(times["sk"])
            rows[name]["nl"].append(times["nl"])
            rows[name]["ratio"].append(times["sk"] / times["nl"])
    print(f"{rounds} rounds, {epochs} epochs, 1 tanh layer of {hidden}, Adam lr {lr}, batch "
          f"{batch}, alpha {alpha}; score = test accuracy (R² for diabetes), mean ± sd")
    print(f"{'set':14} {'sklearn fit s':>13} {'neuronless s':>13} {'speed-up':>9} "
          f"{'sklearn score':>15} {'neuronless score':>17}")
    for name, d in rows.items():
        def ms(v: list[float]) -> str:
            return f"{np.mean(v):.3f} ± {np.std(v):.3f}"
        print(f"{name:14} {statistics.median(d['sk']):13.3f} {statistics.median(d['nl']):13.3f} "
              f"{statistics.median(d['ratio']):8.2f}x {ms(d['sk_score']):>15} "
              f"{ms(d['nl_score']):>17}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--alpha", type=float, default=1e-4)
    a = p.parse_args(argv)
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, "
          f"scikit-learn {__import__('sklearn').__version__}")
    with threadpool_limits(1, user_api="blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        run(a.rounds, a.epochs, a.hidden, a.lr, a.batch, a.alpha)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
