"""The choices a training run makes once, before any model is tuned: the protocol's dates,
the headline metric (``auto``: from the demand's shape) and the target transform (``auto``:
a probe model on the CV folds). ``plan_setup`` returns them frozen in a ``ModelingSetup``,
with the figures and reasons the log and the model card show."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..features import fold_origins
from ..features.profile import ADI_CUTOFF, demand_class, open_demand
from ..panel.contract import DATE, DEMAND, SERIES_ID
from ..panel.periods import Frequency, cv_step_periods, horizon_periods, protocol_origin
from .base import TRANSFORMS as TARGET_TRANSFORMS
from .cv import folds
from .metrics import HEADLINE_METRICS, auto_headline, bias
from .setup import ModelingSetup
from .training import fit_predict, sample_rows

logger = logging.getLogger(__name__)


def plan_setup(  # noqa: PLR0913 - the run's parameters and the data they are judged on
    feature_catalog: pd.DataFrame,
    panel_metadata: Mapping[str, Any],
    protocol: Mapping[str, Any],
    cross_validation: Mapping[str, Any],
    modeling: Mapping[str, Any],
    demand_panel: pd.DataFrame | None = None,
    model_input: pd.DataFrame | None = None,
) -> ModelingSetup:
    """The training run's setup from its parameters and data.

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
    names = feature_catalog["name"]
    transform = modeling["target_transform"]
    if transform != "auto" and transform not in TARGET_TRANSFORMS:
        raise ValueError(
            f"modeling.target_transform {transform!r}: expected one of "
            f"{[*TARGET_TRANSFORMS, 'auto']}"
        )
    setup = ModelingSetup(
        dataset=panel_metadata["source"],
        features=("horizon", *names[names != "horizon"]),
        frequency=frequency,
        season_length=Frequency.of(frequency).season_length,
        horizon=horizon_periods(protocol, frequency),
        protocol_origin=str(origin.date()),
        live_origin=str(panel_metadata["last_date"]),
        fold_origins=tuple(str(o.date()) for o in origins),
        metric=metric,
        target_transform=transform,
        scoring=modeling["scoring"],
        quantiles=tuple(float(q) for q in modeling["quantiles"]),
        seed=int(modeling["seed"]),
        n_jobs=int(modeling.get("n_jobs", 2)),
        non_negative=bool(modeling.get("non_negative", True)),
        intermittent=intermittent,
        count_data=counts,
        calibration=modeling.get("calibration", {}),
        metric_reason=reason,
        metric_figures=figures,
    )
    if transform != "auto":
        return setup
    if model_input is None or demand_panel is None:
        raise ValueError("target_transform auto needs the model input and the demand panel")
    chosen, scores, biases, why = choose_target_transform(
        model_input, demand_panel, setup, modeling.get("transform_choice", {})
    )
    logger.info("Target transform %s: %s", chosen, why)
    return setup.replace(
        target_transform=chosen,
        transform_scores=scores,
        transform_biases=biases,
        transform_reason=why,
    )


def choose_target_transform(
    model_input: pd.DataFrame,
    demand_panel: pd.DataFrame,
    setup: ModelingSetup,
    choice: Mapping[str, Any],
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
    origins = setup.origins[:n_folds]
    scales = {n: setup.scales(demand_panel, o) for n, o in enumerate(origins, start=1)}
    fold_rows = [
        (number, sample_rows(train, choice.get("rows", 100_000), setup.seed), valid)
        for number, _, train, valid in folds(model_input, origins, setup.scoring)
    ]
    scores, biases = {}, {}
    for transform in candidates:
        trial = setup.replace(target_transform=transform)
        context = trial.context(demand_panel)
        fitted = [
            (number, fit_predict(name, params, model_input, train, valid, context, trial))
            for number, train, valid in fold_rows
        ]
        per_fold = [trial.score(f.rows, f.point, scales[number]) for number, f in fitted]
        scores[transform] = float(np.mean(per_fold))
        biases[transform] = bias(
            np.concatenate([f.rows[DEMAND].to_numpy(dtype=float) for _, f in fitted]),
            np.concatenate([f.point for _, f in fitted]),
        )
    level_metric = setup.metric not in ("rmsle", "rmspe")
    unbiased = [t for t in scores if abs(biases[t] - 1) <= tolerance] if level_metric else []
    pool = unbiased or list(scores)
    chosen = min(pool, key=scores.get)
    listed = ", ".join(
        f"{t} {scores[t]:.4f} (bias {biases[t]:.3f})" for t in sorted(scores, key=scores.get)
    )
    reason = (
        f"best {setup.metric} of a {name} probe on the latest {len(origins)} CV folds ({listed})"
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
