"""Run an elementwise optimizer step on two halves of the parameter vector at once.

Contract: every step rule in ``optimizers`` treats each parameter independently, so the flat
vector can be cut into contiguous chunks and each chunk stepped on its own, with chunk states
whose arrays are views of the full state's arrays. NumPy releases the GIL inside large ufunc
loops, so two threads update the two halves in parallel while BLAS is idle between matrix
products. The result is bit-identical to one whole-vector step (same operations on the same
numbers, in a different order of chunks). Used by :class:`~neuronless.training.Trainer` for
large networks when more than one thread is allowed.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .optimizers import State

Array = NDArray[Any]

PARALLEL_MIN_PARAMS = 100_000  # below this, thread hand-off costs more than it saves


class ParallelStep:
    """Step ``optimizer`` on ``n_chunks`` contiguous chunks of ``params`` in parallel threads."""

    def __init__(self, optimizer: Any, params: Array, state: State, n_chunks: int = 2) -> None:
        self.optimizer = optimizer
        self.state = state
        n = params.size
        cuts = np.linspace(0, n, n_chunks + 1).astype(int)
        # cut on 64-element boundaries so each chunk starts on a cache line
        cuts[1:-1] = cuts[1:-1] // 64 * 64
        self.bounds = [(int(a), int(b)) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
        self.params = [params[a:b] for a, b in self.bounds]
        self.states = [
            State(
                t=state.t,
                arrays={k: v[a:b] for k, v in state.arrays.items()},
                scalars=dict(state.scalars),
            )
            for a, b in self.bounds
        ]
        self.pool = ThreadPoolExecutor(max_workers=n_chunks - 1, thread_name_prefix="neuronless-step")

    def __call__(
        self, grads: Array, *, learning_rate: float | None = None, loss: float | None = None
    ) -> None:
        step = self.optimizer.step
        chunks = [grads[a:b] for a, b in self.bounds]
        futures = [
            self.pool.submit(step, p, g, s, learning_rate=learning_rate, loss=loss)
            for p, g, s in zip(self.params[1:], chunks[1:], self.states[1:], strict=True)
        ]
        step(self.params[0], chunks[0], self.states[0], learning_rate=learning_rate, loss=loss)
        for f in futures:
            f.result()
        first = self.states[0]
        self.state.t = first.t
        self.state.scalars.update(first.scalars)

    def close(self) -> None:
        self.pool.shutdown(wait=False)
