"""The settings every model of one training run shares, frozen once they are chosen.

``ModelingSetup`` is built once per training run (``models.choices.plan_setup``): the feature
columns, the protocol's dates, the headline metric and the target transform with the reasons
they were chosen, the quantile levels and the calibration settings. Every step after it (tune,
cross-validate, refit, blend, calibrate, score) reads it and none changes it; a variant is a
new object (``setup.replace(metric="rmsse")``). It is saved as JSON (``to_dict``/``from_dict``)
and travels inside the forecaster bundle.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..panel.contract import DEMAND, SERIES_ID
from .base import ForecastContext
from .metrics import SeriesScales, headline, series_scales


def _copied(mapping: Mapping[str, Any] | None) -> dict[str, Any]:
    # A copy, so the caller's dict never changes the setup (a mapping proxy would not pickle).
    return dict(mapping or {})


@dataclass(frozen=True)
class ModelingSetup:
    """What the model steps of one training run share. Dates are ISO strings (the JSON
    record); ``fold_origins`` are latest first."""

    dataset: str
    features: tuple[str, ...]
    frequency: str
    season_length: int
    horizon: int
    protocol_origin: str
    live_origin: str
    fold_origins: tuple[str, ...]
    metric: str
    target_transform: str
    scoring: str
    quantiles: tuple[float, ...]
    seed: int
    n_jobs: int = 2
    non_negative: bool = True
    # Intermittent demand (the headline's choice is RMSSE) and whether it is whole units.
    intermittent: bool = False
    count_data: bool = False
    calibration: Mapping[str, Any] = field(default_factory=dict)
    metric_reason: str = ""
    metric_figures: Mapping[str, float] = field(default_factory=dict)
    transform_reason: str = ""
    transform_scores: Mapping[str, float] = field(default_factory=dict)
    transform_biases: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Normalized so an equal setup compares equal however it was spelled (lists, dicts).
        for name in ("features", "fold_origins"):
            object.__setattr__(self, name, tuple(str(v) for v in getattr(self, name)))
        object.__setattr__(self, "quantiles", tuple(float(q) for q in self.quantiles))
        for name in ("calibration", "metric_figures", "transform_scores", "transform_biases"):
            object.__setattr__(self, name, _copied(getattr(self, name)))

    # -- the record --------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record (lists and plain dicts)."""
        record = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, Mapping):
                value = dict(value)
            record[f.name] = value
        return record

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> ModelingSetup:
        """The setup of a saved record; an unknown or missing key is named."""
        names = {f.name for f in dataclasses.fields(cls)}
        required = {
            f.name
            for f in dataclasses.fields(cls)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        }
        unknown, missing = sorted(set(record) - names), sorted(required - set(record))
        if unknown or missing:
            raise ValueError(
                "a modeling setup record "
                + "; ".join(
                    part
                    for part in (
                        f"has unknown keys {unknown}" if unknown else "",
                        f"lacks {missing}" if missing else "",
                    )
                    if part
                )
                + f": expected the keys {sorted(names)}"
            )
        return cls(**record)

    def replace(self, **changes: Any) -> ModelingSetup:
        return dataclasses.replace(self, **changes)

    # -- what the steps derive from it -------------------------------------------------------
    @property
    def origins(self) -> list[pd.Timestamp]:
        """The CV fold origins as dates, latest first."""
        return [pd.Timestamp(o) for o in self.fold_origins]

    @property
    def holdout_origin(self) -> pd.Timestamp:
        return pd.Timestamp(self.protocol_origin)

    @property
    def interval(self) -> float:
        """The nominal coverage of the central prediction interval."""
        return float(self.calibration.get("interval", 0.8))

    def context(self, panel: pd.DataFrame | None) -> ForecastContext:
        """The forecasting context the models train and predict under, over ``panel``."""
        return ForecastContext(
            features=list(self.features),
            target_transform=self.target_transform,
            frequency=self.frequency,
            season_length=self.season_length,
            seed=self.seed,
            panel=panel,
            n_jobs=self.n_jobs,
        )

    def scales(self, panel: pd.DataFrame | None, origin: str | pd.Timestamp) -> SeriesScales | None:
        """The M5 scales and weights at ``origin`` where the headline needs them (rmsse)."""
        if self.metric != "rmsse":
            return None
        if panel is None:
            raise ValueError("the rmsse headline needs the demand panel for its series scales")
        return series_scales(panel, origin, self.horizon)

    def score(
        self, rows: pd.DataFrame, point: np.ndarray, scales: SeriesScales | None = None
    ) -> float:
        """The headline on ``rows``; ``scales`` (rmsse) come from history up to their origin."""
        holiday = rows["is_holiday"].to_numpy() if "is_holiday" in rows else None
        return headline(
            self.metric, rows[DEMAND].to_numpy(), point, holiday, rows[SERIES_ID], scales
        )


def as_setup(setup: ModelingSetup | Mapping[str, Any]) -> ModelingSetup:
    """A setup from either form (bundles saved before the setup was an object hold a dict)."""
    return setup if isinstance(setup, ModelingSetup) else ModelingSetup.from_dict(setup)
