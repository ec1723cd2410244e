"""The maximum cover: no order brings the position above the forecast's mean demand of
``max_cover_days`` (the takeaway's slow movers, whose economic batches under the default
item economics were months or years of demand), while fast movers keep their batches and
case packs and MOQs still apply, counted when they go beyond it."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from inventory_optimization.inventory import eoq, plan_orders, run_backtest
from inventory_optimization.inventory.backtest import costlier_than_rule
from inventory_optimization.inventory.items import assumed_economics, item_parameters
from inventory_optimization.inventory.policies import beyond_max_cover, max_cover_periods
from inventory_optimization.pipelines.replenishment import nodes

CONF = Path(__file__).resolve().parents[2] / "conf" / "base"
INVENTORY = yaml.safe_load((CONF / "parameters_replenishment.yml").read_text())["inventory"]
DEFAULTS = INVENTORY["defaults"]
LEVELS = np.array([0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99])
DAYS = 28
SETTINGS = {
    "service_target": "cost_optimal",
    "lost_sales": True,
    "n_samples": 400,
    "seed": 0,
    "max_cover_days": 28,
    "naive": {"window": 28, "cover_factor": 1.0, "safety_factor": 2.0},
}


def _items(series, **overrides) -> pd.DataFrame:
    """The default item economics (no item data), as the custom environment gets them."""
    attributes = pd.DataFrame({"series_id": list(series)})
    for column, value in overrides.items():
        attributes[column] = value
    return item_parameters(attributes, DEFAULTS, period_days=1)


def _forecast(rates: dict[str, float], days: int = DAYS, start="2024-01-01") -> pd.DataFrame:
    """Poisson quantiles of a constant daily rate per series (the true distribution)."""
    dates = pd.date_range(start, periods=days)
    rows = []
    for series, rate in rates.items():
        table = stats.poisson.ppf(LEVELS, rate)
        frame = pd.DataFrame(np.tile(table, (days, 1)), columns=[f"q_{q:g}" for q in LEVELS])
        rows.append(frame.assign(series_id=series, date=dates, y_pred=rate))
    return pd.concat(rows, ignore_index=True)


def _plan(rates, settings=SETTINGS, on_hand=0.0, **item_overrides) -> pd.DataFrame:
    series = list(rates)
    positions = pd.DataFrame({"series_id": series, "on_hand": on_hand, "on_order": 0.0})
    items = _items(series, **item_overrides)
    plan = plan_orders(_forecast(rates), items, positions, settings, 365.0, 1)
    return plan.set_index("series_id")


def test_a_slow_movers_batch_is_capped_at_the_max_cover():
    """0.2 units a day: the EOQ under the default costs is about 76 units, over a year of
    demand; the order brings the position to at most 28 days of mean demand (5.6 units)."""
    holding = DEFAULTS["unit_cost"] * DEFAULTS["holding_cost_rate"] / 365
    assert eoq(0.2, DEFAULTS["ordering_cost"], holding) > 10 * 0.2 * 28
    uncapped = _plan({"slow": 0.2}, SETTINGS | {"max_cover_days": None}).loc["slow"]
    assert uncapped["order_qty"] > 50  # what the backtest bought before: a year of demand
    plan = _plan({"slow": 0.2}).loc["slow"]
    assert plan["max_cover_level"] == pytest.approx(0.2 * 28, rel=0.05)  # quantiles: not exact
    assert plan["order_up_to"] <= plan["max_cover_level"] + 1e-9
    assert plan["order_trigger"] <= plan["order_up_to"]
    assert 0 < plan["order_qty"] <= np.ceil(plan["max_cover_level"])
    assert plan["above_max_cover"] == 0


def test_an_item_selling_below_a_unit_per_lead_time_and_review_holds_a_few_units():
    """0.05 a day: 0.45 expected over the 9 days of lead time + review. The service level
    alone would hold the 0.97 quantile, 2-3 units; the level stays within 28 days' mean."""
    plan = _plan({"rare": 0.05}).loc["rare"]
    assert plan["forecast_cover_mean"] < 1
    assert plan["order_up_to"] <= 0.05 * 28 + 0.05
    assert plan["order_qty"] <= 2


