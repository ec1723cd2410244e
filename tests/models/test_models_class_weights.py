"""The ensemble's own weights per Syntetos-Boylan demand class: learned on the older CV folds,
kept only where fold 1 says they beat the run's weights, and applied the same way by the
training run's forecasts and by the forecaster bundle."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from inventory_optimization.models import training
from inventory_optimization.models.bundle import CLASS_COLUMN, blend, class_names
from inventory_optimization.models.cv import scored
from inventory_optimization.pipelines.modeling.nodes import build_forecaster_bundle

INTERMITTENT_STORE = "S01"  # its series are relabelled intermittent; S02's stay smooth


def _relabelled(data) -> pd.DataFrame:
    rows = data.model_input.copy()
    rows[CLASS_COLUMN] = np.where(rows["store_id"] == INTERMITTENT_STORE, 1.0, 0.0)
    return rows


def _cv(rows: pd.DataFrame, data, predict) -> dict[str, pd.DataFrame]:
    """Out-of-fold predictions of every fold's scored rows: ``predict(y, intermittent)``."""
    frames: dict[str, list[pd.DataFrame]] = {}
    for number, origin in enumerate(data.fold_origins, start=1):
        positions = np.flatnonzero(((rows["origin"] == origin) & scored(rows, "open")).to_numpy())
        y = rows["demand"].to_numpy(dtype=float)[positions]
        intermittent = (rows["store_id"].to_numpy() == INTERMITTENT_STORE)[positions]
        for name, pred in predict(y, intermittent).items():
            frames.setdefault(name, []).append(
                pd.DataFrame({"row": positions, "fold": number, "pred": pred, "model": name})
            )
    return {name: pd.concat(parts, ignore_index=True) for name, parts in frames.items()}


def _each_class_its_model(y: np.ndarray, intermittent: np.ndarray) -> dict[str, np.ndarray]:
    """``a`` exact on the intermittent series and 50 % over on the smooth, ``b`` the reverse."""
    return {"a": np.where(intermittent, y, 1.5 * y), "b": np.where(intermittent, 1.5 * y, y)}


def test_a_class_gets_weights_of_its_own_where_the_run_s_are_wrong_for_it(data, caplog):
    """``a`` is exact on the intermittent series and 50 % over on the smooth ones, ``b`` the
    other way round, on every fold. The run's weights lean on ``b`` (exact on the smooth
    series, which hold more volume); the intermittent series get ``a``."""
    rows = _relabelled(data)
    cv = _cv(rows, data, _each_class_its_model)
    weights = training.ensemble_weights(rows, data.setup, data.panel, cv)
    assert weights["b"] == pytest.approx(1.0, abs=1e-4)
    with caplog.at_level(logging.INFO, logger=training.__name__):
        own = training.class_weights(rows, data.setup, data.panel, cv, weights, {"min_rows": 10})
    assert set(own) == {"intermittent"}
    assert own["intermittent"]["a"] == pytest.approx(1.0, abs=1e-4)
    lines = [r.getMessage() for r in caplog.records if "by demand class" in r.getMessage()]
    assert [line.rsplit(": ", 1)[1] for line in lines] == [
        "not kept (it must be 1% lower)",
        "kept",
    ]
    assert lines[1].startswith("Ensemble by demand class: intermittent series' rows (39 on")
    assert " wape 0.0000 against " in lines[1]

    # The run's forecasts blend each class with its weights: exact on every fold-1 row.
    fold_1 = {name: frame[frame["fold"] == 1] for name, frame in cv.items()}
    mixed = training.combine(list(fold_1.values()), weights, rows, data.setup, own)
    actual = rows["demand"].to_numpy(dtype=float)[mixed["row"].to_numpy()]
    np.testing.assert_allclose(mixed["pred"], actual, rtol=1e-6, atol=1e-9)
    overall = training.combine(list(fold_1.values()), weights, rows, data.setup)
    assert np.abs(overall["pred"] - actual).sum() > 0.05 * actual.sum()  # wape 0.0812


def test_no_class_keeps_weights_that_do_not_beat_the_run_s(data):
    """Both models are off by the same factor everywhere: the run's stacking is already
    exact, so no class's weights can do better."""
    rows = _relabelled(data)
    cv = _cv(rows, data, lambda y, _: {"a": 1.1 * y, "b": 0.7 * y})
    weights = training.ensemble_weights(rows, data.setup, data.panel, cv)
    assert training.class_weights(rows, data.setup, data.panel, cv, weights, {"min_rows": 10}) == {}


def test_classes_with_few_rows_or_the_switch_off_are_left_alone(data):
    rows = _relabelled(data)
    cv = _cv(rows, data, _each_class_its_model)
    weights = training.ensemble_weights(rows, data.setup, data.panel, cv)
    assert (
        training.class_weights(rows, data.setup, data.panel, cv, weights, {"min_rows": 10**6}) == {}
    )
    # A gain smaller than min_gain (a share of the run's fold-1 score) is not taken.
    assert (
        training.class_weights(
            rows, data.setup, data.panel, cv, weights, {"min_rows": 10, "min_gain": 1.0}
        )
        == {}
    )
    off = {"enabled": False, "min_rows": 10}
    assert training.class_weights(rows, data.setup, data.panel, cv, weights, off) == {}
    one_fold = data.setup.replace(fold_origins=data.setup.fold_origins[:1])
    assert training.class_weights(rows, one_fold, data.panel, cv, weights, {"min_rows": 10}) == {}


def test_blend_uses_a_class_s_own_weights_on_its_rows_only(data):
    rows = _relabelled(data).iloc[:50]
    predictions = pd.DataFrame({"a": np.full(50, 2.0), "b": np.full(50, 4.0)}, index=rows.index)
    setup = data.setup.replace(target_transform="none")
    point = blend(predictions, {"a": 0.5, "b": 0.5}, rows, setup, {"intermittent": {"a": 1.0}})
    intermittent = (rows["store_id"] == INTERMITTENT_STORE).to_numpy()
    closed = rows["is_closed"].to_numpy()
    np.testing.assert_allclose(point[intermittent & ~closed], 2.0)
    np.testing.assert_allclose(point[~intermittent & ~closed], 3.0)


def test_the_bundle_forecasts_with_the_class_weights_as_training_did(data, run):
    """Every class of the fixture gets XGBoost alone, the smooth ones seasonal naive alone."""
    present = set(class_names(data.model_input))
    assert {"smooth", "intermittent"} <= present
    own = {
        c: {"xgboost": float(c != "smooth"), "seasonal_naive": float(c == "smooth")}
        for c in present
    }
    assembled = training.assemble_forecasts(
        data.model_input, data.setup, run.weights, run.cv, run.holdout, run.live, own
    )
    bundle = build_forecaster_bundle(
        data.setup,
        data.metadata,
        data.transforms,
        data.features,
        run.weights,
        assembled.calibration,
        own,
        **run.model,
    )
    assert bundle.class_weights == own
    forecast = bundle.predict(data.panel, data.attributes)
    pd.testing.assert_frame_equal(forecast, assembled.live, check_dtype=False)
    live_rows = data.model_input.iloc[run.live["xgboost"]["row"].to_numpy()]
    smooth = class_names(live_rows) == "smooth"
    expected = np.where(smooth, run.live["seasonal_naive"]["pred"], run.live["xgboost"]["pred"])
    np.testing.assert_allclose(forecast["y_pred"], expected, rtol=1e-6)
