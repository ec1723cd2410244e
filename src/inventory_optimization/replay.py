"""The walk-forward replay of daily operation, and the same policy walked forward offline.

The replay does what a store does: after one ``training``, every morning the store system
delivers yesterday's sales (a file in the landing folder) and this morning's stock (the
stock file), ``kedro run --pipelines daily`` writes the plan, and the plan's orders are
executed against the day's actual demand (:func:`~.inventory.walk_forward.walk_forward`);
the stock left is the next morning's stock file.

The offline walk-forward makes the same plans without the pipeline, the landing folder or
the stock file: each morning the panel as it stood (the full raw panel cut at the origin,
cleaned), the champion bundle's forecast of it and the plan of the same node functions.
Given the same forecasts the orders are the same, so the two must cost the same: what
differs is a fault of the daily path (a sale lost or counted twice, a stock file misread).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .inventory.walk_forward import WalkForward, walk_forward
from .models.bundle import ForecasterBundle
from .panel.contract import DATE, DEMAND, FLAGS, IS_OBSERVED, SERIES_ID
from .panel.periods import Frequency
from .panel.quality import data_quality_report
from .pipelines.data_engineering.nodes import clean_demand_panel, describe_panel
from .pipelines.forecasting.nodes import forecast_from_bundle
from .pipelines.replenishment.nodes import build_item_parameters, plan_replenishment
from .retention import latest_version

logger = logging.getLogger(__name__)

LANDING_FOLDER = "landing"


@dataclass(frozen=True)
class DailyProject:
    """A project folder run as a store runs it: its environment, the dataset folder its
    outputs and raw files live in, and the runtime parameters of every run."""

    path: Path
    dataset: str
    env: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    def raw(self, *parts: str) -> Path:
        return self.path / "data" / "01_raw" / self.dataset / Path(*parts)

    def kedro(self, *args: str) -> subprocess.CompletedProcess:
        command = [str(Path(sys.executable).with_name("kedro")), *args]
        if self.env:
            command += ["--env", self.env]
        if self.params:
            command += ["--params", ",".join(f"{k}={v}" for k, v in self.params.items())]
        return subprocess.run(
            command,
            cwd=self.path,
            env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"},
            capture_output=True,
            text=True,
            check=False,
        )

    @cached_property
    def daily_nodes(self) -> list[str]:
        """The nodes of ``daily`` but a built-in generator's: in a replay the deliveries are
        the store system, and a generator would write the whole history again."""
        from .pipeline_registry import create_pipelines
        from .sources.registry import source_for

        with project_context(self) as context:
            source = source_for(context.params["data_source"]["kind"])
        generator = source.generator.__name__ if source.generator else None
        daily = create_pipelines(source)["daily"].nodes
        return [n.name for n in daily if n.name.rsplit(".", 1)[-1] != generator]

    def run_daily(self) -> float:
        """One ``daily`` run (without a generator node); its wall seconds. A failed run
        raises with its log."""
        started = time.perf_counter()
        result = self.kedro("run", "--pipelines", "daily", "--nodes", ",".join(self.daily_nodes))
        if result.returncode != 0:
            raise RuntimeError(f"daily run failed:\n{result.stderr[-4000:]}")
        return time.perf_counter() - started

    def latest_plan(self) -> pd.DataFrame:
        path = self.path / "data" / "07_model_output" / self.dataset / "replenishment_plan.parquet"
        return pd.read_parquet(latest_version(path))


def landing_rows(raw_panel: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """The raw panel's rows as a store system delivers them: the series' key columns, the
    date, the demand and the covariates (no ``series_id``, no flags: the panel derives them)."""
    skipped = {*keys, SERIES_ID, *FLAGS}
    return raw_panel[[*keys, *(c for c in raw_panel.columns if c not in skipped)]]


def stock_file(
    positions: pd.DataFrame, series_keys: pd.DataFrame, morning: pd.Timestamp, frequency: str
) -> pd.DataFrame:
    """This morning's stock file from the walk's positions: the key columns, on hand, on
    order and the expected arrival of the first open order (empty when none)."""
    arrival = Frequency.of(frequency).shift(
        pd.DatetimeIndex([morning] * len(positions)),
        np.nan_to_num(positions["next_arrival_periods"].to_numpy(), nan=0).astype(int),
    )
    expected = pd.Series(arrival, index=positions.index).where(
        positions["next_arrival_periods"].notna()
    )
    keyed = series_keys.set_index(SERIES_ID).reindex(positions["series_id"]).reset_index(drop=True)
    return keyed.assign(
        on_hand=positions["on_hand"].to_numpy(),
        on_order=positions["on_order"].to_numpy(),
        expected_arrival=expected.dt.strftime("%Y-%m-%d").to_numpy(),
    )


def replay_daily_operation(
    project: DailyProject,
    raw_panel: pd.DataFrame,
    keys: Sequence[str],
    frequency: str,
    actual: pd.DataFrame,
    items: pd.DataFrame,
    start_on_hand: np.ndarray,
    periods_per_year: float,
) -> tuple[WalkForward, list[float]]:
    """Walk the days of ``actual`` (series x dates) through the project's ``daily`` runs.

    ``raw_panel`` holds the sales to deliver (at least the days of ``actual`` but its last);
    the project's raw files end the day before the first. Returns the walk and the seconds
    of each daily run."""
    days = pd.DatetimeIndex(actual.columns)
    series_keys = raw_panel.drop_duplicates(SERIES_ID)[[SERIES_ID, *keys]]
    landing = project.raw(LANDING_FOLDER)
    landing.mkdir(parents=True, exist_ok=True)
    seconds: list[float] = []

    def plan_for(t: int, positions: pd.DataFrame) -> pd.DataFrame:
        if t > 0:
            # What a store system records: the day's lines, not the grid's unobserved gaps.
            sold = raw_panel[(raw_panel[DATE] == days[t - 1]) & raw_panel[IS_OBSERVED]]
            landing_rows(sold, keys).to_parquet(
                landing / f"sales_{days[t - 1].date()}.parquet", index=False
            )
        stock_file(positions, series_keys, days[t], frequency).to_csv(
            project.raw("stock_positions.csv"), index=False
        )
        seconds.append(project.run_daily())
        plan = project.latest_plan()
        planned_for = pd.Timestamp(plan["as_of_date"].max())
        expected = Frequency.of(frequency).shift(days[t], -1)
        if planned_for != expected:
            raise RuntimeError(
                f"replay, {days[t].date()}: the daily plan is as of {planned_for.date()}, "
                f"expected {expected.date()} (the day before): a delivery did not reach the panel"
            )
        logger.info(
            "Replay %s: %d orders, %.0f units (daily run %.1f s)",
            days[t].date(),
            int((plan["order_qty"] > 0).sum()),
            plan["order_qty"].sum(),
            seconds[-1],
        )
        return plan

    walk = walk_forward(actual, items, plan_for, start_on_hand, periods_per_year)
    return walk, seconds


def panel_as_of(
    raw_panel: pd.DataFrame,
    origin: pd.Timestamp,
    series_attributes: pd.DataFrame,
    source_summary: dict[str, Any],
    cleaning: Mapping[str, Any],
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The demand panel and its metadata as the data engineering nodes make them from the raw
    panel cut at ``origin`` (the panel a morning's run had)."""
    panel = clean_demand_panel(raw_panel[raw_panel[DATE] <= origin], source_summary, cleaning)
    quality = data_quality_report(panel)
    return panel, describe_panel(panel, series_attributes, source_summary, cleaning, quality)