def test_a_fast_mover_is_unaffected():
    """100 a day: the EOQ is 17 days of demand, so the batch fits within 28 days."""
    capped = _plan({"fast": 100.0})
    uncapped = _plan({"fast": 100.0}, SETTINGS | {"max_cover_days": None})
    assert capped.loc["fast", "economic_batch"] > 500
    for column in ("order_trigger", "economic_batch", "order_up_to", "order_qty"):
        assert capped.loc["fast", column] == pytest.approx(uncapped.loc["fast", column])
    assert capped.loc["fast", "order_up_to"] < capped.loc["fast", "max_cover_level"]


def test_moq_and_case_packs_still_apply_and_are_counted():
    plan = _plan({"moq": 0.2, "pack": 0.2}, min_order_qty=[24, 0], case_pack=[1, 12])
    # The MOQ is the user's constraint: kept, and the units beyond the cap counted.
    assert plan.loc["moq", "order_qty"] == 24
    allowed = np.ceil(plan.loc["moq", "max_cover_level"])
    assert plan.loc["moq", "above_max_cover"] == pytest.approx(24 - allowed)
    assert plan.loc["pack", "order_qty"] == 12
    assert plan.loc["pack", "above_max_cover"] == pytest.approx(12 - allowed)


def test_max_cover_periods_follow_the_frequency_the_cycle_and_the_shelf_life():
    lead, review = np.array([2, 2, 1, 2]), np.array([7, 7, 1, 7])
    shelf = np.array([np.inf, np.nan, np.inf, 5.0])
    np.testing.assert_array_equal(max_cover_periods(28, 1, lead, review, shelf), [28, 28, 28, 7])
    # Weekly data: 28 days are 4 periods, but never fewer than lead time + review.
    np.testing.assert_array_equal(max_cover_periods(28, 7, lead, review), [9, 9, 4, 9])
    np.testing.assert_array_equal(max_cover_periods(28, 7, np.array([1]), np.array([1])), [4])
    assert np.isinf(max_cover_periods(None, 1, lead, review, shelf)[:3]).all()
    assert max_cover_periods(None, 1, lead, review, shelf)[3] == 7  # lead time + shelf life
    with pytest.raises(ValueError, match="max_cover_days"):
        max_cover_periods(0, 1, lead, review)


def test_beyond_max_cover_ignores_rounding_to_whole_units():
    position = np.array([0.0, 0.0, 2.0, 0.0])
    quantity = np.array([6.0, 24.0, 12.0, 0.0])
    np.testing.assert_allclose(
        beyond_max_cover(position, quantity, np.array([5.6, 5.6, 5.6, 5.6])), [0, 18, 8, 0]
    )
    assert beyond_max_cover(np.array([0.0]), np.array([50.0]), np.inf)[0] == 0


def _slow_movers(n_series: int = 40, seed: int = 0) -> dict:
    """Slow movers of 0.1 to 0.5 a day (the takeaway's menu items), a 28-day history and
    holdout, the default economics; the forecast is the true Poisson quantiles."""
    rng = np.random.default_rng(seed)
    series = [f"S{i:02d}" for i in range(n_series)]
    rates = dict(zip(series, rng.uniform(0.1, 0.5, n_series), strict=True))
    forecast = _forecast(rates, start="2024-01-29")
    actual = np.stack([rng.poisson(rate, DAYS) for rate in rates.values()]).astype(float)
    forecast["y_true"] = actual.ravel()
    history = pd.DataFrame(
        np.stack([rng.poisson(rate, DAYS) for rate in rates.values()]).astype(float),
        index=series,
        columns=pd.date_range("2024-01-01", periods=DAYS),
    )
    return {"holdout": forecast.assign(model="truth"), "history": history, "items": _items(series)}


