"""The replay producer: a sales table published as sale events (demos, tests, benchmarks).

Each line becomes one event: its keys, its timestamp (a date alone is that day's midnight
in ``timezone``), its quantity; the event id is the file's name and line number unless the
table has an id column, so replaying the same file twice sends the same ids.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import orjson
import pandas as pd

TS_COLUMNS = ("ts", "timestamp", "datetime", "order_date", "date")
QUANTITY_COLUMNS = ("quantity", "qty", "units", "demand", "sales")


def _first(frame: pd.DataFrame, names: tuple[str, ...], what: str) -> str:
    normalized = {c.lower().replace(" ", "_"): c for c in frame.columns}
    found = next((normalized[n] for n in names if n in normalized), None)
    if found is None:
        raise ValueError(
            f"stream replay: no {what} column among {list(frame.columns)} ({len(frame)} rows); "
            f"expected one of {list(names)}"
        )
    return found


def events_from_table(
    frame: pd.DataFrame,
    source: str,
    *,
    timezone: str = "UTC",
    dayfirst: bool = False,
    store: str | None = None,
) -> list[bytes]:
    """The table's lines as event payloads (JSON bytes), in the table's order."""
    ts_column = _first(frame, TS_COLUMNS, "timestamp")
    quantity = pd.to_numeric(frame[_first(frame, QUANTITY_COLUMNS, "quantity")], errors="raise")
    stamps = pd.to_datetime(frame[ts_column], dayfirst=dayfirst, format="mixed")
    if stamps.dt.tz is None:
        stamps = stamps.dt.tz_localize(timezone)
    ids = (
        frame["event_id"].astype(str)
        if "event_id" in frame.columns
        else source + "-" + pd.Series(range(len(frame)), index=frame.index).astype(str)
    )
    events = pd.DataFrame(
        {"event_id": ids, "ts": stamps.map(pd.Timestamp.isoformat), "quantity": quantity}
    )
    events["store_id"] = frame["store_id"].astype(str) if "store_id" in frame.columns else store
    for column, field in (
        ("item_id", "item_id"),
        ("item_name", "item_id"),
        ("price", "unit_price"),
        ("promo", "promo"),
    ):
        normalized = {c.lower().replace(" ", "_"): c for c in frame.columns}
        if column in normalized and field not in events.columns:
            events[field] = frame[normalized[column]].to_numpy()
    records = events.to_dict(orient="records")
    return [orjson.dumps(record, option=orjson.OPT_SERIALIZE_NUMPY) for record in records]


def publish(
    payloads: list[bytes], broker: dict[str, Any], topic: str, rate: float | None = None
) -> int:
    """Produce ``payloads`` to ``topic`` (``rate`` events per second, None: as fast as the
    broker takes them) and wait until every one is acknowledged; how many."""
    from confluent_kafka import Producer

    producer = Producer({**broker, "linger.ms": 20, "acks": "all"})
    started = time.monotonic()
    for sent, payload in enumerate(payloads):
        while True:
            try:
                producer.produce(topic, payload)
                break
            except BufferError:  # the client's queue is full: let it drain
                producer.poll(0.1)
        if rate:
            ahead = sent / rate - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)
        producer.poll(0)
    left = producer.flush(60)
    if left:
        raise RuntimeError(f"stream replay: {left} of {len(payloads)} events not acknowledged")
    return len(payloads)


def read_table(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
