"""Speed and memory of the pipelines on the built-in data and on each real dataset.

Each run is a fresh `kedro run` process, as a scheduler would start it; the figures are its
wall seconds and peak resident memory. Usage:

    python benchmarks/run_benchmarks.py                      # every pipeline and dataset
    python benchmarks/run_benchmarks.py --pipelines data_engineering --envs rossmann
    python benchmarks/run_benchmarks.py --pipelines inventory_speed   # bench_inventory.py
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SHARED_DATA_DIR", PROJECT_ROOT.parent / "shared" / "data"))
ENVS = {"base": None, "rossmann": "rossmann", "walmart": "walmart", "recruit": "recruit"}
PIPELINES = ["data_engineering", "feature_engineering", "modeling"]
# In-process figures of the inventory mathematics (plan 10,000 series, backtest Rossmann).
INVENTORY_SPEED = "inventory_speed"
# "all" is a plain `kedro run`: every pipeline, end to end.
# Targets on a 2-core machine: (seconds, GB) per pipeline and dataset.
TARGETS = {
    ("data_engineering", "rossmann"): (30, 2.0),
    ("data_engineering", "base"): (10, None),
    ("feature_engineering", "rossmann"): (30, 4.0),
    ("all", "base"): (180, None),
    ("all", "rossmann"): (20 * 60, 8.0),
}
CORE_FEATURES_TARGET = 1_000_000  # rows/s for lag, rolling and calendar features

# Runs the Kedro CLI in this interpreter and reports its own peak memory on exit.
RUNNER = (
    "import atexit, resource, sys\n"
    "atexit.register(lambda: print(f'PEAK_RSS_KB={resource.getrusage(resource.RUSAGE_SELF)"
    ".ru_maxrss}', file=sys.stderr))\n"
    "from kedro.framework.cli import main\n"
    "sys.argv = ['kedro', *sys.argv[1:]]\n"
    "main()\n"
)


def run_once(pipeline: str, env: str) -> tuple[float, float]:
    args = ["run"] if pipeline == "all" else ["run", "--pipelines", pipeline]
    if ENVS[env]:
        args += ["--env", env, "--params", f"raw_dir={SHARED_DATA / ENVS[env]}"]
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", RUNNER, *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"kedro {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    peak_kb = int(re.findall(r"PEAK_RSS_KB=(\d+)", result.stderr)[-1])
    return seconds, peak_kb / 1024**2


def feature_throughput(env: str) -> tuple[int, int, float, float, float]:
    """In-process timing of the feature build on the panel the pipeline wrote: transforms fit,
    full build, and lag/rolling/calendar features alone. Returns rows and seconds."""
    import dataclasses
    import json

    import pandas as pd
    from kedro.config import OmegaConfigLoader

    from inventory_optimization.features import (
        build_model_input,
        fit_transforms,
        fold_origins,
        forecast_origins,
    )
    from inventory_optimization.pipelines.feature_engineering.nodes import _frequency_block

    dataset = ENVS[env] or "synthetic"
    primary = PROJECT_ROOT / "data" / "03_primary" / dataset
    panel = pd.read_parquet(primary / "demand_panel.parquet")
    attributes = pd.read_parquet(primary / "series_attributes.parquet")
    metadata = json.loads((primary / "panel_metadata.json").read_text())
    loader = OmegaConfigLoader(
        str(PROJECT_ROOT / "conf"),
        base_env="base",
        default_run_env=env if ENVS[env] else "local",
        runtime_params={"raw_dir": str(SHARED_DATA / dataset)},
    )
    params = loader["parameters"]
    frequency = metadata["frequency"]
    settings = _frequency_block(params["features"], frequency)
    protocol, cv = params["protocol"], params["cross_validation"]
    folds = fold_origins(protocol["origin"], frequency, cv["n_folds"], cv["step"])
    origins = forecast_origins(
        panel["date"].max(),
        pd.Timestamp(protocol["origin"]),
        frequency,
        settings["origins"]["step"],
        settings["origins"]["count"],
        folds,
    )
    started = time.perf_counter()
    transforms = fit_transforms(
        panel, attributes, min(folds), frequency, settings["stl_period"], settings["stl_history"]
    )
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    model_input, _ = build_model_input(
        panel, attributes, metadata, transforms, origins, protocol["horizon"], settings
    )
    full_seconds = time.perf_counter() - started
    core = {
        **settings,
        "ewm_halflives": [],
        "diff_lags": [],
        "scaled": False,
        "interactions": [],
        "rolling_stats": ["mean", "std", "min", "max", "median"],
    }
    core_metadata = {**metadata, "known_covariates": [], "past_covariates": []}
    started = time.perf_counter()
    bare = dataclasses.replace(transforms, encoders={}, numeric_attributes=[])
    build_model_input(panel, attributes, core_metadata, bare, origins, protocol["horizon"], core)
    core_seconds = time.perf_counter() - started
    return len(panel), len(model_input), fit_seconds, full_seconds, core_seconds


def print_leaderboard(env: str) -> None:
    """The run's leaderboard: the headline metric per model and its seconds."""
    import pandas as pd

    from inventory_optimization.retention import latest_version

    dataset = ENVS[env] or "synthetic"
    path = PROJECT_ROOT / "data" / "08_reporting" / dataset / "model_leaderboard.csv"
    board = pd.read_csv(latest_version(path))[
        ["model", "metric", "score", "wape", "coverage_80", "fit_seconds", "predict_seconds"]
    ]
    print(
        "    "
        + board.to_string(index=False, float_format=lambda v: f"{v:.4f}").replace("\n", "\n    ")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pipelines", nargs="+", default=PIPELINES, choices=[*PIPELINES, "all", INVENTORY_SPEED]
    )
    parser.add_argument("--envs", nargs="+", default=list(ENVS), choices=list(ENVS))
    options = parser.parse_args()

    if INVENTORY_SPEED in options.pipelines:
        script = Path(__file__).with_name("bench_inventory.py")
        subprocess.run([sys.executable, str(script)], cwd=PROJECT_ROOT, check=True)
        print()
    kedro_pipelines = [p for p in options.pipelines if p != INVENTORY_SPEED]
    if kedro_pipelines:
        print(f"{'pipeline':<20} {'dataset':<10} {'seconds':>8} {'peak GB':>8}  target")
    for pipeline in kedro_pipelines:
        for env in options.envs:
            if ENVS[env] and not (SHARED_DATA / ENVS[env]).is_dir():
                print(
                    f"{pipeline:<20} {env:<10} {'skipped: no ' + str(SHARED_DATA / ENVS[env]):>20}"
                )
                continue
            seconds, peak_gb = run_once(pipeline, env)
            target = TARGETS.get((pipeline, env))
            verdict = ""
            if target:
                max_s, max_gb = target
                ok = seconds <= max_s and (max_gb is None or peak_gb <= max_gb)
                verdict = f"<= {max_s} s" + (f", <= {max_gb} GB" if max_gb else "")
                verdict += " ok" if ok else " MISSED"
            print(f"{pipeline:<20} {env:<10} {seconds:>8.1f} {peak_gb:>8.2f}  {verdict}")
            if pipeline in ("modeling", "all"):
                print_leaderboard(env)

    if "feature_engineering" in options.pipelines:
        print(
            f"\n{'features in-process':<20} {'dataset':<10} {'panel rows':>10} {'out rows':>10} "
            f"{'fit s':>6} {'build s':>7} {'rows/s':>10} {'core rows/s':>11}"
        )
        for env in options.envs:
            if ENVS[env] and not (SHARED_DATA / ENVS[env]).is_dir():
                continue
            panel_rows, rows, fit_s, full_s, core_s = feature_throughput(env)
            core_rate = rows / core_s
            flag = "ok" if core_rate >= CORE_FEATURES_TARGET else "MISSED"
            print(
                f"{'':<20} {env:<10} {panel_rows:>10,} {rows:>10,} {fit_s:>6.1f} {full_s:>7.1f} "
                f"{rows / full_s:>10,.0f} {core_rate:>11,.0f}  >= 1 M rows/s {flag}"
            )


if __name__ == "__main__":
    main()
