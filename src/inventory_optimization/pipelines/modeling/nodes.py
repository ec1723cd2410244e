"""Nodes of the modeling pipeline: each hands its catalog inputs to one function of
``inventory_optimization.models`` (the setup's choices, the training loop, the evaluation)
or of the registry. Per-model inputs arrive by name: ``<kind>_<model>`` (e.g.
``cv_xgboost``), or the model's name where there is one kind."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pandas as pd

from ...features import FeatureTransforms, frequency_settings
from ...models import evaluation, training
from ...models.bundle import Calibration, ForecasterBundle
from ...models.choices import plan_setup
from ...models.setup import ModelingSetup
from ...registry import Registration, training_registration

logger = logging.getLogger(__name__)


def by_kind(inputs: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """{model: value} of the ``<kind>_<model>`` inputs."""
    prefix = f"{kind}_"
    return {name.removeprefix(prefix): v for name, v in inputs.items() if name.startswith(prefix)}


def prepare_modeling(  # noqa: PLR0913 - the run's parameters and data
    feature_catalog: pd.DataFrame,
    panel_metadata: dict[str, Any],
    protocol: dict[str, Any],
    cross_validation: dict[str, Any],
    modeling: dict[str, Any],
    demand_panel: pd.DataFrame | None = None,
    model_input: pd.DataFrame | None = None,
) -> ModelingSetup:
    """The run's frozen setup (``models.choices.plan_setup``)."""
    return plan_setup(
        feature_catalog,
        panel_metadata,
        protocol,
        cross_validation,
        modeling,
        demand_panel,
        model_input,
    )


def tune_model(
    model_input: pd.DataFrame,
    demand_panel: pd.DataFrame,
    setup: ModelingSetup,
    optuna_storage: Any,
    options: dict[str, Any],
) -> tuple[dict[str, Any], pd.DataFrame, dict[str, float]]:
    """Best parameters, trials and parameter importances of the model's Optuna search."""
    return training.tune_model(model_input, demand_panel, setup, optuna_storage, options)


def cross_validate_model(
    model_input: pd.DataFrame,
    demand_panel: pd.DataFrame,
    setup: ModelingSetup,
    best_params: dict[str, Any],
    options: dict[str, Any],
) -> pd.DataFrame:
    """Out-of-fold predictions of the tuned model."""
    return training.cross_validate(model_input, demand_panel, setup, best_params, options)


