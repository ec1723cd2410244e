"""Run metadata: one ``run_manifest`` JSON per ``kedro run``, its path at the end of the log.

The manifest records what neither MLflow nor Kedro's session keeps: what ran (environment,
run id, the command, pipelines and nodes with their timings and status, all parameters), on
what (the data source and panel, the version, path and file hash of every input) and what
came out (the Kedro version and path of every versioned dataset, library versions, the git
commit). A run that registered a forecaster points to its MLflow run (``mlflow``: run id,
experiment, registered version), which holds the model parameters, the CV and holdout
metrics, the leaderboard, the model card and the feature catalog; the MLflow run is tagged
with the Kedro run id in return. The manifest is written after a successful run and after a
failed one (``status: failed`` with the error).

The building blocks are pure functions; ``RunManifestHooks`` only collects what the run loads
and saves, and calls them. Node hooks run in worker processes under ``ParallelRunner``, so
node timings are only recorded with the sequential and thread runners.
"""

from __future__ import annotations

import logging
import math
import platform
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from kedro.framework.hooks import hook_impl

from .catalog_files import (
    dataset_paths,
    dataset_version,
    is_versioned,
    layer,
    unwrap,
    versioned_dataset,
)
from .provenance import file_fingerprint, frame_fingerprint, git_commit, git_dirty, library_versions

logger = logging.getLogger(__name__)

MANIFEST_DATASET = "run_manifest"
MANIFEST_FORMAT = 2
# The small datasets the manifest's source section is read from.
SOURCE_DATASETS = ("panel_metadata", "source_summary")
SOURCE_KEYS = ("source", "frequency", "unit", "raw_dir", "country", "keys", "source_files")
PANEL_KEYS = ("rows", "series", "first_date", "last_date", "total_demand", "panel_version")
PANEL_KEYS += ("cleaning", "quality")
SELECTION_KEYS = (
    "tags",
    "node_names",
    "from_nodes",
    "to_nodes",
    "from_inputs",
    "to_outputs",
    "namespaces",
    "load_versions",
    "only_missing_outputs",
)


# --- pure helpers ---------------------------------------------------------------------------


