"""Loading tables and FANN .data files, labels, scalers and splits, on files written here."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from neuronless import ConfigError, DataError, ShapeError
from neuronless.data import (
    Dataset,
    Labels,
    MinMaxScaler,
    StandardScaler,
    from_dataframe,
    infer_task,
    load,
    load_csv,
    load_npy,
    load_npz,
    read_fann_data,
    scaler_from_dict,
    split,
    split_indices,
    train_test_split,
    write_fann_data,
)

FANN_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "fann"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- CSV and friends


def test_csv_with_header_and_string_labels(tmp_path):
    path = write(tmp_path, "iris.csv", "sepal,petal,species\n5.1,1.4,setosa\n7.0,4.7,versicolor\n")
    ds = load_csv(path)
    np.testing.assert_array_equal(ds.X, [[5.1, 1.4], [7.0, 4.7]])
    assert ds.X.dtype == np.float64
    assert ds.y.tolist() == ["setosa", "versicolor"]
    assert ds.feature_names == ["sepal", "petal"]
    assert ds.target_names == ["species"]
    assert ds.task == "classification"


def test_csv_without_header_gives_integer_labels_and_default_names(tmp_path):
    path = write(tmp_path, "xor.csv", "0,0,0\n0,1,1\n\n1,0,1\n1,1,0\n")  # a blank line is skipped
    X, y = load_csv(path)
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    assert y.dtype == np.int64
    assert y.tolist() == [0, 1, 1, 0]
    assert load_csv(path).feature_names == ["col0", "col1"]


def test_tsv_by_extension_and_target_by_name(tmp_path):
    path = write(tmp_path, "d.tsv", "a\tb\tc\n1\t2.5\t3\n4\t5\t6\n")
    ds = load_csv(path, target="a")
    np.testing.assert_array_equal(ds.X, [[2.5, 3], [5, 6]])
    assert ds.y.tolist() == [1, 4]
    assert ds.feature_names == ["b", "c"]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("a;b;c\n1,5;2;3\n", "semi.csv"),  # European CSV: the comma is a decimal point
        ("a b  c\n1.5 2 3\n", "spaces.txt"),
        ("a|b|c\n1.5|2|3\n", "pipes.csv"),
        ("a\tb\tc\n1.5\t2\t3\n", "tabs.csv"),
    ],
)
def test_delimiter_is_sniffed_from_content(tmp_path, text, name):
    path = write(tmp_path, name, text)
    if "," in text:  # "1,5" is not a number we read: the error names it
        with pytest.raises(DataError, match=r"column 'a' must be numeric; got '1,5' at line 2"):
            load_csv(path)
    else:
        ds = load_csv(path)
        assert ds.feature_names == ["a", "b"]
        np.testing.assert_array_equal(ds.X, [[1.5, 2]])


def test_target_by_index_and_negative_index(tmp_path):
    path = write(tmp_path, "t.csv", "1,2,3\n4,5,6\n")
    assert load_csv(path, target=0).y.tolist() == [1, 4]
    assert load_csv(path, target=-2).y.tolist() == [2, 5]
    np.testing.assert_array_equal(load_csv(path, target=-2).X, [[1, 3], [4, 6]])


def test_multi_column_targets(tmp_path):
    path = write(tmp_path, "m.csv", "x,y1,y2\n1,0.5,2\n2,1.5,4\n")
    ds = load_csv(path, target=["y1", 2])
    assert ds.y.shape == (2, 2)
    np.testing.assert_array_equal(ds.y, [[0.5, 2], [1.5, 4]])
    assert ds.target_names == ["y1", "y2"]
    assert ds.task == "regression"


def test_explicit_header_flags(tmp_path):
    path = write(tmp_path, "h.csv", "1,2\n3,4\n")
    ds = load_csv(path, header=True)
    assert ds.feature_names == ["1"]
    np.testing.assert_array_equal(ds.X, [[3]])
    path = write(tmp_path, "n.csv", "a,b\n1,2\n")
    with pytest.raises(DataError, match="'a' at line 1"):
        load_csv(path, header=False)


def test_quoted_fields_and_bom(tmp_path):
    path = tmp_path / "q.csv"
    path.write_bytes('\ufeff"f 1","label"\n1.0,"a, b"\n2.0,c\n'.encode())
    ds = load_csv(path)
    assert ds.feature_names == ["f 1"]
    assert ds.y.tolist() == ["a, b", "c"]


def test_load_dispatches_on_extension(tmp_path):
    csv_path = write(tmp_path, "d.csv", "a,b\n1,2\n")
    assert load(csv_path).y.tolist() == [2]
    npz_path = tmp_path / "d.npz"
    np.savez(npz_path, X=np.array([[1.0, 2.0]]), y=np.array(["cat"]))
    ds = load(npz_path)
    assert ds.y.tolist() == ["cat"]
    assert ds.feature_names == ["x0", "x1"]
    npy_path = tmp_path / "d.npy"
    np.save(npy_path, np.array([[1.0, 2.0, 3.0]]))
    np.testing.assert_array_equal(load(npy_path, target=0).X, [[2, 3]])
    data_path = write(tmp_path, "d.data", "1 2 1\n1 2\n3\n")
    ds = load(data_path)
    assert ds.y.tolist() == [3.0]
    assert ds.target_names == ["y0"]


def test_npz_with_names_and_npy(tmp_path):
    path = tmp_path / "n.npz"
    np.savez(path, X=np.eye(2), y=np.array([0, 1]), feature_names=np.array(["p", "q"]))
    ds = load_npz(path)
    assert ds.feature_names == ["p", "q"]
    assert ds.y.tolist() == [0, 1]
    npy = tmp_path / "t.npy"
    np.save(npy, np.arange(6.0).reshape(2, 3))
    ds = load_npy(npy)
    assert ds.y.tolist() == [2.0, 5.0]


class FakeFrame:
    """The two things from_dataframe uses of a pandas DataFrame: ``columns`` and ``df[name]``."""

    def __init__(self, data: dict[str, list[object]]) -> None:
        self.data = data
        self.columns = list(data)

    def __getitem__(self, name: str) -> np.ndarray:
        return np.array(
            self.data[name],
            dtype=object if any(isinstance(v, str) or v is None for v in self.data[name]) else None,
        )


def test_from_dataframe_duck_typed():
    ds = from_dataframe(FakeFrame({"a": [1, 2], "b": [0.5, 1.5], "label": ["x", "y"]}))
    np.testing.assert_array_equal(ds.X, [[1, 0.5], [2, 1.5]])
    assert ds.y.tolist() == ["x", "y"]
    with pytest.raises(
        DataError, match=r"column 'b' must be numeric; got a missing value \(None\) at row 1"
    ):
        from_dataframe(FakeFrame({"a": [1, 2], "b": [0.5, None], "label": ["x", "y"]}))
    with pytest.raises(DataError, match="needs a data frame"):
        from_dataframe([[1, 2]])


def test_from_pandas_dataframe():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"a": [1.0, 2.0], "kind": ["p", "q"], "b": [3, 4]})
    ds = from_dataframe(df, target="kind")
    np.testing.assert_array_equal(ds.X, [[1, 3], [2, 4]])
    assert ds.y.tolist() == ["p", "q"]


BAD_FILES = [
    ("empty.csv", "", r"empty\.csv is empty"),
    ("blank.csv", "\n  \n", r"blank\.csv is empty"),
    ("commas.csv", ",,\n , \n", r"commas\.csv is empty"),
    ("head.csv", "a,b,c\n", "has a header line but no data rows"),
    ("ragged.csv", "1,2,3\n4,5\n", r"line 2 of .*ragged\.csv has 2 fields; expected 3 like line 1"),
    (
        "text.csv",
        "a,b,y\n1,2,0\n3,oops,1\n",
        r"feature column 'b' must be numeric; got 'oops' at line 3",
    ),
    ("hole.csv", "a,b,y\n1,,0\n", r"column 'b' must be numeric; got an empty field at line 2"),
    ("nan.csv", "a,b,y\n1,2,0\n1,nan,1\n", r"feature column 'b' holds nan at line 3"),
    ("inf.csv", "a,b,y\n1,-inf,0\n", r"feature column 'b' holds -inf at line 2"),
    ("ynan.csv", "a,y\n1,0.5\n2,nan\n", r"target 'y' holds nan at line 3"),
    ("ymiss.csv", "a,y\n1,cat\n2,\n", r"target column 'y' has a missing value at line 3"),
    ("binary.csv", None, "is not UTF-8 text"),
]


@pytest.mark.parametrize(("name", "text", "match"), BAD_FILES)
def test_bad_table_raises_data_error(tmp_path, name, text, match):
    path = tmp_path / name
    if text is None:
        path.write_bytes(b"\xff\xfe\x00\x81\x00")
    else:
        path.write_text(text)
    with pytest.raises(DataError, match=match):
        load_csv(path)


def test_csv_booleans_dates_and_missing_targets(tmp_path):
    ds = load_csv(write(tmp_path, "b.csv", "a,flag,y\n1,true,TRUE\n2,False,false\n"))
    np.testing.assert_array_equal(ds.X, [[1, 1], [2, 0]])  # a true/false feature is 1/0
    assert ds.y.tolist() == ["true", "false"]  # a true/false target: labels, as Labels reads them
    with pytest.raises(DataError, match=r"column 'd' must be numeric; got '2024-01-31' at line 2"):
        load_csv(write(tmp_path, "d.csv", "d,y\n2024-01-31,1\n2024-02-01,0\n"))
    with pytest.raises(DataError, match=r"target column 'y' has a missing value at line 3"):
        load_csv(write(tmp_path, "m.csv", "a,y\n1,0.5\n2,NA\n"))
    with pytest.raises(DataError, match=r"column 'b' must be numeric; got 'NA' at line 2"):
        load_csv(write(tmp_path, "n.csv", "a,b,y\n1,NA,0\n"))
    path = tmp_path / "c.csv.gz"
    path.write_bytes(gzip.compress(b"a,y\n1,x\n"))
    assert load(path).y.tolist() == ["x"]


@pytest.mark.parametrize(
    ("target", "error", "match"),
    [
        ("z", DataError, r"target column 'z' is not in .*; available columns: 'a', 'b', 'y'"),
        (3, DataError, r"index 3 is out of range .* 3 columns"),
        (["a", "b", "y"], DataError, "no feature columns are left"),
        (["a", 0], ConfigError, "the same column twice"),
        (1.5, ConfigError, "column name, an index or a list"),
        ("yes", DataError, "'yes' is not in"),
    ],
)
def test_bad_target_raises(tmp_path, target, error, match):
    path = write(tmp_path, "t.csv", "a,b,y\n1,2,3\n")
    with pytest.raises(error, match=match):
        load_csv(path, target=target)


def test_missing_file_and_directory_and_unknown_extension(tmp_path):
    with pytest.raises(DataError, match=r"nope\.csv: no such file"):
        load_csv(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="is a directory"):
        load_csv(tmp_path)
    with pytest.raises(DataError, match=r"cannot tell the format .* '\.xlsx'"):
        load(write(tmp_path, "a.xlsx", "x"))
    with pytest.raises(ConfigError, match="target= does not apply"):
        load(write(tmp_path, "a.data", "1 1 1\n1\n2\n"), target=0)


def test_npz_without_required_arrays(tmp_path):
    path = tmp_path / "a.npz"
    np.savez(path, inputs=np.eye(2))
    with pytest.raises(DataError, match=r"missing 'X', 'y', found 'inputs'"):
        load_npz(path)


# --------------------------------------------------------------------------- FANN .data


def test_hand_written_fann_file_parses_to_known_arrays(tmp_path):
    path = write(tmp_path, "xor.data", "4 2 1\n-1 -1\n-1\n-1 1\n1\n1 -1\n1\n1 1\n-1\n")
    X, Y = read_fann_data(path)
    np.testing.assert_array_equal(X, [[-1, -1], [-1, 1], [1, -1], [1, 1]])
    np.testing.assert_array_equal(Y, [[-1], [1], [1], [-1]])
    assert X.dtype == Y.dtype == np.float64


def test_fann_reader_accepts_any_whitespace_and_fann_writer_output(tmp_path):
    # FANN's own writer: "%f " per value (trailing space); its reader is fscanf, so line breaks are free
    path = write(tmp_path, "f.data", "2 2 2\n0.525000 1 \n0 1.5e-3 \n3 4 5 6\n")
    X, Y = read_fann_data(path)
    np.testing.assert_array_equal(X, [[0.525, 1], [3, 4]])
    np.testing.assert_array_equal(Y, [[0, 0.0015], [5, 6]])


def test_write_fann_data_exact_layout(tmp_path):
    path = tmp_path / "out.data"
    write_fann_data(path, [[0.0, 1.0], [0.25, -3.0]], [1.0, 0.1])
    assert path.read_text() == "2 2 1\n0 1\n1\n0.25 -3\n0.1\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.data"]  # no temporary file left behind


@pytest.mark.parametrize(
    ("name", "shape_in", "shape_out", "task"),  # from shared/data/fann/README.md's table
    [
        ("xor.data", (4, 2), (4, 1), "classification"),
        ("diabetes.train", (384, 8), (384, 2), "classification"),
        ("two-spiral.train", (193, 2), (193, 1), "classification"),
        ("building.train", (2104, 14), (2104, 3), "regression"),
        ("abelone.train", (2088, 10), (2088, 1), "regression"),
    ],
)
def test_fann_benchmark_files_read_as_documented(name, shape_in, shape_out, task):
    path = FANN_DATA / name
    if not path.exists():
        pytest.skip("shared FANN data not available")
    X, Y = read_fann_data(path)
    assert X.shape == shape_in
    assert Y.shape == shape_out
    assert load(path).task == task


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "is empty"),
        ("4 2\n1 2\n", r"first line of .* must be 'num_samples num_inputs num_outputs'.*got '4 2'"),
        ("a b c\n", "three non-negative integers"),
        ("1 -2 1\n1 1\n1\n", "three non-negative integers"),
        ("0 2 1\n", "must be at least 1"),
        (
            "2 2 1\n1 2\n3\n4 5\n",
            r"promises 2 samples of 2 inputs \+ 1 outputs = 6 values; found 5",
        ),
        ("2 2 1\n1 2\n3\n4 5\n6\n7\n", "found 7"),
        ("1 2 1\n1 x\n3\n", r"line 2 of .* holds 'x'"),
        ("2 1 1\n1\n2\n3\nnan\n", r"sample 1 \(output 0, line 5"),
    ],
)
def test_malformed_fann_file_raises_data_error(tmp_path, text, match):
    path = write(tmp_path, "bad.data", text)
    with pytest.raises(DataError, match=match):
        read_fann_data(path)


def test_write_fann_data_rejects_bad_arrays(tmp_path):
    with pytest.raises(ShapeError, match="one row per sample"):
        write_fann_data(tmp_path / "a.data", np.zeros((2, 1)), np.zeros((3, 1)))
    with pytest.raises(DataError, match=r"X\[0, 1\] is inf"):
        write_fann_data(tmp_path / "a.data", [[1.0, np.inf]], [1.0])
    assert not list(tmp_path.iterdir())


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 5),
    n_in=st.integers(1, 4),
    n_out=st.integers(1, 3),
    data=st.data(),
)
def test_fann_write_then_read_round_trips_exactly(tmp_path_factory, n, n_in, n_out, data):
    X = data.draw(hnp.arrays(np.float64, (n, n_in), elements=finite))
    Y = data.draw(hnp.arrays(np.float64, (n, n_out), elements=finite))
    path = tmp_path_factory.mktemp("rt") / "d.data"
    write_fann_data(path, X, Y)
    X2, Y2 = read_fann_data(path)
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(Y2, Y)


# --------------------------------------------------------------------------- task and labels


@pytest.mark.parametrize(
    ("y", "task"),
    [
        (["a", "b", "a"], "classification"),
        ([True, False, True], "classification"),
        ([0, 1, 1, 0], "classification"),  # two values are labels even in 4 rows
        ([0, 1, 2] * 10, "classification"),
        ([0.0, 1.0, 2.0] * 10, "classification"),  # integral floats count as integers
        (list(range(30)), "regression"),  # 30 distinct values > 20
        ([0, 1, 2, 3, 4, 5], "regression"),  # every row its own value: not fewer than half
        ([0.5, 1.0, 1.0], "regression"),
        ([[1, 0], [0, 1], [1, 0]], "classification"),  # one-hot
        ([[1.0, 0.5], [0.2, 0.1]], "regression"),
    ],
)
def test_infer_task(y, task):
    assert infer_task(np.asarray(y)) == task


def test_labels_round_trip_and_json():
    labels = Labels().fit(np.array(["dog", "cat", "bird", "cat"]))
    assert labels.classes == ["bird", "cat", "dog"]
    idx = labels.transform(["cat", "dog", "bird"])
    assert idx.tolist() == [1, 2, 0]
    assert idx.dtype == np.int64
    assert labels.inverse(idx).tolist() == ["cat", "dog", "bird"]
    again = Labels.from_dict(json.loads(json.dumps(labels.to_dict())))
    assert again.classes == labels.classes
    numeric = Labels().fit(np.array([3, 7, 3]))
    assert json.loads(json.dumps(numeric.to_dict()))["classes"] == [3, 7]
    assert numeric.transform(np.array([[7], [3]])).tolist() == [1, 0]


def test_labels_errors():
    labels = Labels().fit(["a", "b"])
    with pytest.raises(
        DataError, match=r"labels 'z' were not seen by fit; known classes: \['a', 'b'\]"
    ):
        labels.transform(["a", "z"])
    with pytest.raises(DataError, match=r"integers in 0\.\.1"):
        labels.inverse([2])
    with pytest.raises(ConfigError, match="call fit"):
        Labels().transform(["a"])
    with pytest.raises(DataError, match="all strings or all numbers"):
        Labels().fit(np.array([1, "a"], dtype=object))


# --------------------------------------------------------------------------- scaling


def test_standard_scaler_by_hand():
    # column 0: mean 2, population std sqrt(((1-2)^2 + (3-2)^2 + 0) / 3) = sqrt(2/3); column 1 constant
    X = np.array([[1.0, 4.0], [3.0, 4.0], [2.0, 4.0]])
    s = StandardScaler().fit(X)
    np.testing.assert_allclose(s.mean, [2.0, 4.0])
    np.testing.assert_allclose(s.scale, [np.sqrt(2 / 3), 1.0])
    got = s.transform(X)
    np.testing.assert_allclose(got[:, 0], [-1 / np.sqrt(2 / 3), 1 / np.sqrt(2 / 3), 0.0])
    np.testing.assert_array_equal(got[:, 1], 0.0)
    np.testing.assert_allclose(s.inverse_transform(got), X)


def test_minmax_scaler_by_hand():
    X = np.array([[0.0, 5.0], [10.0, 5.0], [5.0, 5.0]])
    s = MinMaxScaler((-1.0, 1.0)).fit(X)
    np.testing.assert_allclose(s.transform(X), [[-1.0, -1.0], [1.0, -1.0], [0.0, -1.0]])
    np.testing.assert_allclose(s.inverse_transform(s.transform(X)), X)
    np.testing.assert_allclose(
        s.transform([[20.0, 6.0]]), [[3.0, 1.0]]
    )  # outside the range: extrapolates


@pytest.mark.parametrize("kind", ["standard", "minmax"])
def test_scalers_match_scikit_learn(rng, kind):
    pre = pytest.importorskip("sklearn.preprocessing")
    X = rng.normal(3.0, 5.0, size=(40, 4))
    X[:, 2] = 7.5  # a constant column
    X_new = rng.normal(size=(5, 4))
    if kind == "standard":
        ours, theirs = StandardScaler().fit(X), pre.StandardScaler().fit(X)
    else:
        ours, theirs = MinMaxScaler((-1.0, 1.0)).fit(X), pre.MinMaxScaler((-1.0, 1.0)).fit(X)
    np.testing.assert_allclose(
        ours.transform(X_new), theirs.transform(X_new), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(
        ours.inverse_transform(X_new), theirs.inverse_transform(X_new), rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize("scaler", [StandardScaler(), MinMaxScaler((0.1, 0.9))])
def test_scaler_json_round_trip_and_1d_targets(rng, scaler):
    y = rng.normal(10.0, 2.0, size=20)
    scaler.fit(y)
    restored = scaler_from_dict(json.loads(json.dumps(scaler.to_dict())))
    assert type(restored) is type(scaler)
    out = restored.transform(y)
    assert out.shape == (20,)
    np.testing.assert_array_equal(out, scaler.transform(y))
    np.testing.assert_allclose(restored.inverse_transform(out), y)


def test_scaler_keeps_float32_and_checks_use():
    s = StandardScaler().fit(np.ones((3, 2)))
    assert s.transform(np.ones((2, 2), dtype=np.float32)).dtype == np.float32
    with pytest.raises(ShapeError, match="fitted on 2 columns; got shape"):
        s.transform(np.ones((2, 3)))
    with pytest.raises(ConfigError, match="not fitted"):
        MinMaxScaler().transform([[1.0]])
    with pytest.raises(ConfigError, match="low < high"):
        MinMaxScaler((1.0, 1.0))
    with pytest.raises(DataError, match="non-finite"):
        StandardScaler().fit([[np.nan]])
    with pytest.raises(DataError, match="unknown scaler kind"):
        scaler_from_dict({"kind": "logarithmic"})


# --------------------------------------------------------------------------- splitting


def test_split_is_a_partition_and_deterministic(rng):
    X, y = rng.normal(size=(50, 3)), np.arange(50)
    parts = split(X, y, (0.6, 0.2, 0.2), seed=3)
    assert [len(p[1]) for p in parts] == [30, 10, 10]
    assert sorted(np.concatenate([p[1] for p in parts]).tolist()) == list(range(50))
    for Xp, yp in parts:
        np.testing.assert_array_equal(Xp, X[yp])  # rows stay paired
    again = split(X, y, (0.6, 0.2, 0.2), seed=3)
    for (_, a), (_, b) in zip(parts, again, strict=True):
        np.testing.assert_array_equal(a, b)
    other = split(X, y, (0.6, 0.2, 0.2), seed=4)
    assert not np.array_equal(parts[0][1], other[0][1])


def test_train_test_split_sizes_and_order():
    X, y = np.arange(20).reshape(10, 2), np.arange(10)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_fraction=0.3, seed=0)
    assert (len(X_tr), len(X_te), len(y_tr), len(y_te)) == (7, 3, 7, 3)
    np.testing.assert_array_equal(X_te[:, 0] // 2, y_te)


def test_stratified_split_keeps_class_proportions():
    y = np.array(["a"] * 60 + ["b"] * 30 + ["c"] * 8 + ["d"] * 2)
    X = np.arange(100.0).reshape(-1, 1)
    _X_tr, _X_te, y_tr, y_te = train_test_split(X, y, test_fraction=0.2, seed=1, stratify=True)
    assert len(y_te) == 20
    counts = {c: int(np.sum(y_te == c)) for c in "abcd"}
    assert counts["a"] == 12
    assert counts["b"] == 6
    assert counts["c"] in (1, 2)
    assert counts["d"] == 1
    assert set(y_tr) == set(y_te) == set("abcd")


def test_stratified_three_way_split_puts_every_class_everywhere():
    y = np.repeat([0, 1, 2], [40, 7, 3])
    parts = split_indices(len(y), (0.8, 0.1, 0.1), seed=0, stratify=y)
    assert sum(len(p) for p in parts) == 50
    for p in parts:
        assert set(y[p]) == {0, 1, 2}
    np.testing.assert_array_equal(np.sort(np.concatenate(parts)), np.arange(50))


def test_small_split_gives_every_part_a_row():
    assert [len(p) for p in split_indices(10, (0.98, 0.01, 0.01), seed=0)] == [8, 1, 1]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"fractions": (0.5, 0.4)}, ConfigError, "sum to 1"),
        ({"fractions": (1.0,)}, ConfigError, "two or more"),
        ({"fractions": (0.5, 0.5), "seed": "x"}, ConfigError, "seed must be"),
        ({"fractions": (0.5, 0.5), "stratify": [0, 1]}, ShapeError, "one label per sample"),
    ],
)
def test_split_argument_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        split(np.zeros((4, 1)), np.zeros(4), **kwargs)


def test_split_rejects_mismatched_lengths_and_bad_test_fraction():
    with pytest.raises(ShapeError, match="got 3 and 2"):
        split(np.zeros((3, 1)), np.zeros(2))
    with pytest.raises(ConfigError, match="test_fraction"):
        train_test_split(np.zeros((3, 1)), np.zeros(3), test_fraction=1.0)


def test_dataset_checks_shapes():
    with pytest.raises(ShapeError, match="one name per column"):
        Dataset(np.zeros((2, 2)), np.zeros(2), ["a"], ["y"])
    with pytest.raises(ShapeError, match="as many rows"):
        Dataset(np.zeros((2, 2)), np.zeros(3), ["a", "b"], ["y"])


def test_header_argument_is_checked(tmp_path):
    with pytest.raises(ConfigError, match="header must be True, False or 'infer'"):
        load_csv(write(tmp_path, "a.csv", "1,2\n"), header="yes")  # type: ignore[arg-type]
