"""Checks of the inputs before anything is planned, and the item columns they accept.

:data:`ITEM_FIELDS` is the one table of the column names an item field may come under: the
series attributes' columns :func:`~.items.item_parameters` reads (in days where marked) and the
other spellings an item frame may use. :func:`validate_item_parameters` and
:func:`validate_quantiles` each raise one ``ValueError`` naming every series (and field or
date) at fault, so a bad input fails before any policy is computed.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from .distributions import quantile_columns


class ItemField(NamedTuple):
    """The columns an item field may come under, besides its own name."""

    attributes: tuple[str, ...]  # series attributes read by item_parameters, first found wins
    aliases: tuple[str, ...] = ()  # further spellings an item frame may use
    in_days: bool = False  # the attributes count days (converted to periods)


# The generator's items (and so the built-in attributes) use the attribute spellings.
ITEM_FIELDS = {
    "unit_cost": ItemField(("unit_cost",), aliases=("cost",)),
    "price": ItemField(("unit_price", "price")),
    "lead_time": ItemField(("lead_time_days",), aliases=("lead_time_periods",), in_days=True),
    "case_pack": ItemField(("case_pack",)),
    "min_order_qty": ItemField(("min_order_qty",), aliases=("moq",)),
    "shelf_life": ItemField(("shelf_life_days",), aliases=("shelf_life_periods",), in_days=True),
}
REQUIRED_ITEM_FIELDS = ("unit_cost", "price", "lead_time", "case_pack")
_MAX_NAMED = 10


def accepted_columns(field: str) -> tuple[str, ...]:
    """Every column name an item frame may give ``field`` under, in order of preference: its
    own name, the aliases, then the attribute spellings."""
    spelling = ITEM_FIELDS[field]
    return tuple(dict.fromkeys((field, *spelling.aliases, *spelling.attributes)))


def _named(ids: pd.Series | np.ndarray, id_name: str) -> str:
    ids = list(pd.unique(np.asarray(ids)))
    shown = ", ".join(repr(str(i)) for i in ids[:_MAX_NAMED])
    more = f" and {len(ids) - _MAX_NAMED} more" if len(ids) > _MAX_NAMED else ""
    return f"{id_name} {shown}{more}"


def _id_column(frame: pd.DataFrame, id_column: str | None) -> tuple[str, pd.Series]:
    if id_column is None:
        id_column = next((c for c in ("series_id", "item_id") if c in frame.columns), None)
    if id_column is None:
        return "row", pd.Series(frame.index, index=frame.index)
    return id_column, frame[id_column]


def validate_item_parameters(
    frame: pd.DataFrame,
    id_column: str | None = None,
    required: tuple[str, ...] = REQUIRED_ITEM_FIELDS,
) -> pd.DataFrame:
    """Raise one ``ValueError`` naming the series and the field of every invalid parameter.

    Checks: required fields present and filled, lead time >= 0, case pack > 0, MOQ >= 0,
    unit cost >= 0 and not above the price, shelf life > 0 (NaN = non-perishable).
    Returns the frame unchanged.
    """
    id_name, ids = _id_column(frame, id_column)
    column = {
        field: next((c for c in accepted_columns(field) if c in frame.columns), None)
        for field in ITEM_FIELDS
    }
    problems = [
        f"missing required field '{field}' "
        f"(expected a column {' or '.join(accepted_columns(field))})"
        for field in required
        if column[field] is None
    ]

    def values(field: str) -> pd.Series | None:
        name = column[field]
        return None if name is None else pd.to_numeric(frame[name], errors="coerce")

    def report(mask: pd.Series, field: str, what: str) -> None:
        mask = mask.fillna(False).astype(bool)
        if mask.any():
            problems.append(f"{column[field]} {what} for {_named(ids[mask], id_name)}")

    for field in required:
        if column[field] is not None:
            report(values(field).isna(), field, "is missing or not a number")
    cost, price = values("unit_cost"), values("price")
    lead, pack, moq, shelf = (
        values(f) for f in ("lead_time", "case_pack", "min_order_qty", "shelf_life")
    )
    if lead is not None:
        report(lead < 0, "lead_time", "is negative")
    if pack is not None:
        report(pack <= 0, "case_pack", "is not positive")
    if moq is not None:
        report(moq < 0, "min_order_qty", "is negative")
    if cost is not None:
        report(cost < 0, "unit_cost", "is negative")
        if price is not None:
            report(cost > price, "unit_cost", f"is above {column['price']}")
    if shelf is not None:
        report(shelf <= 0, "shelf_life", "must be positive (NaN for non-perishable items)")
    if problems:
        raise ValueError("invalid item parameters: " + "; ".join(problems))
    return frame


def validate_quantiles(
    frame: pd.DataFrame,
    series_column: str = "series_id",
    date_column: str = "date",
    tolerance: float = 1e-9,
) -> pd.DataFrame:
    """Raise a ``ValueError`` naming the series and dates whose quantile columns cross, are
    negative or missing. Returns the frame unchanged."""
    columns, _ = quantile_columns(frame)
    if len(columns) < 2:
        raise ValueError(f"forecast needs at least two q_<level> columns; found {columns}")
    values = frame[columns].to_numpy(dtype=float)
    checks = {
        "quantile columns cross": (np.diff(values, axis=1) < -tolerance).any(axis=1),
        "quantiles are negative": (values < -tolerance).any(axis=1),
        "quantiles are missing": np.isnan(values).any(axis=1),
    }
    problems = []
    for what, bad in checks.items():
        if bad.any():
            rows = frame.loc[bad]
            examples = ", ".join(
                f"{series_column} {s!r} on {pd.Timestamp(d).date()}"
                for s, d in zip(
                    rows[series_column].head(_MAX_NAMED),
                    rows[date_column].head(_MAX_NAMED),
                    strict=True,
                )
            )
            problems.append(f"{what} in {int(bad.sum())} rows ({examples})")
    if problems:
        raise ValueError("invalid forecast quantiles: " + "; ".join(problems))
    return frame
