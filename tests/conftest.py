"""Every test runs with NumPy floating-point errors raised, and gets a seeded ``rng``.

Overflow, division by zero and invalid operations raise. Underflow does not: a result too
small for the dtype rounds to zero (or a subnormal), which is the correctly rounded answer
(NumPy ignores it by default too); raising on it only flags harmless products of small numbers.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _raise_on_float_errors() -> Iterator[None]:
    with np.errstate(all="raise", under="ignore"):
        yield


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)