def offline_walk_forward(
    bundle: ForecasterBundle,
    raw_panel: pd.DataFrame,
    series_attributes: pd.DataFrame,
    source_summary: dict[str, Any],
    parameters: Mapping[str, Any],
    actual: pd.DataFrame,
    items: pd.DataFrame,
    start_on_hand: np.ndarray,
    periods_per_year: float,
) -> WalkForward:
    """The same days walked with plans made without the daily pipeline: each morning the
    raw panel cut at the day before, cleaned, described, forecast by ``bundle`` and planned
    by the replenishment nodes' functions (``parameters``: the project's, with ``cleaning``
    and ``inventory``)."""
    days = pd.DatetimeIndex(actual.columns)
    frequency = Frequency.of(source_summary["frequency"])
    cleaning, inventory = parameters["cleaning"], parameters["inventory"]

    def plan_for(t: int, positions: pd.DataFrame) -> pd.DataFrame:
        origin = frequency.shift(days[t], -1)
        panel, metadata = panel_as_of(
            raw_panel, origin, series_attributes, source_summary, cleaning
        )
        forecast, _ = forecast_from_bundle(bundle, panel, series_attributes, metadata)
        table = build_item_parameters(series_attributes, metadata, inventory, panel)
        plan, _ = plan_replenishment(
            forecast, table, positions[["series_id", "on_hand", "on_order"]], metadata, inventory
        )
        return plan

    return walk_forward(actual, items, plan_for, start_on_hand, periods_per_year)


