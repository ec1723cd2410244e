"""The inventory pipeline's nodes on the built-in data's shapes: the plan a buyer reads, the
backtest table, and the bad inputs that must stop a run with a clear message."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from inventory_optimization.pipelines.replenishment import nodes

LEVELS = [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99]
SETTINGS = {
    "service_target": 0.9,
    "lost_sales": True,
    "n_samples": 200,
    "seed": 0,
    "assumed_cover_days": 7,
    "defaults": {
        "unit_cost": 1.0,
        "price": 2.0,
        "holding_cost_rate": 0.25,
        "goodwill": 0.0,
        "ordering_cost": 5.0,
        "lead_time": 2,
        "review_period": 7,
        "case_pack": 1,
        "min_order_qty": 0,
        "shelf_life": None,
        "salvage": 0.0,
        "unit_volume": 1.0,
    },
    "constraints": {"budget": None, "capacity": None},
    "naive": {"window": 14, "cover_factor": 1.0, "safety_factor": 2.0},
}
METADATA = {"frequency": "D", "keys": ["store_id"]}


def _forecast(series=("A", "B"), days=21, mean=10.0) -> pd.DataFrame:
    dates = pd.date_range("2024-01-02", periods=days)
    frame = pd.DataFrame([(s, d) for s in series for d in dates], columns=["series_id", "date"])
    frame["store_id"] = frame["series_id"]
    frame["model"] = "ensemble"
    frame["horizon"] = np.tile(np.arange(1, days + 1), len(series))
    frame["y_pred"] = mean
    spread = np.array([-5, -4, -2, 0, 2, 4, 5, 8], dtype=float)
    for level, offset in zip(LEVELS, spread, strict=True):
        frame[f"q_{level:g}"] = mean + offset
    frame["is_closed"] = False
    return frame


def _attributes(series=("A", "B"), **overrides) -> pd.DataFrame:
    frame = pd.DataFrame({"series_id": list(series), "store_id": list(series)})
    for column, values in overrides.items():
        frame[column] = values
    return frame


def test_plan_orders_up_to_the_service_level_net_of_the_position():
    items = nodes.build_item_parameters(_attributes(), METADATA, SETTINGS)
    positions = pd.DataFrame(
        {"series_id": ["A", "B"], "on_hand": [0.0, 200.0], "on_order": [0.0, 0.0]}
    )
    plan, csv = nodes.plan_replenishment(_forecast(), items, positions, METADATA, SETTINGS)
    # The buyers' CSV carries exactly the plan.
    pd.testing.assert_frame_equal(csv, plan)
    plan = plan.set_index("series_id")
    # Demand over lead time + review = 9 days of mean 10: the 90 % quantile sits above 90.
    assert plan.loc["A", "forecast_cover_mean"] == pytest.approx(90, rel=0.05)
    assert plan.loc["A", "order_up_to"] > plan.loc["A", "forecast_cover_mean"]
    assert plan.loc["A", "order_qty"] == np.ceil(plan.loc["A", "order_up_to"])
    assert plan.loc["B", "order_qty"] == 0  # 200 on hand already covers it
    assert plan.loc["A", "safety_stock"] > 0 and plan.loc["A", "days_of_cover"] == 0
    assert {"reorder_point", "expected_fill_rate", "binding_constraint", "store_id"} <= set(
        plan.columns
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"lead_time_days": [2, -1]}, r"lead_time.*'B'|'B'.*lead_time"),
        ({"case_pack": [0, 6]}, r"case_pack.*'A'|'A'.*case_pack"),
        ({"unit_cost": [5.0, 1.0], "unit_price": [4.0, 2.0]}, r"'A'"),
        ({"shelf_life_days": [0.0, 3.0]}, r"shelf_life.*'A'|'A'.*shelf_life"),
    ],
)
def test_bad_item_parameters_name_the_series_and_the_field(overrides, message):
    with pytest.raises(ValueError, match=message):
        nodes.build_item_parameters(_attributes(**overrides), METADATA, SETTINGS)


def test_positions_without_a_forecast_are_refused():
    items = nodes.build_item_parameters(_attributes(("A", "B", "C")), METADATA, SETTINGS)
    positions = pd.DataFrame({"series_id": ["A", "C"], "on_hand": [1.0, 1.0], "on_order": 0.0})
    with pytest.raises(ValueError, match=r"series \['C'\] have no forecast"):
        nodes.plan_replenishment(_forecast(("A", "B")), items, positions, METADATA, SETTINGS)


def test_crossing_quantiles_are_refused():
    forecast = _forecast()
    forecast.loc[3, "q_0.9"] = 1.0
    items = nodes.build_item_parameters(_attributes(), METADATA, SETTINGS)
    positions = pd.DataFrame({"series_id": ["A", "B"], "on_hand": 0.0, "on_order": 0.0})
    with pytest.raises(ValueError, match="A"):
        nodes.plan_replenishment(forecast, items, positions, METADATA, SETTINGS)


def test_negative_quantiles_from_returns_are_planned_as_zero_demand():
    """Walmart's weeks of net returns give negative quantiles: no demand to stock for."""
    forecast = _forecast(mean=1.0)  # quantiles from -4 up
    items = nodes.build_item_parameters(_attributes(), METADATA, SETTINGS)
    positions = pd.DataFrame({"series_id": ["A", "B"], "on_hand": 0.0, "on_order": 0.0})
    plan, _ = nodes.plan_replenishment(forecast, items, positions, METADATA, SETTINGS)
    clipped = forecast.assign(
        **{c: forecast[c].clip(lower=0) for c in forecast if c.startswith("q_")}
    )
    expected, _ = nodes.plan_replenishment(clipped, items, positions, METADATA, SETTINGS)
    pd.testing.assert_frame_equal(plan, expected)
    assert (plan["order_qty"] >= 0).all()


