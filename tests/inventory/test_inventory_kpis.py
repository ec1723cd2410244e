"""Backtest KPIs on hand-made trajectories, the ALL row and the share of the gap closed."""

from __future__ import annotations

import numpy as np
import pytest

from inventory_optimization.inventory import backtest_kpis, gap_closed, simulate, total_row


def trajectories() -> dict[str, np.ndarray]:
    """Two series, four periods; series 0 runs short in period 2 (cycle 2), series 1 never.
    Series 0 starts with 6 and orders 1 and 4 with a lead time of 2; series 1 starts with 3,
    never orders and wastes 1."""
    demand = np.array([[2.0, 2.0, 5.0, 1.0], [0.0, 1.0, 0.0, 1.0]])
    sales = np.array([[2.0, 2.0, 3.0, 1.0], [0.0, 1.0, 0.0, 1.0]])
    return {
        "demand": demand,
        "sales": sales,
        "lost_sales": demand - sales,
        "unmet": demand - sales,
        "waste": np.array([[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]]),
        "on_hand_start": np.array([[6.0, 4.0, 2.0, 0.0], [3.0, 3.0, 2.0, 1.0]]),
        "on_hand_end": np.array([[4.0, 2.0, 0.0, 3.0], [3.0, 2.0, 1.0, 0.0]]),
        "on_order_end": np.array([[1.0, 5.0, 4.0, 0.0], [0.0, 0.0, 0.0, 0.0]]),
        "order_qty": np.array([[1.0, 4.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]),
        "cycle": np.array([[0, 1, 2, 2], [1, 1, 2, 2]]),
    }


def test_kpis_exact_values():
    frame = backtest_kpis(
        trajectories(),
        np.array([2.0, 1.0]),
        np.array([5.0, 3.0]),
        0.01,
        10.0,
        waste_cost_per_unit=0.5,
        periods_per_year=4,
        series_ids=["a", "b"],
    )
    a, b = frame.iloc[0], frame.iloc[1]
    assert list(frame["series_id"]) == ["a", "b"]
    assert a["fill_rate"] == pytest.approx(8 / 10) and b["fill_rate"] == 1.0
    assert a["cycles"] == 2 and a["stockout_cycles"] == 1  # cycle 0 (starting stock) skipped
    assert a["cycle_service_level"] == 0.5 and b["cycle_service_level"] == 1.0
    assert a["stockout_periods"] == 1 and a["lost_sales"] == 2
    assert a["average_on_hand"] == pytest.approx(9 / 4)
    assert a["holding_cost"] == pytest.approx(9 * 2.0 * 0.01)
    assert a["ordering_cost"] == 20.0 and b["ordering_cost"] == 0.0
    assert a["lost_sales_cost"] == pytest.approx(2 * 3.0)
    assert b["waste_cost"] == pytest.approx(0.5)
    assert (a["start_on_hand"], a["units_purchased"], a["end_on_hand"]) == (6, 5, 3)
    assert a["purchase_cost"] == pytest.approx(5 * 2.0)
    # 3 units at 2.5 a period cover 1.2 periods: each waits 0.6 periods at 0.02 a period.
    assert a["end_stock_value"] == pytest.approx(3 * (2.0 - 0.02 * 0.6))
    assert a["end_stock_cost"] == pytest.approx(3 * 0.02 * 0.6)
    assert b["end_stock_value"] == 0 and b["end_stock_cost"] == 0
    assert a["total_cost"] == pytest.approx(0.18 + 20 + 6 + 0.036)
    assert a["inventory_turns"] == pytest.approx((8 * 2.0) / (9 / 4 * 2.0))


def test_total_row_sums_and_recomputes_rates():
    frame = backtest_kpis(trajectories(), 2.0, 5.0, 0.01, 10.0, periods_per_year=4)
    total = total_row(frame).iloc[0]
    assert total["series_id"] == "ALL"
    for column in ("demand", "lost_sales", "holding_cost", "waste_cost", "total_cost"):
        assert total[column] == pytest.approx(frame[column].sum())
    assert total["fill_rate"] == pytest.approx(1 - 2 / 12)
    assert total["cycle_service_level"] == pytest.approx(1 - 1 / 4)
    assert total["inventory_turns"] == pytest.approx(10 * 2.0 / ((9 / 4 + 6 / 4) * 2.0))
    assert list(total_row(frame).columns) == list(frame.columns)


def test_kpis_of_a_simulation_match_its_totals():
    rng = np.random.default_rng(0)
    demand = rng.poisson(4.0, (3, 60)).astype(float)
    out = simulate(demand, np.full(3, 14.0), 1, 2, case_pack=4)
    frame = backtest_kpis(out, 1.0, 2.0, 0.002, 3.0)
    np.testing.assert_allclose(frame["fill_rate"], out["sales"].sum(1) / demand.sum(1))
    np.testing.assert_array_equal(frame["orders"], (out["order_qty"] > 0).sum(1))


def test_gap_closed_exact_values():
    assert gap_closed(80.0, 100.0, 60.0) == 0.5
    assert gap_closed(60.0, 100.0, 60.0) == 1.0
    assert gap_closed(100.0, 100.0, 60.0) == 0.0
    assert gap_closed(120.0, 100.0, 60.0) == -0.5
    assert np.isnan(gap_closed(50.0, 70.0, 70.0))
    np.testing.assert_allclose(gap_closed(np.array([90.0, 70.0]), 100.0, 80.0), [0.5, 1.5])
