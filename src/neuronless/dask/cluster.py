"""Where the command line's ``--dask`` finds a cluster.

``local:N`` starts a ``distributed.LocalCluster`` of N worker processes on this machine
(bound to 127.0.0.1, one thread each, the dashboard on a free loopback port) for the
duration of the command; ``tcp://HOST:PORT`` (or ``HOST:PORT``) connects to the scheduler of
a cluster you run (``dask scheduler`` / ``dask worker``, or any deployment). That address is
the one thing that changes between a laptop and a multi-machine cluster.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

from ..errors import ClusterError, ConfigError

_LOCAL = re.compile(r"^local(?::(\d+))?$")
_ADDRESS = re.compile(r"^(?:(tcp|tls)://)?([A-Za-z0-9_.\-\[\]:]+):(\d{1,5})$")


def parse(spec: str) -> tuple[str, Any]:
    """``("local", n_workers)`` or ``("address", "tcp://host:port")``; ConfigError otherwise."""
    text = spec.strip()
    m = _LOCAL.match(text)
    if m:
        n = int(m.group(1) or 0) if m.group(1) is not None else None
        if n is not None and n < 1:
            raise ConfigError(f"--dask {spec!r}: local:N needs N >= 1 worker processes.")
        return "local", n
    m = _ADDRESS.match(text)
    if m and 0 < int(m.group(3)) < 65536:
        return "address", f"{m.group(1) or 'tcp'}://{m.group(2)}:{m.group(3)}"
    raise ConfigError(
        f"--dask {spec!r} is not a cluster: use local:N (N worker processes on this machine) "
        "or the scheduler's address, tcp://HOST:PORT (e.g. tcp://10.0.0.5:8786).")


@contextlib.contextmanager
def connect(spec: str, *, timeout: float = 30.0) -> Iterator[Any]:
    """A ``distributed.Client`` for ``spec`` (see the module docstring), closed afterwards
    (a local cluster is shut down with it)."""
    from distributed import Client, LocalCluster

    kind, value = parse(spec)
    if kind == "local":
        import os

        n = value or max(1, os.cpu_count() or 1)
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,  # type: ignore[no-untyped-call]
                          host="127.0.0.1", dashboard_address="127.0.0.1:0") as cluster, \
                Client(cluster) as client:  # type: ignore[no-untyped-call]
            yield client
        return
    try:
        client = Client(value, timeout=timeout)  # type: ignore[no-untyped-call]
    except OSError as e:
        raise ClusterError(f"cannot reach the Dask scheduler at {value} ({e}); start it "
                           "(dask scheduler; dask worker ...) or check the address.") from e
    try:
        yield client
    finally:
        client.close()  # type: ignore[no-untyped-call]


__all__ = ["connect", "parse"]
