"""Stacking weights: non-negative, summing to one, minimising the squared error."""

from __future__ import annotations

import numpy as np
import pytest

from inventory_optimization.models.ensemble import (
    best_candidate,
    candidate_weights,
    stacking_weights,
)


def _check_simplex(weights: np.ndarray, n_models: int) -> None:
    assert weights.shape == (n_models,)
    assert (weights >= 0).all()
    assert weights.sum() == pytest.approx(1.0, abs=1e-12)


def test_recovers_a_known_mix(rng):
    a, b = rng.uniform(0, 5, 500), rng.uniform(0, 5, 500)
    weights = stacking_weights(np.column_stack([a, b]), 0.7 * a + 0.3 * b)
    _check_simplex(weights, 2)
    np.testing.assert_allclose(weights, [0.7, 0.3], atol=1e-3)


def test_recovers_a_three_way_mix(rng):
    models = rng.gamma(2.0, 1.0, (800, 3))
    weights = stacking_weights(models, models @ np.array([0.2, 0.0, 0.8]))
    _check_simplex(weights, 3)
    np.testing.assert_allclose(weights, [0.2, 0.0, 0.8], atol=2e-3)


def test_pure_noise_model_gets_no_weight(rng):
    truth = rng.uniform(0, 5, 1000)
    good = truth + rng.normal(0, 0.2, 1000)
    noise = rng.uniform(0, 5, 1000)
    weights = stacking_weights(np.column_stack([good, noise]), truth)
    _check_simplex(weights, 2)
    assert weights[1] < 0.02
    assert weights[0] > 0.98


def test_weights_are_non_negative_even_when_least_squares_wants_a_negative_one(rng):
    """Unconstrained least squares would put a negative weight on the anti-correlated model."""
    truth = rng.uniform(0, 5, 600)
    good = truth + rng.normal(0, 0.3, 600)
    anti = 5 - truth + rng.normal(0, 0.3, 600)
    weights = stacking_weights(np.column_stack([good, anti]), truth)
    _check_simplex(weights, 2)
    assert weights[1] < 0.05


def test_rows_with_nan_are_skipped(rng):
    a, b = rng.uniform(0, 5, 400), rng.uniform(0, 5, 400)
    predictions = np.column_stack([a, b])
    target = 0.7 * a + 0.3 * b
    clean = stacking_weights(predictions, target)
    predictions[:30, 0] = np.nan
    predictions[30:40, 1] = np.nan
    target[40:60] = np.nan
    predictions[60:80] = 1e6  # bad rows that only count when NaN rows are dropped wrongly
    target[60:80] = np.nan
    weights = stacking_weights(predictions, target)
    _check_simplex(weights, 2)
    np.testing.assert_allclose(weights, clean, atol=1e-3)


def test_degenerate_inputs_get_equal_weights():
    np.testing.assert_array_equal(stacking_weights(np.ones((5, 1)), np.ones(5)), [1.0])
    all_nan = np.full((4, 3), np.nan)
    np.testing.assert_allclose(stacking_weights(all_nan, np.ones(4)), [1 / 3] * 3)


@pytest.mark.parametrize("magnitude", [0.01, 1000.0])
def test_weights_do_not_depend_on_the_target_scale(magnitude):
    """A good (noise sd 0.3) and a poor (sd 1.5) model: the optimal weight of the good one is
    1.5^2 / (0.3^2 + 1.5^2) = 0.96 on any scale; at scale 1 it is found, at 0.01 and 1000
    the optimiser stops at [0.5, 0.5] for some (at 0.01: every) data sets."""
    found = []
    for seed in range(5):
        rng = np.random.default_rng(seed)
        truth = rng.gamma(3.0, 1.0, 2000)
        good = truth + rng.normal(0, 0.3, 2000)
        poor = truth + rng.normal(0, 1.5, 2000)
        at_unit_scale = stacking_weights(np.column_stack([good, poor]), truth)
        assert at_unit_scale[0] == pytest.approx(0.96, abs=0.02)
        scaled = stacking_weights(np.column_stack([good, poor]) * magnitude, truth * magnitude)
        found.append(scaled[0])
    np.testing.assert_allclose(found, 0.96, atol=0.02)


def test_one_model_with_wild_predictions_does_not_stall_the_weights():
    """A diverged model (one prediction in a thousand at 10,000 times the target's range, as a
    Keras net can give on a tiny-scale series) used to leave the optimiser at its equal-weight
    start; bounded to the target's range, the sane models are weighted as they deserve."""
    rng = np.random.default_rng(3)
    n = 20_000
    truth = rng.normal(10.0, 2.0, n)
    good = truth + rng.normal(0.0, 0.5, n)
    fair = truth + rng.normal(0.0, 1.5, n)
    wild = truth + rng.normal(0.0, 1.0, n)
    diverged = rng.random(n) < 0.001
    wild[diverged] = 1e5 * rng.choice([-1.0, 1.0], diverged.sum())
    weights = stacking_weights(np.column_stack([good, fair, wild]), truth)
    assert weights[0] > 0.6 and weights[2] < 0.2
    assert weights.sum() == pytest.approx(1.0)


def test_candidates_are_stacking_the_top_three_average_and_each_model():
    stacked = {"a": 0.1, "b": 0.2, "c": 0.3, "d": 0.4}
    scores = {"a": 0.5, "b": 0.2, "c": float("nan"), "d": 0.3}
    candidates = candidate_weights(stacked, scores)
    # NaN ranks last: the best three are b, d, a
    assert list(candidates) == [
        "stacking",
        "average of b, d, a",
        "a alone",
        "b alone",
        "c alone",
        "d alone",
    ]
    assert candidates["stacking"] == stacked
    assert candidates["average of b, d, a"] == {
        "a": 0.333333,
        "b": 0.333333,
        "c": 0.0,
        "d": 0.333333,
    }
    assert candidates["c alone"] == {"a": 0.0, "b": 0.0, "c": 1.0, "d": 0.0}
    two = candidate_weights({"a": 0.5, "b": 0.5}, {"a": 1.0, "b": 2.0})
    assert two["average of a, b"] == {"a": 0.5, "b": 0.5}


def test_best_candidate_is_the_lowest_score_and_keeps_the_first_of_equals():
    assert best_candidate({"stacking": 0.4, "x alone": 0.3, "y alone": 0.5}) == "x alone"
    assert best_candidate({"stacking": 0.3, "x alone": 0.3}) == "stacking"
    assert best_candidate({"stacking": float("nan"), "x alone": 0.9}) == "x alone"
