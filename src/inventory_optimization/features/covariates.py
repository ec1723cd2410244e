"""Covariates: known-in-advance ones read on the target date (carried past the data's end by
``future_fill``), past-only ones read at the origin, and the price and promotion features built
from ``price`` and ``promo`` (families ``known_covariate``, ``past_covariate``,
``price_promo``)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .catalog import KNOWN, FamilyColumns, FeatureCatalog
from .grid import Grid
from .wide import nan_ratio


def _known(
    grid: Grid, panel: pd.DataFrame, columns: list[str], future_fill: Mapping, out: FamilyColumns
) -> dict[str, np.ndarray]:
    rows = grid.rows
    known = {}
    for column in columns:
        values, name = panel[column], column
        if not pd.api.types.is_numeric_dtype(values):
            values, name = pd.Categorical(values.astype(str)).codes, f"{column}_code"
        matrix = grid.wide.matrix(values)
        if grid.end_pos + 1 < len(grid.dates):
            matrix[grid.end_pos + 1 :] = future_fill.get(column, np.nan)
            if column not in future_fill:
                matrix = pd.DataFrame(matrix).ffill().to_numpy()
        known[column] = matrix
        out.put(
            name,
            rows.at_target(matrix),
            "known_covariate",
            f"'{column}' on the target date (known in advance; after the data ends: "
            f"{future_fill.get(column, 'last value carried forward')})",
            sources=(column,),
            availability=KNOWN,
        )
    return known


def _past(
    grid: Grid, panel: pd.DataFrame, columns: list[str], short: int, out: FamilyColumns
) -> None:
    for column in columns:
        matrix = grid.wide.matrix(panel[column])
        out.put(
            f"{column}_at_origin",
            grid.rows.read(matrix, grid.rows.origin_pos),
            "past_covariate",
            f"'{column}' on the origin date (past-only: never read after the origin)",
            sources=(column,),
        )
        out.put(
            f"{column}_mean_{short}",
            grid.window_stat(matrix, short, "mean"),
            "past_covariate",
            f"mean of '{column}' over the {short} periods ending at the origin",
            sources=(column,),
            window=grid.span(short),
        )


def _price(grid: Grid, price: np.ndarray, params: Mapping, out: FamilyColumns) -> None:
    reference_window, long_window = params["rolling_windows"][1], params["rolling_windows"][-1]
    target_price = grid.rows.at_target(price)
    out.put(
        "price_ratio",
        nan_ratio(target_price, grid.window_stat(price, reference_window, "mean")),
        "price_promo",
        f"target-date price over its mean in the {reference_window} periods ending at the origin",
        sources=("price",),
        availability=KNOWN,
    )
    out.put(
        "discount_depth",
        np.clip(1 - nan_ratio(target_price, grid.window_stat(price, long_window, "max")), 0, 1),
        "price_promo",
        f"1 - target-date price / highest price of the {long_window} periods ending at the origin",
        sources=("price",),
        availability=KNOWN,
    )


def _promo(grid: Grid, promo: np.ndarray, out: FamilyColumns) -> None:
    rows = grid.rows
    on_promo = np.where(promo > 0, np.arange(len(grid.dates))[:, None], np.nan)
    last_promo = pd.DataFrame(on_promo).ffill().shift(1).to_numpy()
    next_promo = pd.DataFrame(on_promo).bfill().shift(-1).to_numpy()
    out.put(
        "periods_since_promo",
        rows.target_pos - rows.at_target(last_promo),
        "price_promo",
        "periods since the last promotion before the target date (the promotion calendar "
        "is known in advance)",
        sources=("promo",),
        availability=KNOWN,
    )
    out.put(
        "periods_until_promo",
        rows.at_target(next_promo) - rows.target_pos,
        "price_promo",
        "periods from the target date to the next promotion",
        sources=("promo",),
        availability=KNOWN,
    )


def covariate_columns(
    grid: Grid,
    panel: pd.DataFrame,
    metadata: Mapping,
    params: Mapping,
    catalog: FeatureCatalog,
) -> dict[str, np.ndarray]:
    """Known covariates, past covariates, then price and promotion features when the panel
    has ``price`` / ``promo`` among its known covariates."""
    out = FamilyColumns(catalog)
    future_fill = dict(params.get("future_fill") or {})
    known = _known(grid, panel, metadata["known_covariates"], future_fill, out)
    _past(grid, panel, metadata["past_covariates"], params["rolling_windows"][0], out)
    if "price" in known:
        _price(grid, known["price"], params, out)
    if "promo" in known:
        _promo(grid, known["promo"], out)
    return out.columns
