"""Built-in data sets: shapes, classes, determinism, and the geometry each one promises."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from neuronless import ConfigError, DataError
from neuronless import datasets as ds
from neuronless.data import Dataset


def test_xor_is_the_truth_table():
    X, y = ds.xor()
    assert y.tolist() == [int(a) ^ int(b) for a, b in X]


def test_two_spiral_reproduces_the_classic_benchmark():
    d = ds.two_spiral()  # Lang & Witbrock: 97 points per arm, angle i*pi/16, radius 6.5*(104-i)/104
    assert d.X.shape == (194, 2)
    i = np.arange(97)
    angle, radius = i * np.pi / 16, 6.5 * (104 - i) / 104
    arm0 = np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])
    np.testing.assert_allclose(d.X[d.y == 0], arm0, atol=1e-12)
    np.testing.assert_allclose(
        d.X[d.y == 1], -arm0, atol=1e-12
    )  # the second arm: turned by 180 degrees


def test_two_spiral_arms_wind_inwards_and_do_not_touch():
    d = ds.two_spiral(n=101)
    assert np.bincount(d.y).tolist() == [51, 50]
    for k in (0, 1):
        r = np.hypot(*d.X[d.y == k].T)
        assert np.all(np.diff(r) < 0)  # strictly shrinking radius
    a, b = d.X[d.y == 0], d.X[d.y == 1]
    closest = np.min(np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2))
    assert closest > 0.3


@pytest.mark.parametrize(
    ("make", "kwargs", "shape", "counts"),
    [
        (ds.two_spiral, {"n": 50}, (50, 2), [25, 25]),
        (ds.circles, {"n": 101}, (101, 2), [50, 51]),
        (ds.moons, {"n": 101}, (101, 2), [50, 51]),
        (ds.blobs, {"n": 100, "centers": 3}, (100, 2), [34, 33, 33]),
        (ds.xor, {}, (4, 2), [2, 2]),
    ],
)
def test_toy_shapes_and_classes(make, kwargs, shape, counts):
    d = make(**kwargs)
    assert isinstance(d, Dataset)
    assert d.X.shape == shape
    assert d.X.dtype == np.float64
    assert d.y.dtype == np.int64
    assert np.bincount(d.y).tolist() == counts
    assert d.feature_names == ["x1", "x2"]
    assert len(d.target_names) == 1
    assert d.task == "classification"


@pytest.mark.parametrize(
    ("make", "kwargs"),
    [
        (ds.two_spiral, {"noise": 0.2}),
        (ds.circles, {"noise": 0.1}),
        (ds.moons, {"noise": 0.1}),
        (ds.blobs, {"std": 0.5}),
    ],
)
def test_toy_sets_are_deterministic_for_a_seed(make, kwargs):
    a, b, c = make(seed=7, **kwargs), make(seed=7, **kwargs), make(seed=8, **kwargs)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.X, c.X)


def test_circles_radii():
    d = ds.circles(n=40, factor=0.3)
    r = np.hypot(*d.X.T)
    np.testing.assert_allclose(r[d.y == 0], 1.0)
    np.testing.assert_allclose(r[d.y == 1], 0.3)


def test_moons_lie_on_their_arcs():
    d = ds.moons(n=60)
    up, low = d.X[d.y == 0], d.X[d.y == 1]
    np.testing.assert_allclose(np.hypot(*up.T), 1.0)
    assert np.all(up[:, 1] >= -1e-12)
    np.testing.assert_allclose(np.hypot(low[:, 0] - 1.0, low[:, 1] - 0.5), 1.0)
    assert np.all(low[:, 1] <= 0.5 + 1e-12)


@pytest.mark.parametrize("make", ["circles", "moons"])
def test_noiseless_toys_match_scikit_learn(make):
    skd = pytest.importorskip("sklearn.datasets")
    ours = getattr(ds, make)(n=30)
    extra = {"factor": 0.5} if make == "circles" else {}  # our default; scikit-learn's is 0.8
    X, y = getattr(skd, f"make_{make}")(n_samples=30, shuffle=False, **extra)
    np.testing.assert_allclose(ours.X, X, atol=1e-12)
    np.testing.assert_array_equal(ours.y, y)


def test_blobs_with_given_centres():
    centers = np.array([[0.0, 0.0], [100.0, 100.0]])
    d = ds.blobs(n=200, centers=centers, std=1.0, seed=0)
    for k in (0, 1):
        np.testing.assert_allclose(d.X[d.y == k].mean(axis=0), centers[k], atol=0.5)
        assert d.X[d.y == k].std() == pytest.approx(1.0, abs=0.2)


@pytest.mark.parametrize(
    ("name", "shape", "n_classes"),
    [
        ("iris", (150, 4), 3),
        ("wine", (178, 13), 3),
        ("breast_cancer", (569, 30), 2),
        ("digits", (1797, 64), 10),
    ],
)
def test_scikit_learn_tables(name, shape, n_classes):
    pytest.importorskip("sklearn")
    d = ds.get_dataset(name)
    assert d.X.shape == shape
    assert sorted(set(d.y.tolist())) == list(range(n_classes))
    assert len(d.feature_names) == shape[1]
    assert d.task == "classification"


def test_scikit_learn_missing_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)  # makes "import sklearn" fail
    with pytest.raises(DataError, match=r"pip install 'neuronless\[sklearn\]'"):
        ds.iris()


def test_get_dataset_by_name_and_errors():
    assert ds.get_dataset("Two-Spiral", n=10).X.shape == (10, 2)
    with pytest.raises(
        DataError, match=r"no built-in data set called 'mnist'; available: xor, two_spiral"
    ):
        ds.get_dataset("mnist")


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: ds.circles(factor=1.5), "factor"),
        (lambda: ds.moons(noise=-1.0), "noise must be >= 0"),
        (lambda: ds.two_spiral(n=1), "n must be an integer >= 2"),
        (lambda: ds.blobs(centers=0), "centers must be >= 1"),
        (lambda: ds.blobs(centers=[[1.0, 2.0, 3.0]]), r"\(k, 2\) array"),
        (lambda: ds.blobs(n=2, centers=3), "n must be an integer >= 3"),
    ],
)
def test_bad_arguments(call, match):
    with pytest.raises(ConfigError, match=match):
        call()
