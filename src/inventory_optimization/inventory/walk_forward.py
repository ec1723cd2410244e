"""Walk forward day by day: each morning a plan is made from that morning's stock, its orders
are placed, the day's actual demand is served, and the stock left is the next morning's.

Who makes the plan is the caller's ``plan_for(t, positions)``: the daily pipeline (the replay
of daily operation, ``inventory_optimization.replay``), or the same policy computed offline
from forecasts made at each origin. Both are replayed by :func:`~.simulation.simulate` with
the plan's own order quantities and costed by :func:`~.kpis.backtest_kpis`, the accounting
of the holdout backtest, so their figures can be compared number for number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .items import items_of
from .kpis import item_kpis
from .simulation import simulate

# A morning's positions (series_id, on_hand, on_order, next_arrival_periods) -> its plan
# (series_id, order_qty; other columns are kept in the record).
PlanFor = Callable[[int, pd.DataFrame], pd.DataFrame]


@dataclass(frozen=True)
class WalkForward:
    """The days replayed: trajectories (``simulate``'s arrays), KPIs per series and ``ALL``,
    and every morning's plan as it was made (with ``date``, the day it orders for)."""

    trajectories: dict[str, np.ndarray]
    kpis: pd.DataFrame
    plans: pd.DataFrame

    @property
    def total(self) -> pd.Series:
        return self.kpis[self.kpis["series_id"] == "ALL"].iloc[0]


def morning_positions(series: np.ndarray, state: dict[str, np.ndarray]) -> pd.DataFrame:
    """The stock a store would report in the morning: on hand, on order, and in how many
    periods the first open order arrives (NaN when nothing is on order)."""
    arriving = state["arriving"]
    has_order = arriving > 0
    first = np.where(has_order.any(axis=1), has_order.argmax(axis=1), -1).astype(float)
    return pd.DataFrame(
        {
            "series_id": series,
            "on_hand": state["on_hand"],
            "on_order": state["on_order"],
            "next_arrival_periods": np.where(first >= 0, first, np.nan),
        }
    )


def walk_forward(
    actual: pd.DataFrame,
    items: pd.DataFrame,
    plan_for: PlanFor,
    start_on_hand: np.ndarray,
    periods_per_year: float,
    backorder: bool = False,
) -> WalkForward:
    """Replay the days of ``actual`` (series x dates, the demand that occurred) with the
    orders ``plan_for`` gives each morning, from ``start_on_hand`` (fresh, nothing on
    order). ``items`` is the item table (``items.item_parameters``) of those series."""
    series = actual.index.astype(str).to_numpy()
    dates = pd.DatetimeIndex(actual.columns)
    items = items_of(items, series, "series of the actual demand")
    plans: list[pd.DataFrame] = []

    def orders(t: int, state: dict[str, np.ndarray]) -> np.ndarray:
        plan = plan_for(t, morning_positions(series, state))
        quantity = plan.set_index(plan["series_id"].astype(str))["order_qty"]
        unknown = quantity.index.difference(series)
        if len(unknown):
            raise ValueError(
                f"walk forward, {dates[t].date()}: the plan orders for {len(unknown)} series "
                f"the replay does not know (e.g. {list(unknown[:5])})"
            )
        plans.append(plan.assign(date=dates[t]))
        return quantity.reindex(series).fillna(0.0).to_numpy(dtype=float)

    shelf = items["shelf_life"].to_numpy()
    result = simulate(
        np.clip(np.nan_to_num(actual.to_numpy(dtype=float)), 0, None),
        None,
        lead_time=items["lead_time"].to_numpy().astype(int),
        case_pack=items["case_pack"].to_numpy(),
        moq=items["min_order_qty"].to_numpy(),
        shelf_life=shelf,
        backorder=backorder,
        initial_on_hand=np.asarray(start_on_hand, dtype=float),
        orders=orders,
    )
    kpis = item_kpis(result, items, periods_per_year, series)
    return WalkForward(result, kpis, pd.concat(plans, ignore_index=True))
