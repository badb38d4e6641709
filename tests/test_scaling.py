"""RobustScaler: scikit-learn's median/IQR scaling, the zero-IQR fallbacks, RealMLP's smooth clip."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from neuronless.data.scaling import ROBUST_CLIP, RobustScaler, scaler_from_dict
from neuronless.errors import ConfigError, DataError, ShapeError


def test_robust_scaler_matches_scikit_learn_without_clip(rng):
    sklearn_preprocessing = pytest.importorskip("sklearn.preprocessing")
    X = rng.lognormal(size=(37, 4))
    ours = RobustScaler(clip=None).fit(X)
    theirs = sklearn_preprocessing.RobustScaler().fit(X)
    np.testing.assert_allclose(ours.median, theirs.center_, rtol=1e-12)
    np.testing.assert_allclose(ours.scale, theirs.scale_, rtol=1e-12)
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X), rtol=1e-12, atol=1e-12)


def test_robust_scaler_by_hand():
    # column 0: 1, 2, 3, 4, 100 -> median 3, quartiles 2 and 4, scale 2
    # column 1: 0, 0, 0, 0, 1 (quartiles equal) -> half the range, 0.5; median 0
    # column 2: constant 7 -> scale 1, median 7
    X = np.array([[1.0, 0.0, 7.0], [2.0, 0.0, 7.0], [3.0, 0.0, 7.0], [4.0, 0.0, 7.0],
                  [100.0, 1.0, 7.0]])
    s = RobustScaler(clip=None).fit(X)
    assert s.median.tolist() == [3.0, 0.0, 7.0]
    assert s.scale.tolist() == [2.0, 0.5, 1.0]
    np.testing.assert_allclose(s.transform(X)[:, 0], [-1.0, -0.5, 0.0, 0.5, 48.5])
    np.testing.assert_allclose(s.transform(X)[:, 1], [0.0, 0.0, 0.0, 0.0, 2.0])
    np.testing.assert_allclose(s.transform(X)[:, 2], 0.0)


def test_smooth_clip_by_hand():
    # z / sqrt(1 + (z/3)^2): z = 3 -> 3/sqrt(2); z = -48.5 -> -48.5/sqrt(1 + 48.5^2/9)
    X = np.array([[1.0], [2.0], [3.0], [4.0], [100.0], [-94.0], [9.0]])
    s = RobustScaler().fit(X[:5])
    assert s.clip == ROBUST_CLIP == 3.0
    out = s.transform(X).ravel()
    z = np.array([-1.0, -0.5, 0.0, 0.5, 48.5, -48.5, 3.0])
    np.testing.assert_allclose(out, z / np.sqrt(1.0 + (z / 3.0) ** 2), rtol=1e-12)
    assert out[6] == pytest.approx(3.0 / math.sqrt(2.0))
    assert out[4] == pytest.approx(48.5 / math.sqrt(1.0 + 48.5**2 / 9.0))
    assert np.all(np.abs(out) < 3.0)


def test_smooth_clip_is_near_identity_at_zero_and_bounded(rng):
    s = RobustScaler(clip=2.0).fit(rng.normal(size=(50, 1)))
    z = np.array([[1e-4], [1e6], [-1e6]]) * s.scale + s.median
    out = s.transform(z).ravel()
    assert out[0] == pytest.approx(1e-4, rel=1e-6)
    assert out[1] == pytest.approx(2.0, rel=1e-9)
    assert out[2] == pytest.approx(-2.0, rel=1e-9)


@pytest.mark.parametrize("clip", [None, 3.0])
def test_robust_scaler_inverse_undoes_transform(clip, rng):
    X = rng.standard_t(3, size=(40, 3))
    s = RobustScaler(clip=clip).fit(X)
    np.testing.assert_allclose(s.inverse_transform(s.transform(X)), X, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("clip", [None, 2.5])
def test_robust_scaler_dict_round_trip_through_json(clip, rng):
    X = rng.normal(size=(20, 3)) * [1.0, 10.0, 100.0]
    s = RobustScaler(clip=clip).fit(X)
    d = json.loads(json.dumps(s.to_dict()))
    assert d["kind"] == "robust"
    assert d["clip"] == clip
    back = scaler_from_dict(d)
    assert isinstance(back, RobustScaler)
    assert back.clip == clip
    np.testing.assert_array_equal(back.transform(X), s.transform(X))


def test_robust_scaler_keeps_float32():
    X = np.array([[1.0, 2.0], [3.0, 5.0], [4.0, 9.0]], dtype=np.float32)
    assert RobustScaler().fit(X).transform(X).dtype == np.float32


def test_robust_scaler_errors():
    with pytest.raises(ConfigError, match="clip must be a positive number or None"):
        RobustScaler(clip=0.0)
    with pytest.raises(ConfigError, match="not fitted"):
        RobustScaler().transform([[1.0]])
    with pytest.raises(DataError, match="non-finite"):
        RobustScaler().fit([[1.0], [np.nan]])
    with pytest.raises(ShapeError, match="fitted on 2 columns"):
        RobustScaler().fit([[1.0, 2.0], [3.0, 4.0]]).transform([[1.0, 2.0, 3.0]])
    with pytest.raises(DataError, match="kind 'robust'"):
        RobustScaler.from_dict({"kind": "standard", "mean": [0.0], "scale": [1.0]})
