"""The project as a newcomer and a scheduler meet it: the default run, the Docker image's recipe,
and a bad input file that stops the run before anything is written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from inventory_optimization.retention import latest_version
from tests.conftest import PROJECT_ROOT, run_kedro


def test_default_run_builds_the_panel_from_generated_data():
    run_kedro("run", "--pipelines", "data_engineering")
    raw = PROJECT_ROOT / "data" / "01_raw" / "synthetic"
    primary = PROJECT_ROOT / "data" / "03_primary" / "synthetic"
    sales = pd.read_csv(raw / "sales.csv")
    panel = pd.read_parquet(primary / "demand_panel.parquet")
    metadata = json.loads((primary / "panel_metadata.json").read_text())

    assert len(panel) == len(sales) == metadata["rows"]
    assert panel["demand"].sum() == sales["units_sold"].sum()
    assert metadata["source"] == "synthetic" and metadata["country"] == "PE"
    assert set(metadata["known_covariates"]) >= {"price", "promo", "is_holiday"}
    assert set(metadata["past_covariates"]) == {"temperature_c", "precipitation_mm"}
    for name in (
        "items.csv",
        "stores.csv",
        "weather.csv",
        "stock_positions.csv",
        "true_demand.parquet",
    ):
        assert (raw / name).is_file()
    assert (
        PROJECT_ROOT / "data" / "08_reporting" / "synthetic" / "data_quality_chart.json"
    ).is_file()


def test_bad_input_stops_the_run_before_anything_is_written(tmp_path: Path):
    (tmp_path / "orders.csv").write_text(
        "Order Number,Order Date,Item Name,Quantity\n"
        "1,03/08/2019 20:25,Plain Papadum,2\n"
        "2,31/02/2019 19:00,Plain Papadum,1\n"
        "3,04/08/2019 18:10,Mint Sauce,one\n"
    )
    panel_path = PROJECT_ROOT / "data" / "03_primary" / "custom" / "demand_panel.parquet"
    before = panel_path.stat().st_mtime_ns if panel_path.exists() else None
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"}
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("kedro")),
            "run",
            "--env",
            "custom",
            "--pipelines",
            "data_engineering",
            "--params",
            f"raw_dir={tmp_path}",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "custom sales: column 'Order Date' must hold dates" in " ".join(output.split())
    # One message a person can act on, not a traceback after it.
    assert "Traceback" not in output and "Error: custom sales: column 'Order Date'" in output
    after = panel_path.stat().st_mtime_ns if panel_path.exists() else None
    assert after == before


def _custom_run(raw_dir: Path, *params: str) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).with_name("kedro")), "run", "--env", "custom"]
    command += ["--pipelines", "data_engineering,feature_engineering"]
    command += ["--params", ",".join([f"raw_dir={raw_dir}", *params])]
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"}
    return subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False
    )


def test_history_too_short_is_one_sentence_and_nothing_is_kept(tmp_path: Path):
    """60 days of orders cannot hold 52 weekly origins and 3 folds before the holdout: the run
    says so with the numbers and the parameters to change, and the panel it had already
    written is rolled back."""
    days = pd.date_range("2024-01-01", periods=60)
    orders = pd.DataFrame(
        {
            "Order Number": range(len(days)),
            "Order Date": days.strftime("%d/%m/%Y 19:00"),
            "Item Name": "Plain Papadum",
            "Quantity": 2,
        }
    )
    orders.to_csv(tmp_path / "orders.csv", index=False)
    panel_path = PROJECT_ROOT / "data" / "03_primary" / "custom" / "demand_panel.parquet"
    before = panel_path.stat().st_mtime_ns if panel_path.exists() else None

    result = _custom_run(tmp_path, "protocol.origin=2024-02-01")
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0
    assert (
        "Error: The panel holds 60 days (2024-01-01 to 2024-02-29), but the configured " in output
    )
    assert "lower features.origins.daily.count or .step, cross_validation.n_folds" in output
    assert "Traceback" not in output
    assert (panel_path.stat().st_mtime_ns if panel_path.exists() else None) == before

    outside = _custom_run(tmp_path, "protocol.origin=2030-01-01")
    output = " ".join((outside.stdout + outside.stderr).split())
    assert outside.returncode != 0
    assert (
        "Error: protocol.origin 2030-01-01 is outside the data (2024-01-01 to 2024-02-29); set a "
        "date between 2024-01-01 and 2024-02-28, or origin: auto" in output
    )
    assert "Traceback" not in output


def test_dockerfile_installs_the_project_and_runs_kedro():
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    lines = [
        line
        for line in dockerfile.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    # One instruction per entry: continuation lines (ending in a backslash) joined.
    joined = " ".join(
        line.rstrip("\\").strip() + ("\n" if not line.endswith("\\") else "") for line in lines
    )
    instructions = [line.strip().split(maxsplit=1) for line in joined.split("\n") if line.strip()]
    assert instructions[0] == ["FROM", "python:3.11-slim"]
    copies = [parts[1] for parts in instructions if parts[0] == "COPY"]
    assert "pyproject.toml README.md ./" in copies
    assert "src ./src" in copies and "conf ./conf" in copies
    assert any("pip install ." in parts[1] for parts in instructions if parts[0] == "RUN")
    assert instructions[-1] == ["CMD", '["kedro", "run"]']
    # The project is installed after its pyproject is copied (system packages may come first).
    pip = next(i for i, parts in enumerate(instructions) if "pip install ." in parts[-1])
    assert pip > instructions.index(["COPY", "pyproject.toml README.md ./"])
    # LightGBM's wheel needs the system's OpenMP runtime.
    assert any("libgomp1" in parts[-1] for parts in instructions if parts[0] == "RUN")
    # What the image copies exists, and what it must not carry is excluded.
    for source in ("pyproject.toml", "README.md", "src", "conf"):
        assert (PROJECT_ROOT / source).exists()
    ignored = (PROJECT_ROOT / ".dockerignore").read_text().split()
    assert {".venv", "data", ".git"} <= set(ignored)
    assert "conf" not in ignored and "src" not in ignored


def test_default_run_forecasts_close_to_the_true_demand(default_run):
    """On the built-in data the true expected demand is known: the ensemble's holdout WAPE is
    within 10 % of the WAPE of forecasting the true mean itself, and it beats seasonal naive."""
    holdout = pd.read_parquet(
        latest_version(
            PROJECT_ROOT / "data" / "07_model_output" / "synthetic" / "holdout_forecasts.parquet"
        )
    )
    truth = pd.read_parquet(PROJECT_ROOT / "data" / "01_raw" / "synthetic" / "true_demand.parquet")
    truth["series_id"] = truth["store_id"] + "_" + truth["item_id"]
    scored = holdout[holdout["scored"]].merge(
        truth[["series_id", "date", "expected_demand"]], on=["series_id", "date"]
    )

    def wape(forecast: pd.Series, actual: pd.Series) -> float:
        return float((forecast - actual).abs().sum() / actual.abs().sum())

    by_model = {
        model: wape(group["y_pred"], group["y_true"]) for model, group in scored.groupby("model")
    }
    ensemble = scored[scored["model"] == "ensemble"]
    truth_wape = wape(ensemble["expected_demand"], ensemble["y_true"])
    assert by_model["ensemble"] <= 1.10 * truth_wape
    assert by_model["ensemble"] < by_model["seasonal_naive"]
    output = PROJECT_ROOT / "data" / "07_model_output" / "synthetic"
    for name in (
        "demand_forecast.parquet",
        "replenishment_plan.parquet",
        "inventory_trajectories.parquet",
    ):
        assert latest_version(output / name).is_file()
    backtest = pd.read_csv(
        latest_version(PROJECT_ROOT / "data" / "08_reporting" / "synthetic" / "policy_backtest.csv")
    )
    totals = backtest[backtest["series_id"] == "ALL"].set_index("policy")
    # The forecast-driven policy costs less than the spreadsheet rule on the same demand.
    assert totals.loc["ensemble", "total_cost"] < totals.loc["naive", "total_cost"]


def test_default_run_saves_a_forecaster_bundle_that_forecasts_like_the_run(default_run):
    """The bundle (06_models) loads without Kedro and, on the run's own panel, forecasts the
    run's live horizon exactly as the pipeline wrote it."""
    data = PROJECT_ROOT / "data"
    bundle_path = latest_version(data / "06_models" / "synthetic" / "forecaster_bundle.pkl")
    bundle = pd.read_pickle(bundle_path)
    panel = pd.read_parquet(data / "03_primary" / "synthetic" / "demand_panel.parquet")
    attributes = pd.read_parquet(data / "03_primary" / "synthetic" / "series_attributes.parquet")
    expected = pd.read_parquet(
        latest_version(data / "07_model_output" / "synthetic" / "demand_forecast.parquet")
    )
    assert set(bundle.weights) == set(bundle.models) and all(bundle.weights.values())
    forecast = bundle.predict(panel, attributes)
    pd.testing.assert_frame_equal(
        forecast.reset_index(drop=True),
        expected[forecast.columns].reset_index(drop=True),
        check_dtype=False,
        check_categorical=False,
    )
