"""Replay the holdout with the actual demand: each policy's orders, arrivals, sales, waste and
costs, side by side with the spreadsheet rule and the perfect-foresight bound."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .baselines import lot_sizing_levels, naive_levels
from .distributions import quantile_array
from .items import unit_holding_cost
from .kpis import backtest_kpis, gap_closed, total_row
from .replenishment import economic_batches, order_up_to_levels, service_targets
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
) -> np.ndarray:
    """Order-up-to levels per (series, period): recomputed at every review epoch from the
    forecast's remaining horizon (the forecast made at the origin is the one available)."""
    n_series, n_periods = cube.shape[:2]
    review = items["review_period"].to_numpy().astype(int)
    out = np.full((n_series, n_periods), np.nan)
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
    return pd.DataFrame(out).ffill(axis=1).to_numpy()


def run_backtest(
    holdout: pd.DataFrame,
    history: pd.DataFrame,
    items: pd.DataFrame,
    settings: Mapping,
    periods_per_year: float,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """KPIs per policy and series (plus ``series_id == "ALL"``) and the trajectories.

    ``holdout`` is the modeling pipeline's holdout forecasts (every model, with ``y_true``);
    ``history`` is (series x periods) demand before the origin, for the spreadsheet rule.
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

    # Per policy, how ``simulate`` replays it: order-up-to levels, and for (R, s, S) the
    # reorder points, for the bound its starting stock.
    policies: dict[str, dict[str, np.ndarray]] = {
        "naive": {
            "order_up_to": naive_levels(
                history.reindex(series).to_numpy(dtype=float),
                lead,
                review,
                demand=actual,
                window=int(naive["window"]),
                cover_factor=float(naive["cover_factor"]),
                safety_factor=float(naive["safety_factor"]),
            )
        },
    }
    oracle_levels, oracle_stock = lot_sizing_levels(
        actual, lead, review, ordering_cost, unit_holding_cost(items, periods_per_year), shelf
    )
    policies["oracle"] = {"order_up_to": oracle_levels, "initial_on_hand": oracle_stock}
    n_models = holdout["model"].nunique()
    for number, (model, frame) in enumerate(holdout.groupby("model", sort=False), start=1):
        started = time.perf_counter()
        cube, levels, model_series, _ = quantile_array(frame)
        order = pd.Index(model_series.astype(str)).get_indexer(series)
        batch, cycle = economic_batches(cube[order], levels, items, periods_per_year)
        target = service_targets(items, settings["service_target"], periods_per_year, cycle)
        trigger = _epoch_levels(cube[order], levels, items, target, settings)
        # (R, s, S): at a review, order when the position is at or below s, up to s + batch.
        policies[str(model)] = {"order_up_to": trigger + batch[:, None], "reorder_point": trigger}
        logger.info(
            "Backtest %d/%d: order-up-to levels from %s in %.1f s",
            number,
            n_models,
            model,
            time.perf_counter() - started,
        )

    kpi_frames, trajectory_frames = [], []
    started = time.perf_counter()
    holding_per_period = items["holding_cost_rate"].to_numpy() / periods_per_year
    for policy, replay in policies.items():
        result = simulate(
            actual,
            lead_time=lead,
            review_period=review,
            case_pack=items["case_pack"].to_numpy(),
            moq=items["min_order_qty"].to_numpy(),
            shelf_life=shelf,
            backorder=not bool(settings.get("lost_sales", True)),
            **replay,
        )
        kpis = backtest_kpis(
            result,
            items["unit_cost"].to_numpy(),
            items["price"].to_numpy(),
            holding_per_period,
            items["ordering_cost"].to_numpy(),
            periods_per_year=periods_per_year,
            series_ids=series,
        )
        kpis = pd.concat([kpis, total_row(kpis)], ignore_index=True)
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
