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

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..panel.cleaning import period_step
from ..panel.contract import DATE, DEMAND, IS_CLOSED, IS_OBSERVED, SERIES_ID
from .calendar_features import CALENDAR_DESCRIPTIONS, calendar_table
from .catalog import KNOWN, STATIC, FeatureCatalog
from .profile import (
    FeatureTransforms,
    demand_class,
    encode_attributes,
    open_demand,
    season_position,
)
from .wide import WideIndex, gather, nan_ratio, reduce, trailing, window_stats

KEY_COLUMNS = [SERIES_ID, "origin", DATE, "horizon"]
TARGET_COLUMNS = [DEMAND, IS_CLOSED, IS_OBSERVED]
SCALED_PREFIXES = (
    "lag_",
    "seasonal_lag_",
    "rolling_mean_",
    "rolling_median_",
    "ewm_",
    "same_weekday_",
)
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
    period = period_step(frequency)
    history = [protocol_origin - k * step * period for k in range(count)]
    return pd.DatetimeIndex(sorted({*history, *map(pd.Timestamp, fold_origins), panel_end}))


def fold_origins(
    protocol_origin: pd.Timestamp, frequency: str, n_folds: int, step: int
) -> list[pd.Timestamp]:
    """Origins of the rolling cross-validation folds, latest first, before the protocol's."""
    period = period_step(frequency)
    return [pd.Timestamp(protocol_origin) - k * step * period for k in range(1, n_folds + 1)]


