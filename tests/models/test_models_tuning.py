"""Optuna tuning on a toy objective: resuming, pruning, fixed parameters, empty budgets, studies
keyed on the content of the tuning data, trials left running by a killed process."""

from __future__ import annotations

import logging
import math
import re

import numpy as np
import optuna
import pandas as pd
import pytest

from inventory_optimization.models.tuning import (
    content_fingerprint,
    sample_params,
    study_name,
    tune,
    without_count_objectives,
)

SPACE = {"x": {"type": "float", "low": -10.0, "high": 10.0}}
FIXED = {"k": 1, "kind": "toy"}
BAD_BELOW = -3.0  # fold 1 is terrible for x < -3


class Toy:
    """A quadratic in ``x`` (minimum at 2) plus 0.1 per fold; fold 1 scores 1000 when
    ``x < BAD_BELOW``. Records every (x, fold) evaluated and the parameters it was given."""

    def __init__(self):
        self.calls: list[tuple[float, int]] = []
        self.params: list[dict] = []

    def __call__(self, params: dict, fold: int) -> float:
        self.calls.append((params["x"], fold))
        self.params.append(params)
        if fold == 1 and params["x"] < BAD_BELOW:
            return 1000.0
        return (params["x"] - 2.0) ** 2 + 0.1 * fold


def _options(n_trials: int, **extra) -> dict:
    return {"n_trials": n_trials, "fixed": FIXED, "search_space": SPACE, **extra}


