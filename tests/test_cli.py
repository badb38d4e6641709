"""The command line through ``main(argv)``: round trips, one-line errors, exit codes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from neuronless import datasets
from neuronless.cli import main
from neuronless.model import classification_metrics, regression_metrics

SPECIES = np.array(["setosa", "versicolor", "virginica"])


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    path.write_text(
        ",".join(header) + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def iris_csv(tmp_path: Path) -> Path:
    ds = datasets.iris()
    rows = [[*x.tolist(), SPECIES[y]] for x, y in zip(ds.X, ds.y, strict=True)]
    return _write_csv(tmp_path / "iris.csv", ["sl", "sw", "pl", "pw", "species"], rows)


@pytest.fixture
def regression_csv(tmp_path: Path) -> Path:
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, size=(120, 2))
    y = 100.0 + 20.0 * X[:, 0] - 10.0 * X[:, 1] ** 2
    rows = [[*x.tolist(), float(t)] for x, t in zip(X, y, strict=True)]
    return _write_csv(tmp_path / "reg.csv", ["a", "b", "price"], rows)


@pytest.fixture
def iris_model(tmp_path: Path, iris_csv: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    out = tmp_path / "iris.nless"
    assert main(["train", str(iris_csv), "-o", str(out), "--epochs", "200", "--lr", "0.02"]) == 0
    capsys.readouterr()
    return out


def test_train_evaluate_predict_round_trip(
    tmp_path: Path, iris_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "iris.nless"
    code = main(["train", str(iris_csv), "-o", str(model), "--layers", "8",
                 "--epochs", "200", "--lr", "0.02", "--seed", "3",
                 "--validation-fraction", "0.2", "--early-stopping", "0"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Network(sizes=[4, 8, 3]" in out
    assert "softmax" in out
    assert "validation accuracy" in out
    assert str(model) in out
    assert "epoch 200/200" in err  # plain progress lines when stderr is not a terminal
    assert model.exists()

    assert main(["evaluate", str(model), str(iris_csv)]) == 0
    out, _ = capsys.readouterr()
    accuracy = float(out.split()[1])
    assert accuracy > 0.9
    assert "confusion matrix" in out
    assert "precision" in out
    assert "versicolor" in out

    preds = tmp_path / "preds.csv"
    assert main(["predict", str(model), str(iris_csv), "-o", str(preds)]) == 0
    lines = preds.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "species"
    assert len(lines) == 151
    assert set(lines[1:]) <= set(SPECIES)
    assert lines[1] == "setosa"
    truth = [line.rsplit(",", 1)[1] for line in iris_csv.read_text().splitlines()[1:]]
    assert np.mean(np.array(lines[1:]) == np.array(truth)) == pytest.approx(accuracy, abs=1e-4)

    # the same rows without the target column, to stdout
    no_target = _write_csv(tmp_path / "new.csv", ["sl", "sw", "pl", "pw"],
                           [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]])
    assert main(["predict", str(model), str(no_target)]) == 0
    out, _ = capsys.readouterr()
    assert out.splitlines() == ["species", "setosa", "virginica"]


def test_binary_classification_uses_one_sigmoid_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ds = datasets.moons(200, noise=0.1, seed=0)
    rows = [[*x.tolist(), ["no", "yes"][y]] for x, y in zip(ds.X, ds.y, strict=True)]
    data = _write_csv(tmp_path / "moons.csv", ["x1", "x2", "label"], rows)
    model = tmp_path / "m.nless"
    assert main(["train", str(data), "-o", str(model), "--epochs", "300", "--lr", "0.05"]) == 0
    out, _ = capsys.readouterr()
    assert "Network(sizes=[2, 128, 1], activations=[tanh, sigmoid]" in out  # the defaults
    assert main(["predict", str(model), str(data)]) == 0
    out, _ = capsys.readouterr()
    assert set(out.splitlines()[1:]) == {"no", "yes"}


def test_regression_returns_values_in_original_units(
    tmp_path: Path, regression_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "reg.nless"
    assert main(["train", str(regression_csv), "-o", str(model), "--optimizer", "lbfgs",
                 "--epochs", "200", "--layers", "8"]) == 0
    out, _ = capsys.readouterr()
    assert "regression" in out
    assert "identity" in out
    assert "training RMSE" in out  # by default every row trains
    assert main(["evaluate", str(model), str(regression_csv)]) == 0
    out, _ = capsys.readouterr()
    assert "RMSE" in out
    assert "MAE" in out
    assert "R²" in out
    r2 = float(out.split("R²")[1].split()[0])
    assert r2 > 0.95
    assert main(["predict", str(model), str(regression_csv)]) == 0
    out, _ = capsys.readouterr()
    values = np.array([float(v) for v in out.splitlines()[1:]])
    assert out.splitlines()[0] == "price"
    assert 80 < values.mean() < 110  # un-scaled: the target's own units


def test_info_shows_architecture_preprocessing_and_history(
    iris_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["info", str(iris_model)]) == 0
    out, _ = capsys.readouterr()
    assert "task: classification, 3 classes: setosa, versicolor, virginica" in out
    assert "input columns (4, encoded as 4 network inputs):" in out
    assert "  sl: numeric\n  sw: numeric\n  pl: numeric\n  pw: numeric\n" in out
    assert "target: species" in out
    assert "input scaling: robust" in out
    assert "shape (5, 128)" in out
    assert "shape (129, 3)" in out
    assert "epochs, optimizer adam" in out
    assert "seed 0" in out


def test_training_is_reproducible_with_a_seed(
    tmp_path: Path, iris_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = tmp_path / "a.nless", tmp_path / "b.nless"
    for path in (a, b):
        assert main(["train", str(iris_csv), "-o", str(path), "--epochs", "20", "--seed", "5"]) == 0
    from neuronless import load

    assert np.array_equal(load(a).params, load(b).params)


# ------------------------------------------------------------------------ user mistakes
def _bad_files(tmp: Path, iris_csv: Path) -> dict[str, Path]:
    return {
        "empty": _write_csv(tmp / "empty.csv", [], []).with_name("empty.csv"),
        # numbers but for one cell: a typo, not a category per number
        "text": _write_csv(tmp / "text.csv", ["a", "b", "y"],
                           [[i, i * 2, i % 2] for i in range(30)] + [[1, "oops", 0]]),
        "dates": _write_csv(tmp / "dates.csv", ["a", "when", "y"],
                            [[1, "2024-01-05", 0], [2, "2024-02-01", 1]]),
        "inf": _write_csv(tmp / "inf.csv", ["a", "b", "y"], [[1, "inf", 0], [2, 3, 1]]),
        "narrow": _write_csv(tmp / "narrow.csv", ["a", "b", "species"], [[1, 2, "setosa"]]),
        "corrupt": tmp / "corrupt.nless",
        "iris": iris_csv,
    }


BAD_TRAIN = [
    (["train", "{missing}", "-o", "{out}"], "no such file"),
    (["train", "{empty}", "-o", "{out}"], "empty"),
    (["train", "{text}", "-o", "{out}"], "'b' holds numbers except for 1 cell(s), the first "
                                         "'oops' at line 32"),
    (["train", "{dates}", "-o", "{out}"], "'when' of"),
    (["train", "{inf}", "-o", "{out}"], "inf"),
    (["train", "{iris}", "--target", "colour", "-o", "{out}"], "'colour' is not in"),
    (["train", "{iris}", "--optimizer", "bogus", "-o", "{out}"], "invalid choice: 'bogus'"),
    (["train", "{iris}", "--layers", "16,x", "-o", "{out}"], "positive layer sizes"),
    (["train", "{iris}", "--epochs", "0", "-o", "{out}"], "positive integer"),
    (["train", "{iris}", "--validation-fraction", "1.5", "-o", "{out}"], "[0, 1)"),
    (["train", "{iris}", "--task", "regression", "-o", "{out}"], "holds text"),
    (["train", "{iris}", "--optimizer", "lbfgs", "--lr", "0.1", "-o", "{out}"], "--lr does not apply"),
    (["train", "{iris}", "-o", "{tmp}/no/such/dir/m.nless"], "does not exist"),
    (["train", "{iris}"], "-o/--output"),
    (["predict", "{missing}", "{iris}"], "No such file"),
    (["predict", "{corrupt}", "{iris}", "-o", "{out}"], "corrupt.nless"),
    (["predict", "{model}", "{narrow}", "-o", "{out}"], "has no column 'sl', 'sw', 'pl', 'pw'"),
    (["evaluate", "{model}", "{missing}"], "no such file"),
    (["info", "{corrupt}"], "corrupt.nless"),
    (["frobnicate"], "invalid choice"),
]


@pytest.mark.parametrize(("argv", "expected"), BAD_TRAIN)
def test_user_mistakes_are_one_line_and_exit_2(
    tmp_path: Path,
    iris_csv: Path,
    iris_model: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    expected: str,
) -> None:
    files = _bad_files(tmp_path, iris_csv)
    files["corrupt"].write_bytes(b"NLESS\x00garbage")
    out_path = tmp_path / "out.file"
    out_path.write_text("previous content", encoding="utf-8")
    names = {k: str(v) for k, v in files.items()}
    names.update(missing=str(tmp_path / "missing.csv"), out=str(out_path), tmp=str(tmp_path),
                 model=str(iris_model))
    code = main([a.format(**names) for a in argv])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.count("\n") == 1, captured.err
    assert captured.err.startswith("neuronless")
    assert expected in captured.err, captured.err
    assert "Traceback" not in captured.err
    assert out_path.read_text(encoding="utf-8") == "previous content"  # nothing overwritten
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_predict_feature_count_mismatch_names_the_fix(
    tmp_path: Path, iris_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wide = _write_csv(tmp_path / "wide.csv", ["a", "b", "c", "d", "e", "f"], [[1, 2, 3, 4, 5, 6]])
    assert main(["predict", str(iris_model), str(wide)]) == 2
    err = capsys.readouterr().err
    assert "trained on the columns 'sl', 'sw', 'pl', 'pw'" in err
    assert "Add or rename the column" in err


def test_help_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--help"]) == 0
    assert "--optimizer" in capsys.readouterr().out


# ------------------------------------------------------------------------ metrics vs sklearn
def test_classification_metrics_match_sklearn() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    classes = ["a", "b", "c", "d"]
    t = rng.choice(classes[:3], 60)  # "d" never occurs: precision and recall are 0
    p = rng.choice(classes, 60)
    m = classification_metrics(t, p, classes)
    assert m["accuracy"] == pytest.approx(metrics.accuracy_score(t, p))
    assert np.array_equal(m["confusion"], metrics.confusion_matrix(t, p, labels=classes))
    assert np.allclose(m["precision"], metrics.precision_score(t, p, labels=classes, average=None, zero_division=0))
    assert np.allclose(m["recall"], metrics.recall_score(t, p, labels=classes, average=None, zero_division=0))


@pytest.mark.parametrize("n_out", [1, 3])
def test_regression_metrics_match_sklearn(n_out: int) -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(n_out)
    t = rng.normal(size=(50, n_out)).squeeze()
    p = t + rng.normal(scale=0.3, size=t.shape)
    r = regression_metrics(t, p)
    assert r["rmse"] == pytest.approx(np.sqrt(metrics.mean_squared_error(t, p, multioutput="raw_values")).mean())
    assert r["mae"] == pytest.approx(metrics.mean_absolute_error(t, p))
    assert r["r2"] == pytest.approx(metrics.r2_score(t, p))


def test_progress_bar_on_a_terminal(
    tmp_path: Path, iris_csv: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("tqdm")
    import sys

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(["train", str(iris_csv), "-o", str(tmp_path / "m.nless"), "--epochs", "5"]) == 0
    err = capsys.readouterr().err
    assert "epoch 5/5" not in err  # a bar, not the plain lines
    assert "5/5" in err


def test_fann_data_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from neuronless.data import write_fann_data

    ds = datasets.xor()
    path = tmp_path / "xor.data"
    write_fann_data(path, np.tile(ds.X, (4, 1)), np.tile(ds.y, 4).reshape(-1, 1))
    model = tmp_path / "xor.nless"
    assert main(["train", str(path), "-o", str(model), "--layers", "4", "--optimizer", "lbfgs",
                 "--validation-fraction", "0", "--task", "classification"]) == 0
    capsys.readouterr()
    assert main(["predict", str(model), str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "y0"
    assert len(out) == 17


def test_train_checkpoint_then_resume_equals_a_straight_run(
    tmp_path: Path, iris_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from neuronless import load

    # a cosine schedule spans the run's own epochs, so an 8-epoch run is not the first 8
    # epochs of a 15-epoch one: compare with a constant learning rate
    common = [str(iris_csv), "--layers", "6", "--seed", "3", "--schedule", "none",
              "--early-stopping", "0"]
    ckpt = tmp_path / "run.ckpt"
    assert main(["train", *common, "--epochs", "8", "--checkpoint", str(ckpt),
                 "--checkpoint-every", "3", "-o", str(tmp_path / "a.nless")]) == 0
    assert main(["train", *common, "--epochs", "15", "--resume", str(ckpt),
                 "-o", str(tmp_path / "b.nless")]) == 0
    assert main(["train", *common, "--epochs", "15", "-o", str(tmp_path / "c.nless")]) == 0
    capsys.readouterr()
    resumed, straight = load(tmp_path / "b.nless"), load(tmp_path / "c.nless")
    np.testing.assert_array_equal(resumed.params, straight.params)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--optimizer", "rprop", "--lr", "0.1"], "--lr does not apply to --optimizer rprop"),
        (["--optimizer", "lbfgs", "--resume", "x.ckpt"], "--resume does not apply to --optimizer lbfgs"),
        (["--optimizer", "cg", "--checkpoint", "x.ckpt"], "--checkpoint does not apply"),
    ],
)
def test_train_refuses_options_that_do_not_apply(
    tmp_path: Path, iris_csv: Path, capsys: pytest.CaptureFixture[str], extra: list[str],
    message: str,
) -> None:
    out = tmp_path / "m.nless"
    assert main(["train", str(iris_csv), *extra, "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert message in err[0]
    assert not out.exists()


@pytest.mark.parametrize(
    ("extra", "rows"),
    [
        ([], "150 training rows, 0 validation rows"),  # the defaults train on every row
        (["--validation-fraction", "0.2"], "120 training rows, 30 validation rows"),
        (["--fann-compatible"], "150 training rows, 0 validation rows"),  # FANN trains on all
        (["--optimizer", "sarprop"], "150 training rows, 0 validation rows"),
        (["--fann-compatible", "--validation-fraction", "0.2"],
         "120 training rows, 30 validation rows"),
    ],
)
def test_validation_default_depends_on_the_training_method(
    tmp_path: Path, iris_csv: Path, capsys: pytest.CaptureFixture[str], extra: list[str],
    rows: str,
) -> None:
    out = tmp_path / "m.nless"
    assert main(["train", str(iris_csv), "-o", str(out), "--epochs", "2", *extra]) == 0
    assert rows in capsys.readouterr().out


def test_a_closed_pipe_is_not_an_error(
    tmp_path: Path, iris_model: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # `neuronless info model | head -1`: the reader is gone before we finish writing.
    import io
    import sys

    sink = open(tmp_path / "sink", "w")  # the handler points this fd at /dev/null

    class ClosedPipe(io.StringIO):
        def write(self, s: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

        def fileno(self) -> int:
            return sink.fileno()

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    code = main(["info", str(iris_model)])
    sink.close()
    assert code == 0
    assert capsys.readouterr().err == ""


def test_train_schedule_step_decay_from_the_command_line(
    tmp_path: Path, iris_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from neuronless.model import Model

    out = tmp_path / "s.nless"
    assert main(["train", str(iris_csv), "--layers", "4", "--epochs", "10", "--lr", "0.02",
                 "--schedule", "step_decay", "--early-stopping", "0", "-o", str(out)]) == 0
    capsys.readouterr()
    model, _ = Model.load(out)
    assert model.history is not None
    # halved every 10 // 5 = 2 epochs, by hand
    np.testing.assert_allclose(model.history.learning_rate,
                               [0.02, 0.02, 0.01, 0.01, 0.005, 0.005, 0.0025, 0.0025,
                                0.00125, 0.00125])
    assert main(["train", str(iris_csv), "--schedule", "linear", "-o", str(out)]) == 2
    assert "invalid choice: 'linear'" in capsys.readouterr().err


def test_train_backend_flag_and_info_say_how_the_epochs_ran(
    tmp_path: Path, iris_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "c.nless"
    # batch 16 on a 4-6-3 net is within the compiled path's size rule
    assert main(["train", str(iris_csv), "--layers", "6", "--hidden", "tanh", "--epochs", "3",
                 "--batch-size", "16", "--optimizer", "adam", "--backend", "compiled",
                 "--early-stopping", "0", "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["info", str(out)]) == 0
    assert "compiled epochs" in capsys.readouterr().out
    assert main(["train", str(iris_csv), "--epochs", "3", "--backend", "numpy", "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["info", str(out)]) == 0
    assert "numpy epochs" in capsys.readouterr().out
    assert main(["train", str(iris_csv), "--optimizer", "lbfgs", "--backend", "compiled",
                 "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "--backend compiled" in err[0]
