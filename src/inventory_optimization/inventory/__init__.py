"""Inventory mathematics: demand distributions from forecast quantiles, replenishment
policies, orders under budget and capacity, a period-by-period simulator and backtest KPIs.

Plain numpy/scipy/pandas with no Kedro imports, so notebooks and tests use it directly.
"""

from .constraints import constrained_orders
from .distributions import (
    expected_shortage,
    lead_time_demand_mean,
    lead_time_demand_quantiles,
    quantile_array,
    sample_period_demand,
)
from .kpis import backtest_kpis, gap_closed, total_row
from .lot_sizing import batch_quantity, lot_sizing_levels
from .policies import (
    continuous_review_sQ,
    cost_optimal_service_level,
    eoq,
    newsvendor_quantity,
    order_quantity,
    order_up_to_level,
    perishable_order_up_to,
    validate_item_parameters,
    validate_quantiles,
)
from .simulation import naive_levels, perfect_foresight_levels, simulate

__all__ = [
    "backtest_kpis",
    "batch_quantity",
    "constrained_orders",
    "continuous_review_sQ",
    "cost_optimal_service_level",
    "eoq",
    "expected_shortage",
    "gap_closed",
    "lead_time_demand_mean",
    "lead_time_demand_quantiles",
    "lot_sizing_levels",
    "naive_levels",
    "newsvendor_quantity",
    "order_quantity",
    "order_up_to_level",
    "perfect_foresight_levels",
    "perishable_order_up_to",
    "quantile_array",
    "sample_period_demand",
    "simulate",
    "total_row",
    "validate_item_parameters",
    "validate_quantiles",
]
