"""Monthly data end to end (issue 12, item 1: wholesale and B2B planning is monthly): a
generated export of monthly totals (40 store x product series over five years, dated on each
month's first day, a yearly season, three series delisted before the end, two launched late)
configured from ``conf/custom`` by its mapping settings alone, run with ``kedro run --env
custom`` in a throwaway copy of the project.

``frequency: auto`` must read months from the dates, every later stage work in months (month
ends, the holdout, the leaderboard, the plan), and the settings stated in days become whole
months.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from inventory_optimization.retention import latest_version
from inventory_optimization.sources.monthly_export import MAPPING_PARAMS, generate_monthly_export
from tests.conftest import PROJECT_ROOT, run_kedro

# conf/custom's horizon and cross-validation step are auto: 6 months each on monthly data,
# with no setting. A smaller search than the shipped one (CI's budget), on one thread: on a
# shared machine OpenMP threads waiting for a busy core make a small LightGBM fit minutes long.
REDUCED_BUDGET = {
    "modeling.n_jobs": 1,
    "ets.model_options.n_trials": 1,
    "random_forest.model_options.n_trials": 1,
    "xgboost.model_options.n_trials": 2,
    "lightgbm.model_options.n_trials": 2,
    "lstm.model_options.n_trials": 1,
    "lstm.model_options.fixed.epochs": 2,
}
ORIGIN = pd.Timestamp("2024-06-30")  # auto: the last date (December 2024) less 6 months
HOLDOUT = pd.date_range("2024-07-31", periods=6, freq="ME")
LIVE = pd.date_range("2025-01-31", periods=6, freq="ME")


def _project_copy(tmp_path: Path) -> Path:
    """An empty project folder with the project's configuration (the code is the installed
    package), so this run never touches the outputs of the custom environment."""
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)  # Kedro wants the source folder
    shutil.copy(PROJECT_ROOT / "pyproject.toml", project)
    shutil.copytree(PROJECT_ROOT / "conf", project / "conf", ignore=shutil.ignore_patterns("local"))
    (project / "conf" / "local").mkdir()
    return project


@pytest.fixture(scope="module")
def monthly_run(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("monthly")
    raw = tmp_path / "raw"
    raw.mkdir()
    lines, truth = generate_monthly_export()
    lines.to_csv(raw / "monthly.csv", index=False)
    project = _project_copy(tmp_path)
    params = {
        "raw_dir": str(raw),
        "sales_file": "monthly.csv",
        **MAPPING_PARAMS,
        **REDUCED_BUDGET,
    }
    result = run_kedro(
        "run",
        "--env",
        "custom",
        "--params",
        ",".join(f"{k}={v}" for k, v in params.items()),
        cwd=project,
    )
    data = project / "data"

    def table(layer: str, name: str) -> pd.DataFrame:
        path = latest_version(data / layer / "custom" / name)
        return pd.read_csv(path) if name.endswith(".csv") else pd.read_parquet(path)

    return {
        "log": " ".join((result.stdout + result.stderr).split()),
        "truth": truth.assign(series_id=truth["store"] + "|" + truth["product"]),
        "metadata": json.loads(
            (data / "03_primary" / "custom" / "panel_metadata.json").read_text()
        ),
        "panel": table("03_primary", "demand_panel.parquet"),
        "model_input": table("05_model_input", "model_input.parquet"),
        "holdout": table("07_model_output", "holdout_forecasts.parquet"),
        "forecast": table("07_model_output", "demand_forecast.parquet"),
        "leaderboard": table("08_reporting", "model_leaderboard.csv").set_index("model"),
        "plan": table("08_reporting", "replenishment_plan.csv"),
        "backtest": table("08_reporting", "policy_backtest.csv"),
    }


def test_frequency_auto_reads_months_and_labels_them_by_their_last_day(monthly_run):
    log = monthly_run["log"]
    assert (
        "frequency ME (inferred, monthly: its 60 dates are all on the 1st of a month, at least "
        "28 days apart; each date labels its month; the panel labels it by the month's last "
        "day (ME))"
    ) in log
    assert "series 40 series by store_id (4) x item_id (10)" in log
    assert "protocol.origin auto: 2024-06-30, the last 6 months of the data" in log
    assert (
        "Horizon 6 months (auto for ME); cross-validation: 3 folds 6 months apart (step auto: the horizon)"
        in log
    )
    assert monthly_run["metadata"]["frequency"] == "ME"
    panel = monthly_run["panel"]
    assert panel["date"].dt.is_month_end.all()
    assert panel["date"].nunique() == 60 and panel["series_id"].nunique() == 40
    # Each month's total arrives whole, under its month's last day.
    truth = monthly_run["truth"].set_index(["series_id", "month"])["units"]
    observed = panel[panel["is_observed"]].set_index(["series_id", "date"])["demand"]
    assert observed.sum() == truth.sum()
    pd.testing.assert_series_equal(
        observed, truth.reindex(observed.index), check_names=False, check_dtype=False
    )


def test_month_features_replace_day_and_week_features(monthly_run):
    columns = set(monthly_run["model_input"].columns)
    assert {"seasonal_lag_12", "rolling_mean_12", "diff_12", "working_days", "public_holidays"} <= (
        columns
    )
    assert {"day_of_week", "week_of_year", "is_payday", "same_weekday_mean_4"} & columns == set()
    origins = monthly_run["model_input"]["origin"].drop_duplicates()
    assert origins.dt.is_month_end.all() and len(origins) == 25  # 24 monthly, and the live one


def test_the_holdout_holds_every_series_on_the_six_month_ends_after_the_origin(monthly_run):
    ensemble = monthly_run["holdout"].query("model == 'ensemble'")
    assert (ensemble["origin"] == ORIGIN).all()
    assert sorted(ensemble["date"].unique()) == list(HOLDOUT)
    truth = monthly_run["truth"]
    live = truth[truth["live"] & truth["month"].isin(HOLDOUT)]["series_id"].unique()
    assert set(live) <= set(ensemble["series_id"].astype(str))
    assert ensemble["series_id"].nunique() == 40 and len(ensemble) == 40 * 6
    # A month without a line sold nothing (the template's missing policy): all are scored.
    assert ensemble["scored"].all()
    expected = truth[truth["month"].isin(HOLDOUT)].set_index(["series_id", "month"])["units"]
    scored = ensemble.assign(series_id=ensemble["series_id"].astype(str))
    actual = scored.set_index(["series_id", "date"])["y_true"]
    assert (actual == expected.reindex(actual.index).to_numpy()).all()


def test_the_live_forecast_is_dated_on_month_ends(monthly_run):
    forecast = monthly_run["forecast"]
    assert sorted(forecast["date"].unique()) == list(LIVE)
    assert forecast.groupby("series_id", observed=True).size().eq(6).all()
    assert forecast["series_id"].nunique() == 40
    assert np.isfinite(forecast[["y_pred", "q_0.5", "q_0.9"]].to_numpy()).all()


def test_the_leaderboard_scores_every_model_and_the_ensemble_beats_seasonal_naive(monthly_run):
    board = monthly_run["leaderboard"]
    assert {"ensemble", "seasonal_naive", "ets", "lightgbm", "xgboost", "lstm"} <= set(board.index)
    assert np.isfinite(board["score"]).all() and (board["metric"] == "wape").all()
    assert board.loc["ensemble", "score"] < board.loc["seasonal_naive", "score"]
    assert (board["rows"] == 40 * 6).all()


def test_the_plan_lists_every_series_in_months(monthly_run):
    plan = monthly_run["plan"]
    assert plan["series_id"].nunique() == len(plan) == 40
    assert (pd.to_datetime(plan["as_of_date"]) == pd.Timestamp("2024-12-31")).all()
    # The three delisted series sold nothing for two months or more (56 days, in months).
    truth = monthly_run["truth"]
    last_sale = truth[truth["units"] > 0].groupby("series_id")["month"].max()
    delisted = set(last_sale.index[last_sale <= pd.Timestamp("2024-10-31")])
    stopped = plan[plan["status"].str.startswith("discontinued")]
    assert set(stopped["series_id"]) == delisted and len(delisted) == 3
    planned = plan[plan["status"] == "planned"]
    # Base's 2-day lead time and 7-day review are one month each.
    assert (planned["lead_time"] == 1).all() and (planned["review_period"] == 1).all()
    assert (planned["order_qty"] > 0).sum() > 30
    totals = monthly_run["backtest"].query("series_id == 'ALL'").set_index("policy")
    assert np.isfinite(totals.loc[["ensemble", "naive", "oracle"], "total_cost"]).all()
