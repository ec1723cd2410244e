"""Item economics: the per-series table of costs, prices and logistics every policy reads.

:func:`item_parameters` builds it from the series attributes (under the spellings of
:data:`~.validation.ITEM_FIELDS`, lead time and shelf life converted from days to periods) and
the documented defaults for what the data lacks; :func:`assumed_economics` lists the fields
taken from those defaults; :func:`unit_holding_cost` and :func:`leftover_value` derive what
holding a unit costs and what a unit left over is worth.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .validation import ITEM_FIELDS, validate_item_parameters

# The fields whose assumed values decide what a policy's costs mean (money, not logistics).
ECONOMIC_FIELDS = ("unit_cost", "price", "holding_cost_rate", "ordering_cost")

# The item table's columns, in order; a default applies to each where the data has none.
ITEM_COLUMNS = [
    "unit_cost",
    "price",
    "holding_cost_rate",
    "goodwill",
    "ordering_cost",
    "lead_time",
    "review_period",
    "case_pack",
    "min_order_qty",
    "shelf_life",
    "salvage",
    "unit_volume",
]


def item_parameters(
    attributes: pd.DataFrame, defaults: Mapping, period_days: float
) -> pd.DataFrame:
    """Per series economics: the data's own columns where it has them (the built-in items),
    the documented defaults elsewhere. Lead time and shelf life in days become periods."""
    series = attributes.drop_duplicates("series_id").set_index("series_id")
    table = pd.DataFrame(index=series.index)
    for field in ITEM_COLUMNS:
        value = defaults.get(field)
        table[field] = np.nan if value is None else float(value)
        spelling = ITEM_FIELDS.get(field)
        for column in spelling.attributes if spelling else ():
            if column in series.columns:
                table[field] = pd.to_numeric(series[column], errors="coerce").astype(float)
                if spelling.in_days:
                    table[field] = np.ceil(table[field] / period_days)
                break
    table["is_perishable"] = np.isfinite(table["shelf_life"])
    # Perishables are ordered at least as often as they expire.
    table["review_period"] = np.where(
        table["is_perishable"],
        np.minimum(table["review_period"], table["shelf_life"]),
        table["review_period"],
    )
    table = table.reset_index()
    validate_item_parameters(table, id_column="series_id")
    return table


def items_of(items: pd.DataFrame, series, expected: str) -> pd.DataFrame:
    """The item table's rows for ``series``, in that order; a ``ValueError`` naming the series
    without a row (``expected`` says which series needed one)."""
    table = items.set_index("series_id").reindex(series)
    unknown = table.index[table["unit_cost"].isna()]
    if len(unknown):
        raise ValueError(
            f"item parameters: series {list(unknown[:10])} have none "
            f"({len(unknown)} series); expected one row per {expected}"
        )
    return table.reset_index()


def assumed_economics(attributes: pd.DataFrame, defaults: Mapping) -> dict[str, object]:
    """The item fields the data has no column for, with the default every series takes
    (``inventory.defaults``, in periods where the field counts time), in table order."""
    assumed = {}
    for field in ITEM_COLUMNS:
        spelling = ITEM_FIELDS.get(field)
        if not any(c in attributes.columns for c in (spelling.attributes if spelling else ())):
            assumed[field] = defaults.get(field)
    return assumed


def describe_assumed(assumed: Mapping[str, object]) -> str:
    """``unit_cost=1, price=1.5, ...`` (``shelf_life=none``)."""

    def shown(value: object) -> str:
        if value is None:
            return "none"
        return f"{value:g}" if isinstance(value, int | float) else str(value)

    return ", ".join(f"{field}={shown(value)}" for field, value in assumed.items())


def unit_holding_cost(items: pd.DataFrame, periods_per_year: float) -> np.ndarray:
    """Cost of holding one unit for one period: unit cost x yearly rate / periods per year."""
    rate = items["holding_cost_rate"].to_numpy(dtype=float)
    return items["unit_cost"].to_numpy(dtype=float) * rate / periods_per_year


def leftover_value(items: pd.DataFrame, cycle: np.ndarray, periods_per_year: float) -> np.ndarray:
    """What a unit left over at the end of a cycle is worth: its salvage for perishables; for
    the rest its cost less the cost of holding it one more cycle, so that cuts under a budget
    follow the margin rather than treating leftovers as lost."""
    cost = items["unit_cost"].to_numpy(dtype=float)
    holding = unit_holding_cost(items, periods_per_year) * cycle
    return np.where(
        items["is_perishable"].to_numpy(dtype=bool),
        items["salvage"].to_numpy(dtype=float),
        np.clip(cost - holding, 0.0, None),
    )


def settings_in_periods(inventory: Mapping, period_days: float) -> tuple[dict, list[str]]:
    """The inventory settings stated in days, in whole periods of the data's frequency, and
    one ``name d days = n <periods>`` line each for the log.

    Days are what a buyer states (a 2-day lead time, a weekly review, 28 days of history for
    the spreadsheet rule), whatever the data's frequency: ``defaults.lead_time``,
    ``defaults.review_period`` and ``defaults.shelf_life`` (the data's own columns are in days
    too), ``assumed_cover_days`` and ``naive.window``. Each becomes ``ceil(days / period)``
    periods (rounded up: a 2-day lead time is one week in weekly data, never zero).
    """
    settings = {**inventory, "defaults": dict(inventory.get("defaults") or {})}
    settings["naive"] = dict(inventory.get("naive") or {})
    lines = []

    def periods(days: object, name: str) -> float | None:
        if days is None:
            return None
        count = float(np.ceil(float(days) / period_days))
        lines.append(f"{name} {float(days):g} days = {count:g}")
        return count

    for field in ("lead_time", "review_period", "shelf_life"):
        if field in settings["defaults"]:
            settings["defaults"][field] = periods(settings["defaults"][field], field)
    if "assumed_cover_days" in settings:
        settings["assumed_cover_periods"] = periods(
            settings.pop("assumed_cover_days"), "assumed_cover"
        )
    if "window" in settings["naive"]:
        settings["naive"]["window"] = int(periods(settings["naive"]["window"], "naive.window"))
    return settings, lines


PRICE_COLUMNS = ("price", "unit_price")  # a known covariate the panel may carry
PRICE_WINDOW = 28  # recent periods whose median price is the item's price


def prices_from_panel(panel: pd.DataFrame) -> pd.Series | None:
    """Each series' selling price from the panel's own price column: the median positive
    price of its last ``PRICE_WINDOW`` periods (promotions are the exception, not the price);
    ``None`` when the panel has no price column."""
    column = next((c for c in PRICE_COLUMNS if c in panel.columns), None)
    if column is None:
        return None
    recent = panel.sort_values("date").groupby("series_id", observed=True).tail(PRICE_WINDOW)
    prices = recent[column].where(recent[column] > 0)
    return prices.groupby(recent["series_id"].astype(str), observed=True).median().dropna()


def with_data_prices(
    attributes: pd.DataFrame, prices: pd.Series | None, defaults: Mapping
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The series attributes with ``unit_price`` from the data's prices where the attributes
    have no price of their own, and ``unit_cost`` at the defaults' cost-to-price ratio where
    they have no cost either; and what was derived, in words, for the log."""
    has = {
        field: any(c in attributes.columns for c in ITEM_FIELDS[field].attributes)
        for field in ("price", "unit_cost")
    }
    if prices is None or prices.empty or has["price"]:
        return attributes, {}
    frame = attributes.copy()
    ids = frame["series_id"].astype(str)
    frame["unit_price"] = ids.map(prices).fillna(prices.median()).to_numpy()
    derived = {"price": f"median of the data's price over the last {PRICE_WINDOW} periods"}
    if not has["unit_cost"]:
        ratio = float(defaults["unit_cost"]) / float(defaults["price"])
        frame["unit_cost"] = frame["unit_price"] * ratio
        derived["unit_cost"] = f"{ratio:.3g} x that price (assumed: inventory.defaults' ratio)"
    return frame, derived
