"""Time in the panel: its frequency and the public holidays, asked by every pipeline.

A panel has one regular frequency, ``D`` (days) or ``W-<DAY>`` (weeks labelled by their last
day). Everything that depends on it (the step between periods, the season length, how many
periods make a year, the unit printed in logs, the feature block of the parameters) is a
property of :class:`Frequency`, so no other module compares frequency strings.
"""

from __future__ import annotations

from dataclasses import dataclass

import holidays
import numpy as np
import pandas as pd

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
SUPPORTED_FREQUENCIES = ("D", *(f"W-{day}" for day in WEEKDAYS))


@dataclass(frozen=True)
class Frequency:
    """One supported panel frequency, e.g. ``Frequency("W-FRI")``."""

    code: str

    def __post_init__(self) -> None:
        if self.code not in SUPPORTED_FREQUENCIES:
            raise ValueError(
                f"frequency '{self.code}' is not supported; expected 'D' or 'W-<DAY>' "
                f"(one of {list(SUPPORTED_FREQUENCIES)})."
            )

    @classmethod
    def of(cls, frequency: str | Frequency) -> Frequency:
        """Accept a code or a Frequency, so callers may pass either."""
        return frequency if isinstance(frequency, Frequency) else cls(frequency)

    def __str__(self) -> str:
        return self.code

    @property
    def is_daily(self) -> bool:
        return self.code == "D"

    @property
    def days_per_period(self) -> int:
        return 1 if self.is_daily else 7

    @property
    def step(self) -> pd.Timedelta:
        """The fixed step between two consecutive periods."""
        return pd.Timedelta(days=self.days_per_period)

    @property
    def season_length(self) -> int:
        """Periods in the dominant seasonal cycle: a week of days, a year of weeks."""
        return 7 if self.is_daily else 52

    @property
    def periods_per_year(self) -> float:
        return 365.0 if self.is_daily else 52.0

    @property
    def unit(self) -> str:
        """The period's name in plural, for logs and reports."""
        return "days" if self.is_daily else "weeks"

    @property
    def season_label(self) -> str:
        """What a position in the season is called."""
        return "weekday" if self.is_daily else "week of year"

    @property
    def parameter_block(self) -> str:
        """The key of this frequency's block in frequency-keyed parameters."""
        return "daily" if self.is_daily else "weekly"

    @property
    def weekday(self) -> int | None:
        """Weekday (0 = Monday) that labels a weekly period; None for daily data."""
        return None if self.is_daily else WEEKDAYS.index(self.code[2:])

    def season_position(self, dates: pd.Series | pd.DatetimeIndex) -> np.ndarray:
        """Weekday (0-6) for daily data, ISO week of year (1-53) for weekly data."""
        dates = pd.DatetimeIndex(dates)
        if self.is_daily:
            return dates.day_of_week.to_numpy()
        return dates.isocalendar().week.to_numpy().astype("int64")

    def period_end(self, dates: pd.Series) -> pd.Series:
        """The panel date of the period each timestamp falls in (the day, or the week's end)."""
        if self.is_daily:
            return dates.dt.normalize()
        return dates.dt.to_period(self.code).dt.end_time.dt.normalize().astype("datetime64[ns]")


def holiday_dates(country: str, years: range | list[int], subdiv: str | None = None) -> pd.Series:
    """Holiday names indexed by date for a country (ISO code, e.g. ``PE``, ``DE``, ``US``)."""
    try:
        calendar = holidays.country_holidays(country, subdiv=subdiv, years=list(years))
    except NotImplementedError as error:
        raise ValueError(f"country '{country}' is not known to the holidays package") from error
    table = pd.Series(dict(calendar), dtype="object")
    table.index = pd.to_datetime(table.index)
    return table.sort_index()


def is_holiday(
    dates: pd.Series, country: str, subdiv: str | None = None, frequency: str = "D"
) -> np.ndarray:
    """1.0 where a panel date's period holds a public holiday of the country (the day itself
    for daily data; any day of the week for weekly data), else 0.0."""
    dates = pd.to_datetime(dates)
    period = Frequency.of(frequency)
    years = range(int(dates.dt.year.min()) - 1, int(dates.dt.year.max()) + 2)
    known = pd.Series(holiday_dates(country, years, subdiv).index)
    return dates.dt.normalize().isin(period.period_end(known)).to_numpy(dtype="float64")


def retail_events(years: range | list[int]) -> dict[str, pd.DatetimeIndex]:
    """The days of the holidays that move retail sales wherever they are kept, whether or not
    they are public holidays: Christmas Day, Easter (Good Friday to Easter Monday) and the
    Thanksgiving weekend (the fourth Thursday of November to Cyber Monday)."""
    from dateutil.easter import easter

    years = list(years)
    sundays = pd.to_datetime([easter(year) for year in years])
    november = pd.to_datetime([f"{year}-11-01" for year in years])
    # The fourth Thursday: the first Thursday on or after Nov 1, then three weeks on.
    thursdays = november + pd.to_timedelta((3 - november.day_of_week) % 7 + 21, unit="D")
    return {
        "christmas": pd.to_datetime([f"{year}-12-25" for year in years]),
        "easter": pd.DatetimeIndex(
            np.concatenate([(sundays + pd.Timedelta(days=d)).to_numpy() for d in (-2, -1, 0, 1)])
        ).sort_values(),
        "thanksgiving": pd.DatetimeIndex(
            np.concatenate([(thursdays + pd.Timedelta(days=d)).to_numpy() for d in range(5)])
        ).sort_values(),
    }


class OriginOutsideDataError(ValueError):
    """``protocol.origin`` names a date outside the panel."""


def protocol_origin(
    protocol: dict, first_date: str | pd.Timestamp, last_date: str | pd.Timestamp, frequency: str
) -> tuple[pd.Timestamp, str | None]:
    """The protocol's origin (the last training date) on the panel's grid, and a note when it
    was not given as such.

    ``auto`` (or no origin): the last ``horizon`` periods of the data are the holdout. A date
    between two period labels (a Wednesday in weekly data labelled by Sundays) is snapped back
    to the latest label on or before it, so nothing after the date is trained on. A date
    outside the data is refused in one sentence naming the valid range.
    """
    period = Frequency.of(frequency)
    first, last = pd.Timestamp(first_date), pd.Timestamp(last_date)
    horizon = protocol.get("horizon")
    requested = protocol.get("origin", "auto")
    if requested in (None, "auto"):
        horizon = int(horizon)
        origin = last - horizon * period.step
        note = (
            f"protocol.origin auto: {origin.date()}, the last {horizon} {period.unit} of the data "
            f"({first.date()} to {last.date()}) are the holdout"
        )
        return origin, note
    origin = pd.Timestamp(requested)
    if not first <= origin <= last:
        raise OriginOutsideDataError(
            f"protocol.origin {origin.date()} is outside the data ({first.date()} to "
            f"{last.date()}); set a date between {first.date()} and "
            f"{(last - period.step).date()}, or origin: auto (the last "
            f"{horizon or 'horizon'} {period.unit})."
        )
    snapped = last - ((last - origin) // period.step.to_timedelta64()) * period.step
    if snapped > origin:
        snapped -= period.step
    if snapped == origin:
        return origin, None
    return snapped, (
        f"protocol.origin {origin.date()} is not a period of the panel ({period.unit} labelled "
        f"by their {snapped.day_name()}): snapped back to {snapped.date()}, the latest on or before it"
    )
