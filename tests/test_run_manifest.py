"""The run manifest: its pure building blocks on small generated inputs, the hooks on a tiny
in-memory run, and the manifest the default ``kedro run`` leaves behind."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import kedro
import numpy as np
import pandas as pd
import pytest
from kedro.framework.hooks.manager import _create_hook_manager
from kedro.io import DataCatalog
from kedro.pipeline import Node, Pipeline
from kedro.runner import SequentialRunner

from inventory_optimization import catalog_files, provenance
from inventory_optimization import run_manifest as rm

MODELS = ("seasonal_naive", "ets", "random_forest", "xgboost", "lstm")
STAGES = ("data_engineering", "feature_engineering", "modeling", "replenishment")


def _panel(series: int = 2, days: int = 5) -> pd.DataFrame:
    dates = pd.date_range("2024-01-01", periods=days, freq="D")
    return pd.DataFrame(
        {
            "series_id": np.repeat([f"S{i}" for i in range(series)], days),
            "date": np.tile(dates, series),
            "demand": np.arange(series * days, dtype=float),
        }
    )


def _leaderboard() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "model": ["xgboost", "ensemble", "ets"],
            "metric": "wape",
            "score": [0.30, 0.31, np.nan],
            "wape": [0.30, 0.31, np.nan],
            "rows": [10, 10, 10],
        }
    )


def _backtest() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "policy": ["naive", "naive", "oracle", "ensemble", "xgboost"],
            "series_id": ["A", "ALL", "ALL", "ALL", "ALL"],
            "total_cost": [5.0, 200.0, 100.0, 150.0, 140.0],
        }
    )


# --- pure functions --------------------------------------------------------------------------


def test_plain_makes_json_safe_values():
    value = {
        "a": np.int64(3),
        "b": [np.float32(0.5), float("nan"), np.inf],
        "c": pd.Timestamp("2024-01-02"),
        "d": (1, "x", None, True),
        "e": np.array([1, 2]),
        4: object,
    }
    out = rm.plain(value)
    assert out["a"] == 3 and isinstance(out["a"], int)
    assert out["b"] == [0.5, None, None]
    assert out["c"].startswith("2024-01-02")
    assert out["d"] == [1, "x", None, True]
    assert out["e"] == [1, 2]
    assert "4" in out
    json.dumps(out, allow_nan=False)


def test_file_fingerprint_follows_the_bytes(tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("x\n1\n")
    second.write_text("x\n1\n")
    one = provenance.file_fingerprint([first])
    assert one == {"sha1": one["sha1"], "bytes": 4, "files": 1}
    assert re.fullmatch(r"[0-9a-f]{40}", one["sha1"])
    # same bytes under another name differ: the name is part of what a folder holds
    assert provenance.file_fingerprint([second])["sha1"] != one["sha1"]
    assert provenance.file_fingerprint([first]) == one
    first.write_text("x\n2\n")
    assert provenance.file_fingerprint([first])["sha1"] != one["sha1"]
    folder = provenance.file_fingerprint([tmp_path])
    assert folder["files"] == 2 and folder["bytes"] == 8
    assert provenance.file_fingerprint([tmp_path / "missing.csv"]) is None


def test_frame_fingerprint_adds_the_panel_fingerprint_for_a_panel():
    panel = provenance.frame_fingerprint(_panel())
    assert panel["rows"] == 10 and panel["columns"] == 3
    assert panel["panel"]["series"] == 2
    assert panel["panel"]["first_date"] == "2024-01-01"
    assert panel["panel"]["last_date"] == "2024-01-05"
    assert provenance.frame_fingerprint(_panel())["panel"]["sha1"] == panel["panel"]["sha1"]
    changed = _panel().assign(demand=lambda f: f["demand"] + 1)
    assert provenance.frame_fingerprint(changed)["panel"]["sha1"] != panel["panel"]["sha1"]
    assert "panel" not in provenance.frame_fingerprint(pd.DataFrame({"x": [1]}))
    assert provenance.frame_fingerprint({"a": 1}) == {"python_type": "dict"}


def test_pipeline_membership_uses_the_registry_then_tags():
    registered = {
        "data_engineering": ["clean"],
        "modeling": ["fit", "shared"],
        "reporting": ["shared"],
        "__default__": ["clean", "fit", "shared", "adhoc"],
    }
    tags = {"adhoc": {"modeling", "other_tag"}, "lonely": set()}
    out = rm.pipeline_membership(["clean", "fit", "shared", "adhoc", "lonely"], registered, tags)
    assert out == {
        "clean": ["data_engineering"],
        "fit": ["modeling"],
        "shared": ["modeling", "reporting"],
        "adhoc": ["modeling"],
        "lonely": ["other"],
    }
    assert rm.pipeline_membership(["adhoc"], {}, tags) == {"adhoc": ["modeling", "other_tag"]}


def test_stage_timings_per_pipeline():
    nodes = [
        {"name": "a", "start": 100.0, "end": 101.0, "status": "completed"},
        {"name": "b", "start": 101.0, "end": 104.0, "status": "completed"},
        {"name": "c", "start": 102.0, "end": 102.5, "status": "failed"},
        {"name": "d"},
        {"name": "e"},
    ]
    membership = {"a": ["de"], "b": ["fe", "de"], "c": ["mo"], "d": ["mo"], "e": ["io"]}
    stages = rm.stage_timings(nodes, membership)
    assert stages["de"]["status"] == "completed"
    assert stages["de"]["seconds"] == 4.0 and stages["de"]["node_seconds"] == 4.0
    assert stages["de"]["started_at"] < stages["de"]["finished_at"]
    assert stages["fe"]["seconds"] == 3.0
    assert stages["mo"] == {
        "status": "failed",
        "nodes": 2,
        "completed": 0,
        "failed": 1,
        "node_seconds": 0.5,
        "started_at": stages["mo"]["started_at"],
        "finished_at": stages["mo"]["finished_at"],
        "seconds": 0.5,
    }
    assert stages["io"]["status"] == "not_started" and "started_at" not in stages["io"]
    records = rm.node_records(nodes, membership)
    assert [r["status"] for r in records] == [
        "completed",
        "completed",
        "failed",
        "not_run",
        "not_run",
    ]
    assert records[1]["pipelines"] == ["fe", "de"] and records[1]["seconds"] == 3.0


def test_source_and_cleaning_sections():
    summary = {"source": "synthetic", "source_files": {"sales": 10}, "raw_dir": "d", "notes": []}
    metadata = {
        **summary,
        "rows": 10,
        "series": 2,
        "first_date": "2024-01-01",
        "last_date": "2024-01-05",
        "cleaning": {"missing_policy": "zero"},
        "quality": {"outliers": 1},
    }
    assert rm.source_section(None, None) is None
    assert rm.source_section(None, summary) == {
        "source": "synthetic",
        "raw_dir": "d",
        "source_files": {"sales": 10},
    }
    full = rm.source_section(metadata, summary)
    assert full["rows"] == 10 and full["last_date"] == "2024-01-05"
    cleaning = rm.cleaning_section({"cleaning": {"missing_policy": "nan"}}, metadata)
    assert cleaning == {
        "configured": {"missing_policy": "nan"},
        "applied": {"missing_policy": "zero"},
        "quality": {"outliers": 1},
    }
    assert rm.cleaning_section({}, None) == {"configured": None}


def test_feature_section_versions_transforms_and_catalog():
    sha = "ab" * 20
    out = rm.feature_section({"sha1": sha}, 7, {"version": "2024-01-01T00.00.00.000Z"})
    assert out["version"] == f"2024-01-01T00.00.00.000Z+{sha[:12]}"
    assert out["features"] == 7 and out["catalog_sha1"] == sha
    assert rm.feature_section({"sha1": sha}, None, None)["version"] == sha[:12]
    assert rm.feature_section(None, None, None) is None


def test_model_section_joins_versions_parameters_and_metrics():
    versions = {
        m: {"version": "V1", "path": f"{m}/model.pkl/V1/model.pkl", "produced_in_run": True}
        for m in ("xgboost", "ets")
    }
    card = {"models": {"ets": {"parameters": {"trend": "add"}, "best_trial": {"number": 2}}}}
    out = rm.model_section(
        versions, {"xgboost": {"max_depth": np.int64(5)}}, _leaderboard(), {"xgboost": 1.0}, card
    )
    assert out["xgboost"]["version"] == "V1"
    assert out["xgboost"]["hyperparameters"] == {"max_depth": 5}
    assert out["xgboost"]["holdout"]["score"] == 0.30
    assert out["xgboost"]["ensemble_weight"] == 1.0
    assert out["ets"]["hyperparameters"] == {"trend": "add"}  # from the model card
    assert out["ets"]["best_trial"] == {"number": 2}
    assert out["ets"]["holdout"]["score"] is None  # NaN
    assert out["ensemble"]["holdout"]["wape"] == 0.31
    assert rm.model_section({}, {}, None, None) == {}


def test_summary_lines_only_for_what_was_produced():
    plan = pd.DataFrame({"order_qty": [0.0, 12.0, 3.0], "order_value": [0.0, 24.0, 6.5]})
    lines = rm.summary_lines(_leaderboard(), plan, _backtest())
    assert lines == [
        "ensemble holdout wape 0.3100 (best single model xgboost 0.3000) on 10 rows",
        "replenishment plan 3 rows, 2 orders, 15 units, value 30.50",
        "backtest total cost ensemble 150 vs naive 200 (-25.0%), perfect foresight 100",
    ]
    assert rm.summary_lines() == []
    assert rm.summary_lines(plan=plan) == [lines[1]]
    no_ensemble = _backtest()[lambda f: f["policy"] != "ensemble"]
    assert rm.backtest_headline(no_ensemble).startswith("backtest total cost xgboost 140")
    assert rm.backtest_headline(pd.DataFrame({"x": [1]})) is None


def test_build_manifest_is_plain_json():
    now = time.time()
    manifest = rm.build_manifest(
        run_id="R1",
        status="success",
        env="local",
        dataset="synthetic",
        run_params={
            "pipeline_names": None,
            "tags": ["modeling"],
            "runner": "<kedro.runner.sequential_runner.SequentialRunner object at 0x7f>",
            "kedro_version": "1.7.0",
            "runtime_params": {"cleaning": {"missing_policy": "zero"}},
        },
        parameters={"cleaning": {"missing_policy": "zero"}, "x": np.float64(1.5)},
        started_at=now - 2,
        finished_at=now,
        nodes=[{"name": "fit", "start": now - 1.5, "end": now - 0.5, "status": "completed"}],
        membership={"fit": ["modeling"]},
        inputs={"raw": {"sha1": "0" * 40}},
        outputs={"b", "a"},
        source=None,
        panel=None,
        cleaning={"configured": {"missing_policy": "zero"}},
        features=None,
        models={},
        artifacts={},
        summary=[],
        libraries={"kedro": "1.7.0"},
        commit="abc",
    )
    assert manifest["run_id"] == manifest["session_id"] == "R1"
    assert manifest["pipelines"]["requested"] == ["__default__"]
    assert manifest["pipelines"]["selection"] == {"tags": ["modeling"]}
    assert manifest["pipelines"]["runner"] == "SequentialRunner"
    assert manifest["pipelines"]["stages"]["modeling"]["status"] == "completed"
    assert manifest["runtime_params"] == {"cleaning": {"missing_policy": "zero"}}
    assert manifest["outputs"] == ["a", "b"]
    assert manifest["seconds"] == pytest.approx(2.0, abs=1e-3)
    assert "error" not in manifest
    json.dumps(manifest, allow_nan=False)


def test_dataset_paths_for_raw_versioned_and_plain_datasets(tmp_path):
    from kedro_datasets.json import JSONDataset
    from kedro_datasets.pandas import CSVDataset

    from inventory_optimization.datasets import OptunaStorageDataset, RawTableDataset

    (tmp_path / "weather").mkdir()
    for name in ("weather_a.csv", "weather_b.csv.gz"):
        (tmp_path / "weather" / name).write_bytes(b"x")
    (tmp_path / "train.csv.gz").write_bytes(b"x")
    glob = RawTableDataset(str(tmp_path / "weather" / "weather_*.csv"))
    assert [p.name for p in catalog_files.dataset_paths(glob)] == [
        "weather_a.csv",
        "weather_b.csv.gz",
    ]
    gz = RawTableDataset(str(tmp_path / "train.csv"))
    assert [p.name for p in catalog_files.dataset_paths(gz)] == ["train.csv.gz"]
    assert catalog_files.dataset_paths(OptunaStorageDataset(str(tmp_path / "o.db"))) == [
        tmp_path / "o.db"
    ]
    assert catalog_files.dataset_paths(CSVDataset(filepath=str(tmp_path / "t.csv"))) == [
        tmp_path / "t.csv"
    ]

    from kedro.io import Version

    versioned = JSONDataset(filepath=str(tmp_path / "m.json"), version=Version(None, "V1"))
    assert (
        catalog_files.is_versioned(versioned)
        and catalog_files.dataset_version(versioned, saved=True) == "V1"
    )
    assert catalog_files.dataset_version(versioned, saved=False) is None  # nothing on disk yet
    assert catalog_files.dataset_paths(versioned, "V1") == [tmp_path / "m.json" / "V1" / "m.json"]
    assert catalog_files.dataset_paths(versioned) == []
    assert not catalog_files.is_versioned(CSVDataset(filepath=str(tmp_path / "t.csv")))


def test_runner_name():
    assert rm.runner_name("SequentialRunner") == "SequentialRunner"
    assert rm.runner_name("<kedro.runner.thread_runner.ThreadRunner object at 0x1>") == (
        "ThreadRunner"
    )
    assert rm.runner_name(None) is None


# --- the hooks on a tiny run -------------------------------------------------------------------


def _tiny_run(tmp_path: Path, fail: bool = False) -> tuple[dict, DataCatalog]:
    """Run a two-node pipeline through the hooks, with a versioned model and manifest."""
    run_id = "2024-01-01T00.00.00.000Z"
    raw = tmp_path / "raw.csv"
    _panel().to_csv(raw, index=False)
    catalog = DataCatalog.from_config(
        {
            "raw": {"type": "pandas.CSVDataset", "filepath": str(raw)},
            "toy.model": {
                "type": "pickle.PickleDataset",
                "filepath": str(tmp_path / "toy" / "model.pkl"),
                "versioned": True,
            },
            "toy.best_params": {
                "type": "json.JSONDataset",
                "filepath": str(tmp_path / "toy" / "best_params.json"),
            },
            "model_leaderboard": {
                "type": "pandas.CSVDataset",
                "filepath": str(tmp_path / "leaderboard.csv"),
            },
            rm.MANIFEST_DATASET: {
                "type": "json.JSONDataset",
                "filepath": str(tmp_path / "run_manifest.json"),
                "versioned": True,
            },
        },
        save_version=run_id,
    )
    catalog["params:depth"] = 3

    def fit(frame: pd.DataFrame, depth: int):
        if fail:
            raise RuntimeError("boom")
        board = pd.DataFrame({"model": ["toy"], "metric": ["wape"], "score": [0.5], "rows": [3]})
        return {"mean": float(frame["demand"].mean())}, {"depth": depth}, board

    pipeline = Pipeline(
        [
            Node(
                fit,
                ["raw", "params:depth"],
                ["toy.model", "toy.best_params", "model_leaderboard"],
                name="fit",
                tags="modeling",
            )
        ]
    )
    hooks = rm.RunManifestHooks()
    hooks._project_path = tmp_path
    hooks._parameters = {"depth": 3}
    manager = _create_hook_manager()
    manager.register(hooks)
    run_params = {"run_id": run_id, "env": None, "pipeline_names": None, "runner": "Seq"}
    manager.hook.before_pipeline_run(run_params=run_params, pipeline=pipeline, catalog=catalog)
    try:
        SequentialRunner().run(pipeline, catalog, manager, run_id=run_id)
    except RuntimeError as error:
        manager.hook.on_pipeline_error(
            error=error, run_params=run_params, pipeline=pipeline, catalog=catalog
        )
    else:
        manager.hook.after_pipeline_run(
            run_params=run_params, run_result={}, pipeline=pipeline, catalog=catalog
        )
    path = tmp_path / "run_manifest.json" / run_id / "run_manifest.json"
    return json.loads(path.read_text()), catalog


DOTTED_NAMES = pytest.mark.filterwarnings("ignore:One or more dataset names contain")


@DOTTED_NAMES
def test_hooks_write_the_manifest_of_a_run(tmp_path, caplog):
    with caplog.at_level("INFO", logger="inventory_optimization.run_manifest"):
        manifest, _ = _tiny_run(tmp_path)
    assert manifest["status"] == "success"
    assert manifest["run_id"] == "2024-01-01T00.00.00.000Z"
    assert manifest["parameters"] == {"depth": 3}
    assert manifest["pipelines"]["stages"]["modeling"]["status"] == "completed"
    assert manifest["nodes"][0]["name"] == "fit" and manifest["nodes"][0]["seconds"] >= 0
    raw = manifest["inputs"]["raw"]
    assert raw["path"] == "raw.csv" and raw["rows"] == 10
    assert raw["sha1"] == provenance.file_fingerprint([tmp_path / "raw.csv"])["sha1"]
    assert raw["panel"]["series"] == 2
    toy = manifest["models"]["toy"]
    assert toy["version"] == manifest["run_id"] and toy["produced_in_run"] is True
    assert (tmp_path / toy["path"]).is_file()
    assert toy["hyperparameters"] == {"depth": 3}
    assert toy["holdout"]["score"] == 0.5
    assert set(manifest["outputs"]) == {"toy.model", "toy.best_params", "model_leaderboard"}
    assert "toy holdout wape 0.5000 on 3 rows" in manifest["summary"]
    assert any("Run summary: toy holdout wape" in r.message for r in caplog.records)
    assert manifest["libraries"]["kedro"] == kedro.__version__


@DOTTED_NAMES
def test_hooks_record_a_failed_run(tmp_path):
    manifest, _ = _tiny_run(tmp_path, fail=True)
    assert manifest["status"] == "failed"
    assert manifest["error"] == {"type": "RuntimeError", "message": "boom", "node": "fit"}
    assert manifest["nodes"][0]["status"] == "failed"
    assert manifest["pipelines"]["stages"]["modeling"]["status"] == "failed"
    assert manifest["models"] == {}  # nothing saved, nothing on disk
    assert manifest["summary"] == []


# --- the default run ---------------------------------------------------------------------------


def _default_run_manifest(root: Path) -> dict:
    """The newest manifest of a successful plain ``kedro run`` (other tests and people run
    single pipelines in the same folder)."""
    folder = root / "data" / "08_reporting" / "synthetic" / "run_manifest.json"
    for path in sorted(folder.glob("*/run_manifest.json"), reverse=True):
        manifest = json.loads(path.read_text())
        if (
            manifest["pipelines"]["requested"] == ["__default__"]
            and not manifest["pipelines"]["selection"]
            and manifest["status"] == "success"
        ):
            return manifest
    pytest.fail(f"no manifest of a default run under {folder}")


def test_default_run_writes_the_run_manifest(default_run):
    manifest = _default_run_manifest(default_run)
    assert manifest["status"] == "success"
    assert manifest["env"] == "local" and manifest["dataset"] == "synthetic"
    assert manifest["run_id"] == manifest["session_id"]

    stages = manifest["pipelines"]["stages"]
    assert set(STAGES) <= set(stages)
    for name in STAGES:
        assert stages[name]["status"] == "completed"
        assert stages[name]["started_at"] < stages[name]["finished_at"]
    assert all(node["status"] == "completed" for node in manifest["nodes"])

    assert manifest["parameters"]["cleaning"] == manifest["cleaning"]["configured"]
    assert {"protocol", "inventory", "synthetic_data"} <= set(manifest["parameters"])
    assert manifest["cleaning"]["applied"] == manifest["cleaning"]["configured"]
    metadata = json.loads(
        (default_run / "data" / "03_primary" / "synthetic" / "panel_metadata.json").read_text()
    )
    assert manifest["source"]["rows"] == metadata["rows"] == manifest["data"]["rows"]
    assert manifest["source"]["source_files"] == metadata["source_files"]

    inputs = manifest["inputs"]
    assert {"synthetic_sales", "stock_positions", "optuna_storage"} <= set(inputs)
    # The registry's champion is read from MLflow, not from a file of the run.
    inputs.pop("current_champion", None)
    for entry in inputs.values():
        assert re.fullmatch(r"[0-9a-f]{40}", entry["sha1"]) and entry["bytes"] > 0

    models = default_run / "data" / "06_models" / "synthetic"
    for model in MODELS:
        entry = manifest["models"][model]
        assert entry["version"] == manifest["run_id"] and entry["produced_in_run"]
        assert (models / model / "model.pkl" / entry["version"] / "model.pkl").is_file()
        assert (
            entry["path"]
            == f"data/06_models/synthetic/{model}/model.pkl/{entry['version']}/model.pkl"
        )
        assert isinstance(entry["hyperparameters"], dict)
        assert entry["holdout"]["score"] > 0
    assert manifest["models"]["ensemble"]["holdout"]["score"] > 0
    assert manifest["features"]["transforms_version"] == manifest["run_id"]
    assert manifest["features"]["features"] > 0

    assert manifest["libraries"]["kedro"] == kedro.__version__
    assert {"pandas", "numpy", "optuna"} <= set(manifest["libraries"])
    commit = manifest["git_commit"]
    if commit != "unknown":
        assert re.fullmatch(r"[0-9a-f]{40}", commit)
        known = subprocess.run(
            ["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=default_run, check=False
        )
        assert known.returncode == 0
    assert len(manifest["summary"]) == 3
