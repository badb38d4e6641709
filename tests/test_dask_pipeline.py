"""The table -> model pipeline on a Dask collection (neuronless.dask.train, predict).

A real ``distributed.LocalCluster`` of two worker processes on loopback. The reference is the
in-memory pipeline on the same rows: the fitted preparation is the same (tests/
test_partitioned.py checks it number by number), and exact full-batch training ends at the
same float64 parameters, so the two models predict alike.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("distributed")
pytest.importorskip("dask.dataframe")
pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

import dask.array as da
import dask.dataframe as dd
import pandas as pd

import neuronless as nl
from neuronless import ConfigError, DataError
from neuronless.dask import predict


@pytest.fixture(scope="module")
def client(two_workers):
    return two_workers


def _frame(n=1200, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.integers(0, 5, size=n).astype(float),
                       "c": rng.choice(["x", "y", "z"], size=n)})
    df["y"] = np.where(df.a + 0.3 * df.b + (df.c == "x") > 1, "hi", "lo")
    df["v"] = 2 * df.a - df.b + rng.normal(scale=0.1, size=n)
    df.loc[rng.random(n) < 0.1, "a"] = np.nan
    return df


SETTINGS = dict(optimizer="irprop+", epochs=25, layers=[6], early_stopping=0, dtype=np.float64)


@pytest.mark.parametrize(("target", "drop"), [("y", ["v"]), ("v", ["y"])])
def test_a_folder_of_parquet_files_trains_the_in_memory_model(client, tmp_path, target, drop):
    df = _frame()
    for i, part in enumerate(np.array_split(np.arange(len(df)), 7)):
        df.iloc[part].to_parquet(tmp_path / f"part-{i:02d}.parquet")
    model = nl.train(str(tmp_path / "part-*.parquet"), target, drop=drop, client=client,
                     **SETTINGS)
    want = nl.train(df, target, drop=drop, batch_size=None, **SETTINGS)
    assert model.info["dask"]["partitions"] == 7
    assert model.info["dask"]["workers"] == 2
    # columns and target; medians (ranges, then values); the robust scaler (ranges, values);
    # a regression target's mean, deviation and range
    assert model.info["dask"]["preparation_passes"] == (6 if target == "v" else 5)
    assert model.encoder.to_dict() == want.encoder.to_dict()
    np.testing.assert_allclose(model.net.params, want.net.params, rtol=1e-9, atol=1e-12)
    assert len(model.history.train_loss) == 25
    np.testing.assert_allclose(model.history.train_loss, want.history.train_loss, rtol=1e-9)
    key = "accuracy" if target == "y" else "rmse"
    assert model.info["score"]["training"][key] == pytest.approx(
        want.info["score"]["training"][key], rel=1e-6)
    # the saved model predicts on the cluster, partition by partition, as in memory
    path = tmp_path / "m.nless"
    model.save(path)
    loaded, _ = nl.Model.load(path)
    got = predict(loaded, dd.read_parquet(str(tmp_path / "part-*.parquet"))).compute()
    assert list(got.columns) == [target]
    if target == "y":
        np.testing.assert_array_equal(got[target].to_numpy(), want.predict(df))
    else:  # the parameters agree to rounding, so do the values
        np.testing.assert_allclose(got[target].to_numpy(), want.predict(df), rtol=1e-9)


def test_a_dask_dataframe_and_dask_arrays_train_with_the_current_client(client):
    df = _frame(seed=1)
    ddf = dd.from_pandas(df.drop(columns=["v"]), npartitions=4)
    model = nl.train(ddf, "y", **SETTINGS)  # a Dask collection: the current client
    assert model.task == "classification"
    assert model.labels.classes == ["hi", "lo"]
    X = df[["b"]].to_numpy()
    Xd = da.from_array(X, chunks=(300, 1))
    yd = da.from_array(df["v"].to_numpy(), chunks=(300,))
    reg = nl.train(Xd, yd, client=client, **SETTINGS)
    want = nl.train(X, df["v"].to_numpy(), batch_size=None, **SETTINGS)
    np.testing.assert_allclose(reg.net.params, want.net.params, rtol=1e-9, atol=1e-12)
    out = predict(reg, Xd)
    assert isinstance(out, da.Array)
    np.testing.assert_allclose(out.compute(), want.predict(X), rtol=1e-9)
    proba = predict(model, ddf, proba=True).compute()
    assert list(proba.columns) == ["hi", "lo"]
    np.testing.assert_allclose(proba.to_numpy().sum(axis=1), 1.0)


def test_early_stopping_on_the_cluster_keeps_the_best_epoch(client):
    df = _frame(seed=2).drop(columns=["v"])
    ddf = dd.from_pandas(df, npartitions=3)
    model = nl.train(ddf, "y", client=client, optimizer="sgd", learning_rate=5.0, epochs=60,
                     batch_size=None, layers=[4], early_stopping=3, dtype=np.float64)
    h = model.history
    assert h.stopped_reason == "early stopping: no improvement for 3 epochs"
    assert len(h.train_loss) < 60
    assert h.train_loss[h.best_epoch] == min(h.train_loss)
    want = nl.train(df, "y", optimizer="sgd", learning_rate=5.0, epochs=60, batch_size=None,
                    layers=[4], early_stopping=3, dtype=np.float64)  # in memory: the same stop
    assert want.history.stopped_reason == h.stopped_reason
    assert want.history.best_epoch == h.best_epoch
    np.testing.assert_allclose(model.net.params, want.net.params, rtol=1e-9, atol=1e-12)


def test_bad_input_on_dask_is_one_clear_error(client):
    ddf = dd.from_pandas(_frame().drop(columns=["v"]), npartitions=2)
    with pytest.raises(ConfigError, match=r"Cascade2 .* does not run on Dask"):
        nl.train(ddf, "y", optimizer="cascade", client=client)
    with pytest.raises(ConfigError, match=r"unknown setting"):
        nl.train(ddf, "y", client=client, epoch=3)
    with pytest.raises(DataError, match=r"no column 'nope'|'nope'"):
        nl.train(ddf, "nope", client=client, epochs=2)
    with pytest.raises(ConfigError, match=r"takes a dask.dataframe"):
        nl.train({"a": [1, 2]}, "a", client=client)
    with pytest.raises(DataError, match=r"Parquet .* or CSV/TSV"):
        nl.train("data.xlsx", "y", client=client)
    with pytest.raises(ConfigError, match=r"second dask.array"):
        nl.train(da.ones((10, 2), chunks=5), "y", client=client)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # 20 epochs
def test_the_estimators_fit_dask_collections_with_the_current_client(client):
    from neuronless.sklearn import NeuronlessClassifier, NeuronlessRegressor

    df = _frame(seed=3)
    X, y, v = df[["a", "b", "c"]], df["y"], df["v"]
    Xd, yd, vd = (dd.from_pandas(t, npartitions=4) for t in (X, y, v))
    kw = dict(hidden_layer_sizes=(5,), optimizer="irprop+", max_iter=20, early_stopping=0,
              random_state=0)
    clf = NeuronlessClassifier(**kw).fit(Xd, yd)
    want = NeuronlessClassifier(**kw).fit(X, y)
    assert clf.model_.info["dask"]["partitions"] == 4
    np.testing.assert_array_equal(clf.classes_, want.classes_)
    assert list(clf.feature_names_in_) == ["a", "b", "c"]
    np.testing.assert_allclose(clf.network_.params, want.network_.params, rtol=1e-9, atol=1e-12)
    assert clf.n_iter_ == want.n_iter_ == 20
    got = clf.predict(Xd)
    assert hasattr(got, "compute")  # lazy: computed where the partitions live
    np.testing.assert_array_equal(got.compute().to_numpy(), want.predict(X))
    np.testing.assert_allclose(clf.predict_proba(Xd).compute(), want.predict_proba(X),
                               rtol=1e-9)
    # in memory after a fit on the cluster: an ordinary fitted estimator
    np.testing.assert_array_equal(clf.predict(X), want.predict(X))
    assert clf.score(X, y) == want.score(X, y)
    reg = NeuronlessRegressor(**kw).fit(da.from_array(X[["b"]].to_numpy(), chunks=(300, 1)),
                                        da.from_array(v.to_numpy(), chunks=300))
    want_reg = NeuronlessRegressor(**kw).fit(X[["b"]].to_numpy(), v.to_numpy())
    np.testing.assert_allclose(reg.network_.params, want_reg.network_.params, rtol=1e-9,
                               atol=1e-12)
    with pytest.raises(ValueError, match="sample_weight and validation_data"):
        NeuronlessRegressor(**kw).fit(Xd[["b"]], vd, sample_weight=np.ones(len(v)))


def test_data_parallel_pipeline_records_its_mode_and_learns(client):
    df = _frame(n=2000, seed=3)
    ddf = dd.from_pandas(df, npartitions=4)
    model = nl.train(ddf, "y", drop=["v"], client=client, optimizer="adam", batch_size=64,
                     epochs=10, data_parallel="average")
    assert model.info["dask"]["mode"] == "average"
    assert np.mean(model.predict(df) == df["y"].to_numpy()) > 0.85
    streamed = nl.train(ddf, "y", drop=["v"], client=client, optimizer="adam", epochs=2)
    assert streamed.info["dask"]["mode"] == "streamed"
    with pytest.raises(ConfigError, match="must be one of"):
        nl.train(ddf, "y", client=client, data_parallel="ring")
    with pytest.raises(ConfigError, match="pass client="):
        nl.train(df, "y", data_parallel="average")


def test_validation_rows_are_held_out_of_each_partition_and_watched(client):
    df = _frame(n=1600, seed=4).drop(columns=["v"])
    ddf = dd.from_pandas(df, npartitions=4)
    model = nl.train(ddf, "y", client=client, optimizer="irprop+", epochs=60, layers=[6],
                     validation_fraction=0.25, early_stopping=8, seed=3)
    h = model.history
    assert len(h.val_loss) == len(h.train_loss) > 0
    assert h.best_epoch == int(np.argmin(h.val_loss))  # the kept weights are the best epoch's
    # the documented split: round(0.25 n) rows of partition i, by a generator seeded (3, i)
    held = []
    for i, part in enumerate(ddf.to_delayed()):
        rows = part.compute()
        pick = np.sort(np.random.default_rng([3, i]).permutation(len(rows))[:round(0.25 * len(rows))])
        held.append(rows.iloc[pick])
    val = pd.concat(held)
    assert len(val) == 400
    want = float(np.mean(model.predict(val) == val["y"].to_numpy()))
    assert model.info["score"] == {"validation": {"accuracy": pytest.approx(want)}}
    with pytest.raises(DataError, match="must leave rows for both"):
        nl.train(dd.from_pandas(df.iloc[:6], npartitions=3), "y", client=client,
                 validation_fraction=0.1, optimizer="irprop+", epochs=2)


def test_rprop_with_a_batch_size_takes_mini_batches_on_dask_as_in_memory(client):
    df = _frame(n=400).drop(columns=["v"])
    model = nl.train(dd.from_pandas(df, npartitions=2), "y", client=client, optimizer="irprop+",
                     batch_size=50, epochs=2)
    assert model.info["dask"]["mode"] == "streamed"
    assert nl.train(dd.from_pandas(df, npartitions=2), "y", client=client, optimizer="irprop+",
                    epochs=2).info["dask"]["mode"] == "full batch"
