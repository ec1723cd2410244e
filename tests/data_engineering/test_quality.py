"""Per-series data quality report on a cleaned panel small enough to check by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from inventory_optimization.panel.quality import (
    data_quality_report,
    quality_chart,
    quality_summary,
)

NAN = np.nan


def _cleaned_panel() -> pd.DataFrame:
    """Series a (8 days): two gaps (days 2-3 and day 6, the latter closed by policy), a closed
    day, an open zero, a return and an outlier. Series b (3 days): complete with one zero.
    Series c (2 days): starts with an unobserved day. Rows are shuffled on purpose."""
    rows = [
        # series, day, demand, observed, closed, outlier
        ("a", 1, 5.0, True, False, False),
        ("a", 2, NAN, False, False, False),
        ("a", 3, NAN, False, False, False),
        ("a", 4, 0.0, True, True, False),
        ("a", 5, 0.0, True, False, False),
        ("a", 6, 0.0, False, True, False),
        ("a", 7, -3.0, True, False, False),
        ("a", 8, 1000.0, True, False, True),
        ("b", 1, 2.0, True, False, False),
        ("b", 2, 0.0, True, False, False),
        ("b", 3, 4.0, True, False, False),
        ("c", 1, NAN, False, False, False),
        ("c", 2, 7.5, True, False, False),
    ]
    panel = pd.DataFrame(
        rows, columns=["series_id", "day", "demand", "is_observed", "is_closed", "is_outlier"]
    )
    panel["date"] = pd.Timestamp("2024-03-01") + pd.to_timedelta(panel.pop("day") - 1, unit="D")
    return panel.sample(frac=1.0, random_state=3)


@pytest.fixture(scope="module")
def report() -> pd.DataFrame:
    return data_quality_report(_cleaned_panel())


def test_report_has_one_row_per_series_in_order(report):
    assert report["series_id"].tolist() == ["a", "b", "c"]
    assert report.columns.tolist() == [
        "series_id",
        "first_date",
        "last_date",
        "periods",
        "observed",
        "coverage",
        "gaps",
        "unobserved_periods",
        "closed",
        "missing_demand",
        "zeros",
        "negatives",
        "outliers",
        "total_demand",
    ]


def test_report_values_by_hand(report):
    a, b, c = (report.set_index("series_id").loc[s] for s in ("a", "b", "c"))
    assert a["first_date"] == pd.Timestamp("2024-03-01")
    assert a["last_date"] == pd.Timestamp("2024-03-08")
    assert (a["periods"], a["observed"]) == (8, 5)
    assert a["coverage"] == pytest.approx(5 / 8)
    # Days 2-3 are one gap, day 6 another: gaps are counted as runs.
    assert (a["gaps"], a["unobserved_periods"]) == (2, 3)
    assert a["closed"] == 2
    assert a["missing_demand"] == 2
    # Only the open, observed zero (day 5) counts; the closed days do not.
    assert a["zeros"] == 1
    assert (a["negatives"], a["outliers"]) == (1, 1)
    assert a["total_demand"] == pytest.approx(1002.0)

    assert (b["periods"], b["observed"], b["coverage"]) == (3, 3, 1.0)
    assert (b["gaps"], b["unobserved_periods"], b["closed"]) == (0, 0, 0)
    assert (b["zeros"], b["negatives"], b["outliers"]) == (1, 0, 0)
    assert b["total_demand"] == pytest.approx(6.0)

    # The first row of c is a gap of its own, not the continuation of another series' gap.
    assert (c["periods"], c["observed"], c["coverage"]) == (2, 1, 0.5)
    assert (c["gaps"], c["unobserved_periods"], c["missing_demand"]) == (1, 1, 1)
    assert c["total_demand"] == pytest.approx(7.5)


def test_gap_at_the_end_of_one_series_does_not_merge_with_the_next():
    panel = pd.DataFrame(
        {
            "series_id": ["x", "x", "y", "y"],
            "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-01", "2024-01-02"]),
            "demand": [1.0, NAN, NAN, 2.0],
            "is_observed": [True, False, False, True],
            "is_closed": False,
            "is_outlier": False,
        }
    )
    report = data_quality_report(panel)
    assert report["gaps"].tolist() == [1, 1]


def test_quality_summary_totals(report):
    assert quality_summary(report) == {
        "series": 3,
        "periods": 13,
        "mean_coverage": round((5 / 8 + 1.0 + 0.5) / 3, 4),
        "series_with_gaps": 2,
        "closed_periods": 2,
        "missing_demand": 3,
        "negatives": 1,
        "outliers": 1,
    }
    assert quality_summary(report)["mean_coverage"] == 0.7083


def test_quality_chart_shows_least_covered_series_first(report):
    figure = quality_chart(report, max_series=2)
    assert [trace.name for trace in figure.data] == [
        "observed",
        "missing (gap)",
        "closed",
        "outliers",
    ]
    assert list(figure.data[0].x) == ["c", "a"]
    assert list(figure.data[0].y) == [1, 5]
    assert list(figure.data[1].y) == [1, 3]
    assert "(2 least-covered of 3)" in figure.layout.title.text


def test_quality_summary_adds_the_source_counts_the_panel_lost(report):
    source_summary = {
        "source": "custom",
        "input_counts": {"negative_lines": 4, "duplicate_lines_dropped": 2},
    }
    totals = quality_summary(report, source_summary)
    assert totals["negatives"] == 1  # what the cleaned panel still holds
    assert totals["source_negative_lines"] == 4
    assert totals["source_duplicate_lines_dropped"] == 2
    assert quality_summary(report, {"source": "walmart"}) == quality_summary(report)
