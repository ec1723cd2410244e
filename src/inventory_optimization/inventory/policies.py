"""Replenishment policies from forecast quantiles, vectorised over series.

- periodic review (R, S): order up to S every R periods; S covers demand over L + R periods,
  at a cycle service level or a fill rate;
- continuous review (s, Q) and (s, S): order Q = EOQ (at least the MOQ, in case packs) when the
  position falls to s, the lead-time demand quantile;
- (R, s, S) when ordering costs matter: S - s is the EOQ less a review period's demand;
- the maximum cover: no level above the mean demand of ``max_cover`` periods (never fewer
  than the lead time + review, never more than the lead time + shelf life), so a batch under
  cheap holding cannot buy months or years of a slow mover's demand;
- newsvendor: perishables, ordered up to the critical-ratio quantile of demand over the lead
  time and the periods the order sells in;
- the cost-optimal service level and order rounding (case packs, MOQ).

Quantile tables are ``(series, periods, levels)`` starting at the period of the decision; lead
times and review periods are whole periods per series.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .distributions import (
    check_targets,
    lead_time_demand_mean,
    loss_at_points,
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


def batch_quantity(
    mean_demand_per_period: np.ndarray,
    review_period: np.ndarray,
    ordering_cost: np.ndarray | float,
    holding_cost_per_unit_per_period: np.ndarray | float,
    shelf_life: np.ndarray | float = np.inf,
) -> np.ndarray:
    """Units to order beyond the order-up-to level, per series: ``max(EOQ - mu_R, 0)``.

    Zero for perishables (their newsvendor level already covers what can sell before it
    expires) and where the EOQ is no more than a review period's demand.
    """
    mean = np.clip(np.asarray(mean_demand_per_period, dtype=float), 0, None)
    # EOQ per period of demand: both rates per period, so the units cancel.
    economic = eoq(mean, ordering_cost, holding_cost_per_unit_per_period)
    extra = np.clip(economic - mean * np.asarray(review_period, dtype=float), 0, None)
    perishable = np.isfinite(np.broadcast_to(np.asarray(shelf_life, dtype=float), mean.shape))
    return np.where(perishable, 0.0, np.nan_to_num(extra))


def max_cover_periods(
    max_cover_days: float | None,
    period_days: float,
    lead_time: np.ndarray | int,
    review_period: np.ndarray | int,
    shelf_life: np.ndarray | float = np.inf,
) -> np.ndarray:
    """Per series, the periods of demand a position may hold (counted from the decision):
    ``max_cover_days`` in whole periods, at least the lead time + review period (an order
    must last until the next one lands) and, where a shelf life is known, at most the lead
    time + shelf life (counted from its arrival an order never covers more than the shelf
    life). ``inf`` where nothing caps it (``max_cover_days`` None)."""
    lead = np.asarray(lead_time, dtype=float)
    review = np.asarray(review_period, dtype=float)
    shelf = np.asarray(shelf_life, dtype=float)
    n_series = np.broadcast_shapes(lead.shape, review.shape, shelf.shape)
    if max_cover_days is None:
        cover = np.full(n_series, np.inf)
    else:
        if not float(max_cover_days) > 0:
            raise ValueError(f"max_cover_days must be > 0 (or null); got {max_cover_days}")
        whole = np.floor(float(max_cover_days) / period_days + _ROUNDING_SLACK)
        cover = np.full(n_series, max(whole, 1.0))
    cover = np.maximum(cover, lead + review)
    ceiling = np.where(np.isfinite(shelf), lead + np.nan_to_num(shelf, posinf=0.0), np.inf)
    return np.minimum(cover, ceiling)


def cap_at_max_cover(
    trigger: np.ndarray, batch: np.ndarray, maximum: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(R, s, S) levels under a maximum level (the mean demand of the maximum cover): the
    trigger ``min(s, max)`` and the order-up-to level ``min(s + batch, max)``. Broadcasts
    (a ``(series, periods)`` trigger with ``(series, 1)`` batches); ``inf`` = no cap."""
    trigger = np.asarray(trigger, dtype=float)
    maximum = np.asarray(maximum, dtype=float)
    return np.minimum(trigger, maximum), np.minimum(trigger + batch, maximum)


def beyond_max_cover(
    position: np.ndarray, quantity: np.ndarray, maximum: np.ndarray | float
) -> np.ndarray:
    """Units of an order beyond the whole units that bring the position to the maximum level:
    what a case pack or an MOQ adds above the maximum cover (0 without an order or a cap)."""
    quantity = np.asarray(quantity, dtype=float)
    with np.errstate(invalid="ignore"):
        allowed = np.ceil(np.asarray(maximum, dtype=float) - position - _ROUNDING_SLACK)
    beyond = np.clip(quantity - np.maximum(np.nan_to_num(allowed, posinf=np.inf), 0.0), 0, None)
    return np.where(quantity > 0, beyond, 0.0)


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