def actual_demand(raw_panel: pd.DataFrame, days: pd.DatetimeIndex) -> pd.DataFrame:
    """(series x days) demand of the raw panel: what the walk serves (unknown counts as 0)."""
    rows = raw_panel[raw_panel[DATE].isin(days)]
    table = rows.pivot(index=SERIES_ID, columns=DATE, values=DEMAND).reindex(columns=days)
    table.index = table.index.astype(str)
    return table.fillna(0.0)


def _nested(params: Mapping[str, Any]) -> dict[str, Any]:
    """``{"a.b": 1}`` as ``{"a": {"b": 1}}``: the CLI's ``--params`` as session runtime
    parameters."""
    nested: dict[str, Any] = {}
    for dotted, value in params.items():
        *parents, leaf = dotted.split(".")
        level = nested
        for parent in parents:
            level = level.setdefault(parent, {})
        level[leaf] = value
    return nested


@contextmanager
def project_context(project: DailyProject):
    """The project's Kedro context (catalog and parameters) in this process; the pipeline
    registry is pointed back at the source it had before (a context of another environment
    re-registers the pipelines for its source, process-wide)."""
    from kedro.framework.project import pipelines
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    from . import pipeline_registry

    previous = pipeline_registry.current_source()
    bootstrap_project(project.path)
    session = KedroSession.create(
        project_path=project.path, env=project.env, runtime_params=_nested(project.params)
    )
    try:
        yield session.load_context()
    finally:
        session.close()
        if pipeline_registry.use_source(previous):
            pipelines.configure(pipeline_registry.__name__)


def raw_panel_of(project: DailyProject) -> tuple[pd.DataFrame, list[str], str]:
    """The raw panel the project's source builds from its raw files as they are now, with
    its key columns and frequency (the sales a replay delivers day by day)."""
    from .sources.registry import source_for

    with project_context(project) as context:
        data_source = context.params["data_source"]
        source = source_for(data_source["kind"])
        tables = {name: context.catalog.load(entry) for name, entry in source.raw_inputs.items()}
    panel, _, summary = source.build_panel(tables, data_source)
    return panel, list(summary.keys), summary.frequency


@dataclass(frozen=True)
class ReplayReport:
    """The replay beside the offline walk of the same policy and the research backtest of
    the same days (one forecast at the first origin, reviews every review period)."""

    replay: WalkForward
    offline: WalkForward
    backtest: pd.DataFrame
    daily_seconds: list[float]

    def figures(self) -> pd.DataFrame:
        """Total cost and fill rate per way of walking the days."""
        rows = {
            "replay (daily runs)": self.replay.total,
            "offline walk-forward": self.offline.total,
        }
        total = self.backtest[self.backtest["series_id"] == "ALL"].set_index("policy")
        for policy, name in (
            ("ensemble", "research backtest (ensemble)"),
            ("naive", "spreadsheet rule"),
            ("oracle", "perfect foresight"),
        ):
            if policy in total.index:
                rows[name] = total.loc[policy]
        columns = ["total_cost", "fill_rate", "units_purchased", "orders", "lost_sales"]
        table = pd.DataFrame(rows).T
        return table[[c for c in columns if c in table.columns]]

    def order_differences(self) -> pd.DataFrame:
        """Every (day, series) whose replayed order differs from the offline one."""
        keys = ["date", "series_id"]
        merged = self.replay.plans[[*keys, "order_qty"]].merge(
            self.offline.plans[[*keys, "order_qty"]],
            on=keys,
            how="outer",
            suffixes=("_replay", "_offline"),
        )
        differs = ~np.isclose(merged["order_qty_replay"], merged["order_qty_offline"])
        return merged[differs]


