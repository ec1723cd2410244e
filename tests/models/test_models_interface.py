"""Every forecaster follows the same interface: built from hyperparameters, ``fit`` returns
self, ``predict`` returns one finite point forecast per row, on the original demand scale."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from inventory_optimization.models import FORECASTERS, ForecastContext, make_forecaster
from inventory_optimization.models.base import (
    Forecaster,
    SeasonalNaive,
    forward,
    inverse,
    trainable,
)
from inventory_optimization.models.ets import ETSForecaster
from inventory_optimization.models.history import DemandHistory
from inventory_optimization.models.lstm import LSTMForecaster
from inventory_optimization.models.metrics import wape
from inventory_optimization.models.trees import RandomForestForecaster, XGBoostForecaster

ETS_PARAMS = {
    "trend": "add",
    "damped_trend": True,
    "seasonal": "add",
    "history": 56,
    "smoothing_level": 0.2,
    "smoothing_trend": 0.01,
    "smoothing_seasonal": 0.1,
    "damping_trend": 0.9,
}
XGB_PARAMS = {
    "n_estimators": 15,
    "max_depth": 3,
    "learning_rate": 0.3,
    "subsample": 0.7,
    "colsample_bytree": 0.7,
    "max_bin": 63,
}
RF_PARAMS = {"n_estimators": 8, "max_depth": 6, "max_features": 0.5, "max_samples": 300}
LSTM_PARAMS = {"epochs": 1, "max_rows": 2000, "units": 8, "lookback": 28, "batch_size": 256}

MODELS = [
    (SeasonalNaive, {}),
    (ETSForecaster, ETS_PARAMS),
    (RandomForestForecaster, RF_PARAMS),
    (XGBoostForecaster, XGB_PARAMS),
]


def test_registry_names_every_family():
    assert set(FORECASTERS) == {
        "seasonal_naive",
        "croston",
        "tsb",
        "ets",
        "random_forest",
        "xgboost",
        "lightgbm",
        "lstm",
    }
    model = make_forecaster("xgboost", {"max_depth": 3})
    assert isinstance(model, XGBoostForecaster)
    assert model.get_params() == {"max_depth": 3}
    with pytest.raises(ValueError, match="unknown model"):
        make_forecaster("prophet")


def test_training_rows_are_known_before_the_target_origin(data, train, target):
    assert len(train) > 500
    assert bool(trainable(train).all())
    assert train["date"].max() <= data.fold_origins[0] < target["origin"].min()


def test_seasonal_naive_returns_seasonal_lag_7(data, train, target):
    context = data.context()
    model = SeasonalNaive()
    assert model.fit(train, context) is model
    predictions = model.predict(target, context)
    expected = target["seasonal_lag_7"].to_numpy(dtype="float64")
    np.testing.assert_array_equal(predictions, expected)
    # The same weekday of the last week known at the origin, read from the panel directly.
    panel = data.panel.set_index(["series_id", "date"])["demand"]
    back = 7 * np.ceil(target["horizon"].to_numpy() / 7).astype(int)
    source = target["date"] - pd.to_timedelta(back, unit="D")
    assert (source <= target["origin"]).all()
    keys = pd.MultiIndex.from_arrays([target["series_id"].astype(str), source])
    np.testing.assert_array_equal(predictions, panel.reindex(keys).to_numpy())


@pytest.mark.parametrize(("cls", "params"), MODELS, ids=[c.name for c, _ in MODELS])
def test_fit_returns_self_and_predicts_one_finite_value_per_row(data, train, target, cls, params):
    context = data.context()
    model = cls(**params)
    assert isinstance(model, Forecaster)
    assert model.fit(train, context) is model
    predictions = model.predict(target, context)
    assert isinstance(predictions, np.ndarray)
    assert predictions.shape == (len(target),)
    assert np.isfinite(predictions).all()  # every series has a long history at this origin
    # A working forecast is far better than predicting zero (WAPE 1).
    open_rows = ~target["is_closed"].to_numpy()
    assert wape(target["demand"].to_numpy()[open_rows], predictions[open_rows]) < 0.8


@pytest.mark.parametrize("cls", [ETSForecaster, RandomForestForecaster, XGBoostForecaster])
def test_predict_is_row_aligned(data, train, target, cls):
    """Predicting shuffled rows returns the same values in the shuffled order."""
    params = dict(next(p for c, p in MODELS if c is cls))
    context = data.context()
    model = cls(**params).fit(train, context)
    order = np.random.default_rng(0).permutation(len(target))
    np.testing.assert_allclose(
        model.predict(target.iloc[order], context),
        model.predict(target, context)[order],
        rtol=1e-6,
    )


def test_ets_predicts_several_origins_at_once(data, train):
    """Rows of two origins in one call: each row's forecast comes from its own origin."""
    rows = data.model_input
    both = rows[rows["origin"].isin(data.fold_origins)]
    context = data.context()
    model = ETSForecaster(**ETS_PARAMS).fit(train, context)
    together = model.predict(both, context)
    for origin in data.fold_origins:
        mask = (both["origin"] == origin).to_numpy()
        np.testing.assert_allclose(together[mask], model.predict(both[mask], context))
    assert np.isfinite(together).all()


