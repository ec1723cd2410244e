"""The training loop of one model family and of the ensemble, on the model input table.

For each model: tune on the CV folds (``tune_model``), predict every fold's scored rows out of
fold (``cross_validate``), refit before the protocol origin and forecast the holdout, refit on
everything and forecast the live horizon (``fit_and_forecast``). Then the ensemble: weights
judged on the latest fold (``ensemble_weights``), and every model's and the ensemble's
forecasts with quantiles calibrated on their out-of-fold residuals (``assemble_forecasts``).

Predictions travel as small frames of model input positions (``row``), ``pred``, ``model``
(and ``fold`` out of fold), so each model's steps stay independent until the ensemble.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..features.profile import DEMAND_CLASSES
from ..panel.contract import DEMAND
from . import FORECASTERS, ForecastContext, make_forecaster
from .bundle import (
    CLASS_COLUMN,
    ENSEMBLE,
    Calibration,
    ClassWeights,
    blend,
    class_names,
    finalize,
    forecast_table,
    key_columns,
    to_target_space,
)
from .cv import folds, scored, training_rows
from .ensemble import best_candidate, candidate_weights, stacking_weights
from .metrics import bias
from .setup import ModelingSetup
from .tuning import content_fingerprint, study_name, tune, without_count_objectives

logger = logging.getLogger(__name__)


def sample_rows(positions: np.ndarray, limit: int | None, seed: int) -> np.ndarray:
    """At most ``limit`` of ``positions``, drawn with ``seed`` and kept in order."""
    if limit and len(positions) > limit:
        rng = np.random.default_rng(seed)
        return np.sort(rng.choice(positions, size=int(limit), replace=False))
    return positions


@dataclass(frozen=True)
class Fitted:
    """A model fitted on some rows and its forecast of others, with the time each took."""

    model: Any
    rows: pd.DataFrame
    point: np.ndarray
    fit_seconds: float
    predict_seconds: float


def fit_predict(  # noqa: PLR0913 - the model, its rows and the run's setup
    name: str,
    params: Mapping[str, Any],
    model_input: pd.DataFrame,
    train: np.ndarray,
    target: np.ndarray,
    context: ForecastContext,
    setup: ModelingSetup,
) -> Fitted:
    """Fit a fresh ``name`` model on the ``train`` positions and forecast the ``target``
    positions (finished: closed periods zero, non-negative where demand is)."""
    started = time.perf_counter()
    model = make_forecaster(name, dict(params)).fit(model_input.iloc[train], context)
    fit_seconds = time.perf_counter() - started
    rows = model_input.iloc[target]
    started = time.perf_counter()
    point = finalize(model.predict(rows, context), rows, setup.non_negative)
    return Fitted(model, rows, point, fit_seconds, time.perf_counter() - started)


def tune_model(
    model_input: pd.DataFrame,
    demand_panel: pd.DataFrame,
    setup: ModelingSetup,
    optuna_storage: Any,
    options: Mapping[str, Any],
) -> tuple[dict[str, Any], pd.DataFrame, dict[str, float]]:
    """Optuna search over the model's space on the CV folds (training rows subsampled to
    ``options.tuning_rows``): the best parameters, the trials and parameter importances.

    The study is named by what it optimizes and on which data, so a rerun on the same data
    resumes it and a change of data or objective starts a new one."""
    name = options["name"]
    options = without_count_objectives(dict(options), setup.intermittent, name)
    context = setup.context(demand_panel)
    fold_rows = {
        number: (sample_rows(train, options.get("tuning_rows"), setup.seed), valid)
        for number, _, train, valid in folds(model_input, setup.origins, setup.scoring)
    }
    fold_scales = {
        number: setup.scales(demand_panel, origin)
        for number, origin in enumerate(setup.origins, start=1)
    }

    def evaluate_fold(params: dict, fold: int) -> float:
        train, valid = fold_rows[fold]
        fitted = fit_predict(name, params, model_input, train, valid, context, setup)
        return setup.score(fitted.rows, fitted.point, fold_scales[fold])

    fingerprint = {
        "version": FORECASTERS[name].version,
        "objective": [setup.target_transform, setup.metric, setup.scoring, setup.seed],
        "rows": len(model_input),
        "folds": list(setup.fold_origins),
        "features": len(setup.features),
        "tuning_rows": options.get("tuning_rows"),
        "fixed": options.get("fixed"),
    }
    tuned = np.unique(np.concatenate([np.concatenate(pair) for pair in fold_rows.values()]))
    data = content_fingerprint(model_input, [DEMAND, *setup.features], tuned)
    best, trials, importances = tune(
        name,
        options,
        evaluate_fold,
        len(setup.origins),
        optuna_storage,
        study_name(name, options.get("search_space") or {}, fingerprint, data),
        setup.seed,
    )
    logger.info("%s: best parameters %s", name, best)
    return best, trials, importances


def cross_validate(
    model_input: pd.DataFrame,
    demand_panel: pd.DataFrame,
    setup: ModelingSetup,
    params: Mapping[str, Any],
    options: Mapping[str, Any],
) -> pd.DataFrame:
    """Out-of-fold predictions (``row``, ``fold``, ``pred``, ``model``) of the model with
    ``params`` on every fold's scored rows."""
    name = options["name"]
    context = setup.context(demand_panel)
    frames = []
    for number, origin, fold_train, valid in folds(model_input, setup.origins, setup.scoring):
        train = sample_rows(fold_train, options.get("max_train_rows"), setup.seed)
        fitted = fit_predict(name, params, model_input, train, valid, context, setup)
        logger.info(
            "%s fold %d (origin %s): %s %.4f on %d rows (%.1f s)",
            name,
            number,
            origin.date(),
            setup.metric,
            setup.score(fitted.rows, fitted.point, setup.scales(demand_panel, origin)),
            len(valid),
            fitted.fit_seconds + fitted.predict_seconds,
        )
        frames.append(pd.DataFrame({"row": valid, "fold": number, "pred": fitted.point}))
    return pd.concat(frames, ignore_index=True).assign(model=name)


