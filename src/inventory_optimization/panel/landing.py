"""New sales dropped as files into a landing folder, absorbed once and upserted into the panel.

A store system drops CSV or Parquet files (one per day or per batch, any names) holding the
panel's series key columns (``SourceSummary.keys``, or ``series_id``), ``date`` and
``demand``, optionally any other column the raw panel has (known covariates such as price or
promo). ``absorb_landing`` reads only the files it has not absorbed yet (a file whose content
hash is in the manifest is skipped without being parsed), validates them before anything is
written, and returns the new ``LandedSales``: every landed row so far, one per (series, date),
and the manifest of absorbed files. ``upsert_landed`` puts those rows into the raw panel.

Idempotent on (series, date): a re-delivered file changes nothing; a later file (or the same
name with new content) carrying an earlier date replaces that date's value. Files of one run
apply in name order, so the later name wins. Landed values take precedence over the raw
export's; a correction replaces values, it never deletes a row.

Streamed sales (``streaming``: the Kafka consumer) land as ``*.events.parquet`` files: one row
per sale event with its ``event_id`` and its panel period. Their events are kept in the state;
an event id seen before is dropped (at-least-once delivery re-sends whole batches), and a
(series, date) with new events takes the sum of all its distinct events so far.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .cleaning import complete_calendar
from .closures import closed_mask
from .contract import DATE, DEMAND, FLAGS, IS_CLOSED, IS_OBSERVED, SERIES_ID, SourceSummary
from .periods import Frequency
from .validation import (
    DataValidationError,
    check_unique,
    close_names,
    line_examples,
    require_columns,
    require_filled,
    require_not_after,
    to_dates,
    to_numeric,
)

LANDING = "sales_landing"
SUFFIXES = (".csv", ".csv.gz", ".parquet")  # other files in the folder are ignored
EVENTS_SUFFIX = ".events.parquet"  # the stream consumer's partitions: one row per event
EVENT_ID = "event_id"
STREAM = "stream events"  # the FILE of a landed row summed from events
ID_SEPARATORS = ("_", "|", "-", ":", " ", "")  # how adapters join key values into series_id
IS_OPEN = "is_open"  # derived from the closed flag, like cleaning's missing policy does
FILE, SHA256, ROWS, ABSORBED_AT = "file", "sha256", "rows", "absorbed_at"
MANIFEST_COLUMNS = (FILE, SHA256, ROWS, "first_date", "last_date", ABSORBED_AT)
FIX = "correct the file and drop it again (a file with new content is read again)"
Content = bytes | Callable[[], bytes]


@dataclass
class LandedSales:
    """Every landed row so far (one per series and date, with the file it came from) and the
    manifest of absorbed files (name, content hash, rows, dates, when)."""

    rows: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            {SERIES_ID: pd.Series(dtype=str), DATE: pd.Series(dtype="datetime64[ns]")}
        )
    )
    files: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame({c: pd.Series(dtype=object) for c in MANIFEST_COLUMNS})
    )
    # every distinct streamed event so far (event_id, series_id, date, demand, covariates)
    events: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            {
                EVENT_ID: pd.Series(dtype=str),
                SERIES_ID: pd.Series(dtype=str),
                DATE: pd.Series(dtype="datetime64[ns]"),
                DEMAND: pd.Series(dtype=float),
            }
        )
    )


@dataclass
class LandingReport:
    """What one run absorbed: the log line of ``absorb_landed_sales``."""

    files_read: int = 0
    files_skipped: int = 0
    new: int = 0
    corrected: int = 0
    unchanged: int = 0
    events: int = 0  # distinct new streamed events
    repeated_events: int = 0  # streamed events whose id was landed before (re-delivered)
    dates: tuple[pd.Timestamp, pd.Timestamp] | None = None
    carried: list[str] = field(default_factory=list)
    left_missing: list[str] = field(default_factory=list)
    new_series: list[str] = field(default_factory=list)
    # series with no row observed on the panel's last date after the upsert (out of all)
    unobserved_at_end: tuple[int, int] = (0, 0)

    def line(self) -> str:
        dates = (
            "no dates"
            if self.dates is None
            else "dates {:%Y-%m-%d} to {:%Y-%m-%d}".format(*self.dates)
        )
        text = (
            f"Landing: {self.files_read} files read, {self.files_skipped} skipped (absorbed "
            f"before); rows {self.new} new, {self.corrected} corrected, {self.unchanged} "
            f"unchanged; {dates}"
        )
        if self.events or self.repeated_events:
            text += (
                f"; streamed events {self.events} new, {self.repeated_events} repeated "
                "(dropped by event_id)"
            )
        if self.carried:
            text += f"; new dates carry the series' last {', '.join(self.carried)}"
        if self.left_missing:
            text += f"; left missing for cleaning: {', '.join(self.left_missing)}"
        if self.unobserved_at_end[0]:
            text += (
                f"; {self.unobserved_at_end[0]} of {self.unobserved_at_end[1]} series have no "
                "sale on the last date (unobserved: the missing policy decides)"
            )
        if self.new_series:
            text += (
                f"; {len(self.new_series)} new series accepted ({', '.join(self.new_series[:3])})"
            )
        return text


def content_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def read_landing_file(name: str, content: bytes) -> pd.DataFrame:
    """A landed file's table: Parquet by its suffix, else CSV (plain or gzipped, UTF-8,
    comma-separated); a file that does not read is a ``DataValidationError`` naming it."""
    try:
        if name.endswith(".parquet"):
            return pd.read_parquet(io.BytesIO(content))
        compression = "gzip" if name.endswith(".gz") else None
        return pd.read_csv(io.BytesIO(content), compression=compression)
    except Exception as error:  # noqa: BLE001 - any reader failure means the same to the user
        kind = "Parquet" if name.endswith(".parquet") else "comma-separated UTF-8 CSV"
        raise DataValidationError(
            f"{LANDING} file '{name}': does not read as {kind} ({len(content)} bytes; "
            f"{type(error).__name__}: {error}); expected a {kind} file with a header; {FIX}."
        ) from error


def accepted_columns(raw_panel: pd.DataFrame, summary: SourceSummary) -> list[str]:
    """The columns a landed file may carry besides the keys: date, demand, the raw panel's
    covariates (its flags are the panel's own)."""
    skip = {SERIES_ID, *summary.keys, *FLAGS}
    return [c for c in raw_panel.columns if c not in skip]


def _series_lookup(raw_panel: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One row per series: its id, its key values as text (how a file spells them) and as the
    panel has them."""
    series = raw_panel.drop_duplicates(SERIES_ID)[[SERIES_ID, *keys]].reset_index(drop=True)
    return series.assign(**{f"_{k}": series[k].astype(str) for k in keys})


def _series_ids(
    frame: pd.DataFrame, lookup: pd.DataFrame, keys: list[str], dataset: str
) -> pd.Series:
    """The series id of each line: its ``series_id`` column, else its keys looked up in the
    panel (unknown key combinations get ``<key>_<key>`` like the adapters' ids, or NaN)."""
    if SERIES_ID in frame.columns:
        require_filled(frame, SERIES_ID, dataset, fix=FIX)
        return frame[SERIES_ID].astype(str)
    for key in keys:
        require_filled(frame, key, dataset, fix=FIX)
    spelled = frame[keys].astype(str).set_axis([f"_{k}" for k in keys], axis=1)
    found = spelled.merge(lookup, on=list(spelled.columns), how="left")[SERIES_ID]
    found = pd.Series(found.to_numpy(), index=frame.index)
    missing = found.isna()
    if missing.any():  # new series only: named as the panel's ids join their keys
        separator = _id_separator(lookup, keys)
        found[missing] = _joined(spelled[missing], " / " if separator is None else separator)
    return found


def _joined(spelled: pd.DataFrame, separator: str) -> pd.Series:
    """The text columns of ``spelled`` joined by ``separator``, row by row (vectorized)."""
    first, *rest = (spelled[c] for c in spelled.columns)
    return first.str.cat(rest, sep=separator) if rest else first


def _id_separator(lookup: pd.DataFrame, keys: list[str]) -> str | None:
    """How the panel's ids join its keys (``S01_I001``, ``north|42``), to name a new series
    like its adapter would; None when no separator explains every id."""
    spelled = lookup[[f"_{k}" for k in keys]]
    ids = lookup[SERIES_ID].astype(str)
    for separator in ID_SEPARATORS:
        if _joined(spelled, separator).eq(ids).all():
            return separator
    return None


def _check_columns(
    frame: pd.DataFrame, name: str, keys: list[str], accepted: list[str], dataset: str
) -> None:
    ids = [SERIES_ID] if SERIES_ID in frame.columns else keys
    required = [*ids, DATE, DEMAND]
    if name.endswith(EVENTS_SUFFIX):
        required, accepted = [EVENT_ID, *required], [*accepted, EVENT_ID, "ts"]
    require_columns(
        frame,
        required,
        dataset,
        fix=f"a landed file holds {' + '.join(keys)} (or {SERIES_ID}), {DATE} and {DEMAND}",
    )
    allowed = {SERIES_ID, *keys, *accepted}
    unknown = [c for c in frame.columns if c not in allowed]
    if unknown:
        hints = [
            f"{c!r}: {' or '.join(map(repr, near))}"
            for c in unknown
            if (near := close_names(c, allowed))
        ]
        near = f" (did you mean {'; '.join(hints)}?)" if hints else ""
        raise DataValidationError(
            f"{dataset}: column(s) {unknown} are not columns of the raw panel ({len(frame)} "
            f"rows){near}; expected {required} and optionally {[c for c in accepted if c not in required]}; "
            f"{FIX}."
        )


def _parse_file(
    name: str,
    frame: pd.DataFrame,
    raw_panel: pd.DataFrame,
    summary: SourceSummary,
    lookup: pd.DataFrame,
    *,
    today: pd.Timestamp,
    accept_new_series: bool,
    allow_negative: bool,
) -> pd.DataFrame:
    """One file's lines as landed rows, or a ``DataValidationError`` naming what is wrong."""
    dataset = f"{LANDING} file '{name}'"
    keys, frequency = list(summary.keys), Frequency.of(summary.frequency)
    if frame.empty:
        raise DataValidationError(f"{dataset}: has 0 rows; expected at least one sale line.")
    _check_columns(frame, name, keys, accepted_columns(raw_panel, summary), dataset)
    frame = frame.reset_index(drop=True)
    dates = to_dates(frame, DATE, dataset, fix=FIX)
    require_not_after(
        frame, dates, DATE, dataset, today, last_label="today, the run's date", fix=FIX
    )
    off = ~frequency.is_on_grid(dates)
    if off.any():
        shown = frame.assign(**{DATE: dates.dt.strftime("%Y-%m-%d %H:%M (%a)")})
        raise DataValidationError(
            f"{dataset}: column '{DATE}' has {int(off.sum())} of {len(frame)} lines off the "
            f"panel's frequency '{frequency}' ({line_examples(shown, off, DATE)}); expected "
            f"{frequency.labels}; {FIX}."
        )
    demand = to_numeric(frame, DEMAND, dataset, fix=FIX)
    if not allow_negative and (demand < 0).any():
        negative = (demand < 0).to_numpy()
        raise DataValidationError(
            f"{dataset}: column '{DEMAND}' is negative on {int(negative.sum())} of {len(frame)} "
            f"lines ({line_examples(frame, negative, DEMAND)}); expected quantities >= 0 "
            f"(cleaning.negative_policy is clip: returns are not landed); {FIX}."
        )
    rows = frame.assign(
        **{SERIES_ID: _series_ids(frame, lookup, keys, dataset), DATE: dates, DEMAND: demand},
        **_typed_columns(frame, raw_panel, [*keys, *accepted_columns(raw_panel, summary)], dataset),
    )
    if name.endswith(EVENTS_SUFFIX):
        require_filled(frame, EVENT_ID, dataset, fix=FIX)
        rows[EVENT_ID] = frame[EVENT_ID].astype(str)
        rows = rows.drop(columns=["ts"], errors="ignore")
    else:
        check_unique(rows, [SERIES_ID, DATE], dataset, lines=True, fix=FIX)
    unknown = ~rows[SERIES_ID].isin(lookup[SERIES_ID])
    if unknown.any() and not accept_new_series:
        names = sorted(rows.loc[unknown, SERIES_ID].unique())
        raise DataValidationError(
            f"{dataset}: {int(unknown.sum())} of {len(frame)} lines are for {len(names)} series "
            f"the panel does not have ({', '.join(map(repr, names[:5]))}; "
            f"{line_examples(rows, unknown, SERIES_ID)}); expected series of the panel "
            f"(e.g. {', '.join(map(repr, lookup[SERIES_ID].head(3)))}); correct the keys, or "
            f"set landing.accept_new_series: true to start new series."
        )
    unnamed = SERIES_ID not in frame.columns and _id_separator(lookup, keys) is None
    if unknown.any() and (unnamed or not set(keys) <= set(frame.columns)):
        raise DataValidationError(
            f"{dataset}: {int(unknown.sum())} lines start new series without both their "
            f"{keys} and a {SERIES_ID} the panel's ids can be told from "
            f"({line_examples(rows, unknown)}); expected {keys} (and {SERIES_ID} where the "
            f"panel's ids are not its keys joined); {FIX}."
        )
    return rows


def _typed_columns(
    frame: pd.DataFrame, raw_panel: pd.DataFrame, columns: list[str], dataset: str
) -> dict[str, pd.Series]:
    """The file's other columns in the raw panel's types (numbers checked like the export's),
    so files whose columns a reader typed differently still stack into one table."""
    typed = {}
    for column in columns:
        if column not in frame.columns or column in (DATE, DEMAND, EVENT_ID, "ts"):
            continue
        if pd.api.types.is_numeric_dtype(raw_panel[column]) and not pd.api.types.is_bool_dtype(
            raw_panel[column]
        ):
            typed[column] = to_numeric(frame, column, dataset, allow_missing=True, fix=FIX)
        else:
            typed[column] = frame[column].astype(str).where(frame[column].notna())
    return typed


def _same(left: pd.Series, right: pd.Series) -> np.ndarray:
    both_missing = left.isna().to_numpy() & right.isna().to_numpy()
    return both_missing | (left.to_numpy(dtype=object) == right.to_numpy(dtype=object))


def _classify(
    incoming: pd.DataFrame, previous: pd.DataFrame, raw_panel: pd.DataFrame
) -> tuple[int, int, int]:
    """How many incoming rows are new, corrected or unchanged against what the panel had
    before this run: earlier landed rows first, else the raw export's observed rows."""
    near = raw_panel[SERIES_ID].isin(incoming[SERIES_ID]) & raw_panel[DATE].between(
        incoming[DATE].min(), incoming[DATE].max()
    )
    observed = raw_panel[near & raw_panel[IS_OBSERVED] & raw_panel[DEMAND].notna()]
    before = pd.concat([previous, observed], ignore_index=True).drop_duplicates(
        [SERIES_ID, DATE], keep="first"
    )
    values = [c for c in incoming.columns if c in before.columns and c not in (SERIES_ID, DATE)]
    joined = incoming.merge(
        before[[SERIES_ID, DATE, *values]].assign(_before=True),
        on=[SERIES_ID, DATE],
        how="left",
        suffixes=("", "_before"),
    )
    existed = joined["_before"].eq(True).to_numpy()
    same = np.ones(len(joined), dtype=bool)
    for column in values:
        given = joined[column].notna().to_numpy()
        same &= ~given | _same(joined[column], joined[f"{column}_before"])
    return int((~existed).sum()), int((existed & ~same).sum()), int((existed & same).sum())


def absorb_landing(
    files: Mapping[str, Content],
    state: LandedSales,
    raw_panel: pd.DataFrame,
    summary: SourceSummary,
    *,
    today: pd.Timestamp,
    accept_new_series: bool = False,
    allow_negative: bool = True,
    now: pd.Timestamp | None = None,
) -> tuple[LandedSales, LandingReport]:
    """The landed state after absorbing the new or changed ``files`` (name -> bytes, or a
    callable returning them). Every file is validated before anything is returned."""
    now = pd.Timestamp.now(tz="UTC") if now is None else now
    today = pd.Timestamp(today).normalize()
    seen = set(state.files[SHA256]) if len(state.files) else set()
    lookup = _series_lookup(raw_panel, list(summary.keys))
    report = LandingReport()
    parsed, streamed, manifest = [], [], []
    for name in sorted(n for n in files if n.endswith(SUFFIXES)):
        content = files[name]() if callable(files[name]) else files[name]
        digest = content_hash(content)
        if digest in seen:
            report.files_skipped += 1
            continue
        seen.add(digest)
        rows = _parse_file(
            name,
            read_landing_file(name, content),
            raw_panel,
            summary,
            lookup,
            today=today,
            accept_new_series=accept_new_series,
            allow_negative=allow_negative,
        )
        (streamed if name.endswith(EVENTS_SUFFIX) else parsed).append(
            rows.assign(**{FILE: name, ABSORBED_AT: now})
        )
        manifest.append(
            {
                FILE: name,
                SHA256: digest,
                ROWS: len(rows),
                "first_date": rows[DATE].min(),
                "last_date": rows[DATE].max(),
                ABSORBED_AT: now,
            }
        )
    report.files_read = len(parsed) + len(streamed)
    if not report.files_read:
        return state, report
    events = state.events
    if streamed:
        events, summed = _summed_events(state.events, streamed, report, now)
        parsed.append(summed)
    # Files of one run apply in name order: a later file's value for a (series, date) wins;
    # the streamed sums come last.
    incoming = pd.concat(parsed, ignore_index=True).drop_duplicates([SERIES_ID, DATE], keep="last")
    report.new, report.corrected, report.unchanged = _classify(
        incoming.drop(columns=[FILE, ABSORBED_AT]), state.rows, raw_panel
    )
    report.dates = (incoming[DATE].min(), incoming[DATE].max())
    report.new_series = sorted(set(incoming[SERIES_ID]) - set(lookup[SERIES_ID]))
    incoming = _over_earlier(incoming, state.rows)
    kept = state.rows.merge(incoming[[SERIES_ID, DATE]], how="left", indicator=True)
    kept = state.rows[(kept["_merge"] == "left_only").to_numpy()]
    rows = pd.concat([kept, incoming], ignore_index=True) if len(kept) else incoming
    rows = rows.sort_values([SERIES_ID, DATE], kind="stable").reset_index(drop=True)
    files_table = pd.concat([state.files, pd.DataFrame(manifest)], ignore_index=True)
    landed = LandedSales(rows=rows, files=files_table[list(MANIFEST_COLUMNS)], events=events)
    return landed, report


def _summed_events(
    earlier: pd.DataFrame, streamed: list[pd.DataFrame], report: LandingReport, now: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The distinct events so far, and one landed row per (series, date) that got new ones:
    the sum of all its distinct events (earlier runs' included)."""
    new = pd.concat(streamed, ignore_index=True).drop(columns=[FILE, ABSORBED_AT])
    fresh = new.drop_duplicates(EVENT_ID, keep="first")
    fresh = fresh[~fresh[EVENT_ID].isin(earlier[EVENT_ID])]
    report.events, report.repeated_events = len(fresh), len(new) - len(fresh)
    events = pd.concat([earlier, fresh], ignore_index=True) if len(earlier) else fresh
    events = events.reset_index(drop=True)
    touched = pd.MultiIndex.from_frame(fresh[[SERIES_ID, DATE]]).unique()
    hit = events[pd.MultiIndex.from_frame(events[[SERIES_ID, DATE]]).isin(touched)]
    others = [c for c in events.columns if c not in (EVENT_ID, SERIES_ID, DATE, DEMAND)]
    summed = hit.groupby([SERIES_ID, DATE], sort=True).agg(
        **{DEMAND: (DEMAND, "sum")}, **{c: (c, "last") for c in others}
    )
    return events, summed.reset_index().assign(**{FILE: STREAM, ABSORBED_AT: now})


def _over_earlier(incoming: pd.DataFrame, earlier: pd.DataFrame) -> pd.DataFrame:
    """Incoming rows over the landed rows they correct: what a correction leaves out (a
    demand-only file) keeps the value an earlier file landed for that (series, date)."""
    if earlier.empty:
        return incoming
    columns = [c for c in earlier.columns if c not in (SERIES_ID, DATE, FILE, ABSORBED_AT)]
    incoming = incoming.reindex(columns=list(dict.fromkeys([*incoming.columns, *columns])))
    keys = pd.MultiIndex.from_frame(incoming[[SERIES_ID, DATE]])
    before = earlier.set_index([SERIES_ID, DATE])[columns].reindex(keys)
    for column in columns:
        incoming[column] = incoming[column].where(
            incoming[column].notna(), before[column].to_numpy()
        )
    return incoming


def _static_like(raw_panel: pd.DataFrame, columns: list[str]) -> list[str]:
    """Columns that never change within a series (store size, item category)."""
    if not columns:
        return []
    distinct = raw_panel.groupby(SERIES_ID, sort=False)[columns].nunique(dropna=True)
    return [c for c in columns if (distinct[c] <= 1).all()]


def upsert_landed(
    raw_panel: pd.DataFrame, landed: LandedSales, summary: SourceSummary
) -> tuple[pd.DataFrame, LandingReport]:
    """The raw panel with every landed row in it, on the panel's grid, and what the new dates
    got for the covariates the files did not carry (``carried``, ``left_missing``).

    A landed (series, date) the panel has takes the landed demand and the covariates the file
    gave; its other covariates stay (a demand-only correction). A new date gets, for a
    covariate the file did not give: the series' last value if the covariate is known in
    advance or never changes within a series (the forecast assumes the same past the data's
    end), else nothing (past-only facts such as weather: left missing). Landed rows are
    observed; a nonzero landed sale reopens a closed period, and ``is_open`` follows the flag.
    Every series is completed to the new last date, unobserved, for the missing policy.
    """
    report = LandingReport()
    rows = landed.rows
    if rows.empty:
        return raw_panel, report
    keys = list(summary.keys)
    values = [c for c in accepted_columns(raw_panel, summary) if c in rows.columns and c != DATE]
    panel = raw_panel.set_index([SERIES_ID, DATE])
    incoming = rows.set_index([SERIES_ID, DATE])
    present = incoming.index.isin(panel.index)
    hit = incoming[present]
    for column in values:
        given = hit[column].dropna()
        panel.loc[given.index, column] = given.astype(panel[column].dtype, errors="ignore")
    panel.loc[hit.index, IS_OBSERVED] = True
    reopened = hit.index[(hit[DEMAND] != 0).to_numpy()]
    panel.loc[reopened, IS_CLOSED] = False
    fresh = _new_dates(raw_panel, incoming[~present].reset_index(), summary, report)
    panel = panel.reset_index()
    if IS_OPEN in panel.columns:  # where no file said: open unless the period is closed
        untold = hit.index if IS_OPEN not in hit.columns else hit.index[hit[IS_OPEN].isna()]
        landed_rows = panel.set_index([SERIES_ID, DATE]).index.isin(untold)
        panel.loc[landed_rows, IS_OPEN] = (~panel.loc[landed_rows, IS_CLOSED]).astype(float)
    if len(fresh):
        panel = pd.concat([panel, fresh[panel.columns]], ignore_index=True)
        panel = complete_calendar(
            panel.rename(columns={IS_OBSERVED: "_observed"}), summary.frequency, keys
        )
        panel[IS_OBSERVED] = panel.pop("_observed").fillna(False).astype(bool)
        panel[IS_CLOSED] = panel[IS_CLOSED].fillna(False).astype(bool)
        # Periods the completion added (no line landed): the source's closures close them,
        # as the adapter does on its grid.
        closures = (summary.inferred or {}).get("closures")
        added = (panel[DATE] > raw_panel[DATE].max()) & ~panel[IS_OBSERVED]
        if closures and added.any():
            shut = added & closed_mask(panel[SERIES_ID], panel[DATE], summary.frequency, closures)
            panel.loc[shut, IS_CLOSED] = True
            panel.loc[shut, DEMAND] = 0.0
    panel = panel.sort_values([SERIES_ID, DATE], kind="stable").reset_index(drop=True)
    at_end = panel[panel[DATE] == panel[DATE].max()]
    report.unobserved_at_end = (int((~at_end[IS_OBSERVED]).sum()), int(len(at_end)))
    return panel[list(raw_panel.columns)], report


def _new_dates(
    raw_panel: pd.DataFrame, fresh: pd.DataFrame, summary: SourceSummary, report: LandingReport
) -> pd.DataFrame:
    """Panel rows for landed (series, date)s the panel does not have yet."""
    if fresh.empty:
        return fresh
    keys = list(summary.keys)
    others = [c for c in raw_panel.columns if c not in {SERIES_ID, DATE, DEMAND, *keys, *FLAGS}]
    last = raw_panel.sort_values(DATE, kind="stable").groupby(SERIES_ID, sort=False).last()
    carry = set(summary.known_covariates) | set(_static_like(raw_panel, others))
    # In date order per series: a landed day without a covariate carries the latest landed
    # day's value before the export's last.
    out = fresh.sort_values([SERIES_ID, DATE], kind="stable")
    for key in keys:
        known = out[SERIES_ID].map(last[key])
        out[key] = known.where(known.notna(), out[key]) if key in out.columns else known
    for column in others:
        absent = pd.Series(index=out.index, dtype=raw_panel[column].dtype)
        given = out[column] if column in out.columns else absent
        if column == IS_OPEN:
            out[column] = given.fillna(1.0)  # a landed sale line: the store was open
            continue
        if given.notna().all():
            out[column] = given
        elif column in carry:
            latest = given.groupby(out[SERIES_ID], sort=False).ffill()
            out[column] = latest.fillna(out[SERIES_ID].map(last[column]))
            report.carried.append(column)
        else:
            out[column] = given
            report.left_missing.append(column)
    out[IS_OBSERVED] = True
    out[IS_CLOSED] = _closed(out, summary)
    if IS_OPEN in out.columns:
        out[IS_OPEN] = out[IS_OPEN].where(~out[IS_CLOSED], 0.0)
    return out.astype({c: raw_panel[c].dtype for c in keys}, errors="ignore")


def _closed(rows: pd.DataFrame, summary: SourceSummary) -> np.ndarray:
    """New landed periods that are closed, as the adapter would have said: the file's own
    ``is_open`` of 0, or the source's closures after the data's end (``inferred['closures']``:
    annual days, declared dates); a nonzero sale proves the period open."""
    closed = (
        rows[IS_OPEN].eq(0).to_numpy() if IS_OPEN in rows.columns else np.zeros(len(rows), bool)
    )
    closures = (summary.inferred or {}).get("closures")
    if closures:
        closed = closed | closed_mask(rows[SERIES_ID], rows[DATE], summary.frequency, closures)
    return closed & (rows[DEMAND].fillna(0).to_numpy() == 0)
