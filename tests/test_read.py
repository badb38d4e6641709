"""read_table and as_table: the typing rules, both text readers agreeing, formats, frames, errors.

The stdlib reader (small files) is the reference; the pyarrow reader (large files) is forced
onto small files here by patching SMALL_FILE_BYTES to 0, and onto many small blocks by
patching BLOCK_SIZE, so every generated table goes through both.
"""

from __future__ import annotations

import bz2
import contextlib
import datetime as dt
import gzip
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import neuronless
from neuronless import ConfigError, DataError, ShapeError
from neuronless.data import load, load_csv, tables
from neuronless.data import read as read_module
from neuronless.data.read import NA_VALUES, Table, as_table, read_table

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_bytes(text.encode())
    else:
        path.write_bytes(text)
    return path


BIG = (read_module.BLOCK_SIZE, read_module.PIECE_BYTES)


@contextlib.contextmanager
def engine(kind: str, sizes: tuple[int, int] = BIG) -> Iterator[None]:
    """Force the stdlib reader ('stdlib') or pyarrow ('arrow') whatever the file's size;
    ``sizes`` are pyarrow's block and the pieces (small ones: many of each)."""
    small = 0 if kind == "arrow" else 1 << 40
    with (
        mock.patch.object(read_module, "SMALL_FILE_BYTES", small),
        mock.patch.object(read_module, "BLOCK_SIZE", sizes[0]),
        mock.patch.object(read_module, "PIECE_BYTES", sizes[1]),
    ):
        yield


SIZES = st.sampled_from([BIG, (64, 40), (1 << 20, 23), (200, 1 << 20)])


def outcome(path: Path, kind: str, sizes: tuple[int, int] = BIG, **kw) -> object:
    """The Table read by one engine, or the message of its DataError."""
    with engine(kind, sizes):
        try:
            return read_table(path, **kw)
        except DataError as err:
            return str(err)


def assert_same_table(a: Table, b: Table) -> None:
    assert a.names == b.names
    assert a.default_target == b.default_target
    assert a.n_rows == b.n_rows
    for name, x, y in zip(a.names, a.columns, b.columns, strict=True):
        assert x.dtype == y.dtype, name
        if x.dtype.kind == "f":
            assert np.array_equal(x, y, equal_nan=True), name
            assert np.array_equal(np.signbit(x), np.signbit(y)), name
        elif x.dtype.kind == "M":
            assert np.array_equal(x, y, equal_nan=True), name
        else:
            assert x.tolist() == y.tolist(), name
    assert [a.where(i) for i in range(a.n_rows)] == [b.where(i) for i in range(b.n_rows)]


def assert_same_outcome(a: object, b: object) -> None:
    if isinstance(a, Table) and isinstance(b, Table):
        assert_same_table(a, b)
    else:
        assert a == b


def values(col: np.ndarray) -> list[object]:
    return ["nan" if isinstance(v, float) and np.isnan(v) else v for v in col.tolist()]


# --------------------------------------------------------------------------- the typing rules


@pytest.mark.parametrize("kind", ["stdlib", "arrow"])
def test_column_types_and_missing_values(tmp_path, kind):
    path = write(
        tmp_path,
        "t.csv",
        "i,f,t,b,bm,d,ts,e\n"
        "1, 2.5 , red ,true,TRUE,2024-01-31,2024-01-31T08:15:00Z,\n"
        "-2,NA,  ,False,,2024-02-29,2024-01-31 10:15:30.5+02:00,NA\n"
        "3,1e3,N/A,TRUE,false,NULL,?,nan\n",
    )
    with engine(kind):
        t = read_table(path)
    assert t.names == ["i", "f", "t", "b", "bm", "d", "ts", "e"]
    assert [c.dtype.str[1:] for c in t.columns] == [
        "i8",
        "f8",
        "O",
        "b1",
        "f8",
        "M8[D]",
        "M8[us]",
        "f8",
    ]
    assert values(t.column("i")) == [1, -2, 3]
    assert values(t.column("f")) == [2.5, "nan", 1000.0]
    assert t.column("t").tolist() == ["red", None, None]
    assert t.column("b").tolist() == [True, False, True]
    assert values(t.column("bm")) == [1.0, "nan", 0.0]
    assert t.column("d").tolist() == [dt.date(2024, 1, 31), dt.date(2024, 2, 29), None]
    assert t.column("ts").tolist() == [
        dt.datetime(2024, 1, 31, 8, 15),
        dt.datetime(2024, 1, 31, 8, 15, 30, 500000),  # 10:15:30.5 at +02:00 is 08:15:30.5 UTC
        None,
    ]
    assert values(t.column("e")) == ["nan"] * 3  # every value missing: float64 NaN
    assert t.source == str(path)
    assert t.default_target is None


