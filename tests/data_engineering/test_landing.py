"""The landing folder: new sales files absorbed once, upserted into the raw panel, refused with
a clear error before anything is written."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from inventory_optimization.datasets import LandedSalesDataset, LandingFolderDataset
from inventory_optimization.panel import DataValidationError, SourceSummary
from inventory_optimization.panel.cleaning import complete_calendar
from inventory_optimization.panel.contract import DATE, DEMAND, IS_CLOSED, IS_OBSERVED, SERIES_ID
from inventory_optimization.panel.landing import LandedSales, absorb_landing, upsert_landed
from inventory_optimization.pipelines.data_engineering.nodes import absorb_landed_sales

TODAY = pd.Timestamp("2024-01-12")
SUMMARY = SourceSummary(
    source="test",
    frequency="D",
    unit="units",
    keys=["store_id", "item_id"],
    known_covariates=["price", "is_open"],
    past_covariates=["temperature_c"],
)


def _raw_panel(days: int = 10) -> pd.DataFrame:
    """Two series, 2024-01-01 .. 01-10, like an adapter's output (keys as text, flags)."""
    dates = pd.date_range("2024-01-01", periods=days, freq="D")
    frames = []
    for store, price in (("S01", 2.0), ("S02", 3.0)):
        frames.append(
            pd.DataFrame(
                {
                    SERIES_ID: f"{store}_I001",
                    "store_id": store,
                    "item_id": "I001",
                    DATE: dates,
                    DEMAND: np.arange(days, dtype=float),
                    "price": price,
                    "is_open": 1.0,
                    "temperature_c": 20.0 + np.arange(days),
                    "region": "north",
                    IS_CLOSED: False,
                }
            )
        )
    return complete_calendar(pd.concat(frames, ignore_index=True), "D", SUMMARY.keys)


def _csv(text: str) -> bytes:
    return text.strip().encode() + b"\n"


def _absorb(files, state=None, panel=None, **options):
    options = {"today": TODAY, **options}
    panel = _raw_panel() if panel is None else panel
    return absorb_landing(files, state or LandedSales(), panel, SUMMARY, **options)


DAY_11 = _csv("store_id,item_id,date,demand\nS01,I001,2024-01-11,7\nS02,I001,2024-01-11,4")


def test_a_new_day_is_upserted_and_every_series_reaches_it():
    state, report = _absorb({"day_11.csv": DAY_11})
    assert (report.files_read, report.new, report.corrected, report.unchanged) == (1, 2, 0, 0)
    assert list(state.files["file"]) == ["day_11.csv"] and state.files["rows"].tolist() == [2]
    panel, notes = upsert_landed(_raw_panel(), state, SUMMARY)
    last = panel[panel[DATE] == "2024-01-11"].set_index(SERIES_ID)
    assert last[DEMAND].tolist() == [7.0, 4.0] and last[IS_OBSERVED].all()
    # Known and never-changing covariates carry the series' last value; past-only facts do not.
    assert last["price"].tolist() == [2.0, 3.0] and last["region"].eq("north").all()
    assert last["temperature_c"].isna().all() and last["is_open"].eq(1.0).all()
    assert notes.carried == ["price", "region"] and notes.left_missing == ["temperature_c"]
    assert list(panel.columns) == list(_raw_panel().columns)
    assert len(panel) == len(_raw_panel()) + 2


def test_a_redelivered_file_is_skipped_unparsed_and_changes_nothing():
    state, _ = _absorb({"day_11.csv": DAY_11})

    def unparseable() -> bytes:
        return DAY_11  # the same bytes under another name: hashed, never parsed

    again, report = _absorb({"day_11.csv": DAY_11, "copy.csv": unparseable}, state)
    assert (report.files_read, report.files_skipped, report.new) == (0, 2, 0)
    assert again is state
    assert "0 files read, 2 skipped" in report.line()


