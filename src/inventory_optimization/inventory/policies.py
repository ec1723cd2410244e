"""Replenishment policies from forecast quantiles, vectorised over series.

- periodic review (R, S): order up to S every R periods; S covers demand over L + R periods,
  at a cycle service level or a fill rate;
- continuous review (s, Q) and (s, S): order Q = EOQ (at least the MOQ, in case packs) when the
  position falls to s, the lead-time demand quantile;
- newsvendor: perishables, one order per shelf life at the critical ratio;
- order rounding (case packs, MOQ) and validation of the item parameters and the forecasts.

Quantile tables are ``(series, periods, levels)`` starting at the period of the decision; lead
times and review periods are whole periods per series.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from .distributions import (
    check_targets,
    lead_time_demand_mean,
    loss_at_points,
    quantile_columns,
    row_quantile,
    window_sums,
)

SERVICE_LEVEL_BOUNDS = (0.5, 0.999)
_ROUNDING_SLACK = 1e-9  # a need of 6.000000001 units is 6 units, not one more case


class OrderUpTo(NamedTuple):
    """Per series: order-up-to level S, safety stock and the reorder point it implies."""

    order_up_to: np.ndarray
    safety_stock: np.ndarray
    reorder_point: np.ndarray
    mean_cover_demand: np.ndarray


class ContinuousReview(NamedTuple):
    """Per series: reorder point s, order quantity Q and the (s, S) maximum level S = s + Q."""

    reorder_point: np.ndarray
    order_quantity: np.ndarray
    order_up_to: np.ndarray


def _periods(value: np.ndarray | int, n_series: int, name: str) -> np.ndarray:
    value = np.broadcast_to(np.asarray(value), (n_series,))
    if (value < 0).any() or not np.all(np.equal(np.mod(value, 1), 0)):
        raise ValueError(f"{name} must be whole periods >= 0; got {np.unique(value)}")
    return value.astype(int)


def fill_rate_level(
    cover_sums: np.ndarray,
    lead_sums: np.ndarray,
    mean_review_demand: np.ndarray,
    fill_rate: np.ndarray | float,
) -> np.ndarray:
    """Smallest S whose expected shortage per cycle is at most ``(1 - beta)`` x the mean demand
    of a review period.

    The shortage of a cycle (backorder accounting) is ``E[(D(L+R) - S)+] - E[(D(L) - S)+]``:
    what was already short before the order arrived is not this order's fault. Candidates are
    the sample quantiles of ``D(L+R)`` (and 0); the answer is interpolated linearly between the
    last candidate that fails and the first that meets the target.
    """
    n_series = len(cover_sums)
    ordered = np.sort(cover_sums, axis=1)
    candidates = np.concatenate([np.zeros((n_series, 1)), ordered], axis=1)
    # Cover sums include the lead-time periods sample by sample, so the shortage falls with S.
    shortage = np.clip(
        loss_at_points(ordered, candidates)
        - loss_at_points(np.sort(lead_sums, axis=1), candidates),
        0.0,
        None,
    )
    beta = np.broadcast_to(np.asarray(fill_rate, dtype=float), (n_series,))
    allowed = ((1 - beta) * mean_review_demand)[:, None]
    meets = shortage <= allowed + 1e-12
    first = np.where(meets.any(axis=1), meets.argmax(axis=1), candidates.shape[1] - 1)
    previous = np.maximum(first - 1, 0)
    rows = np.arange(n_series)
    s_high, s_low = candidates[rows, first], candidates[rows, previous]
    e_high, e_low = shortage[rows, first], shortage[rows, previous]
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where(e_low > e_high, (e_low - allowed[:, 0]) / (e_low - e_high), 1.0)
    return s_low + np.clip(weight, 0.0, 1.0) * (s_high - s_low)


def order_up_to_level(
    quantiles: np.ndarray,
    levels: np.ndarray,
    lead_time: np.ndarray | int,
    review_period: np.ndarray | int,
    service_level: np.ndarray | float | None = None,
    fill_rate: np.ndarray | float | None = None,
    n_samples: int = 400,
    seed: int = 0,
) -> OrderUpTo:
    """Periodic review (R, S) levels at a cycle service level or a fill rate (one of them).

    S is the ``service_level`` quantile of demand over L + R periods, or the smallest S meeting
    the ``fill_rate``; safety stock is S minus the mean demand over L + R; the reorder point is
    the mean lead-time demand plus that safety stock.
    """
    if (service_level is None) == (fill_rate is None):
        raise ValueError("give exactly one of service_level and fill_rate")
    n_series = np.shape(quantiles)[0]
    lead = _periods(lead_time, n_series, "lead_time")
    review = _periods(review_period, n_series, "review_period")
    cover = lead + review
    mean_cover = lead_time_demand_mean(quantiles, levels, cover)
    if service_level is not None:
        targets = check_targets(service_level)
        (sums,) = window_sums(quantiles, levels, [(0, cover)], n_samples, seed)
        level = row_quantile(sums, targets)
    else:
        targets = check_targets(fill_rate)
        cover_sums, lead_sums = window_sums(
            quantiles, levels, [(0, cover), (0, lead)], n_samples, seed
        )
        mean_review = lead_time_demand_mean(quantiles, levels, review, start=lead)
        level = fill_rate_level(cover_sums, lead_sums, mean_review, targets)
    safety = level - mean_cover
    reorder = lead_time_demand_mean(quantiles, levels, lead) + safety
    return OrderUpTo(level, safety, reorder, mean_cover)


def eoq(
    annual_demand: np.ndarray | float,
    ordering_cost: np.ndarray | float,
    holding_cost_per_unit_per_year: np.ndarray | float,
) -> np.ndarray:
    """Economic order quantity ``sqrt(2 D K / h)`` (infinite when holding is free)."""
    demand = np.asarray(annual_demand, dtype=float)
    holding = np.asarray(holding_cost_per_unit_per_year, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.sqrt(2 * demand * np.asarray(ordering_cost, dtype=float) / holding)
    return np.where(demand > 0, value, 0.0)


def round_up_to_packs(quantity: np.ndarray, case_pack: np.ndarray | float) -> np.ndarray:
    pack = np.asarray(case_pack, dtype=float)
    return np.ceil(np.asarray(quantity, dtype=float) / pack - _ROUNDING_SLACK) * pack


def continuous_review_sQ(  # noqa: N802 (the policy's usual name)
    quantiles: np.ndarray,
    levels: np.ndarray,
    lead_time: np.ndarray | int,
    service_level: np.ndarray | float,
    annual_demand: np.ndarray | float,
    ordering_cost: np.ndarray | float,
    holding_cost_per_unit_per_year: np.ndarray | float,
    case_pack: np.ndarray | float = 1,
    moq: np.ndarray | float = 0,
    review_period: np.ndarray | int = 0,
    n_samples: int = 400,
    seed: int = 0,
) -> ContinuousReview:
    """(s, Q) and (s, S): s = lead-time demand quantile at the service target (over L plus
    ``review_period``, 1 when the position is checked once a period); Q = max(EOQ, MOQ) in
    whole case packs; S = s + Q."""
    n_series = np.shape(quantiles)[0]
    lead = _periods(lead_time, n_series, "lead_time")
    review = _periods(review_period, n_series, "review_period")
    targets = check_targets(service_level)
    (sums,) = window_sums(quantiles, levels, [(0, lead + review)], n_samples, seed)
    reorder = row_quantile(sums, targets)
    economic = eoq(annual_demand, ordering_cost, holding_cost_per_unit_per_year)
    quantity = round_up_to_packs(np.maximum(economic, moq), case_pack)
    quantity = np.broadcast_to(quantity, (n_series,)).astype(float)
    return ContinuousReview(reorder, quantity, reorder + quantity)


def critical_ratio(
    price: np.ndarray | float,
    cost: np.ndarray | float,
    salvage: np.ndarray | float = 0.0,
    goodwill: np.ndarray | float = 0.0,
    disposal: np.ndarray | float = 0.0,
) -> np.ndarray:
    """``cu / (cu + co)`` with cu = price - cost + goodwill, co = cost - salvage + disposal."""
    underage = np.asarray(price, dtype=float) - cost + goodwill
    overage = np.asarray(cost, dtype=float) - salvage + disposal
    if (underage < 0).any() or (overage < 0).any():
        raise ValueError("newsvendor needs price + goodwill >= cost >= salvage - disposal")
    total = underage + overage
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, underage / np.where(total > 0, total, 1.0), 0.5)


def newsvendor_quantity(
    quantiles: np.ndarray,
    levels: np.ndarray,
    price: np.ndarray | float,
    cost: np.ndarray | float,
    salvage: np.ndarray | float = 0.0,
    goodwill: np.ndarray | float = 0.0,
    disposal: np.ndarray | float = 0.0,
    shelf_life: np.ndarray | float = np.inf,
    review_period: np.ndarray | int = 1,
    lead_time: np.ndarray | int = 0,
    n_samples: int = 400,
    seed: int = 0,
) -> np.ndarray:
    """Perishable order: the critical-ratio quantile of demand over the periods the units can
    sell, the shelf life or the review period if shorter, from their arrival after the lead
    time. A shelf life of NaN or inf means non-perishable (the review period applies)."""
    n_series = np.shape(quantiles)[0]
    shelf = np.broadcast_to(np.asarray(shelf_life, dtype=float), (n_series,))
    review = _periods(review_period, n_series, "review_period")
    lead = _periods(lead_time, n_series, "lead_time")
    selling = np.where(np.isfinite(shelf), np.minimum(np.nan_to_num(shelf), review), review)
    selling = np.maximum(selling, 1).astype(int)
    ratio = np.clip(critical_ratio(price, cost, salvage, goodwill, disposal), 1e-6, 1 - 1e-6)
    (sums,) = window_sums(quantiles, levels, [(lead, lead + selling)], n_samples, seed)
    return row_quantile(sums, np.broadcast_to(ratio, (n_series,)))


def perishable_order_up_to(
    quantiles: np.ndarray,
    levels: np.ndarray,
    price: np.ndarray | float,
    cost: np.ndarray | float,
    shelf_life: np.ndarray | float,
    review_period: np.ndarray | int,
    lead_time: np.ndarray | int,
    salvage: np.ndarray | float = 0.0,
    goodwill: np.ndarray | float = 0.0,
    n_samples: int = 400,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Order-up-to level of a perishable under periodic review, and the ratio it uses.

    S is the critical-ratio quantile of demand over the protection window: the lead time plus
    the periods the order sells in (the review period, or the shelf life if shorter), so the
    lead-time demand is covered at the same ratio rather than by its mean. A unit left over
    at the end of a cycle is not lost at once when it keeps for more cycles after the next
    order lands: with ``k = max(1, floor((shelf - L) / R))`` such cycles the overage of one
    unit is ``(cost - salvage) / k`` (an approximation; ``k = 1`` is the classical
    newsvendor, where every leftover is waste).
    """
    n_series = np.shape(quantiles)[0]
    shelf = np.broadcast_to(np.asarray(shelf_life, dtype=float), (n_series,))
    review = _periods(review_period, n_series, "review_period")
    lead = _periods(lead_time, n_series, "lead_time")
    finite = np.isfinite(shelf)
    selling = np.maximum(np.where(finite, np.minimum(np.nan_to_num(shelf), review), review), 1)
    chances = np.where(finite, np.floor((np.nan_to_num(shelf) - lead) / np.maximum(review, 1)), 1)
    chances = np.maximum(chances, 1)
    # Spreading the overage over k cycles is a leftover worth cost - (cost - salvage) / k.
    cost = np.asarray(cost, dtype=float)
    ratio = critical_ratio(price, cost, cost - (cost - salvage) / chances, goodwill)
    ratio = np.clip(np.broadcast_to(ratio, (n_series,)), 1e-6, 1 - 1e-6)
    (sums,) = window_sums(quantiles, levels, [(0, lead + selling.astype(int))], n_samples, seed)
    return row_quantile(sums, ratio), ratio