@pytest.mark.parametrize(
    ("cls", "params"),
    [(XGBoostForecaster, XGB_PARAMS), (RandomForestForecaster, RF_PARAMS)],
    ids=["xgboost", "random_forest"],
)
def test_same_seed_same_predictions(data, train, target, cls, params):
    first = cls(**params).fit(train, data.context(seed=7)).predict(target, data.context(seed=7))
    again = cls(**params).fit(train, data.context(seed=7)).predict(target, data.context(seed=7))
    np.testing.assert_array_equal(first, again)
    # The seed is really used: row and column subsampling change with it.
    other = cls(**params).fit(train, data.context(seed=8)).predict(target, data.context(seed=8))
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("transform", ["log1p", "scale", "none"])
def test_trees_predict_on_the_demand_scale_for_every_transform(data, train, target, transform):
    context = data.context(transform=transform)
    predictions = XGBoostForecaster(**XGB_PARAMS).fit(train, context).predict(target, context)
    demand = target["demand"].to_numpy()
    open_rows = ~target["is_closed"].to_numpy()
    # Same order of magnitude as demand, whatever space the model learned in.
    ratio = predictions[open_rows].mean() / demand[open_rows].mean()
    assert 0.7 < ratio < 1.4


def test_tree_feature_importances_name_the_features(data, train):
    context = data.context()
    xgb = XGBoostForecaster(**XGB_PARAMS).fit(train, context).feature_importances()
    forest = RandomForestForecaster(**RF_PARAMS).fit(train, context).feature_importances()
    assert set(xgb.index) <= set(context.features)
    assert list(forest.index.sort_values()) == sorted(context.features)
    assert forest.sum() == pytest.approx(1.0)
    assert (xgb.diff().dropna() <= 0).all()  # sorted, largest first


# seasonal_lag_364 is all NaN on 300 days of data: its training mean is undefined (set to 0).
@pytest.mark.filterwarnings("ignore:Mean of empty slice:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:Degrees of freedom:RuntimeWarning")
def test_lstm_fits_predicts_and_survives_pickle(data, train, target):
    context = data.context()
    model = LSTMForecaster(**LSTM_PARAMS)
    assert model.fit(train, context) is model
    predictions = model.predict(target, context)
    assert predictions.shape == (len(target),)
    assert np.isfinite(predictions).all()
    assert model.history_ is None  # the panel is not stored in the artifact

    restored = pickle.loads(pickle.dumps(model))
    assert isinstance(restored, LSTMForecaster)
    assert restored.params == model.params
    np.testing.assert_allclose(restored.predict(target, context), predictions, rtol=1e-5)


@pytest.mark.parametrize("transform", ["log1p", "scale", "none"])
def test_forward_and_inverse_are_inverses(transform, rng):
    y = np.concatenate([[0.0, 1e-6, 1.0, 1e4], rng.gamma(0.8, 20.0, 200)])
    scale = np.concatenate([[0.5, 1e-3, 3.0, 250.0], rng.uniform(0.01, 100.0, 200)])
    np.testing.assert_allclose(inverse(forward(y, scale, transform), scale, transform), y, 1e-12)
    z = rng.uniform(0.0, 5.0, 204)  # log1p space of non-negative demand
    np.testing.assert_allclose(forward(inverse(z, scale, transform), scale, transform), z, 1e-9)


