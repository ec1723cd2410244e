"""How a training run's models are judged and recorded: the holdout leaderboard with its
floors, the current champion's score on the same window, the tree models' feature
importances, and the model card."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..panel.contract import SERIES_ID
from .bundle import ForecasterBundle, interval_columns, quantile_column
from .cv import scored
from .metrics import (
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
from .setup import ModelingSetup

logger = logging.getLogger(__name__)
ZERO_FORECAST = "zero_forecast"
FLOORS = (ZERO_FORECAST, "seasonal_naive")


def with_zero_forecast(scored_rows: pd.DataFrame, levels: tuple[float, ...]) -> pd.DataFrame:
    """The scored rows plus a ``zero_forecast`` model on the same rows: point and every
    quantile 0, the floor an intermittent series' forecast must beat."""
    if scored_rows.empty:
        return scored_rows
    first = scored_rows[scored_rows["model"] == scored_rows["model"].iat[0]]
    zero = first.assign(model=ZERO_FORECAST, y_pred=0.0)
    bounds = [c for c in first.columns if c.startswith(("lower_", "upper_"))]
    zero[[quantile_column(q) for q in levels] + bounds] = 0.0
    return pd.concat([scored_rows, zero], ignore_index=True)


def warn_below_floors(leaderboard: pd.DataFrame, metric: str) -> None:
    """Name, in one warning, every model that does not beat a floor."""
    floors = leaderboard[leaderboard["floor"]].set_index("model")["score"].dropna()
    models = leaderboard[~leaderboard["floor"]]
    lagging = []
    for floor, floor_score in floors.items():
        names = models.loc[~(models["score"] < floor_score), "model"].tolist()
        if names:
            lagging.append(f"{floor} ({floor_score:.4f}): {', '.join(names)}")
    if lagging:
        logger.warning(
            "Models that do not beat a floor on the holdout %s: %s", metric, "; ".join(lagging)
        )


def leaderboard(
    holdout_forecasts: pd.DataFrame,
    demand_panel: pd.DataFrame,
    setup: ModelingSetup,
    model_input: pd.DataFrame,
    fit_reports: Mapping[str, Mapping[str, Any]] | None = None,
) -> pd.DataFrame:
    """The holdout leaderboard: headline metric, WAPE, MASE, RMSSE, bias, pinball and scaled
    pinball loss, the prediction interval's coverage and the shares of actuals below and
    above it, time; with the floors (``floor``): the zero forecast, scored on the same rows,
    and seasonal naive. A model that does not beat them is named in a warning.
    ``fit_reports`` hold per model its fit report (the seconds)."""
    levels = setup.quantiles
    percent = interval_columns(setup.interval)[0].removeprefix("lower_")
    scored_rows = with_zero_forecast(holdout_forecasts[holdout_forecasts["scored"]], levels)
    origin = setup.holdout_origin
    naive_mae = seasonal_naive_mae(demand_panel, setup.season_length, origin)
    scales = series_scales(demand_panel, origin, setup.horizon)
    excluded = scales.exclusions(scored_rows[SERIES_ID])
    logger.info(
        "RMSSE and scaled pinball over %d of %d series, weighted by %s over the last %d "
        "periods; left out: %d with zero weight, %d with a zero or undefined naive scale",
        excluded["scored"],
        excluded["series"],
        scales.weight_basis,
        setup.horizon,
        excluded["zero_weight"],
        excluded["no_scale"],
    )
    holiday_by_row = None
    if "is_holiday" in model_input:
        holiday_by_row = model_input.set_index([SERIES_ID, "origin", "horizon"])["is_holiday"]
    reports = dict(fit_reports or {})
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
        lower, upper = (group[c].to_numpy() for c in interval_columns(setup.interval))
        report = reports.get(model, {})
        records.append(
            {
                "model": model,
                "metric": setup.metric,
                "score": headline(setup.metric, y, pred, holiday, series, scales),
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
                "fit_seconds": _seconds(report, "fit_seconds"),
                "predict_seconds": _seconds(report, "predict_seconds"),
                "rows": len(group),
            }
        )
    table = pd.DataFrame(records).sort_values("score").reset_index(drop=True)
    logger.info("Leaderboard (%s):\n%s", setup.metric, table.to_string(index=False))
    warn_below_floors(table, setup.metric)
    return table


