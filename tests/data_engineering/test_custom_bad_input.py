"""Bad input to the custom source (issue 13): each case is either refused with a message that
names the dataset, the column, the count, 1-based file lines and what to change, or handled
by a policy of the mapping that is logged and counted. Files are written as CSV text and read
through ``RawTableDataset``, so the line numbers are the file's own."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from inventory_optimization.datasets import RawTableDataset
from inventory_optimization.panel import DataValidationError
from inventory_optimization.panel.cleaning import clean_panel
from inventory_optimization.panel.inspection import inspect_dates
from inventory_optimization.panel.quality import data_quality_report, quality_summary
from inventory_optimization.sources import build_custom_panel
from tests.conftest import PROJECT_ROOT
from tests.data_engineering.test_sources import MAPPING as DAY_FIRST_MAPPING

HEADER = "Order Number,Order Date,Item Name,Quantity\n"
MAPPING = {**DAY_FIRST_MAPPING, "order_id_column": "Order Number"}
LOGGER = "inventory_optimization.sources.custom"


def _load(tmp_path: Path, body: str, header: str = HEADER) -> pd.DataFrame:
    path = tmp_path / "orders.csv"
    path.write_text(header + body)
    return RawTableDataset(str(path)).load()


def _build(tmp_path: Path, body: str, header: str = HEADER, **mapping):
    return build_custom_panel(_load(tmp_path, body, header), {**MAPPING, **mapping})


def _refused(tmp_path: Path, body: str, message: str, header: str = HEADER, **mapping) -> None:
    with pytest.raises(DataValidationError, match=re.escape(message)):
        _build(tmp_path, body, header, **mapping)


def _build_logged(caplog, tmp_path: Path, body: str, header: str = HEADER, **mapping):
    """The adapter's panel and summary, and what it logged."""
    with caplog.at_level(logging.INFO, logger=LOGGER):
        panel, _, summary = _build(tmp_path, body, header, **mapping)
    return panel, summary, " ".join(r.getMessage() for r in caplog.records if r.name == LOGGER)


def _weekly(days: list[str]) -> str:
    return "".join(f"{i},{day},Naan,{i}\n" for i, day in enumerate(days, start=1))


SUNDAYS = ["04/08/2019", "11/08/2019", "18/08/2019", "25/08/2019"]


# --- exact duplicate lines ---------------------------------------------------------------------


DUPLICATED = (
    "1,03/08/2019 20:25,Naan,2\n"  # line 2
    "1,03/08/2019 20:25,Naan,2\n"  # line 3: line 2 exported twice
    "2,03/08/2019 20:25,Naan,2\n"  # line 4: another order with the same item: a real sale
    "3,04/08/2019 19:00,Naan,1\n"  # line 5
)


def test_duplicate_lines_with_an_order_id_are_dropped_and_logged(tmp_path, caplog):
    panel, summary, logged = _build_logged(caplog, tmp_path, DUPLICATED)
    assert panel["demand"].tolist() == [4.0, 1.0]
    assert summary.input_counts["duplicate_lines_dropped"] == 1
    assert (
        "custom sales: dropped 1 of 4 lines that repeat an earlier line exactly, 'Order Number' "
        "included (line 3 repeats line 2); set duplicate_lines: error in data_source to refuse "
        "them instead."
    ) in logged


def test_duplicate_lines_error_policy_refuses_them(tmp_path):
    _refused(
        tmp_path,
        DUPLICATED,
        "custom sales: 1 of 4 lines repeat an earlier line exactly, 'Order Number' included "
        "(line 3 repeats line 2); remove them from the export, or set duplicate_lines: drop in "
        "data_source to drop them.",
        duplicate_lines="error",
    )


def test_identical_lines_without_an_order_id_are_kept_and_the_log_says_why(tmp_path, caplog):
    header = HEADER.replace("Order Number,", "")
    body = "".join(line.split(",", 1)[1] + "\n" for line in DUPLICATED.splitlines())
    panel, summary, logged = _build_logged(caplog, tmp_path, body, header, order_id_column=None)
    assert panel["demand"].tolist() == [6.0, 1.0]
    assert summary.input_counts["identical_lines_kept"] == 2
    assert (
        "custom sales: 2 of 4 lines are identical to an earlier line (line 3 repeats line 2, "
        "line 4 repeats line 2); without order_id_column they cannot be told from real repeat "
        "sales, so they are kept"
    ) in logged


