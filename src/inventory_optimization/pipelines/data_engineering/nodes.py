"""Nodes of the data engineering pipeline: thin wrappers over the ``sources`` adapters and the
``panel`` module, so the same logic runs in notebooks and tests without Kedro."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from ...lineage import PANEL_VERSION, panel_version, stamp, version_of
from ...panel import SourceSummary
from ...panel.cleaning import clean_panel, discontinued_series
from ...panel.contract import DATE, DEMAND, SERIES_ID
from ...panel.landing import LandedSales, absorb_landing, upsert_landed
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


def absorb_landed_sales(
    raw_panel: pd.DataFrame,
    source_summary: dict[str, Any],
    sales_landing: dict[str, Any],
    landed_sales_before: LandedSales,
    landing: dict[str, Any],
    cleaning: dict[str, Any],
) -> tuple[pd.DataFrame, LandedSales]:
    """Absorb the landing folder's new or changed files into the landed state and upsert
    every landed row into the raw panel (``panel.landing``). ``landing.today`` (default: the
    wall clock) is the last date a file may carry; negative quantities are accepted only when
    ``cleaning.negative_policy`` keeps returns."""
    summary = SourceSummary.from_dict(source_summary)
    today = landing.get("today") or pd.Timestamp.now().normalize()
    landed, absorbed = absorb_landing(
        sales_landing,
        landed_sales_before,
        raw_panel,
        summary,
        today=pd.Timestamp(today),
        accept_new_series=bool(landing.get("accept_new_series", False)),
        allow_negative=cleaning["negative_policy"] == "keep",
    )
    panel, upserted = upsert_landed(raw_panel, landed, summary)
    absorbed.carried, absorbed.left_missing = upserted.carried, upserted.left_missing
    absorbed.unobserved_at_end = upserted.unobserved_at_end
    if sales_landing or len(landed.rows):
        logger.info("%s", absorbed.line())
    return panel, landed


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
    return stamp(panel, panel_version(panel))


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
        PANEL_VERSION: version_of(demand_panel) or panel_version(demand_panel),
        "cleaning": dict(cleaning),
        "quality": quality_summary(quality_report, source_summary),
        "discontinued": _discontinued(demand_panel, source_summary["frequency"], cleaning),
    }


def _discontinued(
    demand_panel: pd.DataFrame, frequency: str, cleaning: dict[str, Any]
) -> dict[str, Any]:
    """The series the plan lists as discontinued, and the rule that says so."""
    after_days = cleaning.get("discontinued_after_days")
    stopped = discontinued_series(demand_panel, frequency, after_days)
    never = stopped["last_sale"].isna()
    if len(stopped):
        logger.warning(
            "%d of %d series have no sale in the last %s days (cleaning.discontinued_after_days)"
            ": forecast, but listed as discontinued in the plan with no order (e.g. %s)",
            len(stopped),
            demand_panel[SERIES_ID].nunique(),
            after_days,
            ", ".join(stopped[SERIES_ID].head(3)),
        )
    return {
        "after_days": after_days,
        "count": int(len(stopped)),
        "series": dict(
            zip(
                stopped[SERIES_ID],
                stopped["last_sale"].dt.strftime("%Y-%m-%d").where(~never, None),
                strict=True,
            )
        ),
    }
