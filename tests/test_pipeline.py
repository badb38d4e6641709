"""neuronless.train: one pipeline from a table as it is to a trained Model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import neuronless as nl
from neuronless.errors import ConfigError, DataError, DataWarning
from neuronless.model import Model
from neuronless.pipeline import DEFAULTS, Recipe, prepare

ORCHARD = Path(__file__).parent / "data" / "orchard.csv"
FAST = {"epochs": 60, "layers": [8], "learning_rate": 0.01, "validation_fraction": 0.2}


@pytest.fixture(scope="module")
def orchard_model() -> Model:
    return nl.train(ORCHARD, "harvest", seed=0, **FAST)


def test_messy_table_trains_with_every_column_type(orchard_model):
    enc = orchard_model.encoder
    assert enc is not None
    kinds = {c.name: c.kind for c in enc.columns}
    assert kinds == {"variety": "categorical", "region": "categorical", "age_years": "numeric",
                     "height_m": "numeric", "soil_ph": "numeric", "irrigated": "boolean"}
    assert enc.dropped == ["tree_id"]  # an identifier
    assert "variety=(missing)" in enc.feature_names  # empty cells are their own category
    assert "height_m (missing)" in enc.feature_names  # NA cells: median + indicator
    assert "age_years (missing)" in enc.feature_names  # '?' cells, as in UCI files
    notes = orchard_model.info["notes"]
    assert any("'tree_id' looks like an identifier" in n for n in notes)
    assert any("4 row(s) have no value in the target column 'harvest'" in n for n in notes)
    assert orchard_model.labels is not None
    assert orchard_model.labels.classes == ["high", "low", "medium"]


def test_the_model_learns_the_orchard(orchard_model):
    # the target follows the features plus noise; always guessing the majority class gets
    # 90/236 = 0.38 of the rows right
    assert orchard_model.info["score"]["validation"]["accuracy"] > 0.5


def test_predict_reads_raw_rows_by_column_name(orchard_model, tmp_path):
    import pandas as pd

    frame = pd.read_csv(ORCHARD)
    pred = orchard_model.predict(frame)
    assert pred.shape == (len(frame),)
    # columns in another order, the target and an extra column present: the same answers
    shuffled = frame[list(reversed(frame.columns))].assign(extra=1.0)
    np.testing.assert_array_equal(orchard_model.predict(shuffled), pred)
    np.testing.assert_array_equal(orchard_model.predict(ORCHARD), pred)


def test_save_and_load_give_the_same_predictions_and_plain_json(orchard_model, tmp_path):
    path = tmp_path / "orchard.nless"
    orchard_model.save(path)
    loaded, meta = Model.load(path)
    np.testing.assert_array_equal(loaded.predict(ORCHARD), orchard_model.predict(ORCHARD))
    json.dumps(meta)  # everything in the metadata is plain JSON
    assert meta["columns"]["dropped"] == ["tree_id"]
    assert loaded.history is not None
    assert len(loaded.history) == FAST["epochs"]
    assert loaded.info["seed"] == 0


def test_unseen_category_at_predict_time_is_one_warning(orchard_model):
    import pandas as pd

    frame = pd.read_csv(ORCHARD).head(5).copy()
    frame["variety"] = ["Fuji", "Pink Lady", "Pink Lady", "Gala", "Fuji"]
    with pytest.warns(DataWarning, match=r"2 value\(s\) in 1 column\(s\) were not seen .*"
                                         r"variety: 'Pink Lady' \(2\)"):
        orchard_model.predict(frame)


def test_missing_column_at_predict_time_is_one_error(orchard_model):
    import pandas as pd

    frame = pd.read_csv(ORCHARD).rename(columns={"soil_ph": "pH"})
    with pytest.raises(DataError, match="has no column 'soil_ph'"):
        orchard_model.predict(frame)


def test_arrays_and_target_values_train_too():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = X[:, 0] * 2.0 - X[:, 1]
    model = nl.train(X, y, seed=0, epochs=100, layers=[8], validation_fraction=0,
                     learning_rate=0.01)
    assert model.task == "regression"
    assert model.predict(X).shape == (80,)
    assert model.info["score"]["training"]["r2"] > 0.9


def test_data_frame_with_missing_and_text_cells():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({
        "colour": ["red", "blue", None, "red"] * 10,
        "size": [1.0, np.nan, 3.0, 4.0] * 10,
        "label": ["a", "b", "a", "b"] * 10,
    })
    model = nl.train(frame, "label", seed=1, epochs=20, layers=[4])
    assert model.encoder is not None
    assert model.encoder.feature_names == ["colour=(missing)", "colour=blue", "colour=red",
                                           "size", "size (missing)"]


def test_keywords_override_the_recipe_and_defaults_are_a_recipe():
    assert isinstance(DEFAULTS, Recipe)
    X = np.arange(40, dtype=float).reshape(20, 2)
    y = np.array([0, 1] * 10)
    model = nl.train(X, y, epochs=3, layers=[5, 4], hidden="relu", optimizer="sgd",
                     learning_rate=0.1, batch_size=None, validation_fraction=0)
    assert model.net.sizes == (2, 5, 4, 1)
    assert model.info["recipe"]["optimizer"] == "sgd"
    assert model.info["recipe"]["batch_size"] is None
    assert len(model.history) == 3


def test_prepare_splits_target_and_drops_columns():
    prep = prepare(ORCHARD, "harvest", drop=["region"])
    assert "region" not in prep.encoder.raw_names
    assert prep.X.shape == (236, len(prep.feature_names))
    with pytest.raises(DataError, match="drop names column"):
        prepare(ORCHARD, "harvest", drop=["nope"])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"optimizer": "lbfgs", "learning_rate": 0.1}, r"--lr does not apply.*learning_rate="),
        ({"optimizer": "cascade", "layers": [3]}, r"--layers does not apply.*layers="),
        ({"max_neurons": 3}, "applies only to --optimizer cascade"),
        ({"error_function": "tanh"}, "is FANN's"),
        ({"fann_compatible": True, "optimizer": "adam"}, "trains with FANN's algorithms"),
        ({"optimizer": "irprop+", "learning_rate": 0.1}, "Rprop adapts a step size"),
        ({"epochs": 0}, "Recipe.epochs must be a positive integer"),
    ],
)
def test_settings_a_method_would_ignore_are_refused(kwargs, match):
    X = np.zeros((4, 2))
    with pytest.raises(ConfigError, match=match):
        nl.train(X, np.array([0, 1, 0, 1]), **kwargs)


def test_regression_on_text_target_is_refused():
    with pytest.raises(DataError, match="holds text, so it cannot be a regression target"):
        nl.train(ORCHARD, "harvest", task="regression")


def test_one_class_target_is_refused():
    with pytest.raises(DataError, match="needs at least two classes"):
        nl.train(np.zeros((5, 1)), np.array(["a"] * 5))


def test_cli_predict_counts_unseen_categories_in_one_warning_line(tmp_path, capsys):
    from neuronless.cli import main

    model = tmp_path / "m.nless"
    assert main(["train", str(ORCHARD), "--target", "harvest", "--epochs", "3",
                 "-o", str(model)]) == 0
    lines = ORCHARD.read_text().splitlines()
    new = [lines[0]] + [ln.replace("Fuji", "Pink Lady") for ln in lines[1:21]]
    data = tmp_path / "new.csv"
    data.write_text("\n".join(new) + "\n")
    n_unseen = sum("Pink Lady" in ln for ln in new)
    capsys.readouterr()
    assert main(["predict", str(model), str(data)]) == 0
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 21
    assert err.splitlines() == [
        f"neuronless predict: warning: {n_unseen} value(s) in 1 column(s) were not seen in "
        f"training and encode as all zeros: variety: 'Pink Lady' ({n_unseen})"
    ]


# --------------------------------------------------------------------------- estimator hooks


def test_prepare_with_fixed_classes_and_prepare_like_reuse_the_encoders():
    from neuronless.pipeline import prepare_like

    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    prep = prepare(X, np.array(["a", "b", "a", "b"]), classes=["a", "b", "c"])
    assert prep.labels.classes == ["a", "b", "c"]
    later = prepare_like(prep, np.array([[5.0], [6.0]]), np.array(["c", "a"]))
    assert later.targets.tolist() == [2, 0]
    np.testing.assert_array_equal(later.X, [[5.0], [6.0]])
    with pytest.raises(DataError, match="not seen"):
        prepare_like(prep, np.array([[5.0]]), np.array(["d"]))


def test_one_hidden_activation_per_layer_draws_what_create_draws():
    from neuronless.pipeline import Options, build_model

    X = np.random.default_rng(0).normal(size=(20, 3))
    prep = prepare(X, X[:, 0] * 2.0)
    same = Recipe(layers=(4, 5), hidden=("tanh", "tanh"))
    per_layer = build_model(prep, same, Options(seed=3)).net
    one_name = build_model(prep, Recipe(layers=(4, 5), hidden="tanh"), Options(seed=3)).net
    np.testing.assert_array_equal(per_layer.params, one_name.params)
    mixed = build_model(prep, Recipe(layers=(4, 5), hidden=("relu", "sigmoid"), output="tanh"),
                        Options(seed=3)).net
    assert [layer.name for layer in mixed.layers] == ["relu", "sigmoid", "tanh"]
    with pytest.raises(ConfigError, match="one per hidden layer"):
        Recipe(layers=(4, 5), hidden=("relu",))


def test_fit_prepared_continues_a_model_with_weights_and_given_validation_rows():
    from neuronless.pipeline import Options, build_model, fit_prepared, prepare_like

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = np.where(X[:, 0] > 0, "yes", "no")
    prep = prepare(X, y)
    held = prepare_like(prep, X[:10], y[:10])
    recipe = Recipe(layers=(4,), epochs=5, batch_size=None, early_stopping=2)
    opts = Options(seed=0, dtype=np.float64)
    model = build_model(prep, recipe, opts)
    start = model.net.params.copy()
    out = fit_prepared(prep, recipe, opts, model=model, validation=held,
                       sample_weight=np.ones(40))
    assert out.net is model.net  # continued in place, not rebuilt
    assert not np.array_equal(out.net.params, start)
    assert len(out.history.val_loss) == len(out.history.train_loss)
    assert "validation" in out.info["score"]
