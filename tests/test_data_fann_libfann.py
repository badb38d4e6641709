"""FANN .data files: ours are read by libfann's reader, libfann's are read by ours."""

from __future__ import annotations

from typing import Any

import numpy as np

from neuronless.data import read_fann_data, write_fann_data


def test_libfann_reads_what_we_write(tmp_path: Any, libfann_double: Any, rng: Any) -> None:
    X = rng.normal(size=(37, 5)) * 10.0 ** rng.integers(-3, 4, size=(37, 5))
    X[::3, 0] = np.round(X[::3, 0])  # integral values take FANN's integer form
    Y = rng.integers(0, 2, size=(37, 2)).astype(float)
    path = tmp_path / "ours.data"
    write_fann_data(path, X, Y)
    data = libfann_double.read_train(path)
    np.testing.assert_array_equal(data.X, X)  # shortest round-trip text: exact in double
    np.testing.assert_array_equal(data.Y, Y)


def test_we_read_what_libfann_writes(tmp_path: Any, libfann_float: Any, rng: Any) -> None:
    X = rng.uniform(-50, 50, size=(20, 3)).astype(np.float32)
    X[0] = [1.0, -2.0, 0.0]
    Y = rng.uniform(0, 1, size=(20, 4)).astype(np.float32)
    data = libfann_float.train_data(X, Y)
    path = tmp_path / "fann.data"
    data.save(path)
    X2, Y2 = read_fann_data(path)
    assert X2.shape == (20, 3)
    assert Y2.shape == (20, 4)
    # FANN writes non-integers with %f (6 decimals): lossy, at most half a unit in the 6th.
    np.testing.assert_allclose(X2, X, rtol=0, atol=5.1e-7)
    np.testing.assert_allclose(Y2, Y, rtol=0, atol=5.1e-7)
    np.testing.assert_array_equal(X2[0], [1.0, -2.0, 0.0])


def test_a_hand_written_file_reads_the_same_in_both(tmp_path: Any, libfann_double: Any) -> None:
    # A FANN file written by hand in FANN's layout: header, input line, output line.
    text = "3 2 1\n0 0\n-1\n0.25 1e-3\n1\n-0.5 7\n0.125\n"
    path = tmp_path / "hand.data"
    path.write_text(text)
    X, Y = read_fann_data(path)
    data = libfann_double.read_train(path)
    np.testing.assert_array_equal(X, data.X)
    np.testing.assert_array_equal(Y, data.Y)
