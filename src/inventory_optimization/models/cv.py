"""Rolling-origin cross-validation on the model input table."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from ..panel.contract import DEMAND, IS_CLOSED, IS_OBSERVED, known_demand
from .base import trainable

SCORING_RULES = ("open_positive", "observed", "open")


def scored(rows: pd.DataFrame, rule: str) -> pd.Series:
    """Rows the protocol scores: ``open_positive`` (Rossmann: open and sales > 0),
    ``observed`` (every raw record present, as the Walmart and Recruit competitions scored) or
    ``open`` (every open period whose demand is known, the zero days a missing policy filled
    included: an item that sold nothing is scored on forecasting nothing)."""
    recorded = rows[DEMAND].notna() & rows[IS_OBSERVED]
    if rule == "open_positive":
        return recorded & ~rows[IS_CLOSED] & (rows[DEMAND] > 0)
    if rule == "observed":
        return recorded
    if rule == "open":
        return known_demand(rows) & ~rows[IS_CLOSED]
    raise ValueError(f"scoring rule '{rule}' is not one of {SCORING_RULES}")


def training_rows(rows: pd.DataFrame, cutoff: pd.Timestamp) -> pd.Series:
    """Rows whose target date is on or before ``cutoff``: nothing after it is ever seen."""
    return trainable(rows) & (rows["date"] <= cutoff)


def folds(
    rows: pd.DataFrame, origins: list[pd.Timestamp], rule: str
) -> Iterator[tuple[int, pd.Timestamp, np.ndarray, np.ndarray]]:
    """(fold number, origin, training positions, validation positions), latest fold first."""
    for number, origin in enumerate(origins, start=1):
        train = np.flatnonzero(training_rows(rows, origin).to_numpy())
        valid = np.flatnonzero(((rows["origin"] == origin) & scored(rows, rule)).to_numpy())
        if len(train) == 0:
            raise ValueError(
                f"CV fold {number} (origin {pd.Timestamp(origin).date()}) has no training rows "
                "with a target on or before its origin; expected earlier forecast origins "
                "(raise features.origins.<frequency>.count)"
            )
        yield number, origin, train, valid
