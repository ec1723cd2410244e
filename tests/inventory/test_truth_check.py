"""Policies against the truth: the built-in generator knows every observation's demand
distribution (negative binomial with mean ``expected_demand`` and size ``dispersion``), so a
policy computed from the true quantiles must achieve its cycle service level, and one computed
from a forecast estimated on a finite history must cost about as much.

Cycle service level as ``kpis.backtest_kpis`` counts it: the share of replenishment cycles (the
periods from one review's order arriving to the next one's, cycle 0 before the first arrival
excluded) without a period of unmet demand. For the (R, S) policy with backorders that is
``P(D(L + R) <= S)``, exactly the quantile the policy sets S to; with lost sales, demand lost
before an order lands does not deplete the stock it brings, so the share can only be higher.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from inventory_optimization.inventory import (
    backtest_kpis,
    item_parameters,
    run_backtest,
    simulate,
    total_row,
)
from inventory_optimization.inventory.replenishment import order_up_to_levels
from inventory_optimization.sources.synthetic import generate_demand_data

CONF = Path(__file__).resolve().parents[2] / "conf" / "base"
LEVELS = np.array([0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99])  # the forecasts' levels
HISTORY_DAYS = 91  # what the estimated forecast learns from
BACKTEST_DAYS = 142  # 20 weekly cycles after the longest lead time
COST_DAYS = 70  # the cost comparison's backtest: the first 10 weeks of that window
N_SAMPLES, SEED = 400, 42  # the pipeline's Monte Carlo settings


def _nb_quantiles(mean: np.ndarray, size: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Quantiles ``(..., levels)`` of the negative binomial the generator draws from."""
    p = size / (size + np.maximum(mean, 1e-12))
    table = stats.nbinom.ppf(levels, size[..., None], p[..., None])
    return np.where(mean[..., None] > 0, table, 0.0)


def _epoch_levels(cube, levels, items, service) -> np.ndarray:
    """Order-up-to levels ``(series, periods)`` recomputed at every review epoch from the
    distribution of the periods ahead, as the backtest does; held between epochs."""
    n_series, n_periods = cube.shape[:2]
    review = items["review_period"].to_numpy().astype(int)
    out = np.full((n_series, n_periods), np.nan)
    for start in range(n_periods):
        due = start % review == 0
        if due.any():
            plan = order_up_to_levels(
                cube[due, start:],
                levels,
                items[due].reset_index(drop=True),
                service[due],
                N_SAMPLES,
                SEED,
            )
            out[due, start] = plan["order_up_to"].to_numpy()
    return pd.DataFrame(out).ffill(axis=1).to_numpy()


def _cycle_service_level(out: dict[str, np.ndarray], rows: np.ndarray | None = None) -> float:
    kpis = backtest_kpis(out, 1.0, 2.0, 0.0, 0.0)
    kpis = kpis if rows is None else kpis[rows]
    return float(total_row(kpis)["cycle_service_level"].iloc[0])


def builtin_data(n_stores: int = 30, n_items: int = 20, seed: int | None = None) -> dict:
    """The built-in generator at its documented settings (``n_stores x n_items`` series): a
    history, then a backtest window with the true quantiles of every day."""
    params = yaml.safe_load((CONF / "parameters_data_engineering.yml").read_text())
    params = params["synthetic_data"]
    params.update(n_stores=n_stores, n_items=n_items, n_days=HISTORY_DAYS + BACKTEST_DAYS)
    if seed is not None:
        params["seed"] = seed
    tables = generate_demand_data(params)
    truth = tables["true_demand"].merge(
        tables["sales"][["date", "store_id", "item_id", "units_sold"]],
        on=["date", "store_id", "item_id"],
        validate="one_to_one",
    )
    truth["series_id"] = truth["store_id"] + "_" + truth["item_id"]
    truth = truth.sort_values(["series_id", "date"], kind="stable").reset_index(drop=True)
    series = truth["series_id"].unique()
    shape = (len(series), HISTORY_DAYS + BACKTEST_DAYS)

    def matrix(column: str) -> np.ndarray:
        return truth[column].to_numpy(dtype=float).reshape(shape)

    attributes = pd.DataFrame({"series_id": series, "item_id": [s.split("_")[1] for s in series]})
    attributes = attributes.merge(tables["items"], on="item_id", validate="many_to_one")
    mean, size = matrix("expected_demand"), matrix("dispersion")
    return {
        "truth": truth,
        "series": series,
        "mean": mean,
        "size": size,
        "demand": matrix("units_sold"),
        "true_quantiles": _nb_quantiles(mean[:, HISTORY_DAYS:], size[:, HISTORY_DAYS:], LEVELS),
        "attributes": attributes,
        "slow": attributes["is_slow_mover"].to_numpy(),
        "inventory": yaml.safe_load((CONF / "parameters_replenishment.yml").read_text())[
            "inventory"
        ],
    }


