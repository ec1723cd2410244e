"""The model registry: training runs tracked in MLflow (SQLite in a temporary project
folder), bundles registered as demand_forecaster_<dataset>, the champion alias moved only by
a better score on the same window or by hand, and the champion loaded for the daily run."""

from __future__ import annotations

import dataclasses
import os

import pandas as pd
import pytest
from kedro.io import DatasetError

from inventory_optimization.datasets import ChampionBundleDataset, ForecasterRegistrationDataset
from inventory_optimization.registry import (
    ForecasterRegistry,
    Registration,
    RegistryError,
    decide,
    training_registration,
)


@pytest.fixture
def store(tmp_path):
    """An empty MLflow store in a throwaway project folder (relative paths, as the catalog)."""
    here = os.getcwd()
    os.chdir(tmp_path)
    yield {"dataset": "synthetic", "tracking_uri": "sqlite:///mlruns.db", "artifact_root": "art"}
    os.chdir(here)


def _registration(run, data, champion=None) -> Registration:
    card = {"models": {name: {"parameters": params} for name, params in run.params.items()}}
    return training_registration(
        run.bundle,
        champion,
        data.panel,
        data.attributes,
        data.metadata,
        data.setup,
        run.leaderboard,
        card,
        data.catalog,
    )


def test_the_first_bundle_becomes_champion_and_loads_back(store, data, run):
    registration = _registration(run, data)
    assert registration.decision.promote
    assert registration.decision.reason == "no champion registered yet"
    assert registration.metrics["ensemble.score"] == pytest.approx(
        float(run.leaderboard.set_index("model").loc["ensemble", "score"])
    )
    ForecasterRegistrationDataset(**store).save(registration)
    champion = ChampionBundleDataset(**store).load()
    assert champion.registered_version == "1"
    pd.testing.assert_frame_equal(
        champion.predict(data.panel, data.attributes), run.demand_forecast, check_dtype=False
    )
    versions = ForecasterRegistrationDataset(**store).load()
    assert versions[["version", "aliases", "metric"]].values.tolist() == [["1", "champion", "wape"]]
    assert versions.loc[0, "trained_until"] == "2023-10-28"
    registry = ForecasterRegistry(**store)
    run_record = registry._client().get_run(versions.loc[0, "run_id"])
    assert run_record.data.params["metric"] == "wape"
    assert "xgboost.parameters" in run_record.data.params
    assert "ensemble.wape" in run_record.data.metrics
    artifacts = {a.path for a in registry._client().list_artifacts(versions.loc[0, "run_id"])}
    assert {
        "bundle",
        "model_card.json",
        "model_leaderboard.csv",
        "feature_catalog.csv",
    } <= artifacts


def test_a_bundle_that_does_not_beat_the_champion_stays_a_challenger(store, data, run):
    ForecasterRegistrationDataset(**store).save(_registration(run, data))
    champion = ChampionBundleDataset(**store).load()
    # The same training again: the champion, fitted on the window too, is favoured there.
    again = _registration(run, data, champion)
    assert not again.decision.promote
    assert again.decision.champion_version == "1"
    assert "does not beat the champion's (version 1)" in again.decision.reason
    assert "trained until 2023-10-28, inside the window, so its score there is favoured" in (
        again.decision.reason
    )
    ForecasterRegistrationDataset(**store).save(again)
    versions = ForecasterRegistrationDataset(**store).load().set_index("version")["aliases"]
    assert versions.to_dict() == {"1": "champion", "2": "challenger"}
    assert ChampionBundleDataset(**store).load().registered_version == "1"


def test_promote_rolls_the_champion_to_another_version_and_refuses_an_unknown_one(store, data, run):
    registry = ForecasterRegistry(**store)
    first = _registration(run, data)
    registry.register(first)
    registry.register(dataclasses.replace(first, decision=decide("wape", 0.1, 0.2, "1")))
    assert registry.champion_version() == "2"
    registry.promote("1")
    assert registry.champion_version() == "1"
    with pytest.raises(RegistryError, match=r"has no version 7; registered versions: 1, 2"):
        registry.promote("7")


def test_a_champion_that_cannot_forecast_the_data_is_replaced(store, data, run):
    weekly = dataclasses.replace(
        run.bundle,
        panel_metadata={**run.bundle.panel_metadata, "frequency": "W-SUN"},
        registered_version="4",
    )
    decision = _registration(run, data, weekly).decision
    assert decision.promote and decision.champion_version == "4"
    assert decision.reason.startswith("the champion (version 4) cannot forecast this data")
    assert "trained on frequency 'W-SUN', the panel has 'D'" in decision.reason


def test_a_better_score_on_the_window_promotes():
    decision = decide("rmsse", 0.70, 0.75, "3")
    assert decision.promote
    assert decision.reason == (
        "rmsse 0.7000 on the evaluation window beats the champion's (version 3) 0.7500"
    )
    assert not decide("rmsse", 0.75, 0.75, "3").promote  # a tie keeps the champion


def test_no_champion_is_an_error_for_daily_and_none_for_training(store):
    assert ChampionBundleDataset(**store, if_missing="none").load() is None
    with pytest.raises(DatasetError, match=r"No champion is registered for demand_forecaster_"):
        ChampionBundleDataset(**store).load()
    with pytest.raises(DatasetError, match=r"if_missing is 'skip'"):
        ChampionBundleDataset(**store, if_missing="skip")
