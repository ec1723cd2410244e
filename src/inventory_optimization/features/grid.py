"""The grid every feature family reads: the regular date axis, the series, the forecast origins,
the (origin, series, horizon) rows the model input keeps, and the wide demand matrices."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..panel.closures import closed_mask
from ..panel.contract import DATE, DEMAND, IS_CLOSED, IS_OBSERVED, SERIES_ID, known_demand
from ..panel.periods import Frequency
from .profile import open_demand
from .wide import WideIndex, gather, reduce, trailing


class Rows:
    """Index arithmetic for the (origin, series, horizon) rows kept in the table."""

    def __init__(self, origin_pos: np.ndarray, n_series: int, horizon: int, keep: np.ndarray):
        n_origins = len(origin_pos)
        self.origin_row = np.repeat(np.arange(n_origins), n_series * horizon)[keep]
        self.series = np.tile(np.repeat(np.arange(n_series), horizon), n_origins)[keep]
        self.horizon = np.tile(np.arange(1, horizon + 1), n_origins * n_series)[keep]
        self.origin_pos = origin_pos[self.origin_row]
        self.target_pos = self.origin_pos + self.horizon
        self._state_index = self.origin_row * n_series + self.series

    def at_origin(self, state: np.ndarray) -> np.ndarray:
        """Expand an (origin x series) state matrix to the rows."""
        return state.ravel().take(self._state_index)

    def read(self, matrix: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """A (date x series) matrix at the given date position of each row's series."""
        return gather(matrix, positions, self.series)

    def at_target(self, matrix: np.ndarray) -> np.ndarray:
        """A (date x series) matrix on each row's target date."""
        return gather(matrix, self.target_pos, self.series)


class Grid:
    """The panel on a (date x series) grid that runs ``horizon`` periods past the last origin.

    ``closures`` (``dates``, ``annual``, ``series``: see ``panel.closures.closed_mask``) close
    periods after the panel's end, which the panel cannot hold: a declared Christmas in the
    forecast's horizon. Inside the panel ``is_closed`` says.
    """

    def __init__(
        self,
        panel: pd.DataFrame,
        origins: pd.DatetimeIndex,
        horizon: int,
        frequency: Frequency,
        closures: Mapping | None = None,
    ) -> None:
        panel_end = panel[DATE].max()
        dates = frequency.date_range(
            panel[DATE].min(), max(panel_end, frequency.shift(origins.max(), horizon))
        )
        series = pd.Index(sorted(panel[SERIES_ID].unique()), name=SERIES_ID)
        origin_pos = dates.get_indexer(origins)
        if (origin_pos < 0).any():
            raise ValueError(
                f"origins {list(origins[origin_pos < 0])} are not on the panel's dates"
            )
        self.frequency = frequency
        self.dates, self.series, self.origin_pos = dates, series, origin_pos
        self.end_pos = dates.get_loc(panel_end)

        self.wide = WideIndex(panel, dates, series)
        self.demand = self.wide.matrix(panel[DEMAND])
        self.open_demand = self.wide.matrix(open_demand(panel))
        self.observed = self.wide.matrix(panel[IS_OBSERVED])
        self.known = self.wide.matrix(known_demand(panel))
        self.closed = self.wide.matrix(panel[IS_CLOSED])
        if closures and self.end_pos + 1 < len(dates):
            future = dates[self.end_pos + 1 :]
            shut = closed_mask(
                np.tile(series.to_numpy(), len(future)),
                np.repeat(future, len(series)),
                frequency,
                closures,
            )
            self.closed[self.end_pos + 1 :] = np.where(shut, 1.0, np.nan).reshape(len(future), -1)

        # Rows: a series exists from its first date; live rows run past the panel's end.
        observed = self.observed
        first_pos = np.nanargmax(~np.isnan(observed), axis=0)
        last_pos = len(dates) - 1 - np.nanargmax(~np.isnan(observed[::-1]), axis=0)
        target_grid = origin_pos[:, None, None] + np.arange(1, horizon + 1)[None, None, :]
        alive = (target_grid >= first_pos[None, :, None]) & (
            (target_grid <= last_pos[None, :, None])
            | ((last_pos[None, :, None] == self.end_pos) & (target_grid > self.end_pos))
        )
        self.rows = Rows(origin_pos, len(series), horizon, alive.ravel())

    def span(self, periods: int) -> str:
        """A window's length for the catalog, e.g. ``28 days``."""
        return f"{periods} {self.frequency.unit}"

    def window_stat(
        self, matrix: np.ndarray, window: int, stat: str, offset: int = 0
    ) -> np.ndarray:
        """One statistic of the ``window`` periods ending ``offset`` periods before each row's
        origin."""
        return self.rows.at_origin(reduce(trailing(matrix, self.origin_pos, window, offset), stat))
