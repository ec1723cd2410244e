"""A seeded store x item point-of-sale export, mostly zero days: the shape of a real shop's
replenishment data, which the benchmark aggregates (a store's sales value, a department's
week, a restaurant's covers) never have.

It is written as a user's export arrives: order lines only on days with a sale (no zero
rows), in the column names and date format of ``conf/custom``'s template (``Order Number``,
``Order Date``, ``Item Name``, ``Quantity``) plus ``Store`` and ``Product Price``, so the
custom source reads it with two mapping settings. Tests and the intermittent benchmark use it
to check what the benchmark datasets cannot: zero days that count, metrics that fit, and
models for intermittent sales.

Demand per store-item-day is a gamma-Poisson (negative binomial) count around a rate made of
the item's level (log-normal: most items sell well under one unit a day), the store's size,
a weekday profile, a mild yearly cycle and price promotions; every store is closed on
25 December (no line at all that day).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

WEEKDAY_PROFILE = np.array([0.85, 0.85, 0.9, 0.95, 1.15, 1.4, 0.9])  # Monday .. Sunday
PROMO_LIFT = 1.8
PROMO_DISCOUNT = 0.8


def generate_item_export(
    n_stores: int = 10,
    n_items: int = 30,
    start: str = "2023-01-02",
    n_days: int = 546,
    mean_rate: float = 0.3,
    dispersion: float = 1.5,
    seed: int = 7,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Order lines of ``n_stores`` x ``n_items`` series over ``n_days`` days, and the true
    daily demand of every series-day (``store``, ``item``, ``date``, ``units``, ``rate``,
    ``closed``), zeros and closed days included, for checking what the pipeline made of it.

    ``mean_rate`` is the median item's units per day in an average store; ``dispersion`` the
    gamma shape (smaller: lumpier sales).
    """
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=n_days, freq="D")
    item_level = rng.lognormal(np.log(mean_rate), 1.0, n_items)
    item_price = np.round(rng.lognormal(np.log(6.0), 0.5, n_items), 2)
    store_size = rng.lognormal(0.0, 0.35, n_stores)

    weekday = WEEKDAY_PROFILE[dates.dayofweek.to_numpy()]
    yearly = 1.0 + 0.15 * np.sin(2 * np.pi * (dates.dayofyear.to_numpy() - 80) / 365.25)
    # Promotions: item-weeks on a 20 % discount, the same in every store.
    weeks = (np.arange(n_days) // 7)[:, None]
    promo_weeks = rng.random((weeks.max() + 1, n_items)) < 0.06
    promo = promo_weeks[weeks[:, 0]]  # (days, items)
    price = item_price[None, :] * np.where(promo, PROMO_DISCOUNT, 1.0)

    closed = (dates.month == 12) & (dates.day == 25)
    rate = (
        (weekday * yearly)[:, None, None]
        * store_size[None, :, None]
        * (item_level[None, :] * np.where(promo, PROMO_LIFT, 1.0))[:, None, :]
    )  # (days, stores, items)
    rate = np.where(closed[:, None, None], 0.0, rate)
    units = rng.poisson(rate * rng.gamma(dispersion, 1.0 / dispersion, rate.shape))

    stores = np.array([f"S{s + 1:02d}" for s in range(n_stores)])
    items = np.array([f"Item {i + 1:03d}" for i in range(n_items)])
    day_index, store_index, item_index = np.indices(units.shape).reshape(3, -1)
    truth = pd.DataFrame(
        {
            "store": stores[store_index],
            "item": items[item_index],
            "date": dates[day_index],
            "units": units.ravel().astype("int64"),
            "rate": rate.ravel(),
            "closed": closed[day_index],
        }
    )
    sold = units.ravel() > 0
    lines = pd.DataFrame(
        {
            "Order Number": np.arange(1, int(sold.sum()) + 1),
            "Order Date": (dates[day_index[sold]] + pd.Timedelta(hours=12)).strftime(
                "%d/%m/%Y %H:%M"
            ),
            "Store": stores[store_index[sold]],
            "Item Name": items[item_index[sold]],
            "Quantity": units.ravel()[sold].astype("int64"),
            "Product Price": price[day_index[sold], item_index[sold]],
        }
    )
    return lines, truth


# The mapping settings the template in conf/custom needs for this export, as `kedro run
# --params` entries: the store key and the price column.
MAPPING_PARAMS = {
    "data_source.key_columns.store_id": "Store",
    "data_source.known_covariates.price": "Product Price",
}
