"""Transforms fitted on training data only (demand up to a cutoff) and applied unchanged at
prediction time: per-series target statistics, intermittency class, STL strengths, seasonality
indices, and the encoders of static attributes."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsmodels.tsa.seasonal import STL

from ..panel.contract import DATE, DEMAND, IS_CLOSED, SERIES_ID, known_demand
from ..panel.periods import Frequency

logger = logging.getLogger(__name__)
STL_COLUMNS = ("stl_trend_strength", "stl_seasonal_strength")

# Syntetos-Boylan cut-offs between the four demand classes.
ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49
DEMAND_CLASSES = ("smooth", "intermittent", "erratic", "lumpy")


@dataclass
class FeatureTransforms:
    """Everything learned from training data that features need at prediction time."""

    cutoff: pd.Timestamp
    frequency: str
    profile: pd.DataFrame  # one row per series_id
    season_index: pd.DataFrame  # series_id x season position (weekday or week of year)
    month_index: pd.DataFrame  # series_id x month 1..12
    encoders: dict[str, list[str]] = field(default_factory=dict)
    numeric_attributes: list[str] = field(default_factory=list)


def open_demand(panel: pd.DataFrame) -> pd.Series:
    """Demand of known, open periods (records and filled zero days); NaN elsewhere (closures
    and unknown periods are not zero demand)."""
    usable = known_demand(panel) & ~panel[IS_CLOSED]
    return panel[DEMAND].where(usable)


def demand_class(adi: np.ndarray, cv2: np.ndarray) -> np.ndarray:
    """0 smooth, 1 intermittent, 2 erratic, 3 lumpy (NaN inputs count as smooth)."""
    return (np.nan_to_num(adi) >= ADI_CUTOFF).astype(int) + 2 * (
        np.nan_to_num(cv2) >= CV2_CUTOFF
    ).astype(int)


def intermittency(values: pd.DataFrame) -> pd.DataFrame:
    """Zero share, ADI and CV^2 of non-zero demand, per column of a date x series matrix."""
    periods = values.notna().sum()
    nonzero = (values > 0).sum()
    sizes = values.where(values > 0)
    cv2 = (sizes.std() / sizes.mean()) ** 2
    adi = periods / nonzero.where(nonzero > 0)
    return pd.DataFrame(
        {
            "zero_share": 1 - nonzero / periods.where(periods > 0),
            "adi": adi,
            "cv2": cv2,
        }
    )


def _stl_chunk(values: np.ndarray, period: int) -> np.ndarray:
    """Trend and seasonal strength for each column of a gap-free (time x series) block."""
    result = np.empty((values.shape[1], 2))
    for column in range(values.shape[1]):
        fit = STL(values[:, column], period=period, robust=False).fit()
        remainder_var = np.var(fit.resid)
        trend_var = np.var(fit.trend + fit.resid)
        season_var = np.var(fit.seasonal + fit.resid)
        result[column] = [
            max(0.0, 1 - remainder_var / trend_var) if trend_var > 0 else 0.0,
            max(0.0, 1 - remainder_var / season_var) if season_var > 0 else 0.0,
        ]
    return result


def stl_strengths(values: pd.DataFrame, period: int) -> pd.DataFrame:
    """STL trend and seasonal strength (Wang, Smith & Hyndman) per column.

    STL fits one series at a time (about 4 ms each; worker processes cost more than they
    save at this size). Series with fewer than two full seasons get NaN.
    """
    result = pd.DataFrame(np.nan, index=values.columns, columns=list(STL_COLUMNS))
    enough = (values.notna().sum() >= 2 * period + 1).to_numpy()
    if enough.any():
        filled = values.loc[:, enough].interpolate(limit_direction="both").to_numpy()
        result.loc[values.columns[enough]] = _stl_chunk(filled, period)
    return result


def _index_table(frame: pd.DataFrame, position: str, mean: pd.Series) -> pd.DataFrame:
    by_position = frame.groupby([SERIES_ID, position])["y"].mean().unstack(position)
    return by_position.div(mean.reindex(by_position.index), axis=0)


def fit_transforms(
    panel: pd.DataFrame,
    attributes: pd.DataFrame,
    cutoff: str | pd.Timestamp,
    frequency: str,
    stl_period: int,
    stl_history: int,
) -> FeatureTransforms:
    """Learn the static transforms from panel rows dated on or before ``cutoff``."""
    cutoff = pd.Timestamp(cutoff)
    train = panel.loc[panel[DATE] <= cutoff, [SERIES_ID, DATE]].assign(
        y=open_demand(panel.loc[panel[DATE] <= cutoff])
    )
    wide = train.pivot(index=DATE, columns=SERIES_ID, values="y").sort_index()
    series = pd.Index(sorted(panel[SERIES_ID].unique()), name=SERIES_ID)

    stats = train.groupby(SERIES_ID)["y"].agg(target_mean="mean", target_std="std")
    stats["scale"] = train["y"].abs().groupby(train[SERIES_ID]).mean()
    strengths = stl_strengths(wide.tail(stl_history), stl_period)
    if strengths.isna().all().all():
        # No series has two full seasons: a column the median cannot fill is no feature.
        logger.info(
            "STL strengths dropped: no series has %d %s (two seasons and one) of history "
            "in the %d before %s",
            2 * stl_period + 1,
            Frequency.of(frequency).unit,
            stl_history,
            cutoff.date(),
        )
        strengths = strengths.iloc[:, :0]
    profile = stats.join(intermittency(wide)).join(strengths)
    profile = profile.reindex(series)
    # Series first seen after the cutoff borrow the median series' statistics.
    profile = profile.fillna(profile.median(numeric_only=True))
    # A near-dead series (a few cents of sales) must not blow up demand / scale.
    floor = max(1e-3, 0.01 * float(profile["scale"].median()))
    profile["scale"] = profile["scale"].clip(lower=floor)
    profile["demand_class"] = demand_class(profile["adi"].to_numpy(), profile["cv2"].to_numpy())

    train["season"] = Frequency.of(frequency).season_position(train[DATE])
    train["month"] = train[DATE].dt.month
    mean = stats["target_mean"].where(stats["target_mean"] != 0)
    season_index = _index_table(train, "season", mean).reindex(series)
    month_index = _index_table(train, "month", mean).reindex(series)

    attributes = attributes.drop_duplicates(SERIES_ID)
    categorical = [
        c
        for c in attributes.columns
        if c != SERIES_ID
        and not pd.api.types.is_numeric_dtype(attributes[c])
        and not pd.api.types.is_bool_dtype(attributes[c])
    ]
    numeric = [c for c in attributes.columns if c != SERIES_ID and c not in categorical]
    encoders = {
        c: sorted(attributes[c].dropna().astype(str).unique().tolist()) for c in categorical
    }
    return FeatureTransforms(
        cutoff, frequency, profile.reset_index(), season_index, month_index, encoders, numeric
    )


def encode_attributes(attributes: pd.DataFrame, transforms: FeatureTransforms) -> pd.DataFrame:
    """Static attributes as numbers: ordinal codes for categories (-1 when unseen)."""
    attributes = attributes.drop_duplicates(SERIES_ID).set_index(SERIES_ID)
    encoded = pd.DataFrame(index=attributes.index)
    for column, categories in transforms.encoders.items():
        codes = pd.Index(categories).get_indexer(attributes[column].astype(str))
        encoded[f"{column}_code"] = codes.astype("int64")
    for column in transforms.numeric_attributes:
        encoded[column] = pd.to_numeric(attributes[column], errors="coerce").astype("float64")
    return encoded
