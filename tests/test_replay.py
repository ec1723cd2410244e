"""The walk-forward replay of daily operation on the built-in data: one training, then 14
mornings of a store's deliveries (yesterday's sales file, this morning's stock file), a
`daily` run each, the plan's orders executed against the day's demand; beside it the same
policy walked offline from the panel as it stood each morning. Same forecasts, same orders,
same money: anything else is a fault of the daily path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from inventory_optimization.replay import (
    DailyProject,
    cut_raw_table,
    raw_panel_of,
    replay_and_compare,
    scratch_project,
    train_before,
)
from inventory_optimization.retention import latest_version

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DAYS = 14


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    folder = scratch_project(PROJECT_ROOT, tmp_path_factory.mktemp("replay") / "project")
    project = DailyProject(folder, "synthetic")
    generated = project.kedro("run", "--nodes", "data_engineering.generate_demand_data")
    assert generated.returncode == 0, generated.stderr[-3000:]
    raw_panel, _, _ = raw_panel_of(project)
    sales = project.raw("sales.csv")
    last, _ = train_before(
        project, raw_panel, DAYS, lambda day: cut_raw_table(sales, sales, "date", day)
    )
    return project, raw_panel, last, replay_and_compare(project, raw_panel, DAYS)


def test_the_replay_orders_and_costs_what_the_offline_walk_of_the_same_policy_does(replayed):
    _, _, _, report = replayed
    figures = report.figures()
    print(figures.to_string())  # noqa: T201 - the figures the closing note quotes
    assert report.order_differences().empty
    replay, offline = report.replay.total, report.offline.total
    for figure in ("total_cost", "fill_rate", "units_purchased", "lost_sales", "waste"):
        assert replay[figure] == pytest.approx(offline[figure], rel=1e-9), figure
    assert len(report.daily_seconds) == DAYS
    # Both walk the same 14 days from the same stock as the research backtest of them.
    assert figures.loc["replay (daily runs)", "total_cost"] > 0
    assert {"research backtest (ensemble)", "spreadsheet rule"} <= set(figures.index)


def test_every_delivered_day_reached_the_panel_once(replayed):
    project, raw_panel, last, _ = replayed
    panel = pd.read_parquet(
        latest_version(project.path / "data/03_primary/synthetic/demand_panel.parquet")
    )
    # The last daily run plans from the day before the replay's last day.
    expected = raw_panel[raw_panel["date"] < raw_panel["date"].max()]
    assert panel["date"].max() == expected["date"].max()
    assert len(panel) == len(expected)
    delivered = panel[panel["date"] > last].set_index(["series_id", "date"])["demand"]
    truth = expected[expected["date"] > last].set_index(["series_id", "date"])["demand"]
    np.testing.assert_allclose(
        delivered.sort_index().to_numpy(), truth.astype(float).sort_index().to_numpy()
    )


def test_each_morning_scores_yesterdays_forecast(replayed):
    project, raw_panel, last, _ = replayed
    monitoring = pd.read_csv(
        latest_version(project.path / "data/08_reporting/synthetic/forecast_monitoring.csv")
    )
    # Every delivered day some store was open is scored (a closed day never is: Dec 25).
    delivered = raw_panel[
        (raw_panel["date"] > last) & (raw_panel["date"] < raw_panel["date"].max())
    ]
    open_days = delivered.loc[~delivered["is_closed"], "date"].drop_duplicates()
    assert len(open_days) == DAYS - 2  # 13 delivered, Dec 25 closed everywhere
    assert sorted(pd.to_datetime(monitoring["date"]).unique()) == sorted(open_days)
