"""Intermittent-demand baselines: Croston (classic and SBA) and TSB.

Both read the raw demand history (``DemandHistory``, like ETS), run one pass over the periods
with numpy arrays across all series, and give every horizon step of a row the flat forecast
of the state at the row's origin (the origin's own demand included). Forecasts are on the
original demand scale; the target transform does not apply.

Conventions shared by both:

- A period is *known* when its history value is not NaN. NaN (unknown, closed or unobserved)
  is skipped: the state carries over unchanged, the period counts neither as a zero nor in an
  inter-demand interval.
- A *demand* period is a known period with demand > 0; its size is the demand.
- Initialisation at the first demand of a series: the size is that demand and the interval is
  the number of known periods up to and including it (the first inter-demand interval,
  counted from the start of the known history), so the TSB probability starts at its inverse.
- Before the first demand a series with known history forecasts 0.0 (no sizes yet); a series
  with no known period up to the origin (or unknown to the panel) forecasts NaN, which the
  modeling node fills like any missing forecast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..features.wide import gather
from .base import ForecastContext, Forecaster
from .history import DemandHistory

VARIANTS = ("sba", "classic")


@dataclass
class CrostonState:
    """Croston's state after each recorded period: (recorded periods, series) arrays.
    ``size`` and ``interval`` are NaN until the first demand; ``seen`` says whether any
    period so far was known."""

    size: np.ndarray
    interval: np.ndarray
    seen: np.ndarray


@dataclass
class TSBState:
    """TSB's state after each recorded period: smoothed size (NaN until the first demand),
    smoothed demand probability (NaN until the first demand) and ``seen`` as for Croston."""

    size: np.ndarray
    probability: np.ndarray
    seen: np.ndarray


def _recorded(
    values: np.ndarray, at: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which periods to record (a mask over time), each recorded period's slot, and the slot
    of each entry of ``at`` (which may repeat or be unsorted)."""
    n_periods = values.shape[0]
    at = np.arange(n_periods) if at is None else np.asarray(at, dtype="int64")
    record = np.zeros(n_periods, dtype=bool)
    record[at] = True
    slot = np.full(n_periods, -1, dtype="int64")
    slot[np.flatnonzero(record)] = np.arange(int(record.sum()))
    return record, slot, np.searchsorted(np.flatnonzero(record), at)


def _empty_state(kind: type, periods: int, n_series: int):
    """A state record to fill: two float (periods x series) arrays and the boolean ``seen``."""
    return kind(
        np.empty((periods, n_series)),
        np.empty((periods, n_series)),
        np.empty((periods, n_series), dtype=bool),
    )


def croston_state(
    values: np.ndarray,
    alpha: float,
    alpha_interval: float | None = None,
    at: np.ndarray | None = None,
) -> CrostonState:
    """Croston's smoothed demand size and inter-demand interval of a (periods x series)
    history, after each period in ``at`` (positions along the time axis; all if None).

    On a demand period: ``size += alpha * (demand - size)`` and ``interval +=
    alpha_interval * (q - interval)``, ``q`` being the known periods since the previous demand
    (this one included); other periods leave both unchanged.
    """
    values = np.asarray(values, dtype="float64")
    alpha_interval = alpha if alpha_interval is None else alpha_interval
    record, slot, order = _recorded(values, at)
    n_series = values.shape[1]
    size = np.full(n_series, np.nan)
    interval = np.full(n_series, np.nan)
    since = np.zeros(n_series)  # known periods since the last demand
    seen = np.zeros(n_series, dtype=bool)
    out = _empty_state(CrostonState, int(record.sum()), n_series)
    for t in range(values.shape[0]):
        x = values[t]
        known = ~np.isnan(x)
        since += known
        seen |= known
        demand = known & (x > 0)
        if demand.any():
            first = demand & np.isnan(size)
            again = demand & ~first
            size[first] = x[first]
            interval[first] = since[first]
            size[again] += alpha * (x[again] - size[again])
            interval[again] += alpha_interval * (since[again] - interval[again])
            since[demand] = 0.0
        if record[t]:
            out.size[slot[t]] = size
            out.interval[slot[t]] = interval
            out.seen[slot[t]] = seen
    return CrostonState(out.size[order], out.interval[order], out.seen[order])


