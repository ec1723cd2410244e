"""What the service answers from: one snapshot of a project's environment, loaded through the
Kedro catalog (the champion bundle, the latest panel, today's forecast and plan, the item
table and the positions the plan used), swapped whole on a reload so a request always reads
one consistent snapshot."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..catalog_files import dataset_paths, dataset_version, unwrap
from ..inventory.distributions import quantile_columns
from ..models.bundle import ForecasterBundle
from ..panel.contract import DATE, SERIES_ID, SourceSummary
from ..panel.periods import Frequency
from ..retention import version_folders

logger = logging.getLogger(__name__)

PLAN = "replenishment_plan"


@dataclass(frozen=True)
class Snapshot:
    """Everything the endpoints read, as the daily run left it."""

    env: str | None
    dataset: str
    metadata: Mapping[str, Any]
    summary: SourceSummary
    parameters: Mapping[str, Any]
    bundle: ForecasterBundle
    forecast: pd.DataFrame  # sorted by series and date; the plan's forecast when it is current
    forecast_source: str  # "daily_forecast" or "recomputed at load"
    plan: pd.DataFrame
    plan_version: str | None
    plan_folder: Path | None  # the versioned plan's folder: a newer version there means reload
    items: pd.DataFrame  # item_parameters (the plan applies the positions' overrides to them)
    positions: pd.DataFrame  # current_positions
    raw_panel: pd.DataFrame  # what a landed file is checked against
    landing_folder: Path
    stock_dataset: Any  # the catalog's stock_positions dataset (OptionalTableDataset)
    loaded_at: float = field(default_factory=time.time)

    @property
    def frequency(self) -> Frequency:
        return Frequency.of(self.metadata["frequency"])

    @property
    def model_version(self) -> str:
        return self.bundle.registered_version or "unregistered"

    @property
    def origin(self) -> pd.Timestamp:
        return pd.Timestamp(self.forecast["origin"].max())

    @property
    def quantile_levels(self) -> np.ndarray:
        return quantile_columns(self.forecast)[1]

    @property
    def plan_saved_at(self) -> datetime | None:
        """When the daily run saved the plan (its Kedro version is a UTC timestamp)."""
        if not self.plan_version:
            return None
        return datetime.strptime(self.plan_version, "%Y-%m-%dT%H.%M.%S.%fZ").replace(tzinfo=UTC)

    def forecast_rows(self) -> dict[str, np.ndarray]:
        """Row positions of each series in ``forecast`` (the forecast endpoint's lookup)."""
        return self._rows

    def forecast_column(self, column: str) -> np.ndarray:
        """A column of ``forecast`` as an array (dates as ISO text), sliced per request."""
        return self._columns[column]

    def __post_init__(self) -> None:
        # Built once per snapshot: a dict lookup and array slices per request, no filter.
        object.__setattr__(self, "_rows", self.forecast.groupby(SERIES_ID, sort=False).indices)
        columns = {
            column: self.forecast[column].to_numpy()
            for column in ("horizon", "y_pred", "is_closed", *quantile_columns(self.forecast)[0])
        }
        columns[DATE] = self.forecast[DATE].dt.strftime("%Y-%m-%d").to_numpy()
        object.__setattr__(self, "_columns", columns)

    def newest_plan_version(self) -> str | None:
        """The newest version folder of the plan on disk now (a directory listing)."""
        if self.plan_folder is None:
            return None
        # A version whose file is not there yet is a save in progress: not a plan yet.
        folders = [
            f for f in version_folders(self.plan_folder) if (f / self.plan_folder.name).exists()
        ]
        return folders[-1].name if folders else None


def _as_text_ids(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(**{SERIES_ID: frame[SERIES_ID].astype(str)})


def current_forecast(
    bundle: ForecasterBundle,
    daily: pd.DataFrame | None,
    panel: pd.DataFrame,
    attributes: pd.DataFrame,
    metadata: Mapping[str, Any],
) -> tuple[pd.DataFrame, str]:
    """The champion's forecast from the panel's last date: the daily run's when it is this
    champion's of this panel (what the plan used), else the bundle's forecast made now."""
    last = pd.Timestamp(panel[DATE].max())
    version = bundle.registered_version or "unregistered"
    if (
        daily is not None
        and len(daily)
        and pd.Timestamp(daily["origin"].max()) == last
        and daily["champion_version"].astype(str).eq(version).all()
    ):
        forecast, source = daily, "daily_forecast"
    else:
        bundle.check_fits(metadata)
        forecast = bundle.predict(panel, attributes, last, panel_metadata=metadata)
        forecast["champion_version"] = version
        source = "recomputed at load"
    forecast = _as_text_ids(forecast).sort_values([SERIES_ID, DATE], kind="stable")
    return forecast.reset_index(drop=True), source


def load_snapshot(project: Path, env: str | None) -> Snapshot:
    """One snapshot of ``env`` in the project at ``project``, through its Kedro catalog."""
    from ..replay import DailyProject, project_context

    started = time.perf_counter()
    # The dataset is read from the environment's globals below; DailyProject only carries
    # the path and the environment to the session here.
    with project_context(DailyProject(Path(project), "", env)) as context:
        catalog, params = context.catalog, context.params
        dataset = context.config_loader["globals"]["dataset"]
        metadata = catalog.load("panel_metadata")
        bundle = catalog.load("champion_bundle")
        panel = catalog.load("demand_panel")
        attributes = catalog.load("series_attributes")
        daily = catalog.load("daily_forecast") if catalog.exists("daily_forecast") else None
        plan_dataset = catalog.get(PLAN)
        plan = catalog.load(PLAN)
        plan_version = dataset_version(plan_dataset, saved=False)
        items = catalog.load("item_parameters")
        positions = catalog.load("current_positions")
        raw_panel = catalog.load("raw_panel")
        summary = SourceSummary.from_dict(catalog.load("source_summary"))
        landing = Path(unwrap(catalog.get("sales_landing"))._normalized_path)
        stock_dataset = catalog.get("stock_positions")
    forecast, source = current_forecast(bundle, daily, panel, attributes, metadata)
    plan_paths = dataset_paths(plan_dataset, plan_version)
    snapshot = Snapshot(
        env=env,
        dataset=dataset,
        metadata=metadata,
        summary=summary,
        parameters=params,
        bundle=bundle,
        forecast=forecast,
        forecast_source=source,
        plan=_as_text_ids(plan),
        plan_version=plan_version,
        plan_folder=plan_paths[0].parent.parent if plan_paths else None,
        items=_as_text_ids(items),
        positions=_as_text_ids(positions),
        raw_panel=raw_panel,
        landing_folder=landing,
        stock_dataset=stock_dataset,
    )
    logger.info(
        "Service state of %s: champion version %s (trained until %s), forecast from %s (%s), "
        "plan version %s (%d series, %d orders) in %.1f s",
        dataset,
        snapshot.model_version,
        bundle.trained_until.date(),
        snapshot.origin.date(),
        source,
        plan_version,
        len(plan),
        int((plan["order_qty"] > 0).sum()),
        time.perf_counter() - started,
    )
    return snapshot


class StateHolder:
    """The current snapshot, replaced whole by :meth:`reload` (one reload at a time; requests
    keep reading the old snapshot until the new one is complete)."""

    def __init__(self, loader: Callable[[], Snapshot]) -> None:
        self._loader = loader
        self._lock = threading.Lock()
        self.snapshot: Snapshot | None = None
        self.error: str | None = None

    def reload(self) -> Snapshot:
        with self._lock:
            try:
                snapshot = self._loader()
            except Exception as error:
                self.error = f"{type(error).__name__}: {error}"
                raise
            self.snapshot, self.error = snapshot, None
            return snapshot

    def reload_if_new_plan(self) -> bool:
        """Reload when the daily run has saved a plan version newer than the loaded one."""
        snapshot = self.snapshot
        if snapshot is None or snapshot.newest_plan_version() in (None, snapshot.plan_version):
            return False
        logger.info(
            "Service: plan version %s on disk is newer than the loaded %s: reloading",
            snapshot.newest_plan_version(),
            snapshot.plan_version,
        )
        self.reload()
        return True
