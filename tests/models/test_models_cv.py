"""Rolling-origin cross-validation: no training row is dated after its fold's origin, the
validation rows are that origin's scored rows, folds come latest first."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from inventory_optimization.features import fold_origins
from inventory_optimization.models.cv import folds, scored, training_rows


def test_fold_origins_are_latest_first():
    origins = fold_origins(pd.Timestamp("2023-10-14"), "D", 3, 14)
    assert origins == [pd.Timestamp(d) for d in ("2023-09-30", "2023-09-16", "2023-09-02")]
    weekly = fold_origins(pd.Timestamp("2012-10-05"), "W-FRI", 2, 4)
    assert weekly == [pd.Timestamp("2012-09-07"), pd.Timestamp("2012-08-10")]


@pytest.mark.parametrize("rule", ["open", "observed", "open_positive"])
def test_folds_never_train_after_the_origin(data, rule):
    rows = data.model_input
    origins = data.fold_origins
    produced = list(folds(rows, origins, rule))
    assert [number for number, *_ in produced] == [1, 2]
    assert [origin for _, origin, _, _ in produced] == origins
    assert origins[0] > origins[1]  # latest first
    for _, origin, train, valid in produced:
        assert len(train) > 0
        assert len(valid) > 0
        assert (rows["date"].iloc[train] <= origin).all()
        assert (rows["origin"].iloc[valid] == origin).all()
        assert (rows["date"].iloc[valid] > origin).all()
        assert np.intersect1d(train, valid).size == 0
        # Training rows have a known target on an open, observed period.
        assert rows["demand"].iloc[train].notna().all()
        assert not rows["is_closed"].iloc[train].any()
        # Validation rows are exactly the scored rows of the fold's origin.
        expected = np.flatnonzero(((rows["origin"] == origin) & scored(rows, rule)).to_numpy())
        np.testing.assert_array_equal(valid, expected)
    # A later fold sees strictly more history than an earlier one.
    assert set(produced[1][2]) < set(produced[0][2])


def test_fold_one_excludes_the_forced_closure_under_open_scoring(data):
    rows = data.model_input
    _, origin, _, valid = next(folds(rows, data.fold_origins, "open"))
    at_origin = rows[rows["origin"] == origin]
    assert at_origin["is_closed"].sum() == 3  # S01 closed on 2023-10-05
    assert not rows["is_closed"].iloc[valid].any()
    assert len(valid) == len(at_origin) - 3
    _, _, _, observed = next(folds(rows, data.fold_origins, "observed"))
    assert len(observed) == len(at_origin)


def test_training_rows_cutoff_is_inclusive():
    rows = pd.DataFrame(
        {
            "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-02"]),
            "demand": [1.0, 2.0, 3.0, np.nan],
            "is_closed": [False, False, False, False],
            "is_observed": [True, True, True, True],
        }
    )
    assert training_rows(rows, pd.Timestamp("2024-01-02")).tolist() == [True, True, False, False]


def _hand_rows() -> pd.DataFrame:
    """Open sale / open zero / closed / no record / a record flagged unobserved / future row."""
    return pd.DataFrame(
        {
            "origin": pd.Timestamp("2024-01-01"),
            "demand": [5.0, 0.0, 0.0, np.nan, 3.0, np.nan, 2.0],
            "is_closed": [False, False, True, False, False, False, True],
            "is_observed": [True, True, True, False, False, True, True],
        }
    )


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("open_positive", [True, False, False, False, False, False, False]),
        ("observed", [True, True, True, False, False, False, True]),
        ("open", [True, True, False, False, False, False, False]),
    ],
)
def test_scoring_rules_select_the_right_rows(rule, expected):
    assert scored(_hand_rows(), rule).tolist() == expected


def test_unknown_scoring_rule_is_rejected():
    with pytest.raises(ValueError, match="not one of"):
        scored(_hand_rows(), "everything")
