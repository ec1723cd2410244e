"""Backtest KPIs of simulated trajectories: service, stock, costs, turns; the policy's gap.

The accounting, the same for every policy (so that none can win by starting with, or ending
on, stock it did not pay for; ``backtest.run_backtest`` gives every policy the same start):

- ``units_purchased``: every unit ordered in the window, ``purchase_cost`` at the unit cost.
  Each is sold (its cost comes back with the sale: not a cost of the policy), wasted
  (``waste_cost``), or still there at the end, on hand or on order. ``above_max_cover``:
  the units of it that case packs or MOQs ordered beyond the policy's maximum cover.
- ``end_stock_value``: what the stock left at the end (``end_on_hand + end_on_order``) is
  worth (:func:`ending_stock_value`): its unit cost less the holding cost of the periods it
  would still cover at the window's mean demand; perishable units beyond what that demand
  takes within a shelf life at their salvage. ``end_stock_cost`` = unit cost x ending units
  - ``end_stock_value``: the part of its cost the ending stock will not recover.
- ``total_cost`` = holding + ordering + lost sales (at the margin) + waste (at the unit cost)
  + ``end_stock_cost``. Equivalently, ``purchase_cost - end_stock_value`` + holding +
  ordering + lost revenue (price x lost sales), less the unit cost of the demand and plus
  the unit cost of the starting stock: two terms that are the same for every policy given
  the same start, so differences between policies are differences of what they bought,
  what they are left with and what they lost. (With the ending stock valued at its full
  cost, as before this rule, a policy that holds years of demand at the end pays nothing
  for it beyond the window's holding cost.)
- Stock balance: ``start_on_hand + units_purchased - sales - waste = end_on_hand +
  end_on_order`` when no order is open at the start (``simulate``'s start).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .simulation import per_series, selling_periods

SERIES_ID = "series_id"
TOTAL_ID = "ALL"
# Columns that add up across series (units, money, counts).
ADDITIVE = (
    "demand",
    "sales",
    "unmet_demand",
    "lost_sales",
    "cycles",
    "stockout_cycles",
    "stockout_periods",
    "orders",
    "waste",
    "start_on_hand",
    "units_purchased",
    "above_max_cover",
    "end_on_hand",
    "end_on_order",
    "average_on_hand",
    "average_inventory_value",
    "annual_cost_of_sales",
    "holding_cost",
    "ordering_cost",
    "lost_sales_cost",
    "waste_cost",
    "purchase_cost",
    "end_stock_value",
    "end_stock_cost",
    "total_cost",
)
# The parts of ``total_cost``.
COST_PARTS = ["holding_cost", "ordering_cost", "lost_sales_cost", "waste_cost", "end_stock_cost"]


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    numerator, denominator = np.asarray(numerator, float), np.asarray(denominator, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan
        )


def _cycle_counts(cycle: np.ndarray, short: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per series: replenishment cycles seen (id >= 1) and those with a shortage."""
    n_series = len(cycle)
    width = int(cycle.max(initial=0)) + 1
    key = (np.arange(n_series)[:, None] * width + cycle).ravel()
    present = np.bincount(key, minlength=n_series * width).reshape(n_series, width) > 0
    hit = np.bincount(key, weights=short.ravel(), minlength=n_series * width)
    hit = hit.reshape(n_series, width) > 0
    return present[:, 1:].sum(axis=1), hit[:, 1:].sum(axis=1)


def ending_stock_value(
    units: np.ndarray,
    mean_demand: np.ndarray,
    unit_cost: np.ndarray | float,
    holding_per_unit_per_period: np.ndarray | float,
    shelf_life: np.ndarray | float = np.inf,
    salvage: np.ndarray | float = 0.0,
) -> np.ndarray:
    """What ``units`` left at the end are worth, per series: the units ``mean_demand`` per
    period will sell (all of them, or for perishables at most a shelf life's demand, taking
    them as fresh) keep their unit cost less the holding cost of waiting half the periods
    they cover (selling down evenly), never below the salvage; the rest, and all of a series
    without demand, are worth their salvage."""
    units = np.clip(np.asarray(units, dtype=float), 0.0, None)
    n_series = len(units)
    rate = per_series(mean_demand, n_series)
    with np.errstate(invalid="ignore"):
        shelf = selling_periods(per_series(shelf_life, n_series))
        sellable = np.where(rate > 0, np.minimum(units, rate * shelf), 0.0)
    cover = _ratio(sellable, rate)
    holding = per_series(holding_per_unit_per_period, n_series)
    worth = per_series(unit_cost, n_series) - holding * cover / 2
    floor = per_series(salvage, n_series)
    kept = np.where(sellable > 0, np.maximum(np.nan_to_num(worth), floor), floor)
    return sellable * kept + (units - sellable) * floor


