"""The run manifest: its pure building blocks on small generated inputs, the hooks on a tiny
run (with a forecaster registered in a throwaway MLflow store), and the manifest the default
``kedro run`` leaves behind."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

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
from inventory_optimization.registry import ForecasterRegistry, Registration, decide

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
    bundle = SimpleNamespace(registered_version="4")  # the daily run's champion
    assert provenance.frame_fingerprint(bundle)["registered_version"] == "4"


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


def test_source_section_names_the_source_and_the_panel():
    summary = {"source": "synthetic", "source_files": {"sales": 10}, "raw_dir": "d", "notes": []}
    metadata = {
        **summary,
        "rows": 10,
        "series": 2,
        "first_date": "2024-01-01",
        "last_date": "2024-01-05",
        "panel_version": "3f2a",
        "cleaning": {"missing_policy": "zero"},
        "quality": {"outliers": 1},
        "columns": {"target": "demand"},
    }
    assert rm.source_section(None, None) is None
    assert rm.source_section(None, summary) == {
        "source": "synthetic",
        "raw_dir": "d",
        "source_files": {"sales": 10},
    }
    full = rm.source_section(metadata, summary)
    assert full["rows"] == 10 and full["last_date"] == "2024-01-05"
    assert full["panel_version"] == "3f2a"
    assert full["cleaning"] == {"missing_policy": "zero"} and full["quality"] == {"outliers": 1}
    assert "columns" not in full


def test_build_manifest_is_plain_json():
    now = time.time()
    run_params = {
        "run_id": "R1",
        "pipeline_names": None,
        "tags": ["modeling"],
        "runner": "<kedro.runner.sequential_runner.SequentialRunner object at 0x7f>",
        "kedro_version": "1.7.0",
        "runtime_params": {"cleaning": {"missing_policy": "zero"}},
    }
    manifest = rm.build_manifest(
        run_params,
        "success",
        [{"name": "fit", "start": now - 1.5, "end": now - 0.5, "status": "completed"}],
        {"fit": ["modeling"]},
        now - 2,
        now,
        parameters={"cleaning": {"missing_policy": "zero"}, "x": np.float64(1.5)},
        inputs={"raw": {"sha1": "0" * 40}},
        outputs=["a", "b"],
        mlflow=None,
        error=None,
        libraries={"kedro": "1.7.0"},
    )
    assert manifest["run_id"] == "R1" and manifest["status"] == "success"
    assert manifest["pipelines"]["requested"] == ["__default__"]
    assert manifest["pipelines"]["selection"] == {"tags": ["modeling"]}
    assert manifest["pipelines"]["runner"] == "SequentialRunner"
    assert manifest["pipelines"]["stages"]["modeling"]["status"] == "completed"
    assert manifest["runtime_params"] == {"cleaning": {"missing_policy": "zero"}}
    assert manifest["parameters"]["x"] == 1.5 and manifest["libraries"] == {"kedro": "1.7.0"}
    assert manifest["mlflow"] is None and "error" not in manifest
    assert manifest["seconds"] == pytest.approx(2.0, abs=1e-3)
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


def _registration(leaderboard: pd.DataFrame, best_params: dict) -> Registration:
    """What a training run hands the registry: a stand-in bundle, its parameters and metrics."""
    bundle = SimpleNamespace(trained_until=pd.Timestamp("2024-01-05"))
    score = float(leaderboard["score"].iloc[0])
    return Registration(
        bundle=bundle,
        decision=decide("wape", score, None, None),
        params={"metric": "wape", "toy.parameters": best_params},
        metrics={"toy.score": score},
        artifacts={"model_leaderboard.csv": leaderboard},
    )


def _tiny_run(
    tmp_path: Path, fail: bool = False, register: bool = False
) -> tuple[dict, DataCatalog]:
    """Run a pipeline through the hooks: one node fits a versioned model, a second (with
    ``register``) registers it in an MLflow store in ``tmp_path``."""
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
            "forecaster_registration": {
                "type": "inventory_optimization.datasets.ForecasterRegistrationDataset",
                "dataset": "toy",
                "tracking_uri": f"sqlite:///{tmp_path / 'mlruns.db'}",
                "artifact_root": str(tmp_path / "mlartifacts"),
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

    nodes = [
        Node(
            fit,
            ["raw", "params:depth"],
            ["toy.model", "toy.best_params", "model_leaderboard"],
            name="fit",
            tags="modeling",
        )
    ]
    if register:
        inputs = ["model_leaderboard", "toy.best_params"]
        nodes.append(Node(_registration, inputs, "forecaster_registration", name="register"))
    pipeline = Pipeline(nodes)
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
    # Each input: its file and the hash of its bytes, the loaded table's shape and panel hash.
    raw = manifest["inputs"]["raw"]
    assert raw["path"] == "raw.csv" and raw["rows"] == 10
    assert raw["sha1"] == provenance.file_fingerprint([tmp_path / "raw.csv"])["sha1"]
    assert raw["panel"]["series"] == 2
    # Each versioned output: the version this run wrote and its file.
    toy = manifest["artifacts"]["toy.model"]
    assert toy["version"] == manifest["run_id"] and toy["produced_in_run"] is True
    assert (tmp_path / toy["path"]).is_file()
    assert manifest["artifacts"][rm.MANIFEST_DATASET]["version"] == manifest["run_id"]
    assert set(manifest["outputs"]) == {"toy.model", "toy.best_params", "model_leaderboard"}
    assert manifest["mlflow"] is None  # nothing registered
    assert manifest["libraries"]["kedro"] == kedro.__version__
    assert any("Run manifest (success, 2024-01-01" in r.message for r in caplog.records)


@DOTTED_NAMES
def test_hooks_record_a_failed_run(tmp_path):
    manifest, _ = _tiny_run(tmp_path, fail=True)
    assert manifest["status"] == "failed"
    assert manifest["error"] == {"type": "RuntimeError", "message": "boom", "node": "fit"}
    assert manifest["nodes"][0]["status"] == "failed"
    assert manifest["pipelines"]["stages"]["modeling"]["status"] == "failed"
    assert "toy.model" not in manifest["artifacts"]  # nothing saved, nothing on disk
    assert manifest["outputs"] == []
    assert manifest["inputs"]["raw"]["sha1"]


@DOTTED_NAMES
def test_a_registering_run_points_to_its_mlflow_run(tmp_path, caplog):
    """The manifest keeps the pointer; the parameters and metrics are MLflow's, which is
    tagged with the Kedro run in return."""
    with caplog.at_level("INFO", logger="inventory_optimization.run_manifest"):
        manifest, _ = _tiny_run(tmp_path, register=True)
    pointer = manifest["mlflow"]
    assert pointer["registered_model"] == pointer["experiment"] == "demand_forecaster_toy"
    assert pointer["version"] == "1" and pointer["aliases"] == "champion"
    assert pointer["tracking_uri"] == f"sqlite:///{tmp_path / 'mlruns.db'}"
    assert not {"models", "features", "summary"} & set(manifest)

    registry = ForecasterRegistry("toy", pointer["tracking_uri"], str(tmp_path / "mlartifacts"))
    assert registry.versions()["run_id"].tolist() == [pointer["run_id"]]
    run = registry._client().get_run(pointer["run_id"])
    assert json.loads(run.data.params["toy.parameters"]) == {"depth": 3}
    assert run.data.metrics["toy.score"] == 0.5
    assert run.data.tags["kedro_run_id"] == manifest["run_id"]
    artifacts = {a.path for a in registry._client().list_artifacts(pointer["run_id"])}
    assert {"bundle", "model_leaderboard.csv"} <= artifacts
    assert any(pointer["run_id"] in r.message for r in caplog.records)


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

    stages = manifest["pipelines"]["stages"]
    assert set(STAGES) <= set(stages)
    for name in STAGES:
        assert stages[name]["status"] == "completed"
        assert stages[name]["started_at"] < stages[name]["finished_at"]
    assert all(node["status"] == "completed" for node in manifest["nodes"])

    assert {"protocol", "inventory", "synthetic_data", "cleaning"} <= set(manifest["parameters"])
    metadata = json.loads(
        (default_run / "data" / "03_primary" / "synthetic" / "panel_metadata.json").read_text()
    )
    source = manifest["source"]
    assert source["rows"] == metadata["rows"] and source["source_files"] == metadata["source_files"]
    assert source["panel_version"] == metadata["panel_version"]
    assert source["cleaning"] == manifest["parameters"]["cleaning"]

    inputs = manifest["inputs"]
    assert {"synthetic_sales", "stock_positions", "optuna_storage"} <= set(inputs)
    # The registry's champion is read from MLflow, not from a file of the run; the landing
    # folder and its checkpoint have files only once sales have landed (not on a first run).
    inputs.pop("current_champion", None)
    for optional in ("sales_landing", "landed_sales_before"):
        entry = inputs.pop(optional, {})
        assert "sha1" not in entry or re.fullmatch(r"[0-9a-f]{40}", entry["sha1"])
    for entry in inputs.values():
        assert re.fullmatch(r"[0-9a-f]{40}", entry["sha1"]) and entry["bytes"] > 0

    models = default_run / "data" / "06_models" / "synthetic"
    artifacts = manifest["artifacts"]
    for model in MODELS:
        entry = artifacts[f"{model}.model"]
        assert entry["version"] == manifest["run_id"] and entry["produced_in_run"]
        assert (models / model / "model.pkl" / entry["version"] / "model.pkl").is_file()
        assert (
            entry["path"]
            == f"data/06_models/synthetic/{model}/model.pkl/{entry['version']}/model.pkl"
        )
    for name in ("feature_transforms", "forecaster_bundle", "model_card", "replenishment_plan"):
        assert artifacts[name]["version"] == manifest["run_id"]

    # The research run registers its bundle: the manifest points to the MLflow run, which
    # holds the model parameters and the holdout metrics.
    pointer = manifest["mlflow"]
    registry = ForecasterRegistry(
        "synthetic", f"sqlite:///{default_run / 'mlruns.db'}", str(default_run / "mlartifacts")
    )
    versions = registry.versions().set_index("version")
    assert versions.loc[pointer["version"], "run_id"] == pointer["run_id"]
    run = registry._client().get_run(pointer["run_id"])
    assert run.data.tags["kedro_run_id"] == manifest["run_id"]
    assert run.data.metrics["ensemble.score"] > 0
    assert {f"{model}.parameters" for model in MODELS} <= set(run.data.params)

    assert manifest["libraries"]["kedro"] == kedro.__version__
    assert {"pandas", "numpy", "optuna"} <= set(manifest["libraries"])
    commit = manifest["git_commit"]
    if commit != "unknown":
        assert re.fullmatch(r"[0-9a-f]{40}", commit)
        known = subprocess.run(
            ["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=default_run, check=False
        )
        assert known.returncode == 0
        assert run.data.tags["mlflow.source.git.commit"] == commit
