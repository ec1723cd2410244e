"""Rossmann Store Sales (Kaggle 2015): German drugstores, store x day."""

from __future__ import annotations

import pandas as pd

from ..panel.contract import DATE, DEMAND, IS_CLOSED, SERIES_ID, SourceSummary
from ..panel.validation import require_columns, require_rows, to_dates, to_numeric
from .common import assemble_panel, merge_on_date, order_columns

TRAIN_COLUMNS = [
    "Store",
    "Date",
    "Sales",
    "Customers",
    "Open",
    "Promo",
    "StateHoliday",
    "SchoolHoliday",
]
STORE_COLUMNS = ["Store", "StoreType", "Assortment", "CompetitionDistance"]
WEATHER_COLUMNS = {
    "Mean_TemperatureC": "mean_temperature_c",
    "Precipitationmm": "precipitation_mm",
    "Mean_Humidity": "mean_humidity",
    "CloudCover": "cloud_cover",
    "Mean_Wind_SpeedKm_h": "mean_wind_speed_kmh",
}
KNOWN = ["is_open", "promo", "state_holiday", "is_holiday", "school_holiday"]


def _weather_by_state(weather: pd.DataFrame) -> pd.DataFrame:
    """Daily weather per state, from files ``weather_<STATE>.csv`` (``partition`` column)."""
    dataset = "rossmann weather"
    require_columns(weather, ["partition", "Date", *WEATHER_COLUMNS], dataset)
    state = weather["partition"].astype(str).str.removeprefix("weather_")
    table = pd.DataFrame({"state": state, DATE: to_dates(weather, "Date", dataset)})
    for raw, name in WEATHER_COLUMNS.items():
        table[name] = to_numeric(weather, raw, dataset, allow_missing=True)
    events = weather["Events"].fillna("").astype(str) if "Events" in weather else ""
    table["is_rain"] = pd.Series(events, index=weather.index).str.contains("Rain").astype(float)
    return table.drop_duplicates(["state", DATE])


def build_rossmann_panel(
    train: pd.DataFrame,
    stores: pd.DataFrame,
    store_states: pd.DataFrame,
    weather: pd.DataFrame,
    frequency: str = "D",
) -> tuple[pd.DataFrame, pd.DataFrame, SourceSummary]:
    """Sales per store and day; closed days (``Open == 0``) are flagged closed.

    ``Customers`` is only known once the day is over, so it is a past-only covariate, as is the
    state's weather. ``StateHoliday`` arrives as a mix of ``0`` and ``"0"``: it is normalised
    to the strings ``"0"``, ``"a"``, ``"b"``, ``"c"``.
    """
    dataset = "rossmann train"
    require_rows(train, dataset)
    require_columns(train, TRAIN_COLUMNS, dataset)
    require_columns(stores, STORE_COLUMNS, "rossmann store")
    require_columns(store_states, ["Store", "State"], "rossmann store_states")

    store_id = to_numeric(train, "Store", dataset).astype("int64").astype(str)
    is_open = to_numeric(train, "Open", dataset, allow_missing=True)
    state_holiday = train["StateHoliday"].astype(str).str.strip().replace({"0.0": "0"})
    facts = pd.DataFrame(
        {
            SERIES_ID: store_id,
            "store_id": store_id,
            DATE: to_dates(train, "Date", dataset),
            DEMAND: to_numeric(train, "Sales", dataset),
            # A missing Open flag counts as open when the store sold something.
            "is_open": is_open.fillna((train["Sales"] > 0).astype(float)),
            "promo": to_numeric(train, "Promo", dataset),
            "state_holiday": state_holiday,
            "is_holiday": (state_holiday != "0").astype(float),
            "school_holiday": to_numeric(train, "SchoolHoliday", dataset),
            "customers": to_numeric(train, "Customers", dataset, allow_missing=True),
        }
    )
    facts[IS_CLOSED] = facts["is_open"] == 0

    weather_cols = [*WEATHER_COLUMNS.values(), "is_rain"]
    summary = SourceSummary(
        source="rossmann",
        frequency=frequency,
        unit="EUR sales per store-day",
        keys=["store_id"],
        known_covariates=KNOWN,
        past_covariates=["customers", *weather_cols],
        source_files={
            "train": len(train),
            "store": len(stores),
            "store_states": len(store_states),
            "weather": len(weather),
        },
        country="DE",
    )
    panel = assemble_panel(facts, summary, dataset)

    states = store_states.assign(
        store_id=to_numeric(store_states, "Store", "rossmann store_states")
        .astype("int64")
        .astype(str),
        state=store_states["State"].astype(str).str.replace(",", "", regex=False),
    )[["store_id", "state"]]
    panel = panel.merge(states, on="store_id", how="left", validate="many_to_one")
    panel = merge_on_date(panel, _weather_by_state(weather), on=("state", DATE))
    panel = panel.drop(columns="state")

    attributes = _store_attributes(stores, states)
    return order_columns(panel, summary), attributes, summary


def _store_attributes(stores: pd.DataFrame, states: pd.DataFrame) -> pd.DataFrame:
    dataset = "rossmann store"
    store_id = to_numeric(stores, "Store", dataset).astype("int64").astype(str)
    attributes = pd.DataFrame(
        {
            SERIES_ID: store_id,
            "store_id": store_id,
            "store_type": stores["StoreType"].astype(str),
            "assortment": stores["Assortment"].astype(str),
            "competition_distance": to_numeric(
                stores, "CompetitionDistance", dataset, allow_missing=True
            ),
        }
    )
    optional = {
        "CompetitionOpenSinceMonth": "competition_open_since_month",
        "CompetitionOpenSinceYear": "competition_open_since_year",
        "Promo2": "promo2",
        "Promo2SinceWeek": "promo2_since_week",
        "Promo2SinceYear": "promo2_since_year",
    }
    for raw, name in optional.items():
        if raw in stores.columns:
            attributes[name] = to_numeric(stores, raw, dataset, allow_missing=True)
    if "PromoInterval" in stores.columns:
        attributes["promo_interval"] = stores["PromoInterval"].fillna("").astype(str)
    return attributes.merge(states, on="store_id", how="left")
