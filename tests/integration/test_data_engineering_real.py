"""End-to-end: `kedro run --pipelines data_engineering --env <dataset>` on the real files, and
the panel reconciled with the raw data (rows, totals, series, first and last dates)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.conftest import PROJECT_ROOT, run_kedro, shared_dataset

pytestmark = pytest.mark.real_data


def _outputs(dataset: str) -> tuple[pd.DataFrame, dict, pd.DataFrame]:
    primary = PROJECT_ROOT / "data" / "03_primary" / dataset
    panel = pd.read_parquet(primary / "demand_panel.parquet")
    metadata = json.loads((primary / "panel_metadata.json").read_text())
    report = pd.read_csv(
        PROJECT_ROOT / "data" / "08_reporting" / dataset / "data_quality_report.csv"
    )
    return panel, metadata, report


def _run(env: str, raw_dir) -> tuple[pd.DataFrame, dict, pd.DataFrame]:
    run_kedro(
        "run", "--env", env, "--pipelines", "data_engineering", "--params", f"raw_dir={raw_dir}"
    )
    return _outputs(env)


def _check_contract(panel: pd.DataFrame, metadata: dict, report: pd.DataFrame) -> None:
    assert not panel.duplicated(["series_id", "date"]).any()
    assert panel["demand"].dtype == "float64"
    assert pd.api.types.is_datetime64_any_dtype(panel["date"])
    for flag in ("is_observed", "is_closed", "is_outlier"):
        assert panel[flag].dtype == bool
    for column in metadata["known_covariates"] + metadata["past_covariates"]:
        assert column in panel.columns
    assert metadata["rows"] == len(panel)
    assert len(report) == metadata["series"] == panel["series_id"].nunique()


def test_rossmann_panel_reconciles_with_raw_files():
    raw_dir = shared_dataset("rossmann")
    panel, metadata, report = _run("rossmann", raw_dir)
    train = pd.read_csv(raw_dir / "train.csv.gz", usecols=["Store", "Date", "Sales", "Open"])

    _check_contract(panel, metadata, report)
    assert metadata["frequency"] == "D"
    assert metadata["source_files"]["train"] == len(train) == panel["is_observed"].sum()
    assert panel["series_id"].nunique() == train["Store"].nunique() == 1115
    assert panel["demand"].sum() == pytest.approx(train["Sales"].sum())
    assert str(panel["date"].min().date()) == train["Date"].min() == "2013-01-01"
    assert str(panel["date"].max().date()) == train["Date"].max() == "2015-07-31"
    assert panel["is_closed"].sum() == (train["Open"] == 0).sum()
    # The 180 stores with a gap in 2014 keep it as unknown demand, not as zero sales.
    gap_stores = report.loc[report["gaps"] > 0, "series_id"]
    assert len(gap_stores) == 180
    assert panel.loc[~panel["is_observed"], "demand"].isna().all()
    assert set(panel["state_holiday"].unique()) <= {"0", "a", "b", "c"}
    assert "customers" in metadata["past_covariates"]
    assert panel.loc[panel["is_observed"], "mean_temperature_c"].notna().mean() > 0.99


def test_walmart_panel_reconciles_with_raw_files():
    raw_dir = shared_dataset("walmart")
    panel, metadata, report = _run("walmart", raw_dir)
    train = pd.read_csv(raw_dir / "train.csv.gz")

    _check_contract(panel, metadata, report)
    assert metadata["frequency"] == "W-FRI"
    assert panel["is_observed"].sum() == len(train) == 421_570
    series = train.groupby(["Store", "Dept"]).ngroups
    assert panel["series_id"].nunique() == series
    # Returns are kept, so totals reconcile to the cent; inserted weeks are zero sales.
    assert panel["demand"].sum() == pytest.approx(train["Weekly_Sales"].sum(), rel=1e-9)
    assert (panel["demand"] < 0).sum() == (train["Weekly_Sales"] < 0).sum()
    assert (panel.loc[~panel["is_observed"], "demand"] == 0).all()
    assert (panel["date"].dt.day_of_week == 4).all()
    assert str(panel["date"].min().date()) == "2010-02-05"
    assert str(panel["date"].max().date()) == "2012-10-26"
    assert panel[["markdown_1", "is_holiday", "temperature_f"]].notna().all().all()


def test_recruit_panel_marks_missing_days_closed():
    raw_dir = shared_dataset("recruit")
    panel, metadata, report = _run("recruit", raw_dir)
    visits = pd.read_csv(raw_dir / "air_visit_data.csv.gz")

    _check_contract(panel, metadata, report)
    assert panel["is_observed"].sum() == len(visits) == 252_108
    assert panel["series_id"].nunique() == visits["air_store_id"].nunique() == 829
    assert panel["demand"].sum() == pytest.approx(visits["visitors"].sum())
    unobserved = panel[~panel["is_observed"]]
    assert unobserved["is_closed"].all() and (unobserved["demand"] == 0).all()
    assert str(panel["date"].min().date()) == visits["visit_date"].min()
    assert str(panel["date"].max().date()) == visits["visit_date"].max() == "2017-04-22"
    # Golden Week 2016 is a holiday in date_info.
    assert panel.loc[panel["date"] == "2016-05-03", "is_holiday"].eq(1).all()


def test_custom_mapping_turns_order_lines_into_daily_demand():
    raw_dir = shared_dataset("takeaway_london")
    panel, metadata, report = _run("custom", raw_dir)
    # Exact repeats of an order line (same order number, item, time, quantity) are dropped.
    orders = pd.read_csv(raw_dir / "orders.csv.gz").drop_duplicates()

    _check_contract(panel, metadata, report)
    assert panel["demand"].sum() == pytest.approx(orders["Quantity"].sum())
    assert metadata["input_counts"]["duplicate_lines_dropped"] == 128
    assert panel["series_id"].nunique() == orders["Item Name"].nunique() == 248
    dates = pd.to_datetime(orders["Order Date"], format="%d/%m/%Y %H:%M").dt.normalize()
    assert panel["date"].min() == dates.min() and panel["date"].max() == dates.max()
    daily = orders.assign(date=dates).groupby(["Item Name", "date"])["Quantity"].sum()
    assert panel["is_observed"].sum() == len(daily)
