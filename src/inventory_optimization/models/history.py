"""Raw demand history per series as a (date x series) matrix, for models that read sequences
(ETS, LSTM) rather than the feature table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..features.wide import WideIndex
from ..panel.contract import DATE, DEMAND, IS_CLOSED, SERIES_ID, known_demand
from ..panel.periods import Frequency


class DemandHistory:
    """Demand of open periods whose demand is known (records and filled zero days) on the
    panel's regular grid; closed and unknown periods are NaN, so a closure is never read as a
    sale of zero."""

    def __init__(self, panel: pd.DataFrame, frequency: str, until: pd.Timestamp | None = None):
        end = max(panel[DATE].max(), until) if until is not None else panel[DATE].max()
        self.dates = Frequency.of(frequency).date_range(panel[DATE].min(), end)
        self.series = pd.Index(sorted(panel[SERIES_ID].unique()), name=SERIES_ID)
        index = WideIndex(panel, self.dates, self.series)
        self.values = index.matrix(panel[DEMAND].where(known_demand(panel) & ~panel[IS_CLOSED]))

    def window(
        self, origins: pd.Series | pd.DatetimeIndex, series: pd.Series, length: int
    ) -> np.ndarray:
        """(rows, length) demand of the ``length`` periods ending at each row's origin."""
        rows = self.dates.get_indexer(pd.DatetimeIndex(origins))
        cols = self.series.get_indexer(pd.Index(series.astype(str)))
        positions = rows[:, None] + np.arange(-length + 1, 1)[None, :]
        out = self.values[np.clip(positions, 0, None), cols[:, None]]
        out[(positions < 0) | (cols[:, None] < 0)] = np.nan
        return out
