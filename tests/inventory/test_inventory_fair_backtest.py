"""A backtest that cannot flatter (issue 14, item 4): every policy starts the holdout from the
same stock, pays for what it buys and is left with stock valued the same way, so that none
wins by starting with, or ending on, free stock."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from inventory_optimization.inventory import backtest_kpis, run_backtest, simulate
from inventory_optimization.inventory.backtest import starting_stock
from inventory_optimization.inventory.baselines import naive_levels
from inventory_optimization.inventory.kpis import ending_stock_value

LEVELS = np.array([0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99])
SETTINGS = {
    "service_target": 0.95,
    "lost_sales": True,
    "n_samples": 200,
    "seed": 0,
    "naive": {"window": 28, "cover_factor": 1.0, "safety_factor": 2.0},
}


def _items(n_series: int, **overrides) -> pd.DataFrame:
    table = {
        "series_id": [f"S{i:02d}" for i in range(n_series)],
        "unit_cost": 1.0,
        "price": 5.0,
        "holding_cost_rate": 0.05,
        "goodwill": 0.0,
        "ordering_cost": 140.0,
        "lead_time": 2,
        "review_period": 7,
        "case_pack": 1,
        "min_order_qty": 0,
        "shelf_life": np.inf,
        "salvage": 0.0,
        "unit_volume": 1.0,
        "is_perishable": False,
    }
    return pd.DataFrame(table | overrides)


def _case(n_series: int = 12, days: int = 28, seed: int = 0, **item_overrides) -> dict:
    """Poisson demand around 10 a day; two forecasts: the true Poisson quantiles (``big``:
    with the default economics its first order-up-to level is a 16x batch, 4,500 units for
    280 of holdout demand) and zero (``nothing``: a policy that never orders)."""
    rng = np.random.default_rng(seed)
    items = _items(n_series, **item_overrides)
    series = items["series_id"].to_numpy()
    mean = rng.uniform(8, 12, (n_series, 1))
    actual = rng.poisson(mean, (n_series, days)).astype(float)
    history = pd.DataFrame(
        rng.poisson(mean, (n_series, 28)).astype(float),
        index=series,
        columns=pd.date_range("2024-01-01", periods=28),
    )
    dates = pd.date_range("2024-01-29", periods=days)
    frame = pd.DataFrame(
        {
            "series_id": np.repeat(series, days),
            "date": np.tile(dates, n_series),
            "y_true": actual.ravel(),
        }
    )
    quantiles = stats.poisson.ppf(LEVELS, np.repeat(mean[:, 0], days)[:, None])
    models = []
    for model, table in (("big", quantiles), ("nothing", np.zeros_like(quantiles))):
        columns = pd.DataFrame(table, columns=[f"q_{level:g}" for level in LEVELS])
        models.append(pd.concat([frame.assign(model=model), columns], axis=1))
    return {
        "holdout": pd.concat(models, ignore_index=True),
        "history": history,
        "items": items,
        "actual": actual,
    }


def _run(case: dict, **overrides) -> tuple[pd.DataFrame, pd.DataFrame]:
    return run_backtest(
        case["holdout"], case["history"], case["items"], SETTINGS | overrides, 365.0
    )


def _replay(case: dict, levels, initial_on_hand) -> pd.DataFrame:
    """KPIs per series of ``levels`` replayed on the case's demand and economics."""
    items = case["items"]
    out = simulate(
        case["actual"],
        levels,
        items["lead_time"].to_numpy(),
        items["review_period"].to_numpy(),
        initial_on_hand=initial_on_hand,
    )
    return backtest_kpis(
        out,
        items["unit_cost"].to_numpy(),
        items["price"].to_numpy(),
        items["holding_cost_rate"].to_numpy() / 365.0,
        items["ordering_cost"].to_numpy(),
    )


def _old_cost(kpis: pd.DataFrame) -> float:
    """The total as the backtest counted it before: the ending stock at its full cost."""
    return float((kpis["total_cost"] - kpis["end_stock_cost"]).sum())


