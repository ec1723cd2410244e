"""Walmart Recruiting - Store Sales Forecasting (Kaggle 2014): store x department x week."""

from __future__ import annotations

import pandas as pd

from ..panel.contract import DATE, DEMAND, SERIES_ID, SourceSummary
from ..panel.validation import require_columns, require_rows, to_dates, to_numeric
from .common import assemble_panel, merge_on_date, order_columns

TRAIN_COLUMNS = ["Store", "Dept", "Date", "Weekly_Sales", "IsHoliday"]
FEATURE_COLUMNS = {
    "Temperature": "temperature_f",
    "Fuel_Price": "fuel_price",
    "CPI": "cpi",
    "Unemployment": "unemployment",
}
MARKDOWNS = {f"MarkDown{i}": f"markdown_{i}" for i in range(1, 6)}


def _as_bool(series: pd.Series) -> pd.Series:
    return series.astype(str).str.strip().str.upper().isin(["TRUE", "1", "1.0"]).astype(float)


def _as_id(frame: pd.DataFrame, column: str, dataset: str) -> pd.Series:
    return to_numeric(frame, column, dataset).astype("int64").astype(str)


def build_walmart_panel(
    train: pd.DataFrame,
    features: pd.DataFrame,
    stores: pd.DataFrame,
    frequency: str = "W-FRI",
) -> tuple[pd.DataFrame, pd.DataFrame, SourceSummary]:
    """Weekly sales per store and department.

    ``Weekly_Sales`` can be negative (returns); the cleaning policy decides. The
    ``features.csv`` columns are known in advance by the protocol; markdowns are missing
    before Nov 2011 and mean "no markdown recorded", so they are filled with zero.
    """
    dataset = "walmart train"
    require_rows(train, dataset)
    require_columns(train, TRAIN_COLUMNS, dataset)
    require_columns(features, ["Store", "Date", *FEATURE_COLUMNS, *MARKDOWNS], "walmart features")
    require_columns(stores, ["Store", "Type", "Size"], "walmart stores")

    store_id = _as_id(train, "Store", dataset)
    dept_id = _as_id(train, "Dept", dataset)
    facts = pd.DataFrame(
        {
            SERIES_ID: store_id + "_" + dept_id,
            "store_id": store_id,
            "dept_id": dept_id,
            DATE: to_dates(train, "Date", dataset),
            DEMAND: to_numeric(train, "Weekly_Sales", dataset),
        }
    )
    summary = SourceSummary(
        source="walmart",
        frequency=frequency,
        unit="USD sales per store-department-week",
        keys=["store_id", "dept_id"],
        known_covariates=[
            "is_holiday",
            *FEATURE_COLUMNS.values(),
            *MARKDOWNS.values(),
            "markdown_total",
        ],
        past_covariates=[],
        source_files={"train": len(train), "features": len(features), "stores": len(stores)},
        country="US",
    )
    panel = assemble_panel(facts, summary, dataset)
    panel = merge_on_date(panel, _store_week_features(features), on=("store_id", DATE))
    attributes = _store_attributes(stores, panel)
    return order_columns(panel, summary), attributes, summary


def _store_week_features(features: pd.DataFrame) -> pd.DataFrame:
    dataset = "walmart features"
    table = pd.DataFrame(
        {
            "store_id": _as_id(features, "Store", dataset),
            DATE: to_dates(features, "Date", dataset),
            "is_holiday": _as_bool(features["IsHoliday"]),
        }
    )
    for raw, name in FEATURE_COLUMNS.items():
        table[name] = to_numeric(features, raw, dataset, allow_missing=True)
    for raw, name in MARKDOWNS.items():
        table[name] = to_numeric(features, raw, dataset, allow_missing=True).fillna(0.0)
    table["markdown_total"] = table[list(MARKDOWNS.values())].sum(axis=1)
    table = table.sort_values(["store_id", DATE])
    # CPI and unemployment are published late: carry the last value forward per store.
    slow = ["cpi", "unemployment"]
    table[slow] = table.groupby("store_id", sort=False)[slow].ffill()
    return table.drop_duplicates(["store_id", DATE])


def _store_attributes(stores: pd.DataFrame, panel: pd.DataFrame) -> pd.DataFrame:
    dataset = "walmart stores"
    store_table = pd.DataFrame(
        {
            "store_id": _as_id(stores, "Store", dataset),
            "store_type": stores["Type"].astype(str).str.strip(),
            "store_size": to_numeric(stores, "Size", dataset),
        }
    )
    series = panel[[SERIES_ID, "store_id", "dept_id"]].drop_duplicates(SERIES_ID)
    return series.merge(store_table, on="store_id", how="left", validate="many_to_one")