def test_forward_values():
    y = np.array([0.0, 3.0, np.e - 1])
    scale = np.array([2.0, 4.0, 1.0])
    np.testing.assert_allclose(forward(y, scale, "log1p"), [0.0, np.log(4.0), 1.0])
    np.testing.assert_allclose(forward(y, scale, "scale"), [0.0, 0.75, np.e - 1])
    np.testing.assert_array_equal(forward(y, scale, "none"), y)
    np.testing.assert_allclose(inverse(np.array([1.0]), np.array([5.0]), "scale"), [5.0])
    # log1p clips returns (negative demand) at zero before the log.
    assert forward(np.array([-3.0]), np.array([1.0]), "log1p")[0] == 0.0


def test_ets_on_short_and_missing_histories():
    """A long weekly-seasonal series gets a seasonal forecast; a series with two known days
    repeats its last value; a series that starts after the origin gets NaN (the node fills
    those with the series' mean); a series closed just before the origin keeps its level."""
    dates = pd.date_range("2024-01-01", periods=60, freq="D")
    weekly = np.tile([10.0, 10.0, 10.0, 10.0, 10.0, 30.0, 30.0], 9)[:60]
    panel = pd.concat(
        [
            pd.DataFrame({"series_id": "long", "date": dates, "demand": weekly}),
            pd.DataFrame({"series_id": "short", "date": dates[38:], "demand": 4.0}),
            pd.DataFrame({"series_id": "new", "date": dates[45:], "demand": 2.0}),
            pd.DataFrame({"series_id": "shut", "date": dates, "demand": 10.0}),
        ],
        ignore_index=True,
    ).assign(is_observed=True, is_closed=False)
    panel.loc[(panel["series_id"] == "short") & (panel["date"] == dates[39]), "demand"] = 6.0
    # "shut" sells 10 a day but is closed (demand 0) on the origin and the two days before.
    shut = (panel["series_id"] == "shut") & panel["date"].isin(dates[37:40])
    panel.loc[shut, ["demand", "is_closed"]] = [0.0, True]
    origin = dates[39]  # a Friday, so horizons 1, 2 fall on the weekend
    rows = pd.DataFrame(
        {
            "series_id": np.repeat(["long", "short", "new", "shut"], 3),
            "origin": origin,
            "horizon": np.tile([1, 2, 3], 4),
        }
    )
    context = ForecastContext(features=[], panel=panel, n_jobs=1)
    params = {
        "seasonal": "add",
        "history": 35,
        "smoothing_level": 0.1,
        "smoothing_seasonal": 0.1,
    }
    predictions = ETSForecaster(**params).predict(rows, context)
    np.testing.assert_allclose(predictions[:3], [30.0, 30.0, 10.0], atol=0.5)
    np.testing.assert_allclose(predictions[3:6], [6.0, 6.0, 6.0])
    assert np.isnan(predictions[6:9]).all()
    # Closures are gaps in the history, not sales of zero: the level stays at 10.
    np.testing.assert_allclose(predictions[9:], [10.0, 10.0, 10.0])
    history = DemandHistory(panel, "D")
    window = history.window(pd.DatetimeIndex([origin]), pd.Series(["shut"]), 5)
    np.testing.assert_array_equal(window, [[10.0, 10.0, np.nan, np.nan, np.nan]])


@pytest.mark.parametrize("objective", ["tweedie", "poisson"])
@pytest.mark.parametrize("transform", ["scale", "none"])
def test_count_objectives_forecast_the_mean_on_the_demand_scale(
    data, train, target, objective, transform
):
    """A count objective learns the mean of a non-negative target; predictions come back on
    the demand scale, non-negative, as close to demand as squared error's."""
    context = data.context(transform=transform)
    params = {**XGB_PARAMS, "objective": objective}
    counted = XGBoostForecaster(**params).fit(train, context).predict(target, context)
    open_rows = ~target["is_closed"].to_numpy()
    assert (counted >= 0).all()
    ratio = counted[open_rows].mean() / target["demand"].to_numpy()[open_rows].mean()
    assert 0.7 < ratio < 1.4


def test_unknown_xgboost_objective_is_named(data, train):
    with pytest.raises(ValueError, match="xgboost objective 'huber'"):
        XGBoostForecaster(**XGB_PARAMS, objective="huber").fit(train, data.context())
