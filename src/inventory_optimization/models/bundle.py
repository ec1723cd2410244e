"""The forecaster bundle: what a training run learned, to forecast a later origin without
Kedro and without retraining.

A bundle holds the fitted models, the ensemble's weights, the ensemble's calibrated quantiles
and interval, the fitted feature transforms and the settings that built the features, so
``bundle.predict(panel, attributes, origin)`` builds the features of that one origin the way
training built them and returns point, quantile and interval forecasts per series and
horizon step. The same blending, finishing and calibration functions serve the training
pipeline's forecasts, so a bundle predicting the training run's last origin reproduces its
live forecast.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from ..features import build_model_input
from ..features.profile import DEMAND_CLASSES, FeatureTransforms
from ..panel.contract import DATE, DEMAND, IS_CLOSED
from .base import Forecaster, forward, inverse
from .conformal import PredictionInterval, ResidualQuantiles, fit_interval, fit_residual_quantiles
from .setup import ModelingSetup, as_setup

ENSEMBLE = "ensemble"
# 2: the setup is a ModelingSetup (format 1 held a dict; it is converted on load).
BUNDLE_FORMAT = 2


class BundleMismatchError(ValueError):
    """The panel is not the kind of data the bundle was trained on."""


def quantile_column(level: float) -> str:
    return f"q_{level:g}"


def interval_columns(nominal: float) -> tuple[str, str]:
    """Column names of the ``nominal`` central interval, e.g. ``lower_80``/``upper_80``."""
    percent = f"{nominal * 100:g}"
    return f"lower_{percent}", f"upper_{percent}"


def finalize(point: np.ndarray, rows: pd.DataFrame, non_negative: bool) -> np.ndarray:
    """Closed periods are zero by design; a missing forecast (a series with no history yet)
    falls back to the typical series' level; demand is non-negative where the data is."""
    point = np.where(np.isnan(point), rows["series_target_mean"].to_numpy(dtype=float), point)
    point = np.where(rows[IS_CLOSED].to_numpy(), 0.0, point)
    return np.clip(point, 0, None) if non_negative else point


def to_target_space(values: np.ndarray, rows: pd.DataFrame, transform: str) -> np.ndarray:
    return forward(values, rows["series_scale"].to_numpy(dtype=float), transform)


# The model input's Syntetos-Boylan class of each series (fitted on training history).
CLASS_COLUMN = "series_demand_class"
ClassWeights = Mapping[str, Mapping[str, float]]


def class_names(rows: pd.DataFrame) -> np.ndarray:
    """Each row's demand class by name (smooth, intermittent, erratic, lumpy)."""
    codes = rows[CLASS_COLUMN].to_numpy(dtype=float)
    names = np.asarray(DEMAND_CLASSES, dtype=object)
    return names[np.nan_to_num(codes).astype(int).clip(0, len(DEMAND_CLASSES) - 1)]


def blend(
    predictions: pd.DataFrame,
    weights: Mapping[str, float],
    rows: pd.DataFrame,
    setup: ModelingSetup,
    class_weights: ClassWeights | None = None,
) -> np.ndarray:
    """The ensemble's point forecast of ``rows`` from ``predictions`` (one column per model,
    aligned with ``rows``): the weighted sum in the target space, so the metric's scale (log
    for RMSPE/RMSLE) is respected, brought back to demand and finalized. A row whose demand
    class has its own weights in ``class_weights`` is blended with those."""
    transform = setup.target_transform
    models = sorted(predictions.columns)  # one summation order everywhere
    per_row: dict[str, float | np.ndarray] = {str(m): weights.get(str(m), 0.0) for m in models}
    if class_weights:
        classes = class_names(rows)
        for name, overall in list(per_row.items()):
            by_row = np.full(len(rows), overall, dtype=float)
            for demand_class, own in class_weights.items():
                by_row[classes == demand_class] = own.get(name, 0.0)
            per_row[name] = by_row
    blended = sum(
        per_row[str(m)] * to_target_space(predictions[m].to_numpy(), rows, transform)
        for m in models
    )
    scale = rows["series_scale"].to_numpy(dtype=float)
    return finalize(inverse(blended, scale, transform), rows, setup.non_negative)


