"""Small hand-made demand panels for the feature engineering tests.

Every panel follows the contract of ``panel/contract.py``: ``series_id``, the key ``store_id``,
``date``, ``demand``, covariates (known in advance: ``promo``, ``price``; past-only:
``temperature``) and the flags ``is_observed``, ``is_closed``, ``is_outlier``. Values are chosen
so that features can be checked by hand: most series sell ``index + 1`` units in period
``index`` (1, 2, 3, ...), so a value names the period it was read from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from inventory_optimization.features import FeatureTransforms, build_model_input, fit_transforms

DAILY_START = pd.Timestamp("2024-01-01")  # a Monday; 60 days to 2024-02-29 (leap day)
DAILY_DAYS = 60
DAILY_ORIGINS = pd.DatetimeIndex(
    ["2024-01-17", "2024-01-31", "2024-02-07", "2024-02-15", "2024-02-29"]
)
DAILY_HORIZON = 14
DAILY_CUTOFF = pd.Timestamp("2024-01-17")

WEEKLY_START = pd.Timestamp("2010-02-05")  # a Friday; 140 weeks to 2012-10-05
WEEKLY_WEEKS = 140
WEEKLY_ORIGINS = pd.DatetimeIndex(["2012-03-30", "2012-06-29", "2012-10-05"])
WEEKLY_HORIZON = 13
WEEKLY_CUTOFF = pd.Timestamp("2012-03-30")

STATS = ["mean", "std", "min", "max", "median"]
DAILY_PARAMS = {
    "lags": [1, 2, 3, 7, 14],
    "seasonal_lags": [7],
    "rolling_windows": [7, 14, 28],
    "rolling_stats": STATS,
    "ewm_halflives": [7],
    "diff_lags": [1, 7],
    "intermittency_window": 28,
    "stl_period": 7,
    "stl_history": 56,
    "paydays": [15, -1],
    "future_fill": {"promo": 0},
    "interactions": [["promo", "day_of_week"], ["is_holiday", "store_type"]],
    "scaled": True,
}
WEEKLY_PARAMS = {
    "lags": [1, 2, 4, 8],
    "seasonal_lags": [52],
    "rolling_windows": [4, 13, 26],
    "rolling_stats": STATS,
    "ewm_halflives": [4],
    "diff_lags": [1, 4],
    "intermittency_window": 26,
    "stl_period": 52,
    "stl_history": 156,
    "paydays": [15, -1],
    "future_fill": {"promo": 0},
    "interactions": [["promo", "day_of_week"]],
    "scaled": True,
}


def make_series(
    series_id: str,
    demand: Sequence[float],
    start: str | pd.Timestamp,
    frequency: str = "D",
    *,
    closed: Sequence[int] = (),
    unobserved: Sequence[int] = (),
    promo: Sequence[float] | float = 0.0,
    price: Sequence[float] | float = 10.0,
    temperature: Sequence[float] | None = None,
) -> pd.DataFrame:
    """One series of the panel. ``closed`` periods (by position) sell 0 and are flagged closed;
    ``unobserved`` periods have no record (demand NaN). Temperature defaults to 100 + position,
    so each period's value is distinct."""
    n = len(demand)
    values = np.asarray(demand, dtype="float64").copy()
    is_closed = np.zeros(n, dtype=bool)
    is_closed[list(closed)] = True
    is_observed = np.ones(n, dtype=bool)
    is_observed[list(unobserved)] = False
    values[is_closed] = 0.0
    values[~is_observed] = np.nan
    return pd.DataFrame(
        {
            "series_id": series_id,
            "store_id": f"S_{series_id}",
            "date": pd.date_range(start, periods=n, freq=frequency),
            "demand": values,
            "promo": np.broadcast_to(np.asarray(promo, dtype="float64"), n),
            "price": np.broadcast_to(np.asarray(price, dtype="float64"), n),
            "temperature": (
                100.0 + np.arange(n) if temperature is None else np.asarray(temperature, float)
            ),
            "is_observed": is_observed,
            "is_closed": is_closed,
            "is_outlier": False,
        }
    )


def make_panel(*series: pd.DataFrame) -> pd.DataFrame:
    panel = pd.concat(series, ignore_index=True)
    return panel.sort_values(["series_id", "date"], ignore_index=True)


def make_metadata(frequency: str, country: str | None = None) -> dict:
    return {
        "frequency": frequency,
        "keys": ["store_id"],
        "known_covariates": ["promo", "price"],
        "past_covariates": ["temperature"],
        "country": country,
    }


def make_attributes(panel: pd.DataFrame) -> pd.DataFrame:
    series = sorted(panel["series_id"].unique())
    return pd.DataFrame(
        {
            "series_id": series,
            "store_type": ["A" if i % 2 == 0 else "B" for i in range(len(series))],
            "store_size": [1000.0 * (i + 1) for i in range(len(series))],
        }
    )


