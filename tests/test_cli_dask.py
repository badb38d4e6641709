"""``neuronless train DATA --dask local:N|tcp://HOST:PORT``: the command line on a cluster."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("distributed")
pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

import pandas as pd
from distributed import LocalCluster

import neuronless as nl
from neuronless.cli import main
from neuronless.dask.cluster import parse


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("parts")
    rng = np.random.default_rng(0)
    n = 1500
    df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                       "c": rng.choice(["u", "v"], size=n)})
    df["y"] = np.where(df.a + df.b > 0, "up", "down")
    for i, rows in enumerate(np.array_split(np.arange(n), 5)):
        df.iloc[rows].to_parquet(d / f"part-{i}.parquet")
    return d, df


def test_train_on_a_local_cluster_from_a_parquet_glob(folder, tmp_path, capsys):
    d, df = folder
    out = tmp_path / "m.nless"
    code = main(["train", str(d / "part-*.parquet"), "--target", "y", "--dask", "local:2",
                 "--optimizer", "irprop+", "--epochs", "30", "-o", str(out)])
    text = capsys.readouterr()
    assert code == 0, text.err
    assert "1500 training rows in 5 partitions on 2 worker(s)" in text.out
    assert "model saved to" in text.out
    assert "epoch 30/30" in text.err
    model, _ = nl.Model.load(out)
    assert model.info["dask"]["partitions"] == 5
    assert np.mean(model.predict(df) == df["y"].to_numpy()) > 0.9


def test_train_on_a_running_scheduler_by_address(folder, tmp_path, capsys):
    d, _ = folder
    out = tmp_path / "m.nless"
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0") as cluster:
        code = main(["train", str(d), "--target", "y", "--dask", cluster.scheduler_address,
                     "--optimizer", "irprop+", "--epochs", "5", "-o", str(out)])
    text = capsys.readouterr()
    assert code == 0, text.err
    assert "on 1 worker(s)" in text.out
    assert out.exists()


@pytest.mark.parametrize(("spec", "message"), [
    ("foo:bar", "is not a cluster: use local:N"),
    ("local:0", "needs N >= 1"),
    ("tcp://127.0.0.1:99999", "is not a cluster"),
])
def test_a_bad_cluster_is_one_clear_error(folder, tmp_path, capsys, spec, message):
    d, _ = folder
    assert main(["train", str(d), "--target", "y", "--dask", spec, "-o",
                 str(tmp_path / "m.nless")]) != 0
    assert message in capsys.readouterr().err
    assert not (tmp_path / "m.nless").exists()


def test_a_glob_without_dask_says_how(folder, tmp_path, capsys):
    d, _ = folder
    assert main(["train", str(d / "part-*.parquet"), "--target", "y", "-o",
                 str(tmp_path / "m.nless")]) != 0
    assert "--dask local:N" in capsys.readouterr().err


def test_parse_reads_both_forms():
    assert parse("local:3") == ("local", 3)
    assert parse("local") == ("local", None)
    assert parse("tcp://10.0.0.5:8786") == ("address", "tcp://10.0.0.5:8786")
    assert parse("scheduler.example.org:8786") == ("address", "tcp://scheduler.example.org:8786")


@pytest.mark.parametrize("mode", ["average", "sync"])
def test_data_parallel_training_from_the_command_line(folder, tmp_path, capsys, mode):
    d, df = folder
    out = tmp_path / "m.nless"
    code = main(["train", str(d / "part-*.parquet"), "--target", "y", "--dask", "local:2",
                 "--optimizer", "adam", "--batch-size", "64", "--epochs", "8",
                 "--data-parallel", mode, "-o", str(out)])
    text = capsys.readouterr()
    assert code == 0, text.err
    model, _ = nl.Model.load(out)
    assert model.info["dask"]["mode"] == mode
    assert np.mean(model.predict(df) == df["y"].to_numpy()) > 0.9


def test_data_parallel_needs_dask_and_a_mini_batch_optimizer(folder, tmp_path, capsys):
    d, _ = folder
    out = str(tmp_path / "m.nless")
    assert main(["train", str(d / "part-0.parquet"), "--target", "y", "--data-parallel",
                 "average", "-o", out]) != 0
    assert "add --dask local:N" in capsys.readouterr().err
    assert main(["train", str(d), "--target", "y", "--dask", "local:1", "--optimizer",
                 "irprop+", "--data-parallel", "sync", "-o", out]) != 0
    assert "data-parallel already" in capsys.readouterr().err
