"""Replay a replenishment policy against realised demand, period by period.

Timing inside period ``t`` (vectorised across series; the only loop is over periods):

1. at a review epoch the inventory position (on hand + on order - backorders) is compared with
   the order-up-to level (and, for (s, S) / (s, Q), the reorder point); the order, in whole
   case packs and at least the MOQ, arrives at the start of period ``t + L`` (at once if L = 0);
2. arrivals due now are received (age 0);
3. demand is served from the oldest units first (FIFO); unmet demand is lost, or backordered;
4. units reaching the end of their shelf life are wasted; the rest age by one period.

So an order placed at ``t`` must cover demand over ``t .. t + L + R - 1``: the forecasts' first
L + R periods. Stock conservation ``on_hand_start + arrivals - sales - waste = on_hand_end``
holds by construction in every period, and over the run (no orders are open at the start)
``on_hand_start[:, 0] + sum(order_qty) - sum(sales) - sum(waste) = on_hand_end[:, -1] +
on_order_end[:, -1]``: what was bought is sold, wasted, on the shelf or on its way.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .policies import beyond_max_cover, order_quantity

LevelSource = np.ndarray | Callable[[int, dict[str, np.ndarray]], np.ndarray]


def per_series(value: np.ndarray | float, n_series: int, dtype: type = float) -> np.ndarray:
    """A scalar or per-series value as a ``(series,)`` array of ``dtype``."""
    return np.broadcast_to(np.asarray(value), (n_series,)).astype(dtype)


def selling_periods(shelf_life: np.ndarray) -> np.ndarray:
    """Periods a unit can be sold in, counting its arrival period: the whole periods of its
    shelf life, at least 1; inf where it never expires (inf or NaN)."""
    shelf = np.asarray(shelf_life, dtype=float)
    return np.where(np.isfinite(shelf), np.maximum(np.floor(np.nan_to_num(shelf)), 1), np.inf)


def _level_at(source: LevelSource | None, t: int, state: dict[str, np.ndarray]) -> np.ndarray:
    if source is None:
        return np.full(len(state["on_hand"]), -np.inf)
    if callable(source):
        return np.asarray(source(t, state), dtype=float)
    return source[:, t] if source.ndim == 2 else source


def simulate(
    demand: np.ndarray,
    order_up_to: LevelSource | None,
    lead_time: np.ndarray | int,
    review_period: np.ndarray | int = 1,
    *,
    case_pack: np.ndarray | float = 1,
    moq: np.ndarray | float = 0,
    shelf_life: np.ndarray | float = np.inf,
    backorder: bool = False,
    reorder_point: LevelSource | None = None,
    initial_on_hand: np.ndarray | float | None = None,
    review_offset: np.ndarray | int = 0,
    max_level: LevelSource | None = None,
    orders: Callable[[int, dict[str, np.ndarray]], np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Simulate an order-up-to policy on ``demand (series, periods)``.

    ``order_up_to`` (and ``reorder_point``) are ``(series, periods)`` or ``(series,)`` arrays,
    or ``f(t, state) -> (series,)`` with ``state`` holding ``on_hand``, ``on_order``,
    ``backlog``, ``position`` and ``arriving`` (series x periods ahead: what is on order,
    by when it arrives). With a reorder point, an epoch orders only when the
    position is at or below it: (s, S); a fixed (s, Q) is a callable returning
    ``state["position"] + Q``. ``shelf_life`` in whole periods a
    unit can be sold, counting its arrival period (inf or NaN: never expires). Starting stock
    ``initial_on_hand`` (fresh, no open orders) defaults to the first order-up-to level: a
    convenience for studying one policy; to compare policies, give them all the same start
    (``backtest.run_backtest`` does). NaN demand counts as 0. With ``max_level`` (the
    policy's maximum position, same shapes as ``order_up_to``), ``above_max_cover`` counts
    the units an order takes the position beyond it (case packs and MOQs;
    :func:`~.policies.beyond_max_cover`). With ``orders`` (``f(t, state) -> (series,)``
    quantities, e.g. a plan's), those are placed as they are, every period, and
    ``order_up_to`` may be None: the replay of a plan made elsewhere (``walk_forward``).

    Returns ``(series, periods)`` arrays: on_hand_start, arrivals, demand, sales, lost_sales,
    unmet (demand not served on time), backorders (open at period end), waste, on_hand_end,
    on_order_end (ordered, not yet arrived, at period end), order_qty, above_max_cover
    (0 without ``max_level``), review (an epoch), cycle (replenishment cycle of the period: 0
    before the first order can arrive, then k for the k-th review epoch's, or order's,
    arrival).
    """
    demand = np.nan_to_num(np.asarray(demand, dtype=float), nan=0.0)
    n_series, n_periods = demand.shape
    rows = np.arange(n_series)
    lead = per_series(lead_time, n_series, int)
    review = per_series(review_period, n_series, int)
    offset = per_series(review_offset, n_series, int)
    if (lead < 0).any() or (review < 1).any():
        raise ValueError("lead times must be >= 0 and review periods >= 1")
    shelf = per_series(shelf_life, n_series)
    perishable = np.isfinite(shelf)
    shelf_periods = np.where(perishable, selling_periods(shelf), 1).astype(int)
    n_ages = int(shelf_periods[perishable].max(initial=1))

    if isinstance(order_up_to, np.ndarray) and order_up_to.shape not in (
        (n_series,),
        (n_series, n_periods),
    ):
        raise ValueError(f"order_up_to must be (series,) or {demand.shape}")
    if orders is None and order_up_to is None:
        raise ValueError("simulate needs order_up_to levels or an orders source")
    if initial_on_hand is None and order_up_to is None:
        initial_on_hand = 0.0
    if initial_on_hand is None:
        empty = {key: np.zeros(n_series) for key in ("on_hand", "on_order", "backlog", "position")}
        first = _level_at(order_up_to, 0, empty)
        initial_on_hand = np.maximum(np.nan_to_num(first, nan=0.0), 0.0)
    ages = np.zeros((n_series, n_ages))
    ages[:, 0] = per_series(initial_on_hand, n_series)
    pipeline = np.zeros((n_series, int(lead.max(initial=0)) + 1))  # column k: arrives in k
    backlog = np.zeros(n_series)
    on_hand = ages.sum(axis=1)

    names = ("on_hand_start", "arrivals", "sales", "lost_sales", "unmet", "backorders", "waste")
    columns = (*names, "on_hand_end", "on_order_end", "order_qty", "above_max_cover")
    out = {name: np.zeros((n_series, n_periods)) for name in columns}
    out["demand"] = demand
    out["review"] = np.zeros((n_series, n_periods), dtype=bool)
    cycle_start = np.zeros((n_series, n_periods), dtype=bool)

    for t in range(n_periods):
        state = {
            "on_hand": on_hand,
            "on_order": pipeline.sum(axis=1),
            "backlog": backlog,
            "arriving": pipeline.copy(),  # column k: the units that arrive in k periods
        }
        state["position"] = on_hand + state["on_order"] - backlog
        epoch = (t >= offset) & ((t - offset) % review == 0)
        if orders is not None:
            qty = np.maximum(np.nan_to_num(np.asarray(orders(t, state), dtype=float)), 0.0)
            epoch = np.ones(n_series, dtype=bool)
        else:
            level = _level_at(order_up_to, t, state)
            trigger = epoch.copy()
            if reorder_point is not None:
                trigger &= state["position"] <= _level_at(reorder_point, t, state)
            qty = np.where(trigger, order_quantity(state["position"], level, case_pack, moq), 0.0)
        if max_level is not None:
            maximum = _level_at(max_level, t, state)
            out["above_max_cover"][:, t] = beyond_max_cover(state["position"], qty, maximum)
        pipeline[rows, lead] += qty
        # A cycle starts when the epoch's order (any epoch for (R, S), a placed order for
        # reorder-point policies) arrives.
        starts = (epoch if reorder_point is None and orders is None else qty > 0) & (
            t + lead < n_periods
        )
        cycle_start[rows[starts], (t + lead)[starts]] = True

        arrivals = pipeline[:, 0].copy()
        pipeline[:, :-1] = pipeline[:, 1:]
        pipeline[:, -1] = 0.0
        ages[:, 0] += arrivals
        available = ages.sum(axis=1)

        wanted = demand[:, t] + backlog if backorder else demand[:, t]
        sales = np.minimum(available, wanted)
        served_new = np.clip(available - (backlog if backorder else 0.0), 0.0, demand[:, t])
        unmet = demand[:, t] - served_new
        backlog = wanted - sales if backorder else backlog

        # FIFO: take from the oldest age class first.
        oldest_first = ages[:, ::-1]
        before = np.cumsum(oldest_first, axis=1) - oldest_first
        taken = np.clip(sales[:, None] - before, 0.0, oldest_first)
        ages -= taken[:, ::-1]

        expiring = np.minimum(shelf_periods, n_ages) - 1
        waste = np.where(perishable, ages[rows, expiring], 0.0)
        ages[rows[perishable], expiring[perishable]] = 0.0
        if n_ages > 1:
            oldest = ages[:, -1].copy()
            ages[:, 1:] = ages[:, :-1]
            ages[:, 0] = 0.0
            ages[:, -1] += oldest  # non-perishables pile up in the last age class

        on_hand_end = on_hand + arrivals - sales - waste
        for name, value in (
            ("on_hand_start", on_hand),
            ("arrivals", arrivals),
            ("sales", sales),
            ("lost_sales", 0.0 if backorder else unmet),
            ("unmet", unmet),
            ("backorders", backlog),
            ("waste", waste),
            ("on_hand_end", on_hand_end),
            ("on_order_end", pipeline.sum(axis=1)),
            ("order_qty", qty),
        ):
            out[name][:, t] = value
        out["review"][:, t] = epoch
        on_hand = on_hand_end
    out["cycle"] = np.cumsum(cycle_start, axis=1)
    return out
