"""Batches of events as landing files, written so that a crash leaves whole files or none.

A partition is written as ``.<name>.tmp`` (a name the landing folder ignores), flushed to
disk, renamed to ``<name>.events.parquet`` in one step and the folder entry flushed too: only
then is it durable, and only then may the consumer commit the offsets it holds.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd

from ..panel.landing import EVENT_ID, EVENTS_SUFFIX

PARTIAL_SUFFIX = ".tmp"


def partition_name(events: pd.DataFrame, now: pd.Timestamp) -> str:
    """Time-ordered (the landing absorbs files in name order) and unique per content."""
    digest = hashlib.sha256("\n".join(events[EVENT_ID]).encode()).hexdigest()[:12]
    return f"{now:%Y%m%dT%H%M%S%f}-{digest}{EVENTS_SUFFIX}"


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_partition(folder: Path, events: pd.DataFrame, now: pd.Timestamp | None = None) -> Path:
    """``events`` as one durable partition in ``folder``; its path."""
    now = pd.Timestamp.now(tz="UTC") if now is None else now
    folder.mkdir(parents=True, exist_ok=True)
    name = partition_name(events, now)
    partial = folder / f".{name}{PARTIAL_SUFFIX}"
    with open(partial, "wb") as handle:
        events.to_parquet(handle, index=False)
        handle.flush()
        os.fsync(handle.fileno())
    final = folder / name
    os.replace(partial, final)
    _sync_folder(folder)
    return final


def remove_partials(folder: Path) -> int:
    """Delete what a killed consumer left half-written (its events were not committed, so the
    broker sends them again); how many."""
    if not folder.is_dir():
        return 0
    partials = list(folder.glob(f".*{PARTIAL_SUFFIX}"))
    for path in partials:
        path.unlink(missing_ok=True)
    return len(partials)
