"""Croston (classic, SBA) and TSB: hand-computed states on tiny histories, NaN periods skipped,
obsolescence, flat forecasts from the origin's state only, and the forecaster interface on the
small synthetic model input."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from inventory_optimization.models import FORECASTERS, ForecastContext, make_forecaster, training
from inventory_optimization.models.base import Forecaster
from inventory_optimization.models.intermittent import (
    CrostonForecaster,
    TSBForecaster,
    croston_state,
    tsb_state,
)
from inventory_optimization.models.metrics import wape

NAN = np.nan
DATES = pd.date_range("2024-01-01", periods=30, freq="D")
CONF = Path(__file__).resolve().parents[2] / "conf" / "base" / "parameters_modeling.yml"


def _column(values) -> np.ndarray:
    return np.asarray(values, dtype="float64")[:, None]


def _panel(series: dict[str, list[float]]) -> pd.DataFrame:
    """A daily panel from the first date; NaN demand is a closed day."""
    frames = []
    for name, values in series.items():
        demand = np.asarray(values, dtype="float64")
        closed = np.isnan(demand)
        frames.append(
            pd.DataFrame(
                {
                    "series_id": name,
                    "date": DATES[: len(demand)],
                    "demand": np.where(closed, 0.0, demand),
                    "is_observed": True,
                    "is_closed": closed,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _rows(series: list[str], origin: pd.Timestamp, horizon: int = 3) -> pd.DataFrame:
    steps = np.arange(1, horizon + 1)
    return pd.DataFrame(
        {
            "series_id": np.repeat(series, horizon),
            "origin": origin,
            "horizon": np.tile(steps, len(series)),
            "date": origin + pd.to_timedelta(np.tile(steps, len(series)), unit="D"),
        }
    )


def _predict(model: Forecaster, panel: pd.DataFrame, rows: pd.DataFrame) -> np.ndarray:
    context = ForecastContext(features=[], panel=panel, n_jobs=1)
    return model.fit(rows, context).predict(rows, context)


# --- the filters on tiny histories ------------------------------------------------------------


def test_croston_states_by_hand():
    demand = [0, 0, 3, 0, 0, 0, 2, 0, 1]
    state = croston_state(_column(demand), alpha=0.5)
    size, interval = state.size[:, 0], state.interval[:, 0]
    assert np.isnan(size[:2]).all() and np.isnan(interval[:2]).all()
    # First demand on the third known period: size 3, interval 3.
    np.testing.assert_array_equal(size[2:6], 3.0)
    np.testing.assert_array_equal(interval[2:6], 3.0)
    # Demand 2 four periods later: 0.5 * 2 + 0.5 * 3, 0.5 * 4 + 0.5 * 3.
    assert size[6] == 2.5 and interval[6] == 3.5
    # Demand 1 two periods later: 0.5 * 1 + 0.5 * 2.5, 0.5 * 2 + 0.5 * 3.5.
    assert size[8] == 1.75 and interval[8] == 2.75
    # A separate interval constant: 0.25 * 4 + 0.75 * 3.
    other = croston_state(_column(demand), alpha=0.5, alpha_interval=0.25)
    assert other.size[6, 0] == 2.5 and other.interval[6, 0] == 3.25


def test_croston_sba_factor_and_classic_exactly():
    panel = _panel({"A": [0, 0, 3, 0, 0, 0, 2]})
    rows = _rows(["A"], DATES[6])
    classic = _predict(CrostonForecaster(alpha=0.5, variant="classic"), panel, rows)
    sba = _predict(CrostonForecaster(alpha=0.5, variant="sba"), panel, rows)
    default = _predict(CrostonForecaster(alpha=0.5), panel, rows)
    np.testing.assert_allclose(classic, 2.5 / 3.5, rtol=1e-15)
    np.testing.assert_allclose(sba, (1 - 0.5 / 2) * 2.5 / 3.5, rtol=1e-15)
    np.testing.assert_array_equal(default, sba)
    split = _predict(CrostonForecaster(alpha=0.5, alpha_interval=0.25), panel, rows)
    np.testing.assert_allclose(split, (1 - 0.25 / 2) * 2.5 / 3.25, rtol=1e-15)
    with pytest.raises(ValueError, match="variant"):
        _predict(CrostonForecaster(variant="tsb"), panel, rows)


def test_tsb_states_by_hand_and_decay_after_a_run_of_zeros():
    demand = [0, 3] + [0] * 20
    state = tsb_state(_column(demand), alpha=0.5, beta=0.2)
    size, probability = state.size[:, 0], state.probability[:, 0]
    assert np.isnan(size[0]) and np.isnan(probability[0])
    # First demand on the second known period: size 3, probability 1 / 2.
    assert size[1] == 3.0 and probability[1] == 0.5
    zeros = np.arange(1, 21)
    np.testing.assert_allclose(probability[2:], 0.5 * 0.8**zeros, rtol=1e-12)
    np.testing.assert_array_equal(size[2:], 3.0)
    # A later demand: probability 0.2 + 0.8 p, size 0.5 * 5 + 0.5 * 3.
    later = tsb_state(_column([0, 3, 0, 5]), alpha=0.5, beta=0.2)
    assert later.size[3, 0] == 4.0
    assert later.probability[3, 0] == pytest.approx(0.2 + 0.8 * 0.4)

    panel = _panel({"A": demand})
    forecasts = [
        _predict(TSBForecaster(alpha=0.5, beta=0.2), panel, _rows(["A"], DATES[t]))[0]
        for t in range(1, len(demand))
    ]
    assert forecasts[0] == 1.5
    assert (np.diff(forecasts) < 0).all()  # obsolescence: each zero lowers the forecast
    assert forecasts[-1] == pytest.approx(1.5 * 0.8**20) and forecasts[-1] < 0.02
    # Croston keeps its forecast over the same run of zeros.
    croston = [
        _predict(CrostonForecaster(alpha=0.5), panel, _rows(["A"], DATES[t]))[0]
        for t in (1, len(demand) - 1)
    ]
    assert croston[0] == croston[1] == pytest.approx(0.75 * 3 / 2)


def test_unknown_periods_are_skipped_not_counted_as_zeros():
    with_gaps = [0, NAN, 0, 3, NAN, NAN, 0, 2]
    without = [0, 0, 3, 0, 2]
    gaps = croston_state(_column(with_gaps), alpha=0.5)
    plain = croston_state(_column(without), alpha=0.5)
    kept = ~np.isnan(with_gaps)
    np.testing.assert_array_equal(gaps.size[kept], plain.size)
    np.testing.assert_array_equal(gaps.interval[kept], plain.interval)
    # The state carries over an unknown period unchanged.
    np.testing.assert_array_equal(gaps.size[4:6, 0], gaps.size[3, 0])
    assert gaps.interval[7, 0] == 0.5 * 2 + 0.5 * 3

    tsb_gaps = tsb_state(_column([0, 3, NAN, NAN, NAN, 0]), alpha=0.5, beta=0.2)
    np.testing.assert_array_equal(tsb_gaps.probability[1:5, 0], 0.5)
    assert tsb_gaps.probability[5, 0] == pytest.approx(0.4)  # one zero, not four

    # Through the forecasters: closed days in the panel are gaps.
    panel = _panel({"gaps": with_gaps, "plain": without + [NAN] * 3})
    at_gaps = _predict(CrostonForecaster(alpha=0.5), panel, _rows(["gaps"], DATES[7]))
    at_plain = _predict(CrostonForecaster(alpha=0.5), panel, _rows(["plain"], DATES[4]))
    np.testing.assert_array_equal(at_gaps, at_plain)


@pytest.mark.parametrize("cls", [CrostonForecaster, TSBForecaster])
def test_no_demand_forecasts_zero_and_no_history_nan(cls):
    panel = _panel({"zeros": [0.0] * 10, "late": [NAN] * 8 + [4.0, 0.0], "sold": [0, 2] * 5})
    origin = DATES[5]
    predictions = _predict(
        cls(alpha=0.3, beta=0.1), panel, _rows(["zeros", "late", "sold"], origin)
    )
    np.testing.assert_array_equal(predictions[:3], 0.0)
    # Nothing known up to the origin (or a series the panel never saw): NaN, as ETS gives,
    # filled by the modeling node like any missing forecast.
    assert np.isnan(predictions[3:6]).all()
    assert (predictions[6:] > 0).all()
    unseen = _predict(cls(), panel, _rows(["other"], origin))
    before = _predict(cls(), panel, _rows(["sold"], DATES[0] - pd.Timedelta(days=3)))
    assert np.isnan(unseen).all() and np.isnan(before).all()


@pytest.mark.parametrize("cls", [CrostonForecaster, TSBForecaster])
def test_flat_over_the_horizon_and_blind_after_the_origin(cls, rng):
    names = [f"S{i}" for i in range(5)]
    demand = {n: list(rng.poisson(0.6, 30) * rng.integers(1, 5, 30)) for n in names}
    panel = _panel(demand)
    origins = [DATES[12], DATES[20]]
    rows = pd.concat([_rows(names, o, horizon=7) for o in origins], ignore_index=True)
    model = cls(alpha=0.2, beta=0.1)
    predictions = _predict(model, panel, rows)
    assert np.isfinite(predictions).all()
    per_origin = pd.Series(predictions).groupby([rows["origin"], rows["series_id"]])
    assert (per_origin.nunique() == 1).all()
    # Several origins at once agree with each origin alone, and with shuffled rows.
    for origin in origins:
        mask = (rows["origin"] == origin).to_numpy()
        np.testing.assert_array_equal(predictions[mask], _predict(model, panel, rows[mask]))
    order = rng.permutation(len(rows))
    np.testing.assert_array_equal(_predict(model, panel, rows.iloc[order]), predictions[order])
    # Demand after the origin (and a longer panel) changes nothing.
    later = panel["date"] > DATES[12]
    changed = panel.copy()
    changed.loc[later, "demand"] = changed.loc[later, "demand"] * 10 + 7
    early = (rows["origin"] == DATES[12]).to_numpy()
    np.testing.assert_array_equal(_predict(model, changed, rows[early]), predictions[early])
    cut = _predict(model, panel[~later], rows[early])
    np.testing.assert_array_equal(cut, predictions[early])


# --- the interface on the synthetic model input -------------------------------------------------


PARAMS = {
    CrostonForecaster: {"alpha": 0.1, "variant": "sba"},
    TSBForecaster: {"alpha": 0.1, "beta": 0.05},
}


def test_registered_and_configured():
    assert FORECASTERS["croston"] is CrostonForecaster
    assert FORECASTERS["tsb"] is TSBForecaster
    conf = yaml.safe_load(CONF.read_text())
    for name in ("croston", "tsb"):
        options = conf[name]["model_options"]
        assert options["name"] == name and options["n_trials"] > 0
        assert isinstance(make_forecaster(name, options.get("fixed")), FORECASTERS[name])


@pytest.mark.parametrize("cls", [CrostonForecaster, TSBForecaster], ids=["croston", "tsb"])
def test_fits_predicts_and_survives_pickle(data, train, target, cls):
    context = data.context()
    model = cls(**PARAMS[cls])
    assert isinstance(model, Forecaster)
    assert model.fit(train, context) is model
    predictions = model.predict(target, context)
    assert isinstance(predictions, np.ndarray) and predictions.shape == (len(target),)
    assert np.isfinite(predictions).all() and (predictions >= 0).all()
    open_rows = ~target["is_closed"].to_numpy()
    assert wape(target["demand"].to_numpy()[open_rows], predictions[open_rows]) < 0.8
    # Raw demand scale whatever the target transform.
    for transform in ("log1p", "scale", "none"):
        np.testing.assert_array_equal(model.predict(target, data.context(transform)), predictions)
    restored = pickle.loads(pickle.dumps(model))
    assert restored.params == model.params
    np.testing.assert_array_equal(restored.predict(target, context), predictions)


@pytest.mark.parametrize("name", ["croston", "tsb"])
def test_runs_through_the_training_loop(data, tmp_path, name):
    options = yaml.safe_load(CONF.read_text())[name]["model_options"]
    options = {**options, "n_trials": 2}
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    rows, panel, setup = data.model_input, data.panel, data.setup
    best, trials, _ = training.tune_model(rows, panel, setup, storage, options)
    assert set(best) == set(options["search_space"]) and len(trials) == 2
    cv = training.cross_validate(rows, panel, setup, best, options)
    assert np.isfinite(cv["pred"]).all() and (cv["model"] == name).all()
    fitted = training.fit_and_forecast(rows, panel, setup, best, options)
    model, holdout, live = fitted.model, fitted.holdout, fitted.live
    assert isinstance(model, FORECASTERS[name])
    assert np.isfinite(holdout["pred"]).all() and np.isfinite(live["pred"]).all()
    assert fitted.report["model"] == name
