"""Forecasting: the champion bundle's forecast of the panel's latest origin (also logged, one
entry per origin), and the monitoring of the forecasts earlier runs logged.

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
                outputs=["daily_forecast", "forecast_log"],
                name="forecast_from_bundle",
                tags=KEY_OUTPUTS,
            ),
            Node(
                nodes.monitor_forecasts,
                inputs=[
                    "forecast_history",
                    "demand_panel",
                    "champion_bundle",
                    "params:monitoring",
                ],
                outputs=["forecast_monitoring", "series_monitoring", "monitoring_chart"],
                name="monitor_forecasts",
                tags=KEY_OUTPUTS,
            ),
        ],
        tags=STAGE_TAG,
    )


def create_report_pipeline() -> Pipeline:
    """The morning's HTML report of ``daily``, from its plan and monitoring."""
    return Pipeline(
        [
            Node(
                nodes.daily_report,
                inputs=[
                    "panel_metadata",
                    "replenishment_plan",
                    "forecast_monitoring",
                    "monitoring_chart",
                    "daily_forecast",
                    "params:reporting",
                    "order_sheet",
                    "params:order_sheet",
                ],
                outputs="daily_report",
                name="daily_report",
                tags=KEY_OUTPUTS,
            )
        ],
        tags=STAGE_TAG,
    )
