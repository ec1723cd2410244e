"""The service's endpoints in-process (FastAPI's TestClient) over one trained project: the
values they return against the daily run's own outputs, and the messages of every refusal."""

from __future__ import annotations

import io
import logging
import shutil
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from inventory_optimization.datasets import LandingFolderDataset
from inventory_optimization.panel.landing import LandedSales, absorb_landing, upsert_landed
from inventory_optimization.retention import latest_version
from inventory_optimization.service import create_app
from inventory_optimization.service.schemas import MAX_ROWS
from inventory_optimization.service.state import load_snapshot
from tests.service.conftest import API_KEY, settings_of

KEY = {"X-API-Key": API_KEY}
SERIES = "S01_I001"


def _daily_forecast(project) -> pd.DataFrame:
    path = project.path / "data/07_model_output/synthetic/daily_forecast.parquet"
    return pd.read_parquet(latest_version(path))


def _age(version: str) -> float:
    """Seconds since a Kedro version (a UTC timestamp) was saved."""
    saved = datetime.strptime(version, "%Y-%m-%dT%H.%M.%S.%fZ").replace(tzinfo=UTC)
    return (datetime.now(UTC) - saved).total_seconds()


def _all_plan_rows(client: TestClient, **params) -> list[dict]:
    rows, page = [], 1
    while True:
        body = client.get("/plan", params={**params, "page": page, "page_size": 10}).json()
        rows += body["rows"]
        if page * 10 >= body["total"]:
            return rows
        page += 1


def test_health_and_ready_name_the_champion_and_the_plan(client, service_project):
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready").json()
    plan = latest_version(
        service_project.path / "data/07_model_output/synthetic/replenishment_plan.parquet"
    )
    assert ready["ready"] is True
    assert ready["model_version"] == "1"
    assert ready["plan_version"] == plan.parent.name
    assert ready["forecast_origin"] == "2024-12-29"
    assert ready["forecast_source"] == "daily_forecast"  # the plan's own forecast
    assert ready["write_endpoints"] == "enabled"
    assert ready["plan_age_seconds"] == pytest.approx(_age(plan.parent.name), abs=60)


def test_not_ready_answers_503_with_the_reason(service_project):
    def broken():
        raise RuntimeError("No champion is registered")

    with TestClient(create_app(settings_of(service_project), loader=broken)) as client:
        ready = client.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["reason"] == "RuntimeError: No champion is registered"
        assert client.get("/health").status_code == 200
        forecast = client.get(f"/forecast/{SERIES}")
        assert forecast.status_code == 503
        assert "not ready: RuntimeError: No champion" in forecast.json()["detail"]


def test_forecast_is_the_daily_runs_with_the_quantiles_asked(client, service_project):
    response = client.get(f"/forecast/{SERIES}", params={"horizon": 5, "quantiles": "0.1,0.9"})
    assert response.status_code == 200
    body = response.json()
    daily = _daily_forecast(service_project)
    daily = daily[daily["series_id"].astype(str) == SERIES].sort_values("date").head(5)
    assert body["model_version"] == "1" and body["origin"] == "2024-12-29"
    assert [s["date"] for s in body["steps"]] == daily["date"].dt.strftime("%Y-%m-%d").tolist()
    np.testing.assert_allclose([s["point"] for s in body["steps"]], daily["y_pred"])
    np.testing.assert_allclose([s["quantiles"]["0.9"] for s in body["steps"]], daily["q_0.9"])
    assert all(set(s["quantiles"]) == {"0.1", "0.9"} for s in body["steps"])
    assert all(s["quantiles"]["0.1"] <= s["quantiles"]["0.9"] for s in body["steps"])
    full = client.get(f"/forecast/{SERIES}").json()
    assert len(full["steps"]) == daily["horizon"].max() or len(full["steps"]) >= 5