@pytest.mark.parametrize("kind", ["stdlib", "arrow"])
def test_numbers_by_the_rules_not_by_the_engine(tmp_path, kind):
    # '0x1F' is an integer to pyarrow and 'nan(1)' a NaN; '1_0' a number to Python's float()
    path = write(
        tmp_path,
        "n.csv",
        "hex,nanx,under,plus,big,infs,NANs\n"
        "0x1F,nan(1),1_0,+5,9223372036854775808,inf,NAN\n"
        "2,3,2,7,1,-Infinity,2\n",
    )
    with engine(kind):
        t = read_table(path)
    assert t.column("hex").tolist() == ["0x1F", "2"]
    assert t.column("nanx").tolist() == ["nan(1)", "3"]
    assert t.column("under").tolist() == ["1_0", "2"]
    assert t.column("plus").dtype == np.float64  # a sign makes it a float, as pyarrow has it
    assert t.column("big").tolist() == [9.223372036854776e18, 1.0]
    assert t.column("infs").tolist() == [np.inf, -np.inf]
    assert values(t.column("NANs")) == ["nan", 2.0]  # 'NAN' is a number (NaN), not missing


def test_na_values_and_stripped_text(tmp_path):
    path = write(tmp_path, "t.csv", "a,b\n-999,  x y  \n1, -999\n")
    t = read_table(path, na_values=["-999"])
    assert values(t.column("a")) == ["nan", 1.0]
    assert t.column("b").tolist() == ["x y", None]
    with pytest.raises(ConfigError, match=r"na_values must be a list of strings.*\['-999'\]"):
        read_table(path, na_values="-999")


def test_header_names_empty_and_repeated(tmp_path):
    path = write(tmp_path, "h.csv", "a, ,a,a.1,a\n1,2,3,4,5\n")
    assert read_table(path).names == ["a", "col1", "a.2", "a.1", "a.3"]


@pytest.mark.parametrize("kind", ["stdlib", "arrow"])
def test_where_counts_real_lines(tmp_path, kind):
    text = '\n"name","v"\r\n\r\n"two\nlines",1\n,,\nplain,2\n'
    path = write(tmp_path, "w.csv", text)
    with engine(kind):
        t = read_table(path)
    assert t.column("name").tolist() == ["two\nlines", "plain"]
    assert [t.where(i) for i in range(t.n_rows)] == [f"line 4 of {path}", f"line 7 of {path}"]
    sub = t.take(np.array([1]))
    assert sub.where(0) == f"line 7 of {path}"
    assert sub.take(np.array([True])).where(0) == f"line 7 of {path}"


def test_table_column_take_drop_and_checks():
    t = as_table({"a": [1, 2, 3], "b": ["x", None, "z"]})
    assert t.source == "the arrays"
    with pytest.raises(
        DataError, match=r"column 'c' is not in the arrays; available columns: 'a', 'b'"
    ):
        t.column("c")
    with pytest.raises(DataError, match="'c' is not in"):
        t.drop(["c"])
    assert t.drop(["a"]).names == ["b"]
    empty = t.drop(["a", "b"])
    assert (empty.names, empty.n_rows, empty.where(2)) == ([], 3, "row 2 of the arrays")
    assert t.take(np.array([2, 0])).column("b").tolist() == ["z", "x"]
    assert t.take(np.array([2, 0])).where(0) == "row 2 of the arrays"
    with pytest.raises(ShapeError, match="one entry per row"):
        t.take(np.array([True]))
    with pytest.raises(ShapeError, match="1-D array of 3 rows"):
        Table(["a", "b"], [np.zeros(3), np.zeros(2)], "x")
    with pytest.raises(ConfigError, match="'a' appears 2 times"):
        Table(["a", "a"], [np.zeros(3), np.zeros(3)], "x")
    with pytest.raises(ConfigError, match="dtype float32"):
        Table(["a"], [np.zeros(3, dtype=np.float32)], "x")


# --------------------------------------------------------------------------- both readers agree

