"""kedro-viz draws each environment's own graph: its JSON export (``kedro viz run --env ENV
--save-file``, which runs no project hooks) shows the environment's raw tables feeding the one
ingestion node, and the built-in generator only where the environment uses the built-in data."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from inventory_optimization.sources.registry import source_for
from tests.conftest import PROJECT_ROOT

ENVIRONMENTS = [None, "rossmann", "walmart", "recruit", "custom"]
EXPORT_TIMEOUT = 240


def _environment_kind(env: str | None) -> str:
    kind = "synthetic"
    for folder in ("base", env):
        path = PROJECT_ROOT / "conf" / str(folder) / "parameters_data_engineering.yml"
        if folder and path.is_file():
            kind = (yaml.safe_load(path.read_text()) or {}).get("data_source", {}).get("kind", kind)
    return kind


def _free_port() -> int:
    """A free loopback port below 49152: kedro-viz refuses ports in the ephemeral range."""
    for port in range(4300, 4400):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port in 4300-4399 for kedro-viz")


def _viz_export(env: str | None, folder: Path) -> dict:
    """kedro-viz's /api/main JSON for an environment, as ``--save-file`` writes it."""
    kedro = Path(sys.executable).with_name("kedro")
    command = [str(kedro), "viz", "run", "--no-browser", "--host", "127.0.0.1"]
    command += ["--port", str(_free_port()), "--save-file", str(folder)]
    if env:
        command += ["--env", env]
    process = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    # The server starts only after every API response is saved; version is written last.
    done = folder / "api" / "version"
    deadline = time.monotonic() + EXPORT_TIMEOUT
    try:
        while not done.is_file() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(0.5)
        if not done.is_file():
            process.kill()
            pytest.fail(f"kedro viz export for env {env} failed:\n{process.communicate()[0]}")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
    return json.loads((folder / "api" / "main").read_text())


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=lambda env: env or "local")
def test_viz_draws_the_environments_ingestion(env: str | None, tmp_path: Path):
    source = source_for(_environment_kind(env))
    graph = _viz_export(env, tmp_path / "viz")
    by_id = {node["id"]: node for node in graph["nodes"]}
    tasks = {node["name"]: node for node in graph["nodes"] if node["type"] == "task"}

    ingestion = tasks["ingest_sales"]
    feeding = {by_id[e["source"]]["name"] for e in graph["edges"] if e["target"] == ingestion["id"]}
    assert feeding == {*source.raw_inputs.values(), "params:data_source"}
    assert ingestion["parameters"]["data_source"]["kind"] == source.kind
    # The generator belongs to the built-in data only.
    assert ("generate_demand_data" in tasks) == (source.generator is not None)
    # Everything downstream of the panel is the same graph in every environment.
    assert {"clean_demand_panel", "build_features", "assemble_forecasts"} <= set(tasks)
    assert {"plan_replenishment", "backtest_policies", "summary_report"} <= set(tasks)
    assert "resolve_positions" in tasks  # the stock file, or assumed positions: one node
