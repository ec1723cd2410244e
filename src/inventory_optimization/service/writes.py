"""New sales and stock positions from a store system, checked with the pipeline's own contract
and written where the daily run reads them: a file in the landing folder
(``panel.landing.absorb_landing`` checks it as the daily run will), and the stock file
(``inventory.positions.read_stock``). A bad body raises before anything is written; a file is
written beside its target and renamed into place, so the daily run never reads half of one.

Idempotent: the same sales twice are one file (named by its content hash; the daily run also
skips content it absorbed before); posted positions replace the stock file's rows of those
series, so the same positions twice leave the file as the first post left it.
"""

from __future__ import annotations

import io
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ..inventory import positions as stock
from ..panel.landing import LandedSales, absorb_landing, content_hash
from ..panel.validation import DataValidationError
from .state import Snapshot

SALES_PREFIX = "service_sales"
BODY = "POST /stock body"
BODY_LINES = "line N of the message is rows[N-2] of the body: a header, then one line per row"
AS_OF = "as_of_date"


class _BodyListsSome(logging.Filter):
    """A body lists some series by design: the stock file check's warning that the other
    series get 0 on hand is about the merged file, not the body."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.args and record.args[0] == f"stock positions ({BODY})")


logging.getLogger(stock.__name__).addFilter(_BodyListsSome())


class StaleRows(DataValidationError):
    """Posted rows older than what the file already holds for those series (409)."""


def _atomic_write(path: Path, content: bytes) -> None:
    """Write beside ``path`` under a name no reader picks up, flush, then rename over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(partial, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


def _body_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The body's rows as the table a file of them reads back as (dates as text)."""
    frame = pd.DataFrame(rows)
    for column in frame.columns:
        if frame[column].map(lambda v: hasattr(v, "isoformat")).any():
            frame[column] = frame[column].map(lambda v: v.isoformat() if v is not None else None)
    return frame


def write_sales(snapshot: Snapshot, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Check the sale lines as the daily run will and drop them in the landing folder."""
    content = _body_table(rows).to_csv(index=False).encode()
    digest = content_hash(content)[:16]
    folder = snapshot.landing_folder
    earlier = sorted(folder.glob(f"{SALES_PREFIX}_*_{digest}.csv")) if folder.is_dir() else []
    name = (
        earlier[0].name
        if earlier
        else f"{SALES_PREFIX}_{datetime.now(UTC):%Y%m%dT%H%M%S%f}_{digest}.csv"
    )
    landing = snapshot.parameters.get("landing") or {}
    today = landing.get("today") or pd.Timestamp.now().normalize()
    # The daily run's own check of a landed file (nothing is kept from this dry run).
    absorbed, _ = absorb_landing(
        {name: content},
        LandedSales(),
        snapshot.raw_panel,
        snapshot.summary,
        today=pd.Timestamp(today),
        accept_new_series=bool(landing.get("accept_new_series", False)),
        allow_negative=snapshot.parameters["cleaning"]["negative_policy"] == "keep",
    )
    series = int(absorbed.rows["series_id"].nunique())
    if earlier:
        return {
            "status": "unchanged",
            "file": name,
            "rows": len(rows),
            "series": series,
            "detail": "the same sales were delivered before in this file",
        }
    _atomic_write(folder / name, content)
    first, last = absorbed.rows["date"].min(), absorbed.rows["date"].max()
    return {
        "status": "written",
        "file": name,
        "rows": len(rows),
        "series": series,
        "detail": f"dates {first:%Y-%m-%d} to {last:%Y-%m-%d}; the next daily run absorbs them",
    }


def _stock_path(dataset: Any) -> Path:
    """The stock file the daily run reads: the one that exists, else the catalog's path."""
    found = [path for path in dataset._candidates() if path.is_file()]
    return found[0] if found else Path(dataset._filepath)


def _encoded(table: pd.DataFrame, path: Path) -> bytes:
    buffer = io.BytesIO()
    if path.name.endswith(".parquet"):
        table.to_parquet(buffer, index=False)
    else:
        table.to_csv(buffer, index=False, compression="gzip" if path.suffix == ".gz" else None)
    return buffer.getvalue()


def _keyed(table: pd.DataFrame, ids: pd.Series, lookup: pd.DataFrame) -> pd.DataFrame:
    """``table`` with ``series_id`` and the series' key columns first, as text."""
    keys = lookup.set_index(stock.SERIES_ID).reindex(ids.to_numpy()).reset_index()
    rest = table.drop(columns=[c for c in keys.columns if c in table.columns])
    return pd.concat([keys, rest.reset_index(drop=True)], axis=1)


def _refuse_stale(posted: pd.DataFrame, kept: pd.DataFrame) -> None:
    if AS_OF not in posted.columns or AS_OF not in kept.columns:
        return
    before = kept.set_index(stock.SERIES_ID)[AS_OF].reindex(posted[stock.SERIES_ID])
    new, old = pd.to_datetime(posted[AS_OF]), pd.to_datetime(before.to_numpy())
    stale = (new.to_numpy() < old).astype(bool)
    if stale.any():
        named = posted.loc[stale, stock.SERIES_ID].tolist()
        raise StaleRows(
            f"positions: {int(stale.sum())} rows are as of a date before the stock file's row "
            f"of their series ({', '.join(map(repr, named[:5]))}); expected positions as of "
            "the file's date or later"
        )


def write_stock(snapshot: Snapshot, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Check the positions as the daily run will and put them in the stock file (replacing
    those series' rows; the others stay)."""
    keys = list(snapshot.metadata["keys"])
    series = stock.series_keys(snapshot.forecast, keys)
    posted = _body_table(rows)
    posted.attrs["source_file"] = BODY
    posted_ids = stock.read_stock(posted, series, keys)[stock.SERIES_ID].iloc[: len(posted)]
    posted = _keyed(posted, posted_ids, series)
    path = _stock_path(snapshot.stock_dataset)
    existing = snapshot.stock_dataset.load()
    merged = posted
    if existing is not None:
        existing_ids = stock.read_stock(existing, series, keys)[stock.SERIES_ID]
        existing = _keyed(existing, existing_ids.iloc[: len(existing)], series)
        _refuse_stale(posted, existing)
        kept = existing[~existing[stock.SERIES_ID].isin(posted[stock.SERIES_ID])]
        merged = pd.concat([kept, posted], ignore_index=True)
    merged = merged.sort_values(stock.SERIES_ID, kind="stable").reset_index(drop=True)
    merged.attrs["source_file"] = str(path)
    # The merged file as the daily run reads it, with the overrides' check against prices.
    resolved = stock.read_stock(merged, series, keys)
    stock.apply_overrides(snapshot.items, resolved, snapshot.frequency.days_per_period)
    content = _encoded(merged, path)
    unchanged = path.is_file() and path.read_bytes() == content
    if not unchanged:
        _atomic_write(path, content)
    return {
        "status": "unchanged" if unchanged else "written",
        "file": str(path),
        "rows": len(rows),
        "series": int(posted[stock.SERIES_ID].nunique()),
        "detail": f"the stock file lists {len(merged)} of {len(series)} series; "
        "the next daily run plans from it",
    }
