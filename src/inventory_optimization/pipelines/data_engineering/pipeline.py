"""Data engineering: ingest the environment's source, clean it, report its quality.

The environment's ``data_source.kind`` picks one entry of ``sources.registry.SOURCES``; its
raw tables (catalog entries) feed the single ingestion node ``ingest_sales``. The built-in
source adds the node of its seeded generator. Everything from ``raw_panel`` on is the same for
every source: ``absorb_landed_sales`` upserts the landing folder's new sales into it
(``sales_panel``, what cleaning reads) and keeps the landing checkpoint ``landed_sales``.
"""

from kedro.pipeline import Node, Pipeline

from ...sources.registry import Source, source_for
from ..tags import INGESTION, KEY_OUTPUTS
from . import nodes

STAGE_TAG = "data_engineering"


def _ingestion(source: Source) -> list[Node]:
    ingestion = [
        Node(
            nodes.ingest_sales,
            inputs={"data_source": "params:data_source", **source.raw_inputs},
            outputs=["raw_panel", "series_attributes", "source_summary"],
            name="ingest_sales",
            tags=INGESTION,
        )
    ]
    if source.generator is None:
        return ingestion
    generated = {**source.raw_inputs, **{extra: extra for extra in source.generated_extras}}
    generator = Node(
        source.generator,
        inputs=f"params:{source.generator_parameters}",
        outputs=generated,
        name=source.generator.__name__,
        tags=INGESTION,
    )
    return [generator, *ingestion]


def create_pipeline(source: Source | None = None, **kwargs) -> Pipeline:
    return Pipeline(
        [
            *_ingestion(source or source_for("synthetic")),
            Node(
                nodes.absorb_landed_sales,
                inputs=[
                    "raw_panel",
                    "source_summary",
                    "sales_landing",
                    "landed_sales_before",
                    "params:landing",
                    "params:cleaning",
                ],
                outputs=["sales_panel", "landed_sales"],
                name="absorb_landed_sales",
                tags=INGESTION,
            ),
            Node(
                nodes.clean_demand_panel,
                inputs=["sales_panel", "source_summary", "params:cleaning"],
                outputs="demand_panel",
                name="clean_demand_panel",
            ),
            Node(
                nodes.report_data_quality,
                inputs="demand_panel",
                outputs=["data_quality_report", "data_quality_chart"],
                name="report_data_quality",
                tags=KEY_OUTPUTS,
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
                name="describe_panel",
            ),
        ],
        tags=STAGE_TAG,
    )
