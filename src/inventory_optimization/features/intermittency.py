"""Intermittency of open-period demand over the trailing window ending at the origin: zero
share, ADI, CV² of non-zero sizes and the Syntetos-Boylan class (family ``intermittency``)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .catalog import FamilyColumns, FeatureCatalog
from .grid import Grid
from .profile import demand_class
from .wide import nan_ratio, reduce, trailing

FAMILY = "intermittency"


def intermittency_columns(
    grid: Grid, params: Mapping, catalog: FeatureCatalog
) -> dict[str, np.ndarray]:
    """Four columns named after ``params["intermittency_window"]``, e.g. ``adi_91``."""
    window = params["intermittency_window"]
    stack = trailing(grid.open_demand, grid.origin_pos, window)
    open_count = np.sum(~np.isnan(stack), axis=1).astype(float)
    nonzero = np.sum(stack > 0, axis=1).astype(float)
    sizes = np.where(stack > 0, stack, np.nan)
    zero_share = 1 - nan_ratio(nonzero, open_count)
    adi = nan_ratio(open_count, nonzero)
    cv2 = nan_ratio(reduce(sizes, "std"), reduce(sizes, "mean")) ** 2
    states = {
        "zero_share": (
            zero_share,
            f"share of open periods with zero demand over the last {window}",
        ),
        "adi": (adi, "average inter-demand interval: open periods per non-zero period"),
        "cv2": (cv2, "squared coefficient of variation of non-zero demand sizes"),
        "demand_class": (
            demand_class(adi, cv2),
            "Syntetos-Boylan class: 0 smooth, 1 intermittent, 2 erratic, 3 lumpy",
        ),
    }
    out = FamilyColumns(catalog)
    for name, (state, description) in states.items():
        out.put(
            f"{name}_{window}",
            grid.rows.at_origin(state),
            FAMILY,
            description,
            window=grid.span(window),
        )
    return out.columns
