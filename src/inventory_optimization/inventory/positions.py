"""Today's stock per series: the user's stock file, checked and matched to the panel's series,
or positions assumed from the forecast where there is no file.

The stock file has one row per series, keyed by the panel's key columns
(``panel_metadata["keys"]``, e.g. ``store_id, item_id``) or by ``series_id``, and the columns
``on_hand`` (required), ``on_order`` (blank or absent: 0), ``expected_arrival`` (the date what is
on order arrives; blank when nothing is) and, per series, ``unit_cost``, ``case_pack`` and
``lead_time`` (days) that override the item parameters of that series. Other columns are
ignored, unless their name is close to one of these (a misspelling is refused).

Each bad input raises one ``DataValidationError`` naming the column, how many rows, a few
examples (file lines) and what was expected, before the plan is computed. Series of the panel
the file does not list get 0 on hand and 0 on order (a warning says how many); every position
says where it came from in ``position_source``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..panel.validation import (
    DataValidationError,
    check_unique,
    close_names,
    line_examples,
    require_columns,
    require_filled,
    require_rows,
    to_numeric,
)
from .validation import ITEM_FIELDS, accepted_columns, validate_item_parameters

logger = logging.getLogger(__name__)

SERIES_ID = "series_id"
ON_HAND, ON_ORDER, ARRIVAL = "on_hand", "on_order", "expected_arrival"
POSITION_SOURCE = "position_source"
FROM_FILE = "stock file"
NOT_IN_FILE = "not in stock file: 0 on hand"
# Item parameters a stock file may give per series: field -> the spellings read (in days for
# lead time, as everywhere a buyer states time).
OVERRIDES = {
    "unit_cost": ("unit_cost",),
    "case_pack": ("case_pack",),
    "lead_time": ("lead_time", "lead_time_days"),
}
STOCK_COLUMNS = (
    ON_HAND,
    ON_ORDER,
    ARRIVAL,
    *(s for spellings in OVERRIDES.values() for s in spellings),
)
# The resolved positions (``current_positions``): one row per series of the forecast.
POSITION_COLUMNS = [SERIES_ID, ON_HAND, ON_ORDER, ARRIVAL, POSITION_SOURCE, *OVERRIDES]
FIX = "correct those rows of the stock file"
_MAX_NAMED = 10


def assumed_source(cover_periods: float, unit: str) -> str:
    """``assumed: 7 days of forecast on hand, nothing on order``."""
    unit = unit.removesuffix("s") if cover_periods == 1 else unit
    return f"assumed: {cover_periods:g} {unit} of forecast on hand, nothing on order"


def _dataset(stock: pd.DataFrame) -> str:
    path = stock.attrs.get("source_file")
    return f"stock positions ({path})" if path else "stock positions"


def _listed(values: Sequence) -> str:
    shown = ", ".join(repr(str(v)) for v in values[:_MAX_NAMED])
    more = f" and {len(values) - _MAX_NAMED} more" if len(values) > _MAX_NAMED else ""
    return shown + more


def series_keys(forecast: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """One row per forecast series: ``series_id`` and the key columns the forecast carries, as
    text (what a stock file's keys are compared with)."""
    columns = [SERIES_ID, *(k for k in keys if k in forecast.columns and k != SERIES_ID)]
    table = forecast.drop_duplicates(SERIES_ID)[columns]
    return table.astype(str).apply(lambda column: column.str.strip()).reset_index(drop=True)


def _refuse_misspelled(stock: pd.DataFrame, key_columns: list[str], dataset: str) -> None:
    """A column close to a stock column that is absent would be ignored: refuse it. Other
    columns (an item field under its own name, e.g. ``unit_price``, a date) are logged."""
    accepted = [*key_columns, *STOCK_COLUMNS]
    absent = [c for c in accepted if c not in stock.columns]
    item_fields = {
        column
        for field in ITEM_FIELDS
        if field not in OVERRIDES
        for column in accepted_columns(field)
    }
    others = [c for c in stock.columns if c not in accepted]
    hints = [
        f"{column!r} (did you mean {' or '.join(map(repr, close))}?)"
        for column in others
        if column not in item_fields and (close := close_names(column, absent))
    ]
    if hints:
        raise DataValidationError(
            f"{dataset}: column(s) {'; '.join(hints)} are not read, in {len(stock)} rows; "
            f"expected the keys {key_columns} and {list(STOCK_COLUMNS)}; rename them."
        )
    if others:
        logger.info("%s: columns not read: %s", dataset, ", ".join(map(str, others)))


def _refuse(stock: pd.DataFrame, mask, column: str, values: pd.Series, what: str, dataset: str):
    mask = np.asarray(mask, dtype=bool)
    if mask.any():
        shown = stock.assign(**{column: values})
        raise DataValidationError(
            f"{dataset}: column '{column}' {what}; {int(mask.sum())} of {len(stock)} rows are "
            f"not ({line_examples(shown, mask, column)}); {FIX}."
        )


def _arrival(stock: pd.DataFrame, dataset: str) -> pd.Series:
    """Dates what is on order arrives; blank is allowed (nothing on order, or not known)."""
    if ARRIVAL not in stock.columns:
        return pd.Series(pd.NaT, index=stock.index, dtype="datetime64[ns]")
    raw = stock[ARRIVAL]
    blank = raw.isna() | raw.astype(str).str.strip().eq("")
    parsed = pd.to_datetime(raw.where(~blank), errors="coerce", format="mixed")
    _refuse(
        stock,
        parsed.isna() & ~blank,
        ARRIVAL,
        raw,
        "must hold dates (e.g. 2024-05-31) or be blank when nothing is on order",
        dataset,
    )
    return parsed.astype("datetime64[ns]")


def _overrides(stock: pd.DataFrame, dataset: str) -> dict[str, pd.Series]:
    """The item parameters the file gives per series (NaN where a row leaves one blank)."""
    values = {}
    for field, spellings in OVERRIDES.items():
        column = next((c for c in spellings if c in stock.columns), None)
        if column is None:
            values[field] = pd.Series(np.nan, index=stock.index)
            continue
        numbers = to_numeric(stock, column, dataset, allow_missing=True, fix=FIX)
        if field == "case_pack":
            _refuse(stock, numbers <= 0, column, numbers, "must be positive", dataset)
        else:
            _refuse(stock, numbers < 0, column, numbers, "must not be negative", dataset)
        values[field] = numbers
    return values


def read_stock(stock: pd.DataFrame, series: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """The user's stock file as positions of the panel's series (``POSITION_COLUMNS``).

    ``series`` is :func:`series_keys` of the forecast, ``keys`` the panel's key columns. The
    file is keyed by ``series_id`` when it has that column, else by every key. Series of the
    panel absent from the file get 0 on hand (``position_source`` says so, and a warning).
    """
    dataset = _dataset(stock)
    require_rows(stock, dataset)
    key_columns = [SERIES_ID] if SERIES_ID in stock.columns else list(keys)
    require_columns(
        stock,
        [*key_columns, ON_HAND],
        dataset,
        fix=f"key the rows by {' and '.join(keys)} (or by series_id)",
    )
    _refuse_misspelled(stock, key_columns, dataset)
    unmatched = [k for k in key_columns if k not in series.columns]
    if unmatched:
        raise DataValidationError(
            f"{dataset}: the forecast has no key column {unmatched} to match the file's rows "
            f"with; key the rows by series_id."
        )
    for column in key_columns:
        require_filled(stock, column, dataset, fix=FIX)
    on_hand = to_numeric(stock, ON_HAND, dataset, fix=FIX)
    _refuse(stock, on_hand < 0, ON_HAND, on_hand, "must not be negative", dataset)
    on_order = pd.Series(0.0, index=stock.index)
    if ON_ORDER in stock.columns:
        on_order = to_numeric(stock, ON_ORDER, dataset, allow_missing=True, fix=FIX).fillna(0.0)
        _refuse(stock, on_order < 0, ON_ORDER, on_order, "must not be negative", dataset)
    arrival = _arrival(stock, dataset)
    overrides = _overrides(stock, dataset)

    text = stock[key_columns].astype(str).apply(lambda column: column.str.strip())
    check_unique(text, key_columns, dataset, lines=True, fix="keep one row per series")
    matched = series.assign(matched_id=series[SERIES_ID])[[*key_columns, "matched_id"]]
    ids = text.merge(matched, on=key_columns, how="left")["matched_id"]
    unknown = ids.isna().to_numpy()
    if unknown.any():
        names = text.loc[unknown].agg(", ".join, axis=1).tolist()
        raise DataValidationError(
            f"{dataset}: {int(unknown.sum())} of {len(stock)} rows name series that are not in "
            f"the panel ({' + '.join(key_columns)}: {_listed(names)}; "
            f"{line_examples(stock, unknown)}); expected series of the panel "
            f"(e.g. {_listed(series[key_columns].agg(', '.join, axis=1).tolist()[:3])}); "
            f"{FIX}: a new item needs sales history first."
        )
    listed = pd.DataFrame(
        {
            SERIES_ID: ids.to_numpy(),
            ON_HAND: on_hand.to_numpy(dtype=float),
            ON_ORDER: on_order.to_numpy(dtype=float),
            ARRIVAL: arrival.to_numpy(),
            POSITION_SOURCE: FROM_FILE,
            **{field: values.to_numpy(dtype=float) for field, values in overrides.items()},
        }
    )
    absent = series.loc[~series[SERIES_ID].isin(listed[SERIES_ID]), SERIES_ID].tolist()
    if absent:
        logger.warning(
            "%s lists %d of the panel's %d series; the other %d have no row and are planned "
            "with 0 on hand and nothing on order (position_source '%s'), e.g. %s",
            dataset,
            len(listed),
            len(series),
            len(absent),
            NOT_IN_FILE,
            _listed(absent[:3]),
        )
    missing = pd.DataFrame(
        {SERIES_ID: absent, ON_HAND: 0.0, ON_ORDER: 0.0, POSITION_SOURCE: NOT_IN_FILE}
    )
    return _positions(pd.concat([listed, missing], ignore_index=True))


def _positions(frame: pd.DataFrame) -> pd.DataFrame:
    """In ``POSITION_COLUMNS`` order and types (NaT / NaN where a column was not given)."""
    frame = frame.reindex(columns=POSITION_COLUMNS)
    frame[ARRIVAL] = pd.to_datetime(frame[ARRIVAL]).astype("datetime64[ns]")
    for column in (ON_HAND, ON_ORDER, *OVERRIDES):
        frame[column] = frame[column].astype(float)
    return frame


def assume_positions(forecast: pd.DataFrame, cover_periods: float, unit: str) -> pd.DataFrame:
    """Without a stock file: each series holds ``cover_periods`` of its forecast mean demand
    (whole units) on hand and nothing on order."""
    mean = forecast.groupby(SERIES_ID, observed=True, sort=True)["y_pred"].mean()
    return _positions(
        pd.DataFrame(
            {
                SERIES_ID: mean.index.astype(str),
                ON_HAND: np.floor(mean.to_numpy() * cover_periods),
                ON_ORDER: 0.0,
                POSITION_SOURCE: assumed_source(cover_periods, unit),
            }
        )
    )


def resolve_positions(
    stock: pd.DataFrame | None,
    forecast: pd.DataFrame,
    keys: Sequence[str],
    cover_periods: float,
    unit: str,
) -> pd.DataFrame:
    """Today's position of every forecast series: from the stock file when there is one
    (:func:`read_stock`), else assumed (:func:`assume_positions`, with a warning)."""
    series = series_keys(forecast, keys)
    if stock is not None:
        return read_stock(stock, series, keys)
    positions = assume_positions(forecast, cover_periods, unit)
    logger.warning(
        "No stock file (catalog entry stock_positions: data/01_raw/<dataset>/"
        "stock_positions.csv or .parquet): the plan's %d positions are %s (position_source). "
        "Put the current stock there (keys %s or series_id, on_hand, on_order) to plan from it.",
        len(positions),
        assumed_source(cover_periods, unit).removeprefix("assumed: "),
        ", ".join(keys),
    )
    return positions


def apply_overrides(
    items: pd.DataFrame, positions: pd.DataFrame, period_days: float
) -> pd.DataFrame:
    """The item table with the stock file's per-series ``unit_cost``, ``case_pack`` and
    ``lead_time`` (days, in whole periods) where it gives them; a unit cost above the item's
    price is refused."""
    given = positions.set_index(SERIES_ID).reindex(items[SERIES_ID])
    items = items.copy()
    counts = {}
    for field in OVERRIDES:
        if field not in given.columns:
            continue
        values = given[field].to_numpy(dtype=float)
        if field == "lead_time":
            values = np.ceil(values / period_days)
        mask = np.isfinite(values)
        if mask.any():
            items.loc[mask, field] = values[mask]
            counts[field] = int(mask.sum())
    if not counts:
        return items
    above = (items["unit_cost"] > items["price"]).to_numpy()
    if above.any():
        named = items.loc[above, SERIES_ID].tolist()
        raise DataValidationError(
            f"stock positions: column 'unit_cost' is above the item's price for "
            f"{int(above.sum())} series ({_listed(named)}); expected a cost at most the price "
            f"(series attributes or inventory.defaults); {FIX}."
        )
    logger.info(
        "Stock file overrides item parameters: %s",
        ", ".join(f"{field} for {count} series" for field, count in counts.items()),
    )
    return validate_item_parameters(items, id_column=SERIES_ID)


def with_position_columns(plan: pd.DataFrame, positions: pd.DataFrame) -> pd.DataFrame:
    """The plan with each series' ``position_source`` and ``expected_arrival`` after
    ``on_order`` (those of the two a hand-made positions table has)."""
    shown = [c for c in (POSITION_SOURCE, ARRIVAL) if c in positions.columns]
    extra = positions.set_index(SERIES_ID)[shown]
    plan = plan.drop(columns=[c for c in extra.columns if c in plan.columns])
    joined = plan.join(extra, on=SERIES_ID)
    at = list(plan.columns).index(ON_ORDER) + 1 if ON_ORDER in plan.columns else len(plan.columns)
    order = [*plan.columns[:at], *extra.columns, *plan.columns[at:]]
    return joined[order]
