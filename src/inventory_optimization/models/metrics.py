"""Forecast metrics of the benchmark protocol, as plain numpy functions.

Besides the Kaggle metrics (RMSPE, WMAE, RMSLE) and WAPE, the scaled metrics of the M5
competition for item-level, mostly-zero data: RMSSE (accuracy) and the scaled pinball loss
(uncertainty), each divided per series by the in-sample error of the one-step naive forecast
and averaged over series with weights (``series_scales``). ``auto_headline`` picks the
headline from how intermittent the data is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..panel.contract import DATE, DEMAND, IS_CLOSED, SERIES_ID, known_demand

HEADLINE_METRICS = ("rmsse", "wape", "rmspe", "wmae", "rmsle", "rmse")
PRICE_COLUMNS = ("price", "unit_price")
# ``auto``: RMSSE when at least this share of the known open periods is zero, or when most of
# the volume is in intermittent or lumpy series (Syntetos-Boylan ADI >= 1.32).
ZERO_SHARE_CUTOFF = 0.3
VOLUME_SHARE_CUTOFF = 0.5


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


def bias(y: np.ndarray, pred: np.ndarray) -> float:
    """Total forecast over total actual: 1.0 is unbiased, below 1 under-forecasts (NaN when
    nothing was sold)."""
    total = float(np.sum(y))
    return float(np.sum(pred)) / total if total != 0 else float("nan")


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


@dataclass(frozen=True)
class SeriesScales:
    """Per series (index: ``series_id`` as text) the M5 scales and weight at one origin:
    ``mse_scale`` and ``mae_scale``, the in-sample mean squared and mean absolute one-step
    naive error, and ``weight``, revenue (or units) over the last ``horizon`` periods."""

    table: pd.DataFrame
    weight_basis: str  # "revenue (demand x <price column>)" or "units"
    origin: pd.Timestamp

    def usable(self, scale: str = "mse_scale") -> pd.Series:
        """Series that count: a positive weight and a positive, finite scale."""
        weight, value = self.table["weight"], self.table[scale]
        return (weight > 0) & (value > 0) & np.isfinite(value)

    def exclusions(self, series: np.ndarray | pd.Series) -> dict[str, int]:
        """Of the distinct ``series``: how many are scored, and how many are left out for a
        zero weight or for a zero or undefined scale (no history of their own counts as the
        latter)."""
        ids = pd.Index(pd.unique(np.asarray(series).astype(str)))
        table = self.table.reindex(ids)
        no_scale = ~((table["mse_scale"] > 0) & np.isfinite(table["mse_scale"]))
        zero_weight = ~(table["weight"] > 0) & ~no_scale
        return {
            "series": len(ids),
            "scored": int((~no_scale & ~zero_weight).sum()),
            "zero_weight": int(zero_weight.sum()),
            "no_scale": int(no_scale.sum()),
        }


def series_scales(
    panel: pd.DataFrame,
    until: str | pd.Timestamp,
    horizon: int,
    price: str | None = None,
) -> SeriesScales:
    """The M5 scales and weights per series from the panel's history up to ``until``.

    Only known, open periods count (records and filled zero days; closed and unknown periods
    are skipped), and the naive differences are taken between consecutive known periods, so a
    closure or a gap never becomes a fake jump. A series' history starts at its first
    non-zero demand. The weight is the revenue (demand x ``price``, by default the panel's
    ``price`` or ``unit_price`` column) of the last ``horizon`` periods of the panel's dates up
    to ``until``, or units sold when the panel has no price.
    """
    until = pd.Timestamp(until)
    history = panel.loc[panel[DATE] <= until]
    usable = known_demand(history) & ~history[IS_CLOSED].astype(bool)
    price = price or next((c for c in PRICE_COLUMNS if c in panel.columns), None)
    columns = [SERIES_ID, DATE, DEMAND, *([price] if price else [])]
    known = history.loc[usable, columns].sort_values([SERIES_ID, DATE])
    by_series = known.groupby(SERIES_ID, sort=False, observed=True)

    started = (known[DEMAND] != 0).astype(np.int8).groupby(
        known[SERIES_ID], observed=True
    ).cummax() > 0
    active = known.loc[started.to_numpy(), [SERIES_ID, DEMAND]]
    step = active.groupby(SERIES_ID, sort=False, observed=True)[DEMAND].diff()
    naive = pd.DataFrame(
        {"mse_scale": step**2, "mae_scale": step.abs(), SERIES_ID: active[SERIES_ID]}
    )
    scales = naive.groupby(SERIES_ID, sort=False, observed=True)[["mse_scale", "mae_scale"]].mean()

    dates = np.sort(history[DATE].unique())[-int(horizon) :]
    in_window = known[DATE].isin(dates).to_numpy()
    if price:
        unit_price = known[price].fillna(by_series[price].transform("mean"))
        value = (known[DEMAND] * unit_price)[in_window]
        basis = f"revenue (demand x {price})"
    else:
        value = known.loc[in_window, DEMAND]
        basis = "units"
    weight = value.groupby(known.loc[in_window, SERIES_ID], observed=True).sum()

    ids = pd.Index(panel[SERIES_ID].unique(), name=SERIES_ID).astype(str)
    scales.index = scales.index.astype(str)
    weight.index = weight.index.astype(str)
    table = scales.reindex(ids)
    table["weight"] = weight.reindex(ids).fillna(0.0)
    return SeriesScales(table, basis, until)


def _weighted(per_series: pd.Series, scales: SeriesScales, scale: str, root: bool = False) -> float:
    """Weighted mean over the usable series of ``per_series`` / scale (its square root if
    ``root``)."""
    usable = scales.usable(scale).reindex(per_series.index, fill_value=False)
    if not usable.any():
        return float("nan")
    table = scales.table.loc[usable[usable].index]
    ratio = per_series[usable] / table[scale]
    if root:
        ratio = np.sqrt(ratio)
    return float((ratio * table["weight"]).sum() / table["weight"].sum())


def rmsse(
    y: np.ndarray, pred: np.ndarray, series: np.ndarray | pd.Series, scales: SeriesScales
) -> float:
    """M5's headline, the weighted root mean squared scaled error: per series the square root
    of its mean squared error over its in-sample naive ``mse_scale``, averaged over series with
    ``scales``' weights; series with a zero weight or a zero or undefined scale are left out
    (``SeriesScales.exclusions`` counts them)."""
    ids = np.asarray(series).astype(str)
    mse = pd.Series((np.asarray(y, float) - np.asarray(pred, float)) ** 2).groupby(ids).mean()
    return _weighted(mse, scales, "mse_scale", root=True)


def scaled_pinball(
    y: np.ndarray,
    quantiles: dict[float, np.ndarray],
    series: np.ndarray | pd.Series,
    scales: SeriesScales,
) -> float:
    """M5 uncertainty's scaled pinball loss: per series and level the mean pinball loss over
    the series' in-sample mean absolute naive error (``mae_scale``), averaged over the levels
    and then over series with ``scales``' weights."""
    y = np.asarray(y, float)
    losses = np.zeros_like(y)
    for level, values in quantiles.items():
        diff = y - np.asarray(values, float)
        losses += np.maximum(level * diff, (level - 1) * diff)
    ids = np.asarray(series).astype(str)
    per_series = pd.Series(losses / max(len(quantiles), 1)).groupby(ids).mean()
    return _weighted(per_series, scales, "mae_scale")


