"""A user's own export, in every shape (issue 12, tests): generated files (daily order lines,
weekly totals on each anchor day, gaps meaning zero or unknown, intermittent items, series that
end early, one series, prices present or absent) go the way a new user takes them: `inspect`
prints a mapping, the user pastes it over conf/custom, and the project's own nodes build the
panel, the features at the live origin and the plan. For each shape: what was inferred, that
no series is dropped on the way, that the plan has every series (live ones planned,
discontinued ones listed with their reason), and the error text of each contradiction.

The forecast between features and plan is seasonal naive with a fixed spread: the models have
suites of their own; here the question is whether every series reaches the plan."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kedro.config import OmegaConfigLoader

from inventory_optimization.models import ForecastContext, make_forecaster
from inventory_optimization.panel import DataValidationError
from inventory_optimization.panel.inspection import inspect_table
from inventory_optimization.panel.periods import WEEKDAYS, Frequency
from inventory_optimization.pipelines.data_engineering import nodes as de_nodes
from inventory_optimization.pipelines.feature_engineering import nodes as fe_nodes
from inventory_optimization.pipelines.replenishment import nodes as plan_nodes
from tests.conftest import PROJECT_ROOT
from tests.data_engineering.test_inspection import daily_orders, weekly_totals

SHAPES = settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SPREAD = {0.05: 0.3, 0.1: 0.5, 0.25: 0.8, 0.5: 1.0, 0.75: 1.2, 0.9: 1.5, 0.95: 1.8, 0.99: 2.5}


def _custom_parameters() -> dict:
    loader = OmegaConfigLoader(
        conf_source=str(PROJECT_ROOT / "conf"),
        base_env="base",
        default_run_env="custom",
        runtime_params={"raw_dir": "unused"},
        merge_strategy={"parameters": "soft"},
    )
    return loader["parameters"]


PARAMETERS = _custom_parameters()


@dataclass
class Outcome:
    mapping: dict
    panel: pd.DataFrame
    metadata: dict
    live_rows: pd.DataFrame
    plan: pd.DataFrame


def plan_from_export(
    frame: pd.DataFrame, horizon: int, stock: pd.DataFrame | None = None
) -> Outcome:
    """inspect -> pasted mapping -> the project's nodes -> today's plan (from ``stock``, the
    user's stock file, when given)."""
    pasted = yaml.safe_load(inspect_table(frame).to_yaml("export.csv"))
    data_source = {**pasted["data_source"], "raw_dir": "unused"}
    cleaning = {**PARAMETERS["cleaning"], **pasted.get("cleaning", {})}
    raw, attributes, summary = de_nodes.ingest_sales(data_source, sales=frame)
    panel = de_nodes.clean_demand_panel(raw, summary, cleaning)
    quality, _ = de_nodes.report_data_quality(panel)
    metadata = de_nodes.describe_panel(panel, attributes, summary, cleaning, quality)

    # A short export: few origins and folds (the run says which setting to lower otherwise).
    block = Frequency.of(metadata["frequency"]).parameter_block
    features = {
        **PARAMETERS["features"],
        "origins": {block: {"step": 1 if block == "weekly" else 7, "count": 3}},
    }
    protocol = {**PARAMETERS["protocol"], "origin": "auto", "horizon": horizon}
    cross_validation = {"n_folds": 1, "step": horizon}
    transforms = fe_nodes.fit_feature_transforms(
        panel, attributes, metadata, protocol, cross_validation, features
    )
    model_input, catalog = fe_nodes.build_features(
        panel, attributes, metadata, transforms, protocol, cross_validation, features
    )
    live = model_input[model_input["origin"] == pd.Timestamp(metadata["last_date"])]
    frequency = Frequency.of(metadata["frequency"])
    context = ForecastContext(
        features=catalog["name"].tolist(),
        frequency=frequency.code,
        season_length=frequency.season_length,
        panel=panel,
        n_jobs=1,
    )
    point = make_forecaster("seasonal_naive", {}).fit(live, context).predict(live, context)
    point = np.nan_to_num(np.clip(point, 0, None))
    forecast = live[[*metadata["keys"], "series_id", "date", "horizon", "is_closed"]].assign(
        model="ensemble", y_pred=point, **{f"q_{q:g}": point * f for q, f in SPREAD.items()}
    )
    inventory = PARAMETERS["inventory"]
    items = plan_nodes.build_item_parameters(attributes, metadata, inventory, panel)
    positions = plan_nodes.resolve_positions(stock, forecast, metadata, inventory)
    plan, _ = plan_nodes.plan_replenishment(forecast, items, positions, metadata, inventory)
    return Outcome(data_source, panel, metadata, live, plan)


def _series_in_file(frame: pd.DataFrame, keys: list[str]) -> set[str]:
    return set(frame[keys].astype(str).agg("|".join, axis=1))


def assert_nothing_dropped(outcome: Outcome, expected_series: set[str], horizon: int) -> None:
    panel_series = set(outcome.panel["series_id"].astype(str))
    assert panel_series == expected_series
    assert outcome.metadata["series"] == len(expected_series)
    # every series runs to the panel's last date and is forecast over the whole horizon
    ends = outcome.panel.groupby("series_id", observed=True)["date"].max()
    assert (ends == pd.Timestamp(outcome.metadata["last_date"])).all()
    per_series = outcome.live_rows.groupby("series_id", observed=True).size()
    assert set(per_series.index.astype(str)) == expected_series
    assert (per_series == horizon).all()
    # the plan lists each series once; the ones not planned say why
    plan = outcome.plan.set_index("series_id")
    assert plan.index.is_unique and set(plan.index) == expected_series
    stopped = set(outcome.metadata["discontinued"].get("series", {}))
    assert set(plan.index[plan["status"] != "planned"]) == stopped
    assert plan.loc[sorted(stopped), "status"].str.startswith("discontinued: no sale").all()
    assert (plan.loc[sorted(stopped), "order_qty"] == 0).all()


def _end_early(frame: pd.DataFrame, column: str, key: str, which: list[str], keep: float):
    """Drop the last (1 - keep) of the dates for the series ``which``: items delisted."""
    dates = pd.to_datetime(frame[column], dayfirst=True, format="mixed")
    cutoff = dates.min() + (dates.max() - dates.min()) * keep
    return frame[~(frame[key].isin(which) & (dates > cutoff))].reset_index(drop=True)


# --- daily order lines: zero on days without lines ----------------------------------------------


@SHAPES
@given(
    seed=st.integers(0, 10_000),
    items=st.integers(1, 5),
    price=st.booleans(),
    gap_share=st.sampled_from([0.0, 0.15]),
    ending_early=st.booleans(),
)
def test_daily_order_lines_reach_the_plan(seed, items, price, gap_share, ending_early):
    frame = daily_orders(seed, items, 120, price=price, promo=False, gap_share=gap_share)
    if ending_early and items > 1:
        frame = _end_early(frame, "Order Date", "Item Name", ["Dish A"], keep=0.4)
    outcome = plan_from_export(frame, horizon=7)
    assert outcome.metadata["frequency"] == "D"
    assert outcome.mapping["frequency"] == "D"
    assert outcome.metadata["cleaning"]["missing_policy"] == "zero"
    # days without a line are known zeros, not unknown
    assert outcome.panel["is_known"].all() or outcome.panel["is_closed"].any()
    assert_nothing_dropped(outcome, _series_in_file(frame, ["Item Name"]), horizon=7)
    if ending_early and items > 1:
        assert "Dish A" in outcome.metadata["discontinued"]["series"]
    priced = "price" in outcome.mapping.get("known_covariates", {})
    assert priced == price


# --- weekly totals on each anchor day: a missing week is unknown -----------------------------


@pytest.mark.parametrize("anchor", WEEKDAYS)
def test_weekly_totals_on_each_anchor_reach_the_plan(anchor):
    seed = WEEKDAYS.index(anchor)
    frame = weekly_totals(
        seed, anchor, 2, 3, 40, price=seed % 2 == 0, promo=True, zeros=False, floor=20,
        gap_share=0.1,
    )  # fmt: skip
    frame = _end_early(frame, "Week", "SKU", ["P01"], keep=0.5)
    outcome = plan_from_export(frame, horizon=4)
    assert outcome.metadata["frequency"] == f"W-{anchor}"
    # sales never below 20: a missing week is a gap in the export, not a week without sales
    assert outcome.metadata["cleaning"]["missing_policy"] == "nan"
    assert not outcome.panel["is_known"].all()
    expected = _series_in_file(frame, ["Store", "SKU"])
    assert_nothing_dropped(outcome, expected, horizon=4)
    assert (outcome.panel["date"].dt.day_of_week == WEEKDAYS.index(anchor)).all()


def test_weekly_totals_that_sell_single_units_read_a_missing_week_as_zero():
    frame = weekly_totals(3, "THU", 2, 2, 40, price=False, promo=False, zeros=False, floor=1)
    frame = frame.sample(frac=0.9, random_state=0).sort_index()  # weeks without a line
    outcome = plan_from_export(frame, horizon=4)
    assert outcome.metadata["cleaning"]["missing_policy"] == "zero"
    assert outcome.panel["is_known"].all()
    assert_nothing_dropped(outcome, _series_in_file(frame, ["Store", "SKU"]), horizon=4)


def test_weekly_totals_that_write_zero_weeks_read_a_missing_week_as_unknown():
    frame = weekly_totals(4, "MON", 2, 2, 40, price=False, promo=False, zeros=True, floor=0)
    frame = frame.sample(frac=0.9, random_state=0).sort_index()
    outcome = plan_from_export(frame, horizon=4)
    assert outcome.metadata["cleaning"]["missing_policy"] == "nan"
    assert not outcome.panel["is_known"].all()
    assert_nothing_dropped(outcome, _series_in_file(frame, ["Store", "SKU"]), horizon=4)


# --- intermittent items, one series ----------------------------------------------------------


def test_intermittent_item_lines_reach_the_plan():
    from inventory_optimization.sources.item_export import generate_item_export

    lines, truth = generate_item_export(n_stores=2, n_items=6, n_days=150, mean_rate=0.25)
    outcome = plan_from_export(lines, horizon=7)
    assert outcome.metadata["frequency"] == "D"
    assert outcome.metadata["cleaning"]["missing_policy"] == "zero"
    known = outcome.panel[outcome.panel["is_known"] & ~outcome.panel["is_closed"]]
    assert (known["demand"] == 0).mean() > 0.6  # most item-days sell nothing, and count
    # every series with a sale in the export is in the plan; none is invented
    expected = _series_in_file(lines, ["Store", "Item Name"])
    assert_nothing_dropped(outcome, expected, horizon=7)
    assert outcome.panel.groupby("series_id", observed=True)["demand"].sum().sum() == pytest.approx(
        truth.loc[truth["units"] > 0, "units"].sum()
    )


def test_a_one_series_file_is_planned():
    frame = daily_orders(11, 1, 90, price=True, promo=False)
    outcome = plan_from_export(frame, horizon=7)
    assert_nothing_dropped(outcome, {"Dish A"}, horizon=7)
    assert outcome.plan["status"].eq("planned").all()


# --- contradictions: one sentence that says what to do ----------------------------------------


def test_a_one_day_file_is_refused_with_the_numbers():
    """Yesterday's export alone, read with the mapping of the full export."""
    frame = daily_orders(5, 3, 60, price=False, promo=False)
    mapping = yaml.safe_load(inspect_table(frame).to_yaml("export.csv"))["data_source"]
    one_day = frame[frame["Order Date"].str.startswith("01/03/2024")]
    expected = r"'Order Date' covers 1 day \(2024-03-01\); the panel needs at least 2 days"
    with pytest.raises(DataValidationError, match=expected):
        de_nodes.ingest_sales({**mapping, "raw_dir": "unused"}, sales=one_day)


def test_a_daily_declaration_on_weekly_totals_says_what_to_set():
    frame = weekly_totals(1, "THU", 1, 2, 30, price=False, promo=False, zeros=False, floor=5)
    pasted = yaml.safe_load(inspect_table(frame).to_yaml("export.csv"))["data_source"]
    declared = {**pasted, "frequency": "D", "raw_dir": "unused"}
    with pytest.raises(DataValidationError, match="frequency: W-THU"):
        de_nodes.ingest_sales(declared, sales=frame)
