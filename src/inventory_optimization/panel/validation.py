"""Checks at ingestion. Each failure raises one ``DataValidationError`` that names the
dataset, the column, how many lines are affected, a few examples and what to change.

Examples point at 1-based file lines: a raw table read from a CSV with a header keeps the
file's order, so its row ``i`` is line ``i + 2`` (the header is line 1). A table read from
several files (a ``partition`` column holds each file's stem) counts lines per file.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from .contract import DATE, DEMAND, SERIES_ID
from .inspection import MIN_DATES_FOR_PATTERN, WEEKDAY_NAMES, DateInspection
from .periods import FREQUENCY_CODES, Frequency

MAX_ABS_VALUE = 1e12  # larger magnitudes are typos or overflows, and crash model libraries
MIN_PERIODS = 2  # the fewest periods a panel accepts (later stages need more)
FIX_LINES = "correct or remove those lines"
PARTITION = "partition"


class DataValidationError(ValueError):
    """Raised when input data breaks the panel contract; nothing has been written yet."""


def _examples(values: Iterable, limit: int = 3) -> str:
    shown = [repr(v) for v in list(values)[:limit]]
    return ", ".join(shown)


def _value(value) -> str:
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return f"{value:%Y-%m-%d}"
    if isinstance(value, (float, np.floating)) and not np.isfinite(value):
        return str(float(value))
    return repr(value.item() if isinstance(value, np.generic) else value)


def line_label(frame: pd.DataFrame, index) -> str:
    """Where row ``index`` of a raw table sits in its file, e.g. ``line 78``."""
    if not isinstance(index, (int, np.integer)):
        return f"row {index}"
    if PARTITION in frame.columns:
        part = frame.at[index, PARTITION]
        first = frame.index[(frame[PARTITION] == part).to_numpy()].min()
        return f"{part} line {int(index) - int(first) + 2}"
    return f"line {int(index) + 2}"


def line_examples(frame: pd.DataFrame, mask, column: str | None = None, limit: int = 3) -> str:
    """``line 3: 'abc', line 5: 'n/a'`` for the first rows where ``mask`` holds."""
    rows = frame.index[np.asarray(mask, dtype=bool)][:limit]
    if column is None:
        return ", ".join(line_label(frame, idx) for idx in rows)
    return ", ".join(f"{line_label(frame, idx)}: {_value(frame.at[idx, column])}" for idx in rows)


def _comparable(name) -> str:
    """``' Order_Date'`` and ``'order date'`` compare equal: case, spaces, ``_`` and ``-``."""
    return " ".join(re.split(r"[\s_\-]+", str(name).strip().lower())).strip()


def close_names(name, choices: Iterable, limit: int = 3) -> list:
    """The choices nearest to ``name`` (case-insensitive, ``difflib``), closest first: the
    ones equal but for case, spaces, ``_`` and ``-`` if any, else up to ``limit`` near ones."""
    by_form: dict[str, list] = {}
    for choice in choices:
        by_form.setdefault(_comparable(choice), []).append(choice)
    wanted = _comparable(name)
    # A spelling that differs only in case, spaces or separators is the answer on its own.
    forms = [wanted] if wanted in by_form else []
    forms = forms or difflib.get_close_matches(wanted, list(by_form), n=limit, cutoff=0.6)
    found = [choice for form in forms for choice in by_form[form]]
    return [choice for choice in found if choice != name][:limit]


def did_you_mean(name, choices: Iterable) -> str:
    """`` (did you mean 'units'?)`` when a choice is close to ``name``, else ``''``."""
    close = close_names(name, choices)
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""


def require_columns(
    frame: pd.DataFrame, columns: Sequence[str], dataset: str, *, fix: str | None = None
) -> None:
    """Every column present; a missing one is named with the file's nearest spellings."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        hints = [
            f"{' or '.join(map(repr, close))} for {name!r}"
            for name in missing
            if (close := close_names(name, frame.columns))
        ]
        near = f" (did you mean {'; '.join(hints)}?)" if hints else ""
        raise DataValidationError(
            f"{dataset}: missing required column(s) {missing} in {len(frame)} rows{near}; "
            f"expected {list(columns)}, found {list(frame.columns)}" + (f"; {fix}." if fix else ".")
        )