def backtest_kpis(
    trajectories: dict[str, np.ndarray],
    unit_cost: np.ndarray | float,
    price: np.ndarray | float,
    holding_cost_rate_per_period: np.ndarray | float,
    ordering_cost: np.ndarray | float,
    waste_cost_per_unit: np.ndarray | float | None = None,
    periods_per_year: float = 365.0,
    series_ids: np.ndarray | None = None,
    warmup: int = 0,
    shelf_life: np.ndarray | float = np.inf,
    salvage: np.ndarray | float = 0.0,
) -> pd.DataFrame:
    """One row per series from ``simulate``'s output (periods before ``warmup`` skipped).

    fill_rate: share of demand served on time; cycle_service_level: share of replenishment
    cycles without a shortage; holding cost on end-of-period stock at ``unit_cost`` x rate;
    ordering cost per order placed; lost sales cost the margin; waste costs
    ``waste_cost_per_unit`` (default the unit cost); the stock at the start and the end,
    the units purchased and the ending stock's value and cost as the module's accounting
    says (``shelf_life`` in periods and ``salvage`` per unit for the ending stock); inventory
    turns are the yearly cost of sales over the average stock value.
    """
    cut = {name: np.asarray(value)[:, warmup:] for name, value in trajectories.items()}
    demand = cut["demand"]
    n_series, n_periods = demand.shape
    unmet = cut.get("unmet", cut["lost_sales"])
    short = unmet > 0
    if "cycle" in cut:
        cycle = cut["cycle"]
    elif "review" in cut:
        cycle = np.cumsum(cut["review"], axis=1)
    else:
        cycle = np.broadcast_to(np.arange(1, n_periods + 1), demand.shape)
    cycles, stockout_cycles = _cycle_counts(np.asarray(cycle, dtype=int), short)

    cost = per_series(unit_cost, n_series)
    holding = cost * per_series(holding_cost_rate_per_period, n_series)
    margin = per_series(price, n_series) - cost
    waste_unit = cost if waste_cost_per_unit is None else per_series(waste_cost_per_unit, n_series)
    lost = cut["lost_sales"].sum(axis=1)
    waste = cut["waste"].sum(axis=1)
    orders = (cut["order_qty"] > 0).sum(axis=1)
    average_on_hand = cut["on_hand_end"].mean(axis=1)
    sales = cut["sales"].sum(axis=1)
    purchased = cut["order_qty"].sum(axis=1)
    end_on_hand, end_on_order = cut["on_hand_end"][:, -1], cut["on_order_end"][:, -1]
    end_value = ending_stock_value(
        end_on_hand + end_on_order, demand.mean(axis=1), cost, holding, shelf_life, salvage
    )
    frame = pd.DataFrame(
        {
            SERIES_ID: np.arange(n_series) if series_ids is None else np.asarray(series_ids),
            "periods": n_periods,
            "demand": demand.sum(axis=1),
            "sales": sales,
            "unmet_demand": unmet.sum(axis=1),
            "lost_sales": lost,
            "cycles": cycles,
            "stockout_cycles": stockout_cycles,
            "stockout_periods": short.sum(axis=1),
            "orders": orders,
            "waste": waste,
            "start_on_hand": cut["on_hand_start"][:, 0],
            "units_purchased": purchased,
            "above_max_cover": cut["above_max_cover"].sum(axis=1)
            if "above_max_cover" in cut
            else np.zeros(n_series),
            "end_on_hand": end_on_hand,
            "end_on_order": end_on_order,
            "average_on_hand": average_on_hand,
            "average_inventory_value": average_on_hand * cost,
            "annual_cost_of_sales": sales * cost * periods_per_year / max(n_periods, 1),
            "holding_cost": cut["on_hand_end"].sum(axis=1) * holding,
            "ordering_cost": orders * per_series(ordering_cost, n_series),
            "lost_sales_cost": lost * margin,
            "waste_cost": waste * waste_unit,
            "purchase_cost": purchased * cost,
            "end_stock_value": end_value,
            "end_stock_cost": (end_on_hand + end_on_order) * cost - end_value,
        }
    )
    return _finish(frame)


def _finish(frame: pd.DataFrame) -> pd.DataFrame:
    """Derived columns, recomputed from the additive ones (so totals stay consistent)."""
    frame = frame.copy()
    frame["total_cost"] = frame[COST_PARTS].sum(axis=1)
    frame["fill_rate"] = 1 - _ratio(frame["unmet_demand"], frame["demand"])
    frame["cycle_service_level"] = 1 - _ratio(frame["stockout_cycles"], frame["cycles"])
    frame["inventory_turns"] = _ratio(
        frame["annual_cost_of_sales"], frame["average_inventory_value"]
    )
    first = [SERIES_ID, "periods", "fill_rate", "cycle_service_level"]
    return frame[[*first, *[c for c in frame.columns if c not in first]]]


def total_row(frame: pd.DataFrame) -> pd.DataFrame:
    """The ``ALL`` row: sums of units, counts and costs; rates recomputed from the totals."""
    totals = frame[list(ADDITIVE)].sum().to_frame().T
    totals.insert(0, "periods", frame["periods"].max())
    totals.insert(0, SERIES_ID, TOTAL_ID)
    return _finish(totals)[frame.columns]


def item_kpis(
    trajectories: dict[str, np.ndarray],
    items: pd.DataFrame,
    periods_per_year: float,
    series_ids: np.ndarray,
) -> pd.DataFrame:
    """:func:`backtest_kpis` with the item table's economics (``items.item_parameters``,
    one row per series in ``series_ids``' order), plus the ``ALL`` row."""
    kpis = backtest_kpis(
        trajectories,
        items["unit_cost"].to_numpy(),
        items["price"].to_numpy(),
        items["holding_cost_rate"].to_numpy() / periods_per_year,
        items["ordering_cost"].to_numpy(),
        periods_per_year=periods_per_year,
        series_ids=series_ids,
        shelf_life=items["shelf_life"].to_numpy(),
        salvage=items["salvage"].to_numpy(),
    )
    return pd.concat([kpis, total_row(kpis)], ignore_index=True)


def gap_closed(
    cost_policy: np.ndarray | float,
    cost_naive: np.ndarray | float,
    cost_oracle: np.ndarray | float,
) -> np.ndarray | float:
    """Share of the naive-to-oracle cost gap the policy closes: 1 = as good as the oracle,
    0 = no better than the naive rule, negative = worse; NaN when there is no gap."""
    naive = np.asarray(cost_naive, dtype=float)
    gap = naive - np.asarray(cost_oracle, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(gap != 0, (naive - cost_policy) / np.where(gap != 0, gap, 1.0), np.nan)
    return float(share) if share.ndim == 0 else share
