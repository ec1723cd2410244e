"""The built-in default data written by the generator: stores x items x day."""

from __future__ import annotations

import pandas as pd

from ..calendar import is_holiday
from ..panel.contract import DATE, DEMAND, IS_CLOSED, SERIES_ID, SourceSummary
from ..panel.validation import require_columns, require_rows, to_dates, to_numeric
from .common import assemble_panel, merge_on_date, order_columns

SALES_COLUMNS = ["date", "store_id", "item_id", "units_sold", "price", "promo", "is_open"]


def build_synthetic_panel(
    sales: pd.DataFrame,
    items: pd.DataFrame,
    stores: pd.DataFrame,
    weather: pd.DataFrame,
    country: str = "PE",
    frequency: str = "D",
) -> tuple[pd.DataFrame, pd.DataFrame, SourceSummary]:
    """Units sold per store, item and day, with prices, promotions and weather."""
    dataset = "synthetic sales"
    require_rows(sales, dataset)
    require_columns(sales, SALES_COLUMNS, dataset)
    require_columns(items, ["item_id", "category", "unit_cost", "unit_price"], "synthetic items")
    require_columns(stores, ["store_id"], "synthetic stores")
    require_columns(weather, ["date", "temperature_c", "precipitation_mm"], "synthetic weather")

    store_id = sales["store_id"].astype(str)
    item_id = sales["item_id"].astype(str)
    facts = pd.DataFrame(
        {
            SERIES_ID: store_id + "_" + item_id,
            "store_id": store_id,
            "item_id": item_id,
            DATE: to_dates(sales, "date", dataset),
            DEMAND: to_numeric(sales, "units_sold", dataset),
            "price": to_numeric(sales, "price", dataset),
            "promo": to_numeric(sales, "promo", dataset),
            "is_open": to_numeric(sales, "is_open", dataset),
        }
    )
    facts[IS_CLOSED] = facts["is_open"] == 0
    summary = SourceSummary(
        source="synthetic",
        frequency=frequency,
        unit="units per store-item-day",
        keys=["store_id", "item_id"],
        known_covariates=["price", "promo", "is_open", "is_holiday"],
        past_covariates=["temperature_c", "precipitation_mm"],
        source_files={
            "sales": len(sales),
            "items": len(items),
            "stores": len(stores),
            "weather": len(weather),
        },
        country=country,
    )
    panel = assemble_panel(facts, summary, dataset)
    panel["is_holiday"] = is_holiday(panel[DATE], country)
    weather_table = weather[["date", "temperature_c", "precipitation_mm"]].assign(
        date=to_dates(weather, "date", "synthetic weather")
    )
    panel = merge_on_date(panel, weather_table.drop_duplicates(DATE))

    series = panel[[SERIES_ID, "store_id", "item_id"]].drop_duplicates(SERIES_ID)
    attributes = series.merge(stores.astype({"store_id": str}), on="store_id", how="left")
    attributes = attributes.merge(items.astype({"item_id": str}), on="item_id", how="left")
    return order_columns(panel, summary), attributes, summary
