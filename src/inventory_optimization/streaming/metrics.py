"""Prometheus metrics of the stream consumer: events per outcome, batches, latency to file."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram


class StreamMetrics:
    """The consumer's metrics in ``registry`` (the service's, where both run in one process;
    otherwise its own, exposed by ``stream consume --metrics-port``)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.events = Counter(
            "inventory_stream_events",
            "Sale events consumed, by outcome (landed, dead_lettered, duplicate)",
            ["outcome"],
            registry=self.registry,
        )
        self.batches = Counter(
            "inventory_stream_batches", "Batches written and committed", registry=self.registry
        )
        self.latency = Histogram(
            "inventory_stream_latency_seconds",
            "Seconds from an event's time to its durable landing file (a batch's p95)",
            buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, float("inf")),
            registry=self.registry,
        )

    def record(self, result: Any) -> None:
        self.events.labels("landed").inc(result.good)
        self.events.labels("dead_lettered").inc(result.dead_lettered)
        self.events.labels("duplicate").inc(result.duplicates)
        self.batches.inc()
        if result.latency_p95 is not None:
            self.latency.observe(max(result.latency_p95, 0.0))
