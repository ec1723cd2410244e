"""Bring your own data: a long CSV/Parquet export mapped to the panel by parameters.

Every doubtful line is either refused with a ``DataValidationError`` before the adapter
returns (so Kedro writes nothing) or handled by a policy the mapping names, logged and counted
in ``SourceSummary.input_counts``:

- refused: a mapped column the file lacks (with the file's nearest spellings), blank keys,
  unparseable or future dates, non-numeric, infinite or absurd numbers, a declared frequency
  the dates contradict, monthly-looking dates, fewer than two periods;
- policies: exact duplicate lines (``order_id_column`` + ``duplicate_lines``), partial first
  and last weeks of daily lines (``partial_periods``); negative quantities and single-period
  series are kept, counted and logged.

``frequency: auto`` (the default) takes the frequency from the dates (``panel.inspection``):
``W-<DAY>`` for dates all on one weekday 7 days apart, ``D`` otherwise. Either way one block is
logged with the frequency and why, the series by key cardinality, the date range and what a
missing period likely means; ``SourceSummary.inferred`` (so ``panel_metadata``) records it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import pandas as pd

from ..panel.contract import DATE, DEMAND, SERIES_ID, SourceSummary
from ..panel.inspection import (
    DateInspection,
    MissingPeriods,
    describe_series,
    infer_missing_periods,
    inference_block,
    inspect_dates,
)
from ..panel.periods import SUPPORTED_FREQUENCIES, Frequency, is_holiday
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
FREQUENCY_SETTINGS = (AUTO, *SUPPORTED_FREQUENCIES)
MAPPING_FIX = "set the file's column names in data_source (or rename them in the export)"


def _policy(mapping: Mapping, key: str, allowed: tuple[str, ...], default: str) -> str:
    value = mapping.get(key, default)
    if value not in allowed:
        raise DataValidationError(
            f"{DATASET}: {key} '{value}' is not one of {allowed}{did_you_mean(value, allowed)}; "
            f"set one of them in data_source."
        )
    return value


def _frequency(setting: str, inspection: DateInspection, column: str) -> str:
    """The panel frequency: the dates' own under ``auto``, else the declared one, refused when
    the dates contradict it; monthly-looking dates are refused either way."""
    if inspection.looks_monthly:
        raise DataValidationError(
            f"{DATASET}: column '{column}' looks monthly: {inspection.describe_monthly()}; "
            f"monthly data is not supported yet (frequency D or W-<DAY>): export daily lines "
            f"or weekly totals."
        )
    if setting == AUTO:
        return inspection.suggested_frequency or "D"
    check_declared_frequency(inspection, setting, DATASET, column)
    return setting


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
    policy: str,
    counts: dict[str, int],
) -> pd.DataFrame:
    """Daily lines summed into weeks: a first or last week the data's date range does not
    fully cover would count as a full week with days missing (and the last one would become
    the forecast origin). ``drop`` removes its lines, ``keep`` keeps them; both are logged."""
    if frequency.is_daily or (days == frame[DATE]).all():
        return frame  # daily data, or weekly data already labelled by the week's last day
    start, end = days.min(), days.max()
    first, last = frame[DATE].min(), frame[DATE].max()
    partial: dict[pd.Timestamp, str] = {}
    if start > first - frequency.step + pd.Timedelta(days=1):
        partial[first] = f"first week ending {first:%Y-%m-%d} (the data starts on {start:%Y-%m-%d}"
    if end < last:
        text = f"last week ending {last:%Y-%m-%d} (the data ends on {end:%Y-%m-%d}"
        partial[last] = f"{partial[last]}; {text}" if last in partial else text
    if not partial:
        return frame
    in_partial = frame[DATE].isin(list(partial))
    described = " and the partial ".join(
        f"{text}, {_lines(int((frame[DATE] == week).sum()))})" for week, text in partial.items()
    )
    if policy == "keep":
        counts["partial_periods_kept"] = len(partial)
        logger.info(
            "%s: kept the partial %s as full weeks (partial_periods: keep).", DATASET, described
        )
        return frame
    counts["partial_periods_dropped"] = len(partial)
    counts["partial_period_lines_dropped"] = int(in_partial.sum())
    logger.info(
        "%s: dropped the partial %s, so no week with missing days counts as a full week; "
        "set partial_periods: keep in data_source to keep them.",
        DATASET,
        described,
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
    if setting not in FREQUENCY_SETTINGS:
        raise DataValidationError(
            f"{DATASET}: frequency '{setting}' is not supported"
            f"{did_you_mean(setting, FREQUENCY_SETTINGS)}; set frequency: auto (read from the "
            f"dates), D or W-<DAY> (weeks labelled by that day) in data_source."
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
    frame = _drop_partial_periods(frame, days, period, partials, counts)
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
    panel = assemble_panel(facts, summary, DATASET, lines=aggregate == "error")
    if country:
        panel["is_holiday"] = is_holiday(panel[DATE], country)

    attributes = frame[[SERIES_ID, *keys]].drop_duplicates(SERIES_ID)
    if attributes_map:
        static = lines.loc[frame.index].assign(**{SERIES_ID: frame[SERIES_ID]})
        static = static.drop_duplicates(SERIES_ID).set_index(SERIES_ID)
        static = static[list(attributes_map.values())]
        static.columns = list(attributes_map)
        attributes = attributes.merge(static, left_on=SERIES_ID, right_index=True, how="left")
    return order_columns(panel, summary), attributes.reset_index(drop=True), summary