@dataclass(frozen=True)
class Calibration:
    """A model's quantiles and central interval, calibrated on its out-of-fold residuals."""

    quantiles: ResidualQuantiles
    interval: PredictionInterval
    integer: bool
    non_negative: bool
    # WAPE of the out-of-fold forecasts on each CV fold: the band daily monitoring checks.
    fold_wape: tuple[float, ...] = ()

    @classmethod
    def fit(
        cls,
        rows: pd.DataFrame,
        point: np.ndarray,
        folds: np.ndarray | None,
        setup: ModelingSetup,
    ) -> Calibration:
        """Calibrate on the out-of-fold ``point`` forecasts of ``rows`` (their actual demand,
        horizon and series scale), per ``setup``'s quantile levels and ``calibration``."""
        settings = setup.calibration
        observed = (
            rows[DEMAND].to_numpy(dtype=float),
            np.asarray(point, dtype=float),
            rows["horizon"].to_numpy(),
            rows["series_scale"].to_numpy(dtype=float),
        )
        options = {
            "horizon_bucket": int(settings.get("horizon_bucket", 7)),
            "scale_bins": int(settings.get("scale_bins", 3)),
            "min_count": int(settings.get("min_count", 200)),
            "folds": None if folds is None else np.asarray(folds, dtype=float),
        }
        integer = setup.count_data
        quantiles = fit_residual_quantiles(
            *observed,
            list(setup.quantiles),
            setup.target_transform,
            fold_rule=settings.get("fold_rule", "auto"),
            **options,
        )
        interval = fit_interval(
            *observed,
            setup.target_transform,
            nominal=setup.interval,
            integer=integer,
            non_negative=setup.non_negative,
            fold_rule=quantiles.fold_rule,
            bin_on=quantiles.bin_on,
            **options,
        )
        return cls(
            quantiles,
            interval,
            integer,
            setup.non_negative,
            _fold_wape(observed[0], observed[1], options["folds"]),
        )

    def columns(self, point: np.ndarray, rows: pd.DataFrame) -> dict[str, np.ndarray]:
        """Quantile and interval columns for ``point`` forecasts of ``rows``; zero where the
        period is closed."""
        args = (
            np.asarray(point, dtype=float),
            rows["horizon"].to_numpy(),
            rows["series_scale"].to_numpy(dtype=float),
            self.non_negative,
        )
        closed = rows[IS_CLOSED].to_numpy()
        out = {
            quantile_column(level): np.where(closed, 0.0, values)
            for level, values in self.quantiles.predict(*args, integer=self.integer).items()
        }
        lower, upper = self.interval.bounds(*args)
        low_column, high_column = interval_columns(self.interval.nominal)
        out[low_column] = np.where(closed, 0.0, lower)
        out[high_column] = np.where(closed, 0.0, upper)
        return out


def _fold_wape(y: np.ndarray, point: np.ndarray, folds: np.ndarray | None) -> tuple[float, ...]:
    known = ~(np.isnan(y) | np.isnan(point))
    labels = np.zeros(len(y)) if folds is None else folds
    out = []
    for fold in np.unique(labels[known]):
        rows = known & (labels == fold)
        total = np.abs(y[rows]).sum()
        if total > 0:
            out.append(float(np.abs(y[rows] - point[rows]).sum() / total))
    return tuple(out)


def key_columns(rows: pd.DataFrame) -> list[str]:
    """The model input's series keys and ``series_id``: its columns before ``origin``."""
    return list(rows.columns[: rows.columns.get_loc("origin")])


def forecast_table(
    rows: pd.DataFrame,
    point: np.ndarray,
    model: str,
    calibration: Calibration,
    keys: list[str],
) -> pd.DataFrame:
    """One row per forecast row: keys, model, origin, date, horizon, ``y_pred``, the
    quantiles, the interval and ``is_closed``."""
    out = rows[[*keys, "origin", DATE, "horizon"]].reset_index(drop=True)
    out.insert(len(keys), "model", model)
    out["y_pred"] = np.asarray(point, dtype=float)
    for column, values in calibration.columns(point, rows).items():
        out[column] = values
    out["is_closed"] = rows[IS_CLOSED].to_numpy()
    return out


