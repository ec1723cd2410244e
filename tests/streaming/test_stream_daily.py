"""End to end on a trained project: a day of sales replayed twice as events, consumed by
`inventory-optimization stream consume`, then `kedro run --pipelines daily`: the panel's
demand per series on that day equals the day's sums exactly."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from inventory_optimization.replay import DailyProject
from inventory_optimization.streaming.replay import events_from_table, publish


def _day_of_sales(project: DailyProject) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Order lines of the day after the panel's end: two to four lines per series."""
    panel = pd.read_parquet(project.path / "data/02_intermediate/synthetic/sales_panel.parquet")
    day = panel["date"].max() + pd.Timedelta(days=1)
    series = panel.drop_duplicates("series_id")[["store_id", "item_id"]].reset_index(drop=True)
    lines = series.loc[series.index.repeat(np.arange(len(series)) % 3 + 2)].reset_index(drop=True)
    minutes = pd.to_timedelta(9 * 60 + np.arange(len(lines)), "min")
    lines["ts"] = (day + minutes).tz_localize("UTC")
    lines["quantity"] = np.arange(len(lines)) % 4 + 1
    return lines, day


def _consume(project: Path, broker: str, topic: str, events: int) -> None:
    """The CLI until its partitions hold ``events`` events (then SIGTERM: it finishes its batch)."""
    command = [
        str(Path(sys.executable).with_name("inventory-optimization")),
        "stream",
        "consume",
        "--bootstrap",
        broker,
        "--topic",
        topic,
        "--group",
        "inventory-e2e",
    ]
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"}
    process = subprocess.Popen(
        command, cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    folder = project / "data/01_raw/synthetic/landing/stream"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        files = list(folder.glob("*.events.parquet")) if folder.is_dir() else []
        if sum(len(pd.read_parquet(f)) for f in files) >= events:
            break
        time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    code = process.wait(30)
    assert code == 0, process.stderr.read().decode()[-3000:]


def test_replayed_sales_reach_the_panel_once(service_project, broker, tmp_path):
    copy = tmp_path / "project"
    shutil.copytree(service_project.path, copy, symlinks=True)
    project = DailyProject(copy, "synthetic")
    lines, day = _day_of_sales(project)
    payloads = events_from_table(lines, "till-1")
    publish(payloads, {"bootstrap.servers": broker}, "sales-e2e")
    _consume(copy, broker, "sales-e2e", len(payloads))
    publish(payloads, {"bootstrap.servers": broker}, "sales-e2e")  # delivered twice
    _consume(copy, broker, "sales-e2e", 2 * len(payloads))

    result = project.kedro("run", "--pipelines", "daily")
    assert result.returncode == 0, result.stderr[-4000:]
    log = " ".join((result.stdout + result.stderr).split())  # rich wraps long lines
    assert f"streamed events {len(payloads)} new, {len(payloads)} repeated" in log
    panel = pd.read_parquet(copy / "data/02_intermediate/synthetic/sales_panel.parquet")
    landed = panel[panel["date"] == day].set_index("series_id")["demand"].sort_index()
    expected = (
        lines.assign(series_id=lines["store_id"] + "_" + lines["item_id"])
        .groupby("series_id")["quantity"]
        .sum()
        .astype(float)
        .sort_index()
    )
    pd.testing.assert_series_equal(landed, expected, check_names=False)
