"""Walking days forward with a plan made each morning: the plan's orders are what is placed,
the stock left is the next morning's, and the accounting is the backtest's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from inventory_optimization.inventory import backtest_kpis, simulate, total_row
from inventory_optimization.inventory.walk_forward import morning_positions, walk_forward

SERIES = np.array(["a", "b", "c"])
DATES = pd.date_range("2024-03-01", periods=12, freq="D")


def _items(lead=(1, 2, 0), pack=(1, 1, 1), shelf=(np.inf, np.inf, 3.0)) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "series_id": SERIES,
            "lead_time": lead,
            "review_period": 1,
            "case_pack": pack,
            "min_order_qty": 0.0,
            "shelf_life": shelf,
            "unit_cost": [1.0, 2.0, 0.5],
            "price": [1.5, 3.0, 1.0],
            "holding_cost_rate": 0.25,
            "ordering_cost": 10.0,
            "salvage": 0.0,
        }
    )


def _actual(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        rng.poisson([[6.0], [2.0], [9.0]], (3, len(DATES))).astype(float),
        index=pd.Index(SERIES, name="series_id"),
        columns=DATES,
    )


def _order_up_to(level: np.ndarray):
    """A morning plan: order what takes the position (on hand + on order) up to ``level``."""

    def plan_for(t: int, positions: pd.DataFrame) -> pd.DataFrame:
        position = positions["on_hand"] + positions["on_order"]
        return pd.DataFrame(
            {"series_id": positions["series_id"], "order_qty": np.maximum(level - position, 0)}
        )

    return plan_for


def test_a_plan_ordering_up_to_a_level_each_morning_is_the_simulators_daily_review():
    actual, items = _actual(), _items()
    level, start = np.array([20.0, 9.0, 14.0]), np.array([5.0, 0.0, 7.0])
    walk = walk_forward(actual, items, _order_up_to(level), start, periods_per_year=365)
    reference = simulate(
        actual.to_numpy(),
        level,
        items["lead_time"].to_numpy(),
        1,
        shelf_life=items["shelf_life"].to_numpy(),
        initial_on_hand=start,
        # A plan's order starts a replenishment cycle when one is placed, as with a trigger.
        reorder_point=np.full(3, np.inf),
    )
    for name in ("order_qty", "sales", "lost_sales", "waste", "on_hand_end", "on_order_end"):
        np.testing.assert_allclose(walk.trajectories[name], reference[name], err_msg=name)
    kpis = backtest_kpis(
        reference,
        items["unit_cost"].to_numpy(),
        items["price"].to_numpy(),
        items["holding_cost_rate"].to_numpy() / 365,
        items["ordering_cost"].to_numpy(),
        periods_per_year=365,
        series_ids=SERIES,
        shelf_life=items["shelf_life"].to_numpy(),
        salvage=0.0,
    )
    expected = pd.concat([kpis, total_row(kpis)], ignore_index=True)
    pd.testing.assert_frame_equal(walk.kpis, expected)
    assert walk.total["series_id"] == "ALL"


def test_each_morning_sees_yesterdays_stock_and_what_is_on_its_way():
    actual, items = _actual(1), _items(lead=(3, 3, 3), shelf=(np.inf,) * 3)
    seen: list[pd.DataFrame] = []

    def plan_for(t: int, positions: pd.DataFrame) -> pd.DataFrame:
        seen.append(positions)
        return pd.DataFrame({"series_id": SERIES, "order_qty": [10.0, 0.0, 4.0] if t == 0 else 0})

    walk = walk_forward(actual, items, plan_for, np.array([30.0, 30.0, 30.0]), 365)
    assert len(seen) == len(DATES) and len(walk.plans) == 3 * len(DATES)
    # Day 1 morning: day 0's sales are gone from the shelf, day 0's orders are on their way
    # and arrive in 2 more days (ordered with a 3-day lead time).
    np.testing.assert_allclose(seen[1]["on_hand"], 30.0 - actual.iloc[:, 0].clip(upper=30))
    np.testing.assert_allclose(seen[1]["on_order"], [10.0, 0.0, 4.0])
    np.testing.assert_array_equal(seen[1]["next_arrival_periods"], [2.0, np.nan, 2.0])
    # Stock is conserved over the walk: start + bought = sold + wasted + left.
    t = walk.trajectories
    np.testing.assert_allclose(
        30.0 + t["order_qty"].sum(axis=1),
        t["sales"].sum(axis=1)
        + t["waste"].sum(axis=1)
        + t["on_hand_end"][:, -1]
        + t["on_order_end"][:, -1],
    )
    assert walk.plans["date"].iloc[0] == DATES[0]


def test_a_plan_for_a_series_the_walk_does_not_know_is_refused():
    def plan_for(t: int, positions: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"series_id": ["a", "zz"], "order_qty": [1.0, 2.0]})

    with pytest.raises(ValueError, match=r"plans? orders for 1 series the replay does not know"):
        walk_forward(_actual(), _items(), plan_for, np.zeros(3), 365)


def test_morning_positions_name_the_first_arrival():
    state = {
        "on_hand": np.array([1.0, 2.0]),
        "on_order": np.array([5.0, 0.0]),
        "arriving": np.array([[0.0, 0.0, 5.0], [0.0, 0.0, 0.0]]),
    }
    positions = morning_positions(np.array(["x", "y"]), state)
    assert positions["next_arrival_periods"].iloc[0] == 2.0
    assert np.isnan(positions["next_arrival_periods"].iloc[1])


def test_order_days_every_day_or_only_on_an_items_review_days():
    from inventory_optimization.inventory.replenishment import review_due

    mornings = pd.DatetimeIndex(["2024-03-04", "2024-03-05", "2024-03-11", "2024-03-06"])
    review = np.array([7, 7, 7, 1])
    assert review_due(mornings, review, 1.0, {}).all()
    weekly = review_due(mornings, review, 1.0, {"order_days": "review"})
    # From Monday 2024-01-01: Mondays for a 7-day review, every day for a 1-day review.
    assert weekly.tolist() == [True, False, True, True]
    with pytest.raises(ValueError, match=r"inventory.order_days: 'weekly' is not one of"):
        review_due(mornings, review, 1.0, {"order_days": "weekly"})
