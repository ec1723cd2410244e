"""Run metadata: one ``run_manifest`` JSON per ``kedro run``, and a short summary in the log.

The manifest says what ran (environment, run id, pipelines and nodes with their timings,
parameters), on what (data sources, a fingerprint of every input, the cleaning policies) and
what came out (feature catalog version, the Kedro version of every versioned model artifact
with its hyperparameters and holdout metrics, library versions, git commit). It is written
after a successful run and after a failed one (``status: failed`` with the error).

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
    declared_versioned,
    is_versioned,
    layer,
    unwrap,
)
from .provenance import (
    data_fingerprint,
    file_fingerprint,
    frame_fingerprint,
    git_commit,
    git_dirty,
    library_versions,
)

logger = logging.getLogger(__name__)

MANIFEST_DATASET = "run_manifest"
MANIFEST_FORMAT = 1
# Small datasets whose content goes into the manifest or the summary when the run loads or
# saves them; anything else is only fingerprinted (free inputs) or listed (outputs).
CAPTURED = (
    "panel_metadata",
    "source_summary",
    "model_leaderboard",
    "ensemble_weights",
    "model_card",
    "feature_catalog",
)
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
    stages: dict[str, dict[str, Any]] = {}
    for record in nodes:
        for stage in membership.get(record["name"], ["other"]):
            entry = stages.setdefault(
                stage, {"nodes": 0, "completed": 0, "failed": 0, "starts": [], "ends": []}
            )
            entry["nodes"] += 1
            if record.get("start") is not None:
                entry["starts"].append(record["start"])
            if record.get("end") is not None:
                entry["ends"].append(record["end"])
                entry.setdefault("node_seconds", 0.0)
                entry["node_seconds"] += record["end"] - record["start"]
            if record.get("status") == "completed":
                entry["completed"] += 1
            elif record.get("status") == "failed":
                entry["failed"] += 1
    out = {}
    for stage, entry in sorted(stages.items()):
        starts, ends = entry.pop("starts"), entry.pop("ends")
        if entry["failed"]:
            status = "failed"
        elif entry["completed"] == entry["nodes"]:
            status = "completed"
        elif starts:
            status = "incomplete"
        else:
            status = "not_started"
        result: dict[str, Any] = {"status": status, **entry}
        if starts:
            result["started_at"] = _iso(min(starts))
        if ends:
            result["finished_at"] = _iso(max(ends))
            result["seconds"] = round(max(ends) - min(starts), 3)
            result["node_seconds"] = round(entry["node_seconds"], 3)
        out[stage] = result
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
    """The data source: raw files with their row counts, and the panel's rows and dates."""
    meta = panel_metadata or source_summary
    if not meta:
        return None
    keys = ("source", "frequency", "unit", "raw_dir", "country", "keys", "source_files")
    out = {k: meta[k] for k in keys if k in meta}
    if panel_metadata:
        for k in ("rows", "series", "first_date", "last_date", "total_demand"):
            if k in panel_metadata:
                out[k] = panel_metadata[k]
    if meta.get("notes"):
        out["notes"] = meta["notes"]
    return out