def require_rows(frame: pd.DataFrame, dataset: str) -> None:
    if frame.empty:
        raise DataValidationError(f"{dataset}: has 0 rows; expected at least one record.")


def to_numeric(
    frame: pd.DataFrame,
    column: str,
    dataset: str,
    *,
    allow_missing: bool = False,
    fix: str = FIX_LINES,
) -> pd.Series:
    """Coerce a column to float; values that do not parse (or are missing) are an error, and
    so are ``inf``/``-inf`` and magnitudes above ``MAX_ABS_VALUE``."""
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").astype("float64")
    bad = values.isna() & raw.notna()
    if not allow_missing:
        bad |= raw.isna()
    if bad.any():
        what = "numeric" if allow_missing else "numeric and present"
        raise DataValidationError(
            f"{dataset}: column '{column}' must be {what}; {int(bad.sum())} of {len(frame)} "
            f"lines are not ({line_examples(frame, bad, column)}); {fix}."
        )
    absurd = values.notna() & ~(values.abs() <= MAX_ABS_VALUE)
    if absurd.any():
        raise DataValidationError(
            f"{dataset}: column '{column}' must hold finite numbers of magnitude at most "
            f"{MAX_ABS_VALUE:.0e}; {int(absurd.sum())} of {len(frame)} lines do not "
            f"({line_examples(frame.assign(**{column: values}), absurd, column)}); {fix}."
        )
    return values


def to_dates(
    frame: pd.DataFrame,
    column: str,
    dataset: str,
    *,
    date_format: str | None = None,
    dayfirst: bool = False,
    fix: str = FIX_LINES,
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
            f"{len(frame)} lines do not parse ({line_examples(frame, bad, column)}); {fix}."
        )
    outside = ((parsed < pd.Timestamp.min) | (parsed > pd.Timestamp.max)).to_numpy()
    if outside.any():
        raise DataValidationError(
            f"{dataset}: column '{column}' has {int(outside.sum())} of {len(frame)} lines "
            f"dated outside {pd.Timestamp.min:%Y-%m-%d} to {pd.Timestamp.max:%Y-%m-%d} "
            f"({line_examples(frame, outside, column)}); {FIX_LINES}."
        )
    return parsed.astype("datetime64[ns]")


def require_filled(frame: pd.DataFrame, column: str, dataset: str, *, fix: str) -> None:
    """Missing or blank (whitespace-only) values in a key column are an error."""
    raw = frame[column]
    blank = raw.isna() | raw.astype(str).str.strip().eq("")
    if blank.any():
        raise DataValidationError(
            f"{dataset}: key column '{column}' is blank in {int(blank.sum())} of {len(frame)} "
            f"lines ({line_examples(frame, blank)}); {fix}."
        )


def require_not_after(
    frame: pd.DataFrame,
    dates: pd.Series,
    column: str,
    dataset: str,
    last: pd.Timestamp,
    *,
    last_label: str,
    fix: str,
) -> None:
    """Dates after ``last`` (the last allowed day, e.g. today) are an error."""
    late = (dates.dt.normalize() > last).to_numpy()
    if late.any():
        raise DataValidationError(
            f"{dataset}: column '{column}' has {int(late.sum())} of {len(frame)} lines dated "
            f"after {last:%Y-%m-%d}, the last allowed date ({last_label}): "
            f"{line_examples(frame, late, column)}; {fix}."
        )


def check_unique(
    frame: pd.DataFrame,
    keys: Sequence[str],
    dataset: str,
    *,
    lines: bool = False,
    fix: str | None = None,
) -> None:
    """One row per key. With ``lines``, ``frame`` is indexed like its raw file and the
    examples name file lines."""
    keys = list(keys)
    duplicated = frame.duplicated(keys, keep=False)
    if duplicated.any():
        unit = "line" if lines else "row"
        repeated = frame.loc[duplicated, keys]
        groups = repeated.groupby(keys, sort=False, dropna=False).groups
        shown = []
        for key, index in list(groups.items())[:3]:
            values = key if isinstance(key, tuple) else (key,)
            where = (
                f"on lines {', '.join(str(int(i) + 2) for i in index)}"
                if unit == "line" and PARTITION not in frame.columns
                else f"in {len(index)} {unit}s"
            )
            shown.append(f"({', '.join(_value(v) for v in values)}) {where}")
        raise DataValidationError(
            f"{dataset}: {int(duplicated.sum())} of {len(frame)} {unit}s share their "
            f"({', '.join(keys)}) with another {unit}; expected one {unit} per key "
            f"(e.g. {'; '.join(shown)})" + (f"; {fix}." if fix else ".")
        )


