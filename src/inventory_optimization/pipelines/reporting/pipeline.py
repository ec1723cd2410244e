"""Reporting: one chart per question a stakeholder asks, then the HTML summary that holds them."""

from kedro.pipeline import Node, Pipeline

from ..modeling.pipeline import MODELS
from . import nodes

STAGE_TAG = "reporting"


def create_pipeline(**kwargs) -> Pipeline:
    studies = {f"{m}__trials": f"{m}.tuning_trials" for m in MODELS} | {
        f"{m}__importances": f"{m}.param_importances" for m in MODELS
    }
    return Pipeline(
        [
            Node(
                nodes.forecast_chart,
                inputs=["holdout_forecasts", "params:reporting"],
                outputs="forecast_chart",
                name="forecast_chart",
            ),
            Node(
                nodes.leaderboard_chart,
                inputs="model_leaderboard",
                outputs="leaderboard_chart",
                name="leaderboard_chart",
            ),
            Node(nodes.tuning_chart, inputs=studies, outputs="tuning_chart", name="tuning_chart"),
            Node(
                nodes.feature_importance_chart,
                inputs=["feature_importances", "params:reporting"],
                outputs="feature_importance_chart",
                name="feature_importance_chart",
            ),
            Node(
                nodes.backtest_cost_chart,
                inputs="policy_backtest",
                outputs="backtest_cost_chart",
                name="backtest_cost_chart",
            ),
            Node(
                nodes.inventory_chart,
                inputs=["inventory_trajectories", "params:reporting"],
                outputs="inventory_trajectory_chart",
                name="inventory_chart",
            ),
            Node(
                nodes.summary_report,
                inputs=[
                    "panel_metadata",
                    "model_leaderboard",
                    "policy_backtest",
                    "replenishment_plan",
                    "forecast_chart",
                    "leaderboard_chart",
                    "backtest_cost_chart",
                    "inventory_trajectory_chart",
                    "feature_importance_chart",
                    "tuning_chart",
                    "data_quality_chart",
                    "params:reporting",
                    "params:protocol",
                    "order_sheet",
                    "demand_forecast",
                    "params:order_sheet",
                ],
                outputs="summary_report",
                name="summary_report",
            ),
        ],
        tags=STAGE_TAG,
    )
