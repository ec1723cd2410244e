"""A small, realistic model input for the modeling tests.

The built-in generator (``conf/base/parameters_data_engineering.yml``, ``synthetic_data``) is
shrunk to 2 stores x 3 items x 300 days (2023-01-02 .. 2023-10-28), run through the source
adapter, the cleaning step, the feature transforms and ``build_model_input`` with the project's
daily feature settings. Protocol: origin 2023-10-14, horizon 14; two CV folds 14 days apart
(origins 2023-09-30 and 2023-09-16). Store S01 is forced closed on 2023-10-05 (inside fold 1's
validation window) and on 2023-10-20 (inside the holdout), so closed rows are always present.
Everything runs with ``n_jobs = 1``: another job shares the CPU.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from inventory_optimization.features import (
    build_model_input,
    fit_transforms,
    fold_origins,
    forecast_origins,
)
from inventory_optimization.models import ForecastContext, evaluation, training
from inventory_optimization.models.choices import plan_setup
from inventory_optimization.models.cv import training_rows
from inventory_optimization.models.setup import ModelingSetup
from inventory_optimization.panel.cleaning import clean_panel
from inventory_optimization.pipelines.modeling.nodes import build_forecaster_bundle
from inventory_optimization.sources import build_synthetic_panel
from inventory_optimization.sources.synthetic import generate_demand_data

CONF = Path(__file__).resolve().parents[2] / "conf" / "base"
PROTOCOL = {"origin": "2023-10-14", "horizon": 14}
CROSS_VALIDATION = {"n_folds": 2, "step": 14}
CLOSED_DATES = (pd.Timestamp("2023-10-05"), pd.Timestamp("2023-10-20"))
CLOSED_STORE = "S01"


def _conf(name: str) -> dict[str, Any]:
    return yaml.safe_load((CONF / f"parameters_{name}.yml").read_text())


@dataclass
class ModelData:
    panel: pd.DataFrame
    attributes: pd.DataFrame
    metadata: dict[str, Any]
    model_input: pd.DataFrame
    catalog: pd.DataFrame
    protocol: dict[str, Any]
    cross_validation: dict[str, Any]
    modeling: dict[str, Any]
    setup: ModelingSetup
    transforms: Any
    features: dict[str, Any]

    @property
    def protocol_origin(self) -> pd.Timestamp:
        return pd.Timestamp(self.setup.protocol_origin)

    @property
    def fold_origins(self) -> list[pd.Timestamp]:
        return [pd.Timestamp(o) for o in self.setup.fold_origins]

    def context(self, transform: str | None = None, seed: int | None = None) -> ForecastContext:
        return ForecastContext(
            features=list(self.setup.features),
            target_transform=transform or self.setup.target_transform,
            frequency=self.setup.frequency,
            season_length=self.setup.season_length,
            seed=self.setup.seed if seed is None else seed,
            panel=self.panel,
            n_jobs=1,
        )


def _build() -> ModelData:
    data_params = _conf("data_engineering")
    source = {**data_params["synthetic_data"], "n_stores": 2, "n_items": 3, "n_days": 300}
    tables = generate_demand_data(source)
    raw, attributes, summary = build_synthetic_panel(
        tables["sales"], tables["items"], tables["stores"], tables["weather"], country="PE"
    )
    cleaning = data_params["cleaning"]
    panel = clean_panel(
        raw,
        covariates=summary.covariates,
        missing_policy=cleaning["missing_policy"],
        negative_policy=cleaning["negative_policy"],
        outlier_threshold=float(cleaning["outlier_threshold"]),
    )
    forced = panel["date"].isin(CLOSED_DATES) & (panel["store_id"] == CLOSED_STORE)
    panel.loc[forced, ["is_closed", "demand", "is_open"]] = [True, 0.0, 0.0]

    metadata = {
        **summary.to_dict(),
        "last_date": str(panel["date"].max().date()),
        "first_date": str(panel["date"].min().date()),
    }
    features = _conf("feature_engineering")["features"]
    settings = {**features, **features["daily"], "origins": features["origins"]["daily"]}
    origin = pd.Timestamp(PROTOCOL["origin"])
    folds = fold_origins(origin, "D", CROSS_VALIDATION["n_folds"], CROSS_VALIDATION["step"])
    transforms = fit_transforms(
        panel, attributes, min(folds), "D", settings["stl_period"], settings["stl_history"]
    )
    origins = forecast_origins(panel["date"].max(), origin, "D", 7, 16, folds)
    model_input, catalog = build_model_input(
        panel, attributes, metadata, transforms, origins, PROTOCOL["horizon"], settings
    )
    # The fixture fixes the transform (base chooses it on CV: test_models_nodes tests that).
    modeling = {**_conf("modeling")["modeling"], "n_jobs": 1, "target_transform": "scale"}
    setup = plan_setup(catalog, metadata, PROTOCOL, CROSS_VALIDATION, modeling)
    return ModelData(
        panel,
        attributes,
        metadata,
        model_input,
        catalog,
        PROTOCOL,
        CROSS_VALIDATION,
        modeling,
        setup,
        transforms,
        features,
    )


@pytest.fixture(scope="session")
def data() -> ModelData:
    return _build()


@pytest.fixture(scope="session")
def train(data: ModelData) -> pd.DataFrame:
    """Trainable rows known at the later fold origin (2023-09-30)."""
    return data.model_input[training_rows(data.model_input, data.fold_origins[0])]


@pytest.fixture(scope="session")
def target(data: ModelData) -> pd.DataFrame:
    """The rows of the protocol origin (a later origin than every training row's date)."""
    rows = data.model_input
    return rows[rows["origin"] == data.protocol_origin]


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240601)


