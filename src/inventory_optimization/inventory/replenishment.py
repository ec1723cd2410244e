"""Policy composition and today's plan: from a forecast with quantiles, the item table and the
stock positions to one order per series.

Per series, the service target (given, or cost-optimal over the replenishment cycle), the
order-up-to level ((R, S), or the newsvendor for perishables), the economic batch beyond it
when ordering costs matter, both capped at the maximum cover (``settings["max_cover_days"]``:
no order brings the position above the mean demand of that many days), and
:func:`plan_orders`, which turns them into order quantities in packs and MOQs, cut to the
shared budget or capacity when set.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .constraints import constrained_orders
from .distributions import (
    expected_shortage,
    lead_time_demand_mean,
    period_means,
    quantile_array,
    quantile_columns,
    row_quantile,
    window_sums,
)
from .items import items_of, leftover_value, unit_holding_cost
from .policies import (
    batch_quantity,
    beyond_max_cover,
    cap_at_max_cover,
    cost_optimal_service_level,
    max_cover_periods,
    order_quantity,
    order_up_to_level,
    perishable_order_up_to,
)
from .validation import validate_quantiles

logger = logging.getLogger(__name__)


def service_targets(
    items: pd.DataFrame, target, periods_per_year: float, cycle_periods: np.ndarray | None = None
) -> np.ndarray:
    """Cycle service level per series: the given target, or ``cost_optimal`` from margin and
    holding cost over a replenishment cycle (the review period, or ``cycle_periods`` when
    orders are batched and a cycle lasts longer)."""
    if target == "cost_optimal":
        cycle = items["review_period"].to_numpy() if cycle_periods is None else cycle_periods
        return cost_optimal_service_level(
            items["price"].to_numpy(),
            items["unit_cost"].to_numpy(),
            items["holding_cost_rate"].to_numpy(),
            periods_per_year / cycle,
            items["goodwill"].to_numpy(),
        )
    return np.full(len(items), float(target))


def order_up_to_levels(
    cube: np.ndarray,
    levels: np.ndarray,
    items: pd.DataFrame,
    service: np.ndarray,
    n_samples: int,
    seed: int,
) -> pd.DataFrame:
    """Order-up-to level per series: (R, S) at the service target for stocked items; for
    perishables, the newsvendor quantile of demand over the lead time and the periods the
    order sells in (:func:`perishable_order_up_to`)."""
    lead = items["lead_time"].to_numpy().astype(int)
    review = items["review_period"].to_numpy().astype(int)
    policy = order_up_to_level(
        cube, levels, lead, review, service_level=service, n_samples=n_samples, seed=seed
    )
    levels_out = pd.DataFrame(
        {
            "mean_cover_demand": policy.mean_cover_demand,
            "safety_stock": policy.safety_stock,
            "reorder_point": policy.reorder_point,
            "order_up_to": policy.order_up_to,
            "policy": "periodic_review_RS",
        }
    )
    perishable = items["is_perishable"].to_numpy()
    if perishable.any():
        newsvendor_level, _ = perishable_order_up_to(
            cube,
            levels,
            items["price"].to_numpy(),
            items["unit_cost"].to_numpy(),
            shelf_life=items["shelf_life"].to_numpy(),
            review_period=review,
            lead_time=lead,
            salvage=items["salvage"].to_numpy(),
            goodwill=items["goodwill"].to_numpy(),
            n_samples=n_samples,
            seed=seed,
        )
        levels_out.loc[perishable, "order_up_to"] = newsvendor_level[perishable]
        levels_out.loc[perishable, "safety_stock"] = (
            newsvendor_level - levels_out["mean_cover_demand"].to_numpy()
        )[perishable]
        levels_out.loc[perishable, "policy"] = "newsvendor"
    return levels_out


def max_cover(items: pd.DataFrame, settings: Mapping, period_days: float) -> np.ndarray:
    """Per series, the periods of demand a position may hold (:func:`max_cover_periods` of
    ``settings["max_cover_days"]``; ``inf`` when it is missing or null)."""
    return max_cover_periods(
        settings.get("max_cover_days"),
        period_days,
        items["lead_time"].to_numpy(dtype=float),
        items["review_period"].to_numpy(dtype=float),
        items["shelf_life"].to_numpy(dtype=float),
    )


def max_cover_level(cube: np.ndarray, levels: np.ndarray, cover: np.ndarray) -> np.ndarray:
    """The highest position per series: the forecast's mean demand over the first ``cover``
    periods (``inf`` where the cover is)."""
    finite = np.isfinite(cover)
    window = np.where(finite, cover, 0).astype(int)
    return np.where(finite, lead_time_demand_mean(cube, levels, window), np.inf)


def economic_batches(
    cube: np.ndarray,
    levels: np.ndarray,
    items: pd.DataFrame,
    periods_per_year: float,
    cover: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per series, the units to order beyond the order-up-to level when ordering costs matter
    (EOQ less a review period's demand) and the replenishment cycle that implies, in periods.

    With ``cover`` (:func:`max_cover`), the batch is at most the mean demand of the periods
    the maximum cover leaves beyond the lead time + review period, so the cycle (and the
    cost-optimal service level computed from it) is the one the capped levels give."""
    mean = period_means(cube, levels).mean(axis=1)
    review = items["review_period"].to_numpy().astype(float)
    batch = batch_quantity(
        mean,
        review,
        items["ordering_cost"].to_numpy(),
        unit_holding_cost(items, periods_per_year),
        items["shelf_life"].to_numpy(),
    )
    if cover is not None:
        spare = np.clip(cover - items["lead_time"].to_numpy(dtype=float) - review, 0.0, None)
        with np.errstate(invalid="ignore"):
            room = np.where(np.isfinite(spare), mean * spare, np.inf)
        batch = np.minimum(batch, room)
    with np.errstate(divide="ignore", invalid="ignore"):
        cycle = review + np.where(mean > 0, batch / mean, 0.0)
    return batch, cycle


