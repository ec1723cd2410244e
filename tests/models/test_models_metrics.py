"""The protocol's metrics on arrays small enough to compute by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from inventory_optimization.models.metrics import (
    auto_headline,
    bias,
    coverage,
    headline,
    mase,
    mean_pinball,
    pinball,
    rmse,
    rmsle,
    rmspe,
    rmsse,
    scaled_pinball,
    seasonal_naive_mae,
    series_scales,
    wape,
    wmae,
)

Y = np.array([1.0, 2.0, 4.0])
PRED = np.array([2.0, 2.0, 2.0])


def test_wape():
    # |1-2| + |2-2| + |4-2| = 3 over 1 + 2 + 4 = 7
    assert wape(Y, PRED) == pytest.approx(3 / 7)
    assert wape(np.array([-2.0, 2.0]), np.array([0.0, 2.0])) == pytest.approx(0.5)


def test_rmspe_skips_zero_actuals():
    # ((1-2)/1)^2 = 1, 0, ((4-2)/4)^2 = 0.25 -> sqrt(1.25 / 3)
    assert rmspe(Y, PRED) == pytest.approx(math.sqrt(1.25 / 3))
    with_zero = rmspe(np.array([0.0, *Y]), np.array([5.0, *PRED]))
    assert with_zero == pytest.approx(math.sqrt(1.25 / 3))


def test_wmae_weighs_holidays_five_times():
    y = np.array([10.0, 20.0, 30.0])
    pred = np.array([12.0, 15.0, 30.0])
    # weights 1, 5, 1: (1 * 2 + 5 * 5 + 1 * 0) / 7
    assert wmae(y, pred, np.array([0, 1, 0])) == pytest.approx(27 / 7)
    assert wmae(y, pred, np.array([False, True, False])) == pytest.approx(27 / 7)
    assert wmae(y, pred, np.zeros(3)) == pytest.approx(7 / 3)
    assert wmae(y, pred, np.array([1, 1, 1])) == pytest.approx(7 / 3)


def test_rmsle_clips_negatives():
    e = math.e - 1  # log1p(e - 1) = 1
    assert rmsle(np.array([0.0, e]), np.array([e, e])) == pytest.approx(math.sqrt(0.5))
    # A negative forecast counts as zero: log1p(0) - log1p(e - 1) = -1 on both rows.
    assert rmsle(np.array([e, e]), np.array([-3.0, 0.0])) == pytest.approx(1.0)


def test_rmse():
    assert rmse(Y, PRED) == pytest.approx(math.sqrt(5 / 3))


def test_pinball_loss():
    y = np.array([10.0, 10.0])
    q = np.array([8.0, 13.0])
    # under-forecast by 2: 0.9 * 2 = 1.8; over-forecast by 3: 0.1 * 3 = 0.3
    assert pinball(y, q, 0.9) == pytest.approx(1.05)
    # level 0.1: 0.1 * 2 = 0.2 and 0.9 * 3 = 2.7
    assert pinball(y, q, 0.1) == pytest.approx(1.45)
    assert pinball(y, q, 0.5) == pytest.approx(1.25)  # half the MAE
    assert mean_pinball(y, {0.1: q, 0.9: q}) == pytest.approx(1.25)


def test_coverage_counts_bounds_as_inside():
    y = np.array([1.0, 5.0, 10.0, 3.0])
    lower = np.array([0.0, 6.0, 9.0, 3.0])
    upper = np.array([2.0, 7.0, 11.0, 3.0])
    assert coverage(y, lower, upper) == pytest.approx(0.75)


def test_mase_averages_per_series_ratios():
    y = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    pred = np.array([2.0, 2.0, 2.0, 2.0, 9.0])
    series = np.array(["a", "a", "b", "b", "c"])
    naive = pd.Series({"a": 0.5, "b": 3.0, "c": 0.0})
    # a: MAE 0.5 / 0.5 = 1; b: MAE 1.5 / 3 = 0.5; c: naive MAE 0, left out
    assert mase(y, pred, series, naive) == pytest.approx(0.75)


def test_seasonal_naive_mae():
    dates = pd.date_range("2024-01-01", periods=4, freq="D")
    panel = pd.DataFrame(
        {
            "series_id": ["a"] * 4 + ["b"] * 4,
            "date": list(dates) * 2,
            "demand": [1.0, 3.0, 6.0, 100.0, 5.0, 5.0, 5.0, 5.0],
        }
    )
    result = seasonal_naive_mae(panel, 1, pd.Timestamp("2024-01-03"))
    # a: |3 - 1| and |6 - 3| -> 2.5 (the 4th day is after ``until``); b: 0
    assert result.to_dict() == {"a": 2.5, "b": 0.0}


def test_headline_dispatches_by_name():
    assert headline("wape", Y, PRED) == pytest.approx(3 / 7)
    assert headline("rmspe", Y, PRED) == pytest.approx(math.sqrt(1.25 / 3))
    assert headline("rmse", Y, PRED) == pytest.approx(math.sqrt(5 / 3))
    assert headline("wmae", Y, PRED) == pytest.approx(1.0)
    assert headline("wmae", Y, PRED, np.array([0, 0, 1])) == pytest.approx((1 + 0 + 10) / 7)
    with pytest.raises(KeyError):
        headline("mape", Y, PRED)


def test_bias_is_total_forecast_over_total_actual():
    # forecast total 6 over actual total 7
    assert bias(Y, PRED) == pytest.approx(6 / 7)
    assert bias(Y, Y) == pytest.approx(1.0)
    assert bias(Y, np.zeros(3)) == 0.0
    assert math.isnan(bias(np.zeros(2), np.ones(2)))


# Six days, four series; the origin is the last day and the weight window its last two days.
#   a: 0, 2, 4, closed, unknown, 1  -> starts at its first sale (the leading 0 is dropped);
#      the closed and unknown days are skipped: naive steps 2 -> 4 -> 1 are +2, -3:
#      squared mean 6.5, absolute mean 2.5; weight: day 6 only (day 5 unknown) 1 x price 2
#   b: 3, 3, 5, 5, 3, 3             -> steps 0, 2, 0, -2, 0: 8 / 5 = 1.6 and 4 / 5 = 0.8;
#      weight (3 + 3) x price 1 = 6
#   c: 2 every day                  -> no naive error at all: scale 0, left out
#   d: 4, 6, 0, 0, 0, 0             -> steps 2, -6, 0, 0, 0: 40 / 5 = 8 and 8 / 5 = 1.6, but
#      nothing sold in the last two days: weight 0, left out
def _scale_panel() -> pd.DataFrame:
    dates = pd.date_range("2024-01-01", periods=6, freq="D")
    demand = {
        "a": [0.0, 2.0, 4.0, 0.0, np.nan, 1.0],
        "b": [3.0, 3.0, 5.0, 5.0, 3.0, 3.0],
        "c": [2.0] * 6,
        "d": [4.0, 6.0, 0.0, 0.0, 0.0, 0.0],
    }
    price = {"a": 2.0, "b": 1.0, "c": 1.0, "d": 1.0}
    frames = []
    for series, values in demand.items():
        closed = [series == "a" and i == 3 for i in range(6)]
        frames.append(
            pd.DataFrame(
                {
                    "series_id": series,
                    "date": dates,
                    "demand": values,
                    "price": price[series],
                    "is_known": ~np.isnan(values),
                    "is_closed": closed,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


# Scored rows after the origin; "e" has no history at all (no scale, left out).
SCORED = pd.DataFrame(
    {
        "series_id": ["a", "a", "b", "b", "c", "d", "e"],
        "y": [2.0, 0.0, 4.0, 2.0, 2.0, 0.0, 3.0],
        "pred": [1.0, 1.0, 3.0, 3.0, 0.0, 1.0, 0.0],
    }
)


def test_series_scales_skip_closed_and_unknown_periods_and_weigh_by_revenue():
    scales = series_scales(_scale_panel(), "2024-01-06", horizon=2)
    table = scales.table
    assert scales.weight_basis == "revenue (demand x price)"
    assert list(table.index) == ["a", "b", "c", "d"]
    np.testing.assert_allclose(table["mse_scale"], [6.5, 1.6, 0.0, 8.0])
    np.testing.assert_allclose(table["mae_scale"], [2.5, 0.8, 0.0, 1.6])
    np.testing.assert_allclose(table["weight"], [2.0, 6.0, 4.0, 0.0])
    assert scales.exclusions(SCORED["series_id"]) == {
        "series": 5,
        "scored": 2,
        "zero_weight": 1,
        "no_scale": 2,
    }
    # Nothing after the origin is read.
    later = series_scales(_scale_panel(), "2024-01-05", horizon=2)
    assert later.table.loc["b", "weight"] == pytest.approx(5 + 3)


def test_series_scales_weigh_by_units_without_a_price():
    scales = series_scales(_scale_panel().drop(columns="price"), "2024-01-06", horizon=2)
    assert scales.weight_basis == "units"
    np.testing.assert_allclose(scales.table["weight"], [1.0, 6.0, 4.0, 0.0])


def test_rmsse_by_hand():
    scales = series_scales(_scale_panel(), "2024-01-06", horizon=2)
    y, pred, series = SCORED["y"], SCORED["pred"], SCORED["series_id"]
    # a: mean squared error (1 + 1) / 2 = 1 over 6.5; b: (1 + 1) / 2 = 1 over 1.6;
    # weights 2 and 6; c (scale 0), d (weight 0) and e (no history) are left out.
    expected = (2 * math.sqrt(1 / 6.5) + 6 * math.sqrt(1 / 1.6)) / 8
    assert rmsse(y, pred, series, scales) == pytest.approx(expected)
    assert headline("rmsse", y, pred, series=series, scales=scales) == pytest.approx(expected)
    units = series_scales(_scale_panel().drop(columns="price"), "2024-01-06", horizon=2)
    assert rmsse(y, pred, series, units) == pytest.approx(
        (1 * math.sqrt(1 / 6.5) + 6 * math.sqrt(1 / 1.6)) / 7
    )
    # A perfect forecast scores 0; only left-out series: undefined.
    assert rmsse(y, y, series, scales) == 0.0
    assert math.isnan(rmsse(np.ones(2), np.zeros(2), np.array(["c", "d"]), scales))
    with pytest.raises(ValueError, match="series ids and series scales"):
        headline("rmsse", y, pred)


def test_scaled_pinball_by_hand():
    scales = series_scales(_scale_panel(), "2024-01-06", horizon=2)
    y, series = SCORED["y"].to_numpy(), SCORED["series_id"]
    pred = SCORED["pred"].to_numpy()
    quantiles = {0.5: pred, 0.9: pred + 2}
    # a: level 0.5 errors +1, -1 -> 0.5; level 0.9 (q = 3, 3) errors -1, -3 -> 0.1, 0.3 -> 0.2;
    #    mean over levels 0.35 over a's naive MAE 2.5 = 0.14
    # b: the same losses (0.5 and 0.2) over 0.8 = 0.4375; weights 2 and 6
    expected = (2 * 0.35 / 2.5 + 6 * 0.35 / 0.8) / 8
    assert scaled_pinball(y, quantiles, series, scales) == pytest.approx(expected)
    assert expected == pytest.approx(0.363125)


def test_auto_headline_chooses_rmsse_on_intermittent_data():
    assert auto_headline(0.82, 0.71) == (
        "rmsse",
        "82 % of known open periods are zero; 71 % of volume in intermittent/lumpy series "
        "(ADI >= 1.32)",
    )
    # Few zeros overall, but most volume in intermittent series: still rmsse.
    assert auto_headline(0.25, 0.96)[0] == "rmsse"
    assert auto_headline(0.30, 0.0)[0] == "rmsse"
    metric, reason = auto_headline(0.12, 0.01)
    assert metric == "wape"
    assert reason == (
        "12 % of known open periods are zero (< 30 %); 1 % of volume in intermittent/lumpy "
        "series (ADI >= 1.32), not a majority: smooth enough for WAPE"
    )