def require_frequency(frequency: str, dataset: str) -> None:
    if frequency not in FREQUENCY_CODES:
        raise DataValidationError(
            f"{dataset}: frequency '{frequency}' is not supported; expected one of "
            f"{list(FREQUENCY_CODES)}."
        )


def check_frequency(
    dates: pd.Series, frequency: str, dataset: str, column: str = DATE, *, lines: bool = False
) -> None:
    """Every date must sit on the declared frequency's grid (midnight; weekly: its weekday;
    monthly: a month's last day). With ``lines``, ``dates`` is indexed like its raw file and
    the examples name file lines."""
    require_frequency(frequency, dataset)
    on_grid = Frequency(frequency).is_on_grid(dates)
    if not on_grid.all():
        bad = ~on_grid
        shown = dates.dt.strftime("%Y-%m-%d %H:%M (%a)").to_frame(column)
        if lines:
            examples = line_examples(shown, bad, column)
        else:
            examples = "e.g. " + _examples(shown.loc[bad, column].head(3))
        raise DataValidationError(
            f"{dataset}: column '{column}' has {int(bad.sum())} of {len(dates)} "
            f"{'line' if lines else 'row'}s off the declared frequency '{frequency}' "
            f"({examples}); {FIX_LINES + ', or ' if lines else ''}declare the frequency the "
            f"dates are on."
        )


def check_declared_frequency(
    inspection: DateInspection, frequency: str, dataset: str, column: str
) -> None:
    """Refuse a declared frequency the dates contradict: monthly-looking dates declared as
    days or weeks, weekly-looking dates declared ``D`` or ``ME`` (a week can straddle two
    months), or dates all on one weekday declared as weeks ending on another (silent
    relabelling)."""
    require_frequency(frequency, dataset)
    declared = Frequency(frequency)
    if inspection.dates < MIN_DATES_FOR_PATTERN:
        return
    suggested = inspection.suggested_frequency
    if inspection.looks_monthly and not declared.is_monthly:
        raise DataValidationError(
            f"{dataset}: column '{column}' looks monthly but frequency '{frequency}' is "
            f"declared: {inspection.describe_monthly()}; set frequency: {suggested} (months "
            f"labelled by their last day) or auto in data_source."
        )
    if declared.is_monthly and inspection.looks_weekly:
        raise DataValidationError(
            f"{dataset}: column '{column}' looks weekly but frequency '{frequency}' is "
            f"declared: {inspection.describe()}; weekly totals cannot be summed into months (a "
            f"week can straddle two): set frequency: {suggested} in data_source, or export "
            f"daily lines."
        )
    if inspection.weekday is None:
        return
    if declared.is_daily and inspection.looks_weekly:
        raise DataValidationError(
            f"{dataset}: column '{column}' looks weekly but frequency 'D' is declared: "
            f"{inspection.describe()}; set frequency: {suggested} in data_source."
        )
    if declared.weekday is not None and declared.weekday != inspection.weekday:
        raise DataValidationError(
            f"{dataset}: column '{column}' contradicts frequency '{frequency}': "
            f"{inspection.describe()}, which '{frequency}' would relabel to the following "
            f"{WEEKDAY_NAMES[declared.weekday]}; set frequency: {suggested} in data_source."
        )


def require_periods(
    periods: pd.Series, frequency: str, dataset: str, column: str, *, fix: str
) -> None:
    """A panel needs at least ``MIN_PERIODS`` distinct periods."""
    found = pd.DatetimeIndex(periods.unique()).sort_values()
    if len(found) < MIN_PERIODS:
        unit = Frequency(frequency).unit
        count = f"{len(found)} {unit[:-1] if len(found) == 1 else unit}"
        span = f" ({', '.join(f'{d:%Y-%m-%d}' for d in found)})" if len(found) else ""
        raise DataValidationError(
            f"{dataset}: column '{column}' covers {count}{span}; the panel needs at least "
            f"{MIN_PERIODS} {unit}; {fix}."
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