@dataclass(frozen=True)
class ModelForecasts:
    """A model refitted for the holdout and for the live horizon: the live model, both
    forecasts (``row``, ``pred``, ``model``) and the fit report (rows and seconds)."""

    model: Any
    holdout: pd.DataFrame
    live: pd.DataFrame
    report: dict[str, Any]


def fit_and_forecast(
    model_input: pd.DataFrame,
    demand_panel: pd.DataFrame,
    setup: ModelingSetup,
    params: Mapping[str, Any],
    options: Mapping[str, Any],
) -> ModelForecasts:
    """Refit on every row known before the protocol origin and forecast the holdout; refit
    on every known row and forecast the live horizon."""
    name = options["name"]
    context = setup.context(demand_panel)
    report: dict[str, Any] = {"model": name, "params": dict(params)}
    outputs = {}
    for stage, date in (("holdout", setup.protocol_origin), ("live", setup.live_origin)):
        origin = pd.Timestamp(date)
        train = sample_rows(
            np.flatnonzero(training_rows(model_input, origin).to_numpy()),
            options.get("max_train_rows"),
            setup.seed,
        )
        target = np.flatnonzero((model_input["origin"] == origin).to_numpy())
        fitted = fit_predict(name, params, model_input, train, target, context, setup)
        report[stage] = {
            "train_rows": len(train),
            "fit_seconds": round(fitted.fit_seconds, 2),
            "predict_seconds": round(fitted.predict_seconds, 2),
            "rows": len(target),
        }
        logger.info(
            "%s %s: fitted on %d rows in %.1f s, predicted %d rows in %.1f s",
            name,
            stage,
            len(train),
            fitted.fit_seconds,
            len(target),
            fitted.predict_seconds,
        )
        outputs[stage] = pd.DataFrame({"row": target, "pred": fitted.point, "model": name})
    return ModelForecasts(fitted.model, outputs["holdout"], outputs["live"], report)


def combine(
    frames: list[pd.DataFrame],
    weights: Mapping[str, float],
    model_input: pd.DataFrame,
    setup: ModelingSetup,
    class_weights: ClassWeights | None = None,
) -> pd.DataFrame:
    """The ensemble's predictions (``row``, ``pred``, ``model``) from the models' frames."""
    wide = pd.concat(frames).pivot_table(index="row", columns="model", values="pred")
    rows = model_input.iloc[wide.index.to_numpy()]
    point = blend(wide, weights, rows, setup, class_weights)
    return pd.DataFrame({"row": wide.index.to_numpy(), "pred": point, "model": ENSEMBLE})


