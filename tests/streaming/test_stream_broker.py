"""The consumer against a real broker: every sale lands once through a SIGKILL mid-stream,
bad events go to the dead-letter topic with their reason, partitions are whole files."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pandas as pd
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from inventory_optimization.panel.landing import LandedSales, absorb_landing
from inventory_optimization.streaming.replay import events_from_table, publish

from .test_stream_events import NOW, _contract, _panel

CONSUMER = """
import pickle, sys
from inventory_optimization.streaming.consumer import BatchLimits, SalesConsumer
broker, folder, contract = pickle.load(open(sys.argv[1], "rb"))
SalesConsumer({"bootstrap.servers": broker}, "sales", "inventory", "sales.dead-letter",
              folder, contract, BatchLimits(max_events=300, max_seconds=0.3),
              consumer_options={"session.timeout.ms": "6000"}).run()
"""


def _sales(rows: int) -> pd.DataFrame:
    """Order lines over the panel's series and the morning of 2024-03-10."""
    numbers = pd.RangeIndex(rows)
    return pd.DataFrame(
        {
            "store_id": (numbers % 2).map({0: "S01", 1: "S02"}),
            "item_id": (numbers // 2 % 2).map({0: "I1", 1: "I2"}),
            "ts": pd.Timestamp("2024-03-10 06:00", tz="UTC") + pd.to_timedelta(numbers, "s"),
            "quantity": numbers % 5 + 1,
        }
    )


def _landed(folder: Path) -> pd.Series:
    files = {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*.events.parquet")}
    panel, summary = _panel()
    state, _ = absorb_landing(
        files, LandedSales(), panel, summary, today=pd.Timestamp("2024-03-10"), now=NOW
    )
    return state.rows.set_index(["series_id", "date"])["demand"].sort_index()


def _start(script: Path, config: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(script), str(config)],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _dead_letters(broker: str, expected: int) -> list[dict]:
    reader = Consumer({"bootstrap.servers": broker, "group.id": "dead-letter-check"})
    reader.assign([TopicPartition("sales.dead-letter", 0, OFFSET_BEGINNING)])  # no group join
    letters, deadline = [], time.monotonic() + 60
    while len(letters) < expected and time.monotonic() < deadline:
        letters += [orjson.loads(m.value()) for m in reader.consume(100, 1.0) if not m.error()]
    reader.close()
    return letters


def test_every_sale_lands_once_through_a_kill_and_bad_events_are_dead_lettered(broker, tmp_path):
    sales = _sales(6000)
    good = events_from_table(sales, "till")
    bad = [
        b"{oops",
        orjson.dumps(
            {
                "event_id": "x1",
                "store_id": "S09",
                "item_id": "I1",
                "ts": "2024-03-10T07:00:00Z",
                "quantity": 1,
            }
        ),
    ]
    publish(good[:3000] + bad + good[3000:], {"bootstrap.servers": broker}, "sales")
    folder = tmp_path / "landing" / "stream"
    config, script = tmp_path / "consumer.pkl", tmp_path / "consume.py"
    config.write_bytes(pickle.dumps((broker, folder, _contract())))
    script.write_text(CONSUMER)

    first = _start(script, config)
    deadline = time.monotonic() + 90
    while len(list(folder.glob("*.events.parquet"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)  # mid-stream: later batches unwritten or uncommitted
    first.wait()
    written_before_kill = len(list(folder.glob("*.events.parquet")))
    assert 2 <= written_before_kill, first.stderr.read().decode()[-2000:]

    expected = sales.assign(
        date=pd.Timestamp("2024-03-10").as_unit("ns"),
        series_id=sales.store_id + "_" + sales.item_id,
    )
    expected = expected.groupby(["series_id", "date"])["quantity"].sum().astype(float).sort_index()
    second = _start(script, config)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        landed = _landed(folder)
        if len(landed) == len(expected) and landed.sum() >= expected.sum():
            break
        time.sleep(0.5)
    second.send_signal(signal.SIGTERM)
    assert second.wait(30) == 0, second.stderr.read().decode()[-2000:]

    landed = _landed(folder)
    pd.testing.assert_series_equal(landed, expected, check_names=False)
    assert not [p for p in folder.iterdir() if not p.name.endswith(".events.parquet")]
    letters = _dead_letters(broker, 2)
    reasons = {letter["payload"]: letter["reason"] for letter in letters}
    assert reasons["{oops"].startswith("not JSON")
    assert reasons[bad[1].decode()] == "unknown store or item (not a series of the panel)"
    assert set(reasons) == {"{oops", bad[1].decode()}
