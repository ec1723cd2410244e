"""What a column of dates looks like: its step and the weekday it is anchored on.

A pure description, no judgement: ``panel.validation.check_declared_frequency`` compares it
with the declared frequency, and a ``frequency: auto`` can read ``suggested_frequency``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from .periods import WEEKDAYS

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Distinct dates needed before a weekly pattern counts as evidence: with 4 daily dates the
# chance that all fall on one weekday 7 days apart is below 0.3 %.
MIN_DATES_FOR_PATTERN = 4


@dataclass(frozen=True)
class DateInspection:
    """The calendar days of a date column and how they are spaced."""

    dates: int  # distinct calendar days
    first: pd.Timestamp
    last: pd.Timestamp
    step_days: int | None  # gcd of the gaps between consecutive days; None for one day
    regular: bool  # every gap equals step_days
    weekday: int | None  # 0 = Monday, when every day falls on that weekday
    has_times: bool  # some values carry a time of day

    @property
    def weekday_code(self) -> str | None:
        return None if self.weekday is None else WEEKDAYS[self.weekday]

    @property
    def looks_weekly(self) -> bool:
        """Enough days, all on one weekday, every gap a multiple of 7 days."""
        return (
            self.dates >= MIN_DATES_FOR_PATTERN
            and self.weekday is not None
            and self.step_days is not None
            and self.step_days % 7 == 0
        )

    @property
    def suggested_frequency(self) -> str | None:
        """``W-<DAY>`` for weekly-looking dates, ``D`` for other dates, None for one day."""
        if self.looks_weekly:
            return f"W-{self.weekday_code}"
        return None if self.step_days is None else "D"

    def describe(self) -> str:
        """E.g. ``dates are 7 days apart, all on Sundays``."""
        if self.step_days is None:
            return f"all values are on one day ({self.first:%Y-%m-%d})"
        spacing = f"{self.step_days} day{'s' if self.step_days > 1 else ''} apart"
        if not self.regular:
            spacing = f"a multiple of {spacing}"
        text = f"its {self.dates} dates are {spacing}"
        if self.weekday is not None:
            text += f", all on {WEEKDAY_NAMES[self.weekday]}s"
        return text


def inspect_dates(dates: pd.Series) -> DateInspection:
    """Describe parsed dates (NaT ignored); at least one date is expected."""
    dates = pd.Series(dates).dropna()
    days = pd.DatetimeIndex(dates.dt.normalize().unique()).sort_values()
    gaps = [int(g) for g in (days[1:] - days[:-1]).days]
    step = math.gcd(*gaps) if gaps else None
    weekdays = set(days.day_of_week)
    return DateInspection(
        dates=len(days),
        first=days[0],
        last=days[-1],
        step_days=step,
        regular=bool(gaps) and len(set(gaps)) == 1,
        weekday=next(iter(weekdays)) if len(weekdays) == 1 else None,
        has_times=bool((dates != dates.dt.normalize()).any()),
    )
