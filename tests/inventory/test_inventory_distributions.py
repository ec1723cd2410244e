"""Demand distributions from forecast quantiles: sampling, cover-period sums, loss function."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from inventory_optimization.inventory import (
    distributions,
    expected_shortage,
    lead_time_demand_mean,
    lead_time_demand_quantiles,
    quantile_array,
    sample_period_demand,
)

LEVELS = np.array([0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99])
FAST = settings(max_examples=30, deadline=None)


def random_quantiles(seed: int, n_series: int, n_periods: int) -> np.ndarray:
    """Non-crossing, non-negative tables; some rows start at zero (intermittent demand)."""
    rng = np.random.default_rng(seed)
    start = rng.uniform(0, 30, (n_series, n_periods, 1)) * (rng.random((n_series, 1, 1)) > 0.2)
    steps = rng.exponential(2.0, (n_series, n_periods, len(LEVELS) - 1))
    steps *= rng.random(steps.shape) > 0.1  # repeated values happen with counts
    return np.concatenate([start, start + np.cumsum(steps, axis=-1)], axis=-1)


def test_samples_reproduce_the_quantile_table():
    table = stats.norm.ppf(LEVELS, loc=[[50.0], [8.0]], scale=[[10.0], [2.0]])[:, None, :]
    samples = sample_period_demand(table, LEVELS, 40_000, np.random.default_rng(0))
    assert samples.shape == (2, 1, 40_000)
    empirical = np.quantile(samples, LEVELS, axis=-1).transpose(1, 2, 0)
    np.testing.assert_allclose(empirical, table, rtol=0.02)


@FAST
@given(seed=st.integers(0, 2**32 - 1), n_series=st.integers(1, 4), n_periods=st.integers(1, 5))
def test_samples_are_finite_non_negative_and_shaped(seed, n_series, n_periods):
    table = random_quantiles(seed, n_series, n_periods)
    samples = sample_period_demand(table, LEVELS, 50, seed)
    assert samples.shape == (n_series, n_periods, 50)
    assert np.isfinite(samples).all()
    assert (samples >= 0).all()


def test_constant_demand_has_exact_cover_quantile_and_mean():
    table = np.full((3, 5, len(LEVELS)), 4.0)
    cover = np.array([1, 3, 7])  # 7 runs past the horizon: the last period repeats
    np.testing.assert_allclose(lead_time_demand_quantiles(table, LEVELS, cover, 0.9), 4 * cover)
    np.testing.assert_allclose(lead_time_demand_mean(table, LEVELS, cover), 4 * cover)


def test_cover_sum_of_normal_periods_matches_the_theory():
    table = np.broadcast_to(stats.norm.ppf(LEVELS, 50, 5), (2, 4, len(LEVELS)))
    quantile = lead_time_demand_quantiles(table, LEVELS, 4, np.array([0.5, 0.9]), 8_000)
    expected = stats.norm.ppf([0.5, 0.9], 200, 10)
    np.testing.assert_allclose(quantile, expected, atol=1.0)
    np.testing.assert_allclose(lead_time_demand_mean(table, LEVELS, 4), 200.0, atol=0.5)


@FAST
@given(
    seed=st.integers(0, 2**32 - 1),
    cover=st.integers(0, 6),
    extra=st.integers(1, 3),
    target=st.floats(0.5, 0.98),
    step=st.floats(0.001, 0.02),
)
def test_cover_quantile_rises_with_target_and_cover(seed, cover, extra, target, step):
    table = random_quantiles(seed, 3, 5)
    base = lead_time_demand_quantiles(table, LEVELS, cover, target, 100, seed)
    assert (
        lead_time_demand_quantiles(table, LEVELS, cover, target + step, 100, seed) >= base - 1e-9
    ).all()  # equal draws may differ in the last bits
    longer = lead_time_demand_quantiles(table, LEVELS, cover + extra, target, 100, seed)
    assert (longer >= base - 1e-9).all()


def test_expected_shortage_is_the_sample_loss_function():
    samples = np.array([[0.0, 1.0, 2.0, 3.0], [5.0, 5.0, 5.0, 5.0]])
    np.testing.assert_allclose(expected_shortage(samples, np.array([1.0, 5.0])), [0.75, 0.0])
    np.testing.assert_allclose(expected_shortage(samples, np.array([-1.0, 4.5])), [2.5, 0.5])
    several = expected_shortage(samples, np.array([[0.0, 2.5, 9.0], [0.0, 2.5, 9.0]]))
    np.testing.assert_allclose(several, [[1.5, 0.125, 0.0], [5.0, 2.5, 0.0]])


@FAST
@given(seed=st.integers(0, 2**32 - 1))
def test_expected_shortage_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    samples = rng.poisson(rng.uniform(0, 20, (4, 1)), (4, 30)).astype(float)
    level = rng.uniform(-2, 25, (4, 5))
    brute = np.maximum(samples[:, None, :] - level[:, :, None], 0).mean(axis=-1)
    np.testing.assert_allclose(expected_shortage(samples, level), brute, atol=1e-9)


def test_quantile_array_pivots_a_long_forecast_and_repeats_short_horizons():
    dates = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"])
    forecast = pd.DataFrame(
        {
            "series_id": ["b", "b", "b", "a", "a"],
            "date": [*dates, *dates[:2]],
            "y_pred": 0.0,
            "q_0.9": [3.0, 4.0, 5.0, 30.0, 40.0],
            "q_0.1": [1.0, 2.0, 3.0, 10.0, 20.0],
        }
    )
    cube, levels, series, period_dates = quantile_array(forecast)
    np.testing.assert_allclose(levels, [0.1, 0.9])
    assert list(series) == ["a", "b"]
    np.testing.assert_allclose(cube[0], [[10, 30], [20, 40], [20, 40]])
    np.testing.assert_allclose(cube[1], [[1, 3], [2, 4], [3, 5]])
    assert pd.isna(period_dates[0, 2]) and period_dates[1, 2] == dates[2]


def test_bad_tables_are_rejected():
    with pytest.raises(ValueError, match="levels"):
        lead_time_demand_quantiles(np.ones((1, 1, 3)), LEVELS, 1, 0.9)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        lead_time_demand_quantiles(np.ones((1, 1, len(LEVELS))), LEVELS, 1, 1.0)


def _textbook_quantile_function(q: np.ndarray, levels: np.ndarray, u: np.ndarray) -> np.ndarray:
    """One binary search per value and both tails computed everywhere: the plain form of
    ``quantile_function``, which must give the very same floats."""
    k = np.searchsorted(levels, u, side="right")
    inner = np.clip(k, 1, len(levels) - 1)
    q_low = np.take_along_axis(q, inner - 1, axis=-1)
    q_high = np.take_along_axis(q, inner, axis=-1)
    l_low, l_high = levels[inner - 1], levels[inner]
    value = q_low + (q_high - q_low) * (u - l_low) / (l_high - l_low)
    lower_slope, tail_scale = distributions.tail_slopes(q, levels)
    below = q[..., :1] - lower_slope[..., None] * (levels[0] - u)
    with np.errstate(divide="ignore"):
        above = q[..., -1:] + tail_scale[..., None] * np.log((1 - levels[-1]) / (1 - u))
    value = np.where(k == 0, below, np.where(k == len(levels), above, value))
    return np.clip(value, 0.0, None)


@pytest.mark.parametrize("levels", [LEVELS, np.arange(1, 100) / 100], ids=["8", "99"])
def test_quantile_function_gives_the_textbook_floats(levels):
    rng = np.random.default_rng(5)
    start = rng.uniform(0, 30, (20, 3, 1)) * (rng.random((20, 1, 1)) > 0.2)
    steps = rng.exponential(2.0, (20, 3, len(levels) - 1)) * (rng.random((20, 3, 1)) > 0.1)
    table = np.concatenate([start, start + np.cumsum(steps, axis=-1)], axis=-1)
    u = rng.random((20, 3, 500))
    u[..., : len(levels)] = levels  # values exactly at a level
    u[..., -2:] = [1e-6, 1 - 1e-9]  # deep in both tails
    expected = _textbook_quantile_function(table, levels, u)
    np.testing.assert_array_equal(distributions.quantile_function(table, levels, u), expected)
    np.testing.assert_array_equal(  # (series, n) rows, as window_sums passes them
        distributions.quantile_function(table[:, 0], levels, u[:, 0]), expected[:, 0]
    )


def test_window_sums_do_not_depend_on_the_chunk_size(monkeypatch):
    table = random_quantiles(9, 30, 6)
    rng = np.random.default_rng(9)
    lead = rng.integers(0, 4, 30)
    windows = [(0, lead + rng.integers(0, 4, 30)), (lead, lead + 2), (rng.integers(0, 3, 30), 9)]
    whole = distributions.window_sums(table, LEVELS, windows, 40, 3)
    monkeypatch.setattr(distributions, "_CHUNK_VALUES", 7 * 40)  # 7 series per chunk
    for chunked, expected in zip(
        distributions.window_sums(table, LEVELS, windows, 40, 3), whole, strict=True
    ):
        np.testing.assert_array_equal(chunked, expected)
