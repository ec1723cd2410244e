"""Quantiles from out-of-fold residuals (split conformal), per horizon step bucket and scale.

Residuals are taken in the model's target space (log1p, or demand over the series' scale), so
they are comparable across series; quantile forecasts are ``inverse(forward(point) + r_q)``.
Residual quantiles rise with the level and the inverse transform is monotone, so quantile
forecasts never cross.

Groups are binned on the series' scale or on the point forecast itself (``bin_on``). Counts
need the second: an item forecast at 0.1 a day sells nothing on most days and its residuals
look nothing like those of the same item's promotion days forecast at 3, so on intermittent
data the forecast's level, not the series' size, decides the interval's shape. ``auto``
chooses, like the fold rule, on the latest fold.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .base import forward, inverse

FOLD_RULES = ("pooled", "conservative", "median", "recent")
BIN_ON = ("scale", "point")


@dataclass
class ResidualQuantiles:
    levels: list[float]
    transform: str
    horizon_bucket: int
    scale_edges: np.ndarray
    table: pd.DataFrame  # index (bucket, scale_bin) incl. (-1, -1) pooled; columns levels
    min_count: int
    fold_rule: str = "pooled"
    bin_on: str = "scale"

    def groups(
        self, horizon: np.ndarray, scale: np.ndarray, point: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        bucket = (np.asarray(horizon) - 1) // self.horizon_bucket
        value = _bin_value(self.bin_on, scale, point, self.transform)
        scale_bin = np.searchsorted(self.scale_edges, value, side="right")
        return bucket, scale_bin

    def residuals_for(
        self, horizon: np.ndarray, scale: np.ndarray, point: np.ndarray | None = None
    ) -> np.ndarray:
        """(rows, levels) residual quantiles, falling back to the bucket's pooled values, then
        to the pool of all residuals, where a group had fewer than ``min_count`` residuals."""
        bucket, scale_bin = self.groups(horizon, scale, point)
        keys = pd.MultiIndex.from_arrays([bucket, scale_bin])
        exact = self.table.reindex(keys).to_numpy()
        by_bucket = self.table.reindex(
            pd.MultiIndex.from_arrays([bucket, np.full_like(bucket, -1)])
        ).to_numpy()
        pooled = self.table.loc[(-1, -1)].to_numpy()[None, :]
        out = np.where(np.isnan(exact), by_bucket, exact)
        return np.where(np.isnan(out), pooled, out)

    def predict(
        self,
        point: np.ndarray,
        horizon: np.ndarray,
        scale: np.ndarray,
        non_negative: bool = True,
        integer: bool = False,
    ) -> dict[float, np.ndarray]:
        """Quantile forecasts per level. ``integer`` (demand counted in whole units) floors
        them: for a count y, ``y <= q`` exactly when ``y <= floor(q)``, so each level keeps its
        share of actuals at or below it, and a slow mover's 10 % quantile of 0.02 units, which
        calls every zero day "below the interval", becomes the 0 it means."""
        base = forward(point, scale, self.transform)
        residuals = self.residuals_for(horizon, scale, point)
        out = {}
        for column, level in enumerate(self.levels):
            values = inverse(base + residuals[:, column], scale, self.transform)
            values = np.clip(values, 0, None) if non_negative else values
            # The tolerance keeps a quantile computed as 2.9999999 at 3.
            out[level] = np.floor(values + 1e-9) if integer else values
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
    bin_on: str = "auto",
) -> ResidualQuantiles:
    """Residual quantiles per (horizon bucket, scale bin), pooled where a group is small.

    With ``folds`` (numbered from 1, the latest), ``fold_rule`` says how the folds' residuals
    combine: ``pooled`` takes them all together; ``conservative`` computes quantiles per fold
    and keeps the widest (the intervals would have reached nominal coverage in every fold);
    ``median`` keeps the median over the folds' quantiles, so that one unusual fold (a holiday
    season) neither widens nor narrows every interval; ``recent`` uses the latest fold only,
    the one closest to the future; ``auto`` picks one of these by :func:`select_fold_rule`.
    Groups a rule leaves empty keep the pooled values. ``bin_on`` (``scale``, ``point`` or
    ``auto``: the one that calibrated the latest fold better, ``scale`` with fewer than three
    folds) says what the bins within a horizon bucket are cut on.
    """
    if fold_rule not in (*FOLD_RULES, "auto"):
        raise ValueError(
            f"calibration fold_rule {fold_rule!r}: expected one of {(*FOLD_RULES, 'auto')}"
        )
    if bin_on not in (*BIN_ON, "auto"):
        raise ValueError(f"calibration bin_on {bin_on!r}: expected one of {(*BIN_ON, 'auto')}")
    fold_ids = np.array([]) if folds is None else np.unique(folds[~np.isnan(folds)])
    if bin_on == "auto":
        bin_on = _select_bin_on(
            y,
            point,
            horizon,
            scale,
            (levels, transform, horizon_bucket, scale_bins, min_count),
            folds,
            fold_rule,
        )
    args = (levels, transform, horizon_bucket, scale_bins, min_count, bin_on)
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


def _bin_value(
    bin_on: str, scale: np.ndarray, point: np.ndarray | None, transform: str
) -> np.ndarray:
    """What the bins are cut on: the series' scale, or the point forecast in target space."""
    if bin_on == "scale":
        return np.asarray(scale, dtype=float)
    if point is None:
        raise ValueError("quantiles binned on the point forecast need the point forecast")
    return forward(np.asarray(point, dtype=float), np.asarray(scale, dtype=float), transform)


