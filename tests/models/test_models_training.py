"""The modeling nodes end to end on the small synthetic model input, with two models
(seasonal naive and a small XGBoost): CV, refit and forecast, stacking, calibrated quantiles,
the leaderboard with its floors; the headline chosen from the data; the ensemble's fallback."""

from __future__ import annotations

import dataclasses
import logging
import pickle
import re

import numpy as np
import optuna
import pandas as pd
import pytest

from inventory_optimization.models import choices, evaluation, training
from inventory_optimization.models.base import trainable
from inventory_optimization.models.cv import scored
from inventory_optimization.models.metrics import headline, series_scales, wape, wmae
from tests.models.conftest import OPTIONS, QUANTILE_COLUMNS, by_model


def test_prepare_modeling(data):
    setup = data.setup
    assert setup.dataset == "synthetic"
    assert setup.features[0] == "horizon"
    assert setup.features.count("horizon") == 1
    assert len(setup.features) == len(data.catalog)
    assert setup.season_length == 7
    assert setup.fold_origins == ("2023-09-30", "2023-09-16")
    assert setup.protocol_origin == "2023-10-14"
    assert setup.live_origin == "2023-10-28"
    assert setup.horizon == 14
    assert setup.metric == "wape"
    assert setup.metric_reason == "set in protocol.metric"
    assert setup.target_transform == "scale"
    assert setup.quantiles == (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)
    assert setup.n_jobs == 1


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


