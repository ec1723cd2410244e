"""The modeling nodes end to end on the small synthetic model input, with two models
(seasonal naive and a small XGBoost): CV, refit and forecast, stacking, calibrated quantiles,
the leaderboard."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import optuna
import pandas as pd
import pytest

from inventory_optimization.models.base import trainable
from inventory_optimization.models.cv import scored
from inventory_optimization.models.metrics import wape, wmae
from inventory_optimization.pipelines.modeling import nodes

OPTIONS = {
    "seasonal_naive": {"name": "seasonal_naive", "n_trials": 0},
    "xgboost": {
        "name": "xgboost",
        "n_trials": 0,
        "tuning_rows": 20000,
        "max_train_rows": None,
        "fixed": {"n_estimators": 20, "max_bin": 63, "max_depth": 4, "learning_rate": 0.2},
        "search_space": {"max_depth": {"type": "int", "low": 2, "high": 4}},
    },
}
QUANTILE_COLUMNS = ["q_0.05", "q_0.1", "q_0.25", "q_0.5", "q_0.75", "q_0.9", "q_0.95", "q_0.99"]


@pytest.fixture(scope="module")
def run(data) -> SimpleNamespace:
    rows, panel, setup = data.model_input, data.panel, data.setup
    out = SimpleNamespace(cv={}, holdout={}, live={}, report={}, model={}, params={})
    for name, options in OPTIONS.items():
        params, trials, importances = nodes.tune_model(rows, panel, setup, None, options)
        out.params[name] = params
        assert trials.empty
        assert importances == {}
        out.cv[name] = nodes.cross_validate_model(rows, panel, setup, params, options)
        model, holdout, live, report = nodes.fit_and_forecast(rows, panel, setup, params, options)
        out.model[name], out.holdout[name], out.live[name] = model, holdout, live
        out.report[name] = report
    out.weights = nodes.build_ensemble(rows, setup, *out.cv.values())
    predictions = [f[name] for name in OPTIONS for f in (out.cv, out.holdout, out.live)]
    out.holdout_forecasts, out.demand_forecast = nodes.assemble_forecasts(
        rows, setup, out.weights, *predictions
    )
    out.leaderboard = nodes.evaluate_models(
        out.holdout_forecasts, panel, setup, rows, *out.report.values()
    )
    return out


def test_prepare_modeling(data):
    setup = data.setup
    assert setup["dataset"] == "synthetic"
    assert setup["features"][0] == "horizon"
    assert setup["features"].count("horizon") == 1
    assert len(setup["features"]) == len(data.catalog)
    assert setup["season_length"] == 7
    assert setup["fold_origins"] == ["2023-09-30", "2023-09-16"]
    assert setup["protocol_origin"] == "2023-10-14"
    assert setup["live_origin"] == "2023-10-28"
    assert setup["horizon"] == 14
    assert setup["metric"] == "wape"
    assert setup["target_transform"] == "scale"
    assert setup["quantiles"] == [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99]
    assert setup["n_jobs"] == 1


def test_tune_model_without_budget_returns_the_fixed_parameters(run):
    assert run.params["seasonal_naive"] == {}
    assert run.params["xgboost"] == OPTIONS["xgboost"]["fixed"]


def test_cross_validation_predicts_every_scored_fold_row(data, run):
    rows = data.model_input
    expected = []
    for number, origin in enumerate(data.fold_origins, start=1):
        at_origin = (rows["origin"] == origin) & scored(rows, "open")
        expected += [(row, number) for row in np.flatnonzero(at_origin.to_numpy())]
    for name, cv in run.cv.items():
        assert list(cv.columns) == ["row", "fold", "pred", "model"]
        assert (cv["model"] == name).all()
        assert sorted(zip(cv["row"], cv["fold"], strict=True)) == sorted(expected)
        assert np.isfinite(cv["pred"]).all()
        assert (cv["pred"] >= 0).all()
    naive = run.cv["seasonal_naive"]
    lag = rows["seasonal_lag_7"].to_numpy()[naive["row"].to_numpy()]
    np.testing.assert_array_equal(naive["pred"].to_numpy(), np.clip(lag, 0, None))


def test_fit_and_forecast_covers_the_holdout_and_live_origins(data, run):
    rows = data.model_input
    holdout_rows = np.flatnonzero((rows["origin"] == data.protocol_origin).to_numpy())
    live_rows = np.flatnonzero((rows["origin"] == pd.Timestamp("2023-10-28")).to_numpy())
    assert len(holdout_rows) == len(live_rows) == 84
    n_train = int((trainable(rows) & (rows["date"] <= data.protocol_origin)).sum())
    closed = rows["is_closed"].to_numpy()
    for name in OPTIONS:
        holdout, live, report = run.holdout[name], run.live[name], run.report[name]
        np.testing.assert_array_equal(holdout["row"], holdout_rows)
        np.testing.assert_array_equal(live["row"], live_rows)
        for frame in (holdout, live):
            assert np.isfinite(frame["pred"]).all()
            assert (frame["pred"] >= 0).all()
            assert (frame["model"] == name).all()
        assert (holdout["pred"].to_numpy()[closed[holdout_rows]] == 0).all()
        assert report["model"] == name
        assert report["holdout"]["train_rows"] == n_train
        assert report["holdout"]["rows"] == report["live"]["rows"] == 84
        assert report["live"]["train_rows"] > n_train
    assert run.model["xgboost"].booster_.num_boosted_rounds() == 20


def test_ensemble_weights_are_a_convex_combination(run):
    weights = run.weights
    assert set(weights) == {"seasonal_naive", "xgboost"}
    assert all(w >= 0 for w in weights.values())
    assert sum(weights.values()) == pytest.approx(1.0, abs=1e-5)


def test_holdout_forecasts_have_one_row_per_holdout_row_and_model(data, run):
    forecasts = run.holdout_forecasts
    assert len(forecasts) == 84 * 3
    assert forecasts["model"].value_counts().to_dict() == {
        "seasonal_naive": 84,
        "xgboost": 84,
        "ensemble": 84,
    }
    assert list(forecasts.columns[:4]) == ["series_id", "store_id", "item_id", "model"]
    assert QUANTILE_COLUMNS == [c for c in forecasts.columns if c.startswith("q_")]
    assert (forecasts["origin"] == data.protocol_origin).all()
    assert (
        forecasts["date"] == forecasts["origin"] + pd.to_timedelta(forecasts["horizon"], "D")
    ).all()
    keys = ["series_id", "origin", "horizon"]
    reference = forecasts[forecasts["model"] == "xgboost"][keys].reset_index(drop=True)
    for _, group in forecasts.groupby("model"):
        pd.testing.assert_frame_equal(group[keys].reset_index(drop=True), reference)
    holdout = data.model_input[data.model_input["origin"] == data.protocol_origin]
    np.testing.assert_array_equal(
        forecasts.loc[forecasts["model"] == "xgboost", "y_true"].to_numpy(),
        holdout["demand"].to_numpy(),
    )
    for name in OPTIONS:
        np.testing.assert_array_equal(
            forecasts.loc[forecasts["model"] == name, "y_pred"].to_numpy(),
            run.holdout[name]["pred"].to_numpy(),
        )


def test_quantiles_never_cross_and_closed_rows_are_zero(run):
    for frame in (run.holdout_forecasts, run.demand_forecast):
        values = frame[QUANTILE_COLUMNS].to_numpy()
        assert np.isfinite(values).all()
        assert (values >= 0).all()
        assert (np.diff(values, axis=1) >= 0).all()
        assert (values[:, -1] > values[:, 0]).sum() > 0.9 * len(frame)  # real intervals
    forecasts = run.holdout_forecasts
    closed = forecasts["is_closed"].to_numpy()
    assert closed.sum() == 3 * 3  # three closed series-days, three models
    assert (forecasts.loc[closed, ["y_pred", *QUANTILE_COLUMNS]].to_numpy() == 0).all()
    assert (forecasts.loc[closed, "y_true"] == 0).all()
    assert not forecasts.loc[closed, "scored"].any()
    assert forecasts.loc[~closed, "scored"].all()


def test_ensemble_blends_in_the_target_space(data, run):
    """Transform 'scale' is linear: the blend is the weighted sum of the models' forecasts."""
    forecasts = run.holdout_forecasts
    by_model = {m: g["y_pred"].to_numpy() for m, g in forecasts.groupby("model")}
    blend = sum(run.weights[m] * by_model[m] for m in OPTIONS)
    closed = forecasts.loc[forecasts["model"] == "ensemble", "is_closed"].to_numpy()
    np.testing.assert_allclose(by_model["ensemble"], np.where(closed, 0.0, blend), rtol=1e-9)