def test_forecast_refusals_name_the_series_the_levels_and_the_horizon(client, snapshot):
    unknown = client.get("/forecast/S09_I999")
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "1 series not in the forecast: 'S09_I999'"
    levels = client.get(f"/forecast/{SERIES}", params={"quantiles": "0.1,0.33"})
    assert levels.status_code == 422
    assert levels.json()["detail"] == (
        "quantiles: the model has no quantile 0.33; expected some of "
        "0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99"
    )
    text = client.get(f"/forecast/{SERIES}", params={"quantiles": "ten"})
    assert "quantiles: ['ten'] are not numbers" in text.json()["detail"]
    far = client.get(f"/forecast/{SERIES}", params={"horizon": 999})
    assert far.status_code == 422
    assert far.json()["detail"] == (
        f"horizon: 999 is beyond the model's horizon; expected 1 to {snapshot.bundle.horizon}"
    )
    zero = client.get(f"/forecast/{SERIES}", params={"horizon": 0})
    assert zero.status_code == 422 and zero.json()["message"].startswith("horizon:")


def test_plan_pages_are_the_pipelines_plan_row_for_row(client, service_project):
    plan = service_project.latest_plan()
    rows = pd.DataFrame(_all_plan_rows(client))
    assert rows["series_id"].tolist() == plan["series_id"].astype(str).tolist()
    for column in ("order_qty", "order_value", "on_hand", "reorder_point", "order_up_to"):
        np.testing.assert_allclose(rows[column].astype(float), plan[column], err_msg=column)
    orders = pd.DataFrame(_all_plan_rows(client, only_orders=True))
    assert len(orders) == int((plan["order_qty"] > 0).sum()) and (orders["order_qty"] > 0).all()
    store = pd.DataFrame(_all_plan_rows(client, store_id="S02"))
    assert set(store["store_id"]) == {"S02"} and len(store) == (plan["store_id"] == "S02").sum()
    csv = client.get("/plan", params={"format": "csv", "page_size": 1000})
    assert csv.headers["content-type"].startswith("text/csv")
    table = pd.read_csv(io.StringIO(csv.text))
    np.testing.assert_allclose(table["order_qty"], plan["order_qty"])
    too_big = client.get("/plan", params={"page_size": 5000})
    assert too_big.status_code == 422
    assert too_big.json()["message"] == "page_size: Input should be less than or equal to 1000"


def test_what_if_without_changes_is_todays_plan(client, service_project):
    plan = service_project.latest_plan()
    body = client.post("/plan/what-if", json={"series_ids": plan["series_id"].tolist()}).json()
    orders = pd.DataFrame(body["orders"])
    np.testing.assert_allclose(orders["order_qty"], plan["order_qty"])
    np.testing.assert_allclose(orders["order_qty"], orders["plan_order_qty"])
    assert body["order_value"] == pytest.approx(plan["order_value"].sum())
    assert body["orders_placed"] == int((plan["order_qty"] > 0).sum())
    assert body["binding_constraint"] is None
    assert 0 < body["expected_fill_rate"] <= 1
    assert body["total_cost"] == pytest.approx(body["order_value"] + body["ordering_cost"])


def test_what_if_with_a_binding_budget_spends_at_most_it(client, service_project):
    plan = service_project.latest_plan()
    budget = 0.3 * plan["order_value"].sum()
    body = client.post(
        "/plan/what-if", json={"series_ids": plan["series_id"].tolist(), "budget": budget}
    ).json()
    assert body["binding_constraint"] == "budget"
    assert 0 < body["order_value"] <= budget
    orders = pd.DataFrame(body["orders"])
    assert (orders["order_qty"] <= orders["plan_order_qty"] + 1e-9).all()  # only cuts
    unconstrained = client.post(
        "/plan/what-if", json={"series_ids": plan["series_id"].tolist()}
    ).json()
    assert body["expected_fill_rate"] < unconstrained["expected_fill_rate"]


def test_what_if_overrides_positions_target_and_case_pack(client, service_project):
    plan = service_project.latest_plan()
    ordering = plan[plan["order_qty"] > 0].iloc[0]
    series = str(ordering["series_id"])
    full = client.post(
        "/plan/what-if",
        json={"series_ids": [series], "overrides": [{"series_id": series, "on_hand": 1e6}]},
    ).json()
    assert full["orders"][0]["order_qty"] == 0 and full["orders"][0]["on_hand"] == 1e6
    packed = client.post("/plan/what-if", json={"series_ids": [series], "case_pack": 50}).json()
    assert packed["orders"][0]["order_qty"] % 50 == 0
    high = client.post(
        "/plan/what-if", json={"series_ids": [series], "service_target": 0.99}
    ).json()
    assert high["orders"][0]["service_target"] == pytest.approx(0.99)


