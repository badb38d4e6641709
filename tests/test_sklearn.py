"""The scikit-learn estimators: scikit-learn's own checks, the tools around them, accuracy."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from neuronless.sklearn import NeuronlessClassifier, NeuronlessRegressor

# small instances: the checks fit a few hundred times
CHECKED = [
    NeuronlessClassifier(hidden_layer_sizes=(16,), max_iter=30, batch_size=64,
                         learning_rate=0.02, random_state=0),
    NeuronlessRegressor(hidden_layer_sizes=(16,), max_iter=30, batch_size=64,
                        learning_rate=0.02, random_state=0),
]


def _expected_failures(estimator):
    return {
        # the scaler is fitted on rows, not weights, and mini-batches are shuffled: weights
        # are equivalent to repeated rows on the whole batch without scaling (tested below)
        "check_sample_weight_equivalence_on_dense_data":
            "scaler fitted on rows and shuffled mini-batches; whole-batch case tested below",
    }


@parametrize_with_checks(CHECKED, expected_failed_checks=_expected_failures)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_scikit_learn_checks(estimator, check):
    check(estimator)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_weights_equal_repeated_rows_on_the_whole_batch():
    # the check expected to fail above, with the settings under which the claim holds
    from sklearn.utils.estimator_checks import check_sample_weight_equivalence_on_dense_data

    for est in (NeuronlessClassifier, NeuronlessRegressor):
        check_sample_weight_equivalence_on_dense_data(
            est.__name__, est(hidden_layer_sizes=(8,), batch_size=None, scale="none",
                              early_stopping=0, max_iter=20, random_state=0))


def _iris():
    from sklearn.datasets import load_iris

    return load_iris(return_X_y=True)


SMALL = dict(hidden_layer_sizes=(8,), max_iter=40, batch_size=32, learning_rate=0.02)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_random_state_gives_bit_identical_refits():
    X, y = _iris()
    a = NeuronlessClassifier(**SMALL, random_state=3).fit(X, y)
    b = NeuronlessClassifier(**SMALL, random_state=3).fit(X, y)
    c = NeuronlessClassifier(**SMALL, random_state=4).fit(X, y)
    np.testing.assert_array_equal(a.network_.params, b.network_.params)
    assert not np.array_equal(a.network_.params, c.network_.params)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_precision_follows_the_input():
    X, y = _iris()
    c32 = NeuronlessClassifier(**SMALL, random_state=0).fit(X.astype(np.float32), y)
    c64 = NeuronlessClassifier(**SMALL, random_state=0).fit(X, y)
    assert c32.network_.dtype == np.float32
    assert c64.network_.dtype == np.float64
    assert c32.predict_proba(X.astype(np.float32)).dtype == np.float32
    c_int = NeuronlessClassifier(**SMALL, random_state=0).fit((X * 10).astype(int), y)
    assert c_int.network_.dtype == np.float64


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_one_activation_per_hidden_layer_and_the_output_choice():
    X, y = _iris()
    clf = NeuronlessClassifier(hidden_layer_sizes=(6, 5), activation=["relu", "sigmoid"],
                               out_activation="sigmoid", max_iter=5, random_state=0).fit(X, y)
    assert [layer.name for layer in clf.network_.layers] == ["relu", "sigmoid", "sigmoid"]
    np.testing.assert_allclose(clf.predict_proba(X).sum(axis=1), 1.0, rtol=1e-12)
    with pytest.raises(ValueError, match="one per hidden layer"):
        NeuronlessClassifier(hidden_layer_sizes=(6, 5), activation=["relu"]).fit(X, y)


def test_partial_fit_needs_classes_first_and_runs_one_epoch_per_call():
    X, y = _iris()
    clf = NeuronlessClassifier(hidden_layer_sizes=(8,), learning_rate=0.05, random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])  # a batch without class 2
    for _ in range(29):
        clf.partial_fit(X, y)
    assert clf.n_iter_ == 30
    assert len(clf.loss_curve_) == 30
    assert clf._state_.t == 30  # Adam's steps carried over: one batch (256 > 150 rows) a call
    assert clf.loss_curve_[-1] < clf.loss_curve_[1]
    with pytest.raises(ValueError, match="not have"):
        clf.partial_fit(X, np.where(y == 2, 7, y))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_warm_start_continues_from_the_fitted_network():
    X, y = _iris()
    clf = NeuronlessClassifier(**{**SMALL, "max_iter": 5}, early_stopping=0, random_state=0,
                               warm_start=True)
    first = clf.fit(X, y).loss_curve_[-1]
    again = clf.fit(X, y).loss_curve_[0]
    assert again < first + 0.05  # continued, not restarted from the initial loss
    cold = NeuronlessClassifier(**{**SMALL, "max_iter": 5}, early_stopping=0,
                                random_state=0).fit(X, y)
    assert again < cold.loss_curve_[0] - 0.05


def test_validation_data_drives_early_stopping_and_keeps_the_best_weights():
    from sklearn.model_selection import train_test_split

    X, y = _iris()
    Xt, Xv, yt, yv = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    clf = NeuronlessClassifier(hidden_layer_sizes=(16,), max_iter=300, learning_rate=0.05,
                               batch_size=16, early_stopping=5, schedule="none",
                               label_smoothing=0.0, random_state=0)
    clf.fit(Xt, yt, validation_data=(Xv, yv))
    assert len(clf.validation_loss_curve_) == clf.n_iter_ < 300
    proba = clf.predict_proba(Xv)
    best = -np.mean(np.log(proba[np.arange(len(yv)), yv]))
    assert best == pytest.approx(min(clf.validation_loss_curve_), rel=1e-6)


def test_a_data_frame_with_text_and_missing_cells_goes_in_as_it_is():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    n = 120
    colour = rng.choice(["red", "green", None], size=n)
    size = rng.normal(size=n)
    size[::7] = np.nan
    y = np.where((colour == "red") | (np.nan_to_num(size) > 1), "yes", "no")
    frame = pd.DataFrame({"colour": colour, "size": size})
    clf = NeuronlessClassifier(hidden_layer_sizes=(8,), max_iter=200, learning_rate=0.05,
                               batch_size=32, random_state=0).fit(frame, y)
    assert clf.feature_names_in_.tolist() == ["colour", "size"]
    assert clf.model_.feature_names == ["colour=(missing)", "colour=green", "colour=red",
                                        "size", "size (missing)"]
    assert clf.score(frame, y) > 0.9
    plain = frame[["size", "size"]].to_numpy()  # a plain array may not have missing cells
    with pytest.warns(UserWarning, match="feature names"), pytest.raises(ValueError, match="NaN"):
        clf.predict(plain)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_pickle_clone_and_the_neuronless_tools_on_a_fitted_estimator(tmp_path):
    import pickle

    from sklearn.base import clone

    import neuronless as nl

    X, y = _iris()
    clf = NeuronlessClassifier(**SMALL, random_state=0).fit(X, y)
    back = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
    assert back.network_ is back.model_.net
    assert back.n_iter_ == clf.n_iter_
    fresh = clone(clf)
    assert not hasattr(fresh, "model_")
    assert fresh.get_params() == clf.get_params()
    clf.model_.save(tmp_path / "iris.nless")
    model, _ = nl.Model.load(tmp_path / "iris.nless")
    np.testing.assert_allclose(model.predict_proba(X), clf.predict_proba(X), rtol=1e-12)
    assert "<svg" in nl.draw_svg(clf.network_) if hasattr(nl, "draw_svg") else True


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_in_pipelines_column_transformers_and_searches():
    pd = pytest.importorskip("pandas")
    from sklearn.compose import ColumnTransformer
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    X, y = _iris()
    pipe = make_pipeline(StandardScaler(), NeuronlessClassifier(**SMALL, random_state=0))
    assert cross_val_score(pipe, X, y, cv=3).mean() > 0.8
    search = GridSearchCV(NeuronlessClassifier(**SMALL, random_state=0),
                          {"hidden_layer_sizes": [(4,), (8,)], "alpha": [0.0, 1.0]}, cv=3)
    assert search.fit(X, y).best_score_ > 0.8
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"]).assign(
        kind=np.where(X[:, 0] > 5.8, "big", "small"))
    ct = ColumnTransformer([("num", StandardScaler(), ["a", "b", "c", "d"]),
                            ("cat", OneHotEncoder(sparse_output=False), ["kind"])])
    ct.set_output(transform="pandas")
    pipe = make_pipeline(ct, NeuronlessRegressor(**SMALL, random_state=0))
    pipe.fit(frame, X[:, 3])
    assert pipe[-1].feature_names_in_.tolist()[-2:] == ["cat__kind_big", "cat__kind_small"]
    assert pipe.score(frame, X[:, 3]) > 0.8


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "momentum", "nesterov", "rmsprop",
                                       "irprop-", "irprop+", "rprop", "quickprop", "lbfgs",
                                       "cg", "cascade"])
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_every_optimizer_trains(optimizer):
    X, y = _iris()
    clf = NeuronlessClassifier(hidden_layer_sizes=(8,), optimizer=optimizer, max_iter=60,
                               random_state=0).fit(X, y)
    assert clf.score(X, y) > 0.6, optimizer
    assert clf.n_iter_ >= 1


@pytest.mark.parametrize(("name", "margin"), [("iris", 0.03), ("wine", 0.03),
                                              ("breast_cancer", 0.03), ("diabetes", 0.1)])
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_scores_match_scikit_learns_mlp_with_matched_settings(name, margin):
    # the settings of benchmarks/sklearn_bench.py at 40 epochs: same split, standardised
    # inputs (and regression targets), tanh layer of 32, Adam 0.01, batches of 32, the same
    # alpha, no early stopping; mean test score over 3 seeds (accuracy, R² for diabetes)
    from sklearn import datasets
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    classify = name != "diabetes"
    ours, theirs = [], []
    for seed in range(3):
        Xt, Xv, yt, yv = train_test_split(X, y, test_size=0.25, random_state=seed,
                                          stratify=y if classify else None)
        common = dict(hidden_layer_sizes=(32,), activation="tanh", batch_size=32, max_iter=40,
                      alpha=1e-3, random_state=seed)
        sk_kw = dict(common, solver="adam", learning_rate_init=0.01, tol=0.0, n_iter_no_change=41)
        nl_kw = dict(common, optimizer="adam", learning_rate=0.01, schedule="none",
                     label_smoothing=0.0, scale="standard", early_stopping=0)
        if classify:
            sk = make_pipeline(StandardScaler(), MLPClassifier(**sk_kw))
            nl = NeuronlessClassifier(**nl_kw)
        else:
            sk = TransformedTargetRegressor(make_pipeline(StandardScaler(), MLPRegressor(**sk_kw)),
                                            transformer=StandardScaler())
            nl = NeuronlessRegressor(**nl_kw)
        theirs.append(sk.fit(Xt, yt).score(Xv, yv))
        ours.append(nl.fit(Xt, yt).score(Xv, yv))
    assert np.mean(ours) >= np.mean(theirs) - margin, (ours, theirs)
