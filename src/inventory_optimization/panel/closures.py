"""Closed periods: days a shop was shut, detected from an export or declared by its user.

A closed period has zero demand by design; models never learn from it, metrics never score
it and the forecast is zero on it (``is_closed`` in the panel contract).

- **detected** (``detect_closed_days``, daily data): a day, or a run of consecutive days,
  inside the data's span without a single record (an order, else an order time, else a line)
  while the ``CLOSURE_NEIGHBOURS`` days before and after it would, at their median, expect at
  least ``MIN_EXPECTED_RECORDS`` records in it: by chance (Poisson) that happens less than
  once in 20,000, so the shop was shut (or the export lost those days) for every series.
- **declared**: ISO days closed for every series, ``MM-DD`` days closed every year, and days
  per series (a store's refurbishment); ``closed_mask`` applies them, and the detected days,
  to (series, period) rows, inside the data or after its end. A week is closed when all its
  seven days are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .periods import Frequency

# A run of days without any record is a closure when the days around it expect at least this
# many records in it (the median records a day of CLOSURE_NEIGHBOURS days on either side, times
# the run's length): e^-10, under 1 in 20,000, is the chance a run that busy has none.
MIN_EXPECTED_RECORDS = 10
CLOSURE_NEIGHBOURS = 14
CLOSURES_SHOWN = 10  # runs of closed days listed in a log line before "and N more"


@dataclass(frozen=True)
class ClosedDays:
    """Days inside the data's span without a single record where records were expected."""

    dates: pd.DatetimeIndex  # the closed days, ascending
    counted: str  # what a record is: orders, order times or lines
    reason: str

    def runs(self) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
        """The closed days as (first, last) runs of consecutive days."""
        if not len(self.dates):
            return []
        days = self.dates.to_numpy()
        breaks = np.flatnonzero(np.diff(days) != np.timedelta64(1, "D")) + 1
        starts = np.r_[0, breaks]
        ends = np.r_[breaks - 1, len(days) - 1]
        return [(self.dates[a], self.dates[b]) for a, b in zip(starts, ends, strict=True)]

    def describe(self, limit: int = CLOSURES_SHOWN) -> str:
        """E.g. ``2016-06-20 to 2016-07-16 (27 days), 2017-12-25 and 3 more``."""
        runs = self.runs()
        shown = [
            f"{a:%Y-%m-%d}" if a == b else f"{a:%Y-%m-%d} to {b:%Y-%m-%d} ({(b - a).days + 1} days)"
            for a, b in runs[:limit]
        ]
        more = f" and {len(runs) - limit} more" if len(runs) > limit else ""
        return ", ".join(shown) + more


def day_records(dates: pd.Series, order_ids: pd.Series | None) -> tuple[pd.Series | None, str]:
    """What a record is when counting a day's records (aligned with ``dates``): the order id
    when there is one, else the time of day when the dates carry times (an order's lines share
    it), else each line."""
    if order_ids is not None:
        return order_ids, "orders"
    if bool((dates != dates.dt.normalize()).any()):
        return dates, "order times"
    return None, "lines"


def records_per_day(days: pd.Series, records: pd.Series | None = None) -> pd.Series:
    """Records a calendar day from the first day to the last, zeros included: distinct
    ``records`` (order ids, order times) when given (aligned with ``days``), else lines."""
    frame = pd.DataFrame({"day": pd.DatetimeIndex(days).normalize()})
    if records is not None:
        frame["record"] = np.asarray(records)
        frame = frame.drop_duplicates()
    counts = frame.groupby("day").size()
    span = pd.date_range(counts.index.min(), counts.index.max(), freq="D")
    return counts.reindex(span, fill_value=0)


def detect_closed_days(
    days: pd.Series, records: pd.Series | None = None, counted: str = "lines"
) -> ClosedDays:
    """Runs of days without a record that the days around them say were not chance (see the
    module docstring); ``records`` and ``counted`` as in ``records_per_day``."""
    counts = records_per_day(days, records)
    values = counts.to_numpy()
    empty = values == 0
    starts = np.flatnonzero(empty & ~np.r_[False, empty[:-1]])
    ends = np.flatnonzero(empty & ~np.r_[empty[1:], False])
    reason = (
        f"no {counted[:-1]} on a day (or run of days) inside the data's span while the "
        f"{CLOSURE_NEIGHBOURS} days before and after it, by their median, expect at least "
        f"{MIN_EXPECTED_RECORDS} {counted} in it (by chance: under 1 in 20,000)"
    )
    if not len(starts):
        return ClosedDays(pd.DatetimeIndex([]), counted, reason)
    offsets = np.arange(1, CLOSURE_NEIGHBOURS + 1)
    around = np.concatenate([starts[:, None] - offsets, ends[:, None] + offsets], axis=1)
    inside = (around >= 0) & (around < len(values))
    level = np.where(inside, values[np.clip(around, 0, len(values) - 1)], np.nan)
    expected = np.nanmedian(level, axis=1) * (ends - starts + 1)
    closed = expected >= MIN_EXPECTED_RECORDS
    lengths = ends[closed] - starts[closed] + 1
    positions = np.repeat(starts[closed], lengths) + (
        np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    )
    return ClosedDays(counts.index[positions], counted, reason)


def closed_mask(
    series: pd.Series | np.ndarray,
    dates: pd.Series | pd.DatetimeIndex,
    frequency: str | Frequency,
    closures: Mapping,
) -> np.ndarray:
    """Which (series, period) rows ``closures`` close: ``dates`` (ISO days closed for every
    series), ``annual`` (``MM-DD`` days closed every year) and ``series`` (series id -> ISO
    days). A period is closed when every one of its days is (a week: all seven; a month: all
    of its days)."""
    dates = pd.DatetimeIndex(dates)
    everywhere = pd.DatetimeIndex(pd.to_datetime(list(closures.get("dates") or [])))
    annual = [int(day[:2]) * 100 + int(day[3:]) for day in closures.get("annual") or []]
    by_series = dict(closures.get("series") or {})
    if not (len(everywhere) or annual or by_series):
        return np.zeros(len(dates), dtype=bool)
    series = np.asarray(series).astype(str)
    pairs = None
    if by_series:
        owners = [sid for sid, days in by_series.items() for _ in days]
        days = pd.to_datetime([day for days in by_series.values() for day in days])
        pairs = pd.MultiIndex.from_arrays([owners, days])
        concerned = np.isin(series, list(by_series))
    period = Frequency.of(frequency)
    first_day = pd.DatetimeIndex(period.period_start(pd.Series(dates)))
    shut = np.ones(len(dates), dtype=bool)
    for back in range(period.max_days_per_period):
        day = dates - pd.Timedelta(days=back)
        closed = day.isin(everywhere)
        if annual:
            closed |= np.isin(day.month * 100 + day.day, annual)
        if pairs is not None and concerned.any():
            rows = pd.MultiIndex.from_arrays([series[concerned], day[concerned]])
            closed[concerned] |= rows.isin(pairs)
        # A day before the period's first (the 31st day back from a 30-day month's end)
        # belongs to the period before: it keeps nothing open.
        shut &= closed | (day < first_day)
    return shut
