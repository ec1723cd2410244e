"""The Kafka consumer: sale events in micro-batches into landing partitions, at least once.

Each batch closes at ``max_events`` events or ``max_seconds`` after its first; then its good
events are written as one durable partition, its bad ones produced to the dead-letter topic
(and flushed), and only then are the batch's offsets committed. A crash anywhere before the
commit re-reads the batch; the daily run drops the events it already has by ``event_id``.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pandas as pd

from .events import TS, EventContract, check_events
from .metrics import StreamMetrics
from .partitions import remove_partials, write_partition

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchLimits:
    max_events: int = 50_000
    max_seconds: float = 1.0
    poll_events: int = 10_000  # messages asked of the client per poll


@dataclass
class BatchResult:
    good: int
    dead_lettered: int
    duplicates: int
    path: Path | None
    latency_p95: float | None  # seconds from event time to durable file


def _dead_letter(message: Any, reason: str) -> bytes:
    return orjson.dumps(
        {
            "reason": reason,
            "payload": (message.value() or b"").decode("utf-8", errors="replace"),
            "topic": message.topic(),
            "partition": message.partition(),
            "offset": message.offset(),
        }
    )


def ensure_topic(broker: dict[str, Any], topic: str) -> None:
    """Create ``topic`` if the cluster lacks it (a broker may not create topics on write)."""
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient(broker)
    if topic in admin.list_topics(timeout=30).topics:
        return
    try:
        admin.create_topics([NewTopic(topic, 1)])[topic].result(30)
    except KafkaException as error:
        if "TOPIC_ALREADY_EXISTS" not in str(error):
            raise


class SalesConsumer:
    """One consumer of ``topic`` in ``group`` writing into ``folder`` (the landing folder's
    stream partitions)."""

    def __init__(
        self,
        broker: dict[str, Any],
        topic: str,
        group: str,
        dead_letter_topic: str,
        folder: Path,
        contract: EventContract,
        limits: BatchLimits = BatchLimits(),
        metrics: StreamMetrics | None = None,
        consumer_options: dict[str, Any] | None = None,
    ) -> None:
        from confluent_kafka import Consumer, Producer

        self.topic, self.dead_letter_topic, self.folder = topic, dead_letter_topic, Path(folder)
        self.contract, self.limits = contract, limits
        self.metrics = metrics or StreamMetrics()
        self.consumer = Consumer(
            {
                **broker,
                "group.id": group,
                "enable.auto.commit": False,  # committed after the file is durable
                "auto.offset.reset": "earliest",
                "enable.partition.eof": False,
                # e.g. session.timeout.ms: how long a killed member holds its partitions
                **(consumer_options or {}),
            }
        )
        self.producer = Producer({**broker, "linger.ms": 5, "acks": "all"})
        self.failed_deliveries: list[str] = []
        self.stopping = False
        ensure_topic(broker, dead_letter_topic)
        removed = remove_partials(self.folder)
        if removed:
            logger.warning("Stream: removed %d partial partition(s) a killed run left", removed)

    def _poll_batch(self) -> list[Any]:
        messages: list[Any] = []
        deadline = None
        while not self.stopping and len(messages) < self.limits.max_events:
            wait = 0.5 if deadline is None else max(0.0, deadline - time.monotonic())
            if deadline is not None and wait == 0.0:
                break
            want = min(self.limits.poll_events, self.limits.max_events - len(messages))
            for message in self.consumer.consume(want, wait):
                if message.error():
                    logger.warning("Stream: %s", message.error())
                    continue
                messages.append(message)
            if messages and deadline is None:
                deadline = time.monotonic() + self.limits.max_seconds
            if deadline is None:
                return messages  # nothing within the wait: let the caller check its stop
        return messages

    def _delivered(self, error: Any, message: Any) -> None:
        if error is not None:
            self.failed_deliveries.append(str(error))

    def process(self, messages: list[Any]) -> BatchResult:
        """Write, dead-letter, flush, then commit one batch."""
        checked = check_events([m.value() or b"" for m in messages], self.contract)
        by_payload = {}
        for message in messages:  # the dead letter carries where the payload came from
            by_payload.setdefault(message.value() or b"", message)
        for payload, reason in checked.dead_letters:
            self.producer.produce(
                self.dead_letter_topic,
                _dead_letter(by_payload[payload], reason),
                on_delivery=self._delivered,
            )
        path = write_partition(self.folder, checked.events) if len(checked.events) else None
        if checked.dead_letters and self.producer.flush(30) > 0:
            raise RuntimeError("Stream: dead letters not acknowledged within 30 s; not committing")
        if self.failed_deliveries:  # the batch is read again after a restart
            raise RuntimeError(
                f"Stream: {len(self.failed_deliveries)} dead letters were refused by the broker "
                f"({self.failed_deliveries[0]}); not committing"
            )
        if messages:
            self.consumer.commit(asynchronous=False)
        latency = None
        if len(checked.events):
            lag = pd.Timestamp.now(tz="UTC") - pd.to_datetime(checked.events[TS], utc=True)
            latency = float(lag.dt.total_seconds().quantile(0.95))
        result = BatchResult(
            len(checked.events), len(checked.dead_letters), checked.duplicates, path, latency
        )
        self.metrics.record(result)
        logger.info(
            "Stream: batch of %d events: %d landed%s, %d dead-lettered, %d duplicates",
            len(messages),
            result.good,
            f" in {path.name}" if path else "",
            result.dead_lettered,
            result.duplicates,
        )
        return result

    def run(self, until: Callable[[], bool] = lambda: False) -> None:
        """Consume until SIGTERM/SIGINT or ``until()``; the open batch is finished first."""

        def stop(*_: Any) -> None:
            self.stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.consumer.subscribe([self.topic])
        try:
            while not self.stopping and not until():
                messages = self._poll_batch()
                if messages:
                    self.process(messages)
        finally:
            self.consumer.close()
            self.producer.flush(10)
