"""The endpoints, one router per resource: operations (health, readiness, metrics, reload),
forecasts, the plan and its what-ifs, and the data a store system sends (sales, stock)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Security
from fastapi.responses import JSONResponse, Response
from fastapi.security import APIKeyHeader
from pydantic import BaseModel

from ..inventory.distributions import quantile_columns
from ..panel.contract import DATE
from . import schemas
from .app import API_KEY_ENV, API_KEY_HEADER, key_matches
from .state import Snapshot
from .whatif import UnknownSeries, what_if
from .writes import write_sales, write_stock


class Problem(BaseModel):
    """An error: what was wrong, naming the field, the series or the limit."""

    detail: str | list[dict[str, Any]]
    message: str | None = None
    series: list[str] | None = None


def _responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    meaning = {
        401: "Missing or wrong API key",
        404: "Unknown series (named)",
        409: "Conflicts with the stored data",
        413: "Body above the size limit",
        422: "Invalid parameters or body (the field is named)",
        503: "Not ready, or writes disabled",
    }
    return {code: {"model": Problem, "description": meaning[code]} for code in codes}


async def current(request: Request) -> Snapshot:
    """The loaded snapshot; 503 until the first load succeeded."""
    snapshot = request.app.state.holder.snapshot
    if snapshot is None:
        raise HTTPException(503, f"not ready: {request.app.state.holder.error or 'loading'}")
    return snapshot


_key_header = APIKeyHeader(name=API_KEY_HEADER, auto_error=False)


def require_key(request: Request, key: Annotated[str | None, Security(_key_header)]) -> None:
    """Write endpoints: the key of INVENTORY_API_KEY in the header (never logged)."""
    settings = request.app.state.settings
    if settings.api_key is None:
        raise HTTPException(503, f"write endpoints are disabled: {API_KEY_ENV} is not set")
    if not key_matches(settings, key):
        raise HTTPException(
            401,
            f"{'missing' if key is None else 'wrong'} API key: send it in the {API_KEY_HEADER} header",
            headers={"WWW-Authenticate": "APIKey"},
        )


State = Annotated[Snapshot, Depends(current)]
WRITE = [Depends(require_key)]


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON rows: dates as ISO text, NaN, NaT and infinities (no limit) as null."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            out[column] = values.dt.strftime("%Y-%m-%d").astype(object)
        elif pd.api.types.is_float_dtype(values):
            out[column] = values.where(np.isfinite(values.to_numpy()), np.nan).astype(object)
        elif isinstance(values.dtype, pd.CategoricalDtype):
            out[column] = values.astype(str).astype(object)
        else:
            out[column] = values.astype(object)
    return out.where(out.notna(), None).to_dict(orient="records")


# --- operations ---------------------------------------------------------------------------
operations_router = APIRouter(tags=["operations"])


@operations_router.get("/health", response_model=schemas.Health)
async def health() -> schemas.Health:
    """The process is up (whether or not the state loaded: see /ready)."""
    return schemas.Health()


@operations_router.get(
    "/ready", response_model=schemas.Ready, responses={503: {"model": schemas.Ready}}
)
async def ready(request: Request):
    """The champion bundle and the plan are loaded: their versions and ages."""
    holder = request.app.state.holder
    snapshot: Snapshot | None = holder.snapshot
    writes = (
        "enabled" if request.app.state.settings.api_key else f"disabled: {API_KEY_ENV} is not set"
    )
    if snapshot is None:
        body = schemas.Ready(ready=False, reason=holder.error or "loading", write_endpoints=writes)
        return JSONResponse(status_code=503, content=body.model_dump(mode="json"))
    saved = snapshot.plan_saved_at
    return schemas.Ready(
        ready=True,
        env=snapshot.env,
        dataset=snapshot.dataset,
        model_version=snapshot.model_version,
        model_trained_until=snapshot.bundle.trained_until.date(),
        forecast_origin=snapshot.origin.date(),
        forecast_source=snapshot.forecast_source,
        forecast_age_days=(date.today() - snapshot.origin.date()).days,
        plan_version=snapshot.plan_version,
        plan_age_seconds=None if saved is None else (datetime.now(UTC) - saved).total_seconds(),
        loaded_age_seconds=time.time() - snapshot.loaded_at,
        write_endpoints=writes,
    )


@operations_router.get("/metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    """Prometheus metrics (text exposition format)."""
    content, media_type = request.app.state.metrics.exposition()
    return Response(content=content, media_type=media_type)


@operations_router.post(
    "/reload",
    response_model=schemas.Reloaded,
    dependencies=WRITE,
    responses=_responses(401, 503),
)
async def reload(request: Request) -> schemas.Reloaded:
    """Load the champion, the panel, the forecast and the plan again (a new champion or a
    new daily plan, without a restart). On failure the old state keeps serving."""
    app = request.app
    started = time.perf_counter()
    try:
        snapshot = await asyncio.to_thread(app.state.holder.reload)
    except Exception as error:
        app.state.metrics.reloads.labels("api", "error").inc()
        old = app.state.holder.snapshot
        serving = f"; still serving model version {old.model_version}" if old else ""
        raise HTTPException(
            503, f"reload failed: {type(error).__name__}: {error}{serving}"
        ) from error
    app.state.metrics.reloads.labels("api", "ok").inc()
    app.state.metrics.loaded()
    return schemas.Reloaded(
        model_version=snapshot.model_version,
        plan_version=snapshot.plan_version,
        forecast_source=snapshot.forecast_source,
        seconds=time.perf_counter() - started,
    )


# --- forecasts ----------------------------------------------------------------------------
forecast_router = APIRouter(tags=["forecast"])


def _levels(text: str | None, snapshot: Snapshot) -> list[tuple[str, str]]:
    """The requested quantile levels as (label, column); every level of the bundle when
    none is asked. A level the bundle has no quantile for is refused (no interpolation:
    the calibrated levels are the ones checked)."""
    columns, levels = quantile_columns(snapshot.forecast)
    if text is None or not text.strip():
        return [(f"{level:g}", column) for level, column in zip(levels, columns, strict=True)]
    asked, bad = [], []
    for part in text.split(","):
        try:
            asked.append(float(part))
        except ValueError:
            bad.append(part.strip())
    if bad:
        raise HTTPException(
            422, f"quantiles: {bad} are not numbers; expected levels like 0.1,0.5,0.9"
        )
    found = {round(level, 9): column for level, column in zip(levels, columns, strict=True)}
    missing = [level for level in asked if round(level, 9) not in found]
    if missing:
        raise HTTPException(
            422,
            f"quantiles: the model has no quantile {', '.join(f'{m:g}' for m in missing)}; "
            f"expected some of {', '.join(f'{level:g}' for level in levels)}",
        )
    return [(f"{level:g}", found[round(level, 9)]) for level in dict.fromkeys(asked)]


@forecast_router.get(
    "/forecast/{series_id}", response_model=schemas.Forecast, responses=_responses(404, 422, 503)
)
async def forecast(
    snapshot: State,
    series_id: Annotated[str, Path(description="e.g. S01_I001")],
    horizon: Annotated[int | None, Query(ge=1, description="Periods ahead (default: all).")] = None,
    quantiles: Annotated[
        str | None, Query(description="Comma-separated levels, e.g. 0.1,0.5,0.9 (default: all).")
    ] = None,
) -> dict[str, Any]:
    """Point and quantile forecast of one series from the panel's latest date."""
    rows = snapshot.forecast_rows().get(series_id)
    if rows is None:
        raise UnknownSeries([series_id], "forecast")
    limit = snapshot.bundle.horizon
    if horizon is not None and horizon > limit:
        raise HTTPException(
            422, f"horizon: {horizon} is beyond the model's horizon; expected 1 to {limit}"
        )
    levels = _levels(quantiles, snapshot)
    rows = rows[: horizon or limit]
    column = snapshot.forecast_column
    values = {label: column(name)[rows].tolist() for label, name in levels}
    steps = [
        {
            "date": day,
            "horizon": step,
            "point": point,
            "quantiles": {label: v[i] for label, v in values.items()},
            "is_closed": closed,
        }
        for i, (day, step, point, closed) in enumerate(
            zip(
                column(DATE)[rows].tolist(),
                column("horizon")[rows].tolist(),
                column("y_pred")[rows].tolist(),
                column("is_closed")[rows].tolist(),
                strict=True,
            )
        )
    ]
    return {
        "series_id": series_id,
        "origin": snapshot.origin.date(),
        "model_version": snapshot.model_version,
        "unit": snapshot.metadata.get("unit", "units"),
        "steps": steps,
    }


