"""A bounded load test of the service on loopback: a fixed number of requests, then it stops.

Starts ``inventory-optimization serve`` in a project that has had ``training`` and ``daily``
(or uses ``--url`` of a running one), then prints requests/s, p50, p95 and p99 of
``GET /forecast/{series}`` at ``--clients`` concurrent clients and of ``POST /plan/what-if``
with ``--items`` series (one client, so the figure is the solve, not a queue), and beside
each the server's own latency from its ``/metrics`` histogram (the client shares the
machine's cores). Targets: forecast p99 <= 50 ms at 20 clients, what-if of 100 items p95 <=
200 ms.

    python benchmarks/service_load.py --project /path/to/project [--env rossmann]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from pathlib import Path

import httpx
import numpy as np
from prometheus_client.parser import text_string_to_metric_families

from inventory_optimization.service.launch import running_server

TARGETS = {"GET /forecast": ("p99", 50.0), "POST /plan/what-if": ("p95", 200.0)}


async def _timed(client: httpx.AsyncClient, method: str, path: str, **kwargs) -> float:
    started = time.perf_counter()
    response = await client.request(method, path, **kwargs)
    seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
    return seconds


async def _load(url: str, calls: list[tuple[str, str, dict]], clients: int) -> tuple[list, float]:
    """Run ``calls`` with ``clients`` concurrent workers; latencies and wall seconds."""
    queue: asyncio.Queue = asyncio.Queue()
    for call in calls:
        queue.put_nowait(call)
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            method, path, kwargs = queue.get_nowait()
            latencies.append(await _timed(client, method, path, **kwargs))

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        return latencies, time.perf_counter() - started


def _buckets(metrics: str, endpoint: str) -> dict[float, float]:
    """Cumulative counts per upper bound of the server's latency histogram of ``endpoint``."""
    return {
        float(sample.labels["le"]): sample.value
        for family in text_string_to_metric_families(metrics)
        for sample in family.samples
        if sample.name == "inventory_http_request_duration_seconds_bucket"
        and sample.labels.get("endpoint") == endpoint
    }


def _server_side(before: str, after: str, endpoint: str) -> str:
    """The server's own latency quantiles over the measured requests (bucket upper bounds of
    its /metrics histogram): the time inside the app, without the client's share of the
    cores."""
    start, end = _buckets(before, endpoint), _buckets(after, endpoint)
    counts = {bound: end[bound] - start.get(bound, 0.0) for bound in sorted(end)}
    total = counts[max(counts)]
    shown = []
    for q in (0.5, 0.95, 0.99):
        bound = next(b for b, count in counts.items() if count >= q * total)
        shown.append(f"p{round(q * 100)} <= {bound * 1000:g} ms")
    return f"{'':<20} in the server (GET /metrics histogram): {', '.join(shown)}"


def _row(name: str, latencies: list[float], wall: float, clients: int) -> str:
    ms = np.asarray(latencies) * 1000
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    which, target = TARGETS[name]
    value = {"p95": p95, "p99": p99}[which]
    verdict = "ok" if value <= target else "MISSED"
    return (
        f"{name:<20} {clients:>7} {len(ms):>8} {len(ms) / wall:>10.1f} {p50:>8.1f} {p95:>8.1f} "
        f"{p99:>8.1f}   {which} <= {target:.0f} ms: {verdict}"
    )


async def _metrics(url: str) -> str:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        return (await client.get("/metrics")).text


async def benchmark(url: str, requests: int, clients: int, what_ifs: int, items: int) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        plan = (await client.get("/plan", params={"page_size": 1000})).json()
        ready = (await client.get("/ready")).json()
    series = [row["series_id"] for row in plan["rows"]]
    if len(series) < items:
        print(f"note: the plan has {len(series)} series; the what-if plans {len(series)}")
    chosen = series[:items]
    budget = 0.5 * sum(row["order_value"] or 0 for row in plan["rows"][:items])
    forecasts = [
        ("GET", f"/forecast/{series[i % len(series)]}", {"params": {"quantiles": "0.1,0.5,0.9"}})
        for i in range(requests)
    ]
    # Every other what-if with a budget of half today's order value: the MILP cuts the plan.
    bodies = [
        {"series_ids": chosen, **({"budget": budget} if i % 2 else {})} for i in range(what_ifs)
    ]
    what_if_calls = [("POST", "/plan/what-if", {"json": body}) for body in bodies]
    # Warm-up (first requests import and cache): not counted.
    await _load(url, forecasts[:50] + what_if_calls[:4], 4)
    before = await _metrics(url)
    forecast_latency, forecast_wall = await _load(url, forecasts, clients)
    what_if_latency, what_if_wall = await _load(url, what_if_calls, 1)
    after = await _metrics(url)
    print(
        f"{ready['dataset']} (model version {ready['model_version']}), {len(series)} series, "
        f"what-if of {len(chosen)} items"
    )
    print(
        f"{'endpoint':<20} {'clients':>7} {'requests':>8} {'req/s':>10} {'p50 ms':>8} "
        f"{'p95 ms':>8} {'p99 ms':>8}"
    )
    print(_row("GET /forecast", forecast_latency, forecast_wall, clients))
    print(_server_side(before, after, "/forecast/{series_id}"))
    print(_row("POST /plan/what-if", what_if_latency, what_if_wall, 1))
    print(_server_side(before, after, "/plan/what-if"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=Path.cwd())
    parser.add_argument("--env", default=None)
    parser.add_argument("--url", help="a running service (no server is started)")
    parser.add_argument("--requests", type=int, default=2000, help="GET /forecast requests")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--what-ifs", type=int, default=100, help="POST /plan/what-if requests")
    parser.add_argument("--items", type=int, default=100, help="series per what-if")
    args = parser.parse_args()
    server = (
        contextlib.nullcontext(args.url)
        if args.url
        else running_server(args.project, args.env, environ={"INVENTORY_API_KEY": "benchmark"})
    )
    with server as url:
        asyncio.run(benchmark(url, args.requests, args.clients, args.what_ifs, args.items))


if __name__ == "__main__":
    main()
