"""Parallel search and dask-ml on a real Dask cluster: scikit-learn's GridSearchCV and
RandomizedSearchCV over neuronless estimators with joblib's Dask backend, and dask-ml's
``Incremental`` wrapper around them.

Two worker processes on loopback. The references are the same searches run one fit after
another in this process (``n_jobs=1``) and the same ``partial_fit`` calls in memory: the
estimators are seeded, so where a fit runs changes nothing.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("distributed")
pytest.importorskip("sklearn")

import dask.array as da
import joblib
from distributed import get_task_stream
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV

from neuronless.sklearn import NeuronlessClassifier, NeuronlessRegressor


@pytest.fixture(scope="module")
def client(two_workers):
    return two_workers


def _classes(n=240, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = np.where(X[:, 0] - X[:, 1] ** 2 > -0.5, "up", "down")
    return X, y


def _searched(search, X, y, client):
    """The search's cv results run on the cluster, and the number of tasks the cluster ran."""
    with get_task_stream(client) as stream, joblib.parallel_config(backend="dask"):
        search.fit(X, y)
    return search, len(stream.data)


def test_grid_search_on_the_dask_backend_matches_the_sequential_search(client):
    X, y = _classes()
    est = NeuronlessClassifier(hidden_layer_sizes=(4,), max_iter=15, batch_size=32,
                               random_state=0)
    grid = {"alpha": [0.0, 1.0], "hidden_layer_sizes": [(3,), (6,)]}
    here = GridSearchCV(est, grid, cv=3, n_jobs=1).fit(X, y)
    there, tasks = _searched(GridSearchCV(est, grid, cv=3, n_jobs=-1), X, y, client)
    assert tasks > 0  # the fits ran on the workers (joblib batches them into tasks)
    np.testing.assert_array_equal(there.cv_results_["mean_test_score"],
                                  here.cv_results_["mean_test_score"])
    assert there.best_params_ == here.best_params_
    np.testing.assert_array_equal(there.predict(X), here.predict(X))
    np.testing.assert_array_equal(there.best_estimator_.network_.params,
                                  here.best_estimator_.network_.params)


def test_randomized_search_of_a_regressor_on_the_dask_backend(client):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 3))
    y = X[:, 0] - 2 * X[:, 1] + 0.1 * rng.normal(size=200)
    est = NeuronlessRegressor(hidden_layer_sizes=(4,), max_iter=10, batch_size=32,
                              random_state=0)
    space = {"alpha": [0.0, 0.1, 1.0, 10.0], "learning_rate": [0.003, 0.01, 0.03]}
    kw = dict(n_iter=4, cv=2, random_state=0)
    here = RandomizedSearchCV(est, space, n_jobs=1, **kw).fit(X, y)
    there, tasks = _searched(RandomizedSearchCV(est, space, n_jobs=-1, **kw), X, y, client)
    assert tasks > 0
    assert [p for p in there.cv_results_["params"]] == [p for p in here.cv_results_["params"]]
    np.testing.assert_array_equal(there.cv_results_["mean_test_score"],
                                  here.cv_results_["mean_test_score"])
    assert there.best_score_ > 0.5  # R^2 of a learnable linear target


def test_dask_ml_incremental_wraps_the_estimators(client):
    wrappers = pytest.importorskip("dask_ml.wrappers")
    X, y = _classes(n=300)
    Xd, yd = da.from_array(X, chunks=(100, 4)), da.from_array(y, chunks=100)
    kw = dict(hidden_layer_sizes=(5,), batch_size=32, random_state=0)
    inc = wrappers.Incremental(NeuronlessClassifier(**kw), shuffle_blocks=False)
    inc.fit(Xd, yd, classes=["down", "up"])
    want = NeuronlessClassifier(**kw)
    for a in range(0, 300, 100):  # what Incremental promises: partial_fit on each block in turn
        want.partial_fit(X[a:a + 100], y[a:a + 100], classes=["down", "up"])
    np.testing.assert_array_equal(inc.estimator_.network_.params, want.network_.params)
    predicted = inc.predict(Xd)
    assert isinstance(predicted, da.Array)
    np.testing.assert_array_equal(predicted.compute(), want.predict(X))
    proba = inc.predict_proba(Xd).compute()
    np.testing.assert_allclose(proba, want.predict_proba(X), rtol=1e-6)
    assert inc.score(Xd, yd) == pytest.approx(want.score(X, y))
