"""Request and response models: the OpenAPI contract and the 422 messages that name the field.

Series keys differ per dataset (``store_id, item_id``; ``Store``; ...), so the rows of
``POST /sales`` and ``POST /stock`` accept extra fields; the pipeline's own checks
(``panel.landing``, ``inventory.positions``) then refuse a misspelt or unknown one.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, FiniteFloat, StrictBool, StrictInt

# Item-count limits of the write and what-if bodies (422 beyond; the body size limit is 413).
MAX_WHAT_IF_SERIES = 2000
MAX_ROWS = 10000
MAX_PAGE_SIZE = 1000

NonNegative = Annotated[FiniteFloat, Field(ge=0)]
# A key or covariate value of a row (no nested objects: a table cell).
# int before float: a numeric key (Rossmann's store_id 1) stays 1, not 1.0.
Scalar = Annotated[str, Field(max_length=200)] | StrictBool | StrictInt | FiniteFloat | None


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Ready(BaseModel):
    ready: bool
    reason: str | None = Field(None, description="Why not ready (503), e.g. the load error.")
    env: str | None = None
    dataset: str | None = None
    model_version: str | None = None
    model_trained_until: date | None = None
    forecast_origin: date | None = None
    forecast_source: str | None = Field(
        None, description="daily_forecast (the plan's) or recomputed at load"
    )
    forecast_age_days: int | None = Field(None, description="Days from the origin to today.")
    plan_version: str | None = None
    plan_age_seconds: float | None = Field(None, description="Seconds since the plan was saved.")
    loaded_age_seconds: float | None = Field(None, description="Seconds since the last load.")
    write_endpoints: Literal["enabled", "disabled: INVENTORY_API_KEY is not set"] | None = None


class ForecastStep(BaseModel):
    date: date
    horizon: int
    point: float
    quantiles: dict[str, float] = Field(description="Quantile level (e.g. '0.9') -> units.")
    is_closed: bool


class Forecast(BaseModel):
    series_id: str
    origin: date = Field(description="The panel's last date: the forecast starts after it.")
    model_version: str
    unit: str
    steps: list[ForecastStep]


class PlanPage(BaseModel):
    plan_version: str | None
    as_of_date: date | None
    total: int = Field(description="Rows matching the filters (all pages).")
    page: int
    page_size: int
    rows: list[dict[str, str | float | int | bool | None]]


class PositionOverride(BaseModel):
    model_config = ConfigDict(extra="forbid")

    series_id: str = Field(min_length=1, max_length=200)
    on_hand: NonNegative | None = None
    on_order: NonNegative | None = None
    case_pack: Annotated[FiniteFloat, Field(gt=0)] | None = None


class WhatIfRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    series_ids: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        min_length=1,
        max_length=MAX_WHAT_IF_SERIES,
        description="The series to plan together (a budget or capacity is shared by them).",
    )
    overrides: list[PositionOverride] = Field(
        default_factory=list,
        max_length=MAX_WHAT_IF_SERIES,
        description="Per series: on hand, on order, case pack instead of today's.",
    )
    service_target: Literal["cost_optimal"] | Annotated[FiniteFloat, Field(gt=0, lt=1)] | None = (
        Field(None, description="cost_optimal or a cycle service level; default: the plan's.")
    )
    budget: NonNegative | None = Field(None, description="Money for these orders (unit cost).")
    capacity: NonNegative | None = Field(None, description="Volume for these orders.")
    case_pack: Annotated[FiniteFloat, Field(gt=0)] | None = Field(
        None, description="One case pack for every series (an override's wins)."
    )


class WhatIfOrder(BaseModel):
    series_id: str
    on_hand: float
    on_order: float
    service_target: float | None
    reorder_point: float | None
    order_up_to: float | None
    order_qty: float
    order_value: float
    expected_fill_rate: float | None
    plan_order_qty: float | None = Field(description="Today's plan's order, to compare.")
    status: str


class WhatIfResult(BaseModel):
    model_version: str
    plan_version: str | None
    as_of_date: date | None
    orders: list[WhatIfOrder]
    order_value: float = Field(description="Purchase money of the orders (unit cost x units).")
    ordering_cost: float = Field(description="Fixed cost of the orders placed.")
    total_cost: float = Field(description="order_value + ordering_cost.")
    units: float
    orders_placed: int
    expected_fill_rate: float | None = Field(
        description="Fill rate over the cover period, weighted by forecast demand."
    )
    binding_constraint: str | None = Field(description="budget, capacity or none.")
    solve_seconds: float


class SaleRow(BaseModel):
    """One sale line: the series' keys (as the panel names them) or ``series_id``, the date,
    the demand, and optionally covariates of the raw panel (price, promo, ...)."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, Scalar] = Field(init=False)

    date: date
    demand: FiniteFloat


class SalesRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rows: list[SaleRow] = Field(min_length=1, max_length=MAX_ROWS)


class StockRow(BaseModel):
    """One series' position: its keys or ``series_id``, on hand, on order, the expected
    arrival of what is on order, and optional overrides (unit_cost, case_pack, lead_time)."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, Scalar] = Field(init=False)

    on_hand: NonNegative
    on_order: NonNegative | None = None
    expected_arrival: date | None = None


class StockRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    positions: list[StockRow] = Field(min_length=1, max_length=MAX_ROWS)


class Written(BaseModel):
    status: Literal["written", "unchanged"]
    file: str
    rows: int
    series: int
    detail: str


class Reloaded(BaseModel):
    model_version: str
    plan_version: str | None
    forecast_source: str
    seconds: float