@pytest.fixture(scope="module")
def builtin() -> dict:
    return builtin_data()


def test_order_up_to_is_aligned_with_lead_time_and_review_on_continuous_demand():
    """The timing (an order at t covers t .. t + L + R - 1), the epochs and the cycle count
    agree with the theory to within sampling error where the theory is exact: continuous
    (gamma) demand with a weekly pattern, its exact quantiles at 21 levels, no rounding; half
    the series at a 0.90 target, half at 0.95.

    Tolerance: 150 series per target x 17 to 60 cycles, ~4,500 cycles: a binomial standard
    error of 0.45 points at 0.90 (0.33 at 0.95); the 400-draw Monte Carlo quantiles add noise
    per series that averages out over the series; the interpolation between 21 levels biases
    the levels up by a few tenths of a point (achieved: 0.904 and 0.956). A cover window one
    period short, or orders landing one period late, drop the share by 15 to 23 points, one
    period long raises it by 4 to 7: +-1.5 points separate aligned from misaligned.
    """
    rng = np.random.default_rng(3)
    n_series, n_periods, shape = 300, 120, 4.0
    levels = np.concatenate([np.arange(1, 20) / 20, [0.99, 0.995]])
    targets = np.where(np.arange(n_series) % 2 == 0, 0.90, 0.95)
    lead = rng.integers(0, 9, n_series)
    review = rng.choice([2, 3, 7], n_series)
    weekly = 1 + 0.3 * np.sin(2 * np.pi * np.arange(n_periods) / 7)
    mean = rng.uniform(2, 30, (n_series, 1)) * weekly
    cube = stats.gamma.ppf(levels, shape, scale=mean[..., None] / shape)
    demand = rng.gamma(shape, mean / shape)
    items = pd.DataFrame({"lead_time": lead, "review_period": review, "is_perishable": False})
    order_up_to = _epoch_levels(cube, levels, items, targets)
    # Case packs of 1e-9: orders of any size, so the level is what the stock is raised to.
    out = simulate(demand, order_up_to, lead, review, case_pack=1e-9, backorder=True)
    for target in (0.90, 0.95):
        achieved = _cycle_service_level(out, targets == target)
        assert achieved == pytest.approx(target, abs=0.015)


def true_policy_service(builtin: dict, target: float) -> dict[str, float]:
    """(R, S) from the true quantiles of the built-in data at ``target``, simulated against
    the generator's demand: the cycle service level of all, fast and slow series with
    backorders, and of all series with lost sales."""
    items = item_parameters(
        builtin["attributes"].assign(case_pack=1, min_order_qty=0, shelf_life_days=np.nan),
        builtin["inventory"]["defaults"],
        1,
    )
    n_series = len(items)
    items["review_period"] = np.where(np.arange(n_series) % 3 == 0, 3.0, 7.0)
    lead = items["lead_time"].to_numpy().astype(int)
    review = items["review_period"].to_numpy().astype(int)
    cube = builtin["true_quantiles"]
    order_up_to = _epoch_levels(cube, LEVELS, items, np.full(n_series, target))
    demand = builtin["demand"][:, HISTORY_DAYS:]
    backordered = simulate(demand, order_up_to, lead, review, backorder=True)
    lost = simulate(demand, order_up_to, lead, review, backorder=False)
    return {
        "all": _cycle_service_level(backordered),
        "fast": _cycle_service_level(backordered, ~builtin["slow"]),
        "slow": _cycle_service_level(backordered, builtin["slow"]),
        "lost_sales": _cycle_service_level(lost),
        "cycles": float(backtest_kpis(backordered, 1.0, 2.0, 0.0, 0.0)["cycles"].sum()),
    }


@pytest.mark.parametrize("target", [0.90, 0.95])
def test_true_distribution_policy_achieves_its_cycle_service_level(builtin, target):
    """(R, S) from the true quantiles of the built-in data, simulated against demand drawn
    from that truth: the achieved cycle service level within 2 points of the target.

    Items are stocked ones ordered in single units (no case pack, MOQ or shelf life: packs
    and MOQs only add stock, perishables follow the newsvendor, not a service target); lead
    times are the generator's (1 to 9 days), reviews every 3 days for a third of the series,
    weekly for the rest.

    Tolerance: 600 series x 19 to 46 cycles = ~17,000 cycles, ~13,000 of fast movers: a
    binomial standard error of 0.3 points at 0.90 (0.2 at 0.95); Monte Carlo noise of the
    levels averages out over the series. Known upward offsets, all of them "more stock": whole
    units (an order rounds the need up: +0.4 point at 0.90), the piecewise-linear quantile
    function between 8 levels of a right-skewed distribution (+0.8), and count demand, whose
    CDF only steps at integers: small for fast movers, 2 to 4 points for the slow movers whose
    cover demand is a handful of units. Achieved with backorders (seeds 0, 1, 2, 42): fast
    movers +1.1 to +1.7 points at 0.90 and +0.3 to +1.0 at 0.95; all series +1.5 to +2.0 at
    0.90 (+2.3 with other review mixes) and +0.5 to +1.1 at 0.95; with lost sales +3.1 to
    +3.4 at 0.90. So fast movers, and every series at 0.95, must be within +-2 points; slow
    movers may only over-achieve; lost sales may only add service.
    """
    achieved = true_policy_service(builtin, target)
    assert achieved["fast"] == pytest.approx(target, abs=0.02)
    if target >= 0.95:
        assert achieved["all"] == pytest.approx(target, abs=0.02)
    assert achieved["slow"] >= target - 0.02
    assert achieved["lost_sales"] >= achieved["all"] - 0.002


