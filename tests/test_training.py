"""fit, Trainer, History, stopping, NaN handling and input checks."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from neuronless import (
    SGD,
    Adam,
    AdamW,
    ConfigError,
    EarlyStopping,
    IRpropMinus,
    IRpropPlus,
    Momentum,
    Nesterov,
    Network,
    Quickprop,
    RMSprop,
    ShapeError,
    Trainer,
    TrainingDivergedError,
    accuracy,
    fit,
    loss_and_grads,
    one_hot,
    predict_classes,
    step_decay,
)

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR_Y = np.array([[0], [1], [1], [0]], dtype=np.float32)

# per optimizer: a configuration that solves XOR in well under a second (full batch)
XOR_OPTIMIZERS = {
    "sgd": SGD(learning_rate=2.0),
    "momentum": Momentum(learning_rate=0.5, momentum=0.9),
    "nesterov": Nesterov(learning_rate=0.5, momentum=0.9),
    "adam": Adam(learning_rate=0.05),
    "adamw": AdamW(learning_rate=0.05, weight_decay=0.01),
    "rmsprop": RMSprop(learning_rate=0.02),
    "irprop-": IRpropMinus(),
    "irprop+": IRpropPlus(),
    "quickprop": Quickprop(learning_rate=0.5),
}
ALL = list(XOR_OPTIMIZERS)


def regression_data(rng, m=40, n_in=3, n_out=2):
    X = rng.normal(size=(m, n_in))
    Y = np.tanh(X @ rng.normal(size=(n_in, n_out))) * 0.5 + 0.5
    return X, Y


class Recorder:
    """A callback that keeps a copy of the parameters after every epoch."""

    def __init__(self):
        self.params: dict[int, np.ndarray] = {}

    def __call__(self, net, history):
        self.params[history.epoch[-1]] = net.params.copy()


# ----------------------------------------------------------------- convergence
@pytest.mark.parametrize("name", ALL)
def test_xor_converges_with_every_optimizer(name):
    net = Network.create([2, 4, 1], hidden="tanh", output="sigmoid", seed=3)
    history = fit(net, XOR_X, XOR_Y, "binary_cross_entropy", XOR_OPTIMIZERS[name],
                  epochs=2000, seed=0, target_loss=0.05)
    assert history.stopped_reason.startswith("target loss")
    assert history.train_loss[-1] <= 0.05
    assert predict_classes(net, XOR_X).tolist() == [0, 1, 1, 0]


@pytest.mark.parametrize("name", ["irprop-", "adam"])
def test_long_training_tolerates_underflow(name):
    # XOR trained far past convergence: gradients shrink until products underflow, which is
    # harmless and must not abort training (the test suite raises on every FP error)
    net = Network.create([2, 4, 1], hidden="tanh", output="sigmoid", seed=3)
    history = fit(net, XOR_X, XOR_Y, "binary_cross_entropy", XOR_OPTIMIZERS[name], epochs=1500,
                  seed=0)
    assert len(history) == 1500
    assert history.train_loss[-1] < 1e-3


def test_digits_reach_95_percent_with_adam():
    digits = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(
        digits.data / 16.0, digits.target, test_size=0.25, stratify=digits.target,
        random_state=0,
    )
    net = Network.create([64, 32, 10], hidden="relu", output="softmax", seed=0)
    history = fit(net, X_train, one_hot(y_train), "cross_entropy", Adam(learning_rate=0.01),
                  epochs=20, batch_size=32, seed=0)
    assert len(history) == 20
    assert accuracy(y_test, net.forward(X_test)) >= 0.95


def test_shortcut_network_trains():
    net = Network.create([2, 3, 1], hidden="tanh", output="sigmoid", shortcut=True, seed=1)
    assert net.shapes == [(3, 3), (6, 1)]
    history = fit(net, XOR_X, XOR_Y, optimizer=Adam(learning_rate=0.05), epochs=2000,
                  target_loss=0.05)
    assert history.train_loss[-1] <= 0.05
    assert predict_classes(net, XOR_X).tolist() == [0, 1, 1, 0]


@pytest.mark.parametrize("name", ALL)
def test_masked_weights_stay_exactly_zero_with_every_optimizer(name, rng):
    net = Network.create([4, 6, 3], hidden="tanh", output="sigmoid", connection_rate=0.5,
                         seed=2, dtype=np.float64)
    assert net.mask is not None
    off = ~net.mask
    assert off.any()
    np.testing.assert_array_equal(net.params[off], 0.0)
    X, Y = regression_data(rng, n_in=4, n_out=3)
    before = net.params.copy()
    history = fit(net, X, Y, "mse", XOR_OPTIMIZERS[name], epochs=30, l2=0.01, seed=0)
    assert history.train_loss[-1] < history.train_loss[0]
    np.testing.assert_array_equal(net.params[off], 0.0)
    assert not np.array_equal(net.params[net.mask], before[net.mask])


@pytest.mark.parametrize("threads", [1, None, "auto"])
def test_threads_settings_train_the_same(threads, rng):
    X, Y = regression_data(rng)
    reference = Network.create([3, 5, 2], seed=0, dtype=np.float64)
    fit(reference, X, Y, "mse", SGD(learning_rate=0.5), epochs=20, threads=1)
    net = Network.create([3, 5, 2], seed=0, dtype=np.float64)
    fit(net, X, Y, "mse", SGD(learning_rate=0.5), epochs=20, threads=threads)
    np.testing.assert_allclose(net.params, reference.params, rtol=1e-12)


@pytest.mark.parametrize("threads", [0, -1, "many", 1.5])
def test_bad_threads_raise(threads):
    net = Network.create([2, 4, 1], seed=0)
    with pytest.raises(ConfigError, match="threads"):
        fit(net, XOR_X, XOR_Y, epochs=1, threads=threads)


# ----------------------------------------------------------------- determinism
def _trained(seed):
    rng = np.random.default_rng(5)
    X, Y = regression_data(rng, m=50)
    net = Network.create([3, 5, 2], seed=0)
    fit(net, X, Y, "mse", Adam(learning_rate=0.01), epochs=5, batch_size=8, shuffle=True,
        seed=seed)
    return net.params


def test_same_seed_gives_bit_identical_params():
    np.testing.assert_array_equal(_trained(7), _trained(7))


def test_different_seeds_give_different_params():
    assert not np.array_equal(_trained(7), _trained(8))


# ----------------------------------------------------------------- Trainer
def test_trainer_step_is_one_sgd_step(rng):
    X, Y = regression_data(rng, m=6)
    net = Network.create([3, 4, 2], seed=0, dtype=np.float64)
    expected_loss, grads = loss_and_grads(net, X, Y, "mse")
    expected = net.params - 0.1 * grads
    trainer = Trainer(net, "mse", SGD(learning_rate=0.1))
    assert trainer.step(X, Y) == pytest.approx(expected_loss, rel=1e-12)
    np.testing.assert_allclose(net.params, expected, rtol=1e-12)
    _, grads = loss_and_grads(net, X, Y, "mse")
    expected = net.params - 0.3 * grads
    trainer.step(X, Y, learning_rate=0.3)  # a rate for this step only (schedules)
    np.testing.assert_allclose(net.params, expected, rtol=1e-12)


def test_trainer_epoch_steps_through_batches_in_order(rng):
    X, Y = regression_data(rng, m=5)
    net = Network.create([3, 4, 2], seed=0, dtype=np.float64)
    manual = net.copy()
    losses = []
    for rows in (slice(0, 2), slice(2, 4), slice(4, 5)):
        loss, grads = loss_and_grads(manual, X[rows], Y[rows], "mse")
        losses.append(loss * (rows.stop - rows.start))
        manual.params[...] -= 0.2 * grads
    trainer = Trainer(net, "mse", SGD(learning_rate=0.2), batch_size=2)
    mean_loss = trainer.epoch(X, Y)
    assert mean_loss == pytest.approx(sum(losses) / 5, rel=1e-12)
    np.testing.assert_allclose(net.params, manual.params, rtol=1e-12)


def test_trainer_epoch_reduces_loss():
    net = Network.create([2, 4, 1], seed=0)
    trainer = Trainer(net, "binary_cross_entropy", Adam(learning_rate=0.05))
    first = trainer.epoch(XOR_X, XOR_Y)
    for _ in range(20):
        last = trainer.epoch(XOR_X, XOR_Y)
    assert last < first


# ----------------------------------------------------------------- History
def test_history_records_every_epoch(rng):
    X, Y = regression_data(rng)
    net = Network.create([3, 5, 2], seed=0)
    history = fit(net, X, Y, "mse", SGD(learning_rate=0.5), epochs=7)
    assert history.epoch == list(range(7))
    assert len(history) == len(history.train_loss) == len(history.time) == 7
    assert history.val_loss == []
    assert history.learning_rate == [0.5] * 7
    assert history.train_loss[-1] < history.train_loss[0]
    assert all(b >= a for a, b in zip(history.time, history.time[1:], strict=False))
    assert history.time[-1] > 0
    assert history.stopped_reason == "epochs"
    assert "7 epochs" in str(history)


def test_history_train_loss_is_the_full_batch_loss_before_each_step(rng):
    X, Y = regression_data(rng)
    net = Network.create([3, 5, 2], seed=0, dtype=np.float64)
    copy = net.copy()
    history = fit(net, X, Y, "mse", SGD(learning_rate=0.5), epochs=3)
    for epoch in range(3):
        loss, grads = loss_and_grads(copy, X, Y, "mse")
        assert history.train_loss[epoch] == pytest.approx(loss, rel=1e-12)
        copy.params[...] -= 0.5 * grads


def test_history_validation_loss_and_accuracy():
    digits = load_digits(n_class=3)
    X, y = digits.data[:300] / 16.0, digits.target[:300]
    Xv, yv = digits.data[300:] / 16.0, digits.target[300:]
    net = Network.create([64, 8, 3], hidden="tanh", output="softmax", seed=0)
    history = fit(net, X, one_hot(y), "cross_entropy", Adam(learning_rate=0.01), epochs=5,
                  batch_size=50, seed=0, validation=(Xv, one_hot(yv, 3)))
    assert len(history.val_loss) == 5
    assert list(history.val_metrics) == ["accuracy"]
    assert len(history.val_metrics["accuracy"]) == 5
    assert history.val_metrics["accuracy"][-1] == pytest.approx(accuracy(yv, net.forward(Xv)))
    out = net.forward(Xv)
    want = -np.mean(np.log(out[np.arange(len(yv)), yv]))  # cross-entropy by hand
    assert history.val_loss[-1] == pytest.approx(want, rel=1e-4)
    assert history.last()["val_accuracy"] == history.val_metrics["accuracy"][-1]


def test_history_with_validation_fraction(rng):
    X = rng.normal(size=(40, 2))
    Y = (X[:, :1] > 0).astype(float)
    net = Network.create([2, 3, 1], seed=0)
    history = fit(net, X, Y, "binary_cross_entropy", Adam(learning_rate=0.05), epochs=4,
                  validation_fraction=0.25, seed=1)
    assert len(history.val_loss) == 4
    assert len(history.val_metrics["accuracy"]) == 4
    assert all(v in {k / 10 for k in range(11)} for v in history.val_metrics["accuracy"])


def test_regression_history_has_no_accuracy(rng):
    X, Y = regression_data(rng)
    net = Network.create([3, 5, 2], output="identity", seed=0)
    history = fit(net, X, Y, "mse", epochs=2, validation=(X, Y))
    assert len(history.val_loss) == 2
    assert history.val_metrics == {}


def test_learning_rate_follows_schedule(rng):
    X, Y = regression_data(rng)
    sched = step_decay(0.4, drop=0.5, every=2)
    net = Network.create([3, 5, 2], seed=0, dtype=np.float64)
    history = fit(net, X, Y, "mse", SGD(learning_rate=0.01), epochs=5, schedule=sched)
    assert history.learning_rate == pytest.approx([0.4, 0.4, 0.2, 0.2, 0.1])
    # and the optimizer really used those rates
    manual = Network.create([3, 5, 2], seed=0, dtype=np.float64)
    for epoch in range(5):
        _, grads = loss_and_grads(manual, X, Y, "mse")
        manual.params[...] -= sched(epoch) * grads
    np.testing.assert_allclose(net.params, manual.params, rtol=1e-10)


# ----------------------------------------------------------------- stopping
def test_early_stopping_restores_best_weights(rng):
    # few noisy training points, a big net and a fast optimizer: the validation loss
    # reaches its minimum early and then rises as the net overfits
    X = rng.uniform(-1, 1, size=(8, 1))
    Y = np.sin(3 * X) + rng.normal(scale=0.3, size=X.shape)
    Xv = np.linspace(-1, 1, 50).reshape(-1, 1)
    Yv = np.sin(3 * Xv)
    net = Network.create([1, 30, 1], output="identity", seed=0, dtype=np.float64)
    rec = Recorder()
    history = fit(net, X, Y, "mse", Adam(learning_rate=0.05), epochs=2000,
                  validation=(Xv, Yv), early_stopping=EarlyStopping(patience=20),
                  callbacks=[rec])
    assert history.stopped_reason.startswith("early stopping")
    assert len(history) < 2000
    best = history.best_epoch
    assert best is not None
    assert best == int(np.argmin(history.val_loss))
    assert best <= len(history) - 1 - 20
    np.testing.assert_array_equal(net.params, rec.params[best])
    assert not np.array_equal(net.params, rec.params[len(history) - 2])


def test_early_stopping_on_training_loss_without_restore(rng):
    # nothing improves by 1e9 after the first epoch: stop after patience more epochs
    X, Y = regression_data(rng)
    net = Network.create([3, 5, 2], seed=0)
    rec = Recorder()
    history = fit(net, X, Y, "mse", SGD(learning_rate=0.1), epochs=50,
                  early_stopping=EarlyStopping(patience=3, min_delta=1e9, restore_best=False),
                  callbacks=[rec])
    assert len(history) == 4
    assert history.best_epoch == 0
    assert not np.array_equal(net.params, rec.params[0])


@pytest.mark.parametrize(
    "kwargs", [{"patience": 0}, {"patience": 2.5}, {"min_delta": -1.0}]
)
def test_bad_early_stopping_raises(kwargs):
    with pytest.raises(ConfigError, match="EarlyStopping"):
        EarlyStopping(**kwargs)


def test_target_loss_stops_training():
    net = Network.create([2, 4, 1], seed=0)
    history = fit(net, XOR_X, XOR_Y, optimizer=Adam(learning_rate=0.05), epochs=5000,
                  target_loss=0.3)
    assert history.train_loss[-1] <= 0.3
    assert all(loss > 0.3 for loss in history.train_loss[:-1])
    assert "target loss" in history.stopped_reason
    assert len(history) < 5000


def test_callback_returning_true_stops_training():
    seen = []

    def stop_after_three(net, history):
        seen.append(history.epoch[-1])
        return len(history) == 3

    net = Network.create([2, 4, 1], seed=0)
    history = fit(net, XOR_X, XOR_Y, epochs=100, callbacks=[stop_after_three])
    assert len(history) == 3
    assert seen == [0, 1, 2]
    assert "callback" in history.stopped_reason


def test_callback_returning_other_values_does_not_stop():
    net = Network.create([2, 4, 1], seed=0)
    history = fit(net, XOR_X, XOR_Y, epochs=5, callbacks=[lambda net, h: None])
    assert len(history) == 5


def test_zero_epochs_leave_the_network_alone():
    net = Network.create([2, 4, 1], seed=0)
    before = net.params.copy()
    history = fit(net, XOR_X, XOR_Y, epochs=0)
    assert len(history) == 0
    np.testing.assert_array_equal(net.params, before)


# ----------------------------------------------------------------- divergence
def _divergent_problem(rng):
    X = rng.normal(size=(30, 3))
    Y = 1e3 * rng.normal(size=(30, 1))
    net = Network.create([3, 5, 1], output="identity", seed=0)
    return net, X, Y


def test_huge_learning_rate_raises_training_diverged(rng):
    net, X, Y = _divergent_problem(rng)
    rec = Recorder()
    with pytest.raises(TrainingDivergedError, match=r"epoch \d+") as info:
        fit(net, X, Y, "mse", SGD(learning_rate=1e6), epochs=50, callbacks=[rec])
    message = str(info.value)
    assert "learning rate" in message
    assert "1000000.0" in message
    assert np.all(np.isfinite(net.params))
    assert rec.params  # it diverged after some good epochs...
    # ...and the weights are those at the end of the last good one
    np.testing.assert_array_equal(net.params, rec.params[max(rec.params)])


def test_on_nan_restore_stops_and_says_so(rng):
    net, X, Y = _divergent_problem(rng)
    rec = Recorder()
    history = fit(net, X, Y, "mse", SGD(learning_rate=1e6), epochs=50, on_nan="restore",
                  callbacks=[rec])
    assert "non-finite" in history.stopped_reason
    assert len(history) < 50
    assert np.all(np.isfinite(net.params))
    assert np.all(np.isfinite(history.train_loss))
    assert len(rec.params) == len(history)
    np.testing.assert_array_equal(net.params, rec.params[max(rec.params)])


# ----------------------------------------------------------------- bad input
def test_nan_in_X_raises():
    X = XOR_X.copy()
    X[2, 1] = np.nan
    with pytest.raises(ConfigError, match="row 2"):
        fit(Network.create([2, 4, 1], seed=0), X, XOR_Y, epochs=1)


def test_nan_in_Y_raises():
    Y = XOR_Y.copy()
    Y[1, 0] = np.inf
    with pytest.raises(ConfigError, match="Y must hold finite"):
        fit(Network.create([2, 4, 1], seed=0), XOR_X, Y, "mse", epochs=1)


def test_wrong_Y_shape_raises():
    with pytest.raises(ShapeError, match=r"Y must have shape \(4, 1\)"):
        fit(Network.create([2, 4, 1], seed=0), XOR_X, np.zeros((4, 2)), epochs=1)
    with pytest.raises(ShapeError, match="Y must have shape"):
        fit(Network.create([2, 4, 1], seed=0), XOR_X, np.zeros(3), epochs=1)


def test_bce_targets_outside_unit_interval_raise():
    with pytest.raises(ConfigError, match=r"\[0, 1\]"):
        fit(Network.create([2, 4, 1], seed=0), XOR_X, XOR_Y * 2, "binary_cross_entropy",
            epochs=1)


def test_cross_entropy_targets_must_be_one_hot():
    net = Network.create([2, 4, 3], output="softmax", seed=0)
    labels = np.array([[0], [1], [2], [1]])
    with pytest.raises(ShapeError):  # labels instead of rows: wrong shape
        fit(net, XOR_X, labels, "cross_entropy", epochs=1)
    not_one_hot = np.array([[1, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]])
    with pytest.raises(ConfigError, match="one_hot"):
        fit(net, XOR_X, not_one_hot, "cross_entropy", epochs=1)


@pytest.mark.parametrize("batch_size", [0, -3, 2.5, "32"])
def test_bad_batch_size_raises(batch_size):
    with pytest.raises(ConfigError, match="batch_size"):
        fit(Network.create([2, 4, 1], seed=0), XOR_X, XOR_Y, epochs=1, batch_size=batch_size)


def test_validation_and_validation_fraction_together_raise():
    with pytest.raises(ConfigError, match="not both"):
        fit(Network.create([2, 4, 1], seed=0), XOR_X, XOR_Y, epochs=1,
            validation=(XOR_X, XOR_Y), validation_fraction=0.25)


@pytest.mark.parametrize("fraction", [0.0, 1.0, 0.01, 1.5])
def test_bad_validation_fraction_raises(fraction):
    with pytest.raises(ConfigError, match="validation_fraction"):
        fit(Network.create([2, 4, 1], seed=0), XOR_X, XOR_Y, epochs=1,
            validation_fraction=fraction)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"epochs": -1}, "epochs"),
        ({"on_nan": "ignore"}, "on_nan"),
        ({"optimizer": "adagrad"}, "optimizer"),
        ({"loss": "hinge"}, "loss"),
        ({"validation": (XOR_X,)}, "pair"),
    ],
)
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        fit(Network.create([2, 4, 1], seed=0), XOR_X, XOR_Y, **kwargs)


def test_empty_X_raises():
    with pytest.raises(ConfigError, match="no rows"):
        fit(Network.create([2, 4, 1], seed=0), np.zeros((0, 2)), np.zeros((0, 1)), epochs=1)


def test_weights_overflowing_in_the_last_step_are_caught_and_restored():
    # one full-batch SGD step per epoch: the loss it reports is measured *before* the step,
    # so only a check of the weights themselves can see that the step overflowed them
    X = np.array([[1.0]], dtype=np.float32)
    Y = np.array([[1.0e15]], dtype=np.float32)  # loss 5e29: finite in float32
    net = Network.from_weights([np.array([[0.0], [0.0]], dtype=np.float32)], ["identity"])
    with pytest.raises(TrainingDivergedError, match="weights became non-finite in epoch 0"):
        fit(net, X, Y, loss="mse", optimizer=SGD(learning_rate=1e30), epochs=1)
    assert np.all(net.params == 0.0)  # restored to the initial weights


def test_step_decay_needs_whole_epochs():
    with pytest.raises(ConfigError, match="every must be a whole number"):
        step_decay(0.1, every=2.5)


def test_progress_writes_one_line_per_reported_epoch():
    import io

    stream = io.StringIO()
    net = Network.create([2, 4, 1], seed=0)
    fit(net, XOR_X, XOR_Y, loss="binary_cross_entropy", optimizer=Adam(0.05), epochs=20,
        validation=(XOR_X, XOR_Y), progress=stream)
    lines = stream.getvalue().splitlines()
    # a file (or True): every epochs // 10 = 2 epochs, plus the last one
    assert [line.split()[1] for line in lines] == [f"{e}/20" for e in (1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 20)]
    assert lines[0].startswith("epoch 1/20  loss ")
    assert "val_loss" in lines[0]
    assert "val_accuracy" in lines[0]


def test_progress_every_n_epochs_goes_to_stderr(capsys):
    net = Network.create([2, 4, 1], seed=0)
    fit(net, XOR_X, XOR_Y, loss="binary_cross_entropy", epochs=9, progress=3)
    err = capsys.readouterr().err.splitlines()
    assert [line.split()[1] for line in err] == ["1/9", "4/9", "7/9", "9/9"]


@pytest.mark.parametrize("threads", [0, -1, "many", 1.5])
def test_bad_threads_is_a_config_error(threads):
    net = Network.create([2, 4, 1], seed=0)
    with pytest.raises(ConfigError, match="threads must be"):
        fit(net, XOR_X, XOR_Y, epochs=1, threads=threads)


def test_validation_targets_are_checked_like_training_targets():
    net = Network.create([2, 4, 2], output="softmax", seed=0)
    Y = one_hot([0, 1, 1, 0], 2)
    with pytest.raises(ConfigError, match="Y_val rows must be probability distributions"):
        fit(net, XOR_X, Y, epochs=1, validation=(XOR_X, Y * 2))


# ----------------------------------------------------------------- one batch per call
def test_fit_of_one_epoch_is_a_fresh_trainers_epoch(rng):
    # what fit(epochs=1) does around the epoch (checks, thread limit, history) must not touch
    # the numbers: each call is a new Trainer (a fresh optimizer state) taking one epoch
    X, Y = (A.astype(np.float32) for A in regression_data(rng, m=12))
    net = Network.create([3, 5, 2], seed=0)
    manual = net.copy()
    for _ in range(3):
        history = fit(net, X, Y, "mse", Adam(learning_rate=0.05), epochs=1)
        loss = Trainer(manual, "mse", Adam(learning_rate=0.05)).epoch(X, Y)
        assert history.train_loss == [loss]
        np.testing.assert_array_equal(net.params, manual.params)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("batch_size", [None, 3])
def test_fit_with_state_continues_the_optimizer_across_calls(name, batch_size):
    # four calls of one epoch carrying the state are one fit of four epochs, bit for bit
    optimizer = XOR_OPTIMIZERS[name]
    once = Network.create([2, 4, 1], seed=0)
    fit(once, XOR_X, XOR_Y, optimizer=optimizer, epochs=4, batch_size=batch_size,
        shuffle=False)
    net = Network.create([2, 4, 1], seed=0)
    state = optimizer.init(net.params)
    for _ in range(4):
        history = fit(net, XOR_X, XOR_Y, optimizer=optimizer, epochs=1,
                      batch_size=batch_size, shuffle=False, state=state)
        assert history.epoch == [0]
    np.testing.assert_array_equal(net.params, once.params)
    assert state.t == 4 * (1 if batch_size is None else 2)


def test_fit_without_state_restarts_the_optimizer_every_call():
    fresh, carried = Network.create([2, 4, 1], seed=0), Network.create([2, 4, 1], seed=0)
    state = Adam(learning_rate=0.05).init(carried.params)
    for _ in range(2):
        fit(fresh, XOR_X, XOR_Y, optimizer=Adam(learning_rate=0.05), epochs=1)
        fit(carried, XOR_X, XOR_Y, optimizer=Adam(learning_rate=0.05), epochs=1, state=state)
    assert not np.array_equal(fresh.params, carried.params)  # Adam's second step differs


def test_fit_accepts_a_trainers_state():
    net = Network.create([2, 4, 1], seed=0)
    trainer = Trainer(net, None, Adam(learning_rate=0.05))
    trainer.epoch(XOR_X, XOR_Y)
    fit(net, XOR_X, XOR_Y, optimizer=Adam(learning_rate=0.05), epochs=2, state=trainer.state)
    assert trainer.state.t == 3


@pytest.mark.parametrize(
    ("make_state", "match"),
    [
        (lambda net: Momentum().init(net.params), r"expected arrays \['m', 'scratch', 'v'\]"),
        (lambda net: Adam().init(np.zeros(3, dtype=np.float32)), "does not fit Adam"),
        (lambda net: Adam().init(net.params.astype(np.float64)), "does not fit Adam"),
        (lambda net: {"m": net.params.copy()}, "does not fit Adam"),
    ],
)
def test_a_state_of_another_optimizer_or_network_is_a_config_error(make_state, match):
    net = Network.create([2, 4, 1], seed=0)
    before = net.params.copy()
    with pytest.raises(ConfigError, match=match):
        fit(net, XOR_X, XOR_Y, optimizer="adam", epochs=1, state=make_state(net))
    np.testing.assert_array_equal(net.params, before)


def test_state_and_resume_together_raise(tmp_path):
    net = Network.create([2, 4, 1], seed=0)
    with pytest.raises(ConfigError, match="not both"):
        fit(net, XOR_X, XOR_Y, epochs=1, state=Adam().init(net.params),
            resume=tmp_path / "run.nless")


def test_trainer_checks_loss_and_l2_when_built():
    net = Network.create([2, 4, 1], output="sigmoid", seed=0)
    with pytest.raises(ConfigError, match="needs a softmax output layer"):
        Trainer(net, "cross_entropy")
    with pytest.raises(ConfigError, match="l2 must be a non-negative number"):
        Trainer(net, "mse", l2=-1.0)


@pytest.mark.parametrize("kwargs", [{}, {"batch_size": 2}, {"validation_fraction": 0.25}])
def test_a_bad_seed_raises_whether_or_not_fit_draws_from_it(kwargs):
    with pytest.raises(ConfigError, match="seed must be"):
        fit(Network.create([2, 4, 1], seed=0), XOR_X, XOR_Y, epochs=1, seed="7", **kwargs)


def test_full_batch_fit_leaves_a_given_generator_alone():
    gen = np.random.default_rng(3)
    expected = np.random.default_rng(3).random()
    fit(Network.create([2, 4, 1], seed=0), XOR_X, XOR_Y, epochs=2, seed=gen)
    assert gen.random() == expected


# ----------------------------------------------------------------- BLAS threads
def _blas_threads() -> list[int]:
    from threadpoolctl import threadpool_info

    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_threads_limit_blas_during_fit_and_restore_it_after():
    from threadpoolctl import threadpool_limits

    seen: list[list[int]] = []
    with threadpool_limits(limits=2, user_api="blas"):  # at most 2, fewer on a 1-CPU machine
        outside = _blas_threads()
        fit(Network.create([2, 4, 1], seed=0), XOR_X, XOR_Y, epochs=2, threads=1,
            callbacks=[lambda net, history: seen.append(_blas_threads())])
        assert _blas_threads() == outside
        with threadpool_limits(limits=1, user_api="blas"):  # a caller's own limit: kept
            fit(Network.create([2, 4, 1], seed=0), XOR_X, XOR_Y, epochs=1, threads=1,
                callbacks=[lambda net, history: seen.append(_blas_threads())])
            assert all(n == 1 for n in _blas_threads())
    assert len(seen) == 3
    assert all(n == 1 for threads in seen for n in threads)


def test_blas_libraries_are_looked_up_again_after_new_imports(monkeypatch):
    import sys
    import types

    from neuronless.training import _Blas

    first = _Blas.get()
    assert _Blas.get() is first  # cached: walking the loaded libraries costs milliseconds
    monkeypatch.setitem(sys.modules, "_a_module_linking_a_new_blas", types.ModuleType("m"))
    assert _Blas.get() is not first
