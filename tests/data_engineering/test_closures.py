"""Known closures of the custom source: declared (``closed_dates``, annual ``MM-DD`` days, a
``closures_file`` for some series) or detected (``closed_days: auto``: a day without a single
order while orders were expected). Closed periods are ``is_closed`` with zero demand in the
panel, and declared ones after the data's end close the live forecast rows of the model input.
Exports are written as CSV files and read through ``RawTableDataset``, so line numbers are the
file's own."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from inventory_optimization.datasets import RawTableDataset
from inventory_optimization.features import build_model_input, fit_transforms
from inventory_optimization.panel import DataValidationError
from inventory_optimization.panel.cleaning import clean_panel
from inventory_optimization.panel.closures import closed_mask
from inventory_optimization.panel.inspection import inspect_table
from inventory_optimization.sources import build_custom_panel
from tests.features.conftest import DAILY_PARAMS

LOGGER = "inventory_optimization.sources.custom"
MAPPING = {
    "frequency": "D",
    "date_column": "Order Date",
    "date_format": "%d/%m/%Y %H:%M",
    "key_columns": {"item_id": "Item Name"},
    "target_column": "Quantity",
    "aggregate": "sum",
    "order_id_column": "Order Number",
}
STORE_MAPPING = {**MAPPING, "key_columns": {"store_id": "Store", "item_id": "Item Name"}}
ITEMS = ("Naan", "Rice", "Dal")


def order_lines(
    start: str,
    end: str,
    orders_a_day: int,
    *,
    without: tuple[str, ...] = (),
    stores: tuple[str, ...] = (),
    seed: int = 0,
) -> pd.DataFrame:
    """A takeaway's order lines: ``orders_a_day`` orders every day from ``start`` to ``end``
    (per store when ``stores``), one or two items each; no line at all on the days
    ``without``."""
    rng = np.random.default_rng(seed)
    skipped = set(pd.DatetimeIndex(without))
    rows, order = [], 1000
    for day in pd.date_range(start, end):
        if day in skipped:
            continue
        for store in stores or (None,):
            for _ in range(orders_a_day):
                order += 1
                when = day + pd.Timedelta(minutes=int(rng.integers(11 * 60, 23 * 60)))
                for item in rng.choice(ITEMS, size=int(rng.integers(1, 3)), replace=False):
                    row = {
                        "Order Number": order,
                        "Order Date": when.strftime("%d/%m/%Y %H:%M"),
                        "Item Name": item,
                        "Quantity": int(rng.integers(1, 4)),
                    }
                    rows.append(row if store is None else {"Store": store, **row})
    return pd.DataFrame(rows)


def _load(tmp_path: Path, frame: pd.DataFrame) -> pd.DataFrame:
    path = tmp_path / "orders.csv"
    frame.to_csv(path, index=False)
    return RawTableDataset(str(path)).load()


def _build(tmp_path: Path, frame: pd.DataFrame, caplog=None, **mapping):
    """The adapter's raw panel, its summary, the cleaned panel and what the adapter logged."""
    sales = _load(tmp_path, frame)
    mapping = {**MAPPING, "raw_dir": str(tmp_path), **mapping}
    if caplog is None:
        raw, attributes, summary = build_custom_panel(sales, mapping)
        logged = ""
    else:
        with caplog.at_level(logging.INFO, logger=LOGGER):
            raw, attributes, summary = build_custom_panel(sales, mapping)
        logged = " ".join(r.getMessage() for r in caplog.records if r.name == LOGGER)
    clean = clean_panel(raw, summary.known_covariates, "zero", "clip", 5.0)
    return raw, attributes, summary, clean, logged


def _closed_days(panel: pd.DataFrame) -> list[str]:
    days = panel.loc[panel["is_closed"].eq(True), "date"].drop_duplicates().sort_values()
    return list(days.dt.strftime("%Y-%m-%d"))


def _refused(tmp_path: Path, message: str, frame: pd.DataFrame | None = None, **mapping) -> None:
    frame = order_lines("2019-03-01", "2019-03-10", 3) if frame is None else frame
    with pytest.raises(DataValidationError, match=re.escape(message)):
        _build(tmp_path, frame, **mapping)


# --- declared dates --------------------------------------------------------------------------