def _finished(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    done = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    return [t for t in study.trials if t.state in done]


def test_tune_resumes_the_study(tmp_path):
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    first = Toy()
    best, trials, _ = tune("toy", _options(3), first, 2, storage, "toy-study", seed=0)
    assert len(trials) == 3
    assert all(p["k"] == 1 and p["kind"] == "toy" for p in first.params)

    second = Toy()
    best, trials, importances = tune("toy", _options(5), second, 2, storage, "toy-study", 0)
    study = optuna.load_study(study_name="toy-study", storage=storage)
    assert len(study.trials) == 5
    assert len(_finished(study)) == 5
    assert len(trials) == 5
    assert trials["number"].tolist() == [0, 1, 2, 3, 4]
    # Only the two missing trials ran: at most two folds each, none of the first three again.
    assert len({x for x, _ in second.calls}) == 2
    assert len(second.calls) <= 4
    # Best parameters: the fixed ones plus the best completed trial's.
    complete = trials[trials["state"] == "COMPLETE"]
    best_row = complete.loc[complete["value"].idxmin()]
    assert best == {**FIXED, "x": best_row["params_x"]}
    assert set(importances) <= {"x"}

    # A third call with the same budget runs nothing.
    third = Toy()
    again, trials, _ = tune("toy", _options(5), third, 2, storage, "toy-study", 0)
    assert third.calls == []
    assert again == best
    assert len(trials) == 5


def test_resumed_trials_explore_new_parameters(tmp_path):
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    tune("toy", _options(3), Toy(), 2, storage, "toy-study", seed=0)
    _, trials, _ = tune("toy", _options(5), Toy(), 2, storage, "toy-study", seed=0)
    earlier = set(trials["params_x"].iloc[:3])
    assert not earlier & set(trials["params_x"].iloc[3:])


def test_bad_trials_are_pruned_after_fold_one(tmp_path):
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    toy = Toy()
    best, trials, _ = tune("toy", _options(6), toy, 3, storage, "pruning", seed=42)
    assert len(trials) == 6
    states = trials.set_index("number")["state"]
    assert (states == "PRUNED").sum() >= 1
    assert (states.iloc[:2] == "COMPLETE").all()  # the median pruner's two start-up trials
    bad = trials[(trials["params_x"] < BAD_BELOW) & (trials["number"] >= 2)]
    assert len(bad) >= 1
    assert (bad["state"] == "PRUNED").all()
    for x in bad["params_x"]:
        assert [fold for value, fold in toy.calls if value == x] == [1]  # folds 2, 3 skipped
    # Completed trials ran every fold; the best one is outside the bad region.
    for x in trials.loc[trials["state"] == "COMPLETE", "params_x"]:
        assert [fold for value, fold in toy.calls if value == x] == [1, 2, 3]
    assert best["x"] >= BAD_BELOW
    assert best["k"] == 1


def test_a_failed_first_trial_does_not_abort_the_study(tmp_path):
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    toy = Toy()

    def evaluate(params: dict, fold: int) -> float:
        value = toy(params, fold)
        return math.nan if len(toy.calls) == 1 else value  # the very first fold fails

    best, trials, _ = tune("toy", _options(3), evaluate, 2, storage, "fails", seed=0)
    assert (trials["state"] == "FAIL").sum() == 1
    assert (trials["state"] == "COMPLETE").sum() == 2
    assert best["k"] == 1


@pytest.mark.parametrize(
    "options",
    [
        {"n_trials": 0, "fixed": FIXED, "search_space": SPACE},
        {"n_trials": 5, "fixed": FIXED, "search_space": {}},
        {"n_trials": 5, "fixed": FIXED},
        {"fixed": FIXED, "search_space": SPACE},
    ],
    ids=["no-trials", "empty-space", "no-space", "no-budget"],
)
def test_no_budget_or_no_space_returns_the_fixed_parameters(tmp_path, options):
    database = tmp_path / "optuna.db"
    toy = Toy()
    best, trials, importances = tune("toy", options, toy, 2, f"sqlite:///{database}", "x", 0)
    assert best == FIXED
    assert best is not FIXED  # a copy: callers may change it
    assert trials.empty
    assert list(trials.columns) == ["number", "value", "state"]
    assert importances == {}
    assert toy.calls == []
    assert not database.exists()  # no study was even created


def test_sample_params_reads_every_kind():
    space = {
        "depth": {"type": "int", "low": 3, "high": 9},
        "units": {"type": "int", "low": 16, "high": 64, "step": 16},
        "rate": {"type": "float", "low": 1e-3, "high": 1.0, "log": True},
        "kind": {"type": "categorical", "choices": ["add", "mul"]},
    }
    trial = optuna.trial.FixedTrial({"depth": 5, "units": 32, "rate": 0.01, "kind": "mul"})
    assert sample_params(trial, space) == {"depth": 5, "units": 32, "rate": 0.01, "kind": "mul"}
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    for _ in range(20):
        drawn = sample_params(study.ask(), space)
        assert 3 <= drawn["depth"] <= 9
        assert drawn["units"] in (16, 32, 48, 64)
        assert 1e-3 <= drawn["rate"] <= 1.0
        assert drawn["kind"] in ("add", "mul")
    with pytest.raises(ValueError, match="unknown type 'bool'"):
        sample_params(optuna.trial.FixedTrial({}), {"flag": {"type": "bool"}})


def test_study_name_changes_with_space_and_data_only():
    name = study_name("xgboost", SPACE, {"rows": 10, "folds": ["2024-01-01"]})
    assert name.startswith("xgboost-")
    assert len(name) == len("xgboost-") + 10
    assert name == study_name("xgboost", dict(SPACE), {"folds": ["2024-01-01"], "rows": 10})
    assert name != study_name("xgboost", SPACE, {"rows": 11, "folds": ["2024-01-01"]})
    assert name != study_name("xgboost", {"y": SPACE["x"]}, {"rows": 10, "folds": ["2024-01-01"]})
    assert name != study_name("lstm", SPACE, {"rows": 10, "folds": ["2024-01-01"]})
    with_data = study_name("xgboost", SPACE, {"rows": 10, "folds": ["2024-01-01"]}, "ab12" * 10)
    assert with_data == f"{name}-ab12ab12"


# --- studies keyed on the content of the tuning data --------------------------------------------

COLUMNS = ["demand", "lag_1", "promo"]


def _rows(scale: float = 1.0) -> pd.DataFrame:
    """A small tuning table; ``scale`` multiplies the quantities (same shape, new content)."""
    demand = np.arange(40, dtype=float) * scale
    return pd.DataFrame(
        {
            "series_id": pd.Categorical(["a", "b"] * 20),
            "demand": demand,
            "lag_1": np.r_[np.nan, demand[:-1]].astype("float32"),
            "promo": [False, True] * 20,
        }
    )


def test_content_fingerprint_follows_values_not_shape():
    rows = _rows()
    same = content_fingerprint(rows.copy(), COLUMNS)
    assert content_fingerprint(rows, COLUMNS) == same
    assert re.fullmatch(r"[0-9a-f]{40}", same)
    assert content_fingerprint(_rows(10.0), COLUMNS) != same  # ten times the quantities
    changed = rows.copy()
    changed.loc[7, "lag_1"] = 99.0
    assert content_fingerprint(changed, COLUMNS) != same
    # Only the listed columns and the given rows count.
    relabelled = rows.assign(series_id=pd.Categorical(["c", "d"] * 20))
    assert content_fingerprint(relabelled, COLUMNS) == same
    positions = np.arange(10)
    edited_outside = rows.copy()
    edited_outside.loc[30, "demand"] = -1.0
    assert content_fingerprint(edited_outside, COLUMNS, positions) == content_fingerprint(
        rows, COLUMNS, positions
    )
    assert content_fingerprint(rows, COLUMNS, positions) != same


def _name(rows: pd.DataFrame) -> str:
    settings = {"rows": len(rows), "folds": ["2024-01-01"], "features": len(COLUMNS) - 1}
    return study_name("toy", SPACE, settings, content_fingerprint(rows, COLUMNS))


def test_new_data_of_the_same_shape_starts_a_new_study(tmp_path, caplog):
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    old, new = _rows(), _rows(10.0)
    assert old.shape == new.shape
    first = _name(old)
    tune("toy", _options(3), Toy(), 2, storage, first, seed=0)

    # Same content: the study is resumed and runs no new trial.
    assert _name(old.copy()) == first
    toy = Toy()
    with caplog.at_level(logging.INFO, logger="inventory_optimization.models.tuning"):
        tune("toy", _options(3), toy, 2, storage, _name(old.copy()), seed=0)
    assert toy.calls == []
    assert (
        f"toy: resuming study '{first}' with 3 completed and 0 pruned trials; 0 new to run"
        in caplog.messages
    )

    # New content of the same shape: a new study (same settings part), with its own trials.
    caplog.clear()
    second = _name(new)
    assert second != first
    assert second.rsplit("-", 1)[0] == first.rsplit("-", 1)[0]
    toy = Toy()
    with caplog.at_level(logging.INFO, logger="inventory_optimization.models.tuning"):
        _, trials, _ = tune("toy", _options(3), toy, 2, storage, second, seed=0)
    assert len(trials) == 3 and len({x for x, _ in toy.calls}) == 3
    assert f"toy: new study '{second}'; 3 trials to run" in caplog.messages
    assert sorted(optuna.get_all_study_names(storage)) == sorted([first, second])
    assert len(optuna.load_study(study_name=first, storage=storage).trials) == 3


def test_a_trial_left_running_is_marked_failed_on_the_next_start(tmp_path, caplog):
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    tune("toy", _options(2), Toy(), 2, storage, "toy-study", seed=0)
    # A process that was killed mid-trial leaves the trial RUNNING in the store.
    optuna.load_study(study_name="toy-study", storage=storage).ask()
    study = optuna.load_study(study_name="toy-study", storage=storage)
    assert [t.state.name for t in study.trials].count("RUNNING") == 1

    toy = Toy()
    with caplog.at_level(logging.INFO, logger="inventory_optimization.models.tuning"):
        _, trials, _ = tune("toy", _options(3), toy, 2, storage, "toy-study", seed=0)
    states = trials.set_index("number")["state"]
    assert states.loc[2] == "FAIL"
    assert "RUNNING" not in set(states)
    assert states.isin(["COMPLETE", "PRUNED"]).sum() == 3  # the budget counts finished trials
    assert len({x for x, _ in toy.calls}) == 1
    assert (
        "toy: 1 trial(s) of study 'toy-study' left RUNNING by an interrupted run marked FAIL"
        in caplog.messages
    )
    assert (
        "toy: resuming study 'toy-study' with 2 completed and 0 pruned trials; 1 new to run"
        in caplog.messages
    )


OBJECTIVE_SPACE = {**SPACE, "objective": {"type": "categorical", "choices": ["a", "b", "c"]}}


def test_every_objective_is_tried_once_before_the_sampler_chooses(tmp_path):
    toy = Toy()
    options = {"n_trials": 4, "fixed": FIXED, "search_space": OBJECTIVE_SPACE}
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    tune("toy", options, toy, 1, storage, "objectives", seed=0)
    assert [p["objective"] for p in toy.params[:3]] == ["a", "b", "c"]


def test_count_objectives_are_searched_only_on_intermittent_data(caplog):
    options = {
        "n_trials": 4,
        "search_space": {
            **SPACE,
            "objective": {"type": "categorical", "choices": ["squarederror", "tweedie"]},
        },
    }
    assert without_count_objectives(options, True, "xgboost") == options
    with caplog.at_level(logging.INFO):
        smooth = without_count_objectives(options, False, "xgboost")
    assert smooth["search_space"] == SPACE  # the study is the one it was without objectives
    assert "count objectives ['tweedie'] not searched" in caplog.text
    assert options["search_space"]["objective"]  # the caller's options are left as they were
