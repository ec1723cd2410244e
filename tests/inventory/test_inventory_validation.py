"""Input validation: item parameters under any accepted spelling, and forecast quantiles; every
problem named by series and field (or date) in one error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from inventory_optimization.inventory import validate_item_parameters, validate_quantiles


def items_frame(**overrides) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "series_id": ["S01_I001", "S01_I002", "S02_I001"],
            "unit_cost": [1.0, 2.0, 1.0],
            "unit_price": [2.0, 3.0, 2.0],
            "lead_time_days": [1, 2, 1],
            "case_pack": [6, 12, 6],
            "shelf_life_days": [2.0, np.nan, 2.0],
        }
    )
    for column, (row, value) in overrides.items():
        frame.loc[row, column] = value
    return frame


@pytest.mark.parametrize(
    ("override", "field", "series"),
    [
        ({"lead_time_days": (1, -1)}, "lead_time_days is negative", "S01_I002"),
        ({"case_pack": (2, 0)}, "case_pack is not positive", "S02_I001"),
        ({"unit_cost": (0, 5.0)}, "unit_cost is above unit_price", "S01_I001"),
        ({"shelf_life_days": (2, 0.0)}, "shelf_life_days must be positive", "S02_I001"),
        ({"unit_price": (1, np.nan)}, "unit_price is missing", "S01_I002"),
    ],
)
def test_item_validation_names_the_series_and_the_field(override, field, series):
    with pytest.raises(ValueError, match=field) as error:
        validate_item_parameters(items_frame(**override))
    assert f"series_id '{series}'" in str(error.value)
    others = {"S01_I001", "S01_I002", "S02_I001"} - {series}
    assert not any(other in str(error.value) for other in others)


def test_item_validation_reports_missing_fields_and_every_problem_at_once():
    frame = items_frame(lead_time_days=(0, -3), case_pack=(1, -6)).drop(columns="unit_cost")
    with pytest.raises(ValueError) as error:
        validate_item_parameters(frame)
    message = str(error.value)
    assert "missing required field 'unit_cost'" in message
    assert "lead_time_days is negative for series_id 'S01_I001'" in message
    assert "case_pack is not positive for series_id 'S01_I002'" in message
    assert validate_item_parameters(items_frame()) is not None  # valid frame passes


def test_quantile_validation_names_the_series_and_dates_that_cross():
    forecast = pd.DataFrame(
        {
            "series_id": ["a", "a", "b"],
            "date": pd.to_datetime(["2024-03-01", "2024-03-02", "2024-03-01"]),
            "q_0.1": [1.0, 5.0, 1.0],
            "q_0.5": [2.0, 4.0, 2.0],
            "q_0.9": [3.0, 6.0, 3.0],
        }
    )
    validate_quantiles(forecast.drop(index=1))
    with pytest.raises(ValueError, match=r"cross in 1 rows \(series_id 'a' on 2024-03-02\)"):
        validate_quantiles(forecast)
