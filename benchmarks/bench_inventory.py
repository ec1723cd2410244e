"""Speed and memory of the inventory mathematics, in-process (no Kedro run around it).

- plan: ``plan_orders`` for 10,000 generated series (the built-in generator's items, stores and
  true demand as a 28-day forecast with quantiles), the default settings;
- backtest: ``run_backtest`` for 1,115 series x 42 days x 4 policies (naive, seasonal_naive,
  ensemble, oracle) on the Rossmann holdout forecasts when the modeling pipeline has written
  them (the newest version in ``data/07_model_output/rossmann/holdout_forecasts.parquet/``),
  else on generated data of the same shape.

Each case runs in its own process; the figures are the wall seconds of the call (best of
``--repeat``) and the process's peak resident memory. Usage:

    python benchmarks/bench_inventory.py                  # both cases
    python benchmarks/bench_inventory.py --cases plan --series 20000
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CONF = PROJECT_ROOT / "conf"
DATA = PROJECT_ROOT / "data"
LEVELS = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)
TARGET_SECONDS = {"plan": 10.0, "backtest": 10.0}
BACKTEST_MODELS = ("seasonal_naive", "ensemble")  # + the naive rule and the oracle: 4 policies


def _inventory_settings(env: str = "base") -> dict:
    path = CONF / env / "parameters_replenishment.yml"
    return yaml.safe_load(path.read_text())["inventory"]


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # Linux: kB


def _nb_quantiles(mean: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Negative binomial quantiles ``(n, levels)`` (0 where the mean is 0)."""
    from scipy import stats

    p = size / (size + np.maximum(mean, 1e-12))
    table = stats.nbinom.ppf(np.array(LEVELS)[None, :], size[:, None], p[:, None])
    return np.where(mean[:, None] > 0, table, 0.0)


