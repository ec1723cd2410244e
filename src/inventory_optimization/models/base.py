"""The forecaster interface every model family implements, in scikit-learn's spirit.

A forecaster is built from its hyperparameters only. ``fit(train, context)`` learns from
model-input rows whose targets are known; ``predict(rows, context)`` returns one point
forecast per row (``demand`` on the original scale), for any origin and horizon step.
``context`` carries what is shared by all models: the feature columns, the target transform,
the demand panel (for models that read raw history: ETS, LSTM) and the seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..panel.contract import IS_CLOSED, known_demand

TRANSFORMS = ("log1p", "scale", "none")


@dataclass
class ForecastContext:
    features: list[str]
    target_transform: str = "none"
    frequency: str = "D"
    season_length: int = 7
    seed: int = 42
    panel: pd.DataFrame | None = None
    n_jobs: int = 2
    extra: dict = field(default_factory=dict)


def forward(y: np.ndarray, scale: np.ndarray, transform: str) -> np.ndarray:
    """Demand to the space models learn in: log1p, per-series scaled, or unchanged."""
    if transform == "log1p":
        return np.log1p(np.clip(y, 0, None))
    if transform == "scale":
        return y / scale
    return y


def inverse(z: np.ndarray, scale: np.ndarray, transform: str) -> np.ndarray:
    if transform == "log1p":
        return np.expm1(z)
    if transform == "scale":
        return z * scale
    return z


def row_scale(rows: pd.DataFrame) -> np.ndarray:
    return rows["series_scale"].to_numpy(dtype="float64")


def trainable(rows: pd.DataFrame) -> pd.Series:
    """Rows a model may learn from: a known target (a record, or a period the missing policy
    filled as no sale) on an open period."""
    return known_demand(rows) & ~rows[IS_CLOSED]


class Forecaster:
    """Base class: hyperparameters in, ``fit`` returns self, ``predict`` returns an array."""

    name = "forecaster"
    version = 1  # bump when the algorithm changes: Optuna studies are keyed on it

    def __init__(self, **params) -> None:
        self.params = params

    def get_params(self) -> dict:
        return dict(self.params)

    def fit(self, train: pd.DataFrame, context: ForecastContext) -> Forecaster:
        raise NotImplementedError

    def predict(self, rows: pd.DataFrame, context: ForecastContext) -> np.ndarray:
        raise NotImplementedError

    def feature_importances(self) -> pd.Series | None:
        return None


class SeasonalNaive(Forecaster):
    """Demand one season before the target date, from the last season known at the origin
    (``seasonal_lag_<m>``). The floor every model must beat."""

    name = "seasonal_naive"

    def fit(self, train: pd.DataFrame, context: ForecastContext) -> SeasonalNaive:
        return self

    def predict(self, rows: pd.DataFrame, context: ForecastContext) -> np.ndarray:
        return rows[f"seasonal_lag_{context.season_length}"].to_numpy(dtype="float64")