def test_live_demand_forecast(data, run):
    live = run.demand_forecast
    assert len(live) == 84
    assert (live["model"] == "ensemble").all()
    assert (live["origin"] == pd.Timestamp("2023-10-28")).all()
    assert live["date"].min() == pd.Timestamp("2023-10-29")
    assert live["date"].max() == pd.Timestamp("2023-11-11")
    assert "y_true" not in live
    assert "scored" not in live
    assert np.isfinite(live["y_pred"]).all()


def test_leaderboard_lists_every_model_with_finite_scores(run):
    board = run.leaderboard
    assert set(board["model"]) == {"seasonal_naive", "xgboost", "ensemble"}
    assert (board["metric"] == "wape").all()
    for column in ("score", "wape", "mase", "pinball", "coverage_80"):
        assert np.isfinite(board[column]).all(), column
    assert (board["coverage_80"].between(0, 1)).all()
    assert board["score"].is_monotonic_increasing
    assert (board["rows"] == 81).all()  # 84 holdout rows less the 3 closed ones
    np.testing.assert_allclose(board["score"], board["wape"])
    forecasts = run.holdout_forecasts
    for _, entry in board.iterrows():
        group = forecasts[(forecasts["model"] == entry["model"]) & forecasts["scored"]]
        assert entry["score"] == pytest.approx(wape(group["y_true"], group["y_pred"]))
        inside = (group["y_true"] >= group["q_0.1"]) & (group["y_true"] <= group["q_0.9"])
        assert entry["coverage_80"] == pytest.approx(inside.mean())
    naive = board.set_index("model").loc["seasonal_naive"]
    assert naive["fit_seconds"] >= 0
    assert board.set_index("model").loc["ensemble", "fit_seconds"] == 0