def replay_and_compare(project: DailyProject, raw_panel: pd.DataFrame, n_days: int) -> ReplayReport:
    """After ``training`` on the raw files cut ``n_days`` before ``raw_panel``'s end, replay
    those days through ``daily`` and walk them offline; with the research backtest of the
    same days from the first origin's forecast."""
    from .inventory import run_backtest
    from .inventory.backtest import starting_stock
    from .inventory.items import settings_in_periods

    with project_context(project) as context:
        params = context.params
        bundle: ForecasterBundle = context.catalog.load("champion_bundle")
        attributes = context.catalog.load("series_attributes")
        summary = context.catalog.load("source_summary")
    frequency = Frequency.of(summary["frequency"])
    keys = list(summary["keys"])
    raw_panel = raw_panel.assign(**{SERIES_ID: raw_panel[SERIES_ID].astype(str)})
    days = pd.DatetimeIndex(sorted(raw_panel[DATE].unique())[-n_days:])
    actual = actual_demand(raw_panel, days)

    origin = frequency.shift(days[0], -1)
    panel, metadata = panel_as_of(raw_panel, origin, attributes, summary, params["cleaning"])
    items = build_item_parameters(attributes, metadata, params["inventory"], panel)
    settings, _ = settings_in_periods(params["inventory"], frequency.days_per_period)
    lead = items.set_index("series_id").reindex(actual.index)["lead_time"].to_numpy().astype(int)
    start = starting_stock("lead_time_demand", actual.to_numpy(), lead, np.zeros((len(lead), 1)))
    ppy = frequency.periods_per_year

    offline = offline_walk_forward(
        bundle, raw_panel, attributes, summary, params, actual, items, start, ppy
    )
    replay, seconds = replay_daily_operation(
        project, raw_panel, keys, summary["frequency"], actual, items, start, ppy
    )
    forecast, _ = forecast_from_bundle(bundle, panel, attributes, metadata)
    forecast = forecast.assign(**{SERIES_ID: forecast[SERIES_ID].astype(str)})
    holdout = forecast[forecast[DATE].isin(days)].merge(
        actual.stack().rename("y_true").reset_index().rename(columns={"level_1": DATE}),
        on=[SERIES_ID, DATE],
    )
    history = panel.pivot(index=SERIES_ID, columns=DATE, values=DEMAND)
    history.index = history.index.astype(str)
    backtest, _ = run_backtest(
        holdout.assign(model="ensemble", series_id=holdout[SERIES_ID].astype(str)),
        history.iloc[:, -int(settings["naive"]["window"]) :].clip(lower=0),
        items,
        settings,
        ppy,
        on_hand=pd.Series(start, index=actual.index),
        period_days=frequency.days_per_period,
    )
    return ReplayReport(replay, offline, backtest, seconds)


def scratch_project(source: Path, folder: Path) -> Path:
    """A project folder with ``source``'s configuration and no data (the code is the
    installed package): where a replay's runs write."""
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(source / "pyproject.toml", folder)
    (folder / "src").mkdir(exist_ok=True)  # Kedro wants the source folder
    shutil.copytree(source / "conf", folder / "conf", dirs_exist_ok=True)
    return folder


def cut_raw_table(source: Path, target: Path, date_column: str, last: pd.Timestamp) -> int:
    """Copy the CSV ``source`` to ``target`` without the lines dated after ``last`` (the
    export as it stood then); the lines kept."""
    table = pd.read_csv(source, dtype=str, keep_default_na=False)
    kept = table[pd.to_datetime(table[date_column]) <= last]
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink():  # a link to the full export: never write through it
        target.unlink()
    # A gzip export stays gzip (fast level: a replay copy, not an archive).
    compression = {"method": "gzip", "compresslevel": 1} if target.suffix == ".gz" else None
    kept.to_csv(target, index=False, compression=compression)
    return len(kept)


def train_before(
    project: DailyProject, raw_panel: pd.DataFrame, n_days: int, cut, training_params=None
) -> tuple[pd.Timestamp, float]:
    """Cut the raw files ``n_days`` before ``raw_panel``'s end (``cut(last_date)``), then
    ``training`` on them; the last date trained on and the training's seconds."""
    dates = sorted(raw_panel[DATE].unique())
    if len(dates) <= n_days:
        raise ValueError(f"replay: {n_days} days asked, the panel has {len(dates)}")
    last = pd.Timestamp(dates[-n_days - 1])
    cut(last)
    started = time.perf_counter()
    trainer = DailyProject(
        project.path, project.dataset, project.env, {**project.params, **(training_params or {})}
    )
    result = trainer.kedro(
        "run", "--pipelines", "training", "--from-nodes", "data_engineering.ingest_sales"
    )
    if result.returncode != 0:
        raise RuntimeError(f"training failed:\n{result.stderr[-4000:]}")
    return last, time.perf_counter() - started


def raw_dir_cut(source_dir: Path, target_dir: Path, sales_file: str, date_column: str):
    """For environments reading ``raw_dir``: a copy of ``source_dir`` in ``target_dir``
    (linked, the sales file too until the callable replaces it with the export cut at the
    date it is given)."""
    target_dir.mkdir(parents=True, exist_ok=True)
    for entry in source_dir.iterdir():
        if not (target_dir / entry.name).exists():
            (target_dir / entry.name).symlink_to(entry.resolve())

    def cut(last: pd.Timestamp) -> int:
        return cut_raw_table(source_dir / sales_file, target_dir / sales_file, date_column, last)

    return cut