def _seconds(report: Mapping[str, Any], kind: str) -> float:
    return sum(report.get(stage, {}).get(kind, 0) for stage in ("holdout", "live"))


def champion_score(
    champion: ForecasterBundle,
    panel: pd.DataFrame,
    attributes: pd.DataFrame,
    metadata: Mapping[str, Any],
    setup: ModelingSetup,
) -> tuple[float | None, str]:
    """The champion's headline on this run's holdout rows, forecast from the protocol origin;
    None (with the reason) when it cannot forecast this data."""
    origin = setup.holdout_origin
    try:
        champion.check_fits(metadata)
        rows = champion.model_input(panel, attributes, origin, metadata).reset_index(drop=True)
        point = champion.point_forecast(rows, panel)
    except (ValueError, KeyError) as error:
        return None, f" ({error})"
    keep = scored(rows, setup.scoring).to_numpy()
    score = setup.score(rows[keep], point[keep], setup.scales(panel, origin))
    note = ""
    if champion.trained_until > origin:
        note = (
            f"; the champion was trained until {champion.trained_until.date()}, inside the "
            f"window, so its score there is favoured"
        )
    return float(score), note


def feature_importances(feature_catalog: pd.DataFrame, models: list[Any]) -> pd.DataFrame:
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


def model_card(  # noqa: PLR0913 - the run's record from its parts
    setup: ModelingSetup,
    holdout_leaderboard: pd.DataFrame,
    weights: Mapping[str, float],
    demand_panel: pd.DataFrame,
    fit_reports: Mapping[str, Mapping[str, Any]],
    tuning_trials: Mapping[str, pd.DataFrame],
    param_importances: Mapping[str, Mapping[str, float]],
    class_weights: Mapping[str, Mapping[str, float]] | None = None,
) -> dict[str, Any]:
    """One JSON record of the run: parameters, best trials, CV and holdout metrics, features,
    data fingerprint, library versions and git commit. The mappings hold per model its fit
    report, tuning trials and parameter importances."""
    from ..provenance import data_fingerprint, git_commit, library_versions

    models = {}
    for name, report in fit_reports.items():
        entry: dict[str, Any] = {
            "parameters": report["params"],
            "fit": {k: report[k] for k in ("holdout", "live") if k in report},
        }
        trials = tuning_trials.get(name)
        if isinstance(trials, pd.DataFrame) and not trials.empty and "value" in trials:
            complete = trials[trials["state"] == "COMPLETE"]
            if not complete.empty:
                best = complete.loc[complete["value"].idxmin()]
                entry["best_trial"] = {
                    "number": int(best["number"]),
                    "cv_score": float(best["value"]),
                }
            entry["trials"] = {str(k): int(v) for k, v in trials["state"].value_counts().items()}
        entry["parameter_importances"] = param_importances.get(name, {})
        models[report["model"]] = entry
    return {
        "dataset": setup.dataset,
        "metric": setup.metric,
        "metric_reason": setup.metric_reason,
        "metric_figures": dict(setup.metric_figures),
        "protocol": {
            "origin": setup.protocol_origin,
            "horizon": setup.horizon,
            "cv_fold_origins": list(setup.fold_origins),
        },
        "target_transform": setup.target_transform,
        "ensemble_weights": dict(weights),
        "ensemble_class_weights": {c: dict(w) for c, w in (class_weights or {}).items()},
        "holdout": holdout_leaderboard.to_dict(orient="records"),
        "models": models,
        "features": list(setup.features),
        "data": data_fingerprint(demand_panel),
        "libraries": library_versions(),
        "git_commit": git_commit(),
    }
