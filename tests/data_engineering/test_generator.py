"""The seeded generator of the built-in data: reproducible, the right shapes, and the effects it
claims (closures, promotions, holidays) visible in the true expected demand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from inventory_optimization.sources.synthetic import CATEGORIES, generate_demand_data

PARAMETERS = (
    Path(__file__).resolve().parents[2] / "conf" / "base" / "parameters_data_engineering.yml"
)
TABLES = ("sales", "items", "stores", "weather", "stock_positions", "true_demand")
KEY = ["date", "store_id", "item_id"]


def _params(**overrides) -> dict:
    params = yaml.safe_load(PARAMETERS.read_text())["synthetic_data"]
    # Small, and spanning Dec 25 and Jan 1 (closed everywhere).
    params.update(n_stores=2, n_items=4, n_days=120, start_date="2022-12-01")
    params.update(overrides)
    return params


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return generate_demand_data(_params())


def _truth(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Sales joined with the true demand and the item category."""
    joined = tables["sales"].merge(tables["true_demand"], on=KEY, validate="one_to_one")
    return joined.merge(tables["items"][["item_id", "category"]], on="item_id")


def test_yaml_parameters_are_the_documented_defaults():
    params = yaml.safe_load(PARAMETERS.read_text())["synthetic_data"]
    assert params["seed"] == 42
    assert params["promo_days"] == 7
    assert params["fast_dispersion"] > 0
    assert params["slow_dispersion"] > 0


def test_same_seed_gives_identical_tables(tables):
    again = generate_demand_data(_params())
    assert set(again) == set(TABLES)
    for name in TABLES:
        pd.testing.assert_frame_equal(again[name], tables[name], check_exact=True)


def test_different_seed_gives_different_tables(tables):
    other = generate_demand_data(_params(seed=43))
    assert not other["sales"]["units_sold"].equals(tables["sales"]["units_sold"])
    assert not np.allclose(
        other["true_demand"]["expected_demand"], tables["true_demand"]["expected_demand"]
    )
    assert not other["items"]["unit_price"].equals(tables["items"]["unit_price"])
    # The grid itself does not depend on the seed.
    pd.testing.assert_frame_equal(other["sales"][KEY], tables["sales"][KEY])


def test_shapes_and_ids(tables):
    assert tables["sales"].shape == (2 * 4 * 120, 7)
    assert tables["true_demand"].shape == (2 * 4 * 120, 5)
    assert len(tables["items"]) == 4
    assert len(tables["stores"]) == 2
    assert len(tables["weather"]) == 120
    assert len(tables["stock_positions"]) == 2 * 4
    sales = tables["sales"]
    assert sales.columns.tolist() == [
        "date",
        "store_id",
        "item_id",
        "units_sold",
        "price",
        "promo",
        "is_open",
    ]
    assert tables["stores"]["store_id"].tolist() == ["S01", "S02"]
    assert tables["items"]["item_id"].tolist() == ["I001", "I002", "I003", "I004"]
    assert sales["date"].min() == pd.Timestamp("2022-12-01")
    assert sales["date"].max() == pd.Timestamp("2023-03-30")
    assert not sales.duplicated(KEY).any()
    assert sales.groupby(["store_id", "item_id"]).size().eq(120).all()
    assert (sales["units_sold"] >= 0).all()
    assert set(sales["promo"].unique()) <= {0, 1}
    assert set(tables["items"]["category"]) <= set(CATEGORIES)


def test_closed_days_have_zero_units_and_zero_expected_demand(tables):
    truth = _truth(tables)
    closed = truth[truth["is_open"] == 0]
    closed_days = set(closed["date"].dt.strftime("%Y-%m-%d"))
    assert {"2022-12-25", "2023-01-01"} <= closed_days
    on_christmas = truth[truth["date"] == "2022-12-25"]
    assert (on_christmas["is_open"] == 0).all()
    assert (closed["units_sold"] == 0).all()
    assert (closed["expected_demand"] == 0).all()
    open_rows = truth[truth["is_open"] == 1]
    assert (open_rows["expected_demand"] > 0).all()


def test_promotion_days_have_higher_expected_demand(tables):
    truth = _truth(tables)
    truth = truth[truth["is_open"] == 1]
    means = truth.groupby(["store_id", "item_id", "promo"])["expected_demand"].mean().unstack()
    both = means.dropna()
    assert len(both) >= 4
    assert (both[1] > both[0]).all()
    assert (both[1] / both[0]).mean() > 1.1
    # Promotions come with the discounted price.
    prices = truth.groupby(["store_id", "item_id", "promo"])["price"].mean().unstack().dropna()
    assert (prices[1] < prices[0]).all()


def test_true_demand_is_a_valid_negative_binomial(tables):
    truth = tables["true_demand"]
    assert (truth["expected_demand"] >= 0).all()
    assert np.isfinite(truth["expected_demand"]).all()
    assert (truth["dispersion"] > 0).all()
    slow = tables["items"].set_index("item_id")["is_slow_mover"]
    expected = np.where(truth["item_id"].map(slow), 0.8, 8.0)
    np.testing.assert_array_equal(truth["dispersion"].to_numpy(), expected)


def test_stock_positions_are_consistent(tables):
    positions = tables["stock_positions"]
    assert (positions["as_of_date"] == pd.Timestamp("2023-03-30")).all()
    assert (positions["on_hand"] >= 0).all()
    no_order = positions["on_order"] == 0
    assert positions.loc[no_order, "expected_arrival"].isna().all()
    assert (positions.loc[~no_order, "expected_arrival"] > positions["as_of_date"].iloc[0]).all()


def _non_promo_ratio(truth: pd.DataFrame, day: str, reference: str) -> pd.Series:
    """Expected demand on ``day`` over the same weekday a week before, for items whose demand
    does not react to temperature, on days without promotion: only the calendar differs."""
    insensitive = [c for c, profile in CATEGORIES.items() if profile["temp"] == 0]
    truth = truth[truth["category"].isin(insensitive)].set_index(["store_id", "item_id"])
    on_day = truth[truth["date"] == day]
    before = truth[truth["date"] == reference]
    usable = (on_day["promo"] == 0) & (before["promo"] == 0)
    ratio = (on_day["expected_demand"] / before["expected_demand"])[usable]
    assert len(ratio) > 0
    return ratio


def test_eve_of_a_holiday_lifts_expected_demand():
    # 2023-04-06 (Maundy Thursday) is a public holiday in Peru: the day before is its eve.
    truth = _truth(
        generate_demand_data(
            _params(start_date="2023-03-01", n_days=60, n_items=6, closure_rate=0.0)
        )
    )
    ratio = _non_promo_ratio(truth, "2023-04-05", "2023-03-29")
    assert ratio.between(1.25 * 0.95, 1.25 * 1.05).all()


def test_last_day_is_not_an_eve_because_the_first_day_is_a_holiday():
    # Starts on New Year's Day; ends on Monday 2023-04-10, and 2023-04-11 is no holiday.
    truth = _truth(
        generate_demand_data(
            _params(start_date="2023-01-01", n_days=100, n_items=6, closure_rate=0.0)
        )
    )
    assert truth["date"].max() == pd.Timestamp("2023-04-10")
    ratio = _non_promo_ratio(truth, "2023-04-10", "2023-04-03")
    assert ratio.between(0.95, 1.05).all()
