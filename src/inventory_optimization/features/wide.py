"""Wide (date x series) matrices of the panel, and statistics over trailing windows read only
at the forecast origins: (origins x window x series) stacks reduced along the window axis."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..panel.contract import DATE, SERIES_ID


class WideIndex:
    """Positions of each panel row in a date x series matrix, computed once."""

    def __init__(self, panel: pd.DataFrame, dates: pd.DatetimeIndex, series: pd.Index) -> None:
        self.shape = (len(dates), len(series))
        # Each panel date is on the axis (the panel's own grid); months vary in length, so a
        # row is looked up, not computed from a fixed step.
        self.rows = dates.get_indexer(panel[DATE]).astype("int64")
        if (self.rows < 0).any():
            off = panel.loc[self.rows < 0, DATE]
            raise ValueError(
                f"{len(off)} of {len(panel)} panel rows have a date off the axis "
                f"({dates[0].date()} to {dates[-1].date()}), e.g. {off.iloc[0].date()}"
            )
        self.cols = pd.Categorical(panel[SERIES_ID], categories=series).codes.astype("int64")

    def matrix(self, values: pd.Series | np.ndarray) -> np.ndarray:
        out = np.full(self.shape, np.nan)
        out[self.rows, self.cols] = np.asarray(values, dtype="float64")
        return out


def gather(matrix: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Values at (row, column) position pairs; positions outside the matrix (e.g. -1 from
    ``get_indexer`` for an unseen label) give NaN."""
    n_rows, n_cols = matrix.shape
    inside = (rows >= 0) & (rows < n_rows) & (cols >= 0) & (cols < n_cols)
    out = matrix.ravel().take(np.where(inside, rows * n_cols + cols, 0))
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


def _sorted_pick(ordered: np.ndarray, position: np.ndarray) -> np.ndarray:
    return np.take_along_axis(ordered, position[:, None, :], axis=1)[:, 0, :]


def window_stats(stack: np.ndarray, stats: list[str] | tuple[str, ...]) -> dict[str, np.ndarray]:
    """NaN-aware statistics along the window axis of an (origins, window, series) stack.

    All-NaN windows give NaN (std needs two values). Order statistics share one sort (NaN sorts
    last), several times faster than numpy's nanmedian on many short windows.
    """
    count = np.sum(~np.isnan(stack), axis=1)
    empty = count == 0
    out: dict[str, np.ndarray] = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        if {"median", "min", "max"} & set(stats):
            ordered = np.sort(stack, axis=1)
            order_stats = {
                "min": lambda: ordered[:, 0, :],
                "max": lambda: _sorted_pick(ordered, np.maximum(count - 1, 0)),
                "median": lambda: (
                    0.5
                    * (
                        _sorted_pick(ordered, np.maximum(count - 1, 0) // 2)
                        + _sorted_pick(ordered, count // 2)
                    )
                ),
            }
            for stat in {"median", "min", "max"} & set(stats):
                out[stat] = np.where(empty, np.nan, order_stats[stat]())
        total = np.nansum(stack, axis=1)
        mean = np.where(empty, np.nan, total / count)
        out["sum"], out["mean"] = total, mean
        if "std" in stats:
            squares = np.nansum((stack - mean[:, None, :]) ** 2, axis=1)
            out["std"] = np.where(count >= 2, np.sqrt(squares / (count - 1)), np.nan)
    unknown = set(stats) - set(out)
    if unknown:
        raise ValueError(f"unknown statistic(s) {sorted(unknown)}")
    return {stat: out[stat] for stat in stats}


def reduce(stack: np.ndarray, stat: str) -> np.ndarray:
    """One NaN-aware statistic along the window axis (see ``window_stats``)."""
    return window_stats(stack, [stat])[stat]


def nan_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = numerator / denominator
    return np.where(np.isfinite(ratio), ratio, np.nan)
