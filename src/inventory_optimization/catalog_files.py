"""The files behind the catalog's datasets, read without loading them: a dataset's Kedro
version (the one a run saves, or the latest a load reads), its local paths, whether the
catalog declares it versioned and its kedro-viz layer. The run manifest and retention hooks
share these."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def unwrap(dataset: Any) -> Any:
    return getattr(dataset, "_dataset", dataset)  # CachedDataset


def is_versioned(dataset: Any) -> bool:
    return getattr(unwrap(dataset), "_version", None) is not None


def declared_versioned(catalog: Any, name: str) -> bool:
    """Whether the catalog declares ``name`` versioned, read from its configuration so that
    datasets the run did not touch are not instantiated (plotly's import alone takes 1 s)."""
    try:
        config = catalog.config_resolver.resolve_pattern(name)
    except Exception:  # noqa: BLE001 - a catalog without a config resolver
        config = None
    if config:
        return bool(config.get("versioned"))
    dataset = catalog.get(name) if name in catalog else None
    return dataset is not None and is_versioned(dataset)


def versioned_dataset(catalog: Any, name: str) -> Any:
    """The catalog's dataset ``name`` if the catalog declares it versioned, else None."""
    if name not in catalog or not declared_versioned(catalog, name):
        return None
    dataset = catalog.get(name)
    return dataset if dataset is not None and is_versioned(dataset) else None


def dataset_version(dataset: Any, saved: bool) -> str | None:
    """The version this run saved, or else the one a load would read (the latest)."""
    dataset = unwrap(dataset)
    try:
        if saved:
            return dataset.resolve_save_version()
        return dataset.resolve_load_version()
    except Exception:  # noqa: BLE001 - no version on disk yet
        return None


def dataset_paths(dataset: Any, version: str | None = None) -> list[Path]:
    """Local files behind a dataset (the given version of a versioned one); [] if none."""
    dataset = unwrap(dataset)
    if getattr(dataset, "_protocol", "file") not in ("file", "local"):
        return []
    if is_versioned(dataset):
        if version is None:
            return []
        return [Path(str(dataset._get_versioned_path(version)))]
    resolve = getattr(dataset, "_resolve", None)  # RawTableDataset: plain, gzipped or glob
    if callable(resolve):
        try:
            return [Path(p) for p in resolve()]
        except Exception:  # noqa: BLE001
            return []
    filepath = getattr(dataset, "_filepath", None)
    return [Path(str(filepath))] if filepath else []


def layer(dataset: Any) -> str | None:
    metadata = getattr(unwrap(dataset), "metadata", None) or {}
    return (metadata.get("kedro-viz") or {}).get("layer")