def fit_and_forecast(
    model_input: pd.DataFrame,
    demand_panel: pd.DataFrame,
    setup: ModelingSetup,
    best_params: dict[str, Any],
    options: dict[str, Any],
) -> tuple[Any, pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """The live model, its holdout and live predictions, and its fit report."""
    fitted = training.fit_and_forecast(model_input, demand_panel, setup, best_params, options)
    return fitted.model, fitted.holdout, fitted.live, fitted.report


def build_ensemble(
    model_input: pd.DataFrame,
    setup: ModelingSetup,
    demand_panel: pd.DataFrame,
    **cv_predictions: pd.DataFrame,
) -> dict[str, float]:
    """The ensemble's weights from every model's out-of-fold predictions (by model)."""
    return training.ensemble_weights(model_input, setup, demand_panel, cv_predictions)


def choose_class_weights(
    model_input: pd.DataFrame,
    setup: ModelingSetup,
    demand_panel: pd.DataFrame,
    weights: dict[str, float],
    modeling: dict[str, Any],
    **cv_predictions: pd.DataFrame,
) -> dict[str, dict[str, float]]:
    """The ensemble's own weights of the demand classes where they beat the run's weights
    (``modeling.ensemble_by_class``)."""
    return training.class_weights(
        model_input,
        setup,
        demand_panel,
        cv_predictions,
        weights,
        modeling.get("ensemble_by_class"),
    )


def assemble_forecasts(
    model_input: pd.DataFrame,
    setup: ModelingSetup,
    weights: dict[str, float],
    class_weights: dict[str, dict[str, float]],
    **predictions: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame, Calibration]:
    """Holdout forecasts of every model and the ensemble, the ensemble's live forecast and
    its calibration, from the ``cv_<model>``, ``holdout_<model>`` and ``live_<model>``
    predictions."""
    assembled = training.assemble_forecasts(
        model_input,
        setup,
        weights,
        cv=by_kind(predictions, "cv"),
        holdout=by_kind(predictions, "holdout"),
        live=by_kind(predictions, "live"),
        class_weights=class_weights,
    )
    return assembled.holdout, assembled.live, assembled.calibration


def build_forecaster_bundle(
    setup: ModelingSetup,
    panel_metadata: dict[str, Any],
    feature_transforms: FeatureTransforms,
    features: dict[str, Any],
    weights: dict[str, float],
    calibration: Calibration,
    class_weights: dict[str, dict[str, float]] | None = None,
    **models: Any,
) -> ForecasterBundle:
    """The run's forecaster bundle: the ensemble's members fitted on all data (the live
    fits; a model of weight 0 is left out, so loading the bundle never imports what it does
    not use), the weights and calibration, and what builds the features of a later origin."""
    class_weights = class_weights or {}
    tables = [weights, *class_weights.values()]
    members = {
        name: model
        for name, model in models.items()
        if any(table.get(name, 0.0) > 0 for table in tables)
    }
    bundle = ForecasterBundle(
        setup=setup,
        panel_metadata=panel_metadata,
        feature_settings=frequency_settings(features, panel_metadata["frequency"]),
        feature_transforms=feature_transforms,
        models=members,
        weights={name: weights.get(name, 0.0) for name in members},
        calibration=calibration,
        class_weights={
            demand_class: {name: table.get(name, 0.0) for name in members}
            for demand_class, table in class_weights.items()
        },
    )
    logger.info(
        "Forecaster bundle: the ensemble's %d members (%s%s; weight 0, left out: %s), "
        "trained until %s, horizon %d",
        len(members),
        ", ".join(f"{name} {bundle.weights[name]:.3g}" for name in sorted(members)),
        "".join(f"; own weights for {c} series" for c in class_weights),
        ", ".join(sorted(set(models) - set(members))) or "none",
        bundle.trained_until.date(),
        bundle.horizon,
    )
    return bundle


def decide_champion(  # noqa: PLR0913 - the registry's record of the run
    forecaster_bundle: ForecasterBundle,
    current_champion: ForecasterBundle | None,
    demand_panel: pd.DataFrame,
    series_attributes: pd.DataFrame,
    panel_metadata: dict[str, Any],
    setup: ModelingSetup,
    model_leaderboard: pd.DataFrame,
    model_card: dict[str, Any],
    feature_catalog: pd.DataFrame,
) -> Registration:
    """The registration of this run and whether its bundle replaces the champion."""
    return training_registration(
        forecaster_bundle,
        current_champion,
        demand_panel,
        series_attributes,
        panel_metadata,
        setup,
        model_leaderboard,
        model_card,
        feature_catalog,
    )


def evaluate_models(
    holdout_forecasts: pd.DataFrame,
    demand_panel: pd.DataFrame,
    setup: ModelingSetup,
    model_input: pd.DataFrame,
    **fit_reports: dict[str, Any],
) -> pd.DataFrame:
    """The holdout leaderboard with its floors; ``fit_reports`` by model."""
    return evaluation.leaderboard(holdout_forecasts, demand_panel, setup, model_input, fit_reports)


def feature_importances(feature_catalog: pd.DataFrame, **models: Any) -> pd.DataFrame:
    """The tree models' feature importances, joined to the feature catalog."""
    return evaluation.feature_importances(feature_catalog, list(models.values()))


def model_card(
    setup: ModelingSetup,
    model_leaderboard: pd.DataFrame,
    ensemble_weights: dict[str, float],
    class_weights: dict[str, dict[str, float]],
    demand_panel: pd.DataFrame,
    **records: Any,
) -> dict[str, Any]:
    """The run's JSON record from the ``fit_report_<model>``, ``tuning_trials_<model>`` and
    ``param_importances_<model>`` inputs."""
    return evaluation.model_card(
        setup,
        model_leaderboard,
        ensemble_weights,
        demand_panel,
        fit_reports=by_kind(records, "fit_report"),
        tuning_trials=by_kind(records, "tuning_trials"),
        param_importances=by_kind(records, "param_importances"),
        class_weights=class_weights,
    )
