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


def _plan_cost(demand, order_epochs, lead, fixed, holding):
    """Ordering + holding cost when the starting stock lasts until the first order lands and
    each order covers the span until the next one lands."""
    n = len(demand)
    arrivals = [0] + [min(e + lead, n) for e in order_epochs] + [n]
    cost = fixed * len(order_epochs)
    for start, end in itertools.pairwise(arrivals):
        cost += holding * sum(demand[t] * (t - start) for t in range(start, end))
    return cost


@settings(max_examples=40, deadline=None)
@given(
    demand=st.lists(st.integers(0, 30), min_size=6, max_size=8),
    lead=st.integers(0, 2),
    fixed=st.floats(0.0, 200.0),
)
def test_bound_is_the_cheapest_choice_of_order_epochs(demand, lead, fixed):
    demand = np.array(demand, dtype=float)
    (levels,), _ = lot_sizing_levels(demand[None, :], lead, 1, fixed, 1.0)
    chosen = [t for t in range(len(demand)) if levels[t] > 0]
    best = min(
        _plan_cost(demand, list(subset), lead, fixed, 1.0)
        for size in range(len(demand) + 1)
        for subset in itertools.combinations(range(len(demand)), size)
    )
    assert _plan_cost(demand, chosen, lead, fixed, 1.0) <= best + 1e-6


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