NUMBER_TEXT = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=False, width=64).map(repr),
    st.floats(allow_nan=False, width=32).map(lambda v: f"{v:.6g}"),
    st.sampled_from(["+1", ".5", "5.", "1e5", "1E-3", "-0", "007", "inf", "-inf", "NAN", "0x1f"]),
)
WORD = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"]),
    max_size=6,
)
CELL = {
    "int": st.integers(-(2**63) - 2, 2**63 + 2).map(str),
    "number": NUMBER_TEXT,
    "bool": st.sampled_from(["true", "false", "True", "FALSE", "tRuE"]),
    "date": st.sampled_from(
        [
            "2024-01-31",
            "1999-12-31",
            "2024-02-30",
            "2024-01-31T08:15",
            "2024-01-31 08:15:00.123Z",
            "2024-01-31T08:15:00+0130",
            "0000-01-01",
        ]
    ),
    "text": WORD,
    "any": st.one_of(NUMBER_TEXT, WORD, st.sampled_from(["true", "2024-01-31"])),
}
MISSING = st.sampled_from([*NA_VALUES, " ", " NA ", "-999"])


def render(cell: str, delimiter: str, quote: bool, pad: str) -> str:
    special = any(c in cell for c in (delimiter, '"', "\r", "\n")) or cell != cell.strip()
    if quote or special:
        cell = '"' + cell.replace('"', '""') + '"'
    return pad + cell + (pad if not quote else "")


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[str, dict[str, object]]:
    n_cols, n_rows = draw(st.integers(1, 5)), draw(st.integers(1, 12))
    kinds = draw(st.lists(st.sampled_from(list(CELL)), min_size=n_cols, max_size=n_cols))
    delimiter = draw(st.sampled_from([",", "\t", ";", "|"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    p_missing = draw(st.sampled_from([0.0, 0.1, 0.5]))
    lines = []
    if draw(st.booleans()):
        names = draw(
            st.lists(
                st.sampled_from(["a", "b", "", "x y", "a.1", "é"]), min_size=n_cols, max_size=n_cols
            )
        )
        lines.append(delimiter.join(render(n, delimiter, draw(st.booleans()), "") for n in names))
    for _ in range(n_rows):
        cells = []
        for kind in kinds:
            missing = draw(st.floats(0, 1)) < p_missing
            cell = draw(MISSING if missing else CELL[kind])
            pad = draw(st.sampled_from(["", "", " "]))
            cells.append(render(cell, delimiter, draw(st.booleans()) and not pad, pad))
        lines.append(delimiter.join(cells))
        if draw(st.integers(0, 9)) == 0:
            lines.append(draw(st.sampled_from(["", "   ", delimiter * (n_cols - 1)])))
    bom = "\ufeff" if draw(st.integers(0, 9)) == 0 else ""
    text = bom + newline.join(lines) + draw(st.sampled_from([newline, ""]))
    kw: dict[str, object] = {}
    if draw(st.booleans()):
        kw["na_values"] = ["-999"]
    if draw(st.integers(0, 3)) == 0:
        kw["header"] = draw(st.booleans())
    if draw(st.integers(0, 3)) == 0:
        kw["delimiter"] = delimiter
    return text, kw


@SETTINGS
@given(case=csv_files(), sizes=SIZES)
def test_stdlib_and_arrow_readers_build_the_same_table(tmp_path_factory, case, sizes):
    text, kw = case
    path = write(tmp_path_factory.mktemp("eq"), "t.csv", text)
    assert_same_outcome(outcome(path, "stdlib", **kw), outcome(path, "arrow", sizes, **kw))


def dataset_outcome(path: Path, kind: str, sizes: tuple[int, int], **kw) -> object:
    with engine(kind, sizes):
        try:
            ds = load_csv(path, **kw)
        except (DataError, ConfigError) as err:
            return f"{type(err).__name__}: {err}"
    return (
        ds.X.tobytes(),
        ds.X.shape,
        ds.y.tolist(),
        ds.y.dtype,
        ds.feature_names,
        ds.target_names,
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=csv_files(), sizes=SIZES, target=st.sampled_from([None, 0, [0, -1]]))
def test_both_readers_load_the_same_dataset_or_error(tmp_path_factory, case, sizes, target):
    # the pyarrow path writes features straight into X; the messages come from the raw text
    text, kw = case
    kw.pop("na_values", None)
    path = write(tmp_path_factory.mktemp("ds"), "t.csv", text)
    expected = dataset_outcome(path, "stdlib", BIG, target=target, **kw)
    assert dataset_outcome(path, "arrow", sizes, target=target, **kw) == expected


RAW = st.lists(
    st.sampled_from([*'a1.,;|\t "\r\n-e+NA?x0', "true", "nan", '""', "2024-01-31"]), max_size=40
).map("".join)


@SETTINGS
@given(text=RAW, sizes=SIZES)
def test_readers_agree_on_any_text_even_errors(tmp_path_factory, text, sizes):
    path = write(tmp_path_factory.mktemp("raw"), "r.csv", text)
    assert_same_outcome(outcome(path, "stdlib"), outcome(path, "arrow", sizes))


@pytest.mark.parametrize(
    "column",
    [
        ["-0", "1", "2", "-0", "1.5"],  # integers in the first pieces, a float later
        ["NA", "", "x", "NA", "y"],  # missing in the first pieces, text later
        ["true", "false", "1", "true", "0"],  # booleans, then numbers: text
        ["1", "2", "", "NA", "0x1F"],  # hexadecimal in the last piece
        ["", "", "", "", ""],
    ],
)
def test_pieces_that_disagree_on_a_columns_type(tmp_path, column):
    path = write(tmp_path, "p.csv", "a,b\n" + "".join(f"{i},{v}\n" for i, v in enumerate(column)))
    with engine("stdlib"):
        expected = read_table(path)
    with (
        engine("arrow", (1 << 20, 8)),
        mock.patch.object(read_module, "_read_stdlib", side_effect=AssertionError),
    ):
        assert_same_table(read_table(path), expected)


def test_rows_longer_than_a_piece(tmp_path):
    # the buffer being parsed in the background must not be refilled while a long row is read
    text = "0\n0\n0\n0.0\n-1087968663365544320\n1.5063746175807969e+32\n" * 3
    path = write(tmp_path, "long.csv", text)
    with engine("stdlib"):
        expected = read_table(path)
    for piece in (5, 9, 23):
        with engine("arrow", (1 << 20, piece)):
            assert_same_table(read_table(path), expected)


def test_arrow_reader_reads_by_itself_on_regular_files(tmp_path):
    # the agreement above could hide a pyarrow path that always hands over: it must not
    path = write(tmp_path, "t.csv", "a,b,c\n1,x,2024-01-31\n2,,2024-02-01\n")
    with (
        engine("arrow"),
        mock.patch.object(read_module, "_read_stdlib", side_effect=AssertionError),
    ):
        t = read_table(path)
    assert [c.dtype.kind for c in t.columns] == ["i", "O", "M"]


def test_large_file_goes_through_pyarrow_and_agrees(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30_000, 4))
    rows = [
        f"{a:.6g},{b:.6g},{c:.6g},{d:.6g},{i % 3},{'yes' if i % 2 else 'no'}"
        for i, (a, b, c, d) in enumerate(X.tolist())
    ]
    clean = write(tmp_path, "clean.csv", "a,b,c,d,k,label\n" + "\n".join(rows) + "\n")
    rows[20_000] = rows[20_000].replace(",0,", ",NA,").replace(",1,", ",NA,").replace(",2,", ",NA,")
    path = write(tmp_path, "big.csv", "a,b,c,d,k,label\n" + "\n".join(rows) + "\n")
    assert path.stat().st_size > read_module.SMALL_FILE_BYTES
    with mock.patch.object(read_module, "_read_stdlib", side_effect=AssertionError):
        big = read_table(path)
    assert [c.dtype.kind for c in big.columns] == ["f", "f", "f", "f", "f", "O"]
    assert np.isnan(big.column("k")[20_000])
    assert big.where(29_999) == f"line 30001 of {path}"
    with engine("stdlib"):
        assert_same_table(big, read_table(path))
        expected = load_csv(clean)
    # the numeric loader's X is the matrix the reader filled, not a copy of the columns
    with mock.patch.object(tables, "_table_feature", side_effect=AssertionError):
        ds = load_csv(clean)
        with pytest.raises(DataError, match=r"column 'k' must be numeric; got 'NA' at line 20002"):
            load_csv(path)
    np.testing.assert_array_equal(ds.X, expected.X)
    assert ds.X.flags.c_contiguous
    assert ds.y.tolist() == expected.y.tolist()


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("kind", ["stdlib", "arrow"])
@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", r"t\.csv is empty; expected lines"),
        ("\n ,, \n", r"t\.csv is empty"),
        ("a,b\n", "has a header line but no data rows"),
        (
            "1,2\n\n3\n",
            r"line 3 of .*t\.csv has 1 fields; expected 2 like line 1\. Check for a missing or extra separator \(','\)",
        ),
        (b"a,b\n1,2\n3,\xff\n", r"t\.csv is not UTF-8 text \(line 3 holds the byte b'\\xff'\)"),
        (b"\xff\xfea\x00", r"is not UTF-8 text: it starts with a UTF-16 byte-order mark"),
    ],
)
def test_bad_text_tables(tmp_path, kind, text, match):
    path = write(tmp_path, "t.csv", text)
    with engine(kind), pytest.raises(DataError, match=match):
        read_table(path)


