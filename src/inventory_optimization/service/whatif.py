"""The plan re-solved for some series under other positions, service target, budget, capacity
or case packs: the replenishment node's own function (``plan_replenishment``: the same
overrides, policies, packs and MILP as the daily run) on the snapshot's forecast, items and
positions, with the request's changes applied to them."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..panel.contract import SERIES_ID
from ..pipelines.replenishment.nodes import plan_replenishment
from .schemas import WhatIfRequest
from .state import Snapshot

# What a what-if answers per series (the plan's columns and today's planned order).
ORDER_COLUMNS = [
    "series_id",
    "on_hand",
    "on_order",
    "service_target",
    "reorder_point",
    "order_up_to",
    "order_qty",
    "order_value",
    "expected_fill_rate",
    "plan_order_qty",
    "status",
]


class UnknownSeries(LookupError):
    """Series ids the snapshot does not have (the endpoints answer 404 naming them)."""

    def __init__(self, ids: Sequence[str], where: str) -> None:
        self.ids = list(ids)
        shown = ", ".join(repr(i) for i in self.ids[:10])
        more = f" and {len(self.ids) - 10} more" if len(self.ids) > 10 else ""
        super().__init__(f"{len(self.ids)} series not in the {where}: {shown}{more}")


class BadRequest(ValueError):
    """A body that is valid JSON of the schema but not a valid question (422)."""


def require_known(ids: Sequence[str], known: pd.Index, where: str) -> None:
    missing = [i for i in ids if i not in known]
    if missing:
        raise UnknownSeries(missing, where)


def _twice(values: pd.Series, field: str) -> None:
    repeated = values[values.duplicated()].unique()
    if len(repeated):
        raise BadRequest(
            f"{field}: {len(repeated)} series listed twice ({', '.join(map(repr, repeated[:5]))})"
            "; expected each series once"
        )


def _positions(snapshot: Snapshot, request: WhatIfRequest, ids: list[str]) -> pd.DataFrame:
    """Today's positions of ``ids`` with the request's on hand, on order and case packs (a
    case pack travels in the positions, as a stock file's override does)."""
    positions = snapshot.positions.set_index(SERIES_ID).loc[ids].reset_index()
    if request.case_pack is not None:
        positions["case_pack"] = float(request.case_pack)
    if not request.overrides:
        return positions
    overrides = pd.DataFrame([o.model_dump() for o in request.overrides])
    _twice(overrides[SERIES_ID], "overrides")
    outside = sorted(set(overrides[SERIES_ID]) - set(ids))
    if outside:
        raise BadRequest(
            f"overrides: {len(outside)} series are not in series_ids ({', '.join(map(repr, outside[:5]))})"
            "; expected overrides of the series planned"
        )
    given = overrides.set_index(SERIES_ID).reindex(positions[SERIES_ID])
    for column in ("on_hand", "on_order", "case_pack"):
        values = given[column].to_numpy(dtype=float)
        current = positions[column].to_numpy(dtype=float)
        positions[column] = np.where(np.isnan(values), current, values)
    return positions


def _settings(
    snapshot: Snapshot, request: WhatIfRequest, time_limit: float | None
) -> dict[str, Any]:
    inventory = dict(snapshot.parameters["inventory"])
    if request.service_target is not None:
        inventory["service_target"] = request.service_target
    constraints = dict(inventory.get("constraints") or {})
    if request.budget is not None:
        constraints["budget"] = float(request.budget)
    if request.capacity is not None:
        constraints["capacity"] = float(request.capacity)
    if time_limit is not None:
        constraints["time_limit"] = time_limit
    inventory["constraints"] = constraints
    return inventory


def what_if(
    snapshot: Snapshot, request: WhatIfRequest, time_limit: float | None = None
) -> dict[str, Any]:
    """The orders (a frame, ``ORDER_COLUMNS``), their money and expected fill rate for
    ``request``'s series; the MILP
    stops after ``time_limit`` seconds with the best plan it has (None: the pipeline's)."""
    ids = pd.Series(request.series_ids, dtype=str)
    _twice(ids, "series_ids")
    ids = ids.tolist()
    require_known(ids, pd.Index(snapshot.positions[SERIES_ID]), "plan")
    positions = _positions(snapshot, request, ids)
    forecast = snapshot.forecast[snapshot.forecast[SERIES_ID].isin(ids)]
    items = snapshot.items[snapshot.items[SERIES_ID].isin(ids)]
    metadata = dict(snapshot.metadata)
    discontinued = metadata.get("discontinued") or {}
    if discontinued:
        listed = discontinued.get("series", {})
        metadata["discontinued"] = {
            **discontinued,
            "series": {s: listed[s] for s in ids if s in listed},
        }
    started = time.perf_counter()
    plan, _ = plan_replenishment(
        forecast, items, positions, metadata, _settings(snapshot, request, time_limit)
    )
    seconds = time.perf_counter() - started

    plan = plan.set_index(SERIES_ID).loc[ids].reset_index()
    today = snapshot.plan.set_index(SERIES_ID)["order_qty"]
    ordering = items.set_index(SERIES_ID)["ordering_cost"].reindex(ids).to_numpy(dtype=float)
    placed = plan["order_qty"].to_numpy(dtype=float) > 0
    # The fill rate of the orders in all: each series' weighted by its forecast demand.
    planned = plan["status"].eq("planned").to_numpy()
    rate = plan["expected_fill_rate"].to_numpy(dtype=float)[planned]
    weight = plan["forecast_cover_mean"].to_numpy(dtype=float)[planned]
    fill = float(np.average(rate, weights=weight)) if weight.sum() > 0 else None
    binding = plan["binding_constraint"].dropna()
    orders = plan.assign(plan_order_qty=today.reindex(ids).to_numpy())[ORDER_COLUMNS]
    order_value = float(plan["order_value"].sum())
    ordering_cost = float(ordering[placed].sum())
    return {
        "model_version": snapshot.model_version,
        "plan_version": snapshot.plan_version,
        "as_of_date": pd.Timestamp(plan["as_of_date"].max()).date(),
        "orders": orders,
        "order_value": order_value,
        "ordering_cost": ordering_cost,
        "total_cost": order_value + ordering_cost,
        "units": float(plan["order_qty"].sum()),
        "orders_placed": int(placed.sum()),
        "expected_fill_rate": fill,
        "binding_constraint": str(binding.iloc[0]) if len(binding) else None,
        "solve_seconds": seconds,
    }
