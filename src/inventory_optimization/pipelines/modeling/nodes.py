"""Nodes of the modeling pipeline. The models, CV, tuning, calibration and stacking live in
``inventory_optimization.models``; these functions wire them to the catalog's tables."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...features import FeatureTransforms, fold_origins, frequency_settings
from ...features.profile import ADI_CUTOFF, demand_class, open_demand
from ...models import FORECASTERS, ForecastContext, make_forecaster
from ...models.base import TRANSFORMS as TARGET_TRANSFORMS
from ...models.bundle import (
    ENSEMBLE,
    Calibration,
    ForecasterBundle,
    blend,
    context_of,
    finalize,
    forecast_table,
    interval_columns,
    key_columns,
    quantile_column,
    to_target_space,
)
from ...models.cv import folds, scored, training_rows
from ...models.ensemble import best_candidate, candidate_weights, stacking_weights
from ...models.metrics import (
    HEADLINE_METRICS,
    SeriesScales,
    auto_headline,
    bias,
    coverage,
    headline,
    mase,
    mean_pinball,
    rmsse,
    scaled_pinball,
    seasonal_naive_mae,
    series_scales,
    wape,
)
from ...models.tuning import content_fingerprint, study_name, tune, without_count_objectives
from ...panel.contract import DATE, DEMAND, SERIES_ID
from ...panel.periods import Frequency, cv_step_periods, horizon_periods, protocol_origin
from ...registry import Registration, decide

logger = logging.getLogger(__name__)
ZERO_FORECAST = "zero_forecast"
FLOORS = (ZERO_FORECAST, "seasonal_naive")


def prepare_modeling(
    feature_catalog: pd.DataFrame,
    panel_metadata: dict[str, Any],
    protocol: dict[str, Any],
    cross_validation: dict[str, Any],
    modeling: dict[str, Any],
    demand_panel: pd.DataFrame | None = None,
    model_input: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Everything the model nodes share: features, folds, transform, metric, quantiles.

    The headline metric is ``protocol.metric``; ``auto`` chooses it from the demand panel's
    known, open periods up to the protocol origin (``headline_choice``). The target transform
    is ``modeling.target_transform``; ``auto`` chooses it on the CV folds
    (:func:`choose_target_transform`)."""
    frequency = panel_metadata["frequency"]
    origin, _ = protocol_origin(
        protocol, panel_metadata["first_date"], panel_metadata["last_date"], frequency
    )
    step = cv_step_periods(cross_validation, protocol, frequency)
    origins = fold_origins(origin, frequency, cross_validation["n_folds"], step)
    metric, reason, figures = headline_choice(protocol.get("metric", "wape"), demand_panel, origin)
    logger.info("Headline metric %s: %s", metric, reason)
    intermittent = bool(figures) and (
        auto_headline(figures["zero_share"], figures["intermittent_volume_share"])[0] == "rmsse"
    )
    # Whole-unit quantiles where they matter: slow movers, whose fractional 10 % quantile of a
    # few hundredths calls every zero day "below". On smooth counts (covers, euros) floors
    # would only move each lower bound by under a unit.
    counts = intermittent and counted_in_whole_units(demand_panel)
    if counts:
        logger.info(
            "Intermittent demand counted in whole units: quantile forecasts are whole units too"
        )
    setup = {
        "dataset": panel_metadata["source"],
        "features": [
            "horizon",
            *feature_catalog["name"]
            .drop(feature_catalog.index[feature_catalog["name"] == "horizon"])
            .tolist(),
        ],
        "frequency": frequency,
        "season_length": Frequency.of(frequency).season_length,
        "target_transform": modeling["target_transform"],
        "metric": metric,
        "metric_reason": reason,
        "metric_figures": figures,
        "intermittent": intermittent,
        "count_data": counts,
        "scoring": modeling["scoring"],
        "non_negative": bool(modeling.get("non_negative", True)),
        "quantiles": [float(q) for q in modeling["quantiles"]],
        "seed": int(modeling["seed"]),
        "n_jobs": int(modeling.get("n_jobs", 2)),
        "fold_origins": [str(o.date()) for o in origins],
        "protocol_origin": str(origin.date()),
        "live_origin": panel_metadata["last_date"],
        "horizon": horizon_periods(protocol, frequency),
        "calibration": modeling.get("calibration", {}),
    }
    if setup["target_transform"] == "auto":
        if model_input is None or demand_panel is None:
            raise ValueError("target_transform auto needs the model input and the demand panel")
        chosen, scores, biases, reason = choose_target_transform(
            model_input, demand_panel, setup, modeling.get("transform_choice", {})
        )
        logger.info("Target transform %s: %s", chosen, reason)
        setup.update(
            target_transform=chosen,
            transform_scores=scores,
            transform_biases=biases,
            transform_reason=reason,
        )
    elif setup["target_transform"] not in TARGET_TRANSFORMS:
        raise ValueError(
            f"modeling.target_transform {setup['target_transform']!r}: expected one of "
            f"{[*TARGET_TRANSFORMS, 'auto']}"
        )
    return setup