# --- the plan -----------------------------------------------------------------------------
plan_router = APIRouter(tags=["plan"])


@plan_router.get(
    "/plan",
    response_model=schemas.PlanPage,
    responses={**_responses(422, 503), 200: {"content": {"text/csv": {}}}},
)
async def plan(
    snapshot: State,
    store_id: Annotated[str | None, Query(max_length=200)] = None,
    only_orders: bool = False,
    format: Literal["json", "csv"] = "json",  # noqa: A002 - the query parameter's name
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=schemas.MAX_PAGE_SIZE)] = 100,
):
    """Today's plan (the daily run's, row for row), filtered and paged."""
    table = snapshot.plan
    if store_id is not None:
        if "store_id" not in table.columns:
            raise HTTPException(
                422,
                f"store_id: this dataset's plan has no store_id column; its keys are "
                f"{list(snapshot.metadata['keys'])}",
            )
        table = table[table["store_id"].astype(str) == store_id]
    if only_orders:
        table = table[table["order_qty"] > 0]
    rows = table.iloc[(page - 1) * page_size : page * page_size]
    if format == "csv":
        return Response(content=rows.to_csv(index=False), media_type="text/csv")
    as_of = snapshot.plan["as_of_date"].max() if "as_of_date" in snapshot.plan else None
    return {
        "plan_version": snapshot.plan_version,
        "as_of_date": None if pd.isna(as_of) else pd.Timestamp(as_of).date(),
        "total": len(table),
        "page": page,
        "page_size": page_size,
        "rows": records(rows),
    }