def test_ragged_row_deep_in_a_large_file_names_its_line(tmp_path):
    rows = [f"{i},{i * 0.5}" for i in range(120_000)]
    rows[100_000] = "1,2,3"
    path = write(tmp_path, "big.csv", "a,b\n" + "\n".join(rows) + "\n")
    assert path.stat().st_size > read_module.SMALL_FILE_BYTES
    with pytest.raises(
        DataError, match=r"line 100002 of .*big\.csv has 3 fields; expected 2 like line 1"
    ):
        read_table(path)


def test_bad_value_deep_in_a_large_file_keeps_the_old_message(tmp_path):
    rows = [f"{i},{i * 0.5},{i % 2}" for i in range(120_000)]
    rows[90_000] = "1,oops,0"
    rows[100_000] = "1,,0"
    path = write(tmp_path, "big.csv", "a,b,y\n" + "\n".join(rows) + "\n")
    with pytest.raises(
        DataError, match=r"feature column 'b' must be numeric; got 'oops' at line 90002"
    ):
        load_csv(path)
    rows[90_000] = "1,1.5,0"
    path = write(tmp_path, "big.csv", "a,b,y\n" + "\n".join(rows) + "\n")
    with pytest.raises(
        DataError, match=r"column 'b' must be numeric; got an empty field at line 100002"
    ):
        load_csv(path)