def test_unknown_duplicate_policy_is_refused(tmp_path):
    _refused(
        tmp_path,
        DUPLICATED,
        "custom sales: duplicate_lines 'keep' is not one of ('drop', 'error'); set one of them "
        "in data_source.",
        duplicate_lines="keep",
    )


# --- future dates ------------------------------------------------------------------------------


def test_dates_after_max_date_are_refused(tmp_path):
    body = "1,03/08/2019 20:25,Naan,2\n2,04/08/2019 19:00,Naan,1\n3,05/08/2019 18:00,Naan,1\n"
    _refused(
        tmp_path,
        body,
        "custom sales: column 'Order Date' has 1 of 3 lines dated after 2019-08-04, the last "
        "allowed date (max_date): line 4: '05/08/2019 18:00'; correct those dates (a day-first "
        "date read month-first?), or set max_date: YYYY-MM-DD in data_source if they are real.",
        max_date="2019-08-04",
    )


def test_dates_in_the_future_are_refused_by_default(tmp_path):
    today = pd.Timestamp.today().normalize()
    body = "1,03/08/2019 20:25,Naan,2\n2,03/08/2099 19:00,Naan,1\n"
    _refused(
        tmp_path,
        body,
        f"custom sales: column 'Order Date' has 1 of 2 lines dated after {today:%Y-%m-%d}, the "
        f"last allowed date (today): line 3: '03/08/2099 19:00';",
    )


def test_dates_beyond_the_calendar_are_refused(tmp_path):
    body = "1,03/08/2019 20:25,Naan,2\n2,03/08/2999 19:00,Naan,1\n"
    _refused(
        tmp_path,
        body,
        "custom sales: column 'Order Date' has 1 of 2 lines dated outside 1677-09-21 to "
        "2262-04-11 (line 3: '03/08/2999 19:00'); correct or remove those lines.",
    )


# --- negative quantities -----------------------------------------------------------------------


def test_negative_lines_are_counted_from_the_raw_lines(tmp_path, caplog):
    body = (
        "1,03/08/2019 20:25,Naan,3\n"
        "2,03/08/2019 21:00,Naan,-1\n"  # line 3: netted with line 2
        "3,04/08/2019 19:00,Naan,-2\n"  # line 4: a negative day, clipped by the cleaning
    )
    panel, summary, logged = _build_logged(caplog, tmp_path, body)
    assert panel["demand"].tolist() == [2.0, -2.0]
    assert summary.input_counts["negative_lines"] == 2
    assert summary.input_counts["negative_periods"] == 1
    assert (
        "custom sales: 2 of 3 lines have a negative 'Quantity' (line 3: -1.0, line 4: -2.0)"
    ) in logged
    cleaned = clean_panel(panel, [], "zero", "clip", 5.0)
    totals = quality_summary(data_quality_report(cleaned), summary.to_dict())
    assert totals["negatives"] == 0
    assert totals["source_negative_lines"] == 2
    assert totals["source_negative_periods"] == 1


# --- frequency contradictions ------------------------------------------------------------------


def test_weekly_dates_declared_daily_are_refused(tmp_path):
    _refused(
        tmp_path,
        _weekly(SUNDAYS),
        "custom sales: column 'Order Date' looks weekly but frequency 'D' is declared: its 4 "
        "dates are 7 days apart, all on Sundays; set frequency: W-SUN in data_source.",
        date_format="%d/%m/%Y",
    )


def test_sunday_weeks_declared_as_saturday_weeks_are_refused(tmp_path):
    _refused(
        tmp_path,
        _weekly(SUNDAYS),
        "custom sales: column 'Order Date' contradicts frequency 'W-SAT': its 4 dates are 7 "
        "days apart, all on Sundays, which 'W-SAT' would relabel to the following Saturday; "
        "set frequency: W-SUN in data_source.",
        date_format="%d/%m/%Y",
        frequency="W-SAT",
    )


