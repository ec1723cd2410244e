"""A seeded store x product export of monthly totals: the shape of wholesale and B2B planning
data, which plans by the month.

It is written as an ERP report arrives: one line per store, product and month with a sale
(no zero lines), the month dated on its first day, in ``Month``, ``Store``, ``Product``,
``Quantity`` and ``Unit Price`` columns; :data:`MAPPING_PARAMS` maps it onto the template in
``conf/custom``. Tests use it to run monthly data end to end, from ``frequency: auto`` to the
plan.

Demand per store-product-month is a gamma-Poisson (negative binomial) count around a rate
made of the product's level (log-normal), the store's size, a yearly season (each product
peaks in its own month, every product sells more in November and December), a mild trend
and a price raised each January. A few series stop before the export ends (a store delisted
the product) and a few start late (a launch).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

YEAR_END_LIFT = {11: 1.15, 12: 1.35}  # month of year -> demand multiplier, every series
YEARLY_PRICE_RISE = 0.03


def generate_monthly_export(
    n_stores: int = 4,
    n_products: int = 10,
    start: str = "2020-01-01",
    n_months: int = 60,
    mean_units: float = 80.0,
    dispersion: float = 25.0,
    ended: tuple[int, ...] = (40, 48, 57),
    launched: tuple[int, ...] = (24, 30),
    seed: int = 11,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Monthly lines of ``n_stores`` x ``n_products`` series over ``n_months`` months from
    ``start``, and the true demand of every series-month (``store``, ``product``, ``month``
    as the month's last day, ``units``, ``rate``, ``live``: inside the series' life).

    ``ended`` are the months (0-based) after which one series each sells nothing more;
    ``launched`` the months in which one series each sells for the first time. ``mean_units``
    is the median product's units per month in an average store; ``dispersion`` the gamma
    shape (smaller: noisier months).
    """
    rng = np.random.default_rng(seed)
    months = pd.date_range(start, periods=n_months, freq="MS")
    level = rng.lognormal(np.log(mean_units), 0.8, n_products)
    size = rng.lognormal(0.0, 0.3, n_stores)
    peak = rng.integers(1, 13, n_products)
    amplitude = rng.uniform(0.15, 0.45, n_products)
    base_price = np.round(rng.lognormal(np.log(12.0), 0.4, n_products), 2)

    month_of_year = months.month.to_numpy()
    season = 1.0 + amplitude[None, :] * np.cos(
        2 * np.pi * (month_of_year[:, None] - peak[None, :]) / 12
    )  # (months, products)
    lift = np.select([month_of_year == m for m in YEAR_END_LIFT], list(YEAR_END_LIFT.values()), 1.0)
    season *= lift[:, None]
    trend = 1.0 + 0.004 * np.arange(n_months)
    rate = (
        (season * trend[:, None])[:, None, :] * size[None, :, None] * level[None, None, :]
    )  # (months, stores, products)

    # Each series lives from its first to its last month; a few end early, a few start late.
    n_series = n_stores * n_products
    picked = rng.choice(n_series, size=len(ended) + len(launched), replace=False)
    first = np.zeros(n_series, dtype=int)
    last = np.full(n_series, n_months - 1)
    last[picked[: len(ended)]] = ended
    first[picked[len(ended) :]] = launched
    position = np.arange(n_months)[:, None]
    live = ((position >= first) & (position <= last)).reshape(n_months, n_stores, n_products)
    units = rng.poisson(rate * rng.gamma(dispersion, 1.0 / dispersion, rate.shape))
    units = np.where(live, units, 0)

    years = (months.year - months.year[0]).to_numpy()
    price = base_price[None, :] * (1 + YEARLY_PRICE_RISE) ** years[:, None]  # (months, products)
    stores = np.array([f"S{s + 1:02d}" for s in range(n_stores)])
    products = np.array([f"P{p + 1:03d}" for p in range(n_products)])
    month_index, store_index, product_index = np.indices(units.shape).reshape(3, -1)
    truth = pd.DataFrame(
        {
            "store": stores[store_index],
            "product": products[product_index],
            "month": (months + pd.offsets.MonthEnd(0))[month_index],
            "units": units.ravel().astype("int64"),
            "rate": np.where(live, rate, 0.0).ravel(),
            "live": live.ravel(),
        }
    )
    sold = units.ravel() > 0
    lines = pd.DataFrame(
        {
            "Month": months[month_index[sold]].strftime("%Y-%m-%d"),
            "Store": stores[store_index[sold]],
            "Product": products[product_index[sold]],
            "Quantity": units.ravel()[sold].astype("int64"),
            "Unit Price": np.round(price[month_index[sold], product_index[sold]], 2),
        }
    )
    return lines, truth


# The mapping settings the template in conf/custom needs for this export, as `kedro run
# --params` entries (the file name is the runtime parameter sales_file).
MAPPING_PARAMS = {
    "data_source.date_column": "Month",
    "data_source.date_format": "null",  # ISO dates: no format needed
    "data_source.key_columns.store_id": "Store",
    "data_source.key_columns.item_id": "Product",
    "data_source.target_column": "Quantity",
    "data_source.order_id_column": "null",  # monthly totals have no order number
    "data_source.known_covariates.price": "Unit Price",
    "data_source.unit": "units per store-product-month",
}
