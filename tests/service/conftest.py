"""One trained project shared by every service test: the built-in data in a scratch copy,
`training` on the reduced budget, then `daily` (the plan the service serves)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from inventory_optimization.models.budgets import REDUCED_BUDGET
from inventory_optimization.replay import DailyProject, scratch_project
from inventory_optimization.service import ServiceSettings, create_app
from inventory_optimization.service.state import load_snapshot

PROJECT_ROOT = Path(__file__).resolve().parents[2]
API_KEY = "test-key-0123456789"
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
    # Development: SERVICE_TEST_PROJECT names a project already trained and run this way.
    if os.environ.get("SERVICE_TEST_PROJECT"):
        return DailyProject(Path(os.environ["SERVICE_TEST_PROJECT"]), "synthetic")
    folder = scratch_project(PROJECT_ROOT, tmp_path_factory.mktemp("service") / "project")
    project = DailyProject(folder, "synthetic", params=SERVICE_BUDGET)
    _run(project, "run", "--nodes", "data_engineering.generate_demand_data")
    _run(project, "run", "--pipelines", "training", "--from-nodes", "data_engineering.ingest_sales")
    _run(DailyProject(folder, "synthetic"), "run", "--pipelines", "daily")
    return DailyProject(folder, "synthetic")


@pytest.fixture(scope="session")
def snapshot(service_project):
    return load_snapshot(service_project.path, None)


@pytest.fixture()
def restored(service_project):
    """The project's stock file and landing folder as they were, after the test."""
    stock = service_project.raw("stock_positions.csv")
    landing = service_project.raw("landing")
    before = stock.read_bytes()
    landed = {p.name for p in landing.iterdir()} if landing.is_dir() else set()
    yield service_project
    stock.write_bytes(before)
    if landing.is_dir():
        for path in landing.iterdir():
            if path.name not in landed:
                path.unlink()
        if not landed:
            shutil.rmtree(landing)


def settings_of(project: DailyProject, **options) -> ServiceSettings:
    return ServiceSettings(project=project.path, api_key=API_KEY, watch_seconds=0, **options)


@pytest.fixture()
def client(service_project, snapshot):
    """A TestClient over the shared snapshot (no reload from disk)."""
    app = create_app(settings_of(service_project), loader=lambda: snapshot)
    with TestClient(app) as test_client:
        yield test_client
