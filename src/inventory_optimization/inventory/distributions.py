"""Demand distributions from forecast quantiles: sampling, sums over a cover period, losses.

A forecast gives, per series and period, a few quantiles ``q_l`` at levels ``l`` (e.g. 0.05 ..
0.99). Each period's demand is the continuous distribution whose quantile function ``Q(u)``
joins those points linearly; below the first level it continues the first segment's slope
(clipped at 0), above the last level it becomes an exponential tail whose slope matches the
last segment, so large demands stay possible without a hard maximum. Periods are independent.

Arrays are ``(series, periods, levels)``; every function is vectorised over series.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

QUANTILE_PREFIX = "q_"
# Extra knot inside the upper tail for the piecewise-linear expected sales: beyond it the
# expected sales are capped by the mean (the remaining probability is at most 0.1 %).
TAIL_KNOT_LEVEL = 0.999
# Series x samples values evaluated per chunk: small enough that the temporaries of the
# quantile function stay in cache (and bound the memory), large enough to amortise the loop.
_CHUNK_VALUES = 65_536
# Up to this many levels, a value's segment is found by comparisons rather than a binary search.
_MAX_COMPARED_LEVELS = 64


def as_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def check_quantiles(quantiles: np.ndarray, levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Float arrays with levels strictly inside (0, 1) and increasing; values made monotone
    along the levels and non-negative (the forecasts promise it; cheap to enforce here)."""
    levels = np.asarray(levels, dtype=float)
    quantiles = np.asarray(quantiles, dtype=float)
    if levels.ndim != 1 or len(levels) < 2:
        raise ValueError("at least two quantile levels are needed")
    if not (np.all(np.diff(levels) > 0) and levels[0] > 0 and levels[-1] < 1):
        raise ValueError(f"quantile levels must increase strictly inside (0, 1); got {levels}")
    if quantiles.shape[-1] != len(levels):
        raise ValueError(
            f"quantile table has {quantiles.shape[-1]} levels on its last axis, "
            f"expected {len(levels)}"
        )
    if np.isnan(quantiles).any():
        raise ValueError("quantile table holds NaN values")
    return np.maximum.accumulate(np.clip(quantiles, 0.0, None), axis=-1), levels


