"""statsmodels exponential smoothing (Holt-Winters), one model per series and origin."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from .base import ForecastContext, Forecaster
from .history import DemandHistory


def _fill(history: np.ndarray) -> np.ndarray:
    """Interpolate gaps; leading NaN are dropped by the caller's trim."""
    series = pd.Series(history)
    return series.interpolate(limit_direction="both").to_numpy()


def _fit_one(
    values: np.ndarray,
    horizon: int,
    season: int,
    params: dict,
    trend: str | None,
    use_season: str | None,
) -> np.ndarray:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ExponentialSmoothing(
            values,
            trend=trend,
            damped_trend=bool(trend) and params.get("damped_trend", True),
            seasonal=use_season,
            seasonal_periods=season if use_season else None,
            initialization_method="heuristic" if use_season else "estimated",
        )
        fit = model.fit(
            smoothing_level=params.get("smoothing_level"),
            smoothing_trend=params.get("smoothing_trend") if trend else None,
            smoothing_seasonal=params.get("smoothing_seasonal") if use_season else None,
            damping_trend=params.get("damping_trend") if trend else None,
            optimized=params.get("optimized", False),
        )
        forecast = fit.forecast(horizon)
    return forecast


def _forecast_block(
    histories: np.ndarray, horizon: int, season: int, params: dict, log: bool
) -> np.ndarray:
    """Forecast ``horizon`` steps for each row of a (series, time) block."""

    out = np.full((histories.shape[0], horizon), np.nan)
    trend = params.get("trend")
    seasonal = params.get("seasonal")
    for row, raw in enumerate(histories):
        known = raw[~np.isnan(raw)]
        if len(known) < 3:
            out[row] = known[-1] if len(known) else np.nan
            continue
        first = np.argmax(~np.isnan(raw))
        values = _fill(raw[first:])
        values = np.log1p(np.clip(values, 0, None)) if log else values
        # statsmodels' heuristic start needs 10 + 2 * (season // 2) points and two seasons.
        enough = len(values) >= max(2 * season + 1, 10 + 2 * (season // 2))
        use_season = seasonal if enough else None
        if use_season == "mul" and values.min() <= 0:
            use_season = "add"
        try:
            forecast = _fit_one(values, horizon, season, params, trend, use_season)
        except (ValueError, np.linalg.LinAlgError):
            # One series that statsmodels cannot fit must not stop the others: it gets the
            # mean of its last season.
            forecast = np.full(horizon, np.mean(values[-season:]))
        out[row] = np.expm1(forecast) if log else forecast
    return out


class ETSForecaster(Forecaster):
    """Holt-Winters exponential smoothing fitted per series on the history up to each origin.

    Smoothing parameters are shared by all series and tuned by Optuna (``optimized: false``),
    which keeps each fit a cheap filter; ``optimized: true`` lets statsmodels fit each series.
    Series are split into blocks forecast in parallel processes.
    """

    name = "ets"
    version = 3  # closed periods are gaps; series statsmodels cannot fit fall back

    def fit(self, train: pd.DataFrame, context: ForecastContext) -> ETSForecaster:
        return self  # a local model: everything is fitted per series at prediction time

    def predict(self, rows: pd.DataFrame, context: ForecastContext) -> np.ndarray:
        history = DemandHistory(context.panel, context.frequency)
        length = int(self.params.get("history", 4 * context.season_length))
        log = context.target_transform == "log1p"
        settings = {k: v for k, v in self.params.items() if k != "history"}
        predictions = np.full(len(rows), np.nan)
        for origin, group in rows.groupby("origin", sort=True, observed=True):
            pairs = group[["series_id"]].astype(str).drop_duplicates()
            windows = history.window(
                pd.DatetimeIndex([origin] * len(pairs)), pairs["series_id"], length
            )
            horizon = int(group["horizon"].max())
            blocks = np.array_split(windows, max(1, min(context.n_jobs, len(windows) // 200)))
            jobs = min(context.n_jobs, len(blocks))
            forecasts = Parallel(n_jobs=jobs)(
                delayed(_forecast_block)(block, horizon, context.season_length, settings, log)
                for block in blocks
            )
            table = pd.DataFrame(np.vstack(forecasts), index=pairs["series_id"].to_numpy())
            positions = np.flatnonzero(rows["origin"].to_numpy() == np.datetime64(origin))
            series = rows["series_id"].astype(str).to_numpy()[positions]
            steps = rows["horizon"].to_numpy()[positions] - 1
            predictions[positions] = table.to_numpy()[table.index.get_indexer(series), steps]
        return predictions
