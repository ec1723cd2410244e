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


def forecast_from_bundle(
    champion_bundle: ForecasterBundle,
    demand_panel: pd.DataFrame,
    series_attributes: pd.DataFrame,
    panel_metadata: dict[str, Any],
) -> pd.DataFrame:
    """The ensemble's forecast of every series over the horizon after the panel's last date,
    with quantiles and the interval, from the registered champion bundle."""
    champion_bundle.check_fits(panel_metadata)
    origin = pd.Timestamp(demand_panel[DATE].max())
    frequency = Frequency.of(panel_metadata["frequency"])
    trained = champion_bundle.trained_until
    started = time.perf_counter()
    forecast = champion_bundle.predict(
        demand_panel, series_attributes, origin, panel_metadata=panel_metadata
    )
    seconds = time.perf_counter() - started
    new_series = sorted(
        set(demand_panel[SERIES_ID].astype(str))
        - set(champion_bundle.feature_transforms.profile.index.astype(str))
    )
    logger.info(
        "Forecast from the champion (version %s, trained until %s, %d %s before the origin "
        "%s): %d series x %d %s in %.1f s%s",
        champion_bundle.registered_version or "unregistered",
        trained.date(),
        frequency.periods_between(trained, origin),
        frequency.unit,
        origin.date(),
        forecast[SERIES_ID].nunique(),
        champion_bundle.horizon,
        frequency.unit,
        seconds,
        f"; {len(new_series)} series unknown to training (e.g. {new_series[:3]}) forecast "
        "from their own history and the typical series' level"
        if new_series
        else "",
    )
    return forecast