def without_returns(forecast: pd.DataFrame) -> pd.DataFrame:
    """Quantiles below zero forecast net returns (Walmart's negative weeks); returns are not
    demand to stock for, so they are planned as zero demand, as the backtest replays them."""
    columns, _ = quantile_columns(forecast)
    negative = (forecast[columns] < 0).any(axis=1)
    if not negative.any():
        return forecast
    logger.info(
        "%d of %d forecast rows have negative quantiles (returns): planned as zero demand",
        int(negative.sum()),
        len(forecast),
    )
    return forecast.assign(**{c: forecast[c].clip(lower=0) for c in columns})


ORDER_DAYS = ("every_day", "review")


def review_due(
    order_dates: pd.DatetimeIndex, review: np.ndarray, period_days: float, settings: Mapping
) -> np.ndarray:
    """Which series may order on ``order_dates`` (each series' first forecast date, the
    morning the order is placed): ``settings["order_days"]`` ``every_day`` (the default: any
    morning the position is at or below the trigger) or ``review`` (only every
    ``review_period`` periods counted from ``settings["review_anchor"]``, e.g. Mondays for a
    7-day review from a Monday: a store's order days)."""
    order_days = settings.get("order_days", "every_day")
    if order_days == "every_day":
        return np.ones(len(order_dates), dtype=bool)
    if order_days != "review":
        raise ValueError(
            f"inventory.order_days: {order_days!r} is not one of {', '.join(ORDER_DAYS)}"
        )
    anchor = pd.Timestamp(settings.get("review_anchor") or "2024-01-01")
    elapsed = np.round((order_dates - anchor) / pd.Timedelta(days=period_days)).astype(int)
    return np.asarray(elapsed) % np.maximum(np.asarray(review, dtype=int), 1) == 0


