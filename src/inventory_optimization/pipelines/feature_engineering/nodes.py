"""Nodes of the feature engineering pipeline; the logic lives in ``inventory_optimization.features``."""

from __future__ import annotations

import logging
import time
from typing import Any

import pandas as pd

from ...features import (
    FeatureTransforms,
    build_model_input,
    check_origins,
    fit_transforms,
    fold_origins,
    forecast_origins,
    frequency_settings,
)
from ...panel.periods import Frequency, cv_step_periods, horizon_periods, protocol_origin

logger = logging.getLogger(__name__)


def _origins(
    demand_panel: pd.DataFrame,
    frequency: str,
    protocol: dict[str, Any],
    cross_validation: dict[str, Any],
    settings: dict[str, Any],
) -> tuple[pd.DatetimeIndex, list[pd.Timestamp]]:
    """Every forecast origin of the model input, and the CV fold origins among them."""
    origin, _ = protocol_origin(
        protocol, demand_panel["date"].min(), demand_panel["date"].max(), frequency
    )
    step = cv_step_periods(cross_validation, protocol, frequency)
    folds = fold_origins(origin, frequency, cross_validation["n_folds"], step)
    origins = forecast_origins(
        demand_panel["date"].max(),
        origin,
        frequency,
        settings["origins"]["step"],
        settings["origins"]["count"],
        folds,
    )
    return origins, folds


def _source(value: Any, auto_text: str) -> str:
    return auto_text if value in (None, "auto") else "set"


def fit_feature_transforms(
    demand_panel: pd.DataFrame,
    series_attributes: pd.DataFrame,
    panel_metadata: dict[str, Any],
    protocol: dict[str, Any],
    cross_validation: dict[str, Any],
    features: dict[str, Any],
) -> FeatureTransforms:
    """Fit the static transforms on data up to the earliest cross-validation origin, after
    checking that the panel holds the history the origins, folds and horizon need."""
    frequency = panel_metadata["frequency"]
    settings = frequency_settings(features, frequency)
    origins, folds = _origins(demand_panel, frequency, protocol, cross_validation, settings)
    origin, note = protocol_origin(
        protocol, demand_panel["date"].min(), demand_panel["date"].max(), frequency
    )
    if note:
        logger.info(note)
    step = cv_step_periods(cross_validation, protocol, frequency)
    unit = Frequency.of(frequency).unit
    logger.info(
        "Horizon %d %s (%s); cross-validation: %d folds %d %s apart (%s), origins %s",
        horizon_periods(protocol, frequency),
        unit,
        _source(protocol.get("horizon", "auto"), f"auto for {frequency}"),
        len(folds),
        step,
        unit,
        _source(cross_validation.get("step", "auto"), "step auto: the horizon"),
        ", ".join(str(fold.date()) for fold in folds) or "none",
    )
    check_origins(
        demand_panel["date"].min(),
        demand_panel["date"].max(),
        frequency,
        origin,
        origins,
        Frequency.of(frequency).parameter_block,
    )
    cutoff = min(folds) if folds else origin
    transforms = fit_transforms(
        demand_panel,
        series_attributes,
        cutoff,
        frequency,
        settings["stl_period"],
        settings["stl_history"],
    )
    logger.info(
        "Fitted feature transforms on data up to %s (%d series)",
        cutoff.date(),
        len(transforms.profile),
    )
    return transforms


def build_features(
    demand_panel: pd.DataFrame,
    series_attributes: pd.DataFrame,
    panel_metadata: dict[str, Any],
    feature_transforms: FeatureTransforms,
    protocol: dict[str, Any],
    cross_validation: dict[str, Any],
    features: dict[str, Any],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The model input over every forecast origin, and the catalog of its features."""
    frequency = panel_metadata["frequency"]
    settings = frequency_settings(features, frequency)
    origins, _ = _origins(demand_panel, frequency, protocol, cross_validation, settings)
    horizon = horizon_periods(protocol, frequency)
    started = time.perf_counter()
    model_input, catalog = build_model_input(
        demand_panel,
        series_attributes,
        panel_metadata,
        feature_transforms,
        origins,
        horizon,
        settings,
    )
    seconds = time.perf_counter() - started
    logger.info(
        "Built %d feature columns for %d rows (%d origins x horizon %d) in %.1f s (%.0f rows/s)",
        len(catalog),
        len(model_input),
        len(origins),
        horizon,
        seconds,
        len(model_input) / max(seconds, 1e-9),
    )
    return model_input, catalog