def tsb_state(
    values: np.ndarray, alpha: float, beta: float, at: np.ndarray | None = None
) -> TSBState:
    """TSB's smoothed demand probability and size of a (periods x series) history, after each
    period in ``at`` (all if None).

    Every known period after the first demand: ``probability += beta * (d - probability)``
    with ``d`` 1 on a demand period and 0 otherwise; on a demand period also ``size +=
    alpha * (demand - size)``. A long run of zeros decays the probability geometrically, so
    the forecast of an obsolete item goes to zero.
    """
    values = np.asarray(values, dtype="float64")
    record, slot, order = _recorded(values, at)
    n_series = values.shape[1]
    size = np.full(n_series, np.nan)
    probability = np.full(n_series, np.nan)
    since = np.zeros(n_series)  # known periods before the first demand (then unused)
    seen = np.zeros(n_series, dtype=bool)
    out = _empty_state(TSBState, int(record.sum()), n_series)
    for t in range(values.shape[0]):
        x = values[t]
        known = ~np.isnan(x)
        seen |= known
        demand = known & (x > 0)
        started = ~np.isnan(size)
        update = known & started
        probability[update] += beta * (demand[update] - probability[update])
        again = demand & started
        size[again] += alpha * (x[again] - size[again])
        pending = known & ~started
        since += pending
        first = demand & ~started
        size[first] = x[first]
        probability[first] = 1.0 / since[first]
        if record[t]:
            out.size[slot[t]] = size
            out.probability[slot[t]] = probability
            out.seen[slot[t]] = seen
    return TSBState(out.size[order], out.probability[order], out.seen[order])


def _flat(rate: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """No demand yet on a known history: 0; nothing known: NaN."""
    return np.where(seen, np.nan_to_num(rate, nan=0.0), np.nan)


def _positions(
    rows: pd.DataFrame, context: ForecastContext
) -> tuple[DemandHistory, np.ndarray, np.ndarray, np.ndarray]:
    """The history, the distinct origin positions and each row's (origin slot, series) pair."""
    origins = pd.DatetimeIndex(rows["origin"])
    history = DemandHistory(context.panel, context.frequency, until=origins.max())
    origin_pos = history.dates.get_indexer(origins)
    cols = history.series.get_indexer(pd.Index(rows["series_id"].astype(str)))
    unique, slot = np.unique(origin_pos, return_inverse=True)
    return history, unique, slot.reshape(-1), cols


class _Intermittent(Forecaster):
    def fit(self, train: pd.DataFrame, context: ForecastContext) -> _Intermittent:
        return self  # a local filter: everything is computed from the history at prediction

    def _rates(self, values: np.ndarray, at: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def predict(self, rows: pd.DataFrame, context: ForecastContext) -> np.ndarray:
        if len(rows) == 0:
            return np.empty(0)
        history, unique, slot, cols = _positions(rows, context)
        inside = unique >= 0
        rates = np.full((len(unique), history.values.shape[1]), np.nan)
        if inside.any():
            rates[inside] = self._rates(history.values, unique[inside])
        return gather(rates, slot, cols)


class CrostonForecaster(_Intermittent):
    """Croston's method: smoothed size over smoothed interval, flat over the horizon.

    Parameters: ``alpha`` (size smoothing, default 0.1), ``alpha_interval`` (interval
    smoothing, default ``alpha``) and ``variant``: ``sba`` (default, the Syntetos-Boylan
    approximation, multiplying by ``1 - alpha_interval / 2``, which removes Croston's upward
    bias; with one ``alpha`` this is ``1 - alpha / 2``) or ``classic``.
    """

    name = "croston"
    version = 1

    def _rates(self, values: np.ndarray, at: np.ndarray) -> np.ndarray:
        alpha = float(self.params.get("alpha", 0.1))
        alpha_interval = self.params.get("alpha_interval")
        alpha_interval = alpha if alpha_interval is None else float(alpha_interval)
        variant = self.params.get("variant", "sba")
        if variant not in VARIANTS:
            raise ValueError(f"croston: variant '{variant}' is not one of {VARIANTS}")
        state = croston_state(values, alpha, alpha_interval, at)
        factor = 1.0 - alpha_interval / 2.0 if variant == "sba" else 1.0
        return _flat(factor * state.size / state.interval, state.seen)


class TSBForecaster(_Intermittent):
    """Teunter-Syntetos-Babai: smoothed demand probability (``beta``, default 0.05, updated
    every known period) times smoothed size (``alpha``, default 0.1, updated on demand
    periods), flat over the horizon; decays towards zero after long runs of zeros."""

    name = "tsb"
    version = 1

    def _rates(self, values: np.ndarray, at: np.ndarray) -> np.ndarray:
        alpha = float(self.params.get("alpha", 0.1))
        beta = float(self.params.get("beta", 0.05))
        state = tsb_state(values, alpha, beta, at)
        return _flat(state.probability * state.size, state.seen)
