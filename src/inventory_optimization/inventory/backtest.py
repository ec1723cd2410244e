"""Replay the holdout with the actual demand: each policy's orders, arrivals, sales, waste and
costs, side by side with the spreadsheet rule and the perfect-foresight bound.

A backtest that cannot flatter: every policy (the rule, each forecast-driven policy, the
bound) starts the holdout from the **same** stock per series, fresh and with nothing on order
(:func:`starting_stock`): the user's on hand at the origin where it is known, else
``settings["backtest"]["start"]``:

- ``lead_time_demand`` (the default): the actual demand over the first lead time, the least
  stock that spares every policy a stock-out it could not prevent (no order lands earlier)
  and leaves it nothing it did not order for what comes after;
- ``naive_level``: the spreadsheet rule's own order-up-to level at the origin (from the
  history only).

The stock positions a data set records are today's, at the end of the panel, not the stock
at the holdout's origin, so the pipeline uses the documented start. Every unit a policy
orders in the holdout is purchased at its unit cost, and the stock it is left with is valued
the same way for every policy (``kpis``: the accounting, ``end_stock_cost``), so a policy
can win neither by starting with free stock nor by ending on stock it will not sell soon.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .baselines import lot_sizing_levels, naive_levels
from .distributions import quantile_array
from .items import ECONOMIC_FIELDS, describe_assumed, unit_holding_cost
from .kpis import COST_PARTS, gap_closed, item_kpis
from .policies import cap_at_max_cover
from .replenishment import (
    economic_batches,
    max_cover,
    max_cover_level,
    order_up_to_levels,
    service_targets,
)
from .simulation import simulate

logger = logging.getLogger(__name__)

TRAJECTORY_COLUMNS = [
    "on_hand_start",
    "arrivals",
    "demand",
    "sales",
    "lost_sales",
    "waste",
    "on_hand_end",
    "order_qty",
]


def _epoch_levels(
    cube: np.ndarray,
    levels: np.ndarray,
    items: pd.DataFrame,
    service: np.ndarray,
    settings: Mapping,
    cover: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Order-up-to levels and maximum levels (the mean demand of the maximum ``cover``) per
    (series, period): recomputed at every review epoch from the forecast's remaining horizon
    (the forecast made at the origin is the one available), held between epochs."""
    n_series, n_periods = cube.shape[:2]
    review = items["review_period"].to_numpy().astype(int)
    out = np.full((n_series, n_periods), np.nan)
    maximum = np.full((n_series, n_periods), np.nan)
    # Items differ in review period: compute levels at every epoch any item reviews on.
    epochs = sorted({start for r in np.unique(review) for start in range(0, n_periods, r)})
    for start in epochs:
        due = (start % review) == 0
        level = order_up_to_levels(
            cube[due, start:],
            levels,
            items[due].reset_index(drop=True),
            service[due],
            int(settings["n_samples"]),
            int(settings["seed"]),
        )
        out[due, start] = level["order_up_to"].to_numpy()
        maximum[due, start] = max_cover_level(cube[due, start:], levels, cover[due])
    held = [pd.DataFrame(a).ffill(axis=1).to_numpy() for a in (out, maximum)]
    return held[0], held[1]


START_RULES = ("lead_time_demand", "naive_level")


def starting_stock(
    rule: str,
    actual: np.ndarray,
    lead_time: np.ndarray,
    naive: np.ndarray,
    known: np.ndarray | None = None,
) -> np.ndarray:
    """The one starting on hand per series that every policy starts from: ``known`` where it
    is not NaN, else the ``rule``'s: ``lead_time_demand`` (the actual demand over the first
    ``lead_time`` periods) or ``naive_level`` (the rule's levels ``naive``, at the origin)."""
    if rule == "lead_time_demand":
        before_first_arrival = np.arange(actual.shape[1]) < np.asarray(lead_time)[:, None]
        start = np.where(before_first_arrival, actual, 0.0).sum(axis=1)
    elif rule == "naive_level":
        start = naive[:, 0]
    else:
        raise ValueError(
            f"inventory.backtest.start: {rule!r} is not one of {', '.join(START_RULES)}"
        )
    if known is not None:
        start = np.where(np.isnan(known), start, known)
    return np.maximum(start, 0.0)