@plan_router.post(
    "/plan/what-if", response_model=schemas.WhatIfResult, responses=_responses(404, 413, 422, 503)
)
def plan_what_if(request: Request, snapshot: State, body: schemas.WhatIfRequest) -> dict[str, Any]:
    """Today's orders of some series re-solved under other positions, service target, budget,
    capacity or case pack, with the pipeline's functions (the MILP when a limit binds)."""
    result = what_if(snapshot, body, request.app.state.settings.what_if_time_limit)
    request.app.state.metrics.what_if_solve.observe(result["solve_seconds"])
    return {**result, "orders": records(result["orders"])}


# --- data from the store system -----------------------------------------------------------
data_router = APIRouter(tags=["data"])


@data_router.post(
    "/sales",
    response_model=schemas.Written,
    dependencies=WRITE,
    responses=_responses(401, 413, 422, 503),
)
def post_sales(snapshot: State, body: schemas.SalesRequest) -> dict[str, Any]:
    """New sale lines (the panel's keys or series_id, date, demand, covariates), checked as
    the daily run checks a landed file and written to the landing folder it absorbs."""
    return write_sales(snapshot, [row.model_dump() for row in body.rows])


@data_router.post(
    "/stock",
    response_model=schemas.Written,
    dependencies=WRITE,
    responses=_responses(401, 409, 413, 422, 503),
)
def post_stock(snapshot: State, body: schemas.StockRequest) -> dict[str, Any]:
    """Positions of some series (on hand, on order, expected arrival, overrides), checked as
    the daily run checks the stock file and put in it (those series' rows replaced)."""
    rows = [row.model_dump(exclude_none=False) for row in body.positions]
    return write_stock(snapshot, rows)
