"""The real server: `inventory-optimization serve` under uvicorn on a free loopback port, in
the project the shared training and daily runs made; every endpoint called over HTTP."""

from __future__ import annotations

import httpx
import numpy as np
import pandas as pd
import pytest

from inventory_optimization.service.launch import running_server
from tests.service.conftest import API_KEY

KEY = {"X-API-Key": API_KEY}


@pytest.fixture(scope="module")
def server(service_project):
    with running_server(service_project.path, environ={"INVENTORY_API_KEY": API_KEY}) as url:
        yield url


def test_every_endpoint_over_http(server, service_project, restored):
    plan = service_project.latest_plan()
    with httpx.Client(base_url=server, timeout=30) as http:
        assert http.get("/health").json() == {"status": "ok"}
        ready = http.get("/ready").json()
        assert ready["model_version"] == "1" and ready["write_endpoints"] == "enabled"

        forecast = http.get("/forecast/S01_I001", params={"quantiles": "0.5,0.9"}).json()
        assert forecast["model_version"] == "1" and len(forecast["steps"]) >= 7
        assert http.get("/forecast/S9_I9").status_code == 404

        rows = http.get("/plan", params={"page_size": 1000}).json()
        served = pd.DataFrame(rows["rows"])
        # The plan the server returns is the daily run's plan.
        assert served["series_id"].tolist() == plan["series_id"].astype(str).tolist()
        np.testing.assert_allclose(served["order_qty"].astype(float), plan["order_qty"])
        assert http.get("/plan", params={"format": "csv"}).text.startswith("series_id,")

        budget = 0.25 * plan["order_value"].sum()
        what_if = http.post(
            "/plan/what-if", json={"series_ids": plan["series_id"].tolist(), "budget": budget}
        ).json()
        assert what_if["binding_constraint"] == "budget"
        assert 0 < what_if["order_value"] <= budget

        sale = {"store_id": "S01", "item_id": "I001", "date": "2024-12-30", "demand": 5}
        assert http.post("/sales", json={"rows": [sale]}).status_code == 401
        written = http.post("/sales", json={"rows": [sale]}, headers=KEY).json()
        assert written["status"] == "written"
        assert (service_project.raw("landing") / written["file"]).is_file()
        stock = {"series_id": "S01_I001", "on_hand": 8, "as_of_date": "2024-12-29"}
        assert http.post("/stock", json={"positions": [stock]}, headers=KEY).json()["status"] in (
            "written",
            "unchanged",
        )
        reloaded = http.post("/reload", headers=KEY).json()
        assert reloaded["model_version"] == "1"
        metrics = http.get("/metrics").text
        assert (
            'inventory_http_requests_total{endpoint="/plan/what-if",method="POST",status="200"} 1.0'
            in metrics
        )
        assert 'inventory_reloads_total{outcome="ok",trigger="api"} 1.0' in metrics
        assert http.get("/openapi.json").json()["info"]["title"] == "Inventory optimization service"
    log = (service_project.path / "service.log").read_text()
    assert API_KEY not in log
