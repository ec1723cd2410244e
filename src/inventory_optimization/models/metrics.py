"""Forecast metrics of the benchmark protocol, as plain numpy functions."""

from __future__ import annotations

import numpy as np
import pandas as pd


def wape(y: np.ndarray, pred: np.ndarray) -> float:
    """Sum of absolute errors over sum of absolute actuals."""
    return float(np.sum(np.abs(y - pred)) / np.sum(np.abs(y)))


def rmspe(y: np.ndarray, pred: np.ndarray) -> float:
    """Root mean squared percentage error (Kaggle Rossmann); rows with y == 0 are skipped."""
    keep = y != 0
    return float(np.sqrt(np.mean(((y[keep] - pred[keep]) / y[keep]) ** 2)))


def wmae(
    y: np.ndarray, pred: np.ndarray, holiday: np.ndarray, holiday_weight: float = 5.0
) -> float:
    """Weighted MAE (Kaggle Walmart): holiday weeks weigh ``holiday_weight``."""
    weights = np.where(np.asarray(holiday) > 0, holiday_weight, 1.0)
    return float(np.sum(weights * np.abs(y - pred)) / np.sum(weights))


def rmsle(y: np.ndarray, pred: np.ndarray) -> float:
    """Root mean squared log error (Kaggle Recruit); negatives are clipped to zero."""
    return float(
        np.sqrt(np.mean((np.log1p(np.clip(pred, 0, None)) - np.log1p(np.clip(y, 0, None))) ** 2))
    )


def rmse(y: np.ndarray, pred: np.ndarray) -> float:
    return float(np.sqrt(np.mean((y - pred) ** 2)))


def mase(y: np.ndarray, pred: np.ndarray, series: np.ndarray, naive_mae: pd.Series) -> float:
    """Mean over series of MAE / in-sample MAE of the seasonal naive forecast."""
    errors = pd.Series(np.abs(y - pred)).groupby(np.asarray(series)).mean()
    scale = naive_mae.reindex(errors.index)
    ratio = errors / scale.where(scale > 0)
    return float(ratio.mean())


def pinball(y: np.ndarray, quantile_pred: np.ndarray, level: float) -> float:
    diff = y - quantile_pred
    return float(np.mean(np.maximum(level * diff, (level - 1) * diff)))


def mean_pinball(y: np.ndarray, quantiles: dict[float, np.ndarray]) -> float:
    return float(np.mean([pinball(y, values, level) for level, values in quantiles.items()]))


def coverage(y: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    return float(np.mean((y >= lower) & (y <= upper)))


def headline(
    metric: str, y: np.ndarray, pred: np.ndarray, holiday: np.ndarray | None = None
) -> float:
    """The protocol's headline metric by name: rmspe, wmae, rmsle, wape or rmse."""
    if metric == "wmae":
        return wmae(y, pred, holiday if holiday is not None else np.zeros_like(y))
    return {"rmspe": rmspe, "rmsle": rmsle, "wape": wape, "rmse": rmse}[metric](y, pred)


def seasonal_naive_mae(
    panel: pd.DataFrame,
    season: int,
    until: pd.Timestamp,
    series_col: str = "series_id",
    value: str = "demand",
) -> pd.Series:
    """In-sample MAE of the seasonal naive forecast per series, on data up to ``until``."""
    history = panel.loc[panel["date"] <= until, [series_col, "date", value]].sort_values(
        [series_col, "date"]
    )
    lagged = history.groupby(series_col, sort=False)[value].shift(season)
    return (history[value] - lagged).abs().groupby(history[series_col]).mean()
