"""Wide (date x series) matrices of the panel, and statistics over trailing windows read only
at the forecast origins: (origins x window x series) stacks reduced along the window axis."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..panel.contract import DATE, SERIES_ID


class WideIndex:
    """Positions of each panel row in a date x series matrix, computed once."""

    def __init__(self, panel: pd.DataFrame, dates: pd.DatetimeIndex, series: pd.Index) -> None:
        self.shape = (len(dates), len(series))
        self.rows = dates.get_indexer(panel[DATE])
        self.cols = series.get_indexer(panel[SERIES_ID])

    def matrix(self, values: pd.Series | np.ndarray) -> np.ndarray:
        out = np.full(self.shape, np.nan)
        out[self.rows, self.cols] = np.asarray(values, dtype="float64")
        return out


def gather(matrix: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Values at (row, column) position pairs; rows outside the matrix give NaN."""
    n_rows, n_cols = matrix.shape
    inside = (rows >= 0) & (rows < n_rows)
    out = matrix.ravel().take(np.where(inside, rows, 0) * n_cols + cols)
    if not inside.all():
        out[~inside] = np.nan
    return out


def trailing(
    matrix: np.ndarray, origin_pos: np.ndarray, window: int, offset: int = 0
) -> np.ndarray:
    """The ``window`` rows ending ``offset`` rows before each origin: (origins, window, series).
    Rows before the start of the matrix are NaN."""
    positions = origin_pos[:, None] - offset + np.arange(-window + 1, 1)[None, :]
    stack = matrix[np.clip(positions, 0, None)]
    stack[positions < 0] = np.nan
    return stack


def reduce(stack: np.ndarray, stat: str) -> np.ndarray:
    """NaN-aware statistic along the window axis; all-NaN windows give NaN (std needs two)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if stat == "std":
            count = np.sum(~np.isnan(stack), axis=1)
            return np.where(count >= 2, np.nanstd(stack, axis=1, ddof=1), np.nan)
        return {
            "mean": np.nanmean,
            "median": np.nanmedian,
            "min": np.nanmin,
            "max": np.nanmax,
            "sum": np.nansum,
        }[stat](stack, axis=1)


def nan_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = numerator / denominator
    return np.where(np.isfinite(ratio), ratio, np.nan)