def choose_target_transform(
    model_input: pd.DataFrame,
    demand_panel: pd.DataFrame,
    setup: dict[str, Any],
    choice: dict[str, Any],
) -> tuple[str, dict[str, float], dict[str, float], str]:
    """The target transform whose probe model (``choice.model`` with fixed ``choice.params``,
    LightGBM by default) scores best on the headline metric over the latest ``choice.folds``
    CV folds, training rows subsampled to ``choice.rows``. ``log1p`` is left out where demand
    goes negative (returns). On metrics of the level (all but the log errors RMSLE and RMSPE)
    a transform whose probe's total misses the actual total by more than
    ``choice.bias_tolerance`` (10 %) is passed over while another stays within it: a log model
    forecasts a skewed count's median-like level, and an order placed on it runs short.
    Returns the transform, each candidate's mean score and total bias, and why."""
    candidates = list(choice.get("candidates", TARGET_TRANSFORMS))
    negative = int((open_demand(demand_panel).dropna() < 0).sum())
    if negative and "log1p" in candidates:
        candidates.remove("log1p")
    name = choice.get("model", "lightgbm")
    params = dict(choice.get("params", {"n_estimators": 150, "num_leaves": 31}))
    n_folds = int(choice.get("folds", 2))
    tolerance = float(choice.get("bias_tolerance", 0.1))
    origins = [pd.Timestamp(o) for o in setup["fold_origins"]][:n_folds]
    scales = {n: _scales(demand_panel, setup, o) for n, o in enumerate(origins, start=1)}
    fold_rows = [
        (number, _sample(train, choice.get("rows", 100_000), setup["seed"]), valid)
        for number, _, train, valid in folds(model_input, origins, setup["scoring"])
    ]
    scores, biases = {}, {}
    for transform in candidates:
        trial = {**setup, "target_transform": transform}
        context = context_of(trial, demand_panel)
        fitted = [
            (number, _fit_predict(name, params, model_input, train, valid, context, trial))
            for number, train, valid in fold_rows
        ]
        per_fold = [_score(f.rows, f.point, trial, scales[number]) for number, f in fitted]
        scores[transform] = float(np.mean(per_fold))
        biases[transform] = bias(
            np.concatenate([f.rows[DEMAND].to_numpy(dtype=float) for _, f in fitted]),
            np.concatenate([f.point for _, f in fitted]),
        )
    level_metric = setup["metric"] not in ("rmsle", "rmspe")
    unbiased = [t for t in scores if abs(biases[t] - 1) <= tolerance] if level_metric else []
    pool = unbiased or list(scores)
    chosen = min(pool, key=scores.get)
    listed = ", ".join(
        f"{t} {scores[t]:.4f} (bias {biases[t]:.3f})" for t in sorted(scores, key=scores.get)
    )
    reason = (
        f"best {setup['metric']} of a {name} probe on the latest {len(origins)} CV folds ({listed})"
    )
    passed_over = [t for t in scores if t not in pool and scores[t] < scores[chosen]]
    if passed_over:
        reason += (
            f"; {', '.join(passed_over)} passed over: its total is off the actual by more "
            f"than {tolerance:.0%}"
        )
    if negative:
        reason += f"; log1p left out: {negative} negative demand values"
    return chosen, scores, biases, reason


def counted_in_whole_units(panel: pd.DataFrame | None) -> bool:
    """Whether every known, open demand is a whole number (units sold, not a sales value)."""
    if panel is None:
        return False
    values = open_demand(panel).dropna().to_numpy()
    return bool(len(values)) and bool(np.all(values == np.round(values)))


