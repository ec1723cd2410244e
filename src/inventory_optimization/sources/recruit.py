"""Recruit Restaurant Visitor Forecasting (Kaggle 2017): Japanese restaurants x day."""

from __future__ import annotations

import pandas as pd

from ..panel.contract import DATE, DEMAND, SERIES_ID, SourceSummary
from ..panel.validation import require_columns, require_rows, to_dates, to_numeric
from .common import assemble_panel, merge_on_date, order_columns


def build_recruit_panel(
    visits: pd.DataFrame,
    store_info: pd.DataFrame,
    date_info: pd.DataFrame,
    frequency: str = "D",
) -> tuple[pd.DataFrame, pd.DataFrame, SourceSummary]:
    """Visitors (covers) per restaurant and day.

    Closed days are absent from ``air_visit_data``: the calendar is completed and the
    ``missing_policy`` parameter (``closed`` for this source) marks them closed.
    """
    dataset = "recruit air_visit_data"
    require_rows(visits, dataset)
    require_columns(visits, ["air_store_id", "visit_date", "visitors"], dataset)
    require_columns(
        store_info,
        ["air_store_id", "air_genre_name", "air_area_name", "latitude", "longitude"],
        "recruit air_store_info",
    )
    require_columns(date_info, ["calendar_date", "holiday_flg"], "recruit date_info")

    store_id = visits["air_store_id"].astype(str)
    facts = pd.DataFrame(
        {
            SERIES_ID: store_id,
            "store_id": store_id,
            DATE: to_dates(visits, "visit_date", dataset),
            DEMAND: to_numeric(visits, "visitors", dataset),
        }
    )
    summary = SourceSummary(
        source="recruit",
        frequency=frequency,
        unit="visitors (covers) per restaurant-day",
        keys=["store_id"],
        known_covariates=["is_holiday"],
        past_covariates=[],
        source_files={
            "air_visit_data": len(visits),
            "air_store_info": len(store_info),
            "date_info": len(date_info),
        },
        country="JP",
    )
    panel = assemble_panel(facts, summary, dataset)
    calendar = pd.DataFrame(
        {
            DATE: to_dates(date_info, "calendar_date", "recruit date_info"),
            "is_holiday": to_numeric(date_info, "holiday_flg", "recruit date_info"),
        }
    ).drop_duplicates(DATE)
    panel = merge_on_date(panel, calendar)
    panel["is_holiday"] = panel["is_holiday"].fillna(0.0)

    info = store_info.drop_duplicates("air_store_id")
    attributes = pd.DataFrame(
        {
            SERIES_ID: info["air_store_id"].astype(str),
            "store_id": info["air_store_id"].astype(str),
            "genre": info["air_genre_name"].astype(str),
            "area": info["air_area_name"].astype(str),
            "prefecture": info["air_area_name"].astype(str).str.split(" ").str[0],
            "latitude": to_numeric(info, "latitude", "recruit air_store_info"),
            "longitude": to_numeric(info, "longitude", "recruit air_store_info"),
        }
    )
    attributes = attributes[attributes[SERIES_ID].isin(panel[SERIES_ID].unique())]
    return order_columns(panel, summary), attributes.reset_index(drop=True), summary
