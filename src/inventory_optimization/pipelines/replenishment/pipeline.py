"""Replenishment: item economics, today's replenishment plan from the ensemble's
forecast, and the backtest of every policy on the holdout's actual demand.

Every node carries the stage tag ``replenishment``; the plan and the backtest, which
stakeholders read, also ``key_outputs``."""

from kedro.pipeline import Node, Pipeline

from ..tags import KEY_OUTPUTS
from . import nodes

STAGE_TAG = "replenishment"


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                nodes.build_item_parameters,
                inputs=["series_attributes", "panel_metadata", "params:inventory", "demand_panel"],
                outputs="item_parameters",
                name="build_item_parameters",
            ),
            Node(
                nodes.resolve_positions,
                inputs=["stock_positions", "demand_forecast", "panel_metadata", "params:inventory"],
                outputs="current_positions",
                name="resolve_positions",
            ),
            Node(
                nodes.plan_replenishment,
                inputs=[
                    "demand_forecast",
                    "item_parameters",
                    "current_positions",
                    "panel_metadata",
                    "params:inventory",
                ],
                outputs=["replenishment_plan", "replenishment_plan_csv"],
                name="plan_replenishment",
                tags=KEY_OUTPUTS,
            ),
            Node(
                nodes.write_order_sheet,
                inputs=[
                    "replenishment_plan",
                    "item_parameters",
                    "current_positions",
                    "series_attributes",
                    "panel_metadata",
                    "params:order_sheet",
                ],
                outputs="order_sheet",
                name="write_order_sheet",
                tags=KEY_OUTPUTS,
            ),
            Node(
                nodes.backtest_policies,
                inputs=[
                    "holdout_forecasts",
                    "demand_panel",
                    "item_parameters",
                    "panel_metadata",
                    "params:protocol",
                    "params:inventory",
                    "series_attributes",
                ],
                outputs=["policy_backtest", "inventory_trajectories"],
                name="backtest_policies",
                tags=KEY_OUTPUTS,
            ),
        ],
        tags=STAGE_TAG,
    )
