"""Nodes of the forecasting stage: the saved forecaster bundle forecasts the panel's latest
origin (``models.bundle``); no model is tuned or fitted."""

from __future__ import annotations

import logging
import time
from typing import Any

import pandas as pd

from ...models.bundle import ForecasterBundle, interval_columns
from ...models.monitoring import (
    MONITORING_COLUMNS,
    RETRAIN,
    SERIES_COLUMNS,
    MonitoringBand,
    monitor,
    per_date,
    per_series,
    scored_rows,
)
from ...panel.contract import DATE, SERIES_ID
from ...panel.periods import Frequency
from ...reporting import charts, summary

logger = logging.getLogger(__name__)


def forecast_from_bundle(
    champion_bundle: ForecasterBundle,
    demand_panel: pd.DataFrame,
    series_attributes: pd.DataFrame,
    panel_metadata: dict[str, Any],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ensemble's forecast of every series over the horizon after the panel's last date,
    with quantiles, the interval and the champion's version, from the registered champion
    bundle; twice: as today's forecast and as the forecast log's entry for this origin."""
    champion_bundle.check_fits(panel_metadata)
    origin = pd.Timestamp(demand_panel[DATE].max())
    frequency = Frequency.of(panel_metadata["frequency"])
    trained = champion_bundle.trained_until
    started = time.perf_counter()
    forecast = champion_bundle.predict(
        demand_panel, series_attributes, origin, panel_metadata=panel_metadata
    )
    seconds = time.perf_counter() - started
    forecast["champion_version"] = champion_bundle.registered_version or "unregistered"
    new_series = sorted(
        set(demand_panel[SERIES_ID].astype(str))
        - set(champion_bundle.feature_transforms.profile[SERIES_ID].astype(str))
    )
    logger.info(
        "Forecast from the champion (version %s, trained until %s, %d %s before the origin "
        "%s): %d series x %d %s in %.1f s%s",
        champion_bundle.registered_version or "unregistered",
        trained.date(),
        frequency.periods_between(trained, origin),
        frequency.unit,
        origin.date(),
        forecast[SERIES_ID].nunique(),
        champion_bundle.horizon,
        frequency.unit,
        seconds,
        f"; {len(new_series)} series unknown to training (e.g. {new_series[:3]}) forecast "
        "from their own history and the typical series' level"
        if new_series
        else "",
    )
    return forecast, forecast


def monitor_forecasts(
    forecast_history: pd.DataFrame,
    demand_panel: pd.DataFrame,
    champion_bundle: ForecasterBundle,
    monitoring: dict[str, Any],
) -> tuple[pd.DataFrame, pd.DataFrame, Any]:
    """Score the forecasts earlier daily runs logged against the sales since known: the
    monitoring table per date (with its status against the training band), the per-series
    table over the last window, and the chart."""
    calibration = champion_bundle.calibration
    band = MonitoringBand(
        cv_wape=max(calibration.fold_wape) if calibration.fold_wape else float("nan"),
        nominal_coverage=calibration.interval.nominal,
        tolerance=float(monitoring.get("wape_tolerance", 0.25)),
        coverage_tolerance=float(monitoring.get("coverage_tolerance", 0.1)),
        window=int(monitoring.get("window", 7)),
        min_dates=int(monitoring.get("min_dates", 3)),
    )
    if forecast_history.empty:
        logger.info("Monitoring: no earlier daily forecast logged yet; nothing to score")
        rows = pd.DataFrame()
    else:
        rows = scored_rows(forecast_history, demand_panel, interval_columns(band.nominal_coverage))
    if rows.empty:
        table = pd.DataFrame(columns=MONITORING_COLUMNS)
        series = pd.DataFrame(columns=SERIES_COLUMNS)
    else:
        table = monitor(per_date(rows), band)
        series = per_series(rows, band.window)
        latest = table.iloc[-1]
        log = logger.warning if latest["status"] == RETRAIN else logger.info
        log(
            "Monitoring (%d scored dates, latest %s): %s: %s",
            len(table),
            pd.Timestamp(latest["date"]).date(),
            latest["status"],
            latest["reason"],
        )
    return table, series, charts.monitoring_chart(table)


def daily_report(
    panel_metadata: dict[str, Any],
    replenishment_plan: pd.DataFrame,
    forecast_monitoring: pd.DataFrame,
    monitoring_figure,
    daily_forecast: pd.DataFrame,
    options: dict[str, Any],
    order_sheet: pd.DataFrame | None = None,
    sheet_options: dict[str, Any] | None = None,
) -> str:
    """The morning's HTML report: today's orders, the champion, the monitored accuracy and,
    when monitoring says so, the retrain recommendation with its reason."""
    versions = daily_forecast["champion_version"].astype(str).unique()
    return summary.daily_summary_html(
        title=f"{options['title']}: today's orders",
        metadata=panel_metadata,
        plan=replenishment_plan,
        monitoring=forecast_monitoring,
        figures={"Monitored forecast error over time": monitoring_figure},
        champion_version=", ".join(versions),
        retrain_status=RETRAIN,
        plan_rows=options["plan_rows"],
        order_sheet=order_sheet,
        forward_figure=charts.forward_forecast_chart(
            daily_forecast,
            top=options["forward_series"],
            band=tuple(options["band"]),
            unit=str((sheet_options or {}).get("unit", "")),
        ),
        latest_report=options.get("daily_latest_report"),
    )
