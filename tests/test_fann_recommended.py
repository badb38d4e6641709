"""neuronless.fann.recommended: the recipe, its differences from the CLI, and train()."""

from __future__ import annotations

import numpy as np
import pytest

from neuronless.data import train_test_split
from neuronless.errors import ConfigError, DataError, ShapeError
from neuronless.fann.recommended import (
    CLI_DEFAULTS,
    Recipe,
    _selection_splits,
    choose_l2,
    differences_from_cli,
    outputs_like_targets,
    recommended,
    train,
    training_arrays,
)
from neuronless.optimizers import IRpropPlus


def _blobs(rng: np.random.Generator, n_classes: int, per_class: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """Well separated Gaussian blobs in 3-D with one-hot targets (FANN .data layout)."""
    centres = 5.0 * np.eye(3)[:n_classes]  # at least 7 standard deviations apart
    X = np.concatenate([c + rng.normal(scale=0.5, size=(per_class, 3)) for c in centres])
    labels = np.repeat(np.arange(n_classes), per_class)
    return X, np.eye(n_classes)[labels]


def test_cli_defaults_are_what_neuronless_train_does(tmp_path):
    from neuronless.cli import main
    from neuronless.model import Model

    data = tmp_path / "d.csv"
    rows = [f"{i % 7},{(i * 3) % 5},{i % 2}" for i in range(40)]
    data.write_text("a,b,y\n" + "\n".join(rows) + "\n")
    assert main(["train", str(data), "-o", str(tmp_path / "m.nless")]) == 0
    model, _ = Model.load(tmp_path / "m.nless")
    recorded = model.info["recipe"]
    assert recorded == {k: (list(v) if isinstance(v, tuple) else v)
                        for k, v in CLI_DEFAULTS.as_dict().items()}
    assert model.net.sizes == (2, *CLI_DEFAULTS.layers, 1)


def test_recommended_differs_from_the_cli_only_where_documented():
    assert differences_from_cli() == {
        "optimizer": ("adam", "irprop+"),
        "learning_rate": (0.004, None),
        "batch_size": (256, None),
        "epochs": (100, 2000),
        "scale": ("robust", "standard"),
        "early_stopping": (10, None),
        "schedule": ("cosine", None),
        "l2_choices": (None, (0.1, 1.0, 3.0)),
        "select_folds": (1, 4),
        "clip_predictions": (True, False),
        "min_delta": (1e-4, 0.0),
        "beta2": (0.95, None),
        "label_smoothing": (0.1, 0.0),
    }
    assert recommended().make_optimizer() == IRpropPlus()
    assert recommended().make_schedule() is None
    assert recommended() is recommended()  # one recipe, not a fresh one per call


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"optimizer": "nope"}, "Recipe.optimizer must be one of"),
        ({"scale": "log"}, "Recipe.scale must be one of robust, standard, minmax, none"),
        ({"epochs": 0}, "Recipe.epochs must be a positive integer"),
        ({"validation_fraction": 1.0}, r"Recipe.validation_fraction must be in \[0, 1\)"),
        ({"batch_size": 0}, "Recipe.batch_size must be a positive integer or None"),
        ({"learning_rate": -1.0}, "Recipe.learning_rate must be positive or None"),
        ({"l2_choices": ()}, "Recipe.l2_choices must be None or a non-empty sequence"),
        ({"l2_choices": (0.1, -1.0)}, "Recipe.l2_choices must be None or a non-empty sequence"),
        ({"l2_choices": ("x",)}, "Recipe.l2_choices must be None or a non-empty sequence"),
        ({"select_folds": 0}, "Recipe.select_folds must be a positive integer"),
        ({"select_fraction": 1.0}, r"Recipe.select_fraction must be in \(0, 1\)"),
    ],
)
def test_recipe_rejects_bad_settings(change, message):
    with pytest.raises(ConfigError, match=message):
        recommended().replace(**change)


def test_one_hot_classes_get_softmax_and_probabilities_per_column(rng):
    X, Y = _blobs(rng, 3)
    model, history = train(X, Y, [6], seed=1, recipe=recommended().replace(epochs=30))
    assert model.task == "classification"
    assert model.net.sizes == (3, 6, 3)
    assert model.net.layers[-1].name == "softmax"
    out = outputs_like_targets(model, X, 3)
    assert out.shape == (len(X), 3)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)
    assert np.mean(out.argmax(axis=1) == Y.argmax(axis=1)) == 1.0  # separated blobs
    assert len(history) == 30
    assert not history.val_loss


def test_two_one_hot_columns_get_one_sigmoid_output_answered_as_two_columns(rng):
    X, Y = _blobs(rng, 2)
    model, _ = train(X, Y, [4], seed=1, recipe=recommended().replace(epochs=20))
    assert model.net.sizes == (3, 4, 1)
    p = np.asarray(model.outputs(X), dtype=np.float64)[:, 0]
    out = outputs_like_targets(model, X, 2)
    np.testing.assert_allclose(out, np.column_stack([1 - p, p]))
    assert np.mean(out.argmax(axis=1) == Y.argmax(axis=1)) == 1.0
    with pytest.raises(ShapeError, match="do not fit targets with 3 columns"):
        outputs_like_targets(model, X, 3)