def _backtest(case: dict, **overrides) -> pd.DataFrame:
    table, _ = run_backtest(
        case["holdout"], case["history"], case["items"], SETTINGS | overrides, 365.0
    )
    return table[table["series_id"] == "ALL"].set_index("policy")


def test_the_backtest_of_slow_movers_no_longer_buys_several_times_the_demand():
    case = _slow_movers()
    before = _backtest(case, max_cover_days=None).loc["truth"]
    total = _backtest(case)
    after = total.loc["truth"]
    assert before["units_purchased"] > 8 * before["demand"]  # the defect: years of cover
    # At most the first order's 28 days plus one more at the window's end.
    assert after["units_purchased"] < 2 * after["demand"]
    assert after["end_on_hand"] + after["end_on_order"] < after["demand"]
    assert after["total_cost"] < before["total_cost"]
    assert after["fill_rate"] >= total.loc["naive", "fill_rate"] - 0.02
    assert after["above_max_cover"] == 0


def test_the_backtest_counts_what_an_moq_buys_beyond_the_max_cover():
    case = _slow_movers(n_series=6)
    case["items"]["min_order_qty"] = 20.0
    total = _backtest(case)
    assert total.loc["truth", "above_max_cover"] > 0
    assert total.loc["truth", "units_purchased"] >= 20 * 6
    assert total.loc["naive", "above_max_cover"] == 0


def _table(ours: dict, rule: dict) -> pd.DataFrame:
    base = {
        "series_id": "ALL",
        "demand": 2887.0,
        "holding_cost": 10.0,
        "ordering_cost": 100.0,
        "lost_sales_cost": 0.0,
        "waste_cost": 0.0,
        "end_stock_cost": 0.0,
    }
    rows = [base | {"policy": "naive"} | rule, base | {"policy": "ensemble"} | ours]
    rows.append(base | {"policy": "oracle", "total_cost": 1.0, "fill_rate": 1.0})
    return pd.DataFrame(rows)


def test_a_forecast_policy_costlier_than_the_rule_is_explained_with_the_assumed_economics():
    table = _table(
        {
            "total_cost": 8415.0,
            "fill_rate": 1.0,
            "units_purchased": 23813.0,
            "end_stock_cost": 5535.0,
        },
        {
            "total_cost": 5523.0,
            "fill_rate": 0.921,
            "units_purchased": 3144.0,
            "end_stock_cost": 35.0,
        },
    )
    assumed = assumed_economics(pd.DataFrame({"series_id": ["A"]}), DEFAULTS)
    message = costlier_than_rule(table, assumed)
    assert "ensemble" in message and "+52.4%" in message
    assert "fill rate is lower (0.921 vs 1.000)" in message
    assert "end_stock_cost" in message and "23,813 units" in message
    assert "max_cover_days" in message
    for field, value in DEFAULTS.items():  # every assumed value is listed
        assert f"{field}={'none' if value is None else f'{value:g}'}" in message
    cheaper = _table(
        {"total_cost": 4568.0, "fill_rate": 0.98, "units_purchased": 6425.0},
        {"total_cost": 5523.0, "fill_rate": 0.921, "units_purchased": 3144.0},
    )
    assert costlier_than_rule(cheaper, assumed) is None


def test_item_parameters_log_every_assumed_value(caplog):
    with caplog.at_level(logging.INFO, logger=nodes.logger.name):
        nodes.build_item_parameters(
            pd.DataFrame({"series_id": ["A"]}), {"frequency": "D"}, {"defaults": DEFAULTS}
        )
    (record,) = [r for r in caplog.records if "Item economics" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert "ordering_cost=10" in record.getMessage() and "unit_cost=1" in record.getMessage()
    caplog.clear()
    data = pd.DataFrame({"series_id": ["A"], "unit_cost": [2.0], "unit_price": [3.0]})
    assumed = assumed_economics(data, DEFAULTS)
    assert "unit_cost" not in assumed and "price" not in assumed and "ordering_cost" in assumed
