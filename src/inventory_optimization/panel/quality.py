"""Per-series data quality report of a cleaned demand panel."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .contract import DATE, DEMAND, IS_CLOSED, IS_OBSERVED, IS_OUTLIER, SERIES_ID


def data_quality_report(panel: pd.DataFrame) -> pd.DataFrame:
    """One row per series: dates, coverage, gaps, closed periods, zeros, negatives, outliers."""
    panel = panel.sort_values([SERIES_ID, DATE], kind="stable")
    unobserved = ~panel[IS_OBSERVED]
    previous_unobserved = unobserved.groupby(panel[SERIES_ID], sort=False).shift(
        1, fill_value=False
    )
    open_observed = panel[IS_OBSERVED] & ~panel[IS_CLOSED]
    work = pd.DataFrame(
        {
            SERIES_ID: panel[SERIES_ID],
            "first_date": panel[DATE],
            "last_date": panel[DATE],
            "periods": 1,
            "observed": panel[IS_OBSERVED].astype(int),
            "gaps": (unobserved & ~previous_unobserved).astype(int),
            "unobserved_periods": unobserved.astype(int),
            "closed": panel[IS_CLOSED].astype(int),
            "missing_demand": panel[DEMAND].isna().astype(int),
            "zeros": (open_observed & (panel[DEMAND] == 0)).astype(int),
            "negatives": (panel[DEMAND] < 0).astype(int),
            "outliers": panel[IS_OUTLIER].astype(int),
            "total_demand": panel[DEMAND].fillna(0.0),
        }
    )
    report = work.groupby(SERIES_ID, sort=True).agg(
        first_date=("first_date", "min"),
        last_date=("last_date", "max"),
        periods=("periods", "sum"),
        observed=("observed", "sum"),
        gaps=("gaps", "sum"),
        unobserved_periods=("unobserved_periods", "sum"),
        closed=("closed", "sum"),
        missing_demand=("missing_demand", "sum"),
        zeros=("zeros", "sum"),
        negatives=("negatives", "sum"),
        outliers=("outliers", "sum"),
        total_demand=("total_demand", "sum"),
    )
    report.insert(4, "coverage", report["observed"] / report["periods"])
    return report.reset_index()


def quality_summary(report: pd.DataFrame, source_summary: Mapping | None = None) -> dict:
    """Panel-level totals of the per-series report, for logs and metadata.

    ``negatives`` counts negative periods of the cleaned panel, which a ``clip`` policy has
    already set to zero. Given the ``source_summary``, the totals add what the raw lines held
    before they were combined and cleaned (``input_counts``, e.g. ``negative_lines``), each
    key prefixed with ``source_``.
    """
    summary = {
        "series": int(len(report)),
        "periods": int(report["periods"].sum()),
        "mean_coverage": round(float(report["coverage"].mean()), 4),
        "series_with_gaps": int((report["gaps"] > 0).sum()),
        "closed_periods": int(report["closed"].sum()),
        "missing_demand": int(report["missing_demand"].sum()),
        "negatives": int(report["negatives"].sum()),
        "outliers": int(report["outliers"].sum()),
    }
    counts = (source_summary or {}).get("input_counts") or {}
    summary.update({f"source_{name}": int(value) for name, value in counts.items()})
    return summary


def quality_chart(report: pd.DataFrame, max_series: int = 60):
    """Plotly figure: coverage and flagged periods of the least-covered series."""
    import plotly.graph_objects as go

    shown = report.sort_values(["coverage", "outliers"], ascending=[True, False]).head(max_series)
    figure = go.Figure()
    for column, label in [
        ("observed", "observed"),
        ("unobserved_periods", "missing (gap)"),
        ("closed", "closed"),
        ("outliers", "outliers"),
    ]:
        figure.add_bar(x=shown[SERIES_ID].astype(str), y=shown[column], name=label)
    figure.update_layout(
        title=f"Data quality: periods per series ({len(shown)} least-covered of {len(report)})",
        barmode="group",
        xaxis_title="series",
        yaxis_title="periods",
        legend_title="periods that are",
    )
    return figure