def intermittency_figures(panel: pd.DataFrame, until: pd.Timestamp) -> dict[str, float]:
    """Share of zero periods among the known, open periods up to ``until``, and the share of
    their volume in intermittent or lumpy series (Syntetos-Boylan ADI >= 1.32)."""
    past = panel.loc[panel[DATE] <= until]
    history = pd.DataFrame({SERIES_ID: past[SERIES_ID], "y": open_demand(past)})
    history = history[history["y"].notna()]
    sizes = history["y"].where(history["y"] > 0)
    stats = pd.DataFrame(
        {"periods": history["y"], "volume": history["y"], "nonzero": sizes, "size": sizes}
    ).groupby(history[SERIES_ID], observed=True)
    per_series = stats.agg(
        {"periods": "size", "volume": "sum", "nonzero": "count", "size": ["mean", "std"]}
    )
    per_series.columns = ["periods", "volume", "nonzero", "size_mean", "size_std"]
    adi = per_series["periods"] / per_series["nonzero"].where(per_series["nonzero"] > 0)
    cv2 = (per_series["size_std"] / per_series["size_mean"]) ** 2
    intermittent = demand_class(adi.to_numpy(), cv2.to_numpy()) % 2 == 1  # intermittent, lumpy
    total = float(per_series["volume"].sum())
    known = len(history)
    return {
        "zero_share": float((history["y"] == 0).sum() / known) if known else 0.0,
        "intermittent_volume_share": float(per_series.loc[intermittent, "volume"].sum() / total)
        if total > 0
        else 0.0,
        "intermittent_series": int(intermittent.sum()),
        "series": len(per_series),
    }


def headline_choice(
    metric: str, panel: pd.DataFrame | None, origin: pd.Timestamp
) -> tuple[str, str, dict[str, float]]:
    """(metric, the reason in words, the figures): ``auto`` becomes ``rmsse`` or ``wape`` by
    ``metrics.auto_headline``; a named metric is kept, with the figures for the record."""
    if metric != "auto" and metric not in HEADLINE_METRICS:
        raise ValueError(f"protocol.metric '{metric}' is not one of {['auto', *HEADLINE_METRICS]}")
    if panel is None:
        if metric == "auto":
            raise ValueError("protocol.metric auto needs the demand panel to choose from")
        return metric, "set in protocol.metric", {}
    figures = intermittency_figures(panel, origin)
    chosen, reason = auto_headline(
        figures["zero_share"], figures["intermittent_volume_share"], ADI_CUTOFF
    )
    if metric == "auto":
        return chosen, reason, figures
    return metric, f"set in protocol.metric ({reason}; auto would choose {chosen})", figures


def _scales(
    panel: pd.DataFrame | None, setup: dict[str, Any], origin: str | pd.Timestamp
) -> SeriesScales | None:
    """The M5 scales and weights at ``origin`` when the headline needs them (rmsse)."""
    if setup["metric"] != "rmsse":
        return None
    if panel is None:
        raise ValueError("the rmsse headline needs the demand panel for its series scales")
    return series_scales(panel, origin, setup["horizon"])


def _score(
    rows: pd.DataFrame,
    point: np.ndarray,
    setup: dict[str, Any],
    scales: SeriesScales | None = None,
) -> float:
    """The headline on ``rows``; ``scales`` (rmsse) come from history up to the rows' origin."""
    holiday = rows["is_holiday"].to_numpy() if "is_holiday" in rows else None
    return headline(
        setup["metric"], rows[DEMAND].to_numpy(), point, holiday, rows[SERIES_ID], scales
    )


def _sample(positions: np.ndarray, limit: int | None, seed: int) -> np.ndarray:
    if limit and len(positions) > limit:
        rng = np.random.default_rng(seed)
        return np.sort(rng.choice(positions, size=int(limit), replace=False))
    return positions


@dataclass
class _Fitted:
    model: Any
    rows: pd.DataFrame
    point: np.ndarray
    fit_seconds: float
    predict_seconds: float


def _fit_predict(
    name: str,
    params: dict,
    model_input: pd.DataFrame,
    train: np.ndarray,
    target: np.ndarray,
    context: ForecastContext,
    setup: dict[str, Any],
) -> _Fitted:
    """Fit a fresh model on the ``train`` rows and forecast the ``target`` rows."""
    started = time.perf_counter()
    model = make_forecaster(name, params).fit(model_input.iloc[train], context)
    fit_seconds = time.perf_counter() - started
    rows = model_input.iloc[target]
    started = time.perf_counter()
    point = finalize(model.predict(rows, context), rows, setup["non_negative"])
    return _Fitted(model, rows, point, fit_seconds, time.perf_counter() - started)