def test_the_bundle_reproduces_the_live_forecast_without_the_pipeline(data, run):
    """The bundle, pickled and loaded as a notebook or the daily run would, forecasts the
    training run's last origin exactly as the pipeline did."""
    bundle = pickle.loads(pickle.dumps(run.bundle))
    assert bundle.trained_until == pd.Timestamp("2023-10-28") and bundle.horizon == 14
    # the ensemble's members only: a model of weight 0 is not carried
    assert set(bundle.models) == {m for m, w in run.weights.items() if w > 0}
    assert set(bundle.weights) == set(bundle.models)
    forecast = bundle.predict(data.panel, data.attributes)
    expected = run.demand_forecast
    assert list(forecast.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(
        forecast.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False
    )


def test_the_bundle_forecasts_an_earlier_origin_of_every_series(data, run):
    origin = pd.Timestamp("2023-10-21")
    forecast = run.bundle.predict(data.panel, data.attributes, origin)
    assert len(forecast) == 6 * 14 and forecast["series_id"].nunique() == 6
    assert (forecast["origin"] == origin).all()
    assert forecast["date"].min() == origin + pd.Timedelta(days=1)
    assert forecast["date"].max() == origin + pd.Timedelta(days=14)
    quantiles = forecast[QUANTILE_COLUMNS].to_numpy()
    assert (np.diff(quantiles, axis=1) >= -1e-9).all()
    assert (forecast["lower_80"] <= forecast["upper_80"]).all()
    assert np.isfinite(forecast["y_pred"]).all() and (forecast["y_pred"] >= 0).all()


def test_the_bundle_refuses_an_origin_after_the_panel(data, run):
    with pytest.raises(ValueError, match=r"origin 2023-11-05 is after the panel's last date "):
        run.bundle.predict(data.panel, data.attributes, "2023-11-05")


def test_the_bundle_refuses_weights_for_a_model_it_does_not_hold(run):
    with pytest.raises(ValueError, match=r"ensemble weights name models the bundle does not "):
        dataclasses.replace(run.bundle, weights={"lstm": 1.0})


def test_leaderboard_lists_every_model_with_finite_scores(run):
    board = run.leaderboard
    assert set(board["model"]) == {"seasonal_naive", "xgboost", "ensemble", "zero_forecast"}
    assert (board["metric"] == "wape").all()
    columns = ("score", "wape", "mase", "rmsse", "bias", "pinball", "scaled_pinball")
    for column in (*columns, "coverage_80"):
        assert np.isfinite(board[column]).all(), column
    assert (board["coverage_80"].between(0, 1)).all()
    assert board["score"].is_monotonic_increasing
    assert (board["rows"] == 81).all()  # 84 holdout rows less the 3 closed ones
    np.testing.assert_allclose(board["score"], board["wape"])
    forecasts = run.holdout_forecasts
    for _, entry in board[board["model"] != "zero_forecast"].iterrows():
        group = forecasts[(forecasts["model"] == entry["model"]) & forecasts["scored"]]
        assert entry["score"] == pytest.approx(wape(group["y_true"], group["y_pred"]))
        assert entry["bias"] == pytest.approx(group["y_pred"].sum() / group["y_true"].sum())
        # continuous demand: the 80 % interval runs from the 10 % to the 90 % quantile
        assert (group["lower_80"] == group["q_0.1"]).all()
        assert (group["upper_80"] == group["q_0.9"]).all()
        inside = (group["y_true"] >= group["q_0.1"]) & (group["y_true"] <= group["q_0.9"])
        assert entry["coverage_80"] == pytest.approx(inside.mean())
        assert entry["below_80"] == pytest.approx(np.mean(group["y_true"] < group["q_0.1"]))
        assert entry["above_80"] == pytest.approx(np.mean(group["y_true"] > group["q_0.9"]))
    floors = board.set_index("model")["floor"].to_dict()
    assert floors == {
        "zero_forecast": True,
        "seasonal_naive": True,
        "xgboost": False,
        "ensemble": False,
    }
    naive = board.set_index("model").loc["seasonal_naive"]
    assert naive["fit_seconds"] >= 0
    assert board.set_index("model").loc["ensemble", "fit_seconds"] == 0


def test_leaderboard_with_the_walmart_metric_weighs_holidays(data, run):
    """No public holiday falls in the holdout, so two target dates are flagged by hand."""
    model_input = data.model_input.copy()
    flagged = model_input["date"].isin(pd.to_datetime(["2023-10-16", "2023-10-23"]))
    model_input.loc[flagged, "is_holiday"] = 1.0
    setup = data.setup.replace(metric="wmae")
    board = evaluation.leaderboard(
        run.holdout_forecasts, data.panel, setup, model_input, run.report
    )
    assert (board["metric"] == "wmae").all()
    forecasts = run.holdout_forecasts
    for _, entry in board[board["model"] != "zero_forecast"].iterrows():
        group = forecasts[(forecasts["model"] == entry["model"]) & forecasts["scored"]]
        holiday = group["date"].isin(pd.to_datetime(["2023-10-16", "2023-10-23"])).to_numpy()
        assert holiday.sum() == 12
        y, pred = group["y_true"].to_numpy(), group["y_pred"].to_numpy()
        assert entry["score"] == pytest.approx(wmae(y, pred, holiday))
        assert entry["score"] != pytest.approx(np.mean(np.abs(y - pred)))


def test_feature_importances_node(data, run):
    table = evaluation.feature_importances(data.catalog, [run.model["xgboost"]])
    assert (table["model"] == "xgboost").all()
    assert table["share"].sum() == pytest.approx(1.0)
    assert set(table["feature"]) <= set(data.setup.features)
    assert table["family"].notna().all()


def test_tune_model_runs_a_small_study(data, tmp_path):
    options = {**OPTIONS["xgboost"], "n_trials": 2, "tuning_rows": 300}
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    best, trials, _ = training.tune_model(
        data.model_input, data.panel, data.setup, storage, options
    )
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
    training.tune_model(data.model_input, data.panel, data.setup, storage, options)
    log_setup = data.setup.replace(target_transform="log1p")
    training.tune_model(data.model_input, data.panel, log_setup, storage, options)
    assert len(optuna.get_all_study_names(storage)) == 2


def test_leaderboard_scores_the_zero_forecast_on_the_same_rows(data, run):
    entry = run.leaderboard.set_index("model").loc["zero_forecast"]
    forecasts = run.holdout_forecasts
    rows = forecasts[(forecasts["model"] == "ensemble") & forecasts["scored"]]
    y = rows["y_true"].to_numpy()
    levels = np.array(data.setup.quantiles)
    assert entry["rows"] == len(rows) == 81
    assert entry["score"] == entry["wape"] == pytest.approx(1.0)
    assert entry["bias"] == 0.0
    # every quantile 0 under non-negative demand: pinball is level * y, averaged
    assert entry["pinball"] == pytest.approx(levels.mean() * y.mean())
    assert entry["coverage_80"] == pytest.approx(np.mean(y == 0))
    assert entry["fit_seconds"] == entry["predict_seconds"] == 0
    # RMSSE by its definition: per series sqrt(mean y^2 / naive MSE), revenue-weighted
    scales = series_scales(data.panel, data.protocol_origin, data.setup.horizon).table
    per_series = (
        pd.DataFrame({"series": rows["series_id"].astype(str), "y2": y**2})
        .groupby("series")["y2"]
        .mean()
    )
    ratio = np.sqrt(per_series / scales.loc[per_series.index, "mse_scale"])
    weight = scales.loc[per_series.index, "weight"]
    assert entry["rmsse"] == pytest.approx(float((ratio * weight).sum() / weight.sum()))
    mae_ratio = (levels.mean() * rows.groupby("series_id")["y_true"].mean()).rename(str)
    spl = mae_ratio / scales.loc[mae_ratio.index, "mae_scale"]
    expected = float((spl * scales.loc[spl.index, "weight"]).sum() / weight.sum())
    assert entry["scaled_pinball"] == pytest.approx(expected)


def test_leaderboard_warns_about_models_that_do_not_beat_the_floors(data, run, caplog):
    forecasts = run.holdout_forecasts.copy()
    wild = forecasts["model"] == "xgboost"
    forecasts.loc[wild, "y_pred"] *= 10
    with caplog.at_level(logging.WARNING, logger=evaluation.__name__):
        board = evaluation.leaderboard(
            forecasts, data.panel, data.setup, data.model_input, run.report
        )
    scores = board.set_index("model")["score"]
    assert scores["xgboost"] > scores["zero_forecast"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].startswith("Models that do not beat a floor on the holdout wape: ")
    assert "zero_forecast (1.0000): xgboost" in warnings[0]


def test_leaderboard_under_rmsse(data, run):
    setup = data.setup.replace(metric="rmsse")
    board = evaluation.leaderboard(
        run.holdout_forecasts, data.panel, setup, data.model_input, run.report
    )
    assert (board["metric"] == "rmsse").all()
    np.testing.assert_allclose(board["score"], board["rmsse"])
    assert board["score"].is_monotonic_increasing


# -- the headline chosen from the data ------------------------------------------------------


def _panel(demand: dict[str, list[float]], closed: dict[str, list[int]] | None = None):
    frames = []
    for series, raw in demand.items():
        values = np.asarray(raw, dtype=float)
        shut = np.zeros(len(values), dtype=bool)
        shut[(closed or {}).get(series, [])] = True
        frames.append(
            pd.DataFrame(
                {
                    "series_id": series,
                    "date": pd.date_range("2024-01-01", periods=len(values), freq="D"),
                    "demand": np.where(shut, 0.0, values),
                    "is_known": ~np.isnan(values),
                    "is_closed": shut,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


ORIGIN = pd.Timestamp("2024-04-09")  # day 100


def test_auto_headline_is_rmsse_on_a_mostly_zero_panel():
    days = np.arange(120)
    sparse = np.where(days % 5 == 0, 1.0, 0.0)  # one sale every fifth day: ADI 5
    panel = _panel({f"s{i}": sparse for i in range(4)})
    metric, reason, figures = choices.headline_choice("auto", panel, ORIGIN)
    assert metric == "rmsse"
    assert reason == (
        "80 % of known open periods are zero; 100 % of volume in intermittent/lumpy series "
        "(ADI >= 1.32)"
    )
    assert figures["zero_share"] == pytest.approx(0.8)
    assert figures["intermittent_series"] == figures["series"] == 4


def test_auto_headline_is_wape_on_a_smooth_panel_whatever_closures_and_gaps_say():
    days = np.arange(120)
    smooth = 10.0 + days % 3
    gappy = np.where(days % 11 == 0, np.nan, smooth)  # unknown days are not zero demand
    after = np.where(days > 99, 0.0, smooth)  # the holdout is never read
    panel = _panel(
        {"a": smooth, "b": gappy, "c": after},
        closed={"a": list(range(0, 120, 7))},  # closed days are not zero demand
    )
    metric, reason, figures = choices.headline_choice("auto", panel, ORIGIN)
    assert metric == "wape"
    assert figures["zero_share"] == 0.0
    assert reason == (
        "0 % of known open periods are zero (< 30 %); 0 % of volume in intermittent/lumpy "
        "series (ADI >= 1.32), not a majority: smooth enough for WAPE"
    )


def test_auto_headline_is_rmsse_when_most_volume_is_intermittent():
    days = np.arange(100)
    panel = _panel({"slow": np.ones(100), "bulky": np.where(days % 2 == 0, 50.0, 0.0)})
    metric, reason, figures = choices.headline_choice("auto", panel, ORIGIN)
    # a quarter of the periods are zero, but 2500 of 2600 units are in the ADI 2 series
    assert metric == "rmsse"
    assert reason.startswith("25 % of known open periods are zero; 96 % of volume")


def test_prepare_modeling_logs_and_records_the_chosen_headline(data, caplog):
    protocol = {**data.protocol, "metric": "auto"}
    mostly_zero = data.panel.copy()
    mostly_zero.loc[mostly_zero["date"].dt.day_of_week != 5, "demand"] = 0.0
    with caplog.at_level(logging.INFO, logger=choices.__name__):
        setup = choices.plan_setup(
            data.catalog,
            data.metadata,
            protocol,
            data.cross_validation,
            data.modeling,
            mostly_zero,
        )
    assert setup.metric == "rmsse"
    assert re.fullmatch(
        r"\d+ % of known open periods are zero; \d+ % of volume in intermittent/lumpy series "
        r"\(ADI >= 1.32\)",
        setup.metric_reason,
    )
    assert setup.metric_figures["zero_share"] >= 6 / 7 - 1e-9
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Headline")]
    assert lines == [f"Headline metric rmsse: {setup.metric_reason}"]

    named = choices.plan_setup(
        data.catalog, data.metadata, data.protocol, data.cross_validation, data.modeling, data.panel
    )
    assert named.metric == "wape"
    assert named.metric_reason.startswith("set in protocol.metric (")
    assert named.metric_reason.endswith("; auto would choose wape)")
    with pytest.raises(ValueError, match="protocol.metric 'mape' is not one of"):
        choices.plan_setup(
            data.catalog,
            data.metadata,
            {**data.protocol, "metric": "mape"},
            data.cross_validation,
            data.modeling,
        )


def test_tuning_and_cv_score_rmsse_with_each_folds_scales(data, caplog):
    setup = data.setup.replace(metric="rmsse")
    options = OPTIONS["seasonal_naive"]
    with caplog.at_level(logging.INFO, logger=training.__name__):
        cv = training.cross_validate(data.model_input, data.panel, setup, {}, options)
    rows = data.model_input.iloc[cv["row"].to_numpy()]
    for number, origin in enumerate(data.fold_origins, start=1):
        fold = (cv["fold"] == number).to_numpy()
        scales = series_scales(data.panel, origin, setup.horizon)
        expected = headline(
            "rmsse",
            rows["demand"].to_numpy()[fold],
            cv["pred"].to_numpy()[fold],
            series=rows["series_id"].to_numpy()[fold],
            scales=scales,
        )
        line = f"seasonal_naive fold {number} (origin {origin.date()}): rmsse {expected:.4f}"
        assert any(r.getMessage().startswith(line) for r in caplog.records), line


# -- the ensemble: never worse than its best member on the latest fold ----------------------


def _cv(data, predict) -> list[pd.DataFrame]:
    """Out-of-fold predictions on every fold's scored rows: ``predict(name, fold, y, lag)``."""
    rows = data.model_input
    frames = {}
    for number, origin in enumerate(data.fold_origins, start=1):
        positions = np.flatnonzero(((rows["origin"] == origin) & scored(rows, "open")).to_numpy())
        y = rows["demand"].to_numpy(dtype=float)[positions]
        lag = np.clip(rows["seasonal_lag_7"].to_numpy(dtype=float)[positions], 0, None)
        for name, pred in predict(number, y, lag).items():
            frames.setdefault(name, []).append(
                pd.DataFrame({"row": positions, "fold": number, "pred": pred, "model": name})
            )
    return [pd.concat(parts, ignore_index=True) for parts in frames.values()]


@pytest.mark.parametrize("metric", ["wape", "rmsse"])
def test_ensemble_falls_back_to_the_model_that_is_best_on_fold_1(data, metric, caplog):
    """``perfect`` is exact on fold 1 and far off on fold 2, so stacking over both folds mixes
    it with ``steady``: on fold 1 that mix is worse than ``perfect`` alone."""

    def predict(fold, y, lag):
        return {
            "perfect": y if fold == 1 else 3 * y + 5,
            "steady": 0.8 * y + 1,
            "seasonal_naive": lag,
        }

    setup = data.setup.replace(metric=metric)
    frames = _cv(data, predict)
    with caplog.at_level(logging.INFO, logger=training.__name__):
        weights = training.ensemble_weights(data.model_input, setup, data.panel, by_model(frames))
    assert weights == {"perfect": 1.0, "seasonal_naive": 0.0, "steady": 0.0}
    messages = [r.getMessage() for r in caplog.records]
    candidates = next(m for m in messages if m.startswith("Ensemble candidates on CV fold 1"))
    assert candidates.startswith(f"Ensemble candidates on CV fold 1 (origin 2023-09-30, {metric})")
    scores = dict(part.rsplit(" ", 1) for part in candidates.split("): ", 1)[1].split("; "))
    assert set(scores) == {
        "stacking",
        "average of perfect, steady, seasonal_naive",
        "perfect alone",
        "steady alone",
        "seasonal_naive alone",
    }
    assert float(scores["perfect alone"]) == 0.0
    assert float(scores["stacking"]) > 0.0
    chosen = next(m for m in messages if m.startswith("Ensemble: "))
    assert chosen.startswith(f"Ensemble: perfect alone (fold 1 {metric} 0.0000, bias 1.000")


def test_ensemble_keeps_stacking_when_it_beats_every_member_on_fold_1(data, caplog):
    """Over and under by 30 %: the half-half blend is exact, better than either model."""

    def predict(fold, y, lag):
        return {"over": 1.3 * y, "under": 0.7 * y, "seasonal_naive": lag}

    frames = _cv(data, predict)
    with caplog.at_level(logging.INFO, logger=training.__name__):
        weights = training.ensemble_weights(
            data.model_input, data.setup, data.panel, by_model(frames)
        )
    assert weights["over"] == pytest.approx(0.5, abs=1e-3)
    assert weights["under"] == pytest.approx(0.5, abs=1e-3)
    assert sum(weights.values()) == pytest.approx(1.0, abs=1e-5)
    chosen = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("Ensemble: "))
    assert chosen.startswith("Ensemble: stacking (fold 1 wape 0.00")


def test_ensemble_can_be_the_top_three_average(data, caplog):
    """On fold 1, a (+20 %), b and c (-10 % each) average to the truth; on fold 2 only d is
    right, so stacking over both folds leans on d, which is 50 % over on fold 1."""

    def predict(fold, y, lag):
        if fold == 1:
            return {"a": 1.2 * y, "b": 0.9 * y, "c": 0.9 * y, "d": 1.5 * y}
        return {"a": 2 * y, "b": 2 * y, "c": 2 * y, "d": y}

    frames = _cv(data, predict)
    with caplog.at_level(logging.INFO, logger=training.__name__):
        weights = training.ensemble_weights(
            data.model_input, data.setup, data.panel, by_model(frames)
        )
    assert weights == {"a": 0.333333, "b": 0.333333, "c": 0.333333, "d": 0.0}
    chosen = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("Ensemble: "))
    assert chosen.startswith("Ensemble: average of b, c, a (fold 1 wape 0.0000")


def test_whole_unit_quantiles_only_for_intermittent_counts():
    """Slow movers counted in units get whole-unit quantiles; smooth counts (covers) and
    sales values keep fractional ones."""

    def setup(demand: np.ndarray) -> dict:
        days = pd.date_range("2024-01-01", periods=len(demand))
        panel = pd.DataFrame(
            {
                "series_id": "A",
                "date": days,
                "demand": demand,
                "is_known": True,
                "is_observed": True,
                "is_closed": False,
            }
        )
        catalog = pd.DataFrame({"name": ["horizon", "lag_1"]})
        metadata = {
            "frequency": "D",
            "source": "t",
            "last_date": "2024-04-09",
            "first_date": "2024-01-01",
        }
        protocol = {"origin": "2024-03-31", "horizon": 7, "metric": "auto"}
        modeling = {
            "target_transform": "scale",
            "scoring": "open",
            "quantiles": [0.1, 0.9],
            "seed": 0,
        }
        return choices.plan_setup(
            catalog, metadata, protocol, {"n_folds": 1, "step": 7}, modeling, panel
        )

    rng = np.random.default_rng(0)
    assert setup(rng.poisson(0.3, 100).astype(float)).count_data
    assert not setup(rng.poisson(20.0, 100).astype(float)).count_data
    assert not setup(rng.poisson(0.3, 100) * 0.5).count_data  # intermittent sales value


def test_target_transform_auto_is_chosen_on_the_cv_folds_and_logged(data, caplog):
    """Base's ``auto``: each transform's probe model is scored on the latest CV folds; the
    best one is used, its reason names every candidate's score, and returns (negative
    demand) rule out log1p."""
    modeling = {
        **data.modeling,
        "target_transform": "auto",
        "transform_choice": {"folds": 2, "rows": 5000, "params": {"n_estimators": 30}},
    }
    args = (data.catalog, data.metadata, data.protocol, data.cross_validation, modeling)
    with caplog.at_level(logging.INFO, logger=choices.__name__):
        setup = choices.plan_setup(*args, data.panel, data.model_input)
    scores = setup.transform_scores
    assert set(scores) == {"log1p", "scale", "none"}
    assert setup.target_transform == min(scores, key=scores.get)
    assert all(np.isfinite(v) and v > 0 for v in scores.values())
    assert setup.transform_reason.startswith("best wape of a lightgbm probe on the latest 2")
    logged = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Target")]
    assert logged == [f"Target transform {setup.target_transform}: {setup.transform_reason}"]
    # the same inputs give the same choice and scores
    assert choices.plan_setup(*args, data.panel, data.model_input).transform_scores == scores

    # A transform whose total is off by more than the tolerance is passed over.
    biases = setup.transform_biases
    assert set(biases) == set(scores) and all(0.5 < b < 1.5 for b in biases.values())
    worst = max(biases, key=lambda t: abs(biases[t] - 1))
    tolerance = (
        abs(biases[worst] - 1) + max(abs(b - 1) for t, b in biases.items() if t != worst)
    ) / 2
    guarded = choices.plan_setup(
        *args[:4],
        {
            **modeling,
            "transform_choice": {**modeling["transform_choice"], "bias_tolerance": tolerance},
        },
        data.panel,
        data.model_input,
    )
    kept = {t: v for t, v in scores.items() if t != worst}
    assert guarded.target_transform == min(kept, key=kept.get)
    if scores[worst] < min(kept.values()):
        assert f"{worst} passed over: its total is off the actual by more than" in (
            guarded.transform_reason
        )

    with_returns = data.panel.copy()
    with_returns.loc[with_returns.index[:3], "demand"] = -2.0
    returns = choices.plan_setup(*args, with_returns, data.model_input)
    assert set(returns.transform_scores) == {"scale", "none"}
    assert returns.transform_reason.endswith("log1p left out: 3 negative demand values")

    with pytest.raises(ValueError, match="target_transform auto needs the model input"):
        choices.plan_setup(*args, data.panel)
    with pytest.raises(ValueError, match="modeling.target_transform 'sqrt': expected one of"):
        choices.plan_setup(*args[:4], {**modeling, "target_transform": "sqrt"}, data.panel)