def ensemble_weights(
    model_input: pd.DataFrame,
    setup: ModelingSetup,
    demand_panel: pd.DataFrame,
    cv_predictions: Mapping[str, pd.DataFrame],
) -> dict[str, float]:
    """The ensemble's weights {model: weight}, never worse than its best member on the latest
    CV fold (fold 1).

    Candidates: stacking weights (non-negative, summing to one, learned from all out-of-fold
    predictions in the target space, so the metric's scale, log for RMSPE/RMSLE, is
    respected), the simple average of the three best models on fold 1 (1/3 each) and each
    single model (weight 1). The candidate with the best fold-1 headline wins.
    """
    frames = list(cv_predictions.values())
    wide = pd.concat(frames).pivot_table(index="row", columns="model", values="pred")
    rows = model_input.iloc[wide.index.to_numpy()]
    transform = setup.target_transform
    matrix = np.column_stack(
        [to_target_space(wide[m].to_numpy(), rows, transform) for m in wide.columns]
    )
    target = to_target_space(rows[DEMAND].to_numpy(dtype=float), rows, transform)
    models = [str(m) for m in wide.columns]
    stacked = {
        model: round(float(w), 6)
        for model, w in zip(models, stacking_weights(matrix, target), strict=True)
    }
    latest = [frame[frame["fold"] == 1] for frame in frames]
    if len(models) < 2 or not any(len(frame) for frame in latest):
        logger.info("Ensemble weights (stacking, no fold 1 to judge on): %s", stacked)
        return stacked

    scales = setup.scales(demand_panel, setup.fold_origins[0])

    def on_fold_1(weights: dict[str, float]) -> tuple[float, float]:
        blended = combine(latest, weights, model_input, setup)
        judged = model_input.iloc[blended["row"].to_numpy()]
        point = blended["pred"].to_numpy()
        return setup.score(judged, point, scales), bias(judged[DEMAND].to_numpy(), point)

    alone = {m: on_fold_1({n: float(n == m) for n in models}) for m in models}
    candidates = candidate_weights(stacked, {m: score for m, (score, _) in alone.items()})
    judged = {
        label: on_fold_1(weights)
        for label, weights in candidates.items()
        if not label.endswith(" alone")
    } | {f"{m} alone": alone[m] for m in models}
    choice = best_candidate({label: score for label, (score, _) in judged.items()})
    logger.info(
        "Ensemble candidates on CV fold 1 (origin %s, %s): %s",
        setup.fold_origins[0],
        setup.metric,
        "; ".join(f"{label} {score:.4f}" for label, (score, _) in judged.items()),
    )
    score, fold_bias = judged[choice]
    weights = candidates[choice]
    logger.info(
        "Ensemble: %s (fold 1 %s %.4f, bias %.3f = forecast total / actual total), weights %s",
        choice,
        setup.metric,
        score,
        fold_bias,
        weights,
    )
    return weights


def class_weights(  # noqa: PLR0913 - the fold predictions and the run's weights
    model_input: pd.DataFrame,
    setup: ModelingSetup,
    demand_panel: pd.DataFrame,
    cv_predictions: Mapping[str, pd.DataFrame],
    weights: Mapping[str, float],
    options: Mapping[str, Any] | None = None,
) -> dict[str, dict[str, float]]:
    """Ensemble weights of its own for each Syntetos-Boylan demand class where they beat the
    run's ``weights`` on the latest CV fold: {class: {model: weight}}, often empty.

    A class's candidates (stacking, the top-three average, each model alone) are learned and
    chosen on the older folds only, so fold 1 judges them out of sample, against the run's
    weights, which were chosen on fold 1 itself (the comparison favours them). Classes are
    tried in turn (smooth, intermittent, erratic, lumpy); one keeps its weights only if they
    lower the headline of all of fold 1's rows by ``min_gain`` (a share of it, 1 %: a smaller
    gain on one fold is noise as often as not). ``options``: ``enabled`` (default true),
    ``min_gain`` and ``min_rows``, the fewest rows of a class in the older folds and in fold 1
    (200)."""
    options = dict(options or {})
    if not options.get("enabled", True):
        return {}
    if CLASS_COLUMN not in model_input or len(setup.fold_origins) < 2:
        logger.info("Ensemble by demand class: not tried (needs %s and 2 CV folds)", CLASS_COLUMN)
        return {}
    min_rows = int(options.get("min_rows", 200))
    min_gain = float(options.get("min_gain", 0.01))
    frames = list(cv_predictions.values())
    wide = pd.concat(frames).pivot_table(index="row", columns="model", values="pred")
    wide.columns = [str(m) for m in wide.columns]
    fold_of_row = frames[0].drop_duplicates("row").set_index("row")["fold"]
    fold = fold_of_row.reindex(wide.index).to_numpy()
    rows = model_input.iloc[wide.index.to_numpy()]
    classes = class_names(rows)
    scales = {
        number: setup.scales(demand_panel, origin)
        for number, origin in enumerate(setup.origins, start=1)
    }

    def score(mask: np.ndarray, number: int, table: Mapping[str, float], own: ClassWeights):
        point = blend(wide[mask], table, rows[mask], setup, own)
        return setup.score(rows[mask], point, scales[number])

    def on_older_folds(mask: np.ndarray, table: Mapping[str, float]) -> float:
        older = [n for n in np.unique(fold[mask]) if n > 1]
        return float(np.mean([score(mask & (fold == n), n, table, {}) for n in older]))

    latest = fold == 1
    best_score = score(latest, 1, weights, {})
    transform = setup.target_transform
    chosen: dict[str, dict[str, float]] = {}
    for demand_class in DEMAND_CLASSES:
        members = classes == demand_class
        older, newest = members & (fold > 1), members & latest
        if min(older.sum(), newest.sum()) < min_rows:
            continue
        matrix = np.column_stack(
            [to_target_space(wide[m].to_numpy()[older], rows[older], transform) for m in wide]
        )
        target = to_target_space(rows[DEMAND].to_numpy(dtype=float)[older], rows[older], transform)
        stacked = dict(zip(wide.columns, stacking_weights(matrix, target).round(6), strict=True))
        alone = {m: on_older_folds(members, {m: 1.0}) for m in wide.columns}
        candidates = candidate_weights({m: float(w) for m, w in stacked.items()}, alone)
        label = best_candidate(
            {
                label: alone[label.removesuffix(" alone")]
                if label.endswith(" alone")
                else on_older_folds(members, table)
                for label, table in candidates.items()
            }
        )
        trial = {**chosen, demand_class: candidates[label]}
        trial_score = score(latest, 1, weights, trial)
        kept = trial_score < best_score * (1 - min_gain)
        logger.info(
            "Ensemble by demand class: %s series' rows (%d on fold 1) with %s: fold 1 %s %.4f "
            "against %.4f with the run's weights: %s",
            demand_class,
            newest.sum(),
            label,
            setup.metric,
            trial_score,
            best_score,
            "kept" if kept else f"not kept (it must be {min_gain:.0%} lower)",
        )
        if kept:
            chosen, best_score = trial, trial_score
    return chosen