def test_sunday_weeks_declared_w_sun_are_accepted_as_they_are(tmp_path):
    panel, _, summary = _build(
        tmp_path, _weekly(SUNDAYS), date_format="%d/%m/%Y", frequency="W-SUN"
    )
    assert panel["date"].dt.strftime("%m-%d").tolist() == ["08-04", "08-11", "08-18", "08-25"]
    assert "partial_periods_dropped" not in summary.input_counts


def test_inspect_dates_describes_step_and_anchor():
    weekly = inspect_dates(pd.Series(pd.to_datetime(["2019-08-04", "2019-08-18", "2019-08-25"])))
    assert (weekly.step_days, weekly.regular, weekly.weekday_code) == (7, False, "SUN")
    assert weekly.describe() == "its 3 dates are a multiple of 7 days apart, all on Sundays"
    assert weekly.suggested_frequency == "D"  # 3 dates are too few to call it weekly
    four = inspect_dates(
        pd.Series(pd.to_datetime(["2019-08-04", "2019-08-11", "2019-08-18", "2019-08-25"]))
    )
    assert four.suggested_frequency == "W-SUN"
    daily = inspect_dates(pd.Series(pd.to_datetime(["2019-08-03 20:25", "2019-08-04 10:00"])))
    assert (daily.step_days, daily.weekday, daily.has_times) == (1, None, True)
    assert daily.suggested_frequency == "D"


# --- partial first and last weeks ----------------------------------------------------------------


DAILY_OVER_WEEKS = (
    "1,31/07/2019 20:00,Naan,1\n"  # Wed: the week ending Sun Aug 4 is only partly covered
    "2,05/08/2019 20:00,Naan,2\n"
    "3,12/08/2019 20:00,Naan,3\n"
    "4,20/08/2019 20:00,Naan,4\n"  # Tue: the week ending Sun Aug 25 is only partly covered
)


def test_partial_first_and_last_weeks_are_dropped_and_logged(tmp_path, caplog):
    panel, summary, logged = _build_logged(caplog, tmp_path, DAILY_OVER_WEEKS, frequency="W-SUN")
    assert panel["date"].dt.strftime("%m-%d").tolist() == ["08-11", "08-18"]
    assert panel["demand"].tolist() == [2.0, 3.0]
    assert summary.input_counts["partial_period_lines_dropped"] == 2
    assert (
        "custom sales: dropped the partial first week ending 2019-08-04 (the data starts on "
        "2019-07-31, 1 line) and the partial last week ending 2019-08-25 (the data ends on "
        "2019-08-20, 1 line), so no week with missing days counts as a full week; set "
        "partial_periods: keep in data_source to keep them."
    ) in logged


def test_partial_weeks_kept_on_request(tmp_path, caplog):
    panel, summary, logged = _build_logged(
        caplog, tmp_path, DAILY_OVER_WEEKS, frequency="W-SUN", partial_periods="keep"
    )
    assert panel["date"].dt.strftime("%m-%d").tolist() == ["08-04", "08-11", "08-18", "08-25"]
    assert summary.input_counts["partial_periods_kept"] == 2
    assert "kept the partial first week ending 2019-08-04" in logged


# --- non-finite and absurd numbers ---------------------------------------------------------------


def test_infinite_and_absurd_quantities_are_refused(tmp_path):
    body = (
        "1,03/08/2019 20:25,Naan,2\n"
        "2,03/08/2019 21:00,Naan,inf\n"
        "3,04/08/2019 19:00,Naan,1\n"
        "4,04/08/2019 19:30,Naan,1e300\n"
        "5,04/08/2019 19:40,Naan,-inf\n"
    )
    _refused(
        tmp_path,
        body,
        "custom sales: column 'Quantity' must hold finite numbers of magnitude at most 1e+12; "
        "3 of 5 lines do not (line 3: inf, line 5: 1e+300, line 6: -inf); correct or remove "
        "those lines.",
    )


