"""neuronless.data.columns: every column type, the JSON round trip and predict-time mismatches."""

from __future__ import annotations

import json

import numpy as np
import pytest

from neuronless.data.columns import TableEncoder, Unseen
from neuronless.data.read import as_table
from neuronless.errors import DataError, ModelFormatError


def _encoder(columns: dict[str, list[object]], **kwargs: object) -> tuple[TableEncoder, object]:
    table = as_table(columns)
    return TableEncoder(**kwargs).fit(table), table  # type: ignore[arg-type]


def test_numeric_missing_values_get_the_training_median_and_an_indicator():
    enc, table = _encoder({"h": [1.0, np.nan, 4.0, 10.0]})
    # median of 1, 4, 10 (the present values) is 4
    assert enc.feature_names == ["h", "h (missing)"]
    np.testing.assert_array_equal(enc.transform(table), [[1, 0], [4, 1], [4, 0], [10, 0]])
    new = as_table({"h": [np.nan, 2.5]})
    np.testing.assert_array_equal(enc.transform(new), [[4, 1], [2.5, 0]])


def test_numeric_column_without_missing_values_has_no_indicator_but_imputes_later():
    enc, _ = _encoder({"h": [1.0, 2.0, 3.0, 5.0]})
    assert enc.feature_names == ["h"]
    np.testing.assert_array_equal(enc.transform(as_table({"h": [np.nan]})), [[2.5]])


def test_text_is_one_hot_over_sorted_categories_with_missing_as_its_own():
    enc, table = _encoder({"island": ["Dream", "Biscoe", None, "Dream"]})
    assert enc.feature_names == ["island=(missing)", "island=Biscoe", "island=Dream"]
    np.testing.assert_array_equal(
        enc.transform(table), [[0, 0, 1], [0, 1, 0], [1, 0, 0], [0, 0, 1]]
    )


def test_booleans_are_zero_and_one():
    enc, table = _encoder({"wet": [True, False, True]})
    assert enc.columns[0].kind == "boolean"
    np.testing.assert_array_equal(enc.transform(table), [[1], [0], [1]])
    # a predict file may spell them as text
    np.testing.assert_array_equal(enc.transform(as_table({"wet": ["false", "true"]})), [[0], [1]])


def test_numbers_named_categorical_are_one_hot_codes():
    enc, _table = _encoder({"zone": [3, 1, 3, 2]}, categorical=["zone"])
    assert enc.feature_names == ["zone=1", "zone=2", "zone=3"]
    np.testing.assert_array_equal(enc.transform(as_table({"zone": [2.0]})), [[0, 1, 0]])


def test_identifier_text_column_is_dropped_with_a_note_unless_kept():
    ids = [f"id{i}" for i in range(30)]
    enc, _ = _encoder({"name": ids, "x": list(range(30))})
    assert enc.raw_names == ["x"]
    assert enc.dropped == ["name"]
    assert len(enc.notes) == 1
    assert "'name' looks like an identifier (30 distinct values in 30 rows)" in enc.notes[0]
    assert "keep=['name'] (--keep name)" in enc.notes[0]
    kept, _ = _encoder({"name": ids, "x": list(range(30))}, keep=["name"])
    assert kept.raw_names == ["name", "x"]
    assert kept.n_features == 31


def test_dates_are_refused_naming_the_column_and_the_fix():
    with pytest.raises(DataError, match=r"column 'when' .* holds dates or times \('2024-01-05'.*"
                                         r"drop=\['when'\] \(--drop when\)"):
        _encoder({"when": ["2024-01-05", "2024-02-11", "2024-03-01"]})
    stamps = np.array(["2024-01-05T10:00", "2024-01-06T11:30"], dtype="datetime64[m]")
    with pytest.raises(DataError, match="holds dates or times"):
        TableEncoder().fit(as_table({"when": stamps}))


def test_numbers_with_a_few_bad_cells_are_an_error_naming_the_first():
    values = [str(v) for v in range(40)] + ["n/a?"]
    with pytest.raises(DataError, match=r"column 'v' holds numbers except for 1 cell\(s\), the "
                                        r"first 'n/a\?' at row 40.*na_values=\['n/a\?'\]"):
        _encoder({"v": values})


def test_unseen_categories_encode_as_zeros_and_are_counted():
    enc, _ = _encoder({"c": ["a", "b", "a"]})
    unseen = Unseen()
    out = enc.transform(as_table({"c": ["b", "z", "z", None]}), unseen)
    np.testing.assert_array_equal(out, [[0, 1], [0, 0], [0, 0], [0, 0]])
    assert unseen.counts == {"c": {"z": 2, "(missing)": 1}}
    assert unseen.total == 3
    assert unseen.message().startswith("3 value(s) in 1 column(s) were not seen in training")


def test_columns_are_matched_by_name_in_any_order_and_extra_ones_ignored():
    enc, table = _encoder({"a": [1.0, 2.0], "b": ["x", "y"]})
    shuffled = as_table({"extra": [9, 9], "b": ["x", "y"], "a": [1.0, 2.0]})
    np.testing.assert_array_equal(enc.transform(shuffled), enc.transform(table))


def test_a_missing_column_is_one_error_naming_it():
    enc, _ = _encoder({"a": [1.0, 2.0], "b": ["x", "y"]})
    with pytest.raises(DataError, match=r"has no column 'b' \(did you mean 'B' for 'b'\?\); the "
                                        r"model was trained on the columns 'a', 'b'"):
        enc.transform(as_table({"a": [1.0], "B": ["x"]}))


def test_text_in_a_numeric_column_at_predict_time_names_row_and_value():
    enc, _ = _encoder({"a": [1.0, 2.0]})
    with pytest.raises(DataError, match=r"column 'a' must hold numbers .* got 'lots' at row 1"):
        enc.transform(as_table({"a": ["3", "lots"]}))


def test_json_round_trip_gives_the_same_encoding():
    enc, table = _encoder({"h": [1.0, np.nan, 3.0], "c": ["u", None, "v"], "w": [True, False, True]})
    back = TableEncoder.from_dict(json.loads(json.dumps(enc.to_dict())))
    np.testing.assert_array_equal(back.transform(table), enc.transform(table))
    assert back.feature_names == enc.feature_names


@pytest.mark.parametrize(
    "bad",
    [
        None,
        {"columns": "x"},
        {"columns": []},
        {"columns": [{"name": "a", "kind": "fancy"}]},
        {"columns": [{"name": "a", "kind": "numeric", "median": "1", "missing_indicator": False}]},
        {"columns": [{"name": "a", "kind": "numeric", "median": float("nan"),
                      "missing_indicator": False}]},
        {"columns": [{"name": "a", "kind": "categorical", "categories": ["x", "x"]}]},
        {"columns": [{"name": "a", "kind": "boolean"}, {"name": "a", "kind": "boolean"}]},
        {"columns": [{"name": "a", "kind": "boolean"}], "dropped": [1]},
    ],
)
def test_bad_encoder_metadata_is_a_model_format_error(bad):
    with pytest.raises(ModelFormatError, match="bad column encoder"):
        TableEncoder.from_dict(bad, "m.nless")


def test_no_usable_column_left_is_an_error():
    with pytest.raises(DataError, match="no usable feature columns"):
        _encoder({"name": [f"n{i}" for i in range(25)]})
