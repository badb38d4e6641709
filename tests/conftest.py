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



def _load_libfann(kind: str) -> object:
    import os

    from neuronless.fann import libfann

    try:
        return libfann.load(kind)
    except libfann.LibFannMissing as exc:
        if os.environ.get("NEURONLESS_REQUIRE_LIBFANN") == "1":
            pytest.fail(f"NEURONLESS_REQUIRE_LIBFANN=1 but {exc}")
        pytest.skip(str(exc))


@pytest.fixture
def libfann_float() -> object:
    """The real libfann, float build (a ``neuronless.fann.libfann.LibFann``), or skip.

    CI sets ``NEURONLESS_REQUIRE_LIBFANN=1`` (``.ci/run`` installs Debian's ``libfann-dev``):
    there a missing library fails the test instead of skipping it, so CI always compares
    against the real FANN. Same for ``libfann_double`` and ``libfann_fixed``.
    """
    return _load_libfann("float")


@pytest.fixture
def libfann_double() -> object:
    """libdoublefann (FANN computing in double): the tight reference for float64 checks."""
    return _load_libfann("double")


@pytest.fixture
def libfann_fixed() -> object:
    """libfixedfann (FANN's fixed-point build, execution only)."""
    return _load_libfann("fixed")


@pytest.fixture(scope="module")
def two_workers() -> Iterator[object]:
    """A client of a real ``distributed.LocalCluster``: two worker processes of one thread on
    loopback, no dashboard; one cluster per test module."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address="127.0.0.1:0", host="127.0.0.1")
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()
