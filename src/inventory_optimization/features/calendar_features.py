"""Calendar and holiday features of target dates, computed once per date on the date axis and
read at each row's target date (families ``calendar`` and ``holiday``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..panel.periods import Frequency, holiday_dates, retail_events
from .catalog import KNOWN, FamilyColumns, FeatureCatalog
from .grid import Grid

HOLIDAY_DISTANCE_CAP = 366
RETAIL_EVENT_COLUMNS = ("is_christmas", "is_easter", "is_thanksgiving", "days_to_christmas")


def _days_to_next(days: pd.DatetimeIndex, events: pd.DatetimeIndex) -> np.ndarray:
    events = events.sort_values().to_numpy()
    position = np.searchsorted(events, days.to_numpy(), side="left")
    next_event = np.where(
        position < len(events), events[np.minimum(position, len(events) - 1)], np.datetime64("NaT")
    )
    distance = (next_event - days.to_numpy()) / np.timedelta64(1, "D")
    return np.nan_to_num(distance, nan=HOLIDAY_DISTANCE_CAP).clip(max=HOLIDAY_DISTANCE_CAP)


def _days_since_last(days: pd.DatetimeIndex, events: pd.DatetimeIndex) -> np.ndarray:
    events = events.sort_values().to_numpy()
    position = np.searchsorted(events, days.to_numpy(), side="right") - 1
    last_event = np.where(position >= 0, events[np.maximum(position, 0)], np.datetime64("NaT"))
    distance = (days.to_numpy() - last_event) / np.timedelta64(1, "D")
    return np.nan_to_num(distance, nan=HOLIDAY_DISTANCE_CAP).clip(max=HOLIDAY_DISTANCE_CAP)


def calendar_table(
    dates: pd.DatetimeIndex,
    frequency: str | Frequency,
    country: str | None,
    paydays: Sequence[int] = (),
) -> pd.DataFrame:
    """One row per date of the axis. For weekly and monthly data a flag is set when any day
    of the period (the 7 days ending on the date, or the month) has it, and distances count
    from the period's last day. Monthly data gets what a month's total depends on instead of
    day and week positions: its days, working days and holidays (see ``_monthly_columns``)."""
    frequency = Frequency.of(frequency)
    span = frequency.days_per_period
    first_day = frequency.period_start(pd.Series(dates[:1])).iloc[0]
    days = pd.date_range(first_day, dates.max(), freq="D")
    day_of_month = days.day.to_numpy()
    payday = np.zeros(len(days), dtype=bool)
    for value in paydays:
        payday |= days.is_month_end if value == -1 else day_of_month == value
    daily = pd.DataFrame({"is_payday": payday.astype(float)}, index=days)
    if country:
        years = range(days.year.min() - 1, days.year.max() + 2)
        holidays = pd.DatetimeIndex(holiday_dates(country, years).index)
        daily["is_public_holiday"] = days.isin(holidays).astype(float)
        daily["days_to_next_holiday"] = _days_to_next(days, holidays)
        daily["days_since_last_holiday"] = _days_since_last(days, holidays)
        events = retail_events(years)
        for name, event_days in events.items():
            daily[f"is_{name}"] = days.isin(event_days).astype(float)
        daily["days_to_christmas"] = _days_to_next(days, events["christmas"])
    if frequency.is_monthly:
        return _monthly_columns(daily, dates, frequency)
    flags = [c for c in daily if c == "is_payday" or c.startswith("is_")]
    if span > 1:
        if "is_public_holiday" in daily:
            daily["holiday_days"] = daily["is_public_holiday"].rolling(span, min_periods=1).sum()
        daily[flags] = daily[flags].rolling(span, min_periods=1).max()
    table = daily.reindex(dates)

    iso = dates.isocalendar()
    if frequency.is_daily:
        table["day_of_week"] = dates.day_of_week.to_numpy()
        table["is_weekend"] = (dates.day_of_week >= 5).astype(float)
    table["day_of_month"] = dates.day.to_numpy()
    table["day_of_year"] = dates.day_of_year.to_numpy()
    table["week_of_year"] = iso.week.to_numpy().astype(float)
    table["month"] = dates.month.to_numpy()
    table["quarter"] = dates.quarter.to_numpy()
    table["is_month_start"] = (dates.day <= span).astype(float)
    # The period holds a month's last day when the day after it starts a month within span days.
    table["is_month_end"] = ((dates + pd.Timedelta(days=1)).day <= span).astype(float)
    return table.astype("float64")


def _monthly_columns(
    daily: pd.DataFrame, dates: pd.DatetimeIndex, frequency: Frequency
) -> pd.DataFrame:
    """Per month: month and quarter, its days and working days (Monday to Friday less public
    holidays: B2B orders follow them), and with a country its public holidays (how many,
    whether any) and the holiday distances from its last day. Paydays, month starts and
    month ends fall in every month, so they tell months nothing."""
    days = daily.index
    holiday = daily.get("is_public_holiday", pd.Series(0.0, index=days))
    per_day = pd.DataFrame(
        {
            "days_in_month": 1.0,
            "working_days": ((days.day_of_week < 5) & (holiday == 0)).astype(float),
        },
        index=days,
    )
    if "is_public_holiday" in daily:
        per_day["public_holidays"] = holiday
    months = frequency.period_end(days.to_series()).to_numpy()
    totals = per_day.groupby(months).sum().reindex(dates)
    table = pd.DataFrame(
        {"month": dates.month.to_numpy(), "quarter": dates.quarter.to_numpy()}, index=dates
    ).join(totals)
    if "is_public_holiday" in daily:
        table["is_public_holiday"] = (table["public_holidays"] > 0).astype(float)
        for column in ("days_to_next_holiday", "days_since_last_holiday"):
            table[column] = daily[column].reindex(dates).to_numpy()
    return table.astype("float64")


CALENDAR_DESCRIPTIONS = {
    "day_of_week": "weekday of the target date (0 = Monday)",
    "is_weekend": "target date is a Saturday or Sunday",
    "day_of_month": "day of month of the target date",
    "day_of_year": "day of year of the target date",
    "week_of_year": "ISO week of the target date",
    "month": "month of the target date",
    "quarter": "quarter of the target date",
    "is_month_start": "target period contains the first day of a month",
    "is_month_end": "target period contains the last day of a month",
    "is_payday": "target period contains a payday (parameter paydays)",
    "is_public_holiday": "target period contains a public holiday of the country (holidays package)",
    "days_to_next_holiday": "days from the target date to the next public holiday (capped at 366)",
    "days_since_last_holiday": "days since the last public holiday (capped at 366)",
    "holiday_days": "public holidays of the country among the target period's days",
    "is_christmas": "target period contains Christmas Day",
    "is_easter": "target period contains a day from Good Friday to Easter Monday",
    "is_thanksgiving": "target period contains a day of the Thanksgiving weekend (Thu-Mon)",
    "days_to_christmas": "days from the target date to the next Christmas Day (capped at 366)",
    "days_in_month": "days in the target month",
    "working_days": "Monday to Friday days of the target month that are not public holidays",
    "public_holidays": "public holidays in the target month (holidays package)",
}


def calendar_columns(
    grid: Grid, country: str | None, paydays: Sequence[int], catalog: FeatureCatalog
) -> dict[str, np.ndarray]:
    """The columns of ``calendar_table`` on each row's target date."""
    calendar = calendar_table(grid.dates, grid.frequency, country, paydays)
    out = FamilyColumns(catalog)
    for column in calendar.columns:
        out.put(
            column,
            calendar[column].to_numpy()[grid.rows.target_pos],
            "holiday" if "holiday" in column or column in RETAIL_EVENT_COLUMNS else "calendar",
            CALENDAR_DESCRIPTIONS[column],
            sources=("date",),
            availability=KNOWN,
        )
    return out.columns
