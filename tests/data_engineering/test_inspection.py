"""Detect, then confirm (issue 12, items 1 and 6): what ``panel.inspection`` infers from
generated exports (daily order lines with times; weekly totals on every anchor day; gaps;
prices and promotion flags present or absent), ``frequency: auto`` through the custom source,
and the errors a person can act on (contradictions, monthly dates, "did you mean")."""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory_optimization.panel import DataValidationError
from inventory_optimization.panel.inspection import (
    infer_missing_periods,
    inspect_dates,
    inspect_table,
)
from inventory_optimization.panel.periods import WEEKDAYS
from inventory_optimization.sources import build_custom_panel

LOGGER = "inventory_optimization.sources.custom"
FEW = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ITEMS = [f"Dish {letter}" for letter in "ABCDEF"]


# --- generated exports ---------------------------------------------------------------------------


def daily_orders(
    seed: int, items: int, days: int, *, price: bool, promo: bool, gap_share: float = 0.0
) -> pd.DataFrame:
    """A takeaway's order lines: several orders a day at times of day, 1 to 3 items each,
    whole days without orders (gaps); an optional price per item (changed once) and a 0/1
    promotion flag. Dates are day first, from March 1st (so days above 12 occur)."""
    rng = np.random.default_rng(seed)
    names = ITEMS[:items]
    base = {name: round(float(rng.uniform(1, 9)), 2) + 0.05 for name in names}
    rows, order = [], 1000
    for offset in range(days):
        day = pd.Timestamp("2024-03-01") + pd.Timedelta(days=offset)
        if 0 < offset < days - 1 and rng.random() < gap_share:
            continue
        for _ in range(int(rng.integers(2, 6))):
            order += 1
            when = day + pd.Timedelta(minutes=int(rng.integers(11 * 60, 23 * 60)))
            chosen = rng.choice(names, size=int(rng.integers(1, min(3, items) + 1)), replace=False)
            for name in chosen:
                row = {
                    "Order Number": order,
                    "Order Date": when.strftime("%d/%m/%Y %H:%M"),
                    "Item Name": name,
                    "Quantity": int(rng.integers(1, 4)),
                    "Category": "Mains" if names.index(name) % 2 else "Sides",
                }
                if price:
                    row["Unit Price"] = base[name] + (0.5 if offset > days // 2 else 0.0)
                if promo:
                    row["On Promotion"] = int(rng.random() < 0.2)
                rows.append(row)
    return pd.DataFrame(rows)


def weekly_totals(
    seed: int,
    anchor: str,
    stores: int,
    items: int,
    weeks: int,
    *,
    price: bool,
    promo: bool,
    zeros: bool,
    floor: int,
    gap_share: float = 0.0,
) -> pd.DataFrame:
    """One line per store, item and week, dated on ``anchor``; some weeks missing (gaps),
    zero lines (``zeros``) or none, sales from ``floor`` up."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2023-01-01", periods=weeks, freq=f"W-{anchor}")
    rows = []
    for store in range(1, stores + 1):
        for item in range(1, items + 1):
            base = round(float(rng.uniform(2, 30)), 2) + 0.01
            for week, date in enumerate(dates):
                if 0 < week < weeks - 1 and rng.random() < gap_share:
                    continue
                row = {
                    "Week": f"{date:%Y-%m-%d}",
                    "Store": f"S{store}",
                    "SKU": f"P{item:02d}",
                    "Units Sold": int(rng.integers(floor, floor + 100)),
                }
                if price:
                    row["Price"] = base * (0.9 if rng.random() < 0.1 else 1.0)
                if promo:
                    row["Promo Flag"] = int(rng.random() < 0.15)
                rows.append(row)
    frame = pd.DataFrame(rows)
    frame.loc[0, "Units Sold"] = floor  # the smallest sale is the floor
    if zeros:
        frame.loc[frame.index[1 :: max(len(frame) // 20, 2)], "Units Sold"] = 0
    return frame


def _pasted(frame: pd.DataFrame) -> dict:
    """The YAML block ``inspect`` prints, as a user pastes it."""
    return yaml.safe_load(inspect_table(frame).to_yaml("export.csv"))


# --- daily order lines ---------------------------------------------------------------------------


@FEW
@given(
    seed=st.integers(0, 10_000),
    items=st.integers(2, 6),
    days=st.integers(14, 40),
    price=st.booleans(),
    promo=st.booleans(),
    gap_share=st.sampled_from([0.0, 0.2]),
)
def test_daily_order_lines_are_read_as_daily_with_their_roles(
    seed, items, days, price, promo, gap_share
):
    frame = daily_orders(seed, items, days, price=price, promo=promo, gap_share=gap_share)
    found = inspect_table(frame)
    assert found.frequency == "D"
    assert found.date.column == "Order Date"
    assert found.date.date_format == "%d/%m/%Y %H:%M"
    assert found.date.dates.has_times
    assert found.target.column == "Quantity"
    assert {name: role.column for name, role in found.keys.items()} == {"item_id": "Item Name"}
    assert found.cardinality == {"item_id": frame["Item Name"].nunique()}
    assert found.order_id.column == "Order Number"
    expected = {"price": "Unit Price"} if price else {}
    expected |= {"promo": "On Promotion"} if promo else {}
    assert {name: role.column for name, role in found.known.items()} == expected
    assert {name: role.column for name, role in found.attributes.items()} == {
        "category": "Category"
    }
    assert found.missing.policy == "zero"
    assert "order lines" in found.missing.reason


@FEW
@given(seed=st.integers(0, 10_000), price=st.booleans(), promo=st.booleans())
def test_the_pasted_daily_block_builds_the_same_panel_as_the_template(seed, price, promo):
    frame = daily_orders(seed, 4, 21, price=price, promo=promo, gap_share=0.2)
    pasted = _pasted(frame)
    mapping = pasted["data_source"]
    assert pasted["cleaning"] == {"missing_policy": "zero"}
    panel, _, summary = build_custom_panel(frame, mapping)
    assert summary.frequency == "D"
    template = {
        "frequency": "D",
        "date_column": "Order Date",
        "date_format": "%d/%m/%Y %H:%M",
        "key_columns": {"item_id": "Item Name"},
        "target_column": "Quantity",
        "order_id_column": "Order Number",
        "known_covariates": mapping["known_covariates"],
    }
    expected, _, _ = build_custom_panel(frame, template)
    pd.testing.assert_frame_equal(panel, expected)


# --- weekly totals on every anchor day -------------------------------------------------------


@pytest.mark.parametrize("anchor", WEEKDAYS)
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    stores=st.integers(1, 3),
    items=st.integers(2, 5),
    weeks=st.integers(8, 30),
    price=st.booleans(),
    promo=st.booleans(),
    zeros=st.booleans(),
    floor=st.sampled_from([1, 40]),
    gap_share=st.sampled_from([0.0, 0.15]),
)
def test_weekly_totals_are_read_on_their_anchor_day(
    anchor, seed, stores, items, weeks, price, promo, zeros, floor, gap_share
):
    frame = weekly_totals(
        seed,
        anchor,
        stores,
        items,
        weeks,
        price=price,
        promo=promo,
        zeros=zeros,
        floor=floor,
        gap_share=gap_share,
    )
    found = inspect_table(frame)
    assert found.frequency == f"W-{anchor}"
    assert found.date.dates.week_label == ("start" if anchor == "MON" else "end")
    assert found.target.column == "Units Sold"
    keys = {"store_id": "Store", "item_id": "SKU"} if stores > 1 else {"item_id": "SKU"}
    assert {name: role.column for name, role in found.keys.items()} == keys
    assert found.series == stores * items
    assert found.cardinality == {name: frame[column].nunique() for name, column in keys.items()}
    expected = {"price": "Price"} if price else {}
    expected |= {"promo": "Promo Flag"} if promo else {}
    assert {name: role.column for name, role in found.known.items()} == expected
    assert found.order_id is None
    if zeros:
        assert found.missing.policy == "nan" and "writes a period without a sale as 0" in (
            found.missing.reason
        )
    else:
        assert found.missing.policy == ("zero" if floor == 1 else "nan")
        assert f"smallest sale {floor}" in found.missing.reason


@pytest.mark.parametrize("anchor", WEEKDAYS)
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), gap_share=st.sampled_from([0.0, 0.2]))
def test_frequency_auto_gives_the_panel_of_the_explicit_frequency(anchor, seed, gap_share):
    frame = weekly_totals(
        seed, anchor, 2, 3, 12, price=True, promo=True, zeros=False, floor=5, gap_share=gap_share
    )
    mapping = _pasted(frame)["data_source"]
    auto_panel, auto_attributes, auto = build_custom_panel(frame, {**mapping, "frequency": "auto"})
    panel, attributes, explicit = build_custom_panel(frame, {**mapping, "frequency": f"W-{anchor}"})
    pd.testing.assert_frame_equal(auto_panel, panel)
    pd.testing.assert_frame_equal(auto_attributes, attributes)
    assert auto.frequency == explicit.frequency == f"W-{anchor}"
    assert auto.inferred["frequency_setting"] == "auto"
    assert explicit.inferred["frequency_setting"] == f"W-{anchor}"
    assert auto.inferred["key_cardinality"] == {"store_id": 2, "item_id": 3}
    # A key omitted from the mapping defaults to auto as well.
    omitted = {k: v for k, v in mapping.items() if k != "frequency"}
    assert build_custom_panel(frame, omitted)[2].frequency == f"W-{anchor}"


def test_frequency_auto_on_daily_lines_equals_d():
    frame = daily_orders(3, 4, 30, price=True, promo=False, gap_share=0.2)
    mapping = _pasted(frame)["data_source"]
    auto_panel, _, auto = build_custom_panel(frame, {**mapping, "frequency": "auto"})
    panel, _, _ = build_custom_panel(frame, {**mapping, "frequency": "D"})
    pd.testing.assert_frame_equal(auto_panel, panel)
    assert auto.frequency == "D"
    assert auto.inferred["missing_periods"] == "zero"


def test_frequency_auto_logs_one_readable_block(caplog):
    frame = weekly_totals(1, "THU", 3, 4, 10, price=False, promo=False, zeros=False, floor=64)
    mapping = {
        **_pasted(frame)["data_source"],
        "frequency": "auto",
        "raw_dir": "data/01_raw/custom",
        "sales_file": "weekly.csv",
    }
    with caplog.at_level(logging.INFO, logger=LOGGER):
        _, _, summary = build_custom_panel(frame, mapping)
    blocks = [r.getMessage() for r in caplog.records if "Inferred from" in r.getMessage()]
    assert len(blocks) == 1
    assert blocks[0] == (
        "Inferred from data/01_raw/custom/weekly.csv (frequency: auto):\n"
        "  frequency        W-THU (inferred, weekly: its 10 dates are 7 days apart, all on "
        "Thursdays; weeks labelled by their last day, Thursday)\n"
        "  series           12 series by store_id (3) x item_id (4)\n"
        "  dates            2023-01-05 to 2023-03-09, 10 days\n"
        "  missing periods  likely nan (share of zero lines 0.000, smallest sale 64: a series "
        "that never sells less than 64 rarely sells nothing, so a missing period is more "
        "likely unrecorded (or closed, if the shop was shut); 0.0% of series-periods have no "
        "line); cleaning.missing_policy decides"
    )
    assert summary.inferred["frequency"] == summary.frequency == "W-THU"
    assert summary.inferred["week_label"] == "end"
    assert summary.inferred["series"] == "12 series by store_id (3) x item_id (4)"
    assert summary.to_dict()["inferred"]["smallest_sale"] == 64.0


# --- contradictions and what the dates cannot be --------------------------------------------------


@pytest.mark.parametrize("anchor", ["MON", "THU", "SUN"])
def test_a_declared_daily_frequency_on_weekly_dates_says_what_to_set(anchor):
    frame = weekly_totals(0, anchor, 1, 2, 6, price=False, promo=False, zeros=False, floor=3)
    mapping = {**_pasted(frame)["data_source"], "frequency": "D"}
    day = {"MON": "Monday", "THU": "Thursday", "SUN": "Sunday"}[anchor]
    with pytest.raises(
        DataValidationError,
        match=re.escape(
            f"custom sales: column 'Week' looks weekly but frequency 'D' is declared: its 6 "
            f"dates are 7 days apart, all on {day}s; set frequency: W-{anchor} in data_source."
        ),
    ):
        build_custom_panel(frame, mapping)


def monthly_totals(seed: int, day: str, months: int, *, floor: int = 5) -> pd.DataFrame:
    """One line per store, item and month, dated on the month's ``start`` (the 1st),
    ``end`` (its last day) or ``mid`` (the 15th); sales from ``floor`` up."""
    rng = np.random.default_rng(seed)
    starts = pd.date_range("2021-11-01", periods=months, freq="MS")
    dates = {
        "start": starts,
        "end": starts + pd.offsets.MonthEnd(0),
        "mid": starts + pd.Timedelta(days=14),
    }
    rows = [
        {
            "Month": f"{date:%Y-%m-%d}",
            "Region": f"R{group}",
            "SKU": f"P{item:02d}",
            "Units": int(rng.integers(floor, floor + 500)),
        }
        for group in range(1, 3)
        for item in range(1, 4)
        for date in dates[day]
    ]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("day", ["start", "end", "mid"])
def test_monthly_totals_are_read_as_months_labelled_by_their_last_day(day):
    frame = monthly_totals(0, day, 14)
    found = inspect_table(frame)
    assert found.frequency == "ME"
    where = {"start": "1st of a month", "end": "last day of a month", "mid": "15th of a month"}
    label = (
        "months labelled by their last day (ME)"
        if day == "end"
        else "each date labels its month; the panel labels it by the month's last day (ME)"
    )
    assert found.date.dates.describe_frequency() == (
        f"monthly: its 14 dates are all on the {where[day]}, at least 28 days apart; {label}"
    )
    assert not any("monthly" in note for note in found.notes)
    pasted = _pasted(frame)
    assert pasted["data_source"]["frequency"] == "ME"
    assert "# 1.00 lines per series and month" in inspect_table(frame).to_yaml("export.csv")
    panel, _, summary = build_custom_panel(frame, pasted["data_source"])
    assert summary.frequency == "ME" and summary.inferred["frequency_setting"] == "ME"
    # Every date names its month: the panel holds the month ends, the units unchanged.
    ends = pd.date_range("2021-11-30", periods=14, freq="ME")
    for _, dates in panel.groupby("series_id")["date"]:
        assert dates.tolist() == list(ends)
    assert panel["demand"].sum() == frame["Units"].sum()
    for setting in ("auto", "M"):
        again, _, other = build_custom_panel(frame, {**pasted["data_source"], "frequency": setting})
        pd.testing.assert_frame_equal(again, panel)
        assert other.frequency == "ME"


def test_frequency_auto_logs_one_readable_monthly_block(caplog):
    frame = monthly_totals(2, "start", 12, floor=40)
    mapping = {**_pasted(frame)["data_source"], "frequency": "auto", "sales_file": "b2b.csv"}
    mapping["raw_dir"] = "data/01_raw/custom"
    with caplog.at_level(logging.INFO, logger=LOGGER):
        _, _, summary = build_custom_panel(frame, mapping)
    blocks = [r.getMessage() for r in caplog.records if "Inferred from" in r.getMessage()]
    assert blocks[0].splitlines()[:4] == [
        "Inferred from data/01_raw/custom/b2b.csv (frequency: auto):",
        "  frequency        ME (inferred, monthly: its 12 dates are all on the 1st of a month, at "
        "least 28 days apart; each date labels its month; the panel labels it by the month's "
        "last day (ME))",
        "  series           6 series by region (2) x item_id (3)",
        "  dates            2021-11-01 to 2022-10-01, 12 days",
    ]
    assert summary.inferred["frequency"] == "ME"


@pytest.mark.parametrize("declared", ["D", "W-SUN", "W-MON"])
def test_a_declared_daily_or_weekly_frequency_on_monthly_dates_says_what_to_set(declared):
    frame = monthly_totals(1, "start", 8)
    mapping = {**_pasted(frame)["data_source"], "frequency": declared}
    with pytest.raises(DataValidationError) as error:
        build_custom_panel(frame, mapping)
    assert str(error.value) == (
        f"custom sales: column 'Month' looks monthly but frequency '{declared}' is declared: "
        "its 8 dates are all on the 1st of a month, at least 28 days apart; set frequency: ME "
        "(months labelled by their last day) or auto in data_source."
    )


def test_weekly_totals_declared_monthly_are_refused():
    frame = weekly_totals(0, "SUN", 1, 2, 10, price=False, promo=False, zeros=False, floor=3)
    mapping = {**_pasted(frame)["data_source"], "frequency": "M"}
    with pytest.raises(
        DataValidationError,
        match=re.escape(
            "custom sales: column 'Week' looks weekly but frequency 'M' is declared: its 10 dates "
            "are 7 days apart, all on Sundays; weekly totals cannot be summed into months (a week "
            "can straddle two): set frequency: W-SUN in data_source, or export daily lines."
        ),
    ):
        build_custom_panel(frame, mapping)


def test_daily_lines_summed_into_months_drop_the_partial_months():
    frame = daily_orders(0, 2, 75, price=False, promo=False)  # 1 March to 14 May 2024
    mapping = {**_pasted(frame)["data_source"], "frequency": "ME"}
    panel, _, summary = build_custom_panel(frame, mapping)
    assert sorted(panel["date"].unique()) == list(pd.to_datetime(["2024-03-31", "2024-04-30"]))
    assert summary.input_counts["partial_periods_dropped"] == 1
    kept = pd.to_datetime(frame["Order Date"], format="%d/%m/%Y %H:%M") < "2024-05-01"
    assert panel["demand"].sum() == frame.loc[kept, "Quantity"].sum()


def test_three_weekly_dates_are_too_few_to_call_weeks():
    dates = inspect_dates(pd.Series(pd.to_datetime(["2024-01-04", "2024-01-11", "2024-01-18"])))
    assert dates.suggested_frequency == "D"
    assert dates.describe_frequency() == (
        "daily: its 3 dates are 7 days apart, all on Thursdays, too few to call them weeks "
        "(set frequency: W-THU if they are)"
    )


def _refused(message: str, **override) -> None:
    """A small daily export mapped as ``inspect`` pastes it, with ``override`` applied."""
    frame = daily_orders(0, 2, 14, price=False, promo=False)
    with pytest.raises(DataValidationError, match=re.escape(message)):
        build_custom_panel(frame, {**_pasted(frame)["data_source"], **override})


def test_an_unknown_frequency_names_the_nearest_and_auto():
    _refused(
        "custom sales: frequency 'W-Sun' is not supported (did you mean 'W-SUN'?); set "
        "frequency: auto (read from the dates), D, W-<DAY> (weeks labelled by that day) or "
        "ME (months labelled by their last day; M also) in data_source.",
        frequency="W-Sun",
    )


def test_empty_key_columns_are_refused():
    _refused("key_columns is empty; map at least one", key_columns={})


# --- did you mean ----------------------------------------------------------------------------------


def test_a_near_miss_column_name_gets_a_did_you_mean():
    frame = daily_orders(0, 2, 14, price=False, promo=False).rename(
        columns={"Quantity": "units", "Item Name": "item_name"}
    )
    mapping = {
        "date_column": "Order Date",
        "date_format": "%d/%m/%Y %H:%M",
        "key_columns": {"item_id": "Item Name"},
        "target_column": "Units",
    }
    with pytest.raises(DataValidationError) as error:
        build_custom_panel(frame, mapping)
    assert str(error.value) == (
        f"custom sales: missing required column(s) ['Units', 'Item Name'] in {len(frame)} rows "
        "(did you mean 'units' for 'Units'; 'item_name' for 'Item Name'?); expected "
        "['Order Date', 'Units', 'Item Name'], found ['Order Number', 'Order Date', "
        "'item_name', 'units', 'Category']; set the file's column names in data_source (or "
        "rename them in the export)."
    )


def test_a_misspelt_policy_gets_a_did_you_mean():
    _refused(
        "duplicate_lines 'Drop' is not one of ('drop', 'error') (did you mean 'drop'?)",
        duplicate_lines="Drop",
    )


# --- single heuristics -----------------------------------------------------------------------


def test_an_unnamed_price_is_found_by_its_stability_within_a_series():
    frame = weekly_totals(4, "SUN", 2, 5, 20, price=True, promo=False, zeros=False, floor=5)
    found = inspect_table(frame.rename(columns={"Price": "Tag"}))
    assert found.known["price"].column == "Tag"
    assert "of the variance is between series" in found.known["price"].reason


def test_an_unnamed_flag_is_not_a_promotion_and_a_text_flag_is_explained():
    frame = weekly_totals(4, "SUN", 2, 5, 20, price=False, promo=True, zeros=False, floor=5)
    found = inspect_table(frame.rename(columns={"Promo Flag": "Flag"}))
    assert found.known == {}
    assert any("numeric, not mapped: 'Flag'" in note for note in found.notes)
    text = frame.assign(**{"Promo Flag": frame["Promo Flag"].map({0: "no", 1: "yes"})})
    found = inspect_table(text)
    assert found.known == {}
    assert any("'Promo Flag' looks like a promotion flag but is not 0/1" in n for n in found.notes)


def test_a_text_column_that_changes_over_time_is_not_a_key():
    frame = weekly_totals(2, "FRI", 3, 4, 20, price=False, promo=False, zeros=False, floor=5)
    week = pd.to_datetime(frame["Week"])
    frame["Season"] = np.where(week.dt.month <= 2, "winter", "spring")
    found = inspect_table(frame)
    assert {name: role.column for name, role in found.keys.items()} == {
        "store_id": "Store",
        "item_id": "SKU",
    }
    assert "season" not in found.attributes


def test_ambiguous_day_and_month_take_the_more_regular_reading():
    # The first Sunday of six months: no day above 12, so 07/01/2024 reads both ways; day
    # first they are Sundays 4 or 5 weeks apart, month first they are scattered.
    sundays = pd.to_datetime(["2024-01-07", "2024-02-04", "2024-03-03", "2024-04-07"])
    sundays = sundays.append(pd.to_datetime(["2024-05-05", "2024-06-02"]))
    frame = pd.DataFrame(
        {
            "Date": [f"{d:%d/%m/%Y}" for d in sundays for _ in range(2)],
            "SKU": ["a", "b"] * len(sundays),
            "Qty": [3, 4] * len(sundays),
        }
    )
    found = inspect_table(frame)
    assert found.date.date_format == "%d/%m/%Y"
    assert found.frequency == "W-SUN"
    assert "read either way" in found.date.reason


@pytest.mark.parametrize(
    ("quantities", "order_lines", "policy", "why"),
    [
        ([0, 3, 4, 0, 5, 6], False, "nan", "writes a period without a sale as 0"),
        ([1, 2, 1, 3, 1, 2], True, "zero", "a period without a line is a period without a sale"),
        ([1, 5, 9, 4, 7, 3], False, "zero", "sales that small occur"),
        ([64, 80, 71, 90, 66, 75], False, "nan", "never sells less than 64"),
    ],
)
def test_what_a_missing_period_means(quantities, order_lines, policy, why):
    periods = pd.Series(pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-04"] * 2))
    series = pd.Series(["a"] * 3 + ["b"] * 3)
    missing = infer_missing_periods(
        pd.Series(quantities), series, periods, "D", order_lines=order_lines
    )
    assert missing.policy == policy
    assert why in missing.reason
    assert missing.missing_share == pytest.approx(2 / 8)
    assert "25.0% of series-periods have no line" in missing.reason


def test_the_yaml_quotes_what_yaml_would_misread():
    frame = daily_orders(0, 3, 14, price=False, promo=False).rename(
        columns={"Item Name": "Item: name", "Quantity": "yes"}
    )
    mapping = _pasted(frame)["data_source"]
    assert mapping["key_columns"] == {"item_id": "Item: name"}
    assert mapping["target_column"] == "yes"
    assert mapping["date_format"] == "%d/%m/%Y %H:%M"