def test_nan_quantity_is_refused(tmp_path):
    body = "1,03/08/2019 20:25,Naan,2\n2,04/08/2019 21:00,Naan,nan\n"
    _refused(
        tmp_path,
        body,
        "custom sales: column 'Quantity' must be numeric and present; 1 of 2 lines are not "
        "(line 3: nan); correct or remove those lines.",
    )


# --- blank keys ----------------------------------------------------------------------------------


def test_blank_keys_are_refused_not_dropped(tmp_path):
    body = (
        "1,03/08/2019 20:25,Naan,2\n"
        "2,03/08/2019 21:00,,5\n"  # line 3: empty
        "3,04/08/2019 19:00,Naan,1\n"
        "4,04/08/2019 19:30,   ,1\n"  # line 5: blanks only
    )
    _refused(
        tmp_path,
        body,
        "custom sales: key column 'Item Name' is blank in 2 of 4 lines (line 3, line 5); fill "
        "in the key or remove those lines, their quantities belong to no series.",
    )


# --- too little data -----------------------------------------------------------------------------


def test_a_file_of_one_day_is_refused(tmp_path):
    body = "1,03/08/2019 20:25,Naan,2\n2,03/08/2019 21:00,Raita,1\n"
    _refused(
        tmp_path,
        body,
        "custom sales: column 'Order Date' covers 1 day (2019-08-03); the panel needs at least "
        "2 days; export a longer date range.",
    )


def test_only_partial_weeks_is_refused_with_the_policy_named(tmp_path):
    body = "1,06/08/2019 20:25,Naan,2\n2,14/08/2019 21:00,Naan,1\n"
    _refused(
        tmp_path,
        body,
        "custom sales: column 'Order Date' covers 0 weeks; the panel needs at least 2 weeks; "
        "export a longer date range, or set partial_periods: keep in data_source.",
        frequency="W-SUN",
    )


def test_a_single_period_series_is_kept_and_listed(tmp_path, caplog):
    body = (
        "1,03/08/2019 20:25,Naan,2\n"
        "1,03/08/2019 20:25,Raita,1\n"  # line 3: Raita's only sale
        "2,04/08/2019 19:00,Naan,1\n"
    )
    panel, summary, logged = _build_logged(caplog, tmp_path, body)
    assert sorted(panel["series_id"].unique()) == ["Naan", "Raita"]
    assert summary.input_counts["single_period_series"] == 1
    assert (
        "custom sales: 1 of 2 series have a single day ('Raita' on 2019-08-03 (line 3)); they "
        "are kept, but are too short to learn from"
    ) in logged


# --- line numbers are the file's ----------------------------------------------------------------


def test_the_line_named_is_the_line_in_the_file(tmp_path):
    body = "".join(f"{i},0{1 + i % 9}/08/2019 20:25,Naan,1\n" for i in range(76))
    body += "99,03/08/2019 20:25,Naan,lots\n" + "100,04/08/2019 20:25,Naan,1\n"
    with pytest.raises(DataValidationError, match=r"\(line 78: 'lots'\)") as error:
        _build(tmp_path, body)
    assert "lines are not" in str(error.value)
    lines = (tmp_path / "orders.csv").read_text().splitlines()
    assert lines[78 - 1].endswith(",lots")


# --- the command line: refused before anything is written -----------------------------------


def test_future_dates_stop_kedro_before_anything_is_written(tmp_path):
    (tmp_path / "orders.csv").write_text(
        HEADER + "1,03/08/2019 20:25,Plain Papadum,2\n2,04/08/2099 19:00,Plain Papadum,1\n"
    )
    outputs = [
        PROJECT_ROOT / "data" / "03_primary" / "custom" / "demand_panel.parquet",
        PROJECT_ROOT / "data" / "02_intermediate" / "custom" / "raw_panel.parquet",
    ]
    before = [path.stat().st_mtime_ns if path.exists() else None for path in outputs]
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("kedro")),
            *("run", "--env", "custom", "--pipelines", "data_engineering"),
            *("--params", f"raw_dir={tmp_path}"),
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0
    assert "custom sales: column 'Order Date' has 1 of 2 lines dated after" in output
    assert "line 3: '04/08/2099 19:00'" in output
    assert [path.stat().st_mtime_ns if path.exists() else None for path in outputs] == before
