"""Time in the panel: its frequency and the public holidays, asked by every pipeline.

A panel has one regular frequency: ``D`` (days), ``W-<DAY>`` (weeks labelled by their last
day) or ``ME`` (months labelled by their last day; ``M`` is accepted and read as ``ME``).
Everything that depends on it (moving along the grid, counting periods, the season length,
how many periods make a year, the unit printed in logs, the feature block of the parameters)
is a property or an operation of :class:`Frequency`, so no other module compares frequency
strings or adds a fixed step to a date: a month has no fixed length.
"""

from __future__ import annotations

from dataclasses import dataclass

import holidays
import numpy as np
import pandas as pd

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHLY = "ME"
SUPPORTED_FREQUENCIES = ("D", *(f"W-{day}" for day in WEEKDAYS), MONTHLY)
# Codes a user may write for a supported frequency: pandas' older month-end alias.
FREQUENCY_ALIASES = {"M": MONTHLY}
FREQUENCY_CODES = (*SUPPORTED_FREQUENCIES, *FREQUENCY_ALIASES)
# The mean month (a 365.25-day year over 12): a lead time stated in days becomes whole months
# by ceil(days / this), so 7 or 30 days are one month and 45 days two.
DAYS_PER_MONTH = 365.25 / 12
ONE_DAY = pd.Timedelta(days=1)


def _month_number(dates):
    """Months since year 0 (year * 12 + month), for a Timestamp, an index, a Series (index
    kept) or an array."""
    if isinstance(dates, pd.Series):
        return (dates.dt.year * 12 + dates.dt.month).astype("int64")
    if np.ndim(dates) == 0:
        dates = pd.Timestamp(dates)
        return dates.year * 12 + dates.month
    dates = pd.DatetimeIndex(dates)
    return (dates.year * 12 + dates.month).astype("int64")


def _shift_months(values: np.ndarray, months) -> np.ndarray:
    """The last day of the month ``months`` after each date's month (datetime64 in, same unit
    out): numpy's month arithmetic, vectorized over dates and over ``months``."""
    shifted = values.astype("datetime64[M]") + np.asarray(months, dtype="int64")
    ends = (shifted + 1).astype("datetime64[D]") - np.timedelta64(1, "D")
    return ends.astype(values.dtype)