def test_regression_answers_in_the_targets_units(rng):
    X = rng.uniform(-1, 1, size=(200, 2))
    Y = 1000.0 + 50.0 * X[:, :1] - 20.0 * X[:, 1:]  # far from the scaled range
    model, _ = train(X, Y, [8], seed=0, recipe=recommended().replace(epochs=200))
    assert model.task == "regression"
    assert model.net.layers[-1].name == "identity"
    out = outputs_like_targets(model, X, 1)
    # the mean alone would leave an RMS error of about 31; a fitted net is far below it
    assert np.sqrt(np.mean((out - Y) ** 2)) < 3.0
    Xs, Ys = training_arrays(model, X, Y)
    np.testing.assert_allclose(Ys.mean(), 0.0, atol=1e-5)  # standardised targets
    np.testing.assert_allclose(Xs, model.inputs(X).astype(np.float32))


def test_same_seed_same_model_and_another_seed_another(rng):
    X, Y = _blobs(rng, 3, per_class=10)
    recipe = recommended().replace(epochs=5)
    a, _ = train(X, Y, [5], seed=3, recipe=recipe)
    b, _ = train(X, Y, [5], seed=3, recipe=recipe)
    c, _ = train(X, Y, [5], seed=4, recipe=recipe)
    np.testing.assert_array_equal(a.net.params, b.net.params)
    assert not np.array_equal(a.net.params, c.net.params)


def test_validation_rows_come_from_training_data_and_drive_early_stopping(rng):
    X = rng.normal(size=(80, 3))
    Y = np.eye(3)[rng.integers(0, 3, size=80)]  # labels are noise: validation loss soon rises
    recipe = recommended().replace(epochs=400, validation_fraction=0.25, early_stopping=3)
    model, history = train(X, Y, [4], seed=0, recipe=recipe)
    assert history.val_loss
    assert len(history) < 400
    assert history.stopped_reason.startswith("early stopping")
    targets = training_arrays(model, X, Y)[1]
    np.testing.assert_array_equal(targets, Y.astype(np.float32))  # all rows, in order


def test_bad_shapes_and_labels_are_one_clear_error(rng):
    X, Y = _blobs(rng, 3, per_class=5)
    with pytest.raises(ShapeError, match="same n >= 2"):
        train(X, Y[:-1], [3])
    with pytest.raises(DataError, match="must hold 0 and 1"):
        train(X[:4], np.array([[0.0], [2.0], [0.0], [2.0]]), [3])


def test_single_zero_one_column_is_binary_classification():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]] * 8)
    Y = np.array([[0.0], [1.0], [1.0], [0.0]] * 8)
    model, _ = train(X, Y, [8], seed=0, recipe=Recipe(epochs=300))
    assert model.net.sizes == (2, 8, 1)
    assert model.net.layers[-1].name == "sigmoid"
    np.testing.assert_array_equal(model.predict(X), Y[:, 0].astype(np.int64))


def test_cosine_schedule_anneals_from_the_learning_rate_to_zero():
    schedule = Recipe(schedule="cosine", epochs=10).make_schedule()
    assert schedule is not None
    assert schedule(0) == pytest.approx(0.01)
    assert schedule(5) == pytest.approx(0.005)  # half way: cos(pi/2) = 0
    assert schedule(10) == pytest.approx(0.0, abs=1e-15)
    assert recommended().make_schedule() is None
    with pytest.raises(ConfigError, match=r"Recipe\.schedule must be None or one of 'cosine', "
                       r"'step_decay', 'exponential', 'inverse_scaling'; got 'step'"):
        recommended().replace(schedule="step")


def test_the_other_schedules_over_the_epoch_budget():
    # by hand, learning rate 0.01 over a budget of 10 epochs
    step = Recipe(schedule="step_decay", epochs=10).make_schedule()
    assert step is not None
    assert [step(e) for e in (0, 1, 2, 3, 9)] == pytest.approx([0.01, 0.01, 0.005, 0.005, 0.000625])
    expo = Recipe(schedule="exponential", epochs=10).make_schedule()
    assert expo is not None
    assert expo(0) == pytest.approx(0.01)
    assert expo(5) == pytest.approx(0.001)  # 0.01 * 0.01 ** 0.5
    assert expo(10) == pytest.approx(0.0001)
    inv = Recipe(schedule="inverse_scaling", epochs=10).make_schedule()
    assert inv is not None
    assert [inv(0), inv(3), inv(99)] == pytest.approx([0.01, 0.005, 0.001])
    short = Recipe(schedule="step_decay", epochs=3).make_schedule()  # every max(1, 3 // 5) = 1
    assert short is not None
    assert short(2) == pytest.approx(0.0025)


