"""Source adapters on tiny hand-made tables that mirror the quirks of the real files."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from inventory_optimization.datasets import RawTableDataset
from inventory_optimization.panel import DataValidationError
from inventory_optimization.panel.cleaning import clean_panel
from inventory_optimization.panel.validation import validate_panel
from inventory_optimization.sources import (
    build_custom_panel,
    build_recruit_panel,
    build_rossmann_panel,
    build_synthetic_panel,
    build_walmart_panel,
)
from inventory_optimization.sources.synthetic import generate_demand_data

WEATHER_HEADER = (
    '"Date";"Mean_TemperatureC";"Precipitationmm";"Mean_Humidity";"CloudCover";'
    '"Mean_Wind_SpeedKm_h";"Events"'
)


def _rows(panel: pd.DataFrame, series_id: str) -> pd.DataFrame:
    rows = panel[panel["series_id"] == series_id]
    return rows.set_index(rows["date"].dt.strftime("%m-%d"))


# --- Rossmann ---------------------------------------------------------------------------------


def _rossmann_train() -> pd.DataFrame:
    """Store 1: Jan 6-10 with Jan 8 missing and Jan 7 closed. Store 2: Jan 6-8.
    StateHoliday mixes int 0, str "0" and "a" in one object column, as the raw CSV does."""
    return pd.DataFrame(
        {
            "Store": [1, 1, 1, 1, 2, 2, 2],
            "DayOfWeek": [2, 3, 5, 6, 2, 3, 4],
            "Date": [
                "2015-01-06",
                "2015-01-07",
                "2015-01-09",
                "2015-01-10",
                "2015-01-06",
                "2015-01-07",
                "2015-01-08",
            ],
            "Sales": [100, 0, 120, 130, 200, 210, 220],
            "Customers": [10, 0, 12, 13, 20, 21, 22],
            "Open": [1, 0, 1, 1, 1, 1, 1],
            "Promo": [1, 0, 0, 0, 1, 1, 0],
            "StateHoliday": pd.Series([0, "0", "a", 0, "0", 0, "0"], dtype=object),
            "SchoolHoliday": [0, 0, 1, 0, 0, 0, 0],
        }
    )


def _rossmann_side_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    stores = pd.DataFrame(
        {
            "Store": [1, 2],
            "StoreType": ["c", "a"],
            "Assortment": ["a", "a"],
            "CompetitionDistance": [1270.0, np.nan],
            "Promo2": [0, 1],
            "PromoInterval": [np.nan, "Jan,Apr,Jul,Oct"],
        }
    )
    store_states = pd.DataFrame({"Store": [1, 2], "State": ["HE", "HB,NI"]})
    return stores, store_states


def _rossmann_weather() -> pd.DataFrame:
    """HE is 1..5 degrees on Jan 6..10, HBNI 10..14; it rains on Jan 7 everywhere."""
    rows = []
    for partition, base in (("weather_HE", 1.0), ("weather_HBNI", 10.0)):
        for offset, day in enumerate(pd.date_range("2015-01-06", "2015-01-10")):
            rows.append(
                {
                    "Date": day.strftime("%Y-%m-%d"),
                    "Mean_TemperatureC": base + offset,
                    "Precipitationmm": 0.5 if offset == 1 else 0.0,
                    "Mean_Humidity": 80,
                    "CloudCover": np.nan if offset == 0 else 5.0,
                    "Mean_Wind_SpeedKm_h": 10,
                    "Events": "Rain-Thunderstorm" if offset == 1 else np.nan,
                    "partition": partition,
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def rossmann():
    stores, store_states = _rossmann_side_tables()
    return build_rossmann_panel(_rossmann_train(), stores, store_states, _rossmann_weather())


def test_rossmann_rows_series_and_totals(rossmann):
    panel, _, summary = rossmann
    # Store 2's last record (Jan 8) is before the panel's end: it runs to Jan 10 unobserved.
    assert len(panel) == 5 + 5
    assert panel["series_id"].unique().tolist() == ["1", "2"]
    assert panel["store_id"].tolist() == panel["series_id"].tolist()
    assert int(panel["is_observed"].sum()) == 7
    totals = panel.groupby("series_id")["demand"].sum()
    assert totals.to_dict() == {"1": 350.0, "2": 630.0}
    assert panel["demand"].dtype == "float64"
    assert panel["date"].dtype == "datetime64[ns]"
    validate_panel(panel, "D")
    assert summary.source == "rossmann"
    assert summary.frequency == "D"
    assert summary.country == "DE"
    assert summary.source_files == {"train": 7, "store": 2, "store_states": 2, "weather": 10}


def test_rossmann_missing_day_becomes_an_unobserved_row(rossmann):
    panel, _, _ = rossmann
    store = _rows(panel, "1")
    assert store.index.tolist() == ["01-06", "01-07", "01-08", "01-09", "01-10"]
    assert store["is_observed"].tolist() == [True, True, False, True, True]
    assert np.isnan(store.loc["01-08", "demand"])
    assert np.isnan(store.loc["01-08", "customers"])


def test_rossmann_closed_day_is_flagged(rossmann):
    panel, _, _ = rossmann
    store = _rows(panel, "1")
    assert store.loc["01-07", "is_closed"] == True  # noqa: E712 (object column before cleaning)
    assert store.loc["01-07", "is_open"] == 0.0
    assert store.loc["01-07", "demand"] == 0.0
    observed = panel[panel["is_observed"]]
    assert observed["is_closed"].astype(bool).sum() == 1


def test_rossmann_state_holiday_mixed_types_are_normalised(rossmann):
    panel, _, _ = rossmann
    observed = panel[panel["is_observed"]]
    assert observed["state_holiday"].tolist() == ["0", "0", "a", "0", "0", "0", "0"]
    assert observed["is_holiday"].tolist() == [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    assert _rows(panel, "1").loc["01-09", "school_holiday"] == 1.0


def test_rossmann_customers_and_weather_are_past_only(rossmann):
    panel, _, summary = rossmann
    assert "customers" in summary.past_covariates
    assert "customers" not in summary.known_covariates
    weather = [
        "mean_temperature_c",
        "precipitation_mm",
        "mean_humidity",
        "cloud_cover",
        "mean_wind_speed_kmh",
        "is_rain",
    ]
    assert summary.past_covariates == ["customers", *weather]
    assert summary.known_covariates == [
        "is_open",
        "promo",
        "state_holiday",
        "is_holiday",
        "school_holiday",
    ]
    assert not set(summary.past_covariates) & set(summary.known_covariates)
    customers = _rows(panel, "2")["customers"]
    assert customers.iloc[:3].tolist() == [20.0, 21.0, 22.0]
    assert customers.iloc[3:].isna().all()  # past-only: unknown on the trailing days
    # Column order: keys, then known and past covariates, flags last.
    assert panel.columns.tolist()[:4] == ["series_id", "store_id", "date", "demand"]
    assert panel.columns.tolist()[-2:] == ["is_observed", "is_closed"]


def test_rossmann_weather_joined_per_state_partition(rossmann):
    panel, attributes, _ = rossmann
    he, hbni = _rows(panel, "1"), _rows(panel, "2")
    # Store 1 is in HE (weather_HE); the missing day gets its weather too.
    assert he["mean_temperature_c"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
    # Store 2 is in "HB,NI", whose file is weather_HBNI.
    # Its trailing unobserved days (Jan 9-10) get their weather too.
    assert hbni["mean_temperature_c"].tolist() == [10.0, 11.0, 12.0, 13.0, 14.0]
    assert hbni["is_rain"].tolist() == [0.0, 1.0, 0.0, 0.0, 0.0]
    assert hbni["precipitation_mm"].tolist() == [0.0, 0.5, 0.0, 0.0, 0.0]
    assert np.isnan(hbni.loc["01-06", "cloud_cover"])
    assert "state" not in panel.columns
    assert attributes.set_index("series_id")["state"].to_dict() == {"1": "HE", "2": "HBNI"}


def test_rossmann_store_attributes(rossmann):
    _, attributes, _ = rossmann
    first, second = attributes.iloc[0], attributes.iloc[1]
    assert attributes["series_id"].tolist() == ["1", "2"]
    assert (first["store_type"], first["assortment"]) == ("c", "a")
    assert first["competition_distance"] == 1270.0
    assert np.isnan(second["competition_distance"])
    assert attributes["promo2"].tolist() == [0.0, 1.0]
    assert attributes["promo_interval"].tolist() == ["", "Jan,Apr,Jul,Oct"]


def test_rossmann_weather_files_read_with_glob(tmp_path: Path):
    """The weather folder as downloaded: ';'-separated, quoted header, one file per state."""
    folder = tmp_path / "weather"
    folder.mkdir()
    for state, temperatures in (("HE", (1, 2, 3, 4, 5)), ("HBNI", (10, 11, 12, 13, 14))):
        lines = [WEATHER_HEADER]
        for offset, temperature in enumerate(temperatures):
            event = '"Rain"' if offset == 1 else ""
            lines.append(f"2015-01-{6 + offset:02d};{temperature};0.0;80;NA;10;{event}")
        (folder / f"weather_{state}.csv").write_text("\n".join(lines) + "\n")
    weather = RawTableDataset(str(folder / "weather_*.csv"), load_args={"sep": ";"}).load()
    assert sorted(weather["partition"].unique()) == ["weather_HBNI", "weather_HE"]

    stores, store_states = _rossmann_side_tables()
    panel, _, _ = build_rossmann_panel(_rossmann_train(), stores, store_states, weather)
    assert _rows(panel, "2")["mean_temperature_c"].tolist() == [10.0, 11.0, 12.0, 13.0, 14.0]
    assert _rows(panel, "1")["is_rain"].tolist() == [0.0, 1.0, 0.0, 0.0, 0.0]
    assert panel["cloud_cover"].isna().all()


def test_rossmann_cleaned_with_nan_policy(rossmann):
    panel, _, summary = rossmann
    cleaned = clean_panel(panel, summary.known_covariates, "nan", "keep", 5.0)
    assert cleaned["is_closed"].dtype == bool
    assert int(cleaned["is_closed"].sum()) == 1
    # Unknown under the nan policy: store 1's missing Jan 8, store 2's trailing Jan 9-10.
    assert int(cleaned["demand"].isna().sum()) == 1 + 2
    assert cleaned["demand"].sum() == 980.0


# --- Walmart ----------------------------------------------------------------------------------


WEEKS = ["2010-02-05", "2010-02-12", "2010-02-19", "2010-02-26"]


def _walmart_tables(tmp_path: Path):
    """1_1 misses the week of Feb 19 and has a return week; 1_3 and 2_1 are short series."""
    train = pd.DataFrame(
        {
            "Store": [1, 1, 1, 1, 2, 2],
            "Dept": [1, 1, 1, 3, 1, 1],
            "Date": [
                "2010-02-05",
                "2010-02-12",
                "2010-02-26",
                "2010-02-05",
                "2010-02-05",
                "2010-02-12",
            ],
            "Weekly_Sales": [100.5, -20.0, 300.0, 50.0, 400.0, 410.0],
            "IsHoliday": ["FALSE", "TRUE", "FALSE", "FALSE", "FALSE", "TRUE"],
        }
    )
    features = pd.DataFrame(
        {
            "Store": [1] * 4 + [2] * 4,
            "Date": WEEKS * 2,
            "Temperature": [42.31, 38.51, 39.93, 46.63] * 2,
            "Fuel_Price": [2.572, 2.548, 2.514, 2.561] * 2,
            "MarkDown1": [np.nan, np.nan, 10.0, np.nan] * 2,
            "MarkDown2": [np.nan] * 8,
            "MarkDown3": [np.nan, 5.0, np.nan, np.nan] * 2,
            "MarkDown4": [np.nan] * 8,
            "MarkDown5": [np.nan] * 8,
            "CPI": [211.0963582, np.nan, 211.5, 212.0] * 2,
            "Unemployment": [8.106] * 8,
            "IsHoliday": ["FALSE", "TRUE", "FALSE", "FALSE"] * 2,
        }
    )
    # stores.csv as downloaded: old Mac line endings (CR only).
    path = tmp_path / "stores.csv"
    path.write_bytes(b"Store,Type,Size\r1,A,151315\r2,B,37392\r")
    stores = RawTableDataset(str(path)).load()
    return train, features, stores


@pytest.fixture
def walmart(tmp_path):
    return build_walmart_panel(*_walmart_tables(tmp_path))


def test_walmart_stores_with_cr_line_endings_are_read(tmp_path):
    _, _, stores = _walmart_tables(tmp_path)
    assert stores.columns.tolist() == ["Store", "Type", "Size"]
    assert stores["Size"].tolist() == [151315, 37392]
    assert stores["Type"].tolist() == ["A", "B"]


def test_walmart_rows_series_and_weekly_dates(walmart):
    panel, _, summary = walmart
    assert panel["series_id"].unique().tolist() == ["1_1", "1_3", "2_1"]
    # Every series runs to the panel's last week, whatever its last record.
    assert panel.groupby("series_id").size().to_dict() == {"1_1": 4, "1_3": 4, "2_1": 4}
    assert (panel["date"].dt.day_of_week == 4).all()
    assert summary.frequency == "W-FRI"
    assert summary.keys == ["store_id", "dept_id"]
    assert summary.past_covariates == []
    series = _rows(panel, "1_1")
    assert series["is_observed"].tolist() == [True, True, False, True]
    assert np.isnan(series.loc["02-19", "demand"])
    assert (series["store_id"].iloc[2], series["dept_id"].iloc[2]) == ("1", "1")
    validate_panel(panel, "W-FRI")


def test_walmart_negative_sales_are_kept(walmart):
    panel, _, _ = walmart
    assert _rows(panel, "1_1").loc["02-12", "demand"] == -20.0
    assert panel["demand"].sum() == pytest.approx(1240.5)
    assert int((panel["demand"] < 0).sum()) == 1


def test_walmart_holiday_strings_markdowns_and_features(walmart):
    panel, _, _ = walmart
    series = _rows(panel, "1_1")
    assert series["is_holiday"].tolist() == [0.0, 1.0, 0.0, 0.0]
    for i in range(1, 6):
        assert panel[f"markdown_{i}"].notna().all()
    assert series["markdown_1"].tolist() == [0.0, 0.0, 10.0, 0.0]
    assert series["markdown_3"].tolist() == [0.0, 5.0, 0.0, 0.0]
    assert series["markdown_total"].tolist() == [0.0, 5.0, 10.0, 0.0]
    # CPI is published late: the previous week's value is carried forward.
    assert series["cpi"].tolist() == pytest.approx([211.0963582, 211.0963582, 211.5, 212.0])
    # The missing week still has its known-in-advance features.
    assert series.loc["02-19", "temperature_f"] == pytest.approx(39.93)


def test_walmart_attributes_from_stores_table(walmart):
    _, attributes, _ = walmart
    assert attributes["series_id"].tolist() == ["1_1", "1_3", "2_1"]
    assert attributes["store_type"].tolist() == ["A", "A", "B"]
    assert attributes["store_size"].tolist() == [151315.0, 151315.0, 37392.0]


def test_walmart_negative_policy_clip_after_adapter(walmart):
    panel, _, summary = walmart
    cleaned = clean_panel(panel, summary.known_covariates, "zero", "clip", 5.0)
    series = _rows(cleaned, "1_1")
    assert series["demand"].tolist() == [100.5, 0.0, 0.0, 300.0]
    assert cleaned["demand"].sum() == pytest.approx(1260.5)


# --- Recruit ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def recruit():
    visits = pd.DataFrame(
        {
            "air_store_id": ["air_a", "air_a", "air_a", "air_b", "air_b"],
            "visit_date": ["2016-01-01", "2016-01-02", "2016-01-04", "2016-01-02", "2016-01-03"],
            "visitors": [25, 30, 12, 7, 9],
        }
    )
    store_info = pd.DataFrame(
        {
            "air_store_id": ["air_a", "air_b", "air_c"],
            "air_genre_name": ["Cafe/Sweets", "Izakaya", "Bar/Cocktail"],
            "air_area_name": [
                "Tōkyō-to Minato-ku Shibakōen",
                "Ōsaka-fu Ōsaka-shi Fuminosato",
                "Hokkaidō Sapporo-shi Minami 3 Jōnishi",
            ],
            "latitude": [35.658, 34.646, 43.055],
            "longitude": [139.751, 135.514, 141.341],
        }
    )
    date_info = pd.DataFrame(
        {
            "calendar_date": ["2016-01-01", "2016-01-02", "2016-01-03", "2016-01-04"],
            "day_of_week": ["Friday", "Saturday", "Sunday", "Monday"],
            "holiday_flg": [1, 1, 1, 0],
        }
    )
    return build_recruit_panel(visits, store_info, date_info)


def test_recruit_closed_day_is_a_missing_row(recruit):
    panel, _, summary = recruit
    # air_b's last visit is Jan 3: its Jan 4 is a missing (closed) day too.
    assert len(panel) == 4 + 3
    assert panel.groupby("series_id")["demand"].sum().to_dict() == {"air_a": 67.0, "air_b": 16.0}
    store = _rows(panel, "air_a")
    assert store["is_observed"].tolist() == [True, True, False, True]
    assert np.isnan(store.loc["01-03", "demand"])
    assert store["is_holiday"].tolist() == [1.0, 1.0, 1.0, 0.0]
    assert summary.known_covariates == ["is_holiday"]
    assert summary.country == "JP"


def test_recruit_closed_policy_marks_the_missing_day_closed(recruit):
    panel, _, summary = recruit
    cleaned = clean_panel(panel, summary.known_covariates, "closed", "keep", 5.0)
    store = _rows(cleaned, "air_a")
    assert store["is_closed"].tolist() == [False, False, True, False]
    assert store["demand"].tolist() == [25.0, 30.0, 0.0, 12.0]
    assert _rows(cleaned, "air_b")["is_closed"].tolist() == [False, False, True]


def test_recruit_attributes_only_for_series_with_visits(recruit):
    _, attributes, _ = recruit
    assert attributes["series_id"].tolist() == ["air_a", "air_b"]
    assert attributes["prefecture"].tolist() == ["Tōkyō-to", "Ōsaka-fu"]
    assert attributes["genre"].tolist() == ["Cafe/Sweets", "Izakaya"]


# --- Custom (the London takeaway export) ------------------------------------------------------


def _orders() -> pd.DataFrame:
    """Order lines with day-first dates; 03/08/2019 is the 3rd of August."""
    return pd.DataFrame(
        {
            "Order Number": [16118, 16118, 16119, 16120, 16121, 16122],
            "Order Date": [
                "03/08/2019 20:25",
                "03/08/2019 20:25",
                "03/08/2019 21:10",
                "04/08/2019 19:00",
                "05/08/2019 18:00",
                "12/08/2019 18:00",
            ],
            "Item Name": [
                "Plain Papadum",
                "Garlic Naan",
                "Plain Papadum",
                "Plain Papadum",
                "Garlic Naan",
                "Plain Papadum",
            ],
            "Quantity": [2, 1, 3, 1, 4, 5],
            "Product Price": [0.8, 2.95, 0.8, 0.8, 2.95, 0.9],
        }
    )


MAPPING = {
    "frequency": "D",
    "date_column": "Order Date",
    "date_format": "%d/%m/%Y %H:%M",
    "target_column": "Quantity",
    "key_columns": {"item_id": "Item Name"},
    "aggregate": "sum",
}


def test_custom_day_first_dates_and_order_lines_summed():
    panel, attributes, summary = build_custom_panel(_orders(), MAPPING)
    assert sorted(panel["series_id"].unique()) == ["Garlic Naan", "Plain Papadum"]
    papadum = _rows(panel, "Plain Papadum")
    # Aug 3 to Aug 12, not March: day-first.
    assert papadum.index[0] == "08-03"
    assert papadum.index[-1] == "08-12"
    assert len(papadum) == 10
    assert papadum.loc["08-03", "demand"] == 5.0
    assert papadum.loc["08-04", "demand"] == 1.0
    assert papadum.loc["08-12", "demand"] == 5.0
    assert int(papadum["is_observed"].sum()) == 3
    naan = _rows(panel, "Garlic Naan")
    assert naan["demand"].tolist()[0] == 1.0
    # Naan's last order is days before the export's end: its calendar still runs to Aug 12.
    assert naan.index[-1] == "08-12"
    assert naan["is_observed"].tolist()[:3] == [True, False, True]
    assert not naan["is_observed"].iloc[3:].any()
    assert panel["demand"].sum() == _orders()["Quantity"].sum() == 16
    assert summary.keys == ["item_id"]
    assert summary.source_files == {"sales": 6}
    assert summary.notes == ["rows sharing a series and period combined by 'sum'"]
    assert summary.input_counts == {
        "negative_lines": 0,
        "identical_lines_kept": 0,
        "negative_periods": 0,
        "single_period_series": 0,
    }
    assert sorted(attributes["series_id"]) == ["Garlic Naan", "Plain Papadum"]


def test_custom_weekly_periods_end_on_the_declared_weekday():
    # Aug 3 to Aug 12 covers neither its first nor its last week fully: kept here on purpose.
    mapping = {**MAPPING, "frequency": "W-SUN", "partial_periods": "keep"}
    panel, _, summary = build_custom_panel(_orders(), mapping)
    assert summary.input_counts["partial_periods_kept"] == 2
    papadum = _rows(panel, "Plain Papadum")
    assert papadum.index.tolist() == ["08-04", "08-11", "08-18"]
    assert papadum["demand"].tolist()[0] == 6.0
    assert papadum["is_observed"].tolist() == [True, False, True]
    assert (panel["date"].dt.day_of_week == 6).all()


def test_custom_aggregate_error_refuses_duplicates():
    with pytest.raises(
        DataValidationError,
        match=re.escape(
            "custom sales: 2 of 6 lines share their (series_id, date) with another line; "
            "expected one line per key (e.g. ('Plain Papadum', 2019-08-03) on lines 2, 4); "
            "set aggregate: sum (or mean) in data_source to combine them."
        ),
    ):
        build_custom_panel(_orders(), {**MAPPING, "aggregate": "error"})


def test_custom_aggregate_mean_and_averaged_covariates():
    mapping = {
        **MAPPING,
        "aggregate": "mean",
        "known_covariates": {"price": "Product Price"},
        "key_columns": {"store_id": "Order Number", "item_id": "Item Name"},
    }
    orders = _orders().assign(**{"Order Number": "S1"})
    panel, attributes, summary = build_custom_panel(orders, mapping)
    papadum = _rows(panel, "S1|Plain Papadum")
    assert papadum.loc["08-03", "demand"] == 2.5
    assert papadum.loc["08-12", "price"] == pytest.approx(0.9)
    assert summary.known_covariates == ["price"]
    assert attributes.columns.tolist() == ["series_id", "store_id", "item_id"]


def test_custom_refuses_unknown_aggregate():
    with pytest.raises(DataValidationError, match=r"aggregate 'max' is not one of"):
        build_custom_panel(_orders(), {**MAPPING, "aggregate": "max"})


def test_custom_holidays_when_country_given():
    orders = pd.DataFrame(
        {
            "Order Date": ["25/12/2018 12:00", "26/12/2018 12:00", "27/12/2018 12:00"],
            "Item Name": ["a", "a", "a"],
            "Quantity": [1, 2, 3],
        }
    )
    panel, _, summary = build_custom_panel(orders, {**MAPPING, "country": "GB"})
    assert panel["is_holiday"].tolist() == [1.0, 1.0, 0.0]
    assert "is_holiday" in summary.known_covariates


# --- Synthetic --------------------------------------------------------------------------------


def test_synthetic_adapter_on_generated_tables():
    params = {
        "seed": 7,
        "start_date": "2022-12-20",
        "n_days": 20,
        "n_stores": 2,
        "n_items": 3,
        "country": "PE",
        "mean_daily_units": 12.0,
        "slow_mover_share": 0.25,
        "promo_rate": 0.08,
        "promo_days": 7,
        "promo_discount": [0.1, 0.3],
        "price_elasticity": [-2.5, -1.0],
        "mean_temperature_c": 19.0,
        "closure_rate": 0.0,
        "fast_dispersion": 8.0,
        "slow_dispersion": 0.8,
    }
    tables = generate_demand_data(params)
    panel, attributes, summary = build_synthetic_panel(
        tables["sales"], tables["items"], tables["stores"], tables["weather"]
    )
    assert len(panel) == 2 * 3 * 20
    assert panel["is_observed"].all()
    assert panel["series_id"].unique().tolist() == [
        f"S0{s}_I00{i}" for s in (1, 2) for i in (1, 2, 3)
    ]
    assert panel["demand"].sum() == tables["sales"]["units_sold"].sum()
    closed = panel.loc[panel["is_closed"].astype(bool), "date"].dt.strftime("%m-%d")
    assert sorted(closed.unique()) == ["01-01", "12-25"]
    assert len(closed) == 2 * 2 * 3
    # Dec 25 and Jan 1 are public holidays in Peru.
    assert panel.loc[panel["date"] == "2022-12-25", "is_holiday"].eq(1.0).all()
    weather = tables["weather"].set_index("date")["temperature_c"]
    first = panel[panel["series_id"] == "S01_I001"]
    assert first["temperature_c"].tolist() == weather.tolist()
    assert len(attributes) == 6
    assert {"category", "unit_cost", "store_type"} <= set(attributes.columns)
    assert summary.past_covariates == ["temperature_c", "precipitation_mm"]
