"""Feature engineering: fit the static transforms on training data, then build the model
input over every forecast origin together with its feature catalog.

Every node carries the stage tag (kedro-viz filter "Feature Engineering")."""

from kedro.pipeline import Node, Pipeline

from . import nodes

STAGE_TAG = "feature_engineering"


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                nodes.fit_feature_transforms,
                inputs=[
                    "demand_panel",
                    "series_attributes",
                    "panel_metadata",
                    "params:protocol",
                    "params:cross_validation",
                    "params:features",
                ],
                outputs="feature_transforms",
                name="fit_feature_transforms",
            ),
            Node(
                nodes.build_features,
                inputs=[
                    "demand_panel",
                    "series_attributes",
                    "panel_metadata",
                    "feature_transforms",
                    "params:protocol",
                    "params:cross_validation",
                    "params:features",
                ],
                outputs=["model_input", "feature_catalog"],
                name="build_features",
            ),
        ],
        tags=STAGE_TAG,
    )
