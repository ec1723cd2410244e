"""Prometheus metrics of one app (its own registry, so tests can build several apps): request
counts and latency per endpoint, the model version, the forecast's and the plan's age, the
what-if solve time; and the ASGI middleware that counts requests and caps body sizes."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from .state import StateHolder

# From 1 ms (a forecast lookup) to 10 s (a reload).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 10.0)
UNMATCHED = "unmatched"  # requests no route took (404 of unknown paths): one label, bounded


class ServiceMetrics:
    def __init__(self, holder: StateHolder) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "inventory_http_requests",
            "HTTP requests per endpoint (route template), method and status code.",
            ["endpoint", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "inventory_http_request_duration_seconds",
            "HTTP request latency per endpoint and method.",
            ["endpoint", "method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.what_if_solve = Histogram(
            "inventory_what_if_solve_seconds",
            "Seconds the what-if spent re-solving the plan (policies, packs, MILP).",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.reloads = Counter(
            "inventory_reloads",
            "State reloads by trigger (startup, api, new_plan) and outcome (ok, error).",
            ["trigger", "outcome"],
            registry=self.registry,
        )
        self.model = Gauge(
            "inventory_model_info",
            "1 for the champion version the service forecasts with.",
            ["version", "trained_until"],
            registry=self.registry,
        )
        forecast_age = Gauge(
            "inventory_forecast_age_seconds",
            "Seconds from the forecast's origin (the panel's last date, midnight UTC) to now.",
            registry=self.registry,
        )
        plan_age = Gauge(
            "inventory_plan_age_seconds",
            "Seconds since the daily run saved the loaded plan.",
            registry=self.registry,
        )
        forecast_age.set_function(_age(holder, lambda s: s.origin.to_pydatetime()))
        plan_age.set_function(_age(holder, lambda s: s.plan_saved_at))
        self._holder = holder

    def loaded(self) -> None:
        """Point the model gauge at the loaded champion."""
        snapshot = self._holder.snapshot
        self.model.clear()
        if snapshot is not None:
            trained = f"{snapshot.bundle.trained_until:%Y-%m-%d}"
            self.model.labels(snapshot.model_version, trained).set(1)

    def exposition(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def _age(holder: StateHolder, when: Callable) -> Callable[[], float]:
    def age() -> float:
        snapshot = holder.snapshot
        moment = None if snapshot is None else when(snapshot)
        if moment is None:
            return float("nan")
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return (datetime.now(UTC) - moment).total_seconds()

    return age


class RequestMiddleware:
    """Counts and times every request by its route template, and answers 413 to a body
    above ``max_body_bytes`` (read up to the limit, whatever its Content-Length says)."""

    def __init__(self, app, metrics: ServiceMetrics, max_body_bytes: int) -> None:
        self.app, self.metrics, self.max_body_bytes = app, metrics, max_body_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def sending(message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        body = await self._body(receive)
        if body is None:
            await self._too_large(sending)
        else:
            delivered = {"done": False}

            async def replay():
                # The body was read whole (it is small: capped); after it, the client's events.
                if delivered["done"]:
                    return await receive()
                delivered["done"] = True
                return {"type": "http.request", "body": body, "more_body": False}

            await self.app(scope, replay, sending)
        route = scope.get("route")
        endpoint = getattr(route, "path", UNMATCHED)
        method = scope["method"]
        self.metrics.requests.labels(endpoint, method, str(status["code"])).inc()
        self.metrics.latency.labels(endpoint, method).observe(time.perf_counter() - started)

    async def _body(self, receive) -> bytes | None:
        """The whole request body, or None as soon as it passes the limit."""
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)

    async def _too_large(self, send) -> None:
        body = (
            b'{"detail":"request body above the limit of '
            + str(self.max_body_bytes).encode()
            + b' bytes; send fewer rows per request"}'
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
