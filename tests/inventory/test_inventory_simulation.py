"""The period-by-period simulator: conservation, FIFO waste, service achieved, reorder points."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from inventory_optimization.inventory import backtest_kpis, order_up_to_level, simulate, total_row

LEVELS = np.array([0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99])


@settings(max_examples=100, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_series=st.integers(1, 5),
    n_periods=st.integers(1, 40),
    backorder=st.booleans(),
)
def test_stock_is_conserved_and_sales_are_bounded(seed, n_series, n_periods, backorder):
    rng = np.random.default_rng(seed)
    demand = rng.poisson(rng.uniform(0, 12, (n_series, 1)), (n_series, n_periods)).astype(float)
    pack = rng.choice([1, 3, 6], n_series)
    moq = rng.choice([0, 5, 12], n_series)
    review = rng.integers(1, 4, n_series)
    shelf = np.where(rng.random(n_series) < 0.5, rng.integers(1, 6, n_series), np.inf)
    levels = rng.integers(0, 60, (n_series, n_periods)).astype(float)
    out = simulate(
        demand,
        levels,
        rng.integers(0, 4, n_series),
        review,
        case_pack=pack,
        moq=moq,
        shelf_life=shelf,
        backorder=backorder,
        review_offset=rng.integers(0, 3, n_series),
    )

    balance = out["on_hand_start"] + out["arrivals"] - out["sales"] - out["waste"]
    np.testing.assert_array_equal(balance, out["on_hand_end"])  # exactly, every period
    np.testing.assert_array_equal(out["on_hand_start"][:, 1:], out["on_hand_end"][:, :-1])
    assert (out["on_hand_end"] >= 0).all() and (out["waste"] >= 0).all()
    assert (out["sales"] <= out["on_hand_start"] + out["arrivals"]).all()
    assert (out["lost_sales"] <= out["demand"]).all() and (out["lost_sales"] >= 0).all()
    assert (out["unmet"] <= out["demand"]).all()
    if backorder:
        assert (out["lost_sales"] == 0).all()
        cumulative_demand = np.cumsum(out["demand"], axis=1)
        assert (np.cumsum(out["sales"], axis=1) <= cumulative_demand).all()
        np.testing.assert_array_equal(
            out["backorders"], cumulative_demand - np.cumsum(out["sales"], axis=1)
        )
    else:
        assert (out["sales"] <= out["demand"]).all()
        np.testing.assert_array_equal(out["sales"] + out["lost_sales"], out["demand"])
    ordered = out["order_qty"] > 0
    assert not (ordered & ~out["review"]).any()  # orders only at review epochs
    np.testing.assert_array_equal(out["order_qty"] % pack[:, None], 0)
    assert (
        out["order_qty"][ordered] >= np.broadcast_to(moq[:, None], ordered.shape)[ordered]
    ).all()
    perishable = np.isfinite(shelf)
    assert (out["waste"][~perishable] == 0).all()


def test_fifo_ageing_wastes_what_outlives_the_shelf_life():
    demand = np.full((1, 6), 3.0)
    out = simulate(demand, np.array([10.0]), 0, 1, shelf_life=2)
    # Day 0 sells 3 of the 10 fresh units; the 7 left are sold first on day 1 (3 of them)
    # after the 3 units ordered arrive, so 4 expire that evening, and so on.
    np.testing.assert_array_equal(out["order_qty"][0], [0, 3, 7, 3, 7, 3])
    np.testing.assert_array_equal(out["waste"][0], [0, 4, 0, 4, 0, 4])
    np.testing.assert_array_equal(out["sales"][0], 3.0)


@pytest.mark.parametrize("target", [0.8, 0.95])
def test_rs_policy_achieves_its_cycle_service_level_on_poisson_demand(target):
    n_series, n_periods, lead, review = 50, 2000, 2, 2
    mean = np.random.default_rng(7).uniform(5, 20, n_series)
    table = stats.poisson.ppf(LEVELS[None, None, :], mean[:, None, None])  # exact quantiles
    table = np.broadcast_to(table, (n_series, lead + review, len(LEVELS)))
    policy = order_up_to_level(table, LEVELS, lead, review, service_level=target)
    demand = np.random.default_rng(11).poisson(mean[:, None], (n_series, n_periods))
    out = simulate(demand.astype(float), policy.order_up_to, lead, review, backorder=True)
    achieved = total_row(backtest_kpis(out, 1.0, 2.0, 0.001, 1.0))["cycle_service_level"].iloc[0]
    assert achieved == pytest.approx(target, abs=0.02)


def test_reorder_point_policy_orders_only_at_or_below_s():
    demand = np.full((1, 12), 2.0)
    out = simulate(demand, np.array([10.0]), 0, 1, reorder_point=np.array([4.0]))
    ordered = out["order_qty"][0] > 0
    assert ordered.any()
    position = out["on_hand_start"][0]  # no lead time: nothing is ever on order
    assert (position[ordered] <= 4).all() and (position[~ordered] > 4).all()
