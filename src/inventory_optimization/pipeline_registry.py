"""Project pipelines.

Which raw source feeds the panel depends on the Kedro environment: its parameter
``data_source.kind`` is read when the context is created (``hooks.SourceSelectionHooks``)
and selects the ingestion nodes. Everything downstream of the panel is shared.
"""

from __future__ import annotations

from kedro.pipeline import Pipeline

from .pipelines import (
    data_engineering,
    feature_engineering,
    inventory_optimization,
    modeling,
    reporting,
)

_active_source = "synthetic"


def set_active_source(source: str) -> bool:
    """Select the source for the next registration; True when it changed."""
    global _active_source  # noqa: PLW0603 - one process runs one Kedro environment
    changed = source != _active_source
    _active_source = source
    return changed


def active_source() -> str:
    return _active_source


def register_pipelines() -> dict[str, Pipeline]:
    pipelines = {
        "data_engineering": data_engineering.create_pipeline(_active_source),
        "feature_engineering": feature_engineering.create_pipeline(),
        "modeling": modeling.create_pipeline(),
        "inventory_optimization": inventory_optimization.create_pipeline(
            has_stock_positions=_active_source == "synthetic"
        ),
        "reporting": reporting.create_pipeline(),
    }
    pipelines["__default__"] = sum(pipelines.values(), Pipeline([]))
    return pipelines
