"""Features derived from the other families' columns: demand-level columns divided by the
series' training scale, and the configured pairwise interactions (families ``scaled`` and
``interaction``)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .catalog import KNOWN, FamilyColumns, FeatureCatalog
from .grid import Grid
from .profile import FeatureTransforms
from .static import series_profile

SCALED_PREFIXES = (
    "lag_",
    "seasonal_lag_",
    "rolling_mean_",
    "rolling_median_",
    "ewm_",
    "same_weekday_",
)


def derived_columns(
    grid: Grid,
    features: Mapping[str, np.ndarray],
    transforms: FeatureTransforms,
    params: Mapping,
    catalog: FeatureCatalog,
) -> dict[str, np.ndarray]:
    """``<name>_scaled`` for the demand-level columns among ``features`` (unless ``params``
    sets ``scaled: false``), then ``<left>_x_<right>`` for each of ``params["interactions"]``
    whose two columns exist (a categorical one under its ``_code`` name)."""
    out = FamilyColumns(catalog)
    if params.get("scaled", True):
        scale = series_profile(transforms, grid.series)["scale"].to_numpy()[grid.rows.series]
        for name in [n for n in features if n.startswith(SCALED_PREFIXES)]:
            out.put(
                f"{name}_scaled",
                features[name] / scale,
                "scaled",
                f"{name} divided by the series' training scale (scaler fitted on training "
                "data only)",
                window=catalog.window_of(name),
            )
    available = {**features, **out.columns}
    for left, right in params.get("interactions") or []:
        left_name = left if left in available else f"{left}_code"
        right_name = right if right in available else f"{right}_code"
        if left_name in available and right_name in available:
            out.put(
                f"{left}_x_{right}",
                available[left_name] * (available[right_name] + 1),
                "interaction",
                f"{left} x ({right} + 1)",
                sources=(left, right),
                availability=KNOWN,
            )
            available[f"{left}_x_{right}"] = out.columns[f"{left}_x_{right}"]
    return out.columns
