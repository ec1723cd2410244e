"""Nodes of the replenishment pipeline; the mathematics lives in
``inventory_optimization.inventory``."""

from __future__ import annotations

import logging
import time
from typing import Any

import pandas as pd

from ...inventory import item_parameters, plan_orders, positions, run_backtest
from ...inventory.backtest import costlier_than_rule
from ...inventory.items import (
    ECONOMIC_FIELDS,
    ITEM_COLUMNS,
    assumed_economics,
    describe_assumed,
    prices_from_panel,
    settings_in_periods,
    with_data_prices,
)
from ...inventory.order_sheet import order_sheet
from ...inventory.validation import ITEM_FIELDS
from ...panel.periods import Frequency, protocol_origin

logger = logging.getLogger(__name__)


def _economics_attributes(
    series_attributes: pd.DataFrame, demand_panel: pd.DataFrame | None, inventory: dict[str, Any]
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The attributes item economics read: the data's price column as the items' price where
    the attributes have none (and a cost at the defaults' ratio to it)."""
    prices = None if demand_panel is None else prices_from_panel(demand_panel)
    return with_data_prices(series_attributes, prices, inventory["defaults"])


def build_item_parameters(
    series_attributes: pd.DataFrame,
    panel_metadata: dict[str, Any],
    inventory: dict[str, Any],
    demand_panel: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Item economics and logistics per series, validated before anything is planned. Prices
    come from the data's price column where the items have none. Logs every value taken from
    ``inventory.defaults`` because the data has no column for it (a warning when that
    includes money: cost, price, holding or ordering cost)."""
    frequency = Frequency.of(panel_metadata["frequency"])
    series_attributes, derived = _economics_attributes(series_attributes, demand_panel, inventory)
    if derived:
        logger.info(
            "Item economics from the data: %s",
            "; ".join(f"{field}: {how}" for field, how in derived.items()),
        )
    inventory, converted = settings_in_periods(inventory, frequency.days_per_period)
    if converted:
        logger.info(
            "Inventory settings stated in days, in %s: %s", frequency.unit, "; ".join(converted)
        )
    table = item_parameters(series_attributes, inventory["defaults"], frequency.days_per_period)
    assumed = assumed_economics(series_attributes, inventory["defaults"])
    if "unit_cost" in derived and "assumed" in derived["unit_cost"]:
        assumed = {"unit_cost": derived["unit_cost"], **assumed}
    if assumed:
        level = logging.WARNING if set(assumed) & set(ECONOMIC_FIELDS) else logging.INFO
        logger.log(
            level,
            "Item economics: %d of %d fields are not in the data and are assumed for all %d "
            "series (inventory.defaults, lead time, review and shelf life in periods): %s. "
            "The plan's service targets and batches and the backtest's costs rest on them; "
            "give the items' own values as series attributes (%s) or in "
            "conf/<env>/parameters_replenishment.yml (inventory.defaults).",
            len(assumed),
            len(ITEM_COLUMNS),
            len(table),
            describe_assumed(assumed),
            ", ".join(c for spelling in ITEM_FIELDS.values() for c in spelling.attributes),
        )
    return table


def resolve_positions(
    stock_positions: pd.DataFrame | None,
    demand_forecast: pd.DataFrame,
    panel_metadata: dict[str, Any],
    inventory: dict[str, Any],
) -> pd.DataFrame:
    """Today's position of every series: the user's stock file (``stock_positions``) checked
    against the panel, or, without one, ``assumed_cover_days`` of the forecast mean demand on
    hand and nothing on order (the plan's ``position_source`` says which)."""
    frequency = Frequency.of(panel_metadata["frequency"])
    cover = settings_in_periods(inventory, frequency.days_per_period)[0]["assumed_cover_periods"]
    forecast = demand_forecast.assign(series_id=demand_forecast["series_id"].astype(str))
    return positions.resolve_positions(
        stock_positions, forecast, panel_metadata["keys"], float(cover), frequency.unit
    )


def plan_replenishment(
    demand_forecast: pd.DataFrame,
    item_parameters: pd.DataFrame,
    current_positions: pd.DataFrame,
    panel_metadata: dict[str, Any],
    inventory: dict[str, Any],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What to order today per series, with the figures a buyer reads (and a CSV copy): the
    stock file's item overrides applied, each position's source and expected arrival shown."""
    frequency = Frequency.of(panel_metadata["frequency"])
    started = time.perf_counter()
    forecast = demand_forecast.assign(series_id=demand_forecast["series_id"].astype(str))
    discontinued = panel_metadata.get("discontinued", {})
    items = positions.apply_overrides(item_parameters, current_positions, frequency.days_per_period)
    plan = plan_orders(
        forecast,
        items,
        current_positions,
        inventory,
        frequency.periods_per_year,
        frequency.days_per_period,
        not_planned={
            series: f"discontinued: no sale since {last or 'the start'} "
            f"(rule: none in {discontinued['after_days']} days)"
            for series, last in discontinued.get("series", {}).items()
        },
        # The live origin: the period before the forecast's first (months vary in length).
        as_of_date=frequency.shift(pd.Timestamp(forecast["date"].min()), -1),
    )
    keys = forecast.drop_duplicates("series_id").set_index("series_id")[
        [k for k in panel_metadata["keys"] if k in forecast.columns]
    ]
    plan = positions.with_position_columns(plan.join(keys, on="series_id"), current_positions)
    logger.info(
        "Replenishment plan: %d series (%d discontinued), %d to order today, order value %.0f "
        "(%.1f s)",
        len(plan),
        int((plan["status"] != "planned").sum()),
        int((plan["order_qty"] > 0).sum()),
        plan["order_value"].sum(),
        time.perf_counter() - started,
    )
    return plan, plan


def write_order_sheet(
    replenishment_plan: pd.DataFrame,
    item_parameters: pd.DataFrame,
    current_positions: pd.DataFrame,
    series_attributes: pd.DataFrame,
    panel_metadata: dict[str, Any],
    options: dict[str, Any],
) -> pd.DataFrame:
    """The buyer's order sheet from today's plan (the plan itself unchanged): the stock file's
    item overrides applied as the plan applied them, and the day an order placed this morning
    (the period after the plan's date) arrives, ``lead_time`` periods later."""
    frequency = Frequency.of(panel_metadata["frequency"])
    items = positions.apply_overrides(item_parameters, current_positions, frequency.days_per_period)
    lead = replenishment_plan["lead_time"].fillna(0).to_numpy(dtype=int)
    as_of = pd.DatetimeIndex(pd.to_datetime(replenishment_plan["as_of_date"]))
    arrival = pd.Series(frequency.shift(as_of, 1 + lead), index=replenishment_plan.index)
    sheet = order_sheet(
        replenishment_plan,
        items,
        series_attributes,
        arrival,
        currency=str(options.get("currency", "EUR")),
        unit=str(options.get("unit", "units")),
        include_zero_orders=bool(options.get("include_zero_orders", True)),
    )
    logger.info(
        "Order sheet: %d lines, %d with an order",
        len(sheet),
        int((replenishment_plan["order_qty"] > 0).sum()),
    )
    return sheet


def backtest_policies(
    holdout_forecasts: pd.DataFrame,
    demand_panel: pd.DataFrame,
    item_parameters: pd.DataFrame,
    panel_metadata: dict[str, Any],
    protocol: dict[str, Any],
    inventory: dict[str, Any],
    series_attributes: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Replay the holdout with actual demand for every policy; KPIs and trajectories.

    A forecast policy costlier than the spreadsheet rule is logged as a warning with the
    likely reasons and the item economics assumed (those ``series_attributes`` lack).

    Every policy starts from the same stock, ``inventory.backtest.start`` (default the actual
    demand over the first lead time). The recorded stock positions (``stock_positions``,
    ``current_positions``) are today's, at the panel's last date, which is the holdout's end,
    not its origin: they are not the stock the holdout started with, so they are not used.
    """
    frequency = Frequency.of(panel_metadata["frequency"])
    started = time.perf_counter()
    origin, _ = protocol_origin(
        protocol, demand_panel["date"].min(), demand_panel["date"].max(), frequency.code
    )
    inventory, _ = settings_in_periods(inventory, frequency.days_per_period)
    window = int(inventory["naive"]["window"])
    past = demand_panel[(demand_panel["date"] <= origin)]
    history = past.pivot(index="series_id", columns="date", values="demand").iloc[:, -window:]
    history.index = history.index.astype(str)
    holdout = holdout_forecasts.assign(series_id=holdout_forecasts["series_id"].astype(str))
    table, trajectories = run_backtest(
        holdout,
        history.clip(lower=0),
        item_parameters,
        inventory,
        frequency.periods_per_year,
        period_days=frequency.days_per_period,
    )
    total = table[table["series_id"] == "ALL"].set_index("policy")
    logger.info(
        "Backtest (%.1f s), total cost and fill rate per policy:\n%s",
        time.perf_counter() - started,
        total[
            ["total_cost", "fill_rate", "units_purchased", "end_on_hand", "gap_closed"]
        ].to_string(),
    )
    assumed = {}
    if series_attributes is not None:
        attributes, derived = _economics_attributes(series_attributes, demand_panel, inventory)
        assumed = assumed_economics(attributes, inventory["defaults"])
        if "unit_cost" in derived:
            assumed = {"unit_cost": derived["unit_cost"], **assumed}
    warning = costlier_than_rule(table, assumed)
    if warning:
        logger.warning(warning)
    return table, trajectories
