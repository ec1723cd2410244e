"""The baselines: the spreadsheet rule, and the perfect-foresight bound that batches orders
(Wagner-Whitin over review epochs)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory_optimization.inventory.baselines import lot_sizing_levels, naive_levels
from inventory_optimization.inventory.simulation import simulate


def _plan_cost(demand, order_epochs, lead, fixed, holding, start=None):
    """Ordering + holding cost when each order covers the span until the next one lands.
    Without ``start`` the starting stock lasts until the first order lands (its holding
    counts); with it, the start serves first and the orders cover the rest of the demand from
    the first lead time on (its holding is the same for any plan): None when they cannot."""
    n = len(demand)
    arrivals = [min(e + lead, n) for e in order_epochs] + [n]
    if start is None:
        rest, arrivals = demand, [0, *arrivals]
    else:
        rest = demand - np.diff(np.minimum(np.cumsum(demand), start), prepend=0.0)
        rest[:lead] = 0.0
        if rest[: arrivals[0]].sum() > 1e-9:
            return None
    cost = fixed * len(order_epochs)
    for begin, end in itertools.pairwise(arrivals):
        cost += holding * sum(rest[t] * (t - begin) for t in range(begin, end))
    return cost


@settings(max_examples=60, deadline=None)
@given(
    demand=st.lists(st.integers(0, 30), min_size=6, max_size=8),
    lead=st.integers(0, 2),
    fixed=st.floats(0.0, 200.0),
    start=st.one_of(st.none(), st.integers(0, 120)),
)
def test_bound_is_the_cheapest_choice_of_order_epochs(demand, lead, fixed, start):
    """Its own start, or a given one (the backtest's common start)."""
    demand = np.array(demand, dtype=float)
    given_start = None if start is None else float(start)
    (levels,), (initial,) = lot_sizing_levels(
        demand[None, :], lead, 1, fixed, 1.0, initial_on_hand=given_start
    )
    assert start is None or initial == start
    chosen = [t for t in range(len(demand)) if levels[t] > 0]
    plans = (
        _plan_cost(demand, list(subset), lead, fixed, 1.0, given_start)
        for size in range(len(demand) + 1)
        for subset in itertools.combinations(range(len(demand)), size)
    )
    best = min(cost for cost in plans if cost is not None)
    cost = _plan_cost(demand, chosen, lead, fixed, 1.0, given_start)
    assert cost is not None and cost <= best + 1e-6


def test_free_orders_mean_ordering_every_epoch_just_in_time():
    demand = np.full((1, 10), 10.0)
    levels, stock = lot_sizing_levels(
        demand,
        lead_time=1,
        review_period=1,
        ordering_cost=0.0,
        holding_cost_per_unit_per_period=1.0,
    )
    assert stock[0] == 10.0  # until the first order lands
    np.testing.assert_allclose(levels[0, :-1], 20.0)  # demand until the next order lands


@pytest.mark.parametrize("shelf", [np.inf, 2.0, 3.0])
def test_bound_never_runs_out_and_never_wastes(shelf):
    rng = np.random.default_rng(7)
    demand = rng.poisson(8.0, size=(50, 28)).astype(float)
    lead = rng.integers(0, 3, 50)
    review = rng.integers(1, 3, 50)
    lead = np.minimum(lead, np.nan_to_num(shelf, posinf=9) - 1).astype(int)  # can be served
    levels, stock = lot_sizing_levels(demand, lead, review, 60.0, 0.5, shelf)
    result = simulate(demand, levels, lead, review, shelf_life=shelf, initial_on_hand=stock)
    assert result["lost_sales"].sum() == pytest.approx(0.0, abs=1e-9)
    assert result["waste"].sum() == pytest.approx(0.0, abs=1e-9)


def test_costly_orders_are_batched_and_cheap_ones_are_not():
    demand = np.full((2, 20), 10.0)
    levels, _ = lot_sizing_levels(demand, 0, 1, np.array([1.0, 500.0]), 1.0)
    orders = (levels > 0).sum(axis=1)
    assert orders[0] >= 19 and orders[1] <= 3


def test_without_ordering_costs_the_bound_is_the_oracle_that_never_runs_out():
    """Free orders: at the first epoch the bound orders up to the demand of the next L + R
    periods (its starting stock covers the lead time), as an oracle would; it never runs out."""
    rng = np.random.default_rng(3)
    demand = rng.poisson(rng.uniform(1, 15, (6, 1)), (6, 120)).astype(float)
    lead, review = rng.integers(0, 5, 6), rng.integers(1, 4, 6)
    levels, stock = lot_sizing_levels(demand, lead, review, 0.0, 1.0)
    late = np.flatnonzero(lead > 0)  # with no lead time the starting stock covers the first R
    np.testing.assert_array_equal(
        levels[late, 0], [demand[i, : lead[i] + review[i]].sum() for i in late]
    )
    np.testing.assert_array_equal(stock[late], [demand[i, : lead[i]].sum() for i in late])
    out = simulate(demand, levels, lead, review, initial_on_hand=stock)
    assert out["lost_sales"].sum() == 0


def test_naive_levels_roll_forward_without_peeking():
    history = np.full((2, 10), 4.0)
    static = naive_levels(history, np.array([1, 2]), 2, window=5, safety_factor=1.5)
    np.testing.assert_allclose(static, [4 * 3 + 6, 4 * 4 + 6])
    demand = np.full((2, 6), 8.0)
    rolling = naive_levels(history, 1, 1, demand, window=2, cover_factor=1.5)
    np.testing.assert_allclose(rolling[0], [12, 18, 24, 24, 24, 24])
    changed = demand.copy()
    changed[:, 3:] = 100.0
    np.testing.assert_allclose(
        naive_levels(history, 1, 1, changed, window=2)[:, :4], rolling[:, :4] / 1.5
    )


@pytest.mark.parametrize("shelf", [np.inf, 3.0])
@pytest.mark.parametrize("factor", [0.0, 1.0, 3.0])
def test_bound_from_a_given_start_loses_only_what_no_order_could_serve(shelf, factor):
    """From a start of 0, 1 or 3 times the first lead time's demand, the bound loses only the
    demand before its first order can land, wastes only the start that outlives its shelf
    life, and orders nothing while the start lasts."""
    rng = np.random.default_rng(11)
    demand = rng.poisson(8.0, size=(40, 28)).astype(float)
    lead = np.minimum(rng.integers(0, 4, 40), np.nan_to_num(shelf, posinf=9) - 1).astype(int)
    review = rng.integers(1, 4, 40)
    before = np.arange(28) < lead[:, None]
    start = factor * np.where(before, demand, 0.0).sum(axis=1)
    levels, _ = lot_sizing_levels(demand, lead, review, 60.0, 0.5, shelf, initial_on_hand=start)
    out = simulate(demand, levels, lead, review, shelf_life=shelf, initial_on_hand=start)
    unavoidable = np.clip(np.where(before, demand, 0.0).sum(axis=1) - start, 0.0, None)
    np.testing.assert_allclose(out["lost_sales"].sum(axis=1), unavoidable, atol=1e-9)
    selling = np.arange(28) < np.nan_to_num(shelf, posinf=28)
    expired = np.clip(start - np.where(selling, demand, 0.0).sum(axis=1), 0.0, None)
    np.testing.assert_allclose(out["waste"].sum(axis=1), expired, atol=1e-9)
    # The first order lands within a review period of the start running out, not earlier.
    reach = np.minimum(np.cumsum(np.where(selling, demand, 0.0), axis=1), start[:, None])
    served = np.diff(reach, axis=1, prepend=0.0)
    needed = (demand - served > 0) & ~before
    for i in np.flatnonzero(needed.any(axis=1)):
        runs_out = np.flatnonzero(needed[i])[0]
        first_order = np.flatnonzero(out["order_qty"][i])[0]
        assert runs_out - lead[i] - review[i] < first_order <= runs_out - lead[i]
    assert out["order_qty"][~needed.any(axis=1)].sum() == 0
