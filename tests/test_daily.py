"""Daily operation: `kedro run --pipelines daily` forecasts and plans from the forecaster
bundle the last training saved, without training; and says what to do when there is none."""

from __future__ import annotations

import pickle
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from kedro.io import DatasetError
from kedro.io.core import Version

from inventory_optimization.datasets import ForecasterBundleDataset
from inventory_optimization.models.bundle import BundleMismatchError
from inventory_optimization.pipeline_registry import create_pipelines
from inventory_optimization.retention import latest_version
from inventory_optimization.sources.registry import source_for
from tests.test_lineage import _kedro, _project_copy

DATASET = "synthetic"


def _latest(project: Path, layer: str, name: str) -> pd.DataFrame:
    path = latest_version(project / "data" / layer / DATASET / name)
    return pd.read_parquet(path)


def _with_registry(project: Path, source: Path) -> Path:
    """The copy gets the default run's model registry too (the MLflow store and artifacts)."""
    shutil.copy(source / "mlruns.db", project / "mlruns.db")
    shutil.copytree(source / "mlartifacts", project / "mlartifacts")
    return project


@pytest.fixture(scope="module")
def daily_run(default_run, tmp_path_factory):
    """`daily` in a copy of the default run's project, so the outputs other tests read stay."""
    project = _with_registry(
        _project_copy(tmp_path_factory.mktemp("daily"), default_run), default_run
    )
    result = _kedro(project, "run", "--pipelines", "daily")
    assert result.returncode == 0, result.stderr[-4000:]
    return project, " ".join((result.stdout + result.stderr).split())


def test_daily_runs_no_training_and_forecasts_like_the_training_run(daily_run):
    project, log = daily_run
    assert "Running node: forecast_from_bundle" in log
    for learning in ("tune_model", "cross_validate_model", "fit_and_forecast", "build_features"):
        assert f"Running node: {learning}" not in log
    assert (
        "Forecast from the champion (version 1, trained until 2024-12-29, 0 days before the "
        "origin 2024-12-29)"
    ) in log
    daily = _latest(project, "07_model_output", "daily_forecast.parquet")
    live = _latest(project, "07_model_output", "demand_forecast.parquet")
    # Same bundle, same panel: the daily forecast is the training run's live forecast.
    assert daily["champion_version"].eq("1").all()
    pd.testing.assert_frame_equal(
        daily.drop(columns="champion_version").reset_index(drop=True),
        live[daily.columns.drop("champion_version")].reset_index(drop=True),
        check_dtype=False,
        check_categorical=False,
    )


def test_daily_writes_a_new_plan_version_equal_to_the_training_runs(daily_run, default_run):
    project, _ = daily_run
    plans = sorted(
        (project / "data" / "07_model_output" / DATASET).glob(
            "replenishment_plan.parquet/*/replenishment_plan.parquet"
        )
    )
    assert len(plans) >= 2  # the default run's plan is kept; daily added one
    daily, research = pd.read_parquet(plans[-1]), pd.read_parquet(plans[-2])
    pd.testing.assert_frame_equal(daily, research, check_dtype=False)


def test_daily_without_a_champion_says_to_run_training_first(default_run, tmp_path):
    project = _project_copy(tmp_path, default_run)  # data only: no model registry
    plan = project / "data" / "07_model_output" / DATASET / "replenishment_plan.parquet"
    before = sorted(p.name for p in plan.iterdir())
    result = _kedro(project, "run", "--pipelines", "daily")
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0
    assert "No champion is registered for demand_forecaster_synthetic in sqlite:///" in output
    assert "run `kedro run --pipelines training` (with this --env) first" in output
    assert "Traceback" not in output
    assert sorted(p.name for p in plan.iterdir()) == before  # nothing written


def _versioned(path: Path) -> ForecasterBundleDataset:
    return ForecasterBundleDataset(filepath=str(path), version=Version(None, None))


def test_a_corrupt_or_foreign_bundle_file_is_refused_with_what_to_do(tmp_path):
    version = tmp_path / "forecaster_bundle.pkl" / "2026-01-01T00.00.00.000Z"
    version.mkdir(parents=True)
    (version / "forecaster_bundle.pkl").write_bytes(b"not a pickle")
    with pytest.raises(DatasetError, match=r"cannot be read \(UnpicklingError") as error:
        _versioned(tmp_path / "forecaster_bundle.pkl").load()
    assert "--load-versions forecaster_bundle:<version>" in str(error.value)
    (version / "forecaster_bundle.pkl").write_bytes(pickle.dumps({"weights": {}}))
    with pytest.raises(DatasetError, match=r"holds a dict, not a forecaster bundle"):
        _versioned(tmp_path / "forecaster_bundle.pkl").load()