def tune_model(
    model_input: pd.DataFrame,
    demand_panel: pd.DataFrame,
    setup: dict[str, Any],
    optuna_storage: Any,
    options: dict[str, Any],
) -> tuple[dict[str, Any], pd.DataFrame, dict[str, float]]:
    """Optuna search over the model's space on the CV folds (rows subsampled to
    ``tuning_rows``); returns the best parameters, the trials and parameter importances."""
    name = options["name"]
    options = without_count_objectives(options, setup.get("intermittent", False), name)
    context = context_of(setup, demand_panel)
    origins = [pd.Timestamp(o) for o in setup["fold_origins"]]
    fold_rows = {
        number: (_sample(train, options.get("tuning_rows"), setup["seed"]), valid)
        for number, _, train, valid in folds(model_input, origins, setup["scoring"])
    }
    fold_scales = {
        number: _scales(demand_panel, setup, origin)
        for number, origin in enumerate(origins, start=1)
    }

    def evaluate_fold(params: dict, fold: int) -> float:
        train, valid = fold_rows[fold]
        fitted = _fit_predict(name, params, model_input, train, valid, context, setup)
        return _score(fitted.rows, fitted.point, setup, fold_scales[fold])

    fingerprint = {
        "version": FORECASTERS[name].version,
        "objective": [setup["target_transform"], setup["metric"], setup["scoring"], setup["seed"]],
        "rows": len(model_input),
        "folds": setup["fold_origins"],
        "features": len(setup["features"]),
        "tuning_rows": options.get("tuning_rows"),
        "fixed": options.get("fixed"),
    }
    tuned = np.unique(np.concatenate([np.concatenate(pair) for pair in fold_rows.values()]))
    data = content_fingerprint(model_input, [DEMAND, *setup["features"]], tuned)
    best, trials, importances = tune(
        name,
        options,
        evaluate_fold,
        len(origins),
        optuna_storage,
        study_name(name, options.get("search_space") or {}, fingerprint, data),
        setup["seed"],
    )
    logger.info("%s: best parameters %s", name, best)
    return best, trials, importances


def cross_validate_model(
    model_input: pd.DataFrame,
    demand_panel: pd.DataFrame,
    setup: dict[str, Any],
    best_params: dict[str, Any],
    options: dict[str, Any],
) -> pd.DataFrame:
    """Out-of-fold predictions of the tuned model on every fold's scored rows."""
    name = options["name"]
    context = context_of(setup, demand_panel)
    origins = [pd.Timestamp(o) for o in setup["fold_origins"]]
    frames = []
    for number, origin, fold_train, valid in folds(model_input, origins, setup["scoring"]):
        train = _sample(fold_train, options.get("max_train_rows"), setup["seed"])
        fitted = _fit_predict(name, best_params, model_input, train, valid, context, setup)
        logger.info(
            "%s fold %d (origin %s): %s %.4f on %d rows (%.1f s)",
            name,
            number,
            origin.date(),
            setup["metric"],
            _score(fitted.rows, fitted.point, setup, _scales(demand_panel, setup, origin)),
            len(valid),
            fitted.fit_seconds + fitted.predict_seconds,
        )
        frames.append(pd.DataFrame({"row": valid, "fold": number, "pred": fitted.point}))
    return pd.concat(frames, ignore_index=True).assign(model=name)


def fit_and_forecast(
    model_input: pd.DataFrame,
    demand_panel: pd.DataFrame,
    setup: dict[str, Any],
    best_params: dict[str, Any],
    options: dict[str, Any],
):
    """Refit the tuned model on all data before the protocol origin and forecast the
    holdout; refit on all data and forecast the live horizon. Returns the live model."""
    name = options["name"]
    context = context_of(setup, demand_panel)
    report: dict[str, Any] = {"model": name, "params": best_params}
    outputs = {}
    for stage, date in (("holdout", setup["protocol_origin"]), ("live", setup["live_origin"])):
        origin = pd.Timestamp(date)
        train = _sample(
            np.flatnonzero(training_rows(model_input, origin).to_numpy()),
            options.get("max_train_rows"),
            setup["seed"],
        )
        target = np.flatnonzero((model_input["origin"] == origin).to_numpy())
        fitted = _fit_predict(name, best_params, model_input, train, target, context, setup)
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
    return fitted.model, outputs["holdout"], outputs["live"], report


def _in_target_space(values: np.ndarray, rows: pd.DataFrame, setup: dict[str, Any]) -> np.ndarray:
    return to_target_space(values, rows, setup["target_transform"])


