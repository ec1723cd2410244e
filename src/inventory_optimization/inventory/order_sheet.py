"""The order sheet: today's plan as a buyer reads it.

:func:`order_sheet` turns the machine-readable plan (``replenishment_plan``, every figure in
float units, one row per series) into the sheet a buyer acts on: orders first, whole units
and cases, the unit and the currency in the column names, the item's name and category where
the data has them, the day today's order arrives, and one short reason per line. It reads
only what the plan and the item table hold; the plan itself is never changed.

The safety stock is not on the sheet: it is the reorder point less the mean lead-time demand
and goes negative wherever the service target is below the median of a skewed demand or the
maximum cover trims the level (slow movers), which tells a buyer nothing to act on. The
reorder point, the order-up-to level and the order quantity are what decide the order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

# Where the item's own name and category may be found among the series attributes, in order.
NAME_COLUMNS = ("item_name", "product_name", "name", "description")
CATEGORY_COLUMNS = ("category", "department", "dept_id", "family", "cat_id", "genre")
_SLACK = 1e-9  # a level of 30.000000001 units is 30 units


def _first_column(frame: pd.DataFrame, candidates: Sequence[str]) -> str | None:
    return next((c for c in candidates if c in frame.columns), None)


def _item_labels(series: pd.Series, attributes: pd.DataFrame | None) -> pd.DataFrame:
    """``item_name`` and ``category`` per plan row, where the attributes have such columns."""
    labels = pd.DataFrame(index=series.index)
    if attributes is None or attributes.empty:
        return labels
    table = attributes.assign(series_id=attributes["series_id"].astype(str))
    table = table.drop_duplicates("series_id").set_index("series_id")
    for target, candidates in (("item_name", NAME_COLUMNS), ("category", CATEGORY_COLUMNS)):
        column = _first_column(table, candidates)
        if column is not None:
            labels[target] = series.astype(str).map(table[column]).to_numpy()
    return labels


def _whole(values: pd.Series) -> pd.Series:
    """Whole units (nullable: a discontinued item has no levels)."""
    return np.round(pd.to_numeric(values, errors="coerce") + 0.0).astype("Int64")


def _units_held(values: pd.Series) -> pd.Series:
    """Stock in whole units, rounded down (a fraction of a unit, from an assumed position,
    cannot be sold), so that a position at or below the trigger never reads above it."""
    return np.floor(pd.to_numeric(values, errors="coerce").fillna(0) + _SLACK).astype("Int64")


def batching_words(
    case_pack: np.ndarray,
    min_order: np.ndarray,
    batch: np.ndarray,
    unit: str,
    perishable: np.ndarray | None = None,
) -> np.ndarray:
    """How an item is ordered, in words: ``cases of 12``, ``at least 24 units``, ``EOQ batch
    of 48 units beyond the reorder point``, ``perishable: up to what sells before it
    expires`` (joined by ``; ``), or ``single units``."""
    pack = pd.Series(np.nan_to_num(np.asarray(case_pack, dtype=float), nan=1.0))
    moq = pd.Series(np.nan_to_num(np.asarray(min_order, dtype=float)))
    extra = pd.Series(np.round(np.nan_to_num(np.asarray(batch, dtype=float))))
    shown = "{:g}".format
    parts = pd.DataFrame(
        {
            "pack": ("cases of " + pack.map(shown)).where(pack > 1, ""),
            "moq": ("at least " + moq.map(shown) + f" {unit}").where(moq > pack, ""),
            "batch": (
                "EOQ batch of " + extra.map(shown) + f" {unit} beyond the reorder point"
            ).where(extra > 0, ""),
            "perishable": np.where(
                np.zeros(len(pack), bool) if perishable is None else perishable,
                "perishable: up to what sells before it expires",
                "",
            ),
        }
    )
    joined = parts.agg("; ".join, axis=1).str.replace(r"(; )+", "; ", regex=True).str.strip("; ")
    return joined.where(joined != "", "single units").to_numpy()


def order_reasons(
    plan: pd.DataFrame, reorder_point: pd.Series, order_up_to: pd.Series
) -> pd.Series:
    """One short reason per line, from the figures shown on the sheet: ``on hand 12 + on
    order 0 = 12 at or below the reorder point 30: order up to 78`` or ``... above the reorder
    point 30: no order``; a day that is not the item's review day, a cut under the budget or
    capacity, and a not-planned item (discontinued) say so."""
    on_hand, on_order = _units_held(plan["on_hand"]), _units_held(plan["on_order"])
    position = on_hand + on_order
    ordered = plan["order_qty"].fillna(0).to_numpy() > 0
    stock = (
        "on hand " + on_hand.astype(str) + " + on order " + on_order.astype(str)
        + " = " + position.astype(str)
    )  # fmt: skip
    # The plan decides on unrounded figures: where the whole units shown tie, "just above".
    below = plan["on_hand"] + plan["on_order"].fillna(0) <= plan["order_trigger"] + _SLACK
    compared = np.where(
        below,
        ", at or below reorder point ",
        np.where(
            (position <= reorder_point).fillna(False).to_numpy(dtype=bool),
            ", just above reorder point ",
            ", above reorder point ",
        ),
    )
    reason = stock + pd.Series(compared, index=plan.index) + reorder_point.astype(str)
    reason = reason + np.where(ordered, ": order up to " + order_up_to.astype(str), ": no order")
    if "review_due" in plan.columns:
        not_due = below & ~plan["review_due"].fillna(True).astype(bool)
        reason = reason.where(~not_due, stock + ": not a review day, no order")
    if "binding_constraint" in plan.columns:
        cut = plan["binding_constraint"].notna() & below
        reason = reason.where(
            ~cut, reason + " (cut to the " + plan["binding_constraint"].astype(str) + ")"
        )
    if "status" in plan.columns:
        held = plan["status"].fillna("planned") != "planned"
        reason = reason.where(~held, plan["status"].astype(str) + ": no order")
    return reason


def order_sheet(
    plan: pd.DataFrame,
    items: pd.DataFrame,
    attributes: pd.DataFrame | None,
    arrival: pd.Series,
    currency: str = "EUR",
    unit: str = "units",
    include_zero_orders: bool = True,
) -> pd.DataFrame:
    """The buyer's order sheet from the plan, the item table (case packs, MOQs, cost) and the
    series attributes (name, category), with ``arrival`` the day today's order would arrive,
    per plan row. Orders first, largest value first; rows without an order after them (or
    left out when ``include_zero_orders`` is false). Quantities are whole units (an order is
    already whole cases), levels are rounded to whole units, money to cents."""
    missing = [c for c in ("series_id", "on_hand", "order_qty", "order_value") if c not in plan]
    if missing:
        raise ValueError(f"replenishment_plan: missing column(s) {missing} for the order sheet")
    plan = plan.assign(series_id=plan["series_id"].astype(str))
    table = items.assign(series_id=items["series_id"].astype(str)).drop_duplicates("series_id")
    item = table.set_index("series_id").reindex(plan["series_id"])
    item.index = plan.index
    for column, default in (("on_order", 0.0), ("order_trigger", np.nan), ("order_up_to", np.nan)):
        if column not in plan:
            plan[column] = default
    quantity = plan["order_qty"].fillna(0).to_numpy(dtype=float)
    pack = item["case_pack"].fillna(1).to_numpy(dtype=float)
    # Levels in whole units: a position at or below the trigger orders, so it is shown floored.
    reorder_point = np.floor(plan["order_trigger"] + _SLACK).astype("Int64")
    order_up_to = _whole(plan["order_up_to"])
    money, units = f"_{currency}", f"_{unit}"
    sheet = pd.DataFrame(
        {
            "series_id": plan["series_id"],
            **{k: plan[k] for k in ("store_id", "item_id") if k in plan},
            **_item_labels(plan["series_id"], attributes),
            f"order_qty{units}": _whole(plan["order_qty"].fillna(0)),
            "order_cases": _whole(pd.Series(quantity / pack, index=plan.index)),
            f"case_pack{units}": _whole(item["case_pack"]),
            f"order_value{money}": plan["order_value"].fillna(0).round(2),
            "arrives_on": pd.to_datetime(arrival).dt.date.where(quantity > 0),
            f"on_hand{units}": _units_held(plan["on_hand"]),
            f"on_order{units}": _units_held(plan["on_order"]),
            f"reorder_point{units}": reorder_point,
            f"order_up_to{units}": order_up_to,
            "batching": batching_words(
                pack,
                item["min_order_qty"].to_numpy(dtype=float),
                plan.get("economic_batch", pd.Series(0.0, index=plan.index)).to_numpy(dtype=float),
                unit,
                plan.get("policy", pd.Series("", index=plan.index)).eq("newsvendor").to_numpy(),
            ),
            "reason": order_reasons(plan, reorder_point, order_up_to),
            f"unit_cost{money}": item["unit_cost"].round(2),
        },
        index=plan.index,
    )
    if "expected_fill_rate" in plan:
        sheet["expected_fill_rate_pct"] = _whole(100 * plan["expected_fill_rate"])
    sheet = sheet.assign(_ordered=quantity > 0).sort_values(
        ["_ordered", f"order_value{money}", "series_id"], ascending=[False, False, True]
    )
    if not include_zero_orders:
        sheet = sheet[sheet["_ordered"]]
    return sheet.drop(columns="_ordered").reset_index(drop=True)
