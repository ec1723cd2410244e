"""Monitoring the daily forecasts: the latest forecast per date is scored once its sales are
known, rolling figures are checked against the training band, the log keeps one entry per
origin."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kedro.io import DatasetError

from inventory_optimization.datasets import ForecastLogDataset
from inventory_optimization.models.monitoring import (
    RETRAIN,
    WARMING_UP,
    MonitoringBand,
    latest_forecasts,
    monitor,
    per_date,
    per_series,
    scored_rows,
)

DAYS = pd.date_range("2025-03-01", periods=10, freq="D")
SERIES = ["A", "B"]


def _log(origins: pd.DatetimeIndex, level: float = 10.0, horizon: int = 3) -> pd.DataFrame:
    """Forecasts of ``level`` a day for both series, with a 8-12 interval, from each origin."""
    frames = []
    for origin in origins:
        for step in range(1, horizon + 1):
            for series in SERIES:
                frames.append(
                    {
                        "series_id": series,
                        "origin": origin,
                        "date": origin + pd.Timedelta(days=step),
                        "horizon": step,
                        # forecasts further ahead are worse, so the latest origin must win
                        "y_pred": level + (step - 1) * 5,
                        "lower_80": 8.0,
                        "upper_80": 12.0,
                        "champion_version": "3",
                    }
                )
    return pd.DataFrame(frames)


def _panel(actual: np.ndarray) -> pd.DataFrame:
    """Both series sell ``actual[i]`` on DAYS[i]."""
    return pd.DataFrame(
        {
            "series_id": np.repeat(SERIES, len(DAYS)),
            "date": np.tile(DAYS, len(SERIES)),
            "demand": np.tile(actual, len(SERIES)),
            "is_known": True,
            "is_closed": False,
        }
    )


BAND = MonitoringBand(
    cv_wape=0.2, nominal_coverage=0.8, coverage_tolerance=0.2, window=3, min_dates=2
)


def test_each_date_is_scored_once_from_the_latest_origin_before_it():
    log = _log(DAYS[:5])
    latest = latest_forecasts(log)
    assert len(latest) == len(latest.drop_duplicates(["series_id", "date"]))
    # DAYS[1] .. DAYS[5] were forecast a day ahead; DAYS[6], DAYS[7] only from DAYS[4]
    one_ahead = latest.set_index(["series_id", "date"])["horizon"].xs("A")
    assert one_ahead.loc[DAYS[1] : DAYS[5]].eq(1).all()
    assert one_ahead.loc[DAYS[6]] == 2 and one_ahead.loc[DAYS[7]] == 3


def test_dates_without_known_sales_and_closed_days_are_not_scored():
    panel = _panel(np.full(len(DAYS), 10.0))
    panel.loc[panel["date"] == DAYS[3], "is_closed"] = True
    panel = panel[panel["date"] <= DAYS[5]]  # sales known up to DAYS[5]
    rows = scored_rows(_log(DAYS[:5]), panel, ("lower_80", "upper_80"))
    assert sorted(rows["date"].unique()) == [DAYS[1], DAYS[2], DAYS[4], DAYS[5]]
    table = per_date(rows)
    assert table["series"].eq(2).all() and table["abs_error"].eq(0).all()
    assert table["champion_version"].eq("3").all()


def test_forecasts_in_line_with_training_are_ok_and_a_drift_recommends_retraining():
    actual = np.array([10, 10, 10, 10, 10, 20, 20, 20, 20, 20], dtype=float)
    rows = scored_rows(_log(DAYS[:9]), _panel(actual), ("lower_80", "upper_80"))
    table = monitor(per_date(rows), BAND).set_index("date")
    assert table.loc[DAYS[1], "status"] == WARMING_UP
    assert table.loc[DAYS[4], "status"] == "ok"
    assert table.loc[DAYS[4], "rolling_wape"] == 0
    # From DAYS[5] on sales doubled: the day's WAPE is 0.5, the rolling one climbs past 0.25.
    assert table.loc[DAYS[5], "wape"] == pytest.approx(0.5)
    assert table.loc[DAYS[5], "bias"] == pytest.approx(0.5)
    assert table.loc[DAYS[7], "status"] == RETRAIN
    reason = table.loc[DAYS[7], "reason"]
    assert "rolling WAPE 0.500 over the last 3 dates is above the training band's 0.250" in reason
    assert "rolling interval coverage 0.000 is outside 0.60-1.00 (nominal 0.80)" in reason


def test_per_series_summary_covers_the_last_window():
    actual = np.arange(10, 20, dtype=float)
    rows = scored_rows(_log(DAYS[:9]), _panel(actual), ("lower_80", "upper_80"))
    series = per_series(rows, window=3).set_index("series_id")
    assert series.loc["A", "dates"] == 3
    assert series.loc["A", "last_date"] == DAYS[9] and series.loc["A", "first_date"] == DAYS[7]
    assert series.loc["A", "actual"] == 17 + 18 + 19
    assert series.loc["A", "bias"] == pytest.approx(30 / 54)


def test_the_forecast_log_keeps_one_entry_per_origin(tmp_path):
    dataset = ForecastLogDataset(str(tmp_path / "log"))
    assert dataset.load().empty and not dataset.exists()
    log = _log(DAYS[:2])
    for _, frame in log.groupby("origin"):
        dataset.save(frame)
    dataset.save(log[log["origin"] == DAYS[1]].assign(y_pred=99.0))  # the day run again
    loaded = dataset.load()
    assert len(loaded) == len(log)
    assert loaded.loc[loaded["origin"] == DAYS[1], "y_pred"].eq(99.0).all()
    assert sorted(p.name for p in (tmp_path / "log").iterdir()) == [
        "origin=2025-03-01.parquet",
        "origin=2025-03-02.parquet",
    ]
    with pytest.raises(DatasetError, match="holds one origin; this one has 2"):
        dataset.save(log)