def test_arguments_and_extensions_are_checked(tmp_path):
    path = write(tmp_path, "a.csv", "1,2\n")
    with pytest.raises(ConfigError, match="header must be True, False or 'infer'"):
        read_table(path, header="yes")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="delimiter must be one character"):
        read_table(path, delimiter=",,")
    with pytest.raises(
        DataError,
        match=r"cannot tell the format .* '\.xlsx'; supported: \.csv, .*\.gz or \.bz2.*\.parquet",
    ):
        read_table(write(tmp_path, "a.xlsx", "x"))
    with pytest.raises(DataError, match=r"'\.npy\.gz'"):
        read_table(write(tmp_path, "a.npy.gz", "x"))
    with pytest.raises(DataError, match="no such file"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(ConfigError, match="apply to text tables only"):
        read_table(write(tmp_path, "a.data", "1 1 1\n1\n2\n"), header=True)


# --------------------------------------------------------------------------- hostile input


HOSTILE = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(str.encode),
    st.builds(
        lambda parts: "".join(parts).encode("utf-8", "surrogatepass"),
        st.lists(
            st.sampled_from(
                [
                    '"',
                    '""',
                    ",",
                    ";",
                    "\t",
                    "|",
                    "\r",
                    "\n",
                    "\x00",
                    "\ufeff",
                    "1",
                    "a",
                    "x" * 200_000,
                    " ",
                    "nan",
                    "true",
                    "2024-01-31",
                    "\ud800",
                ]
            ),
            max_size=12,
        ),
    ),
)


