"""Which demand panel an artifact was made from, and the check that refuses stale inputs.

``clean_demand_panel`` stamps the panel with a content hash (``panel_version``), and
``describe_panel`` copies it into ``panel_metadata``. ``LineageHooks`` then carries it along:
after each node, every table it returns is stamped with the panel version of its inputs
(``DataFrame.attrs``, which Parquet keeps), and before each node the versions of its inputs must
agree. A node fed the previous run's forecast against a new panel (a partial rerun after a
failed one, or ``--pipelines replenishment`` after a new ingestion) stops with one sentence
naming the stale input and what to run, instead of planning from it. CSV tables keep no stamp
and are not checked.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import pandas as pd
from kedro.framework.hooks import hook_impl

PANEL_VERSION = "panel_version"
METADATA = "panel_metadata"
PANEL = "demand_panel"


class StaleInputError(ValueError):
    """Inputs of one node were made from different versions of the demand panel."""


def panel_version(panel: pd.DataFrame) -> str:
    """A short hash of the panel's whole content: equal panels, equal version."""
    content = pd.util.hash_pandas_object(panel, index=False).to_numpy()
    columns = ",".join(map(str, panel.columns)).encode()
    return hashlib.sha1(content.tobytes() + columns).hexdigest()[:12]


def stamp(frame: pd.DataFrame, version: str | None) -> pd.DataFrame:
    """Record the panel version ``frame`` was made from (in place; returns it)."""
    if version is not None:
        frame.attrs[PANEL_VERSION] = version
    return frame


def version_of(artifact: Any) -> str | None:
    """The panel version an artifact carries: a table's stamp or the metadata's field."""
    if isinstance(artifact, pd.DataFrame):
        return artifact.attrs.get(PANEL_VERSION)
    if isinstance(artifact, Mapping):
        value = artifact.get(PANEL_VERSION)
        return value if isinstance(value, str) else None
    return None


def current_version(inputs: Mapping[str, Any]) -> str | None:
    """The version a node's inputs must share: the metadata's, else the panel's, else the one
    every stamped input agrees on (None when the inputs carry none)."""
    for name in (METADATA, PANEL):
        if name in inputs and version_of(inputs[name]) is not None:
            return version_of(inputs[name])
    versions = {v for v in map(version_of, inputs.values()) if v is not None}
    return versions.pop() if len(versions) == 1 else None


def check_same_panel(
    node: str, inputs: Mapping[str, Any], producers: Mapping[str, str] | None = None
) -> str | None:
    """Raise ``StaleInputError`` when the inputs were made from different panels; return the
    version they share. ``producers`` maps a dataset to the pipeline that writes it."""
    stamped = {name: v for name, v in ((n, version_of(a)) for n, a in inputs.items()) if v}
    reference = current_version(inputs)
    if reference is None:
        if len(set(stamped.values())) > 1:
            listed = ", ".join(f"{name} ({version})" for name, version in sorted(stamped.items()))
            raise StaleInputError(
                f"{node}: its inputs were made from different demand panels: {listed}; "
                "rerun the whole `kedro run` to rebuild them from one panel."
            )
        return None
    stale = sorted(name for name, version in stamped.items() if version != reference)
    if not stale:
        return reference
    producers = producers or {}
    rerun = sorted({producers[name] for name in stale if name in producers})
    command = (
        f"`kedro run --pipelines {','.join(rerun)}` and the pipelines after it"
        if rerun
        else "the pipelines that write it"
    )
    raise StaleInputError(
        f"{node}: {', '.join(stale)} {'was' if len(stale) == 1 else 'were'} made from panel "
        f"version {stamped[stale[0]]}, but the current demand panel is {reference}: stale "
        f"output of an earlier run. Run {command} (or the whole `kedro run`) first."
    )


class LineageHooks:
    """Stamp each node's tables with its inputs' panel version; refuse mixed versions."""

    def __init__(self) -> None:
        self._producers: dict[str, str] = {}

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline) -> None:
        from .pipeline_registry import stage_pipelines

        producers: dict[str, str] = {}
        try:
            registered = stage_pipelines()
        except Exception:  # noqa: BLE001 - without a registry the message names no pipeline
            registered = {}
        for name, registered_pipeline in registered.items():
            for dataset in registered_pipeline.all_outputs():
                producers.setdefault(dataset, name)
        self._producers = producers

    @hook_impl
    def before_node_run(self, node, inputs: dict[str, Any]) -> None:
        check_same_panel(node.name, inputs, self._producers)

    @hook_impl
    def after_node_run(self, node, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        version = current_version(inputs)
        for name, data in outputs.items():
            if isinstance(data, pd.DataFrame) and name != PANEL:
                stamp(data, version)