def test_leaderboard_with_the_walmart_metric_weighs_holidays(data, run):
    """No public holiday falls in the holdout, so two target dates are flagged by hand."""
    model_input = data.model_input.copy()
    flagged = model_input["date"].isin(pd.to_datetime(["2023-10-16", "2023-10-23"]))
    model_input.loc[flagged, "is_holiday"] = 1.0
    setup = {**data.setup, "metric": "wmae"}
    board = nodes.evaluate_models(
        run.holdout_forecasts, data.panel, setup, model_input, *run.report.values()
    )
    assert (board["metric"] == "wmae").all()
    forecasts = run.holdout_forecasts
    for _, entry in board.iterrows():
        group = forecasts[(forecasts["model"] == entry["model"]) & forecasts["scored"]]
        holiday = group["date"].isin(pd.to_datetime(["2023-10-16", "2023-10-23"])).to_numpy()
        assert holiday.sum() == 12
        y, pred = group["y_true"].to_numpy(), group["y_pred"].to_numpy()
        assert entry["score"] == pytest.approx(wmae(y, pred, holiday))
        assert entry["score"] != pytest.approx(np.mean(np.abs(y - pred)))


def test_feature_importances_node(data, run):
    table = nodes.feature_importances(data.catalog, run.model["xgboost"])
    assert (table["model"] == "xgboost").all()
    assert table["share"].sum() == pytest.approx(1.0)
    assert set(table["feature"]) <= set(data.setup["features"])
    assert table["family"].notna().all()


def test_tune_model_runs_a_small_study(data, tmp_path):
    options = {**OPTIONS["xgboost"], "n_trials": 2, "tuning_rows": 300}
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    best, trials, _ = nodes.tune_model(data.model_input, data.panel, data.setup, storage, options)
    assert len(trials) == 2
    assert (trials["state"] == "COMPLETE").all()
    assert np.isfinite(trials["value"]).all()
    assert {**options["fixed"], "max_depth": best["max_depth"]} == best
    assert 2 <= best["max_depth"] <= 4
    names = optuna.get_all_study_names(storage)
    assert len(names) == 1
    assert names[0].startswith("xgboost-")


@pytest.mark.filterwarnings("ignore:The number of trials is too small")
def test_changing_the_objective_starts_a_new_study(data, tmp_path):
    options = {**OPTIONS["xgboost"], "n_trials": 1, "tuning_rows": 300}
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    nodes.tune_model(data.model_input, data.panel, data.setup, storage, options)
    log_setup = {**data.setup, "target_transform": "log1p"}
    nodes.tune_model(data.model_input, data.panel, log_setup, storage, options)
    assert len(optuna.get_all_study_names(storage)) == 2
