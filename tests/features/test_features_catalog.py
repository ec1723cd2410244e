"""The feature catalog documents every feature column once: family, description, availability
(known in advance, past-only or static) and frequency."""

from __future__ import annotations

import pytest

from inventory_optimization.features import feature_columns

CATALOG_COLUMNS = [
    "name",
    "family",
    "description",
    "sources",
    "window",
    "availability",
    "frequency",
]
AVAILABILITY = {"known_in_advance", "past_only", "static"}


def _model_features(case) -> list[str]:
    """Feature columns without the panel's key columns (store_id, ...)."""
    return [c for c in feature_columns(case.model_input) if c not in case.metadata["keys"]]


@pytest.mark.parametrize(("case_name", "frequency"), [("daily", "D"), ("weekly", "W-FRI")])
def test_every_feature_has_exactly_one_catalog_row(request, case_name, frequency):
    case = request.getfixturevalue(case_name)
    catalog = case.catalog
    assert catalog.columns.tolist() == CATALOG_COLUMNS
    features = _model_features(case)
    assert len(features) > 70
    counts = catalog["name"].value_counts()
    assert counts.max() == 1
    assert sorted(catalog["name"]) == sorted(features)
    assert set(catalog["availability"]) == AVAILABILITY
    assert (catalog["frequency"] == frequency).all()
    assert catalog["family"].str.len().gt(0).all()
    assert catalog["description"].str.len().gt(10).all()


def test_availability_of_each_kind_of_feature(daily):
    availability = daily.catalog.set_index("name")["availability"]
    family = daily.catalog.set_index("name")["family"]
    expected = {
        "horizon": "known_in_advance",
        "lag_1": "past_only",
        "seasonal_lag_7": "past_only",
        "rolling_mean_7": "past_only",
        "ewm_7": "past_only",
        "zero_share_28": "past_only",
        "temperature_at_origin": "past_only",
        "temperature_mean_7": "past_only",
        "promo": "known_in_advance",
        "price": "known_in_advance",
        "price_ratio": "known_in_advance",
        "periods_until_promo": "known_in_advance",
        "day_of_week": "known_in_advance",
        "is_public_holiday": "known_in_advance",
        "promo_x_day_of_week": "known_in_advance",
        "series_scale": "static",
        "season_index": "static",
        "month_index": "static",
        "store_type_code": "static",
        "store_size": "static",
        "lag_1_scaled": "past_only",
    }
    assert {name: availability[name] for name in expected} == expected
    assert family["lag_7"] == "lag"
    assert family["rolling_max_7"] == "rolling"
    assert family["is_public_holiday"] == "holiday"
    assert family["is_payday"] == "calendar"
    assert family["demand_class_28"] == "intermittency"
    assert daily.catalog.set_index("name").loc["lag_7", "window"] == "7 days"
    assert daily.catalog.set_index("name").loc["temperature_at_origin", "sources"] == "temperature"


@pytest.mark.parametrize("case_name", ["daily", "weekly"])
def test_feature_columns_are_all_in_the_catalog(request, case_name):
    case = request.getfixturevalue(case_name)
    names = case.catalog["name"].value_counts()
    columns = feature_columns(case.model_input)
    assert [c for c in columns if names.get(c, 0) != 1] == []
