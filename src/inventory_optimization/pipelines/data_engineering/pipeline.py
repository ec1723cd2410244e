"""Data engineering: ingest the configured source, clean it, report its quality.

The ingestion nodes depend on the source (``data_source.kind`` in the environment's
parameters); everything after ``raw_panel`` is the same for every source.

Tags (kedro-viz shows them as filters, e.g. "Data Engineering", "Ingestion", "Key Outputs"):
every node carries its stage tag; the source-specific nodes are also tagged ``ingestion``.
"""

from kedro.pipeline import Node, Pipeline

from . import nodes

SOURCES = ("synthetic", "rossmann", "walmart", "recruit", "custom")
INGEST_OUTPUTS = ["raw_panel", "series_attributes", "source_summary"]
STAGE_TAG = "data_engineering"


def _ingestion(source: str) -> list[Node]:
    if source == "synthetic":
        return [
            Node(
                nodes.generate_synthetic_data,
                inputs="params:synthetic_data",
                outputs=[
                    "synthetic_sales",
                    "synthetic_items",
                    "synthetic_stores",
                    "synthetic_weather",
                    "stock_positions",
                    "true_demand",
                ],
                name="generate_synthetic_data",
                tags="ingestion",
            ),
            Node(
                nodes.ingest_synthetic,
                inputs=[
                    "synthetic_sales",
                    "synthetic_items",
                    "synthetic_stores",
                    "synthetic_weather",
                    "params:data_source",
                ],
                outputs=INGEST_OUTPUTS,
                name="ingest_synthetic_sales",
                tags="ingestion",
            ),
        ]
    inputs = {
        "rossmann": [
            "rossmann_train",
            "rossmann_store",
            "rossmann_store_states",
            "rossmann_weather",
        ],
        "walmart": ["walmart_train", "walmart_features", "walmart_stores"],
        "recruit": ["recruit_air_visit_data", "recruit_air_store_info", "recruit_date_info"],
        "custom": ["custom_sales"],
    }
    if source not in inputs:
        raise ValueError(f"data_source.kind '{source}' is not one of {SOURCES}.")
    return [
        Node(
            getattr(nodes, f"ingest_{source}"),
            inputs=[*inputs[source], "params:data_source"],
            outputs=INGEST_OUTPUTS,
            name=f"ingest_{source}_sales",
            tags="ingestion",
        )
    ]


def create_pipeline(source: str = "synthetic", **kwargs) -> Pipeline:
    return Pipeline(
        [
            *_ingestion(source),
            Node(
                nodes.clean_demand_panel,
                inputs=["raw_panel", "source_summary", "params:cleaning"],
                outputs="demand_panel",
                name="clean_demand_panel",
            ),
            Node(
                nodes.report_data_quality,
                inputs="demand_panel",
                outputs=["data_quality_report", "data_quality_chart"],
                name="report_data_quality",
                tags="key_outputs",
            ),
            Node(
                nodes.describe_panel,
                inputs=[
                    "demand_panel",
                    "series_attributes",
                    "source_summary",
                    "params:cleaning",
                    "data_quality_report",
                ],
                outputs="panel_metadata",
                name="describe_demand_panel",
            ),
        ],
        tags=STAGE_TAG,
    )
