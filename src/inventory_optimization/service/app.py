"""The FastAPI application: ``create_app(settings)`` builds one app over one project
environment (tests build their own). The state (champion, forecast, plan) is loaded at
start-up and reached through ``request.app.state``, never module globals; routers per
resource live in ``routes.py``."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import os
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ..panel.validation import DataValidationError
from .metrics import RequestMiddleware, ServiceMetrics
from .state import Snapshot, StateHolder, load_snapshot
from .whatif import BadRequest, UnknownSeries
from .writes import BODY_LINES, StaleRows

logger = logging.getLogger(__name__)

API_KEY_ENV = "INVENTORY_API_KEY"
API_KEY_HEADER = "X-API-Key"


@dataclass(frozen=True)
class ServiceSettings:
    """Where the project is, which environment, and the service's limits."""

    project: Path
    env: str | None = None
    api_key: str | None = None  # None: the write endpoints refuse
    max_body_bytes: int = 2_000_000
    # Seconds between checks for a newer plan version (a directory listing); 0: no checks.
    watch_seconds: float = 30.0
    # Seconds the what-if's MILP may search (the pipeline's: 60 s). Its first good plan comes
    # early; the rest is the optimality proof (README, "The service").
    what_if_time_limit: float = 0.1

    @classmethod
    def from_environment(cls, project: Path, env: str | None, **options) -> ServiceSettings:
        return cls(
            project=Path(project), env=env, api_key=os.environ.get(API_KEY_ENV) or None, **options
        )


def key_matches(settings: ServiceSettings, given: str | None) -> bool:
    """Constant-time comparison, so the key cannot be guessed from response times."""
    if settings.api_key is None or given is None:
        return False
    return hmac.compare_digest(given.encode(), settings.api_key.encode())


def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": detail})


def _field(location: tuple) -> str:
    """``body.rows.3.demand`` -> ``rows[3].demand``."""
    parts = [p for p in location if p not in ("body", "query", "path")]
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or ".".join(map(str, location))


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = error.errors()
        summary = "; ".join(f"{_field(e['loc'])}: {e['msg']}" for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        # The field names and messages only: the values sent (maybe a key) are not echoed.
        detail = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in errors]
        return JSONResponse(status_code=422, content={"message": summary + more, "detail": detail})

    @app.exception_handler(UnknownSeries)
    async def unknown(request: Request, error: UnknownSeries) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": str(error), "series": error.ids})

    @app.exception_handler(StaleRows)
    async def stale(request: Request, error: StaleRows) -> JSONResponse:
        return _error(409, str(error))

    @app.exception_handler(DataValidationError)
    async def refused(request: Request, error: DataValidationError) -> JSONResponse:
        text = str(error)
        return _error(422, f"{text} ({BODY_LINES})" if " line " in text else text)

    @app.exception_handler(BadRequest)
    async def bad(request: Request, error: BadRequest) -> JSONResponse:
        return _error(422, str(error))


async def _watch(app: FastAPI, seconds: float) -> None:
    """Reload when the daily run saves a newer plan (it forecasts with the champion of that
    morning, so a new champion arrives with the next plan; POST /reload takes it at once)."""
    holder: StateHolder = app.state.holder
    while True:
        await asyncio.sleep(seconds)
        try:
            if await asyncio.to_thread(holder.reload_if_new_plan):
                app.state.metrics.reloads.labels("new_plan", "ok").inc()
                app.state.metrics.loaded()
        except Exception:
            app.state.metrics.reloads.labels("new_plan", "error").inc()
            logger.exception("Service: reload after a new plan failed; serving the old state")


def create_app(settings: ServiceSettings, loader: Callable[[], Snapshot] | None = None) -> FastAPI:
    """The service over ``settings.project``/``settings.env``; ``loader`` replaces the Kedro
    catalog load (tests)."""
    from .routes import data_router, forecast_router, operations_router, plan_router

    holder = StateHolder(loader or (lambda: load_snapshot(settings.project, settings.env)))

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if settings.api_key is None:
            logger.warning(
                "Service: %s is not set: POST /sales, /stock and /reload refuse every request "
                "(503) until it is set and the service restarted",
                API_KEY_ENV,
            )
        try:
            await asyncio.to_thread(holder.reload)
            app.state.metrics.reloads.labels("startup", "ok").inc()
        except Exception:
            app.state.metrics.reloads.labels("startup", "error").inc()
            # Not ready (GET /ready says why); POST /reload may load it once fixed.
            logger.exception("Service: the state did not load")
        app.state.metrics.loaded()
        watcher = (
            asyncio.create_task(_watch(app, settings.watch_seconds))
            if settings.watch_seconds > 0
            else None
        )
        yield
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    app = FastAPI(
        title="Inventory optimization service",
        description=(
            "Forecasts, today's replenishment plan and what-ifs from the champion model and the "
            "daily run's plan; new sales and stock positions for the next daily run. Write "
            f"endpoints need the `{API_KEY_HEADER}` header ({API_KEY_ENV})."
        ),
        version=__import__("inventory_optimization").__version__,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.holder = holder
    app.state.metrics = ServiceMetrics(holder)
    _handlers(app)
    for router in (operations_router, forecast_router, plan_router, data_router):
        app.include_router(router)
    app.add_middleware(
        RequestMiddleware, metrics=app.state.metrics, max_body_bytes=settings.max_body_bytes
    )
    return app
