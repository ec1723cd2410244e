"""Versions of the run's outputs: the plan, forecasts, leaderboard and backtest are versioned,
the newest ``runs.keep_versions`` are kept (never the run's own), a stable ``*_latest.csv`` copy
follows the newest, and files of the unversioned layout are adopted as the oldest version."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import yaml
from kedro.framework.hooks.manager import _create_hook_manager
from kedro.io import DataCatalog
from kedro.pipeline import Node, Pipeline
from kedro.runner import SequentialRunner

from inventory_optimization.retention import (
    RetentionHooks,
    adopt_unversioned,
    latest_copy_path,
    latest_version,
    prune_versions,
    version_folders,
    version_name,
)
from tests.conftest import PROJECT_ROOT

VERSIONED = (
    "replenishment_plan",
    "replenishment_plan_csv",
    "order_sheet",
    "summary_report",
    "daily_report",
    "holdout_forecasts",
    "model_leaderboard",
    "policy_backtest",
)


def _version(index: int) -> str:
    return f"2024-01-01T00.00.{index:02d}.000Z"


def test_the_plan_forecasts_leaderboard_and_backtest_are_versioned_in_every_environment():
    base = yaml.safe_load((PROJECT_ROOT / "conf" / "base" / "catalog.yml").read_text())
    for name in VERSIONED:
        assert base[name]["versioned"] is True, name
    for path in sorted((PROJECT_ROOT / "conf").glob("*/catalog.yml")):
        entries = yaml.safe_load(path.read_text()) or {}
        for name in set(VERSIONED) & set(entries):
            assert entries[name].get("versioned") is True, f"{path}: {name}"
    runs = yaml.safe_load((PROJECT_ROOT / "conf" / "base" / "parameters_runs.yml").read_text())
    assert runs["runs"]["keep_versions"] >= 1
    assert set(runs["runs"]["latest_copies"]) <= set(VERSIONED)


def test_latest_version_is_the_file_the_catalog_loads(tmp_path):
    path = tmp_path / "policy_backtest.csv"
    with pytest.raises(FileNotFoundError, match="no version of"):
        latest_version(path)
    for index in (1, 3, 2):
        folder = path / _version(index)
        folder.mkdir(parents=True)
        pd.DataFrame({"run": [index]}).to_csv(folder / path.name, index=False)
    (path / "notes").mkdir()  # not a version: ignored
    assert latest_version(path) == path / _version(3) / path.name
    catalog = DataCatalog.from_config(
        {"backtest": {"type": "pandas.CSVDataset", "filepath": str(path), "versioned": True}}
    )
    assert catalog.load("backtest")["run"].tolist() == [3]
    plain = tmp_path / "plain.csv"
    plain.write_text("x\n1\n")
    assert latest_version(plain) == plain


def test_pruning_keeps_the_newest_and_never_the_current_version(tmp_path):
    path = tmp_path / "plan.parquet"
    for index in range(1, 6):
        (path / _version(index)).mkdir(parents=True)
    removed = prune_versions(path, keep=2, current=_version(1))
    assert [p.name for p in removed] == [_version(2), _version(3)]
    assert [p.name for p in version_folders(path)] == [_version(1), _version(4), _version(5)]
    assert prune_versions(path, keep=10) == []


def test_a_file_of_the_unversioned_layout_becomes_the_oldest_version(tmp_path):
    path = tmp_path / "model_leaderboard.csv"
    pd.DataFrame({"model": ["ensemble"], "score": [0.5]}).to_csv(path, index=False)
    os.utime(path, (1_700_000_000, 1_700_000_000))
    moved = adopt_unversioned(path)
    assert moved == path / "2023-11-14T22.13.20.000Z" / path.name
    assert version_name(1_700_000_000.1234) == "2023-11-14T22.13.20.123Z"
    assert path.is_dir() and latest_version(path) == moved
    catalog = DataCatalog.from_config(
        {"board": {"type": "pandas.CSVDataset", "filepath": str(path), "versioned": True}}
    )
    assert catalog.load("board")["score"].tolist() == [0.5]


def _run(root: Path, index: int, runs: dict, fail: bool = False) -> None:
    """One run of a pipeline writing a versioned backtest and plan through the hooks."""
    run_id = _version(index)
    catalog = DataCatalog.from_config(
        {
            "policy_backtest": {
                "type": "pandas.CSVDataset",
                "filepath": str(root / "policy_backtest.csv"),
                "versioned": True,
            },
            "replenishment_plan": {
                "type": "pandas.ParquetDataset",
                "filepath": str(root / "replenishment_plan.parquet"),
                "versioned": True,
            },
            "demand_forecast": {
                "type": "pandas.ParquetDataset",
                "filepath": str(root / "demand_forecast.parquet"),
            },
        },
        save_version=run_id,
    )

    def plan(forecast: pd.DataFrame):
        if fail:
            raise RuntimeError("boom")
        return forecast.assign(run=index), pd.DataFrame({"policy": ["ensemble"], "run": [index]})

    pd.DataFrame({"series_id": ["a"], "mean": [1.0]}).to_parquet(root / "demand_forecast.parquet")
    pipeline = Pipeline(
        [Node(plan, "demand_forecast", ["replenishment_plan", "policy_backtest"], name="plan")]
    )
    hooks = RetentionHooks()
    manager = _create_hook_manager()
    manager.register(hooks)
    manager.hook.after_context_created(context=SimpleNamespace(params={"runs": runs}))
    params = {"run_params": {"run_id": run_id}, "pipeline": pipeline, "catalog": catalog}
    manager.hook.before_pipeline_run(**params)
    try:
        SequentialRunner().run(pipeline, catalog, manager, run_id=run_id)
    except RuntimeError as error:
        manager.hook.on_pipeline_error(error=error, **params)
    else:
        manager.hook.after_pipeline_run(run_result={}, **params)


def test_a_run_keeps_the_newest_versions_and_refreshes_the_latest_copy(tmp_path, caplog):
    runs = {"keep_versions": 2, "latest_copies": ["policy_backtest"]}
    backtest = tmp_path / "policy_backtest.csv"
    # A backtest of the older, unversioned layout is there before the first versioned run.
    pd.DataFrame({"policy": ["naive"], "run": [0]}).to_csv(backtest, index=False)
    os.utime(backtest, (1_700_000_000, 1_700_000_000))
    with caplog.at_level("INFO", logger="inventory_optimization.retention"):
        _run(tmp_path, 1, runs)
    assert [p.name for p in version_folders(backtest)] == ["2023-11-14T22.13.20.000Z", _version(1)]
    assert any("written before it was versioned" in m for m in caplog.messages)

    for index in (2, 3):
        _run(tmp_path, index, runs)
    for path in (backtest, tmp_path / "replenishment_plan.parquet"):
        assert [p.name for p in version_folders(path)] == [_version(2), _version(3)]
    latest = latest_copy_path(backtest)
    assert latest == tmp_path / "policy_backtest_latest.csv"
    assert latest.read_bytes() == latest_version(backtest).read_bytes()
    assert pd.read_csv(latest)["run"].tolist() == [3]
    assert not latest_copy_path(tmp_path / "replenishment_plan.parquet").exists()  # not listed
    assert any("removed 2 older version folders" in m for m in caplog.messages)

    # A failed run prunes nothing and leaves the latest copy at the last successful run.
    _run(tmp_path, 4, runs, fail=True)
    assert pd.read_csv(latest)["run"].tolist() == [3]
    assert [p.name for p in version_folders(backtest)] == [_version(2), _version(3)]

    # keep_versions: null keeps every version.
    _run(tmp_path, 5, {"keep_versions": None})
    assert [p.name for p in version_folders(backtest)] == [_version(2), _version(3), _version(5)]
