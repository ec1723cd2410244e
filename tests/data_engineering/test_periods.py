"""The panel's time: every frequency-dependent number comes from one Frequency object."""

from __future__ import annotations

import pandas as pd
import pytest

from inventory_optimization.panel.periods import (
    SUPPORTED_FREQUENCIES,
    Frequency,
    OriginOutsideDataError,
    is_holiday,
    protocol_origin,
)


def test_daily_frequency():
    day = Frequency("D")
    assert day.is_daily and day.weekday is None
    assert day.step == pd.Timedelta(days=1) and day.days_per_period == 1
    assert (day.season_length, day.periods_per_year) == (7, 365.0)
    assert (day.unit, day.season_label, day.parameter_block) == ("days", "weekday", "daily")


@pytest.mark.parametrize("code", [c for c in SUPPORTED_FREQUENCIES if c != "D"])
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
