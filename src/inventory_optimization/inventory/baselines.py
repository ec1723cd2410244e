"""The two baselines every policy is judged between in the backtest: the spreadsheet rule a
planner would use without a forecast (:func:`naive_levels`) and the perfect-foresight bound
that knows the realised demand and batches orders where ordering costs make it pay
(:func:`lot_sizing_levels`, Wagner-Whitin over the review epochs, vectorised across series,
never covering more than the shelf life).
"""

from __future__ import annotations

import numpy as np

from .simulation import per_series, selling_periods


def _window_sum(values: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """Sum of ``values[s, start[s, t] : stop[s, t]]`` (clipped to the array)."""
    n_periods = values.shape[1]
    cumulative = np.concatenate([np.zeros((len(values), 1)), np.cumsum(values, axis=1)], axis=1)
    rows = np.arange(len(values))[:, None]
    start = np.clip(start, 0, n_periods)
    stop = np.clip(stop, 0, n_periods)
    return cumulative[rows, stop] - cumulative[rows, start]


def naive_levels(
    history: np.ndarray,
    lead_time: np.ndarray | int,
    review_period: np.ndarray | int,
    demand: np.ndarray | None = None,
    window: int = 28,
    cover_factor: float = 1.0,
    safety_factor: float = 0.0,
) -> np.ndarray:
    """The spreadsheet rule: average demand of the last ``window`` periods x (L + R) x
    ``cover_factor``, plus ``safety_factor`` periods of average demand as safety stock.

    ``history (series, H)`` precedes the backtest; with ``demand (series, T)``, the realised
    demand of the backtest, the average rolls forward and levels are ``(series, T)``, each using
    only periods before it; without it, one level per series from the end of the history.
    NaN periods are skipped in the average.
    """
    history = np.asarray(history, dtype=float)
    n_series = len(history)
    lead = per_series(lead_time, n_series)
    review = per_series(review_period, n_series)
    full = history if demand is None else np.concatenate([history, demand], axis=1)
    known = ~np.isnan(full)
    first = history.shape[1]
    stops = np.arange(first, full.shape[1]) if demand is not None else np.array([first])
    stop = np.broadcast_to(stops, (n_series, len(stops)))
    totals = _window_sum(np.where(known, full, 0.0), stop - window, stop)
    counts = _window_sum(known.astype(float), stop - window, stop)
    with np.errstate(invalid="ignore", divide="ignore"):
        average = np.where(counts > 0, totals / np.maximum(counts, 1), 0.0)
    levels = average * ((lead + review)[:, None] * cover_factor + safety_factor)
    return levels[:, 0] if demand is None else levels


def lot_sizing_levels(
    demand: np.ndarray,
    lead_time: np.ndarray,
    review_period: np.ndarray,
    ordering_cost: np.ndarray | float,
    holding_cost_per_unit_per_period: np.ndarray | float,
    shelf_life: np.ndarray | float = np.inf,
    initial_on_hand: np.ndarray | float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Perfect-foresight order-up-to levels ``(series, periods)`` that batch orders, and the
    starting stock ``(series,)`` they start from.

    Orders can be placed at the review epochs ``0, R, 2R, ...`` and arrive ``L`` periods
    later. Each order covers the demand from its arrival to the next one's; the orders that
    minimise ordering plus holding cost are found by dynamic programming over the epochs
    (Wagner-Whitin). A covered span never exceeds the shelf life where that is possible (a
    starting stock cannot outlive its shelf life when the lead time is longer). At an
    ordering epoch the level is the position that brings the stock to the demand until the
    next order lands; elsewhere it is 0 (no order).

    Without ``initial_on_hand`` the bound chooses its starting stock too: the demand until its
    first order lands. With it (the backtest's common start, fresh, nothing on order), the
    start serves the demand first, oldest stock first, until it runs out or expires; the
    orders cover the rest of the demand from the first arrival on (what falls before it is
    lost for any policy), and the first order waits as long as the start lasts.
    """
    demand = np.clip(np.nan_to_num(np.asarray(demand, dtype=float)), 0, None)
    n_series, n_periods = demand.shape
    lead = np.broadcast_to(np.asarray(lead_time, dtype=int), (n_series,))
    review = np.broadcast_to(np.asarray(review_period, dtype=int), (n_series,))
    fixed = np.broadcast_to(np.asarray(ordering_cost, dtype=float), (n_series,))
    holding = np.broadcast_to(
        np.asarray(holding_cost_per_unit_per_period, dtype=float), (n_series,)
    )
    shelf = np.broadcast_to(np.asarray(shelf_life, dtype=float), (n_series,))
    if initial_on_hand is None:
        start, served = None, np.zeros_like(demand)
    else:
        start = np.broadcast_to(np.asarray(initial_on_hand, dtype=float), (n_series,))
        served = _served_from_start(demand, start, shelf)
    levels = np.zeros((n_series, n_periods))
    initial = np.zeros(n_series)
    # Series share the epoch grid when they share lead time and review period.
    for key in np.unique(np.stack([lead, review], axis=1), axis=0):
        group = np.flatnonzero((lead == key[0]) & (review == key[1]))
        levels[group], initial[group] = _group_levels(
            demand[group] - served[group],
            int(key[0]),
            int(key[1]),
            fixed[group],
            holding[group],
            shelf[group],
            None if start is None else start[group],
        )
    if start is not None:
        # The position at an ordering epoch also holds what is left of the start.
        left = start[:, None] - np.cumsum(served, axis=1) + served
        expired = np.arange(n_periods) >= selling_periods(shelf)[:, None]
        levels = np.where(levels > 0, levels + np.where(expired, 0.0, left), 0.0)
    return levels, initial


def _served_from_start(demand: np.ndarray, start: np.ndarray, shelf: np.ndarray) -> np.ndarray:
    """Demand ``(series, periods)`` the starting stock serves: it is the oldest stock, so it
    sells first, whatever any policy orders, until it runs out or expires."""
    selling = np.arange(demand.shape[1]) < selling_periods(shelf)[:, None]
    reach = np.minimum(np.cumsum(np.where(selling, demand, 0.0), axis=1), start[:, None])
    return np.diff(reach, axis=1, prepend=0.0)


def _group_levels(
    demand: np.ndarray,
    lead: int,
    review: int,
    fixed: np.ndarray,
    holding: np.ndarray,
    shelf: np.ndarray,
    start: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    n_series, n_periods = demand.shape
    if start is not None:
        demand = demand.copy()
        demand[:, :lead] = 0.0  # before the first order can land: lost for every policy
    epochs = np.arange(0, n_periods, review)
    # Node 0 is the starting stock (on the shelf from period 0), node k the order of epoch
    # k - 1, and the last node the end of the horizon.
    arrivals = np.minimum(np.concatenate([[0], epochs + lead, [n_periods]]), n_periods)
    n_nodes = len(arrivals)
    cum = np.concatenate([np.zeros((n_series, 1)), np.cumsum(demand, axis=1)], axis=1)
    weighted = np.concatenate(
        [np.zeros((n_series, 1)), np.cumsum(demand * np.arange(n_periods), axis=1)], axis=1
    )
    best = np.full((n_series, n_nodes), np.inf)
    best[:, 0] = 0.0
    previous = np.zeros((n_series, n_nodes), dtype=int)
    span_limit = np.where(np.isfinite(shelf), np.nan_to_num(shelf), np.inf)
    for j in range(1, n_nodes):
        end = arrivals[j]
        for k in range(j):
            begin = arrivals[k]
            # Units that sell at t wait (t - arrival) periods on the shelf.
            held = (weighted[:, end] - weighted[:, begin]) - begin * (cum[:, end] - cum[:, begin])
            cost = best[:, k] + (fixed if k > 0 else 0.0) + holding * held
            if k == 0 and start is not None:
                # A given start can only stand in for orders where nothing is left to serve.
                feasible = (cum[:, end] - cum[:, begin] <= 1e-9) | (j == 1)
            else:
                feasible = (end - begin <= span_limit) | (k == j - 1)
            better = feasible & (cost < best[:, j])
            best[:, j] = np.where(better, cost, best[:, j])
            previous[:, j] = np.where(better, k, previous[:, j])
    # Walk back from the end marking the nodes that order.
    ordering = np.zeros((n_series, n_nodes), dtype=bool)
    current = np.full(n_series, n_nodes - 1)
    rows = np.arange(n_series)
    for _ in range(n_nodes):
        current = previous[rows, current]
        ordering[rows, current] = True
    levels = np.zeros((n_series, n_periods))
    next_arrival = np.full(n_series, n_periods)
    for node in range(n_nodes - 2, 0, -1):
        chosen = ordering[:, node]
        epoch = epochs[node - 1]
        level = cum[rows, next_arrival] - cum[:, epoch]
        levels[chosen, epoch] = level[chosen]
        next_arrival = np.where(chosen, arrivals[node], next_arrival)
    return levels, cum[rows, next_arrival] if start is None else start