def plan_inputs(n_series: int, horizon: int = 28, seed: int = 42):
    """The generator's stores x items (about ``n_series``) with its true demand as forecast."""
    from inventory_optimization.inventory import item_parameters
    from inventory_optimization.sources.synthetic import generate_demand_data

    params = yaml.safe_load((CONF / "base" / "parameters_data_engineering.yml").read_text())
    params = params["synthetic_data"]
    n_items = 100
    params.update(seed=seed, n_days=horizon, n_items=n_items, n_stores=-(-n_series // n_items))
    tables = generate_demand_data(params)
    truth = tables["true_demand"]
    series = truth["store_id"] + "_" + truth["item_id"]
    forecast = pd.DataFrame(
        {
            "series_id": series,
            "store_id": truth["store_id"],
            "item_id": truth["item_id"],
            "date": truth["date"],
            "y_pred": truth["expected_demand"],
        }
    )
    quantiles = _nb_quantiles(truth["expected_demand"].to_numpy(), truth["dispersion"].to_numpy())
    for j, level in enumerate(LEVELS):
        forecast[f"q_{level:g}"] = quantiles[:, j]
    attributes = forecast.drop_duplicates("series_id")[["series_id", "item_id"]].merge(
        tables["items"], on="item_id"
    )
    settings = _inventory_settings()
    items = item_parameters(attributes, settings["defaults"], 1)
    stock = tables["stock_positions"]
    positions = pd.DataFrame(
        {
            "series_id": stock["store_id"] + "_" + stock["item_id"],
            "on_hand": stock["on_hand"].astype(float),
            "on_order": stock["on_order"].astype(float),
        }
    )
    return forecast, items, positions, settings


def bench_plan(n_series: int, repeat: int) -> dict:
    from inventory_optimization.inventory import plan_orders

    forecast, items, positions, settings = plan_inputs(n_series)
    before = _peak_gb()
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        plan = plan_orders(forecast, items, positions, settings, 365.0, 1)
        seconds.append(time.perf_counter() - started)
    return {
        "case": "plan",
        "shape": f"{len(plan):,} series x {forecast['date'].nunique()} days",
        "seconds": min(seconds),
        "peak_gb": _peak_gb(),
        "inputs_gb": before,
        "source": "generated",
    }


def _rossmann_holdout() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None:
    """Holdout forecasts, the 28 days before the origin and the item parameters of the
    pipeline's Rossmann run, when it has written them."""
    holdout_path = DATA / "07_model_output" / "rossmann" / "holdout_forecasts.parquet"
    panel_path = DATA / "03_primary" / "rossmann" / "demand_panel.parquet"
    items_path = DATA / "03_primary" / "rossmann" / "item_parameters.parquet"
    if not (holdout_path.exists() and panel_path.exists() and items_path.exists()):
        return None
    from inventory_optimization.retention import latest_version

    holdout = pd.read_parquet(latest_version(holdout_path))
    holdout = holdout[holdout["model"].isin(BACKTEST_MODELS)]
    holdout = holdout.assign(series_id=holdout["series_id"].astype(str))
    origin = holdout["date"].min() - pd.Timedelta(days=1)
    panel = pd.read_parquet(panel_path, columns=["series_id", "date", "demand"])
    past = panel[(panel["date"] <= origin) & (panel["date"] > origin - pd.Timedelta(days=28))]
    history = past.pivot(index="series_id", columns="date", values="demand")
    history.index = history.index.astype(str)
    items = pd.read_parquet(items_path)
    items = items.assign(series_id=items["series_id"].astype(str))
    return holdout, history.clip(lower=0), items


def _generated_holdout(n_series: int = 1115, days: int = 42, seed: int = 0):
    """Rossmann-shaped holdout: daily store sales in EUR with a weekly profile and Sunday
    closures, and two forecasts of them (a noisier seasonal naive and a sharper ensemble)."""
    from inventory_optimization.inventory import item_parameters

    rng = np.random.default_rng(seed)
    dates = pd.date_range("2015-06-20", periods=days)
    weekly = np.array([1.2, 1.05, 1.0, 1.0, 1.05, 0.9, 0.0])[dates.dayofweek]
    level = rng.lognormal(np.log(6000), 0.4, n_series)[:, None]
    mean = level * weekly[None, :]
    actual = np.maximum(rng.normal(mean, 0.15 * mean), 0.0)
    history = pd.DataFrame(
        np.maximum(rng.normal(np.tile(mean[:, :7], 4), 0.15 * np.tile(mean[:, :7], 4)), 0),
        index=[str(i + 1) for i in range(n_series)],
        columns=pd.date_range(end=dates[0] - pd.Timedelta(days=1), periods=28),
    )
    z = np.array([-1.645, -1.2816, -0.6745, 0.0, 0.6745, 1.2816, 1.645, 2.3263])
    frames = []
    for model, bias_sd, spread in (("seasonal_naive", 0.12, 0.25), ("ensemble", 0.05, 0.15)):
        center = mean * rng.lognormal(0.0, bias_sd, mean.shape)
        frame = pd.DataFrame(
            {
                "series_id": np.repeat([str(i + 1) for i in range(n_series)], days),
                "model": model,
                "date": np.tile(dates, n_series),
                "y_true": actual.ravel(),
                "y_pred": center.ravel(),
            }
        )
        for level_, score in zip(LEVELS, z, strict=True):
            frame[f"q_{level_:g}"] = np.maximum(center * (1 + spread * score), 0.0).ravel()
        frames.append(frame)
    settings = _inventory_settings("rossmann")
    attributes = pd.DataFrame({"series_id": history.index})
    items = item_parameters(attributes, settings["defaults"], 1)
    return pd.concat(frames, ignore_index=True), history, items


def bench_backtest(repeat: int, generated: bool) -> dict:
    from inventory_optimization.inventory import run_backtest

    found = None if generated else _rossmann_holdout()
    source = "rossmann holdout" if found is not None else "generated (Rossmann-shaped)"
    holdout, history, items = found if found is not None else _generated_holdout()
    settings = _inventory_settings("rossmann")
    before = _peak_gb()
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        table, trajectories = run_backtest(holdout, history, items, settings, 365.0)
        seconds.append(time.perf_counter() - started)
    n_series = holdout["series_id"].nunique()
    total = table[table["series_id"] == "ALL"].set_index("policy")
    return {
        "case": "backtest",
        "shape": (
            f"{n_series:,} series x {holdout['date'].nunique()} days x "
            f"{table['policy'].nunique()} policies"
        ),
        "seconds": min(seconds),
        "peak_gb": _peak_gb(),
        "inputs_gb": before,
        "source": source,
        "policies": total[["total_cost", "fill_rate", "cycle_service_level"]].to_dict("index"),
    }


def _child(case: str, options: dict, queue: multiprocessing.Queue) -> None:
    if case == "plan":
        queue.put(bench_plan(options["series"], options["repeat"]))
    else:
        queue.put(bench_backtest(options["repeat"], options["generated"]))


def run_case(case: str, options: dict) -> dict:
    """One case in a fresh process, so its peak memory is its own."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(case, options, queue))
    process.start()
    result = queue.get()
    process.join()
    if process.exitcode:
        raise SystemExit(f"{case} benchmark failed (exit code {process.exitcode})")
    return result


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=["plan", "backtest"])
    parser.add_argument("--series", type=int, default=10_000, help="series to plan")
    parser.add_argument("--repeat", type=int, default=3, help="timed calls; the best is shown")
    parser.add_argument(
        "--generated", action="store_true", help="backtest on generated data even if found"
    )
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args(argv)
    options = {"series": args.series, "repeat": args.repeat, "generated": args.generated}

    print(f"{'inventory':<10} {'shape':<38} {'seconds':>8} {'peak GB':>8}  target  (source)")
    results = []
    for case in args.cases:
        result = run_case(case, options)
        results.append(result)
        target = TARGET_SECONDS[case]
        verdict = f"<= {target:g} s " + ("ok" if result["seconds"] <= target else "MISSED")
        print(
            f"{case:<10} {result['shape']:<38} {result['seconds']:>8.2f} "
            f"{result['peak_gb']:>8.2f}  {verdict}  ({result['source']})"
        )
    if args.json:
        print(json.dumps(results, indent=2, default=float))
    return results


if __name__ == "__main__":
    main()
