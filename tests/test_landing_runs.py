"""The landing checkpoint through real `kedro run`s: a run that fails or is killed after the
absorb node leaves the checkpoint as it was, and the next run absorbs the files once."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd

from tests.conftest import PROJECT_ROOT
from tests.test_lineage import _kedro

DE = ("run", "--pipelines", "data_engineering")
FAIL_AFTER_ABSORB = ("--params", "cleaning.missing_policy=bogus")  # cleaning refuses it


def _project(tmp_path: Path) -> Path:
    """A throwaway project with no data: the generator writes the built-in raw tables."""
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "pyproject.toml", project)
    shutil.copytree(PROJECT_ROOT / "conf", project / "conf")
    return project


def _checkpoint(project: Path) -> Path:
    return project / "data" / "02_intermediate" / "synthetic" / "landed_sales"


def _state(project: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    folder = _checkpoint(project)
    return pd.read_parquet(folder / "rows.parquet"), pd.read_csv(folder / "files.csv")


def _kill_after_absorb(project: Path) -> str:
    """A run SIGKILLed right after the absorb node saved the checkpoint."""
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("kedro")), *DE],
        cwd=project,
        env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    log = []
    for line in process.stdout:
        log.append(line)
        if "Completed node: data_engineering.absorb_landed_sales" in line:
            process.send_signal(signal.SIGKILL)
            break
    process.communicate(timeout=120)
    return "".join(log)


def test_a_failed_or_killed_run_leaves_the_checkpoint_and_the_next_absorbs_once(tmp_path):
    project = _project(tmp_path)
    landing = project / "data" / "01_raw" / "synthetic" / "landing"
    landing.mkdir(parents=True)
    (landing / "day_1.csv").write_text(
        "store_id,item_id,date,demand\nS01,I001,2024-12-30,7\nS01,I002,2024-12-29,50\n"
    )

    failed = _kedro(project, *DE, *FAIL_AFTER_ABSORB)
    assert failed.returncode != 0 and "missing_policy 'bogus'" in failed.stdout + failed.stderr
    assert "Landing: 1 files read" in failed.stdout + failed.stderr
    assert not _checkpoint(project).exists()  # the first run's checkpoint was removed

    first = _kedro(project, *DE)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "Landing: 1 files read, 0 skipped (absorbed before); rows 1 new, 1 corrected" in (
        first.stderr + first.stdout
    )
    rows, files = _state(project)
    checkpoint_bytes = (_checkpoint(project) / "rows.parquet").read_bytes()
    assert len(rows) == 2 and files["file"].tolist() == ["day_1.csv"]

    (landing / "day_2.csv").write_text("store_id,item_id,date,demand\nS01,I001,2024-12-31,3\n")
    killed = _kill_after_absorb(project)
    assert "Landing: 1 files read, 1 skipped" in killed
    # The killed run left its checkpoint and journal; the next run plays the journal back
    # before it starts, so day_2 is absorbed once and day_1 is not read again.
    second = _kedro(project, *DE, "--params", "landing.today=2024-12-31")
    log = second.stderr + second.stdout
    assert second.returncode == 0, log[-3000:]
    assert "restored the outputs it had replaced" in log
    assert "Landing: 1 files read, 1 skipped (absorbed before); rows 1 new, 0 corrected" in log
    rows, files = _state(project)
    assert files["file"].tolist() == ["day_1.csv", "day_2.csv"] and len(rows) == 3
    assert (_checkpoint(project) / "rows.parquet").read_bytes() != checkpoint_bytes
    panel = pd.read_parquet(project / "data" / "03_primary" / "synthetic" / "demand_panel.parquet")
    assert panel["date"].max() == pd.Timestamp("2024-12-31")