def cleaning_section(
    parameters: Mapping[str, Any] | None, panel_metadata: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The cleaning policies: as configured for this run and as recorded with the panel
    (they differ when the panel was built by an earlier run with other parameters)."""
    out: dict[str, Any] = {"configured": (parameters or {}).get("cleaning")}
    if panel_metadata:
        out["applied"] = panel_metadata.get("cleaning")
        if "quality" in panel_metadata:
            out["quality"] = panel_metadata["quality"]
    return out


def feature_section(
    catalog_fingerprint: Mapping[str, Any] | None,
    n_features: int | None,
    transforms: Mapping[str, Any] | None,
) -> dict[str, Any] | None:
    """Version of the features: the transforms' Kedro version and a hash of the catalog."""
    if not catalog_fingerprint and not transforms:
        return None
    out: dict[str, Any] = {}
    if catalog_fingerprint:
        out["catalog_sha1"] = catalog_fingerprint["sha1"]
    if n_features is not None:
        out["features"] = int(n_features)
    if transforms:
        out["transforms_version"] = transforms.get("version")
        out["transforms_path"] = transforms.get("path")
    parts = [out.get("transforms_version"), (out.get("catalog_sha1") or "")[:12]]
    out["version"] = "+".join(p for p in parts if p)
    return out


def leaderboard_rows(leaderboard: pd.DataFrame | None) -> dict[str, dict[str, Any]]:
    if leaderboard is None or leaderboard.empty or "model" not in leaderboard:
        return {}
    return {
        str(row["model"]): plain({k: v for k, v in row.items() if k != "model"})
        for row in leaderboard.to_dict(orient="records")
    }


def model_section(
    versions: Mapping[str, Mapping[str, Any]],
    best_params: Mapping[str, Any],
    leaderboard: pd.DataFrame | None,
    weights: Mapping[str, float] | None,
    model_card: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Per model: the Kedro version of its artifact, hyperparameters and holdout metrics.

    ``versions`` maps model name to ``{"version", "path", "produced_in_run"}``;
    ``best_params`` model name to its tuned parameters.
    """
    metrics = leaderboard_rows(leaderboard)
    card_models = (model_card or {}).get("models", {})
    out: dict[str, Any] = {}
    for model in sorted(set(versions) | set(best_params)):
        entry: dict[str, Any] = dict(versions.get(model, {}))
        if model in best_params:
            entry["hyperparameters"] = plain(best_params[model])
        elif model in card_models:
            entry["hyperparameters"] = plain(card_models[model].get("parameters"))
        if model in metrics:
            entry["holdout"] = metrics[model]
        if "best_trial" in card_models.get(model, {}):
            entry["best_trial"] = card_models[model]["best_trial"]
        if weights is not None and model in weights:
            entry["ensemble_weight"] = weights[model]
        out[model] = entry
    if "ensemble" in metrics or weights:
        out["ensemble"] = {"weights": plain(weights), "holdout": metrics.get("ensemble")}
    return out


def leaderboard_headline(leaderboard: pd.DataFrame) -> str | None:
    rows = leaderboard_rows(leaderboard)
    if not rows:
        return None
    metric = str(leaderboard["metric"].iloc[0]) if "metric" in leaderboard else "score"
    score = "score" if "score" in leaderboard else metric
    # The zero forecast is a floor scored for comparison, not a model the run produced.
    models = leaderboard[leaderboard["model"] != "zero_forecast"]
    best = (models if len(models) else leaderboard).sort_values(score).iloc[0]
    head = rows.get("ensemble")
    who = "ensemble" if head else str(best["model"])
    head = head or rows[who]
    line = f"{who} holdout {metric} {head[score]:.4f}"
    if who != str(best["model"]):
        line += f" (best single model {best['model']} {best[score]:.4f})"
    if head.get("rows") is not None:
        line += f" on {int(head['rows'])} rows"
    return line


def plan_headline(plan: pd.DataFrame) -> str | None:
    if plan is None or "order_qty" not in plan:
        return None
    qty = plan["order_qty"].fillna(0)
    line = f"replenishment plan {len(plan)} rows, {int((qty > 0).sum())} orders, {qty.sum():,.0f} units"
    if "order_value" in plan:
        line += f", value {plan['order_value'].fillna(0).sum():,.2f}"
    return line


def backtest_headline(backtest: pd.DataFrame) -> str | None:
    if backtest is None or not {"policy", "series_id", "total_cost"} <= set(backtest.columns):
        return None
    total = backtest[backtest["series_id"].astype(str) == "ALL"].set_index("policy")
    if "naive" not in total.index:
        return None
    candidates = total.drop(index=[p for p in ("naive", "oracle") if p in total.index])
    if candidates.empty:
        return None
    policy = "ensemble" if "ensemble" in candidates.index else candidates["total_cost"].idxmin()
    cost, naive = float(total.loc[policy, "total_cost"]), float(total.loc["naive", "total_cost"])
    change = f" ({(cost / naive - 1):+.1%})" if naive else ""
    line = f"backtest total cost {policy} {cost:,.0f} vs naive {naive:,.0f}{change}"
    if "oracle" in total.index:
        line += f", perfect foresight {float(total.loc['oracle', 'total_cost']):,.0f}"
    return line


def summary_lines(
    leaderboard: pd.DataFrame | None = None,
    plan: pd.DataFrame | None = None,
    backtest: pd.DataFrame | None = None,
) -> list[str]:
    """A few lines for the end of the log, only for the tables this run produced."""
    lines = [
        leaderboard_headline(leaderboard) if leaderboard is not None else None,
        plan_headline(plan) if plan is not None else None,
        backtest_headline(backtest) if backtest is not None else None,
    ]
    return [line for line in lines if line]


def build_manifest(
    *,
    run_id: str,
    status: str,
    env: str | None,
    dataset: str | None,
    run_params: Mapping[str, Any],
    parameters: Mapping[str, Any] | None,
    started_at: float,
    finished_at: float,
    nodes: list[Mapping[str, Any]],
    membership: Mapping[str, list[str]],
    inputs: Mapping[str, Any],
    outputs: Iterable[str],
    source: Mapping[str, Any] | None,
    panel: Mapping[str, Any] | None,
    cleaning: Mapping[str, Any] | None,
    features: Mapping[str, Any] | None,
    models: Mapping[str, Any],
    artifacts: Mapping[str, Any],
    summary: list[str],
    error: Mapping[str, Any] | None = None,
    libraries: Mapping[str, str] | None = None,
    commit: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest, a plain JSON-safe dict."""
    selection = {k: run_params.get(k) for k in SELECTION_KEYS if run_params.get(k)}
    manifest: dict[str, Any] = {
        "manifest_format": MANIFEST_FORMAT,
        "run_id": run_id,
        "session_id": run_id,
        "status": status,
        "env": env,
        "dataset": dataset,
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
        "parameters": parameters,
        "runtime_params": run_params.get("runtime_params") or {},
        "source": source,
        "data": panel,
        "inputs": inputs,
        "cleaning": cleaning,
        "features": features,
        "models": models,
        "artifacts": artifacts,
        "outputs": sorted(outputs),
        "summary": summary,
        "libraries": dict(libraries) if libraries is not None else library_versions(),
        "python": platform.python_version(),
        "kedro_version": run_params.get("kedro_version"),
        "git_commit": commit if commit is not None else git_commit(),
    }
    if error:
        manifest["error"] = error
    if extra:
        manifest.update(extra)
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
        self._best_params: dict[str, Any] = {}
        self._saved: set[str] = set()
        self._loaded: set[str] = set()
        self._panel: dict[str, Any] | None = None
        self._summaries: dict[str, Any] = {}
        self._failed_node: dict[str, Any] | None = None
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
            failure["node"] = self._failed_node["node"]
        self._finish(run_params, catalog, status="failed", error=failure)

    # -- nodes ---------------------------------------------------------------------------

    @hook_impl
    def before_node_run(self, node) -> None:
        with self._lock:
            record = self._nodes.setdefault(node.name, {"name": node.name})
            record["start"] = time.time()

    @hook_impl
    def after_node_run(self, node) -> None:
        with self._lock:
            record = self._nodes.setdefault(node.name, {"name": node.name})
            record["end"] = time.time()
            record["status"] = "completed"

    @hook_impl
    def on_node_error(self, error, node) -> None:
        with self._lock:
            record = self._nodes.setdefault(node.name, {"name": node.name})
            record["end"] = time.time()
            record["status"] = "failed"
            self._failed_node = {"node": node.name}

    # -- datasets ------------------------------------------------------------------------

    @hook_impl
    def after_dataset_loaded(self, dataset_name: str, data: Any) -> None:
        if dataset_name in self._loaded or dataset_name.startswith("params:"):
            return
        started = time.perf_counter()
        with self._lock:
            self._loaded.add(dataset_name)
            self._capture(dataset_name, data)
            if dataset_name in self._free_inputs:
                self._free_inputs[dataset_name].update(frame_fingerprint(data))
        self._overhead += time.perf_counter() - started

    @hook_impl
    def after_dataset_saved(self, dataset_name: str, data: Any) -> None:
        started = time.perf_counter()
        with self._lock:
            self._saved.add(dataset_name)
            self._capture(dataset_name, data)
            if dataset_name == "model_leaderboard":
                self._summaries["leaderboard"] = data
            elif dataset_name == "replenishment_plan":
                self._summaries["plan"] = data
            elif dataset_name == "policy_backtest":
                self._summaries["backtest"] = data
        self._overhead += time.perf_counter() - started

    def _capture(self, name: str, data: Any) -> None:
        if name in CAPTURED:
            self._captured[name] = data
        elif name.endswith(".best_params") and isinstance(data, Mapping):
            self._best_params[name.removesuffix(".best_params")] = data
        elif name == "demand_panel" and self._panel is None and isinstance(data, pd.DataFrame):
            self._panel = data_fingerprint(data)

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

    def _artifact(self, catalog, name: str) -> dict[str, Any] | None:
        if name not in catalog or not declared_versioned(catalog, name):
            return None
        dataset = catalog.get(name)
        if dataset is None or not is_versioned(dataset):
            return None
        saved = name in self._saved
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

    def _finish(self, run_params, catalog, status: str, error=None) -> None:
        started = time.perf_counter()
        try:
            manifest, summary = self._manifest(run_params, catalog, status, error)
        except Exception:  # a manifest failure must not fail the run
            logger.warning("Run manifest could not be built", exc_info=True)
            return
        for line in summary:
            logger.info("Run summary: %s", line)
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
        where = (manifest["artifacts"].get(MANIFEST_DATASET) or {}).get("path")
        logger.info(
            "Run manifest (%s, %s): %s (%.2f s to collect)",
            status,
            manifest["run_id"],
            where or MANIFEST_DATASET,
            overhead,
        )

    def _manifest(self, run_params, catalog, status, error):
        finished = time.time()
        run_id = run_params.get("run_id") or ""
        known = {n for n in self._registered_datasets() if n in catalog}
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

        # Versioned artifacts (models, transforms, weights, card, the manifest itself).
        artifacts = {}
        for name in sorted(known - {MANIFEST_DATASET}):
            entry = self._artifact(catalog, name)
            if entry is not None:
                artifacts[name] = entry
        artifacts[MANIFEST_DATASET] = self._manifest_entry(catalog, run_id)

        # Models: artifacts named '<model>.model'.
        versions = {
            name.removesuffix(".model"): entry
            for name, entry in artifacts.items()
            if name.endswith(".model")
        }
        best_params = dict(self._best_params)
        for model in versions:
            if model not in best_params:
                loaded = self._load(catalog, f"{model}.best_params")
                if isinstance(loaded, Mapping):
                    best_params[model] = loaded
        leaderboard = self._load(catalog, "model_leaderboard")
        weights = self._load(catalog, "ensemble_weights")
        card = self._load(catalog, "model_card")
        models = model_section(
            versions,
            best_params,
            leaderboard if isinstance(leaderboard, pd.DataFrame) else None,
            weights if isinstance(weights, Mapping) else None,
            card if isinstance(card, Mapping) else None,
        )
        for key in ("model_card", "ensemble_weights"):
            if key in artifacts:
                models.setdefault("ensemble", {})[f"{key}_version"] = artifacts[key]["version"]

        # Features: the transforms' version and the catalog's hash.
        catalog_file = (
            self._describe(catalog, "feature_catalog", saved=True)
            if "feature_catalog" in catalog
            else {}
        )
        feature_table = self._load(catalog, "feature_catalog") if "sha1" in catalog_file else None
        features = feature_section(
            catalog_file if "sha1" in catalog_file else None,
            len(feature_table) if isinstance(feature_table, pd.DataFrame) else None,
            artifacts.get("feature_transforms"),
        )
        if features is not None:
            features["produced_in_run"] = "feature_catalog" in self._saved

        panel_metadata = self._load(catalog, "panel_metadata")
        source_summary = self._load(catalog, "source_summary")
        source = source_section(
            panel_metadata if isinstance(panel_metadata, Mapping) else None,
            source_summary if isinstance(source_summary, Mapping) else None,
        )
        if source is not None:
            source["produced_in_run"] = bool({"panel_metadata", "source_summary"} & self._saved)

        summary = summary_lines(
            self._summaries.get("leaderboard"),
            self._summaries.get("plan"),
            self._summaries.get("backtest"),
        )
        persisted = {
            n
            for n in self._saved
            if n in catalog and type(unwrap(catalog.get(n))).__name__ != "MemoryDataset"
        }
        manifest = build_manifest(
            run_id=run_id,
            status=status,
            env=self._context_env or run_params.get("env"),
            dataset=self._dataset,
            run_params=run_params,
            parameters=self._parameters,
            started_at=self._started,
            finished_at=finished,
            nodes=list(self._nodes.values()),
            membership=self._membership,
            inputs=inputs,
            outputs=persisted,
            source=source,
            panel=self._panel,
            cleaning=cleaning_section(
                self._parameters, panel_metadata if isinstance(panel_metadata, Mapping) else None
            ),
            features=features,
            models=models,
            artifacts=artifacts,
            summary=summary,
            error=error,
            commit=git_commit(self._project_path),
            extra={
                "git_dirty": git_dirty(self._project_path),
                "command": " ".join(["kedro", *sys.argv[1:]])
                if Path(sys.argv[0]).name == "kedro"
                else None,
            },
        )
        return manifest, summary

    def _manifest_entry(self, catalog, run_id: str) -> dict[str, Any]:
        dataset = catalog.get(MANIFEST_DATASET) if MANIFEST_DATASET in catalog else None
        if dataset is None:
            return {"version": None, "path": None, "produced_in_run": True}
        version = dataset_version(dataset, saved=True) if is_versioned(dataset) else None
        paths = dataset_paths(dataset, version)
        return {
            "version": version,
            "path": relative(paths[0], self._project_path) if paths else None,
            "produced_in_run": True,
        }
