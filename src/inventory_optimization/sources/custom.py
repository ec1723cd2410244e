"""Bring your own data: a long CSV/Parquet export mapped to the panel by parameters.

Every doubtful line is either refused with a ``DataValidationError`` before the adapter
returns (so Kedro writes nothing) or handled by a policy the mapping names, logged and counted
in ``SourceSummary.input_counts``:

- refused: a mapped column the file lacks (with the file's nearest spellings), blank keys,
  unparseable or future dates, non-numeric, infinite or absurd numbers, a declared frequency
  the dates contradict (monthly-looking dates declared as days or weeks), fewer than two
  periods;
- policies: exact duplicate lines (``order_id_column`` + ``duplicate_lines``), partial first
  and last weeks or months of daily lines (``partial_periods``); negative quantities and
  single-period series are kept, counted and logged.

Closures (``is_closed``: zero by design, never learned from or scored) come from the mapping
and from the data: ``closed_dates`` lists days closed for every series (``YYYY-MM-DD``, or
``MM-DD`` for every year), ``closures_file`` a CSV of days closed for some series (a ``date``
column, optionally ``end_date``, ``reason`` and key columns), and ``closed_days: auto`` (the
default, daily data) detects days without any record while records were expected
(``panel.closures.detect_closed_days``). Closures inside the data become closed panel rows;
declared ones after its end are recorded in ``SourceSummary.inferred['closures']``, which the
model input reads to close the forecast's target days.

``frequency: auto`` (the default) takes the frequency from the dates (``panel.inspection``):
``W-<DAY>`` for dates all on one weekday 7 days apart, ``ME`` for dates all on one day of the
month (or all month ends; a month-start date labels its month, relabelled to the month's
last day), ``D`` otherwise. Either way one block is
logged with the frequency and why, the series by key cardinality, the date range and what a
missing period likely means; ``SourceSummary.inferred`` (so ``panel_metadata``) records it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from ..panel.closures import (
    CLOSURES_SHOWN,
    ClosedDays,
    closed_mask,
    day_records,
    detect_closed_days,
)
from ..panel.contract import DATE, DEMAND, IS_CLOSED, SERIES_ID, SourceSummary
from ..panel.inspection import (
    DateInspection,
    MissingPeriods,
    describe_series,
    infer_missing_periods,
    inference_block,
    inspect_dates,
)
from ..panel.periods import FREQUENCY_CODES, Frequency, is_holiday
from ..panel.validation import (
    DataValidationError,
    check_declared_frequency,
    check_unique,
    did_you_mean,
    line_examples,
    require_columns,
    require_filled,
    require_not_after,
    require_periods,
    require_rows,
    to_dates,
    to_numeric,
)
from .common import assemble_panel, order_columns

logger = logging.getLogger(__name__)

DATASET = "custom sales"
AGGREGATIONS = ("sum", "mean", "error")
DUPLICATE_LINE_POLICIES = ("drop", "error")
PARTIAL_PERIOD_POLICIES = ("drop", "keep")
AUTO = "auto"
FREQUENCY_SETTINGS = (AUTO, *FREQUENCY_CODES)
MAPPING_FIX = "set the file's column names in data_source (or rename them in the export)"
CLOSED_DAYS_SETTINGS = (AUTO, "none")
CLOSED_DATE_FORMS = (
    '"YYYY-MM-DD" (closed on that day) or "MM-DD" (closed on that day every year), e.g. '
    '"2019-12-25" or "12-25"'
)
CLOSURE_COLUMNS = ("date", "end_date", "reason")  # of closures_file, besides key columns
MAX_CLOSURE_DAYS = 366  # one closures_file line closes at most this many days


def _policy(mapping: Mapping, key: str, allowed: tuple[str, ...], default: str) -> str:
    value = mapping.get(key, default)
    if value not in allowed:
        raise DataValidationError(
            f"{DATASET}: {key} '{value}' is not one of {allowed}{did_you_mean(value, allowed)}; "
            f"set one of them in data_source."
        )
    return value


def _frequency(setting: str, inspection: DateInspection, column: str) -> str:
    """The panel frequency: the dates' own under ``auto``, else the declared one (its
    canonical code: ``M`` is ``ME``), refused when the dates contradict it."""
    if setting == AUTO:
        return inspection.suggested_frequency or "D"
    check_declared_frequency(inspection, setting, DATASET, column)
    return Frequency(setting).code


def _source_name(mapping: Mapping) -> str:
    """The file the lines came from, when the environment says (``raw_dir``, ``sales_file``)."""
    folder, name = mapping.get("raw_dir"), mapping.get("sales_file")
    return f"{folder}/{name}" if folder and name else DATASET


def _inferred(
    frame: pd.DataFrame,
    keys: list[str],
    setting: str,
    frequency: str,
    inspection: DateInspection,
    missing: MissingPeriods,
) -> dict:
    cardinality = {key: int(frame[key].nunique()) for key in keys}
    return {
        "frequency_setting": setting,
        "frequency": frequency,
        "frequency_reason": inspection.describe_frequency(),
        "week_label": inspection.week_label,
        "key_cardinality": cardinality,
        "series": describe_series(cardinality, int(frame[SERIES_ID].nunique())),
        "missing_periods": missing.policy,
        "missing_periods_reason": missing.reason,
        "zero_line_share": round(missing.zero_share, 6),
        "smallest_sale": missing.smallest_sale,
    }


def _last_allowed_date(mapping: Mapping) -> tuple[pd.Timestamp, str]:
    value = mapping.get("max_date")
    if value is None or value == "today":
        return pd.Timestamp.today().normalize(), "today"
    try:
        return pd.Timestamp(value).normalize(), "max_date"
    except (TypeError, ValueError) as error:
        raise DataValidationError(
            f"{DATASET}: max_date {value!r} is not a date; set max_date: YYYY-MM-DD (or "
            f"today) in data_source."
        ) from error


def _repeat_examples(sales: pd.DataFrame, repeats: pd.Series, limit: int = 3) -> str:
    """``line 360 repeats line 359`` for the first repeated lines."""
    fingerprint = pd.util.hash_pandas_object(sales, index=False).to_numpy()
    first = pd.Series(sales.index, index=sales.index).groupby(fingerprint).transform("first")
    shown = sales.index[repeats.to_numpy()][:limit]
    return ", ".join(f"line {idx + 2} repeats line {first[idx] + 2}" for idx in shown)


def _drop_duplicate_lines(
    sales: pd.DataFrame, order_id: str | None, policy: str, counts: dict[str, int]
) -> pd.DataFrame:
    """Identical lines with an order id are export duplicates: dropped (or refused). Without
    an order id they cannot be told from a real repeat sale and are kept."""
    repeats = sales.duplicated(keep="first")
    found = int(repeats.sum())
    if order_id is None:
        counts["identical_lines_kept"] = found
        if found:
            logger.info(
                "%s: %d of %d lines are identical to an earlier line (%s); without "
                "order_id_column they cannot be told from real repeat sales, so they are kept; "
                "set order_id_column in data_source if the export has an order number.",
                DATASET,
                found,
                len(sales),
                _repeat_examples(sales, repeats),
            )
        return sales
    counts["duplicate_lines_dropped"] = found
    if not found:
        return sales
    examples = _repeat_examples(sales, repeats)
    if policy == "error":
        raise DataValidationError(
            f"{DATASET}: {found} of {len(sales)} lines repeat an earlier line exactly, "
            f"'{order_id}' included ({examples}); remove them from the export, or set "
            f"duplicate_lines: drop in data_source to drop them."
        )
    logger.info(
        "%s: dropped %d of %d lines that repeat an earlier line exactly, '%s' included (%s); "
        "set duplicate_lines: error in data_source to refuse them instead.",
        DATASET,
        found,
        len(sales),
        order_id,
        examples,
    )
    return sales[~repeats]


def _lines(count: int) -> str:
    return f"{count} line{'' if count == 1 else 's'}"


def _drop_partial_periods(
    frame: pd.DataFrame,
    days: pd.Series,
    frequency: Frequency,
    monthly_dates: bool,
    policy: str,
    counts: dict[str, int],
) -> pd.DataFrame:
    """Daily lines summed into weeks or months: a first or last period the data's date range
    does not fully cover would count as a full period with days missing (and the last one
    would become the forecast origin). ``drop`` removes its lines, ``keep`` keeps them; both
    are logged. Totals already one per period are left alone: weekly ones on the weeks'
    label, monthly ones (``monthly_dates``) whichever day of the month they are dated."""
    if frequency.is_daily or (days == frame[DATE]).all():
        return frame  # daily data, or totals already labelled by the period's last day
    if frequency.is_monthly and monthly_dates:
        return frame  # monthly totals dated on another day of their month
    start, end = days.min(), days.max()
    first, last = frame[DATE].min(), frame[DATE].max()
    unit = frequency.unit[:-1]
    partial: dict[pd.Timestamp, str] = {}
    if start > frequency.period_start(pd.Series([first])).iloc[0]:
        partial[first] = (
            f"first {unit} ending {first:%Y-%m-%d} (the data starts on {start:%Y-%m-%d}"
        )
    if end < last:
        text = f"last {unit} ending {last:%Y-%m-%d} (the data ends on {end:%Y-%m-%d}"
        partial[last] = f"{partial[last]}; {text}" if last in partial else text
    if not partial:
        return frame
    in_partial = frame[DATE].isin(list(partial))
    described = " and the partial ".join(
        f"{text}, {_lines(int((frame[DATE] == label).sum()))})" for label, text in partial.items()
    )
    if policy == "keep":
        counts["partial_periods_kept"] = len(partial)
        logger.info(
            "%s: kept the partial %s as full %s (partial_periods: keep).",
            DATASET,
            described,
            frequency.unit,
        )
        return frame
    counts["partial_periods_dropped"] = len(partial)
    counts["partial_period_lines_dropped"] = int(in_partial.sum())
    logger.info(
        "%s: dropped the partial %s, so no %s with missing days counts as a full %s; "
        "set partial_periods: keep in data_source to keep them.",
        DATASET,
        described,
        unit,
        unit,
    )
    return frame[~in_partial]


def _log_negatives(
    sales: pd.DataFrame, target: str, demand: pd.Series, aggregate: str, counts: dict[str, int]
) -> None:
    negative = (demand < 0).to_numpy()
    counts["negative_lines"] = int(negative.sum())
    if negative.any():
        logger.warning(
            "%s: %d of %d lines have a negative '%s' (%s); they are combined with their "
            "period's other lines by aggregate: %s, then the cleaning's negative_policy applies "
            "to negative periods; source_summary input_counts.negative_lines keeps the count.",
            DATASET,
            int(negative.sum()),
            len(sales),
            target,
            line_examples(sales.assign(**{target: demand}), negative, target),
            aggregate,
        )


def _log_single_period_series(
    frame: pd.DataFrame, facts: pd.DataFrame, unit: str, counts: dict[str, int]
) -> None:
    """Series recorded in one period only are kept (never dropped later unseen) and listed."""
    sizes = facts.groupby(SERIES_ID, sort=True)[DATE].nunique()
    single = sizes.index[sizes.to_numpy() == 1]
    counts["single_period_series"] = len(single)
    if len(single):
        first = frame.reset_index(names="_line").groupby(SERIES_ID, sort=False).first()
        shown = ", ".join(
            f"{sid!r} on {first.at[sid, DATE]:%Y-%m-%d} (line {first.at[sid, '_line'] + 2})"
            for sid in single[:3]
        )
        logger.warning(
            "%s: %d of %d series have a single %s (%s); they are kept, but are too short to "
            "learn from: check their key spelling or leave them out of the export.",
            DATASET,
            len(single),
            len(sizes),
            unit,
            shown,
        )


# --- closures ------------------------------------------------------------------------------------


def _closed_days_setting(mapping: Mapping) -> str:
    """``closed_days``: ``auto`` (also when empty) or ``none`` (YAML ``off``/``false`` too)."""
    value = mapping.get("closed_days")
    if value is None:
        return AUTO
    if value is False:
        return "none"
    return _policy({"closed_days": value}, "closed_days", CLOSED_DAYS_SETTINGS, AUTO)


def _closed_date(value) -> pd.Timestamp | str | None:
    """A day (``YYYY-MM-DD``, or a date) or an annual ``MM-DD``; None when it is neither."""
    if isinstance(value, (date, pd.Timestamp)):
        return pd.Timestamp(value).normalize()
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if re.fullmatch(r"\d{2}-\d{2}", text):
            pd.Timestamp(f"2000-{text}")  # a leap year: 02-29 is a day of the year
            return text
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return pd.Timestamp(text)
    except ValueError:
        return None
    return None


def _closed_dates(mapping: Mapping) -> tuple[list[pd.Timestamp], list[str]]:
    """``closed_dates``: the days and the annual ``MM-DD`` days closed for every series. Every
    value that is neither is named in one error, with its 1-based position."""
    values = mapping.get("closed_dates") or []
    if isinstance(values, (str, date)) or not isinstance(values, Iterable):
        values = [values]
    values = list(values)
    parsed = [_closed_date(value) for value in values]
    bad = [f"item {i}: {values[i - 1]!r}" for i, day in enumerate(parsed, start=1) if day is None]
    if bad:
        raise DataValidationError(
            f"{DATASET}: closed_dates has {len(bad)} of {len(values)} values that are not "
            f"dates ({', '.join(bad[:3])}); expected {CLOSED_DATE_FORMS}; correct them in "
            f"data_source."
        )
    days = sorted({day for day in parsed if isinstance(day, pd.Timestamp)})
    annual = sorted({day for day in parsed if isinstance(day, str)})
    return days, annual


def _closures_path(mapping: Mapping) -> Path:
    """``closures_file`` in ``raw_dir`` (the sales file's folder), or as written."""
    name = str(mapping["closures_file"])
    folder = mapping.get("raw_dir")
    candidates = [Path(folder) / name] if folder and not Path(name).is_absolute() else []
    candidates.append(Path(name))
    for path in candidates:
        if path.is_file():
            return path
    looked = " or ".join(str(path) for path in dict.fromkeys(candidates))
    raise DataValidationError(
        f"{DATASET}: closures_file {name!r} does not exist (looked for {looked}); set "
        f"closures_file in data_source to a CSV in raw_dir with a 'date' column (YYYY-MM-DD) "
        f"and optionally key columns, or remove the setting."
    )


def _read_closures(mapping: Mapping, keys: Mapping[str, str]) -> pd.DataFrame:
    """The closures file as one row per closed day: the panel key columns it names, ``date``
    and ``closure_line`` (its 1-based file line). Refused: a missing file or ``date`` column,
    a column that is not a key, dates that do not parse, an end before its start, blank keys."""
    path = _closures_path(mapping)
    label = f"{DATASET}: closures_file {path}"
    try:
        table = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise DataValidationError(
            f"{label} cannot be read as CSV ({error}); write it as a UTF-8 CSV with a 'date' "
            f"column."
        ) from error
    table.columns = [str(column).strip() for column in table.columns]
    names = {**{raw: name for name, raw in keys.items()}, **{name: name for name in keys}}
    expected = (
        f"expected a 'date' column (YYYY-MM-DD), optionally 'end_date' and 'reason', and key "
        f"columns among {list(keys)} (or the export's {list(keys.values())}); found "
        f"{list(table.columns)}"
    )
    if "date" not in table.columns:
        raise DataValidationError(
            f"{label} has no 'date' column{did_you_mean('date', table.columns)}; {expected}."
        )
    unknown = [c for c in table.columns if c not in CLOSURE_COLUMNS and c not in names]
    if unknown:
        hints = "".join(did_you_mean(c, [*names, *CLOSURE_COLUMNS]) for c in unknown)
        raise DataValidationError(
            f"{label}: column(s) {unknown} are not key columns{hints}; {expected}; rename "
            f"or remove them."
        )
    fix = "write them as YYYY-MM-DD, e.g. 2019-12-25"
    start = to_dates(table, "date", label, date_format="%Y-%m-%d", fix=fix)
    end = start.copy()
    if "end_date" in table.columns:
        given = table["end_date"].notna().to_numpy()
        ends = to_dates(table[given], "end_date", label, date_format="%Y-%m-%d", fix=fix)
        end.loc[ends.index] = ends
        backwards = (end < start).to_numpy()
        if backwards.any():
            raise DataValidationError(
                f"{label}: {int(backwards.sum())} of {len(table)} lines end before they start "
                f"({line_examples(table, backwards, 'end_date')}); set end_date on or after "
                f"date (or leave it empty for one day)."
            )
    lengths = ((end - start).dt.days + 1).to_numpy()
    long = lengths > MAX_CLOSURE_DAYS
    if long.any():
        raise DataValidationError(
            f"{label}: {int(long.sum())} of {len(table)} lines close more than "
            f"{MAX_CLOSURE_DAYS} days ({line_examples(table, long, 'end_date')}); check the "
            f"year of end_date (a series that stopped selling for good is not closed)."
        )
    columns = {}
    for raw in [c for c in table.columns if c in names]:
        require_filled(table, raw, label, fix="fill in the key, or list the day under closed_dates")
        columns[names[raw]] = table[raw].astype(str).str.strip().to_numpy()
    rows = np.repeat(np.arange(len(table)), lengths)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    days = pd.DatetimeIndex(start.to_numpy()[rows]) + pd.to_timedelta(offsets, unit="D")
    return pd.DataFrame(
        {
            **{name: values[rows] for name, values in columns.items()},
            DATE: days,
            "closure_line": table.index.to_numpy()[rows] + 2,
        }
    )


def _file_closures(
    mapping: Mapping, keys: Mapping[str, str], series_keys: pd.DataFrame, counts: dict[str, int]
) -> tuple[list[pd.Timestamp], dict[str, list[pd.Timestamp]]]:
    """The closures file's days closed for every series (a file without key columns) and per
    series; lines whose keys match no series are logged and counted, not refused."""
    if not mapping.get("closures_file"):
        return [], {}
    table = _read_closures(mapping, keys)
    counts["closure_file_days"] = int(table[DATE].nunique())
    named = [key for key in keys if key in table.columns]
    if not named:
        return sorted(set(table[DATE])), {}
    matched = table.merge(series_keys, on=named, how="left")
    unmatched = matched[SERIES_ID].isna()
    if unmatched.any():
        lines = matched.loc[unmatched].drop_duplicates("closure_line")
        counts["closure_file_lines_unmatched"] = len(lines)
        shown = ", ".join(
            f"line {row['closure_line']}: " + ", ".join(f"{key} {row[key]!r}" for key in named)
            for row in lines.head(3).to_dict("records")
        )
        logger.warning(
            "%s: %d lines of closures_file match no series (%s); they close nothing: check "
            "their key spelling.",
            DATASET,
            len(lines),
            shown,
        )
    pairs = matched.loc[~unmatched, [SERIES_ID, DATE]].drop_duplicates()
    by_series = {
        str(sid): sorted(group) for sid, group in pairs.groupby(SERIES_ID, sort=True)[DATE]
    }
    return [], by_series


def _iso(days: Iterable[pd.Timestamp]) -> list[str]:
    return [f"{day:%Y-%m-%d}" for day in days]


def _closed_days_block(setting: str, frequency: Frequency, detected: ClosedDays | None) -> dict:
    """What ``closed_days`` found, for ``SourceSummary.inferred``."""
    if detected is None:
        unit = frequency.unit[:-1]
        reason = f"not checked: a {unit} without records is closed only when declared"
        if setting != AUTO:
            reason = "closed_days: none"
        return {"closed_days": setting, "closed_days_detected": [], "closed_days_reason": reason}
    return {
        "closed_days": setting,
        "closed_days_counted": detected.counted,
        "closed_days_detected": _iso(detected.dates),
        "closed_days_reason": detected.reason,
    }


def _detect_closed_days(
    setting: str,
    period: Frequency,
    dates: pd.Series,
    order_ids: pd.Series | None,
    counts: dict[str, int],
) -> ClosedDays | None:
    """``closed_days: auto`` on daily data: the days without any record, logged and counted."""
    if not period.is_daily or setting != AUTO:
        return None
    records, counted = day_records(dates, order_ids)
    detected = detect_closed_days(dates.dt.normalize(), records, counted)
    if len(detected.dates):
        counts["closed_days_detected"] = len(detected.dates)
        logger.info(
            "%s: closed_days: auto found %d closed days, closed for every series: %s (%s); set "
            "closed_days: none in data_source to keep them as days without a sale.",
            DATASET,
            len(detected.dates),
            detected.describe(),
            detected.reason,
        )
    else:
        logger.info("%s: closed_days: auto found no closed day (%s).", DATASET, detected.reason)
    return detected


def _log_closed_lines(
    frame: pd.DataFrame, closed: np.ndarray, unit: str, counts: dict[str, int]
) -> None:
    """Lines on a declared closed period still count as closed (demand 0): warned, counted."""
    if closed.any():
        counts["lines_on_closed_periods"] = int(closed.sum())
        logger.warning(
            "%s: %d of %d lines fall on closed %s (%s); closed periods have zero demand by "
            "design, so their quantities are not counted: remove those dates from closed_dates "
            "(or closures_file) if the shop was open.",
            DATASET,
            int(closed.sum()),
            len(frame),
            unit,
            line_examples(frame, closed, DATE),
        )


@dataclass
class Closures:
    """The closures of one export: declared (``closed_dates``, ``closures_file``) and detected
    (``closed_days: auto``)."""

    declared: list[pd.Timestamp]  # closed_dates days: every series
    annual: list[str]  # closed_dates MM-DD: every series, every year
    file_days: list[pd.Timestamp]  # closures_file days without keys: every series
    by_series: dict[str, list[pd.Timestamp]]  # closures_file days by series id
    detected: ClosedDays | None = None

    def _everywhere(self) -> list[pd.Timestamp]:
        return sorted({*self.declared, *self.file_days})

    def in_data(self) -> dict:
        """Everything, detected days included, as ``closed_mask`` reads it."""
        detected = self.detected.dates if self.detected is not None else []
        return {
            "dates": _iso(sorted({*self._everywhere(), *detected})),
            "annual": list(self.annual),
            "series": {sid: _iso(days) for sid, days in self.by_series.items()},
        }

    def after(self, panel_end: pd.Timestamp) -> dict:
        """The declared closures after the panel's last date, which the model input reads
        (``SourceSummary.inferred['closures']``)."""
        series = {sid: [d for d in days if d > panel_end] for sid, days in self.by_series.items()}
        return {
            "dates": _iso(day for day in self._everywhere() if day > panel_end),
            "annual": list(self.annual),
            "series": {sid: _iso(days) for sid, days in series.items() if days},
        }

    def log(self, unit: str, closed_periods: int) -> None:
        """One line on what the declared closures close, in the data and after its end."""
        parts = []
        if self.declared or self.annual:
            shown = [
                *_iso(self.declared[:CLOSURES_SHOWN]),
                *(f"{d} every year" for d in self.annual),
            ]
            more = len(self.declared) - CLOSURES_SHOWN
            parts.append(
                f"closed_dates: {', '.join(shown)}" + (f" and {more} more" if more > 0 else "")
            )
        if self.file_days:
            parts.append(f"closures_file: {len(self.file_days)} days of every series")
        if self.by_series:
            days = sum(len(group) for group in self.by_series.values())
            parts.append(f"closures_file: {days} days of {len(self.by_series)} series")
        if not parts:
            return
        logger.info(
            "%s: closures declared (%s) or detected close %d series-%s of the data; those "
            "after its end close the forecast's %s (panel_metadata inferred.closures).",
            DATASET,
            "; ".join(parts),
            closed_periods,
            unit,
            unit,
        )


def build_custom_panel(
    sales: pd.DataFrame, mapping: Mapping
) -> tuple[pd.DataFrame, pd.DataFrame, SourceSummary]:
    """Map a user's export to the panel using ``mapping`` (the ``data_source`` parameters).

    Rows sharing a series and period (e.g. order lines of one day) are combined by
    ``aggregate``: the target is summed (``sum``) or averaged (``mean``), covariates are
    averaged; ``error`` refuses duplicates.
    """
    setting = mapping.get("frequency") or AUTO
    keys: dict = dict(mapping.get("key_columns") or {})
    known: dict = dict(mapping.get("known_covariates") or {})
    past: dict = dict(mapping.get("past_covariates") or {})
    attributes_map: dict = dict(mapping.get("attribute_columns") or {})
    date_column, target = mapping["date_column"], mapping["target_column"]
    order_id = mapping.get("order_id_column")
    aggregate = _policy(mapping, "aggregate", AGGREGATIONS, "sum")
    duplicates = _policy(mapping, "duplicate_lines", DUPLICATE_LINE_POLICIES, "drop")
    partials = _policy(mapping, "partial_periods", PARTIAL_PERIOD_POLICIES, "drop")
    closed_days = _closed_days_setting(mapping)
    declared_days, annual = _closed_dates(mapping)
    if setting not in FREQUENCY_SETTINGS:
        raise DataValidationError(
            f"{DATASET}: frequency '{setting}' is not supported"
            f"{did_you_mean(setting, FREQUENCY_SETTINGS)}; set frequency: auto (read from the "
            f"dates), D, W-<DAY> (weeks labelled by that day) or ME (months labelled by their "
            f"last day; M also) in data_source."
        )
    if not keys:
        raise DataValidationError(
            f"{DATASET}: key_columns is empty; map at least one column that tells one series "
            f"from another, e.g. key_columns: {{item_id: SKU}} in data_source."
        )
    last_allowed, last_label = _last_allowed_date(mapping)

    require_rows(sales, DATASET)
    raw_columns = [
        date_column,
        target,
        *keys.values(),
        *known.values(),
        *past.values(),
        *attributes_map.values(),
        *([order_id] if order_id else []),
    ]
    require_columns(sales, list(dict.fromkeys(raw_columns)), DATASET, fix=MAPPING_FIX)
    for raw in keys.values():
        require_filled(
            sales,
            raw,
            DATASET,
            fix="fill in the key or remove those lines, their quantities belong to no series",
        )
    dates = to_dates(
        sales,
        date_column,
        DATASET,
        date_format=mapping.get("date_format"),
        dayfirst=bool(mapping.get("dayfirst", False)),
        fix="correct those lines, or set date_format (or dayfirst: true) in data_source to "
        "match them",
    )
    require_not_after(
        sales,
        dates,
        date_column,
        DATASET,
        last_allowed,
        last_label=last_label,
        fix="correct those dates (a day-first date read month-first?), or set max_date: "
        "YYYY-MM-DD in data_source if they are real",
    )
    demand = to_numeric(sales, target, DATASET)
    covariates = {
        name: to_numeric(sales, raw, DATASET, allow_missing=True)
        for name, raw in {**known, **past}.items()
    }
    inspection = inspect_dates(dates)
    frequency = _frequency(setting, inspection, date_column)
    period = Frequency(frequency)

    counts: dict[str, int] = {}
    _log_negatives(sales, target, demand, aggregate, counts)
    lines = _drop_duplicate_lines(sales, order_id, duplicates, counts)
    frame = pd.DataFrame({name: lines[raw].astype(str).str.strip() for name, raw in keys.items()})
    frame[SERIES_ID] = (
        frame[list(keys)].agg("|".join, axis=1) if len(keys) > 1 else frame[next(iter(keys))]
    )
    days = dates.loc[lines.index].dt.normalize()
    frame[DATE] = period.period_end(dates.loc[lines.index])
    frame[DEMAND] = demand.loc[lines.index]
    for name, values in covariates.items():
        frame[name] = values.loc[lines.index]
    missing = infer_missing_periods(
        frame[DEMAND],
        frame[SERIES_ID],
        frame[DATE],
        frequency,
        order_lines=inspection.has_times or order_id is not None,
    )
    inferred = _inferred(frame, list(keys), setting, frequency, inspection, missing)
    logger.info(
        "%s",
        inference_block(
            _source_name(mapping), setting, inspection, frequency, inferred["series"], missing
        ),
    )
    detected = _detect_closed_days(
        closed_days, period, dates.loc[lines.index], lines[order_id] if order_id else None, counts
    )
    inferred |= _closed_days_block(closed_days, period, detected)
    series_keys = frame[[SERIES_ID, *keys]].drop_duplicates(SERIES_ID)
    file_days, by_series = _file_closures(mapping, keys, series_keys, counts)
    closures = Closures(declared_days, annual, file_days, by_series, detected)
    frame = _drop_partial_periods(frame, days, period, inspection.looks_monthly, partials, counts)
    longer = "export a longer date range"
    if "partial_periods_dropped" in counts:
        longer += ", or set partial_periods: keep in data_source"
    require_periods(frame[DATE], frequency, DATASET, date_column, fix=longer)

    group_keys = [SERIES_ID, *keys, DATE]
    if aggregate == "error":
        check_unique(
            frame,
            [SERIES_ID, DATE],
            DATASET,
            lines=True,
            fix="set aggregate: sum (or mean) in data_source to combine them",
        )
        facts = frame
    else:
        facts = frame.groupby(group_keys, sort=False, as_index=False).agg(
            {DEMAND: aggregate, **dict.fromkeys(covariates, "mean")}
        )
    counts["negative_periods"] = int((facts[DEMAND] < 0).sum())
    _log_single_period_series(frame, facts, period.unit[:-1], counts)
    in_data = closures.in_data()
    _log_closed_lines(
        frame, closed_mask(frame[SERIES_ID], frame[DATE], period, in_data), period.unit, counts
    )
    inferred["closures"] = closures.after(facts[DATE].max())

    country = mapping.get("country")
    summary = SourceSummary(
        source="custom",
        frequency=frequency,
        unit=mapping.get("unit", "units"),
        keys=list(keys),
        known_covariates=[*known, *(["is_holiday"] if country else [])],
        past_covariates=list(past),
        source_files={"sales": len(sales)},
        country=country,
        notes=[f"rows sharing a series and period combined by '{aggregate}'"],
        input_counts=counts,
        inferred=inferred,
    )
    panel = assemble_panel(facts, summary, DATASET, lines=aggregate == "error", closures=in_data)
    closed_periods = int(panel[IS_CLOSED].eq(True).sum())
    if closed_periods:
        counts["closed_periods"] = closed_periods
    closures.log(period.unit, closed_periods)
    if country:
        panel["is_holiday"] = is_holiday(panel[DATE], country, frequency=period.code)

    attributes = frame[[SERIES_ID, *keys]].drop_duplicates(SERIES_ID)
    if attributes_map:
        static = lines.loc[frame.index].assign(**{SERIES_ID: frame[SERIES_ID]})
        static = static.drop_duplicates(SERIES_ID).set_index(SERIES_ID)
        static = static[list(attributes_map.values())]
        static.columns = list(attributes_map)
        attributes = attributes.merge(static, left_on=SERIES_ID, right_index=True, how="left")
    return order_columns(panel, summary), attributes.reset_index(drop=True), summary