class _Rows:
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
    ``future_fill``, ``interactions`` and ``scaled``.
    """
    frequency = metadata["frequency"]
    step = period_step(frequency)
    unit = "days" if frequency == "D" else "weeks"
    catalog = FeatureCatalog(frequency)
    panel_end = panel[DATE].max()
    dates = pd.date_range(
        panel[DATE].min(), max(panel_end, origins.max() + horizon * step), freq=step
    )
    series = pd.Index(sorted(panel[SERIES_ID].unique()), name=SERIES_ID)
    origin_pos = dates.get_indexer(origins)
    if (origin_pos < 0).any():
        raise ValueError(f"origins {list(origins[origin_pos < 0])} are not on the panel's dates")
    end_pos = dates.get_loc(panel_end)

    wide = WideIndex(panel, dates, series)
    y_raw = wide.matrix(panel[DEMAND])
    y_open = wide.matrix(open_demand(panel))
    observed = wide.matrix(panel[IS_OBSERVED])
    closed = wide.matrix(panel[IS_CLOSED])

    # Rows: a series exists from its first date; live rows run past the panel's end.
    first_pos = np.nanargmax(~np.isnan(observed), axis=0)
    last_pos = len(dates) - 1 - np.nanargmax(~np.isnan(observed[::-1]), axis=0)
    target_grid = origin_pos[:, None, None] + np.arange(1, horizon + 1)[None, None, :]
    alive = (target_grid >= first_pos[None, :, None]) & (
        (target_grid <= last_pos[None, :, None])
        | ((last_pos[None, :, None] == end_pos) & (target_grid > end_pos))
    )
    rows = _Rows(origin_pos, len(series), horizon, alive.ravel())

    features: dict[str, np.ndarray] = {}

    def put(name: str, values: np.ndarray, family: str, description: str, **spec) -> None:
        features[catalog.add(name, family, description, **spec)] = np.asarray(
            values, dtype="float32"
        )

    def window_stat(matrix: np.ndarray, window: int, stat: str, offset: int = 0) -> np.ndarray:
        return rows.at_origin(reduce(trailing(matrix, origin_pos, window, offset), stat))

    put(
        "horizon",
        rows.horizon,
        "horizon",
        "periods from the forecast origin to the target date",
        sources=(),
        availability=KNOWN,
    )

    # --- lags, rolling windows, EWM, differences: all read at or before the origin ---------
    for lag in params["lags"]:
        put(
            f"lag_{lag}",
            gather(y_raw, rows.origin_pos - (lag - 1), rows.series),
            "lag",
            f"demand {lag - 1} periods before the origin (lag {lag} of the first step)",
            window=f"{lag} {unit}",
        )
    for season_lag in params["seasonal_lags"]:
        # The latest period on or before the origin a whole number of seasons before the target.
        back = season_lag * np.ceil(rows.horizon / season_lag).astype(int)
        put(
            f"seasonal_lag_{season_lag}",
            gather(y_raw, rows.target_pos - back, rows.series),
            "lag",
            f"demand at the same position of the most recent {season_lag}-period "
            "season known at the origin",
            window=f"{season_lag} {unit}",
        )
    if frequency == "D" and 7 in params["seasonal_lags"]:
        back = 7 * np.ceil(rows.horizon / 7).astype(int)
        same_weekday = np.stack(
            [gather(y_open, rows.target_pos - back - 7 * k, rows.series) for k in range(4)]
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            put(
                "same_weekday_mean_4",
                np.nanmean(same_weekday, axis=0),
                "seasonality",
                "mean open-day demand of the target's weekday over the 4 weeks before the origin",
                window="28 days",
            )

    for window in params["rolling_windows"]:
        stats = window_stats(trailing(y_open, origin_pos, window), params["rolling_stats"])
        for stat, values in stats.items():
            put(
                f"rolling_{stat}_{window}",
                rows.at_origin(values),
                "rolling",
                f"{stat} of open-period demand over the {window} periods ending at the origin",
                window=f"{window} {unit}",
            )
    for halflife in params["ewm_halflives"]:
        ewm = pd.DataFrame(y_open).ewm(halflife=halflife, ignore_na=True).mean().to_numpy()
        put(
            f"ewm_{halflife}",
            rows.at_origin(ewm[origin_pos]),
            "ewm",
            f"exponentially weighted mean of open-period demand, half-life {halflife} periods",
            window=f"halflife {halflife} {unit}",
        )
    for lag in params["diff_lags"]:
        put(
            f"diff_{lag}",
            gather(y_raw, rows.origin_pos, rows.series)
            - gather(y_raw, rows.origin_pos - lag, rows.series),
            "difference",
            f"demand at the origin minus demand {lag} periods earlier",
            window=f"{lag} {unit}",
        )
    short = params["rolling_windows"][0]
    put(
        f"pct_change_{short}",
        nan_ratio(
            window_stat(y_open, short, "mean"), window_stat(y_open, short, "mean", offset=short)
        )
        - 1,
        "difference",
        f"relative change of the {short}-period mean against the {short} periods before",
        window=f"{2 * short} {unit}",
    )
    last_seen = pd.DataFrame(np.where(observed == 1, np.arange(len(dates))[:, None], np.nan))
    put(
        "periods_since_observed",
        rows.origin_pos - rows.at_origin(last_seen.ffill().to_numpy()[origin_pos]),
        "history",
        "periods between the origin and the series' last observed record",
    )

    # --- intermittency over a trailing window ----------------------------------------------
    window = params["intermittency_window"]
    stack = trailing(y_open, origin_pos, window)
    open_count = np.sum(~np.isnan(stack), axis=1).astype(float)
    nonzero = np.sum(stack > 0, axis=1).astype(float)
    sizes = np.where(stack > 0, stack, np.nan)
    zero_share = 1 - nan_ratio(nonzero, open_count)
    adi = nan_ratio(open_count, nonzero)
    cv2 = nan_ratio(reduce(sizes, "std"), reduce(sizes, "mean")) ** 2
    family = "intermittency"
    put(
        f"zero_share_{window}",
        rows.at_origin(zero_share),
        family,
        f"share of open periods with zero demand over the last {window}",
        window=f"{window} {unit}",
    )
    put(
        f"adi_{window}",
        rows.at_origin(adi),
        family,
        "average inter-demand interval: open periods per non-zero period",
        window=f"{window} {unit}",
    )
    put(
        f"cv2_{window}",
        rows.at_origin(cv2),
        family,
        "squared coefficient of variation of non-zero demand sizes",
        window=f"{window} {unit}",
    )
    put(
        f"demand_class_{window}",
        rows.at_origin(demand_class(adi, cv2)),
        family,
        "Syntetos-Boylan class: 0 smooth, 1 intermittent, 2 erratic, 3 lumpy",
        window=f"{window} {unit}",
    )

    # --- covariates ------------------------------------------------------------------------
    future_fill = dict(params.get("future_fill") or {})
    known = {}
    for column in metadata["known_covariates"]:
        values, name = panel[column], column
        if not pd.api.types.is_numeric_dtype(values):
            values, name = pd.Categorical(values.astype(str)).codes, f"{column}_code"
        matrix = wide.matrix(values)
        if end_pos + 1 < len(dates):
            matrix[end_pos + 1 :] = future_fill.get(column, np.nan)
            if column not in future_fill:
                matrix = pd.DataFrame(matrix).ffill().to_numpy()
        known[column] = matrix
        put(
            name,
            gather(matrix, rows.target_pos, rows.series),
            "known_covariate",
            f"'{column}' on the target date (known in advance; after the data ends: "
            f"{future_fill.get(column, 'last value carried forward')})",
            sources=(column,),
            availability=KNOWN,
        )
    for column in metadata["past_covariates"]:
        matrix = wide.matrix(panel[column])
        put(
            f"{column}_at_origin",
            gather(matrix, rows.origin_pos, rows.series),
            "past_covariate",
            f"'{column}' on the origin date (past-only: never read after the origin)",
            sources=(column,),
        )
        put(
            f"{column}_mean_{short}",
            window_stat(matrix, short, "mean"),
            "past_covariate",
            f"mean of '{column}' over the {short} periods ending at the origin",
            sources=(column,),
            window=f"{short} {unit}",
        )

    if "price" in known:
        price = known["price"]
        reference_window, long_window = params["rolling_windows"][1], params["rolling_windows"][-1]
        target_price = gather(price, rows.target_pos, rows.series)
        put(
            "price_ratio",
            nan_ratio(target_price, window_stat(price, reference_window, "mean")),
            "price_promo",
            f"target-date price over its mean in the {reference_window} periods "
            "ending at the origin",
            sources=("price",),
            availability=KNOWN,
        )
        put(
            "discount_depth",
            np.clip(1 - nan_ratio(target_price, window_stat(price, long_window, "max")), 0, 1),
            "price_promo",
            f"1 - target-date price / highest price of the {long_window} "
            "periods ending at the origin",
            sources=("price",),
            availability=KNOWN,
        )
    if "promo" in known:
        on_promo = np.where(known["promo"] > 0, np.arange(len(dates))[:, None], np.nan)
        last_promo = pd.DataFrame(on_promo).ffill().shift(1).to_numpy()
        next_promo = pd.DataFrame(on_promo).bfill().shift(-1).to_numpy()
        put(
            "periods_since_promo",
            rows.target_pos - gather(last_promo, rows.target_pos, rows.series),
            "price_promo",
            "periods since the last promotion before the target date (the promotion calendar "
            "is known in advance)",
            sources=("promo",),
            availability=KNOWN,
        )
        put(
            "periods_until_promo",
            gather(next_promo, rows.target_pos, rows.series) - rows.target_pos,
            "price_promo",
            "periods from the target date to the next promotion",
            sources=("promo",),
            availability=KNOWN,
        )

    # --- calendar and holidays of the target date ------------------------------------------
    calendar = calendar_table(dates, frequency, metadata.get("country"), params.get("paydays", ()))
    for column in calendar.columns:
        family = "holiday" if "holiday" in column else "calendar"
        put(
            column,
            calendar[column].to_numpy()[rows.target_pos],
            family,
            CALENDAR_DESCRIPTIONS[column],
            sources=("date",),
            availability=KNOWN,
        )

    # --- static: fitted series profile, seasonality indices, encoded attributes -----------
    profile = transforms.profile.set_index(SERIES_ID).reindex(series)
    for column, description in PROFILE_DESCRIPTIONS.items():
        put(
            f"series_{column}",
            profile[column].to_numpy()[rows.series],
            "series_profile",
            description,
            availability=STATIC,
            window=f"until {transforms.cutoff.date()}",
        )
    season = season_position(dates, frequency)
    season_index = transforms.season_index.reindex(series)
    put(
        "season_index",
        gather(
            season_index.to_numpy(),
            rows.series,
            season_index.columns.get_indexer(season[rows.target_pos]),
        ),
        "seasonality",
        "series' mean demand in the target's season position "
        f"({'weekday' if frequency == 'D' else 'week of year'}) over its overall mean "
        "(training data)",
        availability=STATIC,
    )
    month_index = transforms.month_index.reindex(series)
    put(
        "month_index",
        gather(
            month_index.to_numpy(),
            rows.series,
            month_index.columns.get_indexer(dates.month[rows.target_pos]),
        ),
        "seasonality",
        "series' mean demand in the target's month over its overall mean (training data)",
        availability=STATIC,
    )
    encoded = encode_attributes(attributes, transforms).reindex(series)
    for column in encoded.columns:
        kind = "categorical code" if column.endswith("_code") else "numeric attribute"
        put(
            column,
            encoded[column].to_numpy(dtype=float)[rows.series],
            "static",
            f"static {kind} '{column.removesuffix('_code')}' of the series "
            "(ordinal code: trees use it directly, the LSTM as an embedding index; -1 unseen)",
            sources=(column.removesuffix("_code"),),
            availability=STATIC,
        )

    # --- scaled variants and interactions ---------------------------------------------------
    if params.get("scaled", True):
        scale = profile["scale"].to_numpy()[rows.series]
        for name in [n for n in features if n.startswith(SCALED_PREFIXES)]:
            put(
                f"{name}_scaled",
                features[name] / scale,
                "scaled",
                f"{name} divided by the series' training scale (scaler fitted on training "
                "data only)",
                window=catalog.window_of(name),
            )
    for left, right in params.get("interactions") or []:
        left_name = left if left in features else f"{left}_code"
        right_name = right if right in features else f"{right}_code"
        if left_name in features and right_name in features:
            put(
                f"{left}_x_{right}",
                features[left_name] * (features[right_name] + 1),
                "interaction",
                f"{left} x ({right} + 1)",
                sources=(left, right),
                availability=KNOWN,
            )

    table = pd.DataFrame(
        {
            SERIES_ID: pd.Categorical.from_codes(rows.series, categories=series),
            "origin": dates[rows.origin_pos],
            DATE: dates[rows.target_pos],
            "horizon": rows.horizon.astype("int16"),
            DEMAND: gather(y_raw, rows.target_pos, rows.series),
            IS_CLOSED: gather(closed, rows.target_pos, rows.series) == 1,
            IS_OBSERVED: gather(observed, rows.target_pos, rows.series) == 1,
        }
    )
    keys = panel.drop_duplicates(SERIES_ID).set_index(SERIES_ID)[list(metadata["keys"])]
    for key in reversed(metadata["keys"]):
        codes, labels = pd.factorize(keys[key].reindex(series), sort=True)
        table.insert(1, key, pd.Categorical.from_codes(codes[rows.series], categories=labels))
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
