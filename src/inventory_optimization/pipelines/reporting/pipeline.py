"""Reporting: one chart per question a stakeholder asks, then the HTML summary that holds them."""

from kedro.pipeline import Node, Pipeline

from ..modeling.pipeline import MODELS
from . import nodes

TAGS = ["reporting"]


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
                name="chart_forecast_vs_actual",
            ),
            Node(
                nodes.leaderboard_chart,
                inputs="model_leaderboard",
                outputs="leaderboard_chart",
                name="chart_model_leaderboard",
            ),
            Node(nodes.tuning_chart, inputs=studies, outputs="tuning_chart", name="chart_tuning"),
            Node(
                nodes.feature_importance_chart,
                inputs=["feature_importances", "params:reporting"],
                outputs="feature_importance_chart",
                name="chart_feature_importances",
            ),
            Node(
                nodes.backtest_cost_chart,
                inputs="policy_backtest",
                outputs="backtest_cost_chart",
                name="chart_backtest_costs",
            ),
            Node(
                nodes.inventory_chart,
                inputs=["inventory_trajectories", "params:reporting"],
                outputs="inventory_trajectory_chart",
                name="chart_inventory_trajectories",
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
                ],
                outputs="summary_report",
                name="write_summary_report",
            ),
        ],
        tags=TAGS,
    )