def test_a_declared_date_and_an_annual_date_become_closed_rows_with_zero_demand(tmp_path, caplog):
    # Two Christmases without a line, and orders on Boxing Day 2018, declared closed anyway.
    frame = order_lines("2017-12-18", "2019-01-04", 4, without=("2017-12-25", "2018-12-25"), seed=1)
    raw, _, summary, clean, logged = _build(
        tmp_path,
        frame,
        caplog,
        closed_dates=["12-25", "2018-12-26"],
        closed_days="none",
    )
    assert _closed_days(raw) == _closed_days(clean) == ["2017-12-25", "2018-12-25", "2018-12-26"]
    closed = clean[clean["is_closed"]]
    assert len(closed) == 3 * len(ITEMS)  # every series on every closed day
    assert (closed["demand"] == 0).all()
    assert (raw.loc[raw["is_closed"].eq(True), "demand"] == 0).all()
    # The other days stay open: Christmas Eve sold, and days without a line sold nothing.
    eve = clean[clean["date"] == "2018-12-24"]
    assert not eve["is_closed"].any() and eve["demand"].sum() > 0
    assert clean.loc[~clean["is_closed"], "is_known"].all()
    # Boxing Day's order lines are counted, warned about and not counted as demand.
    boxing = frame["Order Date"].str.startswith("26/12/2018")
    assert summary.input_counts["lines_on_closed_periods"] == int(boxing.sum()) > 0
    assert summary.input_counts["closed_periods"] == 3 * len(ITEMS)
    assert clean["demand"].sum() == frame.loc[~boxing, "Quantity"].sum()
    assert f"custom sales: {int(boxing.sum())} of {len(frame)} lines fall on closed days" in logged
    assert (
        "custom sales: closures declared (closed_dates: 2018-12-26, 12-25 every year) or "
        "detected close 9 series-days of the data; those after its end close the forecast's "
        "days (panel_metadata inferred.closures)."
    ) in logged
    # Nothing is declared after the data's end but the annual day.
    assert summary.inferred["closures"] == {"dates": [], "annual": ["12-25"], "series": {}}
    assert summary.inferred["closed_days"] == "none"
    assert summary.inferred["closed_days_detected"] == []


def test_an_annual_february_29_and_a_single_string_are_accepted(tmp_path):
    frame = order_lines("2024-02-20", "2024-03-05", 4)
    raw, _, summary, _, _ = _build(tmp_path, frame, closed_dates="02-29", closed_days="none")
    assert _closed_days(raw) == ["2024-02-29"]
    assert summary.inferred["closures"]["annual"] == ["02-29"]


def test_a_closed_date_that_is_not_a_date_is_refused_with_every_bad_value(tmp_path):
    _refused(
        tmp_path,
        "custom sales: closed_dates has 3 of 4 values that are not dates (item 2: '2019-13-25', "
        "item 3: 'xmas', item 4: '25/12/2019'); expected \"YYYY-MM-DD\" (closed on that day) or "
        '"MM-DD" (closed on that day every year), e.g. "2019-12-25" or "12-25"; correct them in '
        "data_source.",
        closed_dates=["12-25", "2019-13-25", "xmas", "25/12/2019"],
    )


def test_an_unknown_closed_days_setting_is_refused(tmp_path):
    _refused(
        tmp_path,
        "custom sales: closed_days 'autp' is not one of ('auto', 'none') (did you mean 'auto'?); "
        "set one of them in data_source.",
        closed_days="autp",
    )


# --- detected closed days --------------------------------------------------------------------


def test_a_day_without_any_line_in_a_busy_export_is_detected_as_closed(tmp_path, caplog):
    frame = order_lines("2019-11-01", "2019-12-31", 20, without=("2019-12-25",))
    raw, _, summary, clean, logged = _build(tmp_path, frame, caplog)
    assert summary.inferred["closed_days"] == "auto"
    assert summary.inferred["closed_days_counted"] == "orders"
    assert summary.inferred["closed_days_detected"] == ["2019-12-25"]
    assert summary.input_counts["closed_days_detected"] == 1
    assert _closed_days(raw) == _closed_days(clean) == ["2019-12-25"]
    christmas = clean[clean["date"] == "2019-12-25"]
    assert len(christmas) == len(ITEMS) and christmas["is_closed"].all()
    assert (christmas["demand"] == 0).all()
    assert (
        "custom sales: closed_days: auto found 1 closed days, closed for every series: "
        "2019-12-25 (no order on a day (or run of days) inside the data's span while the 14 "
        "days before and after it, by their median, expect at least 10 orders in it"
    ) in logged
    # Detected days are in the data, not after it: nothing for the forecast.
    assert summary.inferred["closures"] == {"dates": [], "annual": [], "series": {}}

    # closed_days: none keeps the day as a day without a sale.
    _, _, off, clean_off, _ = _build(tmp_path, frame, closed_days="none")
    assert not clean_off["is_closed"].any()
    day = clean_off[clean_off["date"] == "2019-12-25"]
    assert (day["demand"] == 0).all() and day["is_known"].all()
    assert off.inferred["closed_days_detected"] == []
    assert "closed_days_detected" not in off.input_counts


