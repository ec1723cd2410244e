"""Steps every adapter shares: completing the calendar and checking the contract."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from ..panel.cleaning import complete_calendar
from ..panel.closures import closed_mask
from ..panel.contract import DATE, DEMAND, IS_CLOSED, IS_OBSERVED, SERIES_ID, SourceSummary
from ..panel.validation import check_frequency, check_unique, validate_panel


def assemble_panel(
    facts: pd.DataFrame,
    summary: SourceSummary,
    dataset: str,
    *,
    lines: bool = True,
    closures: Mapping | None = None,
) -> pd.DataFrame:
    """Validate one row per (series, date) on the declared frequency, then complete the grid.

    ``facts`` holds ``series_id``, the key columns, ``date``, ``demand``, ``is_closed`` and any
    row-level covariates; with ``lines`` (the default) it is indexed like the raw file, so
    errors name file lines. ``closures`` (``dates``, ``annual``, ``series``; see
    ``panel.closures.closed_mask``) close periods of the completed grid, recorded or not:
    ``is_closed`` and zero demand. Returns the completed panel with ``is_observed``.
    """
    fix = "remove the repeated lines" if lines else None
    check_unique(facts, [SERIES_ID, DATE], dataset, lines=lines, fix=fix)
    check_frequency(facts[DATE], summary.frequency, dataset, lines=lines)
    if IS_CLOSED not in facts.columns:
        facts = facts.assign(**{IS_CLOSED: False})
    panel = complete_calendar(facts, summary.frequency, static_columns=summary.keys)
    if closures:
        shut = closed_mask(panel[SERIES_ID], panel[DATE], summary.frequency, closures)
        if shut.any():
            panel.loc[shut, IS_CLOSED] = True
            panel.loc[shut, DEMAND] = 0.0
    validate_panel(panel, summary.frequency, dataset)
    return panel


def merge_on_date(
    panel: pd.DataFrame, table: pd.DataFrame, on: Sequence[str] = (DATE,)
) -> pd.DataFrame:
    """Left-join a covariate table (by date, or by key and date) without changing row count."""
    return panel.merge(table, on=list(on), how="left", validate="many_to_one")


def order_columns(panel: pd.DataFrame, summary: SourceSummary) -> pd.DataFrame:
    leading = [SERIES_ID, *summary.keys, DATE, DEMAND]
    trailing = [IS_OBSERVED, IS_CLOSED]
    middle = [c for c in summary.covariates if c in panel.columns]
    others = [c for c in panel.columns if c not in {*leading, *trailing, *middle}]
    return panel[[*leading, *middle, *others, *trailing]]
