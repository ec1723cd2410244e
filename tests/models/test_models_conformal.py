"""Split-conformal quantiles from out-of-fold residuals: calibrated, never crossing, with
fallbacks to pooled residuals for small groups."""

from __future__ import annotations

import numpy as np
import pytest

from inventory_optimization.models.conformal import (
    fit_interval,
    fit_residual_quantiles,
    select_fold_rule,
)

LEVELS = [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99]
N = 20_000


def _normal(rng: np.random.Generator, n: int = N):
    """Scaled series (scale 0.5 .. 200); the noise, in units of the scale, widens with the
    horizon. The point forecast is the true mean."""
    horizon = rng.integers(1, 29, n)
    scale = np.exp(rng.uniform(np.log(0.5), np.log(200.0), n))
    mean = 10.0 * scale
    y = mean + scale * rng.normal(0.0, 1.0 + horizon / 14.0, n)
    return y, mean, horizon, scale


def _poisson(rng: np.random.Generator, n: int = N):
    """Counts around a continuous mean (0.5 .. 60): mostly small integers, many zeros."""
    horizon = rng.integers(1, 29, n)
    mean = np.exp(rng.uniform(np.log(0.5), np.log(60.0), n))
    scale = mean * rng.uniform(0.8, 1.25, n)
    return rng.poisson(mean).astype(float), mean, horizon, scale


CASES = [
    ("scale", _normal),
    ("none", _normal),
    ("log1p", _poisson),
    ("scale", _poisson),
]


@pytest.mark.parametrize(
    ("transform", "simulate"), CASES, ids=[f"{t}-{s.__name__}" for t, s in CASES]
)
def test_quantiles_cover_fresh_data_and_never_cross(rng, transform, simulate):
    y, point, horizon, scale = simulate(rng)
    calibration = fit_residual_quantiles(y, point, horizon, scale, LEVELS, transform)
    fresh_y, fresh_point, fresh_horizon, fresh_scale = simulate(rng)
    quantiles = calibration.predict(fresh_point, fresh_horizon, fresh_scale)
    assert list(quantiles) == LEVELS
    stacked = np.column_stack([quantiles[level] for level in LEVELS])
    assert stacked.shape == (N, len(LEVELS))
    assert np.isfinite(stacked).all()
    assert (np.diff(stacked, axis=1) >= 0).all()  # no crossing on any row
    assert (stacked >= 0).all()  # non_negative by default
    covered = (fresh_y >= quantiles[0.1]) & (fresh_y <= quantiles[0.9])
    assert covered.mean() == pytest.approx(0.8, abs=0.03)
    below_median = np.mean(fresh_y < quantiles[0.5])
    assert below_median == pytest.approx(0.5, abs=0.05)


def test_intervals_widen_with_the_horizon(rng):
    y, point, horizon, scale = _normal(rng)
    calibration = fit_residual_quantiles(y, point, horizon, scale, LEVELS, "scale")
    rows = np.ones(4)
    residuals = calibration.residuals_for(np.array([1, 8, 15, 22]), rows * 10.0)
    width = residuals[:, LEVELS.index(0.9)] - residuals[:, LEVELS.index(0.1)]
    assert (np.diff(width) > 0).all()
    # Bucket 0 (horizons 1..7): noise sd about 1.29 in scale units, so the 80% width is about
    # 2 * 1.2816 * 1.29 = 3.3.
    assert width[0] == pytest.approx(3.3, rel=0.1)


def test_quantiles_of_a_known_residual_table():
    """Residuals -2, -1, 0, 1, 2 in scale units: the median is the point, the extreme levels
    reach point +- 2 * scale (transform 'scale'), on every horizon."""
    y = np.array([8.0, 9.0, 10.0, 11.0, 12.0])
    point = np.full(5, 10.0)
    calibration = fit_residual_quantiles(
        y, point, np.arange(1, 6), np.ones(5), [0.0, 0.5, 1.0], "scale", min_count=1
    )
    quantiles = calibration.predict(np.array([100.0]), np.array([3]), np.array([4.0]))
    assert quantiles[0.0][0] == pytest.approx(92.0)
    assert quantiles[0.5][0] == pytest.approx(100.0)
    assert quantiles[1.0][0] == pytest.approx(108.0)
    # Clipped at zero unless told otherwise.
    low = calibration.predict(np.array([1.0]), np.array([3]), np.array([4.0]))
    assert low[0.0][0] == 0.0
    free = calibration.predict(np.array([1.0]), np.array([3]), np.array([4.0]), False)
    assert free[0.0][0] == pytest.approx(-7.0)


