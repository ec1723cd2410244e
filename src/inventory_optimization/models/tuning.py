"""Optuna tuning of one model on rolling-origin cross-validation folds.

TPE with a fixed seed; a median pruner stops a trial after a fold whose running score is worse
than the median of earlier trials at that fold; the study lives in SQLite so that a rerun
resumes it and optuna-dashboard can open it.

A study is named after the model, its search-relevant settings and a content fingerprint of
the rows it tunes on, so new data of the same shape starts a new study instead of resuming the
old one. Trials left ``RUNNING`` by a process that was killed are marked ``FAIL`` when the study
is opened again: the run lock (one run per environment, ``run_lock.py``) guarantees that no
other process is still running them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import optuna
import pandas as pd

logger = logging.getLogger(__name__)


def without_count_objectives(options: Mapping, intermittent: bool, model: str) -> dict:
    """The model's options without the search space's ``objective`` choice (squared error, the
    default) when the data is not intermittent: count objectives are for mostly-zero sales, and on
    smooth sales searching them would only halve the trials left for everything else."""
    space = dict(options.get("search_space") or {})
    spec = space.get("objective")
    if intermittent or not spec or spec.get("type") != "categorical":
        return dict(options)
    kept = [c for c in spec["choices"] if c in ("squarederror", "reg:squarederror")]
    if len(kept) == len(spec["choices"]):
        return dict(options)
    logger.info(
        "%s: count objectives %s not searched: the data is not intermittent",
        model,
        [c for c in spec["choices"] if c not in kept],
    )
    # Squared error is every model's default: leaving it out keeps the study (and its
    # results) what it was before count objectives existed.
    del space["objective"]
    return {**options, "search_space": space}


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


def content_fingerprint(
    rows: pd.DataFrame, columns: Sequence[str], positions: np.ndarray | None = None
) -> str:
    """sha1 of the values of ``columns`` in the rows at ``positions`` (all rows if None):
    equal values in the same order give the same fingerprint, whatever the shape says."""
    table = rows[[c for c in columns if c in rows.columns]]
    if positions is not None:
        table = table.iloc[np.asarray(positions)]
    digest = hashlib.sha1(",".join(map(str, table.columns)).encode())
    digest.update(pd.util.hash_pandas_object(table, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def study_name(model: str, space: Mapping, settings: Mapping, data: str | None = None) -> str:
    """``<model>-<settings>-<data>``: same model, search space and settings (``settings``) and
    same tuning rows (``data``, a ``content_fingerprint``) give the same study, so a rerun
    resumes it; new data, even of the same shape, starts a new one."""
    digest = hashlib.sha1(json.dumps([space, settings], sort_keys=True, default=str).encode())
    name = f"{model}-{digest.hexdigest()[:10]}"
    return f"{name}-{data[:8]}" if data else name


def fail_interrupted_trials(study: optuna.Study) -> int:
    """Mark the trials still ``RUNNING`` (left by a killed process) ``FAIL``; how many."""
    running = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
    for trial in running:
        study.tell(trial.number, state=optuna.trial.TrialState.FAIL, skip_if_finished=True)
    return len(running)


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
    interrupted = fail_interrupted_trials(study)
    if interrupted:
        logger.warning(
            "%s: %d trial(s) of study '%s' left RUNNING by an interrupted run marked FAIL",
            model,
            interrupted,
            name,
        )
    states = [t.state for t in study.get_trials(deepcopy=False)]
    completed = states.count(optuna.trial.TrialState.COMPLETE)
    pruned = states.count(optuna.trial.TrialState.PRUNED)
    # A resumed study continues from new random draws instead of replaying the first ones.
    study.sampler = optuna.samplers.TPESampler(seed=seed + len(states))
    remaining = max(int(options["n_trials"]) - completed - pruned, 0)
    if states:
        logger.info(
            "%s: resuming study '%s' with %d completed and %d pruned trials; %d new to run",
            model,
            name,
            completed,
            pruned,
            remaining,
        )
    else:
        logger.info("%s: new study '%s'; %d trials to run", model, name, remaining)
        # Each training objective (squared error vs a count objective) is tried at least once,
        # so that CV, not the sampler's first draws, decides between them.
        objectives = space.get("objective", {})
        if objectives.get("type") == "categorical":
            for choice in list(objectives["choices"])[:remaining]:
                study.enqueue_trial({"objective": choice}, skip_if_exists=True)

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