def hostile_path(folder: Path, data: bytes, suffix: str) -> Path:
    if suffix == ".csv.gz":
        data = (
            gzip.compress(data)[: len(data) // 2 + 10] if data[:1] == b"1" else gzip.compress(data)
        )
    elif suffix == ".csv.bz2":
        data = bz2.compress(data)
    elif suffix == ".tsv.gz" and data:  # not gzip at all
        pass
    return write(folder, "h" + suffix, data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=HOSTILE,
    suffix=st.sampled_from([".csv", ".csv", ".txt", ".tsv", ".csv.gz", ".csv.bz2", ".tsv.gz"]),
    kind=st.sampled_from(["stdlib", "arrow"]),
)
def test_hostile_files_raise_only_data_errors(tmp_path_factory, data, suffix, kind):
    path = hostile_path(tmp_path_factory.mktemp("h"), data, suffix)
    with engine(kind):
        for reader in (read_table, load_csv):
            try:
                reader(path)
            except DataError:
                pass


# --------------------------------------------------------------------------- other files


def test_compressed_text_tables(tmp_path):
    text = "a\tb\n1\tx\n2\ty\n"
    gz = write(tmp_path, "t.tsv.gz", gzip.compress(text.encode()))
    bz = write(tmp_path, "t.tsv.bz2", bz2.compress(text.encode()))
    for kind in ("stdlib", "arrow"):
        with engine(kind):
            for path in (gz, bz):
                t = read_table(path)
                assert t.names == ["a", "b"]
                assert t.column("b").tolist() == ["x", "y"]
                assert t.where(1) == f"line 3 of {path}"
    assert load(gz).y.tolist() == ["x", "y"]
    with pytest.raises(
        DataError, match=r"is not a readable gzip file .* check that it is complete"
    ):
        read_table(write(tmp_path, "bad.csv.gz", b"not gzip"))


def test_parquet(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    tab = pa.table(
        {
            "i": pa.array([1, None, 3], pa.int32()),
            "u": pa.array([1, 2, 3], pa.uint8()),
            "f": pa.array([0.5, None, 2.0], pa.float32()),
            "b": pa.array([True, False, None]),
            "s": pa.array(["x", None, "z"]),
            "c": pa.array(["p", "q", "p"]).dictionary_encode(),
            "t": pa.array([0, None, 86_400_000_000], pa.timestamp("us", tz="Europe/Paris")),
            "d": pa.array([0, 1, None], pa.date32()),
        }
    )
    path = tmp_path / "t.parquet"
    pq.write_table(tab, path)
    t = read_table(path)
    assert [c.dtype.str[1:] for c in t.columns] == [
        "f8",
        "i8",
        "f8",
        "f8",
        "O",
        "O",
        "M8[us]",
        "M8[D]",
    ]
    assert values(t.column("i")) == [1.0, "nan", 3.0]
    assert values(t.column("b")) == [1.0, 0.0, "nan"]
    assert t.column("c").tolist() == ["p", "q", "p"]
    assert t.column("t").tolist() == [dt.datetime(1970, 1, 1), None, dt.datetime(1970, 1, 2)]  # UTC
    assert t.where(2) == f"row 2 of {path}"
    pq.write_table(tab.select(["u", "c"]), path)
    ds = load(path, target="c")
    assert (ds.X.tolist(), ds.y.tolist()) == ([[1.0], [2.0], [3.0]], ["p", "q", "p"])
    with pytest.raises(DataError, match="is not a readable Parquet file"):
        read_table(write(tmp_path, "bad.pq", b"PAR1 nonsense"))


def test_npz_npy_and_fann(tmp_path):
    npz = tmp_path / "d.npz"
    np.savez(npz, X=np.eye(2), y=np.array(["a", "b"]), feature_names=np.array(["p", "q"]))
    t = read_table(npz)
    assert (t.names, t.default_target) == (["p", "q", "y0"], ["y0"])
    assert t.column("y0").tolist() == ["a", "b"]
    npy = tmp_path / "d.npy"
    np.save(npy, np.arange(6).reshape(3, 2))
    t = read_table(npy)
    assert t.names == ["col0", "col1"]
    assert t.column("col1").tolist() == [1, 3, 5]
    assert t.where(1) == f"row 1 of {npy}"
    fann = write(tmp_path, "x.train", "\n2 2 1\n1 2\n3\n4\n5 6\n")  # sample 1 starts on line 5
    t = read_table(fann)
    assert (t.names, t.default_target) == (["x0", "x1", "y0"], ["y0"])
    assert t.column("x1").tolist() == [2.0, 5.0]
    assert [t.where(0), t.where(1)] == [f"line 3 of {fann}", f"line 5 of {fann}"]


# --------------------------------------------------------------------------- data in memory


def test_as_table_dicts_arrays_and_passthrough(tmp_path):
    t = as_table(
        {
            "n": [1, None, 3],
            "s": ["a", None, "c"],
            "b": [True, None, False],
            "d": [dt.date(2024, 1, 1), None, None],
        }
    )
    assert [c.dtype.str[1:] for c in t.columns] == ["f8", "O", "f8", "M8[us]"]
    assert values(t.column("b")) == [1.0, "nan", 0.0]
    assert as_table(t) is t
    two = as_table(np.arange(6).reshape(3, 2))
    assert (two.names, two.column("x1").tolist()) == (["x0", "x1"], [1, 3, 5])
    one = as_table(np.array(["u", "v"]))
    assert (one.names, one.column("x0").tolist()) == (["x0"], ["u", "v"])
    assert as_table(write(tmp_path, "a.csv", "a\n1\n")).names == ["a"]
    with pytest.raises(
        DataError, match="as_table accepts a Table, a file path, a pandas or polars DataFrame"
    ):
        as_table([[1, 2]])
    with pytest.raises(ShapeError, match="equal lengths; got 'a': 2, 'b': 1"):
        as_table({"a": [1, 2], "b": [1]})
    with pytest.raises(DataError, match="holds complex128 values"):
        as_table({"z": np.array([1j])})


def test_as_table_pandas_dtypes():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(
        {
            "f": [1.5, np.nan, 3.0],
            "i": pd.array([1, None, 3], dtype="Int64"),
            "I": pd.array([1, 2, 3], dtype="Int64"),
            "b": pd.array([True, None, False], dtype="boolean"),
            "B": [True, False, True],
            "s": pd.array(["x", None, "z"], dtype="string"),
            "c": pd.Categorical(["p", None, "q"]),
            "o": pd.Series(["u", None, np.nan], dtype=object),
            "t": pd.to_datetime(["2024-01-01", None, "2024-01-03"]),
            "z": pd.to_datetime(["2024-01-01 01:00"] * 3).tz_localize("Europe/Paris"),
        }
    )
    df.columns = ["f", "i", "I", "b", "B", "s", "c", "o", "t", "z"]
    t = as_table(df)
    assert t.source == "the data frame"
    assert [c.dtype.str[1] for c in t.columns] == ["f", "f", "i", "f", "b", "O", "O", "O", "M", "M"]
    assert values(t.column("i")) == [1.0, "nan", 3.0]
    assert t.column("s").tolist() == ["x", None, "z"]
    assert t.column("c").tolist() == ["p", None, "q"]
    assert t.column("o").tolist() == ["u", None, None]
    assert np.isnat(t.column("t")[1])
    assert t.column("z")[0] == np.datetime64("2024-01-01T00:00")  # 01:00 in Paris is 00:00 UTC
    assert as_table(pd.DataFrame([[1, 2]], columns=["a", "a"])).names == ["a", "a.1"]


def test_as_table_polars():
    pl = pytest.importorskip("polars")
    df = pl.DataFrame(
        {
            "i": [1, None, 3],
            "j": [1, 2, 3],
            "s": ["x", None, "z"],
            "c": pl.Series(["p", "q", "p"], dtype=pl.Categorical),
            "b": [True, False, True],
            "t": [dt.datetime(2024, 1, 1), None, dt.datetime(2024, 1, 3)],
        }
    )
    t = as_table(df)
    assert [c.dtype.str[1:] for c in t.columns] == ["f8", "i8", "O", "O", "b1", "M8[us]"]
    assert t.column("c").tolist() == ["p", "q", "p"]
    assert t.where(1) == "row 1 of the data frame"


# --------------------------------------------------------------------------- start-up


_PROBE = """
import json, sys
from neuronless.data import read_table, load
read_table(sys.argv[1]); load(sys.argv[1])
print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('pyarrow', 'pandas'))))
"""


def _heavy_imports(path: Path) -> list[str]:
    env_path = str(Path(neuronless.__file__).parents[1])
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(path)],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": env_path, "PATH": ""},
    )
    return [m.split(".")[0] for m in json.loads(done.stdout)]


def test_small_files_never_import_pyarrow_and_large_ones_never_pandas(tmp_path):
    small = write(tmp_path, "s.csv", "a,b\n1,2\n")
    assert _heavy_imports(small) == []
    big = write(tmp_path, "b.csv", "a,b\n" + "".join(f"{i},{i / 7:.6f}\n" for i in range(80_000)))
    assert big.stat().st_size > read_module.SMALL_FILE_BYTES
    assert set(_heavy_imports(big)) == {"pyarrow"}