def test_train_follows_the_schedule(rng):
    X, Y = _blobs(rng, 3, per_class=5)
    _, history = train(X, Y, [3], seed=0, recipe=Recipe(schedule="cosine", epochs=4))
    np.testing.assert_allclose(history.learning_rate, [0.01, 0.01 * (1 + np.cos(np.pi / 4)) / 2,
                                                       0.005, 0.01 * (1 + np.cos(3 * np.pi / 4)) / 2])


# ----------------------------------------------------------------------------- choosing L2

FAST = Recipe(optimizer="irprop+", learning_rate=None, batch_size=None, epochs=30)


def _noisy_blobs(rng: np.random.Generator, n: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """Two overlapping classes in 2-D with one-hot targets."""
    labels = rng.integers(0, 2, size=n)
    X = rng.normal(size=(n, 2)) + labels[:, None]
    return X, np.eye(2)[labels]


def test_l2_choices_are_kept_as_a_tuple_of_floats():
    assert FAST.replace(l2_choices=[1, 0.5]).l2_choices == (1.0, 0.5)


def test_folds_hold_every_row_out_once_and_keep_the_class_mix():
    y = np.array([0] * 10 + [1] * 7 + [2] * 3)
    splits = _selection_splits(len(y), y, FAST.replace(select_folds=3), seed=4)
    assert len(splits) == 3
    held = np.concatenate([h for _, h in splits])
    assert sorted(held.tolist()) == list(range(len(y)))
    for fit, h in splits:
        assert sorted(np.concatenate([fit, h]).tolist()) == list(range(len(y)))
        counts = np.bincount(y[h], minlength=3)
        assert np.all(np.abs(counts - np.bincount(y, minlength=3) / 3) < 1)
    with pytest.raises(ShapeError, match="3-fold selection needs at least 6 rows"):
        _selection_splits(5, None, FAST.replace(select_folds=3), seed=0)


def test_choose_l2_scores_are_held_out_errors_computed_by_hand(rng):
    X, Y = _noisy_blobs(rng)
    recipe = FAST.replace(l2_choices=(3.0, 0.0), select_fraction=0.25)
    best, scores = choose_l2(X, Y, [4], seed=7, recipe=recipe)
    rows = np.arange(len(X)).reshape(-1, 1)
    y = Y.argmax(axis=1)
    fit, held, _, _ = train_test_split(rows, y, 0.25, seed=7, stratify=y)
    fit, held = fit[:, 0], held[:, 0]
    for l2 in (0.0, 3.0):
        model, _ = train(X[fit], Y[fit], [4], seed=7, recipe=FAST.replace(l2=l2))
        out = outputs_like_targets(model, X[held], 2)
        assert scores[l2] == pytest.approx(np.mean(out.argmax(axis=1) != y[held]))
    assert list(scores) == [0.0, 3.0]
    assert scores[best] == min(scores.values())


def test_choose_l2_pools_folds_and_a_tie_goes_to_the_smaller_penalty(rng):
    X, Y = _blobs(rng, 2, per_class=12)  # separable: every penalty gets every row right
    best, scores = choose_l2(X, Y, [3], seed=0,
                             recipe=FAST.replace(l2_choices=(1.0, 0.3, 0.1), select_folds=3))
    assert scores == {0.1: 0.0, 0.3: 0.0, 1.0: 0.0}
    assert best == 0.1


def test_regression_l2_is_chosen_on_mean_squared_error(rng):
    X = rng.normal(size=(40, 2))
    Y = (X[:, :1] * 3.0 + 1.0) + rng.normal(scale=0.1, size=(40, 1))
    recipe = FAST.replace(l2_choices=(0.0, 1000.0), select_fraction=0.25)
    best, scores = choose_l2(X, Y, [3], seed=1, recipe=recipe)
    assert best == 0.0  # a huge penalty flattens the fit: much larger held-out error
    assert scores[1000.0] > 10 * scores[0.0]
    with pytest.raises(ConfigError, match="choose_l2 needs a recipe with l2_choices"):
        choose_l2(X, Y, [3], recipe=FAST)


def test_train_with_l2_choices_refits_on_all_rows_with_the_chosen_penalty(rng):
    X, Y = _noisy_blobs(rng)
    recipe = FAST.replace(l2_choices=(0.0, 3.0), select_folds=2)
    report: dict = {}
    model, history = train(X, Y, [4], seed=3, recipe=recipe, report=report)
    assert report["l2"] in (0.0, 3.0)
    assert (report["l2"], report["l2_scores"]) == choose_l2(X, Y, [4], seed=3, recipe=recipe)
    again, _ = train(X, Y, [4], seed=3, recipe=FAST.replace(l2=report["l2"]))
    np.testing.assert_array_equal(model.net.params, again.net.params)
    assert len(history) == 30