def test_what_if_refusals_name_the_series_and_the_field(client):
    unknown = client.post("/plan/what-if", json={"series_ids": ["NOPE", SERIES]})
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "1 series not in the plan: 'NOPE'", "series": ["NOPE"]}
    twice = client.post("/plan/what-if", json={"series_ids": [SERIES, SERIES]})
    assert twice.status_code == 422
    assert twice.json()["detail"].startswith("series_ids: 1 series listed twice ('S01_I001')")
    outside = client.post(
        "/plan/what-if",
        json={"series_ids": [SERIES], "overrides": [{"series_id": "S01_I002", "on_hand": 1}]},
    )
    assert outside.json()["detail"].startswith("overrides: 1 series are not in series_ids")
    negative = client.post(
        "/plan/what-if",
        json={"series_ids": [SERIES], "overrides": [{"series_id": SERIES, "on_hand": -1}]},
    )
    assert negative.status_code == 422
    assert negative.json()["message"] == (
        "overrides[0].on_hand: Input should be greater than or equal to 0"
    )
    empty = client.post("/plan/what-if", json={"series_ids": []})
    assert empty.json()["message"].startswith("series_ids: List should have at least 1 item")


def test_write_endpoints_need_the_key_and_never_log_it(client, caplog, service_project):
    caplog.set_level(logging.DEBUG)
    row = {"store_id": "S01", "item_id": "I001", "date": "2024-12-30", "demand": 4}
    missing = client.post("/sales", json={"rows": [row]})
    assert missing.status_code == 401
    assert missing.json()["detail"] == "missing API key: send it in the X-API-Key header"
    wrong = client.post("/sales", json={"rows": [row]}, headers={"X-API-Key": "guess"})
    assert wrong.status_code == 401 and wrong.json()["detail"].startswith("wrong API key")
    assert client.post("/reload", headers={"X-API-Key": "guess"}).status_code == 401
    assert not service_project.raw("landing").exists()  # nothing written
    assert "guess" not in caplog.text and API_KEY not in caplog.text


def test_without_a_key_configured_the_write_endpoints_refuse(service_project, snapshot, caplog):
    settings = settings_of(service_project).__class__(project=service_project.path, watch_seconds=0)
    with TestClient(create_app(settings, loader=lambda: snapshot)) as client:
        assert "INVENTORY_API_KEY is not set: POST /sales, /stock and /reload refuse" in caplog.text
        refused = client.post("/stock", json={"positions": [{"series_id": SERIES, "on_hand": 1}]})
        assert refused.status_code == 503
        assert refused.json()["detail"] == (
            "write endpoints are disabled: INVENTORY_API_KEY is not set"
        )
        assert client.get("/ready").json()["write_endpoints"].startswith("disabled")


def test_body_size_and_item_count_limits(service_project, snapshot):
    app = create_app(settings_of(service_project, max_body_bytes=5000), loader=lambda: snapshot)
    row = {"series_id": SERIES, "date": "2024-12-30", "demand": 1}
    with TestClient(app) as client:
        big = client.post("/sales", json={"rows": [row] * 200}, headers=KEY)
        assert big.status_code == 413
        assert big.json()["detail"].startswith("request body above the limit of 5000 bytes")
    with TestClient(create_app(settings_of(service_project), loader=lambda: snapshot)) as client:
        many = client.post("/sales", json={"rows": [row] * (MAX_ROWS + 1)}, headers=KEY)
        assert many.status_code == 422
        assert many.json()["message"] == (
            f"rows: List should have at most {MAX_ROWS} items after validation, not {MAX_ROWS + 1}"
        )


