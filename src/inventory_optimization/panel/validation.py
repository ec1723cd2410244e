"""Checks at ingestion. Each failure raises one ``DataValidationError`` that names the
dataset, the column, how many rows are affected and a few examples."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from .contract import DATE, DEMAND, SERIES_ID
from .periods import SUPPORTED_FREQUENCIES, Frequency


class DataValidationError(ValueError):
    """Raised when input data breaks the panel contract; nothing has been written yet."""


def _examples(values: Iterable, limit: int = 3) -> str:
    shown = [repr(v) for v in list(values)[:limit]]
    return ", ".join(shown)


def _row_examples(frame: pd.DataFrame, mask: np.ndarray | pd.Series, column: str) -> str:
    rows = frame.loc[mask, column].head(3)
    return ", ".join(f"row {idx}: {value!r}" for idx, value in rows.items())


def require_columns(frame: pd.DataFrame, columns: Sequence[str], dataset: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataValidationError(
            f"{dataset}: missing required column(s) {missing} in {len(frame)} rows; "
            f"expected {list(columns)}, found {list(frame.columns)}."
        )


def require_rows(frame: pd.DataFrame, dataset: str) -> None:
    if frame.empty:
        raise DataValidationError(f"{dataset}: has 0 rows; expected at least one record.")


def to_numeric(
    frame: pd.DataFrame, column: str, dataset: str, *, allow_missing: bool = False
) -> pd.Series:
    """Coerce a column to float; values that do not parse (or are missing) are an error."""
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").astype("float64")
    bad = values.isna() & raw.notna()
    if not allow_missing:
        bad |= raw.isna()
    if bad.any():
        what = "numeric" if allow_missing else "numeric and present"
        raise DataValidationError(
            f"{dataset}: column '{column}' must be {what}; {int(bad.sum())} of {len(frame)} "
            f"rows are not ({_row_examples(frame, bad, column)})."
        )
    return values


def to_dates(
    frame: pd.DataFrame,
    column: str,
    dataset: str,
    *,
    date_format: str | None = None,
    dayfirst: bool = False,
) -> pd.Series:
    """Parse a date column; any unparseable or missing value is an error."""
    raw = frame[column]
    if date_format:
        parsed = pd.to_datetime(raw, format=date_format, errors="coerce")
    else:
        parsed = pd.to_datetime(raw, dayfirst=dayfirst, errors="coerce")
    bad = parsed.isna()
    if bad.any():
        expected = f"format '{date_format}'" if date_format else "a parseable date"
        raise DataValidationError(
            f"{dataset}: column '{column}' must hold dates ({expected}); {int(bad.sum())} of "
            f"{len(frame)} rows do not parse ({_row_examples(frame, bad, column)})."
        )
    return parsed.astype("datetime64[ns]")


def check_unique(frame: pd.DataFrame, keys: Sequence[str], dataset: str) -> None:
    duplicated = frame.duplicated(list(keys), keep=False)
    if duplicated.any():
        sample = frame.loc[duplicated, list(keys)].head(3).to_dict("records")
        raise DataValidationError(
            f"{dataset}: {int(duplicated.sum())} of {len(frame)} rows share their "
            f"({', '.join(keys)}) with another row; expected one row per key "
            f"(e.g. {_examples(sample)})."
        )


def check_frequency(dates: pd.Series, frequency: str, dataset: str, column: str = DATE) -> None:
    """Every date must sit on the declared frequency's grid (midnight; weekly: its weekday)."""
    if frequency not in SUPPORTED_FREQUENCIES:
        raise DataValidationError(
            f"{dataset}: frequency '{frequency}' is not supported; expected one of "
            f"{list(SUPPORTED_FREQUENCIES)}."
        )
    on_grid = dates.dt.normalize() == dates
    weekday = Frequency(frequency).weekday
    if weekday is not None:
        on_grid &= dates.dt.day_of_week == weekday
    if not on_grid.all():
        bad = ~on_grid
        examples = _examples(dates[bad].dt.strftime("%Y-%m-%d %H:%M (%a)").head(3))
        raise DataValidationError(
            f"{dataset}: column '{column}' has {int(bad.sum())} of {len(dates)} rows off the "
            f"declared frequency '{frequency}' (e.g. {examples})."
        )


def validate_panel(panel: pd.DataFrame, frequency: str, dataset: str = "demand_panel") -> None:
    """The contract every adapter's output must meet before anything is written."""
    require_rows(panel, dataset)
    require_columns(panel, [SERIES_ID, DATE, DEMAND], dataset)
    if not pd.api.types.is_datetime64_any_dtype(panel[DATE]):
        raise DataValidationError(
            f"{dataset}: column '{DATE}' must be datetime, got {panel[DATE].dtype} "
            f"({len(panel)} rows)."
        )
    if not pd.api.types.is_numeric_dtype(panel[DEMAND]):
        raise DataValidationError(
            f"{dataset}: column '{DEMAND}' must be numeric, got {panel[DEMAND].dtype} "
            f"({len(panel)} rows)."
        )
    missing_ids = panel[SERIES_ID].isna()
    if missing_ids.any():
        raise DataValidationError(
            f"{dataset}: column '{SERIES_ID}' is missing in {int(missing_ids.sum())} of "
            f"{len(panel)} rows."
        )
    check_unique(panel, [SERIES_ID, DATE], dataset)
    check_frequency(panel[DATE], frequency, dataset)
