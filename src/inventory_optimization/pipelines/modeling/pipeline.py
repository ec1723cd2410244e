"""Modeling: one modular pipeline per model family (a namespace each, so kedro-viz shows one
box per model), then stacking, calibrated quantiles, the leaderboard and the model card.

Tags (kedro-viz filters): every node carries the stage tag ``modeling``; the per-model nodes
also ``model_training``, and the nodes writing what stakeholders read ``key_outputs``."""

from kedro.pipeline import Node, Pipeline

from ..tags import KEY_OUTPUTS, MODEL_TRAINING
from . import nodes

MODELS = ("seasonal_naive", "croston", "tsb", "ets", "random_forest", "xgboost", "lightgbm", "lstm")
SHARED = {"model_input", "demand_panel", "modeling_setup", "optuna_storage"}
STAGE_TAG = "modeling"


def _model_template() -> Pipeline:
    return Pipeline(
        [
            Node(
                nodes.tune_model,
                inputs=[
                    "model_input",
                    "demand_panel",
                    "modeling_setup",
                    "optuna_storage",
                    "params:model_options",
                ],
                outputs=["best_params", "tuning_trials", "param_importances"],
                name="tune_model",
            ),
            Node(
                nodes.cross_validate_model,
                inputs=[
                    "model_input",
                    "demand_panel",
                    "modeling_setup",
                    "best_params",
                    "params:model_options",
                ],
                outputs="cv_predictions",
                name="cross_validate_model",
            ),
            Node(
                nodes.fit_and_forecast,
                inputs=[
                    "model_input",
                    "demand_panel",
                    "modeling_setup",
                    "best_params",
                    "params:model_options",
                ],
                outputs=["model", "holdout_predictions", "live_predictions", "fit_report"],
                name="fit_and_forecast",
            ),
        ],
        tags=MODEL_TRAINING,
    )


def create_pipeline(**kwargs) -> Pipeline:
    per_model = [
        Pipeline(
            _model_template(),
            namespace=model,
            inputs=SHARED,
            parameters={"params:model_options": f"params:{model}.model_options"},
        )
        for model in MODELS
    ]
    predictions = [
        f"{m}.{kind}"
        for m in MODELS
        for kind in ("cv_predictions", "holdout_predictions", "live_predictions")
    ]
    return Pipeline(
        [
            Node(
                nodes.prepare_modeling,
                inputs=[
                    "feature_catalog",
                    "panel_metadata",
                    "params:protocol",
                    "params:cross_validation",
                    "params:modeling",
                    "demand_panel",
                    "model_input",
                ],
                outputs="modeling_setup",
                name="prepare_modeling",
            ),
            *per_model,
            Node(
                nodes.build_ensemble,
                inputs=[
                    "model_input",
                    "modeling_setup",
                    "demand_panel",
                    *[f"{m}.cv_predictions" for m in MODELS],
                ],
                outputs="ensemble_weights",
                name="build_ensemble",
            ),
            Node(
                nodes.assemble_forecasts,
                inputs=["model_input", "modeling_setup", "ensemble_weights", *predictions],
                outputs=["holdout_forecasts", "demand_forecast", "ensemble_calibration"],
                name="assemble_forecasts",
                tags=KEY_OUTPUTS,
            ),
            Node(
                nodes.build_forecaster_bundle,
                inputs={
                    "setup": "modeling_setup",
                    "panel_metadata": "panel_metadata",
                    "feature_transforms": "feature_transforms",
                    "features": "params:features",
                    "weights": "ensemble_weights",
                    "calibration": "ensemble_calibration",
                    **{m: f"{m}.model" for m in MODELS},
                },
                outputs="forecaster_bundle",
                name="build_forecaster_bundle",
            ),
            Node(
                nodes.decide_champion,
                inputs=[
                    "forecaster_bundle",
                    "current_champion",
                    "demand_panel",
                    "series_attributes",
                    "panel_metadata",
                    "modeling_setup",
                    "model_leaderboard",
                    "model_card",
                    "feature_catalog",
                ],
                outputs="forecaster_registration",
                name="decide_champion",
            ),
            Node(
                nodes.evaluate_models,
                inputs=[
                    "holdout_forecasts",
                    "demand_panel",
                    "modeling_setup",
                    "model_input",
                    *[f"{m}.fit_report" for m in MODELS],
                ],
                outputs="model_leaderboard",
                name="evaluate_models",
                tags=KEY_OUTPUTS,
            ),
            Node(
                nodes.feature_importances,
                inputs=[
                    "feature_catalog",
                    "random_forest.model",
                    "xgboost.model",
                    "lightgbm.model",
                ],
                outputs="feature_importances",
                name="feature_importances",
                tags=KEY_OUTPUTS,
            ),
            Node(
                nodes.model_card,
                inputs=[
                    "modeling_setup",
                    "model_leaderboard",
                    "ensemble_weights",
                    "demand_panel",
                    *[
                        f"{m}.{kind}"
                        for m in MODELS
                        for kind in ("fit_report", "tuning_trials", "param_importances")
                    ],
                ],
                outputs="model_card",
                name="model_card",
                tags=KEY_OUTPUTS,
            ),
        ],
        tags=STAGE_TAG,
    )