def test_log1p_quantiles_use_the_log_space_residuals():
    y = np.expm1(np.array([1.0, 2.0, 3.0]))
    point = np.expm1(np.full(3, 2.0))
    calibration = fit_residual_quantiles(
        y, point, np.ones(3, dtype=int), np.ones(3), [0.0, 1.0], "log1p", min_count=1
    )
    quantiles = calibration.predict(np.array([np.expm1(5.0)]), np.array([1]), np.array([1.0]))
    assert quantiles[0.0][0] == pytest.approx(np.expm1(4.0))
    assert quantiles[1.0][0] == pytest.approx(np.expm1(6.0))


def _grouped(rng: np.random.Generator):
    """Three well-separated scale clusters (bins); residual sd 1, 2, 3 by cluster.

    - bucket 0 (horizons 1..7): 1000 residuals per cluster (groups of their own),
    - bucket 2 (horizons 15..21): 100 per cluster (pooled over the bucket),
    - bucket 1 (horizons 8..14): 20 per cluster (pooled over everything),
    - bucket 3 (horizons 22..28): none.
    """
    parts = []
    for bucket, count in ((0, 1000), (1, 20), (2, 100)):
        for cluster, centre in enumerate((1.0, 10.0, 100.0)):
            horizon = rng.integers(7 * bucket + 1, 7 * bucket + 8, count)
            scale = centre * rng.uniform(0.8, 1.25, count)
            residual = rng.normal(0.0, 1.0 + cluster, count) + 3 * (bucket == 2)
            parts.append((horizon, scale, residual, np.full(count, cluster)))
    horizon, scale, residual, cluster = (np.concatenate(p) for p in zip(*parts, strict=True))
    return horizon, scale, residual, cluster


def test_small_groups_fall_back_to_the_bucket_then_to_all_residuals(rng):
    horizon, scale, residual, cluster = _grouped(rng)
    point = np.full(len(horizon), 50.0)
    y = point + residual
    y[[0, 1000]] = np.nan  # dropped, as is a row without a point forecast:
    point[2000] = np.nan  # one of each cluster, so the clusters stay the scale terciles
    keep = ~np.isnan(y) & ~np.isnan(point)
    calibration = fit_residual_quantiles(
        y, point, horizon, scale, LEVELS, "none", horizon_bucket=7, scale_bins=3, min_count=200
    )
    bucket = (horizon - 1) // 7
    # The scale bins are the three clusters.
    _, bins = calibration.groups(horizon, scale)
    np.testing.assert_array_equal(bins, cluster)

    probe_scale = np.array([1.0, 10.0, 100.0])
    for k in range(3):  # bucket 0: each cluster's own residuals
        mask = keep & (bucket == 0) & (cluster == k)
        expected = np.quantile(residual[mask], LEVELS)
        got = calibration.residuals_for(np.array([3]), probe_scale[[k]])[0]
        np.testing.assert_allclose(got, expected)
    pooled = np.quantile(residual[keep], LEVELS)
    bucket_two = np.quantile(residual[keep & (bucket == 2)], LEVELS)
    for k in range(3):
        np.testing.assert_allclose(
            calibration.residuals_for(np.array([16]), probe_scale[[k]])[0], bucket_two
        )
        np.testing.assert_allclose(
            calibration.residuals_for(np.array([9]), probe_scale[[k]])[0], pooled
        )
        np.testing.assert_allclose(
            calibration.residuals_for(np.array([25]), probe_scale[[k]])[0], pooled
        )
    # Wider clusters get wider intervals where they have their own group.
    widths = calibration.residuals_for(np.full(3, 2), probe_scale)
    assert (np.diff(widths[:, -1] - widths[:, 0]) > 0).all()


