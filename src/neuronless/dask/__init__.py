"""neuronless on a Dask cluster (the ``dask`` extra: dask[dataframe] and distributed).

Training runs on Dask's ``distributed`` scheduler; neuronless opens no sockets of its own.

- :mod:`neuronless.dask.objective`: exact data-parallel full-batch epochs
  (:class:`DaskObjective`, :func:`fit_full_batch`).

This package is a shell: it imports ``dask`` and ``distributed``; nothing below it does.
"""

from __future__ import annotations

from .objective import DaskObjective, fit_full_batch

__all__ = ["DaskObjective", "fit_full_batch"]
