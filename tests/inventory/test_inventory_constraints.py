"""Orders under budget and capacity (MILP): feasible, whole packs, unchanged when nothing binds."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from inventory_optimization.inventory import constrained_orders, order_quantity
from inventory_optimization.inventory.constraints import expected_sales_knots
from inventory_optimization.inventory.distributions import sample_period_demand

LEVELS = np.array([0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99])


def random_items(seed: int, n_items: int) -> dict:
    rng = np.random.default_rng(seed)
    mean = rng.uniform(0.5, 60, n_items)
    table = stats.poisson.ppf(LEVELS[None, :], mean[:, None])
    pack = rng.choice([1, 4, 6, 12], n_items).astype(float)
    moq = rng.choice([0, 10, 24], n_items).astype(float)
    cost = np.round(rng.uniform(0.5, 20, n_items), 2)
    return {
        "unconstrained_qty": order_quantity(0.0, table[:, -2], pack, moq),
        "case_pack": pack,
        "moq": moq,
        "unit_cost": cost,
        "unit_volume": np.round(rng.uniform(0.01, 2, n_items), 3),
        "quantile_table": table,
        "levels": LEVELS,
        "price": cost * rng.uniform(1.1, 3, n_items),
        "salvage": cost * rng.uniform(0, 0.9, n_items),
    }


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_items=st.integers(1, 8),
    budget_share=st.one_of(st.none(), st.floats(0.0, 1.3)),
    capacity_share=st.one_of(st.none(), st.floats(0.0, 1.3)),
)
def test_milp_respects_every_constraint_in_whole_packs(seed, n_items, budget_share, capacity_share):
    items = random_items(seed, n_items)
    wanted, cost, volume = items["unconstrained_qty"], items["unit_cost"], items["unit_volume"]
    budget = None if budget_share is None else budget_share * float(cost @ wanted)
    capacity = None if capacity_share is None else capacity_share * float(volume @ wanted)
    qty, binding = constrained_orders(**items, budget=budget, capacity=capacity)

    cases = qty / items["case_pack"]
    np.testing.assert_array_equal(cases, np.round(cases))  # whole case packs
    assert (qty >= 0).all() and (qty <= wanted).all()
    assert ((qty == 0) | (qty >= items["moq"])).all()
    if budget is not None:
        assert cost @ qty <= budget
    if capacity is not None:
        assert volume @ qty <= capacity
    fits = (budget is None or cost @ wanted <= budget) and (
        capacity is None or volume @ wanted <= capacity
    )
    if fits:
        assert binding is None
        np.testing.assert_array_equal(qty, wanted)
    else:
        assert binding in {"budget", "capacity"}


def test_budget_cut_keeps_the_more_profitable_item():
    table = np.array([[8, 9, 10, 12, 14, 15, 16, 18]] * 2, dtype=float)
    qty, binding = constrained_orders(
        np.array([18.0, 18.0]),
        6,
        0,
        np.array([1.0, 1.0]),
        None,
        table,
        LEVELS,
        price=np.array([1.2, 3.0]),
        salvage=0.9,
        budget=20.0,
    )
    assert binding == "budget"
    assert qty[1] == 18 and qty[0] == 0  # 20 buys three cases: all to the high margin item


def test_capacity_binds_and_max_cases_caps():
    table = np.tile(stats.poisson.ppf(LEVELS, 20.0), (2, 1))
    wanted = np.array([30.0, 30.0])
    qty, binding = constrained_orders(
        wanted, 1, 0, 1.0, np.array([1.0, 2.0]), table, LEVELS, 2.0, 0.5, budget=1e6, capacity=50
    )
    assert binding == "capacity" and qty @ [1.0, 2.0] <= 50
    qty, binding = constrained_orders(wanted, 5, 0, 1.0, 1.0, table, LEVELS, 2.0, max_cases=4)
    assert binding == "max_cases"
    np.testing.assert_array_equal(qty, [20.0, 20.0])


def test_expected_sales_knots_match_monte_carlo():
    table = np.array([stats.poisson.ppf(LEVELS, 30.0), stats.norm.ppf(LEVELS, 100, 20)])
    x, sales, mean = expected_sales_knots(table, LEVELS)
    samples = sample_period_demand(table[:, None, :], LEVELS, 100_000, 0)[:, 0, :]
    brute = np.minimum(samples[:, None, :], x[:, :, None]).mean(axis=-1)
    np.testing.assert_allclose(sales, brute, rtol=0.005, atol=0.01)
    np.testing.assert_allclose(mean, samples.mean(axis=1), rtol=0.005)
    assert (np.diff(sales, axis=1) >= 0).all()
    slopes = np.diff(sales, axis=1) / np.maximum(np.diff(x, axis=1), 1e-12)
    assert (np.diff(slopes, axis=1) <= 1e-9).all()  # concave


def test_negative_budget_is_rejected():
    items = random_items(0, 2)
    with pytest.raises(ValueError, match="budget"):
        constrained_orders(**items, budget=-1.0)


def test_a_time_limit_too_short_for_a_first_plan_still_gives_one():
    # The service's what-if gives the solver a fraction of a second: running out before any
    # plan must not mean "order nothing".
    items = random_items(7, 400)
    budget = 0.5 * float(items["unconstrained_qty"] @ items["unit_cost"])
    qty, binding = constrained_orders(**items, budget=budget, time_limit=1e-9)
    full, _ = constrained_orders(**items, budget=budget)
    assert binding == "budget"
    assert qty @ items["unit_cost"] <= budget
    assert qty @ items["unit_cost"] == pytest.approx(full @ items["unit_cost"], rel=1e-3)
