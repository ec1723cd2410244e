"""A failed, interrupted or killed run never leaves its outputs as the latest: what it replaced is
restored, what it added is removed, and the run manifest still says it failed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from inventory_optimization.run_journal import Journal
from tests.test_lineage import _kedro, _project_copy, _snapshot

SYNTHETIC = ("02_intermediate", "03_primary", "05_model_input", "07_model_output", "08_reporting")


def test_play_back_restores_replaced_files_and_removes_new_ones(tmp_path: Path):
    plan = tmp_path / "plan.csv"
    plan.write_text("yesterday")
    versioned = tmp_path / "forecast.parquet" / "2026-12-01T10.00.00.000Z"
    journal = Journal(tmp_path / ".journal" / "local")
    journal.open("run-2")
    for path in (plan, versioned, plan):  # a second save of one output is journaled once
        journal.before_write(path)
    plan.write_text("today, half written")
    versioned.mkdir(parents=True)
    (versioned / "forecast.parquet").write_text("new")

    # A killed run leaves the journal behind; the next run (a new Journal) plays it back.
    survivor = Journal(tmp_path / ".journal" / "local")
    assert survivor.exists()
    assert survivor.play_back() == 2
    assert plan.read_text() == "yesterday"
    assert not versioned.exists()
    assert not survivor.exists() and not (tmp_path / ".journal" / "local").exists()


def test_a_closed_journal_keeps_the_new_outputs(tmp_path: Path):
    plan = tmp_path / "plan.csv"
    plan.write_text("yesterday")
    journal = Journal(tmp_path / ".journal" / "local")
    journal.open("run-2")
    journal.before_write(plan)
    plan.write_text("today")
    journal.close()
    assert plan.read_text() == "today"
    assert Journal(tmp_path / ".journal" / "local").play_back() == 0


def _outputs(project: Path) -> list[tuple[str, int]]:
    files = []
    for layer in SYNTHETIC:
        folder = project / "data" / layer / "synthetic"
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.is_file() and "run_manifest" not in str(path):
                files.append((str(path), path.stat().st_mtime_ns))
    return files


def _latest_manifest(project: Path) -> dict:
    folder = project / "data" / "08_reporting" / "synthetic" / "run_manifest.json"
    latest = sorted(folder.iterdir())[-1]
    return json.loads((latest / "run_manifest.json").read_text())


def test_a_failed_run_restores_every_output_it_replaced(default_run, tmp_path: Path):
    project = _project_copy(tmp_path, default_run)
    before = _outputs(project)
    raw_panel = project / "data" / "02_intermediate" / "synthetic" / "raw_panel.parquet"
    content = raw_panel.read_bytes()
    # Ingestion succeeds (and overwrites raw_panel), then cleaning refuses the policy.
    result = _kedro(
        project,
        "run",
        "--pipelines",
        "data_engineering",
        "--params",
        "cleaning.missing_policy=bogus",
    )
    assert result.returncode != 0
    assert "missing_policy 'bogus'" in result.stdout + result.stderr
    assert raw_panel.read_bytes() == content
    assert _outputs(project) == before
    assert _latest_manifest(project)["status"] == "failed"
    assert not (project / "data" / ".journal" / "local").exists()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_an_interrupt_fails_the_run_writes_its_manifest_and_restores_outputs(
    default_run, tmp_path: Path, signum: signal.Signals
):
    project = _project_copy(tmp_path, default_run)
    plan = project / "data" / "07_model_output" / "synthetic" / "replenishment_plan.parquet"
    plan_before, outputs_before = _snapshot(plan), _outputs(project)
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("kedro")), "run"],
        cwd=project,
        env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 600
    log = []
    for line in process.stdout:  # stop it once it is past ingestion and features, mid-modeling
        log.append(line)
        if "Running node: tune_model" in line or time.monotonic() > deadline:
            break
    process.send_signal(signum)
    output = "".join(log) + process.communicate(timeout=300)[0]
    assert process.returncode != 0, output[-3000:]
    assert f"Error: run stopped by {signum.name}" in output and "Traceback" not in output
    manifest = _latest_manifest(project)
    assert manifest["status"] == "failed"
    assert _snapshot(plan) == plan_before
    assert _outputs(project) == outputs_before


def test_a_bad_stock_file_fails_the_plan_before_anything_is_written(default_run, tmp_path: Path):
    project = _project_copy(tmp_path, default_run)
    before = _outputs(project)
    stock = tmp_path / "today.csv"
    stock.write_text("store_id,item_id,on_hand\nS99,I99,4\n")
    result = _kedro(
        project, "run", "--pipelines", "replenishment", "--params", f"stock_file={stock}"
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "1 of 1 rows name series that are not in the panel" in output
    assert "Traceback" not in output  # one message the user can act on
    assert _outputs(project) == before
