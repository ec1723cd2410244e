"""Every ingestion check fails loudly with a message that names the dataset, the column, how many
rows are affected and an example of a bad value."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from inventory_optimization.panel import DataValidationError
from inventory_optimization.panel.inspection import inspect_dates
from inventory_optimization.panel.validation import (
    check_declared_frequency,
    check_frequency,
    check_unique,
    require_columns,
    require_periods,
    require_rows,
    to_dates,
    to_numeric,
    validate_panel,
)
from inventory_optimization.sources import (
    build_custom_panel,
    build_recruit_panel,
    build_rossmann_panel,
    build_walmart_panel,
)


def _exact(text: str) -> str:
    return re.escape(text)


def _panel(**overrides) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "series_id": ["a", "a", "b"],
            "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-01"]),
            "demand": [1.0, 2.0, 3.0],
        }
    )
    return frame.assign(**overrides)


# --- the building blocks --------------------------------------------------------------------


def test_validation_error_is_a_value_error():
    assert issubclass(DataValidationError, ValueError)


def test_require_columns_names_dataset_missing_columns_and_row_count():
    frame = pd.DataFrame({"Store": [1, 2, 3], "Date": ["2015-01-01"] * 3})
    with pytest.raises(DataValidationError) as error:
        require_columns(frame, ["Store", "Date", "Sales"], "rossmann train")
    assert str(error.value) == (
        "rossmann train: missing required column(s) ['Sales'] in 3 rows; "
        "expected ['Store', 'Date', 'Sales'], found ['Store', 'Date']."
    )


def test_require_columns_names_the_nearest_spelling_of_a_missing_column():
    frame = pd.DataFrame({"units": [1], "Order_Date": ["2015-01-01"], "Shop": ["a"]})
    with pytest.raises(DataValidationError) as error:
        require_columns(
            frame, ["Order Date", "Units", "Shops", "SKU"], "custom sales", fix="fix it"
        )
    assert str(error.value) == (
        "custom sales: missing required column(s) ['Order Date', 'Units', 'Shops', 'SKU'] in 1 "
        "rows (did you mean 'Order_Date' for 'Order Date'; 'units' for 'Units'; 'Shop' for "
        "'Shops'?); expected ['Order Date', 'Units', 'Shops', 'SKU'], found ['units', "
        "'Order_Date', 'Shop']; fix it."
    )


def test_require_columns_passes_when_all_present():
    require_columns(pd.DataFrame({"a": [1], "b": [2]}), ["b", "a"], "x")


def test_require_rows_refuses_an_empty_table():
    with pytest.raises(
        DataValidationError,
        match=_exact("walmart train: has 0 rows; expected at least one record."),
    ):
        require_rows(pd.DataFrame({"Store": []}), "walmart train")


def test_to_numeric_reports_text_with_row_and_value():
    frame = pd.DataFrame({"Sales": ["10", "abc", "12", "n/a"]})
    with pytest.raises(
        DataValidationError,
        match=_exact(
            "rossmann train: column 'Sales' must be numeric and present; 2 of 4 lines are not "
            "(line 3: 'abc', line 5: 'n/a'); correct or remove those lines."
        ),
    ):
        to_numeric(frame, "Sales", "rossmann train")


def test_to_numeric_counts_missing_values_unless_allowed():
    frame = pd.DataFrame({"Customers": [5.0, np.nan, 7.0]})
    with pytest.raises(
        DataValidationError,
        match=_exact(
            "column 'Customers' must be numeric and present; 1 of 3 lines are not (line 3: nan)"
        ),
    ):
        to_numeric(frame, "Customers", "rossmann train")
    values = to_numeric(frame, "Customers", "rossmann train", allow_missing=True)
    assert values.dtype == "float64"
    assert values.isna().tolist() == [False, True, False]
    assert values.iloc[2] == 7.0


def test_to_numeric_with_missing_allowed_still_refuses_text():
    frame = pd.DataFrame({"CPI": [211.1, None, "NA?"]}, dtype=object)
    with pytest.raises(
        DataValidationError,
        match=_exact(
            "walmart features: column 'CPI' must be numeric; 1 of 3 lines are not (line 4: 'NA?')"
        ),
    ):
        to_numeric(frame, "CPI", "walmart features", allow_missing=True)


def test_to_dates_reports_unparseable_date():
    frame = pd.DataFrame({"Date": ["2015-01-05", "2015-01-06", "2015-13-45"]})
    with pytest.raises(
        DataValidationError,
        match=_exact(
            "rossmann train: column 'Date' must hold dates (a parseable date); 1 of 3 lines do "
            "not parse (line 4: '2015-13-45'); correct or remove those lines."
        ),
    ):
        to_dates(frame, "Date", "rossmann train")


def test_to_dates_reports_missing_date():
    frame = pd.DataFrame({"Date": ["2015-01-05", None]})
    with pytest.raises(DataValidationError, match=r"1 of 2 lines do not parse \(line 3: nan\)"):
        to_dates(frame, "Date", "rossmann train")


def test_to_dates_with_format_names_the_format():
    frame = pd.DataFrame({"Order Date": ["03/08/2019 20:25", "2019-08-04 19:00"]})
    with pytest.raises(
        DataValidationError,
        match=_exact(
            "custom sales: column 'Order Date' must hold dates (format '%d/%m/%Y %H:%M'); "
            "1 of 2 lines do not parse (line 3: '2019-08-04 19:00'); correct or remove those lines."
        ),
    ):
        to_dates(frame, "Order Date", "custom sales", date_format="%d/%m/%Y %H:%M")


def test_to_dates_parses_day_first_and_returns_nanoseconds():
    frame = pd.DataFrame({"d": ["03/08/2019 20:25", "12/08/2019 18:00"]})
    parsed = to_dates(frame, "d", "x", date_format="%d/%m/%Y %H:%M")
    assert parsed.dtype == "datetime64[ns]"
    assert parsed.tolist() == [pd.Timestamp("2019-08-03 20:25"), pd.Timestamp("2019-08-12 18:00")]
    parsed = to_dates(frame, "d", "x", dayfirst=True)
    assert parsed.dt.month.tolist() == [8, 8]


def test_check_unique_reports_duplicate_keys_with_example():
    frame = pd.DataFrame(
        {
            "series_id": ["1", "1", "2"],
            "date": pd.to_datetime(["2015-01-06", "2015-01-06", "2015-01-06"]),
        }
    )
    with pytest.raises(
        DataValidationError,
        match=_exact(
            "rossmann train: 2 of 3 rows share their (series_id, date) with another row; expected "
            "one row per key (e.g. ('1', 2015-01-06) in 2 rows)."
        ),
    ):
        check_unique(frame, ["series_id", "date"], "rossmann train")
    with pytest.raises(
        DataValidationError,
        match=_exact(
            "x: 2 of 3 lines share their (series_id, date) with another line; expected one line "
            "per key (e.g. ('1', 2015-01-06) on lines 2, 3); remove them."
        ),
    ):
        check_unique(frame, ["series_id", "date"], "x", lines=True, fix="remove them")


def test_check_frequency_reports_a_thursday_in_friday_weeks():
    dates = pd.Series(pd.to_datetime(["2010-02-05", "2010-02-11", "2010-02-19"]))
    with pytest.raises(
        DataValidationError,
        match=_exact(
            "walmart train: column 'date' has 1 of 3 rows off the declared frequency 'W-FRI' "
            "(e.g. '2010-02-11 00:00 (Thu)'); declare the frequency the dates are on."
        ),
    ):
        check_frequency(dates, "W-FRI", "walmart train")


def test_check_frequency_accepts_each_weekday_grid():
    fridays = pd.Series(pd.date_range("2010-02-05", periods=4, freq="W-FRI"))
    check_frequency(fridays, "W-FRI", "x")
    with pytest.raises(DataValidationError, match="4 of 4 rows off the declared frequency 'W-SUN'"):
        check_frequency(fridays, "W-SUN", "x")


def test_check_frequency_refuses_times_of_day_in_daily_data():
    dates = pd.Series(pd.to_datetime(["2015-01-06 00:00", "2015-01-07 10:30"]))
    with pytest.raises(
        DataValidationError,
        match=_exact("1 of 2 rows off the declared frequency 'D' (e.g. '2015-01-07 10:30 (Wed)')"),
    ):
        check_frequency(dates, "D", "custom sales")


def test_check_frequency_refuses_unsupported_frequency():
    dates = pd.Series(pd.to_datetime(["2015-03-31"]))
    with pytest.raises(DataValidationError, match=r"x: frequency 'QE' is not supported"):
        check_frequency(dates, "QE", "x")


@pytest.mark.parametrize("code", ["ME", "M"])
def test_check_frequency_wants_monthly_dates_on_the_months_last_day(code):
    check_frequency(pd.Series(pd.to_datetime(["2024-01-31", "2024-02-29"])), code, "x")
    dates = pd.Series(pd.to_datetime(["2024-01-31", "2024-02-28", "2024-03-01"]))
    with pytest.raises(DataValidationError) as error:
        check_frequency(dates, code, "x")
    assert str(error.value) == (
        f"x: column 'date' has 2 of 3 rows off the declared frequency '{code}' (e.g. "
        "'2024-02-28 00:00 (Wed)', '2024-03-01 00:00 (Fri)'); declare the frequency the dates "
        "are on."
    )


# --- the panel contract -----------------------------------------------------------------------


def test_validate_panel_accepts_a_good_panel():
    validate_panel(_panel(), "D")


def test_validate_panel_refuses_empty_panel():
    with pytest.raises(DataValidationError, match=_exact("demand_panel: has 0 rows")):
        validate_panel(_panel().iloc[0:0], "D")


def test_validate_panel_refuses_missing_demand_column():
    with pytest.raises(
        DataValidationError,
        match=_exact("demand_panel: missing required column(s) ['demand'] in 3 rows"),
    ):
        validate_panel(_panel().drop(columns="demand"), "D")


def test_validate_panel_refuses_text_dates():
    panel = _panel(date=["2024-01-01", "2024-01-02", "2024-01-01"])
    with pytest.raises(
        DataValidationError,
        match=r"demand_panel: column 'date' must be datetime, got .* \(3 rows\)",
    ):
        validate_panel(panel, "D")


def test_validate_panel_refuses_non_numeric_demand():
    panel = _panel(demand=pd.Series(["1", "2", "x"], dtype=object))
    with pytest.raises(
        DataValidationError,
        match=r"my panel: column 'demand' must be numeric, got object \(3 rows\)",
    ):
        validate_panel(panel, "D", dataset="my panel")


def test_validate_panel_refuses_missing_series_ids():
    panel = _panel(series_id=["a", None, "b"])
    with pytest.raises(
        DataValidationError, match=_exact("column 'series_id' is missing in 1 of 3 rows.")
    ):
        validate_panel(panel, "D")


def test_validate_panel_refuses_duplicates_and_off_grid_dates():
    duplicated = _panel(date=pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-01"]))
    with pytest.raises(DataValidationError, match=r"2 of 3 rows share their \(series_id, date\)"):
        validate_panel(duplicated, "D")
    with pytest.raises(
        DataValidationError, match=r"3 of 3 rows off the declared frequency 'W-FRI'"
    ):
        validate_panel(_panel(), "W-FRI")


# --- the checks as the adapters raise them ---------------------------------------------------


def _rossmann_tables(**train_overrides):
    train = pd.DataFrame(
        {
            "Store": [1, 1, 1],
            "DayOfWeek": [2, 3, 4],
            "Date": ["2015-01-06", "2015-01-07", "2015-01-08"],
            "Sales": [100, 110, 120],
            "Customers": [10, 11, 12],
            "Open": [1, 1, 1],
            "Promo": [0, 0, 0],
            "StateHoliday": pd.Series([0, "0", "0"], dtype=object),
            "SchoolHoliday": [0, 0, 0],
        }
    ).assign(**train_overrides)
    stores = pd.DataFrame(
        {"Store": [1], "StoreType": ["c"], "Assortment": ["a"], "CompetitionDistance": [1270.0]}
    )
    states = pd.DataFrame({"Store": [1], "State": ["HE"]})
    weather = pd.DataFrame(
        {
            "Date": ["2015-01-06"],
            "Mean_TemperatureC": [5.0],
            "Precipitationmm": [0.0],
            "Mean_Humidity": [80.0],
            "CloudCover": [5.0],
            "Mean_Wind_SpeedKm_h": [10.0],
            "Events": ["Rain"],
            "partition": ["weather_HE"],
        }
    )
    return train, stores, states, weather


def test_rossmann_reports_missing_train_column():
    train, stores, states, weather = _rossmann_tables()
    with pytest.raises(
        DataValidationError,
        match=r"rossmann train: missing required column\(s\) \['Sales'\] in 3 rows",
    ):
        build_rossmann_panel(train.drop(columns="Sales"), stores, states, weather)


def test_rossmann_reports_non_numeric_sales():
    train, stores, states, weather = _rossmann_tables(Sales=["100", "1.2k", "120"])
    with pytest.raises(
        DataValidationError,
        match=_exact(
            "rossmann train: column 'Sales' must be numeric and present; 1 of 3 lines are not "
            "(line 3: '1.2k'); correct or remove those lines."
        ),
    ):
        build_rossmann_panel(train, stores, states, weather)


def test_rossmann_reports_unparseable_date():
    train, stores, states, weather = _rossmann_tables(
        Date=["2015-01-06", "2015-01-07", "31.01.2015"]
    )
    with pytest.raises(
        DataValidationError,
        match=_exact(
            "rossmann train: column 'Date' must hold dates (a parseable date); 1 of 3 lines do "
            "not parse (line 4: '31.01.2015'); correct or remove those lines."
        ),
    ):
        build_rossmann_panel(train, stores, states, weather)


def test_rossmann_reports_duplicate_store_day():
    train, stores, states, weather = _rossmann_tables(
        Date=["2015-01-06", "2015-01-07", "2015-01-07"]
    )
    with pytest.raises(
        DataValidationError,
        match=_exact(
            "rossmann train: 2 of 3 lines share their (series_id, date) with another line; "
            "expected one line per key (e.g. ('1', 2015-01-07) on lines 3, 4); remove the "
            "repeated lines."
        ),
    ):
        build_rossmann_panel(train, stores, states, weather)


def test_rossmann_reports_empty_train_and_missing_side_table_column():
    train, stores, states, weather = _rossmann_tables()
    with pytest.raises(DataValidationError, match=_exact("rossmann train: has 0 rows")):
        build_rossmann_panel(train.iloc[0:0], stores, states, weather)
    with pytest.raises(
        DataValidationError,
        match=r"rossmann store_states: missing required column\(s\) \['State'\] in 1 rows",
    ):
        build_rossmann_panel(train, stores, states.drop(columns="State"), weather)
    with pytest.raises(
        DataValidationError,
        match=r"rossmann weather: missing required column\(s\) \['partition'\]",
    ):
        build_rossmann_panel(train, stores, states, weather.drop(columns="partition"))


def _walmart_tables(dates):
    train = pd.DataFrame(
        {
            "Store": [1] * len(dates),
            "Dept": [1] * len(dates),
            "Date": dates,
            "Weekly_Sales": [10.0] * len(dates),
            "IsHoliday": ["FALSE"] * len(dates),
        }
    )
    features = pd.DataFrame(
        {
            "Store": [1],
            "Date": ["2010-02-05"],
            "Temperature": [42.3],
            "Fuel_Price": [2.57],
            **{f"MarkDown{i}": ["NA"] for i in range(1, 6)},
            "CPI": [211.1],
            "Unemployment": [8.1],
            "IsHoliday": ["FALSE"],
        }
    ).replace("NA", np.nan)
    stores = pd.DataFrame({"Store": [1], "Type": ["A"], "Size": [151315]})
    return train, features, stores


def test_walmart_reports_a_thursday_among_friday_weeks():
    train, features, stores = _walmart_tables(["2010-02-05", "2010-02-11", "2010-02-19"])
    with pytest.raises(
        DataValidationError,
        match=_exact(
            "walmart train: column 'date' has 1 of 3 lines off the declared frequency 'W-FRI' "
            "(line 3: '2010-02-11 00:00 (Thu)'); correct or remove those lines, or declare the "
            "frequency the dates are on."
        ),
    ):
        build_walmart_panel(train, features, stores)


def test_walmart_reports_missing_markdown_column():
    train, features, stores = _walmart_tables(["2010-02-05"])
    with pytest.raises(
        DataValidationError,
        match=r"walmart features: missing required column\(s\) \['MarkDown3'\] in 1 rows",
    ):
        build_walmart_panel(train, features.drop(columns="MarkDown3"), stores)


def test_recruit_reports_empty_visits_and_bad_visitors():
    visits = pd.DataFrame(
        {"air_store_id": ["air_a"], "visit_date": ["2016-01-01"], "visitors": ["x"]}
    )
    info = pd.DataFrame(
        {
            "air_store_id": ["air_a"],
            "air_genre_name": ["Bar"],
            "air_area_name": ["Tōkyō-to Minato-ku"],
            "latitude": [35.6],
            "longitude": [139.7],
        }
    )
    date_info = pd.DataFrame({"calendar_date": ["2016-01-01"], "holiday_flg": [1]})
    with pytest.raises(DataValidationError, match=_exact("recruit air_visit_data: has 0 rows")):
        build_recruit_panel(visits.iloc[0:0], info, date_info)
    with pytest.raises(
        DataValidationError,
        match=_exact(
            "recruit air_visit_data: column 'visitors' must be numeric and present; 1 of 1 lines "
            "are not (line 2: 'x'); correct or remove those lines."
        ),
    ):
        build_recruit_panel(visits, info, date_info)


def test_custom_reports_month_first_date_under_day_first_format():
    sales = pd.DataFrame(
        {"Order Date": ["03/08/2019 20:25", "08/13/2019 19:00"], "Item": ["a", "a"], "Qty": [1, 2]}
    )
    mapping = {
        "date_column": "Order Date",
        "date_format": "%d/%m/%Y %H:%M",
        "target_column": "Qty",
        "key_columns": {"item_id": "Item"},
    }
    with pytest.raises(
        DataValidationError,
        match=_exact(
            "custom sales: column 'Order Date' must hold dates (format '%d/%m/%Y %H:%M'); 1 of 2 "
            "lines do not parse (line 3: '08/13/2019 19:00'); correct those lines, or set "
            "date_format (or dayfirst: true) in data_source to match them."
        ),
    ):
        build_custom_panel(sales, mapping)


# --- file lines, numbers out of range, declared frequency ------------------------------------


def test_lines_of_a_glob_table_are_counted_per_file():
    weather = pd.DataFrame(
        {
            "Date": ["2015-01-06", "2015-01-07", "2015-01-06", "bad"],
            "partition": ["weather_BY", "weather_BY", "weather_HE", "weather_HE"],
        }
    )
    with pytest.raises(DataValidationError, match=_exact("(weather_HE line 3: 'bad')")):
        to_dates(weather, "Date", "rossmann weather")


def test_to_numeric_refuses_infinite_and_absurd_values_in_every_adapter():
    frame = pd.DataFrame({"Sales": [1.0, np.inf, 2e12, 3.0]})
    with pytest.raises(
        DataValidationError,
        match=_exact(
            "rossmann train: column 'Sales' must hold finite numbers of magnitude at most "
            "1e+12; 2 of 4 lines do not (line 3: inf, line 4: 2000000000000.0); correct or "
            "remove those lines."
        ),
    ):
        to_numeric(frame, "Sales", "rossmann train")
    assert to_numeric(frame.iloc[[0, 3]], "Sales", "x").tolist() == [1.0, 3.0]


def test_declared_frequency_is_checked_against_what_the_dates_look_like():
    fridays = inspect_dates(pd.Series(pd.date_range("2010-02-05", periods=5, freq="W-FRI")))
    assert fridays.describe() == "its 5 dates are 7 days apart, all on Fridays"
    check_declared_frequency(fridays, "W-FRI", "walmart train", "Date")
    with pytest.raises(DataValidationError, match=_exact("set frequency: W-FRI in data_source.")):
        check_declared_frequency(fridays, "D", "walmart train", "Date")
    with pytest.raises(
        DataValidationError, match=_exact("which 'W-SUN' would relabel to the following Sunday")
    ):
        check_declared_frequency(fridays, "W-SUN", "walmart train", "Date")
    # Three dates are too few to tell weekly data from a sparse daily file.
    check_declared_frequency(
        inspect_dates(pd.Series(pd.date_range("2010-02-05", periods=3, freq="W-FRI"))),
        "D",
        "x",
        "Date",
    )
    days = inspect_dates(pd.Series(pd.date_range("2010-02-05", periods=10, freq="D")))
    check_declared_frequency(days, "D", "x", "Date")
    check_declared_frequency(days, "W-SUN", "x", "Date")


def test_require_periods_names_the_count_and_the_minimum():
    with pytest.raises(
        DataValidationError,
        match=_exact(
            "x: column 'Date' covers 1 week (2010-02-05); the panel needs at least 2 weeks; "
            "export more."
        ),
    ):
        require_periods(
            pd.Series(pd.to_datetime(["2010-02-05"] * 3)), "W-FRI", "x", "Date", fix="export more"
        )
    require_periods(
        pd.Series(pd.to_datetime(["2010-02-05", "2010-02-12"])), "W-FRI", "x", "Date", fix=""
    )