def _latest_fold_errors(
    y: np.ndarray,
    point: np.ndarray,
    horizon: np.ndarray,
    scale: np.ndarray,
    args: tuple,
    folds: np.ndarray | None,
    variants: dict[str, tuple[str, str]],
) -> dict[str, float]:
    """Calibration error on the latest fold of each variant ``{label: (fold_rule, bin_on)}``
    fitted on the older folds: the latest fold plays the future. Empty with fewer than three
    folds (nothing to choose from). ``args``: levels, transform, bucket, bins, min count."""
    fold_ids = np.array([]) if folds is None else np.unique(folds[~np.isnan(folds)])
    if len(fold_ids) < 3:
        return {}
    older, latest = folds > fold_ids[0], (folds == fold_ids[0]) & ~np.isnan(y) & ~np.isnan(point)
    errors = {}
    for label, (rule, bin_on) in variants.items():
        fitted = fit_residual_quantiles(
            y[older], point[older], horizon[older], scale[older], *args, folds[older], rule, bin_on
        )
        predicted = fitted.predict(point[latest], horizon[latest], scale[latest], False)
        errors[label] = calibration_error(y[latest], predicted)
    return errors


def _select_bin_on(
    y: np.ndarray,
    point: np.ndarray,
    horizon: np.ndarray,
    scale: np.ndarray,
    args: tuple,
    folds: np.ndarray | None,
    fold_rule: str,
) -> str:
    """The binning that calibrated the latest fold better (each level counted:
    :func:`calibration_error`); ``scale`` with fewer than three folds."""
    variants = {candidate: (fold_rule, candidate) for candidate in BIN_ON}
    errors = _latest_fold_errors(y, point, horizon, scale, args, folds, variants)
    return min(errors, key=errors.get) if errors else "scale"


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
    bin_on: str = "scale",
    folds: np.ndarray | None = None,
) -> tuple[str, dict[str, float]]:
    """The rule that, fitted on the older folds, would have calibrated the latest fold best.

    The latest fold plays the part of the future, so the choice never looks at the holdout.
    With fewer than three folds there is nothing to choose from: ``pooled``.
    """
    args = (levels, transform, horizon_bucket, scale_bins, min_count)
    variants = {rule: (rule, bin_on) for rule in FOLD_RULES}
    errors = _latest_fold_errors(y, point, horizon, scale, args, folds, variants)
    return (min(errors, key=errors.get), errors) if errors else ("pooled", {})


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
    bin_on: str = "scale",
) -> ResidualQuantiles:
    keep = ~(np.isnan(y) | np.isnan(point))
    y, point, horizon, scale = y[keep], point[keep], horizon[keep], scale[keep]
    residual = forward(y, scale, transform) - forward(point, scale, transform)
    value = _bin_value(bin_on, scale, point, transform)
    edges = np.quantile(value, np.linspace(0, 1, scale_bins + 1)[1:-1]) if len(value) else []
    frame = pd.DataFrame(
        {
            "r": residual,
            "bucket": (horizon - 1) // horizon_bucket,
            "bin": np.searchsorted(edges, value, side="right"),
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
        list(levels),
        transform,
        horizon_bucket,
        np.asarray(edges),
        table,
        min_count,
        bin_on=bin_on,
    )


@dataclass
class PredictionInterval:
    """A central prediction interval: its two ends as calibrated quantiles at
    ``lower_level`` and ``upper_level`` (``integer``: whole units, for counts)."""

    nominal: float
    lower_level: float
    upper_level: float
    quantiles: ResidualQuantiles
    integer: bool = False

    def bounds(
        self, point: np.ndarray, horizon: np.ndarray, scale: np.ndarray, non_negative: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        ends = self.quantiles.predict(point, horizon, scale, non_negative, self.integer)
        return ends[self.lower_level], ends[self.upper_level]


# Candidate upper levels of an interval on counts.
UPPER_LEVEL_GRID = np.round(np.arange(0.5, 0.9951, 0.005), 3)


def fit_interval(
    y: np.ndarray,
    point: np.ndarray,
    horizon: np.ndarray,
    scale: np.ndarray,
    transform: str,
    nominal: float = 0.8,
    integer: bool = False,
    non_negative: bool = True,
    **calibration,
) -> PredictionInterval:
    """The ``nominal`` prediction interval from out-of-fold residuals (``calibration``: the
    keyword arguments of :func:`fit_residual_quantiles`, with the fold rule and binning it
    chose, so both ends are calibrated the way the quantiles are).

    Continuous demand: the ``(1 - nominal) / 2`` and ``(1 + nominal) / 2`` quantiles. Counts
    (``integer``): the lower end stays the ``(1 - nominal) / 2`` quantile in whole units; the
    upper end is the level from :data:`UPPER_LEVEL_GRID` whose whole-unit quantile makes the
    interval hold the share of the out-of-fold actuals closest to ``nominal`` (the lowest such
    level on a tie), since few counts can fall below a lower end of 0.
    """
    if not 0 < nominal < 1:
        raise ValueError(f"prediction interval {nominal!r}: expected a share between 0 and 1")
    tail = round((1 - nominal) / 2, 6)
    if not integer:
        levels = [tail, round(1 - tail, 6)]
        fitted = fit_residual_quantiles(y, point, horizon, scale, levels, transform, **calibration)
        return PredictionInterval(nominal, levels[0], levels[1], fitted)
    grid = [level for level in UPPER_LEVEL_GRID if level > tail]
    fitted = fit_residual_quantiles(
        y, point, horizon, scale, [tail, *grid], transform, **calibration
    )
    keep = ~(np.isnan(y) | np.isnan(point))
    ends = fitted.predict(point[keep], horizon[keep], scale[keep], non_negative, integer=True)
    actual = y[keep]
    below = np.mean(actual < ends[tail]) if keep.any() else 0.0
    gaps = [abs(np.mean(actual <= ends[level]) - below - nominal) for level in grid]
    upper = grid[int(np.argmin(gaps))] if keep.any() else round(1 - tail, 6)
    fitted.table = fitted.table[[tail, upper]]
    fitted.levels = [tail, upper]
    return PredictionInterval(nominal, tail, upper, fitted, integer=True)
