"""Which rows the model input holds: daily and weekly frequency, gaps and closures, series
that start late or end early, live rows after the panel's end; forecast and fold origins; the
two pipeline nodes with the shipped parameters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from inventory_optimization.features import fold_origins, forecast_origins
from inventory_optimization.pipelines.feature_engineering import nodes

CONF = Path(__file__).resolve().parents[2] / "conf" / "base"


def _counts(model_input: pd.DataFrame) -> dict[tuple[str, str], int]:
    sizes = model_input.groupby(["series_id", "origin"], observed=True).size()
    return {(s, o.strftime("%Y-%m-%d")): int(n) for (s, o), n in sizes.items()}


def _check_keys(model_input: pd.DataFrame, period: pd.Timedelta) -> None:
    assert not model_input.duplicated(["series_id", "origin", "horizon"]).any()
    offset = model_input["date"] - model_input["origin"]
    assert (offset == model_input["horizon"].astype("int64") * period).all()


# --- daily --------------------------------------------------------------------------------------
def test_daily_rows_per_series_and_origin(daily):
    _check_keys(daily.model_input, pd.Timedelta(days=1))
    counts = _counts(daily.model_input)
    origins = ["2024-01-17", "2024-01-31", "2024-02-07", "2024-02-15", "2024-02-29"]
    for series_id in ["a", "b", "c", "e", "g", "l"]:
        assert [counts[(series_id, o)] for o in origins] == [14] * 5
    # late starts on Jan 20: from origin Jan 17 only h = 3..14.
    assert [counts[("late", o)] for o in origins] == [12, 14, 14, 14, 14]
    # dead ends on Feb 20: 13 rows from Feb 7, 5 from Feb 15 (Feb 16..20), none live.
    assert [counts.get(("dead", o), 0) for o in origins] == [14, 14, 13, 5, 0]
    assert len(daily.model_input) == 6 * 70 + 68 + 46


def test_a_series_starting_after_the_origin_gets_rows_from_its_first_date(daily):
    rows = daily.rows("late", "2024-01-17")
    assert rows["horizon"].tolist() == list(range(3, 15))
    assert rows["date"].min() == pd.Timestamp("2024-01-20")
    assert rows["demand"].eq(5.0).all()
    # Nothing of it is known at the origin.
    for name in ["lag_1", "rolling_mean_7", "ewm_7", "seasonal_lag_7", "periods_since_observed"]:
        assert rows[name].isna().all(), name


def test_a_series_ending_before_the_panel_end_gets_no_live_rows(daily):
    rows = daily.rows("dead", "2024-02-15")
    assert rows["date"].max() == pd.Timestamp("2024-02-20")
    assert rows["demand"].eq(3.0).all()
    assert daily.rows("dead", "2024-02-29").empty


def test_gap_and_closed_targets_keep_their_flags(daily):
    rows = daily.rows("g", "2024-01-17").set_index("date")  # targets Jan 18..31
    assert rows.loc["2024-01-30":"2024-01-31", "demand"].isna().all()
    assert not rows.loc["2024-01-30":"2024-01-31", "is_observed"].any()
    assert rows.loc["2024-01-29", "demand"] == 29.0
    assert rows.loc["2024-01-29", "is_observed"]
    closed = daily.rows("b", "2024-01-17").set_index("date").loc["2024-01-29"]
    assert closed["is_closed"]
    assert closed["demand"] == 0.0
    # Once observed again the history is fresh.
    assert daily.value("g", "2024-02-07", "periods_since_observed") == 0.0
    assert daily.value("g", "2024-02-07", "lag_7") == 32.0


def test_live_rows_after_the_panel_end(daily):
    rows = daily.rows("a", "2024-02-29")
    assert rows["date"].tolist() == list(pd.date_range("2024-03-01", "2024-03-14"))
    assert rows["demand"].isna().all()
    assert not rows["is_observed"].any()
    assert not rows["is_closed"].any()
    # a's last day had promo 1 and price 9.5: promo follows future_fill (0), price is carried.
    assert rows["promo"].eq(0.0).all()
    assert rows["price"].eq(9.5).all()
    # Features from the history are there: lag_1 is Feb 29 (position 59).
    assert rows["lag_1"].eq(60.0).all()
    assert rows["rolling_mean_7"].eq(57.0).all()
    live = daily.model_input[daily.model_input["origin"] == "2024-02-29"]
    assert sorted(live["series_id"].unique()) == ["a", "b", "c", "e", "g", "l", "late"]
    assert live["demand"].isna().all()


def test_live_rows_carry_a_known_covariate_without_future_fill(daily, kit):
    """Without an entry in future_fill even promo is carried forward."""
    params = {**kit.daily_params, "future_fill": {}}
    case = kit.build_case(
        daily.panel,
        daily.metadata,
        params,
        pd.DatetimeIndex(["2024-02-29"]),
        3,
        pd.Timestamp("2024-01-31"),
    )
    rows = case.rows("a", "2024-02-29")
    assert rows["promo"].tolist() == [1.0, 1.0, 1.0]
    assert rows["price"].tolist() == [9.5, 9.5, 9.5]


# --- weekly -------------------------------------------------------------------------------------
def test_weekly_rows(weekly):
    _check_keys(weekly.model_input, pd.Timedelta(weeks=1))
    assert (weekly.model_input["date"].dt.day_of_week == 4).all()  # W-FRI
    counts = _counts(weekly.model_input)
    assert counts[("w1", "2012-03-30")] == counts[("w2", "2012-06-29")] == 13
    assert ("w3", "2012-03-30") not in counts  # starts after every target date
    assert weekly.rows("w3", "2012-06-29")["horizon"].tolist() == list(range(3, 14))
    live = weekly.rows("w1", "2012-10-05")
    assert live["date"].tolist() == list(pd.date_range("2012-10-12", periods=13, freq="W-FRI"))
    assert live["demand"].isna().all()
    assert live["promo"].eq(0.0).all()
    assert live["lag_1"].eq(140.0).all()


# --- origins -----------------------------------------------------------------------------------
def test_fold_origins_step_back_from_the_protocol_origin():
    folds = fold_origins(pd.Timestamp("2024-12-01"), "D", 3, 28)
    assert folds == [pd.Timestamp(d) for d in ("2024-11-03", "2024-10-06", "2024-09-08")]
    weekly = fold_origins("2012-07-27", "W-FRI", 3, 13)
    assert weekly == [pd.Timestamp(d) for d in ("2012-04-27", "2012-01-27", "2011-10-28")]
    assert fold_origins("2012-07-27", "W-FRI", 0, 13) == []


def test_forecast_origins_daily():
    protocol = pd.Timestamp("2024-12-01")
    folds = fold_origins(protocol, "D", 3, 28)
    panel_end = pd.Timestamp("2024-12-29")
    origins = forecast_origins(panel_end, protocol, "D", 7, 52, folds)
    assert len(origins) == 53  # the folds lie on the weekly grid already
    assert origins.is_monotonic_increasing
    assert origins[0] == pd.Timestamp("2023-12-10")  # 51 weeks before the protocol origin
    assert (np.diff(origins[:-1]) == np.timedelta64(7, "D")).all()
    assert origins[-2] == protocol
    assert origins[-1] == panel_end  # the live origin
    assert set(folds) <= set(origins)
    assert all(f < protocol for f in folds)


def test_forecast_origins_add_fold_origins_off_the_grid():
    protocol = pd.Timestamp("2012-07-27")
    folds = fold_origins(protocol, "W-FRI", 2, 60)  # 120 weeks back: before the 4 history
    origins = forecast_origins(pd.Timestamp("2012-10-26"), protocol, "W-FRI", 1, 4, folds)
    expected = [*folds[::-1], *pd.date_range("2012-07-06", "2012-07-27", freq="W-FRI")]
    assert list(origins) == [*expected, pd.Timestamp("2012-10-26")]


def test_build_rejects_origins_off_the_panel_dates(daily):
    from inventory_optimization.features import build_model_input

    with pytest.raises(ValueError, match="not on the panel's dates"):
        build_model_input(
            daily.panel,
            daily.attributes,
            daily.metadata,
            daily.transforms,
            pd.DatetimeIndex(["2023-12-01"]),
            7,
            daily.params,
        )


# --- the nodes with the shipped parameters ------------------------------------------------------
@pytest.fixture(scope="module")
def shipped() -> dict:
    features = yaml.safe_load((CONF / "parameters_feature_engineering.yml").read_text())
    evaluation = yaml.safe_load((CONF / "parameters_evaluation.yml").read_text())
    return {**features, **evaluation}


@pytest.fixture(scope="module")
def node_outputs(shipped):
    rng = np.random.default_rng(7)
    dates = pd.date_range("2023-01-01", "2024-12-29")
    frames = []
    for i, series_id in enumerate(["s1", "s2", "s3"]):
        weekday = 1 + 0.3 * (dates.day_of_week >= 5)
        frame = pd.DataFrame(
            {
                "series_id": series_id,
                "store_id": f"S{i}",
                "date": dates,
                "demand": rng.poisson(5 * (i + 1) * weekday).astype(float),
                "promo": (rng.random(len(dates)) < 0.1).astype(float),
                "price": 10.0,
                "temperature": rng.normal(20, 5, len(dates)),
                "is_observed": True,
                "is_closed": False,
                "is_outlier": False,
            }
        )
        frames.append(frame)
    panel = pd.concat(frames, ignore_index=True)
    attributes = pd.DataFrame({"series_id": ["s1", "s2", "s3"], "store_type": ["A", "B", "A"]})
    metadata = {
        "frequency": "D",
        "keys": ["store_id"],
        "known_covariates": ["promo", "price"],
        "past_covariates": ["temperature"],
        "country": "PE",
    }
    transforms = nodes.fit_feature_transforms(
        panel,
        attributes,
        metadata,
        shipped["protocol"],
        shipped["cross_validation"],
        shipped["features"],
    )
    model_input, catalog = nodes.build_features(
        panel,
        attributes,
        metadata,
        transforms,
        shipped["protocol"],
        shipped["cross_validation"],
        shipped["features"],
    )
    return transforms, model_input, catalog


def test_nodes_fit_on_data_up_to_the_earliest_fold(node_outputs):
    transforms, _, _ = node_outputs
    # protocol origin 2024-12-01, 3 folds 28 days apart.
    assert transforms.cutoff == pd.Timestamp("2024-09-08")
    assert transforms.frequency == "D"


def test_nodes_build_every_origin_with_the_shipped_settings(node_outputs):
    _, model_input, catalog = node_outputs
    origins = pd.DatetimeIndex(sorted(model_input["origin"].unique()))
    assert len(origins) == 53
    assert origins[0] == pd.Timestamp("2023-12-10")
    assert origins[-1] == pd.Timestamp("2024-12-29")  # the live origin
    for fold in ("2024-11-03", "2024-10-06", "2024-09-08", "2024-12-01"):
        assert pd.Timestamp(fold) in origins
    assert model_input["horizon"].max() == 28
    assert len(model_input) == 3 * 53 * 28
    _check_keys(model_input, pd.Timedelta(days=1))
    for name in ["lag_28", "seasonal_lag_364", "rolling_median_91", "ewm_28", "diff_7",
                 "zero_share_91", "is_public_holiday", "promo_x_day_of_week",
                 "store_type_code", "series_stl_seasonal_strength"]:  # fmt: skip
        assert name in model_input.columns, name
        assert name in set(catalog["name"]), name
    live = model_input[model_input["origin"] == origins[-1]]
    assert live["demand"].isna().all()
    assert live["promo"].eq(0).all()
