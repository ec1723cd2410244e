"""Shared test fixtures: where the real datasets are, and how to run the Kedro CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from inventory_optimization.models.budgets import REDUCED_BUDGET
from inventory_optimization.replay import DailyProject, scratch_project

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SHARED_DATA_DIR", PROJECT_ROOT.parent / "shared" / "data"))


def shared_dataset(name: str) -> Path:
    """Folder of a real dataset; skipped when absent locally, a failure in CI."""
    folder = SHARED_DATA / name
    if not folder.is_dir():
        message = f"real dataset not found at {folder} (set SHARED_DATA_DIR)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return folder


def run_kedro(
    *args: str, timeout: int = 1800, cwd: Path = PROJECT_ROOT
) -> subprocess.CompletedProcess:
    """Run the project's Kedro CLI as a user would (in ``cwd``, by default the project); fail
    with its output on error."""
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"}
    kedro = Path(sys.executable).with_name("kedro")
    result = subprocess.run(
        [str(kedro), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"kedro {' '.join(args)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return result


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def default_run() -> Path:
    """One full `kedro run` on the built-in data, shared by every test that reads its outputs
    (forecast check, reporting, run manifest, notebooks, kedro-viz build)."""
    run_kedro("run")
    return PROJECT_ROOT


# Smaller still than the replay's budget: the service tests need a champion, not a good one.
SERVICE_BUDGET = {
    **REDUCED_BUDGET,
    "modeling.target_transform": "log1p",
    "lightgbm.model_options.tuning_rows": 5000,
    "lightgbm.model_options.fixed.n_estimators": 40,
    "xgboost.model_options.tuning_rows": 5000,
    "xgboost.model_options.fixed.n_estimators": 40,
}


def _run(project: DailyProject, *args: str) -> None:
    result = project.kedro(*args)
    assert result.returncode == 0, f"kedro {' '.join(args)} failed:\n{result.stderr[-4000:]}"


@pytest.fixture(scope="session")
def service_project(tmp_path_factory) -> DailyProject:
    """One trained built-in project shared by the service and streaming tests: the built-in
    data in a scratch copy, `training` on the reduced budget, then `daily`."""
    # Development: SERVICE_TEST_PROJECT names a project already trained and run this way.
    if os.environ.get("SERVICE_TEST_PROJECT"):
        return DailyProject(Path(os.environ["SERVICE_TEST_PROJECT"]), "synthetic")
    folder = scratch_project(PROJECT_ROOT, tmp_path_factory.mktemp("service") / "project")
    project = DailyProject(folder, "synthetic", params=SERVICE_BUDGET)
    _run(project, "run", "--nodes", "data_engineering.generate_demand_data")
    _run(project, "run", "--pipelines", "training", "--from-nodes", "data_engineering.ingest_sales")
    _run(DailyProject(folder, "synthetic"), "run", "--pipelines", "daily")
    return DailyProject(folder, "synthetic")