def test_a_policy_that_never_orders_no_longer_looks_cheaper_than_the_rule():
    """The issue's case. A large economic batch makes the forecast policy's first level 16
    times the holdout's demand; the old backtest let it start there, so it never ordered and
    a do-nothing policy on that stock beat the rule. From the common start the do-nothing
    policy runs out after the first lead time and costs more than the rule."""
    case = _case()
    table, trajectories = _run(case)
    by = table[table["series_id"] != "ALL"].set_index(["policy", "series_id"])
    first = trajectories[trajectories["date"] == trajectories["date"].min()]
    first = first.set_index(["policy", "series_id"])
    big_level = (first.loc["big", "on_hand_start"] + first.loc["big", "order_qty"]).to_numpy()
    assert (big_level > 10 * case["actual"].sum(axis=1)).all()

    # The old rule: every policy starts from its own first level, the ending stock at cost.
    items, actual = case["items"], case["actual"]
    lead, review = items["lead_time"].to_numpy(), items["review_period"].to_numpy()
    history = case["history"].to_numpy()
    rule = naive_levels(history, lead, review, actual, window=28, safety_factor=2.0)
    never_orders = np.zeros(len(items))
    old_rule = _old_cost(_replay(case, rule, None))
    old_do_nothing = _replay(case, never_orders, big_level)
    assert old_do_nothing["lost_sales"].sum() == 0
    assert _old_cost(old_do_nothing) < 0.2 * old_rule

    # Now: the same start for every policy, purchases paid, the ending stock valued.
    start = by.loc["naive", "start_on_hand"].to_numpy()
    do_nothing = _replay(case, never_orders, start)
    naive_cost = by.loc["naive", "total_cost"].to_numpy()
    assert do_nothing["fill_rate"].max() < 0.2
    assert (do_nothing["total_cost"].to_numpy() > naive_cost).all()
    # The zero forecast is that policy inside the backtest: it never orders either.
    assert by.loc["nothing", "units_purchased"].sum() == 0
    np.testing.assert_allclose(
        by.loc["nothing", "total_cost"].to_numpy(), do_nothing["total_cost"].to_numpy()
    )
    totals = table[table["series_id"] == "ALL"].set_index("policy")
    assert totals.loc["nothing", "total_cost"] > totals.loc["naive", "total_cost"]
    assert totals.loc["nothing", "gap_closed"] < 0
    # The batch is bought, and the years of demand it leaves cost more than their holding.
    assert (by.loc["big", "units_purchased"] > 10 * actual.sum(axis=1)).all()
    assert (by.loc["big", "end_stock_cost"] > by.loc["big", "holding_cost"]).all()


@pytest.mark.parametrize("rule", ["lead_time_demand", "naive_level"])
def test_every_policy_starts_from_the_same_stock(rule):
    case = _case(lead_time=np.arange(12) % 4)
    table, trajectories = _run(case, backtest={"start": rule})
    per_series = table[table["series_id"] != "ALL"].pivot(
        index="series_id", columns="policy", values="start_on_hand"
    )
    assert set(per_series.columns) == {"naive", "oracle", "big", "nothing"}
    start = per_series["naive"].to_numpy()
    for policy in per_series.columns:
        np.testing.assert_array_equal(per_series[policy].to_numpy(), start)
    first = trajectories[trajectories["date"] == trajectories["date"].min()]
    assert first.groupby("series_id")["on_hand_start"].nunique().max() == 1
    lead = case["items"]["lead_time"].to_numpy()
    if rule == "lead_time_demand":
        expected = [case["actual"][i, : lead[i]].sum() for i in range(len(lead))]
    else:
        review = case["items"]["review_period"].to_numpy()
        expected = (case["history"].mean(axis=1).to_numpy()) * (lead + review + 2.0)
    np.testing.assert_allclose(start, expected)


def test_a_known_stock_at_the_origin_is_the_start_and_the_rest_use_the_rule():
    case = _case()
    known = pd.Series({"S03": 500.0, "S07": 0.0})
    table, _ = run_backtest(
        case["holdout"], case["history"], case["items"], SETTINGS, 365.0, on_hand=known
    )
    start = table[table["policy"] == "big"].set_index("series_id")["start_on_hand"]
    assert start["S03"] == 500.0 and start["S07"] == 0.0
    assert start["S00"] == case["actual"][0, :2].sum()