def run_backtest(
    holdout: pd.DataFrame,
    history: pd.DataFrame,
    items: pd.DataFrame,
    settings: Mapping,
    periods_per_year: float,
    on_hand: pd.Series | None = None,
    period_days: float | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """KPIs per policy and series (plus ``series_id == "ALL"``) and the trajectories.

    The forecast-driven policies are the plan's: (R, s, S) with the economic batch, both
    levels capped at the maximum cover (``settings["max_cover_days"]``, in periods of
    ``period_days`` days, by default ``365 / periods_per_year`` rounded); ``above_max_cover``
    counts the units case packs and MOQs order beyond it.

    ``holdout`` is the modeling pipeline's holdout forecasts (every model, with ``y_true``);
    ``history`` is (series x periods) demand before the origin, for the spreadsheet rule;
    ``on_hand`` the stock at the origin by series id where it is known (the others start
    as ``settings["backtest"]["start"]`` says, default ``lead_time_demand``).
    Negative demand (returns) is not demand to serve here: it is clipped at zero.
    """
    reference = holdout[holdout["model"] == holdout["model"].iloc[0]]
    actual_frame = reference.pivot(index="series_id", columns="date", values="y_true")
    series = actual_frame.index.astype(str).to_numpy()
    dates = actual_frame.columns
    actual = np.clip(np.nan_to_num(actual_frame.to_numpy(dtype=float)), 0, None)
    items = items.set_index("series_id").reindex(series).reset_index()
    lead = items["lead_time"].to_numpy().astype(int)
    review = items["review_period"].to_numpy().astype(int)
    shelf = items["shelf_life"].to_numpy()
    naive = settings["naive"]
    ordering_cost = items["ordering_cost"].to_numpy()

    rule_levels = naive_levels(
        history.reindex(series).to_numpy(dtype=float),
        lead,
        review,
        demand=actual,
        window=int(naive["window"]),
        cover_factor=float(naive["cover_factor"]),
        safety_factor=float(naive["safety_factor"]),
    )
    start = starting_stock(
        str(settings.get("backtest", {}).get("start", "lead_time_demand")),
        actual,
        lead,
        rule_levels,
        None if on_hand is None else on_hand.reindex(series).to_numpy(dtype=float),
    )
    # Per policy, how ``simulate`` replays it: order-up-to levels, and for (R, s, S) the
    # reorder points; all from the same starting stock.
    policies: dict[str, dict[str, np.ndarray]] = {"naive": {"order_up_to": rule_levels}}
    oracle_levels, _ = lot_sizing_levels(
        actual,
        lead,
        review,
        ordering_cost,
        unit_holding_cost(items, periods_per_year),
        shelf,
        initial_on_hand=start,
    )
    policies["oracle"] = {"order_up_to": oracle_levels}
    if period_days is None:
        period_days = max(1, round(365.0 / periods_per_year))
    cover = max_cover(items, settings, period_days)
    n_models = holdout["model"].nunique()
    for number, (model, frame) in enumerate(holdout.groupby("model", sort=False), start=1):
        started = time.perf_counter()
        cube, levels, model_series, _ = quantile_array(frame)
        order = pd.Index(model_series.astype(str)).get_indexer(series)
        batch, cycle = economic_batches(cube[order], levels, items, periods_per_year, cover)
        target = service_targets(items, settings["service_target"], periods_per_year, cycle)
        trigger, maximum = _epoch_levels(cube[order], levels, items, target, settings, cover)
        # (R, s, S): at a review, order when the position is at or below s, up to s + batch;
        # neither above the mean demand of the maximum cover.
        trigger, order_up_to = cap_at_max_cover(trigger, batch[:, None], maximum)
        policies[str(model)] = {
            "order_up_to": order_up_to,
            "reorder_point": trigger,
            "max_level": maximum,
        }
        logger.info(
            "Backtest %d/%d: order-up-to levels from %s in %.1f s",
            number,
            n_models,
            model,
            time.perf_counter() - started,
        )

    kpi_frames, trajectory_frames = [], []
    started = time.perf_counter()
    for policy, replay in policies.items():
        result = simulate(
            actual,
            lead_time=lead,
            review_period=review,
            case_pack=items["case_pack"].to_numpy(),
            moq=items["min_order_qty"].to_numpy(),
            shelf_life=shelf,
            backorder=not bool(settings.get("lost_sales", True)),
            initial_on_hand=start,
            **replay,
        )
        kpis = item_kpis(result, items, periods_per_year, series)
        kpis.insert(0, "policy", policy)
        kpi_frames.append(kpis)
        long = pd.DataFrame({name: result[name].ravel() for name in TRAJECTORY_COLUMNS})
        long.insert(0, "date", np.tile(dates.to_numpy(), len(series)))
        long.insert(0, "series_id", np.repeat(series, len(dates)))
        long.insert(0, "policy", policy)
        trajectory_frames.append(long)

    logger.info(
        "Backtest: simulated %d policies on %d series x %d periods in %.1f s",
        len(policies),
        len(series),
        len(dates),
        time.perf_counter() - started,
    )
    table = pd.concat(kpi_frames, ignore_index=True)
    cost = table.pivot(index="series_id", columns="policy", values="total_cost")
    table["gap_closed"] = gap_closed(
        table["total_cost"].to_numpy(),
        cost["naive"].reindex(table["series_id"]).to_numpy(),
        cost["oracle"].reindex(table["series_id"]).to_numpy(),
    )
    return table, pd.concat(trajectory_frames, ignore_index=True)


BOUNDS = ("naive", "oracle")  # the backtest's reference policies; the others use a forecast
_PART_NAMES = {
    "holding_cost": "holding",
    "ordering_cost": "ordering",
    "lost_sales_cost": "lost sales",
    "waste_cost": "waste",
    "end_stock_cost": "stock left at the end (end_stock_cost)",
}


def costlier_than_rule(
    table: pd.DataFrame, assumed: Mapping[str, object], policy: str = "ensemble"
) -> str | None:
    """Why the forecast ``policy`` (else the cheapest forecast-driven one) costs more than the
    spreadsheet rule in ``table`` (``run_backtest``'s), or None when it does not: its cost
    and the rule's, their fill rates, the cost parts it pays more of, units bought against
    the demand, and the ``assumed`` item economics (:func:`~.items.assumed_economics`) those
    costs rest on."""
    total = table[table["series_id"] == "ALL"].set_index("policy")
    forecast = [name for name in total.index if name not in BOUNDS]
    if "naive" not in total.index or not forecast:
        return None
    if policy not in forecast:
        policy = str(total.loc[forecast, "total_cost"].idxmin())
    ours, rule = total.loc[policy], total.loc["naive"]
    if not ours["total_cost"] > rule["total_cost"]:
        return None
    excess = (ours[COST_PARTS] - rule[COST_PARTS]).astype(float).sort_values(ascending=False)
    parts = ", ".join(
        f"{_PART_NAMES.get(part, part)} {ours[part]:,.0f} vs {rule[part]:,.0f}"
        for part in excess.index[excess > 0]
    )
    reasons = [f"it pays more for {parts}" if parts else ""]
    if rule["fill_rate"] < ours["fill_rate"]:
        reasons.append(
            f"the rule's fill rate is lower ({rule['fill_rate']:.3f} vs {ours['fill_rate']:.3f}): "
            "it saves on stock and orders by losing sales, which cost only the margin "
            "(price - unit cost)"
        )
    bought = (
        f"it buys {ours['units_purchased']:,.0f} units (the rule {rule['units_purchased']:,.0f}) "
        f"for {ours['demand']:,.0f} of demand"
    )
    if ours["units_purchased"] > 2 * max(ours["demand"], 1.0):
        bought += " (inventory.max_cover_days caps how much an order may buy)"
    reasons.append(bought)
    money = {field: assumed[field] for field in ECONOMIC_FIELDS if field in assumed}
    if money:
        basis = (
            f"These costs rest on assumed item economics (no column for them in the data; "
            f"inventory.defaults): {describe_assumed(assumed)}. With other margins, holding "
            "and ordering costs the comparison can turn: give the items' own values "
            "(series attributes or conf/<env>/parameters_replenishment.yml)."
        )
    else:
        basis = "The item economics are the data's own."
    return (
        f"Backtest: the forecast policy ({policy}) costs {ours['total_cost']:,.0f}, "
        f"{ours['total_cost'] / rule['total_cost'] - 1:+.1%} vs the spreadsheet rule's "
        f"{rule['total_cost']:,.0f}. Possible reasons: "
        + "; ".join(r for r in reasons if r)
        + f". {basis}"
    )
