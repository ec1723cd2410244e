"""Nodes of the data engineering pipeline: thin wrappers over the ``sources`` adapters and the
``panel`` module, so the same logic runs in notebooks and tests without Kedro."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from ...panel import SourceSummary
from ...panel.cleaning import clean_panel
from ...panel.contract import DATE, DEMAND, SERIES_ID
from ...panel.quality import data_quality_report, quality_chart, quality_summary
from ...sources.registry import source_for

logger = logging.getLogger(__name__)
Ingested = tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]


def _ingested(
    result: tuple[pd.DataFrame, pd.DataFrame, SourceSummary], source: dict[str, Any]
) -> Ingested:
    panel, attributes, summary = result
    record = summary.to_dict()
    record["raw_dir"] = source.get("raw_dir")
    logger.info(
        "Ingested %s: %d series, %d panel rows from %s",
        summary.source,
        panel[SERIES_ID].nunique(),
        len(panel),
        summary.source_files,
    )
    return panel, attributes, record


def ingest_sales(data_source: dict[str, Any], **raw_tables: pd.DataFrame) -> Ingested:
    """Turn the environment's raw tables into the raw panel with its source's adapter."""
    source = source_for(data_source["kind"])
    return _ingested(source.build_panel(raw_tables, data_source), data_source)


def clean_demand_panel(
    raw_panel: pd.DataFrame, source_summary: dict[str, Any], cleaning: dict[str, Any]
) -> pd.DataFrame:
    """Apply the cleaning policies named in ``cleaning`` parameters."""
    summary = SourceSummary.from_dict(source_summary)
    panel = clean_panel(
        raw_panel,
        covariates=summary.known_covariates,
        missing_policy=cleaning["missing_policy"],
        negative_policy=cleaning["negative_policy"],
        outlier_threshold=float(cleaning["outlier_threshold"]),
        cap_outliers=bool(cleaning.get("cap_outliers", False)),
    )
    return panel


def report_data_quality(demand_panel: pd.DataFrame):
    """Per-series quality table and its chart."""
    report = data_quality_report(demand_panel)
    logger.info("Data quality: %s", quality_summary(report))
    return report, quality_chart(report)


def describe_panel(
    demand_panel: pd.DataFrame,
    series_attributes: pd.DataFrame,
    source_summary: dict[str, Any],
    cleaning: dict[str, Any],
    quality_report: pd.DataFrame,
) -> dict[str, Any]:
    """The panel's metadata record: frequency, unit, covariate kinds, sources, sizes."""
    return {
        **source_summary,
        "columns": {
            "series_id": SERIES_ID,
            "date": DATE,
            "target": DEMAND,
            "static": list(series_attributes.columns),
        },
        "rows": int(len(demand_panel)),
        "series": int(demand_panel[SERIES_ID].nunique()),
        "first_date": str(demand_panel[DATE].min().date()),
        "last_date": str(demand_panel[DATE].max().date()),
        "total_demand": float(demand_panel[DEMAND].sum()),
        "cleaning": dict(cleaning),
        "quality": quality_summary(quality_report),
    }