def test_everything_pooled_when_min_count_is_never_reached(rng):
    y, point, horizon, scale = _normal(rng, 500)
    calibration = fit_residual_quantiles(
        y, point, horizon, scale, LEVELS, "scale", min_count=10_000
    )
    assert list(calibration.table.index) == [(-1, -1)]
    expected = np.quantile((y - point) / scale, LEVELS)
    np.testing.assert_allclose(
        calibration.residuals_for(np.array([1, 28]), np.array([0.5, 150.0])),
        np.vstack([expected, expected]),
    )


def test_no_residuals_at_all_gives_the_point_forecast():
    calibration = fit_residual_quantiles(
        np.array([np.nan]), np.array([1.0]), np.array([1]), np.array([1.0]), LEVELS, "scale"
    )
    quantiles = calibration.predict(np.array([7.0, 3.0]), np.array([1, 5]), np.array([2.0, 1.0]))
    for level in LEVELS:
        np.testing.assert_allclose(quantiles[level], [7.0, 3.0])


def _regimes(rng: np.random.Generator, noise_by_fold: dict[int, float], n: int = 6_000):
    """Residuals per CV fold (1 = latest) with their own noise level, plus fold numbers."""
    parts = []
    for fold, noise in noise_by_fold.items():
        horizon = rng.integers(1, 29, n)
        scale = np.exp(rng.uniform(np.log(0.5), np.log(200.0), n))
        mean = 10.0 * scale
        parts.append((mean + scale * rng.normal(0.0, noise, n), mean, horizon, scale, fold))
    y, point, horizon, scale = (np.concatenate([p[i] for p in parts]) for i in range(4))
    folds = np.concatenate([np.full(n, float(p[4])) for p in parts])
    return y, point, horizon, scale, folds


def _coverage(calibration, y, point, horizon, scale) -> float:
    quantiles = calibration.predict(point, horizon, scale, non_negative=False)
    return float(np.mean((y >= quantiles[0.1]) & (y <= quantiles[0.9])))


def test_fold_rules_treat_one_unusual_old_fold_differently(rng):
    """A wide old fold (a holiday season) widens every interval under the conservative rule;
    the recent rule calibrates on the latest fold, which the future resembles."""
    y, point, horizon, scale, folds = _regimes(rng, {1: 1.0, 2: 1.0, 3: 3.0})
    future = _regimes(rng, {1: 1.0})[:4]
    coverage = {
        rule: _coverage(
            fit_residual_quantiles(
                y, point, horizon, scale, LEVELS, "scale", folds=folds, fold_rule=rule
            ),
            *future,
        )
        for rule in ("pooled", "conservative", "median", "recent")
    }
    assert coverage["recent"] == pytest.approx(0.8, abs=0.03)
    assert coverage["median"] == pytest.approx(0.8, abs=0.03)
    assert coverage["conservative"] > 0.95
    assert coverage["recent"] < coverage["pooled"] < coverage["conservative"]


def test_auto_rule_is_chosen_on_the_latest_fold_and_calibrates_the_future(rng):
    y, point, horizon, scale, folds = _regimes(rng, {1: 1.0, 2: 1.0, 3: 3.0})
    rule, errors = select_fold_rule(y, point, horizon, scale, LEVELS, "scale", folds=folds)
    assert set(errors) == {"pooled", "conservative", "median", "recent"}
    assert rule == "recent" and errors["recent"] < errors["conservative"]
    calibration = fit_residual_quantiles(
        y, point, horizon, scale, LEVELS, "scale", folds=folds, fold_rule="auto"
    )
    assert calibration.fold_rule == "recent"
    assert _coverage(calibration, *_regimes(rng, {1: 1.0})[:4]) == pytest.approx(0.8, abs=0.03)