def test_a_day_without_any_line_in_a_sparse_export_is_not_a_closure(tmp_path, caplog):
    # Two orders a day: a day without any is plausibly chance (e^-2, about 1 in 7).
    frame = order_lines("2019-11-01", "2019-12-31", 2, without=("2019-12-03",))
    raw, _, summary, clean, logged = _build(tmp_path, frame, caplog)
    assert summary.inferred["closed_days_detected"] == []
    assert not raw["is_closed"].eq(True).any() and not clean["is_closed"].any()
    assert clean.loc[clean["date"] == "2019-12-03", "demand"].eq(0).all()
    assert "custom sales: closed_days: auto found no closed day" in logged


def test_a_long_run_without_lines_in_a_sparse_export_is_a_closure(tmp_path):
    # Two orders a day, then none for two weeks: 28 expected orders, not chance.
    frame = order_lines(
        "2019-10-01", "2019-12-31", 2, without=tuple(pd.date_range("2019-11-04", "2019-11-17"))
    )
    _, _, summary, clean, _ = _build(tmp_path, frame)
    expected = list(pd.date_range("2019-11-04", "2019-11-17").strftime("%Y-%m-%d"))
    assert summary.inferred["closed_days_detected"] == expected == _closed_days(clean)


def test_without_order_ids_the_order_times_are_counted(tmp_path):
    frame = order_lines("2019-11-01", "2019-12-31", 20, without=("2019-12-25",))
    frame = frame.drop(columns="Order Number")
    _, _, summary, _, _ = _build(tmp_path, frame, order_id_column=None)
    assert summary.inferred["closed_days_counted"] == "order times"
    assert summary.inferred["closed_days_detected"] == ["2019-12-25"]


def test_weekly_panels_are_not_searched_for_closed_days(tmp_path):
    frame = order_lines("2019-09-02", "2019-12-29", 20, without=("2019-12-25",))
    _, _, summary, clean, _ = _build(tmp_path, frame, frequency="W-SUN")
    assert summary.inferred["closed_days_detected"] == []
    assert summary.inferred["closed_days_reason"].startswith("not checked: a week")
    assert not clean["is_closed"].any()


def test_inspect_proposes_closed_days_and_lists_the_days_it_finds():
    frame = order_lines("2019-11-01", "2019-12-31", 20, without=("2019-12-25",))
    found = inspect_table(frame)
    assert list(found.closed.dates.strftime("%Y-%m-%d")) == ["2019-12-25"]
    text = found.to_yaml("orders.csv")
    line = next(row for row in text.splitlines() if row.strip().startswith("closed_days:"))
    assert "1 days without orders where 10+ were expected" in line and "2019-12-25" in line
    assert '# closed_dates: ["12-25"]' in text


# --- a closures file for some series -------------------------------------------------------


def _closures_file(tmp_path: Path, text: str, name: str = "closures.csv") -> str:
    (tmp_path / name).write_text(text)
    return name