def test_a_late_correction_replaces_the_dates_value_and_keeps_its_covariates():
    state, _ = _absorb({"day_11.csv": DAY_11})
    correction = _csv(
        "store_id,item_id,date,demand\nS01,I001,2024-01-11,9\nS01,I001,2024-01-05,50\n"
        "S02,I001,2024-01-11,4"
    )
    state, report = _absorb({"day_11.csv": correction}, state)  # same name, new content
    assert (report.new, report.corrected, report.unchanged) == (0, 2, 1)
    assert report.dates == (pd.Timestamp("2024-01-05"), pd.Timestamp("2024-01-11"))
    assert len(state.files) == 2 and len(state.rows) == 3
    panel, _ = upsert_landed(_raw_panel(), state, SUMMARY)
    by_key = panel.set_index([SERIES_ID, DATE])
    assert by_key.loc[("S01_I001", pd.Timestamp("2024-01-11")), DEMAND] == 9.0
    fixed = by_key.loc[("S01_I001", pd.Timestamp("2024-01-05"))]
    assert fixed[DEMAND] == 50.0 and fixed["temperature_c"] == 24.0 and fixed["price"] == 2.0


def test_files_of_one_run_apply_in_name_order_and_covariates_in_files_are_kept():
    first = _csv("series_id,date,demand,price\nS01_I001,2024-01-11,1,2.5")
    later = _csv("series_id,date,demand\nS01_I001,2024-01-11,3")
    state, report = _absorb({"b.parquet": _parquet(later), "a.csv": first})
    assert report.files_read == 2 and report.new == 1
    row = state.rows.iloc[0]
    assert row[DEMAND] == 3.0 and row["file"] == "b.parquet"


def _parquet(csv: bytes) -> bytes:
    buffer = io.BytesIO()
    pd.read_csv(io.BytesIO(csv)).to_parquet(buffer, index=False)
    return buffer.getvalue()


def test_an_empty_landing_returns_the_raw_panel_itself():
    panel = _raw_panel()
    state, report = _absorb({}, panel=panel)
    assert report.files_read == 0 and state.rows.empty
    assert upsert_landed(panel, state, SUMMARY)[0] is panel


def test_new_series_are_refused_unless_accepted():
    file = _csv("store_id,item_id,date,demand\nS03,I001,2024-01-11,5\nS01,I001,2024-01-11,1")
    with pytest.raises(DataValidationError, match=r"'new.csv'.*1 of 2 lines.*1 series.*'S03_I001'"):
        _absorb({"new.csv": file})
    state, report = _absorb({"new.csv": file}, accept_new_series=True)
    assert report.new_series == ["S03_I001"]
    panel, _ = upsert_landed(_raw_panel(), state, SUMMARY)
    started = panel[panel[SERIES_ID] == "S03_I001"]
    assert started[["store_id", "item_id", DEMAND]].values.tolist() == [["S03", "I001", 5.0]]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "store_id,item_id,Date,demand\nS01,I001,2024-01-11,7",
            r"'bad.csv': missing required column\(s\) \['date'\] in 1 rows \(did you mean "
            r"'Date' for 'date'\?\); expected \['store_id', 'item_id', 'date', 'demand'\]",
        ),
        (
            "store_id,item_id,date,demand,prices\nS01,I001,2024-01-11,7,2",
            r"column\(s\) \['prices'\] are not columns of the raw panel.*did you mean "
            r"'prices': 'price'",
        ),
        (
            "store_id,item_id,date,demand\nS01,I001,2024-01-11,7\nS01,I001,2024-01-13,7",
            r"'bad.csv': column 'date' has 1 of 2 lines dated after 2024-01-12, the last allowed "
            r"date \(today, the run's date\): line 3: '2024-01-13'",
        ),
        (
            "store_id,item_id,date,demand\nS01,I001,2024-01-11,7\nS01,I001,2024-01-11,8",
            r"'bad.csv': 2 of 2 lines share their \(series_id, date\).*'S01_I001', 2024-01-11\) "
            r"on lines 2, 3",
        ),
        (
            "store_id,item_id,date,demand\nS01,I001,2024-01-11 10:30,7",
            r"column 'date' has 1 of 1 lines off the panel's frequency 'D' \(line 2: "
            r"'2024-01-11 10:30 \(Thu\)'\); expected days",
        ),
        (
            "store_id,item_id,date,demand\nS01,I001,2024-01-11,seven",
            r"column 'demand' must be numeric and present; 1 of 1 lines are not \(line 2: 'seven'",
        ),
    ],
    ids=["renamed-column", "unknown-column", "future-date", "duplicate", "off-grid", "text"],
)
def test_bad_files_are_refused_naming_file_column_lines_and_expected(text, message):
    good = DAY_11
    with pytest.raises(DataValidationError, match=message):
        _absorb({"a_good.csv": good, "bad.csv": _csv(text)})