def test_auto_rule_with_too_few_folds_pools_them(rng):
    y, point, horizon, scale, folds = _regimes(rng, {1: 1.0, 2: 2.0})
    assert select_fold_rule(y, point, horizon, scale, LEVELS, "scale", folds=folds) == (
        "pooled",
        {},
    )


def test_median_rule_never_crosses(rng):
    y, point, horizon, scale, folds = _regimes(rng, {1: 1.0, 2: 0.3, 3: 3.0}, n=800)
    calibration = fit_residual_quantiles(
        y, point, horizon, scale, LEVELS, "scale", min_count=100, folds=folds, fold_rule="median"
    )
    stacked = np.column_stack(list(calibration.predict(point, horizon, scale).values()))
    assert (np.diff(stacked, axis=1) >= 0).all()


def test_unknown_fold_rule_is_named(rng):
    y, point, horizon, scale, folds = _regimes(rng, {1: 1.0}, n=10)
    with pytest.raises(ValueError, match="fold_rule 'widest': expected one of"):
        fit_residual_quantiles(
            y, point, horizon, scale, LEVELS, "scale", folds=folds, fold_rule="widest"
        )


def _slow_movers(rng: np.random.Generator, n: int = N):
    """Item-level counts: one series' forecast swings from 0.05 (an ordinary day) to 3 (a
    promotion), so its residuals' shape follows the forecast, not the series' scale."""
    horizon = rng.integers(1, 29, n)
    scale = np.exp(rng.uniform(np.log(0.2), np.log(1.0), n))
    mean = scale * np.exp(rng.uniform(np.log(0.1), np.log(4.0), n))
    return rng.poisson(mean).astype(float), mean, horizon, scale


def test_counts_are_binned_on_the_forecast_and_each_tail_is_calibrated(rng):
    """Binned on the series' scale, a slow mover's promotion-day forecast and its ordinary-day
    forecast share one residual table, so zeros fall below a positive 10 % quantile. The
    latest fold shows binning on the forecast calibrates better; ``auto`` takes it, and each
    tail then holds its nominal share of fresh actuals, zeros included."""
    y, point, horizon, scale = _slow_movers(rng)
    folds = rng.integers(1, 4, N).astype(float)
    chosen = fit_residual_quantiles(
        y, point, horizon, scale, LEVELS, "scale", folds=folds, fold_rule="pooled"
    )
    assert chosen.bin_on == "point"
    fresh_y, fresh_point, fresh_horizon, fresh_scale = _slow_movers(rng)
    by_scale = fit_residual_quantiles(
        y, point, horizon, scale, LEVELS, "scale", fold_rule="pooled", bin_on="scale"
    ).predict(fresh_point, fresh_horizon, fresh_scale)
    by_point = chosen.predict(fresh_point, fresh_horizon, fresh_scale)
    assert (fresh_y == 0).mean() > 0.4
    assert np.mean(fresh_y > by_point[0.9]) == pytest.approx(0.1, abs=0.03)
    assert np.mean(fresh_y < by_point[0.1]) <= 0.1 + 0.03
    covered = (fresh_y >= by_point[0.1]) & (fresh_y <= by_point[0.9])
    assert covered.mean() == pytest.approx(0.8, abs=0.05)
    # Conditional on the forecast's level (quintiles), the upper tail holds its share only
    # when the bins follow the forecast.
    level = np.searchsorted(np.quantile(fresh_point, [0.2, 0.4, 0.6, 0.8]), fresh_point)
    worst = {
        name: max(abs(np.mean(fresh_y[level == k] > q[0.9][level == k]) - 0.1) for k in range(5))
        for name, q in (("scale", by_scale), ("point", by_point))
    }
    assert worst["point"] < 0.05 < worst["scale"]


def test_unknown_binning_is_named(rng):
    y, point, horizon, scale = _slow_movers(rng, 100)
    with pytest.raises(ValueError, match="bin_on 'forecast'"):
        fit_residual_quantiles(y, point, horizon, scale, LEVELS, "scale", bin_on="forecast")