@dataclass(frozen=True)
class Frequency:
    """One supported panel frequency, e.g. ``Frequency("W-FRI")`` or ``Frequency("ME")``."""

    code: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", FREQUENCY_ALIASES.get(self.code, self.code))
        if self.code not in SUPPORTED_FREQUENCIES:
            raise ValueError(
                f"frequency '{self.code}' is not supported; expected 'D', 'W-<DAY>' (weeks "
                f"labelled by that day) or 'ME' (months labelled by their last day, also "
                f"written 'M'; month-start dates are relabelled to their month's end): one of "
                f"{list(FREQUENCY_CODES)}."
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
    def is_weekly(self) -> bool:
        return self.code.startswith("W-")

    @property
    def is_monthly(self) -> bool:
        return self.code == MONTHLY

    @property
    def days_per_period(self) -> float:
        """Days in a period (the mean month for monthly data): converts settings stated in
        days to periods, ``ceil(days / days_per_period)``."""
        if self.is_monthly:
            return DAYS_PER_MONTH
        return 1 if self.is_daily else 7

    @property
    def max_days_per_period(self) -> int:
        """Days in the longest period: 1, 7 or 31."""
        return {"D": 1, MONTHLY: 31}.get(self.code, 7)

    @property
    def step(self) -> pd.Timedelta:
        """The fixed step between two consecutive days or weeks; months have none (use
        ``shift``, ``periods_between`` and ``date_range``)."""
        if self.is_monthly:
            raise ValueError(
                "monthly periods have no fixed step; use Frequency.shift, periods_between or "
                "date_range"
            )
        return pd.Timedelta(days=self.days_per_period)

    @property
    def season_length(self) -> int:
        """Periods in the dominant seasonal cycle: a week of days, a year of weeks or months."""
        return {"D": 7, MONTHLY: 12}.get(self.code, 52)

    @property
    def periods_per_year(self) -> float:
        return {"D": 365.0, MONTHLY: 12.0}.get(self.code, 52.0)

    @property
    def default_horizon(self) -> int:
        """Periods held out and forecast under ``horizon: auto``: four weeks of days, a
        quarter of weeks, half a year of months."""
        return {"D": 28, MONTHLY: 6}.get(self.code, 13)

    @property
    def unit(self) -> str:
        """The period's name in plural, for logs and reports."""
        return {"D": "days", MONTHLY: "months"}.get(self.code, "weeks")

    @property
    def season_label(self) -> str:
        """What a position in the season is called."""
        return {"D": "weekday", MONTHLY: "month of year"}.get(self.code, "week of year")

    @property
    def parameter_block(self) -> str:
        """The key of this frequency's block in frequency-keyed parameters."""
        return {"D": "daily", MONTHLY: "monthly"}.get(self.code, "weekly")

    @property
    def weekday(self) -> int | None:
        """Weekday (0 = Monday) that labels a weekly period; None for days and months."""
        return WEEKDAYS.index(self.code[2:]) if self.is_weekly else None

    @property
    def labels(self) -> str:
        """How a period is labelled, e.g. ``weeks labelled by their Sunday``."""
        if self.is_weekly:
            return f"weeks labelled by their {WEEKDAY_NAMES[self.weekday]}"
        return "months labelled by their last day" if self.is_monthly else "days"

    def season_position(self, dates: pd.Series | pd.DatetimeIndex) -> np.ndarray:
        """Weekday (0-6) for daily data, ISO week of year (1-53) for weekly data, month (1-12)
        for monthly data."""
        dates = pd.DatetimeIndex(dates)
        if self.is_daily:
            return dates.day_of_week.to_numpy()
        if self.is_monthly:
            return dates.month.to_numpy().astype("int64")
        return dates.isocalendar().week.to_numpy().astype("int64")

    def period_end(self, dates: pd.Series) -> pd.Series:
        """The panel date of the period each timestamp falls in (the day, or the week's or the
        month's last day): a month-start date labels the month it starts."""
        if self.is_daily:
            return dates.dt.normalize()
        period = "M" if self.is_monthly else self.code
        return dates.dt.to_period(period).dt.end_time.dt.normalize().astype("datetime64[ns]")

    def period_start(self, dates: pd.Series) -> pd.Series:
        """The first day of the period each timestamp falls in."""
        return self.shift(self.period_end(dates), -1) + ONE_DAY

    def is_on_grid(self, dates):
        """Whether each date labels a period: midnight, and on the weeks' weekday or on a
        month's last day. Works on a Timestamp, an index or a Series."""
        if isinstance(dates, pd.Series):
            return pd.Series(self.is_on_grid(pd.DatetimeIndex(dates)), index=dates.index)
        on_grid = dates.normalize() == dates
        if self.is_weekly:
            on_grid &= dates.day_of_week == self.weekday
        if self.is_monthly:
            on_grid &= dates.is_month_end
        return on_grid if isinstance(on_grid, np.ndarray) else bool(on_grid)

    def shift(self, dates, periods):
        """The period labels ``periods`` periods after ``dates`` (before, when negative).
        ``dates`` is a Timestamp, an index, a Series or a datetime64 array on the grid;
        ``periods`` an int or an array of ints, one per date. Days and weeks move by a fixed
        step; months by calendar months, each landing on its month's last day."""
        if not self.is_monthly:
            if np.ndim(periods):
                return dates + np.asarray(periods) * self.step.to_timedelta64()
            return dates + periods * self.step
        if isinstance(dates, pd.Series):
            return pd.Series(
                _shift_months(dates.to_numpy(), periods), index=dates.index, name=dates.name
            )
        if isinstance(dates, pd.DatetimeIndex):
            return pd.DatetimeIndex(_shift_months(dates.to_numpy(), periods), name=dates.name)
        if np.ndim(dates) == 0:
            return pd.Timestamp(_shift_months(np.datetime64(pd.Timestamp(dates)), periods))
        return _shift_months(np.asarray(dates), periods)

    def periods_between(self, first, last):
        """How many periods ``last`` lies after ``first`` (both on the grid; scalars, indexes
        or Series, a Series keeps its index): whole steps for days and weeks, calendar months
        for months."""
        if not self.is_monthly:
            return (last - first) // self.step
        return _month_number(last) - _month_number(first)

    def date_range(self, first, last) -> pd.DatetimeIndex:
        """Every period label from ``first`` (on the grid) to ``last``, both included."""
        return pd.date_range(first, last, freq=MONTHLY if self.is_monthly else self.step)


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
    for daily data; any day of the week or month for weekly or monthly data: a period's label
    is rarely the holiday), else 0.0."""
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


def horizon_periods(protocol: dict, frequency: str | Frequency) -> int:
    """``protocol.horizon`` in periods: a whole number, or ``auto`` (or unset) for the
    frequency's default (28 days, 13 weeks, 6 months)."""
    horizon = protocol.get("horizon", "auto")
    if horizon in (None, "auto"):
        return Frequency.of(frequency).default_horizon
    return _whole_periods("protocol.horizon", horizon)


def cv_step_periods(cross_validation: dict, protocol: dict, frequency: str | Frequency) -> int:
    """``cross_validation.step`` in periods: a whole number, or ``auto`` (or unset) for the
    horizon, the shortest step that keeps every fold's validation window off the holdout."""
    step = cross_validation.get("step", "auto")
    if step in (None, "auto"):
        return horizon_periods(protocol, frequency)
    return _whole_periods("cross_validation.step", step)


def _whole_periods(name: str, value) -> int:
    try:
        periods = int(value)
    except (TypeError, ValueError):
        periods = 0
    if periods < 1 or periods != float(value):
        raise ValueError(f"{name} is {value!r}; expected a whole number of periods >= 1, or auto")
    return periods


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
    horizon = horizon_periods(protocol, period)
    requested = protocol.get("origin", "auto")
    if requested in (None, "auto"):
        origin = period.shift(last, -horizon)
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
            f"{period.shift(last, -1).date()}, or origin: auto (the last "
            f"{horizon} {period.unit})."
        )
    snapped = period.shift(last, -period.periods_between(origin, last))
    if snapped > origin:
        snapped = period.shift(snapped, -1)
    if snapped == origin:
        return origin, None
    return snapped, (
        f"protocol.origin {origin.date()} is not a period of the panel ({period.labels}): "
        f"snapped back to {snapped.date()}, the latest on or before it"
    )
