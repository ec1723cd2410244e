"""Cleaning policies of the demand panel: calendar completion, missing periods, closed periods,
negative demand and outliers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from inventory_optimization.panel.cleaning import (
    MIN_LOG_SPREAD,
    clean_panel,
    complete_calendar,
    discontinued_series,
    fill_unobserved,
    flag_outliers,
    handle_closed,
    handle_negatives,
    signed_log1p,
)

# A steady seller with one huge spike, and an intermittent item selling a few units now and then.
STEADY = [10, 11, 9, 10, 12, 10, 9, 11, 10, 10, 1000, 10, 11, 9]
INTERMITTENT = [0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0, 3]


def _raw_daily() -> pd.DataFrame:
    """Series a: 2024-01-01, -02, -05 (two days missing); series b: -04, -05 (complete)."""
    return pd.DataFrame(
        {
            "series_id": ["a", "a", "a", "b", "b"],
            "store_id": ["S1", "S1", "S1", "S2", "S2"],
            "date": pd.to_datetime(
                ["2024-01-01", "2024-01-02", "2024-01-05", "2024-01-04", "2024-01-05"]
            ),
            "demand": [5.0, 6.0, 7.0, 1.0, 2.0],
            "price": [2.0, 2.5, 3.0, 9.0, 9.0],
            "is_closed": [False, False, False, False, False],
        }
    )


def _flag_panel(values_a, values_b, **columns) -> pd.DataFrame:
    n_a, n_b = len(values_a), len(values_b)
    frame = pd.DataFrame(
        {
            "series_id": ["a"] * n_a + ["b"] * n_b,
            "date": [
                *pd.date_range("2024-01-01", periods=n_a),
                *pd.date_range("2024-01-01", periods=n_b),
            ],
            "demand": [float(v) for v in [*values_a, *values_b]],
            "is_observed": True,
            "is_closed": False,
        }
    )
    return frame.assign(**columns)


# --- complete_calendar ------------------------------------------------------------------------


def test_complete_calendar_daily_one_row_per_day_per_series():
    completed = complete_calendar(_raw_daily(), "D", static_columns=["store_id"])
    assert len(completed) == 5 + 2
    assert completed.groupby("series_id").size().to_dict() == {"a": 5, "b": 2}
    a = completed[completed["series_id"] == "a"].set_index("date")
    assert a.index.tolist() == list(pd.date_range("2024-01-01", "2024-01-05"))
    assert a["is_observed"].tolist() == [True, True, False, False, True]
    assert completed["is_observed"].dtype == bool
    # Keys are copied onto inserted rows; everything else stays missing.
    assert a["store_id"].tolist() == ["S1"] * 5
    assert a["demand"].isna().tolist() == [False, False, True, True, False]
    assert a["price"].isna().tolist() == [False, False, True, True, False]
    assert a.loc["2024-01-05", "demand"] == 7.0
    b = completed[completed["series_id"] == "b"]
    assert b["is_observed"].all()
    assert b["demand"].tolist() == [1.0, 2.0]
    assert not completed.duplicated(["series_id", "date"]).any()


def test_complete_calendar_weekly_keeps_the_weekday():
    raw = pd.DataFrame(
        {
            "series_id": ["1_1", "1_1", "2_1"],
            "store_id": ["1", "1", "2"],
            "dept_id": ["1", "1", "1"],
            "date": pd.to_datetime(["2010-02-05", "2010-02-26", "2010-02-12"]),
            "demand": [100.0, 300.0, 50.0],
        }
    )
    completed = complete_calendar(raw, "W-FRI", static_columns=["store_id", "dept_id"])
    # Series 2_1's last record is two weeks before the panel's end: it runs to the end too.
    assert len(completed) == 4 + 3
    trailing = completed[completed["series_id"] == "2_1"]
    assert trailing["is_observed"].tolist() == [True, False, False]
    assert trailing["store_id"].tolist() == ["2"] * 3
    series = completed[completed["series_id"] == "1_1"]
    assert series["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2010-02-05",
        "2010-02-12",
        "2010-02-19",
        "2010-02-26",
    ]
    assert (completed["date"].dt.day_of_week == 4).all()
    assert series["is_observed"].tolist() == [True, False, False, True]
    assert series["store_id"].tolist() == ["1"] * 4


def test_complete_calendar_monthly_runs_month_ends_to_the_panels_end():
    raw = pd.DataFrame(
        {
            "series_id": ["a", "a", "b"],
            "date": pd.to_datetime(["2023-11-30", "2024-03-31", "2024-01-31"]),
            "demand": [5.0, 7.0, 2.0],
        }
    )
    completed = complete_calendar(raw, "ME")
    a = completed[completed["series_id"] == "a"]
    assert a["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2023-11-30",
        "2023-12-31",
        "2024-01-31",
        "2024-02-29",
        "2024-03-31",
    ]
    assert a["is_observed"].tolist() == [True, False, False, False, True]
    b = completed[completed["series_id"] == "b"]
    assert b["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-31", "2024-02-29", "2024-03-31"]
    # No sale in the last 45 days (two months, rounded up): b's last sale is two months back.
    stopped = discontinued_series(completed, "ME", 45)
    assert stopped["series_id"].tolist() == ["b"] and stopped["idle_periods"].tolist() == [2]
    assert discontinued_series(completed, "ME", 61).empty


# --- fill_unobserved --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "expected_demand", "expected_closed"),
    [
        ("nan", [5.0, 6.0, np.nan, np.nan, 7.0], [False] * 5),
        ("zero", [5.0, 6.0, 0.0, 0.0, 7.0], [False] * 5),
        ("closed", [5.0, 6.0, 0.0, 0.0, 7.0], [False, False, True, True, False]),
    ],
)
def test_fill_unobserved_policies(policy, expected_demand, expected_closed):
    completed = complete_calendar(_raw_daily(), "D", static_columns=["store_id"])
    filled = fill_unobserved(completed, policy)
    a = filled[filled["series_id"] == "a"]
    np.testing.assert_array_equal(a["demand"].to_numpy(), np.array(expected_demand))
    assert a["is_closed"].tolist() == expected_closed
    assert filled["is_closed"].dtype == bool
    # Observed rows are untouched and the flag of the raw records is kept.
    assert a["is_observed"].tolist() == [True, True, False, False, True]
    assert filled.loc[filled["series_id"] == "b", "demand"].tolist() == [1.0, 2.0]
    # The input is not modified.
    assert completed["demand"].isna().sum() == 2


def test_fill_unobserved_refuses_unknown_policy():
    completed = complete_calendar(_raw_daily(), "D")
    with pytest.raises(ValueError, match="missing_policy 'drop' is not one of"):
        fill_unobserved(completed, "drop")


def test_fill_unobserved_carries_covariates_forward_into_inserted_rows():
    completed = complete_calendar(_raw_daily(), "D", static_columns=["store_id"])
    filled = fill_unobserved(completed, "nan", covariates=["price", "not_a_column"])
    a = filled[filled["series_id"] == "a"]
    assert a["price"].tolist() == [2.0, 2.5, 2.5, 2.5, 3.0]
    assert filled.loc[filled["series_id"] == "b", "price"].tolist() == [9.0, 9.0]


def test_fill_unobserved_leaves_observed_covariates_alone():
    completed = complete_calendar(_raw_daily(), "D", static_columns=["store_id"])
    # Series b is complete; its first record has no price recorded.
    completed.loc[(completed["series_id"] == "b") & completed["is_observed"], "price"] = [
        np.nan,
        9.0,
    ]
    filled = fill_unobserved(completed, "nan", covariates=["price"])
    b_price = filled.loc[filled["series_id"] == "b", "price"]
    # Same answer as when series a has no gap at all (then nothing is filled).
    assert b_price.isna().tolist() == [True, False]


# --- closed periods and negatives -------------------------------------------------------------


def test_handle_closed_sets_demand_of_closed_rows_to_zero():
    panel = _flag_panel([120, 55, 130], [7, 8], is_closed=[False, True, False, True, False])
    handled = handle_closed(panel)
    assert handled["demand"].tolist() == [120.0, 0.0, 130.0, 0.0, 8.0]
    assert panel["demand"].tolist() == [120.0, 55.0, 130.0, 7.0, 8.0]


def test_handle_negatives_keep_and_clip():
    panel = _flag_panel([100.5, -20.0, np.nan], [-0.5, 3.0])
    kept = handle_negatives(panel, "keep")
    np.testing.assert_array_equal(kept["demand"].to_numpy(), [100.5, -20.0, np.nan, -0.5, 3.0])
    clipped = handle_negatives(panel, "clip")
    np.testing.assert_array_equal(clipped["demand"].to_numpy(), [100.5, 0.0, np.nan, 0.0, 3.0])
    with pytest.raises(ValueError, match="negative_policy 'drop' is not one of"):
        handle_negatives(panel, "drop")


# --- outliers ---------------------------------------------------------------------------------


def test_signed_log1p_is_symmetric():
    np.testing.assert_allclose(
        signed_log1p(np.array([-9.0, 0.0, 9.0])), [-np.log(10.0), 0.0, np.log(10.0)]
    )


def test_flag_outliers_flags_the_spike_only():
    panel = _flag_panel(STEADY, INTERMITTENT)
    flagged = flag_outliers(panel, threshold=5.0)
    assert flagged["is_outlier"].dtype == bool
    outliers = flagged[flagged["is_outlier"]]
    assert outliers[["series_id", "demand"]].to_dict("records") == [
        {"series_id": "a", "demand": 1000.0}
    ]
    # Without cap the spike is kept as is.
    assert flagged["demand"].tolist() == panel["demand"].tolist()


def test_flag_outliers_never_flags_zeros_of_an_intermittent_series():
    panel = _flag_panel([5, 6, 5], INTERMITTENT)
    # Even with a tight threshold the ten zeros are never scored.
    tight = flag_outliers(panel, threshold=1.0)
    intermittent = tight[tight["series_id"] == "b"]
    assert not intermittent.loc[intermittent["demand"] == 0, "is_outlier"].any()
    assert intermittent.loc[intermittent["is_outlier"], "demand"].tolist() == [3.0]
    # At the default threshold the sale sizes 1, 2, 1, 3 are compared with each other: none is
    # far off, although a zero-inflated median would make every sale look extreme.
    flagged = flag_outliers(panel, threshold=5.0)
    assert not flagged.loc[flagged["series_id"] == "b", "is_outlier"].any()


def test_flag_outliers_ignores_closed_and_unobserved_rows():
    values = [10, 11, 9, 10, 12, 10, 9, 11, 10, 10]
    panel = _flag_panel([*values, 5000, 4000], [3, 3])
    panel.loc[10, "is_closed"] = True
    panel.loc[11, "is_observed"] = False
    flagged = flag_outliers(panel, threshold=5.0)
    assert not flagged["is_outlier"].any()


def test_flag_outliers_caps_at_the_threshold_value():
    panel = _flag_panel(STEADY, INTERMITTENT)
    capped = flag_outliers(panel, threshold=5.0, cap=True)
    # Median of the steady series is 10; its log spread is floored at MIN_LOG_SPREAD.
    limit = np.expm1(np.log1p(10.0) + 5.0 * MIN_LOG_SPREAD)
    assert capped.loc[10, "demand"] == pytest.approx(limit)
    assert capped.loc[10, "demand"] == pytest.approx(37.3937725, rel=1e-7)
    assert capped.loc[10, "is_outlier"]
    others = capped.drop(index=10)
    assert others["demand"].tolist() == panel.drop(index=10)["demand"].tolist()


def test_flag_outliers_caps_a_negative_outlier_from_below():
    panel = _flag_panel([10, 11, 9, 10, 12, 10, 9, 11, 10, 10, -900], [1])
    capped = flag_outliers(panel, threshold=5.0, cap=True)
    assert capped.loc[10, "is_outlier"]
    assert capped.loc[10, "demand"] == pytest.approx(np.expm1(np.log1p(10.0) - 1.25))


# --- clean_panel ------------------------------------------------------------------------------


def test_clean_panel_applies_the_policies_in_order():
    raw = pd.DataFrame(
        {
            "series_id": ["b", "b", "a", "a", "a"],
            "date": pd.to_datetime(
                ["2024-01-02", "2024-01-01", "2024-01-01", "2024-01-02", "2024-01-04"]
            ),
            "demand": [-4.0, 3.0, 10.0, 99.0, 12.0],
            "promo": [0.0, 1.0, 1.0, 0.0, 1.0],
            "is_closed": [False, False, False, True, False],
        }
    )
    completed = complete_calendar(raw, "D")
    cleaned = clean_panel(
        completed,
        covariates=["promo"],
        missing_policy="zero",
        negative_policy="clip",
        outlier_threshold=5.0,
    )
    # Series b's last record is two days before the panel's end: under missing_policy zero its
    # trailing days are no-sale days, not a vanished series.
    assert cleaned["series_id"].tolist() == ["a"] * 4 + ["b"] * 4
    assert cleaned["date"].dt.day.tolist() == [1, 2, 3, 4, 1, 2, 3, 4]
    assert cleaned["demand"].tolist() == [10.0, 0.0, 0.0, 12.0, 3.0, 0.0, 0.0, 0.0]
    assert cleaned["demand"].dtype == "float64"
    assert cleaned["is_closed"].tolist() == [False, True, False, False] + [False] * 4
    assert cleaned["is_observed"].tolist() == [True, True, False, True, True, True, False, False]
    assert cleaned["promo"].tolist() == [1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    for flag in ("is_observed", "is_closed", "is_outlier"):
        assert cleaned[flag].dtype == bool
    assert cleaned.index.tolist() == list(range(8))