def plain(value: Any) -> Any:  # noqa: PLR0911 - one return per kind of value
    """A JSON-safe copy: numpy scalars to Python, NaN/inf to None, timestamps to ISO text."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | np.ndarray):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def relative(path: Path | str, root: Path | None) -> str:
    path = Path(str(path))
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def pipeline_membership(
    node_names: Iterable[str],
    registered: Mapping[str, Iterable[str]],
    tags: Mapping[str, Iterable[str]] | None = None,
) -> dict[str, list[str]]:
    """The registered pipelines (``__default__`` aside) each node belongs to; a node in none
    of them is attributed by its tags that name a pipeline (by all its tags when there is no
    registry, e.g. a pipeline run outside a project), else to ``other``."""
    members = {name: set(nodes) for name, nodes in registered.items() if name != "__default__"}
    out = {}
    for node in node_names:
        found = sorted(name for name, nodes in members.items() if node in nodes)
        if not found and tags:
            node_tags = set(tags.get(node, ()))
            found = sorted(node_tags & set(members) if members else node_tags)
        out[node] = found or ["other"]
    return out


def stage_timings(
    nodes: Iterable[Mapping[str, Any]], membership: Mapping[str, list[str]]
) -> dict[str, dict[str, Any]]:
    """Start, end and status per pipeline from the node records of the run.

    ``nodes`` holds one record per node of the run: ``name`` and, once started, ``start``
    (epoch seconds), ``end`` and ``status`` (``completed`` or ``failed``). A pipeline's
    ``seconds`` is wall time from its first node's start to its last node's end (stages
    interleave: the runner orders nodes by dependency, not by pipeline); ``node_seconds`` is
    the time spent in its own nodes.
    """
    by_stage: dict[str, list[Mapping[str, Any]]] = {}
    for record in nodes:
        for stage in membership.get(record["name"], ["other"]):
            by_stage.setdefault(stage, []).append(record)
    out = {}
    for stage, records in sorted(by_stage.items()):
        statuses = [record.get("status") for record in records]
        starts = [r["start"] for r in records if r.get("start") is not None]
        ended = [r for r in records if r.get("end") is not None]
        if "failed" in statuses:
            status = "failed"
        else:
            done = statuses.count("completed") == len(records)
            status = "completed" if done else "incomplete" if starts else "not_started"
        entry: dict[str, Any] = {
            "status": status,
            "nodes": len(records),
            "completed": statuses.count("completed"),
            "failed": statuses.count("failed"),
        }
        if starts:
            entry["started_at"] = _iso(min(starts))
        if ended:
            end = max(r["end"] for r in ended)
            entry["finished_at"] = _iso(end)
            entry["seconds"] = round(end - min(starts), 3)
            entry["node_seconds"] = round(sum(r["end"] - r["start"] for r in ended), 3)
        out[stage] = entry
    return out


def node_records(
    nodes: Iterable[Mapping[str, Any]], membership: Mapping[str, list[str]]
) -> list[dict[str, Any]]:
    out = []
    for record in nodes:
        row: dict[str, Any] = {
            "name": record["name"],
            "pipelines": membership.get(record["name"], ["other"]),
            "status": record.get("status", "not_run"),
        }
        if record.get("namespace"):
            row["namespace"] = record["namespace"]
        if record.get("start") is not None:
            row["started_at"] = _iso(record["start"])
        if record.get("end") is not None:
            row["seconds"] = round(record["end"] - record["start"], 3)
        out.append(row)
    return out


def source_section(
    panel_metadata: Mapping[str, Any] | None, source_summary: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    """The data source (raw files with their row counts) and, once cleaned, the panel: rows,
    dates, version, the cleaning policies it was made with and its quality summary (they
    differ from this run's parameters when an earlier run built the panel)."""
    meta = panel_metadata or source_summary
    if not meta:
        return None
    keys = SOURCE_KEYS + (PANEL_KEYS if panel_metadata else ()) + ("notes",)
    return {k: meta[k] for k in keys if meta.get(k) not in (None, [])}


def mlflow_line(mlflow: Mapping[str, Any]) -> str:
    """The log's pointer to the MLflow run: model, version, aliases and run id."""
    aliases = f" ({mlflow['aliases']})" if mlflow.get("aliases") else ""
    return (
        f"{mlflow['registered_model']} version {mlflow['version']}{aliases}, run "
        f"{mlflow['run_id']} in {mlflow['tracking_uri']}"
    )


def build_manifest(
    run_params: Mapping[str, Any],
    status: str,
    nodes: list[Mapping[str, Any]],
    membership: Mapping[str, list[str]],
    started_at: float,
    finished_at: float,
    **sections: Any,
) -> dict[str, Any]:
    """The manifest, a plain JSON-safe dict: the run's id, status, selection, stage and node
    timings, then ``sections`` as given (env, dataset, parameters, source, inputs, artifacts,
    outputs, mlflow, error when there is one, git_commit, ...) and the library versions
    (unless ``libraries`` is given)."""
    selection = {k: run_params.get(k) for k in SELECTION_KEYS if run_params.get(k)}
    manifest: dict[str, Any] = {
        "manifest_format": MANIFEST_FORMAT,
        "run_id": run_params.get("run_id") or "",
        "status": status,
        "started_at": _iso(started_at),
        "finished_at": _iso(finished_at),
        "seconds": round(finished_at - started_at, 3),
        "pipelines": {
            "requested": run_params.get("pipeline_names") or ["__default__"],
            "selection": selection,
            "runner": runner_name(run_params.get("runner")),
            "stages": stage_timings(nodes, membership),
        },
        "nodes": node_records(nodes, membership),
        "runtime_params": run_params.get("runtime_params") or {},
        **{k: v for k, v in sections.items() if k != "error" or v},
        "python": platform.python_version(),
        "kedro_version": run_params.get("kedro_version"),
    }
    manifest.setdefault("libraries", library_versions())
    return plain(manifest)


def runner_name(runner: Any) -> str | None:
    """``SequentialRunner`` from the runner's name or its repr (``<...Runner object at>``)."""
    if not runner:
        return None
    text = str(runner).strip("<>").split(" object at ")[0]
    return text.rsplit(".", 1)[-1]


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")


# --- the hooks ------------------------------------------------------------------------------


class RunManifestHooks:
    """Collect what a ``kedro run`` does and write ``run_manifest`` at its end."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._context_env: str | None = None
        self._dataset: str | None = None
        self._parameters: dict[str, Any] | None = None
        self._context: Any = None
        self._project_path: Path | None = None
        self._reset()

    def _reset(self) -> None:
        self._started = time.time()
        self._nodes: dict[str, dict[str, Any]] = {}
        self._membership: dict[str, list[str]] = {}
        self._run_datasets: set[str] = set()
        self._run_outputs: set[str] = set()
        self._free_inputs: dict[str, dict[str, Any]] = {}
        self._captured: dict[str, Any] = {}
        self._saved: set[str] = set()
        self._loaded: set[str] = set()
        self._failed_node: str | None = None
        self._overhead = 0.0

    # -- context -------------------------------------------------------------------------

    @hook_impl
    def after_context_created(self, context) -> None:
        from kedro.framework.project import settings

        self._context_env = context.env or settings.CONFIG_LOADER_ARGS.get("default_run_env")
        self._project_path = Path(context.project_path)
        try:
            self._dataset = context.config_loader["globals"].get("dataset")
        except Exception:  # noqa: BLE001 - an environment without globals
            self._dataset = None
        self._context = context

    # -- pipeline ------------------------------------------------------------------------

    @hook_impl
    def before_pipeline_run(self, run_params, pipeline, catalog) -> None:
        self._reset()
        started = time.perf_counter()
        if self._context is not None:  # validated and cached by the context: no new work
            self._parameters = plain(self._context.params)
        for node in pipeline.nodes:
            self._nodes[node.name] = {"name": node.name, "namespace": node.namespace}
        self._membership = self._stages(pipeline)
        self._run_datasets = set(pipeline.datasets())
        self._run_outputs = set(pipeline.all_outputs())
        for name in sorted(pipeline.inputs()):
            if name.startswith("params:") or name == "parameters":
                continue
            self._free_inputs[name] = self._describe(catalog, name, saved=False)
        self._overhead += time.perf_counter() - started

    @hook_impl
    def after_pipeline_run(self, run_params, run_result, pipeline, catalog) -> None:
        self._finish(run_params, catalog, status="success")

    @hook_impl
    def on_pipeline_error(self, error, run_params, pipeline, catalog) -> None:
        failure = {"type": type(error).__name__, "message": str(error)[:2000]}
        if self._failed_node:
            failure["node"] = self._failed_node
        self._finish(run_params, catalog, status="failed", error=failure)

    # -- nodes ---------------------------------------------------------------------------

    def _node_event(self, node, status: str | None = None) -> None:
        """A node started (no status) or ended (``completed`` or ``failed``)."""
        with self._lock:
            record = self._nodes.setdefault(node.name, {"name": node.name})
            record["end" if status else "start"] = time.time()
            if status:
                record["status"] = status
            if status == "failed":
                self._failed_node = node.name

    @hook_impl
    def before_node_run(self, node) -> None:
        self._node_event(node)

    @hook_impl
    def after_node_run(self, node) -> None:
        self._node_event(node, "completed")

    @hook_impl
    def on_node_error(self, error, node) -> None:
        self._node_event(node, "failed")

    # -- datasets ------------------------------------------------------------------------

    @hook_impl
    def after_dataset_loaded(self, dataset_name: str, data: Any) -> None:
        if dataset_name in self._loaded or dataset_name.startswith("params:"):
            return
        started = time.perf_counter()
        with self._lock:
            self._loaded.add(dataset_name)
            if dataset_name in SOURCE_DATASETS:
                self._captured.setdefault(dataset_name, data)
            if dataset_name in self._free_inputs:
                self._free_inputs[dataset_name].update(frame_fingerprint(data))
        self._overhead += time.perf_counter() - started

    @hook_impl
    def after_dataset_saved(self, dataset_name: str, data: Any) -> None:
        with self._lock:
            self._saved.add(dataset_name)
            if dataset_name in SOURCE_DATASETS:
                self._captured[dataset_name] = data

    # -- the manifest --------------------------------------------------------------------

    def _stages(self, pipeline) -> dict[str, list[str]]:
        try:
            from .pipeline_registry import stage_pipelines

            registered = {name: [n.name for n in p.nodes] for name, p in stage_pipelines().items()}
        except Exception:  # noqa: BLE001 - a registry that fails to load: tags still tell
            registered = {}
        tags = {node.name: node.tags for node in pipeline.nodes}
        return pipeline_membership([n.name for n in pipeline.nodes], registered, tags)

    def _describe(self, catalog, name: str, saved: bool) -> dict[str, Any]:
        """Type, files, version and file hash of a dataset."""
        dataset = catalog.get(name) if name in catalog else None
        if dataset is None:
            return {"type": "MemoryDataset"}
        out: dict[str, Any] = {"type": type(unwrap(dataset)).__name__}
        version = dataset_version(dataset, saved) if is_versioned(dataset) else None
        if is_versioned(dataset):
            out["version"] = version
        paths = dataset_paths(dataset, version)
        if paths:
            shown = [relative(p, self._project_path) for p in paths]
            out["path"] = shown[0] if len(shown) == 1 else shown
            fingerprint = file_fingerprint(paths)
            if fingerprint:
                out.update(fingerprint)
            else:
                out["missing"] = True
        elif getattr(unwrap(dataset), "_filepath", None) and not is_versioned(dataset):
            out["path"] = relative(unwrap(dataset)._filepath, self._project_path)
            out["missing"] = True  # e.g. a raw file not downloaded yet
        return out

    def _artifact(self, catalog, name: str, saved: bool | None = None) -> dict[str, Any] | None:
        """Kedro version and path of a versioned dataset: the one this run saved, else the
        latest on disk (``produced_in_run: false``); None when unversioned or absent."""
        dataset = versioned_dataset(catalog, name)
        if dataset is None:
            return None
        saved = name in self._saved if saved is None else saved
        version = dataset_version(dataset, saved)
        if version is None:
            return None
        paths = dataset_paths(dataset, version)
        return {
            "version": version,
            "path": relative(paths[0], self._project_path) if paths else None,
            "produced_in_run": saved,
        }

    def _load(self, catalog, name: str) -> Any:
        """What the run loaded or saved, else the latest on disk (None if absent)."""
        if name in self._captured:
            return self._captured[name]
        try:
            if name in catalog and catalog.exists(name):
                return catalog.load(name)
        except Exception as exc:  # noqa: BLE001
            logger.debug("run manifest: could not load %s: %s", name, exc)
        return None

    def _registered_datasets(self) -> set[str]:
        names = set(self._run_datasets)
        try:
            from kedro.framework.project import pipelines

            for name, p in pipelines.items():
                if name != "__default__":
                    names |= p.datasets()
        except Exception:  # noqa: BLE001
            pass
        return {n for n in names if not n.startswith("params:") and n != "parameters"}

    def _mlflow(self, catalog, run_id: str, commit: str) -> dict[str, Any] | None:
        """The MLflow run a dataset of this run registered (``registered_run``, the
        forecaster registration), tagged with this run's id and commit."""
        tags = {"kedro_run_id": run_id}
        if commit != "unknown":
            tags["mlflow.source.git.commit"] = commit
        for name in sorted(n for n in self._saved if n in catalog):
            registered_run = getattr(unwrap(catalog.get(name)), "registered_run", None)
            if callable(registered_run):
                try:
                    return registered_run(tags)
                except Exception:  # noqa: BLE001 - the manifest is written without it
                    logger.warning("Run manifest: no MLflow run found for %s", name, exc_info=True)
        return None

    def _finish(self, run_params, catalog, status: str, error=None) -> None:
        started = time.perf_counter()
        try:
            manifest = self._manifest(run_params, catalog, status, error)
        except Exception:  # a manifest failure must not fail the run
            logger.warning("Run manifest could not be built", exc_info=True)
            return
        if MANIFEST_DATASET not in catalog:
            logger.warning("No '%s' entry in the catalog: manifest not written", MANIFEST_DATASET)
            return
        overhead = self._overhead + time.perf_counter() - started
        manifest["manifest_seconds"] = round(overhead, 3)
        try:
            catalog.save(MANIFEST_DATASET, manifest)
        except Exception:  # noqa: BLE001
            logger.warning("Run manifest could not be written", exc_info=True)
            return
        where = manifest["artifacts"][MANIFEST_DATASET]["path"] or MANIFEST_DATASET
        logger.info("Run manifest (%s, %s): %s", status, manifest["run_id"], where)
        if manifest["mlflow"]:
            logger.info("MLflow run of this run: %s", mlflow_line(manifest["mlflow"]))

    def _manifest(self, run_params, catalog, status, error):
        finished = time.time()
        run_id = run_params.get("run_id") or ""
        if status == "success" and not any("start" in r for r in self._nodes.values()):
            # ParallelRunner: node and dataset hooks ran in worker processes, unseen here;
            # a successful run ran every node and saved every output of its pipeline.
            self._saved |= self._run_outputs
            for record in self._nodes.values():
                record["status"] = "completed"

        # Raw files the run generated (the built-in data) are inputs too.
        inputs = dict(self._free_inputs)
        for name in sorted(self._saved):
            dataset = catalog.get(name) if name in catalog else None
            if dataset is not None and layer(dataset) == "raw":
                inputs[name] = {**self._describe(catalog, name, saved=True), "generated": True}
        # An input absent before the run and present after it (the Optuna study store of a
        # first run) is described as the run left it.
        for name, entry in list(inputs.items()):
            if entry.get("missing"):
                after = self._describe(catalog, name, saved=False)
                if not after.get("missing"):
                    inputs[name] = {**after, "created_in_run": True}

        # Versioned datasets (models, transforms, tables, the manifest itself).
        known = {n for n in self._registered_datasets() if n in catalog}
        artifacts = {}
        for name in sorted(known - {MANIFEST_DATASET}):
            entry = self._artifact(catalog, name)
            if entry is not None:
                artifacts[name] = entry
        artifacts[MANIFEST_DATASET] = self._artifact(catalog, MANIFEST_DATASET, saved=True) or {
            "version": None,
            "path": None,
            "produced_in_run": True,
        }

        found = {name: self._load(catalog, name) for name in SOURCE_DATASETS}
        source = source_section(
            *(found[n] if isinstance(found[n], Mapping) else None for n in SOURCE_DATASETS)
        )
        if source is not None:
            source["produced_in_run"] = bool(set(SOURCE_DATASETS) & self._saved)

        commit = git_commit(self._project_path)
        mlflow = self._mlflow(catalog, run_id, commit)
        persisted = {
            n
            for n in self._saved
            if n in catalog and type(unwrap(catalog.get(n))).__name__ != "MemoryDataset"
        }
        manifest = build_manifest(
            {**run_params, "run_id": run_id},
            status,
            list(self._nodes.values()),
            self._membership,
            self._started,
            finished,
            error=error,
            command=" ".join(["kedro", *sys.argv[1:]])
            if Path(sys.argv[0]).name == "kedro"
            else None,
            env=self._context_env or run_params.get("env"),
            dataset=self._dataset,
            parameters=self._parameters,
            source=source,
            inputs=inputs,
            artifacts=artifacts,
            outputs=sorted(persisted),
            mlflow=mlflow,
            git_commit=commit,
            git_dirty=git_dirty(self._project_path),
        )
        return manifest