def test_a_closures_file_closes_one_stores_series_only(tmp_path, caplog):
    frame = order_lines("2019-03-01", "2019-03-31", 15, stores=("S1", "S2"))
    name = _closures_file(
        tmp_path,
        "Store,date,end_date,reason\n"
        "S2,2019-03-11,2019-03-13,refurbishment\n"
        "S2,2019-03-20,,inventory count\n"
        "S9,2019-03-05,,a store not in the export\n",
    )
    raw, _, summary, clean, logged = _build(
        tmp_path, frame, caplog, closures_file=name, key_columns=STORE_MAPPING["key_columns"]
    )
    closed = clean[clean["is_closed"]]
    assert set(closed["store_id"]) == {"S2"}
    assert set(closed["item_id"]) == set(ITEMS)
    days = ["2019-03-11", "2019-03-12", "2019-03-13", "2019-03-20"]
    assert _closed_days(clean) == days
    assert len(closed) == len(days) * len(ITEMS)
    assert (closed["demand"] == 0).all()
    assert not clean.loc[clean["store_id"] == "S1", "is_closed"].any()
    # S2 sold on those days: the lines are warned about, not counted as demand.
    assert summary.input_counts["lines_on_closed_periods"] > 0
    assert summary.input_counts["closure_file_lines_unmatched"] == 1
    assert (
        "custom sales: 1 lines of closures_file match no series (line 4: store_id 'S9'); they "
        "close nothing: check their key spelling."
    ) in logged
    # The file also reads the panel's key names.
    _closures_file(tmp_path, "store_id,date\nS2,2019-03-20\n")
    _, _, _, again, _ = _build(
        tmp_path, frame, closures_file=name, key_columns=STORE_MAPPING["key_columns"]
    )
    assert _closed_days(again) == ["2019-03-20"]


def test_a_closures_file_without_key_columns_closes_every_series(tmp_path):
    frame = order_lines("2019-03-01", "2019-03-31", 15, stores=("S1", "S2"))
    name = _closures_file(tmp_path, "date\n2019-03-17\n")
    _, _, _, clean, _ = _build(
        tmp_path, frame, closures_file=name, key_columns=STORE_MAPPING["key_columns"]
    )
    assert _closed_days(clean) == ["2019-03-17"]
    assert clean.loc[clean["date"] == "2019-03-17", "is_closed"].all()


def test_a_closures_file_with_an_unknown_key_column_is_refused(tmp_path):
    name = _closures_file(tmp_path, "shop,date\nS2,2019-03-05\n")
    frame = order_lines("2019-03-01", "2019-03-10", 3, stores=("S1", "S2"))
    _refused(
        tmp_path,
        f"custom sales: closures_file {tmp_path / name}: column(s) ['shop'] are not key "
        f"columns; expected a 'date' column (YYYY-MM-DD), optionally 'end_date' and 'reason', "
        f"and key columns among ['store_id', 'item_id'] (or the export's ['Store', 'Item "
        f"Name']); found ['shop', 'date']; rename or remove them.",
        frame,
        closures_file=name,
        key_columns=STORE_MAPPING["key_columns"],
    )
    name = _closures_file(tmp_path, "store,date\nS2,2019-03-05\n")
    _refused(
        tmp_path,
        "column(s) ['store'] are not key columns (did you mean 'Store'?)",
        frame,
        closures_file=name,
        key_columns=STORE_MAPPING["key_columns"],
    )


def test_a_closures_file_with_a_bad_date_names_its_line(tmp_path):
    name = _closures_file(tmp_path, "date\n2019-03-05\n2019-13-01\n05/03/2019\n")
    _refused(
        tmp_path,
        f"custom sales: closures_file {tmp_path / name}: column 'date' must hold dates (format "
        f"'%Y-%m-%d'); 2 of 3 lines do not parse (line 3: '2019-13-01', line 4: '05/03/2019'); "
        f"write them as YYYY-MM-DD, e.g. 2019-12-25.",
        closures_file=name,
    )


def test_a_closures_file_that_ends_before_it_starts_or_is_missing_is_refused(tmp_path):
    name = _closures_file(tmp_path, "date,end_date\n2019-03-05,2019-03-01\n")
    _refused(
        tmp_path,
        "lines end before they start (line 2: '2019-03-01'); set end_date on or after date",
        closures_file=name,
    )
    _refused(
        tmp_path,
        f"custom sales: closures_file 'nowhere.csv' does not exist (looked for "
        f"{tmp_path / 'nowhere.csv'} or nowhere.csv)",
        closures_file="nowhere.csv",
    )
    name = _closures_file(tmp_path, "day\n2019-03-05\n")
    _refused(tmp_path, "has no 'date' column; expected a 'date' column", closures_file=name)


