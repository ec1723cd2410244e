"""The walk-forward replay of daily operation, and the daily run's seconds.

One ``training`` on the data cut N days before its end, then N mornings of deliveries (the
day's sales file into the landing folder, the morning's stock file), a ``daily`` run each
and the plan's orders executed against the day's actual demand; beside it the same policy
walked offline, and the research backtest of the same days (``inventory_optimization.replay``).
Prints the money of each, and the daily run's seconds next to the training's.

    python benchmarks/replay.py                       # the built-in data, 14 days
    python benchmarks/replay.py --env rossmann        # ../shared/data/rossmann, reduced budget
    python benchmarks/replay.py --env rossmann --full-budget
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

import pandas as pd

from inventory_optimization.models.budgets import REDUCED_BUDGET
from inventory_optimization.replay import (
    DailyProject,
    cut_raw_table,
    raw_dir_cut,
    raw_panel_of,
    replay_and_compare,
    scratch_project,
    train_before,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SHARED_DATA_DIR", PROJECT_ROOT.parent / "shared" / "data"))
# Rossmann's sales file and date column (conf/rossmann/catalog.yml).
RAW_SALES = {"rossmann": ("train.csv.gz", "Date")}


def prepare(env: str | None, folder: Path, full_budget: bool):
    """The scratch project, the full raw panel to deliver, and the cut of the raw files."""
    scratch_project(PROJECT_ROOT, folder / "project")
    if env is None:
        project = DailyProject(folder / "project", "synthetic")
        generated = project.kedro("run", "--nodes", "data_engineering.generate_demand_data")
        if generated.returncode != 0:
            raise RuntimeError(generated.stderr[-3000:])
        sales = project.raw("sales.csv")
        return project, (lambda day: cut_raw_table(sales, sales, "date", day)), {}
    sales_file, date_column = RAW_SALES[env]
    raw = folder / "raw"
    cut = raw_dir_cut(SHARED_DATA / env, raw, sales_file, date_column)
    project = DailyProject(folder / "project", env, env, {"raw_dir": str(raw)})
    return project, cut, {} if full_budget else REDUCED_BUDGET


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default=None, help="a real-data environment (default: built-in)")
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--full-budget", action="store_true")
    parser.add_argument("--folder", type=Path, default=None, help="keep the runs here")
    arguments = parser.parse_args()
    folder = arguments.folder or Path(tempfile.mkdtemp(prefix="replay_"))
    project, cut, budget = prepare(arguments.env, folder, arguments.full_budget)
    raw_panel, _, _ = raw_panel_of(project)
    last, training_seconds = train_before(project, raw_panel, arguments.days, cut, budget)
    report = replay_and_compare(project, raw_panel, arguments.days)
    seconds = report.daily_seconds
    pd.set_option("display.width", 160)
    print(f"\nReplay of {arguments.days} days after {last.date()} ({arguments.env or 'built-in'}):")
    print(report.figures().to_string(float_format=lambda v: f"{v:,.3f}"))
    differences = report.order_differences()
    print(f"orders differing from the offline walk: {len(differences)}")
    print(
        f"daily run: median {statistics.median(seconds):.1f} s, max {max(seconds):.1f} s; "
        f"training ({'full' if arguments.full_budget or not budget else 'reduced'} budget) "
        f"{training_seconds:.0f} s, {training_seconds / statistics.median(seconds):.0f}x the "
        "daily run"
    )
    print(f"runs kept in {folder}")


if __name__ == "__main__":
    main()