def test_a_bundle_trained_on_other_data_is_refused(default_run):
    bundle = pd.read_pickle(
        latest_version(default_run / "data" / "06_models" / DATASET / "forecaster_bundle.pkl")
    )
    weekly = {**bundle.panel_metadata, "frequency": "W-SUN"}
    with pytest.raises(BundleMismatchError, match=r"trained on frequency 'D', the panel has "):
        bundle.check_fits(weekly)


def test_the_registry_command_lists_the_champion_and_refuses_an_unknown_version(daily_run):
    project, _ = daily_run
    listed = _cli(project, "registry", "list")
    assert listed.returncode == 0, listed.stderr
    assert "demand_forecaster_synthetic" in listed.stdout
    assert re.search(r"^\s*1\s+champion\s+wape\s", listed.stdout, re.MULTILINE)
    promoted = _cli(project, "registry", "promote", "--version", "9")
    assert promoted.returncode != 0
    assert "demand_forecaster_synthetic has no version 9; registered versions: 1" in (
        promoted.stderr
    )
    assert _cli(project, "registry", "promote", "--version", "1").returncode == 0


def _cli(project: Path, *args: str) -> subprocess.CompletedProcess:
    return _kedro(project, *args, program="inventory-optimization")


def test_training_and_daily_are_registered_for_every_source():
    for kind in ("synthetic", "rossmann", "walmart", "recruit", "custom"):
        pipelines = create_pipelines(source_for(kind))
        training = {n.name for n in pipelines["training"].nodes}
        daily = {n.name for n in pipelines["daily"].nodes}
        # Node names carry their stage (kedro-viz draws a box per stage).
        assert "modeling.build_forecaster_bundle" in training
        assert "modeling.xgboost.tune_model" in training
        assert "replenishment.plan_replenishment" not in training
        assert {
            "forecasting.forecast_from_bundle",
            "replenishment.plan_replenishment",
            "replenishment.write_order_sheet",
            "data_engineering.ingest_sales",
            "reporting.daily_report",
        } <= daily
        training = {name.rsplit(".", 1)[-1] for name in training}
        daily = {name.rsplit(".", 1)[-1] for name in daily}
        assert not any(name.endswith(("tune_model", "fit_and_forecast")) for name in daily)
        assert "backtest_policies" not in daily and "build_features" not in daily
        assert pipelines["daily"].inputs() >= {"champion_bundle"}
        assert "decide_champion" in training


def test_daily_logs_its_forecast_and_has_nothing_to_monitor_on_its_first_day(daily_run):
    project, log = daily_run
    folder = project / "data" / "07_model_output" / DATASET / "forecast_log"
    assert [p.name for p in folder.iterdir()] == ["origin=2024-12-29.parquet"]
    logged = pd.read_parquet(folder / "origin=2024-12-29.parquet")
    assert logged["champion_version"].eq("1").all() and logged["horizon"].max() == 28
    assert "Monitoring: no earlier daily forecast logged yet; nothing to score" in log
    monitoring = pd.read_csv(
        latest_version(project / "data" / "08_reporting" / DATASET / "forecast_monitoring.csv")
    )
    assert monitoring.empty and {"rolling_wape", "status", "reason"} <= set(monitoring.columns)


def test_daily_absorbs_a_landed_day_and_forecasts_from_it(default_run, tmp_path):
    project = _with_registry(_project_copy(tmp_path, default_run), default_run)
    panel = pd.read_parquet(project / "data" / "03_primary" / DATASET / "demand_panel.parquet")
    last = panel["date"].max()
    day = last + pd.Timedelta(days=1)
    series = panel.drop_duplicates("series_id")[["store_id", "item_id"]]
    landing = project / "data" / "01_raw" / DATASET / "landing"
    landing.mkdir(parents=True)
    series.assign(date=f"{day:%Y-%m-%d}", demand=3).to_csv(landing / "day.csv", index=False)
    result = _kedro(project, "run", "--pipelines", "daily")
    log = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 0, log[-4000:]
    assert f"rows {len(series)} new, 0 corrected, 0 unchanged; dates {day:%Y-%m-%d} to" in log
    forecast = _latest(project, "07_model_output", "daily_forecast.parquet")
    assert pd.to_datetime(forecast["origin"]).unique().tolist() == [day]