@dataclass
class Case:
    """A panel and everything built from it."""

    panel: pd.DataFrame
    attributes: pd.DataFrame
    metadata: dict
    params: dict
    origins: pd.DatetimeIndex
    horizon: int
    transforms: FeatureTransforms
    model_input: pd.DataFrame
    catalog: pd.DataFrame

    def rebuild(self, panel: pd.DataFrame) -> pd.DataFrame:
        """The model input of another panel with the same transforms, origins and settings."""
        model_input, _ = build_model_input(
            panel,
            self.attributes,
            self.metadata,
            self.transforms,
            self.origins,
            self.horizon,
            self.params,
        )
        return model_input

    def rows(self, series_id: str, origin: str) -> pd.DataFrame:
        """The rows of one series and origin, ordered by horizon."""
        frame = self.model_input
        selected = frame[
            (frame["series_id"] == series_id) & (frame["origin"] == pd.Timestamp(origin))
        ]
        return selected.sort_values("horizon").reset_index(drop=True)

    def value(self, series_id: str, origin: str, column: str, horizon: int = 1) -> float:
        rows = self.rows(series_id, origin)
        return float(rows.loc[rows["horizon"] == horizon, column].iloc[0])


def build_case(
    panel: pd.DataFrame,
    metadata: dict,
    params: dict,
    origins: pd.DatetimeIndex,
    horizon: int,
    cutoff: pd.Timestamp,
) -> Case:
    attributes = make_attributes(panel)
    transforms = fit_transforms(
        panel,
        attributes,
        cutoff,
        metadata["frequency"],
        params["stl_period"],
        params["stl_history"],
    )
    model_input, catalog = build_model_input(
        panel, attributes, metadata, transforms, origins, horizon, params
    )
    return Case(
        panel, attributes, metadata, params, origins, horizon, transforms, model_input, catalog
    )


def daily_panel() -> pd.DataFrame:
    """Eight daily series from 2024-01-01 (position 0) to 2024-02-29 (position 59).

    - ``a``: demand = position + 1; price 12 on Jan 21, 8 on Feb 3, 9.5 on Feb 29, else 10;
      promo on Jan 25, Feb 5, Feb 10 and Feb 29.
    - ``b``: as ``a`` but closed on Jan 29 (position 28).
    - ``c``: intermittent: sells only every 7th day (positions 6, 13, ...), sizes 2, 4, 6, 8.
    - ``e``: erratic: 1 and 10 on alternate days. ``l``: lumpy: as ``c`` with sizes 1, 1, 1, 20.
    - ``g``: as ``a`` but no records on Jan 30 and Jan 31 (positions 29, 30: demand unknown).
    - ``late``: starts on Jan 20, sells 5 a day. ``dead``: sells 3 a day and ends on Feb 20.
    """
    n = DAILY_DAYS
    position = np.arange(n)
    rising = position + 1.0
    price = np.full(n, 10.0)
    price[[20, 33, 59]] = [12.0, 8.0, 9.5]
    promo = np.zeros(n)
    promo[[24, 35, 40, 59]] = 1.0
    weekly_sale = position % 7 == 6
    cycle = (position // 7) % 4
    intermittent = np.where(weekly_sale, np.array([2.0, 4.0, 6.0, 8.0])[cycle], 0.0)
    lumpy = np.where(weekly_sale, np.array([1.0, 1.0, 1.0, 20.0])[cycle], 0.0)
    erratic = np.where(position % 2 == 0, 1.0, 10.0)
    return make_panel(
        make_series("a", rising, DAILY_START, price=price, promo=promo),
        make_series("b", rising, DAILY_START, closed=[28]),
        make_series("c", intermittent, DAILY_START),
        make_series("e", erratic, DAILY_START),
        make_series("l", lumpy, DAILY_START),
        make_series("g", rising, DAILY_START, unobserved=[29, 30]),
        make_series("late", np.full(41, 5.0), "2024-01-20"),
        make_series("dead", np.full(51, 3.0), DAILY_START),
    )


def weekly_panel() -> pd.DataFrame:
    """Three W-FRI series from 2010-02-05 (position 0) to 2012-10-05 (position 139).

    - ``w1``: demand = position + 1.
    - ``w2``: demand = 100 + position; closed in the week of 2012-06-15 (position 123), no
      record for 2012-06-22 (position 124).
    - ``w3``: starts on 2012-07-20 (position 128), sells 7 a week.
    """
    n = WEEKLY_WEEKS
    position = np.arange(n)
    return make_panel(
        make_series("w1", position + 1.0, WEEKLY_START, "W-FRI"),
        make_series("w2", 100.0 + position, WEEKLY_START, "W-FRI", closed=[123], unobserved=[124]),
        make_series("w3", np.full(n - 128, 7.0), "2012-07-20", "W-FRI"),
    )


@pytest.fixture(scope="session")
def daily() -> Case:
    return build_case(
        daily_panel(),
        make_metadata("D", country="PE"),
        DAILY_PARAMS,
        DAILY_ORIGINS,
        DAILY_HORIZON,
        DAILY_CUTOFF,
    )


@pytest.fixture(scope="session")
def weekly() -> Case:
    return build_case(
        weekly_panel(),
        make_metadata("W-FRI", country="US"),
        WEEKLY_PARAMS,
        WEEKLY_ORIGINS,
        WEEKLY_HORIZON,
        WEEKLY_CUTOFF,
    )


@pytest.fixture(scope="session")
def kit() -> SimpleNamespace:
    """The panel helpers and settings, for tests that build their own panels."""
    return SimpleNamespace(
        make_series=make_series,
        make_panel=make_panel,
        make_metadata=make_metadata,
        make_attributes=make_attributes,
        build_case=build_case,
        daily_params=DAILY_PARAMS,
        weekly_params=WEEKLY_PARAMS,
    )
