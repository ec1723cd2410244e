"""The perishable order-up-to level: the newsvendor over lead time + selling periods, with the
overage spread over the cycles a leftover can still sell in."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory_optimization.inventory.distributions import window_sums
from inventory_optimization.inventory.items import leftover_value
from inventory_optimization.inventory.policies import perishable_order_up_to

LEVELS = np.array([0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99])


def _cube(n_series: int = 3, periods: int = 14) -> np.ndarray:
    base = np.array([2.0, 3.0, 5.0, 8.0, 11.0, 14.0, 16.0, 21.0])
    return np.tile(base, (n_series, periods, 1)) * np.arange(1, n_series + 1)[:, None, None]


def test_short_shelf_life_is_the_classical_newsvendor_over_lead_and_selling_periods():
    cube = _cube()
    level, ratio = perishable_order_up_to(
        cube, LEVELS, price=12.0, cost=4.0, shelf_life=2.0, review_period=2, lead_time=1
    )
    np.testing.assert_allclose(ratio, 8 / 12)  # (12 - 4) / (12 - 4 + 4): every leftover wasted
    (sums,) = window_sums(cube, LEVELS, [(0, 3)], 400, 0)
    np.testing.assert_allclose(level, np.quantile(sums, 8 / 12, axis=1), rtol=1e-9)


def test_a_leftover_that_keeps_for_two_more_cycles_halves_the_overage():
    _, ratio = perishable_order_up_to(
        _cube(), LEVELS, price=12.0, cost=4.0, shelf_life=3.0, review_period=1, lead_time=1
    )
    np.testing.assert_allclose(ratio, 8 / (8 + 4 / 2))


def test_salvage_and_goodwill_enter_the_ratio():
    _, ratio = perishable_order_up_to(
        _cube(1),
        LEVELS,
        12.0,
        4.0,
        shelf_life=1.0,
        review_period=1,
        lead_time=0,
        salvage=1.0,
        goodwill=2.0,
    )
    np.testing.assert_allclose(ratio, 10 / (10 + 3))


@settings(max_examples=30, deadline=None)
@given(
    shelf=st.integers(1, 10),
    extra=st.integers(1, 5),
    lead=st.integers(0, 3),
    review=st.integers(1, 4),
)
def test_longer_shelf_life_never_lowers_the_level(shelf, extra, lead, review):
    args = {"price": 10.0, "cost": 6.0, "review_period": review, "lead_time": lead}
    short, short_ratio = perishable_order_up_to(_cube(2), LEVELS, shelf_life=float(shelf), **args)
    long, long_ratio = perishable_order_up_to(
        _cube(2), LEVELS, shelf_life=float(shelf + extra), **args
    )
    assert (long_ratio >= short_ratio).all()
    assert (long >= short - 1e-9).all()


def test_levels_rise_with_the_lead_time():
    args = {"price": 10.0, "cost": 6.0, "shelf_life": 20.0, "review_period": 2}
    near, _ = perishable_order_up_to(_cube(), LEVELS, lead_time=1, **args)
    far, _ = perishable_order_up_to(_cube(), LEVELS, lead_time=3, **args)
    assert (far > near).all()
    assert far[1] == pytest.approx(2 * far[0], rel=0.05)  # series 2 is series 1 doubled


def test_a_leftover_keeps_its_cost_less_holding_unless_it_perishes():
    items = pd.DataFrame(
        {
            "unit_cost": [4.0, 4.0],
            "holding_cost_rate": [0.26, 0.26],
            "salvage": [0.5, 0.5],
            "is_perishable": [False, True],
        }
    )
    value = leftover_value(items, np.array([7.0, 7.0]), periods_per_year=364.0)
    np.testing.assert_allclose(value, [4.0 - 4.0 * 0.26 * 7 / 364, 0.5])