def build_ensemble(
    model_input: pd.DataFrame,
    setup: dict[str, Any],
    demand_panel: pd.DataFrame,
    *cv_predictions: pd.DataFrame,
) -> dict[str, float]:
    """The ensemble's weights {model: weight}, never worse than its best member on the latest
    CV fold (fold 1).

    Candidates: stacking weights (non-negative, summing to one, learned from all out-of-fold
    predictions in the target space, so the metric's scale, log for RMSPE/RMSLE, is
    respected), the simple average of the three best models on fold 1 (1/3 each) and each
    single model (weight 1). The candidate with the best fold-1 headline wins.
    """
    frames = list(cv_predictions)
    wide = pd.concat(frames).pivot_table(index="row", columns="model", values="pred")
    rows = model_input.iloc[wide.index.to_numpy()]
    matrix = np.column_stack(
        [_in_target_space(wide[m].to_numpy(), rows, setup) for m in wide.columns]
    )
    target = _in_target_space(rows[DEMAND].to_numpy(dtype=float), rows, setup)
    models = [str(m) for m in wide.columns]
    stacked = {
        model: round(float(w), 6)
        for model, w in zip(models, stacking_weights(matrix, target), strict=True)
    }
    latest = [frame[frame["fold"] == 1] for frame in frames]
    if len(models) < 2 or not any(len(frame) for frame in latest):
        logger.info("Ensemble weights (stacking, no fold 1 to judge on): %s", stacked)
        return stacked

    scales = _scales(demand_panel, setup, setup["fold_origins"][0])

    def on_fold_1(weights: dict[str, float]) -> tuple[float, float]:
        blend = _combine(latest, weights, model_input, setup)
        judged = model_input.iloc[blend["row"].to_numpy()]
        point = blend["pred"].to_numpy()
        return _score(judged, point, setup, scales), bias(judged[DEMAND].to_numpy(), point)

    alone = {m: on_fold_1({n: float(n == m) for n in models}) for m in models}
    candidates = candidate_weights(stacked, {m: score for m, (score, _) in alone.items()})
    judged = {
        label: on_fold_1(weights)
        for label, weights in candidates.items()
        if not label.endswith(" alone")
    } | {f"{m} alone": alone[m] for m in models}
    choice = best_candidate({label: score for label, (score, _) in judged.items()})
    metric = setup["metric"]
    logger.info(
        "Ensemble candidates on CV fold 1 (origin %s, %s): %s",
        setup["fold_origins"][0],
        metric,
        "; ".join(f"{label} {score:.4f}" for label, (score, _) in judged.items()),
    )
    score, fold_bias = judged[choice]
    weights = candidates[choice]
    logger.info(
        "Ensemble: %s (fold 1 %s %.4f, bias %.3f = forecast total / actual total), weights %s",
        choice,
        metric,
        score,
        fold_bias,
        weights,
    )
    return weights


def _combine(
    frames: list[pd.DataFrame],
    weights: dict[str, float],
    model_input: pd.DataFrame,
    setup: dict[str, Any],
) -> pd.DataFrame:
    wide = pd.concat(frames).pivot_table(index="row", columns="model", values="pred")
    rows = model_input.iloc[wide.index.to_numpy()]
    point = blend(wide, weights, rows, setup)
    return pd.DataFrame({"row": wide.index.to_numpy(), "pred": point, "model": ENSEMBLE})


def assemble_forecasts(
    model_input: pd.DataFrame,
    setup: dict[str, Any],
    weights: dict[str, float],
    *predictions: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame, Calibration]:
    """Holdout forecasts of every model and the ensemble, the ensemble's live forecast, each
    with conformal quantiles calibrated on that model's out-of-fold residuals, and the
    ensemble's calibration (for the forecaster bundle).

    ``predictions`` are, per model, its cv, holdout and live predictions (in that order).
    """
    groups = [predictions[i : i + 3] for i in range(0, len(predictions), 3)]
    cv = {frame["model"].iat[0]: frame for frame, _, _ in groups}
    holdout = {frame["model"].iat[0]: frame for _, frame, _ in groups}
    live = [frame for _, _, frame in groups]
    cv[ENSEMBLE] = _combine(list(cv.values()), weights, model_input, setup).merge(
        next(iter(cv.values()))[["row", "fold"]], on="row", how="left"
    )
    holdout[ENSEMBLE] = _combine(list(holdout.values()), weights, model_input, setup)
    live_ensemble = _combine(live, weights, model_input, setup)
    keys = key_columns(model_input)
    calibrations = {}

    def with_quantiles(frame: pd.DataFrame, residuals: pd.DataFrame) -> pd.DataFrame:
        model = frame["model"].iat[0]
        rows = model_input.iloc[frame["row"].to_numpy()]
        if model not in calibrations:
            folds_of = residuals["fold"].to_numpy() if "fold" in residuals else None
            fitted_rows = model_input.iloc[residuals["row"].to_numpy()]
            calibrations[model] = Calibration.fit(
                fitted_rows, residuals["pred"].to_numpy(), folds_of, setup
            )
            calibrated = calibrations[model]
            logger.info(
                "%s: quantiles calibrated on %d out-of-fold residuals (fold rule %s, bins on "
                "%s); %s interval from the %g to the %g quantile",
                model,
                len(residuals),
                calibrated.quantiles.fold_rule,
                calibrated.quantiles.bin_on,
                f"{calibrated.interval.nominal:.0%}",
                calibrated.interval.lower_level,
                calibrated.interval.upper_level,
            )
        out = forecast_table(rows, frame["pred"].to_numpy(), model, calibrations[model], keys)
        out.insert(out.columns.get_loc("y_pred"), "y_true", rows[DEMAND].to_numpy())
        out["scored"] = scored(rows, setup["scoring"]).to_numpy()
        return out

    holdout_forecasts = pd.concat(
        [with_quantiles(holdout[m], cv[m]) for m in holdout], ignore_index=True
    )
    demand_forecast = with_quantiles(live_ensemble, cv[ENSEMBLE]).drop(columns=["y_true", "scored"])
    return holdout_forecasts, demand_forecast, calibrations[ENSEMBLE]