def test_a_negative_quantity_is_refused_when_cleaning_clips_returns():
    file = _csv("store_id,item_id,date,demand\nS01,I001,2024-01-11,-2")
    with pytest.raises(DataValidationError, match=r"'demand' is negative on 1 of 1 lines.*-2"):
        _absorb({"returns.csv": file}, allow_negative=False)
    state, report = _absorb({"returns.csv": file})  # negative_policy keep: returns land
    assert state.rows[DEMAND].tolist() == [-2.0] and report.new == 1


def test_weekly_landing_must_sit_on_the_weeks_weekday():
    summary = SourceSummary(source="t", frequency="W-SUN", unit="u", keys=["store_id"])
    dates = pd.date_range("2024-01-07", periods=4, freq="W-SUN")
    raw = complete_calendar(
        pd.DataFrame(
            {SERIES_ID: "S1", "store_id": "S1", DATE: dates, DEMAND: 1.0, IS_CLOSED: False}
        ),
        "W-SUN",
        ["store_id"],
    )
    saturday = _csv("store_id,date,demand\nS1,2024-02-03,5")
    with pytest.raises(DataValidationError, match=r"off the panel's frequency 'W-SUN'.*Sat"):
        absorb_landing(
            {"w.csv": saturday}, LandedSales(), raw, summary, today=TODAY + pd.Timedelta(days=60)
        )


def test_the_landing_folder_and_the_checkpoint_datasets(tmp_path: Path):
    folder = tmp_path / "landing"
    assert LandingFolderDataset(path=str(folder)).load() == {}  # no folder: no files
    folder.mkdir()
    assert LandingFolderDataset(path=str(folder)).load() == {}  # empty folder: no files
    (folder / "day.csv").write_bytes(DAY_11)
    (folder / "day2.csv.tmp").write_text("still being written")
    loaded = LandingFolderDataset(path=str(folder)).load()
    assert list(loaded) == ["day.csv"] and loaded["day.csv"]() == DAY_11

    checkpoint = LandedSalesDataset(folder=str(tmp_path / "landed_sales"))
    empty = checkpoint.load()
    assert empty.rows.empty and empty.files.empty and not checkpoint.exists()
    state, _ = _absorb({"day.csv": DAY_11})
    checkpoint.save(state)
    back = checkpoint.load()
    pd.testing.assert_frame_equal(back.rows, state.rows)
    assert back.files["sha256"].tolist() == state.files["sha256"].tolist()
    again, report = _absorb({"day.csv": DAY_11}, back)
    assert report.files_skipped == 1 and again is back


def test_the_node_logs_one_line_and_reads_today_from_its_parameter(caplog):
    summary = SUMMARY.to_dict()
    with caplog.at_level("INFO"):
        panel, state = absorb_landed_sales(
            _raw_panel(),
            summary,
            {"day_11.csv": DAY_11},
            LandedSales(),
            {"today": "2024-01-11"},
            {"negative_policy": "keep"},
        )
    assert len(state.rows) == 2 and panel[DATE].max() == pd.Timestamp("2024-01-11")
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Landing:")]
    assert lines == [
        "Landing: 1 files read, 0 skipped (absorbed before); rows 2 new, 0 corrected, 0 "
        "unchanged; dates 2024-01-11 to 2024-01-11; new dates carry the series' last price, "
        "region; left missing for cleaning: temperature_c"
    ]
    with pytest.raises(DataValidationError, match="after 2024-01-10"):
        absorb_landed_sales(
            _raw_panel(),
            summary,
            {"d.csv": DAY_11},
            LandedSales(),
            {"today": "2024-01-10"},
            {"negative_policy": "keep"},
        )


def test_a_file_that_does_not_read_is_named():
    with pytest.raises(DataValidationError, match=r"'broken.parquet': does not read as Parquet"):
        _absorb({"broken.parquet": b"not parquet at all"})


def test_a_new_series_is_named_like_the_panels_ids():
    panel = _raw_panel()
    panel[SERIES_ID] = panel["store_id"] + "|" + panel["item_id"]  # the custom source's ids
    file = _csv("store_id,item_id,date,demand\nS09,I001,2024-01-11,5")
    state, _ = _absorb({"new.csv": file}, panel=panel, accept_new_series=True)
    assert state.rows[SERIES_ID].tolist() == ["S09|I001"]
    panel[SERIES_ID] = "id-" + panel["store_id"]  # ids that are not the keys joined
    with pytest.raises(DataValidationError, match=r"1 lines start new series.*expected"):
        _absorb({"new.csv": file}, panel=panel, accept_new_series=True)
    with pytest.raises(DataValidationError, match=r"series the panel does not have \('S09 / I001'"):
        _absorb({"new.csv": file}, panel=panel)


