"""Versions of the run's outputs: how many are kept, a stable latest copy, the older layout.

The plan, the forecasts, the leaderboard and the backtest are versioned in the catalog like the
models: every run writes ``<filepath>/<run id>/<file name>`` and ``catalog.load`` reads the
newest. After a successful run ``RetentionHooks`` deletes the version folders of every
versioned output the run wrote beyond the newest ``runs.keep_versions`` (never the run's own;
run manifests are not pruned) and refreshes a plain copy of the newest version of each dataset
in ``runs.latest_copies`` next to its folder (``replenishment_plan.csv`` ->
``replenishment_plan_latest.csv``) for people and tools that open a fixed file. A plain file
written before its dataset was versioned is moved into a version folder named after its
modification time the first time the run loads or saves the dataset (under the run lock), so
it stays readable as the oldest version.

``latest_version(path)`` resolves the newest version's file for code that reads files
directly (tests, benchmarks).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl

from .catalog_files import dataset_version, unwrap, versioned_dataset

logger = logging.getLogger(__name__)

RUNS_PARAMETERS = "runs"
KEDRO_VERSION = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}\.\d{2}\.\d{2}\.\d{3}Z")


def version_folders(path: Path | str) -> list[Path]:
    """The Kedro version folders of the versioned dataset at ``path``, oldest first."""
    path = Path(path)
    if not path.is_dir():
        return []
    return sorted(p for p in path.iterdir() if p.is_dir() and KEDRO_VERSION.fullmatch(p.name))


def latest_version(path: Path | str) -> Path:
    """The file ``catalog.load`` reads: the newest version's ``<path>/<version>/<name>`` of a
    versioned dataset, or ``path`` itself when it is a plain file."""
    path = Path(path)
    if path.is_file():
        return path
    for folder in reversed(version_folders(path)):
        if (folder / path.name).exists():
            return folder / path.name
    raise FileNotFoundError(f"no version of {path} (expected {path}/<version>/{path.name})")


def prune_versions(path: Path | str, keep: int, current: str | None = None) -> list[Path]:
    """Delete the version folders of ``path`` beyond the newest ``keep``, never ``current``."""
    folders = version_folders(path)
    old = [f for f in folders[: max(len(folders) - max(int(keep), 1), 0)] if f.name != current]
    for folder in old:
        shutil.rmtree(folder)
    return old


def latest_copy_path(path: Path | str) -> Path:
    """``<dir>/<stem>_latest<suffix>`` beside the versioned dataset at ``path``."""
    path = Path(path)
    return path.with_name(f"{path.stem}_latest{path.suffix}")


def write_latest_copy(source: Path, target: Path) -> Path:
    """Copy ``source`` to ``target`` atomically (a reader never sees half a file)."""
    partial = target.with_name(f".{target.name}.partial")
    shutil.copyfile(source, partial)
    os.replace(partial, target)
    return target


def version_name(epoch: float) -> str:
    """A Kedro version string (UTC, milliseconds) for a moment."""
    stamp = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H.%M.%S.%fZ")
    return stamp[:-4] + stamp[-1:]


def adopt_unversioned(path: Path | str) -> Path:
    """Move the plain file at ``path`` to ``<path>/<version of its mtime>/<name>``."""
    path = Path(path)
    target = path / version_name(path.stat().st_mtime) / path.name
    aside = path.with_name(f".{path.name}.unversioned")
    path.rename(aside)
    try:
        target.parent.mkdir(parents=True)
        aside.rename(target)
    except OSError:
        if not path.exists():
            aside.rename(path)
        raise
    return target


def _versioned_dataset(catalog: Any, name: str) -> Any:
    """The catalog's dataset ``name`` if it is versioned and on the local file system."""
    dataset = versioned_dataset(catalog, name)
    if dataset is None or getattr(unwrap(dataset), "_protocol", "file") not in ("file", "local"):
        return None
    return dataset


def _base_path(dataset: Any) -> Path:
    return Path(str(unwrap(dataset)._filepath))


class RetentionHooks:
    """Keep the newest ``runs.keep_versions`` versions, refresh ``runs.latest_copies``, and move
    plain files of the older layout into version folders."""

    def __init__(self) -> None:
        self._context: Any = None
        self._unversioned: dict[str, Path] = {}

    @hook_impl
    def after_context_created(self, context) -> None:
        self._context = context

    @hook_impl
    def before_pipeline_run(self, run_params, pipeline, catalog) -> None:
        # Only looks; files move under the run lock, when a node loads or saves them.
        self._unversioned = {}
        for name in sorted(pipeline.datasets()):
            dataset = _versioned_dataset(catalog, name)
            if dataset is not None and _base_path(dataset).is_file():
                self._unversioned[name] = _base_path(dataset)

    @hook_impl
    def before_dataset_loaded(self, dataset_name: str) -> None:
        self._adopt(dataset_name)

    @hook_impl
    def before_dataset_saved(self, dataset_name: str) -> None:
        self._adopt(dataset_name)

    def _adopt(self, name: str) -> None:
        path = self._unversioned.pop(name, None)
        if path is not None and path.is_file():
            target = adopt_unversioned(path)
            logger.info("Moved %s, written before it was versioned, to %s", path, target)

    @hook_impl
    def after_pipeline_run(self, run_params, pipeline, catalog) -> None:
        try:
            self._retain(pipeline, catalog)
        except Exception:  # noqa: BLE001 - housekeeping must not fail a successful run
            logger.warning("Old versions could not be pruned", exc_info=True)

    def _settings(self) -> Mapping[str, Any]:
        try:
            settings = self._context.params.get(RUNS_PARAMETERS) if self._context else None
        except Exception:  # noqa: BLE001 - parameters that do not load
            settings = None
        return settings if isinstance(settings, Mapping) else {}

    def _retain(self, pipeline, catalog) -> None:
        settings = self._settings()
        keep = settings.get("keep_versions")
        latest = set(settings.get("latest_copies") or ())
        removed: dict[str, int] = {}
        copies = []
        for name in sorted(pipeline.all_outputs()):
            dataset = _versioned_dataset(catalog, name)
            if dataset is None:
                continue
            base = _base_path(dataset)
            current = dataset_version(dataset, saved=True)
            if keep:
                gone = prune_versions(base, int(keep), current)
                if gone:
                    removed[name] = len(gone)
            source = base / str(current) / base.name
            if name in latest and source.is_file():
                copies.append(write_latest_copy(source, latest_copy_path(base)))
        if removed:
            logger.info(
                "Kept the newest %d versions of each output; removed %d older version folders (%s)",
                int(keep),
                sum(removed.values()),
                ", ".join(f"{name}: {count}" for name, count in removed.items()),
            )
        if copies:
            logger.info("Latest copies: %s", ", ".join(str(path) for path in copies))