def build_forecaster_bundle(
    setup: dict[str, Any],
    panel_metadata: dict[str, Any],
    feature_transforms: FeatureTransforms,
    features: dict[str, Any],
    weights: dict[str, float],
    calibration: Calibration,
    **models: Any,
) -> ForecasterBundle:
    """The run's forecaster bundle: the ensemble's members fitted on all data (the live
    fits; a model of weight 0 is left out, so loading the bundle never imports what it does
    not use), the weights and calibration, and what builds the features of a later origin."""
    members = {name: model for name, model in models.items() if weights.get(name, 0.0) > 0}
    bundle = ForecasterBundle(
        setup=setup,
        panel_metadata=panel_metadata,
        feature_settings=frequency_settings(features, panel_metadata["frequency"]),
        feature_transforms=feature_transforms,
        models=members,
        weights={name: weights[name] for name in members},
        calibration=calibration,
    )
    logger.info(
        "Forecaster bundle: the ensemble's %d members (%s; weight 0, left out: %s), trained "
        "until %s, horizon %d",
        len(members),
        ", ".join(f"{name} {weights[name]:.3g}" for name in sorted(members)),
        ", ".join(sorted(set(models) - set(members))) or "none",
        bundle.trained_until.date(),
        bundle.horizon,
    )
    return bundle


def decide_champion(
    forecaster_bundle: ForecasterBundle,
    current_champion: ForecasterBundle | None,
    demand_panel: pd.DataFrame,
    series_attributes: pd.DataFrame,
    panel_metadata: dict[str, Any],
    setup: dict[str, Any],
    model_leaderboard: pd.DataFrame,
    model_card: dict[str, Any],
    feature_catalog: pd.DataFrame,
) -> Registration:
    """What the registry records of this training run, and whether its bundle replaces the
    champion: it must beat the champion's headline on the same evaluation window (this run's
    holdout, forecast from the protocol origin and scored on the same rows)."""
    scores = model_leaderboard.set_index("model")["score"]
    challenger = float(scores[ENSEMBLE])
    champion_score, note, version = None, "", None
    if current_champion is not None:
        version = current_champion.registered_version or "current"
        champion_score, note = _champion_score(
            current_champion, demand_panel, series_attributes, panel_metadata, setup
        )
    decision = decide(setup["metric"], challenger, champion_score, version, note)
    logger.info(
        "Champion decision: %s (%s)",
        "promote" if decision.promote else "keep the champion",
        decision.reason,
    )
    params = {
        "dataset": setup["dataset"],
        "metric": setup["metric"],
        "target_transform": setup["target_transform"],
        "horizon": setup["horizon"],
        "protocol_origin": setup["protocol_origin"],
        "fold_origins": setup["fold_origins"],
        "trained_until": setup["live_origin"],
        "ensemble_weights": forecaster_bundle.weights,
        **{
            f"{model}.parameters": entry["parameters"]
            for model, entry in model_card.get("models", {}).items()
        },
    }
    metrics = {
        f"{row.model}.{column}": getattr(row, column)
        for row in model_leaderboard.itertuples()
        for column in ("score", "wape", "rmsse", "bias", "coverage_80")
        if hasattr(row, column)
    }
    if champion_score is not None:
        metrics["champion.score_on_window"] = champion_score
    return Registration(
        bundle=forecaster_bundle,
        decision=decision,
        params=params,
        metrics=metrics,
        artifacts={
            "model_card.json": model_card,
            "model_leaderboard.csv": model_leaderboard,
            "feature_catalog.csv": feature_catalog,
        },
    )


