"""Optuna tuning of one model on rolling-origin cross-validation folds.

TPE with a fixed seed; a median pruner stops a trial after a fold whose running score is worse
than the median of earlier trials at that fold; the study lives in SQLite so that a rerun
resumes it and optuna-dashboard can open it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping

import numpy as np
import optuna
import pandas as pd

logger = logging.getLogger(__name__)


def sample_params(trial: optuna.Trial, space: Mapping) -> dict:
    """Draw one value per entry of a search space written in parameters:
    ``{name: {type: int|float|categorical, low, high, log, step, choices}}``."""
    params = {}
    for name, spec in space.items():
        kind = spec["type"]
        if kind == "int":
            params[name] = trial.suggest_int(
                name,
                spec["low"],
                spec["high"],
                step=spec.get("step", 1),
                log=spec.get("log", False),
            )
        elif kind == "float":
            params[name] = trial.suggest_float(
                name, spec["low"], spec["high"], log=spec.get("log", False)
            )
        elif kind == "categorical":
            params[name] = trial.suggest_categorical(name, list(spec["choices"]))
        else:
            raise ValueError(f"search space '{name}': unknown type '{kind}'")
    return params


def study_name(model: str, space: Mapping, fingerprint: Mapping) -> str:
    """Same model, search space and data: same study, so a rerun resumes it."""
    digest = hashlib.sha1(json.dumps([space, fingerprint], sort_keys=True, default=str).encode())
    return f"{model}-{digest.hexdigest()[:10]}"


def tune(
    model: str,
    options: Mapping,
    evaluate_fold: Callable[[dict, int], float],
    n_folds: int,
    storage: optuna.storages.BaseStorage | str,
    name: str,
    seed: int,
) -> tuple[dict, pd.DataFrame, dict]:
    """Run (or resume) the study; return the best parameters (fixed ones included), the trials
    table and the parameter importances. ``evaluate_fold(params, fold)`` scores one fold."""
    fixed = dict(options.get("fixed") or {})
    space = dict(options.get("search_space") or {})
    if not space or int(options.get("n_trials", 0)) <= 0:
        return fixed, pd.DataFrame(columns=["number", "value", "state"]), {}

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name=name,
        storage=storage,
        load_if_exists=True,
        direction="minimize",
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=0),
    )
    finished = [
        t
        for t in study.trials
        if t.state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    ]
    # A resumed study continues from new random draws instead of replaying the first ones.
    study.sampler = optuna.samplers.TPESampler(seed=seed + len(study.trials))
    remaining = int(options["n_trials"]) - len(finished)
    if finished:
        logger.info("%s: resuming study '%s' with %d finished trials", model, name, len(finished))

    def objective(trial: optuna.Trial) -> float:
        params = {**fixed, **sample_params(trial, space)}
        scores = []
        for fold in range(1, n_folds + 1):
            started = time.perf_counter()
            scores.append(evaluate_fold(params, fold))
            logger.info(
                "%s trial %d fold %d: score %.4f (%.1f s)",
                model,
                trial.number,
                fold,
                scores[-1],
                time.perf_counter() - started,
            )
            trial.report(float(np.mean(scores)), step=fold)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return float(np.mean(scores))

    def log_trial(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        seconds = (trial.datetime_complete - trial.datetime_start).total_seconds()
        try:
            best = f"{study.best_value:.4f}"
        except ValueError:  # no completed trial yet (the first ones failed or were pruned)
            best = "n/a"
        value = "n/a" if trial.value is None else f"{trial.value:.4f}"
        logger.info(
            "%s trial %d %s: %s (best %s) in %.1f s, %s",
            model,
            trial.number,
            trial.state.name.lower(),
            value,
            best,
            seconds,
            trial.params,
        )

    if remaining > 0:
        study.optimize(
            objective,
            n_trials=remaining,
            timeout=options.get("timeout"),
            callbacks=[log_trial],
            gc_after_trial=True,
        )
    trials = study.trials_dataframe()
    try:
        importances = optuna.importance.get_param_importances(study)
    except (RuntimeError, ValueError, ZeroDivisionError):
        importances = {}  # too few finished trials, or no variation in them
    return {**fixed, **study.best_params}, trials, {k: float(v) for k, v in importances.items()}
