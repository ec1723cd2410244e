"""Replenishment policies: (R, S), (s, Q), the (R, s, S) batch, newsvendor, rounding."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory_optimization.inventory import (
    batch_quantity,
    continuous_review_sQ,
    cost_optimal_service_level,
    eoq,
    lead_time_demand_mean,
    lead_time_demand_quantiles,
    order_quantity,
    order_up_to_level,
    perishable_order_up_to,
)
from inventory_optimization.inventory.policies import critical_ratio

LEVELS = np.array([0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99])
FAST = settings(max_examples=25, deadline=None)


def random_quantiles(seed: int, n_series: int = 3, n_periods: int = 6) -> np.ndarray:
    rng = np.random.default_rng(seed)
    start = rng.uniform(0, 30, (n_series, n_periods, 1))
    steps = rng.exponential(2.0, (n_series, n_periods, len(LEVELS) - 1))
    return np.concatenate([start, start + np.cumsum(steps, axis=-1)], axis=-1)


def test_eoq_exact_value():
    assert eoq(1200.0, 100.0, 6.0) == pytest.approx(200.0)
    np.testing.assert_allclose(
        eoq(np.array([0.0, 50.0]), 8.0, np.array([1.0, 4.0])), [0, 14.1421356]
    )


def test_batch_is_eoq_beyond_a_review_periods_demand():
    batch = batch_quantity(
        np.array([10.0, 1000.0, 10.0]),
        np.array([1, 1, 1]),
        100.0,
        1.0,
        np.array([np.inf, np.inf, 3.0]),
    )
    np.testing.assert_allclose(batch, [np.sqrt(2 * 10 * 100) - 10, 0.0, 0.0])


@FAST
@given(
    seed=st.integers(0, 2**32 - 1),
    lead=st.integers(0, 4),
    review=st.integers(1, 3),
    target=st.floats(0.5, 0.97),
    step=st.floats(0.005, 0.02),
)
def test_order_up_to_rises_with_service_target_and_lead_time(seed, lead, review, target, step):
    table = random_quantiles(seed)
    base = order_up_to_level(table, LEVELS, lead, review, service_level=target, seed=seed)
    higher = order_up_to_level(table, LEVELS, lead, review, service_level=target + step, seed=seed)
    longer = order_up_to_level(table, LEVELS, lead + 1, review, service_level=target, seed=seed)
    assert (higher.order_up_to >= base.order_up_to).all()
    assert (longer.order_up_to >= base.order_up_to - 1e-9).all()
    np.testing.assert_allclose(base.safety_stock, base.order_up_to - base.mean_cover_demand)
    mean_lead = lead_time_demand_mean(table, LEVELS, lead)
    np.testing.assert_allclose(base.reorder_point, mean_lead + base.safety_stock)


@FAST
@given(
    seed=st.integers(0, 2**32 - 1),
    lead=st.integers(0, 3),
    beta=st.floats(0.8, 0.99),
    step=st.floats(0.001, 0.009),
)
def test_fill_rate_level_rises_with_the_target(seed, lead, beta, step):
    table = random_quantiles(seed)
    low = order_up_to_level(table, LEVELS, lead, 2, fill_rate=beta, seed=seed).order_up_to
    high = order_up_to_level(table, LEVELS, lead, 2, fill_rate=beta + step, seed=seed).order_up_to
    assert (high >= low - 1e-9).all()


def test_order_up_to_is_the_cover_quantile_and_needs_one_target():
    table = random_quantiles(1)
    policy = order_up_to_level(table, LEVELS, np.array([0, 1, 2]), 2, service_level=0.9)
    direct = lead_time_demand_quantiles(table, LEVELS, np.array([2, 3, 4]), 0.9)
    np.testing.assert_allclose(policy.order_up_to, direct)
    with pytest.raises(ValueError, match="exactly one"):
        order_up_to_level(table, LEVELS, 1, 1)
    with pytest.raises(ValueError, match="exactly one"):
        order_up_to_level(table, LEVELS, 1, 1, service_level=0.9, fill_rate=0.9)


@FAST
@given(
    seed=st.integers(0, 2**32 - 1),
    cost=st.floats(1.0, 10.0),
    markup=st.floats(0.05, 3.0),
    extra=st.floats(0.1, 5.0),
)
def test_newsvendor_level_rises_with_the_critical_ratio(seed, cost, markup, extra):
    table = random_quantiles(seed)
    price = cost * (1 + markup)
    args = {"shelf_life": 3.0, "review_period": 1, "lead_time": 0, "salvage": 0.2 * cost}
    base, ratio = perishable_order_up_to(table, LEVELS, price, cost, **args)
    dearer, dearer_ratio = perishable_order_up_to(table, LEVELS, price + extra, cost, **args)
    assert critical_ratio(price + extra, cost, 0.2 * cost) > critical_ratio(price, cost, 0.2 * cost)
    assert (dearer_ratio > ratio).all()
    assert (dearer >= base).all()


def test_newsvendor_covers_the_shelf_life_or_the_review_period_if_shorter():
    table = np.full((3, 10, len(LEVELS)), 5.0)
    level, _ = perishable_order_up_to(
        table,
        LEVELS,
        3.0,
        2.0,
        shelf_life=np.array([2.0, 9.0, np.nan]),
        review_period=4,
        lead_time=0,
    )
    np.testing.assert_allclose(level, [10.0, 20.0, 20.0])


def test_critical_ratio_and_cost_optimal_service_level_exact():
    assert critical_ratio(10.0, 6.0, 2.0) == pytest.approx(0.5)
    assert critical_ratio(10.0, 6.0, 2.0, goodwill=4.0, disposal=0.0) == pytest.approx(8 / 12)
    assert cost_optimal_service_level(10.0, 6.0, 0.26, 52) == pytest.approx(4 / (4 + 0.03))
    np.testing.assert_allclose(
        cost_optimal_service_level(np.array([6.0, 1e6]), 6.0, 0.25, 12), [0.5, 0.999]
    )


@pytest.mark.parametrize(
    ("position", "level", "pack", "moq", "expected"),
    [
        (10, 23, 6, 0, 18),  # 13 needed -> 3 cases
        (10, 22, 6, 0, 12),  # exactly 2 cases
        (10, 11, 6, 24, 24),  # a positive order is at least the MOQ
        (10, 11, 6, 20, 24),  # an MOQ off the pack grid is rounded up to packs
        (30, 23, 6, 24, 0),  # above the level: nothing
        (-5, 0, 1, 0, 5),  # backorders raise the need
    ],
)
def test_order_quantity_rounds_up_to_packs_and_moq(position, level, pack, moq, expected):
    assert float(order_quantity(position, level, pack, moq)) == expected


def test_continuous_review_sq():
    table = np.full((2, 6, len(LEVELS)), 10.0)
    policy = continuous_review_sQ(
        table, LEVELS, np.array([2, 3]), 0.95, 1200.0, 100.0, 6.0, np.array([12, 1]), [250, 0], 1
    )
    np.testing.assert_allclose(policy.reorder_point, [30.0, 40.0])
    np.testing.assert_allclose(policy.order_quantity, [252.0, 200.0])  # max(EOQ 200, MOQ 250)
    np.testing.assert_allclose(policy.order_up_to, policy.reorder_point + policy.order_quantity)
