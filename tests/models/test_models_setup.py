"""The modeling setup: frozen, saved as JSON and read back equal, refused with the keys named
when a record does not fit, and converted inside bundles saved when it was a dict."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle

import pandas as pd
import pytest

from inventory_optimization.datasets import ModelingSetupDataset
from inventory_optimization.models.bundle import BUNDLE_FORMAT
from inventory_optimization.models.setup import ModelingSetup


def test_the_setup_is_frozen_and_a_variant_is_a_new_object(data):
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.setup.metric = "rmsse"
    variant = data.setup.replace(metric="rmsse")
    assert (variant.metric, data.setup.metric) == ("rmsse", "wape")
    assert variant.features == data.setup.features


def test_the_caller_s_dicts_never_change_the_setup(data):
    calibration = {"interval": 0.8}
    setup = data.setup.replace(calibration=calibration)
    calibration["interval"] = 0.5
    assert setup.interval == 0.8


def test_the_json_record_reads_back_equal(data, tmp_path):
    record = json.loads(json.dumps(data.setup.to_dict()))
    assert ModelingSetup.from_dict(record) == data.setup
    dataset = ModelingSetupDataset(filepath=str(tmp_path / "modeling_setup.json"))
    dataset.save(data.setup)
    assert dataset.load() == data.setup
    saved = json.loads((tmp_path / "modeling_setup.json").read_text())
    assert saved["fold_origins"] == ["2023-09-30", "2023-09-16"]
    assert saved["features"][0] == "horizon"


def test_a_record_that_does_not_fit_is_refused_with_its_keys_named(data):
    record = data.setup.to_dict()
    del record["metric"]
    record["metrics"] = "wape"
    with pytest.raises(ValueError, match=r"has unknown keys \['metrics'\]; lacks \['metric'\]"):
        ModelingSetup.from_dict(record)


def test_dates_and_scores_derived_from_the_setup(data, run):
    setup = data.setup
    assert setup.origins == [pd.Timestamp("2023-09-30"), pd.Timestamp("2023-09-16")]
    assert setup.holdout_origin == pd.Timestamp("2023-10-14")
    assert setup.scales(data.panel, setup.holdout_origin) is None  # only rmsse needs them
    rmsse = setup.replace(metric="rmsse").scales(data.panel, setup.holdout_origin)
    assert rmsse is not None and rmsse.origin == setup.holdout_origin
    context = setup.context(data.panel)
    assert context.features == list(setup.features) and context.panel is data.panel


def test_a_bundle_saved_with_a_dict_setup_loads_and_forecasts_the_same(data, run):
    legacy = copy.copy(run.bundle)
    object.__setattr__(legacy, "setup", run.bundle.setup.to_dict())
    object.__setattr__(legacy, "format", 1)
    loaded = pickle.loads(pickle.dumps(legacy))
    assert isinstance(loaded.setup, ModelingSetup)
    assert loaded.setup == run.bundle.setup
    assert loaded.format == BUNDLE_FORMAT
    pd.testing.assert_frame_equal(
        loaded.predict(data.panel, data.attributes), run.bundle.predict(data.panel, data.attributes)
    )
