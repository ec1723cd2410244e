"""End-to-end on the real Walmart files: data engineering, then feature engineering, through the
Kedro CLI; the model input and its catalog checked as a whole."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from inventory_optimization.features import feature_columns
from tests.conftest import PROJECT_ROOT, run_kedro, shared_dataset

pytestmark = pytest.mark.real_data


@pytest.fixture(scope="module")
def walmart() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    raw_dir = shared_dataset("walmart")
    run_kedro(
        "run",
        "--env",
        "walmart",
        "--pipelines",
        "data_engineering",
        "--params",
        f"raw_dir={raw_dir}",
    )
    run_kedro("run", "--env", "walmart", "--pipelines", "feature_engineering")
    model_input = pd.read_parquet(
        PROJECT_ROOT / "data" / "05_model_input" / "walmart" / "model_input.parquet"
    )
    catalog = pd.read_csv(
        PROJECT_ROOT / "data" / "08_reporting" / "walmart" / "feature_catalog.csv"
    )
    panel = pd.read_parquet(
        PROJECT_ROOT / "data" / "03_primary" / "walmart" / "demand_panel.parquet",
        columns=["series_id", "date"],
    )
    return model_input, catalog, panel


def _features(model_input: pd.DataFrame) -> list[str]:
    return [c for c in feature_columns(model_input) if c not in ("store_id", "dept_id")]


def test_walmart_model_input(walmart):
    model_input, catalog, panel = walmart
    features = _features(model_input)
    assert len(model_input) > 1_000_000
    assert len(features) > 60
    # Every series still alive at the first target date has rows; no other one does.
    first_target = model_input["origin"].min() + pd.Timedelta(weeks=1)
    last_date = panel.groupby("series_id")["date"].max()
    alive = set(last_date.index[last_date >= first_target])
    assert len(alive) > 3000
    assert set(model_input["series_id"].unique()) == alive

    # One row per (series, origin, horizon); target date = origin + horizon weeks (W-FRI).
    assert not model_input.duplicated(["series_id", "origin", "horizon"]).any()
    weeks = (model_input["date"] - model_input["origin"]) / pd.Timedelta(weeks=1)
    assert (weeks == model_input["horizon"]).all()
    assert model_input["horizon"].between(1, 13).all()
    assert (model_input["date"].dt.day_of_week == 4).all()
    origins = pd.DatetimeIndex(sorted(model_input["origin"].unique()))
    assert origins[-1] == pd.Timestamp("2012-10-26")  # the live origin: the panel's end
    for fold in ("2012-07-27", "2012-04-27", "2012-01-27", "2011-10-28"):
        assert pd.Timestamp(fold) in origins
    live = model_input[model_input["origin"] == origins[-1]]
    assert live["demand"].isna().all()
    assert model_input.loc[model_input["date"] <= "2012-10-26", "demand"].notna().all()

    values = model_input[features].to_numpy(dtype="float64")
    assert not np.isinf(values).any()

    counts = catalog["name"].value_counts()
    assert counts.max() == 1
    assert sorted(catalog["name"]) == sorted(features)
    assert set(catalog["availability"]) == {"known_in_advance", "past_only", "static"}
    assert (catalog["frequency"] == "W-FRI").all()


def test_walmart_catalog_covers_feature_columns(walmart):
    model_input, catalog, _ = walmart
    missing = set(feature_columns(model_input)) - set(catalog["name"])
    assert missing == set()