def test_integer_quantiles_keep_each_levels_share_of_counts(rng):
    """Floored quantiles of counts: every level keeps the share of actuals at or below it (a
    count is <= q exactly when it is <= floor(q)), the values are whole units, and zero days
    are no longer 'below' a fractional 10 % quantile."""
    y, point, horizon, scale = _slow_movers(rng)
    calibration = fit_residual_quantiles(
        y, point, horizon, scale, LEVELS, "scale", fold_rule="pooled", bin_on="point"
    )
    fresh_y, fresh_point, fresh_horizon, fresh_scale = _slow_movers(rng)
    fractional = calibration.predict(fresh_point, fresh_horizon, fresh_scale)
    whole = calibration.predict(fresh_point, fresh_horizon, fresh_scale, integer=True)
    for level in LEVELS:
        assert (whole[level] == np.round(whole[level])).all()
        assert np.mean(fresh_y <= whole[level]) == np.mean(fresh_y <= fractional[level])
    zero_days = fresh_y == 0
    assert np.mean(fresh_y[zero_days] < fractional[0.1][zero_days]) > 0.01
    assert np.mean(fresh_y[zero_days] < whole[0.1][zero_days]) < 0.001
    assert np.mean(fresh_y < whole[0.1]) < np.mean(fresh_y < fractional[0.1])


def test_interval_on_continuous_demand_has_equal_tails(rng):
    y, point, horizon, scale = _normal(rng)
    options = {"fold_rule": "pooled", "bin_on": "scale"}
    interval = fit_interval(y, point, horizon, scale, "scale", nominal=0.8, **options)
    quantiles = fit_residual_quantiles(y, point, horizon, scale, [0.1, 0.9], "scale", **options)
    assert (interval.lower_level, interval.upper_level) == (0.1, 0.9)
    fresh_y, fresh_point, fresh_horizon, fresh_scale = _normal(rng)
    lower, upper = interval.bounds(fresh_point, fresh_horizon, fresh_scale, non_negative=False)
    expected = quantiles.predict(fresh_point, fresh_horizon, fresh_scale, non_negative=False)
    np.testing.assert_array_equal(lower, expected[0.1])
    np.testing.assert_array_equal(upper, expected[0.9])
    assert np.mean(fresh_y < lower) == pytest.approx(0.1, abs=0.02)
    assert np.mean(fresh_y > upper) == pytest.approx(0.1, abs=0.02)


def test_interval_on_counts_holds_its_nominal_share_of_fresh_actuals(rng):
    """Slow movers: the 10-90 % whole-unit quantiles hold far more than 80 % (a 10 % quantile
    of 0 has nothing below it); the interval's upper end is calibrated so that it holds 80 %
    of fresh actuals, zeros included, with whole-unit ends."""
    y, point, horizon, scale = _slow_movers(rng)
    options = {"fold_rule": "pooled", "bin_on": "point"}
    interval = fit_interval(y, point, horizon, scale, "scale", 0.8, integer=True, **options)
    fresh_y, fresh_point, fresh_horizon, fresh_scale = _slow_movers(rng)
    quantiles = fit_residual_quantiles(y, point, horizon, scale, LEVELS, "scale", **options)
    whole = quantiles.predict(fresh_point, fresh_horizon, fresh_scale, integer=True)
    equal_tails = np.mean((fresh_y >= whole[0.1]) & (fresh_y <= whole[0.9]))
    lower, upper = interval.bounds(fresh_point, fresh_horizon, fresh_scale)
    covered = np.mean((fresh_y >= lower) & (fresh_y <= upper))
    assert equal_tails > 0.85
    assert covered == pytest.approx(0.8, abs=0.02)
    assert interval.lower_level == 0.1 and 0.5 <= interval.upper_level < 0.9
    np.testing.assert_array_equal(lower, whole[0.1])
    assert (lower == np.floor(lower)).all() and (upper == np.floor(upper)).all()
    assert (lower <= upper).all()


def test_interval_share_out_of_range_is_named(rng):
    y, point, horizon, scale = _normal(rng, 100)
    with pytest.raises(ValueError, match="prediction interval 80"):
        fit_interval(y, point, horizon, scale, "scale", nominal=80)
