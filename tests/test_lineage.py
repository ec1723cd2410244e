"""Stale or mixed outputs are refused: every table remembers the demand panel it was made from,
and a node whose inputs disagree stops with one sentence naming the stale input and what to run
(issue: a plan made from the previous run's forecast against a new panel, with exit code 0)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from inventory_optimization.lineage import (
    PANEL_VERSION,
    StaleInputError,
    check_same_panel,
    panel_version,
    stamp,
    version_of,
)


def _table(version: str | None) -> pd.DataFrame:
    return stamp(pd.DataFrame({"series_id": ["A"], "y": [1.0]}), version)


def test_panel_version_follows_content():
    panel = pd.DataFrame({"series_id": ["A", "B"], "demand": [1.0, 2.0]})
    assert panel_version(panel) == panel_version(panel.copy())
    assert panel_version(panel) != panel_version(panel.assign(demand=[1.0, 2.5]))
    assert len(panel_version(panel)) == 12


def test_the_stamp_survives_parquet(tmp_path: Path):
    path = tmp_path / "forecast.parquet"
    _table("abc123").to_parquet(path)
    assert version_of(pd.read_parquet(path)) == "abc123"
    assert version_of({PANEL_VERSION: "abc123"}) == "abc123"
    assert version_of(pd.DataFrame()) is None


def test_inputs_from_one_panel_pass():
    inputs = {"panel_metadata": {PANEL_VERSION: "v2"}, "demand_forecast": _table("v2")}
    assert check_same_panel("plan_replenishment", inputs) == "v2"
    # Unstamped inputs (raw files, CSV tables, parameters) are not judged.
    assert check_same_panel("x", {"raw": pd.DataFrame(), "params:a": {"b": 1}}) is None


def test_a_stale_forecast_is_refused_with_what_to_run():
    inputs = {
        "demand_forecast": _table("v1"),
        "item_parameters": _table("v2"),
        "panel_metadata": {PANEL_VERSION: "v2"},
    }
    with pytest.raises(StaleInputError) as error:
        check_same_panel("plan_replenishment", inputs, {"demand_forecast": "modeling"})
    message = str(error.value)
    assert message.startswith("plan_replenishment: demand_forecast was made from panel version v1")
    assert "the current demand panel is v2" in message
    assert "`kedro run --pipelines modeling` and the pipelines after it" in message


def test_mixed_inputs_without_a_reference_are_refused():
    with pytest.raises(StaleInputError, match="made from different demand panels"):
        check_same_panel("build_ensemble", {"a": _table("v1"), "b": _table("v2")})


def _project_copy(tmp_path: Path, source: Path) -> Path:
    """A throwaway project folder holding the default run's outputs (code comes from the
    installed package), so this test never changes the outputs other tests read."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(source / "pyproject.toml", project)
    (project / "src").mkdir()  # Kedro wants the source folder; the code is the installed one
    shutil.copytree(source / "conf", project / "conf")
    ignore = shutil.ignore_patterns("*.db", ".locks", ".journal")  # another run's state
    shutil.copytree(source / "data", project / "data", ignore=ignore)
    return project


def _snapshot(path: Path) -> list[tuple[str, int]]:
    """Every file at ``path`` (a file, or a versioned dataset's folder) with its mtime."""
    files = sorted(path.rglob("*")) if path.is_dir() else [path]
    return [(str(f), f.stat().st_mtime_ns) for f in files if f.is_file()]


def _kedro(project: Path, *args: str, program: str = "kedro") -> subprocess.CompletedProcess:
    """``program`` (a console script of this environment) run in ``project``."""
    return subprocess.run(
        [str(Path(sys.executable).with_name(program)), *args],
        cwd=project,
        env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def test_a_plan_from_the_previous_runs_forecast_is_refused(default_run, tmp_path: Path):
    project = _project_copy(tmp_path, default_run)
    plan = project / "data" / "07_model_output" / "synthetic" / "replenishment_plan.parquet"
    plans_before = _snapshot(plan)
    # New sales (another seed) reach the panel; the forecast is still the old panel's.
    ingested = _kedro(
        project, "run", "--pipelines", "data_engineering", "--params", "synthetic_data.seed=7"
    )
    assert ingested.returncode == 0, ingested.stderr[-3000:]
    result = _kedro(project, "run", "--pipelines", "replenishment")
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0
    # The first planning node to run names its stale forecast (demand or holdout).
    assert re.search(r"(demand|holdout)_forecasts? was made from panel version \w+", output)
    assert "`kedro run --pipelines modeling` and the pipelines after it" in output
    assert _snapshot(plan) == plans_before
