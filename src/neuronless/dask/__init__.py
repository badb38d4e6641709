"""neuronless on a Dask cluster (the ``dask`` extra: dask[dataframe] and distributed).

Training runs on Dask's ``distributed`` scheduler; neuronless opens no sockets of its own.

- :mod:`neuronless.dask.objective`: exact data-parallel full-batch epochs
  (:class:`DaskObjective`, :func:`fit_full_batch`).
- :mod:`neuronless.dask.stream`: mini-batch step rules on data larger than memory, one
  partition at a time (:func:`fit_streamed`).
- :mod:`neuronless.dask.parallel`: data-parallel mini-batch training, local steps with
  averaging or synchronous large batches (:func:`fit_data_parallel`).
- :mod:`neuronless.dask.whole_batch`: L-BFGS/CG (:func:`fit_minimize`) and FANN's batch
  algorithms (:func:`fit_fann`) on the cluster's rows.
- :mod:`neuronless.dask.pipeline`: the table -> model pipeline on a Dask collection
  (:func:`train`, also reached as ``neuronless.train(ddf, client=...)``), :func:`predict` on
  one, :func:`read` of Parquet/CSV globs.

This package is a shell: it imports ``dask`` and ``distributed``; nothing below it does.
"""

from __future__ import annotations

from .incremental import fit_incremental
from .objective import DaskObjective, fit_full_batch
from .parallel import fit_data_parallel
from .pipeline import predict, read, train
from .stream import fit_streamed
from .whole_batch import fit_fann, fit_minimize

__all__ = ["DaskObjective", "fit_data_parallel", "fit_fann", "fit_full_batch", "fit_incremental", "fit_minimize",
           "fit_streamed", "predict", "read", "train"]
