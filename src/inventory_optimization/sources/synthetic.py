"""The built-in data: a seeded generator of realistic retail point-of-sale history, and the
adapter that turns its raw tables into the demand panel (stores x items x day).

Expected demand is a product of interpretable effects, and units sold are drawn from a
negative binomial around it, so the true distribution of every observation is known:

    mu = base x store size x weekday x season x trend x price/promo uplift x holiday x weather

Stores are closed on a few national holidays and on random days. The true ``expected_demand``
and the negative binomial ``dispersion`` (its ``n``) are saved for tests of forecasts and of
inventory policies against the truth.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from ..panel.contract import DATE, DEMAND, IS_CLOSED, SERIES_ID, SourceSummary
from ..panel.periods import holiday_dates, is_holiday
from ..panel.validation import require_columns, require_rows, to_dates, to_numeric
from .common import assemble_panel, merge_on_date, order_columns

logger = logging.getLogger(__name__)


# Weekday profiles (Mon..Sun), temperature sensitivity per degree C, shelf life in days
# (0 = not perishable), typical lead time in days.
CATEGORIES = {
    "bakery": {"weekly": [0.9, 0.9, 0.95, 1.0, 1.1, 1.35, 1.2], "temp": 0.0, "shelf": 2, "lead": 1},
    "dairy": {
        "weekly": [1.0, 0.95, 0.95, 1.0, 1.05, 1.2, 1.0],
        "temp": 0.01,
        "shelf": 10,
        "lead": 2,
    },
    "produce": {
        "weekly": [0.95, 0.9, 0.95, 1.0, 1.1, 1.3, 1.0],
        "temp": 0.0,
        "shelf": 5,
        "lead": 2,
    },
    "beverages": {
        "weekly": [0.9, 0.9, 0.9, 1.0, 1.15, 1.35, 1.2],
        "temp": 0.05,
        "shelf": 0,
        "lead": 4,
    },
    "frozen": {
        "weekly": [0.9, 0.95, 0.95, 1.0, 1.05, 1.25, 1.1],
        "temp": 0.04,
        "shelf": 0,
        "lead": 5,
    },
    "grocery": {
        "weekly": [1.0, 1.0, 1.0, 1.0, 1.05, 1.15, 0.9],
        "temp": 0.0,
        "shelf": 0,
        "lead": 7,
    },
}
STORE_TYPES = ("supermarket", "neighbourhood", "express")
CASE_PACKS = np.array([1, 6, 12, 24])
CLOSED_HOLIDAYS = ((1, 1), (12, 25))  # (month, day): stores stay closed
SALES_COLUMNS = ["date", "store_id", "item_id", "units_sold", "price", "promo", "is_open"]


def _rolling_any(starts: np.ndarray, length: int) -> np.ndarray:
    """True where a start happened in the last ``length`` periods (along axis 1)."""
    cumulative = np.cumsum(starts, axis=1)
    shifted = np.zeros_like(cumulative)
    shifted[:, length:] = cumulative[:, :-length]
    return (cumulative - shifted) > 0


def _weather(rng: np.random.Generator, dates: pd.DatetimeIndex, mean_temp: float) -> pd.DataFrame:
    doy = dates.day_of_year.to_numpy()
    noise = lfilter([1.0], [1.0, -0.7], rng.normal(0.0, 1.0, len(dates)))  # AR(1)
    temperature = mean_temp + 4.5 * np.cos(2 * np.pi * (doy - 40) / 365.25) + noise
    rainy = rng.random(len(dates)) < 0.08
    precipitation = np.where(rainy, rng.gamma(1.5, 2.0, len(dates)), 0.0)
    return pd.DataFrame(
        {
            "date": dates,
            "temperature_c": temperature.round(1),
            "precipitation_mm": precipitation.round(1),
        }
    )


def generate_demand_data(params: Mapping) -> dict[str, pd.DataFrame]:
    """Build the raw tables of the built-in dataset from ``params`` (``synthetic_data``)."""
    rng = np.random.default_rng(int(params["seed"]))
    dates = pd.date_range(params["start_date"], periods=int(params["n_days"]), freq="D")
    n_stores, n_items, n_days = int(params["n_stores"]), int(params["n_items"]), len(dates)
    country = params.get("country", "PE")

    stores = pd.DataFrame(
        {
            "store_id": [f"S{i + 1:02d}" for i in range(n_stores)],
            "store_type": [STORE_TYPES[i % len(STORE_TYPES)] for i in range(n_stores)],
            "selling_area_m2": rng.integers(300, 2500, n_stores),
        }
    )
    store_size = stores["selling_area_m2"].to_numpy() / 1000.0

    names = list(CATEGORIES)
    category = np.array([names[i % len(names)] for i in rng.permutation(n_items)])
    slow = rng.random(n_items) < float(params["slow_mover_share"])
    base = np.where(
        slow,
        rng.uniform(0.15, 0.9, n_items),
        rng.lognormal(np.log(float(params["mean_daily_units"])), 0.6, n_items),
    )
    list_price = np.round(rng.lognormal(np.log(4.0), 0.6, n_items), 1) + 0.09
    unit_cost = np.round(list_price * rng.uniform(0.45, 0.75, n_items), 2)
    shelf_life = np.array([CATEGORIES[c]["shelf"] for c in category])
    lead_time = np.array([CATEGORIES[c]["lead"] for c in category]) + rng.integers(0, 3, n_items)
    items = pd.DataFrame(
        {
            "item_id": [f"I{i + 1:03d}" for i in range(n_items)],
            "category": category,
            "unit_cost": unit_cost,
            "unit_price": list_price,
            "lead_time_days": lead_time,
            "case_pack": rng.choice(CASE_PACKS, n_items),
            "min_order_qty": 1,
            "shelf_life_days": np.where(shelf_life > 0, shelf_life, np.nan),
            "is_perishable": shelf_life > 0,
            "is_slow_mover": slow,
        }
    )

    # Series axis: store-major, item-minor.
    n_series = n_stores * n_items
    item_of = np.tile(np.arange(n_items), n_stores)
    store_of = np.repeat(np.arange(n_stores), n_items)
    t = np.arange(n_days)
    doy = dates.day_of_year.to_numpy()
    dow = dates.day_of_week.to_numpy()

    weekly = np.array([CATEGORIES[c]["weekly"] for c in category])[item_of][:, dow]
    amplitude = rng.uniform(0.05, 0.25, n_items)[item_of][:, None]
    peak = rng.uniform(0, 365, n_items)[item_of][:, None]
    season = 1 + amplitude * np.cos(2 * np.pi * (doy[None, :] - peak) / 365.25)
    growth = rng.normal(0.05, 0.1, n_items)[item_of][:, None]
    trend = np.exp(growth * t[None, :] / 365.25)

    # Regular price steps, and promotions of promo_days with an item-specific discount.
    price_path = np.ones((n_items, n_days))
    for _ in range(2):
        when = rng.integers(0, n_days, n_items)
        step = 1 + rng.uniform(-0.08, 0.08, n_items)
        price_path *= np.where(t[None, :] >= when[:, None], step[:, None], 1.0)
    promo_days = int(params["promo_days"])
    starts = rng.random((n_series, n_days)) < float(params["promo_rate"]) / promo_days
    promo = _rolling_any(starts, promo_days)
    discount = rng.uniform(*params["promo_discount"], n_items)[item_of][:, None]
    elasticity = rng.uniform(*params["price_elasticity"], n_items)[item_of][:, None]
    price = np.round(
        list_price[item_of][:, None] * price_path[item_of] * np.where(promo, 1 - discount, 1.0), 2
    )
    uplift = (price / (list_price[item_of][:, None] * price_path[item_of])) ** elasticity

    holidays_table = holiday_dates(country, range(dates.year.min(), dates.year.max() + 1))
    is_holiday = dates.isin(holidays_table.index)
    eve = dates.shift(1, freq="D").isin(holidays_table.index) & ~is_holiday
    holiday_effect = np.where(is_holiday, 1.15, 1.0) * np.where(eve, 1.25, 1.0)

    weather = _weather(rng, dates, float(params["mean_temperature_c"]))
    temp_sensitivity = np.array([CATEGORIES[c]["temp"] for c in category])[item_of][:, None]
    weather_effect = np.exp(
        temp_sensitivity * (weather["temperature_c"].to_numpy() - params["mean_temperature_c"])
    )

    closed_day = np.zeros(n_days, dtype=bool)
    for month, day in CLOSED_HOLIDAYS:
        closed_day |= (dates.month == month) & (dates.day == day)
    store_closed = (rng.random((n_stores, n_days)) < float(params["closure_rate"])) | closed_day
    is_open = ~store_closed[store_of]

    mu = (base[item_of] * store_size[store_of])[:, None] * weekly * season * trend * uplift
    mu = mu * holiday_effect[None, :] * weather_effect * is_open
    dispersion = np.where(slow, float(params["slow_dispersion"]), float(params["fast_dispersion"]))[
        item_of
    ]
    k = np.broadcast_to(dispersion[:, None], mu.shape)
    units = np.where(mu > 0, rng.negative_binomial(k, k / (k + np.maximum(mu, 1e-12))), 0)

    store_ids = stores["store_id"].to_numpy()[store_of]
    item_ids = items["item_id"].to_numpy()[item_of]
    long_index = {
        "date": np.tile(dates.to_numpy(), n_series),
        "store_id": np.repeat(store_ids, n_days),
        "item_id": np.repeat(item_ids, n_days),
    }
    sales = pd.DataFrame(
        {
            **long_index,
            "units_sold": units.ravel(),
            "price": price.ravel(),
            "promo": promo.ravel().astype(int),
            "is_open": is_open.ravel().astype(int),
        }
    )
    true_demand = pd.DataFrame(
        {**long_index, "expected_demand": mu.ravel(), "dispersion": k.ravel()}
    )

    # Stock on hand covers a few days of recent demand; open orders arrive within lead time.
    recent = mu[:, -28:].mean(axis=1)
    lead_of = lead_time[item_of]
    on_order = np.where(rng.random(n_series) < 0.5, np.ceil(recent * lead_of), 0)
    stock_positions = pd.DataFrame(
        {
            "store_id": store_ids,
            "item_id": item_ids,
            "as_of_date": dates[-1],
            "on_hand": np.floor(recent * rng.uniform(1.0, 8.0, n_series)),
            "on_order": on_order,
            "expected_arrival": dates[-1] + pd.to_timedelta(rng.integers(1, lead_of + 1), unit="D"),
        }
    )
    stock_positions.loc[stock_positions["on_order"] == 0, "expected_arrival"] = pd.NaT
    logger.info(
        "Generated %d sales rows: %d stores x %d items x %d days (seed %s)",
        len(sales),
        n_stores,
        n_items,
        n_days,
        params["seed"],
    )
    return {
        "sales": sales,
        "items": items,
        "stores": stores,
        "weather": weather,
        "stock_positions": stock_positions,
        "true_demand": true_demand,
    }


def build_synthetic_panel(
    sales: pd.DataFrame,
    items: pd.DataFrame,
    stores: pd.DataFrame,
    weather: pd.DataFrame,
    country: str = "PE",
    frequency: str = "D",
) -> tuple[pd.DataFrame, pd.DataFrame, SourceSummary]:
    """Units sold per store, item and day, with prices, promotions and weather."""
    dataset = "synthetic sales"
    require_rows(sales, dataset)
    require_columns(sales, SALES_COLUMNS, dataset)
    require_columns(items, ["item_id", "category", "unit_cost", "unit_price"], "synthetic items")
    require_columns(stores, ["store_id"], "synthetic stores")
    require_columns(weather, ["date", "temperature_c", "precipitation_mm"], "synthetic weather")

    store_id = sales["store_id"].astype(str)
    item_id = sales["item_id"].astype(str)
    facts = pd.DataFrame(
        {
            SERIES_ID: store_id + "_" + item_id,
            "store_id": store_id,
            "item_id": item_id,
            DATE: to_dates(sales, "date", dataset),
            DEMAND: to_numeric(sales, "units_sold", dataset),
            "price": to_numeric(sales, "price", dataset),
            "promo": to_numeric(sales, "promo", dataset),
            "is_open": to_numeric(sales, "is_open", dataset),
        }
    )
    facts[IS_CLOSED] = facts["is_open"] == 0
    summary = SourceSummary(
        source="synthetic",
        frequency=frequency,
        unit="units per store-item-day",
        keys=["store_id", "item_id"],
        known_covariates=["price", "promo", "is_open", "is_holiday"],
        past_covariates=["temperature_c", "precipitation_mm"],
        source_files={
            "sales": len(sales),
            "items": len(items),
            "stores": len(stores),
            "weather": len(weather),
        },
        country=country,
        # The generator shuts every store on these days each year: known in advance, so the
        # live forecast is zero on them too.
        inferred={"closures": {"annual": [f"{m:02d}-{d:02d}" for m, d in CLOSED_HOLIDAYS]}},
    )
    panel = assemble_panel(facts, summary, dataset)
    panel["is_holiday"] = is_holiday(panel[DATE], country)
    weather_table = weather[["date", "temperature_c", "precipitation_mm"]].assign(
        date=to_dates(weather, "date", "synthetic weather")
    )
    panel = merge_on_date(panel, weather_table.drop_duplicates(DATE))

    series = panel[[SERIES_ID, "store_id", "item_id"]].drop_duplicates(SERIES_ID)
    attributes = series.merge(stores.astype({"store_id": str}), on="store_id", how="left")
    attributes = attributes.merge(items.astype({"item_id": str}), on="item_id", how="left")
    return order_columns(panel, summary), attributes, summary