def test_an_unknown_start_rule_is_refused():
    with pytest.raises(ValueError, match="inventory.backtest.start: 'own_level' is not one of"):
        starting_stock("own_level", np.ones((1, 3)), np.array([1]), np.ones((1, 3)))


def test_purchases_and_ending_stock_add_up_to_the_trajectories():
    case = _case(
        lead_time=np.arange(12) % 4, review_period=5, case_pack=np.where(np.arange(12) % 2, 6, 1)
    )
    table, trajectories = _run(case)
    rows = table[table["series_id"] != "ALL"].set_index(["policy", "series_id"])
    replay = trajectories.sort_values("date").groupby(["policy", "series_id"])
    np.testing.assert_allclose(rows["units_purchased"], replay["order_qty"].sum()[rows.index])
    np.testing.assert_allclose(rows["end_on_hand"], replay["on_hand_end"].last()[rows.index])
    np.testing.assert_allclose(rows["start_on_hand"], replay["on_hand_start"].first()[rows.index])
    bought = rows["start_on_hand"] + rows["units_purchased"]
    used = rows["sales"] + rows["waste"]
    left = rows["end_on_hand"] + rows["end_on_order"]
    assert (bought - used - left).abs().max() < 1e-9
    assert (rows["end_on_order"] > 0).any()  # orders still on their way are counted too
    np.testing.assert_allclose(rows["purchase_cost"], rows["units_purchased"])  # unit cost 1
    totals = table[table["series_id"] == "ALL"].set_index("policy")
    for column in ("start_on_hand", "units_purchased", "end_on_hand", "end_stock_cost"):
        np.testing.assert_allclose(
            totals[column], rows[column].groupby("policy").sum()[totals.index]
        )


def test_total_cost_is_what_a_policy_buys_less_what_it_is_left_with():
    """total_cost = purchases - ending stock value + holding + ordering + lost revenue, less
    a term every policy shares: the unit cost of the demand less that of the start."""
    case = _case(shelf_life=np.where(np.arange(12) % 3 == 0, 4.0, np.inf), salvage=0.2)
    case["items"]["is_perishable"] = np.isfinite(case["items"]["shelf_life"])
    table, _ = _run(case)
    rows = table[table["series_id"] != "ALL"]
    price = case["items"].set_index("series_id")["price"].reindex(rows["series_id"]).to_numpy()
    explained = (
        rows["purchase_cost"]
        - rows["end_stock_value"]
        + rows["holding_cost"]
        + rows["ordering_cost"]
        + price * rows["lost_sales"]
    )
    common = explained - rows["total_cost"]
    np.testing.assert_allclose(common, rows["demand"] - rows["start_on_hand"], atol=1e-9)


def test_ending_stock_is_worth_its_cost_less_the_holding_of_the_periods_it_covers():
    value = ending_stock_value(
        units=np.array([20.0, 20.0, 20.0, 20.0, 1e6]),
        mean_demand=np.array([10.0, 10.0, 0.0, 10.0, 1.0]),
        unit_cost=2.0,
        holding_per_unit_per_period=0.01,
        shelf_life=np.array([np.inf, 1.5, np.inf, 3.0, np.inf]),
        salvage=np.array([0.0, 0.5, 0.3, 0.5, 0.0]),
    )
    # Two periods of cover: each unit waits one period on average.
    assert value[0] == pytest.approx(20 * (2.0 - 0.01))
    # A one-period shelf life sells 10, the other 10 are worth their salvage.
    assert value[1] == pytest.approx(10 * (2.0 - 0.01 * 0.5) + 10 * 0.5)
    assert value[2] == pytest.approx(20 * 0.3)  # no demand: nothing sells
    assert value[3] == pytest.approx(20 * (2.0 - 0.01))  # sells within its shelf life
    assert value[4] == 0.0  # a million periods of cover: worth nothing