def _champion_score(
    champion: ForecasterBundle,
    panel: pd.DataFrame,
    attributes: pd.DataFrame,
    metadata: dict[str, Any],
    setup: dict[str, Any],
) -> tuple[float | None, str]:
    """The champion's headline on this run's holdout rows, forecast from the protocol origin;
    None (with the reason) when it cannot forecast this data."""
    origin = pd.Timestamp(setup["protocol_origin"])
    try:
        champion.check_fits(metadata)
        rows = champion.model_input(panel, attributes, origin, metadata).reset_index(drop=True)
        point = champion.point_forecast(rows, panel)
    except (ValueError, KeyError) as error:
        return None, f" ({error})"
    keep = scored(rows, setup["scoring"]).to_numpy()
    score = _score(rows[keep], point[keep], setup, _scales(panel, setup, origin))
    note = ""
    if champion.trained_until > origin:
        note = (
            f"; the champion was trained until {champion.trained_until.date()}, inside the "
            f"window, so its score there is favoured"
        )
    return float(score), note


def _with_zero_forecast(scored_rows: pd.DataFrame, levels: list[float]) -> pd.DataFrame:
    """The scored rows plus a ``zero_forecast`` model on the same rows: point and every
    quantile 0, the floor an intermittent series' forecast must beat."""
    if scored_rows.empty:
        return scored_rows
    first = scored_rows[scored_rows["model"] == scored_rows["model"].iat[0]]
    zero = first.assign(model=ZERO_FORECAST, y_pred=0.0)
    bounds = [c for c in first.columns if c.startswith(("lower_", "upper_"))]
    zero[[quantile_column(q) for q in levels] + bounds] = 0.0
    return pd.concat([scored_rows, zero], ignore_index=True)


def _warn_below_floors(leaderboard: pd.DataFrame, metric: str) -> None:
    floors = leaderboard[leaderboard["floor"]].set_index("model")["score"].dropna()
    models = leaderboard[~leaderboard["floor"]]
    lagging = []
    for floor, floor_score in floors.items():
        names = models.loc[~(models["score"] < floor_score), "model"].tolist()
        if names:
            lagging.append(f"{floor} ({floor_score:.4f}): {', '.join(names)}")
    if lagging:
        logger.warning(
            "Models that do not beat a floor on the holdout %s: %s",
            metric,
            "; ".join(lagging),
        )


def evaluate_models(
    holdout_forecasts: pd.DataFrame,
    demand_panel: pd.DataFrame,
    setup: dict[str, Any],
    model_input: pd.DataFrame,
    *fit_reports: dict[str, Any],
) -> pd.DataFrame:
    """The leaderboard: headline metric, WAPE, MASE, RMSSE, bias, pinball and scaled pinball
    loss, the prediction interval's coverage and the shares of actuals below and above it,
    time; with the floors (``floor``): the zero forecast, scored on
    the same rows, and seasonal naive. A model that does not beat them is named in a
    warning."""
    levels = setup["quantiles"]
    nominal = float(setup["calibration"].get("interval", 0.8))
    percent = interval_columns(nominal)[0].removeprefix("lower_")
    scored_rows = _with_zero_forecast(holdout_forecasts[holdout_forecasts["scored"]], levels)
    origin = pd.Timestamp(setup["protocol_origin"])
    naive_mae = seasonal_naive_mae(demand_panel, setup["season_length"], origin)
    scales = series_scales(demand_panel, origin, setup["horizon"])
    excluded = scales.exclusions(scored_rows[SERIES_ID])
    logger.info(
        "RMSSE and scaled pinball over %d of %d series, weighted by %s over the last %d "
        "periods; left out: %d with zero weight, %d with a zero or undefined naive scale",
        excluded["scored"],
        excluded["series"],
        scales.weight_basis,
        setup["horizon"],
        excluded["zero_weight"],
        excluded["no_scale"],
    )
    holiday_by_row = None
    if "is_holiday" in model_input:
        holiday_by_row = model_input.set_index([SERIES_ID, "origin", "horizon"])["is_holiday"]
    reports = {report["model"]: report for report in fit_reports}
    records = []
    for model, group in scored_rows.groupby("model", sort=False):
        y, pred = group["y_true"].to_numpy(), group["y_pred"].to_numpy()
        series = group[SERIES_ID].astype(str).to_numpy()
        holiday = None
        if holiday_by_row is not None:
            holiday = holiday_by_row.reindex(
                pd.MultiIndex.from_frame(group[[SERIES_ID, "origin", "horizon"]])
            ).to_numpy()
        quantiles = {q: group[quantile_column(q)].to_numpy() for q in levels}
        lower, upper = (group[c].to_numpy() for c in interval_columns(nominal))
        report = reports.get(model, {})
        records.append(
            {
                "model": model,
                "metric": setup["metric"],
                "score": headline(setup["metric"], y, pred, holiday, series, scales),
                "wape": wape(y, pred),
                "mase": mase(y, pred, series, naive_mae),
                "rmsse": rmsse(y, pred, series, scales),
                "bias": bias(y, pred),
                "pinball": mean_pinball(y, quantiles),
                "scaled_pinball": scaled_pinball(y, quantiles, series, scales),
                f"coverage_{percent}": coverage(y, lower, upper),
                f"below_{percent}": float(np.mean(y < lower)),
                f"above_{percent}": float(np.mean(y > upper)),
                "floor": model in FLOORS,
                "fit_seconds": sum(
                    report.get(s, {}).get("fit_seconds", 0) for s in ("holdout", "live")
                ),
                "predict_seconds": sum(
                    report.get(s, {}).get("predict_seconds", 0) for s in ("holdout", "live")
                ),
                "rows": len(group),
            }
        )
    leaderboard = pd.DataFrame(records).sort_values("score").reset_index(drop=True)
    logger.info("Leaderboard (%s):\n%s", setup["metric"], leaderboard.to_string(index=False))
    _warn_below_floors(leaderboard, setup["metric"])
    return leaderboard


