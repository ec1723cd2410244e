"""Optuna tuning on a toy objective: resuming, pruning, fixed parameters, empty budgets."""

from __future__ import annotations

import math

import optuna
import pytest

from inventory_optimization.models.tuning import sample_params, study_name, tune

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
