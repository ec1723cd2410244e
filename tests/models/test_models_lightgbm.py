"""LightGBM behind the forecaster interface: fits on the transformed target, predicts one finite
value per row on the demand scale, reruns bit-identically with the same seed, pickles (the
catalog pickles the model) and reads its objective by the short names XGBoost uses."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import yaml

from inventory_optimization.models import FORECASTERS, Forecaster, make_forecaster
from inventory_optimization.models.metrics import wape
from inventory_optimization.models.trees import LightGBMForecaster, _design

# Small and quick (like the interface tests' XGBoost parameters: at most 8 leaves, at least 30
# rows per leaf on ~1000 training rows), with row and column subsampling so the seed matters.
LGB_PARAMS = {
    "n_estimators": 15,
    "num_leaves": 8,
    "min_data_in_leaf": 30,
    "learning_rate": 0.3,
    "feature_fraction": 0.7,
    "bagging_fraction": 0.7,
    "bagging_freq": 1,
    "max_bin": 63,
}
BASE_OPTIONS = Path(__file__).resolve().parents[2] / "conf" / "base" / "parameters_modeling.yml"


def _level(predictions: np.ndarray, rows) -> float:
    """Mean forecast over mean demand on the open rows."""
    open_rows = ~rows["is_closed"].to_numpy()
    return predictions[open_rows].mean() / rows["demand"].to_numpy()[open_rows].mean()


def _assert_on_the_demand_scale(model, train, target, context) -> np.ndarray:
    """On the training rows the mean forecast is the mean demand (under log1p somewhat less:
    the mean of the logs is below the log of the mean, hence the CV probe's bias guard); on
    the holdout it is of the same order (its 84 rows sell more than the weeks before: trees
    forecast 0.7-0.9 of it, and a forgotten inverse transform would be off by the series
    scale, ~9, or worse)."""
    low = 0.8 if context.target_transform == "log1p" else 0.9
    assert low < _level(model.predict(train, context), train) < 1.1
    predictions = model.predict(target, context)
    assert 0.5 < _level(predictions, target) < 1.5
    return predictions


def test_lightgbm_is_registered():
    assert FORECASTERS["lightgbm"] is LightGBMForecaster
    model = make_forecaster("lightgbm", {"num_leaves": 31})
    assert isinstance(model, LightGBMForecaster)
    assert model.get_params() == {"num_leaves": 31}


@pytest.mark.parametrize("transform", ["log1p", "scale", "none"])
def test_fits_and_predicts_on_the_demand_scale_for_every_transform(data, train, target, transform):
    context = data.context(transform=transform)
    # The features hold NaN (seasonal_lag_364 on 300 days): LightGBM takes them as they are.
    assert np.isnan(_design(train, context.features)).any()
    model = LightGBMForecaster(**LGB_PARAMS)
    assert isinstance(model, Forecaster)
    assert model.fit(train, context) is model
    predictions = model.predict(target, context)
    assert isinstance(predictions, np.ndarray)
    assert predictions.dtype == np.float64
    assert predictions.shape == (len(target),)
    assert np.isfinite(predictions).all()
    np.testing.assert_array_equal(
        _assert_on_the_demand_scale(model, train, target, context), predictions
    )
    # Far better than predicting zero (WAPE 1).
    open_rows = ~target["is_closed"].to_numpy()
    assert wape(target["demand"].to_numpy()[open_rows], predictions[open_rows]) < 0.8


def test_predict_is_row_aligned(data, train, target):
    context = data.context()
    model = LightGBMForecaster(**LGB_PARAMS).fit(train, context)
    order = np.random.default_rng(0).permutation(len(target))
    np.testing.assert_array_equal(
        model.predict(target.iloc[order], context), model.predict(target, context)[order]
    )


def test_same_seed_same_predictions_other_seed_other_predictions(data, train, target):
    def run(seed: int) -> np.ndarray:
        context = data.context(seed=seed)
        return LightGBMForecaster(**LGB_PARAMS).fit(train, context).predict(target, context)

    first = run(7)
    np.testing.assert_array_equal(first, run(7))
    # The seed is really used: bagging and feature subsampling change with it.
    assert not np.array_equal(first, run(8))


@pytest.mark.parametrize("objective", ["tweedie", "poisson"])
@pytest.mark.parametrize("transform", ["scale", "none"])
def test_count_objectives_forecast_a_non_negative_mean(data, train, target, objective, transform):
    context = data.context(transform=transform)
    params = {**LGB_PARAMS, "objective": objective, "tweedie_variance_power": 1.3}
    model = LightGBMForecaster(**params).fit(train, context)
    counted = _assert_on_the_demand_scale(model, train, target, context)
    assert np.isfinite(counted).all()
    assert (counted >= 0).all()
    assert (model.predict(train, context) >= 0).all()


@pytest.mark.parametrize("objective", ["tweedie", "poisson"])
def test_count_objectives_learn_from_returns_clipped_at_zero(data, train, target, objective):
    """Negative demand (returns, as Walmart's) is clipped for a count objective, which LightGBM
    refuses on a negative label."""
    returns = train.copy()
    returns.loc[returns.index[::50], "demand"] = -3.0
    context = data.context(transform="none")
    model = LightGBMForecaster(**LGB_PARAMS, objective=objective).fit(returns, context)
    assert (model.predict(target, context) >= 0).all()


def test_native_objective_names_are_accepted(data, train, target):
    context = data.context()
    short = LightGBMForecaster(**LGB_PARAMS, objective="squarederror").fit(train, context)
    native = LightGBMForecaster(**LGB_PARAMS, objective="regression").fit(train, context)
    default = LightGBMForecaster(**LGB_PARAMS).fit(train, context)
    np.testing.assert_array_equal(short.predict(target, context), native.predict(target, context))
    np.testing.assert_array_equal(short.predict(target, context), default.predict(target, context))


def test_pickle_round_trip_predicts_identically(data, train, target):
    context = data.context()
    model = LightGBMForecaster(**LGB_PARAMS).fit(train, context)
    restored = pickle.loads(pickle.dumps(model))
    assert isinstance(restored, LightGBMForecaster)
    assert restored.params == model.params
    assert restored.booster_.num_trees() == LGB_PARAMS["n_estimators"]
    np.testing.assert_array_equal(restored.predict(target, context), model.predict(target, context))


def test_feature_importances_are_total_gain_by_feature_sorted(data, train):
    context = data.context()
    importances = LightGBMForecaster(**LGB_PARAMS).fit(train, context).feature_importances()
    assert sorted(importances.index) == sorted(context.features)
    assert importances.dtype == np.float64
    assert (importances >= 0).all() and importances.sum() > 0
    assert (importances.diff().dropna() <= 0).all()  # sorted, largest first
    # Each gain is its own feature's: seasonal_lag_364 is all NaN on 300 days, never split on.
    assert train["seasonal_lag_364"].isna().all()
    assert importances["seasonal_lag_364"] == 0.0


def test_unknown_objective_is_named(data, train):
    with pytest.raises(ValueError, match="lightgbm objective 'huber'"):
        LightGBMForecaster(**LGB_PARAMS, objective="huber").fit(train, data.context())


def test_shipped_options_are_parameters_lightgbm_knows(data, train, capfd):
    """The base block's fixed parameters and every search-space bound fit without LightGBM
    warning about an unknown parameter (a misspelt name would otherwise be silently ignored)."""
    options = yaml.safe_load(BASE_OPTIONS.read_text())["lightgbm"]["model_options"]
    assert options["name"] == "lightgbm"
    assert options["search_space"]["objective"]["choices"] == ["squarederror", "tweedie"]
    space = {k: v for k, v in options["search_space"].items() if k != "objective"}
    context = data.context()
    for bound in ("low", "high"):
        params = {
            **options["fixed"],
            **{name: spec[bound] for name, spec in space.items()},
            "n_estimators": 3,
            "verbosity": 1,
        }
        LightGBMForecaster(**params).fit(train, context)
        assert "Unknown parameter" not in capfd.readouterr().out