def tail_slopes(q: np.ndarray, levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Slope of the first segment (lower tail) and exponential scale of the upper tail."""
    lower = (q[..., 1] - q[..., 0]) / (levels[1] - levels[0])
    last = (q[..., -1] - q[..., -2]) / (levels[-1] - levels[-2])
    # Exponential tail Q(u) = q_K + b log((1 - l_K) / (1 - u)): slope b / (1 - l_K) at l_K.
    return lower, last * (1.0 - levels[-1])


def _segment_index(levels: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``k`` with ``levels[k-1] <= u < levels[k]`` (0 below the first level, K above the last):
    ``searchsorted(levels, u, side="right")``, as a count of comparisons for few levels (several
    times faster than a binary search per value)."""
    if len(levels) > _MAX_COMPARED_LEVELS:
        return np.searchsorted(levels, u, side="right")
    count = np.zeros(u.shape, dtype=np.int8)
    for level in levels:
        count += (u >= level).view(np.int8)
    return count


def quantile_function(q: np.ndarray, levels: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``Q(u)`` for quantile rows ``q (..., levels)`` and probabilities ``u (..., n)``."""
    q = np.asarray(q, dtype=float)
    u = np.asarray(u, dtype=float)
    n_levels = len(levels)
    shape = np.broadcast_shapes(q.shape[:-1], u.shape[:-1])
    rows = np.ascontiguousarray(np.broadcast_to(q, (*shape, n_levels))).reshape(-1, n_levels)
    u = np.broadcast_to(u, (*shape, u.shape[-1])).reshape(len(rows), u.shape[-1])
    k = _segment_index(levels, u)
    # Inside the levels, segment k joins (l_{k-1}, q_{k-1}) and (l_k, q_k): its lower end, rise
    # and width are gathered from per-row tables with one flat index per value (few temporaries:
    # this runs on series x samples values for every period of every cover window).
    tables = np.zeros((4, *rows.shape))
    tables[0] = rows
    tables[1, :, :-1] = rows[:, 1:] - rows[:, :-1]
    tables[2] = levels
    tables[3, :, :-1] = np.diff(levels)
    base = (np.arange(len(rows)) * n_levels - 1)[:, None]
    flat = np.add(np.clip(k, 1, n_levels - 1), base, dtype=np.intp)
    value = np.take(tables[1], flat)
    gathered = np.take(tables[2], flat)
    value *= np.subtract(u, gathered, out=gathered)
    value /= np.take(tables[3], flat, out=gathered)
    value += np.take(tables[0], flat, out=gathered)
    # The tails, only where they apply (a few per cent of the values).
    lower_slope, tail_scale = tail_slopes(rows, levels)
    flat_u, flat_value, n_draws = u.reshape(-1), value.reshape(-1), u.shape[-1]
    below = np.flatnonzero(k == 0)
    row = below // n_draws
    flat_value[below] = rows[row, 0] - lower_slope[row] * (levels[0] - flat_u[below])
    above = np.flatnonzero(k == n_levels)
    row = above // n_draws
    with np.errstate(divide="ignore"):
        flat_value[above] = rows[row, -1] + tail_scale[row] * np.log(
            (1 - levels[-1]) / (1 - flat_u[above])
        )
    return np.clip(value, 0.0, None, out=value).reshape(*shape, u.shape[-1])


def _lower_tail_integral(q: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Integral of ``Q`` over ``[0, l_1]``: a line clipped at zero."""
    slope, _ = tail_slopes(q, levels)
    q0, l0 = q[..., 0], levels[0]
    at_zero = q0 - slope * l0
    with np.errstate(divide="ignore", invalid="ignore"):
        clipped = q0**2 / (2 * slope)  # the line reaches 0 at u = l0 - q0 / slope
    return np.where(at_zero >= 0, l0 * (at_zero + q0) / 2, clipped)


def partial_integrals(q: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """``int_0^{l_k} Q(u) du`` for every level ``k``: shape of ``q``."""
    trapezoids = (q[..., 1:] + q[..., :-1]) / 2 * np.diff(levels)
    start = _lower_tail_integral(q, levels)[..., None]
    return np.concatenate([start, start + np.cumsum(trapezoids, axis=-1)], axis=-1)


def period_means(quantiles: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Exact mean of each period's distribution: shape ``quantiles.shape[:-1]``."""
    q, levels = check_quantiles(quantiles, levels)
    _, tail_scale = tail_slopes(q, levels)
    upper = (1 - levels[-1]) * (q[..., -1] + tail_scale)
    return partial_integrals(q, levels)[..., -1] + upper


def _window_bounds(
    n_series: int, start: np.ndarray | int, stop: np.ndarray | int
) -> tuple[np.ndarray, np.ndarray]:
    start = np.broadcast_to(np.asarray(start, dtype=int), (n_series,))
    stop = np.broadcast_to(np.asarray(stop, dtype=int), (n_series,))
    if (start < 0).any() or (stop < start).any():
        raise ValueError("cover windows need 0 <= start <= stop")
    return start, stop


def window_sums(
    quantiles: np.ndarray,
    levels: np.ndarray,
    windows: list[tuple[np.ndarray | int, np.ndarray | int]],
    n_samples: int = 400,
    seed: int | np.random.Generator | None = 0,
) -> list[np.ndarray]:
    """Sampled total demand over periods ``[start, stop)`` per series, for several windows.

    All windows share the same draws (common random numbers), and the draw of period ``p`` does
    not depend on how many periods are summed, so a longer window never gives a smaller sum
    sample by sample. Periods beyond the forecast horizon repeat its last period.
    Returns one ``(series, n_samples)`` array per window.
    """
    q, levels = check_quantiles(quantiles, levels)
    if q.ndim != 3:
        raise ValueError("quantiles must be shaped (series, periods, levels)")
    n_series, n_periods, _ = q.shape
    bounds = [_window_bounds(n_series, start, stop) for start, stop in windows]
    sums = [np.zeros((n_series, n_samples)) for _ in bounds]
    horizon = max([int(stop.max(initial=0)) for _, stop in bounds], default=0)
    rng = as_rng(seed)
    chunk = max(1, _CHUNK_VALUES // max(n_samples, 1))
    u = np.empty((n_series, n_samples))
    # Period-major draws: period p always consumes the same slice of the stream.
    for period in range(horizon):
        rng.random(out=u)
        rows = q[:, min(period, n_periods - 1), :]
        inside = [(start <= period) & (period < stop) for start, stop in bounds]
        wanted = np.flatnonzero(np.logical_or.reduce(inside))
        for begin in range(0, len(wanted), chunk):
            idx = wanted[begin : begin + chunk]
            # Consecutive series (the usual case): slices, not gathered copies.
            part = slice(idx[0], idx[-1] + 1) if idx[-1] - idx[0] < len(idx) else idx
            draws = quantile_function(rows[part], levels, u[part])
            for total, mask in zip(sums, inside, strict=True):
                chosen = mask[part]
                if chosen.all():
                    total[part] += draws
                elif chosen.any():
                    total[idx[chosen]] += draws[chosen]
    return sums


def sample_period_demand(
    quantiles: np.ndarray,
    levels: np.ndarray,
    n_samples: int,
    rng: np.random.Generator | int | None = None,
) -> np.ndarray:
    """Inverse-CDF samples of each period's demand: ``(series, periods, n_samples)``."""
    q, levels = check_quantiles(quantiles, levels)
    rng = as_rng(rng)
    # Period-major draws, the same stream layout as ``window_sums``.
    u = rng.random((q.shape[1], q.shape[0], n_samples)).transpose(1, 0, 2)
    return quantile_function(q, levels, u)


def row_quantile(samples: np.ndarray, targets: np.ndarray | float) -> np.ndarray:
    """Quantile of each row of ``samples (series, n)`` at its own probability (linear)."""
    ordered = np.sort(samples, axis=1)
    n = ordered.shape[1]
    position = np.broadcast_to(np.asarray(targets, dtype=float), (len(ordered),)) * (n - 1)
    low = np.clip(np.floor(position).astype(int), 0, n - 1)
    high = np.clip(low + 1, 0, n - 1)
    rows = np.arange(len(ordered))
    weight = position - low
    return ordered[rows, low] * (1 - weight) + ordered[rows, high] * weight


def check_targets(targets: np.ndarray | float) -> np.ndarray:
    targets = np.asarray(targets, dtype=float)
    if ((targets <= 0) | (targets >= 1)).any():
        raise ValueError(f"service targets must lie strictly between 0 and 1; got {targets}")
    return targets


def lead_time_demand_quantiles(
    quantiles: np.ndarray,
    levels: np.ndarray,
    cover_periods: np.ndarray | int,
    targets: np.ndarray | float,
    n_samples: int = 400,
    seed: int = 0,
) -> np.ndarray:
    """Quantile at ``targets`` of total demand over the first ``cover_periods`` periods."""
    targets = check_targets(targets)
    (total,) = window_sums(quantiles, levels, [(0, cover_periods)], n_samples, seed)
    return row_quantile(total, targets)


def lead_time_demand_mean(
    quantiles: np.ndarray,
    levels: np.ndarray,
    cover_periods: np.ndarray | int,
    start: np.ndarray | int = 0,
) -> np.ndarray:
    """Exact mean total demand over periods ``[start, start + cover_periods)`` per series."""
    means = period_means(quantiles, levels)  # (series, periods)
    n_series, n_periods = means.shape
    start, stop = _window_bounds(n_series, start, np.asarray(start) + np.asarray(cover_periods))
    # Past the horizon the last period repeats: extend the cumulative sum linearly.
    cumulative = np.concatenate([np.zeros((n_series, 1)), np.cumsum(means, axis=1)], axis=1)
    rows = np.arange(n_series)

    def upto(end: np.ndarray) -> np.ndarray:
        inside = np.minimum(end, n_periods)
        return cumulative[rows, inside] + (end - inside) * means[:, -1]

    return upto(stop) - upto(start)


def expected_shortage(samples_sum: np.ndarray, level: np.ndarray | float) -> np.ndarray:
    """Loss function ``E[(D - S)+]`` per series from demand samples ``(series, n)``.

    ``level`` is ``(series,)`` (one stock level per series) or ``(series, m)`` (several).
    """
    samples_sum = np.asarray(samples_sum, dtype=float)
    level = np.asarray(level, dtype=float)
    squeeze = level.ndim < 2
    points = np.broadcast_to(level.reshape(-1, 1), (len(samples_sum), 1)) if squeeze else level
    loss = loss_at_points(np.sort(samples_sum, axis=1), points)
    return loss[:, 0] if squeeze else loss


def loss_at_points(ordered: np.ndarray, points: np.ndarray) -> np.ndarray:
    """``E[(D - s)+]`` for row-sorted samples ``(series, n)`` at points ``(series, m)``.

    One flat ``searchsorted`` for all rows: each row is shifted by its own offset so the rows
    stay apart in a single sorted vector.
    """
    n_series, n = ordered.shape
    base = min(float(ordered.min(initial=0.0)), float(points.min(initial=0.0)))
    span = max(float(ordered.max(initial=0.0)), float(points.max(initial=0.0))) - base + 1.0
    offset = (np.arange(n_series) * span - base)[:, None]
    count_le = (
        np.searchsorted(
            (ordered + offset).ravel(), (points + offset).ravel(), side="right"
        ).reshape(points.shape)
        - np.arange(n_series)[:, None] * n
    )
    suffix = np.concatenate(
        [np.cumsum(ordered[:, ::-1], axis=1)[:, ::-1], np.zeros((n_series, 1))], axis=1
    )
    above_sum = np.take_along_axis(suffix, count_le, axis=1)
    return np.clip((above_sum - (n - count_le) * points) / n, 0.0, None)


def quantile_columns(frame: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    """The ``q_<level>`` columns of a forecast frame, sorted by level, and their levels."""
    found = [
        (float(column[len(QUANTILE_PREFIX) :]), column)
        for column in frame.columns
        if isinstance(column, str) and column.startswith(QUANTILE_PREFIX)
    ]
    found.sort()
    return [column for _, column in found], np.array([level for level, _ in found])


def quantile_array(
    forecast: pd.DataFrame, series_column: str = "series_id", date_column: str = "date"
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Long forecast frame -> ``(quantiles (series, periods, levels), levels, series, dates)``.

    Periods are each series' forecast dates in order; a series with a shorter horizon repeats
    its last period. ``dates`` is ``(series, periods)`` (NaT where repeated).
    """
    columns, levels = quantile_columns(forecast)
    ordered = forecast.sort_values([series_column, date_column], kind="stable")
    codes, series = pd.factorize(ordered[series_column], sort=True)
    step = ordered.groupby(codes, sort=False).cumcount().to_numpy()
    n_series, n_periods = len(series), int(step.max()) + 1 if len(step) else 0
    cube = np.full((n_series, n_periods, len(levels)), np.nan)
    cube[codes, step] = ordered[columns].to_numpy(dtype=float)
    dates = np.full((n_series, n_periods), np.datetime64("NaT"), dtype="datetime64[ns]")
    dates[codes, step] = ordered[date_column].to_numpy(dtype="datetime64[ns]")
    # Repeat the last known period forward along the horizon (ragged horizons).
    filled = ~np.isnan(cube[..., 0])
    last = np.maximum.accumulate(np.where(filled, np.arange(n_periods), 0), axis=1)
    cube = cube[np.arange(n_series)[:, None], last]
    return cube, levels, np.asarray(series), dates
