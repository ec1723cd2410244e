"""No feature of a row may depend on demand (or past-only covariates) after the row's origin;
known-in-advance covariates are read at the target date; the fitted transforms ignore data
after their cutoff."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from inventory_optimization.features import feature_columns, fit_transforms

SCENARIOS = [
    ("daily", "2024-01-17"),
    ("daily", "2024-01-31"),
    ("daily", "2024-02-15"),
    ("weekly", "2012-03-30"),
    ("weekly", "2012-06-29"),
]


def _scramble_after(panel: pd.DataFrame, origin: pd.Timestamp, seed: int = 0) -> pd.DataFrame:
    """Demand after the origin x 10; past-only covariates after it replaced by noise."""
    rng = np.random.default_rng(seed)
    after = panel["date"] > origin
    changed = panel.copy()
    changed.loc[after, "demand"] = changed.loc[after, "demand"] * 10
    changed.loc[after, "temperature"] = rng.uniform(-50, 50, int(after.sum()))
    return changed


def _at_or_before(model_input: pd.DataFrame, origin: pd.Timestamp) -> pd.DataFrame:
    rows = model_input[model_input["origin"] <= origin]
    return rows.sort_values(["series_id", "origin", "horizon"]).reset_index(drop=True)


@pytest.mark.parametrize(("case_name", "origin"), SCENARIOS)
def test_features_ignore_demand_and_past_covariates_after_the_origin(request, case_name, origin):
    case = request.getfixturevalue(case_name)
    origin = pd.Timestamp(origin)
    changed = _scramble_after(case.panel, origin)
    assert not changed["demand"].equals(case.panel["demand"])

    before = _at_or_before(case.model_input, origin)
    after = _at_or_before(case.rebuild(changed), origin)
    columns = feature_columns(case.model_input)
    assert len(columns) > 70
    pd.testing.assert_frame_equal(
        after[["series_id", "origin", "date", "horizon"]],
        before[["series_id", "origin", "date", "horizon"]],
    )
    for name in columns:
        np.testing.assert_array_equal(
            after[name].to_numpy(), before[name].to_numpy(), err_msg=f"{name} leaks"
        )

    # The target does change: x 10 wherever it was a known, non-zero sale.
    at_origin = before["origin"] == origin
    sold = at_origin & before["demand"].notna() & (before["demand"] != 0)
    assert sold.sum() >= 20
    np.testing.assert_allclose(after.loc[sold, "demand"], 10 * before.loc[sold, "demand"])


@pytest.mark.parametrize(
    ("case_name", "origin"), [("daily", "2024-01-31"), ("weekly", "2012-06-29")]
)
def test_demand_on_the_origin_itself_is_used(request, case_name, origin):
    """The control: the same check fails when the origin's own demand changes."""
    case = request.getfixturevalue(case_name)
    origin = pd.Timestamp(origin)
    changed = case.panel.copy()
    changed.loc[changed["date"] == origin, "demand"] *= 10
    before = _at_or_before(case.model_input, origin)
    after = _at_or_before(case.rebuild(changed), origin)
    at_origin = (before["origin"] == origin).to_numpy()
    lag_1 = before["lag_1"].to_numpy()
    known = at_origin & ~np.isnan(lag_1) & (lag_1 != 0)
    assert known.sum() > 0
    np.testing.assert_allclose(after["lag_1"].to_numpy()[known], 10 * lag_1[known])
    # Rows at earlier origins are untouched.
    earlier = ~at_origin
    assert earlier.sum() > 0
    np.testing.assert_array_equal(after["lag_1"].to_numpy()[earlier], lag_1[earlier])


def test_known_covariate_after_the_origin_reaches_its_target_row(kit):
    """A promotion set only on a date after the origin shows up in that row's ``promo``; a
    past-only covariate stays at its origin value for every horizon."""
    start = pd.Timestamp("2024-01-01")
    promo = np.zeros(45)
    promo[40] = 1.0  # Feb 10 only
    temperature = np.arange(45) * 3.0
    panel = kit.make_panel(
        kit.make_series("x", np.arange(1.0, 46.0), start, promo=promo, temperature=temperature)
    )
    case = kit.build_case(
        panel,
        kit.make_metadata("D"),
        kit.daily_params,
        pd.DatetimeIndex(["2024-01-31"]),
        14,
        pd.Timestamp("2024-01-31"),
    )
    rows = case.rows("x", "2024-01-31")
    assert rows.loc[rows["promo"] == 1, "date"].tolist() == [pd.Timestamp("2024-02-10")]
    assert rows.loc[rows["date"] == "2024-02-10", "horizon"].item() == 10
    assert rows["periods_until_promo"].iloc[0] == 9.0
    # temperature on Jan 31 (position 30) is 90; the target dates have 93..132.
    assert rows["temperature_at_origin"].eq(90.0).all()
    assert rows["temperature_mean_7"].eq(81.0).all()  # mean of 72..90 every 3
    assert "temperature" not in rows.columns


def test_fit_transforms_ignores_data_after_the_cutoff(daily):
    cutoff = pd.Timestamp("2024-01-17")
    changed = _scramble_after(daily.panel, cutoff, seed=1)
    # Also flip flags after the cutoff: closures and missing records there are not seen either.
    after = changed["date"] > cutoff
    closing = after & (changed["series_id"] == "e")
    changed.loc[closing, "demand"] = 0.0
    changed.loc[closing, "is_closed"] = True
    refit = fit_transforms(changed, daily.attributes, cutoff, "D", 7, 56)
    assert refit.cutoff == cutoff
    pd.testing.assert_frame_equal(refit.profile, daily.transforms.profile)
    pd.testing.assert_frame_equal(refit.season_index, daily.transforms.season_index)
    pd.testing.assert_frame_equal(refit.month_index, daily.transforms.month_index)
    assert refit.encoders == daily.transforms.encoders == {"store_type": ["A", "B"]}
    assert refit.numeric_attributes == ["store_size"]


def test_fit_transforms_sees_the_cutoff_day_itself(daily):
    """The control: a change on the cutoff date does change the profile of that series."""
    cutoff = pd.Timestamp("2024-01-17")
    changed = daily.panel.copy()
    on_cutoff = (changed["date"] == cutoff) & (changed["series_id"] == "a")
    changed.loc[on_cutoff, "demand"] = 1000.0
    refit = fit_transforms(changed, daily.attributes, cutoff, "D", 7, 56)
    profile = refit.profile.set_index("series_id")
    original = daily.transforms.profile.set_index("series_id")
    assert profile.loc["a", "target_mean"] == pytest.approx((153 - 17 + 1000) / 17)
    assert original.loc["a", "target_mean"] == 9.0
    pd.testing.assert_series_equal(profile.loc["b"], original.loc["b"])
