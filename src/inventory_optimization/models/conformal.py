"""Quantiles from out-of-fold residuals (split conformal), per horizon step bucket and scale.

Residuals are taken in the model's target space (log1p, or demand over the series' scale), so
they are comparable across series; quantile forecasts are ``inverse(forward(point) + r_q)``.
Residual quantiles rise with the level and the inverse transform is monotone, so quantile
forecasts never cross.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .base import forward, inverse

FOLD_RULES = ("pooled", "conservative", "median", "recent")


@dataclass
class ResidualQuantiles:
    levels: list[float]
    transform: str
    horizon_bucket: int
    scale_edges: np.ndarray
    table: pd.DataFrame  # index (bucket, scale_bin) incl. (-1, -1) pooled; columns levels
    min_count: int
    fold_rule: str = "pooled"

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
    fold_rule: str = "conservative",
) -> ResidualQuantiles:
    """Residual quantiles per (horizon bucket, scale bin), pooled where a group is small.

    With ``folds`` (numbered from 1, the latest), ``fold_rule`` says how the folds' residuals
    combine: ``pooled`` takes them all together; ``conservative`` computes quantiles per fold
    and keeps the widest (the intervals would have reached nominal coverage in every fold);
    ``median`` keeps the median over the folds' quantiles, so that one unusual fold (a holiday
    season) neither widens nor narrows every interval; ``recent`` uses the latest fold only,
    the one closest to the future; ``auto`` picks one of these by :func:`select_fold_rule`.
    Groups a rule leaves empty keep the pooled values.
    """
    if fold_rule not in (*FOLD_RULES, "auto"):
        raise ValueError(
            f"calibration fold_rule {fold_rule!r}: expected one of {(*FOLD_RULES, 'auto')}"
        )
    args = (levels, transform, horizon_bucket, scale_bins, min_count)
    fold_ids = np.array([]) if folds is None else np.unique(folds[~np.isnan(folds)])
    if fold_rule == "auto":
        fold_rule, _ = select_fold_rule(y, point, horizon, scale, *args, folds=folds)
    pooled = _fit_pooled(y, point, horizon, scale, *args)
    if fold_rule == "pooled" or len(fold_ids) < 2:
        return pooled
    per_fold = [
        _fit_pooled(y[folds == f], point[folds == f], horizon[folds == f], scale[folds == f], *args)
        .table.reindex(pooled.table.index)
        .to_numpy()
        for f in fold_ids
    ]
    combined = pooled.table.copy()
    if fold_rule == "recent":
        combined.loc[:, :] = per_fold[0]
    elif fold_rule == "median":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # groups empty in every fold
            combined.loc[:, :] = np.sort(np.nanmedian(np.stack(per_fold), axis=0), axis=1)
    else:
        stacked = np.stack([pooled.table.to_numpy(), *per_fold])
        lower = np.array(levels) < 0.5
        upper = np.array(levels) > 0.5
        combined.loc[:, lower] = np.nanmin(stacked[:, :, lower], axis=0)
        combined.loc[:, upper] = np.nanmax(stacked[:, :, upper], axis=0)
    pooled.table = combined.fillna(pooled.table)
    pooled.fold_rule = fold_rule
    return pooled


def calibration_error(y: np.ndarray, quantiles: dict[float, np.ndarray]) -> float:
    """Mean absolute gap between each level and the share of actuals at or below it."""
    return float(
        np.mean([abs(np.mean(y <= values) - level) for level, values in quantiles.items()])
    )


def select_fold_rule(
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
) -> tuple[str, dict[str, float]]:
    """The rule that, fitted on the older folds, would have calibrated the latest fold best.

    The latest fold plays the part of the future, so the choice never looks at the holdout.
    With fewer than three folds there is nothing to choose from: ``pooled``.
    """
    fold_ids = np.array([]) if folds is None else np.unique(folds[~np.isnan(folds)])
    if len(fold_ids) < 3:
        return "pooled", {}
    older, latest = folds > fold_ids[0], (folds == fold_ids[0]) & ~np.isnan(y) & ~np.isnan(point)
    args = (levels, transform, horizon_bucket, scale_bins, min_count)
    errors = {}
    for rule in FOLD_RULES:
        fitted = fit_residual_quantiles(
            y[older], point[older], horizon[older], scale[older], *args, folds[older], rule
        )
        predicted = fitted.predict(point[latest], horizon[latest], scale[latest], False)
        errors[rule] = calibration_error(y[latest], predicted)
    return min(errors, key=errors.get), errors


def _fit_pooled(
    y: np.ndarray,
    point: np.ndarray,
    horizon: np.ndarray,
    scale: np.ndarray,
    levels: list[float],
    transform: str,
    horizon_bucket: int,
    scale_bins: int,
    min_count: int,
) -> ResidualQuantiles:
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