def test_sales_land_once_in_the_landing_folder_as_the_daily_run_reads_them(
    client, restored, snapshot
):
    rows = [
        {"store_id": "S01", "item_id": "I001", "date": "2024-12-30", "demand": 4, "promo": 0},
        {"store_id": "S02", "item_id": "I003", "date": "2024-12-30", "demand": 7, "promo": 1},
    ]
    first = client.post("/sales", json={"rows": rows}, headers=KEY).json()
    assert first["status"] == "written" and first["rows"] == 2 and first["series"] == 2
    landed = restored.raw("landing") / first["file"]
    table = pd.read_csv(landed)
    assert table["demand"].tolist() == [4, 7] and table["item_id"].tolist() == ["I001", "I003"]
    again = client.post("/sales", json={"rows": rows}, headers=KEY).json()
    assert again["status"] == "unchanged" and again["file"] == first["file"]
    assert len(list(restored.raw("landing").iterdir())) == 1
    # What the daily run's absorb node makes of the folder: the two sales in the raw panel.
    files = LandingFolderDataset(str(restored.raw("landing"))).load()
    landed, _ = absorb_landing(
        files, LandedSales(), snapshot.raw_panel, snapshot.summary, today=pd.Timestamp.now()
    )
    panel, _ = upsert_landed(snapshot.raw_panel, landed, snapshot.summary)
    new = panel[panel["date"] == "2024-12-30"].set_index("series_id")["demand"]
    assert new.loc[["S01_I001", "S02_I003"]].tolist() == [4, 7]


def test_bad_sales_are_refused_naming_the_field_and_write_nothing(client, restored):
    unknown = client.post(
        "/sales",
        json={"rows": [{"store_id": "S01", "item_id": "I999", "date": "2024-12-30", "demand": 1}]},
        headers=KEY,
    )
    assert unknown.status_code == 422
    assert (
        "1 of 1 lines are for 1 series the panel does not have ('S01_I999'"
        in unknown.json()["detail"]
    )
    misspelt = client.post(
        "/sales",
        json={
            "rows": [
                {
                    "store_id": "S01",
                    "item_id": "I001",
                    "date": "2024-12-30",
                    "demand": 1,
                    "prize": 2,
                }
            ]
        },
        headers=KEY,
    )
    assert "column(s) ['prize'] are not columns of the raw panel" in misspelt.json()["detail"]
    assert "did you mean 'prize': 'price'" in misspelt.json()["detail"]
    no_demand = client.post(
        "/sales", json={"rows": [{"series_id": SERIES, "date": "2024-12-30"}]}, headers=KEY
    )
    assert no_demand.json()["message"] == "rows[0].demand: Field required"
    assert not restored.raw("landing").exists()


def test_stock_replaces_the_series_rows_of_the_stock_file(client, restored, service_project):
    stock = restored.raw("stock_positions.csv")
    before = pd.read_csv(stock)
    posted = {"store_id": "S01", "item_id": "I002", "on_hand": 3, "on_order": 10,
              "expected_arrival": "2024-12-31", "as_of_date": "2024-12-29"}  # fmt: skip
    body = client.post("/stock", json={"positions": [posted]}, headers=KEY).json()
    assert body["status"] == "written" and body["series"] == 1
    after = pd.read_csv(stock)
    assert len(after) == len(before)
    row = after[after["series_id"] == "S01_I002"].iloc[0]
    assert (row["on_hand"], row["on_order"], row["expected_arrival"]) == (3, 10, "2024-12-31")
    others = after[after["series_id"] != "S01_I002"].set_index(["store_id", "item_id"])
    kept = before.set_index(["store_id", "item_id"]).loc[others.index]
    np.testing.assert_allclose(others["on_hand"], kept["on_hand"])
    again = client.post("/stock", json={"positions": [posted]}, headers=KEY).json()
    assert again["status"] == "unchanged"


