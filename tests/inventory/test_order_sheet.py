"""The order sheet a buyer acts on: orders first, whole units and cases, unit and currency in
the column names, the arrival of today's order, one reason per line; never a negative safety
stock. From a hand-made plan (exact figures) and from the plan node on the pipeline's shapes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from inventory_optimization.inventory.order_sheet import batching_words, order_sheet
from inventory_optimization.pipelines.replenishment import nodes
from tests.inventory.test_inventory_nodes import METADATA, SETTINGS, _attributes, _forecast


def _plan() -> pd.DataFrame:
    """Four series: A orders (EOQ batch, cases of 12), B is covered, C is below its trigger
    but not on a review day, D is discontinued."""
    return pd.DataFrame(
        {
            "series_id": ["B", "A", "C", "D"],
            "as_of_date": pd.Timestamp("2024-12-29"),
            "policy": ["periodic_review_RS", "periodic_review_RS", "newsvendor", None],
            "on_hand": [40.4, 12.2, 3.0, 5.0],
            "on_order": [0.0, 0.0, 0.0, 0.0],
            "lead_time": [2.0, 3.0, 1.0, np.nan],
            "safety_stock": [4.0, 6.0, -2.5, np.nan],
            "order_trigger": [30.7, 30.7, 9.2, np.nan],
            "economic_batch": [0.0, 47.6, 0.0, np.nan],
            "order_up_to": [30.7, 78.3, 9.2, np.nan],
            "review_due": [True, True, False, None],
            "order_qty": [0.0, 72.0, 0.0, 0.0],
            "order_value": [0.0, 108.0, 0.0, 0.0],
            "expected_fill_rate": [0.97, 0.954, 0.5, np.nan],
            "binding_constraint": [None, None, None, None],
            "status": ["planned", "planned", "planned", "discontinued: no sale since 2024-09-01"],
        }
    )


def _items() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "series_id": ["A", "B", "C", "D"],
            "unit_cost": [1.5, 2.0, 0.8, 1.0],
            "case_pack": [12.0, 1.0, 6.0, 1.0],
            "min_order_qty": [0.0, 0.0, 24.0, 0.0],
        }
    )


def _sheet(**options) -> pd.DataFrame:
    plan = _plan()
    arrival = plan["as_of_date"] + pd.to_timedelta(1 + plan["lead_time"].fillna(0), unit="D")
    attributes = pd.DataFrame(
        {"series_id": ["A", "B", "C", "D"], "category": ["dairy", "bakery", "produce", "deli"]}
    )
    return order_sheet(plan, _items(), attributes, arrival, **options)


def test_orders_come_first_in_whole_units_and_cases_with_unit_and_currency_named():
    sheet = _sheet(currency="EUR")
    assert list(sheet["series_id"]) == ["A", "B", "C", "D"]  # the one order, then the rest
    a = sheet.iloc[0]
    assert a["order_qty_units"] == 72 and a["order_cases"] == 6 and a["case_pack_units"] == 12
    assert a["order_value_EUR"] == 108.0 and a["unit_cost_EUR"] == 1.5
    assert a["category"] == "dairy"
    # Placed the morning after the plan's date, it arrives 3 days later.
    assert str(a["arrives_on"]) == "2025-01-02"
    assert sheet["arrives_on"].iloc[1:].isna().all()  # no order, no arrival
    # Whole units everywhere a buyer counts; the reorder point is the trigger, floored.
    for column in ("order_qty_units", "on_hand_units", "reorder_point_units", "order_up_to_units"):
        assert str(sheet[column].dtype) == "Int64", column
    assert a["on_hand_units"] == 12 and a["reorder_point_units"] == 30
    assert a["order_up_to_units"] == 78 and a["expected_fill_rate_pct"] == 95
    assert "safety_stock" not in " ".join(sheet.columns)


def test_each_line_says_why_in_one_short_reason():
    reasons = _sheet().set_index("series_id")["reason"]
    assert reasons["A"] == (
        "on hand 12 + on order 0 = 12, at or below reorder point 30: order up to 78"
    )
    assert reasons["B"] == "on hand 40 + on order 0 = 40, above reorder point 30: no order"
    assert reasons["C"] == "on hand 3 + on order 0 = 3: not a review day, no order"
    assert reasons["D"] == "discontinued: no sale since 2024-09-01: no order"
    assert all(len(reason) <= 90 for reason in reasons)


def test_batching_is_said_in_words():
    words = _sheet().set_index("series_id")["batching"]
    assert words["A"] == "cases of 12; EOQ batch of 48 units beyond the reorder point"
    assert words["B"] == "single units"
    assert words["C"] == (
        "cases of 6; at least 24 units; perishable: up to what sells before it expires"
    )
    assert list(batching_words(np.array([1.0]), np.array([0.0]), np.array([0.2]), "kg"))[0] == (
        "single units"
    )


def test_zero_order_lines_are_left_out_on_request():
    sheet = _sheet(include_zero_orders=False)
    assert list(sheet["series_id"]) == ["A"]


def test_a_plan_without_the_order_columns_is_refused_by_name():
    with pytest.raises(ValueError, match=r"replenishment_plan: missing column\(s\) \['order_qty'"):
        order_sheet(_plan().drop(columns="order_qty"), _items(), None, pd.Series(dtype=object))


def test_the_node_sheet_agrees_with_the_plan_line_by_line():
    """From the plan node: every order is whole cases, the position of an ordering line is at
    or below the reorder point shown and above it otherwise, and the arrival is lead time
    days after the morning of the order."""
    attributes = _attributes(case_pack=[6, 1])
    items = nodes.build_item_parameters(attributes, METADATA, SETTINGS)
    positions = pd.DataFrame(
        {"series_id": ["A", "B"], "on_hand": [3.0, 200.0], "on_order": [0.0, 0.0]}
    )
    plan, _ = nodes.plan_replenishment(_forecast(), items, positions, METADATA, SETTINGS)
    sheet = nodes.write_order_sheet(
        plan, items, positions, attributes, METADATA, {"currency": "USD", "unit": "kg"}
    )
    by_id = sheet.set_index("series_id")
    assert list(sheet["series_id"]) == ["A", "B"]
    assert by_id.loc["A", "order_qty_kg"] == plan.set_index("series_id").loc["A", "order_qty"]
    assert by_id.loc["A", "order_qty_kg"] % 6 == 0 and by_id.loc["A", "order_cases"] > 0
    position = by_id["on_hand_kg"] + by_id["on_order_kg"]
    ordered = by_id["order_qty_kg"] > 0
    assert (position[ordered] <= by_id.loc[ordered, "reorder_point_kg"]).all()
    assert (position[~ordered] > by_id.loc[~ordered, "reorder_point_kg"]).all()
    # As of 2024-01-01, ordered on the 2nd, 2 days' lead time.
    assert str(by_id.loc["A", "arrives_on"]) == "2024-01-04"
    assert {"order_value_USD", "unit_cost_USD"} <= set(sheet.columns)


def test_fractional_assumed_stock_never_reads_against_the_decision():
    """Assumed positions are fractions of units: the sheet shows whole units held (rounded
    down) and says "just above" where the whole units tie but the plan did not order."""
    plan = _plan().iloc[:2].assign(on_hand=[30.75, 30.6], order_qty=[0.0, 48.0])
    plan["order_value"] = plan["order_qty"] * 2.0
    sheet = order_sheet(plan, _items(), None, plan["as_of_date"])
    reasons = sheet.set_index("series_id")["reason"]
    assert reasons["A"].startswith("on hand 30 + on order 0 = 30, at or below reorder point 30")
    assert reasons["B"] == "on hand 30 + on order 0 = 30, just above reorder point 30: no order"
