"""Project pipelines, built for the data source of the Kedro environment being loaded.

The environment's ``data_source.kind`` parameter names one entry of ``sources.registry``; only
the ingestion nodes depend on it. ``context.ProjectContext`` (``CONTEXT_CLASS`` in settings)
reads it whenever Kedro creates a context, so ``kedro run``, kedro-viz (which runs no project
hooks), ``kedro ipython`` and the service all register the same pipelines for an environment.
"""

from __future__ import annotations

from kedro.pipeline import Pipeline

from .pipelines import (
    data_engineering,
    feature_engineering,
    forecasting,
    modeling,
    replenishment,
    reporting,
)
from .sources.registry import Source, source_for

DEFAULT_SOURCE = "synthetic"
# Kept only for the CLI of earlier releases: `--pipelines inventory_optimization`.
RENAMED_PIPELINES = {"inventory_optimization": "replenishment"}
# Pipelines made of stages, for schedules: `training` learns and saves the forecaster bundle
# (weekly); `daily` forecasts with it and plans today's orders (every day); `__default__` is
# the research run of every stage with the holdout evaluation.
COMPOSITIONS = ("__default__", "training", "daily")
# What `daily` plans from, in place of the research run's live forecast.
DAILY_FORECAST = "daily_forecast"
FORECASTING = "forecasting"  # the namespace of the daily forecast and its monitoring
MODELING_CHARTS = ("tuning_chart",)  # reporting nodes drawn in the modeling box
REPORTING = "reporting"  # the research summary and the morning report: one box in kedro-viz

_environment_source = DEFAULT_SOURCE


def current_source() -> str:
    """The source kind the registry builds the pipelines of now."""
    return _environment_source


def use_source(kind: str) -> bool:
    """Register the pipelines of ``kind`` from now on; True when that changes the registry.

    Called by ``ProjectContext`` with its environment's ``data_source.kind``.
    """
    global _environment_source  # noqa: PLW0603 - Kedro's pipeline registry is process-wide
    source_for(kind)  # an unknown kind fails here, naming the registered ones
    changed = kind != _environment_source
    _environment_source = kind
    return changed


def stage(name: str, pipeline: Pipeline) -> Pipeline:
    """The stage's nodes in the namespace ``name`` (``replenishment.plan_replenishment``), so
    that kedro-viz draws each stage as one box to expand; datasets and parameters keep their
    names, which the catalog and other tools use."""
    return Pipeline(pipeline, namespace=name, prefix_datasets_with_namespace=False)


def reporting_stage(pipeline: Pipeline) -> Pipeline:
    """The reporting stage, its tuning chart in the modeling box: it reads two tables of each
    model family, which would otherwise cross between the boxes as 16 datasets and shrink
    kedro-viz's first screen to a few percent."""
    modeling_charts = [n.name for n in pipeline.nodes if n.name in MODELING_CHARTS]
    return stage(REPORTING, pipeline - pipeline.only_nodes(*modeling_charts)) + stage(
        "modeling", pipeline.only_nodes(*modeling_charts)
    )


def create_pipelines(source: Source) -> dict[str, Pipeline]:
    """Every pipeline of the project for one source; ``__default__`` runs them all."""
    pipelines = {
        name: stage(name, pipeline)
        for name, pipeline in {
            "data_engineering": data_engineering.create_pipeline(source),
            "feature_engineering": feature_engineering.create_pipeline(),
            "modeling": modeling.create_pipeline(),
            "replenishment": replenishment.create_pipeline(),
        }.items()
    }
    pipelines[REPORTING] = reporting_stage(reporting.create_pipeline())
    pipelines["__default__"] = sum(pipelines.values(), Pipeline([]))
    pipelines["forecasting"] = stage(FORECASTING, forecasting.create_pipeline())
    pipelines["training"] = (
        pipelines["data_engineering"] + pipelines["feature_engineering"] + pipelines["modeling"]
    )
    plan = pipelines["replenishment"].to_outputs(
        "replenishment_plan", "replenishment_plan_csv", "order_sheet"
    )
    pipelines["daily"] = (
        pipelines["data_engineering"]
        + pipelines["forecasting"]
        + Pipeline(plan, inputs={"demand_forecast": DAILY_FORECAST})
        + stage(REPORTING, forecasting.create_report_pipeline())
    )
    for old, new in RENAMED_PIPELINES.items():
        pipelines[old] = pipelines[new]
    return pipelines


def stage_pipelines() -> dict[str, Pipeline]:
    """The registered pipelines that are stages: not a composition, not an old name."""
    from kedro.framework.project import pipelines

    return {
        name: pipeline
        for name, pipeline in pipelines.items()
        if name not in COMPOSITIONS and name not in RENAMED_PIPELINES
    }


def register_pipelines() -> dict[str, Pipeline]:
    return create_pipelines(source_for(_environment_source))