@dataclass(frozen=True)
class ForecasterBundle:
    """Fitted models, ensemble weights, calibration and feature transforms of one training
    run: ``predict`` forecasts any origin of a panel that extends the training data."""

    setup: ModelingSetup
    panel_metadata: Mapping[str, Any]
    feature_settings: Mapping[str, Any]
    feature_transforms: FeatureTransforms
    models: Mapping[str, Forecaster]
    weights: Mapping[str, float]
    calibration: Calibration
    # Per demand class, weights of their own where they beat ``weights`` on the latest fold.
    class_weights: ClassWeights = field(default_factory=dict)
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    format: int = BUNDLE_FORMAT
    # The registry's version number, set when the registry loads it.
    registered_version: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "setup", as_setup(self.setup))
        unknown = sorted(m for m in self.members if m not in self.models)
        if unknown:
            raise ValueError(
                f"ensemble weights name models the bundle does not hold: {unknown}; "
                f"it holds {sorted(self.models)}"
            )

    def __setstate__(self, state: dict[str, Any]) -> None:
        # A bundle pickled before format 2 holds its setup as a dict.
        state = {
            "class_weights": {},
            **state,
            "setup": as_setup(state["setup"]),
            "format": BUNDLE_FORMAT,
        }
        for name, value in state.items():
            object.__setattr__(self, name, value)

    @property
    def members(self) -> list[str]:
        """The models the ensemble blends: a weight above 0 overall or in a demand class."""
        tables = [self.weights, *self.class_weights.values()]
        return sorted({m for table in tables for m, w in table.items() if w})

    @property
    def horizon(self) -> int:
        return self.setup.horizon

    @property
    def trained_until(self) -> pd.Timestamp:
        """The last date the models were fitted on (the training run's live origin)."""
        return pd.Timestamp(self.setup.live_origin)

    def check_fits(self, panel_metadata: Mapping[str, Any]) -> None:
        """Refuse, in one sentence, a panel whose source, frequency or keys differ from
        training's."""
        for field_name in ("source", "frequency", "keys"):
            trained, given = self.panel_metadata.get(field_name), panel_metadata.get(field_name)
            if trained != given:
                raise BundleMismatchError(
                    f"the forecaster bundle was trained on {field_name} {trained!r}, the panel "
                    f"has {given!r}: run `kedro run --pipelines training` on this data first"
                )

    def model_input(
        self,
        panel: pd.DataFrame,
        attributes: pd.DataFrame,
        origin: str | pd.Timestamp | None = None,
        panel_metadata: Mapping[str, Any] | None = None,
    ) -> pd.DataFrame:
        """The feature rows of one origin (default: the panel's last date), built as in
        training."""
        metadata = dict(panel_metadata or self.panel_metadata)
        last = pd.Timestamp(panel[DATE].max())
        origin = last if origin is None else pd.Timestamp(origin)
        if origin > last:
            raise ValueError(
                f"origin {origin.date()} is after the panel's last date {last.date()}: the "
                f"bundle forecasts from a date the panel holds"
            )
        rows, _ = build_model_input(
            panel,
            attributes,
            metadata,
            self.feature_transforms,
            pd.DatetimeIndex([origin]),
            self.horizon,
            self.feature_settings,
        )
        missing = sorted(set(self.setup.features) - set(rows.columns))
        if missing:
            raise ValueError(
                f"the panel's features lack {len(missing)} the models were trained on "
                f"(e.g. {missing[:5]}): the panel's covariates or keys differ from training's"
            )
        return rows

    def predict(
        self,
        panel: pd.DataFrame,
        attributes: pd.DataFrame,
        origin: str | pd.Timestamp | None = None,
        panel_metadata: Mapping[str, Any] | None = None,
    ) -> pd.DataFrame:
        """The ensemble's forecast of every series over the horizon after ``origin``: point
        (``y_pred``), quantiles ``q_*``, the interval and ``is_closed``."""
        rows = self.model_input(panel, attributes, origin, panel_metadata).reset_index(drop=True)
        point = self.point_forecast(rows, panel)
        return forecast_table(rows, point, ENSEMBLE, self.calibration, key_columns(rows))

    def point_forecast(self, rows: pd.DataFrame, panel: pd.DataFrame) -> np.ndarray:
        """The ensemble's point forecast of feature ``rows`` (from :meth:`model_input`) with
        ``panel`` as the history the local models read."""
        context = self.setup.context(panel)
        non_negative = self.setup.non_negative
        predictions = pd.DataFrame(
            {
                name: finalize(self.models[name].predict(rows, context), rows, non_negative)
                for name in self.members
            },
            index=rows.index,
        )
        return blend(predictions, self.weights, rows, self.setup, self.class_weights)
