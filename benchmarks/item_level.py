"""Accuracy and money on item-level demand (mostly zero days), the figures of the README's
"Item-level demand" table: a generated store x item export (``sources/item_export.py``: 300
series, 80 % of the days without a sale), or the London takeaway, run through ``--env custom``
as a user would, then the holdout's leaderboard, tails and backtest totals printed.

    python benchmarks/item_level.py                  # the generated export
    python benchmarks/item_level.py --takeaway       # ../shared/data/takeaway_london
    python benchmarks/item_level.py --no-run         # print the figures of the last run
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SHARED_DATA_DIR", PROJECT_ROOT.parent / "shared" / "data"))
GENERATED_ORIGIN = "2024-06-01"


def run(params: dict[str, str]) -> float:
    kedro = Path(sys.executable).with_name("kedro")
    arguments = ",".join(f"{k}={v}" for k, v in params.items())
    started = time.perf_counter()
    subprocess.run(
        [str(kedro), "run", "--env", "custom", "--params", arguments],
        cwd=PROJECT_ROOT,
        env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"},
        check=True,
    )
    return time.perf_counter() - started


def figures() -> None:
    from inventory_optimization.retention import latest_version

    reporting = PROJECT_ROOT / "data" / "08_reporting" / "custom"
    output = PROJECT_ROOT / "data" / "07_model_output" / "custom"
    board = pd.read_csv(latest_version(reporting / "model_leaderboard.csv"))
    holdout = pd.read_parquet(latest_version(output / "holdout_forecasts.parquet"))
    scored = holdout[holdout["scored"]]
    tails = scored.groupby("model").apply(
        lambda g: pd.Series(
            {
                "below_q_0.1": np.mean(g["y_true"] < g["q_0.1"]),
                "above_q_0.9": np.mean(g["y_true"] > g["q_0.9"]),
            }
        ),
        include_groups=False,
    )
    interval = ["coverage_80", "below_80", "above_80"]
    columns = ["model", "metric", "score", "rmsse", "wape", "bias", *interval]
    table = board[columns].merge(tails, left_on="model", right_index=True, how="left")
    zeros = float((scored.loc[scored["model"] == "ensemble", "y_true"] == 0).mean())
    print(
        f"holdout rows scored per model: {int((scored['model'] == 'ensemble').sum())}, "
        f"zero share {zeros:.3f}"
    )
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    class_weights_effect(board)
    backtest = pd.read_csv(latest_version(reporting / "policy_backtest.csv"))
    totals = backtest[backtest["series_id"] == "ALL"].set_index("policy")
    keep = ["total_cost", "fill_rate", "demand", "units_purchased", "end_on_hand"]
    print(totals.loc[["naive", "seasonal_naive", "croston", "ensemble", "oracle"], keep])
    rule, ensemble = totals.loc["naive", "total_cost"], totals.loc["ensemble", "total_cost"]
    print(f"ensemble vs rule: {100 * (ensemble / rule - 1):+.1f} %")


def class_weights_effect(board: pd.DataFrame) -> None:
    """The holdout headline of the ensemble with its per-class weights (the run's) and with the
    run's overall weights only, re-blended from the saved per-model holdout predictions."""
    import json

    from inventory_optimization.datasets import ModelingSetupDataset
    from inventory_optimization.models.cv import scored
    from inventory_optimization.models.training import combine
    from inventory_optimization.retention import latest_version

    data = PROJECT_ROOT / "data"
    setup = ModelingSetupDataset(filepath=str(data / "06_models/custom/modeling_setup.json")).load()
    models = data / "06_models" / "custom"
    weights = json.loads(latest_version(models / "ensemble_weights.json").read_text())
    own = json.loads(latest_version(models / "ensemble_class_weights.json").read_text())
    rows = pd.read_parquet(data / "05_model_input/custom/model_input.parquet")
    panel = pd.read_parquet(data / "03_primary/custom/demand_panel.parquet")
    output = data / "07_model_output" / "custom"
    frames = [pd.read_parquet(output / m / "holdout_predictions.parquet") for m in weights]
    scales = setup.scales(panel, setup.holdout_origin)

    def headline(class_weights: dict) -> float:
        blended = combine(frames, weights, rows, setup, class_weights)
        judged = rows.iloc[blended["row"].to_numpy()]
        keep = scored(judged, setup.scoring).to_numpy()
        return setup.score(judged[keep], blended["pred"].to_numpy()[keep], scales)

    reported = float(board.set_index("model").loc["ensemble", "score"])
    print(
        f"ensemble {setup.metric}: {headline(own):.4f} with its weights per demand class "
        f"({', '.join(own) or 'none'}; leaderboard {reported:.4f}), {headline({}):.4f} with "
        f"the overall weights only"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--takeaway", action="store_true", help="the London takeaway export")
    parser.add_argument("--no-run", action="store_true", help="only print the last run's figures")
    args = parser.parse_args()
    if not args.no_run:
        if args.takeaway:
            seconds = run({"raw_dir": str(SHARED_DATA / "takeaway_london")})
        else:
            from inventory_optimization.sources.item_export import (
                MAPPING_PARAMS,
                generate_item_export,
            )

            folder = Path(tempfile.mkdtemp(prefix="item_export_"))
            lines, _ = generate_item_export()
            lines.to_csv(folder / "orders.csv", index=False)
            params = {"raw_dir": str(folder), **MAPPING_PARAMS, "protocol.origin": GENERATED_ORIGIN}
            seconds = run(params)
        print(f"kedro run --env custom: {seconds:.0f} s")
    figures()


if __name__ == "__main__":
    main()