def cost_optimal_service_level(
    price: np.ndarray | float,
    cost: np.ndarray | float,
    holding_cost_rate: np.ndarray | float,
    review_periods_per_year: np.ndarray | float,
    goodwill: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Critical ratio of a lost sale (margin + goodwill) against carrying one unit one more
    review period (unit cost x yearly holding rate / reviews per year), in [0.5, 0.999]."""
    underage = np.asarray(price, dtype=float) - cost + goodwill
    overage = np.asarray(cost, dtype=float) * holding_cost_rate / review_periods_per_year
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = underage / (underage + overage)
    ratio = np.where(np.isfinite(ratio), ratio, SERVICE_LEVEL_BOUNDS[1])
    return np.clip(ratio, *SERVICE_LEVEL_BOUNDS)


def order_quantity(
    position: np.ndarray | float,
    order_up_to: np.ndarray | float,
    case_pack: np.ndarray | float = 1,
    moq: np.ndarray | float = 0,
) -> np.ndarray:
    """``max(S - position, 0)`` rounded up to whole case packs, at least the MOQ (itself
    rounded up to packs) when anything is ordered."""
    need = np.maximum(np.asarray(order_up_to, dtype=float) - position, 0.0)
    quantity = round_up_to_packs(need, case_pack)
    minimum = round_up_to_packs(moq, case_pack)
    return np.where(quantity > 0, np.maximum(quantity, minimum), 0.0)


# --- validation -------------------------------------------------------------------------------

# field -> accepted column names (the generator's item table uses the second spellings).
ITEM_FIELDS = {
    "unit_cost": ("unit_cost", "cost"),
    "price": ("price", "unit_price"),
    "lead_time": ("lead_time", "lead_time_periods", "lead_time_days"),
    "case_pack": ("case_pack",),
    "min_order_qty": ("min_order_qty", "moq"),
    "shelf_life": ("shelf_life", "shelf_life_periods", "shelf_life_days"),
}
REQUIRED_ITEM_FIELDS = ("unit_cost", "price", "lead_time", "case_pack")
_MAX_NAMED = 10


def _named(ids: pd.Series | np.ndarray, id_name: str) -> str:
    ids = list(pd.unique(np.asarray(ids)))
    shown = ", ".join(repr(str(i)) for i in ids[:_MAX_NAMED])
    more = f" and {len(ids) - _MAX_NAMED} more" if len(ids) > _MAX_NAMED else ""
    return f"{id_name} {shown}{more}"


def _id_column(frame: pd.DataFrame, id_column: str | None) -> tuple[str, pd.Series]:
    if id_column is None:
        id_column = next((c for c in ("series_id", "item_id") if c in frame.columns), None)
    if id_column is None:
        return "row", pd.Series(frame.index, index=frame.index)
    return id_column, frame[id_column]


def validate_item_parameters(
    frame: pd.DataFrame,
    id_column: str | None = None,
    required: tuple[str, ...] = REQUIRED_ITEM_FIELDS,
) -> pd.DataFrame:
    """Raise one ``ValueError`` naming the series and the field of every invalid parameter.

    Checks: required fields present and filled, lead time >= 0, case pack > 0, MOQ >= 0,
    unit cost >= 0 and not above the price, shelf life > 0 (NaN = non-perishable).
    Returns the frame unchanged.
    """
    id_name, ids = _id_column(frame, id_column)
    column = {
        field: next((c for c in names if c in frame.columns), None)
        for field, names in ITEM_FIELDS.items()
    }
    problems = [
        f"missing required field '{field}' (expected a column {' or '.join(ITEM_FIELDS[field])})"
        for field in required
        if column[field] is None
    ]

    def values(field: str) -> pd.Series | None:
        name = column[field]
        return None if name is None else pd.to_numeric(frame[name], errors="coerce")

    def report(mask: pd.Series, field: str, what: str) -> None:
        mask = mask.fillna(False).astype(bool)
        if mask.any():
            problems.append(f"{column[field]} {what} for {_named(ids[mask], id_name)}")

    for field in required:
        if column[field] is not None:
            report(values(field).isna(), field, "is missing or not a number")
    cost, price = values("unit_cost"), values("price")
    lead, pack, moq, shelf = (
        values(f) for f in ("lead_time", "case_pack", "min_order_qty", "shelf_life")
    )
    if lead is not None:
        report(lead < 0, "lead_time", "is negative")
    if pack is not None:
        report(pack <= 0, "case_pack", "is not positive")
    if moq is not None:
        report(moq < 0, "min_order_qty", "is negative")
    if cost is not None:
        report(cost < 0, "unit_cost", "is negative")
        if price is not None:
            report(cost > price, "unit_cost", f"is above {column['price']}")
    if shelf is not None:
        report(shelf <= 0, "shelf_life", "must be positive (NaN for non-perishable items)")
    if problems:
        raise ValueError("invalid item parameters: " + "; ".join(problems))
    return frame


def validate_quantiles(
    frame: pd.DataFrame,
    series_column: str = "series_id",
    date_column: str = "date",
    tolerance: float = 1e-9,
) -> pd.DataFrame:
    """Raise a ``ValueError`` naming the series and dates whose quantile columns cross, are
    negative or missing. Returns the frame unchanged."""
    columns, _ = quantile_columns(frame)
    if len(columns) < 2:
        raise ValueError(f"forecast needs at least two q_<level> columns; found {columns}")
    values = frame[columns].to_numpy(dtype=float)
    checks = {
        "quantile columns cross": (np.diff(values, axis=1) < -tolerance).any(axis=1),
        "quantiles are negative": (values < -tolerance).any(axis=1),
        "quantiles are missing": np.isnan(values).any(axis=1),
    }
    problems = []
    for what, bad in checks.items():
        if bad.any():
            rows = frame.loc[bad]
            examples = ", ".join(
                f"{series_column} {s!r} on {pd.Timestamp(d).date()}"
                for s, d in zip(
                    rows[series_column].head(_MAX_NAMED),
                    rows[date_column].head(_MAX_NAMED),
                    strict=True,
                )
            )
            problems.append(f"{what} in {int(bad.sum())} rows ({examples})")
    if problems:
        raise ValueError("invalid forecast quantiles: " + "; ".join(problems))
    return frame
