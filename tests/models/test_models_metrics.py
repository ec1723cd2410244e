"""The protocol's metrics on arrays small enough to compute by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from inventory_optimization.models.metrics import (
    coverage,
    headline,
    mase,
    mean_pinball,
    pinball,
    rmse,
    rmsle,
    rmspe,
    seasonal_naive_mae,
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
