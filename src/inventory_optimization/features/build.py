"""The model input table: one row per (series, forecast origin, horizon step).

Strategy: **direct, origin-relative features**. A row forecasts the demand of ``date`` =
``origin + horizon`` periods. Everything computed from demand (lags, rolling windows, EWM,
differences, intermittency, past-only covariates) is read at the origin, so it uses demand up to
and including the origin only; target-aligned seasonal lags are taken from the most recent
period on or before the origin. Only known-in-advance covariates and the calendar are read at
the target date. One global model per family learns every horizon, with ``horizon`` as a
feature; cross-validation folds and the final forecast are simply other origins of this table.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..panel.contract import DATE, DEMAND, IS_CLOSED, IS_KNOWN, IS_OBSERVED, SERIES_ID
from ..panel.periods import Frequency
from .calendar_features import calendar_columns
from .catalog import KNOWN, FamilyColumns, FeatureCatalog
from .covariates import covariate_columns
from .derived import derived_columns
from .grid import Grid
from .history import history_columns
from .intermittency import intermittency_columns
from .profile import FeatureTransforms
from .static import static_columns

KEY_COLUMNS = [SERIES_ID, "origin", DATE, "horizon"]
TARGET_COLUMNS = [DEMAND, IS_CLOSED, IS_OBSERVED, IS_KNOWN]


def forecast_origins(
    panel_end: pd.Timestamp,
    protocol_origin: pd.Timestamp,
    frequency: str,
    step: int,
    count: int,
    fold_origins: list[pd.Timestamp] | tuple = (),
) -> pd.DatetimeIndex:
    """``count`` origins every ``step`` periods ending at the protocol origin, the
    cross-validation fold origins, and the live origin (the panel's last date) from which the
    plan's forecast is made."""
    period = Frequency.of(frequency)
    history = [period.shift(protocol_origin, -k * step) for k in range(count)]
    return pd.DatetimeIndex(sorted({*history, *map(pd.Timestamp, fold_origins), panel_end}))


class HistoryTooShortError(ValueError):
    """The configured origins, folds and horizon need more history than the panel holds."""


def check_origins(
    first_date: pd.Timestamp,
    last_date: pd.Timestamp,
    frequency: str,
    protocol_origin: pd.Timestamp,
    origins: pd.DatetimeIndex,
    block: str,
) -> None:
    """Refuse, in one sentence with the numbers and the parameter to change, a protocol origin
    outside the panel or off its grid, and origins (history and CV folds) before its start."""
    period = Frequency.of(frequency)
    first, last, origin = pd.Timestamp(first_date), pd.Timestamp(last_date), protocol_origin
    available = int(period.periods_between(first, last)) + 1
    span = f"{first.date()} to {last.date()}"
    if not first <= origin <= last or not period.is_on_grid(origin):
        raise HistoryTooShortError(
            f"protocol.origin {origin.date()} is not a period of the panel ({span}: "
            f"{available} {period.labels}); set protocol.origin to a date of the panel between "
            f"{first.date()} and {last.date()}."
        )
    earliest = origins.min()
    if earliest < first:
        needed = int(period.periods_between(earliest, last)) + 1
        raise HistoryTooShortError(
            f"The panel holds {available} {period.unit} ({span}), but the configured origins "
            f"need {needed}: the earliest, {earliest.date()}, is before the data starts; lower "
            f"features.origins.{block}.count or .step, cross_validation.n_folds or .step, or "
            f"set protocol.origin later (under origin: auto, a shorter protocol.horizon)."
        )


def fold_origins(
    protocol_origin: pd.Timestamp, frequency: str, n_folds: int, step: int
) -> list[pd.Timestamp]:
    """Origins of the rolling cross-validation folds, latest first, before the protocol's."""
    period = Frequency.of(frequency)
    return [period.shift(pd.Timestamp(protocol_origin), -k * step) for k in range(1, n_folds + 1)]


def _horizon_column(grid: Grid, catalog: FeatureCatalog) -> dict[str, np.ndarray]:
    """``horizon`` leads the catalog; the table carries it as an int16 key column, so its
    float32 copy is only seen by the derived family (interactions)."""
    out = FamilyColumns(catalog)
    out.put(
        "horizon",
        grid.rows.horizon,
        "horizon",
        "periods from the forecast origin to the target date",
        sources=(),
        availability=KNOWN,
    )
    return out.columns


def _keys_and_targets(grid: Grid, panel: pd.DataFrame, key_columns: list[str]) -> pd.DataFrame:
    rows, series, dates = grid.rows, grid.series, grid.dates
    table = pd.DataFrame(
        {
            SERIES_ID: pd.Categorical.from_codes(rows.series, categories=series),
            "origin": dates[rows.origin_pos],
            DATE: dates[rows.target_pos],
            "horizon": rows.horizon.astype("int16"),
            DEMAND: rows.at_target(grid.demand),
            IS_CLOSED: rows.at_target(grid.closed) == 1,
            IS_OBSERVED: rows.at_target(grid.observed) == 1,
            IS_KNOWN: rows.at_target(grid.known) == 1,
        }
    )
    keys = panel.drop_duplicates(SERIES_ID).set_index(SERIES_ID)[list(key_columns)]
    for key in reversed(key_columns):
        codes, labels = pd.factorize(keys[key].reindex(series), sort=True)
        table.insert(1, key, pd.Categorical.from_codes(codes[rows.series], categories=labels))
    return table


def future_closures(metadata: Mapping) -> dict:
    """The closures after the panel's end that a source recorded in ``panel_metadata``
    (``inferred.closures``: ``dates``, ``annual`` ``MM-DD`` and per-``series`` ISO days);
    empty when it recorded none."""
    return dict((metadata.get("inferred") or {}).get("closures") or {})


def frequency_settings(features: Mapping, frequency: str) -> dict:
    """The feature parameters for ``frequency``: the shared ones with the frequency's block
    (``daily``, ``weekly`` or ``monthly``: lags, windows, origins) laid over them."""
    block = Frequency.of(frequency).parameter_block
    return {**features, **features[block], "origins": features["origins"][block]}


def build_model_input(
    panel: pd.DataFrame,
    attributes: pd.DataFrame,
    metadata: Mapping,
    transforms: FeatureTransforms,
    origins: pd.DatetimeIndex,
    horizon: int,
    params: Mapping,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build the model input and its feature catalog.

    ``params`` holds the frequency's feature settings (lags, windows, ...) plus ``paydays``,
    ``future_fill``, ``interactions`` and ``scaled``. Target dates after the panel's end that
    ``metadata`` declares closed (``future_closures``) get ``is_closed``, so the live forecast
    is zero on them.
    """
    frequency = Frequency.of(metadata["frequency"])
    catalog = FeatureCatalog(frequency.code)
    grid = Grid(panel, origins, horizon, frequency, closures=future_closures(metadata))

    features = _horizon_column(grid, catalog)
    features |= history_columns(grid, params, catalog)
    features |= intermittency_columns(grid, params, catalog)
    features |= covariate_columns(grid, panel, metadata, params, catalog)
    features |= calendar_columns(grid, metadata.get("country"), params.get("paydays", ()), catalog)
    features |= static_columns(grid, attributes, transforms, catalog)
    features |= derived_columns(grid, features, transforms, params, catalog)

    table = _keys_and_targets(grid, panel, metadata["keys"])
    del features["horizon"]
    clash = set(features) & set(table.columns)
    if clash:
        raise ValueError(f"feature names {sorted(clash)} clash with key or target columns")
    model_input = pd.concat([table, pd.DataFrame(features)], axis=1)
    return model_input, catalog.to_frame()


def feature_columns(model_input: pd.DataFrame) -> list[str]:
    """Feature columns of a model input table: numeric columns other than keys and targets
    (the panel's key columns are categorical labels, encoded separately as ``*_code``)."""
    excluded = {*KEY_COLUMNS, *TARGET_COLUMNS}
    numeric = [
        c
        for c in model_input.columns
        if c not in excluded and pd.api.types.is_numeric_dtype(model_input[c])
    ]
    return ["horizon", *numeric]