def headline(
    metric: str,
    y: np.ndarray,
    pred: np.ndarray,
    holiday: np.ndarray | None = None,
    series: np.ndarray | pd.Series | None = None,
    scales: SeriesScales | None = None,
) -> float:
    """The protocol's headline metric by name: rmsse (needs ``series`` and ``scales``), rmspe,
    wmae (``holiday``), rmsle, wape or rmse."""
    if metric == "rmsse":
        if series is None or scales is None:
            raise ValueError("the rmsse headline needs the rows' series ids and series scales")
        return rmsse(y, pred, series, scales)
    if metric == "wmae":
        return wmae(y, pred, holiday if holiday is not None else np.zeros_like(y))
    return {"rmspe": rmspe, "rmsle": rmsle, "wape": wape, "rmse": rmse}[metric](y, pred)


def _percent(share: float) -> str:
    return f"{100 * share:.0f} %"


def auto_headline(
    zero_share: float, intermittent_volume_share: float, adi_cutoff: float = 1.32
) -> tuple[str, str]:
    """The headline for ``protocol.metric: auto`` and why: ``rmsse`` when at least 30 % of the
    known open periods are zero or most of the volume is in intermittent or lumpy series
    (ADI >= ``adi_cutoff``), since a zero forecast then scores a WAPE of 1.0 that models find
    hard to beat; otherwise ``wape``."""
    zeros = f"{_percent(zero_share)} of known open periods are zero"
    volume = (
        f"{_percent(intermittent_volume_share)} of volume in intermittent/lumpy series "
        f"(ADI >= {adi_cutoff:g})"
    )
    if zero_share >= ZERO_SHARE_CUTOFF or intermittent_volume_share > VOLUME_SHARE_CUTOFF:
        return "rmsse", f"{zeros}; {volume}"
    return "wape", (
        f"{zeros} (< {_percent(ZERO_SHARE_CUTOFF)}); {volume}, not a majority: smooth enough "
        "for WAPE"
    )


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