def _estimated_quantiles(builtin: dict, days: int) -> np.ndarray:
    """A forecast of the ``days`` after the history, learnt from the history only: the
    demand's shape over time is known (the true expected demand up to a factor), each series'
    level and negative binomial size are estimated from its ``HISTORY_DAYS`` days of sales
    (ratio and moment estimators)."""
    past = slice(None, HISTORY_DAYS)
    sales, mean = builtin["demand"][:, past], builtin["mean"][:, past]
    level = sales.sum(axis=1) / np.maximum(mean.sum(axis=1), 1e-9)
    fitted = mean * level[:, None]
    # E[(y - m)^2 - m] = m^2 / size
    inverse_size = ((sales - fitted) ** 2 - fitted).sum(axis=1) / np.maximum(
        (fitted**2).sum(axis=1), 1e-9
    )
    size = 1 / np.clip(inverse_size, 1e-3, None)
    future = builtin["mean"][:, HISTORY_DAYS : HISTORY_DAYS + days] * level[:, None]
    return _nb_quantiles(future, np.broadcast_to(size[:, None], future.shape), LEVELS)


def policy_costs(builtin: dict, days: int = COST_DAYS) -> pd.DataFrame:
    """The pipeline's backtest over ``days`` (its items: packs, MOQs, perishables; its
    settings: lost sales, cost-optimal service targets) with two 'models': the true quantiles
    and quantiles estimated from the history. The ``ALL`` row per policy."""
    truth = builtin["truth"]
    dates = truth["date"].unique()
    origin = dates[HISTORY_DAYS - 1]
    future = truth[(truth["date"] > origin) & (truth["date"] <= dates[HISTORY_DAYS + days - 1])]
    frame = future[["series_id", "store_id", "date"]].assign(
        y_true=future["units_sold"].astype(float)
    )
    models = []
    for model, table in (
        ("truth", builtin["true_quantiles"][:, :days]),
        ("estimated", _estimated_quantiles(builtin, days)),
    ):
        quantiles = pd.DataFrame(
            table.reshape(-1, len(LEVELS)),
            columns=[f"q_{level:g}" for level in LEVELS],
            index=frame.index,
        )
        models.append(pd.concat([frame.assign(model=model), quantiles], axis=1))
    settings = builtin["inventory"]
    items = item_parameters(builtin["attributes"], settings["defaults"], 1)
    history = truth[truth["date"] <= origin].pivot(
        index="series_id", columns="date", values="units_sold"
    )
    history = history.iloc[:, -int(settings["naive"]["window"]) :].astype(float)
    table, _ = run_backtest(pd.concat(models, ignore_index=True), history, items, settings, 365.0)
    total = table[table["series_id"] == "ALL"].set_index("policy")
    total["controllable_cost"] = total["total_cost"] - total["ordering_cost"]
    return total


def test_forecast_policy_costs_within_five_percent_of_the_true_distribution_policy(builtin):
    """The estimated forecast's policy costs within 5 % of the true distribution's in the
    pipeline's backtest: in total, and without the ordering costs (which barely depend on
    the forecast, so they would flatter the comparison).

    Tolerance: over 600 series and 10 weeks, every policy starting from the same stock and
    the ending stock valued as ``kpis`` says, the two policies' costs differ by -1.8 to +1.6 %
    in total and -2.7 to +2.1 % without ordering (seeds 0, 1, 2, 42), while the truth scaled
    up by 10 % costs 2.1 to 9.5 % (total) and 2.4 to 11.6 % (without ordering) more, and
    scaled down by 10 % between 5 % less and 4 % more (the perishables' rule orders more
    than the cost optimum at the truth). (Measured with each policy starting from its own
    first level and the ending stock at cost, the figures were -0.4 to +1.7 %, +8 to +9.5 %
    and -5 to -6 %.) 5 % is the issue's target, not a bound that cannot fail, nor one that
    a 10 % bias always breaks.
    """
    total = policy_costs(builtin)
    for cost in ("total_cost", "controllable_cost"):
        assert total.loc["estimated", cost] == pytest.approx(total.loc["truth", cost], rel=0.05)
