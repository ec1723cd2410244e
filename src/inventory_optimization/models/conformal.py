"""Quantiles from out-of-fold residuals (split conformal), per horizon step bucket and scale.

Residuals are taken in the model's target space (log1p, or demand over the series' scale), so
they are comparable across series; quantile forecasts are ``inverse(forward(point) + r_q)``.
Residual quantiles rise with the level and the inverse transform is monotone, so quantile
forecasts never cross.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .base import forward, inverse


@dataclass
class ResidualQuantiles:
    levels: list[float]
    transform: str
    horizon_bucket: int
    scale_edges: np.ndarray
    table: pd.DataFrame  # index (bucket, scale_bin) incl. (-1, -1) pooled; columns levels
    min_count: int

    def groups(self, horizon: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        bucket = (np.asarray(horizon) - 1) // self.horizon_bucket
        scale_bin = np.searchsorted(self.scale_edges, scale, side="right")
        return bucket, scale_bin

    def residuals_for(self, horizon: np.ndarray, scale: np.ndarray) -> np.ndarray:
        """(rows, levels) residual quantiles, falling back to the bucket's pooled values, then
        to the pool of all residuals, where a group had fewer than ``min_count`` residuals."""
        bucket, scale_bin = self.groups(horizon, scale)
        keys = pd.MultiIndex.from_arrays([bucket, scale_bin])
        exact = self.table.reindex(keys).to_numpy()
        by_bucket = self.table.reindex(
            pd.MultiIndex.from_arrays([bucket, np.full_like(bucket, -1)])
        ).to_numpy()
        pooled = self.table.loc[(-1, -1)].to_numpy()[None, :]
        out = np.where(np.isnan(exact), by_bucket, exact)
        return np.where(np.isnan(out), pooled, out)

    def predict(
        self, point: np.ndarray, horizon: np.ndarray, scale: np.ndarray, non_negative: bool = True
    ) -> dict[float, np.ndarray]:
        base = forward(point, scale, self.transform)
        residuals = self.residuals_for(horizon, scale)
        out = {}
        for column, level in enumerate(self.levels):
            values = inverse(base + residuals[:, column], scale, self.transform)
            out[level] = np.clip(values, 0, None) if non_negative else values
        return out


def fit_residual_quantiles(
    y: np.ndarray,
    point: np.ndarray,
    horizon: np.ndarray,
    scale: np.ndarray,
    levels: list[float],
    transform: str,
    horizon_bucket: int = 7,
    scale_bins: int = 3,
    min_count: int = 200,
    folds: np.ndarray | None = None,
) -> ResidualQuantiles:
    """Residual quantiles per (horizon bucket, scale bin), pooled where a group is small.

    With ``folds``, quantiles are computed per CV fold and the most conservative is kept
    (lowest for levels below the median, highest above it): the intervals would have reached
    their nominal coverage in every fold, which guards against the shift between periods that
    a pooled calibration underestimates.
    """
    if folds is not None and len(np.unique(folds[~np.isnan(folds)])) > 1:
        per_fold = [
            fit_residual_quantiles(
                y[folds == fold],
                point[folds == fold],
                horizon[folds == fold],
                scale[folds == fold],
                levels,
                transform,
                horizon_bucket,
                scale_bins,
                min_count,
            )
            for fold in np.unique(folds[~np.isnan(folds)])
        ]
        pooled = fit_residual_quantiles(
            y, point, horizon, scale, levels, transform, horizon_bucket, scale_bins, min_count
        )
        tables = [pooled.table] + [fitted.table.reindex(pooled.table.index) for fitted in per_fold]
        stacked = np.stack([table.to_numpy() for table in tables])
        lower = np.array(levels) < 0.5
        upper = np.array(levels) > 0.5
        combined = pooled.table.copy()
        combined.loc[:, lower] = np.nanmin(stacked[:, :, lower], axis=0)
        combined.loc[:, upper] = np.nanmax(stacked[:, :, upper], axis=0)
        pooled.table = combined
        return pooled
    keep = ~(np.isnan(y) | np.isnan(point))
    y, point, horizon, scale = y[keep], point[keep], horizon[keep], scale[keep]
    residual = forward(y, scale, transform) - forward(point, scale, transform)
    edges = np.quantile(scale, np.linspace(0, 1, scale_bins + 1)[1:-1]) if len(scale) else []
    frame = pd.DataFrame(
        {
            "r": residual,
            "bucket": (horizon - 1) // horizon_bucket,
            "bin": np.searchsorted(edges, scale, side="right"),
        }
    )
    quantiles: dict[tuple[int, int], np.ndarray] = {}
    for (bucket, scale_bin), group in frame.groupby(["bucket", "bin"]):
        if len(group) >= min_count:
            quantiles[(int(bucket), int(scale_bin))] = np.quantile(group["r"], levels)
    for bucket, group in frame.groupby("bucket"):
        if len(group) >= min_count:
            quantiles[(int(bucket), -1)] = np.quantile(group["r"], levels)
    quantiles[(-1, -1)] = np.quantile(frame["r"], levels) if len(frame) else np.zeros(len(levels))
    table = pd.DataFrame(
        list(quantiles.values()), columns=levels, index=pd.MultiIndex.from_tuples(list(quantiles))
    )
    return ResidualQuantiles(
        list(levels), transform, horizon_bucket, np.asarray(edges), table, min_count
    )