@dataclass(frozen=True)
class AssembledForecasts:
    """Every model's and the ensemble's holdout forecasts with quantiles (``y_true`` and
    ``scored`` beside them), the ensemble's live forecast, and its calibration."""

    holdout: pd.DataFrame
    live: pd.DataFrame
    calibration: Calibration


def assemble_forecasts(
    model_input: pd.DataFrame,
    setup: ModelingSetup,
    weights: Mapping[str, float],
    cv: Mapping[str, pd.DataFrame],
    holdout: Mapping[str, pd.DataFrame],
    live: Mapping[str, pd.DataFrame],
    class_weights: ClassWeights | None = None,
) -> AssembledForecasts:
    """Holdout forecasts of every model and the ensemble and the ensemble's live forecast,
    each with conformal quantiles calibrated on that model's out-of-fold residuals.

    ``cv``, ``holdout`` and ``live`` hold per model its out-of-fold, holdout and live
    predictions; ``class_weights`` the ensemble's own weights of some demand classes."""
    cv = dict(cv)
    holdout = dict(holdout)
    folds_of_rows = next(iter(cv.values()))[["row", "fold"]]
    mixed = (weights, model_input, setup, class_weights)
    cv[ENSEMBLE] = combine(list(cv.values()), *mixed).merge(folds_of_rows, on="row", how="left")
    holdout[ENSEMBLE] = combine(list(holdout.values()), *mixed)
    live_ensemble = combine(list(live.values()), *mixed)
    keys = key_columns(model_input)
    calibrations = {model: _calibrated(model, cv[model], model_input, setup) for model in holdout}

    def with_quantiles(frame: pd.DataFrame) -> pd.DataFrame:
        model = frame["model"].iat[0]
        rows = model_input.iloc[frame["row"].to_numpy()]
        out = forecast_table(rows, frame["pred"].to_numpy(), model, calibrations[model], keys)
        out.insert(out.columns.get_loc("y_pred"), "y_true", rows[DEMAND].to_numpy())
        out["scored"] = scored(rows, setup.scoring).to_numpy()
        return out

    holdout_forecasts = pd.concat(
        [with_quantiles(frame) for frame in holdout.values()], ignore_index=True
    )
    live_forecast = with_quantiles(live_ensemble).drop(columns=["y_true", "scored"])
    return AssembledForecasts(holdout_forecasts, live_forecast, calibrations[ENSEMBLE])


def _calibrated(
    model: str, residuals: pd.DataFrame, model_input: pd.DataFrame, setup: ModelingSetup
) -> Calibration:
    """``model``'s quantiles calibrated on its out-of-fold predictions ``residuals``."""
    folds_of = residuals["fold"].to_numpy() if "fold" in residuals else None
    fitted_rows = model_input.iloc[residuals["row"].to_numpy()]
    calibration = Calibration.fit(fitted_rows, residuals["pred"].to_numpy(), folds_of, setup)
    logger.info(
        "%s: quantiles calibrated on %d out-of-fold residuals (fold rule %s, bins on %s); "
        "%s interval from the %g to the %g quantile",
        model,
        len(residuals),
        calibration.quantiles.fold_rule,
        calibration.quantiles.bin_on,
        f"{calibration.interval.nominal:.0%}",
        calibration.interval.lower_level,
        calibration.interval.upper_level,
    )
    return calibration
