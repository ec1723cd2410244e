"""Demand history read at the forecast origin: lags, target-aligned seasonal lags, rolling
windows, EWM, differences and the time since the last record (families ``lag``,
``seasonality``, ``rolling``, ``ewm``, ``difference``, ``history``)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .catalog import FamilyColumns, FeatureCatalog
from .grid import Grid
from .wide import nan_ratio, trailing, window_stats


def history_columns(grid: Grid, params: Mapping, catalog: FeatureCatalog) -> dict[str, np.ndarray]:
    """Every column here uses demand up to and including the origin only."""
    rows, y_raw, y_open = grid.rows, grid.demand, grid.open_demand
    out = FamilyColumns(catalog)
    for lag in params["lags"]:
        out.put(
            f"lag_{lag}",
            rows.read(y_raw, rows.origin_pos - (lag - 1)),
            "lag",
            f"demand {lag - 1} periods before the origin (lag {lag} of the first step)",
            window=grid.span(lag),
        )
    for season_lag in params["seasonal_lags"]:
        # The latest period on or before the origin a whole number of seasons before the target.
        back = season_lag * np.ceil(rows.horizon / season_lag).astype(int)
        out.put(
            f"seasonal_lag_{season_lag}",
            rows.read(y_raw, rows.target_pos - back),
            "lag",
            f"demand at the same position of the most recent {season_lag}-period "
            "season known at the origin",
            window=grid.span(season_lag),
        )
    if grid.frequency.is_daily and 7 in params["seasonal_lags"]:
        back = 7 * np.ceil(rows.horizon / 7).astype(int)
        same_weekday = np.stack(
            [rows.read(y_open, rows.target_pos - back - 7 * k) for k in range(4)]
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            out.put(
                "same_weekday_mean_4",
                np.nanmean(same_weekday, axis=0),
                "seasonality",
                "mean open-day demand of the target's weekday over the 4 weeks before the origin",
                window=grid.span(28),
            )

    for window in params["rolling_windows"]:
        stats = window_stats(trailing(y_open, grid.origin_pos, window), params["rolling_stats"])
        for stat, values in stats.items():
            out.put(
                f"rolling_{stat}_{window}",
                rows.at_origin(values),
                "rolling",
                f"{stat} of open-period demand over the {window} periods ending at the origin",
                window=grid.span(window),
            )
    for halflife in params["ewm_halflives"]:
        ewm = pd.DataFrame(y_open).ewm(halflife=halflife, ignore_na=True).mean().to_numpy()
        out.put(
            f"ewm_{halflife}",
            rows.at_origin(ewm[grid.origin_pos]),
            "ewm",
            f"exponentially weighted mean of open-period demand, half-life {halflife} periods",
            window=f"halflife {grid.span(halflife)}",
        )
    for lag in params["diff_lags"]:
        out.put(
            f"diff_{lag}",
            rows.read(y_raw, rows.origin_pos) - rows.read(y_raw, rows.origin_pos - lag),
            "difference",
            f"demand at the origin minus demand {lag} periods earlier",
            window=grid.span(lag),
        )
    short = params["rolling_windows"][0]
    out.put(
        f"pct_change_{short}",
        nan_ratio(
            grid.window_stat(y_open, short, "mean"),
            grid.window_stat(y_open, short, "mean", offset=short),
        )
        - 1,
        "difference",
        f"relative change of the {short}-period mean against the {short} periods before",
        window=grid.span(2 * short),
    )
    positions = np.arange(len(grid.dates))[:, None]
    last_seen = pd.DataFrame(np.where(grid.observed == 1, positions, np.nan))
    out.put(
        "periods_since_observed",
        rows.origin_pos - rows.at_origin(last_seen.ffill().to_numpy()[grid.origin_pos]),
        "history",
        "periods between the origin and the series' last observed record",
    )
    return out.columns