def test_backtest_compares_every_policy_with_the_bounds():
    days = 21
    holdout = pd.concat(
        [_forecast(days=days).assign(model=m) for m in ("ensemble", "seasonal_naive")]
    )
    rng = np.random.default_rng(0)
    holdout["y_true"] = np.tile(rng.poisson(10, 2 * days), 2).astype(float)
    history_dates = pd.date_range("2023-12-01", "2024-01-01")
    panel = pd.DataFrame(
        [(s, d, 10.0) for s in ("A", "B") for d in history_dates],
        columns=["series_id", "date", "demand"],
    )
    items = nodes.build_item_parameters(_attributes(), METADATA, SETTINGS)
    table, trajectories = nodes.backtest_policies(
        holdout, panel, items, METADATA, {"origin": "2024-01-01"}, SETTINGS
    )
    totals = table[table["series_id"] == "ALL"].set_index("policy")
    assert set(totals.index) == {"naive", "oracle", "ensemble", "seasonal_naive"}
    assert (
        totals.loc["oracle", "total_cost"] <= totals.loc[["naive", "ensemble"], "total_cost"].min()
    )
    assert totals.loc["naive", "gap_closed"] == 0 and totals.loc["oracle", "gap_closed"] == 1
    for column in (
        "fill_rate",
        "cycle_service_level",
        "holding_cost",
        "ordering_cost",
        "lost_sales_cost",
        "waste_cost",
        "total_cost",
    ):
        assert column in table
    conserved = (
        (
            trajectories["on_hand_start"]
            + trajectories["arrivals"]
            - trajectories["sales"]
            - trajectories["waste"]
            - trajectories["on_hand_end"]
        )
        .abs()
        .max()
    )
    assert conserved < 1e-9
    assert (trajectories["lost_sales"] <= trajectories["demand"] + 1e-9).all()
    assert len(trajectories) == 4 * 2 * days


def test_settings_stated_in_days_become_whole_periods_of_weekly_data():
    from inventory_optimization.inventory.items import settings_in_periods

    weekly, lines = settings_in_periods(SETTINGS, period_days=7)
    assert weekly["defaults"]["lead_time"] == 1  # 2 days: the next week's delivery
    assert weekly["defaults"]["review_period"] == 1
    assert weekly["defaults"]["shelf_life"] is None
    assert weekly["assumed_cover_periods"] == 1 and "assumed_cover_days" not in weekly
    assert weekly["naive"]["window"] == 2  # 14 days
    assert "lead_time 2 days = 1" in lines and "naive.window 14 days = 2" in lines
    assert SETTINGS["defaults"]["lead_time"] == 2  # the parameters themselves are left alone
    daily, _ = settings_in_periods(SETTINGS, period_days=1)
    assert daily["defaults"]["review_period"] == 7 and daily["naive"]["window"] == 14


def test_weekly_data_gets_weekly_items_from_defaults_in_days(caplog):
    weekly = {**METADATA, "frequency": "W-SUN"}
    with caplog.at_level("INFO"):
        items = nodes.build_item_parameters(_attributes(), weekly, SETTINGS)
    assert (items["lead_time"] == 1).all() and (items["review_period"] == 1).all()
    assert "Inventory settings stated in days, in weeks: lead_time 2 days = 1" in caplog.text


def test_prices_come_from_the_data_where_the_items_have_none(caplog):
    """A custom export's price column is the items' price (median of the last 28 periods, so
    a promotion week does not set it); the cost keeps the defaults' ratio and is listed as
    assumed."""
    dates = pd.date_range("2024-01-01", periods=40)
    panel = pd.DataFrame(
        {
            "series_id": np.repeat(["A", "B"], 40),
            "date": np.tile(dates, 2),
            "demand": 1.0,
            "price": np.r_[np.full(40, 4.0), np.full(35, 10.0), np.full(5, 6.0)],
        }
    )
    attributes = pd.DataFrame({"series_id": ["A", "B"], "store_id": ["S1", "S1"]})
    with caplog.at_level("INFO"):
        items = nodes.build_item_parameters(attributes, METADATA, SETTINGS, panel)
    assert items.set_index("series_id")["price"].to_dict() == {"A": 4.0, "B": 10.0}
    assert items.set_index("series_id")["unit_cost"].to_dict() == {"A": 2.0, "B": 5.0}
    assert "price: median of the data's price over the last 28 periods" in caplog.text
    assert "unit_cost=0.5 x that price (assumed: inventory.defaults' ratio)" in caplog.text
    assert "price=" not in caplog.text.split("are assumed")[1].split(".")[0]
