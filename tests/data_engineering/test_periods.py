"""The panel's time: every frequency-dependent number comes from one Frequency object."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from inventory_optimization.panel.periods import (
    SUPPORTED_FREQUENCIES,
    Frequency,
    OriginOutsideDataError,
    cv_step_periods,
    horizon_periods,
    is_holiday,
    protocol_origin,
)


def test_daily_frequency():
    day = Frequency("D")
    assert day.is_daily and day.weekday is None
    assert day.step == pd.Timedelta(days=1) and day.days_per_period == 1
    assert (day.season_length, day.periods_per_year) == (7, 365.0)
    assert (day.unit, day.season_label, day.parameter_block) == ("days", "weekday", "daily")


@pytest.mark.parametrize("code", [c for c in SUPPORTED_FREQUENCIES if c.startswith("W-")])
def test_weekly_frequencies_name_their_anchor_day(code: str):
    week = Frequency(code)
    assert not week.is_daily
    assert week.step == pd.Timedelta(days=7) and week.days_per_period == 7
    assert (week.season_length, week.periods_per_year) == (52, 52.0)
    assert (week.unit, week.parameter_block) == ("weeks", "weekly")
    anchor = pd.Timestamp("2024-01-01") + pd.Timedelta(days=week.weekday)  # a Monday + n
    assert anchor.strftime("%a").upper() == code[2:]


def test_unsupported_frequency_names_the_supported_ones():
    with pytest.raises(ValueError, match="frequency 'MS' is not supported.*W-<DAY>"):
        Frequency("MS")
    assert Frequency.of(Frequency("D")) == Frequency.of("D") == Frequency("D")


def test_period_end_labels_a_timestamp_with_its_period():
    stamps = pd.Series(pd.to_datetime(["2024-03-06 19:30", "2024-03-08 09:00", "2024-03-09 00:00"]))
    assert Frequency("D").period_end(stamps).dt.strftime("%Y-%m-%d").tolist() == [
        "2024-03-06",
        "2024-03-08",
        "2024-03-09",
    ]
    # Weeks ending on Friday: Wed 6th and Fri 8th fall in the week ending Fri 8th.
    assert Frequency("W-FRI").period_end(stamps).dt.strftime("%Y-%m-%d").tolist() == [
        "2024-03-08",
        "2024-03-08",
        "2024-03-15",
    ]


def test_season_position_is_the_weekday_or_the_iso_week():
    dates = pd.to_datetime(["2024-01-01", "2024-01-07", "2024-12-30"])
    assert Frequency("D").season_position(dates).tolist() == [0, 6, 0]
    assert Frequency("W-SUN").season_position(dates).tolist() == [1, 1, 1]


def test_holidays_by_country():
    dates = pd.Series(pd.to_datetime(["2024-07-28", "2024-07-29", "2024-12-25"]))
    assert is_holiday(dates, "PE").tolist() == [1.0, 1.0, 1.0]
    assert is_holiday(dates, "DE").tolist() == [0.0, 0.0, 1.0]
    with pytest.raises(ValueError, match="country 'XX' is not known"):
        is_holiday(dates, "XX")


def test_auto_origin_leaves_the_last_horizon_periods_as_the_holdout():
    origin, note = protocol_origin(
        {"horizon": 4, "origin": "auto"}, "2023-01-01", "2024-06-30", "W-SUN"
    )
    assert origin == pd.Timestamp("2024-06-02")  # four Sundays before the last one
    assert note.startswith("protocol.origin auto: 2024-06-02, the last 4 weeks of the data")
    assert protocol_origin({"horizon": 28}, "2023-01-01", "2024-06-30", "D")[0] == pd.Timestamp(
        "2024-06-02"
    )


@pytest.mark.parametrize(
    ("code", "periods", "unit"), [("D", 28, "days"), ("W-THU", 13, "weeks"), ("ME", 6, "months")]
)
def test_auto_horizon_and_step_count_the_datas_own_periods(code: str, periods: int, unit: str):
    assert horizon_periods({"horizon": "auto"}, code) == periods
    assert horizon_periods({}, code) == periods
    assert cv_step_periods({"step": "auto"}, {"horizon": "auto"}, code) == periods
    # an explicit horizon sets the auto step too: folds stay off the holdout
    assert cv_step_periods({}, {"horizon": 9}, code) == 9
    assert cv_step_periods({"step": 4}, {"horizon": 9}, code) == 4
    origin, note = protocol_origin({"horizon": "auto"}, "2020-01-01", "2024-12-31", "ME")
    assert origin == pd.Timestamp("2024-06-30")
    assert "the last 6 months of the data" in note
    assert Frequency(code).unit == unit


@pytest.mark.parametrize("value", [0, -3, 2.5, "weekly", "13 weeks"])
def test_a_horizon_that_is_not_a_whole_number_of_periods_is_refused(value):
    with pytest.raises(ValueError, match=rf"protocol.horizon is {value!r}; expected a whole"):
        horizon_periods({"horizon": value}, "D")
    with pytest.raises(ValueError, match=r"cross_validation.step is .*; expected a whole"):
        cv_step_periods({"step": value}, {"horizon": 28}, "D")


def test_an_origin_between_weekly_labels_is_snapped_back_with_a_note():
    origin, note = protocol_origin(
        {"horizon": 4, "origin": "2024-03-06"}, "2023-01-01", "2024-06-30", "W-SUN"
    )
    assert origin == pd.Timestamp("2024-03-03")
    assert "snapped back to 2024-03-03" in note and "labelled by their Sunday" in note
    assert protocol_origin(
        {"horizon": 4, "origin": "2024-03-03"}, "2023-01-01", "2024-06-30", "W-SUN"
    ) == (
        pd.Timestamp("2024-03-03"),
        None,
    )


@pytest.mark.parametrize("origin", ["2030-01-01", "2022-12-31"])
def test_an_origin_outside_the_data_names_the_valid_range(origin):
    with pytest.raises(OriginOutsideDataError) as error:
        protocol_origin({"horizon": 28, "origin": origin}, "2023-01-01", "2024-06-30", "D")
    assert str(error.value) == (
        f"protocol.origin {origin} is outside the data (2023-01-01 to 2024-06-30); set a date "
        "between 2023-01-01 and 2024-06-29, or origin: auto (the last 28 days)."
    )


# --- months: labelled by their last day, moved by calendar months --------------------------------


def _days(*texts: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(list(texts), format="ISO8601"))


def test_monthly_frequency_is_written_me_or_m_and_counts_months():
    month = Frequency("M")
    assert month == Frequency("ME") == Frequency.of("ME") and month.code == str(month) == "ME"
    assert month.is_monthly and not (month.is_daily or month.is_weekly)
    assert month.weekday is None
    assert (month.season_length, month.periods_per_year) == (12, 12.0)
    assert (month.unit, month.season_label, month.parameter_block) == (
        "months",
        "month of year",
        "monthly",
    )
    assert month.labels == "months labelled by their last day"
    # Settings stated in days become whole months, rounded up: a week's lead time is a month.
    periods = [math.ceil(days / month.days_per_period) for days in (1, 7, 30, 31, 45, 61, 91)]
    assert periods == [1, 1, 1, 2, 2, 3, 3]
    with pytest.raises(ValueError, match="monthly periods have no fixed step; use Frequency"):
        _ = month.step


def test_month_start_and_mid_month_dates_label_their_month_by_its_last_day():
    stamps = pd.Series(
        pd.to_datetime(
            ["2024-02-01", "2024-02-15 10:30", "2024-02-29", "2023-02-01", "2023-12-31 23:59"],
            format="ISO8601",
        )
    )
    month = Frequency("ME")
    assert month.period_end(stamps).dt.strftime("%Y-%m-%d").tolist() == [
        "2024-02-29",
        "2024-02-29",
        "2024-02-29",
        "2023-02-28",
        "2023-12-31",
    ]
    assert month.period_start(stamps).dt.strftime("%Y-%m-%d").tolist() == [
        "2024-02-01",
        "2024-02-01",
        "2024-02-01",
        "2023-02-01",
        "2023-12-01",
    ]
    assert month.season_position(month.period_end(stamps)).tolist() == [2, 2, 2, 2, 12]


def test_shifting_months_crosses_year_ends_and_lands_on_februarys_last_day():
    month = Frequency("ME")
    november = pd.Timestamp("2023-11-30")
    assert [month.shift(november, n) for n in range(1, 5)] == list(
        _days("2023-12-31", "2024-01-31", "2024-02-29", "2024-03-31")
    )
    assert month.shift(pd.Timestamp("2024-03-31"), -1) == pd.Timestamp("2024-02-29")
    assert month.shift(pd.Timestamp("2023-03-31"), -1) == pd.Timestamp("2023-02-28")
    assert month.shift(pd.Timestamp("2024-02-29"), 12) == pd.Timestamp("2025-02-28")
    assert month.shift(pd.Timestamp("2024-01-31"), -13) == pd.Timestamp("2022-12-31")
    # Vectorized: an index by one count, a Series (index kept) by one count per date.
    ends = _days("2024-01-31", "2024-12-31")
    assert month.shift(ends, 2).equals(_days("2024-03-31", "2025-02-28"))
    series = pd.Series(ends, index=["a", "b"])
    shifted = month.shift(series, np.array([1, -10]))
    assert shifted.index.tolist() == ["a", "b"]
    assert shifted.tolist() == list(_days("2024-02-29", "2024-02-29"))


def test_months_between_two_month_ends_and_the_range_between_them():
    month = Frequency("ME")
    first, last = pd.Timestamp("2023-11-30"), pd.Timestamp("2025-02-28")
    assert month.periods_between(first, last) == 15
    assert month.periods_between(last, first) == -15
    ends = pd.Series(_days("2024-02-29", "2025-02-28"), index=["x", "y"])
    assert month.periods_between(ends, last).to_dict() == {"x": 12, "y": 0}
    grid = month.date_range(first, last)
    assert len(grid) == 16 and grid[3] == pd.Timestamp("2024-02-29")
    assert (month.periods_between(first, grid) == np.arange(16)).all()
    assert [month.shift(first, n) for n in range(16)] == list(grid)
    assert month.is_on_grid(grid).all()
    assert month.is_on_grid(_days("2024-02-28", "2024-03-01", "2024-03-31 12:00")).tolist() == [
        False,
        False,
        False,
    ]


@pytest.mark.parametrize("code", ["D", "W-SUN"])
def test_days_and_weeks_move_by_their_fixed_step(code: str):
    period = Frequency(code)
    first = pd.Timestamp("2024-01-07")  # a Sunday
    grid = period.date_range(first, first + 20 * period.step)
    assert grid.equals(pd.date_range(first, periods=21, freq=period.step))
    assert period.shift(first, 20) == grid[-1] == first + 20 * period.step
    assert (period.shift(grid.to_numpy(), -np.arange(21)) == first.to_datetime64()).all()
    assert period.periods_between(first, grid[-1]) == 20
    assert period.is_on_grid(grid).all()
    assert period.is_on_grid(grid + pd.Timedelta(hours=6)).sum() == 0


def test_monthly_auto_origin_and_a_snapped_one():
    origin, note = protocol_origin({"horizon": 6}, "2020-01-31", "2024-12-31", "ME")
    assert origin == pd.Timestamp("2024-06-30")
    assert note.startswith("protocol.origin auto: 2024-06-30, the last 6 months of the data")
    origin, note = protocol_origin(
        {"horizon": 6, "origin": "2024-03-15"}, "2020-01-31", "2024-12-31", "M"
    )
    assert origin == pd.Timestamp("2024-02-29")
    assert note == (
        "protocol.origin 2024-03-15 is not a period of the panel (months labelled by their last "
        "day): snapped back to 2024-02-29, the latest on or before it"
    )
    with pytest.raises(
        OriginOutsideDataError, match="set a date between 2020-01-31 and 2024-11-30"
    ):
        protocol_origin({"horizon": 6, "origin": "2025-01-15"}, "2020-01-31", "2024-12-31", "ME")


def test_a_month_holds_a_holiday_on_any_of_its_days():
    month_ends = pd.Series(pd.to_datetime(["2024-03-31", "2024-04-30", "2024-12-31"]))
    # GB: Good Friday 29 March, nothing in April, Christmas; the month ends are no holidays.
    assert is_holiday(month_ends, "GB", frequency="ME").tolist() == [1.0, 0.0, 1.0]
    assert is_holiday(month_ends, "GB").tolist() == [0.0, 0.0, 0.0]
