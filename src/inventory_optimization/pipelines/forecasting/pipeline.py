"""Forecasting: one node, the saved forecaster bundle's forecast of the panel's latest origin.

``kedro run --pipelines daily`` composes it (pipeline_registry): data engineering on the
latest sales, this forecast, then the replenishment plan from it. Its nodes carry the stage
tag ``forecasting``."""

from kedro.pipeline import Node, Pipeline

from ..tags import KEY_OUTPUTS
from . import nodes

STAGE_TAG = "forecasting"


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                nodes.forecast_from_bundle,
                inputs=["champion_bundle", "demand_panel", "series_attributes", "panel_metadata"],
                outputs="daily_forecast",
                name="forecast_from_bundle",
                tags=KEY_OUTPUTS,
            )
        ],
        tags=STAGE_TAG,
    )
