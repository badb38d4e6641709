"""Learning-rate schedules: values worked out by hand, and argument checks."""

from __future__ import annotations

import math

import pytest

from neuronless import ConfigError, constant, cosine, exponential, inverse_scaling, step_decay


def test_constant_is_constant():
    sched = constant(0.3)
    assert [sched(e) for e in (0, 1, 100)] == [0.3, 0.3, 0.3]
    assert isinstance(sched(5), float)


def test_step_decay_halves_every_period():
    sched = step_decay(0.1, drop=0.5, every=10)
    assert [sched(e) for e in (0, 9, 10, 19, 20, 35)] == pytest.approx(
        [0.1, 0.1, 0.05, 0.05, 0.025, 0.0125]
    )


def test_step_decay_with_other_drop():
    sched = step_decay(1.0, drop=0.1, every=3)
    assert [sched(e) for e in range(7)] == pytest.approx([1, 1, 1, 0.1, 0.1, 0.1, 0.01])


def test_exponential_by_hand():
    sched = exponential(2.0, gamma=0.5)
    assert [sched(e) for e in range(4)] == pytest.approx([2.0, 1.0, 0.5, 0.25])


def test_inverse_scaling_by_hand():
    sched = inverse_scaling(1.0, power_t=0.5)
    assert [sched(e) for e in (0, 3, 8)] == pytest.approx([1.0, 0.5, 1 / 3])
    sched = inverse_scaling(0.6, power_t=1.0)
    assert [sched(e) for e in (0, 1, 2)] == pytest.approx([0.6, 0.3, 0.2])


def test_cosine_by_hand():
    sched = cosine(1.0, epochs=4, min_learning_rate=0.2)
    # 0.2 + 0.4 * (1 + cos(pi * e / 4)); constant at the minimum after epoch 4
    want = [1.0, 0.2 + 0.4 * (1 + math.sqrt(0.5)), 0.6, 0.2 + 0.4 * (1 - math.sqrt(0.5)), 0.2, 0.2]
    assert [sched(e) for e in range(6)] == pytest.approx(want)


def test_cosine_default_minimum_is_zero():
    sched = cosine(0.5, epochs=2)
    assert [sched(e) for e in range(4)] == pytest.approx([0.5, 0.25, 0.0, 0.0])


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: constant(0.0), "learning_rate"),
        (lambda: constant(-1.0), "learning_rate"),
        (lambda: constant(float("inf")), "learning_rate"),
        (lambda: step_decay(0.1, drop=0.0), "drop"),
        (lambda: step_decay(0.1, every=0), "every"),
        (lambda: step_decay(-0.1), "learning_rate"),
        (lambda: exponential(0.1, gamma=-0.5), "gamma"),
        (lambda: exponential(float("nan")), "learning_rate"),
        (lambda: inverse_scaling(0.1, power_t=0.0), "power_t"),
        (lambda: cosine(0.1, epochs=0), "epochs"),
        (lambda: cosine(0.1, epochs=10, min_learning_rate=0.2), "min_learning_rate"),
        (lambda: cosine(0.1, epochs=10, min_learning_rate=-0.01), "min_learning_rate"),
    ],
)
def test_bad_arguments_raise_config_error(make, match):
    with pytest.raises(ConfigError, match=match):
        make()
