"""Inventory mathematics: from forecast quantiles to today's orders and their backtest.

Plain numpy/scipy/pandas with no Kedro imports, so notebooks and tests use it directly. The
entry points are :func:`item_parameters`, :func:`plan_orders` and :func:`run_backtest`. Rooms:

- ``items``: the per-series item table (costs, prices, logistics) from attributes and defaults;
- ``validation``: the item columns accepted (``ITEM_FIELDS``) and the checks of items and
  forecast quantiles;
- ``positions``: today's stock from the user's stock file (checked against the panel's series,
  with per-series item overrides), or assumed where there is no file;
- ``distributions``: demand distributions from forecast quantiles, sums over cover windows;
- ``policies``: the policy mathematics ((R, S), (s, Q), (R, s, S) batches, newsvendor, EOQ,
  cost-optimal service level, rounding to packs and MOQs);
- ``constraints``: orders under a shared budget or capacity (MILP);
- ``replenishment``: policy composition per series and today's plan;
- ``simulation``: the period-by-period replay of a policy on realised demand;
- ``baselines``: the spreadsheet rule and the perfect-foresight bound;
- ``kpis``: service, stock and cost KPIs of a replay, and the gap a policy closes;
- ``backtest``: every policy replayed on the holdout, side by side with the baselines.
"""

from .backtest import run_backtest
from .baselines import lot_sizing_levels, naive_levels
from .constraints import constrained_orders
from .distributions import (
    expected_shortage,
    lead_time_demand_mean,
    lead_time_demand_quantiles,
    quantile_array,
    sample_period_demand,
)
from .items import item_parameters
from .kpis import backtest_kpis, gap_closed, total_row
from .policies import (
    batch_quantity,
    continuous_review_sQ,
    cost_optimal_service_level,
    eoq,
    order_quantity,
    order_up_to_level,
    perishable_order_up_to,
)
from .replenishment import plan_orders
from .simulation import simulate
from .validation import validate_item_parameters, validate_quantiles

__all__ = [
    "backtest_kpis",
    "batch_quantity",
    "constrained_orders",
    "continuous_review_sQ",
    "cost_optimal_service_level",
    "eoq",
    "expected_shortage",
    "gap_closed",
    "item_parameters",
    "lead_time_demand_mean",
    "lead_time_demand_quantiles",
    "lot_sizing_levels",
    "naive_levels",
    "order_quantity",
    "order_up_to_level",
    "perishable_order_up_to",
    "plan_orders",
    "quantile_array",
    "run_backtest",
    "sample_period_demand",
    "simulate",
    "total_row",
    "validate_item_parameters",
    "validate_quantiles",
]
