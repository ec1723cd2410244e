"""`inventory-optimization inspect FILE` as a user runs it (issue 12): on generated exports
(daily order lines, weekly Thursday weeks as CSV and Parquet, monthly totals dated on the
1st, a ';'-separated and a latin-1 file) it prints a YAML block that parses, whose mapping the custom source builds a panel from,
under comment lines with the rows, dates and key cardinalities; an unreadable file is one
line that says which option to pass."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from inventory_optimization.datasets import RawTableDataset
from inventory_optimization.sources import build_custom_panel
from tests.conftest import PROJECT_ROOT
from tests.data_engineering.test_inspection import daily_orders, monthly_totals, weekly_totals

CLI = Path(sys.executable).with_name("inventory-optimization")


def _inspect(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CLI), "inspect", *map(str, args)],
        cwd=PROJECT_ROOT,
        env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _printed(result: subprocess.CompletedProcess) -> tuple[list[str], dict]:
    """The comment header and the parsed YAML; nothing but YAML is on stdout."""
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    start = lines.index("data_source:")
    assert all(line.startswith("# ") for line in lines[:start])
    return lines[:start], yaml.safe_load(result.stdout)


def _builds(path: Path, mapping: dict, **load_args) -> pd.DataFrame:
    panel, _, summary = build_custom_panel(RawTableDataset(str(path), load_args).load(), mapping)
    assert summary.frequency == mapping["frequency"]
    return panel


def test_daily_order_lines(tmp_path: Path):
    frame = daily_orders(7, 5, 30, price=True, promo=True, gap_share=0.1)
    path = tmp_path / "my_export.csv.gz"
    frame.to_csv(path, index=False)
    result = _inspect(path)
    header, printed = _printed(result)
    source = printed["data_source"]
    assert source["frequency"] == "D"
    assert source["date_column"] == "Order Date"
    assert source["date_format"] == "%d/%m/%Y %H:%M"
    assert source["key_columns"] == {"item_id": "Item Name"}
    assert source["target_column"] == "Quantity"
    assert source["order_id_column"] == "Order Number"
    assert source["known_covariates"] == {"price": "Unit Price", "promo": "On Promotion"}
    assert source["attribute_columns"] == {"category": "Category"}
    assert printed["cleaning"] == {"missing_policy": "zero"}
    assert header[1] == (
        f"# {len(frame)} rows; columns: Order Number, Order Date, Item Name, Quantity, "
        "Category, Unit Price, On Promotion"
    )
    assert header[2].startswith("# dates: 2024-03-01 to 2024-03-30, ")
    assert header[3] == "# keys: 5 series by item_id (5)"
    frequency_line = next(line for line in result.stdout.splitlines() if "frequency: D" in line)
    assert "# daily: the dates carry times of day (order lines)" in frequency_line
    panel = _builds(path, source)
    assert panel["series_id"].nunique() == 5


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_weekly_thursday_weeks(tmp_path: Path, suffix: str):
    frame = weekly_totals(
        11, "THU", 3, 4, 20, price=True, promo=False, zeros=True, floor=10, gap_share=0.1
    )
    path = tmp_path / f"weekly.{suffix}"
    if suffix == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.assign(Week=pd.to_datetime(frame["Week"])).to_parquet(path, index=False)
    result = _inspect(path)
    header, printed = _printed(result)
    source = printed["data_source"]
    assert source["frequency"] == "W-THU"
    assert source["key_columns"] == {"store_id": "Store", "item_id": "SKU"}
    assert source["target_column"] == "Units Sold"
    assert source["known_covariates"] == {"price": "Price"}
    assert ("date_format" in source) == (suffix == "csv")
    assert printed["cleaning"] == {"missing_policy": "nan"}
    assert "# keys: 12 series by store_id (3) x item_id (4)" in header
    assert "weeks labelled by their last day, Thursday" in result.stdout
    assert "writes a period without a sale as 0" in result.stdout
    panel = _builds(path, source)
    assert (panel["date"].dt.day_of_week == 3).all()


def test_monthly_totals_dated_on_the_first(tmp_path: Path):
    frame = monthly_totals(5, "start", 30)
    path = tmp_path / "b2b_monthly.csv"
    frame.to_csv(path, index=False)
    result = _inspect(path)
    header, printed = _printed(result)
    source = printed["data_source"]
    assert source["frequency"] == "ME"
    assert source["key_columns"] == {"region": "Region", "item_id": "SKU"}
    assert source["unit"] == "units per region-item-month"
    assert "# 1.00 lines per series and month" in header
    frequency_line = next(line for line in result.stdout.splitlines() if "frequency: ME" in line)
    assert frequency_line.split("# ", 1)[1] == (
        "monthly: its 30 dates are all on the 1st of a month, at least 28 days apart; each date "
        "labels its month; the panel labels it by the month's last day (ME); frequency: auto "
        "infers the same at each run"
    )
    assert "not supported" not in result.stdout
    panel = _builds(path, source)
    assert panel["date"].dt.is_month_end.all() and panel["date"].nunique() == 30


def test_a_semicolon_file_needs_sep(tmp_path: Path):
    path = tmp_path / "export.csv"
    weekly_totals(5, "SUN", 2, 3, 10, price=False, promo=True, zeros=False, floor=1).to_csv(
        path, sep=";", index=False
    )
    refused = _inspect(path)
    assert refused.returncode == 1
    assert refused.stdout == ""
    message = refused.stderr.strip()
    assert message.startswith(f"Error: {path} looks ';'-separated")
    assert message.endswith("For inspect, pass the same as --sep or --encoding.")
    assert "Traceback" not in refused.stderr and len(message.splitlines()) == 1

    header, printed = _printed(_inspect(path, "--sep", ";"))
    assert printed["data_source"]["frequency"] == "W-SUN"
    assert printed["data_source"]["known_covariates"] == {"promo": "Promo Flag"}
    assert printed["cleaning"] == {"missing_policy": "zero"}
    assert (
        '# read with load_args: {sep: ";"}: add them under custom_sales in conf/custom/catalog.yml'
    ) in header
    _builds(path, printed["data_source"], sep=";")


def test_a_latin_1_file_needs_encoding(tmp_path: Path):
    path = tmp_path / "export.csv"
    frame = daily_orders(2, 3, 14, price=False, promo=False)
    frame["Item Name"] = frame["Item Name"].str.replace("Dish", "Plat crème")
    path.write_bytes(frame.to_csv(index=False).encode("latin-1"))
    refused = _inspect(path)
    assert refused.returncode == 1
    assert "is not utf-8" in refused.stderr and "--encoding" in refused.stderr
    _, printed = _printed(_inspect(path, "--encoding", "latin-1"))
    assert printed["data_source"]["key_columns"] == {"item_id": "Item Name"}


def test_a_missing_file_is_one_line(tmp_path: Path):
    result = _inspect(tmp_path / "nothing.csv")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"Error: {tmp_path / 'nothing.csv'} not found (nor its .gz or plain form)."
    )