OPTIONS = {
    "seasonal_naive": {"name": "seasonal_naive", "n_trials": 0},
    "xgboost": {
        "name": "xgboost",
        "n_trials": 0,
        "tuning_rows": 20000,
        "max_train_rows": None,
        "fixed": {"n_estimators": 20, "max_bin": 63, "max_depth": 4, "learning_rate": 0.2},
        "search_space": {"max_depth": {"type": "int", "low": 2, "high": 4}},
    },
}
QUANTILE_COLUMNS = ["q_0.05", "q_0.1", "q_0.25", "q_0.5", "q_0.75", "q_0.9", "q_0.95", "q_0.99"]


@pytest.fixture(scope="module")
def run(data) -> SimpleNamespace:
    """The training loop of ``models.training`` on the fixture, as the modeling pipeline
    runs it: per model tune, cross-validate, refit; then the ensemble and the bundle."""
    rows, panel, setup = data.model_input, data.panel, data.setup
    out = SimpleNamespace(cv={}, holdout={}, live={}, report={}, model={}, params={})
    for name, options in OPTIONS.items():
        params, trials, importances = training.tune_model(rows, panel, setup, None, options)
        out.params[name] = params
        assert trials.empty
        assert importances == {}
        out.cv[name] = training.cross_validate(rows, panel, setup, params, options)
        fitted = training.fit_and_forecast(rows, panel, setup, params, options)
        out.model[name], out.holdout[name], out.live[name] = (
            fitted.model,
            fitted.holdout,
            fitted.live,
        )
        out.report[name] = fitted.report
    out.weights = training.ensemble_weights(rows, setup, panel, out.cv)
    assembled = training.assemble_forecasts(rows, setup, out.weights, out.cv, out.holdout, out.live)
    out.holdout_forecasts, out.demand_forecast, out.calibration = (
        assembled.holdout,
        assembled.live,
        assembled.calibration,
    )
    out.bundle = build_forecaster_bundle(
        setup,
        data.metadata,
        data.transforms,
        data.features,
        out.weights,
        out.calibration,
        **out.model,
    )
    out.leaderboard = evaluation.leaderboard(out.holdout_forecasts, panel, setup, rows, out.report)
    return out


def by_model(frames: list[pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Prediction frames keyed by their ``model``."""
    return {frame["model"].iat[0]: frame for frame in frames}