def test_a_week_is_closed_when_all_its_days_are(tmp_path):
    frame = order_lines("2019-09-02", "2019-10-27", 15, stores=("S1", "S2"))
    name = _closures_file(
        tmp_path,
        "Store,date,end_date\nS1,2019-09-16,2019-09-22\nS2,2019-09-16,2019-09-21\n",
    )
    _, _, _, clean, _ = _build(
        tmp_path,
        frame,
        frequency="W-SUN",
        closures_file=name,
        key_columns=STORE_MAPPING["key_columns"],
    )
    closed = clean[clean["is_closed"]]
    assert set(closed["store_id"]) == {"S1"}  # S2 opened on the Sunday
    assert _closed_days(clean) == ["2019-09-22"]


# --- closures after the data's end -------------------------------------------------------------


def test_closed_mask_reads_days_annual_days_and_series():
    dates = pd.to_datetime(["2019-12-24", "2019-12-25", "2020-01-01", "2020-01-02"] * 2)
    series = ["a"] * 4 + ["b"] * 4
    closures = {"dates": ["2020-01-01"], "annual": ["12-25"], "series": {"b": ["2020-01-02"]}}
    mask = closed_mask(series, dates, "D", closures)
    assert mask.tolist() == [False, True, True, False, False, True, True, True]
    assert not closed_mask(series, dates, "D", {}).any()


def test_a_future_annual_closure_closes_the_live_model_input_rows(tmp_path):
    frame = order_lines("2019-09-01", "2019-12-20", 6, stores=("S1", "S2"))
    name = _closures_file(tmp_path, "Store,date\nS2,2019-12-27\n")
    raw, attributes, summary = build_custom_panel(
        _load(tmp_path, frame),
        {
            **STORE_MAPPING,
            "raw_dir": str(tmp_path),
            "closed_dates": ["12-25", "2020-01-01", "2019-10-10"],
            "closures_file": name,
        },
    )
    assert summary.inferred["closures"] == {
        "dates": ["2020-01-01"],
        "annual": ["12-25"],
        "series": {"S2|Dal": ["2019-12-27"], "S2|Naan": ["2019-12-27"], "S2|Rice": ["2019-12-27"]},
    }
    panel = clean_panel(raw, summary.known_covariates, "zero", "clip", 5.0)
    assert _closed_days(panel) == ["2019-10-10"]
    metadata = summary.to_dict()  # panel_metadata carries the source summary's fields
    params = {**DAILY_PARAMS, "interactions": [], "future_fill": {}}
    end = panel["date"].max()
    transforms = fit_transforms(panel, attributes, end, "D", 7, 56)
    live = pd.DatetimeIndex([end])
    model_input, _ = build_model_input(panel, attributes, metadata, transforms, live, 14, params)
    closed = model_input[model_input["is_closed"]]
    by_day = closed.groupby(closed["date"].dt.strftime("%Y-%m-%d"))["series_id"].agg(set)
    every = set(panel["series_id"].unique())
    assert by_day.to_dict() == {
        "2019-12-25": every,
        "2019-12-27": {s for s in every if s.startswith("S2|")},
        "2020-01-01": every,
    }
    assert model_input["date"].max() == pd.Timestamp("2020-01-03")
    assert not model_input.loc[model_input["is_closed"], "is_known"].any()
    # Without the recorded closures the same rows are open (the panel cannot hold them).
    metadata["inferred"] = {}
    plain, _ = build_model_input(panel, attributes, metadata, transforms, live, 14, params)
    assert not plain["is_closed"].any()
    pd.testing.assert_frame_equal(
        plain.drop(columns="is_closed"), model_input.drop(columns="is_closed")
    )


def test_a_month_is_closed_only_when_every_one_of_its_days_is():
    dates = pd.to_datetime(["2024-02-29", "2024-04-30", "2024-05-31"] * 2)
    series = ["a"] * 3 + ["b"] * 3
    february = [f"2024-02-{day:02d}" for day in range(1, 30)]
    april = [f"2024-04-{day:02d}" for day in range(1, 31)]
    closures = {"dates": february, "series": {"b": april + ["2024-05-01"]}}
    assert closed_mask(series, dates, "ME", closures).tolist() == [
        True,  # February closed on all its 29 days
        False,
        False,
        True,
        True,  # b: all 30 days of April
        False,  # one day of May is not the month
    ]
    # 28 of February's 29 days leave it open.
    assert not closed_mask(["a"], dates[:1], "ME", {"dates": february[1:]}).any()
