"""The two-thread optimizer update gives bit-identical results to the one-thread update."""

from __future__ import annotations

import numpy as np
import pytest

from neuronless import (
    SGD,
    Adam,
    AdamW,
    IRpropMinus,
    IRpropPlus,
    Momentum,
    Nesterov,
    Network,
    Quickprop,
    RMSprop,
    Trainer,
    fit,
    one_hot,
)
from neuronless.parallel import PARALLEL_MIN_PARAMS

SIZES = [320, 300, 30]  # 105,330 parameters: above the parallel threshold


def _data(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    X = rng.normal(size=(48, SIZES[0])).astype(np.float32)
    return X, one_hot(rng.integers(0, SIZES[-1], 48), SIZES[-1])


def test_the_test_network_is_big_enough_to_run_in_parallel():
    net = Network.create(SIZES, seed=0)
    assert net.params.size >= PARALLEL_MIN_PARAMS
    assert Trainer(net, "mse", "adam", threads=2)._parallel is not None
    assert Trainer(net, "mse", "adam", threads=1)._parallel is None
    small = Network.create([4, 3, 2], seed=0)
    assert Trainer(small, "mse", "adam", threads=2)._parallel is None


@pytest.mark.parametrize(
    "optimizer",
    [SGD(0.1), Momentum(0.1), Nesterov(0.1), Adam(), AdamW(), RMSprop(), IRpropMinus(),
     IRpropPlus(), Quickprop(0.1)],
    ids=lambda o: type(o).__name__,
)
def test_two_thread_update_is_bit_identical_to_one_thread(optimizer, rng):
    X, Y = _data(rng)
    results = []
    for threads in (1, 2):
        net = Network.create(SIZES, hidden="tanh", output="softmax", seed=3)
        trainer = Trainer(net, "cross_entropy", optimizer, batch_size=16, threads=threads)
        losses = [trainer.epoch(X, Y) for _ in range(3)]
        trainer.close()
        results.append((net.params.copy(), losses, trainer.state.t,
                        {k: v.copy() for k, v in trainer.state.arrays.items()}))
    (p1, l1, t1, s1), (p2, l2, t2, s2) = results
    np.testing.assert_array_equal(p1, p2)
    assert l1 == l2
    assert t1 == t2 == 9  # 48 samples / 16 per batch * 3 epochs
    for name in s1:
        np.testing.assert_array_equal(s1[name], s2[name])


def test_fit_with_two_threads_matches_one_thread(rng):
    # fit's threads also set BLAS's thread count, and a GEMM split over two threads may round
    # differently: the update is bit-identical (above), the whole run agrees to float32 rounding
    X, Y = _data(rng)
    params = []
    for threads in (1, 2):
        net = Network.create(SIZES, hidden="relu", output="softmax", seed=5)
        fit(net, X, Y, optimizer=Adam(1e-3), epochs=2, batch_size=16, seed=0, threads=threads)
        params.append(net.params.copy())
    np.testing.assert_allclose(params[0], params[1], rtol=1e-4, atol=1e-6)
