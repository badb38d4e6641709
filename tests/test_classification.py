"""Labels, one-hot rows, predicted classes and accuracy, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from neuronless import Network, ShapeError, accuracy, labels_from, one_hot, predict_classes


def test_one_hot_by_hand():
    got = one_hot([2, 0, 1, 2])
    np.testing.assert_array_equal(got, [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    assert got.dtype == np.float32


def test_one_hot_with_more_classes_and_dtype():
    got = one_hot(np.array([1, 0]), n_classes=4, dtype=np.float64)
    np.testing.assert_array_equal(got, [[0, 1, 0, 0], [1, 0, 0, 0]])
    assert got.dtype == np.float64


def test_one_hot_accepts_integral_floats():
    np.testing.assert_array_equal(one_hot([1.0, 0.0]), [[0, 1], [1, 0]])


@pytest.mark.parametrize(
    ("labels", "kwargs", "match"),
    [
        ([], {}, "non-empty"),
        ([[0, 1]], {}, "1-D"),
        ([0.5, 1.0], {}, "integers"),
        (["a", "b"], {}, "integers"),
        ([-1, 0], {}, ">= 0"),
        ([0, 3], {"n_classes": 3}, "n_classes"),
    ],
)
def test_one_hot_rejects_bad_labels(labels, kwargs, match):
    with pytest.raises(ShapeError, match=match):
        one_hot(labels, **kwargs)


def test_labels_from_argmax_and_threshold():
    assert labels_from([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3]]).tolist() == [1, 0]
    assert labels_from([[0.51], [0.5], [0.2]]).tolist() == [1, 0, 0]
    assert labels_from(np.array([0.9, 0.1])).tolist() == [1, 0]  # 1-D: one output per sample


def test_labels_round_trip_through_one_hot():
    labels = np.array([3, 1, 0, 2, 2])
    assert labels_from(one_hot(labels)).tolist() == labels.tolist()


def test_predict_classes_by_hand():
    # one identity unit: output = x - 1, so class 1 where x > 1.5
    net = Network.from_weights([np.array([[1.0], [-1.0]])], ["identity"])
    assert predict_classes(net, [[0.0], [1.4], [1.6], [3.0]]).tolist() == [0, 0, 1, 1]
    # two outputs (x, -x): class 0 where x > 0
    net2 = Network.from_weights([np.array([[1.0, -1.0], [0.0, 0.0]])], ["identity"])
    assert predict_classes(net2, [[2.0], [-1.0]]).tolist() == [0, 1]


def test_accuracy_mixes_labels_and_rows():
    assert accuracy([0, 1, 1, 0], [0, 1, 0, 0]) == 0.75
    assert accuracy(one_hot([0, 2, 1]), [[0.9, 0.05, 0.05], [0.1, 0.2, 0.7], [0.6, 0.3, 0.1]]) == (
        pytest.approx(2 / 3)
    )
    assert accuracy([[1.0], [0.0]], [[0.8], [0.7]]) == 0.5


def test_accuracy_rejects_different_lengths():
    with pytest.raises(ShapeError, match="same samples"):
        accuracy([0, 1, 1], [0, 1])