def test_bad_stock_is_refused_and_the_file_left_as_it_was(client, restored):
    stock = restored.raw("stock_positions.csv")
    before = stock.read_bytes()
    stale = client.post(
        "/stock",
        json={"positions": [{"series_id": SERIES, "on_hand": 1, "as_of_date": "2024-01-01"}]},
        headers=KEY,
    )
    assert stale.status_code == 409
    assert stale.json()["detail"].startswith(
        "positions: 1 rows are as of a date before the stock file's row of their series "
        "('S01_I001')"
    )
    unknown = client.post(
        "/stock", json={"positions": [{"series_id": "S09_I999", "on_hand": 1}]}, headers=KEY
    )
    assert unknown.status_code == 422
    assert "1 of 1 rows name series that are not in the panel" in unknown.json()["detail"]
    costly = client.post(
        "/stock",
        json={"positions": [{"series_id": SERIES, "on_hand": 1, "unit_cost": 1e6}]},
        headers=KEY,
    )
    assert costly.status_code == 422
    assert "column 'unit_cost' is above the item's price for 1 series" in costly.json()["detail"]
    negative = client.post(
        "/stock", json={"positions": [{"series_id": SERIES, "on_hand": -2}]}, headers=KEY
    )
    assert negative.json()["message"] == (
        "positions[0].on_hand: Input should be greater than or equal to 0"
    )
    assert stock.read_bytes() == before


def test_metrics_count_requests_per_endpoint_and_show_the_model_and_ages(client, snapshot):
    client.get(f"/forecast/{SERIES}")
    client.get("/forecast/NOPE")
    client.post("/plan/what-if", json={"series_ids": [SERIES]})
    text = client.get("/metrics").text
    assert (
        'inventory_http_requests_total{endpoint="/forecast/{series_id}",method="GET",status="200"} 1.0'
        in text
    )
    assert 'endpoint="/forecast/{series_id}",method="GET",status="404"} 1.0' in text
    assert 'inventory_http_request_duration_seconds_count{endpoint="/plan/what-if"' in text
    assert 'inventory_model_info{trained_until="2024-12-29",version="1"} 1.0' in text
    assert "inventory_what_if_solve_seconds_count 1.0" in text
    values = {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    assert values["inventory_plan_age_seconds"] == pytest.approx(
        _age(snapshot.plan_version), abs=60
    )
    assert values["inventory_forecast_age_seconds"] > 86400  # the built-in data ends in 2024


def test_reload_and_a_new_plan_version_are_picked_up_without_restart(service_project):
    app = create_app(
        settings_of(service_project), loader=lambda: load_snapshot(service_project.path, None)
    )
    plan = latest_version(
        service_project.path / "data/07_model_output/synthetic/replenishment_plan.parquet"
    )
    newer = plan.parent.with_name("2999-01-01T00.00.00.000Z")
    with TestClient(app) as client:
        reloaded = client.post("/reload", headers=KEY)
        assert reloaded.status_code == 200
        assert reloaded.json()["plan_version"] == plan.parent.name
        holder = app.state.holder
        assert holder.reload_if_new_plan() is False
        newer.mkdir()  # a save in progress: the folder before its file
        try:
            assert holder.reload_if_new_plan() is False
        finally:
            newer.rmdir()
        shutil.copytree(plan.parent, newer)
        try:
            assert holder.reload_if_new_plan() is True
            assert client.get("/ready").json()["plan_version"] == newer.name
        finally:
            shutil.rmtree(newer)


def test_the_what_ifs_milp_gets_the_services_time_limit(client, service_project, monkeypatch):
    from inventory_optimization.inventory import replenishment

    seen = {}
    solve = replenishment.constrained_orders

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return solve(*args, **kwargs)

    monkeypatch.setattr(replenishment, "constrained_orders", spy)
    plan = service_project.latest_plan()
    client.post("/plan/what-if", json={"series_ids": plan["series_id"].tolist(), "budget": 100})
    assert seen["time_limit"] == 0.1 and seen["budget"] == 100


def test_a_numeric_key_is_written_as_the_number_it_is():
    # Rossmann's store_id 1 in a JSON body must land as "1" (the panel's key), not "1.0".
    from inventory_optimization.service.schemas import SaleRow
    from inventory_optimization.service.writes import _body_table

    row = SaleRow.model_validate({"store_id": 1, "date": "2015-08-01", "demand": 5, "promo": 1})
    assert _body_table([row.model_dump()]).to_csv(index=False).splitlines() == [
        "date,demand,store_id,promo",
        "2015-08-01,5.0,1,1",
    ]
