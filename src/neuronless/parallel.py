"""Run an elementwise optimizer step on two halves of the parameter vector at once.

Contract: every step rule in ``optimizers`` treats each parameter on its own, so the flat
vector can be cut into contiguous chunks and each chunk stepped separately, with chunk states
whose arrays are views of the full state's arrays. NumPy releases the GIL inside large ufunc
loops, so a second thread updates the second half while the first thread does the first: the
elementwise update then uses both cores, as the matrix products already do. The result is
bit-identical to one whole-vector step (the same operations on the same numbers).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from numpy.typing import NDArray

from .optimizers import State

Array = NDArray[Any]

PARALLEL_MIN_PARAMS = 100_000  # below this the thread hand-off costs about what it saves
CHUNK_ALIGN = 64  # elements: chunk borders on 256-byte boundaries for float32


class ParallelStep:
    """``optimizer.step`` over ``params``/``grads`` cut in two, the halves run concurrently.

    ``state`` is the optimizer's full state; it stays the one to save and restore: its arrays
    are shared with the chunk states, and its counter and scalars are synced after every step.
    """

    def __init__(self, optimizer: Any, params: Array, grads: Array, state: State) -> None:
        self.optimizer = optimizer
        self.state = state
        cut = params.size // 2 // CHUNK_ALIGN * CHUNK_ALIGN
        bounds = [(0, cut), (cut, params.size)]
        self.params = [params[a:b] for a, b in bounds]
        self.grads = [grads[a:b] for a, b in bounds]
        self.states = [
            State(t=state.t, arrays={k: v[a:b] for k, v in state.arrays.items()},
                  scalars=dict(state.scalars))
            for a, b in bounds
        ]
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="neuronless-step")

    def __call__(self, *, learning_rate: float | None = None, loss: float | None = None) -> None:
        step = self.optimizer.step
        for s in self.states:  # the full state may have been restored or changed in between
            s.t = self.state.t
            s.scalars.update(self.state.scalars)
        second = self.pool.submit(step, self.params[1], self.grads[1], self.states[1],
                                  learning_rate=learning_rate, loss=loss)
        step(self.params[0], self.grads[0], self.states[0], learning_rate=learning_rate, loss=loss)
        second.result()
        self.state.t = self.states[0].t
        self.state.scalars.update(self.states[0].scalars)

    def close(self) -> None:
        """Let the helper thread go."""
        self.pool.shutdown(wait=False)