def feature_importances(feature_catalog: pd.DataFrame, *models) -> pd.DataFrame:
    """Importances of the tree models (XGBoost total gain, RandomForest impurity), each as a
    share of the model's total, joined to the feature catalog's family and description."""
    frames = []
    for model in models:
        importances = model.feature_importances()
        if importances is None or importances.empty:
            continue
        frames.append(
            pd.DataFrame(
                {
                    "model": model.name,
                    "feature": importances.index,
                    "importance": importances.to_numpy(),
                    "share": importances.to_numpy() / importances.sum(),
                }
            )
        )
    table = pd.concat(frames, ignore_index=True)
    described = feature_catalog[["name", "family", "availability", "description"]]
    return table.merge(described, left_on="feature", right_on="name", how="left").drop(
        columns="name"
    )


def model_card(
    setup: dict[str, Any],
    leaderboard: pd.DataFrame,
    weights: dict[str, float],
    demand_panel: pd.DataFrame,
    *tuning: Any,
) -> dict[str, Any]:
    """One JSON record of the run: parameters, best trials, CV and holdout metrics, features,
    data fingerprint, library versions and git commit. ``tuning`` holds per model its
    fit report, tuning trials and parameter importances."""
    from ...provenance import data_fingerprint, git_commit, library_versions

    models = {}
    for report, trials, importances in (tuning[i : i + 3] for i in range(0, len(tuning), 3)):
        entry: dict[str, Any] = {
            "parameters": report["params"],
            "fit": {k: report[k] for k in ("holdout", "live") if k in report},
        }
        if isinstance(trials, pd.DataFrame) and not trials.empty and "value" in trials:
            complete = trials[trials["state"] == "COMPLETE"]
            if not complete.empty:
                best = complete.loc[complete["value"].idxmin()]
                entry["best_trial"] = {
                    "number": int(best["number"]),
                    "cv_score": float(best["value"]),
                }
            entry["trials"] = {str(k): int(v) for k, v in trials["state"].value_counts().items()}
        entry["parameter_importances"] = importances
        models[report["model"]] = entry
    return {
        "dataset": setup["dataset"],
        "metric": setup["metric"],
        "metric_reason": setup.get("metric_reason"),
        "metric_figures": setup.get("metric_figures"),
        "protocol": {
            "origin": setup["protocol_origin"],
            "horizon": setup["horizon"],
            "cv_fold_origins": setup["fold_origins"],
        },
        "target_transform": setup["target_transform"],
        "ensemble_weights": weights,
        "holdout": leaderboard.to_dict(orient="records"),
        "models": models,
        "features": setup["features"],
        "data": data_fingerprint(demand_panel),
        "libraries": library_versions(),
        "git_commit": git_commit(),
    }
