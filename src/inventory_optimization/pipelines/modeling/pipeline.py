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


PER_MODEL_INPUTS = {
    "model_input": "model_input",
    "demand_panel": "demand_panel",
    "setup": "modeling_setup",
}


def _model_template() -> Pipeline:
    trained = {**PER_MODEL_INPUTS, "best_params": "best_params", "options": "params:model_options"}
    return Pipeline(
        [
            Node(
                nodes.tune_model,
                inputs={
                    **PER_MODEL_INPUTS,
                    "optuna_storage": "optuna_storage",
                    "options": "params:model_options",
                },
                outputs=["best_params", "tuning_trials", "param_importances"],
                name="tune_model",
            ),
            Node(
                nodes.cross_validate_model,
                inputs=trained,
                outputs="cv_predictions",
                name="cross_validate_model",
            ),
            Node(
                nodes.fit_and_forecast,
                inputs=trained,
                outputs=["model", "holdout_predictions", "live_predictions", "fit_report"],
                name="fit_and_forecast",
            ),
        ],
        tags=MODEL_TRAINING,
    )


def _per_model(kind: str, dataset: str, models: tuple[str, ...] = MODELS) -> dict[str, str]:
    """Named inputs ``<kind>_<model>`` of each model's ``<model>.<dataset>``."""
    return {f"{kind}_{m}": f"{m}.{dataset}" for m in models}


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
    return Pipeline(
        [
            Node(
                nodes.prepare_modeling,
                inputs={
                    "feature_catalog": "feature_catalog",
                    "panel_metadata": "panel_metadata",
                    "protocol": "params:protocol",
                    "cross_validation": "params:cross_validation",
                    "modeling": "params:modeling",
                    "demand_panel": "demand_panel",
                    "model_input": "model_input",
                },
                outputs="modeling_setup",
                name="prepare_modeling",
            ),
            *per_model,
            Node(
                nodes.build_ensemble,
                inputs={
                    "model_input": "model_input",
                    "setup": "modeling_setup",
                    "demand_panel": "demand_panel",
                    **{m: f"{m}.cv_predictions" for m in MODELS},
                },
                outputs="ensemble_weights",
                name="build_ensemble",
            ),
            Node(
                nodes.choose_class_weights,
                inputs={
                    "model_input": "model_input",
                    "setup": "modeling_setup",
                    "demand_panel": "demand_panel",
                    "weights": "ensemble_weights",
                    "modeling": "params:modeling",
                    **{m: f"{m}.cv_predictions" for m in MODELS},
                },
                outputs="ensemble_class_weights",
                name="choose_class_weights",
            ),
            Node(
                nodes.assemble_forecasts,
                inputs={
                    "model_input": "model_input",
                    "setup": "modeling_setup",
                    "weights": "ensemble_weights",
                    "class_weights": "ensemble_class_weights",
                    **_per_model("cv", "cv_predictions"),
                    **_per_model("holdout", "holdout_predictions"),
                    **_per_model("live", "live_predictions"),
                },
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
                    "class_weights": "ensemble_class_weights",
                    **{m: f"{m}.model" for m in MODELS},
                },
                outputs="forecaster_bundle",
                name="build_forecaster_bundle",
            ),
            Node(
                nodes.decide_champion,
                inputs={
                    "forecaster_bundle": "forecaster_bundle",
                    "current_champion": "current_champion",
                    "demand_panel": "demand_panel",
                    "series_attributes": "series_attributes",
                    "panel_metadata": "panel_metadata",
                    "setup": "modeling_setup",
                    "model_leaderboard": "model_leaderboard",
                    "model_card": "model_card",
                    "feature_catalog": "feature_catalog",
                },
                outputs="forecaster_registration",
                name="decide_champion",
            ),
            Node(
                nodes.evaluate_models,
                inputs={
                    "holdout_forecasts": "holdout_forecasts",
                    "demand_panel": "demand_panel",
                    "setup": "modeling_setup",
                    "model_input": "model_input",
                    **{m: f"{m}.fit_report" for m in MODELS},
                },
                outputs="model_leaderboard",
                name="evaluate_models",
                tags=KEY_OUTPUTS,
            ),
            Node(
                nodes.feature_importances,
                inputs={
                    "feature_catalog": "feature_catalog",
                    **{m: f"{m}.model" for m in ("random_forest", "xgboost", "lightgbm")},
                },
                outputs="feature_importances",
                name="feature_importances",
                tags=KEY_OUTPUTS,
            ),
            Node(
                nodes.model_card,
                inputs={
                    "setup": "modeling_setup",
                    "model_leaderboard": "model_leaderboard",
                    "ensemble_weights": "ensemble_weights",
                    "class_weights": "ensemble_class_weights",
                    "demand_panel": "demand_panel",
                    **_per_model("fit_report", "fit_report"),
                    **_per_model("tuning_trials", "tuning_trials"),
                    **_per_model("param_importances", "param_importances"),
                },
                outputs="model_card",
                name="model_card",
                tags=KEY_OUTPUTS,
            ),
        ],
        tags=STAGE_TAG,
    )