def plan_orders(
    forecast: pd.DataFrame,
    items: pd.DataFrame,
    positions: pd.DataFrame,
    settings: Mapping,
    periods_per_year: float,
    period_days: float,
    not_planned: Mapping[str, str] | None = None,
    as_of_date: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Today's order per series: levels from the forecast, the position, packs and MOQ, then
    the shared budget / capacity (MILP) when set.

    ``not_planned`` maps series that get no order (e.g. discontinued) to the reason; they are
    listed after the planned series with their position, ``order_qty`` 0 and that reason in
    ``status`` (``planned`` for the others), so the plan always has every series.
    ``as_of_date`` is the decision date (the forecast's origin); without it, ``period_days``
    days before each series' first forecast date, which only a day or a week has exactly.
    """
    not_planned = dict(not_planned or {})
    held = positions[positions["series_id"].isin(not_planned)]
    forecast = forecast[~forecast["series_id"].isin(not_planned)]
    positions = positions[~positions["series_id"].isin(not_planned)]
    planned = _plan_series(forecast, items, positions, settings, periods_per_year, period_days)
    if as_of_date is not None:
        planned["as_of_date"] = pd.Timestamp(as_of_date).as_unit("ns")
    planned["status"] = "planned"
    if not not_planned:
        return planned
    listed = pd.DataFrame({"series_id": list(not_planned), "status": list(not_planned.values())})
    listed = listed.merge(held[["series_id", "on_hand", "on_order"]], on="series_id", how="left")
    listed = listed.assign(order_qty=0.0, order_value=0.0)
    listed["as_of_date"] = planned["as_of_date"].max() if len(planned) else pd.NaT
    return pd.concat([planned, listed], ignore_index=True)


def _plan_series(
    forecast: pd.DataFrame,
    items: pd.DataFrame,
    positions: pd.DataFrame,
    settings: Mapping,
    periods_per_year: float,
    period_days: float,
) -> pd.DataFrame:
    forecast = validate_quantiles(without_returns(forecast))
    cube, levels, series, dates = quantile_array(forecast)
    missing = sorted(set(positions["series_id"]) - set(series))
    if missing:
        raise ValueError(
            f"stock positions: series {missing[:10]} have no forecast "
            f"({len(missing)} series); expected a forecast for every position"
        )
    items = items_of(items, series, "forecast series")
    # Only the stock counts here (a resolved positions table also says where it came from).
    positions = positions.set_index("series_id")[["on_hand", "on_order"]]
    positions = positions.reindex(series).fillna(0.0)
    n_samples, seed = int(settings["n_samples"]), int(settings["seed"])

    lead = items["lead_time"].to_numpy().astype(int)
    review = items["review_period"].to_numpy().astype(int)
    cover = max_cover(items, settings, period_days)
    batch, cycle = economic_batches(cube, levels, items, periods_per_year, cover)
    service = service_targets(items, settings["service_target"], periods_per_year, cycle)
    plan = order_up_to_levels(cube, levels, items, service, n_samples, seed)
    position = positions["on_hand"].to_numpy() + positions["on_order"].to_numpy()
    # (R, s, S): order today only at or below the trigger s, then up to s + the batch; both
    # at most the mean demand of the maximum cover.
    maximum = max_cover_level(cube, levels, cover)
    trigger, order_up_to = cap_at_max_cover(plan["order_up_to"].to_numpy(), batch, maximum)
    cut = plan["order_up_to"].to_numpy() - trigger  # safety stock the maximum leaves out
    due = review_due(pd.DatetimeIndex(dates[:, 0]), review, period_days, settings)
    quantity = np.where(
        due & (position <= trigger),
        order_quantity(
            position,
            order_up_to,
            items["case_pack"].to_numpy(),
            items["min_order_qty"].to_numpy(),
        ),
        0.0,
    )
    cover_sums, review_sums = window_sums(
        cube, levels, [(0, lead + review), (lead, lead + review)], n_samples, seed
    )
    constraints = settings.get("constraints") or {}
    binding = None
    if constraints.get("budget") is not None or constraints.get("capacity") is not None:
        table = np.column_stack([row_quantile(cover_sums, np.full(len(series), q)) for q in levels])
        quantity, binding = constrained_orders(
            quantity,
            items["case_pack"].to_numpy(),
            items["min_order_qty"].to_numpy(),
            items["unit_cost"].to_numpy(),
            items["unit_volume"].to_numpy(),
            table,
            levels,
            items["price"].to_numpy(),
            leftover_value(items, cycle, periods_per_year),
            budget=constraints.get("budget"),
            capacity=constraints.get("capacity"),
            # The solver's budget (the service gives it a fraction of a second; the
            # incumbent it stops with is the same plan but for the optimality proof).
            **{
                option: float(constraints[option])
                for option in ("time_limit", "mip_rel_gap")
                if constraints.get(option) is not None
            },
        )
    after_order = position + quantity
    # Case packs and MOQs (the user's constraints) may take an order above the maximum.
    above = beyond_max_cover(position, quantity, maximum)
    if (above > 0).any():
        logger.info(
            "%d orders go above the maximum cover (%s days) by %.0f units in all: their case "
            "pack or minimum order quantity asks for more (column above_max_cover)",
            int((above > 0).sum()),
            settings.get("max_cover_days"),
            above.sum(),
        )
    shortage = expected_shortage(cover_sums, after_order)
    review_demand = np.maximum(review_sums.mean(axis=1), 1e-9)
    daily = lead_time_demand_mean(cube, levels, np.full(len(series), cube.shape[1])) / (
        cube.shape[1] * period_days
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        days_of_cover = np.where(daily > 0, positions["on_hand"].to_numpy() / daily, np.inf)
    return pd.DataFrame(
        {
            "series_id": series,
            "as_of_date": pd.to_datetime(dates[:, 0]) - pd.Timedelta(days=period_days),
            "policy": plan["policy"].to_numpy(),
            "service_target": service,
            "on_hand": positions["on_hand"].to_numpy(),
            "on_order": positions["on_order"].to_numpy(),
            "lead_time": lead,
            "review_period": review,
            "forecast_cover_mean": plan["mean_cover_demand"].to_numpy(),
            "forecast_cover_service_quantile": plan["order_up_to"].to_numpy(),
            "safety_stock": plan["safety_stock"].to_numpy() - cut,
            "reorder_point": plan["reorder_point"].to_numpy() - cut,
            "order_trigger": trigger,
            "economic_batch": order_up_to - trigger,
            "order_up_to": order_up_to,
            "max_cover_periods": cover,
            "max_cover_level": maximum,
            "review_due": due,
            "order_qty": quantity,
            "above_max_cover": above,
            "order_value": quantity * items["unit_cost"].to_numpy(),
            "expected_fill_rate": np.clip(1 - shortage / review_demand, 0, 1),
            "days_of_cover": days_of_cover,
            "binding_constraint": binding,
        }
    )
