"""Static features from the transforms fitted on training data: the series profile, the
season and month indices of the target date, and the encoded static attributes (families
``series_profile``, ``seasonality``, ``static``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..panel.contract import SERIES_ID
from .catalog import STATIC, FamilyColumns, FeatureCatalog
from .grid import Grid
from .profile import FeatureTransforms, encode_attributes
from .wide import gather

PROFILE_DESCRIPTIONS = {
    "target_mean": "mean open-period demand of the series (training data)",
    "target_std": "standard deviation of open-period demand (training data)",
    "scale": "mean absolute open-period demand (training data): the series' scale",
    "zero_share": "share of zero-demand open periods (training data)",
    "adi": "average inter-demand interval (training data)",
    "cv2": "squared CV of non-zero demand sizes (training data)",
    "demand_class": "Syntetos-Boylan class (training data): smooth, intermittent, erratic, lumpy",
    "stl_trend_strength": "STL trend strength (training data)",
    "stl_seasonal_strength": "STL seasonal strength (training data)",
}


def series_profile(transforms: FeatureTransforms, series: pd.Index) -> pd.DataFrame:
    """The fitted profile, one row per series of the grid."""
    return transforms.profile.set_index(SERIES_ID).reindex(series)


def _index_at(index: pd.DataFrame, rows_series: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """A (series x position) index table at each row's series and position label."""
    return gather(index.to_numpy(), rows_series, index.columns.get_indexer(labels))


def static_columns(
    grid: Grid,
    attributes: pd.DataFrame,
    transforms: FeatureTransforms,
    catalog: FeatureCatalog,
) -> dict[str, np.ndarray]:
    """Profile columns (``series_*``), ``season_index``, ``month_index``, then attributes."""
    rows, series, dates = grid.rows, grid.series, grid.dates
    out = FamilyColumns(catalog)
    profile = series_profile(transforms, series)
    for column, description in PROFILE_DESCRIPTIONS.items():
        if column not in profile:  # STL strengths without two seasons of history
            continue
        out.put(
            f"series_{column}",
            profile[column].to_numpy()[rows.series],
            "series_profile",
            description,
            availability=STATIC,
            window=f"until {transforms.cutoff.date()}",
        )
    season = grid.frequency.season_position(dates)
    out.put(
        "season_index",
        _index_at(transforms.season_index.reindex(series), rows.series, season[rows.target_pos]),
        "seasonality",
        "series' mean demand in the target's season position "
        f"({grid.frequency.season_label}) over its overall mean (training data)",
        availability=STATIC,
    )
    out.put(
        "month_index",
        _index_at(
            transforms.month_index.reindex(series), rows.series, dates.month[rows.target_pos]
        ),
        "seasonality",
        "series' mean demand in the target's month over its overall mean (training data)",
        availability=STATIC,
    )
    encoded = encode_attributes(attributes, transforms).reindex(series)
    for column in encoded.columns:
        kind = "categorical code" if column.endswith("_code") else "numeric attribute"
        out.put(
            column,
            encoded[column].to_numpy(dtype=float)[rows.series],
            "static",
            f"static {kind} '{column.removesuffix('_code')}' of the series "
            "(ordinal code: trees use it directly, the LSTM as an embedding index; -1 unseen)",
            sources=(column.removesuffix("_code"),),
            availability=STATIC,
        )
    return out.columns