def test_a_landed_day_the_source_closes_is_closed_as_the_adapter_would_have_it():
    # An annual closure of the source (as the built-in data's Dec 25) and a file's own
    # is_open 0 close a landed period with no sale; a sale proves the period open.
    summary = SourceSummary(
        **{**SUMMARY.to_dict(), "inferred": {"closures": {"annual": ["01-11"]}}}
    )
    files = {
        "day_11.csv": _csv(
            "store_id,item_id,date,demand\nS01,I001,2024-01-11,0\nS02,I001,2024-01-11,3"
        ),
        "day_12.csv": _csv(
            "store_id,item_id,date,demand,is_open\nS01,I001,2024-01-12,0,0\nS02,I001,2024-01-12,0,1"
        ),
    }
    state, _ = absorb_landing(files, LandedSales(), _raw_panel(), summary, today=TODAY)
    panel, _ = upsert_landed(_raw_panel(), state, summary)
    landed = panel[panel[DATE] >= "2024-01-11"].set_index([SERIES_ID, DATE])
    assert landed[IS_CLOSED].tolist() == [True, True, False, False]
    assert landed["is_open"].tolist() == [0.0, 0.0, 1.0, 1.0]


def test_a_series_with_no_line_on_a_closed_landed_day_is_closed_too():
    summary = SourceSummary(
        **{**SUMMARY.to_dict(), "inferred": {"closures": {"annual": ["01-11"]}}}
    )
    files = {"day_11.csv": _csv("store_id,item_id,date,demand\nS01,I001,2024-01-11,5")}
    state, _ = absorb_landing(files, LandedSales(), _raw_panel(), summary, today=TODAY)
    panel, _ = upsert_landed(_raw_panel(), state, summary)
    day = panel[panel[DATE] == "2024-01-11"].set_index(SERIES_ID)
    # S01 sold: open; S02 sent no line on the closure day: closed with zero demand, not a gap.
    assert day[IS_CLOSED].tolist() == [False, True]
    assert day[DEMAND].tolist() == [5.0, 0.0]


def test_a_landed_price_carries_to_later_landed_days_and_survives_a_demand_only_correction():
    day_11 = _csv(
        "store_id,item_id,date,demand,price\nS01,I001,2024-01-11,7,2.5\nS02,I001,2024-01-11,4,3.5"
    )
    day_12 = _csv("store_id,item_id,date,demand\nS01,I001,2024-01-12,6\nS02,I001,2024-01-12,5")
    state, _ = _absorb({"a_day_11.csv": day_11})
    state, _ = _absorb({"a_day_11.csv": day_11, "b_day_12.csv": day_12}, state)
    fix = _csv("store_id,item_id,date,demand\nS01,I001,2024-01-11,8")
    state, report = _absorb(
        {"a_day_11.csv": day_11, "b_day_12.csv": day_12, "c_fix.csv": fix}, state
    )
    assert (report.files_read, report.corrected) == (1, 1)
    panel, _ = upsert_landed(_raw_panel(), state, SUMMARY)
    landed = panel[panel[DATE] >= "2024-01-11"].set_index([SERIES_ID, DATE])
    # The export's last price is 2.0 / 3.0: the landed 2.5 / 3.5 carry to day 12 and stay on
    # day 11 after S01's demand-only correction.
    assert landed["price"].tolist() == [2.5, 2.5, 3.5, 3.5]
    assert landed[DEMAND].tolist() == [8.0, 6.0, 4.0, 5.0]


def test_the_run_manifest_fingerprints_the_landing_files(tmp_path: Path):
    from inventory_optimization.catalog_files import dataset_paths
    from inventory_optimization.provenance import file_fingerprint

    (tmp_path / "day_11.csv").write_bytes(DAY_11)
    (tmp_path / "day_12.csv.tmp").write_text("still being written")
    landing = LandingFolderDataset(str(tmp_path))
    assert dataset_paths(landing) == [tmp_path / "day_11.csv"]
    assert file_fingerprint(dataset_paths(landing))["sha1"]
    assert dataset_paths(LandingFolderDataset(str(tmp_path / "absent"))) == []
