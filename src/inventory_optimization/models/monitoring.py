"""Monitoring the forecasts the daily run issued against what then sold.

Each daily run logs its forecast (one partition per origin). Once a target date's sales are
in the panel, the forecast made for it from the latest origin before it (normally the day
before: horizon 1) is scored: per date, the actual and forecast totals, WAPE, bias and the
share of series whose actual fell inside the prediction interval; and over the last
``window`` dates, the rolling WAPE, bias and coverage. A rolling WAPE above the band measured
in training (the worst CV fold's WAPE of the ensemble, times ``1 + tolerance``) or a rolling
coverage more than ``coverage_tolerance`` from the interval's nominal level means the model
no longer fits the data it forecasts: the status says "retrain recommended" and why.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..panel.contract import DATE, DEMAND, IS_CLOSED, IS_KNOWN, SERIES_ID

RETRAIN = "retrain recommended"
MONITORING_COLUMNS = [
    DATE,
    "series",
    "actual",
    "forecast",
    "abs_error",
    "inside",
    "horizon",
    "champion_version",
    "wape",
    "bias",
    "coverage",
    "rolling_wape",
    "rolling_bias",
    "rolling_coverage",
    "band_max_wape",
    "status",
    "reason",
]
SERIES_COLUMNS = [
    SERIES_ID,
    "dates",
    "first_date",
    "last_date",
    "actual",
    "forecast",
    "abs_error",
    "coverage",
    "wape",
    "bias",
]
IN_BAND = "ok"
WARMING_UP = "warming up"


@dataclass(frozen=True)
class MonitoringBand:
    """What training measured, and how far the daily errors may stray from it."""

    cv_wape: float  # the worst CV fold's WAPE of the ensemble
    nominal_coverage: float
    tolerance: float = 0.25
    coverage_tolerance: float = 0.1
    window: int = 7
    min_dates: int = 3

    @property
    def max_wape(self) -> float:
        return self.cv_wape * (1 + self.tolerance)


def latest_forecasts(log: pd.DataFrame) -> pd.DataFrame:
    """Per series and target date, the forecast made from the latest origin before it."""
    ordered = log.sort_values([SERIES_ID, DATE, "origin"])
    return ordered.drop_duplicates([SERIES_ID, DATE], keep="last")


def scored_rows(log: pd.DataFrame, panel: pd.DataFrame, interval: tuple[str, str]) -> pd.DataFrame:
    """The logged forecasts (latest origin per series and date) whose sales are now known,
    with the actual demand, the absolute error and whether the actual fell inside the
    interval."""
    lower, upper = interval
    forecasts = latest_forecasts(log)
    known = panel.loc[panel[IS_KNOWN].astype(bool) & ~panel[IS_CLOSED].astype(bool)]
    actual = known[[SERIES_ID, DATE, DEMAND]].assign(**{SERIES_ID: known[SERIES_ID].astype(str)})
    rows = forecasts.assign(**{SERIES_ID: forecasts[SERIES_ID].astype(str)}).merge(
        actual, on=[SERIES_ID, DATE], how="inner"
    )
    rows["abs_error"] = (rows[DEMAND] - rows["y_pred"]).abs()
    rows["inside"] = (rows[DEMAND] >= rows[lower]) & (rows[DEMAND] <= rows[upper])
    return rows


def per_date(rows: pd.DataFrame) -> pd.DataFrame:
    """Totals per target date: series scored, actual, forecast, absolute error, series inside
    the interval, the longest horizon used and the champion version."""
    return (
        rows.groupby(DATE, sort=True)
        .agg(
            series=(SERIES_ID, "size"),
            actual=(DEMAND, "sum"),
            forecast=("y_pred", "sum"),
            abs_error=("abs_error", "sum"),
            inside=("inside", "sum"),
            horizon=("horizon", "max"),
            champion_version=("champion_version", "last"),
        )
        .reset_index()
    )


def per_series(rows: pd.DataFrame, window: int) -> pd.DataFrame:
    """Per series over its last ``window`` scored dates: actual, forecast, WAPE, bias and
    interval coverage, worst WAPE first."""
    recent = rows.sort_values(DATE).groupby(SERIES_ID, sort=False).tail(window)
    table = recent.groupby(SERIES_ID, sort=True).agg(
        dates=(DATE, "size"),
        first_date=(DATE, "min"),
        last_date=(DATE, "max"),
        actual=(DEMAND, "sum"),
        forecast=("y_pred", "sum"),
        abs_error=("abs_error", "sum"),
        coverage=("inside", "mean"),
    )
    actual = table["actual"].where(table["actual"] > 0)
    table["wape"] = table["abs_error"] / actual
    table["bias"] = table["forecast"] / actual
    table = table.reset_index()[SERIES_COLUMNS]
    return table.sort_values("wape", ascending=False, na_position="last")


def monitor(per_date: pd.DataFrame, band: MonitoringBand) -> pd.DataFrame:
    """The monitoring table: per date its own and its rolling WAPE, bias and coverage, and
    the status the rolling figures give against the training band (with the reason)."""
    table = per_date.sort_values(DATE).reset_index(drop=True).copy()
    actual = table["actual"].astype(float)
    table["wape"] = table["abs_error"] / actual.where(actual > 0)
    table["bias"] = table["forecast"] / actual.where(actual > 0)
    table["coverage"] = table["inside"] / table["series"]
    rolling = (
        table[["abs_error", "actual", "forecast", "inside", "series"]]
        .rolling(band.window, min_periods=1)
        .sum()
    )
    rolled_actual = rolling["actual"].where(rolling["actual"] > 0)
    table["rolling_wape"] = rolling["abs_error"] / rolled_actual
    table["rolling_bias"] = rolling["forecast"] / rolled_actual
    table["rolling_coverage"] = rolling["inside"] / rolling["series"]
    table["band_max_wape"] = band.max_wape
    statuses = [_status(row, position + 1, band) for position, row in enumerate(table.itertuples())]
    table["status"] = [status for status, _ in statuses]
    table["reason"] = [reason for _, reason in statuses]
    return table


def _status(row, dates_seen: int, band: MonitoringBand) -> tuple[str, str]:
    if dates_seen < band.min_dates:
        return WARMING_UP, f"{dates_seen} of {band.min_dates} scored dates"
    problems = []
    if np.isfinite(row.rolling_wape) and row.rolling_wape > band.max_wape:
        problems.append(
            f"rolling WAPE {row.rolling_wape:.3f} over the last {band.window} dates is above "
            f"the training band's {band.max_wape:.3f} (worst CV fold {band.cv_wape:.3f} + "
            f"{band.tolerance:.0%})"
        )
    low = band.nominal_coverage - band.coverage_tolerance
    high = band.nominal_coverage + band.coverage_tolerance
    if not low <= row.rolling_coverage <= high:
        problems.append(
            f"rolling interval coverage {row.rolling_coverage:.3f} is outside "
            f"{low:.2f}-{high:.2f} (nominal {band.nominal_coverage:.2f})"
        )
    if problems:
        return RETRAIN, "; ".join(problems)
    return IN_BAND, (
        f"rolling WAPE {row.rolling_wape:.3f} <= {band.max_wape:.3f}, coverage "
        f"{row.rolling_coverage:.3f} within {low:.2f}-{high:.2f}"
    )
