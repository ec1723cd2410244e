"""The service tests' fixtures over the trained project every service test shares
(``service_project``, tests/conftest.py: the plan the service serves)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from inventory_optimization.replay import DailyProject
from inventory_optimization.service import ServiceSettings, create_app
from inventory_optimization.service.state import load_snapshot

PROJECT_ROOT = Path(__file__).resolve().parents[2]
API_KEY = "test-key-0123456789"


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
