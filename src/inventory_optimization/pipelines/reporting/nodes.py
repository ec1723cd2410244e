"""Reporting nodes: thin wrappers over ``inventory_optimization.reporting``."""

from __future__ import annotations

import pandas as pd

from inventory_optimization.panel.periods import Frequency, horizon_periods
from inventory_optimization.reporting import charts, summary


def forecast_chart(holdout_forecasts: pd.DataFrame, options: dict):
    return charts.forecast_band_chart(
        holdout_forecasts,
        model=options["model"],
        top=options["top_series"],
        worst=options["worst_series"],
        band=tuple(options["band"]),
    )


def leaderboard_chart(model_leaderboard: pd.DataFrame):
    return charts.leaderboard_chart(model_leaderboard)


def tuning_chart(**studies):
    """Inputs arrive as ``<model>__trials`` and ``<model>__importances``."""
    trials = {k.removesuffix("__trials"): v for k, v in studies.items() if k.endswith("__trials")}
    importances = {
        k.removesuffix("__importances"): v
        for k, v in studies.items()
        if k.endswith("__importances")
    }
    return charts.tuning_chart(trials, importances)


def feature_importance_chart(feature_importances: pd.DataFrame, options: dict):
    return charts.feature_importance_chart(feature_importances, top=options["top_features"])


def backtest_cost_chart(policy_backtest: pd.DataFrame):
    return charts.backtest_cost_chart(policy_backtest)


def inventory_chart(inventory_trajectories: pd.DataFrame, options: dict):
    return charts.inventory_trajectory_chart(
        inventory_trajectories,
        series=options["trajectory_series"],
        policies=options["trajectory_policies"],
    )


def summary_report(
    panel_metadata: dict,
    model_leaderboard: pd.DataFrame,
    policy_backtest: pd.DataFrame,
    replenishment_plan: pd.DataFrame,
    forecast_figure,
    leaderboard_figure,
    backtest_figure,
    inventory_figure,
    feature_figure,
    tuning_figure,
    quality_figure,
    options: dict,
    protocol: dict | None = None,
    order_sheet: pd.DataFrame | None = None,
    demand_forecast: pd.DataFrame | None = None,
    sheet_options: dict | None = None,
) -> str:
    """The research run's summary, opening with "Order today": the order sheet, the forward
    forecast of the busiest items and the backtest's saving in money per period and year."""
    frequency = Frequency.of(panel_metadata["frequency"])
    sheet_options = sheet_options or {}
    figures = {
        "Forecast vs actual": forecast_figure,
        "Model leaderboard": leaderboard_figure,
        "Inventory cost per policy": backtest_figure,
        "Stock on hand, stock-outs and orders": inventory_figure,
        "What drives the forecast": feature_figure,
        "Hyperparameter tuning": tuning_figure,
        "Data quality": quality_figure,
    }
    return summary.summary_html(
        title=options["title"],
        metadata=panel_metadata,
        leaderboard=model_leaderboard,
        backtest=policy_backtest,
        plan=replenishment_plan,
        figures=figures,
        plan_rows=options["plan_rows"],
        horizon=None if protocol is None else _horizon_text(protocol, panel_metadata),
        order_sheet=order_sheet,
        forward_figure=None
        if demand_forecast is None
        else charts.forward_forecast_chart(
            demand_forecast,
            top=options["forward_series"],
            band=tuple(options["band"]),
            unit=str(sheet_options.get("unit", "")),
        ),
        holdout_periods=None if protocol is None else horizon_periods(protocol, frequency),
        periods_per_year=frequency.periods_per_year,
        latest_report=options.get("latest_report"),
        currency=str(sheet_options.get("currency", "")),
    )


def _horizon_text(protocol: dict, panel_metadata: dict) -> str:
    frequency = Frequency.of(panel_metadata["frequency"])
    return f"{horizon_periods(protocol, frequency)} {frequency.unit}"
