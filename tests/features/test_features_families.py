"""Each feature family on tiny hand-checkable series (see ``daily_panel`` / ``weekly_panel`` in
conftest.py): ``a`` sells position + 1 on day ``position`` (Jan 1 = 1, Jan 31 = 31), so a feature
value names the day it was read from. Origin 2024-01-31 is position 30."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from inventory_optimization.features.calendar_features import calendar_table
from inventory_optimization.features.profile import encode_attributes

ORIGIN = "2024-01-31"
H = np.arange(1, 15)


def column(case, series_id: str, origin: str, name: str) -> np.ndarray:
    return case.rows(series_id, origin)[name].to_numpy(dtype="float64")


# --- lags and differences ---------------------------------------------------------------------
def test_lags_read_the_demand_k_minus_1_periods_before_the_origin(daily):
    rows = daily.rows("a", ORIGIN)
    assert rows["horizon"].tolist() == H.tolist()
    expected = {"lag_1": 31.0, "lag_2": 30.0, "lag_3": 29.0, "lag_7": 25.0, "lag_14": 18.0}
    for name, value in expected.items():
        np.testing.assert_array_equal(rows[name].to_numpy(), np.full(14, value), err_msg=name)
    # Another origin: 2024-01-17 (position 16).
    assert daily.value("a", "2024-01-17", "lag_1", 5) == 17.0
    assert daily.value("a", "2024-01-17", "lag_7", 5) == 11.0


def test_lags_at_unobserved_and_closed_periods(daily):
    # g has no record on Jan 30/31: lag_1 and lag_2 unknown, lag_3 is Jan 29.
    assert math.isnan(daily.value("g", ORIGIN, "lag_1"))
    assert math.isnan(daily.value("g", ORIGIN, "lag_2"))
    assert daily.value("g", ORIGIN, "lag_3") == 29.0
    assert daily.value("g", ORIGIN, "periods_since_observed") == 2.0
    assert daily.value("a", ORIGIN, "periods_since_observed") == 0.0
    # b was closed on Jan 29: demand 0 by design.
    assert daily.value("b", ORIGIN, "lag_3") == 0.0


def test_differences_and_pct_change(daily):
    assert daily.value("a", ORIGIN, "diff_1") == 1.0
    assert daily.value("a", ORIGIN, "diff_7") == 7.0
    # e sells 1 on even positions and 10 on odd ones; position 30 is even.
    assert daily.value("e", ORIGIN, "diff_1") == -9.0
    assert math.isnan(daily.value("g", ORIGIN, "diff_1"))
    # mean(Jan 25..31) / mean(Jan 18..24) - 1 = 28 / 21 - 1
    assert daily.value("a", ORIGIN, "pct_change_7") == pytest.approx(1 / 3, rel=1e-6)


def test_seasonal_lag_7_is_the_same_weekday_known_at_the_origin(daily):
    rows = daily.rows("a", ORIGIN)
    # h = 1..7 read Jan 25..31; h = 8..14 read the same days again (two weeks back).
    expected = [25, 26, 27, 28, 29, 30, 31] * 2
    np.testing.assert_array_equal(rows["seasonal_lag_7"].to_numpy(), np.array(expected, float))
    # The same, as dates: target date - 7 * ceil(h / 7) days, never after the origin.
    demand = daily.panel[daily.panel["series_id"] == "a"].set_index("date")["demand"]
    source = rows["date"] - pd.to_timedelta(7 * np.ceil(rows["horizon"] / 7), unit="D")
    assert (source <= pd.Timestamp(ORIGIN)).all()
    assert (source.dt.day_of_week == rows["date"].dt.day_of_week).all()
    np.testing.assert_array_equal(rows["seasonal_lag_7"].to_numpy(), demand.loc[source].to_numpy())


def test_seasonal_lag_52_weekly(weekly):
    rows = weekly.rows("w1", "2012-06-29")  # position 125; w1 sells position + 1
    assert rows["horizon"].tolist() == list(range(1, 14))
    np.testing.assert_array_equal(rows["seasonal_lag_52"].to_numpy(), np.arange(75.0, 88.0))
    demand = weekly.panel[weekly.panel["series_id"] == "w1"].set_index("date")["demand"]
    source = rows["date"] - pd.Timedelta(weeks=52)
    np.testing.assert_array_equal(rows["seasonal_lag_52"].to_numpy(), demand.loc[source].to_numpy())
    assert rows["lag_1"].eq(126.0).all()
    assert rows["lag_4"].eq(123.0).all()


def test_same_weekday_mean_4_over_open_days(daily):
    rows = daily.rows("a", ORIGIN)
    # h=1 (Thu Feb 1): Jan 25, 18, 11, 4 -> (25 + 18 + 11 + 4) / 4
    assert rows.loc[0, "same_weekday_mean_4"] == 14.5
    assert rows.loc[6, "same_weekday_mean_4"] == 20.5  # h=7: Jan 31, 24, 17, 10
    assert rows.loc[7, "same_weekday_mean_4"] == 14.5  # h=8: same weekday as h=1
    # Mondays (h=5, Feb 5): Jan 29, 22, 15, 8. b was closed on Jan 29: mean of the other 3.
    assert rows.loc[4, "same_weekday_mean_4"] == 18.5
    assert daily.value("b", ORIGIN, "same_weekday_mean_4", 5) == 15.0


# --- rolling windows and EWM ----------------------------------------------------------------
def test_rolling_windows_end_at_the_origin(daily):
    rows = daily.rows("a", ORIGIN)
    assert rows["rolling_mean_7"].eq(28.0).all()  # Jan 25..31; 8 days would give 27.5
    assert rows["rolling_max_7"].eq(31.0).all()
    assert rows["rolling_min_7"].eq(25.0).all()
    assert rows["rolling_median_7"].eq(28.0).all()
    assert rows.loc[0, "rolling_std_7"] == pytest.approx(math.sqrt(28 / 6), rel=1e-6)
    assert rows.loc[0, "rolling_mean_14"] == 24.5  # Jan 18..31
    assert rows.loc[0, "rolling_mean_28"] == 17.5  # Jan 4..31


def test_rolling_windows_skip_closed_and_unobserved_periods(daily):
    # b closed on Jan 29: mean of the 6 open days, and the closure is no minimum of 0.
    assert daily.value("b", ORIGIN, "rolling_mean_7") == pytest.approx(167 / 6, rel=1e-6)
    assert daily.value("b", ORIGIN, "rolling_min_7") == 25.0
    assert daily.value("b", ORIGIN, "rolling_max_7") == 31.0
    # g unobserved on Jan 30/31: Jan 25..29 only.
    assert daily.value("g", ORIGIN, "rolling_mean_7") == 27.0
    assert daily.value("g", ORIGIN, "rolling_max_7") == 29.0


def test_weekly_rolling_window_skips_closed_and_missing_weeks(weekly):
    # w2 (100 + position) at 2012-06-29 (position 125): 122 open, 123 closed, 124 missing.
    assert weekly.value("w2", "2012-06-29", "rolling_mean_4") == 223.5
    assert weekly.value("w2", "2012-06-29", "rolling_min_4") == 222.0
    assert math.isnan(weekly.value("w2", "2012-06-29", "lag_2"))
    assert weekly.value("w2", "2012-06-29", "lag_4") == 222.0


def test_ewm_is_the_pandas_ewm_of_open_demand_up_to_the_origin(daily):
    expected_a = pd.Series(np.arange(1.0, 32.0)).ewm(halflife=7).mean().iloc[-1]
    assert daily.value("a", ORIGIN, "ewm_7") == pytest.approx(expected_a, rel=1e-6)
    # The closed day is skipped, not counted as a sale of 0.
    open_b = np.delete(np.arange(1.0, 32.0), 28)
    expected_b = pd.Series(open_b).ewm(halflife=7).mean().iloc[-1]
    assert daily.value("b", ORIGIN, "ewm_7") == pytest.approx(expected_b, rel=1e-6)
    assert expected_b != pytest.approx(expected_a, rel=1e-3)
    assert column(daily, "a", ORIGIN, "ewm_7").tolist() == [pytest.approx(expected_a)] * 14


# --- intermittency ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("series_id", "zero_share", "adi", "cv2", "demand_class"),
    [
        ("a", 0.0, 1.0, (28 * 29 / 12) / 17.5**2, 0),  # smooth: 4..31
        ("c", 24 / 28, 7.0, 4 / 15, 1),  # intermittent: 2, 4, 6, 8 once a week
        ("e", 0.0, 1.0, 21 / 30.25, 2),  # erratic: 1 and 10 on alternate days
        ("l", 24 / 28, 7.0, 90.25 / 5.75**2, 3),  # lumpy: 1, 1, 1, 20 once a week
    ],
)
def test_intermittency_over_the_trailing_window(
    daily, series_id, zero_share, adi, cv2, demand_class
):
    rows = daily.rows(series_id, ORIGIN)  # window: the 28 days Jan 4..31
    assert rows["zero_share_28"].iloc[0] == pytest.approx(zero_share, rel=1e-6, abs=1e-9)
    assert rows["adi_28"].iloc[0] == pytest.approx(adi, rel=1e-6)
    assert rows["cv2_28"].iloc[0] == pytest.approx(cv2, rel=1e-5)
    assert rows["demand_class_28"].eq(demand_class).all()


def test_series_profile_is_fitted_on_training_data(daily):
    # Training data: Jan 1..17 (the cutoff). a sells 1..17; c sells 2 (Jan 7) and 4 (Jan 14).
    a = daily.rows("a", ORIGIN).iloc[0]
    assert a["series_target_mean"] == 9.0
    assert a["series_scale"] == 9.0
    assert a["series_target_std"] == pytest.approx(math.sqrt(25.5), rel=1e-6)
    assert a["lag_1_scaled"] == pytest.approx(31 / 9, rel=1e-6)
    assert a["rolling_mean_7_scaled"] == pytest.approx(28 / 9, rel=1e-6)
    c = daily.rows("c", ORIGIN).iloc[0]
    assert c["series_zero_share"] == pytest.approx(15 / 17, rel=1e-6)
    assert c["series_adi"] == 8.5
    assert c["series_cv2"] == pytest.approx(2 / 9, rel=1e-6)
    assert c["series_demand_class"] == 1.0
    # Weekday index of a: mean on Thursdays (4, 11) / overall mean 9.
    assert a["season_index"] == pytest.approx(7.5 / 9, rel=1e-6)  # h=1 is Thu Feb 1


def test_static_attributes_are_encoded_with_training_categories(daily):
    assert daily.value("a", ORIGIN, "store_type_code") == 0.0  # A
    assert daily.value("b", ORIGIN, "store_type_code") == 1.0  # B
    assert daily.value("b", ORIGIN, "store_size") == 2000.0
    unseen = pd.DataFrame({"series_id": ["x"], "store_type": ["Z"], "store_size": [5.0]})
    encoded = encode_attributes(unseen, daily.transforms)
    assert encoded.loc["x", "store_type_code"] == -1
    assert encoded.loc["x", "store_size"] == 5.0


def test_month_index_of_a_month_unseen_in_training_is_unknown(daily):
    # Training ends on Jan 17: no series has a February index.
    assert list(daily.transforms.month_index.columns) == [1]
    february = daily.model_input[daily.model_input["date"].dt.month == 2]
    assert len(february) > 0
    assert february["month_index"].isna().all()


def test_season_index_of_iso_week_53_unseen_in_training_is_unknown(kit):
    start = pd.Timestamp("2013-01-04")  # W-FRI; 2016-01-01 is in ISO week 53 of 2015
    n = len(pd.date_range(start, "2016-01-08", freq="W-FRI"))
    panel = kit.make_panel(
        kit.make_series("p", np.linspace(10, 20, n), start, "W-FRI"),
        kit.make_series("q", np.linspace(500, 900, n), start, "W-FRI"),
    )
    case = kit.build_case(
        panel,
        kit.make_metadata("W-FRI"),
        {**kit.weekly_params, "stl_history": 104},
        pd.DatetimeIndex(["2015-12-25"]),
        2,
        pd.Timestamp("2015-12-25"),
    )
    assert 53 not in case.transforms.season_index.columns
    week_53 = case.model_input[case.model_input["date"] == "2016-01-01"]
    assert len(week_53) == 2
    assert week_53["season_index"].isna().all()


def test_weekly_stl_without_two_seasons_is_dropped_with_a_log_line(kit, caplog):
    """70 weeks cannot show a 52-week season twice: the STL strengths are left out of the
    model input (a column no series can fill is no feature) and the log says why."""
    start = pd.Timestamp("2014-01-03")
    n = 70
    panel = kit.make_panel(
        kit.make_series("p", np.linspace(10, 20, n), start, "W-FRI"),
        kit.make_series("q", np.linspace(500, 900, n), start, "W-FRI"),
    )
    origin = pd.date_range(start, periods=n, freq="W-FRI")[-5]
    with caplog.at_level("INFO", logger="inventory_optimization.features.profile"):
        case = kit.build_case(
            panel, kit.make_metadata("W-FRI"), kit.weekly_params, pd.DatetimeIndex([origin]), 2,
            origin,
        )  # fmt: skip
    assert not [c for c in case.model_input.columns if "stl" in c]
    assert "series_adi" in case.model_input.columns
    assert "STL strengths dropped: no series has 105 weeks" in caplog.text


# --- covariates, price and promotions ----------------------------------------------------------
def test_price_ratio_and_discount_depth(daily):
    # Prices of a: 10, except 12 on Jan 21 and 8 on Feb 3 (h=3).
    # Reference: mean over Jan 18..31 = (13 * 10 + 12) / 14; highest over Jan 4..31 = 12.
    reference = 142 / 14
    rows = daily.rows("a", ORIGIN)
    price = np.full(14, 10.0)
    price[2] = 8.0
    np.testing.assert_array_equal(rows["price"].to_numpy(), price)
    np.testing.assert_allclose(rows["price_ratio"].to_numpy(), price / reference, rtol=1e-6)
    np.testing.assert_allclose(rows["discount_depth"].to_numpy(), 1 - price / 12, rtol=1e-6)
    assert rows.loc[2, "discount_depth"] == pytest.approx(1 / 3, rel=1e-6)


def test_periods_since_and_until_promo(daily):
    # a is on promotion on Jan 25, Feb 5, Feb 10 and Feb 29 (the panel's last day).
    rows = daily.rows("a", ORIGIN)  # targets Feb 1..14
    np.testing.assert_array_equal(
        rows["periods_since_promo"].to_numpy(),
        np.array([7, 8, 9, 10, 11, 1, 2, 3, 4, 5, 1, 2, 3, 4], float),
    )
    np.testing.assert_array_equal(
        rows["periods_until_promo"].to_numpy(),
        np.array([4, 3, 2, 1, 5, 4, 3, 2, 1, 19, 18, 17, 16, 15], float),
    )
    # After the data ends, promo is filled with 0: the last one is Feb 29, none follows.
    live = daily.rows("a", "2024-02-29")
    np.testing.assert_array_equal(live["periods_since_promo"].to_numpy(), H.astype(float))
    assert live["periods_until_promo"].isna().all()


def test_known_covariate_is_read_at_the_target_date(daily):
    # Promotions after the origin (Feb 5 = h 5, Feb 10 = h 10) show up in those rows only.
    promo = column(daily, "a", ORIGIN, "promo")
    np.testing.assert_array_equal(promo, (np.isin(H, [5, 10])).astype(float))
    # Feb 5 is a Monday (0), Feb 10 a Saturday (5): promo x (day_of_week + 1).
    interaction = column(daily, "a", ORIGIN, "promo_x_day_of_week")
    np.testing.assert_array_equal(interaction, np.where(H == 5, 1.0, np.where(H == 10, 6.0, 0)))
    assert "is_holiday_x_store_type" not in daily.model_input.columns  # no is_holiday column


def test_past_covariate_is_read_at_the_origin_only(daily):
    # temperature = 100 + position: 130 on Jan 31, 131..144 on the target dates.
    rows = daily.rows("a", ORIGIN)
    assert rows["temperature_at_origin"].eq(130.0).all()
    assert rows["temperature_mean_7"].eq(127.0).all()
    assert daily.rows("b", "2024-01-17")["temperature_at_origin"].eq(116.0).all()


# --- calendar and holidays ----------------------------------------------------------------------
def test_calendar_columns_of_the_target_dates(daily):
    rows = daily.rows("a", "2024-01-17")  # targets Thu Jan 18 .. Wed Jan 31
    assert rows["day_of_week"].tolist() == [(3 + h - 1) % 7 for h in H]
    assert rows["is_weekend"].tolist() == [float(h in (3, 4, 10, 11)) for h in H]
    assert rows["month"].eq(1).all()
    assert rows["day_of_month"].tolist() == list(range(18, 32))
    assert rows["is_month_end"].tolist() == [float(h == 14) for h in H]  # Jan 31
    assert rows["is_payday"].tolist() == [float(h == 14) for h in H]
    feb = daily.rows("a", "2024-02-07")  # Feb 8..21: payday on the 15th (h=8)
    assert feb["is_payday"].tolist() == [float(h == 8) for h in H]
    assert feb["month"].eq(2).all()
    assert feb["is_month_end"].eq(0).all()
    leap = daily.rows("a", "2024-02-15")  # Feb 16..29: the 29th is the last day (leap year)
    assert leap["is_payday"].tolist() == [float(h == 14) for h in H]
    assert leap["is_month_end"].tolist() == [float(h == 14) for h in H]
    march = daily.rows("a", "2024-02-29")  # live rows Mar 1..14
    assert march["is_month_start"].tolist() == [float(h == 1) for h in H]
    assert march["month"].eq(3).all()


def test_holidays_in_the_model_input_peru(kit):
    start = pd.Timestamp("2024-06-01")
    panel = kit.make_panel(kit.make_series("pe", np.ones(76), start))  # to Aug 15
    case = kit.build_case(
        panel,
        kit.make_metadata("D", country="PE"),
        kit.daily_params,
        pd.DatetimeIndex(["2024-07-25"]),
        7,
        pd.Timestamp("2024-07-25"),
    )
    rows = case.rows("pe", "2024-07-25")  # Jul 26 .. Aug 1; Fiestas Patrias Jul 28/29
    assert rows["is_public_holiday"].tolist() == [0, 0, 1, 1, 0, 0, 0]
    assert rows["days_to_next_holiday"].tolist() == [2, 1, 0, 0, 7, 6, 5]  # then Aug 6
    assert rows["days_since_last_holiday"].tolist() == [3, 4, 0, 0, 1, 2, 3]  # after Jul 23


def test_holidays_in_the_model_input_weekly_us(weekly):
    rows = weekly.rows("w1", "2012-06-29")  # weeks ending Jul 6 .. Sep 28 (W-FRI)
    # Jul 4 (Wed) is in the week ending Fri Jul 6; Labor Day Sep 3 in the week ending Sep 7.
    assert rows["is_public_holiday"].tolist() == [float(h in (1, 10)) for h in range(1, 14)]
    assert rows.loc[0, "days_since_last_holiday"] == 2.0
    assert rows.loc[0, "days_to_next_holiday"] == 59.0
    assert "day_of_week" not in weekly.model_input.columns
    # Paydays (15th, last day) inside the week: Jun 30 (Jul 6), Jul 15 (Jul 20), Jul 31 (Aug 3).
    assert rows.loc[:4, "is_payday"].tolist() == [1.0, 0.0, 1.0, 0.0, 1.0]


@pytest.mark.parametrize(
    ("country", "start", "end", "holidays"),
    [
        (
            "PE",
            "2024-07-20",
            "2024-08-08",
            ["2024-07-23", "2024-07-28", "2024-07-29", "2024-08-06"],
        ),
        ("DE", "2015-09-25", "2015-10-10", ["2015-10-03"]),
        (
            "JP",
            "2016-04-28",
            "2016-05-08",
            ["2016-04-29", "2016-05-03", "2016-05-04", "2016-05-05"],
        ),
        ("US", "2012-06-28", "2012-07-08", ["2012-07-04"]),
    ],
)
def test_daily_holiday_flags_by_country(country, start, end, holidays):
    dates = pd.date_range(start, end)
    table = calendar_table(dates, "D", country, [15, -1])
    flagged = table.index[table["is_public_holiday"] == 1]
    assert flagged.strftime("%Y-%m-%d").tolist() == holidays


def test_holiday_distances():
    de = calendar_table(pd.date_range("2015-09-30", "2015-10-05"), "D", "DE")
    # Last holiday before Oct 3: Whit Monday May 25; next after it: Christmas.
    assert de.loc["2015-10-01", "days_to_next_holiday"] == 2
    assert de.loc["2015-10-01", "days_since_last_holiday"] == 129
    assert de.loc["2015-10-03", "days_to_next_holiday"] == 0
    assert de.loc["2015-10-03", "days_since_last_holiday"] == 0
    assert de.loc["2015-10-04", "days_since_last_holiday"] == 1
    assert de.loc["2015-10-04", "days_to_next_holiday"] == 82
    jp = calendar_table(pd.date_range("2016-05-01", "2016-05-07"), "D", "JP")
    assert jp.loc["2016-05-02", "days_to_next_holiday"] == 1
    assert jp.loc["2016-05-02", "days_since_last_holiday"] == 3  # Showa Day, Apr 29
    none = calendar_table(pd.date_range("2016-05-01", "2016-05-07"), "D", None)
    assert "is_public_holiday" not in none.columns


def test_weekly_holiday_flag_covers_the_whole_week():
    dates = pd.date_range("2012-06-15", "2012-07-27", freq="W-FRI")
    table = calendar_table(dates, "W-FRI", "US", [15, -1])
    assert table["is_public_holiday"].tolist() == [0, 0, 0, 1, 0, 0, 0]  # week ending Jul 6
    assert table.loc["2012-07-06", "days_since_last_holiday"] == 2
    assert table.loc["2012-06-29", "days_to_next_holiday"] == 5
    # Weeks containing the 1st of a month end on days 1..7.
    assert table["is_month_start"].tolist() == [0, 0, 0, 1, 0, 0, 0]


def test_weekly_holidays_count_their_days_and_name_the_retail_peaks():
    """Thursday weeks of 2024 in GB: Christmas week (Dec 20-26) holds two public holidays,
    Christmas and Boxing Day; Easter (Good Friday Mar 29 .. Easter Monday Apr 1) falls in the
    week ending Apr 4; Thanksgiving (Nov 28) and its weekend fall in the weeks ending Nov 28 and Dec 5."""
    dates = pd.date_range("2024-03-21", "2024-12-26", freq="W-THU")
    table = calendar_table(dates, "W-THU", "GB")
    assert table.loc["2024-12-26", "holiday_days"] == 2
    assert table.loc["2024-12-19", "holiday_days"] == 0
    assert table.index[table["is_christmas"] == 1].strftime("%m-%d").tolist() == ["12-26"]
    assert table.index[table["is_easter"] == 1].strftime("%m-%d").tolist() == ["04-04"]
    thanksgiving = table.index[table["is_thanksgiving"] == 1].strftime("%m-%d").tolist()
    assert thanksgiving == ["11-28", "12-05"]
    assert table.loc["2024-12-19", "days_to_christmas"] == 6
    # Daily: the flags hold on the days themselves.
    daily = calendar_table(pd.date_range("2024-11-27", "2024-12-03"), "D", "US")
    assert daily["is_thanksgiving"].tolist() == [0, 1, 1, 1, 1, 1, 0]
    assert "holiday_days" not in daily


def test_the_weekly_is_holiday_covariate_holds_when_any_day_of_the_week_is_one():
    from inventory_optimization.panel.periods import is_holiday

    weeks = pd.Series(pd.date_range("2024-12-05", "2025-01-09", freq="W-THU"))
    flags = is_holiday(weeks, "GB", frequency="W-THU")
    # Christmas and Boxing Day (week ending Dec 26), New Year's Day (week ending Jan 2).
    assert flags.tolist() == [0, 0, 0, 1, 1, 0]
    assert is_holiday(pd.Series(pd.to_datetime(["2024-12-25", "2024-12-27"])), "GB").tolist() == [
        1,
        0,
    ]


def test_weekly_is_month_end_flags_the_week_containing_the_last_day():
    dates = pd.date_range("2012-06-22", "2012-10-05", freq="W-FRI")
    table = calendar_table(dates, "W-FRI", None)
    flagged = table.index[table["is_month_end"] == 1].strftime("%Y-%m-%d").tolist()
    # Jun 30 -> week ending Jul 6; Jul 31 -> Aug 3; Aug 31 -> Aug 31; Sep 30 -> Oct 5.
    assert flagged == ["2012-07-06", "2012-08-03", "2012-08-31", "2012-10-05"]


def test_monthly_calendar_counts_the_months_days_and_holidays():
    dates = pd.date_range("2023-11-30", "2024-05-31", freq="ME")
    table = calendar_table(dates, "ME", "GB", [15, -1])
    # What changes from month to month; day, week and payday positions would be constant.
    assert table.columns.tolist() == [
        "month",
        "quarter",
        "days_in_month",
        "working_days",
        "public_holidays",
        "is_public_holiday",
        "days_to_next_holiday",
        "days_since_last_holiday",
    ]
    assert table["days_in_month"].tolist() == [30, 31, 31, 29, 31, 30, 31]
    # GB-wide: 25-26 Dec, 1 Jan, Good Friday 29 Mar, 6 and 27 May (Easter Monday is not).
    assert table["public_holidays"].tolist() == [0, 2, 1, 0, 1, 0, 2]
    assert table["is_public_holiday"].tolist() == [0, 1, 1, 0, 1, 0, 1]
    # Monday to Friday less the holidays on them: December 2023 has 21 weekdays, 2 holidays.
    assert table["working_days"].tolist() == [22, 19, 22, 21, 20, 22, 21]
    assert table.loc["2023-12-31", "days_to_next_holiday"] == 1
    without = calendar_table(dates, "ME", None)
    assert without.columns.tolist() == ["month", "quarter", "days_in_month", "working_days"]
    assert without["working_days"].tolist() == [22, 21, 23, 21, 21, 22, 23]
