"""The pipeline's preparation fitted one partition at a time equals the in-memory fit.

The reference is the in-memory path on all the rows at once (``pipeline.prepare`` +
``build_model``, ``np.percentile``/``np.median``, ``np.mean``/``np.std``); the partitions are
random row splits of the same table, run through :func:`neuronless.data.chunked.in_memory`.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from neuronless import DataError, pipeline
from neuronless.data import chunked
from neuronless.data.chunked import exact_quantiles, fit_scaler, in_memory, moments
from neuronless.data.scaling import MinMaxScaler, RobustScaler, StandardScaler
from neuronless.partitioned import PartSpec, prepare_parts, score_parts, training_rows

pytest.importorskip("pandas")

import pandas as pd


def _cols(chunk):
    return chunk


def _splits(X, rng, most=6):
    cuts = np.sort(rng.integers(0, len(X), size=int(rng.integers(0, most))))
    return np.split(X, cuts)


@pytest.mark.parametrize("collect", [3, 40, 1 << 16])
def test_exact_quantiles_equal_numpys_bit_for_bit(collect, monkeypatch):
    monkeypatch.setattr(chunked, "COLLECT", collect)  # small: forces the histogram passes
    rng = np.random.default_rng(collect)
    percents = [0.0, 25.0, 50.0, 75.0, 100.0, 33.3, 99.9]
    for trial in range(60):
        n = int(rng.integers(1, 2500))
        X = rng.normal(size=(n, 3)) * [1.0, 1e300, 1e-300]
        if trial % 3 == 0:
            X = np.round(X * 3)  # ties
        if trial % 4 == 0:
            X[rng.random(X.shape) < 0.3] = np.nan  # absent values are skipped
        parts = _splits(X, rng)
        got = exact_quantiles(in_memory(parts), _cols, percents)
        med = exact_quantiles(in_memory(parts), _cols, [50.0], median_means=True)
        for j in range(3):
            v = X[:, j][~np.isnan(X[:, j])]
            if len(v) == 0:
                assert np.isnan(got[j]).all()
                continue
            np.testing.assert_array_equal(got[j], np.percentile(v, percents))
            assert med[j, 0] == np.median(v)


def test_moments_merge_partitions_to_rounding():
    rng = np.random.default_rng(1)
    X = rng.normal(loc=1e4, scale=3.0, size=(5000, 4))
    m = moments(in_memory(_splits(X, rng, 12)), _cols)
    np.testing.assert_allclose(m["mean"], X.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(m["var"], X.var(axis=0), rtol=1e-10)
    np.testing.assert_array_equal(m["min"], X.min(axis=0))
    np.testing.assert_array_equal(m["n"], [5000] * 4)


@pytest.mark.parametrize("scaler", [StandardScaler, MinMaxScaler, RobustScaler])
def test_scalers_fitted_on_partitions_equal_the_in_memory_fit(scaler):
    rng = np.random.default_rng(2)
    X = np.column_stack([rng.normal(size=3000), rng.integers(0, 4, 3000), np.ones(3000)])
    want = scaler().fit(X).to_dict()
    got = fit_scaler(scaler(), in_memory(_splits(X, rng)), _cols).to_dict()
    for key, value in want.items():
        if key != "kind" and value is not None:
            np.testing.assert_allclose(got[key], value, rtol=1e-13, err_msg=key)


def test_a_scaler_refuses_non_finite_partitions():
    X = np.array([[1.0], [np.inf]])
    with pytest.raises(DataError, match="non-finite"):
        fit_scaler(StandardScaler(), in_memory([X[:1], X[1:]]), _cols)


def _table(n=900, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "a": rng.normal(size=n), "b": rng.integers(0, 5, size=n).astype(float),
        "c": rng.choice(["x", "y", "z"], size=n), "d": rng.random(n) > 0.5,
        "id": [f"u{i}" for i in range(n)], "empty": np.full(n, np.nan),
        "num_text": [str(v) for v in rng.integers(0, 9, size=n)],
        "y": rng.choice(["p", "q", "r"], size=n), "v": rng.normal(size=n),
        "k": rng.integers(0, 3, size=n),
    })
    df.loc[rng.random(n) < 0.1, "a"] = np.nan
    df.loc[rng.random(n) < 0.05, "c"] = None
    df.loc[rng.random(n) < 0.03, "y"] = None
    return df


def _parts(df, rng):
    cuts = [0, *np.sort(rng.integers(0, len(df), size=4)).tolist(), len(df)]
    return list(enumerate([df.iloc[a:b] for a, b in itertools.pairwise(cuts)]))


@pytest.mark.parametrize("scale", ["robust", "standard", "minmax", "none"])
@pytest.mark.parametrize(("target", "drop"), [("y", ["v", "k"]), ("v", ["y", "k"]), ("k", ["y", "v"])])
def test_prepare_parts_fits_what_prepare_and_build_model_fit(scale, target, drop):
    df = _table()
    rng = np.random.default_rng(len(target) + len(scale))
    recipe, opts = pipeline.DEFAULTS.replace(scale=scale), pipeline.Options()
    prep = pipeline.prepare(df, target, drop=drop)
    want = pipeline.build_model(prep, recipe, opts)
    parts = _parts(df, rng)
    pp, got = prepare_parts(in_memory(parts), PartSpec(target, drop=tuple(drop)), recipe, opts)
    assert got.task == want.task == pp.task
    assert got.encoder.to_dict() == want.encoder.to_dict()
    assert pp.notes == prep.notes
    assert len(pp.notes) >= 2  # the id and the empty column
    assert (got.labels is None) == (want.labels is None)
    if want.labels is not None:
        assert got.labels.classes == want.labels.classes
    for mine, theirs in ((got.scaler, want.scaler), (got.target_scaler, want.target_scaler)):
        assert (mine is None) == (theirs is None)
        if theirs is not None:
            for key, value in theirs.to_dict().items():
                if key != "kind" and value is not None:
                    np.testing.assert_allclose(mine.to_dict()[key], value, rtol=1e-12)
    np.testing.assert_array_equal(got.net.params, want.net.params)
    assert sum(pp.rows) == len(prep.targets)
    # the rows as the network trains on them, and the score, match the in-memory ones
    X = np.concatenate([training_rows(p, pp.spec, got)[0] for p in parts])
    np.testing.assert_allclose(X, pipeline._scaled(want, prep.X, want.net.dtype), rtol=1e-6)
    assert score_parts(in_memory(parts), pp.spec, got) == pytest.approx(
        pipeline.score_model(want, prep), rel=1e-6)  # R²: sums of squares, not deviations


def test_the_partition_rules_give_the_in_memory_errors():
    x = ["1", "2", "3"] + ["4"] * 97
    for i in (3, 10, 60):
        x[i] = "oops"
    df = pd.DataFrame({"x": x, "y": [0, 1] * 50})
    opts, recipe = pipeline.Options(), pipeline.DEFAULTS
    with pytest.raises(DataError, match="holds numbers except for 3 cell"):
        pipeline.prepare(df, "y")
    parts = list(enumerate([df.iloc[:50], df.iloc[50:]]))
    with pytest.raises(DataError, match=r"holds numbers except for 3 cell.*'oops' at row 3 of "
                                        r"partition 0"):
        prepare_parts(in_memory(parts), PartSpec("y"), recipe, opts)
    mixed = [(0, pd.DataFrame({"x": [1.0, 2.0], "y": [0, 1]})),
             (1, pd.DataFrame({"x": ["a", "b"], "y": [0, 1]}))]
    with pytest.raises(DataError, match=r"holds number cells in one part.*text cells"):
        prepare_parts(in_memory(mixed), PartSpec("y"), recipe, opts)
    one = [(0, pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": ["a", "a", "a"]}))]
    with pytest.raises(DataError, match="only the class 'a'"):
        prepare_parts(in_memory(one), PartSpec("y"), recipe, opts)


def test_the_partitioned_r2_keeps_its_precision_for_targets_with_a_large_mean():
    from sklearn.metrics import r2_score

    rng = np.random.default_rng(11)
    n = 600
    df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    df["v"] = 1e8 + df.a - 0.5 * df.b + 0.3 * rng.normal(size=n)  # sums of squares ~1e16·n
    recipe, opts = pipeline.DEFAULTS.replace(epochs=3), pipeline.Options()
    parts = _parts(df, rng)
    _, model = prepare_parts(in_memory(parts), PartSpec("v"), recipe, opts)
    got = score_parts(in_memory(parts), PartSpec("v"), model)
    want = r2_score(df["v"].to_numpy(), np.asarray(model.predict(df)).reshape(-1))
    assert got["r2"] == pytest.approx(want, rel=1e-6, abs=1e-9)
