"""The walk-forward replay on Rossmann with a reduced budget: a training on the export cut
three days before its end, then three mornings of deliveries and `daily` runs; the orders and
the money must be those of the offline walk of the same policy."""

from __future__ import annotations

import pytest

from inventory_optimization.models.budgets import REDUCED_BUDGET
from inventory_optimization.replay import (
    DailyProject,
    raw_dir_cut,
    raw_panel_of,
    replay_and_compare,
    scratch_project,
    train_before,
)
from tests.conftest import PROJECT_ROOT, shared_dataset

pytestmark = pytest.mark.real_data
DAYS = 3


def test_rossmann_replay_orders_and_costs_what_the_offline_walk_does(tmp_path):
    cut = raw_dir_cut(shared_dataset("rossmann"), tmp_path / "raw", "train.csv.gz", "Date")
    folder = scratch_project(PROJECT_ROOT, tmp_path / "project")
    project = DailyProject(folder, "rossmann", "rossmann", {"raw_dir": str(tmp_path / "raw")})
    raw_panel, _, _ = raw_panel_of(project)
    train_before(project, raw_panel, DAYS, cut, REDUCED_BUDGET)
    report = replay_and_compare(project, raw_panel, DAYS)
    print(report.figures().to_string())  # noqa: T201 - the figures the closing note quotes
    print("daily run seconds:", [round(s, 1) for s in report.daily_seconds])  # noqa: T201
    assert report.order_differences().empty
    replay, offline = report.replay.total, report.offline.total
    for figure in ("total_cost", "fill_rate", "units_purchased", "lost_sales"):
        assert replay[figure] == pytest.approx(offline[figure], rel=1e-9), figure
    assert (tmp_path / "raw" / "train.csv.gz").stat().st_size > 0  # the cut copy, not a link
    assert not (tmp_path / "raw" / "train.csv.gz").is_symlink()
