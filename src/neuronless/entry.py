"""``neuronless.train``: one call for a table in memory or on a Dask cluster.

Contract: :func:`train` is :func:`neuronless.pipeline.train` (same arguments, same result)
for data in memory; for a Dask collection (``dask.dataframe``, ``dask.array``), or any data
with ``client=`` (a ``distributed.Client``: paths and globs of Parquet/CSV files are then
read lazily on the cluster), it is :func:`neuronless.dask.pipeline.train`. The pipeline is
the same one; only where the rows live differs. This module is a shell: Dask is imported
only when the data is on a cluster.
"""

from __future__ import annotations

import functools
from typing import Any

from . import pipeline


def on_dask(data: Any) -> bool:
    """Is ``data`` a Dask collection (without importing Dask)?"""
    return hasattr(data, "__dask_graph__") and hasattr(data, "__dask_keys__")


@functools.wraps(pipeline.train)
def train(data: Any, target: Any = None, *, client: Any = None, **kwargs: Any) -> Any:
    if client is None and not on_dask(data) and not on_dask(target):
        if kwargs.get("data_parallel") is not None:
            from .errors import ConfigError

            raise ConfigError("data_parallel= splits training over a Dask cluster's workers; "
                              "pass client= (a distributed.Client) or a Dask collection.")
        kwargs.pop("data_parallel", None)
        return pipeline.train(data, target, **kwargs)
    from .dask.pipeline import train as train_on_dask

    return train_on_dask(data, target, client=client, **kwargs)


train.__doc__ = (pipeline.train.__doc__ or "") + """
    On a cluster: ``client=`` (a ``distributed.Client``), or a Dask collection as ``data``
    (the current client), trains on the cluster (:func:`neuronless.dask.pipeline.train`);
    ``data_parallel="average"`` or ``"sync"`` then trains mini-batch step rules on every
    worker (docs/dask.md).
"""

__all__ = ["on_dask", "train"]
