"""Nodes of the forecasting stage: the saved forecaster bundle forecasts the panel's latest
origin (``models.bundle``); no model is tuned or fitted."""

from __future__ import annotations

import logging
import time
from typing import Any

import pandas as pd

from ...models.bundle import ForecasterBundle
from ...panel.contract import DATE, SERIES_ID
from ...panel.periods import Frequency

logger = logging.getLogger(__name__)


class BundleMismatchError(ValueError):
    """The panel is not the kind of data the bundle was trained on."""


def check_bundle_fits(bundle: ForecasterBundle, panel_metadata: dict[str, Any]) -> None:
    """Refuse, in one sentence, a panel whose frequency or keys differ from training's."""
    trained = bundle.panel_metadata
    for field in ("source", "frequency", "keys"):
        if trained.get(field) != panel_metadata.get(field):
            raise BundleMismatchError(
                f"the forecaster bundle was trained on {field} {trained.get(field)!r}, the "
                f"panel has {panel_metadata.get(field)!r}: run `kedro run --pipelines "
                f"training` on this data first"
            )


def forecast_from_bundle(
    forecaster_bundle: ForecasterBundle,
    demand_panel: pd.DataFrame,
    series_attributes: pd.DataFrame,
    panel_metadata: dict[str, Any],
) -> pd.DataFrame:
    """The ensemble's forecast of every series over the horizon after the panel's last date,
    with quantiles and the interval, from the bundle the latest training saved."""
    check_bundle_fits(forecaster_bundle, panel_metadata)
    origin = pd.Timestamp(demand_panel[DATE].max())
    frequency = Frequency.of(panel_metadata["frequency"])
    trained = forecaster_bundle.trained_until
    started = time.perf_counter()
    forecast = forecaster_bundle.predict(
        demand_panel, series_attributes, origin, panel_metadata=panel_metadata
    )
    seconds = time.perf_counter() - started
    new_series = sorted(
        set(demand_panel[SERIES_ID].astype(str))
        - set(forecaster_bundle.feature_transforms.profile.index.astype(str))
    )
    logger.info(
        "Forecast from the bundle trained until %s (%d %s before the origin %s): %d series x "
        "%d %s in %.1f s%s",
        trained.date(),
        frequency.periods_between(trained, origin),
        frequency.unit,
        origin.date(),
        forecast[SERIES_ID].nunique(),
        forecaster_bundle.horizon,
        frequency.unit,
        seconds,
        f"; {len(new_series)} series unknown to training (e.g. {new_series[:3]}) forecast "
        "from their own history and the typical series' level"
        if new_series
        else "",
    )
    return forecast
